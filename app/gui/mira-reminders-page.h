/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-connection.h"

G_BEGIN_DECLS

/* MiraRemindersPage: the network's reminders — overdue, upcoming and done,
 * each sorted by due time, times in the network's time zone, the priority
 * shown — kept live by the connection. Create and edit in a dialog; a
 * check box completes one, a button deletes it. A status page while there
 * are none.
 */

#define MIRA_TYPE_REMINDERS_PAGE (mira_reminders_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraRemindersPage, mira_reminders_page, MIRA, REMINDERS_PAGE, GtkWidget)

void mira_reminders_page_set_connection (MiraRemindersPage *self,
                                         MiraConnection    *connection);
/* Opens the dialog for a new reminder */
void mira_reminders_page_new_reminder   (MiraRemindersPage *self);

G_END_DECLS
