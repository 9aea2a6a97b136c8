/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One person of the network, as the speaker of interactions. Properties:
 * person-id, name (string or NULL: not named yet), index (int: the N of
 * "Speaker N"), display-name (the name, else "Speaker N"),
 * conversation-count (int: conversations the person spoke in), last-heard
 * (GDateTime, local time, or NULL: never heard), has-voice (boolean: the
 * server holds a voice signature).
 */

#define MIRA_TYPE_PERSON_ITEM (mira_person_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraPersonItem, mira_person_item, MIRA, PERSON_ITEM, GObject)

const char *mira_person_item_get_person_id    (MiraPersonItem *self);
const char *mira_person_item_get_name         (MiraPersonItem *self);
int         mira_person_item_get_index        (MiraPersonItem *self);
/* The name, else "Speaker N" (translated) */
const char *mira_person_item_get_display_name (MiraPersonItem *self);
int         mira_person_item_get_conversation_count (MiraPersonItem *self);
GDateTime  *mira_person_item_get_last_heard   (MiraPersonItem *self);
gboolean    mira_person_item_get_has_voice    (MiraPersonItem *self);

G_END_DECLS
