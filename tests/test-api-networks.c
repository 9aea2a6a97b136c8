/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-networks"

/* Networks: created, read, changed, suspended, their token rotated, listed by
 * the admin, and deleted with everything in them.
 */

#include <string.h>

#include "mira-test-api.h"

static void
test_network_create (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) again = NULL;
  g_autoptr(MiraTestResponse) list_before = NULL;
  g_autoptr(MiraTestResponse) list_after = NULL;
  const char *url = mira_test_server_get_url (f->server);
  const char *id;
  JsonObject *o;

  r = REQ (f->server, 201, "POST", MIRA_TEST_ADMIN_TOKEN,
           Q ("{'name': 'Office', 'description': 'Second floor',"
              " 'settings': {'timezone': 'Europe/Paris'}}"),
           "/api/v1/networks");
  o = OBJ (r);
  assert_network_shape (o);
  id = jstr (o, "network_id");
  g_assert_cmpstr (jstr (o, "name"), ==, "Office");
  g_assert_cmpstr (jstr (o, "description"), ==, "Second floor");
  g_assert_cmpstr (jstr (o, "status"), ==, "active");
  g_assert_cmpint (jint (o, "client_count"), ==, 0);
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "settings"), "timezone"), ==,
                   "Europe/Paris");
  g_assert_true (g_regex_match_simple ("^mnt_[0-9a-f]{64}$", jstr (o, "network_token"), 0, 0));
  /* ws://127.0.0.1:PORT/api/v1/net_…/ws */
  g_assert_cmpstr (jstr (o, "websocket_url"), ==,
                   P ("ws%s/api/v1/%s/ws", url + strlen ("http"), id));

  /* The token it returned works, once stored */
  again = REQ (f->server, 200, "GET", jstr (o, "network_token"), NULL, "/api/v1/networks/%s", id);
  g_assert_cmpstr (jstr (OBJ (again), "name"), ==, "Office");
  g_assert_false (json_object_has_member (OBJ (again), "network_token"));

  /* Refused creations create nothing */
  list_before = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                     "/api/v1/admin/networks?limit=0");
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "POST", NULL, Q ("{'name': 'x'}"),
                                         "/api/v1/networks");
    g_autoptr(MiraTestResponse) b = REQ (f->server, 401, "POST", "mnt_bogus", Q ("{'name': 'x'}"),
                                         "/api/v1/networks");
    g_autoptr(MiraTestResponse) c = REQ (f->server, 403, "POST", f->net->token,
                                         Q ("{'name': 'x'}"), "/api/v1/networks");
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", MIRA_TEST_ADMIN_TOKEN,
                                         Q ("{'description': 'no name'}"), "/api/v1/networks");
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "POST", MIRA_TEST_ADMIN_TOKEN,
                                         Q ("{'name': ' '}"), "/api/v1/networks");
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "POST", MIRA_TEST_ADMIN_TOKEN,
                                         Q ("{'name': 'x', 'owner': 'me'}"), "/api/v1/networks");
    g_autoptr(MiraTestResponse) h = REQ (f->server, 422, "POST", MIRA_TEST_ADMIN_TOKEN,
                                         Q ("{'name': 'x', 'settings': {'timezone': 'Nowhere/X'}}"),
                                         "/api/v1/networks");

    assert_code (a, "AUTH_REQUIRED");
    assert_code (b, "INVALID_TOKEN");
    assert_detail_names (d, "name");
    assert_detail_names (e, "name");
    assert_detail_names (g, "owner");
    assert_detail_names (h, "settings");
  }
  list_after = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                    "/api/v1/admin/networks?limit=0");
  g_assert_cmpint (total_of (list_after), ==, total_of (list_before));
}

