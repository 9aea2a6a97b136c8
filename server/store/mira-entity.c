/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entity"

#include "mira-entity.h"

#include <math.h>
#include <string.h>

#include "mira-db.h"
#include "mira-error.h"
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

static const char *
json_type_name (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "a number";
    }
}

static gboolean
node_is_value (JsonNode *node,
               GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

char *
mira_sql_value (MiraDbDialect  dialect,
                MiraFieldType  type,
                JsonNode      *node)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  switch (type)
    {
    case MIRA_FIELD_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case MIRA_FIELD_FLOAT:
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    case MIRA_FIELD_BOOL:
      if (dialect == MIRA_DB_DIALECT_POSTGRESQL)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      return g_strdup (json_node_get_boolean (node) ? "1" : "0");
    case MIRA_FIELD_OBJECT:
    case MIRA_FIELD_ARRAY:
    case MIRA_FIELD_REF_ARRAY:
      return json_to_string (node, FALSE);
    case MIRA_FIELD_TIMESTAMP:
      return mira_timestamp_normalize (json_node_get_string (node));
    case MIRA_FIELD_STRING:
    case MIRA_FIELD_REF:
    case MIRA_FIELD_CLIENT_REF:
    default:
      return g_strdup (json_node_get_string (node));
    }
}

static gboolean
ref_exists (MiraDb      *db,
            const char  *net_uuid,
            const char  *table,
            const char  *id,
            GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s WHERE network_id = $1 AND id = $2",
                                          table);
  const char *params[] = { net_uuid, id };
  g_autoptr(MiraDbResult) res = mira_db_query (db, sql, 2, params, error);

  return res != NULL && mira_db_result_n_rows (res) > 0;
}

static char *
resolve_client (MiraDb      *db,
                const char  *net_uuid,
                const char  *client_id,
                GError     **error)
{
  const char *params[] = { net_uuid, client_id };
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "SELECT id FROM clients WHERE network_id = $1 AND client_id = $2",
                       2, params, error);
  if (res == NULL || mira_db_result_n_rows (res) == 0)
    return NULL;
  return g_strdup (mira_db_result_get (res, 0, 0));
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

#define INVALID(...) \
  (g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, __VA_ARGS__), FALSE)

static gboolean
check_ref (MiraDb           *db,
           const char       *net_uuid,
           const MiraField  *field,
           const char       *id,
           GError          **error)
{
  GError *local = NULL;

  if (!mira_is_uuid (id))
    return INVALID ("Field '%s' must be a %s id (a UUID)", field->name, field->ref_name);
  if (!ref_exists (db, net_uuid, field->ref_table, id, &local))
    {
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      return INVALID ("Field '%s': no %s with id %s in this network",
                      field->name, field->ref_name, id);
    }
  return TRUE;
}

