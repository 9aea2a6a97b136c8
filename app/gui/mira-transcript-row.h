/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-interaction-item.h"

G_BEGIN_DECLS

/* MiraTranscriptRow: one interaction of the live transcript — its words,
 * when, on which device, and who spoke.
 */

#define MIRA_TYPE_TRANSCRIPT_ROW (mira_transcript_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraTranscriptRow, mira_transcript_row, MIRA, TRANSCRIPT_ROW, GtkWidget)

MiraInteractionItem *mira_transcript_row_get_item (MiraTranscriptRow   *self);
void                 mira_transcript_row_set_item (MiraTranscriptRow   *self,
                                                   MiraInteractionItem *item);

G_END_DECLS
