/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-socket"

/* One device's microphone: Wyoming events over a WebSocket, decoded to
 * 16 kHz mono and handed to the audio hub. Bad input ends this socket with a
 * clear message and a close code, and nothing else.
 *
 * A socket has two halves. On the server's thread: authentication and the
 * network's events (which may end the socket). On the audio thread of its
 * network's hub shard: everything else, the WebSocket, the Wyoming parser,
 * the decoder, the scorer and the hub's stream, so that a packet is read,
 * decoded, scored and arbitrated on one thread, and a ping is answered once
 * all the audio sent before it went through. The halves talk through two
 * mailboxes per audio thread: "down" says start or close; "up" says
 * the socket is gone.
 */

#include "mira-audio-socket.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "mira-audio-decoder.h"
#include "mira-audio-hub.h"
#include "mira-clients.h"
#include "mira-error.h"
#include "mira-event-bus.h"
#include "mira-grants.h"
#include "mira-json.h"
#include "mira-poller.h"
#include "mira-store-write.h"
#include "mira-util.h"
#include "mira-websocket.h"
#include "mira-wyoming.h"

/* Under load an audio thread reads its sockets this often, each time all
 * that came meanwhile, rather than waking up for every packet.
 */
#define COALESCE_US 3000
/* The largest WebSocket message an audio socket takes (1009 above). */
#define MAX_MESSAGE_BYTES (256 * 1024)
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

typedef struct
{
  GMutex        lock;
  GPtrArray    *items;
  GDestroyNotify free_func;
  GSource      *scheduled;    /* the drain to come */
  GMainContext *context;
  GSourceFunc   drain;
  gpointer      data;
} Mailbox;

struct _AudioThread
{
  MiraAudioSockets *owner;
  GThread          *thread;
  GMainContext     *context;
  gint              quit;
  MiraPoller       *poller;
  Mailbox           down;       /* to this thread */
  Mailbox           up;         /* to the server's thread */
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

/* Whether a client is connected is a matter of all its live sockets, not
 * of one: a phone roaming from Wi-Fi to mobile data opens its new socket
 * before the old one is gone. The server's thread counts them per client
 * and writes the client's status (and sends its event) only when the count
 * goes from 0 or to 0, one write at a time, so that the last word always
 * matches the sockets, whatever order they come and go in.
 */
typedef struct
{
  char     *network_id;
  char     *client_id;
  guint     live;        /* authenticated sockets not closed yet */
  gboolean  connected;   /* what the database was last told */
  gboolean  writing;     /* a write is under way */
} Presence;

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

/* Peers ------------------------------------------------------------------- */

static Peer *
peer_ref (Peer *peer)
{
  g_atomic_int_inc (&peer->ref_count);
  return peer;
}

/* The last of the two halves frees it, on whichever thread. */
static void
peer_unref (Peer *peer)
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

static void
up_free (gpointer data)
{
  Up *up = data;

  peer_unref (up->peer);
  g_free (up);
}

static void
down_free (gpointer data)
{
  Down *down = data;

  peer_unref (down->peer);
  g_free (down->text);
  g_free (down->reason);
  g_free (down);
}

static char *
json_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return mira_json_to_string (node, FALSE);
}

static char *
error_text (const char *error_code,
            const char *message)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "type", "error");
  json_object_set_string_member (object, "error", error_code);
  json_object_set_string_member (object, "message", message);
  return json_text (object);
}

/* Mailboxes --------------------------------------------------------------- */

static void
mailbox_init (Mailbox        *box,
              GMainContext   *context,
              GDestroyNotify  free_func,
              GSourceFunc     drain,
              gpointer        data)
{
  g_mutex_init (&box->lock);
  box->items = g_ptr_array_new_with_free_func (free_func);
  box->free_func = free_func;
  box->context = context;
  box->drain = drain;
  box->data = data;
}

static void
mailbox_clear (Mailbox *box)
{
  if (box->scheduled != NULL)
    {
      g_source_destroy (box->scheduled);
      g_source_unref (box->scheduled);
    }
  g_ptr_array_unref (box->items);
  g_mutex_clear (&box->lock);
}

