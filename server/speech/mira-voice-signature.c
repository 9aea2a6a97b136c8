/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-voice-signature"

#include "mira-voice-signature.h"

#include <math.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "mira-fft.h"

G_DEFINE_QUARK (mira-voice-signature-error-quark, mira_voice_signature_error)

/* Analysis: 25 ms frames every 10 ms, the usual for speaker features */
#define RATE          16000
#define FRAME_LEN     400
#define HOP           160
#define FFT_SIZE      512
#define N_BINS        (FFT_SIZE / 2 + 1)
#define N_MELS        26
#define MEL_LOW_HZ    100.0
#define MEL_HIGH_HZ   7600.0
#define PRE_EMPHASIS  0.97f

/* Speech frames: this far above the noise floor and at most this far
 * below the loudest frame, in dB.
 */
#define SPEECH_ABOVE_FLOOR_DB  10.0
#define SPEECH_BELOW_PEAK_DB   35.0
/* Below this a frame is digital silence, whatever the rest looks like */
#define SILENCE_DBFS           -75.0

/* Spectral subtraction (Boll 1979): remove this much of the noise floor's
 * power and keep at least this fraction of the frame's own power.
 */
#define OVER_SUBTRACTION       1.5f
#define SPECTRAL_FLOOR         0.05f

/* Mel bands this far below a frame's strongest, in nepers of power
 * (ln 10^(dB/10)), count as that far down: 30 dB
 */
#define DYNAMIC_RANGE          6.9

/* Pitch, on the frame decimated to 8 kHz (plenty for 60..400 Hz, a
 * quarter of the work): lags for 60..400 Hz and the normalised
 * autocorrelation a frame needs to count as voiced.
 */
#define PITCH_RATE             (RATE / 2)
#define PITCH_LEN              (FRAME_LEN / 2)
#define PITCH_MIN_LAG          (PITCH_RATE / 400)
#define PITCH_MAX_LAG          (PITCH_RATE / 60)
#define PITCH_VOICED           0.6
/* log2 (F0 / 100 Hz) times this weighs in the cosine about as much as the
 * cepstra do together (tuned: docs/voice-signatures.md)
 */
#define PITCH_SCALE            20.0

/* The mean signature of the tuning speech (flite's four voices, clean and
 * in noise; `bench-voice --tune` prints it), subtracted from every
 * signature: what all voices share says nothing about who speaks, and
 * left in, it would make every pair of voices look alike to a cosine.
 */
static const float background[MIRA_VOICE_SIGNATURE_DIM] = {
  -1.128f, 5.701f, 7.497f, 2.453f, -2.875f, 1.748f, -4.650f, -3.531f,
  -0.878f, 3.144f, 3.036f, 1.109f, 3.175f, 3.008f, -0.469f, -0.756f,
  0.144f, -1.172f, -3.292f, -0.937f, 3.149f, 6.473f,
};

typedef struct
{
  MiraFft *fft;
  float    window[FRAME_LEN];
  /* Triangular mel filters: filter m covers bins first[m]..first[m] + len[m] - 1 */
  guint    first[N_MELS];
  guint    len[N_MELS];
  float   *weights[N_MELS];
  /* DCT-II basis, orthonormal: dct[k][m] for c1..cN */
  double   dct[MIRA_VOICE_SIGNATURE_N_CEPSTRA][N_MELS];
} Tables;

static double
hz_to_mel (double hz)
{
  return 2595.0 * log10 (1.0 + hz / 700.0);
}

static double
mel_to_hz (double mel)
{
  return 700.0 * (pow (10.0, mel / 2595.0) - 1.0);
}

