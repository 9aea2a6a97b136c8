/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Handlers of the network's resources: the generic ones driven by a
 * MiraEntity, and the few with rules of their own.
 */

#include "mira-api.h"
#include "mira-api-error.h"
#include "mira-api-private.h"

#include "mira-conversations.h"
#include "mira-db.h"
#include "mira-entity.h"
#include "mira-json.h"
#include "mira-speech-interactions.h"
#include "mira-util.h"
#include "mira-voice-persons.h"

static const MiraEntity *
call_entity (MiraApiCall *call)
{
  return call->route->data;
}

/* A row of the route's entity that is not in the network is answered with
 * the entity's own code (PERSON_NOT_FOUND). Returns FALSE, to end a handler
 * with.
 */
static gboolean
not_found (const MiraEntity  *entity,
           GError           **error)
{
  static const struct {
    const MiraEntity *entity;
    MiraApiError      code;
  } codes[] = {
    { &mira_entity_client, MIRA_API_ERROR_CLIENT_NOT_FOUND },
    { &mira_entity_person, MIRA_API_ERROR_PERSON_NOT_FOUND },
    { &mira_entity_conversation, MIRA_API_ERROR_CONVERSATION_NOT_FOUND },
    { &mira_entity_interaction, MIRA_API_ERROR_INTERACTION_NOT_FOUND },
    { &mira_entity_reminder, MIRA_API_ERROR_REMINDER_NOT_FOUND },
    { &mira_entity_calendar_event, MIRA_API_ERROR_CALENDAR_EVENT_NOT_FOUND },
    { &mira_entity_action, MIRA_API_ERROR_ACTION_NOT_FOUND },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    if (codes[i].entity == entity)
      return mira_api_error_refine (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, codes[i].code);
  g_assert_not_reached ();
}

static void
emit_entity (MiraApiCall      *call,
             const MiraEntity *entity,
             const char       *what,
             JsonObject       *object)
{
  g_autofree char *type = g_strconcat (entity->name, "_", what, NULL);

  mira_api_call_emit (call, type, entity->name, object);
}

gboolean
mira_api_entity_list (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  guint limit, offset;

  if (!mira_api_call_parse_paging (call, &limit, &offset, error))
    return FALSE;
  call->response_text = mira_entity_list_json (db, call->net_uuid, call->network_id, entity,
                                               call->query, limit, offset, error);
  if (call->response_text == NULL)
    return FALSE;
  call->response_type = g_strdup ("application/json; charset=utf-8");
  return TRUE;
}

gboolean
mira_api_entity_get (MiraApiCall  *call,
                     MiraDb       *db,
                     GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  JsonObject *object;

  object = mira_entity_get (db, call->net_uuid, call->network_id, entity,
                            mira_api_call_arg (call, 1), error);
  if (object == NULL)
    return not_found (entity, error);
  mira_api_call_respond_object (call, 200, object);
  return TRUE;
}

/* A conversation's last_interaction_at is the latest timestamp of its
 * interactions (null without any): recomputed when one of them is moved in
 * time, moved to another conversation or deleted, announced when it changed.
 * It is what the conversation timeout counts from.
 */
static gboolean
refresh_conversation (MiraApiCall  *call,
                      MiraDb       *db,
                      const char   *conversation_id,
                      GError      **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) conversation = NULL;

  if (conversation_id == NULL)
    return TRUE;
  res = mira_db_query (db, "UPDATE conversations SET updated_at = $3, last_interaction_at ="
                           " (SELECT max(i.timestamp) FROM interactions i"
                           " WHERE i.conversation_id = conversations.id)"
                           " WHERE network_id = $1 AND id = $2 AND last_interaction_at"
                           " IS DISTINCT FROM (SELECT max(i.timestamp) FROM interactions i"
                           " WHERE i.conversation_id = conversations.id)",
                       3, (const char *[]) { call->net_uuid, conversation_id, now }, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_affected (res) == 0)
    return TRUE;
  conversation = mira_entity_get (db, call->net_uuid, call->network_id,
                                  &mira_entity_conversation, conversation_id, error);
  if (conversation == NULL)
    return FALSE;
  mira_api_call_emit (call, "conversation_updated", "conversation", conversation);
  return TRUE;
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  return object ? json_object_get_string_member_with_default (object, name, NULL) : NULL;
}

