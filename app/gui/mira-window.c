/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-window"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-capture.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-host.h"
#include "mira-window-private.h"

G_DEFINE_FINAL_TYPE (MiraWindow, mira_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_window_update_view (MiraWindow *self)
{
  gboolean set_up = mira_context_get_mode (self->context) != MIRA_MODE_NONE;

  gtk_stack_set_visible_child_name (self->main_stack, set_up ? "main" : "welcome");
  /* GTK 4.8 shows a screen reader every child of a stack, in view or not:
   * the page out of view is hidden from it, so that its controls (the
   * welcome page's own main menu) are not taken for the ones in view
   */
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->welcome_page),
                               GTK_ACCESSIBLE_STATE_HIDDEN, set_up, -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->main_page),
                               GTK_ACCESSIBLE_STATE_HIDDEN, !set_up, -1);
  _mira_window_actions_update (self);
}

static void
mira_window_update_connection (MiraWindow *self)
{
  MiraConnection *connection = mira_context_get_connection (self->context);
  MiraConnectionState state = MIRA_CONNECTION_STATE_OFFLINE;
  const char *network_name = NULL;
  const GError *error = NULL;
  const char *message = NULL;

  if (connection != NULL)
    {
      state = mira_connection_get_state (connection);
      network_name = mira_connection_get_network_name (connection);
      error = mira_connection_get_last_error (connection);
    }

  adw_view_switcher_title_set_title (self->switcher_title,
                                     network_name != NULL ? network_name : _("Mira"));

  /* Calm, not alarming: the connection retries by itself, so this says what
   * happens rather than asking for anything.
   */
  switch (state)
    {
    case MIRA_CONNECTION_STATE_ONLINE:
      adw_view_switcher_title_set_subtitle (self->switcher_title, _("Online"));
      break;

    case MIRA_CONNECTION_STATE_CONNECTING:
      if (error != NULL)
        message = _("Offline — trying to reconnect…");
      else
        message = _("Connecting…");
      adw_view_switcher_title_set_subtitle (self->switcher_title,
                                            error != NULL ? _("Offline") : _("Connecting…"));
      break;

    case MIRA_CONNECTION_STATE_OFFLINE:
    default:
      if (mira_context_get_busy (self->context))
        message = _("Starting…");
      else
        message = _("Offline");
      adw_view_switcher_title_set_subtitle (self->switcher_title, message);
      break;
    }

  gtk_label_set_label (self->connection_label, message != NULL ? message : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->connection_label),
                               error != NULL ? error->message : NULL);
  /* A spinner only while something is under way */
  gtk_spinner_set_spinning (self->connection_spinner,
                            state == MIRA_CONNECTION_STATE_CONNECTING ||
                            mira_context_get_busy (self->context));
  gtk_widget_set_visible (GTK_WIDGET (self->connection_spinner),
                          gtk_spinner_get_spinning (self->connection_spinner));
  gtk_revealer_set_reveal_child (self->connection_revealer, message != NULL);
}

/* Narrower than this, the page switcher is the bottom bar, with less than
 * 100 px for each of the six titles: the two long ones take a short form
 * there, so that none is cut off ("Conversa…") down to 360 px. Wide, the
 * header's switcher has the whole titles. The width decides, not which
 * switcher shows: that depends on the titles' own widths.
 */
#define SHORT_TITLES_BELOW_PX 600

static gboolean
mira_window_update_page_titles (gpointer user_data)
{
  MiraWindow *self = user_data;
  gboolean narrow = gtk_widget_get_width (GTK_WIDGET (self)) < SHORT_TITLES_BELOW_PX;
  AdwViewStackPage *conversations = adw_view_stack_get_page (self->view_stack,
                                                             GTK_WIDGET (self->conversations_page));
  AdwViewStackPage *reminders = adw_view_stack_get_page (self->view_stack,
                                                         GTK_WIDGET (self->reminders_page));

  self->titles_source = 0;
  self->short_titles = narrow;
  adw_view_stack_page_set_title (conversations,
                                 narrow ? C_("short page title", "Chats") : _("Conversations"));
  adw_view_stack_page_set_title (reminders,
                                 narrow ? C_("short page title", "To Do") : _("Reminders"));
  return G_SOURCE_REMOVE;
}