static gboolean
validate_field (MiraDb           *db,
                const char       *net_uuid,
                const MiraField  *field,
                JsonNode         *node,
                GTimeZone       **zone,
                char            **out_value,
                GError          **error)
{
  MiraDbDialect dialect = mira_db_get_dialect (db);

  *out_value = NULL;

  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (!(field->flags & MIRA_FIELD_NULLABLE))
        return INVALID ("Field '%s' must not be null", field->name);
      return TRUE;
    }

  switch (field->type)
    {
    case MIRA_FIELD_STRING:
      {
        const char *str;

        if (!node_is_value (node, G_TYPE_STRING))
          return INVALID ("Field '%s' must be a string, not %s", field->name,
                          json_type_name (node));
        str = json_node_get_string (node);
        if ((field->flags & MIRA_FIELD_NON_EMPTY) && mira_str_is_blank (str))
          return INVALID ("Field '%s' must not be empty", field->name);
        if (field->max_length > 0 && g_utf8_strlen (str, -1) > (glong) field->max_length)
          return INVALID ("Field '%s' is longer than %u characters", field->name,
                          field->max_length);
        if (field->choices != NULL && !g_strv_contains (field->choices, str))
          {
            g_autofree char *list = g_strjoinv (", ", (char **) field->choices);
            return INVALID ("Field '%s' must be one of: %s", field->name, list);
          }
        break;
      }

    case MIRA_FIELD_INT:
      if (!node_is_value (node, G_TYPE_INT64))
        return INVALID ("Field '%s' must be an integer, not %s", field->name,
                        json_type_name (node));
      break;

    case MIRA_FIELD_FLOAT:
      if (!node_is_value (node, G_TYPE_INT64) && !node_is_value (node, G_TYPE_DOUBLE))
        return INVALID ("Field '%s' must be a number, not %s", field->name,
                        json_type_name (node));
      if (!isfinite (json_node_get_double (node)))
        return INVALID ("Field '%s' must be a finite number", field->name);
      break;

    case MIRA_FIELD_BOOL:
      if (!node_is_value (node, G_TYPE_BOOLEAN))
        return INVALID ("Field '%s' must be a boolean, not %s", field->name,
                        json_type_name (node));
      break;

    case MIRA_FIELD_OBJECT:
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return INVALID ("Field '%s' must be an object, not %s", field->name,
                        json_type_name (node));
      break;

    case MIRA_FIELD_ARRAY:
      if (!JSON_NODE_HOLDS_ARRAY (node))
        return INVALID ("Field '%s' must be an array, not %s", field->name,
                        json_type_name (node));
      break;

    case MIRA_FIELD_TIMESTAMP:
      {
        g_autoptr(GError) reason = NULL;

        if (!node_is_value (node, G_TYPE_STRING))
          return INVALID ("Field '%s' must be a date-time string such as 2026-01-15T10:30:00Z,"
                          " not %s", field->name, json_type_name (node));
        /* Looked up once per request, and only when a time needs it */
        if (*zone == NULL && (*zone = mira_entity_time_zone (db, net_uuid, error)) == NULL)
          return FALSE;
        *out_value = mira_time_normalize (json_node_get_string (node), *zone,
                                          MIRA_TIME_PARSE_DEFAULT, &reason);
        if (*out_value == NULL)
          return INVALID ("Field '%s': %s", field->name, reason->message);
        return TRUE;
      }

    case MIRA_FIELD_REF:
      if (!node_is_value (node, G_TYPE_STRING))
        return INVALID ("Field '%s' must be a %s id (a UUID), not %s", field->name,
                        field->ref_name, json_type_name (node));
      {
        g_autofree char *id = g_ascii_strdown (json_node_get_string (node), -1);

        if (!check_ref (db, net_uuid, field, id, error))
          return FALSE;
        *out_value = g_steal_pointer (&id);
        return TRUE;
      }

    case MIRA_FIELD_REF_ARRAY:
      {
        JsonArray *array;
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(JsonNode) root = NULL;

        if (!JSON_NODE_HOLDS_ARRAY (node))
          return INVALID ("Field '%s' must be an array of %s ids, not %s", field->name,
                          field->ref_name, json_type_name (node));
        array = json_node_get_array (node);
        json_builder_begin_array (builder);
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            JsonNode *elem = json_array_get_element (array, i);
            char *id;

            if (!node_is_value (elem, G_TYPE_STRING))
              return INVALID ("Field '%s' must be an array of %s ids (UUID strings)",
                              field->name, field->ref_name);
            id = g_ascii_strdown (json_node_get_string (elem), -1);
            if (!g_hash_table_add (seen, id))
              continue;
            if (!check_ref (db, net_uuid, field, id, error))
              return FALSE;
            json_builder_add_string_value (builder, id);
          }
        json_builder_end_array (builder);
        root = json_builder_get_root (builder);
        *out_value = json_to_string (root, FALSE);
        return TRUE;
      }

    case MIRA_FIELD_CLIENT_REF:
      {
        GError *local = NULL;
        const char *client_id;

        if (!node_is_value (node, G_TYPE_STRING) ||
            !mira_is_client_id ((client_id = json_node_get_string (node))))
          return INVALID ("Field '%s' must be a client id", field->name);
        *out_value = resolve_client (db, net_uuid, client_id, &local);
        if (local != NULL)
          {
            g_propagate_error (error, local);
            return FALSE;
          }
        if (*out_value == NULL)
          return INVALID ("Field '%s': no client '%s' in this network", field->name, client_id);
        return TRUE;
      }
    }

  *out_value = mira_sql_value (dialect, field->type, node);
  return TRUE;
}

