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

void
mira_update_string (GObject     *item,
                    char       **field,
                    JsonObject  *object,
                    const char  *member,
                    GParamSpec  *pspec)
{
  if (json_object_has_member (object, member) &&
      mira_set_string (field, mira_json_get_string (object, member)))
    g_object_notify_by_pspec (item, pspec);
}

void
mira_update_date_time (GObject     *item,
                       GDateTime  **field,
                       JsonObject  *object,
                       const char  *member,
                       GParamSpec  *pspec,
                       GParamSpec  *usec_pspec)
{
  if (!json_object_has_member (object, member) ||
      !mira_set_date_time (field, mira_json_dup_date_time (object, member)))
    return;
  g_object_notify_by_pspec (item, pspec);
  if (usec_pspec != NULL)
    g_object_notify_by_pspec (item, usec_pspec);
}

char **
mira_json_dup_strv (JsonObject *object,
                    const char *member)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

gboolean
mira_set_date_time (GDateTime **field,
                    GDateTime  *value)
{
  if ((*field == NULL && value == NULL) ||
      (*field != NULL && value != NULL && g_date_time_equal (*field, value)))
    {
      g_clear_pointer (&value, g_date_time_unref);
      return FALSE;
    }
  g_clear_pointer (field, g_date_time_unref);
  *field = value;
  return TRUE;
}

gboolean
mira_strv_equal (char **a,
                 char **b)
{
  guint n_a = a ? g_strv_length (a) : 0;
  guint n_b = b ? g_strv_length (b) : 0;

  if (n_a != n_b)
    return FALSE;
  for (guint i = 0; i < n_a; i++)
    if (g_strcmp0 (a[i], b[i]) != 0)
      return FALSE;
  return TRUE;
}

gint64
mira_date_time_to_usec (GDateTime *time)
{
  return g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
}

char *
mira_date_time_format_iso8601 (GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}
