/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-context"

/* MiraContext without GTK, as the app uses it: hosting a network on this
 * computer end to end, resuming after a restart, joining another server by
 * its link, and the errors a person sees when joining fails. Runs inside
 * tests/mira-session.sh: a private D-Bus session with an unlocked
 * gnome-keyring, and HOME and XDG directories of its own.
 */

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "mira-client-item.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-host.h"
#include "mira-secrets.h"
#include "mira-server-thread.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-util.h"

#define WAIT_LIMIT_US (30 * G_USEC_PER_SEC)

typedef struct {
  GSettings   *settings;
  MiraContext *context;
  /* A port held busy, so that the hosted server must take another */
  GSocketListener *squatter;
  guint        busy_port;
} Fixture;

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (gconstpointer data);

static void
wait_until (Condition      condition,
            gconstpointer  data,
            const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_US;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting until %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_done (gconstpointer data)
{
  return *(GAsyncResult * const *) data != NULL;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  wait_until (is_done, result, "an answer");
  return *result;
}

static gboolean
is_online (gconstpointer data)
{
  MiraConnection *connection = (MiraConnection *) data;

  return mira_connection_get_state (connection) == MIRA_CONNECTION_STATE_ONLINE;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GError) error = NULL;

  f->settings = g_settings_new (APPLICATION_ID);
  g_object_get (f->settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (f->settings, keys[i]);

  f->squatter = g_socket_listener_new ();
  f->busy_port = g_socket_listener_add_any_inet_port (f->squatter, NULL, &error);
  g_assert_no_error (error);
  g_settings_set (f->settings, "host-port", "q", (guint16) f->busy_port);

  f->context = mira_context_new (f->settings);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->context != NULL)
    mira_context_shutdown (f->context);
  g_clear_object (&f->context);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_socket_listener_close (f->squatter);
  g_clear_object (&f->squatter);
  g_clear_object (&f->settings);
}

static char *
lookup_secret (const char    *server,
               const char    *network_id,
               MiraTokenKind  kind)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *token;

  mira_secrets_lookup_async (server, network_id, kind, NULL, store_result, &result);
  token = mira_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  return token;
}

/* No key of the settings holds @secret */
static void
assert_not_in_settings (GSettings  *settings,
                        const char *secret)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_assert_nonnull (secret);
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, secret));
    }
}

static char *
host_secret_server (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mira", "mira.db", NULL);

  return g_strconcat ("sqlite://", path, NULL);
}

static void
host (MiraContext *context)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mira_context_host_async (context, NULL, store_result, &result);
  g_assert_true (mira_context_get_busy (context));
  mira_context_host_finish (context, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_false (mira_context_get_busy (context));
}

static gboolean
is_hosting_lan (gconstpointer data)
{
  MiraContext *context = (MiraContext *) data;
  MiraHost *hosted = mira_context_get_host (context);

  return !mira_context_get_busy (context) && hosted != NULL &&
         mira_host_get_allow_lan (hosted) && mira_context_get_connection (context) != NULL;
}

static gboolean
is_hosting_loopback (gconstpointer data)
{
  MiraContext *context = (MiraContext *) data;
  MiraHost *hosted = mira_context_get_host (context);

  return !mira_context_get_busy (context) && hosted != NULL &&
         !mira_host_get_allow_lan (hosted) && mira_context_get_connection (context) != NULL;
}

