/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

#include "mira-test-connection.h"

#include "mira-test-pg.h"

#define WAIT_LIMIT_US (30 * G_USEC_PER_SEC)

/* POSTs @body; the object it created */
static JsonObject *
post (MiraTestServer *server,
      const char     *path,
      const char     *token,
      const char     *body)
{
  g_autoptr(MiraTestResponse) response = mira_test_request (server, "POST", path, token, body);

  if (response->status != 201)
    g_error ("POST %s: %u %s", path, response->status, response->body);
  return json_object_ref (mira_test_response_object (response));
}

void
mira_test_connection_set_up (MiraTestConnection *self,
                             const char         *network_name,
                             const char         *register_body)
{
  g_autoptr(JsonNode) name = json_node_init_string (json_node_alloc (), network_name);
  g_autofree char *name_json = json_to_string (name, FALSE);
  g_autofree char *network_body = g_strdup_printf ("{\"name\":%s}", name_json);
  g_autofree char *register_path = NULL;
  g_autoptr(JsonObject) network = NULL;
  g_autoptr(JsonObject) client = NULL;

  self->db_uri = mira_test_sqlite_uri ();
  self->server = mira_test_server_new (self->db_uri, FALSE);
  network = post (self->server, "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN, network_body);
  self->network_id = g_strdup (json_object_get_string_member (network, "network_id"));
  self->network_token = g_strdup (json_object_get_string_member (network, "network_token"));
  register_path = g_strdup_printf ("/api/v1/%s/service/client/register/desk", self->network_id);
  client = post (self->server, register_path, self->network_token, register_body);
  self->session_token = g_strdup (json_object_get_string_member (client, "session_token"));
  self->conn = mira_connection_new (mira_test_server_get_url (self->server), self->network_id,
                                    self->session_token, "desk");
}

void
mira_test_connection_tear_down (MiraTestConnection *self)
{
  mira_connection_stop (self->conn);
  g_clear_object (&self->conn);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&self->server, mira_test_server_free);
  g_clear_pointer (&self->db_uri, g_free);
  g_clear_pointer (&self->network_id, g_free);
  g_clear_pointer (&self->network_token, g_free);
  g_clear_pointer (&self->session_token, g_free);
}

void
mira_test_connection_wait_until (MiraTestConnection          *self,
                                 MiraTestConnectionCondition  condition,
                                 gconstpointer                data,
                                 const char                  *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_US;

  while (!condition (self, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting until %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
mira_test_connection_wake_regularly (void)
{
  g_timeout_add (100, wake, NULL);
}

gboolean
mira_test_connection_is_online (MiraTestConnection *self,
                                gconstpointer       data)
{
  return mira_connection_get_state (self->conn) == MIRA_CONNECTION_STATE_ONLINE;
}
