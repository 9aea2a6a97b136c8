/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

#include "config.h"

#include "mira-server.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "mira-api.h"
#include "mira-audio-hub.h"
#include "mira-conversations.h"
#include "mira-audio-sockets.h"
#include "mira-error.h"
#include "mira-event-bus.h"
#include "mira-event-socket.h"
#include "mira-grants.h"
#include "mira-listener.h"
#include "mira-llm-jobs.h"
#include "mira-reminder-clock.h"
#include "mira-store.h"
#include "mira-store-write.h"
#include "mira-time.h"
#include "mira-token-cache.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"

struct _MiraServer
{
  GObject        parent_instance;

  SoupServer    *soup;
  MiraListener  *listener;
  GTlsCertificate *tls_certificate;
  MiraStore     *store;
  MiraEventBus  *bus;
  MiraApiConfig  config;
  GMainContext  *context;
  char          *url;
  guint          port;
  guint          in_flight;
  MiraEventSockets *events;   /* the event sockets */
  MiraAudioSockets *audio;
  MiraAudioHub  *hub;
  MiraGrants    *grants;       /* what let each socket in, checked again */
  GHashTable    *touched;      /* networks that spoke here: their conversations close at shutdown */
  guint          sweep_source;
  gboolean       sweeping;     /* a conversations sweep is under way */
  guint          subscription; /* the server's own look at every event */
  MiraReminderClock *reminders;
  MiraLlmJobs   *llm_jobs;     /* NULL without a language model */
};

G_DEFINE_FINAL_TYPE (MiraServer, mira_server, G_TYPE_OBJECT)

typedef struct
{
  MiraServer        *server;
  SoupServerMessage *msg;
  MiraApiCall       *call;
} Pending;

static void
mira_server_finalize (GObject *object)
{
  MiraServer *self = MIRA_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  /* After the server: libsoup's own listeners wait on the listener's context */
  g_clear_pointer (&self->listener, mira_listener_free);
  g_clear_object (&self->tls_certificate);
  g_clear_handle_id (&self->sweep_source, mira_source_remove);
  g_clear_pointer (&self->reminders, mira_reminder_clock_free);
  g_clear_pointer (&self->llm_jobs, mira_llm_jobs_free);
  g_clear_pointer (&self->audio, mira_audio_sockets_free);
  g_clear_pointer (&self->hub, mira_audio_hub_free);
  g_clear_pointer (&self->grants, mira_grants_free);
  g_clear_pointer (&self->touched, g_hash_table_unref);
  g_clear_pointer (&self->events, mira_event_sockets_free);
  if (self->subscription != 0)
    mira_event_bus_unsubscribe (self->bus, self->subscription);
  g_clear_pointer (&self->bus, mira_event_bus_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->config.admin_token_hash);
  mira_token_cache_free (self->config.tokens);
  g_free (self->config.transcriber);
  g_clear_object (&self->config.transcribers);
  g_free (self->url);

  G_OBJECT_CLASS (mira_server_parent_class)->finalize (object);
}

static void
mira_server_class_init (MiraServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mira_server_finalize;
}

