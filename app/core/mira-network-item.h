/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One network on a server (API.md's network object): the connection's own
 * network, or a row of the admin's list of every network. Properties, all
 * read-only and notified:
 *   network-id (string, "net_…"), name (string), description (string or
 *   NULL), status (MiraNetworkStatus), client-count (uint),
 *   created-at, last-activity (GDateTime or NULL, local time).
 */

#define MIRA_TYPE_NETWORK_ITEM (mira_network_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraNetworkItem, mira_network_item, MIRA, NETWORK_ITEM, GObject)

const char        *mira_network_item_get_network_id    (MiraNetworkItem *self);
const char        *mira_network_item_get_name          (MiraNetworkItem *self);
const char        *mira_network_item_get_description   (MiraNetworkItem *self);
MiraNetworkStatus  mira_network_item_get_status        (MiraNetworkItem *self);
guint              mira_network_item_get_client_count  (MiraNetworkItem *self);
GDateTime         *mira_network_item_get_created_at    (MiraNetworkItem *self);
GDateTime         *mira_network_item_get_last_activity (MiraNetworkItem *self);

G_END_DECLS
