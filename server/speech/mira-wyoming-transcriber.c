/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-wyoming-transcriber"

#include "mira-wyoming-transcriber.h"

#include <string.h>

#include "mira-json.h"
#include "mira-wyoming.h"

/* Samples per audio-chunk: what Wyoming's own clients send (64 ms). */
#define CHUNK_SAMPLES 1024
/* What one read takes from the socket at most */
#define READ_SIZE (64 * 1024)

struct _MiraWyomingTranscriber
{
  GObject  parent_instance;

  char    *host;
  guint16  port;
  char    *name;
  guint    timeout_ms;
  GMutex   lock;
  char    *model;       /* under lock: what the last `info` said */
};

static void mira_wyoming_transcriber_iface_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraWyomingTranscriber, mira_wyoming_transcriber, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_wyoming_transcriber_iface_init))

/* One connection and one exchange of events, within one deadline. */
typedef struct
{
  MiraWyomingTranscriber *self;
  GSocketConnection      *connection;
  GSocket                *socket;
  GCancellable           *cancellable;
  gint64                  deadline_us;   /* monotonic */
  MiraWyomingParser      *parser;
  GPtrArray              *events;        /* MiraWyomingEvent*: received, not taken yet */
  gboolean                answering;     /* some of the answer came */
} Exchange;

static void
exchange_clear (Exchange *x)
{
  g_clear_object (&x->connection);
  g_clear_pointer (&x->parser, mira_wyoming_parser_free);
  g_clear_pointer (&x->events, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Exchange, exchange_clear)

static gboolean
timed_out (Exchange  *x,
           GError   **error)
{
  g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_TIMED_OUT,
               "%s: no whole answer within %u ms", x->self->name, x->self->timeout_ms);
  return FALSE;
}

static gboolean
exchange_open (Exchange                *x,
               MiraWyomingTranscriber  *self,
               GCancellable            *cancellable,
               GError                 **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (self->host, self->port);
  g_autoptr(GError) local_error = NULL;

  x->self = self;
  x->cancellable = cancellable;
  x->deadline_us = g_get_monotonic_time () + self->timeout_ms * (gint64) 1000;
  x->parser = mira_wyoming_parser_new (MIRA_WYOMING_DEFAULT_MAX_PAYLOAD);
  x->events = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_wyoming_event_free);

  /* Whole seconds: the exchange after it keeps to the deadline itself. */
  g_socket_client_set_timeout (client, MAX (1, (self->timeout_ms + 999) / 1000));
  x->connection = g_socket_client_connect (client, address, cancellable, &local_error);
  if (x->connection == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return timed_out (x, error);
      else
        g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                     "%s: cannot connect: %s", self->name, local_error->message);
      return FALSE;
    }
  x->socket = g_socket_connection_get_socket (x->connection);
  g_socket_set_blocking (x->socket, FALSE);
  return TRUE;
}

/* Waits until the socket is ready for @condition, up to the deadline. */
static gboolean
exchange_wait (Exchange      *x,
               GIOCondition   condition,
               GError       **error)
{
  gint64 left_us = x->deadline_us - g_get_monotonic_time ();
  g_autoptr(GError) local_error = NULL;

  if (left_us <= 0)
    return timed_out (x, error);
  if (!g_socket_condition_timed_wait (x->socket, condition, left_us, x->cancellable,
                                      &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return timed_out (x, error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
exchange_send (Exchange      *x,
               const guint8  *data,
               gsize          len,
               GError       **error)
{
  while (len > 0)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n;

      if (!exchange_wait (x, G_IO_OUT, error))
        return FALSE;
      n = g_socket_send (x->socket, (const char *) data, len, x->cancellable, &local_error);
      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                         "%s: sending failed: %s", x->self->name, local_error->message);
          return FALSE;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

/* One event as Wyoming frames it on TCP: a JSON header line, then the payload. */
static gboolean
exchange_send_event (Exchange      *x,
                     const char    *type,
                     JsonObject    *data,
                     const guint8  *payload,
                     gsize          payload_len,
                     GError       **error)
{
  g_autoptr(JsonObject) header = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *line = NULL;
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  json_object_set_string_member (header, "type", type);
  if (data != NULL)
    json_object_set_object_member (header, "data", json_object_ref (data));
  if (payload_len > 0)
    json_object_set_int_member (header, "payload_length", payload_len);
  json_node_set_object (node, header);
  line = mira_json_to_string (node, FALSE);
  g_byte_array_append (frame, (const guint8 *) line, strlen (line));
  g_byte_array_append (frame, (const guint8 *) "\n", 1);
  if (payload_len > 0)
    g_byte_array_append (frame, payload, payload_len);
  return exchange_send (x, frame->data, frame->len, error);
}

/* The next event of the answer (owned by the caller), waiting up to the deadline. */
static MiraWyomingEvent *
exchange_receive (Exchange  *x,
                  GError   **error)
{
  g_autofree guint8 *buffer = NULL;

  while (x->events->len == 0)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n;

      if (buffer == NULL)
        buffer = g_malloc (READ_SIZE);
      if (!exchange_wait (x, G_IO_IN, error))
        return NULL;
      n = g_socket_receive (x->socket, (char *) buffer, READ_SIZE, x->cancellable, &local_error);
      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                         "%s: receiving failed: %s", x->self->name, local_error->message);
          return NULL;
        }
      if (n == 0)
        {
          g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                       "%s: the service closed the connection %s", x->self->name,
                       x->answering || !mira_wyoming_parser_is_idle (x->parser)
                         ? "in the middle of its answer" : "without answering");
          return NULL;
        }
      x->answering = TRUE;
      if (!mira_wyoming_parser_feed_binary (x->parser, buffer, n, x->events, &local_error))
        {
          g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                       "%s: not a Wyoming answer: %s", x->self->name, local_error->message);
          return NULL;
        }
    }
  return g_ptr_array_steal_index (x->events, 0);
}

