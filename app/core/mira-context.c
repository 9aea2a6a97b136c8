/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-context"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mira-admin.h"
#include "mira-capture.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-core-private.h"
#include "mira-host.h"
#include "mira-secrets.h"
#include "mira-util.h"

struct _MiraContext
{
  GObject         parent_instance;

  GSettings      *settings;
  MiraConnection *connection;
  MiraCapture    *capture;
  MiraHost       *host;
  MiraAdmin      *admin;
  char           *join_link;
  /* The host/join/resume under way; a new one or leave() cancels it */
  GCancellable   *cancellable;
  gboolean        busy;
  /* A port typed digit by digit, or a switch flicked twice, hosts again once */
  guint           rehost_source;
  /* "host-port" as last read, to tell a new choice from a rewrite */
  guint16         host_port;
};

G_DEFINE_FINAL_TYPE (MiraContext, mira_context, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_MODE,
  PROP_CONNECTION,
  PROP_CAPTURE,
  PROP_HOST,
  PROP_JOIN_LINK,
  PROP_BUSY,
  PROP_ADMIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* This computer */

#define DEVICE_SUFFIX_LEN 6

/* This installation's suffix ("device-suffix"), made once: six lowercase
 * hex digits from GLib's random numbers. It tells apart computers that
 * share a host name (Debian's default is "debian"), which would else
 * register as one client and end each other's sessions.
 */
static char *
device_suffix (GSettings *settings)
{
  g_autofree char *suffix = g_settings_get_string (settings, "device-suffix");
  gboolean valid = strlen (suffix) == DEVICE_SUFFIX_LEN;

  for (const char *p = suffix; valid && *p != '\0'; p++)
    valid = g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f');
  if (!valid)
    {
      g_free (suffix);
      suffix = g_strdup_printf ("%06x", g_random_int_range (0, 1 << 24));
      g_settings_set_string (settings, "device-suffix", suffix);
    }
  return g_steal_pointer (&suffix);
}

/* A client id for this installation: the host name's letters, digits,
 * '-', '_' and '.', starting with a letter or digit, then '-' and the
 * installation's suffix; at most 50 characters (API.md's client id).
 */
static char *
new_client_id (GSettings *settings)
{
  const char *host_name = g_get_host_name ();
  g_autofree char *suffix = device_suffix (settings);
  GString *id = g_string_new (NULL);

  for (const char *p = host_name; *p != '\0' && id->len < 50 - 1 - DEVICE_SUFFIX_LEN; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (id, g_ascii_tolower (*p));
      else if (id->len > 0 && (*p == '-' || *p == '_' || *p == '.'))
        g_string_append_c (id, *p);
    }
  if (id->len == 0)
    g_string_assign (id, "desktop");
  g_string_append_printf (id, "-%s", suffix);
  return g_string_free (id, FALSE);
}

/* "laptop" when the machine has a battery, else "desktop" */
static const char *
device_type (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/sys/class/power_supply", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "BAT"))
      return "laptop";
  return "desktop";
}

static char *
network_name (void)
{
  const char *real_name = g_get_real_name ();

  /* GLib says "Unknown" when the account has no real name */
  if (real_name == NULL || real_name[0] == '\0' || g_str_equal (real_name, "Unknown"))
    real_name = g_get_host_name ();
  /* Translators: the name of a new network; %s is the person's name or the computer's */
  return g_strdup_printf (_("%s’s network"), real_name);
}

static char *
database_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "mira", "mira.db", NULL);
}

/* The keyring's "server" of the hosted server: its database, which outlives
 * a change of port
 */
static char *
host_secret_server (void)
{
  g_autofree char *path = database_path ();

  return g_strconcat ("sqlite://", path, NULL);
}

/* State */

static void
set_busy (MiraContext *self,
          gboolean     busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_join_link (MiraContext *self,
               const char  *join_link)
{
  if (mira_set_string (&self->join_link, join_link))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOIN_LINK]);
}

static void
set_mode (MiraContext *self,
          MiraMode     mode)
{
  if ((MiraMode) g_settings_get_enum (self->settings, "mode") == mode)
    return;
  g_settings_set_enum (self->settings, "mode", mode);
}

