/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-llm-jobs"

#include "mira-llm-jobs.h"

#include "mira-conversations.h"
#include "mira-db.h"
#include "mira-entity.h"
#include "mira-extraction.h"
#include "mira-extractor.h"
#include "mira-json.h"
#include "mira-util.h"

/* What of a conversation the model reads: its first lines, up to this many
 * characters
 */
#define MAX_TRANSCRIPT_LINES 500
#define MAX_TRANSCRIPT_CHARS 32000

struct _MiraLlmJobs
{
  MiraStore          *store;
  MiraEventBus       *bus;
  MiraLlm            *llm;
  MiraLlmJobsPublish  publish;
  gpointer            publish_data;
  guint               subscription;
  GCancellable       *cancellable;
  guint               n_jobs;
  gboolean            stopped;
};

static void
publish_all (MiraLlmJobs *self,
             const char  *network_id,
             GPtrArray   *events)
{
  for (guint i = 0; i < events->len; i++)
    self->publish (network_id, json_object_ref (g_ptr_array_index (events, i)),
                   self->publish_data);
}

/* The network's row id, or NULL with NOT_FOUND: it was deleted meanwhile. */
static char *
network_uuid (MiraDb      *db,
              const char  *network_id,
              GError     **error)
{
  g_autoptr(MiraDbResult) res = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1",
                                               1, &network_id, error);

  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Network not found");
      return NULL;
    }
  return g_strdup (mira_db_result_get (res, 0, 0));
}

/* Extraction of one interaction */

typedef struct {
  MiraLlmJobs *jobs;
  char        *network_id;
  JsonObject  *interaction;
  char        *net_uuid;
  GTimeZone   *zone;
  GPtrArray   *actions;     /* of MiraAction */
  const char  *extractor;
  GPtrArray   *events;      /* of JsonObject */
} ExtractJob;

static void
extract_job_finish (ExtractJob *job)
{
  job->jobs->n_jobs--;
  g_free (job->network_id);
  json_object_unref (job->interaction);
  g_free (job->net_uuid);
  g_clear_pointer (&job->zone, g_time_zone_unref);
  g_clear_pointer (&job->actions, g_ptr_array_unref);
  g_ptr_array_unref (job->events);
  g_free (job);
}

/* On a store worker: the network and its time zone */
static gpointer
extract_prepare (MiraDb    *db,
                 gpointer   data,
                 GError   **error)
{
  ExtractJob *job = data;

  job->net_uuid = network_uuid (db, job->network_id, error);
  if (job->net_uuid == NULL)
    return NULL;
  job->zone = mira_entity_time_zone (db, job->net_uuid, error);
  return job->zone != NULL ? job : NULL;
}

/* On a store worker: the actions stored, unless the interaction is gone */
static gpointer
extract_store (MiraDb    *db,
               gpointer   data,
               GError   **error)
{
  ExtractJob *job = data;
  g_autoptr(JsonObject) current = NULL;
  g_autoptr(GError) missing = NULL;

  if (!mira_db_begin (db, error))
    return NULL;
  if (!mira_entity_lock_network (db, job->net_uuid, error))
    goto failed;
  current = mira_entity_get (db, job->net_uuid, job->network_id, &mira_entity_interaction,
                             json_object_get_string_member (job->interaction, "id"), &missing);
  if (current == NULL && !g_error_matches (missing, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&missing));
      goto failed;
    }
  if (current != NULL)
    {
      g_autoptr(MiraDbResult) found = NULL;

      /* Actions made where the interaction was made (the built-in extractor
       * of a path that did not leave it to the model) are not made twice.
       */
      found = mira_db_query (db, "SELECT 1 FROM actions WHERE network_id = $1"
                                 " AND interaction_id = $2 LIMIT 1",
                             2, (const char *[]) { job->net_uuid,
                                                   json_object_get_string_member (current, "id") },
                             error);
      if (found == NULL)
        goto failed;
      if (mira_db_result_n_rows (found) > 0)
        g_message ("Interaction %s has its actions already; the %s extractor's are not added",
                   json_object_get_string_member (current, "id"), job->extractor);
      else if (!mira_extraction_store (db, job->net_uuid, job->network_id, current, job->actions,
                                       job->extractor, job->events, error))
        goto failed;
    }
  if (!mira_db_commit (db, error))
    goto failed;
  return job;

