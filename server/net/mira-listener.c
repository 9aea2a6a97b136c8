/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE   /* POLLRDHUP */
#define G_LOG_DOMAIN "mira-listener"

/* The server's listening sockets, its own accept loop, and a watch on every
 * HTTP connection until it is upgraded or closed.
 *
 * libsoup's accept loop is dropped for good on the first failed accept()
 * (EMFILE, ENFILE, ENOBUFS), its backlog is fixed, and it times nothing
 * out. So the sockets are ours: we accept, and hand each connection to
 * libsoup with soup_server_accept_iostream(). libsoup is still told of each
 * listening socket (it keeps connections alive only while it has a
 * listener), but its own listener watches it on a main context that never
 * runs.
 *
 * Each connection is watched through libsoup's signals: a request's
 * headers must be in within headers_timeout_ms of the connection's start or
 * of the previous response (so an idle keep-alive connection ends too); a
 * body must not fall silent for body_timeout_ms nor, after that long,
 * average less than body_min_rate; and it must stay within the route's
 * limit, counted while it is read (a chunked body announces no length).
 * While a request is handled and answered, libsoup reads nothing: a peer
 * that closes its side meanwhile has headers_timeout_ms (5 s at least) more
 * for the answer (it may have only half-closed), and no answer takes over
 * two minutes.
 * A connection that breaks a bound is shut down; a body still expected
 * gets a 408 or 413 first, in API.md's shape.
 *
 * libsoup gives up on a request head over 64 KiB by closing the connection
 * without a word. So while a head is read on plain TCP, the listener holds a
 * duplicate of the connection's descriptor: when libsoup lets go of a head
 * it could not read, the connection is still open for a 414 (the request
 * line was the long one) or a 431, in API.md's shape.
 */

#include "mira-listener.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mira-error.h"
#include "mira-util.h"

#define DEFAULT_HEADERS_TIMEOUT_MS (20 * 1000)
#define DEFAULT_BODY_TIMEOUT_MS    (20 * 1000)
#define DEFAULT_BODY_MIN_RATE      (16 * 1024)
/* Connections waiting to be accepted; the kernel caps it at somaxconn. */
#define LISTEN_BACKLOG             1024
/* A connection we ended that libsoup has not closed after this is closed
 * under it (libsoup does not always notice a shut socket while it reads).
 */
#define CLOSE_AFTER_US             (1 * G_USEC_PER_SEC)
/* A body over its limit is still read, and thrown away, this far past
 * the limit, so that a client sending it whole gets the 413 rather than a
 * broken pipe; beyond, the 413 goes at once and the connection ends.
 */
#define DRAIN_BYTES                (8 * 1024 * 1024)
/* After a failed accept, how long before trying again. */
#define ACCEPT_PAUSE_MS            100
/* A head refused for its size: the rest of it is read, and thrown away, so
 * that the client is done sending when the answer comes (closing on unread
 * bytes would reset the connection, answer and all). Up to this much, while
 * it keeps coming…
 */
#define REFUSAL_DRAIN_BYTES        (1024 * 1024)
#define REFUSAL_IDLE_US            (200 * 1000)
#define REFUSAL_TOTAL_US           (2 * G_USEC_PER_SEC)
/* …and after the answer, until the client closes or this long. */
#define REFUSAL_LINGER_US          (1 * G_USEC_PER_SEC)
#define REFUSAL_TICK_MS            20
/* Refusals under way at once; beyond, a connection is just closed. */
#define MAX_REFUSALS               64
/* A request being handled, or its answer being written to a peer that
 * does not read it, ends after this however it goes.
 */
#define HANDLING_TIMEOUT_US        (120 * G_USEC_PER_SEC)
/* A peer that closed its side while its request was handled may only have
 * half-closed, and still read the answer: it has the head's bound for it,
 * and never less than this.
 */
#define PEER_CLOSED_MIN_US         (5 * G_USEC_PER_SEC)

typedef enum {
  CONN_HEADERS,      /* waiting for a request line and headers */
  CONN_BODY,         /* reading a body */
  CONN_HANDLING,     /* ours to answer, then libsoup's to write: HANDLING_TIMEOUT_US, and
                      * headers_timeout_ms once the peer has closed its side */
} ConnState;

