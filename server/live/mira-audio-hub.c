/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

/* The hub: its shards (one per audio thread), which shard a network is on,
 * and the entry points (streams attached, started, fed and stopped,
 * uploads, the snapshots). A network's state is mira-audio-hub-network.c,
 * an utterance's job mira-audio-hub-utterance.c.
 */

#include "mira-audio-hub-private.h"

#include <math.h>

#include "mira-scorer.h"
#include "mira-util.h"

Shard *
mira_audio_hub_shard_ref (Shard *shard)
{
  shard->ref_count++;
  return shard;
}

void
mira_audio_hub_shard_unref (Shard *shard)
{
  if (--shard->ref_count > 0)
    return;
  g_assert (shard->networks == NULL);
  g_main_context_unref (shard->context);
  g_free (shard);
}

MiraAudioHub *
mira_audio_hub_new (MiraStore        *store,
                    MiraEventBus     *bus,
                    MiraTranscriber  *transcriber,
                    gboolean          extract,
                    GMainContext    **contexts,
                    guint             n_contexts)
{
  MiraAudioHub *hub = g_new0 (MiraAudioHub, 1);

  g_return_val_if_fail (n_contexts > 0, NULL);

  hub->store = store;
  hub->bus = mira_event_bus_ref (bus);
  hub->transcriber = transcriber ? g_object_ref (transcriber) : NULL;
  hub->extract = extract;
  mira_audio_hub_speech_init (hub);
  hub->n_shards = n_contexts;
  hub->shards = g_new0 (Shard *, n_contexts);
  for (guint i = 0; i < n_contexts; i++)
    {
      Shard *shard = g_new0 (Shard, 1);

      shard->hub = hub;
      shard->context = g_main_context_ref (contexts[i]);
      shard->networks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               mira_audio_hub_network_free);
      shard->ref_count = 1;
      hub->shards[i] = shard;
    }
  hub->snapshots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_object_unref);
  hub->assigned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hub->n_assigned = g_new0 (guint, n_contexts);
  g_mutex_init (&hub->lock);
  return hub;
}

/* After the shards' threads stopped. Utterances still under way (they had
 * their chance: mira_audio_hub_is_idle()) end without an interaction.
 */
void
mira_audio_hub_free (MiraAudioHub *hub)
{
  if (hub == NULL)
    return;
  for (guint i = 0; i < hub->n_shards; i++)
    {
      Shard *shard = hub->shards[i];

      g_clear_pointer (&shard->networks, g_hash_table_unref);
      shard->hub = NULL;
      mira_audio_hub_shard_unref (shard);
    }
  g_free (hub->shards);
  g_hash_table_unref (hub->snapshots);
  g_hash_table_unref (hub->assigned);
  g_free (hub->n_assigned);
  g_mutex_clear (&hub->lock);
  mira_audio_hub_speech_clear (hub);
  g_clear_object (&hub->transcriber);
  mira_event_bus_unref (hub->bus);
  g_free (hub);
}

guint
mira_audio_hub_shard_for (MiraAudioHub *hub,
                          const char   *network_id)
{
  guint index;

  g_mutex_lock (&hub->lock);
  index = GPOINTER_TO_UINT (g_hash_table_lookup (hub->assigned, network_id));
  if (index == 0)
    {
      /* A network stays where it first spoke: its streams share an arbiter. */
      index = 1;
      for (guint i = 1; i < hub->n_shards; i++)
        if (hub->n_assigned[i] < hub->n_assigned[index - 1])
          index = i + 1;
      hub->n_assigned[index - 1]++;
      g_hash_table_insert (hub->assigned, g_strdup (network_id), GUINT_TO_POINTER (index));
    }
  g_mutex_unlock (&hub->lock);
  return index - 1;
}

gboolean
mira_audio_hub_is_idle (MiraAudioHub *hub)
{
  return g_atomic_int_get (&hub->busy) == 0;
}

const char *
mira_audio_hub_transcriber_name (MiraAudioHub *hub)
{
  return hub->transcriber ? mira_transcriber_get_name (hub->transcriber) : "none";
}

