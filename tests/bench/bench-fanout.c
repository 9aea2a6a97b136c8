/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* Event fan-out: how long an event takes from its emit to every one of
 * --subscribers event-socket subscribers of one network.
 *
 * It starts the built mira-server, creates a network, opens the
 * subscribers' event sockets (/api/v1/{network_id}/ws?token=…, with the
 * admin token: a network token holds at most 32 sockets) on raw sockets
 * from this process, and then creates --events persons at a steady
 * --rate through the REST API. The clock is ours, not the server's
 * "timestamp": the time is taken right before each request is sent, and each
 * person_created event is matched to its request by the person's name
 * (fanout-<n>). Every receipt by every subscriber is one sample.
 *
 *   ninja -C _build tests/bench/bench-fanout && ./_build/tests/bench/bench-fanout
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-common.h"

static char *opt_server = NULL;
static int opt_subscribers = 1000;
static int opt_events = 300;
static double opt_rate = 20;
static int opt_threads = 1;
static double opt_max_other = 0.2;
static double opt_quiet_wait = 120;
static gboolean opt_verbose = FALSE;

typedef struct
{
  BenchWs  *ws;
  gboolean  established;
  gboolean  failed;
  guint     received;
} Sub;

typedef struct
{
  guint      id;
  int        epfd;
  GPtrArray *subs;
  GThread   *thread;
  GArray    *latencies;   /* ms */
  double     cpu_s;
} Receiver;

typedef struct
{
  gint64     *emitted;    /* µs, per event; 0: not yet */
  gint64     *first;      /* µs, first receipt per event */
  gint64     *last;       /* µs, last receipt per event */
  gint       *receipts;   /* per event */
  gint        stop;
  guint       unmatched;
} Shared;

static Shared shared;

static void
on_setup_frame (BenchWs      *ws,
                guint         opcode,
                const guint8 *payload,
                gsize         len,
                gpointer      user_data)
{
  Sub *sub = user_data;

  if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"connection_established\"", 24) != NULL)
    sub->established = TRUE;
  else if (opcode == BENCH_WS_CLOSE ||
           (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"error\"", 7) != NULL))
    {
      sub->failed = TRUE;
      g_printerr ("subscriber refused: %.*s\n", (int) MIN (len, 300), payload);
    }
}

typedef struct
{
  Receiver *receiver;
  Sub      *sub;
} FrameCtx;