typedef struct
{
  char      *key;         /* the table's */
  GSocket   *socket;
  GIOStream *tls;         /* over HTTPS, the TLS connection libsoup reads; else NULL */
  ConnState  state;
  gint64     since;       /* start of the state */
  gint64     last_byte;   /* of the body */
  guint64    body_read;
  gsize      body_limit;
  gboolean   draining;    /* refused: the body is read and thrown away */
  gint64     peer_closed; /* when the peer was seen to close its side, or 0 */
  int        head_fd;     /* a duplicate of the socket's, while a head is read; or -1 */
} Conn;

struct _MiraListener
{
  SoupServer         *soup;
  MiraListenerLimits  limits;
  MiraBodyLimitFunc   body_limit;
  gpointer            user_data;

  GMainContext       *context;
  GMainContext       *dormant;     /* where libsoup's own listeners wait, never run */
  GPtrArray          *sockets;     /* listening GSockets */
  GPtrArray          *sources;     /* their accept sources, while accepting */
  GTlsCertificate    *certificate;
  GHashTable         *conns;       /* "address:port" of the peer → Conn */
  GPtrArray          *closing;     /* Closing: ended, for libsoup to close */
  GPtrArray          *refusals;    /* Refusal: heads too large, being answered */
  GSource            *sweep;
  GSource            *resume;
  int                 spare_fd;    /* given up to answer 503 when out of descriptors */
  gint64              last_warning;
  gulong              started_handler;
  gulong              read_handler;
  gboolean            stopped;
};

typedef struct
{
  GSocket *socket;
  gint64   at;
} Closing;

static void
closing_free (gpointer data)
{
  Closing *closing = data;

  g_object_unref (closing->socket);
  g_free (closing);
}

static void
conn_free (gpointer data)
{
  Conn *conn = data;

  if (conn->head_fd >= 0)
    close (conn->head_fd);
  g_clear_object (&conn->tls);
  g_object_unref (conn->socket);
  g_free (conn);
}

static char *
address_key (GSocketAddress *address)
{
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  return g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
}

static Conn *
conn_of (MiraListener      *self,
         SoupServerMessage *msg)
{
  g_autofree char *key = address_key (soup_server_message_get_remote_address (msg));

  return key != NULL ? g_hash_table_lookup (self->conns, key) : NULL;
}

static char *
raw_response (guint       status,
              const char *body,
              gsize       len)
{
  return g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json; charset=utf-8\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Connection: close\r\n\r\n%.*s",
                          status,
                          /* libsoup 3.2 has no phrase for it */
                          status == 431 ? "Request Header Fields Too Large"
                                        : soup_status_get_phrase (status),
                          len, (int) len, body);
}

/* An answer written straight to the socket, where libsoup is reading and
 * will write nothing: only on plain TCP.
 */
static void
send_raw_error (GSocket    *socket,
                guint       status,
                const char *code,
                const char *detail)
{
  g_autofree char *body = mira_error_body (status, code, detail);
  g_autofree char *response = raw_response (status, body, strlen (body));

  g_socket_send_with_blocking (socket, response, strlen (response), FALSE, NULL, NULL);
}

/* An answer written where libsoup is reading and will write nothing:
 * straight to the socket, or over HTTPS into the TLS connection (its
 * writing side is ours while libsoup only reads). Never waits: a peer
 * that does not take it at once goes without.
 */
static void
conn_send (Conn       *conn,
           const char *response)
{
  if (conn->tls == NULL)
    {
      g_socket_send_with_blocking (conn->socket, response, strlen (response), FALSE, NULL, NULL);
      return;
    }
  g_pollable_output_stream_write_nonblocking (
    G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (conn->tls)), response,
    strlen (response), NULL, NULL);
}

/* Ends @conn: @status (if not 0) is written first, on plain TCP. The
 * listener forgets it at once; libsoup sees the end of the stream and
 * closes the connection itself.
 */
static void
conn_shut (MiraListener *self,
           Conn         *conn,
           guint         status,
           const char   *code,
           const char   *detail)
{
  Closing *closing = g_new0 (Closing, 1);

  if (status != 0)
    {
      g_autofree char *body = mira_error_body (status, code, detail);
      g_autofree char *response = raw_response (status, body, strlen (body));

      conn_send (conn, response);
    }
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  closing->socket = g_object_ref (conn->socket);
  closing->at = g_get_monotonic_time ();
  g_ptr_array_add (self->closing, closing);
  g_hash_table_remove (self->conns, conn->key);
}

