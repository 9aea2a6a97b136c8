/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

#define MIRA_TYPE_DEEPGRAM_TRANSCRIBER (mira_deepgram_transcriber_get_type ())

G_DECLARE_FINAL_TYPE (MiraDeepgramTranscriber, mira_deepgram_transcriber, MIRA,
                      DEEPGRAM_TRANSCRIBER, GObject)

/* Deepgram's pre-recorded audio API: POST @base_url/v1/listen with
 * `Authorization: Token @api_key` and the utterance as an audio/wav body;
 * the words are results.channels[0].alternatives[0].transcript. Each
 * transcription gets @timeout_ms in all.
 */
MiraDeepgramTranscriber *mira_deepgram_transcriber_new (const char *base_url,
                                                        const char *api_key,
                                                        guint       timeout_ms);

G_END_DECLS
