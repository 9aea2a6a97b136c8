/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-event-bus"

#include "mira-event-bus.h"

#include "mira-json.h"
#include "mira-util.h"

typedef struct
{
  guint          id;
  char          *network_id;
  MiraEventFunc  func;
  gpointer       user_data;
} Subscriber;

struct _MiraEventBus
{
  GMainContext *context;
  GThread      *thread;       /* the one that runs @context */
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
  MiraEventBus *bus = g_atomic_rc_box_new0 (MiraEventBus);

  bus->context = g_main_context_ref_thread_default ();
  bus->thread = g_thread_self ();
  g_mutex_init (&bus->lock);
  bus->subscribers = g_ptr_array_new_with_free_func (subscriber_free);
  return bus;
}

MiraEventBus *
mira_event_bus_ref (MiraEventBus *bus)
{
  return g_atomic_rc_box_acquire (bus);
}

static void
bus_clear (gpointer data)
{
  MiraEventBus *bus = data;

  g_ptr_array_unref (bus->subscribers);
  g_main_context_unref (bus->context);
  g_mutex_clear (&bus->lock);
}

void
mira_event_bus_unref (MiraEventBus *bus)
{
  if (bus != NULL)
    g_atomic_rc_box_release_full (bus, bus_clear);
}

GMainContext *
mira_event_bus_get_context (MiraEventBus *bus)
{
  return bus->context;
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

static void
deliver (MiraEventBus *bus,
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
      text = mira_json_to_string (node, FALSE);
    }
  for (guint i = 0; i < targets->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (targets, i);

      sub->func (network_id, event, text, sub->user_data);
      g_free (sub);
    }
}

typedef struct
{
  MiraEventBus *bus;
  GPtrArray    *events;
} Publication;

static void
deliver_all (MiraEventBus *bus,
             GPtrArray    *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      deliver (bus, json_object_get_string_member_with_default (event, "network_id", NULL), event);
    }
}

static gboolean
publish_on_bus_thread (gpointer user_data)
{
  Publication *pub = user_data;

  deliver_all (pub->bus, pub->events);
  g_ptr_array_unref (pub->events);
  mira_event_bus_unref (pub->bus);
  g_free (pub);
  return G_SOURCE_REMOVE;
}

void
mira_event_bus_publish_all (MiraEventBus *bus,
                            GPtrArray    *events)
{
  g_autoptr(GPtrArray) taken = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  Publication *pub;

  g_ptr_array_extend_and_steal (taken, g_ptr_array_ref (events));
  if (taken->len == 0)
    return;
  if (g_thread_self () == bus->thread)
    {
      deliver_all (bus, taken);
      return;
    }
  /* The events are the bus's thread's from now on. */
  pub = g_new0 (Publication, 1);
  pub->bus = mira_event_bus_ref (bus);
  pub->events = g_steal_pointer (&taken);
  mira_invoke (bus->context, publish_on_bus_thread, pub, NULL);
}

void
mira_event_bus_publish (MiraEventBus *bus,
                        const char   *network_id,
                        JsonObject   *event)
{
  g_autoptr(GPtrArray) events = NULL;

  if (g_thread_self () == bus->thread)
    {
      deliver (bus, network_id, event);
      json_object_unref (event);
      return;
    }
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  if (g_strcmp0 (json_object_get_string_member_with_default (event, "network_id", NULL),
                 network_id) != 0)
    json_object_set_string_member (event, "network_id", network_id);
  g_ptr_array_add (events, event);
  mira_event_bus_publish_all (bus, events);
}
