/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-connection"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "mira-connection.h"
#include "mira-core-private.h"
#include "mira-synced-list.h"

/* Reconnect delays: 0.5 s, doubling up to 30 s, each ±20 % */
#define RETRY_FIRST_MS   500
#define RETRY_MAX_MS     30000
/* The server pings the event socket every 30 s; three missed pings and it
 * is gone even if TCP has not noticed.
 */
#define SILENCE_LIMIT_US (75 * G_USEC_PER_SEC)
#define WATCHDOG_S       10
/* stream_scores come 2–5 times a second while audio flows and stop with
 * it; this long without one, no stream is live any more
 */
#define SCORES_SILENCE_MS 2500
/* REST requests that hang fail after this */
#define REQUEST_TIMEOUT_S 30
#define MAX_EVENT_SIZE   (4 * 1024 * 1024)

/* The synced lists: how each entity's JSON becomes an item */

static gpointer
new_client_item (const char *id)
{
  return mira_client_item_new (id);
}

static void
update_client_item (gpointer    item,
                    JsonObject *object)
{
  mira_client_item_update (item, object);
}

static gpointer
new_interaction_item (const char *id)
{
  return mira_interaction_item_new (id);
}

static void
update_interaction_item (gpointer    item,
                         JsonObject *object)
{
  mira_interaction_item_update (item, object);
}

static gpointer
new_person_item (const char *id)
{
  return mira_person_item_new (id);
}

static void
update_person_item (gpointer    item,
                    JsonObject *object)
{
  mira_person_item_update (item, object);
}

static gpointer
new_conversation_item (const char *id)
{
  return mira_conversation_item_new (id);
}

static void
update_conversation_item (gpointer    item,
                          JsonObject *object)
{
  mira_conversation_item_update (item, object);
}

static gpointer
new_reminder_item (const char *id)
{
  return mira_reminder_item_new (id);
}

static void
update_reminder_item (gpointer    item,
                      JsonObject *object)
{
  mira_reminder_item_update (item, object);
}

static gpointer
new_event_item (const char *id)
{
  return mira_event_item_new (id);
}

static void
update_event_item (gpointer    item,
                   JsonObject *object)
{
  mira_event_item_update (item, object);
}

static const char * const client_upsert_events[] = {
  "client_registered", "client_connected", "client_disconnected", NULL
};
static const char * const client_remove_events[] = { "client_deregistered", NULL };

static const MiraSyncedType client_type = {
  .entity = "client",
  .list_path = "clients?limit=500",
  .id_member = "client_id",
  .item_type = mira_client_item_get_type,
  .new_item = new_client_item,
  .update_item = update_client_item,
  .upsert_events = client_upsert_events,
  .remove_events = client_remove_events,
};

static const MiraSyncedType interaction_type = {
  .entity = "interaction",
  .list_path = "interactions?limit=" G_STRINGIFY (MIRA_CONNECTION_LIVE_INTERACTIONS),
  .id_member = "id",
  .item_type = mira_interaction_item_get_type,
  .new_item = new_interaction_item,
  .update_item = update_interaction_item,
  .newest_first = TRUE,
  .max_items = MIRA_CONNECTION_LIVE_INTERACTIONS,
};

static gpointer
new_setting_item (const char *key)
{
  return mira_setting_item_new (key);
}

static void
update_setting_item (gpointer    item,
                     JsonObject *object)
{
  mira_setting_item_update (item, object);
}

/* setting_created|_updated|_deleted {setting}, keyed by "key" */
static const MiraSyncedType setting_type = {
  .entity = "setting",
  .list_path = "settings?limit=500",
  .id_member = "key",
  .item_type = mira_setting_item_get_type,
  .new_item = new_setting_item,
  .update_item = update_setting_item,
};

static const MiraSyncedType person_type = {
  .entity = "person",
  .list_path = "persons?limit=500",
  .id_member = "id",
  .item_type = mira_person_item_get_type,
  .new_item = new_person_item,
  .update_item = update_person_item,
};

static const char * const conversation_upsert_events[] = {
  "conversation_started", "conversation_closed", NULL
};

/* The newest 500 conversations; older ones are found by searching */
static const MiraSyncedType conversation_type = {
  .entity = "conversation",
  .list_path = "conversations?limit=500",
  .id_member = "id",
  .item_type = mira_conversation_item_get_type,
  .new_item = new_conversation_item,
  .update_item = update_conversation_item,
  .newest_first = TRUE,
  .upsert_events = conversation_upsert_events,
};

static const char * const reminder_upsert_events[] = { "reminder_due", NULL };

static const MiraSyncedType reminder_type = {
  .entity = "reminder",
  .list_path = "reminders?limit=500",
  .id_member = "id",
  .item_type = mira_reminder_item_get_type,
  .new_item = new_reminder_item,
  .update_item = update_reminder_item,
  .upsert_events = reminder_upsert_events,
};

static const MiraSyncedType event_type = {
  .entity = "calendar_event",
  .list_path = "calendar/events?limit=500",
  .id_member = "id",
  .item_type = mira_event_item_get_type,
  .new_item = new_event_item,
  .update_item = update_event_item,
};

/* The REST answers of one attempt, applied together once all are in */
typedef struct {
  guint       pending;
  JsonObject *network;
  JsonObject *scores;
  JsonObject *info;
  JsonObject *time_zone;  /* the setting */
  JsonArray **lists;   /* one per synced list, in self->lists' order */
  gboolean   *complete; /* whether each list had all of its items */
  guint       n_lists;
} Load;

struct _MiraConnection
{
  GObject                  parent_instance;

  char                    *base_url;
  char                    *network_id;
  char                    *token;
  char                    *client_id;

  char                    *network_name;
  MiraNetworkItem         *network;
  char                    *server_version;
  char                    *transcriber;
  MiraConnectionState      state;
  GError                  *last_error;
  char                    *best_client_id;
  char                    *time_zone;

  GMainContext            *context;
  SoupSession             *rest;     /* with a timeout */
  SoupSession             *sockets;  /* without: the event socket idles */

  gboolean                 running;
  /* Bumped by every new attempt and by stop: an answer of another
   * generation is stale and dropped.
   */
  guint                    generation;
  GCancellable            *cancellable;
  SoupWebsocketConnection *socket;
  Load                    *load;
  GPtrArray               *queued;   /* events that came while loading */
  guint                    failures;
  GSource                 *retry_source;
  GSource                 *watchdog_source;
  GSource                 *scores_source;   /* ends the scores when they stop coming */
  gint64                   last_message_us;

  MiraSyncedList          *clients;
  MiraSyncedList          *interactions;
  MiraSyncedList          *persons;
  MiraSyncedList          *settings;
  MiraSyncedList          *conversations;
  MiraSyncedList          *reminders;
  MiraSyncedList          *events;
  GPtrArray               *lists;    /* every MiraSyncedList */
};

