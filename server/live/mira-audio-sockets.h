/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-types.h"

G_BEGIN_DECLS

#define MIRA_AUDIO_SOCKETS_ERROR (mira_audio_sockets_error_quark ())

/* What a peer does that closes its audio socket, beside breaking the
 * protocol (MIRA_WYOMING_ERROR) or sending audio that is not
 * (MIRA_AUDIO_ERROR)
 */
typedef enum {
  MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_FORMATS,  /* the audio's format changed too often */
  MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_EVENTS,   /* control events faster than allowed */
  MIRA_AUDIO_SOCKETS_ERROR_BAD_AUDIO,         /* nothing but undecodable audio for a while */
} MiraAudioSocketsError;

GQuark            mira_audio_sockets_error_quark (void);

/* The close code and `error` string an audio socket closes with for
 * @error, whatever its domain: what refused or revoked it
 * (MIRA_GRANTS_ERROR, MIRA_DB_ERROR) as mira_grants_error_close() says;
 * else 1009 MESSAGE_TOO_LARGE (a message, header or payload over its
 * limit), 1003 INVALID_AUDIO (malformed, or audio that does not decode),
 * 1008 INVALID_AUDIO (anything else: policy).
 */
gushort           mira_audio_sockets_error_close (const GError  *error,
                                                  const char   **error_code);

typedef enum {
  MIRA_AUDIO_SOCKET_WYOMING,   /* /api/v1/{network_id}/streams/{client_id}/ws?codec=pcm|opus */
  MIRA_AUDIO_SOCKET_PCM,       /* /ws_pcm?token=&device_name= */
  MIRA_AUDIO_SOCKET_OMI,       /* /ws_omi?token=&device_name= (Opus) */
} MiraAudioSocketKind;

/* Every device's microphone socket. The sockets are read, parsed and
 * decoded on a few audio threads, each polling its share of them; the
 * 16 kHz samples go to the audio hub on the server's thread in batches.
 * Authentication, events and transcripts stay on the server's thread.
 */
typedef struct _MiraAudioSockets MiraAudioSockets;
typedef struct _MiraAudioHub     MiraAudioHub;
typedef struct _MiraGrants       MiraGrants;

/* What authenticating an audio socket found. */
typedef struct {
  /* Refused: why, a MIRA_GRANTS_ERROR or MIRA_DB_ERROR (the socket closes
   * as mira_audio_sockets_error_close() says); NULL: allowed.
   */
  const GError *error;
  /* Allowed: the socket's network and client (public ids), the client's
   * RSSI (NAN when unknown), and the token to watch for revocation (NULL
   * for the admin token).
   */
  const char   *network_id;
  const char   *client_id;
  double        rssi;
  const char   *grant_token;
} MiraAudioAuth;

typedef void (*MiraAudioAuthDone) (const MiraAudioAuth *auth,
                                   gpointer             done_data);
/* Decides whether @token may stream as @client_id (NULL: the token's
 * client, or one named after the device) of @network_id (NULL: the
 * token's network), registering a new client when that is how @kind
 * works; calls @done once, on the calling thread, later.
 */
typedef void (*MiraAudioAuthFunc) (gpointer             user_data,
                                   MiraAudioSocketKind  kind,
                                   const char          *network_id,
                                   const char          *client_id,
                                   const char          *token,
                                   MiraAudioAuthDone    done,
                                   gpointer             done_data);

/* On the thread of @bus's context. @store and @bus: the clients' presence
 * (connected, disconnected) is written and published; @grants close a
 * socket whose token, network or client is gone. @n_threads 0: one per
 * processor.
 */
MiraAudioSockets *mira_audio_sockets_new       (MiraStore           *store,
                                                MiraEventBus        *bus,
                                                MiraGrants          *grants,
                                                MiraAudioAuthFunc    authenticate,
                                                gpointer             auth_data,
                                                guint                n_threads,
                                                GError             **error);
/* The hub the sockets' audio goes to, built on their threads' contexts;
 * before any socket is accepted.
 */
void              mira_audio_sockets_set_hub   (MiraAudioSockets    *self,
                                                MiraAudioHub        *hub);
/* Presence writes under way (the server waits for them at shutdown). */
guint             mira_audio_sockets_get_n_writing (MiraAudioSockets *self);
/* Stops the audio threads and drops the sockets still open. */
void              mira_audio_sockets_free      (MiraAudioSockets    *self);

/* Takes over an upgraded audio socket (soup_server_message_steal_connection()):
 * authenticates it, answers {"type":"ready"}, then decodes, scores and
 * arbitrates its audio. @network_id is NULL for the aliases, whose token
 * names the network.
 */
void              mira_audio_sockets_accept    (MiraAudioSockets    *self,
                                                GIOStream           *stream,
                                                MiraAudioSocketKind  kind,
                                                const char          *network_id,
                                                const char          *client_id,
                                                const char          *token,
                                                const char          *codec);

/* Closes every audio socket with 1001 and @reason. */
void              mira_audio_sockets_close_all (MiraAudioSockets    *self,
                                                const char          *reason);
guint             mira_audio_sockets_get_n_open (MiraAudioSockets   *self);
/* Prometheus text: sockets, messages and CPU time of each audio thread.
 * From any thread.
 */
void              mira_audio_sockets_append_metrics (MiraAudioSockets *self,
                                                     GString          *out);
/* The audio threads' contexts: the audio hub's shards. */
GMainContext    **mira_audio_sockets_get_contexts (MiraAudioSockets *self,
                                                 guint            *n_contexts);

G_END_DECLS
