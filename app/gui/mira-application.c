/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-application"

#include "config.h"

#include <glib/gi18n.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mira-application.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-host.h"
#include "mira-preferences-window.h"
#include "mira-window.h"

/* The notification that says the app still hosts with no window open */
#define HOSTING_NOTIFICATION_ID "hosting"

struct _MiraApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  MiraContext    *context;
  GCancellable   *cancellable;
  GSignalGroup   *connection_signals;
  /* The app holds itself while it hosts: devices keep their server and
   * reminders still notify with the window closed
   */
  gboolean        held;
};

G_DEFINE_FINAL_TYPE (MiraApplication, mira_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "version", 'V', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { NULL }
};

static int
mira_application_handle_local_options (GApplication *application,
                                       GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("mira-dashboard %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* Go on: register, then activate the (maybe remote) primary instance */
  return -1;
}

static void
mira_application_resume_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  MiraContext *context = MIRA_CONTEXT (object);
  g_autoptr(MiraApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  if (mira_context_resume_finish (context, result, &error))
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* The window stays on the main view: the connection keeps retrying, and
   * the person can leave the network from the menu.
   */
  g_warning ("Could not resume: %s", error->message);
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (MIRA_IS_WINDOW (window))
    mira_window_show_error (MIRA_WINDOW (window), error);
}

static void
mira_application_activate (GApplication *application)
{
  MiraApplication *self = MIRA_APPLICATION (application);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = GTK_WINDOW (mira_window_new (self));
  gtk_window_present (window);

  /* Host or join again as last time; the welcome page shows otherwise */
  if (mira_context_get_mode (self->context) != MIRA_MODE_NONE)
    mira_context_resume_async (self->context,
                               self->cancellable,
                               mira_application_resume_cb,
                               g_object_ref (self));
}

/* Notifications */

static char *
reminder_notification_id (const char *reminder_id)
{
  return g_strconcat ("reminder-", reminder_id, NULL);
}

static void
on_reminder_due (MiraApplication *self,
                 const char      *reminder_id,
                 const char      *title,
                 const char      *description,
                 MiraConnection  *connection)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  if (!g_settings_get_boolean (self->settings, "notifications"))
    return;

  notification = g_notification_new (title != NULL && title[0] != '\0' ? title
                                                                        : _("Reminder"));
  if (description != NULL && description[0] != '\0')
    g_notification_set_body (notification, description);
  else
    g_notification_set_body (notification, _("A reminder is due"));
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_category (notification, "reminder");
  g_notification_add_button_with_target (notification, _("Done"), "app.complete-reminder",
                                         "s", reminder_id);
  id = reminder_notification_id (reminder_id);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

typedef struct {
  MiraApplication *self;
  char            *reminder_id;
} Completion;

static void
completion_free (Completion *completion)
{
  g_object_unref (completion->self);
  g_free (completion->reminder_id);
  g_free (completion);
}

static void
reminder_completed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Completion *completion = user_data;
  MiraApplication *self = completion->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = reminder_notification_id (completion->reminder_id);

  if (mira_connection_complete_reminder_finish (MIRA_CONNECTION (source), result, &error))
    g_application_withdraw_notification (G_APPLICATION (self), id);
  else
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

      g_warning ("Could not complete reminder %s: %s", completion->reminder_id, error->message);
      /* Said where the person is: the window, else another notification */
      if (MIRA_IS_WINDOW (window))
        mira_window_show_error (MIRA_WINDOW (window), error);
      else
        {
          g_autoptr(GNotification) notification =
            g_notification_new (_("The reminder could not be marked done"));

          g_notification_set_body (notification, error->message);
          g_application_send_notification (G_APPLICATION (self), id, notification);
        }
    }
  completion_free (completion);
}

static void
mira_application_complete_reminder_action (GSimpleAction *action,
                                           GVariant      *parameter,
                                           gpointer       user_data)
{
  MiraApplication *self = user_data;
  MiraConnection *connection = mira_context_get_connection (self->context);
  Completion *completion;

  if (connection == NULL)
    return;
  completion = g_new0 (Completion, 1);
  completion->self = g_object_ref (self);
  completion->reminder_id = g_variant_dup_string (parameter, NULL);
  mira_connection_complete_reminder_async (connection, completion->reminder_id,
                                           self->cancellable, reminder_completed, completion);
}

/* Hosting holds the app */

static void
update_hold (MiraApplication *self)
{
  gboolean hosting = mira_context_get_host (self->context) != NULL;

  if (hosting && !self->held)
    g_application_hold (G_APPLICATION (self));
  else if (!hosting && self->held)
    {
      g_application_withdraw_notification (G_APPLICATION (self), HOSTING_NOTIFICATION_ID);
      g_application_release (G_APPLICATION (self));
    }
  self->held = hosting;
}

/* The last window closed while the app hosts: it keeps running, and says
 * so once, with a way to quit
 */
static void
on_window_removed (MiraApplication *self,
                   GtkWindow       *window)
{
  g_autoptr(GNotification) notification = NULL;
  MiraConnection *connection;
  const char *name = NULL;
  g_autofree char *body = NULL;

  if (!self->held || !MIRA_IS_WINDOW (window) ||
      gtk_application_get_windows (GTK_APPLICATION (self)) != NULL)
    return;

  connection = mira_context_get_connection (self->context);
  if (connection != NULL)
    name = mira_connection_get_network_name (connection);
  if (name != NULL)
    /* Translators: %s is the network's name */
    body = g_strdup_printf (_("Devices of “%s” can still connect, and reminders still "
                              "notify. Quit Mira to stop hosting."), name);
  else
    body = g_strdup (_("Devices can still connect, and reminders still notify. "
                       "Quit Mira to stop hosting."));
  notification = g_notification_new (_("Mira is still hosting your network"));
  g_notification_set_body (notification, body);
  g_notification_add_button (notification, _("Quit"), "app.quit");
  g_application_send_notification (G_APPLICATION (self), HOSTING_NOTIFICATION_ID, notification);
}

