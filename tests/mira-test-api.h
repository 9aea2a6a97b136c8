/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-test-server.h"

G_BEGIN_DECLS

/* The HTTP API as a device, a script or the dashboard sees it: what the
 * test-api-<resource> programs share. Every case runs on SQLite and on
 * PostgreSQL, against one real server per backend on its own thread, each
 * case in a network of its own (created by the fixture, with a registered
 * client). Failures are fatal, at the line of the case that made the request.
 *
 * The cases are written in a short vocabulary: REQ() for a request whose
 * status is checked (and whose error body must have API.md's error shape),
 * OBJ() for its object, Q() and P() for text kept until the case ends.
 */

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

typedef struct {
  const char *id;      /* net_… */
  const char *token;   /* the network token */
  const char *path;    /* /api/v1/net_… */
} Net;

typedef struct {
  Backend          backend;
  MiraTestServer  *server;
  Net             *net;
  const char      *client_id;
  const char      *session;    /* session token of client_id */
} Fixture;

typedef void (*TestFunc) (Fixture *f, gconstpointer data);

typedef struct {
  const char *path;    /* e.g. "networks/create": run as /api/<backend>/networks/create */
  TestFunc    func;
} ApiCase;

/* Adds @cases on both backends, runs them, and stops the servers and the
 * PostgreSQL cluster; the exit status of the program.
 */
int               api_cases_run            (int                 argc,
                                            char               *argv[],
                                            const ApiCase      *cases,
                                            guint               n_cases);

/* Text kept until the case ends. */
const char       *pool_take                (char               *text);
/* JSON written with single quotes, for legibility: Q ("{'name': '%s'}", name) */
const char       *Q                        (const char         *format,
                                            ...) G_GNUC_PRINTF (1, 2);
const char       *P                        (const char         *format,
                                            ...) G_GNUC_PRINTF (1, 2);

/* An ISO 8601 UTC time with milliseconds, as the API writes every time */
gboolean          is_timestamp             (const char         *text);
/* Fails at @file:@line unless @r has API.md's error shape */
void              check_error_shape        (const char         *file,
                                            int                 line,
                                            const char         *what,
                                            MiraTestResponse   *r);
/* Sends the request and fails at @file:@line unless it answers @expected
 * (an error in the error shape, a 204 without a body, anything else JSON
 * but /metrics).
 */
MiraTestResponse *request_check            (MiraTestServer     *server,
                                            const char         *file,
                                            int                 line,
                                            guint               expected,
                                            const char         *method,
                                            const char         *token,
                                            const char         *body,
                                            const char         *path);

/* REQ (server, 200, "GET", token, body or NULL, "/api/v1/%s/persons", id) */
#define REQ(server, status, method, token, body, ...) \
  request_check ((server), __FILE__, __LINE__, (status), (method), (token), (body), P (__VA_ARGS__))

#define OBJ(r) mira_test_response_object (r)

/* Members, failing the test when they are not of the type */
const char       *jstr                     (JsonObject         *o,
                                            const char         *name);
gint64            jint                     (JsonObject         *o,
                                            const char         *name);
/* Whether the member (which must be there) is null */
gboolean          jnull                    (JsonObject         *o,
                                            const char         *name);

void              assert_code              (MiraTestResponse   *r,
                                            const char         *code);
/* 422 and the like must say which field is wrong */
void              assert_detail_names      (MiraTestResponse   *r,
                                            const char         *field);

/* A list answer: its items, their number, its total */
JsonArray        *items_of                 (MiraTestResponse   *r);
guint             n_items                  (MiraTestResponse   *r);
gint64            total_of                 (MiraTestResponse   *r);
/* Whether an item's string @member is @value */
gboolean          items_have               (MiraTestResponse   *r,
                                            const char         *member,
                                            const char         *value);
/* The @member of each item of a list answer, in order, joined by spaces */
const char       *item_ids                 (MiraTestResponse   *r,
                                            const char         *member);

/* None of @secrets appears in the body, but those the caller gave in @path */
void              assert_body_lacks_beyond (MiraTestResponse   *r,
                                            const char * const *secrets,
                                            const char         *path);
void              assert_body_lacks        (MiraTestResponse   *r,
                                            const char * const *secrets);
gboolean          responses_equal          (MiraTestResponse   *a,
                                            MiraTestResponse   *b);
/* The members of a network answer, and none of its secrets */
void              assert_network_shape     (JsonObject         *o);

/* The server of @backend that the cases share */
MiraTestServer   *shared_server            (Backend             backend);
/* A server on a database of its own, for cases that count networks */
MiraTestServer   *private_server           (Backend             backend,
                                            gboolean            open_registration);

/* A new network named @name, made with the admin token */
Net              *net_new                  (MiraTestServer     *server,
                                            const char         *name);
/* Registers @client_id in @net; returns its session token */
const char       *register_client          (MiraTestServer     *server,
                                            Net                *net,
                                            const char         *client_id);
/* POSTs @body to @net's @collection; returns the new id */
const char       *create                   (MiraTestServer     *server,
                                            Net                *net,
                                            const char         *token,
                                            const char         *collection,
                                            const char         *body);
/* The total of @net's @collection */
gint64            count                    (MiraTestServer     *server,
                                            Net                *net,
                                            const char         *collection);

G_END_DECLS
