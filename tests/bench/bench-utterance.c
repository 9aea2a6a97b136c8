/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* End of utterance to interaction_created, for a 3-second utterance.
 *
 * It starts the built mira-server with its default transcriber
 * (PocketSphinx), registers one device, subscribes to the network's event
 * socket and streams a flite sentence (~3 s of speech) from the device's
 * audio socket in real time, --repeat times with a second between them:
 *
 *   trailing silence: the device keeps streaming (quiet room noise) after
 *     the sentence, as an always-on microphone does;
 *   audio-stop: the device sends audio-stop right after the sentence's last
 *     voiced frame.
 *
 * The end of the utterance is the moment the chunk holding the sentence's
 * last voiced sample (the last one at or above --threshold in the WAV) was
 * sent; the figure is the time from then to the interaction_created event
 * on the event socket. It also reports when the arbiter closed the window
 * (the audio_stream_selected event of the utterance), which splits the time
 * into waiting for the silence and transcribing + storing.
 *
 *   ninja -C _build tests/bench/bench-utterance && ./_build/tests/bench/bench-utterance
 */

#include "config.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench-common.h"

#define CHUNK_SAMPLES 320
#define CHUNK_US      20000

static char *opt_server = NULL;
static char *opt_text = NULL;
static char *opt_transcriber = NULL;
static int opt_repeat = 10;
static int opt_threshold = 500;
static int opt_gap_ms = 1000;
static double opt_max_other = 0.2;
static int opt_quiet_wait = 60;
static gboolean opt_verbose = FALSE;
static GPid server_pid;
static double last_other;   /* cores other processes took in the second before an utterance */

typedef struct
{
  /* Set by the event socket */
  gint64    created_at;
  gint64    selected_at;
  char     *content;
  gboolean  established;
  /* Set by the audio socket */
  gboolean  ready;
  gboolean  failed;
  guint     transcripts;
} State;

typedef struct
{
  const char *name;
  GArray     *total;     /* ms: end of speech → interaction_created */
  GArray     *closed;    /* ms: end of speech → window closed */
  guint       missed;
} Variant;

static State state;
static const char *client_id = "kitchen";

static void
on_event (BenchWs      *ws,
          guint         opcode,
          const guint8 *payload,
          gsize         len,
          gpointer      user_data)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *event;
  const char *type;
  gint64 now = bench_now ();

  if (opcode == BENCH_WS_CLOSE)
    {
      state.failed = TRUE;
      return;
    }
  if (opcode != BENCH_WS_TEXT)
    return;
  text = g_strndup ((const char *) payload, len);
  node = json_from_string (text, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  event = json_node_get_object (node);
  type = json_object_get_string_member_with_default (event, "type", "");
  if (opt_verbose && !g_str_equal (type, "stream_scores"))
    g_print ("    [%.3f] %s\n", now / 1e6, text);

  if (g_str_equal (type, "connection_established"))
    state.established = TRUE;
  else if (g_str_equal (type, "audio_stream_selected"))
    {
      const char *reason = json_object_get_string_member_with_default (event, "reason", "");

      /* The live best changes too; the utterance's own selection is the other one */
      if (!g_str_has_prefix (reason, "live") && state.selected_at == 0)
        state.selected_at = now;
    }
  else if (g_str_equal (type, "interaction_created") && state.created_at == 0)
    {
      JsonObject *interaction = json_object_get_object_member (event, "interaction");

      if (interaction != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (interaction, "client_id", ""),
                     client_id) == 0)
        {
          state.created_at = now;
          g_free (state.content);
          state.content = g_strdup (json_object_get_string_member_with_default (interaction,
                                                                                "content", ""));
        }
    }
}

static void
on_audio (BenchWs      *ws,
          guint         opcode,
          const guint8 *payload,
          gsize         len,
          gpointer      user_data)
{
  if (opcode == BENCH_WS_CLOSE)
    state.failed = TRUE;
  else if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"ready\"", 7) != NULL)
    state.ready = TRUE;
  else if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"transcript\"", 12) != NULL)
    state.transcripts++;
  else if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"error\"", 7) != NULL)
    {
      state.failed = TRUE;
      g_printerr ("audio socket: %.*s\n", (int) MIN (len, 300), payload);
    }
}

/* Reads both sockets until @until (µs, monotonic) */
static void
pump (BenchWs *events,
      BenchWs *audio,
      gint64   until)
{
  for (;;)
    {
      struct pollfd pfd[2] = { { events->fd, POLLIN, 0 }, { audio->fd, POLLIN, 0 } };
      gint64 left = until - bench_now ();
      int timeout = left <= 0 ? 0 : (int) ((left + 999) / 1000);

      if (poll (pfd, 2, MIN (timeout, 5)) > 0)
        {
          if (pfd[0].revents)
            bench_ws_read (events, on_event, NULL);
          if (pfd[1].revents)
            bench_ws_read (audio, on_audio, NULL);
        }
      if (bench_now () >= until || state.failed)
        return;
    }
}

