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
};

G_DEFINE_FINAL_TYPE (MiraPersonItem, mira_person_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PERSON_ID,
  PROP_NAME,
  PROP_INDEX,
  PROP_DISPLAY_NAME,
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
