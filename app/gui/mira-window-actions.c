/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-window-actions"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-add-device-dialog.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-window-private.h"

static void
mira_window_add_device_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  MiraWindow *self = MIRA_WINDOW (widget);
  MiraAddDeviceDialog *dialog;

  dialog = mira_add_device_dialog_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_leave_response (MiraWindow       *self,
                   const char       *response,
                   AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "leave") == 0)
    mira_context_leave (self->context);
}

static void
mira_window_leave_network_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  MiraWindow *self = MIRA_WINDOW (widget);
  MiraConnection *connection = mira_context_get_connection (self->context);
  const char *name = connection != NULL ? mira_connection_get_network_name (connection) : NULL;
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;
  const char *body;

  if (name != NULL)
    heading = g_strdup_printf (_("Leave “%s”?"), name);
  else
    heading = g_strdup (_("Leave the Network?"));

  if (mira_context_get_mode (self->context) == MIRA_MODE_HOST)
    body = _("This computer stops hosting the network, and its other devices can no longer "
             "connect. The network’s conversations stay on this computer, and hosting again "
             "brings them back.");
  else
    body = _("This computer stops recording into the network and forgets its token. "
             "You can join again with a new join link.");

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "leave", _("_Leave"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (on_leave_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
mira_window_show_primary_menu_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  MiraWindow *self = MIRA_WINDOW (widget);

  gtk_menu_button_popup (self->primary_menu_button);
}

/* The record button's toggle, from the keyboard: it starts and stops the
 * microphone as a click does, and is sensitive as the button is
 */
static void
mira_window_toggle_recording_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  MiraWindow *self = MIRA_WINDOW (widget);
  GtkToggleButton *button = GTK_TOGGLE_BUTTON (self->record_button);

  if (gtk_widget_is_sensitive (GTK_WIDGET (button)))
    gtk_toggle_button_set_active (button, !gtk_toggle_button_get_active (button));
}

/* "live", "conversations", …: the page of the main view to show */
static void
mira_window_show_page_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  MiraWindow *self = MIRA_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

void
_mira_window_class_actions_init (MiraWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.add-device", NULL,
                                   mira_window_add_device_action);
  gtk_widget_class_install_action (widget_class, "win.leave-network", NULL,
                                   mira_window_leave_network_action);
  gtk_widget_class_install_action (widget_class, "win.show-primary-menu", NULL,
                                   mira_window_show_primary_menu_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-recording", NULL,
                                   mira_window_toggle_recording_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s",
                                   mira_window_show_page_action);
}

/* Enables what the context's mode allows: a join link exists only while
 * hosting, and the main view's menu only with a network.
 */
void
_mira_window_actions_update (MiraWindow *self)
{
  MiraMode mode = mira_context_get_mode (self->context);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-device",
                                 mode == MIRA_MODE_HOST &&
                                 mira_context_get_join_link (self->context) != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-network",
                                 mode != MIRA_MODE_NONE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-primary-menu",
                                 mode != MIRA_MODE_NONE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-recording",
                                 mode != MIRA_MODE_NONE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", mode != MIRA_MODE_NONE);
}
