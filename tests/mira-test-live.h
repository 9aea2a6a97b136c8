/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-test-scope.h"
#include "mira-test-server.h"
#include "mira-transcriber.h"

G_BEGIN_DECLS

/* What the live tests need besides mira-test-server.h (whose
 * mira_test_server_new_full() starts a server with a transcriber): a client
 * side whose HTTP requests and WebSockets all run on one GMainContext of the
 * calling thread (so sockets keep reading while a request waits), networks
 * made through it, and real speech: flite sentences mixed with seeded noise.
 * Failures are fatal, like the rest of the harness.
 */


/* The client side of one thread: its GMainContext (pushed as the thread
 * default until freed) and a SoupSession. Use it on that thread only.
 */
typedef struct _MiraTestClient MiraTestClient;

MiraTestClient   *mira_test_client_new          (const char        *base_url);
void              mira_test_client_free         (MiraTestClient    *client);
/* Sends a request and runs the context until the answer is in. */
MiraTestResponse *mira_test_client_request      (MiraTestClient    *client,
                                                 const char        *method,
                                                 const char        *path,
                                                 const char        *token,
                                                 const char        *json_body);
/* Sends a request and fails the test at @file:@line unless it answers
 * @status; the response is kept by @scope. Its body's JSON object, or NULL.
 */
JsonObject       *mira_test_client_expect       (MiraTestClient    *client,
                                                 MiraTestScope     *scope,
                                                 const char        *file,
                                                 int                line,
                                                 guint              status,
                                                 const char        *method,
                                                 const char        *path,
                                                 const char        *token,
                                                 const char        *json_body);
/* Sends a request without waiting for it; its answer must be @status. */
/* Any body: @content_type and @body as they are. */
MiraTestResponse *mira_test_client_request_full (MiraTestClient    *client,
                                                 const char        *method,
                                                 const char        *path,
                                                 const char        *token,
                                                 const char        *content_type,
                                                 GBytes            *body);
void              mira_test_client_send         (MiraTestClient    *client,
                                                 guint              status,
                                                 const char        *method,
                                                 const char        *path,
                                                 const char        *token,
                                                 const char        *json_body);
/* Requests sent and not answered yet */
guint             mira_test_client_n_pending    (MiraTestClient    *client);
/* Runs the context for @ms milliseconds. */
void              mira_test_client_run          (MiraTestClient    *client,
                                                 guint              ms);
/* Runs what is ready on the context, without waiting. */
void              mira_test_client_flush        (MiraTestClient    *client);
/* Runs the context until @done returns TRUE (checked after every
 * iteration) or @timeout_ms pass; returns the last result of @done.
 */
gboolean          mira_test_client_run_until    (MiraTestClient    *client,
                                                 guint              timeout_ms,
                                                 gboolean         (*done) (gpointer data),
                                                 gpointer           data);

/* A WebSocket client that keeps every message it receives. */
typedef struct {
  gint64      time_us;   /* g_get_monotonic_time() on arrival */
  gboolean    binary;
  char       *text;      /* text messages only */
  JsonObject *object;    /* text messages that are JSON objects */
} MiraTestMessage;

typedef struct _MiraTestSocket MiraTestSocket;

/* Connects to @path (with its query) of the client's server; fails the
 * test when the handshake fails.
 */
MiraTestSocket   *mira_test_socket_connect      (MiraTestClient    *client,
                                                 const char        *path);
void              mira_test_socket_free         (MiraTestSocket    *socket);
void              mira_test_socket_send_text    (MiraTestSocket    *socket,
                                                 const char        *text);
void              mira_test_socket_send_binary  (MiraTestSocket    *socket,
                                                 gconstpointer      data,
                                                 gsize              len);
/* A normal close (1000) from our side; does not wait. */
void              mira_test_socket_close        (MiraTestSocket    *socket);
gboolean          mira_test_socket_is_closed    (MiraTestSocket    *socket);
/* Neither side has begun to close it */
gboolean          mira_test_socket_is_open      (MiraTestSocket    *socket);
/* The peer's close code, or 0 while open or when it sent none. */
gushort           mira_test_socket_close_code   (MiraTestSocket    *socket);
guint             mira_test_socket_n_messages   (MiraTestSocket    *socket);
MiraTestMessage  *mira_test_socket_message      (MiraTestSocket    *socket,
                                                 guint              index);
/* The first JSON message of @type at index @from or later, waiting up to
 * @timeout_ms for it; NULL if none came. Its index goes to @index_out.
 */
JsonObject       *mira_test_socket_wait_for     (MiraTestSocket    *socket,
                                                 const char        *type,
                                                 guint              from,
                                                 guint              timeout_ms,
                                                 guint             *index_out);
/* How many JSON messages of @type arrived at index @from or later. */
guint             mira_test_socket_count        (MiraTestSocket    *socket,
                                                 const char        *type,
                                                 guint              from);
gboolean          mira_test_socket_wait_closed  (MiraTestSocket    *socket,
                                                 guint              timeout_ms);

/* A network made with the admin token, and its event socket on the network
 * token (NULL for a quiet one).
 */
typedef struct {
  char           *id;
  char           *token;
  MiraTestSocket *events;
} MiraTestNet;

/* Creates a network named @name whose "timezone" setting is @timezone (NULL:
 * none), kept by @scope, and connects its event socket, which has said
 * connection_established for it.
 */
MiraTestNet      *mira_test_net_new             (MiraTestClient    *client,
                                                 MiraTestScope     *scope,
                                                 const char        *name,
                                                 const char        *timezone);
/* The same without an event socket, for cases that make many */
MiraTestNet      *mira_test_net_new_quiet       (MiraTestClient    *client,
                                                 MiraTestScope     *scope,
                                                 const char        *name,
                                                 const char        *timezone);

/* Speech. Sentences are spoken by flite into a temporary directory made on
 * first use and removed at exit; each (voice, text) is synthesised once.
 * Samples are 16 kHz mono, as flite writes them.
 */
typedef struct {
  const float *samples;  /* -1..1 */
  gsize        n;
  double       active_dbfs; /* level of its speech frames */
} MiraTestSpeech;

const MiraTestSpeech *mira_test_speech_get      (const char        *voice,
                                                 const char        *text);
/* @speech at an active level of @speech_dbfs, with white noise @snr_db below
 * it (INFINITY: none) from @seed, times @gain with hard clipping, after
 * @lead_ms and followed by @tail_ms of the noise alone. g_free() it.
 */
gint16           *mira_test_speech_mix          (const MiraTestSpeech *speech,
                                                 double             speech_dbfs,
                                                 double             snr_db,
                                                 double             gain,
                                                 guint              lead_ms,
                                                 guint              tail_ms,
                                                 guint64            seed,
                                                 gsize             *n_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestClient, mira_test_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestSocket, mira_test_socket_free)

/* Fails the test at FILE:LINE of its caller with a printf-style message. */
void mira_test_fail_at (const char *file,
                        int         line,
                        const char *func,
                        const char *format,
                        ...) G_GNUC_PRINTF (4, 5) G_GNUC_NORETURN;

/* Like g_assert, with a message saying what went wrong */
#define mira_test_check(cond, ...) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      mira_test_fail_at (__FILE__, __LINE__, G_STRFUNC, __VA_ARGS__); \
  } G_STMT_END

G_END_DECLS
