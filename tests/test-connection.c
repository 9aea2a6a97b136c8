/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-connection"

/* MiraConnection, the app's view of a network, without GTK against a real
 * server: its models fill from REST, follow the event socket, survive a
 * restart of the server, and ignore answers that come too late.
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "mira-admin.h"
#include "mira-client-item.h"
#include "mira-connection.h"
#include "mira-core-private.h"
#include "mira-interaction-item.h"
#include "mira-test-connection.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"

typedef MiraTestConnection Fixture;

#define wait_until mira_test_connection_wait_until
#define is_online mira_test_connection_is_online

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
  if (status == 204)
    return NULL;
  return json_object_ref (mira_test_response_object (response));
}

static char *
register_client (Fixture    *f,
                 const char *client_id,
                 const char *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/client/register/%s",
                                           f->network_id, client_id);
  g_autofree char *body = g_strdup_printf ("{\"device_type\":\"phone\","
                                           "\"device_info\":{\"name\":\"%s\"}}", name);
  g_autoptr(JsonObject) client = request_object (f->server, 201, "POST", path,
                                                 f->network_token, body);

  return g_strdup (json_object_get_string_member (client, "session_token"));
}

static void
post_interaction (Fixture    *f,
                  const char *token,
                  const char *content)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/interactions", f->network_id);
  g_autofree char *body = g_strdup_printf ("{\"content\":\"%s\"}", content);
  g_autoptr(JsonObject) interaction = request_object (f->server, 201, "POST", path, token, body);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  mira_test_connection_set_up (f, "Kitchen",
                               "{\"device_type\":\"phone\",\"device_info\":{\"name\":\"Desk\"}}");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  mira_test_connection_tear_down (f);
}

static gboolean
has_n_clients (Fixture       *f,
               gconstpointer  data)
{
  return g_list_model_get_n_items (mira_connection_get_clients (f->conn)) ==
         GPOINTER_TO_UINT (data);
}

static gboolean
has_n_interactions (Fixture       *f,
                    gconstpointer  data)
{
  return g_list_model_get_n_items (mira_connection_get_interactions (f->conn)) ==
         GPOINTER_TO_UINT (data);
}

/* The newest interaction says @data */
static gboolean
newest_is (Fixture       *f,
           gconstpointer  data)
{
  GListModel *interactions = mira_connection_get_interactions (f->conn);
  guint n = g_list_model_get_n_items (interactions);
  g_autoptr(MiraInteractionItem) item = n > 0 ? g_list_model_get_item (interactions, n - 1) : NULL;

  return item != NULL && g_strcmp0 (mira_interaction_item_get_content (item), data) == 0;
}

static MiraClientItem *
client_at (Fixture *f,
           guint    position)
{
  g_autoptr(MiraClientItem) item =
    g_list_model_get_item (mira_connection_get_clients (f->conn), position);

  g_assert_nonnull (item);
  return item;   /* the model keeps it */
}

static MiraInteractionItem *
interaction_at (Fixture *f,
                guint    position)
{
  g_autoptr(MiraInteractionItem) item =
    g_list_model_get_item (mira_connection_get_interactions (f->conn), position);

  g_assert_nonnull (item);
  return item;
}

static void
test_fill_from_rest (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *phone = register_client (f, "phone-1", "Anna's phone");
  MiraClientItem *desk;
  MiraClientItem *other;
  MiraInteractionItem *first;

  post_interaction (f, phone, "first words");
  post_interaction (f, phone, "second words");

  g_assert_cmpint (mira_connection_get_state (f->conn), ==, MIRA_CONNECTION_STATE_OFFLINE);
  mira_connection_start (f->conn);
  g_assert_cmpint (mira_connection_get_state (f->conn), ==, MIRA_CONNECTION_STATE_CONNECTING);
  wait_until (f, is_online, NULL, "online");

  g_assert_cmpstr (mira_connection_get_network_name (f->conn), ==, "Kitchen");
  g_assert_null (mira_connection_get_last_error (f->conn));

  /* In the order they registered; this device knows itself */
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (f->conn)), ==, 2);
  desk = client_at (f, 0);
  other = client_at (f, 1);
  g_assert_cmpstr (mira_client_item_get_client_id (desk), ==, "desk");
  g_assert_true (mira_client_item_get_is_self (desk));
  g_assert_cmpstr (mira_client_item_get_display_name (other), ==, "Anna's phone");
  g_assert_cmpstr (mira_client_item_get_device_type (other), ==, "phone");
  g_assert_cmpstr (mira_client_item_get_icon_name (other), ==, "phone-symbolic");
  g_assert_false (mira_client_item_get_is_self (other));
  g_assert_cmpfloat (mira_client_item_get_quality_score (other), ==, -1);
  g_assert_true (mira_connection_lookup_client (f->conn, "phone-1") == other);

  /* Oldest first, with the device's name */
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_interactions (f->conn)),
                    ==, 2);
  first = interaction_at (f, 0);
  g_assert_cmpstr (mira_interaction_item_get_content (first), ==, "first words");
  g_assert_cmpstr (mira_interaction_item_get_content (interaction_at (f, 1)), ==,
                   "second words");
  g_assert_cmpstr (mira_interaction_item_get_client_id (first), ==, "phone-1");
  g_assert_cmpstr (mira_interaction_item_get_device_name (first), ==, "Anna's phone");
  g_assert_nonnull (mira_interaction_item_get_timestamp (first));
}

