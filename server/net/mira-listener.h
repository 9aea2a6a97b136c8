/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Accepts the connections of a SoupServer and bounds what each may cost
 * before a handler sees it. Times in milliseconds, 0 for the default.
 */
typedef struct {
  guint headers_timeout_ms;   /* a request's line and headers, idle keep-alive included: 20 s */
  guint body_timeout_ms;      /* silence inside a body: 20 s */
  guint body_min_rate;        /* bytes/s a body must average after body_timeout_ms: 16 KiB/s */
  guint max_connections;      /* HTTP connections at once (not upgraded ones): from RLIMIT_NOFILE */
} MiraListenerLimits;

/* Largest body @msg may have (its headers are in), in bytes. */
typedef gsize (*MiraBodyLimitFunc) (SoupServerMessage *msg,
                                    gpointer           user_data);

typedef struct _MiraListener MiraListener;

MiraListener *mira_listener_new             (SoupServer               *soup,
                                             const MiraListenerLimits *limits,
                                             MiraBodyLimitFunc         body_limit,
                                             gpointer                  user_data);
void          mira_listener_free            (MiraListener             *self);
gboolean      mira_listener_listen          (MiraListener             *self,
                                             GSocketAddress           *address,
                                             GTlsCertificate          *certificate,
                                             GError                  **error);
void          mira_listener_stop            (MiraListener             *self);
void          mira_listener_release         (MiraListener             *self,
                                             SoupServerMessage        *msg);
guint         mira_listener_get_n_connections (MiraListener           *self);
void          mira_listener_raise_fd_limit  (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraListener, mira_listener_free)

G_END_DECLS
