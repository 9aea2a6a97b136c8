/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-store"

/* Interactions and the conversations they make up. A conversation ends on
 * request, after the network's conversation_timeout_s without speech, at
 * the 60-minute cap, when every stream has stopped, and at shutdown; a
 * closed conversation gets a title and a topic summary drawn from what was
 * said.
 */

#include "mira-conversations.h"

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-event.h"
#include "mira-json.h"
#include "mira-networks.h"
#include "mira-util.h"

#define DEFAULT_TIMEOUT_S 90
#define MAX_LENGTH_S (60 * 60)
#define TITLE_WORDS 6
#define TOPIC_WORDS 5

static const char * const stopwords[] = {
  "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
  "because", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from", "get",
  "got", "had", "has", "have", "he", "her", "him", "his", "how", "i", "if", "in", "into", "is",
  "it", "its", "just", "let", "like", "me", "my", "no", "not", "now", "of", "oh", "ok", "okay",
  "on", "or", "our", "out", "please", "she", "so", "some", "that", "the", "their", "them",
  "then", "there", "they", "this", "to", "too", "up", "us", "was", "we", "well", "were", "what",
  "when", "where", "which", "who", "will", "with", "would", "yeah", "yes", "you", "your",
  NULL
};

static char *
make_title (const char *first)
{
  g_auto(GStrv) words = g_strsplit_set (first, " \t\n", -1);
  GString *title = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; words[i] != NULL && n < TITLE_WORDS; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (title->len > 0)
        g_string_append_c (title, ' ');
      g_string_append (title, words[i]);
      n++;
    }
  if (title->len > 0)
    {
      gunichar c = g_utf8_get_char (title->str);
      char buf[8];
      int len = g_unichar_to_utf8 (g_unichar_totitle (c), buf);

      g_string_erase (title, 0, g_utf8_next_char (title->str) - title->str);
      g_string_prepend_len (title, buf, len);
    }
  for (guint i = 0, seen = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0' && ++seen > TITLE_WORDS)
      {
        g_string_append (title, "…");
        break;
      }
  return g_string_free (title, FALSE);
}

typedef struct
{
  const char *word;
  guint       count;
  guint       first;
} WordCount;

static gint
compare_counts (gconstpointer a,
                gconstpointer b)
{
  const WordCount *x = a, *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->first < y->first ? -1 : x->first > y->first;
}

/* The words said most often, in order: a summary a person can skim. */
static char *
make_topics (MiraDbResult *texts)
{
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GArray) sorted = g_array_new (FALSE, FALSE, sizeof (WordCount));
  GString *summary = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint position = 0;

  for (guint r = 0; r < mira_db_result_n_rows (texts); r++)
    {
      g_autofree char *lower = g_utf8_strdown (mira_db_result_get (texts, r, 0), -1);
      const char *p = lower;

      while (*p != '\0')
        {
          const char *start;
          g_autofree char *word = NULL;
          WordCount *wc;

          while (*p != '\0' && !g_unichar_isalnum (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
          start = p;
          while (*p != '\0' && (g_unichar_isalnum (g_utf8_get_char (p)) || *p == '\''))
            p = g_utf8_next_char (p);
          if (p - start < 3)
            continue;
          word = g_strndup (start, p - start);
          if (g_strv_contains (stopwords, word))
            continue;
          wc = g_hash_table_lookup (counts, word);
          if (wc == NULL)
            {
              wc = g_new0 (WordCount, 1);
              wc->first = position;
              g_hash_table_insert (counts, g_steal_pointer (&word), wc);
            }
          wc->count++;
          position++;
        }
    }

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      WordCount wc = *(WordCount *) value;

      wc.word = key;
      g_array_append_val (sorted, wc);
    }
  g_array_sort (sorted, compare_counts);
  for (guint i = 0; i < sorted->len && i < TOPIC_WORDS; i++)
    g_string_append_printf (summary, "%s%s", i ? ", " : "",
                            g_array_index (sorted, WordCount, i).word);
  return g_string_free (summary, FALSE);
}

static void
emit (GPtrArray  *events_out,
      const char *type,
      const char *network_id,
      const char *member,
      JsonObject *payload)
{
  if (events_out != NULL)
    g_ptr_array_add (events_out, mira_event_new (type, network_id, member, payload));
}

