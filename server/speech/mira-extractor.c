/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-extractor"

/* The built-in English extractor.
 *
 * The text becomes tokens (lowercase words, numbers read from words or
 * digits, "p m" joined to "pm"), split into clauses at sentence ends and
 * before a second request ("… and remind me to …"). In each clause the time
 * phrases are found first and marked as used; then the clause's opening words
 * say what it asks (remind, schedule, contact, or nothing), and the words left
 * unused make the title, names, location and details.
 */

#include "mira-extractor.h"

#include <string.h>

#include "mira-time.h"
#include "mira-util.h"

G_DEFINE_QUARK (mira-extractor-error-quark, mira_extractor_error)

/* A reminder or event without a time: this long after the words */
#define DEFAULT_DELAY_S   3600
/* An event without an end: this long */
#define DEFAULT_LENGTH_S  3600
/* A day without a time: at this hour */
#define DEFAULT_HOUR      9
#define MAX_NAME_WORDS    4
/* A request is a sentence or two; a long text's requests are at its start */
#define MAX_TEXT_BYTES    2000

typedef struct {
  char     *word;      /* lowercase */
  char     *orig;      /* as written */
  gint      number;    /* a cardinal's value, else -1 */
  gint      ordinal;   /* an ordinal's value (3rd, third), else -1 */
  gint      hour;      /* "5:30" → 5 and 30, else -1 */
  gint      minute;
  gboolean  zero_led;  /* "09:30", "0930": a 24-hour clock */
  gboolean  boundary;  /* a sentence ends after it */
  gboolean  used;      /* part of a time or priority phrase */
} Token;

typedef struct {
  gint      day_offset;     /* days after today, or -1 */
  gint      weekday;        /* 1 (Monday) … 7, or 0 */
  gboolean  weekday_this;   /* "this friday": today counts */
  gint      month, day;     /* a calendar date, or 0 */
  gint      year;           /* 0: this year or the next */
  gint      hour, minute;   /* a clock time, or -1 */
  gint      meridiem;       /* 0 unsaid, 1 am, 2 pm */
  gboolean  clock24;
  gint      part_hour;      /* from "morning", "evening"…, or -1 */
  gint      part_meridiem;
  gint64    rel_seconds;    /* "in ten minutes" */
  gint      rel_days;       /* "in two days" */
  gboolean  has_rel;
  gint      end_hour, end_minute, end_meridiem;  /* "until four", or -1 */
  gint64    duration_s;     /* "for two hours", or 0 */
} When;

typedef struct {
  GPtrArray *tokens;        /* of Token */
  guint      start, end;    /* the clause: [start, end) */
} Clause;

/* Numbers */

static const char * const units[] = {
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
  "nineteen", NULL
};
static const char * const tens[] = {
  "", "", "twenty", "thirty", "forty", "fifty", NULL
};
static const char * const unit_ordinals[] = {
  "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
  "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
  "seventeenth", "eighteenth", "nineteenth", NULL
};
static const char * const tens_ordinals[] = {
  "", "", "twentieth", "thirtieth", NULL
};
static const char * const months[] = {
  "", "january", "february", "march", "april", "may", "june", "july", "august", "september",
  "october", "november", "december", NULL
};
static const char * const month_abbrevs[] = {
  "", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char * const weekdays[] = {
  "", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", NULL
};

static gint
index_of (const char * const *list,
          const char         *word)
{
  for (gint i = 0; list[i] != NULL; i++)
    if (list[i][0] != '\0' && g_str_equal (list[i], word))
      return i;
  return -1;
}

static void
token_free (gpointer data)
{
  Token *token = data;

  g_free (token->word);
  g_free (token->orig);
  g_free (token);
}

static Token *
token_new (const char *word,
           const char *orig)
{
  Token *token = g_new0 (Token, 1);

  token->word = g_strdup (word);
  token->orig = g_strdup (orig);
  token->number = token->ordinal = token->hour = token->minute = -1;
  return token;
}

static gboolean
all_digits (const char *s,
            gsize       n)
{
  if (n == 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* Reads a word's number forms: "5", "17:00", "0930", "3rd", "five", "third". */
static void
token_read_number (Token *token)
{
  const char *w = token->word;
  gsize n = strlen (w);
  const char *colon = strchr (w, ':');
  gint i;

  if (colon != NULL)
    {
      gsize h = colon - w;

      if (h >= 1 && h <= 2 && all_digits (w, h) && strlen (colon + 1) == 2 &&
          all_digits (colon + 1, 2))
        {
          token->hour = atoi (w);
          token->minute = atoi (colon + 1);
          token->zero_led = w[0] == '0' || token->hour > 12;
        }
      return;
    }
  if (all_digits (w, n) && n <= 4)
    {
      token->number = atoi (w);
      token->zero_led = n >= 2 && w[0] == '0';
      if (n == 4)
        {
          /* "0930", "1700": a 24-hour clock; other four digits are years */
          gint h = token->number / 100, m = token->number % 100;

          if ((w[0] == '0' || w[0] == '1' || (w[0] == '2' && h <= 23)) && m < 60 && h < 24 &&
              token->number < 1970)
            {
              token->hour = h;
              token->minute = m;
              token->zero_led = TRUE;
            }
        }
      return;
    }
  if (n >= 3 && n <= 4 && all_digits (w, n - 2) &&
      (g_str_has_suffix (w, "st") || g_str_has_suffix (w, "nd") ||
       g_str_has_suffix (w, "rd") || g_str_has_suffix (w, "th")))
    {
      token->ordinal = atoi (w);
      return;
    }
  if ((i = index_of (units, w)) >= 0)
    token->number = i;
  else if ((i = index_of (tens, w)) >= 0)
    token->number = i * 10;
  else if ((i = index_of (unit_ordinals, w)) >= 0)
    token->ordinal = i;
  else if ((i = index_of (tens_ordinals, w)) >= 0)
    token->ordinal = i * 10;
  else if (g_str_equal (w, "oh"))
    token->number = 0;   /* only as the tens of minutes: "nine oh five" */
}

/* Splits "5pm", "5:30pm", "17h" into the number and its suffix. */
static void
add_word (GPtrArray  *tokens,
          const char *word,
          const char *orig)
{
  gsize n = strlen (word);

  if (n > 2 && (g_str_has_suffix (word, "am") || g_str_has_suffix (word, "pm")) &&
      g_ascii_isdigit (word[n - 3]))
    {
      g_autofree char *number = g_strndup (word, n - 2);

      add_word (tokens, number, number);
      g_ptr_array_add (tokens, token_new (word + n - 2, word + n - 2));
      return;
    }
  g_ptr_array_add (tokens, token_new (word, orig));
  token_read_number (g_ptr_array_index (tokens, tokens->len - 1));
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || c == '\'' || c == 0x2019;
}

/* Words, numbers and sentence ends of @text. */
static GPtrArray *
tokenize (const char *text)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (token_free);
  const char *p = text;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);
      const char *start;
      g_autofree char *orig = NULL;
      g_autofree char *lower = NULL;
      GString *clean;

      if (!is_word_char (c))
        {
          const char *next = g_utf8_next_char (p);

          /* A sentence ends at . ! ? ; but not inside "p.m." ("at 3." ends one) */
          if ((c == '.' || c == '!' || c == '?' || c == ';') && tokens->len > 0 &&
              (*next == '\0' || g_unichar_isspace (g_utf8_get_char (next))))
            {
              Token *last = g_ptr_array_index (tokens, tokens->len - 1);

              if (strlen (last->word) > 1 || c != '.' || g_ascii_isdigit (last->word[0]))
                last->boundary = TRUE;
            }
          p = next;
          continue;
        }

      start = p;
      while (*p != '\0')
        {
          gunichar d = g_utf8_get_char (p);
          const char *next = g_utf8_next_char (p);

          if (is_word_char (d))
            p = next;
          /* "5:30", "9.30" stay one word */
          else if ((d == ':' || d == '.') && p > start && g_ascii_isdigit (p[-1]) &&
                   g_ascii_isdigit (*next))
            p = next;
          else
            break;
        }
      orig = g_strndup (start, p - start);
      lower = g_utf8_strdown (orig, -1);
      clean = g_string_new (NULL);
      for (const char *q = lower; *q != '\0'; q = g_utf8_next_char (q))
        {
          gunichar d = g_utf8_get_char (q);

          if (d == 0x2019)
            g_string_append_c (clean, '\'');
          else if (d == '.')
            g_string_append_c (clean, ':');
          else
            g_string_append_unichar (clean, d);
        }
      /* Quotes around a word are not part of it */
      while (clean->len > 0 && clean->str[clean->len - 1] == '\'')
        g_string_truncate (clean, clean->len - 1);
      while (clean->len > 0 && clean->str[0] == '\'')
        g_string_erase (clean, 0, 1);
      if (clean->len > 0)
        add_word (tokens, clean->str, orig);
      g_string_free (clean, TRUE);
    }
  return tokens;
}

static Token *
tok (GPtrArray *tokens,
     guint      i)
{
  return g_ptr_array_index (tokens, i);
}

/* Joins what one thing spoken in several words is: "p m" → "pm",
 * "twenty five" → 25, "twenty first" → 21st, "o clock" → "oclock".
 */
