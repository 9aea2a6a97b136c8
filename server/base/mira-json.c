/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-json"

/* JSON from outside, checked before json-glib sees it.
 *
 * json-glib is lenient (single-quoted strings, bare words) and recursive,
 * and it decodes "\u0000" by cutting the string there and a lone
 * surrogate into bytes that are not UTF-8. So every JSON text a peer sends
 * is first scanned here, without recursion: strict RFC 8259 grammar,
 * nesting bounded, and every string (member names too) decoded to valid
 * UTF-8 without U+0000. Only then is it parsed.
 */

#include "mira-json.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (mira-json-error-quark, mira_json_error)

typedef struct
{
  gboolean      object;
  const guchar *key;        /* the member being read, as sent, or NULL */
  gsize         key_len;
  guint         index;      /* of the element being read, in an array */
} Level;

typedef struct
{
  const guchar *start;
  const guchar *p;
  const guchar *end;
  guint         depth;
  guint         max_depth;
  Level         levels[MIRA_JSON_MAX_DEPTH];
  GError       *syntax;     /* the first error of grammar or depth */
  GError       *text;       /* the first string that is not valid text */
} Scanner;

static void
syntax_error (Scanner    *s,
              const char *what)
{
  if (s->syntax == NULL)
    s->syntax = g_error_new (MIRA_JSON_ERROR, MIRA_JSON_ERROR_SYNTAX,
                             "Malformed JSON at byte %" G_GSIZE_FORMAT ": %s",
                             (gsize) (s->p - s->start), what);
}

static gboolean
is_plain_name (const guchar *name,
               gsize         len)
{
  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (name[i] < 0x20 || name[i] >= 0x7f || name[i] == '\\' || name[i] == '\'')
      return FALSE;
  return TRUE;
}

/* Where the string being read sits, as a path: content, metadata.note,
 * attendees[2]. @is_key: the string is a member name, not a value.
 */
static char *
field_path (Scanner  *s,
            gboolean  is_key)
{
  GString *path = g_string_new (NULL);

  for (guint i = 0; i < s->depth; i++)
    {
      const Level *level = &s->levels[i];

      if (is_key && i == s->depth - 1)
        break;
      if (!level->object)
        g_string_append_printf (path, "[%u]", level->index);
      else if (level->key != NULL && is_plain_name (level->key, level->key_len))
        {
          if (path->len > 0)
            g_string_append_c (path, '.');
          g_string_append_len (path, (const char *) level->key, level->key_len);
        }
      else
        g_string_append (path, path->len > 0 ? ".?" : "?");
    }
  return g_string_free (path, FALSE);
}

static void
text_error (Scanner    *s,
            gboolean    is_key,
            const char *what)
{
  g_autofree char *path = NULL;

  if (s->text != NULL)
    return;
  path = field_path (s, is_key);
  if (is_key)
    s->text = g_error_new (MIRA_JSON_ERROR, MIRA_JSON_ERROR_BAD_TEXT,
                           "A member name in %s%s%s must be valid text: it holds %s",
                           path[0] ? "field '" : "the body", path, path[0] ? "'" : "", what);
  else if (path[0] == '\0')
    s->text = g_error_new (MIRA_JSON_ERROR, MIRA_JSON_ERROR_BAD_TEXT,
                           "The body must be valid text: it holds %s", what);
  else
    s->text = g_error_new (MIRA_JSON_ERROR, MIRA_JSON_ERROR_BAD_TEXT,
                           "Field '%s' must be valid text: it holds %s", path, what);
}

