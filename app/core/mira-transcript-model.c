/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-transcript-model"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "mira-core-private.h"
#include "mira-transcript-model.h"

/* Pages count from the newest: page b holds the interactions at offsets
 * [b × size, (b + 1) × size) of the API's newest-first list, read with
 * until= the newest one's time when the model opened, so that they never
 * shift. Position i of the model (oldest first) is offset total − 1 − i.
 */
typedef struct {
  GPtrArray *items;     /* MiraInteractionItem, newest first */
  gboolean   loaded;
  guint64    last_used;
} Page;

struct _MiraTranscriptModel
{
  GObject         parent_instance;

  MiraConnection *connection;
  char           *conversation_id;
  GCancellable   *cancellable;

  gboolean        loading;
  GError         *error;
  guint           total;       /* interactions up to until */
  char           *until;       /* the newest one's time as the server wrote it */
  GDateTime      *until_time;
  GHashTable     *pages;       /* page number → Page */
  guint64         clock;
  guint           n_pages_read;
  GPtrArray      *appended;    /* MiraInteractionItem: created after it opened */
  GHashTable     *appended_ids;
};

static void mira_transcript_model_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraTranscriptModel, mira_transcript_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      mira_transcript_model_model_init))

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_CONVERSATION_ID,
  PROP_LOADING,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
page_free (gpointer data)
{
  Page *page = data;

  g_ptr_array_unref (page->items);
  g_free (page);
}

static void
set_error (MiraTranscriptModel *self,
           const GError        *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/* The list of interactions, newest first, from @offset */
static char *
page_path (MiraTranscriptModel *self,
           guint                offset,
           guint                limit)
{
  g_autofree char *network = g_uri_escape_string (mira_connection_get_network_id (self->connection),
                                                  NULL, FALSE);
  g_autofree char *conversation = g_uri_escape_string (self->conversation_id, NULL, FALSE);
  g_autofree char *until = self->until ? g_uri_escape_string (self->until, NULL, FALSE) : NULL;

  return g_strdup_printf ("%s/interactions?conversation_id=%s&limit=%u&offset=%u%s%s",
                          network, conversation, limit, offset,
                          until ? "&until=" : "", until ? until : "");
}

static MiraInteractionItem *
placeholder_new (void)
{
  return mira_interaction_item_new ("");
}

/* Fills @page from the API's items (newest first) */
static void
page_fill (MiraTranscriptModel *self,
           Page                *page,
           JsonArray           *items)
{
  guint n = MIN (json_array_get_length (items), page->items->len);

  for (guint j = 0; j < n; j++)
    {
      JsonNode *node = json_array_get_element (items, j);
      const char *id;
      MiraInteractionItem *item;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          (id = mira_json_get_string (json_node_get_object (node), "id")) == NULL)
        continue;
      item = mira_interaction_item_new (id);
      mira_interaction_item_update (item, json_node_get_object (node));
      mira_connection_fill_interaction (self->connection, item);
      g_object_unref (page->items->pdata[j]);
      page->items->pdata[j] = item;
    }
  page->loaded = TRUE;
}

/* Keeps the pages near what was asked for last: the least recently used
 * page that is in goes when there are too many
 */
static void
evict_pages (MiraTranscriptModel *self)
{
  while (g_hash_table_size (self->pages) > MIRA_TRANSCRIPT_MAX_PAGES)
    {
      GHashTableIter iter;
      gpointer key, value;
      gpointer oldest_key = NULL;
      guint64 oldest = G_MAXUINT64;

      g_hash_table_iter_init (&iter, self->pages);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          Page *page = value;

          /* A page on its way stays: its answer has somewhere to go */
          if (page->loaded && page->last_used < oldest)
            {
              oldest = page->last_used;
              oldest_key = key;
            }
        }
      if (oldest == G_MAXUINT64)
        return;
      g_hash_table_remove (self->pages, oldest_key);
    }
}

typedef struct {
  MiraTranscriptModel *self;
  guint                number;   /* G_MAXUINT: the first read */
} Read;

static void
read_free (Read *read)
{
  g_object_unref (read->self);
  g_free (read);
}

static JsonArray *
answer_items (JsonObject  *answer,
              GError     **error)
{
  JsonNode *items = json_object_get_member (answer, "items");

  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_set_error_literal (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                           _("The server’s answer could not be read"));
      return NULL;
    }
  return json_node_get_array (items);
}

