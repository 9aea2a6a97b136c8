/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-websocket"

#include "mira-websocket.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "mira-util.h"

/* What one read asks for. */
#define READ_CHUNK (16 * 1024)
/* A reader may take this much before the others get their turn. */
#define READ_BUDGET (256 * 1024)
/* A peer that leaves this much of our output unread is dropped. */
#define MAX_UNSENT (4 * 1024 * 1024)
/* After our close frame, the peer has this long to answer it. */
#define CLOSE_TIMEOUT_MS 2000

enum {
  OP_CONTINUATION = 0x0,
  OP_TEXT = 0x1,
  OP_BINARY = 0x2,
  OP_CLOSE = 0x8,
  OP_PING = 0x9,
  OP_PONG = 0xa,
  /* Not on the wire: the fragments of a refused message, to be skipped */
  OP_REFUSED = 0x10,
};

typedef enum {
  STATE_OPEN,
  STATE_CLOSING,   /* our close frame is out: waiting for the peer's */
  STATE_CLOSED,
} State;

struct _MiraWebsocket
{
  GIOStream                    *stream;
  GPollableInputStream         *in;
  GPollableOutputStream        *out;
  int                           fd;
  gboolean                      tls;
  gboolean                      raw;         /* plain TCP with nothing buffered above it */
  MiraPoller                   *poller;
  MiraPollerWatch              *watch;
  guint                         start_source;
  guint                         close_timer;
  const MiraWebsocketCallbacks *callbacks;
  gpointer                      user_data;
  gsize                         max_message;
  State                         state;

  GByteArray                   *rbuf;
  gsize                         rpos;
  guint64                       skip;        /* payload bytes of a refused message still to come */
  GByteArray                   *message;     /* a fragmented message so far */
  guint                         message_op;  /* its opcode; 0: none under way */

  GByteArray                   *wbuf;
  gsize                         wpos;
  gboolean                      write_failed;
};

static GIOStream *
base_stream (GIOStream *stream)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (stream);
  GIOStream *base = NULL;

  /* libsoup's SoupIOStream calls its base "base-iostream". */
  if (g_object_class_find_property (klass, "base-iostream") == NULL)
    return NULL;
  g_object_get (stream, "base-iostream", &base, NULL);
  if (base != NULL)
    g_object_unref (base);   /* still owned by @stream */
  return base;
}

int
mira_websocket_stream_fd (GIOStream *stream)
{
  GSocket *socket = g_object_get_data (G_OBJECT (stream), "GSocket");

  while (socket == NULL && stream != NULL)
    {
      if (G_IS_SOCKET_CONNECTION (stream))
        socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
      else if (G_IS_TLS_CONNECTION (stream))
        {
          GIOStream *base = NULL;

          g_object_get (stream, "base-io-stream", &base, NULL);
          if (base != NULL)
            g_object_unref (base);
          stream = base;
        }
      else
        stream = base_stream (stream);
    }
  return socket ? g_socket_get_fd (socket) : -1;
}

static gboolean
is_tls (GIOStream *stream)
{
  for (; stream != NULL; stream = base_stream (stream))
    if (G_IS_TLS_CONNECTION (stream))
      return TRUE;
  return FALSE;
}

/* Ends the connection and tells the owner, who may free @self: nothing of
 * @self may be touched after this.
 */
static void
end (MiraWebsocket *self,
     gushort        code)
{
  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  g_clear_handle_id (&self->close_timer, mira_source_remove);
  g_clear_handle_id (&self->start_source, mira_source_remove);
  mira_poller_unwatch (self->poller, self->watch);
  self->watch = NULL;
  g_io_stream_close (self->stream, NULL, NULL);
  self->callbacks->closed (self->user_data, code);
}

static void
update_watch (MiraWebsocket *self)
{
  guint32 events = EPOLLIN;

  if (self->wpos < self->wbuf->len)
    events |= EPOLLOUT;
  mira_poller_set_events (self->poller, self->watch, events);
}

