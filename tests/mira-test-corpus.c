/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test-corpus"

#include "mira-test-corpus.h"

#include "mira-extractor.h"
#include "mira-time.h"

/* A time member of @expected compared with @found's, as instants */
static gboolean
same_time (JsonObject *expected,
           JsonObject *found,
           const char *member,
           GTimeZone  *zone)
{
  const char *a = json_object_get_string_member_with_default (expected, member, NULL);
  const char *b = json_object_get_string_member_with_default (found, member, NULL);
  gint64 ms_a, ms_b;

  if (a == NULL || b == NULL)
    return a == b;
  if (!mira_time_parse (a, zone, MIRA_TIME_PARSE_DEFAULT, &ms_a, NULL))
    g_error ("corpus: %s \"%s\" is not a time", member, a);
  if (!mira_time_parse (b, zone, MIRA_TIME_PARSE_DEFAULT, &ms_b, NULL))
    return FALSE;
  return ms_a == ms_b;
}

static gboolean
same_action (JsonObject *expected,
             JsonObject *found,
             GTimeZone  *zone)
{
  static const char * const times[] = { "due_time", "start_time", "end_time", "time", NULL };
  g_autoptr(GList) members = json_object_get_members (expected);

  if (json_object_get_size (expected) != json_object_get_size (found))
    return FALSE;
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *member = l->data;
      JsonNode *a = json_object_get_member (expected, member);
      JsonNode *b = json_object_get_member (found, member);

      if (b == NULL)
        return FALSE;
      if (g_strv_contains (times, member))
        {
          if (!same_time (expected, found, member, zone))
            return FALSE;
        }
      else if (!json_node_equal (a, b))
        return FALSE;
    }
  return TRUE;
}

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

MiraTestCorpusResult *
mira_test_corpus_run (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  MiraTestCorpusResult *result = g_new0 (MiraTestCorpusResult, 1);
  JsonObject *root;
  JsonArray *cases;
  const char *default_time, *default_zone;

  mira_time_zones_load ();
  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("corpus %s: %s", path, error->message);
  root = json_node_get_object (json_parser_get_root (parser));
  default_time = json_object_get_string_member (root, "timestamp");
  default_zone = json_object_get_string_member (root, "timezone");
  cases = json_object_get_array_member (root, "cases");
  result->failures = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *text = json_object_get_string_member (c, "text");
      const char *zone_name = json_object_get_string_member_with_default (c, "timezone",
                                                                          default_zone);
      const char *said = json_object_get_string_member_with_default (c, "timestamp",
                                                                     default_time);
      JsonArray *expected = json_object_get_array_member (c, "actions");
      g_autoptr(GTimeZone) zone = mira_time_zone_get (zone_name);
      g_autoptr(GDateTime) said_at = NULL;
      g_autoptr(GPtrArray) found = NULL;
      g_autoptr(JsonArray) found_json = json_array_new ();
      gboolean exact;
      gint64 said_ms, start;

      if (zone == NULL)
        g_error ("corpus case %u: unknown zone %s", i, zone_name);
      if (!mira_time_parse (said, zone, MIRA_TIME_PARSE_DEFAULT, &said_ms, &error))
        g_error ("corpus case %u: %s", i, error->message);
      said_at = g_date_time_new_from_unix_utc (said_ms / 1000);

      start = g_get_monotonic_time ();
      found = mira_extractor_find (text, said_at, zone);
      result->elapsed_us += g_get_monotonic_time () - start;

      for (guint k = 0; k < found->len; k++)
        json_array_add_object_element (found_json,
                                       mira_action_to_json (g_ptr_array_index (found, k)));
      exact = found->len == json_array_get_length (expected);
      for (guint k = 0; exact && k < found->len; k++)
        exact = same_action (json_array_get_object_element (expected, k),
                             json_array_get_object_element (found_json, k), zone);

      result->n_cases++;
      result->n_actions_found += found->len;
      if (exact)
        result->n_exact++;
      if (json_array_get_length (expected) == 0)
        {
          result->n_quiet++;
          if (found->len == 0)
            result->n_quiet_exact++;
        }
      if (!exact)
        {
          g_autoptr(JsonNode) a = json_node_init_array (json_node_alloc (), expected);
          g_autoptr(JsonNode) b = json_node_init_array (json_node_alloc (), found_json);
          g_autofree char *expected_text = to_text (a);
          g_autofree char *found_text = to_text (b);

          g_string_append_printf (result->failures, "\"%s\" (%s, %s)\n  expected %s\n  found    %s\n",
                                  text, said, zone_name, expected_text, found_text);
        }
    }
  return result;
}

void
mira_test_corpus_free (MiraTestCorpusResult *result)
{
  if (result == NULL)
    return;
  g_string_free (result->failures, TRUE);
  g_free (result);
}