static void
join_tokens (GPtrArray *tokens)
{
  for (guint i = 0; i + 1 < tokens->len; i++)
    {
      Token *a = tok (tokens, i), *b = tok (tokens, i + 1);
      gboolean after_number = i > 0 && (tok (tokens, i - 1)->number >= 0 ||
                                        tok (tokens, i - 1)->hour >= 0 ||
                                        g_str_equal (tok (tokens, i - 1)->word, "oclock"));
      const char *joined = NULL;

      if (a->boundary)
        continue;
      if (after_number && (g_str_equal (a->word, "a") || g_str_equal (a->word, "p")) &&
          g_str_equal (b->word, "m"))
        joined = g_str_equal (a->word, "a") ? "am" : "pm";
      else if (g_str_equal (a->word, "o") && g_str_equal (b->word, "clock"))
        joined = "oclock";
      if (joined != NULL)
        {
          g_free (a->word);
          a->word = g_strdup (joined);
          a->boundary = b->boundary;
          g_ptr_array_remove_index (tokens, i + 1);
          continue;
        }

      /* "twenty five", "twenty first" */
      if (a->number >= 20 && a->number % 10 == 0 && a->number <= 50 &&
          (b->number >= 1 && b->number <= 9 && index_of (units, b->word) > 0))
        {
          a->number += b->number;
        }
      else if (a->number >= 20 && a->number % 10 == 0 && a->number <= 30 &&
               b->ordinal >= 1 && b->ordinal <= 9 && index_of (unit_ordinals, b->word) > 0)
        {
          a->ordinal = a->number + b->ordinal;
          a->number = -1;
        }
      else
        continue;
      {
        g_autofree char *orig = g_strdup_printf ("%s %s", a->orig, b->orig);

        g_free (a->orig);
        a->orig = g_steal_pointer (&orig);
        a->boundary = b->boundary;
        g_ptr_array_remove_index (tokens, i + 1);
      }
    }
  for (guint i = 0; i < tokens->len; i++)
    if (g_str_equal (tok (tokens, i)->word, "o'clock"))
      {
        g_free (tok (tokens, i)->word);
        tok (tokens, i)->word = g_strdup ("oclock");
      }
}

/* Matching */

static gboolean
is (Clause     *c,
    guint       i,
    const char *word)
{
  return i < c->end && g_str_equal (tok (c->tokens, i)->word, word);
}

static gboolean
is_any (Clause             *c,
        guint               i,
        const char * const *words)
{
  return i < c->end && g_strv_contains (words, tok (c->tokens, i)->word);
}

static void
mark (Clause *c,
      guint   from,
      guint   to)
{
  for (guint i = from; i < to && i < c->end; i++)
    tok (c->tokens, i)->used = TRUE;
}

static gint
number_at (Clause *c,
           guint   i)
{
  return i < c->end ? tok (c->tokens, i)->number : -1;
}

/* A quantity: "ten", "10", "a", "an", "a couple of", "a few". Returns the
 * tokens it takes, its value in @value.
 */
static guint
match_quantity (Clause *c,
                guint   i,
                gdouble *value)
{
  if (number_at (c, i) > 0)
    {
      *value = number_at (c, i);
      if (is (c, i + 1, "and") && is (c, i + 2, "a") && is (c, i + 3, "half"))
        {
          *value += 0.5;
          return 4;
        }
      return 1;
    }
  if (is (c, i, "a") && is (c, i + 1, "couple") && is (c, i + 2, "of"))
    {
      *value = 2;
      return 3;
    }
  if (is (c, i, "a") && is (c, i + 1, "few"))
    {
      *value = 3;
      return 2;
    }
  if (is (c, i, "half") && (is (c, i + 1, "an") || is (c, i + 1, "a")))
    {
      *value = 0.5;
      return 2;
    }
  if (is (c, i, "a") || is (c, i, "an"))
    {
      *value = 1;
      return 1;
    }
  return 0;
}

/* A unit of time in seconds ("minutes" → 60), or 0. */
static gint64
unit_seconds (Clause *c,
              guint   i)
{
  static const struct { const char *word; gint64 seconds; } unit_list[] = {
    { "second", 1 }, { "seconds", 1 }, { "sec", 1 }, { "secs", 1 },
    { "minute", 60 }, { "minutes", 60 }, { "min", 60 }, { "mins", 60 },
    { "hour", 3600 }, { "hours", 3600 }, { "hr", 3600 }, { "hrs", 3600 },
    { "day", 86400 }, { "days", 86400 },
    { "week", 7 * 86400 }, { "weeks", 7 * 86400 },
  };

  if (i >= c->end)
    return 0;
  for (guint k = 0; k < G_N_ELEMENTS (unit_list); k++)
    if (g_str_equal (tok (c->tokens, i)->word, unit_list[k].word))
      return unit_list[k].seconds;
  return 0;
}

/* A duration: QUANTITY UNIT ["and a half"], "an hour and a half". */
static guint
match_duration (Clause  *c,
                guint    i,
                gint64  *seconds,
                gboolean *in_days)
{
  gdouble quantity = 0;
  guint n = match_quantity (c, i, &quantity);
  gint64 unit;

  if (n == 0 || (unit = unit_seconds (c, i + n)) == 0)
    return 0;
  n++;
  if (is (c, i + n, "and") && is (c, i + n + 1, "a") && is (c, i + n + 2, "half"))
    {
      quantity += 0.5;
      n += 3;
    }
  *seconds = (gint64) (quantity * unit);
  *in_days = unit >= 86400;
  return n;
}

/* "in ten minutes", "in two days", "ten minutes from now" */
static guint
match_relative (Clause *c,
                guint   i,
                When   *w)
{
  gint64 seconds;
  gboolean in_days;
  guint n;

  if (is (c, i, "in") || is (c, i, "within"))
    {
      n = match_duration (c, i + 1, &seconds, &in_days);
      if (n == 0)
        return 0;
      n++;
    }
  else
    {
      n = match_duration (c, i, &seconds, &in_days);
      if (n == 0 || !(is (c, i + n, "from") && is (c, i + n + 1, "now")))
        return 0;
      n += 2;
    }
  w->has_rel = TRUE;
  if (in_days)
    w->rel_days += seconds / 86400;
  else
    w->rel_seconds += seconds;
  return n;
}

static void
set_part_of_day (When       *w,
                 const char *part)
{
  if (g_str_equal (part, "morning"))
    w->part_hour = 9, w->part_meridiem = 1;
  else if (g_str_equal (part, "afternoon"))
    w->part_hour = 15, w->part_meridiem = 2;
  else if (g_str_equal (part, "evening") || g_str_equal (part, "night") ||
           g_str_equal (part, "tonight"))
    w->part_hour = 19, w->part_meridiem = 2;
  else if (g_str_equal (part, "noon") || g_str_equal (part, "lunchtime"))
    w->part_hour = 12, w->part_meridiem = 2;
}

static const char * const parts_of_day[] = { "morning", "afternoon", "evening", "night", NULL };

/* "today", "tonight", "tomorrow [morning]", "the day after tomorrow",
 * "[on|next|this] friday [evening]", "this evening", "in the morning",
 * "at night", "next week"
 */
static guint
match_day_phrase (Clause *c,
                  guint   i,
                  When   *w)
{
  guint n = 0;
  gint weekday;

  /* "later today", "early tomorrow", "later this week's friday": the word
   * says nothing the day does not
   */
  if ((is (c, i, "later") || is (c, i, "early")) && (n = match_day_phrase (c, i + 1, w)) > 0)
    return n + 1;

  if (is (c, i, "today"))
    {
      w->day_offset = 0;
      n = 1;
    }
  else if (is (c, i, "tonight"))
    {
      w->day_offset = 0;
      set_part_of_day (w, "tonight");
      return 1;
    }
  else if (is (c, i, "tomorrow") || is (c, i, "tmrw"))
    {
      w->day_offset = 1;
      n = 1;
    }
  else if (is (c, i, "the") && is (c, i + 1, "day") && is (c, i + 2, "after") &&
           is (c, i + 3, "tomorrow"))
    {
      w->day_offset = 2;
      n = 4;
    }
  else if (is (c, i, "day") && is (c, i + 1, "after") && is (c, i + 2, "tomorrow"))
    {
      w->day_offset = 2;
      n = 3;
    }
  else if ((is (c, i, "this") || is (c, i, "in") || is (c, i, "later")) &&
           (is (c, i + 1, "morning") || is (c, i + 1, "afternoon") || is (c, i + 1, "evening")))
    {
      if (is (c, i, "this") || is (c, i, "later"))
        w->day_offset = 0;
      set_part_of_day (w, tok (c->tokens, i + 1)->word);
      return 2;
    }
  else if (is (c, i, "in") && is (c, i + 1, "the") && is_any (c, i + 2, parts_of_day))
    {
      set_part_of_day (w, tok (c->tokens, i + 2)->word);
      return 3;
    }
  else if (is (c, i, "at") && is (c, i + 1, "night"))
    {
      set_part_of_day (w, "night");
      return 2;
    }
  else if (is (c, i, "next") && is (c, i + 1, "week"))
    {
      w->day_offset = 7;
      return 2;
    }
  else
    {
      guint k = i;
      gboolean this = FALSE;

      if (is (c, k, "until"))
        k++;
      if (is (c, k, "next") || is (c, k, "coming"))
        k++;
      else if (is (c, k, "this"))
        {
          this = TRUE;
          k++;
          if (is (c, k, "coming"))
            {
              this = FALSE;
              k++;
            }
        }
      if (k >= c->end || (weekday = index_of (weekdays, tok (c->tokens, k)->word)) < 0)
        return 0;
      w->weekday = weekday;
      w->weekday_this = this;
      n = k + 1 - i;
    }

  /* "tomorrow morning", "friday evening", "tomorrow night" */
  if (is_any (c, i + n, parts_of_day))
    {
      set_part_of_day (w, tok (c->tokens, i + n)->word);
      n++;
    }
  return n;
}

