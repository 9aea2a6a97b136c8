/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-api.h"

G_BEGIN_DECLS

const char *mira_api_setting_check  (const char   *key,
                                     JsonNode     *value,
                                     const char   *type,
                                     GError      **error);
gboolean    mira_api_setting_store  (MiraApiCall  *call,
                                     MiraDb       *db,
                                     const char   *key,
                                     JsonNode     *value,
                                     const char   *type,
                                     GError      **error);
gboolean    mira_api_settings_sync  (MiraApiCall  *call,
                                     MiraDb       *db,
                                     GError      **error);

G_END_DECLS

G_BEGIN_DECLS

JsonObject *mira_api_load_network   (MiraDb       *db,
                                     const char   *net_uuid,
                                     GError      **error);

G_END_DECLS

G_BEGIN_DECLS

const MiraApiRoute *mira_api_routes (guint *n_routes);

G_END_DECLS