G_DEFINE_FINAL_TYPE (MiraConnection, mira_connection, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_NETWORK_ID,
  PROP_TOKEN,
  PROP_CLIENT_ID,
  PROP_NETWORK_NAME,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_BEST_CLIENT_ID,
  PROP_NETWORK,
  PROP_SERVER_VERSION,
  PROP_TRANSCRIBER,
  PROP_TIME_ZONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REMINDER_DUE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void begin_attempt (MiraConnection *self);
static void refresh_person (MiraConnection *self,
                            const char     *person_id);

/* Errors */

/* The API's error detail (or, with @member "error_code", its code), else NULL */
static char *
dup_error_member (GBytes     *body,
                  const char *member)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  const char *detail;

  /* An empty body's data is NULL, which json-glib does not take */
  if (body == NULL || g_bytes_get_size (body) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   g_bytes_get_size (body), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  detail = mira_json_get_string (json_node_get_object (root), member);
  return g_strdup (detail);
}

static char *
dup_detail (GBytes *body)
{
  return dup_error_member (body, "detail");
}

/* One place turns a transport error or an HTTP status into a
 * MIRA_CORE_ERROR with a message for people.
 */
static GError *
core_error_new (SoupMessage  *msg,
                GBytes       *body,
                const GError *transport)
{
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;
  g_autofree char *detail = NULL;
  g_autofree char *code = NULL;

  if (transport != NULL)
    {
      if (transport->domain == G_TLS_ERROR ||
          (msg != NULL && soup_message_get_tls_peer_certificate_errors (msg) != 0))
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_TLS,
                            _("The server’s certificate is not trusted: %s"), transport->message);
      /* Said after a title such as "The server cannot be reached": the
       * cause, and what to look at
       */
      if (status == 0 || transport->domain != SOUP_WEBSOCKET_ERROR)
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNREACHABLE,
                            _("%s. Check the address, and that the server is running."),
                            transport->message);
    }

  /* Every refusal of Mira's API says its error_code: a 4xx answer
   * without one (an empty 404, a web page) is another kind of server
   */
  if (body != NULL && SOUP_STATUS_IS_CLIENT_ERROR (status) &&
      (code = dup_error_member (body, "error_code")) == NULL)
    return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_MIRA,
                        _("The address answered “%u %s”, as no Mira server does. Check the "
                          "address and the port."), status, soup_status_get_phrase (status));
  g_clear_pointer (&code, g_free);

  switch (status)
    {
    case SOUP_STATUS_FORBIDDEN:
      /* A token that is good but not enough ("This needs the admin
       * token", "This network is suspended"): the server says which
       */
      detail = dup_detail (body);
      if (detail != NULL)
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                            _("The server refused: %s"), detail);
      G_GNUC_FALLTHROUGH;
    case SOUP_STATUS_UNAUTHORIZED:
      return g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                                  _("The server refused the token: it is wrong or was revoked"));
    case SOUP_STATUS_NOT_FOUND:
      /* Something of the network that is gone (a client, a reminder) is
       * said as the server says it; a network that is gone, as here
       */
      detail = dup_detail (body);
      code = dup_error_member (body, "error_code");
      if (detail != NULL && code != NULL && !g_str_equal (code, "NETWORK_NOT_FOUND"))
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND,
                            _("The server refused: %s"), detail);
      return g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND,
                                  _("There is no such network on this server"));
    case SOUP_STATUS_BAD_REQUEST:
    case SOUP_STATUS_UNPROCESSABLE_ENTITY:
      /* A value it would not take: the server's detail names the field */
      detail = dup_detail (body);
      if (detail != NULL)
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID,
                            _("The server refused: %s"), detail);
      G_GNUC_FALLTHROUGH;
    default:
      if (detail == NULL)
        detail = dup_detail (body);
      if (detail != NULL)
        return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                            _("The server refused: %s"), detail);
      return g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                          _("The server answered with an error (%u %s)"),
                          status, soup_status_get_phrase (status));
    }
}

/* Parses a successful answer's JSON object, or sets an error */
static JsonObject *
answer_object (SoupMessage   *msg,
               GBytes        *body,
               const GError  *transport,
               GError       **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (transport != NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_propagate_error (error, core_error_new (msg, body, transport));
      return NULL;
    }

  /* A deletion's answer has no body */
  if (soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT)
    return json_object_new ();

  parser = json_parser_new ();
  if (body != NULL && g_bytes_get_size (body) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                  g_bytes_get_size (body), NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    return json_object_ref (json_node_get_object (root));

  /* A web page, or nothing, where Mira answers with JSON */
  g_set_error_literal (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_MIRA,
                       _("The address answered, but not as a Mira server does. Check the "
                         "address and the port."));
  return NULL;
}

/* URLs */

/* @base_url without a trailing slash, or NULL when it is no http(s) URL */
char *
mira_base_url_normalize (const char *base_url)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *text = NULL;
  gsize len;

  if (base_url == NULL)
    return NULL;
  uri = g_uri_parse (base_url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      g_uri_get_userinfo (uri) != NULL)
    return NULL;

  text = g_uri_to_string (uri);
  len = strlen (text);
  while (len > 0 && text[len - 1] == '/')
    text[--len] = '\0';
  return g_steal_pointer (&text);
}

/* base/api/v1/@path, with the network id's segment escaped by the caller */
static SoupMessage *
api_message_new (const char *method,
                 const char *base_url,
                 const char *path,
                 const char *token)
{
  g_autofree char *uri = g_strconcat (base_url, "/api/v1/", path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);

  if (msg != NULL && token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  return msg;
}

static SoupSession *
rest_session_new (void)
{
  g_autofree char *agent = g_strconcat ("mira-dashboard/", PACKAGE_VERSION, NULL);

  return soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                        "user-agent", agent,
                                        NULL);
}

/* Sources on the connection's own context */

static GSource *
attach_timeout (MiraConnection *self,
                guint           interval_ms,
                GSourceFunc     func)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* State */