/* State derived from what was written, recomputed after each write (@before
 * is the row before it, NULL on create; @object the row after, replaced when
 * this changed it): a reminder's status from its due time; the
 * last_interaction_at of the conversations an interaction left or joined.
 */
static gboolean
derive_state (MiraApiCall       *call,
              MiraDb            *db,
              const MiraEntity  *entity,
              JsonObject        *before,
              JsonObject       **object,
              GError           **error)
{
  if (entity == &mira_entity_interaction && before != NULL)
    {
      const char *was = string_member (before, "conversation_id");
      const char *is = string_member (*object, "conversation_id");
      const char *was_at = string_member (before, "timestamp");

      if (g_strcmp0 (was_at, string_member (*object, "timestamp")) == 0 &&
          g_strcmp0 (was, is) == 0)
        return TRUE;
      return refresh_conversation (call, db, was, error) &&
             (g_strcmp0 (was, is) == 0 || refresh_conversation (call, db, is, error));
    }

  if (entity == &mira_entity_reminder)
    {
      g_autofree char *id = g_strdup (json_object_get_string_member (*object, "id"));
      gboolean settled = FALSE;

      if (!mira_api_reminder_settle (call, db, id, &settled, error))
        return FALSE;
      if (settled)
        {
          JsonObject *now = mira_entity_get (db, call->net_uuid, call->network_id, entity, id,
                                             error);

          if (now == NULL)
            return FALSE;
          json_object_unref (*object);
          *object = now;
        }
    }
  return TRUE;
}

static JsonObject *
create_with (MiraApiCall  *call,
             MiraDb       *db,
             GHashTable   *values,
             GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  g_autoptr(JsonObject) object = NULL;

  object = mira_entity_insert (db, call->net_uuid, call->network_id, entity, values, error);
  if (object == NULL || !derive_state (call, db, entity, NULL, &object, error))
    return NULL;
  emit_entity (call, entity, "created", object);
  mira_api_call_respond_object (call, 201, json_object_ref (object));
  return g_steal_pointer (&object);
}

/* A calendar event ends at or after its start. The database checks it too,
 * but its message names neither the field nor anything a user knows.
 * @values holds canonical timestamps, which compare as text.
 */
static gboolean
check_event_times (MiraApiCall  *call,
                   MiraDb       *db,
                   GHashTable   *values,
                   gboolean      create,
                   GError      **error)
{
  g_autoptr(JsonObject) current = NULL;
  const char *start = g_hash_table_lookup (values, "start_time");
  const char *end = g_hash_table_lookup (values, "end_time");

  if (call_entity (call) != &mira_entity_calendar_event ||
      (!g_hash_table_contains (values, "start_time") &&
       !g_hash_table_contains (values, "end_time")))
    return TRUE;

  if (!create)
    {
      /* A missing event is reported by the update itself. */
      current = mira_entity_get (db, call->net_uuid, call->network_id, call_entity (call),
                                 mira_api_call_arg (call, 1), NULL);
      if (current == NULL)
        return TRUE;
      if (!g_hash_table_contains (values, "start_time"))
        start = json_object_get_string_member (current, "start_time");
      if (!g_hash_table_contains (values, "end_time"))
        end = json_object_get_string_member (current, "end_time");
    }

  if (start != NULL && end != NULL && g_strcmp0 (end, start) < 0)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'end_time' must not be before 'start_time' (%s)", start);
      return FALSE;
    }
  return TRUE;
}

/* A client that PUTs back the object it read, edited, sends the members it
 * cannot write too. The server's own timestamps are dropped; any other
 * read-only member is dropped when it still holds its current value, and
 * refused by validation otherwise. Returns @input without them.
 */