failed:
  mira_db_rollback (db);
  g_ptr_array_set_size (job->events, 0);
  return NULL;
}

static void
extract_stored (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExtractJob *job = user_data;
  g_autoptr(GError) error = NULL;

  mira_store_run_finish (job->jobs->store, result, &error);
  if (error != NULL)
    g_warning ("Actions of interaction %s not stored: %s",
               json_object_get_string_member (job->interaction, "id"), error->message);
  else
    publish_all (job->jobs, job->network_id, job->events);
  extract_job_finish (job);
}

static void
store_actions (ExtractJob *job)
{
  if (job->actions->len == 0)
    {
      extract_job_finish (job);
      return;
    }
  mira_store_run_async (job->jobs->store, extract_store, job, NULL, NULL, NULL, extract_stored,
                        job);
}

static void
extracted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ExtractJob *job = user_data;
  g_autoptr(GError) error = NULL;

  job->actions = mira_llm_extract_finish (MIRA_LLM (source), result, &error);
  job->extractor = "llm";
  if (job->actions == NULL)
    {
      g_autoptr(GDateTime) said_at = NULL;

      g_message ("The language model did not read interaction %s, the built-in extractor "
                 "did: %s", json_object_get_string_member (job->interaction, "id"),
                 error->message);
      said_at = g_date_time_new_from_unix_utc (mira_timestamp_to_unix_ms (
        json_object_get_string_member (job->interaction, "timestamp")) / 1000);
      job->actions = mira_extractor_find (json_object_get_string_member (job->interaction,
                                                                         "content"),
                                          said_at, job->zone);
      job->extractor = "builtin";
    }
  store_actions (job);
}

static void
extract_prepared (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ExtractJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) said_at = NULL;

  if (mira_store_run_finish (job->jobs->store, result, &error) == NULL)
    {
      if (!g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND))
        g_warning ("Interaction %s not read for actions: %s",
                   json_object_get_string_member (job->interaction, "id"), error->message);
      extract_job_finish (job);
      return;
    }
  said_at = g_date_time_new_from_unix_utc (mira_timestamp_to_unix_ms (
    json_object_get_string_member (job->interaction, "timestamp")) / 1000);
  if (job->jobs->stopped)
    {
      /* Shutting down: no time to ask the model */
      job->actions = mira_extractor_find (json_object_get_string_member (job->interaction,
                                                                         "content"),
                                          said_at, job->zone);
      job->extractor = "builtin";
      store_actions (job);
      return;
    }
  mira_llm_extract_async (job->jobs->llm,
                          json_object_get_string_member (job->interaction, "content"), said_at,
                          job->zone, job->jobs->cancellable, extracted, job);
}

static void
extract_interaction (MiraLlmJobs *self,
                     const char  *network_id,
                     JsonObject  *interaction)
{
  ExtractJob *job;

  if (mira_timestamp_to_unix_ms (json_object_get_string_member_with_default (interaction,
                                                                             "timestamp", ""))
        == G_MININT64 ||
      json_object_get_string_member_with_default (interaction, "content", NULL) == NULL)
    return;
  job = g_new0 (ExtractJob, 1);
  job->jobs = self;
  job->network_id = g_strdup (network_id);
  job->interaction = json_object_ref (interaction);
  job->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->n_jobs++;
  mira_store_run_async (self->store, extract_prepare, job, NULL, NULL, NULL, extract_prepared,
                        job);
}

/* Summary of one closed conversation */

typedef struct {
  MiraLlmJobs *jobs;
  char        *network_id;
  JsonObject  *conversation;   /* as it was closed */
  char        *net_uuid;
  char        *transcript;
  char        *title;
  char        *summary;
  GPtrArray   *events;
} SummaryJob;

