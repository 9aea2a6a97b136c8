/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-client-item.h"

G_BEGIN_DECLS

/* MiraClientRow: one client of the Live page's list — its device icon,
 * name, connection state and live score, the selected stream marked and
 * "This computer" named. @color-index is its position in the clients
 * model, whose colour it shares with its line in the score graph.
 */

#define MIRA_TYPE_CLIENT_ROW (mira_client_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraClientRow, mira_client_row, MIRA, CLIENT_ROW, GtkWidget)

MiraClientItem *mira_client_row_get_item        (MiraClientRow  *self);
void            mira_client_row_set_item        (MiraClientRow  *self,
                                                 MiraClientItem *item);
guint           mira_client_row_get_color_index (MiraClientRow  *self);
void            mira_client_row_set_color_index (MiraClientRow  *self,
                                                 guint           color_index);

G_END_DECLS
