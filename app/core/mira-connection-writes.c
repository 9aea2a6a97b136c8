/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-connection"

/* MiraConnection's writes: one REST request each, with the connection's
 * address and token. Nothing changes locally: the server's events bring
 * the change to the models, the same for this device as for any other.
 */

#include "config.h"

#include "mira-connection.h"
#include "mira-core-private.h"

static void
write_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) answer = NULL;
  GError *error = NULL;

  answer = mira_api_request_finish (result, &error);
  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* @path, then @id escaped and @suffix (when @id is given), under
 * /api/v1/{network_id}/; with @global, /api/v1/@path{network_id}
 */
static void
write_async (MiraConnection      *self,
             gpointer             source_tag,
             const char          *method,
             gboolean             global,
             const char          *path,
             const char          *id,
             const char          *suffix,
             const char          *token,
             JsonObject          *body,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *network = g_uri_escape_string (mira_connection_get_network_id (self),
                                                  NULL, FALSE);
  g_autofree char *escaped = id != NULL ? g_uri_escape_string (id, NULL, FALSE) : NULL;
  g_autofree char *full = NULL;

  if (global)
    full = g_strconcat (path, network, NULL);
  else
    full = g_strconcat (network, "/", path, escaped, escaped != NULL ? suffix : NULL, NULL);

  g_task_set_source_tag (task, source_tag);
  mira_api_request_async (mira_connection_get_base_url (self), method, full,
                          token != NULL ? token : mira_connection_get_token (self),
                          body, cancellable, write_ready, g_steal_pointer (&task));
}

static gboolean
write_finish (MiraConnection  *self,
              GAsyncResult    *result,
              gpointer         source_tag,
              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
mira_connection_rename_network_async (MiraConnection      *self,
                                      const char          *name,
                                      const char          *token,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (name != NULL);

  json_object_set_string_member (body, "name", name);
  write_async (self, mira_connection_rename_network_async, "PATCH", TRUE, "networks/",
               NULL, NULL, token, body, cancellable, callback, user_data);
}

gboolean
mira_connection_rename_network_finish (MiraConnection  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return write_finish (self, result, mira_connection_rename_network_async, error);
}

void
mira_connection_set_setting_async (MiraConnection      *self,
                                   const char          *key,
                                   GVariant            *value,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(GVariant) sunk = NULL;

  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  sunk = g_variant_ref_sink (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    json_object_set_string_member (body, "value", g_variant_get_string (value, NULL));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    json_object_set_boolean_member (body, "value", g_variant_get_boolean (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    {
      double number = g_variant_get_double (value);

      /* 120 rather than 120.0, as a person would write it */
      if (number == (double) (gint64) number)
        json_object_set_int_member (body, "value", (gint64) number);
      else
        json_object_set_double_member (body, "value", number);
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    json_object_set_int_member (body, "value", g_variant_get_int32 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    json_object_set_int_member (body, "value", g_variant_get_uint32 (value));
  else
    g_return_if_reached ();

  write_async (self, mira_connection_set_setting_async, "PUT", FALSE, "settings/", key, NULL,
               NULL, body, cancellable, callback, user_data);
}

gboolean
mira_connection_set_setting_finish (MiraConnection  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return write_finish (self, result, mira_connection_set_setting_async, error);
}

void
mira_connection_reset_setting_async (MiraConnection      *self,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (key != NULL);

  write_async (self, mira_connection_reset_setting_async, "DELETE", FALSE, "settings/", key,
               NULL, NULL, NULL, cancellable, callback, user_data);
}

gboolean
mira_connection_reset_setting_finish (MiraConnection  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  return write_finish (self, result, mira_connection_reset_setting_async, error);
}

void
mira_connection_deregister_client_async (MiraConnection      *self,
                                         const char          *client_id,
                                         const char          *token,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (client_id != NULL);

  write_async (self, mira_connection_deregister_client_async, "DELETE", FALSE,
               "service/client/deregister/", client_id, NULL, token, NULL, cancellable,
               callback, user_data);
}

gboolean
mira_connection_deregister_client_finish (MiraConnection  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return write_finish (self, result, mira_connection_deregister_client_async, error);
}

void
mira_connection_complete_reminder_async (MiraConnection      *self,
                                         const char          *reminder_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  g_return_if_fail (reminder_id != NULL);

  write_async (self, mira_connection_complete_reminder_async, "POST", FALSE, "reminders/",
               reminder_id, "/complete", NULL, NULL, cancellable, callback, user_data);
}

gboolean
mira_connection_complete_reminder_finish (MiraConnection  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return write_finish (self, result, mira_connection_complete_reminder_async, error);
}
