/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-entity-json"

/* The entity engine writes rows as JSON two ways: as JsonObjects (one row,
 * and mira_entity_list()) and straight as text (mira_entity_list_json(), the
 * fast path of GET on a collection). A client must not be able to tell them
 * apart: for every entity, on SQLite and on PostgreSQL, over rows with every
 * kind of value (nulls; empty, nested and non-ASCII objects and arrays;
 * strings with quotes, backslashes, control characters, astral and
 * line-separator characters; integers, fractions, tiny, huge and negative
 * numbers; booleans; times), both give the same members in the same order
 * with the same values, and the text is JSON.
 */

#include <stdarg.h>

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-migrations.h"
#include "mira-test-pg.h"
#include "mira-test-scope.h"
#include "mira-util.h"

/* A string with everything JSON escapes, and some it need not: as it is
 * written inside a JSON string literal.
 */
#define TRICKY_IN_OBJECTS                                                        \
  "He said \\\"hi\\\", C:\\\\path\\\\ \\/ new\\nline\\ttab\\rret\\b\\f"          \
  "\\u0001\\u007f caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 </script>"             \
  " \\u2028\\u2029 {\\\"not\\\": [json]}"
/* Not inside objects and arrays: json-glib 1.6 writes U+001F unescaped
 * there, which neither database takes as JSON.
 */
#define TRICKY TRICKY_IN_OBJECTS " \\u001f"

/* Text kept until the case ends */
#define P(f, ...) mira_test_scope_printf ((f)->scope, __VA_ARGS__)

typedef struct
{
  MiraDbDialect  dialect;
  char          *uri;
  MiraDb        *db;
  char          *net_uuid;
  char          *network_id;
  MiraTestScope *scope;
} Fixture;

/* Runs @sql, with the network's UUID as $1 and @arg as $2, which must
 * write one row
 */
static void
write_one (Fixture    *f,
           const char *sql,
           const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) result = mira_db_query (f->db, sql, 2,
                                                  (const char *[]) { f->net_uuid, arg }, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (mira_db_result_affected (result), ==, 1);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dialect = GPOINTER_TO_INT (data);
  f->uri = f->dialect == MIRA_DB_DIALECT_POSTGRESQL ? mira_test_pg_new_database ()
                                                    : mira_test_sqlite_uri ();
  f->db = mira_db_open (f->uri, &error);
  g_assert_no_error (error);
  g_assert_true (mira_migrations_apply (f->db, &error));
  g_assert_no_error (error);

  f->net_uuid = mira_uuid_new ();
  f->network_id = mira_network_id_new ();
  /* Any token hash will do: no request is made with a token */
  write_one (f, "INSERT INTO networks (id, network_id, name, token_hash)"
                " VALUES ($1, CAST($2 AS TEXT), 'Home', CAST($2 AS TEXT))", f->network_id);
  f->scope = mira_test_scope_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->db, mira_db_close);
  g_clear_pointer (&f->uri, g_free);
  g_clear_pointer (&f->net_uuid, g_free);
  g_clear_pointer (&f->network_id, g_free);
  g_clear_pointer (&f->scope, mira_test_scope_free);
}

/* Validates @input as the API does and inserts it, with the columns the API
 * sets itself (@extra: column, value, …, NULL); returns the row's key.
 */
static char *insert (Fixture *f, const MiraEntity *entity, const char *input, ...)
  G_GNUC_NULL_TERMINATED;

static char *
insert (Fixture          *f,
        const MiraEntity *entity,
        const char       *input,
        ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (input, &error);
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) row = NULL;
  const char *column;
  va_list args;

  g_assert_no_error (error);
  values = mira_entity_validate (f->db, f->net_uuid, entity, json_node_get_object (node), TRUE,
                                 &error);
  g_assert_no_error (error);
  va_start (args, input);
  while ((column = va_arg (args, const char *)) != NULL)
    g_hash_table_insert (values, (gpointer) column, g_strdup (va_arg (args, const char *)));
  va_end (args);

  row = mira_entity_insert (f->db, f->net_uuid, f->network_id, entity, values, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (row, entity->key_name));
}

/* Fails at @path unless @a (from the JsonObject writer) and @b (the text
 * writer's, parsed) are the same JSON. Numbers compare by value: the
 * databases write 2.0 as 2.
 */
