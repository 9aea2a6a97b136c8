/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-network-page"

/* The Network page and the Preferences window of the real app under Xvfb,
 * joined to a real server's network as another device would be: edits in
 * the page change the server (and a refusal says why), the admin token
 * given in Preferences shows every network on the server, and suspending,
 * activating, deleting networks and deregistering a device reach the
 * server after their confirmation.
 */

#include "config.h"

#include <adwaita.h>

#include "mira-admin.h"
#include "mira-admin-network-row.h"
#include "mira-application.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-network-client-row.h"
#include "mira-network-page.h"
#include "mira-preferences-window.h"
#include "mira-test-gui.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-window.h"

#define TIMEOUT_MS 20000

static MiraApplication *app;
static MiraTestServer *server;
static char *network_id;
static char *network_token;

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

static GtkWidget *
page (void)
{
  return mira_test_gui_find_type (window (), MIRA_TYPE_NETWORK_PAGE);
}

static JsonObject *
request_object (guint       status,
                const char *method,
                const char *path,
                const char *token,
                const char *body)
{
  g_autoptr(MiraTestResponse) response = mira_test_request (server, method, path, token, body);

  g_assert_cmpuint (response->status, ==, status);
  if (status == 204)
    return json_object_new ();
  return json_object_ref (mira_test_response_object (response));
}

static guint
status_of (const char *method,
           const char *path)
{
  g_autoptr(MiraTestResponse) response =
    mira_test_request (server, method, path, MIRA_TEST_ADMIN_TOKEN, NULL);

  return response->status;
}

/* The server's answer to GET @path (admin token), member @member as text */
typedef struct {
  const char *path;
  const char *member;
  const char *expected;
} ServerHas;

static gboolean
server_has (gpointer data)
{
  ServerHas *has = data;
  g_autoptr(MiraTestResponse) response =
    mira_test_request (server, "GET", has->path, MIRA_TEST_ADMIN_TOKEN, NULL);
  JsonNode *node;
  g_autofree char *text = NULL;

  if (response->status != 200 || response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return FALSE;
  node = json_object_get_member (json_node_get_object (response->json), has->member);
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (node));
  else
    text = json_to_string (node, FALSE);
  return g_strcmp0 (text, has->expected) == 0;
}

static void
assert_server_has (const char *path,
                   const char *member,
                   const char *expected)
{
  ServerHas has = { path, member, expected };

  g_assert_true (mira_test_gui_wait (server_has, &has, TIMEOUT_MS));
}

static gboolean
shows_label (gpointer text)
{
  return mira_test_gui_find_label (window (), text) != NULL;
}

static gboolean
context_online (gpointer data)
{
  MiraConnection *connection = mira_context_get_connection (context ());

  return connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE &&
         mira_connection_get_server_version (connection) != NULL;
}

static void
join_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mira_context_join_finish (MIRA_CONTEXT (object), result, &error));
  g_assert_no_error (error);
}

static GtkWidget *find_titled (GtkWidget  *root,
                               GType       type,
                               const char *title);

/* A row of @type on the page whose title is @title */
static GtkWidget *
find_row (GType       type,
          const char *title)
{
  return find_titled (page (), type, title);
}

typedef struct {
  GType       type;
  const char *title;
  gboolean    present;
} RowShown;

static gboolean
row_shown (gpointer data)
{
  RowShown *shown = data;

  return (find_row (shown->type, shown->title) != NULL) == shown->present;
}

static void
wait_row (GType       type,
          const char *title,
          gboolean    present)
{
  RowShown shown = { type, title, present };

  g_assert_true (mira_test_gui_wait (row_shown, &shown, TIMEOUT_MS));
}

static GtkWidget *
find_titled (GtkWidget  *root,
             GType       type,
             const char *title)
{
  g_autoptr(GQueue) queue = g_queue_new ();

  g_queue_push_tail (queue, root);
  while (!g_queue_is_empty (queue))
    {
      GtkWidget *widget = g_queue_pop_head (queue);

      if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
        return widget;
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_queue_push_tail (queue, child);
    }
  return NULL;
}

