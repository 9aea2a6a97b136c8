/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api"

/* The HTTP API as a device, a script or the dashboard sees it: status codes,
 * bodies, and that a refused request changed nothing. Every case runs on
 * SQLite and on PostgreSQL, each against a real server on its own thread,
 * each in a network of its own.
 */

#include <stdarg.h>
#include <string.h>

#include "mira-api-private.h"
#include "mira-store.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

static const Backend backends[N_BACKENDS] = { BACKEND_SQLITE, BACKEND_POSTGRESQL };
static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };

/* One server per backend, shared by the cases; they do not interfere
 * because each works in a network of its own.
 */
static MiraTestServer *shared_servers[N_BACKENDS];

/* Strings a case makes (bodies, ids, paths), freed after it */
static GPtrArray *pool;

typedef struct {
  const char *id;      /* net_… */
  const char *token;   /* the network token */
  const char *path;    /* /api/v1/net_… */
} Net;

typedef struct {
  Backend          backend;
  MiraTestServer  *server;
  Net             *net;
  const char      *client_id;
  const char      *session;    /* session token of client_id */
} Fixture;

/* Helpers */

static const char *
pool_take (char *text)
{
  g_ptr_array_add (pool, text);
  return text;
}

/* JSON written with single quotes, for legibility: Q ("{'name': '%s'}", name) */
static const char *Q (const char *format, ...) G_GNUC_PRINTF (1, 2);

static const char *
Q (const char *format,
   ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_strdelimit (text, "'", '"');
  return pool_take (text);
}

static const char *P (const char *format, ...) G_GNUC_PRINTF (1, 2);

static const char *
P (const char *format,
   ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return pool_take (text);
}

static void
fail_at (const char *file,
         int         line,
         const char *message)
{
  g_assertion_message (G_LOG_DOMAIN, file, line, "request", message);
}

static gboolean
is_timestamp (const char *text)
{
  return text != NULL &&
         g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                               text, 0, 0);
}

/* What every error answer must look like */
static void
check_error_shape (const char       *file,
                   int               line,
                   const char       *what,
                   MiraTestResponse *r)
{
  JsonObject *o;
  JsonNode *detail, *code, *timestamp;

  if (r->json == NULL || !JSON_NODE_HOLDS_OBJECT (r->json))
    fail_at (file, line, P ("%s: error body is not a JSON object (%s): %s", what,
                            r->content_type ? r->content_type : "no type", r->body));
  o = json_node_get_object (r->json);
  detail = json_object_get_member (o, "detail");
  code = json_object_get_member (o, "error_code");
  timestamp = json_object_get_member (o, "timestamp");
  if (detail == NULL || json_node_get_value_type (detail) != G_TYPE_STRING ||
      *json_node_get_string (detail) == '\0' ||
      code == NULL || json_node_get_value_type (code) != G_TYPE_STRING ||
      !g_regex_match_simple ("^[A-Z][A-Z_]+$", json_node_get_string (code), 0, 0) ||
      timestamp == NULL || json_node_get_value_type (timestamp) != G_TYPE_STRING ||
      !is_timestamp (json_node_get_string (timestamp)))
    fail_at (file, line, P ("%s: not the error shape: %s", what, r->body));
}

static MiraTestResponse *
request_check (MiraTestServer *server,
               const char     *file,
               int             line,
               guint           expected,
               const char     *method,
               const char     *token,
               const char     *body,
               const char     *path)
{
  MiraTestResponse *r = mira_test_request (server, method, path, token, body);
  const char *what = P ("%s %s", method, path);

  if (r->status != expected)
    fail_at (file, line, P ("%s: expected %u, got %u: %s", what, expected, r->status, r->body));
  if (r->status >= 400)
    check_error_shape (file, line, what, r);
  else if (r->status == 204)
    {
      if (r->body_len != 0)
        fail_at (file, line, P ("%s: 204 with a body: %s", what, r->body));
    }
  else if (!g_str_equal (path, "/metrics") && r->json == NULL)
    fail_at (file, line, P ("%s: not JSON (%s): %s", what,
                            r->content_type ? r->content_type : "no type", r->body));
  return r;
}

/* REQ (server, 200, "GET", token, body or NULL, "/api/v1/%s/persons", id) */
#define REQ(server, status, method, token, body, ...) \
  request_check ((server), __FILE__, __LINE__, (status), (method), (token), (body), P (__VA_ARGS__))

#define OBJ(r) mira_test_response_object (r)

static const char *
jstr (JsonObject *o,
      const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), o);
      g_autofree char *text = json_to_string (root, FALSE);

      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                           P ("member '%s' is not a string in %s", name, text));
    }
  return json_node_get_string (node);
}

static gint64
jint (JsonObject *o,
      const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

static gboolean
jnull (JsonObject *o,
       const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  g_assert_nonnull (node);
  return JSON_NODE_HOLDS_NULL (node);
}

static void
assert_code (MiraTestResponse *r,
             const char       *code)
{
  g_assert_cmpstr (jstr (OBJ (r), "error_code"), ==, code);
}

/* 422 and the like must say which field is wrong */
static void
assert_detail_names (MiraTestResponse *r,
                     const char       *field)
{
  const char *detail = jstr (OBJ (r), "detail");

  if (strstr (detail, field) == NULL)
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                         P ("detail does not name '%s': %s", field, detail));
}

static JsonArray *
items_of (MiraTestResponse *r)
{
  return json_object_get_array_member (OBJ (r), "items");
}

static guint
n_items (MiraTestResponse *r)
{
  return json_array_get_length (items_of (r));
}

