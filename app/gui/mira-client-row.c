/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-client-row"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "mira-client-row.h"
#include "mira-score-graph.h"
#include "mira-time-format.h"

struct _MiraClientRow
{
  GtkWidget       parent_instance;

  MiraClientItem *item;
  guint           color_index;
  /* What the row last told assistive technology, so that a score that
   * moves within the same rounded number says nothing new
   */
  char           *accessible_text;

  GtkImage       *icon;
  GtkLabel       *name_label;
  GtkLabel       *selected_badge;
  GtkLabel       *state_label;
  GtkDrawingArea *swatch;
  GtkLabel       *score_label;
  GtkLevelBar    *score_bar;
};

G_DEFINE_FINAL_TYPE (MiraClientRow, mira_client_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  PROP_COLOR_INDEX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
dup_state_text (MiraClientItem *item)
{
  g_autofree char *state = NULL;
  GDateTime *last_seen;

  switch (mira_client_item_get_status (item))
    {
    case MIRA_CLIENT_STATUS_CONNECTED:
      state = g_strdup (_("Connected"));
      break;

    case MIRA_CLIENT_STATUS_ERROR:
      state = g_strdup (_("Connection error"));
      break;

    case MIRA_CLIENT_STATUS_DISCONNECTED:
    default:
      last_seen = mira_client_item_get_last_seen (item);
      /* The app is online (else the window says so): only its microphone
       * is not streaming
       */
      if (mira_client_item_get_is_self (item))
        state = g_strdup (_("Not recording"));
      else if (last_seen != NULL)
        {
          /* Short enough for a phone's width: "Last seen at 14:05" */
          g_autofree char *time = mira_format_time (last_seen, NULL);

          /* Translators: %s is a time of day; the device is disconnected */
          state = g_strdup_printf (_("Last seen at %s"), time);
        }
      else
        state = g_strdup (_("Disconnected"));
      break;
    }

  if (mira_client_item_get_is_self (item))
    /* Translators: a client's connection state, then that it is the computer the app runs on */
    return g_strdup_printf (_("%s · This computer"), state);

  return g_steal_pointer (&state);
}

/* Setting a tooltip, even the same one, makes GTK ask the display where the
 * pointer is (a round trip to the X server): the scores that come several
 * times a second would pay that on every row each time
 */
static void
set_tooltip (GtkWidget  *widget,
             const char *text)
{
  if (g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) != 0)
    gtk_widget_set_tooltip_text (widget, text);
}

static void
mira_client_row_update (MiraClientRow *self)
{
  g_autofree char *state = NULL;
  g_autofree char *score_text = NULL;
  g_autofree char *accessible = NULL;
  const char *icon_name;
  double score;
  gboolean best;

  if (self->item == NULL)
    return;

  state = dup_state_text (self->item);
  score = mira_client_item_get_quality_score (self->item);
  /* The server's choice outlives the stream it chose: no badge on a
   * device that streams no more
   */
  best = mira_client_item_get_is_best (self->item) &&
         mira_client_item_get_status (self->item) == MIRA_CLIENT_STATUS_CONNECTED;
  icon_name = mira_client_item_get_icon_name (self->item);

  if (icon_name == NULL)
    icon_name = "computer-symbolic";
  /* Setting the same icon again clears the image first, and relays the row out */
  if (g_strcmp0 (gtk_image_get_icon_name (self->icon), icon_name) != 0)
    gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_label_set_label (self->name_label, mira_client_item_get_display_name (self->item));
  gtk_label_set_label (self->state_label, state);
  gtk_widget_set_visible (GTK_WIDGET (self->selected_badge), best);

  if (score < 0)
    {
      score_text = g_strdup (C_("no score", "—"));
      gtk_level_bar_set_value (self->score_bar, 0);
      set_tooltip (GTK_WIDGET (self->score_label), _("No live stream"));
      accessible = g_strdup_printf (_("%s, %s, no live stream"),
                                    mira_client_item_get_display_name (self->item), state);
    }
  else
    {
      int percent = (int) round (CLAMP (score, 0.0, 1.0) * 100);

      score_text = g_strdup_printf ("%d", percent);
      gtk_level_bar_set_value (self->score_bar, CLAMP (score, 0.0, 1.0));
      set_tooltip (GTK_WIDGET (self->score_label), _("Quality score of the live stream, out of 100"));
      if (best)
        /* Translators: device name, connection state, quality score out of 100 */
        accessible = g_strdup_printf (_("%s, %s, score %d, selected stream"),
                                      mira_client_item_get_display_name (self->item), state, percent);
      else
        accessible = g_strdup_printf (_("%s, %s, score %d"),
                                      mira_client_item_get_display_name (self->item), state, percent);
    }
  gtk_label_set_label (self->score_label, score_text);

  if (best)
    gtk_widget_add_css_class (GTK_WIDGET (self), "selected-stream");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "selected-stream");

  if (mira_client_item_get_status (self->item) == MIRA_CLIENT_STATUS_CONNECTED)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "offline");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "offline");

  if (g_strcmp0 (accessible, self->accessible_text) != 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      -1);
      g_free (self->accessible_text);
      self->accessible_text = g_steal_pointer (&accessible);
    }
}

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  MiraClientRow *self = user_data;
  double radius = height / 2.0;
  GdkRGBA color;

  mira_score_graph_stream_color (self->color_index,
                                 adw_style_manager_get_dark (adw_style_manager_get_default ()),
                                 &color);

  /* A short rounded stroke, like the graph's line */
  cairo_new_sub_path (cr);
  cairo_arc (cr, radius, radius, radius, G_PI / 2, 3 * G_PI / 2);
  cairo_arc (cr, width - radius, radius, radius, -G_PI / 2, G_PI / 2);
  cairo_close_path (cr);
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_fill (cr);
}

