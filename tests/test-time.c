/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-time"

/* Time as a user meets it, over real HTTP and the real event socket, on
 * SQLite and on PostgreSQL: a network's time zone is a zone name and never a
 * file; a time without an offset is the network's wall-clock time, read the
 * same way by every field and every filter, across DST gaps and overlaps;
 * and a reminder comes due when its due time says, however often it moves.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mira-db.h"
#include "mira-test-case.h"
#include "mira-test-pg.h"

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

static const Backend backends[N_BACKENDS] = { BACKEND_SQLITE, BACKEND_POSTGRESQL };
static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };

static MiraTestServer *servers[N_BACKENDS];
static char *server_uris[N_BACKENDS];

typedef struct {
  Backend          backend;
  MiraTestClient  *client;
  MiraTestScope   *scope;     /* what the case made */
} Fixture;

typedef MiraTestNet Net;

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* A refusal whose detail names @name */
#define refused(f, status, name, method, path, token, body) \
  G_STMT_START { \
    JsonObject *error_ = mira_test_client_expect ((f)->client, (f)->scope, __FILE__, __LINE__, \
                                                  (status), (method), (path), (token), (body)); \
    mira_test_check (str (error_, "detail") != NULL && strstr (str (error_, "detail"), (name)) != NULL, \
           "%s %s %s: the refusal does not name '%s': %s", (method), (path), (body) ? (body) : "", \
           (name), str (error_, "detail")); \
  } G_STMT_END

/* A fresh network named Home with its event socket, and @zone as its time zone (NULL: unset) */
static Net *
net_new (Fixture    *f,
         const char *zone)
{
  return mira_test_net_new (f->client, f->scope, "Home", zone);
}

static const char *
api (Fixture    *f,
     Net        *net,
     const char *path)
{
  return P (f, "/api/v1/%s/%s", net->id, path);
}

static gint64
total_of (Fixture    *f,
          Net        *net,
          const char *collection)
{
  JsonObject *o = request (f, 200, "GET", api (f, net, collection), net->token, NULL);

  return json_object_get_int_member (o, "total");
}

static double
seconds_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

/* Fixture */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->backend = *(const Backend *) data;
  if (servers[f->backend] == NULL)
    {
      server_uris[f->backend] = f->backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                             : mira_test_pg_new_database ();
      servers[f->backend] = mira_test_server_new (server_uris[f->backend], FALSE);
    }
  f->client = mira_test_client_new (mira_test_server_get_url (servers[f->backend]));
  f->scope = mira_test_scope_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Sockets before the client they run on */
  mira_test_scope_free (f->scope);
  mira_test_client_free (f->client);
}

/* Time zone names */

/* A FIFO nobody writes to: opening it for reading blocks for ever. */
static const char *
make_fifo (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("mira-test-time-XXXXXX", &error);
  char *path;

  g_assert_no_error (error);
  path = g_build_filename (dir, "zone", NULL);
  mira_test_check (mkfifo (path, 0600) == 0, "mkfifo %s: %s", path, g_strerror (errno));
  take (f, dir);
  return take (f, path);
}

