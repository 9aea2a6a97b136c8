/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-connection"

/* The connection's writes for the pages (conversations, reminders,
 * calendar events, persons) and the conversations' search: one REST
 * request each. The models change by the event the server sends for a
 * write, the same way as for another device's, so there is one path for
 * both.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "mira-connection.h"
#include "mira-core-private.h"

/* network/@resource[/@id[/@action]], each segment escaped */
static char *
entity_path (MiraConnection *self,
             const char     *resource,
             const char     *id,
             const char     *action)
{
  g_autofree char *network = g_uri_escape_string (mira_connection_get_network_id (self), NULL,
                                                  FALSE);
  g_autofree char *escaped = id ? g_uri_escape_string (id, NULL, FALSE) : NULL;

  return g_strjoin ("/", network, resource, escaped ? escaped : action,
                    escaped ? action : NULL, NULL);
}

static void
write_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = mira_api_request_finish (result, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
write_async (MiraConnection      *self,
             gpointer             source_tag,
             const char          *method,
             char                *path,   /* transfer full */
             JsonObject          *body,   /* transfer full, or NULL */
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *owned_path = path;
  g_autoptr(JsonObject) owned_body = body;

  g_task_set_source_tag (task, source_tag);
  mira_api_request_async (mira_connection_get_base_url (self), method, owned_path,
                          mira_connection_get_token (self), owned_body, cancellable,
                          write_ready, g_steal_pointer (&task));
}

gboolean
mira_connection_write_finish (MiraConnection  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
set_time (JsonObject *body,
          const char *member,
          GDateTime  *time)
{
  g_autofree char *text = NULL;

  if (time == NULL)
    {
      json_object_set_null_member (body, member);
      return;
    }
  text = mira_date_time_format_iso8601 (time);
  json_object_set_string_member (body, member, text);
}

/* A refusal before any request, in the words the server would use */
static void
refuse (MiraConnection      *self,
        gpointer             source_tag,
        const char          *message,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_task_report_new_error (self, callback, user_data, source_tag,
                           MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID, "%s", message);
}

/* Conversations */

void
mira_connection_close_conversation_async (MiraConnection      *self,
                                          const char          *conversation_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (conversation_id != NULL);

  write_async (self, mira_connection_close_conversation_async, SOUP_METHOD_POST,
               entity_path (self, "conversations", conversation_id, "close"),
               json_object_new (), cancellable, callback, user_data);
}

void
mira_connection_delete_conversation_async (MiraConnection      *self,
                                           const char          *conversation_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (conversation_id != NULL);

  write_async (self, mira_connection_delete_conversation_async, SOUP_METHOD_DELETE,
               entity_path (self, "conversations", conversation_id, NULL),
               NULL, cancellable, callback, user_data);
}

static void
search_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraConnection *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = mira_api_request_finish (result, &error);
  g_autoptr(GListStore) store = NULL;
  JsonNode *items;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  items = json_object_get_member (answer, "items");
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                               _("The server’s answer could not be read"));
      return;
    }

  store = g_list_store_new (MIRA_TYPE_CONVERSATION_ITEM);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (items)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (items), i);
      JsonObject *object;
      const char *id;
      MiraConversationItem *known;
      g_autoptr(MiraConversationItem) found = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      if ((id = mira_json_get_string (object, "id")) == NULL)
        continue;
      /* The live item where there is one; an older conversation as it is now */
      known = mira_connection_lookup_synced (self, mira_connection_get_conversations (self), id);
      if (known != NULL)
        found = g_object_ref (known);
      else
        {
          found = mira_conversation_item_new (id);
          mira_conversation_item_update (found, object);
        }
      g_list_store_append (store, found);
    }
  g_task_return_pointer (task, g_steal_pointer (&store), g_object_unref);
}

void
mira_connection_search_conversations_async (MiraConnection      *self,
                                            const char          *query,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *list = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_connection_search_conversations_async);
  list = entity_path (self, "conversations", NULL, NULL);
  escaped = g_uri_escape_string (query, NULL, FALSE);
  path = g_strconcat (list, "?limit=200&q=", escaped, NULL);
  mira_api_request_async (mira_connection_get_base_url (self), SOUP_METHOD_GET, path,
                          mira_connection_get_token (self), NULL, cancellable,
                          search_ready, g_steal_pointer (&task));
}

GListModel *
mira_connection_search_conversations_finish (MiraConnection  *self,
                                             GAsyncResult    *result,
                                             GError         **error)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Reminders */

