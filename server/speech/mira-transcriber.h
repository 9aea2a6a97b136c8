/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char   *text;         /* may be empty: nothing recognisable was said */
  double  confidence;   /* 0..1 */
  char   *backend;      /* which backend produced it */
} MiraTranscript;

void            mira_transcript_free (MiraTranscript *transcript);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTranscript, mira_transcript_free)

#define MIRA_TYPE_TRANSCRIBER (mira_transcriber_get_type ())

G_DECLARE_INTERFACE (MiraTranscriber, mira_transcriber, MIRA, TRANSCRIBER, GObject)

/* A speech-to-text backend. transcribe() blocks and is called from worker
 * threads, never from a main loop; implementations are thread-safe.
 */
struct _MiraTranscriberInterface
{
  GTypeInterface parent_iface;

  const char     *(*get_name)   (MiraTranscriber  *self);
  MiraTranscript *(*transcribe) (MiraTranscriber  *self,
                                 const gint16     *samples,
                                 gsize             n_samples,
                                 GCancellable     *cancellable,
                                 GError          **error);
};

const char     *mira_transcriber_get_name          (MiraTranscriber      *self);
/* @samples: 16 kHz mono */
MiraTranscript *mira_transcriber_transcribe        (MiraTranscriber      *self,
                                                    const gint16         *samples,
                                                    gsize                 n_samples,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
/* Runs transcribe() on a thread of the transcriptions' own pool (one per core),
 * first come first served; @samples is kept until done. */
void            mira_transcriber_transcribe_async  (MiraTranscriber      *self,
                                                    GBytes               *samples,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
MiraTranscript *mira_transcriber_transcribe_finish (MiraTranscriber      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
