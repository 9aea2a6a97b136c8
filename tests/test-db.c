/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-db"

#include <string.h>

#include <glib/gstdio.h>

#include "mira-db.h"
#include "mira-migrations.h"
#include "mira-test-pg.h"
#include "mira-util.h"

/* An array literal of parameters and its length, for mira_db_query() */
#define PARAMS(...)                                          \
  G_N_ELEMENTS (((const char *[]) { __VA_ARGS__ })),         \
  ((const char * const[]) { __VA_ARGS__ })

#define CANONICAL_TIMESTAMP \
  "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"

typedef struct
{
  MiraDbDialect  dialect;
  char          *uri;
  MiraDb        *db;
} Fixture;

typedef void (*FixtureFunc) (Fixture       *f,
                             gconstpointer  data);

static gboolean
is_pg (Fixture *f)
{
  return f->dialect == MIRA_DB_DIALECT_POSTGRESQL;
}

static void
fixture_open (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dialect = GPOINTER_TO_INT (data);
  if (f->dialect == MIRA_DB_DIALECT_POSTGRESQL)
    f->uri = mira_test_pg_new_database ();
  else
    f->uri = mira_test_sqlite_uri ();

  f->db = mira_db_open (f->uri, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
  g_assert_cmpint (mira_db_get_dialect (f->db), ==, f->dialect);
  g_assert_cmpstr (mira_db_get_uri (f->db), ==, f->uri);
}

static void
fixture_migrated (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture_open (f, data);
  g_assert_true (mira_migrations_apply (f->db, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->db, mira_db_close);
  g_clear_pointer (&f->uri, g_free);
}

static MiraDbResult *
query_ok (Fixture            *f,
          const char         *sql,
          guint               n_params,
          const char * const *params)
{
  g_autoptr(GError) error = NULL;
  MiraDbResult *result;

  result = mira_db_query (f->db, sql, n_params, params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

/* The one value of a one-row result, or NULL */
static char *
query_value (Fixture            *f,
             const char         *sql,
             guint               n_params,
             const char * const *params)
{
  g_autoptr(MiraDbResult) result = query_ok (f, sql, n_params, params);

  g_assert_cmpuint (mira_db_result_n_rows (result), ==, 1);
  return g_strdup (mira_db_result_get (result, 0, 0));
}

static void
query_fails (Fixture            *f,
             MiraDbError         code,
             const char         *sql,
             guint               n_params,
             const char * const *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) result = NULL;

  result = mira_db_query (f->db, sql, n_params, params, &error);
  g_assert_error (error, MIRA_DB_ERROR, (int) code);
  g_assert_null (result);
  g_test_message ("Expected error: %s", error->message);
}

static void
assert_count (Fixture    *f,
              const char *sql,
              const char *param,
              const char *expected)
{
  g_autofree char *count = NULL;

  if (param != NULL)
    count = query_value (f, sql, PARAMS (param));
  else
    count = query_value (f, sql, 0, NULL);
  g_assert_cmpstr (count, ==, expected);
}

static void
assert_canonical_timestamp (const char *value)
{
  g_autofree char *normalized = mira_timestamp_normalize (value);

  g_assert_nonnull (value);
  if (!g_regex_match_simple (CANONICAL_TIMESTAMP, value, 0, 0))
    g_error ("Not a canonical timestamp: %s", value);
  g_assert_cmpstr (normalized, ==, value);
}

static char *
insert_network (Fixture    *f,
                const char *name)
{
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *network_id = mira_network_id_new ();
  g_autofree char *token_hash = mira_sha256_hex (id);
  g_autoptr(MiraDbResult) result = NULL;

  result = query_ok (f,
                     "INSERT INTO networks (id, network_id, name, token_hash) "
                     "VALUES ($1, $2, $3, $4)",
                     PARAMS (id, network_id, name, token_hash));
  g_assert_cmpuint (mira_db_result_affected (result), ==, 1);
  return g_steal_pointer (&id);
}

static char *
insert_interaction (Fixture    *f,
                    const char *network,
                    const char *text)
{
  g_autofree char *id = mira_uuid_new ();
  g_autoptr(MiraDbResult) result = NULL;

  result = query_ok (f,
                     "INSERT INTO interactions (id, network_id, text) VALUES ($1, $2, $3)",
                     PARAMS (id, network, text));
  return g_steal_pointer (&id);
}

static gboolean
table_exists (Fixture    *f,
              const char *table)
{
  g_autofree char *exists = NULL;

  if (is_pg (f))
    exists = query_value (f, "SELECT to_regclass($1) IS NOT NULL", PARAMS (table));
  else
    exists = query_value (f,
                          "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                          PARAMS (table));
  return mira_db_value_is_true (exists);
}

/* Not every URI opens a database */
static void
test_uri_invalid (void)
{
  static const char * const invalid[] = {
    "",
    "mysql://localhost/mira",
    "sqlite:relative.db",
    "sqlite://relative.db",
    "sqlite:///",
    "sqlite:///tmp/mira/",
    "sqlite:///tmp/mira.db?mode=ro",
    "postgresql://localhost/mira?no_such_option=1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraDb) db = mira_db_open (invalid[i], &error);

      g_test_message ("%s: %s", invalid[i], error != NULL ? error->message : "(opened)");
      g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_URI);
      g_assert_null (db);
    }
}

/* A server that is not there is unavailable, not invalid */
static void
test_uri_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = NULL;

  db = mira_db_open ("postgresql://postgres@/mira?host=/nonexistent-mira-socket-dir", &error);
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE);
  g_assert_null (db);
}

static void
test_migrations (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autofree char *n_recorded = NULL;
  g_autofree char *n_known = NULL;
  const MiraMigration *first;

  /* Asking changes nothing */
  before = mira_migrations_status (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, >=, 1);
  first = g_ptr_array_index (before, 0);
  g_assert_cmpuint (first->version, ==, 1);
  g_assert_cmpstr (first->name, ==, "initial");
  for (guint i = 0; i < before->len; i++)
    g_assert_null (((MiraMigration *) g_ptr_array_index (before, i))->applied_at);
  g_assert_false (table_exists (f, "schema_migrations"));
  g_assert_false (table_exists (f, "networks"));

  g_assert_true (mira_migrations_apply (f->db, &error));
  g_assert_no_error (error);
  g_assert_true (table_exists (f, "networks"));
  g_assert_true (table_exists (f, "client_sessions"));

  after = mira_migrations_status (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < after->len; i++)
    {
      const MiraMigration *m = g_ptr_array_index (after, i);

      assert_canonical_timestamp (m->applied_at);
      if (i > 0)
        g_assert_cmpuint (m->version, >, ((MiraMigration *) g_ptr_array_index (after, i - 1))->version);
    }

  /* Idempotent: nothing is applied twice */
  g_assert_true (mira_migrations_apply (f->db, &error));
  g_assert_no_error (error);
  again = mira_migrations_status (f->db, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < again->len; i++)
    g_assert_cmpstr (((MiraMigration *) g_ptr_array_index (again, i))->applied_at, ==,
                     ((MiraMigration *) g_ptr_array_index (after, i))->applied_at);

  n_recorded = query_value (f, "SELECT count(*) FROM schema_migrations", 0, NULL);
  n_known = g_strdup_printf ("%u", again->len);
  g_assert_cmpstr (n_recorded, ==, n_known);
  assert_count (f, "SELECT name FROM schema_migrations WHERE version = $1", "1", "initial");
}

static gpointer
migrate_thread (gpointer data)
{
  const char *uri = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = mira_db_open (uri, &error);

  if (db != NULL)
    mira_migrations_apply (db, &error);
  return g_steal_pointer (&error);
}

/* Servers started together take turns */
static void
test_migrations_concurrent (Fixture       *f,
                            gconstpointer  data)
{
  GThread *threads[4];
  g_autoptr(GPtrArray) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *n_known = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("migrate", migrate_thread, f->uri);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autoptr(GError) thread_error = g_thread_join (threads[i]);
      g_assert_no_error (thread_error);
    }

  status = mira_migrations_status (f->db, &error);
  g_assert_no_error (error);
  n_known = g_strdup_printf ("%u", status->len);
  assert_count (f, "SELECT count(*) FROM schema_migrations", NULL, n_known);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  static const char injection[] = "'; DROP TABLE networks; --";
  static const char unicode[] = "Café ☕ «Ελληνικά» 日本語 🎉 \\ \" $1";
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *network_id = mira_network_id_new ();
  g_autofree char *token_hash = mira_sha256_hex ("token");
  g_autofree char *missing = mira_uuid_new ();
  g_autofree char *other = NULL;
  g_autoptr(MiraDbResult) inserted = NULL;
  g_autoptr(MiraDbResult) result = NULL;
  g_autoptr(MiraDbResult) empty = NULL;
  g_autoptr(GPtrArray) params = NULL;
  const char *ts = "2026-01-15T10:30:00.123Z";

  /* Out of order, and $6 twice */
  inserted = query_ok (f,
                       "INSERT INTO networks (network_id, id, name, description, token_hash, "
                       "                      created_at, updated_at, last_activity, metadata) "
                       "VALUES ($2, $1, $4, $3, $5, $6, $6, $7, $8)",
                       PARAMS (id, network_id, injection, unicode, token_hash, ts, NULL,
                               "{\"k\": [1, \"x\"]}"));
  g_assert_cmpuint (mira_db_result_affected (inserted), ==, 1);
  g_assert_cmpuint (mira_db_result_n_rows (inserted), ==, 0);

  result = query_ok (f,
                     "SELECT network_id, name, description, created_at, updated_at, "
                     "       last_activity, status, interaction_count, metadata "
                     "FROM networks WHERE id = $2 AND network_id = $1",
                     PARAMS (network_id, id));
  g_assert_cmpuint (mira_db_result_n_rows (result), ==, 1);
  g_assert_cmpuint (mira_db_result_n_cols (result), ==, 9);
  g_assert_cmpuint (mira_db_result_affected (result), ==, 0);
  g_assert_cmpstr (mira_db_result_col_name (result, 0), ==, "network_id");
  g_assert_cmpstr (mira_db_result_col_name (result, 8), ==, "metadata");
  g_assert_cmpstr (mira_db_result_get (result, 0, 0), ==, network_id);
  g_assert_cmpstr (mira_db_result_get (result, 0, 1), ==, unicode);
  g_assert_cmpstr (mira_db_result_get (result, 0, 2), ==, injection);
  g_assert_cmpstr (mira_db_result_get (result, 0, 3), ==, ts);
  g_assert_cmpstr (mira_db_result_get (result, 0, 4), ==, ts);
  g_assert_null (mira_db_result_get (result, 0, 5));
  g_assert_cmpstr (mira_db_result_get (result, 0, 6), ==, "active");
  g_assert_cmpstr (mira_db_result_get (result, 0, 7), ==, "0");
  g_assert_nonnull (strstr (mira_db_result_get (result, 0, 8), "\"k\""));

  /* The injection stayed data */
  g_assert_true (table_exists (f, "networks"));
  assert_count (f, "SELECT count(*) FROM networks WHERE description = $1", injection, "1");

  /* A parameter used twice, in the WHERE clause */
  assert_count (f, "SELECT count(*) FROM networks WHERE name = $1 OR description = $1",
                unicode, "1");

  /* NULL and the empty string are different things */
  other = insert_network (f, "other");
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "UPDATE networks SET description = $1 WHERE id = $2", PARAMS ("", other));
  g_assert_cmpuint (mira_db_result_affected (result), ==, 1);
  assert_count (f, "SELECT count(*) FROM networks WHERE description = ''", NULL, "1");
  assert_count (f, "SELECT count(*) FROM networks WHERE description IS NULL", NULL, "0");

  /* mira_db_queryv(), with a NULL */
  params = g_ptr_array_new ();
  g_ptr_array_add (params, NULL);
  g_ptr_array_add (params, other);
  g_clear_pointer (&result, mira_db_result_free);
  result = mira_db_queryv (f->db, "UPDATE networks SET description = $1 WHERE id = $2",
                           params, NULL);
  g_assert_nonnull (result);
  assert_count (f, "SELECT count(*) FROM networks WHERE description IS NULL", NULL, "1");

  /* Affected rows, and none for a SELECT after it */
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "UPDATE networks SET status = $1", PARAMS ("inactive"));
  g_assert_cmpuint (mira_db_result_affected (result), ==, 2);
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "SELECT id FROM networks ORDER BY network_id LIMIT $1", PARAMS ("1"));
  g_assert_cmpuint (mira_db_result_n_rows (result), ==, 1);
  g_assert_cmpuint (mira_db_result_affected (result), ==, 0);

  empty = query_ok (f, "SELECT id FROM networks WHERE id = $1", PARAMS (missing));
  g_assert_cmpuint (mira_db_result_n_rows (empty), ==, 0);
  g_assert_cmpuint (mira_db_result_n_cols (empty), ==, 1);
}