GHashTable *
mira_entity_validate (MiraDb            *db,
                      const char        *net_uuid,
                      const MiraEntity  *entity,
                      JsonObject        *input,
                      gboolean           create,
                      GError           **error)
{
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GTimeZone) zone = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, input);
  while (json_object_iter_next (&iter, &name, &node))
    {
      const MiraField *field = mira_entity_find_field (entity, name);
      char *value = NULL;

      if (field == NULL || !(field->flags & MIRA_FIELD_WRITABLE) || field->column == NULL)
        {
          gboolean known = field != NULL || g_str_equal (name, "id") ||
                           g_str_equal (name, "network_id") ||
                           g_str_equal (name, "created_at") || g_str_equal (name, "updated_at");

          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       known ? "Field '%s' is read-only" : "Unknown field '%s'", name);
          return NULL;
        }
      if (!validate_field (db, net_uuid, field, node, &zone, &value, error))
        return NULL;
      g_hash_table_insert (values, (gpointer) field->column, value);
    }

  if (create)
    {
      for (guint i = 0; i < entity->n_fields; i++)
        {
          const MiraField *field = &entity->fields[i];

          if ((field->flags & MIRA_FIELD_REQUIRED) &&
              !g_hash_table_contains (values, field->column))
            {
              g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                           "Field '%s' is required", field->name);
              return NULL;
            }
        }
    }

  return g_steal_pointer (&values);
}

#undef INVALID

static void
append_field_select (GString         *sql,
                     const MiraField *field)
{
  if (field->expr != NULL)
    g_string_append (sql, field->expr);
  else if (field->type == MIRA_FIELD_CLIENT_REF)
    g_string_append (sql, "tc.client_id");
  else
    g_string_append_printf (sql, "t.%s", field->column);
}

char *
mira_entity_select_sql (const MiraEntity *entity)
{
  GString *sql = g_string_new ("SELECT ");

  if (entity->key_is_uuid)
    g_string_append (sql, "t.id, ");
  for (guint i = 0; i < entity->n_fields; i++)
    {
      append_field_select (sql, &entity->fields[i]);
      g_string_append (sql, ", ");
    }
  g_string_append_printf (sql, "t.created_at, t.updated_at FROM %s t", entity->table);
  /* One join rather than a lookup per row (an entity has at most one client reference). */
  for (guint i = 0; i < entity->n_fields; i++)
    if (entity->fields[i].type == MIRA_FIELD_CLIENT_REF)
      g_string_append_printf (sql, " LEFT JOIN clients tc ON tc.id = t.%s",
                              entity->fields[i].column);
  return g_string_free (sql, FALSE);
}

static JsonNode *
value_to_node (MiraFieldType  type,
               const char    *value)
{
  JsonNode *node = json_node_alloc ();

  if (value == NULL)
    return json_node_init_null (node);

  switch (type)
    {
    case MIRA_FIELD_INT:
      return json_node_init_int (node, g_ascii_strtoll (value, NULL, 10));
    case MIRA_FIELD_FLOAT:
      return json_node_init_double (node, g_ascii_strtod (value, NULL));
    case MIRA_FIELD_BOOL:
      return json_node_init_boolean (node, mira_db_value_is_true (value));
    case MIRA_FIELD_OBJECT:
    case MIRA_FIELD_ARRAY:
    case MIRA_FIELD_REF_ARRAY:
      {
        JsonNode *parsed = json_from_string (value, NULL);

        if (parsed != NULL)
          {
            json_node_unref (node);
            return parsed;
          }
        return json_node_init_null (node);
      }
    default:
      return json_node_init_string (node, value);
    }
}

JsonObject *
mira_entity_row_to_json (const MiraEntity *entity,
                         const char       *network_id,
                         MiraDbResult     *result,
                         guint             row)
{
  JsonObject *object = json_object_new ();
  guint col = 0;

  if (entity->key_is_uuid)
    json_object_set_string_member (object, "id", mira_db_result_get (result, row, col++));
  json_object_set_string_member (object, "network_id", network_id);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      const MiraField *field = &entity->fields[i];

      json_object_set_member (object, field->name,
                              value_to_node (field->type, mira_db_result_get (result, row, col++)));
    }
  json_object_set_string_member (object, "created_at", mira_db_result_get (result, row, col++));
  json_object_set_string_member (object, "updated_at", mira_db_result_get (result, row, col++));
  return object;
}

