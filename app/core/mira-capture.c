/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-capture"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "mira-capture.h"

/* What goes on the wire: 16 kHz mono, one Opus packet per 20 ms */
#define SAMPLE_RATE        16000
#define FRAME_MS           20
/* Wideband speech at 24 kbit/s is transparent for recognition and small
 * enough for a busy Wi-Fi. Complexity 5 takes about 40 % less CPU than
 * libopus's default of 10 for the same speech at this rate.
 */
#define OPUS_BITRATE       24000
#define OPUS_COMPLEXITY    5
#define LEVEL_INTERVAL_MS  100
#define SILENT_DB          (-100.0)
/* Packets waiting for the socket (connecting, reconnecting): 1 s of audio.
 * The appsink holds them and drops the oldest beyond this, so a dead
 * server never grows the app's memory and a short drop loses no words.
 */
#define MAX_QUEUED_PACKETS (1000 / FRAME_MS)
/* A socket that answers no ping for PONG_TIMEOUT_S is taken for dead
 * (a vanished Wi-Fi sends no FIN) and reopened.
 */
#define PING_INTERVAL_S    5
#define PONG_TIMEOUT_S     15
#define RECONNECT_MIN_MS   250
#define RECONNECT_MAX_MS   8000
/* After audio-stop the socket stays open this long for the transcript of
 * the last words, unless it arrives sooner.
 */
#define LINGER_S           20

/* The fixed part after the source. audioresample and audioconvert make any
 * source 16 kHz mono; level posts the meter's messages on the bus.
 */
#define ENCODE_DESCRIPTION \
  "audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1 " \
  "! level name=level post-messages=true interval=%" G_GUINT64_FORMAT " " \
  "! opusenc name=encoder frame-size=%d audio-type=voice bitrate=%d complexity=%d " \
  "! appsink name=sink sync=true max-buffers=%d drop=true"

struct _MiraAudioDevice
{
  GObject    parent_instance;

  GstDevice *device;
  char      *device_id;
  char      *display_name;
};

G_DEFINE_FINAL_TYPE (MiraAudioDevice, mira_audio_device, G_TYPE_OBJECT)

struct _MiraCapture
{
  GObject                  parent_instance;

  /* Everything below is used on this context only; the appsink's streaming
   * thread only wakes @packet_source.
   */
  GMainContext            *context;
  SoupSession             *session;

  char                    *audio_url;
  char                    *audio_source;
  char                    *device_id;

  MiraCaptureState         state;
  double                   level;
  GError                  *error;
  gboolean                 wanted;        /* start() called, no stop() or failure since */

  /* The pipeline, while recording */
  GstElement              *pipeline;
  GstElement              *sink;
  GSource                 *bus_source;
  GSource                 *packet_source;
  gboolean                 playing;
  gboolean                 eos;           /* a file source ended; finish once sent */

  /* The audio socket */
  GCancellable            *connecting;
  SoupWebsocketConnection *socket;
  gboolean                 ready;         /* the server said ready on @socket */
  gboolean                 streaming;     /* audio-start sent on @socket */
  char                    *server_message;
  gint64                   last_heard_us;
  GSource                  *ping_source;
  GSource                  *reconnect_source;
  guint                    reconnect_delay_ms;
  GSource                  *linger_source;

  /* The microphones, once asked for */
  GListStore              *devices;
  GstDeviceMonitor        *monitor;
  GSource                 *monitor_source;
};

