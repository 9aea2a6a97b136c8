/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-clients"

/* Clients: devices register with the network token, are listed, read the
 * service info with their session, and deregister.
 */

#include "mira-test-api.h"

static void
test_client_register (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = NULL;
  g_autoptr(MiraTestResponse) again = NULL;
  JsonObject *o;
  const char *first, *second;

  r = REQ (f->server, 201, "POST", f->net->token,
           Q ("{'device_type': 'esp32', 'device_info': {'fw': '1.2'}, 'capabilities': ['audio'],"
              " 'location': {'room': 'hall'}, 'rssi': -61}"),
           "%s/service/client/register/hall-mic_2.b", f->net->path);
  o = OBJ (r);
  g_assert_cmpstr (jstr (o, "client_id"), ==, "hall-mic_2.b");
  g_assert_cmpstr (jstr (o, "network_id"), ==, f->net->id);
  g_assert_cmpstr (jstr (o, "device_type"), ==, "esp32");
  g_assert_cmpstr (jstr (o, "connection_status"), ==, "disconnected");
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "device_info"), "fw"), ==, "1.2");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "capabilities")), ==, 1);
  g_assert_true (is_timestamp (jstr (o, "created_at")));
  g_assert_true (g_regex_match_simple ("^mst_[0-9a-f]{64}$", jstr (o, "session_token"), 0, 0));
  first = pool_take (g_strdup (jstr (o, "session_token")));

  {
    g_autoptr(MiraTestResponse) ok = REQ (f->server, 200, "GET", first, NULL, "%s/persons",
                                          f->net->path);
  }

  /* Registering again: 200, a new session, the old one ends */
  again = REQ (f->server, 200, "POST", f->net->token, Q ("{'device_type': 'esp32-s3'}"),
               "%s/service/client/register/hall-mic_2.b", f->net->path);
  second = jstr (OBJ (again), "session_token");
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpstr (jstr (OBJ (again), "device_type"), ==, "esp32-s3");
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 401, "GET", first, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 200, "GET", second, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 200, "GET", f->session, NULL, "%s/persons",
                                         f->net->path);
  }

  /* Refusals register nothing */
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/bad%%20id!", f->net->path);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/-dash", f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 400, "POST", f->net->token,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/%051d", f->net->path, 7);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'device_info': {}}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) e = REQ (f->server, 422, "POST", f->net->token,
                                         Q ("{'device_type': 7}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) g = REQ (f->server, 403, "POST", f->session,
                                         Q ("{'device_type': 'phone'}"),
                                         "%s/service/client/register/new-one", f->net->path);
    g_autoptr(MiraTestResponse) h = REQ (f->server, 400, "POST", f->net->token, NULL,
                                         "%s/service/client/register/new-one", f->net->path);

    assert_code (a, "INVALID_CLIENT_ID");
    assert_code (c, "INVALID_CLIENT_ID");
    assert_detail_names (d, "device_type");
    assert_detail_names (e, "device_type");
    assert_code (g, "NETWORK_TOKEN_REQUIRED");
  }
  g_assert_cmpint (count (f->server, f->net, "clients"), ==, 2);
}

