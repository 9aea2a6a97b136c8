/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Every event of every network goes through the bus; nothing writes to a
 * socket directly. Subscribers are called on the thread that publishes (the
 * server's), in the order they subscribed.
 */

/* @text is @event serialised once for every subscriber. */
typedef void (*MiraEventFunc) (const char  *network_id,
                               JsonObject  *event,
                               const char  *text,
                               gpointer     user_data);

MiraEventBus *mira_event_bus_new          (void);
void          mira_event_bus_free         (MiraEventBus   *bus);
/* @network_id NULL: every network. Returns an id for unsubscribe. */
guint         mira_event_bus_subscribe    (MiraEventBus   *bus,
                                           const char     *network_id,
                                           MiraEventFunc   func,
                                           gpointer        user_data);
void          mira_event_bus_unsubscribe  (MiraEventBus   *bus,
                                           guint           id);
void          mira_event_bus_publish      (MiraEventBus   *bus,
                                           const char     *network_id,
                                           JsonObject     *event);

G_END_DECLS
