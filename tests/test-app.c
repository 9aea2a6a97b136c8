/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-app"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>

#include "mira-application.h"
#include "mira-capture.h"
#include "mira-client-item.h"
#include "mira-client-row.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-interaction-item.h"
#include "mira-live-page.h"
#include "mira-record-button.h"
#include "mira-test-gui.h"
#include "mira-test-live.h"
#include "mira-transcript-row.h"

/* The whole app, as a person uses it: mira-dashboard's application and
 * window, under Xvfb, in temporary data and config directories. It hosts a
 * network, records "its microphone" (a clean flite sentence played through
 * MIRA_AUDIO_SOURCE) while a second device in the same room streams the
 * same sentence with noise, and the Live page shows both devices with
 * their scores, the app's own stream selected, and the words.
 */

#define SENTENCE "turn on the lights in the kitchen"
#define PHONE_ID "kitchen-phone"
#define PHONE_NAME "Kitchen Phone"
#define CHUNK 320   /* 20 ms at 16 kHz */

#define CONNECT_TIMEOUT_MS 30000
#define TRANSCRIPT_TIMEOUT_MS 45000

/* The second device: a thread of its own with its own HTTP client, as a
 * phone in the kitchen would be
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

typedef struct {
  MiraApplication *app;
  MiraContext     *context;
  GtkWindow       *window;
  GtkWidget       *record;
  char            *wav_path;
  Phone            phone;
  gboolean         self_was_best;
  gboolean         phone_was_best;
} Fixture;

/* Wakes the main context up from the phone's thread */
static gboolean
nothing_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
phone_send_event (MiraTestSocket *socket,
                  const char     *header,
                  gconstpointer   payload,
                  gsize           len)
{
  mira_test_socket_send_text (socket, header);
  if (len > 0)
    mira_test_socket_send_binary (socket, payload, len);
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
  const char *format = "{\"rate\":16000,\"width\":2,\"channels\":1}";
  JsonObject *object;
  gint64 start_us;

  path = g_strdup_printf ("/api/v1/%s/service/client/register/%s", phone->network_id, PHONE_ID);
  response = mira_test_client_request (client, "POST", path, phone->network_token,
                                       "{\"device_type\":\"phone\",\"device_info\":{\"name\":\"" PHONE_NAME "\"}}");
  g_assert_cmpuint (response->status, ==, 201);
  object = json_node_get_object (response->json);
  ws_path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s", phone->network_id, PHONE_ID,
                             json_object_get_string_member (object, "session_token"));
  socket = mira_test_socket_connect (client, ws_path);
  g_assert_nonnull (mira_test_socket_wait_for (socket, "ready", 0, 10000, NULL));

  g_atomic_int_set (&phone->registered, TRUE);
  g_main_context_invoke (NULL, nothing_cb, NULL);

  /* The phone's own loop, until the computer starts recording */
  while (!g_atomic_int_get (&phone->go) && !g_atomic_int_get (&phone->quit))
    mira_test_client_run (client, 10);

  g_autofree char *start = g_strdup_printf ("{\"type\":\"audio-start\",\"data\":%s}\n", format);
  g_autofree char *chunk = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":%s,\"payload_length\":%d}\n",
                                            format, CHUNK * 2);

  phone_send_event (socket, start, NULL, 0);
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
      phone_send_event (socket, chunk, phone->pcm + i, CHUNK * 2);
    }
  phone_send_event (socket, "{\"type\":\"audio-stop\"}\n", NULL, 0);

  g_atomic_int_set (&phone->streamed, TRUE);
  g_main_context_invoke (NULL, nothing_cb, NULL);

  /* Stays connected, like a phone that is still in the room */
  while (!g_atomic_int_get (&phone->quit))
    mira_test_client_run (client, 20);

  mira_test_socket_close (socket);
  mira_test_client_run (client, 100);

  return NULL;
}

