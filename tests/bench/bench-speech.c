/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Speech to words, measured:
 *
 *   - the word error rate of the default transcriber chain (sphinx) on a
 *     corpus of sentences spoken by flite's voices rms, slt, awb and kal16,
 *     clean and with white noise 10 dB below the speech;
 *   - the real-time factor of each backend that runs on this machine
 *     (PocketSphinx): its time for an utterance over the utterance's length;
 *   - what each remote backend's client costs on top of its service: the
 *     time of a whole exchange with a local service that answers at once
 *     (tests/speech-peer.py), i.e. the WAV or Wyoming framing, HTTP or TCP
 *     and the parsing of the answer, without any recognition.
 *
 *   bench-speech [--sentences N] [--voices rms,slt,awb,kal16] [--exchanges N] [--threads N]
 *                [--streamed [--prior own|other]]
 *
 * --streamed decodes each sentence as the audio hub does while an utterance
 * is spoken: pushed in 20 ms pieces to a decode begun before its end,
 * normalised from its first frame by a cepstral mean known before (its CPU
 * time is the process's, over all jobs). --prior says which:
 *   own    the mean the voice's previous sentence left (a microphone's next
 *          utterance); its first sentence, with none, is decoded whole at
 *          its end, as a new device's first utterance is. The default.
 *   other  the mean another voice's first sentence left, in the same
 *          condition, for every sentence: what a new device's first
 *          utterance would get from another device of its network (the
 *          audio hub does not: it measured worse than whole decodes).
 * The first sentence of each voice and condition is also tallied alone.
 *
 * Each voice and condition is one job; --threads of them run at once (each
 * with its own PocketSphinx decoder, as the server's transcription threads
 * do). Times are each transcription's own: its wall time and its thread's
 * CPU time.
 */

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mira-deepgram-transcriber.h"
#include "mira-openai-transcriber.h"
#include "mira-test-live.h"
#include "mira-transcriber-chain.h"
#include "mira-wyoming-transcriber.h"

#define SPEECH_DBFS -20.0
#define NOISY_SNR_DB 10.0

/* Everyday requests and remarks to an assistant, without digits (flite and
 * a listener say them the same way). */
static const char * const corpus[] = {
  "turn on the lights in the kitchen",
  "remind me to call the dentist tomorrow at five",
  "what is the weather going to be like this afternoon",
  "set a timer for ten minutes",
  "play some music in the living room",
  "add milk and bread to the shopping list",
  "the meeting with the bank moved to next friday",
  "please wake me up at seven in the morning",
  "how long does it take to drive to the airport",
  "send a message to my sister that i am running late",
  "close the garage door",
  "turn the heating down a little",
  "i need to pick up the children from school at three",
  "what time does the pharmacy open on sunday",
  "schedule a call with the plumber on monday morning",
  "the package should arrive before noon",
  "remind me to water the plants this evening",
  "read me the news headlines",
  "lock the front door and turn off the lights",
  "we are out of coffee again",
  "call my mother when i get home",
  "how many days are left until the holidays",
  "book a table for four at the italian restaurant",
  "the car needs new tires before winter",
  "cancel my appointment with the doctor",
  "start the dishwasher in one hour",
  "open the blinds in the bedroom",
  "remind me to pay the electricity bill on the first",
  "what is on my calendar for tomorrow",
  "the train leaves at half past eight",
  "find a recipe for chicken soup",
  "tell me a joke about computers",
  "the children have a football match on saturday",
  "turn up the volume on the television",
  "add a dentist appointment next tuesday at ten",
  "my keys are on the table by the window",
  "did anyone feed the cat this morning",
  "order more paper for the printer",
  "the neighbours are coming for dinner tonight",
  "switch off the radio in the bathroom",
};

