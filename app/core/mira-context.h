/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraContext: everything the app has besides windows — its GSettings
 * (schema com.mira.Dashboard), the connection, the capture, and in host
 * mode the embedded server. Tokens go to the keyring (libsecret), never to
 * GSettings; in join mode only the session token is kept.
 *
 * Properties: mode (MiraMode), connection (MiraConnection or NULL),
 * capture (MiraCapture), host (MiraHost or NULL), join-link (string: in
 * host mode the link other devices join by, else NULL), busy (boolean: a
 * host/join/resume is under way), admin (MiraAdmin or NULL: the server's
 * administration, with the hosted server's admin token in host mode, or
 * the one given by mira_context_set_admin_token_async() in join mode).
 *
 * In host mode, a change of the settings "allow-lan" or "host-port" hosts
 * again once they settle (0.6 s; the connection is replaced). In join mode,
 * a change of "server-url" (the server moved) takes the session token to
 * the new address and connects there.
 *
 * Signals: error (GError *): something the context did by itself, such as
 * hosting again, failed; the message is fit to show.
 */

#define MIRA_TYPE_CONTEXT (mira_context_get_type ())
G_DECLARE_FINAL_TYPE (MiraContext, mira_context, MIRA, CONTEXT, GObject)

MiraContext    *mira_context_new             (GSettings           *settings);
GSettings      *mira_context_get_settings    (MiraContext         *self);
MiraMode        mira_context_get_mode        (MiraContext         *self);
MiraConnection *mira_context_get_connection  (MiraContext         *self);
MiraCapture    *mira_context_get_capture     (MiraContext         *self);
MiraHost       *mira_context_get_host        (MiraContext         *self);
const char     *mira_context_get_join_link   (MiraContext         *self);
gboolean        mira_context_get_busy        (MiraContext         *self);
MiraAdmin      *mira_context_get_admin       (MiraContext         *self);

/* In join mode: checks @token as the server's admin token (it must list
 * the server's networks), keeps it in the keyring and sets the admin
 * property; NULL or "" forgets it. Errors: MIRA_CORE_ERROR_UNAUTHORIZED
 * for a token the server refuses, _KEYRING, or _SERVER outside join mode.
 */
void            mira_context_set_admin_token_async  (MiraContext         *self,
                                                     const char          *token,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean        mira_context_set_admin_token_finish (MiraContext         *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* Restores the remembered mode at start-up (host: start the server and
 * connect; join: connect with the stored session token). Does nothing in
 * MIRA_MODE_NONE.
 */
void            mira_context_resume_async    (MiraContext         *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        mira_context_resume_finish   (MiraContext         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Hosts a network on this computer: starts the server, creates the network
 * on first use, registers this computer, connects. Settings "host-port"
 * and "allow-lan" apply.
 */
void            mira_context_host_async      (MiraContext         *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        mira_context_host_finish     (MiraContext         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Joins with a pasted join link, or a server URL + network id + token
 * (@link NULL). Checked against the server first; registers this computer
 * and keeps only the session token.
 */
void            mira_context_join_async      (MiraContext         *self,
                                              const char          *link,
                                              const char          *base_url,
                                              const char          *network_id,
                                              const char          *token,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        mira_context_join_finish     (MiraContext         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Stops recording, disconnects, stops hosting; the mode is forgotten so the
 * next start shows the welcome page again.
 */
void            mira_context_leave           (MiraContext         *self);
/* Stops everything before the app quits; the mode is kept. */
void            mira_context_shutdown        (MiraContext         *self);

G_END_DECLS