static void
test_network_open_registration (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(MiraTestServer) open = private_server (f->backend, TRUE);
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) get = NULL;
  g_autoptr(MiraTestResponse) list = NULL;
  g_autoptr(MiraTestResponse) refused = NULL;

  r = REQ (open, 201, "POST", NULL, Q ("{'name': 'Anyone'}"), "/api/v1/networks");
  assert_network_shape (OBJ (r));
  get = REQ (open, 200, "GET", jstr (OBJ (r), "network_token"), NULL, "/api/v1/networks/%s",
             jstr (OBJ (r), "network_id"));
  /* Open registration opens creation only */
  refused = REQ (open, 401, "GET", NULL, NULL, "/api/v1/admin/networks");
  list = REQ (open, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL, "/api/v1/admin/networks");
  g_assert_cmpint (total_of (list), ==, 1);
}

static void
test_network_get (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(MiraTestResponse) by_net = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "/api/v1/networks/%s", f->net->id);
  g_autoptr(MiraTestResponse) by_session = REQ (f->server, 200, "GET", f->session, NULL,
                                                "/api/v1/networks/%s", f->net->id);
  g_autoptr(MiraTestResponse) by_admin = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                              "/api/v1/networks/%s", f->net->id);
  g_autoptr(MiraTestResponse) none = REQ (f->server, 401, "GET", NULL, NULL,
                                          "/api/v1/networks/%s", f->net->id);
  g_autoptr(MiraTestResponse) missing = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                             "/api/v1/networks/net_%032x", 0);
  g_autoptr(MiraTestResponse) garbage = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                             "/api/v1/networks/not-a-network");

  assert_network_shape (OBJ (by_net));
  g_assert_cmpstr (jstr (OBJ (by_net), "network_id"), ==, f->net->id);
  g_assert_cmpstr (jstr (OBJ (by_net), "name"), ==, "Home");
  g_assert_cmpint (jint (OBJ (by_net), "client_count"), ==, 1);
  g_assert_true (responses_equal (by_net, by_session));
  g_assert_true (responses_equal (by_net, by_admin));
  assert_code (missing, "NETWORK_NOT_FOUND");
}

static void
test_network_patch (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) get = NULL;
  g_autoptr(MiraTestResponse) tz = NULL;
  g_autoptr(MiraTestResponse) before = NULL;
  g_autoptr(MiraTestResponse) after = NULL;
  JsonObject *o;

  r = REQ (f->server, 200, "PATCH", f->net->token,
           Q ("{'name': 'Flat', 'description': 'Top floor', 'settings': {'language': 'de',"
              " 'timezone': 'Europe/Berlin'}}"),
           "/api/v1/networks/%s", f->net->id);
  o = OBJ (r);
  g_assert_cmpstr (jstr (o, "name"), ==, "Flat");
  g_assert_cmpstr (jstr (o, "description"), ==, "Top floor");
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "settings"), "language"), ==, "de");

  get = REQ (f->server, 200, "GET", f->session, NULL, "/api/v1/networks/%s", f->net->id);
  g_assert_true (responses_equal (r, get));
  tz = REQ (f->server, 200, "GET", f->session, NULL, "%s/settings/timezone", f->net->path);
  g_assert_cmpstr (jstr (OBJ (tz), "value"), ==, "Europe/Berlin");

  /* A null setting removes it; a null description clears it */
  {
    g_autoptr(MiraTestResponse) cleared = NULL;

    cleared = REQ (f->server, 200, "PATCH", f->net->token,
                   Q ("{'description': null, 'settings': {'language': null}}"),
                   "/api/v1/networks/%s", f->net->id);
    g_assert_true (jnull (OBJ (cleared), "description"));
    g_assert_false (json_object_has_member (json_object_get_object_member (OBJ (cleared),
                                                                           "settings"),
                                            "language"));
    g_assert_cmpstr (jstr (OBJ (cleared), "name"), ==, "Flat");
  }

  /* Refused patches change nothing */
  before = REQ (f->server, 200, "GET", f->net->token, NULL, "/api/v1/networks/%s", f->net->id);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 403, "PATCH", f->net->token,
                                         Q ("{'name': 'Evil', 'status': 'inactive'}"),
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 403, "PATCH", f->session,
                                         Q ("{'name': 'Evil'}"),
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'name': 42}"), "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'name': ''}"), "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PATCH", MIRA_TEST_ADMIN_TOKEN,
                                         Q ("{'status': 'deleted'}"),
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'name': 'Evil', 'settings': {'timezone': 'Mars/Base'}}"),
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 422, "PATCH", f->net->token,
                                         Q ("{'token_hash': 'x'}"),
                                         "/api/v1/networks/%s", f->net->id);

    assert_code (a, "ADMIN_REQUIRED");
    assert_code (b, "NETWORK_TOKEN_REQUIRED");
    assert_detail_names (c, "name");
    assert_detail_names (d, "name");
    assert_detail_names (e, "status");
    assert_detail_names (g, "settings");
    assert_detail_names (h, "token_hash");
  }
  after = REQ (f->server, 200, "GET", f->net->token, NULL, "/api/v1/networks/%s", f->net->id);
  g_assert_true (responses_equal (before, after));
}

