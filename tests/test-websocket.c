/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-websocket"

/* The server end of the audio sockets' WebSocket, against a client written
 * here byte by byte over a socket pair: what a device's WebSocket library
 * may send, and what it must get back.
 */

#include <errno.h>
#include <gio/gio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mira-poller.h"
#include "mira-websocket.h"

typedef struct
{
  int            client;        /* the device's end */
  MiraPoller    *poller;
  MiraWebsocket *ws;
  GPtrArray     *messages;      /* GBytes, a text one with a leading 'T', binary 'B' */
  guint64        too_big;
  gint           closed_code;   /* -1 while open */
  GByteArray    *in;            /* what the client read */
} Fixture;

static void
on_message (gpointer      user_data,
            gboolean      text,
            const guint8 *data,
            gsize         len)
{
  Fixture *f = user_data;
  GByteArray *copy = g_byte_array_new ();

  g_byte_array_append (copy, (const guint8 *) (text ? "T" : "B"), 1);
  g_byte_array_append (copy, data, (guint) len);
  g_ptr_array_add (f->messages, g_byte_array_free_to_bytes (copy));
}

static void
on_too_big (gpointer user_data,
            guint64  size)
{
  Fixture *f = user_data;

  f->too_big = size;
}

static void
on_closed (gpointer user_data,
           gushort  code)
{
  Fixture *f = user_data;

  f->closed_code = code;
}

static const MiraWebsocketCallbacks callbacks = { on_message, on_too_big, on_closed };

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  int fds[2];
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  gsize max = data ? GPOINTER_TO_SIZE (data) : 64 * 1024;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  f->client = fds[0];
  socket = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  conn = g_socket_connection_factory_create_connection (socket);
  f->poller = mira_poller_new (NULL, &error);
  g_assert_no_error (error);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->in = g_byte_array_new ();
  f->closed_code = -1;
  f->ws = mira_websocket_new (G_IO_STREAM (conn), f->poller, max, &callbacks, f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  mira_websocket_free (f->ws);
  /* Timers and idles of the socket end with it */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  mira_poller_free (f->poller);
  g_ptr_array_unref (f->messages);
  g_byte_array_unref (f->in);
  close (f->client);
}

/* A client frame: masked, as RFC 6455 requires, unless @masked is FALSE. */
static void
send_frame (Fixture      *f,
            guint8        first,
            const void   *payload,
            gsize         len,
            gboolean      masked)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  guint8 header[14];
  gsize n = 2;

  header[0] = first;
  if (len < 126)
    header[1] = (guint8) len;
  else if (len <= 0xffff)
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
  if (masked)
    {
      header[1] |= 0x80;
      memcpy (header + n, mask, 4);
      n += 4;
    }
  g_byte_array_append (frame, header, (guint) n);
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = ((const guint8 *) payload)[i] ^ (masked ? mask[i & 3] : 0);

      g_byte_array_append (frame, &b, 1);
    }
  g_assert_cmpint (write (f->client, frame->data, frame->len), ==, (gssize) frame->len);
}

static void
send_text (Fixture    *f,
           const char *text)
{
  send_frame (f, 0x81, text, strlen (text), TRUE);
}

/* Runs the loop until @done or a second passes, reading what the server sent. */
static void
run_until (Fixture  *f,
           gboolean (*done) (Fixture *f))
{
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (!done (f) && g_get_monotonic_time () < end)
    {
      struct pollfd pfd = { f->client, POLLIN, 0 };
      guint8 buf[4096];

      g_main_context_iteration (NULL, FALSE);
      if (poll (&pfd, 1, 1) == 1)
        {
          ssize_t n = read (f->client, buf, sizeof buf);

          if (n > 0)
            g_byte_array_append (f->in, buf, (guint) n);
        }
    }
  g_assert_true (done (f));
}

static gboolean
has_message (Fixture *f)
{
  return f->messages->len > 0;
}

