/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-core"

#include "mira-core-private.h"

const char *
mira_json_get_string (JsonObject *object,
                      const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

double
mira_json_get_double (JsonObject *object,
                      const char *member,
                      double      fallback)
{
  JsonNode *node = json_object_get_member (object, member);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return fallback;
}

GDateTime *
mira_json_dup_date_time (JsonObject *object,
                         const char *member)
{
  const char *text = mira_json_get_string (object, member);
  g_autoptr(GDateTime) utc = NULL;

  if (text == NULL)
    return NULL;
  utc = g_date_time_new_from_iso8601 (text, NULL);
  if (utc == NULL)
    return NULL;
  return g_date_time_to_local (utc);
}

gboolean
mira_set_string (char       **field,
                 const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}
