/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Networks: the accounts. Their tokens are shown once and stored as SHA-256. */

#include "mira-api.h"
#include "mira-api-private.h"

#include "mira-db.h"
#include "mira-error.h"
#include "mira-util.h"

#define NETWORK_SELECT                                                                \
  "SELECT n.network_id, n.name, n.description, n.status, n.created_at, n.updated_at,"  \
  " n.last_activity, (SELECT count(*) FROM clients c WHERE c.network_id = n.id),"      \
  " n.settings, n.id FROM networks n"

static JsonObject *
network_from_row (MiraDbResult *res,
                  guint         row)
{
  JsonObject *object = json_object_new ();
  JsonNode *settings = json_from_string (mira_db_result_get (res, row, 8), NULL);

  json_object_set_string_member (object, "network_id", mira_db_result_get (res, row, 0));
  json_object_set_string_member (object, "name", mira_db_result_get (res, row, 1));
  json_object_set_string_member (object, "description", mira_db_result_get (res, row, 2));
  json_object_set_string_member (object, "status", mira_db_result_get (res, row, 3));
  json_object_set_string_member (object, "created_at", mira_db_result_get (res, row, 4));
  json_object_set_string_member (object, "updated_at", mira_db_result_get (res, row, 5));
  json_object_set_string_member (object, "last_activity", mira_db_result_get (res, row, 6));
  json_object_set_int_member (object, "client_count",
                              g_ascii_strtoll (mira_db_result_get (res, row, 7), NULL, 10));
  json_object_set_member (object, "settings",
                          settings ? settings : json_node_init_object (json_node_alloc (),
                                                                       json_object_new ()));
  return object;
}

JsonObject *
mira_api_load_network (MiraDb      *db,
                       const char  *net_uuid,
                       GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, NETWORK_SELECT " WHERE n.id = $1", 1, &net_uuid, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) == 0)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  return network_from_row (res, 0);
}

static gboolean
check_text (JsonObject  *input,
            const char  *name,
            gboolean     required,
            guint        max_length,
            GError     **error)
{
  JsonNode *node = json_object_get_member (input, name);
  const char *text;

  if (node == NULL)
    {
      if (required)
        g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Field '%s' is required", name);
      return !required;
    }
  if (!required && JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Field '%s' must be a string", name);
      return FALSE;
    }
  text = json_node_get_string (node);
  if (required && mira_str_is_blank (text))
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Field '%s' must not be empty", name);
      return FALSE;
    }
  if (g_utf8_strlen (text, -1) > (glong) max_length)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Field '%s' is longer than %u characters", name, max_length);
      return FALSE;
    }
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
        g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Unknown field '%s'", name);
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
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Field 'settings' must be an object");
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
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) network = NULL;
  g_autofree char *token = mira_token_new ("mnt_");
  g_autofree char *hash = mira_sha256_hex (token);
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *url = NULL;
  const char *description = NULL;

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL || !check_members (input, allowed, error) ||
      !check_text (input, "name", TRUE, 255, error) ||
      !check_text (input, "description", FALSE, 10000, error))
    return FALSE;
  if (json_object_has_member (input, "description") &&
      !json_object_get_null_member (input, "description"))
    description = json_object_get_string_member (input, "description");

  call->net_uuid = mira_uuid_new ();
  call->network_id = mira_network_id_new ();
  res = mira_db_query (db, "INSERT INTO networks (id, network_id, name, description, token_hash,"
                           " created_at, updated_at, last_activity) VALUES ($1, $2, $3, $4, $5,"
                           " $6, $6, $6)", 6,
                       (const char *[]) { call->net_uuid, call->network_id,
                                          json_object_get_string_member (input, "name"),
                                          description, hash, now }, error);
  if (res == NULL || !apply_settings (call, db, input, error))
    return FALSE;

  network = mira_api_load_network (db, call->net_uuid, error);
  if (network == NULL)
    return FALSE;
  url = websocket_url (call, call->network_id);
  json_object_set_string_member (network, "network_token", token);
  json_object_set_string_member (network, "websocket_url", url);
  g_message ("network %s created", call->network_id);
  mira_api_call_respond_object (call, 201, g_steal_pointer (&network));
  return TRUE;
}