static gboolean
status_is (Fixture       *f,
           gconstpointer  data)
{
  MiraClientItem *item = mira_connection_lookup_client (f->conn, "phone-2");

  return item != NULL && (int) mira_client_item_get_status (item) == GPOINTER_TO_INT (data);
}

typedef struct {
  SoupWebsocketConnection *socket;
  GError                  *error;
  gboolean                 done;
} Opened;

static void
audio_socket_ready (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Opened *opened = user_data;

  opened->socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                          &opened->error);
  opened->done = TRUE;
}

static void
test_follow_events (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *url = NULL;
  Opened opened = { 0 };
  g_autoptr(MiraClientItem) kept = NULL;
  MiraInteractionItem *said;

  mira_connection_start (f->conn);
  wait_until (f, is_online, NULL, "online");
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (f->conn)), ==, 1);
  kept = g_object_ref (client_at (f, 0));

  /* A client registers */
  phone = register_client (f, "phone-2", "Ben's phone");
  wait_until (f, has_n_clients, GUINT_TO_POINTER (2), "the new client is listed");
  g_assert_cmpstr (mira_client_item_get_display_name (client_at (f, 1)), ==, "Ben's phone");
  g_assert_cmpint (mira_client_item_get_status (client_at (f, 1)), ==,
                   MIRA_CLIENT_STATUS_DISCONNECTED);

  /* An interaction is created */
  post_interaction (f, phone, "hello from the phone");
  wait_until (f, has_n_interactions, GUINT_TO_POINTER (1), "the interaction arrives");
  said = interaction_at (f, 0);
  g_assert_cmpstr (mira_interaction_item_get_content (said), ==, "hello from the phone");
  g_assert_cmpstr (mira_interaction_item_get_device_name (said), ==, "Ben's phone");

  /* It connects its audio socket, then disconnects */
  url = g_strdup_printf ("%s/api/v1/%s/streams/phone-2/ws?codec=pcm&token=%s",
                         mira_test_server_get_url (f->server), f->network_id, phone);
  msg = soup_message_new (SOUP_METHOD_GET, url);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        audio_socket_ready, &opened);
  while (!opened.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (opened.error);
  wait_until (f, status_is, GINT_TO_POINTER (MIRA_CLIENT_STATUS_CONNECTED), "connected");

  soup_websocket_connection_close (opened.socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  wait_until (f, status_is, GINT_TO_POINTER (MIRA_CLIENT_STATUS_DISCONNECTED), "disconnected");
  g_clear_object (&opened.socket);

  /* It leaves the network */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/%s/service/client/deregister/phone-2",
                                             f->network_id);
    g_autoptr(JsonObject) none = request_object (f->server, 204, "DELETE", path,
                                                 f->network_token, NULL);
  }
  wait_until (f, has_n_clients, GUINT_TO_POINTER (1), "the client is gone");

  /* The item that stayed is the same object throughout */
  g_assert_true (client_at (f, 0) == kept);
}

/* A port nothing listens on: bound, then closed */
static guint
closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

/* A device streaming speech over its audio socket, 100 ms a tick */
typedef struct {
  SoupWebsocketConnection *socket;
  gint16                  *samples;
  gsize                    n;
  gsize                    sent;
} Streamer;

#define CHUNK_SAMPLES 1600

static gboolean
stream_tick (gpointer user_data)
{
  Streamer *streamer = user_data;
  static const char header[] =
    "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":1},"
    "\"payload_length\":3200}\n";

  if (streamer->sent + CHUNK_SAMPLES > streamer->n)
    streamer->sent = 0;   /* the sentence again */
  soup_websocket_connection_send_text (streamer->socket, header);
  soup_websocket_connection_send_binary (streamer->socket, streamer->samples + streamer->sent,
                                         CHUNK_SAMPLES * sizeof (gint16));
  streamer->sent += CHUNK_SAMPLES;
  return G_SOURCE_CONTINUE;
}

static void
count_history (MiraClientItem *item,
               guint          *changes)
{
  (*changes)++;
}

typedef struct {
  Fixture        *f;
  MiraClientItem *item;
  guint          *changes;
} Scored;

static gboolean
has_scores (Fixture       *f,
            gconstpointer  data)
{
  const Scored *scored = data;
  guint n = 0;

  mira_client_item_get_history (scored->item, &n);
  return n >= 4 && *scored->changes >= 4 && mira_client_item_get_quality_score (scored->item) >= 0;
}

static gboolean
has_no_score (Fixture       *f,
              gconstpointer  data)
{
  return mira_client_item_get_quality_score ((MiraClientItem *) data) < 0;
}

static gboolean
phone_is_best (Fixture       *f,
               gconstpointer  data)
{
  MiraClientItem *item = mira_connection_lookup_client (f->conn, "phone-5");

  return g_strcmp0 (mira_connection_get_best_client_id (f->conn), "phone-5") == 0 &&
         item != NULL && mira_client_item_get_is_best (item);
}