static gint64
total_of (MiraTestResponse *r)
{
  return jint (OBJ (r), "total");
}

static gboolean
items_have (MiraTestResponse *r,
            const char       *member,
            const char       *value)
{
  JsonArray *items = items_of (r);

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      JsonNode *node = json_object_get_member (item, member);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The ids of a list answer, in order, joined by spaces */
static const char *
item_ids (MiraTestResponse *r,
          const char       *member)
{
  JsonArray *items = items_of (r);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (items); i++)
    g_string_append_printf (out, "%s%s", i ? " " : "",
                            jstr (json_array_get_object_element (items, i), member));
  return pool_take (g_string_free (out, FALSE));
}

/* None of @secrets but those the caller gave in @path */
static void
assert_body_lacks_beyond (MiraTestResponse   *r,
                          const char * const *secrets,
                          const char         *path)
{
  for (guint i = 0; secrets[i] != NULL; i++)
    if (strstr (r->body, secrets[i]) != NULL && (path == NULL || !strstr (path, secrets[i])))
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                           P ("the answer shows '%s': %s", secrets[i], r->body));
}

static void
assert_body_lacks (MiraTestResponse   *r,
                   const char * const *secrets)
{
  assert_body_lacks_beyond (r, secrets, NULL);
}

static gboolean
responses_equal (MiraTestResponse *a,
                 MiraTestResponse *b)
{
  return a->json != NULL && b->json != NULL && json_node_equal (a->json, b->json);
}

static MiraTestServer *
shared_server (Backend backend)
{
  if (shared_servers[backend] == NULL)
    {
      g_autofree char *uri = backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                       : mira_test_pg_start ();

      shared_servers[backend] = mira_test_server_new (uri, FALSE);
    }
  return shared_servers[backend];
}

/* A server on a database of its own, for cases that count networks */
static MiraTestServer *
private_server (Backend  backend,
                gboolean open_registration)
{
  g_autofree char *uri = backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                   : mira_test_pg_new_database ();

  return mira_test_server_new (uri, open_registration);
}

static Net *
net_new (MiraTestServer *server,
         const char     *name)
{
  g_autoptr(MiraTestResponse) r = NULL;
  Net *net = g_new0 (Net, 1);
  JsonObject *o;

  r = REQ (server, 201, "POST", MIRA_TEST_ADMIN_TOKEN, Q ("{'name': '%s'}", name),
           "/api/v1/networks");
  o = OBJ (r);
  net->id = pool_take (g_strdup (jstr (o, "network_id")));
  net->token = pool_take (g_strdup (jstr (o, "network_token")));
  net->path = P ("/api/v1/%s", net->id);
  pool_take ((char *) net);
  return net;
}

/* Registers @client_id in @net; returns its session token */
static const char *
register_client (MiraTestServer *server,
                 Net            *net,
                 const char     *client_id)
{
  g_autoptr(MiraTestResponse) r = NULL;

  r = REQ (server, 201, "POST", net->token, Q ("{'device_type': 'phone'}"),
           "%s/service/client/register/%s", net->path, client_id);
  return pool_take (g_strdup (jstr (OBJ (r), "session_token")));
}

/* POSTs @body to @net's @collection; returns the new id */
static const char *
create (MiraTestServer *server,
        Net            *net,
        const char     *token,
        const char     *collection,
        const char     *body)
{
  g_autoptr(MiraTestResponse) r = NULL;

  r = REQ (server, 201, "POST", token, body, "%s/%s", net->path, collection);
  return pool_take (g_strdup (jstr (OBJ (r), "id")));
}

static gint64
count (MiraTestServer *server,
       Net            *net,
       const char     *collection)
{
  g_autoptr(MiraTestResponse) r = REQ (server, 200, "GET", net->token, NULL, "%s/%s", net->path,
                                       collection);
  return total_of (r);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->backend = *(const Backend *) data;
  f->server = shared_server (f->backend);
  f->net = net_new (f->server, "Home");
  f->client_id = "kitchen-mic";
  f->session = register_client (f->server, f->net, f->client_id);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_ptr_array_set_size (pool, 0);
}

/* Server */

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

/* Networks */

static void
assert_network_shape (JsonObject *o)
{
  static const char * const members[] = {
    "network_id", "name", "description", "status", "created_at", "updated_at",
    "last_activity", "client_count", "settings", NULL
  };

  for (guint i = 0; members[i]; i++)
    g_assert_true (json_object_has_member (o, members[i]));
  g_assert_true (g_regex_match_simple ("^net_[0-9a-f]{32}$", jstr (o, "network_id"), 0, 0));
  g_assert_true (is_timestamp (jstr (o, "created_at")));
  g_assert_true (is_timestamp (jstr (o, "updated_at")));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "settings")));
  g_assert_false (json_object_has_member (o, "token_hash"));
  g_assert_false (json_object_has_member (o, "id"));
}

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

/* Clients */

