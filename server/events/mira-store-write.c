/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store-write"

#include "mira-store-write.h"

#include <json-glib/json-glib.h>

#include "mira-db.h"
#include "mira-event-bus.h"
#include "mira-store.h"

typedef struct
{
  MiraStore      *store;
  MiraEventBus   *bus;
  MiraWriteFunc   func;
  gpointer        data;
  GDestroyNotify  data_free;
  GDestroyNotify  result_free;
  MiraWriteDone   done;
  gpointer        user_data;
  GPtrArray      *events;
  gpointer        result;
} Write;

static void
write_free (Write *write)
{
  if (write->result != NULL && write->result_free != NULL)
    write->result_free (write->result);
  if (write->data_free != NULL)
    write->data_free (write->data);
  g_ptr_array_unref (write->events);
  mira_event_bus_unref (write->bus);
  g_free (write);
}

static gpointer
write_run (MiraDb    *db,
           gpointer   data,
           GError   **error)
{
  Write *write = data;

  if (!mira_db_begin (db, error))
    return NULL;
  write->result = write->func (db, write->data, write->events, error);
  if (write->result == NULL)
    {
      mira_db_rollback (db);
      return NULL;
    }
  if (!mira_db_commit (db, error))
    return NULL;
  return write;
}

static void
write_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Write *write = user_data;
  g_autoptr(GError) error = NULL;

  if (mira_store_run_finish (write->store, result, &error) != NULL)
    mira_event_bus_publish_all (write->bus, write->events);
  else if (write->result != NULL && write->result_free != NULL)
    g_clear_pointer (&write->result, write->result_free);
  if (write->done != NULL)
    write->done (error ? NULL : write->result, error, write->user_data);
  write_free (write);
}

void
mira_store_write (MiraStore      *store,
                  MiraEventBus   *bus,
                  MiraWriteFunc   func,
                  gpointer        data,
                  GDestroyNotify  data_free,
                  GDestroyNotify  result_free,
                  MiraWriteDone   done,
                  gpointer        user_data)
{
  Write *write = g_new0 (Write, 1);

  write->store = store;
  write->bus = mira_event_bus_ref (bus);
  write->func = func;
  write->data = data;
  write->data_free = data_free;
  write->result_free = result_free;
  write->done = done;
  write->user_data = user_data;
  write->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  mira_store_run_async (store, write_run, write, NULL, NULL, NULL, write_done, write);
}
