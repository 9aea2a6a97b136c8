/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* Networks, the accounts: what the REST API and the mira-server networks
 * command line share. The contract of mira-conversations.h: a store
 * worker, the caller's transaction, events in @events_out (may be NULL)
 * for the caller to publish once it is committed.
 *
 * A network is returned as the API shows it: {"network_id", "name",
 * "description", "status", "created_at", "updated_at", "last_activity",
 * "client_count", "settings"}. Errors are MIRA_DB_ERROR:
 * MIRA_DB_ERROR_NOT_FOUND for a network that is not there,
 * MIRA_DB_ERROR_INVALID for a value the networks table does not take (the
 * message names the field).
 */

/* The networks.id of the network whose public id is @network_id; NULL with
 * MIRA_DB_ERROR_NOT_FOUND when there is none.
 */
char       *mira_network_lookup_uuid  (MiraDb                   *db,
                                       const char               *network_id,
                                       GError                  **error);

/* The network whose networks.id is @net_uuid. */
JsonObject *mira_networks_get         (MiraDb                   *db,
                                       const char               *net_uuid,
                                       GError                  **error);

/* The networks whose status is @status ("active", "inactive", "suspended";
 * NULL: any), oldest first, @limit of them (G_MAXUINT: all) from the
 * @offset-th; @total gets how many there are in all.
 */
JsonArray  *mira_networks_list        (MiraDb                   *db,
                                       const char               *status,
                                       guint                     limit,
                                       guint                     offset,
                                       guint64                  *total,
                                       GError                  **error);

/* A new active network named @name (not blank, at most 255 characters)
 * with @description (at most 10,000 characters, or NULL), and a new
 * network id. @network_token gets its secret network token: it is stored
 * only as its SHA-256 and cannot be read again.
 */
JsonObject *mira_networks_create      (MiraDb                   *db,
                                       const char               *name,
                                       const char               *description,
                                       char                    **network_token,
                                       GError                  **error);

/* What changes in a network; every member left NULL (or FALSE) stays. */
typedef struct {
  /* Not blank, at most 255 characters. */
  const char *name;
  /* With set_description: the new one (at most 10,000 characters), or NULL
   * for none.
   */
  gboolean    set_description;
  const char *description;
  /* "active", "inactive" or "suspended": a suspended network's tokens are
   * refused and its sockets close.
   */
  const char *status;
} MiraNetworkChange;

/* Changes the network whose networks.id is @net_uuid; network_updated
 * follows, with the network as it is now (its settings too, when the
 * caller changed them first in the same transaction).
 */
JsonObject *mira_networks_update      (MiraDb                   *db,
                                       const char               *net_uuid,
                                       const MiraNetworkChange  *change,
                                       GPtrArray                *events_out,
                                       GError                  **error);

/* A setting of a network, as network_settings holds it */
typedef struct {
  char     *key;
  JsonNode *value;       /* the value as stored; NULL when it is not JSON */
  char     *type;        /* "string", "integer", "number", "boolean", "object" */
  char     *created_at;  /* RFC 3339, UTC */
  char     *updated_at;
} MiraNetworkSetting;

void        mira_network_setting_free (MiraNetworkSetting       *setting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraNetworkSetting, mira_network_setting_free)

/* The setting @key of the network whose public id is @network_id, for the
 * REST API's settings and for what a network's setting changes elsewhere
 * (its transcriber, read by the audio hub). TRUE with *@setting NULL when
 * the network does not set it (or is gone); FALSE with a MIRA_DB_ERROR when
 * the database fails. Needs no transaction.
 */
gboolean    mira_networks_get_setting (MiraDb                   *db,
                                       const char               *network_id,
                                       const char               *key,
                                       MiraNetworkSetting      **setting,
                                       GError                  **error);

/* Deletes the network whose networks.id is @net_uuid and everything in it;
 * network_deleted follows. Returns the network as it was.
 */
JsonObject *mira_networks_delete      (MiraDb                   *db,
                                       const char               *net_uuid,
                                       GPtrArray                *events_out,
                                       GError                  **error);

G_END_DECLS
