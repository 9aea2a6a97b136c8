/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-bench"

/* What extraction gives and what it costs:
 *
 *  - the built-in extractor's exact-match rate on tests/extraction-corpus.json
 *    and its time per phrasing;
 *  - REST: POST of "remind me to call the dentist tomorrow at five pm" →
 *    reminder_created on the network's event socket (--repeat times);
 *  - live: the same sentence spoken by flite (voice rms) into a device's
 *    audio socket in real time, from the end of its last word to
 *    interaction_created and to reminder_created (--live-repeat times), with
 *    PocketSphinx writing it down, and where that time goes: the stages the
 *    server's debug messages mark (the transcription queued, started and
 *    done, or the decode begun while the words were spoken ending; the
 *    decode, the voice matched, the actions found) and the utterance's
 *    window closing (audio_stream_selected). Apart: a device's utterances
 *    after its first (--live-repeat of one device), and first utterances,
 *    of a new device in a network that has heard none and in one that has
 *    (--first-repeat each).
 *
 * The server runs in this process (the tests' harness), on SQLite, with the
 * transcriber chain mira-server makes of `--transcriber sphinx
 * --sphinx-decoders 1` (it reads the network's transcriber setting).
 *
 *   ninja -C _build tests/bench/bench-extract && ./_build/tests/bench/bench-extract
 */

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mira-transcriber-chain.h"
#include "mira-test-corpus.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-time.h"

#define DENTIST "remind me to call the dentist tomorrow at five pm"
#define LEAD_MS 300
#define TAIL_MS 1000

static int opt_repeat = 50;
static int opt_live_repeat = 5;
static int opt_first_repeat = 3;
static int opt_sphinx_idle = 0;
static char *opt_corpus = NULL;

/* The server's debug messages that mark an utterance's stages, as they come */
typedef struct
{
  gint64  time_us;
  char   *domain;
  char   *message;
} Mark;

static GMutex marks_lock;
static GPtrArray *marks;   /* Mark* */

