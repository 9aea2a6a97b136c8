/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Time zones and the text times clients send.
 *
 * A time zone is an IANA name from the system's own list of zones (tzdata's
 * tzdata.zi, else zone1970.tab and zone.tab, in $TZDIR or
 * /usr/share/zoneinfo), or "UTC". The list is read once; a name is checked
 * against it by lookup, so a name a client sends never reaches the file
 * system: only names from the list are ever opened, by GLib.
 *
 * A text time is RFC 3339 or its local form: YYYY-MM-DD, then "T" (or "t",
 * or a space) and hh:mm, hh:mm:ss or hh:mm:ss.fraction (1 to 9 digits, kept
 * to the millisecond), then "Z", "±hh:mm", "±hhmm" or nothing. Without an
 * offset it is a wall-clock time in the given zone; a date alone is the
 * start of that day there. A wall-clock time that a zone skips (a gap, when
 * clocks go forward) is read with the offset in force before the gap, so it
 * moves forward by the gap's length (02:30 on a day Europe/Berlin skips from
 * 02:00 to 03:00 is 03:30); one that occurs twice (an overlap, when clocks go
 * back) is its earlier occurrence. Those are RFC 5545's rules. The result
 * must lie in 1970-01-01T00:00:00Z … 9999-12-31T23:59:59.999Z.
 */

/* Reads the system's list of zones, once (later calls return at once).
 * Called at start-up so that no request pays for it.
 */
void         mira_time_zones_load      (void);

/* Whether @name is "UTC" or a zone of the system's list. Opens nothing. */
gboolean     mira_time_zone_is_known   (const char  *name);

/* Every name mira_time_zone_is_known() accepts, sorted by byte order
 * (a new NULL-terminated array): what a person picks a network's time
 * zone from.
 */
char       **mira_time_zones_dup_names (void);

/* The zone named @name (a new reference), or NULL when it is not known.
 * Zones are kept once made.
 */
GTimeZone   *mira_time_zone_get        (const char  *name);

/* The wall-clock time @year-@month-@day @hour:@minute in @zone, by the rules
 * above for gaps and overlaps, as a GDateTime in @zone; NULL when it names no
 * real date or time.
 */
GDateTime   *mira_time_local_new       (GTimeZone   *zone,
                                        gint         year,
                                        gint         month,
                                        gint         day,
                                        gint         hour,
                                        gint         minute);

#define MIRA_TIME_ERROR (mira_time_error_quark ())

/* Why a text is not a time */
typedef enum {
  MIRA_TIME_ERROR_MALFORMED,     /* not one of the forms above */
  MIRA_TIME_ERROR_NO_SUCH_TIME,  /* a date, time of day or offset that does not exist */
  MIRA_TIME_ERROR_OUT_OF_RANGE,  /* before 1970 or after 9999 */
} MiraTimeError;

GQuark       mira_time_error_quark     (void);

typedef enum {
  MIRA_TIME_PARSE_DEFAULT = 0,
  /* A query parameter: an offset's "+" sent unencoded arrives as a space,
   * and a space before hh:mm at the offset's place is read as "+".
   */
  MIRA_TIME_PARSE_QUERY = 1 << 0,
} MiraTimeParseFlags;

/* Parses @text; a time without an offset is read in @zone. Returns
 * milliseconds since 1970-01-01T00:00:00Z in @unix_ms, or FALSE with a short
 * reason in @error when @text is not one of the forms above
 * (MIRA_TIME_ERROR_MALFORMED), names no real date or time
 * (MIRA_TIME_ERROR_NO_SUCH_TIME), or lies outside the range
 * (MIRA_TIME_ERROR_OUT_OF_RANGE).
 */
gboolean     mira_time_parse           (const char          *text,
                                        GTimeZone           *zone,
                                        MiraTimeParseFlags   flags,
                                        gint64              *unix_ms,
                                        GError             **error);

/* The same, answered in the canonical form 2026-01-15T10:30:00.123Z (NULL
 * and @error when it does not parse).
 */
char        *mira_time_normalize       (const char          *text,
                                        GTimeZone           *zone,
                                        MiraTimeParseFlags   flags,
                                        GError             **error);

G_END_DECLS
