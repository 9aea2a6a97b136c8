/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-wyoming"

#include <string.h>

#include "mira-json.h"
#include "mira-wyoming.h"

#define MAX_PAYLOAD 4096

static const char chunk_header[] =
  "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":1},"
  "\"payload_length\":640}\n";

static GPtrArray *
events_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) mira_wyoming_event_free);
}

static MiraWyomingEvent *
event_at (GPtrArray *events,
          guint      i)
{
  g_assert_cmpuint (i, <, events->len);
  return g_ptr_array_index (events, i);
}

static void
feed_text (MiraWyomingParser *parser,
           const char        *text,
           GPtrArray         *events)
{
  g_autoptr(GError) error = NULL;

  gboolean ok = mira_wyoming_parser_feed_text (parser, text, strlen (text), events, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
feed_binary (MiraWyomingParser *parser,
             const void        *data,
             gsize              len,
             GPtrArray         *events)
{
  g_autoptr(GError) error = NULL;

  gboolean ok = mira_wyoming_parser_feed_binary (parser, data, len, events, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
assert_payload (MiraWyomingEvent *event,
                const guint8     *expected,
                gsize             len)
{
  g_assert_nonnull (event->payload);
  g_assert_cmpmem (g_bytes_get_data (event->payload, NULL), g_bytes_get_size (event->payload),
                   expected, len);
}

static void
fill_pattern (guint8 *buf,
              gsize   len,
              guint   seed)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (i * 31 + seed);
}

/* Variants that must be accepted ----------------------------------------- */

static void
test_text_then_binary (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 payload[640];
  MiraWyomingEvent *event;

  fill_pattern (payload, sizeof payload, 1);
  feed_text (parser, chunk_header, events);
  g_assert_cmpuint (events->len, ==, 0);
  g_assert_false (mira_wyoming_parser_is_idle (parser));

  feed_binary (parser, payload, sizeof payload, events);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_true (mira_wyoming_parser_is_idle (parser));

  event = event_at (events, 0);
  g_assert_cmpstr (event->type, ==, "audio-chunk");
  g_assert_cmpint (mira_wyoming_event_get_int (event, "rate", 0), ==, 16000);
  g_assert_cmpint (mira_wyoming_event_get_int (event, "width", 0), ==, 2);
  g_assert_cmpint (mira_wyoming_event_get_int (event, "channels", 0), ==, 1);
  assert_payload (event, payload, sizeof payload);

  /* And again: the parser is back between events */
  feed_text (parser, chunk_header, events);
  feed_binary (parser, payload, sizeof payload, events);
  g_assert_cmpuint (events->len, ==, 2);
}

static void
test_no_trailing_newline (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 payload[4] = { 1, 2, 3, 4 };

  feed_text (parser, "{\"type\":\"audio-chunk\",\"data\":{\"rate\":8000},\"payload_length\":4}",
             events);
  feed_binary (parser, payload, sizeof payload, events);
  feed_text (parser, "{\"type\":\"audio-stop\"}", events);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (mira_wyoming_event_get_int (event_at (events, 0), "rate", 0), ==, 8000);
  g_assert_cmpstr (event_at (events, 1)->type, ==, "audio-stop");
}

static void
test_no_payload (void)
{
  const char *headers[] = {
    "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":1},"
    "\"payload_length\":null}\n",
    "{\"type\":\"audio-stop\",\"data\":{\"timestamp\":1234567890},\"payload_length\":0}\n",
    "{\"type\":\"ping\"}\n",
    "{\"type\":\"ping\",\"data\":null}",
  };
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      feed_text (parser, headers[i], events);
      g_assert_cmpuint (events->len, ==, i + 1);
      g_assert_null (event_at (events, i)->payload);
      g_assert_nonnull (event_at (events, i)->data);
      g_assert_true (mira_wyoming_parser_is_idle (parser));
    }
  g_assert_cmpstr (event_at (events, 0)->type, ==, "audio-start");
  g_assert_cmpint (mira_wyoming_event_get_int (event_at (events, 1), "timestamp", 0),
                   ==, 1234567890);
  g_assert_cmpuint (json_object_get_size (event_at (events, 3)->data), ==, 0);
}

static void
test_extra_keys (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 payload[2] = { 0, 1 };

  feed_text (parser, "{\"version\":\"1.5.2\",\"mode\":\"omi\",\"timestamp\":1712345678.5,"
             "\"type\":\"audio-chunk\",\"data\":{\"rate\":16000},\"payload_length\":2,"
             "\"extra\":[1,{\"a\":null}]}\n", events);
  feed_binary (parser, payload, sizeof payload, events);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (event_at (events, 0)->type, ==, "audio-chunk");
  assert_payload (event_at (events, 0), payload, sizeof payload);
}

static void
test_several_lines_in_text (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 payload[3] = { 7, 8, 9 };

  feed_text (parser, "{\"type\":\"ping\"}\n\n{\"type\":\"audio-start\",\"data\":{\"rate\":48000}}\n"
             "{\"type\":\"audio-chunk\",\"payload_length\":3}\n", events);
  g_assert_cmpuint (events->len, ==, 2);
  feed_binary (parser, payload, sizeof payload, events);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpstr (event_at (events, 2)->type, ==, "audio-chunk");
}

static void
test_data_length (void)
{
  const char *extra = "{\"rate\":44100,\"channels\":2}";
  g_autofree char *header = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                             "\"width\":2},\"data_length\":%zu,"
                                             "\"payload_length\":4}\n", strlen (extra));
  g_autofree char *same_frame = g_strconcat (header, extra, NULL);
  g_autofree char *no_payload = g_strdup_printf ("{\"type\":\"audio-start\","
                                                 "\"data_length\":%zu}\n%s",
                                                 strlen (extra), extra);
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 payload[4] = { 1, 2, 3, 4 };
  g_autoptr(GByteArray) combined = g_byte_array_new ();

  /* Data in the same text frame, payload in the next binary frame */
  feed_text (parser, same_frame, events);
  g_assert_cmpuint (events->len, ==, 0);
  feed_binary (parser, payload, sizeof payload, events);

  /* Data in the next text frame */
  feed_text (parser, header, events);
  feed_text (parser, extra, events);
  g_assert_cmpuint (events->len, ==, 1);
  feed_binary (parser, payload, sizeof payload, events);

  /* Data split over two text frames */
  feed_text (parser, header, events);
  feed_text (parser, "{\"rate\":44100,", events);
  feed_text (parser, "\"channels\":2}", events);
  feed_binary (parser, payload, sizeof payload, events);

  /* Data and payload together in the next binary frame */
  g_byte_array_append (combined, (const guint8 *) extra, (guint) strlen (extra));
  g_byte_array_append (combined, payload, sizeof payload);
  feed_text (parser, header, events);
  feed_binary (parser, combined->data, combined->len, events);

  /* No payload at all */
  feed_text (parser, no_payload, events);

  g_assert_cmpuint (events->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      MiraWyomingEvent *event = event_at (events, i);

      /* Merged over data: rate replaced, width kept, channels added */
      g_assert_cmpint (mira_wyoming_event_get_int (event, "rate", 0), ==, 44100);
      g_assert_cmpint (mira_wyoming_event_get_int (event, "channels", 0), ==, 2);
      if (i < 4)
        {
          g_assert_cmpint (mira_wyoming_event_get_int (event, "width", 0), ==, 2);
          assert_payload (event, payload, sizeof payload);
        }
      else
        g_assert_null (event->payload);
    }
  g_assert_true (mira_wyoming_parser_is_idle (parser));
}