static void
test_host (Fixture       *f,
           gconstpointer  data)
{
  MiraConnection *connection;
  MiraHost *hosted;
  MiraClientItem *self_item;
  g_autofree char *network_id = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *link_network = NULL;
  g_autofree char *network_token = NULL;
  g_autofree char *admin_token = NULL;
  g_autofree char *kept_token = NULL;
  g_autofree char *secret_server = host_secret_server ();
  g_autofree char *first_link = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *db_path = NULL;

  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  host (f->context);

  /* The server runs here, on another port than the taken one */
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_HOST);
  hosted = mira_context_get_host (f->context);
  g_assert_nonnull (hosted);
  g_assert_true (mira_host_get_port_changed (hosted));
  g_assert_cmpuint (mira_host_get_port (hosted), !=, f->busy_port);
  g_assert_true (g_str_has_prefix (mira_host_get_url (hosted), "http://127.0.0.1:"));
  db_path = g_build_filename (g_get_user_data_dir (), "mira", "mira.db", NULL);
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));

  /* The app talks to it over HTTP like to any server, as this computer */
  connection = mira_context_get_connection (f->context);
  g_assert_nonnull (connection);
  g_assert_cmpstr (mira_connection_get_base_url (connection), ==, mira_host_get_url (hosted));
  wait_until (is_online, connection, "online");
  network_id = g_settings_get_string (f->settings, "network-id");
  client_id = g_settings_get_string (f->settings, "client-id");
  g_assert_true (g_str_has_prefix (network_id, "net_"));
  g_assert_cmpstr (client_id, !=, "");
  g_assert_cmpstr (mira_connection_get_network_id (connection), ==, network_id);
  g_assert_true (g_str_has_suffix (mira_connection_get_network_name (connection),
                                   "’s network"));
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (connection)), ==, 1);
  self_item = mira_connection_lookup_client (connection, client_id);
  g_assert_nonnull (self_item);
  g_assert_true (mira_client_item_get_is_self (self_item));
  g_assert_cmpstr (mira_client_item_get_display_name (self_item), ==, g_get_host_name ());

  /* The link other devices join by */
  first_link = g_strdup (mira_context_get_join_link (f->context));
  g_assert_nonnull (first_link);
  g_assert_true (mira_join_link_parse (first_link, &base_url, &link_network, &network_token,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpstr (base_url, ==, mira_host_get_url (hosted));
  g_assert_cmpstr (link_network, ==, network_id);

  /* Its tokens are in the keyring, and nowhere in the settings */
  admin_token = lookup_secret (secret_server, NULL, MIRA_TOKEN_ADMIN);
  g_assert_nonnull (admin_token);
  g_assert_cmpstr (mira_host_get_admin_token (hosted), ==, admin_token);
  kept_token = lookup_secret (secret_server, network_id, MIRA_TOKEN_NETWORK);
  g_assert_cmpstr (kept_token, ==, network_token);
  assert_not_in_settings (f->settings, admin_token);
  assert_not_in_settings (f->settings, network_token);
  assert_not_in_settings (f->settings, mira_connection_get_token (connection));

  /* The network token opens the network, as another device would use it */
  mira_connection_check_async (base_url, link_network, network_token, NULL, store_result,
                               &result);
  g_assert_true (mira_connection_check_finish (wait_result (&result), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* The app quits and starts again: it resumes the same network */
  mira_context_shutdown (f->context);
  g_assert_null (mira_context_get_connection (f->context));
  g_assert_null (mira_context_get_host (f->context));
  g_clear_object (&f->context);

  f->context = mira_context_new (f->settings);
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_HOST);
  mira_context_resume_async (f->context, NULL, store_result, &result);
  g_assert_true (mira_context_resume_finish (f->context, wait_result (&result), &error));
  g_assert_no_error (error);
  connection = mira_context_get_connection (f->context);
  wait_until (is_online, connection, "online again");
  g_assert_cmpstr (mira_connection_get_network_id (connection), ==, network_id);
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_clients (connection)), ==, 1);
  g_assert_true (mira_client_item_get_is_self (mira_connection_lookup_client (connection,
                                                                              client_id)));
  /* The same link: the port it took last time, the network and its token */
  g_assert_cmpstr (mira_context_get_join_link (f->context), ==, first_link);

  /* Letting in the local network hosts again, on every interface */
  g_settings_set_boolean (f->settings, "allow-lan", TRUE);
  wait_until (is_hosting_lan, f->context, "hosting for the local network");
  connection = mira_context_get_connection (f->context);
  wait_until (is_online, connection, "online after hosting again");
  g_assert_cmpstr (mira_connection_get_network_id (connection), ==, network_id);
  g_assert_true (mira_join_link_parse (mira_context_get_join_link (f->context), NULL, NULL,
                                       NULL, &error));

  /* Leaving stops everything and forgets the mode */
  mira_context_leave (f->context);
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  g_assert_null (mira_context_get_connection (f->context));
  g_assert_null (mira_context_get_host (f->context));
  g_assert_null (mira_context_get_join_link (f->context));
}