static void
settings_mode_changed (GSettings   *settings,
                       const char  *key,
                       MiraContext *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

/* Hands @connection to the app and the capture */
static void
set_connection (MiraContext    *self,
                MiraConnection *connection)
{
  g_autofree char *audio_url = NULL;

  if (self->connection == connection)
    return;
  if (self->connection != NULL)
    mira_connection_stop (self->connection);
  g_set_object (&self->connection, connection);

  if (connection != NULL)
    audio_url = mira_connection_dup_audio_url (connection, "opus");
  mira_capture_set_audio_url (self->capture, audio_url);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

static void
set_admin (MiraContext *self,
           MiraAdmin   *admin)
{
  if (g_set_object (&self->admin, admin))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADMIN]);
}

static void
set_host (MiraContext *self,
          MiraHost    *host)
{
  if (self->host == host)
    return;
  if (self->host != NULL)
    mira_host_stop (self->host);
  g_set_object (&self->host, host);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
}

/* Stops what runs: capture, connection, hosted server; a flow under way is
 * cancelled.
 */
static void
stop_all (MiraContext *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);

  mira_capture_stop (self->capture);
  set_connection (self, NULL);
  set_admin (self, NULL);
  set_host (self, NULL);
  set_join_link (self, NULL);
}

/* A flow (host, join, resume) is one GTask with this as its data */
typedef struct {
  MiraContext  *self;
  /* the task's, read before the task is handed on */
  GCancellable *cancellable;
  /* host */
  MiraHost    *host;
  char        *secret_server;
  char        *admin_token;
  /* both */
  char        *base_url;
  char        *network_id;
  char        *network_token;
  char        *client_id;
  char        *session_token;
} Flow;

static void
flow_free (Flow *flow)
{
  g_clear_object (&flow->host);
  g_free (flow->secret_server);
  g_free (flow->admin_token);
  g_free (flow->base_url);
  g_free (flow->network_id);
  g_free (flow->network_token);
  g_free (flow->client_id);
  g_free (flow->session_token);
  g_free (flow);
}

static GTask *
flow_new (MiraContext         *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task;
  Flow *flow;

  /* A new flow replaces whatever ran */
  stop_all (self);
  self->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  set_busy (self, TRUE);

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  flow = g_new0 (Flow, 1);
  flow->self = self;
  flow->cancellable = g_task_get_cancellable (task);
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  return task;
}

/* Ends the flow with @error; takes @task and @error */
static void
flow_fail (GTask  *task,
           GError *error)
{
  Flow *flow = g_task_get_task_data (task);
  MiraContext *self = flow->self;

  /* Still the context's flow (not replaced by another, or by leave()) */
  if (self->cancellable == flow->cancellable)
    {
      g_clear_object (&self->cancellable);
      set_busy (self, FALSE);
    }
  if (flow->host != NULL && flow->host != self->host)
    mira_host_stop (flow->host);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* A joined network's admin token, when the person gave one */
static void
join_admin_token_found (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(MiraConnection) connection = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = mira_secrets_lookup_finish (result, &error);
  MiraContext *self;

  if (token == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("No admin token from the keyring: %s", error->message);
      return;
    }
  self = g_object_get_data (G_OBJECT (connection), "mira-context");
  /* Still the connection it was looked up for */
  if (self != NULL && self->connection == connection)
    {
      g_autoptr(MiraAdmin) admin =
        mira_admin_new (mira_connection_get_base_url (connection), token);

      set_admin (self, admin);
    }
}

/* The last step of every flow: connect and say so; takes @task */
static void
flow_connect (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);
  MiraContext *self = flow->self;
  g_autoptr(MiraConnection) connection = NULL;

  /* Cancelled while its last step finished anyway */
  if (g_cancellable_is_cancelled (flow->cancellable))
    {
      flow_fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            _("The operation was cancelled")));
      return;
    }

  if (flow->host != NULL)
    {
      g_autofree char *public_url = mira_host_dup_public_url (flow->host);
      g_autofree char *link = mira_join_link_build (public_url, flow->network_id,
                                                    flow->network_token);

      set_host (self, flow->host);
      set_join_link (self, link);
    }

  connection = mira_connection_new (flow->base_url, flow->network_id, flow->session_token,
                                    flow->client_id);
  mira_connection_start (connection);
  set_connection (self, connection);

  if (flow->host != NULL)
    {
      g_autoptr(MiraAdmin) admin = mira_admin_new (flow->base_url, flow->admin_token);

      set_admin (self, admin);
    }
  else
    {
      g_object_set_data (G_OBJECT (connection), "mira-context", self);
      mira_secrets_lookup_async (flow->base_url, NULL, MIRA_TOKEN_ADMIN, NULL,
                                 join_admin_token_found, g_object_ref (connection));
    }

  g_settings_delay (self->settings);
  g_settings_set_string (self->settings, "server-url", flow->base_url);
  g_settings_set_string (self->settings, "network-id", flow->network_id);
  g_settings_set_string (self->settings, "client-id", flow->client_id);
  set_mode (self, flow->host != NULL ? MIRA_MODE_HOST : MIRA_MODE_JOIN);
  g_settings_apply (self->settings);

  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Registering this computer, for both modes */

