/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The transcriber backends against local services that speak their real
 * wire protocols (tests/speech-peer.py: Wyoming over TCP, OpenAI's and
 * Deepgram's HTTP APIs), their error answers, a service that hangs and one
 * that closes in the middle of its answer; and the chain that falls back
 * from them to PocketSphinx, with real speech from flite.
 */

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>


#include <libsoup/soup.h>

#include "mira-curl.h"
#include "mira-deepgram-transcriber.h"
#include "mira-openai-transcriber.h"
#include "mira-sphinx.h"
#include "mira-test-live.h"
#include "mira-transcriber-chain.h"
#include "mira-wyoming-transcriber.h"

#define SENTENCE "turn on the lights in the kitchen"
#define ANSWER   "Turn on the kitchen lights."
/* Each remote backend's time in these tests */
#define TIMEOUT_MS 1500

typedef struct
{
  GSubprocess *process;
  guint16      port;
  char        *url;       /* http://127.0.0.1:PORT */
  char        *log_path;
} Peer;

/* Starts tests/speech-peer.py PROTOCOL MODE [extra…] and waits for its port */
static Peer *
peer_start (const char *protocol,
            const char *mode,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "speech-peer.py", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  Peer *peer = g_new0 (Peer, 1);
  int fd;
  va_list args;
  const char *arg;

  fd = g_file_open_tmp ("mira-peer-XXXXXX.log", &peer->log_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_ptr_array_add (argv, (char *) "/usr/bin/python3");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (char *) protocol);
  g_ptr_array_add (argv, (char *) mode);
  g_ptr_array_add (argv, (char *) "--log");
  g_ptr_array_add (argv, peer->log_path);
  va_start (args, mode);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  peer->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  mira_test_check (line != NULL && g_str_has_prefix (line, "port "),
                   "speech-peer.py %s %s did not start", protocol, mode);
  peer->port = (guint16) g_ascii_strtoull (line + 5, NULL, 10);
  peer->url = g_strdup_printf ("http://127.0.0.1:%u", peer->port);
  return peer;
}

static void
peer_stop (Peer *peer)
{
  if (peer == NULL)
    return;
  g_subprocess_force_exit (peer->process);
  g_subprocess_wait (peer->process, NULL, NULL);
  g_object_unref (peer->process);
  g_unlink (peer->log_path);
  g_free (peer->log_path);
  g_free (peer->url);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_stop)

/* The requests the peer received, one JSON object each */
static GPtrArray *
peer_requests (Peer *peer)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  g_assert_true (g_file_get_contents (peer->log_path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (requests, json_from_string (lines[i], NULL));
  return requests;
}

static JsonObject *
request_object (GPtrArray *requests,
                guint      index)
{
  g_assert_cmpuint (requests->len, >, index);
  return json_node_get_object (requests->pdata[index]);
}

/* Two seconds of flite speech, 16 kHz mono */
static gint16 *
speech (gsize *n_out)
{
  return mira_test_speech_mix (mira_test_speech_get ("slt", SENTENCE), -20.0, INFINITY, 1.0,
                               300, 300, 1, n_out);
}

/* Transcribes with @transcriber, what is said being in @language (NULL: not
 * said); checks how long it took
 */
static MiraTranscript *
run_in (MiraTranscriber  *transcriber,
        const char       *language,
        guint             max_ms,
        GError          **error)
{
  gsize n = 0;
  g_autofree gint16 *samples = speech (&n);
  gint64 start = g_get_monotonic_time ();
  MiraTranscript *transcript;
  double ms;

  transcript = mira_transcriber_transcribe (transcriber, samples, n, language, NULL, error);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  mira_test_check (ms <= max_ms, "%s took %.0f ms, more than %u",
                   mira_transcriber_get_name (transcriber), ms, max_ms);
  return transcript;
}

static MiraTranscript *
run (MiraTranscriber  *transcriber,
     guint             max_ms,
     GError          **error)
{
  return run_in (transcriber, NULL, max_ms, error);
}

static void
check_error (GError     *error,
             int         code,
             const char *words)
{
  mira_test_check (error != NULL, "no error: expected one saying '%s'", words);
  mira_test_check (g_error_matches (error, MIRA_TRANSCRIBER_ERROR, code),
                   "expected code %d, got %s %d: %s", code, g_quark_to_string (error->domain),
                   error->code, error->message);
  mira_test_check (strstr (error->message, words) != NULL, "'%s' does not say '%s'",
                   error->message, words);
}

/* Wyoming --------------------------------------------------------------------- */

static MiraTranscriber *
wyoming_new (Peer *peer)
{
  return MIRA_TRANSCRIBER (mira_wyoming_transcriber_new ("127.0.0.1", peer->port, TIMEOUT_MS));
}

static void
test_wyoming_ok (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", ANSWER, "--model",
                                     "small.en", NULL);
  g_autoptr(MiraTranscriber) wyoming = wyoming_new (peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *model = NULL;
  g_autofree char *name = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  JsonObject *request;
  JsonArray *events;
  gsize n = 0;
  g_autofree gint16 *samples = speech (&n);

  model = mira_transcriber_describe (wyoming, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (model, ==, "small.en");

  transcript = run (wyoming, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (transcript->text, ==, ANSWER);
  g_assert_cmpstr (transcript->backend, ==, name);
  g_assert_cmpstr (mira_transcriber_get_name (wyoming), ==, name);
  g_assert_cmpstr (transcript->model, ==, "small.en");

  /* What the service received: the events in order, every sample, 16 kHz s16 mono */
  requests = peer_requests (peer);
  g_assert_cmpuint (requests->len, ==, 2);
  request = request_object (requests, 1);
  events = json_object_get_array_member (request, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 4);
  g_assert_cmpstr (json_array_get_string_element (events, 0), ==, "transcribe");
  g_assert_cmpstr (json_array_get_string_element (events, 1), ==, "audio-start");
  g_assert_cmpstr (json_array_get_string_element (events, 2), ==, "audio-chunk");
  g_assert_cmpstr (json_array_get_string_element (events, 3), ==, "audio-stop");
  g_assert_cmpint (json_object_get_int_member (request, "audio_bytes"), ==, n * 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (request, "formats")),
                    ==, 1);
  {
    JsonArray *format = json_array_get_array_element (json_object_get_array_member (request,
                                                                                   "formats"), 0);

    g_assert_cmpint (json_array_get_int_element (format, 0), ==, 16000);
    g_assert_cmpint (json_array_get_int_element (format, 1), ==, 2);
    g_assert_cmpint (json_array_get_int_element (format, 2), ==, 1);
  }
}

static void
test_wyoming_failures (void)
{
  static const struct { const char *mode; int code; const char *words; } cases[] = {
    { "error", MIRA_TRANSCRIBER_ERROR_REFUSED, "CUDA out of memory" },
    { "badjson", MIRA_TRANSCRIBER_ERROR_BAD_ANSWER, "not a Wyoming answer" },
    { "hang", MIRA_TRANSCRIBER_ERROR_TIMED_OUT, "within 1500 ms" },
    { "close", MIRA_TRANSCRIBER_ERROR_FAILED, "in the middle of its answer" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Peer) peer = peer_start ("wyoming", cases[i].mode, NULL);
      g_autoptr(MiraTranscriber) wyoming = wyoming_new (peer);
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraTranscript) transcript = run (wyoming, TIMEOUT_MS + 1000, &error);

      g_assert_null (transcript);
      check_error (error, cases[i].code, cases[i].words);
    }

  /* Nobody listening */
  {
    g_autoptr(Peer) peer = peer_start ("wyoming", "ok", NULL);
    guint16 port = peer->port;
    g_autoptr(MiraTranscriber) wyoming = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(MiraTranscript) transcript = NULL;

    g_clear_pointer (&peer, peer_stop);
    wyoming = MIRA_TRANSCRIBER (mira_wyoming_transcriber_new ("127.0.0.1", port, TIMEOUT_MS));
    transcript = run (wyoming, TIMEOUT_MS, &error);
    g_assert_null (transcript);
    check_error (error, MIRA_TRANSCRIBER_ERROR_FAILED, "cannot connect");
  }
}

/* OpenAI ------------------------------------------------------------------------ */

static void
test_openai_ok (void)
{
  g_autoptr(Peer) peer = peer_start ("openai", "ok", "--text", ANSWER, "--key", "sk-test-1",
                                     NULL);
  g_autofree char *base = g_strconcat (peer->url, "/v1/", NULL);
  g_autoptr(MiraTranscriber) openai = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  JsonObject *request;
  JsonObject *file;
  gsize n = 0;
  g_autofree gint16 *samples = speech (&n);

  /* A base URL ending in /v1/ as OpenAI's own documentation writes it */
  openai = MIRA_TRANSCRIBER (mira_openai_transcriber_new (base, "whisper-large-v3", "sk-test-1",
                                                          TIMEOUT_MS));
  transcript = run (openai, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (transcript->text, ==, ANSWER);
  g_assert_cmpstr (transcript->backend, ==, "openai");
  g_assert_cmpstr (transcript->model, ==, "whisper-large-v3");

  requests = peer_requests (peer);
  g_assert_cmpuint (requests->len, ==, 1);
  request = request_object (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (request, "path"), ==,
                   "/v1/audio/transcriptions");
  g_assert_cmpstr (json_object_get_string_member (request, "authorization"), ==,
                   "Bearer sk-test-1");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (request, "content_type"),
                                   "multipart/form-data"));
  g_assert_cmpstr (json_object_get_string_member (request, "model"), ==, "whisper-large-v3");
  g_assert_cmpstr (json_object_get_string_member (request, "response_format"), ==, "json");
  g_assert_cmpstr (json_object_get_string_member (request, "file_type"), ==, "audio/wav");
  file = json_object_get_object_member (request, "file");
  g_assert_cmpint (json_object_get_int_member (file, "rate"), ==, 16000);
  g_assert_cmpint (json_object_get_int_member (file, "channels"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (file, "width"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (file, "frames"), ==, n);

  /* Without a key (a local whisper.cpp server): no Authorization header */
  {
    g_autoptr(Peer) local = peer_start ("openai", "ok", NULL);
    g_autoptr(MiraTranscriber) keyless = NULL;
    g_autoptr(MiraTranscript) words = NULL;
    g_autoptr(GPtrArray) seen = NULL;

    keyless = MIRA_TRANSCRIBER (mira_openai_transcriber_new (local->url, "whisper-1", NULL,
                                                             TIMEOUT_MS));
    words = run (keyless, TIMEOUT_MS, &error);
    g_assert_no_error (error);
    seen = peer_requests (local);
    g_assert_true (json_object_get_null_member (request_object (seen, 0), "authorization"));
  }
}

static void
test_http_failures (gconstpointer data)
{
  const char *protocol = data;
  gboolean openai = g_str_equal (protocol, "openai");
  static const struct { const char *mode; int code; const char *openai, *deepgram; } cases[] = {
    { "unauthorized", MIRA_TRANSCRIBER_ERROR_REFUSED, "HTTP 401: Incorrect API key provided",
      "HTTP 401: Invalid credentials." },
    { "error", MIRA_TRANSCRIBER_ERROR_FAILED, "HTTP 500: The server had an error",
      "HTTP 500: We encountered an error." },
    { "badjson", MIRA_TRANSCRIBER_ERROR_BAD_ANSWER, "the answer is not JSON",
      "the answer is not JSON" },
    { "hang", MIRA_TRANSCRIBER_ERROR_TIMED_OUT, "no answer within 1500 ms",
      "no answer within 1500 ms" },
    { "close", MIRA_TRANSCRIBER_ERROR_FAILED, "openai: ", "deepgram: " },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Peer) peer = peer_start (protocol, cases[i].mode, NULL);
      g_autoptr(MiraTranscriber) backend = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraTranscript) transcript = NULL;

      if (openai)
        backend = MIRA_TRANSCRIBER (mira_openai_transcriber_new (peer->url, "whisper-1",
                                                                 "sk-test", TIMEOUT_MS));
      else
        backend = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (peer->url, "dg-test",
                                                                   TIMEOUT_MS));
      transcript = run (backend, TIMEOUT_MS + 1000, &error);
      g_assert_null (transcript);
      check_error (error, cases[i].code, openai ? cases[i].openai : cases[i].deepgram);
      g_test_message ("%s %s: %s", protocol, cases[i].mode, error->message);
    }
}

