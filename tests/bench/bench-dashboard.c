/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* The dashboard's own figures: launch to first frame, and its CPU and
 * memory while it records and shows a busy network.
 *
 * The app is mira-dashboard's MiraApplication, run in a child process of
 * this program (the same code as mira-dashboard's main.c, with a hook on
 * the first window's frame clock), under Xvfb in a private D-Bus session
 * with a keyring (tests/mira-session.sh, which this program goes through
 * by itself), with settings in a key file of a temporary config directory.
 *
 *   launch: the monotonic time from just before the child is spawned to the
 *     first "after-paint" of its window, --launches times after one run to
 *     warm the caches; first on the welcome page (first run), then, once
 *     the load step has hosted a network, resuming host mode.
 *   load: the app hosts a network (host mode: the server runs inside it)
 *     or joins one on a separate mira-server (--mode join), records (its
 *     "microphone" is MIRA_AUDIO_SOURCE playing a WAV file of a sentence
 *     every 10 s in room noise) and shows the Live page while --devices
 *     simulated devices stream the same kind of audio over their audio
 *     sockets in real time. Every --sample seconds this program reads the
 *     child's CPU time and RSS from /proc, and its live heap: what malloc
 *     has handed out and not had back (mallinfo2), the least of the last
 *     ten seconds, which the child writes to a file every second. RSS
 *     also holds the heap's free holes, so a heap that grows may not show
 *     in RSS for minutes, and an RSS that grows with a flat heap is
 *     fragmentation.
 *
 *   ninja -C _build tests/bench/bench-dashboard && ./_build/tests/bench/bench-dashboard
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"
#include "mira-application.h"
#include "mira-capture.h"
#include "mira-connection.h"
#include "mira-context.h"
#include "mira-interaction-item.h"

#define RATE          16000
#define CHUNK_SAMPLES 320          /* 20 ms */
#define CHUNK_US      20000
#define PERIOD_S      10           /* a sentence every 10 s */

static char *opt_child = NULL;
static char *opt_mode = NULL;
static char *opt_server = NULL;
static int opt_launches = 10;
static int opt_duration = 600;
static int opt_devices = 10;
static int opt_sample = 10;
static int opt_sentences = 10;
static gboolean opt_skip_latency = FALSE;
static gboolean opt_skip_launch = FALSE;
static gboolean opt_skip_load = FALSE;
static gboolean opt_gl = FALSE;

/* --mode join: the server the app joins, for the whole run */
static BenchServer join_server;
static char *join_link;

/* The child: the app ------------------------------------------------------ */

static gint64 child_t0;
static gboolean first_frame_seen;

static void
on_after_paint (GdkFrameClock *clock,
                GApplication  *app)
{
  if (first_frame_seen)
    return;
  first_frame_seen = TRUE;
  printf ("first-frame %" G_GINT64_FORMAT "\n", bench_now () - child_t0);
  fflush (stdout);
  if (g_str_equal (opt_child, "launch"))
    g_application_quit (app);
}

static void
on_window_map (GtkWidget    *window,
               GApplication *app)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_after_paint), app);
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (window)))
    on_window_map (GTK_WIDGET (window), G_APPLICATION (app));
  else
    g_signal_connect (window, "map", G_CALLBACK (on_window_map), app);
}

static void
on_capture_state (MiraCapture *capture,
                  GParamSpec  *pspec,
                  gpointer     data)
{
  static gboolean said;

  if (mira_capture_get_state (capture) == MIRA_CAPTURE_STATE_RECORDING && !said)
    {
      said = TRUE;
      printf ("recording\n");
      fflush (stdout);
    }
  else if (mira_capture_get_state (capture) == MIRA_CAPTURE_STATE_FAILED)
    {
      printf ("failed %s\n", mira_capture_get_error (capture)->message);
      fflush (stdout);
    }
}

/* A row added to the Live page's transcript: when, and its words */
static void
on_interactions_changed (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         gpointer    data)
{
  gint64 now = bench_now ();

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(MiraInteractionItem) item = g_list_model_get_item (model, position + i);

      printf ("interaction %" G_GINT64_FORMAT " %s\n", now,
              mira_interaction_item_get_content (item));
    }
  fflush (stdout);
}