G_DEFINE_FINAL_TYPE (MiraCapture, mira_capture, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_LEVEL,
  PROP_ERROR,
  PROP_AUDIO_SOURCE,
  PROP_DEVICE_ID,
  PROP_AUDIO_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  TRANSCRIPT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_socket (MiraCapture *self);
static void finish_recording (MiraCapture *self);

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
add_timeout (MiraCapture *self,
             guint        ms,
             GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

/* g_set_str() is GLib 2.76 */
static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
set_state (MiraCapture      *self,
           MiraCaptureState  state)
{
  if (self->state == state)
    return;
  g_debug ("state %d → %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_level (MiraCapture *self,
           double       level)
{
  if (isnan (level))
    level = SILENT_DB;
  level = CLAMP (level, SILENT_DB, 0.0);
  if (self->level == level)
    return;
  self->level = level;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}

/* RECORDING once both halves are up: audio flows and the server takes it */
static void
update_state (MiraCapture *self)
{
  if (!self->wanted)
    return;
  set_state (self, self->playing && self->streaming ? MIRA_CAPTURE_STATE_RECORDING
                                                    : MIRA_CAPTURE_STATE_STARTING);
}

/* The audio socket */

static void
send_event (MiraCapture *self,
            const char  *text)
{
  if (self->socket == NULL ||
      soup_websocket_connection_get_state (self->socket) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (self->socket, text);
}

static gboolean
unref_socket (gpointer socket)
{
  g_object_unref (socket);
  return G_SOURCE_REMOVE;
}

/* Drops our reference from the main loop, never from inside one of the
 * socket's own signals, which libsoup still runs code after.
 */
static void
release_socket (SoupWebsocketConnection *socket,
                gpointer                 unused)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, unref_socket, socket, NULL);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

/* Forgets the socket: recording no longer hears from it. */
static void
drop_socket (MiraCapture *self,
             gushort      code)
{
  g_cancellable_cancel (self->connecting);
  g_clear_object (&self->connecting);
  clear_source (&self->ping_source);
  clear_source (&self->linger_source);
  self->ready = FALSE;
  self->streaming = FALSE;
  if (self->socket == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->socket, self);
  if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      /* The close handshake (and audio-stop before it) still goes out;
       * the socket is let go once it is done.
       */
      soup_websocket_connection_close (self->socket, code, NULL);
      g_signal_connect (self->socket, "closed", G_CALLBACK (release_socket), NULL);
      self->socket = NULL;
    }
  else
    release_socket (g_steal_pointer (&self->socket), NULL);
}

static void
teardown_pipeline (MiraCapture *self)
{
  if (self->pipeline != NULL)
    {
      /* Joins the streaming threads: no packet is handed over after this. */
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      gst_object_unref (self->sink);
      self->sink = NULL;
      gst_clear_object (&self->pipeline);
    }
  clear_source (&self->bus_source);
  clear_source (&self->packet_source);
  self->playing = FALSE;
  self->eos = FALSE;
  set_level (self, SILENT_DB);
}

/* Recording stops for @error (owned): FAILED until the next start. */
static void
fail (MiraCapture *self,
      GError      *error)
{
  g_message ("recording failed: %s", error->message);
  self->wanted = FALSE;
  clear_source (&self->reconnect_source);
  if (self->streaming)
    send_event (self, "{\"type\":\"audio-stop\"}\n");
  teardown_pipeline (self);
  drop_socket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  set_state (self, MIRA_CAPTURE_STATE_FAILED);
}

/* Hands what the appsink holds to the socket, in order. Without a socket
 * that takes audio, the packets stay in the appsink (bounded).
 */
static void
send_packets (MiraCapture *self)
{
  GstSample *sample;

  if (self->sink == NULL || !self->streaming)
    return;
  /* A socket the server is closing takes nothing more; "closed" follows.
   * A write that fails (the server went away) closes it at once, in the
   * middle of this loop or between a chunk's header and its payload.
   */
  while (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN &&
         (sample = gst_app_sink_try_pull_sample (GST_APP_SINK (self->sink), 0)) != NULL)
    {
      GstBuffer *buffer = gst_sample_get_buffer (sample);
      GstMapInfo map;

      /* OpusHead and OpusTags travel in the caps, never as audio */
      if (buffer != NULL && !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER) &&
          gst_buffer_map (buffer, &map, GST_MAP_READ))
        {
          if (map.size > 0)
            {
              g_autofree char *header =
                g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":%d,\"width\":2,"
                                 "\"channels\":1},\"payload_length\":%" G_GSIZE_FORMAT "}\n",
                                 SAMPLE_RATE, map.size);

              soup_websocket_connection_send_text (self->socket, header);
              if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
                soup_websocket_connection_send_binary (self->socket, map.data, map.size);
            }
          gst_buffer_unmap (buffer, &map);
        }
      gst_sample_unref (sample);
    }
  if (self->eos)
    finish_recording (self);
}

static void
begin_stream (MiraCapture *self)
{
  g_autofree char *start =
    g_strdup_printf ("{\"type\":\"audio-start\",\"data\":{\"rate\":%d,\"width\":2,"
                     "\"channels\":1}}\n", SAMPLE_RATE);

  clear_source (&self->linger_source);
  send_event (self, start);
  self->streaming = TRUE;
  update_state (self);
  send_packets (self);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  MiraCapture *self = user_data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  connect_socket (self);
  return G_SOURCE_REMOVE;
}

/* The socket is gone while recording: STARTING, and again after a delay
 * that doubles up to RECONNECT_MAX_MS. The pipeline keeps running; the
 * last second of audio waits in the appsink for the new socket.
 */