/* The TCP layout: header line, data, payload in one byte stream */
static GByteArray *
tcp_stream (guint8 *payload,
            gsize   payload_len)
{
  GByteArray *stream = g_byte_array_new ();
  const char *start = "{\"type\":\"audio-start\","
                      "\"data\":{\"rate\":16000,\"width\":2,\"channels\":1}}\n";
  g_autofree char *chunk = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                            "\"width\":2,\"channels\":1},\"payload_length\":%zu}\n",
                                            payload_len);
  const char *extra = "{\"timestamp\":42}";
  g_autofree char *stop = g_strdup_printf ("{\"type\":\"audio-stop\",\"data_length\":%zu}\n",
                                           strlen (extra));

  g_byte_array_append (stream, (const guint8 *) start, (guint) strlen (start));
  g_byte_array_append (stream, (const guint8 *) chunk, (guint) strlen (chunk));
  g_byte_array_append (stream, payload, (guint) payload_len);
  g_byte_array_append (stream, (const guint8 *) chunk, (guint) strlen (chunk));
  g_byte_array_append (stream, payload, (guint) payload_len);
  g_byte_array_append (stream, (const guint8 *) stop, (guint) strlen (stop));
  g_byte_array_append (stream, (const guint8 *) extra, (guint) strlen (extra));
  return stream;
}

static void
assert_tcp_events (GPtrArray    *events,
                   const guint8 *payload,
                   gsize         payload_len)
{
  g_assert_cmpuint (events->len, ==, 4);
  g_assert_cmpstr (event_at (events, 0)->type, ==, "audio-start");
  g_assert_cmpstr (event_at (events, 1)->type, ==, "audio-chunk");
  assert_payload (event_at (events, 1), payload, payload_len);
  g_assert_cmpstr (event_at (events, 2)->type, ==, "audio-chunk");
  assert_payload (event_at (events, 2), payload, payload_len);
  g_assert_cmpstr (event_at (events, 3)->type, ==, "audio-stop");
  g_assert_cmpint (mira_wyoming_event_get_int (event_at (events, 3), "timestamp", 0), ==, 42);
}

static void
test_tcp_one_frame (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(GPtrArray) more = events_new ();
  guint8 payload[320];
  g_autoptr(GByteArray) stream = NULL;
  g_autoptr(GByteArray) single = g_byte_array_new ();

  fill_pattern (payload, sizeof payload, 5);
  stream = tcp_stream (payload, sizeof payload);
  feed_binary (parser, stream->data, stream->len, events);
  assert_tcp_events (events, payload, sizeof payload);
  g_assert_true (mira_wyoming_parser_is_idle (parser));

  /* Header and payload in one binary frame, after audio-start: not bare PCM */
  g_byte_array_append (single, (const guint8 *) chunk_header, sizeof chunk_header - 1);
  g_byte_array_set_size (single, single->len + 640);
  memset (single->data + single->len - 640, 0x11, 640);
  feed_binary (parser, single->data, single->len, more);
  g_assert_cmpuint (more->len, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (event_at (more, 0)->payload), ==, 640);
  g_assert_cmpstr (event_at (more, 0)->type, ==, "audio-chunk");
}

static void
test_tcp_split (void)
{
  guint8 payload[64];
  g_autoptr(GByteArray) stream = NULL;

  fill_pattern (payload, sizeof payload, 9);
  stream = tcp_stream (payload, sizeof payload);

  /* Split in two at every position */
  for (guint cut = 1; cut < stream->len; cut++)
    {
      g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
      g_autoptr(GPtrArray) events = events_new ();

      feed_binary (parser, stream->data, cut, events);
      feed_binary (parser, stream->data + cut, stream->len - cut, events);
      assert_tcp_events (events, payload, sizeof payload);
      g_assert_true (mira_wyoming_parser_is_idle (parser));
    }

  /* Random pieces, one byte and up */
  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
      g_autoptr(GPtrArray) events = events_new ();
      guint pos = 0;

      while (pos < stream->len)
        {
          guint want = (guint) g_test_rand_int_range (1, 40);
          guint n = MIN (want, stream->len - pos);

          feed_binary (parser, stream->data + pos, n, events);
          pos += n;
        }
      assert_tcp_events (events, payload, sizeof payload);
    }
}

static void
test_bare_pcm (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 pcm[640];
  /* Audio that happens to begin like JSON must stay audio */
  guint8 jsonish[64] = "{\"x\":1}\n";
  MiraWyomingEvent *event;

  fill_pattern (pcm, sizeof pcm, 3);
  for (gsize i = 9; i < sizeof jsonish; i++)
    jsonish[i] = (guint8) (i * 7);

  feed_text (parser, "{\"type\":\"audio-start\",\"data\":{\"rate\":44100,\"width\":2,"
             "\"channels\":2},\"payload_length\":null}\n", events);
  feed_binary (parser, pcm, sizeof pcm, events);
  feed_binary (parser, jsonish, sizeof jsonish, events);
  feed_binary (parser, "{", 1, events);
  g_assert_cmpuint (events->len, ==, 4);

  event = event_at (events, 1);
  g_assert_cmpstr (event->type, ==, "audio-chunk");
  g_assert_cmpint (mira_wyoming_event_get_int (event, "rate", 0), ==, 44100);
  g_assert_cmpint (mira_wyoming_event_get_int (event, "width", 0), ==, 2);
  g_assert_cmpint (mira_wyoming_event_get_int (event, "channels", 0), ==, 2);
  assert_payload (event, pcm, sizeof pcm);
  assert_payload (event_at (events, 2), jsonish, sizeof jsonish);
  g_assert_true (mira_wyoming_parser_is_idle (parser));

  /* A header still works in between */
  feed_text (parser, chunk_header, events);
  feed_binary (parser, pcm, sizeof pcm, events);
  g_assert_cmpuint (events->len, ==, 5);
}

