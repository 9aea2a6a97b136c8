/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraWelcomePage: the first run's two choices, "Host a network on this
 * computer" (with the allow-lan switch) and "Join a network" (a form for a
 * join link, or a server URL, network id and token). It calls
 * mira_context_host_async() or mira_context_join_async() and shows their
 * errors inline; the window leaves the page when the context's mode changes.
 *
 * Property: context (MiraContext).
 */

#define MIRA_TYPE_WELCOME_PAGE (mira_welcome_page_get_type ())
G_DECLARE_FINAL_TYPE (MiraWelcomePage, mira_welcome_page, MIRA, WELCOME_PAGE, AdwBin)

MiraContext *mira_welcome_page_get_context (MiraWelcomePage *self);
void         mira_welcome_page_set_context (MiraWelcomePage *self,
                                            MiraContext     *context);

G_END_DECLS
