/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* What allowed each open socket (event and audio) in, checked again against
 * the database so that no socket outlives it: its token (a rotated network
 * token, an ended session, a re-registered or deregistered client), its
 * network (suspended, deleted) and, for an audio socket, its client
 * (deregistered). A check runs right after a write of this process that can
 * revoke (mira_grants_check()), and every MIRA_GRANTS_INTERVAL_S seconds for
 * the writes of any other process (the command line, another server on the
 * same PostgreSQL database); it costs three queries per MIRA_GRANTS_BATCH
 * distinct tokens or networks. On the server's thread only.
 */

#define MIRA_GRANTS_INTERVAL_S 2
#define MIRA_GRANTS_BATCH      256
/* Sockets (event and audio together) one token may hold open at once; the
 * admin token is not counted. A device needs two, a reconnect storm a few
 * more while the old ones close.
 */
#define MIRA_GRANTS_MAX_PER_TOKEN 32

typedef struct _MiraGrants MiraGrants;

/* Called once, on the server's thread, when what a socket was granted no
 * longer holds: @error_code is TOKEN_REVOKED, NETWORK_SUSPENDED,
 * NETWORK_NOT_FOUND or CLIENT_NOT_FOUND; @reason is short enough for a
 * close frame. The socket's owner closes it (1008) and removes its grant.
 */
typedef void (*MiraGrantRevoked) (gpointer    user_data,
                                  const char *error_code,
                                  const char *reason);

MiraGrants *mira_grants_new     (MiraStore        *store);
/* Waits for nothing: a check under way finishes and frees what is left. */
void        mira_grants_free    (MiraGrants       *self);
/* @token: the one the socket authenticated with, NULL for the admin token
 * (which no database write revokes); @client_id: the client the socket is
 * of (an audio socket's, a session token's), else NULL. Returns an id for
 * mira_grants_remove(), or 0 when @token holds MIRA_GRANTS_MAX_PER_TOKEN
 * sockets already: the caller refuses this one (1008 TOO_MANY_SOCKETS).
 */
guint       mira_grants_add     (MiraGrants       *self,
                                 const char       *token,
                                 const char       *network_id,
                                 const char       *client_id,
                                 MiraGrantRevoked  revoked,
                                 gpointer          user_data);
void        mira_grants_remove  (MiraGrants       *self,
                                 guint             id);
/* Checks every grant now (after the check under way, if one is). */
void        mira_grants_check   (MiraGrants       *self);
/* No check under way. */
gboolean    mira_grants_is_idle (MiraGrants       *self);

G_END_DECLS
