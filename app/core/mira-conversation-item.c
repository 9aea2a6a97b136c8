/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-conversation-item"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mira-conversation-item.h"
#include "mira-core-private.h"

struct _MiraConversationItem
{
  GObject    parent_instance;

  char      *conversation_id;
  char      *title;
  char      *display_title;
  char      *topic_summary;
  gboolean   is_open;
  GStrv      participants;
  char      *participant_names;
  int        interaction_count;
  GDateTime *created_at;
  GDateTime *last_interaction_at;
};

G_DEFINE_FINAL_TYPE (MiraConversationItem, mira_conversation_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONVERSATION_ID,
  PROP_TITLE,
  PROP_DISPLAY_TITLE,
  PROP_TOPIC_SUMMARY,
  PROP_IS_OPEN,
  PROP_PARTICIPANTS,
  PROP_PARTICIPANT_NAMES,
  PROP_INTERACTION_COUNT,
  PROP_CREATED_AT,
  PROP_LAST_INTERACTION_AT,
  PROP_SORT_TIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_conversation_item_finalize (GObject *object)
{
  MiraConversationItem *self = MIRA_CONVERSATION_ITEM (object);

  g_free (self->conversation_id);
  g_free (self->title);
  g_free (self->display_title);
  g_free (self->topic_summary);
  g_strfreev (self->participants);
  g_free (self->participant_names);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->last_interaction_at, g_date_time_unref);

  G_OBJECT_CLASS (mira_conversation_item_parent_class)->finalize (object);
}

static void
mira_conversation_item_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MiraConversationItem *self = MIRA_CONVERSATION_ITEM (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_DISPLAY_TITLE:
      g_value_set_string (value, self->display_title);
      break;
    case PROP_TOPIC_SUMMARY:
      g_value_set_string (value, self->topic_summary);
      break;
    case PROP_IS_OPEN:
      g_value_set_boolean (value, self->is_open);
      break;
    case PROP_PARTICIPANTS:
      g_value_set_boxed (value, self->participants);
      break;
    case PROP_PARTICIPANT_NAMES:
      g_value_set_string (value, self->participant_names);
      break;
    case PROP_INTERACTION_COUNT:
      g_value_set_int (value, self->interaction_count);
      break;
    case PROP_CREATED_AT:
      g_value_set_boxed (value, self->created_at);
      break;
    case PROP_LAST_INTERACTION_AT:
      g_value_set_boxed (value, self->last_interaction_at);
      break;
    case PROP_SORT_TIME:
      g_value_set_int64 (value, mira_conversation_item_get_sort_time (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_conversation_item_class_init (MiraConversationItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_conversation_item_finalize;
  object_class->get_property = mira_conversation_item_get_property;

  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_TITLE] = g_param_spec_string ("display-title", NULL, NULL, NULL, flags);
  properties[PROP_TOPIC_SUMMARY] = g_param_spec_string ("topic-summary", NULL, NULL, NULL, flags);
  properties[PROP_IS_OPEN] = g_param_spec_boolean ("is-open", NULL, NULL, FALSE, flags);
  properties[PROP_PARTICIPANTS] = g_param_spec_boxed ("participants", NULL, NULL, G_TYPE_STRV,
                                                      flags);
  properties[PROP_PARTICIPANT_NAMES] =
    g_param_spec_string ("participant-names", NULL, NULL, NULL, flags);
  properties[PROP_INTERACTION_COUNT] =
    g_param_spec_int ("interaction-count", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_CREATED_AT] = g_param_spec_boxed ("created-at", NULL, NULL, G_TYPE_DATE_TIME,
                                                    flags);
  properties[PROP_LAST_INTERACTION_AT] =
    g_param_spec_boxed ("last-interaction-at", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_SORT_TIME] = g_param_spec_int64 ("sort-time", NULL, NULL,
                                                   G_MININT64, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_conversation_item_init (MiraConversationItem *self)
{
}

MiraConversationItem *
mira_conversation_item_new (const char *conversation_id)
{
  MiraConversationItem *self;

  g_return_val_if_fail (conversation_id != NULL, NULL);

  self = g_object_new (MIRA_TYPE_CONVERSATION_ITEM, NULL);
  self->conversation_id = g_strdup (conversation_id);
  return self;
}

void
mira_conversation_item_update (MiraConversationItem *self,
                               JsonObject           *conversation)
{
  g_autofree char *display_title = NULL;

  g_return_if_fail (MIRA_IS_CONVERSATION_ITEM (self));
  g_return_if_fail (conversation != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  mira_update_string (G_OBJECT (self), &self->title, conversation, "title",
                      properties[PROP_TITLE]);
  mira_update_string (G_OBJECT (self), &self->topic_summary, conversation, "topic_summary",
                      properties[PROP_TOPIC_SUMMARY]);
  /* Either time may move the conversation in the list (its sort time) */
  mira_update_date_time (G_OBJECT (self), &self->created_at, conversation, "created_at",
                         properties[PROP_CREATED_AT], properties[PROP_SORT_TIME]);
  mira_update_date_time (G_OBJECT (self), &self->last_interaction_at, conversation,
                         "last_interaction_at", properties[PROP_LAST_INTERACTION_AT],
                         properties[PROP_SORT_TIME]);

  if (json_object_has_member (conversation, "status"))
    {
      gboolean is_open = g_strcmp0 (mira_json_get_string (conversation, "status"), "open") == 0;

      if (is_open != self->is_open)
        {
          self->is_open = is_open;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_OPEN]);
        }
    }
  if (json_object_has_member (conversation, "interaction_count"))
    {
      int count = (int) mira_json_get_double (conversation, "interaction_count", 0);

      if (count != self->interaction_count)
        {
          self->interaction_count = count;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERACTION_COUNT]);
        }
    }
  if (json_object_has_member (conversation, "participants"))
    {
      g_auto(GStrv) participants = mira_json_dup_strv (conversation, "participants");

      if (!mira_strv_equal (participants, self->participants))
        {
          g_strfreev (self->participants);
          self->participants = g_steal_pointer (&participants);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANTS]);
        }
    }

  /* Until the server titles it when it closes */
  display_title = g_strdup (self->title ? self->title : _("Untitled Conversation"));
  if (mira_set_string (&self->display_title, display_title))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_TITLE]);

  g_object_thaw_notify (G_OBJECT (self));
}

