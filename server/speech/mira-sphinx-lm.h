/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sphinxbase/ngram_model.h>

G_BEGIN_DECLS

/* PocketSphinx 0.8+5prealpha's binary language models ("Trie Language
 * Model" files, as Debian's en-us.lm.bin) restricted to a vocabulary.
 *
 * Writes to @path (atomically) the language model of @lm_path with only the
 * unigrams of @words (a set of strings; "<s>" and "</s>" are always kept)
 * and only the n-grams all of whose words are kept, each with its
 * probability and back-off weight as in the source, bit for bit. @model is
 * the source as ngram_model_read() read it with @logmath (PocketSphinx's,
 * base 1.0001, in which the binary model's values are): the file written
 * is read back with it and its scores are compared to @model's before it
 * is kept.
 *
 * Every n-gram of kept words then scores exactly as in the source: an
 * n-gram the source holds is kept, and one it backs off from backs off
 * through the same kept histories. The probabilities of the words left out
 * are not given to the others (not renormalised), so the model scores a
 * sentence as the source does, which is what a decoder whose dictionary
 * holds only @words heard before.
 *
 * Fails with G_IO_ERROR_INVALID_DATA when @lm_path is not such a model or
 * the file written does not score as the source, or with the error of
 * writing @path; @path is then not left behind.
 */
gboolean mira_sphinx_lm_write_restricted (ngram_model_t  *model,
                                          logmath_t      *logmath,
                                          const char     *lm_path,
                                          GHashTable     *words,
                                          const char     *path,
                                          GError        **error);

/* Whether @path is whole: a binary trie language model whose sections
 * have the sizes its header gives and whose words are its unigrams' count.
 * Fails with G_IO_ERROR_INVALID_DATA, or the error of opening it.
 */
gboolean mira_sphinx_lm_check            (const char     *path,
                                          GError        **error);

G_END_DECLS
