/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-live-page"

/* The Live page in a real window under Xvfb, for a context that joined a
 * real server's network: what it shows before and after, how its panels
 * sit at a desktop's and a phone's width, and a transcript that keeps the
 * newest words in view until the user scrolls up to read. And the record
 * button, when the microphone cannot be opened.
 */

#include "config.h"

#include <adwaita.h>

#include "mira-client-row.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-live-page.h"
#include "mira-record-button.h"
#include "mira-score-graph.h"
#include "mira-test-gui.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-transcript-row.h"

#define TIMEOUT_MS 20000

typedef struct {
  char           *db_uri;
  MiraTestServer *server;
  char           *network_id;
  char           *network_token;
  GSettings      *settings;
  MiraContext    *context;
  GtkWindow      *window;
  GtkWidget      *page;
  gboolean        joined;
  guint           n_posted;
} Fixture;

static JsonObject *
request_object (MiraTestServer *server,
                guint           status,
                const char     *method,
                const char     *path,
                const char     *token,
                const char     *body)
{
  g_autoptr(MiraTestResponse) response = mira_test_request (server, method, path, token, body);

  g_assert_cmpuint (response->status, ==, status);
  return json_object_ref (mira_test_response_object (response));
}

static void
post_interaction (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/interactions", f->network_id);
  g_autofree char *body = g_strdup_printf ("{\"content\":\"words number %u\"}", ++f->n_posted);
  g_autoptr(JsonObject) interaction = request_object (f->server, 201, "POST", path, f->network_token, body);
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
joined (gpointer data)
{
  Fixture *f = data;

  return f->joined;
}

static gboolean
live_shown (gpointer data)
{
  Fixture *f = data;

  return mira_test_gui_find_label (f->page, "Devices") != NULL &&
         mira_test_gui_find_type (f->page, MIRA_TYPE_CLIENT_ROW) != NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) network = NULL;

  f->db_uri = mira_test_sqlite_uri ();
  f->server = mira_test_server_new (f->db_uri, FALSE);
  network = request_object (f->server, 201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                            "{\"name\":\"Home\"}");
  f->network_id = g_strdup (json_object_get_string_member (network, "network_id"));
  f->network_token = g_strdup (json_object_get_string_member (network, "network_token"));

  f->settings = g_settings_new (APPLICATION_ID);
  f->context = mira_context_new (f->settings);
  f->page = mira_live_page_new (f->context);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (f->window, f->page);
  gtk_window_set_default_size (f->window, 1000, 700);
  gtk_window_present (f->window);
  mira_test_gui_settle ();
}

