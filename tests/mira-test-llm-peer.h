/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* tests/llm-peer.py, a local peer of the OpenAI chat completions protocol,
 * run for a test: its modes are set and its requests read over HTTP from the
 * test's thread. Failing to start is fatal.
 */
typedef struct _MiraTestLlmPeer MiraTestLlmPeer;

MiraTestLlmPeer *mira_test_llm_peer_start    (void);
void             mira_test_llm_peer_stop     (MiraTestLlmPeer *peer);
/* http://127.0.0.1:PORT */
const char      *mira_test_llm_peer_get_url  (MiraTestLlmPeer *peer);
/* @mode_json: {"mode": "answer", "content": …} and so on (see the peer) */
void             mira_test_llm_peer_set_mode (MiraTestLlmPeer *peer,
                                              const char      *mode_json);
/* Answers with a chat completion whose content is @content (JSON text). */
void             mira_test_llm_peer_answer   (MiraTestLlmPeer *peer,
                                              const char      *content);
/* The requests it received, oldest first: {"path", "authorization", "body"} */
JsonArray       *mira_test_llm_peer_requests (MiraTestLlmPeer *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraTestLlmPeer, mira_test_llm_peer_stop)

G_END_DECLS