static const char *
mira_wyoming_transcriber_get_name (MiraTranscriber *transcriber)
{
  return MIRA_WYOMING_TRANSCRIBER (transcriber)->name;
}

static JsonObject *
audio_format (gint64 timestamp_ms)
{
  JsonObject *format = json_object_new ();

  json_object_set_int_member (format, "rate", 16000);
  json_object_set_int_member (format, "width", 2);
  json_object_set_int_member (format, "channels", 1);
  json_object_set_int_member (format, "timestamp", timestamp_ms);
  return format;
}

/* The `text` of an `error` or `transcript` event, or NULL when it has none */
static const char *
event_text (MiraWyomingEvent *event)
{
  JsonNode *text = json_object_get_member (event->data, "text");

  if (text == NULL || !JSON_NODE_HOLDS_VALUE (text) ||
      json_node_get_value_type (text) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (text), -1, NULL))
    return NULL;
  return json_node_get_string (text);
}

static gboolean
refused (MiraWyomingTranscriber  *self,
         MiraWyomingEvent        *event,
         GError                 **error)
{
  const char *text = event_text (event);

  g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_REFUSED,
               "%s: the service answered with an error: %s", self->name,
               text ? text : "(no text)");
  return FALSE;
}

static MiraTranscript *
mira_wyoming_transcriber_transcribe (MiraTranscriber  *transcriber,
                                     const gint16     *samples,
                                     gsize             n_samples,
                                     const char       *language,
                                     GCancellable     *cancellable,
                                     GError          **error)
{
  MiraWyomingTranscriber *self = MIRA_WYOMING_TRANSCRIBER (transcriber);
  g_auto(Exchange) x = { 0 };
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonObject) start = audio_format (0);
  g_autoptr(JsonObject) stop = json_object_new ();
  g_autofree char *code = mira_transcriber_language_code (language);
  MiraTranscript *transcript;

  /* Whisper's services take the language's ISO 639 code ("en", not
   * "en-GB"); without one they use their own default
   */
  if (code != NULL)
    json_object_set_string_member (request, "language", code);

  if (!exchange_open (&x, self, cancellable, error) ||
      !exchange_send_event (&x, "transcribe", request, NULL, 0, error) ||
      !exchange_send_event (&x, "audio-start", start, NULL, 0, error))
    return NULL;

  for (gsize i = 0; i < n_samples; i += CHUNK_SAMPLES)
    {
      gsize n = MIN (CHUNK_SAMPLES, n_samples - i);
      g_autoptr(JsonObject) format = audio_format (i * 1000 / 16000);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      const guint8 *payload = (const guint8 *) (samples + i);
#else
      gint16 le[CHUNK_SAMPLES];
      const guint8 *payload = (const guint8 *) le;

      for (gsize j = 0; j < n; j++)
        le[j] = GINT16_TO_LE (samples[i + j]);
#endif

      if (!exchange_send_event (&x, "audio-chunk", format, payload, n * sizeof (gint16), error))
        return NULL;
    }
  json_object_set_int_member (stop, "timestamp", n_samples * 1000 / 16000);
  if (!exchange_send_event (&x, "audio-stop", stop, NULL, 0, error))
    return NULL;

  for (;;)
    {
      g_autoptr(MiraWyomingEvent) event = exchange_receive (&x, error);
      const char *text;

      if (event == NULL)
        return NULL;
      if (g_str_equal (event->type, "error"))
        {
          refused (self, event, error);
          return NULL;
        }
      /* Newer services may stream transcript-start / transcript-chunk first */
      if (!g_str_equal (event->type, "transcript"))
        continue;
      text = event_text (event);
      if (text == NULL)
        {
          g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                       "%s: a transcript without a \"text\" string", self->name);
          return NULL;
        }
      transcript = g_new0 (MiraTranscript, 1);
      transcript->text = g_strdup (text);
      transcript->backend = g_strdup (self->name);
      g_mutex_lock (&self->lock);
      transcript->model = g_strdup (self->model);
      g_mutex_unlock (&self->lock);
      return transcript;
    }
}

