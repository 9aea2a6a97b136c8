/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* Speech at the dashboard's microphone to its words on the client side.
 *
 * It starts the built mira-server (default transcriber, PocketSphinx),
 * registers this computer, and records with the app's own MiraCapture: a
 * GStreamer source plays a WAV file in real time (flite's sentence between
 * room noise, as an always-on microphone hears it) through the capture's
 * pipeline (audioconvert, audioresample, level, opusenc) and its audio
 * socket. A client on the network's event socket, on the same main loop as
 * the capture (as the dashboard's connection is), waits for the
 * interaction_created of the sentence, --repeat times.
 *
 * The end of speech is the moment the sentence's last voiced sample (the
 * last one at or above --threshold) plays: the call to mira_capture_start()
 * plus its offset in the file. The source cannot play before that call, so
 * the figure is an upper bound by the pipeline's start-up (a few ms, also
 * printed).
 *
 *   ninja -C _build tests/bench/bench-capture && ./_build/tests/bench/bench-capture
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench-common.h"
#include "mira-capture.h"

#define RATE 16000

static char *opt_server = NULL;
static char *opt_text = NULL;
static int opt_repeat = 10;
static int opt_threshold = 500;
static int opt_lead_ms = 1000;
static int opt_tail_ms = 3000;
static double opt_max_other = 0.2;
static int opt_quiet_wait = 60;

typedef struct
{
  GMainContext            *context;
  SoupWebsocketConnection *events;
  gboolean                 established;
  /* The run's interaction_created, and the audio_stream_selected that
   * closed its window (the arbiter heard the silence after the words)
   */
  gint64                   created_at;
  gint64                   selected_at;
  char                    *content;
  /* The capture */
  gint64                   recording_at;
  guint                    transcripts;
} Bench;

static void
on_event (SoupWebsocketConnection *socket,
          gint                     type,
          GBytes                  *message,
          gpointer                 user_data)
{
  Bench *bench = user_data;
  gint64 now = bench_now ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  JsonObject *event;
  const char *event_type;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  event = json_node_get_object (json_parser_get_root (parser));
  event_type = json_object_get_string_member_with_default (event, "type", "");
  if (g_str_equal (event_type, "connection_established"))
    bench->established = TRUE;
  else if (g_str_equal (event_type, "audio_stream_selected"))
    {
      const char *reason = json_object_get_string_member_with_default (event, "reason", "");

      /* "live…" reasons pick a stream while the utterance goes on */
      if (!g_str_has_prefix (reason, "live") && bench->selected_at == 0)
        bench->selected_at = now;
    }
  else if (g_str_equal (event_type, "interaction_created") && bench->created_at == 0)
    {
      JsonObject *interaction = json_object_get_object_member (event, "interaction");

      bench->created_at = now;
      bench->content = g_strdup (json_object_get_string_member_with_default (interaction,
                                                                           "content", ""));
    }
}

static void
on_events_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;

  bench->events = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (bench->events == NULL)
    g_error ("event socket: %s", error->message);
  soup_websocket_connection_set_max_incoming_payload_size (bench->events, 16 * 1024 * 1024);
  g_signal_connect (bench->events, "message", G_CALLBACK (on_event), bench);
}

static void
on_state (MiraCapture *capture,
          GParamSpec  *pspec,
          Bench       *bench)
{
  if (mira_capture_get_state (capture) == MIRA_CAPTURE_STATE_RECORDING && bench->recording_at == 0)
    bench->recording_at = bench_now ();
  if (mira_capture_get_state (capture) == MIRA_CAPTURE_STATE_FAILED)
    g_error ("recording failed: %s", mira_capture_get_error (capture)->message);
}

static void
on_transcript (MiraCapture *capture,
               const char  *text,
               const char  *interaction_id,
               Bench       *bench)
{
  bench->transcripts++;
}

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main context until @done says so or @timeout_us passed */
static gboolean
run_until (Bench    *bench,
           gboolean (*done) (Bench *bench, gpointer data),
           gpointer  data,
           gint64    timeout_us)
{
  gint64 deadline = bench_now () + timeout_us;
  GSource *ticker = g_timeout_source_new (50);

  g_source_set_callback (ticker, tick, NULL, NULL);
  g_source_attach (ticker, bench->context);
  while (!done (bench, data) && bench_now () < deadline)
    g_main_context_iteration (bench->context, TRUE);
  g_source_destroy (ticker);
  g_source_unref (ticker);
  return done (bench, data);
}

static gboolean
is_established (Bench    *bench,
                gpointer  data)
{
  return bench->established;
}

static gboolean
has_interaction (Bench    *bench,
                 gpointer  data)
{
  return bench->created_at != 0;
}

static gboolean
has_all_transcripts (Bench    *bench,
                     gpointer  data)
{
  return bench->transcripts >= GPOINTER_TO_UINT (data);
}

static gboolean
is_idle (Bench    *bench,
         gpointer  data)
{
  return mira_capture_get_state (data) == MIRA_CAPTURE_STATE_IDLE;
}

