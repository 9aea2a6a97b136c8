/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-wyoming"

#include "mira-wyoming.h"

#include <string.h>

#include "mira-json.h"

G_DEFINE_QUARK (mira-wyoming-error-quark, mira_wyoming_error)

/* A header line, and the `data_length` JSON after it, are small; anything
 * bigger is a client gone wrong, not a big event.
 */
#define MAX_HEADER_LEN   (64 * 1024)
/* Headers are flat: refuse deep nesting (and anything not strict JSON)
 * before json-glib, which is recursive and lenient, sees it.
 */
#define MAX_JSON_DEPTH   32
/* Events one message may hold: every one is parsed before the first is
 * handled, so a message of thousands of pings would hold the audio thread.
 */
#define MAX_EVENTS       1024
/* Limits of the fast header path; anything beyond them takes json-glib's. */
#define FAST_MAX_MEMBERS 16
#define FAST_MAX_DIGITS  18   /* any 18-digit integer fits in a gint64 */

typedef enum {
  STATE_IDLE,         /* between events */
  STATE_WS_DATA,      /* a text header announced data_length; the data is still to come */
  STATE_WS_PAYLOAD,   /* a text header announced a payload: it is the next binary frame */
  STATE_TCP,          /* binary frames carry the TCP layout; buf holds an incomplete event */
} State;

struct _MiraWyomingParser
{
  gsize              max_payload;
  State              state;
  JsonParser        *json;

  /* Header read, data and/or payload still to come */
  MiraWyomingEvent  *pending;
  gsize              data_length;
  gsize              payload_length;
  GByteArray        *buf;       /* STATE_WS_DATA: data so far; STATE_TCP: unparsed bytes */
  gboolean           tcp_layout; /* binary frames have carried headers */
  guint              events_base; /* events_out's length when this message began */

  /* Format of bare binary audio: from the last audio-start, or the default */
  gboolean           have_format;
  gint64             rate;
  gint64             width;
  gint64             channels;

  /* The `data` object of the last header read without json-glib, and its
   * text: devices repeat the same format on every chunk, so the events share
   * one object (read-only) rather than build one 50 times a second. Its
   * reference count is not atomic: like the parser, those events belong to
   * one thread at a time.
   */
  JsonObject        *fast_data;
  GByteArray        *fast_data_text;
};

MiraWyomingEvent *
mira_wyoming_event_new (const char *type,
                        JsonObject *data,
                        GBytes     *payload)
{
  MiraWyomingEvent *event;

  g_return_val_if_fail (type != NULL && *type != '\0', NULL);

  event = g_new0 (MiraWyomingEvent, 1);
  event->type = g_strdup (type);
  event->data = data != NULL ? json_object_ref (data) : json_object_new ();
  event->payload = payload != NULL ? g_bytes_ref (payload) : NULL;
  return event;
}

void
mira_wyoming_event_free (MiraWyomingEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->type);
  g_clear_pointer (&event->data, json_object_unref);
  g_clear_pointer (&event->payload, g_bytes_unref);
  g_free (event);
}

/* An integer member of data, or @default_value when it is missing or not an
 * integer.
 */
gint64
mira_wyoming_event_get_int (const MiraWyomingEvent *event,
                            const char             *name,
                            gint64                  default_value)
{
  JsonNode *node;

  g_return_val_if_fail (event != NULL, default_value);
  g_return_val_if_fail (name != NULL, default_value);

  node = json_object_get_member (event->data, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return default_value;
  return json_node_get_int (node);
}

MiraWyomingParser *
mira_wyoming_parser_new (gsize max_payload)
{
  MiraWyomingParser *self = g_new0 (MiraWyomingParser, 1);

  self->max_payload = max_payload;
  self->state = STATE_IDLE;
  self->json = json_parser_new ();
  self->buf = g_byte_array_new ();
  self->fast_data_text = g_byte_array_new ();
  return self;
}

void
mira_wyoming_parser_free (MiraWyomingParser *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->json);
  g_clear_pointer (&self->pending, mira_wyoming_event_free);
  g_clear_pointer (&self->buf, g_byte_array_unref);
  g_clear_pointer (&self->fast_data, json_object_unref);
  g_clear_pointer (&self->fast_data_text, g_byte_array_unref);
  g_free (self);
}

