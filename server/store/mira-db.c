/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-db"

#include <string.h>

#include "mira-db-private.h"

G_DEFINE_QUARK (mira-db-error-quark, mira_db_error)

struct _MiraDbResult
{
  guint          n_cols;
  guint          n_rows;
  char         **col_names;
  /* n_rows * n_cols pointers into @chunk, NULL for SQL NULL */
  GPtrArray     *cells;
  GStringChunk  *chunk;
  guint64        affected;
};

/* Accepts sqlite:///absolute/path.db (percent-encoded like any URI path) and
 * sqlite::memory:.
 */
static char *
sqlite_path_from_uri (const char  *uri,
                      GError     **error)
{
  const char *rest;
  g_autofree char *path = NULL;

  if (strcmp (uri, "sqlite::memory:") == 0)
    return g_strdup (":memory:");

  rest = uri + strlen ("sqlite:");
  if (!g_str_has_prefix (rest, "///"))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_URI,
                   "SQLite database URIs take an absolute path, as in "
                   "sqlite:///var/lib/mira/mira.db, or are sqlite::memory:");
      return NULL;
    }

  /* No query parameters: the connection settings are fixed */
  if (strpbrk (rest, "?#") == NULL)
    path = g_uri_unescape_string (rest + 2, "/");
  if (path == NULL || g_str_has_suffix (path, "/"))
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_URI,
                   "The SQLite database URI does not name a file: %s", uri);
      return NULL;
    }

  return g_steal_pointer (&path);
}

MiraDb *
mira_db_open (const char  *uri,
              GError     **error)
{
  MiraDb *db = NULL;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_has_prefix (uri, "postgresql://") || g_str_has_prefix (uri, "postgres://"))
    {
      db = mira_db_pg_open (uri, error);
      if (db == NULL)
        return NULL;
      db->dialect = MIRA_DB_DIALECT_POSTGRESQL;
    }
  else if (g_str_has_prefix (uri, "sqlite:"))
    {
      g_autofree char *path = sqlite_path_from_uri (uri, error);

      if (path == NULL)
        return NULL;
      db = mira_db_sqlite_open (path, error);
      if (db == NULL)
        return NULL;
      db->dialect = MIRA_DB_DIALECT_SQLITE;
    }
  else
    {
      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_URI,
                   "Unsupported database URI: expected postgresql://…, "
                   "sqlite:///path/to/file.db or sqlite::memory:");
      return NULL;
    }

  g_assert (db->backend != NULL);
  db->uri = g_strdup (uri);
  db->in_transaction = FALSE;

  g_debug ("Opened %s database", db->backend->name);

  return db;
}

void
mira_db_close (MiraDb *db)
{
  if (db == NULL)
    return;

  if (db->in_transaction)
    {
      g_warning ("Closing a database connection inside a transaction; rolling back");
      mira_db_rollback (db);
    }

  g_clear_pointer (&db->uri, g_free);
  /* Frees @db */
  db->backend->close (db);
}

MiraDbDialect
mira_db_get_dialect (MiraDb *db)
{
  g_return_val_if_fail (db != NULL, MIRA_DB_DIALECT_SQLITE);

  return db->dialect;
}

/**
 * mira_db_set_error:
 * @error: where to put it
 * @code: what kind of failure
 * @message: the database's own words
 *
 * A database's words may quote SQL, a constraint or the row: a client is
 * told only what kind of failure it was; the words go to the debug log, and
 * stay in the message of MIRA_DB_ERROR_FAILED, which is only logged.
 */
void
mira_db_set_error (GError      **error,
                   MiraDbError   code,
                   const char   *message)
{
  switch (code)
    {
    case MIRA_DB_ERROR_CONFLICT:
      g_set_error_literal (error, MIRA_DB_ERROR, code, "It conflicts with one that exists already");
      break;
    case MIRA_DB_ERROR_CONSTRAINT:
      g_set_error_literal (error, MIRA_DB_ERROR, code,
                           "A value of the request is out of range or refers to nothing");
      break;
    case MIRA_DB_ERROR_UNAVAILABLE:
      g_set_error_literal (error, MIRA_DB_ERROR, code, "The database is unavailable");
      break;
    default:
      g_set_error_literal (error, MIRA_DB_ERROR, code, message);
      break;
    }
}

const char *
mira_db_get_uri (MiraDb *db)
{
  g_return_val_if_fail (db != NULL, NULL);

  return db->uri;
}

gboolean
mira_db_ensure_connected (MiraDb  *db,
                          GError **error)
{
  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return db->backend->ensure_connected (db, error);
}

