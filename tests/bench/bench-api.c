/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-bench"

/* How fast mira-server lists and searches a big network.
 *
 * For each backend (SQLite, then PostgreSQL in a throw-away cluster) it
 * starts the built mira-server on a free port, creates a network, persons and
 * conversations through the REST API, writes 100,000 interactions straight
 * into the database through the store layer (short sentences, timestamps
 * spread over a year, most of them in a conversation, 1% of them holding the
 * search word), and measures with wrk:
 *
 *   GET /api/v1/{network_id}/interactions?limit=50
 *   GET /api/v1/{network_id}/interactions?limit=50&q=saxophone
 *
 * with the network token. It prints requests/s and latency percentiles.
 *
 *   ninja -C _build tests/bench/bench-api && ./_build/tests/bench/bench-api
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bench-common.h"
#include "mira-db.h"
#include "bench-common.h"
#include "mira-test-pg.h"
#include "mira-util.h"

#define SEARCH_WORD   "saxophone"
#define ROWS_PER_STMT 100
#define STMTS_PER_TX  10
#define N_PERSONS     4
#define N_CONVERSATIONS 24
#define SPAN_DAYS     365

static int opt_rows = 100000;
static int opt_duration = 10;
static int opt_threads = 2;
static int opt_connections = 32;
static int opt_workers = 4;
static char *opt_backend = NULL;
static char *opt_server = NULL;
static gboolean opt_hold = FALSE;

typedef struct
{
  const char *backend;
  const char *request;
  double      rps;
  double      p50_ms;
  double      p90_ms;
  double      p99_ms;
  double      max_ms;
  double      server_cpu_ms;  /* CPU time of mira-server per request */
  double      db_cpu_ms;      /* CPU time of its PostgreSQL backends per request */
  guint64     requests;
  guint64     non_2xx;
  guint64     socket_errors;
  gsize       body_bytes;
  gint64      total;
  gboolean    ran;
} Measure;

typedef struct
{
  GSubprocess *process;
  char        *url;
  char        *admin_token;
} Server;

/* Sentences */

static const char * const openers[] = {
  "Can you", "Please", "Could you", "Don't forget to", "We should", "I need to", "Let's",
  "Remember to", "Maybe we could", "Tomorrow I will", "I think we should", "Did you",
};
static const char * const verbs[] = {
  "call", "email", "pick up", "drop off", "book", "check on", "pay", "cancel", "order",
  "clean", "fix", "water", "visit", "text", "meet", "invite", "feed", "walk", "buy", "return",
  "schedule", "review", "pack", "charge", "find",
};
static const char * const objects[] = {
  "the plumber", "grandma", "the dentist", "the kids from school", "the groceries",
  "the car at the garage", "the electricity bill", "the train tickets", "the dog",
  "the plants on the balcony", "a table for four", "the package at the post office",
  "the broken window", "the library books", "Alice and Bob", "the neighbours",
  "the laptop charger", "a birthday cake", "the insurance papers", "the bike",
  "the flight to Lisbon", "the babysitter", "the recycling", "the heating engineer",
  "the swimming lessons", "the vet", "the landlord", "fresh bread", "the photos",
  "the boxes in the attic",
};
static const char * const whens[] = {
  "tomorrow morning", "this afternoon", "tonight", "on Friday", "next week", "before noon",
  "after dinner", "at five pm", "on the weekend", "in ten minutes", "first thing on Monday",
  "before the holidays", "later today", "at half past seven", "on Thursday evening", "",
};
static const char * const chatter[] = {
  "that was a really good movie", "the weather looks terrible again",
  "I can't find my keys anywhere", "the coffee machine is making that noise again",
  "turn the music down a little", "dinner is almost ready", "who left the lights on",
  "the train was twenty minutes late", "I love this song", "the match starts at eight",
  "we are out of milk", "the baby is finally asleep", "my phone battery is almost dead",
  "the garden needs some work", "that restaurant was too expensive",
  "the meeting ran over again", "the heating is broken upstairs",
  "it's getting dark so early", "have you seen the news today", "the cat knocked over a glass",
};
static const char * const search_sentences[] = {
  "I left the " SEARCH_WORD " in the car", "the " SEARCH_WORD " lesson moved to Tuesday",
  "can you bring my " SEARCH_WORD " tonight", "the " SEARCH_WORD " needs a new reed",
};

#define PICK(rand, array) ((array)[g_rand_int_range ((rand), 0, G_N_ELEMENTS (array))])