static void
set_state (MiraConnection      *self,
           MiraConnectionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_last_error (MiraConnection *self,
                const GError   *error)
{
  if (self->last_error == NULL && error == NULL)
    return;
  g_clear_error (&self->last_error);
  if (error != NULL)
    self->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static void
set_network_name (MiraConnection *self,
                  const char     *name)
{
  if (mira_set_string (&self->network_name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_NAME]);
}

static void
set_server_info (MiraConnection *self,
                 JsonObject     *info)
{
  JsonNode *node = json_object_get_member (info, "server");
  JsonObject *server;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  server = json_node_get_object (node);
  if (mira_set_string (&self->server_version, mira_json_get_string (server, "version")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_VERSION]);
  if (mira_set_string (&self->transcriber, mira_json_get_string (server, "transcriber")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSCRIBER]);
}

static void
set_best (MiraConnection *self,
          const char     *client_id)
{
  MiraClientItem *item;

  if (g_strcmp0 (self->best_client_id, client_id) == 0)
    return;
  item = mira_synced_list_lookup (self->clients, self->best_client_id);
  if (item != NULL)
    mira_client_item_set_is_best (item, FALSE);
  g_free (self->best_client_id);
  self->best_client_id = g_strdup (client_id);
  item = mira_synced_list_lookup (self->clients, client_id);
  if (item != NULL)
    mira_client_item_set_is_best (item, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BEST_CLIENT_ID]);
}

static void
set_time_zone (MiraConnection *self,
               const char     *time_zone)
{
  g_autoptr(GTimeZone) zone = NULL;

  /* Only a zone this computer knows; UTC, the API's default, otherwise */
  if (time_zone != NULL)
    zone = g_time_zone_new_identifier (time_zone);
  if (zone == NULL)
    time_zone = "UTC";
  if (mira_set_string (&self->time_zone, time_zone))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME_ZONE]);
}

/* @setting: API.md's setting object */
static void
apply_setting (MiraConnection *self,
               JsonObject     *setting,
               gboolean        deleted)
{
  if (g_strcmp0 (mira_json_get_string (setting, "key"), "timezone") != 0)
    return;
  set_time_zone (self, deleted ? NULL : mira_json_get_string (setting, "value"));
}

/* Items that depend on other lists: the client's own flags, the device
 * name and speaker of interactions.
 */

static void
fill_interaction (MiraConnection      *self,
                  MiraInteractionItem *item)
{
  MiraClientItem *client = mira_synced_list_lookup (self->clients,
                                                    mira_interaction_item_get_client_id (item));
  MiraPersonItem *person = mira_synced_list_lookup (self->persons,
                                                    mira_interaction_item_get_person_id (item));

  mira_interaction_item_set_device_name (item, client
                                                 ? mira_client_item_get_display_name (client)
                                                 : NULL);
  mira_interaction_item_set_speaker (item, person
                                             ? mira_person_item_get_display_name (person)
                                             : NULL);
}

static void
fill_interactions (MiraConnection *self,
                   const char     *client_id,
                   const char     *person_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->interactions));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MiraInteractionItem) item =
        g_list_model_get_item (G_LIST_MODEL (self->interactions), i);

      if ((client_id == NULL && person_id == NULL) ||
          (client_id != NULL &&
           g_strcmp0 (mira_interaction_item_get_client_id (item), client_id) == 0) ||
          (person_id != NULL &&
           g_strcmp0 (mira_interaction_item_get_person_id (item), person_id) == 0))
        fill_interaction (self, item);
    }
}

static void
fill_conversation (MiraConnection       *self,
                   MiraConversationItem *item)
{
  const char * const *participants = mira_conversation_item_get_participants (item);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; participants != NULL && participants[i] != NULL; i++)
    {
      MiraPersonItem *person = mira_synced_list_lookup (self->persons, participants[i]);

      if (person == NULL)
        continue;
      if (names->len > 0)
        /* Translators: between the names of a conversation's participants */
        g_string_append (names, _(", "));
      g_string_append (names, mira_person_item_get_display_name (person));
    }
  mira_conversation_item_set_participant_names (item, names->len > 0 ? names->str : NULL);
}

static void
fill_conversations (MiraConnection *self)
{
  GListModel *model = G_LIST_MODEL (self->conversations);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MiraConversationItem) item = g_list_model_get_item (model, i);

      fill_conversation (self, item);
    }
}

static void
fill_client (MiraConnection *self,
             MiraClientItem *item)
{
  const char *client_id = mira_client_item_get_client_id (item);

  mira_client_item_set_is_self (item, g_strcmp0 (client_id, self->client_id) == 0);
  mira_client_item_set_is_best (item, g_strcmp0 (client_id, self->best_client_id) == 0);
}

/* An item of @list came or changed */
static void
item_synced (MiraConnection *self,
             MiraSyncedList *list,
             gpointer        item)
{
  if (list == self->clients)
    {
      fill_client (self, item);
      fill_interactions (self, mira_client_item_get_client_id (item), NULL);
    }
  else if (list == self->interactions)
    fill_interaction (self, item);
  else if (list == self->persons)
    {
      fill_interactions (self, NULL, mira_person_item_get_person_id (item));
      fill_conversations (self);
    }
  else if (list == self->conversations)
    fill_conversation (self, item);
}

/* Events */

static gboolean
strv_has (const char * const *strv,
          const char         *str)
{
  return strv != NULL && g_strv_contains (strv, str);
}

/* @live: from a stream_scores event, which draws the score line; else a
 * snapshot, after which clients without a stream have no score.
 */
static void
apply_scores (MiraConnection *self,
              JsonArray      *streams,
              gboolean        live)
{
  gint64 now_us = g_get_real_time ();
  guint n = streams ? json_array_get_length (streams) : 0;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (streams, i);
      JsonObject *stream;
      MiraClientItem *item;
      JsonNode *active;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      stream = json_node_get_object (node);
      item = mira_synced_list_lookup (self->clients, mira_json_get_string (stream, "client_id"));
      if (item == NULL)
        continue;

      active = json_object_get_member (stream, "is_active");
      if (active != NULL && JSON_NODE_HOLDS_VALUE (active) && json_node_get_boolean (active))
        {
          double score = mira_json_get_double (stream, "quality_score", 0);

          if (live)
            mira_client_item_add_score (item, now_us, score);
          else
            mira_client_item_set_quality_score (item, score);
          g_hash_table_add (seen, item);
        }
      else
        mira_client_item_set_quality_score (item, -1);
    }

  if (!live)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->clients)); i++)
      {
        g_autoptr(MiraClientItem) item = g_list_model_get_item (G_LIST_MODEL (self->clients), i);

        if (!g_hash_table_contains (seen, item))
          mira_client_item_set_quality_score (item, -1);
      }
}

static gboolean
scores_silent_cb (gpointer user_data)
{
  MiraConnection *self = user_data;
  GListModel *clients = G_LIST_MODEL (self->clients);

  g_clear_pointer (&self->scores_source, g_source_unref);
  for (guint i = 0; i < g_list_model_get_n_items (clients); i++)
    {
      g_autoptr(MiraClientItem) item = g_list_model_get_item (clients, i);

      mira_client_item_set_quality_score (item, -1);
    }
  return G_SOURCE_REMOVE;
}