/* Deepgram ---------------------------------------------------------------------- */

static void
test_deepgram_ok (void)
{
  g_autoptr(Peer) peer = peer_start ("deepgram", "ok", "--text", ANSWER, "--key", "dg-key-1",
                                     NULL);
  g_autoptr(MiraTranscriber) deepgram = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  JsonObject *request;
  gsize n = 0;
  g_autofree gint16 *samples = speech (&n);

  deepgram = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (peer->url, "dg-key-1", TIMEOUT_MS));
  transcript = run (deepgram, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (transcript->text, ==, ANSWER);
  g_assert_cmpstr (transcript->backend, ==, "deepgram");
  g_assert_cmpfloat_with_epsilon (transcript->confidence, 0.97, 1e-9);

  requests = peer_requests (peer);
  request = request_object (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (request, "path"), ==, "/v1/listen");
  g_assert_cmpstr (json_object_get_string_member (request, "authorization"), ==,
                   "Token dg-key-1");
  g_assert_cmpstr (json_object_get_string_member (request, "content_type"), ==, "audio/wav");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (request, "file"),
                                               "frames"), ==, n);

  /* A wrong key is the service's 401 */
  {
    g_autoptr(MiraTranscriber) wrong = NULL;
    g_autoptr(MiraTranscript) none = NULL;

    wrong = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (peer->url, "dg-wrong", TIMEOUT_MS));
    none = run (wrong, TIMEOUT_MS, &error);
    g_assert_null (none);
    check_error (error, MIRA_TRANSCRIBER_ERROR_REFUSED, "Invalid credentials");
  }
}

/* The chain --------------------------------------------------------------------- */

static void
test_spec (void)
{
  static const struct { const char *spec; const char *words; } bad[] = {
    { "", "is empty" },
    { " ", "empty backend" },
    { "sphinx,", "empty backend" },
    { "whisper", "'whisper' is not a transcriber" },
    { "sphinx,sphinx", "comes twice" },
    { "wyoming://host", "needs a port" },
    { "wyoming://host:0", "needs a port" },
    { "wyoming://host:99999", "not a wyoming" },
    { "wyoming://:10300", "not a wyoming" },
    { "wyoming://host:10300/asr", "only wyoming://HOST:PORT" },
    { "wyoming://user@host:10300", "only wyoming://HOST:PORT" },
    { "none,sphinx", "'none' cannot be part of a chain" },
    { "openai,openai,openai,openai,openai,openai,openai,openai,openai", "at most 8" },
  };
  static const char * const good[] = {
    "sphinx", "none", "openai,sphinx", " wyoming://127.0.0.1:10300 , sphinx",
    "deepgram", "wyoming://[::1]:10300,wyoming://asr.lan:10300,openai,deepgram,sphinx",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (mira_transcriber_spec_check (bad[i].spec, &error));
      check_error (error, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC, bad[i].words);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      mira_transcriber_spec_check (good[i], &error);
      g_assert_no_error (error);
    }
}

static const char *
state_of (JsonArray  *states,
          const char *name,
          JsonObject **object_out)
{
  for (guint i = 0; i < json_array_get_length (states); i++)
    {
      JsonObject *state = json_array_get_object_element (states, i);

      if (g_str_equal (json_object_get_string_member (state, "name"), name))
        {
          if (object_out != NULL)
            *object_out = state;
          return json_object_get_string_member (state, "state");
        }
    }
  return NULL;
}

/* Language ---------------------------------------------------------------------- */

/* Each service hears the language as its protocol takes it: Wyoming's
 * `transcribe` and OpenAI's form the ISO 639 code, Deepgram's query the
 * whole tag; without one, none is sent and the service keeps its own.
 */
static void
test_language (void)
{
  g_autoptr(Peer) wyoming = peer_start ("wyoming", "ok", "--text", ANSWER, NULL);
  g_autoptr(Peer) openai = peer_start ("openai", "ok", "--text", ANSWER, NULL);
  g_autoptr(Peer) deepgram = peer_start ("deepgram", "ok", "--text", ANSWER, NULL);
  Peer *peers[] = { wyoming, openai, deepgram };
  g_autoptr(MiraTranscriber) by_wyoming = wyoming_new (wyoming);
  g_autoptr(MiraTranscriber) by_openai = NULL;
  g_autoptr(MiraTranscriber) by_deepgram = NULL;
  MiraTranscriber *backends[3];

  by_openai = MIRA_TRANSCRIBER (mira_openai_transcriber_new (openai->url, "whisper-1", NULL,
                                                             TIMEOUT_MS));
  by_deepgram = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (deepgram->url, "dg-key",
                                                                 TIMEOUT_MS));
  backends[0] = by_wyoming;
  backends[1] = by_openai;
  backends[2] = by_deepgram;
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_autoptr(GPtrArray) requests = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraTranscript) said = NULL;
      g_autoptr(MiraTranscript) unsaid = NULL;

      g_assert_true (mira_transcriber_takes_language (backends[i], "de-AT"));
      said = run_in (backends[i], "de-AT", TIMEOUT_MS, &error);
      g_assert_no_error (error);
      unsaid = run_in (backends[i], NULL, TIMEOUT_MS, &error);
      g_assert_no_error (error);
      requests = peer_requests (peers[i]);
      g_assert_cmpuint (requests->len, ==, 2);
      if (i < 2)
        {
          g_assert_cmpstr (json_object_get_string_member_with_default (request_object (requests, 0),
                                                                       "language", NULL),
                           ==, "de");
          g_assert_null (json_object_get_string_member_with_default (request_object (requests, 1),
                                                                     "language", NULL));
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (request_object (requests, 0), "path"),
                           ==, "/v1/listen?language=de-AT");
          g_assert_cmpstr (json_object_get_string_member (request_object (requests, 1), "path"),
                           ==, "/v1/listen");
        }
    }
}

