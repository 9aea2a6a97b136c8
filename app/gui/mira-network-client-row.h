/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-item-row.h"

#include "mira-client-item.h"

G_BEGIN_DECLS

/* MiraNetworkClientRow: one client of the network on the Network page —
 * its device type icon, name, connection state, last seen and score, and
 * a Deregister button (the "network.deregister" action with the client id
 * as its target).
 *
 * Property: item (MiraClientItem, construct-only).
 */

#define MIRA_TYPE_NETWORK_CLIENT_ROW (mira_network_client_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraNetworkClientRow, mira_network_client_row, MIRA, NETWORK_CLIENT_ROW, MiraItemRow)

GtkWidget      *mira_network_client_row_new      (MiraClientItem       *item);
MiraClientItem *mira_network_client_row_get_item (MiraNetworkClientRow *self);

G_END_DECLS