void
mira_wyoming_parser_set_default_format (MiraWyomingParser *self,
                                        guint              rate,
                                        guint              width,
                                        guint              channels)
{
  g_return_if_fail (self != NULL);

  self->have_format = TRUE;
  self->rate = rate;
  self->width = width;
  self->channels = channels;
}

gboolean
mira_wyoming_parser_is_idle (MiraWyomingParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->state == STATE_IDLE;
}

guint
mira_wyoming_error_close_code (const GError *error)
{
  if (error == NULL || error->domain != MIRA_WYOMING_ERROR)
    return 1008;         /* Policy Violation */
  switch ((MiraWyomingError) error->code)
    {
    case MIRA_WYOMING_ERROR_MALFORMED:
      return 1003;       /* Unsupported Data */
    case MIRA_WYOMING_ERROR_TOO_LARGE:
      return 1009;       /* Message Too Big */
    case MIRA_WYOMING_ERROR_TOO_MANY_EVENTS:
    default:
      return 1008;
    }
}

static gboolean
is_blank (const guint8 *p,
          gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
      return FALSE;
  return TRUE;
}

/* Parses a JSON text that must be an object. @what names it in messages. */
static JsonObject *
parse_object (MiraWyomingParser  *self,
              const guint8       *p,
              gsize               len,
              const char         *what,
              GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!mira_json_check ((const char *) p, len, MAX_JSON_DEPTH, &local_error))
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The event %s: %s", what,
                   local_error->message);
      return NULL;
    }
  if (!json_parser_load_from_data (self->json, (const char *) p, (gssize) len, &local_error))
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The event %s is not valid JSON: %s", what, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (self->json);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The event %s must be a JSON object", what);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* payload_length and data_length: missing or null is 0. */
static gboolean
get_length (JsonObject  *header,
            const char  *name,
            gsize        max,
            gsize       *out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (header, name);
  gint64 value;

  *out = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The event %s must be a non-negative integer or null", name);
      return FALSE;
    }
  value = json_node_get_int (node);
  if (value < 0)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The event %s must not be negative (got %" G_GINT64_FORMAT ")", name, value);
      return FALSE;
    }
  if ((guint64) value > max)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE,
                   "The event %s of %" G_GINT64_FORMAT " bytes is over the limit of %"
                   G_GSIZE_FORMAT " bytes", name, value, max);
      return FALSE;
    }
  *out = (gsize) value;
  return TRUE;
}

/* The fast header path ---------------------------------------------------
 *
 * Nearly every header is an audio-chunk of the same small shape, and
 * json-glib builds a tree, a hash table and a dozen strings for each. These
 * read a subset of JSON by hand: an object of "type" (a string), "data"
 * (null or a flat object of integers) and "payload_length" (null or an
 * integer within the limit), each at most once, in any order, with any JSON
 * blanks between tokens. Strings are printable ASCII without escapes;
 * integers have no fraction, exponent or leading zero, and at most
 * FAST_MAX_DIGITS digits. Anything else, valid or not, goes to json-glib:
 * that path alone writes error messages, and on what this one accepts the
 * two agree (tests/test-wyoming.c holds them to it).
 */

typedef struct
{
  const guint8 *name;
  gsize         name_len;
  gint64        value;
} FastMember;

static inline const guint8 *
fast_skip_blank (const guint8 *p,
                 const guint8 *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  return p;
}

/* A non-empty string without escapes: its contents in @str, @str_len. */
static gboolean
fast_string (const guint8 **pp,
             const guint8  *end,
             const guint8 **str,
             gsize         *str_len)
{
  const guint8 *p = *pp;
  const guint8 *start;

  if (p == end || *p != '"')
    return FALSE;
  start = ++p;
  while (p < end && *p != '"')
    {
      if (*p < 0x20 || *p > 0x7e || *p == '\\')
        return FALSE;
      p++;
    }
  if (p == end || p == start)
    return FALSE;
  *str = start;
  *str_len = (gsize) (p - start);
  *pp = p + 1;
  return TRUE;
}