/* Using other than exactly $1..$n is a bug in the caller, not a lost server */
static void
test_params_mismatch (Fixture       *f,
                      gconstpointer  data)
{
  query_fails (f, MIRA_DB_ERROR_FAILED, "SELECT count(*) FROM networks WHERE id = $1",
               PARAMS ("a", "b"));
  query_fails (f, MIRA_DB_ERROR_FAILED, "SELECT count(*) FROM networks WHERE id = $1 OR id = $2",
               PARAMS ("a"));
  query_fails (f, MIRA_DB_ERROR_FAILED, "SELEKT 1", 0, NULL);
  assert_count (f, "SELECT count(*) FROM networks", NULL, "0");
}

/* More distinct statements than the cache holds */
static void
test_statement_cache (Fixture       *f,
                      gconstpointer  data)
{
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT CAST($1 AS TEXT) || '-%u'", i % 280);
      g_autofree char *expected = g_strdup_printf ("x-%u", i % 280);
      g_autofree char *value = query_value (f, sql, PARAMS ("x"));

      g_assert_cmpstr (value, ==, expected);
    }
}

/* A cached SELECT * outlives a change of its table */
static void
test_schema_change (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) before = NULL;
  g_autoptr(MiraDbResult) after = NULL;

  g_assert_true (mira_db_exec (f->db, "CREATE TABLE scratch (a INTEGER); "
                                      "INSERT INTO scratch VALUES (1)", &error));
  g_assert_no_error (error);
  before = query_ok (f, "SELECT * FROM scratch WHERE a = $1", PARAMS ("1"));
  g_assert_cmpuint (mira_db_result_n_cols (before), ==, 1);

  g_assert_true (mira_db_exec (f->db, "ALTER TABLE scratch ADD COLUMN b TEXT", &error));
  g_assert_no_error (error);
  after = query_ok (f, "SELECT * FROM scratch WHERE a = $1", PARAMS ("1"));
  g_assert_cmpuint (mira_db_result_n_cols (after), ==, 2);
  g_assert_cmpstr (mira_db_result_col_name (after, 1), ==, "b");
  g_assert_null (mira_db_result_get (after, 0, 1));
}

