/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-sphinx"

#include "config.h"

#include "mira-sphinx.h"
#include "mira-sphinx-lm.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <glib/gstdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>
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
  char        *lm;             /* restricted to the dictionary's words when cached */
  char        *dict;           /* the LM's words of the model's dictionary when cached */
  char        *model;
  guint        max_decoders;
  cmn_type_t   cmn_type;       /* the model's normalisation of a whole utterance */
  gboolean     can_stream;     /* its cepstral mean is MIRA_SPHINX_CMN_LEN long */

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

/* The share of the language model's unigram probability that the words of
 * the dictionary cover: the most probable words first, until this much.
 */
#define VOCABULARY_MASS 0.995

typedef struct
{
  int32  wid;
  double p;
} Unigram;

static int
unigram_compare (gconstpointer a,
                 gconstpointer b)
{
  const Unigram *ua = a, *ub = b;

  return (ua->p < ub->p) - (ua->p > ub->p);
}

/* Each decoder allocates its search over every word of its dictionary, but
 * only the words of the language model can ever be recognised: Debian's
 * cmudict-en-us.dict has 134,723 entries, en-us.lm.bin 72,547 words. And
 * most of those are rare: the 30,087 most probable words carry 99.5 % of
 * the model's unigram probability (its estimate of running English text),
 * the other 42,460 the last 0.5 %, yet they take as much of a decoder's
 * search and dictionary as the common ones. The entries of the words that
 * make up VOCABULARY_MASS (33,943 with their variants) are written once to
 * the user's cache, where the next start finds them, and so is the
 * language model restricted to those words (mira-sphinx-lm.h): its
 * n-grams of the other words could never be used, and PocketSphinx reads
 * a language model whole. A decoder then takes about 50 MB rather than 80
 * and loads faster. The rare words can no longer be heard; the README
 * gives the word error rates with and without them.
 *
 * Sets @self's dict and lm to the cached files, or to @dict and @lm (the
 * whole dictionary, the whole model) where they cannot be written;
 * *@written says whether anything was written now.
 */