gboolean
mira_api_network_get (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  JsonObject *network = mira_api_load_network (db, call->net_uuid, error);

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
  static const char * const statuses[] = { "active", "inactive", "suspended", NULL };
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(JsonObject) network = NULL;
  g_autofree char *now = mira_timestamp_now ();
  const char *fields[] = { "name", "description", "status" };

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL || !check_members (input, allowed, error) ||
      (json_object_has_member (input, "name") && !check_text (input, "name", TRUE, 255, error)) ||
      !check_text (input, "description", FALSE, 10000, error))
    return FALSE;

  if (json_object_has_member (input, "status"))
    {
      JsonNode *node = json_object_get_member (input, "status");

      if (call->auth != MIRA_AUTH_ADMIN)
        {
          call->error_code = g_strdup ("ADMIN_REQUIRED");
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_FORBIDDEN,
                       "Only the admin token can change a network's status");
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !g_strv_contains (statuses, json_node_get_string (node)))
        {
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "Field 'status' must be one of: active, inactive, suspended");
          return FALSE;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr(MiraDbResult) res = NULL;
      g_autofree char *sql = NULL;
      const char *value;

      if (!json_object_has_member (input, fields[i]))
        continue;
      value = json_object_get_null_member (input, fields[i])
                ? NULL : json_object_get_string_member (input, fields[i]);
      sql = g_strdup_printf ("UPDATE networks SET %s = $2, updated_at = $3 WHERE id = $1",
                             fields[i]);
      res = mira_db_query (db, sql, 3, (const char *[]) { call->net_uuid, value, now }, error);
      if (res == NULL)
        return FALSE;
    }
  if (!apply_settings (call, db, input, error))
    return FALSE;

  network = mira_api_load_network (db, call->net_uuid, error);
  if (network == NULL)
    return FALSE;
  mira_api_call_emit (call, "network_updated", "network", network);
  mira_api_call_respond_object (call, 200, g_steal_pointer (&network));
  return TRUE;
}

gboolean
mira_api_network_delete (MiraApiCall  *call,
                         MiraDb       *db,
                         GError      **error)
{
  g_autoptr(MiraDbResult) r1 = NULL;
  g_autoptr(MiraDbResult) r2 = NULL;
  g_autoptr(JsonObject) network = mira_api_load_network (db, call->net_uuid, error);

  if (network == NULL)
    return FALSE;
  r1 = mira_db_query (db, "DELETE FROM interactions WHERE network_id = $1", 1,
                      (const char *[]) { call->net_uuid }, error);
  if (r1 == NULL)
    return FALSE;
  r2 = mira_db_query (db, "DELETE FROM networks WHERE id = $1", 1,
                      (const char *[]) { call->net_uuid }, error);
  if (r2 == NULL)
    return FALSE;
  g_message ("network %s deleted", call->network_id);
  mira_api_call_emit (call, "network_deleted", "network", network);
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
  g_autoptr(MiraDbResult) count = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *limit_text = NULL;
  g_autofree char *offset_text = NULL;
  JsonArray *items = json_array_new ();
  JsonObject *out;
  guint limit, offset;

  if (!mira_api_call_parse_paging (call, &limit, &offset, error))
    {
      json_array_unref (items);
      return FALSE;
    }
  if (status != NULL && !g_strv_contains (statuses, status))
    {
      json_array_unref (items);
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
                   "Query parameter 'status' must be one of: active, inactive, suspended");
      return FALSE;
    }
  limit_text = g_strdup_printf ("%u", limit);
  offset_text = g_strdup_printf ("%u", offset);

  if (status != NULL)
    {
      count = mira_db_query (db, "SELECT count(*) FROM networks WHERE status = $1", 1, &status,
                             error);
      if (count != NULL)
        res = mira_db_query (db, NETWORK_SELECT " WHERE n.status = $1 ORDER BY n.created_at, n.id"
                                 " LIMIT CAST($2 AS INTEGER) OFFSET CAST($3 AS INTEGER)", 3,
                             (const char *[]) { status, limit_text, offset_text }, error);
    }
  else
    {
      count = mira_db_query (db, "SELECT count(*) FROM networks", 0, NULL, error);
      if (count != NULL)
        res = mira_db_query (db, NETWORK_SELECT " ORDER BY n.created_at, n.id"
                                 " LIMIT CAST($1 AS INTEGER) OFFSET CAST($2 AS INTEGER)", 2,
                             (const char *[]) { limit_text, offset_text }, error);
    }
  if (res == NULL)
    {
      json_array_unref (items);
      return FALSE;
    }

  for (guint i = 0; i < mira_db_result_n_rows (res); i++)
    json_array_add_object_element (items, network_from_row (res, i));
  out = json_object_new ();
  json_object_set_array_member (out, "items", items);
  json_object_set_int_member (out, "total",
                              g_ascii_strtoll (mira_db_result_get (count, 0, 0), NULL, 10));
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
