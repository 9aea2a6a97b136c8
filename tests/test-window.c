/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The dashboard's window as a person meets it on a first run, under Xvfb
 * with a real keyring: the welcome page's two choices, the join form's
 * errors against a real server, joining, hosting a network on this
 * computer, and the "Add a Device" dialog's link and QR code.
 *
 * One application and window for the whole run, as a person has; each test
 * starts from the welcome page (leaving the network if one is set up).
 */
#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include "mira-add-device-dialog.h"
#include "mira-application.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-host.h"
#include "mira-qr-code.h"
#include "mira-record-button.h"
#include "mira-test-gui.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-welcome-page.h"
#include "mira-window.h"

#define TIMEOUT_MS 30000
/* Hosting loads PocketSphinx: under a sanitizer on a busy machine, slowly */
#define HOST_TIMEOUT_MS 120000

static MiraApplication *app;
static MiraTestServer *server;

static MiraContext *
context (void)
{
  return mira_application_get_context (app);
}

static GtkWidget *
window (void)
{
  return GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
}

static gboolean
shows_welcome (gpointer user_data)
{
  return mira_test_gui_find_label (window (), "Welcome to Mira") != NULL;
}

static gboolean
shows_label (gpointer text)
{
  return mira_test_gui_find_label (window (), text) != NULL;
}

static gboolean
is_hosting (gpointer data)
{
  return mira_context_get_host (context ()) != NULL &&
         mira_context_get_connection (context ()) != NULL;
}

static gboolean
shows_title (gpointer text)
{
  GtkWidget *title = mira_test_gui_find_type (window (), ADW_TYPE_VIEW_SWITCHER_TITLE);

  return title != NULL &&
         g_strcmp0 (adw_view_switcher_title_get_title (ADW_VIEW_SWITCHER_TITLE (title)), text) == 0;
}

/* Back to the first run's welcome page */
static void
start_at_welcome (void)
{
  GtkWidget *welcome;

  if (mira_context_get_mode (context ()) != MIRA_MODE_NONE)
    mira_context_leave (context ());
  mira_test_gui_settle ();

  /* From the join form, as its Back button does */
  welcome = mira_test_gui_find_type (window (), MIRA_TYPE_WELCOME_PAGE);
  if (welcome != NULL && !shows_welcome (NULL))
    gtk_widget_activate_action (welcome, "welcome.back", NULL);
  mira_test_gui_settle ();
  g_assert_true (mira_test_gui_wait (shows_welcome, NULL, TIMEOUT_MS));
}

static void
click (const char *text)
{
  GtkWidget *button = mira_test_gui_find_button (window (), text);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  mira_test_gui_settle ();
}

static GtkWidget *
fill (const char *title,
      const char *text)
{
  GtkWidget *row = mira_test_gui_find_entry_row (window (), title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  return row;
}

static gboolean
is_online (gpointer user_data)
{
  MiraConnection *connection = mira_context_get_connection (context ());

  return connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE;
}

/* A loopback port that refuses connections: bound, never listening, and
 * held for the whole run so that no other program can take it meanwhile
 */
static guint
refusing_port (void)
{
  static GSocket *socket;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  if (socket == NULL)
    {
      socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, &error);
      if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error))
        g_error ("No port to refuse connections on: %s", error->message);
    }

  bound = g_socket_get_local_address (socket, &error);
  if (bound == NULL)
    g_error ("%s", error->message);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* A network on the test server: its id and network token */
static void
create_network (char **network_id,
                char **token)
{
  g_autoptr(MiraTestResponse) response = NULL;
  JsonObject *object;

  response = mira_test_request (server, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                                "{\"name\": \"Test Home\"}");
  g_assert_cmpuint (response->status, ==, 201);
  object = mira_test_response_object (response);
  *network_id = g_strdup (json_object_get_string_member (object, "network_id"));
  *token = g_strdup (json_object_get_string_member (object, "network_token"));
}