static void
test_client_register (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) again = NULL;
  JsonObject *o;
  const char *first, *second;

  r = REQ (f->server, 201, "POST", f->net->token,
           Q ("{'device_type': 'esp32', 'device_info': {'fw': '1.2'}, 'capabilities': ['audio'],"
              " 'location': {'room': 'hall'}, 'rssi': -61}"),
           "%s/service/client/register/hall-mic_2.b", f->net->path);
  o = OBJ (r);
  g_assert_cmpstr (jstr (o, "client_id"), ==, "hall-mic_2.b");
  g_assert_cmpstr (jstr (o, "network_id"), ==, f->net->id);
  g_assert_cmpstr (jstr (o, "device_type"), ==, "esp32");
  g_assert_cmpstr (jstr (o, "connection_status"), ==, "disconnected");
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "device_info"), "fw"), ==, "1.2");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "capabilities")), ==, 1);
  g_assert_true (is_timestamp (jstr (o, "created_at")));
  g_assert_true (g_regex_match_simple ("^mst_[0-9a-f]{64}$", jstr (o, "session_token"), 0, 0));
  first = pool_take (g_strdup (jstr (o, "session_token")));

  {
    g_autoptr(MiraTestResponse) ok = REQ (f->server, 200, "GET", first, NULL, "%s/persons",
                                          f->net->path);
  }

  /* Registering again: 200, a new session, the old one ends */
  again = REQ (f->server, 200, "POST", f->net->token, Q ("{'device_type': 'esp32-s3'}"),
               "%s/service/client/register/hall-mic_2.b", f->net->path);
  second = jstr (OBJ (again), "session_token");
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpstr (jstr (OBJ (again), "device_type"), ==, "esp32-s3");
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "GET", first, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 200, "GET", second, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 200, "GET", f->session, NULL, "%s/persons",
                                         f->net->path);
  }

  /* Refusals register nothing */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/bad%%20id!", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/-dash", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/%051d", f->net->path, 7);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'device_info': {}}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'device_type': 7}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 403, "POST", f->session,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 400, "POST", f->net->token, NULL,
                                         "%s/service/client/register/new-one", f->net->path);

    assert_code (a, "INVALID_CLIENT_ID");
    assert_code (c, "INVALID_CLIENT_ID");
    assert_detail_names (d, "device_type");
    assert_detail_names (e, "device_type");
    assert_code (g, "NETWORK_TOKEN_REQUIRED");
  }
  g_assert_cmpint (count (f->server, f->net, "clients"), ==, 2);
}

static void
test_client_list (Fixture       *f,
                  gconstpointer  data)
{
  register_client (f->server, f->net, "b-phone");
  {
    g_autoptr(MiraTestResponse) all = REQ (f->server, 200, "GET", f->session, NULL, "%s/clients",
                                           f->net->path);
    g_autoptr(MiraTestResponse) disconnected = REQ (f->server, 200, "GET", f->session, NULL,
                                                    "%s/clients?status=disconnected",
                                                    f->net->path);
    g_autoptr(MiraTestResponse) connected = REQ (f->server, 200, "GET", f->session, NULL,
                                                 "%s/clients?status=connected", f->net->path);
    g_autoptr(MiraTestResponse) bogus = REQ (f->server, 400, "GET", f->session, NULL,
                                             "%s/clients?status=sleeping", f->net->path);
    g_autoptr(MiraTestResponse) one = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/clients/b-phone", f->net->path);
    g_autoptr(MiraTestResponse) missing = REQ (f->server, 404, "GET", f->net->token, NULL,
                                               "%s/clients/nobody", f->net->path);
    g_autoptr(MiraTestResponse) invalid = REQ (f->server, 400, "GET", f->net->token, NULL,
                                               "%s/clients/bad%%20id", f->net->path);

    g_assert_cmpint (total_of (all), ==, 2);
    g_assert_true (items_have (all, "client_id", "kitchen-mic"));
    g_assert_true (items_have (all, "client_id", "b-phone"));
    g_assert_cmpint (total_of (disconnected), ==, 2);
    g_assert_cmpint (total_of (connected), ==, 0);
    g_assert_cmpint (n_items (connected), ==, 0);
    assert_detail_names (bogus, "status");
    g_assert_cmpstr (jstr (OBJ (one), "client_id"), ==, "b-phone");
    g_assert_false (json_object_has_member (OBJ (one), "session_token"));
    assert_code (missing, "CLIENT_NOT_FOUND");
  }
}

static void
test_client_service_info (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 200, "GET", f->session, NULL,
                                       "%s/service/info", f->net->path);
  JsonObject *o = OBJ (r);
  JsonObject *server = json_object_get_object_member (o, "server");
  JsonArray *clients = json_object_get_array_member (o, "clients");

  assert_network_shape (json_object_get_object_member (o, "network"));
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "network"), "network_id"), ==,
                   f->net->id);
  g_assert_nonnull (clients);
  g_assert_cmpint (json_array_get_length (clients), ==, 1);
  g_assert_cmpstr (jstr (json_array_get_object_element (clients, 0), "client_id"), ==,
                   f->client_id);
  g_assert_cmpint (jint (o, "active_clients"), ==, 0);
  g_assert_true (json_object_has_member (o, "best_stream"));
  g_assert_nonnull (server);
  g_assert_cmpstr (jstr (server, "version"), !=, "");
  g_assert_nonnull (jstr (server, "transcriber"));
}

static void
test_client_deregister (Fixture       *f,
                        gconstpointer  data)
{
  const char *other = register_client (f->server, f->net, "other-mic");
  g_autoptr(MiraTestResponse) refused = NULL;
  g_autoptr(MiraTestResponse) own = NULL;

  refused = REQ (f->server, 403, "DELETE", other, NULL, "%s/service/client/deregister/%s",
                 f->net->path, f->client_id);
  {
    g_autoptr(MiraTestResponse) still = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/clients/%s", f->net->path, f->client_id);
    g_autoptr(MiraTestResponse) works = REQ (f->server, 200, "GET", f->session, NULL,
                                             "%s/persons", f->net->path);
  }

  own = REQ (f->server, 204, "DELETE", f->session, NULL, "%s/service/client/deregister/%s",
             f->net->path, f->client_id);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/clients/%s", f->net->path, f->client_id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 401, "GET", f->session, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 404, "DELETE", f->net->token, NULL,
                                         "%s/service/client/deregister/%s", f->net->path,
                                         f->client_id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                         "%s/service/client/deregister/other-mic",
                                         f->net->path);

    assert_code (a, "CLIENT_NOT_FOUND");
    assert_code (c, "CLIENT_NOT_FOUND");
  }
  g_assert_cmpint (count (f->server, f->net, "clients"), ==, 0);
}

