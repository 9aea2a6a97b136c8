/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-decoder"

/* PCM: any common sample format, split anywhere, mixed down to mono,
 * converted to 16-bit and resampled to 16 kHz; the last good packet stands
 * in for a lost one.
 */

#include "mira-audio-decoder-private.h"

#include <math.h>
#include <string.h>


/* Resampling is libspeexdsp's: a windowed-sinc polyphase filter whose
 * tables depend only on the two rates and the quality, so setting one up is
 * cheap at any rate (its tables for odd rates are interpolated, never one
 * row per phase). At RESAMPLER_QUALITY a tone above 8 kHz — which would
 * fold back into the speech band at 16 kHz — is attenuated by over 60 dB
 * (tests/test-audio-decoder.c checks it), while 7 kHz still passes.
 */
#define RESAMPLER_QUALITY   SPEEX_RESAMPLER_QUALITY_DESKTOP
#define BLOCK_FRAMES        1024           /* input frames converted at a time */

static inline gint16
to_s16 (float v)
{
  if (v >= 32767.f)
    return 32767;
  if (v <= -32768.f)
    return -32768;
  return (gint16) lrintf (v);
}

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

MiraAudioDecoder *
mira_audio_decoder_pcm_new (MiraSampleFormat format,
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
      int err = RESAMPLER_ERR_SUCCESS;

      self->resampler = speex_resampler_init (1, rate, MIRA_AUDIO_RATE, RESAMPLER_QUALITY, &err);
      /* Only fails for rates of zero or out of memory; ours are checked */
      g_assert (self->resampler != NULL);
      /* Output 0 lines up with input 0, without the filter's delay first */
      speex_resampler_skip_zeros (self->resampler);
    }
  return self;
}

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

/* Resamples @n mono frames at @in (floats in the s16 range), appending to
 * @out: all of them, however many calls the library takes.
 */
static void
resample (MiraAudioDecoder *self,
          const float      *in,
          gsize             n,
          GArray           *out)
{
  while (n > 0)
    {
      float block[BLOCK_FRAMES];
      spx_uint32_t in_len = (spx_uint32_t) MIN (n, (gsize) G_MAXUINT32);
      spx_uint32_t out_len = G_N_ELEMENTS (block);
      guint old_len = out->len;

      speex_resampler_process_float (self->resampler, 0, in, &in_len, block, &out_len);
      g_array_set_size (out, old_len + out_len);
      for (guint i = 0; i < out_len; i++)
        g_array_index (out, gint16, old_len + i) = to_s16 (block[i]);
      self->n_out += out_len;
      in += in_len;
      n -= in_len;
    }
}

/* @n mono frames of @block (floats in the s16 range) to @out, resampled
 * where the stream is not at 16 kHz
 */
static void
emit_block (MiraAudioDecoder *self,
            const float      *block,
            gsize             n,
            GArray           *out)
{
  guint old_len = out->len;

  if (self->resampler != NULL)
    {
      resample (self, block, n, out);
      return;
    }
  g_array_set_size (out, old_len + n);
  for (gsize i = 0; i < n; i++)
    g_array_index (out, gint16, old_len + i) = to_s16 (block[i]);
  self->n_out += n;
}

static void
process_frames (MiraAudioDecoder *self,
                const guint8     *p,
                gsize             n,
                GArray           *out)
{
  self->n_in += n;

  while (n > 0)
    {
      float block[BLOCK_FRAMES];
      gsize k = MIN (n, G_N_ELEMENTS (block));

      convert_frames (self, p, k, block);
      emit_block (self, block, k, out);
      p += k * self->frame_bytes;
      n -= k;
    }
}

void
mira_audio_decoder_push_float (MiraAudioDecoder *self,
                               const float      *frames,
                               gsize             n_frames,
                               GArray           *out)
{
  guint ch;
  float scale;

  g_return_if_fail (self != NULL && !self->is_opus);
  g_return_if_fail (frames != NULL || n_frames == 0);
  g_return_if_fail (out != NULL && g_array_get_element_size (out) == sizeof (gint16));

  ch = self->channels;
  scale = 32768.f / (float) ch;
  self->n_in += n_frames;
  while (n_frames > 0)
    {
      float block[BLOCK_FRAMES];
      gsize k = MIN (n_frames, G_N_ELEMENTS (block));

      for (gsize i = 0; i < k; i++, frames += ch)
        {
          float sum = 0.f;

          for (guint c = 0; c < ch; c++)
            sum += frames[c];
          /* NaN and infinities are noise, not a crash */
          block[i] = isfinite (sum) ? sum * scale : 0.f;
        }
      emit_block (self, block, k, out);
      n_frames -= k;
    }
}

void
mira_audio_decoder_pcm_push (MiraAudioDecoder *self,
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
  guint latency;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL && g_array_get_element_size (out) == sizeof (gint16));

  if (self->is_opus || self->resampler == NULL)
    return;

  /* Zeros after the end let the last outputs see all their taps; stop at
   * the length the input's duration calls for.
   */
  expected = (self->n_in * MIRA_AUDIO_RATE + self->rate - 1) / self->rate;
  latency = (guint) speex_resampler_get_input_latency (self->resampler) + 1;
  while (latency > 0 && self->n_out < expected)
    {
      static const float zeros[BLOCK_FRAMES];
      float block[BLOCK_FRAMES];
      spx_uint32_t in_len = MIN (latency, G_N_ELEMENTS (zeros));
      spx_uint32_t out_len = (spx_uint32_t) MIN (expected - self->n_out, G_N_ELEMENTS (block));
      guint old_len = out->len;

      speex_resampler_process_float (self->resampler, 0, zeros, &in_len, block, &out_len);
      g_array_set_size (out, old_len + out_len);
      for (guint i = 0; i < out_len; i++)
        g_array_index (out, gint16, old_len + i) = to_s16 (block[i]);
      self->n_out += out_len;
      latency -= in_len;
      if (in_len == 0 && out_len == 0)
        break;
    }
}

gboolean
mira_audio_decoder_pcm_push_packet (MiraAudioDecoder  *self,
                                    const guint8      *data,
                                    gsize              len,
                                    GArray            *out,
                                    GError           **error)
{
  guint old_len = out->len;

  if (len % self->frame_bytes != 0)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "A PCM chunk of %" G_GSIZE_FORMAT " bytes is not whole frames of %u bytes",
                   len, self->frame_bytes);
      return FALSE;
    }
  mira_audio_decoder_pcm_push (self, data, len, out);
  if (self->last_packet == NULL)
    self->last_packet = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_array_set_size (self->last_packet, 0);
  g_array_append_vals (self->last_packet, &g_array_index (out, gint16, old_len),
                       out->len - old_len);
  return TRUE;
}

void
mira_audio_decoder_pcm_conceal (MiraAudioDecoder *self,
                                gsize             len,
                                GArray           *out)
{
  guint old_len = out->len;
  guint n;

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
