/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-client-item"

#include "mira-core-private.h"

struct _MiraClientItem
{
  GObject           parent_instance;

  char             *client_id;
  char             *name;          /* device_info.name, or NULL */
  char             *device_type;
  MiraClientStatus  status;
  gboolean          is_self;
  gboolean          is_best;
  double            quality_score;
  GDateTime        *last_seen;

  /* MiraScorePoint, oldest first, none older than MIRA_SCORE_HISTORY_US
   * before the newest
   */
  GArray           *history;
};

G_DEFINE_FINAL_TYPE (MiraClientItem, mira_client_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT_ID,
  PROP_DISPLAY_NAME,
  PROP_DEVICE_TYPE,
  PROP_ICON_NAME,
  PROP_STATUS,
  PROP_IS_SELF,
  PROP_IS_BEST,
  PROP_QUALITY_SCORE,
  PROP_LAST_SEEN,
  N_PROPS
};

enum {
  HISTORY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
mira_client_item_finalize (GObject *object)
{
  MiraClientItem *self = MIRA_CLIENT_ITEM (object);

  g_free (self->client_id);
  g_free (self->name);
  g_free (self->device_type);
  g_clear_pointer (&self->last_seen, g_date_time_unref);
  g_array_unref (self->history);

  G_OBJECT_CLASS (mira_client_item_parent_class)->finalize (object);
}

static void
mira_client_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MiraClientItem *self = MIRA_CLIENT_ITEM (object);

  switch (prop_id)
    {
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, mira_client_item_get_display_name (self));
      break;
    case PROP_DEVICE_TYPE:
      g_value_set_string (value, self->device_type);
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, mira_client_item_get_icon_name (self));
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_IS_SELF:
      g_value_set_boolean (value, self->is_self);
      break;
    case PROP_IS_BEST:
      g_value_set_boolean (value, self->is_best);
      break;
    case PROP_QUALITY_SCORE:
      g_value_set_double (value, self->quality_score);
      break;
    case PROP_LAST_SEEN:
      g_value_set_boxed (value, self->last_seen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_client_item_class_init (MiraClientItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mira_client_item_finalize;
  object_class->get_property = mira_client_item_get_property;

  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_TYPE] =
    g_param_spec_string ("device-type", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       MIRA_TYPE_CLIENT_STATUS, MIRA_CLIENT_STATUS_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_SELF] =
    g_param_spec_boolean ("is-self", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_BEST] =
    g_param_spec_boolean ("is-best", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_QUALITY_SCORE] =
    g_param_spec_double ("quality-score", NULL, NULL, -1, 1, -1,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEEN] =
    g_param_spec_boxed ("last-seen", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MiraClientItem::history-changed:
   *
   * The score history gained a point or dropped old ones; read it again
   * with mira_client_item_get_history().
   */
  signals[HISTORY_CHANGED] =
    g_signal_new ("history-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mira_client_item_init (MiraClientItem *self)
{
  self->quality_score = -1;
  self->history = g_array_new (FALSE, FALSE, sizeof (MiraScorePoint));
}

MiraClientItem *
mira_client_item_new (const char *client_id)
{
  MiraClientItem *self;

  g_return_val_if_fail (client_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_CLIENT_ITEM, NULL);
  self->client_id = g_strdup (client_id);
  return self;
}

const char *
mira_client_item_get_client_id (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);
  return self->client_id;
}

const char *
mira_client_item_get_display_name (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);
  return self->name != NULL ? self->name : self->client_id;
}

const char *
mira_client_item_get_device_type (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);
  return self->device_type;
}

const char *
mira_client_item_get_icon_name (MiraClientItem *self)
{
  /* Icons of the Adwaita icon theme, present in every GNOME runtime */
  static const struct {
    const char *device_type;
    const char *icon_name;
  } icons[] = {
    { "phone", "phone-symbolic" },
    { "tablet", "tablet-symbolic" },
    { "laptop", "computer-symbolic" },
    { "desktop", "computer-symbolic" },
    { "computer", "computer-symbolic" },
    { "speaker", "audio-speakers-symbolic" },
    { "headset", "audio-headset-symbolic" },
    { "tv", "tv-symbolic" },
    { "microphone", "audio-input-microphone-symbolic" },
    { "wearable", "audio-input-microphone-symbolic" },
  };

  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (icons); i++)
    if (g_strcmp0 (self->device_type, icons[i].device_type) == 0)
      return icons[i].icon_name;
  return "audio-input-microphone-symbolic";
}

