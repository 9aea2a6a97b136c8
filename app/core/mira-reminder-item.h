/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One reminder of the network. Properties (read-only, notified):
 * reminder-id, title, description (string or NULL), due-time (GDateTime,
 * local time), due-usec (int64: due-time in µs since the epoch, for
 * sorting), priority (MiraReminderPriority), status (MiraReminderStatus),
 * is-done (boolean: completed or cancelled), interaction-id (the
 * interaction it was heard in, or NULL).
 */

#define MIRA_TYPE_REMINDER_ITEM (mira_reminder_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraReminderItem, mira_reminder_item, MIRA, REMINDER_ITEM, GObject)

const char           *mira_reminder_item_get_reminder_id    (MiraReminderItem *self);
const char           *mira_reminder_item_get_title          (MiraReminderItem *self);
const char           *mira_reminder_item_get_description    (MiraReminderItem *self);
GDateTime            *mira_reminder_item_get_due_time       (MiraReminderItem *self);
gint64                mira_reminder_item_get_due_usec       (MiraReminderItem *self);
MiraReminderPriority  mira_reminder_item_get_priority       (MiraReminderItem *self);
MiraReminderStatus    mira_reminder_item_get_status         (MiraReminderItem *self);
gboolean              mira_reminder_item_get_is_done        (MiraReminderItem *self);
const char           *mira_reminder_item_get_interaction_id (MiraReminderItem *self);

/* The API's words for them: "low" … "urgent", "pending" … "cancelled" */
const char           *mira_reminder_priority_to_string      (MiraReminderPriority priority);
const char           *mira_reminder_status_to_string        (MiraReminderStatus   status);

G_END_DECLS
