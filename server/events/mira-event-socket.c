/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-event-socket"

/* /api/v1/{network_id}/ws: every event of one network, as JSON text
 * messages. A subscriber that cannot keep up never slows the others: its
 * socket is watched, and one that stays full is closed with a reason.
 */

#include "mira-event-socket.h"

#include <json-glib/json-glib.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "mira-event-bus.h"
#include "mira-grants.h"
#include "mira-json.h"
#include "mira-util.h"

#define PING_INTERVAL_S 30
/* A subscriber whose socket buffer stays full this long is closed. */
#define STALL_LIMIT_MS 5000
/* What a subscriber may send: pings, small and not too often. Beyond the
 * rate the socket is closed (1008): libsoup reads a fast peer in one loop,
 * and every answer queues, so a flood would starve the server's thread and
 * grow its memory.
 */
#define MAX_MESSAGE_SIZE   4096
#define MESSAGE_RATE       20      /* per second, sustained */
#define MESSAGE_BURST      40
/* Messages sent before authentication ends are dropped unread; a peer that
 * sends more than this many has not waited for connection_established.
 */
#define MAX_EARLY_MESSAGES 8

struct _MiraEventSockets
{
  MiraEventBus      *bus;
  MiraGrants        *grants;
  MiraEventAuthFunc  authenticate;
  gpointer           auth_data;
  GHashTable        *open;        /* SoupWebsocketConnection*, until closed */
};

typedef struct
{
  gint                     ref_count;
  MiraEventSockets        *owner;
  SoupWebsocketConnection *conn;
  GSocket                 *socket;
  char                    *network_id;
  char                    *client_id;
  guint                    subscription;
  guint                    grant;
  guint                    ping_source;
  int                      sndbuf;
  gint64                   stalled_since;
  gboolean                 closed;
  gboolean                 authenticated;
  double                   allowance;     /* messages it may still send now */
  gint64                   allowance_at;
  guint                    early_messages;
} Subscriber;

static Subscriber *
subscriber_ref (Subscriber *sub)
{
  g_atomic_int_inc (&sub->ref_count);
  return sub;
}

static void
subscriber_unref (Subscriber *sub)
{
  if (!g_atomic_int_dec_and_test (&sub->ref_count))
    return;
  g_clear_object (&sub->conn);
  g_clear_object (&sub->socket);
  g_free (sub->network_id);
  g_free (sub->client_id);
  g_free (sub);
}

static void
subscriber_stop (Subscriber *sub)
{
  if (sub->subscription != 0)
    {
      mira_event_bus_unsubscribe (sub->owner->bus, sub->subscription);
      sub->subscription = 0;
    }
  if (sub->grant != 0)
    {
      mira_grants_remove (sub->owner->grants, sub->grant);
      sub->grant = 0;
    }
  g_clear_handle_id (&sub->ping_source, mira_source_remove);
}

