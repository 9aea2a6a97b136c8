/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Times as the pages say them, in a network's time zone (@zone: an IANA
 * name, NULL for this computer's). "Today", "Tomorrow" and "Yesterday"
 * count in that zone too.
 */

/* "14:05" (the locale's clock) */
char      *mira_format_time          (GDateTime  *time,
                                      const char *zone);
/* "Today, 14:05", "Tomorrow, 09:00", "Mon 3 Feb, 14:05", "3 Feb 2027, 14:05" */
char      *mira_format_day_time      (GDateTime  *time,
                                      const char *zone);
/* "Monday, 3 February" (with the year when it is not this one) */
char      *mira_format_day           (GDateTime  *day);
/* How long ago, to follow words such as "Last heard": "just now", "5
 * minutes ago", "today at 14:05", "yesterday at 09:12", "on 3 February"
 */
char      *mira_format_relative      (GDateTime  *time,
                                      const char *zone);
/* @time in @zone (a new reference) */
GDateTime *mira_date_time_in_zone    (GDateTime  *time,
                                      const char *zone);

G_END_DECLS
