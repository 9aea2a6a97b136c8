/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-db"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "mira-db-private.h"

/* From catalog/pg_type.h, which is a server header */
#define BOOLOID        16
#define TIMESTAMPOID   1114
#define TIMESTAMPTZOID 1184

/* Room for 2026-01-15T10:30:00.123Z and its NUL */
#define CANONICAL_TIMESTAMP_SIZE 32

typedef struct
{
  MiraDb      parent;
  PGconn     *conn;
  /* SQL text → name of the statement prepared on this session */
  GHashTable *statements;
  guint       next_statement;
} MiraDbPg;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

static const MiraDbBackend pg_backend;

/* libpq messages end in a newline and may continue with hints on further
 * lines; keep the first line.
 */
static char *
first_line (const char *message)
{
  g_autofree char *copy = g_strdup (message != NULL ? message : "");
  char *nl;

  g_strstrip (copy);
  nl = strchr (copy, '\n');
  if (nl != NULL)
    *nl = '\0';
  g_strchomp (copy);
  if (copy[0] == '\0')
    return g_strdup ("unknown error");
  return g_steal_pointer (&copy);
}

/* The session is gone, or the server is going away */
static gboolean
sqlstate_is_connection_error (const char *sqlstate)
{
  if (sqlstate == NULL)
    return FALSE;
  /* 08P01 protocol_violation is what a wrong parameter count earns; it is a
   * bug in the caller, and the session survives it.
   */
  if (g_str_has_prefix (sqlstate, "08"))
    return strcmp (sqlstate, "08P01") != 0;
  return strcmp (sqlstate, "57P01") == 0 ||   /* admin_shutdown */
         strcmp (sqlstate, "57P02") == 0 ||   /* crash_shutdown */
         strcmp (sqlstate, "57P03") == 0 ||   /* cannot_connect_now */
         strcmp (sqlstate, "53300") == 0;     /* too_many_connections */
}

static MiraDbError
error_code_for_sqlstate (const char *sqlstate)
{
  if (sqlstate == NULL)
    return MIRA_DB_ERROR_FAILED;
  if (strcmp (sqlstate, "23505") == 0)        /* unique_violation */
    return MIRA_DB_ERROR_CONFLICT;
  if (strcmp (sqlstate, "23514") == 0 ||      /* check_violation */
      strcmp (sqlstate, "23503") == 0 ||      /* foreign_key_violation */
      strcmp (sqlstate, "23502") == 0 ||      /* not_null_violation */
      g_str_has_prefix (sqlstate, "22"))      /* data_exception */
    return MIRA_DB_ERROR_CONSTRAINT;
  return MIRA_DB_ERROR_FAILED;
}

static gboolean
pg_is_connection_error (MiraDbPg       *self,
                        const PGresult *res)
{
  const char *sqlstate = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;

  return PQstatus (self->conn) != CONNECTION_OK || sqlstate_is_connection_error (sqlstate);
}

/* Returns whether the failure was the connection's */
static gboolean
pg_set_error (MiraDbPg       *self,
              const PGresult *res,
              GError        **error)
{
  const char *sqlstate = NULL;
  const char *primary = NULL;
  const char *detail;
  g_autofree char *message = NULL;
  gboolean connection_error;

  if (res != NULL)
    {
      sqlstate = PQresultErrorField (res, PG_DIAG_SQLSTATE);
      primary = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
      if (primary == NULL && PQresultErrorMessage (res)[0] != '\0')
        primary = PQresultErrorMessage (res);
    }
  if (primary == NULL)
    primary = PQerrorMessage (self->conn);
  message = first_line (primary);

  /* The detail may quote the row, which is no business of an API client */
  detail = res != NULL ? PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  g_debug ("PostgreSQL error %s: %s (%s)",
           sqlstate != NULL ? sqlstate : "-", message, detail != NULL ? detail : "no detail");

  connection_error = pg_is_connection_error (self, res);
  mira_db_set_error (error, connection_error ? MIRA_DB_ERROR_UNAVAILABLE
                                             : error_code_for_sqlstate (sqlstate), message);

  return connection_error;
}

static void
pg_notice_processor (void       *user_data,
                     const char *message)
{
  g_autofree char *line = first_line (message);

  g_debug ("PostgreSQL: %s", line);
}

