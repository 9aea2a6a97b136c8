/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-conversations"

/* Conversations and their interactions: created, read, changed, closed,
 * deleted; an interaction without a conversation joins the open one; the
 * list filters.
 */

#include "mira-test-api.h"

static void
test_conversation_crud (Fixture       *f,
                        gconstpointer  data)
{
  const char *person = create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'title': 'Standup', 'participants': ['%s']}", person),
                                       "%s/conversations", f->net->path);
  g_autoptr(MiraTestResponse) empty = REQ (f->server, 201, "POST", f->session, NULL,
                                           "%s/conversations", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");

  g_assert_cmpstr (jstr (o, "title"), ==, "Standup");
  g_assert_cmpstr (jstr (o, "status"), ==, "open");
  g_assert_cmpint (jint (o, "interaction_count"), ==, 0);
  g_assert_true (jnull (o, "closed_at"));
  g_assert_true (jnull (o, "last_interaction_at"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "participants")), ==, 1);
  g_assert_true (jnull (OBJ (empty), "title"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (OBJ (empty),
                                                                        "participants")), ==, 0);

  {
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->net->token,
                                           Q ("{'title': 'Daily', 'topic_summary': 'plans',"
                                              " 'participants': []}"),
                                           "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/conversations", f->net->path);
    g_autoptr(MiraTestResponse) open = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/conversations?status=open", f->net->path);
    g_autoptr(MiraTestResponse) closed = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/conversations?status=closed", f->net->path);

    g_assert_cmpstr (jstr (OBJ (put), "title"), ==, "Daily");
    g_assert_cmpstr (jstr (OBJ (put), "topic_summary"), ==, "plans");
    g_assert_true (responses_equal (put, get));
    g_assert_cmpint (total_of (list), ==, 2);
    g_assert_cmpint (total_of (open), ==, 2);
    g_assert_cmpint (total_of (closed), ==, 0);
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'status': 'closed'}"),
                                         "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'participants': ['nobody']}"),
                                         "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'participants': ['00000000-0000-4000-8000-000000000000']}"),
                                         "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'title': 5}"), "%s/conversations", f->net->path);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'interaction_count': 5}"),
                                         "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/conversations/%s", f->net->path, id);

    assert_detail_names (a, "status");
    assert_detail_names (b, "participants");
    assert_detail_names (c, "participants");
    assert_detail_names (d, "title");
    assert_detail_names (e, "interaction_count");
    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "conversations"), ==, 2);
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/conversations/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "DELETE", f->net->token, NULL,
                                         "%s/conversations/%s", f->net->path, id);

    assert_code (a, "CONVERSATION_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "conversations"), ==, 1);
  }
}

static void
test_conversation_close (Fixture       *f,
                         gconstpointer  data)
{
  const char *id = create (f->server, f->net, f->net->token, "conversations", Q ("{}"));
  g_autoptr(MiraTestResponse) closed = NULL;
  g_autoptr(MiraTestResponse) again = NULL;
  g_autoptr(MiraTestResponse) get = NULL;
  g_autoptr(MiraTestResponse) missing = NULL;
  g_autoptr(MiraTestResponse) list = NULL;

  closed = REQ (f->server, 200, "POST", f->session, NULL, "%s/conversations/%s/close",
                f->net->path, id);
  g_assert_cmpstr (jstr (OBJ (closed), "status"), ==, "closed");
  g_assert_true (is_timestamp (jstr (OBJ (closed), "closed_at")));

  again = REQ (f->server, 200, "POST", f->session, NULL, "%s/conversations/%s/close",
               f->net->path, id);
  g_assert_true (responses_equal (closed, again));
  get = REQ (f->server, 200, "GET", f->session, NULL, "%s/conversations/%s", f->net->path, id);
  g_assert_true (responses_equal (closed, get));
  list = REQ (f->server, 200, "GET", f->session, NULL, "%s/conversations?status=closed",
              f->net->path);
  g_assert_cmpstr (item_ids (list, "id"), ==, id);

  missing = REQ (f->server, 404, "POST", f->session, NULL,
                 "%s/conversations/00000000-0000-4000-8000-000000000000/close", f->net->path);
  assert_code (missing, "CONVERSATION_NOT_FOUND");
}