/* A day phrase, with "on", "by" or "for" before it: "on the day after
 * tomorrow", "by tonight", "for next week". The word is part of the phrase,
 * not of a title.
 */
static guint
match_day (Clause *c,
           guint   i,
           When   *w)
{
  if (is (c, i, "on") || is (c, i, "by") || is (c, i, "for"))
    {
      When with = *w;
      guint n = match_day_phrase (c, i + 1, &with);

      if (n > 0)
        {
          *w = with;
          return n + 1;
        }
    }
  return match_day_phrase (c, i, w);
}

static gint
month_at (Clause *c,
          guint   i)
{
  gint m;

  if (i >= c->end)
    return 0;
  m = index_of (months, tok (c->tokens, i)->word);
  if (m < 0)
    m = index_of (month_abbrevs, tok (c->tokens, i)->word);
  /* "may" is far more often the verb; only "may 3rd" and "3rd of may" are dates */
  return m > 0 ? m : 0;
}

static gint
day_of_month_at (Clause  *c,
                 guint    i,
                 gboolean ordinal_only)
{
  Token *t;

  if (i >= c->end)
    return -1;
  t = tok (c->tokens, i);
  if (t->ordinal >= 1 && t->ordinal <= 31)
    return t->ordinal;
  if (!ordinal_only && t->number >= 1 && t->number <= 31)
    return t->number;
  return -1;
}

/* "on march 3rd", "march the third", "the 3rd of march", "3 march 2027", "on the 3rd" */
static guint
match_date (Clause *c,
            guint   i,
            When   *w)
{
  guint k = i, after_day;
  gint month, day;

  if (is (c, k, "on") || is (c, k, "by") || is (c, k, "for"))
    k++;
  if ((month = month_at (c, k)) > 0)
    {
      guint d = k + 1;

      if (is (c, d, "the"))
        d++;
      day = day_of_month_at (c, d, FALSE);
      if (day < 0 || (g_str_equal (tok (c->tokens, k)->word, "may") && k == i &&
                      tok (c->tokens, d)->ordinal < 0))
        return 0;
      k = d + 1;
    }
  else
    {
      gboolean the = is (c, k, "the");

      if (the)
        k++;
      day = day_of_month_at (c, k, TRUE);
      if (day < 0)
        return 0;
      k++;
      after_day = k;
      if (is (c, k, "of"))
        k++;
      month = month_at (c, k);
      if (month > 0)
        k++;
      else if (is (c, i, "on") && the)
        k = after_day;   /* "on the 3rd": this month's or next month's */
      else
        return 0;
    }
  /* A year: "2027" (read as a number, not a clock) */
  if (k < c->end && tok (c->tokens, k)->number >= 1970 && tok (c->tokens, k)->number <= 2200)
    w->year = tok (c->tokens, k++)->number;
  w->month = month;
  w->day = day;
  return k - i;
}

/* An hour word or number: 0–24 */
static gint
hour_at (Clause *c,
         guint   i)
{
  gint h = number_at (c, i);

  return h >= 0 && h <= 24 ? h : -1;
}

static gint
meridiem_at (Clause *c,
             guint   i)
{
  if (is (c, i, "am"))
    return 1;
  if (is (c, i, "pm"))
    return 2;
  return 0;
}

/* "half past four", "quarter to nine", "ten past six", "20 minutes to 5" */
static guint
match_minutes_past (Clause   *c,
                    guint     i,
                    gboolean  bare,
                    gint     *hour,
                    gint     *minute,
                    gint     *meridiem)
{
  guint k = i;
  gint minutes, h;
  gboolean before;

  if (is (c, k, "half"))
    minutes = 30;
  else if (is (c, k, "quarter"))
    minutes = 15;
  else if (!bare && number_at (c, k) > 0 && number_at (c, k) <= 30)
    minutes = number_at (c, k);
  else
    return 0;
  k++;
  if (is (c, k, "minutes"))
    k++;
  if (is (c, k, "past") || is (c, k, "after"))
    before = FALSE;
  else if ((is (c, k, "to") || is (c, k, "till") || is (c, k, "before")) && minutes != 30)
    before = TRUE;
  else
    return 0;
  k++;
  if (is (c, k, "noon"))
    {
      h = 12;
      *meridiem = 2;
    }
  else if (is (c, k, "midnight"))
    h = 24;
  else if ((h = hour_at (c, k)) < 0)
    return 0;
  k++;
  if (before)
    {
      h = (h + 23) % 24;
      if (h == 0 && *meridiem == 0)
        h = 12;
      *minute = 60 - minutes;
    }
  else
    *minute = minutes;
  if (h >= 24)
    h -= 24;
  *hour = h;
  return k - i;
}

/* A clock time, without its prefix: "noon", "half past four", "quarter to
 * nine", "ten past six", "5:30", "five thirty", "nine oh five", "seventeen
 * hundred", "five"; then "am", "pm", "oclock", "hours". With @bare (no "at"
 * before it) a lone number counts only with am, pm or oclock after it. Only
 * with @numeric_to is "ten to five" 4:50 ("from ten to five" is a span).
 */
static guint
match_clock_time (Clause   *c,
                  guint     i,
                  gboolean  bare,
                  gboolean  numeric_to,
                  gint     *hour,
                  gint     *minute,
                  gint     *meridiem,
                  gboolean *clock24)
{
  guint k = i, n;
  gint h = -1, m = 0;
  gboolean lone = FALSE;

  *meridiem = 0;
  *clock24 = FALSE;
  if (is (c, k, "noon") || is (c, k, "midday"))
    {
      *hour = 12;
      *minute = 0;
      *meridiem = 2;
      return 1;
    }
  if (is (c, k, "midnight"))
    {
      *hour = 0;
      *minute = 0;
      *clock24 = TRUE;
      return 1;
    }

  if (is (c, k, "a") && is (c, k + 1, "quarter"))
    k++;
  if ((n = match_minutes_past (c, k, !numeric_to, &h, &m, meridiem)) > 0)
    k += n;
  else if (k < c->end && tok (c->tokens, k)->hour >= 0)
    {
      h = tok (c->tokens, k)->hour;
      m = tok (c->tokens, k)->minute;
      *clock24 = tok (c->tokens, k)->zero_led;
      k++;
      if (m >= 60 || h > 24)
        return 0;
    }
  else if ((h = hour_at (c, k)) >= 0)
    {
      *clock24 = tok (c->tokens, k)->zero_led || h > 12 || h == 0;
      k++;
      if (is (c, k, "oh") && number_at (c, k + 1) >= 1 && number_at (c, k + 1) <= 9)
        {
          m = number_at (c, k + 1);
          k += 2;
        }
      else if (is (c, k, "hundred"))
        {
          *clock24 = TRUE;
          k++;
        }
      else if (number_at (c, k) >= 10 && number_at (c, k) <= 59 && !unit_seconds (c, k + 1))
        {
          m = number_at (c, k);
          k++;
        }
      else if (unit_seconds (c, k) > 0)
        return 0;   /* "two hours" is a length, not a time */
      else
        lone = TRUE;
    }
  else
    return 0;

  if (meridiem_at (c, k))
    *meridiem = meridiem_at (c, k++);
  else if (is (c, k, "oclock"))
    k++;
  else if (is (c, k, "hours") && *clock24)
    k++;
  else if (bare && lone)
    return 0;
  if (*meridiem != 0 && (h > 12 || h == 0))
    return 0;
  *hour = h;
  *minute = m;
  return k - i;
}

static const char * const clock_prefixes[] = {
  "at", "by", "around", "for", "from", "@", "before", NULL
};