static void
session_token_stored (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mira_secrets_store_finish (result, &error))
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  flow_connect (g_steal_pointer (&task));
}

static void
registered (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  flow->session_token = mira_connection_register_finish (result, &error);
  if (flow->session_token == NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }

  /* Hosting registers anew at every start, with the network token it keeps;
   * joined, the session token is all this computer keeps
   */
  if (flow->host != NULL)
    {
      flow_connect (g_steal_pointer (&task));
      return;
    }
  mira_secrets_store_async (flow->base_url, flow->network_id, MIRA_TOKEN_SESSION,
                            flow->session_token, flow->cancellable,
                            session_token_stored, g_steal_pointer (&task));
}

static void
register_computer (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);
  MiraContext *self = flow->self;
  g_autofree char *client_id = g_settings_get_string (self->settings, "client-id");

  /* The same id as before in the same network (an installation that
   * registered before this id had its suffix keeps its id); a new one else
   */
  if (client_id[0] == '\0' || !mira_is_client_id (client_id))
    {
      g_free (client_id);
      client_id = new_client_id (self->settings);
    }
  flow->client_id = g_steal_pointer (&client_id);
  mira_connection_register_async (flow->base_url, flow->network_id, flow->network_token,
                                  flow->client_id, device_type (),
                                  flow->cancellable, registered, task);
}

/* Hosting */

static void
host_network_token_stored (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mira_secrets_store_finish (result, &error))
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  register_computer (g_steal_pointer (&task));
}

/* A network and its token from the API's answer: kept in the keyring and
 * the network id in the settings
 */
static void
host_take_network (GTask      *task,
                   JsonObject *network)
{
  Flow *flow = g_task_get_task_data (task);
  const char *network_id = mira_json_get_string (network, "network_id");
  const char *network_token = mira_json_get_string (network, "network_token");

  if (network_id == NULL || network_token == NULL)
    {
      flow_fail (task, g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                                            _("The server’s answer could not be read")));
      return;
    }
  g_free (flow->network_id);
  flow->network_id = g_strdup (network_id);
  g_free (flow->network_token);
  flow->network_token = g_strdup (network_token);
  g_settings_set_string (flow->self->settings, "network-id", network_id);
  mira_secrets_store_async (flow->secret_server, network_id, MIRA_TOKEN_NETWORK, network_token,
                            flow->cancellable, host_network_token_stored, task);
}

static void
host_network_created (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) network = NULL;
  GError *error = NULL;

  network = mira_api_request_finish (result, &error);
  if (network == NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  host_take_network (g_steal_pointer (&task), network);
}

static void
host_create_network (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *name = network_name ();

  json_object_set_string_member (body, "name", name);
  mira_api_request_async (flow->base_url, "POST", "networks", flow->admin_token, body,
                          flow->cancellable, host_network_created, task);
}

static void host_network_token_found (GObject      *source,
                                      GAsyncResult *result,
                                      gpointer      user_data);

