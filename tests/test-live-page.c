/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-live-page"

/* The Live page in a real window under Xvfb, for a context that joined a
 * real server's network: what it shows before and after, how its panels
 * sit at a desktop's and a phone's width, and a transcript that keeps the
 * newest words in view until the user scrolls up to read, and a score
 * graph that follows a device's live stream. And the record button, when
 * the microphone cannot be opened.
 */

#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "mira-client-row.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-core-private.h"
#include "mira-live-page.h"
#include "mira-record-button.h"
#include "mira-score-graph.h"
#include "mira-test-gui.h"
#include "mira-test-live.h"
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

/* A button for win.add-device that is on screen under @root, or NULL */
static GtkWidget *
find_add_device_button (GtkWidget *root)
{
  if (!gtk_widget_is_drawable (root))
    return NULL;
  if (GTK_IS_BUTTON (root) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), "win.add-device") == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_add_device_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
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
  /* Joined, not hosting: no Add a Device button that could only be greyed */
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_JOIN);
  g_assert_null (find_add_device_button (f->page));

  /* Online but not recording: idle, not "Last seen at …" */
  g_assert_nonnull (mira_test_gui_find_label (GTK_WIDGET (row), "Not recording · This computer"));

  /* The server's last choice, on a device that streams no more, is not
   * shown as selected
   */
  mira_client_item_set_is_best (mira_client_row_get_item (row), TRUE);
  mira_client_item_set_status (mira_client_row_get_item (row), MIRA_CLIENT_STATUS_DISCONNECTED);
  mira_test_gui_settle ();
  g_assert_null (mira_test_gui_find_label (GTK_WIDGET (row), "Selected"));
  mira_client_item_set_status (mira_client_row_get_item (row), MIRA_CLIENT_STATUS_CONNECTED);
  mira_test_gui_settle ();
  g_assert_nonnull (mira_test_gui_find_label (GTK_WIDGET (row), "Selected"));

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

/* The newest of f->n_posted is the model's last item */
static gboolean
newest_arrived (gpointer data)
{
  Fixture *f = data;
  GListModel *interactions = mira_connection_get_interactions (mira_context_get_connection (f->context));
  guint n = g_list_model_get_n_items (interactions);
  g_autoptr(MiraInteractionItem) item = n > 0 ? g_list_model_get_item (interactions, n - 1) : NULL;
  g_autofree char *text = g_strdup_printf ("words number %u", f->n_posted);

  return item != NULL && g_strcmp0 (mira_interaction_item_get_content (item), text) == 0;
}

/* A network talked to for hours: the Live page shows the newest words, as
 * many as it loads when it connects, and drops the oldest as new ones come,
 * so that it holds as many rows after an hour as after five minutes (the
 * Conversations page keeps every word)
 */
static void
test_transcript_latest (Fixture       *f,
                        gconstpointer  data)
{
  guint n = MIRA_CONNECTION_LIVE_INTERACTIONS;
  g_autofree char *oldest_kept = g_strdup_printf ("words number %u", 5 + 1);
  GtkAdjustment *vadj;

  fixture_join (f);
  for (guint i = 0; i < n + 5; i++)
    post_interaction (f);
  g_assert_true (mira_test_gui_wait (newest_arrived, f, TIMEOUT_MS));
  g_assert_true (mira_test_gui_wait (newest_in_view, f, TIMEOUT_MS));
  g_assert_cmpuint (n_interactions (f), ==, n);
  g_assert_cmpuint (mira_test_gui_count_type (f->page, MIRA_TYPE_TRANSCRIPT_ROW), <=, n);

  /* At the top of the transcript: the sixth words, not the first five */
  vadj = transcript_adjustment (f);
  gtk_adjustment_set_value (vadj, 0);
  mira_test_gui_settle ();
  g_assert_nonnull (mira_test_gui_find_label (f->page, oldest_kept));
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *dropped = g_strdup_printf ("words number %u", i);

      g_assert_null (mira_test_gui_find_label (f->page, dropped));
    }

  /* One more: the sixth goes, the newest comes */
  post_interaction (f);
  g_assert_true (mira_test_gui_wait (newest_arrived, f, TIMEOUT_MS));
  mira_test_gui_settle ();
  g_assert_cmpuint (n_interactions (f), ==, n);
  g_assert_null (mira_test_gui_find_label (f->page, oldest_kept));
  g_assert_cmpuint (mira_test_gui_count_type (f->page, MIRA_TYPE_TRANSCRIPT_ROW), <=, n);
}