static JsonObject *
drop_read_only (MiraApiCall  *call,
                MiraDb       *db,
                JsonObject   *input,
                GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  g_autoptr(JsonObject) current = NULL;
  g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);
  JsonObject *kept;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, input);
  while (json_object_iter_next (&iter, &name, &node))
    {
      const MiraField *field = mira_entity_find_field (entity, name);
      JsonNode *now;

      if (g_str_equal (name, "created_at") || g_str_equal (name, "updated_at"))
        {
          g_ptr_array_add (dropped, g_strdup (name));
          continue;
        }
      if (field != NULL ? (field->flags & MIRA_FIELD_WRITABLE) && field->column != NULL
                        : !g_str_equal (name, "id") && !g_str_equal (name, "network_id"))
        continue;
      if (current == NULL)
        {
          g_autoptr(GError) local = NULL;

          current = mira_entity_get (db, call->net_uuid, call->network_id, entity,
                                     mira_api_call_arg (call, 1), &local);
          /* A missing row is reported by the update itself. */
          if (current == NULL)
            {
              if (g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND) ||
                  g_error_matches (local, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_KEY))
                return json_object_ref (input);
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
      now = json_object_get_member (current, name);
      if (now != NULL && json_node_equal (node, now))
        g_ptr_array_add (dropped, g_strdup (name));
    }
  if (dropped->len == 0)
    return json_object_ref (input);
  /* The parsed body is immutable: the rest goes to a new object. */
  kept = json_object_new ();
  json_object_iter_init (&iter, input);
  while (json_object_iter_next (&iter, &name, &node))
    if (!g_ptr_array_find_with_equal_func (dropped, name, g_str_equal, NULL))
      json_object_set_member (kept, name, json_node_copy (node));
  return kept;
}

/* The request's JSON object, checked against the route's entity. */
static GHashTable *
parse_and_validate (MiraApiCall  *call,
                    MiraDb       *db,
                    gboolean      allow_empty,
                    gboolean      create,
                    GError      **error)
{
  g_autoptr(JsonObject) input = mira_api_call_parse_object (call, allow_empty, error);

  if (input != NULL && !create)
    {
      JsonObject *writable = drop_read_only (call, db, input, error);

      json_object_unref (input);
      input = writable;
    }
  if (input == NULL)
    return NULL;
  return mira_entity_validate (db, call->net_uuid, call_entity (call), input, create, error);
}

gboolean
mira_api_entity_create (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) object = NULL;

  values = parse_and_validate (call, db, FALSE, TRUE, error);
  if (values == NULL || !check_event_times (call, db, values, TRUE, error))
    return FALSE;
  object = create_with (call, db, values, error);
  return object != NULL;
}

static gboolean
update_with (MiraApiCall  *call,
             MiraDb       *db,
             GHashTable   *values,
             GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  g_autoptr(JsonObject) before = NULL;
  JsonObject *object;

  /* What derived state depends on (a missing row is reported by the update) */
  if (entity == &mira_entity_interaction)
    before = mira_entity_get (db, call->net_uuid, call->network_id, entity,
                              mira_api_call_arg (call, 1), NULL);
  object = mira_entity_update (db, call->net_uuid, call->network_id, entity,
                               mira_api_call_arg (call, 1), values, error);
  if (object == NULL)
    return not_found (entity, error);
  if (!derive_state (call, db, entity, before, &object, error))
    {
      json_object_unref (object);
      return FALSE;
    }
  emit_entity (call, entity, "updated", object);
  mira_api_call_respond_object (call, 200, object);
  return TRUE;
}

gboolean
mira_api_entity_update (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(GHashTable) values = parse_and_validate (call, db, FALSE, FALSE, error);

  return values != NULL && check_event_times (call, db, values, FALSE, error) &&
         update_with (call, db, values, error);
}

/* What the schema's ON DELETE would change unannounced when a row goes:
 * rows of @dependent whose @column points to it lose the reference (SET
 * NULL) or, with @cascade, go with it. They are changed here first, so
 * that each is announced as every write is.
 */
static const struct {
  const MiraEntity *deleted;
  const MiraEntity *dependent;
  const char       *column;
  gboolean          cascade;
} dependents[] = {
  { &mira_entity_person, &mira_entity_interaction, "speaker_id", FALSE },
  { &mira_entity_conversation, &mira_entity_interaction, "conversation_id", FALSE },
  { &mira_entity_interaction, &mira_entity_reminder, "interaction_id", FALSE },
  { &mira_entity_interaction, &mira_entity_calendar_event, "interaction_id", FALSE },
  { &mira_entity_interaction, &mira_entity_action, "interaction_id", TRUE },
};

/* JSON columns that name rows by id, which no foreign key looks after:
 * when the row goes, its id goes from them (a conversation's participants
 * lose a deleted person, an action's result the reminder or calendar event
 * it made), so that nothing names a row that is not there.
 */