static void
apply_synced_event (MiraConnection *self,
                    const char     *type,
                    JsonObject     *event)
{
  for (guint i = 0; i < self->lists->len; i++)
    {
      MiraSyncedList *list = g_ptr_array_index (self->lists, i);
      const MiraSyncedType *synced = mira_synced_list_get_synced_type (list);
      gsize entity_len = strlen (synced->entity);
      const char *what = type + entity_len;
      JsonNode *node;
      JsonObject *object;
      gpointer item;

      if (strncmp (type, synced->entity, entity_len) == 0 && what[0] == '_')
        what++;
      else
        what = NULL;

      node = json_object_get_member (event, synced->entity);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);

      if (g_strcmp0 (what, "deleted") == 0 || strv_has (synced->remove_events, type))
        {
          mira_synced_list_remove (list, mira_json_get_string (object, synced->id_member));
          return;
        }
      if (g_strcmp0 (what, "created") == 0 || g_strcmp0 (what, "updated") == 0 ||
          strv_has (synced->upsert_events, type))
        {
          item = mira_synced_list_upsert (list, object);
          if (item != NULL)
            item_synced (self, list, item);
          return;
        }
    }
}

static void
apply_event (MiraConnection *self,
             JsonObject     *event)
{
  const char *type = mira_json_get_string (event, "type");
  JsonNode *node;

  if (type == NULL)
    return;

  if (g_str_equal (type, "stream_scores"))
    {
      node = json_object_get_member (event, "streams");
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *streams = json_node_get_array (node);

          apply_scores (self, streams, TRUE);
          clear_source (&self->scores_source);
          self->scores_source = attach_timeout (self, SCORES_SILENCE_MS, scores_silent_cb);
          for (guint i = 0; i < json_array_get_length (streams); i++)
            {
              JsonNode *element = json_array_get_element (streams, i);
              JsonNode *best;

              if (!JSON_NODE_HOLDS_OBJECT (element))
                continue;
              best = json_object_get_member (json_node_get_object (element), "is_best");
              if (best != NULL && JSON_NODE_HOLDS_VALUE (best) && json_node_get_boolean (best))
                set_best (self, mira_json_get_string (json_node_get_object (element),
                                                      "client_id"));
            }
        }
      return;
    }
  if (g_str_equal (type, "audio_stream_selected"))
    {
      const char *selected = mira_json_get_string (event, "selected_client_id");

      if (selected != NULL)
        set_best (self, selected);
      return;
    }
  if (g_str_equal (type, "network_updated"))
    {
      node = json_object_get_member (event, "network");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          const char *name = mira_json_get_string (json_node_get_object (node), "name");

          mira_network_item_update (self->network, json_node_get_object (node));
          if (name != NULL)
            set_network_name (self, name);
        }
      return;
    }
  if (g_str_equal (type, "reminder_due"))
    {
      node = json_object_get_member (event, "reminder");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *reminder = json_node_get_object (node);
          const char *id = mira_json_get_string (reminder, "id");

          if (id != NULL)
            g_signal_emit (self, signals[REMINDER_DUE], 0, id,
                           mira_json_get_string (reminder, "title"),
                           mira_json_get_string (reminder, "description"));
        }
      /* The reminder's lists, if any, learn of it below */
    }

  /* The time zone here; the settings' list learns of it below */
  if (g_str_has_prefix (type, "setting_"))
    {
      node = json_object_get_member (event, "setting");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        apply_setting (self, json_node_get_object (node), g_str_equal (type, "setting_deleted"));
    }

  apply_synced_event (self, type, event);

  /* A person's last words and conversation count are the server's to
   * count: read the speaker again when they speak
   */
  if (g_str_equal (type, "interaction_created"))
    {
      node = json_object_get_member (event, "interaction");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        refresh_person (self, mira_json_get_string (json_node_get_object (node), "person_id"));
    }

  /* A connected or disconnected event is the status even if its client
   * object lags behind
   */
  if (g_str_equal (type, "client_connected") || g_str_equal (type, "client_disconnected"))
    {
      node = json_object_get_member (event, "client");
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          MiraClientItem *item =
            mira_synced_list_lookup (self->clients,
                                     mira_json_get_string (json_node_get_object (node),
                                                           "client_id"));

          if (item != NULL && g_str_equal (type, "client_connected"))
            mira_client_item_set_status (item, MIRA_CLIENT_STATUS_CONNECTED);
          else if (item != NULL)
            {
              /* Gone, its stream with it */
              mira_client_item_set_status (item, MIRA_CLIENT_STATUS_DISCONNECTED);
              mira_client_item_set_quality_score (item, -1);
            }
        }
    }
}

/* Attempts */

static void
load_free (Load *load)
{
  g_clear_pointer (&load->network, json_object_unref);
  g_clear_pointer (&load->scores, json_object_unref);
  g_clear_pointer (&load->info, json_object_unref);
  g_clear_pointer (&load->time_zone, json_object_unref);
  for (guint i = 0; i < load->n_lists; i++)
    g_clear_pointer (&load->lists[i], json_array_unref);
  g_free (load->lists);
  g_free (load->complete);
  g_free (load);
}

/* Ends the attempt under way: nothing of it reaches the models any more */
static void
teardown (MiraConnection *self)
{
  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->socket, self);
      if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_clear_object (&self->socket);
    }
  g_clear_pointer (&self->load, load_free);
  g_ptr_array_set_size (self->queued, 0);
  clear_source (&self->watchdog_source);
  clear_source (&self->scores_source);
  clear_source (&self->retry_source);
}

static gboolean
retry_cb (gpointer user_data)
{
  MiraConnection *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  begin_attempt (self);
  return G_SOURCE_REMOVE;
}

/* The attempt failed or the socket dropped: CONNECTING, and again later */
static void
fail_attempt (MiraConnection *self,
              const GError   *error)
{
  guint delay_ms;

  teardown (self);

  delay_ms = RETRY_FIRST_MS << MIN (self->failures, 10u);
  delay_ms = MIN (delay_ms, RETRY_MAX_MS);
  /* Jitter, so that many devices dropped by one restart do not return at once */
  delay_ms = (guint) (delay_ms * g_random_double_range (0.8, 1.2));
  self->failures++;

  g_debug ("%s: %s; again in %u ms", self->base_url, error->message, delay_ms);

  set_last_error (self, error);
  set_state (self, MIRA_CONNECTION_STATE_CONNECTING);
  self->retry_source = attach_timeout (self, delay_ms, retry_cb);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  MiraConnection *self = user_data;

  if (g_get_monotonic_time () - self->last_message_us > SILENCE_LIMIT_US)
    {
      g_autoptr(GError) error = g_error_new_literal (MIRA_CORE_ERROR,
                                                     MIRA_CORE_ERROR_UNREACHABLE,
                                                     _("The server stopped answering"));

      fail_attempt (self, error);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
finish_load (MiraConnection *self)
{
  Load *load = self->load;
  g_autoptr(GPtrArray) queued = NULL;
  JsonNode *node;

  self->load = NULL;

  if (load->network != NULL)
    {
      mira_network_item_update (self->network, load->network);
      set_network_name (self, mira_json_get_string (load->network, "name"));
    }
  if (load->info != NULL)
    set_server_info (self, load->info);

  /* Clients first: the other lists refer to them */
  for (guint i = 0; i < self->lists->len; i++)
    if (load->lists[i] != NULL)
      mira_synced_list_reload (g_ptr_array_index (self->lists, i), load->lists[i],
                               load->complete[i]);

  node = load->scores ? json_object_get_member (load->scores, "best_stream") : NULL;
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    set_best (self, mira_json_get_string (json_node_get_object (node), "client_id"));
  else
    set_best (self, NULL);
  node = load->scores ? json_object_get_member (load->scores, "streams") : NULL;
  apply_scores (self, node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node)
                                                                  : NULL, FALSE);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->clients)); i++)
    {
      g_autoptr(MiraClientItem) item = g_list_model_get_item (G_LIST_MODEL (self->clients), i);

      fill_client (self, item);
    }
  fill_interactions (self, NULL, NULL);
  fill_conversations (self);
  set_time_zone (self, load->time_zone ? mira_json_get_string (load->time_zone, "value") : NULL);
  load_free (load);

  /* What happened while the lists were read, in order */
  queued = g_steal_pointer (&self->queued);
  self->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (guint i = 0; i < queued->len; i++)
    apply_event (self, g_ptr_array_index (queued, i));

  self->failures = 0;
  set_last_error (self, NULL);
  self->last_message_us = g_get_monotonic_time ();
  self->watchdog_source = attach_timeout (self, WATCHDOG_S * 1000, watchdog_cb);
  set_state (self, MIRA_CONNECTION_STATE_ONLINE);
}

