/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* One client (device) of the network and its live stream. Properties, all
 * read-only to widgets and notified on the connection's context:
 *   client-id (string), display-name (string: device_info.name, else the
 *   client id), device-type (string: "phone", "laptop", "desktop", …),
 *   icon-name (string: a symbolic icon for the device type),
 *   status (MiraClientStatus), is-self (boolean: this app's own client),
 *   is-best (boolean: the selected stream), quality-score (double 0..1, or
 *   -1 when no live stream: none scored in the last 2.5 s, or the client
 *   disconnected), last-seen (GDateTime, may be NULL).
 */

#define MIRA_TYPE_CLIENT_ITEM (mira_client_item_get_type ())
G_DECLARE_FINAL_TYPE (MiraClientItem, mira_client_item, MIRA, CLIENT_ITEM, GObject)

typedef struct {
  gint64 time_us;   /* g_get_real_time () of the stream_scores event */
  double score;     /* 0..1 */
} MiraScorePoint;

const char       *mira_client_item_get_client_id     (MiraClientItem *self);
const char       *mira_client_item_get_display_name  (MiraClientItem *self);
const char       *mira_client_item_get_device_type   (MiraClientItem *self);
const char       *mira_client_item_get_icon_name     (MiraClientItem *self);
MiraClientStatus  mira_client_item_get_status        (MiraClientItem *self);
gboolean          mira_client_item_get_is_self       (MiraClientItem *self);
gboolean          mira_client_item_get_is_best       (MiraClientItem *self);
double            mira_client_item_get_quality_score (MiraClientItem *self);
GDateTime        *mira_client_item_get_last_seen     (MiraClientItem *self);

/* The stream's scores over the last 60 s, oldest first (@n_points set).
 * The array belongs to the item and changes with the next score; the
 * "history-changed" signal says when.
 */
const MiraScorePoint *mira_client_item_get_history   (MiraClientItem *self,
                                                      guint          *n_points);

G_END_DECLS
