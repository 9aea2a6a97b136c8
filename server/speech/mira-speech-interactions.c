/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-speech-interactions"

#include "mira-speech-interactions.h"

#include "mira-entity.h"
#include "mira-event.h"
#include "mira-extraction.h"
#include "mira-networks.h"
#include "mira-voice-persons.h"

/* The person whose voice @voice is, found or made; their event goes to
 * @events_out. @metadata gains the best similarity found.
 */
static JsonObject *
attribute_voice (MiraDb                    *db,
                 const char                *net_uuid,
                 const char                *network_id,
                 const MiraVoiceSignature  *voice,
                 JsonObject                *metadata,
                 GPtrArray                 *events_out,
                 GError                   **error)
{
  g_autoptr(JsonObject) person = NULL;
  MiraVoiceOutcome outcome;
  double similarity = -1;

  /* Two utterances at once must not both become a new Speaker N */
  if (!mira_entity_lock_network (db, net_uuid, error))
    return NULL;
  person = mira_voice_persons_match (db, net_uuid, network_id, voice, &outcome, &similarity,
                                     error);
  if (person == NULL)
    return NULL;
  if (events_out != NULL)
    g_ptr_array_add (events_out,
                     mira_event_new (outcome == MIRA_VOICE_NEW ? "person_created"
                                                               : "person_updated",
                                     network_id, "person", person));
  /* -1: the network knew no voice, and there was nothing to be similar to */
  if (similarity > -1)
    json_object_set_double_member (metadata, "voice_similarity", similarity);
  return g_steal_pointer (&person);
}

JsonObject *
mira_speech_interactions_create (MiraDb                    *db,
                                 const char                *network_id,
                                 const MiraInteractionNew  *interaction,
                                 const MiraVoiceSignature  *voice,
                                 gboolean                   extract,
                                 GPtrArray                 *events_out,
                                 GError                   **error)
{
  MiraInteractionNew attributed;
  g_autoptr(JsonObject) person = NULL;
  g_autoptr(JsonObject) metadata = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *net_uuid = NULL;
  gboolean by_voice;

  g_return_val_if_fail (db != NULL && network_id != NULL && interaction != NULL, NULL);

  attributed = *interaction;
  by_voice = voice != NULL && interaction->person_id == NULL;
  if (by_voice || extract)
    {
      net_uuid = mira_network_lookup_uuid (db, network_id, error);
      if (net_uuid == NULL)
        return NULL;
    }

  if (by_voice)
    {
      /* The caller's metadata stays as it was: a copy, with the similarity */
      metadata = json_object_new ();
      if (interaction->metadata != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *node;

          json_object_iter_init (&iter, interaction->metadata);
          while (json_object_iter_next (&iter, &name, &node))
            json_object_set_member (metadata, name, json_node_copy (node));
        }
      person = attribute_voice (db, net_uuid, network_id, voice, metadata, events_out, error);
      if (person == NULL)
        return NULL;
      attributed.person_id = json_object_get_string_member (person, "id");
      attributed.metadata = metadata;
    }

  object = mira_interactions_create (db, network_id, &attributed, events_out, error);
  if (object == NULL)
    return NULL;

  if (extract &&
      !mira_extraction_run_builtin (db, net_uuid, network_id, object, events_out, error))
    return NULL;
  return g_steal_pointer (&object);
}
