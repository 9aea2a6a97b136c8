/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

#include "config.h"

/* Devices joining and leaving a network, and what a device sees of it. */

#include "mira-api.h"
#include "mira-api-error.h"
#include "mira-api-private.h"

#include "mira-audio-hub.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-json.h"
#include "mira-networks.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"

gboolean
mira_api_client_register (MiraApiCall  *call,
                          MiraDb       *db,
                          GError      **error)
{
  const char *client_id = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) client = NULL;
  g_autoptr(MiraDbResult) existing = NULL;
  g_autoptr(MiraDbResult) ended = NULL;
  g_autoptr(MiraDbResult) session = NULL;
  g_autoptr(MiraDbResult) touched = NULL;
  g_autofree char *token = mira_token_new ("mst_");
  g_autofree char *hash = mira_sha256_hex (token);
  g_autofree char *session_id = mira_uuid_new ();
  g_autofree char *now = mira_timestamp_now ();
  gboolean created;

  if (!mira_is_client_id (client_id))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID_CLIENT_ID,
                   "'%s' is not a valid client id: 1–50 letters, digits, '_', '.' or '-',"
                   " starting with a letter or digit", client_id);
      return FALSE;
    }

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL)
    return FALSE;
  existing = mira_db_query (db, "SELECT id FROM clients WHERE network_id = $1 AND client_id = $2",
                            2, (const char *[]) { call->net_uuid, client_id }, error);
  if (existing == NULL)
    return FALSE;
  created = mira_db_result_n_rows (existing) == 0;

  values = mira_entity_validate (db, call->net_uuid, &mira_entity_client, input, created, error);
  if (values == NULL)
    return FALSE;
  g_hash_table_insert (values, (gpointer) "last_seen", g_strdup (now));

  if (created)
    {
      g_hash_table_insert (values, (gpointer) "client_id", g_strdup (client_id));
      client = mira_entity_insert (db, call->net_uuid, call->network_id, &mira_entity_client,
                                   values, error);
    }
  else
    client = mira_entity_update (db, call->net_uuid, call->network_id, &mira_entity_client,
                                 client_id, values, error);
  if (client == NULL)
    return FALSE;

  /* A device registering again starts over: its earlier sessions end. */
  ended = mira_db_query (db, "UPDATE client_sessions SET is_active = $3, disconnected_at = $4"
                             " WHERE network_id = $1 AND is_active AND client_id ="
                             " (SELECT id FROM clients WHERE network_id = $1 AND client_id = $2)",
                         4, (const char *[]) { call->net_uuid, client_id,
                                               mira_db_get_dialect (db) == MIRA_DB_DIALECT_SQLITE
                                                 ? "0" : "false", now }, error);
  if (ended == NULL)
    return FALSE;
  session = mira_db_query (db, "INSERT INTO client_sessions (id, network_id, client_id,"
                               " session_token, capabilities, connected_at, last_activity)"
                               " SELECT $3, $1, c.id, $4, c.capabilities, $5, $5 FROM clients c"
                               " WHERE c.network_id = $1 AND c.client_id = $2",
                           5, (const char *[]) { call->net_uuid, client_id, session_id, hash,
                                                 now }, error);
  if (session == NULL)
    return FALSE;
  touched = mira_db_query (db, "UPDATE networks SET last_activity = $2 WHERE id = $1", 2,
                           (const char *[]) { call->net_uuid, now }, error);
  if (touched == NULL)
    return FALSE;

  mira_api_call_emit (call, "client_registered", "client", client);
  json_object_set_string_member (client, "session_token", token);
  mira_api_call_respond_object (call, created ? 201 : 200, g_steal_pointer (&client));
  return TRUE;
}

