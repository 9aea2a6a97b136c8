/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

#include "mira-audio-hub.h"

#include <math.h>

#include "mira-arbiter.h"
#include "mira-conversations.h"
#include "mira-event-bus.h"
#include "mira-event.h"
#include "mira-extraction.h"
#include "mira-networks.h"
#include "mira-scorer.h"
#include "mira-db.h"
#include "mira-store.h"
#include "mira-store-write.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"
#include "mira-voice-persons.h"
#include "mira-voice-signature.h"

/* stream_scores go out this often while audio flows (4 per second). */
#define SCORES_INTERVAL_MS 250
/* A stream is active while its audio is this fresh. */
#define ACTIVE_US (2 * G_USEC_PER_SEC)
/* Once every stream has stopped, the open conversation closes after this. */
#define STOP_GRACE_S 5

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
};

typedef struct _Pending
{
  Shard        *shard;
  char         *network_id;
  char         *client_id;
  gboolean      registered;
  double        score;
  double        duration_s;
  char         *timestamp;
  char         *reason;
  guint         n_candidates;
  gint64        end_us;        /* where the utterance ends, to match an early one */
  gboolean      confirmed;     /* the window closed on this utterance */
  gboolean      abandoned;     /* voice came back: a later utterance replaces it */
  MiraTranscript *transcript;  /* an early transcription that finished first */
  MiraVoiceSignature *voice;   /* who said it; NULL: too little speech to tell */
} Pending;

static void maybe_forget (Network *network);

static Shard *
shard_ref (Shard *shard)
{
  shard->ref_count++;
  return shard;
}

static void
shard_unref (Shard *shard)
{
  if (--shard->ref_count > 0)
    return;
  g_assert (shard->networks == NULL);
  g_main_context_unref (shard->context);
  g_free (shard);
}
static void abandon_early (Network *network);

/* Every utterance ends here, stored or not. */
static void
pending_free (Pending *pending)
{
  Shard *shard = pending->shard;
  Network *network = shard->networks ? g_hash_table_lookup (shard->networks, pending->network_id)
                                     : NULL;

  if (network != NULL && network->transcribing > 0 && --network->transcribing == 0)
    maybe_forget (network);
  g_clear_pointer (&pending->transcript, mira_transcript_free);
  g_free (pending->network_id);
  g_free (pending->client_id);
  g_free (pending->timestamp);
  g_free (pending->reason);
  g_free (pending->voice);
  g_free (pending);
  if (shard->hub != NULL)
    g_atomic_int_add (&shard->hub->busy, -1);
  shard_unref (shard);
}

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

static void
network_free (gpointer data)
{
  Network *network = data;

  network_source_remove (network, &network->timer);
  network_source_remove (network, &network->grace);
  abandon_early (network);
  mira_arbiter_free (network->arbiter);
  g_ptr_array_unref (network->streams);
  g_free (network->network_id);
  g_free (network);
}

static JsonObject *
new_event (Network    *network,
           const char *type)
{
  return mira_event_new (type, network->network_id, NULL, NULL);
}

static void
publish (Network    *network,
         JsonObject *event)
{
  mira_event_bus_publish (network->hub->bus, network->network_id, event);
}

