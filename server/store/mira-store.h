/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* MiraStore owns a pool of worker threads, each with its own MiraDb
 * connection to one database. Work is submitted as a function that runs on a
 * worker with that worker's connection; the result comes back through a GTask
 * on the caller's thread-default GMainContext. Nothing here blocks the caller.
 */

typedef gpointer (*MiraStoreFunc) (MiraDb    *db,
                                   gpointer   data,
                                   GError   **error);

MiraStore     *mira_store_new            (const char           *uri,
                                          guint                 n_workers,
                                          GError              **error);
void           mira_store_free           (MiraStore            *store);
const char    *mira_store_get_uri        (MiraStore            *store);
MiraDbDialect  mira_store_get_dialect    (MiraStore            *store);

/* @func runs on a worker; @data is freed with @data_free after the task
 * completes. The task's result is the pointer @func returns, freed with
 * @result_free if nobody takes it.
 */
void           mira_store_run_async      (MiraStore            *store,
                                          MiraStoreFunc         func,
                                          gpointer              data,
                                          GDestroyNotify        data_free,
                                          GDestroyNotify        result_free,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gpointer       mira_store_run_finish     (MiraStore            *store,
                                          GAsyncResult         *result,
                                          GError              **error);

/* Blocking variant for command-line tools and tests: runs @func on a worker
 * and waits for it.
 */
gpointer       mira_store_run_sync       (MiraStore            *store,
                                          MiraStoreFunc         func,
                                          gpointer              data,
                                          GError              **error);

/* Whether the last store work reached the database; updated by the workers. */
gboolean       mira_store_is_healthy     (MiraStore            *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraStore, mira_store_free)

G_END_DECLS