static guint
hosted_port (MiraContext *context)
{
  return mira_host_get_port (mira_context_get_host (context));
}

static void
resume (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mira_context_shutdown (f->context);
  g_clear_object (&f->context);
  f->context = mira_context_new (f->settings);
  mira_context_resume_async (f->context, NULL, store_result, &result);
  g_assert_true (mira_context_resume_finish (f->context, wait_result (&result), &error));
  g_assert_no_error (error);
  wait_until (is_online, mira_context_get_connection (f->context), "online");
}

typedef struct {
  MiraContext *context;
  guint        port;
} HostingOn;

static gboolean
is_hosting_on (gconstpointer data)
{
  const HostingOn *on = data;
  MiraHost *hosted = mira_context_get_host (on->context);

  return !mira_context_get_busy (on->context) && hosted != NULL &&
         mira_host_get_port (hosted) == on->port &&
         mira_context_get_connection (on->context) != NULL;
}

/* The port the hosted server took when its own was taken is kept: a
 * restart and hosting again for the local network listen on it again, so
 * that devices that joined by the link find the server. Only when it is
 * taken meanwhile does it change, and the host says so.
 */
static void
test_host_port_kept (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GSocketListener) squatter = NULL;
  g_autoptr(GError) error = NULL;
  guint16 kept = 0;
  guint port;

  host (f->context);
  port = hosted_port (f->context);
  g_assert_cmpuint (port, !=, f->busy_port);
  g_assert_true (mira_host_get_port_changed (mira_context_get_host (f->context)));
  g_settings_get (f->settings, "hosted-port", "q", &kept);
  g_assert_cmpuint (kept, ==, port);

  /* Restarted once the asked-for port is free again: still the same port;
   * the asked-for port written again as it was changes nothing
   */
  g_socket_listener_close (f->squatter);
  g_settings_set (f->settings, "host-port", "q", (guint16) f->busy_port);
  resume (f);
  g_assert_cmpuint (hosted_port (f->context), ==, port);
  g_assert_false (mira_host_get_port_changed (mira_context_get_host (f->context)));

  /* Letting in the local network hosts again on every interface, on the
   * same port: the old listening socket is gone before the new one binds
   */
  g_settings_set_boolean (f->settings, "allow-lan", TRUE);
  wait_until (is_hosting_lan, f->context, "hosting for the local network");
  wait_until (is_online, mira_context_get_connection (f->context), "online on every interface");
  g_assert_cmpuint (hosted_port (f->context), ==, port);
  g_assert_false (mira_host_get_port_changed (mira_context_get_host (f->context)));

  /* And back to loopback only */
  g_settings_set_boolean (f->settings, "allow-lan", FALSE);
  wait_until (is_hosting_loopback, f->context, "hosting for this computer only");
  g_assert_cmpuint (hosted_port (f->context), ==, port);

  /* Taken by another program meanwhile: the asked-for port, and the host
   * says that it changed
   */
  mira_context_shutdown (f->context);
  squatter = g_socket_listener_new ();
  g_socket_listener_add_inet_port (squatter, (guint16) port, NULL, &error);
  g_assert_no_error (error);
  resume (f);
  g_assert_cmpuint (hosted_port (f->context), ==, f->busy_port);
  g_assert_true (mira_host_get_port_changed (mira_context_get_host (f->context)));
  g_assert_cmpuint (mira_host_get_last_port (mira_context_get_host (f->context)), ==, port);
  g_settings_get (f->settings, "hosted-port", "q", &kept);
  g_assert_cmpuint (kept, ==, f->busy_port);
  g_socket_listener_close (squatter);

  /* A port the person chooses is taken from then on */
  {
    g_autoptr(GSocketListener) probe = g_socket_listener_new ();
    guint chosen = g_socket_listener_add_any_inet_port (probe, NULL, &error);
    HostingOn on = { f->context, chosen };

    g_assert_no_error (error);
    g_socket_listener_close (probe);
    g_settings_set (f->settings, "host-port", "q", (guint16) chosen);
    wait_until (is_hosting_on, &on, "hosting on the chosen port");
    g_assert_false (mira_host_get_port_changed (mira_context_get_host (f->context)));
    g_settings_get (f->settings, "hosted-port", "q", &kept);
    g_assert_cmpuint (kept, ==, chosen);
  }

  mira_context_leave (f->context);
}