/* A speaker in the room: registers and streams quiet noise in real time
 * over its audio socket, from a thread of its own, until told to stop
 */
#define SPEAKER_ID "kitchen-speaker"
#define CHUNK 320   /* 20 ms at 16 kHz */

typedef struct {
  char    *base_url;
  char    *network_id;
  char    *network_token;
  GThread *thread;
  gint     quit;   /* atomic */
} Speaker;

static gpointer
speaker_thread (gpointer data)
{
  Speaker *speaker = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (speaker->base_url);
  g_autoptr(MiraTestResponse) response = NULL;
  g_autoptr(MiraTestSocket) socket = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree char *path = NULL;
  g_autofree char *ws_path = NULL;
  const char *format = "{\"rate\":16000,\"width\":2,\"channels\":1}";
  g_autofree char *start = g_strdup_printf ("{\"type\":\"audio-start\",\"data\":%s}\n", format);
  g_autofree char *chunk = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":%s,"
                                            "\"payload_length\":%d}\n", format, CHUNK * 2);
  gint16 pcm[CHUNK];
  gint64 start_us;

  path = g_strdup_printf ("/api/v1/%s/service/client/register/%s", speaker->network_id,
                          SPEAKER_ID);
  response = mira_test_client_request (client, "POST", path, speaker->network_token,
                                       "{\"device_type\":\"speaker\"}");
  g_assert_cmpuint (response->status, ==, 201);
  ws_path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s", speaker->network_id, SPEAKER_ID,
                             json_object_get_string_member (json_node_get_object (response->json),
                                                            "session_token"));
  socket = mira_test_socket_connect (client, ws_path);
  g_assert_nonnull (mira_test_socket_wait_for (socket, "ready", 0, 10000, NULL));

  mira_test_socket_send_text (socket, start);
  start_us = g_get_monotonic_time ();
  for (gint64 n = 0; !g_atomic_int_get (&speaker->quit); n++)
    {
      gint64 due = start_us + n * 20000;
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        mira_test_client_run (client, (guint) ((due - now + 999) / 1000));
      else
        mira_test_client_flush (client);
      for (guint i = 0; i < CHUNK; i++)
        pcm[i] = (gint16) g_rand_int_range (rand, -300, 301);
      mira_test_socket_send_text (socket, chunk);
      mira_test_socket_send_binary (socket, pcm, sizeof pcm);
    }
  mira_test_socket_close (socket);
  mira_test_client_run (client, 100);
  return NULL;
}

static MiraClientItem *
speaker_item (Fixture *f)
{
  MiraConnection *connection = mira_context_get_connection (f->context);

  return connection != NULL ? mira_connection_lookup_client (connection, SPEAKER_ID) : NULL;
}

/* The speaker's newest score is at most 300 ms old, and newer than
 * scored_after_us (real time, µs)
 */
static gint64 scored_after_us;

static gboolean
speaker_scored_now (gpointer data)
{
  MiraClientItem *item = speaker_item (data);
  const MiraScorePoint *points;
  guint n_points = 0;

  if (item == NULL)
    return FALSE;
  points = mira_client_item_get_history (item, &n_points);
  return n_points > 0 && points[n_points - 1].time_us > scored_after_us &&
         points[n_points - 1].time_us > g_get_real_time () - 300 * 1000;
}

/* The graph's drawing as of now, as laid out (not its window's last
 * frame), and where its content lies in it
 */