static void
mira_server_init (MiraServer *self)
{
  self->bus = mira_event_bus_new ();
  self->touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *code,
               const char        *detail)
{
  char *body = mira_error_body (status, code, detail);

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

static const char *
bearer_token (SoupServerMessage *msg,
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

/* An event of the language model's work, on the server's thread */
static void
publish_llm_event (const char *network_id,
                   JsonObject *event,
                   gpointer    user_data)
{
  MiraServer *self = user_data;

  mira_event_bus_publish (self->bus, network_id, event);
}

static gboolean
llm_jobs_idle (MiraServer *self)
{
  return self->llm_jobs == NULL || mira_llm_jobs_is_idle (self->llm_jobs);
}

static void
publish_events (MiraServer  *self,
                MiraApiCall *call)
{
  /* Sockets that the write revoked close now, not at the next round. */
  if (call->status < 300 && mira_api_route_revokes_tokens (call->route))
    mira_grants_check (self->grants);
  mira_event_bus_publish_all (self->bus, call->events);
}

/* Every event of every network: the networks spoken in here have their
 * conversations closed at shutdown.
 */
static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  MiraServer *self = user_data;
  const char *type = json_object_get_string_member_with_default (event, "type", "");

  if (network_id == NULL)
    return;
  if (g_str_equal (type, "interaction_created"))
    g_hash_table_add (self->touched, g_strdup (network_id));
  else if (g_str_equal (type, "network_deleted"))
    g_hash_table_remove (self->touched, network_id);
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

  publish_events (self, call);

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

static const MiraApiRoute *
route_for (SoupServerMessage  *msg,
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

static gsize
message_body_limit (SoupServerMessage *msg,
                    gpointer           user_data)
{
  MiraServer *self = user_data;
  gboolean bad_path, mismatch;

  return body_limit (self, route_for (msg, NULL, NULL, &bad_path, &mismatch));
}

/* Refuses a body that announces itself too large before it is read. */
static void
early_handler (SoupServer        *server,
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
  route = route_for (msg, NULL, NULL, &bad_path, &mismatch);
  if ((gsize) length > body_limit (self, route))
    {
      g_autofree char *detail = g_strdup_printf ("The body is larger than %" G_GSIZE_FORMAT
                                                 " bytes", body_limit (self, route));

      respond_error (msg, 413, "PAYLOAD_TOO_LARGE", detail);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
    }
}

typedef struct
{
  MiraServer          *server;
  MiraAudioSocketKind  kind;
  GPtrArray           *args;
  char                *token;
  char                *codec;
  char                *device_name;
} Upgrade;

static void
upgrade_free (gpointer data,
              GClosure *closure)
{
  Upgrade *upgrade = data;

  g_object_unref (upgrade->server);
  g_ptr_array_unref (upgrade->args);
  g_free (upgrade->token);
  g_free (upgrade->codec);
  g_free (upgrade->device_name);
  g_free (upgrade);
}

/* The 101 is out: the socket is the audio threads' from now on. */
static void
audio_upgraded (SoupServerMessage *msg,
                gpointer           user_data)
{
  Upgrade *upgrade = user_data;
  MiraServer *self = g_object_ref (upgrade->server);
  g_autoptr(GIOStream) stream = NULL;

  /* Stealing drops libsoup's refs on the message, and @upgrade goes with
   * the message: hold it until done.
   */
  g_object_ref (msg);
  mira_listener_release (self->listener, msg);
  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL && self->audio != NULL)
    {
      if (upgrade->kind == MIRA_AUDIO_SOCKET_WYOMING)
        mira_audio_sockets_accept (self->audio, stream, upgrade->kind,
                                   g_ptr_array_index (upgrade->args, 0),
                                   g_ptr_array_index (upgrade->args, 1), upgrade->token,
                                   upgrade->codec);
      else
        mira_audio_sockets_accept (self->audio, stream, upgrade->kind, NULL, upgrade->device_name,
                                   upgrade->token, NULL);
    }
  else if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  g_object_unref (msg);
  g_object_unref (self);
}

/* Audio sockets are not libsoup's WebSocket connections: the handshake is
 * answered here, and the connection taken over once the answer is out.
 */
static void
upgrade_audio (MiraServer         *self,
               SoupServerMessage  *msg,
               const MiraApiRoute *route,
               GPtrArray          *args)
{
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) query = NULL;
  Upgrade *upgrade = g_new0 (Upgrade, 1);

  if (raw_query != NULL)
    query = mira_query_parse (raw_query, NULL);
  upgrade->server = g_object_ref (self);
  upgrade->args = args;
  upgrade->token = g_strdup (bearer_token (msg, query));
  if (g_str_equal (route->data, "wyoming"))
    {
      upgrade->kind = MIRA_AUDIO_SOCKET_WYOMING;
      upgrade->codec = g_strdup (query ? g_hash_table_lookup (query, "codec") : NULL);
    }
  else
    {
      upgrade->kind = g_str_equal (route->data, "omi") ? MIRA_AUDIO_SOCKET_OMI
                                                       : MIRA_AUDIO_SOCKET_PCM;
      upgrade->device_name = g_strdup (query ? g_hash_table_lookup (query, "device_name") : NULL);
    }
  /* No extension: the audio threads speak plain RFC 6455. */
  soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL);
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (audio_upgraded), upgrade,
                         upgrade_free, 0);
}

