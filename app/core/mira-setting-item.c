/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-setting-item"

#include "config.h"

#include "mira-core-private.h"
#include "mira-setting-item.h"

struct _MiraSettingItem
{
  GObject   parent_instance;

  char     *key;
  GVariant *value;
};

G_DEFINE_FINAL_TYPE (MiraSettingItem, mira_setting_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KEY,
  PROP_VALUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_setting_item_finalize (GObject *object)
{
  MiraSettingItem *self = MIRA_SETTING_ITEM (object);

  g_free (self->key);
  g_clear_pointer (&self->value, g_variant_unref);

  G_OBJECT_CLASS (mira_setting_item_parent_class)->finalize (object);
}

static void
mira_setting_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MiraSettingItem *self = MIRA_SETTING_ITEM (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_VALUE:
      g_value_set_variant (value, self->value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_setting_item_class_init (MiraSettingItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_setting_item_finalize;
  object_class->get_property = mira_setting_item_get_property;

  properties[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, NULL, flags);
  properties[PROP_VALUE] = g_param_spec_variant ("value", NULL, NULL, G_VARIANT_TYPE_ANY, NULL,
                                                 flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_setting_item_init (MiraSettingItem *self)
{
}

MiraSettingItem *
mira_setting_item_new (const char *key)
{
  MiraSettingItem *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (MIRA_TYPE_SETTING_ITEM, NULL);
  self->key = g_strdup (key);
  return self;
}

/* JSON values as the few GVariant types widgets need */
static GVariant *
variant_from_json (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          return g_variant_new_string (json_node_get_string (node));
        case G_TYPE_BOOLEAN:
          return g_variant_new_boolean (json_node_get_boolean (node));
        case G_TYPE_INT64:
          return g_variant_new_double ((double) json_node_get_int (node));
        case G_TYPE_DOUBLE:
          return g_variant_new_double (json_node_get_double (node));
        default:
          break;
        }
    }
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  {
    g_autofree char *text = json_to_string (node, FALSE);

    return g_variant_new_string (text);
  }
}

void
mira_setting_item_update (MiraSettingItem *self,
                          JsonObject      *setting)
{
  JsonNode *node;
  g_autoptr(GVariant) value = NULL;

  g_return_if_fail (MIRA_IS_SETTING_ITEM (self));

  node = json_object_get_member (setting, "value");
  if (node == NULL)
    return;
  value = variant_from_json (node);
  if (value != NULL)
    g_variant_ref_sink (value);
  if (self->value == value ||
      (self->value != NULL && value != NULL && g_variant_equal (self->value, value)))
    return;
  g_clear_pointer (&self->value, g_variant_unref);
  self->value = g_steal_pointer (&value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

const char *
mira_setting_item_get_key (MiraSettingItem *self)
{
  g_return_val_if_fail (MIRA_IS_SETTING_ITEM (self), NULL);
  return self->key;
}

GVariant *
mira_setting_item_get_value (MiraSettingItem *self)
{
  g_return_val_if_fail (MIRA_IS_SETTING_ITEM (self), NULL);
  return self->value;
}

const char *
mira_setting_item_get_string (MiraSettingItem *self)
{
  g_return_val_if_fail (MIRA_IS_SETTING_ITEM (self), NULL);

  if (self->value == NULL || !g_variant_is_of_type (self->value, G_VARIANT_TYPE_STRING))
    return NULL;
  return g_variant_get_string (self->value, NULL);
}

double
mira_setting_item_get_number (MiraSettingItem *self,
                              double           fallback)
{
  g_return_val_if_fail (MIRA_IS_SETTING_ITEM (self), fallback);

  if (self->value == NULL || !g_variant_is_of_type (self->value, G_VARIANT_TYPE_DOUBLE))
    return fallback;
  return g_variant_get_double (self->value);
}
