/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Helpers for tests and programs that drive the dashboard's real widgets the
 * way a person does: find a control by the text they read, activate it, wait
 * for what they would see. Waiting iterates the default main context until a
 * condition holds; nothing sleeps.
 */

typedef gboolean (*MiraTestGuiCondition) (gpointer user_data);

/* Animations off, so that a page shows its end state at once */
void        mira_test_gui_init            (void);
/* Iterates until @condition holds; FALSE after @timeout_ms */
gboolean    mira_test_gui_wait            (MiraTestGuiCondition  condition,
                                           gpointer              user_data,
                                           guint                 timeout_ms);
/* Lets pending layout and drawing happen */
void        mira_test_gui_settle          (void);
/* Resizes @window to @width x @height and waits until it has that size */
gboolean    mira_test_gui_resize          (GtkWindow            *window,
                                           int                   width,
                                           int                   height);

/* Depth-first, only widgets a person can see (drawable) */
GtkWidget  *mira_test_gui_find_label      (GtkWidget            *root,
                                           const char           *text);
/* The button that holds a label reading @text */
GtkWidget  *mira_test_gui_find_button     (GtkWidget            *root,
                                           const char           *text);
GtkWidget  *mira_test_gui_find_entry_row  (GtkWidget            *root,
                                           const char           *title);
GtkWidget  *mira_test_gui_find_type       (GtkWidget            *root,
                                           GType                 type);
/* How many widgets of @type @root and its descendants hold, whether
 * shown or not (row widgets kept alive, for memory)
 */
guint       mira_test_gui_count_type      (GtkWidget            *root,
                                           GType                 type);
/* A visible toplevel window of @type, or NULL */
GtkWindow  *mira_test_gui_find_toplevel   (GType                 type);

/* Renders @widget as it is now to a PNG file at @path */
gboolean    mira_test_gui_save_png        (GtkWidget            *widget,
                                           const char           *path,
                                           GError              **error);

G_END_DECLS
