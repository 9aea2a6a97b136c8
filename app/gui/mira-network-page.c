/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-network-page"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-admin.h"
#include "mira-admin-network-row.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-network-client-row.h"
#include "mira-network-item.h"
#include "mira-network-page.h"
#include "mira-setting-item.h"
#include "mira-time.h"
#include "mira-window.h"

/* A typed conversation timeout goes to the server once typing pauses */
#define TIMEOUT_DEBOUNCE_MS 700
#define DEFAULT_TIMEZONE "UTC"
#define DEFAULT_CONVERSATION_TIMEOUT_S 90

struct _MiraNetworkPage
{
  AdwBin           parent_instance;

  MiraContext     *context;
  MiraConnection  *connection;    /* the context's, while it has one */
  MiraAdmin       *admin;         /* the context's, while it has one */
  GCancellable    *cancellable;
  GtkStringList   *zones;
  guint            timeout_source;
  char            *shown_name;    /* the server's name, as the name row showed it */
  char            *shown_chain;   /* the network's transcriber chain, as its row showed it */
  /* Set while the page shows the server's values, so that they are not
   * sent back as edits
   */
  gboolean         updating;

  AdwEntryRow     *name_row;
  GtkLabel        *network_id_label;
  GtkLabel        *server_label;
  GtkLabel        *version_label;
  AdwPreferencesGroup *join_group;
  AdwActionRow    *join_link_row;
  GtkListBox      *clients_list;
  AdwComboRow     *timezone_row;
  GtkSpinButton   *timeout_spin;
  AdwPreferencesGroup *speech_group;
  AdwEntryRow     *transcriber_row;
  AdwPreferencesGroup *admin_group;
  GtkListBox      *networks_list;
};

G_DEFINE_FINAL_TYPE (MiraNetworkPage, mira_network_page, ADW_TYPE_BIN)

static void
show_error (MiraNetworkPage *self,
            const GError    *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_message ("%s", error->message);
  if (MIRA_IS_WINDOW (root))
    mira_window_show_error (MIRA_WINDOW (root), error);
}

/* The token that may change the network and its devices: the admin's when
 * this computer has it, else the connection's own (the server says what it
 * may not do)
 */
static const char *
write_token (MiraNetworkPage *self)
{
  return self->admin != NULL ? mira_admin_get_token (self->admin) : NULL;
}

/* The server's values */

static void
update_network (MiraNetworkPage *self)
{
  MiraNetworkItem *network = self->connection ? mira_connection_get_network (self->connection)
                                              : NULL;
  const char *name = network ? mira_network_item_get_name (network) : NULL;

  self->updating = TRUE;
  /* What the person is typing stays until they apply it */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                 self->shown_name != NULL ? self->shown_name : "") == 0)
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
  g_free (self->shown_name);
  self->shown_name = g_strdup (name);
  gtk_label_set_label (self->network_id_label,
                       self->connection ? mira_connection_get_network_id (self->connection) : "");
  gtk_label_set_label (self->server_label,
                       self->connection ? mira_connection_get_base_url (self->connection) : "");
  self->updating = FALSE;
}

static void
update_server_info (MiraNetworkPage *self)
{
  const char *version = self->connection ? mira_connection_get_server_version (self->connection)
                                         : NULL;
  const char *transcriber = self->connection ? mira_connection_get_transcriber (self->connection)
                                             : NULL;
  g_autofree char *description = NULL;

  gtk_label_set_label (self->version_label, version != NULL ? version : C_("unknown", "—"));
  /* Translators: the backends' names are the server's words, keep them as
   * they are; %s is the server's own chain, e.g. “sphinx”
   */
  description = g_strdup_printf (_("Tried in order, separated by commas: sphinx (on the server), "
                                   "wyoming://HOST:PORT, openai, deepgram; or none. Empty: the "
                                   "server’s own, “%s”."),
                                 transcriber != NULL ? transcriber : C_("unknown", "—"));
  adw_preferences_group_set_description (self->speech_group, description);
}

/* GTK 4.8 has no gtk_string_list_find () */
static guint
find_zone (MiraNetworkPage *self,
           const char      *zone)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->zones));

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->zones, i), zone) == 0)
      return i;
  return G_MAXUINT;
}

static void
set_transcriber_error (MiraNetworkPage *self,
                       gboolean         refused)
{
  if (refused)
    gtk_widget_add_css_class (GTK_WIDGET (self->transcriber_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->transcriber_row), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->transcriber_row),
                               GTK_ACCESSIBLE_STATE_INVALID,
                               refused ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
}

