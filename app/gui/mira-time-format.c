/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-time-format"

#include "config.h"

#include <glib/gi18n.h>

#include "mira-time-format.h"

GDateTime *
mira_date_time_in_zone (GDateTime  *time,
                        const char *zone)
{
  g_autoptr(GTimeZone) tz = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  if (zone != NULL)
    tz = g_time_zone_new_identifier (zone);
  if (tz == NULL)
    tz = g_time_zone_new_local ();
  return g_date_time_to_timezone (time, tz);
}

/* Days from today to @time's day, both in @time's zone */
static int
days_from_today (GDateTime *time)
{
  g_autoptr(GDateTime) now = g_date_time_new_now (g_date_time_get_timezone (time));
  GDate today, day;

  g_date_clear (&today, 1);
  g_date_clear (&day, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  g_date_set_dmy (&day, g_date_time_get_day_of_month (time), g_date_time_get_month (time),
                  g_date_time_get_year (time));
  return g_date_days_between (&today, &day);
}

static gboolean
this_year (GDateTime *time)
{
  g_autoptr(GDateTime) now = g_date_time_new_now (g_date_time_get_timezone (time));

  return g_date_time_get_year (now) == g_date_time_get_year (time);
}

char *
mira_format_time (GDateTime  *time,
                  const char *zone)
{
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  local = mira_date_time_in_zone (time, zone);
  /* Translators: a time of day, see the strftime manual; %R is 14:05 */
  return g_date_time_format (local, _("%R"));
}

char *
mira_format_day_time (GDateTime  *time,
                      const char *zone)
{
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *day = NULL;
  int days;

  g_return_val_if_fail (time != NULL, NULL);

  local = mira_date_time_in_zone (time, zone);
  /* Translators: a time of day, see the strftime manual; %R is 14:05 */
  clock = g_date_time_format (local, _("%R"));
  days = days_from_today (local);
  if (days == 0)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("Today, %s"), clock);
  if (days == 1)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("Tomorrow, %s"), clock);
  if (days == -1)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("Yesterday, %s"), clock);
  if (this_year (local))
    /* Translators: a day this year, see the strftime manual: Mon 3 Feb */
    day = g_date_time_format (local, _("%a %-e %b"));
  else
    /* Translators: a day of another year, see the strftime manual: 3 Feb 2027 */
    day = g_date_time_format (local, _("%-e %b %Y"));
  /* Translators: a day, then a time of day */
  return g_strdup_printf (_("%s, %s"), day, clock);
}

char *
mira_format_day (GDateTime *day)
{
  g_return_val_if_fail (day != NULL, NULL);

  if (this_year (day))
    /* Translators: a day, see the strftime manual: Monday, 3 February */
    return g_date_time_format (day, _("%A, %-e %B"));
  /* Translators: a day of another year, see the strftime manual: Monday, 3 February 2027 */
  return g_date_time_format (day, _("%A, %-e %B %Y"));
}

char *
mira_format_relative (GDateTime  *time,
                      const char *zone)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *clock = NULL;
  GTimeSpan ago;
  int days;

  g_return_val_if_fail (time != NULL, NULL);

  ago = g_date_time_difference (now, time);
  if (ago < G_TIME_SPAN_MINUTE)
    return g_strdup (_("just now"));
  if (ago < G_TIME_SPAN_HOUR)
    {
      int minutes = (int) (ago / G_TIME_SPAN_MINUTE);

      /* Translators: said after "Last heard" */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago",
                                           minutes), minutes);
    }

  local = mira_date_time_in_zone (time, zone);
  /* Translators: a time of day, see the strftime manual; %R is 14:05 */
  clock = g_date_time_format (local, _("%R"));
  days = days_from_today (local);
  if (days == 0)
    /* Translators: said after "Last heard"; %s is a time of day */
    return g_strdup_printf (_("today at %s"), clock);
  if (days == -1)
    /* Translators: said after "Last heard"; %s is a time of day */
    return g_strdup_printf (_("yesterday at %s"), clock);
  if (this_year (local))
    /* Translators: said after "Last heard", see the strftime manual: on 3 February */
    return g_date_time_format (local, _("on %-e %B"));
  /* Translators: said after "Last heard", see the strftime manual: on 3 February 2027 */
  return g_date_time_format (local, _("on %-e %B %Y"));
}
