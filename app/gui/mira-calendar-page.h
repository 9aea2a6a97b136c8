/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-connection.h"

G_BEGIN_DECLS

/* MiraCalendarPage: a month with the days that have events marked, and
 * the events of the selected day, all in the network's time zone, kept
 * live by the connection. Create and edit in a dialog; a button deletes.
 * From 640 px wide the day is beside the month, narrower under it.
 */

#define MIRA_TYPE_CALENDAR_PAGE (mira_calendar_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraCalendarPage, mira_calendar_page, MIRA, CALENDAR_PAGE, GtkWidget)

void mira_calendar_page_set_connection (MiraCalendarPage *self,
                                        MiraConnection   *connection);
/* Shows the day of @day (its year, month and day of month) */
void mira_calendar_page_select_day     (MiraCalendarPage *self,
                                        GDateTime        *day);

G_END_DECLS