/* Once the connection is online: say the link, press record */
static void
on_connection_state (MiraConnection *connection,
                     GParamSpec     *pspec,
                     MiraContext    *context)
{
  static gboolean started;
  MiraCapture *capture = mira_context_get_capture (context);

  if (started || mira_connection_get_state (connection) != MIRA_CONNECTION_STATE_ONLINE)
    return;
  started = TRUE;
  printf ("online %s\n", mira_context_get_join_link (context) ? mira_context_get_join_link (context)
                                                               : "-");
  fflush (stdout);
  g_signal_connect (capture, "notify::state", G_CALLBACK (on_capture_state), NULL);
  if (g_str_equal (opt_child, "latency"))
    g_signal_connect (mira_connection_get_interactions (connection), "items-changed",
                      G_CALLBACK (on_interactions_changed), NULL);
  printf ("start %" G_GINT64_FORMAT "\n", bench_now ());
  fflush (stdout);
  mira_capture_start (capture);
}

static void
watch_connection (MiraContext *context)
{
  MiraConnection *connection = mira_context_get_connection (context);

  if (connection == NULL)
    return;
  g_signal_connect (connection, "notify::state", G_CALLBACK (on_connection_state), context);
  on_connection_state (connection, NULL, context);
}

static void
on_context_connection (MiraContext *context,
                       GParamSpec  *pspec,
                       gpointer     data)
{
  watch_connection (context);
}

static void
joined_or_hosted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = g_str_equal (opt_mode, "join")
                  ? mira_context_join_finish (MIRA_CONTEXT (source), result, &error)
                  : mira_context_host_finish (MIRA_CONTEXT (source), result, &error);

  if (!ok)
    {
      printf ("failed %s\n", error->message);
      fflush (stdout);
    }
}

static gboolean
start_load (gpointer user_data)
{
  MiraApplication *app = user_data;
  MiraContext *context = mira_application_get_context (app);

  g_signal_connect (context, "notify::connection", G_CALLBACK (on_context_connection), NULL);
  watch_connection (context);
  if (mira_context_get_busy (context) || mira_context_get_connection (context) != NULL)
    return G_SOURCE_REMOVE;   /* resuming a remembered mode */
  if (g_str_equal (opt_mode, "join"))
    mira_context_join_async (context, g_getenv ("MIRA_BENCH_JOIN_LINK"), NULL, NULL, NULL, NULL,
                             joined_or_hosted, NULL);
  else
    mira_context_host_async (context, NULL, joined_or_hosted, NULL);
  return G_SOURCE_REMOVE;
}

/* The child's live heap, the least of the last HEAP_WINDOW seconds, in
 * bytes, written to $MIRA_BENCH_HEAP_FILE every second: the least, because
 * a frame's pictures come and go several times a second
 */
#define HEAP_WINDOW 10