static void
mira_window_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  MiraWindow *self = MIRA_WINDOW (widget);

  GTK_WIDGET_CLASS (mira_window_parent_class)->size_allocate (widget, width, height, baseline);

  /* Titles change after this allocation, never during it */
  if ((width < SHORT_TITLES_BELOW_PX) != self->short_titles && self->titles_source == 0)
    self->titles_source = g_idle_add (mira_window_update_page_titles, self);
}

static void
mira_window_check_port (MiraWindow *self)
{
  MiraHost *host = mira_context_get_host (self->context);
  g_autoptr(AdwToast) toast = NULL;
  g_autofree char *title = NULL;
  guint16 wanted_port;

  /* Each start of the hosted server is reported once */
  if (host == NULL)
    self->port_reported = FALSE;
  if (host == NULL || mira_context_get_connection (self->context) == NULL ||
      !mira_host_get_port_changed (host) || self->port_reported)
    return;

  self->port_reported = TRUE;
  if (mira_host_get_last_port (host) != 0)
    {
      /* Joined by the old address, the other devices cannot find it */
      title = g_strdup_printf (_("Port %u is in use: hosting on port %u. Devices that joined "
                                 "before must join again"),
                               mira_host_get_last_port (host), mira_host_get_port (host));
    }
  else
    {
      g_settings_get (self->settings, "host-port", "q", &wanted_port);
      title = g_strdup_printf (_("Port %u is in use: hosting on port %u"),
                               wanted_port, mira_host_get_port (host));
    }
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, g_steal_pointer (&toast));
}

static void
on_context_notify_mode (MiraWindow *self)
{
  if (mira_context_get_mode (self->context) == MIRA_MODE_NONE)
    self->port_reported = FALSE;

  mira_window_update_view (self);
  mira_window_update_connection (self);
}

/* The data pages follow the context's connection, whichever it is */
static void
mira_window_set_pages_connection (MiraWindow     *self,
                                  MiraConnection *connection)
{
  mira_conversations_page_set_connection (self->conversations_page, connection);
  mira_reminders_page_set_connection (self->reminders_page, connection);
  mira_calendar_page_set_connection (self->calendar_page, connection);
  mira_people_page_set_connection (self->people_page, connection);
}

static void
on_context_notify_connection (MiraWindow *self)
{
  g_signal_group_set_target (self->connection_signals,
                             mira_context_get_connection (self->context));
  mira_window_set_pages_connection (self, mira_context_get_connection (self->context));
  mira_window_update_connection (self);
  mira_window_check_port (self);
  _mira_window_actions_update (self);
}

static void
on_capture_notify_error (MiraWindow  *self,
                         GParamSpec  *pspec,
                         MiraCapture *capture)
{
  const GError *error = mira_capture_get_error (capture);

  /* Not a dialog: recording stopped, and the record button shows it */
  if (error != NULL)
    mira_window_show_error (self, error);
}