static void
handle_request (SoupServer        *server,
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

  route = route_for (msg, args, NULL, &bad_path, &mismatch);
  if (bad_path)
    {
      respond_error (msg, 400, "BAD_REQUEST", "The path is not valid UTF-8 or is badly escaped");
      return;
    }
  if (route == NULL)
    {
      if (mismatch)
        respond_error (msg, 405, "METHOD_NOT_ALLOWED", "This method is not allowed here");
      else
        respond_error (msg, 404, "NOT_FOUND", "No such endpoint");
      return;
    }

  if (route->handler == mira_api_websocket)
    {
      g_autoptr(GError) ws_error = NULL;

      if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &ws_error))
        respond_error (msg, 400, "WEBSOCKET_REQUIRED",
                       "This endpoint is a WebSocket: connect with an Upgrade request");
      else if (!g_str_equal (route->data, "events"))
        upgrade_audio (self, msg, route, g_steal_pointer (&args));
      /* Event sockets: leave the status unset, libsoup completes the upgrade
       * and calls on_websocket().
       */
      return;
    }

  raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  if (raw_query != NULL)
    {
      query = mira_query_parse (raw_query, &error);
      if (query == NULL)
        {
          respond_error (msg, 400, "BAD_REQUEST", "The query string is badly escaped");
          return;
        }
      {
        GHashTableIter iter;
        gpointer key, value;

        g_hash_table_iter_init (&iter, query);
        while (g_hash_table_iter_next (&iter, &key, &value))
          if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
            {
              respond_error (msg, 400, "BAD_REQUEST", "The query string is not valid UTF-8");
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
      respond_error (msg, 413, "PAYLOAD_TOO_LARGE", detail);
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
  token = bearer_token (msg, call->query);
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

static GSocket *
socket_of (SoupWebsocketConnection *conn)
{
  GIOStream *stream = soup_websocket_connection_get_io_stream (conn);

  /* libsoup's own SoupIOStream calls its base "base-iostream", GTlsConnection
   * "base-io-stream".
   */
  while (stream != NULL && !G_IS_SOCKET_CONNECTION (stream))
    {
      GObjectClass *klass = G_OBJECT_GET_CLASS (stream);
      const char *property = g_object_class_find_property (klass, "base-iostream")
                               ? "base-iostream" : "base-io-stream";
      GIOStream *base = NULL;

      if (!g_object_class_find_property (klass, property))
        return NULL;
      g_object_get (stream, property, &base, NULL);
      if (base != NULL)
        g_object_unref (base);   /* still owned by @stream */
      stream = base;
    }
  return stream ? g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)) : NULL;
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  MiraServer *self = user_data;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) query = NULL;
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  gboolean bad_path, mismatch;
  const MiraApiRoute *route;

  route = route_for (msg, args, NULL, &bad_path, &mismatch);
  g_return_if_fail (route != NULL && route->handler == mira_api_websocket);
  if (raw_query != NULL)
    query = mira_query_parse (raw_query, NULL);

  g_return_if_fail (g_str_equal (route->data, "events"));
  mira_listener_release (self->listener, msg);
  mira_event_sockets_accept (self->events, conn, socket_of (conn), g_ptr_array_index (args, 0),
                             bearer_token (msg, query));
}


