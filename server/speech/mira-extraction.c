/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-extraction"

#include "mira-extraction.h"

#include "mira-entity.h"
#include "mira-util.h"

/* The longest title and place the tables take */
#define MAX_TITLE_CHARS 255

static void
emit (GPtrArray  *events,
      const char *network_id,
      const char *type,
      const char *member,
      JsonObject *payload)
{
  JsonObject *event = json_object_new ();
  g_autofree char *now = mira_timestamp_now ();

  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "network_id", network_id);
  json_object_set_string_member (event, "timestamp", now);
  json_object_set_object_member (event, member, json_object_ref (payload));
  g_ptr_array_add (events, event);
}

static char *
cut (const char *text)
{
  if (text == NULL || g_utf8_strlen (text, -1) <= MAX_TITLE_CHARS)
    return g_strdup (text);
  return g_utf8_substring (text, 0, MAX_TITLE_CHARS);
}

/* Inserts one row of @entity from @input, the way a client's POST would. */
static JsonObject *
insert (MiraDb           *db,
        const char       *net_uuid,
        const char       *network_id,
        const MiraEntity *entity,
        JsonObject       *input,
        GError          **error)
{
  g_autoptr(GHashTable) values = NULL;

  values = mira_entity_validate (db, net_uuid, entity, input, TRUE, error);
  if (values == NULL)
    return NULL;
  return mira_entity_insert (db, net_uuid, network_id, entity, values, error);
}

/* The reminder or calendar event @action creates, or NULL (a contact). */
static JsonObject *
create_target (MiraDb            *db,
               const char        *net_uuid,
               const char        *network_id,
               const char        *interaction_id,
               const char        *content,
               const MiraAction  *action,
               const MiraEntity **entity,
               GError           **error)
{
  g_autoptr(JsonObject) data = mira_action_to_json (action);
  g_autoptr(JsonObject) input = json_object_new ();
  g_autofree char *title = cut (action->title);

  *entity = NULL;
  json_object_set_string_member (input, "title", title);
  json_object_set_string_member (input, "description", content);
  json_object_set_string_member (input, "interaction_id", interaction_id);
  switch (action->type)
    {
    case MIRA_ACTION_REMIND:
      *entity = &mira_entity_reminder;
      json_object_set_string_member (input, "due_time",
                                     json_object_get_string_member (data, "due_time"));
      json_object_set_string_member (input, "priority", action->priority);
      break;
    case MIRA_ACTION_SCHEDULE:
      {
        g_autofree char *location = cut (action->location);

        *entity = &mira_entity_calendar_event;
        json_object_set_string_member (input, "start_time",
                                       json_object_get_string_member (data, "start_time"));
        json_object_set_string_member (input, "end_time",
                                       json_object_get_string_member (data, "end_time"));
        if (location != NULL)
          json_object_set_string_member (input, "location", location);
        json_object_set_member (input, "attendees",
                                json_node_copy (json_object_get_member (data, "attendees")));
      }
      break;
    case MIRA_ACTION_CONTACT:
      return NULL;
    default:
      g_assert_not_reached ();
    }
  return insert (db, net_uuid, network_id, *entity, input, error);
}

gboolean
mira_extraction_store (MiraDb      *db,
                       const char  *net_uuid,
                       const char  *network_id,
                       JsonObject  *interaction,
                       GPtrArray   *actions,
                       const char  *extractor,
                       GPtrArray   *events,
                       GError     **error)
{
  const char *interaction_id, *content;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (net_uuid != NULL && network_id != NULL, FALSE);
  g_return_val_if_fail (interaction != NULL && actions != NULL && events != NULL, FALSE);
  g_return_val_if_fail (extractor != NULL, FALSE);

  interaction_id = json_object_get_string_member (interaction, "id");
  content = json_object_get_string_member (interaction, "content");

  for (guint i = 0; i < actions->len; i++)
    {
      const MiraAction *action = g_ptr_array_index (actions, i);
      const MiraEntity *entity = NULL;
      g_autoptr(JsonObject) target = NULL;
      g_autoptr(JsonObject) input = json_object_new ();
      g_autoptr(JsonObject) data = mira_action_to_json (action);
      g_autoptr(JsonObject) row = NULL;
      g_autoptr(GError) local = NULL;

      target = create_target (db, net_uuid, network_id, interaction_id, content, action, &entity,
                              &local);
      if (local != NULL)
        {
          /* Refused by the rules of the table: the action is recorded as
           * failed, with the reason.
           */
          if (!g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_INVALID) &&
              !g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_CONSTRAINT))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          json_object_set_string_member (input, "status", "failed");
          json_object_set_string_member (input, "error_message", local->message);
        }
      else if (target != NULL)
        {
          JsonObject *result = json_object_new ();
          g_autofree char *key = g_strconcat (entity->name, "_id", NULL);

          emit (events, network_id, entity == &mira_entity_reminder ? "reminder_created"
                                                                    : "calendar_event_created",
                entity->name, target);
          json_object_set_string_member (result, key,
                                         json_object_get_string_member (target, "id"));
          json_object_set_object_member (input, "result", result);
          json_object_set_string_member (input, "status", "completed");
        }

      json_object_remove_member (data, "type");
      json_object_set_string_member (data, "extractor", extractor);
      json_object_set_string_member (input, "interaction_id", interaction_id);
      json_object_set_string_member (input, "action_type",
                                     mira_action_type_to_string (action->type));
      json_object_set_object_member (input, "action_data", g_steal_pointer (&data));
      row = insert (db, net_uuid, network_id, &mira_entity_action, input, error);
      if (row == NULL)
        return FALSE;
      emit (events, network_id, "action_created", "action", row);
    }
  return TRUE;
}

gboolean
mira_extraction_run_builtin (MiraDb      *db,
                             const char  *net_uuid,
                             const char  *network_id,
                             JsonObject  *interaction,
                             GPtrArray   *events,
                             GError     **error)
{
  g_autoptr(GTimeZone) zone = NULL;
  g_autoptr(GDateTime) said_at = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  gint64 said_ms;
  gint64 start_us = g_get_monotonic_time ();
  gboolean stored;

  g_return_val_if_fail (interaction != NULL, FALSE);

  zone = mira_entity_time_zone (db, net_uuid, error);
  if (zone == NULL)
    return FALSE;
  said_ms = mira_timestamp_to_unix_ms (json_object_get_string_member (interaction, "timestamp"));
  said_at = g_date_time_new_from_unix_utc (said_ms / 1000);
  actions = mira_extractor_find (json_object_get_string_member (interaction, "content"),
                                 said_at, zone);
  stored = mira_extraction_store (db, net_uuid, network_id, interaction, actions, "builtin",
                                  events, error);
  g_debug ("%u actions found and stored in %.1f ms", actions->len,
           (g_get_monotonic_time () - start_us) / 1000.0);
  return stored;
}