static void
test_scores (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *phone = register_client (f, "phone-5", "Eve's phone");
  g_autofree char *url = NULL;
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", "turn on the kitchen lights");
  Streamer streamer = { 0 };
  Opened opened = { 0 };
  MiraClientItem *item;
  const MiraScorePoint *points;
  guint changes = 0;
  guint n = 0;
  guint source;
  Scored scored;

  mira_connection_start (f->conn);
  wait_until (f, is_online, NULL, "online");
  item = mira_connection_lookup_client (f->conn, "phone-5");
  g_assert_cmpfloat (mira_client_item_get_quality_score (item), ==, -1);
  mira_client_item_get_history (item, &n);
  g_assert_cmpuint (n, ==, 0);
  g_signal_connect (item, "history-changed", G_CALLBACK (count_history), &changes);

  streamer.samples = mira_test_speech_mix (speech, -26, 30, 1, 300, 300, 7, &streamer.n);
  url = g_strdup_printf ("%s/api/v1/%s/streams/phone-5/ws?codec=pcm&token=%s",
                         mira_test_server_get_url (f->server), f->network_id, phone);
  msg = soup_message_new (SOUP_METHOD_GET, url);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        audio_socket_ready, &opened);
  while (!opened.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (opened.error);
  streamer.socket = opened.socket;
  soup_websocket_connection_send_text (streamer.socket,
                                       "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,"
                                       "\"width\":2,\"channels\":1}}\n");
  source = g_timeout_add (100, stream_tick, &streamer);

  /* The stream's scores draw its line, a point per stream_scores event */
  scored = (Scored) { f, item, &changes };
  wait_until (f, has_scores, &scored, "scores while the phone streams");
  points = mira_client_item_get_history (item, &n);
  for (guint i = 1; i < n; i++)
    {
      g_assert_cmpint (points[i].time_us, >=, points[i - 1].time_us);
      g_assert_cmpfloat (points[i].score, >=, 0);
      g_assert_cmpfloat (points[i].score, <=, 1);
    }
  g_assert_cmpint (points[n - 1].time_us - points[0].time_us, <, 60 * G_USEC_PER_SEC);

  /* Alone in the network, it is the selected stream */
  wait_until (f, phone_is_best, NULL, "the phone's stream is selected");
  g_assert_false (mira_client_item_get_is_best (mira_connection_lookup_client (f->conn,
                                                                               "desk")));

  /* The phone stops: no live stream, no score; its line stays */
  g_source_remove (source);
  soup_websocket_connection_close (streamer.socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  wait_until (f, has_no_score, item, "the score ends with the stream");
  mira_client_item_get_history (item, &n);
  g_assert_cmpuint (n, >=, 4);

  g_clear_object (&opened.socket);
  g_signal_handlers_disconnect_by_data (item, &changes);
  g_free (streamer.samples);
}

static void
record_state (MiraConnection *conn,
              GParamSpec     *pspec,
              GArray         *states)
{
  MiraConnectionState state = mira_connection_get_state (conn);

  g_array_append_val (states, state);
}

static void
test_reconnect (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (MiraConnectionState));
  g_autoptr(MiraClientItem) desk = NULL;
  g_autofree char *phone = NULL;

  g_autoptr(MiraInteractionItem) oldest = NULL;
  g_autoptr(MiraInteractionItem) second = NULL;
  g_autofree char *desk_token = g_strdup (f->session_token);

  /* More said than the first page holds */
  for (guint i = 0; i < 55; i++)
    {
      g_autofree char *words = g_strdup_printf ("sentence %u", i);

      post_interaction (f, desk_token, words);
    }

  mira_connection_start (f->conn);
  wait_until (f, is_online, NULL, "online");
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_interactions (f->conn)),
                    ==, 50);
  oldest = g_object_ref (interaction_at (f, 0));
  second = g_object_ref (interaction_at (f, 1));
  g_assert_cmpstr (mira_interaction_item_get_content (oldest), ==, "sentence 5");
  desk = g_object_ref (mira_connection_lookup_client (f->conn, "desk"));
  g_signal_connect (f->conn, "notify::state", G_CALLBACK (record_state), states);

  /* The server goes away and comes back on the same port; a device
   * registers and speaks before this connection is back, so only a reload
   * shows it.
   */
  mira_test_server_restart (f->server);
  phone = register_client (f, "phone-4", "Dana's phone");
  post_interaction (f, phone, "said while away");

  wait_until (f, has_n_clients, GUINT_TO_POINTER (2), "the reloaded list");
  wait_until (f, is_online, NULL, "online again");
  g_assert_cmpuint (states->len, >=, 2);
  g_assert_cmpint (g_array_index (states, MiraConnectionState, 0), ==,
                   MIRA_CONNECTION_STATE_CONNECTING);
  g_assert_cmpint (g_array_index (states, MiraConnectionState, states->len - 1), ==,
                   MIRA_CONNECTION_STATE_ONLINE);
  g_assert_null (mira_connection_get_last_error (f->conn));

  /* Items keep their identity across the reload */
  g_assert_true (mira_connection_lookup_client (f->conn, "desk") == desk);
  g_assert_true (client_at (f, 0) == desk);
  g_assert_cmpstr (mira_client_item_get_display_name (client_at (f, 1)), ==, "Dana's phone");

  /* The transcript kept what it showed, the same items, and the newest page
   * after it: the newest MIRA_CONNECTION_LIVE_INTERACTIONS, so the oldest
   * made room for what was said while away
   */
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_interactions (f->conn)),
                    ==, MIRA_CONNECTION_LIVE_INTERACTIONS);
  g_assert_true (interaction_at (f, 0) == second);
  g_assert_cmpstr (mira_interaction_item_get_content (interaction_at (f, 49)), ==,
                   "said while away");
  g_assert_cmpstr (mira_interaction_item_get_device_name (interaction_at (f, 49)), ==,
                   "Dana's phone");

  /* And it follows events again, the oldest making room */
  post_interaction (f, phone, "back again");
  wait_until (f, newest_is, "back again", "an interaction after the restart");
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_interactions (f->conn)),
                    ==, MIRA_CONNECTION_LIVE_INTERACTIONS);
  g_assert_cmpstr (mira_interaction_item_get_content (interaction_at (f, 0)), ==, "sentence 7");

  g_signal_handlers_disconnect_by_data (f->conn, states);
}

