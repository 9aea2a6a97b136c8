/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* MiraItemRow: the base of the Network page's rows, an AdwActionRow that
 * shows one item of a list model (a device, a network) and follows it.
 * Names come from people and devices, so its title and subtitle are text,
 * never markup.
 *
 * A subclass implements bind (), called once the item is set at
 * construction, to fill the row and connect to the item's notifications.
 *
 * Property: item (GObject, construct-only).
 */

#define MIRA_TYPE_ITEM_ROW (mira_item_row_get_type ())
G_DECLARE_DERIVABLE_TYPE (MiraItemRow, mira_item_row, MIRA, ITEM_ROW, AdwActionRow)

struct _MiraItemRowClass
{
  AdwActionRowClass parent_class;

  void (*bind) (MiraItemRow *self,
                GObject     *item);
};

/* The item the row shows */
gpointer  mira_item_row_get_item (MiraItemRow *self);

G_END_DECLS