/* Moves @items (emptied) into @box and wakes its thread if it sleeps. */
static void
mailbox_post (Mailbox   *box,
              GPtrArray *items)
{
  if (items->len == 0)
    return;
  g_mutex_lock (&box->lock);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (box->items, items->pdata[i]);
  if (box->scheduled == NULL)
    {
      box->scheduled = g_idle_source_new ();
      g_source_set_priority (box->scheduled, G_PRIORITY_DEFAULT);
      g_source_set_callback (box->scheduled, box->drain, box->data, NULL);
      g_source_set_static_name (box->scheduled, "mira-audio-mailbox");
      g_source_attach (box->scheduled, box->context);
    }
  g_mutex_unlock (&box->lock);
  /* They moved: not freed */
  g_free (g_ptr_array_steal (items, NULL));
}

static void
mailbox_post_one (Mailbox  *box,
                  gpointer  item)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  g_ptr_array_add (items, item);
  mailbox_post (box, items);
}

static GPtrArray *
mailbox_take (Mailbox *box)
{
  GPtrArray *items;

  g_mutex_lock (&box->lock);
  items = box->items;
  box->items = g_ptr_array_new_full (MAX (items->len, 16), box->free_func);
  g_clear_pointer (&box->scheduled, g_source_unref);
  g_mutex_unlock (&box->lock);
  return items;
}

/* The audio thread's half ------------------------------------------------ */

static void
send_text (Peer       *peer,
           const char *text)
{
  if (peer->ws != NULL && mira_websocket_is_open (peer->ws))
    mira_websocket_send_text (peer->ws, text, strlen (text));
}

/* Says what went wrong, then closes with @code; the rest is not read. */
static void
io_fail (Peer       *peer,
         gushort     code,
         const char *error_code,
         const char *message)
{
  g_autofree char *text = error_text (error_code, message);

  if (peer->failed)
    return;
  peer->failed = TRUE;
  g_message ("audio socket of %s closed: %s", peer->client_id ? peer->client_id : "?", message);
  send_text (peer, text);
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
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_TOO_MANY,
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

static MiraAudioHub *
hub_of (Peer *peer)
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
      mira_audio_hub_audio_scored (hub_of (peer), peer->hub_stream,
                                   (const gint16 *) peer->pcm->data, peer->pcm->len,
                                   (const MiraFrameFeatures *) peer->frames->data,
                                   peer->frames->len, &metrics);
    }
  else
    mira_audio_hub_audio_scored (hub_of (peer), peer->hub_stream,
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
  mira_audio_hub_packet_dropped (hub_of (peer), peer->hub_stream);
  if (peer->bad_since_us == 0)
    peer->bad_since_us = now;
  else if (now - peer->bad_since_us >= BAD_AUDIO_LIMIT_US)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
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
      text = json_text (warning);
      send_text (peer, text);
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
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_TOO_MANY,
                   "More than %d events other than audio-chunk a second (bursts of %d)",
                   CONTROL_RATE, CONTROL_BURST);
      return FALSE;
    }
  if (g_str_equal (event->type, "audio-start"))
    {
      if (!open_decoder (peer, event, error))
        return FALSE;
      mira_audio_hub_start (hub_of (peer), peer->hub_stream);
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
      mira_audio_hub_stop (hub_of (peer), peer->hub_stream);
    }
  else if (g_str_equal (event->type, "ping"))
    send_text (peer, "{\"type\":\"pong\"}");   /* everything before it went through */
  /* Other Wyoming events (describe, transcribe, …) are not for this server: ignored. */
  return TRUE;
}

static void
on_message (gpointer      user_data,
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
      guint code = error->domain == MIRA_ERROR && error->code == MIRA_ERROR_TOO_LARGE
                     ? 1009 : mira_wyoming_error_close_code (error);

      io_fail (peer, (gushort) code, code == 1009 ? "MESSAGE_TOO_LARGE" : "INVALID_AUDIO",
               error->message);
    }
}

