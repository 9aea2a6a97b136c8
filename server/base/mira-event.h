/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* An event as the event socket sends it: {"type", "network_id",
 * "timestamp", @member: @payload}. @payload is referenced; @member and
 * @payload may be NULL for an event without one. A new object.
 */
JsonObject *mira_event_new (const char *type,
                            const char *network_id,
                            const char *member,
                            JsonObject *payload);

G_END_DECLS
