/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-reminder-item"

#include "config.h"

#include "mira-core-private.h"
#include "mira-reminder-item.h"

struct _MiraReminderItem
{
  GObject               parent_instance;

  char                 *reminder_id;
  char                 *title;
  char                 *description;
  GDateTime            *due_time;
  MiraReminderPriority  priority;
  MiraReminderStatus    status;
  char                 *interaction_id;
};

G_DEFINE_FINAL_TYPE (MiraReminderItem, mira_reminder_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_REMINDER_ID,
  PROP_TITLE,
  PROP_DESCRIPTION,
  PROP_DUE_TIME,
  PROP_DUE_USEC,
  PROP_PRIORITY,
  PROP_STATUS,
  PROP_IS_DONE,
  PROP_INTERACTION_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const priority_names[] = { "low", "medium", "high", "urgent", NULL };
static const char * const status_names[] = { "pending", "overdue", "completed", "cancelled", NULL };

const char *
mira_reminder_priority_to_string (MiraReminderPriority priority)
{
  g_return_val_if_fail (priority <= MIRA_REMINDER_PRIORITY_URGENT, NULL);
  return priority_names[priority];
}

const char *
mira_reminder_status_to_string (MiraReminderStatus status)
{
  g_return_val_if_fail (status <= MIRA_REMINDER_STATUS_CANCELLED, NULL);
  return status_names[status];
}

static int
index_of (const char * const *names,
          const char         *name)
{
  for (int i = 0; name != NULL && names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return i;
  return -1;
}

static void
mira_reminder_item_finalize (GObject *object)
{
  MiraReminderItem *self = MIRA_REMINDER_ITEM (object);

  g_free (self->reminder_id);
  g_free (self->title);
  g_free (self->description);
  g_clear_pointer (&self->due_time, g_date_time_unref);
  g_free (self->interaction_id);

  G_OBJECT_CLASS (mira_reminder_item_parent_class)->finalize (object);
}

static void
mira_reminder_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MiraReminderItem *self = MIRA_REMINDER_ITEM (object);

  switch (prop_id)
    {
    case PROP_REMINDER_ID:
      g_value_set_string (value, self->reminder_id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_DUE_TIME:
      g_value_set_boxed (value, self->due_time);
      break;
    case PROP_DUE_USEC:
      g_value_set_int64 (value, mira_reminder_item_get_due_usec (self));
      break;
    case PROP_PRIORITY:
      g_value_set_enum (value, self->priority);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_IS_DONE:
      g_value_set_boolean (value, mira_reminder_item_get_is_done (self));
      break;
    case PROP_INTERACTION_ID:
      g_value_set_string (value, self->interaction_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_reminder_item_class_init (MiraReminderItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_reminder_item_finalize;
  object_class->get_property = mira_reminder_item_get_property;

  properties[PROP_REMINDER_ID] = g_param_spec_string ("reminder-id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_DUE_TIME] = g_param_spec_boxed ("due-time", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_DUE_USEC] = g_param_spec_int64 ("due-usec", NULL, NULL,
                                                  G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_PRIORITY] = g_param_spec_enum ("priority", NULL, NULL,
                                                 MIRA_TYPE_REMINDER_PRIORITY,
                                                 MIRA_REMINDER_PRIORITY_MEDIUM, flags);
  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, MIRA_TYPE_REMINDER_STATUS,
                                               MIRA_REMINDER_STATUS_PENDING, flags);
  properties[PROP_IS_DONE] = g_param_spec_boolean ("is-done", NULL, NULL, FALSE, flags);
  properties[PROP_INTERACTION_ID] = g_param_spec_string ("interaction-id", NULL, NULL, NULL,
                                                         flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_reminder_item_init (MiraReminderItem *self)
{
  self->priority = MIRA_REMINDER_PRIORITY_MEDIUM;
}

MiraReminderItem *
mira_reminder_item_new (const char *reminder_id)
{
  MiraReminderItem *self;

  g_return_val_if_fail (reminder_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_REMINDER_ITEM, NULL);
  self->reminder_id = g_strdup (reminder_id);
  return self;
}

void
mira_reminder_item_update (MiraReminderItem *self,
                           JsonObject       *reminder)
{
  int index;

  g_return_if_fail (MIRA_IS_REMINDER_ITEM (self));
  g_return_if_fail (reminder != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  mira_update_string (G_OBJECT (self), &self->title, reminder, "title", properties[PROP_TITLE]);
  mira_update_string (G_OBJECT (self), &self->description, reminder, "description",
                      properties[PROP_DESCRIPTION]);
  mira_update_string (G_OBJECT (self), &self->interaction_id, reminder, "interaction_id",
                      properties[PROP_INTERACTION_ID]);
  mira_update_date_time (G_OBJECT (self), &self->due_time, reminder, "due_time",
                         properties[PROP_DUE_TIME], properties[PROP_DUE_USEC]);

  index = index_of (priority_names, mira_json_get_string (reminder, "priority"));
  if (index >= 0 && (MiraReminderPriority) index != self->priority)
    {
      self->priority = index;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRIORITY]);
    }

  index = index_of (status_names, mira_json_get_string (reminder, "status"));
  if (index >= 0 && (MiraReminderStatus) index != self->status)
    {
      gboolean was_done = mira_reminder_item_get_is_done (self);

      self->status = index;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
      if (was_done != mira_reminder_item_get_is_done (self))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_DONE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
mira_reminder_item_get_reminder_id (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), NULL);
  return self->reminder_id;
}

const char *
mira_reminder_item_get_title (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), NULL);
  return self->title;
}

const char *
mira_reminder_item_get_description (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), NULL);
  return self->description;
}

GDateTime *
mira_reminder_item_get_due_time (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), NULL);
  return self->due_time;
}

gint64
mira_reminder_item_get_due_usec (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), 0);
  return self->due_time ? mira_date_time_to_usec (self->due_time) : 0;
}

MiraReminderPriority
mira_reminder_item_get_priority (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), MIRA_REMINDER_PRIORITY_MEDIUM);
  return self->priority;
}

MiraReminderStatus
mira_reminder_item_get_status (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), MIRA_REMINDER_STATUS_PENDING);
  return self->status;
}

gboolean
mira_reminder_item_get_is_done (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), FALSE);
  return self->status == MIRA_REMINDER_STATUS_COMPLETED ||
         self->status == MIRA_REMINDER_STATUS_CANCELLED;
}

const char *
mira_reminder_item_get_interaction_id (MiraReminderItem *self)
{
  g_return_val_if_fail (MIRA_IS_REMINDER_ITEM (self), NULL);
  return self->interaction_id;
}