/* Joining */

typedef struct {
  MiraTestServer *server;
  char           *network_id;
  char           *network_token;
  char           *link;
} Remote;

static void
remote_init (Remote *remote)
{
  g_autofree char *db_uri = mira_test_sqlite_uri ();
  g_autoptr(MiraTestResponse) response = NULL;
  JsonObject *network;

  remote->server = mira_test_server_new (db_uri, FALSE);
  response = mira_test_request (remote->server, "POST", "/api/v1/networks",
                                MIRA_TEST_ADMIN_TOKEN, "{\"name\":\"Office\"}");
  g_assert_cmpuint (response->status, ==, 201);
  network = mira_test_response_object (response);
  remote->network_id = g_strdup (json_object_get_string_member (network, "network_id"));
  remote->network_token = g_strdup (json_object_get_string_member (network, "network_token"));
  remote->link = mira_join_link_build (mira_test_server_get_url (remote->server),
                                       remote->network_id, remote->network_token);
}

static void
remote_clear (Remote *remote)
{
  g_clear_pointer (&remote->server, mira_test_server_free);
  g_free (remote->network_id);
  g_free (remote->network_token);
  g_free (remote->link);
}

static gboolean
secret_gone (gconstpointer data)
{
  const char * const *key = data;
  g_autofree char *token = lookup_secret (key[0], key[1], MIRA_TOKEN_SESSION);

  return token == NULL;
}

static void
test_join (Fixture       *f,
           gconstpointer  data)
{
  Remote remote = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session_token = NULL;
  g_autofree char *network_token = NULL;
  g_autofree char *client_id = NULL;
  MiraConnection *connection;
  const char *url;

  remote_init (&remote);
  url = mira_test_server_get_url (remote.server);

  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                           &result);
  g_assert_true (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_JOIN);
  g_assert_null (mira_context_get_host (f->context));
  g_assert_null (mira_context_get_join_link (f->context));
  connection = mira_context_get_connection (f->context);
  wait_until (is_online, connection, "online in the joined network");
  g_assert_cmpstr (mira_connection_get_network_name (connection), ==, "Office");
  client_id = g_settings_get_string (f->settings, "client-id");
  g_assert_true (mira_client_item_get_is_self (mira_connection_lookup_client (connection,
                                                                              client_id)));

  /* Only the session token is kept: in the keyring */
  session_token = lookup_secret (url, remote.network_id, MIRA_TOKEN_SESSION);
  g_assert_cmpstr (session_token, ==, mira_connection_get_token (connection));
  g_assert_cmpstr (session_token, !=, remote.network_token);
  network_token = lookup_secret (url, remote.network_id, MIRA_TOKEN_NETWORK);
  g_assert_null (network_token);
  assert_not_in_settings (f->settings, session_token);
  assert_not_in_settings (f->settings, remote.network_token);

  /* A restart resumes with the stored session token */
  mira_context_shutdown (f->context);
  g_clear_object (&f->context);
  f->context = mira_context_new (f->settings);
  mira_context_resume_async (f->context, NULL, store_result, &result);
  g_assert_true (mira_context_resume_finish (f->context, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  connection = mira_context_get_connection (f->context);
  wait_until (is_online, connection, "online after the restart");
  g_assert_cmpstr (mira_connection_get_token (connection), ==, session_token);

  /* Leaving forgets the session token too */
  mira_context_leave (f->context);
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  {
    const char *key[] = { url, remote.network_id };

    wait_until (secret_gone, key, "the session token is removed");
  }

  remote_clear (&remote);
}

static void
join_fails (Fixture      *f,
            const char   *link,
            const char   *base_url,
            const char   *network_id,
            const char   *token,
            MiraCoreError code)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mira_context_join_async (f->context, link, base_url, network_id, token, NULL, store_result,
                           &result);
  g_assert_false (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_error (error, MIRA_CORE_ERROR, (gint) code);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, !=, "");

  /* Nothing changed */
  g_assert_false (mira_context_get_busy (f->context));
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  g_assert_null (mira_context_get_connection (f->context));
}

