/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-actions"

/* Actions: created, read, listed by type and status, completed with a
 * result, and reopened.
 */

#include "mira-test-api.h"

static void
test_action_crud (Fixture       *f,
                  gconstpointer  data)
{
  /* Words that ask for nothing, so that only the actions made here exist */
  const char *interaction = create (f->server, f->net, f->net->token, "interactions",
                                    Q ("{'content': 'Bob liked the trip'}"));
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'interaction_id': '%s', 'action_type': 'contact',"
                                          " 'action_data': {'who': 'Bob'}}", interaction),
                                       "%s/actions", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");
  const char *other;

  g_assert_cmpstr (jstr (o, "status"), ==, "pending");
  g_assert_cmpstr (jstr (o, "action_type"), ==, "contact");
  g_assert_cmpstr (jstr (o, "interaction_id"), ==, interaction);
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "action_data"), "who"), ==, "Bob");
  g_assert_true (jnull (o, "completed_at"));
  g_assert_true (jnull (o, "result"));
  other = create (f->server, f->net, f->net->token, "actions",
                  Q ("{'interaction_id': '%s', 'action_type': 'remind', 'action_data': {}}",
                     interaction));

  {
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/actions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) all = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/actions", f->net->path);
    g_autoptr(MiraTestResponse) reminds = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/actions?action_type=remind", f->net->path);

    g_assert_true (responses_equal (r, get));
    g_assert_cmpint (total_of (all), ==, 2);
    g_assert_cmpstr (item_ids (reminds, "id"), ==, other);
  }

  {
    g_autoptr(MiraTestResponse) done = REQ (f->server, 200, "PATCH", f->session,
                                            Q ("{'status': 'completed', 'result': {'ok': true}}"),
                                            "%s/actions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) completed = REQ (f->server, 200, "GET", f->session, NULL,
                                                 "%s/actions?status=completed", f->net->path);
    g_autoptr(MiraTestResponse) pending = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/actions?status=pending", f->net->path);
    g_autoptr(MiraTestResponse) reopened = NULL;

    g_assert_cmpstr (jstr (OBJ (done), "status"), ==, "completed");
    g_assert_true (is_timestamp (jstr (OBJ (done), "completed_at")));
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (OBJ (done),
                                                                                 "result"),
                                                   "ok"));
    g_assert_cmpstr (item_ids (completed, "id"), ==, id);
    g_assert_cmpstr (item_ids (pending, "id"), ==, other);

    reopened = REQ (f->server, 200, "PATCH", f->session, Q ("{'status': 'processing'}"),
                    "%s/actions/%s", f->net->path, id);
    g_assert_true (jnull (OBJ (reopened), "completed_at"));
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/actions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'status': 'finished'}"), "%s/actions/%s",
                                         f->net->path, id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'completed_at': '2026-01-01T00:00:00Z'}"),
                                         "%s/actions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'action_type': 'x', 'action_data': {}}"),
                                         "%s/actions", f->net->path);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 405, "PUT", f->net->token,
                                         Q ("{'status': 'failed'}"), "%s/actions/%s",
                                         f->net->path, id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 405, "DELETE", f->net->token, NULL,
                                         "%s/actions/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 404, "PATCH", f->net->token,
                                         Q ("{'status': 'failed'}"),
                                         "%s/actions/00000000-0000-4000-8000-000000000000",
                                         f->net->path);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/actions/%s", f->net->path, id);

    assert_detail_names (a, "status");
    assert_detail_names (b, "completed_at");
    assert_detail_names (c, "interaction_id");
    assert_code (g, "ACTION_NOT_FOUND");
    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "actions"), ==, 2);
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "actions/crud", test_action_crud },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
