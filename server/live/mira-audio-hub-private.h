/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-arbiter.h"
#include "mira-audio-hub.h"
#include "mira-event-bus.h"
#include "mira-sphinx.h"

G_BEGIN_DECLS

/* What the audio hub's files share: mira-audio-hub.c (the hub, its shards
 * and its entry points), mira-audio-hub-network.c (a network's state: its
 * streams, snapshot, scores and events, and the grace before its
 * conversation closes), mira-audio-hub-utterance.c (the job that takes
 * an utterance to a transcript and an interaction) and
 * mira-audio-hub-speech.c (a network's transcriber, and the decode that
 * follows its utterance while it is spoken). Nothing outside them
 * includes this.
 */

typedef struct _Network Network;
typedef struct _Shard   Shard;

struct _MiraAudioStream
{
  Network            *network;
  char               *client_id;
  gboolean            registered;   /* a client of the network, not just an upload's stream id */
  double              rssi;
  MiraScorer         *scorer;
  GArray             *frames;       /* scratch: MiraFrameFeatures */
  MiraStreamMetrics   metrics;
  gint64              last_audio_us;
  char               *last_audio_at;
  gboolean            stopped;
  GArray             *targets;      /* Target: the sockets of the client, the newest last */
  guint64             dropped;      /* packets its sockets could not decode */
  guint               users;        /* sockets and uploads using it */
  MiraSphinxCmn       cmn;          /* with has_cmn: the cepstral mean of its last utterance */
  gboolean            has_cmn;
};

/* Where a stream's transcripts go: one of its client's live sockets */
typedef struct
{
  MiraTranscriptFunc  func;
  gpointer            user_data;
} Target;

struct _Network
{
  MiraAudioHub *hub;
  Shard        *shard;
  char         *network_id;
  MiraArbiter  *arbiter;
  GPtrArray    *streams;            /* MiraAudioStream* */
  guint         timer;
  gint64        last_emit_us;
  guint         grace;              /* every stream stopped: conversations close after it */
  guint         transcribing;       /* utterances on their way to an interaction */
  struct _Pending *early;           /* transcribing before the window closed */
  /* The open utterance decoded as it comes (mira-audio-hub-speech.c) */
  MiraSphinxDecode *decode;
  MiraTranscriber  *decode_transcriber;  /* whose decode it is */
  char             *decode_stream;       /* the stream whose audio it decodes */
  gsize             decode_pushed;       /* samples of the window pushed to it */
  gsize             decode_taken;        /* the early transcription took this much */
  gboolean          decode_none;         /* the transcriber decodes only whole utterances */
  gboolean          reading_speech;      /* its speech settings are being read */
};

/* The networks whose audio one thread handles, and everything they do. */
struct _Shard
{
  MiraAudioHub    *hub;
  GMainContext    *context;
  GHashTable      *networks;        /* network_id → Network*; NULL once the hub is gone */
  guint            ref_count;       /* the hub's, and one per utterance under way */
};

struct _MiraAudioHub
{
  MiraStore       *store;
  MiraEventBus    *bus;
  MiraTranscriber *transcriber;
  gboolean         extract;         /* the built-in extractor reads each interaction */
  Shard          **shards;
  guint            n_shards;
  GMutex           lock;            /* guards the snapshots and the assignments */
  GHashTable      *snapshots;       /* network_id → JsonObject {"streams","best_stream"} */
  GHashTable      *assigned;        /* network_id → shard index + 1 */
  guint           *n_assigned;      /* networks per shard */
  gint             busy;            /* utterances and writes under way, every shard */
  /* Under the lock: network_id → the transcriber its "transcriber" setting
   * names and the language of its "language" setting (mira-audio-hub-speech.c);
   * forgotten when one changes
   */
  GHashTable      *speech;
  guint            speech_age;       /* one more at each change of a setting */
  guint            settings_watch;   /* the bus subscription */
};

/* mira-audio-hub.c */

