/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-data"

/* The connection's data for the dashboard's pages, without GTK, against a
 * real server: conversations, reminders, calendar events and persons fill
 * and follow another device's writes; the connection's own writes change
 * the server, and its refusals are clear errors; conversations are found
 * by their words; a transcript of 100,000 interactions is read in pages.
 */

#include <libsoup/soup.h>
#include <string.h>

#include "mira-connection.h"
#include "mira-core-private.h"
#include "mira-db.h"
#include "mira-test-connection.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"
#include "mira-transcript-model.h"

typedef MiraTestConnection Fixture;

#define wait_until mira_test_connection_wait_until

static JsonObject *
request_object (Fixture    *f,
                guint       status,
                const char *method,
                const char *path,
                const char *body)
{
  g_autofree char *full = g_strdup_printf ("/api/v1/%s/%s", f->network_id, path);
  g_autoptr(MiraTestResponse) response = mira_test_request (f->server, method, full,
                                                            f->network_token, body);

  if (status == 0 ? !SOUP_STATUS_IS_SUCCESSFUL (response->status) : response->status != status)
    g_error ("%s %s: %u %s", method, path, response->status, response->body);
  if (response->status == 204)
    return NULL;
  return json_object_ref (mira_test_response_object (response));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  mira_test_connection_set_up (f, "Home", "{\"device_type\":\"desktop\"}");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  mira_test_connection_tear_down (f);
}

static void
start (Fixture *f)
{
  mira_connection_start (f->conn);
  wait_until (f, mira_test_connection_is_online, NULL, "online");
}

/* The item of @id in @model, or NULL */
static gpointer
find (GListModel *model,
      const char *property,
      const char *id)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_autofree char *value = NULL;

      g_object_get (item, property, &value, NULL);
      if (g_strcmp0 (value, id) == 0)
        return item;   /* the model keeps it */
    }
  return NULL;
}

typedef struct {
  GListModel *model;
  const char *property;
  const char *id;
  const char *check;   /* a string property … */
  const char *value;   /* … and the value it must have, or NULL: just there */
} Wanted;

static gboolean
has_item (Fixture       *f,
          gconstpointer  data)
{
  const Wanted *wanted = data;
  GObject *item = find (wanted->model, wanted->property, wanted->id);
  g_autofree char *value = NULL;

  if (item == NULL || wanted->check == NULL)
    return item != NULL;
  g_object_get (item, wanted->check, &value, NULL);
  return g_strcmp0 (value, wanted->value) == 0;
}

static gboolean
lacks_item (Fixture       *f,
            gconstpointer  data)
{
  const Wanted *wanted = data;

  return find (wanted->model, wanted->property, wanted->id) == NULL;
}

static gboolean
time_zone_is (Fixture       *f,
              gconstpointer  data)
{
  return g_strcmp0 (mira_connection_get_time_zone (f->conn), data) == 0;
}

static gboolean
person_counted (Fixture       *f,
                gconstpointer  data)
{
  MiraPersonItem *person = find (mira_connection_get_persons (f->conn), "person-id", data);

  return person != NULL && mira_person_item_get_conversation_count (person) == 1 &&
         mira_person_item_get_last_heard (person) != NULL;
}

static gboolean
conversation_has_two (Fixture       *f,
                      gconstpointer  data)
{
  MiraConversationItem *conversation = find (mira_connection_get_conversations (f->conn),
                                             "conversation-id", data);

  return conversation != NULL && mira_conversation_item_get_interaction_count (conversation) == 2;
}

static gboolean
reminder_done (Fixture       *f,
               gconstpointer  data)
{
  return mira_reminder_item_get_is_done ((MiraReminderItem *) data);
}

