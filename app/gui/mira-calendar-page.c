/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-calendar-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "mira-calendar-page.h"
#include "mira-event-dialog.h"
#include "mira-event-item.h"
#include "mira-time-format.h"
#include "mira-window.h"

struct _MiraCalendarPage
{
  GtkWidget       parent_instance;

  MiraConnection *connection;
  GtkFilter      *day_filter;
  GListModel     *day_events;    /* the selected day's, by start time */
  GDateTime      *day_start;     /* the selected day in the network's zone … */
  GDateTime      *day_end;       /* … and the next */
  guint           show_marks_id;

  GtkWidget      *month_pane;
  GtkWidget      *day_pane;
  GtkCalendar    *calendar;
  GtkLabel       *zone_label;
  GtkLabel       *day_label;
  GtkStack       *day_stack;
  GtkListBox     *events_list;
};

G_DEFINE_FINAL_TYPE (MiraCalendarPage, mira_calendar_page, GTK_TYPE_WIDGET)

static const char *
page_zone (MiraCalendarPage *self)
{
  return self->connection ? mira_connection_get_time_zone (self->connection) : NULL;
}

static GTimeZone *
page_time_zone (MiraCalendarPage *self)
{
  const char *zone = page_zone (self);
  GTimeZone *tz = zone ? g_time_zone_new_identifier (zone) : NULL;

  return tz ? tz : g_time_zone_new_local ();
}

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  if (mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    return;
  window = gtk_widget_get_ancestor (widget, MIRA_TYPE_WINDOW);
  if (window != NULL)
    mira_window_show_error (MIRA_WINDOW (window), error);
}

/* Marks */

/* GTK 4.8 drops the :checked state of marked days when it lays the month
 * out again, so the days with events carry a style class of their own;
 * gtk_calendar_mark_day() keeps them for the calendar's own use.
 */
static void
show_marks (MiraCalendarPage *self)
{
  GtkWidget *grid;

  for (grid = gtk_widget_get_first_child (GTK_WIDGET (self->calendar)); grid != NULL;
       grid = gtk_widget_get_next_sibling (grid))
    for (GtkWidget *label = gtk_widget_get_first_child (grid); label != NULL;
         label = gtk_widget_get_next_sibling (label))
      {
        guint64 day;

        if (!GTK_IS_LABEL (label) || !gtk_widget_has_css_class (label, "day-number"))
          continue;
        if (!gtk_widget_has_css_class (label, "other-month") &&
            g_ascii_string_to_unsigned (gtk_label_get_label (GTK_LABEL (label)), 10, 1, 31,
                                        &day, NULL) &&
            gtk_calendar_get_day_is_marked (self->calendar, (guint) day))
          gtk_widget_add_css_class (label, "has-events");
        else
          gtk_widget_remove_css_class (label, "has-events");
      }
}

static gboolean
show_marks_cb (gpointer user_data)
{
  MiraCalendarPage *self = user_data;

  self->show_marks_id = 0;
  show_marks (self);
  return G_SOURCE_REMOVE;
}

static void
update_marks (MiraCalendarPage *self)
{
  g_autoptr(GTimeZone) tz = page_time_zone (self);
  g_autoptr(GDateTime) month_start = NULL;
  g_autoptr(GDateTime) month_end = NULL;
  GListModel *events;
  int year, month;

  gtk_calendar_clear_marks (self->calendar);
  if (self->connection == NULL)
    return;

  g_object_get (self->calendar, "year", &year, "month", &month, NULL);
  month_start = g_date_time_new (tz, year, month + 1, 1, 0, 0, 0);
  month_end = g_date_time_add_months (month_start, 1);
  events = mira_connection_get_events (self->connection);
  for (guint i = 0; i < g_list_model_get_n_items (events); i++)
    {
      g_autoptr(MiraEventItem) event = g_list_model_get_item (events, i);
      g_autoptr(GDateTime) day = NULL;

      if (!mira_event_item_overlaps (event, month_start, month_end))
        continue;
      /* Every day of the month it is on */
      day = g_date_time_ref (month_start);
      while (g_date_time_compare (day, month_end) < 0)
        {
          g_autoptr(GDateTime) next = g_date_time_add_days (day, 1);

          if (mira_event_item_overlaps (event, day, next))
            gtk_calendar_mark_day (self->calendar, g_date_time_get_day_of_month (day));
          g_date_time_unref (day);
          day = g_steal_pointer (&next);
        }
    }
  show_marks (self);
  /* The month's labels may change after notify::month: once more then */
  if (self->show_marks_id == 0)
    self->show_marks_id = g_idle_add (show_marks_cb, self);
}

