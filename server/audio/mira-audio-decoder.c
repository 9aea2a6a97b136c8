/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-decoder"

#include "mira-audio-decoder.h"

#include <math.h>
#include <string.h>
#include <opus.h>
#include <speex/speex_resampler.h>

#include "mira-error.h"

/* Resampling is libspeexdsp's: a windowed-sinc polyphase filter whose
 * tables depend only on the two rates and the quality, so setting one up is
 * cheap at any rate (its tables for odd rates are interpolated, never one
 * row per phase). At RESAMPLER_QUALITY a tone above 8 kHz — which would
 * fold back into the speech band at 16 kHz — is attenuated by over 60 dB
 * (tests/test-audio-decoder.c checks it), while 7 kHz still passes.
 */
#define RESAMPLER_QUALITY   SPEEX_RESAMPLER_QUALITY_DESKTOP
#define BLOCK_FRAMES        1024           /* input frames converted at a time */
#define MAX_FRAME_BYTES     (64 * 8)
#define MAX_OPUS_PACKET     (64 * 1024)
#define OMI_LOCK_VOTES      8

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

  SpeexResamplerState *resampler;  /* NULL at 16 kHz */
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
      int err = RESAMPLER_ERR_SUCCESS;

      self->resampler = speex_resampler_init (1, rate, MIRA_AUDIO_RATE, RESAMPLER_QUALITY, &err);
      /* Only fails for rates of zero or out of memory; ours are checked */
      g_assert (self->resampler != NULL);
      /* Output 0 lines up with input 0, without the filter's delay first */
      speex_resampler_skip_zeros (self->resampler);
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
  g_clear_pointer (&self->resampler, speex_resampler_destroy);
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
