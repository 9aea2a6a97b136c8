/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-decoder"

#include "mira-audio-decoder.h"

#include <math.h>
#include <string.h>
#include <opus.h>

#include "mira-error.h"

/* Resampling: a Kaiser-windowed sinc evaluated as a polyphase filter bank.
 * For an input rate R the output/input ratio reduces to L/M; output n sits
 * at input time n·M/L, so its phase is (n·M mod L)/L. When L is small (all
 * common rates: 8, 11.025, 22.05, 44.1, 48, 96 kHz…) each phase has its own
 * row of taps; otherwise the rows sample the phase at 1/INTERP_PHASES steps
 * and neighbouring rows are interpolated linearly.
 *
 * The cut-off is 0.47 of the lower Nyquist rate (7.52 kHz going down to
 * 16 kHz) with ZERO_CROSSINGS lobes each side, which puts the ~80 dB stop
 * band at 8 kHz: nothing above it folds back into the speech band. Tables
 * depend on the rate only and are shared by all decoders of that rate.
 */
#define ZERO_CROSSINGS      40
#define KAISER_BETA         7.857   /* ≈ 80 dB stop band */
#define CUTOFF              0.47
#define MAX_EXACT_PHASES    1024
#define MAX_EXACT_TABLE     (256 * 1024)   /* floats */
#define INTERP_PHASES       256
#define BLOCK_FRAMES        4096           /* input frames converted at a time */
#define MAX_FRAME_BYTES     (64 * 8)
#define MAX_OPUS_PACKET     (64 * 1024)
#define OMI_LOCK_VOTES      8

typedef struct {
  gatomicrefcount  ref;
  guint            rate;
  guint            L;         /* output/input = L/M, reduced */
  guint            M;
  guint            step_int;  /* M / L */
  guint            step_frac; /* M % L */
  guint            half;      /* taps each side: rows span input [i-half+1, i+half] */
  guint            taps;      /* 2 * half */
  gboolean         interpolate;
  float           *rows;      /* L rows, or INTERP_PHASES + 1 rows, of taps */
} FilterBank;

typedef enum {
  OMI_UNKNOWN,
  OMI_HEADER,
  OMI_RAW,
} OmiMode;

struct _MiraAudioDecoder
{
  gboolean          is_opus;

  /* PCM */
  MiraSampleFormat  format;
  guint             rate;
  guint             channels;
  guint             frame_bytes;
  float             scale;          /* to s16 range, divided by channels */
  gboolean          passthrough;    /* s16le mono at 16 kHz: a copy */
  guint8            partial[MAX_FRAME_BYTES];
  guint             n_partial;

  FilterBank       *bank;           /* NULL at 16 kHz */
  float            *hist;           /* mono input, hist[pos] is the current output's i */
  gsize             hist_len;
  gsize             hist_cap;
  gsize             pos;
  guint             frac;           /* phase numerator, 0..L-1 */
  guint64           n_in;           /* frames pushed */
  guint64           n_out;          /* samples produced */

  /* Opus */
  OpusDecoder      *opus;
  gboolean          omi_header;
  OmiMode           omi_mode;
  gboolean          omi_last_strip;
  guint             omi_votes;
  gint              omi_last_counter;
  gint              omi_last_header_toc;
  gint              omi_last_raw_toc;
  guint             opus_last_samples;  /* of the last good packet, for concealment */
  GArray           *last_packet;        /* PCM: the last good packet's samples, likewise */
};

/* Filter banks ------------------------------------------------------------ */

static GMutex      banks_lock;
static GHashTable *banks;   /* rate → FilterBank, weak: removed on last unref */

static guint
gcd (guint a,
     guint b)
{
  while (b != 0)
    {
      guint t = a % b;

      a = b;
      b = t;
    }
  return a;
}

