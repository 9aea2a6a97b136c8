/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-server"

/* The server's own endpoints: /health, /openapi.json (which documents every
 * route the server answers, and the whole REST contract of API.md) and
 * /metrics (for the admin only).
 */

#include <string.h>

#include "mira-api.h"
#include "mira-test-api.h"

static void
test_health (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 200, "GET", NULL, NULL, "/health");
  JsonObject *o = OBJ (r);

  g_assert_cmpstr (r->content_type, ==, "application/json");
  g_assert_cmpstr (jstr (o, "status"), ==, "ok");
  g_assert_cmpstr (jstr (o, "database"), ==, "ok");
  g_assert_cmpstr (jstr (o, "version"), !=, "");
  g_assert_cmpint (jint (o, "uptime_s"), >=, 0);
}

/* "networks/{network_id}/token/rotate" → "/api/v1/networks/{}/token/rotate" */
static char *
normalize_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path[0] == '/' ? path : P ("/api/v1/%s", path), "/", -1);

  for (guint i = 0; parts[i]; i++)
    if (parts[i][0] == '{')
      {
        g_free (parts[i]);
        parts[i] = g_strdup ("{}");
      }
  return g_strjoinv ("/", parts);
}

static void
test_openapi (Fixture       *f,
              gconstpointer  data)
{
  /* The REST part of API.md */
  static const char * const contract[] = {
    "GET /health", "GET /metrics", "GET /openapi.json",
    "POST /api/v1/networks", "GET /api/v1/networks/{}", "PATCH /api/v1/networks/{}",
    "DELETE /api/v1/networks/{}", "GET /api/v1/admin/networks",
    "POST /api/v1/networks/{}/token/rotate",
    "POST /api/v1/{}/service/client/register/{}", "DELETE /api/v1/{}/service/client/deregister/{}",
    "GET /api/v1/{}/service/info", "GET /api/v1/{}/clients", "GET /api/v1/{}/clients/{}",
    "GET /api/v1/{}/persons", "POST /api/v1/{}/persons", "GET /api/v1/{}/persons/{}",
    "PUT /api/v1/{}/persons/{}", "DELETE /api/v1/{}/persons/{}",
    "POST /api/v1/{}/persons/{}/merge", "POST /api/v1/{}/persons/{}/voice",
    "GET /api/v1/{}/conversations", "POST /api/v1/{}/conversations",
    "GET /api/v1/{}/conversations/{}", "PUT /api/v1/{}/conversations/{}",
    "DELETE /api/v1/{}/conversations/{}", "POST /api/v1/{}/conversations/{}/close",
    "GET /api/v1/{}/interactions", "POST /api/v1/{}/interactions",
    "GET /api/v1/{}/interactions/{}", "PUT /api/v1/{}/interactions/{}",
    "DELETE /api/v1/{}/interactions/{}",
    "GET /api/v1/{}/reminders", "POST /api/v1/{}/reminders", "GET /api/v1/{}/reminders/{}",
    "PUT /api/v1/{}/reminders/{}", "PATCH /api/v1/{}/reminders/{}",
    "DELETE /api/v1/{}/reminders/{}", "POST /api/v1/{}/reminders/{}/complete",
    "GET /api/v1/{}/calendar/events", "POST /api/v1/{}/calendar/events",
    "GET /api/v1/{}/calendar/events/{}", "PUT /api/v1/{}/calendar/events/{}",
    "DELETE /api/v1/{}/calendar/events/{}",
    "GET /api/v1/{}/actions", "GET /api/v1/{}/actions/{}", "PATCH /api/v1/{}/actions/{}",
    "GET /api/v1/{}/settings", "GET /api/v1/{}/settings/{}", "PUT /api/v1/{}/settings/{}",
    "DELETE /api/v1/{}/settings/{}",
    NULL
  };
  g_autoptr(MiraTestResponse) r = REQ (f->server, 200, "GET", NULL, NULL, "/openapi.json");
  g_autoptr(GHashTable) documented = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *doc = OBJ (r);
  JsonObject *paths;
  JsonObjectIter iter;
  const char *path;
  JsonNode *item;
  const MiraApiRoute *routes;
  guint n_routes;

  g_assert_true (g_str_has_prefix (jstr (doc, "openapi"), "3."));
  g_assert_true (json_object_has_member (doc, "info"));
  paths = json_object_get_object_member (doc, "paths");
  g_assert_nonnull (paths);

  json_object_iter_init (&iter, paths);
  while (json_object_iter_next (&iter, &path, &item))
    {
      g_autofree char *normal = normalize_path (path);
      JsonObjectIter ops;
      const char *method;

      g_assert_true (JSON_NODE_HOLDS_OBJECT (item));
      json_object_iter_init (&ops, json_node_get_object (item));
      while (json_object_iter_next (&ops, &method, NULL))
        {
          g_autofree char *upper = g_ascii_strup (method, -1);
          g_hash_table_add (documented, g_strdup_printf ("%s %s", upper, normal));
        }
    }

  for (guint i = 0; contract[i]; i++)
    if (!g_hash_table_contains (documented, contract[i]))
      g_error ("/openapi.json lacks %s", contract[i]);

  /* and every route the server answers */
  routes = mira_api_routes (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *normal = normalize_path (routes[i].pattern);
      g_autofree char *key = g_strdup_printf ("%s %s", routes[i].method, normal);

      if (!g_hash_table_contains (documented, key))
        g_error ("/openapi.json lacks %s", key);
    }
}

static void
test_metrics (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(MiraTestResponse) none = REQ (f->server, 401, "GET", NULL, NULL, "/metrics");
  g_autoptr(MiraTestResponse) bad = REQ (f->server, 401, "GET", "nope", NULL, "/metrics");
  g_autoptr(MiraTestResponse) net = REQ (f->server, 403, "GET", f->net->token, NULL, "/metrics");
  g_autoptr(MiraTestResponse) session = REQ (f->server, 403, "GET", f->session, NULL, "/metrics");
  g_autoptr(MiraTestResponse) admin = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                           "/metrics");

  assert_code (none, "AUTH_REQUIRED");
  assert_code (bad, "INVALID_TOKEN");
  g_assert_cmpstr (admin->content_type, ==, "text/plain");
  g_assert_nonnull (strstr (admin->body, "# TYPE mira_networks gauge"));
  g_assert_nonnull (strstr (admin->body, "mira_networks{status=\"active\"}"));
  g_assert_nonnull (strstr (admin->body, "mira_interactions "));
  /* Every audio thread, even with no socket yet */
  g_assert_nonnull (strstr (admin->body, "# TYPE mira_audio_sockets gauge"));
  g_assert_nonnull (strstr (admin->body, "mira_audio_sockets{thread=\"0\"} 0"));
  g_assert_nonnull (strstr (admin->body, "mira_audio_messages_total{thread=\"0\"} "));
  g_assert_nonnull (strstr (admin->body, "mira_audio_cpu_seconds_total{thread=\"0\"} "));
  g_assert_null (admin->json);
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "server/health", test_health },
    { "server/openapi", test_openapi },
    { "server/metrics", test_metrics },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
