/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* MiraLivePanels: the Live page's three panels, in child order: the
 * clients, the score graph and the transcript. From
 * MIRA_LIVE_PANELS_WIDE_WIDTH pixels on, the clients take a column on the
 * left and the graph sits above the transcript on the right; narrower,
 * the three are stacked. (GTK 4.8 and libadwaita 1.2 have no breakpoints.)
 */

#define MIRA_LIVE_PANELS_WIDE_WIDTH 720

#define MIRA_TYPE_LIVE_PANELS (mira_live_panels_get_type ())
G_DECLARE_FINAL_TYPE (MiraLivePanels, mira_live_panels, MIRA, LIVE_PANELS, GtkWidget)

GtkWidget *mira_live_panels_new      (void);
/* TRUE when the last allocation put the clients in a column of their own */
gboolean   mira_live_panels_get_wide (MiraLivePanels *self);

G_END_DECLS
