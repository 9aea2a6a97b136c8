/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-connection.h"

G_BEGIN_DECLS

/* MiraConversationsPage: the network's conversations, newest first (open
 * ones marked), searched as one types (the API's q=, after a pause), and
 * the selected one's transcript — any length, read in pages as it
 * scrolls. Close; delete, undone from the toast that says it. Narrow, the
 * list and the transcript take turns (the transcript has a back button).
 */

#define MIRA_TYPE_CONVERSATIONS_PAGE (mira_conversations_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraConversationsPage, mira_conversations_page, MIRA, CONVERSATIONS_PAGE, GtkWidget)

void        mira_conversations_page_set_connection (MiraConversationsPage *self,
                                                    MiraConnection        *connection);
/* The shown list (after search and pending deletions), for tests */
GListModel *mira_conversations_page_get_list       (MiraConversationsPage *self);
/* Shows @conversation_id's transcript; FALSE when it is not in the list */
gboolean    mira_conversations_page_select         (MiraConversationsPage *self,
                                                    const char            *conversation_id);
/* The shown transcript, or NULL */
GListModel *mira_conversations_page_get_transcript (MiraConversationsPage *self);
/* Puts the keyboard focus in the search entry */
void        mira_conversations_page_focus_search   (MiraConversationsPage *self);

G_END_DECLS
