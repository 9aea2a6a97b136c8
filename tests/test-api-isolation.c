/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-isolation"

/* Isolation: nothing of one network can be read, changed or deleted with
 * another's tokens or ids.
 */

#include "mira-test-api.h"

typedef struct {
  const char *method;
  const char *path;
  const char *body;
} Call;

static void
test_isolation (Fixture       *f,
                gconstpointer  data)
{
  Net *a = f->net;
  Net *b = net_new (f->server, "Neighbour");
  const char *b_session = register_client (f->server, b, "b-phone");
  const char *b_person = create (f->server, b, b->token, "persons", Q ("{'name': 'Bea'}"));
  const char *p, *c, *i, *r, *e, *x;
  g_autoptr(GPtrArray) snapshot = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_test_response_free);
  const char *snapshot_paths[16];
  guint n_snapshot = 0;

  /* A's data */
  p = create (f->server, a, a->token, "persons", Q ("{'name': 'Alice Secretname'}"));
  c = create (f->server, a, a->token, "conversations",
              Q ("{'title': 'A-secret-conversation', 'participants': ['%s']}", p));
  i = create (f->server, a, f->session, "interactions",
              Q ("{'content': 'A secret about zebras', 'person_id': '%s',"
                 " 'conversation_id': '%s'}", p, c));
  r = create (f->server, a, a->token, "reminders",
              Q ("{'title': 'A-secret-reminder', 'due_time': '2036-06-01T09:00:00Z',"
                 " 'interaction_id': '%s'}", i));
  e = create (f->server, a, a->token, "calendar/events",
              Q ("{'title': 'A-secret-event', 'start_time': '2026-06-02T09:00:00Z'}"));
  x = create (f->server, a, a->token, "actions",
              Q ("{'interaction_id': '%s', 'action_type': 'remind',"
                 " 'action_data': {'note': 'A-secret-action'}}", i));
  {
    g_autoptr(MiraTestResponse) s = REQ (f->server, 201, "PUT", a->token,
                                         Q ("{'value': 'A-secret-setting'}"),
                                         "%s/settings/a_secret_key", a->path);
  }

  const char *secrets[] = {
    p, c, i, r, e, x, "Secretname", "A-secret", "zebras", "a_secret_key", f->client_id, NULL
  };

  /* Everything of A, as A sees it */
  snapshot_paths[n_snapshot++] = P ("/api/v1/networks/%s", a->id);
  snapshot_paths[n_snapshot++] = P ("%s/service/info", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/clients", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/persons", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/conversations", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/interactions", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/reminders", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/calendar/events", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/actions", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/settings", a->path);
  snapshot_paths[n_snapshot++] = P ("%s/settings/a_secret_key", a->path);
  for (guint k = 0; k < n_snapshot; k++)
    g_ptr_array_add (snapshot, request_check (f->server, __FILE__, __LINE__, 200, "GET",
                                              a->token, NULL, snapshot_paths[k]));

  /* A's paths, with B's tokens */
  {
    const char *reminder = Q ("{'title': 'evil', 'due_time': '2026-01-01T00:00:00Z'}");
    const char *event = Q ("{'title': 'evil', 'start_time': '2026-01-01T00:00:00Z'}");
    const Call calls[] = {
      { "GET", P ("/api/v1/networks/%s", a->id), NULL },
      { "PATCH", P ("/api/v1/networks/%s", a->id), Q ("{'name': 'evil'}") },
      { "PATCH", P ("/api/v1/networks/%s", a->id), Q ("{'status': 'suspended'}") },
      { "POST", P ("/api/v1/networks/%s/token/rotate", a->id), NULL },
      { "POST", P ("%s/service/client/register/evil", a->path), Q ("{'device_type': 'x'}") },
      { "POST", P ("%s/service/client/register/%s", a->path, f->client_id),
        Q ("{'device_type': 'x'}") },
      { "DELETE", P ("%s/service/client/deregister/%s", a->path, f->client_id), NULL },
      { "GET", P ("%s/service/info", a->path), NULL },
      { "GET", P ("%s/clients", a->path), NULL },
      { "GET", P ("%s/clients/%s", a->path, f->client_id), NULL },
      { "GET", P ("%s/persons", a->path), NULL },
      { "POST", P ("%s/persons", a->path), Q ("{'name': 'evil'}") },
      { "GET", P ("%s/persons/%s", a->path, p), NULL },
      { "PUT", P ("%s/persons/%s", a->path, p), Q ("{'name': 'evil'}") },
      { "DELETE", P ("%s/persons/%s", a->path, p), NULL },
      { "POST", P ("%s/persons/%s/merge", a->path, p), Q ("{'from': '%s'}", b_person) },
      { "GET", P ("%s/conversations", a->path), NULL },
      { "POST", P ("%s/conversations", a->path), Q ("{}") },
      { "GET", P ("%s/conversations/%s", a->path, c), NULL },
      { "PUT", P ("%s/conversations/%s", a->path, c), Q ("{'title': 'evil'}") },
      { "DELETE", P ("%s/conversations/%s", a->path, c), NULL },
      { "POST", P ("%s/conversations/%s/close", a->path, c), NULL },
      { "GET", P ("%s/interactions", a->path), NULL },
      { "GET", P ("%s/interactions?q=zebras", a->path), NULL },
      { "GET", P ("%s/interactions?person_id=%s", a->path, p), NULL },
      { "POST", P ("%s/interactions", a->path), Q ("{'content': 'evil'}") },
      { "GET", P ("%s/interactions/%s", a->path, i), NULL },
      { "PUT", P ("%s/interactions/%s", a->path, i), Q ("{'content': 'evil'}") },
      { "DELETE", P ("%s/interactions/%s", a->path, i), NULL },
      { "GET", P ("%s/reminders", a->path), NULL },
      { "POST", P ("%s/reminders", a->path), reminder },
      { "GET", P ("%s/reminders/%s", a->path, r), NULL },
      { "PUT", P ("%s/reminders/%s", a->path, r), Q ("{'title': 'evil'}") },
      { "PATCH", P ("%s/reminders/%s", a->path, r), Q ("{'status': 'cancelled'}") },
      { "DELETE", P ("%s/reminders/%s", a->path, r), NULL },
      { "POST", P ("%s/reminders/%s/complete", a->path, r), NULL },
      { "GET", P ("%s/calendar/events", a->path), NULL },
      { "GET", P ("%s/calendar/events?start=2026-01-01T00:00:00Z", a->path), NULL },
      { "POST", P ("%s/calendar/events", a->path), event },
      { "GET", P ("%s/calendar/events/%s", a->path, e), NULL },
      { "PUT", P ("%s/calendar/events/%s", a->path, e), Q ("{'title': 'evil'}") },
      { "DELETE", P ("%s/calendar/events/%s", a->path, e), NULL },
      { "GET", P ("%s/actions", a->path), NULL },
      { "POST", P ("%s/actions", a->path),
        Q ("{'interaction_id': '%s', 'action_type': 'x', 'action_data': {}}", i) },
      { "GET", P ("%s/actions/%s", a->path, x), NULL },
      { "PATCH", P ("%s/actions/%s", a->path, x), Q ("{'status': 'failed'}") },
      { "GET", P ("%s/settings", a->path), NULL },
      { "GET", P ("%s/settings/a_secret_key", a->path), NULL },
      { "GET", P ("%s/settings/timezone", a->path), NULL },
      { "PUT", P ("%s/settings/a_secret_key", a->path), Q ("{'value': 'evil'}") },
      { "PUT", P ("%s/settings/timezone", a->path), Q ("{'value': 'Asia/Tokyo'}") },
      { "DELETE", P ("%s/settings/a_secret_key", a->path), NULL },
    };
    const char *tokens[] = { b->token, b_session };

    for (guint t = 0; t < G_N_ELEMENTS (tokens); t++)
      for (guint k = 0; k < G_N_ELEMENTS (calls); k++)
        {
          g_autoptr(MiraTestResponse) resp = NULL;
          g_autoptr(MiraTestResponse) nowhere = NULL;
          g_auto(GStrv) parts = g_strsplit (calls[k].path, a->id, -1);
          g_autofree char *elsewhere = g_strjoinv ("net_00000000000000000000000000000000", parts);

          resp = request_check (f->server, __FILE__, __LINE__, 404, calls[k].method, tokens[t],
                                calls[k].body, calls[k].path);
          assert_code (resp, "NETWORK_NOT_FOUND");
          assert_body_lacks (resp, secrets);
          assert_body_lacks (resp, (const char *[]) { a->id, NULL });

          /* the same as for a network that does not exist */
          nowhere = request_check (f->server, __FILE__, __LINE__, 404, calls[k].method,
                                   tokens[t], calls[k].body, elsewhere);
          g_assert_cmpstr (jstr (OBJ (resp), "detail"), ==, jstr (OBJ (nowhere), "detail"));
          g_assert_cmpstr (jstr (OBJ (resp), "error_code"), ==,
                           jstr (OBJ (nowhere), "error_code"));
        }

    /* Deleting a network needs the admin token, whichever it is */
    for (guint t = 0; t < G_N_ELEMENTS (tokens); t++)
      {
        g_autoptr(MiraTestResponse) del = REQ (f->server, 403, "DELETE", tokens[t], NULL,
                                               "/api/v1/networks/%s", a->id);
        g_autoptr(MiraTestResponse) own = REQ (f->server, 403, "DELETE", tokens[t], NULL,
                                               "/api/v1/networks/%s", b->id);

        assert_code (del, "ADMIN_REQUIRED");
        assert_body_lacks (del, secrets);
        g_assert_cmpstr (jstr (OBJ (del), "detail"), ==, jstr (OBJ (own), "detail"));
      }
  }

  /* A's ids under B's own paths */
  {
    const Call calls[] = {
      { "GET", P ("%s/persons/%s", b->path, p), NULL },
      { "PUT", P ("%s/persons/%s", b->path, p), Q ("{'name': 'evil'}") },
      { "DELETE", P ("%s/persons/%s", b->path, p), NULL },
      { "POST", P ("%s/persons/%s/merge", b->path, p), Q ("{'from': '%s'}", b_person) },
      { "GET", P ("%s/conversations/%s", b->path, c), NULL },
      { "PUT", P ("%s/conversations/%s", b->path, c), Q ("{'title': 'evil'}") },
      { "DELETE", P ("%s/conversations/%s", b->path, c), NULL },
      { "POST", P ("%s/conversations/%s/close", b->path, c), NULL },
      { "GET", P ("%s/interactions/%s", b->path, i), NULL },
      { "PUT", P ("%s/interactions/%s", b->path, i), Q ("{'content': 'evil'}") },
      { "DELETE", P ("%s/interactions/%s", b->path, i), NULL },
      { "GET", P ("%s/reminders/%s", b->path, r), NULL },
      { "PUT", P ("%s/reminders/%s", b->path, r), Q ("{'title': 'evil'}") },
      { "PATCH", P ("%s/reminders/%s", b->path, r), Q ("{'status': 'cancelled'}") },
      { "DELETE", P ("%s/reminders/%s", b->path, r), NULL },
      { "POST", P ("%s/reminders/%s/complete", b->path, r), NULL },
      { "GET", P ("%s/calendar/events/%s", b->path, e), NULL },
      { "PUT", P ("%s/calendar/events/%s", b->path, e), Q ("{'title': 'evil'}") },
      { "DELETE", P ("%s/calendar/events/%s", b->path, e), NULL },
      { "GET", P ("%s/actions/%s", b->path, x), NULL },
      { "PATCH", P ("%s/actions/%s", b->path, x), Q ("{'status': 'failed'}") },
      { "GET", P ("%s/settings/a_secret_key", b->path), NULL },
      { "DELETE", P ("%s/settings/a_secret_key", b->path), NULL },
      { "GET", P ("%s/clients/%s", b->path, f->client_id), NULL },
    };
    const char *tokens[] = { b->token, b_session };

    for (guint t = 0; t < G_N_ELEMENTS (tokens); t++)
      for (guint k = 0; k < G_N_ELEMENTS (calls); k++)
        {
          g_autoptr(MiraTestResponse) resp = NULL;

          resp = request_check (f->server, __FILE__, __LINE__, 404, calls[k].method, tokens[t],
                                calls[k].body, calls[k].path);
          g_assert_true (g_str_has_suffix (jstr (OBJ (resp), "error_code"), "_NOT_FOUND"));
          assert_body_lacks_beyond (resp, secrets, calls[k].path);
        }

    {
      g_autoptr(MiraTestResponse) dereg = REQ (f->server, 404, "DELETE", b->token, NULL,
                                               "%s/service/client/deregister/%s", b->path,
                                               f->client_id);
      assert_body_lacks_beyond (dereg, secrets, f->client_id);
    }

    /* As references and filters, A's ids are unknown in B */
    {
      g_autoptr(MiraTestResponse) r1 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'content': 'x', 'person_id': '%s'}", p),
                                            "%s/interactions", b->path);
      g_autoptr(MiraTestResponse) r2 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'content': 'x', 'conversation_id': '%s'}", c),
                                            "%s/interactions", b->path);
      g_autoptr(MiraTestResponse) r3 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'participants': ['%s']}", p),
                                            "%s/conversations", b->path);
      g_autoptr(MiraTestResponse) r4 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'title': 'x', 'due_time': '2026-01-01T00:00:00Z',"
                                               " 'interaction_id': '%s'}", i),
                                            "%s/reminders", b->path);
      g_autoptr(MiraTestResponse) r5 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'interaction_id': '%s', 'action_type': 'x',"
                                               " 'action_data': {}}", i),
                                            "%s/actions", b->path);
      g_autoptr(MiraTestResponse) r6 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'from': '%s'}", p), "%s/persons/%s/merge",
                                            b->path, b_person);
      g_autoptr(MiraTestResponse) r7 = REQ (f->server, 422, "POST", b_session,
                                            Q ("{'content': 'x', 'client_id': '%s'}",
                                               f->client_id),
                                            "%s/interactions", b->path);
      g_autoptr(MiraTestResponse) l1 = REQ (f->server, 200, "GET", b_session, NULL,
                                            "%s/interactions?person_id=%s", b->path, p);
      g_autoptr(MiraTestResponse) l2 = REQ (f->server, 200, "GET", b_session, NULL,
                                            "%s/interactions?conversation_id=%s", b->path, c);
      g_autoptr(MiraTestResponse) l3 = REQ (f->server, 200, "GET", b_session, NULL,
                                            "%s/interactions?q=zebras", b->path);
      g_autoptr(MiraTestResponse) l4 = REQ (f->server, 200, "GET", b_session, NULL,
                                            "%s/interactions?client_id=%s", b->path,
                                            f->client_id);
      g_autoptr(MiraTestResponse) l5 = REQ (f->server, 200, "GET", b_session, NULL,
                                            "%s/actions?interaction_id=%s", b->path, i);

      assert_detail_names (r1, "person_id");
      assert_detail_names (r2, "conversation_id");
      assert_detail_names (r3, "participants");
      assert_detail_names (r4, "interaction_id");
      assert_detail_names (r5, "interaction_id");
      assert_detail_names (r6, "from");
      assert_detail_names (r7, "client_id");
      g_assert_cmpint (total_of (l1), ==, 0);
      g_assert_cmpint (total_of (l2), ==, 0);
      g_assert_cmpint (total_of (l3), ==, 0);
      g_assert_cmpint (total_of (l4), ==, 0);
      g_assert_cmpint (total_of (l5), ==, 0);
    }

    /* B's own view holds nothing of A */
    {
      const char *lists[] = {
        "service/info", "clients", "persons", "conversations", "interactions", "reminders",
        "calendar/events", "actions", "settings",
      };

      for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
        {
          g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", b->token, NULL, "%s/%s",
                                                  b->path, lists[k]);
          assert_body_lacks (list, secrets);
        }
      g_assert_cmpint (count (f->server, b, "persons"), ==, 1);
      g_assert_cmpint (count (f->server, b, "interactions"), ==, 0);
      g_assert_cmpint (count (f->server, b, "conversations"), ==, 0);
    }

    /* B has a setting of the same name, of its own */
    {
      g_autoptr(MiraTestResponse) own = REQ (f->server, 201, "PUT", b->token,
                                             Q ("{'value': 'B-value'}"),
                                             "%s/settings/a_secret_key", b->path);
    }
  }

  /* A is as it was, and A's tokens still work */
  for (guint k = 0; k < n_snapshot; k++)
    {
      g_autoptr(MiraTestResponse) now = request_check (f->server, __FILE__, __LINE__, 200, "GET",
                                                       f->session, NULL, snapshot_paths[k]);

      if (!responses_equal (snapshot->pdata[k], now))
        g_error ("%s changed:\n%s\n%s", snapshot_paths[k],
                 ((MiraTestResponse *) snapshot->pdata[k])->body, now->body);
    }
  {
    const char *paths[] = {
      P ("%s/persons/%s", a->path, p), P ("%s/conversations/%s", a->path, c),
      P ("%s/interactions/%s", a->path, i), P ("%s/reminders/%s", a->path, r),
      P ("%s/calendar/events/%s", a->path, e), P ("%s/actions/%s", a->path, x),
      P ("%s/clients/%s", a->path, f->client_id),
    };

    for (guint k = 0; k < G_N_ELEMENTS (paths); k++)
      {
        g_autoptr(MiraTestResponse) still = request_check (f->server, __FILE__, __LINE__, 200,
                                                           "GET", a->token, NULL, paths[k]);
        assert_body_lacks (still, (const char *[]) { "evil", NULL });
      }
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "isolation/matrix", test_isolation },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