static void
on_frame (BenchWs      *ws,
          guint         opcode,
          const guint8 *payload,
          gsize         len,
          gpointer      user_data)
{
  FrameCtx *fc = user_data;
  gint64 now = bench_now ();
  const guint8 *name;
  guint64 seq;
  gint64 emitted;
  double ms;

  if (opcode == BENCH_WS_CLOSE)
    {
      fc->sub->failed = TRUE;
      return;
    }
  if (opcode != BENCH_WS_TEXT || memmem (payload, MIN (len, 64), "\"person_created\"", 16) == NULL)
    return;
  name = memmem (payload, len, "\"fanout-", 8);
  if (name == NULL)
    return;
  seq = g_ascii_strtoull ((const char *) name + 8, NULL, 10);
  if (seq >= (guint64) opt_events)
    return;
  emitted = __atomic_load_n (&shared.emitted[seq], __ATOMIC_ACQUIRE);
  if (emitted == 0)
    {
      shared.unmatched++;
      return;
    }
  ms = (now - emitted) / 1000.0;
  g_array_append_val (fc->receiver->latencies, ms);
  fc->sub->received++;
  if (g_atomic_int_add (&shared.receipts[seq], 1) == 0)
    __atomic_store_n (&shared.first[seq], now, __ATOMIC_RELAXED);
  __atomic_store_n (&shared.last[seq], now, __ATOMIC_RELAXED);
}

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;
  struct epoll_event events[512];
  struct rusage ru0, ru1;

  getrusage (RUSAGE_THREAD, &ru0);
  while (!g_atomic_int_get (&shared.stop))
    {
      int n = epoll_wait (r->epfd, events, G_N_ELEMENTS (events), 20);

      for (int e = 0; e < n; e++)
        {
          Sub *sub = events[e].data.ptr;
          FrameCtx fc = { r, sub };

          if (!bench_ws_read (sub->ws, on_frame, &fc))
            {
              sub->failed = TRUE;
              epoll_ctl (r->epfd, EPOLL_CTL_DEL, sub->ws->fd, NULL);
            }
        }
    }
  getrusage (RUSAGE_THREAD, &ru1);
  r->cpu_s = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6
             + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  return NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- event socket fan-out latency");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GPtrArray) subs = g_ptr_array_new ();
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) rest = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) spread = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *network_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *persons_url = NULL;
  g_autofree char *ws_path = NULL;
  BenchServer server = { 0 };
  Receiver *receivers;
  guint64 nofile;
  gint64 begin, start, last_emit, deadline;
  double cpu0, cpu1, self0, self1, busy0, busy1, client_cpu = 0, p50, p99, max, secs;
  guint64 expected, got = 0;
  guint failed = 0;
  gboolean met;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The mira-server to run", "PATH" },
    { "subscribers", 'n', 0, G_OPTION_ARG_INT, &opt_subscribers, "Event sockets (1000)", "N" },
    { "events", 'e', 0, G_OPTION_ARG_INT, &opt_events, "Events to emit (300)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &opt_rate, "Events per second (20)", "R" },
    { "client-threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "Receiving threads (1)", "N" },
    { "max-other", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_other,
      "Before emitting, wait while other processes take more cores than this (0.2)", "CORES" },
    { "quiet-wait", 0, 0, G_OPTION_ARG_DOUBLE, &opt_quiet_wait,
      "...for at most this long (120)", "S" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Server messages too", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-fanout: %s\n", error->message);
      return 2;
    }
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (opt_subscribers < 1 || opt_events < 1 || opt_rate <= 0 || opt_threads < 1 || opt_threads > 16)
    {
      g_printerr ("bench-fanout: bad options (see --help)\n");
      return 2;
    }
  if (!g_file_test (opt_server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("bench-fanout: %s is not an executable; build it first\n", opt_server);
      return 1;
    }
  nofile = bench_raise_nofile ();
  if (nofile < (guint64) opt_subscribers + 64)
    g_printerr ("bench-fanout: the file limit (%" G_GUINT64_FORMAT ") is low for %d sockets\n",
                nofile, opt_subscribers);

  shared.emitted = g_new0 (gint64, opt_events);
  shared.first = g_new0 (gint64, opt_events);
  shared.last = g_new0 (gint64, opt_events);
  shared.receipts = g_new0 (gint, opt_events);

  bench_server_start (&server, opt_server, "none", opt_verbose ? "message" : "warning");
  g_print ("mira-server pid %d at %s; %u CPUs; file limit %" G_GUINT64_FORMAT "\n",
           (int) server.pid, server.url, g_get_num_processors (), nofile);
  session = soup_session_new_with_options ("timeout", 60, NULL);
  network_id = bench_network_new (&server, session, "Fan-out", &token);
  persons_url = g_strdup_printf ("%s/api/v1/%s/persons", server.url, network_id);
  ws_path = g_strdup_printf ("/api/v1/%s/ws?token=%s", network_id, server.admin_token);

  receivers = g_new0 (Receiver, opt_threads);
  for (int t = 0; t < opt_threads; t++)
    {
      receivers[t].id = (guint) t;
      receivers[t].epfd = epoll_create1 (EPOLL_CLOEXEC);
      receivers[t].subs = g_ptr_array_new ();
      receivers[t].latencies = g_array_new (FALSE, FALSE, sizeof (double));
    }

  begin = bench_now ();
  for (int i = 0; i < opt_subscribers; i++)
    {
      Sub *sub = g_new0 (Sub, 1);

      sub->ws = bench_ws_connect (server.host, server.port, ws_path, &error);
      if (sub->ws == NULL)
        g_error ("event socket %d: %s", i, error->message);
      g_ptr_array_add (subs, sub);
    }
  for (guint i = 0; i < subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (subs, i);
      Receiver *r = &receivers[i % (guint) opt_threads];
      struct epoll_event ev = { 0 };

      if (!bench_ws_wait (sub->ws, on_setup_frame, sub, &sub->established, 30 * G_USEC_PER_SEC))
        g_error ("event socket %u was not established", i);
      ev.events = EPOLLIN;
      ev.data.ptr = sub;
      if (epoll_ctl (r->epfd, EPOLL_CTL_ADD, sub->ws->fd, &ev) != 0)
        g_error ("epoll_ctl: %s", g_strerror (errno));
      g_ptr_array_add (r->subs, sub);
    }
  g_print ("%d subscribers on network %s connected in %.1f s\n", opt_subscribers, network_id,
           (bench_now () - begin) / 1e6);

  for (int t = 0; t < opt_threads; t++)
    receivers[t].thread = g_thread_new ("bench-receiver", receiver_thread, &receivers[t]);

  /* Warm up the REST path (not measured) */
  {
    g_autoptr(JsonNode) node = bench_http (session, "POST", persons_url, token,
                                           "{\"name\":\"warm-up\"}", 201);
  }
  g_usleep (500 * 1000);
  bench_wait_quiet (server.pid, opt_max_other, opt_quiet_wait);

  g_print ("Emitting %d person_created events at %.0f/s...\n", opt_events, opt_rate);
  cpu0 = bench_cpu_seconds (server.pid, 0);
  self0 = bench_cpu_seconds (getpid (), 0);
  busy0 = bench_machine_busy_seconds ();
  start = bench_now ();
  for (int seq = 0; seq < opt_events; seq++)
    {
      gint64 due = start + (gint64) (seq * G_USEC_PER_SEC / opt_rate);
      g_autofree char *body = g_strdup_printf ("{\"name\":\"fanout-%d\"}", seq);
      g_autoptr(JsonNode) node = NULL;
      gint64 t;
      double ms;

      if (due > bench_now ())
        g_usleep ((gulong) (due - bench_now ()));
      t = bench_now ();
      __atomic_store_n (&shared.emitted[seq], t, __ATOMIC_RELEASE);
      node = bench_http (session, "POST", persons_url, token, body, 201);
      ms = (bench_now () - t) / 1000.0;
      g_array_append_val (rest, ms);
    }
  last_emit = bench_now ();

  /* Every receipt, or a few seconds after the last event */
  expected = (guint64) opt_events * opt_subscribers;
  deadline = last_emit + 5 * G_USEC_PER_SEC;
  while (bench_now () < deadline)
    {
      got = 0;
      for (int seq = 0; seq < opt_events; seq++)
        got += (guint64) g_atomic_int_get (&shared.receipts[seq]);
      if (got >= expected)
        break;
      g_usleep (10 * 1000);
    }
  cpu1 = bench_cpu_seconds (server.pid, 0);
  self1 = bench_cpu_seconds (getpid (), 0);
  busy1 = bench_machine_busy_seconds ();
  g_atomic_int_set (&shared.stop, 1);
  for (int t = 0; t < opt_threads; t++)
    {
      g_thread_join (receivers[t].thread);
      g_array_append_vals (all, receivers[t].latencies->data, receivers[t].latencies->len);
      client_cpu += receivers[t].cpu_s;
    }
  for (guint i = 0; i < subs->len; i++)
    failed += ((Sub *) g_ptr_array_index (subs, i))->failed;
  for (int seq = 0; seq < opt_events; seq++)
    if (shared.receipts[seq] > 0)
      {
        double ms = (shared.last[seq] - shared.first[seq]) / 1000.0;
        g_array_append_val (spread, ms);
      }

  p50 = bench_percentile (all, 50);
  p99 = bench_percentile (all, 99);
  max = bench_max (all);
  met = p99 < 50 && got == expected && failed == 0;

  g_print ("\n%d subscribers, %d events at %.0f/s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
           " receipts, %u subscribers closed\n", opt_subscribers, opt_events, opt_rate, got,
           expected, failed);
  g_print ("| measure | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
  g_print ("| emit -> receipt (every subscriber) | %.1f | %.1f | %.1f | %.1f |\n", p50,
           bench_percentile (all, 90), p99, max);
  g_print ("| first -> last receipt of one event | %.1f | %.1f | %.1f | %.1f |\n",
           bench_percentile (spread, 50), bench_percentile (spread, 90),
           bench_percentile (spread, 99), bench_max (spread));
  g_print ("| REST POST /persons round trip | %.1f | %.1f | %.1f | %.1f |\n",
           bench_percentile (rest, 50), bench_percentile (rest, 90), bench_percentile (rest, 99),
           bench_max (rest));
  secs = (bench_now () - start) / 1e6;
  g_print ("\nserver CPU %.2f cores, client CPU %.2f cores (receiving threads %.2f), other "
           "processes %.2f cores while emitting\n", (cpu1 - cpu0) / secs, (self1 - self0) / secs,
           client_cpu / secs, MAX (0, (busy1 - busy0) - (cpu1 - cpu0) - (self1 - self0)) / secs);
  g_print ("Target p99 < 50 ms with every event received: %s\n", met ? "met" : "MISSED");

  for (guint i = 0; i < subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (subs, i);

      bench_ws_free (sub->ws);
      g_free (sub);
    }
  bench_server_stop (&server);
  return met ? 0 : 1;
}