static void
host_networks_listed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(JsonObject) list = NULL;
  JsonNode *items;
  JsonArray *networks;
  const char *network_id = NULL;
  GError *error = NULL;

  list = mira_api_request_finish (result, &error);
  if (list == NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  items = json_object_get_member (list, "items");
  networks = items != NULL && JSON_NODE_HOLDS_ARRAY (items) ? json_node_get_array (items) : NULL;
  if (networks != NULL && json_array_get_length (networks) > 0 &&
      JSON_NODE_HOLDS_OBJECT (json_array_get_element (networks, 0)))
    network_id = mira_json_get_string (json_array_get_object_element (networks, 0),
                                       "network_id");
  if (network_id == NULL)
    {
      host_create_network (g_steal_pointer (&task));
      return;
    }

  /* The hosted server's first network is this computer's, made by an
   * earlier run; its token may still be in the keyring
   */
  g_free (flow->network_id);
  flow->network_id = g_strdup (network_id);
  g_settings_set_string (flow->self->settings, "network-id", network_id);
  mira_secrets_lookup_async (flow->secret_server, flow->network_id, MIRA_TOKEN_NETWORK,
                             flow->cancellable, host_network_token_found,
                             g_steal_pointer (&task));
}

/* Only this app creates networks on the hosted server: take its first one */
static void
host_find_network (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);

  mira_api_request_async (flow->base_url, "GET", "admin/networks?limit=1", flow->admin_token,
                          NULL, flow->cancellable, host_networks_listed, task);
}

static void
host_token_rotated (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = mira_api_request_finish (result, &error);
  if (answer != NULL)
    {
      host_take_network (g_steal_pointer (&task), answer);
      return;
    }
  if (g_error_matches (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND))
    {
      /* Not a network of this server (the settings name a joined one, or
       * the database was removed): its own, or a new one
       */
      host_find_network (g_steal_pointer (&task));
      return;
    }
  flow_fail (g_steal_pointer (&task), g_steal_pointer (&error));
}

/* The network token is unknown or refused while the network may exist:
 * the admin token gets a new one, keeping the network's data
 */
static void
host_recover_network (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);
  g_autofree char *escaped = g_uri_escape_string (flow->network_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("networks/", escaped, "/token/rotate", NULL);

  mira_api_request_async (flow->base_url, "POST", path, flow->admin_token, NULL,
                          flow->cancellable, host_token_rotated, task);
}

static void
host_network_checked (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (mira_connection_check_finish (result, NULL, &error))
    register_computer (g_steal_pointer (&task));
  else if (g_error_matches (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED) ||
           g_error_matches (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND))
    host_recover_network (g_steal_pointer (&task));
  else
    flow_fail (g_steal_pointer (&task), g_steal_pointer (&error));
}

static void
host_network_token_found (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  flow->network_token = mira_secrets_lookup_finish (result, &error);
  if (error != NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  if (flow->network_token == NULL)
    {
      host_recover_network (g_steal_pointer (&task));
      return;
    }
  mira_connection_check_async (flow->base_url, flow->network_id, flow->network_token,
                               flow->cancellable, host_network_checked,
                               g_steal_pointer (&task));
}

static void
host_started (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autofree char *network_id = NULL;
  GError *error = NULL;

  if (!mira_host_start_finish (MIRA_HOST (source), result, &error))
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  if (g_cancellable_is_cancelled (flow->cancellable))
    {
      flow_fail (g_steal_pointer (&task),
                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                      _("The operation was cancelled")));
      return;
    }
  flow->base_url = g_strdup (mira_host_get_url (flow->host));
  g_settings_set (flow->self->settings, "hosted-port", "q",
                  (guint16) mira_host_get_port (flow->host));

  /* The network of an earlier run, or a new one */
  network_id = g_settings_get_string (flow->self->settings, "network-id");
  if (network_id[0] == '\0')
    {
      host_find_network (g_steal_pointer (&task));
      return;
    }
  flow->network_id = g_steal_pointer (&network_id);
  mira_secrets_lookup_async (flow->secret_server, flow->network_id, MIRA_TOKEN_NETWORK,
                             flow->cancellable, host_network_token_found,
                             g_steal_pointer (&task));
}

static void
host_start (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);
  GSettings *settings = flow->self->settings;
  g_autofree char *db_path = database_path ();
  guint16 port = 0;
  guint16 last_port = 0;

  g_settings_get (settings, "host-port", "q", &port);
  g_settings_get (settings, "hosted-port", "q", &last_port);
  flow->host = mira_host_new (db_path, flow->admin_token, port,
                              g_settings_get_boolean (settings, "allow-lan"));
  /* Where it listened last time first: devices joined by that address */
  mira_host_set_last_port (flow->host, last_port);
  mira_host_start_async (flow->host, flow->cancellable, host_started, task);
}

