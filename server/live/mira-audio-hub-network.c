/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

/* A network's state on its shard: its streams and their snapshot, the
 * stream_scores it publishes while audio flows, its arbiter's events, and
 * the grace after its last stream stops, when its open conversation closes.
 */

#include "mira-audio-hub-private.h"

#include "mira-conversations.h"
#include "mira-event.h"
#include "mira-scorer.h"
#include "mira-store-write.h"
#include "mira-util.h"

/* stream_scores go out this often while audio flows (4 per second). */
#define SCORES_INTERVAL_MS 250
/* A stream is active while its audio is this fresh. */
#define ACTIVE_US (2 * G_USEC_PER_SEC)
/* Once every stream has stopped, the open conversation closes after this. */
#define STOP_GRACE_S 5

static void
stream_free (MiraAudioStream *stream)
{
  mira_scorer_free (stream->scorer);
  g_array_unref (stream->frames);
  g_free (stream->client_id);
  g_free (stream->last_audio_at);
  g_array_unref (stream->targets);
  g_free (stream);
}

/* From the shard's context, whichever thread frees the network. */
static void
network_source_remove (Network *network,
                       guint   *id)
{
  GSource *source;

  if (*id == 0)
    return;
  source = g_main_context_find_source_by_id (network->shard->context, *id);
  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

void
mira_audio_hub_network_free (gpointer data)
{
  Network *network = data;

  network_source_remove (network, &network->timer);
  network_source_remove (network, &network->grace);
  mira_audio_hub_utterance_abandon_early (network);
  mira_audio_hub_speech_stop (network);
  mira_arbiter_free (network->arbiter);
  g_ptr_array_unref (network->streams);
  g_free (network->network_id);
  g_free (network);
}

JsonObject *
mira_audio_hub_network_new_event (Network    *network,
                                  const char *type)
{
  return mira_event_new (type, network->network_id, NULL, NULL);
}

void
mira_audio_hub_network_publish (Network    *network,
                                JsonObject *event)
{
  mira_event_bus_publish (network->hub->bus, network->network_id, event);
}

MiraAudioStream *
mira_audio_hub_network_find_stream (Network    *network,
                                    const char *client_id)
{
  for (guint i = 0; i < network->streams->len; i++)
    {
      MiraAudioStream *stream = g_ptr_array_index (network->streams, i);

      if (g_str_equal (stream->client_id, client_id))
        return stream;
    }
  return NULL;
}

/* The stream object of the API. */
JsonObject *
mira_audio_hub_scores_json (const char              *stream_id,
                            const MiraStreamMetrics *metrics,
                            double                   quality,
                            gboolean                 active,
                            gboolean                 best,
                            const char              *timestamp)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "stream_id", stream_id);
  json_object_set_string_member (object, "client_id", stream_id);
  json_object_set_double_member (object, "quality_score", quality);
  json_object_set_double_member (object, "snr_db", metrics->snr_db);
  json_object_set_double_member (object, "rms_dbfs", metrics->rms_dbfs);
  json_object_set_double_member (object, "clarity", metrics->clarity);
  json_object_set_double_member (object, "clipping_ratio", metrics->clipping_ratio);
  json_object_set_double_member (object, "speech_ratio", metrics->speech_ratio);
  json_object_set_boolean_member (object, "is_active", active);
  json_object_set_boolean_member (object, "is_best", best);
  json_object_set_string_member (object, "timestamp", timestamp);
  return object;
}

static JsonObject *
stream_json (MiraAudioStream *stream,
             const char      *best,
             gint64           now_us)
{
  JsonObject *object;

  object = mira_audio_hub_scores_json (stream->client_id, &stream->metrics,
                                       mira_quality_adjust (stream->metrics.quality_score,
                                                            stream->rssi),
                                       !stream->stopped &&
                                       now_us - stream->last_audio_us < ACTIVE_US,
                                       g_strcmp0 (best, stream->client_id) == 0,
                                       stream->last_audio_at);

  json_object_set_int_member (object, "dropped_packets", (gint64) stream->dropped);
  return object;
}

/* Rebuilds the network's snapshot; returns its streams array for an event. */
JsonArray *
mira_audio_hub_network_update_snapshot (Network *network)
{
  MiraAudioHub *hub = network->hub;
  gint64 now_us = g_get_monotonic_time ();
  double best_score = 0;
  const char *best = mira_arbiter_get_best (network->arbiter, &best_score);
  JsonObject *snapshot = json_object_new ();
  JsonArray *streams = json_array_new ();

  for (guint i = 0; i < network->streams->len; i++)
    json_array_add_object_element (streams,
                                   stream_json (g_ptr_array_index (network->streams, i), best,
                                                now_us));
  json_object_set_array_member (snapshot, "streams", json_array_ref (streams));
  if (best != NULL)
    {
      MiraAudioStream *stream = mira_audio_hub_network_find_stream (network, best);
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "stream_id", best);
      json_object_set_string_member (object, "client_id", best);
      json_object_set_double_member (object, "quality_score",
                                     stream ? mira_quality_adjust (stream->metrics.quality_score,
                                                                   stream->rssi)
                                            : best_score);
      json_object_set_object_member (snapshot, "best_stream", object);
    }
  else
    json_object_set_null_member (snapshot, "best_stream");

  g_mutex_lock (&hub->lock);
  g_hash_table_replace (hub->snapshots, g_strdup (network->network_id), snapshot);
  g_mutex_unlock (&hub->lock);
  return streams;
}

