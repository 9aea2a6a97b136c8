/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-scorer"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "mira-fft.h"
#include "mira-scorer.h"

/* Real speech from flite, mixed in C with seeded noise. The fixtures live in
 * a temporary directory for the life of the test program.
 */

#define SENTENCE       "remind me to call the dentist tomorrow at five"
#define SPEECH_DBFS    (-20.0)   /* active speech level of the mixes */
#define N_SNRS         4

static const double snrs[N_SNRS] = { 30, 20, 10, 0 };

typedef enum {
  NOISE_WHITE,
  NOISE_PINK,
} NoiseKind;

typedef struct
{
  const char *voice;
  float      *speech;        /* flite's samples, unscaled */
  gsize       n;
  double      active_power;  /* of @speech, see active_power() */
} Voice;

typedef struct
{
  double            quality;
  double            frame_mean;   /* mean per-frame score over the whole clip */
  MiraStreamMetrics m;
  guint             n_frames;
  guint             n_voice_segments;
} Result;

static char  *tmp_dir;
static Voice  voices[2] = { { .voice = "slt" }, { .voice = "rms" } };

/* Fixtures */

static void
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[0], error->message, err);
}

static guint32
le32 (const guint8 *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

/* Just enough RIFF for sox's output: PCM, 16 kHz, mono, 16 bits. */
static float *
read_wav (const char *path,
          gsize      *n_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = NULL;
  gboolean fmt_ok = FALSE;
  gsize len, off = 12;

  g_file_get_contents (path, (char **) &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, 12);
  g_assert_true (memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WAVE", 4) == 0);

  while (off + 8 <= len)
    {
      guint32 size = le32 (data + off + 4);
      const guint8 *body = data + off + 8;

      if (memcmp (data + off, "fmt ", 4) == 0)
        {
          g_assert_cmpuint (size, >=, 16);
          g_assert_cmpuint (le16 (body), ==, 1);          /* PCM */
          g_assert_cmpuint (le16 (body + 2), ==, 1);      /* mono */
          g_assert_cmpuint (le32 (body + 4), ==, MIRA_AUDIO_RATE);
          g_assert_cmpuint (le16 (body + 14), ==, 16);
          fmt_ok = TRUE;
        }
      else if (memcmp (data + off, "data", 4) == 0)
        {
          gsize n = MIN (size, len - off - 8) / 2;
          float *out = g_new (float, n);

          g_assert_true (fmt_ok);
          for (gsize i = 0; i < n; i++)
            out[i] = (gint16) le16 (body + 2 * i);
          *n_out = n;
          return out;
        }
      off += 8 + size + (size & 1);
    }

  g_assert_not_reached ();
  return NULL;
}

/* Active speech level, in the spirit of ITU-T P.56: the mean power of the
 * 20 ms frames within 40 dB of the loudest, so flite's leading and trailing
 * silence do not count.
 */
static double
active_power (const float *x,
              gsize        n)
{
  gsize n_frames = n / MIRA_FRAME_SAMPLES;
  g_autofree double *p = g_new0 (double, n_frames);
  double max = 0.0, sum = 0.0;
  guint count = 0;

  for (gsize f = 0; f < n_frames; f++)
    {
      for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
        {
          double v = x[f * MIRA_FRAME_SAMPLES + i];

          p[f] += v * v;
        }
      p[f] /= MIRA_FRAME_SAMPLES;
      max = MAX (max, p[f]);
    }

  for (gsize f = 0; f < n_frames; f++)
    if (p[f] > max * 1e-4)
      {
        sum += p[f];
        count++;
      }

  g_assert_cmpuint (count, >, 0);

  return sum / count;
}

static Voice *
get_voice (guint i)
{
  Voice *v = &voices[i];

  if (v->speech == NULL)
    {
      g_autofree char *raw = g_strdup_printf ("%s/%s-raw.wav", tmp_dir, v->voice);
      g_autofree char *wav = g_strdup_printf ("%s/%s.wav", tmp_dir, v->voice);
      const char *flite[] = { "flite", "-voice", v->voice, "-t", SENTENCE, "-o", raw, NULL };
      const char *sox[] = { "sox", raw, "-r", "16000", "-c", "1", "-b", "16", wav, NULL };

      run (flite);
      run (sox);
      v->speech = read_wav (wav, &v->n);
      g_assert_cmpuint (v->n, >, MIRA_AUDIO_RATE);   /* a sentence is seconds long */
      v->active_power = active_power (v->speech, v->n);
    }

  return v;
}

/* xorshift64 and Box–Muller: the same noise on every run and platform. */
typedef struct
{
  guint64 state;
} Rng;

static double
rng_uniform (Rng *r)
{
  r->state ^= r->state << 13;
  r->state ^= r->state >> 7;
  r->state ^= r->state << 17;

  return ((r->state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
rng_gauss (Rng *r)
{
  double u = rng_uniform (r), v = rng_uniform (r);

  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

/* Unit-RMS noise. Pink is Paul Kellet's filter over white noise, then a DC
 * blocker at ~40 Hz: a microphone does not pass infrasound either, and the
 * mix SNR should be about what can be heard.
 */
static float *
make_noise (NoiseKind kind,
            gsize     n,
            guint64   seed)
{
  float *out = g_new (float, n);
  Rng rng = { seed };
  double b[7] = { 0 }, px = 0.0, py = 0.0, sum = 0.0, scale;

  for (gsize i = 0; i < n; i++)
    {
      double w = rng_gauss (&rng), y;

      if (kind == NOISE_WHITE)
        {
          out[i] = (float) w;
          sum += w * w;
          continue;
        }

      b[0] = 0.99886 * b[0] + w * 0.0555179;
      b[1] = 0.99332 * b[1] + w * 0.0750759;
      b[2] = 0.96900 * b[2] + w * 0.1538520;
      b[3] = 0.86650 * b[3] + w * 0.3104856;
      b[4] = 0.55000 * b[4] + w * 0.5329522;
      b[5] = -0.7616 * b[5] - w * 0.0168980;
      y = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
      b[6] = w * 0.115926;

      out[i] = (float) (y - px + 0.985 * py);
      px = y;
      py = out[i];
      sum += (double) out[i] * out[i];
    }

  scale = 1.0 / sqrt (sum / n);
  for (gsize i = 0; i < n; i++)
    out[i] = (float) (out[i] * scale);

  return out;
}

static gint16
to_s16 (double v)
{
  return (gint16) CLAMP (lrint (v), -32768, 32767);
}

/* @voice's sentence at an active level of @speech_dbfs, plus @kind noise
 * @snr_db below it (no noise if @snr_db is INFINITY), times @gain with hard
 * clipping.
 */
static gint16 *
make_mix (guint      voice,
          double     speech_dbfs,
          double     snr_db,
          NoiseKind  kind,
          double     gain,
          gsize     *n_out)
{
  Voice *v = get_voice (voice);
  g_autofree float *noise = make_noise (kind, v->n, 0x5eed0000 + voice);
  double k = 32768.0 * pow (10.0, speech_dbfs / 20.0) / sqrt (v->active_power);
  double noise_rms = isinf (snr_db) ? 0.0 : 32768.0 * pow (10.0, (speech_dbfs - snr_db) / 20.0);
  gint16 *pcm = g_new (gint16, v->n);

  for (gsize i = 0; i < v->n; i++)
    pcm[i] = to_s16 (gain * (k * v->speech[i] + noise_rms * noise[i]));

  *n_out = v->n;

  return pcm;
}

static gint16 *
make_noise_only (NoiseKind kind,
                 double    dbfs,
                 gsize     n)
{
  g_autofree float *noise = make_noise (kind, n, 0xabcdef + kind);
  double rms = 32768.0 * pow (10.0, dbfs / 20.0);
  gint16 *pcm = g_new (gint16, n);

  for (gsize i = 0; i < n; i++)
    pcm[i] = to_s16 (rms * noise[i]);

  return pcm;
}

static void
score (const gint16 *pcm,
       gsize         n,
       Result       *r)
{
  g_autoptr(MiraScorer) scorer = mira_scorer_new ();
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  gboolean was_voice = FALSE;
  double sum = 0.0;

  mira_scorer_push (scorer, pcm, n, frames);
  mira_scorer_get_metrics (scorer, &r->m);

  g_assert_cmpuint (frames->len, ==, n / MIRA_FRAME_SAMPLES);
  r->n_voice_segments = 0;
  for (guint i = 0; i < frames->len; i++)
    {
      const MiraFrameFeatures *f = &g_array_index (frames, MiraFrameFeatures, i);

      g_assert_cmpfloat (f->score, >=, 0.0);
      g_assert_cmpfloat (f->score, <=, 1.0);
      g_assert_true (f->voice || f->score == 0.0);
      sum += f->score;
      if (f->voice && !was_voice)
        r->n_voice_segments++;
      was_voice = f->voice;
    }

  r->quality = r->m.quality_score;
  r->frame_mean = frames->len > 0 ? sum / frames->len : 0.0;
  r->n_frames = frames->len;

  g_assert_cmpfloat (r->quality, >=, 0.0);
  g_assert_cmpfloat (r->quality, <=, 1.0);
}

static void
score_mix (guint      voice,
           double     speech_dbfs,
           double     snr_db,
           NoiseKind  kind,
           double     gain,
           Result    *r)
{
  g_autofree gint16 *pcm = NULL;
  gsize n;

  pcm = make_mix (voice, speech_dbfs, snr_db, kind, gain, &n);
  score (pcm, n, r);
}

static void
print_result (const char   *what,
              const Result *r)
{
  g_test_message ("%-22s quality %.3f  frame-mean %.3f  snr %5.1f dB  rms %6.1f dBFS  "
                  "clarity %.3f  clipping %.4f  speech %.2f",
                  what, r->quality, r->frame_mean, r->m.snr_db, r->m.rms_dbfs,
                  r->m.clarity, r->m.clipping_ratio, r->m.speech_ratio);
}

/* Tests */

typedef struct
{
  guint     voice;
  NoiseKind kind;
} MixCase;

static const MixCase mix_cases[] = {
  { 0, NOISE_WHITE }, { 0, NOISE_PINK }, { 1, NOISE_WHITE }, { 1, NOISE_PINK },
};

static const char *
noise_name (NoiseKind kind)
{
  return kind == NOISE_WHITE ? "white" : "pink";
}

static void
score_snr_series (const MixCase *c,
                  Result         results[N_SNRS])
{
  for (guint i = 0; i < N_SNRS; i++)
    {
      g_autofree char *what = g_strdup_printf ("%s %s %2.0f dB", voices[c->voice].voice,
                                               noise_name (c->kind), snrs[i]);

      score_mix (c->voice, SPEECH_DBFS, snrs[i], c->kind, 1.0, &results[i]);
      print_result (what, &results[i]);
    }
}

/* The same utterance in more noise scores strictly lower, by the rolling
 * score and by the mean frame score an arbiter would use.
 */
static void
test_snr_ordering (gconstpointer data)
{
  const MixCase *c = data;
  Result r[N_SNRS];

  score_snr_series (c, r);

  for (guint i = 1; i < N_SNRS; i++)
    {
      g_assert_cmpfloat (r[i].quality, <, r[i - 1].quality);
      g_assert_cmpfloat (r[i].frame_mean, <, r[i - 1].frame_mean);
    }

  /* Clean speech is good, 0 dB is poor */
  g_assert_cmpfloat (r[0].quality, >, 0.7);
  g_assert_cmpfloat (r[N_SNRS - 1].quality, <, 0.2);
}

/* snr_db is speech over the noise floor: within 3 dB of the mix for 30, 20
 * and 10 dB.
 */
static void
test_snr_estimate (gconstpointer data)
{
  const MixCase *c = data;

  for (guint i = 0; i < 3; i++)
    {
      Result r;

      score_mix (c->voice, SPEECH_DBFS, snrs[i], c->kind, 1.0, &r);
      g_test_message ("%s %s: mixed at %.0f dB, estimated %.1f dB", voices[c->voice].voice,
                      noise_name (c->kind), snrs[i], r.m.snr_db);
      g_assert_cmpfloat (fabs (r.m.snr_db - snrs[i]), <=, 3.0);
      g_assert_cmpfloat (r.m.speech_ratio, >, 0.5);
    }
}

static void
test_clipping (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (voices); v++)
    {
      Result clean, clipped;

      score_mix (v, SPEECH_DBFS, 30, NOISE_WHITE, 1.0, &clean);
      score_mix (v, SPEECH_DBFS, 30, NOISE_WHITE, 8.0, &clipped);
      print_result ("clean 30 dB", &clean);
      print_result ("same x8, clipped", &clipped);

      g_assert_cmpfloat (clean.m.clipping_ratio, ==, 0.0);
      g_assert_cmpfloat (clipped.m.clipping_ratio, >, 0.01);
      g_assert_cmpfloat (clipped.quality, <, clean.quality);
      g_assert_cmpfloat (clipped.frame_mean, <, clean.frame_mean);
    }
}

/* A quiet but clean microphone beats a loud one that clips. */
static void
test_quiet_beats_clipped (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (voices); v++)
    {
      Result quiet, loud;

      score_mix (v, -30.0, 45, NOISE_WHITE, 1.0, &quiet);
      score_mix (v, SPEECH_DBFS, 30, NOISE_WHITE, 8.0, &loud);
      print_result ("quiet -30 dBFS", &quiet);
      print_result ("loud, clipped", &loud);

      g_assert_cmpfloat (quiet.m.speech_ratio, >, 0.5);
      g_assert_cmpfloat (quiet.quality, >, loud.quality);
      g_assert_cmpfloat (quiet.frame_mean, >, loud.frame_mean);
    }
}

/* Silence and pure noise, white or pink, at any level, score below every
 * speech mix down to 10 dB SNR and hold no speech.
 */
static void
test_no_speech (void)
{
  static const double levels[] = { -80, -60, -45, -30, -15, -6 };
  double min_quality = 1.0, min_frame_mean = 1.0;
  gsize n = 3 * MIRA_AUDIO_RATE;
  g_autofree gint16 *silence = g_new0 (gint16, n);
  Result r;

  for (guint c = 0; c < G_N_ELEMENTS (mix_cases); c++)
    for (guint i = 0; i < 3; i++)
      {
        score_mix (mix_cases[c].voice, SPEECH_DBFS, snrs[i], mix_cases[c].kind, 1.0, &r);
        min_quality = MIN (min_quality, r.quality);
        min_frame_mean = MIN (min_frame_mean, r.frame_mean);
      }
  g_test_message ("lowest speech mix down to 10 dB: quality %.3f, frame-mean %.3f",
                  min_quality, min_frame_mean);
  g_assert_cmpfloat (min_quality, >, 0.2);

  score (silence, n, &r);
  print_result ("digital silence", &r);
  g_assert_cmpfloat (r.quality, ==, 0.0);
  g_assert_cmpfloat (r.frame_mean, ==, 0.0);
  g_assert_cmpfloat (r.m.speech_ratio, ==, 0.0);
  g_assert_cmpfloat (r.m.rms_dbfs, ==, -120.0);

  for (NoiseKind kind = NOISE_WHITE; kind <= NOISE_PINK; kind++)
    for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
      {
        g_autofree gint16 *pcm = make_noise_only (kind, levels[l], n);
        g_autofree char *what = g_strdup_printf ("%s noise %.0f dBFS", noise_name (kind),
                                                 levels[l]);

        score (pcm, n, &r);
        print_result (what, &r);
        g_assert_cmpfloat (r.m.speech_ratio, <=, 0.05);
        g_assert_cmpfloat (r.quality, <, min_quality);
        g_assert_cmpfloat (r.quality, <, 0.05);
        g_assert_cmpfloat (r.frame_mean, <, min_frame_mean);
      }
}

/* Voice activity holds across the gaps between words: one sentence is one
 * stretch of voice, not a flicker.
 */
static void
test_voice_hangover (void)
{
  for (guint v = 0; v < G_N_ELEMENTS (voices); v++)
    for (guint i = 0; i < 2; i++)
      {
        Result r;

        score_mix (v, SPEECH_DBFS, snrs[i], NOISE_WHITE, 1.0, &r);
        g_test_message ("%s %.0f dB: %u voice segments, speech ratio %.2f",
                        voices[v].voice, snrs[i], r.n_voice_segments, r.m.speech_ratio);
        g_assert_cmpuint (r.n_voice_segments, ==, 1);
      }
}

/* The floor follows the noise: it takes a louder steady noise within a
 * second, a quieter one at once, and speech on top does not lift it.
 */
static void
test_noise_floor (void)
{
  static const struct { double dbfs; guint ms; } segments[] = {
    { -60, 3000 }, { -30, 3000 }, { -60, 1000 },
  };
  g_autoptr(MiraScorer) scorer = mira_scorer_new ();
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  guint start = 0;

  for (guint s = 0; s < G_N_ELEMENTS (segments); s++)
    {
      gsize n = segments[s].ms * MIRA_AUDIO_RATE / 1000;
      g_autofree gint16 *pcm = make_noise_only (NOISE_WHITE, segments[s].dbfs, n);
      const MiraFrameFeatures *f;

      mira_scorer_push (scorer, pcm, n, frames);

      /* one second in (or at once, for a fall), and at the end */
      f = &g_array_index (frames, MiraFrameFeatures,
                          start + MIN (1000, segments[s].ms) / MIRA_FRAME_MS - 1);
      g_assert_cmpfloat (fabs (f->noise_floor_dbfs - segments[s].dbfs), <, 2.0);
      f = &g_array_index (frames, MiraFrameFeatures, frames->len - 1);
      g_assert_cmpfloat (fabs (f->noise_floor_dbfs - segments[s].dbfs), <, 2.0);

      if (s == 2)
        {
          /* falls in one frame */
          f = &g_array_index (frames, MiraFrameFeatures, start);
          g_assert_cmpfloat (f->noise_floor_dbfs, <, segments[s].dbfs + 3.0);
        }
      start = frames->len;
    }

  /* Speech over noise: the floor stays with the noise, not the speech */
  {
    g_autofree gint16 *pcm = NULL;
    g_autoptr(MiraScorer) s2 = mira_scorer_new ();
    gsize n;

    g_array_set_size (frames, 0);
    pcm = make_mix (1, SPEECH_DBFS, 20, NOISE_WHITE, 1.0, &n);
    mira_scorer_push (s2, pcm, n, frames);
    for (guint i = 0; i < frames->len; i++)
      {
        const MiraFrameFeatures *f = &g_array_index (frames, MiraFrameFeatures, i);

        g_assert_cmpfloat (fabs (f->noise_floor_dbfs - (SPEECH_DBFS - 20)), <, 3.0);
      }
  }
}

/* Pushing the same samples in odd pieces gives exactly the same frames. */
static void
test_chunking (void)
{
  static const gsize chunks[] = { 1, 7, 319, 321 };
  g_autoptr(MiraScorer) whole = mira_scorer_new ();
  g_autoptr(MiraScorer) pieces = mira_scorer_new ();
  g_autoptr(GArray) a = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  g_autoptr(GArray) b = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  g_autofree gint16 *pcm = NULL;
  MiraStreamMetrics ma, mb;
  gsize n, off = 0;

  pcm = make_mix (0, SPEECH_DBFS, 20, NOISE_PINK, 1.0, &n);

  mira_scorer_push (whole, pcm, n, a);
  for (guint i = 0; off < n; i++)
    {
      gsize len = MIN (chunks[i % G_N_ELEMENTS (chunks)], n - off);

      mira_scorer_push (pieces, pcm + off, len, b);
      off += len;
    }
  mira_scorer_push (pieces, pcm, 0, b);
  mira_scorer_push (pieces, NULL, 0, NULL);

  g_assert_cmpuint (a->len, ==, n / MIRA_FRAME_SAMPLES);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const MiraFrameFeatures *x = &g_array_index (a, MiraFrameFeatures, i);
      const MiraFrameFeatures *y = &g_array_index (b, MiraFrameFeatures, i);

      g_assert_cmpfloat (x->rms_dbfs, ==, y->rms_dbfs);
      g_assert_cmpfloat (x->clipping, ==, y->clipping);
      g_assert_cmpfloat (x->noise_floor_dbfs, ==, y->noise_floor_dbfs);
      g_assert_cmpint (x->voice, ==, y->voice);
      g_assert_cmpfloat (x->band_ratio, ==, y->band_ratio);
      g_assert_cmpfloat (x->flatness, ==, y->flatness);
      g_assert_cmpfloat (x->score, ==, y->score);
    }

  mira_scorer_get_metrics (whole, &ma);
  mira_scorer_get_metrics (pieces, &mb);
  g_assert_cmpmem (&ma, sizeof ma, &mb, sizeof mb);

  /* After a reset the stream starts over */
  mira_scorer_reset (pieces);
  mira_scorer_get_metrics (pieces, &mb);
  g_assert_cmpfloat (mb.quality_score, ==, 0.0);
  g_assert_cmpfloat (mb.speech_ratio, ==, 0.0);
  g_array_set_size (b, 0);
  mira_scorer_push (pieces, pcm, n, b);
  g_assert_cmpuint (b->len, ==, a->len);
  g_assert_cmpfloat (g_array_index (b, MiraFrameFeatures, b->len - 1).score, ==,
                     g_array_index (a, MiraFrameFeatures, a->len - 1).score);
}

/* Sines land in the right bins: in band, out of band, flat or not. */
static void
test_features (void)
{
  g_autoptr(MiraFeatures) features = mira_features_new ();
  g_autofree gint16 *quiet = make_noise_only (NOISE_WHITE, -70, 5 * MIRA_FRAME_SAMPLES);
  gint16 frame[MIRA_FRAME_SAMPLES];
  MiraFrameFeatures f;

  /* A room at -70 dBFS first: a frame that cannot be voice has no spectrum. */
  for (guint i = 0; i < 5; i++)
    {
      mira_features_analyze (features, quiet + i * MIRA_FRAME_SAMPLES, &f);
      g_assert_false (f.voice);
      g_assert_cmpfloat (f.band_ratio, ==, 0.0);
      g_assert_cmpfloat (f.flatness, ==, 1.0);
    }

  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    frame[i] = to_s16 (16384.0 * sin (2.0 * G_PI * 1000.0 * i / MIRA_AUDIO_RATE));
  mira_features_analyze (features, frame, &f);
  g_assert_cmpfloat (fabs (f.rms_dbfs - (-9.03)), <, 0.1);   /* half scale sine: -6 - 3 dB */
  g_assert_cmpfloat (f.band_ratio, >, 0.99);
  g_assert_cmpfloat (f.flatness, <, 0.05);
  g_assert_cmpfloat (f.clipping, ==, 0.0);

  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    frame[i] = to_s16 (16384.0 * sin (2.0 * G_PI * 6000.0 * i / MIRA_AUDIO_RATE) + 5000.0);
  mira_features_analyze (features, frame, &f);
  g_assert_cmpfloat (fabs (f.rms_dbfs - (-9.03)), <, 0.1);   /* the DC offset does not count */
  g_assert_cmpfloat (f.band_ratio, <, 0.01);

  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    frame[i] = i % 2 ? 32767 : -32768;
  mira_features_analyze (features, frame, &f);
  g_assert_cmpfloat (f.clipping, ==, 1.0);
  g_assert_cmpfloat (f.rms_dbfs, >, -0.01);

  {
    g_autofree gint16 *noise = make_noise_only (NOISE_WHITE, -20, MIRA_FRAME_SAMPLES);

    mira_features_analyze (features, noise, &f);
    g_assert_cmpfloat (f.flatness, >, 0.4);
    g_assert_cmpfloat (fabs (f.band_ratio - 3100.0 / 8000.0), <, 0.1);
  }

  /* Silence, once the hangover of the loud frames is over */
  memset (frame, 0, sizeof frame);
  for (guint i = 0; i < 100; i++)
    mira_features_analyze (features, frame, &f);
  g_assert_cmpfloat (f.rms_dbfs, ==, -120.0);
  g_assert_false (f.voice);
}

/* The real FFT against a plain DFT. */
static void
test_fft (void)
{
  for (guint n = 8; n <= 1024; n *= 2)
    {
      g_autoptr(MiraFft) fft = mira_fft_new (n);
      g_autofree float *in = g_new (float, n);
      g_autofree float *scratch = g_new (float, mira_fft_scratch_size (fft));
      g_autofree float *power = g_new (float, n / 2 + 1);
      Rng rng = { n };
      double max_err = 0.0, max_power = 0.0;

      g_assert_cmpuint (mira_fft_get_size (fft), ==, n);
      for (guint i = 0; i < n; i++)
        in[i] = (float) rng_gauss (&rng);
      mira_fft_power (fft, in, scratch, power);

      for (guint k = 0; k <= n / 2; k++)
        {
          double re = 0.0, im = 0.0, p;

          for (guint t = 0; t < n; t++)
            {
              re += in[t] * cos (2.0 * G_PI * k * t / n);
              im -= in[t] * sin (2.0 * G_PI * k * t / n);
            }
          p = re * re + im * im;
          max_err = MAX (max_err, fabs (p - power[k]));
          max_power = MAX (max_power, p);
        }
      g_assert_cmpfloat (max_err / max_power, <, 1e-5);
    }
}

/* Unknown RSSI is neutral; a strong one is neutral too (never a bonus); a
 * weak one costs a little.
 */
static void
test_quality_adjust (void)
{
  static const double qs[] = { 0.0, 0.1, 0.5, 0.87, 1.0 };

  for (guint i = 0; i < G_N_ELEMENTS (qs); i++)
    {
      double q = qs[i];

      g_assert_cmpfloat (mira_quality_adjust (q, NAN), ==, q);
      g_assert_cmpfloat (mira_quality_adjust (q, -30), ==, q);
      g_assert_cmpfloat (mira_quality_adjust (q, -60), ==, q);
      g_assert_cmpfloat (mira_quality_adjust (q, 10), <=, q);
      g_assert_cmpfloat (mira_quality_adjust (q, -80), <=, q);
      g_assert_cmpfloat (mira_quality_adjust (q, -90), <=, mira_quality_adjust (q, -80));
      g_assert_cmpfloat (mira_quality_adjust (q, -90), >=, 0.85 * q - 1e-12);
      g_assert_cmpfloat (mira_quality_adjust (q, -120), ==, mira_quality_adjust (q, -90));
    }
  g_assert_cmpfloat (mira_quality_adjust (0.8, -90), <, 0.8);
  g_assert_cmpfloat (mira_quality_adjust (NAN, NAN), ==, 0.0);
  g_assert_cmpfloat (mira_quality_adjust (1.5, NAN), ==, 1.0);
  g_assert_cmpfloat (mira_quality_adjust (-0.5, -50), ==, 0.0);
}

/* Scoring has to be cheap: 500 streams on two cores next to Opus decoding.
 * The bound here only catches an accident; the figure is in the log.
 */
static void
test_speed (void)
{
  g_autoptr(MiraScorer) scorer = mira_scorer_new ();
  g_autoptr(GArray) frames = NULL;
  g_autofree gint16 *pcm = NULL;
  double best = G_MAXDOUBLE;
  gsize n;

  pcm = make_mix (0, SPEECH_DBFS, 20, NOISE_PINK, 1.0, &n);
  frames = g_array_sized_new (FALSE, FALSE, sizeof (MiraFrameFeatures), n / MIRA_FRAME_SAMPLES);

  for (guint rep = 0; rep < 5; rep++)
    {
      gint64 t0 = g_get_monotonic_time ();

      for (guint k = 0; k < 10; k++)
        {
          g_array_set_size (frames, 0);
          mira_scorer_push (scorer, pcm, n, frames);
        }
      best = MIN (best, (double) (g_get_monotonic_time () - t0) / (10.0 * frames->len));
    }

  g_test_message ("%.2f us per 20 ms frame (%.3f %% of one core per stream)",
                  best, 100.0 * best / (MIRA_FRAME_MS * 1000.0));
  g_assert_cmpfloat (best, <, 1000.0);
}

static void
remove_tmp_dir (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (tmp_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("mira-test-scorer-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint c = 0; c < G_N_ELEMENTS (mix_cases); c++)
    {
      g_autofree char *a = g_strdup_printf ("/scorer/snr-ordering/%s/%s",
                                            voices[mix_cases[c].voice].voice,
                                            noise_name (mix_cases[c].kind));
      g_autofree char *b = g_strdup_printf ("/scorer/snr-estimate/%s/%s",
                                            voices[mix_cases[c].voice].voice,
                                            noise_name (mix_cases[c].kind));

      g_test_add_data_func (a, &mix_cases[c], test_snr_ordering);
      g_test_add_data_func (b, &mix_cases[c], test_snr_estimate);
    }
  g_test_add_func ("/scorer/clipping", test_clipping);
  g_test_add_func ("/scorer/quiet-beats-clipped", test_quiet_beats_clipped);
  g_test_add_func ("/scorer/no-speech", test_no_speech);
  g_test_add_func ("/scorer/voice-hangover", test_voice_hangover);
  g_test_add_func ("/scorer/noise-floor", test_noise_floor);
  g_test_add_func ("/scorer/chunking", test_chunking);
  g_test_add_func ("/scorer/features", test_features);
  g_test_add_func ("/scorer/fft", test_fft);
  g_test_add_func ("/scorer/quality-adjust", test_quality_adjust);
  g_test_add_func ("/scorer/speed", test_speed);

  ret = g_test_run ();

  for (guint i = 0; i < G_N_ELEMENTS (voices); i++)
    g_clear_pointer (&voices[i].speech, g_free);
  remove_tmp_dir ();
  g_clear_pointer (&tmp_dir, g_free);

  return ret;
}
