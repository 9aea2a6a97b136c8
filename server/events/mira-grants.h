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

#define MIRA_GRANTS_ERROR (mira_grants_error_quark ())

/* Why a socket (event or audio) is not let in, or may stay open no longer.
 * Each code is named after the `error` the socket says it with
 * (mira_grants_error_close()).
 */
typedef enum {
  MIRA_GRANTS_ERROR_AUTH_REQUIRED,           /* no token */
  MIRA_GRANTS_ERROR_INVALID_TOKEN,           /* a token nobody holds */
  MIRA_GRANTS_ERROR_NETWORK_TOKEN_REQUIRED,  /* the admin token where a network's is needed */
  MIRA_GRANTS_ERROR_FORBIDDEN,               /* a session token for another client */
  MIRA_GRANTS_ERROR_INVALID_CLIENT_ID,       /* a client id that cannot be one */
  MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND,       /* no such network, or deleted */
  MIRA_GRANTS_ERROR_NETWORK_SUSPENDED,
  MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND,        /* not registered, or deregistered */
  MIRA_GRANTS_ERROR_TOKEN_REVOKED,           /* rotated, or its session ended */
  MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS,        /* MIRA_GRANTS_MAX_PER_TOKEN open already */
} MiraGrantsError;

GQuark      mira_grants_error_quark (void);

/* The close code and `error` string a socket is refused or closed with for
 * @error: 1008 POLICY_VIOLATION and the code's name for MIRA_GRANTS_ERROR;
 * 1011 DATABASE_UNAVAILABLE when the database could not be reached
 * (MIRA_DB_ERROR_UNAVAILABLE); 1008 INTERNAL_ERROR for anything else. The
 * audio sockets' mira_audio_sockets_error_close() answers these domains
 * with it.
 */
gushort     mira_grants_error_close (const GError  *error,
                                     const char   **error_code);

/* Called once, on the server's thread, when what a socket was granted no
 * longer holds: @error is MIRA_GRANTS_ERROR_TOKEN_REVOKED,
 * _NETWORK_SUSPENDED, _NETWORK_NOT_FOUND or _CLIENT_NOT_FOUND, its message
 * short enough for a close frame. The socket's owner closes it (1008) and
 * removes its grant.
 */
typedef void (*MiraGrantRevoked) (gpointer      user_data,
                                  const GError *error);

MiraGrants *mira_grants_new     (MiraStore        *store);
/* Waits for nothing: a check under way finishes and frees what is left. */
void        mira_grants_free    (MiraGrants       *self);
/* @token: the one the socket authenticated with, NULL for the admin token
 * (which no database write revokes); @client_id: the client the socket is
 * of (an audio socket's, a session token's), else NULL. Returns an id for
 * mira_grants_remove(), or 0 with MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS when
 * @token holds MIRA_GRANTS_MAX_PER_TOKEN sockets already: the caller
 * refuses this one.
 */
guint       mira_grants_add     (MiraGrants       *self,
                                 const char       *token,
                                 const char       *network_id,
                                 const char       *client_id,
                                 MiraGrantRevoked  revoked,
                                 gpointer          user_data,
                                 GError          **error);
void        mira_grants_remove  (MiraGrants       *self,
                                 guint             id);
/* Checks every grant now (after the check under way, if one is). */
void        mira_grants_check   (MiraGrants       *self);
/* No check under way. */
gboolean    mira_grants_is_idle (MiraGrants       *self);

G_END_DECLS
