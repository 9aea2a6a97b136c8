/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "mira-api.h"
#include "mira-audio-hub.h"
#include "mira-audio-sockets.h"
#include "mira-event-socket.h"
#include "mira-grants.h"
#include "mira-listener.h"
#include "mira-llm-jobs.h"
#include "mira-reminder-clock.h"
#include "mira-server.h"

G_BEGIN_DECLS

/* What MiraServer's files share: mira-server.c (its lifecycle: the parts
 * it is made of, listening, the sweeps, shutdown), mira-server-http.c (a
 * request: its path and query checked, its route, its call on a store
 * worker, its answer) and mira-server-sockets.c (the WebSocket upgrades,
 * the audio sockets taken over, and how both kinds of socket are
 * authenticated). Nothing outside them includes this.
 */

struct _MiraServer
{
  GObject        parent_instance;

  SoupServer    *soup;
  MiraListener  *listener;
  GTlsCertificate *tls_certificate;
  MiraStore     *store;
  MiraEventBus  *bus;
  MiraApiConfig  config;
  GMainContext  *context;
  char          *url;
  guint          port;
  guint          in_flight;
  MiraEventSockets *events;   /* the event sockets */
  MiraAudioSockets *audio;
  MiraAudioHub  *hub;
  MiraGrants    *grants;       /* what let each socket in, checked again */
  GHashTable    *touched;      /* networks that spoke here: their conversations close at shutdown */
  guint          sweep_source;
  gboolean       sweeping;     /* a conversations sweep is under way */
  guint          subscription; /* the server's own look at every event */
  MiraReminderClock *reminders;
  MiraLlmJobs   *llm_jobs;     /* NULL without a language model */
};

/* mira-server.c */

/* A call's events go on the bus; the sockets its write revoked close now. */
void                mira_server_publish_events              (MiraServer          *self,
                                                             MiraApiCall         *call);

/* mira-server-http.c */

/* The Authorization header's bearer token, else the query's "token" */
const char         *mira_server_http_bearer_token           (SoupServerMessage   *msg,
                                                             GHashTable          *query);
/* The route of @msg's method and path, its arguments appended to @args
 * (may be NULL); @bad_path: the path is not clean UTF-8; @method_mismatch:
 * the path is a route's, the method is not.
 */
const MiraApiRoute *mira_server_http_route_for              (SoupServerMessage   *msg,
                                                             GPtrArray           *args,
                                                             char              ***segments_out,
                                                             gboolean            *bad_path,
                                                             gboolean            *method_mismatch);
/* The listener's bound on @msg's body, @user_data the server */
gsize               mira_server_http_message_body_limit     (SoupServerMessage   *msg,
                                                             gpointer             user_data);
/* libsoup's early handler and handler, @user_data the server */
void                mira_server_http_early_handler          (SoupServer          *server,
                                                             SoupServerMessage   *msg,
                                                             const char          *path,
                                                             GHashTable          *query,
                                                             gpointer             user_data);
void                mira_server_http_handle_request         (SoupServer          *server,
                                                             SoupServerMessage   *msg,
                                                             const char          *path,
                                                             GHashTable          *unused_query,
                                                             gpointer             user_data);

/* mira-server-sockets.c */

/* Answers an audio socket's handshake (@route's, with its @args, taken),
 * and hands the connection to the audio threads once the 101 is out.
 */
void                mira_server_sockets_upgrade_audio       (MiraServer          *self,
                                                             SoupServerMessage   *msg,
                                                             const MiraApiRoute  *route,
                                                             GPtrArray           *args);
/* libsoup's WebSocket handler (event sockets), @user_data the server */
void                mira_server_sockets_on_websocket        (SoupServer          *server,
                                                             SoupServerMessage   *msg,
                                                             const char          *path,
                                                             SoupWebsocketConnection *conn,
                                                             gpointer             user_data);
/* The event sockets' and audio sockets' authentication (MiraEventAuthFunc,
 * MiraAudioAuthFunc), @user_data the server
 */
void                mira_server_sockets_authenticate_events (gpointer             user_data,
                                                             const char          *network_id,
                                                             const char          *token,
                                                             MiraEventAuthDone    done,
                                                             gpointer             done_data);
void                mira_server_sockets_authenticate_audio  (gpointer             user_data,
                                                             MiraAudioSocketKind  kind,
                                                             const char          *network_id,
                                                             const char          *client_id,
                                                             const char          *token,
                                                             MiraAudioAuthDone    done,
                                                             gpointer             done_data);

G_END_DECLS
