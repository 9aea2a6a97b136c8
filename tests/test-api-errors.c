/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-errors"

/* Errors: unknown paths and methods, missing and wrong tokens, malformed,
 * oversized or mistyped bodies and fields are refused in API.md's error
 * shape and change nothing; strings that look like SQL are stored as text.
 */

#include <string.h>

#include "mira-test-api.h"
#include "mira-test-live.h"

static MiraTestResponse *
raw_request (Fixture     *f,
             guint        expected,
             const char  *method,
             const char  *path,
             const char  *content_type,
             const char  *body,
             gsize        length)
{
  g_autoptr(GBytes) bytes = body ? g_bytes_new (body, length) : NULL;
  MiraTestResponse *r = mira_test_request_full (f->server, method, path, f->net->token,
                                                content_type, bytes);

  if (r->status != expected)
    mira_test_fail_at (__FILE__, __LINE__, "request", "%s %s: expected %u, got %u: %s", method,
                       path, expected, r->status, r->body);
  check_error_shape (__FILE__, __LINE__, path, r);
  return r;
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  const char *person = create (f->server, f->net, f->net->token, "persons",
                               Q ("{'name': 'Kept'}"));
  const char *persons = P ("%s/persons", f->net->path);
  g_autoptr(MiraTestResponse) before = REQ (f->server, 200, "GET", f->net->token, NULL, "%s",
                                            persons);

  /* Unknown paths and methods */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", NULL, NULL, "/nothing-here");
    g_autoptr(MiraTestResponse) b = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/unicorns", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "/api/v2/%s/persons", f->net->id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/persons/%s/extra", f->net->path, person);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 405, "DELETE", NULL, NULL, "/health");
    g_autoptr(MiraTestResponse) g = REQ (f->server, 405, "PUT", f->net->token, Q ("{}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 405, "PATCH", f->net->token, Q ("{}"),
                                         "%s/persons/%s", f->net->path, person);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 405, "POST", f->net->token, Q ("{}"),
                                         "/api/v1/admin/networks");
    g_autoptr(MiraTestResponse) j = REQ (f->server, 404, "GET", NULL, NULL, "/");

    assert_code (a, "NOT_FOUND");
    assert_code (e, "METHOD_NOT_ALLOWED");
  }

  /* Tokens */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "GET", NULL, NULL, "%s", persons);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 401, "GET", "mnt_0000", NULL, "%s", persons);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 401, "GET", "", NULL, "%s", persons);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 401, "POST", NULL, Q ("{'name': 'x'}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 401, "GET", P ("%sx", f->net->token), NULL,
                                         "%s", persons);

    assert_code (a, "AUTH_REQUIRED");
    assert_code (b, "INVALID_TOKEN");
    assert_code (e, "INVALID_TOKEN");
  }

  /* Bodies */
  {
    gsize big_len = 1024 * 1024 + 16;
    g_autofree char *big = g_malloc (big_len);
    g_autoptr(MiraTestResponse) too_large = NULL;
    g_autoptr(MiraTestResponse) r = NULL;
    static const char bad_utf8[] = "{\"name\": \"caf\xc3\x28\"}";
    static const char nul_inside[] = "{\"name\": \"a\0b\"}";

    memset (big, ' ', big_len);
    memcpy (big, "{\"name\": \"", 10);
    big[big_len - 2] = '"';
    big[big_len - 1] = '}';
    too_large = raw_request (f, 413, "POST", persons, "application/json", big, big_len);
    assert_code (too_large, "PAYLOAD_TOO_LARGE");

    r = raw_request (f, 400, "POST", persons, "application/json", "{\"name\": ", 9);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "[]", 2);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "\"Alice\"", 7);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "42", 2);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", "null", 4);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 422, "POST", persons, "application/json", bad_utf8,
                     sizeof bad_utf8 - 1);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "POST", persons, "application/json", nul_inside,
                     sizeof nul_inside - 1);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "PUT", P ("%s/persons/%s", f->net->path, person), "application/json",
                     "{\"name\": \"x\"} trailing", 22);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 415, "POST", persons, "image/png", "{\"name\": \"x\"}", 13);
    g_clear_pointer (&r, mira_test_response_free);
    /* A body for a write that needs one */
    r = raw_request (f, 400, "PUT", P ("%s/persons/%s", f->net->path, person), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons/%s", f->net->path, "not-a-uuid"), NULL, NULL,
                     0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "DELETE", P ("%s/persons/%s", f->net->path, "1234"), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons/%%ff%%fe", f->net->path), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
    r = raw_request (f, 400, "GET", P ("%s/persons?limit=%%ff", f->net->path), NULL, NULL, 0);
    g_clear_pointer (&r, mira_test_response_free);
  }

  /* Fields: types and names */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 5}"), "%s", persons);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 'x', 'nickname': 'y'}"), "%s", persons);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'name': 'x', 'network_id': 'net_x'}"), "%s",
                                         persons);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", f->net->token,
                                         P ("{\"name\": \"%0300d\"}", 1), "%s", persons);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'content': 'x', 'audio_duration': 'long'}"),
                                         "%s/interactions", f->net->path);

    assert_code (a, "VALIDATION_ERROR");
    assert_detail_names (a, "name");
    assert_detail_names (b, "nickname");
    assert_detail_names (c, "network_id");
    assert_detail_names (d, "name");
    assert_detail_names (e, "audio_duration");
  }

  /* Nothing above changed anything */
  {
    g_autoptr(MiraTestResponse) after = REQ (f->server, 200, "GET", f->net->token, NULL, "%s",
                                             persons);
    g_autoptr(MiraTestResponse) health = REQ (f->server, 200, "GET", NULL, NULL, "/health");

    g_assert_true (responses_equal (before, after));
    g_assert_cmpint (count (f->server, f->net, "interactions"), ==, 0);
  }
}