static void
remove_fifo (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

/* No name a client sends is opened: paths (absolute, relative, to a FIFO),
 * files of the zone directory that are not zones, and garbage are refused
 * at once and change nothing; names of the system's list are taken.
 */
static void
test_zone_names (Fixture       *f,
                 gconstpointer  data)
{
  Net *net = net_new (f, NULL);
  Net *other = net_new (f, NULL);
  const char *fifo = make_fifo (f);
  const char *setting = api (f, net, "settings/timezone");
  const char * const bad[] = {
    "../../../etc/passwd", "/etc/passwd", "/usr/share/zoneinfo/Europe/Berlin", fifo,
    P (f, "../../../../../../../..%s", fifo), "posix/Europe/Berlin", "right/UTC", "localtime",
    "posixrules", "zone.tab", "Europe", "Europe/Berlin/", "Europe/../Europe/Berlin",
    "./Europe/Berlin", "europe/berlin", "Mars/Olympus_Mons", "", " UTC", "UTC\\n", "+05:30",
    "CET-1CEST,M3.5.0,M10.5.0/3",
  };
  JsonObject *o;

  o = request (f, 201, "PUT", setting, net->token, "{\"value\": \"Europe/Berlin\"}");
  mira_test_check (g_strcmp0 (str (o, "value"), "Europe/Berlin") == 0, "stored %s", str (o, "value"));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *body = P (f, "{\"value\": \"%s\"}", bad[i]);
      gint64 start = g_get_monotonic_time ();

      refused (f, 422, "IANA time zone", "PUT", setting, net->token, body);
      refused (f, 422, "timezone", "PATCH", P (f, "/api/v1/networks/%s", net->id), net->token,
               P (f, "{\"settings\": {\"timezone\": \"%s\"}}", bad[i]));
      refused (f, 422, "timezone", "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
               P (f, "{\"name\": \"x\", \"settings\": {\"timezone\": \"%s\"}}", bad[i]));
      /* Never opened, so never waited for; and no lock is left behind */
      mira_test_check (seconds_since (start) < 2.0, "refusing %s took %.1f s", bad[i],
                       seconds_since (start));
      request (f, 201, "POST", api (f, other, "persons"), other->token, "{\"name\": \"Ann\"}");
    }
  o = request (f, 200, "GET", setting, net->token, NULL);
  mira_test_check (g_strcmp0 (str (o, "value"), "Europe/Berlin") == 0, "now %s", str (o, "value"));
  o = request (f, 200, "GET", P (f, "/api/v1/networks/%s", net->id), net->token, NULL);
  mira_test_check (g_strcmp0 (str (obj (o, "settings"), "timezone"), "Europe/Berlin") == 0,
                   "the network's settings say %s", str (obj (o, "settings"), "timezone"));

  /* Zones, links to zones, and UTC */
  {
    const char * const good[] = {
      "UTC", "Etc/UTC", "Asia/Kolkata", "Asia/Calcutta", "America/Argentina/Buenos_Aires",
      "US/Eastern", "Etc/GMT+5", "Australia/Lord_Howe",
    };

    for (guint i = 0; i < G_N_ELEMENTS (good); i++)
      {
        o = request (f, 200, "PUT", setting, net->token, P (f, "{\"value\": \"%s\"}", good[i]));
        mira_test_check (g_strcmp0 (str (o, "value"), good[i]) == 0, "stored %s", str (o, "value"));
      }
  }
  remove_fifo (fifo);
}

/* A value stored before names were checked (here written straight into the
 * database: a FIFO's path) is never opened either: times are read as UTC.
 */
static void
test_zone_stored (Fixture       *f,
                  gconstpointer  data)
{
  Net *net = net_new (f, NULL);
  const char *fifo = make_fifo (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraDb) db = mira_db_open (server_uris[f->backend], &error);
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *value = g_strdup_printf ("\"%s\"", fifo);
  gint64 start;
  JsonObject *o;

  g_assert_no_error (error);
  res = mira_db_query (db, "SELECT id FROM networks WHERE network_id = $1", 1,
                       (const char *[]) { net->id }, &error);
  g_assert_no_error (error);
  uuid = g_strdup (mira_db_result_get (res, 0, 0));
  g_clear_pointer (&res, mira_db_result_free);
  res = mira_db_query (db, "INSERT INTO network_settings (id, network_id, setting_key,"
                           " setting_value, setting_type) VALUES ($1, $2, 'timezone', $3,"
                           " 'string')", 3,
                       (const char *[]) { "00000000-0000-4000-8000-0000000000aa", uuid, value },
                       &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
               "{\"title\": \"Call\", \"due_time\": \"2030-01-15T17:00\"}");
  mira_test_check (g_strcmp0 (str (o, "due_time"), "2030-01-15T17:00:00.000Z") == 0,
                   "a time in a network whose zone is not one reads %s", str (o, "due_time"));
  request (f, 200, "GET", api (f, net, "reminders?due_before=2030-01-16"), net->token, NULL);
  mira_test_check (seconds_since (start) < 2.0, "took %.1f s", seconds_since (start));
  remove_fifo (fifo);
}

/* Text times */

/* A network named Home without an event socket, for cases that make many */
static Net *
net_quiet (Fixture    *f,
           const char *zone)
{
  return mira_test_net_new_quiet (f->client, f->scope, "Home", zone);
}

/* The @member of each item of a list, sorted, space-separated */
static const char *
members_of (Fixture    *f,
            JsonObject *list,
            const char *member)
{
  JsonArray *items = json_object_get_array_member (list, "items");
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (names, (gpointer) str (json_array_get_object_element (items, i), member));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return take (f, g_strjoinv (" ", (char **) names->pdata));
}

static const char *
shifted (Fixture    *f,
         const char *utc,
         int         seconds)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (utc, NULL);
  g_autoptr(GDateTime) u = g_date_time_add_seconds (t, seconds);

  return take (f, g_date_time_format (u, "%Y-%m-%dT%H:%M:%S.%fZ"));
}

