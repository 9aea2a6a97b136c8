/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The body of every error answer (API.md's error shape):
 * {"detail", "error_code", "status", "timestamp"}, as JSON text.
 */
char       *mira_error_body         (guint         status,
                                     const char   *error_code,
                                     const char   *detail);

G_END_DECLS
