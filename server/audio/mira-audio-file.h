/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mira-audio-decoder.h"

G_BEGIN_DECLS

/* The longest audio an upload may decode to, in seconds (4.8 million
 * samples, 9.6 MB): a file claiming or holding more is refused before or
 * while it is decoded, never decoded whole first.
 */
#define MIRA_AUDIO_FILE_MAX_SECONDS 300

/* Decodes an uploaded audio file to 16 kHz mono signed 16-bit samples:
 *  - WAV (RIFF/WAVE, RF64), read by libsndfile: integer PCM of 8, 16, 24 or
 *    32 bits, float of 32 or 64 bits, plain or WAVE_FORMAT_EXTENSIBLE, any
 *    rate and channel count; a data size the writer could not know (0 or a
 *    placeholder such as SoX's 0x7ffff000 when it writes to a pipe) reads
 *    to the end of the file;
 *  - FLAC, read by libsndfile;
 *  - Ogg Opus (RFC 7845), read by libopusfile, any channel count;
 *  - anything else is taken as raw s16le 16 kHz mono (an even length).
 * Returns a GArray of gint16, or NULL with MIRA_AUDIO_ERROR_INVALID (a broken
 * or truncated file), MIRA_AUDIO_ERROR_UNSUPPORTED (a format or codec we do
 * not read: MP3, AIFF, Ogg Vorbis, WAV µ-law…) or MIRA_AUDIO_ERROR_TOO_LONG
 * (longer than MIRA_AUDIO_FILE_MAX_SECONDS, found from the header or while
 * decoding, never after decoding it all).
 */
GArray   *mira_audio_file_decode    (GBytes     *bytes,
                                     GError    **error);

G_END_DECLS