/* @text in a network of @zone, as every time field and filter reads it:
 * the instant @utc, or refused (@utc NULL). @query is how it is written in a
 * query string (NULL: escaped).
 */
static void
check_text_time (Fixture    *f,
                 const char *zone,
                 const char *text,
                 const char *query,
                 const char *utc)
{
  Net *net = net_quiet (f, zone);
  const char *q = query ? query : take (f, g_uri_escape_string (text, NULL, FALSE));
  const char *reminder;
  JsonObject *o;

  o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
               "{\"title\": \"moved\", \"due_time\": \"2031-06-01T00:00:00Z\"}");
  reminder = api (f, net, P (f, "reminders/%s", str (o, "id")));

  if (utc == NULL)
    {
      refused (f, 422, "due_time", "POST", api (f, net, "reminders"), net->token,
               P (f, "{\"title\": \"at\", \"due_time\": \"%s\"}", text));
      refused (f, 422, "due_time", "PATCH", reminder, net->token,
               P (f, "{\"due_time\": \"%s\"}", text));
      refused (f, 422, "start_time", "POST", api (f, net, "calendar/events"), net->token,
               P (f, "{\"title\": \"at\", \"start_time\": \"%s\"}", text));
      refused (f, 422, "end_time", "POST", api (f, net, "calendar/events"), net->token,
               P (f, "{\"title\": \"at\", \"start_time\": \"2031-01-01T00:00:00Z\","
                     " \"end_time\": \"%s\"}", text));
      refused (f, 422, "timestamp", "POST", api (f, net, "interactions"), net->token,
               P (f, "{\"content\": \"at\", \"timestamp\": \"%s\"}", text));
      refused (f, 400, "due_before", "GET", api (f, net, P (f, "reminders?due_before=%s", q)),
               net->token, NULL);
      refused (f, 400, "due_after", "GET", api (f, net, P (f, "reminders?due_after=%s", q)),
               net->token, NULL);
      refused (f, 400, "since", "GET", api (f, net, P (f, "interactions?since=%s", q)),
               net->token, NULL);
      refused (f, 400, "until", "GET", api (f, net, P (f, "interactions?until=%s", q)),
               net->token, NULL);
      refused (f, 400, "start", "GET", api (f, net, P (f, "calendar/events?start=%s", q)),
               net->token, NULL);
      refused (f, 400, "end", "GET", api (f, net, P (f, "calendar/events?end=%s", q)),
               net->token, NULL);
      o = request (f, 200, "GET", reminder, net->token, NULL);
      mira_test_check (g_strcmp0 (str (o, "due_time"), "2031-06-01T00:00:00.000Z") == 0,
                       "a refused PATCH moved the reminder to %s", str (o, "due_time"));
      mira_test_check (total_of (f, net, "reminders") == 1 && total_of (f, net, "calendar/events") == 0 &&
                       total_of (f, net, "interactions") == 0, "a refused time was stored");
      return;
    }

  /* Fields */
  o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
               P (f, "{\"title\": \"at\", \"due_time\": \"%s\"}", text));
  mira_test_check (g_strcmp0 (str (o, "due_time"), utc) == 0, "%s in %s: due_time %s, not %s", text, zone,
                   str (o, "due_time"), utc);
  o = request (f, 200, "PATCH", reminder, net->token, P (f, "{\"due_time\": \"%s\"}", text));
  mira_test_check (g_strcmp0 (str (o, "due_time"), utc) == 0, "%s in %s: PATCH due_time %s, not %s", text,
                   zone, str (o, "due_time"), utc);
  request (f, 204, "DELETE", reminder, net->token, NULL);
  o = request (f, 201, "POST", api (f, net, "calendar/events"), net->token,
               P (f, "{\"title\": \"at\", \"start_time\": \"%s\", \"end_time\": \"%s\"}", text,
                  text));
  mira_test_check (g_strcmp0 (str (o, "start_time"), utc) == 0 && g_strcmp0 (str (o, "end_time"), utc) == 0,
                   "%s in %s: start_time %s, end_time %s, not %s", text, zone, str (o, "start_time"),
                   str (o, "end_time"), utc);
  o = request (f, 201, "POST", api (f, net, "interactions"), net->token,
               P (f, "{\"content\": \"at\", \"timestamp\": \"%s\"}", text));
  mira_test_check (g_strcmp0 (str (o, "timestamp"), utc) == 0, "%s in %s: timestamp %s, not %s", text,
                   zone, str (o, "timestamp"), utc);

  /* Filters, around a second either side of the instant */
  for (int side = -1; side <= 1; side += 2)
    {
      const char *name = side < 0 ? "before" : "after";
      const char *when = shifted (f, utc, side);

      request (f, 201, "POST", api (f, net, "reminders"), net->token,
               P (f, "{\"title\": \"%s\", \"due_time\": \"%s\"}", name, when));
      request (f, 201, "POST", api (f, net, "calendar/events"), net->token,
               P (f, "{\"title\": \"%s\", \"start_time\": \"%s\"}", name, when));
      request (f, 201, "POST", api (f, net, "interactions"), net->token,
               P (f, "{\"content\": \"%s\", \"timestamp\": \"%s\"}", name, when));
    }

