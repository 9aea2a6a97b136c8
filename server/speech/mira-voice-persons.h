/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"
#include "mira-voice-signature.h"

G_BEGIN_DECLS

/* Persons by voice: each network's persons carry a voice signature
 * (persons.voice_embedding) and the seconds of speech behind it
 * (persons.voice_speech_s). These run on a store worker, inside the
 * caller's transaction; @net_uuid is networks.id, @network_id the public
 * net_… id the returned JSON shows. They return persons as the API shows
 * them; the caller publishes the events.
 */

/* The default of the network setting voice_match_threshold: the cosine
 * similarity a voice needs to be taken for a known person.
 */
#define MIRA_VOICE_MATCH_THRESHOLD  0.3

typedef enum {
  MIRA_VOICE_MATCHED,   /* a known person: their signature took the new speech in */
  MIRA_VOICE_NEW,       /* nobody close enough: a new person "Speaker N" */
} MiraVoiceOutcome;

/* The network's voice_match_threshold setting, or the default. */
gboolean     mira_voice_persons_threshold (MiraDb                    *db,
                                           const char                *net_uuid,
                                           double                    *threshold,
                                           GError                   **error);

/* Whose voice @signature is: the person of the network whose signature is
 * the most similar by cosine, when it reaches the network's threshold (then
 * @signature is added into theirs, weighted by seconds of speech), else a
 * new person "Speaker N" with the next per-network index and @signature as
 * theirs. Sets @outcome; @similarity (may be NULL) gets the best cosine
 * found (-1 without any signature in the network). Returns the person.
 */
JsonObject  *mira_voice_persons_match     (MiraDb                    *db,
                                           const char                *net_uuid,
                                           const char                *network_id,
                                           const MiraVoiceSignature  *signature,
                                           MiraVoiceOutcome          *outcome,
                                           double                    *similarity,
                                           GError                   **error);

/* Adds @signature into the signature of person @person_id (it becomes it
 * when they have none), under the network's lock (mira_entity_lock_network())
 * so that enrolments at once all count. MIRA_DB_ERROR_NOT_FOUND when there is
 * no such person in the network. Returns the person.
 */
JsonObject  *mira_voice_persons_enrol     (MiraDb                    *db,
                                           const char                *net_uuid,
                                           const char                *network_id,
                                           const char                *person_id,
                                           const MiraVoiceSignature  *signature,
                                           GError                   **error);

/* Before person @from_id is merged into @into_id: @into_id's signature
 * becomes the two combined, weighted by their seconds of speech (or
 * @from_id's alone when @into_id has none). Takes the network's lock
 * (mira_entity_lock_network()).
 */
gboolean     mira_voice_persons_merge     (MiraDb                    *db,
                                           const char                *net_uuid,
                                           const char                *from_id,
                                           const char                *into_id,
                                           GError                   **error);

G_END_DECLS