/* Another device writes; the models follow without a request of their own */
static void
test_follow_other_device (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(JsonObject) interaction = NULL;
  g_autoptr(JsonObject) reminder = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) setting = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *conversation_id = NULL;
  const char *person_id, *reminder_id, *event_id;
  MiraConversationItem *conversation;
  MiraReminderItem *reminder_item;
  MiraEventItem *event_item;
  const char * const *attendees;
  Wanted wanted = { 0 };

  start (f);
  g_assert_cmpstr (mira_connection_get_time_zone (f->conn), ==, "UTC");
  g_assert_cmpuint (g_list_model_get_n_items (mira_connection_get_reminders (f->conn)), ==, 0);

  person = request_object (f, 201, "POST", "persons", "{\"name\":\"Alice\"}");
  person_id = json_object_get_string_member (person, "id");
  wanted = (Wanted) { mira_connection_get_persons (f->conn), "person-id", person_id,
                      "display-name", "Alice" };
  wait_until (f, has_item, &wanted, "the person is listed");

  body = g_strdup_printf ("{\"content\":\"the plumber comes on monday\",\"person_id\":\"%s\"}",
                          person_id);
  interaction = request_object (f, 201, "POST", "interactions", body);
  conversation_id = g_strdup (json_object_get_string_member (interaction, "conversation_id"));
  wanted = (Wanted) { mira_connection_get_conversations (f->conn), "conversation-id",
                      conversation_id, "participant-names", "Alice" };
  wait_until (f, has_item, &wanted, "the conversation is listed with its participant");
  conversation = find (mira_connection_get_conversations (f->conn), "conversation-id",
                       conversation_id);
  g_assert_true (mira_conversation_item_get_is_open (conversation));
  g_assert_cmpint (mira_conversation_item_get_interaction_count (conversation), ==, 1);
  g_assert_nonnull (mira_conversation_item_get_display_title (conversation));
  wait_until (f, person_counted, person_id, "the person was heard in one conversation");

  g_clear_pointer (&interaction, json_object_unref);
  interaction = request_object (f, 201, "POST", "interactions", "{\"content\":\"and again\"}");
  wait_until (f, conversation_has_two, conversation_id, "the conversation counts two");

  reminder = request_object (f, 201, "POST", "reminders",
                             "{\"title\":\"Call the dentist\",\"due_time\":\"2030-01-15T17:00:00Z\","
                             "\"priority\":\"high\",\"description\":\"about the crown\"}");
  reminder_id = json_object_get_string_member (reminder, "id");
  wanted = (Wanted) { mira_connection_get_reminders (f->conn), "reminder-id", reminder_id,
                      "title", "Call the dentist" };
  wait_until (f, has_item, &wanted, "the reminder is listed");
  reminder_item = find (mira_connection_get_reminders (f->conn), "reminder-id", reminder_id);
  g_assert_cmpint (mira_reminder_item_get_priority (reminder_item), ==,
                   MIRA_REMINDER_PRIORITY_HIGH);
  g_assert_cmpint (mira_reminder_item_get_status (reminder_item), ==,
                   MIRA_REMINDER_STATUS_PENDING);
  g_assert_cmpstr (mira_reminder_item_get_description (reminder_item), ==, "about the crown");
  {
    g_autoptr(GDateTime) due = g_date_time_new_utc (2030, 1, 15, 17, 0, 0);

    g_assert_true (g_date_time_equal (mira_reminder_item_get_due_time (reminder_item), due));
  }

  event = request_object (f, 201, "POST", "calendar/events",
                          "{\"title\":\"Dentist\",\"start_time\":\"2030-01-16T09:00:00Z\","
                          "\"end_time\":\"2030-01-16T09:30:00Z\",\"location\":\"Main Street 4\","
                          "\"attendees\":[\"Alice\",\"Bob\"]}");
  event_id = json_object_get_string_member (event, "id");
  wanted = (Wanted) { mira_connection_get_events (f->conn), "event-id", event_id,
                      "location", "Main Street 4" };
  wait_until (f, has_item, &wanted, "the event is listed");
  event_item = find (mira_connection_get_events (f->conn), "event-id", event_id);
  attendees = mira_event_item_get_attendees (event_item);
  g_assert_cmpuint (g_strv_length ((char **) attendees), ==, 2);
  g_assert_cmpstr (attendees[1], ==, "Bob");
  {
    g_autoptr(GDateTime) day = g_date_time_new_utc (2030, 1, 16, 0, 0, 0);
    g_autoptr(GDateTime) next = g_date_time_add_days (day, 1);
    g_autoptr(GDateTime) before = g_date_time_add_days (day, -1);

    g_assert_true (mira_event_item_overlaps (event_item, day, next));
    g_assert_false (mira_event_item_overlaps (event_item, before, day));
  }

  setting = request_object (f, 0, "PUT", "settings/timezone",
                            "{\"value\":\"Europe/Lisbon\",\"type\":\"string\"}");
  wait_until (f, time_zone_is, "Europe/Lisbon", "the time zone follows the setting");

  /* Changes and deletions follow too */
  path = g_strdup_printf ("reminders/%s/complete", reminder_id);
  g_clear_pointer (&setting, json_object_unref);
  setting = request_object (f, 200, "POST", path, "{}");
  wait_until (f, reminder_done, reminder_item, "the reminder is done");
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("calendar/events/%s", event_id);
  request_object (f, 204, "DELETE", path, NULL);
  wanted = (Wanted) { mira_connection_get_events (f->conn), "event-id", event_id };
  wait_until (f, lacks_item, &wanted, "the event is gone");
}

