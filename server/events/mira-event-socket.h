/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Takes over a freshly upgraded event socket of @network_id: authenticates
 * @token off the loop, then streams every event of the network to it.
 */
void mira_event_socket_accept (MiraServer              *server,
                               SoupWebsocketConnection *conn,
                               GSocket                 *socket,
                               const char              *network_id,
                               const char              *token);

G_END_DECLS