/* The selected day */

static gboolean
filter_day (gpointer item,
            gpointer user_data)
{
  MiraCalendarPage *self = user_data;

  return self->day_start != NULL &&
         mira_event_item_overlaps (item, self->day_start, self->day_end);
}

static void
update_day_view (MiraCalendarPage *self)
{
  gboolean any = self->day_events != NULL && g_list_model_get_n_items (self->day_events) > 0;

  gtk_stack_set_visible_child_name (self->day_stack, any ? "events" : "empty");
}

static void
update_day (MiraCalendarPage *self)
{
  g_autoptr(GDateTime) picked = gtk_calendar_get_date (self->calendar);
  g_autoptr(GTimeZone) tz = page_time_zone (self);
  g_autofree char *title = NULL;
  g_autofree char *zone_text = NULL;

  g_clear_pointer (&self->day_start, g_date_time_unref);
  g_clear_pointer (&self->day_end, g_date_time_unref);
  /* The calendar's day, as a day of the network's zone */
  self->day_start = g_date_time_new (tz, g_date_time_get_year (picked),
                                     g_date_time_get_month (picked),
                                     g_date_time_get_day_of_month (picked), 0, 0, 0);
  self->day_end = g_date_time_add_days (self->day_start, 1);
  title = mira_format_day (self->day_start);
  gtk_label_set_label (self->day_label, title);

  /* Translators: %s is the network's time zone, e.g. Europe/Lisbon */
  zone_text = g_strdup_printf (_("Times in %s"), page_zone (self) ? page_zone (self) : "UTC");
  gtk_label_set_label (self->zone_label, zone_text);

  gtk_filter_changed (self->day_filter, GTK_FILTER_CHANGE_DIFFERENT);
  update_day_view (self);
}

/* Layout: the month beside the day from this width, else above it */

#define SIDE_BY_SIDE_PX 640

static void
mira_calendar_page_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  MiraCalendarPage *self = MIRA_CALENDAR_PAGE (widget);
  int month_min, month_nat, day_min, day_nat;

  gtk_widget_measure (self->month_pane, orientation, -1, &month_min, &month_nat, NULL, NULL);
  gtk_widget_measure (self->day_pane, orientation, -1, &day_min, &day_nat, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Narrow it stacks: as narrow as the wider of the two */
      *minimum = MAX (month_min, day_min);
      *natural = month_nat + day_nat;
    }
  else if (for_size >= SIDE_BY_SIDE_PX)
    {
      *minimum = MAX (month_min, day_min);
      *natural = MAX (month_nat, day_nat);
    }
  else
    {
      *minimum = month_min + day_min;
      *natural = month_nat + day_nat;
    }
}

static void
mira_calendar_page_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  MiraCalendarPage *self = MIRA_CALENDAR_PAGE (widget);
  int month_min, month_nat;

  if (width >= SIDE_BY_SIDE_PX)
    {
      gtk_widget_measure (self->month_pane, GTK_ORIENTATION_HORIZONTAL, -1,
                          &month_min, &month_nat, NULL, NULL);
      gtk_widget_size_allocate (self->month_pane,
                                &(GtkAllocation) { 0, 0, month_nat, height }, -1);
      gtk_widget_size_allocate (self->day_pane,
                                &(GtkAllocation) { month_nat, 0, width - month_nat, height }, -1);
    }
  else
    {
      gtk_widget_measure (self->month_pane, GTK_ORIENTATION_VERTICAL, width,
                          &month_min, &month_nat, NULL, NULL);
      month_nat = MIN (month_nat, height);
      gtk_widget_size_allocate (self->month_pane,
                                &(GtkAllocation) { 0, 0, width, month_nat }, -1);
      gtk_widget_size_allocate (self->day_pane,
                                &(GtkAllocation) { 0, month_nat, width, height - month_nat }, -1);
    }
}

/* Rows */

