/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-types.h"

G_BEGIN_DECLS

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

/* @n_threads 0: one per processor. */
MiraAudioSockets *mira_audio_sockets_new       (MiraServer          *server,
                                                guint                n_threads,
                                                GError             **error);
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