static void
page_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Read *read = user_data;
  MiraTranscriptModel *self = read->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = mira_api_request_finish (result, &error);
  JsonArray *items = NULL;
  Page *page;
  guint first_offset, position;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;

  page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (read->number));
  if (page == NULL)
    goto out;
  if (answer == NULL || (items = answer_items (answer, &error)) == NULL)
    {
      /* Asked for again when the view next needs it */
      g_hash_table_remove (self->pages, GUINT_TO_POINTER (read->number));
      set_error (self, error);
      goto out;
    }

  self->n_pages_read++;
  page_fill (self, page, items);
  set_error (self, NULL);

  /* Offsets [first, first + n) are positions total − first − n … total − first − 1 */
  first_offset = read->number * MIRA_TRANSCRIPT_PAGE_SIZE;
  position = self->total - first_offset - page->items->len;
  g_list_model_items_changed (G_LIST_MODEL (self), position, page->items->len,
                              page->items->len);
  evict_pages (self);

out:
  read_free (read);
}

static Page *
request_page (MiraTranscriptModel *self,
              guint                number)
{
  guint offset = number * MIRA_TRANSCRIPT_PAGE_SIZE;
  guint n = MIN (MIRA_TRANSCRIPT_PAGE_SIZE, self->total - offset);
  g_autofree char *path = page_path (self, offset, n);
  Page *page = g_new0 (Page, 1);
  Read *read = g_new0 (Read, 1);

  page->items = g_ptr_array_new_full (n, g_object_unref);
  for (guint j = 0; j < n; j++)
    g_ptr_array_add (page->items, placeholder_new ());
  g_hash_table_insert (self->pages, GUINT_TO_POINTER (number), page);

  read->self = g_object_ref (self);
  read->number = number;
  mira_api_request_async (mira_connection_get_base_url (self->connection), SOUP_METHOD_GET,
                          path, mira_connection_get_token (self->connection), NULL,
                          self->cancellable, page_ready, read);
  return page;
}

static void
first_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Read *read = user_data;
  MiraTranscriptModel *self = read->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = mira_api_request_finish (result, &error);
  JsonArray *items = NULL;
  guint total;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;

  if (answer == NULL || (items = answer_items (answer, &error)) == NULL)
    {
      set_error (self, error);
      self->loading = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      goto out;
    }

  self->n_pages_read++;
  total = (guint) mira_json_get_double (answer, "total", 0);
  total = MAX (total, json_array_get_length (items));
  if (json_array_get_length (items) > 0)
    {
      JsonObject *newest = json_array_get_object_element (items, 0);
      Page *page;

      /* The rest is read up to here, so that new words never shift it */
      self->until = g_strdup (mira_json_get_string (newest, "timestamp"));
      self->until_time = mira_json_dup_date_time (newest, "timestamp");
      self->total = total;
      page = g_new0 (Page, 1);
      page->items = g_ptr_array_new_full (MIN (total, MIRA_TRANSCRIPT_PAGE_SIZE), g_object_unref);
      for (guint j = 0; j < MIN (total, MIRA_TRANSCRIPT_PAGE_SIZE); j++)
        g_ptr_array_add (page->items, placeholder_new ());
      page_fill (self, page, items);
      page->last_used = ++self->clock;
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (0), page);
    }

  self->loading = FALSE;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->total);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);

out:
  read_free (read);
}

/* An interaction of the connection's live list: words said in this
 * conversation since it opened are appended
 */
static void
on_interactions_changed (MiraTranscriptModel *self,
                         guint                position,
                         guint                removed,
                         guint                added,
                         GListModel          *interactions)
{
  if (self->loading)
    return;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MiraInteractionItem) item = g_list_model_get_item (interactions, i);
      const char *id = mira_interaction_item_get_interaction_id (item);
      GDateTime *timestamp = mira_interaction_item_get_timestamp (item);

      if (g_strcmp0 (mira_interaction_item_get_conversation_id (item),
                     self->conversation_id) != 0 ||
          g_hash_table_contains (self->appended_ids, id) ||
          (self->until_time != NULL &&
           (timestamp == NULL || g_date_time_compare (timestamp, self->until_time) <= 0)))
        continue;

      g_hash_table_add (self->appended_ids, g_strdup (id));
      g_ptr_array_add (self->appended, g_object_ref (item));
      g_list_model_items_changed (G_LIST_MODEL (self), self->total + self->appended->len - 1,
                                  0, 1);
    }
}

/* GListModel */

static GType
mira_transcript_model_get_item_type (GListModel *model)
{
  return MIRA_TYPE_INTERACTION_ITEM;
}

static guint
mira_transcript_model_get_n_items (GListModel *model)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (model);

  return self->loading ? 0 : self->total + self->appended->len;
}

