/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-reminder-clock"

#include "mira-reminder-clock.h"

#include "mira-event-bus.h"
#include "mira-reminders.h"
#include "mira-store-write.h"
#include "mira-util.h"

/* The longest the timer waits at once: a wall clock set back or forward
 * meanwhile is noticed by then (and by the server's periodic sweep sooner).
 */
#define MAX_WAIT_MS (60 * 60 * 1000)

struct _MiraReminderClock
{
  MiraStore    *store;
  MiraEventBus *bus;
  guint         subscription;
  guint       timer;
  gint64      timer_due;   /* Unix ms the timer is set for, while set */
  gboolean    sweeping;
  gboolean    again;       /* sweep once more when the one under way ends */
  gboolean    stopped;
};

static void on_event (const char *network_id,
                      JsonObject *event,
                      const char *text,
                      gpointer    user_data);

MiraReminderClock *
mira_reminder_clock_new (MiraStore    *store,
                         MiraEventBus *bus)
{
  MiraReminderClock *self = g_new0 (MiraReminderClock, 1);

  self->store = store;
  self->bus = mira_event_bus_ref (bus);
  self->subscription = mira_event_bus_subscribe (bus, NULL, on_event, self);
  return self;
}

gboolean
mira_reminder_clock_is_idle (MiraReminderClock *self)
{
  return !self->sweeping;
}

void
mira_reminder_clock_stop (MiraReminderClock *self)
{
  self->stopped = TRUE;
  g_clear_handle_id (&self->timer, mira_source_remove);
}

void
mira_reminder_clock_free (MiraReminderClock *self)
{
  if (self == NULL)
    return;
  /* A sweep under way comes back to the clock. */
  g_assert (!self->sweeping);
  mira_reminder_clock_stop (self);
  mira_event_bus_unsubscribe (self->bus, self->subscription);
  mira_event_bus_unref (self->bus);
  g_free (self);
}

static gboolean
timer_fired (gpointer user_data)
{
  MiraReminderClock *self = user_data;

  self->timer = 0;
  mira_reminder_clock_sweep (self);
  return G_SOURCE_REMOVE;
}

/* Sets the timer for @due_ms (Unix ms) unless it is set for sooner already. */
static void
arm (MiraReminderClock *self,
     gint64             due_ms)
{
  gint64 wait_ms;

  if (self->stopped || (self->timer != 0 && self->timer_due <= due_ms))
    return;
  g_clear_handle_id (&self->timer, mira_source_remove);
  wait_ms = CLAMP (due_ms - g_get_real_time () / 1000, 0, MAX_WAIT_MS);
  self->timer_due = due_ms;
  /* The sweep compares due times with the wall clock; one ms of slack
   * keeps a timer that fires a little early from finding nothing due.
   */
  self->timer = mira_timeout_add ((guint) wait_ms + 1, timer_fired, self);
}

static gpointer
sweep_run (MiraDb     *db,
           gpointer    data,
           GPtrArray  *events_out,
           GError    **error)
{
  char *next_due = NULL;

  if (!mira_reminders_sweep (db, &next_due, events_out, error))
    return NULL;
  /* Non-NULL for success: "" when nothing is pending. */
  return next_due ? next_due : g_strdup ("");
}

static void
sweep_done (gpointer      result,
            const GError *error,
            gpointer      user_data)
{
  MiraReminderClock *self = user_data;
  const char *next = result;

  self->sweeping = FALSE;
  if (error != NULL)
    g_debug ("reminders sweep: %s", error->message);
  if (next != NULL && *next != '\0')
    {
      gint64 next_ms = mira_timestamp_to_unix_ms (next);

      if (next_ms != G_MININT64)
        arm (self, next_ms);
    }
  if (self->again)
    {
      self->again = FALSE;
      mira_reminder_clock_sweep (self);
    }
}

void
mira_reminder_clock_sweep (MiraReminderClock *self)
{
  if (self->stopped)
    return;
  if (self->sweeping)
    {
      self->again = TRUE;
      return;
    }
  self->sweeping = TRUE;
  mira_store_write (self->store, self->bus, sweep_run, NULL, NULL, g_free, sweep_done, self);
}

/* A pending reminder's due time earlier than the one the timer waits for
 * moves the timer.
 */
static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  MiraReminderClock *self = user_data;
  const char *type = json_object_get_string_member_with_default (event, "type", "");
  JsonNode *node = json_object_get_member (event, "reminder");
  JsonObject *reminder;
  gint64 due_ms;

  if ((!g_str_equal (type, "reminder_created") && !g_str_equal (type, "reminder_updated")) ||
      node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  reminder = json_node_get_object (node);
  if (g_strcmp0 (json_object_get_string_member_with_default (reminder, "status", NULL),
                 "pending") != 0)
    return;
  due_ms = mira_timestamp_to_unix_ms (json_object_get_string_member_with_default (reminder,
                                                                                  "due_time",
                                                                                  NULL));
  if (due_ms != G_MININT64)
    arm (self, due_ms);
}