MiraAudioStream *
mira_audio_hub_attach (MiraAudioHub       *hub,
                       const char         *network_id,
                       const char         *client_id,
                       double              rssi,
                       MiraTranscriptFunc  on_transcript,
                       gpointer            user_data)
{
  Network *network = mira_audio_hub_network_ensure (hub, network_id);
  MiraAudioStream *stream = mira_audio_hub_network_find_stream (network, client_id);

  if (stream == NULL)
    {
      stream = g_new0 (MiraAudioStream, 1);
      stream->network = network;
      stream->client_id = g_strdup (client_id);
      stream->scorer = mira_scorer_new ();
      stream->frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
      stream->last_audio_at = mira_timestamp_now ();
      stream->stopped = TRUE;
      stream->targets = g_array_new (FALSE, FALSE, sizeof (Target));
      g_ptr_array_add (network->streams, stream);
    }
  stream->users++;
  stream->rssi = rssi;
  if (on_transcript != NULL)
    {
      /* A device that reconnects takes its stream over. */
      Target target = { on_transcript, user_data };

      stream->registered = TRUE;
      g_array_append_val (stream->targets, target);
    }
  return stream;
}

void
mira_audio_hub_detach (MiraAudioHub    *hub,
                       MiraAudioStream *stream,
                       gpointer         user_data)
{
  Network *network = stream->network;
  gboolean streaming = !stream->stopped;

  /* Transcripts no longer go to a socket that is gone, and go on going to
   * the client's other sockets.
   */
  for (guint i = 0; user_data != NULL && i < stream->targets->len; i++)
    if (g_array_index (stream->targets, Target, i).user_data == user_data)
      {
        g_array_remove_index (stream->targets, i);
        break;
      }
  if (--stream->users > 0)
    return;
  mira_arbiter_stream_remove (network->arbiter, stream->client_id, g_get_monotonic_time ());
  g_ptr_array_remove (network->streams, stream);
  /* A device that vanished without audio-stop stopped all the same: when it
   * was the last one streaming, the conversation closes after the grace.
   */
  if (streaming)
    mira_audio_hub_network_check_all_stopped (network);
  /* Stopped streams still get their grace before the conversation closes,
   * and utterances their interaction.
   */
  if (network->streams->len == 0 && !mira_arbiter_in_utterance (network->arbiter))
    mira_audio_hub_network_maybe_forget (network);
  else
    json_array_unref (mira_audio_hub_network_update_snapshot (network));
}

void
mira_audio_hub_start (MiraAudioHub    *hub,
                      MiraAudioStream *stream)
{
  stream->stopped = FALSE;
  mira_arbiter_stream_start (stream->network->arbiter, stream->client_id, g_get_monotonic_time ());
  mira_audio_hub_network_check_all_stopped (stream->network);
}

void
mira_audio_hub_packet_dropped (MiraAudioHub    *hub,
                               MiraAudioStream *stream)
{
  stream->dropped++;
}

void
mira_audio_hub_stop (MiraAudioHub    *hub,
                     MiraAudioStream *stream)
{
  stream->stopped = TRUE;
  mira_arbiter_stream_stop (stream->network->arbiter, stream->client_id, g_get_monotonic_time ());
  mira_audio_hub_network_check_all_stopped (stream->network);
}

void
mira_audio_hub_audio_scored (MiraAudioHub            *hub,
                             MiraAudioStream         *stream,
                             const gint16            *samples,
                             gsize                    n_samples,
                             const MiraFrameFeatures *frames,
                             guint                    n_frames,
                             const MiraStreamMetrics *metrics)
{
  gint64 now_us = g_get_monotonic_time ();

  if (stream->stopped)
    mira_audio_hub_start (hub, stream);

  if (metrics != NULL)
    stream->metrics = *metrics;
  if (now_us - stream->last_audio_us > 100 * 1000)
    {
      g_free (stream->last_audio_at);
      stream->last_audio_at = mira_timestamp_now ();
    }
  stream->last_audio_us = now_us;

  mira_arbiter_push (stream->network->arbiter, stream->client_id, samples, n_samples, frames,
                     n_frames, mira_quality_adjust (stream->metrics.quality_score, stream->rssi),
                     now_us);
  mira_audio_hub_speech_follow (stream->network, stream);
}

void
mira_audio_hub_audio (MiraAudioHub    *hub,
                      MiraAudioStream *stream,
                      const gint16    *samples,
                      gsize            n_samples)
{
  MiraStreamMetrics metrics;

  g_array_set_size (stream->frames, 0);
  mira_scorer_push (stream->scorer, samples, n_samples, stream->frames);
  if (stream->frames->len > 0)
    mira_scorer_get_metrics (stream->scorer, &metrics);
  mira_audio_hub_audio_scored (hub, stream, samples, n_samples,
                               (const MiraFrameFeatures *) stream->frames->data,
                               stream->frames->len, stream->frames->len > 0 ? &metrics : NULL);
}