static void
on_too_big (gpointer user_data,
            guint64  size)
{
  Peer *peer = user_data;
  g_autofree char *message = g_strdup_printf ("A message of %" G_GUINT64_FORMAT " bytes is over "
                                              "the limit of %d bytes", size, MAX_MESSAGE_BYTES);

  io_fail (peer, 1009, "MESSAGE_TOO_LARGE", message);
}

static void
on_ws_closed (gpointer user_data,
              gushort  code)
{
  Peer *peer = user_data;
  AudioThread *thread = peer->thread;
  Up *up = g_new0 (Up, 1);

  peer->ended = TRUE;
  if (peer->hub_stream != NULL)
    {
      mira_audio_hub_detach (hub_of (peer), peer->hub_stream, peer);
      peer->hub_stream = NULL;
    }
  up->peer = peer_ref (peer);
  mailbox_post_one (&thread->up, up);
  g_clear_pointer (&peer->ws, mira_websocket_free);
  g_hash_table_remove (thread->live, peer);
  g_atomic_int_add (&thread->n_live, -1);
  peer_unref (peer);   /* this half's */
}

/* The hub's word for this device, on this thread */
static void
on_transcript (gpointer    user_data,
               const char *text,
               const char *interaction_id)
{
  Peer *peer = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *message = NULL;

  json_object_set_string_member (object, "type", "transcript");
  json_object_set_string_member (object, "text", text);
  json_object_set_string_member (object, "interaction_id", interaction_id);
  message = json_text (object);
  send_text (peer, message);
}

static const MiraWebsocketCallbacks ws_callbacks = {
  on_message,
  on_too_big,
  on_ws_closed,
};

static void
io_open (Peer *peer)
{
  if (peer->ws != NULL || peer->ended)
    return;
  peer->ws = mira_websocket_new (peer->stream, peer->thread->poller, MAX_MESSAGE_BYTES,
                                 &ws_callbacks, peer);
  g_hash_table_add (peer->thread->live, peer_ref (peer));
  g_atomic_int_inc (&peer->thread->n_live);
}

static gboolean
drain_down (gpointer user_data)
{
  AudioThread *thread = user_data;
  g_autoptr(GPtrArray) items = mailbox_take (&thread->down);

  for (guint i = 0; i < items->len; i++)
    {
      Down *down = g_ptr_array_index (items, i);
      Peer *peer = down->peer;

      switch (down->kind)
        {
        case DOWN_START:
          io_open (peer);
          if (peer->ws == NULL)
            break;
          peer->hub_stream = mira_audio_hub_attach (hub_of (peer), peer->network_id,
                                                    peer->client_id, peer->rssi, on_transcript,
                                                    peer);
          send_text (peer, down->text);
          break;
        case DOWN_CLOSE:
          /* A socket refused before it started opens only to say why. */
          if (peer->ws == NULL)
            {
              peer->failed = TRUE;
              io_open (peer);
            }
          if (peer->ws == NULL || !mira_websocket_is_open (peer->ws))
            break;
          if (down->text != NULL)
            send_text (peer, down->text);
          peer->failed = TRUE;
          mira_websocket_close (peer->ws, down->code, down->reason);
          break;
        }
    }
  return G_SOURCE_REMOVE;
}

static gpointer
thread_main (gpointer user_data)
{
  AudioThread *thread = user_data;

  g_main_context_push_thread_default (thread->context);
  thread->pthread = pthread_self ();
  g_atomic_int_set (&thread->running, TRUE);
  while (!g_atomic_int_get (&thread->quit))
    g_main_context_iteration (thread->context, TRUE);

  /* Stopping: what is still open is dropped. */
  {
    GHashTableIter iter;
    Peer *peer;

    g_hash_table_iter_init (&iter, thread->live);
    while (g_hash_table_iter_next (&iter, (gpointer *) &peer, NULL))
      {
        if (peer->hub_stream != NULL)
          {
            mira_audio_hub_detach (hub_of (peer), peer->hub_stream, peer);
            peer->hub_stream = NULL;
          }
        g_clear_pointer (&peer->ws, mira_websocket_free);
        g_hash_table_iter_remove (&iter);
        peer_unref (peer);
      }
  }
  g_atomic_int_set (&thread->n_live, 0);
  g_clear_pointer (&thread->poller, mira_poller_free);
  g_main_context_pop_thread_default (thread->context);
  return NULL;
}

