/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

#define MIRA_TYPE_WYOMING_TRANSCRIBER (mira_wyoming_transcriber_get_type ())

G_DECLARE_FINAL_TYPE (MiraWyomingTranscriber, mira_wyoming_transcriber, MIRA,
                      WYOMING_TRANSCRIBER, GObject)

/* A Wyoming speech-to-text service over TCP, as wyoming-faster-whisper
 * serves it: one connection per utterance carrying `transcribe`,
 * `audio-start`, `audio-chunk`s of 16 kHz mono s16, `audio-stop`, answered
 * by a `transcript` (or an `error`). describe() sends `describe` and reads
 * the model from the `info` answer. Each exchange gets @timeout_ms in all.
 * Its name is "wyoming://@host:@port".
 */
MiraWyomingTranscriber *mira_wyoming_transcriber_new (const char *host,
                                                      guint16     port,
                                                      guint       timeout_ms);

G_END_DECLS