void
mira_conversation_item_set_participant_names (MiraConversationItem *self,
                                              const char           *names)
{
  g_return_if_fail (MIRA_IS_CONVERSATION_ITEM (self));

  if (mira_set_string (&self->participant_names, names))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANT_NAMES]);
}

const char *
mira_conversation_item_get_conversation_id (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->conversation_id;
}

const char *
mira_conversation_item_get_title (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->title;
}

const char *
mira_conversation_item_get_display_title (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->display_title;
}

const char *
mira_conversation_item_get_topic_summary (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->topic_summary;
}

gboolean
mira_conversation_item_get_is_open (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), FALSE);
  return self->is_open;
}

const char * const *
mira_conversation_item_get_participants (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return (const char * const *) self->participants;
}

const char *
mira_conversation_item_get_participant_names (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->participant_names;
}

int
mira_conversation_item_get_interaction_count (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), 0);
  return self->interaction_count;
}

GDateTime *
mira_conversation_item_get_created_at (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->created_at;
}

GDateTime *
mira_conversation_item_get_last_interaction_at (MiraConversationItem *self)
{
  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), NULL);
  return self->last_interaction_at;
}

gint64
mira_conversation_item_get_sort_time (MiraConversationItem *self)
{
  GDateTime *time;

  g_return_val_if_fail (MIRA_IS_CONVERSATION_ITEM (self), 0);

  time = self->last_interaction_at ? self->last_interaction_at : self->created_at;
  return time ? mira_date_time_to_usec (time) : 0;
}