static MiraAudioStream *
find_stream (Network    *network,
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
static JsonObject *
scores_json (const char              *stream_id,
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
  JsonObject *object = scores_json (stream->client_id, &stream->metrics,
                                    mira_quality_adjust (stream->metrics.quality_score,
                                                         stream->rssi),
                                    !stream->stopped && now_us - stream->last_audio_us < ACTIVE_US,
                                    g_strcmp0 (best, stream->client_id) == 0,
                                    stream->last_audio_at);

  json_object_set_int_member (object, "dropped_packets", (gint64) stream->dropped);
  return object;
}

/* Rebuilds the network's snapshot; returns its streams array for an event. */
static JsonArray *
update_snapshot (Network *network)
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
      MiraAudioStream *stream = find_stream (network, best);
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
    g_autoptr(JsonArray) streams = update_snapshot (network);

    if (flowing)
      {
        JsonObject *event = new_event (network, "stream_scores");

        json_object_set_array_member (event, "streams", g_steal_pointer (&streams));
        publish (network, event);
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

  publish (network, new_event (network, "utterance_started"));
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
  event = new_event (network, "audio_stream_selected");
  json_object_set_string_member (event, "selected_client_id", client_id);
  json_object_set_double_member (event, "quality_score", score);
  json_object_set_string_member (event, "reason", "live: best rolling quality score");
  publish (network, event);
}

/* An interaction to store, on a store worker. */
typedef struct
{
  char               *network_id;
  MiraInteractionNew  interaction;   /* its strings and objects are the job's */
  MiraVoiceSignature *voice;         /* who said it, or NULL */
  gboolean            extract;       /* the built-in extractor reads it now */
} StoreJob;

static void
store_job_free (gpointer data)
{
  StoreJob *job = data;

  g_free (job->network_id);
  g_free ((char *) job->interaction.content);
  g_free ((char *) job->interaction.client_id);
  g_free ((char *) job->interaction.timestamp);
  g_clear_pointer (&job->interaction.metadata, json_object_unref);
  g_free (job->voice);
  g_free (job);
}

/* What the device hears back of its stored interaction. Plain strings: the
 * interaction's JsonObject is in its event too, on its way to the bus's
 * thread, and JsonObject's references are not atomic.
 */
typedef struct
{
  char *id;
  char *content;
} Stored;

static void
stored_free (gpointer data)
{
  Stored *stored = data;

  g_free (stored->id);
  g_free (stored->content);
  g_free (stored);
}

static gpointer
store_job_run (MiraDb     *db,
               gpointer    data,
               GPtrArray  *events_out,
               GError    **error)
{
  StoreJob *job = data;
  g_autoptr(JsonObject) interaction = NULL;
  g_autofree char *net_uuid = NULL;
  Stored *stored;

  /* Who said it, by voice; then the interaction, with its person */
  interaction = mira_voice_persons_create_interaction (db, job->network_id, &job->interaction,
                                                       job->voice, events_out, error);
  if (interaction == NULL)
    return NULL;
  /* What it asks for: reminders, events, contacts; with a language model,
   * once its interaction_created is out (see mira-llm-jobs.h)
   */
  if (job->extract)
    {
      net_uuid = mira_network_lookup_uuid (db, job->network_id, error);
      if (net_uuid == NULL ||
          !mira_extraction_run_builtin (db, net_uuid, job->network_id, interaction, events_out,
                                        error))
        return NULL;
    }
  stored = g_new0 (Stored, 1);
  stored->id = g_strdup (json_object_get_string_member (interaction, "id"));
  stored->content = g_strdup (json_object_get_string_member (interaction, "content"));
  return stored;
}

static void
interaction_stored (gpointer      result,
                    const GError *error,
                    gpointer      user_data)
{
  Pending *pending = user_data;
  Stored *stored = result;
  Network *network = pending->shard->networks
                       ? g_hash_table_lookup (pending->shard->networks, pending->network_id) : NULL;
  MiraAudioStream *stream;

  if (stored == NULL)
    {
      g_warning ("could not store the interaction of %s: %s", pending->client_id,
                 error->message);
      pending_free (pending);
      return;
    }
  stream = network ? find_stream (network, pending->client_id) : NULL;
  /* To the client's newest socket: a roaming phone's old one may be dying. */
  if (stream != NULL && stream->targets->len > 0)
    {
      Target *target = &g_array_index (stream->targets, Target, stream->targets->len - 1);

      target->func (target->user_data, stored->content, stored->id);
    }
  pending_free (pending);
}

/* Stores the interaction of a confirmed utterance; frees @pending in the end. */
static void
store_interaction (Pending        *pending,
                   MiraTranscript *transcript)
{
  StoreJob *job;
  JsonObject *metadata;

  g_strstrip (transcript->text);
  if (*transcript->text == '\0')
    {
      g_debug ("nothing recognisable in the utterance of %s", pending->client_id);
      pending_free (pending);
      return;
    }

  metadata = json_object_new ();
  json_object_set_string_member (metadata, "stream_id", pending->client_id);
  json_object_set_string_member (metadata, "transcriber", transcript->backend);
  json_object_set_double_member (metadata, "transcription_ms",
                                 round (transcript->elapsed_ms * 10) / 10);
  if (transcript->model != NULL)
    json_object_set_string_member (metadata, "transcriber_model", transcript->model);
  if (transcript->failed != NULL)
    {
      JsonArray *failed = json_array_new ();

      for (guint i = 0; transcript->failed[i] != NULL; i++)
        json_array_add_string_element (failed, transcript->failed[i]);
      json_object_set_array_member (metadata, "transcriber_failed", failed);
    }
  json_object_set_double_member (metadata, "confidence", transcript->confidence);
  json_object_set_int_member (metadata, "candidates", pending->n_candidates);
  json_object_set_string_member (metadata, "selection", pending->reason);

  job = g_new0 (StoreJob, 1);
  job->network_id = g_strdup (pending->network_id);
  job->interaction = (MiraInteractionNew) MIRA_INTERACTION_NEW_INIT;
  job->interaction.content = g_strdup (transcript->text);
  job->interaction.interaction_type = "audio";
  if (pending->registered)
    job->interaction.client_id = g_strdup (pending->client_id);
  job->interaction.timestamp = g_strdup (pending->timestamp);
  job->interaction.audio_quality_score = pending->score;
  job->interaction.audio_duration_s = pending->duration_s;
  job->interaction.metadata = metadata;
  job->voice = g_steal_pointer (&pending->voice);
  job->extract = pending->shard->hub->extract;

  mira_store_write (pending->shard->hub->store, pending->shard->hub->bus, store_job_run, job,
                    store_job_free, stored_free, interaction_stored, pending);
}

static void
transcribed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraTranscript) transcript = NULL;

  transcript = mira_transcriber_transcribe_finish (MIRA_TRANSCRIBER (source), result, &error);
  if (pending->abandoned || pending->shard->networks == NULL)
    {
      pending_free (pending);
      return;
    }
  if (transcript == NULL)
    {
      /* A network whose transcriber setting is "none" */
      if (g_error_matches (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC))
        g_debug ("not transcribed for %s: %s", pending->client_id, error->message);
      else
        g_warning ("transcription failed for %s: %s", pending->client_id, error->message);
      if (!pending->confirmed)
        pending->abandoned = TRUE;   /* the window's close transcribes again */
      else
        pending_free (pending);
      return;
    }
  if (!pending->confirmed)
    {
      /* Early: wait for the window to close on this same utterance. */
      pending->transcript = g_steal_pointer (&transcript);
      return;
    }
  store_interaction (pending, transcript);
}