/* Persons */

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
    g_autoptr(MiraTestResponse) missing = REQ (f->server, 404, "POST", f->net->token,
                                               Q ("{'from': '%s'}", from),
                                               "%s/persons/00000000-0000-4000-8000-000000000000/merge",
                                               f->net->path);

    assert_detail_names (self, "from");
    assert_detail_names (none, "from");
    assert_detail_names (ghost, "from");
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

/* Conversations */

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

/* Reminders */

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

/* Calendar events */

static void
test_calendar_crud (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'title': 'Dentist', 'start_time': '2026-04-01T14:00:00Z',"
                                          " 'end_time': '2026-04-01T15:00:00Z', 'location': 'Town',"
                                          " 'attendees': ['me', 'Ann']}"),
                                       "%s/calendar/events", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");

  g_assert_cmpstr (jstr (o, "title"), ==, "Dentist");
  g_assert_cmpstr (jstr (o, "start_time"), ==, "2026-04-01T14:00:00.000Z");
  g_assert_cmpstr (jstr (o, "end_time"), ==, "2026-04-01T15:00:00.000Z");
  g_assert_cmpstr (jstr (o, "location"), ==, "Town");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "attendees")), ==, 2);

  {
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->session,
                                           Q ("{'title': 'Dentist (moved)', 'end_time': null}"),
                                           "%s/calendar/events/%s", f->net->path, id);

    g_assert_true (responses_equal (r, get));
    g_assert_cmpstr (jstr (OBJ (put), "title"), ==, "Dentist (moved)");
    g_assert_true (jnull (OBJ (put), "end_time"));
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'title': 'x'}"), "%s/calendar/events",
                                         f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'attendees': 'everyone'}"),
                                         "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'start_time': null}"),
                                         "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/calendar/events/%s", f->net->path, id);

    assert_detail_names (a, "start_time");
    assert_detail_names (b, "attendees");
    assert_detail_names (c, "start_time");
    g_assert_true (responses_equal (before, after));
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/calendar/events/%s", f->net->path, id);

    assert_code (a, "CALENDAR_EVENT_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "calendar/events"), ==, 0);
  }
}

static void
test_calendar_range (Fixture       *f,
                     gconstpointer  data)
{
  const char *e1 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'one', 'start_time': '2026-01-05T10:00:00Z',"
                              " 'end_time': '2026-01-05T11:00:00Z'}"));
  const char *e2 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'two', 'start_time': '2026-01-10T09:00:00Z',"
                              " 'end_time': '2026-01-12T17:00:00Z'}"));
  const char *e3 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'three', 'start_time': '2026-01-20T08:00:00Z'}"));

#define EXPECT_IDS(query, expected)                                                         \
  G_STMT_START {                                                                            \
    g_autoptr(MiraTestResponse) list_ = REQ (f->server, 200, "GET", f->session, NULL,       \
                                             "%s/calendar/events%s", f->net->path, (query)); \
    g_assert_cmpstr (item_ids (list_, "id"), ==, (expected));                               \
    g_assert_cmpint (total_of (list_), ==, (gint64) n_items (list_));                       \
  } G_STMT_END

  EXPECT_IDS ("", P ("%s %s %s", e1, e2, e3));
  EXPECT_IDS ("?start=2026-01-06T00:00:00Z&end=2026-01-15T00:00:00Z", e2);
  /* overlapping counts */
  EXPECT_IDS ("?start=2026-01-11T00:00:00Z&end=2026-01-11T01:00:00Z", e2);
  EXPECT_IDS ("?start=2026-01-05T10:30:00Z&end=2026-01-05T10:45:00Z", e1);
  EXPECT_IDS ("?start=2026-01-01T00:00:00Z&end=2026-02-01T00:00:00Z", P ("%s %s %s", e1, e2, e3));
  EXPECT_IDS ("?end=2026-01-06T00:00:00Z", e1);
  EXPECT_IDS ("?start=2026-01-13T00:00:00Z", e3);
  EXPECT_IDS ("?start=2026-01-20T08:00:00Z&end=2026-01-20T08:00:01Z", e3);
  EXPECT_IDS ("?start=2026-01-21T00:00:00Z", "");

#undef EXPECT_IDS

  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 400, "GET", f->session, NULL,
                                         "%s/calendar/events?start=monday", f->net->path);
    assert_detail_names (a, "start");
  }
}