/* PocketSphinx's model is English: English of any region is transcribed,
 * another language is not (a chain passes PocketSphinx over for the next
 * backend, which is no failure), and no decode begins while it is spoken.
 */
static void
test_language_sphinx (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", "Schalte das Licht an.", NULL);
  g_autofree char *wyoming = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  g_autofree char *spec = g_strconcat ("sphinx,", wyoming, NULL);
  MiraTranscriberOptions options = { .sphinx_decoders = 1, .timeout_ms = TIMEOUT_MS };
  g_autoptr(MiraTranscriberChain) alone = NULL;
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(MiraTranscript) english = NULL;
  g_autoptr(MiraTranscript) german = NULL;
  g_autoptr(MiraTranscript) none = NULL;
  g_autoptr(MiraSphinxDecode) decode = NULL;
  g_autoptr(JsonArray) states = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *state = NULL;

  alone = mira_transcriber_chain_new ("sphinx", &options, &error);
  g_assert_no_error (error);
  g_assert_true (mira_transcriber_takes_language (MIRA_TRANSCRIBER (alone), "en-GB"));
  g_assert_false (mira_transcriber_takes_language (MIRA_TRANSCRIBER (alone), "de"));
  english = run_in (MIRA_TRANSCRIBER (alone), "en-GB", 15000, &error);
  g_assert_no_error (error);
  mira_test_check (strstr (english->text, "kitchen") != NULL, "PocketSphinx heard '%s'",
                   english->text);
  none = run_in (MIRA_TRANSCRIBER (alone), "de", 15000, &error);
  g_assert_null (none);
  check_error (error, MIRA_TRANSCRIBER_ERROR_LANGUAGE, "no model for language de");
  g_clear_error (&error);
  states = mira_transcriber_chain_get_states (alone);
  g_assert_cmpstr (state_of (states, "sphinx", &state), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (state, "skipped"), ==, 1);
  g_assert_null (mira_transcriber_decode_new (MIRA_TRANSCRIBER (alone), "de", NULL));
  decode = mira_transcriber_decode_new (MIRA_TRANSCRIBER (alone), "en", NULL);
  g_assert_nonnull (decode);

  /* First in a chain: passed over, and the next backend hears German */
  chain = mira_transcriber_chain_derive (alone, spec, &error);
  g_assert_no_error (error);
  german = run_in (MIRA_TRANSCRIBER (chain), "de", TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (german->text, ==, "Schalte das Licht an.");
  g_assert_cmpstr (german->backend, ==, wyoming);
  g_assert_null (german->failed);
}

/* Every remote backend fails its own way; PocketSphinx still gives the words */
static void
test_chain_fallback (void)
{
  g_autoptr(Peer) hang = peer_start ("wyoming", "hang", NULL);
  g_autoptr(Peer) broken = peer_start ("openai", "error", NULL);
  g_autoptr(Peer) garbage = peer_start ("deepgram", "badjson", NULL);
  g_autofree char *spec = g_strdup_printf ("wyoming://127.0.0.1:%u,openai,deepgram,sphinx",
                                           hang->port);
  g_autofree char *wyoming = g_strdup_printf ("wyoming://127.0.0.1:%u", hang->port);
  MiraTranscriberOptions options = {
    .sphinx_decoders = 1,
    .openai_url = broken->url,
    .deepgram_url = garbage->url,
    .deepgram_key = "dg-test",
    .timeout_ms = TIMEOUT_MS,
  };
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) states = NULL;
  JsonObject *state = NULL;

  chain = mira_transcriber_chain_new (spec, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mira_transcriber_chain_get_spec (chain), ==, spec);
  states = mira_transcriber_chain_get_states (chain);
  g_assert_cmpstr (state_of (states, wyoming, NULL), ==, "unknown");
  g_assert_cmpstr (state_of (states, "sphinx", &state), ==, "ok");
  g_assert_nonnull (json_object_get_string_member (state, "since"));
  g_clear_pointer (&states, json_array_unref);

  for (guint round = 0; round < 2; round++)
    {
      /* The first time costs the hanging service's timeout; then it is skipped */
      g_autoptr(MiraTranscript) transcript = run (MIRA_TRANSCRIBER (chain),
                                                  round == 0 ? TIMEOUT_MS + 15000 : 15000,
                                                  &error);

      g_assert_no_error (error);
      g_assert_cmpstr (transcript->backend, ==, "sphinx");
      mira_test_check (strstr (transcript->text, "kitchen") && strstr (transcript->text, "lights"),
                       "PocketSphinx heard '%s'", transcript->text);
      g_assert_cmpuint (g_strv_length (transcript->failed), ==, 3);
      g_assert_cmpstr (transcript->failed[0], ==, wyoming);
      g_assert_cmpstr (transcript->failed[1], ==, "openai");
      g_assert_cmpstr (transcript->failed[2], ==, "deepgram");
      g_assert_cmpfloat (transcript->elapsed_ms, >, 0);
    }

  states = mira_transcriber_chain_get_states (chain);
  g_assert_cmpstr (state_of (states, wyoming, &state), ==, "failing");
  g_assert_true (strstr (json_object_get_string_member (state, "error"), "within 1500 ms"));
  g_assert_nonnull (json_object_get_string_member (state, "since"));
  g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 1);
  g_assert_cmpstr (state_of (states, "openai", &state), ==, "failing");
  g_assert_true (strstr (json_object_get_string_member (state, "error"), "HTTP 500"));
  g_assert_cmpstr (state_of (states, "deepgram", NULL), ==, "failing");
  g_assert_cmpstr (state_of (states, "sphinx", &state), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 2);
}

/* The first backend that answers wins; a network's chain shares the states */
static void
test_chain_derive (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", ANSWER, NULL);
  g_autoptr(Peer) deepgram = peer_start ("deepgram", "ok", "--text", "from deepgram", NULL);
  g_autofree char *wyoming = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  MiraTranscriberOptions options = {
    .deepgram_url = deepgram->url,
    .deepgram_key = "dg-test",
    .timeout_ms = TIMEOUT_MS,
  };
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(MiraTranscriberChain) derived = NULL;
  g_autoptr(MiraTranscriberChain) again = NULL;
  g_autoptr(MiraTranscriberChain) none = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  g_autoptr(MiraTranscript) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) states = NULL;
  g_autofree char *spec = g_strdup_printf ("%s,deepgram", wyoming);

  chain = mira_transcriber_chain_new ("deepgram", &options, &error);
  g_assert_no_error (error);
  transcript = run (MIRA_TRANSCRIBER (chain), TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (transcript->text, ==, "from deepgram");
  g_assert_null (transcript->failed);

  derived = mira_transcriber_chain_derive (chain, spec, &error);
  g_assert_no_error (error);
  again = mira_transcriber_chain_derive (chain, spec, &error);
  g_assert_no_error (error);
  other = run (MIRA_TRANSCRIBER (derived), TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other->text, ==, ANSWER);
  g_assert_cmpstr (other->backend, ==, wyoming);

  /* Each chain lists its own backends, whose states the chains share */
  states = mira_transcriber_chain_get_states (chain);
  g_assert_cmpuint (json_array_get_length (states), ==, 1);
  g_assert_cmpstr (state_of (states, "deepgram", NULL), ==, "ok");
  g_assert_cmpuint (mira_transcriber_chain_count_others (chain), ==, 1);
  g_clear_pointer (&states, json_array_unref);
  states = mira_transcriber_chain_get_states (again);
  g_assert_cmpstr (state_of (states, wyoming, NULL), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (states, 0),
                                               "transcriptions"), ==, 1);

  none = mira_transcriber_chain_derive (chain, "none", &error);
  g_assert_no_error (error);
  g_assert_true (mira_transcriber_chain_is_empty (none));
  g_assert_true (mira_transcriber_chain_derive (chain, NULL, NULL) == chain);
  g_object_unref (chain);   /* the reference just taken */

  /* A network's chain that names PocketSphinx on a server whose own does
   * not: /health says whether it can work before anything loads it
   */
  {
    g_autoptr(MiraTranscriberChain) sphinx = mira_transcriber_chain_derive (chain, "sphinx",
                                                                            &error);
    MiraTranscriberOptions nowhere = { .sphinx_model_dir = "/nonexistent" };
    g_autoptr(MiraTranscriberChain) remote = NULL;
    g_autoptr(MiraTranscriberChain) missing = NULL;
    g_autoptr(JsonArray) sphinx_states = NULL;
    JsonObject *state = NULL;

    g_assert_no_error (error);
    /* Not loaded: it decodes nothing before its first utterance */
    g_assert_null (mira_transcriber_decode_new (MIRA_TRANSCRIBER (sphinx), "en", NULL));
    sphinx_states = mira_transcriber_chain_get_states (sphinx);
    g_assert_cmpstr (state_of (sphinx_states, "sphinx", &state), ==, "ok");
    g_assert_cmpstr (json_object_get_string_member (state, "model"), ==, "en-us");
    g_assert_nonnull (json_object_get_string_member (state, "since"));
    g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 0);
    g_clear_pointer (&sphinx_states, json_array_unref);

    remote = mira_transcriber_chain_new ("openai", &nowhere, &error);
    g_assert_no_error (error);
    missing = mira_transcriber_chain_derive (remote, "sphinx", &error);
    g_assert_no_error (error);
    sphinx_states = mira_transcriber_chain_get_states (missing);
    g_assert_cmpstr (state_of (sphinx_states, "sphinx", &state), ==, "failing");
    g_assert_true (strstr (json_object_get_string_member (state, "error"), "missing from /nonexistent"));
  }

  /* deepgram needs its key on the server: a chain that names it without one is refused */
  {
    g_autoptr(MiraTranscriberChain) keyless = NULL;
    MiraTranscriberOptions no_key = { .timeout_ms = TIMEOUT_MS };

    keyless = mira_transcriber_chain_new ("openai", &no_key, &error);
    g_assert_no_error (error);
    g_assert_false (mira_transcriber_chain_check (keyless, "deepgram,openai", &error));
    check_error (error, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC, "deepgram needs an API key");
  }
}

