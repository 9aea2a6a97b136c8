/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

#include "mira-clients.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-event.h"
#include "mira-json.h"
#include "mira-util.h"

JsonObject *
mira_clients_set_connected (MiraDb      *db,
                            const char  *network_id,
                            const char  *client_id,
                            gboolean     connected,
                            GPtrArray   *events_out,
                            GError     **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autoptr(MiraDbResult) network = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  JsonObject *client;
  const char *net_uuid;

  network = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1", 1,
                           (const char *[]) { network_id }, error);
  if (network == NULL)
    return NULL;
  if (mira_db_result_n_rows (network) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  net_uuid = mira_db_result_get (network, 0, 0);

  res = mira_db_query (db, "UPDATE clients SET connection_status = $3, last_seen = $4,"
                           " updated_at = $4 WHERE network_id = $1 AND client_id = $2",
                       4, (const char *[]) { net_uuid, client_id,
                                             connected ? "connected" : "disconnected", now },
                       error);
  if (res == NULL)
    return NULL;
  client = mira_entity_get (db, net_uuid, network_id, &mira_entity_client, client_id, error);
  if (client == NULL)
    return NULL;
  if (events_out != NULL)
    g_ptr_array_add (events_out,
                     mira_event_new (connected ? "client_connected" : "client_disconnected",
                                     network_id, "client", client));
  return client;
}

/* The longest device name kept for display, in characters */
#define DEVICE_NAME_MAX 200

/* {"name": @device_name}, the name as the person typed it */
static char *
device_info_text (const char *device_name)
{
  g_autoptr(JsonObject) info = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *valid = g_utf8_make_valid (device_name, -1);
  g_autofree char *name = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1),
                                                           DEVICE_NAME_MAX));

  json_object_set_string_member (info, "name", name);
  node = json_node_init_object (json_node_alloc (), info);
  return mira_json_to_string (node, FALSE);
}

JsonObject *
mira_clients_open_stream (MiraDb      *db,
                          const char  *net_uuid,
                          const char  *network_id,
                          const char  *client_id,
                          gboolean     register_new,
                          const char  *device_type,
                          const char  *device_name,
                          GPtrArray   *events_out,
                          GError     **error)
{
  g_autoptr(MiraDbResult) existing = NULL;

  existing = mira_db_query (db, "SELECT 1 FROM clients WHERE network_id = $1 AND client_id = $2",
                            2, (const char *[]) { net_uuid, client_id }, error);
  if (existing == NULL)
    return NULL;
  if (mira_db_result_n_rows (existing) == 0)
    {
      g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      g_autoptr(JsonObject) client = NULL;

      if (!register_new)
        {
          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND,
                       "Client '%s' is not registered in this network", client_id);
          return NULL;
        }
      g_hash_table_insert (values, (gpointer) "client_id", g_strdup (client_id));
      g_hash_table_insert (values, (gpointer) "device_type", g_strdup (device_type));
      g_hash_table_insert (values, (gpointer) "capabilities", g_strdup ("[\"audio\"]"));
      if (device_name != NULL && device_name[0] != '\0')
        g_hash_table_insert (values, (gpointer) "device_info", device_info_text (device_name));
      client = mira_entity_insert (db, net_uuid, network_id, &mira_entity_client, values, error);
      if (client == NULL)
        return NULL;
      if (events_out != NULL)
        g_ptr_array_add (events_out,
                         mira_event_new ("client_registered", network_id, "client", client));
    }
  return mira_entity_get (db, net_uuid, network_id, &mira_entity_client, client_id, error);
}
