/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-extractor"

/* The built-in extractor as a user meets it: what they said becomes the
 * reminder, event or contact they asked for, at the time they meant in their
 * time zone, and ordinary talk becomes nothing.
 */

#include "mira-extractor.h"
#include "mira-test-corpus.h"
#include <string.h>

#include "mira-time.h"

/* The share of the corpus that must come out exactly right */
#define MIN_EXACT_RATE 0.90

static GPtrArray *
find (const char *text,
      const char *said,
      const char *zone_name)
{
  g_autoptr(GTimeZone) zone = mira_time_zone_get (zone_name);
  g_autoptr(GDateTime) said_at = NULL;
  gint64 ms;

  g_assert_nonnull (zone);
  g_assert_true (mira_time_parse (said, zone, MIRA_TIME_PARSE_DEFAULT, &ms, NULL));
  said_at = g_date_time_new_from_unix_utc (ms / 1000);
  return mira_extractor_find (text, said_at, zone);
}

static char *
utc (GDateTime *time)
{
  g_autoptr(GDateTime) u = g_date_time_to_utc (time);

  return g_date_time_format (u, "%FT%TZ");
}

static void
test_corpus (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "extraction-corpus.json", NULL);
  g_autoptr(MiraTestCorpusResult) result = mira_test_corpus_run (path);
  double rate = (double) result->n_exact / result->n_cases;

  g_test_message ("%u of %u cases exactly right (%.1f %%); %u of %u ordinary sentences gave "
                  "nothing", result->n_exact, result->n_cases, 100 * rate,
                  result->n_quiet_exact, result->n_quiet);
  if (result->failures->len > 0)
    g_test_message ("not exactly right:\n%s", result->failures->str);
  g_assert_cmpuint (result->n_cases, >=, 80);
  g_assert_cmpuint (result->n_quiet, >=, 30);
  g_assert_cmpfloat (rate, >=, MIN_EXACT_RATE);
  /* Ordinary talk never creates anything */
  g_assert_cmpuint (result->n_quiet_exact, ==, result->n_quiet);
}

/* The words of the issue, as PocketSphinx writes them */
static void
test_dentist (void)
{
  g_autoptr(GPtrArray) actions = find ("remind me to call the dentist tomorrow at five p m",
                                       "2026-06-10T15:20:00+02:00", "Europe/Berlin");
  MiraAction *action;
  g_autofree char *due = NULL;

  g_assert_cmpuint (actions->len, ==, 1);
  action = g_ptr_array_index (actions, 0);
  g_assert_cmpint (action->type, ==, MIRA_ACTION_REMIND);
  g_assert_cmpstr (action->title, ==, "Call the dentist");
  g_assert_cmpstr (action->priority, ==, "medium");
  due = utc (action->time);
  g_assert_cmpstr (due, ==, "2026-06-11T15:00:00Z");
}

