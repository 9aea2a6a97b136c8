/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* When reminders come due. The clock keeps one timer on the event bus's
 * context (the server's), set for the earliest due time of any pending
 * reminder: it learns that time from each sweep (mira_reminders_sweep()
 * gives the next one) and from every reminder_created and reminder_updated
 * event on the bus, so a reminder created or moved to ten seconds from now
 * comes due ten seconds from now. The server's periodic sweep still runs,
 * for writes made by other processes.
 */

typedef struct _MiraReminderClock MiraReminderClock;

/* On the bus's thread, like every other call here. */
MiraReminderClock *mira_reminder_clock_new    (MiraStore          *store,
                                               MiraEventBus       *bus);
void               mira_reminder_clock_free   (MiraReminderClock  *self);
/* Sweeps now (or once more after a sweep under way). */
void               mira_reminder_clock_sweep  (MiraReminderClock  *self);
/* No more timers or sweeps: the server is shutting down. */
void               mira_reminder_clock_stop   (MiraReminderClock  *self);
/* No sweep under way: it may be freed. */
gboolean           mira_reminder_clock_is_idle (MiraReminderClock *self);

G_END_DECLS
