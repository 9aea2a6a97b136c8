/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-sphinx"

#include "config.h"

#include "mira-sphinx.h"

#include <pocketsphinx.h>

#include "mira-error.h"

struct _MiraSphinx
{
  GObject      parent_instance;

  char        *hmm;
  char        *lm;
  char        *dict;
  guint        max_decoders;
  guint        n_decoders;     /* under lock */
  GMutex       lock;
  GAsyncQueue *idle;           /* ps_decoder_t* ready for use */
};

static void mira_sphinx_transcriber_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraSphinx, mira_sphinx, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_sphinx_transcriber_init))

static ps_decoder_t *
decoder_new (MiraSphinx  *self,
             GError     **error)
{
  cmd_ln_t *config;
  ps_decoder_t *ps;

  /* -logfn /dev/null: PocketSphinx logs a page per decoder otherwise. */
  config = cmd_ln_init (NULL, ps_args (), TRUE,
                        "-hmm", self->hmm,
                        "-lm", self->lm,
                        "-dict", self->dict,
                        "-samprate", "16000",
                        "-logfn", "/dev/null",
                        NULL);
  if (config == NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_FAILED, "PocketSphinx rejected its configuration");
      return NULL;
    }
  ps = ps_init (config);
  cmd_ln_free_r (config);
  if (ps == NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_FAILED,
                   "PocketSphinx could not load the model in %s", self->hmm);
      return NULL;
    }
  return ps;
}

/* Takes an idle decoder, makes one while below the limit, else waits. */
static ps_decoder_t *
acquire (MiraSphinx  *self,
         GError     **error)
{
  ps_decoder_t *ps = g_async_queue_try_pop (self->idle);
  gboolean make = FALSE;

  if (ps != NULL)
    return ps;

  g_mutex_lock (&self->lock);
  if (self->n_decoders < self->max_decoders)
    {
      self->n_decoders++;
      make = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (!make)
    return g_async_queue_pop (self->idle);

  ps = decoder_new (self, error);
  if (ps == NULL)
    {
      g_mutex_lock (&self->lock);
      self->n_decoders--;
      g_mutex_unlock (&self->lock);
    }
  return ps;
}

static const char *
mira_sphinx_get_name (MiraTranscriber *transcriber)
{
  return "sphinx";
}

static MiraTranscript *
mira_sphinx_transcribe (MiraTranscriber  *transcriber,
                        const gint16     *samples,
                        gsize             n_samples,
                        GCancellable     *cancellable,
                        GError          **error)
{
  MiraSphinx *self = MIRA_SPHINX (transcriber);
  MiraTranscript *transcript;
  ps_decoder_t *ps;
  const char *hyp;
  int32 score = 0;
  gboolean ok;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  ps = acquire (self, error);
  if (ps == NULL)
    return NULL;

  ok = ps_start_utt (ps) >= 0 &&
       ps_process_raw (ps, samples, n_samples, FALSE, TRUE) >= 0 &&
       ps_end_utt (ps) >= 0;
  hyp = ok ? ps_get_hyp (ps, &score) : NULL;

  transcript = g_new0 (MiraTranscript, 1);
  transcript->text = g_strdup (hyp ? hyp : "");
  transcript->confidence = ok ? CLAMP (logmath_exp (ps_get_logmath (ps), ps_get_prob (ps)),
                                       0.0, 1.0) : 0.0;
  transcript->backend = g_strdup ("sphinx");
  g_async_queue_push (self->idle, ps);

  if (!ok)
    {
      mira_transcript_free (transcript);
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_FAILED, "PocketSphinx failed to decode");
      return NULL;
    }
  return transcript;
}

static void
mira_sphinx_transcriber_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_sphinx_get_name;
  iface->transcribe = mira_sphinx_transcribe;
}

static void
mira_sphinx_finalize (GObject *object)
{
  MiraSphinx *self = MIRA_SPHINX (object);
  ps_decoder_t *ps;

  while ((ps = g_async_queue_try_pop (self->idle)) != NULL)
    ps_free (ps);
  g_async_queue_unref (self->idle);
  g_mutex_clear (&self->lock);
  g_free (self->hmm);
  g_free (self->lm);
  g_free (self->dict);

  G_OBJECT_CLASS (mira_sphinx_parent_class)->finalize (object);
}

static void
mira_sphinx_class_init (MiraSphinxClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_sphinx_finalize;
}

static void
mira_sphinx_init (MiraSphinx *self)
{
  g_mutex_init (&self->lock);
  self->idle = g_async_queue_new ();
}

MiraSphinx *
mira_sphinx_new (const char  *model_dir,
                 guint        max_decoders,
                 GError     **error)
{
  g_autoptr(MiraSphinx) self = g_object_new (MIRA_TYPE_SPHINX, NULL);
  ps_decoder_t *first;

  if (model_dir == NULL)
    model_dir = POCKETSPHINX_MODEL_DIR;
  self->hmm = g_build_filename (model_dir, "en-us", NULL);
  self->lm = g_build_filename (model_dir, "en-us.lm.bin", NULL);
  self->dict = g_build_filename (model_dir, "cmudict-en-us.dict", NULL);
  self->max_decoders = MAX (max_decoders, 1);

  if (!g_file_test (self->hmm, G_FILE_TEST_IS_DIR) ||
      !g_file_test (self->lm, G_FILE_TEST_EXISTS) || !g_file_test (self->dict, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNAVAILABLE,
                   "The PocketSphinx model is missing from %s (Debian: pocketsphinx-en-us)",
                   model_dir);
      return NULL;
    }

  /* Load one now, so that a broken model shows at start-up, not at the first word. */
  first = decoder_new (self, error);
  if (first == NULL)
    return NULL;
  self->n_decoders = 1;
  g_async_queue_push (self->idle, first);
  return g_steal_pointer (&self);
}