/* Event sockets are authenticated as the API authenticates GET
 * {network_id}/ws: any token of the network, or the admin token.
 */
static gboolean
event_socket_auth (MiraApiCall  *call,
                   MiraDb       *db,
                   GError      **error)
{
  return TRUE;
}

typedef struct
{
  MiraServer        *server;
  MiraApiCall       *call;
  MiraEventAuthDone  done;
  gpointer           done_data;
} EventAuth;

static void
event_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EventAuth *auth = user_data;
  MiraServer *self = auth->server;
  MiraApiCall *call = auth->call;
  g_autoptr(GError) error = NULL;
  MiraEventAuth answer = { 0 };
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object = NULL;

  if (mira_store_run_finish (self->store, result, &error) == NULL)
    {
      answer.unavailable = TRUE;
      answer.detail = error->message;
    }
  else if (call->status >= 300)
    {
      body = json_from_string (call->response_text, NULL);
      object = body && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL;
      answer.error_code = object ? json_object_get_string_member_with_default (object,
                                                                                "error_code",
                                                                                NULL) : NULL;
      answer.detail = object ? json_object_get_string_member_with_default (object, "detail",
                                                                            NULL) : NULL;
    }
  else
    {
      answer.allowed = TRUE;
      answer.client_id = call->session_client;
      answer.grant_token = call->auth == MIRA_AUTH_ADMIN ? NULL : call->token;
    }
  auth->done (&answer, auth->done_data);

  self->in_flight--;
  mira_api_call_free (call);
  g_object_unref (self);
  g_free (auth);
}

static void
authenticate_events (gpointer           user_data,
                     const char        *network_id,
                     const char        *token,
                     MiraEventAuthDone  done,
                     gpointer           done_data)
{
  static const MiraApiRoute route = {
    "GET", "{network_id}/ws", MIRA_ACCESS_NETWORK, event_socket_auth, NULL, FALSE, TRUE,
  };
  MiraServer *self = user_data;
  MiraApiCall *call = mira_api_call_new ();
  EventAuth *auth = g_new0 (EventAuth, 1);

  call->route = &route;
  call->config = &self->config;
  call->method = g_strdup ("GET");
  g_ptr_array_add (call->args, g_strdup (network_id));
  call->token = g_strdup (token);

  auth->server = g_object_ref (self);
  auth->call = call;
  auth->done = done;
  auth->done_data = done_data;
  self->in_flight++;
  mira_store_run_async (self->store, mira_api_call_run, call, NULL, NULL, NULL, event_auth_done,
                        auth);
}

/* Audio sockets are authenticated as the API authenticates their
 * WebSocket's route: the token, the network, the client (registered on the
 * way for the aliases).
 */
typedef struct
{
  MiraServer        *server;
  MiraApiCall       *call;
  MiraAudioAuthDone  done;
  gpointer           done_data;
} AudioAuth;

static void
audio_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AudioAuth *auth = user_data;
  MiraServer *self = auth->server;
  MiraApiCall *call = auth->call;
  g_autoptr(GError) error = NULL;
  MiraAudioAuth answer = { 0 };
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object = NULL;

  mira_store_run_finish (self->store, result, &error);
  if (error != NULL)
    mira_api_call_set_error (call, error);
  publish_events (self, call);

  if (call->response_text != NULL)
    body = json_from_string (call->response_text, NULL);
  if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    object = json_node_get_object (body);
  answer.allowed = call->status < 300 && object != NULL;
  if (!answer.allowed)
    {
      answer.close_code = call->status == 503 ? 1011 : 1008;
      answer.error_code = object ? json_object_get_string_member_with_default (object,
                                                                                "error_code",
                                                                                NULL) : NULL;
      answer.detail = object ? json_object_get_string_member_with_default (object, "detail",
                                                                            NULL) : NULL;
    }
  else
    {
      answer.network_id = call->network_id;
      answer.client_id = json_object_get_string_member (object, "client_id");
      answer.rssi = json_object_get_null_member (object, "rssi")
                      ? NAN : json_object_get_double_member (object, "rssi");
      answer.grant_token = call->auth == MIRA_AUTH_ADMIN ? NULL : call->token;
    }
  auth->done (&answer, auth->done_data);

  self->in_flight--;
  mira_api_call_free (call);
  g_object_unref (self);
  g_free (auth);
}

