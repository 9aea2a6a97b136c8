/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libpq-fe.h>

#include "mira-test-pg.h"

/* A fresh cluster takes some 40 MB; a tmpfs needs room for a few at once */
#define TMPFS_MIN_FREE (512 * 1024 * 1024)

typedef struct
{
  char     *bindir;
  /* <root>/pg: the data directory, the log and the socket */
  char     *dir;
  char     *data_dir;
  char     *log_path;
  /* When running as root, the user that runs PostgreSQL */
  char     *run_as;
  guint     n_databases;
  gboolean  running;
} Cluster;

/* Everything of this process lives under one directory, removed at exit, or
 * by the watchdog should the process die without running atexit() handlers.
 */
static char *root_dir;
static int watchdog_fd = -1;
static Cluster cluster;
static char *sqlite_dir;
static guint n_sqlite_files;
G_LOCK_DEFINE_STATIC (harness);

static void cleanup_at_exit (void);

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
close_on_exec (int fd)
{
  int flags = fcntl (fd, F_GETFD);

  if (flags >= 0)
    fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
}

static void
detach (gpointer user_data)
{
  setsid ();
}

/* A test that crashes or is killed runs no atexit() handler, and PostgreSQL,
 * detached by pg_ctl, would live on. The watchdog waits for the end of its
 * stdin, which comes when this process exits however it does, then stops
 * the server (SIGQUIT: immediate shutdown) and removes the directory, for
 * up to ten seconds.
 */
static void
start_watchdog (void)
{
  static const char script[] =
    "read _; n=0; "
    "while [ -e \"$0\" ] && [ $n -lt 50 ]; do "
    "  pidfile=\"$0/pg/data/postmaster.pid\"; "
    "  if [ -f \"$pidfile\" ]; then "
    "    pid=$(head -n 1 \"$pidfile\"); kill -QUIT \"$pid\" 2>/dev/null; m=0; "
    "    while kill -0 \"$pid\" 2>/dev/null && [ $m -lt 100 ]; do sleep 0.1; m=$((m + 1)); done; "
    "  fi; "
    /* initdb, orphaned, may still be writing */
    "  rm -rf -- \"$0\" 2>/dev/null; [ -e \"$0\" ] && sleep 0.2; n=$((n + 1)); "
    "done";
  const char *argv[] = { "/bin/sh", "-c", script, root_dir, NULL };
  g_autoptr(GError) error = NULL;

  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                 detach, NULL, NULL, &watchdog_fd, NULL, NULL, &error))
    g_error ("Cannot start the test watchdog: %s", error->message);

  /* Nothing else may hold it open, PostgreSQL least of all */
  close_on_exec (watchdog_fd);
}

/* A tmpfs when there is one with room: on a disk, creating the thousand files
 * of a cluster can take seconds.
 */
static const char *
choose_base_dir (void)
{
  const char *env = g_getenv ("MIRA_TEST_TMPDIR");
  struct statvfs st;

  if (env != NULL && env[0] != '\0')
    return env;

  if (statvfs ("/dev/shm", &st) == 0 &&
      (guint64) st.f_bavail * st.f_frsize >= TMPFS_MIN_FREE &&
      access ("/dev/shm", W_OK | X_OK) == 0)
    return "/dev/shm";

  /* Not $TMPDIR: the socket path must stay short, and PostgreSQL's user must reach it */
  return "/tmp";
}

static void
ensure_root_dir (void)
{
  if (root_dir != NULL)
    return;

  root_dir = g_build_filename (choose_base_dir (), "mira-test-XXXXXX", NULL);
  /* Others may pass through to what is theirs: PostgreSQL's user to its cluster */
  if (g_mkdtemp_full (root_dir, 0700) == NULL || g_chmod (root_dir, 0711) != 0)
    {
      int saved_errno = errno;
      g_error ("Cannot create %s: %s", root_dir, g_strerror (saved_errno));
    }

  start_watchdog ();
  atexit (cleanup_at_exit);
}

static char *
read_log (void)
{
  g_autofree char *contents = NULL;

  if (cluster.log_path == NULL || !g_file_get_contents (cluster.log_path, &contents, NULL, NULL))
    return g_strdup ("(no log)");
  return g_steal_pointer (&contents);
}

