/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What an utterance asks for, found in its text.
 *
 * The built-in extractor reads English as people say it and as speech
 * recognisers write it: any case, with or without punctuation, numbers as
 * words or digits ("five p m", "5pm", "17:00", "half past four"). It finds:
 *
 *  - remind:   "remind me to call the dentist tomorrow at five pm"
 *              → a reminder: title, due time, priority;
 *  - schedule: "schedule a meeting with alice on friday at noon"
 *              → a calendar event: title, start, end, location, attendees;
 *  - contact:  "text bob that i am running late"
 *              → who to reach (name), how (call / message / email), details.
 *
 * Times are read in a time zone, relative to the moment the words were said:
 * see mira_extractor_find().
 */

#define MIRA_EXTRACTOR_ERROR (mira_extractor_error_quark ())

typedef enum {
  MIRA_EXTRACTOR_ERROR_BAD_ACTION,  /* JSON that is not an action: the message says why */
} MiraExtractorError;

GQuark       mira_extractor_error_quark (void);

typedef enum {
  MIRA_ACTION_REMIND,
  MIRA_ACTION_SCHEDULE,
  MIRA_ACTION_CONTACT,
} MiraActionType;

typedef struct {
  MiraActionType  type;
  char           *title;      /* remind, schedule: "Call the dentist" */
  GDateTime      *time;       /* remind: due; schedule: start; contact: when, or NULL */
  GDateTime      *end;        /* schedule: end (one hour after the start when unsaid) */
  char           *priority;   /* remind: "low", "medium", "high" or "urgent" */
  char           *location;   /* schedule, or NULL */
  GStrv           attendees;  /* schedule: names, never NULL */
  char           *name;       /* contact: "Alice" */
  char           *method;     /* contact: "call", "message" or "email" */
  char           *details;    /* contact: what to say, or NULL */
} MiraAction;

MiraAction  *mira_action_new           (MiraActionType    type);
void         mira_action_free          (MiraAction       *action);
/* "remind", "schedule", "contact": the actions table's action_type. */
const char  *mira_action_type_to_string (MiraActionType   type);

/* The action as the actions table's action_data holds it, times as RFC 3339
 * UTC ("2026-03-03T16:00:00.000Z"):
 *   remind   {"title", "due_time", "priority"}
 *   schedule {"title", "start_time", "end_time", "location", "attendees"}
 *   contact  {"name", "method", "details", "time"}
 * with "type" added. Absent values are null.
 */
JsonObject  *mira_action_to_json       (const MiraAction *action);

/* Reads one action in that shape (as an LLM is asked to answer it). A time
 * may also be a local time without an offset, read in @zone. Returns NULL
 * with MIRA_EXTRACTOR_ERROR_BAD_ACTION when a member is missing, of the wrong type or not
 * a real time, or the type is unknown.
 */
MiraAction  *mira_action_from_json     (JsonObject       *object,
                                        GTimeZone        *zone,
                                        GError          **error);

/* Finds the actions in @text, said at @said_at, with times resolved in @zone.
 *
 * Times: "in ten minutes" and "in two hours" are that long after @said_at;
 * days ("tomorrow", "on friday", "next friday", "on march 3rd", "the day
 * after tomorrow", "in two days") and clock times ("at five pm", "at 17:00",
 * "at half past four", "quarter to nine", "noon", "tonight" = 19:00, "this
 * evening" = 19:00, "in the morning" = 09:00) are wall-clock times in
 * @zone, made by the zone's rules, so a day that changes to or from summer
 * time still gets the time said (a time the clocks skip moves forward by the
 * gap). A weekday is the next one after today ("this friday" may be today).
 * A clock time without am/pm is the next one to come (at 10:00 "at nine"
 * is 21:00); on another day 1–6 are afternoon, 7–11 morning. A time already
 * past today means tomorrow; a date already past this year means next year;
 * a day without a time is at 09:00 ("today" said after 09:00: as if no time
 * was said; "later" and "early" before a day say nothing more); a reminder
 * without any time is due one hour after @said_at, and so starts an event without one; an event lasts
 * one hour unless "for two hours", "until three" or "from two to four" says
 * otherwise. "urgent" makes a reminder urgent, "important" high,
 * "low priority" low, wherever said (before the request, after it, or as a
 * sentence of its own next to it); else it is medium. A question ("remind
 * me what you said", "can you remind me how to …") asks for nothing.
 *
 * Only the first 2000 bytes of @text are read (cut at a space): requests
 * are short, and a long text's come first. Text that asks for nothing gives
 * an empty array. Returns a new array of MiraAction, in the order said.
 */
GPtrArray   *mira_extractor_find       (const char       *text,
                                        GDateTime        *said_at,
                                        GTimeZone        *zone);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraAction, mira_action_free)

G_END_DECLS
