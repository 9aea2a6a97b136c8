/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-event-bus"

#include "mira-event-bus.h"

typedef struct
{
  guint          id;
  char          *network_id;
  MiraEventFunc  func;
  gpointer       user_data;
} Subscriber;

struct _MiraEventBus
{
  GMutex     lock;
  GPtrArray *subscribers;
  guint      last_id;
};

static void
subscriber_free (gpointer data)
{
  Subscriber *sub = data;

  g_free (sub->network_id);
  g_free (sub);
}

MiraEventBus *
mira_event_bus_new (void)
{
  MiraEventBus *bus = g_new0 (MiraEventBus, 1);

  g_mutex_init (&bus->lock);
  bus->subscribers = g_ptr_array_new_with_free_func (subscriber_free);
  return bus;
}

void
mira_event_bus_free (MiraEventBus *bus)
{
  if (bus == NULL)
    return;
  g_ptr_array_unref (bus->subscribers);
  g_mutex_clear (&bus->lock);
  g_free (bus);
}

guint
mira_event_bus_subscribe (MiraEventBus  *bus,
                          const char    *network_id,
                          MiraEventFunc  func,
                          gpointer       user_data)
{
  Subscriber *sub = g_new0 (Subscriber, 1);

  g_mutex_lock (&bus->lock);
  sub->id = ++bus->last_id;
  sub->network_id = g_strdup (network_id);
  sub->func = func;
  sub->user_data = user_data;
  g_ptr_array_add (bus->subscribers, sub);
  g_mutex_unlock (&bus->lock);
  return sub->id;
}

void
mira_event_bus_unsubscribe (MiraEventBus *bus,
                            guint         id)
{
  g_mutex_lock (&bus->lock);
  for (guint i = 0; i < bus->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (bus->subscribers, i);

      if (sub->id == id)
        {
          g_ptr_array_remove_index (bus->subscribers, i);
          break;
        }
    }
  g_mutex_unlock (&bus->lock);
}

void
mira_event_bus_publish (MiraEventBus *bus,
                        const char   *network_id,
                        JsonObject   *event)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  g_autofree char *text = NULL;

  /* Call outside the lock, so that a subscriber may unsubscribe. */
  g_mutex_lock (&bus->lock);
  for (guint i = 0; i < bus->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (bus->subscribers, i);

      if (sub->network_id == NULL || g_strcmp0 (sub->network_id, network_id) == 0)
        {
          Subscriber *copy = g_memdup2 (sub, sizeof *sub);

          copy->network_id = NULL;
          g_ptr_array_add (targets, copy);
        }
    }
  g_mutex_unlock (&bus->lock);

  if (targets->len > 0)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), event);
      text = json_to_string (node, FALSE);
    }
  for (guint i = 0; i < targets->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (targets, i);

      sub->func (network_id, event, text, sub->user_data);
      g_free (sub);
    }
}
