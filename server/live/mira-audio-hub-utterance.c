/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

/* The utterance job: an utterance the arbiter chose becomes a transcript
 * (the network's transcriber chain, started early when the silence begins)
 * and then an interaction, said by the person whose voice it is, stored and
 * read for what it asks on a store worker; the device hears it back.
 */

#include "mira-audio-hub-private.h"

#include <math.h>

#include "mira-db.h"
#include "mira-speech-interactions.h"
#include "mira-store.h"
#include "mira-store-write.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"
#include "mira-voice-signature.h"

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
  GBytes       *samples;       /* until its transcription begins */
  MiraSphinxDecode *decode;    /* the decode that followed it while it was spoken */
  MiraTranscriber  *decode_transcriber;
} Pending;

/* Every utterance ends here, stored or not. */
static void
pending_free (Pending *pending)
{
  Shard *shard = pending->shard;
  Network *network = shard->networks ? g_hash_table_lookup (shard->networks, pending->network_id)
                                     : NULL;

  if (network != NULL && network->transcribing > 0 && --network->transcribing == 0)
    mira_audio_hub_network_maybe_forget (network);
  g_clear_pointer (&pending->transcript, mira_transcript_free);
  g_clear_pointer (&pending->samples, g_bytes_unref);
  if (pending->decode != NULL)
    mira_sphinx_decode_cancel (pending->decode);
  g_clear_pointer (&pending->decode, mira_sphinx_decode_unref);
  g_clear_object (&pending->decode_transcriber);
  g_free (pending->network_id);
  g_free (pending->client_id);
  g_free (pending->timestamp);
  g_free (pending->reason);
  g_free (pending->voice);
  g_free (pending);
  if (shard->hub != NULL)
    g_atomic_int_add (&shard->hub->busy, -1);
  mira_audio_hub_shard_unref (shard);
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
  Stored *stored;

  /* Who said it, by voice; the interaction, with its person; what it asks
   * for (with a language model, once its interaction_created is out: see
   * mira-llm-jobs.h)
   */
  interaction = mira_speech_interactions_create (db, job->network_id, &job->interaction,
                                                 job->voice, job->extract, events_out, error);
  if (interaction == NULL)
    return NULL;
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
  stream = network ? mira_audio_hub_network_find_stream (network, pending->client_id) : NULL;
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
  if (transcript->streamed_s > 0)
    json_object_set_double_member (metadata, "transcription_streamed_s",
                                   round (transcript->streamed_s * 100) / 100);
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
  /* What the microphone's next utterance is normalised by, while spoken */
  if (pending->decode != NULL && pending->shard->networks != NULL)
    {
      Network *network = g_hash_table_lookup (pending->shard->networks, pending->network_id);
      MiraAudioStream *stream = network ? mira_audio_hub_network_find_stream (network,
                                                                              pending->client_id)
                                        : NULL;

      if (stream != NULL)
        stream->has_cmn |= mira_sphinx_decode_get_cmn (pending->decode, &stream->cmn);
    }
  if (pending->abandoned || pending->shard->networks == NULL)
    {
      pending_free (pending);
      return;
    }
  if (transcript == NULL)
    {
      /* A network whose transcriber setting is "none", or whose language
       * none of its transcribers has a model for: no failure, said once
       * when the settings were read
       */
      if (g_error_matches (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC) ||
          g_error_matches (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_LANGUAGE))
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
void
mira_audio_hub_utterance_abandon_early (Network *network)
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
  MiraAudioStream *stream = mira_audio_hub_network_find_stream (network, utterance->client_id);
  Pending *pending = g_new0 (Pending, 1);
  gint64 age_us;

  pending->shard = mira_audio_hub_shard_ref (network->shard);
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

/* The network's transcriber is known: the decode that followed the
 * utterance while it was spoken finishes, or the transcriber does it all
 */
static void
transcriber_known (MiraTranscriber *transcriber,
                   const char      *language,
                   gpointer         user_data)
{
  Pending *pending = user_data;
  g_autoptr(GBytes) samples = g_steal_pointer (&pending->samples);

  if (transcriber == NULL)
    {
      /* The hub is gone */
      pending_free (pending);
      return;
    }
  if (pending->decode != NULL && transcriber == pending->decode_transcriber)
    {
      mira_transcriber_transcribe_decode_async (transcriber, samples, pending->decode, language,
                                                NULL, transcribed, pending);
      return;
    }
  /* The setting named another transcriber meanwhile */
  if (pending->decode != NULL)
    mira_sphinx_decode_cancel (pending->decode);
  g_clear_pointer (&pending->decode, mira_sphinx_decode_unref);
  mira_transcriber_transcribe_async (transcriber, samples, language, NULL, transcribed, pending);
}

static void
transcribe (Network       *network,
            Pending       *pending,
            MiraUtterance *utterance,
            gboolean       early)
{
  network->transcribing++;
  pending->samples = g_bytes_new (utterance->samples->data,
                                  utterance->samples->len * sizeof (gint16));
  pending->decode = mira_audio_hub_speech_take_decode (network, utterance, early,
                                                       &pending->decode_transcriber);
  mira_audio_hub_speech_get (network, transcriber_known, pending);
}

/* The silence after an utterance has begun on every stream: transcribe now,
 * store when the window closes on the same utterance (most of the time).
 */
void
mira_audio_hub_utterance_early (gpointer       user_data,
                                MiraUtterance *utterance)
{
  Network *network = user_data;

  mira_audio_hub_utterance_abandon_early (network);
  if (network->hub->transcriber != NULL)
    {
      network->early = pending_new (network, utterance);
      transcribe (network, network->early, utterance, TRUE);
    }
  mira_utterance_free (utterance);
}

void
mira_audio_hub_utterance_done (gpointer       user_data,
                               MiraUtterance *utterance)
{
  Network *network = user_data;
  Pending *early = network->early;
  JsonObject *event;

  event = mira_audio_hub_network_new_event (network, "audio_stream_selected");
  json_object_set_string_member (event, "selected_client_id", utterance->client_id);
  json_object_set_double_member (event, "quality_score", utterance->mean_score);
  json_object_set_string_member (event, "reason", utterance->reason);
  mira_audio_hub_network_publish (network, event);

  if (early != NULL && early->end_us == utterance->end_us &&
      g_str_equal (early->client_id, utterance->client_id))
    {
      /* The early transcription is of this very audio. */
      network->early = NULL;
      mira_audio_hub_speech_stop (network);
      network->decode_taken = 0;
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
      mira_audio_hub_utterance_abandon_early (network);
      /* Without a transcriber (mira-server --transcriber none) audio is only scored. */
      if (network->hub->transcriber != NULL)
        {
          Pending *pending = pending_new (network, utterance);

          pending->confirmed = TRUE;
          transcribe (network, pending, utterance, FALSE);
        }
    }
  mira_utterance_free (utterance);
}