/* The connection's writes */

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
  GListModel *found;
} Written;

static void
written (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Written *w = user_data;

  w->ok = mira_connection_write_finish (MIRA_CONNECTION (source), result, &w->error);
  w->done = TRUE;
}

static gboolean
is_written (Fixture       *f,
            gconstpointer  data)
{
  return ((const Written *) data)->done;
}

static void
expect_ok (Fixture *f,
           Written *w)
{
  wait_until (f, is_written, w, "the write is answered");
  g_assert_no_error (w->error);
  g_assert_true (w->ok);
  *w = (Written) { 0 };
}

static void
expect_error (Fixture *f,
              Written *w,
              int      code,
              const char *words)
{
  wait_until (f, is_written, w, "the write is answered");
  g_assert_error (w->error, MIRA_CORE_ERROR, code);
  g_assert_false (w->ok);
  if (words != NULL && strstr (w->error->message, words) == NULL)
    g_error ("“%s” does not say “%s”", w->error->message, words);
  g_clear_error (&w->error);
  *w = (Written) { 0 };
}

/* The server's list of @resource, as a device other than the app sees it */
static JsonObject *
server_entity (Fixture    *f,
               const char *resource,
               const char *id)
{
  g_autofree char *path = g_strdup_printf ("%s/%s", resource, id);

  return request_object (f, 200, "GET", path, NULL);
}

static const char *
first_id (GListModel *model,
          const char *property)
{
  g_autoptr(GObject) item = g_list_model_get_item (model, 0);
  static char *id;

  g_assert_nonnull (item);
  g_free (id);
  g_object_get (item, property, &id, NULL);
  return id;
}

static gboolean
has_n (Fixture       *f,
       gconstpointer  data)
{
  const Wanted *wanted = data;

  return g_list_model_get_n_items (wanted->model) == GPOINTER_TO_UINT (wanted->id);
}

