/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-notifications"

/* Reminders coming due, as desktop notifications: the real app hosts its
 * network under Xvfb on a private D-Bus session, where this test is the
 * notification server (org.freedesktop.Notifications, on a connection of
 * its own, as gnome-shell would be). It records what the app sends, and
 * clicks Done the way the shell does, with the ActionInvoked signal.
 */

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "mira-application.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-host.h"
#include "mira-test-gui.h"
#include "mira-window.h"

#define TIMEOUT_MS 20000
/* Hosting loads PocketSphinx: under a sanitizer on a busy machine, slowly */
#define HOST_TIMEOUT_MS 120000
#define BUS_NAME "org.freedesktop.Notifications"
#define OBJECT_PATH "/org/freedesktop/Notifications"

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' name='app_name' direction='in'/>"
  "      <arg type='u' name='replaces_id' direction='in'/>"
  "      <arg type='s' name='app_icon' direction='in'/>"
  "      <arg type='s' name='summary' direction='in'/>"
  "      <arg type='s' name='body' direction='in'/>"
  "      <arg type='as' name='actions' direction='in'/>"
  "      <arg type='a{sv}' name='hints' direction='in'/>"
  "      <arg type='i' name='expire_timeout' direction='in'/>"
  "      <arg type='u' name='id' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'>"
  "      <arg type='u' name='id' direction='in'/>"
  "    </method>"
  "    <method name='GetCapabilities'>"
  "      <arg type='as' name='capabilities' direction='out'/>"
  "    </method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' name='name' direction='out'/>"
  "      <arg type='s' name='vendor' direction='out'/>"
  "      <arg type='s' name='version' direction='out'/>"
  "      <arg type='s' name='spec_version' direction='out'/>"
  "    </method>"
  "    <signal name='ActionInvoked'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='s' name='action_key'/>"
  "    </signal>"
  "    <signal name='NotificationClosed'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='u' name='reason'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* One Notify call as the server received it */
typedef struct {
  guint32  id;
  char    *summary;
  char    *body;
  char   **actions;   /* key, label, key, label, … */
} Sent;

static void
sent_free (Sent *sent)
{
  g_free (sent->summary);
  g_free (sent->body);
  g_strfreev (sent->actions);
  g_free (sent);
}

static GDBusConnection *bus;
static GPtrArray *sent_list;
static guint32 next_id = 1;
static gboolean name_owned;
static guint owner_id;
static guint object_id;

static MiraApplication *app;

static void
method_call (GDBusConnection       *connection,
             const char            *sender,
             const char            *object_path,
             const char            *interface_name,
             const char            *method_name,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  if (g_str_equal (method_name, "Notify"))
    {
      Sent *sent = g_new0 (Sent, 1);
      guint32 replaces_id;

      g_variant_get (parameters, "(&su&sss^as@a{sv}i)", NULL, &replaces_id, NULL,
                     &sent->summary, &sent->body, &sent->actions, NULL, NULL);
      sent->id = replaces_id != 0 ? replaces_id : next_id++;
      g_ptr_array_add (sent_list, sent);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", sent->id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *capabilities[] = { "actions", "body", NULL };

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^as)", capabilities));
    }
  else
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "test", "Mira", "1", "1.2"));
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { 0 } };

static void
name_acquired (GDBusConnection *connection,
               const char      *name,
               gpointer         user_data)
{
  name_owned = TRUE;
}

static gboolean
is_name_owned (gpointer data)
{
  return name_owned;
}

/* The notification server, on a connection of its own to the session bus */
static void
start_notification_server (void)
{
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  object_id = g_dbus_connection_register_object (bus, OBJECT_PATH, info->interfaces[0], &vtable,
                                                 NULL, NULL, &error);
  g_assert_no_error (error);
  owner_id = g_bus_own_name_on_connection (bus, BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                           name_acquired, NULL, NULL, NULL);
  g_assert_true (mira_test_gui_wait (is_name_owned, NULL, TIMEOUT_MS));
}

/* The first notification whose summary is @summary, or NULL */
static Sent *
find_sent (const char *summary)
{
  for (guint i = 0; i < sent_list->len; i++)
    {
      Sent *sent = g_ptr_array_index (sent_list, i);

      if (g_strcmp0 (sent->summary, summary) == 0)
        return sent;
    }
  return NULL;
}

static gboolean
was_sent (gpointer summary)
{
  return find_sent (summary) != NULL;
}

/* The action key of the button labelled @label */
static const char *
button_action (Sent       *sent,
               const char *label)
{
  for (guint i = 0; sent->actions[i] != NULL && sent->actions[i + 1] != NULL; i += 2)
    if (g_str_equal (sent->actions[i + 1], label))
      return sent->actions[i];
  return NULL;
}

/* A loopback port nobody listens on now: 8080 may be in use */
static guint16
free_port (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static MiraContext *
context (void)
{
  return mira_application_get_context (app);
}

static gboolean
hosting_online (gpointer data)
{
  MiraConnection *connection = mira_context_get_connection (context ());

  return mira_context_get_host (context ()) != NULL && connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE;
}

static void
host_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mira_context_host_finish (MIRA_CONTEXT (object), result, &error));
  g_assert_no_error (error);
}

