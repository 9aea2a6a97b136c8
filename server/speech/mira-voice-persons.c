/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-voice-persons"

#include "mira-voice-persons.h"

#include "mira-db.h"
#include "mira-entity.h"

static char *
format_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.6f", value));
}

gboolean
mira_voice_persons_threshold (MiraDb      *db,
                              const char  *net_uuid,
                              double      *threshold,
                              GError     **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (db != NULL && net_uuid != NULL && threshold != NULL, FALSE);

  *threshold = MIRA_VOICE_MATCH_THRESHOLD;
  res = mira_db_query (db, "SELECT setting_value FROM network_settings"
                           " WHERE network_id = $1 AND setting_key = 'voice_match_threshold'",
                       1, &net_uuid, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_n_rows (res) == 0)
    return TRUE;
  /* Checked when it was set: a number in 0..1 */
  node = json_from_string (mira_db_result_get (res, 0, 0), NULL);
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      (json_node_get_value_type (node) == G_TYPE_DOUBLE ||
       json_node_get_value_type (node) == G_TYPE_INT64))
    *threshold = CLAMP (json_node_get_double (node), 0.0, 1.0);
  return TRUE;
}

static gboolean
store_signature (MiraDb                   *db,
                 const char               *net_uuid,
                 const char               *person_id,
                 const MiraVoiceSignature *signature,
                 GError                  **error)
{
  g_autofree char *json = mira_voice_signature_to_json (signature);
  g_autofree char *seconds = format_double (signature->speech_s);
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "UPDATE persons SET voice_embedding = $3, voice_speech_s = $4"
                           " WHERE network_id = $1 AND id = $2",
                       4, (const char *[]) { net_uuid, person_id, json, seconds }, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_affected (res) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Person not found in network");
      return FALSE;
    }
  return TRUE;
}

/* Person @person_id's signature, or FALSE in @found when they have none
 * (or one of another method, which is as good as none).
 */
static gboolean
load_signature (MiraDb              *db,
                const char          *net_uuid,
                const char          *person_id,
                MiraVoiceSignature  *signature,
                gboolean            *found,
                GError             **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "SELECT voice_embedding, voice_speech_s FROM persons"
                           " WHERE network_id = $1 AND id = $2",
                       2, (const char *[]) { net_uuid, person_id }, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_n_rows (res) == 0)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, "Person not found in network");
      return FALSE;
    }
  *found = mira_voice_signature_from_json (mira_db_result_get (res, 0, 0),
                                           g_ascii_strtod (mira_db_result_get (res, 0, 1), NULL),
                                           signature);
  return TRUE;
}