/* The probe asks the Wyoming service which model it runs */
static void
test_chain_probe (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--model", "medium-int8", NULL);
  g_autofree char *spec = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  MiraTranscriberOptions options = { .timeout_ms = TIMEOUT_MS };
  g_autoptr(MiraTranscriberChain) chain = mira_transcriber_chain_new (spec, &options, NULL);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  JsonObject *state = NULL;

  mira_transcriber_chain_probe (chain);
  for (;;)
    {
      g_autoptr(JsonArray) states = mira_transcriber_chain_get_states (chain);

      if (g_strcmp0 (state_of (states, spec, &state), "ok") == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (state, "model"), ==, "medium-int8");
          /* Nothing transcribed yet: no last time */
          g_assert_false (json_object_has_member (state, "last_ms"));
          g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 0);
          break;
        }
      mira_test_check (g_get_monotonic_time () < deadline, "the probe never got an answer");
      g_usleep (20000);
    }
}

/* A service that fails `describe` counts a failure; skipped while failing,
 * it counts the utterances it was skipped for
 */
static void
test_chain_probe_failing (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", ANSWER, NULL);
  g_autoptr(Peer) gone = peer_start ("wyoming", "ok", NULL);
  g_autofree char *dead = g_strdup_printf ("wyoming://127.0.0.1:%u", gone->port);
  g_autofree char *alive = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  g_autofree char *spec = g_strdup_printf ("%s,%s", dead, alive);
  MiraTranscriberOptions options = { .timeout_ms = TIMEOUT_MS };
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  JsonObject *state = NULL;

  /* Its port, and nobody listening on it */
  g_clear_pointer (&gone, peer_stop);
  chain = mira_transcriber_chain_new (spec, &options, &error);
  g_assert_no_error (error);
  mira_transcriber_chain_probe (chain);
  for (;;)
    {
      g_autoptr(JsonArray) states = mira_transcriber_chain_get_states (chain);

      if (g_strcmp0 (state_of (states, dead, &state), "failing") == 0 &&
          g_strcmp0 (state_of (states, alive, NULL), "ok") == 0)
        {
          g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 1);
          g_assert_cmpint (json_object_get_int_member (state, "skipped"), ==, 0);
          g_assert_false (json_object_has_member (state, "last_ms"));
          break;
        }
      mira_test_check (g_get_monotonic_time () < deadline, "the probe never finished");
      g_usleep (20000);
    }

  transcript = run (MIRA_TRANSCRIBER (chain), TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (transcript->backend, ==, alive);
  g_assert_cmpstr (transcript->failed[0], ==, dead);
  {
    g_autoptr(JsonArray) states = mira_transcriber_chain_get_states (chain);

    g_assert_cmpstr (state_of (states, dead, &state), ==, "failing");
    g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (state, "skipped"), ==, 1);
    g_assert_false (json_object_has_member (state, "last_ms"));
    g_assert_cmpstr (state_of (states, alive, &state), ==, "ok");
    g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (state, "skipped"), ==, 0);
    g_assert_cmpfloat (json_object_get_double_member (state, "last_ms"), >, 0);
  }
}

/* mira-server, as an operator runs it ---------------------------------------- */

typedef struct
{
  GSubprocess    *process;
  char           *url;
  char           *db_path;
  MiraTestClient *client;
} Server;

/* A server that outlives a failed test would hold the test's output open */
static void
die_with_parent (gpointer unused)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* mira-server --transcriber @transcriber, with the arguments of @extra
 * (NULL-terminated, may be NULL) and the environment's MIRA_OPENAI_API_KEY
 * set to @openai_key (NULL: unset), on the SQLite file @db_path (NULL: a new
 * one), its log in @log_path (NULL: the test's)
 */
static Server *
server_spawn (const char          *db_path,
              const char          *log_path,
              const char          *transcriber,
              const char * const  *extra,
              const char          *openai_key)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *database = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  Server *server = g_new0 (Server, 1);

  if (db_path != NULL)
    server->db_path = g_strdup (db_path);
  else
    {
      int fd = g_file_open_tmp ("mira-speech-XXXXXX.db", &server->db_path, &error);

      g_assert_no_error (error);
      close (fd);
      g_unlink (server->db_path);
    }
  if (log_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  database = g_strconcat ("sqlite://", server->db_path, NULL);
  g_subprocess_launcher_setenv (launcher, "MIRA_ADMIN_TOKEN", MIRA_TEST_ADMIN_TOKEN, TRUE);
  if (openai_key != NULL)
    g_subprocess_launcher_setenv (launcher, "MIRA_OPENAI_API_KEY", openai_key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "MIRA_OPENAI_API_KEY");
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("MIRA_SERVER_PROGRAM"));
  for (const char * const *arg = (const char * const []) {
         "--port", "0", "--database", database, "--transcriber", transcriber,
         "--transcriber-timeout", "1500", "--sphinx-decoders", "1", NULL };
       *arg != NULL; arg++)
    g_ptr_array_add (argv, (gpointer) *arg);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  mira_test_check (line != NULL && g_str_has_prefix (line, "listening on "),
                   "mira-server --transcriber %s did not start", transcriber);
  server->url = g_strdup (line + strlen ("listening on "));
  server->client = mira_test_client_new (server->url);
  return server;
}

static Server *
server_start_full (const char          *transcriber,
                   const char * const  *extra,
                   const char          *openai_key)
{
  return server_spawn (NULL, NULL, transcriber, extra, openai_key);
}

static Server *
server_start (const char *transcriber)
{
  return server_start_full (transcriber, NULL, NULL);
}

/* Stops the server, keeping its database; returns the file's path */
static char *
server_stop_keep (Server *server)
{
  char *db_path = g_steal_pointer (&server->db_path);

  mira_test_client_free (server->client);
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_object_unref (server->process);
  g_free (server->url);
  g_free (server);
  return db_path;
}

static void
server_stop (Server *server)
{
  g_autofree char *db_path = server_stop_keep (server);
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

  g_unlink (db_path);
  g_unlink (wal);
  g_unlink (shm);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_stop)

static JsonObject *
answer_object (MiraTestResponse *response,
               guint             status)
{
  mira_test_check (response->status == status, "expected %u, got %u: %s", status,
                   response->status, response->body);
  return mira_test_response_object (response);
}

/* Creates a network; returns its id, its token in *token_out */
static char *
network_new (Server  *server,
             char   **token_out)
{
  g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "POST",
                                                            "/api/v1/networks",
                                                            MIRA_TEST_ADMIN_TOKEN,
                                                            "{\"name\": \"Home\"}");
  JsonObject *network = answer_object (r, 201);

  *token_out = g_strdup (json_object_get_string_member (network, "network_token"));
  return g_strdup (json_object_get_string_member (network, "network_id"));
}

