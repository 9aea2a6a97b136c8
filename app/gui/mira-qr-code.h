/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* MiraQrCode: @text as a QR code (libqrencode, error correction level M),
 * dark modules on white with the standard quiet zone of four modules, in
 * light and dark styles alike so that cameras read it. Modules are whole
 * pixels so that edges stay crisp. Assistive technology reads it as an image
 * labelled "QR code", not its text: a join link's token read out letter by
 * letter helps no one, and the text is shown beside it.
 *
 * Property: text (string, may be NULL: nothing is drawn).
 */

#define MIRA_TYPE_QR_CODE (mira_qr_code_get_type ())
G_DECLARE_FINAL_TYPE (MiraQrCode, mira_qr_code, MIRA, QR_CODE, GtkWidget)

GtkWidget  *mira_qr_code_new          (void);
const char *mira_qr_code_get_text     (MiraQrCode *self);
void        mira_qr_code_set_text     (MiraQrCode *self,
                                       const char *text);
/* Modules per side, quiet zone included; 0 without text */
guint       mira_qr_code_get_n_modules (MiraQrCode *self);

G_END_DECLS