/* [at|by|around] CLOCK, and the end of an event: "from two to four", "until five" */
static guint
match_clock (Clause *c,
             guint   i,
             When   *w)
{
  gboolean prefixed = is_any (c, i, clock_prefixes);
  gboolean from = is (c, i, "from");
  guint k = prefixed ? i + 1 : i;
  gint h, m, meridiem;
  gboolean clock24;
  guint n;

  /* "until five", "till 4 pm": the end of an event */
  if ((is (c, i, "until") || is (c, i, "till") || is (c, i, "to")) && w->hour >= 0 &&
      w->end_hour < 0)
    {
      n = match_clock_time (c, i + 1, FALSE, FALSE, &h, &m, &meridiem, &clock24);
      if (n == 0)
        return 0;
      w->end_hour = h;
      w->end_minute = m;
      w->end_meridiem = meridiem;
      return n + 1;
    }

  if (w->hour >= 0)
    return 0;
  /* "tomorrow a five pm": a recogniser's "at" that lost its t */
  if (is (c, i, "a") && (n = match_clock_time (c, i + 1, TRUE, FALSE, &h, &m, &meridiem,
                                                &clock24)) > 0 && meridiem != 0)
    {
      w->hour = h;
      w->minute = m;
      w->meridiem = meridiem;
      w->clock24 = clock24;
      return n + 1;
    }
  /* "for" only begins a clock time in "for 5 pm", never "for two hours" */
  n = match_clock_time (c, k, !prefixed || is (c, i, "for") || is (c, i, "before"),
                        is (c, i, "at") || is (c, i, "by") || is (c, i, "around") ||
                        is (c, i, "@"),
                        &h, &m, &meridiem, &clock24);
  if (n == 0)
    return 0;
  w->hour = h;
  w->minute = m;
  w->meridiem = meridiem;
  w->clock24 = clock24;
  k += n;

  if (from && (is (c, k, "to") || is (c, k, "until") || is (c, k, "till") ||
               is (c, k, "and")))
    {
      n = match_clock_time (c, k + 1, FALSE, FALSE, &h, &m, &meridiem, &clock24);
      if (n > 0)
        {
          w->end_hour = h;
          w->end_minute = m;
          w->end_meridiem = meridiem;
          /* "from two to three pm": both afternoon */
          if (w->meridiem == 0 && !w->clock24 && meridiem != 0)
            w->meridiem = meridiem;
          k += n + 1;
        }
    }
  return k - i;
}

/* "for two hours", "for 30 minutes": how long an event lasts */
static guint
match_length (Clause *c,
              guint   i,
              When   *w)
{
  gint64 seconds;
  gboolean in_days;
  guint n;

  if (!is (c, i, "for") || w->duration_s > 0)
    return 0;
  n = match_duration (c, i + 1, &seconds, &in_days);
  if (n == 0 || in_days)
    return 0;
  w->duration_s = seconds;
  return n + 1;
}

static void
when_init (When *w)
{
  memset (w, 0, sizeof *w);
  w->day_offset = -1;
  w->hour = w->minute = -1;
  w->part_hour = -1;
  w->end_hour = w->end_minute = -1;
}

static gboolean
when_is_set (const When *w)
{
  return w->day_offset >= 0 || w->weekday > 0 || w->month > 0 || w->day > 0 || w->hour >= 0 ||
         w->part_hour >= 0 || w->has_rel;
}

/* Finds and marks every time phrase of the clause. */
static void
find_times (Clause *c,
            When   *w,
            gboolean event)
{
  when_init (w);
  for (guint i = c->start; i < c->end; i++)
    {
      guint n;

      if (tok (c->tokens, i)->used)
        continue;
      if ((event && (n = match_length (c, i, w)) > 0) ||
          (n = match_relative (c, i, w)) > 0 ||
          (n = match_day (c, i, w)) > 0 ||
          (n = match_date (c, i, w)) > 0 ||
          (n = match_clock (c, i, w)) > 0)
        {
          mark (c, i, i + n);
          i += n - 1;
        }
    }
}

/* Resolving */

static GDateTime *
local_at (GTimeZone *zone,
          GDate     *date,
          gint       hour,
          gint       minute)
{
  return mira_time_local_new (zone, g_date_get_year (date), g_date_get_month (date),
                              g_date_get_day (date), hour, minute);
}

static gint
hour_24 (gint h,
         gint meridiem)
{
  if (meridiem == 1)
    return h == 12 ? 0 : h;
  if (meridiem == 2)
    return h < 12 ? h + 12 : h;
  return h;
}