/* Whatever the server's defaults, a session speaks UTC and ISO */
static void
test_pg_session (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) result = NULL;
  g_autofree char *uri = NULL;
  Fixture other = { .dialect = MIRA_DB_DIALECT_POSTGRESQL };

  uri = g_strconcat (f->uri, "&options=-c%20TimeZone%3DAsia%2FKolkata%20-c%20DateStyle%3DGerman",
                     NULL);
  other.db = mira_db_open (uri, &error);
  g_assert_no_error (error);
  result = query_ok (&other,
                     "SELECT current_setting('TimeZone'), current_setting('DateStyle'), "
                     "       CAST($1 AS timestamptz)",
                     PARAMS ("2026-01-15T10:30:00.123Z"));
  g_assert_cmpstr (mira_db_result_get (result, 0, 0), ==, "UTC");
  g_assert_cmpstr (mira_db_result_get (result, 0, 1), ==, "ISO, MDY");
  g_assert_cmpstr (mira_db_result_get (result, 0, 2), ==, "2026-01-15T10:30:00.123Z");

  /* A zone set later still reads back as UTC */
  g_assert_true (mira_db_exec (other.db, "SET TimeZone TO 'Asia/Kolkata'", &error));
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (&other, "SELECT CAST($1 AS timestamptz), CAST($2 AS timestamptz)",
                     PARAMS ("2026-01-15T10:30:00.123Z", "2026-01-15T20:00:00.000Z"));
  g_assert_cmpstr (mira_db_result_get (result, 0, 0), ==, "2026-01-15T10:30:00.123Z");
  g_assert_cmpstr (mira_db_result_get (result, 0, 1), ==, "2026-01-15T20:00:00.000Z");
  g_clear_pointer (&other.db, mira_db_close);
}

