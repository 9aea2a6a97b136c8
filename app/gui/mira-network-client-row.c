/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-network-client-row"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "mira-network-client-row.h"

struct _MiraNetworkClientRow
{
  MiraItemRow     parent_instance;

  MiraClientItem *item;           /* the row's */

  GtkImage       *icon;
  GtkLabel       *score_label;
  GtkButton      *deregister_button;
};

G_DEFINE_FINAL_TYPE (MiraNetworkClientRow, mira_network_client_row, MIRA_TYPE_ITEM_ROW)


static const char *
status_text (MiraClientStatus status)
{
  switch (status)
    {
    case MIRA_CLIENT_STATUS_CONNECTED:
      return _("Connected");
    case MIRA_CLIENT_STATUS_ERROR:
      return _("Connection error");
    case MIRA_CLIENT_STATUS_DISCONNECTED:
    default:
      return _("Disconnected");
    }
}

/* "Phone · Connected" and when it was last seen */
static char *
dup_subtitle (MiraClientItem *item)
{
  GDateTime *last_seen = mira_client_item_get_last_seen (item);
  const char *device_type = mira_client_item_get_device_type (item);
  g_autofree char *seen = NULL;
  g_autofree char *state = NULL;

  if (mira_client_item_get_is_self (item))
    /* Translators: a device's connection state, then that it is the computer the app runs on */
    state = g_strdup_printf (_("%s · This computer"),
                             status_text (mira_client_item_get_status (item)));
  else
    state = g_strdup (status_text (mira_client_item_get_status (item)));

  if (last_seen != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (last_seen);
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *when = NULL;

      if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
          g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
        when = g_date_time_format (local, "%X");
      else
        when = g_date_time_format (local, "%x %X");
      /* Translators: %s is a time, or a date and time */
      seen = g_strdup_printf (_("last seen %s"), when);
    }

  if (device_type != NULL && device_type[0] != '\0' && seen != NULL)
    /* Translators: device type · connection state · last seen */
    return g_strdup_printf (_("%s · %s · %s"), device_type, state, seen);
  if (device_type != NULL && device_type[0] != '\0')
    /* Translators: device type · connection state */
    return g_strdup_printf (_("%s · %s"), device_type, state);
  if (seen != NULL)
    return g_strdup_printf (_("%s · %s"), state, seen);
  return g_steal_pointer (&state);
}

/* Scores come several times a second: only the score's label follows them,
 * and only when the rounded number changes
 */
static void
mira_network_client_row_update_score (MiraNetworkClientRow *self)
{
  g_autofree char *score_text = NULL;
  g_autofree char *spoken = NULL;
  const char *tooltip;
  double score = mira_client_item_get_quality_score (self->item);

  if (score < 0)
    {
      score_text = g_strdup (C_("no score", "—"));
      tooltip = _("No live stream");
      spoken = g_strdup (_("No live stream"));
    }
  else
    {
      int percent = (int) round (CLAMP (score, 0.0, 1.0) * 100);

      score_text = g_strdup_printf ("%d", percent);
      tooltip = _("Quality score of the live stream, out of 100");
      spoken = g_strdup_printf (_("Score %d of 100"), percent);
    }
  if (g_strcmp0 (gtk_label_get_label (self->score_label), score_text) == 0)
    return;

  gtk_label_set_label (self->score_label, score_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->score_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);
  /* Setting a tooltip, even the same one, makes GTK ask the display where
   * the pointer is (a round trip to the X server)
   */
  if (g_strcmp0 (gtk_widget_get_tooltip_text (GTK_WIDGET (self->score_label)), tooltip) != 0)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->score_label), tooltip);
}

static void
mira_network_client_row_update (MiraNetworkClientRow *self)
{
  g_autofree char *subtitle = dup_subtitle (self->item);
  g_autofree char *tooltip = NULL;
  const char *icon_name = mira_client_item_get_icon_name (self->item);
  const char *name = mira_client_item_get_display_name (self->item);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_image_set_from_icon_name (self->icon, icon_name != NULL ? icon_name : "computer-symbolic");

  /* Translators: %s is a device's name */
  tooltip = g_strdup_printf (_("Deregister “%s”…"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->deregister_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
}

static void
mira_network_client_row_bind (MiraItemRow *row,
                              GObject     *item)
{
  MiraNetworkClientRow *self = MIRA_NETWORK_CLIENT_ROW (row);

  g_assert (MIRA_IS_CLIENT_ITEM (item));
  self->item = MIRA_CLIENT_ITEM (item);

  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->deregister_button), "s",
                                    mira_client_item_get_client_id (self->item));
  g_signal_connect_object (self->item, "notify::quality-score",
                           G_CALLBACK (mira_network_client_row_update_score), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->item, "notify::display-name",
                           G_CALLBACK (mira_network_client_row_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->item, "notify::device-type",
                           G_CALLBACK (mira_network_client_row_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->item, "notify::status",
                           G_CALLBACK (mira_network_client_row_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->item, "notify::last-seen",
                           G_CALLBACK (mira_network_client_row_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->item, "notify::is-self",
                           G_CALLBACK (mira_network_client_row_update), self,
                           G_CONNECT_SWAPPED);
  mira_network_client_row_update (self);
  mira_network_client_row_update_score (self);
}

static void
mira_network_client_row_dispose (GObject *object)
{
  MiraNetworkClientRow *self = MIRA_NETWORK_CLIENT_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_NETWORK_CLIENT_ROW);

  G_OBJECT_CLASS (mira_network_client_row_parent_class)->dispose (object);
}

static void
mira_network_client_row_class_init (MiraNetworkClientRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  MiraItemRowClass *row_class = MIRA_ITEM_ROW_CLASS (klass);

  object_class->dispose = mira_network_client_row_dispose;
  row_class->bind = mira_network_client_row_bind;


  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-network-client-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkClientRow, icon);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkClientRow, score_label);
  gtk_widget_class_bind_template_child (widget_class, MiraNetworkClientRow, deregister_button);
}

static void
mira_network_client_row_init (MiraNetworkClientRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mira_network_client_row_new (MiraClientItem *item)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (item), NULL);

  return g_object_new (MIRA_TYPE_NETWORK_CLIENT_ROW, "item", item, NULL);
}

MiraClientItem *
mira_network_client_row_get_item (MiraNetworkClientRow *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_CLIENT_ROW (self), NULL);

  return mira_item_row_get_item (MIRA_ITEM_ROW (self));
}
