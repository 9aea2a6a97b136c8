/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-synced-list"

#include "mira-synced-list.h"

#include "mira-core-private.h"

typedef struct {
  char    *id;
  GObject *item;
} Entry;

struct _MiraSyncedList
{
  GObject               parent_instance;

  const MiraSyncedType *type;
  GPtrArray            *entries;  /* Entry, oldest first */
  GHashTable           *by_id;    /* id → Entry, borrowed from entries */
};

static void mira_synced_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraSyncedList, mira_synced_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      mira_synced_list_model_init))

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->id);
  g_object_unref (entry->item);
  g_free (entry);
}

static Entry *
entry_new (MiraSyncedList *self,
           const char     *id)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->id = g_strdup (id);
  entry->item = self->type->new_item (id);
  return entry;
}

static GType
mira_synced_list_get_item_type (GListModel *model)
{
  return MIRA_SYNCED_LIST (model)->type->item_type ();
}

static guint
mira_synced_list_get_n_items (GListModel *model)
{
  return MIRA_SYNCED_LIST (model)->entries->len;
}

static gpointer
mira_synced_list_get_item (GListModel *model,
                           guint       position)
{
  MiraSyncedList *self = MIRA_SYNCED_LIST (model);
  Entry *entry;

  if (position >= self->entries->len)
    return NULL;
  entry = g_ptr_array_index (self->entries, position);
  return g_object_ref (entry->item);
}

static void
mira_synced_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = mira_synced_list_get_item_type;
  iface->get_n_items = mira_synced_list_get_n_items;
  iface->get_item = mira_synced_list_get_item;
}

static void
mira_synced_list_finalize (GObject *object)
{
  MiraSyncedList *self = MIRA_SYNCED_LIST (object);

  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->entries);

  G_OBJECT_CLASS (mira_synced_list_parent_class)->finalize (object);
}

static void
mira_synced_list_class_init (MiraSyncedListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_synced_list_finalize;
}

static void
mira_synced_list_init (MiraSyncedList *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

MiraSyncedList *
mira_synced_list_new (const MiraSyncedType *type)
{
  MiraSyncedList *self;

  g_return_val_if_fail (type != NULL, NULL);

  self = g_object_new (MIRA_TYPE_SYNCED_LIST, NULL);
  self->type = type;
  return self;
}

const MiraSyncedType *
mira_synced_list_get_synced_type (MiraSyncedList *self)
{
  g_return_val_if_fail (MIRA_IS_SYNCED_LIST (self), NULL);
  return self->type;
}

gpointer
mira_synced_list_lookup (MiraSyncedList *self,
                         const char     *id)
{
  Entry *entry;

  g_return_val_if_fail (MIRA_IS_SYNCED_LIST (self), NULL);

  if (id == NULL)
    return NULL;
  entry = g_hash_table_lookup (self->by_id, id);
  return entry != NULL ? entry->item : NULL;
}

/* Removes @n entries from @position, without notifying */
static void
remove_range (MiraSyncedList *self,
              guint           position,
              guint           n)
{
  for (guint i = position; i < position + n; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      g_hash_table_remove (self->by_id, entry->id);
    }
  g_ptr_array_remove_range (self->entries, position, n);
}

gpointer
mira_synced_list_upsert (MiraSyncedList *self,
                         JsonObject     *object)
{
  const char *id;
  Entry *entry;

  g_return_val_if_fail (MIRA_IS_SYNCED_LIST (self), NULL);
  g_return_val_if_fail (object != NULL, NULL);

  id = mira_json_get_string (object, self->type->id_member);
  if (id == NULL)
    return NULL;

  entry = g_hash_table_lookup (self->by_id, id);
  if (entry != NULL)
    {
      self->type->update_item (entry->item, object);
      return entry->item;
    }

  /* At the cap, the oldest make room first */
  if (self->type->max_items > 0 && self->entries->len >= self->type->max_items)
    {
      guint excess = self->entries->len - self->type->max_items + 1;

      remove_range (self, 0, excess);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, excess, 0);
    }

  entry = entry_new (self, id);
  self->type->update_item (entry->item, object);
  g_ptr_array_add (self->entries, entry);
  g_hash_table_insert (self->by_id, entry->id, entry);
  g_list_model_items_changed (G_LIST_MODEL (self), self->entries->len - 1, 0, 1);
  return entry->item;
}