/* Every session speaks UTF-8 and UTC, and prints ISO dates (which
 * normalize_timestamp() reads). Each is a reported parameter, so this costs
 * a round trip only when the server's defaults differ.
 */
static gboolean
pg_setup_session (MiraDbPg  *self,
                  GError   **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(PGresult) res = NULL;
  const char *value;

  PQsetNoticeProcessor (self->conn, pg_notice_processor, NULL);

  value = PQparameterStatus (self->conn, "client_encoding");
  if (g_strcmp0 (value, "UTF8") != 0)
    g_string_append (sql, "SET client_encoding TO 'UTF8';");
  value = PQparameterStatus (self->conn, "TimeZone");
  if (g_strcmp0 (value, "UTC") != 0)
    g_string_append (sql, "SET TimeZone TO 'UTC';");
  value = PQparameterStatus (self->conn, "DateStyle");
  if (value == NULL || !g_str_has_prefix (value, "ISO"))
    g_string_append (sql, "SET DateStyle TO 'ISO, MDY';");

  if (sql->len == 0)
    return TRUE;

  res = PQexec (self->conn, sql->str);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      pg_set_error (self, res, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pg_reconnect (MiraDbPg  *self,
              GError   **error)
{
  g_debug ("Reconnecting to PostgreSQL");

  /* A new session has no prepared statements */
  g_hash_table_remove_all (self->statements);

  PQreset (self->conn);
  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_autofree char *message = first_line (PQerrorMessage (self->conn));

      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE,
                   "The database is unavailable: %s", message);
      return FALSE;
    }

  return pg_setup_session (self, error);
}

/* An idle session should receive nothing. When the server shuts down or
 * restarts it sends a FATAL message and closes the socket; reading that
 * here finds a stale connection before a statement is sent on it.
 */
static gboolean
pg_connection_usable (MiraDbPg *self)
{
  int fd;

  if (PQstatus (self->conn) != CONNECTION_OK)
    return FALSE;

  fd = PQsocket (self->conn);
  if (fd < 0)
    return FALSE;

  for (guint i = 0; i < 8; i++)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      PGnotify *notify;

      if (poll (&pfd, 1, 0) <= 0)
        break;
      if (!PQconsumeInput (self->conn))
        return FALSE;
      while ((notify = PQnotifies (self->conn)) != NULL)
        PQfreemem (notify);
      if (PQstatus (self->conn) != CONNECTION_OK)
        return FALSE;
    }

  return PQstatus (self->conn) == CONNECTION_OK;
}

static gboolean
pg_ensure_connected (MiraDb  *db,
                     GError **error)
{
  MiraDbPg *self = (MiraDbPg *) db;

  if (pg_connection_usable (self))
    return TRUE;

  /* A new session would silently run the rest of the transaction's
   * statements outside it. The caller rolls back, and the next use reconnects.
   */
  if (db->in_transaction)
    {
      g_set_error_literal (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE,
                           "The database connection was lost during a transaction");
      return FALSE;
    }

  return pg_reconnect (self, error);
}

static gboolean
read_digits (const char **p,
             guint        n,
             int         *out)
{
  int value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      value = value * 10 + ((*p)[i] - '0');
    }
  *p += n;
  *out = value;
  return TRUE;
}

static gboolean
skip_char (const char **p,
           const char  *accept)
{
  if (**p == '\0' || strchr (accept, **p) == NULL)
    return FALSE;
  (*p)++;
  return TRUE;
}

/* PostgreSQL prints an ISO timestamp as 2026-01-15 10:30:00.123456+00 (an
 * offset only for timestamptz; with minutes and seconds when the zone has
 * them). Writes the canonical 2026-01-15T10:30:00.123Z into @out, or returns
 * FALSE for anything else (infinity, BC, years past 9999), which is then
 * passed through unchanged.
 */
static void
put_digits (char *out,
            int   value,
            int   width)
{
  for (int i = width - 1; i >= 0; i--, value /= 10)
    out[i] = (char) ('0' + value % 10);
}