/* The highest /usr/lib/postgresql/N/bin, or where initdb is on PATH */
static char *
find_bindir (void)
{
  const char *env = g_getenv ("MIRA_TEST_PG_BINDIR");
  g_autoptr(GDir) dir = NULL;
  g_autofree char *best = NULL;
  g_autofree char *initdb = NULL;
  guint64 best_version = 0;
  const char *name;

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  dir = g_dir_open ("/usr/lib/postgresql", 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *bindir = g_build_filename ("/usr/lib/postgresql", name, "bin", NULL);
      g_autofree char *pg_ctl = g_build_filename (bindir, "pg_ctl", NULL);
      guint64 version;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXUINT, &version, NULL) ||
          !g_file_test (pg_ctl, G_FILE_TEST_IS_EXECUTABLE))
        continue;
      if (version > best_version)
        {
          best_version = version;
          g_free (best);
          best = g_steal_pointer (&bindir);
        }
    }
  if (best != NULL)
    return g_steal_pointer (&best);

  initdb = g_find_program_in_path ("initdb");
  if (initdb != NULL)
    return g_path_get_dirname (initdb);

  g_error ("No PostgreSQL server found under /usr/lib/postgresql or on PATH; "
           "set MIRA_TEST_PG_BINDIR");
  return NULL;
}

/* PostgreSQL refuses to run as root: hand it the cluster's directory */
static char *
find_run_as (void)
{
  struct passwd *pw;

  if (geteuid () != 0)
    return NULL;

  pw = getpwnam ("postgres");
  if (pw == NULL)
    pw = getpwnam ("nobody");
  if (pw == NULL)
    g_error ("Running as root, and there is neither a postgres nor a nobody user to run PostgreSQL");

  if (chown (cluster.dir, pw->pw_uid, pw->pw_gid) != 0)
    {
      int saved_errno = errno;
      g_error ("chown %s: %s", cluster.dir, g_strerror (saved_errno));
    }

  return g_strdup (pw->pw_name);
}

/* Prefixes runuser when needed */
static GPtrArray *
command_new (const char *program)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (cluster.run_as != NULL)
    {
      g_autofree char *runuser = g_find_program_in_path ("runuser");

      if (runuser == NULL)
        runuser = g_strdup (g_file_test ("/usr/sbin/runuser", G_FILE_TEST_IS_EXECUTABLE)
                              ? "/usr/sbin/runuser" : "/sbin/runuser");
      g_ptr_array_add (argv, g_steal_pointer (&runuser));
      g_ptr_array_add (argv, g_strdup ("-u"));
      g_ptr_array_add (argv, g_strdup (cluster.run_as));
      g_ptr_array_add (argv, g_strdup ("--"));
    }
  g_ptr_array_add (argv, g_build_filename (cluster.bindir, program, NULL));

  return argv;
}

static void
command_add (GPtrArray  *argv,
             const char *first,
             ...)
{
  va_list args;

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
}

static gboolean
command_run (GPtrArray  *argv,
             char      **output)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (cluster.dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error))
    {
      *output = g_strdup (error->message);
      return FALSE;
    }

  *output = g_strconcat (out, err, NULL);
  return g_spawn_check_wait_status (status, NULL);
}

static void
cluster_pg_ctl_start (void)
{
  g_autoptr(GPtrArray) argv = command_new ("pg_ctl");
  g_autofree char *options = NULL;
  g_autofree char *output = NULL;

  /* pg_ctl hands the options to a shell; the directory has no quotes in it */
  options = g_strdup_printf ("-k '%s' -c listen_addresses='' -c fsync=off "
                             "-c max_connections=200 -c shared_buffers=16MB "
                             /* in the data directory, which goes away with it */
                             "-c dynamic_shared_memory_type=mmap",
                             cluster.dir);
  command_add (argv, "start", "-w", "-s", "-t", "60", "-D", cluster.data_dir,
               "-l", cluster.log_path, "-o", options, NULL);

  if (!command_run (argv, &output))
    {
      g_autofree char *log = read_log ();
      g_error ("pg_ctl start failed: %s\n%s", output, log);
    }
  cluster.running = TRUE;
}

static void
cluster_pg_ctl_stop (const char *mode)
{
  g_autoptr(GPtrArray) argv = command_new ("pg_ctl");
  g_autofree char *output = NULL;

  command_add (argv, "stop", "-w", "-s", "-m", mode, "-D", cluster.data_dir, NULL);
  if (!command_run (argv, &output))
    g_warning ("pg_ctl stop failed: %s", output);
  cluster.running = FALSE;
}

static void
admin_command (const char *sql)
{
  g_autofree char *conninfo = g_strdup_printf ("host='%s' user=postgres dbname=postgres",
                                               cluster.dir);
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *res;

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *log = read_log ();
      g_error ("Cannot connect to the test PostgreSQL: %s\n%s", PQerrorMessage (conn), log);
    }

  res = PQexec (conn, sql);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s failed: %s", sql, PQerrorMessage (conn));

  PQclear (res);
  PQfinish (conn);
}

