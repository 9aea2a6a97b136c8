/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-time"

#include "mira-time.h"

#include <string.h>

#include "mira-util.h"

G_DEFINE_QUARK (mira-time-error-quark, mira_time_error)

/* 1970-01-01T00:00:00Z … 9999-12-31T23:59:59.999Z: what both databases hold
 * in the canonical form (SQLite checks four-digit years).
 */
#define MIN_UNIX_MS G_GINT64_CONSTANT (0)
#define MAX_UNIX_MS G_GINT64_CONSTANT (253402300799999)

/* Offsets are within ±26 h; a window of two days either side holds every
 * interval a wall-clock time can fall in.
 */
#define WINDOW_S (2 * 24 * 3600)

static GMutex zones_lock;
static GHashTable *zones;        /* name → GTimeZone, under zones_lock */

/* A name as tzdata writes them: Area/Location_Name, Etc/GMT+5, EST5EDT.
 * Anything else in a list (a damaged file) is left out rather than trusted.
 */
static gboolean
is_zone_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64 || name[0] == '/' || name[0] == '.' || strstr (name, "..") != NULL)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("/_+-", name[i]) == NULL)
      return FALSE;
  return TRUE;
}

static void
add_name (GHashTable *names,
          const char *name)
{
  if (is_zone_name (name) && !g_hash_table_contains (names, name))
    {
      char *copy = g_strdup (name);

      g_hash_table_insert (names, copy, copy);
    }
}

/* tzdata.zi: "Z NAME …" for a zone, "L TARGET NAME" for a link. */
static gboolean
read_tzdata_zi (GHashTable *names,
                const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "tzdata.zi", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (lines[i][0] != 'Z' && lines[i][0] != 'L')
        continue;
      fields = g_strsplit_set (lines[i], " \t", -1);
      if (g_str_equal (fields[0], "Z") && fields[1] != NULL)
        add_name (names, fields[1]);
      else if (g_str_equal (fields[0], "L") && fields[1] != NULL && fields[2] != NULL)
        add_name (names, fields[2]);
    }
  return g_hash_table_size (names) > 0;
}

/* zone1970.tab and zone.tab: "CODES\tCOORDINATES\tNAME[\tCOMMENT]". */
static void
read_zone_tab (GHashTable *names,
               const char *dir,
               const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);
      if (g_strv_length (fields) >= 3)
        add_name (names, fields[2]);
    }
}

static gpointer
load_names (gpointer data)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* The directory GLib reads zones from. */
  const char *dir = g_getenv ("TZDIR");

  if (dir == NULL || dir[0] == '\0')
    dir = "/usr/share/zoneinfo";
  if (!read_tzdata_zi (names, dir))
    {
      read_zone_tab (names, dir, "zone1970.tab");
      read_zone_tab (names, dir, "zone.tab");
    }
  if (g_hash_table_size (names) == 0)
    g_warning ("No list of time zones in %s (is tzdata installed?): only UTC is known", dir);
  add_name (names, "UTC");
  zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify) g_time_zone_unref);
  return names;
}

/* name → itself; read once, then only read */
static GHashTable *
zone_names (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, load_names, NULL);
}

void
mira_time_zones_load (void)
{
  zone_names ();
}

gboolean
mira_time_zone_is_known (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return g_hash_table_contains (zone_names (), name);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char **
mira_time_zones_dup_names (void)
{
  GHashTable *names = zone_names ();
  GHashTableIter iter;
  gpointer name;
  GPtrArray *sorted = g_ptr_array_new_full (g_hash_table_size (names) + 1, NULL);

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (sorted, g_strdup (name));
  g_ptr_array_sort (sorted, compare_names);
  g_ptr_array_add (sorted, NULL);
  return (char **) g_ptr_array_free (sorted, FALSE);
}

GTimeZone *
mira_time_zone_get (const char *name)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GTimeZone *zone;

  g_return_val_if_fail (name != NULL, NULL);

  if (!mira_time_zone_is_known (name))
    return NULL;
  locker = g_mutex_locker_new (&zones_lock);
  zone = g_hash_table_lookup (zones, name);
  if (zone == NULL)
    {
      /* A name from the system's list: GLib reads that zone's own file. */
      zone = g_str_equal (name, "UTC") ? g_time_zone_new_utc ()
                                       : g_time_zone_new_identifier (name);
      if (zone == NULL)
        {
          g_warning ("Time zone %s is listed but cannot be read", name);
          return NULL;
        }
      g_hash_table_insert (zones, g_strdup (name), zone);
    }
  return g_time_zone_ref (zone);
}

/* The instant at which the wall-clock time @local (seconds, counted as if
 * it were UTC) is read in @zone: its earlier occurrence in an overlap, and
 * with the offset before the gap in a gap (see mira-time.h).
 */
static gint64
local_to_unix (GTimeZone *zone,
               gint64     local)
{
  gint first = g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, local - WINDOW_S);
  gint last = g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, local + WINDOW_S);
  gboolean found = FALSE;
  gint64 best = 0;

  /* Every interval whose offset makes @local one of its own instants */
  for (gint i = first; i <= last; i++)
    {
      gint64 instant = local - g_time_zone_get_offset (zone, i);

      if (g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, instant) == i &&
          (!found || instant < best))
        {
          best = instant;
          found = TRUE;
        }
    }
  if (found)
    return best;

  /* None: @local is in a gap between intervals i and i + 1, where it is
   * after the end of i's wall clock and before the start of i + 1's.
   */
  for (gint i = first; i < last; i++)
    {
      gint64 with_before = local - g_time_zone_get_offset (zone, i);
      gint64 with_after = local - g_time_zone_get_offset (zone, i + 1);

      if (g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, with_before) > i &&
          g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, with_after) <= i)
        return with_before;
    }
  return local - g_time_zone_get_offset (zone, g_time_zone_find_interval (zone,
                                                                          G_TIME_TYPE_UNIVERSAL,
                                                                          local));
}