typedef struct {
  MiraCalendarPage *page;
  MiraEventItem    *item;
  AdwActionRow     *row;
  GtkLabel         *time;
} Row;

static void
row_update (Row *row)
{
  MiraEventItem *item = row->item;
  const char *zone = page_zone (row->page);
  GDateTime *start = mira_event_item_get_start_time (item);
  GDateTime *end = mira_event_item_get_end_time (item);
  const char *location = mira_event_item_get_location (item);
  const char * const *attendees = mira_event_item_get_attendees (item);
  g_autofree char *title = g_markup_escape_text (mira_event_item_get_title (item)
                                                 ? mira_event_item_get_title (item) : "", -1);
  g_autofree char *from = start ? mira_format_time (start, zone) : g_strdup ("");
  g_autofree char *to = end ? mira_format_time (end, zone) : NULL;
  g_autofree char *times = NULL;
  g_autoptr(GString) subtitle = g_string_new (NULL);

  if (to != NULL && g_strcmp0 (from, to) != 0)
    /* Translators: a time span, from – to */
    times = g_strdup_printf (_("%s – %s"), from, to);
  else
    times = g_strdup (from);

  if (location != NULL && location[0] != '\0')
    g_string_append (subtitle, location);
  if (attendees != NULL && attendees[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv (", ", (char **) attendees);

      if (subtitle->len > 0)
        g_string_append (subtitle, " · ");
      g_string_append (subtitle, joined);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row), title);
  adw_action_row_set_subtitle (row->row, subtitle->str);
  gtk_label_set_label (row->time, times);
}

static void
row_free (gpointer data)
{
  Row *row = data;

  g_signal_handlers_disconnect_by_data (row->item, row);
  g_object_unref (row->item);
  g_free (row);
}

static void
on_delete_clicked (GtkButton *button,
                   Row       *row)
{
  if (row->page->connection == NULL)
    return;
  mira_connection_delete_event_async (row->page->connection,
                                      mira_event_item_get_event_id (row->item), NULL,
                                      written, g_object_ref (row->page));
}

static void
on_row_activated (AdwActionRow *action_row,
                  Row          *row)
{
  GtkWidget *dialog;

  if (row->page->connection == NULL)
    return;
  dialog = mira_event_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (row->page))),
                                  row->page->connection, row->item, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  MiraCalendarPage *self = user_data;
  Row *row = g_new0 (Row, 1);
  GtkWidget *delete;
  g_autofree char *delete_label = NULL;

  row->page = self;
  row->item = g_object_ref (item);
  row->row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->row), TRUE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row->row), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->row), _("Edit"));

  row->time = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->time, 0);
  gtk_label_set_width_chars (row->time, 11);
  gtk_widget_add_css_class (GTK_WIDGET (row->time), "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (row->time), "event-time");
  adw_action_row_add_prefix (row->row, GTK_WIDGET (row->time));

  delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, _("Delete"));
  /* Translators: the button that deletes an event; %s is its title */
  delete_label = g_strdup_printf (_("Delete “%s”"), mira_event_item_get_title (item));
  gtk_accessible_update_property (GTK_ACCESSIBLE (delete),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, delete_label, -1);
  adw_action_row_add_suffix (row->row, delete);

  g_object_set_data_full (G_OBJECT (row->row), "mira-row", row, row_free);
  g_signal_connect_swapped (item, "notify", G_CALLBACK (row_update), row);
  g_signal_connect (delete, "clicked", G_CALLBACK (on_delete_clicked), row);
  g_signal_connect (row->row, "activated", G_CALLBACK (on_row_activated), row);
  row_update (row);
  return GTK_WIDGET (row->row);
}

/* The events */

static void
on_item_notify (MiraCalendarPage *self,
                GParamSpec       *pspec)
{
  if (g_str_equal (pspec->name, "start-time") || g_str_equal (pspec->name, "end-time"))
    {
      gtk_filter_changed (self->day_filter, GTK_FILTER_CHANGE_DIFFERENT);
      update_marks (self);
    }
}

static void
on_events_changed (MiraCalendarPage *self,
                   guint             position,
                   guint             removed,
                   guint             added,
                   GListModel       *events)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (events, i);

      g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
  update_marks (self);
}

