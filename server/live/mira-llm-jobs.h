/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-event-bus.h"
#include "mira-llm.h"
#include "mira-store.h"

G_BEGIN_DECLS

/* The work a language model does for the server, after the fact and never
 * on its loop:
 *
 *  - each new interaction (its interaction_created event) is read by the
 *    model, and what it asks becomes actions, reminders and events, as the
 *    built-in extractor's findings do without a model; when the model fails
 *    (unreachable, an error, a timeout, an answer that is not the JSON asked
 *    for) the built-in extractor reads it instead. action_data.extractor
 *    says which one did;
 *  - each closed conversation (conversation_closed) gets the model's title
 *    and topic summary in place of the built-in ones, unless someone changed
 *    them meanwhile; conversation_updated says so. When the model fails the
 *    built-in ones stay.
 *
 * Everything runs on the thread-default GMainContext of the thread that made
 * it (the server's): store work on the store's workers, the model's requests
 * on its own threads. Events are handed to @publish, in order: the
 * interaction's are always published before its actions'.
 */

typedef struct _MiraLlmJobs MiraLlmJobs;

/* Called on the context with each event (taken) of @network_id. */
typedef void (*MiraLlmJobsPublish) (const char *network_id,
                                    JsonObject *event,
                                    gpointer    user_data);

MiraLlmJobs *mira_llm_jobs_new      (MiraStore           *store,
                                     MiraEventBus        *bus,
                                     MiraLlm             *llm,
                                     MiraLlmJobsPublish   publish,
                                     gpointer             publish_data);
/* Cancels the model's requests under way (each falls back as on a
 * failure); from now on the built-in extractor reads new interactions, and
 * closed conversations keep their built-in summaries.
 */
void         mira_llm_jobs_stop     (MiraLlmJobs         *self);
gboolean     mira_llm_jobs_is_idle  (MiraLlmJobs         *self);
/* When it is idle. */
void         mira_llm_jobs_free     (MiraLlmJobs         *self);

G_END_DECLS