static void
test_default_format (void)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  guint8 packet[] = { 0x00, 0x00, 0x00, 0xb8, 0x41, 0x22 };

  mira_wyoming_parser_set_default_format (parser, 16000, 2, 1);
  feed_binary (parser, packet, sizeof packet, events);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (event_at (events, 0)->type, ==, "audio-chunk");
  g_assert_cmpint (mira_wyoming_event_get_int (event_at (events, 0), "rate", 0), ==, 16000);
}

/* Errors ------------------------------------------------------------------- */

static void
assert_text_error (const char *text,
                   gssize      len,
                   gint        code,
                   guint       close_code)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(GError) error = NULL;

  if (len < 0)
    len = (gssize) strlen (text);
  g_assert_false (mira_wyoming_parser_feed_text (parser, text, (gsize) len, events, &error));
  g_assert_error (error, MIRA_WYOMING_ERROR, code);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_cmpuint (mira_wyoming_error_close_code (error), ==, close_code);
  {
    g_autofree char *head = g_strndup (text, MIN ((gsize) len, 40));
    g_autofree char *shown = g_strescape (head, NULL);

    g_test_message ("%s… -> %s", shown, error->message);
  }
}

static void
test_errors_header (void)
{
  static const char *malformed[] = {
    "{\"type\":\"audio-chunk\"",
    "not json",
    "[1,2,3]",
    "\"audio-chunk\"",
    "42",
    "null",
    "{}",
    "{\"data\":{}}",
    "{\"type\":42}",
    "{\"type\":\"\"}",
    "{\"type\":null}",
    "{\"type\":\"x\",\"data\":[1]}",
    "{\"type\":\"x\",\"data\":\"rate\"}",
    "{\"type\":\"x\",\"payload_length\":-1}",
    "{\"type\":\"x\",\"payload_length\":1.5}",
    "{\"type\":\"x\",\"payload_length\":\"640\"}",
    "{\"type\":\"x\",\"payload_length\":true}",
    "{\"type\":\"x\",\"payload_length\":{}}",
    "{\"type\":\"x\",\"data_length\":-5}",
    "{\"type\":\"x\",\"data_length\":3}\n[1]",
    "{\"type\":\"x\",\"data_length\":3}\nabc",
    "{\"type\":\"x\",\"data_length\":2}\n{}junk",
    "{\"type\":\"audio-chunk\",\"payload_length\":4}\ntrailing text",
  };
  g_autofree char *deep = NULL;
  GString *nest = g_string_new ("{\"type\":\"x\",\"data\":{\"a\":");

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    assert_text_error (malformed[i], -1, MIRA_WYOMING_ERROR_MALFORMED, 1003);

  /* Not UTF-8; a NUL inside */
  assert_text_error ("{\"type\":\"\xff\xfe\"}", -1, MIRA_WYOMING_ERROR_MALFORMED, 1003);
  assert_text_error ("{\"type\":\"a\0b\"}", 14, MIRA_WYOMING_ERROR_MALFORMED, 1003);

  /* Nesting that would exhaust the stack of a recursive parser */
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (nest, '[');
  deep = g_string_free (nest, FALSE);
  assert_text_error (deep, -1, MIRA_WYOMING_ERROR_MALFORMED, 1003);

  /* Over the limit */
  assert_text_error ("{\"type\":\"audio-chunk\",\"payload_length\":4097}", -1,
                     MIRA_WYOMING_ERROR_TOO_LARGE, 1009);
  assert_text_error ("{\"type\":\"audio-chunk\",\"payload_length\":99999999999999999}", -1,
                     MIRA_WYOMING_ERROR_TOO_LARGE, 1009);
  assert_text_error ("{\"type\":\"x\",\"data_length\":10000000}", -1,
                     MIRA_WYOMING_ERROR_TOO_LARGE, 1009);
}

static void
test_errors_sequence (void)
{
  guint8 payload[1000] = { 0, };
  struct {
    const char *text;
    gsize       binary_len;
    gboolean    second_text;
  } cases[] = {
    { chunk_header, 320, FALSE },    /* payload_length lies: frame too short */
    { chunk_header, 1000, FALSE },   /* too long */
    { chunk_header, 0, FALSE },      /* empty */
    { chunk_header, 0, TRUE },       /* a text frame where the payload should be */
    { NULL, 640, FALSE },            /* binary before audio-start, no header */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
      g_autoptr(GPtrArray) events = events_new ();
      g_autoptr(GError) error = NULL;
      gboolean ok;

      if (cases[i].text != NULL)
        feed_text (parser, cases[i].text, events);
      if (cases[i].second_text)
        ok = mira_wyoming_parser_feed_text (parser, "{\"type\":\"ping\"}", 15, events, &error);
      else
        ok = mira_wyoming_parser_feed_binary (parser, payload, cases[i].binary_len, events, &error);
      g_assert_false (ok);
      g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED);
      g_assert_cmpuint (mira_wyoming_error_close_code (error), ==, 1003);
      g_assert_cmpuint (events->len, ==, 0);
      g_test_message ("case %u -> %s", i, error->message);
    }
}

static void
test_errors_tcp (void)
{
  /* A payload_length smaller than the payload: audio where a header should be */
  {
    g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
    g_autoptr(GPtrArray) events = events_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) frame = g_byte_array_new ();
    const char *header = "{\"type\":\"audio-chunk\",\"payload_length\":4}\n";
    guint8 audio[16] = { 1, 2, 3, 4, 0x80, 0x81, 0x00, 0x05, };

    g_byte_array_append (frame, (const guint8 *) header, (guint) strlen (header));
    g_byte_array_append (frame, audio, sizeof audio);
    g_assert_false (mira_wyoming_parser_feed_binary (parser, frame->data, frame->len, events,
                                                     &error));
    g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED);
  }

  /* A header line that never ends */
  {
    g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
    g_autoptr(GPtrArray) events = events_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *chunk = g_strnfill (4096, 'a');
    gboolean ok = TRUE;

    chunk[0] = '{';
    for (guint i = 0; i < 100 && ok; i++)
      {
        ok = mira_wyoming_parser_feed_binary (parser, (const guint8 *) chunk, 4096, events,
                                              &error);
        chunk[0] = 'a';
      }
    g_assert_false (ok);
    g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE);
    g_assert_cmpuint (mira_wyoming_error_close_code (error), ==, 1009);
  }

  /* Bare audio over the limit */
  {
    g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
    g_autoptr(GPtrArray) events = events_new ();
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *big = g_malloc0 (MAX_PAYLOAD + 1);

    feed_text (parser, "{\"type\":\"audio-start\"}", events);
    g_assert_false (mira_wyoming_parser_feed_binary (parser, big, MAX_PAYLOAD + 1, events,
                                                     &error));
    g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE);
  }

  /* Text while a binary-frame event is incomplete */
  {
    g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
    g_autoptr(GPtrArray) events = events_new ();
    g_autoptr(GError) error = NULL;
    const char *half = "{\"type\":\"audio-chunk\",\"payload_length\":4}\n\x01\x02";

    feed_binary (parser, half, strlen (half), events);
    g_assert_false (mira_wyoming_parser_feed_text (parser, "{\"type\":\"ping\"}", 15, events,
                                                   &error));
    g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED);
  }
}

