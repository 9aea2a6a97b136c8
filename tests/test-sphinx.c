/* SPDX-License-Identifier: GPL-3.0-or-later */

/* PocketSphinx's vocabulary: the dictionary of the language model's most
 * probable words and the language model restricted to them, written to the
 * user's cache on first use (each case has a cache of its own:
 * G_TEST_OPTION_ISOLATE_DIRS), found there afterwards, written again when
 * damaged, done without when they cannot be written, and the speech a
 * decoder loaded from them recognises.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <utime.h>

#include <sphinxbase/ngram_model.h>

#include "mira-sphinx.h"
#include "mira-test-live.h"

#define SENTENCE "remind me to call the dentist tomorrow morning"

/* The files in the cache whose names end in @suffix: their paths */
static GPtrArray *
cached_files (const char *suffix)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mira", "pocketsphinx", NULL);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, suffix))
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  return paths;
}

static guint
n_cached (const char *suffix)
{
  g_autoptr(GPtrArray) paths = cached_files (suffix);

  return paths->len;
}

static GPtrArray *
cached_dictionaries (void)
{
  return cached_files (".dict");
}

static GPtrArray *
cached_language_models (void)
{
  return cached_files (".lm.bin");
}

/* The words of a dictionary file ("word phones" or "word(2) phones") */
static GHashTable *
dictionary_words (const char *path,
                  guint      *n_entries)
{
  g_autofree char *text = NULL;
  GHashTable *words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  *n_entries = 0;
  /* Line by line: splitting searches the rest of the text at every line
   * under AddressSanitizer, which takes minutes on 134,723 lines
   */
  for (char *line = text; *line != '\0';)
    {
      char *end = strchr (line, '\n');
      gsize len;

      if (end != NULL)
        *end = '\0';
      len = strcspn (line, " \t(");
      if (len > 0)
        {
          (*n_entries)++;
          g_hash_table_add (words, g_strndup (line, len));
        }
      line = end != NULL ? end + 1 : line + strlen (line);
    }
  return words;
}

static MiraTranscript *
transcribe (MiraSphinx *sphinx)
{
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  g_autofree gint16 *samples =
    mira_test_speech_mix (mira_test_speech_get ("slt", SENTENCE), -20.0, INFINITY, 1.0, 300,
                          300, 1, &n);
  MiraTranscript *transcript =
    mira_transcriber_transcribe (MIRA_TRANSCRIBER (sphinx), samples, n, "en", NULL, &error);

  g_assert_no_error (error);
  return transcript;
}

static void
check_heard (MiraSphinx *sphinx)
{
  g_autoptr(MiraTranscript) transcript = transcribe (sphinx);

  g_test_message ("heard \"%s\"", transcript->text);
  mira_test_check (strstr (transcript->text, "dentist") && strstr (transcript->text, "tomorrow"),
                   "PocketSphinx heard \"%s\"", transcript->text);
}

/* The log-probability of @words (the word last) in @model, the words
 * before it as its history
 */
static int32
ngram_log_prob (ngram_model_t      *model,
                const char * const *words)
{
  return ngram_prob (model, words, g_strv_length ((char **) words));
}

/* An empty cache: the dictionary is written, holds the everyday words and
 * far fewer than the whole dictionary, and the decoder hears the sentence
 */
