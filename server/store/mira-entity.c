/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entity"

/* The entity engine's entry points: a network's time zone, lists, and reading,
 * inserting, updating and deleting one row. Its aspects share
 * mira-entity-private.h: validation (mira-entity-validate.c), the SQL of
 * reading (mira-entity-query.c) and rows as JSON (mira-entity-json.c).
 */

#include "mira-entity-private.h"

#include <string.h>

#include "mira-db.h"
#include "mira-time.h"
#include "mira-util.h"

const MiraField *
mira_entity_find_field (const MiraEntity *entity,
                        const char       *name)
{
  for (guint i = 0; i < entity->n_fields; i++)
    if (g_str_equal (entity->fields[i].name, name))
      return &entity->fields[i];
  return NULL;
}

GTimeZone *
mira_entity_time_zone (MiraDb      *db,
                       const char  *net_uuid,
                       GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonNode) value = NULL;
  GTimeZone *zone = NULL;

  res = mira_db_query (db, "SELECT setting_value FROM network_settings"
                           " WHERE network_id = $1 AND setting_key = 'timezone'",
                       1, &net_uuid, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) > 0)
    value = json_from_string (mira_db_result_get (res, 0, 0), NULL);
  /* A name stored before names were checked may be anything: it is looked
   * up like any other and, unknown, counts as UTC.
   */
  if (value != NULL && JSON_NODE_HOLDS_VALUE (value) &&
      json_node_get_value_type (value) == G_TYPE_STRING)
    zone = mira_time_zone_get (json_node_get_string (value));
  return zone != NULL ? zone : g_time_zone_new_utc ();
}

JsonObject *
mira_entity_list (MiraDb            *db,
                  const char        *net_uuid,
                  const char        *network_id,
                  const MiraEntity  *entity,
                  GHashTable        *query,
                  guint              limit,
                  guint              offset,
                  GError           **error)
{
  g_autoptr(MiraDbResult) rows = NULL;
  gint64 total;

  if (!mira_entity_query_rows (db, net_uuid, entity, query, limit, offset, &rows, &total, error))
    return NULL;
  return mira_entity_page_to_json (entity, network_id, rows, total, limit, offset);
}

char *
mira_entity_list_json (MiraDb            *db,
                       const char        *net_uuid,
                       const char        *network_id,
                       const MiraEntity  *entity,
                       GHashTable        *query,
                       guint              limit,
                       guint              offset,
                       GError           **error)
{
  g_autoptr(MiraDbResult) rows = NULL;
  gint64 total;

  if (!mira_entity_query_rows (db, net_uuid, entity, query, limit, offset, &rows, &total, error))
    return NULL;
  return mira_entity_page_to_json_text (entity, network_id, rows, total, limit, offset);
}

static gboolean
check_key (const MiraEntity  *entity,
           const char        *key,
           char             **normalized,
           GError           **error)
{
  if (entity->key_is_uuid ? !mira_is_uuid (key) : !mira_is_client_id (key))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_KEY,
                   "'%s' is not a valid %s id", key, entity->name);
      return FALSE;
    }
  *normalized = entity->key_is_uuid ? g_ascii_strdown (key, -1) : g_strdup (key);
  return TRUE;
}

static void
set_not_found (const MiraEntity  *entity,
               GError           **error)
{
  g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND,
               "%s not found in network", entity->label);
}

JsonObject *
mira_entity_get (MiraDb            *db,
                 const char        *net_uuid,
                 const char        *network_id,
                 const MiraEntity  *entity,
                 const char        *key,
                 GError           **error)
{
  g_autofree char *id = NULL;
  g_autofree char *select = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(MiraDbResult) res = NULL;

  if (!check_key (entity, key, &id, error))
    return NULL;

  select = mira_entity_select_sql (entity);
  sql = g_strdup_printf ("%s WHERE t.network_id = $1 AND t.%s = $2", select, entity->key_column);
  res = mira_db_query (db, sql, 2, (const char *[]) { net_uuid, id }, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) == 0)
    {
      set_not_found (entity, error);
      return NULL;
    }
  return mira_entity_row_to_json (entity, network_id, res, 0);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* Columns in a stable order, so that the SQL text (and its prepared statement) is reused. */