static gboolean
normalize_timestamp (const char *text,
                     char       *out,
                     gsize       out_size)
{
  const char *p = text;
  int year, month, day, hour, minute, second;
  int ms = 0;
  int offset = 0;

  if (!read_digits (&p, 4, &year) || !skip_char (&p, "-") ||
      !read_digits (&p, 2, &month) || !skip_char (&p, "-") ||
      !read_digits (&p, 2, &day) || !skip_char (&p, " T") ||
      !read_digits (&p, 2, &hour) || !skip_char (&p, ":") ||
      !read_digits (&p, 2, &minute) || !skip_char (&p, ":") ||
      !read_digits (&p, 2, &second))
    return FALSE;

  if (*p == '.')
    {
      int scale = 100;

      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      /* Truncated to milliseconds, as a text comparison of the results would */
      for (; g_ascii_isdigit (*p); p++, scale /= 10)
        ms += (*p - '0') * scale;
    }

  if (*p == '+' || *p == '-')
    {
      int sign = *p++ == '-' ? -1 : 1;
      int oh, om = 0, os = 0;

      if (!read_digits (&p, 2, &oh))
        return FALSE;
      if (skip_char (&p, ":") && !read_digits (&p, 2, &om))
        return FALSE;
      if (skip_char (&p, ":") && !read_digits (&p, 2, &os))
        return FALSE;
      offset = sign * (oh * 3600 + om * 60 + os);
    }
  else
    skip_char (&p, "Z");

  if (*p != '\0')
    return FALSE;

  if (offset != 0)
    {
      g_autoptr(GDateTime) local = g_date_time_new_utc (year, month, day, hour, minute, second);
      g_autoptr(GDateTime) utc = NULL;

      if (local == NULL)
        return FALSE;
      utc = g_date_time_add_seconds (local, -offset);
      if (utc == NULL || g_date_time_get_year (utc) > 9999)
        return FALSE;
      year = g_date_time_get_year (utc);
      month = g_date_time_get_month (utc);
      day = g_date_time_get_day_of_month (utc);
      hour = g_date_time_get_hour (utc);
      minute = g_date_time_get_minute (utc);
      second = g_date_time_get_second (utc);
    }

  /* Written by hand: this runs for every timestamp of every row. */
  if (out_size < CANONICAL_TIMESTAMP_SIZE || year < 0 || year > 9999)
    return FALSE;
  put_digits (out, year, 4);
  out[4] = '-';
  put_digits (out + 5, month, 2);
  out[7] = '-';
  put_digits (out + 8, day, 2);
  out[10] = 'T';
  put_digits (out + 11, hour, 2);
  out[13] = ':';
  put_digits (out + 14, minute, 2);
  out[16] = ':';
  put_digits (out + 17, second, 2);
  out[19] = '.';
  put_digits (out + 20, ms, 3);
  out[23] = 'Z';
  out[24] = '\0';
  return TRUE;
}

static gboolean
modifies_rows (const char *command_tag)
{
  return g_str_has_prefix (command_tag, "INSERT ") ||
         g_str_has_prefix (command_tag, "UPDATE ") ||
         g_str_has_prefix (command_tag, "DELETE ") ||
         g_str_has_prefix (command_tag, "MERGE ");
}

static MiraDbResult *
pg_copy_result (const PGresult *res)
{
  guint n_rows = (guint) PQntuples (res);
  guint n_cols = (guint) PQnfields (res);
  MiraDbResult *result = mira_db_result_new (n_cols);
  g_autofree Oid *types = g_new0 (Oid, n_cols + 1);
  g_autofree const char **values = g_new0 (const char *, n_cols + 1);
  g_autofree gsize *lengths = g_new0 (gsize, n_cols + 1);
  g_autofree char *scratch = g_malloc0 ((gsize) (n_cols + 1) * CANONICAL_TIMESTAMP_SIZE);
  const char *affected = PQcmdTuples ((PGresult *) res);

  for (guint c = 0; c < n_cols; c++)
    {
      mira_db_result_set_col_name (result, c, PQfname (res, (int) c));
      types[c] = PQftype (res, (int) c);
    }

  for (guint r = 0; r < n_rows; r++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          char *buf = scratch + (gsize) c * CANONICAL_TIMESTAMP_SIZE;

          if (PQgetisnull (res, (int) r, (int) c))
            {
              values[c] = NULL;
              lengths[c] = 0;
              continue;
            }

          values[c] = PQgetvalue (res, (int) r, (int) c);
          lengths[c] = (gsize) PQgetlength (res, (int) r, (int) c);

          switch (types[c])
            {
            case BOOLOID:
              values[c] = values[c][0] == 't' ? "1" : "0";
              lengths[c] = 1;
              break;

            case TIMESTAMPOID:
            case TIMESTAMPTZOID:
              if (normalize_timestamp (values[c], buf, CANONICAL_TIMESTAMP_SIZE))
                {
                  values[c] = buf;
                  lengths[c] = strlen (buf);
                }
              break;

            default:
              break;
            }
        }
      mira_db_result_add_row (result, values, lengths);
    }

  /* PQcmdTuples() counts the rows of a SELECT too; SQLite has only changes */
  if (affected != NULL && affected[0] != '\0' && modifies_rows (PQcmdStatus ((PGresult *) res)))
    mira_db_result_set_affected (result, g_ascii_strtoull (affected, NULL, 10));

  return result;
}