/* Modified Bessel function of the first kind, order 0 */
static double
bessel_i0 (double x)
{
  double sum = 1.0;
  double term = 1.0;

  for (int k = 1; k < 64; k++)
    {
      term *= (x / (2.0 * k)) * (x / (2.0 * k));
      sum += term;
      if (term < sum * 1e-12)
        break;
    }
  return sum;
}

/* The Kaiser window, w(x) = I0(β √(1 - x²)) / I0(β) for |x| ≤ 1, sampled
 * once: a filter bank for an odd rate needs a quarter of a million of
 * them, and the series for I0 made building one take up to 70 ms on the
 * audio thread. Linear interpolation between these samples is exact to
 * about 1e-7, far below the window's 80 dB.
 */
#define WINDOW_SAMPLES 4096

static const float *
kaiser_window (void)
{
  static float table[WINDOW_SAMPLES + 2];
  static gsize done;

  if (g_once_init_enter (&done))
    {
      double i0_beta = bessel_i0 (KAISER_BETA);

      for (guint i = 0; i <= WINDOW_SAMPLES; i++)
        {
          double x = (double) i / WINDOW_SAMPLES;

          table[i] = (float) (bessel_i0 (KAISER_BETA * sqrt (1.0 - x * x)) / i0_beta);
        }
      table[WINDOW_SAMPLES + 1] = 0.0f;
      g_once_init_leave (&done, 1);
    }
  return table;
}

static inline double
window_at (const float *table,
           double       x)
{
  double at = fabs (x) * WINDOW_SAMPLES;
  guint i = (guint) at;
  double f = at - i;

  if (i >= WINDOW_SAMPLES)
    return i == WINDOW_SAMPLES && f == 0.0 ? table[WINDOW_SAMPLES] : 0.0;
  return table[i] + (table[i + 1] - table[i]) * f;
}

static FilterBank *
filter_bank_build (guint rate)
{
  FilterBank *bank = g_new0 (FilterBank, 1);
  guint g = gcd (rate, MIRA_AUDIO_RATE);
  guint low = MIN (rate, MIRA_AUDIO_RATE);
  double fc = CUTOFF * low / rate;                 /* cycles per input sample */
  const float *window = kaiser_window ();
  guint n_rows;
  guint den;

  g_atomic_ref_count_init (&bank->ref);
  bank->rate = rate;
  bank->L = MIRA_AUDIO_RATE / g;
  bank->M = rate / g;
  bank->step_int = bank->M / bank->L;
  bank->step_frac = bank->M % bank->L;
  bank->half = (guint) ceil ((double) ZERO_CROSSINGS * rate / low);
  bank->taps = 2 * bank->half;
  bank->interpolate = bank->L > MAX_EXACT_PHASES
                      || (gsize) bank->L * bank->taps > MAX_EXACT_TABLE;
  n_rows = bank->interpolate ? INTERP_PHASES + 1 : bank->L;
  den = bank->interpolate ? INTERP_PHASES : bank->L;
  bank->rows = g_new (float, (gsize) n_rows * bank->taps);

  for (guint r = 0; r < n_rows; r++)
    {
      float *row = bank->rows + (gsize) r * bank->taps;
      double frac = (double) r / den;
      double sum = 0.0;
      /* sin (2π fc t) for t = t0, t0 + 1, …: one rotation per tap rather
       * than one sin() (exact to ~1e-13 over a row)
       */
      double t0 = -(double) (bank->half - 1) - frac;
      double sn = sin (2.0 * G_PI * fc * t0), cs = cos (2.0 * G_PI * fc * t0);
      double sd = sin (2.0 * G_PI * fc), cd = cos (2.0 * G_PI * fc);

      for (guint k = 0; k < bank->taps; k++)
        {
          double t = t0 + k;
          double x = t / bank->half;
          double w = window_at (window, x);
          double s = fabs (t) < 1e-9 ? 2.0 * fc : sn / (G_PI * t);
          double next_sn = sn * cd + cs * sd;

          cs = cs * cd - sn * sd;
          sn = next_sn;
          row[k] = (float) (s * w);
          sum += s * w;
        }
      /* Unity gain at DC for every phase */
      for (guint k = 0; k < bank->taps; k++)
        row[k] = (float) (row[k] / sum);
    }
  return bank;
}

