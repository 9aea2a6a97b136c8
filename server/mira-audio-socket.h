/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-types.h"

G_BEGIN_DECLS

typedef enum {
  MIRA_AUDIO_SOCKET_WYOMING,   /* /api/v1/{network_id}/streams/{client_id}/ws?codec=pcm|opus */
  MIRA_AUDIO_SOCKET_PCM,       /* /ws_pcm?token=&device_name= */
  MIRA_AUDIO_SOCKET_OMI,       /* /ws_omi?token=&device_name= (Opus) */
} MiraAudioSocketKind;

/* Takes over a freshly upgraded audio socket: authenticates it off the loop,
 * answers {"type":"ready"}, then decodes, scores and arbitrates its audio.
 * @network_id is NULL for the aliases, whose token names the network.
 */
void mira_audio_socket_accept (MiraServer              *server,
                               SoupWebsocketConnection *conn,
                               MiraAudioSocketKind      kind,
                               const char              *network_id,
                               const char              *client_id,
                               const char              *token,
                               const char              *codec);

G_END_DECLS
