/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-sockets"

/* A socket as its audio thread reads it: its Wyoming events, the decoder
 * each audio-start opens, the scorer and the hub's stream its samples go
 * to, the packets that cannot be decoded and the limits on format changes
 * and control events; what it sends back (errors, warnings, pongs,
 * transcripts).
 */

#include "mira-audio-sockets-private.h"

#include <string.h>

#include "mira-db.h"
#include "mira-grants.h"
#include "mira-json.h"

G_DEFINE_QUARK (mira-audio-sockets-error-quark, mira_audio_sockets_error)

/* A new audio format builds a resampler on the audio thread, which every
 * stream of the thread waits for: a stream may change its format this many
 * times at once, then once every FORMAT_CHANGE_S seconds (1008 beyond).
 */
#define FORMAT_CHANGE_BURST 4
#define FORMAT_CHANGE_S     2
/* Events other than audio-chunk (ping, audio-start, audio-stop, others)
 * cost the audio thread without carrying audio: this many a second, in
 * bursts of CONTROL_BURST (1008 beyond). Many fit in one message.
 */
#define CONTROL_RATE        100
#define CONTROL_BURST       500
/* A packet that cannot be decoded is dropped and the stream goes on; one
 * that sends nothing else for this long is closed (1003).
 */
#define BAD_AUDIO_LIMIT_US (10 * G_USEC_PER_SEC)
/* At most one warning message to the device this often */
#define BAD_AUDIO_WARNING_US (5 * G_USEC_PER_SEC)
/* Dropped packets in a row stood in for (Opus fades to silence by then) */
#define MAX_CONCEALED 5

Peer *
mira_audio_sockets_peer_ref (Peer *peer)
{
  g_atomic_int_inc (&peer->ref_count);
  return peer;
}

/* The last of the two halves frees it, on whichever thread. */
void
mira_audio_sockets_peer_unref (Peer *peer)
{
  if (!g_atomic_int_dec_and_test (&peer->ref_count))
    return;
  g_assert (peer->hub_stream == NULL);
  g_assert (peer->ws == NULL);
  g_clear_object (&peer->stream);
  g_free (peer->codec);
  g_free (peer->network_id);
  g_free (peer->client_id);
  g_clear_pointer (&peer->parser, mira_wyoming_parser_free);
  g_clear_pointer (&peer->decoder, mira_audio_decoder_free);
  g_clear_pointer (&peer->scorer, mira_scorer_free);
  g_array_unref (peer->pcm);
  g_array_unref (peer->frames);
  g_ptr_array_unref (peer->events);
  g_free (peer);
}

char *
mira_audio_sockets_json_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mira_json_to_string (node, FALSE);
}

char *
mira_audio_sockets_error_text (const char *error_code,
                               const char *message)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "type", "error");
  json_object_set_string_member (object, "error", error_code);
  json_object_set_string_member (object, "message", message);
  return mira_audio_sockets_json_text (object);
}

void
mira_audio_sockets_peer_send_text (Peer       *peer,
                                   const char *text)
{
  if (peer->ws != NULL && mira_websocket_is_open (peer->ws))
    mira_websocket_send_text (peer->ws, text, strlen (text));
}

gushort
mira_audio_sockets_error_close (const GError  *error,
                                const char   **error_code)
{
  gushort code = 1008;   /* Policy Violation */

  g_return_val_if_fail (error != NULL, 1008);

  /* Refused or revoked: the grants' answer, for event sockets too */
  if (error->domain == MIRA_GRANTS_ERROR || error->domain == MIRA_DB_ERROR)
    return mira_grants_error_close (error, error_code);

  if (error->domain == MIRA_WYOMING_ERROR)
    code = (gushort) mira_wyoming_error_close_code (error);
  else if (error->domain == MIRA_AUDIO_ERROR)
    {
      switch ((MiraAudioError) error->code)
        {
        case MIRA_AUDIO_ERROR_INVALID:
        case MIRA_AUDIO_ERROR_UNSUPPORTED:
          code = 1003;   /* Unsupported Data */
          break;
        case MIRA_AUDIO_ERROR_TOO_LONG:
          code = 1009;   /* Message Too Big */
          break;
        case MIRA_AUDIO_ERROR_FAILED:
        default:
          break;
        }
    }
  else if (g_error_matches (error, MIRA_AUDIO_SOCKETS_ERROR, MIRA_AUDIO_SOCKETS_ERROR_BAD_AUDIO))
    code = 1003;

  if (error_code != NULL)
    *error_code = code == 1009 ? "MESSAGE_TOO_LARGE" : "INVALID_AUDIO";
  return code;
}