static FilterBank *
filter_bank_get (guint rate)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&banks_lock);
  FilterBank *bank;

  if (banks == NULL)
    banks = g_hash_table_new (NULL, NULL);
  bank = g_hash_table_lookup (banks, GUINT_TO_POINTER (rate));
  if (bank != NULL)
    {
      g_atomic_ref_count_inc (&bank->ref);
      return bank;
    }
  bank = filter_bank_build (rate);
  g_hash_table_insert (banks, GUINT_TO_POINTER (rate), bank);
  return bank;
}

static void
filter_bank_unref (FilterBank *bank)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&banks_lock);

  /* Under the lock: a lookup must not revive a bank being freed */
  if (!g_atomic_ref_count_dec (&bank->ref))
    return;
  g_hash_table_remove (banks, GUINT_TO_POINTER (bank->rate));
  if (g_hash_table_size (banks) == 0)
    g_clear_pointer (&banks, g_hash_table_unref);
  g_free (bank->rows);
  g_free (bank);
}

#if defined(__GNUC__) || defined(__clang__)
/* The filter is nearly all of the decoding time: four-wide vectors (SSE,
 * NEON) with two accumulators to hide the adds' latency. Unaligned loads go
 * through memcpy, which compiles to one instruction.
 */
typedef float v4sf __attribute__ ((vector_size (16)));

static inline float
dot (const float *restrict x,
     const float *restrict h,
     guint                 n)
{
  v4sf acc0 = { 0.f, 0.f, 0.f, 0.f };
  v4sf acc1 = { 0.f, 0.f, 0.f, 0.f };
  float sum;
  guint k = 0;

  for (; k + 8 <= n; k += 8)
    {
      v4sf x0, x1, h0, h1;

      memcpy (&x0, x + k, sizeof x0);
      memcpy (&x1, x + k + 4, sizeof x1);
      memcpy (&h0, h + k, sizeof h0);
      memcpy (&h1, h + k + 4, sizeof h1);
      acc0 += x0 * h0;
      acc1 += x1 * h1;
    }
  acc0 += acc1;
  sum = (acc0[0] + acc0[1]) + (acc0[2] + acc0[3]);
  for (; k < n; k++)
    sum += x[k] * h[k];
  return sum;
}
#else
static inline float
dot (const float *restrict x,
     const float *restrict h,
     guint                 n)
{
  float s0 = 0.f, s1 = 0.f;
  guint k = 0;

  for (; k + 2 <= n; k += 2)
    {
      s0 += x[k] * h[k];
      s1 += x[k + 1] * h[k + 1];
    }
  if (k < n)
    s0 += x[k] * h[k];
  return s0 + s1;
}
#endif

static inline gint16
to_s16 (float v)
{
  if (v >= 32767.f)
    return 32767;
  if (v <= -32768.f)
    return -32768;
  return (gint16) lrintf (v);
}

/* Decoder ------------------------------------------------------------------- */

static guint
format_width (MiraSampleFormat format)
{
  switch (format)
    {
    case MIRA_SAMPLE_U8:    return 1;
    case MIRA_SAMPLE_S16LE: return 2;
    case MIRA_SAMPLE_S24LE: return 3;
    case MIRA_SAMPLE_S32LE: return 4;
    case MIRA_SAMPLE_F32LE: return 4;
    case MIRA_SAMPLE_F64LE: return 8;
    default:                g_assert_not_reached ();
    }
}