static void
schedule_reconnect (MiraCapture *self)
{
  drop_socket (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  if (!self->wanted || self->reconnect_source != NULL)
    return;
  update_state (self);
  g_debug ("reconnecting in %u ms", self->reconnect_delay_ms);
  self->reconnect_source = add_timeout (self, self->reconnect_delay_ms, reconnect_cb);
  self->reconnect_delay_ms = MIN (self->reconnect_delay_ms * 2, RECONNECT_MAX_MS);
}

static void
on_socket_message (SoupWebsocketConnection *socket,
                   gint                     type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  MiraCapture *self = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *event;
  const char *event_type;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  self->last_heard_us = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  if (!json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_debug ("ignored a message that is no JSON object");
      return;
    }
  event = json_node_get_object (json_parser_get_root (parser));
  event_type = json_object_get_string_member_with_default (event, "type", "");

  if (g_str_equal (event_type, "ready"))
    {
      self->ready = TRUE;
      self->reconnect_delay_ms = RECONNECT_MIN_MS;
      if (self->wanted)
        begin_stream (self);
    }
  else if (g_str_equal (event_type, "transcript"))
    {
      const char *text = json_object_get_string_member_with_default (event, "text", "");
      const char *interaction_id =
        json_object_get_string_member_with_default (event, "interaction_id", NULL);

      g_signal_emit (self, signals[TRANSCRIPT], 0, text, interaction_id);
      /* The words the socket stayed open for have come. */
      if (self->linger_source != NULL)
        drop_socket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
    }
  else if (g_str_equal (event_type, "error"))
    {
      /* Its close follows; this says why */
      g_free (self->server_message);
      self->server_message =
        g_strdup (json_object_get_string_member_with_default (event, "message",
                    json_object_get_string_member_with_default (event, "error", "")));
    }
  /* pong needs nothing but the time it came, set above. */
}

static void
on_socket_closed (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  MiraCapture *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (socket);
  const char *reason = soup_websocket_connection_get_close_data (socket);
  const char *why = self->server_message != NULL && *self->server_message != '\0'
                      ? self->server_message : reason;

  g_debug ("audio socket closed: %u %s", code, reason ? reason : "");
  if (!self->wanted)
    {
      /* A lingering socket after audio-stop: nothing more to hear */
      drop_socket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION)
    fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                             _("The server refused this device: %s"),
                             why && *why ? why : _("not allowed")));
  else if (code == SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA ||
           code == SOUP_WEBSOCKET_CLOSE_TOO_BIG)
    fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                             _("The server did not accept the audio: %s"),
                             why && *why ? why : _("no reason given")));
  else
    schedule_reconnect (self);
}

static void
on_socket_error (SoupWebsocketConnection *socket,
                 GError                  *error,
                 gpointer                 user_data)
{
  /* "closed" follows and decides */
  g_debug ("audio socket: %s", error->message);
}

static gboolean
ping_cb (gpointer user_data)
{
  MiraCapture *self = user_data;

  if (g_get_monotonic_time () - self->last_heard_us > PONG_TIMEOUT_S * G_USEC_PER_SEC)
    {
      g_debug ("no answer from the server for %d s", PONG_TIMEOUT_S);
      if (self->wanted)
        schedule_reconnect (self);
      else
        drop_socket (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      return G_SOURCE_CONTINUE;   /* destroyed above; the value is not read */
    }
  send_event (self, "{\"type\":\"ping\"}\n");
  return G_SOURCE_CONTINUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *socket;
  MiraCapture *self;
  guint status;

  socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* stopped or disposed meanwhile: @user_data may be gone */

  self = user_data;
  g_clear_object (&self->connecting);
  if (socket == NULL)
    {
      status = msg != NULL ? soup_message_get_status (msg) : 0;
      g_debug ("audio socket: %s (HTTP %u)", error->message, status);
      if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
        fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                                 _("The server refused this device: %s"),
                                 soup_message_get_reason_phrase (msg)));
      else if (status == SOUP_STATUS_NOT_FOUND)
        fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND,
                                 _("The server does not know this device or network.")));
      else if (error->domain == G_TLS_ERROR)
        fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_TLS,
                                 _("The server’s certificate was refused: %s"),
                                 error->message));
      else
        schedule_reconnect (self);   /* down, restarting, or no network yet */
      return;
    }

  self->socket = socket;
  self->last_heard_us = g_get_monotonic_time ();
  g_clear_pointer (&self->server_message, g_free);
  g_signal_connect (socket, "message", G_CALLBACK (on_socket_message), self);
  g_signal_connect (socket, "closed", G_CALLBACK (on_socket_closed), self);
  g_signal_connect (socket, "error", G_CALLBACK (on_socket_error), self);
  self->ping_source = add_timeout (self, PING_INTERVAL_S * 1000, ping_cb);
}