static gboolean
write_heap (gpointer data)
{
  static size_t in_use[HEAP_WINDOW];
  static guint n;
  const char *path = data;
  struct mallinfo2 info = mallinfo2 ();
  g_autofree char *text = NULL;
  size_t least = G_MAXSIZE;

  /* Small blocks and the ones malloc mapped on their own */
  in_use[n++ % HEAP_WINDOW] = info.uordblks + info.hblkhd;
  for (guint i = 0; i < MIN (n, HEAP_WINDOW); i++)
    least = MIN (least, in_use[i]);
  text = g_strdup_printf ("%zu\n", least);
  g_file_set_contents (path, text, -1, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_activate (GApplication *app)
{
  static gboolean once;

  if (once || g_str_equal (opt_child, "launch"))
    return;
  once = TRUE;
  /* After the app's own activate handler has shown the window */
  g_idle_add (start_load, app);
  if (g_getenv ("MIRA_BENCH_HEAP_FILE") != NULL)
    g_timeout_add_seconds (1, write_heap, (gpointer) g_getenv ("MIRA_BENCH_HEAP_FILE"));
}

static int
run_child (void)
{
  g_autoptr(MiraApplication) app = NULL;
  const char *t0 = g_getenv ("MIRA_BENCH_T0");
  char *argv[] = { (char *) "mira-dashboard", NULL };

  child_t0 = t0 != NULL ? g_ascii_strtoll (t0, NULL, 10) : bench_now ();
  app = mira_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}

/* The parent: launching and measuring ------------------------------------- */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *out;
  GPid              pid;
} Child;

static void
child_spawn (Child      *child,
             const char *self_path,
             const char *kind,
             const char *audio_source,
             const char *join_link,
             const char *heap_file)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *t0 = NULL;
  const char *id;

  if (audio_source != NULL)
    g_subprocess_launcher_setenv (launcher, "MIRA_AUDIO_SOURCE", audio_source, TRUE);
  if (join_link != NULL)
    g_subprocess_launcher_setenv (launcher, "MIRA_BENCH_JOIN_LINK", join_link, TRUE);
  if (heap_file != NULL)
    g_subprocess_launcher_setenv (launcher, "MIRA_BENCH_HEAP_FILE", heap_file, TRUE);
  t0 = g_strdup_printf ("%" G_GINT64_FORMAT, bench_now ());
  g_subprocess_launcher_setenv (launcher, "MIRA_BENCH_T0", t0, TRUE);
  child->process = g_subprocess_launcher_spawn (launcher, &error, self_path, "--child", kind,
                                                "--mode", opt_mode, NULL);
  if (child->process == NULL)
    g_error ("%s: %s", self_path, error->message);
  id = g_subprocess_get_identifier (child->process);
  child->pid = (GPid) g_ascii_strtoll (id, NULL, 10);
  child->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child->process));
}

/* The child's next line of output; fatal when it ended */
static char *
child_read_line (Child *child)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (child->out, NULL, NULL, &error);

  if (line == NULL)
    g_error ("the app ended%s%s", error ? ": " : "", error ? error->message : "");
  if (g_str_has_prefix (line, "failed "))
    g_error ("the app failed: %s", line + strlen ("failed "));
  return line;
}

static void
child_finish (Child    *child,
              gboolean  kill_it)
{
  if (kill_it)
    g_subprocess_send_signal (child->process, SIGTERM);
  g_subprocess_wait (child->process, NULL, NULL);
  g_clear_object (&child->out);
  g_clear_object (&child->process);
}

static double
rss_mb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      (line = strstr (text, "VmRSS:")) == NULL)
    return 0;
  return g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0;
}

/* The child's live heap as it last wrote it, MB; 0 before it did */
static double
heap_mb (const char *heap_file)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (heap_file, &text, NULL, NULL))
    return 0;
  return g_ascii_strtod (text, NULL) / (1024.0 * 1024.0);
}

/* A named part of a whole: kilobytes of the RSS, seconds of CPU */
typedef struct
{
  char *name;
  double value;
} Part;

static int
part_compare (gconstpointer a,
                 gconstpointer b)
{
  const Part *pa = a, *pb = b;

  return (pa->value < pb->value) - (pa->value > pb->value);
}

static void
part_clear (gpointer data)
{
  g_free (((Part *) data)->name);
}

/* Where the RSS is: the five largest files (or [heap], anonymous memory)
 * by resident kilobytes, from /proc/PID/smaps
 */
static void
print_largest_mappings (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps", (int) pid);
  g_autofree char *text = NULL;
  g_autoptr(GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GArray) mappings = g_array_new (FALSE, FALSE, sizeof (Part));
  g_auto(GStrv) lines = NULL;
  g_autofree char *name = g_strdup ("anonymous");
  GHashTableIter iter;
  gpointer key, value;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      unsigned long start, end;

      if (sscanf (line, "%lx-%lx ", &start, &end) == 2)
        {
          g_auto(GStrv) fields = g_strsplit_set (line, " ", -1);
          const char *path_field = "";

          /* The path, the first field after the inode: "/SYSV00000000 (deleted)" */
          for (guint f = 5; f < g_strv_length (fields) && *path_field == '\0'; f++)
            path_field = fields[f];
          g_free (name);
          name = g_strdup (*path_field != '\0' ? path_field : "anonymous");
        }
      else if (g_str_has_prefix (line, "Rss:"))
        {
          double *kb = g_hash_table_lookup (sizes, name);

          if (kb == NULL)
            {
              kb = g_new0 (double, 1);
              g_hash_table_insert (sizes, g_strdup (name), kb);
            }
          *kb += g_ascii_strtod (line + strlen ("Rss:"), NULL);
        }
    }

  g_array_set_clear_func (mappings, part_clear);
  g_hash_table_iter_init (&iter, sizes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Part m = { g_path_get_basename (key), *(double *) value };

      g_array_append_val (mappings, m);
    }
  g_array_sort (mappings, part_compare);
  g_print ("  the largest parts of its RSS:");
  for (guint i = 0; i < MIN (mappings->len, 6); i++)
    {
      Part *m = &g_array_index (mappings, Part, i);

      g_print ("%s %s %.1f MB", i > 0 ? ";" : "", m->name, m->value / 1024.0);
    }
  g_print ("\n");
}