static void
test_timestamps (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *network = insert_network (f, "n");
  g_autoptr(MiraDbResult) result = NULL;
  g_autoptr(MiraDbResult) sorted = NULL;

  /* Defaults come out canonical */
  result = query_ok (f, "SELECT created_at, updated_at, last_activity FROM networks WHERE id = $1",
                     PARAMS (network));
  assert_canonical_timestamp (mira_db_result_get (result, 0, 0));
  assert_canonical_timestamp (mira_db_result_get (result, 0, 1));
  g_assert_null (mira_db_result_get (result, 0, 2));

  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "UPDATE networks SET last_activity = $1 WHERE id = $2",
                     PARAMS ("1999-12-31T23:59:59.999Z", network));
  assert_count (f, "SELECT last_activity FROM networks WHERE id = $1", network,
                "1999-12-31T23:59:59.999Z");

  /* And sort as text */
  g_free (insert_interaction (f, network, "b"));
  g_free (insert_interaction (f, network, "a"));
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "UPDATE interactions SET timestamp = $1 WHERE text = 'a'",
                     PARAMS ("2026-01-15T09:00:00.000Z"));
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "UPDATE interactions SET timestamp = $1 WHERE text = 'b'",
                     PARAMS ("2026-01-15T10:00:00.000Z"));
  sorted = query_ok (f, "SELECT text, timestamp FROM interactions WHERE timestamp > $1 "
                        "ORDER BY timestamp DESC",
                     PARAMS ("2026-01-15T08:59:59.999Z"));
  g_assert_cmpuint (mira_db_result_n_rows (sorted), ==, 2);
  g_assert_cmpstr (mira_db_result_get (sorted, 0, 0), ==, "b");
  g_assert_cmpstr (mira_db_result_get (sorted, 0, 1), ==, "2026-01-15T10:00:00.000Z");

  if (is_pg (f))
    {
      g_autoptr(MiraDbResult) values = NULL;

      /* Any zone, any precision, timestamp without zone too */
      values = query_ok (f,
                         "SELECT CAST($1 AS timestamptz), CAST($2 AS timestamp), "
                         "       now(), CAST('infinity' AS timestamptz), CAST($3 AS timestamptz)",
                         PARAMS ("2026-01-15 11:30:00.5+01:00", "2026-01-15 10:30:00.123456",
                                 "2026-01-15T10:30:00Z"));
      g_assert_cmpstr (mira_db_result_get (values, 0, 0), ==, "2026-01-15T10:30:00.500Z");
      g_assert_cmpstr (mira_db_result_get (values, 0, 1), ==, "2026-01-15T10:30:00.123Z");
      assert_canonical_timestamp (mira_db_result_get (values, 0, 2));
      g_assert_cmpstr (mira_db_result_get (values, 0, 3), ==, "infinity");
      g_assert_cmpstr (mira_db_result_get (values, 0, 4), ==, "2026-01-15T10:30:00.000Z");
      query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET last_activity = $1",
                   PARAMS ("yesterday-ish"));
    }
  else
    {
      /* Only the canonical form sorts right as text, so only it is stored */
      query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET last_activity = $1",
                   PARAMS ("2026-01-15 10:30:00"));
      query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET last_activity = $1",
                   PARAMS ("yesterday-ish"));
    }
}

static char *
insert_client (Fixture    *f,
               const char *network,
               const char *client_id)
{
  g_autofree char *id = mira_uuid_new ();
  g_autoptr(MiraDbResult) result = NULL;

  result = query_ok (f,
                     "INSERT INTO clients (id, network_id, client_id, device_type) "
                     "VALUES ($1, $2, $3, 'microphone')",
                     PARAMS (id, network, client_id));
  return g_steal_pointer (&id);
}