/* The audio URL with codec=opus in its query, whatever the query had */
static char *
opus_url (const char  *audio_url,
          GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (audio_url, G_URI_FLAGS_ENCODED_QUERY, error);
  g_autoptr(GString) query = g_string_new (NULL);
  g_autoptr(GUri) with_codec = NULL;
  GUriParamsIter iter;
  char *name, *value;
  const char *scheme;

  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0 &&
      g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME, "%s", scheme);
      return NULL;
    }
  if (g_uri_get_query (uri) != NULL)
    {
      g_uri_params_iter_init (&iter, g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE);
      while (g_uri_params_iter_next (&iter, &name, &value, NULL))
        {
          if (!g_str_equal (name, "codec"))
            {
              g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

              g_string_append_printf (query, "%s=%s&", name, escaped);
            }
          g_free (name);
          g_free (value);
        }
    }
  g_string_append (query, "codec=opus");
  with_codec = g_uri_build (G_URI_FLAGS_ENCODED_QUERY, scheme, g_uri_get_userinfo (uri),
                            g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
                            query->str, NULL);
  return g_uri_to_string (with_codec);
}

static void
connect_socket (MiraCapture *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  if (self->socket != NULL || self->connecting != NULL)
    return;
  if (self->audio_url == NULL)
    {
      fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                               _("This device has no audio address on the server yet.")));
      return;
    }
  url = opus_url (self->audio_url, &error);
  if (url != NULL)
    msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      fail (self, g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                               _("The audio address “%s” cannot be used."), self->audio_url));
      return;
    }
  self->connecting = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->connecting, on_connected, self);
}

static gboolean
linger_done (gpointer user_data)
{
  MiraCapture *self = user_data;

  g_clear_pointer (&self->linger_source, g_source_unref);
  drop_socket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  return G_SOURCE_REMOVE;
}

/* The source ended or stop() was called: the server hears audio-stop, and
 * the socket stays open a little for the transcript of the last words.
 */
static void
finish_recording (MiraCapture *self)
{
  gboolean streamed = self->streaming;

  self->wanted = FALSE;
  clear_source (&self->reconnect_source);
  teardown_pipeline (self);
  if (streamed)
    {
      send_event (self, "{\"type\":\"audio-stop\"}\n");
      self->streaming = FALSE;
      clear_source (&self->linger_source);
      self->linger_source = add_timeout (self, LINGER_S * 1000, linger_done);
    }
  else
    drop_socket (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  set_state (self, MIRA_CAPTURE_STATE_IDLE);
}

/* The pipeline */

/* GStreamer's error from the source, as a person would put it */
static GError *
microphone_error (GError     *gst_error,
                  const char *debug)
{
  if (g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY))
    return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_MICROPHONE_BUSY,
                        _("The microphone is in use by another application."));
  if (g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
      (debug != NULL && (strstr (debug, "Permission denied") != NULL ||
                         strstr (debug, "Access denied") != NULL)))
    return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_MICROPHONE_DENIED,
                        _("Access to the microphone was denied. Allow it in the privacy "
                          "settings and try again."));
  if (debug != NULL && strstr (debug, "Device or resource busy") != NULL)
    return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_MICROPHONE_BUSY,
                        _("The microphone is in use by another application."));
  return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                      _("No microphone could be opened: %s"), gst_error->message);
}

static void
on_level (MiraCapture        *self,
          const GstStructure *structure)
{
  const GValue *rms = gst_structure_get_value (structure, "rms");
  double loudest = SILENT_DB;

  /* level still speaks GValueArray, deprecated in GLib: by name, then */
  if (rms == NULL || !g_str_equal (G_VALUE_TYPE_NAME (rms), "GValueArray"))
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    GValueArray *channels = g_value_get_boxed (rms);

    for (guint i = 0; channels != NULL && i < channels->n_values; i++)
      loudest = MAX (loudest, g_value_get_double (g_value_array_get_nth (channels, i)));
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  set_level (self, loudest);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  MiraCapture *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) gst_error = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &gst_error, &debug);
        g_debug ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), gst_error->message,
                 debug ? debug : "");
        fail (self, microphone_error (gst_error, debug));
        return G_SOURCE_REMOVE;
      }

    case GST_MESSAGE_EOS:
      /* The last packets went into the appsink before its EOS */
      self->eos = TRUE;
      send_packets (self);
      return self->pipeline != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;

    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (message) == GST_OBJECT (self->pipeline))
        {
          GstState new_state;

          gst_message_parse_state_changed (message, NULL, &new_state, NULL);
          self->playing = new_state == GST_STATE_PLAYING;
          update_state (self);
        }
      break;

    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (message, "level"))
        on_level (self, gst_message_get_structure (message));
      break;

    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* The appsink's streaming thread: wake the owner's context, nothing more */