static void
measure_launches (const char *self_path,
                  const char *what)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i <= opt_launches; i++)
    {
      Child child = { 0 };
      g_autofree char *line = NULL;
      double ms;

      child_spawn (&child, self_path, "launch", NULL, NULL, NULL);
      line = child_read_line (&child);
      while (!g_str_has_prefix (line, "first-frame "))
        {
          g_free (line);
          line = child_read_line (&child);
        }
      ms = g_ascii_strtoll (line + strlen ("first-frame "), NULL, 10) / 1000.0;
      child_finish (&child, FALSE);
      if (i == 0)
        g_print ("  %s, warming the caches: %.0f ms\n", what, ms);
      else
        g_array_append_val (times, ms);
    }
  g_print ("  %s: launch to first frame p50 %.0f ms, min %.0f ms, max %.0f ms over %u "
           "launches (target p50 < 500 ms: %s)\n", what, bench_percentile (times, 50),
           bench_percentile (times, 0), bench_max (times), times->len,
           bench_percentile (times, 50) < 500 ? "met" : "NOT met");
}

/* A sentence every PERIOD_S seconds in room noise (about -60 dBFS) */
static GArray *
speech_period (const char *text)
{
  g_autoptr(GArray) clean = bench_flite ("slt", text);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  GArray *period = g_array_new (FALSE, TRUE, sizeof (gint16));

  g_array_set_size (period, PERIOD_S * RATE);
  for (guint i = 0; i < period->len; i++)
    {
      gint v = g_rand_int_range (rand, -40, 41);

      if (i >= RATE && i - RATE < clean->len)
        v += g_array_index (clean, gint16, i - RATE);
      g_array_index (period, gint16, i) = (gint16) CLAMP (v, -32768, 32767);
    }
  return period;
}

static void
write_wav (const char *path,
           GArray     *period,
           guint       repeats)
{
  g_autoptr(GError) error = NULL;
  guint32 data_len = period->len * 2 * repeats;
  FILE *file = fopen (path, "wb");
  guint32 u32;
  guint16 u16;

  if (file == NULL)
    g_error ("%s: %s", path, g_strerror (errno));
#define PUT(bytes, len) fwrite (bytes, 1, len, file)
#define PUT32(v) (u32 = GUINT32_TO_LE (v), PUT (&u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), PUT (&u16, 2))
  PUT ("RIFF", 4);
  PUT32 (36 + data_len);
  PUT ("WAVEfmt ", 8);
  PUT32 (16);
  PUT16 (1);
  PUT16 (1);
  PUT32 (RATE);
  PUT32 (RATE * 2);
  PUT16 (2);
  PUT16 (16);
  PUT ("data", 4);
  PUT32 (data_len);
  for (guint r = 0; r < repeats; r++)
    for (guint i = 0; i < period->len; i++)
      PUT16 ((guint16) g_array_index (period, gint16, i));
#undef PUT16
#undef PUT32
#undef PUT
  if (fclose (file) != 0)
    g_error ("%s: %s", path, g_strerror (errno));
}

static void
ignore_frame (BenchWs      *ws,
              guint         opcode,
              const guint8 *payload,
              gsize         len,
              gpointer      user_data)
{
}

