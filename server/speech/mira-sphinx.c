/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-sphinx"

#include "config.h"

#include "mira-sphinx.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include <glib/gstdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/ngram_model.h>


/* A decoder that waits for an utterance, and since when */
typedef struct
{
  ps_decoder_t *ps;
  gint64        idle_since_us;   /* monotonic */
} Idle;

struct _MiraSphinx
{
  GObject      parent_instance;

  char        *hmm;
  char        *lm;
  char        *dict;           /* the LM's words of the model's dictionary when cached */
  char        *model;
  guint        max_decoders;

  GMutex       lock;
  GCond        cond;           /* a decoder came back, or the idle time changed */
  guint        n_decoders;     /* loaded or loading, in use or idle */
  GQueue       idle;           /* Idle*: the most recently used first */
  guint        idle_s;         /* 0: never let go */
  gboolean     disposed;
  GThread     *reaper;
};

static void mira_sphinx_transcriber_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraSphinx, mira_sphinx, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_sphinx_transcriber_init))

/* Each decoder allocates its search over every word of its dictionary, but
 * only the words of the language model can ever be recognised: Debian's
 * cmudict-en-us.dict has 134,723 entries, en-us.lm.bin 72,547 words. The
 * entries of those words (79,420 with their variants) are written once to
 * the user's cache, where the next start finds them: a decoder then loads
 * in less than half the time and takes 13 MB less, and recognises the same.
 *
 * Returns the file's path, or NULL (the whole dictionary is used) when it
 * cannot be written; *@written says whether it was written now.
 */
static char *
lm_dictionary (const char *lm,
               const char *dict,
               gboolean   *written)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) key = g_string_new (NULL);
  g_autoptr(GHashTable) words = NULL;
  g_autoptr(GString) kept = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  const char *paths[] = { lm, dict };
  ngram_model_t *model;
  logmath_t *logmath;
  uint32 n_words;
  gint64 start_us = g_get_monotonic_time ();

  /* Named after the files it comes from, as they are now */
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      GStatBuf st;

      if (g_stat (paths[i], &st) != 0)
        return NULL;
      g_string_append_printf (key, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", paths[i],
                              (gint64) st.st_size, (gint64) st.st_mtime);
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key->str, key->len);
  hash[16] = '\0';
  dir = g_build_filename (g_get_user_cache_dir (), "mira", "pocketsphinx", NULL);
  path = g_strdup_printf ("%s/lm-words-%s.dict", dir, hash);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&path);

  if (!g_file_get_contents (dict, &contents, NULL, &error))
    {
      g_debug ("the whole dictionary is used: %s", error->message);
      return NULL;
    }
  logmath = logmath_init (1.0001, 0, FALSE);
  model = ngram_model_read (NULL, lm, NGRAM_AUTO, logmath);
  if (model == NULL)
    {
      logmath_free (logmath);
      return NULL;
    }
  words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  n_words = ngram_model_get_counts (model)[0];
  for (uint32 i = 0; i < n_words; i++)
    g_hash_table_add (words, g_strdup (ngram_word (model, (int32) i)));
  ngram_model_free (model);
  logmath_free (logmath);

  /* "word phones", or "word(2) phones" for a variant; walked line by line
   * rather than split, which searches the rest of the text at every line
   * where strstr() is checked (AddressSanitizer)
   */
  kept = g_string_sized_new (strlen (contents) / 2);
  for (const char *line = contents; *line != '\0';)
    {
      const char *end = strchr (line, '\n');
      gsize line_len = end ? (gsize) (end - line) : strlen (line);
      gsize len = strcspn (line, " \t(\n");

      if (len > 0 && len < 256 && len < line_len)
        {
          char word[256];

          memcpy (word, line, len);
          word[len] = '\0';
          if (g_hash_table_contains (words, word))
            {
              g_string_append_len (kept, line, line_len);
              g_string_append_c (kept, '\n');
            }
        }
      line += line_len + (end ? 1 : 0);
    }
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents (path, kept->str, kept->len, &error))
    {
      g_debug ("the whole dictionary is used: %s cannot be written", path);
      return NULL;
    }
  g_debug ("the language model's %u words of %s written to %s in %.0f ms", n_words, dict,
           path, (g_get_monotonic_time () - start_us) / 1000.0);
  *written = TRUE;
  return g_steal_pointer (&path);
}

