/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pages"

/* The Conversations, Reminders, Calendar and People pages in the real
 * window under Xvfb, for a context that joined a real server's network:
 * what another device writes appears on them with nothing done in the app;
 * what is done on them reaches the server; a transcript of 100,000
 * interactions scrolls with a handful of row widgets.
 */

#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>

#include "mira-connection.h"
#include "mira-context.h"
#include "mira-conversation-item.h"
#include "mira-db.h"
#include "mira-event-dialog.h"
#include "mira-reminder-dialog.h"
#include "mira-test-gui.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-transcript-row.h"
#include "mira-window-private.h"

#define TIMEOUT_MS 30000

typedef struct {
  char           *db_uri;
  MiraTestServer *server;
  char           *network_id;
  char           *network_token;
  GSettings      *settings;
  MiraContext    *context;
  MiraWindow     *window;
  gboolean        joined;
} Fixture;

/* REST as another device */
static JsonObject *
request (Fixture    *f,
         guint       status,
         const char *method,
         const char *path,
         const char *body)
{
  g_autofree char *full = g_strdup_printf ("/api/v1/%s/%s", f->network_id, path);
  g_autoptr(MiraTestResponse) response = mira_test_request (f->server, method, full,
                                                            f->network_token, body);

  if (response->status != status)
    g_error ("%s %s: %u %s", method, path, response->status, response->body);
  if (status == 204 || status == 404)
    return NULL;
  return json_object_ref (mira_test_response_object (response));
}

static void
join_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (mira_context_join_finish (MIRA_CONTEXT (object), result, &error));
  g_assert_no_error (error);
  f->joined = TRUE;
}

static gboolean
is_online (gpointer data)
{
  Fixture *f = data;
  MiraConnection *connection = mira_context_get_connection (f->context);

  return f->joined && connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(MiraTestResponse) network = NULL;
  g_autofree char *link = NULL;

  f->db_uri = mira_test_sqlite_uri ();
  f->server = mira_test_server_new (f->db_uri, FALSE);
  network = mira_test_request (f->server, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                               "{\"name\":\"Home\"}");
  g_assert_cmpuint (network->status, ==, 201);
  f->network_id = g_strdup (json_object_get_string_member (mira_test_response_object (network),
                                                           "network_id"));
  f->network_token = g_strdup (json_object_get_string_member (mira_test_response_object (network),
                                                              "network_token"));

  f->settings = g_settings_new (APPLICATION_ID);
  f->context = mira_context_new (f->settings);
  f->window = g_object_new (MIRA_TYPE_WINDOW, "context", f->context, NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (f->window));

  link = mira_join_link_build (mira_test_server_get_url (f->server), f->network_id,
                               f->network_token);
  mira_context_join_async (f->context, link, NULL, NULL, NULL, NULL, join_cb, f);
  g_assert_true (mira_test_gui_wait (is_online, f, TIMEOUT_MS));
  mira_test_gui_settle ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  GtkWindow *dialog;

  while ((dialog = mira_test_gui_find_toplevel (ADW_TYPE_WINDOW)) != NULL &&
         dialog != GTK_WINDOW (f->window))
    gtk_window_destroy (dialog);
  gtk_window_destroy (GTK_WINDOW (f->window));
  mira_context_shutdown (f->context);
  g_clear_object (&f->context);
  g_clear_object (&f->settings);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->server, mira_test_server_free);
  g_free (f->db_uri);
  g_free (f->network_id);
  g_free (f->network_token);
}

static void
show_page (Fixture    *f,
           const char *name)
{
  adw_view_stack_set_visible_child_name (f->window->view_stack, name);
  mira_test_gui_settle ();
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} Shown;

static gboolean
label_shown (gpointer data)
{
  Shown *shown = data;

  return mira_test_gui_find_label (shown->root, shown->text) != NULL;
}

static gboolean
label_gone (gpointer data)
{
  return !label_shown (data);
}

static void
wait_shown (GtkWidget  *root,
            const char *text)
{
  Shown shown = { root, text };

  if (!mira_test_gui_wait (label_shown, &shown, TIMEOUT_MS))
    g_error ("“%s” never showed", text);
}

/* The row (AdwActionRow) whose title is @title */
static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  GtkWidget *label = mira_test_gui_find_label (root, title);

  g_assert_nonnull (label);
  return gtk_widget_get_ancestor (label, ADW_TYPE_ACTION_ROW);
}

