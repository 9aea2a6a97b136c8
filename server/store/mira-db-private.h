/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-db.h"

G_BEGIN_DECLS

/* What a database backend provides. The common code in mira-db.c checks the
 * arguments and keeps the transaction state; the backends talk to libpq or
 * SQLite.
 */
typedef struct
{
  const char   *name;

  void          (*close)            (MiraDb              *db);
  gboolean      (*ensure_connected) (MiraDb              *db,
                                     GError             **error);
  gboolean      (*exec)             (MiraDb              *db,
                                     const char          *sql,
                                     GError             **error);
  MiraDbResult *(*query)            (MiraDb              *db,
                                     const char          *sql,
                                     guint                n_params,
                                     const char * const  *params,
                                     GError             **error);
  gboolean      (*begin)            (MiraDb              *db,
                                     GError             **error);
  /* Ends the transaction either way: on failure it has been rolled back. */
  gboolean      (*commit)           (MiraDb              *db,
                                     GError             **error);
  void          (*rollback)         (MiraDb              *db);
} MiraDbBackend;

/* Backends embed this as their first member. */
struct _MiraDb
{
  const MiraDbBackend *backend;
  MiraDbDialect        dialect;
  char                *uri;
  /* Between a successful mira_db_begin() and mira_db_commit()/rollback(). */
  gboolean             in_transaction;
};

/* Statement caches are flushed when they grow past this many entries, so
 * that SQL built at run time cannot grow them without bound.
 */
#define MIRA_DB_STATEMENT_CACHE_MAX 256

MiraDb       *mira_db_pg_open               (const char    *conninfo,
                                             GError       **error);
MiraDb       *mira_db_sqlite_open           (const char    *path,
                                             GError       **error);

void          mira_db_set_error             (GError       **error,
                                             MiraDbError    code,
                                             const char    *message);
MiraDbResult *mira_db_result_new            (guint          n_cols);
void          mira_db_result_set_col_name   (MiraDbResult  *result,
                                             guint          col,
                                             const char    *name);
/* Appends one row of n_cols cells; @lengths may be NULL for NUL-terminated text. */
void          mira_db_result_add_row        (MiraDbResult  *result,
                                             const char   **values,
                                             const gsize   *lengths);
void          mira_db_result_set_affected   (MiraDbResult  *result,
                                             guint64        affected);

G_END_DECLS