/* One REST read of the initial state */
typedef struct {
  MiraConnection *self;
  guint           generation;
  SoupMessage    *msg;
  int             list;   /* index in self->lists; -1 network, -2 scores, -3 info, -4 time zone */
} Read;

static void
read_free (Read *read)
{
  g_object_unref (read->self);
  g_object_unref (read->msg);
  g_free (read);
}

static void
read_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Read *read = user_data;
  MiraConnection *self = read->self;
  g_autoptr(GError) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport);

  if (read->generation != self->generation)
    goto out;

  object = answer_object (read->msg, body, transport, &error);
  if (object == NULL)
    {
      fail_attempt (self, error);
      goto out;
    }

  if (read->list == -1)
    self->load->network = g_steal_pointer (&object);
  else if (read->list == -2)
    self->load->scores = g_steal_pointer (&object);
  else if (read->list == -3)
    self->load->info = g_steal_pointer (&object);
  else if (read->list == -4)
    self->load->time_zone = g_steal_pointer (&object);
  else
    {
      JsonNode *items = json_object_get_member (object, "items");

      if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
        {
          error = g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                                       _("The server’s answer could not be read"));
          fail_attempt (self, error);
          goto out;
        }
      self->load->lists[read->list] = json_array_ref (json_node_get_array (items));
      self->load->complete[read->list] =
        mira_json_get_double (object, "total", 0) <=
        json_array_get_length (json_node_get_array (items));
    }

  if (--self->load->pending == 0)
    finish_load (self);

out:
  read_free (read);
}

static void
start_read (MiraConnection *self,
            const char     *path,
            int             list)
{
  g_autofree char *escaped = g_uri_escape_string (self->network_id, NULL, FALSE);
  g_autofree char *full = list == -1 ? g_strconcat ("networks/", escaped, NULL)
                                     : g_strconcat (escaped, "/", path, NULL);
  Read *read = g_new0 (Read, 1);

  read->self = g_object_ref (self);
  read->generation = self->generation;
  read->list = list;
  read->msg = api_message_new (SOUP_METHOD_GET, self->base_url, full, self->token);
  self->load->pending++;
  soup_session_send_and_read_async (self->rest, read->msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, read_ready, read);
}

static void
socket_message_cb (SoupWebsocketConnection *socket,
                   int                      type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  MiraConnection *self = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *event;
  const char *event_type;

  self->last_message_us = g_get_monotonic_time ();

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, g_bytes_get_data (message, NULL),
                                   g_bytes_get_size (message), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_debug ("ignoring an event that is not a JSON object");
      return;
    }
  event = json_node_get_object (root);
  event_type = mira_json_get_string (event, "type");
  if (event_type == NULL || g_str_equal (event_type, "ping") ||
      g_str_equal (event_type, "pong"))
    return;

  if (self->load != NULL)
    g_ptr_array_add (self->queued, json_object_ref (event));
  else
    apply_event (self, event);
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  MiraConnection *self = user_data;
  g_autoptr(GError) error = NULL;
  const char *reason = soup_websocket_connection_get_close_data (socket);
  gushort code = soup_websocket_connection_get_close_code (socket);

  /* The event socket refuses a token after the upgrade: 1008 with the
   * API's error code as the reason
   */
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION && reason != NULL &&
      g_str_has_suffix (reason, "_NOT_FOUND"))
    error = g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_NOT_FOUND,
                                 _("There is no such network on this server"));
  else if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION && reason != NULL &&
           (strstr (reason, "TOKEN") != NULL || strstr (reason, "UNAUTHORIZED") != NULL ||
            strstr (reason, "FORBIDDEN") != NULL))
    error = g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED,
                                 _("The server refused the token: it is wrong or was revoked"));
  else if (reason != NULL && reason[0] != '\0')
    error = g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNREACHABLE,
                         _("The connection to the server was closed: %s"), reason);
  else
    error = g_error_new_literal (MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNREACHABLE,
                                 _("The connection to the server was lost"));
  fail_attempt (self, error);
}

typedef struct {
  MiraConnection *self;
  guint           generation;
  SoupMessage    *msg;
} Connect;

static void
socket_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connect *connect = user_data;
  MiraConnection *self = connect->self;
  g_autoptr(GError) transport = NULL;
  g_autoptr(SoupWebsocketConnection) socket = NULL;

  socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &transport);

  if (connect->generation == self->generation)
    {
      if (socket == NULL)
        {
          g_autoptr(GError) error = core_error_new (connect->msg, NULL, transport);

          fail_attempt (self, error);
        }
      else
        {
          self->socket = g_steal_pointer (&socket);
          soup_websocket_connection_set_max_incoming_payload_size (self->socket, MAX_EVENT_SIZE);
          soup_websocket_connection_set_keepalive_interval (self->socket, 15);
          g_signal_connect (self->socket, "message", G_CALLBACK (socket_message_cb), self);
          g_signal_connect (self->socket, "closed", G_CALLBACK (socket_closed_cb), self);

          /* The socket is open before the lists are read, so that nothing
           * happens unseen between the two.
           */
          self->load = g_new0 (Load, 1);
          self->load->n_lists = self->lists->len;
          self->load->lists = g_new0 (JsonArray *, self->lists->len);
          self->load->complete = g_new0 (gboolean, self->lists->len);
          start_read (self, NULL, -1);
          start_read (self, "streams/scores", -2);
          start_read (self, "service/info", -3);
          start_read (self, "settings/timezone", -4);
          for (guint i = 0; i < self->lists->len; i++)
            {
              MiraSyncedList *list = g_ptr_array_index (self->lists, i);

              start_read (self, mira_synced_list_get_synced_type (list)->list_path, (int) i);
            }
        }
    }

  g_object_unref (connect->msg);
  g_object_unref (connect->self);
  g_free (connect);
}

