/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE   /* pipe2 */
#define G_LOG_DOMAIN "test-hostile"

/* A peer that means harm, over real sockets against a real server: input
 * of any shape, size or pace is refused in API.md's shape (or with a close
 * code), and while it is refused the server keeps answering everybody
 * else. Cases that store something run on SQLite and on PostgreSQL.
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mira-json.h"
#include "mira-grants.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };
static MiraTestServer *servers[N_BACKENDS];

typedef struct {
  char *id;          /* net_… */
  char *token;       /* network token */
  char *session;     /* session token of client "dev" */
} Net;

static void
net_free (Net *net)
{
  g_free (net->id);
  g_free (net->token);
  g_free (net->session);
  g_free (net);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Net, net_free)

static MiraTestServer *
server_for (Backend backend)
{
  if (servers[backend] == NULL)
    {
      g_autofree char *uri = backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                       : mira_test_pg_new_database ();

      servers[backend] = mira_test_server_new (uri, FALSE);
    }
  return servers[backend];
}

/* A network with one registered client "dev". */
static Net *
net_new (MiraTestServer *server)
{
  g_autoptr(MiraTestResponse) created = NULL;
  g_autoptr(MiraTestResponse) registered = NULL;
  g_autofree char *path = NULL;
  Net *net = g_new0 (Net, 1);
  JsonObject *o;

  created = mira_test_request (server, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                               "{\"name\":\"Hostile\"}");
  g_assert_cmpuint (created->status, ==, 201);
  o = mira_test_response_object (created);
  net->id = g_strdup (json_object_get_string_member (o, "network_id"));
  net->token = g_strdup (json_object_get_string_member (o, "network_token"));
  path = g_strdup_printf ("/api/v1/%s/service/client/register/dev", net->id);
  registered = mira_test_request (server, "POST", path, net->token,
                                  "{\"device_type\":\"phone\"}");
  g_assert_cmpuint (registered->status, ==, 201);
  net->session = g_strdup (json_object_get_string_member (mira_test_response_object (registered),
                                                          "session_token"));
  return net;
}

/* Raw TCP ------------------------------------------------------------------ */

static int
tcp_connect (guint port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Writes all of @data, or as much as the peer takes before it closes. */
static gboolean
send_all (int           fd,
          gconstpointer data,
          gsize         len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Everything the server sends until it closes or @timeout_ms pass. */
static GString *
read_until_close (int   fd,
                  guint timeout_ms)
{
  GString *in = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      char buf[4096];
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        break;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      g_string_append_len (in, buf, n);
    }
  return in;
}

/* Whether the server has closed @fd within @timeout_ms. */
static gboolean
wait_closed (int   fd,
             guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      char buf[4096];
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return FALSE;
      n = recv (fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return TRUE;
    }
}

typedef struct {
  guint       status;
  GHashTable *headers;   /* lower-case name → value */
  char       *body;
  JsonObject *json;
} RawResponse;

static void
raw_response_free (RawResponse *r)
{
  g_clear_pointer (&r->headers, g_hash_table_unref);
  g_free (r->body);
  g_clear_pointer (&r->json, json_object_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawResponse, raw_response_free)

/* The first response in @in, or NULL when there is none. */
static RawResponse *
parse_response (const GString *in)
{
  const char *head_end = g_strstr_len (in->str, (gssize) in->len, "\r\n\r\n");
  g_auto(GStrv) lines = NULL;
  RawResponse *r;
  const char *length;

  if (head_end == NULL || !g_str_has_prefix (in->str, "HTTP/1."))
    return NULL;
  r = g_new0 (RawResponse, 1);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    g_autofree char *head = g_strndup (in->str, (gsize) (head_end - in->str));

    lines = g_strsplit (head, "\r\n", -1);
  }
  r->status = (guint) g_ascii_strtoull (lines[0] + 9, NULL, 10);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');

      if (colon != NULL)
        g_hash_table_replace (r->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                              g_strstrip (g_strdup (colon + 1)));
    }
  length = g_hash_table_lookup (r->headers, "content-length");
  {
    gsize at = (gsize) (head_end + 4 - in->str);
    gsize n = length ? MIN ((gsize) g_ascii_strtoull (length, NULL, 10), in->len - at) : 0;
    g_autoptr(JsonNode) node = NULL;

    r->body = g_strndup (in->str + at, n);
    node = json_from_string (r->body, NULL);
    if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
      r->json = json_object_ref (json_node_get_object (node));
  }
  return r;
}

/* Sends @request as it is on a new connection and reads the answer. */
static RawResponse *
raw_exchange (guint         port,
              gconstpointer request,
              gsize         len)
{
  int fd = tcp_connect (port);
  g_autoptr(GString) in = NULL;

  g_assert_cmpint (fd, >=, 0);
  send_all (fd, request, len);
  shutdown (fd, SHUT_WR);
  in = read_until_close (fd, 10000);
  close (fd);
  return parse_response (in);
}

/* The answer is API.md's error shape with @status and @code. */
static void
assert_error (RawResponse *r,
              guint        status,
              const char  *code)
{
  g_assert_nonnull (r);
  if (r->status != status || r->json == NULL
      || g_strcmp0 (json_object_get_string_member_with_default (r->json, "error_code", NULL),
                    code) != 0
      || !json_object_has_member (r->json, "detail")
      || !json_object_has_member (r->json, "timestamp"))
    g_error ("expected %u %s, got %u: %s", status, code, r->status, r->body);
}

/* Milliseconds for GET /health on a fresh connection, which must answer 200. */
static double
health_ms (guint port)
{
  static const char request[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  gint64 start = g_get_monotonic_time ();
  g_autoptr(RawResponse) r = raw_exchange (port, request, sizeof request - 1);

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 200);
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static char *
json_request (const char *method,
              const char *path,
              const char *token,
              const char *body,
              gsize       len)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT
                          "\r\nConnection: close\r\n\r\n%.*s",
                          method, path, token, len, (int) len, body);
}

static RawResponse *
post_json (guint       port,
           const char *path,
           const char *token,
           const char *body,
           gsize       len)
{
  g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer %s\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n\r\n", path, token, len);
  g_autoptr(GByteArray) request = g_byte_array_new ();

  g_byte_array_append (request, (const guint8 *) head, (guint) strlen (head));
  g_byte_array_append (request, (const guint8 *) body, (guint) len);
  return raw_exchange (port, request->data, request->len);
}

static char *
nested (const char *open,
        guint       depth,
        const char *inner,
        const char *close)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (text, open);
  g_string_append (text, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append (text, close);
  return g_string_free (text, FALSE);
}

/* JSON: nesting, strictness, text ----------------------------------------- */

static void
test_json_nesting (gconstpointer data)
{
  Backend backend = GPOINTER_TO_UINT (data);
  MiraTestServer *server = server_for (backend);
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *persons = g_strdup_printf ("/api/v1/%s/persons", net->id);
  g_autofree char *deep = nested ("[", 100000, "", "]");
  g_autofree char *deep_member = NULL;
  g_autofree char *at_limit = NULL;
  g_autofree char *over_limit = NULL;

  /* 100,000 levels, as a whole body and inside a member */
  {
    g_autoptr(RawResponse) r = post_json (port, persons, net->token, deep, strlen (deep));

    assert_error (r, 400, "BAD_REQUEST");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "detail"), "64"));
  }
  {
    g_autofree char *inner = nested ("{\"a\":", 100000, "1", "}");

    deep_member = g_strdup_printf ("{\"name\":\"x\",\"metadata\":%s}", inner);
  }
  {
    g_autoptr(RawResponse) r = post_json (port, persons, net->token, deep_member,
                                          strlen (deep_member));

    assert_error (r, 400, "BAD_REQUEST");
  }

  /* The bound is 64 levels, the body itself the first */
  {
    g_autofree char *inner = nested ("[", 62, "1", "]");

    at_limit = g_strdup_printf ("{\"name\":\"Deep\",\"metadata\":{\"x\":%s}}", inner);
  }
  {
    g_autofree char *inner = nested ("[", 63, "1", "]");

    over_limit = g_strdup_printf ("{\"name\":\"Deeper\",\"metadata\":{\"x\":%s}}", inner);
  }
  {
    g_autoptr(RawResponse) ok = post_json (port, persons, net->token, at_limit,
                                           strlen (at_limit));
    g_autoptr(RawResponse) refused = post_json (port, persons, net->token, over_limit,
                                                strlen (over_limit));

    g_assert_cmpuint (ok->status, ==, 201);
    assert_error (refused, 400, "BAD_REQUEST");
  }

  /* No token: refused before the body is read as JSON */
  {
    g_autoptr(RawResponse) r = post_json (port, persons, "", deep, strlen (deep));

    assert_error (r, 401, "AUTH_REQUIRED");
  }
  health_ms (port);
}

