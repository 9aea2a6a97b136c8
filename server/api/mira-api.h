/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-token-cache.h"
#include "mira-types.h"

G_BEGIN_DECLS

/* The REST API runs as calls: the server copies what it needs out of a
 * request into a MiraApiCall on its own thread, a store worker resolves the
 * token and runs the route's handler with its database connection, and the
 * server thread turns the call's status and JSON into the response and
 * publishes the call's events. Handlers never see libsoup.
 */

typedef struct {
  gboolean  open_registration;
  char     *admin_token_hash;    /* SHA-256 hex of the admin token */
  gsize     max_body;            /* bytes, JSON bodies */
  gsize     max_audio_body;      /* bytes, audio uploads */
  struct _MiraAudioHub     *hub;   /* for the stream endpoints */
  struct _MiraAudioSockets *audio; /* for /metrics */
  struct _MiraTokenCache *tokens; /* who a token is, for a few seconds */
  char     *transcriber;         /* name shown in service info */
  gboolean  llm;                 /* a language model finds actions, after the fact */
  /* The server's chain of transcribers, for their states and the networks'
   * "transcriber" setting; NULL when it has none or a single backend */
  struct _MiraTranscriberChain *transcribers;
  gint64    started_at;          /* monotonic µs */
} MiraApiConfig;

typedef enum {
  MIRA_ACCESS_PUBLIC,          /* no token */
  MIRA_ACCESS_ADMIN,           /* the admin token */
  MIRA_ACCESS_CREATE_NETWORK,  /* admin, or anyone with open registration */
  MIRA_ACCESS_NETWORK,         /* any token of the network in the path, or admin */
  MIRA_ACCESS_NETWORK_OWNER,   /* the network token of that network, or admin */
  MIRA_ACCESS_TOKEN_NETWORK,   /* a network or session token: the network is the token's */
} MiraApiAccess;

typedef gboolean (*MiraApiHandler) (MiraApiCall  *call,
                                    MiraDb       *db,
                                    GError      **error);

typedef struct {
  const char      *method;
  const char      *pattern;    /* "{network_id}/persons/{}": {network_id} and {} are arguments */
  MiraApiAccess    access;
  MiraApiHandler   handler;
  gconstpointer    data;       /* e.g. the MiraEntity of a generic handler */
  gboolean         audio;      /* takes an audio upload: the larger body limit */
  gboolean         read_only;  /* runs outside a transaction */
} MiraApiRoute;

struct _MiraApiCall
{
  /* request */
  const MiraApiRoute  *route;
  const MiraApiConfig *config;
  char                *method;
  GPtrArray           *args;            /* path arguments, network id first when present */
  GHashTable          *query;           /* decoded query parameters */
  GBytes              *body;
  char                *content_type;
  char                *token;
  char                *base_url;        /* scheme://host:port the request came to */
  gboolean             keep_response;   /* the caller reads @response as it is: no text */

  /* who is calling, filled in before the handler runs */
  MiraAuthKind         auth;
  char                *net_uuid;        /* networks.id */
  char                *network_id;      /* public net_… id */
  char                *network_status;
  char                *session_client;  /* client id of a session token */

  /* response */
  guint                status;
  JsonNode            *response;        /* NULL for no content */
  char                *response_text;   /* a non-JSON body */
  char                *response_type;
  /* Failed: what the client is told, the error's domain and code with the
   * detail as its message, and the API's error_code for it
   */
  GError              *error;
  const char          *error_code;
  GPtrArray           *events;          /* JsonObject: published after success */
};

/* The route table and matching */
/* Every route the server answers, in the order they are matched:
 * @n_routes of them.
 */
const MiraApiRoute *mira_api_routes         (guint              *n_routes);
const MiraApiRoute *mira_api_match          (const char         *method,
                                             const char * const *segments,
                                             GPtrArray          *args,
                                             gboolean           *method_mismatch);

/* Who @token is, on a store worker: MIRA_AUTH_ADMIN for @config's admin
 * token; else the network or the session that holds it, from @config's
 * token cache or the database; MIRA_AUTH_NONE for a token nobody holds.
 * FALSE with a MIRA_DB_ERROR when the database fails. The REST calls and
 * the sockets' authentication (MiraServer) ask it.
 */
gboolean      mira_api_token_resolve        (const MiraApiConfig *config,
                                             MiraDb             *db,
                                             const char         *token,
                                             MiraTokenEntry     *entry,
                                             GError            **error);

/* Whether a successful call of @route may revoke a token or a socket's
 * right to stay open: rotation, suspension, deletion, (de)registration.
 */
gboolean      mira_api_route_revokes_tokens (const MiraApiRoute *route);

MiraApiCall  *mira_api_call_new             (void);
void          mira_api_call_free            (MiraApiCall        *call);
/* Runs on a store worker: auth, then the handler, in a transaction for writes. */
gpointer      mira_api_call_run             (MiraDb             *db,
                                             gpointer            call,
                                             GError            **error);
/* Fills the response with the error shape for @error, and the call's
 * error and error_code: its status and `error_code` as
 * mira_api_error_answer() gives them; the detail is its message, or
 * "Internal server error" for a 500 (logged, as it may quote SQL).
 */
void          mira_api_call_set_error       (MiraApiCall        *call,
                                             const GError       *error);

/* Helpers for handlers */
const char   *mira_api_call_arg             (MiraApiCall        *call,
                                             guint               index);
JsonObject   *mira_api_call_parse_object    (MiraApiCall        *call,
                                             gboolean            allow_empty,
                                             GError            **error);
gboolean      mira_api_call_parse_paging    (MiraApiCall        *call,
                                             guint              *limit,
                                             guint              *offset,
                                             GError            **error);
void          mira_api_call_respond_object  (MiraApiCall        *call,
                                             guint               status,
                                             JsonObject         *object);
void          mira_api_call_emit            (MiraApiCall        *call,
                                             const char         *type,
                                             const char         *member,
                                             JsonObject         *payload);

/* Handlers, by resource */
/* Marks the WebSocket endpoints in the route table; answers a plain GET. */
gboolean mira_api_websocket                 (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_health                    (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_metrics                   (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_openapi                   (MiraApiCall *call, MiraDb *db, GError **error);

gboolean mira_api_network_create            (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_network_get               (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_network_patch             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_network_delete            (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_network_list              (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_network_rotate_token      (MiraApiCall *call, MiraDb *db, GError **error);

gboolean mira_api_client_register           (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_client_deregister         (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_stream_best               (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_stream_scores             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_stream_get                (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_stream_upload             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_service_info              (MiraApiCall *call, MiraDb *db, GError **error);

gboolean mira_api_entity_list               (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_entity_get                (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_entity_create             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_entity_update             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_entity_delete             (MiraApiCall *call, MiraDb *db, GError **error);

gboolean mira_api_person_create             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_person_merge              (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_person_voice              (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_conversation_create       (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_conversation_close        (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_interaction_create        (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_reminder_complete         (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_reminder_settle           (MiraApiCall *call, MiraDb *db, const char *id,
                                             gboolean *settled, GError **error);
gboolean mira_api_action_update             (MiraApiCall *call, MiraDb *db, GError **error);

gboolean mira_api_settings_list             (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_setting_get               (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_setting_put               (MiraApiCall *call, MiraDb *db, GError **error);
gboolean mira_api_setting_delete            (MiraApiCall *call, MiraDb *db, GError **error);

G_END_DECLS