static ps_decoder_t *
decoder_new (MiraSphinx  *self,
             GError     **error)
{
  cmd_ln_t *config;
  ps_decoder_t *ps;
  gint64 start_us = g_get_monotonic_time ();

  /* -logfn /dev/null: PocketSphinx logs a page per decoder otherwise.
   *
   * -maxhmmpf 4000 (default 30000) and -maxwpf 10 (default: no limit) bound
   * the first pass, which takes most of a decode with a language model of
   * 72,547 words: the HMMs and word exits kept per frame. On the 160 clean
   * sentences of bench-speech's corpus the word error rate stays (9.9 % →
   * 9.5 % on those files) for about a quarter less CPU. 3000 saved a third
   * with the same rate there, but heard "remind me to fall the dentist" in
   * test-extraction's spoken sentence; narrower beams, -topn 2 or -fwdflat no
   * saved more and cost 1–5 points of word error rate; -ds 2 saved nothing.
   */
  config = cmd_ln_init (NULL, ps_args (), TRUE,
                        "-hmm", self->hmm,
                        "-lm", self->lm,
                        "-dict", self->dict,
                        "-samprate", "16000",
                        "-maxhmmpf", "4000",
                        "-maxwpf", "10",
                        "-logfn", "/dev/null",
                        NULL);
  if (config == NULL)
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                   "PocketSphinx rejected its configuration");
      return NULL;
    }
  ps = ps_init (config);
  cmd_ln_free_r (config);
  if (ps == NULL)
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                   "PocketSphinx could not load the model in %s", self->hmm);
      return NULL;
    }
  g_debug ("decoder loaded in %.0f ms", (g_get_monotonic_time () - start_us) / 1000.0);
  return ps;
}

/* Takes an idle decoder, loads one while below the limit, else waits. */
static ps_decoder_t *
acquire (MiraSphinx  *self,
         GError     **error)
{
  ps_decoder_t *ps = NULL;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      Idle *idle = g_queue_pop_head (&self->idle);

      if (idle != NULL)
        {
          ps = idle->ps;
          g_free (idle);
          break;
        }
      if (self->n_decoders < self->max_decoders)
        {
          self->n_decoders++;
          break;
        }
      g_cond_wait (&self->cond, &self->lock);
    }
  g_mutex_unlock (&self->lock);
  if (ps != NULL)
    return ps;

  ps = decoder_new (self, error);
  if (ps == NULL)
    {
      g_mutex_lock (&self->lock);
      self->n_decoders--;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  return ps;
}

