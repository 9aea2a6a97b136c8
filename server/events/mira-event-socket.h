/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* /api/v1/{network_id}/ws: the event sockets of every network, each
 * streaming its network's events from the bus. On the bus's thread.
 */
typedef struct _MiraEventSockets MiraEventSockets;
typedef struct _MiraGrants       MiraGrants;

/* What authenticating an event socket found. */
typedef struct {
  /* Refused: why, a MIRA_GRANTS_ERROR or MIRA_DB_ERROR (the socket closes
   * as mira_grants_error_close() says); NULL: allowed.
   */
  const GError *error;
  /* Allowed: the client of a session token (public id), or NULL; the token
   * to watch for revocation (NULL for the admin token).
   */
  const char   *client_id;
  const char   *grant_token;
} MiraEventAuth;

typedef void (*MiraEventAuthDone) (const MiraEventAuth *auth,
                                   gpointer             done_data);
/* Decides whether @token may read the events of @network_id; calls @done
 * once, on the calling thread, later.
 */
typedef void (*MiraEventAuthFunc) (gpointer           user_data,
                                   const char        *network_id,
                                   const char        *token,
                                   MiraEventAuthDone  done,
                                   gpointer           done_data);

MiraEventSockets *mira_event_sockets_new       (MiraEventBus            *bus,
                                                MiraGrants              *grants,
                                                MiraEventAuthFunc        authenticate,
                                                gpointer                 auth_data);
/* Once every socket closed (mira_event_sockets_close_all()). */
void              mira_event_sockets_free      (MiraEventSockets        *self);
/* Takes over a freshly upgraded event socket of @network_id: authenticates
 * @token off the loop, then streams every event of the network to it.
 */
void              mira_event_sockets_accept    (MiraEventSockets        *self,
                                                SoupWebsocketConnection *conn,
                                                GSocket                 *socket,
                                                const char              *network_id,
                                                const char              *token);
/* Closes every event socket with 1001 and @reason. */
void              mira_event_sockets_close_all (MiraEventSockets        *self,
                                                const char              *reason);
guint             mira_event_sockets_get_n_open (MiraEventSockets       *self);

G_END_DECLS
