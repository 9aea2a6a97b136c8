/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* The audio sockets' WebSocket server end: ours (mira-websocket.c on a
 * MiraPoller, as an audio thread runs it, polling every 3 ms under load)
 * against libsoup's SoupWebsocketConnection on a thread running its own
 * GMainContext, as an audio thread would run it.
 *
 * The workload is bench-ingest's: --streams connections on loopback TCP,
 * each sending one masked binary frame of --payload bytes (a 20 ms Opus
 * packet with its Wyoming header: about 120 bytes) every 20 ms in real
 * time, the streams' ticks spread evenly over the 20 ms. The server end
 * only counts the messages; what it costs is the server thread's CPU time
 * (getrusage on that thread) over --seconds, and per message. Each end is
 * measured --runs times, alternating, so that a busy neighbour hurts both.
 *
 *   ninja -C _build tests/bench/bench-websocket && ./_build/tests/bench/bench-websocket
 */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libsoup/soup.h>

#include "bench-common.h"
#include "mira-poller.h"
#include "mira-websocket.h"

#define COALESCE_US 3000   /* as mira-audio-sockets.c's audio threads */

static int opt_streams = 800;
static int opt_seconds = 10;
static int opt_payload = 120;
static int opt_runs = 3;

typedef enum {
  END_OURS,
  END_SOUP,
} End;

typedef struct {
  End            end;
  GPtrArray     *streams;      /* GIOStream, the server ends */
  GMainContext  *context;
  GMainLoop     *loop;
  gint           ready;
  gint           measuring;    /* 1: start measuring; 2: stop */
  guint64        messages;     /* received, on the server thread */
  double         cpu0;         /* when the measure started */
  guint64        messages0;
  guint64        measured_messages;
  double         measured_cpu;
  gint           done;
} Server;

static double
thread_cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
         + ru.ru_stime.tv_usec / 1e6;
}

static void
ours_message (gpointer      user_data,
              gboolean      text,
              const guint8 *data,
              gsize         len)
{
  ((Server *) user_data)->messages++;
}

static void
ours_too_big (gpointer user_data,
              guint64  size)
{
  g_error ("a message of %" G_GUINT64_FORMAT " bytes was too big", size);
}

static void
ours_closed (gpointer user_data,
             gushort  code)
{
}

static const MiraWebsocketCallbacks ours_callbacks = {
  ours_message, ours_too_big, ours_closed,
};

static void
soup_message (SoupWebsocketConnection *ws,
              gint                     type,
              GBytes                  *message,
              gpointer                 user_data)
{
  ((Server *) user_data)->messages++;
}

/* Every 50 ms: starts or stops the measure when the client says so */
static gboolean
server_tick (gpointer user_data)
{
  Server *s = user_data;
  int state = g_atomic_int_get (&s->measuring);

  if (state == 1 && s->cpu0 == 0.0)
    {
      s->cpu0 = thread_cpu_s ();
      s->messages0 = s->messages;
    }
  else if (state == 2)
    {
      s->measured_cpu = thread_cpu_s () - s->cpu0;
      s->measured_messages = s->messages - s->messages0;
      g_main_loop_quit (s->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ends = NULL;
  MiraPoller *poller = NULL;
  GSource *tick;

  g_main_context_push_thread_default (s->context);
  if (s->end == END_OURS)
    {
      poller = mira_poller_new (s->context, &error);
      g_assert_no_error (error);
      mira_poller_set_coalesce (poller, COALESCE_US);
      ends = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_websocket_free);
    }
  else
    ends = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < s->streams->len; i++)
    {
      GIOStream *stream = g_ptr_array_index (s->streams, i);

      if (s->end == END_OURS)
        g_ptr_array_add (ends, mira_websocket_new (stream, poller, 256 * 1024, &ours_callbacks, s));
      else
        {
          g_autoptr(GUri) uri = g_uri_parse ("ws://127.0.0.1/", G_URI_FLAGS_NONE, NULL);
          SoupWebsocketConnection *ws =
            soup_websocket_connection_new (stream, uri, SOUP_WEBSOCKET_CONNECTION_SERVER, NULL,
                                           NULL, NULL);

          soup_websocket_connection_set_max_incoming_payload_size (ws, 256 * 1024);
          g_signal_connect (ws, "message", G_CALLBACK (soup_message), s);
          g_ptr_array_add (ends, ws);
        }
    }

  tick = g_timeout_source_new (50);
  g_source_set_callback (tick, server_tick, s, NULL);
  g_source_attach (tick, s->context);
  g_source_unref (tick);
  g_atomic_int_set (&s->ready, 1);
  g_main_loop_run (s->loop);

  g_clear_pointer (&ends, g_ptr_array_unref);
  g_clear_pointer (&poller, mira_poller_free);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

/* A client frame: binary, final, masked, @len bytes of payload */
static GByteArray *
client_frame (gsize len)
{
  GByteArray *frame = g_byte_array_new ();
  guint8 head[8] = { 0x82, };
  const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  gsize n = 2;

  g_assert (len < 65536);
  if (len < 126)
    head[1] = 0x80 | (guint8) len;
  else
    {
      head[1] = 0x80 | 126;
      head[2] = (guint8) (len >> 8);
      head[3] = (guint8) len;
      n = 4;
    }
  g_byte_array_append (frame, head, (guint) n);
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = (guint8) (i * 7 + 1) ^ mask[i % 4];

      g_byte_array_append (frame, &b, 1);
    }
  return frame;
}