static void
cache_vocabulary (MiraSphinx *self,
                  const char *lm,
                  const char *dict,
                  gboolean   *written)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) key = g_string_new (NULL);
  g_autoptr(GHashTable) words = NULL;
  g_autoptr(GArray) unigrams = NULL;
  g_autoptr(GString) kept = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *dict_path = NULL;
  g_autofree char *lm_path = NULL;
  const char *paths[] = { lm, dict };
  ngram_model_t *model;
  logmath_t *logmath;
  uint32 n_words;
  double total = 0, covered = 0;
  gboolean has_dict, has_lm;
  gint64 start_us = g_get_monotonic_time ();

  self->lm = g_strdup (lm);
  self->dict = g_strdup (dict);

  /* Named after the files they come from, as they are now */
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      GStatBuf st;

      if (g_stat (paths[i], &st) != 0)
        return;
      g_string_append_printf (key, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", paths[i],
                              (gint64) st.st_size, (gint64) st.st_mtime);
    }
  g_string_append_printf (key, "mass %g\n", VOCABULARY_MASS);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key->str, key->len);
  hash[16] = '\0';
  dir = g_build_filename (g_get_user_cache_dir (), "mira", "pocketsphinx", NULL);
  dict_path = g_strdup_printf ("%s/lm-words-%s.dict", dir, hash);
  lm_path = g_strdup_printf ("%s/lm-words-%s.lm.bin", dir, hash);
  has_dict = g_file_test (dict_path, G_FILE_TEST_IS_REGULAR);
  /* Written whole (renamed into place), but a cache is anyone's to damage */
  has_lm = mira_sphinx_lm_check (lm_path, &error);
  if (!has_lm && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_debug ("%s is written again: %s", lm_path, error->message);
  g_clear_error (&error);
  if (has_dict && has_lm)
    goto done;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_warning ("PocketSphinx's vocabulary cannot be cached in %s (%s): its whole dictionary "
                 "and language model are used, about 30 MB more for each decoder", dir,
                 g_strerror (saved_errno));
      return;
    }
  logmath = logmath_init (1.0001, 0, FALSE);
  model = ngram_model_read (NULL, lm, NGRAM_AUTO, logmath);
  if (model == NULL)
    {
      logmath_free (logmath);
      return;
    }
  words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  n_words = ngram_model_get_counts (model)[0];
  unigrams = g_array_sized_new (FALSE, FALSE, sizeof (Unigram), n_words);
  for (uint32 i = 0; i < n_words; i++)
    {
      int32 n_used;
      Unigram u = { (int32) i, logmath_exp (logmath, ngram_ng_prob (model, (int32) i, NULL, 0,
                                                                    &n_used)) };

      total += u.p;
      g_array_append_val (unigrams, u);
    }
  g_array_sort (unigrams, unigram_compare);
  for (guint i = 0; i < unigrams->len && covered < VOCABULARY_MASS * total; i++)
    {
      Unigram *u = &g_array_index (unigrams, Unigram, i);

      g_hash_table_add (words, g_strdup (ngram_word (model, u->wid)));
      covered += u->p;
    }

  if (!has_lm)
    {
      if (mira_sphinx_lm_write_restricted (model, logmath, lm, words, lm_path, &error))
        {
          has_lm = TRUE;
          *written = TRUE;
        }
      else
        {
          g_warning ("PocketSphinx's language model restricted to its dictionary's words cannot "
                     "be cached: %s; the whole model is used, about 10 MB more for each decoder",
                     error->message);
          g_clear_error (&error);
        }
    }
  ngram_model_free (model);
  logmath_free (logmath);
  if (has_dict)
    goto done;

  if (!g_file_get_contents (dict, &contents, NULL, &error))
    {
      g_warning ("PocketSphinx's whole dictionary is used: %s", error->message);
      goto done;
    }
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
  if (!g_file_set_contents (dict_path, kept->str, kept->len, &error))
    {
      g_warning ("PocketSphinx's whole dictionary is used, about 20 MB more for each decoder: "
                 "%s", error->message);
      goto done;
    }
  has_dict = TRUE;
  *written = TRUE;
  g_debug ("the %u most probable of the language model's %u words, of %s, written to %s in "
           "%.0f ms", g_hash_table_size (words), n_words, dict, dict_path,
           (g_get_monotonic_time () - start_us) / 1000.0);

done:
  if (has_dict)
    {
      g_free (self->dict);
      self->dict = g_steal_pointer (&dict_path);
    }
  if (has_lm)
    {
      g_free (self->lm);
      self->lm = g_steal_pointer (&lm_path);
    }
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
   * test-extraction's spoken sentence.
   *
   * PocketSphinx's other speed settings, measured again with the dictionary
   * cut to the language model's most probable words (the README has the
   * table), buy too little or hear worse: -topn 2 (default 4) saves about a
   * quarter of the CPU, but costs 0.8 points of word error rate on those
   * sentences (9.4 % against 8.6 %) and mishears test-extraction's spoken
   * reminder in kal16's voice as a device's first utterance; -ds 2 and
   * narrower beams cost 2 and 9 points; no second or third pass (-fwdflat
   * no, -bestpath no) 0.6–0.7 points for no measurable CPU.
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

/* Takes an idle decoder, loads one while below the limit, else waits (or,
 * unless @wait, fails with G_IO_ERROR_WOULD_BLOCK).
 */
