/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

/* A network's speech engine on its shard: which transcriber it uses (the
 * hub's, or the chain its "transcriber" setting names, read once and kept
 * until a setting event says it changed), and the decode that follows its
 * open utterance while it is spoken, on the stream the arbiter holds best,
 * so that when the utterance ends only its last fraction of a second is
 * left to decode.
 */

#include "mira-audio-hub-private.h"

#include "mira-db.h"
#include "mira-networks.h"
#include "mira-store.h"
#include "mira-transcriber-chain.h"

/* The events after which a network's transcriber may be another */
static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  MiraAudioHub *hub = user_data;
  const char *type = json_object_get_string_member_with_default (event, "type", "");

  if (g_str_has_prefix (type, "setting_"))
    {
      JsonObject *setting = json_object_get_object_member (event, "setting");

      if (setting == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (setting, "key", NULL),
                     "transcriber") != 0)
        return;
    }
  else if (!g_str_equal (type, "network_updated") && !g_str_equal (type, "network_deleted"))
    return;

  g_mutex_lock (&hub->lock);
  g_hash_table_remove (hub->transcribers, network_id);
  hub->transcribers_age++;
  g_mutex_unlock (&hub->lock);
}

void
mira_audio_hub_speech_init (MiraAudioHub *hub)
{
  hub->transcribers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  /* A network's setting can change only when its chain may differ from the hub's */
  if (MIRA_IS_TRANSCRIBER_CHAIN (hub->transcriber))
    hub->settings_watch = mira_event_bus_subscribe (hub->bus, NULL, on_event, hub);
}

void
mira_audio_hub_speech_clear (MiraAudioHub *hub)
{
  if (hub->settings_watch != 0)
    mira_event_bus_unsubscribe (hub->bus, hub->settings_watch);
  g_clear_pointer (&hub->transcribers, g_hash_table_unref);
}

/* The network's "transcriber" setting (a JSON string), or NULL when unset */
static gpointer
read_transcriber_setting (MiraDb    *db,
                          gpointer   data,
                          GError   **error)
{
  g_autoptr(MiraNetworkSetting) setting = NULL;

  if (!mira_networks_get_setting (db, data, "transcriber", &setting, error) || setting == NULL ||
      setting->value == NULL || !JSON_NODE_HOLDS_VALUE (setting->value) ||
      json_node_get_value_type (setting->value) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (setting->value));
}

typedef struct
{
  Shard                       *shard;
  char                        *network_id;
  guint                        age;        /* the settings' when the read began */
  MiraAudioHubTranscriberFunc  func;
  gpointer                     user_data;
} Lookup;

/* The network's own chain when it sets one, else the hub's */
static void
transcriber_setting_read (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Lookup *lookup = user_data;
  MiraAudioHub *hub = lookup->shard->hub;
  g_autoptr(GError) error = NULL;
  g_autofree char *spec = mira_store_run_finish ((MiraStore *) source, result, &error);
  g_autoptr(MiraTranscriberChain) chain = NULL;
  MiraTranscriber *transcriber = NULL;

  if (hub != NULL)
    {
      Network *network = g_hash_table_lookup (lookup->shard->networks, lookup->network_id);

      if (network != NULL)
        network->reading_transcriber = FALSE;
      /* A network whose setting cannot be read or used is not
       * transcribed, as "none": the server's chain may send its audio where
       * its own would not (a cloud service instead of one on its LAN).
       */
      if (error != NULL)
        {
          g_warning ("the transcriber setting of network %s could not be read (%s): this "
                     "utterance is not transcribed", lookup->network_id, error->message);
          chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (hub->transcriber),
                                                 "none", NULL);
        }
      else
        {
          chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (hub->transcriber), spec,
                                                 &error);
          if (chain == NULL)
            {
              g_warning ("the transcriber setting of network %s cannot be used on this server "
                         "(%s): its audio is not transcribed until the setting changes",
                         lookup->network_id, error->message);
              chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (hub->transcriber),
                                                     "none", NULL);
            }
          else if (chain != MIRA_TRANSCRIBER_CHAIN (hub->transcriber))
            /* Its Wyoming services say which model they run, as the
             * server's do at start-up: their transcripts name it */
            mira_transcriber_chain_probe (chain);
          /* Kept unless the setting changed while it was read */
          g_mutex_lock (&hub->lock);
          if (hub->transcribers_age == lookup->age)
            g_hash_table_replace (hub->transcribers, g_strdup (lookup->network_id),
                                  g_object_ref (chain));
          g_mutex_unlock (&hub->lock);
        }
      transcriber = MIRA_TRANSCRIBER (chain);
    }
  if (lookup->func != NULL)
    lookup->func (transcriber, lookup->user_data);
  mira_audio_hub_shard_unref (lookup->shard);
  g_free (lookup->network_id);
  g_free (lookup);
}

/* The network's transcriber when it is known (a reference), else NULL */
static MiraTranscriber *
known_transcriber (MiraAudioHub *hub,
                   const char   *network_id,
                   guint        *age_out)
{
  MiraTranscriber *transcriber;

  if (!MIRA_IS_TRANSCRIBER_CHAIN (hub->transcriber))
    return hub->transcriber ? g_object_ref (hub->transcriber) : NULL;
  g_mutex_lock (&hub->lock);
  transcriber = g_hash_table_lookup (hub->transcribers, network_id);
  if (transcriber != NULL)
    g_object_ref (transcriber);
  *age_out = hub->transcribers_age;
  g_mutex_unlock (&hub->lock);
  return transcriber;
}