static void
style_dark_changed_cb (MiraClientRow *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->swatch));
}

static void
mira_client_row_dispose (GObject *object)
{
  MiraClientRow *self = MIRA_CLIENT_ROW (object);
  GtkWidget *child;

  mira_client_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_CLIENT_ROW);
  /* The template's top box has no id, so disposing the template leaves it */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (mira_client_row_parent_class)->dispose (object);
}

static void
mira_client_row_finalize (GObject *object)
{
  MiraClientRow *self = MIRA_CLIENT_ROW (object);

  g_free (self->accessible_text);

  G_OBJECT_CLASS (mira_client_row_parent_class)->finalize (object);
}

static void
mira_client_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MiraClientRow *self = MIRA_CLIENT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;

    case PROP_COLOR_INDEX:
      g_value_set_uint (value, self->color_index);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_client_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MiraClientRow *self = MIRA_CLIENT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      mira_client_row_set_item (self, g_value_get_object (value));
      break;

    case PROP_COLOR_INDEX:
      mira_client_row_set_color_index (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_client_row_class_init (MiraClientRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_client_row_dispose;
  object_class->finalize = mira_client_row_finalize;
  object_class->get_property = mira_client_row_get_property;
  object_class->set_property = mira_client_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         MIRA_TYPE_CLIENT_ITEM,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_COLOR_INDEX] =
    g_param_spec_uint ("color-index", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/mira/Dashboard/mira-client-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, icon);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, selected_badge);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, swatch);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, score_label);
  gtk_widget_class_bind_template_child (widget_class, MiraClientRow, score_bar);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "clientrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
mira_client_row_init (MiraClientRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Below 40 the score is poor (orange), above 70 good (green) */
  gtk_level_bar_add_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_LOW, 0.4);
  gtk_level_bar_add_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_HIGH, 0.7);
  gtk_level_bar_add_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_FULL, 1.0);

  gtk_drawing_area_set_draw_func (self->swatch, draw_swatch, self, NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (style_dark_changed_cb), self, G_CONNECT_SWAPPED);
}

MiraClientItem *
mira_client_row_get_item (MiraClientRow *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ROW (self), NULL);

  return self->item;
}

void
mira_client_row_set_item (MiraClientRow  *self,
                          MiraClientItem *item)
{
  g_return_if_fail (MIRA_IS_CLIENT_ROW (self));
  g_return_if_fail (item == NULL || MIRA_IS_CLIENT_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, mira_client_row_update, self);

  g_set_object (&self->item, item);

  if (self->item != NULL)
    {
      /* Any property of the item may change what the row says */
      g_signal_connect_swapped (self->item, "notify", G_CALLBACK (mira_client_row_update), self);
      mira_client_row_update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

guint
mira_client_row_get_color_index (MiraClientRow *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ROW (self), 0);

  return self->color_index;
}

void
mira_client_row_set_color_index (MiraClientRow *self,
                                 guint          color_index)
{
  g_return_if_fail (MIRA_IS_CLIENT_ROW (self));

  if (self->color_index == color_index)
    return;

  self->color_index = color_index;
  gtk_widget_queue_draw (GTK_WIDGET (self->swatch));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR_INDEX]);
}