static void
release (MiraSphinx   *self,
         ps_decoder_t *ps)
{
  Idle *idle = g_new (Idle, 1);

  idle->ps = ps;
  idle->idle_since_us = g_get_monotonic_time ();
  g_mutex_lock (&self->lock);
  g_queue_push_head (&self->idle, idle);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Frees the decoders that waited longer than the idle time, the least
 * recently used first, and gives their memory back to the system.
 */
static gpointer
reaper_thread (gpointer data)
{
  MiraSphinx *self = data;

  g_mutex_lock (&self->lock);
  while (!self->disposed)
    {
      Idle *oldest = g_queue_peek_tail (&self->idle);
      gint64 due_us;

      if (oldest == NULL || self->idle_s == 0)
        {
          g_cond_wait (&self->cond, &self->lock);
          continue;
        }
      due_us = oldest->idle_since_us + self->idle_s * G_USEC_PER_SEC;
      if (g_get_monotonic_time () < due_us)
        {
          g_cond_wait_until (&self->cond, &self->lock, due_us);
          continue;
        }
      g_queue_pop_tail (&self->idle);
      self->n_decoders--;
      g_mutex_unlock (&self->lock);

      ps_free (oldest->ps);
      g_free (oldest);
#ifdef __GLIBC__
      /* The decoder's tens of megabytes were freed in the middle of heaps
       * that glibc keeps otherwise.
       */
      malloc_trim (0);
#endif
      g_debug ("a decoder unused for %u s let go", self->idle_s);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
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
  gint64 start_us;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  ps = acquire (self, error);
  if (ps == NULL)
    return NULL;

  start_us = g_get_monotonic_time ();
  ok = ps_start_utt (ps) >= 0 &&
       ps_process_raw (ps, samples, n_samples, FALSE, TRUE) >= 0 &&
       ps_end_utt (ps) >= 0;
  hyp = ok ? ps_get_hyp (ps, &score) : NULL;
  g_debug ("decoded %.2f s of audio in %.0f ms", n_samples / 16000.0,
           (g_get_monotonic_time () - start_us) / 1000.0);

  transcript = g_new0 (MiraTranscript, 1);
  transcript->text = g_strdup (hyp ? hyp : "");
  transcript->confidence = ok ? CLAMP (logmath_exp (ps_get_logmath (ps), ps_get_prob (ps)),
                                       0.0, 1.0) : 0.0;
  transcript->backend = g_strdup ("sphinx");
  release (self, ps);

  if (!ok)
    {
      mira_transcript_free (transcript);
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                   "PocketSphinx failed to decode");
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
  Idle *idle;

  g_mutex_lock (&self->lock);
  self->disposed = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->reaper != NULL)
    g_thread_join (self->reaper);

  while ((idle = g_queue_pop_head (&self->idle)) != NULL)
    {
      ps_free (idle->ps);
      g_free (idle);
    }
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self->hmm);
  g_free (self->lm);
  g_free (self->dict);
  g_free (self->model);

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
  g_cond_init (&self->cond);
  g_queue_init (&self->idle);
  self->idle_s = MIRA_SPHINX_DEFAULT_IDLE_S;
}

MiraSphinx *
mira_sphinx_new (const char  *model_dir,
                 guint        max_decoders,
                 GError     **error)
{
  g_autoptr(MiraSphinx) self = g_object_new (MIRA_TYPE_SPHINX, NULL);
  g_autofree char *dict = NULL;
  gboolean written = FALSE;
  ps_decoder_t *first;

  if (model_dir == NULL)
    model_dir = POCKETSPHINX_MODEL_DIR;
  self->hmm = g_build_filename (model_dir, "en-us", NULL);
  self->lm = g_build_filename (model_dir, "en-us.lm.bin", NULL);
  dict = g_build_filename (model_dir, "cmudict-en-us.dict", NULL);
  self->model = g_strdup ("en-us");
  self->max_decoders = MAX (max_decoders, 1);

  if (!g_file_test (self->hmm, G_FILE_TEST_IS_DIR) ||
      !g_file_test (self->lm, G_FILE_TEST_EXISTS) || !g_file_test (dict, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                   "The PocketSphinx model is missing from %s (Debian: pocketsphinx-en-us)",
                   model_dir);
      return NULL;
    }
  /* Its log goes nowhere, as the decoders' (-logfn) */
  err_set_logfp (NULL);
  self->dict = lm_dictionary (self->lm, dict, &written);
  if (self->dict == NULL)
    self->dict = g_steal_pointer (&dict);
#ifdef __GLIBC__
  /* The language model read for its words is gone: so are its pages */
  if (written)
    malloc_trim (0);
#endif

  first = decoder_new (self, error);
  if (first == NULL)
    return NULL;
  self->n_decoders = 1;
  release (self, first);
  self->reaper = g_thread_new ("mira-sphinx", reaper_thread, self);
  return g_steal_pointer (&self);
}

void
mira_sphinx_set_idle (MiraSphinx *self,
                      guint       idle_s)
{
  g_return_if_fail (MIRA_IS_SPHINX (self));

  g_mutex_lock (&self->lock);
  self->idle_s = idle_s;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

guint
mira_sphinx_get_n_loaded (MiraSphinx *self)
{
  guint n;

  g_return_val_if_fail (MIRA_IS_SPHINX (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_decoders;
  g_mutex_unlock (&self->lock);
  return n;
}

const char *
mira_sphinx_get_model (MiraSphinx *self)
{
  g_return_val_if_fail (MIRA_IS_SPHINX (self), NULL);
  return self->model;
}
