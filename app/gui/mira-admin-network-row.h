/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-item-row.h"

#include "mira-network-item.h"

G_BEGIN_DECLS

/* MiraAdminNetworkRow: one network of the server in the Network page's
 * administration — its name, id, status and client count, with Suspend or
 * Activate ("network.suspend", "network.activate") and Delete
 * ("network.delete") buttons, each with the network id as its target.
 *
 * Property: item (MiraNetworkItem, construct-only).
 */

#define MIRA_TYPE_ADMIN_NETWORK_ROW (mira_admin_network_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraAdminNetworkRow, mira_admin_network_row, MIRA, ADMIN_NETWORK_ROW, MiraItemRow)

GtkWidget       *mira_admin_network_row_new      (MiraNetworkItem     *item);
MiraNetworkItem *mira_admin_network_row_get_item (MiraAdminNetworkRow *self);

G_END_DECLS