/* Today at @hour:@minute UTC, as the API writes it */
static char *
today_at (int hour,
          int minute)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:00Z", g_date_time_get_year (now),
                          g_date_time_get_month (now), g_date_time_get_day_of_month (now),
                          hour, minute);
}

/* Another device writes a reminder, an event, a person and an
 * interaction: each page shows it without anything done in the app
 */
static void
test_other_device (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) reminder = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(JsonObject) interaction = NULL;
  g_autofree char *start = today_at (0, 30);
  g_autofree char *end = today_at (1, 15);
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;

  show_page (f, "reminders");
  reminder = request (f, 201, "POST", "reminders",
                      "{\"title\":\"Call the plumber\",\"due_time\":\"2031-05-04T17:00:00Z\","
                      "\"priority\":\"urgent\"}");
  wait_shown (GTK_WIDGET (f->window->reminders_page), "Call the plumber");
  g_assert_nonnull (mira_test_gui_find_label (GTK_WIDGET (f->window->reminders_page), "Urgent"));

  show_page (f, "calendar");
  body = g_strdup_printf ("{\"title\":\"Choir practice\",\"start_time\":\"%s\","
                          "\"end_time\":\"%s\",\"location\":\"Church hall\"}", start, end);
  event = request (f, 201, "POST", "calendar/events", body);
  /* Today is the day the calendar shows at first */
  wait_shown (GTK_WIDGET (f->window->calendar_page), "Choir practice");
  wait_shown (GTK_WIDGET (f->window->calendar_page), "Church hall");

  show_page (f, "people");
  person = request (f, 201, "POST", "persons", "{\"name\":\"Dora\"}");
  wait_shown (GTK_WIDGET (f->window->people_page), "Dora");
  wait_shown (GTK_WIDGET (f->window->people_page), "Not heard yet · 0 conversations");

  show_page (f, "conversations");
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"content\":\"the boiler is making noises again\","
                          "\"person_id\":\"%s\"}", json_object_get_string_member (person, "id"));
  interaction = request (f, 201, "POST", "interactions", body);
  wait_shown (GTK_WIDGET (f->window->conversations_page), "Dora");
  wait_shown (GTK_WIDGET (f->window->conversations_page), "1 interaction");
  /* And the person who spoke was heard */
  show_page (f, "people");
  wait_shown (GTK_WIDGET (f->window->people_page), "Last heard just now · 1 conversation");

  /* Renamed elsewhere: renamed here */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("persons/%s", json_object_get_string_member (person, "id"));
  g_clear_pointer (&person, json_object_unref);
  person = request (f, 200, "PUT", path, "{\"name\":\"Dora Maar\"}");
  show_page (f, "conversations");
  wait_shown (GTK_WIDGET (f->window->conversations_page), "Dora Maar");
}

static gboolean
has_three_reminders (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (mira_connection_get_reminders (mira_context_get_connection (f->context))) == 3;
}

/* Reminders made while another page is shown are there when the Reminders
 * page is; until then they cost no row widgets, and leaving the page frees
 * its rows (a network that is talked to makes reminders all day)
 */
static void
test_reminders_while_away (Fixture       *f,
                           gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->reminders_page);
  const char *titles[] = { "Water the plants", "Book the dentist", "Pay the rent" };

  show_page (f, "live");
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"title\":\"%s\","
                                               "\"due_time\":\"2031-05-0%uT08:00:00Z\"}",
                                               titles[i], i + 1);
      g_autoptr(JsonObject) reminder = request (f, 201, "POST", "reminders", body);
    }
  g_assert_true (mira_test_gui_wait (has_three_reminders, f, TIMEOUT_MS));
  mira_test_gui_settle ();
  g_assert_cmpuint (mira_test_gui_count_type (page, ADW_TYPE_ACTION_ROW), ==, 0);

  show_page (f, "reminders");
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    wait_shown (page, titles[i]);
  g_assert_cmpuint (mira_test_gui_count_type (page, ADW_TYPE_ACTION_ROW), ==, 3);

  show_page (f, "live");
  g_assert_cmpuint (mira_test_gui_count_type (page, ADW_TYPE_ACTION_ROW), ==, 0);
  show_page (f, "reminders");
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    wait_shown (page, titles[i]);
}

