/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Renders each page of the dashboard to PNG, wide (1000×700) and narrow
 * (360×720), light and dark:
 *
 *   mira-screenshot OUTDIR
 *
 * welcome-*, join-error-* (the join form after an unreachable server),
 * live-* (the main window hosting a real network on SQLite, after its
 * microphone and a phone across the room heard a sentence spoken by flite)
 * add-device-*, network-* and network-settings-* (the Network page, at its
 * top and scrolled to its settings and the server's networks) and
 * preferences-*. Data and
 * configuration go to a temporary directory, so it never touches the user's
 * own network. Last, reconnecting-*: the same window after its server
 * stopped.
 */
#define G_LOG_DOMAIN "mira-screenshot"

#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>

#include <libsoup/soup.h>

#include "mira-application.h"
#include "mira-add-device-dialog.h"
#include "mira-capture.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-admin-network-row.h"
#include "mira-conversation-item.h"
#include "mira-host.h"
#include "mira-preferences-window.h"
#include "mira-test-gui.h"
#include "mira-test-live.h"
#include "mira-welcome-page.h"
#include "mira-window.h"
#include "mira-window-private.h"

#define SENTENCE "remind me to call the dentist tomorrow morning"
#define PHONE_ID "kitchen-phone"
#define PHONE_NAME "Kitchen Phone"
#define CHUNK 320   /* 20 ms at 16 kHz */
/* Generous: under a sanitizer every step is several times slower */
#define WAIT_MS 90000

typedef struct {
  const char *name;
  int         width;
  int         height;
} Size;

/* A second device of the network, on a thread with its own HTTP client:
 * a phone across the room that hears the same sentence, quieter and with
 * noise, and streams it as 16 kHz PCM like any client of the API
 */
typedef struct {
  char          *base_url;
  char          *network_id;
  char          *network_token;
  gint16        *pcm;
  gsize          n;

  GThread       *thread;
  gint           registered;  /* atomic */
  gint           go;          /* atomic: start streaming */
  gint           streamed;    /* atomic */
  gint           quit;        /* atomic */
} Phone;

/* Wakes the main context up from the phone's thread */
static gboolean
nothing_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gpointer
phone_thread (gpointer data)
{
  Phone *phone = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (phone->base_url);
  g_autoptr(MiraTestResponse) response = NULL;
  g_autoptr(MiraTestSocket) socket = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ws_path = NULL;
  g_autofree char *start = NULL;
  g_autofree char *chunk = NULL;
  const char *format = "{\"rate\":16000,\"width\":2,\"channels\":1}";
  gint64 start_us;

  path = g_strdup_printf ("/api/v1/%s/service/client/register/%s", phone->network_id, PHONE_ID);
  response = mira_test_client_request (client, "POST", path, phone->network_token,
                                       "{\"device_type\":\"phone\","
                                       "\"device_info\":{\"name\":\"" PHONE_NAME "\"}}");
  if (response->status != 201)
    g_error ("The phone could not register: %u %s", response->status, response->body);
  ws_path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s", phone->network_id, PHONE_ID,
                             json_object_get_string_member (json_node_get_object (response->json),
                                                            "session_token"));
  socket = mira_test_socket_connect (client, ws_path);
  if (mira_test_socket_wait_for (socket, "ready", 0, 10000, NULL) == NULL)
    g_error ("The phone's audio socket did not get ready");

  g_atomic_int_set (&phone->registered, TRUE);
  g_main_context_invoke (NULL, nothing_cb, NULL);

  while (!g_atomic_int_get (&phone->go) && !g_atomic_int_get (&phone->quit))
    mira_test_client_run (client, 10);

  start = g_strdup_printf ("{\"type\":\"audio-start\",\"data\":%s}\n", format);
  chunk = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":%s,\"payload_length\":%d}\n",
                           format, CHUNK * 2);
  mira_test_socket_send_text (socket, start);
  start_us = g_get_monotonic_time ();
  for (gsize i = 0; i + CHUNK <= phone->n && !g_atomic_int_get (&phone->quit); i += CHUNK)
    {
      gint64 due = start_us + (gint64) (i / CHUNK) * 20000;
      gint64 now = g_get_monotonic_time ();

      /* In real time, as a microphone delivers it */
      if (due > now)
        mira_test_client_run (client, (guint) ((due - now + 999) / 1000));
      else
        mira_test_client_flush (client);
      mira_test_socket_send_text (socket, chunk);
      mira_test_socket_send_binary (socket, phone->pcm + i, CHUNK * 2);
    }
  mira_test_socket_send_text (socket, "{\"type\":\"audio-stop\"}\n");

  g_atomic_int_set (&phone->streamed, TRUE);
  g_main_context_invoke (NULL, nothing_cb, NULL);

  /* Stays connected, like a phone still in the room */
  while (!g_atomic_int_get (&phone->quit))
    mira_test_client_run (client, 20);

  mira_test_socket_close (socket);
  mira_test_client_run (client, 100);

  return NULL;
}