void
mira_audio_hub_speech_get_transcriber (Network                     *network,
                                       MiraAudioHubTranscriberFunc  func,
                                       gpointer                     user_data)
{
  MiraAudioHub *hub = network->hub;
  g_autoptr(MiraTranscriber) transcriber = NULL;
  Lookup *lookup;
  guint age = 0;

  transcriber = known_transcriber (hub, network->network_id, &age);
  if (transcriber != NULL || hub->transcriber == NULL)
    {
      if (func != NULL)
        func (transcriber, user_data);
      return;
    }
  if (func == NULL && network->reading_transcriber)
    return;
  network->reading_transcriber = TRUE;
  /* A network may name its own chain (its "transcriber" setting): read
   * once, then kept until a setting event says it changed
   */
  lookup = g_new0 (Lookup, 1);
  lookup->shard = mira_audio_hub_shard_ref (network->shard);
  lookup->network_id = g_strdup (network->network_id);
  lookup->age = age;
  lookup->func = func;
  lookup->user_data = user_data;
  mira_store_run_async (hub->store, read_transcriber_setting, g_strdup (network->network_id),
                        g_free, g_free, NULL, transcriber_setting_read, lookup);
}

void
mira_audio_hub_speech_stop (Network *network)
{
  if (network->decode != NULL)
    mira_sphinx_decode_cancel (network->decode);
  g_clear_pointer (&network->decode, mira_sphinx_decode_unref);
  g_clear_object (&network->decode_transcriber);
  g_clear_pointer (&network->decode_stream, g_free);
  network->decode_pushed = 0;
}

/* A decode of the open utterance from @client_id's audio, when the
 * network's transcriber can decode while it is spoken
 */
static void
begin (Network    *network,
       const char *client_id)
{
  MiraAudioStream *stream = mira_audio_hub_network_find_stream (network, client_id);
  g_autoptr(MiraTranscriber) transcriber = NULL;
  guint age = 0;

  transcriber = known_transcriber (network->hub, network->network_id, &age);
  if (transcriber == NULL)
    {
      /* Known for the next push, or at least the next utterance */
      if (network->hub->transcriber != NULL)
        mira_audio_hub_speech_get_transcriber (network, NULL, NULL);
      network->decode_none = network->hub->transcriber == NULL;
      return;
    }
  /* Normalised by the microphone's own mean; its first utterance, before
   * it has one, is decoded whole at its end (README, Speech figures)
   */
  network->decode = mira_transcriber_decode_new (transcriber,
                                                 stream && stream->has_cmn ? &stream->cmn : NULL);
  if (network->decode == NULL)
    {
      network->decode_none = TRUE;
      return;
    }
  network->decode_transcriber = g_steal_pointer (&transcriber);
  network->decode_stream = g_strdup (client_id);
  network->decode_pushed = 0;
}

static gboolean
is_streaming (Network    *network,
              const char *client_id)
{
  MiraAudioStream *stream = client_id ? mira_audio_hub_network_find_stream (network, client_id)
                                      : NULL;

  return stream != NULL && !stream->stopped;
}

void
mira_audio_hub_speech_follow (Network         *network,
                              MiraAudioStream *stream)
{
  MiraArbiter *arbiter = network->arbiter;
  const char *best;
  const gint16 *samples;
  gsize n = 0;

  if (!mira_arbiter_in_utterance (arbiter))
    {
      /* The next utterance is another's: it may decode as it comes again */
      network->decode_none = FALSE;
      network->decode_taken = 0;
      return;
    }
  if (network->decode_none)
    return;
  best = mira_arbiter_get_best (arbiter, NULL);
  if (!is_streaming (network, best))
    {
      /* The live best stopped before this utterance (audio-stop) and keeps
       * its rank until another beats it: the words are on the streams that
       * send audio, and the decode stays on the one it began on
       */
      best = network->decode != NULL && is_streaming (network, network->decode_stream)
             ? network->decode_stream : stream->client_id;
    }

  /* The best stream changed: decode the new one's audio of the window
   * from its start (the arbiter keeps it)
   */
  if (network->decode != NULL && !g_str_equal (network->decode_stream, best))
    {
      g_debug ("the decode of %s's utterance moves from %s to %s", network->network_id,
               network->decode_stream, best);
      mira_audio_hub_speech_stop (network);
    }
  if (network->decode == NULL)
    {
      /* The early transcription took the utterance as it stood: a decode
       * begins again only when voice comes back and the window goes on
       */
      if (network->decode_taken > 0)
        {
          mira_arbiter_peek_window (arbiter, best, 0, &n);
          if (n <= network->decode_taken)
            return;
          network->decode_taken = 0;
        }
      begin (network, best);
      if (network->decode == NULL)
        return;
    }
  if (!g_str_equal (stream->client_id, network->decode_stream) &&
      network->decode_pushed > 0)
    return;

  samples = mira_arbiter_peek_window (arbiter, network->decode_stream, network->decode_pushed,
                                      &n);
  if (samples != NULL)
    {
      mira_sphinx_decode_push (network->decode, samples, n);
      network->decode_pushed += n;
    }
}

MiraSphinxDecode *
mira_audio_hub_speech_take_decode (Network          *network,
                                   MiraUtterance    *utterance,
                                   gboolean          early,
                                   MiraTranscriber **transcriber_out)
{
  MiraSphinxDecode *decode = NULL;

  *transcriber_out = NULL;
  if (network->decode != NULL && g_str_equal (network->decode_stream, utterance->client_id))
    {
      decode = g_steal_pointer (&network->decode);
      *transcriber_out = g_steal_pointer (&network->decode_transcriber);
    }
  mira_audio_hub_speech_stop (network);
  network->decode_taken = early ? utterance->samples->len : 0;
  return decode;
}