static void
summary_job_finish (SummaryJob *job)
{
  job->jobs->n_jobs--;
  g_free (job->network_id);
  json_object_unref (job->conversation);
  g_free (job->net_uuid);
  g_free (job->transcript);
  g_free (job->title);
  g_free (job->summary);
  g_ptr_array_unref (job->events);
  g_free (job);
}

/* On a store worker: "Name: words" a line, the speaker's name or "Speaker N" */
static gpointer
summary_read (MiraDb    *db,
              gpointer   data,
              GError   **error)
{
  SummaryJob *job = data;
  g_autoptr(MiraDbResult) res = NULL;
  GString *transcript;

  job->net_uuid = network_uuid (db, job->network_id, error);
  if (job->net_uuid == NULL)
    return NULL;
  res = mira_db_query (db, "SELECT i.text, p.name, p.\"index\" FROM interactions i"
                           " LEFT JOIN persons p ON p.id = i.speaker_id"
                           " WHERE i.network_id = $1 AND i.conversation_id = $2"
                           " ORDER BY i.timestamp, i.id LIMIT " G_STRINGIFY (MAX_TRANSCRIPT_LINES),
                       2, (const char *[]) { job->net_uuid,
                                             json_object_get_string_member (job->conversation,
                                                                            "id") },
                       error);
  if (res == NULL)
    return NULL;
  transcript = g_string_new (NULL);
  for (guint r = 0; r < mira_db_result_n_rows (res) && transcript->len < MAX_TRANSCRIPT_CHARS;
       r++)
    {
      const char *name = mira_db_result_get (res, r, 1);
      const char *index = mira_db_result_get (res, r, 2);

      if (name != NULL)
        g_string_append_printf (transcript, "%s: ", name);
      else if (index != NULL)
        g_string_append_printf (transcript, "Speaker %s: ", index);
      else
        g_string_append (transcript, "Someone: ");
      g_string_append (transcript, mira_db_result_get (res, r, 0));
      g_string_append_c (transcript, '\n');
    }
  job->transcript = g_string_free (transcript, FALSE);
  return job;
}

/* On a store worker: the model's title and summary, where the built-in ones
 * are still those it was closed with
 */
static gpointer
summary_store (MiraDb    *db,
               gpointer   data,
               GError   **error)
{
  SummaryJob *job = data;
  const char *id = json_object_get_string_member (job->conversation, "id");
  const char *old_title = json_object_get_string_member_with_default (job->conversation, "title",
                                                                      NULL);
  const char *old_topic = json_object_get_string_member_with_default (job->conversation,
                                                                      "topic_summary", NULL);
  JsonObject *was = json_object_get_object_member (job->conversation, "metadata");
  g_autoptr(JsonObject) metadata = json_object_new ();
  g_autofree char *now = mira_timestamp_now ();
  gboolean changed;
  JsonObject *row;

  if (was != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (was);

      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (metadata, l->data,
                                json_node_copy (json_object_get_member (was, l->data)));
    }
  json_object_set_string_member (metadata, "summary_by", "llm");

  if (!mira_conversations_set_summary (db, job->net_uuid, id, job->title, job->summary, old_title,
                                       old_topic, metadata, &changed, error))
    return NULL;
  if (!changed)
    return job;
  row = mira_entity_get (db, job->net_uuid, job->network_id, &mira_entity_conversation, id,
                         error);
  if (row == NULL)
    return NULL;
  {
    JsonObject *event = json_object_new ();

    json_object_set_string_member (event, "type", "conversation_updated");
    json_object_set_string_member (event, "network_id", job->network_id);
    json_object_set_string_member (event, "timestamp", now);
    json_object_set_object_member (event, "conversation", row);
    g_ptr_array_add (job->events, event);
  }
  return job;
}