static void
test_network_suspend (Fixture       *f,
                      gconstpointer  data)
{
  const char *person = create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  g_autoptr(MiraTestResponse) r = NULL;

  r = REQ (f->server, 200, "PATCH", MIRA_TEST_ADMIN_TOKEN, Q ("{'status': 'suspended'}"),
           "/api/v1/networks/%s", f->net->id);
  g_assert_cmpstr (jstr (OBJ (r), "status"), ==, "suspended");

  for (guint t = 0; t < 2; t++)
    {
      const char *token = t == 0 ? f->net->token : f->session;
      struct { const char *method, *path, *body; } calls[] = {
        { "GET", P ("/api/v1/networks/%s", f->net->id), NULL },
        { "PATCH", P ("/api/v1/networks/%s", f->net->id), Q ("{'name': 'x'}") },
        { "POST", P ("/api/v1/networks/%s/token/rotate", f->net->id), NULL },
        { "GET", P ("%s/service/info", f->net->path), NULL },
        { "POST", P ("%s/service/client/register/other", f->net->path),
          Q ("{'device_type': 'phone'}") },
        { "GET", P ("%s/clients", f->net->path), NULL },
        { "GET", P ("%s/persons", f->net->path), NULL },
        { "GET", P ("%s/persons/%s", f->net->path, person), NULL },
        { "POST", P ("%s/persons", f->net->path), Q ("{}") },
        { "DELETE", P ("%s/persons/%s", f->net->path, person), NULL },
        { "POST", P ("%s/interactions", f->net->path), Q ("{'content': 'hello'}") },
        { "GET", P ("%s/settings", f->net->path), NULL },
        { "PUT", P ("%s/settings/language", f->net->path), Q ("{'value': 'fr'}") },
      };

      for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
        {
          g_autoptr(MiraTestResponse) refused = NULL;

          refused = request_check (f->server, __FILE__, __LINE__, 403, calls[i].method, token,
                                   calls[i].body, calls[i].path);
          assert_code (refused, "NETWORK_SUSPENDED");
        }
    }

  /* The admin still sees it, and lifts the suspension */
  {
    g_autoptr(MiraTestResponse) persons = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                               "%s/persons", f->net->path);
    g_autoptr(MiraTestResponse) active = NULL;
    g_autoptr(MiraTestResponse) get = NULL;

    g_assert_cmpint (total_of (persons), ==, 1);
    active = REQ (f->server, 200, "PATCH", MIRA_TEST_ADMIN_TOKEN, Q ("{'status': 'active'}"),
                  "/api/v1/networks/%s", f->net->id);
    g_assert_cmpstr (jstr (OBJ (active), "status"), ==, "active");
    get = REQ (f->server, 200, "GET", f->session, NULL, "%s/persons/%s", f->net->path, person);
    g_assert_cmpint (count (f->server, f->net, "persons"), ==, 1);
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 0);
    g_assert_cmpint (count (f->server, f->net, "clients"), ==, 1);
  }
}

