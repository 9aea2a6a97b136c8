/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-reminders-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "mira-reminder-dialog.h"
#include "mira-reminder-item.h"
#include "mira-reminders-page.h"
#include "mira-time-format.h"
#include "mira-window.h"

struct _MiraRemindersPage
{
  GtkWidget           parent_instance;

  MiraConnection     *connection;
  GtkSorter          *sorter;
  GtkFilter          *filters[3];   /* overdue, pending, done */
  GListModel         *lists[3];

  GtkStack           *stack;
  GtkWidget          *overdue_group;
  GtkWidget          *pending_group;
  GtkWidget          *done_group;
  GtkListBox         *overdue_list;
  GtkListBox         *pending_list;
  GtkListBox         *done_list;
};

G_DEFINE_FINAL_TYPE (MiraRemindersPage, mira_reminders_page, GTK_TYPE_WIDGET)

enum { OVERDUE, PENDING, DONE };

static void
show_error (GtkWidget    *widget,
            const GError *error)
{
  GtkWidget *window = gtk_widget_get_ancestor (widget, MIRA_TYPE_WINDOW);

  if (window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mira_window_show_error (MIRA_WINDOW (window), error);
}

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_connection_write_finish (MIRA_CONNECTION (source), result, &error))
    show_error (widget, error);
}

/* Rows */

static const char * const priority_classes[] = {
  "priority-low", "priority-medium", "priority-high", "priority-urgent"
};

static const char *
priority_label (MiraReminderPriority priority)
{
  switch (priority)
    {
    case MIRA_REMINDER_PRIORITY_LOW:
      return C_("priority", "Low");
    case MIRA_REMINDER_PRIORITY_HIGH:
      return C_("priority", "High");
    case MIRA_REMINDER_PRIORITY_URGENT:
      return C_("priority", "Urgent");
    case MIRA_REMINDER_PRIORITY_MEDIUM:
    default:
      return C_("priority", "Medium");
    }
}

typedef struct {
  MiraRemindersPage *page;
  MiraReminderItem  *item;
  AdwActionRow      *row;
  GtkCheckButton    *check;
  GtkLabel          *priority;
} Row;

static void
row_update (Row *row)
{
  MiraReminderItem *item = row->item;
  const char *zone = row->page->connection ? mira_connection_get_time_zone (row->page->connection)
                                           : NULL;
  GDateTime *due = mira_reminder_item_get_due_time (item);
  const char *description = mira_reminder_item_get_description (item);
  MiraReminderPriority priority = mira_reminder_item_get_priority (item);
  g_autofree char *when = due ? mira_format_day_time (due, zone) : g_strdup ("");
  g_autofree char *subtitle = NULL;
  g_autofree char *check_label = NULL;
  g_autofree char *title = g_markup_escape_text (mira_reminder_item_get_title (item)
                                                 ? mira_reminder_item_get_title (item) : "", -1);
  gboolean done = mira_reminder_item_get_is_done (item);

  if (description != NULL && description[0] != '\0')
    /* Translators: when a reminder is due, then its description */
    subtitle = g_strdup_printf (_("%s — %s"), when, description);
  else
    subtitle = g_strdup (when);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row), title);
  adw_action_row_set_subtitle (row->row, subtitle);

  gtk_check_button_set_active (row->check, done);
  gtk_widget_set_sensitive (GTK_WIDGET (row->check), !done);
  /* Translators: the check box that completes a reminder; %s is its title */
  check_label = g_strdup_printf (_("Complete “%s”"), mira_reminder_item_get_title (item));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->check),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, check_label, -1);

  gtk_label_set_label (row->priority, priority_label (priority));
  for (guint i = 0; i < G_N_ELEMENTS (priority_classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (row->priority), priority_classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (row->priority), priority_classes[priority]);
  /* Low and medium are the usual: said only in words, for screen readers */
  gtk_widget_set_visible (GTK_WIDGET (row->priority),
                          priority >= MIRA_REMINDER_PRIORITY_HIGH && !done);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, priority_label (priority),
                                  -1);
  if (done)
    gtk_widget_add_css_class (GTK_WIDGET (row->row), "done");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row->row), "done");
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
on_check_toggled (GtkCheckButton *check,
                  Row            *row)
{
  if (!gtk_check_button_get_active (check) || mira_reminder_item_get_is_done (row->item) ||
      row->page->connection == NULL)
    return;
  mira_connection_complete_reminder_async (row->page->connection,
                                           mira_reminder_item_get_reminder_id (row->item), NULL,
                                           written, g_object_ref (row->page));
}