static GstFlowReturn
on_new_sample (GstAppSink *sink,
               gpointer    user_data)
{
  g_source_set_ready_time (user_data, 0);
  return GST_FLOW_OK;
}

static gboolean
packet_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs packet_source_funcs = {
  .dispatch = packet_source_dispatch,
};

static gboolean
packets_ready (gpointer user_data)
{
  send_packets (user_data);
  return G_SOURCE_CONTINUE;
}

static MiraAudioDevice *find_device (MiraCapture *self,
                                     const char  *device_id);

/* The source element: MIRA_AUDIO_SOURCE, audio-source, device-id, else
 * autoaudiosrc. NULL with @error when none can be made.
 */
static GstElement *
make_source (MiraCapture  *self,
             GError      **error)
{
  const char *description = g_getenv ("MIRA_AUDIO_SOURCE");
  g_autoptr(GError) parse_error = NULL;
  GstElement *source;

  if (description == NULL || *description == '\0')
    description = self->audio_source;
  if (description != NULL && *description != '\0')
    {
      source = gst_parse_bin_from_description (description, TRUE, &parse_error);
      if (source == NULL)
        g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                     _("The audio source “%s” cannot be used: %s"), description,
                     parse_error->message);
      return source;
    }

  if (self->device_id != NULL && *self->device_id != '\0')
    {
      MiraAudioDevice *device;

      mira_capture_get_devices (self);
      device = find_device (self, self->device_id);
      if (device == NULL)
        {
          g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                       _("The microphone “%s” is not connected."), self->device_id);
          return NULL;
        }
      source = gst_device_create_element (device->device, NULL);
      if (source == NULL)
        g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                     _("The microphone “%s” cannot be opened."), device->display_name);
      return source;
    }

  source = gst_element_factory_make ("autoaudiosrc", "microphone");
  if (source == NULL)
    g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                 _("No microphone was found: GStreamer’s autoaudiosrc is not installed."));
  return source;
}

/* autoaudiosrc settles for silence when no real source opens (no sound
 * server, no device): that is no microphone, not a quiet room.
 */
static gboolean
is_silent_fallback (GstElement *source)
{
  g_auto(GValue) item = G_VALUE_INIT;
  g_autoptr(GstIterator) children = NULL;
  gboolean fallback = FALSE;

  if (!GST_IS_BIN (source) || g_strcmp0 (GST_OBJECT_NAME (gst_element_get_factory (source)),
                                         "autoaudiosrc") != 0)
    return FALSE;
  children = gst_bin_iterate_elements (GST_BIN (source));
  while (gst_iterator_next (children, &item) == GST_ITERATOR_OK)
    {
      GstElementFactory *factory = gst_element_get_factory (g_value_get_object (&item));
      const char *name = factory != NULL ? GST_OBJECT_NAME (factory) : "";

      if (g_str_equal (name, "audiotestsrc") || g_str_equal (name, "fakesrc"))
        fallback = TRUE;
      g_value_reset (&item);
    }
  return fallback;
}

/* The error that a failed state change posted, or a general one */
static GError *
pipeline_error (MiraCapture *self)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (self->pipeline);
  g_autoptr(GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr(GError) gst_error = NULL;
  g_autofree char *debug = NULL;

  if (message == NULL)
    return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                        _("No microphone could be opened."));
  gst_message_parse_error (message, &gst_error, &debug);
  g_debug ("%s (%s)", gst_error->message, debug ? debug : "");
  return microphone_error (gst_error, debug);
}