#define FILTERED(path, member, expected)                                                      \
  G_STMT_START {                                                                              \
    const char *got_ = members_of (f, request (f, 200, "GET", api (f, net, (path)), net->token, \
                                               NULL), (member));                              \
    mira_test_check (g_str_equal (got_, (expected)), "%s in %s: %s lists \"%s\", not \"%s\"", text, zone, \
           (path), got_, (expected));                                                         \
  } G_STMT_END

  FILTERED (P (f, "reminders?due_before=%s", q), "title", "before");
  FILTERED (P (f, "reminders?due_after=%s", q), "title", "after");
  FILTERED (P (f, "interactions?since=%s", q), "content", "after at");
  FILTERED (P (f, "interactions?until=%s", q), "content", "at before");
  FILTERED (P (f, "calendar/events?start=%s", q), "title", "after at");
  FILTERED (P (f, "calendar/events?end=%s", q), "title", "before");

#undef FILTERED
}

/* The forms, in a zone with a half-hour offset (Asia/Kolkata, +05:30) */
static void
test_text_forms (Fixture       *f,
                 gconstpointer  data)
{
  const struct {
    const char *text;
    const char *utc;     /* NULL: refused */
  } forms[] = {
    /* Without an offset: the network's wall clock */
    { "2030-01-15T17:00:00", "2030-01-15T11:30:00.000Z" },
    { "2030-01-15T17:00", "2030-01-15T11:30:00.000Z" },
    { "2030-01-15t17:00", "2030-01-15T11:30:00.000Z" },
    { "2030-01-15 17:00:00", "2030-01-15T11:30:00.000Z" },
    { "2030-01-15T17:00:00.5", "2030-01-15T11:30:00.500Z" },
    { "2030-01-15T17:00:00.123456789", "2030-01-15T11:30:00.123Z" },
    { "2030-01-15", "2030-01-14T18:30:00.000Z" },
    /* With one: that instant */
    { "2030-01-15T17:00:00Z", "2030-01-15T17:00:00.000Z" },
    { "2030-01-15T17:00z", "2030-01-15T17:00:00.000Z" },
    { "2030-01-15T17:00:00.250+01:00", "2030-01-15T16:00:00.250Z" },
    { "2030-01-15T17:00-02:30", "2030-01-15T19:30:00.000Z" },
    { "2030-01-15T17:00:00+0530", "2030-01-15T11:30:00.000Z" },
    { "1970-01-01T05:30:01", "1970-01-01T00:00:01.000Z" },
    /* Refused */
    { "2030-01-15T17", NULL },
    { "17:00", NULL },
    { "2030-1-15T17:00", NULL },
    { "20300115T170000Z", NULL },
    { "2030-01-15T17:00:60", NULL },
    { "2030-01-15T24:00", NULL },
    { "2030-01-15T17:60", NULL },
    { "2030-02-29T10:00", NULL },
    { "2030-13-01T10:00", NULL },
    { "2030-01-15T17:00:00.", NULL },
    { "2030-01-15T17:00:00.1234567891", NULL },
    { " 2030-01-15T17:00", NULL },
    { "2030-01-15T17:00 ", NULL },
    { "2030-01-15T17:00+05", NULL },
    { "2030-01-15T17:00+24:00", NULL },
    { "2030-01-15T17:00:00Z[Asia/Kolkata]", NULL },
    { "1970-01-01T05:29:59", NULL },
    { "1969-12-31T23:59:59Z", NULL },
    { "10000-01-01T00:00:00Z", NULL },
    { "tomorrow at five", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    check_text_time (f, "Asia/Kolkata", forms[i].text, NULL, forms[i].utc);

  /* An offset's + in a query string, escaped, sent as it is, or sent as a
   * space (what form encoding makes of an unescaped +)
   */
  check_text_time (f, "UTC", "2030-01-15T17:00:00+05:30", "2030-01-15T17:00:00%2B05:30",
                   "2030-01-15T11:30:00.000Z");
  check_text_time (f, "UTC", "2030-01-15T17:00:00+05:30", "2030-01-15T17:00:00+05:30",
                   "2030-01-15T11:30:00.000Z");
  check_text_time (f, "UTC", "2030-01-15T17:00:00+05:30", "2030-01-15T17:00:00%2005:30",
                   "2030-01-15T11:30:00.000Z");
}

/* DST: a time in a gap moves forward by the gap, an ambiguous one is its
 * earlier occurrence, in every field and filter alike; changing the zone
 * changes how later times are read, not the instants stored.
 */
static void
test_text_dst (Fixture       *f,
               gconstpointer  data)
{
  const struct {
    const char *zone;
    const char *text;
    const char *utc;
  } cases[] = {
    /* Europe/Berlin: 2030-03-31 02:00 → 03:00, 2030-10-27 03:00 → 02:00 */
    { "Europe/Berlin", "2030-03-31T01:59:59", "2030-03-31T00:59:59.000Z" },
    { "Europe/Berlin", "2030-03-31T02:00", "2030-03-31T01:00:00.000Z" },
    { "Europe/Berlin", "2030-03-31T02:30", "2030-03-31T01:30:00.000Z" },
    { "Europe/Berlin", "2030-03-31T03:00", "2030-03-31T01:00:00.000Z" },
    { "Europe/Berlin", "2030-10-27T01:59", "2030-10-26T23:59:00.000Z" },
    { "Europe/Berlin", "2030-10-27T02:00", "2030-10-27T00:00:00.000Z" },
    { "Europe/Berlin", "2030-10-27T02:30", "2030-10-27T00:30:00.000Z" },
    { "Europe/Berlin", "2030-10-27T03:00", "2030-10-27T02:00:00.000Z" },
    { "Europe/Berlin", "2030-07-01T12:00", "2030-07-01T10:00:00.000Z" },
    { "Europe/Berlin", "2030-03-31T02:30+02:00", "2030-03-31T00:30:00.000Z" },
    /* America/New_York: 2030-03-10 02:00 → 03:00, 2030-11-03 02:00 → 01:00 */
    { "America/New_York", "2030-03-10T02:30", "2030-03-10T07:30:00.000Z" },
    { "America/New_York", "2030-11-03T01:30", "2030-11-03T05:30:00.000Z" },
    { "America/New_York", "2030-11-03T02:30", "2030-11-03T07:30:00.000Z" },
    /* America/Santiago skips midnight on 2030-09-08: a date alone moves too */
    { "America/Santiago", "2030-09-08", "2030-09-08T04:00:00.000Z" },
    /* Australia/Lord_Howe moves by half an hour: 2030-10-06 02:00 → 02:30 */
    { "Australia/Lord_Howe", "2030-10-06T02:15", "2030-10-05T15:45:00.000Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_text_time (f, cases[i].zone, cases[i].text, NULL, cases[i].utc);

  /* A new zone reads new times its way; what was stored stays */
  {
    Net *net = net_quiet (f, "Europe/Berlin");
    JsonObject *o;
    const char *path;

    o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
                 "{\"title\": \"x\", \"due_time\": \"2030-07-01T12:00\"}");
    path = api (f, net, P (f, "reminders/%s", str (o, "id")));
    request (f, 200, "PUT", api (f, net, "settings/timezone"), net->token,
             "{\"value\": \"America/New_York\"}");
    o = request (f, 200, "GET", path, net->token, NULL);
    mira_test_check (g_strcmp0 (str (o, "due_time"), "2030-07-01T10:00:00.000Z") == 0,
                     "the stored instant moved to %s", str (o, "due_time"));
    o = request (f, 200, "PATCH", path, net->token, "{\"due_time\": \"2030-07-01T12:00\"}");
    mira_test_check (g_strcmp0 (str (o, "due_time"), "2030-07-01T16:00:00.000Z") == 0,
                     "read in New York: %s", str (o, "due_time"));
    request (f, 204, "DELETE", api (f, net, "settings/timezone"), net->token, NULL);
    o = request (f, 200, "PATCH", path, net->token, "{\"due_time\": \"2030-07-01T12:00\"}");
    mira_test_check (g_strcmp0 (str (o, "due_time"), "2030-07-01T12:00:00.000Z") == 0,
                     "without a zone (UTC): %s", str (o, "due_time"));
  }
}

/* Reminders coming due */

/* The wall-clock time @ms_from_now from now, as RFC 3339 UTC */
static const char *
from_now (Fixture *f,
          gint64   ms_from_now)
{
  gint64 ms = g_get_real_time () / 1000 + ms_from_now;
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (ms / 1000);

  g_autofree char *seconds = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");

  return P (f, "%s.%03dZ", seconds, (int) (ms % 1000));
}

/* The same in @zone's wall clock, without an offset */
static const char *
from_now_local (Fixture    *f,
                const char *zone,
                gint64      ms_from_now)
{
  gint64 ms = g_get_real_time () / 1000 + ms_from_now;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) t = g_date_time_to_timezone (utc, tz);

  g_autofree char *seconds = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");

  return P (f, "%s.%03d", seconds, (int) (ms % 1000));
}

static gint64
unix_ms (const char *text)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (t);
  return g_date_time_to_unix (t) * 1000 + g_date_time_get_microsecond (t) / 1000;
}

/* Waits for reminder_due of @id from message @from on; checks that it came
 * when the reminder's @due_time said (not before, and within a second), and
 * returns the index after it.
 */
static guint
expect_due (Fixture    *f,
            Net        *net,
            const char *id,
            const char *due_time,
            guint       from)
{
  gint64 due_ms = unix_ms (due_time);
  gint64 wait_ms = MAX (due_ms - g_get_real_time () / 1000, 0) + 5000;

  for (;;)
    {
      guint index;
      JsonObject *event = mira_test_socket_wait_for (net->events, "reminder_due", from,
                                                     (guint) wait_ms, &index);
      gint64 now_ms = g_get_real_time () / 1000;

      mira_test_check (event != NULL, "no reminder_due for a reminder due at %s", due_time);
      from = index + 1;
      if (g_strcmp0 (str (obj (event, "reminder"), "id"), id) != 0)
        continue;
      mira_test_check (now_ms >= due_ms, "reminder_due came %" G_GINT64_FORMAT " ms before its due time %s",
                       due_ms - now_ms, due_time);
      mira_test_check (now_ms - due_ms < 1000, "reminder_due came %" G_GINT64_FORMAT " ms after its due "
                       "time %s", now_ms - due_ms, due_time);
      mira_test_check (g_strcmp0 (str (obj (event, "reminder"), "status"), "overdue") == 0,
                       "reminder_due carries status %s", str (obj (event, "reminder"), "status"));
      return from;
    }
}

static guint
due_count (Net        *net,
           const char *id)
{
  guint n = 0;

  for (guint i = 0; i < mira_test_socket_n_messages (net->events); i++)
    {
      JsonObject *o = mira_test_socket_message (net->events, i)->object;

      if (g_strcmp0 (str (o, "type"), "reminder_due") == 0 &&
          g_strcmp0 (str (obj (o, "reminder"), "id"), id) == 0)
        n++;
    }
  return n;
}

/* A reminder comes due at its due time, and again each time it is moved
 * ahead after it came due — by PATCH, by a full PUT of the object as it was
 * read, in the network's wall clock — while one moved away before its time,
 * or done, does not.
 */
static void
test_reminder_moved (Fixture       *f,
                     gconstpointer  data)
{
  Net *net = net_new (f, "Asia/Kolkata");
  const char *due = from_now (f, 1500);
  const char *id, *path, *body;
  JsonObject *o;
  guint from = 0;

  o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
               P (f, "{\"title\": \"Call the plumber\", \"due_time\": \"%s\"}", due));
  id = P (f, "%s", str (o, "id"));
  path = api (f, net, P (f, "reminders/%s", id));
  from = expect_due (f, net, id, due, from);
  o = request (f, 200, "GET", path, net->token, NULL);
  mira_test_check (g_strcmp0 (str (o, "status"), "overdue") == 0, "after it came due: %s",
                   str (o, "status"));

  /* PATCH moves it ahead: pending, and due again then */
  due = from_now (f, 2000);
  o = request (f, 200, "PATCH", path, net->token, P (f, "{\"due_time\": \"%s\"}", due));
  mira_test_check (g_strcmp0 (str (o, "status"), "pending") == 0, "moved ahead, it is %s",
                   str (o, "status"));
  {
    guint index = from;

    /* (after the one that came with reminder_due) */
    for (;;)
      {
        o = mira_test_socket_wait_for (net->events, "reminder_updated", index, 5000, &index);
        if (o == NULL || g_strcmp0 (str (obj (o, "reminder"), "status"), "overdue") != 0)
          break;
        index++;
      }
    mira_test_check (o != NULL && g_strcmp0 (str (obj (o, "reminder"), "status"), "pending") == 0,
                     "no reminder_updated saying it is pending");
  }
  from = expect_due (f, net, id, due, from);

  /* A full PUT of the object as read, edited: status "overdue" and all */
  o = request (f, 200, "GET", path, net->token, NULL);
  mira_test_check (g_strcmp0 (str (o, "status"), "overdue") == 0, "after it came due again: %s",
                   str (o, "status"));
  due = from_now (f, 2000);
  json_object_set_string_member (o, "due_time", due);
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);

    body = take (f, json_to_string (node, FALSE));
  }
  o = request (f, 200, "PUT", path, net->token, body);
  mira_test_check (g_strcmp0 (str (o, "status"), "pending") == 0, "PUT ahead, it is %s", str (o, "status"));
  from = expect_due (f, net, id, due, from);

  /* In the network's wall clock, without an offset */
  due = from_now (f, 2000);
  o = request (f, 200, "PATCH", path, net->token,
               P (f, "{\"due_time\": \"%s\"}", from_now_local (f, "Asia/Kolkata", 2000)));
  mira_test_check (llabs (unix_ms (str (o, "due_time")) - unix_ms (due)) < 100,
                   "the local time was read as %s, not about %s", str (o, "due_time"), due);
  from = expect_due (f, net, id, str (o, "due_time"), from);
  mira_test_check (due_count (net, id) == 4, "reminder_due came %u times, not 4", due_count (net, id));

  /* Moved away before its time: not due then, nor later */
  {
    const char *other;

    o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
                 P (f, "{\"title\": \"Later\", \"due_time\": \"%s\"}", from_now (f, 1000)));
    other = api (f, net, P (f, "reminders/%s", str (o, "id")));
    o = request (f, 200, "PATCH", other, net->token,
                 P (f, "{\"due_time\": \"%s\"}", from_now (f, 3600 * 1000)));
    id = P (f, "%s", str (o, "id"));

    /* Moved from an hour away to soon: due then */
    o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
                 P (f, "{\"title\": \"Sooner\", \"due_time\": \"%s\"}",
                    from_now (f, 3600 * 1000)));
    due = from_now (f, 1500);
    o = request (f, 200, "PATCH", api (f, net, P (f, "reminders/%s", str (o, "id"))),
                 net->token, P (f, "{\"due_time\": \"%s\"}", due));
    from = expect_due (f, net, str (o, "id"), due, from);
    o = request (f, 200, "GET", other, net->token, NULL);
    mira_test_check (g_strcmp0 (str (o, "status"), "pending") == 0 && due_count (net, id) == 0,
                     "a reminder moved an hour away came due (%s)", str (o, "status"));
  }

  /* Moved into the past: due at once */
  {
    gint64 start = g_get_monotonic_time ();
    guint index;
    const char *past;

    o = request (f, 201, "POST", api (f, net, "reminders"), net->token,
                 P (f, "{\"title\": \"Missed\", \"due_time\": \"%s\"}",
                    from_now (f, 3600 * 1000)));
    past = P (f, "%s", str (o, "id"));
    request (f, 200, "PATCH", api (f, net, P (f, "reminders/%s", past)), net->token,
             P (f, "{\"due_time\": \"%s\"}", from_now (f, -60 * 1000)));
    for (;;)
      {
        o = mira_test_socket_wait_for (net->events, "reminder_due", from, 5000, &index);
        if (o == NULL || g_strcmp0 (str (obj (o, "reminder"), "id"), past) == 0)
          break;
        from = index + 1;
      }
    mira_test_check (o != NULL && seconds_since (start) < 1.5,
                     "a reminder moved into the past came due after %.1f s", seconds_since (start));
    from = index + 1;
  }

  /* Done, then moved ahead: stays done, never due */
  o = request (f, 200, "POST", P (f, "%s/complete", path), net->token, NULL);
  o = request (f, 200, "PATCH", path, net->token,
               P (f, "{\"due_time\": \"%s\"}", from_now (f, 500)));
  mira_test_check (g_strcmp0 (str (o, "status"), "completed") == 0, "a completed reminder became %s",
                   str (o, "status"));
  mira_test_client_run (f->client, 1500);
  mira_test_check (due_count (net, str (o, "id")) == 4, "a completed reminder came due");
}