static void
assert_same_json (const char *path,
                  JsonNode   *a,
                  JsonNode   *b)
{
  if (JSON_NODE_TYPE (a) != JSON_NODE_TYPE (b))
    g_error ("%s: %s against %s", path, json_node_type_name (a), json_node_type_name (b));

  switch (JSON_NODE_TYPE (a))
    {
    case JSON_NODE_OBJECT:
      {
        g_autoptr(GList) a_names = json_object_get_members (json_node_get_object (a));
        g_autoptr(GList) b_names = json_object_get_members (json_node_get_object (b));

        g_assert_cmpuint (g_list_length (a_names), ==, g_list_length (b_names));
        for (GList *m = a_names, *n = b_names; m != NULL; m = m->next, n = n->next)
          {
            g_autofree char *inner = g_strdup_printf ("%s.%s", path, (char *) m->data);

            if (!g_str_equal (m->data, n->data))
              g_error ("%s: member %s where the other has %s", path, (char *) m->data,
                       (char *) n->data);
            assert_same_json (inner,
                              json_object_get_member (json_node_get_object (a), m->data),
                              json_object_get_member (json_node_get_object (b), n->data));
          }
        break;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *a_items = json_node_get_array (a);
        JsonArray *b_items = json_node_get_array (b);

        g_assert_cmpuint (json_array_get_length (a_items), ==, json_array_get_length (b_items));
        for (guint i = 0; i < json_array_get_length (a_items); i++)
          {
            g_autofree char *inner = g_strdup_printf ("%s[%u]", path, i);

            assert_same_json (inner, json_array_get_element (a_items, i),
                              json_array_get_element (b_items, i));
          }
        break;
      }

    case JSON_NODE_VALUE:
      {
        GType a_type = json_node_get_value_type (a);
        GType b_type = json_node_get_value_type (b);
        gboolean a_number = a_type == G_TYPE_INT64 || a_type == G_TYPE_DOUBLE;
        gboolean b_number = b_type == G_TYPE_INT64 || b_type == G_TYPE_DOUBLE;

        if (a_number && b_number)
          {
            if (a_type == G_TYPE_INT64 && b_type == G_TYPE_INT64)
              g_assert_cmpint (json_node_get_int (a), ==, json_node_get_int (b));
            else if (json_node_get_double (a) != json_node_get_double (b))
              g_error ("%s: %.17g against %.17g", path, json_node_get_double (a),
                       json_node_get_double (b));
          }
        else if (a_type != b_type)
          g_error ("%s: %s against %s", path, g_type_name (a_type), g_type_name (b_type));
        else if (a_type == G_TYPE_STRING)
          {
            if (!g_str_equal (json_node_get_string (a), json_node_get_string (b)))
              g_error ("%s: \"%s\" against \"%s\"", path, json_node_get_string (a),
                       json_node_get_string (b));
          }
        else if (a_type == G_TYPE_BOOLEAN)
          g_assert_cmpint (json_node_get_boolean (a), ==, json_node_get_boolean (b));
        else
          g_error ("%s: a value of type %s", path, g_type_name (a_type));
        break;
      }

    case JSON_NODE_NULL:
      break;
    }
}

/* Both writers' page of @entity with @query (a "k=v&…" string, or NULL);
 * the number of its items.
 */
static guint
check_list (Fixture          *f,
            const MiraEntity *entity,
            const char       *query,
            guint             limit,
            guint             offset)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) params = query ? g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE,
                                                             &error)
                                       : NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) from_object = NULL;
  g_autoptr(JsonNode) from_text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *path = g_strdup_printf ("%s?%s", entity->table, query ? query : "");

  g_assert_no_error (error);
  object = mira_entity_list (f->db, f->net_uuid, f->network_id, entity, params, limit, offset,
                             &error);
  g_assert_no_error (error);
  text = mira_entity_list_json (f->db, f->net_uuid, f->network_id, entity, params, limit,
                                offset, &error);
  g_assert_no_error (error);

  /* Strict JSON: no NaN, no stray control characters */
  if (!g_utf8_validate (text, -1, NULL) || !json_parser_load_from_data (parser, text, -1, &error))
    g_error ("%s: the text is not JSON (%s): %s", path, error ? error->message : "UTF-8", text);
  from_text = json_node_ref (json_parser_get_root (parser));
  from_object = json_node_init_object (json_node_alloc (), object);
  assert_same_json (path, from_object, from_text);
  return json_array_get_length (json_object_get_array_member (object, "items"));
}