static const struct {
  const MiraEntity *deleted;
  const MiraEntity *holder;
  const char       *column;
  const char       *key;     /* the member naming it; NULL: an array of ids */
} json_references[] = {
  { &mira_entity_person, &mira_entity_conversation, "participant_ids", NULL },
  { &mira_entity_reminder, &mira_entity_action, "result", "reminder_id" },
  { &mira_entity_calendar_event, &mira_entity_action, "result", "calendar_event_id" },
};

/* A row that depends on one being deleted: detached from it (@object NULL,
 * read again once the delete is done) or going with it (@object as it was).
 */
typedef struct
{
  const MiraEntity *entity;
  char             *id;
  JsonObject       *object;
} Released;

static void
released_free (Released *released)
{
  g_free (released->id);
  g_clear_pointer (&released->object, json_object_unref);
  g_free (released);
}

/* Detaches or collects the rows that depend on @entity's row @id, before it
 * is deleted, into @released (Released).
 */
static gboolean
release_dependents (MiraApiCall       *call,
                    MiraDb            *db,
                    const MiraEntity  *entity,
                    const char        *id,
                    GPtrArray         *released,
                    GError           **error)
{
  g_autofree char *now = mira_timestamp_now ();

  for (guint d = 0; d < G_N_ELEMENTS (dependents); d++)
    {
      const MiraEntity *dependent = dependents[d].dependent;
      const char *column = dependents[d].column;
      const char *params[] = { call->net_uuid, id, now };
      g_autoptr(MiraDbResult) rows = NULL;
      g_autoptr(MiraDbResult) res = NULL;
      g_autofree char *sql = NULL;

      if (dependents[d].deleted != entity)
        continue;
      sql = g_strdup_printf ("SELECT id FROM %s WHERE network_id = $1 AND %s = $2",
                             dependent->table, column);
      rows = mira_db_query (db, sql, 2, params, error);
      if (rows == NULL)
        return FALSE;
      for (guint i = 0; i < mira_db_result_n_rows (rows); i++)
        {
          Released *r = g_new0 (Released, 1);

          r->entity = dependent;
          r->id = g_strdup (mira_db_result_get (rows, i, 0));
          g_ptr_array_add (released, r);
          if (dependents[d].cascade &&
              (r->object = mira_entity_get (db, call->net_uuid, call->network_id, dependent,
                                            r->id, error)) == NULL)
            return FALSE;
        }
      if (dependents[d].cascade || mira_db_result_n_rows (rows) == 0)
        continue;
      g_free (sql);
      sql = g_strdup_printf ("UPDATE %s SET %s = NULL, updated_at = $3"
                             " WHERE network_id = $1 AND %s = $2", dependent->table, column,
                             column);
      res = mira_db_query (db, sql, 3, params, error);
      if (res == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Takes @entity's row @id out of the JSON columns that name it
 * (json_references), before it is deleted; the rows changed go into
 * @released (Released), to be announced.
 */
static gboolean
forget_references (MiraApiCall       *call,
                   MiraDb            *db,
                   const MiraEntity  *entity,
                   const char        *id,
                   GPtrArray         *released,
                   GError           **error)
{
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *pattern = g_strdup_printf ("%%%s%%", id);

  for (guint r = 0; r < G_N_ELEMENTS (json_references); r++)
    {
      const MiraEntity *holder = json_references[r].holder;
      const char *column = json_references[r].column;
      const char *key = json_references[r].key;
      g_autoptr(MiraDbResult) rows = NULL;
      g_autofree char *select = NULL;
      g_autofree char *update = NULL;

      if (json_references[r].deleted != entity)
        continue;
      /* Only rows whose text names it are read */
      select = g_strdup_printf ("SELECT id, %s FROM %s WHERE network_id = $1"
                                " AND CAST(%s AS TEXT) LIKE $2", column, holder->table, column);
      update = g_strdup_printf ("UPDATE %s SET %s = $3, updated_at = $4"
                                " WHERE network_id = $1 AND id = $2", holder->table, column);
      rows = mira_db_query (db, select, 2, (const char *[]) { call->net_uuid, pattern }, error);
      if (rows == NULL)
        return FALSE;
      for (guint i = 0; i < mira_db_result_n_rows (rows); i++)
        {
          g_autoptr(JsonNode) node = json_from_string (mira_db_result_get (rows, i, 1), NULL);
          g_autoptr(MiraDbResult) res = NULL;
          g_autofree char *text = NULL;
          gboolean found = FALSE;
          Released *changed;

          if (node != NULL && key == NULL && JSON_NODE_HOLDS_ARRAY (node))
            {
              JsonArray *array = json_node_get_array (node);

              for (guint j = json_array_get_length (array); j-- > 0;)
                if (g_strcmp0 (json_array_get_string_element (array, j), id) == 0)
                  {
                    json_array_remove_element (array, j);
                    found = TRUE;
                  }
            }
          else if (node != NULL && key != NULL && JSON_NODE_HOLDS_OBJECT (node))
            {
              JsonObject *object = json_node_get_object (node);
              JsonNode *member = json_object_get_member (object, key);

              found = member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
                      g_strcmp0 (json_node_get_string (member), id) == 0;
              if (found)
                json_object_remove_member (object, key);
            }
          /* The pattern found the id elsewhere in the text */
          if (!found)
            continue;
          text = mira_json_to_string (node, FALSE);
          res = mira_db_query (db, update, 4,
                               (const char *[]) { call->net_uuid, mira_db_result_get (rows, i, 0),
                                                  text, now }, error);
          if (res == NULL)
            return FALSE;
          changed = g_new0 (Released, 1);
          changed->entity = holder;
          changed->id = g_strdup (mira_db_result_get (rows, i, 0));
          g_ptr_array_add (released, changed);
        }
    }
  return TRUE;
}

gboolean
mira_api_entity_delete (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GPtrArray) released = g_ptr_array_new_with_free_func ((GDestroyNotify) released_free);
  g_autofree char *id = NULL;

  object = mira_entity_get (db, call->net_uuid, call->network_id, entity,
                            mira_api_call_arg (call, 1), error);
  if (object == NULL)
    return not_found (entity, error);
  id = g_strdup (json_object_get_string_member (object, "id"));
  g_clear_pointer (&object, json_object_unref);

  if (!release_dependents (call, db, entity, id, released, error) ||
      !forget_references (call, db, entity, id, released, error))
    return FALSE;
  object = mira_entity_delete (db, call->net_uuid, call->network_id, entity, id, error);
  if (object == NULL)
    return FALSE;
  emit_entity (call, entity, "deleted", object);
  for (guint i = 0; i < released->len; i++)
    {
      Released *r = g_ptr_array_index (released, i);
      g_autoptr(JsonObject) changed = NULL;

      if (r->object != NULL)
        {
          emit_entity (call, r->entity, "deleted", r->object);
          continue;
        }
      changed = mira_entity_get (db, call->net_uuid, call->network_id, r->entity, r->id, error);
      if (changed == NULL)
        return FALSE;
      emit_entity (call, r->entity, "updated", changed);
    }
  if (entity == &mira_entity_interaction &&
      !refresh_conversation (call, db, string_member (object, "conversation_id"), error))
    return FALSE;
  call->status = 204;
  return TRUE;
}

/* Persons */

gboolean
mira_api_person_create (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) object = NULL;
  const char *next;

  values = parse_and_validate (call, db, TRUE, TRUE, error);
  if (values == NULL || !mira_entity_lock_network (db, call->net_uuid, error))
    return FALSE;

  res = mira_db_query (db, "SELECT COALESCE(MAX(\"index\"), 0) + 1 FROM persons"
                           " WHERE network_id = $1", 1, (const char *[]) { call->net_uuid },
                       error);
  if (res == NULL)
    return FALSE;
  next = mira_db_result_get (res, 0, 0);
  g_hash_table_insert (values, (gpointer) "\"index\"", g_strdup (next));
  if (g_hash_table_lookup (values, "name") == NULL)
    g_hash_table_insert (values, (gpointer) "name", g_strdup_printf ("Speaker %s", next));

  object = create_with (call, db, values, error);
  return object != NULL;
}

/* Replaces @from by @into in every conversation's participants; the ids of
 * the conversations changed go into @changed.
 */
static gboolean
replace_participant (MiraApiCall  *call,
                    MiraDb       *db,
                    const char   *from,
                    const char   *into,
                    const char   *now,
                    GPtrArray    *changed,
                    GError      **error)
{
  g_autofree char *pattern = g_strdup_printf ("%%%s%%", from);
  const char *params[] = { call->net_uuid, pattern };
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "SELECT id, participant_ids FROM conversations"
                           " WHERE network_id = $1 AND CAST(participant_ids AS TEXT) LIKE $2",
                       2, params, error);
  if (res == NULL)
    return FALSE;

  for (guint i = 0; i < mira_db_result_n_rows (res); i++)
    {
      g_autoptr(JsonNode) old = json_from_string (mira_db_result_get (res, i, 1), NULL);
      g_autoptr(JsonArray) merged = json_array_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(MiraDbResult) upd = NULL;
      g_autofree char *text = NULL;
      gboolean have_into = FALSE;
      gboolean found = FALSE;
      JsonArray *array;

      if (old == NULL || !JSON_NODE_HOLDS_ARRAY (old))
        continue;
      array = json_node_get_array (old);
      for (guint j = 0; j < json_array_get_length (array); j++)
        {
          const char *id = json_array_get_string_element (array, j);
          const char *keep = g_strcmp0 (id, from) == 0 ? into : id;

          found |= g_strcmp0 (id, from) == 0;

          if (keep == NULL || (g_strcmp0 (keep, into) == 0 && have_into))
            continue;
          have_into |= g_strcmp0 (keep, into) == 0;
          json_array_add_string_element (merged, keep);
        }
      /* The pattern found the id elsewhere in the text */
      if (!found)
        continue;
      node = json_node_init_array (json_node_alloc (), merged);
      text = mira_json_to_string (node, FALSE);
      upd = mira_db_query (db, "UPDATE conversations SET participant_ids = $3, updated_at = $4"
                               " WHERE network_id = $1 AND id = $2", 4,
                           (const char *[]) { call->net_uuid, mira_db_result_get (res, i, 0), text,
                                              now },
                           error);
      if (upd == NULL)
        return FALSE;
      g_ptr_array_add (changed, g_strdup (mira_db_result_get (res, i, 0)));
    }
  return TRUE;
}

