/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* A reminder's status follows its due time: moved ahead, it is pending
 * again and comes due again (mira_reminders_sweep()).
 */

#include "mira-api.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-util.h"

/* A reminder still to be done (pending or overdue) whose due time is ahead
 * is pending: after any write, whether it moved the due time or set the
 * status, by POST, PUT or PATCH. Its event then tells the reminder clock.
 * Sets @settled when that changed the row.
 */
gboolean
mira_api_reminder_settle (MiraApiCall  *call,
                          MiraDb       *db,
                          const char   *id,
                          gboolean     *settled,
                          GError      **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "UPDATE reminders SET status = 'pending'"
                           " WHERE network_id = $1 AND id = $2 AND status = 'overdue'"
                           " AND due_time > $3",
                       3, (const char *[]) { call->net_uuid, id, now }, error);
  if (res == NULL)
    return FALSE;
  *settled = mira_db_result_affected (res) > 0;
  return TRUE;
}