/* Interactions */

static void
test_interaction_crud (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->net->token,
                                       Q ("{'content': 'Hello there', 'metadata': {'lang': 'en'},"
                                          " 'audio_duration': 1.5}"),
                                       "%s/interactions", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");

  g_assert_cmpstr (jstr (o, "content"), ==, "Hello there");
  g_assert_cmpstr (jstr (o, "interaction_type"), ==, "text");
  g_assert_true (jnull (o, "person_id"));
  g_assert_true (jnull (o, "client_id"));
  g_assert_true (is_timestamp (jstr (o, "timestamp")));
  g_assert_cmpfloat (json_object_get_double_member (o, "audio_duration"), ==, 1.5);
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "metadata"), "lang"), ==, "en");
  g_assert_true (g_regex_match_simple ("^[0-9a-f-]{36}$", jstr (o, "conversation_id"), 0, 0));

  {
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->session,
                                           Q ("{'content': 'Hello again',"
                                              " 'interaction_type': 'system'}"),
                                           "%s/interactions/%s", f->net->path, id);

    g_assert_true (responses_equal (r, get));
    g_assert_cmpstr (jstr (OBJ (put), "content"), ==, "Hello again");
    g_assert_cmpstr (jstr (OBJ (put), "interaction_type"), ==, "system");
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'content': ''}"), "%s/interactions", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'content': 12}"), "%s/interactions", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'person_id': null}"), "%s/interactions",
                                         f->net->path);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'interaction_type': 'video'}"),
                                         "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'timestamp': 'yesterday'}"),
                                         "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'content': 'x', 'client_id': 'nobody'}"),
                                         "%s/interactions", f->net->path);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'audio_quality_score': 'high'}"),
                                         "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/interactions/%s", f->net->path, id);

    assert_detail_names (a, "content");
    assert_detail_names (b, "content");
    assert_detail_names (c, "content");
    assert_detail_names (d, "interaction_type");
    assert_detail_names (e, "timestamp");
    assert_detail_names (g, "client_id");
    assert_detail_names (h, "audio_quality_score");
    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 1);
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/interactions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/interactions/%s", f->net->path, id);

    assert_code (a, "INTERACTION_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 0);
  }
}

static void
test_interaction_conversation (Fixture       *f,
                               gconstpointer  data)
{
  const char *i1, *i2, *i3, *c1, *c3;
  g_autoptr(MiraTestResponse) r1 = NULL;
  g_autoptr(MiraTestResponse) r2 = NULL;
  g_autoptr(MiraTestResponse) r3 = NULL;

  g_assert_cmpint (count (f->server, f->net, "conversations"), ==, 0);
  i1 = create (f->server, f->net, f->session, "interactions", Q ("{'content': 'first'}"));
  r1 = REQ (f->server, 200, "GET", f->session, NULL, "%s/interactions/%s", f->net->path, i1);
  c1 = jstr (OBJ (r1), "conversation_id");
  /* A session's interactions are its client's */
  g_assert_cmpstr (jstr (OBJ (r1), "client_id"), ==, f->client_id);

  i2 = create (f->server, f->net, f->net->token, "interactions", Q ("{'content': 'second'}"));
  r2 = REQ (f->server, 200, "GET", f->session, NULL, "%s/interactions/%s", f->net->path, i2);
  g_assert_cmpstr (jstr (OBJ (r2), "conversation_id"), ==, c1);
  g_assert_true (jnull (OBJ (r2), "client_id"));

  {
    g_autoptr(MiraTestResponse) conv = REQ (f->server, 200, "GET", f->session, NULL,
                                            "%s/conversations/%s", f->net->path, c1);

    g_assert_cmpint (count (f->server, f->net, "conversations"), ==, 1);
    g_assert_cmpstr (jstr (OBJ (conv), "status"), ==, "open");
    g_assert_cmpint (jint (OBJ (conv), "interaction_count"), ==, 2);
    g_assert_cmpstr (jstr (OBJ (conv), "last_interaction_at"), ==, jstr (OBJ (r2), "timestamp"));
  }

  {
    g_autoptr(MiraTestResponse) closed = REQ (f->server, 200, "POST", f->session, NULL,
                                              "%s/conversations/%s/close", f->net->path, c1);
  }
  i3 = create (f->server, f->net, f->session, "interactions", Q ("{'content': 'third'}"));
  r3 = REQ (f->server, 200, "GET", f->session, NULL, "%s/interactions/%s", f->net->path, i3);
  c3 = jstr (OBJ (r3), "conversation_id");
  g_assert_cmpstr (c3, !=, c1);
  g_assert_cmpint (count (f->server, f->net, "conversations"), ==, 2);

  /* An explicit conversation is kept, even a closed one */
  {
    const char *i4 = create (f->server, f->net, f->session, "interactions",
                             Q ("{'content': 'late', 'conversation_id': '%s'}", c1));
    g_autoptr(MiraTestResponse) r4 = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/interactions/%s", f->net->path, i4);
    g_autoptr(MiraTestResponse) in_c1 = REQ (f->server, 200, "GET", f->session, NULL,
                                             "%s/interactions?conversation_id=%s", f->net->path,
                                             c1);

    g_assert_cmpstr (jstr (OBJ (r4), "conversation_id"), ==, c1);
    g_assert_cmpint (total_of (in_c1), ==, 3);
  }
}