/* A 16 kHz mono s16 WAV file of @pcm, for MIRA_AUDIO_SOURCE */
static void
write_wav (const char   *path,
           const gint16 *pcm,
           gsize         n)
{
  g_autoptr(GByteArray) wav = g_byte_array_new ();
  guint32 data_len = (guint32) (n * 2);
  guint32 u32;
  guint16 u16;
  g_autoptr(GError) error = NULL;

#define PUT(bytes, len) g_byte_array_append (wav, (const guint8 *) (bytes), (len))
#define PUT32(v) (u32 = GUINT32_TO_LE (v), PUT (&u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), PUT (&u16, 2))
  PUT ("RIFF", 4);
  PUT32 (36 + data_len);
  PUT ("WAVEfmt ", 8);
  PUT32 (16);
  PUT16 (1);          /* PCM */
  PUT16 (1);          /* mono */
  PUT32 (16000);
  PUT32 (16000 * 2);
  PUT16 (2);
  PUT16 (16);
  PUT ("data", 4);
  PUT32 (data_len);
  for (gsize i = 0; i < n; i++)
    PUT16 ((guint16) pcm[i]);
#undef PUT16
#undef PUT32
#undef PUT

  g_file_set_contents (path, (const char *) wav->data, wav->len, &error);
  g_assert_no_error (error);
}

#define wait_until(done, f, timeout_ms) \
  mira_test_gui_wait ((MiraTestGuiCondition) (done), (f), (timeout_ms))

typedef gboolean (*WidgetMatch) (GtkWidget *widget, gpointer data);

static void
collect_widgets (GtkWidget   *widget,
                 WidgetMatch  match,
                 gpointer     data,
                 GPtrArray   *found)
{
  if (match (widget, data))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, match, data, found);
}

static GPtrArray *
find_widgets (GtkWidget   *root,
              WidgetMatch  match,
              gpointer     data)
{
  GPtrArray *found = g_ptr_array_new ();

  collect_widgets (root, match, data, found);
  return found;
}

static gboolean
is_type (GtkWidget *widget,
         gpointer   data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

/* The visible text of the labels under @widget, joined by spaces */
static char *
widget_text (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = find_widgets (widget, is_type, GSIZE_TO_POINTER (GTK_TYPE_LABEL));
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);

      if (gtk_widget_get_visible (label) && *gtk_label_get_label (GTK_LABEL (label)) != '\0')
        g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", gtk_label_get_label (GTK_LABEL (label)));
    }

  return g_string_free (text, FALSE);
}

static MiraConnection *
connection (Fixture *f)
{
  return mira_context_get_connection (f->context);
}

static gboolean
hosting (Fixture *f)
{
  return connection (f) != NULL &&
         mira_connection_get_state (connection (f)) == MIRA_CONNECTION_STATE_ONLINE &&
         mira_context_get_join_link (f->context) != NULL &&
         g_list_model_get_n_items (mira_connection_get_clients (connection (f))) >= 1;
}

static gboolean
phone_registered (Fixture *f)
{
  return g_atomic_int_get (&f->phone.registered) &&
         mira_connection_lookup_client (connection (f), PHONE_ID) != NULL;
}

static MiraClientItem *
self_item (Fixture *f)
{
  return mira_connection_lookup_client (connection (f), mira_connection_get_client_id (connection (f)));
}

static MiraClientItem *
phone_item (Fixture *f)
{
  return mira_connection_lookup_client (connection (f), PHONE_ID);
}

/* Both hear the speech: their scores rise above the silence's zero */
static gboolean
both_scored (Fixture *f)
{
  return mira_client_item_get_quality_score (self_item (f)) > 0 &&
         mira_client_item_get_quality_score (phone_item (f)) > 0;
}

static MiraInteractionItem *
spoken_interaction (Fixture *f)
{
  GListModel *interactions = mira_connection_get_interactions (connection (f));

  for (guint i = 0; i < g_list_model_get_n_items (interactions); i++)
    {
      g_autoptr(MiraInteractionItem) item = g_list_model_get_item (interactions, i);

      /* PocketSphinx hears flite's "kitchen" reliably, and not always
       * every other word
       */
      if (strstr (mira_interaction_item_get_content (item), "kitchen") != NULL)
        return item;
    }

  return NULL;
}

static gboolean
heard (Fixture *f)
{
  return spoken_interaction (f) != NULL;
}

