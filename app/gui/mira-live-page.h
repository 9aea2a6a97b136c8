/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-context.h"

G_BEGIN_DECLS

/* MiraLivePage: the network as it is now — every client with its device,
 * state and score (the selected stream marked), a graph of each stream's
 * score over the last minute, and the live transcript, newest last and
 * kept in view unless the user scrolled up. Follows @context's
 * connection: a status page while there is none, while it first connects
 * and while the network has no clients; while it reconnects the last
 * state stays (the window says that it is offline). "Add a Device"
 * activates win.add-device.
 */

#define MIRA_TYPE_LIVE_PAGE (mira_live_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraLivePage, mira_live_page, MIRA, LIVE_PAGE, GtkWidget)

GtkWidget   *mira_live_page_new         (MiraContext  *context);
MiraContext *mira_live_page_get_context (MiraLivePage *self);
void         mira_live_page_set_context (MiraLivePage *self,
                                         MiraContext  *context);

G_END_DECLS