static void
send_chunk (BenchWs      *audio,
            const gint16 *samples,
            guint         n)
{
  g_autofree char *header = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                             "\"width\":2,\"channels\":1},\"payload_length\":%u}\n",
                                             n * 2);
  g_autoptr(GByteArray) frames = g_byte_array_new ();

  bench_ws_frame (frames, BENCH_WS_TEXT, header, strlen (header));
  bench_ws_frame (frames, BENCH_WS_BINARY, samples, n * 2);
  bench_ws_send_raw (audio, frames->data, frames->len);
}

static const char *audio_start = "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,\"width\":2,"
                                 "\"channels\":1}}\n";
static const char *audio_stop = "{\"type\":\"audio-stop\"}\n";

/* One utterance. @speech holds the sentence up to and including the chunk of
 * its last voiced sample (@last_chunk); @silence is room noise.
 */
static void
run_once (Variant      *variant,
          gboolean      stop_after,
          BenchWs      *events,
          BenchWs      *audio,
          GArray       *speech,
          guint         last_chunk,
          GArray       *silence,
          gint64       *clock,
          int           rep)
{
  guint n_chunks = speech->len / CHUNK_SAMPLES;
  guint k;
  gint64 end_of_speech = 0;
  gint64 deadline;
  guint s = 0;

  double rep_other = last_other;

  state.created_at = 0;
  state.selected_at = 0;
  g_clear_pointer (&state.content, g_free);

  if (stop_after)
    bench_ws_send_text (audio, audio_start);

  for (k = 0; k < (stop_after ? last_chunk + 1 : n_chunks); k++)
    {
      pump (events, audio, *clock);
      send_chunk (audio, &g_array_index (speech, gint16, k * CHUNK_SAMPLES), CHUNK_SAMPLES);
      if (k == last_chunk)
        end_of_speech = bench_now ();
      *clock += CHUNK_US;
    }
  if (stop_after)
    {
      bench_ws_send_text (audio, audio_stop);
      deadline = end_of_speech + 15 * G_USEC_PER_SEC;
      while (state.created_at == 0 && bench_now () < deadline && !state.failed)
        pump (events, audio, MIN (deadline, bench_now () + 5000));
      *clock = bench_now ();
    }
  else
    {
      /* Room noise until the interaction shows up */
      deadline = end_of_speech + 15 * G_USEC_PER_SEC;
      while (state.created_at == 0 && bench_now () < deadline && !state.failed)
        {
          pump (events, audio, *clock);
          send_chunk (audio, &g_array_index (silence, gint16, s * CHUNK_SAMPLES), CHUNK_SAMPLES);
          s = (s + 1) % (silence->len / CHUNK_SAMPLES);
          *clock += CHUNK_US;
        }
    }

  if (state.created_at == 0)
    {
      variant->missed++;
      g_print ("  %-17s #%-2d no interaction_created within 15 s\n", variant->name, rep + 1);
    }
  else
    {
      double total = (state.created_at - end_of_speech) / 1000.0;
      double closed = state.selected_at ? (state.selected_at - end_of_speech) / 1000.0 : NAN;

      g_array_append_val (variant->total, total);
      if (state.selected_at)
        g_array_append_val (variant->closed, closed);
      g_print ("  %-17s #%-2d %6.0f ms (window closed after %4.0f ms) \"%s\"%s\n", variant->name,
               rep + 1, total, closed, state.content,
               rep_other > opt_max_other ? " (other processes were busy)" : "");
    }

  /* The gap: one second (with room noise when the device keeps streaming),
   * made longer while other processes keep the machine busy, so that the
   * next utterance does not share the CPU with them.
   */
  {
    gint64 gap_end = bench_now () + opt_gap_ms * 1000;
    gint64 give_up = gap_end + (gint64) opt_quiet_wait * G_USEC_PER_SEC;
    double busy0 = bench_machine_busy_seconds ();
    double own0 = bench_cpu_seconds (getpid (), 0) + bench_cpu_seconds (server_pid, 0);
    gint64 slice0 = bench_now ();

    *clock = MAX (*clock, bench_now ());
    for (;;)
      {
        if (stop_after)
          {
            pump (events, audio, MIN (gap_end, bench_now () + 20000));
            *clock = bench_now ();
          }
        else
          {
            pump (events, audio, *clock);
            send_chunk (audio, &g_array_index (silence, gint16, s * CHUNK_SAMPLES), CHUNK_SAMPLES);
            s = (s + 1) % (silence->len / CHUNK_SAMPLES);
            *clock += CHUNK_US;
          }
        if (bench_now () - slice0 >= G_USEC_PER_SEC)
          {
            double own = bench_cpu_seconds (getpid (), 0) + bench_cpu_seconds (server_pid, 0);
            double busy = bench_machine_busy_seconds ();

            last_other = MAX (0, (busy - busy0) - (own - own0)) / ((bench_now () - slice0) / 1e6);
            busy0 = busy;
            own0 = own;
            slice0 = bench_now ();
            if (bench_now () >= gap_end && (last_other <= opt_max_other || bench_now () >= give_up))
              break;
          }
      }
    *clock = MAX (*clock, bench_now ());
  }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- end of utterance to interaction");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GArray) clean = NULL;
  g_autoptr(GArray) speech = NULL;
  g_autoptr(GArray) silence = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *session_token = NULL;
  g_autofree char *path = NULL;
  BenchServer server = { 0 };
  BenchWs *events, *audio;
  Variant variants[2] = {
    { "trailing silence", NULL, NULL, 0 },
    { "audio-stop", NULL, NULL, 0 },
  };
  gssize first_voiced, last_voiced;
  guint last_chunk;
  gint64 clock, t0;
  double cpu0, busy0, self0;
  gboolean met;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The mira-server to run", "PATH" },
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &opt_repeat, "Utterances per variant (10)", "N" },
    { "text", 0, 0, G_OPTION_ARG_STRING, &opt_text, "The sentence flite says", "TEXT" },
    { "threshold", 0, 0, G_OPTION_ARG_INT, &opt_threshold,
      "A sample at or above this magnitude is voiced (500, about -36 dBFS)", "N" },
    { "gap-ms", 0, 0, G_OPTION_ARG_INT, &opt_gap_ms, "Pause between utterances (1000)", "MS" },
    { "max-other", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_other,
      "Wait before the first utterance, and stretch a gap, while other processes take more "
      "cores than this (0.2)", "CORES" },
    { "quiet-wait", 0, 0, G_OPTION_ARG_INT, &opt_quiet_wait,
      "...for at most this long (60)", "S" },
    { "transcriber", 0, 0, G_OPTION_ARG_STRING, &opt_transcriber,
      "mira-server --transcriber (its default: sphinx)", "NAME" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Print the events", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-utterance: %s\n", error->message);
      return 2;
    }
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (opt_text == NULL)
    opt_text = g_strdup ("Please remind me to call the plumber tomorrow morning.");
  if (opt_repeat < 1)
    {
      g_printerr ("bench-utterance: --repeat at least 1\n");
      return 2;
    }
  if (!g_file_test (opt_server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("bench-utterance: %s is not an executable; build it first\n", opt_server);
      return 1;
    }

  /* The sentence, and where its voice ends */
  clean = bench_flite ("slt", opt_text);
  first_voiced = bench_first_voiced ((const gint16 *) clean->data, clean->len, opt_threshold);
  last_voiced = bench_last_voiced ((const gint16 *) clean->data, clean->len, opt_threshold);
  if (last_voiced < 0)
    g_error ("flite made no audible speech");
  last_chunk = (guint) last_voiced / CHUNK_SAMPLES;
  speech = g_array_sized_new (FALSE, TRUE, sizeof (gint16), clean->len + CHUNK_SAMPLES);
  g_array_append_vals (speech, clean->data, clean->len);
  g_array_set_size (speech, (speech->len + CHUNK_SAMPLES - 1) / CHUNK_SAMPLES * CHUNK_SAMPLES);
  silence = g_array_new (FALSE, TRUE, sizeof (gint16));
  g_array_set_size (silence, 16000);
  /* A quiet room: about -60 dBFS of noise under everything */
  for (guint i = 0; i < speech->len; i++)
    {
      gint v = g_array_index (speech, gint16, i) + g_rand_int_range (rand, -40, 41);
      g_array_index (speech, gint16, i) = (gint16) CLAMP (v, -32768, 32767);
    }
  for (guint i = 0; i < silence->len; i++)
    g_array_index (silence, gint16, i) = (gint16) g_rand_int_range (rand, -40, 41);
  g_print ("Sentence: \"%s\" (flite slt): %.2f s of audio, voiced %.2f-%.2f s (%.2f s), "
           "last voiced sample in chunk %u\n", opt_text, clean->len / 16000.0,
           first_voiced / 16000.0, last_voiced / 16000.0, (last_voiced - first_voiced) / 16000.0,
           last_chunk);

  bench_server_start (&server, opt_server, opt_transcriber, opt_verbose ? "message" : "warning");
  g_print ("mira-server pid %d at %s, transcriber %s; %u CPUs\n", (int) server.pid, server.url,
           opt_transcriber ? opt_transcriber : "default (sphinx)", g_get_num_processors ());
  session = soup_session_new_with_options ("timeout", 60, NULL);
  network_id = bench_network_new (&server, session, "Utterance", &token);
  session_token = bench_client_register (&server, session, network_id, token, client_id);

  path = g_strdup_printf ("/api/v1/%s/ws?token=%s", network_id, token);
  events = bench_ws_connect (server.host, server.port, path, &error);
  if (events == NULL)
    g_error ("event socket: %s", error->message);
  if (!bench_ws_wait (events, on_event, NULL, &state.established, 10 * G_USEC_PER_SEC))
    g_error ("the event socket was not established");
  g_free (path);
  path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s&codec=pcm", network_id, client_id,
                          session_token);
  audio = bench_ws_connect (server.host, server.port, path, &error);
  if (audio == NULL)
    g_error ("audio socket: %s", error->message);
  if (!bench_ws_wait (audio, on_audio, NULL, &state.ready, 10 * G_USEC_PER_SEC))
    g_error ("the audio socket was not ready");

  server_pid = server.pid;
  last_other = bench_wait_quiet (server.pid, opt_max_other, opt_quiet_wait);
  cpu0 = bench_cpu_seconds (server.pid, 0);
  busy0 = bench_machine_busy_seconds ();
  self0 = bench_cpu_seconds (getpid (), 0);
  t0 = bench_now ();
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      variants[v].total = g_array_new (FALSE, FALSE, sizeof (double));
      variants[v].closed = g_array_new (FALSE, FALSE, sizeof (double));
    }

  /* Trailing silence: one continuous stream; a second of room noise first */
  bench_ws_send_text (audio, audio_start);
  clock = bench_now ();
  for (guint k = 0; k < 50; k++)
    {
      pump (events, audio, clock);
      send_chunk (audio, &g_array_index (silence, gint16, k * CHUNK_SAMPLES), CHUNK_SAMPLES);
      clock += CHUNK_US;
    }
  for (int rep = 0; rep < opt_repeat && !state.failed; rep++)
    run_once (&variants[0], FALSE, events, audio, speech, last_chunk, silence, &clock, rep);
  bench_ws_send_text (audio, audio_stop);
  pump (events, audio, bench_now () + opt_gap_ms * 1000);

  /* audio-stop right after the speech */
  clock = bench_now ();
  for (int rep = 0; rep < opt_repeat && !state.failed; rep++)
    run_once (&variants[1], TRUE, events, audio, speech, last_chunk, silence, &clock, rep);

  if (state.failed)
    g_print ("A socket failed; the figures are incomplete\n");
  {
    double secs = (bench_now () - t0) / 1e6;
    double server_cpu = bench_cpu_seconds (server.pid, 0) - cpu0;
    double self_cpu = bench_cpu_seconds (getpid (), 0) - self0;
    double busy = bench_machine_busy_seconds () - busy0;

    g_print ("\nserver CPU %.2f cores, other processes %.2f cores over the run\n",
             server_cpu / secs, MAX (0, busy - server_cpu - self_cpu) / secs);
  }

  g_print ("\n3-second utterance, end of speech -> interaction_created (%d each):\n", opt_repeat);
  g_print ("| device | p50 ms | p90 ms | max ms | window closed p50 ms | missed |\n"
           "|---|---:|---:|---:|---:|---:|\n");
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    g_print ("| %s | %.0f | %.0f | %.0f | %.0f | %u |\n", variants[v].name,
             bench_percentile (variants[v].total, 50), bench_percentile (variants[v].total, 90),
             bench_max (variants[v].total), bench_percentile (variants[v].closed, 50),
             variants[v].missed);
  met = bench_percentile (variants[0].total, 50) < 1000 && variants[0].missed == 0;
  g_print ("Target p50 < 1.0 s (trailing silence): %s; with audio-stop: %s\n",
           met ? "met" : "MISSED",
           bench_percentile (variants[1].total, 50) < 1000 && variants[1].missed == 0
             ? "met" : "MISSED");

  bench_ws_free (events);
  bench_ws_free (audio);
  bench_server_stop (&server);
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      g_array_unref (variants[v].total);
      g_array_unref (variants[v].closed);
    }
  g_free (state.content);
  return met ? 0 : 1;
}