gboolean
mira_api_person_merge (MiraApiCall  *call,
                       MiraDb       *db,
                       GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  const char *into_key = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(JsonObject) into = NULL;
  g_autoptr(JsonObject) from = NULL;
  g_autoptr(JsonObject) merged = NULL;
  g_autoptr(MiraDbResult) r1 = NULL;
  g_autoptr(MiraDbResult) moved = NULL;
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *into_id = NULL;
  g_autofree char *from_copy = NULL;
  const char *from_id;
  JsonNode *from_node;

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL)
    return FALSE;
  {
    JsonObjectIter iter;
    const char *name;

    json_object_iter_init (&iter, input);
    while (json_object_iter_next (&iter, &name, NULL))
      if (!g_str_equal (name, "from"))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Unknown field '%s': a merge takes only 'from'", name);
          return FALSE;
        }
  }
  from_node = json_object_get_member (input, "from");
  if (from_node == NULL)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'from' is required: the id of the person to merge into this one");
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (from_node) || json_node_get_value_type (from_node) != G_TYPE_STRING)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'from' must be a person id (a string)");
      return FALSE;
    }
  from_id = json_node_get_string (from_node);

  /* Nothing else writes to either person until the merge is done */
  if (!mira_entity_lock_network (db, call->net_uuid, error))
    return FALSE;
  into = mira_entity_get (db, call->net_uuid, call->network_id, entity, into_key, error);
  if (into == NULL)
    return not_found (entity, error);
  if (!mira_is_uuid (from_id))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'from' must be a person id");
      return FALSE;
    }
  from = mira_entity_get (db, call->net_uuid, call->network_id, entity, from_id, NULL);
  if (from == NULL)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'from': no person with id %s in this network", from_id);
      return FALSE;
    }
  into_id = g_strdup (json_object_get_string_member (into, "id"));
  /* A copy: @from is replaced by the deleted row below. */
  from_id = from_copy = g_strdup (json_object_get_string_member (from, "id"));
  if (g_str_equal (into_id, from_id))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'from': a person cannot be merged into itself");
      return FALSE;
    }

  {
    const char *params[] = { call->net_uuid, from_id, into_id, now };

    moved = mira_db_query (db, "SELECT id FROM interactions"
                               " WHERE network_id = $1 AND speaker_id = $2", 2, params, error);
    if (moved == NULL)
      return FALSE;
    r1 = mira_db_query (db, "UPDATE interactions SET speaker_id = $3, updated_at = $4"
                            " WHERE network_id = $1 AND speaker_id = $2", 4, params, error);
    if (r1 == NULL)
      return FALSE;
  }
  /* Both voices' speech in one signature, so that either matches after */
  if (!mira_voice_persons_merge (db, call->net_uuid, from_id, into_id, error))
    return FALSE;
  if (!replace_participant (call, db, from_id, into_id, now, conversations, error))
    return FALSE;

  g_clear_pointer (&from, json_object_unref);
  from = mira_entity_delete (db, call->net_uuid, call->network_id, entity, from_id, error);
  if (from == NULL)
    return FALSE;
  /* Its interactions, signature and conversations changed: updated now */
  {
    g_autoptr(MiraDbResult) bumped = NULL;

    bumped = mira_db_query (db, "UPDATE persons SET updated_at = $3"
                                " WHERE network_id = $1 AND id = $2", 3,
                            (const char *[]) { call->net_uuid, into_id, now }, error);
    if (bumped == NULL)
      return FALSE;
  }
  merged = mira_entity_get (db, call->net_uuid, call->network_id, entity, into_id, error);
  if (merged == NULL)
    return FALSE;

  /* Every row the merge changed is announced, as any other write's */
  emit_entity (call, entity, "deleted", from);
  emit_entity (call, entity, "updated", merged);
  for (guint i = 0; i < mira_db_result_n_rows (moved); i++)
    {
      g_autoptr(JsonObject) interaction = NULL;

      interaction = mira_entity_get (db, call->net_uuid, call->network_id,
                                     &mira_entity_interaction, mira_db_result_get (moved, i, 0),
                                     error);
      if (interaction == NULL)
        return FALSE;
      emit_entity (call, &mira_entity_interaction, "updated", interaction);
    }
  for (guint i = 0; i < conversations->len; i++)
    {
      g_autoptr(JsonObject) conversation = NULL;

      conversation = mira_entity_get (db, call->net_uuid, call->network_id,
                                      &mira_entity_conversation,
                                      g_ptr_array_index (conversations, i), error);
      if (conversation == NULL)
        return FALSE;
      emit_entity (call, &mira_entity_conversation, "updated", conversation);
    }
  mira_api_call_respond_object (call, 200, g_steal_pointer (&merged));
  return TRUE;
}

