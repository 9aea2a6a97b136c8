/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-features"

#include "mira-features.h"

#include <math.h>
#include <string.h>

#include "mira-fft.h"

/* Every constant below is explained in docs/quality-score.md. */

#define FFT_SIZE              512
#define FFT_BINS              (FFT_SIZE / 2 + 1)
/* Bins whose centre lies in 300–3400 Hz at 31.25 Hz per bin. */
#define BAND_FIRST_BIN        10
#define BAND_LAST_BIN         108
#define BAND_BINS             (BAND_LAST_BIN - BAND_FIRST_BIN + 1)

#define DB_MIN                (-120.0)
/* Below this a frame is digital silence: no spectrum worth measuring. */
#define SILENCE_POWER         1e-10     /* -100 dBFS */

/* Noise floor: minimum statistics over SUBWIN_COUNT × SUBWIN_FRAMES frames
 * (1.92 s), rising at most FLOOR_RISE_DB per frame, except that a steady
 * level (STATIONARY_RANGE_DB over two sub-windows, 0.48 s) is taken at once.
 */
#define SUBWIN_FRAMES         12
#define SUBWIN_COUNT          8
#define FLOOR_BIAS_DB         1.5       /* the minimum of a noisy level lies under its mean */
#define FLOOR_RISE_DB         0.25      /* per frame: 12.5 dB/s */
#define STATIONARY_RANGE_DB   5.0

/* Voice activity */
#define VAD_MIN_DBFS          (-70.0)   /* quieter is not speech worth scoring */
#define VAD_MIN_SNR_DB        3.0
#define VAD_FULL_SNR_DB       9.0
#define VAD_BAND_LOW          0.30
#define VAD_BAND_HIGH         0.70
#define VAD_FLAT_LOW          0.15
#define VAD_FLAT_HIGH         0.50
#define VAD_THRESHOLD         0.5
#define VAD_ONSET_FRAMES      2         /* 40 ms */
#define VAD_HANGOVER_FRAMES   15        /* 300 ms */

typedef struct
{
  MiraFft *fft;
  float    window[MIRA_FRAME_SAMPLES];   /* Hann, with the 1/32768 scale folded in */
} Tables;

struct _MiraFeatures
{
  const Tables *tables;

  /* Analysis buffers: the windowed frame (zero-padded to FFT_SIZE), the FFT's
   * scratch space and the power spectrum. The padding is written once.
   */
  float   in[FFT_SIZE];
  float   scratch[MIRA_FFT_SCRATCH_FLOATS (FFT_SIZE)];
  float   power[FFT_BINS];

  /* Noise floor, all levels in dBFS */
  double  subwin_min[SUBWIN_COUNT];   /* completed sub-windows, a ring */
  guint   subwin_next;
  double  current_min;                /* the sub-window being filled */
  double  current_max;
  guint   current_frames;
  double  previous_min;               /* the last completed sub-window */
  double  previous_max;
  gboolean have_previous;
  gboolean have_floor;
  double  floor_db;
  double  floor_power;

  /* Voice activity */
  guint   onset_run;
  guint   hangover;

  double  last_power;
};

static gpointer
tables_init (gpointer data G_GNUC_UNUSED)
{
  Tables *t = g_new0 (Tables, 1);

  t->fft = mira_fft_new (FFT_SIZE);
  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    {
      double w = 0.5 - 0.5 * cos (2.0 * G_PI * (i + 0.5) / MIRA_FRAME_SAMPLES);

      t->window[i] = (float) (w / 32768.0);
    }

  return t;
}

/* The tables are read-only and shared by every stream for the life of the
 * process, which keeps 500 streams' worth of analysis in one cache footprint.
 */
static const Tables *
get_tables (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, tables_init, NULL);
}

MiraFeatures *
mira_features_new (void)
{
  MiraFeatures *self = g_new0 (MiraFeatures, 1);

  self->tables = get_tables ();
  g_assert (mira_fft_scratch_size (self->tables->fft) <= G_N_ELEMENTS (self->scratch));
  mira_features_reset (self);

  return self;
}

void
mira_features_free (MiraFeatures *self)
{
  g_free (self);
}

