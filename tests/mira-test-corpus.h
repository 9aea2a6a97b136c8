/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The extraction corpus (tests/extraction-corpus.json): phrasings and the
 * actions the built-in extractor must find in them.
 */

typedef struct {
  guint     n_cases;
  guint     n_exact;           /* cases whose actions are exactly as expected */
  guint     n_quiet;           /* cases that must find nothing */
  guint     n_quiet_exact;     /* … and found nothing */
  guint     n_actions_found;   /* actions found over all cases */
  GString  *failures;          /* one paragraph per case that was not exact */
  gint64    elapsed_us;        /* time spent in the extractor alone */
} MiraTestCorpusResult;

/* Runs every case of the corpus at @path. Fails the test when the file
 * cannot be read or a case is malformed.
 */
MiraTestCorpusResult *mira_test_corpus_run  (const char           *path);
void                  mira_test_corpus_free (MiraTestCorpusResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestCorpusResult, mira_test_corpus_free)

G_END_DECLS
