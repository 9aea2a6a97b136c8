/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-persons"

/* Persons: created, read, changed, deleted, and merged into one another.
 */

#include "mira-test-api.h"

static void
test_person_crud (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(MiraTestResponse) s1 = REQ (f->server, 201, "POST", f->session, Q ("{}"), "%s/persons",
                                        f->net->path);
  g_autoptr(MiraTestResponse) s2 = REQ (f->server, 201, "POST", f->net->token, NULL, "%s/persons",
                                        f->net->path);
  g_autoptr(MiraTestResponse) alice = REQ (f->server, 201, "POST", f->net->token,
                                           Q ("{'name': 'Alice', 'metadata': {'role': 'host'}}"),
                                           "%s/persons", f->net->path);
  const char *id = jstr (OBJ (alice), "id");
  JsonObject *o = OBJ (s1);

  g_assert_cmpstr (jstr (o, "name"), ==, "Speaker 1");
  g_assert_cmpint (jint (o, "index"), ==, 1);
  g_assert_cmpstr (jstr (o, "network_id"), ==, f->net->id);
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                                       jstr (o, "id"), 0, 0));
  g_assert_false (json_node_get_boolean (json_object_get_member (o, "has_voice_signature")));
  g_assert_cmpint (jint (o, "conversation_count"), ==, 0);
  g_assert_cmpstr (jstr (OBJ (s2), "name"), ==, "Speaker 2");
  g_assert_cmpint (jint (OBJ (s2), "index"), ==, 2);
  g_assert_cmpstr (jstr (OBJ (alice), "name"), ==, "Alice");
  g_assert_cmpint (jint (OBJ (alice), "index"), ==, 3);

  {
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->session, NULL, "%s/persons",
                                            f->net->path);
    g_autoptr(MiraTestResponse) one = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) upper = REQ (f->server, 200, "GET", f->session, NULL,
                                             "%s/persons/%s", f->net->path,
                                             pool_take (g_ascii_strup (id, -1)));

    g_assert_cmpint (total_of (list), ==, 3);
    g_assert_cmpstr (item_ids (list, "name"), ==, "Speaker 1 Speaker 2 Alice");
    g_assert_true (responses_equal (one, alice));
    g_assert_cmpstr (jstr (OBJ (upper), "id"), ==, id);
  }

  {
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->net->token,
                                           Q ("{'name': 'Alice B.'}"), "%s/persons/%s",
                                           f->net->path, id);
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/persons/%s", f->net->path, id);

    g_assert_cmpstr (jstr (OBJ (put), "name"), ==, "Alice B.");
    g_assert_cmpstr (jstr (json_object_get_object_member (OBJ (put), "metadata"), "role"), ==,
                     "host");
    g_assert_true (responses_equal (put, get));
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'index': 9}"), "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'name': ['x']}"), "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'metadata': 'x'}"), "%s/persons", f->net->path);
    /* A read-only member is refused unless it holds its current value */
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'id': '00000000-0000-4000-8000-000000000001'}"),
                                         "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 404, "PUT", f->net->token,
                                         Q ("{'name': 'x'}"), "%s/persons/%s", f->net->path,
                                         "00000000-0000-4000-8000-000000000000");
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/persons/%s", f->net->path, id);

    assert_detail_names (a, "index");
    assert_detail_names (b, "name");
    assert_detail_names (c, "metadata");
    assert_detail_names (d, "id");
    assert_code (e, "PERSON_NOT_FOUND");
    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "persons"), ==, 3);
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->session, NULL,
                                           "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->session, NULL,
                                         "%s/persons/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "DELETE", f->session, NULL,
                                         "%s/persons/%s", f->net->path, id);

    assert_code (a, "PERSON_NOT_FOUND");
    assert_code (b, "PERSON_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "persons"), ==, 2);
  }
}