static void
test_calendar_end_before_start (Fixture       *f,
                                gconstpointer  data)
{
  const char *id = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'ok', 'start_time': '2026-05-01T10:00:00Z',"
                              " 'end_time': '2026-05-01T11:00:00Z'}"));
  g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/calendar/events/%s", f->net->path, id);
  g_autoptr(MiraTestResponse) create_bad = NULL;
  g_autoptr(MiraTestResponse) put_end = NULL;
  g_autoptr(MiraTestResponse) put_start = NULL;
  g_autoptr(MiraTestResponse) after = NULL;

  create_bad = REQ (f->server, 422, "POST", f->net->token,
                    Q ("{'title': 'backwards', 'start_time': '2026-05-02T10:00:00Z',"
                       " 'end_time': '2026-05-02T09:00:00Z'}"),
                    "%s/calendar/events", f->net->path);
  put_end = REQ (f->server, 422, "PUT", f->net->token,
                 Q ("{'end_time': '2026-05-01T09:59:59Z'}"),
                 "%s/calendar/events/%s", f->net->path, id);
  put_start = REQ (f->server, 422, "PUT", f->net->token,
                   Q ("{'start_time': '2026-05-01T12:00:00Z'}"),
                   "%s/calendar/events/%s", f->net->path, id);
  after = REQ (f->server, 200, "GET", f->net->token, NULL, "%s/calendar/events/%s",
               f->net->path, id);

  assert_detail_names (create_bad, "end_time");
  assert_detail_names (put_end, "end_time");
  assert_detail_names (put_start, "end_time");
  /* never a database message */
  for (guint i = 0; i < 3; i++)
    {
      MiraTestResponse *r = (MiraTestResponse *[]) { create_bad, put_end, put_start }[i];
      const char *detail = jstr (OBJ (r), "detail");

      g_assert_null (strstr (detail, "constraint"));
      g_assert_null (strstr (detail, "CHECK"));
      g_assert_null (strstr (detail, "calendar_events"));
    }
  g_assert_true (responses_equal (before, after));
  g_assert_cmpint (count (f->server, f->net, "calendar/events"), ==, 1);

  /* An end equal to the start is an instant, and fine */
  {
    g_autoptr(MiraTestResponse) same = REQ (f->server, 200, "PUT", f->net->token,
                                            Q ("{'end_time': '2026-05-01T10:00:00Z'}"),
                                            "%s/calendar/events/%s", f->net->path, id);
  }
}

/* Actions */

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

/* Settings */

static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  {
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->session, NULL,
                                            "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) tz = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) timeout = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/settings/conversation_timeout_s",
                                               f->net->path);
    g_autoptr(MiraTestResponse) unknown = REQ (f->server, 404, "GET", f->session, NULL,
                                               "%s/settings/colour", f->net->path);

    g_assert_cmpint (total_of (list), ==, 0);
    g_assert_cmpstr (jstr (OBJ (tz), "key"), ==, "timezone");
    g_assert_cmpstr (jstr (OBJ (tz), "value"), ==, "UTC");
    g_assert_cmpstr (jstr (OBJ (tz), "type"), ==, "string");
    g_assert_cmpstr (jstr (OBJ (timeout), "type"), ==, "number");
    assert_code (unknown, "SETTING_NOT_FOUND");
  }

  {
    g_autoptr(MiraTestResponse) created = REQ (f->server, 201, "PUT", f->session,
                                               Q ("{'value': 'Europe/Paris'}"),
                                               "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) updated = REQ (f->server, 200, "PUT", f->session,
                                               Q ("{'value': 'America/New_York', 'type': 'string'}"),
                                               "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 200, "GET", f->session, NULL,
                                               "/api/v1/networks/%s", f->net->id);

    g_assert_cmpstr (jstr (OBJ (created), "value"), ==, "Europe/Paris");
    g_assert_cmpstr (jstr (OBJ (updated), "value"), ==, "America/New_York");
    g_assert_true (responses_equal (updated, get));
    g_assert_cmpstr (jstr (json_object_get_object_member (OBJ (network), "settings"),
                           "timezone"), ==, "America/New_York");
  }

  /* Typed values, by the type given or inferred */
  {
    g_autoptr(MiraTestResponse) n = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': 42.5, 'type': 'number'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': true}"), "%s/settings/beep", f->net->path);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': [1, 'two'], 'type': 'array'}"),
                                         "%s/settings/list.a", f->net->path);
    g_autoptr(MiraTestResponse) j = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': {'a': {'b': 1}}, 'type': 'json'}"),
                                         "%s/settings/ui-state", f->net->path);
    g_autoptr(MiraTestResponse) t = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': 30}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) page = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/settings?limit=2&offset=1", f->net->path);

    g_assert_cmpstr (jstr (OBJ (n), "type"), ==, "number");
    g_assert_cmpfloat (json_object_get_double_member (OBJ (n), "value"), ==, 42.5);
    g_assert_cmpstr (jstr (OBJ (b), "type"), ==, "boolean");
    g_assert_true (json_object_get_boolean_member (OBJ (b), "value"));
    g_assert_cmpstr (jstr (OBJ (a), "type"), ==, "array");
    g_assert_cmpint (json_array_get_length (json_object_get_array_member (OBJ (a), "value")), ==, 2);
    g_assert_cmpstr (jstr (OBJ (j), "type"), ==, "json");
    g_assert_cmpstr (jstr (OBJ (t), "type"), ==, "number");
    g_assert_cmpint (total_of (list), ==, 6);
    g_assert_cmpstr (item_ids (list, "key"), ==,
                     "beep conversation_timeout_s list.a threshold timezone ui-state");
    g_assert_cmpint (total_of (page), ==, 6);
    g_assert_cmpstr (item_ids (page, "key"), ==, "conversation_timeout_s list.a");
  }

  /* Invalid values change nothing */
  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'Mars/Olympus_Mons'}"),
                                         "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'soon'}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'x', 'type': 'number'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'type': 'integer'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'type': 'string'}"),
                                         "%s/settings/new_key", f->net->path);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'colour': 'red'}"),
                                         "%s/settings/new_key", f->net->path);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1}"),
                                         "%s/settings/bad%%20key", f->net->path);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'type': 'number'}"),
                                         "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) k = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/settings", f->net->path);

    assert_detail_names (a, "value");
    assert_detail_names (a, "Mars/Olympus_Mons");
    assert_detail_names (b, "value");
    assert_detail_names (c, "value");
    assert_detail_names (d, "type");
    assert_detail_names (e, "value");
    assert_detail_names (g, "colour");
    assert_detail_names (k, "conversation_timeout_s");
    g_assert_true (responses_equal (before, after));
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) gone = REQ (f->server, 404, "GET", f->net->token, NULL,
                                            "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) again = REQ (f->server, 404, "DELETE", f->net->token, NULL,
                                             "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) del_tz = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                              "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) tz = REQ (f->server, 200, "GET", f->net->token, NULL,
                                          "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 200, "GET", f->session, NULL,
                                               "/api/v1/networks/%s", f->net->id);

    assert_code (gone, "SETTING_NOT_FOUND");
    g_assert_cmpstr (jstr (OBJ (tz), "value"), ==, "UTC");
    g_assert_false (json_object_has_member (json_object_get_object_member (OBJ (network),
                                                                           "settings"),
                                            "timezone"));
    g_assert_cmpint (count (f->server, f->net, "settings"), ==, 4);
  }
}

