/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-connection.h"

G_BEGIN_DECLS

/* MiraTranscriptModel: a GListModel of MiraInteractionItem, one
 * conversation's interactions oldest first, read from the server in pages
 * of MIRA_TRANSCRIPT_PAGE_SIZE as a view asks for their positions. Any
 * size works: only the pages around what was last asked for are held (at
 * most MIRA_TRANSCRIPT_MAX_PAGES); a position whose page is still on its
 * way is an empty placeholder item (interaction-id ""), replaced by
 * items-changed when the page comes.
 *
 * The first page tells the length: until it came, the model is empty
 * and loading is TRUE. The interactions created in the conversation
 * afterwards (from the connection's event socket) are appended. Pages are
 * read with until= the newest interaction's time when the model was
 * opened, so that new words do not shift them.
 *
 * Properties: connection, conversation-id (construct-only), loading
 * (boolean), error (GError boxed: the last page that failed, or NULL).
 */

#define MIRA_TRANSCRIPT_PAGE_SIZE 100
#define MIRA_TRANSCRIPT_MAX_PAGES 16

#define MIRA_TYPE_TRANSCRIPT_MODEL (mira_transcript_model_get_type ())
G_DECLARE_FINAL_TYPE (MiraTranscriptModel, mira_transcript_model, MIRA, TRANSCRIPT_MODEL, GObject)

MiraTranscriptModel *mira_transcript_model_new                (MiraConnection      *connection,
                                                               const char          *conversation_id);
const char          *mira_transcript_model_get_conversation_id (MiraTranscriptModel *self);
gboolean             mira_transcript_model_get_loading        (MiraTranscriptModel *self);
const GError        *mira_transcript_model_get_error          (MiraTranscriptModel *self);
/* How many pages are held now (for tests and figures) */
guint                mira_transcript_model_get_n_pages_held   (MiraTranscriptModel *self);
/* How many pages were read so far */
guint                mira_transcript_model_get_n_pages_read   (MiraTranscriptModel *self);

G_END_DECLS
