/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <pthread.h>

#include "mira-audio-decoder.h"
#include "mira-audio-hub.h"
#include "mira-audio-sockets.h"
#include "mira-mailbox.h"
#include "mira-poller.h"
#include "mira-scorer.h"
#include "mira-websocket.h"
#include "mira-wyoming.h"

G_BEGIN_DECLS

/* What the audio sockets' files share: mira-audio-sockets.c (the set and
 * the server's half of each socket: accept, authenticate, assign, close),
 * mira-audio-sockets-peer.c (a socket as its audio thread reads it: the
 * Wyoming events, decoding, scoring, limits, transcripts),
 * mira-audio-sockets-thread.c (the audio threads: their loop, what the
 * server's thread sends down, a WebSocket opened and closed) and
 * mira-audio-sockets-presence.c (whether a client is connected, over all
 * its sockets). Nothing outside them includes this.
 */

/* The largest WebSocket message an audio socket takes (1009 above). */
#define MAX_MESSAGE_BYTES (256 * 1024)

typedef struct _AudioThread AudioThread;

typedef struct
{
  gint                 ref_count;
  MiraAudioSockets    *owner;
  AudioThread         *thread;
  GIOStream           *stream;
  MiraAudioSocketKind  kind;
  char                *codec;
  char                *network_id;
  char                *client_id;

  double               rssi;

  /* The server's thread */
  gboolean             closed;
  gboolean             authed;
  gboolean             client_gone;    /* deregistered, or its network deleted */
  guint                grant;          /* ends the socket when what let it in is revoked */

  /* The audio thread */
  MiraWebsocket       *ws;
  MiraAudioStream     *hub_stream;
  gboolean             ended;          /* the WebSocket came and went */
  gboolean             failed;         /* said why it closes: the rest is not read */
  MiraWyomingParser   *parser;
  MiraAudioDecoder    *decoder;
  guint                format[4];      /* rate, width, channels, Opus of @decoder */
  double               format_allowance;
  gint64               format_at;
  double               control_allowance;
  gint64               control_at;
  MiraScorer          *scorer;
  GArray              *pcm;            /* scratch: decoded samples */
  GArray              *frames;         /* scratch: MiraFrameFeatures */
  GPtrArray           *events;         /* scratch: parsed events */
  guint64              bad_packets;    /* dropped: undecodable or not whole */
  gint64               bad_since_us;   /* nothing but bad packets since, or 0 */
  gint64               warned_us;      /* the last warning message */
  guint                concealed_run;  /* bad packets in a row stood in for */
} Peer;

struct _AudioThread
{
  MiraAudioSockets *owner;
  GThread          *thread;
  GMainContext     *context;
  gint              quit;
  MiraPoller       *poller;
  MiraMailbox       down;       /* to this thread */
  MiraMailbox       up;         /* to the server's thread */
  /* This thread's */
  GHashTable       *live;       /* Peer* with a WebSocket */
  /* For /metrics, from any thread */
  pthread_t         pthread;
  gint              running;
  gint              n_live;
  guint64           messages;
  guint64           bad_packets;
  /* The server's */
  guint             n_peers;
};

struct _MiraAudioSockets
{
  MiraStore   *store;
  MiraEventBus *bus;
  MiraGrants  *grants;
  MiraAudioHub *hub;
  MiraAudioAuthFunc authenticate;
  gpointer     auth_data;
  guint        writing;         /* presence writes under way */
  AudioThread *threads;
  GMainContext **contexts;
  guint        n_threads;
  GHashTable  *peers;           /* Peer*, not yet closed: the server's thread */
  GHashTable  *presence;        /* "network_id client_id" → Presence: the server's thread */
};

/* Up: the socket is gone. */
typedef struct
{
  Peer *peer;
} Up;

typedef enum {
  DOWN_START,
  DOWN_CLOSE,
} DownKind;

typedef struct
{
  DownKind  kind;
  Peer     *peer;
  char     *text;
  gushort   code;
  char     *reason;
} Down;

/* mira-audio-sockets-peer.c */

Peer         *mira_audio_sockets_peer_ref        (Peer         *peer);
/* The last of the two halves frees it, on whichever thread. */
void          mira_audio_sockets_peer_unref      (Peer         *peer);
char         *mira_audio_sockets_json_text       (JsonObject   *object);
/* {"type":"error","error":@error_code,"message":@message} */
char         *mira_audio_sockets_error_text      (const char   *error_code,
                                                  const char   *message);
/* On the audio thread, while the WebSocket is open */
void          mira_audio_sockets_peer_send_text  (Peer         *peer,
                                                  const char   *text);
MiraAudioHub *mira_audio_sockets_peer_hub        (Peer         *peer);
/* The WebSocket's message and too-big callbacks, and the hub's transcript
 * one; @user_data the Peer.
 */
void          mira_audio_sockets_peer_message    (gpointer      user_data,
                                                  gboolean      text,
                                                  const guint8 *data,
                                                  gsize         len);
void          mira_audio_sockets_peer_too_big    (gpointer      user_data,
                                                  guint64       size);
void          mira_audio_sockets_peer_transcript (gpointer      user_data,
                                                  const char   *text,
                                                  const char   *interaction_id);

/* mira-audio-sockets-thread.c */

/* The down mailbox's drain, @user_data the AudioThread */
gboolean      mira_audio_sockets_thread_drain_down (gpointer    user_data);
gpointer      mira_audio_sockets_thread_main       (gpointer    user_data);

/* mira-audio-sockets-presence.c */

void          mira_audio_sockets_presence_free   (gpointer      data);
/* @peer's socket counts for its client from now on (@delta 1) or no more (-1). */
void          mira_audio_sockets_presence_update (Peer         *peer,
                                                  int           delta);

G_END_DECLS