/* The event socket of a network, 100,000 levels deep with and without a
 * token: closed, and the server goes on.
 */
static void
test_json_event_socket (void)
{
  MiraTestServer *server = server_for (BACKEND_SQLITE);
  g_autoptr(Net) net = net_new (server);
  g_autoptr(MiraTestClient) client = mira_test_client_new (mira_test_server_get_url (server));
  g_autofree char *deep = nested ("[", 100000, "", "]");
  g_autofree char *deep_small = nested ("[", 1000, "", "]");

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws", net->id);
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);

    mira_test_socket_send_text (ws, deep);
    g_assert_true (mira_test_socket_wait_closed (ws, 5000));
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);

    g_assert_nonnull (mira_test_socket_wait_for (ws, "connection_established", 0, 5000, NULL));
    /* Over the size of any message of the protocol: closed (1009, when the
     * close frame outruns the rest of the message)
     */
    mira_test_socket_send_text (ws, deep);
    g_assert_true (mira_test_socket_wait_closed (ws, 5000));
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);
    guint at;

    g_assert_nonnull (mira_test_socket_wait_for (ws, "connection_established", 0, 5000, &at));
    /* Small but deep, single-quoted, then a real ping: errors, then a pong */
    mira_test_socket_send_text (ws, deep_small);
    mira_test_socket_send_text (ws, "{'type':'ping'}");
    mira_test_socket_send_text (ws, "{\"type\":\"ping\"}");
    g_assert_nonnull (mira_test_socket_wait_for (ws, "pong", at, 5000, NULL));
    g_assert_cmpuint (mira_test_socket_count (ws, "error", at), ==, 2);
    g_assert_cmpuint (mira_test_socket_count (ws, "pong", at), ==, 1);
  }
  health_ms (mira_test_server_get_port (server));
}

/* Wyoming headers and their data_length objects on an audio socket */
static void
test_json_wyoming (void)
{
  MiraTestServer *server = server_for (BACKEND_SQLITE);
  g_autoptr(Net) net = net_new (server);
  g_autoptr(MiraTestClient) client = mira_test_client_new (mira_test_server_get_url (server));
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/streams/dev/ws?token=%s", net->id,
                                           net->session);
  g_autofree char *deep_header = nested ("[", 30000, "", "]");
  g_autofree char *deep_data = nested ("{\"a\":", 10000, "1", "}");

  {
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);

    g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
    mira_test_socket_send_text (ws, deep_header);
    g_assert_true (mira_test_socket_wait_closed (ws, 5000));
    g_assert_cmpuint (mira_test_socket_close_code (ws), ==, 1003);
  }
  {
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);
    g_autofree char *header = g_strdup_printf ("{\"type\":\"audio-start\",\"data_length\":%"
                                               G_GSIZE_FORMAT "}\n", strlen (deep_data));

    g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
    mira_test_socket_send_text (ws, header);
    mira_test_socket_send_text (ws, deep_data);
    g_assert_true (mira_test_socket_wait_closed (ws, 5000));
    g_assert_cmpuint (mira_test_socket_close_code (ws), ==, 1003);
  }
  {
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);

    g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
    mira_test_socket_send_text (ws, "{'type':'ping'}\n");
    g_assert_true (mira_test_socket_wait_closed (ws, 5000));
    g_assert_cmpuint (mira_test_socket_close_code (ws), ==, 1003);
  }
  health_ms (mira_test_server_get_port (server));
}

/* Strict JSON and decoded text, the same on both databases */
static void
test_json_text (gconstpointer data)
{
  Backend backend = GPOINTER_TO_UINT (data);
  MiraTestServer *server = server_for (backend);
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *persons = g_strdup_printf ("/api/v1/%s/persons", net->id);
  g_autofree char *interactions = g_strdup_printf ("/api/v1/%s/interactions", net->id);
  g_autofree char *setting = g_strdup_printf ("/api/v1/%s/settings/greeting", net->id);
  static const struct {
    const char *body;
    guint       status;
    const char *field;     /* named in the detail of a 422 */
  } cases[] = {
    { "{'name': 'Alice'}", 400, NULL },
    { "{\"name\": 'Alice'}", 400, NULL },
    { "{\"name\": \"Alice\",}", 400, NULL },
    { "{\"name\": \"Alice\"} // comment", 400, NULL },
    { "{\"name\": \"a\\u0000b\"}", 422, "name" },
    { "{\"name\": \"\\ud800\"}", 422, "name" },
    { "{\"name\": \"x\\udc00y\"}", 422, "name" },
    { "{\"name\": \"\\ud800\\u0041\"}", 422, "name" },
    { "{\"name\": \"caf\xc3\x28\"}", 422, "name" },
    { "{\"name\": \"x\", \"metadata\": {\"note\": \"\\u0000\"}}", 422, "metadata.note" },
    { "{\"name\": \"x\", \"metadata\": {\"tags\": [\"ok\", \"\\udfff\"]}}", 422,
      "metadata.tags[1]" },
    /* A name given must say something */
    { "{\"name\": \"\"}", 422, "name" },
    { "{\"name\": \" \\t\"}", 422, "name" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RawResponse) r = post_json (port, persons, net->token, cases[i].body,
                                            strlen (cases[i].body));

      assert_error (r, cases[i].status, cases[i].status == 400 ? "BAD_REQUEST"
                                                               : "VALIDATION_ERROR");
      if (cases[i].field != NULL)
        {
          g_autofree char *quoted = g_strdup_printf ("'%s'", cases[i].field);

          g_assert_nonnull (strstr (json_object_get_string_member (r->json, "detail"), quoted));
        }
    }

  /* The same for an interaction's content and a setting's value */
  {
    static const char body[] = "{\"content\": \"remind me\\u0000 to\"}";
    g_autoptr(RawResponse) r = post_json (port, interactions, net->token, body, sizeof body - 1);

    assert_error (r, 422, "VALIDATION_ERROR");
    g_assert_nonnull (strstr (json_object_get_string_member (r->json, "detail"), "'content'"));
  }
  {
    static const char body[] = "{\"value\": \"\\ud83d\", \"type\": \"string\"}";
    g_autofree char *request = json_request ("PUT", setting, net->token, body, sizeof body - 1);
    g_autoptr(RawResponse) r = raw_exchange (port, request, strlen (request));

    assert_error (r, 422, "VALIDATION_ERROR");
  }

  /* A surrogate pair is one character, stored and given back as it is */
  {
    static const char body[] = "{\"name\": \"Ann \\ud83d\\ude00\"}";
    g_autoptr(RawResponse) r = post_json (port, persons, net->token, body, sizeof body - 1);

    g_assert_cmpuint (r->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (r->json, "name"), ==, "Ann \xf0\x9f\x98\x80");
  }

  /* Nothing of the refused ones was stored */
  {
    g_autofree char *list = g_strdup_printf ("/api/v1/%s/persons?limit=500", net->id);
    g_autoptr(MiraTestResponse) r = mira_test_request (server, "GET", list, net->token, NULL);

    g_assert_cmpint (json_object_get_int_member (mira_test_response_object (r), "total"), ==, 1);
  }
}