static void
test_sql_strings (Fixture       *f,
                  gconstpointer  data)
{
  static const char evil[] = "'; DROP TABLE interactions; --";
  g_autofree char *escaped = g_uri_escape_string (evil, NULL, FALSE);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *person_body = NULL;
  g_autofree char *interaction_body = NULL;
  g_autoptr(MiraTestResponse) person = NULL;
  g_autoptr(MiraTestResponse) interaction = NULL;
  const char *person_id, *interaction_id;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, evil);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, evil);
  json_builder_add_string_value (builder, evil);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  person_body = json_to_string (root, FALSE);

  person = REQ (f->server, 201, "POST", f->net->token, person_body, "%s/persons", f->net->path);
  person_id = jstr (OBJ (person), "id");
  g_assert_cmpstr (jstr (OBJ (person), "name"), ==, evil);

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "content");
    json_builder_add_string_value (b, P ("Robert%s said hello", evil));
    json_builder_set_member_name (b, "person_id");
    json_builder_add_string_value (b, person_id);
    json_builder_end_object (b);
    node = json_builder_get_root (b);
    interaction_body = json_to_string (node, FALSE);
  }
  interaction = REQ (f->server, 201, "POST", f->session, interaction_body, "%s/interactions",
                     f->net->path);
  interaction_id = jstr (OBJ (interaction), "id");

  /* In query strings, paths and keys */
  {
    g_autoptr(MiraTestResponse) q = REQ (f->server, 200, "GET", f->session, NULL,
                                         "%s/interactions?q=%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) q2 = REQ (f->server, 200, "GET", f->session, NULL,
                                          "%s/interactions?q=%%27%%20OR%%201%%3D1%%20--",
                                          f->net->path);
    g_autoptr(MiraTestResponse) person_filter = REQ (f->server, 400, "GET", f->session, NULL,
                                                     "%s/interactions?person_id=%s",
                                                     f->net->path, escaped);
    g_autoptr(MiraTestResponse) status = REQ (f->server, 400, "GET", f->session, NULL,
                                              "%s/reminders?status=%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) path = REQ (f->server, 400, "GET", f->session, NULL,
                                            "%s/persons/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) key = REQ (f->server, 422, "PUT", f->session, Q ("{'value': 1}"),
                                           "%s/settings/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) get_key = REQ (f->server, 404, "GET", f->session, NULL,
                                               "%s/settings/%s", f->net->path, escaped);
    g_autoptr(MiraTestResponse) client = REQ (f->server, 400, "POST", f->net->token,
                                              Q ("{'device_type': 'x'}"),
                                              "%s/service/client/register/%s", f->net->path,
                                              escaped);
    g_autoptr(MiraTestResponse) network = REQ (f->server, 404, "GET", MIRA_TEST_ADMIN_TOKEN,
                                               NULL, "/api/v1/networks/%s", escaped);
    g_autoptr(MiraTestResponse) token = REQ (f->server, 401, "GET", evil, NULL, "%s/persons",
                                             f->net->path);

    /* its words match, as words, the text that holds them */
    g_assert_cmpint (total_of (q), ==, 1);
    g_assert_cmpint (total_of (q2), ==, 0);
  }

  /* Stored verbatim, and nothing dropped */
  {
    g_autoptr(MiraTestResponse) p = REQ (f->server, 200, "GET", f->net->token, NULL,
                                         "%s/persons/%s", f->net->path, person_id);
    g_autoptr(MiraTestResponse) i = REQ (f->server, 200, "GET", f->net->token, NULL,
                                         "%s/interactions/%s", f->net->path, interaction_id);
    g_autoptr(MiraTestResponse) list = REQ (f->server, 200, "GET", f->net->token, NULL,
                                            "%s/interactions", f->net->path);
    g_autoptr(MiraTestResponse) robert = REQ (f->server, 200, "GET", f->net->token, NULL,
                                              "%s/interactions?q=hello", f->net->path);
    g_autoptr(MiraTestResponse) health = REQ (f->server, 200, "GET", NULL, NULL, "/health");
    g_autoptr(MiraTestResponse) metrics = REQ (f->server, 200, "GET", MIRA_TEST_ADMIN_TOKEN, NULL,
                                               "/metrics");

    g_assert_cmpstr (jstr (OBJ (p), "name"), ==, evil);
    g_assert_cmpstr (jstr (json_object_get_object_member (OBJ (p), "metadata"), evil), ==, evil);
    g_assert_cmpstr (jstr (OBJ (i), "content"), ==, P ("Robert%s said hello", evil));
    g_assert_cmpint (total_of (list), ==, 1);
    g_assert_cmpstr (item_ids (robert, "id"), ==, interaction_id);
    g_assert_nonnull (strstr (metrics->body, "mira_interactions "));
  }
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "errors/shape", test_errors },
    { "errors/sql-strings", test_sql_strings },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