static MiraAudioDecoder *
decoder_new_pcm (MiraSampleFormat format,
                 guint            rate,
                 guint            channels)
{
  MiraAudioDecoder *self = g_new0 (MiraAudioDecoder, 1);
  float unit;

  self->format = format;
  self->rate = rate;
  self->channels = channels;
  self->frame_bytes = format_width (format) * channels;
  g_assert (self->frame_bytes <= MAX_FRAME_BYTES);

  switch (format)
    {
    case MIRA_SAMPLE_U8:    unit = 256.f; break;
    case MIRA_SAMPLE_S16LE: unit = 1.f; break;
    case MIRA_SAMPLE_S24LE: unit = 1.f / 256.f; break;
    case MIRA_SAMPLE_S32LE: unit = 1.f / 65536.f; break;
    case MIRA_SAMPLE_F32LE:
    case MIRA_SAMPLE_F64LE: unit = 32768.f; break;
    default:                g_assert_not_reached ();
    }
  self->scale = unit / (float) channels;
  self->passthrough = (format == MIRA_SAMPLE_S16LE && channels == 1 && rate == MIRA_AUDIO_RATE
                       && G_BYTE_ORDER == G_LITTLE_ENDIAN);

  if (rate != MIRA_AUDIO_RATE)
    {
      self->bank = filter_bank_get (rate);
      self->hist_cap = self->bank->taps + BLOCK_FRAMES;
      self->hist = g_new0 (float, self->hist_cap);
      /* Zero history before the first sample: output 0 lines up with input 0 */
      self->hist_len = self->bank->half - 1;
      self->pos = self->bank->half - 1;
    }
  return self;
}

MiraAudioDecoder *
mira_audio_decoder_new_pcm (guint    rate,
                            guint    width,
                            guint    channels,
                            GError **error)
{
  static const MiraSampleFormat formats[] = {
    MIRA_SAMPLE_U8, MIRA_SAMPLE_S16LE, MIRA_SAMPLE_S24LE, MIRA_SAMPLE_S32LE,
  };

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rate < 8000 || rate > 192000)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported audio rate %u Hz: it must be 8000 to 192000 Hz", rate);
      return NULL;
    }
  if (width < 1 || width > 4)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported audio width %u: it must be 1, 2, 3 or 4 bytes per sample", width);
      return NULL;
    }
  if (channels < 1 || channels > 8)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported audio channel count %u: it must be 1 to 8", channels);
      return NULL;
    }
  return decoder_new_pcm (formats[width - 1], rate, channels);
}

MiraAudioDecoder *
mira_audio_decoder_new_raw (MiraSampleFormat   format,
                            guint              rate,
                            guint              channels,
                            GError           **error)
{
  g_return_val_if_fail (format <= MIRA_SAMPLE_F64LE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rate < 1000 || rate > 768000)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported audio rate %u Hz: it must be 1000 to 768000 Hz", rate);
      return NULL;
    }
  if (channels < 1 || channels > 64)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported audio channel count %u: it must be 1 to 64", channels);
      return NULL;
    }
  return decoder_new_pcm (format, rate, channels);
}

MiraAudioDecoder *
mira_audio_decoder_new_opus (guint      rate,
                             guint      channels,
                             gboolean   omi_header,
                             GError   **error)
{
  MiraAudioDecoder *self;
  int err = OPUS_OK;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported Opus rate %u Hz: it must be 8000, 12000, 16000, 24000 or 48000 Hz",
                   rate);
      return NULL;
    }
  if (channels < 1 || channels > 2)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Unsupported Opus channel count %u: it must be 1 or 2", channels);
      return NULL;
    }

  self = g_new0 (MiraAudioDecoder, 1);
  self->is_opus = TRUE;
  self->rate = rate;
  self->channels = channels;
  self->omi_header = omi_header;
  self->omi_last_counter = -1;
  self->omi_last_header_toc = -1;
  self->omi_last_raw_toc = -1;

  /* libopus decodes any stream (16 or 48 kHz, mono or stereo) straight to
   * 16 kHz mono, skipping both a resampler and a downmix.
   */
  self->opus = opus_decoder_create (MIRA_AUDIO_RATE, 1, &err);
  if (self->opus == NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_FAILED,
                   "Could not create an Opus decoder: %s", opus_strerror (err));
      g_free (self);
      return NULL;
    }
  return self;
}