typedef struct {
  double cores;
  double us_per_message;
  double messages_per_s;
  double lost;          /* share of the messages sent that never arrived */
} Result;

static void
run (End     end,
     Result *result)
{
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GByteArray) frame = client_frame ((gsize) opt_payload);
  g_autoptr(GError) error = NULL;
  g_autofree int *fds = g_new (int, opt_streams);
  Server s = { .end = end };
  GThread *thread;
  gint64 start, measure_start = 0, measure_end = 0;
  guint64 sent_measuring = 0;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, 4096);
  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  bound = g_socket_get_local_address (listener, &error);

  s.streams = g_ptr_array_new_with_free_func (g_object_unref);
  for (int i = 0; i < opt_streams; i++)
    {
      g_autoptr(GSocket) client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, &error);
      g_autoptr(GSocket) server_end = NULL;

      g_assert_no_error (error);
      g_assert_true (g_socket_connect (client, bound, NULL, &error));
      server_end = g_socket_accept (listener, NULL, &error);
      g_assert_no_error (error);
      g_socket_set_option (server_end, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
      g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
      g_socket_set_blocking (server_end, FALSE);
      g_ptr_array_add (s.streams,
                       g_socket_connection_factory_create_connection (server_end));
      fds[i] = dup (g_socket_get_fd (client));
    }

  s.context = g_main_context_new ();
  s.loop = g_main_loop_new (s.context, FALSE);
  thread = g_thread_new ("server", server_thread, &s);
  while (!g_atomic_int_get (&s.ready))
    g_usleep (1000);

  /* 2 s to settle, then --seconds measured; one tick a millisecond, each
   * sending to the streams whose turn it is
   */
  start = g_get_monotonic_time ();
  for (guint64 ms = 0;; ms++)
    {
      gint64 now;
      gint64 due = start + (gint64) ms * 1000;
      guint slot = (guint) (ms % 20);
      guint64 sent = 0;

      while ((now = g_get_monotonic_time ()) < due)
        g_usleep ((gulong) MIN (due - now, 1000));
      for (int i = (int) slot; i < opt_streams; i += 20)
        {
          ssize_t n = send (fds[i], frame->data, frame->len, MSG_NOSIGNAL);

          if (n != (ssize_t) frame->len)
            g_error ("send: %s", n < 0 ? g_strerror (errno) : "short");
          sent++;
        }
      if (measure_start == 0 && now - start >= 2 * G_USEC_PER_SEC)
        {
          measure_start = now;
          g_atomic_int_set (&s.measuring, 1);
        }
      else if (measure_start != 0)
        sent_measuring += sent;
      if (measure_start != 0 && now - measure_start >= (gint64) opt_seconds * G_USEC_PER_SEC)
        {
          measure_end = now;
          g_atomic_int_set (&s.measuring, 2);
          break;
        }
    }
  g_thread_join (thread);

  result->cores = s.measured_cpu / ((measure_end - measure_start) / 1e6);
  result->us_per_message = s.measured_cpu * 1e6 / MAX (s.measured_messages, 1);
  result->messages_per_s = s.measured_messages / ((measure_end - measure_start) / 1e6);
  result->lost = sent_measuring > s.measured_messages
                 ? (double) (sent_measuring - s.measured_messages) / sent_measuring : 0.0;

  for (int i = 0; i < opt_streams; i++)
    close (fds[i]);
  g_ptr_array_unref (s.streams);
  g_main_loop_unref (s.loop);
  g_main_context_unref (s.context);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- our WebSocket end against libsoup's");
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "streams", 'n', 0, G_OPTION_ARG_INT, &opt_streams, "Connections (800)", "N" },
    { "seconds", 'd', 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds measured per run (10)", "S" },
    { "payload", 0, 0, G_OPTION_ARG_INT, &opt_payload, "Bytes per message (120)", "B" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Runs of each end, alternating (3)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-websocket: %s\n", error->message);
      return 2;
    }
  if (opt_streams < 1 || opt_seconds < 1 || opt_payload < 1 || opt_payload > 65535 || opt_runs < 1)
    {
      g_printerr ("bench-websocket: bad options (see --help)\n");
      return 2;
    }
  bench_raise_nofile ();

  g_print ("%d streams, a %d-byte binary message every 20 ms each (%d messages/s), "
           "%d s measured, %d runs of each end\n", opt_streams, opt_payload, opt_streams * 50,
           opt_seconds, opt_runs);
  g_print ("| end | server thread CPU (cores) | CPU us per message | messages/s | lost |\n"
           "|---|--:|--:|--:|--:|\n");
  for (int r = 0; r < opt_runs; r++)
    for (End end = END_OURS; end <= END_SOUP; end++)
      {
        Result result;

        run (end, &result);
        g_print ("| %s | %.3f | %.2f | %.0f | %.3f |\n",
                 end == END_OURS ? "mira-websocket.c on a MiraPoller"
                                 : "SoupWebsocketConnection on a GMainContext",
                 result.cores, result.us_per_message, result.messages_per_s, result.lost);
      }
  return 0;
}