/* The join link's parts: http(s)://HOST:PORT/join#net=ID&token=TOKEN */
static void
parse_link (const char  *link,
            BenchServer *server,
            char       **network_id,
            char       **token)
{
  g_autoptr(GUri) uri = g_uri_parse (link, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GHashTable) params = NULL;

  if (uri == NULL || g_uri_get_fragment (uri) == NULL)
    g_error ("not a join link: %s", link);
  params = g_uri_parse_params (g_uri_get_fragment (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  server->host = g_strdup (g_uri_get_host (uri));
  server->port = (guint) g_uri_get_port (uri);
  server->url = g_strdup_printf ("%s://%s:%u", g_uri_get_scheme (uri), server->host,
                                 server->port);
  *network_id = g_strdup (g_hash_table_lookup (params, "net"));
  *token = g_strdup (g_hash_table_lookup (params, "token"));
  if (*network_id == NULL || *token == NULL)
    g_error ("no network or token in the join link %s", link);
}

/* Speech at the app's microphone to its words in the Live page's model:
 * the app records a sentence every PERIOD_S s; the end of each sentence is
 * the call to mira_capture_start() plus its place in the file (an upper
 * bound: the file cannot play before that call).
 */
static void
measure_latency (const char *self_path,
                 const char *dir)
{
  const char *text = "Please remind me to call the plumber tomorrow morning.";
  g_autoptr(GArray) clean = bench_flite ("slt", text);
  g_autoptr(GArray) period = speech_period (text);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *wav = g_build_filename (dir, "sentences.wav", NULL);
  g_autofree char *source = NULL;
  gssize last_voiced = bench_last_voiced ((const gint16 *) clean->data, clean->len, 500);
  double end_offset_s = 1.0 + (double) (last_voiced + 1) / RATE;
  Child child = { 0 };
  gint64 started = 0;
  int heard = 0;

  write_wav (wav, period, (guint) opt_sentences);
  source = g_strdup_printf ("filesrc location=\"%s\" ! wavparse", wav);
  child_spawn (&child, self_path, "latency", source, join_link, NULL);
  while (heard < opt_sentences)
    {
      g_autofree char *line = child_read_line (&child);

      if (g_str_has_prefix (line, "start "))
        started = g_ascii_strtoll (line + strlen ("start "), NULL, 10);
      else if (g_str_has_prefix (line, "interaction ") && started > 0)
        {
          char *end = NULL;
          gint64 at = g_ascii_strtoll (line + strlen ("interaction "), &end, 10);
          /* Only the microphone speaks: each sentence is one interaction,
           * in order, however late it comes
           */
          int k = heard++;
          double ms = ((at - started) / 1e6 - end_offset_s - k * PERIOD_S) * 1000;

          g_array_append_val (times, ms);
          g_print ("  sentence %2d: %5.0f ms \"%s\"\n", k + 1, ms, end ? g_strstrip (end) : "");
        }
    }
  child_finish (&child, TRUE);
  g_unlink (wav);
  g_print ("  speech at the microphone to its words in the Live page's model: p50 %.0f ms, "
           "p90 %.0f ms, max %.0f ms over %u sentences (target p50 < 1500 ms: %s)\n",
           bench_percentile (times, 50), bench_percentile (times, 90), bench_max (times),
           times->len, bench_percentile (times, 50) < 1500 ? "met" : "NOT met");
}

/* CPU seconds of the child's threads so far, summed by thread name; the
 * main thread (GTK's, whose name is the program's, as unnamed threads'
 * are) on its own as "main"
 */
static GHashTable *
thread_seconds (GPid pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  GHashTable *by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (dir_path, name, "comm", NULL);
      g_autofree char *comm = NULL;
      GPid tid = (GPid) g_ascii_strtoll (name, NULL, 10);
      double *sum;

      if (tid == pid)
        comm = g_strdup ("main");
      else if (!g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue;
      g_strstrip (comm);
      sum = g_hash_table_lookup (by_name, comm);
      if (sum == NULL)
        {
          sum = g_new0 (double, 1);
          g_hash_table_insert (by_name, g_strdup (comm), sum);
        }
      *sum += bench_cpu_seconds (pid, tid);
    }
  return by_name;
}

/* What each thread name took of a core between @before and now, over
 * @seconds; the largest first. Threads that ended in between are not
 * counted.
 */
static void
print_threads (GPid        pid,
               GHashTable *before,
               double      seconds)
{
  g_autoptr(GHashTable) after = thread_seconds (pid);
  g_autoptr(GArray) parts = g_array_new (FALSE, FALSE, sizeof (Part));
  GHashTableIter iter;
  gpointer key, value;

  g_array_set_clear_func (parts, part_clear);
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      double *was = g_hash_table_lookup (before, key);
      Part m = { g_strdup (key), *(double *) value - (was != NULL ? *was : 0) };

      if (m.value >= 0.05)
        g_array_append_val (parts, m);
      else
        g_free (m.name);
    }
  g_array_sort (parts, part_compare);
  g_print ("  its threads, %% of a core over the %.0f s:", seconds);
  for (guint i = 0; i < parts->len; i++)
    {
      Part *m = &g_array_index (parts, Part, i);

      g_print ("%s %s %.1f", i > 0 ? ";" : "", m->name, 100 * m->value / seconds);
    }
  g_print ("\n");
}

static void
measure_load (const char *self_path,
              const char *dir)
{
  g_autoptr(GArray) period = speech_period ("Please remind me to call the plumber tomorrow "
                                            "morning.");
  g_autofree char *wav = g_build_filename (dir, "microphone.wav", NULL);
  g_autofree char *heap_file = g_build_filename (dir, "heap", NULL);
  g_autofree char *source = NULL;
  g_autofree char *link = NULL;
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) bench_ws_free);
  BenchServer app_server = { 0 };   /* the network's server, as the link says */
  Child child = { 0 };
  g_autoptr(GHashTable) threads_start = NULL;
  gint64 clock, start, next_sample;
  double cpu_start, cpu_last, cpu_minute1 = -1, rss_minute1 = 0, rss_max = 0, heap_minute1 = 0;
  guint chunk = 0, n_period_chunks = period->len / CHUNK_SAMPLES;

  write_wav (wav, period, (guint) (opt_duration / PERIOD_S) + 12);
  source = g_strdup_printf ("filesrc location=\"%s\" ! wavparse", wav);

  child_spawn (&child, self_path, "load", source, join_link, heap_file);
  g_print ("  the app: pid %d\n", (int) child.pid);
  for (;;)
    {
      g_autofree char *line = child_read_line (&child);

      if (g_str_has_prefix (line, "online "))
        {
          link = g_strdup (join_link != NULL ? join_link : line + strlen ("online "));
          break;
        }
    }
  for (;;)
    {
      g_autofree char *line = child_read_line (&child);

      if (g_str_equal (line, "recording"))
        break;
    }
  parse_link (link, &app_server, &network_id, &token);
  g_print ("  online and recording; the network's server is %s\n", app_server.url);

  for (int d = 0; d < opt_devices; d++)
    {
      g_autofree char *client_id = g_strdup_printf ("device-%02d", d + 1);
      g_autofree char *session_token = bench_client_register (&app_server, session, network_id,
                                                             token, client_id);
      g_autofree char *path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?codec=pcm&token=%s",
                                               network_id, client_id, session_token);
      g_autoptr(GError) error = NULL;
      BenchWs *ws = bench_ws_connect (app_server.host, app_server.port, path, &error);

      if (ws == NULL)
        g_error ("audio socket of %s: %s", client_id, error->message);
      bench_ws_send_text (ws, "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,\"width\":2,"
                              "\"channels\":1}}\n");
      g_ptr_array_add (devices, ws);
    }
  g_print ("  %d devices streaming a sentence every %d s in step; measuring for %d s\n",
           opt_devices, PERIOD_S, opt_duration);
  g_print ("  %6s %10s %8s %13s\n", "time s", "CPU % core", "RSS MB", "live heap MB");

  start = clock = next_sample = bench_now ();
  cpu_start = cpu_last = bench_cpu_seconds (child.pid, 0);
  threads_start = thread_seconds (child.pid);
  while (bench_now () - start < (gint64) opt_duration * G_USEC_PER_SEC)
    {
      const gint16 *samples = &g_array_index (period, gint16, chunk * CHUNK_SAMPLES);
      g_autofree char *header =
        g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,"
                         "\"channels\":1},\"payload_length\":%d}\n", CHUNK_SAMPLES * 2);
      g_autoptr(GByteArray) frames = g_byte_array_new ();
      gint64 wait;

      bench_ws_frame (frames, BENCH_WS_TEXT, header, strlen (header));
      bench_ws_frame (frames, BENCH_WS_BINARY, samples, CHUNK_SAMPLES * 2);
      for (guint d = 0; d < devices->len; d++)
        {
          BenchWs *ws = g_ptr_array_index (devices, d);

          if (!bench_ws_send_raw (ws, frames->data, frames->len) ||
              !bench_ws_read (ws, ignore_frame, NULL))
            g_error ("device-%02u lost its audio socket (close code %u)", d + 1, ws->close_code);
        }
      chunk = (chunk + 1) % n_period_chunks;
      clock += CHUNK_US;

      if (bench_now () >= next_sample + (gint64) opt_sample * G_USEC_PER_SEC)
        {
          gint64 now = bench_now ();
          double cpu = bench_cpu_seconds (child.pid, 0);
          double mb = rss_mb (child.pid);
          double heap = heap_mb (heap_file);
          double t = (now - start) / 1e6;

          g_print ("  %6.0f %10.1f %8.1f %13.2f\n", t,
                   100 * (cpu - cpu_last) / ((now - next_sample) / 1e6), mb, heap);
          cpu_last = cpu;
          next_sample = now;
          rss_max = MAX (rss_max, mb);
          if (cpu_minute1 < 0 && t >= 60)
            {
              cpu_minute1 = cpu;
              rss_minute1 = mb;
              heap_minute1 = heap;
            }
          if (kill (child.pid, 0) != 0)
            g_error ("the app is gone");
        }
      wait = clock - bench_now ();
      if (wait > 0)
        g_usleep (wait);
    }

  {
    double t = (bench_now () - start) / 1e6;
    double cpu = bench_cpu_seconds (child.pid, 0);
    double mb = rss_mb (child.pid);
    double heap = heap_mb (heap_file);

    g_print ("\n  the app's CPU: %.1f %% of a core over %.0f s", 100 * (cpu - cpu_start) / t, t);
    if (cpu_minute1 >= 0)
      g_print (", %.1f %% after the first minute", 100 * (cpu - cpu_minute1) / (t - 60));
    g_print (" (target < 10 %%)\n");
    g_print ("  the app's RSS: %.1f MB at the end", mb);
    if (cpu_minute1 >= 0)
      g_print (", %.1f MB after the first minute", rss_minute1);
    g_print (", %.1f MB at most (target < 150 MB, flat after the first minute)\n", rss_max);
    g_print ("  its live heap: %.2f MB at the end", heap);
    if (cpu_minute1 >= 0)
      g_print (", %.2f MB after the first minute", heap_minute1);
    g_print ("\n");
    print_largest_mappings (child.pid);
    print_threads (child.pid, threads_start, t);
  }

  child_finish (&child, TRUE);
  g_unlink (wav);
  g_unlink (heap_file);
  g_free (app_server.url);
  g_free (app_server.host);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- the dashboard's figures");
  g_autoptr(GError) error = NULL;
  g_autofree char *self_path = NULL;
  g_autofree char *dir = NULL;
  GOptionEntry entries[] = {
    { "launches", 0, 0, G_OPTION_ARG_INT, &opt_launches, "Launches measured (10)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &opt_duration,
      "Seconds of recording with the busy network (600)", "S" },
    { "devices", 0, 0, G_OPTION_ARG_INT, &opt_devices, "Simulated devices (10)", "N" },
    { "sample", 0, 0, G_OPTION_ARG_INT, &opt_sample, "Seconds between readings (10)", "S" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode,
      "host: the app hosts the network; join: it joins a separate mira-server (host)", "MODE" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The mira-server for --mode join",
      "PATH" },
    { "skip-launch", 0, 0, G_OPTION_ARG_NONE, &opt_skip_launch, "No launch figures", NULL },
    { "skip-load", 0, 0, G_OPTION_ARG_NONE, &opt_skip_load, "No load figures", NULL },
    { "sentences", 0, 0, G_OPTION_ARG_INT, &opt_sentences,
      "Sentences for the speech-to-words figure (10)", "N" },
    { "skip-latency", 0, 0, G_OPTION_ARG_NONE, &opt_skip_latency, "No speech-to-words figure",
      NULL },
    { "gl", 0, 0, G_OPTION_ARG_NONE, &opt_gl,
      "Let GDK load OpenGL though the renderer is cairo (Mesa's llvmpipe under Xvfb)", NULL },
    { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_child, NULL, NULL },
    { NULL }
  };

  g_auto(GStrv) original_argv = g_strdupv (argv);

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("bench-dashboard: %s\n", error->message);
      return 2;
    }
  if (opt_mode == NULL)
    opt_mode = g_strdup ("host");
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (!g_str_equal (opt_mode, "host") && !g_str_equal (opt_mode, "join"))
    {
      g_printerr ("bench-dashboard: --mode host or join\n");
      return 2;
    }
  if (opt_child != NULL)
    return run_child ();

  /* A display, a session bus and a keyring of our own: through
   * mira-session.sh, once
   */
  if (g_getenv ("MIRA_BENCH_SESSION") == NULL)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_auto(GStrv) env = g_get_environ ();

      env = g_environ_setenv (env, "MIRA_BENCH_SESSION", "1", TRUE);
      env = g_environ_setenv (env, "GSETTINGS_SCHEMA_DIR", MIRA_SCHEMA_DIR, TRUE);
      env = g_environ_setenv (env, "GSETTINGS_BACKEND", "keyfile", TRUE);
      env = g_environ_setenv (env, "GDK_BACKEND", "x11", TRUE);
      env = g_environ_setenv (env, "GSK_RENDERER", "cairo", TRUE);
      /* GDK opens OpenGL to pick the X visual even for the cairo renderer;
       * with no GPU under Xvfb that is Mesa's llvmpipe, about 55 MB of LLVM
       * and swrast that a desktop's GPU driver would not cost
       */
      if (!opt_gl)
        env = g_environ_setenv (env, "GDK_DEBUG", "gl-disable", TRUE);
      env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", TRUE);
      env = g_environ_unsetenv (env, "MIRA_AUDIO_SOURCE");
      g_ptr_array_add (args, (char *) MIRA_SESSION_PATH);
      g_ptr_array_add (args, (char *) "--display");
      for (int i = 0; original_argv[i] != NULL; i++)
        g_ptr_array_add (args, original_argv[i]);
      g_ptr_array_add (args, NULL);
      execve (MIRA_SESSION_PATH, (char **) args->pdata, env);
      g_error ("%s: %s", MIRA_SESSION_PATH, g_strerror (errno));
    }

  self_path = g_file_read_link ("/proc/self/exe", &error);
  if (self_path == NULL)
    g_error ("%s", error->message);
  dir = g_dir_make_tmp ("mira-bench-dashboard-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  g_print ("bench-dashboard: %u CPUs; display %s, renderer %s, OpenGL %s\n",
           g_get_num_processors (), g_getenv ("DISPLAY"), g_getenv ("GSK_RENDERER"),
           g_strcmp0 (g_getenv ("GDK_DEBUG"), "gl-disable") == 0 ? "disabled" : "loaded");

  if (g_str_equal (opt_mode, "join"))
    {
      g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
      g_autofree char *net = NULL;
      g_autofree char *net_token = NULL;

      bench_server_start (&join_server, opt_server, NULL, "warning");
      net = bench_network_new (&join_server, session, "Dashboard", &net_token);
      join_link = g_strdup_printf ("%s/join#net=%s&token=%s", join_server.url, net, net_token);
      g_print ("mira-server pid %d at %s for the app to join\n", (int) join_server.pid,
               join_server.url);
    }

  if (!opt_skip_launch)
    measure_launches (self_path, "first run (welcome page)");
  if (!opt_skip_latency)
    {
      g_print ("Speech to words (--mode %s):\n", opt_mode);
      measure_latency (self_path, dir);
    }
  if (!opt_skip_load)
    {
      g_print ("Recording and showing a busy network (--mode %s):\n", opt_mode);
      measure_load (self_path, dir);
      if (!opt_skip_launch)
        measure_launches (self_path, g_str_equal (opt_mode, "host")
                                       ? "resuming host mode (the server starts inside)"
                                       : "resuming join mode");
    }
  if (join_server.process != NULL)
    bench_server_stop (&join_server);
  g_free (join_link);
  g_rmdir (dir);
  return 0;
}