/* An early transcription whose utterance went on: drop it once it is done. */
static void
abandon_early (Network *network)
{
  Pending *pending = g_steal_pointer (&network->early);

  if (pending == NULL)
    return;
  if (pending->transcript != NULL)
    pending_free (pending);
  else
    pending->abandoned = TRUE;
}

static Pending *
pending_new (Network       *network,
             MiraUtterance *utterance)
{
  MiraAudioStream *stream = find_stream (network, utterance->client_id);
  Pending *pending = g_new0 (Pending, 1);
  gint64 age_us;

  pending->shard = shard_ref (network->shard);
  g_atomic_int_inc (&network->hub->busy);
  pending->network_id = g_strdup (network->network_id);
  pending->client_id = g_strdup (utterance->client_id);
  pending->registered = stream == NULL || stream->registered;
  pending->score = utterance->mean_score;
  pending->duration_s = utterance->samples->len / (double) MIRA_AUDIO_RATE;
  /* Media time is monotonic; the interaction's timestamp is when it was said. */
  age_us = g_get_monotonic_time () - utterance->start_us;
  pending->timestamp = mira_timestamp_from_unix_ms ((g_get_real_time () - MAX (age_us, 0)) / 1000);
  pending->reason = g_strdup (utterance->reason);
  pending->n_candidates = utterance->n_candidates;
  pending->end_us = utterance->end_us;
  /* About 3 ms per second of speech */
  pending->voice = g_new (MiraVoiceSignature, 1);
  if (!mira_voice_signature_compute ((const gint16 *) utterance->samples->data,
                                     utterance->samples->len, pending->voice, NULL))
    g_clear_pointer (&pending->voice, g_free);
  return pending;
}

/* The network's "transcriber" setting (a JSON string), or NULL when unset */
static gpointer
read_transcriber_setting (MiraDb    *db,
                          gpointer   data,
                          GError   **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonNode) value = NULL;

  res = mira_db_query (db, "SELECT s.setting_value FROM network_settings s"
                           " JOIN networks n ON n.id = s.network_id"
                           " WHERE n.network_id = $1 AND s.setting_key = 'transcriber'",
                       1, (const char *[]) { data }, error);
  if (res == NULL || mira_db_result_n_rows (res) == 0)
    return NULL;
  value = json_from_string (mira_db_result_get (res, 0, 0), NULL);
  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
      json_node_get_value_type (value) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (value));
}

typedef struct
{
  Pending *pending;
  GBytes  *samples;
} Lookup;

/* The network's own chain when it sets one, else the server's */
static void
transcriber_setting_read (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Lookup *lookup = user_data;
  MiraAudioHub *hub = lookup->pending->shard->hub;
  g_autoptr(GError) error = NULL;
  g_autofree char *spec = mira_store_run_finish ((MiraStore *) source, result, &error);
  g_autoptr(MiraTranscriberChain) chain = NULL;
  MiraTranscriber *fallback;

  if (hub == NULL)
    {
      /* The hub is gone */
      pending_free (lookup->pending);
      g_bytes_unref (lookup->samples);
      g_free (lookup);
      return;
    }
  fallback = hub->transcriber;
  if (error != NULL)
    g_warning ("the transcriber setting of %s could not be read: %s",
               lookup->pending->network_id, error->message);
  else if ((chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (fallback), spec,
                                                   &error)) == NULL)
    g_warning ("the transcriber setting of %s cannot be used here: %s",
               lookup->pending->network_id, error->message);

  mira_transcriber_transcribe_async (chain ? MIRA_TRANSCRIBER (chain) : fallback,
                                     lookup->samples, NULL, transcribed, lookup->pending);
  g_bytes_unref (lookup->samples);
  g_free (lookup);
}