void
mira_features_reset (MiraFeatures *self)
{
  g_return_if_fail (self != NULL);

  memset (self->in, 0, sizeof self->in);
  for (guint i = 0; i < SUBWIN_COUNT; i++)
    self->subwin_min[i] = G_MAXDOUBLE;
  self->subwin_next = 0;
  self->current_min = G_MAXDOUBLE;
  self->current_max = -G_MAXDOUBLE;
  self->current_frames = 0;
  self->previous_min = G_MAXDOUBLE;
  self->previous_max = -G_MAXDOUBLE;
  self->have_previous = FALSE;
  self->have_floor = FALSE;
  self->floor_db = DB_MIN;
  self->floor_power = 0.0;
  self->onset_run = 0;
  self->hangover = 0;
  self->last_power = 0.0;
}

static inline double
power_to_db (double power)
{
  if (power <= 1e-12)
    return DB_MIN;

  return CLAMP (10.0 * log10 (power), DB_MIN, 0.0);
}

/* log2 to about 0.0013: the exponent plus a least-squares cubic of the
 * mantissa. Flatness needs a hundred logarithms per frame and no precision.
 */
static inline float
fast_log2 (float x)
{
  union { float f; guint32 i; } v = { .f = x };
  float e = (float) ((gint32) ((v.i >> 23) & 0xff) - 127);
  float m;

  v.i = (v.i & 0x007fffff) | 0x3f800000;
  m = v.f;

  return e + (((0.15391848f * m - 1.02952195f) * m + 3.01078397f) * m - 2.13384771f);
}

static inline double
ramp (double x,
      double lo,
      double hi)
{
  return CLAMP ((x - lo) / (hi - lo), 0.0, 1.0);
}

/* Minimum statistics: the floor is the lowest frame level of the last
 * ~2 s. It falls at once when the stream gets quieter, and speech (which
 * always pauses, if only for a frame between words) cannot lift it. When the
 * quiet frames leave the window it rises, but slowly, because clean speech may
 * go two seconds without a pause as deep as the last one. A level that has
 * held steady for half a second is noise by definition (speech moves by more
 * than 5 dB several times a second), so the floor takes it at once: a fan or
 * a television switched on is the floor within a second, not ten.
 */
static gboolean
update_floor (MiraFeatures *self,
              double        level_db)
{
  gboolean steady = FALSE;
  double target;

  self->current_min = MIN (self->current_min, level_db);
  self->current_max = MAX (self->current_max, level_db);

  if (++self->current_frames == SUBWIN_FRAMES)
    {
      if (self->have_previous)
        {
          double lo = MIN (self->current_min, self->previous_min);
          double hi = MAX (self->current_max, self->previous_max);

          if (hi - lo < STATIONARY_RANGE_DB)
            {
              for (guint i = 0; i < SUBWIN_COUNT; i++)
                self->subwin_min[i] = lo;
              steady = TRUE;
            }
        }

      self->subwin_min[self->subwin_next] = self->current_min;
      self->subwin_next = (self->subwin_next + 1) % SUBWIN_COUNT;
      self->previous_min = self->current_min;
      self->previous_max = self->current_max;
      self->have_previous = TRUE;
      self->current_min = G_MAXDOUBLE;
      self->current_max = -G_MAXDOUBLE;
      self->current_frames = 0;
    }

  target = self->current_min;
  for (guint i = 0; i < SUBWIN_COUNT; i++)
    target = MIN (target, self->subwin_min[i]);
  target = MIN (target + FLOOR_BIAS_DB, 0.0);

  if (self->have_floor && !steady)
    target = MIN (target, self->floor_db + FLOOR_RISE_DB);

  self->floor_db = target;
  self->floor_power = pow (10.0, target / 10.0);
  self->have_floor = TRUE;

  return steady;
}

