/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

/* Seconds a PocketSphinx decoder stays loaded without use, by default */
#define MIRA_SPHINX_DEFAULT_IDLE_S 300

#define MIRA_TYPE_SPHINX (mira_sphinx_get_type ())

G_DECLARE_FINAL_TYPE (MiraSphinx, mira_sphinx, MIRA, SPHINX, GObject)

/* In-process PocketSphinx with its US English model. @model_dir NULL:
 * the installed one (pkg-config's modeldir: /usr/share on Debian, /app/share
 * in the Flatpak). At most @max_decoders utterances decode at once; each
 * decoder (about 80 MB) is loaded on first need and let go once it has not
 * been used for MIRA_SPHINX_DEFAULT_IDLE_S (see mira_sphinx_set_idle()).
 * One decoder is loaded here, so that a model that is missing or broken
 * fails here (MIRA_TRANSCRIBER_ERROR_FAILED), not at the first
 * word; it serves the first utterance.
 */
MiraSphinx *mira_sphinx_new      (const char  *model_dir,
                                  guint        max_decoders,
                                  GError     **error);
/* Decoders unused for @idle_s seconds are freed (0: kept until the end);
 * the next utterance loads one again, which takes about half a second.
 */
void        mira_sphinx_set_idle (MiraSphinx  *self,
                                  guint        idle_s);
/* The decoders loaded now, in use or not */
guint       mira_sphinx_get_n_loaded (MiraSphinx *self);
/* The model's name, e.g. "en-us" (its folder's) */
const char *mira_sphinx_get_model (MiraSphinx *self);

G_END_DECLS
