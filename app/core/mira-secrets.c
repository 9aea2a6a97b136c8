/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-secrets"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "mira-secrets.h"

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "com.mira.Dashboard.Token", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "network", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

static const char *
kind_name (MiraTokenKind kind)
{
  switch (kind)
    {
    case MIRA_TOKEN_ADMIN:
      return "admin";
    case MIRA_TOKEN_NETWORK:
      return "network";
    case MIRA_TOKEN_SESSION:
      return "session";
    default:
      g_return_val_if_reached ("session");
    }
}

static GHashTable *
attributes_new (const char    *server,
                const char    *network_id,
                MiraTokenKind  kind)
{
  return secret_attributes_build (token_schema (),
                                  "server", server,
                                  "network", network_id != NULL ? network_id : "",
                                  "kind", kind_name (kind),
                                  NULL);
}

/* libsecret's errors (no Secret Service, a locked or refused keyring) are
 * said once, in the core's words
 */
static GError *
keyring_error (const GError *error)
{
  return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_KEYRING,
                      _("The keyring cannot keep the network’s keys: %s"), error->message);
}

static void
store_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, keyring_error (error));
}

void
mira_secrets_store_async (const char          *server,
                          const char          *network_id,
                          MiraTokenKind        kind,
                          const char          *token,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;
  GTask *task;

  g_return_if_fail (server != NULL);
  g_return_if_fail (token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_secrets_store_async);

  attributes = attributes_new (server, network_id, kind);
  switch (kind)
    {
    case MIRA_TOKEN_ADMIN:
      /* Translators: the label of a keyring item; %s is a server's address */
      label = g_strdup_printf (_("Mira admin token of %s"), server);
      break;
    case MIRA_TOKEN_NETWORK:
      /* Translators: the label of a keyring item; %s is a network id (net_…) */
      label = g_strdup_printf (_("Mira network token of %s"), network_id);
      break;
    case MIRA_TOKEN_SESSION:
    default:
      /* Translators: the label of a keyring item; %s is a network id (net_…) */
      label = g_strdup_printf (_("Mira session token of this computer in %s"), network_id);
      break;
    }
  secret_password_storev (token_schema (), attributes, SECRET_COLLECTION_DEFAULT, label,
                          token, cancellable, store_ready, task);
}

gboolean
mira_secrets_store_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *token;

  token = secret_password_lookup_finish (result, &error);
  if (error == NULL)
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, keyring_error (error));
}

void
mira_secrets_lookup_async (const char          *server,
                           const char          *network_id,
                           MiraTokenKind        kind,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GHashTable) attributes = NULL;
  GTask *task;

  g_return_if_fail (server != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_secrets_lookup_async);
  attributes = attributes_new (server, network_id, kind);
  secret_password_lookupv (token_schema (), attributes, cancellable, lookup_ready, task);
}

char *
mira_secrets_lookup_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  char *secret;
  char *token;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  /* Hand out plain memory; the keyring's copy is wiped */
  secret = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  token = g_strdup (secret);
  if (secret != NULL)
    secret_password_free (secret);
  return token;
}

static void
clear_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  secret_password_clear_finish (result, &error);
  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, keyring_error (error));
}

void
mira_secrets_clear_async (const char          *server,
                          const char          *network_id,
                          MiraTokenKind        kind,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GHashTable) attributes = NULL;
  GTask *task;

  g_return_if_fail (server != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_secrets_clear_async);
  attributes = attributes_new (server, network_id, kind);
  secret_password_clearv (token_schema (), attributes, cancellable, clear_ready, task);
}

gboolean
mira_secrets_clear_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