/* The instant @w names, said at @now (in the zone), or NULL when @w is empty. */
static GDateTime *
resolve (const When *w,
         GDateTime  *now,
         GTimeZone  *zone)
{
  GDate today, date;
  gboolean implicit = FALSE;
  gint hour, minute;
  GDateTime *result;

  if (!when_is_set (w))
    return NULL;
  if (w->has_rel && w->rel_days == 0 && w->day_offset < 0 && w->weekday == 0 &&
      w->month == 0 && w->hour < 0 && w->part_hour < 0)
    return g_date_time_add_seconds (now, w->rel_seconds);

  g_date_clear (&today, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  date = today;

  if (w->month > 0 && w->year > 0)
    {
      if (!g_date_valid_dmy (w->day, w->month, w->year))
        return NULL;
      g_date_set_dmy (&date, w->day, w->month, w->year);
    }
  else if (w->month > 0)
    {
      /* This year's, else the next that has it (29 February) */
      gint year = g_date_get_year (&today);

      for (;; year++)
        {
          if (year > g_date_get_year (&today) + 8)
            return NULL;
          if (!g_date_valid_dmy (w->day, w->month, year))
            continue;
          g_date_set_dmy (&date, w->day, w->month, year);
          if (g_date_compare (&date, &today) >= 0)
            break;
        }
    }
  else if (w->day > 0)
    {
      /* "on the 3rd": this month's, else next month's */
      g_date_set_day (&date, 1);
      if (w->day < g_date_get_day (&today))
        g_date_add_months (&date, 1);
      if (!g_date_valid_dmy (w->day, g_date_get_month (&date), g_date_get_year (&date)))
        return NULL;
      g_date_set_day (&date, w->day);
    }
  else if (w->weekday > 0)
    {
      gint days = (w->weekday - (gint) g_date_get_weekday (&today) + 7) % 7;

      if (days == 0 && !w->weekday_this)
        days = 7;
      g_date_add_days (&date, days);
    }
  else if (w->day_offset >= 0)
    g_date_add_days (&date, w->day_offset);
  else if (w->rel_days > 0)
    g_date_add_days (&date, w->rel_days);
  else
    implicit = TRUE;

  if (w->hour >= 0)
    {
      gint meridiem = w->meridiem ? w->meridiem : w->part_meridiem;

      minute = w->minute;
      if (meridiem != 0 && !w->clock24)
        hour = hour_24 (w->hour, meridiem);
      else if (w->clock24 || w->hour > 12)
        hour = w->hour;
      else if (implicit)
        {
          /* The next of h:mm and (h + 12):mm to come, else tomorrow's h:mm */
          for (gint k = 0; k < 2; k++)
            {
              gint candidate = (w->hour % 12) + 12 * k;

              if (w->hour == 12 && k == 0)
                candidate = 12;
              else if (w->hour == 12)
                break;
              result = local_at (zone, &date, candidate, minute);
              if (result != NULL && g_date_time_compare (result, now) > 0)
                return result;
              g_clear_pointer (&result, g_date_time_unref);
            }
          g_date_add_days (&date, 1);
          return local_at (zone, &date, w->hour == 12 ? 12 : w->hour, minute);
        }
      else
        hour = w->hour >= 1 && w->hour <= 6 ? w->hour + 12 : w->hour;
      if (hour == 24)
        {
          hour = 0;
          g_date_add_days (&date, 1);
        }
    }
  else if (w->part_hour >= 0)
    {
      hour = w->part_hour;
      minute = 0;
    }
  else if (w->rel_days > 0 && w->day_offset < 0 && w->weekday == 0 && w->month == 0)
    {
      /* "in two days": the same time then */
      hour = g_date_time_get_hour (now);
      minute = g_date_time_get_minute (now);
    }
  else
    {
      hour = DEFAULT_HOUR;
      minute = 0;
    }

  result = local_at (zone, &date, hour, minute);
  /* "today" said after its morning: as if no time was said */
  if (result != NULL && w->day_offset == 0 && w->hour < 0 && w->part_hour < 0 &&
      g_date_time_compare (result, now) <= 0)
    {
      g_date_time_unref (result);
      return g_date_time_add_seconds (now, DEFAULT_DELAY_S);
    }
  if (result != NULL && (implicit || w->day_offset == 0) &&
      g_date_time_compare (result, now) <= 0)
    {
      /* A time already past today means tomorrow */
      g_date_time_unref (result);
      g_date_add_days (&date, 1);
      result = local_at (zone, &date, hour, minute);
    }
  return result;
}

/* The end of an event that starts at @start. */
static GDateTime *
resolve_end (const When *w,
             GDateTime  *start,
             GTimeZone  *zone)
{
  if (w->end_hour >= 0)
    {
      GDate date;
      gint hour = w->end_hour;
      GDateTime *end;

      g_date_clear (&date, 1);
      g_date_set_dmy (&date, g_date_time_get_day_of_month (start),
                      g_date_time_get_month (start), g_date_time_get_year (start));
      if (w->end_meridiem != 0)
        hour = hour_24 (hour, w->end_meridiem);
      else if (hour < 12 && hour < g_date_time_get_hour (start))
        hour += 12;
      end = local_at (zone, &date, hour, w->end_minute);
      if (end != NULL && g_date_time_compare (end, start) <= 0)
        {
          g_date_time_unref (end);
          g_date_add_days (&date, 1);
          end = local_at (zone, &date, hour, w->end_minute);
        }
      if (end != NULL)
        return end;
    }
  return g_date_time_add_seconds (start, w->duration_s > 0 ? w->duration_s : DEFAULT_LENGTH_S);
}

/* Requests */

/* Words that may come before a request without changing it */
static const char * const fillers[] = {
  "please", "can", "could", "would", "will", "you", "hey", "ok", "okay", "mira", "so", "and",
  "also", "then", "just", "i", "want", "need", "you'd", "i'd", "like", "to", "kindly", "oh",
  "um", "uh", "now", "hi", "hello", "go", "ahead", "quickly", "quick", "real", NULL
};

/* A priority at @i: "urgent", "urgently", "asap" → "urgent"; "important",
 * "high priority", "top priority" → "high"; "low priority" → "low". Returns
 * the tokens it takes (0: none), the priority in @priority.
 */
static guint
match_priority (Clause      *c,
                guint        i,
                const char **priority)
{
  if (is (c, i, "urgent") || is (c, i, "urgently") || is (c, i, "asap"))
    {
      *priority = "urgent";
      return 1;
    }
  if (is (c, i, "important"))
    {
      *priority = "high";
      return 1;
    }
  if ((is (c, i, "high") || is (c, i, "top") || is (c, i, "low")) && is (c, i + 1, "priority"))
    {
      *priority = is (c, i, "low") ? "low" : "high";
      return 2;
    }
  return 0;
}

static const char * const intensifiers[] = {
  "very", "really", "super", "extremely", NULL
};

/* A priority said before the request: "urgent", "it's important", "this is
 * very urgent". Returns the tokens it takes, or 0.
 */
static guint
match_priority_lead (Clause *c,
                     guint   i)
{
  const char *priority;
  guint k = i, n;

  if (is (c, k, "it's") || is (c, k, "its") || is (c, k, "that's"))
    k++;
  else if ((is (c, k, "it") || is (c, k, "this") || is (c, k, "that")) && is (c, k + 1, "is"))
    k += 2;
  while (is_any (c, k, intensifiers))
    k++;
  n = match_priority (c, k, &priority);
  return n > 0 ? k + n - i : 0;
}

/* The first token of the clause past the fillers, time phrases and a
 * priority said first ("urgent: remind me to …").
 */
static guint
skip_fillers (Clause *c,
              guint   i)
{
  while (i < c->end)
    {
      guint n;

      if (tok (c->tokens, i)->used || is_any (c, i, fillers))
        i++;
      else if ((n = match_priority_lead (c, i)) > 0)
        i += n;
      else
        break;
    }
  return i;
}

static const char * const event_nouns[] = {
  "meeting", "appointment", "lunch", "dinner", "breakfast", "brunch", "party", "interview",
  "conference", "call", "session", "class", "lesson", "presentation", "standup", "stand-up",
  "review", "workshop", "date", "game", "match", "event", "checkup", "check-up", "visit",
  "meetup", "practice", "rehearsal", "demo", "coffee", "drinks", "haircut", "massage",
  "webinar", "seminar", "lecture", "exam", "test", "concert", "flight", "training",
  "sync", "one-on-one", "catch-up", "catchup", NULL
};

/* Events whose clock times without am or pm are in the evening */
static const char * const evening_nouns[] = {
  "dinner", "drinks", "party", "concert", "supper", NULL
};

static const char * const name_stops[] = {
  "that", "saying", "say", "about", "regarding", "re", "asking", "ask", "and", "to", "at",
  "on", "in", "for", "tomorrow", "today", "tonight", "with", "when", "if", "because", "so",
  "before", "after", "by", "from", "please", "now", "later", "back", "again", "it's", "it",
  "this", "is", "urgent", "urgently", "asap", "immediately", "right", "soon", NULL
};

static const char * const not_names[] = {
  "me", "us", "it", "him", "her", "them", "you", "this", "that", "these", "those", "back",
  "off", "up", "out", "in", "on", "is", "was", "are", "were", "be", "been", "a", "an", "of",
  "to", "and", "or", "so", "if", "when", "it's", "its", "there", "here", "someone",
  "somebody", "anyone", "anybody", "everyone", "everybody", "nobody", "something", "i",
  "we", "they", "he", "she", "my", "your", "his", "their", "our", "will", "would", "can",
  "could", "should", "went", "came", "got", "has", "had", "have", "not", "all", "what",
  "who", "center", "centre", "waiting", "log", "list", "box", "message", "messages",
  "text", "email", "ringing", "number", "bill", "quality", "time", "please", "for", "at",
  "with", "about", "now", "later", "again", "home", "the", NULL
};

/* A name as a person would write it: "alice smith" → "Alice Smith"; words
 * written with capitals keep them.
 */
static char *
name_from_tokens (Clause *c,
                  guint   from,
                  guint   to)
{
  GString *name = g_string_new (NULL);

  if (is (c, from, "my") || is (c, from, "the") || is (c, from, "our"))
    from++;
  for (guint i = from; i < to; i++)
    {
      const char *orig = tok (c->tokens, i)->orig;
      g_autofree char *lower = g_utf8_strdown (orig, -1);

      if (name->len > 0)
        g_string_append_c (name, ' ');
      if (g_str_equal (lower, orig))
        {
          gunichar first = g_unichar_totitle (g_utf8_get_char (orig));

          g_string_append_unichar (name, first);
          g_string_append (name, g_utf8_next_char (orig));
        }
      else
        g_string_append (name, orig);
    }
  if (name->len == 0)
    {
      g_string_free (name, TRUE);
      return NULL;
    }
  return g_string_free (name, FALSE);
}

/* The unused words of [@from, @to) as written, the first capitalised when
 * @capital; NULL when there are none.
 */
static char *
words_from (Clause  *c,
            guint    from,
            guint    to,
            gboolean capital)
{
  GString *text = g_string_new (NULL);

  for (guint i = from; i < to && i < c->end; i++)
    {
      Token *t = tok (c->tokens, i);

      if (t->used)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (text->len == 0 && capital)
        {
          g_string_append_unichar (text, g_unichar_totitle (g_utf8_get_char (t->orig)));
          g_string_append (text, g_utf8_next_char (t->orig));
        }
      else
        g_string_append (text, t->orig);
    }
  if (text->len == 0)
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  return g_string_free (text, FALSE);
}

/* Marks what does not belong in a title at the clause's end: "please",
 * "thanks", "thank you", "for me", "ok", "later", "soon".
 */
static void
trim_tail (Clause *c,
           guint   from)
{
  guint end = c->end;

  while (end > from)
    {
      guint i = end - 1;

      if (tok (c->tokens, i)->used || is (c, i, "please") || is (c, i, "thanks") ||
          is (c, i, "ok") || is (c, i, "okay") || is (c, i, "and") || is (c, i, "mira") ||
          is (c, i, "later") || is (c, i, "soon"))
        {
          tok (c->tokens, i)->used = TRUE;
          end--;
        }
      else if (i > from && is (c, i, "you") && is (c, i - 1, "thank"))
        {
          mark (c, i - 1, i + 1);
          end -= 2;
        }
      else if (i > from && is (c, i, "me") && is (c, i - 1, "for"))
        {
          mark (c, i - 1, i + 1);
          end -= 2;
        }
      else
        break;
    }
}

/* Marks "urgent", "it's important", "high priority"…; returns the priority. */
static const char *
find_priority (Clause *c,
               guint   from)
{
  const char *priority = "medium";

  for (guint i = from; i < c->end; i++)
    {
      const char *found = NULL;
      guint span_start = i, span_end;
      guint n = match_priority (c, i, &found);

      if (n == 0)
        continue;
      span_end = i + n;

      /* "it's urgent", "this is very important", "as a high priority" */
      while (span_start > from &&
             (is_any (c, span_start - 1, intensifiers) ||
              is (c, span_start - 1, "is") || is (c, span_start - 1, "it's") ||
              is (c, span_start - 1, "its") || is (c, span_start - 1, "that's") ||
              is (c, span_start - 1, "as") || is (c, span_start - 1, "a") ||
              is (c, span_start - 1, "an") ||
              (is (c, span_start - 1, "it") && is (c, span_start, "is")) ||
              (is (c, span_start - 1, "this") && is (c, span_start, "is")) ||
              (is (c, span_start - 1, "that") && is (c, span_start, "is"))))
        span_start--;
      mark (c, span_start, span_end);
      if (g_str_equal (found, "urgent") || g_str_equal (priority, "medium") ||
          (g_str_equal (found, "high") && g_str_equal (priority, "low")))
        priority = found;
      i = span_end - 1;
    }
  return priority;
}

static const char * const question_words[] = {
  "what", "what's", "whats", "how", "how's", "who", "who's", "whom", "whose", "where",
  "where's", "when", "when's", "why", "which", "whether", NULL
};

/* Time and priority phrases and joining words before a reminder's task:
 * "remind me tomorrow to …", "set a reminder for tomorrow at 8 to …",
 * "remind me urgently to …". Returns where the task begins.
 */
static guint
skip_to_task (Clause *c,
              guint   k)
{
  for (;;)
    {
      if (k < c->end && tok (c->tokens, k)->used)
        k++;
      else if (is (c, k, "to") || is (c, k, "that") || is (c, k, "about") || is (c, k, "of") ||
               is (c, k, "for") || is (c, k, "again"))
        k++;
      else if (is (c, k, "i") && is (c, k + 1, "need") && is (c, k + 2, "to"))
        k += 3;
      else
        break;
    }
  return k;
}

/* "remind me to …", "set a reminder to …", "don't let me forget to …";
 * returns where the task begins, or 0.
 */
static guint
match_remind (Clause *c,
              guint   i)
{
  guint k;

  if ((is (c, i, "remind") || is (c, i, "reminder")) &&
      (is (c, i + 1, "me") || is (c, i + 1, "us")))
    {
      guint q = i + 2;

      /* "remind me what you said", "can you remind me how to make
       * pancakes", "remind me again who called": a question, asking to be
       * told something now, not a reminder
       */
      if (is (c, q, "again"))
        q++;
      if (is (c, q, "of") || is (c, q, "about"))
        q++;
      if (is_any (c, q, question_words))
        return 0;
      k = i + 2;
    }
  else if ((is (c, i, "set") || is (c, i, "create") || is (c, i, "add") || is (c, i, "make") ||
            is (c, i, "new")) &&
           (is (c, i + 1, "reminder") ||
            ((is (c, i + 1, "a") || is (c, i + 1, "an")) &&
             (is (c, i + 2, "reminder") ||
              ((is (c, i + 2, "urgent") || is (c, i + 2, "important")) &&
               is (c, i + 3, "reminder"))))))
    {
      k = i + 1;
      while (!is (c, k, "reminder"))
        k++;
      k++;
    }
  else if (is (c, i, "reminder"))
    k = i + 1;
  else if ((is (c, i, "urgent") || is (c, i, "important")) && is (c, i + 1, "reminder"))
    k = i + 2;
  else if ((is (c, i, "don't") || is (c, i, "dont") || is (c, i, "do")) &&
           (is (c, i + 1, "let") || (is (c, i + 1, "not") && is (c, i + 2, "let"))))
    {
      k = is (c, i + 1, "let") ? i + 2 : i + 3;
      if (!(is (c, k, "me") || is (c, k, "us")) || !is (c, k + 1, "forget"))
        return 0;
      k += 2;
    }
  else
    return 0;

  return skip_to_task (c, k);
}

static const char * const determiners[] = {
  "a", "an", "the", "my", "our", "this", "that", NULL
};

/* Words that tell of what is past: such a sentence asks for nothing */
static const char * const past_words[] = {
  "was", "were", "had", "did", "went", "yesterday", "ago", "last", "cancelled", "canceled",
  "missed", NULL
};

/* "schedule …", "book …", "set up …", "add … to my calendar", or a plain
 * "meeting with alice on friday at noon" or "i have a dentist appointment on
 * monday at 3" with a time. A verb needs a time or a determiner after it
 * ("book a table", not "book titles are…"). The event's words begin at @from.
 */
static gboolean
match_schedule (Clause   *c,
                guint     i,
                gboolean  has_time,
                guint    *from)
{
  gboolean calendar = FALSE;
  gboolean past = FALSE;
  guint k = i;

  for (guint n = i; n < c->end; n++)
    {
      calendar |= is (c, n, "calendar") || (is (c, n, "schedule") && n > i);
      past |= is_any (c, n, past_words);
    }

  *from = i + 1;
  if (is (c, i, "schedule") || is (c, i, "book") || is (c, i, "arrange") ||
      is (c, i, "organize") || is (c, i, "organise"))
    return has_time || is_any (c, i + 1, determiners);
  if ((is (c, i, "set") && is (c, i + 1, "up")) || (is (c, i, "plan") && is (c, i + 1, "a")))
    {
      *from = is (c, i, "set") ? i + 2 : i + 1;
      return TRUE;
    }
  if ((is (c, i, "add") || is (c, i, "put") || is (c, i, "create") || is (c, i, "make") ||
       is (c, i, "enter")) && calendar)
    return TRUE;
  if ((is (c, i, "create") || is (c, i, "new") || is (c, i, "add")) &&
      (is (c, i + 1, "event") || is (c, i + 2, "event") || is (c, i + 2, "appointment") ||
       is (c, i + 2, "meeting")))
    return TRUE;
  if (!has_time || past)
    return FALSE;

  /* "i" and "we" are fillers, so the clause may begin at "have" */
  if (is (c, k, "have") || is (c, k, "got"))
    {
      k++;
      if (!(is (c, k, "a") || is (c, k, "an") || is (c, k, "my") || is (c, k, "our")))
        return FALSE;
      k++;
    }
  else if ((is (c, k, "i've") || is (c, k, "we've")) && is (c, k + 1, "got"))
    {
      k += 2;
      if (!(is (c, k, "a") || is (c, k, "an")))
        return FALSE;
      k++;
    }
  else if (is (c, k, "a") || is (c, k, "an"))
    k++;
  else
    {
      /* The noun itself first: "meeting with alice …", "lunch with sam …" */
      if (!is_any (c, k, event_nouns) || is (c, k, "call") || !is (c, k + 1, "with"))
        return FALSE;
      *from = k;
      return TRUE;
    }

  /* Up to two words before the noun: "a dentist appointment" */
  for (guint n = 0; n < 3 && k + n < c->end; n++)
    {
      if (tok (c->tokens, k + n)->used)
        break;
      if (is_any (c, k + n, event_nouns))
        {
          *from = k;
          return TRUE;
        }
    }
  return FALSE;
}

/* "call alice", "text bob that …", "send an email to carol about …", "give
 * dan a call", "tell erin to …". Returns where the name begins, or 0, with
 * the method.
 */
static guint
match_contact (Clause      *c,
               guint        i,
               const char **method)
{
  if (is (c, i, "call") || is (c, i, "phone") || is (c, i, "dial") || is (c, i, "ring") ||
      (is (c, i, "video") && is (c, i + 1, "call")))
    {
      *method = "call";
      return is (c, i, "video") ? i + 2 : i + 1;
    }
  if (is (c, i, "text") || is (c, i, "message") || is (c, i, "tell") || is (c, i, "sms") ||
      is (c, i, "whatsapp"))
    {
      *method = "message";
      return i + 1;
    }
  if (is (c, i, "email") || is (c, i, "e-mail") || is (c, i, "mail") ||
      (is (c, i, "write") && is (c, i + 1, "to")))
    {
      *method = "email";
      return is (c, i, "write") ? i + 2 : i + 1;
    }
  if (is (c, i, "send") || is (c, i, "shoot") || is (c, i, "drop"))
    {
      guint k = i + 1;

      /* "send a message to bob", "send bob a text" */
      if (is (c, k, "a") || is (c, k, "an"))
        {
          if (is (c, k + 1, "message") || is (c, k + 1, "text") || is (c, k + 1, "note"))
            *method = "message";
          else if (is (c, k + 1, "email") || is (c, k + 1, "e-mail"))
            *method = "email";
          else
            return 0;
          return is (c, k + 2, "to") ? k + 3 : 0;
        }
      return k;  /* the name, then "a message": checked by the caller */
    }
  if (is (c, i, "give") || is (c, i, "ring"))
    {
      *method = "call";
      return i + 1;
    }
  return 0;
}

static MiraAction *
make_reminder (Clause    *c,
               guint      task,
               const When *w,
               GDateTime *now,
               GTimeZone *zone)
{
  MiraAction *action = mira_action_new (MIRA_ACTION_REMIND);
  const char *priority = find_priority (c, c->start);

  /* "remind me urgently to …": the task begins after the priority */
  task = skip_to_task (c, task);
  trim_tail (c, task);
  action->title = words_from (c, task, c->end, TRUE);
  if (action->title == NULL && !when_is_set (w))
    {
      /* "remind me" and nothing more asks for nothing (what follows in
       * another interaction is read on its own)
       */
      mira_action_free (action);
      return NULL;
    }
  if (action->title == NULL)
    action->title = g_strdup ("Reminder");
  action->priority = g_strdup (priority);
  action->time = resolve (w, now, zone);
  if (action->time == NULL)
    action->time = g_date_time_add_seconds (now, DEFAULT_DELAY_S);
  return action;
}

/* The names after "with": "with alice and bob smith" */
static GStrv
take_attendees (Clause *c,
                guint   from,
                guint   to)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;

  for (guint i = from; i < to; i++)
    {
      guint k;

      if (tok (c->tokens, i)->used || !is (c, i, "with"))
        continue;
      k = i + 1;
      while (k < to)
        {
          guint start = k;
          g_autofree char *name = NULL;

          /* "with the bank", "with my team": not a person's name */
          if (is (c, k, "the") || is (c, k, "my") || is (c, k, "our") || is (c, k, "a") ||
              is (c, k, "an") || is (c, k, "your") || is (c, k, "his") || is (c, k, "her"))
            break;
          while (k < to && !tok (c->tokens, k)->used && !is_any (c, k, name_stops) &&
                 k - start < MAX_NAME_WORDS)
            k++;
          if (k == start)
            break;
          name = name_from_tokens (c, start, k);
          if (name != NULL)
            g_strv_builder_add (builder, name);
          /* The names stay in the title, written as names */
          for (guint n = start; n < k; n++)
            {
              Token *t = tok (c->tokens, n);
              g_autofree char *lower = g_utf8_strdown (t->orig, -1);

              if (g_str_equal (lower, t->orig))
                {
                  g_autofree char *title = name_from_tokens (c, n, n + 1);

                  g_free (t->orig);
                  t->orig = g_steal_pointer (&title);
                }
            }
          if (is (c, k, "and") && k + 1 < to && !tok (c->tokens, k + 1)->used)
            k++;
          else
            break;
        }
      break;
    }
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return g_steal_pointer (&result);
}