static gboolean
reminder_completed (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];
  const char *id = ((gpointer *) data)[1];
  g_autofree char *path = g_strdup_printf ("reminders/%s", id);
  g_autoptr(JsonObject) reminder = request (f, 200, "GET", path, NULL);

  return g_strcmp0 (json_object_get_string_member (reminder, "status"), "completed") == 0;
}

/* Ticking a reminder's box completes it on the server */
static void
test_complete_reminder (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) reminder = NULL;
  GtkWidget *page = GTK_WIDGET (f->window->reminders_page);
  GtkWidget *check;
  gpointer args[2];

  show_page (f, "reminders");
  reminder = request (f, 201, "POST", "reminders",
                      "{\"title\":\"Feed the cat\",\"due_time\":\"2031-05-04T08:00:00Z\"}");
  wait_shown (page, "Feed the cat");
  g_assert_null (mira_test_gui_find_label (page, "Done"));

  check = mira_test_gui_find_type (find_row (page, "Feed the cat"), GTK_TYPE_CHECK_BUTTON);
  g_assert_nonnull (check);
  g_assert_true (gtk_widget_activate (check));

  args[0] = f;
  args[1] = (gpointer) json_object_get_string_member (reminder, "id");
  g_assert_true (mira_test_gui_wait (reminder_completed, args, TIMEOUT_MS));
  /* It moves to the done ones */
  wait_shown (page, "Done");
}

static gboolean
reminder_created (gpointer data)
{
  Fixture *f = data;
  g_autoptr(JsonObject) list = request (f, 200, "GET", "reminders?limit=50", NULL);
  JsonArray *items = json_object_get_array_member (list, "items");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (item, "title"), "Renew the passport") == 0)
        return g_strcmp0 (json_object_get_string_member (item, "priority"), "high") == 0;
    }
  return FALSE;
}

/* The dialog creates a reminder on the server */
static void
test_create_reminder (Fixture       *f,
                      gconstpointer  data)
{
  GtkWindow *dialog;
  GtkWidget *title;
  GtkWidget *save;
  AdwComboRow *priority;

  show_page (f, "reminders");
  wait_shown (GTK_WIDGET (f->window->reminders_page), "No Reminders");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window->reminders_page),
                                             "reminders.new", NULL));
  dialog = mira_test_gui_find_toplevel (MIRA_TYPE_REMINDER_DIALOG);
  g_assert_nonnull (dialog);
  mira_test_gui_settle ();

  save = mira_test_gui_find_button (GTK_WIDGET (dialog), "Save");
  g_assert_nonnull (save);
  g_assert_false (gtk_widget_get_sensitive (save));
  title = mira_test_gui_find_entry_row (GTK_WIDGET (dialog), "Title");
  g_assert_nonnull (title);
  gtk_editable_set_text (GTK_EDITABLE (title), "Renew the passport");
  g_assert_true (gtk_widget_get_sensitive (save));
  priority = ADW_COMBO_ROW (mira_test_gui_find_type (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW));
  adw_combo_row_set_selected (priority, 2);
  g_assert_true (gtk_widget_activate (save));

  g_assert_true (mira_test_gui_wait (reminder_created, f, TIMEOUT_MS));
  wait_shown (GTK_WIDGET (f->window->reminders_page), "Renew the passport");
}

static gboolean
conversation_status (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];
  const char *id = ((gpointer *) data)[1];
  guint status = GPOINTER_TO_UINT (((gpointer *) data)[2]);
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/conversations/%s", f->network_id, id);
  g_autoptr(MiraTestResponse) response = mira_test_request (f->server, "GET", path,
                                                            f->network_token, NULL);

  return response->status == status;
}

/* Delete hides it at once; Undo brings it back and the server never lost
 * it; without Undo it is deleted on the server
 */
