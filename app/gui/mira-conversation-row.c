/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-conversation-row"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-conversation-row.h"
#include "mira-time-format.h"

struct _MiraConversationRow
{
  GtkWidget             parent_instance;

  MiraConversationItem *item;

  GtkWidget            *box;
  GtkWidget            *open_icon;
  GtkLabel             *title_label;
  GtkLabel             *time_label;
  GtkLabel             *participants_label;
  GtkLabel             *count_label;
};

G_DEFINE_FINAL_TYPE (MiraConversationRow, mira_conversation_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_conversation_row_update (MiraConversationRow *self)
{
  MiraConversationItem *item = self->item;
  GDateTime *when;
  const char *participants;
  g_autofree char *time = NULL;
  g_autofree char *count = NULL;
  g_autofree char *accessible = NULL;
  int n;
  gboolean is_open;

  if (item == NULL)
    return;

  when = mira_conversation_item_get_last_interaction_at (item);
  if (when == NULL)
    when = mira_conversation_item_get_created_at (item);
  time = when ? mira_format_day_time (when, NULL) : g_strdup ("");
  participants = mira_conversation_item_get_participant_names (item);
  n = mira_conversation_item_get_interaction_count (item);
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d interaction", "%d interactions", n),
                           n);
  is_open = mira_conversation_item_get_is_open (item);

  gtk_label_set_label (self->title_label, mira_conversation_item_get_display_title (item));
  gtk_label_set_label (self->time_label, time);
  gtk_label_set_label (self->participants_label,
                       participants ? participants : _("No one recognised"));
  gtk_label_set_label (self->count_label, count);
  gtk_widget_set_visible (self->open_icon, is_open);

  /* Translators: a conversation as a screen reader says it: title, when,
   * who, how many interactions, and whether it is still open
   */
  accessible = g_strdup_printf (_("%s, %s, %s, %s%s"),
                                mira_conversation_item_get_display_title (item), time,
                                participants ? participants : _("no one recognised"), count,
                                is_open ? _(", open") : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
mira_conversation_row_dispose (GObject *object)
{
  MiraConversationRow *self = MIRA_CONVERSATION_ROW (object);

  mira_conversation_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_CONVERSATION_ROW);

  G_OBJECT_CLASS (mira_conversation_row_parent_class)->dispose (object);
}

static void
mira_conversation_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MiraConversationRow *self = MIRA_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_conversation_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MiraConversationRow *self = MIRA_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      mira_conversation_row_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_conversation_row_class_init (MiraConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_conversation_row_dispose;
  object_class->get_property = mira_conversation_row_get_property;
  object_class->set_property = mira_conversation_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, MIRA_TYPE_CONVERSATION_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/mira/Dashboard/mira-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, box);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, open_icon);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, participants_label);
  gtk_widget_class_bind_template_child (widget_class, MiraConversationRow, count_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
mira_conversation_row_init (MiraConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

MiraConversationItem *
mira_conversation_row_get_item (MiraConversationRow *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ROW (self), NULL);
  return self->item;
}

void
mira_conversation_row_set_item (MiraConversationRow  *self,
                                MiraConversationItem *item)
{
  g_return_if_fail (MIRA_IS_CONVERSATION_ROW (self));
  g_return_if_fail (item == NULL || MIRA_IS_CONVERSATION_ITEM (item));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, mira_conversation_row_update, self);
  g_set_object (&self->item, item);
  if (self->item != NULL)
    {
      g_signal_connect_swapped (self->item, "notify", G_CALLBACK (mira_conversation_row_update),
                                self);
      mira_conversation_row_update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