static void
test_writes (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GDateTime) due = g_date_time_new_utc (2031, 3, 2, 8, 15, 0);
  g_autoptr(GDateTime) end = g_date_time_add_hours (due, 2);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonObject) alice = NULL;
  g_autoptr(JsonObject) bob = NULL;
  g_autoptr(JsonObject) interaction = NULL;
  g_autofree char *reminder_id = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *body = NULL;
  g_autofree char *long_name = g_strnfill (300, 'x');
  const char * const attendees[] = { "Alice", NULL };
  const char *conversation_id;
  Written w = { 0 };
  Wanted wanted = { 0 };

  start (f);

  /* A reminder made here is the server's, and comes back through the socket */
  mira_connection_save_reminder_async (f->conn, NULL, " Water the plants ", "the big ones", due,
                                       MIRA_REMINDER_PRIORITY_URGENT, NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_reminders (f->conn), NULL, GUINT_TO_POINTER (1) };
  wait_until (f, has_n, &wanted, "the new reminder is listed");
  reminder_id = g_strdup (first_id (mira_connection_get_reminders (f->conn), "reminder-id"));
  object = server_entity (f, "reminders", reminder_id);
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, "Water the plants");
  g_assert_cmpstr (json_object_get_string_member (object, "priority"), ==, "urgent");
  g_assert_cmpstr (json_object_get_string_member (object, "due_time"), ==,
                   "2031-03-02T08:15:00.000Z");

  mira_connection_save_reminder_async (f->conn, reminder_id, "Water the plants", NULL, end,
                                       MIRA_REMINDER_PRIORITY_LOW, NULL, written, &w);
  expect_ok (f, &w);
  g_clear_pointer (&object, json_object_unref);
  object = server_entity (f, "reminders", reminder_id);
  g_assert_cmpstr (json_object_get_string_member (object, "priority"), ==, "low");
  g_assert_true (json_object_get_null_member (object, "description"));

  mira_connection_complete_reminder_async (f->conn, reminder_id, NULL, written, &w);
  expect_ok (f, &w);
  g_clear_pointer (&object, json_object_unref);
  object = server_entity (f, "reminders", reminder_id);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "completed");

  /* Refusals say why, and change nothing */
  mira_connection_save_reminder_async (f->conn, NULL, "   ", NULL, due,
                                       MIRA_REMINDER_PRIORITY_LOW, NULL, written, &w);
  expect_error (f, &w, MIRA_CORE_ERROR_INVALID, NULL);
  mira_connection_complete_reminder_async (f->conn, "00000000-0000-4000-8000-000000000000",
                                           NULL, written, &w);
  expect_error (f, &w, MIRA_CORE_ERROR_NOT_FOUND, "Reminder");

  mira_connection_delete_reminder_async (f->conn, reminder_id, NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_reminders (f->conn), NULL, GUINT_TO_POINTER (0) };
  wait_until (f, has_n, &wanted, "the reminder is gone");

  /* Events */
  mira_connection_save_event_async (f->conn, NULL, "Choir", end, due, NULL, NULL, NULL,
                                    written, &w);
  expect_error (f, &w, MIRA_CORE_ERROR_INVALID, NULL);
  mira_connection_save_event_async (f->conn, NULL, "Choir", due, end, "Church hall", attendees,
                                    NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_events (f->conn), NULL, GUINT_TO_POINTER (1) };
  wait_until (f, has_n, &wanted, "the new event is listed");
  event_id = g_strdup (first_id (mira_connection_get_events (f->conn), "event-id"));
  g_clear_pointer (&object, json_object_unref);
  object = server_entity (f, "calendar/events", event_id);
  g_assert_cmpstr (json_object_get_string_member (object, "location"), ==, "Church hall");
  g_assert_cmpstr (json_object_get_string_member (object, "end_time"), ==,
                   "2031-03-02T10:15:00.000Z");
  mira_connection_save_event_async (f->conn, event_id, "Choir practice", due, NULL, NULL, NULL,
                                    NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_events (f->conn), "event-id", event_id, "title",
                      "Choir practice" };
  wait_until (f, has_item, &wanted, "the event is renamed");
  mira_connection_delete_event_async (f->conn, event_id, NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_events (f->conn), NULL, GUINT_TO_POINTER (0) };
  wait_until (f, has_n, &wanted, "the event is gone");

  /* Persons: rename, merge, delete */
  alice = request_object (f, 201, "POST", "persons", "{}");
  bob = request_object (f, 201, "POST", "persons", "{\"name\":\"Bob\"}");
  body = g_strdup_printf ("{\"content\":\"hello\",\"person_id\":\"%s\"}",
                          json_object_get_string_member (bob, "id"));
  interaction = request_object (f, 201, "POST", "interactions", body);
  conversation_id = json_object_get_string_member (interaction, "conversation_id");
  wanted = (Wanted) { mira_connection_get_persons (f->conn), NULL, GUINT_TO_POINTER (2) };
  wait_until (f, has_n, &wanted, "both persons are listed");

  mira_connection_rename_person_async (f->conn, json_object_get_string_member (alice, "id"),
                                       long_name, NULL, written, &w);
  expect_error (f, &w, MIRA_CORE_ERROR_INVALID, "name");
  mira_connection_rename_person_async (f->conn, json_object_get_string_member (alice, "id"),
                                       "Alice", NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_persons (f->conn), "person-id",
                      json_object_get_string_member (alice, "id"), "display-name", "Alice" };
  wait_until (f, has_item, &wanted, "Alice is named");

  mira_connection_merge_persons_async (f->conn, json_object_get_string_member (alice, "id"),
                                       json_object_get_string_member (bob, "id"), NULL,
                                       written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_persons (f->conn), NULL, GUINT_TO_POINTER (1) };
  wait_until (f, has_n, &wanted, "Bob is merged into Alice");
  g_clear_pointer (&object, json_object_unref);
  object = server_entity (f, "interactions", json_object_get_string_member (interaction, "id"));
  g_assert_cmpstr (json_object_get_string_member (object, "person_id"), ==,
                   json_object_get_string_member (alice, "id"));

  mira_connection_delete_person_async (f->conn, json_object_get_string_member (alice, "id"),
                                       NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_persons (f->conn), NULL, GUINT_TO_POINTER (0) };
  wait_until (f, has_n, &wanted, "Alice is deleted");

  /* Conversations: close, then delete */
  mira_connection_close_conversation_async (f->conn, conversation_id, NULL, written, &w);
  expect_ok (f, &w);
  g_clear_pointer (&object, json_object_unref);
  object = server_entity (f, "conversations", conversation_id);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "closed");
  mira_connection_delete_conversation_async (f->conn, conversation_id, NULL, written, &w);
  expect_ok (f, &w);
  wanted = (Wanted) { mira_connection_get_conversations (f->conn), "conversation-id",
                      conversation_id };
  wait_until (f, lacks_item, &wanted, "the conversation is gone");
}