static void
mira_application_preferences_action (GSimpleAction *action,
                                     GVariant      *parameter,
                                     gpointer       user_data)
{
  MiraApplication *self = user_data;
  MiraPreferencesWindow *preferences = mira_preferences_window_new (self->context);

  gtk_window_set_transient_for (GTK_WINDOW (preferences),
                                gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
mira_application_quit_action (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  MiraApplication *self = user_data;

  g_application_quit (G_APPLICATION (self));
}

static void
mira_application_about_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  static const char *developers[] = { "The Mira developers", NULL };
  MiraApplication *self = user_data;
  GtkWindow *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-icon", APPLICATION_ID,
                        "application-name", _("Mira Dashboard"),
                        "developer-name", _("The Mira developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Every device you own listens as one assistant: "
                                      "Mira picks the best microphone, writes down what is said, "
                                      "and keeps your reminders and calendar."),
                        "developers", developers,
                        "copyright", "© 2026 The Mira developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: your names, one a line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (about);
}

static const GActionEntry app_actions[] = {
  { "quit", mira_application_quit_action },
  { "about", mira_application_about_action },
  { "preferences", mira_application_preferences_action },
  { "complete-reminder", mira_application_complete_reminder_action, "s" },
};

static void
mira_application_startup (GApplication *application)
{
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *close_accels[] = { "<Primary>w", NULL };
  static const char *menu_accels[] = { "F10", NULL };
  static const char *add_device_accels[] = { "<Primary>n", NULL };
  static const char *preferences_accels[] = { "<Primary>comma", NULL };
  static const char *record_accels[] = { "<Primary>r", NULL };
  /* Alt+1…6, in the order of the page switcher */
  static const char * const pages[] = { "live", "conversations", "reminders", "calendar",
                                        "people", "network" };
  MiraApplication *self = MIRA_APPLICATION (application);

#ifdef __GLIBC__
  /* glibc gives each new thread a heap of its own, up to 8 per core, and
   * each keeps the memory freed in it; hosting, the server's dozen threads
   * held 10 MB that way. Two for the whole process: 4–5 MB less RSS in
   * host mode with 10 devices streaming, for no more CPU. Set before the
   * server starts its threads: it holds for the heaps made after it.
   */
  mallopt (M_ARENA_MAX, 2);
#endif

  /* Loads style.css and gtk/help-overlay.ui from the resource base path */
  G_APPLICATION_CLASS (mira_application_parent_class)->startup (application);

  gtk_window_set_default_icon_name (APPLICATION_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-primary-menu", menu_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add-device", add_device_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.toggle-recording",
                                         record_accels);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *action = g_strdup_printf ("win.show-page::%s", pages[i]);
      g_autofree char *accel = g_strdup_printf ("<Alt>%u", i + 1);
      const char *accels[] = { accel, NULL };

      gtk_application_set_accels_for_action (GTK_APPLICATION (self), action, accels);
    }

  self->settings = g_settings_new (APPLICATION_ID);
  self->context = mira_context_new (self->settings);

  self->connection_signals = g_signal_group_new (MIRA_TYPE_CONNECTION);
  g_signal_group_connect_object (self->connection_signals, "reminder-due",
                                 G_CALLBACK (on_reminder_due), self, G_CONNECT_SWAPPED);
  g_object_bind_property (self->context, "connection", self->connection_signals, "target",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->context, "notify::host",
                           G_CALLBACK (update_hold), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "window-removed",
                           G_CALLBACK (on_window_removed), self, G_CONNECT_SWAPPED);
}

static void
mira_application_shutdown (GApplication *application)
{
  MiraApplication *self = MIRA_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  if (self->context != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->context, self);
      mira_context_shutdown (self->context);
    }
  if (self->held)
    {
      g_application_withdraw_notification (application, HOSTING_NOTIFICATION_ID);
      g_application_release (application);
      self->held = FALSE;
    }

  G_APPLICATION_CLASS (mira_application_parent_class)->shutdown (application);
}

static void
mira_application_dispose (GObject *object)
{
  MiraApplication *self = MIRA_APPLICATION (object);

  g_clear_object (&self->connection_signals);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mira_application_parent_class)->dispose (object);
}

static void
mira_application_class_init (MiraApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = mira_application_dispose;

  app_class->handle_local_options = mira_application_handle_local_options;
  app_class->startup = mira_application_startup;
  app_class->activate = mira_application_activate;
  app_class->shutdown = mira_application_shutdown;
}

static void
mira_application_init (MiraApplication *self)
{
  self->cancellable = g_cancellable_new ();

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Host or join a Mira network, record this "
                                              "computer’s microphone and watch the network live."));
}

/**
 * mira_application_new:
 *
 * Returns: (transfer full): the application, id APPLICATION_ID, single
 *   instance; its resources live under /com/mira/Dashboard in both the
 *   normal and the development flavour.
 */
MiraApplication *
mira_application_new (void)
{
  return g_object_new (MIRA_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/com/mira/Dashboard",
                       NULL);
}

MiraContext *
mira_application_get_context (MiraApplication *self)
{
  g_return_val_if_fail (MIRA_IS_APPLICATION (self), NULL);

  return self->context;
}
