/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-scorer.h"
#include "mira-transcriber.h"
#include "mira-types.h"

G_BEGIN_DECLS

/* The live audio of every network on this server: for each network its
 * streams (scorer, rolling metrics), its arbiter, the stream_scores and
 * audio_stream_selected events, and the path from a chosen utterance to a
 * transcript and an interaction.
 *
 * The networks are spread over shards, one per audio thread: a network
 * lives on one shard for good, and everything of it (attach, detach, start,
 * stop, audio, timers, transcriptions) happens on that shard's thread, where
 * its sockets are read. The snapshot functions, mira_audio_hub_feed() and
 * mira_audio_hub_shard_for() may be called from any thread.
 */

typedef struct _MiraAudioHub     MiraAudioHub;
typedef struct _MiraAudioStream  MiraAudioStream;

/* Delivers a `transcript` message to the device whose utterance was chosen. */
typedef void (*MiraTranscriptFunc) (gpointer    user_data,
                                    const char *text,
                                    const char *interaction_id);

/* One shard per context: the audio threads'. Utterances become
 * interactions in @store, each said by the person whose voice it is, as
 * the REST API makes them (mira_speech_interactions_create()); every event
 * goes out on @bus. @transcriber NULL: audio is scored and arbitrated, not
 * transcribed. @extract: the built-in extractor reads each interaction in
 * its transaction, as the REST API does; FALSE when a language model reads them
 * after the fact (MiraLlmJobs, from interaction_created on @bus).
 */
MiraAudioHub    *mira_audio_hub_new          (MiraStore         *store,
                                              MiraEventBus      *bus,
                                              MiraTranscriber   *transcriber,
                                              gboolean           extract,
                                              GMainContext     **contexts,
                                              guint              n_contexts);
/* Once the shards' threads stopped. */
void             mira_audio_hub_free         (MiraAudioHub      *hub);
/* The shard (index into the contexts) of @network_id; a new network goes to
 * the shard with the fewest.
 */
guint            mira_audio_hub_shard_for    (MiraAudioHub      *hub,
                                              const char        *network_id);
/* No utterance on its way to an interaction, on any shard. */
gboolean         mira_audio_hub_is_idle      (MiraAudioHub      *hub);
const char      *mira_audio_hub_transcriber_name (MiraAudioHub  *hub);

MiraAudioStream *mira_audio_hub_attach       (MiraAudioHub      *hub,
                                              const char        *network_id,
                                              const char        *client_id,
                                              double             rssi,
                                              MiraTranscriptFunc on_transcript,
                                              gpointer           user_data);
/* @user_data: the attacher's, whose transcripts stop (NULL: an upload's). */
void             mira_audio_hub_detach       (MiraAudioHub      *hub,
                                              MiraAudioStream   *stream,
                                              gpointer           user_data);
void             mira_audio_hub_start        (MiraAudioHub      *hub,
                                              MiraAudioStream   *stream);
void             mira_audio_hub_stop         (MiraAudioHub      *hub,
                                              MiraAudioStream   *stream);
/* One packet of @stream could not be decoded and was dropped: counted in
 * the stream's dropped_packets.
 */
void             mira_audio_hub_packet_dropped (MiraAudioHub    *hub,
                                                MiraAudioStream *stream);
/* 16 kHz mono samples of @stream, as they arrive. */
void             mira_audio_hub_audio        (MiraAudioHub      *hub,
                                              MiraAudioStream   *stream,
                                              const gint16      *samples,
                                              gsize              n_samples);
/* The same, scored already by the caller's own scorer (a socket's, on its
 * audio thread): @frames are the features of the complete frames that ended
 * in @samples, @metrics the scorer's rolling metrics after them (NULL when
 * no frame ended).
 */
void             mira_audio_hub_audio_scored (MiraAudioHub      *hub,
                                              MiraAudioStream   *stream,
                                              const gint16      *samples,
                                              gsize              n_samples,
                                              const MiraFrameFeatures *frames,
                                              guint              n_frames,
                                              const MiraStreamMetrics *metrics);

/* A whole utterance uploaded for @stream_id: through the same pipeline,
 * faster than real time. Thread-safe; returns the stream's scores for it.
 * @registered: @stream_id is a client of the network (its interaction names it).
 */
JsonObject      *mira_audio_hub_feed         (MiraAudioHub      *hub,
                                              const char        *network_id,
                                              const char        *stream_id,
                                              gboolean           registered,
                                              GArray            *samples);

/* Thread-safe snapshots, for the REST API */
JsonObject      *mira_audio_hub_get_scores   (MiraAudioHub      *hub,
                                              const char        *network_id);
JsonObject      *mira_audio_hub_get_stream   (MiraAudioHub      *hub,
                                              const char        *network_id,
                                              const char        *stream_id);
JsonNode        *mira_audio_hub_get_best     (MiraAudioHub      *hub,
                                              const char        *network_id);
/* Every audio stream of a network ends (it was deleted or suspended). */
void             mira_audio_hub_drop_network (MiraAudioHub      *hub,
                                              const char        *network_id);

G_END_DECLS
