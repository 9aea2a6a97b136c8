/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

#include "mira-store.h"

#include "mira-db.h"
#include "mira-migrations.h"

struct _MiraStore
{
  char          *uri;
  MiraDbDialect  dialect;
  GAsyncQueue   *jobs;
  GPtrArray     *threads;
  gint           healthy;   /* atomic */
};

typedef struct
{
  MiraStoreFunc   func;
  gpointer        data;
  GDestroyNotify  data_free;
  GDestroyNotify  result_free;
} Job;

/* A job with a NULL task tells a worker to stop. */
typedef struct
{
  GTask *task;
} Envelope;

static void
job_free (gpointer data)
{
  Job *job = data;

  if (job->data_free != NULL && job->data != NULL)
    job->data_free (job->data);
  g_free (job);
}

static void
note_health (MiraStore    *store,
             const GError *error)
{
  gboolean down = error != NULL &&
                  g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE);

  g_atomic_int_set (&store->healthy, !down);
}

static gpointer
worker_main (gpointer user_data)
{
  MiraStore *store = user_data;
  g_autoptr(MiraDb) db = NULL;

  for (;;)
    {
      Envelope *env = g_async_queue_pop (store->jobs);
      g_autoptr(GTask) task = env->task;
      g_autoptr(GError) error = NULL;
      Job *job;
      gpointer result = NULL;

      g_free (env);
      if (task == NULL)
        break;

      job = g_task_get_task_data (task);

      if (g_task_return_error_if_cancelled (task))
        continue;

      if (db == NULL)
        db = mira_db_open (store->uri, &error);
      if (db != NULL && mira_db_ensure_connected (db, &error))
        result = job->func (db, job->data, &error);

      note_health (store, error);
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, result, job->result_free);
    }

  return NULL;
}

MiraStore *
mira_store_new (const char  *uri,
                guint        n_workers,
                GError     **error)
{
  g_autoptr(MiraDb) db = NULL;
  MiraStore *store;

  g_return_val_if_fail (uri != NULL, NULL);

  db = mira_db_open (uri, error);
  if (db == NULL)
    return NULL;
  if (!mira_migrations_apply (db, error))
    return NULL;

  store = g_new0 (MiraStore, 1);
  store->uri = g_strdup (uri);
  store->dialect = mira_db_get_dialect (db);
  store->jobs = g_async_queue_new ();
  store->threads = g_ptr_array_new ();
  store->healthy = TRUE;

  n_workers = MAX (n_workers, 1);
  for (guint i = 0; i < n_workers; i++)
    {
      g_autofree char *name = g_strdup_printf ("mira-store-%u", i);
      g_ptr_array_add (store->threads, g_thread_new (name, worker_main, store));
    }

  return store;
}

void
mira_store_free (MiraStore *store)
{
  if (store == NULL)
    return;

  for (guint i = 0; i < store->threads->len; i++)
    g_async_queue_push (store->jobs, g_new0 (Envelope, 1));
  for (guint i = 0; i < store->threads->len; i++)
    g_thread_join (g_ptr_array_index (store->threads, i));

  g_ptr_array_unref (store->threads);
  g_async_queue_unref (store->jobs);
  g_free (store->uri);
  g_free (store);
}

const char *
mira_store_get_uri (MiraStore *store)
{
  return store->uri;
}

MiraDbDialect
mira_store_get_dialect (MiraStore *store)
{
  return store->dialect;
}

gboolean
mira_store_is_healthy (MiraStore *store)
{
  return g_atomic_int_get (&store->healthy);
}

void
mira_store_run_async (MiraStore           *store,
                      MiraStoreFunc        func,
                      gpointer             data,
                      GDestroyNotify       data_free,
                      GDestroyNotify       result_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  Envelope *env;
  Job *job;

  g_return_if_fail (store != NULL);
  g_return_if_fail (func != NULL);

  job = g_new0 (Job, 1);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;

  env = g_new0 (Envelope, 1);
  env->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (env->task, mira_store_run_async);
  g_task_set_task_data (env->task, job, job_free);
  g_async_queue_push (store->jobs, env);
}

gpointer
mira_store_run_finish (MiraStore     *store,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  gboolean  done;
  gpointer  result;
  GError   *error;
} SyncWait;

static void
run_sync_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SyncWait *wait = user_data;

  wait->result = g_task_propagate_pointer (G_TASK (result), &wait->error);
  wait->done = TRUE;
}

gpointer
mira_store_run_sync (MiraStore      *store,
                     MiraStoreFunc   func,
                     gpointer        data,
                     GError        **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  SyncWait wait = { 0 };

  g_main_context_push_thread_default (context);
  mira_store_run_async (store, func, data, NULL, NULL, NULL, run_sync_done, &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.result;
}
