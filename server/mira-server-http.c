/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

/* A request over HTTP: a body announced too large is refused before it is
 * read; the path and query are checked, the route found, and the call runs
 * on a store worker while the message is paused; its answer and its events
 * go out when it is done. WebSocket routes go to mira-server-sockets.c.
 */

#include "config.h"

#include "mira-server-private.h"

#include <string.h>

#include "mira-api-error.h"
#include "mira-error.h"
#include "mira-store.h"
#include "mira-util.h"

typedef struct
{
  MiraServer        *server;
  SoupServerMessage *msg;
  MiraApiCall       *call;
} Pending;

/* Answers @code of MIRA_API_ERROR, with the status and error_code
 * mira_api_error_answer() gives it, before any call is made.
 */
static void
respond_error (SoupServerMessage *msg,
               MiraApiError       code,
               const char        *detail)
{
  g_autoptr(GError) error = g_error_new_literal (MIRA_API_ERROR, code, detail);
  const char *error_code;
  guint status = mira_api_error_answer (error, &error_code);
  char *body = mira_error_body (status, error_code, detail);

  /* set_response() appends: drop the listener's answer to a request that
   * cannot be parsed
   */
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

/* Splits and decodes the path; NULL when it is not a clean UTF-8 path. */
static char **
split_path (const char *path)
{
  g_auto(GStrv) raw = g_strsplit (path, "/", -1);
  guint n = g_strv_length (raw);
  g_auto(GStrv) out = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      out[i] = g_uri_unescape_string (raw[i], "/");
      if (out[i] == NULL || !g_utf8_validate (out[i], -1, NULL))
        return NULL;
    }
  /* A trailing slash is the same resource. */
  if (n > 2 && out[n - 1][0] == '\0')
    g_clear_pointer (&out[n - 1], g_free);
  return g_steal_pointer (&out);
}

const char *
mira_server_http_bearer_token (SoupServerMessage *msg,
                               GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      auth += 7;
      while (*auth == ' ')
        auth++;
      return auth;
    }
  return query ? g_hash_table_lookup (query, "token") : NULL;
}

static char *
request_base_url (MiraServer        *self,
                  SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  GUri *uri = soup_server_message_get_uri (msg);

  if (host == NULL || strpbrk (host, "/ \\@?#") != NULL)
    return g_strdup (self->url);
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), host);
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Pending *pending = user_data;
  MiraServer *self = pending->server;
  MiraApiCall *call = pending->call;
  SoupServerMessage *msg = pending->msg;
  g_autoptr(GError) error = NULL;

  mira_store_run_finish (self->store, result, &error);
  if (error != NULL)
    {
      /* The worker could not reach the database at all. */
      if (call->route->handler == mira_api_health)
        {
          g_autofree char *uptime = NULL;

          call->status = 503;
          uptime = g_strdup_printf ("%" G_GINT64_FORMAT,
                                    (g_get_monotonic_time () - self->config.started_at) /
                                      G_USEC_PER_SEC);
          call->response_text = g_strdup_printf ("{\"status\":\"error\",\"version\":\"%s\","
                                                 "\"database\":\"error\",\"uptime_s\":%s}",
                                                 PACKAGE_VERSION, uptime);
          call->response_type = g_strdup ("application/json; charset=utf-8");
        }
      else
        mira_api_call_set_error (call, error);
    }

  soup_server_message_set_status (msg, call->status, NULL);
  if (call->response_text != NULL && call->status != 204)
    {
      gsize len = strlen (call->response_text);

      soup_server_message_set_response (msg, call->response_type, SOUP_MEMORY_TAKE,
                                        g_steal_pointer (&call->response_text), len);
    }
  soup_server_message_unpause (msg);

  mira_server_publish_events (self, call);

  self->in_flight--;
  g_object_unref (msg);
  mira_api_call_free (call);
  g_object_unref (self);
  g_free (pending);
}

static gsize
body_limit (MiraServer         *self,
            const MiraApiRoute *route)
{
  return route != NULL && route->audio ? self->config.max_audio_body : self->config.max_body;
}

const MiraApiRoute *
mira_server_http_route_for (SoupServerMessage  *msg,
                            GPtrArray          *args,
                            char             ***segments_out,
                            gboolean           *bad_path,
                            gboolean           *method_mismatch)
{
  GUri *uri = soup_server_message_get_uri (msg);
  g_auto(GStrv) segments = split_path (g_uri_get_path (uri));
  const MiraApiRoute *route;

  *bad_path = segments == NULL;
  *method_mismatch = FALSE;
  if (segments == NULL)
    return NULL;
  route = mira_api_match (soup_server_message_get_method (msg), (const char * const *) segments,
                          args, method_mismatch);
  if (segments_out != NULL)
    *segments_out = g_steal_pointer (&segments);
  return route;
}