/* What follows is for the caller to check: a '.', 'e' or letter after the
 * digits makes the token something else, and it will not find the ',' or
 * '}' it needs there.
 */
static gboolean
fast_int (const guint8 **pp,
          const guint8  *end,
          gboolean       allow_negative,
          gint64        *out)
{
  const guint8 *p = *pp;
  const guint8 *digits;
  gboolean negative = FALSE;
  gint64 value = 0;

  if (allow_negative && p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }
  digits = p;
  while (p < end && *p >= '0' && *p <= '9')
    {
      if (p - digits == FAST_MAX_DIGITS)
        return FALSE;
      value = value * 10 + (*p - '0');
      p++;
    }
  if (p == digits || (*digits == '0' && p - digits > 1))
    return FALSE;
  *out = negative ? -value : value;
  *pp = p;
  return TRUE;
}

static gboolean
fast_null (const guint8 **pp,
           const guint8  *end)
{
  if (end - *pp < 4 || memcmp (*pp, "null", 4) != 0)
    return FALSE;
  *pp += 4;
  return TRUE;
}

static inline gboolean
fast_name_is (const guint8 *name,
              gsize         name_len,
              const char   *literal)
{
  return name_len == strlen (literal) && memcmp (name, literal, name_len) == 0;
}

/* The flat object of integers at *@pp, which starts with '{'. The object
 * belongs to @self; events take a reference and must not change it.
 */
static JsonObject *
fast_data (MiraWyomingParser  *self,
           const guint8      **pp,
           const guint8       *end)
{
  const guint8 *start = *pp;
  const guint8 *p;
  FastMember members[FAST_MAX_MEMBERS];
  guint n_members = 0;
  JsonObject *object;

  g_assert (*start == '{');

  /* The cached text is a whole object: where it is repeated, so is the object */
  if (self->fast_data != NULL
      && (gsize) (end - start) >= self->fast_data_text->len
      && memcmp (start, self->fast_data_text->data, self->fast_data_text->len) == 0)
    {
      *pp = start + self->fast_data_text->len;
      return self->fast_data;
    }

  p = fast_skip_blank (start + 1, end);
  if (p < end && *p == '}')
    p++;
  else
    for (;;)
      {
        FastMember *member = &members[n_members];

        if (!fast_string (&p, end, &member->name, &member->name_len))
          return NULL;
        /* Duplicates are rare, and json-glib's to resolve */
        for (guint i = 0; i < n_members; i++)
          if (members[i].name_len == member->name_len
              && memcmp (members[i].name, member->name, member->name_len) == 0)
            return NULL;
        p = fast_skip_blank (p, end);
        if (p == end || *p != ':')
          return NULL;
        p = fast_skip_blank (p + 1, end);
        if (!fast_int (&p, end, TRUE, &member->value))
          return NULL;
        n_members++;

        p = fast_skip_blank (p, end);
        if (p < end && *p == '}')
          {
            p++;
            break;
          }
        if (p == end || *p != ',' || n_members == FAST_MAX_MEMBERS)
          return NULL;
        p = fast_skip_blank (p + 1, end);
      }

  object = json_object_new ();
  for (guint i = 0; i < n_members; i++)
    {
      g_autofree char *name = g_strndup ((const char *) members[i].name, members[i].name_len);

      json_object_set_int_member (object, name, members[i].value);
    }
  g_clear_pointer (&self->fast_data, json_object_unref);
  self->fast_data = object;
  g_byte_array_set_size (self->fast_data_text, 0);
  g_byte_array_append (self->fast_data_text, start, (guint) (p - start));
  *pp = p;
  return object;
}

/* parse_header() for a header of the common shape, without json-glib.
 * FALSE, with no event made, when the header is of any other shape.
 */