static GskRenderNode *
snapshot_graph_now (GtkWidget       *graph,
                    graphene_rect_t *bounds)
{
  GtkWidget *parent = gtk_widget_get_parent (graph);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  graphene_point_t origin;
  GskRenderNode *node;

  g_assert_true (gtk_widget_compute_point (graph, parent, &GRAPHENE_POINT_INIT (0, 0), &origin));
  graphene_rect_init (bounds, origin.x, origin.y,
                      gtk_widget_get_width (graph), gtk_widget_get_height (graph));
  gtk_widget_queue_draw (graph);
  gtk_widget_snapshot_child (parent, graph, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  return node;
}

/* @node's pixels in @bounds, B G R A premultiplied */
static guchar *
render_node (GtkWidget             *graph,
             GskRenderNode         *node,
             const graphene_rect_t *bounds)
{
  g_autoptr(GdkTexture) texture = NULL;
  int width = bounds->size.width;
  guchar *pixels;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (graph)),
                                         node, bounds);
  pixels = g_malloc ((gsize) width * bounds->size.height * 4);
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  return pixels;
}

/* The graph drawn now: its pixels, B G R A premultiplied */
static guchar *
render_graph_now (GtkWidget *graph,
                  int       *width,
                  int       *height)
{
  g_autoptr(GskRenderNode) node = NULL;
  graphene_rect_t bounds;

  node = snapshot_graph_now (graph, &bounds);
  *width = bounds.size.width;
  *height = bounds.size.height;
  return render_node (graph, node, &bounds);
}

/* The graph as it is drawn now, laid out as before a frame: the new
 * device's row may have moved it
 */
static guchar *
render_graph (GtkWidget *graph,
              int       *width,
              int       *height)
{
  mira_test_gui_settle ();
  return render_graph_now (graph, width, height);
}

/* The rightmost column holding the colour of stream @position's line, as
 * drawn (opaque when selected, three quarters over the background
 * otherwise), and how many pixels have it; -1 when none
 */
static int
line_head (const guchar *pixels,
           int           width,
           int           height,
           guint         position,
           guint        *n_pixels)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  guint32 background = 0;
  guint best_count = 0;
  double bg[3], expected[2][3];
  GdkRGBA color;
  int head = -1;

  /* The background is the most common colour */
  for (int i = 0; i < width * height; i++)
    {
      guint32 key = ((const guint32 *) pixels)[i];
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (key))) + 1;

      g_hash_table_insert (counts, GUINT_TO_POINTER (key), GUINT_TO_POINTER (count));
      if (count > best_count)
        {
          best_count = count;
          background = key;
        }
    }
  for (int c = 0; c < 3; c++)
    bg[c] = ((const guchar *) &background)[c];

  mira_score_graph_stream_color (position, adw_style_manager_get_dark (adw_style_manager_get_default ()),
                                 &color);
  for (int a = 0; a < 2; a++)
    {
      double alpha = a == 0 ? 1.0 : 0.75;
      double rgb[3] = { color.blue * 255, color.green * 255, color.red * 255 };

      for (int c = 0; c < 3; c++)
        expected[a][c] = alpha * rgb[c] + (1 - alpha) * bg[c];
    }

  *n_pixels = 0;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guchar *p = pixels + ((gsize) y * width + x) * 4;

        for (int a = 0; a < 2; a++)
          if (fabs (p[0] - expected[a][0]) <= 6 && fabs (p[1] - expected[a][1]) <= 6 &&
              fabs (p[2] - expected[a][2]) <= 6)
            {
              (*n_pixels)++;
              head = MAX (head, x);
              break;
            }
      }
  return head;
}

/* Joins, has @speaker stream into the network, and returns the Live page's
 * score graph once the speaker's first score has come
 */
