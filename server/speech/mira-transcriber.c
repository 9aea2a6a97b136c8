/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-transcriber"

#include "mira-transcriber.h"

G_DEFINE_INTERFACE (MiraTranscriber, mira_transcriber, G_TYPE_OBJECT)

static void
mira_transcriber_default_init (MiraTranscriberInterface *iface)
{
}

void
mira_transcript_free (MiraTranscript *transcript)
{
  if (transcript == NULL)
    return;
  g_free (transcript->text);
  g_free (transcript->backend);
  g_free (transcript);
}

const char *
mira_transcriber_get_name (MiraTranscriber *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (self), NULL);
  return MIRA_TRANSCRIBER_GET_IFACE (self)->get_name (self);
}

MiraTranscript *
mira_transcriber_transcribe (MiraTranscriber  *self,
                             const gint16     *samples,
                             gsize             n_samples,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (self), NULL);
  g_return_val_if_fail (samples != NULL || n_samples == 0, NULL);

  return MIRA_TRANSCRIBER_GET_IFACE (self)->transcribe (self, samples, n_samples, cancellable,
                                                          error);
}

static void
transcribe_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  gsize size;
  const gint16 *samples = g_bytes_get_data (bytes, &size);
  GError *error = NULL;
  MiraTranscript *transcript;

  transcript = mira_transcriber_transcribe (source, samples, size / sizeof (gint16), cancellable,
                                            &error);
  if (transcript == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, transcript, (GDestroyNotify) mira_transcript_free);
}

void
mira_transcriber_transcribe_async (MiraTranscriber     *self,
                                   GBytes              *samples,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MIRA_IS_TRANSCRIBER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_transcriber_transcribe_async);
  g_task_set_task_data (task, g_bytes_ref (samples), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, transcribe_thread);
}

MiraTranscript *
mira_transcriber_transcribe_finish (MiraTranscriber  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
