/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-scorer"

#include "mira-scorer.h"

#include <math.h>
#include <string.h>

/* The score formula; docs/quality-score.md explains every constant. */
#define W_SNR              0.65
#define W_CLARITY          0.35
#define W_BAND             0.3      /* clarity = 0.3 band ratio + 0.7 (1 - flatness) */
#define SNR_MID_DB         15.0     /* the SNR term is 0.5 here */
#define SNR_SLOPE_DB       5.0      /* 0 dB → 0.05, 30 dB → 0.95 */
#define CLIP_SCALE         0.05     /* 1 % clipped samples → ×0.82, 5 % → ×0.37 */
#define LEVEL_OK_DBFS      (-26.0)  /* no level penalty at or above */
#define LEVEL_LOW_DBFS     (-56.0)  /* full level penalty at or below */
#define LEVEL_PENALTY      0.3
#define SPEECH_FULL_RATIO  0.25     /* speech over this share of the window counts fully */

/* RSSI: neutral down to RSSI_OK_DBM, a penalty growing to RSSI_PENALTY at RSSI_WEAK_DBM */
#define RSSI_OK_DBM        (-70.0)
#define RSSI_WEAK_DBM      (-90.0)
#define RSSI_PENALTY       0.15

typedef struct
{
  double  power;        /* frame mean square, 1.0 = full scale */
  double  noise;        /* the noise floor's power behind it */
  float   clarity;
  guint16 clipped;      /* samples */
  guint8  voice;
  guint8  measured;     /* passed the voice test itself, not by hangover */
} FrameRecord;

struct _MiraScorer
{
  MiraFeatures *features;

  gint16        pending[MIRA_FRAME_SAMPLES];
  guint         n_pending;

  FrameRecord   ring[MIRA_SCORER_WINDOW_FRAMES];
  guint         ring_len;
  guint         ring_next;
};

static inline double
ramp (double x,
      double lo,
      double hi)
{
  return CLAMP ((x - lo) / (hi - lo), 0.0, 1.0);
}

static inline double
power_to_db (double power)
{
  if (power <= 1e-12)
    return -120.0;

  return CLAMP (10.0 * log10 (power), -120.0, 0.0);
}

static inline double
snr_term (double snr_db)
{
  return 1.0 / (1.0 + exp (-(snr_db - SNR_MID_DB) / SNR_SLOPE_DB));
}

static inline double
clip_factor (double clipped_fraction)
{
  return exp (-clipped_fraction / CLIP_SCALE);
}

static inline double
level_factor (double speech_dbfs)
{
  return 1.0 - LEVEL_PENALTY * ramp (-speech_dbfs, -LEVEL_OK_DBFS, -LEVEL_LOW_DBFS);
}

static inline double
frame_clarity (const MiraFrameFeatures *f)
{
  return W_BAND * f->band_ratio + (1.0 - W_BAND) * (1.0 - f->flatness);
}

/* Speech-to-noise of one frame: what is above the floor, over the floor. */
static inline double
speech_snr_db (double power,
               double noise)
{
  double speech = MAX (power - noise, 1e-14);

  return CLAMP (10.0 * log10 (speech / MAX (noise, 1e-14)), -30.0, 100.0);
}

MiraScorer *
mira_scorer_new (void)
{
  MiraScorer *s = g_new0 (MiraScorer, 1);

  s->features = mira_features_new ();

  return s;
}

void
mira_scorer_free (MiraScorer *s)
{
  if (s == NULL)
    return;

  g_clear_pointer (&s->features, mira_features_free);
  g_free (s);
}

void
mira_scorer_reset (MiraScorer *s)
{
  g_return_if_fail (s != NULL);

  mira_features_reset (s->features);
  s->n_pending = 0;
  s->ring_len = 0;
  s->ring_next = 0;
}

static void
process_frame (MiraScorer        *s,
               const gint16      *frame,
               MiraFrameFeatures *f)
{
  FrameRecord *r = &s->ring[s->ring_next];
  gboolean measured;
  double power, noise;

  measured = mira_features_analyze (s->features, frame, f);
  mira_features_get_powers (s->features, &power, &noise);

  r->power = power;
  r->noise = noise;
  r->clarity = (float) frame_clarity (f);
  r->clipped = (guint16) lround (f->clipping * MIRA_FRAME_SAMPLES);
  r->voice = f->voice;
  r->measured = f->voice && measured;

  s->ring_next = (s->ring_next + 1) % MIRA_SCORER_WINDOW_FRAMES;
  s->ring_len = MIN (s->ring_len + 1, MIRA_SCORER_WINDOW_FRAMES);

  /* The frame's share of the rolling formula: speech terms for voice,
   * nothing for the rest, so a mean over an utterance orders streams as the
   * rolling score does.
   */
  if (f->voice)
    f->score = (W_SNR * snr_term (speech_snr_db (power, noise)) + W_CLARITY * r->clarity)
               * clip_factor (f->clipping)
               * level_factor (f->rms_dbfs);
  else
    f->score = 0.0;
}