static void
test_network_rotate (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) old = NULL;
  g_autoptr(MiraTestResponse) fresh = NULL;
  g_autoptr(MiraTestResponse) by_session = NULL;
  g_autoptr(MiraTestResponse) by_admin = NULL;
  const char *token;

  by_session = REQ (f->server, 403, "POST", f->session, NULL, "/api/v1/networks/%s/token/rotate",
                    f->net->id);
  r = REQ (f->server, 200, "POST", f->net->token, NULL, "/api/v1/networks/%s/token/rotate",
           f->net->id);
  token = jstr (OBJ (r), "network_token");
  g_assert_cmpstr (jstr (OBJ (r), "network_id"), ==, f->net->id);
  g_assert_cmpstr (token, !=, f->net->token);
  g_assert_true (g_str_has_prefix (token, "mnt_"));

  old = REQ (f->server, 401, "GET", f->net->token, NULL, "%s/persons", f->net->path);
  assert_code (old, "INVALID_TOKEN");
  fresh = REQ (f->server, 200, "GET", token, NULL, "%s/persons", f->net->path);

  /* The admin may rotate it too */
  by_admin = REQ (f->server, 200, "POST", MIRA_TEST_ADMIN_TOKEN, NULL,
                  "/api/v1/networks/%s/token/rotate", f->net->id);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "GET", token, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 200, "GET",
                                         jstr (OBJ (by_admin), "network_token"), NULL,
                                         "%s/persons", f->net->path);
  }
}

static void
test_network_admin_list (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(MiraTestServer) server = private_server (f->backend, FALSE);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GString) seen = g_string_new (NULL);
  const char *token = NULL;

  for (guint i = 0; i < 6; i++)
    {
      Net *net = net_new (server, P ("Net %u", i));

      g_ptr_array_add (ids, (gpointer) net->id);
      token = net->token;
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(MiraTestResponse) r = REQ (server, 200, "PATCH", MIRA_TEST_ADMIN_TOKEN,
                                           Q ("{'status': 'suspended'}"),
                                           "/api/v1/networks/%s", (char *) ids->pdata[i]);
    }

  {
    g_autoptr(MiraTestResponse) all = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                           "/api/v1/admin/networks");
    g_autoptr(MiraTestResponse) suspended = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                                 "/api/v1/admin/networks?status=suspended");
    g_autoptr(MiraTestResponse) active = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                              "/api/v1/admin/networks?status=active");
    g_autoptr(MiraTestResponse) inactive = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                                "/api/v1/admin/networks?status=inactive");
    g_autoptr(MiraTestResponse) bogus = REQ (server, 400, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                             "/api/v1/admin/networks?status=bogus");
    g_autoptr(MiraTestResponse) by_net = REQ (server, 403, "GET", token, NULL,
                                              "/api/v1/admin/networks");
    g_autoptr(MiraTestResponse) none = REQ (server, 401, "GET", NULL, NULL,
                                            "/api/v1/admin/networks");

    g_assert_cmpint (total_of (all), ==, 6);
    g_assert_cmpint (n_items (all), ==, 6);
    g_assert_cmpint (jint (OBJ (all), "limit"), ==, 50);
    g_assert_cmpint (jint (OBJ (all), "offset"), ==, 0);
    assert_network_shape (json_array_get_object_element (items_of (all), 0));
    g_assert_cmpint (total_of (suspended), ==, 2);
    g_assert_true (items_have (suspended, "network_id", ids->pdata[0]));
    g_assert_true (items_have (suspended, "network_id", ids->pdata[1]));
    g_assert_cmpint (total_of (active), ==, 4);
    g_assert_false (items_have (active, "network_id", ids->pdata[0]));
    g_assert_cmpint (total_of (inactive), ==, 0);
    g_assert_cmpint (n_items (inactive), ==, 0);
    assert_code (by_net, "ADMIN_REQUIRED");
    assert_detail_names (bogus, "status");
  }

  /* Pages of 4: disjoint, complete, with the total on each */
  for (guint offset = 0; offset < 8; offset += 4)
    {
      g_autoptr(MiraTestResponse) page = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                              "/api/v1/admin/networks?limit=4&offset=%u", offset);

      g_assert_cmpint (total_of (page), ==, 6);
      g_assert_cmpint (n_items (page), ==, offset == 0 ? 4 : 2);
      g_string_append_printf (seen, "%s ", item_ids (page, "network_id"));
    }
  for (guint i = 0; i < ids->len; i++)
    g_assert_nonnull (strstr (seen->str, ids->pdata[i]));
  {
    g_auto(GStrv) words = g_strsplit (g_strstrip (seen->str), " ", -1);
    g_autoptr(GHashTable) unique = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; words[i]; i++)
      g_assert_true (g_hash_table_add (unique, words[i]));
    g_assert_cmpuint (g_hash_table_size (unique), ==, 6);
  }
  {
    g_autoptr(MiraTestResponse) page = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                            "/api/v1/admin/networks?status=active&limit=1&offset=3");
    g_autoptr(MiraTestResponse) beyond = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                              "/api/v1/admin/networks?offset=100");

    g_assert_cmpint (total_of (page), ==, 4);
    g_assert_cmpint (n_items (page), ==, 1);
    g_assert_cmpint (total_of (beyond), ==, 6);
    g_assert_cmpint (n_items (beyond), ==, 0);
  }
}