/* The server's half ------------------------------------------------------- */

static AudioThread *
least_busy (MiraAudioSockets *self)
{
  AudioThread *best = &self->threads[0];

  for (guint i = 1; i < self->n_threads; i++)
    if (self->threads[i].n_peers < best->n_peers)
      best = &self->threads[i];
  return best;
}

/* A socket goes to the thread of its network's shard; one refused before
 * it has a network, to any.
 */
static void
assign_thread (Peer        *peer,
               AudioThread *thread)
{
  if (peer->thread != NULL)
    return;
  peer->thread = thread;
  thread->n_peers++;
}

static void
post_down (Peer       *peer,
           DownKind    kind,
           const char *text,
           gushort     code,
           const char *reason)
{
  Down *down = g_new0 (Down, 1);

  down->kind = kind;
  down->peer = peer_ref (peer);
  down->text = g_strdup (text);
  down->code = code;
  down->reason = g_strdup (reason);
  mailbox_post_one (&peer->thread->down, down);
}

static void
fail (Peer       *peer,
      gushort     code,
      const char *error_code,
      const char *message)
{
  g_autofree char *text = error_text (error_code, message);

  g_message ("audio socket of %s closed: %s", peer->client_id ? peer->client_id : "?", message);
  assign_thread (peer, least_busy (peer->owner));
  post_down (peer, DOWN_CLOSE, text, code, error_code);
}

static void
on_revoked (gpointer    user_data,
            const char *error_code,
            const char *reason)
{
  Peer *peer = user_data;
  g_autofree char *text = error_text (error_code, reason);

  /* No status to write for a client that is no more: a client registered
   * again under its id meanwhile is another one.
   */
  peer->client_gone = g_str_equal (error_code, "CLIENT_NOT_FOUND") ||
                      g_str_equal (error_code, "NETWORK_NOT_FOUND");
  post_down (peer, DOWN_CLOSE, text, 1008, reason);
}

static void
presence_free (gpointer data)
{
  Presence *presence = data;

  g_free (presence->network_id);
  g_free (presence->client_id);
  g_free (presence);
}

static char *
presence_key (const char *network_id,
              const char *client_id)
{
  return g_strconcat (network_id, " ", client_id, NULL);
}

static void presence_sync (MiraAudioSockets *self,
                           Presence         *presence);

typedef struct
{
  MiraAudioSockets *owner;
  Presence         *presence;
  gboolean          connected;
} PresenceWrite;

static gpointer
presence_run (MiraDb     *db,
              gpointer    data,
              GPtrArray  *events_out,
              GError    **error)
{
  PresenceWrite *write = data;

  return mira_clients_set_connected (db, write->presence->network_id,
                                     write->presence->client_id, write->connected, events_out,
                                     error);
}

static void
presence_written (gpointer      result,
                  const GError *error,
                  gpointer      user_data)
{
  PresenceWrite *write = user_data;
  Presence *presence = write->presence;

  write->owner->writing--;
  presence->writing = FALSE;
  /* A client deregistered meanwhile has no status left to write. */
  presence->connected = error == NULL ? write->connected : FALSE;
  presence_sync (write->owner, presence);
}

static void
presence_sync (MiraAudioSockets *self,
               Presence         *presence)
{
  gboolean connected = presence->live > 0;
  PresenceWrite *write;

  if (presence->writing)
    return;
  if (connected == presence->connected)
    {
      if (!connected)
        {
          g_autofree char *key = presence_key (presence->network_id, presence->client_id);

          g_hash_table_remove (self->presence, key);
        }
      return;
    }
  write = g_new0 (PresenceWrite, 1);
  write->owner = self;
  write->presence = presence;
  write->connected = connected;
  presence->writing = TRUE;
  self->writing++;
  mira_store_write (self->store, self->bus, presence_run, write, g_free,
                    (GDestroyNotify) json_object_unref, presence_written, write);
}