/* Pagination */

static void
test_pagination (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GString) seen = g_string_new (NULL);

  for (guint i = 0; i < 7; i++)
    create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  create (f->server, f->net, f->net->token, "reminders",
          Q ("{'title': 'a', 'due_time': '2036-01-01T00:00:00Z', 'status': 'completed'}"));
  for (guint i = 0; i < 3; i++)
    create (f->server, f->net, f->net->token, "reminders",
            Q ("{'title': 'b', 'due_time': '2036-01-0%uT00:00:00Z'}", i + 2));

#define LIST(status, query) \
  REQ (f->server, (status), "GET", f->session, NULL, "%s/persons%s", f->net->path, (query))

  {
    g_autoptr(MiraTestResponse) zero = LIST (200, "?limit=0");
    g_autoptr(MiraTestResponse) max = LIST (200, "?limit=500");
    g_autoptr(MiraTestResponse) over = LIST (200, "?limit=501");
    g_autoptr(MiraTestResponse) huge = mira_test_request (f->server, "GET",
                                                          P ("%s/persons?limit=99999999999",
                                                             f->net->path),
                                                          f->session, NULL);
    g_autoptr(MiraTestResponse) beyond = LIST (200, "?offset=100");
    g_autoptr(MiraTestResponse) last = LIST (200, "?limit=3&offset=6");
    g_autoptr(MiraTestResponse) dflt = LIST (200, "");

    g_assert_cmpint (n_items (zero), ==, 0);
    g_assert_cmpint (total_of (zero), ==, 7);
    g_assert_cmpint (jint (OBJ (zero), "limit"), ==, 0);
    g_assert_cmpint (n_items (max), ==, 7);
    g_assert_cmpint (jint (OBJ (max), "limit"), ==, 500);
    g_assert_cmpint (n_items (over), ==, 7);
    g_assert_cmpint (jint (OBJ (over), "limit"), ==, 500);
    g_assert_cmpint (n_items (beyond), ==, 0);
    g_assert_cmpint (total_of (beyond), ==, 7);
    g_assert_cmpint (jint (OBJ (beyond), "offset"), ==, 100);
    g_assert_cmpint (n_items (last), ==, 1);
    g_assert_cmpint (total_of (last), ==, 7);
    g_assert_cmpint (jint (OBJ (dflt), "limit"), ==, 50);
    g_assert_cmpint (jint (OBJ (dflt), "offset"), ==, 0);
    /* refused or clamped, never a 500 */
    if (huge->status == 200)
      g_assert_cmpint (n_items (huge), ==, 7);
    else
      g_assert_cmpuint (huge->status, ==, 400);
  }

  for (guint offset = 0; offset < 7; offset += 3)
    {
      g_autoptr(MiraTestResponse) page = LIST (200, P ("?limit=3&offset=%u", offset));

      g_assert_cmpint (total_of (page), ==, 7);
      g_string_append_printf (seen, "%s ", item_ids (page, "name"));
    }
  g_assert_cmpstr (seen->str, ==,
                   "Speaker 1 Speaker 2 Speaker 3 Speaker 4 Speaker 5 Speaker 6 Speaker 7 ");

  for (guint i = 0; i < 6; i++)
    {
      static const char * const bad[] = {
        "?limit=-1", "?limit=abc", "?offset=-1", "?offset=x", "?limit=", "?limit=1.5",
      };
      g_autoptr(MiraTestResponse) r = LIST (400, bad[i]);

      assert_detail_names (r, g_str_has_prefix (bad[i], "?limit") ? "limit" : "offset");
    }

#undef LIST

  {
    g_autoptr(MiraTestResponse) pending = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/reminders?status=pending&limit=2",
                                               f->net->path);
    g_autoptr(MiraTestResponse) beyond = REQ (f->server, 200, "GET", f->session, NULL,
                                              "%s/reminders?status=pending&offset=5",
                                              f->net->path);
    g_autoptr(MiraTestResponse) other = REQ (f->server, 400, "GET", f->session, NULL,
                                             "%s/conversations?limit=-5", f->net->path);
    g_autoptr(MiraTestResponse) settings = REQ (f->server, 400, "GET", f->session, NULL,
                                                "%s/settings?offset=abc", f->net->path);
    g_autoptr(MiraTestResponse) clients = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/clients?limit=501", f->net->path);

    g_assert_cmpint (total_of (pending), ==, 3);
    g_assert_cmpint (n_items (pending), ==, 2);
    g_assert_cmpint (total_of (beyond), ==, 3);
    g_assert_cmpint (n_items (beyond), ==, 0);
    g_assert_cmpint (jint (OBJ (clients), "limit"), ==, 500);
  }
}