static void
test_close_codes (void)
{
  g_autoptr(GError) too_large = g_error_new_literal (MIRA_WYOMING_ERROR,
                                                     MIRA_WYOMING_ERROR_TOO_LARGE, "x");
  g_autoptr(GError) malformed = g_error_new_literal (MIRA_WYOMING_ERROR,
                                                     MIRA_WYOMING_ERROR_MALFORMED, "x");
  g_autoptr(GError) too_many = g_error_new_literal (MIRA_WYOMING_ERROR,
                                                    MIRA_WYOMING_ERROR_TOO_MANY_EVENTS, "x");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_assert_cmpuint (mira_wyoming_error_close_code (too_large), ==, 1009);
  g_assert_cmpuint (mira_wyoming_error_close_code (malformed), ==, 1003);
  g_assert_cmpuint (mira_wyoming_error_close_code (too_many), ==, 1008);
  g_assert_cmpuint (mira_wyoming_error_close_code (other), ==, 1008);
  g_assert_cmpuint (mira_wyoming_error_close_code (NULL), ==, 1008);
}

/* Header variants -----------------------------------------------------------
 *
 * Headers of the common shape are read without json-glib, all others with
 * it. Whichever way a header goes, its event or error must be the one
 * written here, in both layouts, and again when the same header repeats.
 */

typedef struct
{
  const char *header;          /* one line, without its newline */
  const char *type;            /* NULL when the header is an error */
  const char *data;            /* the data members in order: "rate=16000,width=2" */
  gsize       payload_length;
  gint        error;           /* MiraWyomingError, when type is NULL */
} HeaderCase;

#define CHUNK_DATA "{\"rate\":16000,\"width\":2,\"channels\":1}"

static const HeaderCase header_cases[] = {
  /* The common header and other types */
  { "{\"type\":\"audio-chunk\",\"data\":" CHUNK_DATA ",\"payload_length\":57}",
    "audio-chunk", "rate=16000,width=2,channels=1", 57 },
  { "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
    "audio-start", "rate=16000,width=2,channels=1", 0 },
  { "{\"type\":\"audio-stop\",\"data\":{\"timestamp\":1234567890}}",
    "audio-stop", "timestamp=1234567890", 0 },
  { "{\"type\":\"ping\"}", "ping", "", 0 },
  { "{\"type\":\"x\",\"payload_length\":1}", "x", "", 1 },

  /* No data; payload_length 0, null or missing */
  { "{\"type\":\"audio-chunk\",\"payload_length\":640}", "audio-chunk", "", 640 },
  { "{\"type\":\"ping\",\"data\":null}", "ping", "", 0 },
  { "{\"type\":\"ping\",\"data\":{}}", "ping", "", 0 },
  { "{\"type\":\"audio-chunk\",\"data\":" CHUNK_DATA ",\"payload_length\":0}",
    "audio-chunk", "rate=16000,width=2,channels=1", 0 },
  { "{\"type\":\"audio-chunk\",\"data\":" CHUNK_DATA ",\"payload_length\":null}",
    "audio-chunk", "rate=16000,width=2,channels=1", 0 },
  { "{\"type\":\"audio-chunk\",\"data\":null,\"payload_length\":null}", "audio-chunk", "", 0 },
  { "{\"type\":\"audio-chunk\",\"payload_length\":4096}", "audio-chunk", "", 4096 },
  { "{\"type\":\"x\",\"payload_length\":-0}", "x", "", 0 },

  /* Order and blanks */
  { "{\"payload_length\":57,\"data\":{\"channels\":1,\"rate\":16000},\"type\":\"audio-chunk\"}",
    "audio-chunk", "channels=1,rate=16000", 57 },
  { "{\"type\": \"audio-chunk\", \"data\": {\"rate\": 16000, \"width\": 2, \"channels\": 1}, "
    "\"payload_length\": 57}",
    "audio-chunk", "rate=16000,width=2,channels=1", 57 },
  { " \t{ \"type\" :\t\"audio-chunk\" ,\"data\":{ \"rate\" : 8000 } , \"payload_length\" : 3 }\r",
    "audio-chunk", "rate=8000", 3 },
  { "{\"type\":\"audio-chunk\",\"data\":{ },\"payload_length\":2}", "audio-chunk", "", 2 },

  /* Numbers in data */
  { "{\"type\":\"x\",\"data\":{\"offset\":-5,\"zero\":0,\"minus_zero\":-0}}",
    "x", "offset=-5,zero=0,minus_zero=0", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":999999999999999999,\"b\":-999999999999999999}}",
    "x", "a=999999999999999999,b=-999999999999999999", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":9223372036854775807,\"b\":-9223372036854775807}}",
    "x", "a=9223372036854775807,b=-9223372036854775807", 0 },
  { "{\"type\":\"x\",\"data\":{\"rate\":16000.0,\"f\":1.5,\"e\":1e3,\"n\":-2.5E-1}}",
    "x", "rate=16000.0,f=1.5,e=1000.0,n=-0.25", 0 },

  /* Other values in data */
  { "{\"type\":\"x\",\"data\":{\"codec\":\"opus\",\"rate\":48000}}",
    "x", "codec=\"opus\",rate=48000", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":true,\"b\":false,\"c\":null}}",
    "x", "a=true,b=false,c=null", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":{\"b\":1},\"c\":[1,2]}}", "x", "a={\"b\":1},c=[1,2]", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
    "\"i\":9,\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16}}",
    "x", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16", 0 },
  { "{\"type\":\"x\",\"data\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
    "\"i\":9,\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}}",
    "x", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17", 0 },

  /* Extra keys, data_length 0 or null */
  { "{\"type\":\"audio-chunk\",\"version\":\"1.5.2\",\"data\":{\"rate\":16000},"
    "\"payload_length\":4}",
    "audio-chunk", "rate=16000", 4 },
  { "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000},\"data_length\":0,\"payload_length\":4}",
    "audio-chunk", "rate=16000", 4 },
  { "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000},\"data_length\":null,"
    "\"payload_length\":4}",
    "audio-chunk", "rate=16000", 4 },

  /* Escapes and non-ASCII */
  { "{\"type\":\"audio\\u002dchunk\",\"data\":{\"r\\u0061te\":16000},\"payload_length\":2}",
    "audio-chunk", "rate=16000", 2 },
  { "{\"type\":\"say \\\"hi\\\"\\\\\"}", "say \"hi\"\\", "", 0 },
  { "{\"type\":\"audio-chünk\",\"data\":{\"größe\":1}}", "audio-chünk", "größe=1", 0 },


  /* Duplicate keys: json-glib keeps the last value */
  { "{\"type\":\"a\",\"type\":\"b\"}", "b", "", 0 },
  { "{\"type\":\"x\",\"data\":{\"rate\":8000,\"width\":2,\"rate\":16000}}",
    "x", "rate=16000,width=2", 0 },
  { "{\"type\":\"x\",\"data\":{\"rate\":8000},\"data\":{\"width\":2}}", "x", "width=2", 0 },
  { "{\"type\":\"x\",\"payload_length\":9,\"payload_length\":2}", "x", "", 2 },

  /* Errors */
  /* Strict JSON: what json-glib alone would let pass (an octal-looking
   * number, an unknown escape, a second value, single quotes) is refused.
   */
  { "{\"type\":\"x\",\"data\":{\"rate\":016000}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\\q\"}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\"} {\"type\":\"y\"}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{'type':'audio-chunk'}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  /* Text that does not decode to valid UTF-8 without U+0000 */
  { "{\"type\":\"a\\u0000b\"}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"name\":\"\\ud800\"}}", NULL, NULL, 0,
    MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"audio-chunk\",\"payload_length\":4097}", NULL, NULL, 0,
    MIRA_WYOMING_ERROR_TOO_LARGE },
  { "{\"type\":\"audio-chunk\",\"payload_length\":999999999999999999}", NULL, NULL, 0,
    MIRA_WYOMING_ERROR_TOO_LARGE },
  { "{\"type\":\"x\",\"payload_length\":-1}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"payload_length\":4.0}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"payload_length\":\"4\"}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data_length\":-1}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"\",\"payload_length\":4}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"data\":" CHUNK_DATA ",\"payload_length\":4}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":16000}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":16000}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\" \"payload_length\":4}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":16000,}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":-}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":16000 1}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":16k}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{rate:16000}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":nullx}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"payload_length\":nul}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\"}}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
  { "{\"type\":\"x\",\"data\":{\"rate\":16000}", NULL, NULL, 0, MIRA_WYOMING_ERROR_MALFORMED },
};