/* "at the office", "in room four": a place, not a time */
static char *
take_location (Clause *c,
               guint   from,
               guint   to)
{
  for (guint i = from; i < to; i++)
    {
      guint k;
      char *location;

      if (tok (c->tokens, i)->used || !(is (c, i, "at") || is (c, i, "in")))
        continue;
      k = i + 1;
      if (k >= to || tok (c->tokens, k)->used)
        continue;
      while (k < to && !tok (c->tokens, k)->used && !is (c, k, "with") &&
             !is (c, k, "about") && !is (c, k, "for") && !is (c, k, "to") &&
             !is (c, k, "and") && !is (c, k, "on"))
        k++;
      if (is (c, i + 1, "the") || is (c, i + 1, "a"))
        tok (c->tokens, i + 1)->used = TRUE;
      location = words_from (c, i + 1, k, FALSE);
      mark (c, i, k);
      return location;
    }
  return NULL;
}

static MiraAction *
make_event (Clause    *c,
            guint      from,
            const When *w,
            GDateTime *now,
            GTimeZone *zone)
{
  MiraAction *action = mira_action_new (MIRA_ACTION_SCHEDULE);
  When evening = *w;

  /* Not part of the title: "to my calendar", "on the calendar", articles */
  for (guint i = from; i < c->end; i++)
    if ((is (c, i, "to") || is (c, i, "on") || is (c, i, "in") || is (c, i, "into")) &&
        (is (c, i + 1, "my") || is (c, i + 1, "the") || is (c, i + 1, "our")) &&
        (is (c, i + 2, "calendar") || is (c, i + 2, "schedule")))
      mark (c, i, i + 3);
    else if ((is (c, i, "to") || is (c, i, "on") || is (c, i, "in")) &&
             (is (c, i + 1, "calendar") || is (c, i + 1, "schedule")))
      mark (c, i, i + 2);
  if (is (c, from, "a") || is (c, from, "an") || is (c, from, "the") || is (c, from, "my") ||
      is (c, from, "our"))
    tok (c->tokens, from)->used = TRUE;
  if ((is (c, from, "event") || is (c, from + 1, "event")) && is (c, from + 1, "called"))
    mark (c, from, from + 2);
  else if (is (c, from + 1, "event") && is (c, from + 2, "called"))
    mark (c, from, from + 3);
  trim_tail (c, from);

  g_strfreev (action->attendees);
  action->attendees = take_attendees (c, from, c->end);
  action->location = take_location (c, from, c->end);
  trim_tail (c, from);
  action->title = words_from (c, from, c->end, TRUE);
  if (action->title == NULL)
    action->title = g_strdup ("Event");
  /* "dinner … at seven" is in the evening */
  if (w->meridiem == 0 && w->part_meridiem == 0)
    for (guint i = from; i < c->end; i++)
      if (is_any (c, i, evening_nouns))
        evening.part_meridiem = 2;
  action->time = resolve (&evening, now, zone);
  if (action->time == NULL)
    action->time = g_date_time_add_seconds (now, DEFAULT_DELAY_S);
  action->end = resolve_end (&evening, action->time, zone);
  return action;
}

