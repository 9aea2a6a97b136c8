/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* When reminders come due. The clock keeps one timer on the server's
 * context, set for the earliest due time of any pending reminder: it learns
 * that time from each sweep (POST reminders/sweep answers the next one) and
 * from every reminder_created and reminder_updated event the server
 * publishes, so a reminder created or moved to ten seconds from now comes
 * due ten seconds from now. The server's periodic sweep still runs, for
 * writes made by other processes.
 */

typedef struct _MiraReminderClock MiraReminderClock;

/* On the server's thread, like every other call here. */
MiraReminderClock *mira_reminder_clock_new    (MiraServer         *server);
void               mira_reminder_clock_free   (MiraReminderClock  *self);
/* Sweeps now (or once more after a sweep under way). */
void               mira_reminder_clock_sweep  (MiraReminderClock  *self);
/* Looks at an event about to be published: a pending reminder's due time
 * earlier than the one the timer waits for moves the timer.
 */
void               mira_reminder_clock_note   (MiraReminderClock  *self,
                                               JsonObject         *event);
/* No more timers or sweeps: the server is shutting down. */
void               mira_reminder_clock_stop   (MiraReminderClock  *self);

G_END_DECLS
