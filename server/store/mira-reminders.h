/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Reminders coming due, in every network; the contract of
 * mira-conversations.h (a store worker, the caller's transaction, events
 * in @events_out for the caller to publish).
 *
 * Every pending reminder whose due time has come (at most
 * MIRA_REMINDERS_SWEEP_BATCH at a time, the earliest first) becomes
 * overdue: reminder_due (every device of the network hears it once) and
 * reminder_updated. @next_due_out gets the earliest due time of a reminder
 * still pending (RFC 3339), or NULL when there is none: when to sweep next.
 */
#define MIRA_REMINDERS_SWEEP_BATCH 500

gboolean mira_reminders_sweep (MiraDb      *db,
                               char       **next_due_out,
                               GPtrArray   *events_out,
                               GError     **error);

G_END_DECLS