static GPtrArray *
sorted_columns (GHashTable *values)
{
  GPtrArray *columns = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (columns, key);
  g_ptr_array_sort (columns, compare_strings);
  return columns;
}

JsonObject *
mira_entity_insert (MiraDb            *db,
                    const char        *net_uuid,
                    const char        *network_id,
                    const MiraEntity  *entity,
                    GHashTable        *values,
                    GError           **error)
{
  g_autoptr(GPtrArray) columns = sorted_columns (values);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GString) placeholders = g_string_new (NULL);
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *key = NULL;

  g_string_printf (sql, "INSERT INTO %s (network_id, created_at, updated_at", entity->table);
  g_string_append (placeholders, "$1, $2, $2");
  g_ptr_array_add (params, g_strdup (net_uuid));
  g_ptr_array_add (params, g_strdup (now));

  key = mira_uuid_new ();
  g_string_append (sql, ", id");
  g_string_append_printf (placeholders, ", $%u", params->len + 1);
  g_ptr_array_add (params, g_strdup (key));
  if (!entity->key_is_uuid)
    {
      g_free (key);
      key = g_strdup (g_hash_table_lookup (values, entity->key_column));
    }

  for (guint i = 0; i < columns->len; i++)
    {
      const char *column = g_ptr_array_index (columns, i);

      g_string_append_printf (sql, ", %s", column);
      g_string_append_printf (placeholders, ", $%u", params->len + 1);
      g_ptr_array_add (params, g_strdup (g_hash_table_lookup (values, column)));
    }
  g_string_append_printf (sql, ") VALUES (%s)", placeholders->str);

  res = mira_db_queryv (db, sql->str, params, error);
  if (res == NULL)
    return NULL;
  return mira_entity_get (db, net_uuid, network_id, entity, key, error);
}

JsonObject *
mira_entity_update (MiraDb            *db,
                    const char        *net_uuid,
                    const char        *network_id,
                    const MiraEntity  *entity,
                    const char        *key,
                    GHashTable        *values,
                    GError           **error)
{
  g_autoptr(GPtrArray) columns = sorted_columns (values);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autofree char *id = NULL;

  if (!check_key (entity, key, &id, error))
    return NULL;

  g_ptr_array_add (params, g_strdup (net_uuid));
  g_ptr_array_add (params, g_strdup (id));
  g_ptr_array_add (params, mira_timestamp_now ());
  g_string_printf (sql, "UPDATE %s SET updated_at = $3", entity->table);
  for (guint i = 0; i < columns->len; i++)
    {
      const char *column = g_ptr_array_index (columns, i);

      g_string_append_printf (sql, ", %s = $%u", column, params->len + 1);
      g_ptr_array_add (params, g_strdup (g_hash_table_lookup (values, column)));
    }
  g_string_append_printf (sql, " WHERE network_id = $1 AND %s = $2", entity->key_column);

  res = mira_db_queryv (db, sql->str, params, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_affected (res) == 0)
    {
      set_not_found (entity, error);
      return NULL;
    }
  return mira_entity_get (db, net_uuid, network_id, entity, id, error);
}

JsonObject *
mira_entity_delete (MiraDb            *db,
                    const char        *net_uuid,
                    const char        *network_id,
                    const MiraEntity  *entity,
                    const char        *key,
                    GError           **error)
{
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *id = NULL;

  before = mira_entity_get (db, net_uuid, network_id, entity, key, error);
  if (before == NULL)
    return NULL;
  check_key (entity, key, &id, NULL);

  sql = g_strdup_printf ("DELETE FROM %s WHERE network_id = $1 AND %s = $2",
                         entity->table, entity->key_column);
  res = mira_db_query (db, sql, 2, (const char *[]) { net_uuid, id }, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_affected (res) == 0)
    {
      set_not_found (entity, error);
      return NULL;
    }
  return g_steal_pointer (&before);
}

gboolean
mira_entity_lock_network (MiraDb      *db,
                          const char  *net_uuid,
                          GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  /* SQLite write transactions are already exclusive (BEGIN IMMEDIATE). */
  if (mira_db_get_dialect (db) == MIRA_DB_DIALECT_SQLITE)
    return TRUE;
  res = mira_db_query (db, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, &net_uuid, error);
  return res != NULL;
}