static void
test_welcome (void)
{
  GSettings *settings = mira_context_get_settings (context ());
  GtkWidget *lan_row;
  GtkWidget *lan_switch;
  GtkWindow *shortcuts;
  GtkWindow *about;
  int width, height;

  start_at_welcome ();

  g_assert_true (gtk_widget_get_visible (window ()));
  g_assert_nonnull (mira_test_gui_find_button (window (), "Host a Network on This Computer"));
  g_assert_nonnull (mira_test_gui_find_button (window (), "Join a Network"));
  g_assert_true (gtk_widget_is_sensitive (mira_test_gui_find_button (window (), "Host a Network on This Computer")));
  g_assert_true (gtk_widget_is_sensitive (mira_test_gui_find_button (window (), "Join a Network")));

  /* The switch is the "allow-lan" setting, both ways */
  lan_row = mira_test_gui_find_label (window (), "Allow Devices on My Local Network");
  g_assert_nonnull (lan_row);
  lan_row = gtk_widget_get_ancestor (lan_row, ADW_TYPE_ACTION_ROW);
  lan_switch = mira_test_gui_find_type (lan_row, GTK_TYPE_SWITCH);
  g_assert_nonnull (lan_switch);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (lan_switch)));
  gtk_switch_set_active (GTK_SWITCH (lan_switch), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "allow-lan"));
  g_settings_set_boolean (settings, "allow-lan", FALSE);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (lan_switch)));

  /* The window's size (as GTK counts it, with the decorations) is kept
   * for the next start
   */
  g_assert_true (mira_test_gui_resize (GTK_WINDOW (window ()), 820, 640));
  gtk_window_get_default_size (GTK_WINDOW (window ()), &width, &height);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, width);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, height);
  g_assert_cmpint (width, >=, 820);
  g_assert_cmpint (width, <, 1000);

  /* The main menu's keyboard shortcuts and about window */
  g_assert_true (gtk_widget_activate_action (window (), "win.show-help-overlay", NULL));
  mira_test_gui_settle ();
  shortcuts = mira_test_gui_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  gtk_window_close (shortcuts);

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  mira_test_gui_settle ();
  about = mira_test_gui_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==,
                   "Mira Dashboard");
  gtk_window_destroy (about);
  mira_test_gui_settle ();
}