static void
mark_free (Mark *mark)
{
  g_free (mark->domain);
  g_free (mark->message);
  g_free (mark);
}

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  static const char * const domains[] = { "mira-transcriber", "mira-transcriber-chain",
                                          "mira-sphinx", "mira-voice-persons",
                                          "mira-extraction" };
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  if ((level & G_LOG_LEVEL_DEBUG) && domain != NULL && message != NULL &&
      g_strv_contains (domains, domain))
    {
      Mark *mark = g_new (Mark, 1);

      mark->time_us = g_get_monotonic_time ();
      mark->domain = g_strdup (domain);
      mark->message = g_strdup (message);
      g_mutex_lock (&marks_lock);
      g_ptr_array_add (marks, mark);
      g_mutex_unlock (&marks_lock);
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* The time of the first mark at or after @from whose message starts with
 * @prefix (0 if none), and the number after @after in it (in *@value_out)
 */
static gint64
mark_find (guint        from,
           const char  *prefix,
           const char  *after,
           double      *value_out)
{
  gint64 time_us = 0;

  g_mutex_lock (&marks_lock);
  for (guint i = from; i < marks->len && time_us == 0; i++)
    {
      Mark *mark = marks->pdata[i];
      const char *at;

      if (!g_str_has_prefix (mark->message, prefix))
        continue;
      time_us = mark->time_us;
      if (value_out != NULL && after != NULL && (at = strstr (mark->message, after)) != NULL)
        *value_out = g_ascii_strtod (at + strlen (after), NULL);
    }
  g_mutex_unlock (&marks_lock);
  return time_us;
}

static guint
marks_len (void)
{
  guint n;

  g_mutex_lock (&marks_lock);
  n = marks->len;
  g_mutex_unlock (&marks_lock);
  return n;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *ms)
{
  double sum = 0;

  if (ms->len == 0)
    {
      g_print ("  %-44s no samples\n", what);
      return;
    }
  g_array_sort (ms, compare_doubles);
  for (guint i = 0; i < ms->len; i++)
    sum += g_array_index (ms, double, i);
  g_print ("  %-44s median %7.1f ms  p95 %7.1f ms  max %7.1f ms  mean %7.1f ms  (n=%u)\n", what,
           g_array_index (ms, double, ms->len / 2),
           g_array_index (ms, double, MIN (ms->len - 1, (guint) ceil (ms->len * 0.95) - 1)),
           g_array_index (ms, double, ms->len - 1), sum / ms->len, ms->len);
}

static JsonObject *
post (MiraTestClient *client,
      guint           status,
      const char     *path,
      const char     *token,
      const char     *body,
      MiraTestResponse **keep)
{
  MiraTestResponse *r = mira_test_client_request (client, "POST", path, token, body);

  if (r->status != status)
    g_error ("POST %s answered %u: %s", path, r->status, r->body);
  *keep = r;
  return r->json ? json_node_get_object (r->json) : NULL;
}

typedef struct {
  char           *id;
  char           *token;
  MiraTestSocket *events;
} Net;

static Net
network_new (MiraTestClient *client)
{
  MiraTestResponse *r = NULL;
  JsonObject *o = post (client, 201, "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                        "{\"name\": \"Bench\", \"settings\": {\"timezone\": \"Europe/Berlin\"}}", &r);
  Net net;
  g_autofree char *path = NULL;

  net.id = g_strdup (json_object_get_string_member (o, "network_id"));
  net.token = g_strdup (json_object_get_string_member (o, "network_token"));
  mira_test_response_free (r);
  path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net.id, net.token);
  net.events = mira_test_socket_connect (client, path);
  if (mira_test_socket_wait_for (net.events, "connection_established", 0, 10000, NULL) == NULL)
    g_error ("no connection_established");
  return net;
}

static void
network_free (Net *net)
{
  mira_test_socket_free (net->events);
  g_free (net->id);
  g_free (net->token);
}

static gint64
arrival (Net        *net,
         const char *type,
         guint       from,
         guint       timeout_ms)
{
  guint index;

  if (mira_test_socket_wait_for (net->events, type, from, timeout_ms, &index) == NULL)
    return 0;
  return mira_test_socket_message (net->events, index)->time_us;
}

static void
bench_corpus (void)
{
  g_autoptr(MiraTestCorpusResult) result = mira_test_corpus_run (opt_corpus);

  g_print ("Built-in extractor on %s\n", opt_corpus);
  g_print ("  exactly right: %u of %u phrasings (%.1f %%); ordinary sentences with no action: "
           "%u of %u; %.1f µs a phrasing\n", result->n_exact, result->n_cases,
           100.0 * result->n_exact / result->n_cases, result->n_quiet_exact, result->n_quiet,
           (double) result->elapsed_us / result->n_cases);
}

static void
bench_rest (void)
{
  g_autofree char *uri = mira_test_sqlite_uri ();
  g_autoptr(MiraTestServer) server = mira_test_server_new (uri, FALSE);
  g_autoptr(MiraTestClient) client = mira_test_client_new (mira_test_server_get_url (server));
  g_autoptr(GArray) reminder = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) plain = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *path = NULL;
  Net net = network_new (client);

  path = g_strdup_printf ("/api/v1/%s/interactions", net.id);
  for (int i = 0; i < opt_repeat; i++)
    {
      guint from = mira_test_socket_n_messages (net.events);
      MiraTestResponse *r = NULL;
      gint64 sent = g_get_monotonic_time (), got;
      double ms;

      post (client, 201, path, net.token, "{\"content\": \"" DENTIST "\"}", &r);
      mira_test_response_free (r);
      got = arrival (&net, "reminder_created", from, 10000);
      if (got == 0)
        g_error ("no reminder_created");
      ms = (got - sent) / 1e3;
      g_array_append_val (reminder, ms);

      /* The same without anything to find, for comparison */
      from = mira_test_socket_n_messages (net.events);
      sent = g_get_monotonic_time ();
      post (client, 201, path, net.token, "{\"content\": \"turn on the lights in the kitchen\"}",
            &r);
      mira_test_response_free (r);
      got = arrival (&net, "interaction_created", from, 10000);
      ms = (got - sent) / 1e3;
      g_array_append_val (plain, ms);
    }
  g_print ("REST, SQLite, in-process server\n");
  report ("POST → reminder_created", reminder);
  report ("POST of talk → interaction_created", plain);
  network_free (&net);
}

