/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-person-item"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mira-core-private.h"
#include "mira-person-item.h"

struct _MiraPersonItem
{
  GObject  parent_instance;

  char    *person_id;
  char    *name;
  int      index;
  char    *display_name;
  int        conversation_count;
  GDateTime *last_heard;
  gboolean   has_voice;
};

G_DEFINE_FINAL_TYPE (MiraPersonItem, mira_person_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PERSON_ID,
  PROP_NAME,
  PROP_INDEX,
  PROP_DISPLAY_NAME,
  PROP_CONVERSATION_COUNT,
  PROP_LAST_HEARD,
  PROP_HAS_VOICE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_person_item_finalize (GObject *object)
{
  MiraPersonItem *self = MIRA_PERSON_ITEM (object);

  g_free (self->person_id);
  g_free (self->name);
  g_free (self->display_name);
  g_clear_pointer (&self->last_heard, g_date_time_unref);

  G_OBJECT_CLASS (mira_person_item_parent_class)->finalize (object);
}

static void
mira_person_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MiraPersonItem *self = MIRA_PERSON_ITEM (object);

  switch (prop_id)
    {
    case PROP_PERSON_ID:
      g_value_set_string (value, self->person_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_CONVERSATION_COUNT:
      g_value_set_int (value, self->conversation_count);
      break;
    case PROP_LAST_HEARD:
      g_value_set_boxed (value, self->last_heard);
      break;
    case PROP_HAS_VOICE:
      g_value_set_boolean (value, self->has_voice);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_person_item_class_init (MiraPersonItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_person_item_finalize;
  object_class->get_property = mira_person_item_get_property;

  properties[PROP_PERSON_ID] = g_param_spec_string ("person-id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_INDEX] = g_param_spec_int ("index", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_CONVERSATION_COUNT] = g_param_spec_int ("conversation-count", NULL, NULL,
                                                          0, G_MAXINT, 0, flags);
  properties[PROP_LAST_HEARD] = g_param_spec_boxed ("last-heard", NULL, NULL, G_TYPE_DATE_TIME,
                                                    flags);
  properties[PROP_HAS_VOICE] = g_param_spec_boolean ("has-voice", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_person_item_init (MiraPersonItem *self)
{
}

MiraPersonItem *
mira_person_item_new (const char *person_id)
{
  MiraPersonItem *self;

  g_return_val_if_fail (person_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_PERSON_ITEM, NULL);
  self->person_id = g_strdup (person_id);
  return self;
}

void
mira_person_item_update (MiraPersonItem *self,
                         JsonObject     *person)
{
  g_autofree char *display_name = NULL;

  g_return_if_fail (MIRA_IS_PERSON_ITEM (self));

  g_object_freeze_notify (G_OBJECT (self));

  if (json_object_has_member (person, "name"))
    {
      const char *name = mira_json_get_string (person, "name");

      if (name != NULL && name[0] == '\0')
        name = NULL;
      if (mira_set_string (&self->name, name))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
  if (json_object_has_member (person, "index"))
    {
      int index = (int) mira_json_get_double (person, "index", 0);

      if (index != self->index)
        {
          self->index = index;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEX]);
        }
    }

  if (json_object_has_member (person, "conversation_count"))
    {
      int count = (int) mira_json_get_double (person, "conversation_count", 0);

      if (count != self->conversation_count)
        {
          self->conversation_count = count;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_COUNT]);
        }
    }
  if (json_object_has_member (person, "last_heard_at") &&
      mira_set_date_time (&self->last_heard, mira_json_dup_date_time (person, "last_heard_at")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_HEARD]);
  if (json_object_has_member (person, "has_voice_signature"))
    {
      JsonNode *node = json_object_get_member (person, "has_voice_signature");
      gboolean has_voice = JSON_NODE_HOLDS_VALUE (node) &&
                           json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
                           json_node_get_boolean (node);

      if (has_voice != self->has_voice)
        {
          self->has_voice = has_voice;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_VOICE]);
        }
    }

  /* Translators: a person the server told apart by voice but nobody named yet */
  display_name = self->name ? g_strdup (self->name)
                             : g_strdup_printf (_("Speaker %d"), self->index);
  if (mira_set_string (&self->display_name, display_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
mira_person_item_get_person_id (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), NULL);
  return self->person_id;
}

const char *
mira_person_item_get_name (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), NULL);
  return self->name;
}

int
mira_person_item_get_index (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), 0);
  return self->index;
}

const char *
mira_person_item_get_display_name (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), NULL);
  return self->display_name;
}

int
mira_person_item_get_conversation_count (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), 0);
  return self->conversation_count;
}

GDateTime *
mira_person_item_get_last_heard (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), NULL);
  return self->last_heard;
}

gboolean
mira_person_item_get_has_voice (MiraPersonItem *self)
{
  g_return_val_if_fail (MIRA_IS_PERSON_ITEM (self), FALSE);
  return self->has_voice;
}