static void
subscriber_close (Subscriber *sub,
                  gushort     code,
                  const char *reason)
{
  subscriber_stop (sub);
  if (soup_websocket_connection_get_state (sub->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (sub->conn, code, reason);
}

static void
send_json (Subscriber *sub,
           JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = mira_json_to_string (node, FALSE);

  if (soup_websocket_connection_get_state (sub->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (sub->conn, text);
}

static JsonObject *
new_message (Subscriber *sub,
             const char *type)
{
  JsonObject *object = json_object_new ();
  g_autofree char *now = mira_timestamp_now ();

  json_object_set_string_member (object, "type", type);
  json_object_set_string_member (object, "network_id", sub->network_id);
  json_object_set_string_member (object, "timestamp", now);
  return object;
}

/* Bytes the kernel still holds for this socket; when the buffer stays full,
 * libsoup's own queue is growing behind it.
 */
static gboolean
is_stalled (Subscriber *sub)
{
  int queued = 0;

  if (sub->socket == NULL || sub->sndbuf <= 0)
    return FALSE;
  if (ioctl (g_socket_get_fd (sub->socket), SIOCOUTQ, &queued) != 0)
    return FALSE;
  return queued >= sub->sndbuf / 2;
}

static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  Subscriber *sub = user_data;
  gint64 now;

  if (soup_websocket_connection_get_state (sub->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  now = g_get_monotonic_time ();
  if (is_stalled (sub))
    {
      if (sub->stalled_since == 0)
        sub->stalled_since = now;
      else if (now - sub->stalled_since > STALL_LIMIT_MS * 1000)
        {
          g_message ("closing a subscriber of %s that fell behind", sub->network_id);
          subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                            "subscriber too slow: events were not read in time");
          return;
        }
    }
  else
    sub->stalled_since = 0;

  soup_websocket_connection_send_text (sub->conn, text);
}

/* Its token or network was revoked since it opened. */
static void
on_revoked (gpointer      user_data,
            const GError *error)
{
  Subscriber *sub = user_data;
  g_autoptr(JsonObject) message = new_message (sub, "error");
  const char *error_code;
  gushort code = mira_grants_error_close (error, &error_code);

  json_object_set_string_member (message, "error", error_code);
  json_object_set_string_member (message, "message", error->message);
  send_json (sub, message);
  subscriber_close (sub, code, error->message);
}

static gboolean
send_ping (gpointer user_data)
{
  Subscriber *sub = user_data;
  g_autoptr(JsonObject) ping = new_message (sub, "ping");

  send_json (sub, ping);
  return G_SOURCE_CONTINUE;
}

/* Token bucket: whether one more message is within the rate. */
static gboolean
take_allowance (Subscriber *sub)
{
  gint64 now = g_get_monotonic_time ();

  sub->allowance = MIN ((double) MESSAGE_BURST,
                        sub->allowance + (double) (now - sub->allowance_at) * MESSAGE_RATE /
                                           G_USEC_PER_SEC);
  sub->allowance_at = now;
  if (sub->allowance < 1.0)
    return FALSE;
  sub->allowance -= 1.0;
  return TRUE;
}

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Subscriber *sub = user_data;
  g_autoptr(JsonNode) node = NULL;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  if (sub->closed || soup_websocket_connection_get_state (conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  /* Nothing is read for a peer not yet authenticated. */
  if (!sub->authenticated)
    {
      if (++sub->early_messages > MAX_EARLY_MESSAGES)
        subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                          "messages sent before connection_established");
      return;
    }
  if (!take_allowance (sub))
    {
      g_message ("closing a subscriber of %s that sent more than %d messages a second",
                 sub->network_id, MESSAGE_RATE);
      subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                        "too many messages: at most 20 a second");
      return;
    }
  /* Answers to a peer that does not read its socket are not queued. */
  if (is_stalled (sub))
    return;

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    node = mira_json_parse (data, size, MIRA_JSON_MAX_DEPTH, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node),
                                                             "type", ""), "ping") == 0)
    {
      g_autoptr(JsonObject) pong = new_message (sub, "pong");

      send_json (sub, pong);
      return;
    }

  /* Anything else is not part of the protocol: say so, keep the socket. */
  {
    g_autoptr(JsonObject) error = new_message (sub, "error");

    json_object_set_string_member (error, "error", "UNSUPPORTED_MESSAGE");
    json_object_set_string_member (error, "message",
                                   "The event socket only takes {\"type\":\"ping\"}");
    send_json (sub, error);
  }
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Subscriber *sub = user_data;

  if (sub->closed)
    return;
  sub->closed = TRUE;
  subscriber_stop (sub);
  g_hash_table_remove (sub->owner->open, conn);
  g_signal_handlers_disconnect_by_data (conn, sub);
  subscriber_unref (sub);
}

/* Says why, then closes as mira_grants_error_close() says */
static void
refuse (Subscriber   *sub,
        const GError *error)
{
  g_autoptr(JsonObject) message = new_message (sub, "error");
  const char *error_code;
  gushort code = mira_grants_error_close (error, &error_code);

  json_object_set_string_member (message, "error", error_code);
  json_object_set_string_member (message, "message", error->message);
  send_json (sub, message);
  subscriber_close (sub, code, code == SOUP_WEBSOCKET_CLOSE_SERVER_ERROR ? "database unavailable"
                                                                         : error_code);
}

