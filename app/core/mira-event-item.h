/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One calendar event of the network. Properties (read-only, notified):
 * event-id, title, description, location (string or NULL), start-time
 * and end-time (GDateTime, local time; end-time NULL for an instant),
 * start-usec (int64: start-time in µs since the epoch, for sorting),
 * attendees (GStrv: names or addresses, as the API holds them).
 */

#define MIRA_TYPE_EVENT_ITEM (mira_event_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraEventItem, mira_event_item, MIRA, EVENT_ITEM, GObject)

const char         *mira_event_item_get_event_id    (MiraEventItem *self);
const char         *mira_event_item_get_title       (MiraEventItem *self);
const char         *mira_event_item_get_description (MiraEventItem *self);
const char         *mira_event_item_get_location    (MiraEventItem *self);
GDateTime          *mira_event_item_get_start_time  (MiraEventItem *self);
GDateTime          *mira_event_item_get_end_time    (MiraEventItem *self);
gint64              mira_event_item_get_start_usec  (MiraEventItem *self);
const char * const *mira_event_item_get_attendees   (MiraEventItem *self);
/* Whether the event overlaps [@start, @end) (an instant: lies in it) */
gboolean            mira_event_item_overlaps        (MiraEventItem *self,
                                                     GDateTime     *start,
                                                     GDateTime     *end);

G_END_DECLS
