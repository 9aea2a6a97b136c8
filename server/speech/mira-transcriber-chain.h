/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-sphinx.h"
#include "mira-transcriber.h"

G_BEGIN_DECLS

/* How the backends a chain names are reached. Strings are copied. */
typedef struct {
  const char *sphinx_model_dir;   /* NULL: Debian's pocketsphinx-en-us */
  guint       sphinx_decoders;    /* PocketSphinx decoders at most; 0: one per core */
  int         sphinx_idle_s;      /* a decoder unused this long is freed; 0: the default
                                   * (MIRA_SPHINX_DEFAULT_IDLE_S), -1: never */
  const char *openai_url;         /* NULL: https://api.openai.com */
  const char *openai_model;       /* NULL: whisper-1 */
  const char *openai_key;         /* NULL: no Authorization header */
  const char *deepgram_url;       /* NULL: https://api.deepgram.com */
  const char *deepgram_key;       /* NULL: `deepgram` cannot be used */
  guint       timeout_ms;         /* each remote backend, per utterance; 0: 10 000 */
  guint       retry_ms;           /* a failed remote backend is skipped this long; 0: 30 000 */
} MiraTranscriberOptions;

#define MIRA_TRANSCRIBER_DEFAULT_TIMEOUT_MS 10000
#define MIRA_TRANSCRIBER_DEFAULT_RETRY_MS   30000

#define MIRA_TYPE_TRANSCRIBER_CHAIN (mira_transcriber_chain_get_type ())

G_DECLARE_FINAL_TYPE (MiraTranscriberChain, mira_transcriber_chain, MIRA, TRANSCRIBER_CHAIN,
                      GObject)

/* A MiraTranscriber that tries backends in order: one that fails, times
 * out or answers outside its protocol hands the utterance to the next.
 * The transcript names the backend that produced it, its time and the
 * ones that failed first. A remote backend that failed is skipped for the
 * retry time (unless it is the last), so that an outage costs one timeout,
 * not one per utterance.
 *
 * @spec is a comma-separated chain of `sphinx`, `openai`, `deepgram` and
 * `wyoming://HOST:PORT`, e.g. "wyoming://127.0.0.1:10300,sphinx", or
 * "none" (a chain of nothing: no transcription). Fails with
 * MIRA_TRANSCRIBER_ERROR_INVALID_SPEC, or PocketSphinx's error when the
 * chain names it and it cannot load.
 */
MiraTranscriberChain *mira_transcriber_chain_new        (const char                    *spec,
                                                         const MiraTranscriberOptions  *options,
                                                         GError                       **error);
/* Checks the form of @spec, for any server: INVALID_SPEC saying what is wrong. */
gboolean              mira_transcriber_spec_check       (const char                    *spec,
                                                         GError                       **error);
/* Also checks that this server can use every backend of @spec (`deepgram`
 * needs a key).
 */
gboolean              mira_transcriber_chain_check      (MiraTranscriberChain          *self,
                                                         const char                    *spec,
                                                         GError                       **error);
/* The chain of @spec with this chain's options and backends (their state is
 * shared); NULL or "" gives @self back. Thread-safe; returns a new reference.
 */
MiraTranscriberChain *mira_transcriber_chain_derive     (MiraTranscriberChain          *self,
                                                         const char                    *spec,
                                                         GError                       **error);
/* As given to _new(), normalised: "wyoming://host:10300,sphinx" */
const char           *mira_transcriber_chain_get_spec   (MiraTranscriberChain          *self);
/* TRUE for "none": nothing is transcribed */
gboolean              mira_transcriber_chain_is_empty   (MiraTranscriberChain          *self);
/* This chain's backends, in its order, with the state they share with
 * every chain that names them: [{"name", "state": "unknown"|"ok"|"failing",
 * "since" (RFC 3339, when the state began; absent while unknown), "error"
 * (the last failure's reason), "model", "transcriptions", "failures" (of
 * utterances and of `describe`), "skipped" (utterances it was skipped for
 * while failing), "last_ms" (its last utterance's time; absent before any)}].
 */
JsonArray            *mira_transcriber_chain_get_states (MiraTranscriberChain          *self);
/* How many backends other chains of this server use that @self does not
 * name: a count, for where those chains' names are nobody else's business.
 */
guint                 mira_transcriber_chain_count_others
                                                        (MiraTranscriberChain          *self);
/* Asks each backend that can say which model it runs (Wyoming's describe),
 * on a thread of its own; their state follows the answer.
 */
void                  mira_transcriber_chain_probe      (MiraTranscriberChain          *self);

/* A decode of an utterance that begins while it is spoken
 * (mira_sphinx_decode_push()), when @transcriber is PocketSphinx, or a
 * chain whose first backend is sphinx and has PocketSphinx loaded; NULL
 * otherwise, and @transcriber transcribes the utterance once it is over.
 * @cmn: the mean to normalise by (see mira_sphinx_decode_new()), or NULL
 * to decode the utterance whole once it is over. NULL too when PocketSphinx
 * has no model for @language (mira_transcriber_takes_language()).
 * Never blocks.
 */
MiraSphinxDecode     *mira_transcriber_decode_new       (MiraTranscriber               *transcriber,
                                                         const char                    *language,
                                                         const MiraSphinxCmn           *cmn);
/* As mira_transcriber_transcribe_async(), with @decode (from
 * mira_transcriber_decode_new(), pushed the start of @samples) as
 * PocketSphinx's part: it finishes the decode, and when that cannot be
 * used (no decoder was free, PocketSphinx failed) @transcriber transcribes
 * @samples as it would have, a chain with its fallbacks. Finish with
 * mira_transcriber_transcribe_finish().
 */
void                  mira_transcriber_transcribe_decode_async
                                                        (MiraTranscriber               *transcriber,
                                                         GBytes                        *samples,
                                                         MiraSphinxDecode              *decode,
                                                         const char                    *language,
                                                         GCancellable                  *cancellable,
                                                         GAsyncReadyCallback            callback,
                                                         gpointer                       user_data);

G_END_DECLS