/* Uploads the test sentence as one utterance */
static void
say_only (Server     *server,
          const char *network,
          const char *token)
{
  g_autoptr(SoupMultipart) form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) wav = NULL;
  g_autofree char *upload = g_strdup_printf ("/api/v1/%s/streams/kitchen/audio", network);
  g_autoptr(MiraTestResponse) r = NULL;
  gsize n = 0;
  g_autofree gint16 *samples = speech (&n);

  wav = mira_transcriber_wav_new (samples, n);
  soup_multipart_append_form_file (form, "audio_data", "utterance.wav", "audio/wav", wav);
  soup_multipart_to_message (form, headers, &body);
  r = mira_test_client_request_full (server->client, "POST", upload, token,
                                     soup_message_headers_get_one (headers, "Content-Type"), body);
  mira_test_check (r->status == 202, "the upload answered %u: %s", r->status, r->body);
}

/* Uploads the test sentence as one utterance and waits for its interaction */
static JsonObject *
say (Server     *server,
     const char *network,
     const char *token,
     guint       n_before)
{
  g_autofree char *list = g_strdup_printf ("/api/v1/%s/interactions?limit=1", network);
  gint64 deadline;

  say_only (server, network, token);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(MiraTestResponse) page = mira_test_client_request (server->client, "GET", list,
                                                                   token, NULL);
      JsonObject *object = answer_object (page, 200);

      if (json_object_get_int_member (object, "total") > n_before)
        return json_object_ref (json_array_get_object_element (
                                  json_object_get_array_member (object, "items"), 0));
      mira_test_check (g_get_monotonic_time () < deadline,
                       "no interaction within 30 s of the upload");
      mira_test_client_run (server->client, 100);
    }
}

static JsonArray *
health_transcribers (Server *server)
{
  g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET", "/health",
                                                            NULL, NULL);
  JsonObject *health = answer_object (r, 200);

  return json_array_ref (json_object_get_array_member (health, "transcribers"));
}

static void
put_setting (Server     *server,
             const char *network,
             const char *token,
             const char *value_json,
             guint       status,
             const char *words)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/transcriber", network);
  g_autofree char *body = g_strdup_printf ("{\"value\": %s}", value_json);
  g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "PUT", path, token,
                                                            body);
  JsonObject *object = answer_object (r, status);

  if (words != NULL)
    {
      const char *detail = json_object_get_string_member (object, "detail");

      mira_test_check (strstr (detail, words) != NULL, "'%s' does not say '%s'", detail, words);
      g_assert_cmpstr (json_object_get_string_member (object, "error_code"), !=, NULL);
    }
}

/* PUT settings/@key of @network to @value_json, answered @status */
static void
put_named_setting (Server     *server,
                   const char *network,
                   const char *token,
                   const char *key,
                   const char *value_json,
                   guint       status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/%s", network, key);
  g_autofree char *body = g_strdup_printf ("{\"value\": %s}", value_json);
  g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "PUT", path, token,
                                                            body);

  answer_object (r, status);
}

/* The language the Wyoming service was asked for last */
static const char *
last_language (Peer        *peer,
               GPtrArray  **keep)
{
  g_clear_pointer (keep, g_ptr_array_unref);
  *keep = peer_requests (peer);
  return json_object_get_string_member_with_default (request_object (*keep, (*keep)->len - 1),
                                                     "language", NULL);
}

/* A network's `language` setting reaches its transcriber, "en" until it is
 * set; read once, and again when it changes. A language PocketSphinx has
 * no model for is not written down as English: the utterance is passed
 * over (counted as skipped in /health) until the setting names English.
 */
static void
test_server_language (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", ANSWER, NULL);
  g_autofree char *wyoming = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  g_autofree char *spec = g_strconcat (wyoming, ",sphinx", NULL);
  g_autoptr(Server) server = server_start (spec);
  g_autofree char *token = NULL;
  g_autofree char *network = network_new (server, &token);
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/language", network);
  g_autoptr(GPtrArray) requests = NULL;
  static const struct { const char *value_json, *heard; guint status; } settings[] = {
    { NULL, "en", 0 }, { "\"de\"", "de", 201 }, { "\"fr-CA\"", "fr", 200 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      g_autoptr(JsonObject) interaction = NULL;

      if (settings[i].value_json != NULL)
        put_named_setting (server, network, token, "language", settings[i].value_json,
                           settings[i].status);
      interaction = say (server, network, token, i);
      g_assert_cmpstr (json_object_get_string_member (interaction, "content"), ==, ANSWER);
      g_assert_cmpstr (last_language (peer, &requests), ==, settings[i].heard);
    }
  /* The setting deleted: the default again */
  {
    g_autoptr(MiraTestResponse) deleted = mira_test_client_request (server->client, "DELETE",
                                                                    path, token, NULL);
    g_autoptr(JsonObject) interaction = NULL;

    g_assert_cmpuint (deleted->status, ==, 204);
    interaction = say (server, network, token, G_N_ELEMENTS (settings));
    g_assert_cmpstr (last_language (peer, &requests), ==, "en");
  }

  /* A network of PocketSphinx alone that speaks German */
  {
    g_autofree char *other_token = NULL;
    g_autofree char *other = network_new (server, &other_token);
    g_autofree char *list = g_strdup_printf ("/api/v1/%s/interactions", other);
    g_autoptr(MiraTestResponse) r = NULL;
    g_autoptr(JsonObject) english = NULL;
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    guint n_requests;

    g_clear_pointer (&requests, g_ptr_array_unref);
    requests = peer_requests (peer);
    n_requests = requests->len;
    put_named_setting (server, other, other_token, "transcriber", "\"sphinx\"", 201);
    put_named_setting (server, other, other_token, "language", "\"de\"", 201);
    say_only (server, other, other_token);
    for (;;)
      {
        g_autoptr(JsonArray) states = health_transcribers (server);
        JsonObject *state = NULL;

        g_assert_cmpstr (state_of (states, "sphinx", &state), ==, "ok");
        /* Once, or twice when it was tried before the utterance's window closed */
        if (json_object_get_int_member (state, "skipped") >= 1)
          {
            g_assert_cmpint (json_object_get_int_member (state, "failures"), ==, 0);
            break;
          }
        mira_test_check (g_get_monotonic_time () < deadline,
                         "PocketSphinx was not passed over for German within 30 s");
        mira_test_client_run (server->client, 100);
      }
    r = mira_test_client_request (server->client, "GET", list, other_token, NULL);
    g_assert_cmpint (json_object_get_int_member (answer_object (r, 200), "total"), ==, 0);

    put_named_setting (server, other, other_token, "language", "\"en-GB\"", 200);
    english = say (server, other, other_token, 0);
    mira_test_check (strstr (json_object_get_string_member (english, "content"), "kitchen")
                     != NULL, "PocketSphinx heard '%s'",
                     json_object_get_string_member (english, "content"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (english,
                                                                                   "metadata"),
                                                    "transcriber"), ==, "sphinx");
    /* The service of the server's chain was never asked */
    g_clear_pointer (&requests, g_ptr_array_unref);
    requests = peer_requests (peer);
    g_assert_cmpuint (requests->len, ==, n_requests);
  }
}

/* mira-server --transcriber wyoming://…,sphinx uses the service; when it
 * goes away, PocketSphinx takes over. A network's setting picks its own.
 */
static void
test_server_fallback (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", ANSWER, NULL);
  g_autofree char *wyoming = g_strdup_printf ("wyoming://127.0.0.1:%u", peer->port);
  g_autofree char *spec = g_strconcat (wyoming, ",sphinx", NULL);
  g_autoptr(Server) server = server_start (spec);
  g_autofree char *token = NULL;
  g_autofree char *network = network_new (server, &token);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonArray) states = NULL;
  JsonObject *metadata;
  JsonObject *state = NULL;

  /* PocketSphinx loaded at start: it works before its first utterance */
  states = health_transcribers (server);
  g_assert_cmpstr (state_of (states, "sphinx", &state), ==, "ok");
  g_assert_nonnull (json_object_get_string_member (state, "since"));
  g_assert_cmpstr (json_object_get_string_member (state, "model"), ==, "en-us");
  g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 0);
  g_clear_pointer (&states, json_array_unref);

  first = say (server, network, token, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "content"), ==, ANSWER);
  metadata = json_object_get_object_member (first, "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "transcriber"), ==, wyoming);
  g_assert_cmpstr (json_object_get_string_member (metadata, "transcriber_model"), ==,
                   "tiny-int8");
  g_assert_cmpfloat (json_object_get_double_member (metadata, "transcription_ms"), >, 0);
  g_assert_false (json_object_has_member (metadata, "transcriber_failed"));
  states = health_transcribers (server);
  g_assert_cmpstr (state_of (states, wyoming, &state), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (state, "model"), ==, "tiny-int8");
  g_clear_pointer (&states, json_array_unref);

  /* The service goes away: the words come from PocketSphinx */
  g_clear_pointer (&peer, peer_stop);
  second = say (server, network, token, 1);
  mira_test_check (strstr (json_object_get_string_member (second, "content"), "kitchen") != NULL,
                   "PocketSphinx heard '%s'", json_object_get_string_member (second, "content"));
  metadata = json_object_get_object_member (second, "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "transcriber"), ==, "sphinx");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (metadata,
                                                                                "transcriber_failed"),
                                                  0), ==, wyoming);
  states = health_transcribers (server);
  g_assert_cmpstr (state_of (states, wyoming, &state), ==, "failing");
  g_assert_nonnull (strstr (json_object_get_string_member (state, "error"), "cannot connect"));
  g_assert_nonnull (json_object_get_string_member (state, "since"));
  g_assert_cmpstr (state_of (states, "sphinx", NULL), ==, "ok");

  /* service/info says the same */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/info", network);
    g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET", path, token,
                                                              NULL);
    JsonObject *info = json_object_get_object_member (answer_object (r, 200), "server");

    g_assert_cmpstr (json_object_get_string_member (info, "transcriber"), ==, spec);
    g_assert_cmpstr (state_of (json_object_get_array_member (info, "transcribers"), wyoming,
                               NULL), ==, "failing");
    g_assert_false (json_object_has_member (answer_object (r, 200), "network_transcribers"));
  }

  /* A network's own chain: bad values are refused and change nothing */
  {
    g_autoptr(Peer) own = peer_start ("wyoming", "ok", "--text", "from the network's own service",
                                      NULL);
    g_autofree char *value = g_strdup_printf ("\"wyoming://127.0.0.1:%u\"", own->port);
    g_autofree char *other_token = NULL;
    g_autofree char *other = network_new (server, &other_token);
    g_autoptr(JsonObject) mine = NULL;
    g_autoptr(JsonObject) theirs = NULL;

    put_setting (server, network, token, "\"whisper\"", 422, "'whisper' is not a transcriber");
    put_setting (server, network, token, "\"wyoming://127.0.0.1\"", 422, "needs a port");
    put_setting (server, network, token, "\"deepgram,sphinx\"", 422, "deepgram needs an API key");
    put_setting (server, network, token, "42", 422, "transcriber");
    put_setting (server, network, token, value, 201, NULL);

    mine = say (server, network, token, 2);
    g_assert_cmpstr (json_object_get_string_member (mine, "content"), ==,
                     "from the network's own service");
    /* The other network keeps the server's chain */
    theirs = say (server, other, other_token, 0);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (theirs,
                                                                                   "metadata"),
                                                    "transcriber"), ==, "sphinx");
  }

  /* The setting gone, the network's next utterance has the server's chain
   * again, and its own chain once more when the network's settings name it
   */
  {
    g_autoptr(Peer) own = peer_start ("wyoming", "ok", "--text", "from the patched setting",
                                      NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/transcriber", network);
    g_autofree char *patch_path = g_strdup_printf ("/api/v1/networks/%s", network);
    g_autofree char *patch = g_strdup_printf ("{\"settings\": {\"transcriber\": "
                                              "\"wyoming://127.0.0.1:%u\"}}", own->port);
    g_autoptr(MiraTestResponse) deleted = mira_test_client_request (server->client, "DELETE",
                                                                    path, token, NULL);
    g_autoptr(MiraTestResponse) patched = NULL;
    g_autoptr(JsonObject) server_chain = NULL;
    g_autoptr(JsonObject) patched_chain = NULL;

    g_assert_cmpuint (deleted->status, ==, 204);
    server_chain = say (server, network, token, 3);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (server_chain,
                                                                                   "metadata"),
                                                    "transcriber"), ==, "sphinx");
    patched = mira_test_client_request (server->client, "PATCH", patch_path, token, patch);
    answer_object (patched, 200);
    patched_chain = say (server, network, token, 4);
    g_assert_cmpstr (json_object_get_string_member (patched_chain, "content"), ==,
                     "from the patched setting");
  }
}

