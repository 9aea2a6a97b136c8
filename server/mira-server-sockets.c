/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

/* The server's side of its sockets: the audio sockets' handshake answered
 * here and their connection handed to the audio threads, the event sockets
 * that libsoup upgraded handed to MiraEventSockets, and both authenticated
 * as the API authenticates their routes.
 */

#include "mira-server-private.h"

#include <math.h>

#include "mira-clients.h"
#include "mira-db.h"
#include "mira-networks.h"
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


/* A socket's authentication on its way through a store worker: what the
 * socket asks, what the store found, and whom to tell (a MiraEventAuthDone
 * or a MiraAudioAuthDone, by the socket's kind). Both kinds are let in as
 * the API lets in a request of their path: the same token check
 * (mira_api_token_resolve()), the same refusals, a MIRA_GRANTS_ERROR each.
 */
typedef struct
{
  MiraServer          *server;
  MiraAudioSocketKind  kind;         /* an audio socket's */
  char                *network_id;   /* asked for; NULL: the token's (the aliases) */
  char                *client_id;    /* a Wyoming socket's client; the aliases' device name */
  char                *token;
  GCallback            done;
  gpointer             done_data;

  /* What the worker found */
  MiraTokenEntry       owner;        /* who the token is */
  char                *net_uuid;     /* the socket's network */
  char                *net_id;
  char                *client;       /* an audio socket's client */
  double               rssi;
  GPtrArray           *events;       /* client_registered, once committed */
} SocketAuth;

static SocketAuth *
socket_auth_new (MiraServer *self,
                 const char *network_id,
                 const char *client_id,
                 const char *token,
                 GCallback   done,
                 gpointer    done_data)
{
  SocketAuth *auth = g_new0 (SocketAuth, 1);

  auth->server = g_object_ref (self);
  auth->network_id = g_strdup (network_id);
  auth->client_id = g_strdup (client_id);
  auth->token = g_strdup (token);
  auth->done = done;
  auth->done_data = done_data;
  auth->rssi = NAN;
  auth->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->in_flight++;
  return auth;
}

static void
socket_auth_free (SocketAuth *auth)
{
  auth->server->in_flight--;
  g_object_unref (auth->server);
  g_free (auth->network_id);
  g_free (auth->client_id);
  g_free (auth->token);
  mira_token_entry_clear (&auth->owner);
  g_free (auth->net_uuid);
  g_free (auth->net_id);
  g_free (auth->client);
  g_ptr_array_unref (auth->events);
  g_free (auth);
}

/* On a store worker: the token, and the network it opens. The admin token
 * opens any network that is there (and no socket of the aliases, which name
 * none); any other opens its own network while it is not suspended.
 */
static gboolean
check_token (SocketAuth  *auth,
             MiraDb      *db,
             GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (auth->token == NULL || auth->token[0] == '\0')
    {
      g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_AUTH_REQUIRED,
                   "A bearer token is required (Authorization: Bearer <token>)");
      return FALSE;
    }
  if (!mira_api_token_resolve (&auth->server->config, db, auth->token, &auth->owner, error))
    return FALSE;

  switch (auth->owner.kind)
    {
    case MIRA_AUTH_NONE:
      g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_INVALID_TOKEN,
                   "The token is not valid on this server");
      return FALSE;

    case MIRA_AUTH_ADMIN:
      if (auth->network_id == NULL)
        return TRUE;
      if (mira_is_network_id (auth->network_id))
        auth->net_uuid = mira_network_lookup_uuid (db, auth->network_id, &local);
      if (local != NULL && !g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (auth->net_uuid == NULL)
        {
          g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND,
                       "Network not found");
          return FALSE;
        }
      auth->net_id = g_strdup (auth->network_id);
      return TRUE;

    case MIRA_AUTH_NETWORK:
    case MIRA_AUTH_SESSION:
    default:
      /* A token of another network sees nothing of this one, not even that it exists. */
      if (auth->network_id != NULL && !g_str_equal (auth->owner.network_id, auth->network_id))
        {
          g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND,
                       "Network not found");
          return FALSE;
        }
      if (g_str_equal (auth->owner.status, "suspended"))
        {
          g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_SUSPENDED,
                       "This network is suspended");
          return FALSE;
        }
      auth->net_uuid = g_strdup (auth->owner.net_uuid);
      auth->net_id = g_strdup (auth->owner.network_id);
      return TRUE;
    }
}

/* What a socket is told of @error: a refusal as it is; any other failure
 * (it may quote SQL) is logged, and told as the API tells a 500.
 */