static void
test_writers_agree (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *ann = NULL, *bob = NULL, *talk = NULL, *quiet = NULL, *said = NULL;
  g_autofree char *asked = NULL, *act = NULL;
  const MiraEntity *entities[] = {
    &mira_entity_client, &mira_entity_person, &mira_entity_conversation,
    &mira_entity_interaction, &mira_entity_reminder, &mira_entity_calendar_event,
    &mira_entity_action,
  };
  /* Rows of each, in the order above: none of them may compare empty */
  const guint n_rows[] = { 3, 3, 2, 3, 3, 3, 3 };

  /* Clients */
  g_free (insert (f, &mira_entity_client,
                  "{\"device_type\": \"esp32\", \"device_info\": {\"fw\": \"1.2\", \"nested\":"
                  " {\"deep\": [1, 2.5, -3e-7, \"x\", null, true, false, {}, []]}},"
                  " \"capabilities\": [\"audio\", \"text\"],"
                  " \"location\": {\"room\": \"" TRICKY_IN_OBJECTS "\"}, \"rssi\": -67.5}",
                  "client_id", "kitchen-mic", NULL));
  g_free (insert (f, &mira_entity_client,
                  "{\"device_type\": \"d\\\"\\\\\\n\\u0001\xc3\xa9\", \"capabilities\": [],"
                  " \"location\": null, \"rssi\": null}",
                  "client_id", "desk", NULL));
  g_free (insert (f, &mira_entity_client,
                  "{\"device_type\": \"phone\", \"device_info\": {\"\xc3\xa9t\xc3\xa9\": 1e300,"
                  " \"zero\": 0, \"neg\": -0.0, \"big\": 9007199254740993}, \"rssi\": 12345678.9}",
                  "client_id", "phone", NULL));
  write_one (f, "UPDATE clients SET connection_status = 'connected',"
             " last_seen = '2026-03-29T01:30:00.250Z', audio_quality_score = 0.1 + 0.2"
             " WHERE network_id = $1 AND client_id = $2", "kitchen-mic");
  write_one (f, "UPDATE clients SET audio_quality_score = NULL"
             " WHERE network_id = $1 AND client_id = $2", "desk");

  /* Persons: one with a voice signature, one nameless */
  ann = insert (f, &mira_entity_person,
                "{\"name\": \"" TRICKY "\", \"metadata\": {\"tags\": [\"a\", \"\\u00e9\"]}}",
                "\"index\"", "1", NULL);
  bob = insert (f, &mira_entity_person, "{\"name\": null}", "\"index\"", "2", NULL);
  g_free (insert (f, &mira_entity_person, "{\"name\": \"Cleo\", \"metadata\": {}}",
                  "\"index\"", "2147483647", NULL));
  write_one (f, "UPDATE persons SET voice_embedding = '[0.25, -1e-5]', voice_speech_s = 12.125"
             " WHERE network_id = $1 AND id = $2", ann);

  /* Conversations: one with people, summaries and a time; one bare and closed */
  talk = insert (f, &mira_entity_conversation,
                 P (f, "{\"title\": \"" TRICKY "\", \"topic_summary\": \"\","
                       " \"context_summary\": null, \"participants\": [\"%s\", \"%s\"],"
                       " \"metadata\": {\"a\": {\"b\": {\"c\": [[], [[]]]}}}}",
                    ann, bob), NULL);
  quiet = insert (f, &mira_entity_conversation, "{}", NULL);
  write_one (f, "UPDATE conversations SET status = 'closed', closed_at = '2026-10-25T00:59:59.999Z'"
             " WHERE network_id = $1 AND id = $2", quiet);

  /* Interactions: with every reference, with a local time, and bare */
  said = insert (f, &mira_entity_interaction,
                 P (f, "{\"content\": \"" TRICKY "\", \"interaction_type\": \"audio\","
                       " \"person_id\": \"%s\", \"conversation_id\": \"%s\","
                       " \"client_id\": \"kitchen-mic\","
                       " \"timestamp\": \"2026-03-29T02:30:00+02:00\","
                       " \"audio_quality_score\": 0.875, \"audio_duration\": 1e-3,"
                       " \"metadata\": {\"words\": [{\"w\": \"hi\", \"p\": 0.5}]}}",
                    ann, talk), NULL);
  g_free (insert (f, &mira_entity_interaction,
                  P (f, "{\"content\": \"remind me\", \"person_id\": \"%s\","
                        " \"conversation_id\": \"%s\", \"client_id\": null,"
                        " \"audio_quality_score\": null, \"audio_duration\": 3600}",
                     bob, talk), NULL));
  g_free (insert (f, &mira_entity_interaction,
                  "{\"content\": \"caf\xc3\xa9 \\\"quoted\\\"\", \"interaction_type\": \"system\"}",
                  NULL));

  /* Reminders */
  asked = insert (f, &mira_entity_reminder,
                  P (f, "{\"title\": \"" TRICKY "\", \"description\": null,"
                        " \"due_time\": \"2026-01-15T17:00:00Z\", \"priority\": \"urgent\","
                        " \"interaction_id\": \"%s\","
                        " \"reminder_settings\": {\"repeat\": [\"mon\"], \"lead_s\": 300}}",
                     said), NULL);
  g_free (insert (f, &mira_entity_reminder,
                  "{\"title\": \"t\", \"description\": \"\","
                  " \"due_time\": \"2000-02-29T00:00:00Z\", \"status\": \"completed\","
                  " \"interaction_id\": null}", NULL));
  g_free (insert (f, &mira_entity_reminder,
                  "{\"title\": \"later\", \"due_time\": \"2099-12-31T23:59:59.999Z\"}", NULL));

  /* Calendar events */
  g_free (insert (f, &mira_entity_calendar_event,
                  P (f, "{\"title\": \"Dentist\", \"description\": \"" TRICKY "\","
                        " \"start_time\": \"2026-10-25T02:30:00+01:00\","
                        " \"end_time\": \"2026-10-25T03:30:00Z\", \"location\": \"\","
                        " \"attendees\": [{\"name\": \"Ann\"}, \"Bob\", 3, null],"
                        " \"interaction_id\": \"%s\", \"reminder_settings\": {}}",
                     said), NULL));
  g_free (insert (f, &mira_entity_calendar_event,
                  "{\"title\": \"Instant\", \"start_time\": \"2026-01-01T00:00:00Z\","
                  " \"end_time\": null, \"location\": null, \"attendees\": []}", NULL));
  g_free (insert (f, &mira_entity_calendar_event,
                  "{\"title\": \"\xe6\x97\xa5\xe6\x9c\xac\","
                  " \"start_time\": \"1970-01-01T00:00:00Z\"}", NULL));

  /* Actions */
  act = insert (f, &mira_entity_action,
                P (f, "{\"interaction_id\": \"%s\", \"action_type\": \"remind\","
                      " \"action_data\": {\"due\": \"tomorrow\", \"n\": -1.5e-10},"
                      " \"status\": \"failed\", \"result\": null,"
                      " \"error_message\": \"" TRICKY "\"}",
                   said), NULL);
  g_free (insert (f, &mira_entity_action,
                  P (f, "{\"interaction_id\": \"%s\", \"action_type\": \"contact\","
                        " \"action_data\": {}, \"result\": {\"ok\": true, \"ids\": []}}",
                     said), NULL));
  g_free (insert (f, &mira_entity_action,
                  P (f, "{\"interaction_id\": \"%s\", \"action_type\": \"event\","
                        " \"action_data\": {\"nested\": {\"list\": [true, false, null]}}}",
                     said), NULL));
  write_one (f, "UPDATE actions SET completed_at = '2026-05-01T12:00:00.000Z'"
             " WHERE network_id = $1 AND id = $2", act);

  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      /* Every row; a page inside; past the end; no rows at all */
      g_assert_cmpuint (check_list (f, entities[i], NULL, 500, 0), ==, n_rows[i]);
      g_assert_cmpuint (check_list (f, entities[i], NULL, 1, 1), ==, 1);
      g_assert_cmpuint (check_list (f, entities[i], NULL, 10, 100), ==, 0);
      g_assert_cmpuint (check_list (f, entities[i], NULL, 0, 0), ==, 0);
    }

  /* Filtered lists, whose totals are counted apart; one that cannot match */
  g_assert_cmpuint (check_list (f, &mira_entity_client, "status=connected", 500, 0), ==, 1);
  g_assert_cmpuint (check_list (f, &mira_entity_conversation,
                                P (f, "person_id=%s", bob), 500, 0), ==, 1);
  g_assert_cmpuint (check_list (f, &mira_entity_interaction, "q=caf%C3%A9", 500, 0), ==, 2);
  g_assert_cmpuint (check_list (f, &mira_entity_interaction, "q=%21%21", 500, 0), ==, 0);
  g_assert_cmpuint (check_list (f, &mira_entity_reminder, "status=pending", 500, 0), ==, 2);
  g_assert_cmpuint (check_list (f, &mira_entity_action, "action_type=remind", 500, 0), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/entity-json/sqlite/writers-agree", Fixture,
              GINT_TO_POINTER (MIRA_DB_DIALECT_SQLITE), fixture_setup, test_writers_agree,
              fixture_teardown);
  g_test_add ("/entity-json/postgresql/writers-agree", Fixture,
              GINT_TO_POINTER (MIRA_DB_DIALECT_POSTGRESQL), fixture_setup, test_writers_agree,
              fixture_teardown);
  ret = g_test_run ();
  mira_test_pg_stop ();
  return ret;
}
