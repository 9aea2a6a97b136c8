/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-socket"

/* One device's microphone: Wyoming events over a WebSocket, decoded to
 * 16 kHz mono and handed to the audio hub. Bad input ends this socket with a
 * clear message and a close code, and nothing else.
 */

#include "mira-audio-socket.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "mira-api.h"
#include "mira-audio-decoder.h"
#include "mira-audio-hub.h"
#include "mira-error.h"
#include "mira-event-bus.h"
#include "mira-server-private.h"
#include "mira-store.h"
#include "mira-util.h"
#include "mira-wyoming.h"

/* What a socket may send before it is authenticated, at most. */
#define MAX_EARLY_BYTES (1024 * 1024)
/* The largest WebSocket message an audio socket takes (1009 above). */
#define MAX_MESSAGE_BYTES (256 * 1024)
/* libsoup drops a connection whose message is over its limit without a close
 * frame or a word, so its limit is set higher and ours is checked in
 * on_message(), where the device can be told. Past this, libsoup drops it.
 */
#define MAX_FRAME_BYTES (4 * MAX_MESSAGE_BYTES)

typedef struct
{
  gint                     ref_count;
  MiraServer              *server;
  SoupWebsocketConnection *conn;
  MiraAudioSocketKind      kind;
  char                    *codec;
  char                    *network_id;
  char                    *client_id;
  MiraApiCall             *auth_call;
  gboolean                 ready;
  gboolean                 closed;
  GPtrArray               *early;          /* messages that came before auth: GBytes with a type */
  gsize                    early_bytes;
  MiraWyomingParser       *parser;
  MiraAudioDecoder        *decoder;
  MiraAudioStream         *stream;
  GArray                  *pcm;            /* scratch: decoded samples */
  GPtrArray               *events;         /* scratch: parsed events */
  guint                    subscription;   /* to end the socket with its network or client */
} Peer;

typedef struct
{
  gint    type;
  GBytes *bytes;
} Early;

static Peer *
peer_ref (Peer *peer)
{
  g_atomic_int_inc (&peer->ref_count);
  return peer;
}

static void
early_free (gpointer data)
{
  Early *early = data;

  g_bytes_unref (early->bytes);
  g_free (early);
}

static void
peer_unref (Peer *peer)
{
  if (!g_atomic_int_dec_and_test (&peer->ref_count))
    return;
  g_assert (peer->stream == NULL);
  g_clear_object (&peer->conn);
  g_clear_object (&peer->server);
  g_free (peer->codec);
  g_free (peer->network_id);
  g_free (peer->client_id);
  g_clear_pointer (&peer->early, g_ptr_array_unref);
  g_clear_pointer (&peer->parser, mira_wyoming_parser_free);
  g_clear_pointer (&peer->decoder, mira_audio_decoder_free);
  g_array_unref (peer->pcm);
  g_ptr_array_unref (peer->events);
  g_free (peer);
}

static MiraAudioHub *
hub_of (Peer *peer)
{
  return mira_server_get_api_config (peer->server)->hub;
}

static void
send_json (Peer       *peer,
           JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = json_to_string (node, FALSE);

  if (soup_websocket_connection_get_state (peer->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (peer->conn, text);
}

static void
send_simple (Peer       *peer,
             const char *type)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "type", type);
  send_json (peer, object);
}

/* Says what went wrong, then closes with @code. */
static void
fail (Peer       *peer,
      gushort     code,
      const char *error_code,
      const char *message)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "type", "error");
  json_object_set_string_member (object, "error", error_code);
  json_object_set_string_member (object, "message", message);
  send_json (peer, object);
  g_message ("audio socket of %s closed: %s", peer->client_id ? peer->client_id : "?", message);
  if (soup_websocket_connection_get_state (peer->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->conn, code, error_code);
}

static void
on_transcript (gpointer    user_data,
               const char *text,
               const char *interaction_id)
{
  Peer *peer = user_data;
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "type", "transcript");
  json_object_set_string_member (object, "text", text);
  json_object_set_string_member (object, "interaction_id", interaction_id);
  send_json (peer, object);
}

static gboolean
open_decoder (Peer              *peer,
              MiraWyomingEvent  *event,
              GError           **error)
{
  guint rate = (guint) CLAMP (mira_wyoming_event_get_int (event, "rate", 16000), 0, G_MAXUINT);
  guint width = (guint) CLAMP (mira_wyoming_event_get_int (event, "width", 2), 0, G_MAXUINT);
  guint channels = (guint) CLAMP (mira_wyoming_event_get_int (event, "channels", 1), 0,
                                  G_MAXUINT);
  gboolean opus = peer->kind == MIRA_AUDIO_SOCKET_OMI || g_strcmp0 (peer->codec, "opus") == 0;

  g_clear_pointer (&peer->decoder, mira_audio_decoder_free);
  if (opus)
    peer->decoder = mira_audio_decoder_new_opus (rate, channels,
                                                 peer->kind == MIRA_AUDIO_SOCKET_OMI, error);
  else
    peer->decoder = mira_audio_decoder_new_pcm (rate, width, channels, error);
  if (peer->decoder == NULL)
    return FALSE;
  if (!opus)
    mira_wyoming_parser_set_default_format (peer->parser, rate, width, channels);
  return TRUE;
}

