/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* MiraSyncedList: a GListModel of typed items, keyed by the entity's id,
 * that MiraConnection fills from a REST list and then keeps in sync from the
 * event socket's <entity>_created, _updated and _deleted events. One
 * MiraSyncedType per kind of entity says how its JSON becomes an item;
 * adding a synced model is one more MiraSyncedType.
 */

typedef struct {
  /* The entity's name in events: "person" for person_created {person} */
  const char *entity;
  /* The REST list under /api/v1/{network_id}/, with its query,
   * e.g. "persons?limit=500"
   */
  const char *list_path;
  /* The id member of the entity's JSON: "id" or "client_id" */
  const char *id_member;
  GType     (*item_type)   (void);
  /* A new, empty item for @id; update() fills it */
  gpointer  (*new_item)    (const char *id);
  /* Updates @item from the entity's JSON; members absent keep their value */
  void      (*update_item) (gpointer    item,
                            JsonObject *object);
  /* TRUE when the REST list comes newest first; the model is oldest first */
  gboolean    newest_first;
  /* 0: no cap; else the oldest items are dropped beyond this */
  guint       max_items;
  /* Events besides <entity>_created and _updated that carry the entity
   * and update it (NULL-terminated, or NULL)
   */
  const char * const *upsert_events;
  /* Events besides <entity>_deleted that remove it (or NULL) */
  const char * const *remove_events;
} MiraSyncedType;

#define MIRA_TYPE_SYNCED_LIST (mira_synced_list_get_type ())
G_DECLARE_FINAL_TYPE (MiraSyncedList, mira_synced_list, MIRA, SYNCED_LIST, GObject)

MiraSyncedList       *mira_synced_list_new        (const MiraSyncedType *type);
const MiraSyncedType *mira_synced_list_get_synced_type (MiraSyncedList *self);
/* The item of @id, or NULL (borrowed) */
gpointer              mira_synced_list_lookup     (MiraSyncedList       *self,
                                                   const char           *id);
/* Updates the item of @object's id, or appends a new one; returns it
 * (borrowed), or NULL when @object has no id.
 */
gpointer              mira_synced_list_upsert     (MiraSyncedList       *self,
                                                   JsonObject           *object);
/* Removes the item of @id; FALSE when there was none */
gboolean              mira_synced_list_remove     (MiraSyncedList       *self,
                                                   const char           *id);
/* Makes the model hold @items (the REST list's "items", in its order):
 * items already present are updated in place and keep their identity,
 * others are created. With @complete (the list had every item) the rest
 * are removed; else @items is the newest page, and items shown before the
 * first of them stay in front (older than the page), the others go.
 */
void                  mira_synced_list_reload     (MiraSyncedList       *self,
                                                   JsonArray            *items,
                                                   gboolean              complete);

G_END_DECLS
