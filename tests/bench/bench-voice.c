/* SPDX-License-Identifier: GPL-3.0-or-later */

/* How well voices are told apart: flite's voices rms, slt, awb and kal16
 * each say sentences, some clean and some in white noise.
 *
 *   bench-voice            the figure: the report sentences through a real
 *                          mira-server (uploads, PocketSphinx, persons), the
 *                          accuracy of person assignment
 *   bench-voice --tune     the tuning sentences, in-process: similarities
 *                          within and between voices, and the accuracy of
 *                          the same online assignment at each threshold
 *
 * The two sets of sentences share nothing, so the figure is not measured on
 * what the method was tuned on.
 *
 * Accuracy of person assignment: utterances go in one after another,
 * voices interleaved. The person an utterance is given is right when it is
 * the first person created for that utterance's voice (the first utterance
 * of a voice is right when it creates a new person). A voice split over two
 * persons, or two voices on one person, counts every utterance that went
 * astray.
 */

#include <math.h>

#include "bench-common.h"
#include "mira-test-live.h"
#include "mira-voice-signature.h"

static const char * const voices[] = { "rms", "slt", "awb", "kal16" };
#define N_VOICES G_N_ELEMENTS (voices)

static const char * const tune_sentences[] = {
  "Turn on the lights in the kitchen please.",
  "What is the weather going to be like tomorrow morning?",
  "Remind me to call the dentist at five.",
  "I left my keys on the table next to the door.",
  "The train to the city leaves at half past eight.",
  "Can you play some quiet music in the living room?",
  "We need more milk, eggs and bread from the shop.",
  "My sister is coming over for dinner on Sunday.",
  "Set a timer for twenty minutes.",
  "The meeting with the bank was moved to Thursday.",
  "How long does it take to drive to the airport?",
  "Please close the garage door before you go to bed.",
};

static const char * const report_sentences[] = {
  "Add oranges and coffee to the shopping list.",
  "The children have a swimming lesson after school.",
  "Did anyone remember to water the plants this week?",
  "Call the plumber about the leak under the sink.",
  "I would like a cup of tea with a little honey.",
  "The football match starts at seven in the evening.",
  "Tell me a story about a dragon and a small village.",
  "Our flight to Lisbon was delayed by two hours.",
  "Switch off the heating in the bedroom.",
  "The library books are due back on Monday.",
  "How many kilometres is it from here to the coast?",
  "Let us have pasta with mushrooms for lunch today.",
};

#define N_SENTENCES 12
G_STATIC_ASSERT (G_N_ELEMENTS (tune_sentences) == N_SENTENCES);
G_STATIC_ASSERT (G_N_ELEMENTS (report_sentences) == N_SENTENCES);

/* The condition of sentence @s: a third clean, the rest in white noise at
 * 20 or 10 dB SNR, at a few speech levels.
 */
static double
sentence_snr (guint s)
{
  static const double snr[] = { INFINITY, 20, 10 };

  return snr[s % 3];
}

static double
sentence_level (guint s)
{
  static const double level[] = { -26, -32, -20, -38 };

  return level[s % 4];
}

static gint16 *
utterance (guint   voice,
           guint   s,
           const char * const *sentences,
           gsize  *n)
{
  const MiraTestSpeech *speech = mira_test_speech_get (voices[voice], sentences[s]);

  return mira_test_speech_mix (speech, sentence_level (s), sentence_snr (s), 1.0, 300, 400,
                               1000 * voice + s + 1, n);
}

/* The order in which utterances come: sentence by sentence, the voices in a
 * rotating order, so that each voice's first person meets the others early.
 */
static void
order_at (guint i,
          guint *voice,
          guint *s)
{
  *s = i / N_VOICES;
  *voice = (i + *s) % N_VOICES;
}

typedef struct
{
  guint right;
  guint total;
  guint persons;
} Score;

/* Whether the person @person_of[i] (an index of persons, in order of
 * creation; G_MAXUINT: none) given to utterance i is right, into @right.
 */
static void
score_assignment_each (const guint *voice_of,
                       const guint *person_of,
                       guint        n,
                       guint       *right)
{
  guint first_person[N_VOICES];
  guint creator[N_VOICES * N_SENTENCES];
  guint n_persons = 0;

  for (guint v = 0; v < N_VOICES; v++)
    first_person[v] = G_MAXUINT;
  for (guint i = 0; i < n; i++)
    {
      guint p = person_of[i], v = voice_of[i];

      if (p == n_persons)
        {
          creator[n_persons++] = v;
          if (first_person[v] == G_MAXUINT)
            first_person[v] = p;
        }
      right[i] = p != G_MAXUINT && first_person[v] == p && creator[p] == v;
    }
}

