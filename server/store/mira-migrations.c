/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-migrations"

#include <gio/gio.h>
#include <string.h>

#include "mira-db.h"
#include "mira-migrations.h"
#include "mira-migrations-resources.h"
#include "mira-util.h"

/* NNNN_name.pg.sql and NNNN_name.sqlite.sql, one pair per version */
#define MIGRATIONS_PATH "/com/mira/server/migrations/"

/* pg_advisory_xact_lock() key held while migrating: "mira" in ASCII */
#define MIGRATIONS_LOCK_KEY "1835627105"

#define CREATE_TABLE_PG                                  \
  "CREATE TABLE IF NOT EXISTS schema_migrations ("       \
  "  version INTEGER PRIMARY KEY,"                       \
  "  name TEXT NOT NULL,"                                \
  "  applied_at TIMESTAMPTZ NOT NULL)"
#define CREATE_TABLE_SQLITE                              \
  "CREATE TABLE IF NOT EXISTS schema_migrations ("       \
  "  version INTEGER PRIMARY KEY,"                       \
  "  name TEXT NOT NULL,"                                \
  "  applied_at TEXT NOT NULL)"

typedef struct
{
  MiraMigration  migration;
  char          *path;
} MigrationFile;

static void
migration_file_free (gpointer data)
{
  MigrationFile *file = data;

  g_free (file->migration.name);
  g_free (file->migration.applied_at);
  g_free (file->path);
  g_free (file);
}

static int
compare_versions (gconstpointer a,
                  gconstpointer b)
{
  const MiraMigration *ma = *(MiraMigration * const *) a;
  const MiraMigration *mb = *(MiraMigration * const *) b;

  return (ma->version > mb->version) - (ma->version < mb->version);
}

static MigrationFile *
parse_file_name (const char *file_name,
                 const char *suffix)
{
  g_autofree char *name = NULL;
  MigrationFile *file;
  guint64 version;
  char *end = NULL;

  if (!g_ascii_isdigit (file_name[0]))
    return NULL;
  version = g_ascii_strtoull (file_name, &end, 10);
  if (*end != '_' || version == 0 || version > G_MAXINT32)
    return NULL;

  name = g_strndup (end + 1, strlen (end + 1) - strlen (suffix));
  if (name[0] == '\0')
    return NULL;

  file = g_new0 (MigrationFile, 1);
  file->migration.version = (guint) version;
  file->migration.name = g_steal_pointer (&name);
  file->path = g_strconcat (MIGRATIONS_PATH, file_name, NULL);
  return file;
}

/* The migrations built in for @dialect, by version */
static GPtrArray *
list_migrations (MiraDbDialect   dialect,
                 GError        **error)
{
  const char *suffix = dialect == MIRA_DB_DIALECT_POSTGRESQL ? ".pg.sql" : ".sqlite.sql";
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (migration_file_free);
  g_auto(GStrv) children = NULL;

  children = g_resource_enumerate_children (mira_migrations_get_resource (), MIGRATIONS_PATH,
                                            G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (children == NULL)
    return NULL;

  for (guint i = 0; children[i] != NULL; i++)
    {
      MigrationFile *file;

      if (!g_str_has_suffix (children[i], suffix))
        continue;

      file = parse_file_name (children[i], suffix);
      if (file == NULL)
        {
          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                       "Malformed migration file name %s", children[i]);
          return NULL;
        }
      g_ptr_array_add (list, file);
    }

  g_ptr_array_sort (list, compare_versions);

  for (guint i = 1; i < list->len; i++)
    {
      const MiraMigration *prev = g_ptr_array_index (list, i - 1);
      const MiraMigration *cur = g_ptr_array_index (list, i);

      if (prev->version == cur->version)
        {
          g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_FAILED,
                       "Two migrations have version %u", cur->version);
          return NULL;
        }
    }

  return g_steal_pointer (&list);
}

static MigrationFile *
find_migration (GPtrArray *list,
                guint      version)
{
  for (guint i = 0; i < list->len; i++)
    {
      MigrationFile *file = g_ptr_array_index (list, i);

      if (file->migration.version == version)
        return file;
    }
  return NULL;
}