static void
begin_attempt (MiraConnection *self)
{
  g_autofree char *escaped = g_uri_escape_string (self->network_id, NULL, FALSE);
  g_autofree char *path = g_strconcat (escaped, "/ws", NULL);
  g_autofree char *normalized = mira_base_url_normalize (self->base_url);
  g_autoptr(SoupMessage) msg = NULL;
  Connect *connect;

  teardown (self);

  /* An address that is no http(s) URL never works: said once, no retries */
  if (normalized == NULL ||
      (msg = api_message_new (SOUP_METHOD_GET, self->base_url, path, self->token)) == NULL)
    {
      g_autoptr(GError) error =
        g_error_new (MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                     _("“%s” is not a server address (http:// or https://)"), self->base_url);

      self->running = FALSE;
      set_last_error (self, error);
      set_state (self, MIRA_CONNECTION_STATE_OFFLINE);
      return;
    }

  self->cancellable = g_cancellable_new ();
  set_state (self, MIRA_CONNECTION_STATE_CONNECTING);

  connect = g_new0 (Connect, 1);
  connect->self = g_object_ref (self);
  connect->generation = self->generation;
  connect->msg = g_steal_pointer (&msg);
  soup_session_websocket_connect_async (self->sockets, connect->msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        socket_ready, connect);
}

/* GObject */

static void
mira_connection_dispose (GObject *object)
{
  MiraConnection *self = MIRA_CONNECTION (object);

  self->running = FALSE;
  if (self->queued != NULL)
    teardown (self);

  G_OBJECT_CLASS (mira_connection_parent_class)->dispose (object);
}

static void
mira_connection_finalize (GObject *object)
{
  MiraConnection *self = MIRA_CONNECTION (object);

  g_free (self->base_url);
  g_free (self->network_id);
  g_free (self->token);
  g_free (self->client_id);
  g_free (self->network_name);
  g_clear_object (&self->network);
  g_free (self->server_version);
  g_free (self->transcriber);
  g_free (self->best_client_id);
  g_free (self->time_zone);
  g_clear_error (&self->last_error);
  g_clear_object (&self->rest);
  g_clear_object (&self->sockets);
  g_clear_pointer (&self->queued, g_ptr_array_unref);
  g_clear_pointer (&self->lists, g_ptr_array_unref);
  g_clear_object (&self->clients);
  g_clear_object (&self->interactions);
  g_clear_object (&self->persons);
  g_clear_object (&self->settings);
  g_clear_object (&self->conversations);
  g_clear_object (&self->reminders);
  g_clear_object (&self->events);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (mira_connection_parent_class)->finalize (object);
}

static void
mira_connection_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MiraConnection *self = MIRA_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_NETWORK_ID:
      g_value_set_string (value, self->network_id);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_NETWORK_NAME:
      g_value_set_string (value, self->network_name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_boxed (value, self->last_error);
      break;
    case PROP_BEST_CLIENT_ID:
      g_value_set_string (value, self->best_client_id);
      break;
    case PROP_NETWORK:
      g_value_set_object (value, self->network);
      break;
    case PROP_SERVER_VERSION:
      g_value_set_string (value, self->server_version);
      break;
    case PROP_TRANSCRIBER:
      g_value_set_string (value, self->transcriber);
      break;
    case PROP_TIME_ZONE:
      g_value_set_string (value, self->time_zone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_connection_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MiraConnection *self = MIRA_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      self->base_url = mira_base_url_normalize (g_value_get_string (value));
      if (self->base_url == NULL)
        self->base_url = g_value_dup_string (value);
      break;
    case PROP_NETWORK_ID:
      self->network_id = g_value_dup_string (value);
      self->network = mira_network_item_new (self->network_id != NULL ? self->network_id : "");
      break;
    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;
    case PROP_CLIENT_ID:
      self->client_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_connection_class_init (MiraConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                               G_PARAM_STATIC_STRINGS;

  object_class->dispose = mira_connection_dispose;
  object_class->finalize = mira_connection_finalize;
  object_class->get_property = mira_connection_get_property;
  object_class->set_property = mira_connection_set_property;

  properties[PROP_BASE_URL] = g_param_spec_string ("base-url", NULL, NULL, NULL, construct);
  properties[PROP_NETWORK_ID] = g_param_spec_string ("network-id", NULL, NULL, NULL, construct);
  properties[PROP_TOKEN] = g_param_spec_string ("token", NULL, NULL, NULL, construct);
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", NULL, NULL, NULL, construct);
  properties[PROP_NETWORK_NAME] = g_param_spec_string ("network-name", NULL, NULL, NULL,
                                                       readable);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL,
                                              MIRA_TYPE_CONNECTION_STATE,
                                              MIRA_CONNECTION_STATE_OFFLINE, readable);
  properties[PROP_LAST_ERROR] = g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR,
                                                    readable);
  properties[PROP_BEST_CLIENT_ID] = g_param_spec_string ("best-client-id", NULL, NULL, NULL,
                                                         readable);
  properties[PROP_NETWORK] = g_param_spec_object ("network", NULL, NULL,
                                                 MIRA_TYPE_NETWORK_ITEM,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_VERSION] = g_param_spec_string ("server-version", NULL, NULL, NULL,
                                                         readable);
  properties[PROP_TRANSCRIBER] = g_param_spec_string ("transcriber", NULL, NULL, NULL,
                                                      readable);
  properties[PROP_TIME_ZONE] = g_param_spec_string ("time-zone", NULL, NULL, "UTC", readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MiraConnection::reminder-due:
   * @reminder_id: the reminder's id
   * @title: its title
   * @description: (nullable): its description
   *
   * A reminder of the network came due (the server's reminder_due event,
   * sent once to every device of the network).
   */
  signals[REMINDER_DUE] = g_signal_new ("reminder-due",
                                        G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 3,
                                        G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
mira_connection_init (MiraConnection *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->rest = rest_session_new ();
  self->sockets = soup_session_new_with_options ("user-agent",
                                                 soup_session_get_user_agent (self->rest),
                                                 NULL);
  self->queued = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  self->clients = mira_synced_list_new (&client_type);
  self->interactions = mira_synced_list_new (&interaction_type);
  self->persons = mira_synced_list_new (&person_type);
  self->settings = mira_synced_list_new (&setting_type);
  self->conversations = mira_synced_list_new (&conversation_type);
  self->reminders = mira_synced_list_new (&reminder_type);
  self->events = mira_synced_list_new (&event_type);
  self->time_zone = g_strdup ("UTC");
  /* The order the initial state is applied in: clients and persons before
   * the interactions and conversations that name them
   */
  self->lists = g_ptr_array_new ();
  g_ptr_array_add (self->lists, self->clients);
  g_ptr_array_add (self->lists, self->persons);
  g_ptr_array_add (self->lists, self->interactions);
  g_ptr_array_add (self->lists, self->settings);
  g_ptr_array_add (self->lists, self->conversations);
  g_ptr_array_add (self->lists, self->reminders);
  g_ptr_array_add (self->lists, self->events);
}

MiraConnection *
mira_connection_new (const char *base_url,
                     const char *network_id,
                     const char *token,
                     const char *client_id)
{
  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (network_id != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  return g_object_new (MIRA_TYPE_CONNECTION,
                       "base-url", base_url,
                       "network-id", network_id,
                       "token", token,
                       "client-id", client_id,
                       NULL);
}

const char *
mira_connection_get_base_url (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->base_url;
}

const char *
mira_connection_get_network_id (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->network_id;
}

const char *
mira_connection_get_token (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->token;
}

const char *
mira_connection_get_client_id (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->client_id;
}

const char *
mira_connection_get_network_name (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->network_name;
}

MiraConnectionState
mira_connection_get_state (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), MIRA_CONNECTION_STATE_OFFLINE);
  return self->state;
}

const GError *
mira_connection_get_last_error (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->last_error;
}

const char *
mira_connection_get_best_client_id (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->best_client_id;
}

void
mira_connection_start (MiraConnection *self)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->failures = 0;
  begin_attempt (self);
}

void
mira_connection_stop (MiraConnection *self)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));

  self->running = FALSE;
  teardown (self);
  set_last_error (self, NULL);
  set_state (self, MIRA_CONNECTION_STATE_OFFLINE);
}

