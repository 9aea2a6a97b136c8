/* SPDX-License-Identifier: GPL-3.0-or-later */

/* PocketSphinx's vocabulary: the dictionary of the language model's most
 * probable words, written to the user's cache on first use (each case has
 * a cache of its own: G_TEST_OPTION_ISOLATE_DIRS), found there afterwards,
 * and the speech a decoder loaded from it recognises.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <utime.h>

#include "mira-sphinx.h"
#include "mira-test-live.h"

#define SENTENCE "remind me to call the dentist tomorrow morning"

/* The dictionaries in the cache: their paths */
static GPtrArray *
cached_dictionaries (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mira", "pocketsphinx", NULL);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".dict"))
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  return paths;
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
    mira_transcriber_transcribe (MIRA_TRANSCRIBER (sphinx), samples, n, NULL, &error);

  g_assert_no_error (error);
  return transcript;
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
  g_autoptr(MiraTranscript) transcript = NULL;
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

  transcript = transcribe (sphinx);
  g_test_message ("heard \"%s\"", transcript->text);
  mira_test_check (strstr (transcript->text, "dentist") && strstr (transcript->text, "tomorrow"),
                   "PocketSphinx heard \"%s\"", transcript->text);
}

/* The next start finds the dictionary in the cache and does not write it again */
static void
test_vocabulary_cached (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) first = NULL;
  g_autoptr(MiraSphinx) second = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;
  struct utimbuf old = { .actime = 1000000000, .modtime = 1000000000 };
  GStatBuf st;

  first = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  g_clear_object (&first);
  paths = cached_dictionaries ();
  g_assert_cmpuint (paths->len, ==, 1);
  /* Dated 2001: written again, it would be dated now */
  g_assert_cmpint (g_utime (paths->pdata[0], &old), ==, 0);

  second = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (paths->pdata[0], &st), ==, 0);
  g_assert_cmpint (st.st_mtime, ==, old.modtime);
  g_ptr_array_unref (paths);
  paths = cached_dictionaries ();
  g_assert_cmpuint (paths->len, ==, 1);

  transcript = transcribe (second);
  mira_test_check (strstr (transcript->text, "dentist") && strstr (transcript->text, "tomorrow"),
                   "PocketSphinx heard \"%s\"", transcript->text);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/sphinx/vocabulary/built", test_vocabulary_built);
  g_test_add_func ("/sphinx/vocabulary/cached", test_vocabulary_cached);

  return g_test_run ();
}
