/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test-llm-peer"

#include "mira-test-llm-peer.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

struct _MiraTestLlmPeer
{
  GSubprocess *process;
  char        *url;
  SoupSession *session;
};

MiraTestLlmPeer *
mira_test_llm_peer_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "llm-peer.py", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  MiraTestLlmPeer *peer = g_new0 (MiraTestLlmPeer, 1);

  peer->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error, "/usr/bin/python3", script, NULL);
  if (peer->process == NULL)
    g_error ("cannot start %s: %s", script, error->message);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "port "))
    g_error ("%s did not say its port: %s", script, error ? error->message : line);
  peer->url = g_strdup_printf ("http://127.0.0.1:%s", line + 5);
  peer->session = soup_session_new ();
  return peer;
}

void
mira_test_llm_peer_stop (MiraTestLlmPeer *peer)
{
  if (peer == NULL)
    return;
  /* Its standard input closing ends it */
  g_output_stream_close (g_subprocess_get_stdin_pipe (peer->process), NULL, NULL);
  g_subprocess_wait (peer->process, NULL, NULL);
  g_object_unref (peer->process);
  g_object_unref (peer->session);
  g_free (peer->url);
  g_free (peer);
}

const char *
mira_test_llm_peer_get_url (MiraTestLlmPeer *peer)
{
  return peer->url;
}

static GBytes *
exchange (MiraTestLlmPeer *peer,
          const char      *method,
          const char      *path,
          const char      *body)
{
  g_autofree char *uri = g_strconcat (peer->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GError) error = NULL;
  GBytes *answer;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (peer->session, msg, NULL, &error);
  if (answer == NULL || soup_message_get_status (msg) != 200)
    g_error ("the LLM peer: %s %s: %s", method, path,
             error ? error->message : soup_message_get_reason_phrase (msg));
  return answer;
}

void
mira_test_llm_peer_set_mode (MiraTestLlmPeer *peer,
                             const char      *mode_json)
{
  g_autoptr(GBytes) answer = exchange (peer, "POST", "/mode", mode_json);
}

void
mira_test_llm_peer_answer (MiraTestLlmPeer *peer,
                           const char      *content)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *mode = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, "answer");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  mode = json_to_string (root, FALSE);
  mira_test_llm_peer_set_mode (peer, mode);
}

JsonArray *
mira_test_llm_peer_requests (MiraTestLlmPeer *peer)
{
  g_autoptr(GBytes) answer = exchange (peer, "GET", "/requests", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (answer, &len);

  if (!json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    g_error ("the LLM peer's /requests is not a JSON array");
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}