static char *
describe_data (JsonObject *data)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GList) names = json_object_get_members (data);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (data, name);

      if (out->len > 0)
        g_string_append_c (out, ',');
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
        g_string_append_printf (out, "%s=%" G_GINT64_FORMAT, name, json_node_get_int (node));
      else
        {
          g_autofree char *json = json_to_string (node, FALSE);

          g_string_append_printf (out, "%s=%s", name, json);
        }
    }
  return g_string_free (out, FALSE);
}

static void
assert_event_is (MiraWyomingEvent *event,
                 const char       *type,
                 const char       *data,
                 const guint8     *payload,
                 gsize             payload_len)
{
  g_autofree char *described = describe_data (event->data);

  g_assert_cmpstr (event->type, ==, type);
  g_assert_cmpstr (described, ==, data);
  if (payload_len > 0)
    assert_payload (event, payload, payload_len);
  else
    g_assert_null (event->payload);
}

static void
assert_feed_error (MiraWyomingParser *parser,
                   gboolean           text,
                   const void        *data,
                   gsize              len,
                   gint               code)
{
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (text)
    ok = mira_wyoming_parser_feed_text (parser, data, len, events, &error);
  else
    ok = mira_wyoming_parser_feed_binary (parser, data, len, events, &error);
  g_assert_false (ok);
  g_assert_error (error, MIRA_WYOMING_ERROR, code);
  g_assert_cmpuint (mira_wyoming_error_close_code (error), ==,
                    code == MIRA_WYOMING_ERROR_TOO_LARGE ? 1009 : 1003);
  g_assert_cmpuint (events->len, ==, 0);
}

/* A parser that has seen a TCP-layout event, so that it takes any binary
 * frame as more of that layout.
 */
static MiraWyomingParser *
tcp_parser_new (void)
{
  MiraWyomingParser *parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(GPtrArray) events = events_new ();

  feed_binary (parser, "{\"type\":\"ping\"}\n", 16, events);
  g_assert_cmpuint (events->len, ==, 1);
  return parser;
}

static void
test_header_variants (void)
{
  /* Each repetition has its own payload: payload + n */
  guint8 payload[MAX_PAYLOAD + 3];

  fill_pattern (payload, sizeof payload, 7);

  for (guint i = 0; i < G_N_ELEMENTS (header_cases); i++)
    {
      const HeaderCase *c = &header_cases[i];
      g_autofree char *line = g_strconcat (c->header, "\n", NULL);
      gsize line_len = strlen (line);
      g_autoptr(MiraWyomingParser) ws = mira_wyoming_parser_new (MAX_PAYLOAD);
      g_autoptr(MiraWyomingParser) tcp = tcp_parser_new ();
      g_autoptr(GPtrArray) events = events_new ();
      g_autoptr(GByteArray) frame = g_byte_array_new ();

      g_test_message ("%s", c->header);
      for (guint n = 0; n < 3; n++)
        {
          g_byte_array_append (frame, (const guint8 *) line, (guint) line_len);
          g_byte_array_append (frame, payload + n, (guint) c->payload_length);
        }

      if (c->type == NULL)
        {
          assert_feed_error (ws, TRUE, line, line_len, c->error);
          assert_feed_error (tcp, FALSE, frame->data, frame->len, c->error);
          continue;
        }

      /* WebSocket layout, the same header three times */
      for (guint n = 0; n < 3; n++)
        {
          feed_text (ws, line, events);
          if (c->payload_length > 0)
            {
              g_assert_false (mira_wyoming_parser_is_idle (ws));
              feed_binary (ws, payload + n, c->payload_length, events);
            }
          g_assert_true (mira_wyoming_parser_is_idle (ws));
        }
      g_assert_cmpuint (events->len, ==, 3);
      for (guint n = 0; n < 3; n++)
        assert_event_is (event_at (events, n), c->type, c->data, payload + n, c->payload_length);
      g_ptr_array_set_size (events, 0);

      /* TCP layout: the three events in one frame */
      feed_binary (tcp, frame->data, frame->len, events);
      g_assert_cmpuint (events->len, ==, 3);
      for (guint n = 0; n < 3; n++)
        assert_event_is (event_at (events, n), c->type, c->data, payload + n, c->payload_length);
      g_assert_true (mira_wyoming_parser_is_idle (tcp));
    }
}

