/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the live audio benchmarks share: the mira-server they start as a
 * separate process, a small synchronous REST client, a lean WebSocket client
 * on raw sockets (so the load generator costs little next to the server),
 * flite speech and a few statistics.
 */

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Monotonic clock, µs */
#define bench_now() g_get_monotonic_time ()

/* The server ---------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  GPid         pid;
  char        *url;          /* http://127.0.0.1:PORT */
  char        *host;
  guint        port;
  char        *admin_token;
  char        *db_path;
} BenchServer;

/* RLIMIT_NOFILE up to the hard limit; returns the new soft limit. */
guint64      bench_raise_nofile     (void);

/* Starts @server_path --host 127.0.0.1 --port 0 --database sqlite:///tmp/…
 * with a fresh admin token, its file limit raised, and @transcriber ("none",
 * "sphinx"; NULL: the server's default); fatal when it does not start.
 */
void         bench_server_start     (BenchServer *server,
                                     const char  *server_path,
                                     const char  *transcriber,
                                     const char  *log_level);
void         bench_server_stop      (BenchServer *server);
/* CPU time (user + system) of every thread of @pid, or of one thread, in s */
double       bench_cpu_seconds      (GPid         pid,
                                     GPid         tid);

/* Busy CPU time of the whole machine so far, in s (every core, /proc/stat):
 * what other processes took is this less the server's and ours.
 */
double       bench_machine_busy_seconds (void);
/* On a shared machine: waits (up to @timeout_s) for a second in which other
 * processes than ours and @server_pid (0: none) took at most @max_cores.
 * Returns what they took in the last second looked at.
 */
double       bench_wait_quiet       (GPid         server_pid,
                                     double       max_cores,
                                     double       timeout_s);

/* REST ---------------------------------------------------------------------- */

/* Sends @body (may be NULL) with @token and returns the parsed JSON answer
 * (or NULL when the body is empty); fatal when the status is not @expect.
 */
JsonNode    *bench_http             (SoupSession *session,
                                     const char  *method,
                                     const char  *url,
                                     const char  *token,
                                     const char  *body,
                                     guint        expect);
/* Same, also giving the size of the answer's body. */
JsonNode    *bench_http_full        (SoupSession *session,
                                     const char  *method,
                                     const char  *url,
                                     const char  *token,
                                     const char  *body,
                                     guint        expect,
                                     gsize       *body_len);
/* Creates a network; returns its id and sets *token. */
char        *bench_network_new      (BenchServer *server,
                                     SoupSession *session,
                                     const char  *name,
                                     char       **token);
/* Registers @client_id; returns its session token. */
char        *bench_client_register  (BenchServer *server,
                                     SoupSession *session,
                                     const char  *network_id,
                                     const char  *network_token,
                                     const char  *client_id);

/* WebSocket client ---------------------------------------------------------- */

typedef struct
{
  int         fd;
  GByteArray *in;         /* received, not yet parsed */
  GByteArray *out;        /* queued: the socket would block */
  gboolean    closed;
  guint16     close_code;
} BenchWs;

enum {
  BENCH_WS_TEXT = 1,
  BENCH_WS_BINARY = 2,
  BENCH_WS_CLOSE = 8,
  BENCH_WS_PING = 9,
  BENCH_WS_PONG = 10,
};

typedef void (*BenchWsFunc) (BenchWs      *ws,
                             guint         opcode,
                             const guint8 *payload,
                             gsize         len,
                             gpointer      user_data);

/* Connects, upgrades @path_query and leaves the socket non-blocking; NULL
 * with @error when the server refuses.
 */
BenchWs     *bench_ws_connect       (const char  *host,
                                     guint        port,
                                     const char  *path_query,
                                     GError     **error);
void         bench_ws_free          (BenchWs     *ws);
/* Appends one masked client frame to @out (build frames once, send often). */
void         bench_ws_frame         (GByteArray  *out,
                                     guint        opcode,
                                     const void  *payload,
                                     gsize        len);
/* Writes bytes (whole frames); queues what the socket does not take. FALSE
 * when the connection is gone.
 */
gboolean     bench_ws_send_raw      (BenchWs     *ws,
                                     const guint8 *data,
                                     gsize        len);
gboolean     bench_ws_send_text     (BenchWs     *ws,
                                     const char  *text);
/* Writes what is queued; TRUE when nothing is left. */
gboolean     bench_ws_flush         (BenchWs     *ws);
/* Reads what is there and calls @func per data frame (answers pings
 * itself). Returns FALSE when the connection is closed.
 */
gboolean     bench_ws_read          (BenchWs     *ws,
                                     BenchWsFunc  func,
                                     gpointer     user_data);
/* Blocks (polling) until @func has set *@done or @timeout_us passed. */
gboolean     bench_ws_wait          (BenchWs     *ws,
                                     BenchWsFunc  func,
                                     gpointer     user_data,
                                     gboolean    *done,
                                     gint64       timeout_us);

/* Audio --------------------------------------------------------------------- */

/* Speech from flite at 16 kHz mono (gint16); fatal when flite is missing. */
GArray      *bench_flite            (const char  *voice,
                                     const char  *text);
/* Index of the last sample whose magnitude reaches @threshold, or -1 */
gssize       bench_last_voiced      (const gint16 *samples,
                                     gsize        n,
                                     gint         threshold);
gssize       bench_first_voiced     (const gint16 *samples,
                                     gsize        n,
                                     gint         threshold);

/* Statistics ---------------------------------------------------------------- */

/* Sorts @values (double) and returns the nearest-rank percentile (0..100). */
double       bench_percentile       (GArray      *values,
                                     double       pct);
double       bench_max              (GArray      *values);

G_END_DECLS
