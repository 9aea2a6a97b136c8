/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Every event of every network goes through the bus; nothing writes to a
 * socket directly. The bus belongs to the thread-default main context of
 * the thread that creates it (the server's): subscribers are called there,
 * in the order they subscribed, and events are published from any thread.
 */

/* @text is @event serialised once for every subscriber. */
typedef void (*MiraEventFunc) (const char  *network_id,
                               JsonObject  *event,
                               const char  *text,
                               gpointer     user_data);

MiraEventBus *mira_event_bus_new          (void);
/* Publications on their way to the bus's thread hold a reference. */
MiraEventBus *mira_event_bus_ref          (MiraEventBus   *bus);
void          mira_event_bus_unref        (MiraEventBus   *bus);
GMainContext *mira_event_bus_get_context  (MiraEventBus   *bus);
/* @network_id NULL: every network. Returns an id for unsubscribe. */
guint         mira_event_bus_subscribe    (MiraEventBus   *bus,
                                           const char     *network_id,
                                           MiraEventFunc   func,
                                           gpointer        user_data);
void          mira_event_bus_unsubscribe  (MiraEventBus   *bus,
                                           guint           id);
/* Takes @event: on the bus's thread its subscribers have it before this
 * returns; from another thread they have it soon after, on the bus's, in
 * the order of publication of that thread (JsonObject's references are not
 * atomic: do not keep one).
 */
void          mira_event_bus_publish      (MiraEventBus   *bus,
                                           const char     *network_id,
                                           JsonObject     *event);
/* Publishes and empties @events (JsonObject, taken) in their order, each
 * to the network its "network_id" names.
 */
void          mira_event_bus_publish_all  (MiraEventBus   *bus,
                                           GPtrArray      *events);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraEventBus, mira_event_bus_unref)

G_END_DECLS