static char *
make_sentence (GRand    *rand,
               gboolean  with_search_word)
{
  const char *when;

  if (with_search_word)
    return g_strdup (PICK (rand, search_sentences));
  if (g_rand_int_range (rand, 0, 3) == 0)
    return g_strdup (PICK (rand, chatter));
  when = PICK (rand, whens);
  return g_strdup_printf ("%s %s %s%s%s", PICK (rand, openers), PICK (rand, verbs),
                          PICK (rand, objects), *when ? " " : "", when);
}

/* The server */

/* The server must not outlive a benchmark that fails with g_error() */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
server_start (Server     *server,
              const char *db_uri)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *workers = g_strdup_printf ("%d", opt_workers);

  server->admin_token = mira_token_new ("mat_bench_");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "MIRA_ADMIN_TOKEN", server->admin_token, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "MIRA_DATABASE_URL");
  if (opt_workers > 0)
    server->process = g_subprocess_launcher_spawn (launcher, &error, opt_server,
                                                   "--host", "127.0.0.1", "--port", "0",
                                                   "--database", db_uri,
                                                   "--log-level", "warning",
                                                   "--workers", workers, NULL);
  else
    server->process = g_subprocess_launcher_spawn (launcher, &error, opt_server,
                                                   "--host", "127.0.0.1", "--port", "0",
                                                   "--database", db_uri,
                                                   "--log-level", "warning", NULL);
  if (server->process == NULL)
    g_error ("Cannot start %s: %s", opt_server, error->message);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "listening on "))
        {
          server->url = g_strdup (line + strlen ("listening on "));
          break;
        }
      g_clear_pointer (&line, g_free);
    }
  if (server->url == NULL)
    g_error ("mira-server did not start%s%s", error ? ": " : "", error ? error->message : "");
}

static void
server_stop (Server *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (server->process, SIGTERM);
  if (!g_subprocess_wait (server->process, NULL, &error))
    g_warning ("waiting for mira-server: %s", error->message);
  else if (!g_subprocess_get_if_exited (server->process) ||
           g_subprocess_get_exit_status (server->process) != 0)
    g_warning ("mira-server did not exit cleanly on SIGTERM");
  g_clear_object (&server->process);
  g_clear_pointer (&server->url, g_free);
  g_clear_pointer (&server->admin_token, g_free);
}

/* Filling */

static const char *
keep_string (GPtrArray *owned,
             char      *str)
{
  g_ptr_array_add (owned, str);
  return str;
}