/* Clocks that change: the wall-clock time said, by the zone's rules */
static void
test_dst (void)
{
  struct {
    const char *text, *said, *zone, *due_utc;
  } cases[] = {
    /* New York springs forward at 02:00 on 8 March 2026: 17:00 is EDT */
    { "remind me to call the dentist tomorrow at five pm", "2026-03-07T12:00:00-05:00",
      "America/New_York", "2026-03-08T21:00:00Z" },
    /* … and falls back on 1 November: 17:00 is EST */
    { "remind me to call the dentist tomorrow at five pm", "2026-10-31T12:00:00-04:00",
      "America/New_York", "2026-11-01T22:00:00Z" },
    /* Berlin skips 02:00–03:00 on 29 March: 02:30 moves forward by the gap */
    { "remind me tomorrow at 2:30 am to check the clocks", "2026-03-28T20:00:00+01:00",
      "Europe/Berlin", "2026-03-29T01:30:00Z" },
    /* 02:30 on 25 October happens twice: the first of them */
    { "remind me tomorrow at 2:30 am to check the clocks", "2026-10-24T20:00:00+02:00",
      "Europe/Berlin", "2026-10-25T00:30:00Z" },
    /* Two hours are two hours, whatever the clock on the wall says */
    { "remind me in two hours to sleep", "2026-03-29T01:30:00+01:00", "Europe/Berlin",
      "2026-03-29T02:30:00Z" },
    /* A day later is the same wall-clock time, 23 hours later */
    { "remind me in one day to water the garden", "2026-03-28T10:00:00+01:00",
      "Europe/Berlin", "2026-03-29T08:00:00Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) actions = find (cases[i].text, cases[i].said, cases[i].zone);
      g_autofree char *due = NULL;

      g_assert_cmpuint (actions->len, ==, 1);
      due = utc (((MiraAction *) g_ptr_array_index (actions, 0))->time);
      g_assert_cmpstr (due, ==, cases[i].due_utc);
    }
}

/* Near midnight and at the year's end, "tomorrow" and dates still land right */
static void
test_boundaries (void)
{
  struct {
    const char *text, *said, *zone, *due_utc;
  } cases[] = {
    { "remind me tomorrow at 9 am to go", "2026-12-31T23:50:00Z", "UTC", "2027-01-01T09:00:00Z" },
    { "remind me at 8 am to go", "2026-12-31T23:50:00Z", "UTC", "2027-01-01T08:00:00Z" },
    { "remind me on january 2nd to go", "2026-12-31T10:00:00Z", "UTC", "2027-01-02T09:00:00Z" },
    { "remind me on february 29th to go", "2027-03-01T10:00:00Z", "UTC", "2028-02-29T09:00:00Z" },
    { "remind me in 10 minutes to go", "2026-12-31T23:55:00Z", "UTC", "2027-01-01T00:05:00Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) actions = find (cases[i].text, cases[i].said, cases[i].zone);
      g_autofree char *due = NULL;

      g_assert_cmpuint (actions->len, ==, 1);
      due = utc (((MiraAction *) g_ptr_array_index (actions, 0))->time);
      g_assert_cmpstr (due, ==, cases[i].due_utc);
    }
}

/* The one action of @text said at 10:00 on Monday 2 March 2026 in Berlin:
 * its title (a contact's name) and its time in UTC.
 */
static MiraAction *
find_one (const char *text,
          GPtrArray **actions)
{
  *actions = find (text, "2026-03-02T10:00:00+01:00", "Europe/Berlin");
  if ((*actions)->len != 1)
    g_error ("\"%s\" gave %u actions, not one", text, (*actions)->len);
  return g_ptr_array_index (*actions, 0);
}

/* "on", "by" and "for" before a day belong to the time, not to the title */
static void
test_day_words (void)
{
  struct {
    const char *text, *title, *due_utc;
  } reminders[] = {
    { "remind me to call the dentist at 2:30 on the day after tomorrow", "Call the dentist",
      "2026-03-04T13:30:00Z" },
    { "remind me to call the dentist on the day after tomorrow at 2:30", "Call the dentist",
      "2026-03-04T13:30:00Z" },
    { "remind me to pay the rent by the day after tomorrow", "Pay the rent",
      "2026-03-04T08:00:00Z" },
    { "remind me to call mum on tomorrow evening", "Call mum", "2026-03-03T18:00:00Z" },
    { "remind me to finish the report by tonight", "Finish the report", "2026-03-02T18:00:00Z" },
    { "remind me to finish the report by this evening", "Finish the report",
      "2026-03-02T18:00:00Z" },
    { "remind me to book the hotel for next week", "Book the hotel", "2026-03-09T08:00:00Z" },
    { "remind me to submit the form by tomorrow", "Submit the form", "2026-03-03T08:00:00Z" },
    { "remind me to call bob on friday", "Call bob", "2026-03-06T08:00:00Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reminders); i++)
    {
      g_autoptr(GPtrArray) actions = NULL;
      MiraAction *action = find_one (reminders[i].text, &actions);
      g_autofree char *due = utc (action->time);

      g_assert_cmpint (action->type, ==, MIRA_ACTION_REMIND);
      g_assert_cmpstr (action->title, ==, reminders[i].title);
      g_assert_cmpstr (due, ==, reminders[i].due_utc);
    }
  {
    g_autoptr(GPtrArray) actions = NULL;
    MiraAction *action = find_one ("schedule a meeting with alice on the day after tomorrow at 3",
                                   &actions);
    g_autofree char *start = utc (action->time);

    g_assert_cmpint (action->type, ==, MIRA_ACTION_SCHEDULE);
    g_assert_cmpstr (action->title, ==, "Meeting with Alice");
    g_assert_cmpstr (start, ==, "2026-03-04T14:00:00Z");
  }
  {
    g_autoptr(GPtrArray) actions = NULL;
    MiraAction *action = find_one ("call alice on the day after tomorrow", &actions);
    g_autofree char *time = utc (action->time);

    g_assert_cmpint (action->type, ==, MIRA_ACTION_CONTACT);
    g_assert_cmpstr (action->name, ==, "Alice");
    g_assert_null (action->details);
    g_assert_cmpstr (time, ==, "2026-03-04T08:00:00Z");
  }
}

/* "urgent" and "important" raise a reminder's priority wherever they are
 * said, and are never its title
 */
static void
test_priority (void)
{
  struct {
    const char *text, *title, *priority;
  } reminders[] = {
    { "urgent remind me to submit the tax form tomorrow", "Submit the tax form", "urgent" },
    { "urgent: remind me to submit the tax form tomorrow", "Submit the tax form", "urgent" },
    { "urgently remind me to submit the tax form tomorrow", "Submit the tax form", "urgent" },
    { "remind me urgently to submit the tax form tomorrow", "Submit the tax form", "urgent" },
    { "remind me asap to pay the rent", "Pay the rent", "urgent" },
    { "it's important, remind me to call the bank at 3", "Call the bank", "high" },
    { "this is important remind me to call the bank at 3", "Call the bank", "high" },
    { "please, this is very important: remind me to call the bank", "Call the bank", "high" },
    { "low priority remind me to water the plants", "Water the plants", "low" },
    { "Urgent! Remind me to submit the tax form tomorrow.", "Submit the tax form", "urgent" },
    { "Remind me to pay the rent tomorrow. It's important.", "Pay the rent", "high" },
    { "remind me to pay the rent it's urgent", "Pay the rent", "urgent" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reminders); i++)
    {
      g_autoptr(GPtrArray) actions = NULL;
      MiraAction *action = find_one (reminders[i].text, &actions);

      g_assert_cmpint (action->type, ==, MIRA_ACTION_REMIND);
      g_assert_cmpstr (action->title, ==, reminders[i].title);
      g_assert_cmpstr (action->priority, ==, reminders[i].priority);
    }
  /* Before another request, the words are passed over */
  {
    g_autoptr(GPtrArray) actions = NULL;
    MiraAction *action = find_one ("urgent, call the plumber", &actions);

    g_assert_cmpint (action->type, ==, MIRA_ACTION_CONTACT);
    g_assert_cmpstr (action->name, ==, "Plumber");
  }
  /* … and said alone, they ask for nothing */
  {
    g_autoptr(GPtrArray) actions = find ("It's important.", "2026-03-02T10:00:00+01:00",
                                         "Europe/Berlin");

    g_assert_cmpuint (actions->len, ==, 0);
  }
}

/* "remind me" alone makes nothing, and nothing waits for the rest: the next
 * utterance is read as it stands
 */
static void
test_lone_remind (void)
{
  g_autoptr(GPtrArray) first = find ("remind me", "2026-03-02T10:00:00+01:00", "Europe/Berlin");
  g_autoptr(GPtrArray) actions = NULL;
  MiraAction *action;
  g_autofree char *time = NULL;

  g_assert_cmpuint (first->len, ==, 0);
  action = find_one ("to call the plumber at 5 pm", &actions);
  time = utc (action->time);
  g_assert_cmpint (action->type, ==, MIRA_ACTION_CONTACT);
  g_assert_cmpstr (action->name, ==, "Plumber");
  g_assert_cmpstr (action->method, ==, "call");
  g_assert_cmpstr (time, ==, "2026-03-02T16:00:00Z");
}

/* A full stop after a number ends the sentence: two requests, not one title */
static void
test_sentences (void)
{
  g_autoptr(GPtrArray) actions = find ("Remind me to call the bank at 3. Call the plumber.",
                                       "2026-03-02T10:00:00+01:00", "Europe/Berlin");
  MiraAction *remind, *contact;

  g_assert_cmpuint (actions->len, ==, 2);
  remind = g_ptr_array_index (actions, 0);
  contact = g_ptr_array_index (actions, 1);
  g_assert_cmpint (remind->type, ==, MIRA_ACTION_REMIND);
  g_assert_cmpstr (remind->title, ==, "Call the bank");
  g_assert_cmpint (contact->type, ==, MIRA_ACTION_CONTACT);
  g_assert_cmpstr (contact->name, ==, "Plumber");
}

/* Whatever the bytes, the extractor answers, and finds nothing in noise */
static void
test_hostile_text (void)
{
  const char *texts[] = {
    "remind", "remind me", "remind me to", "at", "at at at at", "on the 99th of march",
    "remind me on february 30th to go", "remind me at 25:99 to go", "in 99999999 minutes",
    "call", "send", "schedule", "\xff\xfe\xfd", "remind me to \xc3\x28 at 5 pm",
    "quarter to", "half past", "from to until", "remind me in a few", "the day after",
  };
  g_autoptr(GString) long_text = g_string_new (NULL);

  for (guint i = 0; i < 20000; i++)
    g_string_append (long_text, "remind me at ");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GPtrArray) actions = find (texts[i], "2026-03-02T10:00:00Z", "UTC");

      for (guint k = 0; k < actions->len; k++)
        {
          g_autoptr(JsonObject) object = mira_action_to_json (g_ptr_array_index (actions, k));

          g_assert_nonnull (object);
        }
    }
  {
    g_autoptr(GPtrArray) actions = find (long_text->str, "2026-03-02T10:00:00Z", "UTC");

    g_assert_nonnull (actions);
  }
}

/* The structure an LLM answers in reads back as the same action */
static void
test_json (void)
{
  g_autoptr(GPtrArray) actions = find ("schedule a meeting with alice and bob on friday at noon "
                                       "at the office. text carol that i am late",
                                       "2026-03-02T10:00:00+01:00", "Europe/Berlin");
  g_autoptr(GTimeZone) zone = mira_time_zone_get ("Europe/Berlin");
  struct {
    const char *json, *error;
  } bad[] = {
    { "{\"type\":\"remind\",\"due_time\":\"2026-03-03T17:00\"}", "title is missing" },
    { "{\"type\":\"remind\",\"title\":\"x\",\"due_time\":\"tomorrow\"}", "due_time" },
    { "{\"type\":\"remind\",\"title\":\"x\",\"due_time\":\"2026-03-03T17:00\","
      "\"priority\":\"extreme\"}", "priority" },
    { "{\"type\":\"schedule\",\"title\":\"x\",\"start_time\":\"2026-03-03T17:00\","
      "\"end_time\":\"2026-03-03T16:00\"}", "end_time is before" },
    { "{\"type\":\"schedule\",\"title\":\"x\",\"start_time\":\"2026-03-03T17:00\","
      "\"attendees\":[1]}", "attendees" },
    { "{\"type\":\"contact\",\"name\":\"x\",\"method\":\"pigeon\"}", "method" },
    { "{\"type\":\"launch\"}", "unknown action type" },
    { "{\"type\":5}", "type is not a string" },
    { "{\"type\":\"remind\",\"title\":\"  \",\"due_time\":\"2026-03-03T17:00\"}", "title is empty" },
  };

  g_assert_cmpuint (actions->len, ==, 2);
  for (guint i = 0; i < actions->len; i++)
    {
      g_autoptr(JsonObject) object = mira_action_to_json (g_ptr_array_index (actions, i));
      g_autoptr(MiraAction) back = NULL;
      g_autoptr(JsonObject) again = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) a = NULL;
      g_autoptr(JsonNode) b = NULL;

      back = mira_action_from_json (object, zone, &error);
      g_assert_no_error (error);
      again = mira_action_to_json (back);
      a = json_node_init_object (json_node_alloc (), object);
      b = json_node_init_object (json_node_alloc (), again);
      g_assert_true (json_node_equal (a, b));
    }

  /* A local time without an offset is the network's wall-clock time */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(MiraAction) action = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *due = NULL;

    g_assert_true (json_parser_load_from_data (parser, "{\"type\":\"remind\",\"title\":\"x\","
                                               "\"due_time\":\"2026-07-01T17:00\"}", -1, NULL));
    action = mira_action_from_json (json_node_get_object (json_parser_get_root (parser)), zone,
                                    &error);
    g_assert_no_error (error);
    due = utc (action->time);
    g_assert_cmpstr (due, ==, "2026-07-01T15:00:00Z");
    g_assert_cmpstr (action->priority, ==, "medium");
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      MiraAction *action;

      g_assert_true (json_parser_load_from_data (parser, bad[i].json, -1, NULL));
      action = mira_action_from_json (json_node_get_object (json_parser_get_root (parser)), zone,
                                      &error);
      g_assert_null (action);
      g_assert_error (error, MIRA_EXTRACTOR_ERROR, MIRA_EXTRACTOR_ERROR_BAD_ACTION);
      g_assert_nonnull (strstr (error->message, bad[i].error));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  mira_time_zones_load ();

  g_test_add_func ("/extractor/corpus", test_corpus);
  g_test_add_func ("/extractor/dentist", test_dentist);
  g_test_add_func ("/extractor/dst", test_dst);
  g_test_add_func ("/extractor/boundaries", test_boundaries);
  g_test_add_func ("/extractor/day-words", test_day_words);
  g_test_add_func ("/extractor/priority", test_priority);
  g_test_add_func ("/extractor/lone-remind", test_lone_remind);
  g_test_add_func ("/extractor/sentences", test_sentences);
  g_test_add_func ("/extractor/hostile-text", test_hostile_text);
  g_test_add_func ("/extractor/json", test_json);
  return g_test_run ();
}
