/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include <stdarg.h>
#include <string.h>

#include "mira-test-api.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"

static const Backend backends[N_BACKENDS] = { BACKEND_SQLITE, BACKEND_POSTGRESQL };
static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };

/* One server per backend, shared by the cases; they do not interfere
 * because each works in a network of its own.
 */
static MiraTestServer *shared_servers[N_BACKENDS];

/* Strings a case makes (bodies, ids, paths), freed after it */
static GPtrArray *pool;

const char *
pool_take (char *text)
{
  g_ptr_array_add (pool, text);
  return text;
}

const char *
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

const char *
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

gboolean
is_timestamp (const char *text)
{
  return text != NULL &&
         g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                               text, 0, 0);
}

/* What every error answer must look like */
void
check_error_shape (const char       *file,
                   int               line,
                   const char       *what,
                   MiraTestResponse *r)
{
  JsonObject *o;
  JsonNode *detail, *code, *timestamp;

  if (r->json == NULL || !JSON_NODE_HOLDS_OBJECT (r->json))
    mira_test_fail_at (file, line, "request", "%s: error body is not a JSON object (%s): %s",
                       what, r->content_type ? r->content_type : "no type", r->body);
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
    mira_test_fail_at (file, line, "request", "%s: not the error shape: %s", what, r->body);
}

MiraTestResponse *
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
    mira_test_fail_at (file, line, "request", "%s: expected %u, got %u: %s", what, expected,
                       r->status, r->body);
  if (r->status >= 400)
    check_error_shape (file, line, what, r);
  else if (r->status == 204)
    {
      if (r->body_len != 0)
        mira_test_fail_at (file, line, "request", "%s: 204 with a body: %s", what, r->body);
    }
  else if (!g_str_equal (path, "/metrics") && r->json == NULL)
    mira_test_fail_at (file, line, "request", "%s: not JSON (%s): %s", what,
                       r->content_type ? r->content_type : "no type", r->body);
  return r;
}

const char *
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

gint64
jint (JsonObject *o,
      const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

gboolean
jnull (JsonObject *o,
       const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  g_assert_nonnull (node);
  return JSON_NODE_HOLDS_NULL (node);
}

void
assert_code (MiraTestResponse *r,
             const char       *code)
{
  g_assert_cmpstr (jstr (OBJ (r), "error_code"), ==, code);
}

/* 422 and the like must say which field is wrong */
void
assert_detail_names (MiraTestResponse *r,
                     const char       *field)
{
  const char *detail = jstr (OBJ (r), "detail");

  if (strstr (detail, field) == NULL)
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                         P ("detail does not name '%s': %s", field, detail));
}

JsonArray *
items_of (MiraTestResponse *r)
{
  return json_object_get_array_member (OBJ (r), "items");
}

guint
n_items (MiraTestResponse *r)
{
  return json_array_get_length (items_of (r));
}

gint64
total_of (MiraTestResponse *r)
{
  return jint (OBJ (r), "total");
}

gboolean
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
const char *
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
void
assert_body_lacks_beyond (MiraTestResponse   *r,
                          const char * const *secrets,
                          const char         *path)
{
  for (guint i = 0; secrets[i] != NULL; i++)
    if (strstr (r->body, secrets[i]) != NULL && (path == NULL || !strstr (path, secrets[i])))
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                           P ("the answer shows '%s': %s", secrets[i], r->body));
}

void
assert_body_lacks (MiraTestResponse   *r,
                   const char * const *secrets)
{
  assert_body_lacks_beyond (r, secrets, NULL);
}

gboolean
responses_equal (MiraTestResponse *a,
                 MiraTestResponse *b)
{
  return a->json != NULL && b->json != NULL && json_node_equal (a->json, b->json);
}

MiraTestServer *
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
MiraTestServer *
private_server (Backend  backend,
                gboolean open_registration)
{
  g_autofree char *uri = backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                   : mira_test_pg_new_database ();

  return mira_test_server_new (uri, open_registration);
}

Net *
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
const char *
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
const char *
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

gint64
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

void
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

int
api_cases_run (int            argc,
               char          *argv[],
               const ApiCase *cases,
               guint          n_cases)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  pool = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < n_cases; t++)
      {
        g_autofree char *path = g_strdup_printf ("/api/%s/%s", backend_names[b], cases[t].path);

        g_test_add (path, Fixture, &backends[b], fixture_setup, cases[t].func,
                    fixture_teardown);
      }

  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    g_clear_pointer (&shared_servers[b], mira_test_server_free);
  g_ptr_array_unref (pool);
  mira_test_pg_stop ();
  return ret;
}
