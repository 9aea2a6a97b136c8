/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

#include "mira-reminders.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-event.h"
#include "mira-util.h"

gboolean
mira_reminders_sweep (MiraDb      *db,
                      char       **next_due_out,
                      GPtrArray   *events_out,
                      GError     **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *batch = g_strdup_printf ("%d", MIRA_REMINDERS_SWEEP_BATCH);
  g_autoptr(MiraDbResult) due = NULL;
  g_autoptr(MiraDbResult) next = NULL;

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
      const char *net_uuid = mira_db_result_get (due, i, 1);
      const char *network_id = mira_db_result_get (due, i, 2);
      g_autoptr(MiraDbResult) res = NULL;
      g_autoptr(JsonObject) reminder = NULL;

      res = mira_db_query (db, "UPDATE reminders SET status = 'overdue', updated_at = $3"
                               " WHERE network_id = $1 AND id = $2 AND status = 'pending'",
                           3, (const char *[]) { net_uuid, id, now }, error);
      if (res == NULL)
        return FALSE;
      if (mira_db_result_affected (res) == 0)
        continue;
      reminder = mira_entity_get (db, net_uuid, network_id, &mira_entity_reminder, id, error);
      if (reminder == NULL)
        return FALSE;
      if (events_out != NULL)
        {
          g_ptr_array_add (events_out, mira_event_new ("reminder_due", network_id, "reminder",
                                                       reminder));
          g_ptr_array_add (events_out, mira_event_new ("reminder_updated", network_id,
                                                       "reminder", reminder));
        }
    }

  next = mira_db_query (db, "SELECT min(due_time) FROM reminders WHERE status = 'pending'",
                        0, NULL, error);
  if (next == NULL)
    return FALSE;
  *next_due_out = mira_db_result_n_rows (next) > 0
                    ? g_strdup (mira_db_result_get (next, 0, 0)) : NULL;
  return TRUE;
}