static gboolean
transcript_row_shown (Fixture *f)
{
  g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (f->window), is_type,
                                            GSIZE_TO_POINTER (MIRA_TYPE_TRANSCRIPT_ROW));

  for (guint i = 0; i < rows->len; i++)
    {
      g_autofree char *text = widget_text (g_ptr_array_index (rows, i));

      if (strstr (text, "kitchen") != NULL && gtk_widget_get_mapped (g_ptr_array_index (rows, i)))
        return TRUE;
    }

  return FALSE;
}

static gboolean
two_client_rows (Fixture *f)
{
  g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (f->window), is_type,
                                            GSIZE_TO_POINTER (MIRA_TYPE_CLIENT_ROW));

  return rows->len == 2;
}

/* A button activates when its press animation ends, as a click would */
static gboolean
record_pressed (Fixture *f)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (f->record));
}

static void
is_best_cb (MiraClientItem *item,
            GParamSpec     *pspec,
            gboolean       *was_best)
{
  if (mira_client_item_get_is_best (item))
    *was_best = TRUE;
}

/* The rows say what the items are: name, state, score, selection */
static void
check_client_rows (Fixture *f)
{
  g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (f->window), is_type,
                                            GSIZE_TO_POINTER (MIRA_TYPE_CLIENT_ROW));

  g_assert_cmpuint (rows->len, ==, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      MiraClientRow *row = g_ptr_array_index (rows, i);
      MiraClientItem *item = mira_client_row_get_item (row);
      g_autofree char *text = widget_text (GTK_WIDGET (row));
      g_autofree char *score = g_strdup_printf ("%d", (int) round (mira_client_item_get_quality_score (item) * 100));

      g_test_message ("client row: %s", text);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (row)));
      g_assert_nonnull (strstr (text, mira_client_item_get_display_name (item)));
      g_assert_nonnull (strstr (text, "Connected"));
      g_assert_nonnull (strstr (text, score));
      g_assert_cmpint (strstr (text, "This computer") != NULL, ==, mira_client_item_get_is_self (item));
      g_assert_cmpint (strstr (text, "Selected") != NULL, ==, mira_client_item_get_is_best (item));
    }
}

static void
run_test (Fixture *f)
{
  g_autofree char *base_url = NULL;
  g_autoptr(GError) error = NULL;
  MiraInteractionItem *interaction;
  GtkWidget *host_button;
  GtkWidget *record;
  MiraCapture *capture;
  gulong self_best_id, phone_best_id;

  f->window = gtk_application_get_active_window (GTK_APPLICATION (f->app));
  g_assert_nonnull (f->window);
  f->context = mira_application_get_context (f->app);
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);

  /* First run: the welcome page's first choice */
  host_button = mira_test_gui_find_button (GTK_WIDGET (f->window), "Host a Network on This Computer");
  g_assert_nonnull (host_button);
  g_assert_true (gtk_widget_get_mapped (host_button));
  gtk_widget_activate (host_button);

  g_assert_true (wait_until (hosting, f, CONNECT_TIMEOUT_MS));
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_HOST);
  g_assert_true (mira_client_item_get_is_self (self_item (f)));

  /* The phone joins with the link "Add a Device" shows */
  g_assert_true (mira_join_link_parse (mira_context_get_join_link (f->context), &f->phone.base_url,
                                       &f->phone.network_id, &f->phone.network_token, &error));
  g_assert_no_error (error);
  f->phone.thread = g_thread_new ("kitchen-phone", phone_thread, &f->phone);
  g_assert_true (wait_until (phone_registered, f, CONNECT_TIMEOUT_MS));
  g_assert_cmpstr (mira_client_item_get_display_name (phone_item (f)), ==, PHONE_NAME);
  g_assert_true (wait_until (two_client_rows, f, CONNECT_TIMEOUT_MS));

  self_best_id = g_signal_connect (self_item (f), "notify::is-best", G_CALLBACK (is_best_cb), &f->self_was_best);
  phone_best_id = g_signal_connect (phone_item (f), "notify::is-best", G_CALLBACK (is_best_cb), &f->phone_was_best);
  f->self_was_best = mira_client_item_get_is_best (self_item (f));
  f->phone_was_best = mira_client_item_get_is_best (phone_item (f));

  /* Record, and the phone hears the same words */
  record = mira_test_gui_find_type (GTK_WIDGET (f->window), MIRA_TYPE_RECORD_BUTTON);
  g_assert_nonnull (record);
  g_assert_true (gtk_widget_get_mapped (record));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (record)));
  f->record = record;
  gtk_widget_activate (record);
  g_assert_true (wait_until (record_pressed, f, CONNECT_TIMEOUT_MS));
  g_atomic_int_set (&f->phone.go, TRUE);
  capture = mira_context_get_capture (f->context);
  if (mira_capture_get_error (capture) != NULL)
    g_error ("recording failed: %s", mira_capture_get_error (capture)->message);
  g_assert_cmpint (mira_capture_get_state (capture), !=, MIRA_CAPTURE_STATE_IDLE);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (record)));

  /* While both stream, both rows show their live scores */
  g_assert_true (wait_until (both_scored, f, CONNECT_TIMEOUT_MS));
  g_assert_true (mira_client_item_get_status (self_item (f)) == MIRA_CLIENT_STATUS_CONNECTED);
  check_client_rows (f);

  g_assert_true (wait_until (heard, f, TRANSCRIPT_TIMEOUT_MS));
  interaction = spoken_interaction (f);
  g_test_message ("heard: \"%s\" from %s", mira_interaction_item_get_content (interaction),
                  mira_interaction_item_get_client_id (interaction));

  /* The clean microphone of this computer won the utterance */
  g_assert_cmpstr (mira_interaction_item_get_client_id (interaction), ==,
                   mira_connection_get_client_id (connection (f)));
  g_assert_true (f->self_was_best);
  g_assert_true (wait_until (transcript_row_shown, f, CONNECT_TIMEOUT_MS));

  g_signal_handler_disconnect (self_item (f), self_best_id);
  g_signal_handler_disconnect (phone_item (f), phone_best_id);

  /* The file ends: recording stops by itself and the button says so */
  g_atomic_int_set (&f->phone.quit, TRUE);
  g_thread_join (g_steal_pointer (&f->phone.thread));
}