/* Errors */

static MiraTestResponse *
raw_request (Fixture     *f,
             guint        expected,
             const char  *method,
             const char  *path,
             const char  *content_type,
             const char  *body,
             gsize        length)
{
  g_autoptr(GBytes) bytes = body ? g_bytes_new (body, length) : NULL;
  MiraTestResponse *r = mira_test_request_full (f->server, method, path, f->net->token,
                                                content_type, bytes);

  if (r->status != expected)
    fail_at (__FILE__, __LINE__, P ("%s %s: expected %u, got %u: %s", method, path, expected,
                                    r->status, r->body));
  check_error_shape (__FILE__, __LINE__, path, r);
  return r;
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  const char *person = create (f->server, f->net, f->net->token, "persons",
                               Q ("{'name': 'Kept'}"));
  const char *persons = P ("%s/persons", f->net->path);
  g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL, "%s",
                                            persons);

  /* Unknown paths and methods */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", NULL, NULL, "/nothing-here");
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/unicorns", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "/api/v2/%s/persons", f->net->id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/persons/%s/extra", f->net->path, person);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 405, "DELETE", NULL, NULL, "/health");
    g_autoptr(MiraTestResponse) g = REQ (f->server, 405, "PUT", f->net->token, Q ("{}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 405, "PATCH", f->net->token, Q ("{}"),
                                         "%s/persons/%s", f->net->path, person);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 405, "POST", f->net->token, Q ("{}"),
                                         "/api/v1/admin/networks");
    g_autoptr(MiraTestResponse) j = REQ (f->server, 404, "GET", NULL, NULL, "/");

    assert_code (a, "NOT_FOUND");
    assert_code (e, "METHOD_NOT_ALLOWED");
  }

  /* Tokens */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "GET", NULL, NULL, "%s", persons);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 401, "GET", "mnt_0000", NULL, "%s", persons);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 401, "GET", "", NULL, "%s", persons);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 401, "POST", NULL, Q ("{'name': 'x'}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 401, "GET", P ("%sx", f->net->token), NULL,
                                         "%s", persons);

    assert_code (a, "AUTH_REQUIRED");
    assert_code (b, "INVALID_TOKEN");
    assert_code (e, "INVALID_TOKEN");
  }

  /* Bodies */
  {
    gsize big_len = 1024 * 1024 + 16;
    g_autofree char *big = g_malloc (big_len);
    g_autoptr(MiraTestResponse) too_large = NULL;
    g_autoptr(MiraTestResponse) r = NULL;
    static const char bad_utf8[] = "{\"name\": \"caf\xc3\x28\"}";
    static const char nul_inside[] = "{\"name\": \"a\0b\"}";

    memset (big, ' ', big_len);
    memcpy (big, "{\"name\": \"", 10);
    big[big_len - 2] = '"';
    big[big_len - 1] = '}';
    too_large = raw_request (f, 413, "POST", persons, "application/json", big, big_len);
    assert_code (too_large, "PAYLOAD_TOO_LARGE");

    r = raw_request (f, 400, "POST", persons, "application/json", "{\"name\": ", 9);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "[]", 2);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "\"Alice\"", 7);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "42", 2);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "null", 4);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 422, "POST", persons, "application/json", bad_utf8,
                     sizeof bad_utf8 - 1);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", nul_inside,
                     sizeof nul_inside - 1);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "PUT", P ("%s/persons/%s", f->net->path, person), "application/json",
                     "{\"name\": \"x\"} trailing", 22);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 415, "POST", persons, "image/png", "{\"name\": \"x\"}", 13);
    g_clear_pointer (&r, mira_test_response_free);
    /* A body for a write that needs one */
    r = raw_request (f, 400, "PUT", P ("%s/persons/%s", f->net->path, person), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons/%s", f->net->path, "not-a-uuid"), NULL, NULL,
                     0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "DELETE", P ("%s/persons/%s", f->net->path, "1234"), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons/%%ff%%fe", f->net->path), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons?limit=%%ff", f->net->path), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
  }

  /* Fields: types and names */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 5}"), "%s", persons);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 'x', 'nickname': 'y'}"), "%s", persons);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 'x', 'network_id': 'net_x'}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", f->net->token,
                                         P ("{\"name\": \"%0300d\"}", 1), "%s", persons);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'content': 'x', 'audio_duration': 'long'}"),
                                         "%s/interactions", f->net->path);

    assert_code (a, "VALIDATION_ERROR");
    assert_detail_names (a, "name");
    assert_detail_names (b, "nickname");
    assert_detail_names (c, "network_id");
    assert_detail_names (d, "name");
    assert_detail_names (e, "audio_duration");
  }

  /* Nothing above changed anything */
  {
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL, "%s",
                                             persons);
    g_autoptr(MiraTestResponse) health = REQ (f->server, 200, "GET", NULL, NULL, "/health");

    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 0);
  }
}