/* The network's open conversation, started when there is none. */
static char *
open_conversation (MiraDb      *db,
                   const char  *net_uuid,
                   const char  *network_id,
                   GPtrArray   *events_out,
                   GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(JsonObject) conversation = NULL;

  res = mira_db_query (db, "SELECT id FROM conversations WHERE network_id = $1"
                           " AND status = 'open'"
                           " ORDER BY COALESCE(last_interaction_at, created_at) DESC LIMIT 1",
                       1, (const char *[]) { net_uuid }, error);
  if (res == NULL)
    return NULL;
  if (mira_db_result_n_rows (res) > 0)
    return g_strdup (mira_db_result_get (res, 0, 0));

  values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (values, (gpointer) "status", g_strdup ("open"));
  conversation = mira_entity_insert (db, net_uuid, network_id, &mira_entity_conversation, values,
                                     error);
  if (conversation == NULL)
    return NULL;
  emit (events_out, "conversation_started", network_id, "conversation", conversation);
  return g_strdup (json_object_get_string_member (conversation, "id"));
}

/* The conversation was spoken in at @timestamp, by @person_id if known. */
static gboolean
touch_conversation (MiraDb      *db,
                    const char  *net_uuid,
                    const char  *network_id,
                    const char  *conversation_id,
                    const char  *timestamp,
                    const char  *person_id,
                    GPtrArray   *events_out,
                    GError     **error)
{
  g_autoptr(JsonObject) conversation = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *participants = NULL;
  g_autofree char *now = mira_timestamp_now ();
  JsonArray *array;

  conversation = mira_entity_get (db, net_uuid, network_id, &mira_entity_conversation,
                                  conversation_id, error);
  if (conversation == NULL)
    return FALSE;

  array = json_object_get_array_member (conversation, "participants");
  if (person_id != NULL)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < json_array_get_length (array); i++)
        found |= g_strcmp0 (json_array_get_string_element (array, i), person_id) == 0;
      if (!found)
        json_array_add_string_element (array, person_id);
    }
  participants = mira_json_to_string (json_object_get_member (conversation, "participants"), FALSE);

  {
    const char *params[] = { net_uuid, conversation_id, timestamp, participants, now };

    res = mira_db_query (db, "UPDATE conversations SET participant_ids = $4, updated_at = $5,"
                             " last_interaction_at = CASE WHEN last_interaction_at IS NULL"
                             " OR last_interaction_at < $3 THEN $3 ELSE last_interaction_at END"
                             " WHERE network_id = $1 AND id = $2", 5, params, error);
    if (res == NULL)
      return FALSE;
    g_clear_pointer (&res, mira_db_result_free);
    res = mira_db_query (db, "UPDATE networks SET last_activity = $2 WHERE id = $1", 2,
                         (const char *[]) { net_uuid, now }, error);
    if (res == NULL)
      return FALSE;
  }

  g_clear_pointer (&conversation, json_object_unref);
  conversation = mira_entity_get (db, net_uuid, network_id, &mira_entity_conversation,
                                  conversation_id, error);
  if (conversation == NULL)
    return FALSE;
  emit (events_out, "conversation_updated", network_id, "conversation", conversation);
  return TRUE;
}

/* Stores the interaction of column @values (mira_entity_validate() of
 * mira_entity_interaction); @session_client is the client when the values
 * name none (see MiraInteractionNew).
 */
static JsonObject *
insert_interaction (MiraDb      *db,
                    const char  *net_uuid,
                    const char  *network_id,
                    GHashTable  *values,
                    const char  *session_client,
                    GPtrArray   *events_out,
                    GError     **error)
{
  g_autoptr(JsonObject) object = NULL;

  if (!mira_entity_lock_network (db, net_uuid, error))
    return NULL;

  if (!g_hash_table_contains (values, "timestamp"))
    g_hash_table_insert (values, (gpointer) "timestamp", mira_timestamp_now ());
  if (!g_hash_table_contains (values, "client_id") && session_client != NULL)
    {
      g_autoptr(MiraDbResult) res = NULL;

      res = mira_db_query (db, "SELECT id FROM clients WHERE network_id = $1 AND client_id = $2",
                           2, (const char *[]) { net_uuid, session_client }, error);
      if (res == NULL)
        return NULL;
      if (mira_db_result_n_rows (res) > 0)
        g_hash_table_insert (values, (gpointer) "client_id",
                             g_strdup (mira_db_result_get (res, 0, 0)));
    }
  if (g_hash_table_lookup (values, "conversation_id") == NULL)
    {
      char *conversation_id = open_conversation (db, net_uuid, network_id, events_out, error);

      if (conversation_id == NULL)
        return NULL;
      g_hash_table_insert (values, (gpointer) "conversation_id", conversation_id);
    }

  object = mira_entity_insert (db, net_uuid, network_id, &mira_entity_interaction, values, error);
  if (object == NULL)
    return NULL;
  if (!touch_conversation (db, net_uuid, network_id, g_hash_table_lookup (values, "conversation_id"),
                           g_hash_table_lookup (values, "timestamp"),
                           g_hash_table_lookup (values, "speaker_id"), events_out, error))
    return NULL;

  emit (events_out, "interaction_created", network_id, "interaction", object);
  return g_steal_pointer (&object);
}