static void
test_interaction_filters (Fixture       *f,
                          gconstpointer  data)
{
  const char *p1 = create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  const char *p2 = create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  const char *c1 = create (f->server, f->net, f->net->token, "conversations", Q ("{}"));
  const char *c2 = create (f->server, f->net, f->net->token, "conversations", Q ("{}"));
  const char *a, *b, *c, *d;

  a = create (f->server, f->net, f->net->token, "interactions",
              Q ("{'content': 'I have a dentist appointment on Monday', 'person_id': '%s',"
                 " 'conversation_id': '%s', 'timestamp': '2026-01-01T10:00:00Z'}", p1, c1));
  b = create (f->server, f->net, f->session, "interactions",
              Q ("{'content': 'Buy milk and bread', 'person_id': '%s',"
                 " 'conversation_id': '%s', 'timestamp': '2026-01-02T10:00:00.5Z'}", p2, c1));
  c = create (f->server, f->net, f->net->token, "interactions",
              Q ("{'content': 'The dentists were running late', 'person_id': '%s',"
                 " 'conversation_id': '%s', 'timestamp': '2026-01-03T10:00:00+01:00',"
                 " 'client_id': '%s'}", p1, c2, f->client_id));
  d = create (f->server, f->net, f->net->token, "interactions",
              Q ("{'content': 'Walking the dog', 'conversation_id': '%s',"
                 " 'timestamp': '2026-01-04T10:00:00Z'}", c2));

  {
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/interactions/%s", f->net->path, c);

    /* stored as UTC with milliseconds, the same on both backends */
    g_assert_cmpstr (jstr (OBJ (get), "timestamp"), ==, "2026-01-03T09:00:00.000Z");
  }

#define EXPECT_IDS(query, expected)                                                         \
  G_STMT_START {                                                                            \
    g_autoptr(MiraTestResponse) list_ = REQ (f->server, 200, "GET", f->session, NULL,       \
                                             "%s/interactions%s", f->net->path, (query));   \
    g_assert_cmpstr (item_ids (list_, "id"), ==, (expected));                               \
    g_assert_cmpint (total_of (list_), ==, (gint64) n_items (list_));                       \
  } G_STMT_END

  /* newest first */
  EXPECT_IDS ("", P ("%s %s %s %s", d, c, b, a));
  EXPECT_IDS (P ("?person_id=%s", p1), P ("%s %s", c, a));
  EXPECT_IDS (P ("?person_id=%s", pool_take (g_ascii_strup (p2, -1))), b);
  EXPECT_IDS (P ("?conversation_id=%s", c1), P ("%s %s", b, a));
  EXPECT_IDS (P ("?conversation_id=%s&person_id=%s", c2, p1), c);
  EXPECT_IDS (P ("?client_id=%s", f->client_id), P ("%s %s", c, b));
  EXPECT_IDS ("?client_id=nobody", "");
  EXPECT_IDS ("?since=2026-01-02T10:00:00.500Z", P ("%s %s %s", d, c, b));
  EXPECT_IDS ("?since=2026-01-02T10:00:01Z", P ("%s %s", d, c));
  EXPECT_IDS ("?until=2026-01-02T10:00:00.500Z", P ("%s %s", b, a));
  EXPECT_IDS ("?since=2026-01-02T00:00:00Z&until=2026-01-03T23:59:59Z", P ("%s %s", c, b));
  EXPECT_IDS ("?since=2026-01-03T10:30:00%2B01:00", d);
  EXPECT_IDS ("?interaction_type=text", P ("%s %s %s %s", d, c, b, a));
  EXPECT_IDS ("?interaction_type=audio", "");
  /* full text: stemmed on both backends */
  EXPECT_IDS ("?q=dentists", P ("%s %s", c, a));
  EXPECT_IDS ("?q=dentist", P ("%s %s", c, a));
  EXPECT_IDS ("?q=DENTIST", P ("%s %s", c, a));
  EXPECT_IDS ("?q=walk", d);
  EXPECT_IDS ("?q=milk%20bread", b);
  EXPECT_IDS ("?q=milk%20dog", "");
  EXPECT_IDS ("?q=elephant", "");
  EXPECT_IDS ("?q=%22%20OR%20*", "");
  EXPECT_IDS (P ("?q=dentist&person_id=%s&since=2026-01-02T00:00:00Z", p1), c);

#undef EXPECT_IDS

  {
    g_autoptr(MiraTestResponse) limited = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/interactions?q=dentist&limit=1&offset=1",
                                               f->net->path);

    g_assert_cmpint (total_of (limited), ==, 2);
    g_assert_cmpstr (item_ids (limited, "id"), ==, a);
  }

  {
    g_autoptr(MiraTestResponse) e1 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?since=yesterday", f->net->path);
    g_autoptr(MiraTestResponse) e2 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?until=2026-13-01T00:00:00Z",
                                          f->net->path);
    g_autoptr(MiraTestResponse) e3 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?person_id=someone", f->net->path);
    g_autoptr(MiraTestResponse) e4 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?conversation_id=1", f->net->path);
    g_autoptr(MiraTestResponse) e5 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?client_id=bad%%20id", f->net->path);
    g_autoptr(MiraTestResponse) e6 = REQ (f->server, 400, "GET", f->session, NULL,
                                          "%s/interactions?interaction_type=video",
                                          f->net->path);

    assert_detail_names (e1, "since");
    assert_detail_names (e2, "until");
    assert_detail_names (e3, "person_id");
    assert_detail_names (e4, "conversation_id");
    assert_detail_names (e5, "client_id");
    assert_detail_names (e6, "interaction_type");
  }
}