static MiraAction *
make_contact (Clause     *c,
              guint       from,
              const char *method,
              const When *w,
              GDateTime  *now,
              GTimeZone  *zone)
{
  guint k = from;
  g_autofree char *name = NULL;
  MiraAction *action;
  gboolean saying;
  When when;

  if (is (c, k, "the") || is (c, k, "my") || is (c, k, "our"))
    k++;
  if (k >= c->end || is_any (c, k, not_names) || tok (c->tokens, k)->used ||
      tok (c->tokens, k)->number >= 0)
    return NULL;
  while (k < c->end && !tok (c->tokens, k)->used && !is_any (c, k, name_stops) &&
         k - from < MAX_NAME_WORDS && !is (c, k, "a") && !is (c, k, "an"))
    k++;
  if (k > from + MAX_NAME_WORDS - 1 && k < c->end && !tok (c->tokens, k)->used &&
      !is_any (c, k, name_stops))
    return NULL;
  name = name_from_tokens (c, from, k);
  if (name == NULL)
    return NULL;

  /* "send bob a message", "give dan a call" */
  if (method == NULL || is (c, k, "a") || is (c, k, "an"))
    {
      if (!(is (c, k, "a") || is (c, k, "an")))
        return NULL;
      if (is (c, k + 1, "call") || is (c, k + 1, "ring"))
        method = "call";
      else if (is (c, k + 1, "message") || is (c, k + 1, "text") || is (c, k + 1, "note"))
        method = "message";
      else if (is (c, k + 1, "email") || is (c, k + 1, "e-mail"))
        method = "email";
      else
        return NULL;
      k += 2;
    }
  else if (is (c, from - 1, "give"))
    return NULL;

  /* What to say */
  saying = TRUE;
  if ((is (c, k, "and") || is (c, k, "to")) &&
      (is (c, k + 1, "say") || is (c, k + 1, "tell") || is (c, k + 1, "ask")))
    {
      k += 2;
      if (is (c, k, "him") || is (c, k, "her") || is (c, k, "them"))
        k++;
      if (is (c, k, "that"))
        k++;
    }
  else if (is (c, k, "that") || is (c, k, "saying") || is (c, k, "about") ||
           is (c, k, "regarding") || is (c, k, "re") || is (c, k, "asking") || is (c, k, "to"))
    k++;
  else
    saying = FALSE;
  /* Times in what to say are part of it ("… that i'll be there in ten
   * minutes"); only those before it say when to get in touch.
   */
  if (saying && k < c->end)
    {
      Clause before = { c->tokens, c->start, k };

      for (guint i = c->start; i < c->end; i++)
        tok (c->tokens, i)->used = FALSE;
      find_times (&before, &when, FALSE);
      w = &when;
    }
  trim_tail (c, k);

  action = mira_action_new (MIRA_ACTION_CONTACT);
  action->name = g_steal_pointer (&name);
  action->method = g_strdup (method);
  action->details = words_from (c, k, c->end, FALSE);
  action->time = resolve (w, now, zone);
  return action;
}

static const char * const request_starts[] = {
  "remind", "reminder", "schedule", "book", "set", "call", "text", "email", "send", "add",
  "put", "create", "message", "phone", "tell", "don't", "dont", NULL
};

/* Every request has one of these words; a clause without any asks for nothing */
static const char * const request_words[] = {
  "remind", "reminder", "forget", "schedule", "book", "arrange", "organize", "organise", "set",
  "plan", "add", "put", "create", "make", "enter", "new", "calendar", "call", "phone", "dial",
  "ring", "text", "message", "tell", "sms", "whatsapp", "email", "e-mail", "mail", "write",
  "send", "shoot", "drop", "give", NULL
};

static gboolean
may_ask (Clause *c)
{
  static GHashTable *words;

  if (g_once_init_enter (&words))
    {
      GHashTable *set = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; request_words[i] != NULL; i++)
        g_hash_table_add (set, (gpointer) request_words[i]);
      for (guint i = 0; event_nouns[i] != NULL; i++)
        g_hash_table_add (set, (gpointer) event_nouns[i]);
      g_once_init_leave (&words, set);
    }
  for (guint i = c->start; i < c->end; i++)
    if (g_hash_table_contains (words, tok (c->tokens, i)->word))
      return TRUE;
  return FALSE;
}

/* Splits at sentence ends, and before a new request after "and", "also", "then". */
static GArray *
split_clauses (GPtrArray *tokens)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (guint));
  guint start = 0;

  g_array_append_val (bounds, start);
  for (guint i = 0; i < tokens->len; i++)
    {
      Token *t = tok (tokens, i);
      guint next = i + 1;

      if (t->boundary && next < tokens->len)
        g_array_append_val (bounds, next);
      else if ((g_str_equal (t->word, "and") || g_str_equal (t->word, "also") ||
                g_str_equal (t->word, "then")) &&
               next < tokens->len && g_strv_contains (request_starts, tok (tokens, next)->word) &&
               (g_str_equal (tok (tokens, next)->word, "remind") ||
                g_str_equal (tok (tokens, next)->word, "schedule") ||
                (next + 1 < tokens->len &&
                 (g_str_equal (tok (tokens, next + 1)->word, "me") ||
                  g_str_equal (tok (tokens, next + 1)->word, "a")))))
        g_array_append_val (bounds, next);
    }
  g_array_append_val (bounds, tokens->len);
  return bounds;
}

/* Raises a medium reminder's priority to @priority. */
static void
set_priority (MiraAction *action,
              const char *priority)
{
  if (!g_str_equal (action->priority, "medium"))
    return;
  g_free (action->priority);
  action->priority = g_strdup (priority);
}