gboolean
mira_api_client_deregister (MiraApiCall  *call,
                            MiraDb       *db,
                            GError      **error)
{
  const char *client_id = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) client = NULL;

  if (call->auth == MIRA_AUTH_SESSION && g_strcmp0 (call->session_client, client_id) != 0)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_FORBIDDEN,
                   "A session token can only deregister its own client");
      return FALSE;
    }
  client = mira_entity_delete (db, call->net_uuid, call->network_id, &mira_entity_client,
                               client_id, error);
  if (client == NULL)
    return mira_api_error_refine (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND,
                                  MIRA_API_ERROR_CLIENT_NOT_FOUND);
  mira_api_call_emit (call, "client_deregistered", "client", client);
  call->status = 204;
  return TRUE;
}

/* The network's own chain, when its setting names one: "network_transcriber"
 * (the setting) and "network_transcribers" (its backends' states, shared
 * with the audio hub's chain of the network). A setting this server cannot
 * build a chain of is listed as one failing entry saying why: the network's
 * audio is then not transcribed.
 */
static gboolean
network_transcribers (MiraApiCall  *call,
                      MiraDb       *db,
                      JsonObject   *out,
                      GError      **error)
{
  g_autoptr(MiraNetworkSetting) setting = NULL;
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(GError) chain_error = NULL;
  const char *spec;

  if (!mira_networks_get_setting (db, call->network_id, "transcriber", &setting, error))
    return FALSE;
  if (setting == NULL || setting->value == NULL || !JSON_NODE_HOLDS_VALUE (setting->value) ||
      json_node_get_value_type (setting->value) != G_TYPE_STRING)
    return TRUE;
  spec = json_node_get_string (setting->value);
  json_object_set_string_member (out, "network_transcriber", spec);
  chain = mira_transcriber_chain_derive (call->config->transcribers, spec, &chain_error);
  if (chain != NULL)
    json_object_set_array_member (out, "network_transcribers",
                                  mira_transcriber_chain_get_states (chain));
  else
    {
      JsonArray *states = json_array_new ();
      JsonObject *state = json_object_new ();

      json_object_set_string_member (state, "name", spec);
      json_object_set_string_member (state, "state", "failing");
      json_object_set_string_member (state, "error", chain_error->message);
      json_array_add_object_element (states, state);
      json_object_set_array_member (out, "network_transcribers", states);
    }
  return TRUE;
}

gboolean
mira_api_service_info (MiraApiCall  *call,
                       MiraDb       *db,
                       GError      **error)
{
  g_autoptr(JsonObject) network = NULL;
  g_autoptr(JsonObject) clients = NULL;
  JsonObject *out;
  JsonObject *server;
  JsonArray *items;
  guint active = 0;

  network = mira_networks_get (db, call->net_uuid, error);
  if (network == NULL)
    return FALSE;
  clients = mira_entity_list (db, call->net_uuid, call->network_id, &mira_entity_client, NULL,
                              500, 0, error);
  if (clients == NULL)
    return FALSE;

  items = json_object_get_array_member (clients, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *client = json_array_get_object_element (items, i);

      active += g_strcmp0 (json_object_get_string_member (client, "connection_status"),
                           "connected") == 0;
    }

  out = json_object_new ();
  json_object_set_object_member (out, "network", g_steal_pointer (&network));
  json_object_set_array_member (out, "clients", json_array_ref (items));
  json_object_set_int_member (out, "active_clients", active);
  json_object_set_member (out, "best_stream",
                          call->config->hub ? mira_audio_hub_get_best (call->config->hub,
                                                                       call->network_id)
                                            : json_node_init_null (json_node_alloc ()));
  server = json_object_new ();
  json_object_set_string_member (server, "version", PACKAGE_VERSION);
  json_object_set_string_member (server, "transcriber", call->config->transcriber);
  if (call->config->transcribers != NULL)
    {
      json_object_set_array_member (server, "transcribers",
                                    mira_transcriber_chain_get_states (call->config->transcribers));
      if (!network_transcribers (call, db, out, error))
        return FALSE;
    }
  json_object_set_object_member (out, "server", server);
  mira_api_call_respond_object (call, 200, out);
  return TRUE;
}