/* Enrolment: a recording of the person's voice starts or extends their
 * signature, the same as speech of theirs that was recognised.
 */
gboolean
mira_api_person_voice (MiraApiCall  *call,
                       MiraDb       *db,
                       GError      **error)
{
  const MiraEntity *entity = call_entity (call);
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autofree char *description = NULL;
  g_autofree char *person_id = NULL;
  MiraVoiceSignature signature;

  person = mira_entity_get (db, call->net_uuid, call->network_id, entity,
                            mira_api_call_arg (call, 1), error);
  if (person == NULL)
    return not_found (entity, error);
  person_id = g_strdup (json_object_get_string_member (person, "id"));

  samples = mira_api_call_upload_audio (call, "audio_file", error);
  if (samples == NULL)
    return FALSE;
  if (call->content_type != NULL &&
      g_ascii_strncasecmp (call->content_type, "multipart/form-data", 19) == 0)
    {
      g_autoptr(GHashTable) parts = mira_api_call_parse_multipart (call, NULL, error);
      GBytes *part = parts ? g_hash_table_lookup (parts, "description") : NULL;

      if (parts == NULL)
        return FALSE;
      if (part != NULL)
        {
          gsize len;
          const char *text = g_bytes_get_data (part, &len);

          if (len > 1000 || !g_utf8_validate_len (text, len, NULL))
            {
              g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                           "Field 'description' must be UTF-8 text of at most 1000 bytes");
              return FALSE;
            }
          description = g_strndup (text, len);
        }
    }

  if (!mira_voice_signature_compute ((const gint16 *) samples->data, samples->len, &signature,
                                     error))
    {
      g_prefix_error (error, "Field 'audio_file': ");
      return FALSE;
    }
  g_clear_pointer (&person, json_object_unref);
  person = mira_voice_persons_enrol (db, call->net_uuid, call->network_id, person_id, &signature,
                                     error);
  if (person == NULL)
    return FALSE;

  /* What the recording was, kept with the person for whoever manages voices */
  if (description != NULL)
    {
      g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *metadata = json_object_get_object_member (person, "metadata");

      json_object_set_string_member (metadata, "voice_description", description);
      node = json_node_init_object (json_node_alloc (), metadata);
      g_hash_table_insert (values, (gpointer) "metadata", mira_json_to_string (node, FALSE));
      g_clear_pointer (&person, json_object_unref);
      person = mira_entity_update (db, call->net_uuid, call->network_id, entity, person_id, values,
                                   error);
      if (person == NULL)
        return FALSE;
    }

  emit_entity (call, entity, "updated", person);
  mira_api_call_respond_object (call, 200, g_steal_pointer (&person));
  return TRUE;
}

