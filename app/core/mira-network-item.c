/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-network-item"

#include "config.h"

#include "mira-core-private.h"
#include "mira-network-item.h"

struct _MiraNetworkItem
{
  GObject            parent_instance;

  char              *network_id;
  char              *name;
  char              *description;
  MiraNetworkStatus  status;
  guint              client_count;
  GDateTime         *created_at;
  GDateTime         *last_activity;
};

G_DEFINE_FINAL_TYPE (MiraNetworkItem, mira_network_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NETWORK_ID,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_STATUS,
  PROP_CLIENT_COUNT,
  PROP_CREATED_AT,
  PROP_LAST_ACTIVITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_network_item_finalize (GObject *object)
{
  MiraNetworkItem *self = MIRA_NETWORK_ITEM (object);

  g_free (self->network_id);
  g_free (self->name);
  g_free (self->description);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->last_activity, g_date_time_unref);

  G_OBJECT_CLASS (mira_network_item_parent_class)->finalize (object);
}

static void
mira_network_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MiraNetworkItem *self = MIRA_NETWORK_ITEM (object);

  switch (prop_id)
    {
    case PROP_NETWORK_ID:
      g_value_set_string (value, self->network_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_CLIENT_COUNT:
      g_value_set_uint (value, self->client_count);
      break;
    case PROP_CREATED_AT:
      g_value_set_boxed (value, self->created_at);
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_boxed (value, self->last_activity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_network_item_class_init (MiraNetworkItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_network_item_finalize;
  object_class->get_property = mira_network_item_get_property;

  properties[PROP_NETWORK_ID] = g_param_spec_string ("network-id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, MIRA_TYPE_NETWORK_STATUS,
                                               MIRA_NETWORK_STATUS_ACTIVE, flags);
  properties[PROP_CLIENT_COUNT] = g_param_spec_uint ("client-count", NULL, NULL,
                                                     0, G_MAXUINT, 0, flags);
  properties[PROP_CREATED_AT] = g_param_spec_boxed ("created-at", NULL, NULL,
                                                    G_TYPE_DATE_TIME, flags);
  properties[PROP_LAST_ACTIVITY] = g_param_spec_boxed ("last-activity", NULL, NULL,
                                                       G_TYPE_DATE_TIME, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_network_item_init (MiraNetworkItem *self)
{
}

MiraNetworkItem *
mira_network_item_new (const char *network_id)
{
  MiraNetworkItem *self;

  g_return_val_if_fail (network_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_NETWORK_ITEM, NULL);
  self->network_id = g_strdup (network_id);
  return self;
}

static gboolean
set_date_time (GDateTime  **field,
               JsonObject  *object,
               const char  *member)
{
  g_autoptr(GDateTime) value = mira_json_dup_date_time (object, member);

  if (*field == value || (*field != NULL && value != NULL && g_date_time_equal (*field, value)))
    return FALSE;
  g_clear_pointer (field, g_date_time_unref);
  *field = g_steal_pointer (&value);
  return TRUE;
}

MiraNetworkStatus
mira_network_status_from_string (const char *status)
{
  if (g_strcmp0 (status, "suspended") == 0)
    return MIRA_NETWORK_STATUS_SUSPENDED;
  if (g_strcmp0 (status, "inactive") == 0)
    return MIRA_NETWORK_STATUS_INACTIVE;
  return MIRA_NETWORK_STATUS_ACTIVE;
}

void
mira_network_item_update (MiraNetworkItem *self,
                          JsonObject      *network)
{
  g_return_if_fail (MIRA_IS_NETWORK_ITEM (self));

  g_object_freeze_notify (G_OBJECT (self));

  if (json_object_has_member (network, "name") &&
      mira_set_string (&self->name, mira_json_get_string (network, "name")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  if (json_object_has_member (network, "description"))
    {
      const char *description = mira_json_get_string (network, "description");

      if (description != NULL && description[0] == '\0')
        description = NULL;
      if (mira_set_string (&self->description, description))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
    }
  if (json_object_has_member (network, "status"))
    {
      MiraNetworkStatus status =
        mira_network_status_from_string (mira_json_get_string (network, "status"));

      if (status != self->status)
        {
          self->status = status;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
        }
    }
  if (json_object_has_member (network, "client_count"))
    {
      guint count = (guint) MAX (mira_json_get_double (network, "client_count", 0), 0);

      if (count != self->client_count)
        {
          self->client_count = count;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_COUNT]);
        }
    }
  if (json_object_has_member (network, "created_at") &&
      set_date_time (&self->created_at, network, "created_at"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
  if (json_object_has_member (network, "last_activity") &&
      set_date_time (&self->last_activity, network, "last_activity"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
mira_network_item_get_network_id (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), NULL);
  return self->network_id;
}

const char *
mira_network_item_get_name (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), NULL);
  return self->name;
}

const char *
mira_network_item_get_description (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), NULL);
  return self->description;
}

MiraNetworkStatus
mira_network_item_get_status (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), MIRA_NETWORK_STATUS_ACTIVE);
  return self->status;
}

guint
mira_network_item_get_client_count (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), 0);
  return self->client_count;
}

GDateTime *
mira_network_item_get_created_at (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), NULL);
  return self->created_at;
}

GDateTime *
mira_network_item_get_last_activity (MiraNetworkItem *self)
{
  g_return_val_if_fail (MIRA_IS_NETWORK_ITEM (self), NULL);
  return self->last_activity;
}
