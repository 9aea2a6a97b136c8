/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Many file descriptors behind one GSource: a GMainContext polls each of its
 * sources on every iteration, which costs as much as the sources it holds;
 * a poller is one epoll descriptor in the context, and an iteration costs
 * only as much as the descriptors that are ready. Level-triggered.
 * A poller and its watches belong to the thread that runs the context.
 */

typedef struct _MiraPoller      MiraPoller;
typedef struct _MiraPollerWatch MiraPollerWatch;

/* @events: the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits that are ready. */
typedef void (*MiraPollerFunc) (gpointer user_data,
                                guint32  events);

MiraPoller      *mira_poller_new        (GMainContext    *context,
                                         GError         **error);
void             mira_poller_free       (MiraPoller      *poller);
/* Once descriptors were ready, look again only after @coalesce_us: under
 * load, each wakeup then handles many of them. 0 (the default): at once.
 */
void             mira_poller_set_coalesce (MiraPoller    *poller,
                                         gint64           coalesce_us);

MiraPollerWatch *mira_poller_watch      (MiraPoller      *poller,
                                         int              fd,
                                         guint32          events,
                                         MiraPollerFunc   func,
                                         gpointer         user_data);
void             mira_poller_set_events (MiraPoller      *poller,
                                         MiraPollerWatch *watch,
                                         guint32          events);
/* Safe from within any watch's callback, its own included. */
void             mira_poller_unwatch    (MiraPoller      *poller,
                                         MiraPollerWatch *watch);

G_END_DECLS