static void
fill (const char  *db_uri,
      const char  *network_id,
      GPtrArray   *person_ids,
      GPtrArray   *conversation_ids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = mira_db_open (db_uri, &error);
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260115);
  g_autoptr(GString) sql = g_string_new ("INSERT INTO interactions (id, network_id, "
                                         "conversation_id, speaker_id, text, interaction_type, "
                                         "timestamp, audio_quality_score, audio_duration, "
                                         "created_at, updated_at) VALUES ");
  const guint n_cols = 10;
  g_autofree char *net_uuid = NULL;
  const char **params = NULL;
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  gint64 now_ms = g_get_real_time () / 1000;
  gint64 span_ms = (gint64) SPAN_DAYS * 24 * 3600 * 1000;
  gint64 step_ms = span_ms / MAX (opt_rows, 1);
  gint64 begin = g_get_monotonic_time ();
  guint n_search = 0;
  int row = 0;

  if (db == NULL)
    g_error ("Cannot open %s: %s", db_uri, error->message);

  res = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1", 1,
                       (const char *[]) { network_id }, &error);
  if (res == NULL || mira_db_result_n_rows (res) != 1)
    g_error ("Cannot find the network: %s", error ? error->message : "no row");
  net_uuid = g_strdup (mira_db_result_get (res, 0, 0));

  /* $1 is the network; each row has n_cols more */
  for (guint r = 0; r < ROWS_PER_STMT; r++)
    {
      guint p = 2 + r * n_cols;

      g_string_append_printf (sql, "%s($%u, $1, $%u, $%u, $%u, $%u, $%u, $%u, $%u, $%u, $%u)",
                              r ? ", " : "", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7,
                              p + 8, p + 9);
    }
  params = g_new0 (const char *, 1 + ROWS_PER_STMT * n_cols);
  params[0] = net_uuid;

  while (row < opt_rows)
    {
      if (!mira_db_begin (db, &error))
        g_error ("BEGIN: %s", error->message);
      for (guint s = 0; s < STMTS_PER_TX && row < opt_rows; s++)
        {
          g_autoptr(MiraDbResult) inserted = NULL;
          guint n = MIN (ROWS_PER_STMT, opt_rows - row);

          g_ptr_array_set_size (owned, 0);
          for (guint r = 0; r < n; r++)
            {
              const char **p = params + 1 + r * n_cols;
              int i = row + (int) r;
              gboolean search = g_rand_int_range (rand, 0, 100) == 0;
              gboolean audio = g_rand_int_range (rand, 0, 10) != 0;
              int conv = (int) ((gint64) i * N_CONVERSATIONS / opt_rows);
              gint64 ts = now_ms - span_ms + i * step_ms
                          + g_rand_int_range (rand, 0, (gint32) MAX (step_ms, 1));

              if (search)
                n_search++;
              p[0] = keep_string (owned, mira_uuid_new ());
              /* Most interactions belong to a conversation and have a known speaker */
              p[1] = g_rand_int_range (rand, 0, 10) == 0
                       ? NULL : g_ptr_array_index (conversation_ids, conv);
              p[2] = g_rand_int_range (rand, 0, 8) == 0
                       ? NULL : g_ptr_array_index (person_ids,
                                                   g_rand_int_range (rand, 0, person_ids->len));
              p[3] = keep_string (owned, make_sentence (rand, search));
              p[4] = audio ? "audio" : "text";
              p[5] = keep_string (owned, mira_timestamp_from_unix_ms (ts));
              if (audio)
                {
                  p[6] = keep_string (owned, g_strdup_printf ("%.3f",
                                                              g_rand_double_range (rand, 0.3, 0.98)));
                  p[7] = keep_string (owned, g_strdup_printf ("%.2f", 0.6 + strlen (p[3]) * 0.06));
                }
              else
                p[6] = p[7] = NULL;
              p[8] = p[5];
              p[9] = p[5];
            }

          if (n == ROWS_PER_STMT)
            inserted = mira_db_query (db, sql->str, 1 + ROWS_PER_STMT * n_cols, params, &error);
          else
            {
              /* The tail: the same statement cut after n rows */
              g_autoptr(GString) tail = g_string_new (NULL);
              const char *cut = sql->str;

              for (guint k = 0; k <= n; k++)
                cut = strchr (cut + 1, '(');
              g_string_append_len (tail, sql->str, cut - sql->str - 2);
              inserted = mira_db_query (db, tail->str, 1 + n * n_cols, params, &error);
            }
          if (inserted == NULL)
            g_error ("INSERT: %s", error->message);
          row += (int) n;
        }
      if (!mira_db_commit (db, &error))
        g_error ("COMMIT: %s", error->message);
      if (isatty (fileno (stderr)))
        g_printerr ("\r  %d / %d interactions", row, opt_rows);
    }
  if (isatty (fileno (stderr)))
    g_printerr ("\r");

  /* Fresh planner statistics and visibility map, as autovacuum would leave them */
  if (!mira_db_exec (db, mira_db_get_dialect (db) == MIRA_DB_DIALECT_POSTGRESQL
                           ? "VACUUM ANALYZE" : "ANALYZE", &error))
    g_error ("ANALYZE: %s", error->message);

  g_print ("  %d interactions (%u with \"" SEARCH_WORD "\") written in %.1f s\n", opt_rows,
           n_search, (g_get_monotonic_time () - begin) / 1e6);
  g_free (params);
}

/* CPU time, from /proc: robust to whatever else runs on the machine */

static double
process_cpu_s (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (after_comm = strrchr (contents, ')')) == NULL)
    return 0;
  /* After "pid (comm)": state is field 3; utime and stime are fields 14 and 15 */
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL))
         / sysconf (_SC_CLK_TCK);
}

static double
processes_cpu_s (GArray *pids)
{
  double total = 0;

  for (guint i = 0; pids != NULL && i < pids->len; i++)
    total += process_cpu_s (g_array_index (pids, GPid, i));
  return total;
}

/* The PostgreSQL backends serving the benchmark's database, but this connection */
static GArray *
pg_backend_pids (MiraDb *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDbResult) res = NULL;
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));

  res = mira_db_query (db, "SELECT pid FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()",
                       0, NULL, &error);
  if (res == NULL)
    g_error ("pg_stat_activity: %s", error->message);
  for (guint i = 0; i < mira_db_result_n_rows (res); i++)
    {
      GPid pid = (GPid) g_ascii_strtoll (mira_db_result_get (res, i, 0), NULL, 10);
      g_array_append_val (pids, pid);
    }
  return pids;
}