static gboolean
handle_event (Peer              *peer,
              MiraWyomingEvent  *event,
              GError           **error)
{
  MiraAudioHub *hub = hub_of (peer);

  if (g_str_equal (event->type, "audio-start"))
    {
      if (!open_decoder (peer, event, error))
        return FALSE;
      mira_audio_hub_start (hub, peer->stream);
    }
  else if (g_str_equal (event->type, "audio-chunk"))
    {
      /* Some clients send chunks that carry their format, without a start. */
      if (peer->decoder == NULL && !open_decoder (peer, event, error))
        return FALSE;
      if (event->payload != NULL && g_bytes_get_size (event->payload) > 0)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (event->payload, &size);

          g_array_set_size (peer->pcm, 0);
          if (!mira_audio_decoder_push (peer->decoder, data, size, peer->pcm, error))
            return FALSE;
          if (peer->pcm->len > 0)
            mira_audio_hub_audio (hub, peer->stream, (const gint16 *) peer->pcm->data,
                                  peer->pcm->len);
        }
    }
  else if (g_str_equal (event->type, "audio-stop"))
    {
      if (peer->decoder != NULL)
        {
          g_array_set_size (peer->pcm, 0);
          mira_audio_decoder_flush (peer->decoder, peer->pcm);
          if (peer->pcm->len > 0)
            mira_audio_hub_audio (hub, peer->stream, (const gint16 *) peer->pcm->data,
                                  peer->pcm->len);
        }
      mira_audio_hub_stop (hub, peer->stream);
    }
  else if (g_str_equal (event->type, "ping"))
    send_simple (peer, "pong");
  /* Other Wyoming events (describe, transcribe, …) are not for this server: ignored. */
  return TRUE;
}

static void
handle_message (Peer   *peer,
                gint    type,
                GBytes *message)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (message, &size);
  gboolean ok;

  g_ptr_array_set_size (peer->events, 0);
  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    ok = mira_wyoming_parser_feed_text (peer->parser, (const char *) data, size, peer->events,
                                        &error);
  else
    ok = mira_wyoming_parser_feed_binary (peer->parser, data, size, peer->events, &error);

  for (guint i = 0; ok && i < peer->events->len && !peer->closed; i++)
    ok = handle_event (peer, g_ptr_array_index (peer->events, i), &error);
  g_ptr_array_set_size (peer->events, 0);

  if (!ok)
    {
      guint code = error->domain == MIRA_ERROR && error->code == MIRA_ERROR_TOO_LARGE
                     ? SOUP_WEBSOCKET_CLOSE_TOO_BIG
                     : mira_wyoming_error_close_code (error);

      fail (peer, (gushort) code,
            code == SOUP_WEBSOCKET_CLOSE_TOO_BIG ? "MESSAGE_TOO_LARGE" : "INVALID_AUDIO",
            error->message);
    }
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Peer *peer = user_data;

  if (g_bytes_get_size (message) > MAX_MESSAGE_BYTES)
    {
      g_autofree char *text = g_strdup_printf ("A message of %" G_GSIZE_FORMAT " bytes is over "
                                               "the limit of %d bytes",
                                               g_bytes_get_size (message), MAX_MESSAGE_BYTES);

      fail (peer, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "MESSAGE_TOO_LARGE", text);
      return;
    }
  if (!peer->ready)
    {
      Early *early;

      peer->early_bytes += g_bytes_get_size (message);
      if (peer->early_bytes > MAX_EARLY_BYTES)
        {
          fail (peer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "NOT_READY",
                "Too much audio before the socket was ready: wait for {\"type\":\"ready\"}");
          return;
        }
      early = g_new0 (Early, 1);
      early->type = type;
      early->bytes = g_bytes_ref (message);
      g_ptr_array_add (peer->early, early);
      return;
    }
  handle_message (peer, type, message);
}