static void
host_admin_token_stored (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mira_secrets_store_finish (result, &error))
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  host_start (g_steal_pointer (&task));
}

static void
host_admin_token_found (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  flow->admin_token = mira_secrets_lookup_finish (result, &error);
  if (error != NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  if (flow->admin_token != NULL)
    {
      host_start (g_steal_pointer (&task));
      return;
    }

  /* First run: the server's own kind of admin token, from the kernel's randomness */
  flow->admin_token = mira_token_new ("mat_");
  mira_secrets_store_async (flow->secret_server, NULL, MIRA_TOKEN_ADMIN, flow->admin_token,
                            flow->cancellable, host_admin_token_stored,
                            g_steal_pointer (&task));
}

static void
host_flow (GTask *task)
{
  Flow *flow = g_task_get_task_data (task);

  flow->secret_server = host_secret_server ();
  mira_secrets_lookup_async (flow->secret_server, NULL, MIRA_TOKEN_ADMIN,
                             flow->cancellable, host_admin_token_found, task);
}

void
mira_context_host_async (MiraContext         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONTEXT (self));

  host_flow (flow_new (self, mira_context_host_async, cancellable, callback, user_data));
}

gboolean
mira_context_host_finish (MiraContext   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Joining */

static void
join_checked (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mira_connection_check_finish (result, NULL, &error))
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  register_computer (g_steal_pointer (&task));
}

void
mira_context_join_async (MiraContext         *self,
                         const char          *link,
                         const char          *base_url,
                         const char          *network_id,
                         const char          *token,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Flow *flow;
  GError *error = NULL;

  g_return_if_fail (MIRA_IS_CONTEXT (self));
  g_return_if_fail (link != NULL || (base_url != NULL && network_id != NULL && token != NULL));

  task = flow_new (self, mira_context_join_async, cancellable, callback, user_data);
  flow = g_task_get_task_data (task);

  if (link != NULL)
    {
      if (!mira_join_link_parse (link, &flow->base_url, &flow->network_id,
                                 &flow->network_token, &error))
        {
          flow_fail (g_steal_pointer (&task), error);
          return;
        }
    }
  else
    {
      g_autofree char *typed = g_strstrip (g_strdup (base_url));

      /* "192.168.1.20:8080" is meant as http://192.168.1.20:8080 */
      if (typed[0] != '\0' && strstr (typed, "://") == NULL)
        {
          char *with_scheme = g_strconcat ("http://", typed, NULL);

          g_free (typed);
          typed = with_scheme;
        }
      flow->base_url = mira_base_url_normalize (typed);
      if (flow->base_url == NULL)
        flow->base_url = g_steal_pointer (&typed);
      flow->network_id = g_strstrip (g_strdup (network_id));
      flow->network_token = g_strstrip (g_strdup (token));
    }

  /* A different network than before: this computer's id is chosen anew */
  {
    g_autofree char *old_network = g_settings_get_string (self->settings, "network-id");
    g_autofree char *old_url = g_settings_get_string (self->settings, "server-url");

    if (!g_str_equal (old_network, flow->network_id) || !g_str_equal (old_url, flow->base_url))
      g_settings_set_string (self->settings, "client-id", "");
  }

  mira_connection_check_async (flow->base_url, flow->network_id, flow->network_token,
                               flow->cancellable, join_checked,
                               g_steal_pointer (&task));
}

gboolean
mira_context_join_finish (MiraContext   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Resuming */

static void
resume_session_found (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  flow->session_token = mira_secrets_lookup_finish (result, &error);
  if (error != NULL)
    {
      flow_fail (g_steal_pointer (&task), error);
      return;
    }
  if (flow->session_token == NULL)
    {
      flow_fail (g_steal_pointer (&task),
                 g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_KEYRING,
                                      _("The keyring no longer has this computer’s key to "
                                        "its network: join the network again")));
      return;
    }
  /* Offline is fine: the connection retries until the server is back */
  flow_connect (g_steal_pointer (&task));
}