void
mira_audio_decoder_free (MiraAudioDecoder *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->opus, opus_decoder_destroy);
  g_clear_pointer (&self->last_packet, g_array_unref);
  g_clear_pointer (&self->bank, filter_bank_unref);
  g_free (self->hist);
  g_free (self);
}

gboolean
mira_audio_decoder_is_opus (MiraAudioDecoder *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->is_opus;
}

/* PCM ----------------------------------------------------------------------- */

static inline gint32
read_s24 (const guint8 *p)
{
  return (gint32) ((guint32) p[0] << 8 | (guint32) p[1] << 16 | (guint32) p[2] << 24) >> 8;
}

static inline gint32
read_s32 (const guint8 *p)
{
  return (gint32) ((guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16
                   | (guint32) p[3] << 24);
}

static inline float
read_f32 (const guint8 *p)
{
  union { guint32 u; float f; } v;

  v.u = (guint32) read_s32 (p);
  return v.f;
}

static inline double
read_f64 (const guint8 *p)
{
  union { guint64 u; double f; } v;

  v.u = (guint64) (guint32) read_s32 (p) | (guint64) (guint32) read_s32 (p + 4) << 32;
  return v.f;
}

/* @n frames at @p to mono floats in the s16 range */
static void
convert_frames (MiraAudioDecoder *self,
                const guint8     *p,
                gsize             n,
                float            *dst)
{
  guint ch = self->channels;
  float scale = self->scale;

  switch (self->format)
    {
    case MIRA_SAMPLE_U8:
      for (gsize i = 0; i < n; i++, p += ch)
        {
          gint32 sum = 0;

          for (guint c = 0; c < ch; c++)
            sum += (gint32) p[c] - 128;
          dst[i] = (float) sum * scale;
        }
      break;

    case MIRA_SAMPLE_S16LE:
      if (ch == 2)
        {
          for (gsize i = 0; i < n; i++, p += 4)
            dst[i] = (float) ((gint16) (p[0] | p[1] << 8) + (gint16) (p[2] | p[3] << 8)) * scale;
          break;
        }
      for (gsize i = 0; i < n; i++, p += 2 * ch)
        {
          gint32 sum = 0;

          for (guint c = 0; c < ch; c++)
            sum += (gint16) (p[2 * c] | p[2 * c + 1] << 8);
          dst[i] = (float) sum * scale;
        }
      break;

    case MIRA_SAMPLE_S24LE:
      for (gsize i = 0; i < n; i++, p += 3 * ch)
        {
          gint64 sum = 0;

          for (guint c = 0; c < ch; c++)
            sum += read_s24 (p + 3 * c);
          dst[i] = (float) sum * scale;
        }
      break;

    case MIRA_SAMPLE_S32LE:
      for (gsize i = 0; i < n; i++, p += 4 * ch)
        {
          gint64 sum = 0;

          for (guint c = 0; c < ch; c++)
            sum += read_s32 (p + 4 * c);
          dst[i] = (float) sum * scale;
        }
      break;

    case MIRA_SAMPLE_F32LE:
      for (gsize i = 0; i < n; i++, p += 4 * ch)
        {
          float sum = 0.f;

          for (guint c = 0; c < ch; c++)
            sum += read_f32 (p + 4 * c);
          /* NaN and infinities are noise, not a crash */
          dst[i] = isfinite (sum) ? sum * scale : 0.f;
        }
      break;

    case MIRA_SAMPLE_F64LE:
      for (gsize i = 0; i < n; i++, p += 8 * ch)
        {
          double sum = 0.0;

          for (guint c = 0; c < ch; c++)
            sum += read_f64 (p + 8 * c);
          dst[i] = isfinite (sum) ? (float) (sum * scale) : 0.f;
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Produces every output whose taps are all in hist, at most @limit of them,
 * then drops the history no later output needs.
 */
static void
run_filter (MiraAudioDecoder *self,
            GArray           *out,
            guint64           limit)
{
  const FilterBank *bank = self->bank;
  const guint taps = bank->taps;
  const guint back = bank->half - 1;
  guint old_len = out->len;
  gsize max_n;
  gint16 *dst;
  gsize n = 0;
  gsize pos = self->pos;
  guint frac = self->frac;
  gsize shift;

  if (pos + bank->half >= self->hist_len)
    return;

  /* Outputs available: one per M/L input frames up to hist_len - half */
  max_n = (gsize) (((guint64) (self->hist_len - bank->half - pos) * bank->L) / bank->M) + 2;
  max_n = MIN (max_n, limit);
  g_array_set_size (out, old_len + max_n);
  dst = &g_array_index (out, gint16, old_len);

  while (pos + bank->half < self->hist_len && n < max_n)
    {
      const float *x = self->hist + pos - back;
      float y;

      if (!bank->interpolate)
        y = dot (x, bank->rows + (gsize) frac * taps, taps);
      else
        {
          guint64 t = (guint64) frac * INTERP_PHASES;
          guint r = (guint) (t / bank->L);
          float a = (float) (t % bank->L) / (float) bank->L;
          const float *row = bank->rows + (gsize) r * taps;

          y = (1.f - a) * dot (x, row, taps) + a * dot (x, row + taps, taps);
        }
      dst[n++] = to_s16 (y);

      pos += bank->step_int;
      frac += bank->step_frac;
      if (frac >= bank->L)
        {
          frac -= bank->L;
          pos++;
        }
    }
  g_array_set_size (out, old_len + n);
  self->n_out += n;
  self->frac = frac;

  /* pos only grows past the taps it has used, so this never underflows */
  g_assert (pos >= back);
  shift = MIN (pos - back, self->hist_len);
  if (shift > 0)
    {
      memmove (self->hist, self->hist + shift, (self->hist_len - shift) * sizeof (float));
      self->hist_len -= shift;
    }
  self->pos = pos - shift;
}

static void
process_frames (MiraAudioDecoder *self,
                const guint8     *p,
                gsize             n,
                GArray           *out)
{
  self->n_in += n;

  if (self->bank == NULL)
    {
      /* 16 kHz: convert only */
      guint old_len = out->len;
      gint16 *dst;

      g_array_set_size (out, old_len + n);
      dst = &g_array_index (out, gint16, old_len);
      while (n > 0)
        {
          float block[256];
          gsize k = MIN (n, G_N_ELEMENTS (block));

          convert_frames (self, p, k, block);
          for (gsize i = 0; i < k; i++)
            dst[i] = to_s16 (block[i]);
          dst += k;
          p += k * self->frame_bytes;
          n -= k;
        }
      self->n_out += out->len - old_len;
      return;
    }

  while (n > 0)
    {
      gsize k = MIN (n, self->hist_cap - self->hist_len);

      g_assert (k > 0);
      convert_frames (self, p, k, self->hist + self->hist_len);
      self->hist_len += k;
      p += k * self->frame_bytes;
      n -= k;
      run_filter (self, out, G_MAXUINT64);
    }
}

static void
push_pcm (MiraAudioDecoder *self,
          const guint8     *data,
          gsize             len,
          GArray           *out)
{
  gsize n;

  if (len == 0)
    return;

  if (self->n_partial > 0)
    {
      gsize take = MIN (len, self->frame_bytes - self->n_partial);

      memcpy (self->partial + self->n_partial, data, take);
      self->n_partial += take;
      data += take;
      len -= take;
      if (self->n_partial < self->frame_bytes)
        return;
      process_frames (self, self->partial, 1, out);
      self->n_partial = 0;
    }

  n = len / self->frame_bytes;
  if (n > 0)
    {
      if (self->passthrough)
        {
          guint old_len = out->len;

          g_array_set_size (out, old_len + n);
          memcpy (&g_array_index (out, gint16, old_len), data, n * 2);
          self->n_in += n;
          self->n_out += n;
        }
      else
        process_frames (self, data, n, out);
    }

  self->n_partial = len - n * self->frame_bytes;
  if (self->n_partial > 0)
    memcpy (self->partial, data + n * self->frame_bytes, self->n_partial);
}

void
mira_audio_decoder_flush (MiraAudioDecoder *self,
                          GArray           *out)
{
  guint64 expected;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL && g_array_get_element_size (out) == sizeof (gint16));

  if (self->is_opus || self->bank == NULL)
    return;

  /* Zeros after the end let the last outputs see all their taps; stop at
   * the length the input's duration calls for.
   */
  expected = (self->n_in * self->bank->L + self->bank->M - 1) / self->bank->M;
  for (guint left = self->bank->half + 1; left > 0 && self->n_out < expected;)
    {
      gsize k = MIN (left, self->hist_cap - self->hist_len);

      memset (self->hist + self->hist_len, 0, k * sizeof (float));
      self->hist_len += k;
      left -= k;
      run_filter (self, out, expected - self->n_out);
    }
}

/* Opus ---------------------------------------------------------------------- */

static gboolean
opus_packet_ok (const guint8 *p,
                gsize         len)
{
  const guchar *frames[48];
  opus_int16 sizes[48];
  guchar toc;
  int samples;

  if (len == 0 || len > MAX_OPUS_PACKET)
    return FALSE;
  if (opus_packet_parse (p, (opus_int32) len, &toc, frames, sizes, NULL) <= 0)
    return FALSE;
  samples = opus_packet_get_nb_samples (p, (opus_int32) len, 48000);
  return samples > 0 && samples <= 5760;   /* at most 120 ms */
}

/* Does this packet start with the 3-byte Omi header? Where only one reading
 * is a valid Opus packet, that settles it for the stream. Where both are, the
 * evidence is the header's shape (fragment index 0, a counter going up by
 * one, a steady TOC byte after it) against a steady TOC byte at the start;
 * after OMI_LOCK_VOTES packets in a row agree the mode is fixed.
 */
static gboolean
omi_has_header (MiraAudioDecoder *self,
                const guint8     *p,
                gsize             len)
{
  gboolean header_ok;
  gboolean raw_ok;
  gboolean strip;

  if (self->omi_mode != OMI_UNKNOWN)
    return self->omi_mode == OMI_HEADER;

  header_ok = len > 3 && opus_packet_ok (p + 3, len - 3);
  raw_ok = opus_packet_ok (p, len);

  if (header_ok != raw_ok)
    {
      strip = header_ok;
      self->omi_mode = strip ? OMI_HEADER : OMI_RAW;
    }
  else if (!header_ok)
    strip = FALSE;   /* neither: fails below */
  else
    {
      guint counter = p[0] | (guint) p[1] << 8;
      guint header_score = 0;
      guint raw_score = 0;

      if (p[2] == 0)
        header_score++;
      if (self->omi_last_counter >= 0 && counter == (((guint) self->omi_last_counter + 1) & 0xffff))
        header_score++;
      if (p[3] == self->omi_last_header_toc)
        header_score++;
      if (p[0] == self->omi_last_raw_toc)
        raw_score++;
      strip = header_score > raw_score;

      self->omi_votes = strip == self->omi_last_strip ? self->omi_votes + 1 : 1;
      if (self->omi_votes >= OMI_LOCK_VOTES)
        self->omi_mode = strip ? OMI_HEADER : OMI_RAW;
    }

  self->omi_last_strip = strip;
  self->omi_last_counter = len >= 2 ? (gint) (p[0] | (guint) p[1] << 8) : -1;
  self->omi_last_header_toc = len > 3 ? p[3] : -1;
  self->omi_last_raw_toc = p[0];
  return strip;
}

static gboolean
push_opus (MiraAudioDecoder  *self,
           const guint8      *data,
           gsize              len,
           GArray            *out,
           GError           **error)
{
  guint old_len = out->len;
  int n;
  int ret;

  if (len == 0)
    {
      g_set_error_literal (error, MIRA_ERROR, MIRA_ERROR_INVALID, "Empty Opus packet");
      return FALSE;
    }
  if (self->omi_header && omi_has_header (self, data, len))
    {
      if (len <= 3)
        {
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "Opus packet of %" G_GSIZE_FORMAT " bytes is too short for its header",
                       len);
          return FALSE;
        }
      data += 3;
      len -= 3;
    }
  if (len > MAX_OPUS_PACKET)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Opus packet of %" G_GSIZE_FORMAT " bytes is too large", len);
      return FALSE;
    }

  n = opus_decoder_get_nb_samples (self->opus, data, (opus_int32) len);
  if (n <= 0)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Not an Opus packet: %s", opus_strerror (n < 0 ? n : OPUS_INVALID_PACKET));
      return FALSE;
    }

  g_array_set_size (out, old_len + n);
  ret = opus_decode (self->opus, data, (opus_int32) len,
                     &g_array_index (out, gint16, old_len), n, 0);
  if (ret < 0)
    {
      g_array_set_size (out, old_len);
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Could not decode an Opus packet: %s", opus_strerror (ret));
      return FALSE;
    }
  g_array_set_size (out, old_len + ret);
  self->n_in++;
  self->n_out += ret;
  self->opus_last_samples = (guint) ret;
  return TRUE;
}