/* Statements are prepared once per session; SQL built at run time could grow
 * the cache forever, so it starts afresh past a bound.
 */
static void
pg_trim_statements (MiraDbPg *self)
{
  g_autoptr(PGresult) res = NULL;

  if (g_hash_table_size (self->statements) < MIRA_DB_STATEMENT_CACHE_MAX ||
      PQtransactionStatus (self->conn) == PQTRANS_INERROR)
    return;

  res = PQexec (self->conn, "DEALLOCATE ALL");
  if (PQresultStatus (res) == PGRES_COMMAND_OK)
    g_hash_table_remove_all (self->statements);
}

/* A prepared SELECT * whose table gained or lost a column */
static gboolean
is_stale_plan (const PGresult *res)
{
  const char *sqlstate = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  const char *message = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);

  return g_strcmp0 (sqlstate, "0A000") == 0 && message != NULL &&
         strstr (message, "cached plan must not change result type") != NULL;
}

/* Sets @retry when running the statement again could succeed: the
 * connection was lost, or the prepared statement went stale.
 */
static MiraDbResult *
pg_query_once (MiraDbPg            *self,
               const char          *sql,
               guint                n_params,
               const char * const  *params,
               gboolean            *retry,
               GError             **error)
{
  g_autoptr(PGresult) res = NULL;
  const char *name;

  name = g_hash_table_lookup (self->statements, sql);
  if (name == NULL)
    {
      g_autofree char *new_name = NULL;

      pg_trim_statements (self);

      new_name = g_strdup_printf ("mira_%u", ++self->next_statement);
      res = PQprepare (self->conn, new_name, sql, 0, NULL);
      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        {
          *retry = pg_set_error (self, res, error);
          return NULL;
        }
      g_clear_pointer (&res, PQclear);

      name = new_name;
      g_hash_table_insert (self->statements, g_strdup (sql), g_steal_pointer (&new_name));
    }

  res = PQexecPrepared (self->conn, name, (int) n_params, (const char * const *) params,
                        NULL, NULL, 0);
  switch (PQresultStatus (res))
    {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      return pg_copy_result (res);

    default:
      *retry = pg_set_error (self, res, error);
      if (is_stale_plan (res))
        {
          /* Names are never reused, so the old statement can simply be forgotten */
          g_hash_table_remove (self->statements, sql);
          *retry = TRUE;
        }
      return NULL;
    }
}

static MiraDbResult *
pg_query (MiraDb             *db,
          const char         *sql,
          guint               n_params,
          const char * const *params,
          GError            **error)
{
  MiraDbPg *self = (MiraDbPg *) db;

  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean retry = FALSE;
      gboolean in_transaction;
      MiraDbResult *result;

      if (!pg_ensure_connected (db, error))
        return NULL;

      /* Also a BEGIN that came through mira_db_exec() */
      in_transaction = db->in_transaction ||
                       PQtransactionStatus (self->conn) != PQTRANS_IDLE;

      result = pg_query_once (self, sql, n_params, params, &retry, &local_error);
      if (result != NULL)
        return result;

      /* The connection broke after pg_ensure_connected() found it fine, or the
       * statement failed before it ran. Outside a transaction the statement
       * never reached a live session or died with it uncommitted (short of a
       * server dying between its commit and its reply), so running it once
       * more is safe; inside one, the transaction is lost and the caller must
       * know.
       */
      if (retry && attempt == 0 && !in_transaction)
        {
          g_debug ("Retrying once: %s", local_error->message);
          continue;
        }

      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
}

