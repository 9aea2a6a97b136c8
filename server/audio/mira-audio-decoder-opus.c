/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-decoder"

/* Opus: one packet a call, decoded by libopus straight to 16 kHz mono,
 * with or without the 3-byte header of Omi devices (told apart packet by
 * packet until the stream settles), and libopus's concealment for a lost
 * packet.
 */

#include "mira-audio-decoder-private.h"


#define MAX_OPUS_PACKET     (64 * 1024)
#define OMI_LOCK_VOTES      8

MiraAudioDecoder *
mira_audio_decoder_opus_new (guint      rate,
                             guint      channels,
                             gboolean   omi_header,
                             GError   **error)
{
  MiraAudioDecoder *self;
  int err = OPUS_OK;

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
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_FAILED,
                   "Could not create an Opus decoder: %s", opus_strerror (err));
      g_free (self);
      return NULL;
    }
  return self;
}

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

gboolean
mira_audio_decoder_opus_push (MiraAudioDecoder  *self,
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
      g_set_error_literal (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID, "Empty Opus packet");
      return FALSE;
    }
  if (self->omi_header && omi_has_header (self, data, len))
    {
      if (len <= 3)
        {
          g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                       "Opus packet of %" G_GSIZE_FORMAT " bytes is too short for its header",
                       len);
          return FALSE;
        }
      data += 3;
      len -= 3;
    }
  if (len > MAX_OPUS_PACKET)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Opus packet of %" G_GSIZE_FORMAT " bytes is too large", len);
      return FALSE;
    }

  n = opus_decoder_get_nb_samples (self->opus, data, (opus_int32) len);
  if (n <= 0)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Not an Opus packet: %s", opus_strerror (n < 0 ? n : OPUS_INVALID_PACKET));
      return FALSE;
    }

  g_array_set_size (out, old_len + n);
  ret = opus_decode (self->opus, data, (opus_int32) len,
                     &g_array_index (out, gint16, old_len), n, 0);
  if (ret < 0)
    {
      g_array_set_size (out, old_len);
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "Could not decode an Opus packet: %s", opus_strerror (ret));
      return FALSE;
    }
  g_array_set_size (out, old_len + ret);
  self->n_in++;
  self->n_out += ret;
  self->opus_last_samples = (guint) ret;
  return TRUE;
}

void
mira_audio_decoder_opus_conceal (MiraAudioDecoder *self,
                                 GArray           *out)
{
  guint old_len = out->len;
  guint n;
  int ret;

  n = self->opus_last_samples > 0 ? self->opus_last_samples : MIRA_AUDIO_RATE / 50;
  g_array_set_size (out, old_len + n);
  ret = opus_decode (self->opus, NULL, 0, &g_array_index (out, gint16, old_len), (int) n, 0);
  g_array_set_size (out, old_len + (ret > 0 ? (guint) ret : 0));
}