/* The network's own chain, empty while it has the server's */
static void
update_transcriber (MiraNetworkPage *self)
{
  MiraSettingItem *setting = self->connection != NULL
                             ? mira_connection_lookup_setting (self->connection, "transcriber")
                             : NULL;
  const char *chain = setting != NULL ? mira_setting_item_get_string (setting) : NULL;
  gboolean updating = self->updating;

  if (chain == NULL)
    chain = "";
  self->updating = TRUE;
  /* What the person is typing (or what was refused) stays until applied */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->transcriber_row)),
                 self->shown_chain != NULL ? self->shown_chain : "") == 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->transcriber_row), chain);
      set_transcriber_error (self, FALSE);
    }
  g_free (self->shown_chain);
  self->shown_chain = g_strdup (chain);
  self->updating = updating;
}

static void
update_settings (MiraNetworkPage *self)
{
  MiraSettingItem *timezone = NULL;
  MiraSettingItem *timeout = NULL;
  const char *zone = NULL;
  double seconds;
  guint position;

  if (self->connection != NULL)
    {
      timezone = mira_connection_lookup_setting (self->connection, "timezone");
      timeout = mira_connection_lookup_setting (self->connection, "conversation_timeout_s");
    }
  if (timezone != NULL)
    zone = mira_setting_item_get_string (timezone);
  if (zone == NULL)
    zone = DEFAULT_TIMEZONE;
  seconds = timeout != NULL ? mira_setting_item_get_number (timeout, DEFAULT_CONVERSATION_TIMEOUT_S)
                            : DEFAULT_CONVERSATION_TIMEOUT_S;

  self->updating = TRUE;
  position = find_zone (self, zone);
  if (position == G_MAXUINT)
    {
      /* A zone this computer's list lacks is still shown */
      gtk_string_list_append (self->zones, zone);
      position = g_list_model_get_n_items (G_LIST_MODEL (self->zones)) - 1;
    }
  if (adw_combo_row_get_selected (self->timezone_row) != position)
    adw_combo_row_set_selected (self->timezone_row, position);
  if (self->timeout_source == 0 && gtk_spin_button_get_value (self->timeout_spin) != seconds)
    gtk_spin_button_set_value (self->timeout_spin, seconds);
  update_transcriber (self);
  self->updating = FALSE;
}

static void
on_setting_notify (MiraNetworkPage *self)
{
  update_settings (self);
}

static void
on_settings_changed (MiraNetworkPage *self,
                     guint            position,
                     guint            removed,
                     guint            added,
                     GListModel      *settings)
{
  /* A setting's value changes in place; an item that comes is watched */
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MiraSettingItem) item = g_list_model_get_item (settings, i);

      g_signal_connect_object (item, "notify::value", G_CALLBACK (on_setting_notify), self,
                               G_CONNECT_SWAPPED);
    }
  update_settings (self);
}

static void
update_join_link (MiraNetworkPage *self)
{
  const char *link = self->context ? mira_context_get_join_link (self->context) : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->join_group), link != NULL);
  adw_action_row_set_subtitle (self->join_link_row, link != NULL ? link : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.copy-join-link", link != NULL);
}

/* Edits */

static void
renamed (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_connection_rename_network_finish (MIRA_CONNECTION (source), result, &error))
    {
      show_error (self, error);
      update_network (self);
    }
}

static void
on_name_apply (MiraNetworkPage *self)
{
  g_autofree char *name = NULL;

  if (self->connection == NULL)
    return;
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  mira_connection_rename_network_async (self->connection, name, write_token (self),
                                        self->cancellable, renamed, g_object_ref (self));
}

static void
setting_set (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_connection_set_setting_finish (MIRA_CONNECTION (source), result, &error))
    {
      show_error (self, error);
      /* Back to what the server has */
      update_settings (self);
    }
}