static gboolean
is_closed (Fixture *f)
{
  return f->closed_code >= 0;
}

/* The next server frame, unmasked: its first byte, payload in @payload. */
static gboolean
server_frame_in (Fixture *f)
{
  gsize len;

  if (f->in->len < 2)
    return FALSE;
  g_assert_cmpint (f->in->data[1] & 0x80, ==, 0);   /* servers never mask */
  len = f->in->data[1] & 0x7f;
  g_assert_cmpuint (len, <, 126);
  return f->in->len >= 2 + len;
}

static guint8
take_frame (Fixture     *f,
            GByteArray **payload)
{
  guint8 first = f->in->data[0];
  gsize len = f->in->data[1] & 0x7f;

  *payload = g_byte_array_new ();
  g_byte_array_append (*payload, f->in->data + 2, (guint) len);
  g_byte_array_remove_range (f->in, 0, (guint) (2 + len));
  return first;
}

static void
assert_close_frame (Fixture *f,
                    gushort  code)
{
  g_autoptr(GByteArray) payload = NULL;

  run_until (f, server_frame_in);
  g_assert_cmphex (take_frame (f, &payload), ==, 0x88);
  g_assert_cmpuint (payload->len, >=, 2);
  g_assert_cmpuint (payload->data[0] << 8 | payload->data[1], ==, code);
}

static void
assert_message (Fixture    *f,
                guint       i,
                char        kind,
                const void *data,
                gsize       len)
{
  GBytes *bytes;
  gsize size;
  const guint8 *got;

  g_assert_cmpuint (f->messages->len, >, i);
  bytes = g_ptr_array_index (f->messages, i);
  got = g_bytes_get_data (bytes, &size);
  g_assert_cmpint (got[0], ==, kind);
  g_assert_cmpmem (got + 1, size - 1, data, len);
}

static void
test_text (Fixture       *f,
           gconstpointer  data)
{
  send_text (f, "{\"type\":\"ping\"}");
  run_until (f, has_message);
  assert_message (f, 0, 'T', "{\"type\":\"ping\"}", 15);
  g_assert_true (mira_websocket_is_open (f->ws));
}

static gboolean
has_three (Fixture *f)
{
  return f->messages->len >= 3;
}

/* 1 byte at a time, and 16- and 64-bit lengths */
static void
test_sizes_and_trickle (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree guint8 *big = g_malloc (70000);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  const guint8 mask[4] = { 1, 2, 3, 4 };
  const char *text = "trickled";

  for (guint i = 0; i < 70000; i++)
    big[i] = (guint8) (i * 7);
  send_frame (f, 0x82, big, 300, TRUE);
  send_frame (f, 0x82, big, 70000, TRUE);

  g_byte_array_append (frame, (const guint8 *) "\x81\x88", 2);
  g_byte_array_append (frame, mask, 4);
  for (guint i = 0; i < strlen (text); i++)
    {
      guint8 b = (guint8) text[i] ^ mask[i & 3];

      g_byte_array_append (frame, &b, 1);
    }
  for (guint i = 0; i < frame->len; i++)
    {
      g_assert_cmpint (write (f->client, frame->data + i, 1), ==, 1);
      g_main_context_iteration (NULL, FALSE);
    }
  run_until (f, has_three);
  assert_message (f, 0, 'B', big, 300);
  assert_message (f, 1, 'B', big, 70000);
  assert_message (f, 2, 'T', text, strlen (text));
}

/* A fragmented message with a ping in the middle: one message, and a pong. */
static void
test_fragments_and_ping (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GByteArray) payload = NULL;

  send_frame (f, 0x02, "abc", 3, TRUE);
  send_frame (f, 0x89, "are you there", 13, TRUE);
  send_frame (f, 0x00, "def", 3, TRUE);
  send_frame (f, 0x80, "ghi", 3, TRUE);
  run_until (f, has_message);
  assert_message (f, 0, 'B', "abcdefghi", 9);
  g_assert_cmpuint (f->messages->len, ==, 1);

  run_until (f, server_frame_in);
  g_assert_cmphex (take_frame (f, &payload), ==, 0x8a);
  g_assert_cmpmem (payload->data, payload->len, "are you there", 13);
}

