/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a test case allocates as it goes (texts, responses, sockets,
 * networks), kept until the case ends and then freed newest first, so that
 * sockets go before the client they run on.
 */
typedef struct _MiraTestScope MiraTestScope;

MiraTestScope *mira_test_scope_new    (void);
/* Frees what @scope keeps, newest first, and @scope. */
void           mira_test_scope_free   (MiraTestScope  *scope);
/* Keeps @data until the scope ends, then calls @destroy on it; returns @data. */
gpointer       mira_test_scope_keep   (MiraTestScope  *scope,
                                       gpointer        data,
                                       GDestroyNotify  destroy);
/* Keeps @text (taken; g_free() at the end); returns it. */
const char    *mira_test_scope_take   (MiraTestScope  *scope,
                                       char           *text);
/* A formatted text, kept until the scope ends */
const char    *mira_test_scope_printf (MiraTestScope  *scope,
                                       const char     *format,
                                       ...) G_GNUC_PRINTF (2, 3);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestScope, mira_test_scope_free)

G_END_DECLS