/* An HTTPS server whose certificate nobody trusts */
static MiraServerThread *
untrusted_server (const char *dir)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *db_uri = mira_test_sqlite_uri ();
  g_autoptr(GError) error = NULL;
  MiraServerOptions options = { .admin_token = MIRA_TEST_ADMIN_TOKEN,
                                .tls_cert_file = cert, .tls_key_file = key };
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert, NULL
  };
  MiraServerThread *thread;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  thread = mira_server_thread_new (db_uri, &options, "127.0.0.1", 0, 1);
  g_assert_true (mira_server_thread_start (thread, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (mira_server_thread_get_url (thread), "https://"));
  return thread;
}

static void
test_join_errors (Fixture       *f,
                  gconstpointer  data)
{
  Remote remote = { 0 };
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(MiraServerThread) tls = NULL;
  g_autofree char *nowhere = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GError) error = NULL;
  const char *url;
  guint port;

  remote_init (&remote);
  url = mira_test_server_get_url (remote.server);

  join_fails (f, "https://example.org/join", NULL, NULL, NULL, MIRA_CORE_ERROR_INVALID_LINK);
  join_fails (f, NULL, "ftp://example.org", remote.network_id, remote.network_token,
              MIRA_CORE_ERROR_INVALID_LINK);

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  nowhere = g_strdup_printf ("http://127.0.0.1:%u", port);
  join_fails (f, NULL, nowhere, remote.network_id, remote.network_token,
              MIRA_CORE_ERROR_UNREACHABLE);

  join_fails (f, NULL, url, remote.network_id, "mnt_not-the-token",
              MIRA_CORE_ERROR_UNAUTHORIZED);
  join_fails (f, NULL, url, "net_0123456789abcdef0123456789abcdef", remote.network_token,
              MIRA_CORE_ERROR_NOT_FOUND);

  tmp = g_dir_make_tmp ("mira-tls-XXXXXX", &error);
  g_assert_no_error (error);
  tls = untrusted_server (tmp);
  join_fails (f, NULL, mira_server_thread_get_url (tls), remote.network_id,
              remote.network_token, MIRA_CORE_ERROR_TLS);
  mira_server_thread_stop (tls);
  {
    g_autofree char *cert = g_build_filename (tmp, "cert.pem", NULL);
    g_autofree char *key = g_build_filename (tmp, "key.pem", NULL);

    g_unlink (cert);
    g_unlink (key);
    g_rmdir (tmp);
  }

  /* And with all that behind it, the address as people type it still joins */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *typed = g_strconcat (" ", url + strlen ("http://"), "/ ", NULL);
    g_autofree char *kept = NULL;

    mira_context_join_async (f->context, NULL, typed, remote.network_id, remote.network_token,
                             NULL, store_result, &result);
    g_assert_true (mira_context_join_finish (f->context, wait_result (&result), &error));
    g_assert_no_error (error);
    kept = g_settings_get_string (f->settings, "server-url");
    g_assert_cmpstr (kept, ==, url);
  }
  mira_context_leave (f->context);

  remote_clear (&remote);
}

static void
join (MiraContext *context,
      const char  *link)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mira_context_join_async (context, link, NULL, NULL, NULL, NULL, store_result, &result);
  g_assert_true (mira_context_join_finish (context, wait_result (&result), &error));
  g_assert_no_error (error);
  wait_until (is_online, mira_context_get_connection (context), "online");
}

typedef struct {
  MiraConnection *connection;
  const char     *client_id;
} Scored;