static void
test_delete_conversation (Fixture       *f,
                          gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->conversations_page);
  g_autoptr(JsonObject) interaction = NULL;
  g_autoptr(JsonObject) titled = NULL;
  g_autofree char *path = NULL;
  g_autofree char *conversation_id = NULL;
  Shown title = { page, "Leaking tap" };
  GtkWidget *undo;
  gpointer args[3];

  show_page (f, "conversations");
  interaction = request (f, 201, "POST", "interactions", "{\"content\":\"the tap is leaking\"}");
  conversation_id = g_strdup (json_object_get_string_member (interaction, "conversation_id"));
  path = g_strdup_printf ("conversations/%s", conversation_id);
  titled = request (f, 200, "PUT", path, "{\"title\":\"Leaking tap\"}");
  wait_shown (page, "Leaking tap");

  g_assert_true (mira_conversations_page_select (f->window->conversations_page,
                                                 conversation_id));
  wait_shown (page, "the tap is leaking");
  g_assert_true (gtk_widget_activate_action (page, "conversation.delete", NULL));
  g_assert_true (mira_test_gui_wait (label_gone, &title, TIMEOUT_MS));

  undo = mira_test_gui_find_button (GTK_WIDGET (f->window), "Undo");
  g_assert_nonnull (undo);
  g_assert_true (gtk_widget_activate (undo));
  wait_shown (page, "Leaking tap");
  args[0] = f;
  args[1] = conversation_id;
  args[2] = GUINT_TO_POINTER (200);
  g_assert_true (conversation_status (args));

  /* Again, and the toast goes by itself */
  g_assert_true (mira_conversations_page_select (f->window->conversations_page,
                                                 conversation_id));
  g_assert_true (gtk_widget_activate_action (page, "conversation.delete", NULL));
  g_assert_true (mira_test_gui_wait (label_gone, &title, TIMEOUT_MS));
  args[2] = GUINT_TO_POINTER (404);
  g_assert_true (mira_test_gui_wait (conversation_status, args, TIMEOUT_MS));
  g_assert_null (mira_test_gui_find_label (page, "Leaking tap"));
}

/* The server's answer to GET @path (under the network): its status, and
 * the member @member as text when @expected is given
 */
typedef struct {
  Fixture    *f;
  const char *path;
  guint       status;
  const char *member;
  const char *expected;
  gboolean    is_time;
} ServerHas;

static gboolean
server_has (gpointer data)
{
  ServerHas *has = data;
  g_autofree char *full = g_strdup_printf ("/api/v1/%s/%s", has->f->network_id, has->path);
  g_autoptr(MiraTestResponse) response = mira_test_request (has->f->server, "GET", full,
                                                            has->f->network_token, NULL);
  JsonObject *object;
  const char *value;

  if (response->status != has->status)
    return FALSE;
  if (has->member == NULL)
    return TRUE;
  object = mira_test_response_object (response);
  value = json_object_get_string_member_with_default (object, has->member, NULL);
  if (has->is_time)
    {
      /* The same moment, however it is written */
      g_autoptr(GDateTime) got = value ? g_date_time_new_from_iso8601 (value, NULL) : NULL;
      g_autoptr(GDateTime) expected = g_date_time_new_from_iso8601 (has->expected, NULL);

      return got != NULL && g_date_time_equal (got, expected);
    }
  return g_strcmp0 (value, has->expected) == 0;
}

static void
wait_server_has (Fixture    *f,
                 const char *path,
                 guint       status,
                 const char *member,
                 const char *expected)
{
  ServerHas has = { f, path, status, member, expected, g_str_has_suffix (member ? member : "",
                                                                          "_time") };

  if (!mira_test_gui_wait (server_has, &has, TIMEOUT_MS))
    g_error ("GET %s never answered %u with %s “%s”", path, status, member ? member : "-",
             expected ? expected : "");
}

static void
wait_gone (GtkWidget  *root,
           const char *text)
{
  Shown shown = { root, text };

  if (!mira_test_gui_wait (label_gone, &shown, TIMEOUT_MS))
    g_error ("“%s” never went", text);
}