static void
write_wav (const char   *path,
           const gint16 *samples,
           gsize         n)
{
  g_autoptr(GByteArray) wav = g_byte_array_sized_new (44 + n * 2);
  g_autoptr(GError) error = NULL;
  guint32 data_len = (guint32) n * 2;
  guint32 u32;
  guint16 u16;

#define PUT(bytes, len) g_byte_array_append (wav, (const guint8 *) (bytes), len)
#define PUT32(v) (u32 = GUINT32_TO_LE (v), PUT (&u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), PUT (&u16, 2))
  PUT ("RIFF", 4);
  PUT32 (36 + data_len);
  PUT ("WAVEfmt ", 8);
  PUT32 (16);
  PUT16 (1);           /* PCM */
  PUT16 (1);           /* mono */
  PUT32 (RATE);
  PUT32 (RATE * 2);
  PUT16 (2);
  PUT16 (16);
  PUT ("data", 4);
  PUT32 (data_len);
  for (gsize i = 0; i < n; i++)
    PUT16 ((guint16) samples[i]);
#undef PUT16
#undef PUT32
#undef PUT
  if (!g_file_set_contents (path, (const char *) wav->data, wav->len, &error))
    g_error ("%s", error->message);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- speech at the microphone to "
                                                            "its words");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GArray) clean = NULL;
  g_autoptr(GArray) totals = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) windows = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(MiraCapture) capture = NULL;
  g_autofree gint16 *audio = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *wav = NULL;
  g_autofree char *source = NULL;
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *session_token = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  BenchServer server = { 0 };
  Bench bench = { 0 };
  gssize first_voiced, last_voiced;
  gsize lead, n;
  double end_offset_s, self0, server0, audio_s = 0, self_cpu, p50 = INFINITY;
  guint missed = 0;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The mira-server to run", "PATH" },
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &opt_repeat, "Sentences (10)", "N" },
    { "text", 0, 0, G_OPTION_ARG_STRING, &opt_text, "The sentence flite says", "TEXT" },
    { "threshold", 0, 0, G_OPTION_ARG_INT, &opt_threshold,
      "A sample at or above this magnitude is voiced (500, about -36 dBFS)", "N" },
    { "lead-ms", 0, 0, G_OPTION_ARG_INT, &opt_lead_ms, "Room noise before the words (1000)",
      "MS" },
    { "tail-ms", 0, 0, G_OPTION_ARG_INT, &opt_tail_ms, "Room noise after them (3000)", "MS" },
    { "max-other", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_other,
      "Wait before a sentence while other processes take more cores than this (0.2)", "CORES" },
    { "quiet-wait", 0, 0, G_OPTION_ARG_INT, &opt_quiet_wait, "...for at most this long (60)",
      "S" },
    { NULL }
  };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("bench-capture: %s\n", error->message);
      return 2;
    }
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (opt_text == NULL)
    opt_text = g_strdup ("Please remind me to call the plumber tomorrow morning.");
  if (opt_repeat < 1 || opt_lead_ms < 0 || opt_tail_ms < 1000)
    {
      g_printerr ("bench-capture: --repeat at least 1, --tail-ms at least 1000\n");
      return 2;
    }
  if (!g_file_test (opt_server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("bench-capture: %s is not an executable; build it first\n", opt_server);
      return 1;
    }
  g_unsetenv ("MIRA_AUDIO_SOURCE");

  /* The microphone's audio: room noise (about -60 dBFS), the sentence, room noise */
  clean = bench_flite ("slt", opt_text);
  first_voiced = bench_first_voiced ((const gint16 *) clean->data, clean->len, opt_threshold);
  last_voiced = bench_last_voiced ((const gint16 *) clean->data, clean->len, opt_threshold);
  if (last_voiced < 0)
    g_error ("flite made no audible speech");
  lead = (gsize) opt_lead_ms * RATE / 1000;
  n = lead + clean->len + (gsize) opt_tail_ms * RATE / 1000;
  audio = g_new (gint16, n);
  for (gsize i = 0; i < n; i++)
    {
      gint v = g_rand_int_range (rand, -40, 41);

      if (i >= lead && i - lead < clean->len)
        v += g_array_index (clean, gint16, i - lead);
      audio[i] = (gint16) CLAMP (v, -32768, 32767);
    }
  dir = g_dir_make_tmp ("mira-bench-capture-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  wav = g_build_filename (dir, "microphone.wav", NULL);
  write_wav (wav, audio, n);
  source = g_strdup_printf ("filesrc location=\"%s\" ! wavparse", wav);
  end_offset_s = (double) (lead + (gsize) last_voiced + 1) / RATE;
  g_print ("Sentence: \"%s\" (flite slt): voiced %.2f s; the file: %.2f s of room noise, the "
           "sentence, %.2f s of room noise; speech ends %.3f s into it\n", opt_text,
           (last_voiced - first_voiced) / (double) RATE, opt_lead_ms / 1000.0,
           opt_tail_ms / 1000.0, end_offset_s);

  bench_server_start (&server, opt_server, NULL, "warning");
  g_print ("mira-server pid %d at %s (PocketSphinx); %u CPUs\n", (int) server.pid, server.url,
           g_get_num_processors ());

  bench.context = g_main_context_ref_thread_default ();
  session = soup_session_new_with_options ("timeout", 60, NULL);
  network_id = bench_network_new (&server, session, "Dashboard", &token);
  session_token = bench_client_register (&server, session, network_id, token, "dashboard");

  url = g_strdup_printf ("ws://%s:%u/api/v1/%s/ws?token=%s", server.host, server.port,
                         network_id, token);
  msg = soup_message_new ("GET", url);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_events_connected, &bench);
  if (!run_until (&bench, is_established, NULL, 10 * G_USEC_PER_SEC))
    g_error ("the event socket said no connection_established");

  capture = mira_capture_new ();
  g_free (url);
  url = g_strdup_printf ("ws://%s:%u/api/v1/%s/streams/dashboard/ws?codec=opus&token=%s",
                         server.host, server.port, network_id, session_token);
  mira_capture_set_audio_url (capture, url);
  mira_capture_set_audio_source (capture, source);
  g_signal_connect (capture, "notify::state", G_CALLBACK (on_state), &bench);
  g_signal_connect (capture, "transcript", G_CALLBACK (on_transcript), &bench);

  self0 = bench_cpu_seconds (getpid (), 0);
  server0 = bench_cpu_seconds (server.pid, 0);
  for (int r = 0; r < opt_repeat; r++)
    {
      double other = bench_wait_quiet (server.pid, opt_max_other, opt_quiet_wait);
      gint64 started, end_of_speech;

      bench.created_at = 0;
      bench.selected_at = 0;
      bench.recording_at = 0;
      g_clear_pointer (&bench.content, g_free);

      started = bench_now ();
      mira_capture_start (capture);
      end_of_speech = started + (gint64) (end_offset_s * G_USEC_PER_SEC);
      run_until (&bench, has_interaction, NULL,
                 (gint64) (end_offset_s + 15) * G_USEC_PER_SEC);
      if (bench.created_at == 0)
        {
          missed++;
          g_print ("  #%-2d no interaction_created within 15 s of the end of speech\n", r + 1);
        }
      else
        {
          double total = (bench.created_at - end_of_speech) / 1000.0;
          double start_ms = (bench.recording_at - started) / 1000.0;

          double closed = bench.selected_at ? (bench.selected_at - end_of_speech) / 1000.0 : NAN;

          g_array_append_val (totals, total);
          g_array_append_val (starts, start_ms);
          if (bench.selected_at)
            g_array_append_val (windows, closed);
          g_print ("  #%-2d %6.0f ms (window closed after %4.0f ms; start to RECORDING %.1f ms; "
                   "other processes %.2f cores) \"%s\"\n", r + 1, total, closed, start_ms, other,
                   bench.content);
        }
      /* The file plays to its end: audio-stop, IDLE */
      if (!run_until (&bench, is_idle, capture, (gint64) (opt_tail_ms / 1000 + 20) *
                      G_USEC_PER_SEC))
        g_error ("the capture did not stop at the end of the file");
      audio_s += (double) n / RATE;
    }
  self_cpu = bench_cpu_seconds (getpid (), 0) - self0;
  /* The last transcript may still be on its way on the lingering socket */
  run_until (&bench, has_all_transcripts, GUINT_TO_POINTER (totals->len), 10 * G_USEC_PER_SEC);

  g_print ("\nSpeech at the microphone to interaction_created on the client, %u sentences:\n",
           totals->len);
  if (totals->len > 0)
    {
      g_print ("  start to RECORDING: p50 %.1f ms, max %.1f ms\n", bench_percentile (starts, 50),
               bench_max (starts));
      if (windows->len > 0)
        g_print ("  window closed (the server heard the silence after the words): p50 %.0f ms, "
                 "max %.0f ms\n", bench_percentile (windows, 50), bench_max (windows));
      p50 = bench_percentile (totals, 50);
      g_print ("  p50 %.0f ms, p90 %.0f ms, max %.0f ms (target: p50 < 1500 ms: %s)\n", p50,
               bench_percentile (totals, 90), bench_max (totals), p50 < 1500 ? "met" : "NOT met");
    }
  g_print ("  missed: %u; transcripts on the audio socket: %u\n", missed, bench.transcripts);
  g_print ("  CPU: this process (capture and client) %.1f %% of a core over %.0f s of audio; "
           "server %.2f s\n", 100 * self_cpu / audio_s, audio_s,
           bench_cpu_seconds (server.pid, 0) - server0);

  g_clear_object (&capture);
  if (bench.events != NULL)
    soup_websocket_connection_close (bench.events, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&bench.events);
  g_free (bench.content);
  g_main_context_unref (bench.context);
  bench_server_stop (&server);
  g_unlink (wav);
  g_rmdir (dir);
  return missed == 0 && totals->len > 0 && p50 < 1500 ? 0 : 1;
}