/* Heads too large --------------------------------------------------------- */

typedef struct
{
  MiraListener *self;
  GSocket      *socket;      /* on the duplicate descriptor */
  GSource      *tick;
  gint64        started;
  gint64        last_byte;
  gint64        answered;    /* or 0 */
  gsize         drained;
  guint32       window;      /* the last 4 bytes read */
  char          tail[16];    /* the last bytes of the line libsoup stopped in */
  guint         tail_len;
  gboolean      line_ended;
  gboolean      request_line;
  gboolean      head_ended;
} Refusal;

static void
refusal_free (gpointer data)
{
  Refusal *refusal = data;

  g_source_destroy (refusal->tick);
  g_source_unref (refusal->tick);
  g_socket_close (refusal->socket, NULL);
  g_object_unref (refusal->socket);
  g_free (refusal);
}

/* The line libsoup stopped in is the request line when it ends in the
 * protocol version ("GET /aaaa… HTTP/1.1").
 */
static void
refusal_take (Refusal    *refusal,
              const char *data,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (!refusal->line_ended && c == '\n')
        {
          guint n = refusal->tail_len;

          if (n > 0 && refusal->tail[n - 1] == '\r')
            n--;
          refusal->line_ended = TRUE;
          refusal->request_line = n >= 9 && (memcmp (refusal->tail + n - 9, " HTTP/1.1", 9) == 0
                                             || memcmp (refusal->tail + n - 9, " HTTP/1.0", 9) == 0);
        }
      else if (!refusal->line_ended)
        {
          if (refusal->tail_len == sizeof refusal->tail)
            {
              memmove (refusal->tail, refusal->tail + 1, sizeof refusal->tail - 1);
              refusal->tail_len--;
            }
          refusal->tail[refusal->tail_len++] = c;
        }
      refusal->window = (refusal->window << 8) | (guchar) c;
      if (refusal->window == 0x0d0a0d0a || (refusal->window & 0xffff) == 0x0a0a)
        refusal->head_ended = TRUE;
    }
}

static void
refusal_answer (Refusal *refusal)
{
  if (refusal->line_ended && refusal->request_line)
    send_raw_error (refusal->socket, 414, "URI_TOO_LONG",
                    "The request line is longer than the server reads (64 KiB)");
  else
    send_raw_error (refusal->socket, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                    "The request line and headers are longer than the server reads (64 KiB)");
  g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL);
  refusal->answered = g_get_monotonic_time ();
}

static gboolean
refusal_tick (gpointer user_data)
{
  Refusal *refusal = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean ended = FALSE;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char buf[16 * 1024];
      gssize n = g_socket_receive_with_blocking (refusal->socket, buf, sizeof buf, FALSE,
                                                 NULL, &error);

      if (n <= 0)
        {
          /* 0: the client is done; an error other than "no more yet": gone */
          ended = n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          break;
        }
      refusal->last_byte = now;
      refusal->drained += (gsize) n;
      if (refusal->answered == 0)
        refusal_take (refusal, buf, (gsize) n);
      if (refusal->drained > REFUSAL_DRAIN_BYTES + REFUSAL_DRAIN_BYTES / 2)
        {
          ended = TRUE;
          break;
        }
    }
  if (refusal->answered == 0
      && (ended || refusal->head_ended || refusal->drained > REFUSAL_DRAIN_BYTES
          || now - refusal->last_byte > REFUSAL_IDLE_US || now - refusal->started > REFUSAL_TOTAL_US))
    refusal_answer (refusal);
  if (refusal->answered != 0 && (ended || now - refusal->answered > REFUSAL_LINGER_US))
    {
      g_ptr_array_remove_fast (refusal->self->refusals, refusal);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Answers the head on @fd (which it takes) with a 414 or 431. */
static void
refuse_head (MiraListener *self,
             int           fd)
{
  Refusal *refusal;
  GSocket *socket;

  if (self->refusals->len >= MAX_REFUSALS
      || (socket = g_socket_new_from_fd (fd, NULL)) == NULL)
    {
      close (fd);
      return;
    }
  g_socket_set_blocking (socket, FALSE);
  refusal = g_new0 (Refusal, 1);
  refusal->self = self;
  refusal->socket = socket;
  refusal->started = refusal->last_byte = g_get_monotonic_time ();
  refusal->tick = g_timeout_source_new (REFUSAL_TICK_MS);
  g_source_set_callback (refusal->tick, refusal_tick, refusal, NULL);
  g_source_attach (refusal->tick, self->context);
  g_ptr_array_add (self->refusals, refusal);
  refusal_tick (refusal);
}

/* Request watch --------------------------------------------------------- */

static gboolean
expects_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) > 0;
    case SOUP_ENCODING_CHUNKED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Writes the answer already set on @msg, and ends the connection. */