static void
fixture_join (Fixture *f)
{
  g_autofree char *link = mira_join_link_build (mira_test_server_get_url (f->server),
                                                f->network_id, f->network_token);

  mira_context_join_async (f->context, link, NULL, NULL, NULL, NULL, join_cb, f);
  g_assert_true (mira_test_gui_wait (joined, f, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (live_shown, f, TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (f->window);
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

/* Before it joins, the page says so; after, it lists this computer */
static void
test_states (Fixture       *f,
             gconstpointer  data)
{
  MiraClientRow *row;
  GtkWidget *label;

  g_assert_nonnull (mira_test_gui_find_label (f->page, "Not Connected"));
  g_assert_null (mira_test_gui_find_label (f->page, "Devices"));

  fixture_join (f);

  g_assert_null (mira_test_gui_find_label (f->page, "Not Connected"));
  row = MIRA_CLIENT_ROW (mira_test_gui_find_type (f->page, MIRA_TYPE_CLIENT_ROW));
  g_assert_true (mira_client_item_get_is_self (mira_client_row_get_item (row)));
  label = mira_test_gui_find_label (GTK_WIDGET (row), mira_client_item_get_display_name (mira_client_row_get_item (row)));
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_mapped (label));

  /* Nothing said yet: the transcript says how it fills */
  g_assert_nonnull (mira_test_gui_find_label (f->page, "Nothing said yet"));
}

static void
assert_allocation (GtkWidget       *widget,
                   GtkWidget       *relative_to,
                   graphene_rect_t *bounds)
{
  g_assert_true (gtk_widget_compute_bounds (widget, relative_to, bounds));
  g_assert_cmpfloat (bounds->size.width, >, 0);
  g_assert_cmpfloat (bounds->size.height, >, 0);
}

/* Side by side on a desktop; stacked, and still inside, on a phone */
static void
test_adaptive (Fixture       *f,
               gconstpointer  data)
{
  graphene_rect_t clients, graph, transcript;
  GtkWidget *graph_widget;
  GtkWidget *row;

  fixture_join (f);
  post_interaction (f);

  g_assert_true (mira_test_gui_resize (f->window, 1000, 700));
  mira_test_gui_settle ();
  row = mira_test_gui_find_type (f->page, MIRA_TYPE_CLIENT_ROW);
  graph_widget = mira_test_gui_find_type (f->page, MIRA_TYPE_SCORE_GRAPH);
  assert_allocation (row, f->page, &clients);
  assert_allocation (graph_widget, f->page, &graph);
  g_assert_cmpfloat (clients.origin.x + clients.size.width, <, graph.origin.x);
  g_assert_cmpfloat (clients.origin.y, <, graph.origin.y + graph.size.height);

  g_assert_true (mira_test_gui_resize (f->window, 360, 720));
  mira_test_gui_settle ();
  row = mira_test_gui_find_type (f->page, MIRA_TYPE_CLIENT_ROW);
  graph_widget = mira_test_gui_find_type (f->page, MIRA_TYPE_SCORE_GRAPH);
  assert_allocation (row, f->page, &clients);
  assert_allocation (graph_widget, f->page, &graph);
  assert_allocation (mira_test_gui_find_type (f->page, MIRA_TYPE_TRANSCRIPT_ROW), f->page, &transcript);
  g_assert_cmpfloat (clients.origin.y + clients.size.height, <=, graph.origin.y);
  g_assert_cmpfloat (graph.origin.y + graph.size.height, <=, transcript.origin.y);
  g_assert_cmpfloat (transcript.origin.y + transcript.size.height, <=, 720);
  g_assert_cmpfloat (graph.origin.x, >=, 0);
  g_assert_cmpfloat (graph.origin.x + graph.size.width, <=, 360);
  g_assert_cmpfloat (clients.origin.x + clients.size.width, <=, 360);
}

static GtkAdjustment *
transcript_adjustment (Fixture *f)
{
  GtkWidget *row = mira_test_gui_find_type (f->page, MIRA_TYPE_TRANSCRIPT_ROW);
  GtkWidget *scroller = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
}

static guint
n_interactions (Fixture *f)
{
  return g_list_model_get_n_items (mira_connection_get_interactions (mira_context_get_connection (f->context)));
}

static gboolean
all_arrived (gpointer data)
{
  Fixture *f = data;

  return n_interactions (f) == f->n_posted;
}

/* The row of the newest words is on screen, inside the transcript's view */
static gboolean
newest_in_view (gpointer data)
{
  Fixture *f = data;
  g_autofree char *text = g_strdup_printf ("words number %u", f->n_posted);
  GtkWidget *label = mira_test_gui_find_label (f->page, text);
  GtkWidget *scroller;
  graphene_rect_t bounds;

  if (label == NULL || !gtk_widget_get_mapped (label))
    return FALSE;

  scroller = gtk_widget_get_ancestor (label, GTK_TYPE_SCROLLED_WINDOW);
  return gtk_widget_compute_bounds (label, scroller, &bounds) &&
         bounds.size.height > 0 &&
         bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller) + 1;
}

static void
test_transcript_follows (Fixture       *f,
                         gconstpointer  data)
{
  GtkAdjustment *vadj;

  fixture_join (f);

  /* Far more words than fit: the view follows the newest */
  for (guint i = 0; i < 30; i++)
    post_interaction (f);
  g_assert_true (mira_test_gui_wait (all_arrived, f, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (newest_in_view, f, TIMEOUT_MS));
  vadj = transcript_adjustment (f);
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadj), >, 2 * gtk_adjustment_get_page_size (vadj));

  /* The user scrolls up to read: new words do not pull the view away */
  gtk_adjustment_set_value (vadj, 0);
  mira_test_gui_settle ();
  post_interaction (f);
  g_assert_true (mira_test_gui_wait (all_arrived, f, TIMEOUT_MS));
  mira_test_gui_settle ();
  g_assert_cmpfloat (gtk_adjustment_get_value (vadj), <, 1);
  g_assert_false (newest_in_view (f));
  g_assert_nonnull (mira_test_gui_find_label (f->page, "words number 1"));

  /* Back at the bottom, it follows again */
  gtk_adjustment_set_value (vadj, gtk_adjustment_get_upper (vadj) - gtk_adjustment_get_page_size (vadj));
  mira_test_gui_settle ();
  post_interaction (f);
  g_assert_true (mira_test_gui_wait (all_arrived, f, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (newest_in_view, f, TIMEOUT_MS));
}

static gboolean
button_settled (gpointer data)
{
  GtkWidget *button = data;
  MiraCapture *capture = mira_record_button_get_capture (MIRA_RECORD_BUTTON (button));

  return mira_capture_get_state (capture) == MIRA_CAPTURE_STATE_FAILED &&
         !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button));
}

/* A microphone that cannot be opened: the button pops back out and says
 * why, and the page goes on
 */
