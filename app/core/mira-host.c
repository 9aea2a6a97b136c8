/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-host"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <stdio.h>

#include "mira-host.h"
#include "mira-server-thread.h"
#include "mira-transcriber-chain.h"

struct _MiraHost
{
  GObject           parent_instance;

  char             *db_path;
  char             *admin_token;
  guint             requested_port;
  guint             last_port;
  gboolean          allow_lan;

  MiraServerThread *thread;      /* while started */
  char             *url;         /* loopback, e.g. http://127.0.0.1:8080 */
  guint             port;
  gboolean          port_changed;
};

G_DEFINE_FINAL_TYPE (MiraHost, mira_host, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_PORT,
  PROP_PORT_CHANGED,
  PROP_ADMIN_TOKEN,
  PROP_ALLOW_LAN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_host_dispose (GObject *object)
{
  MiraHost *self = MIRA_HOST (object);

  if (self->thread != NULL)
    mira_host_stop (self);

  G_OBJECT_CLASS (mira_host_parent_class)->dispose (object);
}

static void
mira_host_finalize (GObject *object)
{
  MiraHost *self = MIRA_HOST (object);

  g_free (self->db_path);
  g_free (self->admin_token);
  g_free (self->url);

  G_OBJECT_CLASS (mira_host_parent_class)->finalize (object);
}

static void
mira_host_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  MiraHost *self = MIRA_HOST (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_PORT_CHANGED:
      g_value_set_boolean (value, self->port_changed);
      break;
    case PROP_ADMIN_TOKEN:
      g_value_set_string (value, self->admin_token);
      break;
    case PROP_ALLOW_LAN:
      g_value_set_boolean (value, self->allow_lan);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_host_class_init (MiraHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = mira_host_dispose;
  object_class->finalize = mira_host_finalize;
  object_class->get_property = mira_host_get_property;

  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, flags);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);
  properties[PROP_PORT_CHANGED] = g_param_spec_boolean ("port-changed", NULL, NULL, FALSE,
                                                        flags);
  properties[PROP_ADMIN_TOKEN] = g_param_spec_string ("admin-token", NULL, NULL, NULL, flags);
  properties[PROP_ALLOW_LAN] = g_param_spec_boolean ("allow-lan", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_host_init (MiraHost *self)
{
}

MiraHost *
mira_host_new (const char *db_path,
               const char *admin_token,
               guint       port,
               gboolean    allow_lan)
{
  MiraHost *self;

  g_return_val_if_fail (db_path != NULL, NULL);
  g_return_val_if_fail (admin_token != NULL, NULL);
  g_return_val_if_fail (port <= 65535, NULL);

  self = g_object_new (MIRA_TYPE_HOST, NULL);
  self->db_path = g_strdup (db_path);
  self->admin_token = g_strdup (admin_token);
  self->requested_port = port;
  self->allow_lan = !!allow_lan;
  return self;
}

void
mira_host_set_last_port (MiraHost *self,
                         guint     port)
{
  g_return_if_fail (MIRA_IS_HOST (self));
  g_return_if_fail (port <= 65535);
  g_return_if_fail (self->thread == NULL);

  self->last_port = port;
}

guint
mira_host_get_last_port (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), 0);
  return self->last_port;
}

/* On a worker thread: the database's folder, the recogniser, the server */
static void
start_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  MiraHost *self = source_object;
  g_autoptr(MiraServerThread) thread = NULL;
  g_autoptr(MiraTranscriberChain) transcriber = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (self->db_path);
  g_autofree char *uri = g_strconcat ("sqlite://", self->db_path, NULL);
  MiraServerOptions options = { 0 };

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_HOST,
                               _("The folder %s cannot be created: %s"), dir,
                               g_strerror (saved_errno));
      return;
    }

  /* One PocketSphinx decoder (about 95 MB), not one per core as mira-server
   * has: a desktop's few devices take turns, and a second utterance waits
   * for the first instead of loading another decoder.
   */
  transcriber = mira_transcriber_chain_new ("sphinx",
                                            &(MiraTranscriberOptions) { .sphinx_decoders = 1 },
                                            &error);
  if (transcriber == NULL)
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_HOST,
                               _("Speech recognition cannot start: %s"), error->message);
      return;
    }

  options.admin_token = self->admin_token;
  options.transcriber = MIRA_TRANSCRIBER (transcriber);
  /* A desktop's server: a few audio threads are plenty */
  options.audio_threads = MIN (2, g_get_num_processors ());
  thread = mira_server_thread_new (uri, &options,
                                   self->allow_lan ? "0.0.0.0" : "127.0.0.1",
                                   self->requested_port, 4);
  mira_server_thread_set_first_port (thread, self->last_port);
  mira_server_thread_set_any_port_fallback (thread, TRUE);
  if (!mira_server_thread_start (thread, &error))
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_HOST,
                               _("The server cannot start: %s"), error->message);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&thread), g_object_unref);
}

static void
start_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  MiraHost *self = MIRA_HOST (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  MiraServerThread *thread;

  thread = g_task_propagate_pointer (G_TASK (result), &error);
  if (thread == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->thread = thread;
  self->port = mira_server_thread_get_port (thread);
  self->port_changed = mira_server_thread_get_port_changed (thread);
  /* The app itself always comes in over loopback */
  g_free (self->url);
  self->url = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  /* Exactly as mira-server says it, for scripts that wait on it */
  g_print ("listening on %s\n", mira_server_thread_get_url (thread));
  fflush (stdout);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT_CHANGED]);
  g_task_return_boolean (task, TRUE);
}

void
mira_host_start_async (MiraHost            *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (MIRA_IS_HOST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_host_start_async);
  if (self->thread != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The worker's result comes back on this thread, where the properties change */
  worker = g_task_new (self, NULL, start_done, g_steal_pointer (&task));
  g_task_run_in_thread (worker, start_in_thread);
}

gboolean
mira_host_start_finish (MiraHost      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
mira_host_get_url (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), NULL);
  return self->url;
}

guint
mira_host_get_port (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), 0);
  return self->port;
}

gboolean
mira_host_get_port_changed (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), FALSE);
  return self->port_changed;
}

const char *
mira_host_get_admin_token (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), NULL);
  return self->admin_token;
}

gboolean
mira_host_get_allow_lan (MiraHost *self)
{
  g_return_val_if_fail (MIRA_IS_HOST (self), FALSE);
  return self->allow_lan;
}

/* The address this computer has on its network: the source address of a
 * route to a public address (no packet is sent), or NULL.
 */
static char *
dup_lan_address (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) target = g_inet_address_new_from_string ("192.0.2.1");
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new (target, 9);
  g_autoptr(GSocketAddress) local = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL || !g_socket_connect (socket, remote, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (socket, NULL);
  if (local == NULL || !G_IS_INET_SOCKET_ADDRESS (local))
    return NULL;
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

char *
mira_host_dup_public_url (MiraHost *self)
{
  g_autofree char *address = NULL;

  g_return_val_if_fail (MIRA_IS_HOST (self), NULL);

  if (self->url == NULL)
    return NULL;
  if (self->allow_lan)
    address = dup_lan_address ();
  if (address == NULL)
    return g_strdup (self->url);
  return g_strdup_printf ("http://%s:%u", address, self->port);
}

void
mira_host_stop (MiraHost *self)
{
  g_return_if_fail (MIRA_IS_HOST (self));

  if (self->thread == NULL)
    return;

  mira_server_thread_stop (self->thread);
  g_clear_object (&self->thread);
  g_clear_pointer (&self->url, g_free);
  self->port = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}