static gboolean
pg_exec_command (MiraDbPg    *self,
                 const char  *sql,
                 GError     **error)
{
  g_autoptr(PGresult) res = PQexec (self->conn, sql);

  switch (PQresultStatus (res))
    {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return TRUE;

    default:
      pg_set_error (self, res, error);
      return FALSE;
    }
}

static gboolean
pg_exec (MiraDb      *db,
         const char  *sql,
         GError     **error)
{
  MiraDbPg *self = (MiraDbPg *) db;

  if (!pg_ensure_connected (db, error))
    return FALSE;

  return pg_exec_command (self, sql, error);
}

static gboolean
pg_begin (MiraDb  *db,
          GError **error)
{
  MiraDbPg *self = (MiraDbPg *) db;

  if (!pg_ensure_connected (db, error))
    return FALSE;

  return pg_exec_command (self, "BEGIN", error);
}

static gboolean
pg_commit (MiraDb  *db,
           GError **error)
{
  MiraDbPg *self = (MiraDbPg *) db;
  g_autoptr(PGresult) res = PQexec (self->conn, "COMMIT");

  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      pg_set_error (self, res, error);
      /* mira_db_commit() ends the transaction either way */
      if (PQstatus (self->conn) == CONNECTION_OK &&
          PQtransactionStatus (self->conn) != PQTRANS_IDLE)
        PQclear (PQexec (self->conn, "ROLLBACK"));
      return FALSE;
    }

  /* COMMIT of a transaction in which a statement failed succeeds, as a ROLLBACK */
  if (g_strcmp0 (PQcmdStatus (res), "COMMIT") != 0)
    {
      g_set_error_literal (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                           "The transaction was rolled back because a statement in it failed");
      return FALSE;
    }

  return TRUE;
}

static void
pg_rollback (MiraDb *db)
{
  MiraDbPg *self = (MiraDbPg *) db;
  g_autoptr(PGresult) res = NULL;

  /* A lost session took its transaction with it */
  if (PQstatus (self->conn) != CONNECTION_OK)
    return;

  res = PQexec (self->conn, "ROLLBACK");
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      g_autoptr(GError) error = NULL;

      pg_set_error (self, res, &error);
      g_debug ("ROLLBACK failed: %s", error->message);
    }
}

static void
pg_close (MiraDb *db)
{
  MiraDbPg *self = (MiraDbPg *) db;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->conn, PQfinish);
  g_free (self);
}

static const MiraDbBackend pg_backend = {
  .name = "PostgreSQL",
  .close = pg_close,
  .ensure_connected = pg_ensure_connected,
  .exec = pg_exec,
  .query = pg_query,
  .begin = pg_begin,
  .commit = pg_commit,
  .rollback = pg_rollback,
};

MiraDb *
mira_db_pg_open (const char  *conninfo,
                 GError     **error)
{
  /* Defaults that the URI may override: it is expanded in place of dbname */
  static const char * const keywords[] = {
    "connect_timeout", "fallback_application_name", "dbname", NULL
  };
  const char * const values[] = { "10", "mira-dashboard", conninfo, NULL };
  PQconninfoOption *options;
  char *parse_error = NULL;
  MiraDbPg *self;

  options = PQconninfoParse (conninfo, &parse_error);
  if (options == NULL)
    {
      g_autofree char *message = first_line (parse_error);

      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_URI,
                   "Invalid PostgreSQL URI: %s", message);
      PQfreemem (parse_error);
      return NULL;
    }
  PQconninfoFree (options);

  self = g_new0 (MiraDbPg, 1);
  self->parent.backend = &pg_backend;
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->conn = PQconnectdbParams (keywords, values, 1);

  if (self->conn == NULL)
    g_error ("Out of memory creating a PostgreSQL connection");

  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_autofree char *message = first_line (PQerrorMessage (self->conn));

      g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE,
                   "The database is unavailable: %s", message);
      pg_close (&self->parent);
      return NULL;
    }

  if (!pg_setup_session (self, error))
    {
      pg_close (&self->parent);
      return NULL;
    }

  return &self->parent;
}
