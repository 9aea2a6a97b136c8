/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-hub"

/* A network's speech engine on its shard: which transcriber it uses (the
 * hub's, or the chain its "transcriber" setting names) and in which
 * language (its "language" setting), read once and kept until a setting
 * event says one changed, and the decode that follows its
 * open utterance while it is spoken, on the stream the arbiter holds best,
 * so that when the utterance ends only its last fraction of a second is
 * left to decode.
 */

#include "mira-audio-hub-private.h"

#include "mira-db.h"
#include "mira-networks.h"
#include "mira-store.h"
#include "mira-transcriber-chain.h"

/* What a network's utterances are transcribed with, and in (the default of
 * the "language" setting when it has none)
 */
typedef struct
{
  MiraTranscriber *transcriber;
  char            *language;
} Speech;

#define DEFAULT_LANGUAGE "en"

static void
speech_free (Speech *speech)
{
  g_clear_object (&speech->transcriber);
  g_free (speech->language);
  g_free (speech);
}

/* The events after which a network's transcriber or language may be another */
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
      const char *key = setting ? json_object_get_string_member_with_default (setting, "key",
                                                                              NULL) : NULL;

      if (g_strcmp0 (key, "transcriber") != 0 && g_strcmp0 (key, "language") != 0)
        return;
    }
  else if (!g_str_equal (type, "network_updated") && !g_str_equal (type, "network_deleted"))
    return;

  g_mutex_lock (&hub->lock);
  g_hash_table_remove (hub->speech, network_id);
  hub->speech_age++;
  g_mutex_unlock (&hub->lock);
}

void
mira_audio_hub_speech_init (MiraAudioHub *hub)
{
  hub->speech = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) speech_free);
  if (hub->transcriber != NULL)
    hub->settings_watch = mira_event_bus_subscribe (hub->bus, NULL, on_event, hub);
}

void
mira_audio_hub_speech_clear (MiraAudioHub *hub)
{
  if (hub->settings_watch != 0)
    mira_event_bus_unsubscribe (hub->bus, hub->settings_watch);
  g_clear_pointer (&hub->speech, g_hash_table_unref);
}

/* A network's settings of speech as read: NULL where unset */
typedef struct
{
  char *transcriber;
  char *language;
} SpeechSettings;

static void
speech_settings_free (SpeechSettings *settings)
{
  g_free (settings->transcriber);
  g_free (settings->language);
  g_free (settings);
}

/* The network's setting @key when it is a JSON string */
static gboolean
read_string_setting (MiraDb      *db,
                     const char  *network_id,
                     const char  *key,
                     char       **value,
                     GError     **error)
{
  g_autoptr(MiraNetworkSetting) setting = NULL;

  *value = NULL;
  if (!mira_networks_get_setting (db, network_id, key, &setting, error))
    return FALSE;
  if (setting != NULL && setting->value != NULL && JSON_NODE_HOLDS_VALUE (setting->value) &&
      json_node_get_value_type (setting->value) == G_TYPE_STRING)
    *value = g_strdup (json_node_get_string (setting->value));
  return TRUE;
}

/* The network's "transcriber" and "language" settings (SpeechSettings) */
static gpointer
read_speech_settings (MiraDb    *db,
                      gpointer   data,
                      GError   **error)
{
  SpeechSettings *settings = g_new0 (SpeechSettings, 1);

  if (!read_string_setting (db, data, "transcriber", &settings->transcriber, error) ||
      !read_string_setting (db, data, "language", &settings->language, error))
    {
      speech_settings_free (settings);
      return NULL;
    }
  return settings;
}

typedef struct
{
  Shard                   *shard;
  char                    *network_id;
  guint                    age;        /* the settings' when the read began */
  MiraAudioHubSpeechFunc   func;
  gpointer                 user_data;
} Lookup;