/* Conversations */

/* The conversation_updated announcing @conversation's last_interaction_at
 * as @expected (NULL: null), at message @from or later
 */
static void
expect_last_interaction (Fixture    *f,
                         Net        *net,
                         const char *conversation,
                         const char *expected,
                         guint      *from)
{
  JsonObject *o;

  for (;;)
    {
      guint index;

      o = mira_test_socket_wait_for (net->events, "conversation_updated", *from, 5000, &index);
      mira_test_check (o != NULL, "no conversation_updated with last_interaction_at %s", expected);
      *from = index + 1;
      if (g_strcmp0 (str (obj (o, "conversation"), "id"), conversation) == 0)
        break;
    }
  mira_test_check (g_strcmp0 (str (obj (o, "conversation"), "last_interaction_at"), expected) == 0,
                   "conversation_updated says last_interaction_at %s, not %s",
                   str (obj (o, "conversation"), "last_interaction_at"), expected);
  o = request (f, 200, "GET", api (f, net, P (f, "conversations/%s", conversation)), net->token,
               NULL);
  mira_test_check (g_strcmp0 (str (o, "last_interaction_at"), expected) == 0,
                   "last_interaction_at is %s, not %s", str (o, "last_interaction_at"), expected);
}

/* A conversation's last_interaction_at follows its interactions when one
 * is moved in time, moved to another conversation, or deleted.
 */