/* Search */

static void
found (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Written *w = user_data;

  w->found = mira_connection_search_conversations_finish (MIRA_CONNECTION (source), result,
                                                          &w->error);
  w->done = TRUE;
}

static GListModel *
search (Fixture    *f,
        const char *query)
{
  Written w = { 0 };

  mira_connection_search_conversations_async (f->conn, query, NULL, found, &w);
  wait_until (f, is_written, &w, "the search is answered");
  g_assert_no_error (w.error);
  return w.found;
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) closed = NULL;
  g_autoptr(JsonObject) titled = NULL;
  g_autoptr(GListModel) plumber = NULL;
  g_autoptr(GListModel) garden = NULL;
  g_autoptr(GListModel) nothing = NULL;
  g_autoptr(GListModel) by_title = NULL;
  g_autoptr(MiraConversationItem) item = NULL;
  g_autofree char *path = NULL;
  Wanted wanted = { 0 };

  start (f);
  first = request_object (f, 201, "POST", "interactions",
                          "{\"content\":\"the plumber comes on monday\"}");
  path = g_strdup_printf ("conversations/%s/close",
                          json_object_get_string_member (first, "conversation_id"));
  closed = request_object (f, 200, "POST", path, "{}");
  second = request_object (f, 201, "POST", "interactions",
                           "{\"content\":\"the garden needs water\"}");
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("conversations/%s",
                          json_object_get_string_member (second, "conversation_id"));
  titled = request_object (f, 200, "PUT", path, "{\"title\":\"Weekend Chores\"}");
  wanted = (Wanted) { mira_connection_get_conversations (f->conn), NULL, GUINT_TO_POINTER (2) };
  wait_until (f, has_n, &wanted, "both conversations are listed");

  plumber = search (f, "Plumber");
  g_assert_cmpuint (g_list_model_get_n_items (plumber), ==, 1);
  item = g_list_model_get_item (plumber, 0);
  g_assert_cmpstr (mira_conversation_item_get_conversation_id (item), ==,
                   json_object_get_string_member (first, "conversation_id"));
  /* The live item itself: it follows the socket */
  g_assert_true ((gpointer) item == find (mira_connection_get_conversations (f->conn),
                                          "conversation-id",
                                          mira_conversation_item_get_conversation_id (item)));
  garden = search (f, "garden water");
  g_assert_cmpuint (g_list_model_get_n_items (garden), ==, 1);
  by_title = search (f, "chores");
  g_assert_cmpuint (g_list_model_get_n_items (by_title), ==, 1);
  nothing = search (f, "saxophone");
  g_assert_cmpuint (g_list_model_get_n_items (nothing), ==, 0);
}

