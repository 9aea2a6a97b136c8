/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-settings"

/* A network's settings: listed, read, written, deleted; values that do not
 * fit a setting are refused.
 */

#include "mira-test-api.h"

static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  {
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->session, NULL,
                                            "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) tz = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) timeout = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/settings/conversation_timeout_s",
                                               f->net->path);
    g_autoptr(MiraTestResponse) unknown = REQ (f->server, 404, "GET", f->session, NULL,
                                               "%s/settings/colour", f->net->path);

    g_assert_cmpint (total_of (list), ==, 0);
    g_assert_cmpstr (jstr (OBJ (tz), "key"), ==, "timezone");
    g_assert_cmpstr (jstr (OBJ (tz), "value"), ==, "UTC");
    g_assert_cmpstr (jstr (OBJ (tz), "type"), ==, "string");
    g_assert_cmpstr (jstr (OBJ (timeout), "type"), ==, "number");
    assert_code (unknown, "SETTING_NOT_FOUND");
  }

  {
    g_autoptr(MiraTestResponse) created = REQ (f->server, 201, "PUT", f->session,
                                               Q ("{'value': 'Europe/Paris'}"),
                                               "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) updated = REQ (f->server, 200, "PUT", f->session,
                                               Q ("{'value': 'America/New_York', 'type': 'string'}"),
                                               "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) get = REQ (f->server, 200, "GET", f->session, NULL,
                                           "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 200, "GET", f->session, NULL,
                                               "/api/v1/networks/%s", f->net->id);

    g_assert_cmpstr (jstr (OBJ (created), "value"), ==, "Europe/Paris");
    g_assert_cmpstr (jstr (OBJ (updated), "value"), ==, "America/New_York");
    g_assert_true (responses_equal (updated, get));
    g_assert_cmpstr (jstr (json_object_get_object_member (OBJ (network), "settings"),
                           "timezone"), ==, "America/New_York");
  }

  /* Typed values, by the type given or inferred */
  {
    g_autoptr(MiraTestResponse) n = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': 42.5, 'type': 'number'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': true}"), "%s/settings/beep", f->net->path);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': [1, 'two'], 'type': 'array'}"),
                                         "%s/settings/list.a", f->net->path);
    g_autoptr(MiraTestResponse) j = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': {'a': {'b': 1}}, 'type': 'json'}"),
                                         "%s/settings/ui-state", f->net->path);
    g_autoptr(MiraTestResponse) t = REQ (f->server, 201, "PUT", f->net->token,
                                         Q ("{'value': 30}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) page = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/settings?limit=2&offset=1", f->net->path);

    g_assert_cmpstr (jstr (OBJ (n), "type"), ==, "number");
    g_assert_cmpfloat (json_object_get_double_member (OBJ (n), "value"), ==, 42.5);
    g_assert_cmpstr (jstr (OBJ (b), "type"), ==, "boolean");
    g_assert_true (json_object_get_boolean_member (OBJ (b), "value"));
    g_assert_cmpstr (jstr (OBJ (a), "type"), ==, "array");
    g_assert_cmpint (json_array_get_length (json_object_get_array_member (OBJ (a), "value")), ==, 2);
    g_assert_cmpstr (jstr (OBJ (j), "type"), ==, "json");
    g_assert_cmpstr (jstr (OBJ (t), "type"), ==, "number");
    g_assert_cmpint (total_of (list), ==, 6);
    g_assert_cmpstr (item_ids (list, "key"), ==,
                     "beep conversation_timeout_s list.a threshold timezone ui-state");
    g_assert_cmpint (total_of (page), ==, 6);
    g_assert_cmpstr (item_ids (page, "key"), ==, "conversation_timeout_s list.a");
  }

  /* Invalid values change nothing */
  {
    g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/settings", f->net->path);
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'Mars/Olympus_Mons'}"),
                                         "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'soon'}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 'x', 'type': 'number'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'type': 'integer'}"),
                                         "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'type': 'string'}"),
                                         "%s/settings/new_key", f->net->path);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'colour': 'red'}"),
                                         "%s/settings/new_key", f->net->path);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1}"),
                                         "%s/settings/bad%%20key", f->net->path);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1, 'type': 'number'}"),
                                         "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) k = REQ (f->server, 422, "PUT", f->net->token,
                                         Q ("{'value': 1}"),
                                         "%s/settings/conversation_timeout_s", f->net->path);
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/settings", f->net->path);

    assert_detail_names (a, "value");
    assert_detail_names (a, "Mars/Olympus_Mons");
    assert_detail_names (b, "value");
    assert_detail_names (c, "value");
    assert_detail_names (d, "type");
    assert_detail_names (e, "value");
    assert_detail_names (g, "colour");
    assert_detail_names (k, "conversation_timeout_s");
    g_assert_true (responses_equal (before, after));
  }

  {
    g_autoptr(MiraTestResponse) del = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                           "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) gone = REQ (f->server, 404, "GET", f->net->token, NULL,
                                            "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) again = REQ (f->server, 404, "DELETE", f->net->token, NULL,
                                             "%s/settings/threshold", f->net->path);
    g_autoptr(MiraTestResponse) del_tz = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                              "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) tz = REQ (f->server, 200, "GET", f->net->token, NULL,
                                          "%s/settings/timezone", f->net->path);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 200, "GET", f->session, NULL,
                                               "/api/v1/networks/%s", f->net->id);

    assert_code (gone, "SETTING_NOT_FOUND");
    g_assert_cmpstr (jstr (OBJ (tz), "value"), ==, "UTC");
    g_assert_false (json_object_has_member (json_object_get_object_member (OBJ (network),
                                                                           "settings"),
                                            "timezone"));
    g_assert_cmpint (count (f->server, f->net, "settings"), ==, 4);
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "settings/crud", test_settings },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