/* The spoken figures of a group of utterances, each one's */
typedef struct
{
  GArray *to_interaction;
  GArray *to_reminder;
  GArray *to_queued;       /* the stages */
  GArray *queue_wait;
  GArray *decode;
  GArray *to_transcribed;
  GArray *to_window;
  GArray *store;
  GArray *voice;
  GArray *extraction;
  GArray *load;
  GArray *streamed;
} Figures;

#define FIGURES_N_ARRAYS (sizeof (Figures) / sizeof (GArray *))

static void
figures_init (Figures *f)
{
  GArray **arrays = (GArray **) f;

  for (gsize i = 0; i < FIGURES_N_ARRAYS; i++)
    arrays[i] = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
figures_clear (Figures *f)
{
  GArray **arrays = (GArray **) f;

  for (gsize i = 0; i < FIGURES_N_ARRAYS; i++)
    g_array_unref (arrays[i]);
}

static void
figures_report (const char *title,
                Figures    *f)
{
  g_print ("%s\n", title);
  report ("end of the words → interaction_created", f->to_interaction);
  report ("end of the words → reminder_created", f->to_reminder);
  g_print ("  where the time goes (from the end of the words, or each stage's own):\n");
  report ("  → queued for transcription", f->to_queued);
  report ("  waiting in the queue", f->queue_wait);
  if (f->load->len > 0)
    report ("  loading a decoder let go while idle", f->load);
  report ("  PocketSphinx's decode (once the utterance is over)", f->decode);
  if (f->streamed->len > 0)
    {
      g_autofree char *label = g_strdup_printf ("  of %u, decoded while spoken (s, not ms)",
                                                f->to_reminder->len);

      report (label, f->streamed);
    }
  report ("  → transcribed", f->to_transcribed);
  report ("  → window closed (audio_stream_selected)", f->to_window);
  report ("  transcribed → interaction_created", f->store);
  report ("  voice matched to a person", f->voice);
  report ("  actions found and stored", f->extraction);
}

/* A new device @name of @net: its audio socket, ready */
static MiraTestSocket *
device_new (MiraTestClient *client,
            Net            *net,
            const char     *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/client/register/%s", net->id,
                                           name);
  MiraTestResponse *r = NULL;
  JsonObject *o = post (client, 201, path, net->token, "{\"device_type\": \"microphone\"}", &r);
  MiraTestSocket *audio;

  g_free (path);
  path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s", net->id, name,
                          json_object_get_string_member (o, "session_token"));
  audio = mira_test_socket_connect (client, path);
  mira_test_response_free (r);
  if (mira_test_socket_wait_for (audio, "ready", 0, 10000, NULL) == NULL)
    g_error ("the audio socket said no ready");
  return audio;
}