static char *
fts5_query (const char *q)
{
  GString *out = g_string_new (NULL);
  g_autofree char *lower = g_utf8_strdown (q, -1);
  const char *p = lower;

  /* Each word becomes a quoted FTS5 string: no user text is ever FTS5 syntax. */
  while (*p != '\0')
    {
      const char *start;

      while (*p != '\0' && !g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p > start)
        g_string_append_printf (out, "%s\"%.*s\"", out->len ? " " : "", (int) (p - start), start);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  GString   *where;
  GPtrArray *params;
  gboolean   empty;     /* a filter that can match nothing */
  gboolean   filtered;
} Conditions;

static gboolean
build_conditions (MiraDb            *db,
                  const char        *net_uuid,
                  const MiraEntity  *entity,
                  GHashTable        *query,
                  Conditions        *cond,
                  GError           **error)
{
  g_autoptr(GTimeZone) zone = NULL;

  cond->where = g_string_new ("t.network_id = $1");
  cond->params = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (cond->params, g_strdup (net_uuid));

  for (guint i = 0; i < entity->n_filters && query != NULL; i++)
    {
      const MiraFilter *filter = &entity->filters[i];
      const char *raw = g_hash_table_lookup (query, filter->param);
      g_autofree char *value = NULL;
      g_autofree char *placeholder = NULL;
      g_auto(GStrv) parts = NULL;

      if (raw == NULL)
        continue;

      switch (filter->type)
        {
        case MIRA_FIELD_TIMESTAMP:
          {
            g_autoptr(GError) reason = NULL;

            if (zone == NULL && (zone = mira_entity_time_zone (db, net_uuid, error)) == NULL)
              return FALSE;
            value = mira_time_normalize (raw, zone, MIRA_TIME_PARSE_QUERY, &reason);
            if (value == NULL)
              {
                g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
                             "Query parameter '%s': %s", filter->param, reason->message);
                return FALSE;
              }
            break;
          }
        case MIRA_FIELD_REF:
          if (!mira_is_uuid (raw))
            {
              g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
                           "Query parameter '%s' must be a UUID", filter->param);
              return FALSE;
            }
          value = g_ascii_strdown (raw, -1);
          break;
        case MIRA_FIELD_CLIENT_REF:
          if (!mira_is_client_id (raw))
            {
              g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
                           "Query parameter '%s' must be a client id", filter->param);
              return FALSE;
            }
          value = g_strdup (raw);
          break;
        default:
          if (filter->choices != NULL && !g_strv_contains (filter->choices, raw))
            {
              g_autofree char *list = g_strjoinv (", ", (char **) filter->choices);
              g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
                           "Query parameter '%s' must be one of: %s", filter->param, list);
              return FALSE;
            }
          value = g_strdup (raw);
          break;
        }

      cond->filtered = TRUE;
      placeholder = g_strdup_printf ("$%u", cond->params->len + 1);

      if (filter->condition == NULL)
        {
          /* Full-text search on the text column of the entity, or of the
           * one that points to it
           */
          const char *table = filter->search_table ? filter->search_table : entity->table;
          const char *alias = filter->search_link ? "s" : "t";
          g_autofree char *match_sql = NULL;
          g_autofree char *title_sql = NULL;

          if (mira_db_get_dialect (db) == MIRA_DB_DIALECT_SQLITE)
            {
              char *match = fts5_query (value);

              if (*match == '\0')
                {
                  g_free (match);
                  cond->empty = TRUE;
                  continue;
                }
              match_sql = g_strdup_printf ("%s.rowid IN (SELECT rowid FROM %s_fts"
                                           " WHERE %s_fts MATCH %s)",
                                           alias, table, table, placeholder);
              g_ptr_array_add (cond->params, match);
            }
          else
            {
              match_sql = g_strdup_printf ("%s.text_search @@ plainto_tsquery('english', %s)",
                                           alias, placeholder);
              g_ptr_array_add (cond->params, g_strdup (value));
            }

          if (filter->search_link != NULL)
            {
              GString *linked = g_string_new (filter->search_link);

              g_string_replace (linked, "$M", match_sql, 1);
              g_clear_pointer (&match_sql, g_free);
              match_sql = g_string_free (linked, FALSE);
            }
          if (filter->search_title != NULL)
            {
              /* The words as typed, a substring of the title in any case */
              g_ptr_array_add (cond->params, g_strdup (value));
              title_sql = g_strdup_printf (" OR lower(t.%s) LIKE '%%' || lower($%u) || '%%'",
                                           filter->search_title, cond->params->len);
            }
          g_string_append_printf (cond->where, " AND (%s%s)", match_sql,
                                  title_sql ? title_sql : "");
          continue;
        }

      parts = g_strsplit (filter->condition, "$P", -1);
      g_string_append (cond->where, " AND ");
      {
        g_autofree char *joined = g_strjoinv (placeholder, parts);
        g_string_append (cond->where, joined);
      }
      g_ptr_array_add (cond->params, g_steal_pointer (&value));
    }

  return TRUE;
}

