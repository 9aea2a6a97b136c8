/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-admin-network-row"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-admin-network-row.h"

struct _MiraAdminNetworkRow
{
  MiraItemRow      parent_instance;

  MiraNetworkItem *item;           /* the row's */

  GtkLabel        *status_badge;
  GtkButton       *status_button;
  GtkButton       *delete_button;
};

G_DEFINE_FINAL_TYPE (MiraAdminNetworkRow, mira_admin_network_row, MIRA_TYPE_ITEM_ROW)


static void
mira_admin_network_row_update (MiraAdminNetworkRow *self)
{
  MiraNetworkStatus status = mira_network_item_get_status (self->item);
  const char *name = mira_network_item_get_name (self->item);
  guint count = mira_network_item_get_client_count (self->item);
  g_autofree char *subtitle = NULL;
  g_autofree char *suspend_label = NULL;
  g_autofree char *delete_label = NULL;
  const char *status_text;

  if (name == NULL || name[0] == '\0')
    name = mira_network_item_get_network_id (self->item);

  switch (status)
    {
    case MIRA_NETWORK_STATUS_SUSPENDED:
      status_text = C_("network status", "Suspended");
      break;
    case MIRA_NETWORK_STATUS_INACTIVE:
      status_text = C_("network status", "Inactive");
      break;
    case MIRA_NETWORK_STATUS_ACTIVE:
    default:
      status_text = C_("network status", "Active");
      break;
    }

  /* Translators: a network's id, then how many devices it has */
  subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u device", "%s · %u devices",
                                           count),
                              mira_network_item_get_network_id (self->item), count);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_label_set_label (self->status_badge, status_text);
  if (status == MIRA_NETWORK_STATUS_SUSPENDED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_badge), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_badge), "warning");

  if (status == MIRA_NETWORK_STATUS_SUSPENDED)
    {
      gtk_button_set_label (self->status_button, _("Activate"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->status_button), "network.activate");
      /* Translators: %s is a network's name */
      suspend_label = g_strdup_printf (_("Activate “%s”"), name);
    }
  else
    {
      gtk_button_set_label (self->status_button, _("Suspend"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->status_button), "network.suspend");
      /* Translators: %s is a network's name */
      suspend_label = g_strdup_printf (_("Suspend “%s”…"), name);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, suspend_label, -1);
  /* Translators: %s is a network's name */
  delete_label = g_strdup_printf (_("Delete “%s”…"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->delete_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, delete_label, -1);
}

static void
mira_admin_network_row_bind (MiraItemRow *row,
                             GObject     *item)
{
  MiraAdminNetworkRow *self = MIRA_ADMIN_NETWORK_ROW (row);
  const char *network_id;

  g_assert (MIRA_IS_NETWORK_ITEM (item));
  self->item = MIRA_NETWORK_ITEM (item);

  network_id = mira_network_item_get_network_id (self->item);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->status_button), "s", network_id);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->delete_button), "s", network_id);
  g_signal_connect_object (self->item, "notify",
                           G_CALLBACK (mira_admin_network_row_update), self, G_CONNECT_SWAPPED);
  mira_admin_network_row_update (self);
}

static void
mira_admin_network_row_dispose (GObject *object)
{
  MiraAdminNetworkRow *self = MIRA_ADMIN_NETWORK_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_ADMIN_NETWORK_ROW);

  G_OBJECT_CLASS (mira_admin_network_row_parent_class)->dispose (object);
}

static void
mira_admin_network_row_class_init (MiraAdminNetworkRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  MiraItemRowClass *row_class = MIRA_ITEM_ROW_CLASS (klass);

  object_class->dispose = mira_admin_network_row_dispose;
  row_class->bind = mira_admin_network_row_bind;


  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-admin-network-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraAdminNetworkRow, status_badge);
  gtk_widget_class_bind_template_child (widget_class, MiraAdminNetworkRow, status_button);
  gtk_widget_class_bind_template_child (widget_class, MiraAdminNetworkRow, delete_button);
}

static void
mira_admin_network_row_init (MiraAdminNetworkRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mira_admin_network_row_new (MiraNetworkItem *item)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (item), NULL);

  return g_object_new (MIRA_TYPE_ADMIN_NETWORK_ROW, "item", item, NULL);
}

MiraNetworkItem *
mira_admin_network_row_get_item (MiraAdminNetworkRow *self)
{
  g_return_val_if_fail (MIRA_IS_ADMIN_NETWORK_ROW (self), NULL);

  return mira_item_row_get_item (MIRA_ITEM_ROW (self));
}
