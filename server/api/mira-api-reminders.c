/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Reminders coming due: every device of the network hears reminder_due once,
 * and the reminder, still not done, becomes overdue. Its status follows its
 * due time: moved ahead, it is pending again and comes due again.
 */

#include "mira-api.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-error.h"
#include "mira-util.h"

#define BATCH 500

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

/* Internal: the reminder clock's timer and the server's periodic sweep.
 * Answers {"next_due": the earliest due time of a pending reminder, or null}.
 */
gboolean
mira_api_reminders_sweep (MiraApiCall  *call,
                          MiraDb       *db,
                          GError      **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *batch = g_strdup_printf ("%d", BATCH);
  g_autoptr(MiraDbResult) due = NULL;
  g_autoptr(MiraDbResult) next = NULL;
  JsonObject *answer;

  due = mira_db_query (db, "SELECT r.id, n.id, n.network_id FROM reminders r"
                           " JOIN networks n ON n.id = r.network_id"
                           " WHERE r.status = 'pending' AND r.due_time <= $1"
                           " ORDER BY r.due_time LIMIT CAST($2 AS INTEGER)",
                       2, (const char *[]) { now, batch }, error);
  if (due == NULL)
    return FALSE;

  for (guint i = 0; i < mira_db_result_n_rows (due); i++)
    {
      const char *id = mira_db_result_get (due, i, 0);
      g_autoptr(MiraDbResult) res = NULL;
      g_autoptr(JsonObject) reminder = NULL;

      g_free (call->net_uuid);
      call->net_uuid = g_strdup (mira_db_result_get (due, i, 1));
      g_free (call->network_id);
      call->network_id = g_strdup (mira_db_result_get (due, i, 2));

      res = mira_db_query (db, "UPDATE reminders SET status = 'overdue', updated_at = $3"
                               " WHERE network_id = $1 AND id = $2 AND status = 'pending'",
                           3, (const char *[]) { call->net_uuid, id, now }, error);
      if (res == NULL)
        return FALSE;
      if (mira_db_result_affected (res) == 0)
        continue;
      reminder = mira_entity_get (db, call->net_uuid, call->network_id, &mira_entity_reminder, id,
                                  error);
      if (reminder == NULL)
        return FALSE;
      mira_api_call_emit (call, "reminder_due", "reminder", reminder);
      mira_api_call_emit (call, "reminder_updated", "reminder", reminder);
    }

  next = mira_db_query (db, "SELECT min(due_time) FROM reminders WHERE status = 'pending'",
                        0, NULL, error);
  if (next == NULL)
    return FALSE;
  answer = json_object_new ();
  if (mira_db_result_n_rows (next) > 0 && mira_db_result_get (next, 0, 0) != NULL)
    json_object_set_string_member (answer, "next_due", mira_db_result_get (next, 0, 0));
  else
    json_object_set_null_member (answer, "next_due");
  mira_api_call_respond_object (call, 200, answer);
  return TRUE;
}
