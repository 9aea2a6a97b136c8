/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-api.h"
#include "mira-grants.h"
#include "mira-server.h"

G_BEGIN_DECLS

const MiraApiConfig *mira_server_get_api_config  (MiraServer              *self);
/* Sockets the server closes at shutdown. */
void                 mira_server_track_socket    (MiraServer              *self,
                                                  SoupWebsocketConnection *conn);
void                 mira_server_untrack_socket  (MiraServer              *self,
                                                  SoupWebsocketConnection *conn);

GMainContext        *mira_server_get_context     (MiraServer              *self);
/* What let each open socket in: sockets add theirs once authenticated. */
MiraGrants          *mira_server_get_grants      (MiraServer              *self);

typedef void (*MiraInternalFunc) (MiraApiCall *call,
                                  gpointer     user_data);

/* Runs an API call on the server's behalf (as admin), e.g. to store an
 * interaction of the audio pipeline; publishes its events like any request.
 * @path is relative to /api/v1/. From any thread: the call is made on the
 * server's, @callback called on the caller's thread-default context (with
 * the status, response and network of the call).
 */
void                 mira_server_internal_call   (MiraServer              *self,
                                                  const char              *method,
                                                  const char              *path,
                                                  const char              *body,
                                                  MiraInternalFunc         callback,
                                                  gpointer                 user_data);
/* Same with an explicit route, arguments (taken) and query; with @token the
 * call is authenticated like a client's, without it it acts as admin. On
 * the server's thread only.
 */
void                 mira_server_internal_route  (MiraServer              *self,
                                                  const MiraApiRoute      *route,
                                                  GPtrArray               *args,
                                                  GHashTable              *query,
                                                  const char              *token,
                                                  MiraInternalFunc         callback,
                                                  gpointer                 user_data);

/* Publishes @event (taken) on the event bus, from any thread: subscribers
 * are called on the server's.
 */
void                 mira_server_publish         (MiraServer              *self,
                                                  const char              *network_id,
                                                  JsonObject              *event);

G_END_DECLS
