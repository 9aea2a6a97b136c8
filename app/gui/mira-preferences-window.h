/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraPreferencesWindow: host or join (changing it leaves the network and
 * shows the welcome page), the hosted server's port and LAN exposure, the
 * joined server's address and admin token, the microphone (from the
 * capture's GstDeviceMonitor list) and notifications. Every preference is a
 * key of the context's GSettings, bound with g_settings_bind(); the admin
 * token goes to the keyring.
 *
 * Property: context (MiraContext, construct-only).
 */

#define MIRA_TYPE_PREFERENCES_WINDOW (mira_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (MiraPreferencesWindow, mira_preferences_window, MIRA, PREFERENCES_WINDOW, AdwPreferencesWindow)

MiraPreferencesWindow *mira_preferences_window_new (MiraContext *context);

G_END_DECLS
