/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <opus.h>
#include <speex/speex_resampler.h>

#include "mira-audio-decoder.h"

G_BEGIN_DECLS

/* What the decoder's files share: mira-audio-decoder.c (the entry points),
 * mira-audio-decoder-pcm.c and mira-audio-decoder-opus.c (the codecs'
 * paths). Nothing outside them includes this.
 */

#define MAX_FRAME_BYTES     (64 * 8)

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

/* mira-audio-decoder-pcm.c */

MiraAudioDecoder *mira_audio_decoder_pcm_new         (MiraSampleFormat   format,
                                                      guint              rate,
                                                      guint              channels);
/* Any number of bytes; a partial frame waits for the rest */
void              mira_audio_decoder_pcm_push        (MiraAudioDecoder  *self,
                                                      const guint8      *data,
                                                      gsize              len,
                                                      GArray            *out);
gboolean          mira_audio_decoder_pcm_push_packet (MiraAudioDecoder  *self,
                                                      const guint8      *data,
                                                      gsize              len,
                                                      GArray            *out,
                                                      GError           **error);
void              mira_audio_decoder_pcm_conceal     (MiraAudioDecoder  *self,
                                                      gsize              len,
                                                      GArray            *out);

/* mira-audio-decoder-opus.c */

MiraAudioDecoder *mira_audio_decoder_opus_new        (guint              rate,
                                                      guint              channels,
                                                      gboolean           omi_header,
                                                      GError           **error);
gboolean          mira_audio_decoder_opus_push       (MiraAudioDecoder  *self,
                                                      const guint8      *data,
                                                      gsize              len,
                                                      GArray            *out,
                                                      GError           **error);
void              mira_audio_decoder_opus_conceal    (MiraAudioDecoder  *self,
                                                      GArray            *out);

G_END_DECLS