/* The first speech-to-text program of an `info` event, and its first model */
static char *
info_model (MiraWyomingEvent *event)
{
  JsonNode *asr = json_object_get_member (event->data, "asr");
  JsonArray *programs;

  if (asr == NULL || !JSON_NODE_HOLDS_ARRAY (asr))
    return NULL;
  programs = json_node_get_array (asr);
  for (guint i = 0; i < json_array_get_length (programs); i++)
    {
      JsonNode *node = json_array_get_element (programs, i);
      JsonObject *program;
      const char *name;
      JsonNode *models;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      program = json_node_get_object (node);
      name = json_object_get_string_member_with_default (program, "name", NULL);
      models = json_object_get_member (program, "models");
      if (models != NULL && JSON_NODE_HOLDS_ARRAY (models) &&
          json_array_get_length (json_node_get_array (models)) > 0)
        {
          JsonNode *model = json_array_get_element (json_node_get_array (models), 0);

          if (JSON_NODE_HOLDS_OBJECT (model) &&
              json_object_get_string_member_with_default (json_node_get_object (model),
                                                          "name", NULL) != NULL)
            return g_strdup (json_object_get_string_member (json_node_get_object (model),
                                                            "name"));
        }
      if (name != NULL)
        return g_strdup (name);
    }
  return NULL;
}

static char *
mira_wyoming_transcriber_describe (MiraTranscriber  *transcriber,
                                   GCancellable     *cancellable,
                                   GError          **error)
{
  MiraWyomingTranscriber *self = MIRA_WYOMING_TRANSCRIBER (transcriber);
  g_auto(Exchange) x = { 0 };

  if (!exchange_open (&x, self, cancellable, error) ||
      !exchange_send_event (&x, "describe", NULL, NULL, 0, error))
    return NULL;
  for (;;)
    {
      g_autoptr(MiraWyomingEvent) event = exchange_receive (&x, error);
      char *model;

      if (event == NULL)
        return NULL;
      if (g_str_equal (event->type, "error"))
        {
          refused (self, event, error);
          return NULL;
        }
      if (!g_str_equal (event->type, "info"))
        continue;
      model = info_model (event);
      if (model == NULL)
        {
          g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                       "%s: its info names no speech-to-text program (asr)", self->name);
          return NULL;
        }
      g_mutex_lock (&self->lock);
      g_free (self->model);
      self->model = g_strdup (model);
      g_mutex_unlock (&self->lock);
      return model;
    }
}

static void
mira_wyoming_transcriber_iface_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_wyoming_transcriber_get_name;
  iface->transcribe = mira_wyoming_transcriber_transcribe;
  iface->describe = mira_wyoming_transcriber_describe;
}

static void
mira_wyoming_transcriber_finalize (GObject *object)
{
  MiraWyomingTranscriber *self = MIRA_WYOMING_TRANSCRIBER (object);

  g_free (self->host);
  g_free (self->name);
  g_free (self->model);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (mira_wyoming_transcriber_parent_class)->finalize (object);
}

static void
mira_wyoming_transcriber_class_init (MiraWyomingTranscriberClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_wyoming_transcriber_finalize;
}

static void
mira_wyoming_transcriber_init (MiraWyomingTranscriber *self)
{
  g_mutex_init (&self->lock);
}

MiraWyomingTranscriber *
mira_wyoming_transcriber_new (const char *host,
                              guint16     port,
                              guint       timeout_ms)
{
  MiraWyomingTranscriber *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);

  self = g_object_new (MIRA_TYPE_WYOMING_TRANSCRIBER, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->timeout_ms = timeout_ms;
  self->name = strchr (host, ':') ? g_strdup_printf ("wyoming://[%s]:%u", host, port)
                                  : g_strdup_printf ("wyoming://%s:%u", host, port);
  return self;
}