static void
refuse_now (MiraListener      *self,
            Conn              *conn,
            SoupServerMessage *msg)
{
  guint status = soup_server_message_get_status (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  g_autofree char *fallback = NULL;
  g_autofree char *response = NULL;
  const char *text = g_bytes_get_data (body, NULL);
  gsize len = g_bytes_get_size (body);

  if (len == 0)
    {
      fallback = mira_error_body (status, status == 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST",
                                      soup_status_get_phrase (status));
      text = fallback;
      len = strlen (fallback);
    }
  response = raw_response (status, text, len);
  conn_send (conn, response);
  conn_shut (self, conn, 0, NULL, NULL);
}

/* Content-Length is digits and nothing else (libsoup reads "-5" as a
 * length, and a list of differing lengths as one of them).
 */
static gboolean
content_length_is_valid (SoupServerMessage *msg)
{
  const char *value = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                     "Content-Length");

  if (value == NULL)
    return TRUE;
  if (*value == '\0' || value[strspn (value, "0123456789")] != '\0' || strlen (value) > 18)
    return FALSE;
  return TRUE;
}

static void
set_error (SoupServerMessage *msg,
           guint              status,
           const char        *code,
           const char        *detail)
{
  g_autofree char *body = mira_error_body (status, code, detail);

  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
}

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);

  /* Read: the answer is the handlers' (or the early handler's, already) */
  if (conn != NULL && conn->head_fd >= 0)
    {
      close (conn->head_fd);
      conn->head_fd = -1;
    }
  if (soup_server_message_get_status (msg) == 0)
    {
      soup_message_body_truncate (soup_server_message_get_response_body (msg));
      soup_message_headers_remove (soup_server_message_get_response_headers (msg),
                                   "Content-Type");
    }
  if (conn == NULL)
    return;
  if (!content_length_is_valid (msg))
    {
      set_error (msg, 400, "BAD_REQUEST", "Content-Length must be one non-negative number");
      refuse_now (self, conn, msg);
      return;
    }
  conn->state = CONN_BODY;
  conn->since = conn->last_byte = g_get_monotonic_time ();
  conn->body_read = 0;
  conn->body_limit = self->body_limit (msg, self->user_data);
  conn->draining = FALSE;

  /* Refused already (413 from the announced length, 400): libsoup reads
   * the whole body before it answers. A body that may be drained is
   * thrown away as it comes; the answer to a longer one goes now.
   */
  if (soup_server_message_get_status (msg) != 0 && expects_body (msg))
    {
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
          && (guint64) soup_message_headers_get_content_length (headers)
               <= (guint64) conn->body_limit + DRAIN_BYTES)
        conn->draining = TRUE;
      else
        refuse_now (self, conn, msg);
    }
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);

  if (conn == NULL || conn->state != CONN_BODY)
    return;
  conn->body_read += g_bytes_get_size (chunk);
  conn->last_byte = g_get_monotonic_time ();
  if (conn->body_read > conn->body_limit && !conn->draining)
    {
      g_autofree char *detail = g_strdup_printf ("The body is larger than %" G_GSIZE_FORMAT
                                                 " bytes", conn->body_limit);

      /* With a status set, libsoup answers it once the body is in, and
       * calls no handler.
       */
      set_error (msg, 413, "PAYLOAD_TOO_LARGE", detail);
      conn->draining = TRUE;
    }
  if (conn->draining)
    {
      soup_message_body_truncate (soup_server_message_get_request_body (msg));
      if (conn->body_read > (guint64) conn->body_limit + DRAIN_BYTES)
        refuse_now (self, conn, msg);
    }
}