static void
authenticate_audio (gpointer             user_data,
                    MiraAudioSocketKind  kind,
                    const char          *network_id,
                    const char          *client_id,
                    const char          *token,
                    MiraAudioAuthDone    done,
                    gpointer             done_data)
{
  static const MiraApiRoute routes[] = {
    [MIRA_AUDIO_SOCKET_WYOMING] = { "GET", "{network_id}/streams/{}/ws", MIRA_ACCESS_NETWORK,
                                    mira_api_audio_socket_open, "wyoming", FALSE, FALSE },
    [MIRA_AUDIO_SOCKET_PCM] = { "GET", "/ws_pcm", MIRA_ACCESS_TOKEN_NETWORK,
                                mira_api_audio_socket_open, "pcm", FALSE, FALSE },
    [MIRA_AUDIO_SOCKET_OMI] = { "GET", "/ws_omi", MIRA_ACCESS_TOKEN_NETWORK,
                                mira_api_audio_socket_open, "omi", FALSE, FALSE },
  };
  MiraServer *self = user_data;
  MiraApiCall *call = mira_api_call_new ();
  AudioAuth *auth = g_new0 (AudioAuth, 1);

  call->route = &routes[kind];
  if (network_id != NULL)
    g_ptr_array_add (call->args, g_strdup (network_id));
  if (client_id != NULL)
    g_ptr_array_add (call->args, g_strdup (client_id));
  call->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (kind != MIRA_AUDIO_SOCKET_WYOMING && client_id != NULL)
    g_hash_table_insert (call->query, g_strdup ("device_name"), g_strdup (client_id));
  call->token = g_strdup (token);
  call->config = &self->config;
  call->method = g_strdup (call->route->method);
  call->base_url = g_strdup (self->url);

  auth->server = g_object_ref (self);
  auth->call = call;
  auth->done = done;
  auth->done_data = done_data;
  self->in_flight++;
  mira_store_run_async (self->store, mira_api_call_run, call, NULL, NULL, NULL, audio_auth_done,
                        auth);
}