GListModel *
mira_connection_get_clients (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->clients);
}

MiraClientItem *
mira_connection_lookup_client (MiraConnection *self,
                               const char     *client_id)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return mira_synced_list_lookup (self->clients, client_id);
}

GListModel *
mira_connection_get_interactions (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->interactions);
}

MiraNetworkItem *
mira_connection_get_network (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->network;
}

const char *
mira_connection_get_server_version (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->server_version;
}

const char *
mira_connection_get_transcriber (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->transcriber;
}

GListModel *
mira_connection_get_settings (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->settings);
}

MiraSettingItem *
mira_connection_lookup_setting (MiraConnection *self,
                                const char     *key)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return mira_synced_list_lookup (self->settings, key);
}

GListModel *
mira_connection_get_persons (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->persons);
}

GListModel *
mira_connection_get_conversations (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->conversations);
}

GListModel *
mira_connection_get_reminders (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->reminders);
}

GListModel *
mira_connection_get_events (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->events);
}

const char *
mira_connection_get_time_zone (MiraConnection *self)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  return self->time_zone;
}

void
mira_connection_fill_interaction (MiraConnection      *self,
                                  MiraInteractionItem *item)
{
  g_return_if_fail (MIRA_IS_CONNECTION (self));
  fill_interaction (self, item);
}

gpointer
mira_connection_lookup_synced (MiraConnection *self,
                               GListModel     *list,
                               const char     *id)
{
  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (MIRA_IS_SYNCED_LIST (list), NULL);
  return mira_synced_list_lookup (MIRA_SYNCED_LIST (list), id);
}

/* A person's counts, read again (see apply_event()); the answer updates
 * the item unless the connection moved on meanwhile
 */
typedef struct {
  MiraConnection *self;
  guint           generation;
} Refresh;

static void
refresh_person_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Refresh *refresh = user_data;
  MiraConnection *self = refresh->self;
  g_autoptr(JsonObject) person = mira_api_request_finish (result, NULL);

  if (person != NULL && refresh->generation == self->generation &&
      mira_synced_list_lookup (self->persons, mira_json_get_string (person, "id")) != NULL)
    {
      gpointer item = mira_synced_list_upsert (self->persons, person);

      if (item != NULL)
        item_synced (self, self->persons, item);
    }
  g_object_unref (refresh->self);
  g_free (refresh);
}

static void
refresh_person (MiraConnection *self,
                const char     *person_id)
{
  g_autofree char *network = NULL;
  g_autofree char *person = NULL;
  g_autofree char *path = NULL;
  Refresh *refresh;

  if (person_id == NULL || mira_synced_list_lookup (self->persons, person_id) == NULL)
    return;
  network = g_uri_escape_string (self->network_id, NULL, FALSE);
  person = g_uri_escape_string (person_id, NULL, FALSE);
  path = g_strconcat (network, "/persons/", person, NULL);
  refresh = g_new0 (Refresh, 1);
  refresh->self = g_object_ref (self);
  refresh->generation = self->generation;
  mira_api_request_async (self->base_url, SOUP_METHOD_GET, path, self->token, NULL,
                          self->cancellable, refresh_person_ready, refresh);
}

char *
mira_connection_dup_audio_url (MiraConnection *self,
                               const char     *codec)
{
  g_autofree char *network_id = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *codec_escaped = NULL;
  const char *scheme;
  const char *rest;

  g_return_val_if_fail (MIRA_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (codec != NULL, NULL);

  if (self->client_id == NULL)
    return NULL;

  /* http → ws, https → wss; the rest of the base URL stays */
  if (g_str_has_prefix (self->base_url, "https://"))
    {
      scheme = "wss";
      rest = self->base_url + strlen ("https");
    }
  else if (g_str_has_prefix (self->base_url, "http://"))
    {
      scheme = "ws";
      rest = self->base_url + strlen ("http");
    }
  else
    return NULL;

  network_id = g_uri_escape_string (self->network_id, NULL, FALSE);
  client_id = g_uri_escape_string (self->client_id, NULL, FALSE);
  token = g_uri_escape_string (self->token, NULL, FALSE);
  codec_escaped = g_uri_escape_string (codec, NULL, FALSE);
  return g_strdup_printf ("%s%s/api/v1/%s/streams/%s/ws?codec=%s&token=%s",
                          scheme, rest,
                          network_id, client_id, codec_escaped, token);
}

/* Checking and registering, before there is a connection */

static void
invalid_url (GTask      *task,
             const char *base_url)
{
  g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                           _("“%s” is not a server address (http:// or https://)"), base_url);
}

static void
check_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) network = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport);
  if (g_error_matches (transport, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&transport));
      return;
    }
  network = answer_object (msg, body, transport, &error);
  if (network == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_strdup (mira_json_get_string (network, "name")), g_free);
}