MiraClientStatus
mira_client_item_get_status (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), MIRA_CLIENT_STATUS_DISCONNECTED);
  return self->status;
}

gboolean
mira_client_item_get_is_self (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), FALSE);
  return self->is_self;
}

gboolean
mira_client_item_get_is_best (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), FALSE);
  return self->is_best;
}

double
mira_client_item_get_quality_score (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), -1);
  return self->quality_score;
}

GDateTime *
mira_client_item_get_last_seen (MiraClientItem *self)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);
  return self->last_seen;
}

const MiraScorePoint *
mira_client_item_get_history (MiraClientItem *self,
                              guint          *n_points)
{
  g_return_val_if_fail (MIRA_IS_CLIENT_ITEM (self), NULL);
  g_return_val_if_fail (n_points != NULL, NULL);

  *n_points = self->history->len;
  return (const MiraScorePoint *) (gpointer) self->history->data;
}

static MiraClientStatus
status_from_string (const char *text)
{
  if (g_strcmp0 (text, "connected") == 0)
    return MIRA_CLIENT_STATUS_CONNECTED;
  if (g_strcmp0 (text, "error") == 0)
    return MIRA_CLIENT_STATUS_ERROR;
  return MIRA_CLIENT_STATUS_DISCONNECTED;
}

void
mira_client_item_update (MiraClientItem *self,
                         JsonObject     *client)
{
  JsonObject *device_info = NULL;
  JsonNode *node;
  const char *name = NULL;

  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));
  g_return_if_fail (client != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  node = json_object_get_member (client, "device_info");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      device_info = json_node_get_object (node);
      name = mira_json_get_string (device_info, "name");
      if (name != NULL && name[0] == '\0')
        name = NULL;
    }
  if (node != NULL && mira_set_string (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);

  if (json_object_has_member (client, "device_type") &&
      mira_set_string (&self->device_type, mira_json_get_string (client, "device_type")))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_TYPE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
    }

  if (json_object_has_member (client, "connection_status"))
    mira_client_item_set_status (self,
                                 status_from_string (mira_json_get_string (client,
                                                                           "connection_status")));

  if (json_object_has_member (client, "last_seen"))
    {
      g_autoptr(GDateTime) last_seen = mira_json_dup_date_time (client, "last_seen");

      if (!(last_seen == NULL && self->last_seen == NULL) &&
          (last_seen == NULL || self->last_seen == NULL ||
           !g_date_time_equal (last_seen, self->last_seen)))
        {
          g_clear_pointer (&self->last_seen, g_date_time_unref);
          self->last_seen = g_steal_pointer (&last_seen);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN]);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
mira_client_item_set_status (MiraClientItem   *self,
                             MiraClientStatus  status)
{
  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));

  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

void
mira_client_item_set_is_self (MiraClientItem *self,
                              gboolean        is_self)
{
  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));

  is_self = !!is_self;
  if (self->is_self == is_self)
    return;
  self->is_self = is_self;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_SELF]);
}

void
mira_client_item_set_is_best (MiraClientItem *self,
                              gboolean        is_best)
{
  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));

  is_best = !!is_best;
  if (self->is_best == is_best)
    return;
  self->is_best = is_best;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_BEST]);
}

void
mira_client_item_add_score (MiraClientItem *self,
                            gint64          time_us,
                            double          score)
{
  MiraScorePoint point = { time_us, CLAMP (score, 0, 1) };
  gint64 oldest_us = time_us - MIRA_SCORE_HISTORY_US;
  guint old = 0;

  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));

  while (old < self->history->len &&
         g_array_index (self->history, MiraScorePoint, old).time_us < oldest_us)
    old++;
  if (old > 0)
    g_array_remove_range (self->history, 0, old);
  g_array_append_val (self->history, point);

  mira_client_item_set_quality_score (self, point.score);
  g_signal_emit (self, signals[HISTORY_CHANGED], 0);
}

void
mira_client_item_set_quality_score (MiraClientItem *self,
                                    double          score)
{
  g_return_if_fail (MIRA_IS_CLIENT_ITEM (self));

  score = score < 0 ? -1 : MIN (score, 1);
  if (self->quality_score == score)
    return;
  self->quality_score = score;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUALITY_SCORE]);
}