static gboolean
network_tick (gpointer user_data)
{
  Network *network = user_data;
  gint64 now_us = g_get_monotonic_time ();
  gboolean flowing = FALSE;

  mira_arbiter_tick (network->arbiter, now_us);

  for (guint i = 0; i < network->streams->len; i++)
    {
      MiraAudioStream *stream = g_ptr_array_index (network->streams, i);

      flowing |= now_us - stream->last_audio_us < SCORES_INTERVAL_MS * 1000 * 2;
    }

  /* While audio flows, every client sees the scores; otherwise the snapshot stays fresh. */
  {
    g_autoptr(JsonArray) streams = mira_audio_hub_network_update_snapshot (network);

    if (flowing)
      {
        JsonObject *event = mira_audio_hub_network_new_event (network, "stream_scores");

        json_object_set_array_member (event, "streams", g_steal_pointer (&streams));
        mira_audio_hub_network_publish (network, event);
        network->last_emit_us = now_us;
      }
  }
  return G_SOURCE_CONTINUE;
}

static void
on_utterance_started (gpointer user_data,
                      gint64   start_us)
{
  Network *network = user_data;

  mira_audio_hub_network_publish (network,
                                  mira_audio_hub_network_new_event (network, "utterance_started"));
}

static void
on_best_changed (gpointer    user_data,
                 const char *client_id,
                 double      score)
{
  Network *network = user_data;
  JsonObject *event;

  if (client_id == NULL)
    return;
  event = mira_audio_hub_network_new_event (network, "audio_stream_selected");
  json_object_set_string_member (event, "selected_client_id", client_id);
  json_object_set_double_member (event, "quality_score", score);
  json_object_set_string_member (event, "reason", "live: best rolling quality score");
  mira_audio_hub_network_publish (network, event);
}

static void
forget_network (MiraAudioHub *hub,
                Network      *network)
{
  g_mutex_lock (&hub->lock);
  g_hash_table_remove (hub->snapshots, network->network_id);
  g_mutex_unlock (&hub->lock);
  g_hash_table_remove (network->shard->networks, network->network_id);
}

/* Nothing holds the network any more: no stream, utterance, grace or transcription. */
void
mira_audio_hub_network_maybe_forget (Network *network)
{
  if (network->streams->len == 0 && !mira_arbiter_in_utterance (network->arbiter) &&
      network->grace == 0 && network->transcribing == 0)
    forget_network (network->hub, network);
}

static gpointer
close_open_run (MiraDb     *db,
                gpointer    data,
                GPtrArray  *events_out,
                GError    **error)
{
  const char *network_id = data;

  if (!mira_conversations_close_open (db, network_id, "every stream stopped", events_out, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
close_open_done (gpointer      result,
                 const GError *error,
                 gpointer      user_data)
{
  MiraAudioHub *hub = user_data;

  /* Nothing is lost while the database cannot be reached: the sweep closes
   * them at their timeout, or the server at its shutdown.
   */
  if (error != NULL)
    g_message ("the conversations of a network whose streams stopped stay open for now: %s",
               error->message);
  g_atomic_int_add (&hub->busy, -1);
}

static gboolean
grace_over (gpointer user_data)
{
  Network *network = user_data;

  /* What was said before the streams stopped belongs to the conversation:
   * it closes once those utterances are stored.
   */
  if (network->transcribing > 0)
    {
      network->grace = mira_timeout_add (250, grace_over, network);
      return G_SOURCE_REMOVE;
    }
  network->grace = 0;
  g_atomic_int_inc (&network->hub->busy);
  mira_store_write (network->hub->store, network->hub->bus, close_open_run,
                    g_strdup (network->network_id), g_free, NULL, close_open_done, network->hub);
  mira_audio_hub_network_maybe_forget (network);
  return G_SOURCE_REMOVE;
}

/* When every stream of the network has stopped, its conversation ends after a grace. */
void
mira_audio_hub_network_check_all_stopped (Network *network)
{
  gboolean all_stopped = TRUE;

  for (guint i = 0; i < network->streams->len; i++)
    all_stopped &= ((MiraAudioStream *) g_ptr_array_index (network->streams, i))->stopped;
  if (!all_stopped)
    network_source_remove (network, &network->grace);
  else if (network->grace == 0)
    network->grace = mira_timeout_add_seconds (STOP_GRACE_S, grace_over, network);
}

static const MiraArbiterCallbacks arbiter_callbacks = {
  on_utterance_started,
  mira_audio_hub_utterance_done,
  on_best_changed,
  mira_audio_hub_utterance_early,
};

static Shard *
shard_of (MiraAudioHub *hub,
          const char   *network_id)
{
  Shard *shard = hub->shards[mira_audio_hub_shard_for (hub, network_id)];

  g_assert (g_main_context_is_owner (shard->context) ||
            g_main_context_get_thread_default () == shard->context);
  return shard;
}

Network *
mira_audio_hub_network_ensure (MiraAudioHub *hub,
                               const char   *network_id)
{
  Shard *shard = shard_of (hub, network_id);
  Network *network = g_hash_table_lookup (shard->networks, network_id);

  if (network != NULL)
    return network;
  network = g_new0 (Network, 1);
  network->hub = hub;
  network->shard = shard;
  network->network_id = g_strdup (network_id);
  network->arbiter = mira_arbiter_new (NULL, &arbiter_callbacks, network);
  network->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  network->timer = mira_timeout_add (SCORES_INTERVAL_MS, network_tick, network);
  g_hash_table_insert (shard->networks, network->network_id, network);
  return network;
}
