/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-application"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-application.h"
#include "mira-context.h"
#include "mira-window.h"

struct _MiraApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  MiraContext    *context;
  GCancellable   *cancellable;
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
};

static void
mira_application_startup (GApplication *application)
{
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *close_accels[] = { "<Primary>w", NULL };
  static const char *menu_accels[] = { "F10", NULL };
  static const char *add_device_accels[] = { "<Primary>n", NULL };
  MiraApplication *self = MIRA_APPLICATION (application);

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

  self->settings = g_settings_new (APPLICATION_ID);
  self->context = mira_context_new (self->settings);
}

static void
mira_application_shutdown (GApplication *application)
{
  MiraApplication *self = MIRA_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  if (self->context != NULL)
    mira_context_shutdown (self->context);

  G_APPLICATION_CLASS (mira_application_parent_class)->shutdown (application);
}

static void
mira_application_dispose (GObject *object)
{
  MiraApplication *self = MIRA_APPLICATION (object);

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
                                              "computer's microphone and watch the network live."));
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
