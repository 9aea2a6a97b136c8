/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include "mira-test-live.h"

#include <stdarg.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* The client side */

struct _MiraTestClient
{
  GMainContext *context;
  SoupSession  *session;
  char         *base_url;
  guint         n_pending;
};

MiraTestClient *
mira_test_client_new (const char *base_url)
{
  MiraTestClient *self = g_new0 (MiraTestClient, 1);

  self->context = g_main_context_new ();
  g_main_context_push_thread_default (self->context);
  self->base_url = g_strdup (base_url);
  /* A hung request fails the test instead of the whole run's timeout. */
  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "idle-timeout", 30,
                                                 "max-conns", 64,
                                                 "max-conns-per-host", 32,
                                                 "user-agent", "mira-test-live",
                                                 NULL);
  return self;
}

void
mira_test_client_free (MiraTestClient *self)
{
  if (self == NULL)
    return;
  soup_session_abort (self->session);
  g_clear_object (&self->session);
  /* Let the closes and cancellations run their course. */
  mira_test_client_run (self, 50);
  g_main_context_pop_thread_default (self->context);
  g_main_context_unref (self->context);
  g_free (self->base_url);
  g_free (self);
}

static gboolean
wake_up (gpointer user_data)
{
  gboolean *fired = user_data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
mira_test_client_run_until (MiraTestClient *self,
                            guint           timeout_ms,
                            gboolean      (*done) (gpointer data),
                            gpointer        data)
{
  gboolean fired = FALSE;
  GSource *timeout = g_timeout_source_new (timeout_ms);
  gboolean result;

  g_source_set_callback (timeout, wake_up, &fired, NULL);
  g_source_attach (timeout, self->context);
  while (!(result = done != NULL && done (data)) && !fired)
    g_main_context_iteration (self->context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return result;
}

void
mira_test_client_flush (MiraTestClient *self)
{
  while (g_main_context_iteration (self->context, FALSE))
    ;
}

void
mira_test_client_run (MiraTestClient *self,
                      guint           ms)
{
  mira_test_client_run_until (self, ms, NULL, NULL);
}

typedef struct
{
  GBytes  *bytes;
  GError  *error;
  gboolean done;
} Request;

static void
request_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Request *request = user_data;

  request->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                      &request->error);
  request->done = TRUE;
}

static gboolean
request_is_done (gpointer data)
{
  return ((Request *) data)->done;
}

MiraTestResponse *
mira_test_client_request (MiraTestClient *self,
                          const char     *method,
                          const char     *path,
                          const char     *token,
                          const char     *json_body)
{
  g_autoptr(GBytes) body = json_body ? g_bytes_new (json_body, strlen (json_body)) : NULL;

  return mira_test_client_request_full (self, method, path, token, "application/json", body);
}

JsonObject *
mira_test_client_expect (MiraTestClient *self,
                         MiraTestScope  *scope,
                         const char     *file,
                         int             line,
                         guint           status,
                         const char     *method,
                         const char     *path,
                         const char     *token,
                         const char     *json_body)
{
  MiraTestResponse *r = mira_test_client_request (self, method, path, token, json_body);

  mira_test_scope_keep (scope, r, (GDestroyNotify) mira_test_response_free);
  if (r->status != status)
    mira_test_fail_at (file, line, "request", "%s %s %s answered %u, not %u: %s", method, path,
                       json_body ? json_body : "", r->status, status, r->body);
  if (r->json != NULL && JSON_NODE_HOLDS_OBJECT (r->json))
    return json_node_get_object (r->json);
  return NULL;
}

