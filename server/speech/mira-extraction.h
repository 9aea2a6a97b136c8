/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-db.h"
#include "mira-extractor.h"

G_BEGIN_DECLS

/* What an interaction asks for, stored: each action found becomes an
 * actions row linked to the interaction (action_type "remind", "schedule"
 * or "contact"; action_data as mira_action_to_json() gives it, with
 * "extractor": the backend that found it), and a reminder or calendar event
 * linked to the same interaction, which the action's result names
 * ({"reminder_id": …} or {"calendar_event_id": …}, status "completed"). A
 * contact stays "pending": a device carries it out.
 *
 * Events, each {"type", "network_id", "timestamp", <entity>}, are appended
 * to @events in the order the rows were made: reminder_created or
 * calendar_event_created, then action_created.
 */

/* Stores @actions (of MiraAction) for @interaction (the interaction as the
 * store returns it: "id", "content", "timestamp"). Runs inside the caller's
 * transaction. @extractor names the backend ("builtin", "llm"). A title or
 * place too long for its column is cut at a character boundary. FALSE with
 * @error only when the database fails.
 */
gboolean  mira_extraction_store      (MiraDb       *db,
                                      const char   *net_uuid,
                                      const char   *network_id,
                                      JsonObject   *interaction,
                                      GPtrArray    *actions,
                                      const char   *extractor,
                                      GPtrArray    *events,
                                      GError      **error);

/* Finds the actions in @interaction's content with the built-in extractor,
 * at its timestamp in the network's time zone, and stores them as above.
 */
gboolean  mira_extraction_run_builtin (MiraDb      *db,
                                       const char  *net_uuid,
                                       const char  *network_id,
                                       JsonObject  *interaction,
                                       GPtrArray   *events,
                                       GError     **error);

G_END_DECLS