/* A transcript of 100,000 interactions */

#define N_BIG 100000

typedef struct {
  guint position;
  guint changes;
} Watch;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *watch)
{
  if (watch->position >= position && watch->position < position + added)
    watch->changes++;
}

static gboolean
transcript_loaded (Fixture       *f,
                   gconstpointer  data)
{
  return !mira_transcript_model_get_loading ((MiraTranscriptModel *) data);
}

static gboolean
watch_changed (Fixture       *f,
               gconstpointer  data)
{
  return ((const Watch *) data)->changes > 0;
}

static char *
content_at (GListModel *model,
            guint       position)
{
  g_autoptr(MiraInteractionItem) item = g_list_model_get_item (model, position);

  g_assert_nonnull (item);
  return g_strdup (mira_interaction_item_get_content (item));
}

/* The words at @position once its page is in; returns how long that took */
static gint64
read_at (Fixture    *f,
         GListModel *model,
         guint       position,
         char      **content)
{
  Watch watch = { position, 0 };
  gint64 start_us = g_get_monotonic_time ();
  g_autoptr(MiraInteractionItem) item = g_list_model_get_item (model, position);
  gulong handler;

  if (mira_interaction_item_get_interaction_id (item)[0] != '\0')
    {
      *content = g_strdup (mira_interaction_item_get_content (item));
      return 0;
    }
  handler = g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &watch);
  wait_until (f, watch_changed, &watch, "the page comes");
  g_signal_handler_disconnect (model, handler);
  *content = content_at (model, position);
  return g_get_monotonic_time () - start_us;
}

static gboolean
has_n_items (Fixture       *f,
             gconstpointer  data)
{
  const Wanted *wanted = data;

  return g_list_model_get_n_items (wanted->model) == GPOINTER_TO_UINT (wanted->id);
}

