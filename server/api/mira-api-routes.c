/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

#include "mira-api.h"
#include "mira-api-private.h"
#include "mira-entity.h"

#define NET MIRA_ACCESS_NETWORK
#define OWNER MIRA_ACCESS_NETWORK_OWNER
#define ADMIN MIRA_ACCESS_ADMIN

#define ENTITY_ROUTES(path, entity, create)                                              \
  { "GET", "{network_id}/" path, NET, mira_api_entity_list, &entity, FALSE, TRUE },        \
  { "POST", "{network_id}/" path, NET, create, &entity },                                  \
  { "GET", "{network_id}/" path "/{}", NET, mira_api_entity_get, &entity, FALSE, TRUE },   \
  { "PUT", "{network_id}/" path "/{}", NET, mira_api_entity_update, &entity },             \
  { "DELETE", "{network_id}/" path "/{}", NET, mira_api_entity_delete, &entity }

/* Paths are relative to /api/v1/, except those starting with '/'. Literal
 * routes come before the ones whose first segment is the network id.
 */
static const MiraApiRoute routes[] = {
  { "GET", "/health", MIRA_ACCESS_PUBLIC, mira_api_health, NULL, FALSE, TRUE },
  { "GET", "/metrics", ADMIN, mira_api_metrics, NULL, FALSE, TRUE },
  { "GET", "/openapi.json", MIRA_ACCESS_PUBLIC, mira_api_openapi, NULL, FALSE, TRUE },

  { "GET", "/ws_pcm", MIRA_ACCESS_TOKEN_NETWORK, mira_api_websocket, "pcm", FALSE, TRUE },
  { "GET", "/ws_omi", MIRA_ACCESS_TOKEN_NETWORK, mira_api_websocket, "omi", FALSE, TRUE },
  { "GET", "{network_id}/ws", NET, mira_api_websocket, "events", FALSE, TRUE },
  { "GET", "{network_id}/streams/{}/ws", NET, mira_api_websocket, "wyoming", FALSE, TRUE },
  { "GET", "{network_id}/streams/best", NET, mira_api_stream_best, NULL, FALSE, TRUE },
  { "GET", "{network_id}/streams/scores", NET, mira_api_stream_scores, NULL, FALSE, TRUE },
  { "GET", "{network_id}/streams/{}", NET, mira_api_stream_get, NULL, FALSE, TRUE },
  { "POST", "{network_id}/streams/{}/audio", NET, mira_api_stream_upload, NULL, TRUE, TRUE },

  { "POST", "networks", MIRA_ACCESS_CREATE_NETWORK, mira_api_network_create },
  { "GET", "networks/{network_id}", NET, mira_api_network_get, NULL, FALSE, TRUE },
  { "PATCH", "networks/{network_id}", OWNER, mira_api_network_patch },
  { "DELETE", "networks/{network_id}", ADMIN, mira_api_network_delete },
  { "POST", "networks/{network_id}/token/rotate", OWNER, mira_api_network_rotate_token },
  { "GET", "admin/networks", ADMIN, mira_api_network_list, NULL, FALSE, TRUE },

  { "POST", "{network_id}/service/client/register/{}", OWNER, mira_api_client_register },
  { "DELETE", "{network_id}/service/client/deregister/{}", NET, mira_api_client_deregister },
  { "GET", "{network_id}/service/info", NET, mira_api_service_info, NULL, FALSE, TRUE },
  { "GET", "{network_id}/clients", NET, mira_api_entity_list, &mira_entity_client, FALSE, TRUE },
  { "GET", "{network_id}/clients/{}", NET, mira_api_entity_get, &mira_entity_client, FALSE, TRUE },

  ENTITY_ROUTES ("persons", mira_entity_person, mira_api_person_create),
  { "POST", "{network_id}/persons/{}/merge", NET, mira_api_person_merge, &mira_entity_person },
  { "POST", "{network_id}/persons/{}/voice", NET, mira_api_person_voice, &mira_entity_person,
    TRUE },

  ENTITY_ROUTES ("conversations", mira_entity_conversation, mira_api_conversation_create),
  { "POST", "{network_id}/conversations/{}/close", NET, mira_api_conversation_close,
    &mira_entity_conversation },

  ENTITY_ROUTES ("interactions", mira_entity_interaction, mira_api_interaction_create),

  ENTITY_ROUTES ("reminders", mira_entity_reminder, mira_api_entity_create),
  { "PATCH", "{network_id}/reminders/{}", NET, mira_api_entity_update, &mira_entity_reminder },
  { "POST", "{network_id}/reminders/{}/complete", NET, mira_api_reminder_complete,
    &mira_entity_reminder },

  ENTITY_ROUTES ("calendar/events", mira_entity_calendar_event, mira_api_entity_create),

  { "GET", "{network_id}/actions", NET, mira_api_entity_list, &mira_entity_action, FALSE, TRUE },
  { "POST", "{network_id}/actions", NET, mira_api_entity_create, &mira_entity_action },
  { "GET", "{network_id}/actions/{}", NET, mira_api_entity_get, &mira_entity_action, FALSE, TRUE },
  { "PATCH", "{network_id}/actions/{}", NET, mira_api_action_update, &mira_entity_action },

  { "GET", "{network_id}/settings", NET, mira_api_settings_list, NULL, FALSE, TRUE },
  { "GET", "{network_id}/settings/{}", NET, mira_api_setting_get, NULL, FALSE, TRUE },
  { "PUT", "{network_id}/settings/{}", NET, mira_api_setting_put },
  { "DELETE", "{network_id}/settings/{}", NET, mira_api_setting_delete },
};

static gboolean
pattern_matches (const char         *pattern,
                 const char * const *segments,
                 GPtrArray          *args)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (pattern[0] == '/')
    {
      if (segments[0] == NULL || !g_str_equal (segments[0], "") ||
          segments[1] == NULL || segments[2] != NULL)
        return FALSE;
      return g_str_equal (segments[1], pattern + 1);
    }

  /* segments[0] is "" (leading slash), then "api", "v1" */
  if (g_strv_length ((char **) segments) < 4 || !g_str_equal (segments[1], "api") ||
      !g_str_equal (segments[2], "v1"))
    return FALSE;
  segments += 3;

  parts = g_strsplit (pattern, "/", -1);
  n = g_strv_length (parts);
  if (g_strv_length ((char **) segments) != n)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (parts[i][0] == '{')
        {
          if (segments[i][0] == '\0')
            return FALSE;
        }
      else if (!g_str_equal (parts[i], segments[i]))
        return FALSE;
    }

  if (args != NULL)
    for (guint i = 0; i < n; i++)
      if (parts[i][0] == '{')
        g_ptr_array_add (args, g_strdup (segments[i]));
  return TRUE;
}

/* Returns the route for @method on the path split in @segments; when the
 * path is known but not for that method, returns NULL and sets
 * @method_mismatch. HEAD is answered as GET.
 */
const MiraApiRoute *
mira_api_match (const char         *method,
                const char * const *segments,
                GPtrArray          *args,
                gboolean           *method_mismatch)
{
  const char *lookup = g_str_equal (method, "HEAD") ? "GET" : method;

  *method_mismatch = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!pattern_matches (routes[i].pattern, segments, NULL))
        continue;
      if (!g_str_equal (routes[i].method, lookup))
        {
          *method_mismatch = TRUE;
          continue;
        }
      pattern_matches (routes[i].pattern, segments, args);
      *method_mismatch = FALSE;
      return &routes[i];
    }
  return NULL;
}

const MiraApiRoute *
mira_api_routes (guint *n_routes)
{
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}