static void
test_conversation_last (Fixture       *f,
                        gconstpointer  data)
{
  Net *net = net_new (f, "Europe/Berlin");
  const char *a, *b, *early, *late;
  JsonObject *o;
  guint from;

  o = request (f, 201, "POST", api (f, net, "conversations"), net->token, "{}");
  a = P (f, "%s", str (o, "id"));
  o = request (f, 201, "POST", api (f, net, "conversations"), net->token, "{}");
  b = P (f, "%s", str (o, "id"));
  o = request (f, 201, "POST", api (f, net, "interactions"), net->token,
               P (f, "{\"content\": \"early\", \"conversation_id\": \"%s\","
                     " \"timestamp\": \"2030-01-15T10:00\"}", a));
  early = api (f, net, P (f, "interactions/%s", str (o, "id")));
  o = request (f, 201, "POST", api (f, net, "interactions"), net->token,
               P (f, "{\"content\": \"late\", \"conversation_id\": \"%s\","
                     " \"timestamp\": \"2030-01-15T11:00\"}", a));
  late = api (f, net, P (f, "interactions/%s", str (o, "id")));
  o = request (f, 200, "GET", api (f, net, P (f, "conversations/%s", a)), net->token, NULL);
  mira_test_check (g_strcmp0 (str (o, "last_interaction_at"), "2030-01-15T10:00:00.000Z") == 0,
                   "last_interaction_at %s", str (o, "last_interaction_at"));

  /* The latest moves earlier: the other one is the latest now */
  from = mira_test_socket_n_messages (net->events);
  request (f, 200, "PUT", late, net->token, "{\"timestamp\": \"2030-01-15T09:00\"}");
  expect_last_interaction (f, net, a, "2030-01-15T09:00:00.000Z", &from);

  /* Moved to another conversation: both follow */
  request (f, 200, "PUT", early, net->token, P (f, "{\"conversation_id\": \"%s\"}", b));
  expect_last_interaction (f, net, a, "2030-01-15T08:00:00.000Z", &from);
  expect_last_interaction (f, net, b, "2030-01-15T09:00:00.000Z", &from);

  /* Deleted: none left */
  request (f, 204, "DELETE", late, net->token, NULL);
  expect_last_interaction (f, net, a, NULL, &from);
}

/* Main */

typedef void (*TestFunc) (Fixture *f, gconstpointer data);

static const struct {
  const char *path;
  TestFunc    func;
} tests[] = {
  { "zones/names", test_zone_names },
  { "zones/stored", test_zone_stored },
  { "text/forms", test_text_forms },
  { "text/dst", test_text_dst },
  { "reminders/moved", test_reminder_moved },
  { "conversations/last-interaction", test_conversation_last },
};

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < G_N_ELEMENTS (tests); t++)
      {
        g_autofree char *path = g_strdup_printf ("/time/%s/%s", backend_names[b], tests[t].path);

        g_test_add (path, Fixture, &backends[b], fixture_setup, tests[t].func,
                    fixture_teardown);
      }

  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    {
      g_clear_pointer (&servers[b], mira_test_server_free);
      g_clear_pointer (&server_uris[b], g_free);
    }
  mira_test_pg_stop ();
  return ret;
}
