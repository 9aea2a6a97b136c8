/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-db"

#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "mira-db-private.h"

/* WAL lets readers run beside the one writer; FULL makes a commit survive a
 * power cut; writers wait up to ten seconds for each other. Reads go through
 * a memory map and a 64 MiB page cache per connection rather than a copy of
 * each page per query.
 */
#define SETUP_SQL                    \
  "PRAGMA journal_mode = WAL;"       \
  "PRAGMA synchronous = FULL;"       \
  "PRAGMA foreign_keys = ON;"        \
  "PRAGMA mmap_size = 268435456;"    \
  "PRAGMA cache_size = -65536;"
#define BUSY_TIMEOUT_MS 10000

typedef struct
{
  MiraDb      parent;
  sqlite3    *handle;
  /* SQL text → sqlite3_stmt, reset after every use */
  GHashTable *statements;
} MiraDbSqlite;

static const MiraDbBackend sqlite_backend;

static MiraDbError
error_code_for_sqlite (int code)
{
  switch (code)
    {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return MIRA_DB_ERROR_CONFLICT;

    default:
      break;
    }

  switch (code & 0xff)
    {
    /* CHECK, FOREIGN KEY, NOT NULL, and RAISE() in triggers */
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      return MIRA_DB_ERROR_CONSTRAINT;

    /* Still busy after the timeout, or the file cannot be had at all */
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return MIRA_DB_ERROR_UNAVAILABLE;

    default:
      return MIRA_DB_ERROR_FAILED;
    }
}

static void
set_error (GError     **error,
           int          code,
           const char  *message)
{
  MiraDbError mira_code = error_code_for_sqlite (code);

  g_debug ("SQLite error %d (%s): %s", code, sqlite3_errstr (code), message);

  mira_db_set_error (error, mira_code, message);
}

static void
sqlite_set_error (MiraDbSqlite  *self,
                  int            code,
                  GError       **error)
{
  set_error (error, code, sqlite3_errmsg (self->handle));
}

static gboolean
sqlite_ensure_connected (MiraDb  *db,
                         GError **error)
{
  return TRUE;
}

static gboolean
sqlite_exec_script (MiraDbSqlite  *self,
                    const char    *sql,
                    GError       **error)
{
  char *message = NULL;
  int rc;

  rc = sqlite3_exec (self->handle, sql, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      set_error (error, sqlite3_extended_errcode (self->handle),
                 message != NULL ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
sqlite_exec (MiraDb      *db,
             const char  *sql,
             GError     **error)
{
  return sqlite_exec_script ((MiraDbSqlite *) db, sql, error);
}

static gboolean
only_whitespace (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text) && *text != ';')
      return FALSE;
  return TRUE;
}

static sqlite3_stmt *
sqlite_get_statement (MiraDbSqlite  *self,
                      const char    *sql,
                      GError       **error)
{
  sqlite3_stmt *stmt;
  const char *tail = NULL;
  int rc;

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    return stmt;

  /* None is in use between queries, so all can go */
  if (g_hash_table_size (self->statements) >= MIRA_DB_STATEMENT_CACHE_MAX)
    g_hash_table_remove_all (self->statements);

  rc = sqlite3_prepare_v3 (self->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK)
    {
      sqlite_set_error (self, rc, error);
      return NULL;
    }

  if (stmt == NULL || (tail != NULL && !only_whitespace (tail)))
    {
      sqlite3_finalize (stmt);
      g_set_error_literal (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                           "A query must be exactly one statement");
      return NULL;
    }

  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

/* $1..$n are named parameters to SQLite, so each is looked up by name: they
 * may come in any order and repeat. As PostgreSQL does, insist that the
 * statement uses exactly $1..$n.
 */
static gboolean
sqlite_bind (MiraDbSqlite        *self,
             sqlite3_stmt        *stmt,
             guint                n_params,
             const char * const  *params,
             GError             **error)
{
  int rc;

  for (guint i = 0; i < n_params; i++)
    {
      char name[16];
      int index;

      g_snprintf (name, sizeof name, "$%u", i + 1);
      index = sqlite3_bind_parameter_index (stmt, name);
      if (index == 0)
        {
          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                       "The statement does not use parameter %s", name);
          return FALSE;
        }

      /* The parameters outlive the statement's use: it is reset before we return */
      if (params[i] != NULL)
        rc = sqlite3_bind_text (stmt, index, params[i], -1, SQLITE_STATIC);
      else
        rc = sqlite3_bind_null (stmt, index);
      if (rc != SQLITE_OK)
        {
          sqlite_set_error (self, rc, error);
          return FALSE;
        }
    }

  if (sqlite3_bind_parameter_count (stmt) != (int) n_params)
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                   "The statement uses %d parameters but %u were given",
                   sqlite3_bind_parameter_count (stmt), n_params);
      return FALSE;
    }

  return TRUE;
}

