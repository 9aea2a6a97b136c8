/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-client-item.h"

G_BEGIN_DECLS

/* MiraScoreGraph: each stream's quality score over the last minute, one
 * line per client of @model (a GListModel of MiraClientItem), drawn with
 * GtkSnapshot. The selected stream (is-best) is drawn thicker, with its
 * area shaded. The time axis moves with the clock while any point is in
 * the window, and stands still (no frame clock) when none is.
 */

#define MIRA_TYPE_SCORE_GRAPH (mira_score_graph_get_type ())
G_DECLARE_FINAL_TYPE (MiraScoreGraph, mira_score_graph, MIRA, SCORE_GRAPH, GtkWidget)

/* The span of the time axis, in microseconds */
#define MIRA_SCORE_GRAPH_SPAN_US (60 * G_USEC_PER_SEC)

GtkWidget  *mira_score_graph_new          (void);
GListModel *mira_score_graph_get_model    (MiraScoreGraph *self);
void        mira_score_graph_set_model    (MiraScoreGraph *self,
                                           GListModel     *model);

/* The colour of the line of the client at @position of the model, so that
 * a list can show the same colour as its legend; @dark for a dark style.
 */
void        mira_score_graph_stream_color (guint           position,
                                           gboolean        dark,
                                           GdkRGBA        *rgba);

G_END_DECLS
