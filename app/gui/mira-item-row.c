/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-item-row"

#include "config.h"

#include "mira-item-row.h"

typedef struct
{
  GObject *item;
} MiraItemRowPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MiraItemRow, mira_item_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_item_row_constructed (GObject *object)
{
  MiraItemRow *self = MIRA_ITEM_ROW (object);
  MiraItemRowPrivate *priv = mira_item_row_get_instance_private (self);

  G_OBJECT_CLASS (mira_item_row_parent_class)->constructed (object);

  g_assert (G_IS_OBJECT (priv->item));
  MIRA_ITEM_ROW_GET_CLASS (self)->bind (self, priv->item);
}

static void
mira_item_row_dispose (GObject *object)
{
  MiraItemRow *self = MIRA_ITEM_ROW (object);
  MiraItemRowPrivate *priv = mira_item_row_get_instance_private (self);

  g_clear_object (&priv->item);

  G_OBJECT_CLASS (mira_item_row_parent_class)->dispose (object);
}

static void
mira_item_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MiraItemRow *self = MIRA_ITEM_ROW (object);
  MiraItemRowPrivate *priv = mira_item_row_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, priv->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_item_row_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  MiraItemRow *self = MIRA_ITEM_ROW (object);
  MiraItemRowPrivate *priv = mira_item_row_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ITEM:
      priv->item = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_item_row_class_init (MiraItemRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = mira_item_row_constructed;
  object_class->dispose = mira_item_row_dispose;
  object_class->get_property = mira_item_row_get_property;
  object_class->set_property = mira_item_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, G_TYPE_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_item_row_init (MiraItemRow *self)
{
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self), 2);
}

gpointer
mira_item_row_get_item (MiraItemRow *self)
{
  MiraItemRowPrivate *priv = mira_item_row_get_instance_private (self);

  g_return_val_if_fail (MIRA_IS_ITEM_ROW (self), NULL);

  return priv->item;
}