/* A network that names ever more backends holds only its own chain: the
 * backends it named before are let go, and no other network is refused
 */
static void
test_server_many_chains (void)
{
  g_autoptr(Peer) peer = peer_start ("wyoming", "ok", "--text", "from the second network",
                                     NULL);
  g_autoptr(Server) server = server_start ("sphinx");
  g_autofree char *token = NULL;
  g_autofree char *network = network_new (server, &token);
  g_autofree char *other_token = NULL;
  g_autofree char *other = network_new (server, &other_token);
  g_autofree char *value = g_strdup_printf ("\"wyoming://127.0.0.1:%u\"", peer->port);
  g_autoptr(JsonObject) interaction = NULL;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *named = g_strdup_printf ("\"wyoming://host%u.example:%u\"", i,
                                                10000 + i);

      put_setting (server, network, token, named, i == 0 ? 201 : 200, NULL);
    }
  put_setting (server, other, other_token, value, 201, NULL);
  interaction = say (server, other, other_token, 0);
  g_assert_cmpstr (json_object_get_string_member (interaction, "content"), ==,
                   "from the second network");

  /* /health, which anyone may read, names the server's chain only, and
   * counts the one service a network's chain uses now
   */
  {
    g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET", "/health",
                                                              NULL, NULL);
    JsonObject *health = answer_object (r, 200);
    JsonArray *states = json_object_get_array_member (health, "transcribers");

    g_assert_cmpuint (json_array_get_length (states), ==, 1);
    g_assert_cmpstr (state_of (states, "sphinx", NULL), ==, "ok");
    g_assert_cmpint (json_object_get_int_member (health, "network_transcribers"), ==, 1);
    mira_test_check (strstr (r->body, "wyoming") == NULL, "/health names a network's service: %s",
                     r->body);
  }

  /* A network's service/info lists the server's chain and its own, not another's */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/info", i ? other : network);
      g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET", path,
                                                                i ? other_token : token, NULL);
      JsonObject *info = answer_object (r, 200);
      JsonArray *own = json_object_get_array_member (info, "network_transcribers");
      JsonObject *state = NULL;
      g_autofree char *theirs = g_strdup_printf ("127.0.0.1:%u", peer->port);

      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                          json_object_get_object_member (info, "server"), "transcribers")), ==, 1);
      g_assert_cmpuint (json_array_get_length (own), ==, 1);
      if (i == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (info, "network_transcriber"), ==,
                           "wyoming://host299.example:10299");
          g_assert_cmpstr (state_of (own, "wyoming://host299.example:10299", NULL), ==,
                           "unknown");
          mira_test_check (strstr (r->body, theirs) == NULL,
                           "one network's service/info names another's service: %s", r->body);
        }
      else
        {
          g_autofree char *name = g_strdup_printf ("wyoming://%s", theirs);

          g_assert_cmpstr (state_of (own, name, &state), ==, "ok");
          g_assert_cmpint (json_object_get_int_member (state, "transcriptions"), ==, 1);
          mira_test_check (strstr (r->body, "host299") == NULL,
                           "one network's service/info names another's service: %s", r->body);
        }
    }

  /* The setting deleted, the service is let go */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/transcriber", other);
    g_autoptr(MiraTestResponse) deleted = mira_test_client_request (server->client, "DELETE",
                                                                    path, other_token, NULL);
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    g_assert_cmpuint (deleted->status, ==, 204);
    for (;;)
      {
        g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET",
                                                                  "/health", NULL, NULL);
        JsonObject *health = answer_object (r, 200);

        if (json_object_get_int_member (health, "network_transcribers") == 0)
          break;
        mira_test_check (g_get_monotonic_time () < deadline,
                         "the deleted setting's service is still in use");
        mira_test_client_run (server->client, 50);
      }
  }
}

/* A network's own Wyoming service is asked which model it runs when the
 * network's chain is built, as the server's are at start-up: its
 * service/info and its transcripts name the model
 */
static void
test_server_network_model (void)
{
  g_autoptr(Peer) own = peer_start ("wyoming", "ok", "--text", ANSWER, "--model", "medium-int8",
                                    NULL);
  g_autoptr(Server) server = server_start ("sphinx");
  g_autofree char *token = NULL;
  g_autofree char *network = network_new (server, &token);
  g_autofree char *name = g_strdup_printf ("wyoming://127.0.0.1:%u", own->port);
  g_autofree char *value = g_strdup_printf ("\"%s\"", name);
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/info", network);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  gint64 deadline;

  put_setting (server, network, token, value, 201, NULL);
  first = say (server, network, token, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "content"), ==, ANSWER);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(MiraTestResponse) r = mira_test_client_request (server->client, "GET", path,
                                                                token, NULL);
      JsonObject *info = answer_object (r, 200);
      JsonObject *state = NULL;

      if (state_of (json_object_get_array_member (info, "network_transcribers"), name,
                    &state) != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (state, "model", NULL),
                     "medium-int8") == 0)
        break;
      mira_test_check (g_get_monotonic_time () < deadline,
                       "the network's service never said its model: %s", r->body);
      mira_test_client_run (server->client, 50);
    }
  second = say (server, network, token, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (second,
                                                                                 "metadata"),
                                                  "transcriber_model"), ==, "medium-int8");
}