/* A synchronous request of the hosted server, with its admin token */
static JsonObject *
host_request (guint       status,
              const char *method,
              const char *path,
              const char *body)
{
  MiraHost *host = mira_context_get_host (context ());
  g_autofree char *url = g_strconcat (mira_host_get_url (host), path, NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", mira_host_get_admin_token (host), NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", bearer);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                             g_bytes_get_size (answer), &error));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* A reminder of the hosted network, due in @seconds */
static char *
create_reminder (const char *title,
                 int         seconds)
{
  MiraConnection *connection = mira_context_get_connection (context ());
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) due = g_date_time_add_seconds (now, seconds);
  g_autofree char *due_text = g_date_time_format (due, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/reminders",
                                           mira_connection_get_network_id (connection));
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) reminder = NULL;

  /* %f has microseconds: RFC 3339 takes any number of digits */
  body = g_strdup_printf ("{\"title\":\"%s\",\"due_time\":\"%s\"}", title, due_text);
  reminder = host_request (201, "POST", path, body);
  return g_strdup (json_object_get_string_member (reminder, "id"));
}

typedef struct {
  const char *reminder_id;
} Completed;

static gboolean
reminder_completed (gpointer data)
{
  Completed *completed = data;
  MiraConnection *connection = mira_context_get_connection (context ());
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/reminders/%s",
                                           mira_connection_get_network_id (connection),
                                           completed->reminder_id);
  g_autoptr(JsonObject) reminder = host_request (200, "GET", path, NULL);

  return g_strcmp0 (json_object_get_string_member (reminder, "status"), "completed") == 0;
}

static void
on_reminder_due (MiraConnection *connection,
                 const char     *reminder_id,
                 const char     *title,
                 const char     *description,
                 gpointer        user_data)
{
  char **due_id = user_data;

  g_free (*due_id);
  *due_id = g_strdup (reminder_id);
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* The window closed while hosting: the app says it still runs, and how to
 * quit. Then a reminder due in a second notifies with Done, and Done
 * completes it on the server, with no window open.
 */
static void
test_reminder_due (void)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_autofree char *reminder_id = NULL;
  Sent *hosting;
  Sent *reminder;
  const char *done;
  g_autofree char *expected = NULL;
  Completed completed;

  g_assert_true (MIRA_IS_WINDOW (window));
  gtk_window_close (window);
  mira_test_gui_settle ();
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
  g_assert_true (mira_test_gui_wait (was_sent, "Mira is still hosting your network", TIMEOUT_MS));
  hosting = find_sent ("Mira is still hosting your network");
  g_assert_cmpstr (button_action (hosting, "Quit"), ==, "app.quit");
  /* Still hosting, still connected */
  g_assert_true (hosting_online (NULL));

  reminder_id = create_reminder ("Call the dentist", 1);
  g_assert_true (mira_test_gui_wait (was_sent, "Call the dentist", TIMEOUT_MS));
  reminder = find_sent ("Call the dentist");
  done = button_action (reminder, "Done");
  expected = g_action_print_detailed_name ("app.complete-reminder",
                                           g_variant_new_string (reminder_id));
  g_assert_cmpstr (done, ==, expected);

  /* The shell's Done button */
  g_dbus_connection_emit_signal (bus, NULL, OBJECT_PATH, BUS_NAME, "ActionInvoked",
                                 g_variant_new ("(us)", reminder->id, done), NULL);
  completed.reminder_id = reminder_id;
  g_assert_true (mira_test_gui_wait (reminder_completed, &completed, TIMEOUT_MS));
}

/* With notifications off in Preferences, a reminder that comes due says
 * nothing
 */
static void
test_notifications_off (void)
{
  MiraConnection *connection = mira_context_get_connection (context ());
  g_autofree char *reminder_id = NULL;
  g_autofree char *due_id = NULL;
  gulong handler;
  guint sent_before;
  gint64 end;

  g_settings_set_boolean (mira_context_get_settings (context ()), "notifications", FALSE);
  handler = g_signal_connect (connection, "reminder-due", G_CALLBACK (on_reminder_due), &due_id);
  sent_before = sent_list->len;
  reminder_id = create_reminder ("Water the plants", 1);
  g_assert_true (mira_test_gui_wait (is_set, &due_id, TIMEOUT_MS));
  g_assert_cmpstr (due_id, ==, reminder_id);
  /* A notification sent would arrive within a few round trips */
  end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (sent_list->len, ==, sent_before);
  g_signal_handler_disconnect (connection, handler);
  g_settings_set_boolean (mira_context_get_settings (context ()), "notifications", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  mira_test_gui_init ();

  sent_list = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  start_notification_server ();

  app = mira_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_settings_set (mira_context_get_settings (context ()), "host-port", "q", free_port ());
  mira_context_host_async (context (), NULL, host_cb, NULL);
  g_assert_true (mira_test_gui_wait (hosting_online, NULL, HOST_TIMEOUT_MS));

  g_test_add_func ("/notifications/off", test_notifications_off);
  g_test_add_func ("/notifications/reminder-due", test_reminder_due);

  status = g_test_run ();

  mira_context_shutdown (context ());
  mira_test_gui_settle ();
  g_clear_object (&app);
  g_bus_unown_name (owner_id);
  g_dbus_connection_unregister_object (bus, object_id);
  g_dbus_connection_close_sync (bus, NULL, NULL);
  g_clear_object (&bus);
  g_clear_pointer (&sent_list, g_ptr_array_unref);

  return status;
}