gboolean
mira_features_analyze (MiraFeatures      *self,
                       const gint16      *frame,
                       MiraFrameFeatures *out)
{
  const Tables *t;
  gint64 sum = 0, sum_sq = 0;
  guint clipped = 0;
  double power, mean, snr_db, evidence;
  gboolean active;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  t = self->tables;

  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    {
      gint32 x = frame[i];

      sum += x;
      sum_sq += x * x;
      clipped += (x >= MIRA_CLIP_LEVEL || x <= -MIRA_CLIP_LEVEL);
    }

  /* Power of the frame without its DC offset: an offset is inaudible, and a
   * cheap microphone's would otherwise pass for noise.
   */
  mean = (double) sum / MIRA_FRAME_SAMPLES;
  power = ((double) sum_sq / MIRA_FRAME_SAMPLES - mean * mean) / (32768.0 * 32768.0);
  power = MAX (power, 0.0);
  self->last_power = power;

  out->rms_dbfs = power_to_db (power);
  out->clipping = (double) clipped / MIRA_FRAME_SAMPLES;
  out->score = 0.0;

  /* A steady level is noise: what the hangover was holding on to was not voice. */
  if (update_floor (self, out->rms_dbfs))
    self->hangover = 0;
  out->noise_floor_dbfs = self->floor_db;

  /* Voice: energy at least VAD_MIN_SNR_DB above the floor is necessary.
   * Beyond that the evidence adds up: VAD_FULL_SNR_DB above the floor is
   * voice on energy alone, less needs a speech-like spectrum (energy in the
   * speech band, harmonics rather than a flat spectrum).
   */
  snr_db = 10.0 * log10 ((power + 1e-14) / (self->floor_power + 1e-14));

  /* The spectrum only matters to a frame that may be voice: one loud enough
   * over the floor, or in a hangover. Most of what a microphone hears is
   * neither, and is spared the FFT.
   */
  if (power < SILENCE_POWER ||
      (self->hangover == 0 && (out->rms_dbfs < VAD_MIN_DBFS || snr_db < VAD_MIN_SNR_DB)))
    {
      out->band_ratio = 0.0;
      out->flatness = 1.0;
    }
  else
    {
      const float fmean = (float) mean;
      float total = 0.0f, band = 0.0f, log_sum = 0.0f, eps;

      for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
        self->in[i] = ((float) frame[i] - fmean) * t->window[i];

      mira_fft_power (t->fft, self->in, self->scratch, self->power);

      for (guint k = 1; k < FFT_BINS; k++)
        total += self->power[k];
      for (guint k = BAND_FIRST_BIN; k <= BAND_LAST_BIN; k++)
        band += self->power[k];

      /* A floor 60 dB under the band's mean keeps an empty bin from sending
       * the geometric mean to zero.
       */
      eps = 1e-6f * band / BAND_BINS + 1e-30f;
      for (guint k = BAND_FIRST_BIN; k <= BAND_LAST_BIN; k++)
        log_sum += fast_log2 (self->power[k] + eps);

      out->band_ratio = total > 0.0f ? CLAMP (band / total, 0.0, 1.0) : 0.0;
      out->flatness = CLAMP (exp2 (log_sum / BAND_BINS) / (band / BAND_BINS + eps), 0.0, 1.0);
    }

  evidence = 0.5 * ramp (snr_db, VAD_MIN_SNR_DB, VAD_FULL_SNR_DB)
           + 0.25 * ramp (out->band_ratio, VAD_BAND_LOW, VAD_BAND_HIGH)
           + 0.25 * (1.0 - ramp (out->flatness, VAD_FLAT_LOW, VAD_FLAT_HIGH));
  active = out->rms_dbfs >= VAD_MIN_DBFS && snr_db >= VAD_MIN_SNR_DB && evidence >= VAD_THRESHOLD;

  if (active)
    {
      self->onset_run = MIN (self->onset_run + 1, VAD_ONSET_FRAMES);
      if (self->onset_run >= VAD_ONSET_FRAMES)
        self->hangover = VAD_HANGOVER_FRAMES;
    }
  else
    {
      self->onset_run = 0;
    }

  out->voice = (active && self->onset_run >= VAD_ONSET_FRAMES) || self->hangover > 0;
  if (!active && self->hangover > 0)
    self->hangover--;

  return active;
}

void
mira_features_get_powers (MiraFeatures *self,
                          double       *frame_power,
                          double       *floor_power)
{
  g_return_if_fail (self != NULL);

  if (frame_power != NULL)
    *frame_power = self->last_power;
  if (floor_power != NULL)
    *floor_power = self->floor_power;
}
