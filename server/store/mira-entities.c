/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entities"

/* The resources of the API as tables: JSON names, columns, types, rules,
 * filters and order. The engine in mira-entity.c does the rest.
 */

#include "mira-entity.h"

#define W MIRA_FIELD_WRITABLE
#define R MIRA_FIELD_REQUIRED
#define N MIRA_FIELD_NULLABLE
#define E MIRA_FIELD_NON_EMPTY

static const char * const connection_statuses[] = { "connected", "disconnected", "error", NULL };
static const char * const conversation_statuses[] = { "open", "closed", NULL };
static const char * const interaction_types[] = { "audio", "text", "system", NULL };
static const char * const priorities[] = { "low", "medium", "high", "urgent", NULL };
static const char * const reminder_statuses[] = { "pending", "completed", "cancelled", "overdue", NULL };
static const char * const action_statuses[] = {
  "pending", "processing", "completed", "failed", "cancelled", NULL
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Clients */

static const MiraField client_fields[] = {
  { "client_id", "client_id", NULL, MIRA_FIELD_STRING, 0 },
  { "device_type", "device_type", NULL, MIRA_FIELD_STRING, W | R | E, NULL, 50 },
  { "device_info", "device_info", NULL, MIRA_FIELD_OBJECT, W },
  { "capabilities", "capabilities", NULL, MIRA_FIELD_ARRAY, W },
  { "connection_status", "connection_status", NULL, MIRA_FIELD_STRING, 0, connection_statuses },
  { "last_seen", "last_seen", NULL, MIRA_FIELD_TIMESTAMP, N },
  { "audio_quality_score", "audio_quality_score", NULL, MIRA_FIELD_FLOAT, N },
  { "location", "location", NULL, MIRA_FIELD_OBJECT, W | N },
  { "rssi", "rssi", NULL, MIRA_FIELD_FLOAT, W | N },
};

static const MiraFilter client_filters[] = {
  { "status", MIRA_FIELD_STRING, "t.connection_status = $P", connection_statuses },
};

const MiraEntity mira_entity_client = {
  "client", "Client", "clients", "client_id", "client_id", FALSE,
  client_fields, N_ELEMENTS (client_fields),
  client_filters, N_ELEMENTS (client_filters),
  "t.created_at, t.client_id", NULL,
};

/* Persons */

static const MiraField person_fields[] = {
  { "name", "name", NULL, MIRA_FIELD_STRING, W | N | E, NULL, 255 },
  { "index", "\"index\"", NULL, MIRA_FIELD_INT, 0 },
  { "metadata", "metadata", NULL, MIRA_FIELD_OBJECT, W },
  { "has_voice_signature", NULL,
    "CASE WHEN t.voice_embedding IS NULL THEN 0 ELSE 1 END", MIRA_FIELD_BOOL, 0 },
  /* seconds of speech behind the signature: how much it has learnt */
  { "voice_speech_s", "voice_speech_s", NULL, MIRA_FIELD_FLOAT, 0 },
  { "conversation_count", NULL,
    "(SELECT count(DISTINCT i.conversation_id) FROM interactions i WHERE i.speaker_id = t.id)",
    MIRA_FIELD_INT, 0 },
  { "last_heard_at", NULL,
    "(SELECT max(i.timestamp) FROM interactions i WHERE i.speaker_id = t.id)",
    MIRA_FIELD_TIMESTAMP, N },
};

const MiraEntity mira_entity_person = {
  "person", "Person", "persons", "id", "id", TRUE,
  person_fields, N_ELEMENTS (person_fields),
  NULL, 0,
  "t.\"index\"", NULL,
};

/* Conversations */

static const MiraField conversation_fields[] = {
  { "title", "title", NULL, MIRA_FIELD_STRING, W | N | E, NULL, 255 },
  { "topic_summary", "topic_summary", NULL, MIRA_FIELD_STRING, W | N, NULL, 10000 },
  { "context_summary", "context_summary", NULL, MIRA_FIELD_STRING, W | N, NULL, 10000 },
  { "participants", "participant_ids", NULL, MIRA_FIELD_REF_ARRAY, W, NULL, 0,
    "persons", "person" },
  { "status", "status", NULL, MIRA_FIELD_STRING, 0, conversation_statuses },
  { "metadata", "metadata", NULL, MIRA_FIELD_OBJECT, W },
  { "interaction_count", NULL,
    "(SELECT count(*) FROM interactions i WHERE i.conversation_id = t.id)", MIRA_FIELD_INT, 0 },
  { "last_interaction_at", "last_interaction_at", NULL, MIRA_FIELD_TIMESTAMP, N },
  { "closed_at", "closed_at", NULL, MIRA_FIELD_TIMESTAMP, N },
};

static const MiraFilter conversation_filters[] = {
  { "status", MIRA_FIELD_STRING, "t.status = $P", conversation_statuses },
  { "person_id", MIRA_FIELD_REF,
    "EXISTS (SELECT 1 FROM interactions i WHERE i.conversation_id = t.id AND i.speaker_id = $P)" },
  { "q", MIRA_FIELD_STRING, NULL, NULL, "interactions",
    "t.id IN (SELECT s.conversation_id FROM interactions s"
    " WHERE s.network_id = t.network_id AND $M)", "title" },
};

const MiraEntity mira_entity_conversation = {
  "conversation", "Conversation", "conversations", "id", "id", TRUE,
  conversation_fields, N_ELEMENTS (conversation_fields),
  conversation_filters, N_ELEMENTS (conversation_filters),
  "COALESCE(t.last_interaction_at, t.created_at) DESC, t.id DESC", NULL,
};

/* Interactions */

static const MiraField interaction_fields[] = {
  { "content", "text", NULL, MIRA_FIELD_STRING, W | R | E, NULL, 100000 },
  { "interaction_type", "interaction_type", NULL, MIRA_FIELD_STRING, W, interaction_types },
  { "person_id", "speaker_id", NULL, MIRA_FIELD_REF, W | N, NULL, 0, "persons", "person" },
  { "conversation_id", "conversation_id", NULL, MIRA_FIELD_REF, W | N, NULL, 0,
    "conversations", "conversation" },
  { "client_id", "client_id", NULL, MIRA_FIELD_CLIENT_REF, W | N },
  { "timestamp", "timestamp", NULL, MIRA_FIELD_TIMESTAMP, W },
  { "audio_quality_score", "audio_quality_score", NULL, MIRA_FIELD_FLOAT, W | N },
  { "audio_duration", "audio_duration", NULL, MIRA_FIELD_FLOAT, W | N },
  { "metadata", "metadata", NULL, MIRA_FIELD_OBJECT, W },
};

static const MiraFilter interaction_filters[] = {
  { "person_id", MIRA_FIELD_REF, "t.speaker_id = $P" },
  { "conversation_id", MIRA_FIELD_REF, "t.conversation_id = $P" },
  { "client_id", MIRA_FIELD_CLIENT_REF,
    "t.client_id = (SELECT c.id FROM clients c WHERE c.network_id = t.network_id AND c.client_id = $P)" },
  { "since", MIRA_FIELD_TIMESTAMP, "t.timestamp >= $P" },
  { "until", MIRA_FIELD_TIMESTAMP, "t.timestamp <= $P" },
  { "interaction_type", MIRA_FIELD_STRING, "t.interaction_type = $P", interaction_types },
  { "q", MIRA_FIELD_STRING, NULL },
};

const MiraEntity mira_entity_interaction = {
  "interaction", "Interaction", "interactions", "id", "id", TRUE,
  interaction_fields, N_ELEMENTS (interaction_fields),
  interaction_filters, N_ELEMENTS (interaction_filters),
  "t.timestamp DESC, t.id DESC", "interaction_count",
};

/* Reminders */

static const MiraField reminder_fields[] = {
  { "title", "title", NULL, MIRA_FIELD_STRING, W | R | E, NULL, 255 },
  { "description", "description", NULL, MIRA_FIELD_STRING, W | N, NULL, 10000 },
  { "due_time", "due_time", NULL, MIRA_FIELD_TIMESTAMP, W | R },
  { "priority", "priority", NULL, MIRA_FIELD_STRING, W, priorities },
  { "status", "status", NULL, MIRA_FIELD_STRING, W, reminder_statuses },
  { "interaction_id", "interaction_id", NULL, MIRA_FIELD_REF, W | N, NULL, 0,
    "interactions", "interaction" },
  { "reminder_settings", "reminder_settings", NULL, MIRA_FIELD_OBJECT, W },
};

static const MiraFilter reminder_filters[] = {
  { "status", MIRA_FIELD_STRING, "t.status = $P", reminder_statuses },
  { "priority", MIRA_FIELD_STRING, "t.priority = $P", priorities },
  { "due_before", MIRA_FIELD_TIMESTAMP, "t.due_time < $P" },
  { "due_after", MIRA_FIELD_TIMESTAMP, "t.due_time > $P" },
};

const MiraEntity mira_entity_reminder = {
  "reminder", "Reminder", "reminders", "id", "id", TRUE,
  reminder_fields, N_ELEMENTS (reminder_fields),
  reminder_filters, N_ELEMENTS (reminder_filters),
  "t.due_time, t.id", NULL,
};

/* Calendar events */

static const MiraField calendar_event_fields[] = {
  { "title", "title", NULL, MIRA_FIELD_STRING, W | R | E, NULL, 255 },
  { "description", "description", NULL, MIRA_FIELD_STRING, W | N, NULL, 10000 },
  { "start_time", "start_time", NULL, MIRA_FIELD_TIMESTAMP, W | R },
  { "end_time", "end_time", NULL, MIRA_FIELD_TIMESTAMP, W | N },
  { "location", "location", NULL, MIRA_FIELD_STRING, W | N, NULL, 255 },
  { "attendees", "attendees", NULL, MIRA_FIELD_ARRAY, W },
  { "interaction_id", "interaction_id", NULL, MIRA_FIELD_REF, W | N, NULL, 0,
    "interactions", "interaction" },
  { "reminder_settings", "reminder_settings", NULL, MIRA_FIELD_OBJECT, W },
};

/* An event is in [start, end) when it overlaps it; one without an end is an instant. */
static const MiraFilter calendar_event_filters[] = {
  { "start", MIRA_FIELD_TIMESTAMP, "COALESCE(t.end_time, t.start_time) >= $P" },
  { "end", MIRA_FIELD_TIMESTAMP, "t.start_time < $P" },
};

const MiraEntity mira_entity_calendar_event = {
  "calendar_event", "Calendar event", "calendar_events", "id", "id", TRUE,
  calendar_event_fields, N_ELEMENTS (calendar_event_fields),
  calendar_event_filters, N_ELEMENTS (calendar_event_filters),
  "t.start_time, t.id", NULL,
};

/* Actions */

static const MiraField action_fields[] = {
  { "interaction_id", "interaction_id", NULL, MIRA_FIELD_REF, W | R, NULL, 0,
    "interactions", "interaction" },
  { "action_type", "action_type", NULL, MIRA_FIELD_STRING, W | R | E, NULL, 50 },
  { "action_data", "action_data", NULL, MIRA_FIELD_OBJECT, W | R },
  { "status", "status", NULL, MIRA_FIELD_STRING, W, action_statuses },
  { "result", "result", NULL, MIRA_FIELD_OBJECT, W | N },
  { "error_message", "error_message", NULL, MIRA_FIELD_STRING, W | N, NULL, 10000 },
  { "completed_at", "completed_at", NULL, MIRA_FIELD_TIMESTAMP, N },
};

static const MiraFilter action_filters[] = {
  { "status", MIRA_FIELD_STRING, "t.status = $P", action_statuses },
  { "action_type", MIRA_FIELD_STRING, "t.action_type = $P" },
  { "interaction_id", MIRA_FIELD_REF, "t.interaction_id = $P" },
};

const MiraEntity mira_entity_action = {
  "action", "Action", "actions", "id", "id", TRUE,
  action_fields, N_ELEMENTS (action_fields),
  action_filters, N_ELEMENTS (action_filters),
  "t.created_at DESC, t.id DESC", NULL,
};