static void
on_time_zone_changed (MiraCalendarPage *self)
{
  update_day (self);
  update_marks (self);
}

void
mira_calendar_page_set_connection (MiraCalendarPage *self,
                                   MiraConnection   *connection)
{
  GListModel *events;
  GtkSortListModel *sorted;
  GtkSorter *sorter;

  g_return_if_fail (MIRA_IS_CALENDAR_PAGE (self));
  g_return_if_fail (connection == NULL || MIRA_IS_CONNECTION (connection));

  if (self->connection == connection)
    return;
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (mira_connection_get_events (self->connection), self);
      g_signal_handlers_disconnect_by_data (self->connection, self);
    }
  g_set_object (&self->connection, connection);

  gtk_list_box_bind_model (self->events_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->day_events);
  if (connection != NULL)
    {
      events = mira_connection_get_events (connection);
      sorter = GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (MIRA_TYPE_EVENT_ITEM,
                                                                                NULL,
                                                                                "start-usec")));
      sorted = gtk_sort_list_model_new (g_object_ref (events), sorter);
      self->day_events = G_LIST_MODEL (gtk_filter_list_model_new (G_LIST_MODEL (sorted),
                                                                  g_object_ref (self->day_filter)));
      g_signal_connect_object (self->day_events, "items-changed", G_CALLBACK (update_day_view),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (events, "items-changed", G_CALLBACK (on_events_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "notify::time-zone",
                               G_CALLBACK (on_time_zone_changed), self, G_CONNECT_SWAPPED);
      gtk_list_box_bind_model (self->events_list, self->day_events, create_row, self, NULL);
      on_events_changed (self, 0, 0, g_list_model_get_n_items (events), events);
    }
  update_day (self);
  update_marks (self);
}

void
mira_calendar_page_select_day (MiraCalendarPage *self,
                               GDateTime        *day)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_if_fail (MIRA_IS_CALENDAR_PAGE (self));
  g_return_if_fail (day != NULL);

  local = g_date_time_new_local (g_date_time_get_year (day), g_date_time_get_month (day),
                                 g_date_time_get_day_of_month (day), 12, 0, 0);
  gtk_calendar_select_day (self->calendar, local);
  update_day (self);
  update_marks (self);
}

static void
new_event_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MiraCalendarPage *self = MIRA_CALENDAR_PAGE (widget);
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) start = NULL;
  GtkWidget *dialog;

  if (self->connection == NULL)
    return;
  /* On the selected day, at the next full hour of the clock */
  now = g_date_time_new_now (g_date_time_get_timezone (self->day_start));
  start = g_date_time_add_hours (self->day_start, MIN (g_date_time_get_hour (now) + 1, 23));
  dialog = mira_event_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), self->connection,
                                  NULL, start);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
mira_calendar_page_dispose (GObject *object)
{
  MiraCalendarPage *self = MIRA_CALENDAR_PAGE (object);

  mira_calendar_page_set_connection (self, NULL);
  g_clear_handle_id (&self->show_marks_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_CALENDAR_PAGE);
  g_clear_object (&self->day_filter);
  g_clear_pointer (&self->day_start, g_date_time_unref);
  g_clear_pointer (&self->day_end, g_date_time_unref);

  G_OBJECT_CLASS (mira_calendar_page_parent_class)->dispose (object);
}

static void
mira_calendar_page_class_init (MiraCalendarPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_calendar_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-calendar-page.ui");
  gtk_widget_class_set_css_name (widget_class, "calendarpage");
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, month_pane);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, day_pane);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, calendar);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, zone_label);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, day_label);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, day_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraCalendarPage, events_list);
  gtk_widget_class_bind_template_callback (widget_class, update_day);
  gtk_widget_class_bind_template_callback (widget_class, update_marks);

  gtk_widget_class_install_action (widget_class, "calendar.new-event", NULL, new_event_action);

  widget_class->measure = mira_calendar_page_measure;
  widget_class->size_allocate = mira_calendar_page_size_allocate;
}

static void
mira_calendar_page_init (MiraCalendarPage *self)
{
  self->day_filter = GTK_FILTER (gtk_custom_filter_new (filter_day, self, NULL));
  gtk_widget_init_template (GTK_WIDGET (self));
  update_day (self);
}