/* The network's own chain when it sets one, else the hub's; its language */
static void
speech_settings_read (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Lookup *lookup = user_data;
  MiraAudioHub *hub = lookup->shard->hub;
  g_autoptr(GError) error = NULL;
  SpeechSettings *settings = mira_store_run_finish ((MiraStore *) source, result, &error);
  g_autoptr(MiraTranscriberChain) chain = NULL;
  MiraTranscriber *transcriber = NULL;
  const char *language = DEFAULT_LANGUAGE;

  if (settings != NULL && settings->language != NULL)
    language = settings->language;
  if (hub != NULL)
    {
      Network *network = g_hash_table_lookup (lookup->shard->networks, lookup->network_id);

      if (network != NULL)
        network->reading_speech = FALSE;
      if (!MIRA_IS_TRANSCRIBER_CHAIN (hub->transcriber))
        transcriber = hub->transcriber;
      /* A network whose setting cannot be read or used is not
       * transcribed, as "none": the server's chain may send its audio where
       * its own would not (a cloud service instead of one on its LAN).
       */
      else if (error != NULL)
        {
          g_warning ("the transcriber setting of network %s could not be read (%s): this "
                     "utterance is not transcribed", lookup->network_id, error->message);
          chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (hub->transcriber),
                                                 "none", NULL);
          transcriber = MIRA_TRANSCRIBER (chain);
        }
      else
        {
          chain = mira_transcriber_chain_derive (MIRA_TRANSCRIBER_CHAIN (hub->transcriber),
                                                 settings->transcriber, &error);
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
          transcriber = MIRA_TRANSCRIBER (chain);
        }
      if (settings != NULL && !mira_transcriber_takes_language (transcriber, language) &&
          !(MIRA_IS_TRANSCRIBER_CHAIN (transcriber) &&
            mira_transcriber_chain_is_empty (MIRA_TRANSCRIBER_CHAIN (transcriber))))
        g_message ("no transcriber of network %s has a model for its language %s: its "
                   "utterances are not transcribed until the setting changes",
                   lookup->network_id, language);
      /* Kept unless a setting changed while it was read */
      g_mutex_lock (&hub->lock);
      if (settings != NULL && hub->speech_age == lookup->age)
        {
          Speech *speech = g_new0 (Speech, 1);

          speech->transcriber = g_object_ref (transcriber);
          speech->language = g_strdup (language);
          g_hash_table_replace (hub->speech, g_strdup (lookup->network_id), speech);
        }
      g_mutex_unlock (&hub->lock);
    }
  if (lookup->func != NULL)
    lookup->func (transcriber, language, lookup->user_data);
  g_clear_pointer (&settings, speech_settings_free);
  mira_audio_hub_shard_unref (lookup->shard);
  g_free (lookup->network_id);
  g_free (lookup);
}

/* The network's transcriber (a reference) and language (a copy) when they
 * are known, else FALSE
 */
static gboolean
known_speech (MiraAudioHub     *hub,
              const char       *network_id,
              MiraTranscriber **transcriber,
              char            **language,
              guint            *age_out)
{
  Speech *speech;

  g_mutex_lock (&hub->lock);
  speech = g_hash_table_lookup (hub->speech, network_id);
  if (speech != NULL)
    {
      *transcriber = g_object_ref (speech->transcriber);
      *language = g_strdup (speech->language);
    }
  *age_out = hub->speech_age;
  g_mutex_unlock (&hub->lock);
  return speech != NULL;
}

void
mira_audio_hub_speech_get (Network                *network,
                           MiraAudioHubSpeechFunc  func,
                           gpointer                user_data)
{
  MiraAudioHub *hub = network->hub;
  g_autoptr(MiraTranscriber) transcriber = NULL;
  g_autofree char *language = NULL;
  Lookup *lookup;
  guint age = 0;

  if (hub->transcriber == NULL ||
      known_speech (hub, network->network_id, &transcriber, &language, &age))
    {
      if (func != NULL)
        func (transcriber, language, user_data);
      return;
    }
  if (func == NULL && network->reading_speech)
    return;
  network->reading_speech = TRUE;
  /* A network may name its own chain (its "transcriber" setting) and says
   * what it speaks: read once, then kept until a setting event says one
   * changed
   */
  lookup = g_new0 (Lookup, 1);
  lookup->shard = mira_audio_hub_shard_ref (network->shard);
  lookup->network_id = g_strdup (network->network_id);
  lookup->age = age;
  lookup->func = func;
  lookup->user_data = user_data;
  mira_store_run_async (hub->store, read_speech_settings, g_strdup (network->network_id),
                        g_free, (GDestroyNotify) speech_settings_free, NULL,
                        speech_settings_read, lookup);
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
  g_autofree char *language = NULL;
  guint age = 0;

  if (network->hub->transcriber == NULL ||
      !known_speech (network->hub, network->network_id, &transcriber, &language, &age))
    {
      /* Known for the next push, or at least the next utterance */
      if (network->hub->transcriber != NULL)
        mira_audio_hub_speech_get (network, NULL, NULL);
      network->decode_none = network->hub->transcriber == NULL;
      return;
    }
  /* Normalised by the microphone's own mean; its first utterance, before
   * it has one, is decoded whole at its end (README, Speech figures)
   */
  network->decode = mira_transcriber_decode_new (transcriber, language,
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