/* The checker alone, on what a fuzzer found worth keeping */
static void
test_json_check (void)
{
  static const struct { const char *text; gint code; } cases[] = {
    { "{}", -1 }, { "[]", -1 }, { "0", -1 }, { "-0.5e+3", -1 }, { "\"\"", -1 },
    { " {\"a\" : [1, true, false, null, \"\\u00e9\\n\"]} \r\n", -1 },
    { "", MIRA_JSON_ERROR_SYNTAX }, { "{", MIRA_JSON_ERROR_SYNTAX },
    { "[1,]", MIRA_JSON_ERROR_SYNTAX }, { "01", MIRA_JSON_ERROR_SYNTAX },
    { "1.", MIRA_JSON_ERROR_SYNTAX }, { ".5", MIRA_JSON_ERROR_SYNTAX },
    { "+1", MIRA_JSON_ERROR_SYNTAX }, { "NaN", MIRA_JSON_ERROR_SYNTAX },
    { "tru", MIRA_JSON_ERROR_SYNTAX }, { "\"\\x41\"", MIRA_JSON_ERROR_SYNTAX },
    { "\"\\u12\"", MIRA_JSON_ERROR_SYNTAX }, { "\"a\tb\"", MIRA_JSON_ERROR_SYNTAX },
    { "{1:2}", MIRA_JSON_ERROR_SYNTAX }, { "{\"a\" 1}", MIRA_JSON_ERROR_SYNTAX },
    { "[1 2]", MIRA_JSON_ERROR_SYNTAX }, { "\"abc", MIRA_JSON_ERROR_SYNTAX },
    { "/* c */ 1", MIRA_JSON_ERROR_SYNTAX }, { "\xef\xbb\xbf{}", MIRA_JSON_ERROR_SYNTAX },
    { "\"\\u0000\"", MIRA_JSON_ERROR_BAD_TEXT }, { "\"\\udbff\"", MIRA_JSON_ERROR_BAD_TEXT },
    { "\"\\ude00\\ud83d\"", MIRA_JSON_ERROR_BAD_TEXT },
    { "\"\xed\xa0\x80\"", MIRA_JSON_ERROR_BAD_TEXT }, { "\"\xc0\xaf\"", MIRA_JSON_ERROR_BAD_TEXT },
    { "\"\xf4\x90\x80\x80\"", MIRA_JSON_ERROR_BAD_TEXT },
    { "{\"\\u0000\": 1}", MIRA_JSON_ERROR_BAD_TEXT },
    /* Grammar wins over text: a malformed body is 400 whatever it holds */
    { "[\"\\u0000\",]", MIRA_JSON_ERROR_SYNTAX },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = mira_json_check (cases[i].text, strlen (cases[i].text), MIRA_JSON_MAX_DEPTH,
                                     &error);

      if (cases[i].code < 0)
        g_assert_no_error (error);
      else
        g_assert_error (error, MIRA_JSON_ERROR, cases[i].code);
      g_assert_true (ok == (cases[i].code < 0));
    }

  /* Depth: 64 levels pass, 65 do not */
  {
    g_autofree char *ok = nested ("[", 64, "", "]");
    g_autofree char *deep = nested ("[", 65, "", "]");
    g_autoptr(GError) error = NULL;

    g_assert_true (mira_json_check (ok, strlen (ok), MIRA_JSON_MAX_DEPTH, NULL));
    g_assert_false (mira_json_check (deep, strlen (deep), MIRA_JSON_MAX_DEPTH, &error));
    g_assert_error (error, MIRA_JSON_ERROR, MIRA_JSON_ERROR_TOO_DEEP);
  }
}


/* Limits: a hostile peer next to a network that streams ------------------- */

/* The bounds of the limited server: short, so that the cases are quick */
#define HEADERS_TIMEOUT_MS 600
#define BODY_TIMEOUT_MS    600
#define MAX_CONNECTIONS    64

static MiraTestServer *limited;

static MiraTestServer *
limited_server (void)
{
  if (limited == NULL)
    {
      g_autofree char *uri = mira_test_sqlite_uri ();
      MiraServerOptions limits = {
        .headers_timeout_ms = HEADERS_TIMEOUT_MS,
        .body_timeout_ms = BODY_TIMEOUT_MS,
        .max_connections = MAX_CONNECTIONS,
        /* One audio thread: the attacker's network and the victim's share it */
        .audio_threads = 1,
      };

      limited = mira_test_server_new_limited (uri, FALSE, NULL, &limits);
    }
  return limited;
}

/* Another network, streaming on its audio socket, that must not notice the
 * attack: /health within 100 ms and its ping's round trip under 50 ms, by
 * the median of the samples taken during the attack (the machine is shared:
 * one sample may wait for a core), and never a stall of seconds.
 */
typedef struct {
  MiraTestServer *server;
  MiraTestClient *client;
  MiraTestSocket *audio;
  Net            *net;
  GArray         *health;   /* ms */
  GArray         *ping;     /* ms */
  gint16          silence[320];
} Victim;

static Victim *
victim_new (MiraTestServer *server)
{
  Victim *v = g_new0 (Victim, 1);
  g_autofree char *path = NULL;

  v->server = server;
  v->net = net_new (server);
  v->client = mira_test_client_new (mira_test_server_get_url (server));
  path = g_strdup_printf ("/api/v1/%s/streams/dev/ws?token=%s", v->net->id, v->net->session);
  v->audio = mira_test_socket_connect (v->client, path);
  g_assert_nonnull (mira_test_socket_wait_for (v->audio, "ready", 0, 5000, NULL));
  mira_test_socket_send_text (v->audio, "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,"
                                        "\"width\":2,\"channels\":1}}\n");
  v->health = g_array_new (FALSE, FALSE, sizeof (double));
  v->ping = g_array_new (FALSE, FALSE, sizeof (double));
  return v;
}

/* One 20 ms chunk, a ping, and /health */
static void
victim_sample (Victim *v)
{
  guint from = mira_test_socket_n_messages (v->audio);
  gint64 start;
  double ms;

  mira_test_socket_send_text (v->audio, "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                        "\"width\":2,\"channels\":1},\"payload_length\":640}\n");
  mira_test_socket_send_binary (v->audio, v->silence, sizeof v->silence);
  start = g_get_monotonic_time ();
  mira_test_socket_send_text (v->audio, "{\"type\":\"ping\"}\n");
  g_assert_nonnull (mira_test_socket_wait_for (v->audio, "pong", from, 5000, NULL));
  ms = (double) (g_get_monotonic_time () - start) / 1000.0;
  g_array_append_val (v->ping, ms);
  ms = health_ms (mira_test_server_get_port (v->server));
  g_array_append_val (v->health, ms);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_double);
  return g_array_index (values, double, values->len / 2);
}

static void
victim_check_and_free (Victim     *v,
                       const char *attack)
{
  double health_median, ping_median, health_max, ping_max;

  g_assert_cmpuint (v->ping->len, >=, 5);
  health_median = median (v->health);
  ping_median = median (v->ping);
  health_max = g_array_index (v->health, double, v->health->len - 1);
  ping_max = g_array_index (v->ping, double, v->ping->len - 1);
  g_test_message ("%s: %u samples, /health median %.1f ms (max %.1f), audio ping median %.1f ms"
                  " (max %.1f)", attack, v->ping->len, health_median, health_max, ping_median,
                  ping_max);
  g_assert_cmpfloat (health_median, <, 100.0);
  g_assert_cmpfloat (ping_median, <, 50.0);
  g_assert_cmpfloat (health_max, <, 3000.0);
  g_assert_cmpfloat (ping_max, <, 3000.0);
  g_assert_false (mira_test_socket_is_closed (v->audio));

  mira_test_socket_free (v->audio);
  mira_test_client_free (v->client);
  net_free (v->net);
  g_array_unref (v->health);
  g_array_unref (v->ping);
  g_free (v);
}

/* Samples the victim while @attack runs on a thread of its own. */
static gpointer
run_attack (GThreadFunc  attack,
            gpointer     data,
            Victim      *v)
{
  GThread *thread = g_thread_new ("attack", attack, data);
  gint *done = data;   /* every attack's data starts with its done flag */

  /* While it runs, and a few times more: its harm may outlast it */
  for (guint n = 0; !g_atomic_int_get (done) || n < 10; n++)
    {
      victim_sample (v);
      g_usleep (20 * 1000);
    }
  return g_thread_join (thread);
}

/* Bodies: too large announced, too large chunked, negative length */

typedef struct {
  gint   done;
  guint  port;
  char  *path;
  char  *token;
  guint64 sent;          /* bytes of body the server took before it closed */
  GString *answer;
} BodyAttack;

static gpointer
chunked_flood (gpointer data)
{
  BodyAttack *a = data;
  int fd = tcp_connect (a->port);
  g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer %s\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Transfer-Encoding: chunked\r\n\r\n",
                                           a->path, a->token);
  static char chunk[64 * 1024 + 16];
  gsize chunk_len;

  g_assert_cmpint (fd, >=, 0);
  /* A server that stops reading leaves the kernel's window shut: a send
   * that waits this long counts as refused.
   */
  {
    struct timeval timeout = { .tv_sec = 2 };

    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }
  chunk_len = (gsize) g_snprintf (chunk, sizeof chunk, "%x\r\n", 64 * 1024);
  memset (chunk + chunk_len, ' ', 64 * 1024);
  chunk_len += 64 * 1024;
  memcpy (chunk + chunk_len, "\r\n", 2);
  chunk_len += 2;

  send_all (fd, head, strlen (head));
  /* Up to 256 MiB, unless the server closes first */
  while (a->sent < 256 * 1024 * 1024 && send_all (fd, chunk, chunk_len))
    a->sent += 64 * 1024;
  a->answer = read_until_close (fd, 2000);
  close (fd);
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_body (void)
{
  MiraTestServer *server = limited_server ();
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *persons = g_strdup_printf ("/api/v1/%s/persons", net->id);

  /* Announced too large: 413 before a byte of it is sent */
  {
    static const char request[] = "POST /health HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 1000000000000\r\n\r\n";
    int fd = tcp_connect (port);
    g_autoptr(GString) in = NULL;
    g_autoptr(RawResponse) r = NULL;

    send_all (fd, request, sizeof request - 1);
    in = read_until_close (fd, 2000);
    close (fd);
    r = parse_response (in);
    assert_error (r, 413, "PAYLOAD_TOO_LARGE");
  }

  /* Chunked, without end: refused once 8 MiB past the limit (1 MiB), 413 */
  {
    BodyAttack attack = { .port = port, .path = persons, .token = net->token };
    Victim *v = victim_new (server);
    g_autoptr(RawResponse) r = NULL;

    run_attack (chunked_flood, &attack, v);
    victim_check_and_free (v, "chunked body without end");
    g_test_message ("chunked: the server closed after %" G_GUINT64_FORMAT " bytes", attack.sent);
    /* The limit, 8 MiB read and thrown away, and what socket buffers hold */
    g_assert_cmpuint (attack.sent, <, 24 * 1024 * 1024);
    r = parse_response (attack.answer);
    assert_error (r, 413, "PAYLOAD_TOO_LARGE");
    g_string_free (attack.answer, TRUE);
  }
  health_ms (port);
}

