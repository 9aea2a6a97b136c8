/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* The app's tokens in the user's keyring, through libsecret: the Secret
 * Service (gnome-keyring, KWallet) on a desktop, the Secret portal inside
 * Flatpak. Never in GSettings or a file of ours.
 *
 * Each token is an item of the schema "com.mira.Dashboard.Token" with the
 * attributes "server" (the server's base URL; for the hosted server its
 * database's URI, which outlives port changes), "network" (the network id,
 * empty for an admin token) and "kind".
 */

typedef enum {
  MIRA_TOKEN_ADMIN,     /* server-wide */
  MIRA_TOKEN_NETWORK,   /* the network's own, returned at its creation */
  MIRA_TOKEN_SESSION,   /* this device's, returned at registration */
} MiraTokenKind;

/* Stores @token, replacing the one of the same server, network and kind.
 * Fails with MIRA_CORE_ERROR_KEYRING.
 */
void      mira_secrets_store_async   (const char          *server,
                                      const char          *network_id,
                                      MiraTokenKind        kind,
                                      const char          *token,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  mira_secrets_store_finish  (GAsyncResult        *result,
                                      GError             **error);

/* The token, or NULL without an error when there is none */
void      mira_secrets_lookup_async  (const char          *server,
                                      const char          *network_id,
                                      MiraTokenKind        kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char     *mira_secrets_lookup_finish (GAsyncResult        *result,
                                      GError             **error);

/* Removes the token; TRUE also when there was none */
void      mira_secrets_clear_async   (const char          *server,
                                      const char          *network_id,
                                      MiraTokenKind        kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  mira_secrets_clear_finish  (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