JsonObject *
mira_interactions_create (MiraDb                    *db,
                          const char                *network_id,
                          const MiraInteractionNew  *interaction,
                          GPtrArray                 *events_out,
                          GError                   **error)
{
  g_autofree char *net_uuid = NULL;
  g_autoptr(JsonObject) input = json_object_new ();
  g_autoptr(GHashTable) values = NULL;

  g_return_val_if_fail (interaction != NULL, NULL);

  net_uuid = mira_network_lookup_uuid (db, network_id, error);
  if (net_uuid == NULL)
    return NULL;

  /* The entity engine's rules, the same whoever stores an interaction. */
  if (interaction->content != NULL)
    json_object_set_string_member (input, "content", interaction->content);
  if (interaction->interaction_type != NULL)
    json_object_set_string_member (input, "interaction_type", interaction->interaction_type);
  if (interaction->client_id != NULL)
    json_object_set_string_member (input, "client_id", interaction->client_id);
  if (interaction->person_id != NULL)
    json_object_set_string_member (input, "person_id", interaction->person_id);
  if (interaction->conversation_id != NULL)
    json_object_set_string_member (input, "conversation_id", interaction->conversation_id);
  if (interaction->timestamp != NULL)
    json_object_set_string_member (input, "timestamp", interaction->timestamp);
  if (!isnan (interaction->audio_quality_score))
    json_object_set_double_member (input, "audio_quality_score",
                                   interaction->audio_quality_score);
  if (!isnan (interaction->audio_duration_s))
    json_object_set_double_member (input, "audio_duration", interaction->audio_duration_s);
  if (interaction->metadata != NULL)
    json_object_set_object_member (input, "metadata", json_object_ref (interaction->metadata));

  values = mira_entity_validate (db, net_uuid, &mira_entity_interaction, input, TRUE, error);
  if (values == NULL)
    return NULL;
  return insert_interaction (db, net_uuid, network_id, values,
                             interaction->client_id == NULL ? interaction->session_client_id
                                                            : NULL,
                             events_out, error);
}

gboolean
mira_conversations_set_summary (MiraDb      *db,
                                const char  *net_uuid,
                                const char  *id,
                                const char  *title,
                                const char  *topic_summary,
                                const char  *was_title,
                                const char  *was_topic_summary,
                                JsonObject  *metadata,
                                gboolean    *changed,
                                GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *metadata_text = NULL;

  if (metadata != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), metadata);

      metadata_text = mira_json_to_string (node, FALSE);
    }
  res = mira_db_query (db, "UPDATE conversations SET title = $3, topic_summary = $4,"
                           " metadata = COALESCE($5, metadata), updated_at = $6"
                           " WHERE network_id = $1 AND id = $2"
                           " AND COALESCE(title, '') = COALESCE($7, '')"
                           " AND COALESCE(topic_summary, '') = COALESCE($8, '')",
                       8, (const char *[]) { net_uuid, id, title, topic_summary, metadata_text,
                                             now, was_title, was_topic_summary },
                       error);
  if (res == NULL)
    return FALSE;
  *changed = mira_db_result_affected (res) > 0;
  return TRUE;
}