static void
flush (MiraWebsocket *self)
{
  while (self->wpos < self->wbuf->len && !self->write_failed)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (!self->tls)
        {
          /* Nothing buffers output above a plain socket. */
          n = send (self->fd, self->wbuf->data + self->wpos, self->wbuf->len - self->wpos,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
          if (n < 0)
            g_set_error_literal (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                                 g_strerror (errno));
        }
      else
        {
          n = g_pollable_output_stream_write_nonblocking (self->out, self->wbuf->data + self->wpos,
                                                          self->wbuf->len - self->wpos, NULL,
                                                          &error);
          if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
        }
      if (n < 0)
        {
          /* The reader sees the end of the connection and ends it. */
          g_debug ("write: %s", error->message);
          self->write_failed = TRUE;
          break;
        }
      self->wpos += (gsize) n;
    }
  if (self->wpos == self->wbuf->len || self->write_failed)
    {
      g_byte_array_set_size (self->wbuf, 0);
      self->wpos = 0;
    }
  else if (self->wbuf->len - self->wpos > MAX_UNSENT)
    {
      g_message ("a peer that reads nothing is dropped");
      self->write_failed = TRUE;
      shutdown (self->fd, SHUT_RDWR);
    }
  if (self->watch != NULL)
    update_watch (self);
}

static void
queue_frame (MiraWebsocket *self,
             guint          opcode,
             const guint8  *payload,
             gsize          len)
{
  guint8 header[10];
  gsize n = 2;

  header[0] = 0x80 | opcode;
  if (len < 126)
    header[1] = (guint8) len;
  else if (len <= G_MAXUINT16)
    {
      header[1] = 126;
      header[2] = (guint8) (len >> 8);
      header[3] = (guint8) len;
      n = 4;
    }
  else
    {
      header[1] = 127;
      for (int i = 0; i < 8; i++)
        header[2 + i] = (guint8) ((guint64) len >> (56 - 8 * i));
      n = 10;
    }
  g_byte_array_append (self->wbuf, header, (guint) n);
  if (len > 0)
    g_byte_array_append (self->wbuf, payload, (guint) len);
  flush (self);
}

static void
queue_close (MiraWebsocket *self,
             gushort        code,
             const char    *reason)
{
  guint8 payload[125];
  gsize len = 0;

  if (code != 0 && code != 1005)
    {
      gsize reason_len = reason ? strlen (reason) : 0;
      const char *end = NULL;

      payload[0] = (guint8) (code >> 8);
      payload[1] = (guint8) code;
      len = 2;
      /* At most 123 bytes of reason, cut at a character */
      if (reason_len > sizeof payload - 2)
        {
          g_utf8_validate (reason, sizeof payload - 2, &end);
          reason_len = (gsize) (end - reason);
        }
      if (reason_len > 0)
        memcpy (payload + 2, reason, reason_len);
      len += reason_len;
    }
  queue_frame (self, OP_CLOSE, payload, len);
}

static gboolean
close_timeout (gpointer user_data)
{
  MiraWebsocket *self = user_data;

  self->close_timer = 0;
  end (self, 1006);
  return G_SOURCE_REMOVE;
}

void
mira_websocket_close (MiraWebsocket *self,
                      gushort        code,
                      const char    *reason)
{
  if (self->state != STATE_OPEN)
    return;
  queue_close (self, code, reason);
  self->state = STATE_CLOSING;
  self->close_timer = mira_timeout_add (CLOSE_TIMEOUT_MS, close_timeout, self);
}

/* Codes a peer may put in a close frame: 1004-1006 and 1015 are only for
 * reporting, 1016-2999 are not assigned, 5000 and up do not exist.
 */
static gboolean
is_valid_close_code (guint code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
         || (code >= 3000 && code <= 4999);
}

/* A broken frame stream cannot be read on: say why and hang up. FALSE. */
static gboolean
protocol_error (MiraWebsocket *self,
                gushort        code,
                const char    *reason)
{
  g_debug ("protocol error: %s", reason);
  if (self->state == STATE_OPEN)
    queue_close (self, code, reason);
  end (self, code);
  return FALSE;
}

/* Delivers a message; FALSE when the frame stream cannot go on. */
static gboolean
deliver (MiraWebsocket *self,
         guint          opcode,
         const guint8  *data,
         gsize          len)
{
  if (self->state != STATE_OPEN)
    return TRUE;
  if (opcode == OP_TEXT && !g_utf8_validate ((const char *) data, (gssize) len, NULL))
    return protocol_error (self, 1007, "A text message that is not UTF-8");
  self->callbacks->message (self->user_data, opcode == OP_TEXT, data, len);
  return TRUE;
}

/* Handles the complete frames in the read buffer; FALSE once the connection
 * ended (and @self may be gone).
 */