static ps_decoder_t *
acquire (MiraSphinx  *self,
         gboolean     wait,
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
      if (!wait)
        {
          g_mutex_unlock (&self->lock);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                       "Every PocketSphinx decoder is busy");
          return NULL;
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

/* Every utterance begins a stream of its own on the decoder it takes. The
 * front end keeps the noise level it tracks (and its voice detector's
 * state by it) from one utterance to the next of a stream; the decoders
 * are shared by every microphone of every network, and one room's noise
 * must not change how another's words are heard. Measured: a new device's
 * first utterance was heard right on a decoder that had never decoded and
 * wrong on one another microphone had used, or the other way round.
 */
static gboolean
start_stream (ps_decoder_t *ps)
{
  return ps_start_stream (ps) >= 0;
}

/* A decoder as its configuration made it: a decode begun while its
 * utterance was spoken switched its front end to the running mean for good.
 */
static gboolean
prepare_whole (MiraSphinx   *self,
               ps_decoder_t *ps)
{
  ps_get_feat (ps)->cmn = self->cmn_type;
  return start_stream (ps);
}

/* A decoder that normalises by @cmn from the first frame on */
static gboolean
prepare_live (ps_decoder_t        *ps,
              const MiraSphinxCmn *cmn)
{
  feat_t *feat = ps_get_feat (ps);
  mfcc_t mean[MIRA_SPHINX_CMN_LEN];

  for (guint i = 0; i < MIRA_SPHINX_CMN_LEN; i++)
    mean[i] = FLOAT2MFCC (cmn->mean[i]);
  feat->cmn = CMN_LIVE;
  cmn_live_set (feat->cmn_struct, mean);
  return start_stream (ps);
}

/* The mean the decoder normalised its last utterance by: the utterance's
 * own over a whole one, the running one updated by it when live.
 */
static void
get_cmn (ps_decoder_t  *ps,
         MiraSphinxCmn *cmn)
{
  mfcc_t mean[MIRA_SPHINX_CMN_LEN];

  cmn_live_get (ps_get_feat (ps)->cmn_struct, mean);
  for (guint i = 0; i < MIRA_SPHINX_CMN_LEN; i++)
    cmn->mean[i] = MFCC2FLOAT (mean[i]);
}

/* The transcript of the utterance @ps just ended */
static MiraTranscript *
transcript_new (ps_decoder_t *ps)
{
  MiraTranscript *transcript = g_new0 (MiraTranscript, 1);
  int32 score = 0;
  const char *hyp = ps_get_hyp (ps, &score);

  transcript->text = g_strdup (hyp ? hyp : "");
  transcript->confidence = CLAMP (logmath_exp (ps_get_logmath (ps), ps_get_prob (ps)), 0.0, 1.0);
  transcript->backend = g_strdup ("sphinx");
  return transcript;
}

static const char *
mira_sphinx_get_name (MiraTranscriber *transcriber)
{
  return "sphinx";
}

gboolean
mira_sphinx_takes_language (const char *language)
{
  g_autofree char *code = mira_transcriber_language_code (language);

  return code == NULL || g_str_equal (code, "en");
}

static gboolean
mira_sphinx_transcriber_takes_language (MiraTranscriber *transcriber,
                                        const char      *language)
{
  return mira_sphinx_takes_language (language);
}

static MiraTranscript *
mira_sphinx_transcribe (MiraTranscriber  *transcriber,
                        const gint16     *samples,
                        gsize             n_samples,
                        const char       *language,
                        GCancellable     *cancellable,
                        GError          **error)
{
  MiraSphinx *self = MIRA_SPHINX (transcriber);
  MiraTranscript *transcript = NULL;
  ps_decoder_t *ps;
  gint64 start_us;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!mira_sphinx_takes_language (language))
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_LANGUAGE,
                   "PocketSphinx has an English model only, not one for %s", language);
      return NULL;
    }
  ps = acquire (self, TRUE, error);
  if (ps == NULL)
    return NULL;

  start_us = g_get_monotonic_time ();
  if (prepare_whole (self, ps) && ps_start_utt (ps) >= 0 &&
      ps_process_raw (ps, samples, n_samples, FALSE, TRUE) >= 0 &&
      ps_end_utt (ps) >= 0)
    transcript = transcript_new (ps);
  g_debug ("decoded %.2f s of audio in %.0f ms", n_samples / 16000.0,
           (g_get_monotonic_time () - start_us) / 1000.0);
  release (self, ps);

  if (transcript == NULL)
    g_set_error_literal (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                         "PocketSphinx failed to decode");
  return transcript;
}

static void
mira_sphinx_transcriber_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_sphinx_get_name;
  iface->transcribe = mira_sphinx_transcribe;
  iface->takes_language = mira_sphinx_transcriber_takes_language;
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

