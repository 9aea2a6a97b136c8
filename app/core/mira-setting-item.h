/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One setting of the network (API.md's settings: key, value, type).
 * Properties, read-only and notified: key (string), value (GVariant: "s"
 * for a string, "d" for a number, "b" for a boolean; JSON objects and
 * arrays as their JSON text, "s"). Only settings that were set are items:
 * a known key without an item has the server's default.
 */

#define MIRA_TYPE_SETTING_ITEM (mira_setting_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraSettingItem, mira_setting_item, MIRA, SETTING_ITEM, GObject)

const char *mira_setting_item_get_key        (MiraSettingItem *self);
GVariant   *mira_setting_item_get_value      (MiraSettingItem *self);
/* The value when it is a string, else NULL */
const char *mira_setting_item_get_string     (MiraSettingItem *self);
/* The value when it is a number, else @fallback */
double      mira_setting_item_get_number     (MiraSettingItem *self,
                                              double           fallback);

G_END_DECLS