static gboolean
process (MiraWebsocket *self)
{
  while (self->state != STATE_CLOSED)
    {
      guint8 *p = self->rbuf->data + self->rpos;
      gsize avail = self->rbuf->len - self->rpos;
      gsize header = 2;
      guint64 len;
      gboolean fin, control;
      guint opcode;
      guint8 *mask;
      guint8 *payload;

      if (self->skip > 0)
        {
          gsize n = (gsize) MIN (self->skip, (guint64) avail);

          self->rpos += n;
          self->skip -= n;
          if (self->skip > 0)
            break;
          continue;
        }
      if (avail < 2)
        break;
      len = p[1] & 0x7f;
      if (len == 126)
        header += 2;
      else if (len == 127)
        header += 8;
      header += 4;
      if (avail < header)
        break;
      if (len == 126)
        len = (guint64) p[2] << 8 | p[3];
      else if (len == 127)
        {
          len = 0;
          for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        }
      fin = (p[0] & 0x80) != 0;
      opcode = p[0] & 0x0f;
      control = (opcode & 0x8) != 0;

      if ((p[0] & 0x70) != 0)
        return protocol_error (self, 1002, "Reserved bits set: no extension was agreed");
      if ((p[1] & 0x80) == 0)
        return protocol_error (self, 1002, "A client frame that is not masked");
      if (len >> 63)
        return protocol_error (self, 1002, "A frame length out of range");
      if (control && (!fin || len > 125))
        return protocol_error (self, 1002, "A control frame that is fragmented or too long");
      if (control ? opcode > OP_PONG
                  : opcode > OP_BINARY ||
                    (opcode == OP_CONTINUATION) != (self->message_op != 0))
        return protocol_error (self, 1002, "An unexpected opcode");

      /* Closing: a data frame is not delivered, so it is skipped unread
       * (a peer that keeps sending costs no unmasking)
       */
      if (!control && self->state != STATE_OPEN)
        {
          self->rpos += header;
          self->skip = len;
          g_byte_array_set_size (self->message, 0);
          self->message_op = fin ? 0 : OP_REFUSED;
          continue;
        }
      if (!control && self->message_op == OP_REFUSED)
        {
          /* The rest of a refused message */
          self->rpos += header;
          self->skip = len;
          if (fin)
            self->message_op = 0;
          continue;
        }
      if (!control && (opcode == OP_CONTINUATION ? self->message->len : 0) + len > self->max_message)
        {
          guint64 size = (opcode == OP_CONTINUATION ? self->message->len : 0) + len;

          self->rpos += header;
          self->skip = len;
          g_byte_array_set_size (self->message, 0);
          self->message_op = fin ? 0 : OP_REFUSED;
          if (self->state == STATE_OPEN)
            {
              self->callbacks->too_big (self->user_data, size);
              mira_websocket_close (self, 1009, "Message too big");
            }
          continue;
        }
      if (avail < header + len)
        break;

      mask = p + header - 4;
      payload = p + header;
      for (guint64 i = 0; i < len; i++)
        payload[i] ^= mask[i & 3];
      self->rpos += header + (gsize) len;

      switch (opcode)
        {
        case OP_PING:
          if (self->state == STATE_OPEN)
            queue_frame (self, OP_PONG, payload, (gsize) len);
          break;
        case OP_PONG:
          break;
        case OP_CLOSE:
          {
            gushort code = len >= 2 ? (gushort) (payload[0] << 8 | payload[1]) : 1005;

            /* RFC 6455 5.5.1, 7.4: no payload, or a code a peer may send
             * (and a UTF-8 reason after it)
             */
            if (len == 1)
              return protocol_error (self, 1002, "A close frame of one byte");
            if (len >= 2 && !is_valid_close_code (code))
              return protocol_error (self, 1002, "A close code a peer may not send");
            if (len > 2 && !g_utf8_validate_len ((const char *) payload + 2, (gsize) len - 2,
                                                 NULL))
              return protocol_error (self, 1007, "A close reason that is not UTF-8");
            if (self->state == STATE_OPEN)
              queue_close (self, code, NULL);
            end (self, code);
            return FALSE;
          }
        default:
          if (!fin)
            {
              if (opcode != OP_CONTINUATION)
                self->message_op = opcode;
              g_byte_array_append (self->message, payload, (guint) len);
            }
          else if (opcode == OP_CONTINUATION)
            {
              g_autoptr(GByteArray) whole = g_steal_pointer (&self->message);
              guint op = self->message_op;

              self->message = g_byte_array_new ();
              self->message_op = 0;
              g_byte_array_append (whole, payload, (guint) len);
              if (!deliver (self, op, whole->data, whole->len))
                return FALSE;
            }
          else if (!deliver (self, opcode, payload, (gsize) len))
            return FALSE;
          break;
        }
    }

  if (self->rpos == self->rbuf->len)
    {
      g_byte_array_set_size (self->rbuf, 0);
      self->rpos = 0;
    }
  else if (self->rpos > READ_BUDGET)
    {
      g_byte_array_remove_range (self->rbuf, 0, (guint) self->rpos);
      self->rpos = 0;
    }
  return self->state != STATE_CLOSED;
}