static char *
insert_session (Fixture    *f,
                const char *network,
                const char *client)
{
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *token = mira_token_new ("sess_");
  g_autofree char *token_hash = mira_sha256_hex (token);
  g_autoptr(MiraDbResult) result = NULL;

  result = query_ok (f,
                     "INSERT INTO client_sessions (id, network_id, client_id, session_token, "
                     "                             ip_address) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     PARAMS (id, network, client, token_hash, "192.0.2.7"));
  return g_steal_pointer (&id);
}

static void
test_booleans (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *network = insert_network (f, "n");
  g_autofree char *client = insert_client (f, network, "c1");
  g_autofree char *session = insert_session (f, network, client);
  g_autoptr(MiraDbResult) result = NULL;
  g_autoptr(MiraDbResult) literals = NULL;

  assert_count (f, "SELECT is_active FROM client_sessions WHERE id = $1", session, "1");
  result = query_ok (f, "UPDATE client_sessions SET is_active = $1 WHERE id = $2",
                     PARAMS ("0", session));
  assert_count (f, "SELECT is_active FROM client_sessions WHERE id = $1", session, "0");
  assert_count (f, "SELECT count(*) FROM client_sessions WHERE is_active = $1", "0", "1");

  literals = query_ok (f, "SELECT (1 = 1), (1 = 0), NULL", 0, NULL);
  g_assert_cmpstr (mira_db_result_get (literals, 0, 0), ==, "1");
  g_assert_cmpstr (mira_db_result_get (literals, 0, 1), ==, "0");
  g_assert_null (mira_db_result_get (literals, 0, 2));
  g_assert_true (mira_db_value_is_true (mira_db_result_get (literals, 0, 0)));
  g_assert_false (mira_db_value_is_true (mira_db_result_get (literals, 0, 1)));
  g_assert_false (mira_db_value_is_true (NULL));
}

static void
test_constraints (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *network = insert_network (f, "n");
  g_autofree char *network_id = NULL;
  g_autofree char *token_hash = NULL;
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *nowhere = mira_uuid_new ();
  g_autofree char *too_long = g_strnfill (51, 'x');

  network_id = query_value (f, "SELECT network_id FROM networks WHERE id = $1", PARAMS (network));
  token_hash = query_value (f, "SELECT token_hash FROM networks WHERE id = $1", PARAMS (network));

  /* UNIQUE and PRIMARY KEY */
  query_fails (f, MIRA_DB_ERROR_CONFLICT,
               "INSERT INTO networks (id, network_id, name, token_hash) VALUES ($1, $2, 'n', 'h')",
               PARAMS (id, network_id));
  query_fails (f, MIRA_DB_ERROR_CONFLICT,
               "INSERT INTO networks (id, network_id, name, token_hash) VALUES ($1, 'n2', 'n', $2)",
               PARAMS (id, token_hash));
  query_fails (f, MIRA_DB_ERROR_CONFLICT,
               "INSERT INTO networks (id, network_id, name, token_hash) VALUES ($1, 'n2', 'n', 'h')",
               PARAMS (network));

  /* CHECK */
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET status = $1 WHERE id = $2",
               PARAMS ("bogus", network));
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT,
               "INSERT INTO calendar_events (id, network_id, title, start_time, end_time) "
               "VALUES ($1, $2, 't', $3, $4)",
               PARAMS (id, network, "2026-01-15T10:00:00.000Z", "2026-01-15T09:00:00.000Z"));

  /* FOREIGN KEY */
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT,
               "INSERT INTO clients (id, network_id, client_id, device_type) "
               "VALUES ($1, $2, 'c', 'd')",
               PARAMS (id, nowhere));

  /* NOT NULL */
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET name = $1 WHERE id = $2",
               PARAMS (NULL, network));

  /* Data that does not fit the column */
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET metadata = $1 WHERE id = $2",
               PARAMS ("{not json", network));
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET network_id = $1 WHERE id = $2",
               PARAMS (too_long, network));
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT,
               "INSERT INTO persons (id, network_id, \"index\") VALUES ($1, $2, $3)",
               PARAMS (id, network, "first"));
  if (is_pg (f))
    query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "SELECT count(*) FROM networks WHERE id = $1",
                 PARAMS ("not-a-uuid"));

  /* None of it stuck, and the connection is fine */
  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");
  assert_count (f, "SELECT status FROM networks WHERE id = $1", network, "active");
}

static void
test_transactions (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;

  /* Rolled back */
  g_assert_true (mira_db_begin (f->db, &error));
  g_assert_no_error (error);
  g_free (insert_network (f, "gone"));
  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");
  mira_db_rollback (f->db);
  assert_count (f, "SELECT count(*) FROM networks", NULL, "0");

  /* Committed */
  g_assert_true (mira_db_begin (f->db, &error));
  kept = insert_network (f, "kept");
  g_assert_true (mira_db_commit (f->db, &error));
  g_assert_no_error (error);
  assert_count (f, "SELECT name FROM networks", NULL, "kept");

  /* Misuse */
  g_assert_false (mira_db_commit (f->db, &error));
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (mira_db_begin (f->db, &error));
  g_assert_false (mira_db_begin (f->db, &error));
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED);
  g_clear_error (&error);
  mira_db_rollback (f->db);
  mira_db_rollback (f->db);

  /* A failed statement, then a rollback: the connection is fine */
  g_assert_true (mira_db_begin (f->db, &error));
  g_free (insert_network (f, "gone too"));
  query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET status = 'bogus'", 0, NULL);
  mira_db_rollback (f->db);
  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");

  /* PostgreSQL aborts the whole transaction: committing it is an error */
  if (is_pg (f))
    {
      g_assert_true (mira_db_begin (f->db, &error));
      g_free (insert_network (f, "gone as well"));
      query_fails (f, MIRA_DB_ERROR_CONSTRAINT, "UPDATE networks SET status = 'bogus'", 0, NULL);
      g_assert_false (mira_db_commit (f->db, &error));
      g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED);
      g_clear_error (&error);
      mira_db_rollback (f->db);
      assert_count (f, "SELECT count(*) FROM networks", NULL, "1");
    }
}

