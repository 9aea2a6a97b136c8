/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Items handed from any thread to the thread that runs one GMainContext:
 * a post moves them in and, when the box was empty, schedules @drain once
 * in that context, where it takes everything posted so far. A mailbox is
 * kept inside its owner (init and clear), not allocated.
 */
typedef struct
{
  GMutex          lock;
  GPtrArray      *items;
  GDestroyNotify  free_func;
  GSource        *scheduled;    /* the drain to come */
  GMainContext   *context;
  GSourceFunc     drain;
  gpointer        data;
} MiraMailbox;

/* @free_func frees an item; @drain(@data) runs in @context. */
void       mira_mailbox_init     (MiraMailbox    *box,
                                  GMainContext   *context,
                                  GDestroyNotify  free_func,
                                  GSourceFunc     drain,
                                  gpointer        data);
/* The items still in @box are freed and the drain to come is cancelled. */
void       mira_mailbox_clear    (MiraMailbox    *box);
/* From any thread: @item is @box's from now on. */
void       mira_mailbox_post_one (MiraMailbox    *box,
                                  gpointer        item);
/* Everything posted so far, in order; the array frees its items. */
GPtrArray *mira_mailbox_take     (MiraMailbox    *box);

G_END_DECLS
