/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MIRA_TRANSCRIBER_ERROR (mira_transcriber_error_quark ())

/* Why a backend gave no transcript; any of them makes a chain try the next. */
typedef enum {
  MIRA_TRANSCRIBER_ERROR_FAILED,        /* unreachable, or it failed (HTTP 5xx) */
  MIRA_TRANSCRIBER_ERROR_TIMED_OUT,     /* no whole answer within its time */
  MIRA_TRANSCRIBER_ERROR_REFUSED,       /* it refused us: HTTP 4xx, a Wyoming `error` */
  MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,    /* an answer outside its protocol */
  MIRA_TRANSCRIBER_ERROR_INVALID_SPEC,  /* a chain or backend name that means nothing */
  MIRA_TRANSCRIBER_ERROR_LANGUAGE,      /* no model for the language (no failure: a
                                         * chain passes it over) */
} MiraTranscriberError;

GQuark          mira_transcriber_error_quark (void);

typedef struct {
  char   *text;         /* may be empty: nothing recognisable was said */
  double  confidence;   /* 0..1; 0 when the backend gives none */
  char   *backend;      /* which backend produced it: "sphinx", "wyoming://host:port", … */
  char   *model;        /* the model it names, or NULL */
  double  elapsed_ms;   /* the backend's time for it (a chain fills it in); for a
                         * decode that began while the utterance was spoken, its
                         * time once the utterance was over */
  double  streamed_s;   /* seconds of the utterance decoded while it was spoken,
                         * before the transcription began; 0: none */
  GStrv   failed;       /* backends of a chain that failed first, or NULL */
} MiraTranscript;

void            mira_transcript_free (MiraTranscript *transcript);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTranscript, mira_transcript_free)

#define MIRA_TYPE_TRANSCRIBER (mira_transcriber_get_type ())

G_DECLARE_INTERFACE (MiraTranscriber, mira_transcriber, MIRA, TRANSCRIBER, GObject)

/* A speech-to-text backend. transcribe() and describe() block and are
 * called from worker threads, never from a main loop; implementations are
 * thread-safe. describe() is optional: it asks the backend which model it
 * runs (a Wyoming service's `info`), and fails as transcribe() would.
 *
 * @language is what is spoken, a BCP 47 tag as the network's `language`
 * setting holds it ("en", "en-GB", "de"), or NULL: not said, the backend's
 * own default. Each backend passes it on as its protocol takes it.
 * takes_language() is optional (NULL: every language): whether the
 * backend has a model for @language at all; one without is skipped by a
 * chain, not counted as failing.
 */
struct _MiraTranscriberInterface
{
  GTypeInterface parent_iface;

  const char     *(*get_name)       (MiraTranscriber  *self);
  MiraTranscript *(*transcribe)     (MiraTranscriber  *self,
                                     const gint16     *samples,
                                     gsize             n_samples,
                                     const char       *language,
                                     GCancellable     *cancellable,
                                     GError          **error);
  char           *(*describe)       (MiraTranscriber  *self,
                                     GCancellable     *cancellable,
                                     GError          **error);
  gboolean        (*takes_language) (MiraTranscriber  *self,
                                     const char       *language);
};

const char     *mira_transcriber_get_name          (MiraTranscriber      *self);
/* @samples: 16 kHz mono; @language: see MiraTranscriberInterface */
MiraTranscript *mira_transcriber_transcribe        (MiraTranscriber      *self,
                                                    const gint16         *samples,
                                                    gsize                 n_samples,
                                                    const char           *language,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Whether the backend has a model for @language (NULL: always TRUE) */
gboolean        mira_transcriber_takes_language    (MiraTranscriber      *self,
                                                    const char           *language);
/* The model the backend runs, asked of it (blocks); NULL with @error when
 * it cannot say or does not answer. */
char           *mira_transcriber_describe          (MiraTranscriber      *self,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Runs transcribe() on a thread of the transcriptions' own pool (one per core),
 * first come first served; @samples is kept until done. */
void            mira_transcriber_transcribe_async  (MiraTranscriber      *self,
                                                    GBytes               *samples,
                                                    const char           *language,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
MiraTranscript *mira_transcriber_transcribe_finish (MiraTranscriber      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* The primary language subtag of BCP 47 tag @language, lowercase ("en" of
 * "en-GB"): the ISO 639 code that Whisper-based services take. NULL for
 * NULL.
 */
char           *mira_transcriber_language_code     (const char           *language);

/* Little-endian 16 kHz mono s16 samples as a WAV file (RIFF, PCM). */
GBytes         *mira_transcriber_wav_new           (const gint16         *samples,
                                                    gsize                 n_samples);

G_END_DECLS