void
mira_context_resume_async (MiraContext         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Flow *flow;

  g_return_if_fail (MIRA_IS_CONTEXT (self));

  switch ((MiraMode) g_settings_get_enum (self->settings, "mode"))
    {
    case MIRA_MODE_HOST:
      host_flow (flow_new (self, mira_context_resume_async, cancellable, callback, user_data));
      return;

    case MIRA_MODE_JOIN:
      task = flow_new (self, mira_context_resume_async, cancellable, callback, user_data);
      flow = g_task_get_task_data (task);
      flow->base_url = g_settings_get_string (self->settings, "server-url");
      flow->network_id = g_settings_get_string (self->settings, "network-id");
      flow->client_id = g_settings_get_string (self->settings, "client-id");
      mira_secrets_lookup_async (flow->base_url, flow->network_id, MIRA_TOKEN_SESSION,
                                 flow->cancellable, resume_session_found,
                                 g_steal_pointer (&task));
      return;

    case MIRA_MODE_NONE:
    default:
      task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (task, mira_context_resume_async);
      g_task_return_boolean (task, TRUE);
      return;
    }
}

gboolean
mira_context_resume_finish (MiraContext   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Leaving */

void
mira_context_leave (MiraContext *self)
{
  MiraMode mode;

  g_return_if_fail (MIRA_IS_CONTEXT (self));

  mode = g_settings_get_enum (self->settings, "mode");
  stop_all (self);

  /* A joined network's session token is of no use any more; the hosted
   * network's tokens stay, so that hosting again finds its network
   */
  if (mode == MIRA_MODE_JOIN)
    {
      g_autofree char *base_url = g_settings_get_string (self->settings, "server-url");
      g_autofree char *network_id = g_settings_get_string (self->settings, "network-id");

      mira_secrets_clear_async (base_url, network_id, MIRA_TOKEN_SESSION, NULL, NULL, NULL);
      g_settings_set_string (self->settings, "network-id", "");
      g_settings_set_string (self->settings, "client-id", "");
    }
  set_mode (self, MIRA_MODE_NONE);
}

void
mira_context_shutdown (MiraContext *self)
{
  g_return_if_fail (MIRA_IS_CONTEXT (self));

  stop_all (self);
}

/* Hosting again when its settings change, once they settle */

#define REHOST_DELAY_MS 600

static void
rehosted (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  MiraContext *self = MIRA_CONTEXT (source);
  g_autoptr(GError) error = NULL;

  if (!mira_context_host_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[ERROR], 0, error);
}

static gboolean
rehost_cb (gpointer user_data)
{
  MiraContext *self = user_data;
  guint16 port;

  self->rehost_source = 0;
  /* Only a running host listens anew; a flow under way reads them itself */
  if (self->host == NULL || self->busy)
    return G_SOURCE_REMOVE;
  g_settings_get (self->settings, "host-port", "q", &port);
  /* Back to what runs already: nothing to do */
  if (mira_host_get_allow_lan (self->host) == g_settings_get_boolean (self->settings, "allow-lan") &&
      port == mira_host_get_port (self->host))
    return G_SOURCE_REMOVE;
  mira_context_host_async (self, NULL, rehosted, NULL);
  return G_SOURCE_REMOVE;
}

static void
hosting_settings_changed (GSettings   *settings,
                          const char  *key,
                          MiraContext *self)
{
  /* A port chosen by the person wins over the one last used; a write of
   * the same value (a spin button's binding) changes nothing
   */
  if (g_str_equal (key, "host-port"))
    {
      guint16 port;

      g_settings_get (settings, "host-port", "q", &port);
      if (port != self->host_port)
        g_settings_set (settings, "hosted-port", "q", (guint16) 0);
      self->host_port = port;
    }
  if (self->host == NULL || self->busy)
    return;
  g_clear_handle_id (&self->rehost_source, g_source_remove);
  self->rehost_source = g_timeout_add (REHOST_DELAY_MS, rehost_cb, self);
}

/* A joined network's server moved: the session token goes with it */

static void
moved_resumed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  MiraContext *self = MIRA_CONTEXT (source);
  g_autoptr(GError) error = NULL;

  if (!mira_context_resume_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[ERROR], 0, error);
}

static void
moved_token_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(MiraContext) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_secrets_store_finish (result, &error))
    {
      g_signal_emit (self, signals[ERROR], 0, error);
      return;
    }
  mira_context_resume_async (self, NULL, moved_resumed, NULL);
}

typedef struct {
  MiraContext *self;
  char        *base_url;
  char        *network_id;
} Move;