gboolean
mira_sphinx_check_model (const char  *model_dir,
                         GError     **error)
{
  g_autofree char *hmm = NULL;
  g_autofree char *lm = NULL;
  g_autofree char *dict = NULL;

  if (model_dir == NULL)
    model_dir = POCKETSPHINX_MODEL_DIR;
  hmm = g_build_filename (model_dir, "en-us", NULL);
  lm = g_build_filename (model_dir, "en-us.lm.bin", NULL);
  dict = g_build_filename (model_dir, "cmudict-en-us.dict", NULL);
  if (!g_file_test (hmm, G_FILE_TEST_IS_DIR) || !g_file_test (lm, G_FILE_TEST_EXISTS) ||
      !g_file_test (dict, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                   "The PocketSphinx model is missing from %s (Debian: pocketsphinx-en-us)",
                   model_dir);
      return FALSE;
    }
  return TRUE;
}

MiraSphinx *
mira_sphinx_new (const char  *model_dir,
                 guint        max_decoders,
                 GError     **error)
{
  g_autoptr(MiraSphinx) self = g_object_new (MIRA_TYPE_SPHINX, NULL);
  g_autofree char *lm = NULL;
  g_autofree char *dict = NULL;
  gboolean written = FALSE;
  ps_decoder_t *first;

  if (!mira_sphinx_check_model (model_dir, error))
    return NULL;
  if (model_dir == NULL)
    model_dir = POCKETSPHINX_MODEL_DIR;
  self->hmm = g_build_filename (model_dir, "en-us", NULL);
  lm = g_build_filename (model_dir, "en-us.lm.bin", NULL);
  dict = g_build_filename (model_dir, "cmudict-en-us.dict", NULL);
  self->model = g_strdup ("en-us");
  self->max_decoders = MAX (max_decoders, 1);

  /* Its log goes nowhere, as the decoders' (-logfn) */
  err_set_logfp (NULL);
  cache_vocabulary (self, lm, dict, &written);
#ifdef __GLIBC__
  /* The language models read for their words are gone: so are their pages */
  if (written)
    malloc_trim (0);
#endif

  first = decoder_new (self, error);
  if (first == NULL)
    return NULL;
  self->cmn_type = ps_get_feat (first)->cmn;
  self->can_stream = ps_get_feat (first)->cmn_struct != NULL &&
                     ps_get_feat (first)->cmn_struct->veclen == MIRA_SPHINX_CMN_LEN;
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

/* Decoding while the utterance is spoken */

/* Longer than any utterance the arbiter lets through (30 s): more is not decoded early */
#define MAX_PUSHED_SAMPLES (60 * 16000)

struct _MiraSphinxDecode
{
  gatomicrefcount  ref_count;
  MiraSphinx      *sphinx;
  gboolean         live;          /* decodes as pushed, normalised by cmn */
  MiraSphinxCmn    cmn;           /* the prior; after the end, the mean for the next */
  gboolean         has_next_cmn;

  GMutex           lock;
  GCond            cond;          /* working went FALSE */
  GArray          *pushed;        /* gint16: every sample pushed, from the first */
  gsize            n_decoded;     /* of them, given to the decoder */
  gboolean         scheduled;     /* a work job is on the pool, or running */
  gboolean         working;       /* it is running: only it touches ps */
  gboolean         stalled;       /* PocketSphinx failed, or the audio was too long */
  gboolean         ending;        /* ended or cancelled: no more work */
  gboolean         cancelled;     /* the decoder goes back as soon as no work uses it */
  ps_decoder_t    *ps;            /* taken by the first work */
  gboolean         started;       /* its utterance started, normalised by cmn */
  gboolean         waited_for_decoder;
  gint64           work_us;       /* time spent decoding while spoken */
};

/* What PocketSphinx's pool does: one decode's pushed samples, one decode's
 * end (task), or a cancelled decode's decoder let go (discard)
 */
typedef struct
{
  MiraSphinxDecode *decode;
  GTask            *task;
  MiraSphinx       *sphinx;
  ps_decoder_t     *discard;
} Job;

typedef struct
{
  MiraSphinxDecode *decode;
  GBytes           *samples;
} End;

static void
end_free (End *end)
{
  mira_sphinx_decode_unref (end->decode);
  g_bytes_unref (end->samples);
  g_free (end);
}

static void decode_work (MiraSphinxDecode *self);
static void decode_end  (GTask            *task);

static void
run_job (gpointer data,
         gpointer unused)
{
  Job *job = data;

  if (job->task != NULL)
    {
      decode_end (job->task);
      g_object_unref (job->task);
    }
  else if (job->decode != NULL)
    {
      decode_work (job->decode);
      mira_sphinx_decode_unref (job->decode);
    }
  else
    {
      /* PocketSphinx starts no utterance on a decoder that has one going */
      ps_end_utt (job->discard);
      release (job->sphinx, job->discard);
      g_object_unref (job->sphinx);
    }
  g_free (job);
}

/* The nice value the decodes while spoken run at, above the process's:
 * on a machine short of CPU the words wait, not the audio threads.
 */
#define WORK_NICE_DELTA 5

static void
run_work_job (gpointer data,
              gpointer unused)
{
  static GPrivate lowered;

  if (g_private_get (&lowered) == NULL)
    {
#ifdef __linux__
      /* Linux's nice value is a thread's own */
      id_t tid = (id_t) syscall (SYS_gettid);
      int nice_value;

      errno = 0;
      nice_value = getpriority (PRIO_PROCESS, tid);
      if (errno == 0 && setpriority (PRIO_PROCESS, tid, MIN (nice_value + WORK_NICE_DELTA, 19)) != 0)
        g_debug ("the decodes while spoken keep the audio's priority: %s", g_strerror (errno));
#endif
      g_private_set (&lowered, GINT_TO_POINTER (TRUE));
    }
  run_job (data, unused);
}

/* Pools of their own, not the transcriptions': a job here never waits for
 * a decoder, so a decode that holds one always gets to its end, even while
 * every transcription thread waits for a decoder. The pushed audio is
 * decoded on threads below the audio's priority, which no other pool
 * shares (exclusive); the end, which the words wait for, is not.
 */
static void
push_job (Job *job)
{
  static GThreadPool *work_pool;
  static GThreadPool *end_pool;

  if (g_once_init_enter (&work_pool))
    {
      GThreadPool *created = g_thread_pool_new (run_work_job, NULL,
                                                MAX (1, g_get_num_processors ()), TRUE, NULL);

      g_once_init_leave (&work_pool, created);
    }
  if (g_once_init_enter (&end_pool))
    {
      GThreadPool *created = g_thread_pool_new (run_job, NULL,
                                                MAX (1, g_get_num_processors ()), FALSE, NULL);

      g_once_init_leave (&end_pool, created);
    }
  g_thread_pool_push (job->decode != NULL ? work_pool : end_pool, job, NULL);
}

/* Gives back a decoder a decode took. Ending an utterance started on it
 * runs the decoder's last pass: on the pool, never on the thread that lets
 * the decode go (an audio thread).
 */
static void
let_go (MiraSphinx   *sphinx,
        ps_decoder_t *ps,
        gboolean      started)
{
  Job *job;

  if (!started)
    {
      release (sphinx, ps);
      return;
    }
  job = g_new0 (Job, 1);
  job->sphinx = g_object_ref (sphinx);
  job->discard = ps;
  push_job (job);
}

MiraSphinxDecode *
mira_sphinx_decode_new (MiraSphinx          *sphinx,
                        const MiraSphinxCmn *cmn)
{
  MiraSphinxDecode *self;

  g_return_val_if_fail (MIRA_IS_SPHINX (sphinx), NULL);

  self = g_new0 (MiraSphinxDecode, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->sphinx = g_object_ref (sphinx);
  /* Without a prior the utterance is decoded whole at its end, by its own
   * mean. A mean estimated from its first seconds was measured: a short
   * command after room noise was misheard by it (README, Speech figures).
   */
  self->live = sphinx->can_stream && cmn != NULL;
  if (cmn != NULL)
    self->cmn = *cmn;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->pushed = g_array_new (FALSE, FALSE, sizeof (gint16));
  return self;
}

MiraSphinxDecode *
mira_sphinx_decode_ref (MiraSphinxDecode *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
mira_sphinx_decode_unref (MiraSphinxDecode *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  if (self->ps != NULL)
    let_go (self->sphinx, self->ps, self->started);
  g_array_unref (self->pushed);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_object_unref (self->sphinx);
  g_free (self);
}

/* Samples for a decode in pieces: given more at once (a whole utterance),
 * PocketSphinx 5prealpha loses the words at its end.
 */
#define LIVE_PIECE 2048

static gboolean
process_live (ps_decoder_t *ps,
              const gint16 *samples,
              gsize         n_samples)
{
  for (gsize i = 0; i < n_samples; i += LIVE_PIECE)
    if (ps_process_raw (ps, samples + i, MIN (LIVE_PIECE, n_samples - i), FALSE, FALSE) < 0)
      return FALSE;
  return TRUE;
}

/* Whether the utterance can start: it has taken a free decoder. With none
 * free it waits for the next push: another utterance's, or the one this
 * network's decode let go when the best stream changed, may be back by then.
 */
static gboolean
can_start (MiraSphinxDecode *self)
{
  g_autoptr(GError) error = NULL;

  if (self->ps == NULL && (self->ps = acquire (self->sphinx, FALSE, &error)) == NULL)
    {
      if (!self->waited_for_decoder)
        g_debug ("not decoded while spoken for now: %s", error->message);
      self->waited_for_decoder = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* Starts the utterance on the decoder can_start() took, normalised by the
 * prior. FALSE when PocketSphinx fails.
 */
static gboolean
start_live (MiraSphinxDecode *self)
{
  if (!prepare_live (self->ps, &self->cmn) || ps_start_utt (self->ps) < 0)
    return FALSE;
  self->started = TRUE;
  return TRUE;
}

static void
decode_work (MiraSphinxDecode *self)
{
  ps_decoder_t *ps = NULL;

  g_mutex_lock (&self->lock);
  self->working = !self->ending;
  while (!self->ending && !self->stalled && self->n_decoded < self->pushed->len)
    {
      gsize from = self->n_decoded;
      gsize n = self->pushed->len - from;
      g_autofree gint16 *chunk = NULL;
      gint64 start_us = g_get_monotonic_time ();
      gboolean ok;

      if (!self->started)
        {
          g_mutex_unlock (&self->lock);
          ok = can_start (self);
          g_mutex_lock (&self->lock);
          if (!ok)
            break;
        }
      chunk = g_memdup2 (&g_array_index (self->pushed, gint16, from), n * sizeof (gint16));
      g_mutex_unlock (&self->lock);
      ok = (self->started || start_live (self)) && process_live (self->ps, chunk, n);
      g_mutex_lock (&self->lock);
      self->work_us += g_get_monotonic_time () - start_us;
      if (ok)
        self->n_decoded = from + n;
      else
        self->stalled = TRUE;
    }
  self->working = FALSE;
  self->scheduled = FALSE;
  if (self->cancelled)
    ps = g_steal_pointer (&self->ps);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (ps != NULL)
    let_go (self->sphinx, ps, self->started);
}

void
mira_sphinx_decode_push (MiraSphinxDecode *self,
                         const gint16     *samples,
                         gsize             n_samples)
{
  gboolean schedule;

  g_return_if_fail (self != NULL);
  g_return_if_fail (samples != NULL || n_samples == 0);

  if (!self->live || n_samples == 0)
    return;
  g_mutex_lock (&self->lock);
  if (self->ending || self->stalled || self->pushed->len + n_samples > MAX_PUSHED_SAMPLES)
    {
      self->stalled = TRUE;
      g_mutex_unlock (&self->lock);
      return;
    }
  g_array_append_vals (self->pushed, samples, (guint) n_samples);
  schedule = !self->scheduled;
  self->scheduled = TRUE;
  g_mutex_unlock (&self->lock);
  if (schedule)
    {
      Job *job = g_new0 (Job, 1);

      job->decode = mira_sphinx_decode_ref (self);
      push_job (job);
    }
}

void
mira_sphinx_decode_cancel (MiraSphinxDecode *self)
{
  ps_decoder_t *ps = NULL;

  g_return_if_fail (self != NULL);

  /* The decoder goes back now, not with the last reference (a work job
   * waiting on the pool keeps one): the decode that replaces this one, on
   * the stream that became the best, may need it. Work under way gives it
   * back after its piece.
   */
  g_mutex_lock (&self->lock);
  self->ending = TRUE;
  self->cancelled = TRUE;
  if (!self->working)
    ps = g_steal_pointer (&self->ps);
  g_mutex_unlock (&self->lock);
  if (ps != NULL)
    let_go (self->sphinx, ps, self->started);
}

static void
decode_end (GTask *task)
{
  End *end = g_task_get_task_data (task);
  MiraSphinxDecode *self = end->decode;
  gsize size;
  const gint16 *samples = g_bytes_get_data (end->samples, &size);
  gsize n = size / sizeof (gint16);
  g_autoptr(GError) error = NULL;
  MiraTranscript *transcript = NULL;
  gint64 start_us = g_get_monotonic_time ();
  gsize streamed = 0;
  ps_decoder_t *ps;
  gboolean started;
  gboolean ok;

  if (g_task_return_error_if_cancelled (task))
    return;

  /* The work under way finishes its piece; none starts after */
  g_mutex_lock (&self->lock);
  self->ending = TRUE;
  while (self->working)
    g_cond_wait (&self->cond, &self->lock);
  ps = g_steal_pointer (&self->ps);
  started = self->started;
  /* What was decoded counts only as the start of the utterance as it ended */
  if (started && !self->stalled && self->n_decoded <= n &&
      memcmp (self->pushed->data, samples, self->n_decoded * sizeof (gint16)) == 0)
    streamed = self->n_decoded;
  g_mutex_unlock (&self->lock);

  /* Nothing decoded is the start of this utterance: it is decoded whole,
   * normalised by its own mean, which the next one then starts from
   */
  if (started && streamed == 0)
    ps_end_utt (ps);
  if (ps == NULL && (ps = acquire (self->sphinx, FALSE, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (streamed == 0)
    {
      ok = prepare_whole (self->sphinx, ps) && ps_start_utt (ps) >= 0 && ps_process_raw (ps, samples, n, FALSE, TRUE) >= 0 &&
           ps_end_utt (ps) >= 0;
    }
  else
    ok = process_live (ps, samples + streamed, n - streamed) && ps_end_utt (ps) >= 0;

  if (ok)
    {
      transcript = transcript_new (ps);
      transcript->streamed_s = streamed / 16000.0;
      g_mutex_lock (&self->lock);
      get_cmn (ps, &self->cmn);
      self->has_next_cmn = TRUE;
      g_mutex_unlock (&self->lock);
    }
  /* The stages of an utterance's way, for G_MESSAGES_DEBUG=mira-sphinx */
  g_debug ("decoded %.2f s of audio in %.0f ms after its end (%.2f s of it, %.0f ms, while "
           "it was spoken)", n / 16000.0, (g_get_monotonic_time () - start_us) / 1000.0,
           streamed / 16000.0, self->work_us / 1000.0);
  release (self->sphinx, ps);

  if (transcript == NULL)
    g_task_return_new_error (task, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                             "PocketSphinx failed to decode");
  else
    g_task_return_pointer (task, transcript, (GDestroyNotify) mira_transcript_free);
}

void
mira_sphinx_decode_end_async (MiraSphinxDecode    *self,
                              GBytes              *samples,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  End *end;
  Job *job;

  g_return_if_fail (self != NULL);
  g_return_if_fail (samples != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_sphinx_decode_end_async);
  end = g_new0 (End, 1);
  end->decode = mira_sphinx_decode_ref (self);
  end->samples = g_bytes_ref (samples);
  g_task_set_task_data (task, end, (GDestroyNotify) end_free);
  job = g_new0 (Job, 1);
  job->task = task;
  push_job (job);
}

MiraTranscript *
mira_sphinx_decode_end_finish (MiraSphinxDecode  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mira_sphinx_decode_end_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
mira_sphinx_decode_get_cmn (MiraSphinxDecode *self,
                            MiraSphinxCmn    *cmn)
{
  gboolean known;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (cmn != NULL, FALSE);

  g_mutex_lock (&self->lock);
  known = self->has_next_cmn;
  if (known)
    *cmn = self->cmn;
  g_mutex_unlock (&self->lock);
  return known;
}