static void
skip_blank (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gint
hex4 (const guchar *p)
{
  gint value = 0;

  for (guint i = 0; i < 4; i++)
    {
      gint digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* Length of the UTF-8 sequence at @p (Unicode 15, table 3-7: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static guint
utf8_sequence (const guchar *p,
               const guchar *end)
{
  gsize avail = (gsize) (end - p);
  guchar b = p[0];
  guchar lo = 0x80, hi = 0xbf;
  guint n;

  if (b >= 0xc2 && b <= 0xdf)
    n = 2;
  else if (b >= 0xe0 && b <= 0xef)
    {
      n = 3;
      if (b == 0xe0)
        lo = 0xa0;
      else if (b == 0xed)
        hi = 0x9f;
    }
  else if (b >= 0xf0 && b <= 0xf4)
    {
      n = 4;
      if (b == 0xf0)
        lo = 0x90;
      else if (b == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if (avail < n || p[1] < lo || p[1] > hi)
    return 0;
  for (guint i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

/* A string, @s->p on its opening quote. */
static gboolean
scan_string (Scanner  *s,
             gboolean  is_key)
{
  s->p++;
  while (s->p < s->end)
    {
      guchar b = *s->p;

      if (b == '"')
        {
          s->p++;
          return TRUE;
        }
      if (b < 0x20)
        {
          syntax_error (s, "a control character inside a string must be escaped");
          return FALSE;
        }
      if (b >= 0x80)
        {
          guint n = utf8_sequence (s->p, s->end);

          if (n == 0)
            {
              text_error (s, is_key, "bytes that are not UTF-8");
              n = 1;
            }
          s->p += n;
          continue;
        }
      if (b != '\\')
        {
          s->p++;
          continue;
        }

      /* An escape */
      if (s->end - s->p < 2)
        break;
      switch (s->p[1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          s->p += 2;
          continue;
        case 'u':
          break;
        default:
          syntax_error (s, "an unknown escape in a string");
          return FALSE;
        }
      {
        gint unit = s->end - s->p >= 6 ? hex4 (s->p + 2) : -1;

        if (unit < 0)
          {
            syntax_error (s, "\\u must be followed by four hexadecimal digits");
            return FALSE;
          }
        s->p += 6;
        if (unit == 0)
          text_error (s, is_key, "U+0000 (NUL)");
        else if (unit >= 0xdc00 && unit <= 0xdfff)
          text_error (s, is_key, "a lone UTF-16 surrogate");
        else if (unit >= 0xd800 && unit <= 0xdbff)
          {
            gint low = s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u'
                         ? hex4 (s->p + 2) : -1;

            if (low >= 0xdc00 && low <= 0xdfff)
              s->p += 6;
            else
              text_error (s, is_key, "a lone UTF-16 surrogate");
          }
      }
    }
  syntax_error (s, "a string is not terminated");
  return FALSE;
}

static gboolean
scan_digits (Scanner *s)
{
  const guchar *from = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > from;
}

static gboolean
scan_number (Scanner *s)
{
  if (*s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    goto bad;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (!scan_digits (s))
        goto bad;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        goto bad;
    }
  return TRUE;

bad:
  syntax_error (s, "a malformed number");
  return FALSE;
}

static gboolean
scan_word (Scanner    *s,
           const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (s->end - s->p) < len || memcmp (s->p, word, len) != 0)
    {
      syntax_error (s, "an unexpected character (strings take double quotes)");
      return FALSE;
    }
  s->p += len;
  return TRUE;
}

/* A member name and its colon, @s->p on the name. */
static gboolean
scan_member_name (Scanner *s)
{
  Level *level = &s->levels[s->depth - 1];
  const guchar *name;

  if (s->p >= s->end || *s->p != '"')
    {
      syntax_error (s, "a member name must be a double-quoted string");
      return FALSE;
    }
  name = s->p + 1;
  level->key = NULL;
  if (!scan_string (s, TRUE))
    return FALSE;
  level->key = name;
  level->key_len = (gsize) (s->p - 1 - name);
  skip_blank (s);
  if (s->p >= s->end || *s->p != ':')
    {
      syntax_error (s, "a member name must be followed by ':'");
      return FALSE;
    }
  s->p++;
  return TRUE;
}

static gboolean
push (Scanner  *s,
      gboolean  object)
{
  if (s->depth >= s->max_depth)
    {
      if (s->syntax == NULL)
        s->syntax = g_error_new (MIRA_JSON_ERROR, MIRA_JSON_ERROR_TOO_DEEP,
                                 "JSON nests deeper than %u levels", s->max_depth);
      return FALSE;
    }
  s->levels[s->depth].object = object;
  s->levels[s->depth].key = NULL;
  s->levels[s->depth].index = 0;
  s->depth++;
  s->p++;
  return TRUE;
}

static gboolean
scan (Scanner *s)
{
  skip_blank (s);

value:
  skip_blank (s);
  if (s->p >= s->end)
    {
      syntax_error (s, "the text ends where a value should be");
      return FALSE;
    }
  switch (*s->p)
    {
    case '{':
      if (!push (s, TRUE))
        return FALSE;
      skip_blank (s);
      if (s->p < s->end && *s->p == '}')
        {
          s->p++;
          s->depth--;
          goto after_value;
        }
      if (!scan_member_name (s))
        return FALSE;
      goto value;
    case '[':
      if (!push (s, FALSE))
        return FALSE;
      skip_blank (s);
      if (s->p < s->end && *s->p == ']')
        {
          s->p++;
          s->depth--;
          goto after_value;
        }
      goto value;
    case '"':
      if (!scan_string (s, FALSE))
        return FALSE;
      break;
    case 't':
      if (!scan_word (s, "true"))
        return FALSE;
      break;
    case 'f':
      if (!scan_word (s, "false"))
        return FALSE;
      break;
    case 'n':
      if (!scan_word (s, "null"))
        return FALSE;
      break;
    default:
      if (*s->p != '-' && !g_ascii_isdigit (*s->p))
        {
          syntax_error (s, "an unexpected character (strings take double quotes)");
          return FALSE;
        }
      if (!scan_number (s))
        return FALSE;
      break;
    }

after_value:
  skip_blank (s);
  if (s->depth == 0)
    {
      if (s->p != s->end)
        {
          syntax_error (s, "more follows the value");
          return FALSE;
        }
      return TRUE;
    }
  if (s->p >= s->end)
    {
      syntax_error (s, "the text ends inside an object or array");
      return FALSE;
    }
  {
    Level *level = &s->levels[s->depth - 1];

    if (*s->p == ',')
      {
        s->p++;
        skip_blank (s);
        if (level->object)
          {
            if (!scan_member_name (s))
              return FALSE;
          }
        else
          level->index++;
        goto value;
      }
    if (*s->p == (level->object ? '}' : ']'))
      {
        s->p++;
        s->depth--;
        goto after_value;
      }
  }
  syntax_error (s, "expected ',' or the end of the object or array");
  return FALSE;
}

/**
 * mira_json_check:
 * @data: a JSON text from a peer (need not be nul-terminated)
 * @len: its length in bytes
 * @max_depth: how deep objects and arrays may nest, at most
 *   %MIRA_JSON_MAX_DEPTH
 * @error: %MIRA_JSON_ERROR_SYNTAX when @data is not strict JSON (RFC 8259:
 *   double-quoted strings, no comments, nothing after the value),
 *   %MIRA_JSON_ERROR_TOO_DEEP when it nests deeper than @max_depth;
 *   %MIRA_JSON_ERROR_BAD_TEXT, with the field's path in
 *   the message, when a string decodes to something other than valid UTF-8
 *   without U+0000 (a lone surrogate escape, "\u0000", bytes that are not
 *   UTF-8)
 *
 * Checks @data without recursion, in one pass.
 *
 * Returns: whether json-glib may parse @data
 */
gboolean
mira_json_check (const char  *data,
                 gsize        len,
                 guint        max_depth,
                 GError     **error)
{
  Scanner s = { 0 };

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (max_depth > 0 && max_depth <= MIRA_JSON_MAX_DEPTH, FALSE);

  s.start = s.p = (const guchar *) data;
  s.end = s.start + len;
  s.max_depth = max_depth;
  scan (&s);
  if (s.syntax != NULL)
    {
      g_clear_error (&s.text);
      g_propagate_error (error, s.syntax);
      return FALSE;
    }
  if (s.text != NULL)
    {
      g_propagate_error (error, s.text);
      return FALSE;
    }
  return TRUE;
}

/**
 * mira_json_parse:
 * @data: a JSON text from a peer
 * @len: its length in bytes
 * @max_depth: as for mira_json_check()
 * @error: as for mira_json_check()
 *
 * mira_json_check(), then json-glib.
 *
 * Returns: (transfer full): the root node, or %NULL
 */
JsonNode *
mira_json_parse (const char  *data,
                 gsize        len,
                 guint        max_depth,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  if (!mira_json_check (data, len, max_depth, error))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, MIRA_JSON_ERROR, MIRA_JSON_ERROR_SYNTAX, "Malformed JSON: %s",
                   local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, MIRA_JSON_ERROR, MIRA_JSON_ERROR_SYNTAX, "Malformed JSON: no value");
      return NULL;
    }
  return json_node_ref (root);
}

/**
 * mira_json_format_double:
 * @buffer: (out caller-allocates): at least G_ASCII_DTOSTR_BUF_SIZE bytes
 * @value: a number
 *
 * Writes @value as the shortest decimal that reads back as the same double
 * (0.35, not 0.34999999999999998 as json-glib's "%.17g" writes it), in the
 * C locale; JSON's null for NaN and the infinities, which it cannot hold.
 *
 * Returns: @buffer
 */
char *
mira_json_format_double (char   *buffer,
                         double  value)
{
  if (!isfinite (value))
    return strcpy (buffer, "null");
  /* Most doubles a person wrote read back from 15 digits; none needs more than 17 */
  for (int digits = 15; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, G_ASCII_DTOSTR_BUF_SIZE, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  return buffer;
}

static void
append_string (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if ((guchar) *p < 0x20)
            g_string_append_printf (out, "\\u%04x", (guchar) *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_newline (GString  *out,
                gboolean  pretty,
                guint     depth)
{
  if (!pretty)
    return;
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

static void
append_node (GString  *out,
             JsonNode *node,
             gboolean  pretty,
             guint     depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) names = json_object_get_members (object);

        g_string_append_c (out, '{');
        for (GList *l = names; l != NULL; l = l->next)
          {
            append_newline (out, pretty, depth + 1);
            append_string (out, l->data);
            g_string_append (out, pretty ? " : " : ":");
            append_node (out, json_object_get_member (object, l->data), pretty, depth + 1);
            if (l->next != NULL)
              g_string_append_c (out, ',');
          }
        if (names != NULL)
          append_newline (out, pretty, depth);
        g_string_append_c (out, '}');
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            append_newline (out, pretty, depth + 1);
            append_node (out, json_array_get_element (array, i), pretty, depth + 1);
            if (i + 1 < n)
              g_string_append_c (out, ',');
          }
        if (n > 0)
          append_newline (out, pretty, depth);
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          append_string (out, json_node_get_string (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_DOUBLE:
          {
            char buffer[G_ASCII_DTOSTR_BUF_SIZE];

            g_string_append (out, mira_json_format_double (buffer, json_node_get_double (node)));
          }
          break;
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/**
 * mira_json_to_string:
 * @node: a JSON tree
 * @pretty: whether to indent it (two spaces a level, as json-glib does)
 *
 * Writes @node as JSON text. Not json_to_string(): json-glib 1.6 writes
 * doubles with 17 digits (0.35 as 0.34999999999999998; here the shortest
 * text that reads back the same, mira_json_format_double()), and writes
 * U+001F as it is, which RFC 8259 forbids and strict readers (SQLite's
 * json_valid(), PostgreSQL's json, Python's json) refuse; here every
 * control character is escaped. Objects keep their members' order.
 *
 * Returns: (transfer full): the JSON text, UTF-8
 */
char *
mira_json_to_string (JsonNode *node,
                     gboolean  pretty)
{
  GString *out = g_string_sized_new (256);

  append_node (out, node, pretty, 0);
  return g_string_free (out, FALSE);
}