/* Idle, silent, byte-at-a-time and half-sent connections, far more of them
 * than the server takes at once: each is closed in time, and the server
 * answers everybody else meanwhile.
 */
typedef struct {
  gint   done;
  guint  port;
  guint  n_closed_in_time;
  guint  n_total;
} SlowAttack;

static gpointer
slow_peers (gpointer data)
{
  SlowAttack *a = data;
  enum { N = 3 * MAX_CONNECTIONS };
  int fds[N];
  gint64 opened[N];
  gint64 closed[N];
  static const char headers[] = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  static const char body_head[] = "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  gint64 end;

  for (guint i = 0; i < N; i++)
    {
      fds[i] = tcp_connect (a->port);
      g_assert_cmpint (fds[i], >=, 0);
      opened[i] = g_get_monotonic_time ();
      closed[i] = 0;
      /* A third silent, a third sending headers a byte at a time, a third
       * a body that never ends
       */
      if (i % 3 == 2)
        send_all (fds[i], body_head, sizeof body_head - 1);
      g_usleep (2000);
    }

  /* Trickle a byte every 100 ms on the slow ones until all are closed */
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (guint step = 0; g_get_monotonic_time () < end; step++)
    {
      guint open = 0;

      for (guint i = 0; i < N; i++)
        {
          struct pollfd pfd = { .fd = fds[i], .events = POLLIN };
          char buf[4096];

          if (closed[i] != 0)
            continue;
          if (i % 3 == 1)
            send_all (fds[i], headers + MIN (step, sizeof headers - 2), 1);
          else if (i % 3 == 2)
            send_all (fds[i], "x", 1);
          if (poll (&pfd, 1, 0) > 0)
            {
              ssize_t n = recv (fds[i], buf, sizeof buf, MSG_DONTWAIT);

              if (n == 0 || (n < 0 && errno != EAGAIN))
                closed[i] = g_get_monotonic_time ();
              else if (n > 0)
                {
                  /* A 408 first, then the end */
                  if (wait_closed (fds[i], 2000))
                    closed[i] = g_get_monotonic_time ();
                }
            }
          if (closed[i] == 0)
            open++;
        }
      if (open == 0)
        break;
      g_usleep (100 * 1000);
    }

  for (guint i = 0; i < N; i++)
    {
      /* Headers or a body: their bound, and the sweep's tick, and the
       * trickle's 100 ms; a peer may also be evicted earlier for room.
       */
      if (closed[i] != 0 && closed[i] - opened[i] < (2 * HEADERS_TIMEOUT_MS + 1000) * 1000 * 3)
        a->n_closed_in_time++;
      close (fds[i]);
    }
  a->n_total = N;
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_slow (void)
{
  MiraTestServer *server = limited_server ();
  SlowAttack attack = { .port = mira_test_server_get_port (server) };
  Victim *v = victim_new (server);

  run_attack (slow_peers, &attack, v);
  victim_check_and_free (v, "idle, slow and half-sent connections");
  g_assert_cmpuint (attack.n_closed_in_time, ==, attack.n_total);
}

/* Sockets of the server's port in CLOSE-WAIT: the peer closed, the server
 * did not (from /proc/net/tcp and tcp6; state 08)
 */
static guint
n_close_wait (guint port)
{
  static const char *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  guint n = 0;

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (tables[t], &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 1; lines[i] != NULL; i++)
        {
          g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
          const char *local = NULL, *state = NULL;
          guint k = 0;

          for (guint f = 0; fields[f] != NULL; f++)
            {
              if (*fields[f] == '\0')
                continue;
              if (k == 1)
                local = fields[f];
              else if (k == 3)
                state = fields[f];
              k++;
            }
          if (local != NULL && state != NULL && g_str_equal (state, "08")
              && g_ascii_strtoull (strrchr (local, ':') + 1, NULL, 16) == port)
            n++;
        }
    }
  return n;
}

/* Peers that ask for a long answer, read none of it and close their side:
 * while libsoup waits to write the answer nothing reads the socket, and
 * each sat in CLOSE-WAIT for good. Now each goes a head's timeout (5 s
 * at least) after its peer closed.
 */
static void
test_limits_close_wait (void)
{
  enum { N = 20 };
  MiraTestServer *server = limited_server ();
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *interactions = g_strdup_printf ("/api/v1/%s/interactions", net->id);
  g_autofree char *request = g_strdup_printf ("GET %s?limit=30 HTTP/1.1\r\nHost: x\r\n"
                                              "Authorization: Bearer %s\r\n\r\n",
                                              interactions, net->token);
  g_autoptr(GString) content = g_string_new (NULL);
  int fds[N];
  guint stuck = 0;
  gint64 deadline;

  /* 30 interactions of nearly the 100,000 characters allowed: a 3 MB
   * answer, far over what the kernel buffers for a peer that reads nothing
   */
  while (content->len < 99 * 1000)
    g_string_append (content, "the quick brown fox jumps over the lazy dog ");
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"content\":\"%s\",\"interaction_type\":\"text\"}",
                                               content->str);
      g_autoptr(MiraTestResponse) r = mira_test_request (server, "POST", interactions,
                                                         net->token, body);

      g_assert_cmpuint (r->status, ==, 201);
    }

  for (guint i = 0; i < N; i++)
    {
      struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port),
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      int small = 4096;

      fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert_cmpint (fds[i], >=, 0);
      /* A small window, set before the handshake: the answer stalls */
      setsockopt (fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      g_assert_cmpint (connect (fds[i], (struct sockaddr *) &addr, sizeof addr), ==, 0);
      g_assert_true (send_all (fds[i], request, strlen (request)));
    }
  /* The answers are being written, and stall: each peer has the first
   * bytes of its answer (however long a loaded or sanitized server takes
   * to build them) before it closes its side
   */
  for (guint i = 0; i < N; i++)
    {
      struct pollfd pfd = { .fd = fds[i], .events = POLLIN };

      g_assert_cmpint (poll (&pfd, 1, 120 * 1000), ==, 1);
    }
  for (guint i = 0; i < N; i++)
    shutdown (fds[i], SHUT_WR);

  /* What a peer that closed its side still has for the answer (the head's
   * bound, 5 s at least), the sweep's tick, and slack for a loaded machine
   */
  deadline = g_get_monotonic_time () + (MAX (HEADERS_TIMEOUT_MS, 5000) + 4000) * 1000;
  do
    {
      g_usleep (100 * 1000);
      stuck = n_close_wait (port);
    }
  while (stuck > 0 && g_get_monotonic_time () < deadline);
  g_test_message ("%u of %u connections still in CLOSE-WAIT", stuck, N);
  g_assert_cmpuint (stuck, ==, 0);

  for (guint i = 0; i < N; i++)
    close (fds[i]);
  /* And the server answers as ever */
  g_assert_cmpfloat (health_ms (port), <, 1000.0);
}

/* Connects @n connections to @port, then reads what each is told within
 * @timeout_ms in all. Runs in a child forked from this threaded process: only
 * system calls, no allocation. Returns through @settled the number the server
 * answered or closed, and through @refused the number told 503.
 */