static GError *
told (GError *error)
{
  if (error->domain == MIRA_GRANTS_ERROR ||
      g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE))
    return error;
  g_warning ("a socket's authentication failed: %s", error->message);
  g_free (error->message);
  error->message = g_strdup ("Internal server error");
  return error;
}

/* Event sockets: any token of the network, or the admin token. */
static gpointer
event_auth_run (MiraDb    *db,
                gpointer   data,
                GError   **error)
{
  return check_token (data, db, error) ? data : NULL;
}

static void
event_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SocketAuth *auth = user_data;
  g_autoptr(GError) error = NULL;
  MiraEventAuth answer = { 0 };

  if (mira_store_run_finish (auth->server->store, result, &error) == NULL)
    answer.error = told (error);
  else
    {
      answer.client_id = auth->owner.client_id;
      answer.grant_token = auth->owner.kind == MIRA_AUTH_ADMIN ? NULL : auth->token;
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
  MiraServer *self = user_data;
  SocketAuth *auth = socket_auth_new (self, network_id, NULL, token, G_CALLBACK (done),
                                      done_data);

  mira_store_run_async (self->store, event_auth_run, auth, NULL, NULL, NULL, event_auth_done,
                        auth);
}

/* Audio sockets: the token and its network, then the client the socket
 * streams as (mira_clients_open_stream()): a Wyoming socket's is the path's
 * and must be registered; the aliases stream as the session token's
 * client, or one named after the device, registered on the way.
 */
static gpointer
audio_auth_run (MiraDb    *db,
                gpointer   data,
                GError   **error)
{
  SocketAuth *auth = data;
  gboolean wyoming = auth->kind == MIRA_AUDIO_SOCKET_WYOMING;
  const char *device_name = wyoming ? NULL : auth->client_id;
  g_autoptr(JsonObject) client = NULL;
  g_autoptr(GError) local = NULL;

  if (!check_token (auth, db, error))
    return NULL;
  if (auth->net_uuid == NULL)
    {
      g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_TOKEN_REQUIRED,
                   "An audio socket needs a session or network token");
      return NULL;
    }

  if (wyoming)
    auth->client = g_strdup (auth->client_id);
  else if (auth->owner.client_id != NULL)
    auth->client = g_strdup (auth->owner.client_id);
  else if (device_name != NULL && device_name[0] != '\0')
    auth->client = mira_client_id_from_name (device_name);
  else
    auth->client = mira_client_id_new ();

  if (auth->client == NULL || !mira_is_client_id (auth->client))
    {
      g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_INVALID_CLIENT_ID,
                   "'%s' is not a valid client id", auth->client ? auth->client : "");
      return NULL;
    }
  if (auth->owner.kind == MIRA_AUTH_SESSION && !g_str_equal (auth->owner.client_id, auth->client))
    {
      g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_FORBIDDEN,
                   "A session token can only stream as its own client");
      return NULL;
    }

  if (!mira_db_begin (db, error))
    return NULL;
  client = mira_clients_open_stream (db, auth->net_uuid, auth->net_id, auth->client, !wyoming,
                                     auth->kind == MIRA_AUDIO_SOCKET_OMI ? "omi" : "microphone",
                                     device_name, auth->events, &local);
  if (client == NULL)
    {
      mira_db_rollback (db);
      if (g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND))
        g_set_error_literal (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND,
                             local->message);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!mira_db_commit (db, error))
    return NULL;
  if (!json_object_get_null_member (client, "rssi"))
    auth->rssi = json_object_get_double_member (client, "rssi");
  return auth;
}

static void
audio_auth_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SocketAuth *auth = user_data;
  MiraServer *self = auth->server;
  g_autoptr(GError) error = NULL;
  MiraAudioAuth answer = { 0 };

  if (mira_store_run_finish (self->store, result, &error) == NULL)
    answer.error = told (error);
  else
    {
      mira_event_bus_publish_all (self->bus, auth->events);
      answer.network_id = auth->net_id;
      answer.client_id = auth->client;
      answer.rssi = auth->rssi;
      answer.grant_token = auth->owner.kind == MIRA_AUTH_ADMIN ? NULL : auth->token;
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
  MiraServer *self = user_data;
  SocketAuth *auth = socket_auth_new (self, network_id, client_id, token, G_CALLBACK (done),
                                      done_data);

  auth->kind = kind;
  mira_store_run_async (self->store, audio_auth_run, auth, NULL, NULL, NULL, audio_auth_done,
                        auth);
}