static gboolean
has_toplevel (gpointer type)
{
  return mira_test_gui_find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static gboolean
no_toplevel (gpointer type)
{
  return !has_toplevel (type);
}

/* The dialog of @type that opened, once drawn */
static GtkWidget *
wait_dialog (GType type)
{
  g_assert_true (mira_test_gui_wait (has_toplevel, GSIZE_TO_POINTER (type), TIMEOUT_MS));
  mira_test_gui_settle ();
  return GTK_WIDGET (mira_test_gui_find_toplevel (type));
}

/* An event of today, opened from its row: edited in the dialog, the page
 * and the server have the new title and place
 */
static void
test_edit_event (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->calendar_page);
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *start = today_at (0, 30);
  g_autofree char *end = today_at (1, 15);
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  GtkWidget *dialog;
  GtkWidget *title;
  GtkWidget *location;
  GtkWidget *save;

  show_page (f, "calendar");
  body = g_strdup_printf ("{\"title\":\"Choir practice\",\"start_time\":\"%s\","
                          "\"end_time\":\"%s\",\"location\":\"Church hall\"}", start, end);
  event = request (f, 201, "POST", "calendar/events", body);
  path = g_strdup_printf ("calendar/events/%s", json_object_get_string_member (event, "id"));
  wait_shown (page, "Choir practice");

  g_signal_emit_by_name (find_row (page, "Choir practice"), "activate");
  dialog = wait_dialog (MIRA_TYPE_EVENT_DIALOG);
  title = mira_test_gui_find_entry_row (dialog, "Title");
  location = mira_test_gui_find_entry_row (dialog, "Location");
  save = mira_test_gui_find_button (dialog, "Save");
  g_assert_nonnull (title);
  g_assert_nonnull (location);
  g_assert_nonnull (save);
  /* The dialog holds the event as it is */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (title)), ==, "Choir practice");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (location)), ==, "Church hall");

  /* No title, no saving */
  gtk_editable_set_text (GTK_EDITABLE (title), "  ");
  g_assert_false (gtk_widget_get_sensitive (save));
  gtk_editable_set_text (GTK_EDITABLE (title), "Choir rehearsal");
  gtk_editable_set_text (GTK_EDITABLE (location), "Town hall");
  g_assert_true (gtk_widget_get_sensitive (save));
  g_assert_true (gtk_widget_activate (save));

  wait_server_has (f, path, 200, "title", "Choir rehearsal");
  wait_server_has (f, path, 200, "location", "Town hall");
  wait_shown (page, "Choir rehearsal");
  wait_shown (page, "Town hall");
  g_assert_null (mira_test_gui_find_label (page, "Choir practice"));
  /* Saved, the dialog goes; the times stayed */
  g_assert_true (mira_test_gui_wait (no_toplevel, GSIZE_TO_POINTER (MIRA_TYPE_EVENT_DIALOG),
                                     TIMEOUT_MS));
  wait_server_has (f, path, 200, "start_time", start);
}

/* The bin of an event's row deletes it, here and on the server */
static void
test_delete_event (Fixture       *f,
                   gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->calendar_page);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autofree char *start = today_at (0, 30);
  g_autofree char *end = today_at (1, 15);
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  GtkWidget *bin;

  show_page (f, "calendar");
  body = g_strdup_printf ("{\"title\":\"Dentist\",\"start_time\":\"%s\",\"end_time\":\"%s\"}",
                          start, end);
  event = request (f, 201, "POST", "calendar/events", body);
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"title\":\"Physiotherapy\",\"start_time\":\"%s\","
                          "\"end_time\":\"%s\"}", start, end);
  other = request (f, 201, "POST", "calendar/events", body);
  path = g_strdup_printf ("calendar/events/%s", json_object_get_string_member (event, "id"));
  wait_shown (page, "Dentist");
  wait_shown (page, "Physiotherapy");

  bin = mira_test_gui_find_type (find_row (page, "Dentist"), GTK_TYPE_BUTTON);
  g_assert_nonnull (bin);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (bin), ==, "Delete");
  g_assert_true (gtk_widget_activate (bin));

  wait_gone (page, "Dentist");
  wait_server_has (f, path, 404, NULL, NULL);
  /* The other one stays */
  g_assert_nonnull (mira_test_gui_find_label (page, "Physiotherapy"));
}

/* The person's row menu: Rename asks for the name (not an empty one), and
 * the page and the server have it
 */
static void
test_rename_person (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->people_page);
  g_autoptr(JsonObject) person = NULL;
  g_autofree char *path = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  show_page (f, "people");
  person = request (f, 201, "POST", "persons", "{\"name\":\"Dora\"}");
  path = g_strdup_printf ("persons/%s", json_object_get_string_member (person, "id"));
  wait_shown (page, "Dora");

  g_assert_true (gtk_widget_activate_action (find_row (page, "Dora"), "person.rename", NULL));
  dialog = ADW_MESSAGE_DIALOG (wait_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Rename Person");
  entry = mira_test_gui_find_type (GTK_WIDGET (dialog), GTK_TYPE_ENTRY);
  g_assert_nonnull (entry);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "Dora");

  gtk_editable_set_text (GTK_EDITABLE (entry), " ");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "rename"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Dora Maar");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "rename"));
  adw_message_dialog_response (dialog, "rename");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_server_has (f, path, 200, "name", "Dora Maar");
  wait_shown (page, "Dora Maar");
  g_assert_null (mira_test_gui_find_label (page, "Dora"));
}