/* wrk */

static double
parse_duration_ms (const char *text)
{
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);

  if (end == text)
    return -1;
  if (g_str_has_prefix (end, "us"))
    return value / 1000.0;
  if (g_str_has_prefix (end, "ms"))
    return value;
  if (g_str_has_prefix (end, "m"))
    return value * 60000.0;
  if (g_str_has_prefix (end, "s"))
    return value * 1000.0;
  return -1;
}

static void
run_wrk (const char *url,
         const char *token,
         GPid        server_pid,
         GArray     *db_pids,
         Measure    *m)
{
  double server_cpu, db_cpu;
  g_autofree char *wrk = g_find_program_in_path ("wrk");
  g_autofree char *threads = g_strdup_printf ("-t%d", opt_threads);
  g_autofree char *conns = g_strdup_printf ("-c%d", opt_connections);
  g_autofree char *duration = g_strdup_printf ("-d%ds", opt_duration);
  g_autofree char *header = g_strconcat ("Authorization: Bearer ", token, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;
  gboolean in_distribution = FALSE;
  const char *argv[] = { wrk, threads, conns, duration, "--latency", "-H", header, url, NULL };

  if (wrk == NULL)
    g_error ("wrk is not installed (apt install wrk, or build-aux/install-deps.sh)");
  server_cpu = process_cpu_s (server_pid);
  db_cpu = processes_cpu_s (db_pids);
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error))
    g_error ("Cannot run wrk: %s", error->message);
  server_cpu = process_cpu_s (server_pid) - server_cpu;
  db_cpu = processes_cpu_s (db_pids) - db_cpu;
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("wrk failed: %s%s", out, err);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (g_str_equal (line, "Latency Distribution"))
        in_distribution = TRUE;
      else if (in_distribution && g_ascii_isdigit (line[0]) && strchr (line, '%') != NULL)
        {
          int pct = atoi (line);
          const char *value = strchr (line, '%') + 1;

          while (*value == ' ')
            value++;
          if (pct == 50)
            m->p50_ms = parse_duration_ms (value);
          else if (pct == 90)
            m->p90_ms = parse_duration_ms (value);
          else if (pct == 99)
            m->p99_ms = parse_duration_ms (value);
        }
      else if (g_str_has_prefix (line, "Latency "))
        {
          g_auto(GStrv) parts = g_strsplit_set (line, " ", -1);
          guint field = 0;

          /* Latency  avg  stdev  max  +/-stdev */
          for (guint k = 0; parts[k] != NULL; k++)
            if (*parts[k] != '\0' && field++ == 3)
              m->max_ms = parse_duration_ms (parts[k]);
        }
      else if (strstr (line, " requests in ") != NULL)
        {
          in_distribution = FALSE;
          m->requests = g_ascii_strtoull (line, NULL, 10);
        }
      else if (g_str_has_prefix (line, "Non-2xx or 3xx responses:"))
        m->non_2xx = g_ascii_strtoull (line + strlen ("Non-2xx or 3xx responses:"), NULL, 10);
      else if (g_str_has_prefix (line, "Socket errors:"))
        {
          const char *p = line;
          /* connect N, read N, write N, timeout N */
          while ((p = strpbrk (p, "0123456789")) != NULL)
            {
              char *end;
              m->socket_errors += g_ascii_strtoull (p, &end, 10);
              p = end;
            }
        }
      else if (g_str_has_prefix (line, "Requests/sec:"))
        m->rps = g_ascii_strtod (line + strlen ("Requests/sec:"), NULL);
    }
  if (m->requests > 0)
    {
      m->server_cpu_ms = server_cpu * 1000.0 / m->requests;
      m->db_cpu_ms = db_cpu * 1000.0 / m->requests;
    }
  m->ran = TRUE;
  if (g_getenv ("MIRA_BENCH_VERBOSE"))
    g_print ("%s\n", out);
}

/* One backend */