static gpointer
sweep_run (MiraDb     *db,
           gpointer    data,
           GPtrArray  *events_out,
           GError    **error)
{
  return mira_conversations_sweep (db, events_out, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
sweep_done (gpointer      result,
            const GError *error,
            gpointer      user_data)
{
  MiraServer *self = user_data;

  if (error != NULL)
    g_debug ("conversations sweep: %s", error->message);
  self->sweeping = FALSE;
  self->in_flight--;
  g_object_unref (self);
}

/* Conversations that time out, and reminders that come due whatever else
 * happens (written by another process, say): the reminder clock's own timer
 * is what makes them come due on time.
 */
static gboolean
sweep (gpointer user_data)
{
  MiraServer *self = user_data;

  if (!self->sweeping)
    {
      self->sweeping = TRUE;
      self->in_flight++;
      mira_store_write (self->store, self->bus, sweep_run, NULL, NULL, NULL, sweep_done,
                        g_object_ref (self));
    }
  mira_reminder_clock_sweep (self->reminders);
  return G_SOURCE_CONTINUE;
}

static gpointer
shutdown_close_run (MiraDb     *db,
                    gpointer    data,
                    GPtrArray  *events_out,
                    GError    **error)
{
  const char *network_id = data;

  if (!mira_conversations_close_open (db, network_id, "server shutdown", events_out, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
shutdown_close_done (gpointer      result,
                     const GError *error,
                     gpointer      user_data)
{
  MiraServer *self = user_data;

  if (error != NULL)
    g_warning ("could not close the conversations at shutdown: %s", error->message);
  self->in_flight--;
}

MiraServer *
mira_server_new (MiraStore                *store,
                 const MiraServerOptions  *options,
                 GError                  **error)
{
  g_autoptr(MiraServer) self = g_object_new (MIRA_TYPE_SERVER, NULL);

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self->store = store;
  self->context = g_main_context_ref_thread_default ();
  self->config.open_registration = options->open_registration;
  self->config.admin_token_hash = options->admin_token ? mira_sha256_hex (options->admin_token)
                                                       : NULL;
  self->config.max_body = options->max_body ? options->max_body : 1024 * 1024;
  self->config.max_audio_body = options->max_audio_body ? options->max_audio_body
                                                        : 16 * 1024 * 1024;
  self->subscription = mira_event_bus_subscribe (self->bus, NULL, on_event, self);
  self->grants = mira_grants_new (store);
  self->events = mira_event_sockets_new (self->bus, self->grants, authenticate_events, self);
  self->audio = mira_audio_sockets_new (store, self->bus, self->grants, authenticate_audio, self,
                                        options->audio_threads, error);
  if (self->audio == NULL)
    return NULL;
  self->config.audio = self->audio;
  {
    guint n_contexts;
    GMainContext **contexts = mira_audio_sockets_get_contexts (self->audio, &n_contexts);

    /* Without a transcriber live audio is still decoded, scored and arbitrated. */
    self->hub = mira_audio_hub_new (store, self->bus, options->transcriber, options->llm == NULL,
                                    contexts, n_contexts);
    self->config.hub = self->hub;
    mira_audio_sockets_set_hub (self->audio, self->hub);
  }
  self->config.llm = options->llm != NULL;
  self->config.transcriber = g_strdup (options->transcriber
                                         ? mira_transcriber_get_name (options->transcriber)
                                         : "none");
  if (MIRA_IS_TRANSCRIBER_CHAIN (options->transcriber))
    self->config.transcribers = g_object_ref (MIRA_TRANSCRIBER_CHAIN (options->transcriber));
  self->config.started_at = g_get_monotonic_time ();
  /* The list of time zones, read now rather than by a request. */
  mira_time_zones_load ();
  /* Another process's revocations show within this, as they do on sockets. */
  self->config.tokens = mira_token_cache_new (MIRA_GRANTS_INTERVAL_S * G_USEC_PER_SEC);

  self->soup = soup_server_new ("server-header", "mira/" PACKAGE_VERSION " ", NULL);
  if (options->tls_cert_file != NULL || options->tls_key_file != NULL)
    {
      g_autoptr(GTlsCertificate) cert = NULL;

      if (options->tls_cert_file == NULL || options->tls_key_file == NULL)
        {
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "TLS needs both a certificate and a key");
          return NULL;
        }
      cert = g_tls_certificate_new_from_files (options->tls_cert_file, options->tls_key_file,
                                               error);
      if (cert == NULL)
        return NULL;
      soup_server_set_tls_certificate (self->soup, cert);
      self->tls_certificate = g_steal_pointer (&cert);
    }
  {
    MiraListenerLimits limits = {
      .headers_timeout_ms = options->headers_timeout_ms,
      .body_timeout_ms = options->body_timeout_ms,
      .max_connections = options->max_connections,
    };

    mira_listener_raise_fd_limit ();
    self->listener = mira_listener_new (self->soup, &limits, message_body_limit, self);
  }

  self->reminders = mira_reminder_clock_new (store, self->bus);
  if (options->llm != NULL)
    self->llm_jobs = mira_llm_jobs_new (store, self->bus, options->llm, publish_llm_event, self);
  /* The first sweep sets the reminder clock for what is already pending. */
  mira_reminder_clock_sweep (self->reminders);
  self->sweep_source = mira_timeout_add_seconds (5, sweep, self);

  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL, on_websocket, self, NULL);
  return g_steal_pointer (&self);
}

gboolean
mira_server_listen (MiraServer  *self,
                    const char  *host,
                    guint        port,
                    GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *uris;

  g_return_val_if_fail (MIRA_IS_SERVER (self), FALSE);

  if (host == NULL)
    host = "127.0.0.1";
  if (g_str_equal (host, "localhost"))
    host = "127.0.0.1";
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "'%s' is not an IP address to listen on (use 0.0.0.0 or :: for all)", host);
      return FALSE;
    }
  if (port > 65535)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Port %u is out of range", port);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, port);
  if (!mira_listener_listen (self->listener, socket_address, self->tls_certificate, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      GUri *uri = uris->data;
      const char *uri_host = g_uri_get_host (uri);
      gboolean v6 = strchr (uri_host, ':') != NULL;

      self->port = g_uri_get_port (uri);
      g_free (self->url);
      self->url = g_strdup_printf ("%s://%s%s%s:%u", g_uri_get_scheme (uri), v6 ? "[" : "",
                                   uri_host, v6 ? "]" : "", self->port);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

const char *
mira_server_get_url (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->url;
}

guint
mira_server_get_port (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), 0);
  return self->port;
}

MiraStore *
mira_server_get_store (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->store;
}

MiraEventBus *
mira_server_get_event_bus (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->bus;
}

void
mira_server_shutdown (MiraServer *self)
{
  g_return_if_fail (MIRA_IS_SERVER (self));

  /* Stop accepting, let requests under way reach the database and answer,
   * then close every connection.
   */
  mira_listener_stop (self->listener);
  {
    GSList *listeners = soup_server_get_listeners (self->soup);

    for (GSList *l = listeners; l != NULL; l = l->next)
      g_socket_close (l->data, NULL);
    g_slist_free (listeners);
  }
  g_clear_handle_id (&self->sweep_source, mira_source_remove);
  mira_reminder_clock_stop (self->reminders);
  /* The model's requests end; what comes now is read by the built-in extractor */
  if (self->llm_jobs != NULL)
    mira_llm_jobs_stop (self->llm_jobs);
  {
    GHashTableIter iter;
    gpointer network_id;

    g_hash_table_iter_init (&iter, self->touched);
    while (g_hash_table_iter_next (&iter, &network_id, NULL))
      {
        self->in_flight++;
        mira_store_write (self->store, self->bus, shutdown_close_run, g_strdup (network_id),
                          g_free, NULL, shutdown_close_done, self);
      }
  }
  while (self->in_flight > 0 || !mira_grants_is_idle (self->grants) ||
         !mira_reminder_clock_is_idle (self->reminders) || !llm_jobs_idle (self))
    g_main_context_iteration (self->context, TRUE);
  {
    mira_event_sockets_close_all (self->events, "server shutting down");
    mira_audio_sockets_close_all (self->audio, "server shutting down");
    /* Give the close frames a moment to leave. */
    for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
         (mira_event_sockets_get_n_open (self->events) > 0 || mira_audio_sockets_get_n_open (self->audio) > 0)
         && g_get_monotonic_time () < end;)
      g_main_context_iteration (self->context, FALSE);
    /* What was said before the end becomes an interaction, if it can in time. */
    for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
         (!mira_audio_hub_is_idle (self->hub) || self->in_flight > 0 ||
          mira_audio_sockets_get_n_writing (self->audio) > 0 || !llm_jobs_idle (self))
         && g_get_monotonic_time () < end;)
      g_main_context_iteration (self->context, FALSE);
  }
  soup_server_disconnect (self->soup);
}
