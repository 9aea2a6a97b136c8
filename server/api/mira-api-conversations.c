/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* How conversations end: on request, after the network's
 * conversation_timeout_s without speech, at the 60-minute cap, when every
 * stream has stopped, and at shutdown. A closed conversation gets a title
 * and a topic summary drawn from what was said.
 */

#include "mira-api.h"

#include <string.h>

#include "mira-db.h"
#include "mira-entity.h"
#include "mira-error.h"
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

/* Closes one open conversation of the call's network and emits conversation_closed. */
static JsonObject *
close_conversation (MiraApiCall  *call,
                    MiraDb       *db,
                    const char   *id,
                    const char   *reason,
                    GError      **error)
{
  g_autoptr(MiraDbResult) texts = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *title = NULL;
  g_autofree char *topics = NULL;
  g_autofree char *context = NULL;
  JsonObject *object;

  texts = mira_db_query (db, "SELECT text FROM interactions WHERE network_id = $1"
                             " AND conversation_id = $2 ORDER BY timestamp, id LIMIT 500",
                         2, (const char *[]) { call->net_uuid, id }, error);
  if (texts == NULL)
    return NULL;
  if (mira_db_result_n_rows (texts) > 0)
    {
      title = make_title (mira_db_result_get (texts, 0, 0));
      topics = make_topics (texts);
    }
  context = g_strdup_printf ("{\"closed_because\":\"%s\"}", reason);

  res = mira_db_query (db, "UPDATE conversations SET status = 'closed', closed_at = $3,"
                           " updated_at = $3, title = COALESCE(title, $4),"
                           " topic_summary = COALESCE(topic_summary, $5),"
                           " metadata = $6"
                           " WHERE network_id = $1 AND id = $2 AND status = 'open'",
                       6, (const char *[]) { call->net_uuid, id, now, title,
                                             topics && *topics ? topics : NULL, context },
                       error);
  if (res == NULL)
    return NULL;
  object = mira_entity_get (db, call->net_uuid, call->network_id, &mira_entity_conversation, id,
                            error);
  if (object != NULL && mira_db_result_affected (res) > 0)
    mira_api_call_emit (call, "conversation_closed", "conversation", object);
  return object;
}

gboolean
mira_api_conversation_close (MiraApiCall  *call,
                             MiraDb       *db,
                             GError      **error)
{
  g_autoptr(JsonObject) object = NULL;

  /* Closing a closed conversation changes nothing. */
  object = mira_entity_get (db, call->net_uuid, call->network_id, &mira_entity_conversation,
                            mira_api_call_arg (call, 1), error);
  if (object == NULL)
    {
      if (g_error_matches (*error, MIRA_ERROR, MIRA_ERROR_NOT_FOUND))
        call->error_code = g_strdup ("CONVERSATION_NOT_FOUND");
      return FALSE;
    }
  if (g_str_equal (json_object_get_string_member (object, "status"), "open"))
    {
      g_autofree char *id = g_strdup (json_object_get_string_member (object, "id"));

      g_clear_pointer (&object, json_object_unref);
      object = close_conversation (call, db, id, "closed on request", error);
      if (object == NULL)
        return FALSE;
    }
  mira_api_call_respond_object (call, 200, g_steal_pointer (&object));
  return TRUE;
}

/* Internal: every open conversation of the network (its streams all stopped, or shutdown). */
gboolean
mira_api_conversations_close_open (MiraApiCall  *call,
                                   MiraDb       *db,
                                   GError      **error)
{
  const char *reason = call->query ? g_hash_table_lookup (call->query, "reason") : NULL;
  g_autoptr(MiraDbResult) open = NULL;

  open = mira_db_query (db, "SELECT id FROM conversations WHERE network_id = $1"
                            " AND status = 'open'", 1, (const char *[]) { call->net_uuid },
                        error);
  if (open == NULL)
    return FALSE;
  for (guint i = 0; i < mira_db_result_n_rows (open); i++)
    {
      g_autoptr(JsonObject) closed = close_conversation (call, db, mira_db_result_get (open, i, 0),
                                                         reason ? reason : "every stream stopped",
                                                         error);
      if (closed == NULL)
        return FALSE;
    }
  call->status = 204;
  return TRUE;
}

/* Internal, every few seconds: conversations past their network's timeout
 * without speech, or past the length cap, close.
 */
gboolean
mira_api_conversations_sweep (MiraApiCall  *call,
                              MiraDb       *db,
                              GError      **error)
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

      g_free (call->net_uuid);
      call->net_uuid = g_strdup (mira_db_result_get (open, i, 1));
      g_free (call->network_id);
      call->network_id = g_strdup (mira_db_result_get (open, i, 2));
      closed = close_conversation (call, db, mira_db_result_get (open, i, 0), reason, error);
      if (closed == NULL)
        return FALSE;
    }
  call->status = 204;
  return TRUE;
}
