/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One interaction (an utterance's words). Properties: interaction-id,
 * content (string), timestamp (GDateTime, local time), client-id,
 * device-name (string: the client's display name, or NULL),
 * speaker (string: the person's name, "Speaker N", or NULL),
 * person-id, conversation-id.
 */

#define MIRA_TYPE_INTERACTION_ITEM (mira_interaction_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraInteractionItem, mira_interaction_item, MIRA, INTERACTION_ITEM, GObject)

const char *mira_interaction_item_get_interaction_id  (MiraInteractionItem *self);
const char *mira_interaction_item_get_content         (MiraInteractionItem *self);
GDateTime  *mira_interaction_item_get_timestamp       (MiraInteractionItem *self);
const char *mira_interaction_item_get_client_id       (MiraInteractionItem *self);
const char *mira_interaction_item_get_device_name     (MiraInteractionItem *self);
const char *mira_interaction_item_get_speaker         (MiraInteractionItem *self);
const char *mira_interaction_item_get_person_id       (MiraInteractionItem *self);
const char *mira_interaction_item_get_conversation_id (MiraInteractionItem *self);

G_END_DECLS