/* Every header cut short is an error, wherever the cut. */
static void
test_header_truncated (void)
{
  const char *headers[] = {
    "{\"type\":\"audio-chunk\",\"data\":" CHUNK_DATA ",\"payload_length\":57}",
    "{\"type\": \"audio-chunk\", \"data\": {\"rate\": -16000}, \"payload_length\": null}",
  };

  for (guint h = 0; h < G_N_ELEMENTS (headers); h++)
    for (gsize cut = 1; cut < strlen (headers[h]); cut++)
      {
        g_autoptr(MiraWyomingParser) ws = mira_wyoming_parser_new (MAX_PAYLOAD);
        g_autoptr(MiraWyomingParser) tcp = tcp_parser_new ();
        g_autoptr(GString) line = g_string_new_len (headers[h], (gssize) cut);

        assert_feed_error (ws, TRUE, line->str, line->len, MIRA_WYOMING_ERROR_MALFORMED);
        g_string_append_c (line, '\n');
        assert_feed_error (tcp, FALSE, line->str, line->len, MIRA_WYOMING_ERROR_MALFORMED);
      }
}

/* Many chunks with one header: each event is whole and stands alone, in
 * whatever order events and parser are freed.
 */
static void
test_header_repeated (void)
{
  const char *header = "{\"type\":\"audio-chunk\",\"data\":" CHUNK_DATA ",\"payload_length\":57}\n";
  gsize header_len = strlen (header);
  MiraWyomingParser *parser = tcp_parser_new ();
  g_autoptr(GPtrArray) events = events_new ();
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  guint8 payloads[1000][57];

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      fill_pattern (payloads[i], sizeof payloads[i], i);
      g_byte_array_append (stream, (const guint8 *) header, (guint) header_len);
      g_byte_array_append (stream, payloads[i], sizeof payloads[i]);
    }

  /* Half in one frame, half in frames split at random */
  feed_binary (parser, stream->data, stream->len / 2, events);
  for (guint pos = stream->len / 2; pos < stream->len;)
    {
      guint want = (guint) g_test_rand_int_range (1, 200);
      guint n = MIN (want, stream->len - pos);

      feed_binary (parser, stream->data + pos, n, events);
      pos += n;
    }
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (payloads));

  /* And as text frames, each header followed by its payload */
  mira_wyoming_parser_free (parser);
  parser = mira_wyoming_parser_new (MAX_PAYLOAD);
  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      feed_text (parser, header, events);
      feed_binary (parser, payloads[i], sizeof payloads[i], events);
    }
  g_assert_cmpuint (events->len, ==, 2 * G_N_ELEMENTS (payloads));

  /* The parser goes first, then every other event */
  mira_wyoming_parser_free (parser);
  for (guint i = events->len; i > 0; i -= 2)
    g_ptr_array_remove_index (events, i - 1);
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (payloads));
  for (guint i = 0; i < events->len; i++)
    assert_event_is (event_at (events, i), "audio-chunk", "rate=16000,width=2,channels=1",
                     payloads[(2 * i) % G_N_ELEMENTS (payloads)], sizeof payloads[0]);
}

/* Headers whose data changes, or grows by data_length, leave the data of
 * the events before them as it was.
 */
static void
test_header_data_changes (void)
{
  const char *extra = "{\"rate\":44100,\"channels\":2}";
  g_autofree char *merged = g_strdup_printf ("{\"type\":\"audio-start\",\"data\":" CHUNK_DATA ","
                                             "\"data_length\":%zu}\n%s", strlen (extra), extra);
  const char *lines[] = {
    "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
    "{\"type\":\"audio-start\",\"data\":{\"rate\":8000,\"width\":2,\"channels\":1}}",
    "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
    merged,
    "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
    "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":1,\"x\":-1}}",
    "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
    "{\"type\":\"audio-start\"}",
    "{\"type\":\"audio-start\",\"data\":" CHUNK_DATA "}",
  };
  const char *expected[] = {
    "rate=16000,width=2,channels=1",
    "rate=8000,width=2,channels=1",
    "rate=16000,width=2,channels=1",
    "rate=44100,width=2,channels=2",
    "rate=16000,width=2,channels=1",
    "rate=16000,width=2,channels=1,x=-1",
    "rate=16000,width=2,channels=1",
    "",
    "rate=16000,width=2,channels=1",
  };
  g_autoptr(MiraWyomingParser) ws = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(MiraWyomingParser) tcp = tcp_parser_new ();
  g_autoptr(GPtrArray) ws_events = events_new ();
  g_autoptr(GPtrArray) tcp_events = events_new ();

  G_STATIC_ASSERT (G_N_ELEMENTS (lines) == G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *line = g_strconcat (lines[i], "\n", NULL);

      feed_text (ws, line, ws_events);
      feed_binary (tcp, line, strlen (line), tcp_events);
      g_assert_cmpuint (ws_events->len, ==, i + 1);
      g_assert_cmpuint (tcp_events->len, ==, i + 1);
    }
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      assert_event_is (event_at (ws_events, i), "audio-start", expected[i], NULL, 0);
      assert_event_is (event_at (tcp_events, i), "audio-start", expected[i], NULL, 0);
    }
}

/* Random headers, mostly of the common shape, checked against what
 * json-glib alone makes of them.
 */
static void
random_blank (GString *out)
{
  static const char *blanks[] = { "", "", "", "", " ", "  ", "\t", " \r " };

  g_string_append (out, blanks[g_test_rand_int_range (0, G_N_ELEMENTS (blanks))]);
}

