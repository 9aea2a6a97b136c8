/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

/* Networks: the accounts. Their tokens are shown once and stored as SHA-256. */

#include "mira-networks.h"

#include "mira-db.h"
#include "mira-event.h"
#include "mira-util.h"

#define NAME_MAX_CHARS 255
#define DESCRIPTION_MAX_CHARS 10000

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

void
mira_network_setting_free (MiraNetworkSetting *setting)
{
  if (setting == NULL)
    return;
  g_free (setting->key);
  g_clear_pointer (&setting->value, json_node_unref);
  g_free (setting->type);
  g_free (setting->created_at);
  g_free (setting->updated_at);
  g_free (setting);
}

gboolean
mira_networks_get_setting (MiraDb              *db,
                           const char          *network_id,
                           const char          *key,
                           MiraNetworkSetting **setting,
                           GError             **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  MiraNetworkSetting *found;

  *setting = NULL;
  res = mira_db_query (db, "SELECT s.setting_key, s.setting_value, s.setting_type,"
                           " s.created_at, s.updated_at FROM network_settings s"
                           " JOIN networks n ON n.id = s.network_id"
                           " WHERE n.network_id = $1 AND s.setting_key = $2",
                       2, (const char *[]) { network_id, key }, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_n_rows (res) == 0)
    return TRUE;
  found = g_new0 (MiraNetworkSetting, 1);
  found->key = g_strdup (mira_db_result_get (res, 0, 0));
  found->value = json_from_string (mira_db_result_get (res, 0, 1), NULL);
  found->type = g_strdup (mira_db_result_get (res, 0, 2));
  found->created_at = g_strdup (mira_db_result_get (res, 0, 3));
  found->updated_at = g_strdup (mira_db_result_get (res, 0, 4));
  *setting = found;
  return TRUE;
}

char *
mira_network_lookup_uuid (MiraDb      *db,
                          const char  *network_id,
                          GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1", 1,
                       (const char *[]) { network_id }, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  return g_strdup (mira_db_result_get (res, 0, 0));
}

JsonObject *
mira_networks_get (MiraDb      *db,
                   const char  *net_uuid,
                   GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, NETWORK_SELECT " WHERE n.id = $1", 1, &net_uuid, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  return network_from_row (res, 0);
}

static gboolean
is_status (const char *status)
{
  return g_strv_contains ((const char *[]) { "active", "inactive", "suspended", NULL }, status);
}

JsonArray *
mira_networks_list (MiraDb      *db,
                    const char  *status,
                    guint        limit,
                    guint        offset,
                    guint64     *total,
                    GError     **error)
{
  g_autoptr(MiraDbResult) count = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *limit_text = g_strdup_printf ("%u", MIN (limit, (guint) G_MAXINT));
  g_autofree char *offset_text = g_strdup_printf ("%u", offset);
  JsonArray *items;
  guint n_rows;

  if (status != NULL && !is_status (status))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
                   "Status must be one of: active, inactive, suspended");
      return NULL;
    }
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
    return NULL;

  items = json_array_new ();
  n_rows = mira_db_result_n_rows (res);
  for (guint i = 0; i < n_rows; i++)
    json_array_add_object_element (items, network_from_row (res, i));
  /* The count ran on a snapshot of its own: a network created or deleted
   * between the two statements must not show a total the page contradicts.
   * A last page (or an empty first one) is the rest; any other page counts
   * at least what it shows.
   */
  if (total != NULL && n_rows < limit && (n_rows > 0 || offset == 0))
    *total = (guint64) offset + n_rows;
  else if (total != NULL)
    *total = MAX (g_ascii_strtoull (mira_db_result_get (count, 0, 0), NULL, 10),
                  n_rows > 0 ? (guint64) offset + n_rows : 0);
  return items;
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  if (mira_str_is_blank (name))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID, "Field 'name' must not be empty");
      return FALSE;
    }
  if (g_utf8_strlen (name, -1) > NAME_MAX_CHARS)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
                   "Field 'name' is longer than %u characters", NAME_MAX_CHARS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_description (const char  *description,
                   GError     **error)
{
  if (description != NULL && g_utf8_strlen (description, -1) > DESCRIPTION_MAX_CHARS)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
                   "Field 'description' is longer than %u characters", DESCRIPTION_MAX_CHARS);
      return FALSE;
    }
  return TRUE;
}