static void
test_person_merge (Fixture       *f,
                   gconstpointer  data)
{
  const char *into = create (f->server, f->net, f->net->token, "persons", Q ("{'name': 'Ann'}"));
  const char *from = create (f->server, f->net, f->net->token, "persons", Q ("{'name': 'Speaker X'}"));
  const char *conversation = create (f->server, f->net, f->net->token, "conversations",
                                     Q ("{'participants': ['%s', '%s']}", into, from));
  const char *i1 = create (f->server, f->net, f->net->token, "interactions",
                           Q ("{'content': 'one', 'person_id': '%s', 'conversation_id': '%s'}",
                              from, conversation));
  g_autoptr(MiraTestResponse) r = NULL;

  create (f->server, f->net, f->net->token, "interactions",
          Q ("{'content': 'two', 'person_id': '%s', 'conversation_id': '%s'}", from,
             conversation));
  create (f->server, f->net, f->net->token, "interactions",
          Q ("{'content': 'three', 'person_id': '%s', 'conversation_id': '%s'}", into,
             conversation));

  /* Refusals merge nothing */
  {
    g_autoptr(MiraTestResponse) self = REQ (f->server, 422, "POST", f->net->token,
                                            Q ("{'from': '%s'}", into), "%s/persons/%s/merge",
                                            f->net->path, into);
    g_autoptr(MiraTestResponse) none = REQ (f->server, 422, "POST", f->net->token, Q ("{}"),
                                            "%s/persons/%s/merge", f->net->path, into);
    g_autoptr(MiraTestResponse) ghost = REQ (f->server, 422, "POST", f->net->token,
                                             Q ("{'from': '00000000-0000-4000-8000-000000000000'}"),
                                             "%s/persons/%s/merge", f->net->path, into);
    g_autoptr(MiraTestResponse) bad = REQ (f->server, 422, "POST", f->net->token,
                                           Q ("{'from': 'someone'}"),
                                           "%s/persons/%s/merge", f->net->path, into);
    g_autoptr(MiraTestResponse) extra = REQ (f->server, 422, "POST", f->net->token,
                                             Q ("{'from': '%s', 'keep_name': true}", from),
                                             "%s/persons/%s/merge", f->net->path, into);
    g_autoptr(MiraTestResponse) number = REQ (f->server, 422, "POST", f->net->token,
                                              Q ("{'from': 7}"), "%s/persons/%s/merge",
                                              f->net->path, into);
    g_autoptr(MiraTestResponse) missing = REQ (f->server, 404, "POST", f->net->token,
                                               Q ("{'from': '%s'}", from),
                                               "%s/persons/00000000-0000-4000-8000-000000000000/merge",
                                               f->net->path);

    assert_detail_names (self, "from");
    assert_detail_names (none, "from");
    assert_detail_names (ghost, "from");
    /* The field that is wrong, not one that was given */
    assert_detail_names (extra, "keep_name");
    g_assert_null (strstr (jstr (OBJ (extra), "detail"), "required"));
    assert_detail_names (number, "from");
    assert_code (missing, "PERSON_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "persons"), ==, 2);
  }

  r = REQ (f->server, 200, "POST", f->session, Q ("{'from': '%s'}", from), "%s/persons/%s/merge",
           f->net->path, into);
  g_assert_cmpstr (jstr (OBJ (r), "id"), ==, into);
  g_assert_cmpstr (jstr (OBJ (r), "name"), ==, "Ann");
  g_assert_cmpint (jint (OBJ (r), "conversation_count"), ==, 1);
  {
    g_autoptr(MiraTestResponse) gone = REQ (f->server, 404, "GET", f->net->token, NULL,
                                            "%s/persons/%s", f->net->path, from);
    g_autoptr(MiraTestResponse) moved = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/interactions?person_id=%s", f->net->path, into);
    g_autoptr(MiraTestResponse) left = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/interactions?person_id=%s", f->net->path, from);
    g_autoptr(MiraTestResponse) one = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/interactions/%s", f->net->path, i1);
    g_autoptr(MiraTestResponse) conv = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/conversations/%s", f->net->path, conversation);
    JsonArray *participants = json_object_get_array_member (OBJ (conv), "participants");

    g_assert_cmpint (total_of (moved), ==, 3);
    g_assert_cmpint (total_of (left), ==, 0);
    g_assert_cmpstr (jstr (OBJ (one), "person_id"), ==, into);
    g_assert_cmpint (json_array_get_length (participants), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (participants, 0), ==, into);
    g_assert_cmpint (count (f->server, f->net, "persons"), ==, 1);
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 3);
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "persons/crud", test_person_crud },
    { "persons/merge", test_person_merge },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