static void
connect_and_listen (guint  port,
                    guint  n,
                    guint  timeout_ms,
                    int   *settled,
                    int   *refused)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct timespec start, now;
  int fds[64];

  *settled = *refused = 0;
  n = MIN (n, G_N_ELEMENTS (fds));
  for (guint i = 0; i < n; i++)
    {
      fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fds[i] >= 0 && connect (fds[i], (struct sockaddr *) &addr, sizeof addr) != 0)
        {
          close (fds[i]);
          fds[i] = -1;
        }
    }
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (guint i = 0; i < n; i++)
    {
      char head[16];
      ssize_t got = 0;
      gboolean closed = FALSE;

      while (fds[i] >= 0 && !closed)
        {
          struct pollfd pfd = { .fd = fds[i], .events = POLLIN };
          long left;
          ssize_t r;

          clock_gettime (CLOCK_MONOTONIC, &now);
          left = (long) timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
                                      (now.tv_nsec - start.tv_nsec) / 1000000);
          if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
            break;
          if (got < (ssize_t) sizeof head)
            r = recv (fds[i], head + got, sizeof head - (size_t) got, 0);
          else
            {
              char rest[512];

              r = recv (fds[i], rest, sizeof rest, 0);
            }
          if (r < 0 && errno != EINTR)
            break;
          closed = r == 0;
          got += MAX (r, 0);
        }
      if (closed)
        (*settled)++;
      if (got >= 12 && memcmp (head, "HTTP/1.1 503", 12) == 0)
        (*refused)++;
      if (fds[i] >= 0)
        close (fds[i]);
    }
}

/* Out of descriptors: the connections waiting to be accepted are told 503
 * rather than left hanging, and accepting resumes when descriptors are free.
 * The peers live in a child process, with descriptors to spare, so that only
 * the server runs out.
 */
static void
test_limits_emfile (void)
{
  MiraTestServer *server = limited_server ();
  guint port = mira_test_server_get_port (server);
  struct rlimit saved, low;
  int go[2], result[2];
  int counts[2] = { 0, 0 };
  pid_t child;
  int status = 0;

  health_ms (port);
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_cmpint (pipe2 (go, O_CLOEXEC), ==, 0);
  g_assert_cmpint (pipe2 (result, O_CLOEXEC), ==, 0);

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      char byte;
      int answer[2];

      close (go[1]);
      close (result[0]);
      if (read (go[0], &byte, 1) != 1)
        _exit (2);
      /* Fewer than the server's connection limit: only descriptors run out.
       * In time: before the last closes, at most 15 s for a server slowed
       * down by sanitizers on a busy machine.
       */
      connect_and_listen (port, MAX_CONNECTIONS - 24, 15000, &answer[0], &answer[1]);
      _exit (write (result[1], answer, sizeof answer) == sizeof answer ? 0 : 3);
    }
  close (go[0]);
  close (result[1]);

  /* Room for a dozen more descriptors in this process, the server's */
  {
    int probe = dup (0);

    g_assert_cmpint (probe, >=, 0);
    close (probe);
    low = saved;
    low.rlim_cur = (rlim_t) probe + 12;
    g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  }
  g_assert_cmpint (write (go[1], "g", 1), ==, 1);
  g_assert_cmpint (read (result[0], counts, sizeof counts), ==, sizeof counts);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  close (go[1]);
  close (result[0]);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  g_test_message ("%d of %d connections made at the descriptor limit closed in time, "
                  "%d of them told 503", counts[0], MAX_CONNECTIONS - 24, counts[1]);
  /* None left hanging: the accepted ones time out, the others are shed */
  g_assert_cmpint (counts[0], ==, MAX_CONNECTIONS - 24);
  g_assert_cmpint (counts[1], >, 0);

  /* Accepting again, for good */
  for (guint i = 0; i < 5; i++)
    g_assert_cmpfloat (health_ms (port), <, 1000.0);
}

/* An event socket flooding pings */
typedef struct {
  gint     done;
  char    *url;
  char    *path;
  guint    sent;
  gushort  code;
} PingFlood;

static gpointer
ping_flood (gpointer data)
{
  PingFlood *a = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (a->url);
  g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, a->path);

  g_assert_nonnull (mira_test_socket_wait_for (ws, "connection_established", 0, 5000, NULL));
  while (a->sent < 100000 && mira_test_socket_is_open (ws))
    {
      mira_test_socket_send_text (ws, "{\"type\":\"ping\"}");
      a->sent++;
      if (a->sent % 100 == 0)
        mira_test_client_flush (client);
    }
  mira_test_socket_wait_closed (ws, 5000);
  a->code = mira_test_socket_close_code (ws);
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_ping_flood (void)
{
  MiraTestServer *server = limited_server ();
  g_autoptr(Net) net = net_new (server);
  PingFlood attack = { .url = (char *) mira_test_server_get_url (server) };
  Victim *v = victim_new (server);

  attack.path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);

  /* Pings at 10 a second are answered, every one, and the socket stays */
  {
    g_autoptr(MiraTestClient) client = mira_test_client_new (attack.url);
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, attack.path);
    guint at;

    g_assert_nonnull (mira_test_socket_wait_for (ws, "connection_established", 0, 5000, &at));
    for (guint i = 0; i < 20; i++)
      {
        mira_test_socket_send_text (ws, "{\"type\":\"ping\"}");
        mira_test_client_run (client, 100);
      }
    mira_test_client_run (client, 300);
    g_assert_cmpuint (mira_test_socket_count (ws, "pong", at), ==, 20);
    g_assert_true (mira_test_socket_is_open (ws));
  }

  run_attack (ping_flood, &attack, v);
  victim_check_and_free (v, "event socket ping flood");
  g_test_message ("ping flood: closed with %u after %u pings", attack.code, attack.sent);
  g_assert_cmpuint (attack.code, ==, 1008);
  g_assert_cmpuint (attack.sent, <, 100000);
  g_free (attack.path);
}

/* audio-start with a new odd rate, again and again: each would build a
 * resampler on the audio thread that other networks' streams share.
 */
typedef struct {
  gint     done;
  char    *url;
  char    *path;
  gushort  code;
} FormatFlood;

static gpointer
format_flood (gpointer data)
{
  FormatFlood *a = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (a->url);
  g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, a->path);
  g_autoptr(GString) lines = g_string_new (NULL);

  g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
  /* ~70 KB of them in one message, as Wyoming lets several lines share one */
  for (guint i = 0; lines->len < 70 * 1000; i++)
    g_string_append_printf (lines, "{\"type\":\"audio-start\",\"data\":{\"rate\":%u,"
                                   "\"width\":2,\"channels\":1}}\n", 191999 - i * 7);
  mira_test_socket_send_text (ws, lines->str);
  mira_test_socket_wait_closed (ws, 5000);
  a->code = mira_test_socket_close_code (ws);
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_format_changes (void)
{
  MiraTestServer *server = limited_server ();
  g_autoptr(Net) net = net_new (server);
  FormatFlood attack = { .url = (char *) mira_test_server_get_url (server) };
  Victim *v = victim_new (server);

  attack.path = g_strdup_printf ("/api/v1/%s/streams/dev/ws?token=%s", net->id, net->session);
  run_attack (format_flood, &attack, v);
  victim_check_and_free (v, "audio-start with a new rate, 70 KB of them");
  g_assert_cmpuint (attack.code, ==, 1008);
  g_free (attack.path);

  /* The same format again and again is no change: the socket stays */
  {
    g_autoptr(MiraTestClient) client = mira_test_client_new (mira_test_server_get_url (server));
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/streams/dev/ws?token=%s", net->id,
                                             net->session);
    g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, path);

    g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
    for (guint i = 0; i < 50; i++)
      mira_test_socket_send_text (ws, "{\"type\":\"audio-start\",\"data\":{\"rate\":44100,"
                                      "\"width\":2,\"channels\":1}}\n");
    mira_test_socket_send_text (ws, "{\"type\":\"ping\"}\n");
    g_assert_nonnull (mira_test_socket_wait_for (ws, "pong", 0, 5000, NULL));
    g_assert_true (mira_test_socket_is_open (ws));
  }
}

/* Uploads: an Ogg Opus file of 2-byte packets, each 120 ms of audio */

static guint32
ogg_crc (guint32       crc,
         const guint8 *p,
         gsize         len)
{
  for (gsize i = 0; i < len; i++)
    {
      crc ^= (guint32) p[i] << 24;
      for (guint b = 0; b < 8; b++)
        crc = crc & 0x80000000u ? crc << 1 ^ 0x04c11db7u : crc << 1;
    }
  return crc;
}

static void
ogg_page (GByteArray   *out,
          guint         flags,
          guint64       granule,
          guint32       sequence,
          const guint8 *lacing,
          guint         n_segments,
          const guint8 *data,
          gsize         len)
{
  guint start = out->len;
  guint8 header[27] = { 'O', 'g', 'g', 'S', 0, (guint8) flags };
  guint32 crc;

  for (guint i = 0; i < 8; i++)
    header[6 + i] = (guint8) (granule >> (8 * i));
  header[14] = 0x4d;                       /* serial */
  for (guint i = 0; i < 4; i++)
    header[18 + i] = (guint8) (sequence >> (8 * i));
  header[26] = (guint8) n_segments;
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, lacing, n_segments);
  g_byte_array_append (out, data, (guint) len);
  crc = ogg_crc (0, out->data + start, out->len - start);
  for (guint i = 0; i < 4; i++)
    out->data[start + 22 + i] = (guint8) (crc >> (8 * i));
}

