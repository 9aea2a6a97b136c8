/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

#include "config.h"

#include "bench-common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mira-audio-file.h"
#include "mira-util.h"

/* The server ---------------------------------------------------------------- */

guint64
bench_raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return 0;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        g_warning ("setrlimit (RLIMIT_NOFILE, %" G_GUINT64_FORMAT "): %s",
                   (guint64) rl.rlim_max, g_strerror (errno));
      getrlimit (RLIMIT_NOFILE, &rl);
    }
  return rl.rlim_cur;
}

/* In the child: the server must not outlive a benchmark that dies, and it
 * takes as many sockets as the system allows.
 */
static void
child_setup (gpointer user_data)
{
  struct rlimit rl;

  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

void
bench_server_start (BenchServer *server,
                    const char  *server_path,
                    const char  *transcriber,
                    const char  *log_level)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *line = NULL;
  g_autofree char *db_uri = NULL;
  g_autofree char *dir = NULL;
  const char *port;

  dir = g_dir_make_tmp ("mira-bench-XXXXXX", &error);
  if (dir == NULL)
    g_error ("Cannot make a temporary directory: %s", error->message);
  server->db_path = g_build_filename (dir, "mira.db", NULL);
  db_uri = g_strconcat ("sqlite://", server->db_path, NULL);
  server->admin_token = mira_token_new ("mat_bench_");

  g_ptr_array_add (argv, (char *) server_path);
  g_ptr_array_add (argv, "--host");
  g_ptr_array_add (argv, "127.0.0.1");
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, "0");
  g_ptr_array_add (argv, "--database");
  g_ptr_array_add (argv, db_uri);
  g_ptr_array_add (argv, "--log-level");
  g_ptr_array_add (argv, (char *) (log_level ? log_level : "warning"));
  if (transcriber != NULL)
    {
      g_ptr_array_add (argv, "--transcriber");
      g_ptr_array_add (argv, (char *) transcriber);
    }
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "MIRA_ADMIN_TOKEN", server->admin_token, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "MIRA_DATABASE_URL");
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  if (server->process == NULL)
    g_error ("Cannot start %s: %s", server_path, error->message);
  server->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (server->process), NULL, 10);

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

  /* http://HOST:PORT */
  port = strrchr (server->url, ':');
  g_assert (port != NULL);
  server->port = (guint) g_ascii_strtoull (port + 1, NULL, 10);
  server->host = g_strndup (server->url + strlen ("http://"),
                            port - server->url - strlen ("http://"));
}

void
bench_server_stop (BenchServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (server->process == NULL)
    return;
  g_subprocess_send_signal (server->process, SIGTERM);
  if (!g_subprocess_wait (server->process, NULL, &error))
    g_warning ("waiting for mira-server: %s", error->message);
  else if (!g_subprocess_get_if_exited (server->process) ||
           g_subprocess_get_exit_status (server->process) != 0)
    g_warning ("mira-server did not exit cleanly on SIGTERM");
  g_clear_object (&server->process);

  dir = g_path_get_dirname (server->db_path);
  for (guint i = 0; i < 3; i++)
    {
      static const char * const suffixes[] = { "", "-wal", "-shm" };
      g_autofree char *path = g_strconcat (server->db_path, suffixes[i], NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
  g_clear_pointer (&server->db_path, g_free);
  g_clear_pointer (&server->url, g_free);
  g_clear_pointer (&server->host, g_free);
  g_clear_pointer (&server->admin_token, g_free);
}

double
bench_cpu_seconds (GPid pid,
                   GPid tid)
{
  g_autofree char *path = tid > 0 ? g_strdup_printf ("/proc/%d/task/%d/stat", (int) pid, (int) tid)
                                  : g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  /* The command may hold spaces: fields start after its closing ')' */
  after = strrchr (text, ')');
  if (after == NULL)
    return 0;
  fields = g_strsplit (after + 2, " ", -1);
  /* state is field 3 overall, index 0 here; utime 14 → 11, stime 15 → 12 */
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL))
         / (double) sysconf (_SC_CLK_TCK);
}

double
bench_machine_busy_seconds (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  double busy = 0;

  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return 0;
  /* cpu  user nice system idle iowait irq softirq steal … */
  *strchr (text, '\n') = '\0';
  fields = g_strsplit_set (text, " ", -1);
  for (guint i = 1, k = 0; fields[i] != NULL; i++)
    {
      if (*fields[i] == '\0')
        continue;
      k++;
      if (k == 4 || k == 5 || k > 8)   /* idle, iowait; guests are in user already */
        continue;
      busy += g_ascii_strtod (fields[i], NULL);
    }
  return busy / (double) sysconf (_SC_CLK_TCK);
}