static void
auth_done (const MiraEventAuth *auth,
           gpointer             user_data)
{
  Subscriber *sub = user_data;
  g_autoptr(GError) error = NULL;

  if (auth->error != NULL)
    refuse (sub, auth->error);
  else if (!sub->closed
           && (sub->grant = mira_grants_add (sub->owner->grants, auth->grant_token,
                                             sub->network_id, auth->client_id, on_revoked,
                                             sub, &error)) == 0)
    refuse (sub, error);
  else if (!sub->closed)
    {
      g_autoptr(JsonObject) hello = new_message (sub, "connection_established");

      sub->authenticated = TRUE;
      sub->allowance = MESSAGE_BURST;
      sub->allowance_at = g_get_monotonic_time ();
      sub->client_id = g_strdup (auth->client_id);
      if (sub->client_id != NULL)
        json_object_set_string_member (hello, "client_id", sub->client_id);
      else
        json_object_set_null_member (hello, "client_id");
      sub->subscription = mira_event_bus_subscribe (sub->owner->bus, sub->network_id, on_event,
                                                    sub);
      sub->ping_source = mira_timeout_add_seconds (PING_INTERVAL_S, send_ping, sub);
      send_json (sub, hello);
    }
  subscriber_unref (sub);
}

MiraEventSockets *
mira_event_sockets_new (MiraEventBus      *bus,
                        MiraGrants        *grants,
                        MiraEventAuthFunc  authenticate,
                        gpointer           auth_data)
{
  MiraEventSockets *self = g_new0 (MiraEventSockets, 1);

  self->bus = mira_event_bus_ref (bus);
  self->grants = grants;
  self->authenticate = authenticate;
  self->auth_data = auth_data;
  self->open = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  return self;
}

void
mira_event_sockets_free (MiraEventSockets *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->open);
  mira_event_bus_unref (self->bus);
  g_free (self);
}

void
mira_event_sockets_close_all (MiraEventSockets *self,
                              const char       *reason)
{
  g_autoptr(GList) open = g_hash_table_get_keys (self->open);

  for (GList *l = open; l != NULL; l = l->next)
    {
      SoupWebsocketConnection *conn = l->data;

      if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, reason);
    }
}

guint
mira_event_sockets_get_n_open (MiraEventSockets *self)
{
  return g_hash_table_size (self->open);
}

void
mira_event_sockets_accept (MiraEventSockets        *self,
                           SoupWebsocketConnection *conn,
                           GSocket                 *socket,
                           const char              *network_id,
                           const char              *token)
{
  Subscriber *sub = g_new0 (Subscriber, 1);

  sub->ref_count = 1;
  sub->owner = self;
  sub->conn = g_object_ref (conn);
  sub->socket = socket ? g_object_ref (socket) : NULL;
  sub->network_id = g_strdup (network_id);
  if (socket != NULL && !g_socket_get_option (socket, SOL_SOCKET, SO_SNDBUF, &sub->sndbuf, NULL))
    sub->sndbuf = 0;
  /* A subscriber that vanished without a FIN (half-open) is found by the
   * kernel's probes, as audio sockets are: after 30 s of silence, every
   * 10 s, three tries; and one that stops acknowledging within 60 s.
   */
  if (socket != NULL)
    {
      g_socket_set_keepalive (socket, TRUE);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, 30, NULL);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
      g_socket_set_option (socket, IPPROTO_TCP, TCP_USER_TIMEOUT, 60 * 1000, NULL);
    }

  g_hash_table_add (self->open, g_object_ref (conn));
  soup_websocket_connection_set_keepalive_interval (conn, PING_INTERVAL_S);
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_MESSAGE_SIZE);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), sub);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), sub);

  self->authenticate (self->auth_data, network_id, token, auth_done, subscriber_ref (sub));
}