static void
test_vocabulary_built (void)
{
  g_autofree char *full_path = g_build_filename (POCKETSPHINX_MODEL_DIR, "cmudict-en-us.dict",
                                                 NULL);
  const char * const everyday[] = { "remind", "dentist", "tomorrow", "morning", "kitchen",
                                    "lights", "plumber", "weather", "shopping", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = NULL;
  g_autoptr(GPtrArray) paths = cached_dictionaries ();
  g_autoptr(GHashTable) words = NULL;
  g_autoptr(GHashTable) full_words = NULL;
  guint n_entries, n_full_entries;

  g_assert_cmpuint (paths->len, ==, 0);
  sphinx = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (paths);
  paths = cached_dictionaries ();
  g_assert_cmpuint (paths->len, ==, 1);

  words = dictionary_words (paths->pdata[0], &n_entries);
  full_words = dictionary_words (full_path, &n_full_entries);
  g_test_message ("%u words (%u entries) of the dictionary's %u (%u entries)",
                  g_hash_table_size (words), n_entries, g_hash_table_size (full_words),
                  n_full_entries);
  for (guint i = 0; everyday[i] != NULL; i++)
    mira_test_check (g_hash_table_contains (words, everyday[i]),
                     "\"%s\" is not in the vocabulary", everyday[i]);
  g_assert_cmpuint (g_hash_table_size (words), >=, 20000);
  g_assert_cmpuint (g_hash_table_size (words), <, g_hash_table_size (full_words) / 3);

  check_heard (sphinx);
}

/* An empty cache: the language model restricted to the dictionary's words
 * is written, is a fraction of the whole, holds every word of the
 * dictionary and no other but the sentence's ends, and scores everyday
 * n-grams as the whole model does, as an n-gram it holds (the sentence's
 * own) or by backing off (words it never saw together)
 */
static void
test_language_model_built (void)
{
  g_autofree char *full_path = g_build_filename (POCKETSPHINX_MODEL_DIR, "en-us.lm.bin", NULL);
  const char * const ngrams[][4] = {
    { "remind", "me", "to", NULL },
    { "the", "dentist", "tomorrow", NULL },
    { "tomorrow", "morning", NULL },
    { "kitchen", "plumber", "weather", NULL },
    { "shopping", NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GPtrArray) dictionaries = NULL;
  g_autoptr(GHashTable) words = NULL;
  logmath_t *logmath;
  ngram_model_t *full, *restricted;
  GStatBuf st, full_st;
  GHashTableIter iter;
  const char *word;
  guint n_entries;

  g_assert_cmpuint (n_cached (".lm.bin"), ==, 0);
  sphinx = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  models = cached_language_models ();
  dictionaries = cached_dictionaries ();
  g_assert_cmpuint (models->len, ==, 1);
  g_assert_cmpuint (dictionaries->len, ==, 1);
  g_assert_cmpint (g_stat (models->pdata[0], &st), ==, 0);
  g_assert_cmpint (g_stat (full_path, &full_st), ==, 0);
  g_test_message ("%s: %" G_GINT64_FORMAT " bytes of %" G_GINT64_FORMAT, (char *) models->pdata[0],
                  (gint64) st.st_size, (gint64) full_st.st_size);
  g_assert_cmpint (st.st_size, <, full_st.st_size * 9 / 10);

  logmath = logmath_init (1.0001, 0, FALSE);
  full = ngram_model_read (NULL, full_path, NGRAM_AUTO, logmath);
  restricted = ngram_model_read (NULL, models->pdata[0], NGRAM_AUTO, logmath);
  g_assert_nonnull (full);
  g_assert_nonnull (restricted);
  words = dictionary_words (dictionaries->pdata[0], &n_entries);
  g_test_message ("%u words, %u bigrams, %u trigrams of %u, %u, %u",
                  ngram_model_get_counts (restricted)[0], ngram_model_get_counts (restricted)[1],
                  ngram_model_get_counts (restricted)[2], ngram_model_get_counts (full)[0],
                  ngram_model_get_counts (full)[1], ngram_model_get_counts (full)[2]);
  g_hash_table_iter_init (&iter, words);
  while (g_hash_table_iter_next (&iter, (gpointer *) &word, NULL))
    mira_test_check (ngram_wid (restricted, word) != ngram_unknown_wid (restricted),
                     "\"%s\" of the dictionary is not in the language model", word);
  /* <s> and </s>, and words of the dictionary that the pronouncing
   * dictionary has no entry for
   */
  g_assert_cmpuint (ngram_model_get_counts (restricted)[0], >=, g_hash_table_size (words) + 2);
  g_assert_cmpuint (ngram_model_get_counts (restricted)[0], <,
                    ngram_model_get_counts (full)[0] / 2);
  g_assert_cmpuint (ngram_model_get_counts (restricted)[1], <, ngram_model_get_counts (full)[1]);
  for (guint i = 0; i < G_N_ELEMENTS (ngrams); i++)
    {
      int32 expected = ngram_log_prob (full, ngrams[i]);

      g_assert_cmpint (expected, >, ngram_zero (full));
      g_assert_cmpint (ngram_log_prob (restricted, ngrams[i]), ==, expected);
    }
  ngram_model_free (restricted);
  ngram_model_free (full);
  logmath_free (logmath);

  check_heard (sphinx);
}

/* A server start that writes the cached dictionary and language model */
static void
fill_cache (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) first = mira_sphinx_new (NULL, 1, &error);

  g_assert_no_error (error);
}

/* The next start finds the dictionary in the cache and does not write it again */
static void
test_vocabulary_cached (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) second = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  struct utimbuf old = { .actime = 1000000000, .modtime = 1000000000 };
  GStatBuf st;

  fill_cache ();
  paths = cached_dictionaries ();
  g_ptr_array_extend_and_steal (paths, cached_language_models ());
  g_assert_cmpuint (paths->len, ==, 2);
  /* Dated 2001: written again, they would be dated now */
  for (guint i = 0; i < paths->len; i++)
    g_assert_cmpint (g_utime (paths->pdata[i], &old), ==, 0);

  second = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < paths->len; i++)
    {
      g_assert_cmpint (g_stat (paths->pdata[i], &st), ==, 0);
      g_assert_cmpint (st.st_mtime, ==, old.modtime);
    }
  g_assert_cmpuint (n_cached (".dict"), ==, 1);
  g_assert_cmpuint (n_cached (".lm.bin"), ==, 1);

  check_heard (second);
}