double
bench_wait_quiet (GPid   server_pid,
                  double max_cores,
                  double timeout_s)
{
  gint64 deadline = bench_now () + (gint64) (timeout_s * G_USEC_PER_SEC);
  gboolean said = FALSE;
  double other;

  for (;;)
    {
      double busy0 = bench_machine_busy_seconds ();
      double self0 = bench_cpu_seconds (getpid (), 0);
      double server0 = server_pid > 0 ? bench_cpu_seconds (server_pid, 0) : 0;
      gint64 t0 = bench_now ();

      g_usleep (G_USEC_PER_SEC);
      other = (bench_machine_busy_seconds () - busy0) - (bench_cpu_seconds (getpid (), 0) - self0)
              - (server_pid > 0 ? bench_cpu_seconds (server_pid, 0) - server0 : 0);
      other /= (bench_now () - t0) / 1e6;
      if (other <= max_cores || bench_now () >= deadline)
        break;
      if (!said)
        {
          g_print ("  (other processes take %.2f cores: waiting for a quieter moment)\n", other);
          said = TRUE;
        }
    }
  return MAX (other, 0);
}

/* REST ---------------------------------------------------------------------- */

JsonNode *
bench_http (SoupSession *session,
            const char  *method,
            const char  *url,
            const char  *token,
            const char  *body,
            guint        expect)
{
  return bench_http_full (session, method, url, token, body, expect, NULL);
}

JsonNode *
bench_http_full (SoupSession *session,
                 const char  *method,
                 const char  *url,
                 const char  *token,
                 const char  *body,
                 guint        expect,
                 gsize       *body_len)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data;

  if (msg == NULL)
    g_error ("Bad URL %s", url);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) req = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", req);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  if (bytes == NULL)
    g_error ("%s %s: %s", method, url, error->message);
  data = g_bytes_get_data (bytes, &size);
  if (body_len != NULL)
    *body_len = size;
  if (soup_message_get_status (msg) != expect)
    g_error ("%s %s: expected %u, got %u: %.*s", method, url, expect,
             soup_message_get_status (msg), (int) MIN (size, 500), data ? data : "");
  if (size == 0)
    return NULL;
  return json_from_string (data, NULL);
}

char *
bench_network_new (BenchServer *server,
                   SoupSession *session,
                   const char  *name,
                   char       **token)
{
  g_autofree char *url = g_strconcat (server->url, "/api/v1/networks", NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *text = NULL;
  JsonObject *net;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  text = json_to_string (body, FALSE);
  answer = bench_http (session, "POST", url, server->admin_token, text, 201);
  net = json_node_get_object (answer);
  *token = g_strdup (json_object_get_string_member (net, "network_token"));
  return g_strdup (json_object_get_string_member (net, "network_id"));
}

char *
bench_client_register (BenchServer *server,
                       SoupSession *session,
                       const char  *network_id,
                       const char  *network_token,
                       const char  *client_id)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/%s/service/client/register/%s", server->url,
                                          network_id, client_id);
  g_autoptr(JsonNode) answer = NULL;
  guint status;

  {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) req = g_bytes_new_static ("{\"device_type\":\"microphone\"}",
                                                strlen ("{\"device_type\":\"microphone\"}"));
    g_autofree char *auth = g_strconcat ("Bearer ", network_token, NULL);
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) error = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_message_set_request_body_from_bytes (msg, "application/json", req);
    bytes = soup_session_send_and_read (session, msg, NULL, &error);
    if (bytes == NULL)
      g_error ("POST %s: %s", url, error->message);
    status = soup_message_get_status (msg);
    if (status != 201 && status != 200)
      g_error ("POST %s: %u %.*s", url, status, (int) MIN (g_bytes_get_size (bytes), 500),
               (const char *) g_bytes_get_data (bytes, NULL));
    answer = json_from_string (g_bytes_get_data (bytes, NULL), NULL);
  }
  return g_strdup (json_object_get_string_member (json_node_get_object (answer), "session_token"));
}

/* WebSocket client ---------------------------------------------------------- */

/* Client frames must be masked; one key for every frame lets them be built
 * once and sent many times. The server unmasks whatever the key.
 */
static const guint8 mask_key[4] = { 0x3a, 0x91, 0x5c, 0xe7 };

