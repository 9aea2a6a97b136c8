/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-connection.h"
#include "mira-test-server.h"

G_BEGIN_DECLS

/* What the tests of the app's core start from: a real server on a SQLite
 * file of its own, a network in it, the device "desk" registered there, and
 * that device's MiraConnection (not started). Everything runs on the
 * thread-default main context; failures are fatal.
 */
typedef struct {
  char           *db_uri;
  MiraTestServer *server;
  char           *network_id;
  char           *network_token;
  char           *session_token;   /* of "desk", this device */
  MiraConnection *conn;
} MiraTestConnection;

typedef gboolean (*MiraTestConnectionCondition) (MiraTestConnection *self,
                                                 gconstpointer       data);

/* The network is named @network_name; "desk" registers with
 * @register_body, a JSON object with its device_type.
 */
void     mira_test_connection_set_up      (MiraTestConnection          *self,
                                           const char                  *network_name,
                                           const char                  *register_body);
/* Stops the connection, runs what it left on the main context, and stops
 * the server.
 */
void     mira_test_connection_tear_down   (MiraTestConnection          *self);
/* Runs the main context until @condition holds; failing after 30 s (which
 * only bounds a hang: waiting is on the models' own signals), saying @what.
 * mira_test_connection_wake_regularly() lets it see that deadline.
 */
void     mira_test_connection_wait_until  (MiraTestConnection          *self,
                                           MiraTestConnectionCondition  condition,
                                           gconstpointer                data,
                                           const char                  *what);
/* Wakes the default main context every 100 ms, for as long as it runs */
void     mira_test_connection_wake_regularly (void);
/* A condition: the connection is online */
gboolean mira_test_connection_is_online   (MiraTestConnection          *self,
                                           gconstpointer                data);

G_END_DECLS