static gboolean
phone_registered (gpointer user_data)
{
  Phone *phone = user_data;

  return g_atomic_int_get (&phone->registered);
}

static gboolean
phone_streamed (gpointer user_data)
{
  Phone *phone = user_data;

  return g_atomic_int_get (&phone->streamed);
}


/* The pages' data, written by REST as another device would (the server's
 * extractor may add reminders and events of its own from the words)
 */

static JsonObject *
post_json (Phone      *phone,
           const char *method,
           const char *path,
           const char *body)
{
  static SoupSession *session;
  g_autofree char *uri = g_strdup_printf ("%s/api/v1/%s/%s", phone->base_url,
                                          phone->network_id, path);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", phone->network_token);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (session == NULL)
    session = soup_session_new ();
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    g_error ("%s %s: %s", method, path,
             error ? error->message : (const char *) g_bytes_get_data (answer, NULL));
  if (g_bytes_get_size (answer) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), NULL))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* @days from today at @hour:@minute UTC, as the API writes it */
static char *
day_at (int days,
        int hour,
        int minute)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) day = g_date_time_add_days (now, days);

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:00Z", g_date_time_get_year (day),
                          g_date_time_get_month (day), g_date_time_get_day_of_month (day),
                          hour, minute);
}

typedef struct {
  MiraContext *context;
  guint        n_reminders;
  guint        n_events;
  guint        n_persons;
} Counts;

static gboolean
pages_filled (gpointer user_data)
{
  Counts *counts = user_data;
  MiraConnection *connection = mira_context_get_connection (counts->context);

  return connection != NULL &&
         g_list_model_get_n_items (mira_connection_get_reminders (connection)) >= counts->n_reminders &&
         g_list_model_get_n_items (mira_connection_get_events (connection)) >= counts->n_events &&
         g_list_model_get_n_items (mira_connection_get_persons (connection)) >= counts->n_persons;
}

static gboolean
transcript_shown (gpointer user_data)
{
  GListModel *transcript = mira_conversations_page_get_transcript (user_data);

  return transcript != NULL && g_list_model_get_n_items (transcript) > 0;
}

static void
fill_pages (Phone       *phone,
            MiraContext *context)
{
  static const char * const said[] = {
    "did anyone see my keys this morning",
    "they were on the kitchen table next to the fruit bowl",
    "thanks, and remind me to water the plants this evening",
    "sure, and the dentist called about tomorrow",
  };
  g_autoptr(JsonObject) alice = post_json (phone, "POST", "persons", "{\"name\":\"Alice\"}");
  g_autoptr(JsonObject) bob = post_json (phone, "POST", "persons", "{\"name\":\"Bob\"}");
  Counts counts = { context, 0, 0, 0 };
  struct {
    const char *title;
    int         days, hour, minute;
    const char *priority;
    gboolean    done;
  } reminders[] = {
    { "Pay the electricity bill", -1, 9, 0, "high", FALSE },
    { "Water the plants", 0, 19, 0, "medium", FALSE },
    { "Call the dentist", 1, 17, 0, "urgent", FALSE },
    { "Buy bread", 2, 10, 30, "low", FALSE },
    { "Book the train to Porto", -2, 12, 0, "medium", TRUE },
  };
  struct {
    const char *title;
    int         days, hour, minute, length;
    const char *location;
    const char *attendees;
  } events[] = {
    { "Standup", 0, 9, 30, 15, "Video call", "[\"Alice\",\"Bob\"]" },
    { "Lunch with Alice", 0, 12, 30, 60, "Café Lisboa", "[\"Alice\"]" },
    { "Saxophone lesson", 0, 17, 0, 45, "Music school", "[]" },
    { "Dentist", 1, 9, 0, 30, "Main Street 4", "[]" },
    { "Choir practice", 3, 19, 0, 90, "Church hall", "[\"Bob\"]" },
    { "Car service", 8, 8, 0, 60, NULL, "[]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (said); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"content\":\"%s\",\"person_id\":\"%s\"}",
                                               said[i],
                                               json_object_get_string_member (i % 2 ? bob : alice,
                                                                              "id"));
      g_autoptr(JsonObject) interaction = post_json (phone, "POST", "interactions", body);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (reminders); i++)
    {
      g_autofree char *due = day_at (reminders[i].days, reminders[i].hour, reminders[i].minute);
      g_autofree char *body = g_strdup_printf ("{\"title\":\"%s\",\"due_time\":\"%s\","
                                               "\"priority\":\"%s\"}",
                                               reminders[i].title, due, reminders[i].priority);
      g_autoptr(JsonObject) reminder = post_json (phone, "POST", "reminders", body);

      if (reminders[i].done)
        {
          g_autofree char *path = g_strdup_printf ("reminders/%s/complete",
                                                   json_object_get_string_member (reminder, "id"));
          g_autoptr(JsonObject) completed = post_json (phone, "POST", path, "{}");
        }
      counts.n_reminders++;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *start = day_at (events[i].days, events[i].hour, events[i].minute);
      g_autofree char *end = day_at (events[i].days, events[i].hour + (events[i].minute + events[i].length) / 60,
                                     (events[i].minute + events[i].length) % 60);
      g_autofree char *location = events[i].location
                                  ? g_strdup_printf ("\"%s\"", events[i].location)
                                  : g_strdup ("null");
      g_autofree char *body = g_strdup_printf ("{\"title\":\"%s\",\"start_time\":\"%s\","
                                               "\"end_time\":\"%s\",\"location\":%s,"
                                               "\"attendees\":%s}",
                                               events[i].title, start, end, location,
                                               events[i].attendees);
      g_autoptr(JsonObject) event = post_json (phone, "POST", "calendar/events", body);

      counts.n_events++;
    }

  counts.n_persons = 2;
  if (!mira_test_gui_wait (pages_filled, &counts, WAIT_MS))
    g_error ("The pages did not fill from the server's events");
}