static void
on_network_event (const char *network_id,
                  JsonObject *event,
                  const char *text,
                  gpointer    user_data)
{
  Peer *peer = user_data;
  const char *reason = NULL;

  if (mira_event_ends_socket (event, peer->client_id, &reason) &&
      soup_websocket_connection_get_state (peer->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, reason);
}

static void
closed_done (MiraApiCall *call,
             gpointer     user_data)
{
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Peer *peer = user_data;

  if (peer->closed)
    return;
  peer->closed = TRUE;
  if (peer->subscription != 0)
    mira_event_bus_unsubscribe (mira_server_get_event_bus (peer->server), peer->subscription);
  if (peer->stream != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/service/client/%s/disconnected",
                                               peer->network_id, peer->client_id);

      mira_audio_hub_detach (hub_of (peer), peer->stream);
      peer->stream = NULL;
      mira_server_internal_call (peer->server, "POST", path, NULL, closed_done, NULL);
    }
  mira_server_untrack_socket (peer->server, conn);
  g_signal_handlers_disconnect_by_data (conn, peer);
  peer_unref (peer);
}

static void
auth_done (MiraApiCall *call,
           gpointer     user_data)
{
  Peer *peer = user_data;

  if (peer->closed)
    ;
  else if (call->status >= 300)
    {
      g_autoptr(JsonNode) body = json_from_string (call->response_text, NULL);
      JsonObject *detail = body && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body)
                                                                : NULL;

      fail (peer, call->status == 503 ? SOUP_WEBSOCKET_CLOSE_SERVER_ERROR
                                      : SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
            detail ? json_object_get_string_member (detail, "error_code") : "UNAUTHORIZED",
            detail ? json_object_get_string_member (detail, "detail") : "Not allowed");
    }
  else
    {
      g_autoptr(JsonNode) body = json_from_string (call->response_text, NULL);
      JsonObject *client = json_node_get_object (body);
      double rssi = json_object_get_null_member (client, "rssi")
                      ? NAN : json_object_get_double_member (client, "rssi");

      g_free (peer->network_id);
      peer->network_id = g_strdup (call->network_id);
      g_free (peer->client_id);
      peer->client_id = g_strdup (json_object_get_string_member (client, "client_id"));
      peer->stream = mira_audio_hub_attach (hub_of (peer), peer->network_id, peer->client_id,
                                            rssi, on_transcript, peer);
      peer->ready = TRUE;
      peer->subscription = mira_event_bus_subscribe (mira_server_get_event_bus (peer->server),
                                                     peer->network_id, on_network_event, peer);
      send_simple (peer, "ready");

      for (guint i = 0; i < peer->early->len && !peer->closed; i++)
        {
          Early *early = g_ptr_array_index (peer->early, i);

          handle_message (peer, early->type, early->bytes);
        }
      g_ptr_array_set_size (peer->early, 0);
    }
  peer_unref (peer);
}

void
mira_audio_socket_accept (MiraServer              *server,
                          SoupWebsocketConnection *conn,
                          MiraAudioSocketKind      kind,
                          const char              *network_id,
                          const char              *client_id,
                          const char              *token,
                          const char              *codec)
{
  static const MiraApiRoute routes[] = {
    [MIRA_AUDIO_SOCKET_WYOMING] = { "GET", "{network_id}/streams/{}/ws", MIRA_ACCESS_NETWORK,
                                    mira_api_audio_socket_open, "wyoming", FALSE, FALSE },
    [MIRA_AUDIO_SOCKET_PCM] = { "GET", "/ws_pcm", MIRA_ACCESS_TOKEN_NETWORK,
                                mira_api_audio_socket_open, "pcm", FALSE, FALSE },
    [MIRA_AUDIO_SOCKET_OMI] = { "GET", "/ws_omi", MIRA_ACCESS_TOKEN_NETWORK,
                                mira_api_audio_socket_open, "omi", FALSE, FALSE },
  };
  Peer *peer = g_new0 (Peer, 1);
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  peer->ref_count = 1;
  peer->server = g_object_ref (server);
  peer->conn = g_object_ref (conn);
  peer->kind = kind;
  peer->codec = g_strdup (codec);
  peer->network_id = g_strdup (network_id);
  peer->client_id = g_strdup (client_id);
  peer->early = g_ptr_array_new_with_free_func (early_free);
  peer->parser = mira_wyoming_parser_new (MAX_MESSAGE_BYTES);
  peer->pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  peer->events = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_wyoming_event_free);

  mira_server_track_socket (server, conn);
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_FRAME_BYTES);
  soup_websocket_connection_set_keepalive_interval (conn, 30);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), peer);

  if (codec != NULL && !g_str_equal (codec, "pcm") && !g_str_equal (codec, "opus"))
    {
      fail (peer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "INVALID_CODEC",
            "codec must be pcm or opus");
      g_ptr_array_unref (args);
      return;
    }

  if (network_id != NULL)
    g_ptr_array_add (args, g_strdup (network_id));
  if (client_id != NULL)
    g_ptr_array_add (args, g_strdup (client_id));
  if (kind != MIRA_AUDIO_SOCKET_WYOMING && client_id != NULL)
    g_hash_table_insert (query, g_strdup ("device_name"), g_strdup (client_id));

  mira_server_internal_route (server, &routes[kind], args, query, token, auth_done,
                              peer_ref (peer));
}
