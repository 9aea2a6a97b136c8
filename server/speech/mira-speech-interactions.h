/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-conversations.h"
#include "mira-types.h"
#include "mira-voice-signature.h"

G_BEGIN_DECLS

/* Creates an interaction with everything it implies, for every caller
 * alike: the REST API's POST …/interactions (text, @voice NULL) and the
 * audio hub's utterances (a transcript, with the voice that said it).
 * Runs on a store worker with that worker's connection
 * (mira_store_run_async()), inside the caller's transaction, which it
 * commits when a new object comes back and rolls back otherwise.
 *
 * In order, with the events each step appends to @events_out (JsonObject,
 * full events as mira_event_new() makes them; the caller publishes them
 * once the transaction is committed, nothing is published here):
 *
 * 1. Who spoke: when @voice is not NULL and @interaction names no
 *    person, under the network's lock (mira_entity_lock_network(), so that
 *    two utterances at once never both become a new "Speaker N"), the
 *    person of the network whose voice signature is the closest by cosine
 *    and reaches the network's voice_match_threshold, their signature
 *    taking the new speech in (person_updated), or a new person
 *    "Speaker N" (person_created): see mira_voice_persons_match(). The
 *    person becomes the interaction's person_id, and its metadata (a copy:
 *    @interaction's stays as it was) gains "voice_similarity", the best
 *    cosine found (absent when the network knew no voice yet). @voice NULL
 *    (text, or too little speech to tell): no person is looked for.
 * 2. The interaction, stored by mira_interactions_create(): in its
 *    conversation, started when needed (conversation_started), which gains
 *    the time and the speaker (conversation_updated); interaction_created.
 * 3. What it asks for, when @extract: the built-in extractor reads the
 *    content at the interaction's time in the network's time zone, and each
 *    reminder, calendar event or contact it finds is stored with its action
 *    (reminder_created or calendar_event_created, then action_created): see
 *    mira_extraction_run_builtin(). With a language model configured the
 *    caller passes FALSE: the model reads it once interaction_created is
 *    out (mira-llm-jobs.h), falling back to the built-in extractor itself.
 *
 * @network_id is the network's public net_… id. Returns the interaction as
 * the API shows it (with its person_id after step 1).
 *
 * Errors are MIRA_DB_ERROR as mira_interactions_create() gives them:
 * MIRA_DB_ERROR_NOT_FOUND for a network, person, conversation or client
 * not in the network, MIRA_DB_ERROR_INVALID for a value the interactions
 * table does not take (the message names the field),
 * MIRA_DB_ERROR_UNAVAILABLE when the database cannot be reached.
 */
JsonObject *mira_speech_interactions_create (MiraDb                    *db,
                                             const char                *network_id,
                                             const MiraInteractionNew  *interaction,
                                             const MiraVoiceSignature  *voice,
                                             gboolean                   extract,
                                             GPtrArray                 *events_out,
                                             GError                   **error);

G_END_DECLS