JsonObject *
mira_networks_create (MiraDb      *db,
                      const char  *name,
                      const char  *description,
                      char       **network_token,
                      GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *token = mira_token_new ("mnt_");
  g_autofree char *hash = mira_sha256_hex (token);
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *net_uuid = mira_uuid_new ();
  g_autofree char *network_id = mira_network_id_new ();
  JsonObject *network;

  g_return_val_if_fail (network_token != NULL, NULL);

  if (!check_name (name, error) || !check_description (description, error))
    return NULL;
  res = mira_db_query (db, "INSERT INTO networks (id, network_id, name, description, token_hash,"
                           " created_at, updated_at, last_activity) VALUES ($1, $2, $3, $4, $5,"
                           " $6, $6, $6)", 6,
                       (const char *[]) { net_uuid, network_id, name, description, hash, now },
                       error);
  if (res == NULL)
    return NULL;
  network = mira_networks_get (db, net_uuid, error);
  if (network == NULL)
    return NULL;
  *network_token = g_steal_pointer (&token);
  return network;
}

JsonObject *
mira_networks_update (MiraDb                   *db,
                      const char               *net_uuid,
                      const MiraNetworkChange  *change,
                      GPtrArray                *events_out,
                      GError                  **error)
{
  g_autofree char *now = mira_timestamp_now ();
  const struct {
    const char *column;
    gboolean    set;
    const char *value;
  } columns[] = {
    { "name", change->name != NULL, change->name },
    { "description", change->set_description, change->description },
    { "status", change->status != NULL, change->status },
  };
  JsonObject *network;

  if ((change->name != NULL && !check_name (change->name, error)) ||
      (change->set_description && !check_description (change->description, error)))
    return NULL;
  if (change->status != NULL && !is_status (change->status))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
                   "Field 'status' must be one of: active, inactive, suspended");
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_autoptr(MiraDbResult) res = NULL;
      g_autofree char *sql = NULL;

      if (!columns[i].set)
        continue;
      sql = g_strdup_printf ("UPDATE networks SET %s = $2, updated_at = $3 WHERE id = $1",
                             columns[i].column);
      res = mira_db_query (db, sql, 3, (const char *[]) { net_uuid, columns[i].value, now },
                           error);
      if (res == NULL)
        return NULL;
    }

  network = mira_networks_get (db, net_uuid, error);
  if (network != NULL && events_out != NULL)
    g_ptr_array_add (events_out, mira_event_new ("network_updated",
                                                 json_object_get_string_member (network,
                                                                                "network_id"),
                                                 "network", network));
  return network;
}

JsonObject *
mira_networks_delete (MiraDb      *db,
                      const char  *net_uuid,
                      GPtrArray   *events_out,
                      GError     **error)
{
  g_autoptr(MiraDbResult) r1 = NULL;
  g_autoptr(MiraDbResult) r2 = NULL;
  g_autoptr(JsonObject) network = mira_networks_get (db, net_uuid, error);

  if (network == NULL)
    return NULL;
  r1 = mira_db_query (db, "DELETE FROM interactions WHERE network_id = $1", 1,
                      (const char *[]) { net_uuid }, error);
  if (r1 == NULL)
    return NULL;
  r2 = mira_db_query (db, "DELETE FROM networks WHERE id = $1", 1,
                      (const char *[]) { net_uuid }, error);
  if (r2 == NULL)
    return NULL;
  g_message ("network %s deleted", json_object_get_string_member (network, "network_id"));
  if (events_out != NULL)
    g_ptr_array_add (events_out, mira_event_new ("network_deleted",
                                                 json_object_get_string_member (network,
                                                                                "network_id"),
                                                 "network", network));
  return g_steal_pointer (&network);
}