GDateTime *
mira_time_local_new (GTimeZone *zone,
                     gint       year,
                     gint       month,
                     gint       day,
                     gint       hour,
                     gint       minute)
{
  g_autoptr(GDateTime) wall = NULL;
  g_autoptr(GDateTime) instant = NULL;

  g_return_val_if_fail (zone != NULL, NULL);

  /* The wall-clock time counted as if it were UTC, then read in @zone. */
  wall = g_date_time_new_utc (year, month, day, hour, minute, 0);
  if (wall == NULL)
    return NULL;
  instant = g_date_time_new_from_unix_utc (local_to_unix (zone, g_date_time_to_unix (wall)));
  return instant != NULL ? g_date_time_to_timezone (instant, zone) : NULL;
}

/* @n digits at @p into @value */
static gboolean
read_digits (const char **p,
             guint        n,
             gint        *value)
{
  *value = 0;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      *value = *value * 10 + ((*p)[i] - '0');
    }
  *p += n;
  return TRUE;
}

#define FORMS "a date-time such as 2026-01-15T10:30:00Z, 2026-01-15T11:30:00+01:00, " \
              "2026-01-15T10:30 (in the network's time zone) or 2026-01-15"

gboolean
mira_time_parse (const char          *text,
                 GTimeZone           *zone,
                 MiraTimeParseFlags   flags,
                 gint64              *unix_ms,
                 GError             **error)
{
  const char *p = text;
  gint year, month, day, hour = 0, minute = 0, second = 0, ms = 0;
  gboolean has_offset = FALSE;
  gint offset_s = 0;
  g_autoptr(GDateTime) wall = NULL;
  gint64 seconds;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (zone != NULL, FALSE);

  if (!read_digits (&p, 4, &year) || *p++ != '-' || !read_digits (&p, 2, &month) ||
      *p++ != '-' || !read_digits (&p, 2, &day))
    goto malformed;

  if (*p != '\0')
    {
      if (*p != 'T' && *p != 't' && *p != ' ')
        goto malformed;
      p++;
      if (!read_digits (&p, 2, &hour) || *p++ != ':' || !read_digits (&p, 2, &minute))
        goto malformed;
      if (*p == ':')
        {
          p++;
          if (!read_digits (&p, 2, &second))
            goto malformed;
          if (*p == '.')
            {
              guint n = 0;

              /* Kept to the millisecond; further digits are dropped. */
              for (p++; g_ascii_isdigit (*p); p++, n++)
                if (n < 3)
                  ms = ms * 10 + (*p - '0');
              if (n == 0 || n > 9)
                goto malformed;
              for (; n < 3; n++)
                ms *= 10;
            }
        }

      if (*p == 'Z' || *p == 'z')
        {
          has_offset = TRUE;
          p++;
        }
      else if (*p == '+' || *p == '-' ||
               (*p == ' ' && (flags & MIRA_TIME_PARSE_QUERY)))
        {
          gint sign = *p == '-' ? -1 : 1;
          gint offset_h, offset_m;

          p++;
          if (!read_digits (&p, 2, &offset_h))
            goto malformed;
          if (*p == ':')
            p++;
          if (!read_digits (&p, 2, &offset_m))
            goto malformed;
          if (offset_h > 23 || offset_m > 59)
            {
              g_set_error (error, MIRA_TIME_ERROR, MIRA_TIME_ERROR_NO_SUCH_TIME,
                           "the offset must be between -23:59 and +23:59");
              return FALSE;
            }
          has_offset = TRUE;
          offset_s = sign * (offset_h * 3600 + offset_m * 60);
        }
      if (*p != '\0')
        goto malformed;
    }

  if (hour > 23 || minute > 59 || second > 59)
    {
      g_set_error (error, MIRA_TIME_ERROR, MIRA_TIME_ERROR_NO_SUCH_TIME,
                   "%02d:%02d:%02d is not a time of day (00:00:00 to 23:59:59)",
                   hour, minute, second);
      return FALSE;
    }
  if (year < 1 || !g_date_valid_dmy (day, month, year))
    {
      g_set_error (error, MIRA_TIME_ERROR, MIRA_TIME_ERROR_NO_SUCH_TIME,
                   "%04d-%02d-%02d is not a date", year, month, day);
      return FALSE;
    }

  wall = g_date_time_new_utc (year, month, day, hour, minute, second);
  g_assert (wall != NULL);
  seconds = g_date_time_to_unix (wall);
  if (has_offset)
    seconds -= offset_s;
  else
    seconds = local_to_unix (zone, seconds);

  if (seconds < MIN_UNIX_MS / 1000 || seconds > MAX_UNIX_MS / 1000)
    {
      g_set_error (error, MIRA_TIME_ERROR, MIRA_TIME_ERROR_OUT_OF_RANGE,
                   "it must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
      return FALSE;
    }
  *unix_ms = seconds * 1000 + ms;
  return TRUE;

malformed:
  g_set_error (error, MIRA_TIME_ERROR, MIRA_TIME_ERROR_MALFORMED, "it must be " FORMS);
  return FALSE;
}

char *
mira_time_normalize (const char          *text,
                     GTimeZone           *zone,
                     MiraTimeParseFlags   flags,
                     GError             **error)
{
  gint64 ms;

  if (!mira_time_parse (text, zone, flags, &ms, error))
    return NULL;
  return mira_timestamp_from_unix_ms (ms);
}
