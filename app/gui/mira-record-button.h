/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "mira-capture.h"

G_BEGIN_DECLS

/* MiraRecordButton: the header bar's record toggle. Pressing it starts
 * @capture, releasing it stops it; it follows the capture's state (a
 * spinner while starting, red with a live level meter while recording) and
 * says why when recording failed, in its tooltip and accessible
 * description. The window shows the capture's errors as toasts.
 */

#define MIRA_TYPE_RECORD_BUTTON (mira_record_button_get_type ())
G_DECLARE_FINAL_TYPE (MiraRecordButton, mira_record_button, MIRA, RECORD_BUTTON, GtkToggleButton)

GtkWidget   *mira_record_button_new         (MiraCapture      *capture);
MiraCapture *mira_record_button_get_capture (MiraRecordButton *self);
void         mira_record_button_set_capture (MiraRecordButton *self,
                                             MiraCapture      *capture);

G_END_DECLS