void
mira_scorer_push (MiraScorer   *s,
                  const gint16 *samples,
                  gsize         n_samples,
                  GArray       *frames_out)
{
  MiraFrameFeatures f;

  g_return_if_fail (s != NULL);
  g_return_if_fail (samples != NULL || n_samples == 0);
  g_return_if_fail (frames_out == NULL ||
                    g_array_get_element_size (frames_out) == sizeof (MiraFrameFeatures));

  if (n_samples == 0)
    return;

  /* Complete the partial frame first */
  if (s->n_pending > 0)
    {
      gsize take = MIN (n_samples, (gsize) (MIRA_FRAME_SAMPLES - s->n_pending));

      memcpy (s->pending + s->n_pending, samples, take * sizeof (gint16));
      s->n_pending += take;
      samples += take;
      n_samples -= take;

      if (s->n_pending < MIRA_FRAME_SAMPLES)
        return;

      process_frame (s, s->pending, &f);
      if (frames_out != NULL)
        g_array_append_val (frames_out, f);
      s->n_pending = 0;
    }

  /* Whole frames straight from the caller's buffer */
  while (n_samples >= MIRA_FRAME_SAMPLES)
    {
      process_frame (s, samples, &f);
      if (frames_out != NULL)
        g_array_append_val (frames_out, f);
      samples += MIRA_FRAME_SAMPLES;
      n_samples -= MIRA_FRAME_SAMPLES;
    }

  if (n_samples > 0)
    {
      memcpy (s->pending, samples, n_samples * sizeof (gint16));
      s->n_pending = n_samples;
    }
}

void
mira_scorer_get_metrics (MiraScorer        *s,
                         MiraStreamMetrics *out)
{
  double power_sum = 0.0, speech_sum = 0.0, noise_sum = 0.0, measured_power = 0.0;
  double clarity_sum = 0.0;
  guint64 clipped = 0;
  guint n_voice = 0, n_measured = 0;
  guint n;

  g_return_if_fail (s != NULL);
  g_return_if_fail (out != NULL);

  n = s->ring_len;
  for (guint i = 0; i < n; i++)
    {
      const FrameRecord *r = &s->ring[i];

      power_sum += r->power;
      clipped += r->clipped;
      n_voice += r->voice;
      if (r->measured)
        {
          n_measured++;
          measured_power += r->power;
          speech_sum += MAX (r->power - r->noise, 0.0);
          noise_sum += r->noise;
          clarity_sum += r->power * r->clarity;
        }
    }

  memset (out, 0, sizeof *out);
  out->rms_dbfs = power_to_db (n > 0 ? power_sum / n : 0.0);
  if (n == 0)
    return;

  out->clipping_ratio = (double) clipped / ((double) n * MIRA_FRAME_SAMPLES);
  out->speech_ratio = (double) n_voice / n;

  if (n_measured == 0)
    return;

  out->snr_db = CLAMP (10.0 * log10 (MAX (speech_sum, 1e-14) / MAX (noise_sum, 1e-14)),
                       -30.0, 100.0);
  /* Weighted by power: the loud frames that every stream hears decide, not
   * the quiet ones that only a clean stream detects.
   */
  out->clarity = measured_power > 0.0 ? CLAMP (clarity_sum / measured_power, 0.0, 1.0) : 0.0;
  out->quality_score = (W_SNR * snr_term (out->snr_db) + W_CLARITY * out->clarity)
                       * clip_factor (out->clipping_ratio)
                       * level_factor (power_to_db (measured_power / n_measured))
                       * ramp (out->speech_ratio, 0.0, SPEECH_FULL_RATIO);
  out->quality_score = CLAMP (out->quality_score, 0.0, 1.0);
}

double
mira_quality_adjust (double quality_score,
                     double rssi_dbm)
{
  double q;

  if (isnan (quality_score))
    return 0.0;

  q = CLAMP (quality_score, 0.0, 1.0);
  if (isnan (rssi_dbm))
    return q;

  return q * (1.0 - RSSI_PENALTY * ramp (-rssi_dbm, -RSSI_OK_DBM, -RSSI_WEAK_DBM));
}