static GBytes *
tiny_packet_ogg (gsize size)
{
  static const guint8 head[19] = { 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 1, 0x38, 0x01,
                                   0x80, 0x3e, 0, 0, 0, 0, 0 };
  static const guint8 tags[16] = { 'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 0, 0, 0, 0,
                                   0, 0, 0, 0 };
  /* TOC: SILK narrowband 60 ms, code 3; then two frames of no bytes */
  static const guint8 packet[2] = { 0x1b, 0x02 };
  GByteArray *out = g_byte_array_new ();
  guint8 lacing[255];
  guint8 data[2 * 255];
  guint32 sequence = 0;
  guint64 granule = 0;
  guint8 one;

  one = sizeof head;
  ogg_page (out, 0x02, 0, sequence++, &one, 1, head, sizeof head);
  one = sizeof tags;
  ogg_page (out, 0x00, 0, sequence++, &one, 1, tags, sizeof tags);
  for (guint i = 0; i < 255; i++)
    {
      lacing[i] = sizeof packet;
      memcpy (data + 2 * i, packet, sizeof packet);
    }
  while (out->len < size)
    {
      granule += 255 * 5760;
      ogg_page (out, 0x00, granule, sequence++, lacing, 255, data, sizeof data);
    }
  return g_byte_array_free_to_bytes (out);
}

typedef struct {
  gint         done;
  guint        port;
  char        *path;
  char        *token;
  GBytes      *file;
  const char  *file_type;   /* the part's Content-Type */
  RawResponse *answer;
  double       ms;
} UploadAttack;

static gpointer
upload (gpointer data)
{
  UploadAttack *a = data;
  static const char boundary[] = "mira-hostile-boundary";
  g_autofree char *part = g_strdup_printf ("--%s\r\nContent-Disposition: form-data; "
                                           "name=\"audio_data\"; filename=\"a.opus\"\r\n"
                                           "Content-Type: %s\r\n\r\n", boundary, a->file_type);
  g_autofree char *end = g_strdup_printf ("\r\n--%s--\r\n", boundary);
  gsize len = strlen (part) + g_bytes_get_size (a->file) + strlen (end);
  g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer %s\r\n"
                                           "Content-Type: multipart/form-data; boundary=%s\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "Connection: close\r\n\r\n",
                                           a->path, a->token, boundary, len);
  g_autoptr(GByteArray) request = g_byte_array_new ();
  gint64 start = g_get_monotonic_time ();

  g_byte_array_append (request, (const guint8 *) head, (guint) strlen (head));
  g_byte_array_append (request, (const guint8 *) part, (guint) strlen (part));
  g_byte_array_append (request, g_bytes_get_data (a->file, NULL),
                       (guint) g_bytes_get_size (a->file));
  g_byte_array_append (request, (const guint8 *) end, (guint) strlen (end));
  a->answer = raw_exchange (a->port, request->data, request->len);
  a->ms = (double) (g_get_monotonic_time () - start) / 1000.0;
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_upload (void)
{
  MiraTestServer *server = limited_server ();
  g_autoptr(Net) net = net_new (server);
  g_autoptr(GBytes) file = tiny_packet_ogg (4 * 1024 * 1024);
  UploadAttack attack = {
    .port = mira_test_server_get_port (server),
    .token = net->token,
    .file = file,
    .file_type = "audio/ogg",
  };
  Victim *v = victim_new (server);

  attack.path = g_strdup_printf ("/api/v1/%s/streams/dev/audio", net->id);
  run_attack (upload, &attack, v);
  victim_check_and_free (v, "4 MiB of 2-byte Opus packets (44 hours of audio)");
  g_test_message ("upload refused in %.0f ms", attack.ms);
  assert_error (attack.answer, 413, "PAYLOAD_TOO_LARGE");
  g_assert_nonnull (strstr (json_object_get_string_member (attack.answer->json, "detail"),
                            "300 seconds"));
  raw_response_free (attack.answer);

  /* Just under the cap (290 s of raw PCM, 9 MB): taken, and fed through the
   * pipeline without holding up the other network's stream
   */
  {
    gsize n = 290 * 16000;
    gint16 *pcm = g_new (gint16, n);
    g_autoptr(GBytes) raw = NULL;
    Victim *next = victim_new (server);

    for (gsize i = 0; i < n; i++)
      pcm[i] = (gint16) (((i * 7919) % 2000) - 1000);
    raw = g_bytes_new_take (pcm, n * sizeof (gint16));
    attack.done = FALSE;
    attack.file = raw;
    attack.file_type = "audio/L16";
    run_attack (upload, &attack, next);
    /* The pipeline runs after the answer: sample a while longer */
    for (guint i = 0; i < 50; i++)
      {
        victim_sample (next);
        g_usleep (20 * 1000);
      }
    victim_check_and_free (next, "290 s of raw PCM uploaded");
    g_assert_cmpuint (attack.answer->status, ==, 202);
    raw_response_free (attack.answer);
  }
  g_free (attack.path);
}

/* Requests libsoup refuses by itself, and framing it reads too kindly: every
 * answer in API.md's shape, nothing created
 */
