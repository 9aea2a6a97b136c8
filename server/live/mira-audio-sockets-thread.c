/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-sockets"

/* The audio threads: each runs its context and poller, opens the
 * WebSockets the server's thread sends down, closes those it is told to,
 * and posts up the sockets that are gone.
 */

#include "mira-audio-sockets-private.h"

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
      mira_audio_hub_detach (mira_audio_sockets_peer_hub (peer), peer->hub_stream, peer);
      peer->hub_stream = NULL;
    }
  up->peer = mira_audio_sockets_peer_ref (peer);
  mira_mailbox_post_one (&thread->up, up);
  g_clear_pointer (&peer->ws, mira_websocket_free);
  g_hash_table_remove (thread->live, peer);
  g_atomic_int_add (&thread->n_live, -1);
  mira_audio_sockets_peer_unref (peer);   /* this half's */
}

static const MiraWebsocketCallbacks ws_callbacks = {
  mira_audio_sockets_peer_message,
  mira_audio_sockets_peer_too_big,
  on_ws_closed,
};

static void
io_open (Peer *peer)
{
  if (peer->ws != NULL || peer->ended)
    return;
  peer->ws = mira_websocket_new (peer->stream, peer->thread->poller, MAX_MESSAGE_BYTES,
                                 &ws_callbacks, peer);
  g_hash_table_add (peer->thread->live, mira_audio_sockets_peer_ref (peer));
  g_atomic_int_inc (&peer->thread->n_live);
}

gboolean
mira_audio_sockets_thread_drain_down (gpointer user_data)
{
  AudioThread *thread = user_data;
  g_autoptr(GPtrArray) items = mira_mailbox_take (&thread->down);

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
          peer->hub_stream = mira_audio_hub_attach (mira_audio_sockets_peer_hub (peer),
                                                    peer->network_id, peer->client_id, peer->rssi,
                                                    mira_audio_sockets_peer_transcript, peer);
          mira_audio_sockets_peer_send_text (peer, down->text);
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
            mira_audio_sockets_peer_send_text (peer, down->text);
          peer->failed = TRUE;
          mira_websocket_close (peer->ws, down->code, down->reason);
          break;
        }
    }
  return G_SOURCE_REMOVE;
}

gpointer
mira_audio_sockets_thread_main (gpointer user_data)
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
            mira_audio_hub_detach (mira_audio_sockets_peer_hub (peer), peer->hub_stream, peer);
            peer->hub_stream = NULL;
          }
        g_clear_pointer (&peer->ws, mira_websocket_free);
        g_hash_table_iter_remove (&iter);
        mira_audio_sockets_peer_unref (peer);
      }
  }
  g_atomic_int_set (&thread->n_live, 0);
  g_clear_pointer (&thread->poller, mira_poller_free);
  g_main_context_pop_thread_default (thread->context);
  return NULL;
}
