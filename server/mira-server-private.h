/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-api.h"
#include "mira-server.h"

G_BEGIN_DECLS

const MiraApiConfig *mira_server_get_api_config  (MiraServer              *self);
/* Sockets the server closes at shutdown. */
void                 mira_server_track_socket    (MiraServer              *self,
                                                  SoupWebsocketConnection *conn);
void                 mira_server_untrack_socket  (MiraServer              *self,
                                                  SoupWebsocketConnection *conn);

G_END_DECLS