void
mira_connection_save_reminder_async (MiraConnection       *self,
                                     const char           *reminder_id,
                                     const char           *title,
                                     const char           *description,
                                     GDateTime            *due_time,
                                     MiraReminderPriority  priority,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  g_autofree char *stripped = NULL;
  JsonObject *body;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (due_time != NULL);

  stripped = title ? g_strstrip (g_strdup (title)) : NULL;
  if (stripped == NULL || stripped[0] == '\0')
    {
      refuse (self, mira_connection_save_reminder_async, _("A reminder needs a title"),
              callback, user_data);
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "title", stripped);
  if (description != NULL && description[0] != '\0')
    json_object_set_string_member (body, "description", description);
  else
    json_object_set_null_member (body, "description");
  set_time (body, "due_time", due_time);
  json_object_set_string_member (body, "priority", mira_reminder_priority_to_string (priority));

  write_async (self, mira_connection_save_reminder_async,
               reminder_id ? SOUP_METHOD_PUT : SOUP_METHOD_POST,
               entity_path (self, "reminders", reminder_id, NULL),
               body, cancellable, callback, user_data);
}

void
mira_connection_delete_reminder_async (MiraConnection      *self,
                                       const char          *reminder_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (reminder_id != NULL);

  write_async (self, mira_connection_delete_reminder_async, SOUP_METHOD_DELETE,
               entity_path (self, "reminders", reminder_id, NULL),
               NULL, cancellable, callback, user_data);
}

/* Calendar events */

void
mira_connection_save_event_async (MiraConnection      *self,
                                  const char          *event_id,
                                  const char          *title,
                                  GDateTime           *start_time,
                                  GDateTime           *end_time,
                                  const char          *location,
                                  const char * const  *attendees,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *stripped = NULL;
  JsonObject *body;
  JsonArray *array;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (start_time != NULL);

  stripped = title ? g_strstrip (g_strdup (title)) : NULL;
  if (stripped == NULL || stripped[0] == '\0')
    {
      refuse (self, mira_connection_save_event_async, _("An event needs a title"),
              callback, user_data);
      return;
    }
  if (end_time != NULL && g_date_time_compare (end_time, start_time) < 0)
    {
      refuse (self, mira_connection_save_event_async, _("An event cannot end before it starts"),
              callback, user_data);
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "title", stripped);
  set_time (body, "start_time", start_time);
  set_time (body, "end_time", end_time);
  if (location != NULL && location[0] != '\0')
    json_object_set_string_member (body, "location", location);
  else
    json_object_set_null_member (body, "location");
  array = json_array_new ();
  for (guint i = 0; attendees != NULL && attendees[i] != NULL; i++)
    json_array_add_string_element (array, attendees[i]);
  json_object_set_array_member (body, "attendees", array);

  write_async (self, mira_connection_save_event_async,
               event_id ? SOUP_METHOD_PUT : SOUP_METHOD_POST,
               entity_path (self, "calendar/events", event_id, NULL),
               body, cancellable, callback, user_data);
}

void
mira_connection_delete_event_async (MiraConnection      *self,
                                    const char          *event_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (event_id != NULL);

  write_async (self, mira_connection_delete_event_async, SOUP_METHOD_DELETE,
               entity_path (self, "calendar/events", event_id, NULL),
               NULL, cancellable, callback, user_data);
}

/* Persons */

void
mira_connection_rename_person_async (MiraConnection      *self,
                                     const char          *person_id,
                                     const char          *name,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *stripped = NULL;
  JsonObject *body;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (person_id != NULL);

  stripped = name ? g_strstrip (g_strdup (name)) : NULL;
  if (stripped == NULL || stripped[0] == '\0')
    {
      refuse (self, mira_connection_rename_person_async, _("A name cannot be empty"),
              callback, user_data);
      return;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "name", stripped);
  write_async (self, mira_connection_rename_person_async, SOUP_METHOD_PUT,
               entity_path (self, "persons", person_id, NULL),
               body, cancellable, callback, user_data);
}

void
mira_connection_merge_persons_async (MiraConnection      *self,
                                     const char          *into_id,
                                     const char          *from_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  JsonObject *body;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (into_id != NULL);
  g_return_if_fail (from_id != NULL);

  if (g_str_equal (into_id, from_id))
    {
      refuse (self, mira_connection_merge_persons_async,
              _("A person cannot be merged with themselves"), callback, user_data);
      return;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "from", from_id);
  write_async (self, mira_connection_merge_persons_async, SOUP_METHOD_POST,
               entity_path (self, "persons", into_id, "merge"),
               body, cancellable, callback, user_data);
}

void
mira_connection_delete_person_async (MiraConnection      *self,
                                     const char          *person_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (person_id != NULL);

  write_async (self, mira_connection_delete_person_async, SOUP_METHOD_DELETE,
               entity_path (self, "persons", person_id, NULL),
               NULL, cancellable, callback, user_data);
}
