/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-application.h"

G_BEGIN_DECLS

/* MiraWindow: the main window. The welcome page while the context's mode is
 * MIRA_MODE_NONE, else the main view: an AdwViewStack of pages ("live", …)
 * under a header bar with the view switcher, the record button and the
 * primary menu. Errors of the connection and the capture become toasts, never
 * modal dialogs. Its size is kept in GSettings.
 *
 * Property: context (MiraContext, construct-only).
 */

#define MIRA_TYPE_WINDOW (mira_window_get_type ())
G_DECLARE_FINAL_TYPE (MiraWindow, mira_window, MIRA, WINDOW, AdwApplicationWindow)

MiraWindow  *mira_window_new             (MiraApplication *application);
MiraContext *mira_window_get_context     (MiraWindow      *self);
/* A toast with @error's message (already translated by the core) */
void         mira_window_show_error      (MiraWindow      *self,
                                          const GError    *error);
void         mira_window_add_toast       (MiraWindow      *self,
                                          AdwToast        *toast);

G_END_DECLS