static void
on_delete_clicked (GtkButton *button,
                   Row       *row)
{
  if (row->page->connection == NULL)
    return;
  mira_connection_delete_reminder_async (row->page->connection,
                                         mira_reminder_item_get_reminder_id (row->item), NULL,
                                         written, g_object_ref (row->page));
}

static void
on_row_activated (AdwActionRow *action_row,
                  Row          *row)
{
  GtkWidget *dialog;

  if (row->page->connection == NULL)
    return;
  dialog = mira_reminder_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (row->page))),
                                     row->page->connection, row->item);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  MiraRemindersPage *self = user_data;
  Row *row = g_new0 (Row, 1);
  GtkWidget *delete;
  g_autofree char *delete_label = NULL;

  row->page = self;
  row->item = g_object_ref (item);
  row->row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->row), TRUE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row->row), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->row), _("Edit"));

  row->check = GTK_CHECK_BUTTON (gtk_check_button_new ());
  gtk_widget_set_valign (GTK_WIDGET (row->check), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (row->check), "selection-mode");
  adw_action_row_add_prefix (row->row, GTK_WIDGET (row->check));

  row->priority = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_valign (GTK_WIDGET (row->priority), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (row->priority), "priority");
  adw_action_row_add_suffix (row->row, GTK_WIDGET (row->priority));

  delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, _("Delete"));
  /* Translators: the button that deletes a reminder; %s is its title */
  delete_label = g_strdup_printf (_("Delete “%s”"), mira_reminder_item_get_title (item));
  gtk_accessible_update_property (GTK_ACCESSIBLE (delete),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, delete_label, -1);
  adw_action_row_add_suffix (row->row, delete);

  g_object_set_data_full (G_OBJECT (row->row), "mira-row", row, row_free);
  g_signal_connect_swapped (item, "notify", G_CALLBACK (row_update), row);
  g_signal_connect (row->check, "toggled", G_CALLBACK (on_check_toggled), row);
  g_signal_connect (delete, "clicked", G_CALLBACK (on_delete_clicked), row);
  g_signal_connect (row->row, "activated", G_CALLBACK (on_row_activated), row);
  row_update (row);
  return GTK_WIDGET (row->row);
}

/* The lists */

static gboolean
filter_status (gpointer item,
               gpointer user_data)
{
  MiraReminderStatus status = mira_reminder_item_get_status (item);

  switch (GPOINTER_TO_INT (user_data))
    {
    case OVERDUE:
      return status == MIRA_REMINDER_STATUS_OVERDUE;
    case PENDING:
      return status == MIRA_REMINDER_STATUS_PENDING;
    case DONE:
    default:
      return mira_reminder_item_get_is_done (item);
    }
}

static void
update_view (MiraRemindersPage *self)
{
  guint total = self->connection
                ? g_list_model_get_n_items (mira_connection_get_reminders (self->connection)) : 0;

  gtk_stack_set_visible_child_name (self->stack, total > 0 ? "list" : "empty");
  gtk_widget_set_visible (self->overdue_group, self->lists[OVERDUE] != NULL &&
                          g_list_model_get_n_items (self->lists[OVERDUE]) > 0);
  gtk_widget_set_visible (self->done_group, self->lists[DONE] != NULL &&
                          g_list_model_get_n_items (self->lists[DONE]) > 0);
}

/* A reminder that changes status or time moves between the lists */
static void
on_item_notify (MiraRemindersPage *self,
                GParamSpec        *pspec)
{
  if (g_str_equal (pspec->name, "status"))
    for (guint i = 0; i < G_N_ELEMENTS (self->filters); i++)
      gtk_filter_changed (self->filters[i], GTK_FILTER_CHANGE_DIFFERENT);
  else if (g_str_equal (pspec->name, "due-usec"))
    gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_reminders_changed (MiraRemindersPage *self,
                      guint              position,
                      guint              removed,
                      guint              added,
                      GListModel        *reminders)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (reminders, i);

      g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), self,
                               G_CONNECT_SWAPPED);
    }
  update_view (self);
}

/* Times are said in the network's zone: all rows again when it changes */
static void
on_time_zone_changed (MiraRemindersPage *self)
{
  gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
  for (guint i = 0; i < G_N_ELEMENTS (self->filters); i++)
    gtk_filter_changed (self->filters[i], GTK_FILTER_CHANGE_DIFFERENT);
}

static void
list_boxes (MiraRemindersPage *self,
            GtkListBox        *boxes[3])
{
  boxes[OVERDUE] = self->overdue_list;
  boxes[PENDING] = self->pending_list;
  boxes[DONE] = self->done_list;
}

/* A row per reminder only while the page is on screen: a network that is
 * talked to makes reminders all day, and each row is tens of kilobytes of
 * widgets that nobody sees while another page is shown
 */
