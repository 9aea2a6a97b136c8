/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-entity.h"

G_BEGIN_DECLS

/* What the entity engine's files share (mira-entity.c and its aspects
 * mira-entity-validate.c, mira-entity-query.c, mira-entity-json.c); nothing
 * outside them includes this.
 */

/* mira-entity-query.c */

/* Runs a list with the filters in @query: its rows (NULL when no row can
 * match) and its total. The unfiltered total of a counted entity rides along
 * as the rows' last column, so that a page costs one statement; a page
 * shorter than @limit is the last, and its total is what it shows. The
 * total is never less than @offset plus the rows returned. A filter value
 * that is not what the filter takes is MIRA_DB_ERROR_BAD_FILTER.
 */
gboolean    mira_entity_query_rows         (MiraDb            *db,
                                            const char        *net_uuid,
                                            const MiraEntity  *entity,
                                            GHashTable        *query,
                                            guint              limit,
                                            guint              offset,
                                            MiraDbResult     **rows_out,
                                            gint64            *total,
                                            GError           **error);

/* mira-entity-json.c */

/* A page of @rows (may be NULL: no items) as {"items", "total", "limit",
 * "offset"}: as a JsonObject, and the same written straight as text.
 */
JsonObject *mira_entity_page_to_json       (const MiraEntity  *entity,
                                            const char        *network_id,
                                            MiraDbResult      *rows,
                                            gint64             total,
                                            guint              limit,
                                            guint              offset);
char       *mira_entity_page_to_json_text  (const MiraEntity  *entity,
                                            const char        *network_id,
                                            MiraDbResult      *rows,
                                            gint64             total,
                                            guint              limit,
                                            guint              offset);

G_END_DECLS
