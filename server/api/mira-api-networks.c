/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Networks: the accounts (store/mira-networks.h). Their tokens are shown once. */

#include "mira-api.h"
#include "mira-api-error.h"
#include "mira-api-private.h"

#include "mira-db.h"
#include "mira-networks.h"
#include "mira-util.h"

/* Member @name of @input as a string: NULL when absent (or null, where
 * @nullable); FALSE with MIRA_API_ERROR_INVALID when it is anything else.
 * Its value is the domain's to check.
 */
static gboolean
read_text (JsonObject   *input,
           const char   *name,
           gboolean      nullable,
           const char  **text,
           GError      **error)
{
  JsonNode *node = json_object_get_member (input, name);

  *text = NULL;
  if (node == NULL || (nullable && JSON_NODE_HOLDS_NULL (node)))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field '%s' must be a string", name);
      return FALSE;
    }
  *text = json_node_get_string (node);
  return TRUE;
}

static gboolean
check_members (JsonObject          *input,
               const char * const  *allowed,
               GError             **error)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init (&iter, input);
  while (json_object_iter_next (&iter, &name, NULL))
    if (!g_strv_contains (allowed, name))
      {
        g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Unknown field '%s'", name);
        return FALSE;
      }
  return TRUE;
}

/* Writes each member of the "settings" object; a null value removes the key. */
static gboolean
apply_settings (MiraApiCall  *call,
                MiraDb       *db,
                JsonObject   *input,
                GError      **error)
{
  JsonNode *node = json_object_get_member (input, "settings");
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'settings' must be an object");
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (JSON_NODE_HOLDS_NULL (value))
        {
          g_autoptr(MiraDbResult) res = NULL;

          res = mira_db_query (db, "DELETE FROM network_settings WHERE network_id = $1"
                                   " AND setting_key = $2", 2,
                               (const char *[]) { call->net_uuid, key }, error);
          if (res == NULL)
            return FALSE;
        }
      else if (!mira_api_setting_store (call, db, key, value, NULL, error))
        {
          g_prefix_error (error, "settings.%s: ", key);
          return FALSE;
        }
    }
  return mira_api_settings_sync (call, db, error);
}

static char *
websocket_url (MiraApiCall *call,
               const char  *network_id)
{
  const char *base = call->base_url ? call->base_url : "http://localhost";
  const char *rest = g_str_has_prefix (base, "https:") ? base + 5 : base + 4;

  return g_strdup_printf ("%s%s/api/v1/%s/ws", g_str_has_prefix (base, "https:") ? "wss" : "ws",
                          rest, network_id);
}

gboolean
mira_api_network_create (MiraApiCall  *call,
                         MiraDb       *db,
                         GError      **error)
{
  static const char * const allowed[] = { "name", "description", "settings", NULL };
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(JsonObject) network = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  const char *name, *description;

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL || !check_members (input, allowed, error) ||
      !read_text (input, "name", FALSE, &name, error) ||
      !read_text (input, "description", TRUE, &description, error))
    return FALSE;
  if (name == NULL)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Field 'name' is required");
      return FALSE;
    }

  network = mira_networks_create (db, name, description, &token, error);
  if (network == NULL)
    return FALSE;
  call->network_id = g_strdup (json_object_get_string_member (network, "network_id"));
  call->net_uuid = mira_network_lookup_uuid (db, call->network_id, error);
  if (call->net_uuid == NULL)
    return FALSE;
  /* Its settings, as they read back */
  if (json_object_has_member (input, "settings"))
    {
      g_clear_pointer (&network, json_object_unref);
      if (!apply_settings (call, db, input, error) ||
          (network = mira_networks_get (db, call->net_uuid, error)) == NULL)
        return FALSE;
    }
  url = websocket_url (call, call->network_id);
  /* Not before: a setting refused rolls the network back */
  g_message ("network %s created", call->network_id);
  json_object_set_string_member (network, "network_token", token);
  json_object_set_string_member (network, "websocket_url", url);
  mira_api_call_respond_object (call, 201, g_steal_pointer (&network));
  return TRUE;
}

gboolean
mira_api_network_get (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  JsonObject *network = mira_networks_get (db, call->net_uuid, error);

  if (network == NULL)
    return FALSE;
  mira_api_call_respond_object (call, 200, network);
  return TRUE;
}

gboolean
mira_api_network_patch (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  static const char * const allowed[] = { "name", "description", "settings", "status", NULL };
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(JsonObject) network = NULL;
  MiraNetworkChange change = { 0 };

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL || !check_members (input, allowed, error) ||
      !read_text (input, "name", FALSE, &change.name, error) ||
      !read_text (input, "description", TRUE, &change.description, error))
    return FALSE;
  change.set_description = json_object_has_member (input, "description");

  if (json_object_has_member (input, "status"))
    {
      JsonNode *node = json_object_get_member (input, "status");

      if (call->auth != MIRA_AUTH_ADMIN)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_ADMIN_REQUIRED,
                       "Only the admin token can change a network's status");
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field 'status' must be one of: active, inactive, suspended");
          return FALSE;
        }
      change.status = json_node_get_string (node);
    }

  /* The settings first, so that network_updated shows them */
  if (!apply_settings (call, db, input, error))
    return FALSE;
  network = mira_networks_update (db, call->net_uuid, &change, call->events, error);
  if (network == NULL)
    return FALSE;
  mira_api_call_respond_object (call, 200, g_steal_pointer (&network));
  return TRUE;
}

gboolean
mira_api_network_delete (MiraApiCall  *call,
                         MiraDb       *db,
                         GError      **error)
{
  g_autoptr(JsonObject) network = mira_networks_delete (db, call->net_uuid, call->events, error);

  if (network == NULL)
    return FALSE;
  call->status = 204;
  return TRUE;
}

gboolean
mira_api_network_list (MiraApiCall  *call,
                       MiraDb       *db,
                       GError      **error)
{
  static const char * const statuses[] = { "active", "inactive", "suspended", NULL };
  const char *status = call->query ? g_hash_table_lookup (call->query, "status") : NULL;
  JsonArray *items;
  JsonObject *out;
  guint limit, offset;
  guint64 total;

  if (!mira_api_call_parse_paging (call, &limit, &offset, error))
    return FALSE;
  if (status != NULL && !g_strv_contains (statuses, status))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "Query parameter 'status' must be one of: active, inactive, suspended");
      return FALSE;
    }
  items = mira_networks_list (db, status, limit, offset, &total, error);
  if (items == NULL)
    return FALSE;
  out = json_object_new ();
  json_object_set_array_member (out, "items", items);
  json_object_set_int_member (out, "total", total);
  json_object_set_int_member (out, "limit", limit);
  json_object_set_int_member (out, "offset", offset);
  mira_api_call_respond_object (call, 200, out);
  return TRUE;
}

gboolean
mira_api_network_rotate_token (MiraApiCall  *call,
                               MiraDb       *db,
                               GError      **error)
{
  g_autofree char *token = mira_token_new ("mnt_");
  g_autofree char *hash = mira_sha256_hex (token);
  g_autofree char *now = mira_timestamp_now ();
  g_autoptr(MiraDbResult) res = NULL;
  JsonObject *out;

  res = mira_db_query (db, "UPDATE networks SET token_hash = $2, updated_at = $3 WHERE id = $1",
                       3, (const char *[]) { call->net_uuid, hash, now }, error);
  if (res == NULL)
    return FALSE;
  out = json_object_new ();
  json_object_set_string_member (out, "network_id", call->network_id);
  json_object_set_string_member (out, "network_token", token);
  mira_api_call_respond_object (call, 200, out);
  return TRUE;
}
