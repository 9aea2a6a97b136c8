/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-resilience"

/* PostgreSQL going away under a running server: requests are answered 503
 * with the error shape, /health says so, nothing that was answered 2xx is
 * lost, and the server carries on by itself once the database is back.
 */

#include <string.h>

#include "mira-test-pg.h"
#include "mira-test-server.h"

static char *pg_uri;

static JsonObject *
expect (MiraTestResponse *response,
        guint             status)
{
  if (response->status != status)
    g_error ("expected %u, got %u: %s", status, response->status, response->body);
  return mira_test_response_object (response);
}

static void
assert_error_shape (MiraTestResponse *response,
                    const char       *code)
{
  JsonObject *object = mira_test_response_object (response);

  g_assert_nonnull (object);
  g_assert_cmpstr (json_object_get_string_member (object, "error_code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (object, "detail"));
  g_assert_nonnull (json_object_get_string_member (object, "timestamp"));
}

static void
test_database_restart (void)
{
  g_autoptr(MiraTestServer) server = mira_test_server_new (pg_uri, FALSE);
  g_autoptr(MiraTestResponse) created = NULL;
  g_autoptr(MiraTestResponse) health = NULL;
  g_autofree char *path = NULL;
  g_autofree char *token = NULL;
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  JsonObject *network;

  created = mira_test_request (server, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                               "{\"name\":\"Resilient\"}");
  network = expect (created, 201);
  token = g_strdup (json_object_get_string_member (network, "network_token"));
  path = g_strdup_printf ("/api/v1/%s", json_object_get_string_member (network, "network_id"));

  /* Writes answered 2xx before the outage */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"content\":\"before the outage %u\"}", i);
      g_autofree char *url = g_strconcat (path, "/interactions", NULL);
      g_autoptr(MiraTestResponse) r = mira_test_request (server, "POST", url, token, body);

      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (expect (r, 201), "id")));
    }

  mira_test_pg_pause ();

  health = mira_test_request (server, "GET", "/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 503);
  g_assert_cmpstr (json_object_get_string_member (mira_test_response_object (health), "database"),
                   ==, "error");
  g_assert_cmpstr (json_object_get_string_member (mira_test_response_object (health), "status"),
                   ==, "error");

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *url = g_strconcat (path, "/interactions", NULL);
      g_autoptr(MiraTestResponse) list = mira_test_request (server, "GET", url, token, NULL);
      g_autoptr(MiraTestResponse) write = mira_test_request (server, "POST", url, token,
                                                             "{\"content\":\"during\"}");

      g_assert_cmpuint (list->status, ==, 503);
      assert_error_shape (list, "DATABASE_UNAVAILABLE");
      g_assert_cmpuint (write->status, ==, 503);
      assert_error_shape (write, "DATABASE_UNAVAILABLE");
    }

  mira_test_pg_resume ();

  /* Back by itself: no restart of the server, every worker reconnects. */
  {
    g_autoptr(MiraTestResponse) again = mira_test_request (server, "GET", "/health", NULL, NULL);
    g_autofree char *url = g_strconcat (path, "/interactions?limit=500", NULL);
    JsonArray *items;

    g_assert_cmpuint (again->status, ==, 200);
    for (guint i = 0; i < 8; i++)
      {
        g_autoptr(MiraTestResponse) list = mira_test_request (server, "GET", url, token, NULL);
        JsonObject *object = expect (list, 200);

        items = json_object_get_array_member (object, "items");
        /* Everything answered 2xx is there; nothing answered 503 is. */
        g_assert_cmpint (json_object_get_int_member (object, "total"), ==, ids->len);
        for (guint k = 0; k < ids->len; k++)
          {
            gboolean found = FALSE;

            for (guint j = 0; j < json_array_get_length (items); j++)
              found |= g_str_equal (json_object_get_string_member (
                                      json_array_get_object_element (items, j), "id"),
                                    g_ptr_array_index (ids, k));
            g_assert_true (found);
          }
      }
  }
  {
    g_autofree char *url = g_strconcat (path, "/interactions", NULL);
    g_autoptr(MiraTestResponse) write = mira_test_request (server, "POST", url, token,
                                                           "{\"content\":\"after the outage\"}");
    expect (write, 201);
  }
  g_ptr_array_unref (ids);
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  pg_uri = mira_test_pg_start ();
  g_test_add_func ("/resilience/postgresql/restart", test_database_restart);
  rc = g_test_run ();
  g_free (pg_uri);
  return rc;
}