static gboolean
is_connecting_after_failure (Fixture       *f,
                             gconstpointer  data)
{
  return mira_connection_get_state (f->conn) == MIRA_CONNECTION_STATE_CONNECTING &&
         mira_connection_get_last_error (f->conn) != NULL;
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *nowhere = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  Fixture g = *f;

  g.conn = mira_connection_new (nowhere, f->network_id, f->session_token, "desk");
  mira_connection_start (g.conn);
  wait_until (&g, is_connecting_after_failure, NULL, "a failed attempt");
  g_assert_error ((GError *) mira_connection_get_last_error (g.conn), MIRA_CORE_ERROR,
                  MIRA_CORE_ERROR_UNREACHABLE);

  /* Stopped, it is offline and forgets the failure */
  mira_connection_stop (g.conn);
  g_assert_cmpint (mira_connection_get_state (g.conn), ==, MIRA_CONNECTION_STATE_OFFLINE);
  g_assert_null (mira_connection_get_last_error (g.conn));
  g_object_unref (g.conn);

  /* An address that is no URL is refused at once, and not tried again */
  g.conn = mira_connection_new ("mira.example.org", f->network_id, f->session_token, "desk");
  mira_connection_start (g.conn);
  g_assert_cmpint (mira_connection_get_state (g.conn), ==, MIRA_CONNECTION_STATE_OFFLINE);
  g_assert_error ((GError *) mira_connection_get_last_error (g.conn), MIRA_CORE_ERROR,
                  MIRA_CORE_ERROR_INVALID_LINK);
  g_assert_null (mira_connection_dup_audio_url (g.conn, "opus"));
  g_object_unref (g.conn);

  /* A wrong token is refused the same way, and tried again later */
  g.conn = mira_connection_new (mira_test_server_get_url (f->server), f->network_id,
                                "mst_wrong", "desk");
  mira_connection_start (g.conn);
  wait_until (&g, is_connecting_after_failure, NULL, "a refused attempt");
  g_assert_error ((GError *) mira_connection_get_last_error (g.conn), MIRA_CORE_ERROR,
                  MIRA_CORE_ERROR_UNAUTHORIZED);
  mira_connection_stop (g.conn);
  g_object_unref (g.conn);
}

static void
test_stale_answers (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MiraConnection) other = NULL;
  g_autofree char *phone = register_client (f, "phone-3", "Cleo's phone");
  Fixture g = *f;

  post_interaction (f, phone, "said before the start");

  /* Started and stopped at once: what it asked is answered, and dropped */
  mira_connection_start (f->conn);
  mira_connection_stop (f->conn);

  /* A second connection, started later, is answered after the first */
  other = mira_connection_new (mira_test_server_get_url (f->server), f->network_id,
                               f->network_token, NULL);
  g.conn = other;
  mira_connection_start (other);
  wait_until (&g, is_online, NULL, "the second connection is online");
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (other)), ==, 2);

  g_assert_cmpint (mira_connection_get_state (f->conn), ==, MIRA_CONNECTION_STATE_OFFLINE);
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (f->conn)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_interactions (f->conn)), ==, 0);
  g_assert_null (mira_connection_get_network_name (f->conn));

  /* A network token sees everything but is no device of its own */
  g_assert_null (mira_connection_dup_audio_url (other, "opus"));
  g_assert_false (mira_client_item_get_is_self (mira_connection_lookup_client (other, "desk")));

  mira_connection_stop (other);
}

static void
test_audio_url (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *url = mira_connection_dup_audio_url (f->conn, "opus");
  g_autofree char *expected = NULL;
  g_autoptr(MiraConnection) tls = mira_connection_new ("https://mira.example.org:8443/",
                                                       "net_x", "t+k/=", "hall-mic");
  g_autofree char *tls_url = mira_connection_dup_audio_url (tls, "opus");

  expected = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/%s/streams/desk/ws?codec=opus&token=%s",
                              mira_test_server_get_port (f->server), f->network_id,
                              f->session_token);
  g_assert_cmpstr (url, ==, expected);
  g_assert_cmpstr (tls_url, ==,
                   "wss://mira.example.org:8443/api/v1/net_x/streams/hall-mic/ws"
                   "?codec=opus&token=t%2Bk%2F%3D");
}

