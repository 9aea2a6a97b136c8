/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-connection.h"
#include "mira-event-item.h"

G_BEGIN_DECLS

/* MiraEventDialog: creates a calendar event, or edits @item: title,
 * start and end (days and times in the network's time zone), location,
 * attendees (written as a list separated by commas). Saving sends it to
 * the server and closes; a refusal shows in the dialog.
 */

#define MIRA_TYPE_EVENT_DIALOG (mira_event_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MiraEventDialog, mira_event_dialog, MIRA, EVENT_DIALOG, AdwWindow)

/* @item: the event to edit, or NULL for a new one starting at @start
 * (NULL: the next full hour)
 */
GtkWidget *mira_event_dialog_new (GtkWindow      *parent,
                                  MiraConnection *connection,
                                  MiraEventItem  *item,
                                  GDateTime      *start);

G_END_DECLS