static gboolean
parse_header_fast (MiraWyomingParser *self,
                   const guint8      *p,
                   gsize              len)
{
  const guint8 *end = p + len;
  const guint8 *type = NULL;
  gsize type_len = 0;
  JsonObject *data = NULL;
  gboolean have_data = FALSE;
  gboolean have_payload_length = FALSE;
  gint64 payload_length = 0;
  MiraWyomingEvent *event;

  p = fast_skip_blank (p, end);
  if (p == end || *p != '{')
    return FALSE;
  p = fast_skip_blank (p + 1, end);

  for (;;)
    {
      const guint8 *name;
      gsize name_len;

      if (!fast_string (&p, end, &name, &name_len))
        return FALSE;
      p = fast_skip_blank (p, end);
      if (p == end || *p != ':')
        return FALSE;
      p = fast_skip_blank (p + 1, end);

      if (type == NULL && fast_name_is (name, name_len, "type"))
        {
          if (!fast_string (&p, end, &type, &type_len))
            return FALSE;
        }
      else if (!have_data && fast_name_is (name, name_len, "data"))
        {
          have_data = TRUE;
          if (p < end && *p == '{')
            {
              data = fast_data (self, &p, end);
              if (data == NULL)
                return FALSE;
            }
          else if (!fast_null (&p, end))
            return FALSE;
        }
      else if (!have_payload_length && fast_name_is (name, name_len, "payload_length"))
        {
          have_payload_length = TRUE;
          if (!fast_null (&p, end) && !fast_int (&p, end, FALSE, &payload_length))
            return FALSE;
        }
      else
        return FALSE;

      p = fast_skip_blank (p, end);
      if (p < end && *p == '}')
        break;
      if (p == end || *p != ',')
        return FALSE;
      p = fast_skip_blank (p + 1, end);
    }

  /* No type, or a payload over the limit: the json-glib path words the error */
  if (type == NULL || fast_skip_blank (p + 1, end) != end
      || (guint64) payload_length > self->max_payload)
    return FALSE;

  event = g_new0 (MiraWyomingEvent, 1);
  event->type = g_strndup ((const char *) type, type_len);
  event->data = data != NULL ? json_object_ref (data) : json_object_new ();
  self->pending = event;
  self->data_length = 0;
  self->payload_length = (gsize) payload_length;
  return TRUE;
}

/* Reads one header line into self->pending, data_length, payload_length. */
static gboolean
parse_header (MiraWyomingParser  *self,
              const guint8       *line,
              gsize               len,
              GError            **error)
{
  g_autoptr(JsonObject) header = NULL;
  JsonNode *type;
  JsonNode *data;
  JsonObject *data_object = NULL;

  g_assert (self->pending == NULL);

  if (len > MAX_HEADER_LEN)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE,
                   "The event header is over the limit of %d bytes", MAX_HEADER_LEN);
      return FALSE;
    }
  if (parse_header_fast (self, line, len))
    return TRUE;

  header = parse_object (self, line, len, "header", error);
  if (header == NULL)
    return FALSE;

  type = json_object_get_member (header, "type");
  if (type == NULL || !JSON_NODE_HOLDS_VALUE (type)
      || json_node_get_value_type (type) != G_TYPE_STRING
      || *json_node_get_string (type) == '\0')
    {
      g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "The event header needs a \"type\" string");
      return FALSE;
    }

  data = json_object_get_member (header, "data");
  if (data != NULL && JSON_NODE_HOLDS_OBJECT (data))
    data_object = json_node_get_object (data);
  else if (data != NULL && !JSON_NODE_HOLDS_NULL (data))
    {
      g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "The event \"data\" must be an object");
      return FALSE;
    }

  if (!get_length (header, "data_length", MAX_HEADER_LEN, &self->data_length, error)
      || !get_length (header, "payload_length", self->max_payload, &self->payload_length, error))
    return FALSE;

  self->pending = mira_wyoming_event_new (json_node_get_string (type), data_object, NULL);
  return TRUE;
}

/* Merges the data_length JSON over the pending event's data. */
static gboolean
merge_data (MiraWyomingParser  *self,
            const guint8       *p,
            gsize               len,
            GError            **error)
{
  g_autoptr(JsonObject) extra = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  extra = parse_object (self, p, len, "data (data_length)", error);
  if (extra == NULL)
    return FALSE;

  json_object_iter_init (&iter, extra);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (self->pending->data, name, json_node_copy (node));
  return TRUE;
}