static gpointer
mira_transcript_model_get_item (GListModel *model,
                                guint       position)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (model);
  guint offset, number;
  Page *page;

  if (self->loading || position >= self->total + self->appended->len)
    return NULL;
  if (position >= self->total)
    return g_object_ref (g_ptr_array_index (self->appended, position - self->total));

  offset = self->total - 1 - position;
  number = offset / MIRA_TRANSCRIPT_PAGE_SIZE;
  page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (number));
  if (page == NULL)
    page = request_page (self, number);
  page->last_used = ++self->clock;
  return g_object_ref (g_ptr_array_index (page->items, offset % MIRA_TRANSCRIPT_PAGE_SIZE));
}

static void
mira_transcript_model_model_init (GListModelInterface *iface)
{
  iface->get_item_type = mira_transcript_model_get_item_type;
  iface->get_n_items = mira_transcript_model_get_n_items;
  iface->get_item = mira_transcript_model_get_item;
}

/* GObject */

static void
mira_transcript_model_constructed (GObject *object)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (object);
  g_autofree char *path = NULL;
  Read *read;

  G_OBJECT_CLASS (mira_transcript_model_parent_class)->constructed (object);

  g_assert (MIRA_IS_CONNECTION (self->connection));
  g_assert (self->conversation_id != NULL);

  g_signal_connect_object (mira_connection_get_interactions (self->connection), "items-changed",
                           G_CALLBACK (on_interactions_changed), self, G_CONNECT_SWAPPED);

  path = page_path (self, 0, MIRA_TRANSCRIPT_PAGE_SIZE);
  read = g_new0 (Read, 1);
  read->self = g_object_ref (self);
  read->number = G_MAXUINT;
  mira_api_request_async (mira_connection_get_base_url (self->connection), SOUP_METHOD_GET,
                          path, mira_connection_get_token (self->connection), NULL,
                          self->cancellable, first_ready, read);
}

static void
mira_transcript_model_dispose (GObject *object)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (mira_transcript_model_parent_class)->dispose (object);
}

static void
mira_transcript_model_finalize (GObject *object)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (object);

  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_free (self->conversation_id);
  g_free (self->until);
  g_clear_pointer (&self->until_time, g_date_time_unref);
  g_clear_error (&self->error);
  g_hash_table_unref (self->pages);
  g_ptr_array_unref (self->appended);
  g_hash_table_unref (self->appended_ids);

  G_OBJECT_CLASS (mira_transcript_model_parent_class)->finalize (object);
}

static void
mira_transcript_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_transcript_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MiraTranscriptModel *self = MIRA_TRANSCRIPT_MODEL (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_CONVERSATION_ID:
      self->conversation_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_transcript_model_class_init (MiraTranscriptModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                               G_PARAM_STATIC_STRINGS;

  object_class->constructed = mira_transcript_model_constructed;
  object_class->dispose = mira_transcript_model_dispose;
  object_class->finalize = mira_transcript_model_finalize;
  object_class->get_property = mira_transcript_model_get_property;
  object_class->set_property = mira_transcript_model_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL,
                                                     MIRA_TYPE_CONNECTION, construct);
  properties[PROP_CONVERSATION_ID] = g_param_spec_string ("conversation-id", NULL, NULL, NULL,
                                                          construct);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, TRUE, readable);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_transcript_model_init (MiraTranscriptModel *self)
{
  self->loading = TRUE;
  self->cancellable = g_cancellable_new ();
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, page_free);
  self->appended = g_ptr_array_new_with_free_func (g_object_unref);
  self->appended_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

MiraTranscriptModel *
mira_transcript_model_new (MiraConnection *connection,
                           const char     *conversation_id)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (connection), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  return g_object_new (MIRA_TYPE_TRANSCRIPT_MODEL,
                       "connection", connection,
                       "conversation-id", conversation_id,
                       NULL);
}

const char *
mira_transcript_model_get_conversation_id (MiraTranscriptModel *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_MODEL (self), NULL);
  return self->conversation_id;
}

gboolean
mira_transcript_model_get_loading (MiraTranscriptModel *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_MODEL (self), FALSE);
  return self->loading;
}

const GError *
mira_transcript_model_get_error (MiraTranscriptModel *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_MODEL (self), NULL);
  return self->error;
}

guint
mira_transcript_model_get_n_pages_held (MiraTranscriptModel *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_MODEL (self), 0);
  return g_hash_table_size (self->pages);
}

guint
mira_transcript_model_get_n_pages_read (MiraTranscriptModel *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIPT_MODEL (self), 0);
  return self->n_pages_read;
}