static gboolean
start_pipeline (MiraCapture  *self,
                GError      **error)
{
  g_autofree char *description =
    g_strdup_printf (ENCODE_DESCRIPTION, (guint64) LEVEL_INTERVAL_MS * GST_MSECOND, FRAME_MS,
                     OPUS_BITRATE, OPUS_COMPLEXITY, MAX_QUEUED_PACKETS);
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GstBus) bus = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  GstElement *source, *encode;

  source = make_source (self, error);
  if (source == NULL)
    return FALSE;
  encode = gst_parse_bin_from_description (description, TRUE, &parse_error);
  if (encode == NULL)
    {
      gst_object_unref (gst_object_ref_sink (source));
      g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                   _("The audio encoder is missing: %s"), parse_error->message);
      return FALSE;
    }

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("mira-capture"));
  gst_bin_add_many (GST_BIN (self->pipeline), source, encode, NULL);
  gst_element_link (source, encode);
  self->sink = gst_bin_get_by_name (GST_BIN (encode), "sink");

  self->packet_source = g_source_new (&packet_source_funcs, sizeof (GSource));
  g_source_set_callback (self->packet_source, packets_ready, self, NULL);
  g_source_set_name (self->packet_source, "mira-capture packets");
  g_source_attach (self->packet_source, self->context);
  gst_app_sink_set_callbacks (GST_APP_SINK (self->sink), &callbacks,
                              g_source_ref (self->packet_source),
                              (GDestroyNotify) g_source_unref);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, self->context);

  /* READY first: autoaudiosrc picks its real source here */
  if (gst_element_set_state (self->pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
    {
      *error = pipeline_error (self);
      return FALSE;
    }
  if (is_silent_fallback (source))
    {
      g_set_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE,
                   _("No microphone was found. Connect one, or check that the sound "
                     "server is running."));
      return FALSE;
    }
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      *error = pipeline_error (self);
      return FALSE;
    }
  return TRUE;
}

/* The microphones */

static char *
device_id_of (GstDevice *device)
{
  static const char *keys[] = { "node.name", "device.name", "device.string" };
  g_autoptr(GstStructure) props = gst_device_get_properties (device);

  /* pulsesrc and alsasrc devices: the name the sound system keeps */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (device), "internal-name") != NULL)
    {
      g_autofree char *name = NULL;

      g_object_get (device, "internal-name", &name, NULL);
      if (name != NULL && *name != '\0')
        return g_steal_pointer (&name);
    }
  for (guint i = 0; props != NULL && i < G_N_ELEMENTS (keys); i++)
    if (gst_structure_get_string (props, keys[i]) != NULL)
      return g_strdup (gst_structure_get_string (props, keys[i]));
  return gst_device_get_display_name (device);
}

static MiraAudioDevice *
audio_device_new (GstDevice *device)
{
  MiraAudioDevice *self = g_object_new (MIRA_TYPE_AUDIO_DEVICE, NULL);

  self->device = gst_object_ref (device);
  self->device_id = device_id_of (device);
  self->display_name = gst_device_get_display_name (device);
  return self;
}

static MiraAudioDevice *
find_device (MiraCapture *self,
             const char  *device_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraAudioDevice) device = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (g_str_equal (device->device_id, device_id))
        return device;   /* the store keeps it */
    }
  return NULL;
}

static void
device_added (MiraCapture *self,
              GstDevice   *device)
{
  g_autoptr(MiraAudioDevice) item = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraAudioDevice) known = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (known->device == device)
        return;
    }
  item = audio_device_new (device);
  g_debug ("microphone %s (%s)", item->display_name, item->device_id);
  g_list_store_append (self->devices, item);
}

static void
device_removed (MiraCapture *self,
                GstDevice   *device)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraAudioDevice) known = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (known->device == device)
        {
          g_list_store_remove (self->devices, i);
          return;
        }
    }
}

static gboolean
on_monitor_message (GstBus     *bus,
                    GstMessage *message,
                    gpointer    user_data)
{
  MiraCapture *self = user_data;
  g_autoptr(GstDevice) device = NULL;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_DEVICE_ADDED)
    {
      gst_message_parse_device_added (message, &device);
      device_added (self, device);
    }
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_DEVICE_REMOVED)
    {
      gst_message_parse_device_removed (message, &device);
      device_removed (self, device);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_monitor (MiraCapture *self)
{
  g_autoptr(GstBus) bus = NULL;
  GList *devices;

  self->monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (self->monitor, "Audio/Source", NULL);
  bus = gst_device_monitor_get_bus (self->monitor);
  self->monitor_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->monitor_source, G_SOURCE_FUNC (on_monitor_message), self, NULL);
  g_source_attach (self->monitor_source, self->context);

  /* Without a sound server no provider starts: the list stays empty */
  if (!gst_device_monitor_start (self->monitor))
    {
      g_debug ("no audio device provider could start");
      return;
    }
  devices = gst_device_monitor_get_devices (self->monitor);
  for (GList *l = devices; l != NULL; l = l->next)
    device_added (self, l->data);
  g_list_free_full (devices, gst_object_unref);
}

/* GObject */