static gboolean
has_dialog (gpointer data)
{
  return mira_test_gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* Answers the confirmation that @action asked, as a person clicks */
static void
confirm (const char *response)
{
  AdwMessageDialog *dialog;

  g_assert_true (mira_test_gui_wait (has_dialog, NULL, TIMEOUT_MS));
  dialog = ADW_MESSAGE_DIALOG (mira_test_gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_true (adw_message_dialog_has_response (dialog, response));
  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
  mira_test_gui_settle ();
}

static gboolean
preferences_say (gpointer text)
{
  GtkWindow *preferences = mira_test_gui_find_toplevel (MIRA_TYPE_PREFERENCES_WINDOW);

  return preferences != NULL && mira_test_gui_find_label (GTK_WIDGET (preferences), text) != NULL;
}

static gboolean
has_admin (gpointer data)
{
  return mira_context_get_admin (context ()) != NULL;
}

/* Joined as another device would: the page shows the network, its devices
 * and the server; a setting edited in the page changes on the server
 */
static void
test_settings (void)
{
  g_autofree char *tz_path = g_strdup_printf ("/api/v1/%s/settings/timezone", network_id);
  g_autofree char *timeout_path = g_strdup_printf ("/api/v1/%s/settings/conversation_timeout_s",
                                                   network_id);
  g_autoptr(JsonObject) answer = NULL;
  AdwComboRow *timezone_row;
  GtkSpinButton *spin;
  GListModel *zones;
  guint paris = G_MAXUINT;

  g_assert_nonnull (page ());
  g_assert_true (mira_test_gui_wait (shows_label, network_id, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (shows_label, (gpointer) mira_test_server_get_url (server),
                                     TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (shows_label, (gpointer) PACKAGE_VERSION, TIMEOUT_MS));
  /* Both devices, this computer and the phone registered by REST */
  wait_row (MIRA_TYPE_NETWORK_CLIENT_ROW, "kitchen-phone", TRUE);
  /* This computer's row is titled with its host name, the name it registers */
  wait_row (MIRA_TYPE_NETWORK_CLIENT_ROW, g_get_host_name (), TRUE);

  /* The time zone, picked from the list */
  timezone_row = ADW_COMBO_ROW (find_titled (page (), ADW_TYPE_COMBO_ROW, "Time Zone"));
  g_assert_nonnull (timezone_row);
  zones = adw_combo_row_get_model (timezone_row);
  g_assert_cmpuint (g_list_model_get_n_items (zones), >, 300);
  g_assert_cmpstr (gtk_string_object_get_string (adw_combo_row_get_selected_item (timezone_row)),
                   ==, "UTC");
  for (guint i = 0; i < g_list_model_get_n_items (zones); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (zones), i), "Europe/Paris") == 0)
      paris = i;
  g_assert_cmpuint (paris, !=, G_MAXUINT);
  adw_combo_row_set_selected (timezone_row, paris);
  assert_server_has (tz_path, "value", "Europe/Paris");

  /* Another device changes it: the page follows the event */
  g_clear_pointer (&answer, json_object_unref);
  answer = request_object (200, "PUT", tz_path, network_token, "{\"value\":\"Asia/Tokyo\"}");
  g_assert_true (mira_test_gui_wait (shows_label, "Asia/Tokyo", TIMEOUT_MS));

  /* The conversation timeout, typed */
  spin = GTK_SPIN_BUTTON (mira_test_gui_find_type (find_titled (page (), ADW_TYPE_ACTION_ROW,
                                                                "Conversation Timeout"),
                                                   GTK_TYPE_SPIN_BUTTON));
  g_assert_nonnull (spin);
  g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, 90);
  gtk_spin_button_set_value (spin, 120);
  assert_server_has (timeout_path, "value", "120");
}

static gboolean
transcribers_show (gpointer text)
{
  GtkWidget *row = mira_test_gui_find_entry_row (page (), "Transcribers");

  return row != NULL && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text) == 0;
}

static gboolean
setting_unset (gpointer path)
{
  return status_of ("GET", path) == 404;
}

/* The network's own transcriber chain: typed and applied, it is the
 * server's setting; another device's shows; emptied, the server's own
 * chain applies again
 */
static void
test_transcriber (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/transcriber", network_id);
  g_autoptr(JsonObject) answer = NULL;
  GtkWidget *row = mira_test_gui_find_entry_row (page (), "Transcribers");

  g_assert_nonnull (row);
  /* Unset: empty, and the server has no such setting */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");
  g_assert_cmpuint (status_of ("GET", path), ==, 404);

  gtk_editable_set_text (GTK_EDITABLE (row), " wyoming://127.0.0.1:10300,sphinx ");
  g_signal_emit_by_name (row, "apply");
  assert_server_has (path, "value", "wyoming://127.0.0.1:10300,sphinx");
  g_assert_true (mira_test_gui_wait (transcribers_show, "wyoming://127.0.0.1:10300,sphinx",
                                     TIMEOUT_MS));
  g_assert_false (gtk_widget_has_css_class (row, "error"));

  /* Another device's chain shows at once */
  answer = request_object (200, "PUT", path, network_token, "{\"value\":\"sphinx\"}");
  g_assert_true (mira_test_gui_wait (transcribers_show, "sphinx", TIMEOUT_MS));

  /* Emptied: the setting goes, the server's own chain applies */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (mira_test_gui_wait (setting_unset, path, TIMEOUT_MS));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");
}