static void
bench_backend (const char *label,
               const char *db_uri,
               Measure    *list,
               Measure    *search)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonNode) net_node = NULL;
  g_autoptr(GPtrArray) person_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) conversation_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *networks_url = NULL;
  g_autofree char *base = NULL;
  g_autofree char *list_url = NULL;
  g_autofree char *search_url = NULL;
  Server server = { 0 };
  JsonObject *net;
  const char *network_id;
  const char *network_token;
  Measure *measures[] = { list, search };
  g_autoptr(MiraDb) db = NULL;
  g_autoptr(GArray) db_pids = NULL;
  GPid server_pid;

  g_print ("%s\n", label);
  server_start (&server, db_uri);

  networks_url = g_strconcat (server.url, "/api/v1/networks", NULL);
  net_node = bench_http (session, "POST", networks_url, server.admin_token,
                         "{\"name\": \"Benchmark household\", \"description\": \"bench-api\"}",
                         201);
  net = json_node_get_object (net_node);
  network_id = json_object_get_string_member (net, "network_id");
  network_token = json_object_get_string_member (net, "network_token");
  base = g_strdup_printf ("%s/api/v1/%s", server.url, network_id);

  for (guint i = 0; i < N_PERSONS; i++)
    {
      static const char * const names[] = { "Alice", "Bob", "Chloé", "Dmitri" };
      g_autofree char *url = g_strconcat (base, "/persons", NULL);
      g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\"}", names[i % G_N_ELEMENTS (names)]);
      JsonNode *node = bench_http (session, "POST", url, network_token, body, 201);
      JsonObject *o = json_node_get_object (node);

      g_ptr_array_add (person_ids, g_strdup (json_object_get_string_member (o, "id")));
      g_ptr_array_add (keep, node);
    }
  for (guint i = 0; i < N_CONVERSATIONS; i++)
    {
      g_autofree char *url = g_strconcat (base, "/conversations", NULL);
      g_autofree char *body = g_strdup_printf ("{\"title\": \"Conversation %u\"}", i + 1);
      JsonNode *node = bench_http (session, "POST", url, network_token, body, 201);
      JsonObject *o = json_node_get_object (node);

      g_ptr_array_add (conversation_ids, g_strdup (json_object_get_string_member (o, "id")));
      g_ptr_array_add (keep, node);
    }

  fill (db_uri, network_id, person_ids, conversation_ids);

  list_url = g_strconcat (base, "/interactions?limit=50", NULL);
  search_url = g_strconcat (base, "/interactions?limit=50&q=" SEARCH_WORD, NULL);
  list->request = "list   ?limit=50";
  search->request = "search ?limit=50&q=" SEARCH_WORD;

  for (guint i = 0; i < G_N_ELEMENTS (measures); i++)
    {
      Measure *m = measures[i];
      const char *url = i == 0 ? list_url : search_url;
      g_autoptr(JsonNode) node = NULL;
      JsonObject *o;
      JsonArray *items;

      m->backend = label;
      /* Check the answer, and warm the caches */
      node = bench_http_full (session, "GET", url, network_token, NULL, 200, &m->body_bytes);
      o = json_node_get_object (node);
      m->total = json_object_get_int_member (o, "total");
      items = json_object_get_array_member (o, "items");
      if (json_array_get_length (items) != MIN (50, m->total))
        g_error ("GET %s: %u items of %" G_GINT64_FORMAT, url, json_array_get_length (items),
                 m->total);
      g_print ("  %s: total %" G_GINT64_FORMAT ", %" G_GSIZE_FORMAT " bytes per answer\n",
               m->request, m->total, m->body_bytes);
    }

  if (opt_hold)
    {
      g_print ("\n  Holding the server for profiling; Ctrl-C to stop.\n"
               "  curl -H 'Authorization: Bearer %s' '%s'\n"
               "  wrk -t%d -c%d -d%ds --latency -H 'Authorization: Bearer %s' '%s'\n"
               "  server pid %s, database %s\n",
               network_token, list_url, opt_threads, opt_connections, opt_duration,
               network_token, list_url, g_subprocess_get_identifier (server.process), db_uri);
      g_subprocess_wait (server.process, NULL, NULL);
      return;
    }

  server_pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (server.process), NULL, 10);
  if (g_str_has_prefix (db_uri, "postgresql:"))
    {
      g_autoptr(GError) error = NULL;

      db = mira_db_open (db_uri, &error);
      if (db == NULL)
        g_error ("Cannot open %s: %s", db_uri, error->message);
      db_pids = pg_backend_pids (db);
    }

  for (guint i = 0; i < G_N_ELEMENTS (measures); i++)
    {
      run_wrk (i == 0 ? list_url : search_url, network_token, server_pid, db_pids, measures[i]);
      g_print ("  %s: %.0f req/s, p99 %.2f ms\n", measures[i]->request, measures[i]->rps,
               measures[i]->p99_ms);
    }

  server_stop (&server);
}

