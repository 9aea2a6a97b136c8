/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-add-device-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-add-device-dialog.h"
#include "mira-context.h"
#include "mira-qr-code.h"

struct _MiraAddDeviceDialog
{
  AdwWindow        parent_instance;

  MiraContext     *context;

  AdwToastOverlay *toast_overlay;
  MiraQrCode      *qr_code;
  GtkLabel        *link_label;
  GtkLabel        *loopback_label;
  AdwActionRow    *lan_row;
  GtkSwitch       *lan_switch;
};

G_DEFINE_FINAL_TYPE (MiraAddDeviceDialog, mira_add_device_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_add_device_dialog_update (MiraAddDeviceDialog *self)
{
  const char *link = mira_context_get_join_link (self->context);
  GSettings *settings = mira_context_get_settings (self->context);
  gboolean lan = g_settings_get_boolean (settings, "allow-lan");

  mira_qr_code_set_text (self->qr_code, link);
  /* A phone that scans a loopback address reaches itself: the code is
   * dimmed, and the label says what makes it work
   */
  gtk_widget_set_opacity (GTK_WIDGET (self->qr_code), lan ? 1.0 : 0.3);
  gtk_widget_set_visible (GTK_WIDGET (self->loopback_label), !lan);
  gtk_label_set_label (self->link_label, link != NULL ? link : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.copy-link", link != NULL);
  /* Changing the switch hosts again at once, and the link follows */
  adw_action_row_set_subtitle (self->lan_row,
                               lan
                               ? _("Phones and other computers on this network can open the link")
                               : _("Off: only this computer can open the link"));
}

static void
mira_add_device_dialog_copy_link_action (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  MiraAddDeviceDialog *self = MIRA_ADD_DEVICE_DIALOG (widget);
  const char *link = mira_context_get_join_link (self->context);

  g_return_if_fail (link != NULL);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), link);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Link copied")));
}

static void
mira_add_device_dialog_constructed (GObject *object)
{
  MiraAddDeviceDialog *self = MIRA_ADD_DEVICE_DIALOG (object);

  G_OBJECT_CLASS (mira_add_device_dialog_parent_class)->constructed (object);

  g_assert (MIRA_IS_CONTEXT (self->context));

  g_signal_connect_object (self->context, "notify::join-link",
                           G_CALLBACK (mira_add_device_dialog_update), self, G_CONNECT_SWAPPED);
  g_settings_bind (mira_context_get_settings (self->context), "allow-lan",
                   self->lan_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (mira_context_get_settings (self->context), "changed::allow-lan",
                           G_CALLBACK (mira_add_device_dialog_update), self, G_CONNECT_SWAPPED);
  mira_add_device_dialog_update (self);
}

static void
mira_add_device_dialog_dispose (GObject *object)
{
  MiraAddDeviceDialog *self = MIRA_ADD_DEVICE_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_ADD_DEVICE_DIALOG);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (mira_add_device_dialog_parent_class)->dispose (object);
}

static void
mira_add_device_dialog_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MiraAddDeviceDialog *self = MIRA_ADD_DEVICE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_add_device_dialog_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MiraAddDeviceDialog *self = MIRA_ADD_DEVICE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_add_device_dialog_class_init (MiraAddDeviceDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mira_add_device_dialog_constructed;
  object_class->dispose = mira_add_device_dialog_dispose;
  object_class->get_property = mira_add_device_dialog_get_property;
  object_class->set_property = mira_add_device_dialog_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         MIRA_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MIRA_TYPE_QR_CODE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-add-device-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, qr_code);
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, link_label);
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, loopback_label);
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, lan_row);
  gtk_widget_class_bind_template_child (widget_class, MiraAddDeviceDialog, lan_switch);

  gtk_widget_class_install_action (widget_class, "dialog.copy-link", NULL,
                                   mira_add_device_dialog_copy_link_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
mira_add_device_dialog_init (MiraAddDeviceDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

MiraAddDeviceDialog *
mira_add_device_dialog_new (MiraContext *context)
{
  g_return_val_if_fail (MIRA_IS_CONTEXT (context), NULL);

  return g_object_new (MIRA_TYPE_ADD_DEVICE_DIALOG,
                       "context", context,
                       NULL);
}