/* A client's score history: a minute of points, oldest first */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_history (void)
{
  g_autoptr(MiraClientItem) item = mira_client_item_new ("mic");
  const gint64 t0 = 1000 * G_USEC_PER_SEC;
  const MiraScorePoint *points;
  guint changes = 0;
  guint notifies = 0;
  guint n = 0;

  g_signal_connect (item, "history-changed", G_CALLBACK (count_history), &changes);
  g_signal_connect (item, "notify::quality-score", G_CALLBACK (count_notify), &notifies);

  /* One point a second for 70 s */
  for (guint i = 0; i <= 70; i++)
    mira_client_item_add_score (item, t0 + i * G_USEC_PER_SEC, (i % 10) / 10.0);
  g_assert_cmpuint (changes, ==, 71);
  points = mira_client_item_get_history (item, &n);
  g_assert_cmpuint (n, ==, 61);
  g_assert_cmpint (points[0].time_us, ==, t0 + 10 * G_USEC_PER_SEC);
  g_assert_cmpint (points[n - 1].time_us, ==, t0 + 70 * G_USEC_PER_SEC);
  g_assert_cmpfloat (mira_client_item_get_quality_score (item), ==, 0);

  /* Scores outside 0..1 are held to it */
  mira_client_item_add_score (item, t0 + 71 * G_USEC_PER_SEC, 1.5);
  g_assert_cmpfloat (mira_client_item_get_quality_score (item), ==, 1);
  points = mira_client_item_get_history (item, &n);
  g_assert_cmpfloat (points[n - 1].score, ==, 1);

  /* The same score again changes the history, not the property */
  notifies = 0;
  mira_client_item_add_score (item, t0 + 72 * G_USEC_PER_SEC, 1);
  g_assert_cmpuint (notifies, ==, 0);

  /* No stream: no score, the line stays */
  mira_client_item_set_quality_score (item, -1);
  g_assert_cmpfloat (mira_client_item_get_quality_score (item), ==, -1);
  g_assert_cmpuint (notifies, ==, 1);
  mira_client_item_get_history (item, &n);
  g_assert_cmpuint (n, ==, 61);
}

/* Join links */

static void
test_join_link (void)
{
  static const struct {
    const char *link;
    const char *base_url;
    const char *network_id;
    const char *token;
  } good[] = {
    { "http://192.168.1.20:8080/join#net=net_abc&token=mnt_0123",
      "http://192.168.1.20:8080", "net_abc", "mnt_0123" },
    { "  https://mira.example.org/join#token=mnt_9&net=net_q\n",
      "https://mira.example.org", "net_q", "mnt_9" },
    { "https://example.org/mira/join#net=net_p&token=a%2Bb",
      "https://example.org/mira", "net_p", "a+b" },
    { "http://[::1]:8080/join#net=net_six&token=t",
      "http://[::1]:8080", "net_six", "t" },
  };
  static const char *bad[] = {
    "",
    "not a link",
    "ftp://example.org/join#net=net_a&token=t",
    "http://example.org/join",
    "http://example.org/join#net=net_a",
    "http://example.org/join#token=t",
    "http://example.org/join#net=&token=t",
    "http://example.org/join#net=other&token=t",
    "http://example.org/other#net=net_a&token=t",
    "http:///join#net=net_a&token=t",
    "http://user@example.org/join#net=net_a&token=t",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *base_url = NULL;
      g_autofree char *network_id = NULL;
      g_autofree char *token = NULL;
      g_autofree char *again = NULL;
      g_autofree char *base_again = NULL;
      g_autofree char *network_again = NULL;
      g_autofree char *token_again = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("link %s", good[i].link);
      g_assert_true (mira_join_link_parse (good[i].link, &base_url, &network_id, &token,
                                           &error));
      g_assert_no_error (error);
      g_assert_cmpstr (base_url, ==, good[i].base_url);
      g_assert_cmpstr (network_id, ==, good[i].network_id);
      g_assert_cmpstr (token, ==, good[i].token);

      /* What is built reads back the same */
      again = mira_join_link_build (base_url, network_id, token);
      g_assert_true (g_str_has_prefix (again, good[i].base_url));
      g_assert_true (mira_join_link_parse (again, &base_again, &network_again, &token_again,
                                           &error));
      g_assert_no_error (error);
      g_assert_cmpstr (base_again, ==, base_url);
      g_assert_cmpstr (network_again, ==, network_id);
      g_assert_cmpstr (token_again, ==, token);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      char *base_url = NULL;

      g_test_message ("not a link: %s", bad[i]);
      g_assert_false (mira_join_link_parse (bad[i], &base_url, NULL, NULL, &error));
      g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK);
      g_assert_null (base_url);
    }

  {
    g_autofree char *link = mira_join_link_build ("http://127.0.0.1:8080/", "net_a", "mnt_b");

    g_assert_cmpstr (link, ==, "http://127.0.0.1:8080/join#net=net_a&token=mnt_b");
  }
  g_assert_null (mira_join_link_build ("nonsense", "net_a", "mnt_b"));
}

/* Checking before joining */

