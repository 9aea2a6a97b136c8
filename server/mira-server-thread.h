/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-server.h"

G_BEGIN_DECLS

/* MiraServerThread: a MiraStore and a MiraServer on a thread and a
 * GMainContext of their own, so that whoever owns it (the dashboard's UI,
 * a test) never waits on a request. The store and the server are created,
 * run and freed on that thread.
 *
 * The owner's side is not thread-safe: start, read and stop it from one
 * thread. Start fails with the store's error, or the socket's (e.g.
 * G_IO_ERROR_ADDRESS_IN_USE) unless a free port may be taken instead.
 */

#define MIRA_TYPE_SERVER_THREAD (mira_server_thread_get_type ())
G_DECLARE_FINAL_TYPE (MiraServerThread, mira_server_thread, MIRA, SERVER_THREAD, GObject)

/* @db_uri: postgresql://… or sqlite:///path; @options are copied (the
 * transcriber is referenced); @host an IP address ("127.0.0.1", "0.0.0.0",
 * "::"); @port 0 for a free one. @workers: database workers, 0 for 4.
 */
MiraServerThread *mira_server_thread_new          (const char               *db_uri,
                                                   const MiraServerOptions  *options,
                                                   const char               *host,
                                                   guint                     port,
                                                   guint                     workers);
/* When @port is taken, listen on a free port instead (port-changed) */
void              mira_server_thread_set_any_port_fallback (MiraServerThread *self,
                                                            gboolean          fallback);
/* A port to try before the one given to new(), e.g. where an earlier run
 * listened, so that devices that joined by its address find it again;
 * when it cannot be had, port-changed is TRUE. 0 (the default): none.
 */
void              mira_server_thread_set_first_port (MiraServerThread *self,
                                                     guint             port);
/* Starts the thread and returns once the server listens or failed */
gboolean          mira_server_thread_start        (MiraServerThread         *self,
                                                   GError                  **error);
/* The same on a worker thread, for owners that must not block */
void              mira_server_thread_start_async  (MiraServerThread         *self,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
gboolean          mira_server_thread_start_finish (MiraServerThread         *self,
                                                   GAsyncResult             *result,
                                                   GError                  **error);
/* e.g. "http://127.0.0.1:8080" while running, else NULL */
const char       *mira_server_thread_get_url      (MiraServerThread         *self);
guint             mira_server_thread_get_port     (MiraServerThread         *self);
/* TRUE when the first port tried (the first port, else the one given to
 * new()) was taken and another one is used
 */
gboolean          mira_server_thread_get_port_changed (MiraServerThread     *self);
/* The server's thread's context, e.g. to run something on it */
GMainContext     *mira_server_thread_get_context  (MiraServerThread         *self);
/* Stops the server (requests under way finish), frees it and the store,
 * and joins the thread. Does nothing when not running.
 */
void              mira_server_thread_stop         (MiraServerThread         *self);

G_END_DECLS