/* A network's chain that this server can no longer build after a restart
 * (deepgram, and the key gone) leaves its audio untranscribed rather than
 * sending it to the server's chain, and says so: in the log, naming the
 * network, and in the network's service/info
 */
static void
test_server_restart_unusable (void)
{
  g_autoptr(Peer) deepgram = peer_start ("deepgram", "ok", "--text", "from deepgram", NULL);
  g_autofree char *dir = g_dir_make_tmp ("mira-restart-XXXXXX", NULL);
  g_autofree char *key = g_build_filename (dir, "deepgram-key", NULL);
  g_autofree char *log_path = g_build_filename (dir, "server.log", NULL);
  const char * const with_key[] = { "--deepgram-url", deepgram->url, "--deepgram-key-file", key,
                                    NULL };
  g_autoptr(Server) server = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *token = NULL;
  g_autofree char *network = NULL;
  g_autofree char *other_token = NULL;
  g_autofree char *other = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) theirs = NULL;
  gint64 deadline;

  g_assert_true (g_file_set_contents (key, "dg-test\n", -1, NULL));
  server = server_spawn (NULL, NULL, "sphinx", with_key, NULL);
  network = network_new (server, &token);
  other = network_new (server, &other_token);
  put_setting (server, network, token, "\"deepgram\"", 201, NULL);
  first = say (server, network, token, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "content"), ==, "from deepgram");

  /* The same database, no key */
  db_path = server_stop_keep (g_steal_pointer (&server));
  server = server_spawn (db_path, log_path, "sphinx", NULL, NULL);

  {
    g_autofree char *upload = g_strdup_printf ("/api/v1/%s/streams/kitchen/audio", network);
    g_autoptr(SoupMultipart) form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
    g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GBytes) wav = NULL;
    g_autoptr(MiraTestResponse) r = NULL;
    gsize n = 0;
    g_autofree gint16 *samples = speech (&n);

    wav = mira_transcriber_wav_new (samples, n);
    soup_multipart_append_form_file (form, "audio_data", "utterance.wav", "audio/wav", wav);
    soup_multipart_to_message (form, headers, &body);
    r = mira_test_client_request_full (server->client, "POST", upload, token,
                                       soup_message_headers_get_one (headers, "Content-Type"),
                                       body);
    mira_test_check (r->status == 202, "the upload answered %u: %s", r->status, r->body);
  }
  /* The log names the network and says why */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (log_path, &log, NULL, NULL);
      if (log != NULL && strstr (log, network) != NULL &&
          strstr (log, "deepgram needs an API key") != NULL &&
          strstr (log, "not transcribed") != NULL)
        break;
      mira_test_check (g_get_monotonic_time () < deadline,
                       "the log never said the network's chain cannot be used: %s", log);
      mira_test_client_run (server->client, 50);
    }
  /* Another network's utterance, said after it, is transcribed by the
   * server's chain; the first network's is not, by any
   */
  theirs = say (server, other, other_token, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (theirs,
                                                                                 "metadata"),
                                                  "transcriber"), ==, "sphinx");
  {
    g_autofree char *list = g_strdup_printf ("/api/v1/%s/interactions", network);
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/info", network);
    g_autoptr(MiraTestResponse) page = mira_test_client_request (server->client, "GET", list,
                                                                 token, NULL);
    g_autoptr(MiraTestResponse) info = mira_test_client_request (server->client, "GET", path,
                                                                 token, NULL);
    JsonObject *object = answer_object (info, 200);
    JsonObject *state = NULL;

    g_assert_cmpint (json_object_get_int_member (answer_object (page, 200), "total"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (object, "network_transcriber"), ==,
                     "deepgram");
    g_assert_cmpstr (state_of (json_object_get_array_member (object, "network_transcribers"),
                               "deepgram", &state), ==, "failing");
    g_assert_nonnull (strstr (json_object_get_string_member (state, "error"),
                              "deepgram needs an API key"));
  }
  g_unlink (key);
  g_unlink (log_path);
  g_rmdir (dir);
}

/* One rule for every API key: the file the command line names, else the
 * environment variable, else none.
 */