static void
test_join_unreachable (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", refusing_port ());
  GtkWidget *url_row;

  start_at_welcome ();
  click ("Join a Network");
  g_assert_true (shows_label ("Or Enter the Network’s Details"));

  url_row = fill ("Server Address", url);
  fill ("Network ID", "net_00000000000000000000000000000000");
  fill ("Token", "some-network-token-of-no-server");
  click ("Join");

  g_assert_true (mira_test_gui_wait (shows_label, "The server cannot be reached", TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (url_row, "error"));
  g_assert_cmpint (mira_context_get_mode (context ()), ==, MIRA_MODE_NONE);

  /* Fixing the field clears its mark */
  fill ("Server Address", mira_test_server_get_url (server));
  g_assert_false (gtk_widget_has_css_class (url_row, "error"));
}

static void
test_join_refused (void)
{
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *bad_link = NULL;
  GtkWidget *token_row;
  GtkWidget *network_row;
  GtkWidget *link_row;

  create_network (&network_id, &token);

  start_at_welcome ();
  click ("Join a Network");

  /* A wrong token for a real network */
  fill ("Server Address", mira_test_server_get_url (server));
  network_row = fill ("Network ID", network_id);
  token_row = fill ("Token", "not-the-network-token-0123456789");
  click ("Join");
  g_assert_true (mira_test_gui_wait (shows_label, "The token was not accepted", TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (token_row, "error"));
  g_assert_false (gtk_widget_has_css_class (network_row, "error"));

  /* A network the server does not have */
  fill ("Network ID", "net_0123456789abcdef0123456789abcdef");
  fill ("Token", token);
  click ("Join");
  g_assert_true (mira_test_gui_wait (shows_label, "The server has no such network", TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (network_row, "error"));

  /* A pasted link wins over the fields, and must be a join link */
  bad_link = g_strdup_printf ("%s/api/v1/networks/%s", mira_test_server_get_url (server), network_id);
  link_row = fill ("Join Link", bad_link);
  click ("Join");
  g_assert_true (mira_test_gui_wait (shows_label, "This is not a Mira join link", TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (link_row, "error"));
  g_assert_cmpint (mira_context_get_mode (context ()), ==, MIRA_MODE_NONE);
}

static void
test_join (void)
{
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *link = NULL;
  g_autofree char *stored_id = NULL;
  GSettings *settings = mira_context_get_settings (context ());

  create_network (&network_id, &token);
  link = mira_join_link_build (mira_test_server_get_url (server), network_id, token);

  start_at_welcome ();
  click ("Join a Network");
  fill ("Join Link", link);
  click ("Join");

  g_assert_true (mira_test_gui_wait (is_online, NULL, TIMEOUT_MS));
  g_assert_cmpint (mira_context_get_mode (context ()), ==, MIRA_MODE_JOIN);
  stored_id = g_settings_get_string (settings, "network-id");
  g_assert_cmpstr (stored_id, ==, network_id);
  /* The network's name is the window's title (shown in the header bar
   * whenever the view switcher does not take its middle)
   */
  g_assert_true (mira_test_gui_wait (shows_title, "Test Home", TIMEOUT_MS));
  g_assert_null (mira_test_gui_find_label (window (), "Welcome to Mira"));

  /* Tokens live in the keyring, never in the settings */
  {
    g_autoptr(GSettingsSchema) schema = NULL;
    g_auto(GStrv) keys = NULL;

    g_object_get (settings, "settings-schema", &schema, NULL);
    keys = g_settings_schema_list_keys (schema);
    for (guint i = 0; keys[i] != NULL; i++)
      {
        g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
        g_autofree char *text = g_variant_print (value, FALSE);

        g_assert_null (strstr (text, token));
      }
  }

  /* A joined network offers no "Add a Device": only its host has the link */
  gtk_widget_activate_action (window (), "win.add-device", NULL);
  mira_test_gui_settle ();
  g_assert_null (mira_test_gui_find_toplevel (MIRA_TYPE_ADD_DEVICE_DIALOG));
}

static gboolean
clipboard_has (gpointer user_data)
{
  char **text = user_data;

  return *text != NULL;
}

static void
on_clipboard_text (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static void
test_host (void)
{
  GSettings *settings = mira_context_get_settings (context ());
  g_autofree char *base_url = NULL;
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *stored_id = NULL;
  g_autofree char *port_message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) busy = NULL;
  guint16 busy_port;
  GtkWindow *dialog;
  GtkWidget *qr_code;
  GtkWidget *link_label;
  const char *link;
  MiraHost *host;

  /* The port asked for is taken: another is used, and the window says so */
  busy = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (busy, any, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (busy, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (busy, &error);
  g_assert_no_error (error);
  busy_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_settings_set (settings, "host-port", "q", busy_port);

  start_at_welcome ();
  click ("Host a Network on This Computer");

  /* The toast that says which port comes with the connection, for 8 s:
   * looked for before the connection is online, which may take longer
   * under a sanitizer
   */
  g_assert_true (mira_test_gui_wait (is_hosting, NULL, HOST_TIMEOUT_MS));
  g_assert_cmpint (mira_context_get_mode (context ()), ==, MIRA_MODE_HOST);
  host = mira_context_get_host (context ());
  g_assert_true (mira_host_get_port_changed (host));
  g_assert_cmpuint (mira_host_get_port (host), !=, busy_port);
  port_message = g_strdup_printf ("Port %u is in use: hosting on port %u",
                                  busy_port, mira_host_get_port (host));
  g_assert_true (mira_test_gui_wait (shows_label, port_message, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (is_online, NULL, HOST_TIMEOUT_MS));
  g_assert_cmpint (g_settings_get_enum (settings, "mode"), ==, MIRA_MODE_HOST);
  g_assert_null (mira_test_gui_find_label (window (), "Welcome to Mira"));

  /* "Add a Device": the link parses back to this network on this host */
  g_assert_true (gtk_widget_activate_action (window (), "win.add-device", NULL));
  mira_test_gui_settle ();
  dialog = mira_test_gui_find_toplevel (MIRA_TYPE_ADD_DEVICE_DIALOG);
  g_assert_nonnull (dialog);

  link = mira_context_get_join_link (context ());
  g_assert_nonnull (link);
  link_label = mira_test_gui_find_label (GTK_WIDGET (dialog), link);
  g_assert_nonnull (link_label);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (link_label)));

  g_assert_true (mira_join_link_parse (gtk_label_get_text (GTK_LABEL (link_label)),
                                       &base_url, &network_id, &token, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (base_url, ==, mira_host_get_url (host));
  stored_id = g_settings_get_string (settings, "network-id");
  g_assert_cmpstr (network_id, ==, stored_id);
  g_assert_cmpstr (network_id, ==, mira_connection_get_network_id (mira_context_get_connection (context ())));
  g_assert_cmpuint (strlen (token), >, 0);

  qr_code = mira_test_gui_find_type (GTK_WIDGET (dialog), MIRA_TYPE_QR_CODE);
  g_assert_nonnull (qr_code);
  g_assert_cmpstr (mira_qr_code_get_text (MIRA_QR_CODE (qr_code)), ==, link);
  g_assert_cmpuint (mira_qr_code_get_n_modules (MIRA_QR_CODE (qr_code)), >=, 21 + 8);
  /* Hosting on loopback: the code is dimmed, and the dialog says why a
   * phone cannot open it and what makes it work
   */
  g_assert_false (g_settings_get_boolean (settings, "allow-lan"));
  g_assert_cmpfloat (gtk_widget_get_opacity (qr_code), <, 1.0);
  g_assert_nonnull (mira_test_gui_find_label (GTK_WIDGET (dialog),
                                              "This link opens on this computer only. For a "
                                              "phone or another computer, turn on “Allow Devices "
                                              "on My Local Network” below."));

  /* Copy puts the link on the clipboard */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.copy-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), NULL,
                                 on_clipboard_text, &copied);
  g_assert_true (mira_test_gui_wait (clipboard_has, &copied, TIMEOUT_MS));
  g_assert_cmpstr (copied, ==, link);

  gtk_window_destroy (dialog);

  /* Its port taken meanwhile, a restart hosts on another, and the window
   * says that devices that joined by the old link must join again
   */
  {
    guint old_port = mira_host_get_port (host);
    g_autoptr(GSocketListener) squatter = g_socket_listener_new ();
    g_autofree char *lost_message = NULL;

    mira_context_shutdown (context ());
    g_socket_listener_add_inet_port (squatter, (guint16) old_port, NULL, &error);
    g_assert_no_error (error);
    mira_context_resume_async (context (), NULL, NULL, NULL);
    g_assert_true (mira_test_gui_wait (is_hosting, NULL, HOST_TIMEOUT_MS));
    host = mira_context_get_host (context ());
    g_assert_cmpuint (mira_host_get_port (host), !=, old_port);
    lost_message = g_strdup_printf ("Port %u is in use: hosting on port %u. Devices that "
                                    "joined before must join again",
                                    old_port, mira_host_get_port (host));
    g_assert_true (mira_test_gui_wait (shows_label, lost_message, TIMEOUT_MS));
    g_assert_true (mira_test_gui_wait (is_online, NULL, HOST_TIMEOUT_MS));
    g_socket_listener_close (squatter);
  }
}

/* The labels of the page buttons of @switcher (an AdwViewSwitcherBar or
 * AdwViewSwitcher) that are on screen
 */
static void
collect_titles (GtkWidget *widget,
                GPtrArray *labels)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      !gtk_widget_has_css_class (widget, "numeric"))
    g_ptr_array_add (labels, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_titles (child, labels);
}

static GPtrArray *
shown_titles (GType switcher_type)
{
  GtkWidget *switcher = mira_test_gui_find_type (window (), switcher_type);
  GPtrArray *labels = g_ptr_array_new ();

  if (switcher != NULL && gtk_widget_get_mapped (switcher))
    collect_titles (switcher, labels);
  return labels;
}

typedef struct {
  GType               switcher_type;
  const char * const *expected;
} Titles;

static gboolean
shows_titles (gpointer data)
{
  Titles *titles = data;
  g_autoptr(GPtrArray) labels = shown_titles (titles->switcher_type);

  if (labels->len != g_strv_length ((char **) titles->expected))
    return FALSE;
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (labels->pdata[i]), titles->expected[i]) != 0)
      return FALSE;
  return TRUE;
}

static int
measured_width (GtkWidget *widget)
{
  int natural;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  return natural;
}

/* Every page title in @switcher_type, as drawn: none cut off */
static void
assert_titles_whole (GType               switcher_type,
                     const char * const *expected)
{
  Titles titles = { switcher_type, expected };
  g_autoptr(GPtrArray) labels = NULL;

  g_assert_true (mira_test_gui_wait (shows_titles, &titles, TIMEOUT_MS));
  mira_test_gui_settle ();
  labels = shown_titles (switcher_type);
  g_assert_true (shows_titles (&titles));
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = labels->pdata[i];

      g_test_message ("%s: “%s”, %d px", g_type_name (switcher_type), gtk_label_get_text (label),
                      gtk_widget_get_width (GTK_WIDGET (label)));
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (label)));
      /* Drawn whole, nothing outside its allocation */
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (label)), >=,
                       measured_width (GTK_WIDGET (label)));
    }
}

