/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraAdmin: a server's administration with its admin token — every
 * network on the server, their status and client count; suspend, activate
 * and delete. The API has no server-wide events, so the list is read by
 * mira_admin_reload_async() and then follows this object's own writes
 * (items keep their identity across reloads).
 *
 * Properties: base-url, token (construct-only).
 */

#define MIRA_TYPE_ADMIN (mira_admin_get_type ())
G_DECLARE_FINAL_TYPE (MiraAdmin, mira_admin, MIRA, ADMIN, GObject)

MiraAdmin  *mira_admin_new                 (const char          *base_url,
                                            const char          *token);
const char *mira_admin_get_base_url        (MiraAdmin           *self);
const char *mira_admin_get_token           (MiraAdmin           *self);
/* GListModel of MiraNetworkItem: every network on the server, oldest
 * first, as of the last reload
 */
GListModel *mira_admin_get_networks        (MiraAdmin           *self);

/* Reads every network (GET admin/networks, up to 500). Errors: a
 * MIRA_CORE_ERROR; UNAUTHORIZED for a token that is not the admin's.
 */
void        mira_admin_reload_async        (MiraAdmin           *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    mira_admin_reload_finish       (MiraAdmin           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* Suspends (MIRA_NETWORK_STATUS_SUSPENDED) or activates a network: a
 * suspended network's tokens are refused until it is active again.
 */
void        mira_admin_set_status_async    (MiraAdmin           *self,
                                            const char          *network_id,
                                            MiraNetworkStatus    status,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    mira_admin_set_status_finish   (MiraAdmin           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* Deletes a network and everything of it; it leaves the list */
void        mira_admin_delete_async        (MiraAdmin           *self,
                                            const char          *network_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    mira_admin_delete_finish       (MiraAdmin           *self,
                                            GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
