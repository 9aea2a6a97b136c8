/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-types.h"

G_BEGIN_DECLS

typedef struct {
  guint  version;
  char  *name;
  char  *applied_at;   /* NULL while pending */
} MiraMigration;

/* Applies every pending migration in one transaction and records each in
 * schema_migrations. Safe to run from several processes at once.
 */
gboolean   mira_migrations_apply   (MiraDb   *db,
                                    GError  **error);
/* Every known migration, applied or pending, by version: (element-type MiraMigration) */
GPtrArray *mira_migrations_status  (MiraDb   *db,
                                    GError  **error);

G_END_DECLS
