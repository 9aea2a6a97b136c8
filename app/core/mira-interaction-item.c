/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-interaction-item"

#include "mira-core-private.h"

struct _MiraInteractionItem
{
  GObject    parent_instance;

  char      *interaction_id;
  char      *content;
  GDateTime *timestamp;
  char      *client_id;
  char      *device_name;
  char      *speaker;
  char      *person_id;
  char      *conversation_id;
};

G_DEFINE_FINAL_TYPE (MiraInteractionItem, mira_interaction_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INTERACTION_ID,
  PROP_CONTENT,
  PROP_TIMESTAMP,
  PROP_CLIENT_ID,
  PROP_DEVICE_NAME,
  PROP_SPEAKER,
  PROP_PERSON_ID,
  PROP_CONVERSATION_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_interaction_item_finalize (GObject *object)
{
  MiraInteractionItem *self = MIRA_INTERACTION_ITEM (object);

  g_free (self->interaction_id);
  g_free (self->content);
  g_clear_pointer (&self->timestamp, g_date_time_unref);
  g_free (self->client_id);
  g_free (self->device_name);
  g_free (self->speaker);
  g_free (self->person_id);
  g_free (self->conversation_id);

  G_OBJECT_CLASS (mira_interaction_item_parent_class)->finalize (object);
}

static void
mira_interaction_item_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MiraInteractionItem *self = MIRA_INTERACTION_ITEM (object);

  switch (prop_id)
    {
    case PROP_INTERACTION_ID:
      g_value_set_string (value, self->interaction_id);
      break;
    case PROP_CONTENT:
      g_value_set_string (value, self->content);
      break;
    case PROP_TIMESTAMP:
      g_value_set_boxed (value, self->timestamp);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_DEVICE_NAME:
      g_value_set_string (value, self->device_name);
      break;
    case PROP_SPEAKER:
      g_value_set_string (value, self->speaker);
      break;
    case PROP_PERSON_ID:
      g_value_set_string (value, self->person_id);
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_interaction_item_class_init (MiraInteractionItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_interaction_item_finalize;
  object_class->get_property = mira_interaction_item_get_property;

  properties[PROP_INTERACTION_ID] =
    g_param_spec_string ("interaction-id", NULL, NULL, NULL, flags);
  properties[PROP_CONTENT] =
    g_param_spec_string ("content", NULL, NULL, NULL, flags);
  properties[PROP_TIMESTAMP] =
    g_param_spec_boxed ("timestamp", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL, NULL, flags);
  properties[PROP_DEVICE_NAME] =
    g_param_spec_string ("device-name", NULL, NULL, NULL, flags);
  properties[PROP_SPEAKER] =
    g_param_spec_string ("speaker", NULL, NULL, NULL, flags);
  properties[PROP_PERSON_ID] =
    g_param_spec_string ("person-id", NULL, NULL, NULL, flags);
  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_interaction_item_init (MiraInteractionItem *self)
{
}

MiraInteractionItem *
mira_interaction_item_new (const char *interaction_id)
{
  MiraInteractionItem *self;

  g_return_val_if_fail (interaction_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_INTERACTION_ITEM, NULL);
  self->interaction_id = g_strdup (interaction_id);
  return self;
}

void
mira_interaction_item_update (MiraInteractionItem *self,
                              JsonObject          *interaction)
{
  g_return_if_fail (MIRA_IS_INTERACTION_ITEM (self));
  g_return_if_fail (interaction != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  mira_update_string (G_OBJECT (self), &self->content, interaction, "content",
                      properties[PROP_CONTENT]);
  mira_update_string (G_OBJECT (self), &self->client_id, interaction, "client_id",
                      properties[PROP_CLIENT_ID]);
  mira_update_string (G_OBJECT (self), &self->person_id, interaction, "person_id",
                      properties[PROP_PERSON_ID]);
  mira_update_string (G_OBJECT (self), &self->conversation_id, interaction, "conversation_id",
                      properties[PROP_CONVERSATION_ID]);

  if (json_object_has_member (interaction, "timestamp"))
    {
      g_autoptr(GDateTime) timestamp = mira_json_dup_date_time (interaction, "timestamp");

      if (timestamp != NULL &&
          (self->timestamp == NULL || !g_date_time_equal (timestamp, self->timestamp)))
        {
          g_clear_pointer (&self->timestamp, g_date_time_unref);
          self->timestamp = g_steal_pointer (&timestamp);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMESTAMP]);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
mira_interaction_item_set_device_name (MiraInteractionItem *self,
                                       const char          *device_name)
{
  g_return_if_fail (MIRA_IS_INTERACTION_ITEM (self));

  if (mira_set_string (&self->device_name, device_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);
}

void
mira_interaction_item_set_speaker (MiraInteractionItem *self,
                                   const char          *speaker)
{
  g_return_if_fail (MIRA_IS_INTERACTION_ITEM (self));

  if (mira_set_string (&self->speaker, speaker))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKER]);
}

const char *
mira_interaction_item_get_interaction_id (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->interaction_id;
}

const char *
mira_interaction_item_get_content (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->content;
}

GDateTime *
mira_interaction_item_get_timestamp (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->timestamp;
}

const char *
mira_interaction_item_get_client_id (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->client_id;
}

const char *
mira_interaction_item_get_device_name (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->device_name;
}

const char *
mira_interaction_item_get_speaker (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->speaker;
}

const char *
mira_interaction_item_get_person_id (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->person_id;
}

const char *
mira_interaction_item_get_conversation_id (MiraInteractionItem *self)
{
  g_return_val_if_fail (MIRA_IS_INTERACTION_ITEM (self), NULL);
  return self->conversation_id;
}