/* @peer's socket counts for its client from now on (@delta 1) or no more (-1). */
static void
presence_update (Peer *peer,
                 int   delta)
{
  MiraAudioSockets *self = peer->owner;
  g_autofree char *key = presence_key (peer->network_id, peer->client_id);
  Presence *presence = g_hash_table_lookup (self->presence, key);

  if (presence == NULL)
    {
      g_return_if_fail (delta > 0);
      presence = g_new0 (Presence, 1);
      presence->network_id = g_strdup (peer->network_id);
      presence->client_id = g_strdup (peer->client_id);
      g_hash_table_insert (self->presence, g_steal_pointer (&key), presence);
    }
  g_return_if_fail (delta > 0 || presence->live > 0);
  presence->live += delta;
  if (peer->client_gone && !presence->writing)
    presence->connected = FALSE;
  presence_sync (self, presence);
}

/* The socket is gone: its stream leaves the hub, the device shows offline. */
static void
peer_closed (Peer     *peer,
             gboolean  tell)
{
  MiraAudioSockets *self = peer->owner;

  if (peer->closed)
    return;
  peer->closed = TRUE;
  if (peer->grant != 0)
    mira_grants_remove (self->grants, peer->grant);
  if (peer->authed && tell)
    presence_update (peer, -1);
  if (peer->thread != NULL)
    peer->thread->n_peers--;
  if (g_hash_table_remove (self->peers, peer))
    peer_unref (peer);   /* this half's */
}

static gboolean
drain_up (gpointer user_data)
{
  AudioThread *thread = user_data;
  g_autoptr(GPtrArray) items = mailbox_take (&thread->up);

  for (guint i = 0; i < items->len; i++)
    peer_closed (((Up *) g_ptr_array_index (items, i))->peer, TRUE);
  return G_SOURCE_REMOVE;
}

static void
auth_done (const MiraAudioAuth *auth,
           gpointer             user_data)
{
  Peer *peer = user_data;

  if (peer->closed || peer->thread != NULL)
    ;   /* closed meanwhile */
  else if (!auth->allowed)
    fail (peer, auth->close_code, auth->error_code ? auth->error_code : "UNAUTHORIZED",
          auth->detail ? auth->detail : "Not allowed");
  else
    {
      MiraAudioSockets *self = peer->owner;

      /* Set before the audio thread sees the socket: read-only after. */
      g_free (peer->network_id);
      peer->network_id = g_strdup (auth->network_id);
      g_free (peer->client_id);
      peer->client_id = g_strdup (auth->client_id);
      peer->rssi = auth->rssi;
      peer->grant = mira_grants_add (self->grants, auth->grant_token, peer->network_id,
                                     peer->client_id, on_revoked, peer);
      if (peer->grant == 0)
        {
          g_autofree char *text = g_strdup_printf ("This token holds %d sockets open already: "
                                                   "close one first", MIRA_GRANTS_MAX_PER_TOKEN);

          fail (peer, 1008, "TOO_MANY_SOCKETS", text);
          peer_unref (peer);
          return;
        }
      peer->authed = TRUE;
      presence_update (peer, 1);
      assign_thread (peer, &self->threads[mira_audio_hub_shard_for (self->hub, peer->network_id)]);
      {
        g_autoptr(JsonObject) ready = json_object_new ();
        g_autofree char *text = NULL;

        /* The client id tells a device named freely which client it is. */
        json_object_set_string_member (ready, "type", "ready");
        json_object_set_string_member (ready, "client_id", peer->client_id);
        text = json_text (ready);
        post_down (peer, DOWN_START, text, 0, NULL);
      }
    }
  peer_unref (peer);
}

