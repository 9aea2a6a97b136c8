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

/* The client an audio socket of the network @net_uuid (networks.id, public
 * id @network_id) streams as: @client_id when it is registered; when it is
 * not and @register_new, a new client of that id is registered on the way
 * (@device_type, e.g. "microphone" or "omi"; @device_name, NULL or the name
 * as the device gave it, kept for display as device_info {"name"}, at most
 * 200 characters) and client_registered goes to @events_out. Runs on a store
 * worker inside the caller's transaction. Returns the client as the API
 * shows it; MIRA_DB_ERROR_NOT_FOUND when it is not registered and
 * @register_new is FALSE.
 */
JsonObject *mira_clients_open_stream  (MiraDb      *db,
                                        const char  *net_uuid,
                                        const char  *network_id,
                                        const char  *client_id,
                                        gboolean     register_new,
                                        const char  *device_type,
                                        const char  *device_name,
                                        GPtrArray   *events_out,
                                        GError     **error);

G_END_DECLS