static void
test_send (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GByteArray) payload = NULL;

  mira_websocket_send_text (f->ws, "{\"type\":\"ready\"}", 16);
  run_until (f, server_frame_in);
  g_assert_cmphex (take_frame (f, &payload), ==, 0x81);
  g_assert_cmpmem (payload->data, payload->len, "{\"type\":\"ready\"}", 16);
}

static void
test_unmasked (Fixture       *f,
               gconstpointer  data)
{
  send_frame (f, 0x81, "hello", 5, FALSE);
  assert_close_frame (f, 1002);
  run_until (f, is_closed);
  g_assert_cmpint (f->closed_code, ==, 1002);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_reserved_bits (Fixture       *f,
                    gconstpointer  data)
{
  /* RSV1: compression, which was never agreed */
  send_frame (f, 0xc1, "hello", 5, TRUE);
  assert_close_frame (f, 1002);
  run_until (f, is_closed);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

static void
test_bad_continuation (Fixture       *f,
                       gconstpointer  data)
{
  send_frame (f, 0x80, "orphan", 6, TRUE);
  assert_close_frame (f, 1002);
  run_until (f, is_closed);
}

static void
test_not_utf8 (Fixture       *f,
               gconstpointer  data)
{
  send_frame (f, 0x81, "\xff\xfe", 2, TRUE);
  assert_close_frame (f, 1007);
  run_until (f, is_closed);
  g_assert_cmpint (f->closed_code, ==, 1007);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* Over the limit: told, closed with 1009; what follows is not read. */
static void
test_too_big (Fixture       *f,
              gconstpointer  data)
{
  g_autofree guint8 *big = g_malloc0 (3000);

  send_frame (f, 0x82, big, 3000, TRUE);
  send_text (f, "after");
  assert_close_frame (f, 1009);
  g_assert_cmpuint (f->too_big, ==, 3000);
  g_assert_false (mira_websocket_is_open (f->ws));
  /* The client answers the close: the connection ends. */
  send_frame (f, 0x88, "\x03\xf1", 2, TRUE);
  run_until (f, is_closed);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* Fragments that add up to more than the limit */
static void
test_too_big_fragments (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree guint8 *part = g_malloc0 (600);

  send_frame (f, 0x02, part, 600, TRUE);
  send_frame (f, 0x00, part, 600, TRUE);
  send_frame (f, 0x80, part, 600, TRUE);
  send_frame (f, 0x88, "\x03\xf1", 2, TRUE);
  /* Told at the fragment that went over; the rest is skipped, not an error */
  assert_close_frame (f, 1009);
  g_assert_cmpuint (f->too_big, ==, 1200);
  run_until (f, is_closed);
  g_assert_cmpint (f->closed_code, ==, 1009);
}

static void
test_client_closes (Fixture       *f,
                    gconstpointer  data)
{
  send_frame (f, 0x88, "\x03\xe8" "done", 6, TRUE);
  assert_close_frame (f, 1000);
  run_until (f, is_closed);
  g_assert_cmpint (f->closed_code, ==, 1000);
}

/* Close frames a peer may not send: 1002 (1007 for a reason not UTF-8) */
static void
test_bad_close (Fixture       *f,
                gconstpointer  data)
{
  static const struct { const char *payload; gsize len; gushort expected; } cases[] = {
    { "\x03", 1, 1002 },                      /* one byte */
    { "\x03\xe7", 2, 1002 },                  /* 999 */
    { "\x03\xed", 2, 1002 },                  /* 1005: for reporting only */
    { "\x03\xee", 2, 1002 },                  /* 1006 */
    { "\x03\xf7", 2, 1002 },                  /* 1015 */
    { "\x07\xd0", 2, 1002 },                  /* 2000: not assigned */
    { "\x13\x88", 2, 1002 },                  /* 5000 */
    { "\x03\xe8\xff\xfe", 4, 1007 },          /* 1000 with a reason not UTF-8 */
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      if (c > 0)
        {
          fixture_tear_down (f, data);
          fixture_set_up (f, data);
        }
      send_frame (f, 0x88, cases[c].payload, cases[c].len, TRUE);
      assert_close_frame (f, cases[c].expected);
      run_until (f, is_closed);
      g_assert_cmpint (f->closed_code, ==, cases[c].expected);
    }
}

/* Codes a peer may send are taken as they are */
static void
test_good_close (Fixture       *f,
                 gconstpointer  data)
{
  static const struct { const char *payload; gsize len; gushort code; } cases[] = {
    { "", 0, 1005 },
    { "\x03\xe9", 2, 1001 },
    { "\x03\xf3", 2, 1011 },
    { "\x0f\xa0" "app", 5, 4000 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      if (c > 0)
        {
          fixture_tear_down (f, data);
          fixture_set_up (f, data);
        }
      send_frame (f, 0x88, cases[c].payload, cases[c].len, TRUE);
      run_until (f, is_closed);
      g_assert_cmpint (f->closed_code, ==, cases[c].code);
    }
}

static gboolean
client_sees_eof (Fixture *f)
{
  guint8 b;

  return read (f->client, &b, 1) == 0;
}

static void
test_server_closes (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GByteArray) payload = NULL;

  mira_websocket_close (f->ws, 1001, "server shutting down");
  run_until (f, server_frame_in);
  g_assert_cmphex (take_frame (f, &payload), ==, 0x88);
  g_assert_cmpuint (payload->data[0] << 8 | payload->data[1], ==, 1001);
  g_assert_cmpmem (payload->data + 2, payload->len - 2, "server shutting down", 20);
  /* Messages after our close are not delivered */
  send_text (f, "late");
  send_frame (f, 0x88, "\x03\xe9", 2, TRUE);
  run_until (f, is_closed);
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_assert_true (client_sees_eof (f));
}

/* A client that never answers our close is dropped after a while. */
static void
test_close_timeout (Fixture       *f,
                    gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  mira_websocket_close (f->ws, 1008, "bye");
  while (!is_closed (f) && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (f->closed_code, ==, 1006);
}

static void
test_hang_up (Fixture       *f,
              gconstpointer  data)
{
  send_text (f, "last words");
  shutdown (f->client, SHUT_WR);
  run_until (f, is_closed);
  g_assert_cmpint (f->closed_code, ==, 1006);
  assert_message (f, 0, 'T', "last words", 10);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, max) \
  g_test_add ("/websocket/" path, Fixture, GSIZE_TO_POINTER (max), fixture_set_up, func, \
              fixture_tear_down)

  ADD ("text", test_text, 0);
  ADD ("sizes-and-trickle", test_sizes_and_trickle, 256 * 1024);
  ADD ("fragments-and-ping", test_fragments_and_ping, 0);
  ADD ("send", test_send, 0);
  ADD ("unmasked", test_unmasked, 0);
  ADD ("reserved-bits", test_reserved_bits, 0);
  ADD ("bad-continuation", test_bad_continuation, 0);
  ADD ("not-utf8", test_not_utf8, 0);
  ADD ("too-big", test_too_big, 1000);
  ADD ("too-big-fragments", test_too_big_fragments, 1000);
  ADD ("client-closes", test_client_closes, 0);
  ADD ("bad-close", test_bad_close, 0);
  ADD ("good-close", test_good_close, 0);
  ADD ("server-closes", test_server_closes, 0);
  ADD ("close-timeout", test_close_timeout, 0);
  ADD ("hang-up", test_hang_up, 0);

  return g_test_run ();
}
