/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

/* The server's side of its sockets: the audio sockets' handshake answered
 * here and their connection handed to the audio threads, the event sockets
 * that libsoup upgraded handed to MiraEventSockets, and both authenticated
 * as the API authenticates their routes.
 */

#include "mira-server-private.h"

#include <math.h>

#include "mira-store.h"
#include "mira-util.h"

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
void
mira_server_sockets_upgrade_audio (MiraServer         *self,
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
  upgrade->token = g_strdup (mira_server_http_bearer_token (msg, query));
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

void
mira_server_sockets_on_websocket (SoupServer              *server,
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

  route = mira_server_http_route_for (msg, args, NULL, &bad_path, &mismatch);
  g_return_if_fail (route != NULL && route->handler == mira_api_websocket);
  if (raw_query != NULL)
    query = mira_query_parse (raw_query, NULL);

  g_return_if_fail (g_str_equal (route->data, "events"));
  mira_listener_release (self->listener, msg);
  mira_event_sockets_accept (self->events, conn, socket_of (conn), g_ptr_array_index (args, 0),
                             mira_server_http_bearer_token (msg, query));
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

/* A socket's authentication on its way through a store worker: the call
 * that checks it and whom to tell (a MiraEventAuthDone or a
 * MiraAudioAuthDone, by the socket's kind)
 */
typedef struct
{
  MiraServer  *server;
  MiraApiCall *call;
  GCallback    done;
  gpointer     done_data;
} SocketAuth;

static void
socket_auth_start (MiraServer          *self,
                   MiraApiCall         *call,
                   GCallback            done,
                   gpointer             done_data,
                   GAsyncReadyCallback  callback)
{
  SocketAuth *auth = g_new0 (SocketAuth, 1);

  auth->server = g_object_ref (self);
  auth->call = call;
  auth->done = done;
  auth->done_data = done_data;
  self->in_flight++;
  mira_store_run_async (self->store, mira_api_call_run, call, NULL, NULL, NULL, callback, auth);
}

static void
socket_auth_free (SocketAuth *auth)
{
  auth->server->in_flight--;
  mira_api_call_free (auth->call);
  g_object_unref (auth->server);
  g_free (auth);
}

static void
event_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SocketAuth *auth = user_data;
  MiraServer *self = auth->server;
  MiraApiCall *call = auth->call;
  g_autoptr(GError) error = NULL;
  MiraEventAuth answer = { 0 };

  if (mira_store_run_finish (self->store, result, &error) == NULL)
    {
      answer.unavailable = TRUE;
      answer.detail = error->message;
    }
  else if (call->error != NULL)
    {
      answer.error_code = call->error_code;
      answer.detail = call->error->message;
    }
  else
    {
      answer.allowed = TRUE;
      answer.client_id = call->session_client;
      answer.grant_token = call->auth == MIRA_AUTH_ADMIN ? NULL : call->token;
    }
  ((MiraEventAuthDone) auth->done) (&answer, auth->done_data);
  socket_auth_free (auth);
}

void
mira_server_sockets_authenticate_events (gpointer           user_data,
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

  call->route = &route;
  call->config = &self->config;
  call->method = g_strdup ("GET");
  g_ptr_array_add (call->args, g_strdup (network_id));
  call->token = g_strdup (token);

  socket_auth_start (self, call, G_CALLBACK (done), done_data, event_auth_done);
}

/* Audio sockets are authenticated as the API authenticates their
 * WebSocket's route: the token, the network, the client (registered on the
 * way for the aliases).
 */

static void
audio_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SocketAuth *auth = user_data;
  MiraServer *self = auth->server;
  MiraApiCall *call = auth->call;
  g_autoptr(GError) error = NULL;
  MiraAudioAuth answer = { 0 };
  JsonObject *object = NULL;

  mira_store_run_finish (self->store, result, &error);
  if (error != NULL)
    mira_api_call_set_error (call, error);
  mira_server_publish_events (self, call);

  if (call->response != NULL && JSON_NODE_HOLDS_OBJECT (call->response))
    object = json_node_get_object (call->response);
  answer.allowed = call->error == NULL && object != NULL;
  if (call->error != NULL)
    {
      answer.close_code = call->status == 503 ? 1011 : 1008;
      answer.error_code = call->error_code;
      answer.detail = call->error->message;
    }
  else if (!answer.allowed)
    answer.close_code = 1008;
  else
    {
      answer.network_id = call->network_id;
      answer.client_id = json_object_get_string_member (object, "client_id");
      answer.rssi = json_object_get_null_member (object, "rssi")
                      ? NAN : json_object_get_double_member (object, "rssi");
      answer.grant_token = call->auth == MIRA_AUTH_ADMIN ? NULL : call->token;
    }
  ((MiraAudioAuthDone) auth->done) (&answer, auth->done_data);
  socket_auth_free (auth);
}

void
mira_server_sockets_authenticate_audio (gpointer             user_data,
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
  call->keep_response = TRUE;

  socket_auth_start (self, call, G_CALLBACK (done), done_data, audio_auth_done);
}