/* Built once, read-only afterwards, shared by every thread */
static const Tables *
tables_get (void)
{
  static Tables *tables;
  static gsize initialised;

  if (g_once_init_enter (&initialised))
    {
      Tables *t = g_new0 (Tables, 1);
      double edges[N_MELS + 2];
      double low = hz_to_mel (MEL_LOW_HZ), high = hz_to_mel (MEL_HIGH_HZ);

      t->fft = mira_fft_new (FFT_SIZE);
      for (guint i = 0; i < FRAME_LEN; i++)
        t->window[i] = (float) (0.54 - 0.46 * cos (2.0 * G_PI * i / (FRAME_LEN - 1)));

      for (guint i = 0; i < N_MELS + 2; i++)
        edges[i] = mel_to_hz (low + (high - low) * i / (N_MELS + 1)) * FFT_SIZE / RATE;
      for (guint m = 0; m < N_MELS; m++)
        {
          guint lo = (guint) ceil (edges[m]);
          guint hi = (guint) floor (edges[m + 2]);

          t->first[m] = lo;
          t->len[m] = hi >= lo ? hi - lo + 1 : 0;
          t->weights[m] = g_new0 (float, MAX (t->len[m], 1));
          for (guint b = lo; b <= hi; b++)
            {
              double w = b <= edges[m + 1]
                           ? (b - edges[m]) / (edges[m + 1] - edges[m])
                           : (edges[m + 2] - b) / (edges[m + 2] - edges[m + 1]);

              t->weights[m][b - lo] = (float) MAX (w, 0.0);
            }
        }

      for (guint k = 0; k < MIRA_VOICE_SIGNATURE_N_CEPSTRA; k++)
        for (guint m = 0; m < N_MELS; m++)
          t->dct[k][m] = sqrt (2.0 / N_MELS) * cos (G_PI * (k + 1) * (m + 0.5) / N_MELS);

      tables = t;
      g_once_init_leave (&initialised, 1);
    }
  return tables;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The period of @frame by normalised autocorrelation, in samples, or 0 when
 * no lag is similar enough for the frame to be voiced.
 */
static guint
pitch_lag (const float *frame)
{
  double best = PITCH_VOICED;
  guint best_lag = 0;

  for (guint lag = PITCH_MIN_LAG; lag <= PITCH_MAX_LAG; lag++)
    {
      double r = 0, e0 = 0, e1 = 0;

      for (guint i = 0; i + lag < PITCH_LEN; i++)
        {
          r += frame[i] * frame[i + lag];
          e0 += frame[i] * frame[i];
          e1 += frame[i + lag] * frame[i + lag];
        }
      if (e0 > 0 && e1 > 0 && r / sqrt (e0 * e1) > best)
        {
          best = r / sqrt (e0 * e1);
          best_lag = lag;
        }
    }
  return best_lag;
}

gboolean
mira_voice_signature_compute (const gint16        *samples,
                              gsize                n_samples,
                              MiraVoiceSignature  *out,
                              GError             **error)
{
  const Tables *t = tables_get ();
  gsize n_frames = n_samples >= FRAME_LEN ? (n_samples - FRAME_LEN) / HOP + 1 : 0;
  g_autofree float *spectra = NULL;
  g_autofree double *energy_db = NULL;
  g_autofree double *sorted = NULL;
  float noise[N_BINS] = { 0 };
  float scratch[MIRA_FFT_SCRATCH_FLOATS (FFT_SIZE)];
  double sum[MIRA_VOICE_SIGNATURE_N_CEPSTRA] = { 0 };
  double pitch_sum = 0, pitch_sum2 = 0;
  double floor_db, peak_db, threshold_db;
  gsize n_speech = 0, n_voiced = 0, n_quiet;

  g_return_val_if_fail (samples != NULL || n_samples == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (n_frames * HOP < MIRA_VOICE_SIGNATURE_MIN_SPEECH_S * RATE)
    {
      g_set_error (error, MIRA_VOICE_SIGNATURE_ERROR, MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH,
                   "The audio is too short for a voice signature (%.2f s; at least %.1f s of"
                   " speech)", n_samples / (double) RATE, MIRA_VOICE_SIGNATURE_MIN_SPEECH_S);
      return FALSE;
    }

  /* Every frame's power spectrum and level */
  spectra = g_new (float, n_frames * N_BINS);
  energy_db = g_new (double, n_frames);
  for (gsize f = 0; f < n_frames; f++)
    {
      const gint16 *x = samples + f * HOP;
      float frame[FFT_SIZE] = { 0 };
      double power = 0;

      for (guint i = 0; i < FRAME_LEN; i++)
        {
          float prev = i > 0 ? x[i - 1] : (f > 0 ? x[-1] : 0);
          float s = (x[i] - PRE_EMPHASIS * prev) / 32768.0f;

          frame[i] = s * t->window[i];
        }
      for (guint i = 0; i < FRAME_LEN; i++)
        power += (x[i] / 32768.0) * (x[i] / 32768.0);
      energy_db[f] = 10.0 * log10 (power / FRAME_LEN + 1e-12);
      mira_fft_power (t->fft, frame, scratch, spectra + f * N_BINS);
    }

  /* The noise floor: the mean spectrum of the quietest tenth of the frames */
  sorted = g_memdup2 (energy_db, n_frames * sizeof (double));
  qsort (sorted, n_frames, sizeof (double), compare_doubles);
  n_quiet = MAX (n_frames / 10, 1);
  floor_db = sorted[n_quiet - 1];
  peak_db = sorted[n_frames - 1];
  threshold_db = MAX (MAX (floor_db + SPEECH_ABOVE_FLOOR_DB, peak_db - SPEECH_BELOW_PEAK_DB),
                      SILENCE_DBFS);
  {
    gsize n = 0;

    for (gsize f = 0; f < n_frames; f++)
      if (energy_db[f] <= floor_db)
        {
          for (guint b = 0; b < N_BINS; b++)
            noise[b] += spectra[f * N_BINS + b];
          n++;
        }
    for (guint b = 0; b < N_BINS; b++)
      noise[b] /= n;
  }

  for (gsize f = 0; f < n_frames; f++)
    {
      float *power = spectra + f * N_BINS;
      double log_mel[N_MELS];
      double peak = -G_MAXDOUBLE;

      if (energy_db[f] < threshold_db)
        continue;
      n_speech++;

      for (guint b = 0; b < N_BINS; b++)
        power[b] = MAX (power[b] - OVER_SUBTRACTION * noise[b], SPECTRAL_FLOOR * power[b]);
      for (guint m = 0; m < N_MELS; m++)
        {
          double e = 0;

          for (guint i = 0; i < t->len[m]; i++)
            e += t->weights[m][i] * power[t->first[m] + i];
          log_mel[m] = log (e + 1e-10);
          peak = MAX (peak, log_mel[m]);
        }
      /* What lies far below the frame's strongest band is noise or the
       * residue of its subtraction, in clean and noisy speech alike: the
       * same floor for both keeps it from telling them apart.
       */
      for (guint m = 0; m < N_MELS; m++)
        log_mel[m] = MAX (log_mel[m], peak - DYNAMIC_RANGE);
      for (guint k = 0; k < MIRA_VOICE_SIGNATURE_N_CEPSTRA; k++)
        {
          double c = 0;

          for (guint m = 0; m < N_MELS; m++)
            c += t->dct[k][m] * log_mel[m];
          c *= k + 1;
          sum[k] += c;
        }

      {
        const gint16 *x = samples + f * HOP;
        float frame[PITCH_LEN];
        guint lag;

        for (guint i = 0; i < PITCH_LEN; i++)
          frame[i] = (x[2 * i] + x[2 * i + 1]) / 65536.0f;
        lag = pitch_lag (frame);
        if (lag > 0)
          {
            double p = log2 ((double) PITCH_RATE / lag / 100.0);

            pitch_sum += p;
            pitch_sum2 += p * p;
            n_voiced++;
          }
      }
    }

  if (n_speech * HOP < MIRA_VOICE_SIGNATURE_MIN_SPEECH_S * RATE)
    {
      g_set_error (error, MIRA_VOICE_SIGNATURE_ERROR, MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH,
                   "The audio holds too little speech for a voice signature (%.2f s; at"
                   " least %.1f s)", n_speech * HOP / (double) RATE,
                   MIRA_VOICE_SIGNATURE_MIN_SPEECH_S);
      return FALSE;
    }

  for (guint k = 0; k < MIRA_VOICE_SIGNATURE_N_CEPSTRA; k++)
    out->values[k] = (float) (sum[k] / n_speech);
  /* Unvoiced throughout (whispered, or noise that passed as speech): the
   * background's pitch, which adds nothing to a cosine either way
   */
  if (n_voiced > 0)
    {
      double mean = pitch_sum / n_voiced;

      out->values[MIRA_VOICE_SIGNATURE_N_CEPSTRA] = (float) (PITCH_SCALE * mean);
      out->values[MIRA_VOICE_SIGNATURE_N_CEPSTRA + 1] =
        (float) (PITCH_SCALE * sqrt (MAX (pitch_sum2 / n_voiced - mean * mean, 0.0)));
    }
  else
    {
      out->values[MIRA_VOICE_SIGNATURE_N_CEPSTRA] = background[MIRA_VOICE_SIGNATURE_N_CEPSTRA];
      out->values[MIRA_VOICE_SIGNATURE_N_CEPSTRA + 1] =
        background[MIRA_VOICE_SIGNATURE_N_CEPSTRA + 1];
    }
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    out->values[i] -= background[i];
  out->speech_s = n_speech * HOP / (double) RATE;
  return TRUE;
}

const float *
mira_voice_signature_get_background (void)
{
  return background;
}

double
mira_voice_signature_similarity (const MiraVoiceSignature *a,
                                 const MiraVoiceSignature *b)
{
  double ab = 0, aa = 0, bb = 0;

  g_return_val_if_fail (a != NULL && b != NULL, 0.0);

  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    {
      ab += (double) a->values[i] * b->values[i];
      aa += (double) a->values[i] * a->values[i];
      bb += (double) b->values[i] * b->values[i];
    }
  if (aa <= 0 || bb <= 0)
    return 0.0;
  return ab / sqrt (aa * bb);
}

void
mira_voice_signature_combine (MiraVoiceSignature       *self,
                              const MiraVoiceSignature *other)
{
  double total;

  g_return_if_fail (self != NULL && other != NULL);

  total = self->speech_s + other->speech_s;
  if (total <= 0)
    return;
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    self->values[i] = (float) ((self->values[i] * self->speech_s +
                                other->values[i] * other->speech_s) / total);
  self->speech_s = total;
}

char *
mira_voice_signature_to_json (const MiraVoiceSignature *self)
{
  GString *json = g_string_new ("[");

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      if (i > 0)
        g_string_append_c (json, ',');
      /* %.6g keeps a float's precision and reads back in any locale */
      g_string_append (json, g_ascii_formatd (number, sizeof number, "%.6g", self->values[i]));
    }
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

gboolean
mira_voice_signature_from_json (const char         *json,
                                double              speech_s,
                                MiraVoiceSignature *out)
{
  g_autoptr(JsonNode) node = NULL;
  JsonArray *array;

  g_return_val_if_fail (out != NULL, FALSE);

  if (json == NULL)
    return FALSE;
  node = json_from_string (json, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  if (json_array_get_length (array) != MIRA_VOICE_SIGNATURE_DIM)
    return FALSE;
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      GType type;

      if (!JSON_NODE_HOLDS_VALUE (element))
        return FALSE;
      type = json_node_get_value_type (element);
      if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
        return FALSE;
      out->values[i] = (float) json_node_get_double (element);
      if (!isfinite (out->values[i]))
        return FALSE;
    }
  out->speech_s = speech_s > 0 && isfinite (speech_s) ? speech_s : 0;
  return TRUE;
}