void
bench_ws_frame (GByteArray *out,
                guint       opcode,
                const void *payload,
                gsize       len)
{
  guint8 head[14];
  gsize n = 0;
  guint start;

  head[n++] = 0x80 | (opcode & 0x0f);
  if (len < 126)
    head[n++] = 0x80 | (guint8) len;
  else if (len <= 0xffff)
    {
      head[n++] = 0x80 | 126;
      head[n++] = (guint8) (len >> 8);
      head[n++] = (guint8) len;
    }
  else
    {
      head[n++] = 0x80 | 127;
      for (int i = 7; i >= 0; i--)
        head[n++] = (guint8) ((guint64) len >> (8 * i));
    }
  memcpy (head + n, mask_key, 4);
  n += 4;
  g_byte_array_append (out, head, (guint) n);
  start = out->len;
  g_byte_array_append (out, payload, (guint) len);
  for (gsize i = 0; i < len; i++)
    out->data[start + i] ^= mask_key[i & 3];
}

static gboolean
write_all_blocking (int           fd,
                    const char   *data,
                    gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

BenchWs *
bench_ws_connect (const char  *host,
                  guint        port,
                  const char  *path_query,
                  GError     **error)
{
  struct sockaddr_in addr = { 0 };
  g_autofree char *request = NULL;
  g_autoptr(GByteArray) in = g_byte_array_new ();
  BenchWs *ws;
  int fd, one = 1;
  char buf[4096];
  guint8 *end = NULL;

  addr.sin_family = AF_INET;
  addr.sin_port = htons ((guint16) port);
  if (inet_pton (AF_INET, host, &addr.sin_addr) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not an IPv4 address",
                   host);
      return NULL;
    }
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "socket: %s",
                   g_strerror (errno));
      return NULL;
    }
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "connect: %s",
                   g_strerror (saved));
      return NULL;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                             "Host: %s:%u\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "\r\n", path_query, host, port);
  if (!write_all_blocking (fd, request, strlen (request)))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "Cannot send the upgrade");
      return NULL;
    }

  while (end == NULL)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "The server closed the connection during the upgrade");
          return NULL;
        }
      g_byte_array_append (in, (guint8 *) buf, (guint) n);
      end = memmem (in->data, in->len, "\r\n\r\n", 4);
    }
  if (!g_str_has_prefix ((char *) in->data, "HTTP/1.1 101"))
    {
      char *eol = memchr (in->data, '\r', in->len);

      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Upgrade refused: %.*s",
                   eol ? (int) (eol - (char *) in->data) : 40, (char *) in->data);
      return NULL;
    }
  g_byte_array_remove_range (in, 0, (guint) (end + 4 - in->data));
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);

  ws = g_new0 (BenchWs, 1);
  ws->fd = fd;
  ws->in = g_steal_pointer (&in);
  ws->out = g_byte_array_new ();
  return ws;
}

void
bench_ws_free (BenchWs *ws)
{
  if (ws == NULL)
    return;
  if (ws->fd >= 0)
    close (ws->fd);
  g_byte_array_unref (ws->in);
  g_byte_array_unref (ws->out);
  g_free (ws);
}