gboolean
mira_db_exec (MiraDb      *db,
              const char  *sql,
              GError     **error)
{
  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return db->backend->exec (db, sql, error);
}

MiraDbResult *
mira_db_query (MiraDb             *db,
               const char         *sql,
               guint               n_params,
               const char * const *params,
               GError            **error)
{
  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (n_params == 0 || params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return db->backend->query (db, sql, n_params, params, error);
}

MiraDbResult *
mira_db_queryv (MiraDb      *db,
                const char  *sql,
                GPtrArray   *params,
                GError     **error)
{
  g_return_val_if_fail (db != NULL, NULL);

  if (params == NULL)
    return mira_db_query (db, sql, 0, NULL, error);

  return mira_db_query (db, sql, params->len, (const char * const *) params->pdata, error);
}

gboolean
mira_db_begin (MiraDb  *db,
               GError **error)
{
  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (db->in_transaction)
    {
      g_set_error_literal (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                           "A transaction is already in progress on this connection");
      return FALSE;
    }

  if (!db->backend->begin (db, error))
    return FALSE;

  db->in_transaction = TRUE;
  return TRUE;
}

gboolean
mira_db_commit (MiraDb  *db,
                GError **error)
{
  gboolean ret;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!db->in_transaction)
    {
      g_set_error_literal (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                           "No transaction is in progress on this connection");
      return FALSE;
    }

  ret = db->backend->commit (db, error);
  db->in_transaction = FALSE;
  return ret;
}

/* Safe to call after a failed commit or outside a transaction: a caller can
 * always roll back on its error path.
 */
void
mira_db_rollback (MiraDb *db)
{
  g_return_if_fail (db != NULL);

  if (!db->in_transaction)
    return;

  db->backend->rollback (db);
  db->in_transaction = FALSE;
}

gboolean
mira_db_value_is_true (const char *value)
{
  return g_strcmp0 (value, "1") == 0 ||
         g_strcmp0 (value, "t") == 0 ||
         g_strcmp0 (value, "true") == 0;
}

MiraDbResult *
mira_db_result_new (guint n_cols)
{
  MiraDbResult *result = g_new0 (MiraDbResult, 1);

  result->n_cols = n_cols;
  result->col_names = g_new0 (char *, n_cols + 1);
  result->cells = g_ptr_array_new ();
  result->chunk = g_string_chunk_new (256);

  return result;
}

void
mira_db_result_set_col_name (MiraDbResult *result,
                             guint         col,
                             const char   *name)
{
  g_assert (col < result->n_cols);

  g_free (result->col_names[col]);
  result->col_names[col] = g_strdup (name);
}

void
mira_db_result_add_row (MiraDbResult  *result,
                        const char   **values,
                        const gsize   *lengths)
{
  for (guint i = 0; i < result->n_cols; i++)
    {
      char *cell = NULL;

      if (values[i] != NULL)
        {
          if (lengths != NULL)
            cell = g_string_chunk_insert_len (result->chunk, values[i], lengths[i]);
          else
            cell = g_string_chunk_insert (result->chunk, values[i]);
        }
      g_ptr_array_add (result->cells, cell);
    }
  result->n_rows++;
}

void
mira_db_result_set_affected (MiraDbResult *result,
                             guint64       affected)
{
  result->affected = affected;
}

guint
mira_db_result_n_rows (MiraDbResult *result)
{
  g_return_val_if_fail (result != NULL, 0);

  return result->n_rows;
}

guint
mira_db_result_n_cols (MiraDbResult *result)
{
  g_return_val_if_fail (result != NULL, 0);

  return result->n_cols;
}

const char *
mira_db_result_col_name (MiraDbResult *result,
                         guint         col)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (col < result->n_cols, NULL);

  return result->col_names[col];
}

const char *
mira_db_result_get (MiraDbResult *result,
                    guint         row,
                    guint         col)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (row < result->n_rows, NULL);
  g_return_val_if_fail (col < result->n_cols, NULL);

  return g_ptr_array_index (result->cells, (gsize) row * result->n_cols + col);
}

guint64
mira_db_result_affected (MiraDbResult *result)
{
  g_return_val_if_fail (result != NULL, 0);

  return result->affected;
}

void
mira_db_result_free (MiraDbResult *result)
{
  if (result == NULL)
    return;

  g_strfreev (result->col_names);
  g_ptr_array_unref (result->cells);
  g_string_chunk_free (result->chunk);
  g_free (result);
}