static void
test_api_key (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mira-key-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "key", NULL);
  g_autofree char *two = g_build_filename (dir, "two-lines", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(GError) error = NULL;
  char *key = NULL;

  g_assert_true (g_file_set_contents (file, "  sk-from-file \n", -1, NULL));
  g_assert_true (g_file_set_contents (two, "sk-one\nsk-two\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty, " \n", -1, NULL));
  g_setenv ("MIRA_TEST_API_KEY", "sk-from-environment", TRUE);

  /* The file wins over the environment */
  g_assert_true (mira_api_key_load (file, "MIRA_TEST_API_KEY", "--test-key-file", &key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-from-file");
  g_clear_pointer (&key, g_free);

  /* Without a file, the environment */
  g_assert_true (mira_api_key_load (NULL, "MIRA_TEST_API_KEY", "--test-key-file", &key, &error));
  g_assert_cmpstr (key, ==, "sk-from-environment");
  g_clear_pointer (&key, g_free);

  /* An empty variable is no key */
  g_setenv ("MIRA_TEST_API_KEY", "", TRUE);
  g_assert_true (mira_api_key_load (NULL, "MIRA_TEST_API_KEY", "--test-key-file", &key, &error));
  g_assert_null (key);

  /* A file given that holds no key, or two lines, or is not there, is an
   * error naming the option, even with the variable set
   */
  g_setenv ("MIRA_TEST_API_KEY", "sk-from-environment", TRUE);
  for (guint i = 0; i < 3; i++)
    {
      const char *path = (const char *[]) { two, empty, missing }[i];

      g_assert_false (mira_api_key_load (path, "MIRA_TEST_API_KEY", "--test-key-file", &key,
                                         &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_nonnull (strstr (error->message, "--test-key-file"));
      g_assert_null (strstr (error->message, "sk-"));
      g_assert_null (key);
      g_clear_error (&error);
    }
  g_unsetenv ("MIRA_TEST_API_KEY");
  g_unlink (file);
  g_unlink (two);
  g_unlink (empty);
  g_rmdir (dir);
}

/* mira-server reads the openai key by that rule: the service, which takes
 * one key only, hears from the server (not from PocketSphinx after it)
 * whether the key comes from --openai-key-file with the environment
 * naming another, or from the environment alone.
 */
static void
test_server_api_key (void)
{
  g_autoptr(Peer) peer = peer_start ("openai", "ok", "--text", ANSWER, "--key", "sk-right",
                                     NULL);
  g_autofree char *dir = g_dir_make_tmp ("mira-key-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "openai-key", NULL);

  g_assert_true (g_file_set_contents (file, "sk-right\n", -1, NULL));
  for (guint i = 0; i < 2; i++)
    {
      const char * const with_file[] = { "--openai-url", peer->url, "--openai-key-file", file,
                                         NULL };
      const char * const without[] = { "--openai-url", peer->url, NULL };
      g_autoptr(Server) server = server_start_full ("openai,sphinx",
                                                    i == 0 ? with_file : without,
                                                    i == 0 ? "sk-wrong" : "sk-right");
      g_autofree char *token = NULL;
      g_autofree char *network = network_new (server, &token);
      g_autoptr(JsonObject) interaction = say (server, network, token, 0);
      JsonObject *metadata = json_object_get_object_member (interaction, "metadata");

      g_assert_cmpstr (json_object_get_string_member (metadata, "transcriber"), ==, "openai");
      g_assert_cmpstr (json_object_get_string_member (interaction, "content"), ==, ANSWER);
    }
  g_unlink (file);
  g_rmdir (dir);
}

/* A decoder unused for its idle time is let go; the next utterance loads one again */
static void
test_sphinx_idle (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = mira_sphinx_new (NULL, 1, &error);
  gint64 deadline;

  g_assert_no_error (error);
  g_assert_cmpuint (mira_sphinx_get_n_loaded (sphinx), ==, 1);
  mira_sphinx_set_idle (sphinx, 1);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (mira_sphinx_get_n_loaded (sphinx) > 0)
    {
      mira_test_check (g_get_monotonic_time () < deadline,
                       "the idle decoder was not let go within 60 s");
      g_usleep (50000);
    }

  /* Kept from now on, so that what follows does not depend on the time it takes */
  mira_sphinx_set_idle (sphinx, 0);
  {
    g_autoptr(MiraTranscript) transcript = run (MIRA_TRANSCRIBER (sphinx), 60000, &error);

    g_assert_no_error (error);
    mira_test_check (strstr (transcript->text, "kitchen") && strstr (transcript->text, "lights"),
                     "PocketSphinx heard '%s'", transcript->text);
  }
  g_assert_cmpuint (mira_sphinx_get_n_loaded (sphinx), ==, 1);
}

typedef struct
{
  MiraTranscript *transcript;
  GError         *error;
  gboolean        done;
} Ended;

static void
decode_transcribed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Ended *ended = user_data;

  ended->transcript = mira_transcriber_transcribe_finish (MIRA_TRANSCRIBER (source), result,
                                                          &ended->error);
  ended->done = TRUE;
}

/* @pushed pushed in 20 ms pieces to a decode begun before the end of
 * @samples, which is then ended: the transcript
 */
static MiraTranscript *
decode_streamed (MiraTranscriberChain *chain,
                 MiraSphinxCmn        *cmn,
                 gboolean             *has_cmn,
                 const gint16         *pushed,
                 gsize                 n_pushed,
                 const gint16         *samples,
                 gsize                 n)
{
  g_autoptr(MiraSphinxDecode) decode = mira_transcriber_decode_new (MIRA_TRANSCRIBER (chain), "en",
                                                                          *has_cmn ? cmn : NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (samples, n * sizeof (gint16));
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  Ended ended = { 0 };

  g_assert_nonnull (decode);
  for (gsize i = 0; i < n_pushed; i += 320)
    mira_sphinx_decode_push (decode, pushed + i, MIN (320, n_pushed - i));
  mira_transcriber_transcribe_decode_async (MIRA_TRANSCRIBER (chain), bytes, decode, "en", NULL, decode_transcribed,
                                                  &ended);
  while (!ended.done)
    {
      mira_test_check (g_get_monotonic_time () < deadline, "no transcript within 60 s");
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_no_error (ended.error);
  *has_cmn = mira_sphinx_decode_get_cmn (decode, cmn);
  g_assert_true (*has_cmn);
  return ended.transcript;
}

/* A decode begun while the utterance is spoken hears what a whole one does;
 * audio pushed that turns out not to be the utterance's start is not used
 */
static void
test_sphinx_streamed (void)
{
  MiraTranscriberOptions options = { .sphinx_decoders = 1, .timeout_ms = TIMEOUT_MS };
  g_autoptr(MiraTranscriberChain) chain = mira_transcriber_chain_new ("sphinx", &options, NULL);
  g_autoptr(MiraTranscriberChain) remote = mira_transcriber_chain_derive (chain, "openai,sphinx",
                                                                          NULL);
  const char *sentence = "remind me to call the dentist tomorrow at five pm";
  gsize n = 0, n_other = 0;
  g_autofree gint16 *samples = mira_test_speech_mix (mira_test_speech_get ("rms", sentence),
                                                     -20.0, INFINITY, 1.0, 300, 300, 1, &n);
  /* Not silent at its start, as the utterance is */
  g_autofree gint16 *other = mira_test_speech_mix (mira_test_speech_get ("slt", SENTENCE), -20.0,
                                                   30.0, 1.0, 300, 300, 1, &n_other);
  MiraSphinxCmn cmn;
  gboolean has_cmn = FALSE;

  /* A chain that begins with a remote service transcribes once the utterance is over */
  g_assert_null (mira_transcriber_decode_new (MIRA_TRANSCRIBER (remote), "en", NULL));

  /* A microphone's first utterance, with no mean known before: decoded
   * whole at its end, its mean kept
   */
  {
    g_autoptr(MiraTranscript) first = decode_streamed (chain, &cmn, &has_cmn, samples, n,
                                                       samples, n);

    g_assert_cmpstr (first->text, ==, sentence);
    g_assert_cmpstr (first->backend, ==, "sphinx");
    g_assert_cmpfloat (first->streamed_s, <=, n / 16000.0);
  }
  /* The next ones are decoded as they come, by that mean: the same words */
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(MiraTranscript) next = decode_streamed (chain, &cmn, &has_cmn, samples, n,
                                                        samples, n);

      g_assert_cmpstr (next->text, ==, sentence);
      g_assert_cmpfloat (next->streamed_s, <=, n / 16000.0);
      g_assert_cmpfloat (next->elapsed_ms, >, 0);
    }
  /* Another stream's audio pushed: the utterance is decoded from its own start */
  {
    g_autoptr(MiraTranscript) again = decode_streamed (chain, &cmn, &has_cmn, other, n_other,
                                                       samples, n);

    g_assert_cmpstr (again->text, ==, sentence);
    g_assert_cmpfloat (again->streamed_s, ==, 0);
  }
}

/* A microphone's first utterance, pushed as it is spoken (20 ms at a time,
 * in real time) to a decoder that has never decoded: a short command after
 * room noise, heard word for word. Its first seconds are too little voice
 * to normalise the whole by: it is decoded whole at its end.
 */
static void
test_sphinx_streamed_first (void)
{
  MiraTranscriberOptions options = { .sphinx_decoders = 1, .timeout_ms = TIMEOUT_MS };
  g_autoptr(MiraTranscriberChain) chain = mira_transcriber_chain_new ("sphinx", &options, NULL);
  const char *sentence = "play some music in the living room";
  gsize n = 0;
  /* Room noise 30 dB below the words, 300 ms before them and a second after */
  g_autofree gint16 *samples = mira_test_speech_mix (mira_test_speech_get ("slt", sentence),
                                                     -20.0, 30.0, 1.0, 300, 1000, 91, &n);
  g_autoptr(MiraSphinxDecode) decode = mira_transcriber_decode_new (MIRA_TRANSCRIBER (chain),
                                                                    "en", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (samples, n * sizeof (gint16));
  g_autoptr(MiraTranscript) transcript = NULL;
  gint64 start_us = g_get_monotonic_time ();
  gint64 deadline = start_us + 60 * G_USEC_PER_SEC;
  MiraSphinxCmn cmn;
  Ended ended = { 0 };

  g_assert_nonnull (decode);
  for (gsize i = 0; i < n; i += 320)
    {
      gint64 due = start_us + (gint64) (i / 320) * 20000;
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        g_usleep ((gulong) (due - now));
      mira_sphinx_decode_push (decode, samples + i, MIN (320, n - i));
    }
  mira_transcriber_transcribe_decode_async (MIRA_TRANSCRIBER (chain), bytes, decode, "en", NULL,
                                            decode_transcribed, &ended);
  while (!ended.done)
    {
      mira_test_check (g_get_monotonic_time () < deadline, "no transcript within 60 s");
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_no_error (ended.error);
  transcript = ended.transcript;
  g_assert_cmpstr (transcript->text, ==, sentence);
  /* The microphone's next utterance starts from this one's mean */
  g_assert_true (mira_sphinx_decode_get_cmn (decode, &cmn));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/transcriber/spec", test_spec);
  g_test_add_func ("/transcriber/wyoming/ok", test_wyoming_ok);
  g_test_add_func ("/transcriber/wyoming/failures", test_wyoming_failures);
  g_test_add_func ("/transcriber/openai/ok", test_openai_ok);
  g_test_add_data_func ("/transcriber/openai/failures", "openai", test_http_failures);
  g_test_add_func ("/transcriber/deepgram/ok", test_deepgram_ok);
  g_test_add_data_func ("/transcriber/deepgram/failures", "deepgram", test_http_failures);
  g_test_add_func ("/transcriber/language", test_language);
  g_test_add_func ("/transcriber/language/sphinx", test_language_sphinx);
  g_test_add_func ("/transcriber/chain/fallback", test_chain_fallback);
  g_test_add_func ("/transcriber/chain/derive", test_chain_derive);
  g_test_add_func ("/transcriber/chain/probe", test_chain_probe);
  g_test_add_func ("/transcriber/chain/probe-failing", test_chain_probe_failing);
  g_test_add_func ("/transcriber/server/fallback", test_server_fallback);
  g_test_add_func ("/transcriber/server/many-chains", test_server_many_chains);
  g_test_add_func ("/transcriber/server/restart-unusable", test_server_restart_unusable);
  g_test_add_func ("/transcriber/server/network-model", test_server_network_model);
  g_test_add_func ("/transcriber/server/language", test_server_language);
  g_test_add_func ("/transcriber/api-key", test_api_key);
  g_test_add_func ("/transcriber/server/api-key", test_server_api_key);
  g_test_add_func ("/transcriber/sphinx/idle", test_sphinx_idle);
  g_test_add_func ("/transcriber/sphinx/streamed", test_sphinx_streamed);
  g_test_add_func ("/transcriber/sphinx/streamed-first", test_sphinx_streamed_first);

  return g_test_run ();
}