static void
emit (MiraWyomingParser *self,
      MiraWyomingEvent  *event,
      GPtrArray         *events_out)
{
  if (g_str_equal (event->type, "audio-start"))
    {
      self->have_format = TRUE;
      self->rate = mira_wyoming_event_get_int (event, "rate", 16000);
      self->width = mira_wyoming_event_get_int (event, "width", 2);
      self->channels = mira_wyoming_event_get_int (event, "channels", 1);
    }
  g_ptr_array_add (events_out, event);
}

/* The pending event has its data; its payload (if any) is @payload. */
static void
emit_pending (MiraWyomingParser *self,
              const guint8      *payload,
              gsize              payload_len,
              GPtrArray         *events_out)
{
  MiraWyomingEvent *event = g_steal_pointer (&self->pending);

  g_assert (event != NULL);
  g_assert (payload_len == self->payload_length);

  if (payload_len > 0)
    event->payload = g_bytes_new (payload, payload_len);
  self->data_length = 0;
  self->payload_length = 0;
  self->state = STATE_IDLE;
  emit (self, event, events_out);
}

static gboolean
payload_size_error (MiraWyomingParser  *self,
                    gsize               got,
                    GError            **error)
{
  g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
               "The \"%s\" header announced a payload of %" G_GSIZE_FORMAT
               " bytes but the binary frame holds %" G_GSIZE_FORMAT,
               self->pending->type, self->payload_length, got);
  return FALSE;
}

/* WebSocket layout: header lines in a text frame. */
static gboolean
too_many_events (GError **error)
{
  g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_MANY_EVENTS,
               "More than %d events in one message", MAX_EVENTS);
  return FALSE;
}

static gboolean
feed_text_idle (MiraWyomingParser  *self,
                const guint8       *p,
                gsize               len,
                GPtrArray          *events_out,
                GError            **error)
{
  gsize pos = 0;

  while (pos < len)
    {
      const guint8 *nl = memchr (p + pos, '\n', len - pos);
      gsize line_end = nl != NULL ? (gsize) (nl - p) : len;
      gsize avail;

      if (is_blank (p + pos, line_end - pos))
        {
          pos = nl != NULL ? line_end + 1 : len;
          continue;
        }
      if (events_out->len - self->events_base >= MAX_EVENTS)
        return too_many_events (error);
      if (!parse_header (self, p + pos, line_end - pos, error))
        return FALSE;
      pos = nl != NULL ? line_end + 1 : len;

      if (self->data_length > 0)
        {
          avail = len - pos;
          if (avail < self->data_length)
            {
              /* The rest of the data comes in the next frame(s) */
              g_byte_array_set_size (self->buf, 0);
              g_byte_array_append (self->buf, p + pos, (guint) avail);
              self->state = STATE_WS_DATA;
              return TRUE;
            }
          if (!merge_data (self, p + pos, self->data_length, error))
            return FALSE;
          pos += self->data_length;
        }

      if (self->payload_length > 0)
        {
          if (!is_blank (p + pos, len - pos))
            {
              g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "Text follows the \"%s\" header, but its %" G_GSIZE_FORMAT
                           "-byte payload must come first, in a binary frame",
                           self->pending->type, self->payload_length);
              return FALSE;
            }
          self->state = STATE_WS_PAYLOAD;
          return TRUE;
        }
      emit_pending (self, NULL, 0, events_out);
    }
  return TRUE;
}

/* The rest of a data_length JSON, in the frame(s) after its header. The
 * payload may follow the data in the same binary frame.
 */
static gboolean
feed_ws_data (MiraWyomingParser  *self,
              const guint8       *p,
              gsize               len,
              gboolean            is_text,
              GPtrArray          *events_out,
              GError            **error)
{
  gsize need = self->data_length - self->buf->len;
  gsize take = MIN (need, len);

  g_byte_array_append (self->buf, p, (guint) take);
  if (self->buf->len < self->data_length)
    return TRUE;

  if (!merge_data (self, self->buf->data, self->buf->len, error))
    return FALSE;
  g_byte_array_set_size (self->buf, 0);
  p += take;
  len -= take;

  if (is_text)
    {
      if (!is_blank (p, len))
        {
          g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                       "The \"%s\" header announced %" G_GSIZE_FORMAT
                       " bytes of data, but more text follows them",
                       self->pending->type, self->data_length);
          return FALSE;
        }
      len = 0;
    }

  if (self->payload_length == 0)
    {
      if (len > 0)
        {
          g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                       "The \"%s\" header announced no payload, but %" G_GSIZE_FORMAT
                       " bytes follow its data", self->pending->type, len);
          return FALSE;
        }
      emit_pending (self, NULL, 0, events_out);
      return TRUE;
    }
  if (len == 0)
    {
      self->state = STATE_WS_PAYLOAD;
      return TRUE;
    }
  if (len != self->payload_length)
    return payload_size_error (self, len, error);
  emit_pending (self, p, len, events_out);
  return TRUE;
}