MiraTestResponse *
mira_test_client_request_full (MiraTestClient *self,
                               const char     *method,
                               const char     *path,
                               const char     *token,
                               const char     *content_type,
                               GBytes         *body)
{
  g_autofree char *uri = g_strconcat (self->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  Request request = { 0 };
  MiraTestResponse *response;
  const char *type;

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, NULL, request_done,
                                    &request);
  mira_test_client_run_until (self, 60 * 1000, request_is_done, &request);
  if (!request.done)
    g_error ("%s %s: no answer within 60 s", method, path);
  g_assert_no_error (request.error);

  response = g_new0 (MiraTestResponse, 1);
  response->status = soup_message_get_status (msg);
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  response->content_type = g_strdup (type);
  response->body_len = g_bytes_get_size (request.bytes);
  response->body = g_strndup (g_bytes_get_data (request.bytes, NULL), response->body_len);
  if (type != NULL && g_str_equal (type, "application/json"))
    response->json = json_from_string (response->body, NULL);
  g_bytes_unref (request.bytes);
  return response;
}

typedef struct
{
  MiraTestClient *client;
  SoupMessage    *msg;
  guint           status;
} Sent;

static void
sent_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Sent *sent = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);

  g_assert_no_error (error);
  if (soup_message_get_status (sent->msg) != sent->status)
    g_error ("%s %s answered %u, not %u: %.*s", soup_message_get_method (sent->msg),
             g_uri_get_path (soup_message_get_uri (sent->msg)),
             soup_message_get_status (sent->msg), sent->status,
             (int) g_bytes_get_size (bytes), (const char *) g_bytes_get_data (bytes, NULL));
  sent->client->n_pending--;
  g_object_unref (sent->msg);
  g_free (sent);
}

void
mira_test_client_send (MiraTestClient *self,
                       guint           status,
                       const char     *method,
                       const char     *path,
                       const char     *token,
                       const char     *json_body)
{
  g_autofree char *uri = g_strconcat (self->base_url, path, NULL);
  Sent *sent = g_new0 (Sent, 1);

  sent->client = self;
  sent->status = status;
  sent->msg = soup_message_new (method, uri);
  g_assert_nonnull (sent->msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (sent->msg),
                                    "Authorization", auth);
    }
  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (sent->msg, "application/json", body);
    }
  self->n_pending++;
  soup_session_send_and_read_async (self->session, sent->msg, G_PRIORITY_DEFAULT, NULL,
                                    sent_done, sent);
}

guint
mira_test_client_n_pending (MiraTestClient *self)
{
  return self->n_pending;
}

/* WebSockets */

struct _MiraTestSocket
{
  MiraTestClient          *client;
  SoupWebsocketConnection *conn;
  GPtrArray               *messages;   /* MiraTestMessage* */
  gboolean                 closed;
  gushort                  close_code;
  GError                  *error;
  gboolean                 connecting;
};

static void
message_free (gpointer data)
{
  MiraTestMessage *message = data;

  g_free (message->text);
  g_clear_pointer (&message->object, json_object_unref);
  g_free (message);
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  MiraTestSocket *self = user_data;
  MiraTestMessage *message = g_new0 (MiraTestMessage, 1);

  message->time_us = g_get_monotonic_time ();
  message->binary = type == SOUP_WEBSOCKET_DATA_BINARY;
  if (!message->binary)
    {
      g_autoptr(JsonNode) node = NULL;
      gsize size;
      const char *data = g_bytes_get_data (bytes, &size);

      message->text = g_strndup (data, size);
      node = json_from_string (message->text, NULL);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        message->object = json_object_ref (json_node_get_object (node));
    }
  g_ptr_array_add (self->messages, message);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  MiraTestSocket *self = user_data;

  self->closed = TRUE;
  self->close_code = soup_websocket_connection_get_close_code (conn);
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  MiraTestSocket *self = user_data;

  self->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                      &self->error);
  self->connecting = FALSE;
}

static gboolean
is_connected (gpointer data)
{
  return !((MiraTestSocket *) data)->connecting;
}

