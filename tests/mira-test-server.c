/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include <libsoup/soup.h>
#include <string.h>

#include "mira-server.h"
#include "mira-store.h"
#include "mira-test-server.h"

struct _MiraTestServer
{
  /* set before the thread starts */
  char            *db_uri;
  gboolean         open_registration;
  MiraTranscriber *transcriber;

  GThread       *thread;
  GMainContext  *context;
  GMainLoop     *loop;

  /* the start-up handshake */
  GMutex         lock;
  GCond          cond;
  gboolean       started;
  GError        *error;
  char          *url;
  guint          port;

  /* the client side, used on the test thread only */
  SoupSession   *session;
};

/* The server's thread: the store and the server are created, run and freed
 * here, so that every handler and socket lives on this thread's context.
 */
static gpointer
server_thread (gpointer user_data)
{
  MiraTestServer *self = user_data;
  MiraServerOptions options = {
    .open_registration = self->open_registration,
    .admin_token = MIRA_TEST_ADMIN_TOKEN,
    .transcriber = self->transcriber,
  };
  g_autoptr(GError) error = NULL;
  MiraStore *store = NULL;
  MiraServer *server = NULL;

  g_main_context_push_thread_default (self->context);

  store = mira_store_new (self->db_uri, 4, &error);
  if (store != NULL)
    server = mira_server_new (store, &options, &error);
  if (server != NULL && !mira_server_listen (server, "127.0.0.1", 0, &error))
    g_clear_object (&server);

  g_mutex_lock (&self->lock);
  if (server != NULL)
    {
      self->url = g_strdup (mira_server_get_url (server));
      self->port = mira_server_get_port (server);
    }
  else
    self->error = g_steal_pointer (&error);
  self->started = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (server != NULL)
    {
      g_main_loop_run (self->loop);
      mira_server_shutdown (server);
    }

  /* The server before the store it uses */
  g_clear_object (&server);
  g_clear_pointer (&store, mira_store_free);
  while (g_main_context_iteration (self->context, FALSE))
    ;

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

MiraTestServer *
mira_test_server_new (const char *db_uri,
                      gboolean    open_registration)
{
  return mira_test_server_new_full (db_uri, open_registration, NULL);
}

MiraTestServer *
mira_test_server_new_full (const char      *db_uri,
                           gboolean         open_registration,
                           MiraTranscriber *transcriber)
{
  MiraTestServer *self = g_new0 (MiraTestServer, 1);

  g_assert_nonnull (db_uri);

  self->db_uri = g_strdup (db_uri);
  self->open_registration = open_registration;
  self->transcriber = transcriber ? g_object_ref (transcriber) : NULL;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);

  self->thread = g_thread_new ("mira-test-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  g_assert_no_error (self->error);
  g_assert_nonnull (self->url);

  /* A hung request fails the test instead of the whole run's timeout. */
  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "idle-timeout", 30,
                                                 "user-agent", "mira-test",
                                                 NULL);
  return self;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
mira_test_server_free (MiraTestServer *self)
{
  if (self == NULL)
    return;

  /* Close our connections first, so that the server has none to wait for. */
  g_clear_object (&self->session);

  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_clear_error (&self->error);
  g_clear_object (&self->transcriber);
  g_free (self->url);
  g_free (self->db_uri);
  g_free (self);
}

guint
mira_test_server_get_port (MiraTestServer *self)
{
  return self->port;
}

const char *
mira_test_server_get_url (MiraTestServer *self)
{
  return self->url;
}

MiraTestResponse *
mira_test_request_full (MiraTestServer *self,
                        const char     *method,
                        const char     *path,
                        const char     *token,
                        const char     *content_type,
                        GBytes         *body)
{
  g_autofree char *uri = g_strconcat (self->url, path, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  MiraTestResponse *response;
  const char *type;

  msg = soup_message_new (method, uri);
  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  else if (content_type != NULL)
    soup_message_headers_replace (headers, "Content-Type", content_type);

  bytes = soup_session_send_and_read (self->session, msg, NULL, &error);
  g_assert_no_error (error);

  response = g_new0 (MiraTestResponse, 1);
  response->status = soup_message_get_status (msg);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  response->content_type = g_strdup (type);
  response->body_len = g_bytes_get_size (bytes);
  response->body = g_strndup (g_bytes_get_data (bytes, NULL), response->body_len);
  if (type != NULL && g_str_equal (type, "application/json"))
    response->json = json_from_string (response->body, NULL);
  return response;
}

MiraTestResponse *
mira_test_request (MiraTestServer *self,
                   const char     *method,
                   const char     *path,
                   const char     *token,
                   const char     *json_body)
{
  g_autoptr(GBytes) body = NULL;

  if (json_body != NULL)
    body = g_bytes_new (json_body, strlen (json_body));
  return mira_test_request_full (self, method, path, token,
                                 json_body != NULL ? "application/json" : NULL, body);
}

void
mira_test_response_free (MiraTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response->content_type);
  g_free (response->body);
  g_free (response);
}

JsonObject *
mira_test_response_object (MiraTestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    {
      g_autofree char *message = g_strdup_printf ("expected a JSON object, got (%s): %s",
                                                  response->content_type
                                                    ? response->content_type : "no type",
                                                  response->body);

      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
    }
  return json_node_get_object (response->json);
}