static GtkWidget *
join_with_speaker (Fixture *f,
                   Speaker *speaker)
{
  GtkWidget *graph;

  fixture_join (f);
  speaker->base_url = g_strdup (mira_test_server_get_url (f->server));
  speaker->network_id = f->network_id;
  speaker->network_token = f->network_token;
  speaker->thread = g_thread_new ("kitchen-speaker", speaker_thread, speaker);

  scored_after_us = 0;
  g_assert_true (mira_test_gui_wait (speaker_scored_now, f, TIMEOUT_MS));
  graph = mira_test_gui_find_type (f->page, MIRA_TYPE_SCORE_GRAPH);
  g_assert_nonnull (graph);
  return graph;
}

/* The graph draws a device's stream as its scores come, its newest score
 * at the right ("now"), and keeps up: four seconds later the line's head
 * is there again, not where it was
 */
static void
test_graph_follows_scores (Fixture       *f,
                           gconstpointer  data)
{
  Speaker speaker = { 0 };
  GtkWidget *graph;
  GListModel *clients;
  g_autofree guchar *before = NULL;
  g_autofree guchar *after = NULL;
  guint position = G_MAXUINT, n_before, n_after;
  int width, height, head_before, head_after;
  double px_per_s, slack_px;

  graph = join_with_speaker (f, &speaker);
  g_assert_true (gtk_widget_get_mapped (graph));
  clients = mira_connection_get_clients (mira_context_get_connection (f->context));
  for (guint i = 0; i < g_list_model_get_n_items (clients); i++)
    {
      g_autoptr(MiraClientItem) item = g_list_model_get_item (clients, i);

      if (item == speaker_item (f))
        position = i;
    }
  g_assert_cmpuint (position, !=, G_MAXUINT);

  /* The plot spans the widget but for the score labels and a margin:
   * 60 s across
   */
  before = render_graph (graph, &width, &height);
  px_per_s = (width - 40) / 60.0;
  slack_px = 1.5 * px_per_s + 6;   /* 300 ms old, and the dot's radius */
  head_before = line_head (before, width, height, position, &n_before);
  g_test_message ("graph %d×%d: the speaker's line has %u pixels, its head at x = %d",
                  width, height, n_before, head_before);
  g_assert_cmpuint (n_before, >, 10);
  g_assert_cmpfloat (head_before, >=, width - 4 - slack_px);

  /* Four seconds on, with the scores since */
  scored_after_us = g_get_real_time () + 4 * G_USEC_PER_SEC;
  g_assert_true (mira_test_gui_wait (speaker_scored_now, f, TIMEOUT_MS));
  after = render_graph (graph, &width, &height);
  head_after = line_head (after, width, height, position, &n_after);
  g_test_message ("four seconds on: %u pixels, its head at x = %d", n_after, head_after);
  g_assert_cmpuint (n_after, >, n_before);
  g_assert_cmpfloat (head_after, >=, width - 4 - slack_px);

  g_atomic_int_set (&speaker.quit, TRUE);
  g_thread_join (speaker.thread);
  g_free (speaker.base_url);
}

/* The largest difference of one colour channel between two renderings of
 * @n_bytes
 */
static int
largest_difference (const guchar *a,
                    const guchar *b,
                    gsize         n_bytes,
                    gsize        *n_different)
{
  int largest = 0;

  *n_different = 0;
  for (gsize i = 0; i < n_bytes; i++)
    if (a[i] != b[i])
      {
        largest = MAX (largest, ABS (a[i] - b[i]));
        (*n_different)++;
      }
  return largest;
}

/* The graph draws only the new part of its lines when scores come, onto
 * its picture moved left: after seconds of that it shows what a graph
 * drawing the same scores whole shows, no dot left behind, no seam
 */