static const Size window_sizes[] = {
  { "wide", 1000, 700 },
  { "narrow", 360, 720 },
};

static const Size dialog_sizes[] = {
  { "wide", 440, 660 },
  { "narrow", 360, 660 },
};

static const char *outdir;
static guint n_written;

static void
save (GtkWidget  *widget,
      const char *page,
      const char *size,
      const char *scheme)
{
  g_autofree char *name = g_strdup_printf ("%s-%s-%s.png", page, size, scheme);
  g_autofree char *path = g_build_filename (outdir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!mira_test_gui_save_png (widget, path, &error))
    g_error ("%s", error->message);

  g_print ("%s\n", path);
  n_written++;
}

/* Every size in light and dark */
static void
shoot (GtkWindow  *window,
       const char *page,
       const Size *sizes,
       gsize       n_sizes)
{
  static const struct {
    const char     *name;
    AdwColorScheme  scheme;
  } schemes[] = {
    { "light", ADW_COLOR_SCHEME_FORCE_LIGHT },
    { "dark", ADW_COLOR_SCHEME_FORCE_DARK },
  };

  for (gsize s = 0; s < G_N_ELEMENTS (schemes); s++)
    {
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[s].scheme);

      for (gsize i = 0; i < n_sizes; i++)
        {
          if (!mira_test_gui_resize (window, sizes[i].width, sizes[i].height))
            g_error ("%s did not take the size %d×%d but %d×%d", page, sizes[i].width, sizes[i].height,
                     gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
          save (GTK_WIDGET (window), page, sizes[i].name, schemes[s].name);
        }
    }

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static gboolean
join_failed (gpointer user_data)
{
  return mira_test_gui_find_label (user_data, "The server cannot be reached") != NULL;
}

static gboolean
heard_words (gpointer user_data)
{
  MiraConnection *connection = mira_context_get_connection (user_data);

  return connection != NULL &&
         g_list_model_get_n_items (mira_connection_get_interactions (connection)) > 0;
}

static gboolean
is_reconnecting (gpointer user_data)
{
  MiraConnection *connection = mira_context_get_connection (user_data);

  return connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_CONNECTING &&
         mira_connection_get_last_error (connection) != NULL;
}

static gboolean
is_online (gpointer user_data)
{
  MiraConnection *connection = mira_context_get_connection (user_data);

  return connection != NULL &&
         mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE &&
         mira_context_get_join_link (user_data) != NULL;
}

/* A loopback port free now: bound, then closed */
static guint
free_port (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    g_error ("No free port: %s", error->message);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
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

static void
keep_at_end (GtkAdjustment *adjustment)
{
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
}

/* Scrolls the visible page to its end and keeps it there at every size */
static void
scroll_to_end (GtkWidget *root)
{
  GtkWidget *page = adw_view_stack_get_visible_child (ADW_VIEW_STACK (root));
  GtkWidget *scrolled = mira_test_gui_find_type (page, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;

  g_assert (scrolled != NULL);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  g_signal_connect (adjustment, "changed", G_CALLBACK (keep_at_end), NULL);
  keep_at_end (adjustment);
}

static gboolean
shows_networks (gpointer data)
{
  return mira_test_gui_find_type (GTK_WIDGET (data), MIRA_TYPE_ADMIN_NETWORK_ROW) != NULL;
}

static void
set_row (GtkWidget  *root,
         const char *title,
         const char *text)
{
  GtkWidget *row = mira_test_gui_find_entry_row (root, title);

  if (row == NULL)
    g_error ("No “%s” field", title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
make_home (char **tmpdir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;

  *tmpdir = g_dir_make_tmp ("mira-screenshot-XXXXXX", &error);
  if (*tmpdir == NULL)
    g_error ("%s", error->message);

  data = g_build_filename (*tmpdir, "data", NULL);
  config = g_build_filename (*tmpdir, "config", NULL);
  g_mkdir_with_parents (data, 0700);
  g_mkdir_with_parents (config, 0700);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

static void
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("%s: %s", argv[0], error->message);
}

/* The microphone: a sentence spoken by flite, then a minute of silence, so
 * that the device is still recording when the pictures are taken
 */
static void
speak_into_microphone (const char *tmpdir)
{
  g_autofree char *spoken = g_build_filename (tmpdir, "spoken.wav", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "microphone.wav", NULL);
  g_autofree char *source = NULL;
  const char *flite[] = {
    "flite", "-voice", "slt", "-t", SENTENCE, "-o", spoken, NULL
  };
  const char *sox[] = { "sox", spoken, path, "pad", "0.5", "60", NULL };

  run (flite);
  run (sox);

  source = g_strdup_printf ("filesrc location=\"%s\" ! wavparse", path);
  g_setenv ("MIRA_AUDIO_SOURCE", source, TRUE);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFile *child;

      while (g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
        remove_tree (child);
    }
  g_file_delete (file, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MiraApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GFile) tmpfile = NULL;
  Phone phone = { NULL, };
  MiraContext *context;
  GtkWindow *window;
  GtkWindow *dialog;
  GtkWidget *welcome;
  AdwViewStack *view_stack;

  if (argc != 2)
    {
      g_printerr ("Usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  outdir = argv[1];
  if (g_mkdir_with_parents (outdir, 0755) != 0)
    g_error ("Cannot create %s: %s", outdir, g_strerror (errno));

  /* Before GLib reads them */
  make_home (&tmpdir);
  speak_into_microphone (tmpdir);

  gtk_init ();
  mira_test_gui_init ();

  app = mira_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("%s", error->message);
  g_application_activate (G_APPLICATION (app));

  context = mira_application_get_context (app);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert (MIRA_IS_WINDOW (window));
  welcome = mira_test_gui_find_type (GTK_WIDGET (window), MIRA_TYPE_WELCOME_PAGE);
  g_assert (welcome != NULL);

  shoot (window, "welcome", window_sizes, G_N_ELEMENTS (window_sizes));

  /* The join form, after a server that does not answer */
  gtk_widget_activate_action (welcome, "welcome.show-join", NULL);
  mira_test_gui_settle ();
  url = g_strdup_printf ("http://127.0.0.1:%u", refusing_port ());
  set_row (welcome, "Server Address", url);
  set_row (welcome, "Network ID", "net_5b0c1f7e2d9a4c38");
  set_row (welcome, "Token", "mira-network-token-example");
  gtk_widget_activate_action (welcome, "welcome.join", NULL);
  if (!mira_test_gui_wait (join_failed, welcome, WAIT_MS))
    g_error ("The join form showed no error for %s", url);
  shoot (window, "join-error", window_sizes, G_N_ELEMENTS (window_sizes));

  /* A real network hosted on this computer, on a free port: 8080 may be
   * taken, and the toast that says so does not belong in the pictures
   */
  g_settings_set (mira_context_get_settings (context), "host-port", "q", (guint16) free_port ());
  gtk_widget_activate_action (welcome, "welcome.back", NULL);
  gtk_widget_activate_action (welcome, "welcome.host", NULL);
  if (!mira_test_gui_wait (is_online, context, WAIT_MS))
    g_error ("Hosting did not bring the network online");

  /* The phone joins by the link "Add a Device" shows */
  if (!mira_join_link_parse (mira_context_get_join_link (context), &phone.base_url,
                             &phone.network_id, &phone.network_token, &error))
    g_error ("%s", error->message);
  phone.pcm = mira_test_speech_mix (mira_test_speech_get ("slt", SENTENCE),
                                    -30.0, 6.0, 1.0, 500, 1500, 2, &phone.n);
  phone.thread = g_thread_new ("kitchen-phone", phone_thread, &phone);
  if (!mira_test_gui_wait (phone_registered, &phone, WAIT_MS))
    g_error ("The phone did not join");

  /* Record, as the record button does, while the phone hears the same
   * words, until they come back
   */
  mira_capture_start (mira_context_get_capture (context));
  g_atomic_int_set (&phone.go, TRUE);
  /* PocketSphinx under AddressSanitizer on a loaded machine has taken more
   * than 90 s for the words
   */
  if (!mira_test_gui_wait (heard_words, context, 240000) ||
      !mira_test_gui_wait (phone_streamed, &phone, WAIT_MS))
    g_error ("The network transcribed nothing of the microphone");
  shoot (window, "live", window_sizes, G_N_ELEMENTS (window_sizes));
  mira_capture_stop (mira_context_get_capture (context));
  g_atomic_int_set (&phone.quit, TRUE);
  g_thread_join (phone.thread);

  /* The data pages, filled as another device would */
  fill_pages (&phone, context);
  {
    MiraWindow *main_window = MIRA_WINDOW (window);
    GListModel *conversations = mira_conversations_page_get_list (main_window->conversations_page);
    g_autoptr(MiraConversationItem) newest = g_list_model_get_item (conversations, 0);

    adw_view_stack_set_visible_child_name (main_window->view_stack, "conversations");
    mira_conversations_page_select (main_window->conversations_page,
                                    mira_conversation_item_get_conversation_id (newest));
    if (!mira_test_gui_wait (transcript_shown, main_window->conversations_page, WAIT_MS))
      g_error ("The conversation's transcript did not show");
    shoot (window, "conversations", window_sizes, G_N_ELEMENTS (window_sizes));
    adw_view_stack_set_visible_child_name (main_window->view_stack, "reminders");
    shoot (window, "reminders", window_sizes, G_N_ELEMENTS (window_sizes));
    adw_view_stack_set_visible_child_name (main_window->view_stack, "calendar");
    shoot (window, "calendar", window_sizes, G_N_ELEMENTS (window_sizes));
    adw_view_stack_set_visible_child_name (main_window->view_stack, "people");
    shoot (window, "people", window_sizes, G_N_ELEMENTS (window_sizes));
    adw_view_stack_set_visible_child_name (main_window->view_stack, "live");
  }

  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-device", NULL);
  dialog = mira_test_gui_find_toplevel (MIRA_TYPE_ADD_DEVICE_DIALOG);
  g_assert (dialog != NULL);
  shoot (dialog, "add-device", dialog_sizes, G_N_ELEMENTS (dialog_sizes));
  gtk_window_destroy (dialog);

  /* The network: its devices, settings and, with the hosted server's admin
   * token, every network on the server
   */
  view_stack = ADW_VIEW_STACK (mira_test_gui_find_type (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK));
  adw_view_stack_set_visible_child_name (view_stack, "network");
  if (!mira_test_gui_wait (shows_networks, window, WAIT_MS))
    g_error ("The Network page did not list the server's networks");
  shoot (window, "network", window_sizes, G_N_ELEMENTS (window_sizes));
  scroll_to_end (GTK_WIDGET (view_stack));
  shoot (window, "network-settings", window_sizes, G_N_ELEMENTS (window_sizes));

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  dialog = mira_test_gui_find_toplevel (MIRA_TYPE_PREFERENCES_WINDOW);
  g_assert (dialog != NULL);
  shoot (dialog, "preferences", window_sizes, G_N_ELEMENTS (window_sizes));
  gtk_window_destroy (dialog);
  adw_view_stack_set_visible_child_name (view_stack, "live");

  /* The server goes away: the window says it is reconnecting */
  mira_host_stop (mira_context_get_host (context));
  if (!mira_test_gui_wait (is_reconnecting, context, WAIT_MS))
    g_error ("The connection did not notice its server stopped");
  shoot (window, "reconnecting", window_sizes, G_N_ELEMENTS (window_sizes));

  mira_context_shutdown (context);
  gtk_window_destroy (window);
  mira_test_gui_settle ();

  tmpfile = g_file_new_for_path (tmpdir);
  remove_tree (tmpfile);

  g_free (phone.base_url);
  g_free (phone.network_id);
  g_free (phone.network_token);
  g_free (phone.pcm);

  g_print ("%u screenshots in %s\n", n_written, outdir);
  return 0;
}