gboolean
mira_synced_list_remove (MiraSyncedList *self,
                         const char     *id)
{
  Entry *entry;
  guint position;

  g_return_val_if_fail (MIRA_IS_SYNCED_LIST (self), FALSE);

  entry = id != NULL ? g_hash_table_lookup (self->by_id, id) : NULL;
  if (entry == NULL || !g_ptr_array_find (self->entries, entry, &position))
    return FALSE;
  remove_range (self, position, 1);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  return TRUE;
}

void
mira_synced_list_reload (MiraSyncedList *self,
                         JsonArray      *items,
                         gboolean        complete)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) old_items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = json_array_get_length (items);
  gboolean same;

  g_return_if_fail (MIRA_IS_SYNCED_LIST (self));
  g_return_if_fail (items != NULL);

  /* Whether anything moved is told by the items, which outlive the entries */
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (old_items,
                     g_object_ref (((Entry *) g_ptr_array_index (self->entries, i))->item));

  /* A page of the newest: what came before the first item shown again is
   * older than the page, not gone, and stays in front of it
   */
  if (!complete)
    {
      g_autoptr(GHashTable) page = g_hash_table_new (g_str_hash, g_str_equal);
      guint keep = 0;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *node = json_array_get_element (items, i);
          const char *id;

          if (JSON_NODE_HOLDS_OBJECT (node) &&
              (id = mira_json_get_string (json_node_get_object (node),
                                          self->type->id_member)) != NULL)
            g_hash_table_add (page, (gpointer) id);
        }
      while (keep < self->entries->len &&
             !g_hash_table_contains (page,
                                     ((Entry *) g_ptr_array_index (self->entries, keep))->id))
        keep++;
      for (guint i = 0; i < keep; i++)
        {
          Entry *entry = g_ptr_array_steal_index (self->entries, 0);

          g_hash_table_remove (self->by_id, entry->id);
          g_ptr_array_add (entries, entry);
          g_hash_table_insert (by_id, entry->id, entry);
        }
    }

  for (guint k = 0; k < n; k++)
    {
      guint i = self->type->newest_first ? n - 1 - k : k;
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *object;
      const char *id;
      Entry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      id = mira_json_get_string (object, self->type->id_member);
      if (id == NULL || g_hash_table_contains (by_id, id))
        continue;

      /* An item already shown moves over to the new array: same object */
      entry = g_hash_table_lookup (self->by_id, id);
      if (entry != NULL)
        {
          guint position;

          g_hash_table_remove (self->by_id, id);
          g_ptr_array_find (self->entries, entry, &position);
          entry = g_ptr_array_steal_index (self->entries, position);
        }
      else
        entry = entry_new (self, id);
      self->type->update_item (entry->item, object);
      g_ptr_array_add (entries, entry);
      g_hash_table_insert (by_id, entry->id, entry);
    }

  if (self->type->max_items > 0 && entries->len > self->type->max_items)
    {
      guint excess = entries->len - self->type->max_items;

      for (guint i = 0; i < excess; i++)
        g_hash_table_remove (by_id, ((Entry *) g_ptr_array_index (entries, i))->id);
      g_ptr_array_remove_range (entries, 0, excess);
    }

  same = old_items->len == entries->len;
  for (guint i = 0; same && i < entries->len; i++)
    same = g_ptr_array_index (old_items, i) == ((Entry *) g_ptr_array_index (entries, i))->item;

  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->by_id);
  self->entries = g_steal_pointer (&entries);
  self->by_id = g_steal_pointer (&by_id);

  if (!same)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_items->len, self->entries->len);
}