static void
mira_window_constructed (GObject *object)
{
  MiraWindow *self = MIRA_WINDOW (object);

  G_OBJECT_CLASS (mira_window_parent_class)->constructed (object);

  g_assert (MIRA_IS_CONTEXT (self->context));

  self->settings = g_object_ref (mira_context_get_settings (self->context));
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  mira_welcome_page_set_context (self->welcome_page, self->context);
  mira_live_page_set_context (self->live_page, self->context);
  mira_network_page_set_context (self->network_page, self->context);
  mira_record_button_set_capture (self->record_button, mira_context_get_capture (self->context));

  g_signal_connect_object (self->context, "notify::mode",
                           G_CALLBACK (on_context_notify_mode), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::busy",
                           G_CALLBACK (mira_window_update_connection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::connection",
                           G_CALLBACK (on_context_notify_connection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::host",
                           G_CALLBACK (mira_window_check_port), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "error",
                           G_CALLBACK (mira_window_show_error), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::join-link",
                           G_CALLBACK (_mira_window_actions_update), self, G_CONNECT_SWAPPED);

  g_signal_group_set_target (self->capture_signals, mira_context_get_capture (self->context));

  on_context_notify_connection (self);
  mira_window_update_view (self);
}

static void
mira_window_dispose (GObject *object)
{
  MiraWindow *self = MIRA_WINDOW (object);

  if (self->conversations_page != NULL)
    mira_window_set_pages_connection (self, NULL);
  g_clear_handle_id (&self->titles_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_WINDOW);

  g_clear_object (&self->connection_signals);
  g_clear_object (&self->capture_signals);

  G_OBJECT_CLASS (mira_window_parent_class)->dispose (object);
}

static void
mira_window_finalize (GObject *object)
{
  MiraWindow *self = MIRA_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (mira_window_parent_class)->finalize (object);
}

static void
mira_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MiraWindow *self = MIRA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MiraWindow *self = MIRA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_window_class_init (MiraWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mira_window_constructed;
  object_class->dispose = mira_window_dispose;
  object_class->finalize = mira_window_finalize;
  object_class->get_property = mira_window_get_property;
  object_class->set_property = mira_window_set_property;
  widget_class->size_allocate = mira_window_size_allocate;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         MIRA_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MIRA_TYPE_LIVE_PAGE);
  g_type_ensure (MIRA_TYPE_NETWORK_PAGE);
  g_type_ensure (MIRA_TYPE_CONVERSATIONS_PAGE);
  g_type_ensure (MIRA_TYPE_REMINDERS_PAGE);
  g_type_ensure (MIRA_TYPE_CALENDAR_PAGE);
  g_type_ensure (MIRA_TYPE_PEOPLE_PAGE);
  g_type_ensure (MIRA_TYPE_RECORD_BUTTON);
  g_type_ensure (MIRA_TYPE_WELCOME_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/mira/Dashboard/mira-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, main_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, connection_revealer);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, connection_spinner);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, live_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, network_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, conversations_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, reminders_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, calendar_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, people_page);
  gtk_widget_class_bind_template_child (widget_class, MiraWindow, record_button);

  _mira_window_class_actions_init (klass);
}

static void
mira_window_init (MiraWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->connection_signals = g_signal_group_new (MIRA_TYPE_CONNECTION);
  g_signal_group_connect_object (self->connection_signals, "notify::state",
                                 G_CALLBACK (mira_window_update_connection), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->connection_signals, "notify::network-name",
                                 G_CALLBACK (mira_window_update_connection), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->connection_signals, "notify::last-error",
                                 G_CALLBACK (mira_window_update_connection), self,
                                 G_CONNECT_SWAPPED);

  self->capture_signals = g_signal_group_new (MIRA_TYPE_CAPTURE);
  g_signal_group_connect_object (self->capture_signals, "notify::error",
                                 G_CALLBACK (on_capture_notify_error), self,
                                 G_CONNECT_SWAPPED);

  if (g_str_has_suffix (APPLICATION_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/**
 * mira_window_new:
 * @application: the application, after startup
 *
 * Returns: (transfer floating): a window on the application's context
 */
MiraWindow *
mira_window_new (MiraApplication *application)
{
  g_return_val_if_fail (MIRA_IS_APPLICATION (application), NULL);

  return g_object_new (MIRA_TYPE_WINDOW,
                       "application", application,
                       "context", mira_application_get_context (application),
                       NULL);
}

MiraContext *
mira_window_get_context (MiraWindow *self)
{
  g_return_val_if_fail (MIRA_IS_WINDOW (self), NULL);

  return self->context;
}

/**
 * mira_window_add_toast:
 * @self: a #MiraWindow
 * @toast: (transfer full): the toast
 *
 * Shows @toast over the window's pages.
 */
void
mira_window_add_toast (MiraWindow *self,
                       AdwToast   *toast)
{
  g_return_if_fail (MIRA_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
mira_window_show_error (MiraWindow   *self,
                        const GError *error)
{
  AdwToast *toast;

  g_return_if_fail (MIRA_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  toast = adw_toast_new (error->message);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 10);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