static void
test_exec (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mira_db_exec (f->db,
                               "CREATE TABLE scratch (a INTEGER NOT NULL);\n"
                               "INSERT INTO scratch VALUES (1);\n"
                               "INSERT INTO scratch VALUES (2);\n",
                               &error));
  g_assert_no_error (error);
  assert_count (f, "SELECT sum(a) FROM scratch", NULL, "3");

  g_assert_false (mira_db_exec (f->db, "INSERT INTO scratch VALUES (NULL)", &error));
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_false (mira_db_exec (f->db, "NOT SQL AT ALL", &error));
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED);
}

/* What the store does with q=: every word must match, in any form */
static char *
search_sql (Fixture *f)
{
  if (is_pg (f))
    return g_strdup ("SELECT text FROM interactions "
                     "WHERE network_id = $1 AND text_search @@ plainto_tsquery('english', $2) "
                     "ORDER BY text");
  return g_strdup ("SELECT text FROM interactions "
                   "WHERE network_id = $1 AND rowid IN (SELECT rowid FROM interactions_fts "
                   "                                    WHERE interactions_fts MATCH $2) "
                   "ORDER BY text");
}

/* FTS5 has a query syntax; each word becomes a quoted string (all must match) */
static char *
search_terms (Fixture    *f,
              const char *words)
{
  g_auto(GStrv) tokens = NULL;
  g_autoptr(GString) query = NULL;

  if (is_pg (f))
    return g_strdup (words);

  tokens = g_strsplit_set (words, " \t\n", -1);
  query = g_string_new (NULL);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autoptr(GString) token = NULL;

      if (tokens[i][0] == '\0')
        continue;
      token = g_string_new (tokens[i]);
      g_string_replace (token, "\"", "\"\"", 0);
      g_string_append_printf (query, "%s\"%s\"", query->len > 0 ? " " : "", token->str);
    }
  return g_string_free (g_steal_pointer (&query), FALSE);
}

static guint
search (Fixture    *f,
        const char *network,
        const char *words)
{
  g_autofree char *sql = search_sql (f);
  g_autofree char *terms = search_terms (f, words);
  g_autoptr(MiraDbResult) result = query_ok (f, sql, PARAMS (network, terms));

  return mira_db_result_n_rows (result);
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *network = insert_network (f, "n");
  g_autofree char *elsewhere = insert_network (f, "elsewhere");
  g_autofree char *meeting = insert_interaction (f, network, "Let's schedule a meeting tomorrow");
  g_autofree char *meetings = insert_interaction (f, network, "The meetings ran long");
  g_autofree char *fruit = insert_interaction (f, network, "Buy bananas and apples");
  g_autofree char *other = insert_interaction (f, elsewhere, "A meeting elsewhere");
  g_autoptr(MiraDbResult) result = NULL;

  g_assert_cmpuint (search (f, network, "meeting"), ==, 2);
  g_assert_cmpuint (search (f, network, "Meetings"), ==, 2);
  g_assert_cmpuint (search (f, network, "banana"), ==, 1);
  g_assert_cmpuint (search (f, network, "schedule meetings"), ==, 1);
  g_assert_cmpuint (search (f, network, "zebra"), ==, 0);
  g_assert_cmpuint (search (f, network, "meeting\" OR -x AND (NEAR"), ==, 0);
  g_assert_cmpuint (search (f, elsewhere, "meeting"), ==, 1);

  result = query_ok (f, "UPDATE interactions SET text = $1 WHERE id = $2",
                     PARAMS ("Buy oranges", fruit));
  g_assert_cmpuint (search (f, network, "banana"), ==, 0);
  g_assert_cmpuint (search (f, network, "orange"), ==, 1);

  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "DELETE FROM interactions WHERE id = $1", PARAMS (meetings));
  g_assert_cmpuint (mira_db_result_affected (result), ==, 1);
  g_assert_cmpuint (search (f, network, "meeting"), ==, 1);

  if (!is_pg (f))
    {
      /* The index agrees with its content table */
      g_autoptr(GError) error = NULL;

      g_assert_true (mira_db_exec (f->db,
                                   "INSERT INTO interactions_fts (interactions_fts, rank) "
                                   "VALUES ('integrity-check', 1)",
                                   &error));
      g_assert_no_error (error);
    }
}

static void
test_interaction_count (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *network = insert_network (f, "n");
  g_autofree char *a = insert_interaction (f, network, "a");
  g_autofree char *b = insert_interaction (f, network, "b");
  g_autofree char *c = insert_interaction (f, network, "c");
  g_autoptr(MiraDbResult) result = NULL;

  assert_count (f, "SELECT interaction_count FROM networks WHERE id = $1", network, "3");

  result = query_ok (f, "DELETE FROM interactions WHERE id = $1", PARAMS (b));
  assert_count (f, "SELECT interaction_count FROM networks WHERE id = $1", network, "2");
  assert_count (f, "SELECT count(*) FROM interactions WHERE network_id = $1", network, "2");
}