static void
random_int (GString *out,
            gboolean for_data)
{
  static const char *odd[] = {
    "0", "-0", "00", "007", "999999999999999999", "-999999999999999999",
    "1000000000000000000", "9223372036854775807", "-9223372036854775807",
    "99999999999999999999", "1.5", "16000.0", "1e3", "-", "1-", "true", "null", "\"16000\"",
    "[1]", "{}", "4097", "4096",
  };

  switch (g_test_rand_int_range (0, 4))
    {
    case 0:
      g_string_append (out, odd[g_test_rand_int_range (0, G_N_ELEMENTS (odd))]);
      break;
    case 1:
      if (for_data)
        {
          g_string_append_printf (out, "%d", g_test_rand_int_range (-100000, 0));
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      g_string_append_printf (out, "%d", g_test_rand_int_range (0, MAX_PAYLOAD + 10));
      break;
    }
}

static char *
random_header (void)
{
  static const char *types[] = { "audio-chunk", "audio-start", "audio-stop", "ping", "x", "" };
  static const char *names[] = {
    "rate", "width", "channels", "timestamp", "a", "b", "c", "d", "e", "f", "g", "h",
  };
  GString *out = g_string_new (NULL);
  const char *keys[4] = { "type", "data", "payload_length", "data" };
  guint n_keys = (guint) g_test_rand_int_range (0, 20) == 0 ? 4 : 3;

  /* Shuffle the keys, and sometimes leave one out */
  for (guint i = n_keys - 1; i > 0; i--)
    {
      guint j = (guint) g_test_rand_int_range (0, (gint) i + 1);
      const char *swap = keys[i];

      keys[i] = keys[j];
      keys[j] = swap;
    }
  if (g_test_rand_int_range (0, 4) == 0)
    n_keys--;

  random_blank (out);
  g_string_append_c (out, '{');
  for (guint k = 0; k < n_keys; k++)
    {
      if (k > 0)
        g_string_append_c (out, ',');
      random_blank (out);
      g_string_append_printf (out, "\"%s\"", keys[k]);
      random_blank (out);
      g_string_append_c (out, ':');
      random_blank (out);
      if (g_str_equal (keys[k], "type"))
        g_string_append_printf (out, "\"%s\"",
                                types[g_test_rand_int_range (0, G_N_ELEMENTS (types))]);
      else if (g_str_equal (keys[k], "payload_length"))
        random_int (out, FALSE);
      else if (g_test_rand_int_range (0, 10) == 0)
        g_string_append (out, "null");
      else
        {
          guint n_members = (guint) g_test_rand_int_range (0, 20);

          g_string_append_c (out, '{');
          for (guint m = 0; m < n_members; m++)
            {
              if (m > 0)
                g_string_append_c (out, ',');
              random_blank (out);
              g_string_append_printf (out, "\"%s\":",
                                      names[g_test_rand_int_range (0, G_N_ELEMENTS (names))]);
              random_blank (out);
              random_int (out, TRUE);
              random_blank (out);
            }
          g_string_append_c (out, '}');
        }
      random_blank (out);
    }
  g_string_append_c (out, '}');
  random_blank (out);

  /* Now and then, a typo */
  if (g_test_rand_int_range (0, 4) == 0)
    {
      static const char typos[] = "{}[]\":, -.e\\0n";
      gsize at = (gsize) g_test_rand_int_range (0, (gint) out->len);

      if (g_test_rand_bit ())
        out->str[at] = typos[g_test_rand_int_range (0, sizeof typos - 1)];
      else
        g_string_truncate (out, at);
    }
  return g_string_free (out, FALSE);
}

/* A header member data_length or payload_length, as parse_header() reads
 * it: TRUE with @value, or FALSE with the error code.
 */
static gboolean
oracle_length (JsonObject *header,
               const char *name,
               gint64      max,
               gint64     *value,
               gint       *code)
{
  JsonNode *node = json_object_get_member (header, name);

  *value = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  *code = MIRA_WYOMING_ERROR_MALFORMED;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  if (*value < 0)
    return FALSE;
  *code = MIRA_WYOMING_ERROR_TOO_LARGE;
  return *value <= max;
}

static void
test_header_random (void)
{
  guint8 payload[MAX_PAYLOAD];
  guint n_good = 0;
  guint n_bad = 0;
  g_autoptr(JsonParser) json = json_parser_new ();
  g_autoptr(MiraWyomingParser) ws = mira_wyoming_parser_new (MAX_PAYLOAD);
  g_autoptr(MiraWyomingParser) tcp = tcp_parser_new ();

  fill_pattern (payload, sizeof payload, 11);

  for (guint i = 0; i < 20000; i++)
    {
      g_autofree char *header = random_header ();
      g_autofree char *line = g_strconcat (header, "\n", NULL);
      g_autoptr(GPtrArray) events = events_new ();
      g_autoptr(GByteArray) frame = g_byte_array_new ();
      JsonObject *root = NULL;
      JsonNode *type = NULL;
      JsonNode *data = NULL;
      g_autofree char *expected_data = NULL;
      gint64 data_length = 0;
      gint64 payload_length = 0;
      gint code = MIRA_WYOMING_ERROR_MALFORMED;
      g_autoptr(GError) check_error = NULL;
      gboolean good;

      if (header[strspn (header, " \t\r")] == '\0')
        continue;

      /* What the header must give: strict JSON, then json-glib's reading */
      if (!mira_json_check (header, strlen (header), 32, &check_error))
        code = MIRA_WYOMING_ERROR_MALFORMED;
      else if (json_parser_load_from_data (json, header, -1, NULL)
               && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (json)))
        {
          root = json_node_get_object (json_parser_get_root (json));
          type = json_object_get_member (root, "type");
          data = json_object_get_member (root, "data");
        }
      good = root != NULL
             && type != NULL && JSON_NODE_HOLDS_VALUE (type)
             && json_node_get_value_type (type) == G_TYPE_STRING
             && *json_node_get_string (type) != '\0'
             && (data == NULL || JSON_NODE_HOLDS_NULL (data) || JSON_NODE_HOLDS_OBJECT (data))
             && oracle_length (root, "data_length", 64 * 1024, &data_length, &code)
             && oracle_length (root, "payload_length", MAX_PAYLOAD, &payload_length, &code);
      if (good && data_length > 0)
        continue;   /* data would have to follow: not this test's business */
      if (good)
        {
          g_autoptr(JsonObject) empty = json_object_new ();

          expected_data = describe_data (data != NULL && JSON_NODE_HOLDS_OBJECT (data)
                                           ? json_node_get_object (data) : empty);
        }

      g_byte_array_append (frame, (const guint8 *) line, (guint) strlen (line));
      g_byte_array_append (frame, payload, good ? (guint) payload_length : 0);

      if (!good)
        {
          n_bad++;
          assert_feed_error (ws, TRUE, line, strlen (line), code);
          assert_feed_error (tcp, FALSE, frame->data, frame->len, code);
          /* A real socket closes: start afresh */
          g_clear_pointer (&ws, mira_wyoming_parser_free);
          g_clear_pointer (&tcp, mira_wyoming_parser_free);
          ws = mira_wyoming_parser_new (MAX_PAYLOAD);
          tcp = tcp_parser_new ();
          continue;
        }

      n_good++;
      feed_text (ws, line, events);
      if (payload_length > 0)
        feed_binary (ws, payload, (gsize) payload_length, events);
      feed_binary (tcp, frame->data, frame->len, events);
      g_assert_cmpuint (events->len, ==, 2);
      for (guint e = 0; e < 2; e++)
        assert_event_is (event_at (events, e), json_node_get_string (type), expected_data,
                         payload, (gsize) payload_length);
    }
  g_test_message ("random headers: %u good, %u bad", n_good, n_bad);
  g_assert_cmpuint (n_good, >, 1000);
  g_assert_cmpuint (n_bad, >, 1000);
}

/* Fuzz --------------------------------------------------------------------- */