typedef struct {
  gboolean  done;
  gboolean  ok;
  char     *name;
  GError   *error;
} Checked;

static void
check_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Checked *checked = user_data;

  checked->ok = mira_connection_check_finish (result, &checked->name, &checked->error);
  checked->done = TRUE;
}

static gboolean
is_checked (Fixture       *f,
            gconstpointer  data)
{
  const Checked *checked = data;

  return checked->done;
}

static void
check (const char *base_url,
       const char *network_id,
       const char *token,
       Checked    *checked)
{
  memset (checked, 0, sizeof *checked);
  mira_connection_check_async (base_url, network_id, token, NULL, check_ready, checked);
  wait_until (NULL, is_checked, checked, "the check's answer");
}

static void
checked_clear (Checked *checked)
{
  g_clear_pointer (&checked->name, g_free);
  g_clear_error (&checked->error);
}

/* Another kind of web server: a router's page, the wrong port */
static void
not_mira_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  const char *page = user_data;

  if (page == NULL)
    {
      /* An empty 404 */
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_COPY, page, strlen (page));
}

static char *
not_mira_start (SoupServer *server,
                const char *page)
{
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  soup_server_add_handler (server, NULL, not_mira_cb, (gpointer) page, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  return g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
}

/* An address that answers, but not as Mira does, is said so (not "no such
 * network"), and an empty answer is no JSON to read
 */
static void
test_check_not_mira (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(SoupServer) empty = soup_server_new (NULL, NULL);
  g_autoptr(SoupServer) web = soup_server_new (NULL, NULL);
  g_autofree char *empty_url = not_mira_start (empty, NULL);
  g_autofree char *web_url = not_mira_start (web, "<html><body>Router login</body></html>");
  Checked checked;

  check (empty_url, f->network_id, f->network_token, &checked);
  g_assert_false (checked.ok);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_MIRA);
  g_assert_nonnull (strstr (checked.error->message, "404"));
  checked_clear (&checked);

  check (web_url, f->network_id, f->network_token, &checked);
  g_assert_false (checked.ok);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_MIRA);
  checked_clear (&checked);
}

static void
test_check (Fixture       *f,
            gconstpointer  data)
{
  const char *url = mira_test_server_get_url (f->server);
  g_autofree char *nowhere = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(JsonObject) second = NULL;
  Checked checked;

  check (url, f->network_id, f->network_token, &checked);
  g_assert_no_error (checked.error);
  g_assert_true (checked.ok);
  g_assert_cmpstr (checked.name, ==, "Kitchen");
  checked_clear (&checked);

  check (url, f->network_id, f->session_token, &checked);
  g_assert_true (checked.ok);
  checked_clear (&checked);

  check (nowhere, f->network_id, f->network_token, &checked);
  g_assert_false (checked.ok);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNREACHABLE);
  checked_clear (&checked);

  check (url, f->network_id, "mnt_wrong", &checked);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED);
  checked_clear (&checked);

  check (url, "net_doesnotexist", f->network_token, &checked);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND);
  checked_clear (&checked);

  /* Another network's token does not open this one */
  second = request_object (f->server, 201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                           "{\"name\":\"Garage\"}");
  check (url, f->network_id, json_object_get_string_member (second, "network_token"), &checked);
  g_assert_false (checked.ok);
  g_assert_true (g_error_matches (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND) ||
                 g_error_matches (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED));
  checked_clear (&checked);

  check ("mira.example.org", f->network_id, f->network_token, &checked);
  g_assert_error (checked.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK);
  checked_clear (&checked);
}

/* Registering */

typedef struct {
  gboolean  done;
  char     *token;
  GError   *error;
} Registered;

static void
register_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Registered *registered = user_data;

  registered->token = mira_connection_register_finish (result, &registered->error);
  registered->done = TRUE;
}

