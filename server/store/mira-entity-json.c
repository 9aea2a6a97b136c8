/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entity"

/* Rows as the API shows them, written two ways: as JsonObjects (for single
 * rows and what is made of them: answers, events) and straight as text (the
 * fast path of GET on a collection). They must agree member for member;
 * tests/test-entity-json.c holds them to it on both databases.
 */

#include "mira-entity-private.h"

#include "mira-db.h"
#include "mira-json.h"

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

JsonObject *
mira_entity_page_to_json (const MiraEntity *entity,
                          const char       *network_id,
                          MiraDbResult     *rows,
                          gint64            total,
                          guint             limit,
                          guint             offset)
{
  JsonObject *out;
  JsonArray *items;

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
        g_string_append (out, mira_json_format_double (buf, g_ascii_strtod (value, NULL)));
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
mira_entity_page_to_json_text (const MiraEntity *entity,
                               const char       *network_id,
                               MiraDbResult     *rows,
                               gint64            total,
                               guint             limit,
                               guint             offset)
{
  GString *out;
  guint n;

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
