/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-connection.h"

G_BEGIN_DECLS

/* MiraPeoplePage: the network's persons, found by voice or made by hand —
 * name (or "Speaker N"), when last heard, in how many conversations —
 * kept live by the connection. Each row's menu renames, merges into
 * another person, or deletes (each asked in a dialog).
 */

#define MIRA_TYPE_PEOPLE_PAGE (mira_people_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraPeoplePage, mira_people_page, MIRA, PEOPLE_PAGE, GtkWidget)

void mira_people_page_set_connection (MiraPeoplePage *self,
                                      MiraConnection *connection);

G_END_DECLS