static Score
score_assignment (const guint *voice_of,
                  const guint *person_of,
                  guint        n)
{
  guint right[N_VOICES * N_SENTENCES];
  Score score = { 0, n, 0 };

  score_assignment_each (voice_of, person_of, n, right);
  for (guint i = 0; i < n; i++)
    {
      score.right += right[i];
      if (person_of[i] != G_MAXUINT)
        score.persons = MAX (score.persons, person_of[i] + 1);
    }
  return score;
}

static void
tune (void)
{
  const guint n = N_VOICES * N_SENTENCES;
  g_autofree MiraVoiceSignature *sigs = g_new0 (MiraVoiceSignature, n);
  guint voice_of[N_VOICES * N_SENTENCES];
  double within_min = 1, between_max = -1, within_sum = 0, between_sum = 0;
  guint within_n = 0, between_n = 0;
  gint64 compute_us = 0;
  double audio_s = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gint16 *pcm = NULL;
      gsize len;
      guint v, s;
      gint64 start;

      order_at (i, &v, &s);
      pcm = utterance (v, s, tune_sentences, &len);
      voice_of[i] = v;
      start = g_get_monotonic_time ();
      if (!mira_voice_signature_compute (pcm, len, &sigs[i], &error))
        g_error ("%s %u: %s", voices[v], s, error->message);
      compute_us += g_get_monotonic_time () - start;
      audio_s += len / 16000.0;
    }
  g_print ("signatures: %u utterances, %.1f s of audio, %.1f ms each (%.4f of real time)\n",
           n, audio_s, compute_us / 1000.0 / n, compute_us / 1e6 / audio_s);

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        double sim = mira_voice_signature_similarity (&sigs[i], &sigs[j]);

        if (voice_of[i] == voice_of[j])
          {
            within_min = MIN (within_min, sim);
            within_sum += sim;
            within_n++;
          }
        else
          {
            between_max = MAX (between_max, sim);
            between_sum += sim;
            between_n++;
          }
      }
  g_print ("pairs of one voice:  mean %.3f, lowest %.3f\n", within_sum / within_n, within_min);
  g_print ("pairs of two voices: mean %.3f, highest %.3f\n", between_sum / between_n, between_max);

  for (guint a = 0; a < N_VOICES; a++)
    {
      g_print ("%-6s", voices[a]);
      for (guint b = 0; b < N_VOICES; b++)
        {
          double sum = 0;
          guint count = 0;

          for (guint i = 0; i < n; i++)
            for (guint j = 0; j < n; j++)
              if (i != j && voice_of[i] == a && voice_of[j] == b)
                {
                  sum += mira_voice_signature_similarity (&sigs[i], &sigs[j]);
                  count++;
                }
          g_print (" %6.3f", sum / count);
        }
      g_print ("\n");
    }

  /* The background: the mean signature of all of them, before the current
   * background was subtracted
   */
  g_print ("background (for mira-voice-signature.c):\n ");
  for (guint d = 0; d < MIRA_VOICE_SIGNATURE_DIM; d++)
    {
      double sum = 0;

      for (guint i = 0; i < n; i++)
        sum += sigs[i].values[d];
      g_print (" %.3ff,%s", sum / n + mira_voice_signature_get_background ()[d],
               d % 8 == 7 ? "\n " : "");
    }
  g_print ("\n");

  /* The online assignment the server does, at each threshold */
  for (double threshold = 0.10; threshold < 0.905; threshold += 0.05)
    {
      MiraVoiceSignature persons[256];
      guint person_of[N_VOICES * N_SENTENCES];
      guint n_persons = 0;
      Score score;

      for (guint i = 0; i < n; i++)
        {
          double best = -2;
          guint best_p = 0;

          for (guint p = 0; p < n_persons; p++)
            {
              double sim = mira_voice_signature_similarity (&sigs[i], &persons[p]);

              if (sim > best)
                {
                  best = sim;
                  best_p = p;
                }
            }
          if (n_persons > 0 && best >= threshold)
            {
              person_of[i] = best_p;
              mira_voice_signature_combine (&persons[best_p], &sigs[i]);
            }
          else
            {
              person_of[i] = n_persons;
              persons[n_persons++] = sigs[i];
            }
        }
      score = score_assignment (voice_of, person_of, n);
      g_print ("threshold %.2f: %3u/%u right (%5.1f %%), %u persons\n", threshold,
               score.right, score.total, 100.0 * score.right / score.total, score.persons);
    }
}

/* Uploads @pcm as one utterance of device "recorder" (raw s16le 16 kHz) */
static void
upload (SoupSession  *session,
        const char   *url,
        const char   *token,
        const gint16 *pcm,
        gsize         n)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (pcm, n * sizeof (gint16));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", body);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL || soup_message_get_status (msg) != 202)
    g_error ("upload: %s (status %u)", error ? error->message : "refused",
             soup_message_get_status (msg));
}

