/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-poller"

#include "mira-poller.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct _MiraPollerWatch
{
  int             fd;
  guint32         events;
  MiraPollerFunc  func;
  gpointer        user_data;
  gboolean        dead;
};

typedef struct
{
  GSource     source;
  MiraPoller *poller;
} PollerSource;

struct _MiraPoller
{
  int        epfd;
  GSource   *source;
  gpointer   tag;
  GPtrArray *dead;       /* watches unwatched during a dispatch: freed after it */
  gboolean   dispatching;
  gint64     coalesce_us;
};

static gboolean
poller_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  MiraPoller *self = ((PollerSource *) source)->poller;
  struct epoll_event events[MAX_EVENTS];
  int n, total = 0;

  do
    {
      n = epoll_wait (self->epfd, events, MAX_EVENTS, 0);
      if (n < 0 && errno != EINTR)
        g_critical ("epoll_wait: %s", g_strerror (errno));

      self->dispatching = TRUE;
      for (int i = 0; i < n; i++)
        {
          MiraPollerWatch *watch = events[i].data.ptr;

          if (!watch->dead)
            watch->func (watch->user_data, events[i].events);
        }
      self->dispatching = FALSE;
      g_ptr_array_set_size (self->dead, 0);
      total += MAX (n, 0);
    }
  while (n == MAX_EVENTS);

  /* Busy: let the next events gather for a moment, then take them all in
   * one go. Idle: wake up at the first one.
   */
  if (self->coalesce_us > 0 && total > 0)
    {
      g_source_modify_unix_fd (source, self->tag, 0);
      g_source_set_ready_time (source, g_get_monotonic_time () + self->coalesce_us);
    }
  else
    {
      g_source_modify_unix_fd (source, self->tag, G_IO_IN);
      g_source_set_ready_time (source, -1);
    }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_funcs = {
  NULL, NULL, poller_dispatch, NULL, NULL, NULL,
};

MiraPoller *
mira_poller_new (GMainContext  *context,
                 GError       **error)
{
  MiraPoller *self;
  int epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (epfd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "epoll_create1: %s",
                   g_strerror (saved));
      return NULL;
    }
  self = g_new0 (MiraPoller, 1);
  self->epfd = epfd;
  self->dead = g_ptr_array_new_with_free_func (g_free);
  self->source = g_source_new (&poller_funcs, sizeof (PollerSource));
  ((PollerSource *) self->source)->poller = self;
  g_source_set_name (self->source, "mira-poller");
  self->tag = g_source_add_unix_fd (self->source, epfd, G_IO_IN);
  g_source_attach (self->source, context);
  return self;
}

void
mira_poller_set_coalesce (MiraPoller *self,
                          gint64      coalesce_us)
{
  self->coalesce_us = MAX (coalesce_us, 0);
}

/* The watches must be gone: their owners unwatch them first. */
void
mira_poller_free (MiraPoller *self)
{
  if (self == NULL)
    return;
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_ptr_array_unref (self->dead);
  close (self->epfd);
  g_free (self);
}

MiraPollerWatch *
mira_poller_watch (MiraPoller     *self,
                   int             fd,
                   guint32         events,
                   MiraPollerFunc  func,
                   gpointer        user_data)
{
  MiraPollerWatch *watch = g_new0 (MiraPollerWatch, 1);
  struct epoll_event ev = { 0 };

  watch->fd = fd;
  watch->events = events;
  watch->func = func;
  watch->user_data = user_data;
  ev.events = events;
  ev.data.ptr = watch;
  if (epoll_ctl (self->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
    g_critical ("epoll_ctl ADD %d: %s", fd, g_strerror (errno));
  return watch;
}

void
mira_poller_set_events (MiraPoller      *self,
                        MiraPollerWatch *watch,
                        guint32          events)
{
  struct epoll_event ev = { 0 };

  if (watch->events == events)
    return;
  watch->events = events;
  ev.events = events;
  ev.data.ptr = watch;
  if (epoll_ctl (self->epfd, EPOLL_CTL_MOD, watch->fd, &ev) != 0)
    g_critical ("epoll_ctl MOD %d: %s", watch->fd, g_strerror (errno));
}

void
mira_poller_unwatch (MiraPoller      *self,
                     MiraPollerWatch *watch)
{
  if (watch == NULL)
    return;
  /* The descriptor may be closed already, which removed it. */
  epoll_ctl (self->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
  watch->dead = TRUE;
  /* Events of this dispatch may still name it. */
  if (self->dispatching)
    g_ptr_array_add (self->dead, watch);
  else
    g_free (watch);
}