static void
moved_token_found (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Move *move = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = mira_secrets_lookup_finish (result, &error);

  if (token == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_KEYRING,
                                     _("The keyring no longer has this computer’s key to "
                                       "its network: join the network again"));
      g_signal_emit (move->self, signals[ERROR], 0, error);
    }
  else
    mira_secrets_store_async (move->base_url, move->network_id, MIRA_TOKEN_SESSION, token,
                              NULL, moved_token_stored, g_object_ref (move->self));
  g_object_unref (move->self);
  g_free (move->base_url);
  g_free (move->network_id);
  g_free (move);
}

static void
server_url_changed (GSettings   *settings,
                    const char  *key,
                    MiraContext *self)
{
  g_autofree char *typed = g_settings_get_string (settings, "server-url");
  g_autofree char *base_url = NULL;
  Move *move;

  /* Only a person's edit of a joined network's address; flows set it too */
  if (mira_context_get_mode (self) != MIRA_MODE_JOIN || self->connection == NULL || self->busy)
    return;

  g_strstrip (typed);
  if (typed[0] != '\0' && strstr (typed, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("http://", typed, NULL);

      g_free (typed);
      typed = with_scheme;
    }
  base_url = mira_base_url_normalize (typed);
  if (g_strcmp0 (base_url, mira_connection_get_base_url (self->connection)) == 0)
    return;
  if (base_url == NULL)
    {
      g_autoptr(GError) error =
        g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                     _("“%s” is not a server address (http:// or https://)"), typed);

      g_settings_set_string (settings, "server-url",
                             mira_connection_get_base_url (self->connection));
      g_signal_emit (self, signals[ERROR], 0, error);
      return;
    }
  if (!g_str_equal (base_url, typed))
    {
      /* Written back normalized; that change finds nothing to do */
      g_settings_set_string (settings, "server-url", base_url);
    }

  move = g_new0 (Move, 1);
  move->self = g_object_ref (self);
  move->base_url = g_strdup (base_url);
  move->network_id = g_strdup (mira_connection_get_network_id (self->connection));
  mira_secrets_lookup_async (mira_connection_get_base_url (self->connection), move->network_id,
                             MIRA_TOKEN_SESSION, NULL, moved_token_found, move);
}

/* GObject */

static void
mira_context_dispose (GObject *object)
{
  MiraContext *self = MIRA_CONTEXT (object);

  if (self->capture != NULL)
    stop_all (self);
  g_clear_object (&self->capture);
  g_clear_handle_id (&self->rehost_source, g_source_remove);

  G_OBJECT_CLASS (mira_context_parent_class)->dispose (object);
}

static void
mira_context_finalize (GObject *object)
{
  MiraContext *self = MIRA_CONTEXT (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->admin);
  g_free (self->join_link);

  G_OBJECT_CLASS (mira_context_parent_class)->finalize (object);
}

static void
mira_context_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MiraContext *self = MIRA_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_MODE:
      g_value_set_enum (value, mira_context_get_mode (self));
      break;
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_CAPTURE:
      g_value_set_object (value, self->capture);
      break;
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    case PROP_JOIN_LINK:
      g_value_set_string (value, self->join_link);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_ADMIN:
      g_value_set_object (value, self->admin);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_context_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MiraContext *self = MIRA_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_context_constructed (GObject *object)
{
  MiraContext *self = MIRA_CONTEXT (object);

  G_OBJECT_CLASS (mira_context_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::mode",
                           G_CALLBACK (settings_mode_changed), self, 0);
  g_signal_connect_object (self->settings, "changed::allow-lan",
                           G_CALLBACK (hosting_settings_changed), self, 0);
  g_settings_get (self->settings, "host-port", "q", &self->host_port);
  g_signal_connect_object (self->settings, "changed::host-port",
                           G_CALLBACK (hosting_settings_changed), self, 0);
  g_signal_connect_object (self->settings, "changed::server-url",
                           G_CALLBACK (server_url_changed), self, 0);

  self->capture = mira_capture_new ();
  g_settings_bind (self->settings, "audio-source", self->capture, "audio-source",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "microphone", self->capture, "device-id",
                   G_SETTINGS_BIND_GET);
}