static void
test_transcript_pages (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) conversation = NULL;
  g_autoptr(JsonObject) said = NULL;
  g_autoptr(MiraTranscriptModel) transcript = NULL;
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;
  const char *conversation_id;
  GListModel *model;
  gint64 start_us, insert_us, open_us, worst_us = 0, total_us = 0;
  guint positions[] = { 0, 1, 99999, 50000, 50001, 12345, 77777, 99900, 99899, 3, 64000, 99 };
  Wanted wanted = { 0 };

  conversation = request_object (f, 201, "POST", "conversations", "{\"title\":\"Long day\"}");
  conversation_id = json_object_get_string_member (conversation, "id");

  /* Straight into the store, in one statement: interaction i said "words i" */
  start_us = g_get_monotonic_time ();
  db = mira_db_open (f->db_uri, &error);
  g_assert_no_error (error);
  res = mira_db_query (db,
                       "INSERT INTO interactions (id, network_id, conversation_id, text, timestamp)"
                       " WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                       " WHERE i < $3 - 1)"
                       " SELECT printf('%08x-0000-4000-8000-%012x', i, i),"
                       " (SELECT id FROM networks WHERE network_id = $1), $2, 'words ' || i,"
                       " strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds')"
                       " FROM n",
                       3, (const char *[]) { f->network_id, conversation_id, G_STRINGIFY (N_BIG) },
                       &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mira_db_result_affected (res), ==, N_BIG);
  insert_us = g_get_monotonic_time () - start_us;

  start (f);
  start_us = g_get_monotonic_time ();
  transcript = mira_transcript_model_new (f->conn, conversation_id);
  model = G_LIST_MODEL (transcript);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  wait_until (f, transcript_loaded, transcript, "the transcript's first page");
  open_us = g_get_monotonic_time () - start_us;
  g_assert_null (mira_transcript_model_get_error (transcript));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_BIG);
  g_assert_cmpuint (mira_transcript_model_get_n_pages_read (transcript), ==, 1);

  /* The newest page came with the length: oldest first, the newest last */
  text = content_at (model, N_BIG - 1);
  g_assert_cmpstr (text, ==, "words 99999");

  /* Any position, in any order, page by page */
  for (guint k = 0; k < G_N_ELEMENTS (positions); k++)
    {
      g_autofree char *content = NULL;
      g_autofree char *expected = g_strdup_printf ("words %u", positions[k]);
      gint64 took_us = read_at (f, model, positions[k], &content);

      g_assert_cmpstr (content, ==, expected);
      worst_us = MAX (worst_us, took_us);
      total_us += took_us;
    }
  /* A sweep through 40 pages holds no more than the bound */
  for (guint position = 20000; position < 20000 + 40 * MIRA_TRANSCRIPT_PAGE_SIZE;
       position += MIRA_TRANSCRIPT_PAGE_SIZE)
    {
      g_autofree char *content = NULL;
      g_autofree char *expected = g_strdup_printf ("words %u", position);

      read_at (f, model, position, &content);
      g_assert_cmpstr (content, ==, expected);
      g_assert_cmpuint (mira_transcript_model_get_n_pages_held (transcript), <=,
                        MIRA_TRANSCRIPT_MAX_PAGES);
    }
  g_assert_cmpuint (mira_transcript_model_get_n_pages_read (transcript), <=,
                    1 + G_N_ELEMENTS (positions) + 40);

  g_test_message ("100000 interactions: inserted in %.2f s; transcript open (first page) in "
                  "%.1f ms; a page on demand %.1f ms on average, %.1f ms at worst",
                  insert_us / 1e6, open_us / 1e3,
                  total_us / 1e3 / G_N_ELEMENTS (positions), worst_us / 1e3);

  /* New words in the conversation are appended */
  body = g_strdup_printf ("{\"content\":\"the very last words\",\"conversation_id\":\"%s\"}",
                          conversation_id);
  said = request_object (f, 201, "POST", "interactions", body);
  wanted = (Wanted) { model, NULL, GUINT_TO_POINTER (N_BIG + 1) };
  wait_until (f, has_n_items, &wanted, "the new words are appended");
  g_clear_pointer (&text, g_free);
  text = content_at (model, N_BIG);
  g_assert_cmpstr (text, ==, "the very last words");
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  mira_test_connection_wake_regularly ();

#define ADD(path, func) \
  g_test_add ("/data/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("follow-other-device", test_follow_other_device);
  ADD ("writes", test_writes);
  ADD ("search", test_search);
  ADD ("transcript-pages", test_transcript_pages);

  status = g_test_run ();
  mira_test_pg_stop ();
  return status;
}