JsonObject *
mira_conversations_close (MiraDb      *db,
                          const char  *net_uuid,
                          const char  *network_id,
                          const char  *id,
                          const char  *reason,
                          GPtrArray   *events_out,
                          GError     **error)
{
  g_autoptr(MiraDbResult) texts = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *title = NULL;
  g_autofree char *topics = NULL;
  g_autofree char *was_title = NULL;
  g_autofree char *was_topics = NULL;
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(JsonNode) context_node = NULL;
  g_autofree char *context_text = NULL;
  gboolean changed;

  /* Closing a closed conversation changes nothing. */
  object = mira_entity_get (db, net_uuid, network_id, &mira_entity_conversation, id, error);
  if (object == NULL || !g_str_equal (json_object_get_string_member (object, "status"), "open"))
    return g_steal_pointer (&object);
  was_title = g_strdup (json_object_get_string_member_with_default (object, "title", NULL));
  was_topics = g_strdup (json_object_get_string_member_with_default (object, "topic_summary",
                                                                     NULL));
  g_clear_pointer (&object, json_object_unref);

  json_object_set_string_member (context, "closed_because", reason);
  context_node = json_node_init_object (json_node_alloc (), context);
  context_text = mira_json_to_string (context_node, FALSE);
  res = mira_db_query (db, "UPDATE conversations SET status = 'closed', closed_at = $3,"
                           " updated_at = $3, metadata = $4"
                           " WHERE network_id = $1 AND id = $2 AND status = 'open'",
                       4, (const char *[]) { net_uuid, id, now, context_text }, error);
  if (res == NULL)
    return NULL;

  /* A title and a summary from what was said, where the conversation has
   * none of its own
   */
  if (mira_db_result_affected (res) > 0 && (was_title == NULL || was_topics == NULL))
    {
      texts = mira_db_query (db, "SELECT text FROM interactions WHERE network_id = $1"
                                 " AND conversation_id = $2 ORDER BY timestamp, id LIMIT 500",
                             2, (const char *[]) { net_uuid, id }, error);
      if (texts == NULL)
        return NULL;
      if (mira_db_result_n_rows (texts) > 0)
        {
          title = make_title (mira_db_result_get (texts, 0, 0));
          topics = make_topics (texts);
        }
      if (!mira_conversations_set_summary (db, net_uuid, id, was_title ? was_title : title,
                                           was_topics ? was_topics
                                                      : topics && *topics ? topics : NULL,
                                           was_title, was_topics, NULL, &changed, error))
        return NULL;
    }

  object = mira_entity_get (db, net_uuid, network_id, &mira_entity_conversation, id, error);
  if (object != NULL && mira_db_result_affected (res) > 0)
    emit (events_out, "conversation_closed", network_id, "conversation", object);
  return g_steal_pointer (&object);
}

gboolean
mira_conversations_close_open (MiraDb      *db,
                               const char  *network_id,
                               const char  *reason,
                               GPtrArray   *events_out,
                               GError     **error)
{
  g_autoptr(MiraDbResult) open = NULL;

  open = mira_db_query (db, "SELECT c.id, n.id FROM conversations c"
                            " JOIN networks n ON n.id = c.network_id"
                            " WHERE n.network_id = $1 AND c.status = 'open'",
                        1, (const char *[]) { network_id }, error);
  if (open == NULL)
    return FALSE;
  for (guint i = 0; i < mira_db_result_n_rows (open); i++)
    {
      g_autoptr(JsonObject) closed = NULL;

      closed = mira_conversations_close (db, mira_db_result_get (open, i, 1), network_id,
                                         mira_db_result_get (open, i, 0), reason, events_out,
                                         error);
      if (closed == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
mira_conversations_sweep (MiraDb     *db,
                          GPtrArray  *events_out,
                          GError    **error)
{
  g_autoptr(MiraDbResult) open = NULL;
  gint64 now = g_get_real_time () / 1000;

  open = mira_db_query (db, "SELECT c.id, n.id, n.network_id, c.created_at,"
                            " COALESCE(c.last_interaction_at, c.created_at), s.setting_value"
                            " FROM conversations c JOIN networks n ON n.id = c.network_id"
                            " LEFT JOIN network_settings s ON s.network_id = c.network_id"
                            " AND s.setting_key = 'conversation_timeout_s'"
                            " WHERE c.status = 'open'", 0, NULL, error);
  if (open == NULL)
    return FALSE;

  for (guint i = 0; i < mira_db_result_n_rows (open); i++)
    {
      const char *setting = mira_db_result_get (open, i, 5);
      double timeout_s = setting ? g_ascii_strtod (setting, NULL) : DEFAULT_TIMEOUT_S;
      gint64 created = mira_timestamp_to_unix_ms (mira_db_result_get (open, i, 3));
      gint64 last = mira_timestamp_to_unix_ms (mira_db_result_get (open, i, 4));
      const char *reason = NULL;
      g_autoptr(JsonObject) closed = NULL;

      if (timeout_s <= 0)
        timeout_s = DEFAULT_TIMEOUT_S;
      if (now - created >= (gint64) MAX_LENGTH_S * 1000)
        reason = "reached 60 minutes";
      else if (now - last >= (gint64) (timeout_s * 1000))
        reason = "no speech for conversation_timeout_s";
      if (reason == NULL)
        continue;

      closed = mira_conversations_close (db, mira_db_result_get (open, i, 1),
                                         mira_db_result_get (open, i, 2),
                                         mira_db_result_get (open, i, 0), reason, events_out,
                                         error);
      if (closed == NULL)
        return FALSE;
    }
  return TRUE;
}