/* Says what went wrong, then closes with @code; the rest is not read. */
static void
io_fail (Peer       *peer,
         gushort     code,
         const char *error_code,
         const char *message)
{
  g_autofree char *text = mira_audio_sockets_error_text (error_code, message);

  if (peer->failed)
    return;
  peer->failed = TRUE;
  g_message ("audio socket of %s closed: %s", peer->client_id ? peer->client_id : "?", message);
  mira_audio_sockets_peer_send_text (peer, text);
  mira_websocket_close (peer->ws, code, error_code);
}

static gboolean
open_decoder (Peer              *peer,
              MiraWyomingEvent  *event,
              GError           **error)
{
  guint rate = (guint) CLAMP (mira_wyoming_event_get_int (event, "rate", 16000), 0, G_MAXUINT);
  guint width = (guint) CLAMP (mira_wyoming_event_get_int (event, "width", 2), 0, G_MAXUINT);
  guint channels = (guint) CLAMP (mira_wyoming_event_get_int (event, "channels", 1), 0,
                                  G_MAXUINT);
  gboolean opus = peer->kind == MIRA_AUDIO_SOCKET_OMI || g_strcmp0 (peer->codec, "opus") == 0;
  guint format[4] = { rate, width, channels, opus };
  MiraAudioDecoder *decoder;

  if (peer->decoder != NULL && memcmp (format, peer->format, sizeof format) != 0)
    {
      gint64 now = g_get_monotonic_time ();

      peer->format_allowance = MIN ((double) FORMAT_CHANGE_BURST,
                                    peer->format_allowance + (double) (now - peer->format_at) /
                                                               (FORMAT_CHANGE_S * G_USEC_PER_SEC));
      peer->format_at = now;
      if (peer->format_allowance < 1.0)
        {
          g_set_error (error, MIRA_AUDIO_SOCKETS_ERROR, MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_FORMATS,
                       "The audio format changed too often: at most %d times at once, then "
                       "once every %d s", FORMAT_CHANGE_BURST, FORMAT_CHANGE_S);
          return FALSE;
        }
      peer->format_allowance -= 1.0;
    }

  /* The new decoder before the old one goes: the same rate shares its filter */
  if (opus)
    decoder = mira_audio_decoder_new_opus (rate, channels, peer->kind == MIRA_AUDIO_SOCKET_OMI,
                                           error);
  else
    decoder = mira_audio_decoder_new_pcm (rate, width, channels, error);
  if (decoder == NULL)
    return FALSE;
  g_clear_pointer (&peer->decoder, mira_audio_decoder_free);
  peer->decoder = decoder;
  memcpy (peer->format, format, sizeof format);
  if (!opus)
    mira_wyoming_parser_set_default_format (peer->parser, rate, width, channels);
  return TRUE;
}

MiraAudioHub *
mira_audio_sockets_peer_hub (Peer *peer)
{
  return peer->owner->hub;
}

