/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

/* Seconds a PocketSphinx decoder stays loaded without use, by default */
#define MIRA_SPHINX_DEFAULT_IDLE_S 300

#define MIRA_TYPE_SPHINX (mira_sphinx_get_type ())

G_DECLARE_FINAL_TYPE (MiraSphinx, mira_sphinx, MIRA, SPHINX, GObject)

/* In-process PocketSphinx with its US English model. @model_dir NULL:
 * the installed one (pkg-config's modeldir: /usr/share on Debian, /app/share
 * in the Flatpak). At most @max_decoders utterances decode at once; each
 * decoder (about 55 MB) is loaded on first need and let go once it has not
 * been used for MIRA_SPHINX_DEFAULT_IDLE_S (see mira_sphinx_set_idle()).
 * One decoder is loaded here, so that a model that is missing or broken
 * fails here (MIRA_TRANSCRIBER_ERROR_FAILED), not at the first
 * word; it serves the first utterance. The vocabulary it hears, the
 * language model's most probable words (a dictionary and the language
 * model restricted to them), is written to $XDG_CACHE_HOME/mira/pocketsphinx
 * on first use and read from there afterwards (written again when damaged,
 * or when the model's files change); where it cannot be written, a warning
 * says so and the whole model is used.
 */
MiraSphinx *mira_sphinx_new      (const char  *model_dir,
                                  guint        max_decoders,
                                  GError     **error);
/* Decoders unused for @idle_s seconds are freed (0: kept until the end);
 * the next utterance loads one again, which takes about half a second.
 */
void        mira_sphinx_set_idle (MiraSphinx  *self,
                                  guint        idle_s);
/* The decoders loaded now, in use or not */
guint       mira_sphinx_get_n_loaded (MiraSphinx *self);
/* The model's name, e.g. "en-us" (its folder's) */
const char *mira_sphinx_get_model (MiraSphinx *self);
/* Whether PocketSphinx transcribes @language (a BCP 47 tag, NULL: not
 * said): its model is English, so English only ("en", "en-GB", …). Asked
 * for another language, transcribe() fails (MIRA_TRANSCRIBER_ERROR_LANGUAGE)
 * rather than write down other words as English ones, and a chain passes
 * it over for the next backend.
 */
gboolean    mira_sphinx_takes_language (const char *language);
/* Whether the model of @model_dir (NULL: the installed one) is there, as
 * mira_sphinx_new() needs it, without loading a decoder: what a server
 * whose networks may name sphinx can report before anything loads it.
 * Fails with MIRA_TRANSCRIBER_ERROR_FAILED saying what is missing.
 */
gboolean    mira_sphinx_check_model (const char  *model_dir,
                                     GError     **error);

/* PocketSphinx normalises each utterance by its cepstral mean. Over a whole
 * utterance it computes the mean first; a decode that begins while the
 * utterance is still spoken cannot, and subtracts one known before: the
 * mean of the same microphone's earlier speech.
 */
#define MIRA_SPHINX_CMN_LEN 13

typedef struct {
  float mean[MIRA_SPHINX_CMN_LEN];   /* cepstral coefficients c0..c12 */
} MiraSphinxCmn;

/* One utterance decoded while its audio arrives, so that when it ends only
 * its last fraction of a second and the decoder's final pass are left.
 * Pushes are cheap (a copy and a wake-up) and may come from an audio
 * thread: the decoding runs on PocketSphinx's own small pool, on a decoder
 * taken only when one is free (a decode never waits for one there: it tries
 * again at the next push, and without one by the end it decodes the
 * utterance then, or leaves it to the caller).
 *
 * @cmn: the mean to normalise by from the utterance's first frame: the
 * microphone's from its previous utterance (mira_sphinx_decode_get_cmn());
 * NULL: nothing is decoded while spoken, and the utterance is decoded whole
 * at its end, by its own mean. A model whose mean is not
 * MIRA_SPHINX_CMN_LEN long is decoded whole at the end too.
 */
typedef struct _MiraSphinxDecode MiraSphinxDecode;

MiraSphinxDecode *mira_sphinx_decode_new        (MiraSphinx           *sphinx,
                                                 const MiraSphinxCmn  *cmn);
MiraSphinxDecode *mira_sphinx_decode_ref        (MiraSphinxDecode     *self);
void              mira_sphinx_decode_unref      (MiraSphinxDecode     *self);
/* The utterance's next @n_samples (16 kHz mono), in order from its first. */
void              mira_sphinx_decode_push       (MiraSphinxDecode     *self,
                                                 const gint16         *samples,
                                                 gsize                 n_samples);
/* Stops decoding and lets the decoder go: the utterance turned out to be
 * another stream's. Any thread.
 */
void              mira_sphinx_decode_cancel     (MiraSphinxDecode     *self);
/* The utterance is over: @samples is all of it (16 kHz mono). What was
 * pushed is used only as far as it is the start of @samples; the rest is
 * decoded now. The transcript's streamed_s says how much was decoded
 * before. Runs on PocketSphinx's pool; fails with G_IO_ERROR_WOULD_BLOCK
 * when the decode had no decoder and none is free (decode @samples
 * elsewhere then), or MIRA_TRANSCRIBER_ERROR_FAILED when PocketSphinx fails.
 */
void              mira_sphinx_decode_end_async  (MiraSphinxDecode     *self,
                                                 GBytes               *samples,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
MiraTranscript   *mira_sphinx_decode_end_finish (MiraSphinxDecode     *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* After a successful end: the microphone's cepstral mean, for its next
 * utterance's decode. FALSE before.
 */
gboolean          mira_sphinx_decode_get_cmn    (MiraSphinxDecode     *self,
                                                 MiraSphinxCmn        *cmn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraSphinxDecode, mira_sphinx_decode_unref)

G_END_DECLS
