/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-reminders"

/* Reminders: created, read, changed, completed, deleted; the list filters.
 */

#include "mira-test-api.h"

static void
test_reminder_crud (Fixture       *f,
                    gconstpointer  data)
{
  const char *interaction = create (f->server, f->net, f->net->token, "interactions",
                                    Q ("{'content': 'remind me'}"));
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'title': 'Call mum', 'due_time': '2026-02-01T09:00:00Z',"
                                          " 'interaction_id': '%s'}", interaction),
                                       "%s/reminders", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");

  g_assert_cmpstr (jstr (o, "title"), ==, "Call mum");
  g_assert_cmpstr (jstr (o, "due_time"), ==, "2026-02-01T09:00:00.000Z");
  g_assert_cmpstr (jstr (o, "priority"), ==, "medium");
  g_assert_cmpstr (jstr (o, "status"), ==, "pending");
  g_assert_cmpstr (jstr (o, "interaction_id"), ==, interaction);
  g_assert_true (jnull (o, "description"));

  {
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->session,
                                           Q ("{'title': 'Call mum back', 'priority': 'high',"
                                              " 'description': 'about Sunday'}"),
                                           "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) patch = REQ (f->server, 200, "PATCH", f->session,
                                             Q ("{'status': 'cancelled'}"),
                                             "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) done = REQ (f->server, 200, "POST", f->session, NULL,
                                            "%s/reminders/%s/complete", f->net->path, id);
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/reminders/%s", f->net->path, id);

    g_assert_cmpstr (jstr (OBJ (put), "title"), ==, "Call mum back");
    g_assert_cmpstr (jstr (OBJ (put), "priority"), ==, "high");
    g_assert_cmpstr (jstr (OBJ (patch), "status"), ==, "cancelled");
    g_assert_cmpstr (jstr (OBJ (patch), "title"), ==, "Call mum back");
    g_assert_cmpstr (jstr (OBJ (done), "status"), ==, "completed");
    g_assert_true (responses_equal (done, get));
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'title': 'x'}"), "%s/reminders", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'due_time': '2026-02-01T09:00:00Z'}"),
                                         "%s/reminders", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'priority': 'whenever'}"),
                                         "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'status': 'done'}"),
                                         "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'due_time': '2026-02-30T09:00:00Z'}"),
                                         "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'interaction_id': '00000000-0000-4000-8000-000000000000'}"),
                                         "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/reminders/%s", f->net->path, id);

    assert_detail_names (a, "due_time");
    assert_detail_names (b, "title");
    assert_detail_names (c, "priority");
    assert_detail_names (d, "status");
    assert_detail_names (e, "due_time");
    assert_detail_names (g, "interaction_id");
    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "reminders"), ==, 1);
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/reminders/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "POST", f->net->token, NULL,
                                         "%s/reminders/%s/complete", f->net->path, id);

    assert_code (a, "REMINDER_NOT_FOUND");
    assert_code (b, "REMINDER_NOT_FOUND");
  }
}

static void
test_reminder_filters (Fixture       *f,
                       gconstpointer  data)
{
  /* Due in the future: a past due time would come due at once (overdue) */
  const char *r1 = create (f->server, f->net, f->net->token, "reminders",
                           Q ("{'title': 'one', 'due_time': '2036-03-01T09:00:00Z'}"));
  const char *r2 = create (f->server, f->net, f->net->token, "reminders",
                           Q ("{'title': 'two', 'due_time': '2036-03-10T09:00:00Z',"
                              " 'priority': 'urgent'}"));
  const char *r3 = create (f->server, f->net, f->net->token, "reminders",
                           Q ("{'title': 'three', 'due_time': '2036-03-20T09:00:00Z',"
                              " 'status': 'completed'}"));

#define EXPECT_IDS(query, expected)                                                         \
  G_STMT_START {                                                                            \
    g_autoptr(MiraTestResponse) list_ = REQ (f->server, 200, "GET", f->session, NULL,       \
                                             "%s/reminders%s", f->net->path, (query));      \
    g_assert_cmpstr (item_ids (list_, "id"), ==, (expected));                               \
    g_assert_cmpint (total_of (list_), ==, (gint64) n_items (list_));                       \
  } G_STMT_END

  /* soonest first */
  EXPECT_IDS ("", P ("%s %s %s", r1, r2, r3));
  EXPECT_IDS ("?status=pending", P ("%s %s", r1, r2));
  EXPECT_IDS ("?status=completed", r3);
  EXPECT_IDS ("?status=overdue", "");
  EXPECT_IDS ("?priority=urgent", r2);
  EXPECT_IDS ("?due_before=2036-03-15T00:00:00Z", P ("%s %s", r1, r2));
  EXPECT_IDS ("?due_after=2036-03-05T00:00:00Z", P ("%s %s", r2, r3));
  EXPECT_IDS ("?due_after=2036-03-05T00:00:00Z&due_before=2036-03-15T00:00:00Z", r2);
  EXPECT_IDS ("?due_after=2036-03-05T00:00:00Z&status=pending", r2);
  EXPECT_IDS ("?due_before=2036-03-01T09:00:00Z", "");

#undef EXPECT_IDS

  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 400, "GET", f->session, NULL,
                                         "%s/reminders?status=later", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 400, "GET", f->session, NULL,
                                         "%s/reminders?due_before=soon", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 400, "GET", f->session, NULL,
                                         "%s/reminders?due_after=", f->net->path);

    assert_detail_names (a, "status");
    assert_detail_names (b, "due_before");
    assert_detail_names (c, "due_after");
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "reminders/crud", test_reminder_crud },
    { "reminders/filters", test_reminder_filters },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
