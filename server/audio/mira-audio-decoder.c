/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-decoder"

/* The decoder and its entry points: parameters checked, then each call
 * handed to its codec's path, PCM (mira-audio-decoder-pcm.c) or Opus
 * (mira-audio-decoder-opus.c), which share mira-audio-decoder-private.h.
 */

#include "mira-audio-decoder-private.h"

G_DEFINE_QUARK (mira-audio-error-quark, mira_audio_error)

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
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported audio rate %u Hz: it must be 8000 to 192000 Hz", rate);
      return NULL;
    }
  if (width < 1 || width > 4)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported audio width %u: it must be 1, 2, 3 or 4 bytes per sample", width);
      return NULL;
    }
  if (channels < 1 || channels > 8)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported audio channel count %u: it must be 1 to 8", channels);
      return NULL;
    }
  return mira_audio_decoder_pcm_new (formats[width - 1], rate, channels);
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
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported audio rate %u Hz: it must be 1000 to 768000 Hz", rate);
      return NULL;
    }
  if (channels < 1 || channels > 64)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported audio channel count %u: it must be 1 to 64", channels);
      return NULL;
    }
  return mira_audio_decoder_pcm_new (format, rate, channels);
}

MiraAudioDecoder *
mira_audio_decoder_new_opus (guint      rate,
                             guint      channels,
                             gboolean   omi_header,
                             GError   **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported Opus rate %u Hz: it must be 8000, 12000, 16000, 24000 or 48000 Hz",
                   rate);
      return NULL;
    }
  if (channels < 1 || channels > 2)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Unsupported Opus channel count %u: it must be 1 or 2", channels);
      return NULL;
    }

  return mira_audio_decoder_opus_new (rate, channels, omi_header, error);
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
    return mira_audio_decoder_opus_push (self, data, len, out, error);

  mira_audio_decoder_pcm_push (self, data, len, out);
  return TRUE;
}

gboolean
mira_audio_decoder_push_packet (MiraAudioDecoder  *self,
                                const guint8      *data,
                                gsize              len,
                                GArray            *out,
                                GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->is_opus)
    return mira_audio_decoder_push (self, data, len, out, error);
  return mira_audio_decoder_pcm_push_packet (self, data, len, out, error);
}

void
mira_audio_decoder_conceal (MiraAudioDecoder *self,
                            gsize             len,
                            GArray           *out)
{
  g_return_if_fail (self != NULL);

  if (self->is_opus)
    mira_audio_decoder_opus_conceal (self, out);
  else
    mira_audio_decoder_pcm_conceal (self, len, out);
}