/* Merge Into… another person: the one picked stays and becomes the
 * speaker of what this one said; this one goes, here and on the server
 */
static void
test_merge_person (Fixture       *f,
                   gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (f->window->people_page);
  g_autoptr(JsonObject) dora = NULL;
  g_autoptr(JsonObject) double_ = NULL;
  g_autoptr(JsonObject) interaction = NULL;
  g_autofree char *double_path = NULL;
  g_autofree char *interaction_path = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkDropDown *others;
  GListModel *names;
  guint picked = G_MAXUINT;

  show_page (f, "people");
  dora = request (f, 201, "POST", "persons", "{\"name\":\"Dora\"}");
  double_ = request (f, 201, "POST", "persons", "{\"name\":\"Dora M.\"}");
  body = g_strdup_printf ("{\"content\":\"the boiler is making noises again\","
                          "\"person_id\":\"%s\"}", json_object_get_string_member (double_, "id"));
  interaction = request (f, 201, "POST", "interactions", body);
  double_path = g_strdup_printf ("persons/%s", json_object_get_string_member (double_, "id"));
  interaction_path = g_strdup_printf ("interactions/%s",
                                      json_object_get_string_member (interaction, "id"));
  wait_shown (page, "Dora M.");
  wait_shown (page, "Dora");
  wait_shown (page, "Last heard just now · 1 conversation");

  g_assert_true (gtk_widget_activate_action (find_row (page, "Dora M."), "person.merge", NULL));
  dialog = ADW_MESSAGE_DIALOG (wait_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Merge “Dora M.” Into…");
  others = GTK_DROP_DOWN (mira_test_gui_find_type (GTK_WIDGET (dialog), GTK_TYPE_DROP_DOWN));
  g_assert_nonnull (others);
  /* Everyone but this one */
  names = gtk_drop_down_get_model (others);
  g_assert_cmpuint (g_list_model_get_n_items (names), ==, 1);
  for (guint i = 0; i < g_list_model_get_n_items (names); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (names), i), "Dora") == 0)
      picked = i;
  g_assert_cmpuint (picked, !=, G_MAXUINT);
  gtk_drop_down_set_selected (others, picked);
  adw_message_dialog_response (dialog, "merge");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_gone (page, "Dora M.");
  wait_server_has (f, double_path, 404, NULL, NULL);
  wait_server_has (f, interaction_path, 200, "person_id", json_object_get_string_member (dora, "id"));
  /* Dora is now the one who said it */
  wait_shown (page, "Last heard just now · 1 conversation");
  g_assert_nonnull (mira_test_gui_find_label (page, "Dora"));
}

/* A transcript of 100,000 interactions */

#define N_BIG 100000

static gboolean
transcript_full (gpointer data)
{
  MiraConversationsPage *page = data;
  GListModel *transcript = mira_conversations_page_get_transcript (page);

  return transcript != NULL && g_list_model_get_n_items (transcript) == N_BIG;
}

