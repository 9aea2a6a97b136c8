/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraNetworkPage: the network this computer belongs to — its name
 * (editable), id, server and version, the join link (host mode), every
 * client with its device type, state, last seen and score (deregister
 * with a confirmation), and the network's settings (time zone, conversation
 * timeout; the server's transcriber). With an admin token (the context's
 * admin), every network on the server with its status and client count:
 * suspend, activate, delete.
 *
 * Each edit goes to the server; the page shows what the server's events
 * say, and a refusal as a toast with the server's reason.
 */

#define MIRA_TYPE_NETWORK_PAGE (mira_network_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraNetworkPage, mira_network_page, MIRA, NETWORK_PAGE, AdwBin)

void mira_network_page_set_context (MiraNetworkPage *self,
                                    MiraContext     *context);

G_END_DECLS