static void
test_framing (gconstpointer data)
{
  Backend backend = GPOINTER_TO_UINT (data);
  MiraTestServer *server = server_for (backend);
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *persons = g_strdup_printf ("/api/v1/%s/persons", net->id);
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s\r\n", net->token);
  const struct { const char *head; const char *rest; guint status; } cases[] = {
    { "GARBAGE", "\r\n\r\n", 400 },
    { "GET /health HTTP/3.0", "\r\nHost: x\r\n\r\n", 505 },
    { "GET /health HTTP/1.1", "\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 501 },
    /* A negative or listed length is not an empty body */
    { "POST @PATH@ HTTP/1.1", "\r\nHost: x\r\n@AUTH@Content-Type: application/json\r\n"
      "Content-Length: -5\r\n\r\n", 400 },
    { "POST @PATH@ HTTP/1.1", "\r\nHost: x\r\n@AUTH@Content-Type: application/json\r\n"
      "Content-Length: 2, 3\r\n\r\n{}", 400 },
    /* A chunk-size line that is not hexadecimal is not the last chunk */
    { "POST @PATH@ HTTP/1.1", "\r\nHost: x\r\n@AUTH@Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n{\"name\":\"A\"}\r\n0\r\n\r\n", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) request = g_string_new (cases[i].head);
      g_autoptr(RawResponse) r = NULL;
      const char *head = cases[i].head;

      g_string_append (request, cases[i].rest);
      g_string_replace (request, "@PATH@", persons, 0);
      g_string_replace (request, "@AUTH@", auth, 0);
      /* libsoup hands a negative length to GObject, which warns, before
       * the server refuses the request: that warning is not the test's
       */
      {
        GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

        r = raw_exchange (port, request->str, request->len);
        /* The server's thread takes this only once it is done with the
         * request above, warning included
         */
        health_ms (port);
        g_log_set_always_fatal (fatal);
      }

      g_assert_nonnull (r);
      if (r->status != cases[i].status || r->json == NULL
          || !json_object_has_member (r->json, "detail")
          || !json_object_has_member (r->json, "error_code")
          || !json_object_has_member (r->json, "timestamp"))
        g_error ("%s: expected %u in the error shape, got %u: %s", head, cases[i].status,
                 r->status, r->body);
    }

  /* None of them made a person */
  {
    g_autofree char *list = g_strdup_printf ("/api/v1/%s/persons", net->id);
    g_autoptr(MiraTestResponse) r = mira_test_request (server, "GET", list, net->token, NULL);

    g_assert_cmpint (json_object_get_int_member (mira_test_response_object (r), "total"), ==, 0);
  }
}

/* The response after the first in @in (a pipelined or kept-alive answer). */
static RawResponse *
parse_second_response (const GString *in)
{
  g_autoptr(RawResponse) first = parse_response (in);
  const char *head_end = g_strstr_len (in->str, (gssize) in->len, "\r\n\r\n");
  gsize at;
  g_autoptr(GString) rest = NULL;

  g_assert_nonnull (first);
  at = (gsize) (head_end + 4 - in->str) + strlen (first->body);
  g_assert_cmpuint (at, <=, in->len);
  rest = g_string_new_len (in->str + at, (gssize) (in->len - at));
  return parse_response (rest);
}

/* A request line or a header block over the 64 KiB libsoup reads: 414 or
 * 431 in API.md's shape, on a new connection, pipelined after a request
 * and on a connection kept alive; the server answers the next one.
 */
static void
test_long_head (void)
{
  MiraTestServer *server = server_for (BACKEND_SQLITE);
  guint port = mira_test_server_get_port (server);
  g_autoptr(GString) long_url = g_string_new ("GET /");
  g_autoptr(GString) long_header = g_string_new ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
  static const char health[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

  for (guint i = 0; i < 100 * 1000; i++)
    g_string_append_c (long_url, 'a');
  g_string_append (long_url, " HTTP/1.1\r\nHost: x\r\n\r\n");
  for (guint i = 0; i < 200 * 1000; i++)
    g_string_append_c (long_header, 'b');
  g_string_append (long_header, "\r\n\r\n");

  {
    g_autoptr(RawResponse) r = raw_exchange (port, long_url->str, long_url->len);

    assert_error (r, 414, "URI_TOO_LONG");
    g_assert_cmpstr (g_hash_table_lookup (r->headers, "connection"), ==, "close");
  }
  {
    g_autoptr(RawResponse) r = raw_exchange (port, long_header->str, long_header->len);

    assert_error (r, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
  }
  /* Many header lines that add up to over 64 KiB */
  {
    g_autoptr(GString) many = g_string_new ("GET /health HTTP/1.1\r\nHost: x\r\n");
    g_autoptr(RawResponse) r = NULL;

    for (guint i = 0; i < 1000; i++)
      g_string_append_printf (many, "X-Header-%u: %0100u\r\n", i, i);
    g_string_append (many, "\r\n");
    r = raw_exchange (port, many->str, many->len);
    assert_error (r, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
  }
  /* Pipelined after a request that is answered */
  {
    g_autoptr(GString) both = g_string_new (health);
    g_autoptr(RawResponse) first = NULL;
    g_autoptr(RawResponse) second = NULL;
    int fd = tcp_connect (port);
    g_autoptr(GString) in = NULL;

    g_string_append_len (both, long_url->str, (gssize) long_url->len);
    send_all (fd, both->str, both->len);
    in = read_until_close (fd, 10000);
    close (fd);
    first = parse_response (in);
    g_assert_nonnull (first);
    g_assert_cmpuint (first->status, ==, 200);
    second = parse_second_response (in);
    assert_error (second, 414, "URI_TOO_LONG");
  }
  /* On a connection kept alive, after an answer came */
  {
    int fd = tcp_connect (port);
    g_autoptr(GString) in = g_string_new (NULL);
    g_autoptr(RawResponse) first = NULL;
    g_autoptr(RawResponse) second = NULL;
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    send_all (fd, health, sizeof health - 1);
    /* The whole answer, a JSON object, before the next request */
    while (g_strstr_len (in->str, (gssize) in->len, "\r\n\r\n{") == NULL
           || !g_str_has_suffix (in->str, "}"))
      {
        char buf[4096];
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_assert_cmpint (poll (&pfd, 1, 1000), >=, 0);
        n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
        g_assert_cmpint (n, !=, 0);
        if (n > 0)
          g_string_append_len (in, buf, n);
      }
    first = parse_response (in);
    g_assert_nonnull (first);
    g_assert_cmpuint (first->status, ==, 200);
    send_all (fd, long_header->str, long_header->len);
    {
      g_autoptr(GString) rest = read_until_close (fd, 10000);

      g_string_append_len (in, rest->str, (gssize) rest->len);
    }
    close (fd);
    second = parse_second_response (in);
    assert_error (second, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
  }
  /* A head under the limit is read as ever */
  {
    g_autoptr(GString) big = g_string_new ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    g_autoptr(RawResponse) r = NULL;

    for (guint i = 0; i < 60 * 1000; i++)
      g_string_append_c (big, 'c');
    g_string_append (big, "\r\nConnection: close\r\n\r\n");
    r = raw_exchange (port, big->str, big->len);
    g_assert_nonnull (r);
    g_assert_cmpuint (r->status, ==, 200);
  }
  g_assert_cmpfloat (health_ms (port), <, 1000);
}

/* The close code of the close frame an event socket answers @payload with */
static guint
event_socket_close_answer (guint       port,
                           const char *path,
                           const char *payload,
                           gsize       len)
{
  g_autofree char *handshake = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                                "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                                "dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                "Sec-WebSocket-Version: 13\r\n\r\n", path);
  static const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 frame[2 + 4 + 125];
  int fd = tcp_connect (port);
  g_autoptr(GString) in = NULL;
  const guint8 *p, *end;
  const char *head_end;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (len, <=, 125);
  frame[0] = 0x88;
  frame[1] = 0x80 | (guint8) len;
  memcpy (frame + 2, mask, 4);
  for (gsize i = 0; i < len; i++)
    frame[6 + i] = (guint8) payload[i] ^ mask[i % 4];
  send_all (fd, handshake, strlen (handshake));
  send_all (fd, frame, 6 + len);
  in = read_until_close (fd, 5000);
  close (fd);

  head_end = g_strstr_len (in->str, (gssize) in->len, "\r\n\r\n");
  g_assert_nonnull (head_end);
  g_assert_true (g_str_has_prefix (in->str, "HTTP/1.1 101"));
  /* Frames from the server, unmasked: the first close frame's code */
  p = (const guint8 *) head_end + 4;
  end = (const guint8 *) in->str + in->len;
  while (end - p >= 2)
    {
      gsize n = p[1] & 0x7f, skip = 2;

      if (n == 126)
        {
          g_assert_cmpint (end - p, >=, 4);
          n = (gsize) p[2] << 8 | p[3];
          skip = 4;
        }
      g_assert_cmpuint (n, !=, 127);
      g_assert_cmpint (end - p, >=, (gssize) (skip + n));
      if ((p[0] & 0x0f) == 0x08)
        return n >= 2 ? (guint) p[skip] << 8 | p[skip + 1] : 0;
      p += skip + n;
    }
  g_error ("no close frame from the event socket");
  return 0;
}

/* RFC 6455 7.4: a close code a peer may not send is answered with 1002,
 * one it may send is echoed.
 */
static void
test_event_socket_close_codes (void)
{
  MiraTestServer *server = server_for (BACKEND_SQLITE);
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
  static const struct { const char *payload; gsize len; guint answer; } cases[] = {
    { "\x03", 1, 1002 },                      /* one byte */
    { "\x00\x00", 2, 1002 },                  /* 0 */
    { "\x03\xe7", 2, 1002 },                  /* 999 */
    { "\x03\xec", 2, 1002 },                  /* 1004: reserved */
    { "\x03\xed", 2, 1002 },                  /* 1005: for reporting only */
    { "\x03\xee", 2, 1002 },                  /* 1006 */
    { "\x03\xf7", 2, 1002 },                  /* 1015 */
    { "\x03\xf8", 2, 1002 },                  /* 1016: reserved */
    { "\x07\xd0", 2, 1002 },                  /* 2000 */
    { "\x0b\xb7", 2, 1002 },                  /* 2999 */
    { "\x13\x88", 2, 1002 },                  /* 5000 */
    { "\x03\xe8\xff\xfe", 4, 1002 },          /* 1000 with a reason not UTF-8 */
    { "", 0, 1000 },                          /* no code: a normal close */
    { "\x03\xe8", 2, 1000 },
    { "\x03\xe9" "bye", 5, 1001 },
    { "\x0b\xb8", 2, 3000 },
    { "\x13\x87", 2, 4999 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      guint answer = event_socket_close_answer (port, path, cases[c].payload, cases[c].len);

      if (answer != cases[c].answer)
        g_error ("close case %u: expected %u, got %u", c, cases[c].answer, answer);
    }
  health_ms (port);
}

/* One token holds at most MIRA_GRANTS_MAX_PER_TOKEN sockets, event and
 * audio together: the next is told TOO_MANY_SOCKETS and closed with 1008,
 * another token of the network is not held back, and a socket closed makes
 * room.
 */
static void
test_limits_sockets_per_token (void)
{
  MiraTestServer *server = server_for (BACKEND_SQLITE);
  g_autoptr(Net) net = net_new (server);
  MiraTestClient *client = mira_test_client_new (mira_test_server_get_url (server));
  g_autofree char *events = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
  /* Friend-Lite's path takes the network's token */
  g_autofree char *audio = g_strdup_printf ("/ws_pcm?token=%s&device_name=dev", net->token);
  g_autofree char *session_events = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id,
                                                     net->session);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_test_socket_free);
  MiraTestSocket *extra;
  JsonObject *error;

  /* Half event sockets, half audio sockets */
  for (guint i = 0; i < MIRA_GRANTS_MAX_PER_TOKEN; i++)
    {
      MiraTestSocket *socket = mira_test_socket_connect (client, i % 2 ? audio : events);

      g_assert_nonnull (mira_test_socket_wait_for (socket, i % 2 ? "ready" : "connection_established",
                                                   0, 10000, NULL));
      g_ptr_array_add (held, socket);
    }

  /* One more of each kind: refused */
  for (guint kind = 0; kind < 2; kind++)
    {
      extra = mira_test_socket_connect (client, kind ? audio : events);
      error = mira_test_socket_wait_for (extra, "error", 0, 10000, NULL);
      g_assert_nonnull (error);
      g_assert_cmpstr (json_object_get_string_member (error, "error"), ==, "TOO_MANY_SOCKETS");
      g_assert_true (mira_test_socket_wait_closed (extra, 10000));
      g_assert_cmpuint (mira_test_socket_close_code (extra), ==, 1008);
      g_assert_cmpuint (mira_test_socket_count (extra, kind ? "ready" : "connection_established",
                                                0), ==, 0);
      mira_test_socket_free (extra);
    }

  /* The device's own token is another token */
  extra = mira_test_socket_connect (client, session_events);
  g_assert_nonnull (mira_test_socket_wait_for (extra, "connection_established", 0, 10000, NULL));
  mira_test_socket_free (extra);

  /* Those held are untouched; one closed makes room for one */
  for (guint i = 0; i < held->len; i++)
    g_assert_false (mira_test_socket_is_closed (g_ptr_array_index (held, i)));
  mira_test_socket_close (g_ptr_array_index (held, 0));
  g_assert_true (mira_test_socket_wait_closed (g_ptr_array_index (held, 0), 10000));
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    gboolean in = FALSE;

    /* The server hears of the close a moment after the client sees it */
    while (!in && g_get_monotonic_time () < deadline)
      {
        extra = mira_test_socket_connect (client, events);
        in = mira_test_socket_wait_for (extra, "connection_established", 0, 2000, NULL) != NULL;
        mira_test_socket_free (extra);
        if (!in)
          g_usleep (100 * 1000);
      }
    g_assert_true (in);
  }

  g_ptr_array_set_size (held, 0);
  mira_test_client_free (client);
}

/* Sockets the server accepted on @port that have TCP keepalive on, with a
 * user timeout of 60 s
 */
static guint
count_kept_alive (guint port)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      int fd = atoi (name);
      struct sockaddr_in local = { 0 }, peer = { 0 };
      socklen_t len = sizeof local;
      int keepalive = 0;
      unsigned int user_timeout = 0;
      socklen_t opt_len = sizeof keepalive;

      if (getsockname (fd, (struct sockaddr *) &local, &len) != 0 || local.sin_family != AF_INET
          || ntohs (local.sin_port) != port)
        continue;
      len = sizeof peer;
      if (getpeername (fd, (struct sockaddr *) &peer, &len) != 0)
        continue;   /* the listening socket */
      if (getsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &opt_len) != 0 || !keepalive)
        continue;
      opt_len = sizeof user_timeout;
      if (getsockopt (fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &opt_len) == 0
          && user_timeout == 60 * 1000)
        n++;
    }
  return n;
}