/* 360 px wide, a phone's width: the page switcher is at the bottom and no
 * page title is cut off ("Conversa…"); wide again, the header's switcher
 * has the whole titles
 */
static void
test_narrow (void)
{
  const char * const narrow[] = { "Live", "Chats", "To Do", "Calendar", "People", "Network", NULL };
  const char * const wide[] = { "Live", "Conversations", "Reminders", "Calendar", "People",
                                "Network", NULL };

  g_assert_true (mira_test_gui_resize (GTK_WINDOW (window ()), 360, 640));
  assert_titles_whole (ADW_TYPE_VIEW_SWITCHER_BAR, narrow);
  g_assert_true (mira_test_gui_resize (GTK_WINDOW (window ()), 1000, 700));
  assert_titles_whole (ADW_TYPE_VIEW_SWITCHER_TITLE, wide);
}

static void
on_capture_state (MiraCapture *capture,
                  GParamSpec  *pspec,
                  gboolean    *started)
{
  if (mira_capture_get_state (capture) != MIRA_CAPTURE_STATE_IDLE)
    *started = TRUE;
}

static gboolean
shows_page (gpointer user_data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (mira_test_gui_find_type (window (), ADW_TYPE_VIEW_STACK));

  return stack != NULL && g_strcmp0 (adw_view_stack_get_visible_child_name (stack), user_data) == 0;
}

