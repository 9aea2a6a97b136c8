/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-transcriber"

#include "mira-transcriber.h"

#include <string.h>

G_DEFINE_INTERFACE (MiraTranscriber, mira_transcriber, G_TYPE_OBJECT)
G_DEFINE_QUARK (mira-transcriber-error-quark, mira_transcriber_error)

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
  g_free (transcript->model);
  g_strfreev (transcript->failed);
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
                             const char       *language,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (self), NULL);
  g_return_val_if_fail (samples != NULL || n_samples == 0, NULL);

  return MIRA_TRANSCRIBER_GET_IFACE (self)->transcribe (self, samples, n_samples, language,
                                                          cancellable, error);
}

gboolean
mira_transcriber_takes_language (MiraTranscriber *self,
                                 const char      *language)
{
  MiraTranscriberInterface *iface;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (self), FALSE);

  iface = MIRA_TRANSCRIBER_GET_IFACE (self);
  return language == NULL || iface->takes_language == NULL ||
         iface->takes_language (self, language);
}

char *
mira_transcriber_language_code (const char *language)
{
  if (language == NULL)
    return NULL;
  return g_ascii_strdown (language, strcspn (language, "-_"));
}

char *
mira_transcriber_describe (MiraTranscriber  *self,
                           GCancellable     *cancellable,
                           GError          **error)
{
  MiraTranscriberInterface *iface;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (self), NULL);

  iface = MIRA_TRANSCRIBER_GET_IFACE (self);
  if (iface->describe == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s does not say which model it runs", iface->get_name (self));
      return NULL;
    }
  return iface->describe (self, cancellable, error);
}

GBytes *
mira_transcriber_wav_new (const gint16 *samples,
                          gsize         n_samples)
{
  guint32 data_size = (guint32) (n_samples * sizeof (gint16));
  GByteArray *wav = g_byte_array_sized_new (44 + data_size);
  guint32 u32;
  guint16 u16;

  g_return_val_if_fail (n_samples <= (G_MAXUINT32 - 36) / sizeof (gint16), NULL);

#define PUT32(v) (u32 = GUINT32_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u16, 2))
  g_byte_array_append (wav, (const guint8 *) "RIFF", 4);
  PUT32 (36 + data_size);
  g_byte_array_append (wav, (const guint8 *) "WAVEfmt ", 8);
  PUT32 (16);                                  /* fmt chunk size */
  PUT16 (1);                                   /* PCM */
  PUT16 (1);                                   /* mono */
  PUT32 (16000);                               /* samples per second */
  PUT32 (16000 * sizeof (gint16));             /* bytes per second */
  PUT16 (sizeof (gint16));                     /* block align */
  PUT16 (16);                                  /* bits per sample */
  g_byte_array_append (wav, (const guint8 *) "data", 4);
  PUT32 (data_size);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_byte_array_append (wav, (const guint8 *) samples, data_size);
#else
  for (gsize i = 0; i < n_samples; i++)
    PUT16 ((guint16) samples[i]);
#endif
#undef PUT32
#undef PUT16
  return g_byte_array_free_to_bytes (wav);
}

/* What a transcription in the pool works on */
typedef struct
{
  GBytes *samples;
  char   *language;
  gint64  queued_us;   /* monotonic */
} Work;

static void
work_free (Work *work)
{
  g_bytes_unref (work->samples);
  g_free (work->language);
  g_free (work);
}

static void
transcribe_in_pool (gpointer data,
                    gpointer unused)
{
  g_autoptr(GTask) task = data;
  Work *work = g_task_get_task_data (task);
  gsize size;
  const gint16 *samples = g_bytes_get_data (work->samples, &size);
  GError *error = NULL;
  MiraTranscript *transcript;
  gint64 start_us = g_get_monotonic_time ();

  if (g_task_return_error_if_cancelled (task))
    return;
  /* The stages of an utterance's way, for G_MESSAGES_DEBUG=mira-transcriber */
  g_debug ("transcription of %.2f s of audio started after %.1f ms in the queue",
           size / sizeof (gint16) / 16000.0, (start_us - work->queued_us) / 1000.0);
  transcript = mira_transcriber_transcribe (g_task_get_source_object (task), samples,
                                            size / sizeof (gint16), work->language,
                                            g_task_get_cancellable (task), &error);
  g_debug ("transcription done in %.1f ms", (g_get_monotonic_time () - start_us) / 1000.0);
  if (transcript == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, transcript, (GDestroyNotify) mira_transcript_free);
}

/* Transcriptions wait for a thread of their own pool, never of GIO's:
 * a decode takes seconds of CPU, and one waiting for a decoder holds its
 * thread. On GIO's shared pool, a burst of utterances took every thread,
 * and everything else of the process that runs there waited behind them:
 * the proxy lookup before each outgoing connection, TLS handshakes.
 */
static GThreadPool *
transcription_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    {
      GThreadPool *created;

      /* Decodes are CPU bound: more at once than cores only slows each */
      created = g_thread_pool_new (transcribe_in_pool, NULL, MAX (1, g_get_num_processors ()),
                                   FALSE, NULL);
      g_once_init_leave (&pool, created);
    }
  return pool;
}

void
mira_transcriber_transcribe_async (MiraTranscriber     *self,
                                   GBytes              *samples,
                                   const char          *language,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  Work *work;

  g_return_if_fail (MIRA_IS_TRANSCRIBER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_transcriber_transcribe_async);
  work = g_new (Work, 1);
  work->samples = g_bytes_ref (samples);
  work->language = g_strdup (language);
  work->queued_us = g_get_monotonic_time ();
  g_task_set_task_data (task, work, (GDestroyNotify) work_free);
  /* The pool's from now on */
  g_thread_pool_push (transcription_pool (), task, NULL);
}

MiraTranscript *
mira_transcriber_transcribe_finish (MiraTranscriber  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