static void
mira_capture_dispose (GObject *object)
{
  MiraCapture *self = MIRA_CAPTURE (object);

  self->wanted = FALSE;
  clear_source (&self->reconnect_source);
  if (self->streaming)
    send_event (self, "{\"type\":\"audio-stop\"}\n");
  teardown_pipeline (self);
  drop_socket (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  if (self->monitor != NULL)
    gst_device_monitor_stop (self->monitor);
  gst_clear_object (&self->monitor);
  clear_source (&self->monitor_source);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (mira_capture_parent_class)->dispose (object);
}

static void
mira_capture_finalize (GObject *object)
{
  MiraCapture *self = MIRA_CAPTURE (object);

  g_clear_object (&self->devices);
  g_clear_error (&self->error);
  g_free (self->server_message);
  g_free (self->audio_url);
  g_free (self->audio_source);
  g_free (self->device_id);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (mira_capture_parent_class)->finalize (object);
}

static void
mira_capture_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MiraCapture *self = MIRA_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LEVEL:
      g_value_set_double (value, self->level);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_AUDIO_SOURCE:
      g_value_set_string (value, self->audio_source);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_AUDIO_URL:
      g_value_set_string (value, self->audio_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_capture_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MiraCapture *self = MIRA_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_AUDIO_SOURCE:
      mira_capture_set_audio_source (self, g_value_get_string (value));
      break;
    case PROP_DEVICE_ID:
      mira_capture_set_device_id (self, g_value_get_string (value));
      break;
    case PROP_AUDIO_URL:
      mira_capture_set_audio_url (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_capture_class_init (MiraCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mira_capture_dispose;
  object_class->finalize = mira_capture_finalize;
  object_class->get_property = mira_capture_get_property;
  object_class->set_property = mira_capture_set_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       MIRA_TYPE_CAPTURE_STATE, MIRA_CAPTURE_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LEVEL] =
    g_param_spec_double ("level", NULL, NULL,
                         SILENT_DB, 0.0, SILENT_DB,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_SOURCE] =
    g_param_spec_string ("audio-source", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_URL] =
    g_param_spec_string ("audio-url", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MiraCapture::transcript:
   * @text: the words the server heard
   * @interaction_id: (nullable): the interaction they were stored as
   *
   * This device's stream was chosen for an utterance and its words are in.
   */
  signals[TRANSCRIPT] =
    g_signal_new ("transcript",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gst_init (NULL, NULL);
}

static void
mira_capture_init (MiraCapture *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->session = soup_session_new_with_options ("user-agent", PACKAGE_NAME "-dashboard/"
                                                 PACKAGE_VERSION,
                                                 NULL);
  self->level = SILENT_DB;
  self->reconnect_delay_ms = RECONNECT_MIN_MS;
  self->devices = g_list_store_new (MIRA_TYPE_AUDIO_DEVICE);
}

/**
 * mira_capture_new:
 *
 * A capture that lives on the thread-default main context of the caller:
 * its signals and notifications are emitted there, and it must be used
 * from that thread only.
 *
 * Returns: (transfer full): a new #MiraCapture, IDLE
 */
MiraCapture *
mira_capture_new (void)
{
  return g_object_new (MIRA_TYPE_CAPTURE, NULL);
}

/**
 * mira_capture_set_audio_url:
 * @audio_url: (nullable): ws:// or wss:// URL of this device's audio socket,
 *   with the token in its query; codec=opus is put in if missing
 *
 * Takes effect on the next connection: the next start(), or the next
 * reconnection while recording.
 */
void
mira_capture_set_audio_url (MiraCapture *self,
                            const char  *audio_url)
{
  g_return_if_fail (MIRA_IS_CAPTURE (self));

  if (set_str (&self->audio_url, audio_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_URL]);
}

const char *
mira_capture_get_audio_url (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), NULL);

  return self->audio_url;
}

/**
 * mira_capture_set_audio_source:
 * @description: (nullable): a gst-launch description of the source, such
 *   as "filesrc location=x.wav ! wavparse"; NULL or "" for a microphone
 *
 * Takes effect on the next start(). MIRA_AUDIO_SOURCE, when set, wins.
 */
void
mira_capture_set_audio_source (MiraCapture *self,
                               const char  *description)
{
  g_return_if_fail (MIRA_IS_CAPTURE (self));

  if (set_str (&self->audio_source, description))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_SOURCE]);
}

const char *
mira_capture_get_audio_source (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), NULL);

  return self->audio_source;
}

/**
 * mira_capture_set_device_id:
 * @device_id: (nullable): a #MiraAudioDevice:device-id, or NULL for the
 *   system's default microphone
 *
 * Takes effect on the next start().
 */
void
mira_capture_set_device_id (MiraCapture *self,
                            const char  *device_id)
{
  g_return_if_fail (MIRA_IS_CAPTURE (self));

  if (set_str (&self->device_id, device_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
}

const char *
mira_capture_get_device_id (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), NULL);

  return self->device_id;
}

