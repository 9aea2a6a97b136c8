/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-date-time-row"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-date-time-row.h"
#include "mira-time-format.h"

struct _MiraDateTimeRow
{
  AdwActionRow    parent_instance;

  GDateTime      *date_time;   /* in time_zone */
  char           *time_zone;
  gboolean        updating;

  GtkMenuButton  *day_button;
  GtkCalendar    *calendar;
  GtkSpinButton  *hour_spin;
  GtkSpinButton  *minute_spin;
};

G_DEFINE_FINAL_TYPE (MiraDateTimeRow, mira_date_time_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_DATE_TIME,
  PROP_TIME_ZONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GTimeZone *
row_zone (MiraDateTimeRow *self)
{
  GTimeZone *tz = self->time_zone ? g_time_zone_new_identifier (self->time_zone) : NULL;

  return tz != NULL ? tz : g_time_zone_new_local ();
}

/* Shows date_time in the calendar, the spin buttons and the day's label */
static void
show_date_time (MiraDateTimeRow *self)
{
  g_autofree char *day = NULL;
  g_autoptr(GDateTime) calendar_day = NULL;

  self->updating = TRUE;
  /* GtkCalendar counts in this computer's zone: the same day there */
  calendar_day = g_date_time_new_local (g_date_time_get_year (self->date_time),
                                        g_date_time_get_month (self->date_time),
                                        g_date_time_get_day_of_month (self->date_time),
                                        12, 0, 0);
  gtk_calendar_select_day (self->calendar, calendar_day);
  gtk_spin_button_set_value (self->hour_spin, g_date_time_get_hour (self->date_time));
  gtk_spin_button_set_value (self->minute_spin, g_date_time_get_minute (self->date_time));
  self->updating = FALSE;

  /* Translators: the day picked, see the strftime manual: Mon 3 Feb 2026 */
  day = g_date_time_format (self->date_time, _("%a %-e %b %Y"));
  gtk_menu_button_set_label (self->day_button, day);
}

/* date_time from what the controls show */
static void
take_controls (MiraDateTimeRow *self)
{
  g_autoptr(GDateTime) day = gtk_calendar_get_date (self->calendar);
  g_autoptr(GTimeZone) tz = row_zone (self);
  GDateTime *picked;

  picked = g_date_time_new (tz, g_date_time_get_year (day), g_date_time_get_month (day),
                            g_date_time_get_day_of_month (day),
                            gtk_spin_button_get_value_as_int (self->hour_spin),
                            gtk_spin_button_get_value_as_int (self->minute_spin), 0);
  if (picked == NULL)
    return;
  g_clear_pointer (&self->date_time, g_date_time_unref);
  self->date_time = picked;
  show_date_time (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATE_TIME]);
}

static void
on_day_selected (MiraDateTimeRow *self)
{
  if (self->updating)
    return;
  take_controls (self);
  gtk_menu_button_popdown (self->day_button);
}

static void
on_time_changed (MiraDateTimeRow *self)
{
  if (!self->updating)
    take_controls (self);
}

/* Two digits: 09:05, not 9:5 */
static gboolean
on_spin_output (GtkSpinButton *spin,
                gpointer       user_data)
{
  g_autofree char *text = g_strdup_printf ("%02d", gtk_spin_button_get_value_as_int (spin));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static void
mira_date_time_row_finalize (GObject *object)
{
  MiraDateTimeRow *self = MIRA_DATE_TIME_ROW (object);

  g_clear_pointer (&self->date_time, g_date_time_unref);
  g_free (self->time_zone);

  G_OBJECT_CLASS (mira_date_time_row_parent_class)->finalize (object);
}

static void
mira_date_time_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MIRA_TYPE_DATE_TIME_ROW);

  G_OBJECT_CLASS (mira_date_time_row_parent_class)->dispose (object);
}

static void
mira_date_time_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MiraDateTimeRow *self = MIRA_DATE_TIME_ROW (object);

  switch (prop_id)
    {
    case PROP_DATE_TIME:
      g_value_set_boxed (value, self->date_time);
      break;
    case PROP_TIME_ZONE:
      g_value_set_string (value, self->time_zone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_date_time_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MiraDateTimeRow *self = MIRA_DATE_TIME_ROW (object);

  switch (prop_id)
    {
    case PROP_DATE_TIME:
      mira_date_time_row_set_date_time (self, g_value_get_boxed (value));
      break;
    case PROP_TIME_ZONE:
      mira_date_time_row_set_time_zone (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_date_time_row_class_init (MiraDateTimeRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_date_time_row_dispose;
  object_class->finalize = mira_date_time_row_finalize;
  object_class->get_property = mira_date_time_row_get_property;
  object_class->set_property = mira_date_time_row_set_property;

  properties[PROP_DATE_TIME] =
    g_param_spec_boxed ("date-time", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME_ZONE] =
    g_param_spec_string ("time-zone", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-date-time-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraDateTimeRow, day_button);
  gtk_widget_class_bind_template_child (widget_class, MiraDateTimeRow, calendar);
  gtk_widget_class_bind_template_child (widget_class, MiraDateTimeRow, hour_spin);
  gtk_widget_class_bind_template_child (widget_class, MiraDateTimeRow, minute_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_day_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_time_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_spin_output);
}

static void
mira_date_time_row_init (MiraDateTimeRow *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The next full hour */
  self->date_time = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                           g_date_time_get_day_of_month (now),
                                           g_date_time_get_hour (now), 0, 0);
  {
    GDateTime *next = g_date_time_add_hours (self->date_time, 1);

    g_date_time_unref (self->date_time);
    self->date_time = next;
  }
  show_date_time (self);
}

GDateTime *
mira_date_time_row_get_date_time (MiraDateTimeRow *self)
{
  g_return_val_if_fail (MIRA_IS_DATE_TIME_ROW (self), NULL);
  return self->date_time;
}

void
mira_date_time_row_set_date_time (MiraDateTimeRow *self,
                                  GDateTime       *date_time)
{
  GDateTime *in_zone;

  g_return_if_fail (MIRA_IS_DATE_TIME_ROW (self));

  if (date_time == NULL)
    return;
  /* @date_time may be self->date_time */
  in_zone = mira_date_time_in_zone (date_time, self->time_zone);
  g_clear_pointer (&self->date_time, g_date_time_unref);
  self->date_time = in_zone;
  show_date_time (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATE_TIME]);
}

const char *
mira_date_time_row_get_time_zone (MiraDateTimeRow *self)
{
  g_return_val_if_fail (MIRA_IS_DATE_TIME_ROW (self), NULL);
  return self->time_zone;
}

/* The same moment, told in @time_zone */
void
mira_date_time_row_set_time_zone (MiraDateTimeRow *self,
                                  const char      *time_zone)
{
  g_return_if_fail (MIRA_IS_DATE_TIME_ROW (self));

  if (g_strcmp0 (self->time_zone, time_zone) == 0)
    return;
  g_free (self->time_zone);
  self->time_zone = g_strdup (time_zone);
  mira_date_time_row_set_date_time (self, self->date_time);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME_ZONE]);
}