gsize
mira_server_http_message_body_limit (SoupServerMessage *msg,
                                     gpointer           user_data)
{
  MiraServer *self = user_data;
  gboolean bad_path, mismatch;

  return body_limit (self, mira_server_http_route_for (msg, NULL, NULL, &bad_path, &mismatch));
}

/* Refuses a body that announces itself too large before it is read. */
void
mira_server_http_early_handler (SoupServer        *server,
                                SoupServerMessage *msg,
                                const char        *path,
                                GHashTable        *query,
                                gpointer           user_data)
{
  MiraServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);
  gboolean bad_path, mismatch;
  const MiraApiRoute *route;

  if (length <= 0)
    return;
  route = mira_server_http_route_for (msg, NULL, NULL, &bad_path, &mismatch);
  if ((gsize) length > body_limit (self, route))
    {
      g_autofree char *detail = g_strdup_printf ("The body is larger than %" G_GSIZE_FORMAT
                                                 " bytes", body_limit (self, route));

      respond_error (msg, MIRA_API_ERROR_PAYLOAD_TOO_LARGE, detail);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
    }
}

void
mira_server_http_handle_request (SoupServer        *server,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 GHashTable        *unused_query,
                                 gpointer           user_data)
{
  MiraServer *self = user_data;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageBody *request_body;
  const MiraApiRoute *route;
  gboolean bad_path, mismatch;
  MiraApiCall *call;
  Pending *pending;
  const char *raw_query;
  const char *token;

  route = mira_server_http_route_for (msg, args, NULL, &bad_path, &mismatch);
  if (bad_path)
    {
      respond_error (msg, MIRA_API_ERROR_BAD_REQUEST,
                     "The path is not valid UTF-8 or is badly escaped");
      return;
    }
  if (route == NULL)
    {
      if (mismatch)
        respond_error (msg, MIRA_API_ERROR_METHOD_NOT_ALLOWED, "This method is not allowed here");
      else
        respond_error (msg, MIRA_API_ERROR_NOT_FOUND, "No such endpoint");
      return;
    }

  if (route->handler == mira_api_websocket)
    {
      g_autoptr(GError) ws_error = NULL;

      if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &ws_error))
        respond_error (msg, MIRA_API_ERROR_WEBSOCKET_REQUIRED,
                       "This endpoint is a WebSocket: connect with an Upgrade request");
      else if (!g_str_equal (route->data, "events"))
        mira_server_sockets_upgrade_audio (self, msg, route, g_steal_pointer (&args));
      /* Event sockets: leave the status unset, libsoup completes the upgrade
       * and calls mira_server_sockets_on_websocket().
       */
      return;
    }

  raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  if (raw_query != NULL)
    {
      query = mira_query_parse (raw_query, &error);
      if (query == NULL)
        {
          respond_error (msg, MIRA_API_ERROR_BAD_REQUEST, "The query string is badly escaped");
          return;
        }
      {
        GHashTableIter iter;
        gpointer key, value;

        g_hash_table_iter_init (&iter, query);
        while (g_hash_table_iter_next (&iter, &key, &value))
          if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
            {
              respond_error (msg, MIRA_API_ERROR_BAD_REQUEST,
                             "The query string is not valid UTF-8");
              return;
            }
      }
    }

  request_body = soup_server_message_get_request_body (msg);
  body = soup_message_body_flatten (request_body);
  if (g_bytes_get_size (body) > body_limit (self, route))
    {
      g_autofree char *detail = g_strdup_printf ("The body is larger than %" G_GSIZE_FORMAT
                                                 " bytes", body_limit (self, route));
      respond_error (msg, MIRA_API_ERROR_PAYLOAD_TOO_LARGE, detail);
      return;
    }

  call = mira_api_call_new ();
  call->route = route;
  call->config = &self->config;
  call->method = g_strdup (soup_server_message_get_method (msg));
  g_ptr_array_extend_and_steal (call->args, g_steal_pointer (&args));
  call->query = g_steal_pointer (&query);
  call->body = g_steal_pointer (&body);
  call->content_type = g_strdup (soup_message_headers_get_one (
                                   soup_server_message_get_request_headers (msg), "Content-Type"));
  token = mira_server_http_bearer_token (msg, call->query);
  call->token = g_strdup (token);
  call->base_url = request_base_url (self, msg);

  pending = g_new0 (Pending, 1);
  pending->server = g_object_ref (self);
  pending->msg = g_object_ref (msg);
  pending->call = call;
  self->in_flight++;

  /* A provisional status: with it set, libsoup does not take this request for a
   * WebSocket handshake when the handler returns. call_done() sets the real one.
   */
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);
  soup_server_message_pause (msg);
  mira_store_run_async (self->store, mira_api_call_run, call, NULL, NULL, NULL, call_done,
                        pending);
}