/* Fills in applied_at from schema_migrations */
static gboolean
read_applied (MiraDb     *db,
              GPtrArray  *list,
              GError    **error)
{
  g_autoptr(MiraDbResult) result = NULL;

  result = mira_db_query (db, "SELECT version, applied_at FROM schema_migrations ORDER BY version",
                          0, NULL, error);
  if (result == NULL)
    return FALSE;

  for (guint row = 0; row < mira_db_result_n_rows (result); row++)
    {
      guint64 version = g_ascii_strtoull (mira_db_result_get (result, row, 0), NULL, 10);
      MigrationFile *file = find_migration (list, (guint) version);

      if (file == NULL)
        {
          g_warning ("The database has migration %" G_GUINT64_FORMAT
                     ", which this version does not know", version);
          continue;
        }
      g_free (file->migration.applied_at);
      file->migration.applied_at = g_strdup (mira_db_result_get (result, row, 1));
    }

  return TRUE;
}

static gboolean
apply_pending (MiraDb     *db,
               GPtrArray  *list,
               GError    **error)
{
  gboolean pg = mira_db_get_dialect (db) == MIRA_DB_DIALECT_POSTGRESQL;

  /* Several servers starting at once take turns; the table is created under
   * the lock too, as concurrent CREATE TABLE IF NOT EXISTS can still collide.
   */
  if (pg)
    {
      g_autoptr(MiraDbResult) locked = NULL;

      locked = mira_db_query (db, "SELECT pg_advisory_xact_lock(" MIGRATIONS_LOCK_KEY ")",
                              0, NULL, error);
      if (locked == NULL)
        return FALSE;
    }

  if (!mira_db_exec (db, pg ? CREATE_TABLE_PG : CREATE_TABLE_SQLITE, error))
    return FALSE;

  if (!read_applied (db, list, error))
    return FALSE;

  for (guint i = 0; i < list->len; i++)
    {
      MigrationFile *file = g_ptr_array_index (list, i);
      g_autoptr(GBytes) script = NULL;
      g_autoptr(MiraDbResult) recorded = NULL;
      g_autofree char *version = NULL;
      g_autofree char *now = NULL;
      const char *params[3];

      if (file->migration.applied_at != NULL)
        continue;

      g_info ("Applying migration %04u_%s", file->migration.version, file->migration.name);

      script = g_resource_lookup_data (mira_migrations_get_resource (), file->path,
                                       G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (script == NULL)
        return FALSE;

      /* Resource data is always followed by a NUL */
      if (!mira_db_exec (db, g_bytes_get_data (script, NULL), error))
        {
          g_prefix_error (error, "Migration %04u_%s failed: ",
                          file->migration.version, file->migration.name);
          return FALSE;
        }

      version = g_strdup_printf ("%u", file->migration.version);
      now = mira_timestamp_now ();
      params[0] = version;
      params[1] = file->migration.name;
      params[2] = now;
      recorded = mira_db_query (db,
                                "INSERT INTO schema_migrations (version, name, applied_at) "
                                "VALUES ($1, $2, $3)",
                                G_N_ELEMENTS (params), params, error);
      if (recorded == NULL)
        return FALSE;

      file->migration.applied_at = g_steal_pointer (&now);
    }

  return TRUE;
}

gboolean
mira_migrations_apply (MiraDb  *db,
                       GError **error)
{
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  list = list_migrations (mira_db_get_dialect (db), error);
  if (list == NULL)
    return FALSE;

  if (!mira_db_begin (db, error))
    return FALSE;

  if (!apply_pending (db, list, error))
    {
      mira_db_rollback (db);
      return FALSE;
    }

  return mira_db_commit (db, error);
}

/* Asks without creating the table, so that a status check changes nothing */
static gboolean
has_migrations_table (MiraDb    *db,
                      gboolean  *exists,
                      GError   **error)
{
  g_autoptr(MiraDbResult) result = NULL;
  const char *sql;

  if (mira_db_get_dialect (db) == MIRA_DB_DIALECT_POSTGRESQL)
    sql = "SELECT to_regclass('schema_migrations') IS NOT NULL";
  else
    sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";

  result = mira_db_query (db, sql, 0, NULL, error);
  if (result == NULL)
    return FALSE;

  *exists = mira_db_value_is_true (mira_db_result_get (result, 0, 0));
  return TRUE;
}

GPtrArray *
mira_migrations_status (MiraDb  *db,
                        GError **error)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean exists = FALSE;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  list = list_migrations (mira_db_get_dialect (db), error);
  if (list == NULL)
    return NULL;

  if (!has_migrations_table (db, &exists, error))
    return NULL;

  if (exists && !read_applied (db, list, error))
    return NULL;

  return g_steal_pointer (&list);
}