static gboolean
has_scores (gconstpointer data)
{
  const Scored *scored = data;
  MiraClientItem *item = mira_connection_lookup_client (scored->connection, scored->client_id);
  guint n_points = 0;

  if (item != NULL)
    mira_client_item_get_history (item, &n_points);
  return n_points > 0;
}

/* Two computers whose host names are the same (Debian's default is
 * "debian") join one network as two devices: the second does not take
 * over the first's client and end its session, and the first still
 * streams.
 */
static void
test_same_host_name (Fixture       *f,
                     gconstpointer  data)
{
  Remote remote = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mira-other-XXXXXX", &error);
  g_autofree char *keyfile = g_build_filename (dir, "settings.ini", NULL);
  g_autoptr(GSettingsBackend) backend = g_keyfile_settings_backend_new (keyfile, "/", NULL);
  g_autoptr(GSettings) other_settings = g_settings_new_with_backend (APPLICATION_ID, backend);
  g_autoptr(MiraContext) other = NULL;
  g_autoptr(MiraTestClient) client = NULL;
  g_autoptr(MiraTestSocket) socket = NULL;
  g_autoptr(MiraTestResponse) response = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *first_token = NULL;
  g_autofree char *path = NULL;
  const char *format = "{\"rate\":16000,\"width\":2,\"channels\":1}";
  g_autofree char *chunk = NULL;
  gint16 tone[320];
  Scored scored;
  gint64 deadline;
  guint n = 0;

  g_assert_no_error (error);
  remote_init (&remote);

  join (f->context, remote.link);
  first_id = g_settings_get_string (f->settings, "client-id");
  first_token = g_strdup (mira_connection_get_token (mira_context_get_connection (f->context)));
  g_assert_true (mira_is_client_id (first_id));

  other = mira_context_new (other_settings);
  join (other, remote.link);
  second_id = g_settings_get_string (other_settings, "client-id");
  g_assert_true (mira_is_client_id (second_id));
  g_assert_cmpstr (first_id, !=, second_id);

  /* Each installation keeps its own suffix */
  {
    g_autofree char *first_suffix = g_settings_get_string (f->settings, "device-suffix");
    g_autofree char *second_suffix = g_settings_get_string (other_settings, "device-suffix");

    g_assert_true (g_str_has_suffix (first_id, first_suffix));
    g_assert_true (g_str_has_suffix (second_id, second_suffix));
  }

  /* The network has both, and the first's session still opens it */
  path = g_strdup_printf ("/api/v1/%s/clients", remote.network_id);
  response = mira_test_request (remote.server, "GET", path, first_token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      mira_test_response_object (response), "items")), ==, 2);

  /* The first streams with its session, and the second sees its scores */
  client = mira_test_client_new (mira_test_server_get_url (remote.server));
  g_free (path);
  path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?codec=pcm&token=%s", remote.network_id,
                          first_id, first_token);
  socket = mira_test_socket_connect (client, path);
  g_assert_nonnull (mira_test_socket_wait_for (socket, "ready", 0, 10000, NULL));
  {
    g_autofree char *start = g_strdup_printf ("{\"type\":\"audio-start\",\"data\":%s}\n",
                                              format);

    mira_test_socket_send_text (socket, start);
  }
  chunk = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":%s,\"payload_length\":%zu}\n",
                           format, sizeof tone);
  scored.connection = mira_context_get_connection (other);
  scored.client_id = first_id;
  deadline = g_get_monotonic_time () + WAIT_LIMIT_US;
  while (!has_scores (&scored))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* 20 ms of a 440 Hz tone */
      for (guint i = 0; i < G_N_ELEMENTS (tone); i++, n++)
        tone[i] = (gint16) (8000 * sin (2 * G_PI * 440 * n / 16000.0));
      mira_test_socket_send_text (socket, chunk);
      mira_test_socket_send_binary (socket, tone, sizeof tone);
      mira_test_client_run (client, 20);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_true (mira_test_socket_is_open (socket));
  g_assert_cmpint (mira_connection_get_state (mira_context_get_connection (f->context)), ==,
                   MIRA_CONNECTION_STATE_ONLINE);

  mira_test_socket_close (socket);
  mira_test_client_run (client, 100);
  g_clear_pointer (&socket, mira_test_socket_free);
  g_clear_pointer (&client, mira_test_client_free);
  mira_context_shutdown (other);
  mira_context_leave (f->context);
  remote_clear (&remote);
  g_remove (keyfile);
  g_rmdir (dir);
}