/* The device of @audio says @pcm in real time; its figures go to @f */
static void
speak (MiraTestClient *client,
       Net            *net,
       MiraTestSocket *audio,
       const gint16   *pcm,
       gsize           n,
       gsize           speech_end,
       Figures        *f)
{
  guint from = mira_test_socket_n_messages (net->events);
  guint marks_from = marks_len ();
  gint64 start = g_get_monotonic_time (), end = 0, got;
  double ms;

  mira_test_socket_send_text (audio, "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,"
                                     "\"width\":2,\"channels\":1}}\n");
  for (gsize i = 0; i < n; i += 320)
    {
      gsize len = MIN (320, n - i);
      g_autofree char *header = NULL;
      gint64 due = start + (gint64) (i / 320) * 20000, now = g_get_monotonic_time ();

      if (due > now)
        mira_test_client_run (client, (guint) ((due - now + 999) / 1000));
      header = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                "\"width\":2,\"channels\":1},\"payload_length\":%"
                                G_GSIZE_FORMAT "}\n", len * 2);
      mira_test_socket_send_text (audio, header);
      mira_test_socket_send_binary (audio, pcm + i, len * 2);
      if (end == 0 && i + len >= speech_end)
        end = g_get_monotonic_time ();
    }
  mira_test_socket_send_text (audio, "{\"type\":\"audio-stop\"}\n");

  got = arrival (net, "interaction_created", from, 60000);
  if (got == 0)
    g_error ("no interaction_created");
  ms = (got - end) / 1e3;
  g_array_append_val (f->to_interaction, ms);
  got = arrival (net, "reminder_created", from, 10000);
  if (got == 0)
    g_error ("no reminder_created: PocketSphinx heard something else");
  ms = (got - end) / 1e3;
  g_array_append_val (f->to_reminder, ms);

  /* Where the time went */
  {
    double queued_ms = 0, value = 0;
    gint64 started = mark_find (marks_from, "transcription of", "after ", &queued_ms);
    gint64 done = mark_find (marks_from, "transcription done", NULL, NULL);
    gint64 window = 0;
    double streamed_s = 0;

    /* Decoded while spoken: what is left begins when the utterance ends */
    if (started == 0)
      {
        started = mark_find (marks_from, "the decode of", NULL, NULL);
        done = mark_find (marks_from, "decoded", NULL, NULL);
        if (mark_find (marks_from, "decoded", "(", &streamed_s) != 0)
          g_array_append_val (f->streamed, streamed_s);
      }

    if (started != 0)
      {
        ms = (started - end) / 1e3 - queued_ms;
        g_array_append_val (f->to_queued, ms);
        g_array_append_val (f->queue_wait, queued_ms);
      }
    if (mark_find (marks_from, "decoded", " in ", &value) != 0)
      g_array_append_val (f->decode, value);
    if (mark_find (marks_from, "decoder loaded", " in ", &value) != 0)
      g_array_append_val (f->load, value);
    if (done != 0)
      {
        ms = (done - end) / 1e3;
        g_array_append_val (f->to_transcribed, ms);
        ms = (arrival (net, "interaction_created", from, 0) - done) / 1e3;
        g_array_append_val (f->store, ms);
      }
    /* The window's close, not the stream's selection at the start */
    for (guint i = from; i < mira_test_socket_n_messages (net->events); i++)
      {
        JsonObject *event = mira_test_socket_message (net->events, i)->object;

        if (event != NULL &&
            g_strcmp0 (json_object_get_string_member_with_default (event, "type", ""),
                       "audio_stream_selected") == 0 &&
            !g_str_has_prefix (json_object_get_string_member_with_default (event, "reason",
                                                                           "live:"),
                               "live:"))
          window = mira_test_socket_message (net->events, i)->time_us;
      }
    if (window != 0)
      {
        ms = (window - end) / 1e3;
        g_array_append_val (f->to_window, ms);
      }
    if (mark_find (marks_from, "voice ", " in ", &value) != 0)
      g_array_append_val (f->voice, value);
    if (mark_find (marks_from, "1 actions", " in ", &value) != 0)
      g_array_append_val (f->extraction, value);
  }
  mira_test_client_run (client, 1000);
}