static void
on_got_body (SoupServerMessage *msg,
             gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);

  if (conn != NULL)
    {
      conn->state = CONN_HANDLING;
      conn->since = g_get_monotonic_time ();
      conn->peer_closed = 0;
    }
}

/* The answer is out: libsoup starts the next request only once its first
 * bytes come, so the wait for them is the idle keep-alive's, bounded as a
 * head is.
 */
static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);

  if (conn != NULL && conn->state == CONN_HANDLING)
    {
      conn->state = CONN_HEADERS;
      conn->since = g_get_monotonic_time ();
    }
}

/* Before any handler: libsoup reads a chunk-size line it cannot parse as
 * the last chunk, so a chunked body that comes to nothing is taken for a
 * broken one (no endpoint takes an empty chunked body).
 */
static void
on_request_read (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (conn != NULL && soup_server_message_get_status (msg) == 0
      && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED
      && conn->body_read == 0)
    set_error (msg, 400, "BAD_REQUEST",
               "The chunked body is empty, or its first chunk-size line is malformed");
}

/* A connection libsoup closed while it read a head: with the status it sets
 * on a read that failed (500) and no request line parsed, the head was over
 * its limit (or the peer went away, and the answer goes nowhere).
 */
static void
on_disconnected (SoupServerMessage *msg,
                 gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);
  int fd;

  if (conn == NULL || conn->head_fd < 0)
    return;
  fd = conn->head_fd;
  conn->head_fd = -1;
  if (soup_server_message_get_method (msg) == NULL
      && soup_server_message_get_status (msg) == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    {
      g_hash_table_remove (self->conns, conn->key);
      refuse_head (self, fd);
    }
  else
    close (fd);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  MiraListener *self = user_data;
  Conn *conn = conn_of (self, msg);

  if (conn != NULL)
    {
      conn->state = CONN_HEADERS;
      conn->since = g_get_monotonic_time ();
      if (conn->tls == NULL && conn->head_fd < 0)
        conn->head_fd = fcntl (g_socket_get_fd (conn->socket), F_DUPFD_CLOEXEC, 0);
    }
  /* A request libsoup cannot parse it answers at once (400, 501, 505),
   * without a body and without a signal before: the body is set now, in
   * API.md's shape, and taken away once the headers are read.
   */
  {
    g_autofree char *now = mira_timestamp_now ();
    g_autofree char *body = g_strdup_printf ("{\"detail\":\"The request is not valid HTTP/1.1\","
                                             "\"error_code\":\"BAD_REQUEST\","
                                             "\"timestamp\":\"%s\"}", now);

    soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                      body, strlen (body));
  }
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), self);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), self);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), self);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), self);
}

/* Has the peer shut its side of the connection (or is the connection
 * broken)? Bytes it sent and we did not read yet do not hide it.
 */