Shard           *mira_audio_hub_shard_ref                 (Shard                   *shard);
void             mira_audio_hub_shard_unref               (Shard                   *shard);

/* mira-audio-hub-network.c */

/* The network's state, made on its shard's thread when its first stream
 * comes; a shard's networks free it with mira_audio_hub_network_free().
 */
Network         *mira_audio_hub_network_ensure            (MiraAudioHub            *hub,
                                                           const char              *network_id);
void             mira_audio_hub_network_free              (gpointer                 data);
MiraAudioStream *mira_audio_hub_network_find_stream       (Network                 *network,
                                                           const char              *client_id);
/* Rebuilds the network's snapshot; returns its streams array for an event. */
JsonArray       *mira_audio_hub_network_update_snapshot   (Network                 *network);
/* Forgets the network once nothing holds it: no stream, utterance, grace
 * or transcription.
 */
void             mira_audio_hub_network_maybe_forget      (Network                 *network);
/* When every stream of the network has stopped, its conversation ends after a grace. */
void             mira_audio_hub_network_check_all_stopped (Network                 *network);
JsonObject      *mira_audio_hub_network_new_event         (Network                 *network,
                                                           const char              *type);
/* Takes @event. */
void             mira_audio_hub_network_publish           (Network                 *network,
                                                           JsonObject              *event);
/* The stream object of the API. */
JsonObject      *mira_audio_hub_scores_json               (const char              *stream_id,
                                                           const MiraStreamMetrics *metrics,
                                                           double                   quality,
                                                           gboolean                 active,
                                                           gboolean                 best,
                                                           const char              *timestamp);

/* mira-audio-hub-utterance.c */

/* The arbiter's utterance_early and utterance_done, @user_data the Network:
 * transcribe early, then store the interaction once the window closes on
 * the same utterance. Take @utterance.
 */
void             mira_audio_hub_utterance_early           (gpointer                 user_data,
                                                           MiraUtterance           *utterance);
void             mira_audio_hub_utterance_done            (gpointer                 user_data,
                                                           MiraUtterance           *utterance);
/* An early transcription whose utterance went on: dropped once it is done. */
void             mira_audio_hub_utterance_abandon_early   (Network                 *network);

/* mira-audio-hub-speech.c */

/* The transcribers and languages the networks' settings name, kept until
 * they change
 */
void             mira_audio_hub_speech_init               (MiraAudioHub            *hub);
void             mira_audio_hub_speech_clear              (MiraAudioHub            *hub);
/* Calls @func with the network's transcriber, the one its "transcriber"
 * setting names, else the hub's, and @language, its "language" setting
 * (default "en"); at once when they are known, else once the settings are
 * read. @transcriber NULL: the hub is gone. @func NULL: only finds out,
 * for later.
 */
typedef void (*MiraAudioHubSpeechFunc) (MiraTranscriber *transcriber,
                                        const char      *language,
                                        gpointer         user_data);
void             mira_audio_hub_speech_get                (Network                 *network,
                                                           MiraAudioHubSpeechFunc   func,
                                                           gpointer                 user_data);
/* After the arbiter took @stream's audio: the decode of the open
 * utterance follows the best stream, and is given what is new of it.
 */
void             mira_audio_hub_speech_follow             (Network                 *network,
                                                           MiraAudioStream         *stream);
/* The decode of @utterance when it followed its winning stream, or NULL;
 * *@transcriber_out gets whose decode it is (a reference). Either way no
 * decode follows the network's utterance any more (@early: until voice
 * comes back, and the window goes on).
 */
MiraSphinxDecode *mira_audio_hub_speech_take_decode       (Network                 *network,
                                                           MiraUtterance           *utterance,
                                                           gboolean                 early,
                                                           MiraTranscriber        **transcriber_out);
/* No decode follows the network's utterance any more */
void             mira_audio_hub_speech_stop               (Network                 *network);

G_END_DECLS