/**
 * mira_capture_start:
 *
 * Opens the source and the audio socket: STARTING, then RECORDING once the
 * server said ready and audio flows. A source that cannot be opened, or a
 * server that refuses the device, ends in FAILED with #MiraCapture:error
 * set (MIRA_CORE_ERROR_NO_MICROPHONE, _MICROPHONE_BUSY,
 * _MICROPHONE_DENIED, _UNAUTHORIZED, _NOT_FOUND, _TLS, _SERVER or
 * _INVALID_LINK); an unreachable server is retried with backoff, in
 * STARTING. Does nothing while STARTING or RECORDING.
 */
void
mira_capture_start (MiraCapture *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MIRA_IS_CAPTURE (self));

  if (self->wanted)
    return;
  if (self->error != NULL)
    {
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  self->wanted = TRUE;
  self->reconnect_delay_ms = RECONNECT_MIN_MS;
  set_state (self, MIRA_CAPTURE_STATE_STARTING);

  if (!start_pipeline (self, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  /* The socket of the last recording may still be open for its transcript */
  if (self->ready)
    begin_stream (self);
  else
    connect_socket (self);
}

/**
 * mira_capture_stop:
 *
 * Ends recording: the server hears audio-stop (so it finishes the current
 * utterance), the pipeline is torn down and the state is IDLE. The socket
 * stays open up to LINGER_S seconds for the transcript of the last words.
 */
void
mira_capture_stop (MiraCapture *self)
{
  g_return_if_fail (MIRA_IS_CAPTURE (self));

  if (!self->wanted)
    return;
  send_packets (self);   /* may finish by itself, at the end of a file */
  if (self->wanted)
    finish_recording (self);
}

MiraCaptureState
mira_capture_get_state (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), MIRA_CAPTURE_STATE_IDLE);

  return self->state;
}

/**
 * mira_capture_get_level:
 *
 * Returns: the RMS level of the last 100 ms of audio in dBFS, from -100
 *   (silent, or not recording) to 0
 */
double
mira_capture_get_level (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), SILENT_DB);

  return self->level;
}

/**
 * mira_capture_get_error:
 *
 * Returns: (nullable): why the state is FAILED: a MIRA_CORE_ERROR whose
 *   message is translated and fit to show as it is
 */
const GError *
mira_capture_get_error (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), NULL);

  return self->error;
}

/**
 * mira_capture_get_devices:
 *
 * The first call starts a GstDeviceMonitor on "Audio/Source"; the list
 * follows microphones as they come and go. Without a sound server it is
 * empty.
 *
 * Returns: (transfer none): a #GListModel of #MiraAudioDevice
 */
GListModel *
mira_capture_get_devices (MiraCapture *self)
{
  g_return_val_if_fail (MIRA_IS_CAPTURE (self), NULL);

  if (self->monitor == NULL)
    start_monitor (self);
  return G_LIST_MODEL (self->devices);
}

/* MiraAudioDevice */

enum {
  DEVICE_PROP_0,
  DEVICE_PROP_DEVICE_ID,
  DEVICE_PROP_DISPLAY_NAME,
  N_DEVICE_PROPS
};

static GParamSpec *device_properties[N_DEVICE_PROPS];

static void
mira_audio_device_finalize (GObject *object)
{
  MiraAudioDevice *self = MIRA_AUDIO_DEVICE (object);

  gst_clear_object (&self->device);
  g_free (self->device_id);
  g_free (self->display_name);

  G_OBJECT_CLASS (mira_audio_device_parent_class)->finalize (object);
}

static void
mira_audio_device_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MiraAudioDevice *self = MIRA_AUDIO_DEVICE (object);

  switch (prop_id)
    {
    case DEVICE_PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case DEVICE_PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_audio_device_class_init (MiraAudioDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mira_audio_device_finalize;
  object_class->get_property = mira_audio_device_get_property;

  device_properties[DEVICE_PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  device_properties[DEVICE_PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_DEVICE_PROPS, device_properties);
}

static void
mira_audio_device_init (MiraAudioDevice *self)
{
}

/* The name the sound system keeps for the device: stable across runs */
const char *
mira_audio_device_get_device_id (MiraAudioDevice *self)
{
  g_return_val_if_fail (MIRA_IS_AUDIO_DEVICE (self), NULL);

  return self->device_id;
}

/* The name to show, e.g. "Built-in Audio Analog Stereo" */
const char *
mira_audio_device_get_display_name (MiraAudioDevice *self)
{
  g_return_val_if_fail (MIRA_IS_AUDIO_DEVICE (self), NULL);

  return self->display_name;
}