/* The report sentences through a real mira-server: each is uploaded as an
 * utterance, PocketSphinx makes it an interaction, and the server gives it
 * a person. Interactions that never come (nothing recognisable said) count
 * as wrong.
 */
static void
report (void)
{
  const guint n = N_VOICES * N_SENTENCES;
  BenchServer server = { 0 };
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *token = NULL;
  g_autofree char *net = NULL;
  g_autofree char *upload_url = NULL;
  g_autofree char *list_url = NULL;
  g_autoptr(GHashTable) person_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              NULL);
  guint voice_of[N_VOICES * N_SENTENCES];
  guint person_of[N_VOICES * N_SENTENCES];
  guint right_of[N_VOICES][3] = { { 0 } }, total_of[N_VOICES][3] = { { 0 } };
  guint person_right[N_VOICES * N_SENTENCES];
  guint missed = 0, n_persons = 0;
  Score score;

  bench_server_start (&server, MIRA_SERVER_PATH, "sphinx", NULL);
  net = bench_network_new (&server, session, "Voices", &token);
  g_free (bench_client_register (&server, session, net, token, "recorder"));
  upload_url = g_strdup_printf ("%s/api/v1/%s/streams/recorder/audio", server.url, net);
  list_url = g_strdup_printf ("%s/api/v1/%s/interactions?limit=500", server.url, net);

  for (guint i = 0; i < n; i++)
    {
      g_autofree gint16 *pcm = NULL;
      gsize len;
      guint v, s;
      gint64 deadline;
      const char *person_id = NULL;
      g_autoptr(JsonNode) list = NULL;

      order_at (i, &v, &s);
      voice_of[i] = v;
      pcm = utterance (v, s, report_sentences, &len);
      upload (session, upload_url, token, pcm, len);

      /* Its interaction: the list grows by one */
      deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
      for (;;)
        {
          JsonObject *answer;

          g_clear_pointer (&list, json_node_unref);
          list = bench_http (session, "GET", list_url, token, NULL, 200);
          answer = json_node_get_object (list);
          if (json_object_get_int_member (answer, "total") > i - missed)
            {
              /* Newest first */
              JsonObject *newest = json_array_get_object_element (
                                     json_object_get_array_member (answer, "items"), 0);

              person_id = json_object_get_string_member (newest, "person_id");
              break;
            }
          if (g_get_monotonic_time () > deadline)
            break;
          g_usleep (100 * 1000);
        }

      if (person_id == NULL)
        {
          /* Counted wrong: a person index that no voice created */
          person_of[i] = G_MAXUINT;
          missed++;
          g_print ("%-6s %2u: no interaction\n", voices[v], s);
        }
      else
        {
          gpointer index;

          if (!g_hash_table_lookup_extended (person_index, person_id, NULL, &index))
            {
              index = GUINT_TO_POINTER (n_persons++);
              g_hash_table_insert (person_index, g_strdup (person_id), index);
            }
          person_of[i] = GPOINTER_TO_UINT (index);
        }
    }

  score = score_assignment (voice_of, person_of, n);
  /* Per voice and condition, by the same rule */
  score_assignment_each (voice_of, person_of, n, person_right);
  for (guint i = 0; i < n; i++)
    {
      guint v = voice_of[i], c = (i / N_VOICES) % 3;

      total_of[v][c]++;
      right_of[v][c] += person_right[i];
    }
  g_print ("\n%-6s %8s %8s %8s\n", "voice", "clean", "20 dB", "10 dB");
  for (guint v = 0; v < N_VOICES; v++)
    g_print ("%-6s %4u/%-3u %4u/%-3u %4u/%-3u\n", voices[v], right_of[v][0], total_of[v][0],
             right_of[v][1], total_of[v][1], right_of[v][2], total_of[v][2]);
  g_print ("\nperson assignment: %u/%u right (%.1f %%), %u persons for %u voices,"
           " %u utterances without an interaction\n",
           score.right, score.total, 100.0 * score.right / score.total, score.persons,
           (guint) N_VOICES, missed);
  bench_server_stop (&server);
}

int
main (int    argc,
      char **argv)
{
  gboolean tune_only = FALSE;
  GOptionEntry entries[] = {
    { "tune", 0, 0, G_OPTION_ARG_NONE, &tune_only,
      "Similarities and accuracy by threshold on the tuning sentences, in-process", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- voice signature accuracy");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);

  if (tune_only)
    {
      tune ();
      return 0;
    }
  report ();
  return 0;
}
