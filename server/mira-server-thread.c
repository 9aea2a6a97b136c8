/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server-thread"

#include "mira-server-thread.h"

#include "mira-store.h"

struct _MiraServerThread
{
  GObject           parent_instance;

  /* set before the thread starts, read by it */
  char             *db_uri;
  char             *admin_token;
  char             *tls_cert_file;
  char             *tls_key_file;
  MiraServerOptions options;        /* its strings point to the copies above */
  char             *host;
  guint             requested_port;
  guint             first_port;
  guint             workers;
  gboolean          any_port_fallback;

  GThread          *thread;
  GMainContext     *context;
  GMainLoop        *loop;

  /* the start-up handshake */
  GMutex            lock;
  GCond             cond;
  gboolean          started;
  GError           *error;
  char             *url;
  guint             port;
  gboolean          port_changed;
};

G_DEFINE_FINAL_TYPE (MiraServerThread, mira_server_thread, G_TYPE_OBJECT)

/* The first port (where an earlier run listened), then the one asked for,
 * then any free one when allowed; port_changed when the first was taken
 */
static gboolean
listen_on (MiraServerThread  *self,
           MiraServer        *server,
           GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (self->first_port != 0 && self->first_port != self->requested_port)
    {
      if (mira_server_listen (server, self->host, self->first_port, &local_error))
        return TRUE;
      g_message ("port %u: %s; trying port %u", self->first_port, local_error->message,
                 self->requested_port);
      g_clear_error (&local_error);
      self->port_changed = TRUE;
    }
  if (mira_server_listen (server, self->host, self->requested_port, &local_error))
    return TRUE;
  if (self->any_port_fallback && self->requested_port != 0 &&
      g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      g_message ("port %u is taken; listening on a free port", self->requested_port);
      self->port_changed = TRUE;
      return mira_server_listen (server, self->host, 0, error);
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* The server's thread: every handler and socket of the server lives on
 * this thread's context.
 */
static gpointer
server_thread (gpointer user_data)
{
  MiraServerThread *self = user_data;
  g_autoptr(GError) error = NULL;
  MiraStore *store = NULL;
  MiraServer *server = NULL;

  g_main_context_push_thread_default (self->context);

  store = mira_store_new (self->db_uri, self->workers, &error);
  if (store != NULL)
    server = mira_server_new (store, &self->options, &error);
  if (server != NULL && !listen_on (self, server, &error))
    g_clear_object (&server);

  g_mutex_lock (&self->lock);
  if (server != NULL)
    {
      self->url = g_strdup (mira_server_get_url (server));
      self->port = mira_server_get_port (server);
    }
  else
    self->error = g_steal_pointer (&error);
  self->started = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (server != NULL)
    {
      g_main_loop_run (self->loop);
      mira_server_shutdown (server);
    }

  /* The server before the store it uses */
  g_clear_object (&server);
  g_clear_pointer (&store, mira_store_free);
  while (g_main_context_iteration (self->context, FALSE))
    ;

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
mira_server_thread_dispose (GObject *object)
{
  mira_server_thread_stop (MIRA_SERVER_THREAD (object));

  G_OBJECT_CLASS (mira_server_thread_parent_class)->dispose (object);
}

static void
mira_server_thread_finalize (GObject *object)
{
  MiraServerThread *self = MIRA_SERVER_THREAD (object);

  g_clear_object (&self->options.transcriber);
  g_clear_object (&self->options.llm);
  g_free (self->db_uri);
  g_free (self->admin_token);
  g_free (self->tls_cert_file);
  g_free (self->tls_key_file);
  g_free (self->host);
  g_free (self->url);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (mira_server_thread_parent_class)->finalize (object);
}

static void
mira_server_thread_class_init (MiraServerThreadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mira_server_thread_dispose;
  object_class->finalize = mira_server_thread_finalize;
}

static void
mira_server_thread_init (MiraServerThread *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

MiraServerThread *
mira_server_thread_new (const char              *db_uri,
                        const MiraServerOptions *options,
                        const char              *host,
                        guint                    port,
                        guint                    workers)
{
  MiraServerThread *self;

  g_return_val_if_fail (db_uri != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (MIRA_TYPE_SERVER_THREAD, NULL);
  self->db_uri = g_strdup (db_uri);
  self->options = *options;
  self->admin_token = g_strdup (options->admin_token);
  self->tls_cert_file = g_strdup (options->tls_cert_file);
  self->tls_key_file = g_strdup (options->tls_key_file);
  self->options.admin_token = self->admin_token;
  self->options.tls_cert_file = self->tls_cert_file;
  self->options.tls_key_file = self->tls_key_file;
  if (options->transcriber != NULL)
    g_object_ref (options->transcriber);
  if (options->llm != NULL)
    g_object_ref (options->llm);
  self->host = g_strdup (host != NULL ? host : "127.0.0.1");
  self->requested_port = port;
  self->workers = workers > 0 ? workers : 4;
  return self;
}

void
mira_server_thread_set_any_port_fallback (MiraServerThread *self,
                                          gboolean          fallback)
{
  g_return_if_fail (MIRA_IS_SERVER_THREAD (self));
  g_return_if_fail (self->thread == NULL);

  self->any_port_fallback = fallback;
}

void
mira_server_thread_set_first_port (MiraServerThread *self,
                                   guint             port)
{
  g_return_if_fail (MIRA_IS_SERVER_THREAD (self));
  g_return_if_fail (self->thread == NULL);
  g_return_if_fail (port <= 65535);

  self->first_port = port;
}

gboolean
mira_server_thread_start (MiraServerThread  *self,
                          GError           **error)
{
  g_return_val_if_fail (MIRA_IS_SERVER_THREAD (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->started = FALSE;
  self->port_changed = FALSE;
  g_clear_error (&self->error);
  g_clear_pointer (&self->url, g_free);

  self->thread = g_thread_new ("mira-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->error != NULL)
    {
      /* The thread has nothing left to run */
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->loop, g_main_loop_unref);
      g_clear_pointer (&self->context, g_main_context_unref);
      g_propagate_error (error, g_steal_pointer (&self->error));
      return FALSE;
    }
  return TRUE;
}

static void
start_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;

  if (mira_server_thread_start (source_object, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
mira_server_thread_start_async (MiraServerThread    *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MIRA_IS_SERVER_THREAD (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_server_thread_start_async);
  /* A cancelled start still finishes starting; stop() undoes it */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, start_in_thread);
}

gboolean
mira_server_thread_start_finish (MiraServerThread  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
mira_server_thread_get_url (MiraServerThread *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER_THREAD (self), NULL);
  return self->thread != NULL ? self->url : NULL;
}

guint
mira_server_thread_get_port (MiraServerThread *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER_THREAD (self), 0);
  return self->thread != NULL ? self->port : 0;
}

gboolean
mira_server_thread_get_port_changed (MiraServerThread *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER_THREAD (self), FALSE);
  return self->port_changed;
}

GMainContext *
mira_server_thread_get_context (MiraServerThread *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER_THREAD (self), NULL);
  return self->context;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
mira_server_thread_stop (MiraServerThread *self)
{
  g_return_if_fail (MIRA_IS_SERVER_THREAD (self));

  if (self->thread == NULL)
    return;

  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->url, g_free);
  self->port = 0;
}