static void
test_record_failure (Fixture       *f,
                     gconstpointer  data)
{
  GtkWidget *button = mira_record_button_new (mira_context_get_capture (f->context));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  const GError *error;
  g_autofree char *expected = NULL;

  fixture_join (f);
  g_object_ref (f->page);
  gtk_window_set_child (f->window, NULL);
  gtk_box_append (GTK_BOX (box), button);
  gtk_box_append (GTK_BOX (box), f->page);
  g_object_unref (f->page);
  gtk_window_set_child (f->window, box);
  mira_test_gui_settle ();

  g_setenv ("MIRA_AUDIO_SOURCE", "filesrc location=/nonexistent/microphone.wav ! wavparse", TRUE);
  gtk_widget_activate (button);
  g_assert_true (mira_test_gui_wait (button_settled, button, TIMEOUT_MS));
  g_unsetenv ("MIRA_AUDIO_SOURCE");

  error = mira_capture_get_error (mira_context_get_capture (f->context));
  g_assert_nonnull (error);
  expected = g_strdup_printf ("Not recording: %s", error->message);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, expected);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_nonnull (mira_test_gui_find_label (f->page, "Devices"));
}

/* The page shown, and whether it read "No Devices Yet" with its button */
static void
record_page (GtkStack   *stack,
             GParamSpec *pspec,
             GPtrArray  *pages)
{
  GtkWidget *page = gtk_widget_get_parent (GTK_WIDGET (stack));
  const char *name = gtk_stack_get_visible_child_name (stack);

  if (g_strcmp0 (name, "empty") == 0 &&
      mira_test_gui_find_label (page, "No Devices Yet") != NULL &&
      mira_test_gui_find_button (page, "Add a Device") != NULL)
    name = "empty, read";
  else if (g_strcmp0 (name, "connecting") == 0 &&
           mira_test_gui_find_label (page, "Connecting…") != NULL)
    name = "connecting, read";
  g_ptr_array_add (pages, g_strdup (name));
}

static gboolean
page_is (gpointer data)
{
  GPtrArray *pages = data;

  return pages->len > 0 &&
         g_str_has_prefix (g_ptr_array_index (pages, pages->len - 1), "connecting");
}

/* "Connecting…" while the context joins; "No Devices Yet" when the last
 * device (this computer, deregistered by another device with the network
 * token) leaves; then "Connecting…" again with the server's refusal, as its
 * session token no longer works
 */
static void
test_connecting_and_empty (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *link = mira_join_link_build (mira_test_server_get_url (f->server),
                                                f->network_id, f->network_token);
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MiraTestResponse) response = NULL;
  g_autofree char *path = NULL;
  GtkStack *stack;
  guint empty_at = G_MAXUINT;

  g_assert_nonnull (mira_test_gui_find_label (f->page, "Not Connected"));
  stack = GTK_STACK (gtk_widget_get_first_child (f->page));
  g_assert_true (GTK_IS_STACK (stack));
  g_signal_connect (stack, "notify::visible-child-name", G_CALLBACK (record_page), pages);

  mira_context_join_async (f->context, link, NULL, NULL, NULL, NULL, join_cb, f);
  g_assert_true (mira_test_gui_wait (joined, f, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (live_shown, f, TIMEOUT_MS));
  /* However fast the join, "Connecting…" was the first page it showed */
  g_assert_cmpuint (pages->len, >, 0);
  g_assert_cmpstr (g_ptr_array_index (pages, 0), ==, "connecting, read");
  g_ptr_array_set_size (pages, 0);

  path = g_strdup_printf ("/api/v1/%s/service/client/deregister/%s", f->network_id,
                          mira_connection_get_client_id (mira_context_get_connection (f->context)));
  response = mira_test_request (f->server, "DELETE", path, f->network_token, NULL);
  g_assert_cmpuint (response->status, ==, 204);

  g_assert_true (mira_test_gui_wait (page_is, pages, TIMEOUT_MS));
  for (guint i = 0; i < pages->len; i++)
    if (g_str_equal (g_ptr_array_index (pages, i), "empty, read"))
      empty_at = i;
  /* The device left while the connection was still up: No Devices Yet,
   * with the way to add one
   */
  g_assert_cmpuint (empty_at, <, pages->len - 1);
  g_signal_handlers_disconnect_by_func (stack, record_page, pages);
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
  g_test_add ("/live-page/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("states", test_states);
  ADD ("connecting-and-empty", test_connecting_and_empty);
  ADD ("adaptive", test_adaptive);
  ADD ("transcript-follows", test_transcript_follows);
  g_test_add ("/record-button/failure", Fixture, NULL, fixture_set_up, test_record_failure, fixture_tear_down);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