static void
transcriber_set (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (g_async_result_is_tagged (result, mira_connection_reset_setting_async))
    done = mira_connection_reset_setting_finish (MIRA_CONNECTION (source), result, &error);
  else
    done = mira_connection_set_setting_finish (MIRA_CONNECTION (source), result, &error);
  if (done || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* The chain stays as typed, marked, so that it can be put right; the
   * server keeps what it had
   */
  set_transcriber_error (self, TRUE);
  show_error (self, error);
}

static void
on_transcriber_apply (MiraNetworkPage *self)
{
  g_autofree char *chain = NULL;

  if (self->connection == NULL)
    return;
  chain = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->transcriber_row))));
  /* What is sent is what the row shows */
  gtk_editable_set_text (GTK_EDITABLE (self->transcriber_row), chain);
  if (chain[0] == '\0')
    {
      /* Empty: the server's own chain, unless the network already has it */
      if (mira_connection_lookup_setting (self->connection, "transcriber") != NULL)
        mira_connection_reset_setting_async (self->connection, "transcriber", self->cancellable,
                                             transcriber_set, g_object_ref (self));
      return;
    }
  mira_connection_set_setting_async (self->connection, "transcriber",
                                     g_variant_new_string (chain), self->cancellable,
                                     transcriber_set, g_object_ref (self));
}

static void
on_transcriber_changed (MiraNetworkPage *self)
{
  if (!self->updating)
    set_transcriber_error (self, FALSE);
}

static void
on_timezone_selected (MiraNetworkPage *self)
{
  GtkStringObject *selected;

  if (self->updating || self->connection == NULL)
    return;
  selected = adw_combo_row_get_selected_item (self->timezone_row);
  if (selected == NULL)
    return;
  mira_connection_set_setting_async (self->connection, "timezone",
                                     g_variant_new_string (gtk_string_object_get_string (selected)),
                                     self->cancellable, setting_set, g_object_ref (self));
}

static gboolean
send_timeout_cb (gpointer user_data)
{
  MiraNetworkPage *self = user_data;

  self->timeout_source = 0;
  if (self->connection != NULL)
    mira_connection_set_setting_async (self->connection, "conversation_timeout_s",
                                       g_variant_new_double (gtk_spin_button_get_value (self->timeout_spin)),
                                       self->cancellable, setting_set, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
on_timeout_changed (MiraNetworkPage *self)
{
  if (self->updating || self->connection == NULL)
    return;
  g_clear_handle_id (&self->timeout_source, g_source_remove);
  self->timeout_source = g_timeout_add (TIMEOUT_DEBOUNCE_MS, send_timeout_cb, self);
}

/* Devices */

static GtkWidget *
create_client_row (gpointer item,
                   gpointer user_data)
{
  return mira_network_client_row_new (item);
}

static void
deregistered (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_connection_deregister_client_finish (MIRA_CONNECTION (source), result, &error))
    show_error (self, error);
}

static void
copy_join_link_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);
  const char *link = mira_context_get_join_link (self->context);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), link);
  if (MIRA_IS_WINDOW (root))
    mira_window_add_toast (MIRA_WINDOW (root), adw_toast_new (_("Join link copied")));
}

/* Administration */

static GtkWidget *
create_network_row (gpointer item,
                    gpointer user_data)
{
  return mira_admin_network_row_new (item);
}

static void
admin_reloaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_admin_reload_finish (MIRA_ADMIN (source), result, &error))
    show_error (self, error);
}

static void
refresh_networks_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);

  if (self->admin != NULL)
    mira_admin_reload_async (self->admin, self->cancellable, admin_reloaded,
                             g_object_ref (self));
}

static void
status_set (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_admin_set_status_finish (MIRA_ADMIN (source), result, &error))
    show_error (self, error);
}

static void
network_deleted (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(MiraNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_admin_delete_finish (MIRA_ADMIN (source), result, &error))
    show_error (self, error);
}

/* Confirmations: what cannot be undone is asked first */

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     MiraNetworkPage  *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "mira-id");

  if (g_str_equal (response, "deregister") && self->connection != NULL)
    mira_connection_deregister_client_async (self->connection, id, write_token (self),
                                             self->cancellable, deregistered,
                                             g_object_ref (self));
  else if (g_str_equal (response, "suspend") && self->admin != NULL)
    mira_admin_set_status_async (self->admin, id, MIRA_NETWORK_STATUS_SUSPENDED,
                                 self->cancellable, status_set, g_object_ref (self));
  else if (g_str_equal (response, "delete") && self->admin != NULL)
    mira_admin_delete_async (self->admin, id, self->cancellable, network_deleted,
                             g_object_ref (self));
}

/* Asks @heading, @body; @response (labelled @label, destructive) is then
 * done to the device or network @id, Cancel does nothing
 */
