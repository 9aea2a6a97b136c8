/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-llm.h"
#include "mira-transcriber.h"
#include "mira-types.h"

G_BEGIN_DECLS

typedef struct {
  gboolean     open_registration;
  const char  *admin_token;       /* NULL: no admin access */
  gsize        max_body;          /* 0: 1 MiB */
  gsize        max_audio_body;    /* 0: 16 MiB */
  const char  *tls_cert_file;
  const char  *tls_key_file;
  /* Speech to text for the audio pipeline; NULL: no live audio. */
  MiraTranscriber *transcriber;
  /* A language model for the actions in interactions and the summaries of
   * conversations; NULL: the built-in extractor and summary.
   */
  MiraLlm     *llm;
  /* Threads that read and decode audio sockets; 0: one per processor. */
  guint        audio_threads;
  /* Bounds on HTTP connections, 0 for the default: a request's headers
   * within 20 s (idle keep-alive included), no silence of 20 s in a body,
   * HTTP connections at once (half the descriptor limit).
   */
  guint        headers_timeout_ms;
  guint        body_timeout_ms;
  guint        max_connections;
} MiraServerOptions;

#define MIRA_TYPE_SERVER (mira_server_get_type ())

G_DECLARE_FINAL_TYPE (MiraServer, mira_server, MIRA, SERVER, GObject)

/* The server lives on the thread-default main context of the thread that
 * creates it; every handler and socket runs there.
 */
MiraServer   *mira_server_new            (MiraStore                *store,
                                          const MiraServerOptions  *options,
                                          GError                  **error);
gboolean      mira_server_listen         (MiraServer               *self,
                                          const char               *host,
                                          guint                     port,
                                          GError                  **error);
/* The base URL it listens on, e.g. http://127.0.0.1:8080 */
const char   *mira_server_get_url        (MiraServer               *self);
guint         mira_server_get_port       (MiraServer               *self);
MiraStore    *mira_server_get_store      (MiraServer               *self);
MiraEventBus *mira_server_get_event_bus  (MiraServer               *self);
/* Stops accepting, lets requests under way finish, and disconnects. */
void          mira_server_shutdown       (MiraServer               *self);

G_END_DECLS