static void
test_client_list (Fixture       *f,
                  gconstpointer  data)
{
  register_client (f->server, f->net, "b-phone");
  {
    g_autoptr(MiraTestResponse) all = REQ (f->server, 200, "GET", f->session, NULL, "%s/clients",
                                           f->net->path);
    g_autoptr(MiraTestResponse) disconnected = REQ (f->server, 200, "GET", f->session, NULL,
                                                    "%s/clients?status=disconnected",
                                                    f->net->path);
    g_autoptr(MiraTestResponse) connected = REQ (f->server, 200, "GET", f->session, NULL,
                                                 "%s/clients?status=connected", f->net->path);
    g_autoptr(MiraTestResponse) bogus = REQ (f->server, 400, "GET", f->session, NULL,
                                             "%s/clients?status=sleeping", f->net->path);
    g_autoptr(MiraTestResponse) one = REQ (f->server, 200, "GET", f->net->token, NULL,
                                           "%s/clients/b-phone", f->net->path);
    g_autoptr(MiraTestResponse) missing = REQ (f->server, 404, "GET", f->net->token, NULL,
                                               "%s/clients/nobody", f->net->path);
    g_autoptr(MiraTestResponse) invalid = REQ (f->server, 400, "GET", f->net->token, NULL,
                                               "%s/clients/bad%%20id", f->net->path);

    g_assert_cmpint (total_of (all), ==, 2);
    g_assert_true (items_have (all, "client_id", "kitchen-mic"));
    g_assert_true (items_have (all, "client_id", "b-phone"));
    g_assert_cmpint (total_of (disconnected), ==, 2);
    g_assert_cmpint (total_of (connected), ==, 0);
    g_assert_cmpint (n_items (connected), ==, 0);
    assert_detail_names (bogus, "status");
    g_assert_cmpstr (jstr (OBJ (one), "client_id"), ==, "b-phone");
    g_assert_false (json_object_has_member (OBJ (one), "session_token"));
    assert_code (missing, "CLIENT_NOT_FOUND");
  }
}

static void
test_client_service_info (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = REQ (f->server, 200, "GET", f->session, NULL,
                                       "%s/service/info", f->net->path);
  JsonObject *o = OBJ (r);
  JsonObject *server = json_object_get_object_member (o, "server");
  JsonArray *clients = json_object_get_array_member (o, "clients");

  assert_network_shape (json_object_get_object_member (o, "network"));
  g_assert_cmpstr (jstr (json_object_get_object_member (o, "network"), "network_id"), ==,
                   f->net->id);
  g_assert_nonnull (clients);
  g_assert_cmpint (json_array_get_length (clients), ==, 1);
  g_assert_cmpstr (jstr (json_array_get_object_element (clients, 0), "client_id"), ==,
                   f->client_id);
  g_assert_cmpint (jint (o, "active_clients"), ==, 0);
  g_assert_true (json_object_has_member (o, "best_stream"));
  g_assert_nonnull (server);
  g_assert_cmpstr (jstr (server, "version"), !=, "");
  g_assert_nonnull (jstr (server, "transcriber"));
}

static void
test_client_deregister (Fixture       *f,
                        gconstpointer  data)
{
  const char *other = register_client (f->server, f->net, "other-mic");
  g_autoptr(MiraTestResponse) refused = NULL;
  g_autoptr(MiraTestResponse) own = NULL;

  refused = REQ (f->server, 403, "DELETE", other, NULL, "%s/service/client/deregister/%s",
                 f->net->path, f->client_id);
  {
    g_autoptr(MiraTestResponse) still = REQ (f->server, 200, "GET", f->net->token, NULL,
                                             "%s/clients/%s", f->net->path, f->client_id);
    g_autoptr(MiraTestResponse) works = REQ (f->server, 200, "GET", f->session, NULL,
                                             "%s/persons", f->net->path);
  }

  own = REQ (f->server, 204, "DELETE", f->session, NULL, "%s/service/client/deregister/%s",
             f->net->path, f->client_id);
  {
    g_autoptr(MiraTestResponse) a = REQ (f->server, 404, "GET", f->net->token, NULL,
                                         "%s/clients/%s", f->net->path, f->client_id);
    g_autoptr(MiraTestResponse) b = REQ (f->server, 401, "GET", f->session, NULL, "%s/persons",
                                         f->net->path);
    g_autoptr(MiraTestResponse) c = REQ (f->server, 404, "DELETE", f->net->token, NULL,
                                         "%s/service/client/deregister/%s", f->net->path,
                                         f->client_id);
    g_autoptr(MiraTestResponse) d = REQ (f->server, 204, "DELETE", f->net->token, NULL,
                                         "%s/service/client/deregister/other-mic",
                                         f->net->path);

    assert_code (a, "CLIENT_NOT_FOUND");
    assert_code (c, "CLIENT_NOT_FOUND");
  }
  g_assert_cmpint (count (f->server, f->net, "clients"), ==, 0);
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "clients/register", test_client_register },
    { "clients/list", test_client_list },
    { "clients/service-info", test_client_service_info },
    { "clients/deregister", test_client_deregister },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