static char *
database_uri (const char *name)
{
  g_autofree char *host = g_uri_escape_string (cluster.dir, "/", FALSE);

  return g_strdup_printf ("postgresql://postgres@/%s?host=%s", name, host);
}

static void
cluster_start (void)
{
  g_autoptr(GPtrArray) initdb = NULL;
  g_autofree char *output = NULL;
  gint64 begin = g_get_monotonic_time ();

  ensure_root_dir ();

  cluster.bindir = find_bindir ();
  cluster.dir = g_build_filename (root_dir, "pg", NULL);
  if (g_mkdir (cluster.dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_error ("Cannot create %s: %s", cluster.dir, g_strerror (saved_errno));
    }
  cluster.data_dir = g_build_filename (cluster.dir, "data", NULL);
  cluster.log_path = g_build_filename (cluster.dir, "postgresql.log", NULL);
  cluster.run_as = find_run_as ();

  /* Small WAL segments: fewer megabytes to write */
  initdb = command_new ("initdb");
  command_add (initdb, "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8",
               "--locale=C", "--wal-segsize=1", "-D", cluster.data_dir, NULL);
  if (!command_run (initdb, &output))
    g_error ("initdb failed: %s", output);

  cluster_pg_ctl_start ();
  admin_command ("CREATE DATABASE mira_test");

  g_debug ("PostgreSQL started in %s in %" G_GINT64_FORMAT " ms", cluster.dir,
           (g_get_monotonic_time () - begin) / 1000);
}

static void
cluster_stop (void)
{
  if (cluster.dir == NULL)
    return;

  if (cluster.running)
    cluster_pg_ctl_stop ("immediate");
  remove_tree (cluster.dir);

  g_clear_pointer (&cluster.dir, g_free);
  g_clear_pointer (&cluster.data_dir, g_free);
  g_clear_pointer (&cluster.log_path, g_free);
  g_clear_pointer (&cluster.run_as, g_free);
  g_clear_pointer (&cluster.bindir, g_free);
  cluster.n_databases = 0;
}

static void
cleanup_at_exit (void)
{
  cluster_stop ();
  g_clear_pointer (&sqlite_dir, g_free);
  if (root_dir != NULL)
    remove_tree (root_dir);
  g_clear_pointer (&root_dir, g_free);
  /* The watchdog's work is done; it exits with us */
}

char *
mira_test_pg_start (void)
{
  G_LOCK (harness);
  if (cluster.dir == NULL)
    cluster_start ();
  G_UNLOCK (harness);

  return database_uri ("mira_test");
}

char *
mira_test_pg_new_database (void)
{
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;

  G_LOCK (harness);
  if (cluster.dir == NULL)
    cluster_start ();
  name = g_strdup_printf ("mira_test_%u", ++cluster.n_databases);
  G_UNLOCK (harness);

  sql = g_strdup_printf ("CREATE DATABASE %s", name);
  admin_command (sql);

  return database_uri (name);
}

void
mira_test_pg_stop (void)
{
  G_LOCK (harness);
  cluster_stop ();
  G_UNLOCK (harness);
}

void
mira_test_pg_restart (void)
{
  G_LOCK (harness);
  g_assert (cluster.dir != NULL);
  cluster_pg_ctl_stop ("fast");
  cluster_pg_ctl_start ();
  G_UNLOCK (harness);
}

const char *
mira_test_pg_socket_dir (void)
{
  return cluster.dir;
}

char *
mira_test_sqlite_uri (void)
{
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;

  G_LOCK (harness);
  if (sqlite_dir == NULL)
    {
      ensure_root_dir ();
      sqlite_dir = g_build_filename (root_dir, "sqlite", NULL);
      if (g_mkdir (sqlite_dir, 0700) != 0)
        {
          int saved_errno = errno;
          g_error ("Cannot create %s: %s", sqlite_dir, g_strerror (saved_errno));
        }
    }
  path = g_strdup_printf ("%s/test-%u.db", sqlite_dir, ++n_sqlite_files);
  G_UNLOCK (harness);

  g_assert (g_path_is_absolute (path));
  escaped = g_uri_escape_string (path, "/", TRUE);
  return g_strconcat ("sqlite://", escaped, NULL);
}

/* Stops the server but keeps its data, as when the database goes away. */
void
mira_test_pg_pause (void)
{
  G_LOCK (harness);
  g_assert (cluster.dir != NULL);
  cluster_pg_ctl_stop ("fast");
  G_UNLOCK (harness);
}

void
mira_test_pg_resume (void)
{
  G_LOCK (harness);
  g_assert (cluster.dir != NULL);
  cluster_pg_ctl_start ();
  G_UNLOCK (harness);
}