static void
on_ready (gpointer user_data,
          guint32  events)
{
  MiraWebsocket *self = user_data;
  gsize total = 0;

  if (events & EPOLLOUT)
    flush (self);

  while (total < READ_BUDGET)
    {
      g_autoptr(GError) error = NULL;
      guint old = self->rbuf->len;
      gssize n;

      g_byte_array_set_size (self->rbuf, old + READ_CHUNK);
      if (self->raw)
        {
          n = recv (self->fd, self->rbuf->data + old, READ_CHUNK, MSG_DONTWAIT);
          if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            g_set_error_literal (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                                 g_strerror (errno));
        }
      else
        n = g_pollable_input_stream_read_nonblocking (self->in, self->rbuf->data + old,
                                                      READ_CHUNK, NULL, &error);
      g_byte_array_set_size (self->rbuf, old + (guint) MAX (n, 0));
      /* A plain stream that came up short has handed over what it buffered
       * (libsoup reads ahead): from now on the socket is read directly.
       */
      if (!self->tls && (n >= 0 ? n < READ_CHUNK
                                : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        self->raw = TRUE;
      if (n < 0 && (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        break;
      if (n <= 0)
        {
          if (n < 0)
            g_debug ("read: %s", error->message);
          end (self, 1006);
          return;
        }
      total += (gsize) n;
      if (!process (self))
        return;
      /* A short read emptied the socket; a TLS connection may still hold
       * records it decrypted, which no poll shows: those are read to the end.
       */
      if (!self->tls && n < READ_CHUNK)
        break;
    }
}

static gboolean
start_reading (gpointer user_data)
{
  MiraWebsocket *self = user_data;

  self->start_source = 0;
  /* What came with the upgrade request sits in the stream's buffer, where
   * no poll sees it.
   */
  on_ready (self, EPOLLIN);
  return G_SOURCE_REMOVE;
}

MiraWebsocket *
mira_websocket_new (GIOStream                    *stream,
                    MiraPoller                   *poller,
                    gsize                         max_message,
                    const MiraWebsocketCallbacks *callbacks,
                    gpointer                      user_data)
{
  MiraWebsocket *self = g_new0 (MiraWebsocket, 1);

  self->stream = g_object_ref (stream);
  self->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  self->fd = mira_websocket_stream_fd (stream);
  self->tls = is_tls (stream);
  self->poller = poller;
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->max_message = max_message;
  self->rbuf = g_byte_array_new ();
  self->message = g_byte_array_new ();
  self->wbuf = g_byte_array_new ();
  g_return_val_if_fail (self->fd >= 0, self);
  self->watch = mira_poller_watch (poller, self->fd, EPOLLIN, on_ready, self);
  self->start_source = mira_timeout_add (0, start_reading, self);
  return self;
}

void
mira_websocket_free (MiraWebsocket *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->close_timer, mira_source_remove);
  g_clear_handle_id (&self->start_source, mira_source_remove);
  if (self->watch != NULL)
    {
      mira_poller_unwatch (self->poller, self->watch);
      self->watch = NULL;
    }
  if (self->state != STATE_CLOSED)
    g_io_stream_close (self->stream, NULL, NULL);
  g_object_unref (self->stream);
  g_byte_array_unref (self->rbuf);
  g_byte_array_unref (self->message);
  g_byte_array_unref (self->wbuf);
  g_free (self);
}

gboolean
mira_websocket_is_open (MiraWebsocket *self)
{
  return self->state == STATE_OPEN;
}

void
mira_websocket_send_text (MiraWebsocket *self,
                          const char    *text,
                          gsize          len)
{
  if (self->state != STATE_OPEN)
    return;
  queue_frame (self, OP_TEXT, (const guint8 *) text, len);
}
