/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-transcript-row"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-transcript-row.h"

struct _MiraTranscriptRow
{
  GtkWidget            parent_instance;

  MiraInteractionItem *item;

  GtkLabel            *speaker_label;
  GtkLabel            *device_label;
  GtkLabel            *time_label;
  GtkLabel            *content_label;
};

G_DEFINE_FINAL_TYPE (MiraTranscriptRow, mira_transcript_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_transcript_row_update (MiraTranscriptRow *self)
{
  g_autofree char *time = NULL;
  g_autofree char *accessible = NULL;
  const char *speaker;
  const char *device;
  const char *content;
  GDateTime *timestamp;

  if (self->item == NULL)
    return;

  /* A page of a long transcript still on its way */
  if (mira_interaction_item_get_interaction_id (self->item)[0] == '\0')
    {
      gtk_label_set_label (self->speaker_label, "");
      gtk_label_set_label (self->device_label, "");
      gtk_label_set_label (self->time_label, "");
      gtk_label_set_label (self->content_label, "…");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Loading"), -1);
      return;
    }

  speaker = mira_interaction_item_get_speaker (self->item);
  device = mira_interaction_item_get_device_name (self->item);
  if (device == NULL)
    device = mira_interaction_item_get_client_id (self->item);
  content = mira_interaction_item_get_content (self->item);
  timestamp = mira_interaction_item_get_timestamp (self->item);
  if (timestamp != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (timestamp);

      time = g_date_time_format (local, "%X");
    }

  /* Who spoke leads; until the voice is known, the device that heard it */
  if (speaker != NULL)
    {
      gtk_label_set_label (self->speaker_label, speaker);
      gtk_label_set_label (self->device_label, device != NULL ? device : "");
    }
  else
    {
      gtk_label_set_label (self->speaker_label, device != NULL ? device : _("Unknown device"));
      gtk_label_set_label (self->device_label, "");
    }
  gtk_label_set_label (self->time_label, time != NULL ? time : "");
  gtk_label_set_label (self->content_label, content != NULL ? content : "");

  if (speaker != NULL)
    /* Translators: who spoke, on which device, at what time, then the words */
    accessible = g_strdup_printf (_("%s on %s at %s: %s"), speaker,
                                  device != NULL ? device : _("an unknown device"),
                                  time != NULL ? time : "", content != NULL ? content : "");
  else
    /* Translators: the device that heard it, at what time, then the words */
    accessible = g_strdup_printf (_("%s at %s: %s"),
                                  device != NULL ? device : _("Unknown device"),
                                  time != NULL ? time : "", content != NULL ? content : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

static void
mira_transcript_row_dispose (GObject *object)
{
  MiraTranscriptRow *self = MIRA_TRANSCRIPT_ROW (object);
  GtkWidget *child;

  mira_transcript_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_TRANSCRIPT_ROW);
  /* The template's top box has no id, so disposing the template leaves it */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (mira_transcript_row_parent_class)->dispose (object);
}

static void
mira_transcript_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MiraTranscriptRow *self = MIRA_TRANSCRIPT_ROW (object);

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
mira_transcript_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MiraTranscriptRow *self = MIRA_TRANSCRIPT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      mira_transcript_row_set_item (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_transcript_row_class_init (MiraTranscriptRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_transcript_row_dispose;
  object_class->get_property = mira_transcript_row_get_property;
  object_class->set_property = mira_transcript_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         MIRA_TYPE_INTERACTION_ITEM,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/mira/Dashboard/mira-transcript-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraTranscriptRow, speaker_label);
  gtk_widget_class_bind_template_child (widget_class, MiraTranscriptRow, device_label);
  gtk_widget_class_bind_template_child (widget_class, MiraTranscriptRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, MiraTranscriptRow, content_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "transcriptrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
mira_transcript_row_init (MiraTranscriptRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

MiraInteractionItem *
mira_transcript_row_get_item (MiraTranscriptRow *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_ROW (self), NULL);

  return self->item;
}

void
mira_transcript_row_set_item (MiraTranscriptRow   *self,
                              MiraInteractionItem *item)
{
  g_return_if_fail (MIRA_IS_TRANSCRIPT_ROW (self));
  g_return_if_fail (item == NULL || MIRA_IS_INTERACTION_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, mira_transcript_row_update, self);

  g_set_object (&self->item, item);

  if (self->item != NULL)
    {
      /* A speaker renamed or recognised later changes the row */
      g_signal_connect_swapped (self->item, "notify", G_CALLBACK (mira_transcript_row_update), self);
      mira_transcript_row_update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
