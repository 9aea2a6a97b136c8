/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-connection.h"
#include "mira-reminder-item.h"

G_BEGIN_DECLS

/* MiraReminderDialog: creates a reminder, or edits @item: title,
 * description, due day and time in the network's time zone, priority.
 * Saving sends it to the server and closes; a refusal shows in the dialog.
 */

#define MIRA_TYPE_REMINDER_DIALOG (mira_reminder_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MiraReminderDialog, mira_reminder_dialog, MIRA, REMINDER_DIALOG, AdwWindow)

/* @item: the reminder to edit, or NULL for a new one */
GtkWidget *mira_reminder_dialog_new (GtkWindow        *parent,
                                     MiraConnection   *connection,
                                     MiraReminderItem *item);

G_END_DECLS
