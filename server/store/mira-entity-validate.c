/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entity"

/* Input checked against an entity's fields (types, choices, lengths, required
 * fields, references into the same network) and turned into column values.
 */

#include "mira-entity-private.h"

#include <math.h>

#include "mira-db.h"
#include "mira-json.h"
#include "mira-time.h"
#include "mira-util.h"

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
      return g_strdup (mira_json_format_double (buf, json_node_get_double (node)));
    case MIRA_FIELD_BOOL:
      if (dialect == MIRA_DB_DIALECT_POSTGRESQL)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      return g_strdup (json_node_get_boolean (node) ? "1" : "0");
    case MIRA_FIELD_OBJECT:
    case MIRA_FIELD_ARRAY:
    case MIRA_FIELD_REF_ARRAY:
      return mira_json_to_string (node, FALSE);
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

#define INVALID(...) \
  (g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID, __VA_ARGS__), FALSE)

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
        *out_value = mira_json_to_string (root, FALSE);
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

          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
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
              g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID,
                           "Field '%s' is required", field->name);
              return NULL;
            }
        }
    }

  return g_steal_pointer (&values);
}

#undef INVALID