/* The transcript rows that exist, and the lowest "words N" they show */
static void
count_rows (GtkWidget *widget,
            guint     *n_rows,
            gint64    *lowest)
{
  if (MIRA_IS_TRANSCRIPT_ROW (widget))
    {
      MiraInteractionItem *item = mira_transcript_row_get_item (MIRA_TRANSCRIPT_ROW (widget));
      const char *content = item ? mira_interaction_item_get_content (item) : NULL;

      (*n_rows)++;
      if (content != NULL && g_str_has_prefix (content, "words ") && gtk_widget_get_mapped (widget))
        *lowest = MIN (*lowest, g_ascii_strtoll (content + 6, NULL, 10));
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count_rows (child, n_rows, lowest);
}

typedef struct {
  GtkWidget *view;
  gint64     from;
  gint64     to;
} Around;

static gboolean
shows_words_around (gpointer data)
{
  Around *around = data;
  guint n_rows = 0;
  gint64 lowest = G_MAXINT64;

  count_rows (around->view, &n_rows, &lowest);
  return lowest >= around->from && lowest <= around->to;
}

static void
test_long_transcript (Fixture       *f,
                      gconstpointer  data)
{
  MiraConversationsPage *page = f->window->conversations_page;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) conversation = NULL;
  const char *conversation_id;
  GtkWidget *view;
  GtkScrolledWindow *scroller;
  GtkAdjustment *vadj;
  Around around;
  guint n_rows = 0;
  gint64 lowest = G_MAXINT64;
  gint64 start_us;

  conversation = request (f, 201, "POST", "conversations", "{\"title\":\"A very long day\"}");
  conversation_id = json_object_get_string_member (conversation, "id");
  db = mira_db_open (f->db_uri, &error);
  g_assert_no_error (error);
  res = mira_db_query (db,
                       "INSERT INTO interactions (id, network_id, conversation_id, text, timestamp)"
                       " WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                       " WHERE i < $3 - 1)"
                       " SELECT printf('%08x-0000-4000-8000-%012x', i, i),"
                       " (SELECT id FROM networks WHERE network_id = $1), $2, 'words ' || i,"
                       " strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds')"
                       " FROM n",
                       3, (const char *[]) { f->network_id, conversation_id, G_STRINGIFY (N_BIG) },
                       &error);
  g_assert_no_error (error);

  show_page (f, "conversations");
  wait_shown (GTK_WIDGET (page), "A very long day");
  start_us = g_get_monotonic_time ();
  g_assert_true (mira_conversations_page_select (page, conversation_id));
  g_assert_true (mira_test_gui_wait (transcript_full, page, TIMEOUT_MS));
  view = mira_test_gui_find_type (GTK_WIDGET (page), GTK_TYPE_LIST_VIEW);
  /* The conversations' list comes first; the transcript is the other one */
  view = gtk_widget_get_ancestor (mira_test_gui_find_type (GTK_WIDGET (page),
                                                           MIRA_TYPE_TRANSCRIPT_ROW),
                                  GTK_TYPE_LIST_VIEW);
  g_assert_nonnull (view);
  around = (Around) { view, 0, 99 };
  g_assert_true (mira_test_gui_wait (shows_words_around, &around, TIMEOUT_MS));
  g_test_message ("100000 interactions: the transcript showed its first words after %.0f ms",
                  (g_get_monotonic_time () - start_us) / 1e3);

  /* Halfway down: the words there come, page by page */
  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (view, GTK_TYPE_SCROLLED_WINDOW));
  vadj = gtk_scrolled_window_get_vadjustment (scroller);
  start_us = g_get_monotonic_time ();
  gtk_adjustment_set_value (vadj, gtk_adjustment_get_upper (vadj) / 2);
  around = (Around) { view, 30000, 70000 };
  g_assert_true (mira_test_gui_wait (shows_words_around, &around, TIMEOUT_MS));
  g_test_message ("scrolled halfway, the words there showed after %.0f ms",
                  (g_get_monotonic_time () - start_us) / 1e3);

  /* And to the end */
  gtk_adjustment_set_value (vadj, gtk_adjustment_get_upper (vadj));
  around = (Around) { view, N_BIG - 100, N_BIG - 1 };
  g_assert_true (mira_test_gui_wait (shows_words_around, &around, TIMEOUT_MS));

  /* Rows for what is on screen, not one per interaction */
  count_rows (view, &n_rows, &lowest);
  g_test_message ("%u row widgets for %u interactions", n_rows, N_BIG);
  g_assert_cmpuint (n_rows, <, 300);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  adw_init ();
  mira_test_gui_init ();

#define ADD(path, func) \
  g_test_add ("/pages/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("other-device", test_other_device);
  ADD ("complete-reminder", test_complete_reminder);
  ADD ("create-reminder", test_create_reminder);
  ADD ("reminders-while-away", test_reminders_while_away);
  ADD ("delete-conversation", test_delete_conversation);
  ADD ("edit-event", test_edit_event);
  ADD ("delete-event", test_delete_event);
  ADD ("rename-person", test_rename_person);
  ADD ("merge-person", test_merge_person);
  ADD ("long-transcript", test_long_transcript);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
