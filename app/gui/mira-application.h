/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraApplication: the single-instance AdwApplication (APPLICATION_ID). It
 * owns the one MiraContext of the process, made from the app's GSettings at
 * start-up, resumes the remembered mode, and opens one MiraWindow.
 */

#define MIRA_TYPE_APPLICATION (mira_application_get_type ())
G_DECLARE_FINAL_TYPE (MiraApplication, mira_application, MIRA, APPLICATION, AdwApplication)

MiraApplication *mira_application_new         (void);
/* NULL before startup */
MiraContext     *mira_application_get_context (MiraApplication *self);

G_END_DECLS
