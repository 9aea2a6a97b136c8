/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-poller.h"

G_BEGIN_DECLS

/* The server end of an upgraded WebSocket (RFC 6455, no extensions) on a
 * MiraPoller: for sockets that carry many small messages, where a
 * SoupWebsocketConnection with a GSource per socket costs more than the
 * work. It lives on the poller's thread and calls back there.
 *
 * Protocol errors close with 1002 (1007 for a text message that is not
 * UTF-8); pings are answered; a close is answered and ends the connection.
 */

typedef struct _MiraWebsocket MiraWebsocket;

typedef struct {
  /* A whole message: @text ones are valid UTF-8. */
  void (*message)  (gpointer      user_data,
                    gboolean      text,
                    const guint8 *data,
                    gsize         len);
  /* A message of @size bytes, over the limit, is coming: it will not be
   * read. The socket closes with 1009 after this returns, unless it closed.
   */
  void (*too_big)  (gpointer      user_data,
                    guint64       size);
  /* The connection is gone (@code: what the peer said, 1006 if it said
   * nothing); nothing is called after this. The owner may free it here.
   */
  void (*closed)   (gpointer      user_data,
                    gushort       code);
} MiraWebsocketCallbacks;

/* Starts reading @stream, e.g. from soup_server_message_steal_connection(). */
MiraWebsocket *mira_websocket_new       (GIOStream                    *stream,
                                         MiraPoller                   *poller,
                                         gsize                         max_message,
                                         const MiraWebsocketCallbacks *callbacks,
                                         gpointer                      user_data);
/* Drops the connection at once, without a close frame or a callback. */
void           mira_websocket_free      (MiraWebsocket                *self);

gboolean       mira_websocket_is_open   (MiraWebsocket                *self);
void           mira_websocket_send_text (MiraWebsocket                *self,
                                         const char                   *text,
                                         gsize                         len);
/* Sends a close frame; the connection ends when the peer answers, or soon. */
void           mira_websocket_close     (MiraWebsocket                *self,
                                         gushort                       code,
                                         const char                   *reason);

/* The descriptor under @stream, or -1. */
int            mira_websocket_stream_fd (GIOStream                    *stream);

G_END_DECLS