static void
summary_stored (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SummaryJob *job = user_data;
  g_autoptr(GError) error = NULL;

  mira_store_run_finish (job->jobs->store, result, &error);
  if (error != NULL)
    g_warning ("Summary of conversation %s not stored: %s",
               json_object_get_string_member (job->conversation, "id"), error->message);
  else
    publish_all (job->jobs, job->network_id, job->events);
  summary_job_finish (job);
}

static void
summarized (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SummaryJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!mira_llm_summarize_finish (MIRA_LLM (source), result, &job->title, &job->summary, &error))
    {
      g_message ("The language model did not summarise conversation %s; its built-in title "
                 "and summary stay: %s", json_object_get_string_member (job->conversation, "id"),
                 error->message);
      summary_job_finish (job);
      return;
    }
  mira_store_run_async (job->jobs->store, summary_store, job, NULL, NULL, NULL, summary_stored,
                        job);
}

static void
summary_read_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SummaryJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (mira_store_run_finish (job->jobs->store, result, &error) == NULL ||
      job->transcript[0] == '\0' || job->jobs->stopped)
    {
      if (error != NULL && !g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND))
        g_warning ("Conversation %s not read for its summary: %s",
                   json_object_get_string_member (job->conversation, "id"), error->message);
      summary_job_finish (job);
      return;
    }
  mira_llm_summarize_async (job->jobs->llm, job->transcript, job->jobs->cancellable, summarized,
                            job);
}

static void
summarize_conversation (MiraLlmJobs *self,
                        const char  *network_id,
                        JsonObject  *conversation)
{
  SummaryJob *job;

  if (json_object_get_string_member_with_default (conversation, "id", NULL) == NULL)
    return;
  job = g_new0 (SummaryJob, 1);
  job->jobs = self;
  job->network_id = g_strdup (network_id);
  job->conversation = json_object_ref (conversation);
  job->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->n_jobs++;
  mira_store_run_async (self->store, summary_read, job, NULL, NULL, NULL, summary_read_done, job);
}

static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  MiraLlmJobs *self = user_data;
  const char *type = json_object_get_string_member_with_default (event, "type", "");
  JsonNode *member;

  if (network_id == NULL)
    return;
  if (g_str_equal (type, "interaction_created") &&
      (member = json_object_get_member (event, "interaction")) != NULL &&
      JSON_NODE_HOLDS_OBJECT (member))
    extract_interaction (self, network_id, json_node_get_object (member));
  else if (g_str_equal (type, "conversation_closed") && !self->stopped &&
           (member = json_object_get_member (event, "conversation")) != NULL &&
           JSON_NODE_HOLDS_OBJECT (member))
    summarize_conversation (self, network_id, json_node_get_object (member));
}

MiraLlmJobs *
mira_llm_jobs_new (MiraStore          *store,
                   MiraEventBus       *bus,
                   MiraLlm            *llm,
                   MiraLlmJobsPublish  publish,
                   gpointer            publish_data)
{
  MiraLlmJobs *self;

  g_return_val_if_fail (store != NULL && bus != NULL && publish != NULL, NULL);
  g_return_val_if_fail (MIRA_IS_LLM (llm), NULL);

  self = g_new0 (MiraLlmJobs, 1);
  self->store = store;
  self->bus = bus;
  self->llm = g_object_ref (llm);
  self->publish = publish;
  self->publish_data = publish_data;
  self->cancellable = g_cancellable_new ();
  self->subscription = mira_event_bus_subscribe (bus, NULL, on_event, self);
  return self;
}

void
mira_llm_jobs_stop (MiraLlmJobs *self)
{
  g_return_if_fail (self != NULL);

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
}

gboolean
mira_llm_jobs_is_idle (MiraLlmJobs *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->n_jobs == 0;
}

void
mira_llm_jobs_free (MiraLlmJobs *self)
{
  if (self == NULL)
    return;
  g_assert (self->n_jobs == 0);
  mira_event_bus_unsubscribe (self->bus, self->subscription);
  g_object_unref (self->cancellable);
  g_object_unref (self->llm);
  g_free (self);
}