gboolean
mira_audio_decoder_push (MiraAudioDecoder  *self,
                         const guint8      *data,
                         gsize              len,
                         GArray            *out,
                         GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL && g_array_get_element_size (out) == sizeof (gint16), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->is_opus)
    return push_opus (self, data, len, out, error);

  push_pcm (self, data, len, out);
  return TRUE;
}

gboolean
mira_audio_decoder_push_packet (MiraAudioDecoder  *self,
                                const guint8      *data,
                                gsize              len,
                                GArray            *out,
                                GError           **error)
{
  guint old_len = out->len;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->is_opus)
    return mira_audio_decoder_push (self, data, len, out, error);
  if (len % self->frame_bytes != 0)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "A PCM chunk of %" G_GSIZE_FORMAT " bytes is not whole frames of %u bytes",
                   len, self->frame_bytes);
      return FALSE;
    }
  push_pcm (self, data, len, out);
  if (self->last_packet == NULL)
    self->last_packet = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_array_set_size (self->last_packet, 0);
  g_array_append_vals (self->last_packet, &g_array_index (out, gint16, old_len),
                       out->len - old_len);
  return TRUE;
}

void
mira_audio_decoder_conceal (MiraAudioDecoder *self,
                            gsize             len,
                            GArray           *out)
{
  guint old_len = out->len;
  guint n;

  g_return_if_fail (self != NULL);

  if (self->is_opus)
    {
      int ret;

      n = self->opus_last_samples > 0 ? self->opus_last_samples : MIRA_AUDIO_RATE / 50;
      g_array_set_size (out, old_len + n);
      ret = opus_decode (self->opus, NULL, 0, &g_array_index (out, gint16, old_len), (int) n, 0);
      g_array_set_size (out, old_len + (ret > 0 ? (guint) ret : 0));
      return;
    }
  /* The last good packet again, straight into the output (the resampler's
   * state stays as it was): digital silence would drag the scorer's noise
   * floor down.
   */
  if (self->last_packet != NULL && self->last_packet->len > 0)
    {
      g_array_append_vals (out, self->last_packet->data, self->last_packet->len);
      return;
    }
  n = (guint) MIN ((guint64) (len / self->frame_bytes) * MIRA_AUDIO_RATE / self->rate,
                   (guint64) MIRA_AUDIO_RATE);
  g_array_set_size (out, old_len + n);
  memset (&g_array_index (out, gint16, old_len), 0, n * sizeof (gint16));
}