static void
conditions_clear (Conditions *cond)
{
  if (cond->where != NULL)
    g_string_free (cond->where, TRUE);
  g_clear_pointer (&cond->params, g_ptr_array_unref);
}

/* Runs the list: its rows (NULL when none can match) and the total. The
 * unfiltered total of a counted entity rides along as the rows' last column,
 * so a page costs one statement.
 */
static gboolean
list_rows (MiraDb            *db,
           const char        *net_uuid,
           const MiraEntity  *entity,
           GHashTable        *query,
           guint              limit,
           guint              offset,
           MiraDbResult     **rows_out,
           gint64            *total,
           GError           **error)
{
  Conditions cond = { 0 };
  g_autoptr(MiraDbResult) rows = NULL;
  g_autoptr(MiraDbResult) count = NULL;
  g_autofree char *select = NULL;
  g_autofree char *sql = NULL;
  gboolean counted = FALSE;
  gboolean ok = FALSE;

  *rows_out = NULL;
  *total = 0;
  if (!build_conditions (db, net_uuid, entity, query, &cond, error))
    goto out;
  if (cond.empty)
    {
      ok = TRUE;
      goto out;
    }

  if (limit > 0)
    {
      gboolean inline_count = !cond.filtered && entity->count_column != NULL;

      select = mira_entity_select_sql (entity);
      if (inline_count)
        {
          /* "SELECT a, b FROM t" → "SELECT a, b, (the count) FROM t" */
          const char *from = g_strrstr (select, " FROM ");
          char *with_count = g_strdup_printf ("%.*s, (SELECT n.%s FROM networks n"
                                              " WHERE n.id = $1)%s",
                                              (int) (from - select), select,
                                              entity->count_column, from);

          g_free (select);
          select = with_count;
        }
      sql = g_strdup_printf ("%s WHERE %s ORDER BY %s LIMIT CAST($%u AS INTEGER)"
                             " OFFSET CAST($%u AS INTEGER)",
                             select, cond.where->str, entity->order_by,
                             cond.params->len + 1, cond.params->len + 2);
      g_ptr_array_add (cond.params, g_strdup_printf ("%u", limit));
      g_ptr_array_add (cond.params, g_strdup_printf ("%u", offset));
      rows = mira_db_queryv (db, sql, cond.params, error);
      g_ptr_array_set_size (cond.params, cond.params->len - 2);
      if (rows == NULL)
        goto out;
      if (inline_count && mira_db_result_n_rows (rows) > 0)
        {
          *total = g_ascii_strtoll (mira_db_result_get (rows, 0,
                                                        mira_db_result_n_cols (rows) - 1),
                                    NULL, 10);
          counted = TRUE;
        }
    }

  if (!counted)
    {
      g_free (sql);
      if (!cond.filtered && entity->count_column != NULL)
        {
          sql = g_strdup_printf ("SELECT %s FROM networks WHERE id = $1", entity->count_column);
          count = mira_db_query (db, sql, 1, (const char *[]) { net_uuid }, error);
        }
      else
        {
          sql = g_strdup_printf ("SELECT count(*) FROM %s t WHERE %s", entity->table,
                                 cond.where->str);
          count = mira_db_queryv (db, sql, cond.params, error);
        }
      if (count == NULL)
        goto out;
      if (mira_db_result_n_rows (count) > 0)
        *total = g_ascii_strtoll (mira_db_result_get (count, 0, 0), NULL, 10);
    }

  *rows_out = g_steal_pointer (&rows);
  ok = TRUE;

out:
  conditions_clear (&cond);
  return ok;
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
  JsonObject *out;
  JsonArray *items;
  gint64 total;

  if (!list_rows (db, net_uuid, entity, query, limit, offset, &rows, &total, error))
    return NULL;

  items = json_array_new ();
  for (guint i = 0; rows != NULL && i < mira_db_result_n_rows (rows); i++)
    json_array_add_object_element (items, mira_entity_row_to_json (entity, network_id, rows, i));
  out = json_object_new ();
  json_object_set_array_member (out, "items", items);
  json_object_set_int_member (out, "total", total);
  json_object_set_int_member (out, "limit", limit);
  json_object_set_int_member (out, "offset", offset);
  return out;
}