static void
confirm (MiraNetworkPage *self,
         const char      *heading,
         const char      *body,
         const char      *response,
         const char      *label,
         const char      *id)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (window, heading, body));

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), response, label, NULL);
  adw_message_dialog_set_response_appearance (dialog, response, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "mira-id", g_strdup (id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static MiraNetworkItem *
lookup_network (MiraNetworkPage *self,
                const char      *network_id)
{
  GListModel *networks = mira_admin_get_networks (self->admin);

  for (guint i = 0; i < g_list_model_get_n_items (networks); i++)
    {
      g_autoptr(MiraNetworkItem) item = g_list_model_get_item (networks, i);

      if (g_strcmp0 (mira_network_item_get_network_id (item), network_id) == 0)
        return item;
    }
  return NULL;
}

static void
deregister_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);
  const char *client_id = g_variant_get_string (parameter, NULL);
  MiraClientItem *item;
  g_autofree char *heading = NULL;

  if (self->connection == NULL)
    return;
  item = mira_connection_lookup_client (self->connection, client_id);
  /* Translators: %s is a device's name */
  heading = g_strdup_printf (_("Deregister “%s”?"),
                             item != NULL ? mira_client_item_get_display_name (item) : client_id);
  confirm (self, heading,
           _("The device is disconnected and its key stops working. It can join again with "
             "the join link."),
           "deregister", _("_Deregister"), client_id);
}

/* Asks before suspending or deleting @network_id */
static void
confirm_network (MiraNetworkPage *self,
                 const char      *network_id,
                 gboolean         delete)
{
  MiraNetworkItem *item = lookup_network (self, network_id);
  const char *name = item != NULL ? mira_network_item_get_name (item) : network_id;
  gboolean own = self->connection != NULL &&
                 g_strcmp0 (mira_connection_get_network_id (self->connection), network_id) == 0;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (delete)
    {
      /* Translators: %s is a network's name */
      heading = g_strdup_printf (_("Delete “%s”?"), name);
      body = g_strdup (own ? _("This is the network this computer belongs to. Its devices, "
                               "conversations, reminders and events are deleted for good.")
                           : _("Its devices, conversations, reminders and events are deleted "
                               "for good."));
    }
  else
    {
      /* Translators: %s is a network's name */
      heading = g_strdup_printf (_("Suspend “%s”?"), name);
      body = g_strdup (own ? _("This is the network this computer belongs to. Its devices, "
                               "this one too, are refused until it is activated again.")
                           : _("Its devices are refused until it is activated again. "
                               "Nothing of it is deleted."));
    }

  if (delete)
    confirm (self, heading, body, "delete", _("_Delete"), network_id);
  else
    confirm (self, heading, body, "suspend", _("_Suspend"), network_id);
}

static void
suspend_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);

  if (self->admin != NULL)
    confirm_network (self, g_variant_get_string (parameter, NULL), FALSE);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);

  if (self->admin != NULL)
    confirm_network (self, g_variant_get_string (parameter, NULL), TRUE);
}

static void
activate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (widget);

  /* Nothing is lost by activating: no question asked */
  if (self->admin != NULL)
    mira_admin_set_status_async (self->admin, g_variant_get_string (parameter, NULL),
                                 MIRA_NETWORK_STATUS_ACTIVE, self->cancellable, status_set,
                                 g_object_ref (self));
}

/* The context */

static void
on_context_notify_admin (MiraNetworkPage *self)
{
  MiraAdmin *admin = mira_context_get_admin (self->context);

  if (!g_set_object (&self->admin, admin))
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->admin_group), admin != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.refresh-networks", admin != NULL);
  gtk_list_box_bind_model (self->networks_list,
                           admin != NULL ? mira_admin_get_networks (admin) : NULL,
                           admin != NULL ? create_network_row : NULL, NULL, NULL);
  if (admin != NULL)
    mira_admin_reload_async (admin, self->cancellable, admin_reloaded, g_object_ref (self));
}

