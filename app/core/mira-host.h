/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraHost: the network's server inside the app, on a thread and
 * GMainContext of its own (the server library's MiraServerThread), so the
 * UI never waits on it. SQLite at @db_path; loopback only unless
 * @allow_lan. Port @port (8080 by default), or first the last port (where
 * an earlier start listened); when the first port tried is taken, the next,
 * then a free one, and the "port-changed" flag says so. Once listening it prints
 * "listening on http://HOST:PORT" on stdout exactly as mira-server does.
 * Hosting only supplies a URL and the admin token: the app talks to it over
 * HTTP like any other server.
 *
 * Properties (read-only, notified): url, port, port-changed, admin-token,
 * allow-lan.
 */

#define MIRA_TYPE_HOST (mira_host_get_type ())
G_DECLARE_FINAL_TYPE (MiraHost, mira_host, MIRA, HOST, GObject)

MiraHost    *mira_host_new              (const char          *db_path,
                                         const char          *admin_token,
                                         guint                port,
                                         gboolean             allow_lan);
/* @port 0: none. Set before starting. */
void         mira_host_set_last_port    (MiraHost            *self,
                                         guint                port);
guint        mira_host_get_last_port    (MiraHost            *self);
void         mira_host_start_async      (MiraHost            *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean     mira_host_start_finish     (MiraHost            *self,
                                         GAsyncResult        *result,
                                         GError             **error);
/* e.g. "http://127.0.0.1:8080"; NULL before started */
const char  *mira_host_get_url          (MiraHost            *self);
guint        mira_host_get_port         (MiraHost            *self);
/* TRUE when the first port tried (the last port, else the requested one)
 * was taken and another is used
 */
gboolean     mira_host_get_port_changed (MiraHost            *self);
const char  *mira_host_get_admin_token  (MiraHost            *self);
gboolean     mira_host_get_allow_lan    (MiraHost            *self);
/* The base URL other devices reach it at: with allow-lan, this computer's
 * address on its local network (e.g. "http://192.168.1.20:8080"), else the
 * loopback URL. NULL before started.
 */
char        *mira_host_dup_public_url   (MiraHost            *self);
/* Stops the server and joins its thread (a bounded drain) */
void         mira_host_stop             (MiraHost            *self);

G_END_DECLS