/* A chain the server refuses: the row is marked and keeps what was typed,
 * the toast says the server's reason, the server keeps its chain; typing
 * again clears the mark
 */
static void
test_transcriber_refused (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/settings/transcriber", network_id);
  g_autoptr(JsonObject) answer = NULL;
  GtkWidget *row = mira_test_gui_find_entry_row (page (), "Transcribers");

  /* Set again (the test before emptied it) */
  answer = request_object (201, "PUT", path, network_token, "{\"value\":\"sphinx\"}");
  g_assert_true (mira_test_gui_wait (transcribers_show, "sphinx", TIMEOUT_MS));

  gtk_editable_set_text (GTK_EDITABLE (row), "sphinx,whisper");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (mira_test_gui_wait (shows_label,
                                     "The server refused: Field 'value': 'whisper' is not a "
                                     "transcriber (a comma-separated chain of sphinx, openai, "
                                     "deepgram and wyoming://HOST:PORT, or none)",
                                     TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "sphinx,whisper");
  assert_server_has (path, "value", "sphinx");

  /* The same backend twice */
  gtk_editable_set_text (GTK_EDITABLE (row), "sphinx,sphinx");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_signal_emit_by_name (row, "apply");
  g_assert_true (mira_test_gui_wait (shows_label,
                                     "The server refused: Field 'value': 'sphinx' comes twice "
                                     "(a comma-separated chain of sphinx, openai, deepgram and "
                                     "wyoming://HOST:PORT, or none)",
                                     TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  assert_server_has (path, "value", "sphinx");
}

/* A session token may not rename the network: the page says what the
 * server said, and the name stays
 */
static void
test_refused (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/networks/%s", network_id);
  GtkWidget *name_row = mira_test_gui_find_entry_row (page (), "Name");

  g_assert_nonnull (name_row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Home");
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Kitchen");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_true (mira_test_gui_wait (shows_label,
                                     "The server refused: This needs the network token, "
                                     "not a session token",
                                     TIMEOUT_MS));
  assert_server_has (path, "name", "Home");
}

/* The admin token, given in Preferences: every network of the server,
 * suspended, activated, deleted; the network renamed; a device deregistered
 */
static void
test_admin (void)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/networks/%s", network_id);
  g_autoptr(JsonObject) office = NULL;
  g_autoptr(JsonObject) garage = NULL;
  g_autofree char *office_path = NULL;
  g_autofree char *garage_path = NULL;
  g_autofree char *phone_path = NULL;
  GtkWindow *preferences;
  GtkWidget *token_row;
  GtkWidget *name_row;
  GListModel *networks;

  office = request_object (201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                           "{\"name\":\"Office\"}");
  garage = request_object (201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                           "{\"name\":\"Garage\"}");
  office_path = g_strdup_printf ("/api/v1/networks/%s",
                                 json_object_get_string_member (office, "network_id"));
  garage_path = g_strdup_printf ("/api/v1/networks/%s",
                                 json_object_get_string_member (garage, "network_id"));

  /* No admin token yet: no administration */
  g_assert_null (mira_test_gui_find_label (page (), "Networks on This Server"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  mira_test_gui_settle ();
  preferences = mira_test_gui_find_toplevel (MIRA_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  token_row = mira_test_gui_find_entry_row (GTK_WIDGET (preferences), "Admin Token (Optional)");
  g_assert_nonnull (token_row);

  /* A wrong one is refused, and said */
  gtk_editable_set_text (GTK_EDITABLE (token_row), "not-the-admin-token");
  g_signal_emit_by_name (token_row, "apply");
  g_assert_true (mira_test_gui_wait (preferences_say, "The server refused this admin token",
                                     TIMEOUT_MS));
  g_assert_null (mira_context_get_admin (context ()));

  gtk_editable_set_text (GTK_EDITABLE (token_row), MIRA_TEST_ADMIN_TOKEN);
  g_signal_emit_by_name (token_row, "apply");
  g_assert_true (mira_test_gui_wait (has_admin, NULL, TIMEOUT_MS));
  gtk_window_close (preferences);
  mira_test_gui_settle ();

  /* Every network on the server */
  g_assert_true (mira_test_gui_wait (shows_label, "Networks on This Server", TIMEOUT_MS));
  wait_row (MIRA_TYPE_ADMIN_NETWORK_ROW, "Home", TRUE);
  wait_row (MIRA_TYPE_ADMIN_NETWORK_ROW, "Office", TRUE);
  wait_row (MIRA_TYPE_ADMIN_NETWORK_ROW, "Garage", TRUE);
  networks = mira_admin_get_networks (mira_context_get_admin (context ()));
  g_assert_cmpuint (g_list_model_get_n_items (networks), ==, 3);

  /* Suspend, after the question; then activate */
  g_assert_true (gtk_widget_activate_action (page (), "network.suspend", "s",
                                             json_object_get_string_member (office, "network_id")));
  confirm ("suspend");
  assert_server_has (office_path, "status", "suspended");
  g_assert_true (mira_test_gui_wait (shows_label, "Suspended", TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (page (), "network.activate", "s",
                                             json_object_get_string_member (office, "network_id")));
  assert_server_has (office_path, "status", "active");

  /* Cancelled, nothing happens; confirmed, it is gone */
  g_assert_true (gtk_widget_activate_action (page (), "network.delete", "s",
                                             json_object_get_string_member (garage, "network_id")));
  confirm ("cancel");
  g_assert_cmpuint (status_of ("GET", garage_path), ==, 200);
  g_assert_true (gtk_widget_activate_action (page (), "network.delete", "s",
                                             json_object_get_string_member (garage, "network_id")));
  confirm ("delete");
  wait_row (MIRA_TYPE_ADMIN_NETWORK_ROW, "Garage", FALSE);
  g_assert_cmpuint (status_of ("GET", garage_path), ==, 404);
  g_assert_cmpuint (g_list_model_get_n_items (networks), ==, 2);

  /* With the admin token the name may change */
  name_row = mira_test_gui_find_entry_row (page (), "Name");
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Kitchen");
  g_signal_emit_by_name (name_row, "apply");
  assert_server_has (path, "name", "Kitchen");
  wait_row (MIRA_TYPE_ADMIN_NETWORK_ROW, "Kitchen", FALSE);

  /* Deregistering a device, after the question */
  phone_path = g_strdup_printf ("/api/v1/%s/clients/kitchen-phone", network_id);
  g_assert_true (gtk_widget_activate_action (page (), "network.deregister", "s", "kitchen-phone"));
  confirm ("deregister");
  wait_row (MIRA_TYPE_NETWORK_CLIENT_ROW, "kitchen-phone", FALSE);
  g_assert_cmpuint (status_of ("GET", phone_path), ==, 404);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *db_uri = NULL;
  g_autofree char *register_path = NULL;
  g_autofree char *link = NULL;
  g_autoptr(JsonObject) network = NULL;
  g_autoptr(JsonObject) phone = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  mira_test_gui_init ();

  db_uri = mira_test_sqlite_uri ();
  server = mira_test_server_new (db_uri, FALSE);
  network = request_object (201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                            "{\"name\":\"Home\"}");
  network_id = g_strdup (json_object_get_string_member (network, "network_id"));
  network_token = g_strdup (json_object_get_string_member (network, "network_token"));
  register_path = g_strdup_printf ("/api/v1/%s/service/client/register/kitchen-phone", network_id);
  phone = request_object (201, "POST", register_path, network_token, "{\"device_type\":\"phone\"}");

  app = mira_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_true (MIRA_IS_WINDOW (window ()));
  gtk_window_set_default_size (GTK_WINDOW (window ()), 1000, 760);

  link = mira_join_link_build (mira_test_server_get_url (server), network_id, network_token);
  mira_context_join_async (context (), link, NULL, NULL, NULL, NULL, join_cb, NULL);
  g_assert_true (mira_test_gui_wait (context_online, NULL, TIMEOUT_MS));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (mira_test_gui_find_type (window (),
                                                                                  ADW_TYPE_VIEW_STACK)),
                                         "network");
  mira_test_gui_settle ();

  g_test_add_func ("/network-page/settings", test_settings);
  g_test_add_func ("/network-page/transcriber", test_transcriber);
  g_test_add_func ("/network-page/transcriber-refused", test_transcriber_refused);
  g_test_add_func ("/network-page/refused", test_refused);
  g_test_add_func ("/network-page/admin", test_admin);

  status = g_test_run ();

  mira_context_shutdown (context ());
  gtk_window_destroy (GTK_WINDOW (window ()));
  mira_test_gui_settle ();
  g_clear_object (&app);
  mira_test_server_free (server);
  g_free (network_id);
  g_free (network_token);

  return status;
}