static void
on_context_notify_connection (MiraNetworkPage *self)
{
  MiraConnection *connection = mira_context_get_connection (self->context);
  GListModel *settings;

  if (self->connection == connection)
    return;

  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      g_signal_handlers_disconnect_by_data (mira_connection_get_network (self->connection), self);
      settings = mira_connection_get_settings (self->connection);
      g_signal_handlers_disconnect_by_data (settings, self);
      for (guint i = 0; i < g_list_model_get_n_items (settings); i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (settings, i);

          g_signal_handlers_disconnect_by_data (item, self);
        }
    }
  g_set_object (&self->connection, connection);
  g_clear_handle_id (&self->timeout_source, g_source_remove);

  gtk_list_box_bind_model (self->clients_list,
                           connection != NULL ? mira_connection_get_clients (connection) : NULL,
                           connection != NULL ? create_client_row : NULL, NULL, NULL);
  if (connection != NULL)
    {
      settings = mira_connection_get_settings (connection);
      g_signal_connect_object (mira_connection_get_network (connection), "notify::name",
                               G_CALLBACK (update_network), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "notify::server-version",
                               G_CALLBACK (update_server_info), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "notify::transcriber",
                               G_CALLBACK (update_server_info), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (settings, "items-changed",
                               G_CALLBACK (on_settings_changed), self, G_CONNECT_SWAPPED);
      on_settings_changed (self, 0, 0, g_list_model_get_n_items (settings), settings);
    }
  update_network (self);
  update_server_info (self);
  update_settings (self);
}

void
mira_network_page_set_context (MiraNetworkPage *self,
                               MiraContext     *context)
{
  g_return_if_fail (MIRA_IS_NETWORK_PAGE (self));
  g_return_if_fail (MIRA_IS_CONTEXT (context));
  g_return_if_fail (self->context == NULL);

  self->context = g_object_ref (context);
  g_signal_connect_object (context, "notify::connection",
                           G_CALLBACK (on_context_notify_connection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (context, "notify::admin",
                           G_CALLBACK (on_context_notify_admin), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (context, "notify::join-link",
                           G_CALLBACK (update_join_link), self, G_CONNECT_SWAPPED);
  on_context_notify_connection (self);
  on_context_notify_admin (self);
  update_join_link (self);
}

/* GObject */

static void
mira_network_page_dispose (GObject *object)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_source, g_source_remove);
  if (self->connection != NULL)
    gtk_list_box_bind_model (self->clients_list, NULL, NULL, NULL, NULL);
  if (self->admin != NULL)
    gtk_list_box_bind_model (self->networks_list, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_NETWORK_PAGE);
  g_clear_object (&self->connection);
  g_clear_object (&self->admin);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (mira_network_page_parent_class)->dispose (object);
}

static void
mira_network_page_finalize (GObject *object)
{
  MiraNetworkPage *self = MIRA_NETWORK_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->zones);
  g_free (self->shown_name);
  g_free (self->shown_chain);

  G_OBJECT_CLASS (mira_network_page_parent_class)->finalize (object);
}

static void
mira_network_page_class_init (MiraNetworkPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_network_page_dispose;
  object_class->finalize = mira_network_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-network-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, network_id_label);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, server_label);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, version_label);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, join_group);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, join_link_row);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, clients_list);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, timezone_row);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, speech_group);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, transcriber_row);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, admin_group);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkPage, networks_list);
  gtk_widget_class_bind_template_callback (widget_class, on_name_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_transcriber_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_transcriber_changed);

  gtk_widget_class_install_action (widget_class, "network.deregister", "s", deregister_action);
  gtk_widget_class_install_action (widget_class, "network.copy-join-link", NULL,
                                   copy_join_link_action);
  gtk_widget_class_install_action (widget_class, "network.refresh-networks", NULL,
                                   refresh_networks_action);
  gtk_widget_class_install_action (widget_class, "network.suspend", "s", suspend_action);
  gtk_widget_class_install_action (widget_class, "network.activate", "s", activate_action);
  gtk_widget_class_install_action (widget_class, "network.delete", "s", delete_action);
}

static void
mira_network_page_init (MiraNetworkPage *self)
{
  g_auto(GStrv) zones = mira_time_zones_dup_names ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->zones = gtk_string_list_new ((const char * const *) zones);
  adw_combo_row_set_model (self->timezone_row, G_LIST_MODEL (self->zones));
  adw_combo_row_set_expression (self->timezone_row,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                             "string"));
  g_signal_connect_object (self->timezone_row, "notify::selected",
                           G_CALLBACK (on_timezone_selected), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->timeout_spin, "value-changed",
                           G_CALLBACK (on_timeout_changed), self, G_CONNECT_SWAPPED);

  gtk_widget_set_visible (GTK_WIDGET (self->admin_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->join_group), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.refresh-networks", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.copy-join-link", FALSE);
}
