/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include <libsoup/soup.h>
#include <string.h>

#include "mira-server-thread.h"
#include "mira-test-server.h"

struct _MiraTestServer
{
  char             *db_uri;
  MiraServerOptions options;
  MiraServerThread *thread;

  /* the client side, used on the test thread only */
  SoupSession      *session;
};

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
  return mira_test_server_new_limited (db_uri, open_registration, transcriber, NULL);
}

MiraTestServer *
mira_test_server_new_limited (const char              *db_uri,
                              gboolean                 open_registration,
                              MiraTranscriber         *transcriber,
                              const MiraServerOptions *limits)
{
  MiraTestServer *self = g_new0 (MiraTestServer, 1);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (db_uri);

  if (limits != NULL)
    {
      self->options.headers_timeout_ms = limits->headers_timeout_ms;
      self->options.body_timeout_ms = limits->body_timeout_ms;
      self->options.max_connections = limits->max_connections;
      self->options.audio_threads = limits->audio_threads;
      self->options.llm = limits->llm ? g_object_ref (limits->llm) : NULL;
    }
  self->db_uri = g_strdup (db_uri);
  self->options.open_registration = open_registration;
  self->options.admin_token = MIRA_TEST_ADMIN_TOKEN;
  self->options.transcriber = transcriber ? g_object_ref (transcriber) : NULL;
  self->thread = mira_server_thread_new (db_uri, &self->options, "127.0.0.1", 0, 4);
  mira_server_thread_start (self->thread, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mira_server_thread_get_url (self->thread));

  /* A hung request fails the test instead of the whole run's timeout. */
  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "idle-timeout", 30,
                                                 "user-agent", "mira-test",
                                                 NULL);
  return self;
}

void
mira_test_server_free (MiraTestServer *self)
{
  if (self == NULL)
    return;

  /* Close our connections first, so that the server has none to wait for. */
  g_clear_object (&self->session);
  mira_server_thread_stop (self->thread);
  g_clear_object (&self->thread);
  g_clear_object (&self->options.transcriber);
  g_clear_object (&self->options.llm);
  g_free (self->db_uri);
  g_free (self);
}

void
mira_test_server_restart (MiraTestServer *self)
{
  g_autoptr(GError) error = NULL;
  guint port = mira_server_thread_get_port (self->thread);

  g_clear_object (&self->session);
  mira_server_thread_stop (self->thread);
  g_clear_object (&self->thread);

  /* The same port: its clients find it where it was */
  self->thread = mira_server_thread_new (self->db_uri, &self->options, "127.0.0.1", port, 4);
  mira_server_thread_start (self->thread, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mira_server_thread_get_port (self->thread), ==, port);

  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "idle-timeout", 30,
                                                 "user-agent", "mira-test",
                                                 NULL);
}

guint
mira_test_server_get_port (MiraTestServer *self)
{
  return mira_server_thread_get_port (self->thread);
}

const char *
mira_test_server_get_url (MiraTestServer *self)
{
  return mira_server_thread_get_url (self->thread);
}

MiraTestResponse *
mira_test_request_full (MiraTestServer *self,
                        const char     *method,
                        const char     *path,
                        const char     *token,
                        const char     *content_type,
                        GBytes         *body)
{
  g_autofree char *uri = g_strconcat (mira_test_server_get_url (self), path, NULL);
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

const char *
mira_test_json_string (JsonObject *object,
                       const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

JsonObject *
mira_test_json_object (JsonObject *object,
                       const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}