/* Sockets the server accepted on @port with a user timeout of 60 s */
static guint
count_user_timeout (guint port)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      int fd = atoi (name);
      struct sockaddr_in local = { 0 }, peer = { 0 };
      socklen_t len = sizeof local;
      unsigned int user_timeout = 0;
      socklen_t opt_len = sizeof user_timeout;

      if (getsockname (fd, (struct sockaddr *) &local, &len) != 0 || local.sin_family != AF_INET
          || ntohs (local.sin_port) != port)
        continue;
      len = sizeof peer;
      if (getpeername (fd, (struct sockaddr *) &peer, &len) == 0
          && getsockopt (fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &opt_len) == 0
          && user_timeout == 60 * 1000)
        n++;
    }
  return n;
}

/* A subscriber that vanishes without a FIN is found by TCP keepalive */
static void
test_event_socket_keepalive (void)
{
  g_autofree char *uri = mira_test_sqlite_uri ();
  g_autoptr(MiraTestServer) server = mira_test_server_new (uri, FALSE);
  guint port = mira_test_server_get_port (server);
  g_autoptr(Net) net = net_new (server);
  g_autoptr(MiraTestClient) client = mira_test_client_new (mira_test_server_get_url (server));
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
  g_autoptr(MiraTestSocket) ws = NULL;

  g_assert_cmpuint (count_kept_alive (port), ==, 0);
  /* Every HTTP connection gives up on a peer that acknowledges nothing */
  {
    int fd = tcp_connect (port);

    g_usleep (100 * 1000);
    g_assert_cmpuint (count_user_timeout (port), >=, 1);
    close (fd);
  }
  ws = mira_test_socket_connect (client, path);
  g_assert_nonnull (mira_test_socket_wait_for (ws, "connection_established", 0, 5000, NULL));
  g_assert_cmpuint (count_kept_alive (port), ==, 1);
}

/* An audio socket flooding pings, many to a message, and reading its pongs */
typedef struct {
  gint     done;
  char    *url;
  char    *path;
  guint    sent;
  gushort  code;
} AudioPingFlood;

static gpointer
audio_ping_flood (gpointer data)
{
  AudioPingFlood *a = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (a->url);
  g_autoptr(MiraTestSocket) ws = mira_test_socket_connect (client, a->path);
  g_autoptr(GString) lines = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  g_assert_nonnull (mira_test_socket_wait_for (ws, "ready", 0, 5000, NULL));
  /* As many as one message may hold: the event rate closes it */
  for (guint i = 0; i < 1000; i++)
    g_string_append (lines, "{\"type\":\"ping\"}\n");
  while (g_get_monotonic_time () < end && mira_test_socket_is_open (ws))
    {
      mira_test_socket_send_text (ws, lines->str);
      a->sent++;
      mira_test_client_run (client, 5);
    }
  mira_test_socket_wait_closed (ws, 5000);
  a->code = mira_test_socket_close_code (ws);
  g_atomic_int_set (&a->done, TRUE);
  return NULL;
}

static void
test_limits_audio_ping_flood (void)
{
  MiraTestServer *server = limited_server ();
  g_autoptr(Net) net = net_new (server);
  AudioPingFlood attack = { .url = (char *) mira_test_server_get_url (server) };
  Victim *v = victim_new (server);

  attack.path = g_strdup_printf ("/api/v1/%s/streams/dev/ws?token=%s", net->id, net->session);
  run_attack (audio_ping_flood, &attack, v);
  g_test_message ("audio ping flood: %u messages of 1,000 pings, close code %u", attack.sent,
                  attack.code);
  victim_check_and_free (v, "audio socket ping flood");
  g_assert_cmpuint (attack.code, ==, 1008);
  g_free (attack.path);
}

static void
drop_message (const char     *log_domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* libsoup's debug lines, a few thousand here, quote what hostile peers
   * sent, invalid UTF-8 among it, into the TAP stream as comments
   */
  g_log_set_handler ("libsoup", G_LOG_LEVEL_DEBUG, drop_message, NULL);

  g_test_add_func ("/hostile/json/check", test_json_check);
  for (guint b = 0; b < N_BACKENDS; b++)
    {
      g_autofree char *nesting = g_strdup_printf ("/hostile/%s/json/nesting", backend_names[b]);
      g_autofree char *text = g_strdup_printf ("/hostile/%s/json/text", backend_names[b]);
      g_autofree char *framing = g_strdup_printf ("/hostile/%s/http/framing", backend_names[b]);

      g_test_add_data_func (nesting, GUINT_TO_POINTER (b), test_json_nesting);
      g_test_add_data_func (text, GUINT_TO_POINTER (b), test_json_text);
      g_test_add_data_func (framing, GUINT_TO_POINTER (b), test_framing);
    }
  g_test_add_func ("/hostile/json/event-socket", test_json_event_socket);
  g_test_add_func ("/hostile/event-socket/keepalive", test_event_socket_keepalive);
  g_test_add_func ("/hostile/event-socket/close-codes", test_event_socket_close_codes);
  g_test_add_func ("/hostile/http/long-head", test_long_head);
  g_test_add_func ("/hostile/json/wyoming", test_json_wyoming);
  g_test_add_func ("/hostile/limits/body", test_limits_body);
  g_test_add_func ("/hostile/limits/slow", test_limits_slow);
  g_test_add_func ("/hostile/limits/close-wait", test_limits_close_wait);
  g_test_add_func ("/hostile/limits/sockets-per-token", test_limits_sockets_per_token);
  g_test_add_func ("/hostile/limits/emfile", test_limits_emfile);
  g_test_add_func ("/hostile/limits/ping-flood", test_limits_ping_flood);
  g_test_add_func ("/hostile/limits/format-changes", test_limits_format_changes);
  g_test_add_func ("/hostile/limits/upload", test_limits_upload);
  g_test_add_func ("/hostile/limits/audio-ping-flood", test_limits_audio_ping_flood);

  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    g_clear_pointer (&servers[b], mira_test_server_free);
  g_clear_pointer (&limited, mira_test_server_free);
  mira_test_pg_stop ();
  return ret;
}
