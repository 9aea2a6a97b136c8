/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One conversation of the network. Properties (read-only, notified):
 * conversation-id, title (string or NULL: not titled yet), display-title
 * (the title, else "Untitled Conversation"), topic-summary, is-open
 * (boolean), participants (GStrv of person ids), participant-names (string:
 * the persons' names joined by ", ", filled by the connection, or NULL),
 * interaction-count (int), created-at and last-interaction-at (GDateTime,
 * local time, or NULL), sort-time (int64: last-interaction-at, else
 * created-at, µs since the epoch: for sorting newest first).
 */

#define MIRA_TYPE_CONVERSATION_ITEM (mira_conversation_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraConversationItem, mira_conversation_item, MIRA, CONVERSATION_ITEM, GObject)

const char         *mira_conversation_item_get_conversation_id     (MiraConversationItem *self);
const char         *mira_conversation_item_get_title               (MiraConversationItem *self);
const char         *mira_conversation_item_get_display_title       (MiraConversationItem *self);
const char         *mira_conversation_item_get_topic_summary       (MiraConversationItem *self);
gboolean            mira_conversation_item_get_is_open             (MiraConversationItem *self);
const char * const *mira_conversation_item_get_participants        (MiraConversationItem *self);
const char         *mira_conversation_item_get_participant_names   (MiraConversationItem *self);
int                 mira_conversation_item_get_interaction_count   (MiraConversationItem *self);
GDateTime          *mira_conversation_item_get_created_at          (MiraConversationItem *self);
GDateTime          *mira_conversation_item_get_last_interaction_at (MiraConversationItem *self);
gint64              mira_conversation_item_get_sort_time           (MiraConversationItem *self);

G_END_DECLS
