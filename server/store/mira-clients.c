/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

#include "mira-clients.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-event.h"
#include "mira-util.h"

JsonObject *
mira_clients_set_connected (MiraDb      *db,
                            const char  *network_id,
                            const char  *client_id,
                            gboolean     connected,
                            GPtrArray   *events_out,
                            GError     **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autoptr(MiraDbResult) network = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  JsonObject *client;
  const char *net_uuid;

  network = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1", 1,
                           (const char *[]) { network_id }, error);
  if (network == NULL)
    return NULL;
  if (mira_db_result_n_rows (network) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  net_uuid = mira_db_result_get (network, 0, 0);

  res = mira_db_query (db, "UPDATE clients SET connection_status = $3, last_seen = $4,"
                           " updated_at = $4 WHERE network_id = $1 AND client_id = $2",
                       4, (const char *[]) { net_uuid, client_id,
                                             connected ? "connected" : "disconnected", now },
                       error);
  if (res == NULL)
    return NULL;
  client = mira_entity_get (db, net_uuid, network_id, &mira_entity_client, client_id, error);
  if (client == NULL)
    return NULL;
  if (events_out != NULL)
    g_ptr_array_add (events_out,
                     mira_event_new (connected ? "client_connected" : "client_disconnected",
                                     network_id, "client", client));
  return client;
}