static void
test_cascade (Fixture       *f,
              gconstpointer  data)
{
  static const char * const tables[] = {
    "clients", "persons", "conversations", "interactions", "actions", "calendar_events",
    "reminders", "network_settings", "client_sessions",
  };
  g_autofree char *network = insert_network (f, "doomed");
  g_autofree char *survivor = insert_network (f, "survivor");
  g_autofree char *client = insert_client (f, network, "c1");
  g_autofree char *session = insert_session (f, network, client);
  g_autofree char *person = mira_uuid_new ();
  g_autofree char *conversation = mira_uuid_new ();
  g_autofree char *interaction = mira_uuid_new ();
  g_autofree char *id = NULL;
  g_autofree char *kept = insert_interaction (f, survivor, "kept interaction");
  g_autoptr(MiraDbResult) result = NULL;

  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO persons (id, network_id, \"index\", name) "
                        "VALUES ($1, $2, $3, 'Ada')",
                     PARAMS (person, network, "0"));
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO conversations (id, network_id, participant_ids) "
                        "VALUES ($1, $2, $3)",
                     PARAMS (conversation, network, "[\"x\"]"));
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO interactions (id, network_id, client_id, speaker_id, "
                        "                          conversation_id, text, interaction_type) "
                        "VALUES ($1, $2, $3, $4, $5, $6, 'audio')",
                     PARAMS (interaction, network, client, person, conversation,
                             "remind me about the zeppelin"));
  g_free (insert_interaction (f, network, "another zeppelin"));

  id = mira_uuid_new ();
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO actions (id, network_id, interaction_id, action_type, "
                        "                     action_data) VALUES ($1, $2, $3, 'reminder', '{}')",
                     PARAMS (id, network, interaction));
  g_free (id);
  id = mira_uuid_new ();
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO calendar_events (id, network_id, interaction_id, title, "
                        "                             start_time) VALUES ($1, $2, $3, 't', $4)",
                     PARAMS (id, network, interaction, "2026-02-01T09:00:00.000Z"));
  g_free (id);
  id = mira_uuid_new ();
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO reminders (id, network_id, interaction_id, title, due_time, "
                        "                       priority) VALUES ($1, $2, $3, 't', $4, 'high')",
                     PARAMS (id, network, interaction, "2026-02-01T09:00:00.000Z"));
  g_free (id);
  id = mira_uuid_new ();
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "INSERT INTO network_settings (id, network_id, setting_key, setting_value) "
                        "VALUES ($1, $2, 'language', '\"en\"')",
                     PARAMS (id, network));

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE network_id = $1",
                                              tables[i]);
      g_autofree char *count = query_value (f, sql, PARAMS (network));

      g_assert_cmpstr (count, !=, "0");
    }
  assert_count (f, "SELECT interaction_count FROM networks WHERE id = $1", network, "2");

  /* SET NULL and CASCADE from a client */
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "DELETE FROM clients WHERE id = $1", PARAMS (client));
  assert_count (f, "SELECT client_id FROM interactions WHERE id = $1", interaction, NULL);
  assert_count (f, "SELECT count(*) FROM client_sessions WHERE id = $1", session, "0");

  /* The count trigger runs for the cascaded interactions of a network being deleted */
  g_clear_pointer (&result, mira_db_result_free);
  result = query_ok (f, "DELETE FROM networks WHERE id = $1", PARAMS (network));
  g_assert_cmpuint (mira_db_result_affected (result), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE network_id = $1",
                                              tables[i]);

      assert_count (f, sql, network, "0");
    }
  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");
  assert_count (f, "SELECT interaction_count FROM networks WHERE id = $1", survivor, "1");
  assert_count (f, "SELECT text FROM interactions WHERE id = $1", kept, "kept interaction");
  g_assert_cmpuint (search (f, network, "zeppelin"), ==, 0);
  g_assert_cmpuint (search (f, survivor, "kept"), ==, 1);
}

/* A restarted server leaves the connection stale; it recovers by itself */
static void
test_pg_reconnect (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) result = NULL;
  g_autofree char *network = insert_network (f, "before");

  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");

  mira_test_pg_restart ();

  /* Either it retries and works at once, or it fails and the next one works */
  result = mira_db_query (f->db, "SELECT count(*) FROM networks", 0, NULL, &error);
  if (result == NULL)
    {
      g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE);
      g_clear_error (&error);
    }
  assert_count (f, "SELECT count(*) FROM networks", NULL, "1");
  g_free (insert_network (f, "after"));
  assert_count (f, "SELECT count(*) FROM networks", NULL, "2");

  /* A transaction does not survive its session */
  g_assert_true (mira_db_begin (f->db, &error));
  g_free (insert_network (f, "lost"));
  mira_test_pg_restart ();
  query_fails (f, MIRA_DB_ERROR_UNAVAILABLE, "SELECT count(*) FROM networks", 0, NULL);
  g_assert_false (mira_db_commit (f->db, &error));
  g_assert_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  mira_db_rollback (f->db);

  g_assert_true (mira_db_ensure_connected (f->db, &error));
  g_assert_no_error (error);
  assert_count (f, "SELECT count(*) FROM networks", NULL, "2");

  /* A transaction starting on a stale connection reconnects first */
  mira_test_pg_restart ();
  g_assert_true (mira_db_begin (f->db, &error));
  g_assert_no_error (error);
  g_free (insert_network (f, "in a new session"));
  g_assert_true (mira_db_commit (f->db, &error));
  assert_count (f, "SELECT count(*) FROM networks", NULL, "3");

  /* And so does a script */
  mira_test_pg_restart ();
  g_assert_true (mira_db_exec (f->db, "UPDATE networks SET status = 'inactive'", &error));
  g_assert_no_error (error);
}