gboolean
bench_ws_flush (BenchWs *ws)
{
  while (ws->out->len > 0)
    {
      ssize_t n = send (ws->fd, ws->out->data, ws->out->len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return FALSE;
      if (n <= 0)
        {
          ws->closed = TRUE;
          g_byte_array_set_size (ws->out, 0);
          return TRUE;
        }
      g_byte_array_remove_range (ws->out, 0, (guint) n);
    }
  return TRUE;
}

gboolean
bench_ws_send_raw (BenchWs      *ws,
                   const guint8 *data,
                   gsize         len)
{
  if (ws->closed)
    return FALSE;
  if (ws->out->len > 0 && !bench_ws_flush (ws))
    {
      g_byte_array_append (ws->out, data, (guint) len);
      return TRUE;
    }
  while (len > 0)
    {
      ssize_t n = send (ws->fd, data, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          g_byte_array_append (ws->out, data, (guint) len);
          return TRUE;
        }
      if (n <= 0)
        {
          ws->closed = TRUE;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return !ws->closed;
}

gboolean
bench_ws_send_text (BenchWs    *ws,
                    const char *text)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  bench_ws_frame (frame, BENCH_WS_TEXT, text, strlen (text));
  return bench_ws_send_raw (ws, frame->data, frame->len);
}

/* Parses the complete frames in ws->in. Server frames are never masked;
 * fragmented messages are not used by libsoup for what we receive.
 */
static void
parse_frames (BenchWs     *ws,
              BenchWsFunc  func,
              gpointer     user_data)
{
  gsize off = 0;

  while (ws->in->len - off >= 2)
    {
      const guint8 *p = ws->in->data + off;
      gsize avail = ws->in->len - off;
      guint opcode = p[0] & 0x0f;
      guint64 len = p[1] & 0x7f;
      gsize head = 2;

      if (len == 126)
        {
          if (avail < 4)
            break;
          len = (guint64) p[2] << 8 | p[3];
          head = 4;
        }
      else if (len == 127)
        {
          if (avail < 10)
            break;
          len = 0;
          for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
          head = 10;
        }
      if (p[1] & 0x80)
        head += 4;   /* not expected from a server */
      if (avail < head + len)
        break;

      if (opcode == BENCH_WS_PING)
        {
          g_autoptr(GByteArray) pong = g_byte_array_new ();

          bench_ws_frame (pong, BENCH_WS_PONG, p + head, (gsize) len);
          bench_ws_send_raw (ws, pong->data, pong->len);
        }
      else if (opcode == BENCH_WS_CLOSE)
        {
          ws->close_code = len >= 2 ? (guint16) (p[head] << 8 | p[head + 1]) : 1005;
          ws->closed = TRUE;
          if (func != NULL)
            func (ws, opcode, p + head, (gsize) len, user_data);
        }
      else if (opcode != BENCH_WS_PONG && func != NULL)
        func (ws, opcode, p + head, (gsize) len, user_data);
      off += head + (gsize) len;
    }
  if (off > 0)
    g_byte_array_remove_range (ws->in, 0, (guint) off);
}

gboolean
bench_ws_read (BenchWs     *ws,
               BenchWsFunc  func,
               gpointer     user_data)
{
  if (ws->in->len > 0)
    parse_frames (ws, func, user_data);
  for (;;)
    {
      guint8 buf[65536];
      ssize_t n = read (ws->fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n <= 0)
        {
          ws->closed = TRUE;
          break;
        }
      g_byte_array_append (ws->in, buf, (guint) n);
      parse_frames (ws, func, user_data);
      if ((gsize) n < sizeof buf)
        break;
    }
  return !ws->closed;
}

gboolean
bench_ws_wait (BenchWs     *ws,
               BenchWsFunc  func,
               gpointer     user_data,
               gboolean    *done,
               gint64       timeout_us)
{
  gint64 deadline = bench_now () + timeout_us;

  /* What came with the upgrade's answer, and what is there already */
  if (!bench_ws_read (ws, func, user_data))
    return *done;
  while (!*done)
    {
      struct pollfd pfd = { ws->fd, POLLIN, 0 };
      gint64 left = deadline - bench_now ();

      if (left <= 0)
        return FALSE;
      if (poll (&pfd, 1, (int) MAX (1, left / 1000)) > 0 && !bench_ws_read (ws, func, user_data))
        return *done;
    }
  return TRUE;
}

/* Audio --------------------------------------------------------------------- */

GArray *
bench_flite (const char *voice,
             const char *text)
{
  g_autofree char *flite = g_find_program_in_path ("flite");
  g_autofree char *dir = NULL;
  g_autofree char *wav = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GArray *samples;
  gsize len;
  int status;

  if (flite == NULL)
    g_error ("flite is not installed (apt install flite)");
  dir = g_dir_make_tmp ("mira-bench-flite-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  wav = g_build_filename (dir, "speech.wav", NULL);
  {
    const char *argv[] = { flite, "-voice", voice, "-t", text, "-o", wav, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                       NULL, &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      g_error ("flite: %s", error->message);
  }
  if (!g_file_get_contents (wav, &data, &len, &error))
    g_error ("%s", error->message);
  g_unlink (wav);
  g_rmdir (dir);
  bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  samples = mira_audio_file_decode (bytes, &error);
  if (samples == NULL)
    g_error ("flite's WAV: %s", error->message);
  return samples;
}

gssize
bench_last_voiced (const gint16 *samples,
                   gsize         n,
                   gint          threshold)
{
  for (gssize i = (gssize) n - 1; i >= 0; i--)
    if (ABS ((gint) samples[i]) >= threshold)
      return i;
  return -1;
}

gssize
bench_first_voiced (const gint16 *samples,
                    gsize         n,
                    gint          threshold)
{
  for (gsize i = 0; i < n; i++)
    if (ABS ((gint) samples[i]) >= threshold)
      return (gssize) i;
  return -1;
}

/* Statistics ---------------------------------------------------------------- */

static gint
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

double
bench_percentile (GArray *values,
                  double  pct)
{
  gsize rank;

  if (values->len == 0)
    return NAN;
  g_array_sort (values, compare_double);
  /* Nearest rank: the smallest value with at least pct % of them at or below it */
  rank = (gsize) ceil (pct / 100.0 * values->len);
  rank = CLAMP (rank, 1, values->len);
  return g_array_index (values, double, rank - 1);
}

double
bench_max (GArray *values)
{
  double m = NAN;

  for (guint i = 0; i < values->len; i++)
    if (i == 0 || g_array_index (values, double, i) > m)
      m = g_array_index (values, double, i);
  return m;
}
