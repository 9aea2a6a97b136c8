/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-event-item"

#include "config.h"

#include "mira-core-private.h"
#include "mira-event-item.h"

struct _MiraEventItem
{
  GObject    parent_instance;

  char      *event_id;
  char      *title;
  char      *description;
  char      *location;
  GDateTime *start_time;
  GDateTime *end_time;
  GStrv      attendees;
};

G_DEFINE_FINAL_TYPE (MiraEventItem, mira_event_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EVENT_ID,
  PROP_TITLE,
  PROP_DESCRIPTION,
  PROP_LOCATION,
  PROP_START_TIME,
  PROP_END_TIME,
  PROP_START_USEC,
  PROP_ATTENDEES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_event_item_finalize (GObject *object)
{
  MiraEventItem *self = MIRA_EVENT_ITEM (object);

  g_free (self->event_id);
  g_free (self->title);
  g_free (self->description);
  g_free (self->location);
  g_clear_pointer (&self->start_time, g_date_time_unref);
  g_clear_pointer (&self->end_time, g_date_time_unref);
  g_strfreev (self->attendees);

  G_OBJECT_CLASS (mira_event_item_parent_class)->finalize (object);
}

static void
mira_event_item_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MiraEventItem *self = MIRA_EVENT_ITEM (object);

  switch (prop_id)
    {
    case PROP_EVENT_ID:
      g_value_set_string (value, self->event_id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_START_TIME:
      g_value_set_boxed (value, self->start_time);
      break;
    case PROP_END_TIME:
      g_value_set_boxed (value, self->end_time);
      break;
    case PROP_START_USEC:
      g_value_set_int64 (value, mira_event_item_get_start_usec (self));
      break;
    case PROP_ATTENDEES:
      g_value_set_boxed (value, self->attendees);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_event_item_class_init (MiraEventItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_event_item_finalize;
  object_class->get_property = mira_event_item_get_property;

  properties[PROP_EVENT_ID] = g_param_spec_string ("event-id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, flags);
  properties[PROP_START_TIME] = g_param_spec_boxed ("start-time", NULL, NULL, G_TYPE_DATE_TIME,
                                                    flags);
  properties[PROP_END_TIME] = g_param_spec_boxed ("end-time", NULL, NULL, G_TYPE_DATE_TIME,
                                                  flags);
  properties[PROP_START_USEC] = g_param_spec_int64 ("start-usec", NULL, NULL,
                                                    G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_ATTENDEES] = g_param_spec_boxed ("attendees", NULL, NULL, G_TYPE_STRV, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_event_item_init (MiraEventItem *self)
{
}

MiraEventItem *
mira_event_item_new (const char *event_id)
{
  MiraEventItem *self;

  g_return_val_if_fail (event_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_EVENT_ITEM, NULL);
  self->event_id = g_strdup (event_id);
  return self;
}

void
mira_event_item_update (MiraEventItem *self,
                        JsonObject    *event)
{
  g_return_if_fail (MIRA_IS_EVENT_ITEM (self));
  g_return_if_fail (event != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  mira_update_string (G_OBJECT (self), &self->title, event, "title", properties[PROP_TITLE]);
  mira_update_string (G_OBJECT (self), &self->description, event, "description",
                      properties[PROP_DESCRIPTION]);
  mira_update_string (G_OBJECT (self), &self->location, event, "location",
                      properties[PROP_LOCATION]);
  mira_update_date_time (G_OBJECT (self), &self->start_time, event, "start_time",
                         properties[PROP_START_TIME], properties[PROP_START_USEC]);
  mira_update_date_time (G_OBJECT (self), &self->end_time, event, "end_time",
                         properties[PROP_END_TIME], NULL);

  if (json_object_has_member (event, "attendees"))
    {
      g_auto(GStrv) attendees = mira_json_dup_strv (event, "attendees");

      if (!mira_strv_equal (attendees, self->attendees))
        {
          g_strfreev (self->attendees);
          self->attendees = g_steal_pointer (&attendees);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTENDEES]);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
mira_event_item_get_event_id (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->event_id;
}

const char *
mira_event_item_get_title (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->title;
}

const char *
mira_event_item_get_description (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->description;
}

const char *
mira_event_item_get_location (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->location;
}

GDateTime *
mira_event_item_get_start_time (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->start_time;
}

GDateTime *
mira_event_item_get_end_time (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return self->end_time;
}

gint64
mira_event_item_get_start_usec (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), 0);
  return self->start_time ? mira_date_time_to_usec (self->start_time) : 0;
}

const char * const *
mira_event_item_get_attendees (MiraEventItem *self)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), NULL);
  return (const char * const *) self->attendees;
}

gboolean
mira_event_item_overlaps (MiraEventItem *self,
                          GDateTime     *start,
                          GDateTime     *end)
{
  g_return_val_if_fail (MIRA_IS_EVENT_ITEM (self), FALSE);
  g_return_val_if_fail (start != NULL && end != NULL, FALSE);

  if (self->start_time == NULL || g_date_time_compare (self->start_time, end) >= 0)
    return FALSE;
  /* An event that ends at midnight is not on the next day too */
  if (self->end_time != NULL && g_date_time_compare (self->end_time, self->start_time) > 0)
    return g_date_time_compare (self->end_time, start) > 0;
  return g_date_time_compare (self->start_time, start) >= 0;
}