/* The file keeps everything across connections */
static void
test_sqlite_reopen (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) status = NULL;
  g_autoptr(MiraDbResult) inserted = NULL;
  g_autofree char *base = mira_test_sqlite_uri ();
  g_autofree char *uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *token_hash = mira_sha256_hex (id);
  Fixture f = { .dialect = MIRA_DB_DIALECT_SQLITE };
  GStatBuf st;

  /* Directories are created, private */
  g_assert_true (g_str_has_suffix (base, ".db"));
  uri = g_strconcat (base, ".d/nested/mira%20data.db", NULL);
  f.db = mira_db_open (uri, &error);
  g_assert_no_error (error);
  g_assert_true (mira_migrations_apply (f.db, &error));
  g_clear_pointer (&f.db, mira_db_close);

  path = g_uri_unescape_string (uri + strlen ("sqlite://"), NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_str_has_suffix (path, "/mira data.db"));
  dir = g_path_get_dirname (path);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  f.db = mira_db_open (uri, &error);
  g_assert_no_error (error);
  g_free (query_value (&f, "SELECT count(*) FROM networks", 0, NULL));
  inserted = query_ok (&f, "INSERT INTO networks (id, network_id, name, token_hash) "
                           "VALUES ($1, 'net', 'kept', $2)",
                       PARAMS (id, token_hash));
  g_clear_pointer (&f.db, mira_db_close);

  f.db = mira_db_open (uri, &error);
  g_assert_no_error (error);
  assert_count (&f, "SELECT name FROM networks WHERE id = $1", id, "kept");
  assert_count (&f, "PRAGMA journal_mode", NULL, "wal");
  assert_count (&f, "PRAGMA foreign_keys", NULL, "1");
  assert_count (&f, "PRAGMA synchronous", NULL, "2");
  status = mira_migrations_status (f.db, &error);
  g_assert_no_error (error);
  g_assert_nonnull (((MiraMigration *) g_ptr_array_index (status, 0))->applied_at);
  g_assert_true (mira_migrations_apply (f.db, &error));
  g_clear_pointer (&f.db, mira_db_close);

  /* In memory, for tests */
  f.db = mira_db_open ("sqlite::memory:", &error);
  g_assert_no_error (error);
  g_assert_true (mira_migrations_apply (f.db, &error));
  g_assert_no_error (error);
  assert_count (&f, "SELECT count(*) FROM networks", NULL, "0");
  g_clear_pointer (&f.db, mira_db_close);
}

static void
add_test (const char  *name,
          FixtureFunc  setup,
          FixtureFunc  test)
{
  static const struct {
    const char    *name;
    MiraDbDialect  dialect;
  } dialects[] = {
    { "sqlite", MIRA_DB_DIALECT_SQLITE },
    { "postgresql", MIRA_DB_DIALECT_POSTGRESQL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (dialects); i++)
    {
      g_autofree char *path = g_strdup_printf ("/db/%s/%s", dialects[i].name, name);

      g_test_add (path, Fixture, GINT_TO_POINTER (dialects[i].dialect),
                  setup, test, fixture_teardown);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/db/uri/invalid", test_uri_invalid);
  g_test_add_func ("/db/uri/unavailable", test_uri_unavailable);

  add_test ("migrations", fixture_open, test_migrations);
  add_test ("migrations-concurrent", fixture_open, test_migrations_concurrent);
  add_test ("round-trip", fixture_migrated, test_round_trip);
  add_test ("params-mismatch", fixture_migrated, test_params_mismatch);
  add_test ("statement-cache", fixture_migrated, test_statement_cache);
  add_test ("schema-change", fixture_migrated, test_schema_change);
  add_test ("timestamps", fixture_migrated, test_timestamps);
  add_test ("booleans", fixture_migrated, test_booleans);
  add_test ("constraints", fixture_migrated, test_constraints);
  add_test ("transactions", fixture_migrated, test_transactions);
  add_test ("exec", fixture_migrated, test_exec);
  add_test ("search", fixture_migrated, test_search);
  add_test ("interaction-count", fixture_migrated, test_interaction_count);
  add_test ("cascade", fixture_migrated, test_cascade);

  g_test_add ("/db/postgresql/reconnect", Fixture,
              GINT_TO_POINTER (MIRA_DB_DIALECT_POSTGRESQL),
              fixture_migrated, test_pg_reconnect, fixture_teardown);
  g_test_add ("/db/postgresql/session", Fixture,
              GINT_TO_POINTER (MIRA_DB_DIALECT_POSTGRESQL),
              fixture_open, test_pg_session, fixture_teardown);
  g_test_add_func ("/db/sqlite/reopen", test_sqlite_reopen);

  return g_test_run ();
}
