/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-sockets"

#include "mira-audio-sockets-private.h"

#include "mira-clients.h"
#include "mira-store-write.h"

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

void
mira_audio_sockets_presence_free (gpointer data)
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
void
mira_audio_sockets_presence_update (Peer *peer,
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