/* Every control character comes back escaped, U+001F too (json-glib 1.6
 * writes that one raw): the answers are strict JSON, and a metadata object
 * holding it is stored, not refused by the database's JSON check
 */
static void
test_interaction_control_characters (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'content': 'a\\u001fb\\u0001c',"
                                          " 'metadata': {'note': 'x\\u001fy'}}"),
                                       "%s/interactions", f->net->path);
  const char *id = jstr (OBJ (r), "id");
  g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                         "%s/interactions/%s", f->net->path, id);
  g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/interactions", f->net->path);
  MiraTestResponse *answers[] = { r, get, list };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    for (gsize b = 0; b < answers[i]->body_len; b++)
      g_assert_cmpuint ((guchar) answers[i]->body[b], >=, 0x20);
  g_assert_cmpstr (jstr (OBJ (get), "content"), ==, "a\x1f" "b\x01" "c");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (OBJ (get),
                                                                                 "metadata"),
                                                  "note"), ==, "x\x1f" "y");
  g_assert_true (responses_equal (r, get));
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "conversations/crud", test_conversation_crud },
    { "conversations/close", test_conversation_close },
    { "interactions/crud", test_interaction_crud },
    { "interactions/open-conversation", test_interaction_conversation },
    { "interactions/filters", test_interaction_filters },
    { "interactions/control-characters", test_interaction_control_characters },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
