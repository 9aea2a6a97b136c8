/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Turns a stream of incoming audio (PCM in any common format, or Opus
 * packets) into 16 kHz mono signed 16-bit samples, the format of the rest of
 * the pipeline. One decoder per stream; not thread-safe, but decoders on
 * different threads are independent.
 */

#define MIRA_AUDIO_RATE 16000

#define MIRA_AUDIO_ERROR (mira_audio_error_quark ())

/* Why audio, streamed or a file, is not decoded */
typedef enum {
  MIRA_AUDIO_ERROR_FAILED,       /* the codec's library failed */
  MIRA_AUDIO_ERROR_INVALID,      /* broken or truncated data, or a rate, width or
                                  * channel count out of range */
  MIRA_AUDIO_ERROR_UNSUPPORTED,  /* a format or codec we do not read */
  MIRA_AUDIO_ERROR_TOO_LONG,     /* more audio than is taken at once */
} MiraAudioError;

GQuark            mira_audio_error_quark   (void);

typedef struct _MiraAudioDecoder MiraAudioDecoder;

/* Interleaved little-endian sample formats */
typedef enum {
  MIRA_SAMPLE_U8,
  MIRA_SAMPLE_S16LE,
  MIRA_SAMPLE_S24LE,
  MIRA_SAMPLE_S32LE,
  MIRA_SAMPLE_F32LE,
  MIRA_SAMPLE_F64LE,
} MiraSampleFormat;

/* width: bytes per sample, 1 (unsigned 8-bit), 2 (s16le), 3 (s24le) or 4
 * (s32le); channels 1..8 (mixed down); rate 8000..192000 Hz. The decoders'
 * constructors refuse anything else with MIRA_AUDIO_ERROR_INVALID, and the
 * Opus one fails with MIRA_AUDIO_ERROR_FAILED when libopus does.
 */
MiraAudioDecoder *mira_audio_decoder_new_pcm   (guint              rate,
                                                guint              width,
                                                guint              channels,
                                                GError           **error);

/* For files: any of the formats, 1000..768000 Hz, 1..64 channels. */
MiraAudioDecoder *mira_audio_decoder_new_raw   (MiraSampleFormat   format,
                                                guint              rate,
                                                guint              channels,
                                                GError           **error);

/* rate: the stream's (8000, 12000, 16000, 24000 or 48000); channels 1 or 2.
 * With @omi_header, packets may start with the 3-byte header of Omi devices
 * (packet counter, little-endian u16, then the fragment index); the decoder
 * tells which packets carry one.
 */
MiraAudioDecoder *mira_audio_decoder_new_opus  (guint              rate,
                                                guint              channels,
                                                gboolean           omi_header,
                                                GError           **error);

/* Appends the decoded samples (gint16) to @out. PCM may be split anywhere;
 * for Opus each call is one packet. MIRA_AUDIO_ERROR_INVALID when it does
 * not decode.
 */
gboolean          mira_audio_decoder_push      (MiraAudioDecoder  *decoder,
                                                const guint8      *data,
                                                gsize              len,
                                                GArray            *out,
                                                GError           **error);

/* Appends the samples of @n_frames interleaved frames of native floats
 * (full scale ±1.0, as many channels as the decoder was made for), whatever
 * sample format the decoder was made for: for libraries that decode to
 * floats (libsndfile, libopusfile). Not for Opus decoders.
 */
void              mira_audio_decoder_push_float (MiraAudioDecoder *decoder,
                                                 const float      *frames,
                                                 gsize             n_frames,
                                                 GArray           *out);

/* The same for one packet of a live stream, which must be whole: for PCM
 * whole frames (a chunk of odd length at 16 bits is an error), for Opus
 * one packet. On error nothing is decoded and the stream goes on: the
 * caller may conceal the packet.
 */
gboolean          mira_audio_decoder_push_packet (MiraAudioDecoder *decoder,
                                                  const guint8     *data,
                                                  gsize             len,
                                                  GArray           *out,
                                                  GError          **error);

/* Appends what stands in for a packet that could not be decoded (@len
 * bytes of it): Opus's packet loss concealment for the duration of the last
 * good packet (20 ms before any); for PCM the last good packet of
 * mira_audio_decoder_push_packet() again (silence as long as @len bytes
 * before any).
 */
void              mira_audio_decoder_conceal   (MiraAudioDecoder  *decoder,
                                                gsize              len,
                                                GArray            *out);

/* Appends what the resampler still holds (a few ms), for the end of a file. */
void              mira_audio_decoder_flush     (MiraAudioDecoder  *decoder,
                                                GArray            *out);

gboolean          mira_audio_decoder_is_opus   (MiraAudioDecoder  *decoder);

void              mira_audio_decoder_free      (MiraAudioDecoder  *decoder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraAudioDecoder, mira_audio_decoder_free)

G_END_DECLS