static void
print_table (Measure *measures,
             guint    n)
{
  g_print ("\n%d interactions in one network; wrk -t%d -c%d -d%ds on loopback; "
           "mira-server --workers %d; %u CPUs\n\n",
           opt_rows, opt_threads, opt_connections, opt_duration, opt_workers,
           g_get_num_processors ());
  g_print ("| %-10s | %-30s | %7s | %7s | %7s | %7s | %7s | %14s | %14s | %6s |\n",
           "database", "request", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
           "server CPU/req", "PG CPU/req", "errors");
  g_print ("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------", "--------------------------------",
           "--------:", "--------:", "--------:", "--------:", "--------:", "---------------:",
           "---------------:", "-------:");
  for (guint i = 0; i < n; i++)
    {
      Measure *m = &measures[i];

      if (!m->ran)
        continue;
      g_autofree char *db_cpu = g_str_equal (m->backend, "PostgreSQL")
                                  ? g_strdup_printf ("%.3f ms", m->db_cpu_ms)
                                  : g_strdup ("(in server)");

      g_print ("| %-10s | %-30s | %7.0f | %7.2f | %7.2f | %7.2f | %7.1f | %11.3f ms | %14s | %6"
               G_GUINT64_FORMAT " |\n",
               m->backend, m->request, m->rps, m->p50_ms, m->p90_ms, m->p99_ms, m->max_ms,
               m->server_cpu_ms, db_cpu, m->non_2xx + m->socket_errors);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the interactions API");
  g_autoptr(GError) error = NULL;
  Measure measures[4] = { 0 };
  gboolean sqlite, postgresql;
  int rc = 0;
  GOptionEntry entries[] = {
    { "rows", 'n', 0, G_OPTION_ARG_INT, &opt_rows, "Interactions to write (100000)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &opt_duration, "Seconds per wrk run (10)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "wrk threads (2)", "N" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &opt_connections, "wrk connections (32)", "N" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &opt_workers,
      "mira-server --workers (4; 0 for the server's default)", "N" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &opt_backend,
      "sqlite, postgresql or both (both)", "NAME" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server,
      "The mira-server to run (the one built with this program)", "PATH" },
    { "hold", 0, 0, G_OPTION_ARG_NONE, &opt_hold,
      "Fill, then keep the server running for profiling instead of measuring", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-api: %s\n", error->message);
      return 2;
    }
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (opt_backend == NULL)
    opt_backend = g_strdup ("both");
  sqlite = g_str_equal (opt_backend, "both") || g_str_equal (opt_backend, "sqlite");
  postgresql = g_str_equal (opt_backend, "both") || g_str_equal (opt_backend, "postgresql");
  if ((!sqlite && !postgresql) || opt_rows < 100)
    {
      g_printerr ("bench-api: --backend is sqlite, postgresql or both; --rows at least 100\n");
      return 2;
    }
  if (!g_file_test (opt_server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("bench-api: %s is not an executable; build it first\n", opt_server);
      return 1;
    }

  if (sqlite)
    {
      g_autofree char *uri = mira_test_sqlite_uri ();
      bench_backend ("SQLite", uri, &measures[0], &measures[1]);
    }
  if (postgresql)
    {
      g_autofree char *uri = mira_test_pg_new_database ();
      bench_backend ("PostgreSQL", uri, &measures[2], &measures[3]);
    }

  if (opt_hold)
    return 0;

  print_table (measures, G_N_ELEMENTS (measures));

  for (guint i = 0; i < G_N_ELEMENTS (measures); i++)
    if (measures[i].ran && measures[i].non_2xx + measures[i].socket_errors > 0)
      rc = 1;
  if (measures[2].ran)
    {
      gboolean met = measures[2].rps >= 3000 && measures[2].p99_ms < 25;

      g_print ("\nTarget, PostgreSQL list: >= 3000 req/s with p99 < 25 ms: %s\n",
               met ? "met" : "MISSED");
    }
  if (rc != 0)
    g_print ("Some requests failed (non-2xx answers or socket errors)\n");

  g_free (opt_server);
  g_free (opt_backend);
  return rc;
}