/* A partial header at the end of a TCP-layout frame must look like text
 * starting with '{': otherwise a payload_length was too small and what
 * follows is audio.
 */
static gboolean
check_partial_header (const guint8  *p,
                      gsize          len,
                      GError       **error)
{
  gsize i = 0;

  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    i++;
  if (i < len && p[i] != '{')
    goto fail;
  for (; i < len; i++)
    if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
      goto fail;
  if (len > MAX_HEADER_LEN)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE,
                   "The event header is over the limit of %d bytes", MAX_HEADER_LEN);
      return FALSE;
    }
  return TRUE;

fail:
  g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                       "Binary data where an event header was expected "
                       "(a payload_length smaller than its payload?)");
  return FALSE;
}

/* TCP layout in binary frames: header line, data, payload, repeated.
 * Parses what is complete in @p and keeps the rest in self->buf.
 */
static gboolean
parse_stream (MiraWyomingParser  *self,
              const guint8       *p,
              gsize               len,
              GPtrArray          *events_out,
              GError            **error)
{
  gsize pos = 0;

  for (;;)
    {
      if (self->pending == NULL)
        {
          const guint8 *nl = memchr (p + pos, '\n', len - pos);
          gsize line_end;

          if (nl == NULL)
            {
              if (!check_partial_header (p + pos, len - pos, error))
                return FALSE;
              break;
            }
          line_end = (gsize) (nl - p);
          if (events_out->len - self->events_base >= MAX_EVENTS)
            return too_many_events (error);
          if (!is_blank (p + pos, line_end - pos)
              && !parse_header (self, p + pos, line_end - pos, error))
            return FALSE;
          pos = line_end + 1;
        }
      else
        {
          gsize avail = len - pos;
          gsize data_length = self->data_length;
          gsize payload_length = self->payload_length;

          if (avail < data_length || avail - data_length < payload_length)
            break;
          if (data_length > 0 && !merge_data (self, p + pos, data_length, error))
            return FALSE;
          pos += data_length;
          emit_pending (self, p + pos, payload_length, events_out);
          pos += payload_length;
        }
    }

  /* Keep the incomplete rest; p may point into self->buf itself. */
  if (pos == len)
    g_byte_array_set_size (self->buf, 0);
  else if (p == self->buf->data)
    g_byte_array_remove_range (self->buf, 0, (guint) pos);
  else
    {
      g_byte_array_set_size (self->buf, 0);
      g_byte_array_append (self->buf, p + pos, (guint) (len - pos));
    }
  self->state = self->buf->len > 0 || self->pending != NULL ? STATE_TCP : STATE_IDLE;
  return TRUE;
}

/* Does a binary frame, arriving between events, start a TCP-layout event
 * (as opposed to bare audio)? Audio can start with '{' by chance, so when
 * bare audio is allowed, only a line that is a JSON object with a "type",
 * or an unfinished line that is plainly text, counts as a header.
 */
