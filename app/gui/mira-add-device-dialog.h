/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraAddDeviceDialog: how another device joins this host's network — the
 * context's join link as selectable text with a Copy button, and as a QR
 * code for a phone's camera. Follows the context's join-link property.
 *
 * Property: context (MiraContext, construct-only).
 */

#define MIRA_TYPE_ADD_DEVICE_DIALOG (mira_add_device_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MiraAddDeviceDialog, mira_add_device_dialog, MIRA, ADD_DEVICE_DIALOG, AdwWindow)

MiraAddDeviceDialog *mira_add_device_dialog_new (MiraContext *context);

G_END_DECLS