/* A flow cancelled by its caller, or ended by leave(), changes nothing */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  Remote remote = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  remote_init (&remote);

  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, cancellable,
                           store_result, &result);
  g_assert_true (mira_context_get_busy (f->context));
  g_cancellable_cancel (cancellable);
  g_assert_false (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);
  g_assert_false (mira_context_get_busy (f->context));
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  g_assert_null (mira_context_get_connection (f->context));

  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                           &result);
  mira_context_leave (f->context);
  g_assert_false (mira_context_get_busy (f->context));
  g_assert_false (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_NONE);
  g_assert_null (mira_context_get_connection (f->context));

  /* A join that replaces another wins */
  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                           &result);
  {
    g_autoptr(GAsyncResult) second = NULL;

    mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                             &second);
    g_assert_true (mira_context_join_finish (f->context, wait_result (&second), &error));
    g_assert_no_error (error);
  }
  g_assert_false (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (mira_context_get_busy (f->context));
  g_assert_cmpint (mira_context_get_mode (f->context), ==, MIRA_MODE_JOIN);
  wait_until (is_online, mira_context_get_connection (f->context), "online");

  mira_context_leave (f->context);
  remote_clear (&remote);
}

/* Hosting, joining elsewhere and hosting again finds the hosted network
 * again, whatever the settings said in between
 */
static void
test_host_again (Fixture       *f,
                 gconstpointer  data)
{
  Remote remote = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hosted_network = NULL;
  g_autofree char *again = NULL;

  remote_init (&remote);

  host (f->context);
  hosted_network = g_settings_get_string (f->settings, "network-id");
  mira_context_leave (f->context);

  /* Joined elsewhere, then hosting straight away */
  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                           &result);
  g_assert_true (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  host (f->context);
  again = g_settings_get_string (f->settings, "network-id");
  g_assert_cmpstr (again, ==, hosted_network);
  g_assert_cmpstr (mira_connection_get_network_id (mira_context_get_connection (f->context)),
                   ==, hosted_network);

  /* Joined and left, which forgets the network id, then hosting */
  mira_context_join_async (f->context, remote.link, NULL, NULL, NULL, NULL, store_result,
                           &result);
  g_assert_true (mira_context_join_finish (f->context, wait_result (&result), &error));
  g_clear_object (&result);
  mira_context_leave (f->context);
  g_free (again);
  again = g_settings_get_string (f->settings, "network-id");
  g_assert_cmpstr (again, ==, "");
  host (f->context);
  g_free (again);
  again = g_settings_get_string (f->settings, "network-id");
  g_assert_cmpstr (again, ==, hosted_network);
  wait_until (is_online, mira_context_get_connection (f->context), "online");

  mira_context_leave (f->context);
  remote_clear (&remote);
}

static void
test_host_again_prints (void)
{
  g_test_trap_subprocess ("/context/host-again/subprocess", 0,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Hosting prints where it listens on stdout, as mira-server does: the
 * hosting test runs in a subprocess whose output is read here.
 */
static void
test_host_prints (void)
{
  g_test_trap_subprocess ("/context/host/subprocess", 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*listening on http://127.0.0.1:*");
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_timeout_add (100, tick, NULL);

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_error ("run this test inside tests/mira-session.sh: it needs a Secret Service");

#define ADD(path, func) \
  g_test_add ("/context/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("host/subprocess", test_host);
  g_test_add_func ("/context/host", test_host_prints);
  ADD ("host-again/subprocess", test_host_again);
  g_test_add_func ("/context/host-again", test_host_again_prints);
  ADD ("host-port-kept", test_host_port_kept);
  ADD ("join", test_join);
  ADD ("join-errors", test_join_errors);
  ADD ("cancel", test_cancel);
  ADD ("same-host-name", test_same_host_name);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
