/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-calendar"

/* Calendar events: created, read, changed, deleted; the list by time range;
 * an end before the start is refused.
 */

#include <string.h>

#include "mira-test-api.h"

static void
test_calendar_crud (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 201, "POST", f->session,
                                       Q ("{'title': 'Dentist', 'start_time': '2026-04-01T14:00:00Z',"
                                          " 'end_time': '2026-04-01T15:00:00Z', 'location': 'Town',"
                                          " 'attendees': ['me', 'Ann']}"),
                                       "%s/calendar/events", f->net->path);
  JsonObject *o = OBJ (r);
  const char *id = jstr (o, "id");

  g_assert_cmpstr (jstr (o, "title"), ==, "Dentist");
  g_assert_cmpstr (jstr (o, "start_time"), ==, "2026-04-01T14:00:00.000Z");
  g_assert_cmpstr (jstr (o, "end_time"), ==, "2026-04-01T15:00:00.000Z");
  g_assert_cmpstr (jstr (o, "location"), ==, "Town");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "attendees")), ==, 2);

  {
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) put = REQ (f->server, 200, "PUT", f->session,
                                           Q ("{'title': 'Dentist (moved)', 'end_time': null}"),
                                           "%s/calendar/events/%s", f->net->path, id);

    g_assert_true (responses_equal (r, get));
    g_assert_cmpstr (jstr (OBJ (put), "title"), ==, "Dentist (moved)");
    g_assert_true (jnull (OBJ (put), "end_time"));
  }

  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'title': 'x'}"), "%s/calendar/events",
                                         f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'attendees': 'everyone'}"),
                                         "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'start_time': null}"),
                                         "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/calendar/events/%s", f->net->path, id);

    assert_detail_names (a, "start_time");
    assert_detail_names (b, "attendees");
    assert_detail_names (c, "start_time");
    g_assert_true (responses_equal (before, after));
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/calendar/events/%s", f->net->path, id);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/calendar/events/%s", f->net->path, id);

    assert_code (a, "CALENDAR_EVENT_NOT_FOUND");
    g_assert_cmpint (count (f->server, f->net, "calendar/events"), ==, 0);
  }
}

static void
test_calendar_range (Fixture       *f,
                     gconstpointer  data)
{
  const char *e1 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'one', 'start_time': '2026-01-05T10:00:00Z',"
                              " 'end_time': '2026-01-05T11:00:00Z'}"));
  const char *e2 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'two', 'start_time': '2026-01-10T09:00:00Z',"
                              " 'end_time': '2026-01-12T17:00:00Z'}"));
  const char *e3 = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'three', 'start_time': '2026-01-20T08:00:00Z'}"));

#define EXPECT_IDS(query, expected)                                                         \
  G_STMT_START {                                                                            \
    g_autoptr(MiraTestResponse) list_ = REQ (f->server, 200, "GET", f->session, NULL,       \
                                             "%s/calendar/events%s", f->net->path, (query)); \
    g_assert_cmpstr (item_ids (list_, "id"), ==, (expected));                               \
    g_assert_cmpint (total_of (list_), ==, (gint64) n_items (list_));                       \
  } G_STMT_END

  EXPECT_IDS ("", P ("%s %s %s", e1, e2, e3));
  EXPECT_IDS ("?start=2026-01-06T00:00:00Z&end=2026-01-15T00:00:00Z", e2);
  /* overlapping counts */
  EXPECT_IDS ("?start=2026-01-11T00:00:00Z&end=2026-01-11T01:00:00Z", e2);
  EXPECT_IDS ("?start=2026-01-05T10:30:00Z&end=2026-01-05T10:45:00Z", e1);
  EXPECT_IDS ("?start=2026-01-01T00:00:00Z&end=2026-02-01T00:00:00Z", P ("%s %s %s", e1, e2, e3));
  EXPECT_IDS ("?end=2026-01-06T00:00:00Z", e1);
  EXPECT_IDS ("?start=2026-01-13T00:00:00Z", e3);
  EXPECT_IDS ("?start=2026-01-20T08:00:00Z&end=2026-01-20T08:00:01Z", e3);
  EXPECT_IDS ("?start=2026-01-21T00:00:00Z", "");

#undef EXPECT_IDS

  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 400, "GET", f->session, NULL,
                                         "%s/calendar/events?start=monday", f->net->path);
    assert_detail_names (a, "start");
  }
}

static void
test_calendar_end_before_start (Fixture       *f,
                                gconstpointer  data)
{
  const char *id = create (f->server, f->net, f->net->token, "calendar/events",
                           Q ("{'title': 'ok', 'start_time': '2026-05-01T10:00:00Z',"
                              " 'end_time': '2026-05-01T11:00:00Z'}"));
  g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/calendar/events/%s", f->net->path, id);
  g_autoptr(MiraTestResponse) create_bad = NULL;
  g_autoptr(MiraTestResponse) put_end = NULL;
  g_autoptr(MiraTestResponse) put_start = NULL;
  g_autoptr(MiraTestResponse) after = NULL;

  create_bad = REQ (f->server, 422, "POST", f->net->token,
                    Q ("{'title': 'backwards', 'start_time': '2026-05-02T10:00:00Z',"
                       " 'end_time': '2026-05-02T09:00:00Z'}"),
                    "%s/calendar/events", f->net->path);
  put_end = REQ (f->server, 422, "PUT", f->net->token,
                 Q ("{'end_time': '2026-05-01T09:59:59Z'}"),
                 "%s/calendar/events/%s", f->net->path, id);
  put_start = REQ (f->server, 422, "PUT", f->net->token,
                   Q ("{'start_time': '2026-05-01T12:00:00Z'}"),
                   "%s/calendar/events/%s", f->net->path, id);
  after = REQ (f->server, 200, "GET", f->net->token, NULL, "%s/calendar/events/%s",
               f->net->path, id);

  assert_detail_names (create_bad, "end_time");
  assert_detail_names (put_end, "end_time");
  assert_detail_names (put_start, "end_time");
  /* never a database message */
  for (guint i = 0; i < 3; i++)
    {
      MiraTestResponse *r = (MiraTestResponse *[]) { create_bad, put_end, put_start }[i];
      const char *detail = jstr (OBJ (r), "detail");

      g_assert_null (strstr (detail, "constraint"));
      g_assert_null (strstr (detail, "CHECK"));
      g_assert_null (strstr (detail, "calendar_events"));
    }
  g_assert_true (responses_equal (before, after));
  g_assert_cmpint (count (f->server, f->net, "calendar/events"), ==, 1);

  /* An end equal to the start is an instant, and fine */
  {
    g_autoptr(MiraTestResponse) same = REQ (f->server, 200, "PUT", f->net->token,
                                            Q ("{'end_time': '2026-05-01T10:00:00Z'}"),
                                            "%s/calendar/events/%s", f->net->path, id);
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "calendar/crud", test_calendar_crud },
    { "calendar/range", test_calendar_range },
    { "calendar/end-before-start", test_calendar_end_before_start },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