static const char *fuzz_seeds[] = {
  "{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,\"channels\":1},"
  "\"payload_length\":8}\n",
  "{\"type\":\"audio-start\",\"data\":{\"rate\":16000},\"payload_length\":null}\n",
  "{\"type\":\"x\",\"data_length\":9,\"payload_length\":3}\n{\"a\":[1]}abc",
  "{\"type\":\"ping\",\"version\":\"1\"}",
  "{\"type\":\"audio-stop\",\"data\":{\"timestamp\":1.5}}\n{\"type\":\"ping\"}\n",
};

static gsize
fuzz_input (guint8 *buf,
            gsize   cap)
{
  guint kind = (guint) g_test_rand_int_range (0, 4);
  gsize len;

  if (kind == 0)
    {
      /* Random bytes, sometimes starting like JSON */
      len = (gsize) g_test_rand_int_range (0, (gint) cap);
      for (gsize i = 0; i < len; i++)
        buf[i] = (guint8) g_test_rand_int_range (0, 256);
      if (len > 0 && g_test_rand_bit ())
        buf[0] = '{';
      return len;
    }

  /* A valid header, mutated */
  {
    const char *seed = fuzz_seeds[g_test_rand_int_range (0, G_N_ELEMENTS (fuzz_seeds))];
    guint n_mutations = (guint) g_test_rand_int_range (0, 6);

    len = MIN (strlen (seed), cap);
    memcpy (buf, seed, len);
    for (guint m = 0; m < n_mutations && len > 0; m++)
      {
        gsize at = (gsize) g_test_rand_int_range (0, (gint) len);
        static const char interesting[] = "{}[]\":,\n0123456789-.e\\ nultrfa\xff\x80";

        switch (g_test_rand_int_range (0, 4))
          {
          case 0:
            buf[at] = (guint8) interesting[g_test_rand_int_range (0, sizeof interesting - 1)];
            break;
          case 1:
            len = at;   /* truncate */
            break;
          case 2:
            if (len < cap)
              {
                memmove (buf + at + 1, buf + at, len - at);
                buf[at] = (guint8) interesting[g_test_rand_int_range (0, sizeof interesting - 1)];
                len++;
              }
            break;
          default:
            buf[at] = (guint8) g_test_rand_int_range (0, 256);
            break;
          }
      }
    return len;
  }
}

static void
test_fuzz (void)
{
  guint8 buf[512];
  guint n_events = 0;
  guint n_errors = 0;
  MiraWyomingParser *parser = mira_wyoming_parser_new (256);

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GPtrArray) events = events_new ();
      g_autoptr(GError) error = NULL;
      gsize len = fuzz_input (buf, sizeof buf);
      /* Private copy so ASan sees any read past len */
      g_autofree guint8 *frame = g_memdup2 (buf, len);
      gboolean ok;

      if (g_test_rand_bit ())
        ok = mira_wyoming_parser_feed_text (parser, (const char *) frame, len, events, &error);
      else
        ok = mira_wyoming_parser_feed_binary (parser, frame, len, events, &error);

      for (guint e = 0; e < events->len; e++)
        {
          MiraWyomingEvent *event = event_at (events, e);

          g_assert_nonnull (event->type);
          g_assert_cmpstr (event->type, !=, "");
          g_assert_nonnull (event->data);
          g_assert_true (event->payload == NULL || g_bytes_get_size (event->payload) <= 256);
        }
      n_events += events->len;

      if (!ok)
        {
          guint code = mira_wyoming_error_close_code (error);

          g_assert_nonnull (error);
          g_assert_true (code == 1003 || code == 1009);
          n_errors++;
          /* A real socket closes; start a new stream */
          mira_wyoming_parser_free (parser);
          parser = mira_wyoming_parser_new (256);
        }
      else
        g_assert_no_error (error);
    }
  mira_wyoming_parser_free (parser);
  g_test_message ("fuzz: %u events, %u errors", n_events, n_errors);
  g_assert_cmpuint (n_events, >, 100);
  g_assert_cmpuint (n_errors, >, 100);
}

/* A message holds at most 1,024 events, in text and in the TCP layout */
static void
test_many_events (void)
{
  for (guint n = 1024; n <= 1025; n++)
    for (guint binary = 0; binary < 2; binary++)
      {
        g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (MAX_PAYLOAD);
        g_autoptr(GPtrArray) events = events_new ();
        g_autoptr(GString) lines = g_string_new (NULL);
        g_autoptr(GError) error = NULL;
        gboolean ok;

        for (guint i = 0; i < n; i++)
          g_string_append (lines, "{\"type\":\"ping\"}\n");
        if (binary)
          ok = mira_wyoming_parser_feed_binary (parser, (const guint8 *) lines->str, lines->len,
                                                events, &error);
        else
          ok = mira_wyoming_parser_feed_text (parser, lines->str, lines->len, events, &error);
        if (n <= 1024)
          {
            g_assert_no_error (error);
            g_assert_true (ok);
            g_assert_cmpuint (events->len, ==, n);
          }
        else
          {
            g_assert_false (ok);
            g_assert_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_MANY_EVENTS);
            g_assert_cmpuint (mira_wyoming_error_close_code (error), ==, 1008);
          }
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wyoming/text/header-then-binary", test_text_then_binary);
  g_test_add_func ("/wyoming/text/no-trailing-newline", test_no_trailing_newline);
  g_test_add_func ("/wyoming/text/no-payload", test_no_payload);
  g_test_add_func ("/wyoming/text/extra-keys", test_extra_keys);
  g_test_add_func ("/wyoming/text/several-lines", test_several_lines_in_text);
  g_test_add_func ("/wyoming/text/data-length", test_data_length);
  g_test_add_func ("/wyoming/tcp/one-frame", test_tcp_one_frame);
  g_test_add_func ("/wyoming/tcp/split", test_tcp_split);
  g_test_add_func ("/wyoming/bare/after-audio-start", test_bare_pcm);
  g_test_add_func ("/wyoming/bare/default-format", test_default_format);
  g_test_add_func ("/wyoming/error/header", test_errors_header);
  g_test_add_func ("/wyoming/error/sequence", test_errors_sequence);
  g_test_add_func ("/wyoming/error/tcp", test_errors_tcp);
  g_test_add_func ("/wyoming/error/close-codes", test_close_codes);
  g_test_add_func ("/wyoming/header/variants", test_header_variants);
  g_test_add_func ("/wyoming/header/truncated", test_header_truncated);
  g_test_add_func ("/wyoming/header/repeated", test_header_repeated);
  g_test_add_func ("/wyoming/header/data-changes", test_header_data_changes);
  g_test_add_func ("/wyoming/header/random", test_header_random);
  g_test_add_func ("/wyoming/fuzz", test_fuzz);
  g_test_add_func ("/wyoming/error/many-events", test_many_events);

  return g_test_run ();
}