static gboolean
starts_tcp_event (MiraWyomingParser *self,
                  const guint8      *p,
                  gsize              len)
{
  const guint8 *nl;
  gsize line_len;

  if (len == 0 || p[0] != '{')
    return FALSE;
  if (!self->have_format)
    return TRUE;

  nl = memchr (p, '\n', MIN (len, MAX_HEADER_LEN + 1));
  line_len = nl != NULL ? (gsize) (nl - p) : len;

  if (nl == NULL)
    {
      /* A header split over frames: text, and either long or plainly Wyoming */
      if (len > MAX_HEADER_LEN)
        return FALSE;
      for (gsize i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] >= 0x7f)
          return FALSE;
      return len >= 32 || (len >= 7 && memcmp (p, "{\"type\"", 7) == 0);
    }

  if (!mira_json_check ((const char *) p, line_len, MAX_JSON_DEPTH, NULL)
      || !json_parser_load_from_data (self->json, (const char *) p, (gssize) line_len, NULL))
    return FALSE;
  {
    JsonNode *root = json_parser_get_root (self->json);
    JsonObject *object;
    JsonNode *type;

    if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
      return FALSE;
    object = json_node_get_object (root);
    type = json_object_get_member (object, "type");
    return type != NULL && JSON_NODE_HOLDS_VALUE (type)
           && json_node_get_value_type (type) == G_TYPE_STRING;
  }
}

gboolean
mira_wyoming_parser_feed_text (MiraWyomingParser  *self,
                               const char         *data,
                               gsize               len,
                               GPtrArray          *events_out,
                               GError            **error)
{
  const guint8 *p = (const guint8 *) data;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (events_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "A text frame is not valid UTF-8");
      return FALSE;
    }
  self->events_base = events_out->len;

  switch (self->state)
    {
    case STATE_IDLE:
      return feed_text_idle (self, p, len, events_out, error);

    case STATE_WS_DATA:
      return feed_ws_data (self, p, len, TRUE, events_out, error);

    case STATE_WS_PAYLOAD:
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                   "The \"%s\" header announced a %" G_GSIZE_FORMAT
                   "-byte payload, but a text frame came instead of it",
                   self->pending->type, self->payload_length);
      return FALSE;

    case STATE_TCP:
    default:
      g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "A text frame came while an event sent in binary frames "
                           "was incomplete");
      return FALSE;
    }
}

gboolean
mira_wyoming_parser_feed_binary (MiraWyomingParser  *self,
                                 const guint8       *data,
                                 gsize               len,
                                 GPtrArray          *events_out,
                                 GError            **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (events_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->events_base = events_out->len;

  switch (self->state)
    {
    case STATE_WS_PAYLOAD:
      if (len != self->payload_length)
        return payload_size_error (self, len, error);
      emit_pending (self, data, len, events_out);
      return TRUE;

    case STATE_WS_DATA:
      return feed_ws_data (self, data, len, FALSE, events_out, error);

    case STATE_TCP:
      if (self->buf->len + (guint64) len > G_MAXUINT)
        {
          g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE,
                               "An event sent in binary frames is too large");
          return FALSE;
        }
      g_byte_array_append (self->buf, data, (guint) len);
      return parse_stream (self, self->buf->data, self->buf->len, events_out, error);

    case STATE_IDLE:
    default:
      break;
    }

  if (len == 0)
    return TRUE;

  /* A client that used the TCP layout in binary frames keeps to it: its
   * frames may split anywhere, even a few bytes into a header.
   */
  if (self->tcp_layout || starts_tcp_event (self, data, len))
    {
      self->tcp_layout = TRUE;
      return parse_stream (self, data, len, events_out, error);
    }

  if (!self->have_format)
    {
      g_set_error_literal (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_MALFORMED,
                           "A binary frame came before any \"audio-start\" event and "
                           "without a header announcing it");
      return FALSE;
    }
  if (len > self->max_payload)
    {
      g_set_error (error, MIRA_WYOMING_ERROR, MIRA_WYOMING_ERROR_TOO_LARGE,
                   "A binary frame of %" G_GSIZE_FORMAT " bytes is over the limit of %"
                   G_GSIZE_FORMAT " bytes", len, self->max_payload);
      return FALSE;
    }

  /* Bare audio after audio-start: an audio-chunk in the announced format */
  {
    g_autoptr(JsonObject) chunk_data = json_object_new ();
    g_autoptr(GBytes) payload = g_bytes_new (data, len);

    json_object_set_int_member (chunk_data, "rate", self->rate);
    json_object_set_int_member (chunk_data, "width", self->width);
    json_object_set_int_member (chunk_data, "channels", self->channels);
    emit (self, mira_wyoming_event_new ("audio-chunk", chunk_data, payload), events_out);
  }
  return TRUE;
}