static gboolean
peer_has_closed (GSocket *socket)
{
  struct pollfd pfd = { .fd = g_socket_get_fd (socket), .events = POLLRDHUP };

  return poll (&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static gboolean
sweep (gpointer user_data)
{
  MiraListener *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 headers_us = (gint64) self->limits.headers_timeout_ms * 1000;
  gint64 body_us = (gint64) self->limits.body_timeout_ms * 1000;
  g_autoptr(GPtrArray) idle = g_ptr_array_new ();
  g_autoptr(GPtrArray) slow = g_ptr_array_new ();
  GHashTableIter iter;
  Conn *conn;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    {
      if (g_socket_is_closed (conn->socket))
        g_hash_table_iter_remove (&iter);
      else if (conn->state == CONN_HEADERS && now - conn->since > headers_us)
        g_ptr_array_add (idle, conn);
      else if (conn->state == CONN_HANDLING)
        {
          /* libsoup reads nothing while a request is handled and its answer
           * written, so a peer that went away leaves the socket in
           * CLOSE-WAIT until the handler answers, or for ever when the
           * answer cannot be written. A peer that only half-closed after
           * its request may still read the answer: it has as long as a
           * request's head, 5 s at least.
           */
          if (conn->peer_closed == 0 && peer_has_closed (conn->socket))
            conn->peer_closed = now;
          if (now - conn->since > HANDLING_TIMEOUT_US
              || (conn->peer_closed != 0
                  && now - conn->peer_closed > MAX (headers_us, PEER_CLOSED_MIN_US)))
            g_ptr_array_add (idle, conn);
        }
      else if (conn->state == CONN_BODY)
        {
          gint64 elapsed = now - conn->since;

          if (now - conn->last_byte > body_us
              || (elapsed > body_us
                  && conn->body_read < (guint64) ((elapsed - body_us) / 1000)
                                         * self->limits.body_min_rate / 1000))
            g_ptr_array_add (slow, conn);
        }
    }
  for (guint i = self->closing->len; i-- > 0;)
    {
      Closing *closing = g_ptr_array_index (self->closing, i);

      if (!g_socket_is_closed (closing->socket) && now - closing->at < CLOSE_AFTER_US)
        continue;
      g_socket_close (closing->socket, NULL);
      g_ptr_array_remove_index_fast (self->closing, i);
    }
  for (guint i = 0; i < idle->len; i++)
    conn_shut (self, g_ptr_array_index (idle, i), 0, NULL, NULL);
  for (guint i = 0; i < slow->len; i++)
    conn_shut (self, g_ptr_array_index (slow, i), 408, "REQUEST_TIMEOUT",
               "The body came too slowly");
  return G_SOURCE_CONTINUE;
}

/* Accepting ------------------------------------------------------------- */

static void start_accepting (MiraListener *self);

static void note_rarely (MiraListener *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* A message at most every 10 s: a flood must not flood the log too. */
static void
note_rarely (MiraListener *self,
             const char   *format,
             ...)
{
  gint64 now = g_get_monotonic_time ();
  va_list args;

  if (now - self->last_warning < 10 * G_USEC_PER_SEC)
    return;
  self->last_warning = now;
  va_start (args, format);
  g_logv (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, format, args);
  va_end (args);
}

static void
cancel_resume (MiraListener *self)
{
  if (self->resume == NULL)
    return;
  g_source_destroy (self->resume);
  g_clear_pointer (&self->resume, g_source_unref);
}

static gboolean
resume_accepting (gpointer user_data)
{
  MiraListener *self = user_data;

  g_clear_pointer (&self->resume, g_source_unref);
  if (!self->stopped)
    start_accepting (self);
  return G_SOURCE_REMOVE;
}

static void
pause_accepting (MiraListener *self)
{
  for (guint i = 0; i < self->sources->len; i++)
    g_source_destroy (g_ptr_array_index (self->sources, i));
  g_ptr_array_set_size (self->sources, 0);
  if (self->resume == NULL && !self->stopped)
    {
      self->resume = g_timeout_source_new (ACCEPT_PAUSE_MS);
      g_source_set_callback (self->resume, resume_accepting, self, NULL);
      g_source_attach (self->resume, self->context);
    }
}

/* The spare descriptor, taken again when shedding could not get it back
 * (another thread took the one it freed): without it, the next time the
 * descriptors run out, waiting connections would be left hanging.
 */
static void
keep_spare (MiraListener *self)
{
  if (self->spare_fd < 0)
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors: the spare one lets us take a waiting connection and
 * tell it so, rather than leave it to time out in the backlog.
 */
static void
shed (MiraListener *self,
      GSocket      *listening)
{
  if (self->spare_fd < 0)
    return;
  close (self->spare_fd);
  self->spare_fd = -1;
  for (guint i = 0; i < 32; i++)
    {
      g_autoptr(GSocket) client = g_socket_accept (listening, NULL, NULL);

      if (client == NULL)
        break;
      if (self->certificate == NULL)
        send_raw_error (client, 503, "SERVICE_UNAVAILABLE",
                        "The server has too many connections: try again shortly");
      g_socket_close (client, NULL);
    }
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* The oldest connection whose peer is still to send its request (headers
 * or body), to make room: a legitimate client is quick about it.
 */
static Conn *
oldest_unread (MiraListener *self)
{
  GHashTableIter iter;
  Conn *conn, *oldest = NULL;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    if (conn->state != CONN_HANDLING
        && (oldest == NULL || conn->since < oldest->since))
      oldest = conn;
  return oldest;
}

static void
accept_one (MiraListener *self,
            GSocket      *client)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (client, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (client, NULL);
  g_autofree char *key = remote ? address_key (remote) : NULL;
  g_autoptr(GIOStream) stream = NULL;
  Conn *conn;

  if (local == NULL || key == NULL)
    {
      g_socket_close (client, NULL);   /* gone already */
      return;
    }
  if (g_hash_table_size (self->conns) >= self->limits.max_connections)
    {
      Conn *unread = oldest_unread (self);

      if (unread == NULL)
        {
          if (self->certificate == NULL)
            send_raw_error (client, 503, "SERVICE_UNAVAILABLE",
                            "The server has too many connections: try again shortly");
          g_socket_close (client, NULL);
          note_rarely (self, "too many HTTP connections (%u): refusing new ones",
                       self->limits.max_connections);
          return;
        }
      conn_shut (self, unread, unread->state == CONN_BODY ? 503 : 0, "SERVICE_UNAVAILABLE",
                 "The server has too many connections: try again shortly");
    }

  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  /* An answer to a peer that vanished mid-way (half-open: it acknowledges
   * nothing) is given up after a minute, not the kernel's quarter of an hour
   */
  g_socket_set_option (client, IPPROTO_TCP, TCP_USER_TIMEOUT, 60 * 1000, NULL);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (client));
  if (self->certificate != NULL)
    {
      g_autoptr(GError) error = NULL;
      GIOStream *tls = g_tls_server_connection_new (stream, self->certificate, &error);

      if (tls == NULL)
        {
          note_rarely (self, "TLS: %s", error->message);
          g_io_stream_close (stream, NULL, NULL);
          return;
        }
      g_object_set (tls, "require-close-notify", FALSE, NULL);
      g_object_unref (stream);
      stream = tls;
    }

  conn = g_new0 (Conn, 1);
  conn->key = key;
  conn->socket = g_object_ref (client);
  conn->tls = self->certificate != NULL ? g_object_ref (stream) : NULL;
  conn->head_fd = -1;
  conn->state = CONN_HEADERS;
  conn->since = g_get_monotonic_time ();
  g_hash_table_replace (self->conns, g_steal_pointer (&key), conn);

  soup_server_accept_iostream (self->soup, stream, local, remote, NULL);
}

static gboolean
on_incoming (GSocket      *listening,
             GIOCondition  condition,
             gpointer      user_data)
{
  MiraListener *self = user_data;

  keep_spare (self);
  /* A bounded batch, so that a storm of connections does not hold the loop */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (listening, NULL, &error);

      if (client != NULL)
        {
          accept_one (self, client);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (g_socket_is_closed (listening) || self->stopped)
        return G_SOURCE_REMOVE;
      /* EMFILE, ENFILE, ENOBUFS, ENOMEM…: never a reason to stop for good. */
      note_rarely (self, "accepting a connection failed (%s): trying again shortly",
                   error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
        shed (self, listening);
      pause_accepting (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (MiraListener *self)
{
  for (guint i = 0; i < self->sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (self->sockets, i);
      GSource *source;

      if (g_socket_is_closed (socket))
        continue;
      source = g_socket_create_source (socket, G_IO_IN, NULL);
      g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_incoming, self, NULL);
      g_source_attach (source, self->context);
      g_ptr_array_add (self->sources, source);
    }
}

/* Public ---------------------------------------------------------------- */

/**
 * mira_listener_raise_fd_limit:
 *
 * Raises the process's soft limit on open descriptors (RLIMIT_NOFILE) to its
 * hard limit: every connection, socket and database handle is one.
 */
void
mira_listener_raise_fd_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
    g_debug ("could not raise the descriptor limit: %s", g_strerror (errno));
}

static guint
default_max_connections (void)
{
  struct rlimit rl;

  /* Half of what is left after a reserve, for upgraded sockets and the
   * database.
   */
  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return 4096;
  return (guint) MAX (16, ((gint64) MIN (rl.rlim_cur, 1 << 20) - 128) / 2);
}

/**
 * mira_listener_new:
 * @soup: the server whose connections to accept
 * @limits: (nullable): its bounds; a zero field (or %NULL) takes the default
 * @body_limit: the largest body of a request, in bytes, once its headers are in
 * @user_data: for @body_limit
 *
 * Returns: (transfer full): a listener on the thread-default main context
 */
MiraListener *
mira_listener_new (SoupServer               *soup,
                   const MiraListenerLimits *limits,
                   MiraBodyLimitFunc         body_limit,
                   gpointer                  user_data)
{
  MiraListener *self = g_new0 (MiraListener, 1);

  self->soup = g_object_ref (soup);
  if (limits != NULL)
    self->limits = *limits;
  if (self->limits.headers_timeout_ms == 0)
    self->limits.headers_timeout_ms = DEFAULT_HEADERS_TIMEOUT_MS;
  if (self->limits.body_timeout_ms == 0)
    self->limits.body_timeout_ms = DEFAULT_BODY_TIMEOUT_MS;
  if (self->limits.body_min_rate == 0)
    self->limits.body_min_rate = DEFAULT_BODY_MIN_RATE;
  if (self->limits.max_connections == 0)
    self->limits.max_connections = default_max_connections ();
  self->body_limit = body_limit;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();
  self->dormant = g_main_context_new ();
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->conns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, conn_free);
  self->closing = g_ptr_array_new_with_free_func (closing_free);
  self->refusals = g_ptr_array_new_with_free_func (refusal_free);
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  self->started_handler = g_signal_connect (soup, "request-started",
                                            G_CALLBACK (on_request_started), self);
  self->read_handler = g_signal_connect (soup, "request-read", G_CALLBACK (on_request_read),
                                         self);
  {
    guint tick = MIN (self->limits.headers_timeout_ms, self->limits.body_timeout_ms) / 4;

    self->sweep = g_timeout_source_new (CLAMP (tick, 10, 1000));
    g_source_set_callback (self->sweep, sweep, self, NULL);
    g_source_attach (self->sweep, self->context);
  }
  return self;
}

/**
 * mira_listener_listen:
 * @self: a listener
 * @address: where to listen
 * @certificate: (nullable): serve HTTPS with it
 * @error: a #GIOError
 *
 * Binds a socket to @address with a backlog of 1024 and accepts on it.
 *
 * Returns: whether it listens
 */
gboolean
mira_listener_listen (MiraListener     *self,
                      GSocketAddress   *address,
                      GTlsCertificate  *certificate,
                      GError          **error)
{
  g_autoptr(GSocket) socket = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* accept() must never wait: the loop polls */
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;

  /* libsoup must know the socket (URIs, keep-alive), not accept on it */
  g_main_context_push_thread_default (self->dormant);
  ok = soup_server_listen_socket (self->soup, socket,
                                  certificate ? SOUP_SERVER_LISTEN_HTTPS : 0, error);
  g_main_context_pop_thread_default (self->dormant);
  if (!ok)
    return FALSE;

  g_set_object (&self->certificate, certificate);
  g_ptr_array_add (self->sockets, g_steal_pointer (&socket));
  self->stopped = FALSE;
  pause_accepting (self);
  cancel_resume (self);
  start_accepting (self);
  return TRUE;
}

/* Stops accepting; connections already in go on. */
void
mira_listener_stop (MiraListener *self)
{
  g_return_if_fail (self != NULL);

  self->stopped = TRUE;
  pause_accepting (self);
}

/**
 * mira_listener_release:
 * @self: a listener
 * @msg: the request that upgrades its connection (a WebSocket)
 *
 * The connection is no longer HTTP: its owner bounds it from now on.
 */
void
mira_listener_release (MiraListener      *self,
                       SoupServerMessage *msg)
{
  g_autofree char *key = NULL;

  g_return_if_fail (self != NULL);

  key = address_key (soup_server_message_get_remote_address (msg));
  if (key != NULL)
    g_hash_table_remove (self->conns, key);
}

/* HTTP connections open now, upgraded ones not counted */
guint
mira_listener_get_n_connections (MiraListener *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->conns);
}

void
mira_listener_free (MiraListener *self)
{
  if (self == NULL)
    return;
  self->stopped = TRUE;
  pause_accepting (self);
  cancel_resume (self);
  g_clear_signal_handler (&self->started_handler, self->soup);
  g_clear_signal_handler (&self->read_handler, self->soup);
  g_source_destroy (self->sweep);
  g_source_unref (self->sweep);
  g_ptr_array_unref (self->sources);
  g_ptr_array_unref (self->sockets);
  g_hash_table_unref (self->conns);
  g_ptr_array_unref (self->closing);
  g_ptr_array_unref (self->refusals);
  g_clear_object (&self->certificate);
  g_clear_object (&self->soup);
  g_main_context_unref (self->dormant);
  g_main_context_unref (self->context);
  if (self->spare_fd >= 0)
    close (self->spare_fd);
  g_free (self);
}