static void
test_graph_drawn_in_parts (Fixture       *f,
                           gconstpointer  data)
{
  Speaker speaker = { 0 };
  GtkWidget *graph, *fresh;
  GtkWindow *window;
  gboolean compared = FALSE;

  graph = join_with_speaker (f, &speaker);

  /* Four seconds of scores, each drawn onto the picture as it came */
  scored_after_us = g_get_real_time () + 4 * G_USEC_PER_SEC;
  g_assert_true (mira_test_gui_wait (speaker_scored_now, f, TIMEOUT_MS));

  /* A graph of the same size that draws them all at once */
  mira_test_gui_settle ();
  fresh = mira_score_graph_new ();
  mira_score_graph_set_model (MIRA_SCORE_GRAPH (fresh),
                              mira_connection_get_clients (mira_context_get_connection (f->context)));
  gtk_widget_add_css_class (fresh, "card");
  gtk_widget_set_size_request (fresh, gtk_widget_get_width (graph), gtk_widget_get_height (graph));
  gtk_widget_set_halign (fresh, GTK_ALIGN_START);
  gtk_widget_set_valign (fresh, GTK_ALIGN_START);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (window, fresh);
  gtk_window_present (window);
  mira_test_gui_settle ();

  /* Both as of one moment: the fresh one drawn before and after the other
   * is the same, or the lines moved a pixel in between and we look again.
   * Drawing makes render nodes, quickly; rendering them can take its time.
   */
  for (int attempt = 0; attempt < 50 && !compared; attempt++)
    {
      g_autoptr(GskRenderNode) fresh_before = NULL;
      g_autoptr(GskRenderNode) kept = NULL;
      g_autoptr(GskRenderNode) fresh_after = NULL;
      g_autofree guchar *fresh_pixels = NULL;
      g_autofree guchar *fresh_again = NULL;
      g_autofree guchar *kept_pixels = NULL;
      graphene_rect_t fresh_bounds, bounds;
      gsize n_bytes, n_different;
      int largest;

      mira_test_gui_settle ();
      fresh_before = snapshot_graph_now (fresh, &fresh_bounds);
      kept = snapshot_graph_now (graph, &bounds);
      fresh_after = snapshot_graph_now (fresh, &fresh_bounds);
      g_assert_cmpfloat (fresh_bounds.size.width, ==, bounds.size.width);
      g_assert_cmpfloat (fresh_bounds.size.height, ==, bounds.size.height);
      n_bytes = (gsize) bounds.size.width * bounds.size.height * 4;
      fresh_pixels = render_node (fresh, fresh_before, &fresh_bounds);
      fresh_again = render_node (fresh, fresh_after, &fresh_bounds);
      if (memcmp (fresh_pixels, fresh_again, n_bytes) != 0)
        continue;

      /* Antialiasing may differ by a rounding where the kept part was
       * drawn for an earlier time. On a loaded machine a score can reach
       * the kept graph between the snapshots: look again. A dot left
       * behind or a seam stays in the kept picture until it scrolls out,
       * for the graph's whole width of time, and fails every look.
       */
      kept_pixels = render_node (graph, kept, &bounds);
      largest = largest_difference (kept_pixels, fresh_pixels, n_bytes, &n_different);
      g_test_message ("graph %.0f×%.0f drawn in parts and whole: %" G_GSIZE_FORMAT " bytes "
                      "differ, by %d at most", bounds.size.width, bounds.size.height,
                      n_different, largest);
      compared = largest <= 3;
    }
  g_assert_true (compared);

  gtk_window_destroy (window);
  g_atomic_int_set (&speaker.quit, TRUE);
  g_thread_join (speaker.thread);
  g_free (speaker.base_url);
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

  /* Joined, not hosting: no way to add a device from here is offered */
  if (g_strcmp0 (name, "empty") == 0 &&
      mira_test_gui_find_label (page, "No Devices Yet") != NULL &&
      mira_test_gui_find_button (page, "Add a Device") == NULL)
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
  /* The device left while the connection was still up: No Devices Yet */
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
  ADD ("transcript-latest", test_transcript_latest);
  ADD ("graph-follows-scores", test_graph_follows_scores);
  ADD ("graph-drawn-in-parts", test_graph_drawn_in_parts);
  g_test_add ("/record-button/failure", Fixture, NULL, fixture_set_up, test_record_failure, fixture_tear_down);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
