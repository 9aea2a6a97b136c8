/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-transcriber.h"

G_BEGIN_DECLS

#define MIRA_TYPE_SPHINX (mira_sphinx_get_type ())

G_DECLARE_FINAL_TYPE (MiraSphinx, mira_sphinx, MIRA, SPHINX, GObject)

/* In-process PocketSphinx with its US English model. @model_dir NULL:
 * the installed one (pkg-config's modeldir: /usr/share on Debian, /app/share
 * in the Flatpak). At most @max_decoders utterances decode at once; each
 * decoder is loaded on first need and kept.
 */
MiraSphinx *mira_sphinx_new (const char  *model_dir,
                             guint        max_decoders,
                             GError     **error);

G_END_DECLS