static gboolean
run_test_cb (gpointer data)
{
  Fixture *f = data;

  run_test (f);
  g_application_quit (G_APPLICATION (f->app));

  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app,
             Fixture      *f)
{
  /* After the application's own activate has shown the window */
  g_idle_add (run_test_cb, f);
}

static void
test_app_host_record_live (void)
{
  Fixture f = { 0 };
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", SENTENCE);
  g_autofree gint16 *clean = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *source = NULL;
  g_autoptr(GError) error = NULL;
  gsize n_clean;
  char *argv[] = { (char *) "mira-dashboard", NULL };
  int status;

  /* The computer's microphone hears it clean; the phone, across the room,
   * at a lower level with noise
   */
  clean = mira_test_speech_mix (speech, -20.0, INFINITY, 1.0, 500, 1500, 1, &n_clean);
  f.phone.pcm = mira_test_speech_mix (speech, -30.0, 6.0, 1.0, 500, 1500, 2, &f.phone.n);

  dir = g_dir_make_tmp ("mira-test-app-XXXXXX", &error);
  g_assert_no_error (error);
  f.wav_path = g_build_filename (dir, "microphone.wav", NULL);
  write_wav (f.wav_path, clean, n_clean);
  source = g_strdup_printf ("filesrc location=\"%s\" ! wavparse", f.wav_path);
  g_setenv ("MIRA_AUDIO_SOURCE", source, TRUE);

  f.app = mira_application_new ();
  g_signal_connect_after (f.app, "activate", G_CALLBACK (activate_cb), &f);
  status = g_application_run (G_APPLICATION (f.app), 1, argv);
  g_assert_cmpint (status, ==, 0);

  g_clear_object (&f.app);
  g_unlink (f.wav_path);
  g_rmdir (dir);
  g_free (f.wav_path);
  g_free (f.phone.pcm);
  g_free (f.phone.base_url);
  g_free (f.phone.network_id);
  g_free (f.phone.network_token);
}

int
main (int   argc,
      char *argv[])
{
  /* mira-session.sh gives it a temporary HOME and XDG directories: the
   * app's SQLite database and config start empty, as on a first run
   */
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  mira_test_gui_init ();

  g_test_add_func ("/app/host-record-live", test_app_host_record_live);

  return g_test_run ();
}
