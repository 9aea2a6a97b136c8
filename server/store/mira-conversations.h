/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <math.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* The domain of interactions and conversations: what the REST handlers, the
 * audio hub and the server's sweeps share. Each function runs on a store
 * worker with that worker's connection (see mira_store_run_async()), inside
 * a transaction its caller opened with mira_db_begin() and commits after it
 * returned TRUE (or a new object), and rolls back otherwise.
 *
 * @events_out, when not NULL, receives the events the change causes
 * (JsonObject, full events as mira_event_new() makes them), in the order
 * they happened; the caller publishes them once the transaction is
 * committed, and drops them when it is not. Nothing is published here.
 *
 * Errors are MIRA_DB_ERROR: MIRA_DB_ERROR_NOT_FOUND for a network, person,
 * conversation or client that is not in the network,
 * MIRA_DB_ERROR_INVALID for a value the interactions table does not take
 * (the message names the field), MIRA_DB_ERROR_UNAVAILABLE when the
 * database cannot be reached.
 */

/* A new interaction. Strings are borrowed for the call. */
typedef struct {
  /* The words said or written: not blank, at most 100,000 characters. */
  const char *content;
  /* "audio", "text" or "system"; NULL: "text". */
  const char *interaction_type;
  /* The public id of a client of the network (kitchen-omi), or NULL. */
  const char *client_id;
  /* The public id of the client whose session sent it (the REST API's
   * session token), or NULL: the interaction's client when @client_id is
   * NULL and it is still one of the network's (a deregistered client's
   * session leaves it without one, and is no error).
   */
  const char *session_client_id;
  /* The UUID of a person of the network who spoke, or NULL: not known.
   * The conversation's participants gain the person.
   */
  const char *person_id;
  /* The UUID of a conversation of the network, or NULL: the network's open
   * conversation (the one spoken in last), started when there is none.
   */
  const char *conversation_id;
  /* When it was said, RFC 3339 (read in the network's time zone when it
   * has no offset), or NULL: now.
   */
  const char *timestamp;
  /* The utterance's quality score (0..1) and length (seconds); NAN when
   * not measured (text).
   */
  double      audio_quality_score;
  double      audio_duration_s;
  /* Stored as given (e.g. the transcriber, its confidence, the selection),
   * or NULL: {}. Referenced, not copied: do not change it meanwhile.
   */
  JsonObject *metadata;
} MiraInteractionNew;

/* Zero, with the measurements unset. */
#define MIRA_INTERACTION_NEW_INIT { .audio_quality_score = NAN, .audio_duration_s = NAN }

/* Stores @interaction in the network whose public id is @network_id, in
 * its conversation: the conversation is started (conversation_started)
 * when needed, and gains the time and the speaker (conversation_updated);
 * then interaction_created. Who spoke, by voice, and what the words ask
 * for are one layer up (mira_speech_interactions_create(), which every
 * caller uses). Takes the network's lock (mira_entity_lock_network()) so
 * that two interactions never start two conversations. The network
 * need not be active: a suspended network's audio in flight is kept.
 * Returns the interaction as the API shows it.
 */
JsonObject *mira_interactions_create       (MiraDb                   *db,
                                            const char               *network_id,
                                            const MiraInteractionNew *interaction,
                                            GPtrArray                *events_out,
                                            GError                  **error);

/* Closes conversation @id of the network if it is open, giving it a title
 * and a topic summary from what was said and @reason in its metadata
 * (conversation_closed). Returns the conversation, closed or as it was;
 * MIRA_DB_ERROR_NOT_FOUND when it is not one of the network's.
 */
JsonObject *mira_conversations_close       (MiraDb                   *db,
                                            const char               *net_uuid,
                                            const char               *network_id,
                                            const char               *id,
                                            const char               *reason,
                                            GPtrArray                *events_out,
                                            GError                  **error);

/* Gives conversation @id of the network (networks.id @net_uuid) the title
 * @title and the topic summary @topic_summary (NULL: none), and
 * @metadata when it is not NULL, where its title and topic summary are
 * still @was_title and @was_topic_summary (NULL: none), as the caller read
 * them: what was written meanwhile (a person's PUT, another summary) is
 * kept. The built-in summary of a conversation as it closes
 * (mira_conversations_close()) and the language model's after it are
 * written here. @changed: whether it was written. Publishes nothing: the
 * caller knows which event it makes (conversation_closed,
 * conversation_updated).
 */
gboolean    mira_conversations_set_summary (MiraDb                   *db,
                                            const char               *net_uuid,
                                            const char               *id,
                                            const char               *title,
                                            const char               *topic_summary,
                                            const char               *was_title,
                                            const char               *was_topic_summary,
                                            JsonObject               *metadata,
                                            gboolean                 *changed,
                                            GError                  **error);

/* Closes every open conversation of the network whose public id is
 * @network_id (every stream stopped, server shutdown), for @reason.
 * A network that is gone has nothing to close.
 */
gboolean    mira_conversations_close_open  (MiraDb                   *db,
                                            const char               *network_id,
                                            const char               *reason,
                                            GPtrArray                *events_out,
                                            GError                  **error);

/* Closes, in every network, the conversations without speech for their
 * network's conversation_timeout_s (90 s unless set) and those that
 * reached 60 minutes.
 */
gboolean    mira_conversations_sweep       (MiraDb                   *db,
                                            GPtrArray                *events_out,
                                            GError                  **error);

G_END_DECLS
