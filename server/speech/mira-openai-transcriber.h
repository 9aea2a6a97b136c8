/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

#define MIRA_TYPE_OPENAI_TRANSCRIBER (mira_openai_transcriber_get_type ())

G_DECLARE_FINAL_TYPE (MiraOpenaiTranscriber, mira_openai_transcriber, MIRA, OPENAI_TRANSCRIBER,
                      GObject)

/* OpenAI's speech-to-text API as OpenAI, whisper.cpp's server,
 * faster-whisper-server and speaches serve it: a multipart POST of the
 * utterance as a WAV file to @base_url/v1/audio/transcriptions (@base_url
 * may end in /v1 already), with `model` and `response_format=json`; the
 * answer is {"text": …}. @api_key NULL: no Authorization header (local
 * servers need none). Each transcription gets @timeout_ms in all.
 */
MiraOpenaiTranscriber *mira_openai_transcriber_new (const char *base_url,
                                                    const char *model,
                                                    const char *api_key,
                                                    guint       timeout_ms);

G_END_DECLS