static void
test_sql_strings (Fixture       *f,
                  gconstpointer  data)
{
  static const char evil[] = "'; DROP TABLE interactions; --";
  g_autofree char *escaped = g_uri_escape_string (evil, NULL, FALSE);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *person_body = NULL;
  g_autofree char *interaction_body = NULL;
  g_autoptr(MiraTestResponse) person = NULL;
  g_autoptr(MiraTestResponse) interaction = NULL;
  const char *person_id, *interaction_id;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, evil);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, evil);
  json_builder_add_string_value (builder, evil);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  person_body = json_to_string (root, FALSE);

  person = REQ (f->server, 201, "POST", f->net->token, person_body, "%s/persons", f->net->path);
  person_id = jstr (OBJ (person), "id");
  g_assert_cmpstr (jstr (OBJ (person), "name"), ==, evil);

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "content");
    json_builder_add_string_value (b, P ("Robert%s said hello", evil));
    json_builder_set_member_name (b, "person_id");
    json_builder_add_string_value (b, person_id);
    json_builder_end_object (b);
    node = json_builder_get_root (b);
    interaction_body = json_to_string (node, FALSE);
  }
  interaction = REQ (f->server, 201, "POST", f->session, interaction_body, "%s/interactions",
                     f->net->path);
  interaction_id = jstr (OBJ (interaction), "id");

  /* In query strings, paths and keys */
  {
    g_autoptr(MiraTestResponse) q = REQ (f->server, 200, "GET", f->session, NULL,
                                         "%s/interactions?q=%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) q2 = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/interactions?q=%%27%%20OR%%201%%3D1%%20--",
                                          f->net->path);
    g_autoptr(MiraTestResponse) person_filter = REQ (f->server, 400, "GET", f->session, NULL,
                                                     "%s/interactions?person_id=%s",
                                                     f->net->path, escaped);
    g_autoptr(MiraTestResponse) status = REQ (f->server, 400, "GET", f->session, NULL,
                                              "%s/reminders?status=%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) path = REQ (f->server, 400, "GET", f->session, NULL,
                                            "%s/persons/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) key = REQ (f->server, 422, "PUT", f->session, Q ("{'value': 1}"),
                                           "%s/settings/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) get_key = REQ (f->server, 404, "GET", f->session, NULL,
                                               "%s/settings/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) client = REQ (f->server, 400, "POST", f->net->token,
                                              Q ("{'device_type': 'x'}"),
                                              "%s/service/client/register/%s", f->net->path,
                                              escaped);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN,
                                               NULL, "/api/v1/networks/%s", escaped);
    g_autoptr(MiraTestResponse) token = REQ (f->server, 401, "GET", evil, NULL, "%s/persons",
                                             f->net->path);

    /* its words match, as words, the text that holds them */
    g_assert_cmpint (total_of (q), ==, 1);
    g_assert_cmpint (total_of (q2), ==, 0);
  }

  /* Stored verbatim, and nothing dropped */
  {
    g_autoptr(MiraTestResponse) p = REQ (f->server, 200, "GET", f->net->token, NULL,
                                         "%s/persons/%s", f->net->path, person_id);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 200, "GET", f->net->token, NULL,
                                         "%s/interactions/%s", f->net->path, interaction_id);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/interactions", f->net->path);
    g_autoptr(MiraTestResponse) robert = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/interactions?q=hello", f->net->path);
    g_autoptr(MiraTestResponse) health = REQ (f->server, 200, "GET", NULL, NULL, "/health");
    g_autoptr(MiraTestResponse) metrics = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                               "/metrics");

    g_assert_cmpstr (jstr (OBJ (p), "name"), ==, evil);
    g_assert_cmpstr (jstr (json_object_get_object_member (OBJ (p), "metadata"), evil), ==, evil);
    g_assert_cmpstr (jstr (OBJ (i), "content"), ==, P ("Robert%s said hello", evil));
    g_assert_cmpint (total_of (list), ==, 1);
    g_assert_cmpstr (item_ids (robert, "id"), ==, interaction_id);
    g_assert_nonnull (strstr (metrics->body, "mira_interactions "));
  }
}

/* Isolation */

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

typedef void (*TestFunc) (Fixture *f, gconstpointer data);

static const struct {
  const char *path;
  TestFunc    func;
} tests[] = {
  { "server/health", test_health },
  { "server/openapi", test_openapi },
  { "server/metrics", test_metrics },
  { "networks/create", test_network_create },
  { "networks/open-registration", test_network_open_registration },
  { "networks/get", test_network_get },
  { "networks/patch", test_network_patch },
  { "networks/suspend", test_network_suspend },
  { "networks/rotate-token", test_network_rotate },
  { "networks/admin-list", test_network_admin_list },
  { "networks/delete", test_network_delete },
  { "clients/register", test_client_register },
  { "clients/list", test_client_list },
  { "clients/service-info", test_client_service_info },
  { "clients/deregister", test_client_deregister },
  { "persons/crud", test_person_crud },
  { "persons/merge", test_person_merge },
  { "conversations/crud", test_conversation_crud },
  { "conversations/close", test_conversation_close },
  { "interactions/crud", test_interaction_crud },
  { "interactions/open-conversation", test_interaction_conversation },
  { "interactions/filters", test_interaction_filters },
  { "reminders/crud", test_reminder_crud },
  { "reminders/filters", test_reminder_filters },
  { "calendar/crud", test_calendar_crud },
  { "calendar/range", test_calendar_range },
  { "calendar/end-before-start", test_calendar_end_before_start },
  { "actions/crud", test_action_crud },
  { "settings/crud", test_settings },
  { "pagination/edges", test_pagination },
  { "errors/shape", test_errors },
  { "errors/sql-strings", test_sql_strings },
  { "isolation/matrix", test_isolation },
};

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  pool = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < G_N_ELEMENTS (tests); t++)
      {
        g_autofree char *path = g_strdup_printf ("/api/%s/%s", backend_names[b], tests[t].path);

        g_test_add (path, Fixture, &backends[b], fixture_setup, tests[t].func,
                    fixture_teardown);
      }


  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    g_clear_pointer (&shared_servers[b], mira_test_server_free);
  g_ptr_array_unref (pool);
  mira_test_pg_stop ();
  return ret;
}
