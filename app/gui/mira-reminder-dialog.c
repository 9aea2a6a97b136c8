/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-reminder-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-date-time-row.h"
#include "mira-reminder-dialog.h"

struct _MiraReminderDialog
{
  AdwWindow         parent_instance;

  MiraConnection   *connection;
  MiraReminderItem *item;
  GCancellable     *cancellable;

  GtkWidget        *save_button;
  AdwToastOverlay  *toast_overlay;
  AdwEntryRow      *title_row;
  AdwEntryRow      *description_row;
  MiraDateTimeRow  *due_row;
  AdwComboRow      *priority_row;
};

G_DEFINE_FINAL_TYPE (MiraReminderDialog, mira_reminder_dialog, ADW_TYPE_WINDOW)

static gboolean
has_title (MiraReminderDialog *self)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));

  return title[0] != '\0';
}

static void
on_title_changed (MiraReminderDialog *self)
{
  gtk_widget_set_sensitive (self->save_button, has_title (self) && self->cancellable == NULL);
}

static void
saved (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  MiraReminderDialog *self = user_data;
  g_autoptr(GError) error = NULL;

  /* Cancelled when the dialog went: then @self is gone too */
  if (!mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      on_title_changed (self);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  g_clear_object (&self->cancellable);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_save_clicked (MiraReminderDialog *self)
{
  if (!has_title (self) || self->cancellable != NULL)
    return;

  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->save_button, FALSE);
  mira_connection_save_reminder_async (self->connection,
                                       self->item ? mira_reminder_item_get_reminder_id (self->item)
                                                  : NULL,
                                       gtk_editable_get_text (GTK_EDITABLE (self->title_row)),
                                       gtk_editable_get_text (GTK_EDITABLE (self->description_row)),
                                       mira_date_time_row_get_date_time (self->due_row),
                                       adw_combo_row_get_selected (self->priority_row),
                                       self->cancellable, saved, self);
}

static void
mira_reminder_dialog_dispose (GObject *object)
{
  MiraReminderDialog *self = MIRA_REMINDER_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_REMINDER_DIALOG);

  G_OBJECT_CLASS (mira_reminder_dialog_parent_class)->dispose (object);
}

static void
mira_reminder_dialog_finalize (GObject *object)
{
  MiraReminderDialog *self = MIRA_REMINDER_DIALOG (object);

  g_clear_object (&self->connection);
  g_clear_object (&self->item);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mira_reminder_dialog_parent_class)->finalize (object);
}

static void
mira_reminder_dialog_class_init (MiraReminderDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_reminder_dialog_dispose;
  object_class->finalize = mira_reminder_dialog_finalize;

  g_type_ensure (MIRA_TYPE_DATE_TIME_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-reminder-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, description_row);
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, due_row);
  gtk_widget_class_bind_template_child (widget_class, MiraReminderDialog, priority_row);
  gtk_widget_class_bind_template_callback (widget_class, on_title_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
}

static void
mira_reminder_dialog_init (MiraReminderDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mira_reminder_dialog_new (GtkWindow        *parent,
                          MiraConnection   *connection,
                          MiraReminderItem *item)
{
  MiraReminderDialog *self;
  const char *zone;
  g_autofree char *zone_text = NULL;

  g_return_val_if_fail (MIRA_IS_CONNECTION (connection), NULL);
  g_return_val_if_fail (item == NULL || MIRA_IS_REMINDER_ITEM (item), NULL);

  self = g_object_new (MIRA_TYPE_REMINDER_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->connection = g_object_ref (connection);
  self->item = item ? g_object_ref (item) : NULL;

  /* Due in the network's time zone, whatever this computer's is */
  zone = mira_connection_get_time_zone (connection);
  mira_date_time_row_set_time_zone (self->due_row, zone);
  /* Translators: %s is the network's time zone, e.g. Europe/Lisbon */
  zone_text = g_strdup_printf (_("Time zone %s"), zone);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->due_row), zone_text);
  adw_combo_row_set_selected (self->priority_row, MIRA_REMINDER_PRIORITY_MEDIUM);

  if (item != NULL)
    {
      const char *description = mira_reminder_item_get_description (item);

      gtk_window_set_title (GTK_WINDOW (self), _("Edit Reminder"));
      gtk_editable_set_text (GTK_EDITABLE (self->title_row), mira_reminder_item_get_title (item));
      gtk_editable_set_text (GTK_EDITABLE (self->description_row),
                             description ? description : "");
      if (mira_reminder_item_get_due_time (item) != NULL)
        mira_date_time_row_set_date_time (self->due_row, mira_reminder_item_get_due_time (item));
      adw_combo_row_set_selected (self->priority_row, mira_reminder_item_get_priority (item));
    }
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return GTK_WIDGET (self);
}