typedef struct
{
  MiraAudioHub *hub;
  char         *network_id;
  char         *stream_id;
  gboolean      registered;
  GArray       *samples;
} Feed;

static gboolean
feed_on_shard (gpointer user_data)
{
  Feed *feed = user_data;
  MiraAudioStream *stream;

  stream = mira_audio_hub_attach (feed->hub, feed->network_id, feed->stream_id, NAN, NULL, NULL);
  stream->registered |= feed->registered;
  mira_audio_hub_start (feed->hub, stream);
  /* In 20 ms pieces, as a device would send them. */
  for (guint i = 0; i < feed->samples->len; i += 320)
    mira_audio_hub_audio (feed->hub, stream, &g_array_index (feed->samples, gint16, i),
                          MIN (320, feed->samples->len - i));
  mira_audio_hub_stop (feed->hub, stream);
  mira_audio_hub_detach (feed->hub, stream, NULL);

  g_free (feed->network_id);
  g_free (feed->stream_id);
  g_array_unref (feed->samples);
  g_free (feed);
  return G_SOURCE_REMOVE;
}

JsonObject *
mira_audio_hub_feed (MiraAudioHub *hub,
                     const char   *network_id,
                     const char   *stream_id,
                     gboolean      registered,
                     GArray       *samples)
{
  g_autoptr(MiraScorer) scorer = mira_scorer_new ();
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  MiraStreamMetrics metrics = { 0 };
  g_autofree char *now = mira_timestamp_now ();
  JsonObject *object;
  Feed *feed;

  mira_scorer_push (scorer, (const gint16 *) samples->data, samples->len, frames);
  mira_scorer_get_metrics (scorer, &metrics);
  object = mira_audio_hub_scores_json (stream_id, &metrics, metrics.quality_score, FALSE, FALSE,
                                       now);
  json_object_set_double_member (object, "duration_s", samples->len / (double) MIRA_AUDIO_RATE);

  feed = g_new0 (Feed, 1);
  feed->hub = hub;
  feed->network_id = g_strdup (network_id);
  feed->stream_id = g_strdup (stream_id);
  feed->registered = registered;
  feed->samples = g_array_ref (samples);
  mira_invoke (hub->shards[mira_audio_hub_shard_for (hub, network_id)]->context, feed_on_shard,
               feed, NULL);
  return object;
}

JsonObject *
mira_audio_hub_get_scores (MiraAudioHub *hub,
                           const char   *network_id)
{
  JsonObject *snapshot;
  JsonObject *copy;

  g_mutex_lock (&hub->lock);
  snapshot = g_hash_table_lookup (hub->snapshots, network_id);
  if (snapshot != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), snapshot);
      g_autoptr(JsonNode) dup = json_node_copy (node);

      copy = json_object_ref (json_node_get_object (dup));
    }
  else
    {
      copy = json_object_new ();
      json_object_set_array_member (copy, "streams", json_array_new ());
      json_object_set_null_member (copy, "best_stream");
    }
  g_mutex_unlock (&hub->lock);
  return copy;
}

JsonObject *
mira_audio_hub_get_stream (MiraAudioHub *hub,
                           const char   *network_id,
                           const char   *stream_id)
{
  g_autoptr(JsonObject) scores = mira_audio_hub_get_scores (hub, network_id);
  JsonArray *streams = json_object_get_array_member (scores, "streams");

  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);

      if (g_strcmp0 (json_object_get_string_member (stream, "stream_id"), stream_id) == 0)
        return json_object_ref (stream);
    }
  return NULL;
}

JsonNode *
mira_audio_hub_get_best (MiraAudioHub *hub,
                         const char   *network_id)
{
  g_autoptr(JsonObject) scores = mira_audio_hub_get_scores (hub, network_id);

  return json_node_copy (json_object_get_member (scores, "best_stream"));
}

void
mira_audio_hub_drop_network (MiraAudioHub *hub,
                             const char   *network_id)
{
  g_mutex_lock (&hub->lock);
  g_hash_table_remove (hub->snapshots, network_id);
  g_mutex_unlock (&hub->lock);
}
