/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* A write of the domain (mira-conversations.h and its kin) from outside the
 * REST API: the audio hub, the audio sockets, the sweeps. @func runs on a
 * store worker inside a transaction; once it is committed, the events
 * @func put in @events_out go out on @bus, then @done runs on the
 * thread-default main context of the thread that called
 * mira_store_write() (an audio thread, the server's).
 *
 * @func returns its result (non-NULL) or NULL with @error set, which rolls
 * the transaction back and drops its events. From a thread other than the
 * bus's, the result must share no JsonObject with the events (whose
 * references are not atomic): copy out what @done needs.
 */
typedef gpointer (*MiraWriteFunc) (MiraDb     *db,
                                   gpointer    data,
                                   GPtrArray  *events_out,
                                   GError    **error);

/* @result: @func's, freed with @result_free after @done returns; NULL with
 * @error when it failed, or when the database could not be reached.
 */
typedef void     (*MiraWriteDone) (gpointer      result,
                                   const GError *error,
                                   gpointer      user_data);

/* @data is freed with @data_free once @done ran; @done may be NULL. */
void mira_store_write (MiraStore      *store,
                       MiraEventBus   *bus,
                       MiraWriteFunc   func,
                       gpointer        data,
                       GDestroyNotify  data_free,
                       GDestroyNotify  result_free,
                       MiraWriteDone   done,
                       gpointer        user_data);

G_END_DECLS