static void
bench_live (void)
{
  g_autoptr(GError) error = NULL;
  /* As mira-server --transcriber sphinx --sphinx-decoders 1 has it */
  MiraTranscriberOptions options = { .sphinx_decoders = 1, .sphinx_idle_s = opt_sphinx_idle };
  g_autoptr(MiraTranscriberChain) chain = mira_transcriber_chain_new ("sphinx", &options,
                                                                      &error);
  g_autofree char *uri = mira_test_sqlite_uri ();
  g_autoptr(MiraTestServer) server = NULL;
  g_autoptr(MiraTestClient) client = NULL;
  const MiraTestSpeech *speech = mira_test_speech_get ("rms", DENTIST);
  gsize speech_end = LEAD_MS * 16 + speech->n;
  g_autofree gint16 *pcm = NULL;
  Figures later, first_new, first_known;
  MiraTestSocket *audio;
  gsize n;
  Net net;

  if (chain == NULL)
    g_error ("PocketSphinx: %s", error->message);
  figures_init (&later);
  figures_init (&first_new);
  figures_init (&first_known);
  server = mira_test_server_new_full (uri, FALSE, MIRA_TRANSCRIBER (chain));
  client = mira_test_client_new (mira_test_server_get_url (server));
  pcm = mira_test_speech_mix (speech, -20.0, 30.0, 1.0, LEAD_MS, TAIL_MS, 7, &n);

  /* One device says it again and again: its first utterance, then the next */
  net = network_new (client);
  audio = device_new (client, &net, "kitchen");
  for (int k = 0; k < opt_live_repeat; k++)
    speak (client, &net, audio, pcm, n, speech_end, k == 0 ? &first_new : &later);
  mira_test_socket_free (audio);
  /* New devices: of the same network, which has heard speech, and of new ones */
  for (int k = 0; k < opt_first_repeat; k++)
    {
      g_autofree char *name = g_strdup_printf ("hall-%d", k);
      Net other = network_new (client);

      audio = device_new (client, &net, name);
      speak (client, &net, audio, pcm, n, speech_end, &first_known);
      mira_test_socket_free (audio);
      audio = device_new (client, &other, "kitchen");
      speak (client, &other, audio, pcm, n, speech_end, &first_new);
      mira_test_socket_free (audio);
      network_free (&other);
    }
  network_free (&net);

  g_print ("Live audio: flite rms, real time, PocketSphinx, SQLite (silence closes the utterance "
           "after 700 ms)\n");
  figures_report ("A device's utterances after its first", &later);
  figures_report ("A device's first utterance, in a network that has heard no speech", &first_new);
  figures_report ("A device's first utterance, in a network that has heard speech",
                  &first_known);
  figures_clear (&later);
  figures_clear (&first_new);
  figures_clear (&first_known);
}

int
main (int   argc,
      char *argv[])
{
  GOptionEntry entries[] = {
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &opt_repeat, "REST interactions (default 50)", "N" },
    { "live-repeat", 0, 0, G_OPTION_ARG_INT, &opt_live_repeat,
      "Spoken utterances of one device (default 5; 0: none)", "N" },
    { "first-repeat", 0, 0, G_OPTION_ARG_INT, &opt_first_repeat,
      "With --live-repeat: new devices that speak once, of the same network and of new ones"
      " each (default 3)", "N" },
    { "sphinx-idle", 0, 0, G_OPTION_ARG_INT, &opt_sphinx_idle,
      "Seconds PocketSphinx's decoder stays loaded unused (default 300; 1: every utterance"
      " loads it again; -1: for ever)", "S" },
    { "corpus", 0, 0, G_OPTION_ARG_FILENAME, &opt_corpus,
      "The corpus (default tests/extraction-corpus.json of the source tree)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— extraction's figures");
  g_autoptr(GError) error = NULL;
  double load[3] = { 0 };

  setlocale (LC_ALL, "");
  marks = g_ptr_array_new_with_free_func ((GDestroyNotify) mark_free);
  g_log_set_writer_func (writer, NULL, NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_corpus == NULL)
    opt_corpus = g_build_filename (MIRA_SOURCE_DIR, "tests", "extraction-corpus.json", NULL);
  /* The harness's speech and files go where the tests' go */
  g_setenv ("G_TEST_SRCDIR", MIRA_SOURCE_DIR "/tests", FALSE);
  mira_time_zones_load ();
  if (getloadavg (load, 3) > 0)
    g_print ("load average %.2f %.2f %.2f on %u cores\n", load[0], load[1], load[2],
             g_get_num_processors ());

  bench_corpus ();
  if (opt_repeat > 0)
    bench_rest ();
  if (opt_live_repeat > 0)
    bench_live ();
  return 0;
}