/* Conversations */

gboolean
mira_api_conversation_create (MiraApiCall  *call,
                              MiraDb       *db,
                              GError      **error)
{
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) object = NULL;

  values = parse_and_validate (call, db, TRUE, TRUE, error);
  if (values == NULL)
    return FALSE;
  g_hash_table_insert (values, (gpointer) "status", g_strdup ("open"));
  object = create_with (call, db, values, error);
  return object != NULL;
}

/* Interactions */

/* @name of @object when it is there and not null */
static gboolean
member_is_value (JsonObject *object,
                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  return member_is_value (object, name) ? json_object_get_string_member (object, name) : NULL;
}

/* The body is checked here, so that every bad one is answered as any
 * resource's is; the interaction is then made as every interaction is, the
 * audio hub's too: mira_speech_interactions_create().
 */
gboolean
mira_api_interaction_create (MiraApiCall  *call,
                             MiraDb       *db,
                             GError      **error)
{
  MiraInteractionNew interaction = MIRA_INTERACTION_NEW_INIT;
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) object = NULL;

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL)
    return FALSE;
  values = mira_entity_validate (db, call->net_uuid, call_entity (call), input, TRUE, error);
  if (values == NULL)
    return FALSE;

  /* Valid: each field is absent, null or of its type */
  interaction.content = json_object_get_string_member (input, "content");
  interaction.interaction_type = member_string (input, "interaction_type");
  interaction.person_id = member_string (input, "person_id");
  interaction.conversation_id = member_string (input, "conversation_id");
  interaction.client_id = member_string (input, "client_id");
  interaction.timestamp = member_string (input, "timestamp");
  if (member_is_value (input, "audio_quality_score"))
    interaction.audio_quality_score = json_object_get_double_member (input, "audio_quality_score");
  if (member_is_value (input, "audio_duration"))
    interaction.audio_duration_s = json_object_get_double_member (input, "audio_duration");
  if (json_object_has_member (input, "metadata"))
    interaction.metadata = json_object_get_object_member (input, "metadata");
  /* "client_id": null says no client, not the session's */
  if (!json_object_has_member (input, "client_id"))
    interaction.session_client_id = call->session_client;

  /* What it asks for: reminders, events, contacts; with a language model,
   * once its interaction_created is out (see mira-llm-jobs.h)
   */
  object = mira_speech_interactions_create (db, call->network_id, &interaction, NULL,
                                            !call->config->llm, call->events, error);
  if (object == NULL)
    return FALSE;
  mira_api_call_respond_object (call, 201, g_steal_pointer (&object));
  return TRUE;
}

/* Reminders */

gboolean
mira_api_reminder_complete (MiraApiCall  *call,
                            MiraDb       *db,
                            GError      **error)
{
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (values, (gpointer) "status", g_strdup ("completed"));
  return update_with (call, db, values, error);
}

/* Actions */

gboolean
mira_api_action_update (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(GHashTable) values = parse_and_validate (call, db, FALSE, FALSE, error);
  const char *status;

  if (values == NULL)
    return FALSE;
  status = g_hash_table_lookup (values, "status");
  if (status != NULL)
    {
      gboolean finished = g_str_equal (status, "completed") || g_str_equal (status, "failed") ||
                          g_str_equal (status, "cancelled");

      g_hash_table_insert (values, (gpointer) "completed_at",
                           finished ? mira_timestamp_now () : NULL);
    }
  return update_with (call, db, values, error);
}