static void
mira_context_class_init (MiraContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = mira_context_constructed;
  object_class->dispose = mira_context_dispose;
  object_class->finalize = mira_context_finalize;
  object_class->get_property = mira_context_get_property;
  object_class->set_property = mira_context_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, MIRA_TYPE_MODE, MIRA_MODE_NONE, flags);
  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, MIRA_TYPE_CONNECTION, flags);
  properties[PROP_CAPTURE] =
    g_param_spec_object ("capture", NULL, NULL, MIRA_TYPE_CAPTURE, flags);
  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, MIRA_TYPE_HOST, flags);
  properties[PROP_JOIN_LINK] =
    g_param_spec_string ("join-link", NULL, NULL, NULL, flags);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_ADMIN] =
    g_param_spec_object ("admin", NULL, NULL, MIRA_TYPE_ADMIN, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MiraContext::error:
   * @error: a MIRA_CORE_ERROR
   *
   * Something the context did by itself failed: hosting again after
   * "allow-lan" or "host-port" changed.
   */
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
mira_context_init (MiraContext *self)
{
}

MiraContext *
mira_context_new (GSettings *settings)
{
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (MIRA_TYPE_CONTEXT, "settings", settings, NULL);
}

GSettings *
mira_context_get_settings (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);
  return self->settings;
}

MiraMode
mira_context_get_mode (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), MIRA_MODE_NONE);
  return g_settings_get_enum (self->settings, "mode");
}

MiraConnection *
mira_context_get_connection (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);
  return self->connection;
}

MiraCapture *
mira_context_get_capture (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);
  return self->capture;
}

MiraHost *
mira_context_get_host (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);
  return self->host;
}

const char *
mira_context_get_join_link (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);
  return self->join_link;
}

MiraAdmin *
mira_context_get_admin (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), NULL);

  return self->admin;
}

/* Giving a joined network's server its admin token */

typedef struct {
  MiraAdmin *admin;
  char      *base_url;
} AdminFlow;

static void
admin_flow_free (AdminFlow *flow)
{
  g_clear_object (&flow->admin);
  g_free (flow->base_url);
  g_free (flow);
}

static void
admin_token_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraContext *self = g_task_get_source_object (task);
  AdminFlow *flow = g_task_get_task_data (task);
  GError *error = NULL;

  if (!mira_secrets_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->connection != NULL &&
      g_strcmp0 (mira_connection_get_base_url (self->connection), flow->base_url) == 0)
    set_admin (self, flow->admin);
  g_task_return_boolean (task, TRUE);
}

static void
admin_token_checked (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AdminFlow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!mira_admin_reload_finish (flow->admin, result, &error))
    {
      if (g_error_matches (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED))
        g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                                 _("The server refused this admin token"));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  mira_secrets_store_async (flow->base_url, NULL, MIRA_TOKEN_ADMIN,
                            mira_admin_get_token (flow->admin),
                            g_task_get_cancellable (task), admin_token_stored,
                            g_object_ref (task));
}

static void
admin_token_cleared (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mira_secrets_clear_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
mira_context_set_admin_token_async (MiraContext         *self,
                                    const char          *token,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (token != NULL ? token : ""));
  AdminFlow *flow;

  g_return_if_fail (MIRA_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_context_set_admin_token_async);

  if (mira_context_get_mode (self) != MIRA_MODE_JOIN || self->connection == NULL)
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                               _("An admin token is given only for a joined network"));
      return;
    }

  flow = g_new0 (AdminFlow, 1);
  flow->base_url = g_strdup (mira_connection_get_base_url (self->connection));
  g_task_set_task_data (task, flow, (GDestroyNotify) admin_flow_free);

  if (stripped[0] == '\0')
    {
      set_admin (self, NULL);
      mira_secrets_clear_async (flow->base_url, NULL, MIRA_TOKEN_ADMIN, cancellable,
                                admin_token_cleared, g_steal_pointer (&task));
      return;
    }

  /* Checked by what it is for: listing the server's networks */
  flow->admin = mira_admin_new (flow->base_url, stripped);
  mira_admin_reload_async (flow->admin, cancellable, admin_token_checked,
                           g_steal_pointer (&task));
}

gboolean
mira_context_set_admin_token_finish (MiraContext   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
mira_context_get_busy (MiraContext *self)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (self), FALSE);
  return self->busy;
}