static void
append_json_string (GString    *out,
                    const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          g_string_append (out, "\\u00");
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
          break;
        }
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

/* JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
static gboolean
is_json_number (const char *p)
{
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (g_ascii_isdigit (*p))
      p++;
  else
    return FALSE;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

static void
append_value (GString       *out,
              MiraFieldType  type,
              const char    *value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  switch (type)
    {
    case MIRA_FIELD_INT:
    case MIRA_FIELD_FLOAT:
      /* The databases' own text of a number is JSON already; anything else
       * (NaN, Infinity) is rewritten.
       */
      if (is_json_number (value))
        g_string_append (out, value);
      else
        g_string_append (out, g_ascii_dtostr (buf, sizeof buf, g_ascii_strtod (value, NULL)));
      break;
    case MIRA_FIELD_BOOL:
      g_string_append (out, mira_db_value_is_true (value) ? "true" : "false");
      break;
    case MIRA_FIELD_OBJECT:
    case MIRA_FIELD_ARRAY:
    case MIRA_FIELD_REF_ARRAY:
      /* Both databases only hold valid JSON here (jsonb; json_valid() checks). */
      g_string_append (out, value);
      break;
    default:
      append_json_string (out, value);
      break;
    }
}

/* The same object as mira_entity_row_to_json(), written straight as text. */
static void
append_row_json (GString          *out,
                 const MiraEntity *entity,
                 const char       *network_id,
                 MiraDbResult     *result,
                 guint             row)
{
  guint col = 0;

  g_string_append_c (out, '{');
  if (entity->key_is_uuid)
    {
      g_string_append (out, "\"id\":");
      append_value (out, MIRA_FIELD_STRING, mira_db_result_get (result, row, col++));
      g_string_append_c (out, ',');
    }
  g_string_append (out, "\"network_id\":");
  append_json_string (out, network_id);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      const MiraField *field = &entity->fields[i];

      g_string_append (out, ",\"");
      g_string_append (out, field->name);
      g_string_append (out, "\":");
      append_value (out, field->type, mira_db_result_get (result, row, col++));
    }
  g_string_append (out, ",\"created_at\":");
  append_value (out, MIRA_FIELD_STRING, mira_db_result_get (result, row, col++));
  g_string_append (out, ",\"updated_at\":");
  append_value (out, MIRA_FIELD_STRING, mira_db_result_get (result, row, col++));
  g_string_append_c (out, '}');
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
  GString *out;
  gint64 total;
  guint n;

  if (!list_rows (db, net_uuid, entity, query, limit, offset, &rows, &total, error))
    return NULL;

  n = rows ? mira_db_result_n_rows (rows) : 0;
  out = g_string_sized_new (256 + n * 512);
  g_string_append (out, "{\"items\":[");
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_row_json (out, entity, network_id, rows, i);
    }
  g_string_append_printf (out, "],\"total\":%" G_GINT64_FORMAT ",\"limit\":%u,\"offset\":%u}",
                          total, limit, offset);
  return g_string_free (out, FALSE);
}

static gboolean
check_key (const MiraEntity  *entity,
           const char        *key,
           char             **normalized,
           GError           **error)
{
  if (entity->key_is_uuid ? !mira_is_uuid (key) : !mira_is_client_id (key))
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_BAD_REQUEST,
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
  g_set_error (error, MIRA_ERROR, MIRA_ERROR_NOT_FOUND, "%s not found in network", entity->label);
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
