/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-server.h"
#include "mira-transcriber.h"

G_BEGIN_DECLS

/* A real MiraStore and MiraServer on a thread of their own, listening on
 * 127.0.0.1 on a free port, and a synchronous HTTP client for the test
 * thread. Failing to start is fatal: tests are never skipped.
 */

#define MIRA_TEST_ADMIN_TOKEN "mira-test-admin-token-0123456789"

typedef struct _MiraTestServer MiraTestServer;

typedef struct {
  guint       status;
  char       *content_type;
  char       *body;          /* the body as text, never NULL */
  gsize       body_len;
  JsonNode   *json;          /* the body parsed, or NULL when it is not JSON */
} MiraTestResponse;

MiraTestServer   *mira_test_server_new        (const char        *db_uri,
                                               gboolean           open_registration);
/* With live audio transcribed by @transcriber (NULL: scored only). */
MiraTestServer   *mira_test_server_new_full   (const char        *db_uri,
                                               gboolean           open_registration,
                                               MiraTranscriber   *transcriber);
/* With the bounds on connections of @limits (headers_timeout_ms,
 * body_timeout_ms, max_connections), its audio_threads and its language
 * model (llm); the rest of it is not read.
 */
MiraTestServer   *mira_test_server_new_limited (const char             *db_uri,
                                                gboolean                open_registration,
                                                MiraTranscriber        *transcriber,
                                                const MiraServerOptions *limits);
void              mira_test_server_free       (MiraTestServer    *server);
/* Stops the server and starts it again on the same port and database;
 * its sockets and connections drop meanwhile.
 */
void              mira_test_server_restart    (MiraTestServer    *server);
/* e.g. http://127.0.0.1:40123 */
guint             mira_test_server_get_port   (MiraTestServer    *server);
const char       *mira_test_server_get_url    (MiraTestServer    *server);

/* Sends @json_body (may be NULL) as application/json with @token (may be
 * NULL) as a bearer token, and waits for the answer.
 */
MiraTestResponse *mira_test_request           (MiraTestServer    *server,
                                               const char        *method,
                                               const char        *path,
                                               const char        *token,
                                               const char        *json_body);
/* The same with any body bytes and content type (both may be NULL). */
MiraTestResponse *mira_test_request_full      (MiraTestServer    *server,
                                               const char        *method,
                                               const char        *path,
                                               const char        *token,
                                               const char        *content_type,
                                               GBytes            *body);
void              mira_test_response_free     (MiraTestResponse  *response);
/* The parsed body as an object; fails the test when it is not one. */
JsonObject       *mira_test_response_object   (MiraTestResponse  *response);

/* @member of @object (which may be NULL) when it is a string, or an
 * object; else NULL.
 */
const char       *mira_test_json_string       (JsonObject        *object,
                                               const char        *member);
JsonObject       *mira_test_json_object       (JsonObject        *object,
                                               const char        *member);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestResponse, mira_test_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestServer, mira_test_server_free)

G_END_DECLS