JsonObject *
mira_voice_persons_match (MiraDb                    *db,
                          const char                *net_uuid,
                          const char                *network_id,
                          const MiraVoiceSignature  *signature,
                          MiraVoiceOutcome          *outcome,
                          double                    *similarity,
                          GError                   **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(GHashTable) values = NULL;
  MiraVoiceSignature best_signature;
  const char *best_id = NULL;
  double threshold, best = -1;
  gint64 start_us = g_get_monotonic_time ();
  JsonObject *person;

  g_return_val_if_fail (db != NULL && net_uuid != NULL && network_id != NULL, NULL);
  g_return_val_if_fail (signature != NULL && outcome != NULL, NULL);

  /* Two utterances of a new voice at once must not make two persons of it,
   * nor two persons with one index.
   */
  if (!mira_entity_lock_network (db, net_uuid, error) ||
      !mira_voice_persons_threshold (db, net_uuid, &threshold, error))
    return NULL;

  res = mira_db_query (db, "SELECT id, voice_embedding, voice_speech_s FROM persons"
                           " WHERE network_id = $1 AND voice_embedding IS NOT NULL"
                           " ORDER BY \"index\"", 1, &net_uuid, error);
  if (res == NULL)
    return NULL;
  for (guint i = 0; i < mira_db_result_n_rows (res); i++)
    {
      MiraVoiceSignature known;
      double sim;

      if (!mira_voice_signature_from_json (mira_db_result_get (res, i, 1),
                                           g_ascii_strtod (mira_db_result_get (res, i, 2), NULL),
                                           &known))
        continue;
      sim = mira_voice_signature_similarity (signature, &known);
      if (sim > best)
        {
          best = sim;
          best_id = mira_db_result_get (res, i, 0);
          best_signature = known;
        }
    }
  if (similarity != NULL)
    *similarity = best;

  if (best_id != NULL && best >= threshold)
    {
      mira_voice_signature_combine (&best_signature, signature);
      if (!store_signature (db, net_uuid, best_id, &best_signature, error))
        return NULL;
      *outcome = MIRA_VOICE_MATCHED;
      person = mira_entity_get (db, net_uuid, network_id, &mira_entity_person, best_id, error);
      g_debug ("voice matched a person (similarity %.2f) in %.1f ms", best,
               (g_get_monotonic_time () - start_us) / 1000.0);
      return person;
    }

  {
    g_autoptr(MiraDbResult) next = NULL;
    const char *index;

    next = mira_db_query (db, "SELECT COALESCE(MAX(\"index\"), 0) + 1 FROM persons"
                              " WHERE network_id = $1", 1, &net_uuid, error);
    if (next == NULL)
      return NULL;
    index = mira_db_result_get (next, 0, 0);
    values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
    g_hash_table_insert (values, (gpointer) "\"index\"", g_strdup (index));
    g_hash_table_insert (values, (gpointer) "name", g_strdup_printf ("Speaker %s", index));
    g_hash_table_insert (values, (gpointer) "voice_embedding",
                         mira_voice_signature_to_json (signature));
    g_hash_table_insert (values, (gpointer) "voice_speech_s", format_double (signature->speech_s));
  }
  *outcome = MIRA_VOICE_NEW;
  person = mira_entity_insert (db, net_uuid, network_id, &mira_entity_person, values, error);
  g_debug ("voice made a new person in %.1f ms", (g_get_monotonic_time () - start_us) / 1000.0);
  return person;
}

JsonObject *
mira_voice_persons_enrol (MiraDb                    *db,
                          const char                *net_uuid,
                          const char                *network_id,
                          const char                *person_id,
                          const MiraVoiceSignature  *signature,
                          GError                   **error)
{
  MiraVoiceSignature known;
  gboolean found = FALSE;

  g_return_val_if_fail (db != NULL && net_uuid != NULL && network_id != NULL, NULL);
  g_return_val_if_fail (person_id != NULL && signature != NULL, NULL);

  /* Read, combine, write back: two enrolments at once must not both start
   * from the same stored signature (PostgreSQL reads committed rows only).
   */
  if (!mira_entity_lock_network (db, net_uuid, error) ||
      !load_signature (db, net_uuid, person_id, &known, &found, error))
    return NULL;
  if (found)
    mira_voice_signature_combine (&known, signature);
  else
    known = *signature;
  if (!store_signature (db, net_uuid, person_id, &known, error))
    return NULL;
  return mira_entity_get (db, net_uuid, network_id, &mira_entity_person, person_id, error);
}

gboolean
mira_voice_persons_merge (MiraDb      *db,
                          const char  *net_uuid,
                          const char  *from_id,
                          const char  *into_id,
                          GError     **error)
{
  MiraVoiceSignature from, into;
  gboolean from_found = FALSE, into_found = FALSE;

  g_return_val_if_fail (db != NULL && net_uuid != NULL, FALSE);
  g_return_val_if_fail (from_id != NULL && into_id != NULL, FALSE);

  /* As in enrolment: no other write to either signature in between */
  if (!mira_entity_lock_network (db, net_uuid, error) ||
      !load_signature (db, net_uuid, from_id, &from, &from_found, error) ||
      !load_signature (db, net_uuid, into_id, &into, &into_found, error))
    return FALSE;
  if (!from_found)
    return TRUE;
  if (into_found)
    mira_voice_signature_combine (&into, &from);
  else
    into = from;
  return store_signature (db, net_uuid, into_id, &into, error);
}