/* The keyboard reaches the main action and every page: Ctrl+R records,
 * Alt+1…6 go to the pages in the switcher's order, as the shortcuts
 * window says
 */
static void
test_keyboard (void)
{
  static const char * const pages[] = { "live", "conversations", "reminders", "calendar",
                                        "people", "network" };
  g_auto(GStrv) record_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                      "win.toggle-recording");
  GtkWidget *record = mira_test_gui_find_type (window (), MIRA_TYPE_RECORD_BUTTON);
  MiraCapture *capture = mira_context_get_capture (context ());
  gboolean started = FALSE;

  g_assert_true (mira_test_gui_wait (is_online, NULL, HOST_TIMEOUT_MS));
  g_assert_nonnull (record_accels[0]);
  g_assert_cmpstr (record_accels[0], ==, "<Control>r");
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *action = g_strdup_printf ("win.show-page::%s", pages[i]);
      g_autofree char *expected = g_strdup_printf ("<Alt>%u", i + 1);
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

      g_assert_nonnull (accels[0]);
      g_assert_cmpstr (accels[0], ==, expected);
      g_assert_true (gtk_widget_activate_action (window (), "win.show-page", "s", pages[i]));
      g_assert_true (mira_test_gui_wait (shows_page, (gpointer) pages[i], TIMEOUT_MS));
    }
  g_assert_true (gtk_widget_activate_action (window (), "win.show-page", "s", "live"));

  /* Pressed as a click presses it: the microphone starts (without one
   * here it fails at once, and the button comes back up)
   */
  g_assert_nonnull (record);
  g_assert_nonnull (capture);
  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_IDLE);
  g_signal_connect (capture, "notify::state", G_CALLBACK (on_capture_state), &started);
  g_assert_true (gtk_widget_activate_action (window (), "win.toggle-recording", NULL));
  g_assert_true (started);
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (record)))
    g_assert_true (gtk_widget_activate_action (window (), "win.toggle-recording", NULL));
  g_signal_handlers_disconnect_by_func (capture, on_capture_state, &started);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (record)));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *db_uri = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  mira_test_gui_init ();

  db_uri = mira_test_sqlite_uri ();
  server = mira_test_server_new (db_uri, FALSE);

  app = mira_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_true (MIRA_IS_WINDOW (window ()));

  g_test_add_func ("/window/welcome", test_welcome);
  g_test_add_func ("/window/join/unreachable", test_join_unreachable);
  g_test_add_func ("/window/join/refused", test_join_refused);
  g_test_add_func ("/window/join/link", test_join);
  g_test_add_func ("/window/host", test_host);
  g_test_add_func ("/window/narrow", test_narrow);
  g_test_add_func ("/window/keyboard", test_keyboard);

  status = g_test_run ();

  mira_context_shutdown (context ());
  gtk_window_destroy (GTK_WINDOW (window ()));
  mira_test_gui_settle ();
  g_clear_object (&app);
  mira_test_server_free (server);

  return status;
}