MiraTestSocket *
mira_test_socket_connect (MiraTestClient *client,
                          const char     *path)
{
  g_autofree char *http = g_strconcat (client->base_url, path, NULL);
  g_autofree char *uri = g_strconcat ("ws", http + strlen ("http"), NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  MiraTestSocket *self = g_new0 (MiraTestSocket, 1);

  g_assert_nonnull (msg);
  self->client = client;
  self->messages = g_ptr_array_new_with_free_func (message_free);
  self->connecting = TRUE;
  soup_session_websocket_connect_async (client->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, connected, self);
  mira_test_client_run_until (client, 30 * 1000, is_connected, self);
  if (self->connecting)
    g_error ("%s: no handshake within 30 s", path);
  g_assert_no_error (self->error);

  /* Events of 50 KB and more must come through whole. */
  soup_websocket_connection_set_max_incoming_payload_size (self->conn, 64 * 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (self->conn, 0);
  g_signal_connect (self->conn, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->conn, "closed", G_CALLBACK (on_closed), self);
  return self;
}

void
mira_test_socket_free (MiraTestSocket *self)
{
  if (self == NULL)
    return;
  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->conn);
    }
  g_ptr_array_unref (self->messages);
  g_clear_error (&self->error);
  g_free (self);
}

void
mira_test_socket_send_text (MiraTestSocket *self,
                            const char     *text)
{
  g_assert_cmpint (soup_websocket_connection_get_state (self->conn), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_text (self->conn, text);
}

void
mira_test_socket_send_binary (MiraTestSocket *self,
                              gconstpointer   data,
                              gsize           len)
{
  g_assert_cmpint (soup_websocket_connection_get_state (self->conn), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_binary (self->conn, data, len);
}

void
mira_test_socket_close (MiraTestSocket *self)
{
  if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

gboolean
mira_test_socket_is_closed (MiraTestSocket *self)
{
  return self->closed;
}

gboolean
mira_test_socket_is_open (MiraTestSocket *self)
{
  return soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

gushort
mira_test_socket_close_code (MiraTestSocket *self)
{
  return self->close_code;
}

guint
mira_test_socket_n_messages (MiraTestSocket *self)
{
  return self->messages->len;
}

MiraTestMessage *
mira_test_socket_message (MiraTestSocket *self,
                          guint           index)
{
  g_assert_cmpuint (index, <, self->messages->len);
  return g_ptr_array_index (self->messages, index);
}

static gint
find_type (MiraTestSocket *self,
           const char     *type,
           guint           from)
{
  for (guint i = from; i < self->messages->len; i++)
    {
      MiraTestMessage *message = g_ptr_array_index (self->messages, i);

      if (message->object != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (message->object, "type", ""),
                     type) == 0)
        return (gint) i;
    }
  return -1;
}

typedef struct
{
  MiraTestSocket *socket;
  const char     *type;
  guint           from;
} Wait;

static gboolean
has_type (gpointer data)
{
  Wait *wait = data;

  return find_type (wait->socket, wait->type, wait->from) >= 0;
}

JsonObject *
mira_test_socket_wait_for (MiraTestSocket *self,
                           const char     *type,
                           guint           from,
                           guint           timeout_ms,
                           guint          *index_out)
{
  Wait wait = { self, type, from };
  gint index;

  mira_test_client_run_until (self->client, timeout_ms, has_type, &wait);
  index = find_type (self, type, from);
  if (index < 0)
    return NULL;
  if (index_out != NULL)
    *index_out = (guint) index;
  return ((MiraTestMessage *) g_ptr_array_index (self->messages, index))->object;
}

guint
mira_test_socket_count (MiraTestSocket *self,
                        const char     *type,
                        guint           from)
{
  guint n = 0;
  gint i = (gint) from - 1;

  while ((i = find_type (self, type, (guint) (i + 1))) >= 0)
    n++;
  return n;
}

static gboolean
socket_is_closed (gpointer data)
{
  return ((MiraTestSocket *) data)->closed;
}

gboolean
mira_test_socket_wait_closed (MiraTestSocket *self,
                              guint           timeout_ms)
{
  return mira_test_client_run_until (self->client, timeout_ms, socket_is_closed, self);
}

/* Speech */

typedef struct
{
  MiraTestSpeech  speech;
  float          *samples;
} Speech;

static void
speech_free (gpointer data)
{
  Speech *speech = data;

  g_free (speech->samples);
  g_free (speech);
}

static GMutex speech_lock;
static GHashTable *speech_cache;   /* "voice\ntext" → Speech* */
static char *speech_dir;
static guint speech_count;

static void
speech_cleanup (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (speech_dir == NULL)
    return;
  dir = g_dir_open (speech_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (speech_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (speech_dir);
  g_clear_pointer (&speech_dir, g_free);
  g_clear_pointer (&speech_cache, g_hash_table_unref);
}

static guint32
read_le32 (const guint8 *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
}

/* The samples of a 16 kHz mono s16 WAV file, as flite writes it */
static float *
read_wav (const char *path,
          gsize      *n_out)
{
  g_autofree guint8 *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len, pos = 12;
  const guint8 *fmt = NULL;

  g_file_get_contents (path, (char **) &data, &len, &error);
  g_assert_no_error (error);
  g_assert_true (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WAVE", 4) == 0);

  while (pos + 8 <= len)
    {
      guint32 size = read_le32 (data + pos + 4);
      const guint8 *body = data + pos + 8;

      g_assert_cmpuint (size, <=, len - pos - 8);
      if (memcmp (data + pos, "fmt ", 4) == 0)
        fmt = body;
      else if (memcmp (data + pos, "data", 4) == 0)
        {
          float *samples = g_new (float, size / 2);

          g_assert_nonnull (fmt);
          g_assert_cmpuint (fmt[0] | fmt[1] << 8, ==, 1);        /* PCM */
          g_assert_cmpuint (fmt[2] | fmt[3] << 8, ==, 1);        /* mono */
          g_assert_cmpuint (read_le32 (fmt + 4), ==, 16000);
          g_assert_cmpuint (fmt[14] | fmt[15] << 8, ==, 16);     /* bits */
          for (gsize i = 0; i < size / 2; i++)
            samples[i] = (gint16) (body[2 * i] | body[2 * i + 1] << 8) / 32768.0f;
          *n_out = size / 2;
          return samples;
        }
      pos += 8 + size + (size & 1);
    }
  g_assert_not_reached ();
}

/* The RMS of the 20 ms frames within 40 dB of the loudest: the level of the
 * speech, not of the pauses around it.
 */
static double
active_dbfs (const float *samples,
             gsize        n)
{
  gsize n_frames = n / 320;
  g_autofree double *energy = g_new0 (double, n_frames + 1);
  double loudest = 0, sum = 0;
  gsize count = 0;

  for (gsize f = 0; f < n_frames; f++)
    {
      for (gsize i = 0; i < 320; i++)
        energy[f] += (double) samples[f * 320 + i] * samples[f * 320 + i];
      energy[f] /= 320;
      loudest = MAX (loudest, energy[f]);
    }
  for (gsize f = 0; f < n_frames; f++)
    if (energy[f] >= loudest * 1e-4)
      {
        sum += energy[f];
        count++;
      }
  g_assert_cmpuint (count, >, 0);
  return 10 * log10 (sum / count);
}

const MiraTestSpeech *
mira_test_speech_get (const char *voice,
                      const char *text)
{
  g_autofree char *key = g_strconcat (voice, "\n", text, NULL);
  Speech *speech;

  g_mutex_lock (&speech_lock);
  if (speech_cache == NULL)
    {
      g_autoptr(GError) error = NULL;

      speech_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, speech_free);
      speech_dir = g_dir_make_tmp ("mira-test-speech-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (speech_cleanup);
    }
  speech = g_hash_table_lookup (speech_cache, key);
  if (speech == NULL)
    {
      g_autofree char *name = g_strdup_printf ("%u-%s.wav", ++speech_count, voice);
      g_autofree char *path = g_build_filename (speech_dir, name, NULL);
      const char *argv[] = { "flite", "-voice", voice, "-t", text, "-o", path, NULL };
      g_autoptr(GError) error = NULL;
      int status = 0;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    &status, &error);
      g_assert_no_error (error);
      g_spawn_check_wait_status (status, &error);
      g_assert_no_error (error);

      speech = g_new0 (Speech, 1);
      speech->samples = read_wav (path, &speech->speech.n);
      speech->speech.samples = speech->samples;
      speech->speech.active_dbfs = active_dbfs (speech->samples, speech->speech.n);
      /* Kept until exit: callers hold on to the samples. */
      g_hash_table_insert (speech_cache, g_steal_pointer (&key), speech);
    }
  g_mutex_unlock (&speech_lock);
  return &speech->speech;
}

/* xorshift64 and Box–Muller: the same noise on every run and platform. */
static guint64
next_random (guint64 *state)
{
  guint64 x = *state;

  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *state = x;
}

static double
next_gaussian (guint64 *state)
{
  double u1 = ((next_random (state) >> 11) + 1.0) / 9007199254740993.0;
  double u2 = (next_random (state) >> 11) / 9007199254740992.0;

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

gint16 *
mira_test_speech_mix (const MiraTestSpeech *speech,
                      double                speech_dbfs,
                      double                snr_db,
                      double                gain,
                      guint                 lead_ms,
                      guint                 tail_ms,
                      guint64               seed,
                      gsize                *n_out)
{
  gsize lead = lead_ms * 16, n = lead + speech->n + tail_ms * 16;
  gint16 *pcm = g_new (gint16, n);
  double k = pow (10.0, (speech_dbfs - speech->active_dbfs) / 20.0) * 32768.0;
  double noise_rms = isinf (snr_db) ? 0.0 : 32768.0 * pow (10.0, (speech_dbfs - snr_db) / 20.0);
  guint64 state = seed * 0x9e3779b97f4a7c15ull + 1;

  for (gsize i = 0; i < n; i++)
    {
      double s = i >= lead && i - lead < speech->n ? k * speech->samples[i - lead] : 0.0;
      double v = gain * (s + noise_rms * next_gaussian (&state));

      pcm[i] = (gint16) CLAMP (lrint (v), -32768, 32767);
    }
  *n_out = n;
  return pcm;
}

void
mira_test_fail_at (const char *file,
                   int         line,
                   const char *func,
                   const char *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
  g_abort ();
}

/* Networks */

static void
net_free (gpointer data)
{
  MiraTestNet *net = data;

  g_clear_pointer (&net->events, mira_test_socket_free);
  g_free (net->id);
  g_free (net->token);
  g_free (net);
}

MiraTestNet *
mira_test_net_new_quiet (MiraTestClient *client,
                         MiraTestScope  *scope,
                         const char     *name,
                         const char     *timezone)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  MiraTestNet *net = g_new0 (MiraTestNet, 1);
  JsonObject *o;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  if (timezone != NULL)
    {
      json_builder_set_member_name (builder, "settings");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "timezone");
      json_builder_add_string_value (builder, timezone);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  o = mira_test_client_expect (client, scope, __FILE__, __LINE__, 201, "POST", "/api/v1/networks",
                               MIRA_TEST_ADMIN_TOKEN, body);
  net->id = g_strdup (mira_test_json_string (o, "network_id"));
  net->token = g_strdup (mira_test_json_string (o, "network_token"));
  mira_test_check (net->id != NULL && net->token != NULL, "no network_id or network_token: %s",
                   body);
  return mira_test_scope_keep (scope, net, net_free);
}

MiraTestNet *
mira_test_net_new (MiraTestClient *client,
                   MiraTestScope  *scope,
                   const char     *name,
                   const char     *timezone)
{
  MiraTestNet *net = mira_test_net_new_quiet (client, scope, name, timezone);
  JsonObject *hello;

  net->events = mira_test_socket_connect (client,
                                          mira_test_scope_printf (scope, "/api/v1/%s/ws?token=%s",
                                                                  net->id, net->token));
  hello = mira_test_socket_wait_for (net->events, "connection_established", 0, 10000, NULL);
  mira_test_check (hello != NULL, "the event socket of %s said no connection_established", name);
  mira_test_check (g_strcmp0 (mira_test_json_string (hello, "network_id"), net->id) == 0,
                   "connection_established of %s names network %s", net->id,
                   mira_test_json_string (hello, "network_id"));
  return net;
}