static void
transcribe (Network       *network,
            Pending       *pending,
            MiraUtterance *utterance)
{
  g_autoptr(GBytes) samples = g_bytes_new (utterance->samples->data,
                                           utterance->samples->len * sizeof (gint16));
  MiraTranscriber *transcriber = network->hub->transcriber;
  Lookup *lookup;

  network->transcribing++;
  if (!MIRA_IS_TRANSCRIBER_CHAIN (transcriber))
    {
      mira_transcriber_transcribe_async (transcriber, samples, NULL, transcribed, pending);
      return;
    }
  /* A network may name its own chain (its "transcriber" setting) */
  lookup = g_new0 (Lookup, 1);
  lookup->pending = pending;
  lookup->samples = g_steal_pointer (&samples);
  mira_store_run_async (network->hub->store, read_transcriber_setting,
                        g_strdup (network->network_id), g_free, g_free, NULL,
                        transcriber_setting_read, lookup);
}

/* The silence after an utterance has begun on every stream: transcribe now,
 * store when the window closes on the same utterance (most of the time).
 */
static void
on_utterance_early (gpointer       user_data,
                    MiraUtterance *utterance)
{
  Network *network = user_data;

  abandon_early (network);
  if (network->hub->transcriber != NULL)
    {
      network->early = pending_new (network, utterance);
      transcribe (network, network->early, utterance);
    }
  mira_utterance_free (utterance);
}

static void
on_utterance_done (gpointer       user_data,
                   MiraUtterance *utterance)
{
  Network *network = user_data;
  Pending *early = network->early;
  JsonObject *event;

  event = new_event (network, "audio_stream_selected");
  json_object_set_string_member (event, "selected_client_id", utterance->client_id);
  json_object_set_double_member (event, "quality_score", utterance->mean_score);
  json_object_set_string_member (event, "reason", utterance->reason);
  publish (network, event);

  if (early != NULL && early->end_us == utterance->end_us &&
      g_str_equal (early->client_id, utterance->client_id))
    {
      /* The early transcription is of this very audio. */
      network->early = NULL;
      early->confirmed = TRUE;
      early->score = utterance->mean_score;
      early->n_candidates = utterance->n_candidates;
      g_free (early->reason);
      early->reason = g_strdup (utterance->reason);
      if (early->transcript != NULL)
        {
          g_autoptr(MiraTranscript) transcript = g_steal_pointer (&early->transcript);

          store_interaction (early, transcript);
        }
    }
  else
    {
      abandon_early (network);
      /* Without a transcriber (mira-server --transcriber none) audio is only scored. */
      if (network->hub->transcriber != NULL)
        {
          Pending *pending = pending_new (network, utterance);

          pending->confirmed = TRUE;
          transcribe (network, pending, utterance);
        }
    }
  mira_utterance_free (utterance);
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
static void
maybe_forget (Network *network)
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
  maybe_forget (network);
  return G_SOURCE_REMOVE;
}

/* When every stream of the network has stopped, its conversation ends after a grace. */
static void
check_all_stopped (Network *network)
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
  on_utterance_done,
  on_best_changed,
  on_utterance_early,
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

static Network *
ensure_network (MiraAudioHub *hub,
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
  hub->n_shards = n_contexts;
  hub->shards = g_new0 (Shard *, n_contexts);
  for (guint i = 0; i < n_contexts; i++)
    {
      Shard *shard = g_new0 (Shard, 1);

      shard->hub = hub;
      shard->context = g_main_context_ref (contexts[i]);
      shard->networks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, network_free);
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
      shard_unref (shard);
    }
  g_free (hub->shards);
  g_hash_table_unref (hub->snapshots);
  g_hash_table_unref (hub->assigned);
  g_free (hub->n_assigned);
  g_mutex_clear (&hub->lock);
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
  Network *network = ensure_network (hub, network_id);
  MiraAudioStream *stream = find_stream (network, client_id);

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
    check_all_stopped (network);
  /* Stopped streams still get their grace before the conversation closes,
   * and utterances their interaction.
   */
  if (network->streams->len == 0 && !mira_arbiter_in_utterance (network->arbiter))
    maybe_forget (network);
  else
    json_array_unref (update_snapshot (network));
}

void
mira_audio_hub_start (MiraAudioHub    *hub,
                      MiraAudioStream *stream)
{
  stream->stopped = FALSE;
  mira_arbiter_stream_start (stream->network->arbiter, stream->client_id, g_get_monotonic_time ());
  check_all_stopped (stream->network);
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
  check_all_stopped (stream->network);
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
  object = scores_json (stream_id, &metrics, metrics.quality_score, FALSE, FALSE, now);
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