void
mira_connection_check_async (const char          *base_url,
                             const char          *network_id,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *base = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  SoupMessage *msg;

  g_return_if_fail (base_url != NULL);
  g_return_if_fail (network_id != NULL);
  g_return_if_fail (token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_connection_check_async);

  base = mira_base_url_normalize (base_url);
  if (base == NULL)
    {
      invalid_url (task, base_url);
      return;
    }
  escaped = g_uri_escape_string (network_id, NULL, FALSE);
  path = g_strconcat ("networks/", escaped, NULL);
  msg = api_message_new (SOUP_METHOD_GET, base, path, token);
  g_task_set_task_data (task, msg, g_object_unref);

  /* The task keeps the session alive while the request runs */
  session = rest_session_new ();
  g_object_set_data_full (G_OBJECT (msg), "mira-session", g_object_ref (session),
                          g_object_unref);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    check_ready, g_steal_pointer (&task));
}

gboolean
mira_connection_check_finish (GAsyncResult  *result,
                              char         **network_name,
                              GError       **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mira_connection_check_async,
                        FALSE);

  name = g_task_propagate_pointer (G_TASK (result), error);
  if (name == NULL && g_task_had_error (G_TASK (result)))
    return FALSE;
  if (network_name != NULL)
    *network_name = g_steal_pointer (&name);
  return TRUE;
}

static void
register_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) client = NULL;
  const char *session_token;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport);
  if (g_error_matches (transport, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&transport));
      return;
    }
  client = answer_object (msg, body, transport, &error);
  if (client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  session_token = mira_json_get_string (client, "session_token");
  if (session_token == NULL)
    {
      g_task_return_new_error (task, MIRA_CORE_ERROR, MIRA_CORE_ERROR_SERVER,
                               _("The server’s answer could not be read"));
      return;
    }
  g_task_return_pointer (task, g_strdup (session_token), g_free);
}

void
mira_connection_register_async (const char          *base_url,
                                const char          *network_id,
                                const char          *network_token,
                                const char          *client_id,
                                const char          *device_type,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *base = NULL;
  g_autofree char *network_escaped = NULL;
  g_autofree char *client_escaped = NULL;
  g_autofree char *path = NULL;
  char *json;
  SoupMessage *msg;

  g_return_if_fail (base_url != NULL);
  g_return_if_fail (network_id != NULL);
  g_return_if_fail (network_token != NULL);
  g_return_if_fail (client_id != NULL);
  g_return_if_fail (device_type != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_connection_register_async);

  base = mira_base_url_normalize (base_url);
  if (base == NULL)
    {
      invalid_url (task, base_url);
      return;
    }

  /* The name people see for this computer: its host name */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_type");
  json_builder_add_string_value (builder, device_type);
  json_builder_set_member_name (builder, "device_info");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, g_get_host_name ());
  json_builder_set_member_name (builder, "app");
  json_builder_add_string_value (builder, "mira-dashboard " PACKAGE_VERSION);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  bytes = g_bytes_new_take (json, strlen (json));

  network_escaped = g_uri_escape_string (network_id, NULL, FALSE);
  client_escaped = g_uri_escape_string (client_id, NULL, FALSE);
  path = g_strconcat (network_escaped, "/service/client/register/", client_escaped, NULL);
  msg = api_message_new (SOUP_METHOD_POST, base, path, network_token);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_task_set_task_data (task, msg, g_object_unref);

  session = rest_session_new ();
  g_object_set_data_full (G_OBJECT (msg), "mira-session", g_object_ref (session),
                          g_object_unref);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    register_ready, g_steal_pointer (&task));
}

char *
mira_connection_register_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mira_connection_register_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Any request of the API, for the context's set-up steps */

static void
request_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  JsonObject *object;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &transport);
  if (g_error_matches (transport, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&transport));
      return;
    }
  object = answer_object (msg, body, transport, &error);
  if (object == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
mira_api_request_async (const char          *base_url,
                        const char          *method,
                        const char          *path,
                        const char          *token,
                        JsonObject          *body,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *base = NULL;
  SoupMessage *msg;

  g_return_if_fail (base_url != NULL);
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_api_request_async);

  base = mira_base_url_normalize (base_url);
  if (base == NULL)
    {
      invalid_url (task, base_url);
      return;
    }
  msg = api_message_new (method, base, path, token);
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      char *json = json_to_string (node, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new_take (json, strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  g_task_set_task_data (task, msg, g_object_unref);

  session = rest_session_new ();
  g_object_set_data_full (G_OBJECT (msg), "mira-session", g_object_ref (session),
                          g_object_unref);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    request_ready, g_steal_pointer (&task));
}

JsonObject *
mira_api_request_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mira_api_request_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Join links */

char *
mira_join_link_build (const char *base_url,
                      const char *network_id,
                      const char *network_token)
{
  g_autofree char *base = NULL;
  g_autofree char *net = NULL;
  g_autofree char *token = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (network_id != NULL, NULL);
  g_return_val_if_fail (network_token != NULL, NULL);

  base = mira_base_url_normalize (base_url);
  if (base == NULL)
    return NULL;
  net = g_uri_escape_string (network_id, NULL, FALSE);
  token = g_uri_escape_string (network_token, NULL, FALSE);
  return g_strconcat (base, "/join#net=", net, "&token=", token, NULL);
}

gboolean
mira_join_link_parse (const char  *link,
                      char       **base_url,
                      char       **network_id,
                      char       **network_token,
                      GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *base = NULL;
  const char *scheme;
  const char *path;
  const char *net;
  const char *token;

  g_return_val_if_fail (link != NULL, FALSE);

  /* Pasted text often carries spaces or a line break */
  text = g_strstrip (g_strdup (link));
  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED_FRAGMENT, NULL);
  if (uri == NULL)
    goto invalid;

  scheme = g_uri_get_scheme (uri);
  path = g_uri_get_path (uri);
  if ((g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      g_uri_get_fragment (uri) == NULL || g_uri_get_userinfo (uri) != NULL ||
      !(g_str_equal (path, "/join") || g_str_has_suffix (path, "/join")))
    goto invalid;

  params = g_uri_parse_params (g_uri_get_fragment (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    goto invalid;
  net = g_hash_table_lookup (params, "net");
  token = g_hash_table_lookup (params, "token");
  if (net == NULL || token == NULL || net[0] == '\0' || token[0] == '\0' ||
      !g_str_has_prefix (net, "net_"))
    {
      /* The address of a join link, cut short when it was copied */
      g_set_error_literal (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                           _("The link lacks its network or its token: copy the whole link, "
                             "which ends in #net=…&token=…"));
      return FALSE;
    }

  /* The server's base URL is the link without /join and what follows */
  prefix = g_strndup (path, strlen (path) - strlen ("/join"));
  base = g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), prefix, NULL, NULL);

  if (base_url != NULL)
    *base_url = g_steal_pointer (&base);
  if (network_id != NULL)
    *network_id = g_strdup (net);
  if (network_token != NULL)
    *network_token = g_strdup (token);
  return TRUE;

invalid:
  g_set_error_literal (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_INVALID_LINK,
                       _("A join link looks like https://server:port/join#net=…&token=…"));
  return FALSE;
}
