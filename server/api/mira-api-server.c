/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Health and metrics of the server itself. */

#include "config.h"

#include "mira-api.h"
#include "mira-api-error.h"

#include "mira-audio-sockets.h"

#include "mira-db.h"
#include "mira-transcriber-chain.h"

gboolean
mira_api_health (MiraApiCall  *call,
                 MiraDb       *db,
                 GError      **error)
{
  g_autoptr(MiraDbResult) res = mira_db_query (db, "SELECT 1", 0, NULL, NULL);
  JsonObject *out = json_object_new ();

  json_object_set_string_member (out, "status", res ? "ok" : "error");
  json_object_set_string_member (out, "version", PACKAGE_VERSION);
  json_object_set_string_member (out, "database", res ? "ok" : "error");
  json_object_set_int_member (out, "uptime_s",
                              (g_get_monotonic_time () - call->config->started_at) / G_USEC_PER_SEC);
  /* A failing transcriber is reported, not a reason for 503: the chain
   * falls back. Anyone may ask: only the server's own chain is named, and
   * of the services networks named for themselves, only how many are in use.
   */
  if (call->config->transcribers != NULL)
    {
      json_object_set_array_member (out, "transcribers",
                                    mira_transcriber_chain_get_states (call->config->transcribers));
      json_object_set_int_member (out, "network_transcribers",
                                  mira_transcriber_chain_count_others (call->config->transcribers));
    }
  mira_api_call_respond_object (call, res ? 200 : 503, out);
  return TRUE;
}

gboolean
mira_api_metrics (MiraApiCall  *call,
                  MiraDb       *db,
                  GError      **error)
{
  static const struct { const char *name, *help, *sql; } gauges[] = {
    { "mira_networks", "Networks by status.",
      "SELECT status, count(*) FROM networks GROUP BY status ORDER BY status" },
    { "mira_clients", "Clients by connection status.",
      "SELECT connection_status, count(*) FROM clients GROUP BY connection_status"
      " ORDER BY connection_status" },
  };
  static const struct { const char *name, *help, *table; } totals[] = {
    { "mira_interactions", "Interactions stored.", "interactions" },
    { "mira_conversations", "Conversations stored.", "conversations" },
    { "mira_persons", "Persons stored.", "persons" },
    { "mira_reminders", "Reminders stored.", "reminders" },
    { "mira_calendar_events", "Calendar events stored.", "calendar_events" },
    { "mira_actions", "Actions stored.", "actions" },
  };
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_append_printf (out, "# HELP mira_uptime_seconds Seconds since the server started.\n"
                               "# TYPE mira_uptime_seconds gauge\nmira_uptime_seconds %" G_GINT64_FORMAT "\n",
                          (g_get_monotonic_time () - call->config->started_at) / G_USEC_PER_SEC);
  g_string_append_printf (out, "# HELP mira_build_info Version of this server.\n"
                               "# TYPE mira_build_info gauge\nmira_build_info{version=\"%s\"} 1\n",
                          PACKAGE_VERSION);

  for (guint i = 0; i < G_N_ELEMENTS (gauges); i++)
    {
      g_autoptr(MiraDbResult) res = mira_db_query (db, gauges[i].sql, 0, NULL, error);

      if (res == NULL)
        return FALSE;
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n", gauges[i].name,
                              gauges[i].help, gauges[i].name);
      for (guint r = 0; r < mira_db_result_n_rows (res); r++)
        g_string_append_printf (out, "%s{status=\"%s\"} %s\n", gauges[i].name,
                                mira_db_result_get (res, r, 0), mira_db_result_get (res, r, 1));
    }
  for (guint i = 0; i < G_N_ELEMENTS (totals); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", totals[i].table);
      g_autoptr(MiraDbResult) res = mira_db_query (db, sql, 0, NULL, error);

      if (res == NULL)
        return FALSE;
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", totals[i].name,
                              totals[i].help, totals[i].name, totals[i].name,
                              mira_db_result_get (res, 0, 0));
    }
  if (call->config->audio != NULL)
    mira_audio_sockets_append_metrics (call->config->audio, out);

  call->response_text = g_string_free (g_steal_pointer (&out), FALSE);
  call->response_type = g_strdup ("text/plain; version=0.0.4; charset=utf-8");
  return TRUE;
}

gboolean
mira_api_websocket (MiraApiCall  *call,
                    MiraDb       *db,
                    GError      **error)
{
  g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
               "This endpoint is a WebSocket: connect with an Upgrade request");
  return FALSE;
}