/* The value of an unlabelled gauge in /metrics */
static gint64
metric (MiraTestServer *server,
        const char     *name)
{
  g_autoptr(MiraTestResponse) r = REQ (server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                       "/metrics");
  g_auto(GStrv) lines = g_strsplit (r->body, "\n", -1);
  g_autofree char *prefix = g_strconcat (name, " ", NULL);

  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_ascii_strtoll (lines[i] + strlen (prefix), NULL, 10);
  g_error ("/metrics has no %s", name);
}

static void
test_network_delete (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const tables[] = {
    "mira_persons", "mira_conversations", "mira_interactions", "mira_reminders",
    "mira_calendar_events", "mira_actions",
  };
  gint64 before[G_N_ELEMENTS (tables)];
  const char *person = create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  const char *interaction = create (f->server, f->net, f->session, "interactions",
                                    Q ("{'content': 'to be deleted', 'person_id': '%s'}", person));
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) set = NULL;

  set = REQ (f->server, 201, "PUT", f->net->token, Q ("{'value': 'fr'}"), "%s/settings/language",
             f->net->path);
  create (f->server, f->net, f->net->token, "reminders",
          Q ("{'title': 'x', 'due_time': '2026-01-01T00:00:00Z', 'interaction_id': '%s'}",
             interaction));
  create (f->server, f->net, f->net->token, "calendar/events",
          Q ("{'title': 'x', 'start_time': '2026-01-01T00:00:00Z', 'interaction_id': '%s'}",
             interaction));
  create (f->server, f->net, f->net->token, "actions",
          Q ("{'interaction_id': '%s', 'action_type': 'remind', 'action_data': {}}",
             interaction));
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    before[i] = metric (f->server, tables[i]);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 403, "DELETE", f->net->token, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 403, "DELETE", f->session, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 401, "DELETE", NULL, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) still = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/interactions/%s", f->net->path, interaction);
  }

  r = REQ (f->server, 204, "DELETE", MIRA_TEST_ADMIN_TOKEN, NULL, "/api/v1/networks/%s",
           f->net->id);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                         "%s/persons", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                         "%s/interactions/%s", f->net->path, interaction);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 401, "GET", f->net->token, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 401, "GET", f->session, NULL,
                                         "%s/persons", f->net->path);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 404, "DELETE", MIRA_TEST_ADMIN_TOKEN, NULL,
                                         "/api/v1/networks/%s", f->net->id);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                            "/api/v1/admin/networks?limit=500");

    assert_code (a, "NETWORK_NOT_FOUND");
    assert_code (d, "INVALID_TOKEN");
    g_assert_false (items_have (list, "network_id", f->net->id));
  }

  /* It had one of each (the interaction opened a conversation); all went with it */
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (metric (f->server, tables[i]), ==, before[i] - 1);
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "networks/create", test_network_create },
    { "networks/open-registration", test_network_open_registration },
    { "networks/get", test_network_get },
    { "networks/patch", test_network_patch },
    { "networks/suspend", test_network_suspend },
    { "networks/rotate-token", test_network_rotate },
    { "networks/admin-list", test_network_admin_list },
    { "networks/delete", test_network_delete },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
