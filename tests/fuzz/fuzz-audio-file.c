/* SPDX-License-Identifier: GPL-3.0-or-later */

/* libFuzzer target: the decoder of uploaded audio files (WAV, FLAC, Ogg Opus, raw
 * PCM). It must refuse what it cannot read, and never decode more than the
 * documented cap, whatever a file claims.
 */

#include "mira-audio-file.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = mira_audio_file_decode (bytes, &error);

  if (samples == NULL)
    g_assert_true (error != NULL && error->domain == MIRA_AUDIO_ERROR);
  else
    g_assert_cmpuint (samples->len, <=, MIRA_AUDIO_FILE_MAX_SECONDS * 16000);
  return 0;
}