static MiraDbResult *
sqlite_run (MiraDbSqlite  *self,
            sqlite3_stmt  *stmt,
            GError       **error)
{
  g_autoptr(MiraDbResult) result = NULL;
  g_autofree const char **values = NULL;
  g_autofree gsize *lengths = NULL;
  guint n_cols;
  int rc;

  /* The first step may prepare the statement again after a schema change,
   * so a SELECT * can have gained columns: count them afterwards.
   */
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      sqlite_set_error (self, rc, error);
      return NULL;
    }

  n_cols = (guint) sqlite3_column_count (stmt);
  result = mira_db_result_new (n_cols);
  values = g_new0 (const char *, n_cols + 1);
  lengths = g_new0 (gsize, n_cols + 1);

  for (guint c = 0; c < n_cols; c++)
    mira_db_result_set_col_name (result, c, sqlite3_column_name (stmt, (int) c));

  for (; rc == SQLITE_ROW; rc = sqlite3_step (stmt))
    {
      for (guint c = 0; c < n_cols; c++)
        {
          if (sqlite3_column_type (stmt, (int) c) == SQLITE_NULL)
            {
              values[c] = NULL;
              lengths[c] = 0;
              continue;
            }
          /* text first, then its length in that encoding */
          values[c] = (const char *) sqlite3_column_text (stmt, (int) c);
          lengths[c] = (gsize) sqlite3_column_bytes (stmt, (int) c);
          if (values[c] == NULL)
            {
              sqlite_set_error (self, sqlite3_errcode (self->handle), error);
              return NULL;
            }
        }
      mira_db_result_add_row (result, values, lengths);
    }

  if (rc != SQLITE_DONE)
    {
      sqlite_set_error (self, rc, error);
      return NULL;
    }

  /* sqlite3_changes() still counts the last INSERT/UPDATE/DELETE after a SELECT */
  if (!sqlite3_stmt_readonly (stmt))
    mira_db_result_set_affected (result, (guint64) sqlite3_changes (self->handle));

  return g_steal_pointer (&result);
}

static MiraDbResult *
sqlite_query (MiraDb             *db,
              const char         *sql,
              guint               n_params,
              const char * const *params,
              GError            **error)
{
  MiraDbSqlite *self = (MiraDbSqlite *) db;
  MiraDbResult *result = NULL;
  sqlite3_stmt *stmt;

  stmt = sqlite_get_statement (self, sql, error);
  if (stmt == NULL)
    return NULL;

  if (sqlite_bind (self, stmt, n_params, params, error))
    result = sqlite_run (self, stmt, error);

  /* Ready for the next use, and no pointers to the caller's parameters kept */
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return result;
}

/* IMMEDIATE takes the write lock up front: two deferred transactions that
 * both read and then write could never both upgrade, and one would fail with
 * SQLITE_BUSY without waiting.
 */
static gboolean
sqlite_begin (MiraDb  *db,
              GError **error)
{
  return sqlite_exec_script ((MiraDbSqlite *) db, "BEGIN IMMEDIATE", error);
}

static void
sqlite_rollback (MiraDb *db)
{
  MiraDbSqlite *self = (MiraDbSqlite *) db;
  g_autoptr(GError) error = NULL;

  /* Some errors (a full disk, say) already rolled it back */
  if (sqlite3_get_autocommit (self->handle))
    return;

  if (!sqlite_exec_script (self, "ROLLBACK", &error))
    g_warning ("ROLLBACK failed: %s", error->message);
}

static gboolean
sqlite_commit (MiraDb  *db,
               GError **error)
{
  MiraDbSqlite *self = (MiraDbSqlite *) db;

  if (sqlite_exec_script (self, "COMMIT", error))
    return TRUE;

  /* mira_db_commit() ends the transaction either way */
  sqlite_rollback (db);
  return FALSE;
}

static void
sqlite_close (MiraDb *db)
{
  MiraDbSqlite *self = (MiraDbSqlite *) db;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->handle != NULL && sqlite3_close (self->handle) != SQLITE_OK)
    g_critical ("Failed to close the SQLite database: %s", sqlite3_errmsg (self->handle));
  g_free (self);
}

static const MiraDbBackend sqlite_backend = {
  .name = "SQLite",
  .close = sqlite_close,
  .ensure_connected = sqlite_ensure_connected,
  .exec = sqlite_exec,
  .query = sqlite_query,
  .begin = sqlite_begin,
  .commit = sqlite_commit,
  .rollback = sqlite_rollback,
};

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

MiraDb *
mira_db_sqlite_open (const char  *path,
                     GError     **error)
{
  MiraDbSqlite *self;
  int rc;

  if (strcmp (path, ":memory:") != 0)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE,
                       "The database is unavailable: cannot create %s: %s",
                       dir, g_strerror (saved_errno));
          return NULL;
        }
    }

  self = g_new0 (MiraDbSqlite, 1);
  self->parent.backend = &sqlite_backend;
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);

  /* One connection per thread: SQLite's own locking is not needed */
  rc = sqlite3_open_v2 (path, &self->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_autofree char *message = g_strdup_printf ("%s: %s", path,
                                                  self->handle != NULL
                                                    ? sqlite3_errmsg (self->handle)
                                                    : sqlite3_errstr (rc));

      /* Whatever went wrong, the file could not be opened */
      set_error (error, SQLITE_CANTOPEN, message);
      sqlite_close (&self->parent);
      return NULL;
    }

  sqlite3_extended_result_codes (self->handle, 1);
  sqlite3_busy_timeout (self->handle, BUSY_TIMEOUT_MS);

  if (!sqlite_exec_script (self, SETUP_SQL, error))
    {
      sqlite_close (&self->parent);
      return NULL;
    }

  return &self->parent;
}
