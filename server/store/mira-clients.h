/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Clients' presence, as their audio sockets come and go; the contract of
 * mira-conversations.h (a store worker, the caller's transaction, events
 * in @events_out for the caller to publish).
 */

/* The first live audio socket of client @client_id (public id) of the
 * network @network_id (public id) opened (@connected), or its last one
 * closed: its connection_status and last_seen (now) change, and
 * client_connected or client_disconnected follows. Returns the client as
 * the API shows it; MIRA_DB_ERROR_NOT_FOUND when the network or the client is
 * gone (deleted while the socket was open).
 */
JsonObject *mira_clients_set_connected (MiraDb      *db,
                                        const char  *network_id,
                                        const char  *client_id,
                                        gboolean     connected,
                                        GPtrArray   *events_out,
                                        GError     **error);

G_END_DECLS