/* A cached language model cut short (a full disk, a crash of whatever
 * copied it) is written again at the next start, whole
 */
static void
test_language_model_damaged (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) second = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *again = NULL;
  gsize whole_len, again_len;

  fill_cache ();
  paths = cached_language_models ();
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_true (g_file_get_contents (paths->pdata[0], &whole, &whole_len, NULL));
  g_assert_true (g_file_set_contents (paths->pdata[0], whole, whole_len / 2, NULL));

  second = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (paths->pdata[0], &again, &again_len, NULL));
  g_assert_cmpuint (again_len, ==, whole_len);
  g_assert_true (memcmp (again, whole, whole_len) == 0);
  check_heard (second);
}

/* Where the language model cannot be written (here a folder is in its
 * way), the server says so, uses the whole model, and still hears
 */
static void
test_language_model_unwritable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) second = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  fill_cache ();
  paths = cached_language_models ();
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_cmpint (g_unlink (paths->pdata[0]), ==, 0);
  g_assert_cmpint (g_mkdir (paths->pdata[0], 0700), ==, 0);

  g_test_expect_message ("mira-sphinx", G_LOG_LEVEL_WARNING,
                         "*language model restricted to its dictionary's words cannot be cached*"
                         "the whole model is used*");
  second = mira_sphinx_new (NULL, 1, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (g_file_test (paths->pdata[0], G_FILE_TEST_IS_DIR));
  check_heard (second);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/sphinx/vocabulary/built", test_vocabulary_built);
  g_test_add_func ("/sphinx/vocabulary/cached", test_vocabulary_cached);
  g_test_add_func ("/sphinx/language-model/built", test_language_model_built);
  g_test_add_func ("/sphinx/language-model/damaged", test_language_model_damaged);
  g_test_add_func ("/sphinx/language-model/unwritable", test_language_model_unwritable);

  return g_test_run ();
}
