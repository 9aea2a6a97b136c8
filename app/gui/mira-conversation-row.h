/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-conversation-item.h"

G_BEGIN_DECLS

/* MiraConversationRow: one conversation in the list — its title, when it
 * was last spoken in, who took part, how many interactions, and a dot
 * while it is open. Property: item (MiraConversationItem).
 */

#define MIRA_TYPE_CONVERSATION_ROW (mira_conversation_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraConversationRow, mira_conversation_row, MIRA, CONVERSATION_ROW, GtkWidget)

MiraConversationItem *mira_conversation_row_get_item (MiraConversationRow  *self);
void                  mira_conversation_row_set_item (MiraConversationRow  *self,
                                                      MiraConversationItem *item);

G_END_DECLS