void
mira_audio_sockets_accept (MiraAudioSockets    *self,
                           GIOStream           *stream,
                           MiraAudioSocketKind  kind,
                           const char          *network_id,
                           const char          *client_id,
                           const char          *token,
                           const char          *codec)
{
  Peer *peer;
  int fd = mira_websocket_stream_fd (stream);
  int one = 1, keep_idle = 30, keep_interval = 10, keep_count = 3;
  unsigned int user_timeout_ms = 60 * 1000;

  g_return_if_fail (self != NULL);
  g_return_if_fail (G_IS_IO_STREAM (stream));

  if (fd < 0)
    {
      g_warning ("an audio socket without a descriptor is dropped");
      g_io_stream_close (stream, NULL, NULL);
      return;
    }
  /* Pongs and transcripts are small and should leave at once. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* A device that vanished (out of Wi-Fi, battery gone) sends no FIN: the
   * kernel's probes find it within about a minute, the read fails and the
   * device shows disconnected.
   */
  setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt (fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof keep_idle);
  setsockopt (fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_interval, sizeof keep_interval);
  setsockopt (fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_count, sizeof keep_count);
  /* ...and one that stops acknowledging what we send, as long. */
  setsockopt (fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);

  peer = g_new0 (Peer, 1);
  peer->ref_count = 1;   /* the server's half */
  peer->owner = self;
  peer->stream = g_object_ref (stream);
  peer->kind = kind;
  peer->codec = g_strdup (codec);
  peer->network_id = g_strdup (network_id);
  peer->client_id = g_strdup (client_id);
  peer->parser = mira_wyoming_parser_new (MAX_MESSAGE_BYTES);
  peer->scorer = mira_scorer_new ();
  peer->pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  peer->frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
  peer->events = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_wyoming_event_free);
  g_hash_table_add (self->peers, peer);

  if (codec != NULL && !g_str_equal (codec, "pcm") && !g_str_equal (codec, "opus"))
    {
      fail (peer, 1008, "INVALID_CODEC", "codec must be pcm or opus");
      return;
    }

  /* Nothing is read before the socket is authenticated: what the device
   * sends meanwhile waits in the kernel.
   */
  self->authenticate (self->auth_data, kind, network_id, client_id, token, auth_done,
                      peer_ref (peer));
}

void
mira_audio_sockets_close_all (MiraAudioSockets *self,
                              const char       *reason)
{
  GHashTableIter iter;
  Peer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &peer, NULL))
    {
      /* Still being authenticated: it will not start */
      assign_thread (peer, least_busy (self));
      post_down (peer, DOWN_CLOSE, NULL, 1001, reason);
    }
}

void
mira_audio_sockets_append_metrics (MiraAudioSockets *self,
                                   GString          *out)
{
  g_string_append (out, "# HELP mira_audio_sockets Audio sockets open, by audio thread.\n"
                        "# TYPE mira_audio_sockets gauge\n");
  for (guint i = 0; i < self->n_threads; i++)
    g_string_append_printf (out, "mira_audio_sockets{thread=\"%u\"} %d\n", i,
                            g_atomic_int_get (&self->threads[i].n_live));
  g_string_append (out, "# HELP mira_audio_messages_total WebSocket messages read from audio "
                        "sockets, by audio thread.\n"
                        "# TYPE mira_audio_messages_total counter\n");
  for (guint i = 0; i < self->n_threads; i++)
    g_string_append_printf (out, "mira_audio_messages_total{thread=\"%u\"} %" G_GUINT64_FORMAT
                            "\n", i,
                            (guint64) __atomic_load_n (&self->threads[i].messages,
                                                       __ATOMIC_RELAXED));
  g_string_append (out, "# HELP mira_audio_bad_packets_total Audio packets dropped because they"
                        " could not be decoded (or were not whole PCM frames), by audio thread.\n"
                        "# TYPE mira_audio_bad_packets_total counter\n");
  for (guint i = 0; i < self->n_threads; i++)
    g_string_append_printf (out, "mira_audio_bad_packets_total{thread=\"%u\"} %" G_GUINT64_FORMAT
                            "\n", i,
                            (guint64) __atomic_load_n (&self->threads[i].bad_packets,
                                                       __ATOMIC_RELAXED));
  g_string_append (out, "# HELP mira_audio_cpu_seconds_total CPU time of each audio thread.\n"
                        "# TYPE mira_audio_cpu_seconds_total counter\n");
  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];
      struct timespec ts = { 0 };
      clockid_t clock;

      if (g_atomic_int_get (&thread->running) &&
          pthread_getcpuclockid (thread->pthread, &clock) == 0)
        clock_gettime (clock, &ts);
      g_string_append_printf (out, "mira_audio_cpu_seconds_total{thread=\"%u\"} %.3f\n", i,
                              ts.tv_sec + ts.tv_nsec / 1e9);
    }
}

