/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-sockets"

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

#include "mira-audio-sockets-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "mira-event-bus.h"
#include "mira-grants.h"
#include "mira-util.h"

/* Under load an audio thread reads its sockets this often, each time all
 * that came meanwhile, rather than waking up for every packet.
 */
#define COALESCE_US 3000

static void
up_free (gpointer data)
{
  Up *up = data;

  mira_audio_sockets_peer_unref (up->peer);
  g_free (up);
}

static void
down_free (gpointer data)
{
  Down *down = data;

  mira_audio_sockets_peer_unref (down->peer);
  g_free (down->text);
  g_free (down->reason);
  g_free (down);
}

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
  down->peer = mira_audio_sockets_peer_ref (peer);
  down->text = g_strdup (text);
  down->code = code;
  down->reason = g_strdup (reason);
  mira_mailbox_post_one (&peer->thread->down, down);
}

static void
fail (Peer       *peer,
      gushort     code,
      const char *error_code,
      const char *message)
{
  g_autofree char *text = mira_audio_sockets_error_text (error_code, message);

  g_message ("audio socket of %s closed: %s", peer->client_id ? peer->client_id : "?", message);
  assign_thread (peer, least_busy (peer->owner));
  post_down (peer, DOWN_CLOSE, text, code, error_code);
}

static void
on_revoked (gpointer      user_data,
            const GError *error)
{
  Peer *peer = user_data;
  const char *error_code;
  gushort code = mira_audio_sockets_error_close (error, &error_code);
  g_autofree char *text = mira_audio_sockets_error_text (error_code, error->message);

  /* No status to write for a client that is no more: a client registered
   * again under its id meanwhile is another one.
   */
  peer->client_gone = g_error_matches (error, MIRA_GRANTS_ERROR,
                                       MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND) ||
                      g_error_matches (error, MIRA_GRANTS_ERROR,
                                       MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND);
  post_down (peer, DOWN_CLOSE, text, code, error->message);
}

/* Refused: says why and closes as mira_audio_sockets_error_close() says */
static void
refuse (Peer         *peer,
        const GError *error)
{
  const char *error_code;
  gushort code = mira_audio_sockets_error_close (error, &error_code);

  fail (peer, code, error_code, error->message);
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
    mira_audio_sockets_presence_update (peer, -1);
  if (peer->thread != NULL)
    peer->thread->n_peers--;
  if (g_hash_table_remove (self->peers, peer))
    mira_audio_sockets_peer_unref (peer);   /* this half's */
}

static gboolean
drain_up (gpointer user_data)
{
  AudioThread *thread = user_data;
  g_autoptr(GPtrArray) items = mira_mailbox_take (&thread->up);

  for (guint i = 0; i < items->len; i++)
    peer_closed (((Up *) g_ptr_array_index (items, i))->peer, TRUE);
  return G_SOURCE_REMOVE;
}

static void
auth_done (const MiraAudioAuth *auth,
           gpointer             user_data)
{
  Peer *peer = user_data;
  g_autoptr(GError) error = NULL;

  if (peer->closed || peer->thread != NULL)
    ;   /* closed meanwhile */
  else if (auth->error != NULL)
    refuse (peer, auth->error);
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
                                     peer->client_id, on_revoked, peer, &error);
      if (peer->grant == 0)
        {
          refuse (peer, error);
          mira_audio_sockets_peer_unref (peer);
          return;
        }
      peer->authed = TRUE;
      mira_audio_sockets_presence_update (peer, 1);
      assign_thread (peer, &self->threads[mira_audio_hub_shard_for (self->hub, peer->network_id)]);
      {
        g_autoptr(JsonObject) ready = json_object_new ();
        g_autofree char *text = NULL;

        /* The client id tells a device named freely which client it is. */
        json_object_set_string_member (ready, "type", "ready");
        json_object_set_string_member (ready, "client_id", peer->client_id);
        text = mira_audio_sockets_json_text (ready);
        post_down (peer, DOWN_START, text, 0, NULL);
      }
    }
  mira_audio_sockets_peer_unref (peer);
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
                      mira_audio_sockets_peer_ref (peer));
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
  self->presence = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          mira_audio_sockets_presence_free);
  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];
      g_autofree char *name = g_strdup_printf ("mira-audio-%u", i);

      thread->owner = self;
      thread->context = g_main_context_new ();
      self->contexts[i] = thread->context;
      thread->live = g_hash_table_new (NULL, NULL);
      mira_mailbox_init (&thread->down, thread->context, down_free,
                         mira_audio_sockets_thread_drain_down, thread);
      mira_mailbox_init (&thread->up, server_context, up_free, drain_up, thread);
      thread->poller = mira_poller_new (thread->context, error);
      if (thread->poller == NULL)
        {
          self->n_threads = i + 1;
          mira_audio_sockets_free (self);
          return NULL;
        }
      mira_poller_set_coalesce (thread->poller, COALESCE_US);
      thread->thread = g_thread_new (name, mira_audio_sockets_thread_main, thread);
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
      g_autoptr(GPtrArray) up = mira_mailbox_take (&thread->up);
      g_autoptr(GPtrArray) down = mira_mailbox_take (&thread->down);
    }
  {
    g_autoptr(GList) open = g_hash_table_get_keys (self->peers);

    for (GList *l = open; l != NULL; l = l->next)
      peer_closed (l->data, FALSE);
  }

  for (guint i = 0; i < self->n_threads; i++)
    {
      AudioThread *thread = &self->threads[i];

      mira_mailbox_clear (&thread->up);
      mira_mailbox_clear (&thread->down);
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