/* Decoded samples are scored and arbitrated here, on the audio thread. */
static void
push_pcm (Peer *peer)
{
  if (peer->pcm->len == 0)
    return;
  g_array_set_size (peer->frames, 0);
  mira_scorer_push (peer->scorer, (const gint16 *) peer->pcm->data, peer->pcm->len,
                    peer->frames);
  if (peer->frames->len > 0)
    {
      MiraStreamMetrics metrics;

      mira_scorer_get_metrics (peer->scorer, &metrics);
      mira_audio_hub_audio_scored (mira_audio_sockets_peer_hub (peer), peer->hub_stream,
                                   (const gint16 *) peer->pcm->data, peer->pcm->len,
                                   (const MiraFrameFeatures *) peer->frames->data,
                                   peer->frames->len, &metrics);
    }
  else
    mira_audio_hub_audio_scored (mira_audio_sockets_peer_hub (peer), peer->hub_stream,
                                 (const gint16 *) peer->pcm->data, peer->pcm->len, NULL, 0,
                                 NULL);
}

/* One packet of @len bytes could not be decoded (@problem): it is dropped,
 * counted, stood in for and reported now and then; FALSE (with @error) once
 * the stream has sent nothing else for BAD_AUDIO_LIMIT_US.
 */
static gboolean
bad_packet (Peer          *peer,
            gsize          len,
            const GError  *problem,
            GError       **error)
{
  gint64 now = g_get_monotonic_time ();

  peer->bad_packets++;
  __atomic_add_fetch (&peer->thread->bad_packets, 1, __ATOMIC_RELAXED);
  mira_audio_hub_packet_dropped (mira_audio_sockets_peer_hub (peer), peer->hub_stream);
  if (peer->bad_since_us == 0)
    peer->bad_since_us = now;
  else if (now - peer->bad_since_us >= BAD_AUDIO_LIMIT_US)
    {
      g_set_error (error, MIRA_AUDIO_SOCKETS_ERROR, MIRA_AUDIO_SOCKETS_ERROR_BAD_AUDIO,
                   "Nothing but undecodable audio for %d s (%" G_GUINT64_FORMAT
                   " packets dropped; the last: %s)", (int) (BAD_AUDIO_LIMIT_US / G_USEC_PER_SEC),
                   peer->bad_packets, problem->message);
      return FALSE;
    }

  /* The scorer and the arbiter see a short gap filled, not a jump. */
  if (peer->concealed_run < MAX_CONCEALED)
    {
      peer->concealed_run++;
      mira_audio_decoder_conceal (peer->decoder, len, peer->pcm);
    }

  if (peer->warned_us == 0 || now - peer->warned_us >= BAD_AUDIO_WARNING_US)
    {
      g_autoptr(JsonObject) warning = json_object_new ();
      g_autofree char *text = NULL;

      peer->warned_us = now;
      json_object_set_string_member (warning, "type", "warning");
      json_object_set_string_member (warning, "warning", "BAD_AUDIO");
      json_object_set_string_member (warning, "message", problem->message);
      json_object_set_int_member (warning, "dropped", (gint64) peer->bad_packets);
      text = mira_audio_sockets_json_text (warning);
      mira_audio_sockets_peer_send_text (peer, text);
      g_message ("audio socket of %s: %" G_GUINT64_FORMAT " packets dropped, the last: %s",
                 peer->client_id, peer->bad_packets, problem->message);
    }
  return TRUE;
}

static gboolean
take_control_allowance (Peer *peer)
{
  gint64 now = g_get_monotonic_time ();

  if (peer->control_at == 0)
    peer->control_allowance = CONTROL_BURST;
  else
    peer->control_allowance = MIN ((double) CONTROL_BURST,
                                   peer->control_allowance
                                     + (double) (now - peer->control_at) * CONTROL_RATE /
                                         G_USEC_PER_SEC);
  peer->control_at = now;
  if (peer->control_allowance < 1.0)
    return FALSE;
  peer->control_allowance -= 1.0;
  return TRUE;
}

