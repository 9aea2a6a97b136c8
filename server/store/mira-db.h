/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-types.h"

G_BEGIN_DECLS

/* MiraDb is one database connection, PostgreSQL (libpq) or SQLite, behind one
 * small interface. It is used by one thread at a time: each store worker owns
 * its own. SQL uses $1..$n placeholders in both dialects; parameters and
 * results are text (NULL for SQL NULL). Statements are prepared once per
 * connection and cached by their text.
 *
 * Errors are MIRA_DB_ERROR: a lost or refused connection is
 * MIRA_DB_ERROR_UNAVAILABLE, a unique violation MIRA_DB_ERROR_CONFLICT, a
 * check or foreign-key violation MIRA_DB_ERROR_CONSTRAINT, anything else
 * MIRA_DB_ERROR_FAILED.
 */

#define MIRA_DB_ERROR (mira_db_error_quark ())

/* Why the store did not do it: the database's failures, and those of the
 * typed functions on it (store/'s domain), which check what they are given
 */
typedef enum {
  MIRA_DB_ERROR_FAILED,       /* anything else: logged, never shown to a client */
  MIRA_DB_ERROR_UNAVAILABLE,  /* the database cannot be reached; it reconnects */
  MIRA_DB_ERROR_CONFLICT,     /* a unique violation: one exists already */
  MIRA_DB_ERROR_CONSTRAINT,   /* a check, foreign-key or not-null violation */
  MIRA_DB_ERROR_NOT_FOUND,    /* no such row in the network */
  MIRA_DB_ERROR_INVALID,      /* a value its field does not take; the message names it */
  MIRA_DB_ERROR_BAD_KEY,      /* a key that cannot name a row (not a UUID, say) */
  MIRA_DB_ERROR_BAD_FILTER,   /* a list's filter that does not take that value */
  MIRA_DB_ERROR_BAD_URI,      /* a database URI that names no database we open */
} MiraDbError;

GQuark         mira_db_error_quark     (void);

MiraDb        *mira_db_open            (const char          *uri,
                                        GError             **error);
void           mira_db_close           (MiraDb              *db);
MiraDbDialect  mira_db_get_dialect     (MiraDb              *db);
const char    *mira_db_get_uri         (MiraDb              *db);

/* Reconnects when the server went away; TRUE when the connection is usable. */
gboolean       mira_db_ensure_connected (MiraDb             *db,
                                         GError            **error);

/* Runs a script of several statements without parameters. */
gboolean       mira_db_exec            (MiraDb              *db,
                                        const char          *sql,
                                        GError             **error);

MiraDbResult  *mira_db_query           (MiraDb              *db,
                                        const char          *sql,
                                        guint                n_params,
                                        const char * const  *params,
                                        GError             **error);
/* Same, with the parameters given as a NULL-free array of @n_params. */
MiraDbResult  *mira_db_queryv          (MiraDb              *db,
                                        const char          *sql,
                                        GPtrArray           *params,
                                        GError             **error);

gboolean       mira_db_begin           (MiraDb              *db,
                                        GError             **error);
gboolean       mira_db_commit          (MiraDb              *db,
                                        GError             **error);
void           mira_db_rollback        (MiraDb              *db);

guint          mira_db_result_n_rows   (MiraDbResult        *result);
guint          mira_db_result_n_cols   (MiraDbResult        *result);
const char    *mira_db_result_col_name (MiraDbResult        *result,
                                        guint                col);
/* NULL for SQL NULL. Booleans read as "1"/"0", and timestamps as
 * 2026-01-15T10:30:00.123Z, in both dialects.
 */
const char    *mira_db_result_get      (MiraDbResult        *result,
                                        guint                row,
                                        guint                col);
/* Rows changed by an INSERT/UPDATE/DELETE. */
guint64        mira_db_result_affected (MiraDbResult        *result);
void           mira_db_result_free     (MiraDbResult        *result);

gboolean       mira_db_value_is_true   (const char          *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraDbResult, mira_db_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraDb, mira_db_close)

G_END_DECLS
