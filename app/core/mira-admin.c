/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-admin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mira-admin.h"
#include "mira-core-private.h"

#define MAX_NETWORKS 500

struct _MiraAdmin
{
  GObject      parent_instance;

  char        *base_url;
  char        *token;
  GListStore  *networks;
};

G_DEFINE_FINAL_TYPE (MiraAdmin, mira_admin, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_admin_finalize (GObject *object)
{
  MiraAdmin *self = MIRA_ADMIN (object);

  g_free (self->base_url);
  g_free (self->token);
  g_clear_object (&self->networks);

  G_OBJECT_CLASS (mira_admin_parent_class)->finalize (object);
}

static void
mira_admin_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MiraAdmin *self = MIRA_ADMIN (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_admin_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  MiraAdmin *self = MIRA_ADMIN (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      self->base_url = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_admin_class_init (MiraAdminClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mira_admin_finalize;
  object_class->get_property = mira_admin_get_property;
  object_class->set_property = mira_admin_set_property;

  properties[PROP_BASE_URL] = g_param_spec_string ("base-url", NULL, NULL, NULL, flags);
  properties[PROP_TOKEN] = g_param_spec_string ("token", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mira_admin_init (MiraAdmin *self)
{
  self->networks = g_list_store_new (MIRA_TYPE_NETWORK_ITEM);
}

MiraAdmin *
mira_admin_new (const char *base_url,
                const char *token)
{
  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  return g_object_new (MIRA_TYPE_ADMIN, "base-url", base_url, "token", token, NULL);
}

const char *
mira_admin_get_base_url (MiraAdmin *self)
{
  g_return_val_if_fail (MIRA_IS_ADMIN (self), NULL);
  return self->base_url;
}

const char *
mira_admin_get_token (MiraAdmin *self)
{
  g_return_val_if_fail (MIRA_IS_ADMIN (self), NULL);
  return self->token;
}

GListModel *
mira_admin_get_networks (MiraAdmin *self)
{
  g_return_val_if_fail (MIRA_IS_ADMIN (self), NULL);
  return G_LIST_MODEL (self->networks);
}

static MiraNetworkItem *
lookup (MiraAdmin  *self,
        const char *network_id,
        guint      *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->networks));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraNetworkItem) item = g_list_model_get_item (G_LIST_MODEL (self->networks), i);

      if (g_strcmp0 (mira_network_item_get_network_id (item), network_id) == 0)
        {
          if (position != NULL)
            *position = i;
          return item;
        }
    }
  return NULL;
}

/* Makes the list hold @items in their order; items keep their identity */
static void
reload (MiraAdmin *self,
        JsonArray *items)
{
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->networks));

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      const char *network_id;
      MiraNetworkItem *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      network_id = mira_json_get_string (json_node_get_object (node), "network_id");
      if (network_id == NULL)
        continue;
      item = lookup (self, network_id, NULL);
      item = item != NULL ? g_object_ref (item) : mira_network_item_new (network_id);
      mira_network_item_update (item, json_node_get_object (node));
      g_ptr_array_add (next, item);
    }
  g_list_store_splice (self->networks, 0, n_old, next->pdata, next->len);
}

static void
reload_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraAdmin *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) answer = NULL;
  GError *error = NULL;
  JsonNode *items;

  answer = mira_api_request_finish (result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  items = json_object_get_member (answer, "items");
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                               _("The server’s answer could not be read"));
      return;
    }
  reload (self, json_node_get_array (items));
  g_task_return_boolean (task, TRUE);
}

void
mira_admin_reload_async (MiraAdmin           *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (MIRA_IS_ADMIN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_admin_reload_async);
  path = g_strdup_printf ("admin/networks?limit=%d", MAX_NETWORKS);
  mira_api_request_async (self->base_url, "GET", path, self->token, NULL, cancellable,
                          reload_ready, g_steal_pointer (&task));
}

gboolean
mira_admin_reload_finish (MiraAdmin     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
status_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraAdmin *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) answer = NULL;
  GError *error = NULL;
  MiraNetworkItem *item;

  answer = mira_api_request_finish (result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  item = lookup (self, mira_json_get_string (answer, "network_id"), NULL);
  if (item != NULL)
    mira_network_item_update (item, answer);
  g_task_return_boolean (task, TRUE);
}

void
mira_admin_set_status_async (MiraAdmin           *self,
                             const char          *network_id,
                             MiraNetworkStatus    status,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  static const char * const names[] = {
    [MIRA_NETWORK_STATUS_ACTIVE] = "active",
    [MIRA_NETWORK_STATUS_INACTIVE] = "inactive",
    [MIRA_NETWORK_STATUS_SUSPENDED] = "suspended",
  };
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (MIRA_IS_ADMIN (self));
  g_return_if_fail (network_id != NULL);
  g_return_if_fail (status < G_N_ELEMENTS (names));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_admin_set_status_async);
  json_object_set_string_member (body, "status", names[status]);
  escaped = g_uri_escape_string (network_id, NULL, FALSE);
  path = g_strconcat ("networks/", escaped, NULL);
  mira_api_request_async (self->base_url, "PATCH", path, self->token, body, cancellable,
                          status_ready, g_steal_pointer (&task));
}

gboolean
mira_admin_set_status_finish (MiraAdmin     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
delete_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraAdmin *self = g_task_get_source_object (task);
  const char *network_id = g_task_get_task_data (task);
  g_autoptr(JsonObject) answer = NULL;
  GError *error = NULL;
  guint position;

  answer = mira_api_request_finish (result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (lookup (self, network_id, &position) != NULL)
    g_list_store_remove (self->networks, position);
  g_task_return_boolean (task, TRUE);
}

void
mira_admin_delete_async (MiraAdmin           *self,
                         const char          *network_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (MIRA_IS_ADMIN (self));
  g_return_if_fail (network_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_admin_delete_async);
  g_task_set_task_data (task, g_strdup (network_id), g_free);
  escaped = g_uri_escape_string (network_id, NULL, FALSE);
  path = g_strconcat ("networks/", escaped, NULL);
  mira_api_request_async (self->base_url, "DELETE", path, self->token, NULL, cancellable,
                          delete_ready, g_steal_pointer (&task));
}

gboolean
mira_admin_delete_finish (MiraAdmin     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