static void
test_register (Fixture       *f,
               gconstpointer  data)
{
  Registered registered = { 0 };
  g_autoptr(MiraConnection) conn = NULL;
  Fixture g = *f;
  MiraClientItem *item;

  mira_connection_register_async (mira_test_server_get_url (f->server), f->network_id,
                                  f->network_token, "laptop-1", "laptop", NULL,
                                  register_ready, &registered);
  while (!registered.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (registered.error);
  g_assert_true (g_str_has_prefix (registered.token, "mst_") ||
                 strlen (registered.token) > 16);

  /* The session token is this device's own */
  conn = mira_connection_new (mira_test_server_get_url (f->server), f->network_id,
                              registered.token, "laptop-1");
  g.conn = conn;
  mira_connection_start (conn);
  wait_until (&g, is_online, NULL, "online with the session token");
  item = mira_connection_lookup_client (conn, "laptop-1");
  g_assert_nonnull (item);
  g_assert_true (mira_client_item_get_is_self (item));
  g_assert_cmpstr (mira_client_item_get_device_type (item), ==, "laptop");
  g_assert_cmpstr (mira_client_item_get_display_name (item), ==, g_get_host_name ());
  mira_connection_stop (conn);
  g_free (registered.token);

  /* A wrong network token registers nothing */
  memset (&registered, 0, sizeof registered);
  mira_connection_register_async (mira_test_server_get_url (f->server), f->network_id,
                                  "mnt_wrong", "laptop-2", "laptop", NULL,
                                  register_ready, &registered);
  while (!registered.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (registered.error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED);
  g_assert_null (registered.token);
  g_clear_error (&registered.error);
}

/* An async call's result, for the tests below */
typedef struct {
  GAsyncResult *result;
} Waiter;

static void
waiter_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
}

static gboolean
has_result (Fixture       *f,
            gconstpointer  data)
{
  return ((const Waiter *) data)->result != NULL;
}

static gboolean
timezone_is (Fixture       *f,
             gconstpointer  data)
{
  MiraSettingItem *item = mira_connection_lookup_setting (f->conn, "timezone");

  return item != NULL && g_strcmp0 (mira_setting_item_get_string (item), data) == 0;
}

static gboolean
timezone_unset (Fixture       *f,
                gconstpointer  data)
{
  return mira_connection_lookup_setting (f->conn, "timezone") == NULL;
}

static gboolean
name_is (Fixture       *f,
         gconstpointer  data)
{
  return g_strcmp0 (mira_network_item_get_name (mira_connection_get_network (f->conn)), data) == 0;
}

static void
on_reminder_due (MiraConnection *conn,
                 const char     *reminder_id,
                 const char     *title,
                 const char     *description,
                 char          **due)
{
  g_free (*due);
  *due = g_strdup_printf ("%s %s", reminder_id, title);
}

static gboolean
is_due (Fixture       *f,
        gconstpointer  data)
{
  return *(char * const *) data != NULL;
}

/* The network, the server, the settings: from REST, then from events; a
 * setting the server refuses is an error with its reason and changes
 * nothing; a reminder coming due is a signal, and completing it reaches
 * the server
 */
static void
test_network_and_settings (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *settings_path = g_strdup_printf ("/api/v1/%s/settings/conversation_timeout_s",
                                                    f->network_id);
  g_autofree char *network_path = g_strdup_printf ("/api/v1/networks/%s", f->network_id);
  g_autofree char *reminders_path = g_strdup_printf ("/api/v1/%s/reminders", f->network_id);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) reminder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) soon = g_date_time_add_seconds (now, 1);
  g_autofree char *soon_text = g_date_time_format_iso8601 (soon);
  g_autofree char *body = NULL;
  g_autofree char *due = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *reminder_path = NULL;
  MiraNetworkItem *network;
  MiraSettingItem *timeout;
  Waiter waiter = { NULL };

  answer = request_object (f->server, 201, "PUT", settings_path, f->network_token,
                           "{\"value\":45}");
  mira_connection_start (f->conn);
  wait_until (f, is_online, NULL, "online");

  network = mira_connection_get_network (f->conn);
  g_assert_cmpstr (mira_network_item_get_network_id (network), ==, f->network_id);
  g_assert_cmpstr (mira_network_item_get_name (network), ==, "Kitchen");
  g_assert_cmpint (mira_network_item_get_status (network), ==, MIRA_NETWORK_STATUS_ACTIVE);
  g_assert_cmpstr (mira_connection_get_server_version (f->conn), ==, PACKAGE_VERSION);
  g_assert_nonnull (mira_connection_get_transcriber (f->conn));
  timeout = mira_connection_lookup_setting (f->conn, "conversation_timeout_s");
  g_assert_nonnull (timeout);
  g_assert_cmpfloat (mira_setting_item_get_number (timeout, 0), ==, 45);
  /* Never set: the server's default, no item */
  g_assert_null (mira_connection_lookup_setting (f->conn, "timezone"));

  /* Written through the connection, seen through its event */
  mira_connection_set_setting_async (f->conn, "timezone", g_variant_new_string ("Europe/Oslo"),
                                     NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the setting written");
  g_assert_true (mira_connection_set_setting_finish (f->conn, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  wait_until (f, timezone_is, "Europe/Oslo", "the time zone's event");

  /* Refused, with the server's reason; nothing changes */
  mira_connection_set_setting_async (f->conn, "timezone", g_variant_new_string ("Mars/Olympus"),
                                     NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the refusal");
  g_assert_false (mira_connection_set_setting_finish (f->conn, waiter.result, &error));
  g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Mars/Olympus"));
  g_clear_error (&error);
  g_clear_object (&waiter.result);
  g_assert_true (timezone_is (f, "Europe/Oslo"));

  /* Reset: the server's default again, and no item */
  mira_connection_reset_setting_async (f->conn, "timezone", NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the setting reset");
  g_assert_true (mira_connection_reset_setting_finish (f->conn, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  wait_until (f, timezone_unset, NULL, "the time zone's deletion event");
  g_assert_cmpstr (mira_connection_get_time_zone (f->conn), ==, "UTC");

  /* Another device renames the network */
  g_clear_pointer (&answer, json_object_unref);
  answer = request_object (f->server, 200, "PATCH", network_path, f->network_token,
                           "{\"name\":\"Kitchen and Hall\"}");
  wait_until (f, name_is, "Kitchen and Hall", "network_updated");
  g_assert_cmpstr (mira_connection_get_network_name (f->conn), ==, "Kitchen and Hall");

  /* A session token may not rename it: the server's reason */
  mira_connection_rename_network_async (f->conn, "Attic", NULL, NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the refusal");
  g_assert_false (mira_connection_rename_network_finish (f->conn, waiter.result, &error));
  g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "network token"));
  g_clear_error (&error);
  g_clear_object (&waiter.result);

  /* A reminder due in a second comes due as a signal; completing it */
  g_signal_connect (f->conn, "reminder-due", G_CALLBACK (on_reminder_due), &due);
  body = g_strdup_printf ("{\"title\":\"Feed the cat\",\"due_time\":\"%s\"}", soon_text);
  reminder = request_object (f->server, 201, "POST", reminders_path, f->network_token, body);
  wait_until (f, is_due, &due, "reminder_due");
  expected = g_strdup_printf ("%s Feed the cat", json_object_get_string_member (reminder, "id"));
  g_assert_cmpstr (due, ==, expected);
  mira_connection_complete_reminder_async (f->conn,
                                           json_object_get_string_member (reminder, "id"),
                                           NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the reminder completed");
  g_assert_true (mira_connection_complete_reminder_finish (f->conn, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  reminder_path = g_strdup_printf ("%s/%s", reminders_path,
                                   json_object_get_string_member (reminder, "id"));
  g_clear_pointer (&answer, json_object_unref);
  answer = request_object (f->server, 200, "GET", reminder_path, f->network_token, NULL);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "completed");
  g_signal_handlers_disconnect_by_func (f->conn, on_reminder_due, &due);
}

/* MiraAdmin: every network of the server; suspend and delete; a token that
 * is not the admin's is refused
 */
static void
test_admin (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(MiraAdmin) admin = mira_admin_new (mira_test_server_get_url (f->server),
                                               MIRA_TEST_ADMIN_TOKEN);
  g_autoptr(MiraAdmin) impostor = mira_admin_new (mira_test_server_get_url (f->server),
                                                  f->network_token);
  g_autoptr(JsonObject) hall = NULL;
  g_autoptr(MiraNetworkItem) kitchen = NULL;
  g_autoptr(MiraNetworkItem) first = NULL;
  g_autoptr(MiraTestResponse) gone = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hall_path = NULL;
  GListModel *networks = mira_admin_get_networks (admin);
  Waiter waiter = { NULL };

  hall = request_object (f->server, 201, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                         "{\"name\":\"Hall\"}");
  hall_path = g_strdup_printf ("/api/v1/networks/%s",
                               json_object_get_string_member (hall, "network_id"));

  mira_admin_reload_async (admin, NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the networks");
  g_assert_true (mira_admin_reload_finish (admin, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  g_assert_cmpuint (g_list_model_get_n_items (networks), ==, 2);
  kitchen = g_list_model_get_item (networks, 0);
  g_assert_cmpstr (mira_network_item_get_name (kitchen), ==, "Kitchen");
  g_assert_cmpuint (mira_network_item_get_client_count (kitchen), ==, 1);

  mira_admin_set_status_async (admin, f->network_id, MIRA_NETWORK_STATUS_SUSPENDED, NULL,
                               waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "suspended");
  g_assert_true (mira_admin_set_status_finish (admin, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  g_assert_cmpint (mira_network_item_get_status (kitchen), ==, MIRA_NETWORK_STATUS_SUSPENDED);

  /* A reload keeps the items */
  mira_admin_reload_async (admin, NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the networks again");
  g_assert_true (mira_admin_reload_finish (admin, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  first = g_list_model_get_item (networks, 0);
  g_assert_true (first == kitchen);

  mira_admin_delete_async (admin, json_object_get_string_member (hall, "network_id"), NULL,
                           waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "deleted");
  g_assert_true (mira_admin_delete_finish (admin, waiter.result, &error));
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  g_assert_cmpuint (g_list_model_get_n_items (networks), ==, 1);
  gone = mira_test_request (f->server, "GET", hall_path, MIRA_TEST_ADMIN_TOKEN, NULL);
  g_assert_cmpuint (gone->status, ==, 404);

  mira_admin_reload_async (impostor, NULL, waiter_cb, &waiter);
  wait_until (f, has_result, &waiter, "the refusal");
  g_assert_false (mira_admin_reload_finish (impostor, waiter.result, &error));
  g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED);
  g_clear_object (&waiter.result);
  g_assert_cmpuint (g_list_model_get_n_items (mira_admin_get_networks (impostor)), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  mira_test_connection_wake_regularly ();

#define ADD(path, func) \
  g_test_add ("/connection/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("fill-from-rest", test_fill_from_rest);
  ADD ("follow-events", test_follow_events);
  ADD ("scores", test_scores);
  ADD ("reconnect", test_reconnect);
  ADD ("unreachable", test_unreachable);
  ADD ("stale-answers", test_stale_answers);
  ADD ("audio-url", test_audio_url);
  ADD ("check", test_check);
  ADD ("check/not-mira", test_check_not_mira);
  ADD ("register", test_register);
  ADD ("network-and-settings", test_network_and_settings);
  g_test_add ("/admin/networks", Fixture, NULL, fixture_set_up, test_admin, fixture_tear_down);
  g_test_add_func ("/connection/join-link", test_join_link);
  g_test_add_func ("/client-item/history", test_history);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