GMainContext **
mira_audio_sockets_get_contexts (MiraAudioSockets *self,
                                 guint            *n_contexts)
{
  *n_contexts = self->n_threads;
  return self->contexts;
}

void
mira_audio_sockets_set_hub (MiraAudioSockets *self,
                            MiraAudioHub     *hub)
{
  self->hub = hub;
}

guint
mira_audio_sockets_get_n_writing (MiraAudioSockets *self)
{
  return self->writing;
}

guint
mira_audio_sockets_get_n_open (MiraAudioSockets *self)
{
  return g_hash_table_size (self->peers);
}

MiraAudioSockets *
mira_audio_sockets_new (MiraStore          *store,
                        MiraEventBus       *bus,
                        MiraGrants         *grants,
                        MiraAudioAuthFunc   authenticate,
                        gpointer            auth_data,
                        guint               n_threads,
                        GError            **error)
{
  MiraAudioSockets *self = g_new0 (MiraAudioSockets, 1);
  GMainContext *server_context = mira_event_bus_get_context (bus);

  self->store = store;
  self->bus = mira_event_bus_ref (bus);
  self->grants = grants;
  self->authenticate = authenticate;
  self->auth_data = auth_data;
  self->n_threads = n_threads > 0 ? n_threads : MAX (1, g_get_num_processors ());
  self->threads = g_new0 (AudioThread, self->n_threads);
  self->contexts = g_new0 (GMainContext *, self->n_threads);
  self->peers = g_hash_table_new (NULL, NULL);
  self->presence = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, presence_free);
  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];
      g_autofree char *name = g_strdup_printf ("mira-audio-%u", i);

      thread->owner = self;
      thread->context = g_main_context_new ();
      self->contexts[i] = thread->context;
      thread->live = g_hash_table_new (NULL, NULL);
      mailbox_init (&thread->down, thread->context, down_free, drain_down, thread);
      mailbox_init (&thread->up, server_context, up_free, drain_up, thread);
      thread->poller = mira_poller_new (thread->context, error);
      if (thread->poller == NULL)
        {
          self->n_threads = i + 1;
          mira_audio_sockets_free (self);
          return NULL;
        }
      mira_poller_set_coalesce (thread->poller, COALESCE_US);
      thread->thread = g_thread_new (name, thread_main, thread);
    }
  return self;
}

void
mira_audio_sockets_free (MiraAudioSockets *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];

      if (thread->thread != NULL)
        {
          g_atomic_int_set (&thread->quit, TRUE);
          g_main_context_wakeup (thread->context);
          g_thread_join (thread->thread);
          g_atomic_int_set (&thread->running, FALSE);
        }
    }

  /* The threads are gone: their mailboxes hold the last word. */
  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];
      g_autoptr(GPtrArray) up = mailbox_take (&thread->up);
      g_autoptr(GPtrArray) down = mailbox_take (&thread->down);
    }
  {
    g_autoptr(GList) open = g_hash_table_get_keys (self->peers);

    for (GList *l = open; l != NULL; l = l->next)
      peer_closed (l->data, FALSE);
  }

  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];

      mailbox_clear (&thread->up);
      mailbox_clear (&thread->down);
      g_clear_pointer (&thread->poller, mira_poller_free);
      g_hash_table_unref (thread->live);
      g_main_context_unref (thread->context);
    }
  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->presence);
  mira_event_bus_unref (self->bus);
  g_free (self->contexts);
  g_free (self->threads);
  g_free (self);
}
