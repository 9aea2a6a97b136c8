/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-event-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-date-time-row.h"
#include "mira-event-dialog.h"

struct _MiraEventDialog
{
  AdwWindow         parent_instance;

  MiraConnection   *connection;
  MiraEventItem    *item;
  GCancellable     *cancellable;
  GTimeSpan         duration;    /* kept when the start moves */

  GtkWidget        *save_button;
  AdwToastOverlay  *toast_overlay;
  AdwEntryRow      *title_row;
  AdwEntryRow      *location_row;
  AdwEntryRow      *attendees_row;
  AdwPreferencesGroup *time_group;
  MiraDateTimeRow  *start_row;
  MiraDateTimeRow  *end_row;
};

G_DEFINE_FINAL_TYPE (MiraEventDialog, mira_event_dialog, ADW_TYPE_WINDOW)

static gboolean
is_valid (MiraEventDialog *self)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));

  return title[0] != '\0' &&
         g_date_time_compare (mira_date_time_row_get_date_time (self->end_row),
                              mira_date_time_row_get_date_time (self->start_row)) >= 0;
}

static void
on_changed (MiraEventDialog *self)
{
  gboolean ends_before = g_date_time_compare (mira_date_time_row_get_date_time (self->end_row),
                                              mira_date_time_row_get_date_time (self->start_row)) < 0;

  gtk_widget_set_sensitive (self->save_button, is_valid (self) && self->cancellable == NULL);
  adw_preferences_group_set_description (self->time_group,
                                         ends_before ? _("The event ends before it starts") : NULL);
  if (ends_before)
    gtk_widget_add_css_class (GTK_WIDGET (self->end_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->end_row), "error");
}

/* Moving the start moves the end with it, as in any calendar */
static void
on_start_changed (MiraEventDialog *self)
{
  g_autoptr(GDateTime) end = g_date_time_add (mira_date_time_row_get_date_time (self->start_row),
                                              self->duration);

  mira_date_time_row_set_date_time (self->end_row, end);
  on_changed (self);
}

static void
saved (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  MiraEventDialog *self = user_data;
  g_autoptr(GError) error = NULL;

  /* Cancelled when the dialog went: then @self is gone too */
  if (!mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      on_changed (self);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  g_clear_object (&self->cancellable);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_save_clicked (MiraEventDialog *self)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) attendees = NULL;

  if (!is_valid (self) || self->cancellable != NULL)
    return;

  parts = g_strsplit (gtk_editable_get_text (GTK_EDITABLE (self->attendees_row)), ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  attendees = g_strv_builder_end (builder);

  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->save_button, FALSE);
  mira_connection_save_event_async (self->connection,
                                    self->item ? mira_event_item_get_event_id (self->item) : NULL,
                                    gtk_editable_get_text (GTK_EDITABLE (self->title_row)),
                                    mira_date_time_row_get_date_time (self->start_row),
                                    mira_date_time_row_get_date_time (self->end_row),
                                    gtk_editable_get_text (GTK_EDITABLE (self->location_row)),
                                    (const char * const *) attendees,
                                    self->cancellable, saved, self);
}

static void
mira_event_dialog_dispose (GObject *object)
{
  MiraEventDialog *self = MIRA_EVENT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_EVENT_DIALOG);

  G_OBJECT_CLASS (mira_event_dialog_parent_class)->dispose (object);
}

static void
mira_event_dialog_finalize (GObject *object)
{
  MiraEventDialog *self = MIRA_EVENT_DIALOG (object);

  g_clear_object (&self->connection);
  g_clear_object (&self->item);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mira_event_dialog_parent_class)->finalize (object);
}

static void
mira_event_dialog_class_init (MiraEventDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_event_dialog_dispose;
  object_class->finalize = mira_event_dialog_finalize;

  g_type_ensure (MIRA_TYPE_DATE_TIME_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-event-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, attendees_row);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, time_group);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, start_row);
  gtk_widget_class_bind_template_child (widget_class, MiraEventDialog, end_row);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_start_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
}

static void
mira_event_dialog_init (MiraEventDialog *self)
{
  self->duration = G_TIME_SPAN_HOUR;
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mira_event_dialog_new (GtkWindow      *parent,
                       MiraConnection *connection,
                       MiraEventItem  *item,
                       GDateTime      *start)
{
  MiraEventDialog *self;
  const char *zone;
  g_autofree char *zone_text = NULL;

  g_return_val_if_fail (MIRA_IS_CONNECTION (connection), NULL);
  g_return_val_if_fail (item == NULL || MIRA_IS_EVENT_ITEM (item), NULL);

  self = g_object_new (MIRA_TYPE_EVENT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->connection = g_object_ref (connection);
  self->item = item ? g_object_ref (item) : NULL;

  zone = mira_connection_get_time_zone (connection);
  mira_date_time_row_set_time_zone (self->start_row, zone);
  mira_date_time_row_set_time_zone (self->end_row, zone);
  /* Translators: %s is the network's time zone, e.g. Europe/Lisbon */
  zone_text = g_strdup_printf (_("Times in %s"), zone);
  adw_preferences_group_set_title (self->time_group, zone_text);

  if (item != NULL)
    {
      const char * const *attendees = mira_event_item_get_attendees (item);
      const char *location = mira_event_item_get_location (item);
      GDateTime *start_time = mira_event_item_get_start_time (item);
      GDateTime *end_time = mira_event_item_get_end_time (item);
      g_autofree char *joined = attendees ? g_strjoinv (", ", (char **) attendees) : NULL;

      gtk_window_set_title (GTK_WINDOW (self), _("Edit Event"));
      gtk_editable_set_text (GTK_EDITABLE (self->title_row), mira_event_item_get_title (item));
      gtk_editable_set_text (GTK_EDITABLE (self->location_row), location ? location : "");
      gtk_editable_set_text (GTK_EDITABLE (self->attendees_row), joined ? joined : "");
      self->duration = start_time && end_time ? g_date_time_difference (end_time, start_time) : 0;
      start = start_time;
    }
  if (start != NULL)
    mira_date_time_row_set_date_time (self->start_row, start);
  on_start_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return GTK_WIDGET (self);
}