static double
thread_cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Lower case words of letters and apostrophes */
static GStrv
words_of (const char *text)
{
  g_autofree char *lower = g_ascii_strdown (text, -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;

  for (char *p = lower; *p; p++)
    if (!g_ascii_isalpha (*p) && *p != '\'')
      *p = ' ';
  parts = g_strsplit (lower, " ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

/* Word-level edit distance: substitutions + deletions + insertions */
static guint
word_errors (const char *reference,
             const char *hypothesis,
             guint      *n_reference)
{
  g_auto(GStrv) ref = words_of (reference);
  g_auto(GStrv) hyp = words_of (hypothesis);
  guint n = g_strv_length (ref), m = g_strv_length (hyp);
  g_autofree guint *row = g_new (guint, m + 1);
  guint errors;

  for (guint j = 0; j <= m; j++)
    row[j] = j;
  for (guint i = 1; i <= n; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (guint j = 1; j <= m; j++)
        {
          guint above = row[j];
          guint cost = g_str_equal (ref[i - 1], hyp[j - 1]) ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  errors = row[m];
  *n_reference = n;
  return errors;
}

typedef struct
{
  guint  errors;
  guint  words;
  guint  sentences;
  guint  exact;
  double audio_s;
  double wall_s;
  double cpu_s;
} Tally;

static void
tally_print (const char  *label,
             const Tally *t)
{
  g_print ("  %-14s WER %5.1f %%  (%u errors / %u words; %u of %u sentences exact)"
           "  RTF %.3f (CPU %.3f)\n",
           label, 100.0 * t->errors / MAX (t->words, 1), t->errors, t->words, t->exact,
           t->sentences, t->wall_s / MAX (t->audio_s, 1e-9), t->cpu_s / MAX (t->audio_s, 1e-9));
}

static void
tally_add (Tally       *into,
           const Tally *t)
{
  into->errors += t->errors;
  into->words += t->words;
  into->sentences += t->sentences;
  into->exact += t->exact;
  into->audio_s += t->audio_s;
  into->wall_s += t->wall_s;
  into->cpu_s += t->cpu_s;
}

static gboolean opt_streamed;

typedef enum
{
  PRIOR_OWN,
  PRIOR_OTHER,
} Prior;

static Prior opt_prior = PRIOR_OWN;

typedef struct
{
  MiraTranscript *transcript;
  GError         *error;
  gboolean        done;
} Wait;

static void
transcribed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *wait = user_data;

  wait->transcript = mira_transcriber_transcribe_finish (MIRA_TRANSCRIBER (source), result,
                                                         &wait->error);
  wait->done = TRUE;
}

/* As the audio hub does: pushed while spoken from @prior (NULL: none),
 * ended; @cmn_out is the mean it leaves for the next
 */
static MiraTranscript *
transcribe_streamed (MiraTranscriberChain  *chain,
                     const gint16          *pcm,
                     gsize                  n,
                     const MiraSphinxCmn   *prior,
                     MiraSphinxCmn         *cmn_out,
                     GError               **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GBytes) samples = g_bytes_new (pcm, n * sizeof (gint16));
  g_autoptr(MiraSphinxDecode) decode = NULL;
  Wait wait = { 0 };

  g_main_context_push_thread_default (context);
  decode = mira_transcriber_decode_new (MIRA_TRANSCRIBER (chain), "en", prior);
  g_assert_nonnull (decode);
  for (gsize i = 0; i < n; i += 320)
    mira_sphinx_decode_push (decode, pcm + i, MIN (320, n - i));
  mira_transcriber_transcribe_decode_async (MIRA_TRANSCRIBER (chain), samples, decode, "en", NULL, transcribed,
                                                  &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  if (wait.error == NULL)
    g_assert_true (mira_sphinx_decode_get_cmn (decode, cmn_out));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.transcript;
}

static double
process_cpu_s (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

typedef struct
{
  MiraTranscriber *transcriber;
  const char      *voice;
  gboolean         noisy;
  guint            n_sentences;
  Tally            tally;
  Tally            first;       /* of its first sentence */
  MiraSphinxCmn    first_cmn;   /* --prior other: the mean its first sentence left */
  const MiraSphinxCmn *other;   /* --prior other: another job's first_cmn */
  double           streamed_s;  /* --streamed: audio decoded before its end */
  char            *lines;       /* BENCH_VERBOSE: each sentence and what was heard */
} Job;

static void
run_job (gpointer data,
         gpointer unused)
{
  Job *job = data;
  g_autoptr(GString) lines = g_string_new (NULL);
  MiraSphinxCmn cmn;
  gboolean has_cmn = FALSE;

  for (guint s = 0; s < job->n_sentences; s++)
    {
      Tally *t = s == 0 ? &job->first : &job->tally;
      const MiraTestSpeech *speech = mira_test_speech_get (job->voice, corpus[s]);
      gsize n = 0;
      g_autofree gint16 *pcm = mira_test_speech_mix (speech, SPEECH_DBFS,
                                                     job->noisy ? NOISY_SNR_DB : INFINITY,
                                                     1.0, 300, 300, s + 1, &n);
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraTranscript) transcript = NULL;
      gint64 start = g_get_monotonic_time ();
      double cpu = thread_cpu_s ();
      guint words, errors;

      if (opt_streamed)
        {
          const MiraSphinxCmn *prior = opt_prior == PRIOR_OTHER ? job->other
                                       : opt_prior == PRIOR_OWN && has_cmn ? &cmn : NULL;

          transcript = transcribe_streamed (MIRA_TRANSCRIBER_CHAIN (job->transcriber), pcm, n,
                                            prior, &cmn, &error);
          has_cmn = transcript != NULL;
        }
      else
        transcript = mira_transcriber_transcribe (job->transcriber, pcm, n, "en", NULL, &error);
      if (transcript == NULL)
        g_error ("%s: %s", job->voice, error->message);
      t->wall_s += (g_get_monotonic_time () - start) / 1e6;
      t->cpu_s += thread_cpu_s () - cpu;
      t->audio_s += n / 16000.0;
      job->streamed_s += transcript->streamed_s;
      errors = word_errors (corpus[s], transcript->text, &words);
      t->errors += errors;
      t->words += words;
      t->sentences++;
      t->exact += errors == 0;
      g_string_append_printf (lines, "    %-6s %-5s %u/%u  %s  ->  %s\n", job->voice,
                              job->noisy ? "noisy" : "clean", errors, words, corpus[s],
                              transcript->text);
    }
  job->lines = g_string_free (g_steal_pointer (&lines), FALSE);
  tally_add (&job->tally, &job->first);
}

/* --prior other: the mean each job's first sentence leaves, decoded without a prior */
static void
first_means (Job   *jobs,
             guint  n_jobs)
{
  for (guint i = 0; i < n_jobs; i++)
    {
      const MiraTestSpeech *speech = mira_test_speech_get (jobs[i].voice, corpus[0]);
      gsize n = 0;
      g_autofree gint16 *pcm = mira_test_speech_mix (speech, SPEECH_DBFS,
                                                     jobs[i].noisy ? NOISY_SNR_DB : INFINITY,
                                                     1.0, 300, 300, 1, &n);
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraTranscript) transcript = NULL;

      transcript = transcribe_streamed (MIRA_TRANSCRIBER_CHAIN (jobs[i].transcriber), pcm, n,
                                        NULL, &jobs[i].first_cmn, &error);
      g_assert_no_error (error);
    }
  /* The next voice's, in the same condition */
  for (guint i = 0; i < n_jobs; i++)
    jobs[i].other = &jobs[(i + 2) % n_jobs].first_cmn;
}

static void
measure_wer (MiraTranscriber  *transcriber,
             GStrv             voices,
             guint             n_sentences,
             guint             n_threads)
{
  guint n_voices = g_strv_length (voices);
  g_autofree Job *jobs = g_new0 (Job, n_voices * 2);
  GThreadPool *pool = g_thread_pool_new (run_job, NULL, n_threads, TRUE, NULL);
  Tally all[2] = { 0 };
  Tally first[2] = { 0 };
  double streamed_s = 0;
  double cpu_s;

  g_print ("Word error rate of '%s'%s, %u sentences x %u voices, speech at %.0f dBFS,"
           " %u at once\n", mira_transcriber_get_name (transcriber),
           opt_streamed ? (opt_prior == PRIOR_OWN ? " decoding while spoken"
                           : " decoding while spoken, each from another voice's mean")
                        : "", n_sentences, n_voices, SPEECH_DBFS,
           n_threads);
  /* The speech first, on this thread: flite is not part of the figures */
  for (guint v = 0; v < n_voices; v++)
    for (guint s = 0; s < n_sentences; s++)
      mira_test_speech_get (voices[v], corpus[s]);
  for (guint i = 0; i < n_voices * 2; i++)
    {
      jobs[i].transcriber = transcriber;
      jobs[i].voice = voices[i / 2];
      jobs[i].noisy = i % 2;
      jobs[i].n_sentences = n_sentences;
    }
  if (opt_streamed && opt_prior == PRIOR_OTHER)
    first_means (jobs, n_voices * 2);
  cpu_s = process_cpu_s ();
  for (guint i = 0; i < n_voices * 2; i++)
    g_thread_pool_push (pool, &jobs[i], NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  cpu_s = process_cpu_s () - cpu_s;

  for (guint i = 0; i < n_voices * 2; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s %s", jobs[i].voice,
                                                jobs[i].noisy ? "10 dB SNR" : "clean");

      if (g_getenv ("BENCH_VERBOSE") != NULL)
        g_print ("%s", jobs[i].lines);
      g_free (jobs[i].lines);
      tally_print (label, &jobs[i].tally);
      tally_add (&all[jobs[i].noisy], &jobs[i].tally);
      tally_add (&first[jobs[i].noisy], &jobs[i].first);
      streamed_s += jobs[i].streamed_s;
    }
  g_print ("  ---\n");
  tally_print ("all, clean", &all[0]);
  tally_print ("all, 10 dB SNR", &all[1]);
  tally_print ("1st, clean", &first[0]);
  tally_print ("1st, 10 dB SNR", &first[1]);
  if (opt_streamed)
    g_print ("  decoded while pushed: %.1f s of %.1f s of audio; the process's CPU %.3f of "
             "the audio's length\n", streamed_s, all[0].audio_s + all[1].audio_s,
             cpu_s / MAX (all[0].audio_s + all[1].audio_s, 1e-9));
}

/* A local service that answers at once: the client's own cost. */
static void
measure_client (const char *protocol,
                guint       n_exchanges)
{
  g_autofree char *script = g_build_filename (MIRA_SOURCE_DIR, "tests", "speech-peer.py", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) peer = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  g_autoptr(MiraTranscriber) backend = NULL;
  g_autofree double *ms = g_new (double, n_exchanges);
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", corpus[1]);
  gsize n = 0;
  g_autofree gint16 *pcm = mira_test_speech_mix (speech, SPEECH_DBFS, INFINITY, 1.0, 300, 300, 1,
                                                 &n);
  guint16 port;

  peer = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           "/usr/bin/python3", script, protocol, "ok", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_true (line != NULL && g_str_has_prefix (line, "port "));
  port = (guint16) g_ascii_strtoull (line + 5, NULL, 10);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  if (g_str_equal (protocol, "wyoming"))
    backend = MIRA_TRANSCRIBER (mira_wyoming_transcriber_new ("127.0.0.1", port, 10000));
  else if (g_str_equal (protocol, "openai"))
    backend = MIRA_TRANSCRIBER (mira_openai_transcriber_new (url, "whisper-1", "sk-bench", 10000));
  else
    backend = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (url, "dg-bench", 10000));

  for (guint i = 0; i < n_exchanges; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(MiraTranscript) transcript = mira_transcriber_transcribe (backend, pcm, n, "en", NULL,
                                                                          &error);

      g_assert_no_error (error);
      g_assert_nonnull (transcript);
      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  g_subprocess_force_exit (peer);
  g_subprocess_wait (peer, NULL, NULL);

  for (guint i = 1; i < n_exchanges; i++)
    for (guint j = i; j > 0 && ms[j] < ms[j - 1]; j--)
      {
        double swap = ms[j];

        ms[j] = ms[j - 1];
        ms[j - 1] = swap;
      }
  g_print ("  %-9s p50 %6.2f ms, p90 %6.2f ms per exchange of %.2f s of audio"
           " (%.4f of real time)\n", protocol, ms[n_exchanges / 2], ms[n_exchanges * 9 / 10],
           n / 16000.0, ms[n_exchanges / 2] / 1000.0 / (n / 16000.0));
}

int
main (int    argc,
      char **argv)
{
  int n_sentences = G_N_ELEMENTS (corpus);
  int n_exchanges = 50;
  int n_threads = 1;
  g_autofree char *voice_list = NULL;
  g_autofree char *prior = NULL;
  g_auto(GStrv) voices = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("— speech to words, measured");
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraTranscriberChain) chain = NULL;
  GOptionEntry entries[] = {
    { "sentences", 0, 0, G_OPTION_ARG_INT, &n_sentences, "Sentences of the corpus to say", "N" },
    { "voices", 0, 0, G_OPTION_ARG_STRING, &voice_list, "flite voices (rms,slt,awb,kal16)",
      "LIST" },
    { "exchanges", 0, 0, G_OPTION_ARG_INT, &n_exchanges, "Exchanges with each local service",
      "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Transcriptions at once (default 1)", "N" },
    { "streamed", 0, 0, G_OPTION_ARG_NONE, &opt_streamed,
      "Decode each sentence while it is pushed, as the audio hub does", NULL },
    { "prior", 0, 0, G_OPTION_ARG_STRING, &prior,
      "With --streamed, the mean each sentence starts from: own (the voice's previous"
      " sentence's) or other (another voice's)", "WHICH" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (prior == NULL || g_str_equal (prior, "own"))
    opt_prior = PRIOR_OWN;
  else if (g_str_equal (prior, "other"))
    opt_prior = PRIOR_OTHER;
  else
    g_error ("--prior is own or other, not %s", prior);
  n_sentences = CLAMP (n_sentences, 1, (int) G_N_ELEMENTS (corpus));
  n_exchanges = MAX (n_exchanges, 2);
  n_threads = CLAMP (n_threads, 1, 8);
  voices = g_strsplit (voice_list ? voice_list : "rms,slt,awb,kal16", ",", -1);

  chain = mira_transcriber_chain_new ("sphinx",
                                      &(MiraTranscriberOptions) {
                                        .sphinx_decoders = (guint) n_threads },
                                      &error);
  g_assert_no_error (error);
  measure_wer (MIRA_TRANSCRIBER (chain), voices, (guint) n_sentences, (guint) n_threads);

  g_print ("\nWhat each remote backend's client costs, against a local service that answers"
           " at once\n");
  measure_client ("wyoming", (guint) n_exchanges);
  measure_client ("openai", (guint) n_exchanges);
  measure_client ("deepgram", (guint) n_exchanges);
  return 0;
}