static void
bind_rows (MiraRemindersPage *self)
{
  GtkListBox *boxes[3];

  list_boxes (self, boxes);
  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    if (self->lists[i] != NULL)
      gtk_list_box_bind_model (boxes[i], self->lists[i], create_row, self, NULL);
}

static void
unbind_rows (MiraRemindersPage *self)
{
  GtkListBox *boxes[3];

  list_boxes (self, boxes);
  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    if (boxes[i] != NULL)   /* NULL once the template is disposed */
      gtk_list_box_bind_model (boxes[i], NULL, NULL, NULL, NULL);
}

static void
mira_reminders_page_map (GtkWidget *widget)
{
  /* Before the children map, so that the rows are there when they do */
  bind_rows (MIRA_REMINDERS_PAGE (widget));
  GTK_WIDGET_CLASS (mira_reminders_page_parent_class)->map (widget);
}

static void
mira_reminders_page_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (mira_reminders_page_parent_class)->unmap (widget);
  unbind_rows (MIRA_REMINDERS_PAGE (widget));
}

void
mira_reminders_page_set_connection (MiraRemindersPage *self,
                                    MiraConnection    *connection)
{
  GListModel *reminders = NULL;

  g_return_if_fail (MIRA_IS_REMINDERS_PAGE (self));
  g_return_if_fail (connection == NULL || MIRA_IS_CONNECTION (connection));

  if (self->connection == connection)
    return;

  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (mira_connection_get_reminders (self->connection), self);
      g_signal_handlers_disconnect_by_data (self->connection, self);
    }
  g_set_object (&self->connection, connection);

  unbind_rows (self);
  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    g_clear_object (&self->lists[i]);

  if (connection == NULL)
    {
      update_view (self);
      return;
    }

  reminders = mira_connection_get_reminders (connection);
  g_signal_connect_object (reminders, "items-changed", G_CALLBACK (on_reminders_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (connection, "notify::time-zone",
                           G_CALLBACK (on_time_zone_changed), self, G_CONNECT_SWAPPED);

  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    {
      GtkSortListModel *sorted = gtk_sort_list_model_new (g_object_ref (reminders),
                                                          g_object_ref (self->sorter));

      self->lists[i] = G_LIST_MODEL (gtk_filter_list_model_new (G_LIST_MODEL (sorted),
                                                                g_object_ref (self->filters[i])));
      g_signal_connect_object (self->lists[i], "items-changed", G_CALLBACK (update_view), self,
                               G_CONNECT_SWAPPED);
    }
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    bind_rows (self);
  on_reminders_changed (self, 0, 0, g_list_model_get_n_items (reminders), reminders);
}

void
mira_reminders_page_new_reminder (MiraRemindersPage *self)
{
  GtkWidget *dialog;

  g_return_if_fail (MIRA_IS_REMINDERS_PAGE (self));

  if (self->connection == NULL)
    return;
  dialog = mira_reminder_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                     self->connection, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
new_reminder_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  mira_reminders_page_new_reminder (MIRA_REMINDERS_PAGE (widget));
}

static void
mira_reminders_page_dispose (GObject *object)
{
  MiraRemindersPage *self = MIRA_REMINDERS_PAGE (object);

  mira_reminders_page_set_connection (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_REMINDERS_PAGE);
  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    {
      g_clear_object (&self->lists[i]);
      g_clear_object (&self->filters[i]);
    }
  g_clear_object (&self->sorter);

  G_OBJECT_CLASS (mira_reminders_page_parent_class)->dispose (object);
}

static void
mira_reminders_page_class_init (MiraRemindersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_reminders_page_dispose;
  widget_class->map = mira_reminders_page_map;
  widget_class->unmap = mira_reminders_page_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-reminders-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, stack);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, overdue_group);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, pending_group);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, done_group);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, overdue_list);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, pending_list);
  gtk_widget_class_bind_template_child (widget_class, MiraRemindersPage, done_list);

  gtk_widget_class_install_action (widget_class, "reminders.new", NULL, new_reminder_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
mira_reminders_page_init (MiraRemindersPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));

  placeholder = gtk_label_new (_("Nothing to do"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_list_box_set_placeholder (self->pending_list, placeholder);

  self->sorter = GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (MIRA_TYPE_REMINDER_ITEM,
                                                                                  NULL,
                                                                                  "due-usec")));
  for (guint i = 0; i < G_N_ELEMENTS (self->filters); i++)
    self->filters[i] = GTK_FILTER (gtk_custom_filter_new (filter_status, GINT_TO_POINTER (i),
                                                          NULL));
}
