/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-voice"

/* Voice signatures and the persons they find: real speech from flite's
 * voices rms, slt, awb and kal16, first through the signature alone, then
 * through a real server on both store backends.
 */

#include <math.h>
#include <string.h>

#include "mira-error.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-voice-signature.h"

/* The default of the network setting voice_match_threshold */
#define THRESHOLD 0.3

static gint16 *
speak (const char *voice,
       const char *text,
       double      snr_db,
       guint64     seed,
       gsize      *n)
{
  const MiraTestSpeech *speech = mira_test_speech_get (voice, text);

  return mira_test_speech_mix (speech, -26, snr_db, 1.0, 300, 300, seed, n);
}

static void
signature_of (const char         *voice,
              const char         *text,
              double              snr_db,
              MiraVoiceSignature *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *pcm = NULL;
  gsize n;

  pcm = speak (voice, text, snr_db, strlen (text), &n);
  mira_test_check (mira_voice_signature_compute (pcm, n, out, &error),
                   "no signature of %s saying '%s': %s", voice, text,
                   error ? error->message : "?");
  /* The speech, not the silence around it */
  mira_test_check (out->speech_s > 0.5 && out->speech_s < n / 16000.0 - 0.5,
                   "%s: %.2f s of speech in %.2f s of audio", voice, out->speech_s, n / 16000.0);
}

/* Each voice is closer to itself saying something else, also in noise,
 * than to any other voice saying the same.
 */
static void
test_signature_voices (void)
{
  static const char * const voices[] = { "rms", "slt", "awb", "kal16" };
  MiraVoiceSignature a[4], b[4], c[4];

  for (guint v = 0; v < 4; v++)
    {
      MiraVoiceSignature both;

      signature_of (voices[v], "Please turn the radio down a little.", INFINITY, &a[v]);
      signature_of (voices[v], "The post office closes early on Saturdays.", INFINITY, &b[v]);
      signature_of (voices[v], "Where did I put my reading glasses?", 20, &c[v]);
      both = a[v];
      mira_voice_signature_combine (&both, &b[v]);
      mira_test_check (mira_voice_signature_similarity (&both, &c[v]) >= THRESHOLD,
                       "%s is not itself in noise: %.3f", voices[v],
                       mira_voice_signature_similarity (&both, &c[v]));
    }
  for (guint v = 0; v < 4; v++)
    for (guint w = 0; w < 4; w++)
      if (v != w)
        {
          double same = mira_voice_signature_similarity (&a[v], &b[v]);
          double other = mira_voice_signature_similarity (&a[v], &b[w]);

          mira_test_check (same > other, "%s is closer to %s (%.3f) than to itself (%.3f)",
                           voices[v], voices[w], other, same);
          mira_test_check (other < THRESHOLD, "%s passes for %s: %.3f", voices[w], voices[v],
                           other);
        }
}

/* Too short, silence and noise alone give no signature, with a reason. */
static void
test_signature_no_speech (void)
{
  g_autofree gint16 *silence = g_new0 (gint16, 32000);
  g_autofree gint16 *noise = NULL;
  g_autofree gint16 *speech = NULL;
  MiraVoiceSignature sig;
  GError *error = NULL;
  gsize n;

  g_assert_false (mira_voice_signature_compute (silence, 1600, &sig, &error));
  g_assert_error (error, MIRA_ERROR, MIRA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "too short"));
  g_clear_error (&error);

  g_assert_false (mira_voice_signature_compute (silence, 32000, &sig, &error));
  g_assert_error (error, MIRA_ERROR, MIRA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "too little speech"));
  g_clear_error (&error);

  /* Two seconds of white noise: the speech cut away, the noise kept */
  speech = speak ("slt", "Hello.", 0, 7, &n);
  noise = g_new (gint16, 32000);
  memcpy (noise, speech + n - 4800, 4800 * sizeof (gint16));
  for (guint i = 4800; i < 32000; i++)
    noise[i] = noise[i % 4800];
  g_assert_false (mira_voice_signature_compute (noise, 32000, &sig, &error));
  g_assert_error (error, MIRA_ERROR, MIRA_ERROR_INVALID);
  g_clear_error (&error);
}

/* Stored as JSON and read back the same; a stored array of another length
 * (another method) is no signature.
 */
static void
test_signature_json (void)
{
  MiraVoiceSignature sig, back, both;
  g_autofree char *json = NULL;

  signature_of ("awb", "The kettle has boiled.", INFINITY, &sig);
  json = mira_voice_signature_to_json (&sig);
  g_assert_true (mira_voice_signature_from_json (json, sig.speech_s, &back));
  g_assert_cmpfloat_with_epsilon (back.speech_s, sig.speech_s, 1e-9);
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    g_assert_cmpfloat_with_epsilon (back.values[i], sig.values[i],
                                    1e-5 * MAX (1.0, fabs (sig.values[i])));
  g_assert_cmpfloat_with_epsilon (mira_voice_signature_similarity (&sig, &back), 1.0, 1e-6);

  g_assert_false (mira_voice_signature_from_json ("[1, 2, 3]", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json ("{\"a\": 1}", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json ("not json", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json (NULL, 1.0, &back));

  /* Combining weighs by seconds of speech: three parts of one, one of the other */
  both = sig;
  both.speech_s = 3;
  back = sig;
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    back.values[i] = 0;
  back.speech_s = 1;
  mira_voice_signature_combine (&both, &back);
  g_assert_cmpfloat_with_epsilon (both.speech_s, 4, 1e-9);
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    g_assert_cmpfloat_with_epsilon (both.values[i], 0.75 * sig.values[i],
                                    1e-5 * MAX (1.0, fabs (sig.values[i])));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voice/signature/voices", test_signature_voices);
  g_test_add_func ("/voice/signature/no-speech", test_signature_no_speech);
  g_test_add_func ("/voice/signature/json", test_signature_json);

  return g_test_run ();
}