static gboolean
handle_event (Peer              *peer,
              MiraWyomingEvent  *event,
              GError           **error)
{
  if (!g_str_equal (event->type, "audio-chunk") && !take_control_allowance (peer))
    {
      g_set_error (error, MIRA_AUDIO_SOCKETS_ERROR, MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_EVENTS,
                   "More than %d events other than audio-chunk a second (bursts of %d)",
                   CONTROL_RATE, CONTROL_BURST);
      return FALSE;
    }
  if (g_str_equal (event->type, "audio-start"))
    {
      if (!open_decoder (peer, event, error))
        return FALSE;
      mira_audio_hub_start (mira_audio_sockets_peer_hub (peer), peer->hub_stream);
    }
  else if (g_str_equal (event->type, "audio-chunk"))
    {
      /* Some clients send chunks that carry their format, without a start. */
      if (peer->decoder == NULL && !open_decoder (peer, event, error))
        return FALSE;
      if (event->payload != NULL && g_bytes_get_size (event->payload) > 0)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (event->payload, &size);
          g_autoptr(GError) problem = NULL;

          g_array_set_size (peer->pcm, 0);
          if (mira_audio_decoder_push_packet (peer->decoder, data, size, peer->pcm, &problem))
            {
              peer->bad_since_us = 0;
              peer->concealed_run = 0;
            }
          /* Its content is bad, not the stream's framing: the stream goes on. */
          else if (!bad_packet (peer, size, problem, error))
            return FALSE;
          push_pcm (peer);
        }
    }
  else if (g_str_equal (event->type, "audio-stop"))
    {
      if (peer->decoder != NULL)
        {
          g_array_set_size (peer->pcm, 0);
          mira_audio_decoder_flush (peer->decoder, peer->pcm);
          push_pcm (peer);
        }
      mira_audio_hub_stop (mira_audio_sockets_peer_hub (peer), peer->hub_stream);
    }
  else if (g_str_equal (event->type, "ping"))
    /* Everything before it went through */
    mira_audio_sockets_peer_send_text (peer, "{\"type\":\"pong\"}");
  /* Other Wyoming events (describe, transcribe, …) are not for this server: ignored. */
  return TRUE;
}

void
mira_audio_sockets_peer_message (gpointer      user_data,
                                 gboolean      text,
                                 const guint8 *data,
                                 gsize         len)
{
  Peer *peer = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  __atomic_add_fetch (&peer->thread->messages, 1, __ATOMIC_RELAXED);
  if (peer->failed || peer->hub_stream == NULL)
    return;
  g_ptr_array_set_size (peer->events, 0);
  if (text)
    ok = mira_wyoming_parser_feed_text (peer->parser, (const char *) data, len, peer->events,
                                        &error);
  else
    ok = mira_wyoming_parser_feed_binary (peer->parser, data, len, peer->events, &error);

  for (guint i = 0; ok && i < peer->events->len; i++)
    ok = handle_event (peer, g_ptr_array_index (peer->events, i), &error);
  g_ptr_array_set_size (peer->events, 0);

  if (!ok)
    {
      const char *error_code;
      gushort code = mira_audio_sockets_error_close (error, &error_code);

      io_fail (peer, code, error_code, error->message);
    }
}

void
mira_audio_sockets_peer_too_big (gpointer user_data,
                                 guint64  size)
{
  Peer *peer = user_data;
  g_autofree char *message = g_strdup_printf ("A message of %" G_GUINT64_FORMAT " bytes is over "
                                              "the limit of %d bytes", size, MAX_MESSAGE_BYTES);

  io_fail (peer, 1009, "MESSAGE_TOO_LARGE", message);
}

/* The hub's word for this device, on this thread */
void
mira_audio_sockets_peer_transcript (gpointer    user_data,
                                    const char *text,
                                    const char *interaction_id)
{
  Peer *peer = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *message = NULL;

  json_object_set_string_member (object, "type", "transcript");
  json_object_set_string_member (object, "text", text);
  json_object_set_string_member (object, "interaction_id", interaction_id);
  message = mira_audio_sockets_json_text (object);
  mira_audio_sockets_peer_send_text (peer, message);
}