GPtrArray *
mira_extractor_find (const char *text,
                     GDateTime  *said_at,
                     GTimeZone  *zone)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_action_free);
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GArray) bounds = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *head = NULL;
  g_autofree char *valid = NULL;
  /* A priority said on its own, for the next reminder; the reminder just made */
  const char *said_apart = NULL;
  MiraAction *previous = NULL;

  g_return_val_if_fail (text != NULL, actions);
  g_return_val_if_fail (said_at != NULL, actions);
  g_return_val_if_fail (zone != NULL, actions);

  now = g_date_time_to_timezone (said_at, zone);
  if (!g_utf8_validate (text, -1, NULL))
    {
      valid = g_utf8_make_valid (text, -1);
      text = valid;
    }
  if (strlen (text) > MAX_TEXT_BYTES)
    {
      /* Cut at the last word boundary that fits, never inside a character */
      const char *end = text + MAX_TEXT_BYTES;

      while (end > text && !g_ascii_isspace (*end))
        end--;
      head = g_strndup (text, end - text);
      text = head;
    }
  tokens = tokenize (text);
  join_tokens (tokens);
  bounds = split_clauses (tokens);

  for (guint b = 0; b + 1 < bounds->len; b++)
    {
      Clause clause = { tokens, g_array_index (bounds, guint, b),
                        g_array_index (bounds, guint, b + 1) };
      Clause *c = &clause;
      When w;
      guint first, from;
      const char *method = NULL;
      const char *priority;
      MiraAction *action = NULL;
      gboolean event_like;

      if (c->start >= c->end)
        continue;
      /* "Urgent! Remind me to …", "Remind me to … It's important.": a
       * priority said as a sentence of its own is its neighbour's
       */
      if (skip_fillers (c, c->start) == c->end &&
          !g_str_equal ((priority = find_priority (c, c->start)), "medium"))
        {
          if (previous != NULL)
            set_priority (previous, priority);
          else
            said_apart = priority;
          previous = NULL;
          continue;
        }
      previous = NULL;
      if (!may_ask (c))
        {
          said_apart = NULL;
          continue;
        }
      first = skip_fillers (c, c->start);
      /* Event lengths ("for two hours") only where an event may be asked */
      event_like = match_schedule (c, first, TRUE, &from);
      find_times (c, &w, event_like);
      first = skip_fillers (c, c->start);

      if ((from = match_remind (c, first)) > 0)
        action = make_reminder (c, from, &w, now, zone);
      else if (match_schedule (c, first, when_is_set (&w), &from))
        action = make_event (c, from, &w, now, zone);
      else if ((from = match_contact (c, first, &method)) > 0)
        action = make_contact (c, from, is (c, first, "send") && !is (c, first + 1, "a") &&
                                        !is (c, first + 1, "an") ? NULL : method,
                               &w, now, zone);
      if (action != NULL && action->type == MIRA_ACTION_REMIND)
        {
          if (said_apart != NULL)
            set_priority (action, said_apart);
          previous = action;
        }
      said_apart = NULL;
      if (action != NULL)
        g_ptr_array_add (actions, action);
    }
  return actions;
}

/* Actions */

MiraAction *
mira_action_new (MiraActionType type)
{
  MiraAction *action = g_new0 (MiraAction, 1);

  action->type = type;
  if (type == MIRA_ACTION_SCHEDULE)
    action->attendees = g_new0 (char *, 1);
  return action;
}

void
mira_action_free (MiraAction *action)
{
  if (action == NULL)
    return;
  g_free (action->title);
  g_clear_pointer (&action->time, g_date_time_unref);
  g_clear_pointer (&action->end, g_date_time_unref);
  g_free (action->priority);
  g_free (action->location);
  g_strfreev (action->attendees);
  g_free (action->name);
  g_free (action->method);
  g_free (action->details);
  g_free (action);
}

const char *
mira_action_type_to_string (MiraActionType type)
{
  switch (type)
    {
    case MIRA_ACTION_REMIND:
      return "remind";
    case MIRA_ACTION_SCHEDULE:
      return "schedule";
    case MIRA_ACTION_CONTACT:
      return "contact";
    default:
      g_assert_not_reached ();
    }
}

static void
set_string_or_null (JsonObject *object,
                    const char *member,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

static void
set_time_or_null (JsonObject *object,
                  const char *member,
                  GDateTime  *value)
{
  g_autofree char *text = NULL;

  if (value != NULL)
    text = mira_timestamp_from_unix_ms (g_date_time_to_unix (value) * 1000 +
                                        g_date_time_get_microsecond (value) / 1000);
  set_string_or_null (object, member, text);
}

JsonObject *
mira_action_to_json (const MiraAction *action)
{
  JsonObject *object = json_object_new ();

  g_return_val_if_fail (action != NULL, object);

  json_object_set_string_member (object, "type", mira_action_type_to_string (action->type));
  switch (action->type)
    {
    case MIRA_ACTION_REMIND:
      set_string_or_null (object, "title", action->title);
      set_time_or_null (object, "due_time", action->time);
      set_string_or_null (object, "priority", action->priority);
      break;
    case MIRA_ACTION_SCHEDULE:
      {
        JsonArray *attendees = json_array_new ();

        for (guint i = 0; action->attendees != NULL && action->attendees[i] != NULL; i++)
          json_array_add_string_element (attendees, action->attendees[i]);
        set_string_or_null (object, "title", action->title);
        set_time_or_null (object, "start_time", action->time);
        set_time_or_null (object, "end_time", action->end);
        set_string_or_null (object, "location", action->location);
        json_object_set_array_member (object, "attendees", attendees);
      }
      break;
    case MIRA_ACTION_CONTACT:
      set_string_or_null (object, "name", action->name);
      set_string_or_null (object, "method", action->method);
      set_string_or_null (object, "details", action->details);
      set_time_or_null (object, "time", action->time);
      break;
    default:
      g_assert_not_reached ();
    }
  return object;
}

/* A string member: NULL when absent or null; FALSE when of another type. */
static gboolean
get_string (JsonObject  *object,
            const char  *member,
            gboolean     required,
            const char **value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                   "%s is missing", member);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                   "%s is not a string", member);
      return FALSE;
    }
  *value = json_node_get_string (node);
  if (required && mira_str_is_blank (*value))
    {
      g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                   "%s is empty", member);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_time (JsonObject  *object,
          const char  *member,
          gboolean     required,
          GTimeZone   *zone,
          GDateTime  **value,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *text;
  gint64 unix_ms;

  *value = NULL;
  if (!get_string (object, member, required, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!mira_time_parse (text, zone, MIRA_TIME_PARSE_DEFAULT, &unix_ms, &local_error))
    {
      g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION, "%s: %s",
                   member, local_error->message);
      return FALSE;
    }
  *value = g_date_time_new_from_unix_utc (unix_ms / 1000);
  return TRUE;
}

MiraAction *
mira_action_from_json (JsonObject  *object,
                       GTimeZone   *zone,
                       GError     **error)
{
  static const char * const priorities[] = { "low", "medium", "high", "urgent", NULL };
  static const char * const methods[] = { "call", "message", "email", NULL };
  g_autoptr(MiraAction) action = NULL;
  const char *type, *text;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (zone != NULL, NULL);

  if (!get_string (object, "type", TRUE, &type, error))
    return NULL;
  if (g_str_equal (type, "remind"))
    {
      action = mira_action_new (MIRA_ACTION_REMIND);
      if (!get_string (object, "title", TRUE, &text, error))
        return NULL;
      action->title = g_strdup (text);
      if (!get_time (object, "due_time", TRUE, zone, &action->time, error) ||
          !get_string (object, "priority", FALSE, &text, error))
        return NULL;
      if (text != NULL && !g_strv_contains (priorities, text))
        {
          g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                       "priority must be low, medium, high or urgent");
          return NULL;
        }
      action->priority = g_strdup (text ? text : "medium");
    }
  else if (g_str_equal (type, "schedule"))
    {
      JsonNode *attendees = json_object_get_member (object, "attendees");
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      action = mira_action_new (MIRA_ACTION_SCHEDULE);
      if (!get_string (object, "title", TRUE, &text, error))
        return NULL;
      action->title = g_strdup (text);
      if (!get_time (object, "start_time", TRUE, zone, &action->time, error) ||
          !get_time (object, "end_time", FALSE, zone, &action->end, error) ||
          !get_string (object, "location", FALSE, &text, error))
        return NULL;
      action->location = g_strdup (text);
      if (action->end == NULL)
        action->end = g_date_time_add_seconds (action->time, DEFAULT_LENGTH_S);
      if (g_date_time_compare (action->end, action->time) < 0)
        {
          g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                       "end_time is before start_time");
          return NULL;
        }
      if (attendees != NULL && !JSON_NODE_HOLDS_NULL (attendees))
        {
          JsonArray *array;

          if (!JSON_NODE_HOLDS_ARRAY (attendees))
            {
              g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                           "attendees is not an array");
              return NULL;
            }
          array = json_node_get_array (attendees);
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);

              if (!JSON_NODE_HOLDS_VALUE (element) ||
                  json_node_get_value_type (element) != G_TYPE_STRING)
                {
                  g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                               "attendees holds a value that is not a string");
                  return NULL;
                }
              g_strv_builder_add (builder, json_node_get_string (element));
            }
        }
      g_strfreev (action->attendees);
      action->attendees = g_strv_builder_end (builder);
    }
  else if (g_str_equal (type, "contact"))
    {
      action = mira_action_new (MIRA_ACTION_CONTACT);
      if (!get_string (object, "name", TRUE, &text, error))
        return NULL;
      action->name = g_strdup (text);
      if (!get_string (object, "method", TRUE, &text, error))
        return NULL;
      if (!g_strv_contains (methods, text))
        {
          g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                       "method must be call, message or email");
          return NULL;
        }
      action->method = g_strdup (text);
      if (!get_string (object, "details", FALSE, &text, error))
        return NULL;
      action->details = g_strdup (text);
      if (!get_time (object, "time", FALSE, zone, &action->time, error))
        return NULL;
    }
  else
    {
      g_set_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION,
                   "unknown action type \"%s\"", type);
      return NULL;
    }
  return g_steal_pointer (&action);
}
