/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-llm"

/* The LLM backend against a local peer of the chat completions protocol: it
 * asks for JSON with a schema, reads the answer into the same actions the
 * built-in extractor gives, and every way the service can fail (an error
 * status, a wrong key, garbage, an answer that is not the JSON asked for, a
 * hang, a connection closed halfway, no service at all) is an error in
 * bounded time, on the model's own threads.
 */

#include <string.h>

#include "mira-extractor.h"
#include "mira-llm.h"
#include "mira-test-llm-peer.h"
#include "mira-time.h"

#define TIMEOUT_MS 800

static MiraTestLlmPeer *peer;

static const char dentist_answer[] =
  "{\"actions\": [{\"type\": \"remind\", \"title\": \"Call the dentist\", "
  "\"due_time\": \"2026-03-03T17:00\", \"priority\": \"high\", \"start_time\": null, "
  "\"end_time\": null, \"location\": null, \"attendees\": null, \"name\": null, "
  "\"method\": null, \"details\": null, \"time\": null}, "
  "{\"type\": \"contact\", \"title\": null, \"due_time\": null, \"priority\": null, "
  "\"start_time\": null, \"end_time\": null, \"location\": null, \"attendees\": null, "
  "\"name\": \"Dr Who\", \"method\": \"call\", \"details\": null, \"time\": null}]}";

static MiraLlm *
new_llm (void)
{
  return mira_llm_new (mira_test_llm_peer_get_url (peer), "tiny-model", "secret-key", TIMEOUT_MS);
}

static GPtrArray *
extract (MiraLlm  *llm,
         GError  **error)
{
  g_autoptr(GTimeZone) zone = mira_time_zone_get ("Europe/Berlin");
  g_autoptr(GDateTime) said_at = g_date_time_new_from_iso8601 ("2026-03-02T10:00:00+01:00", NULL);

  return mira_llm_extract (llm, "remind me to call the dentist tomorrow at five pm", said_at,
                           zone, NULL, error);
}

static char *
utc (GDateTime *time)
{
  g_autoptr(GDateTime) u = g_date_time_to_utc (time);

  return g_date_time_format (u, "%FT%TZ");
}

/* The request is a chat completion asking for JSON of a schema; the answer
 * becomes actions, local times read in the network's zone.
 */
static void
test_answer (void)
{
  g_autoptr(MiraLlm) llm = new_llm ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request, *body, *format;
  JsonArray *messages;
  MiraAction *action;
  g_autofree char *due = NULL;
  guint before = json_array_get_length (requests = mira_test_llm_peer_requests (peer));

  g_clear_pointer (&requests, json_array_unref);
  mira_test_llm_peer_answer (peer, dentist_answer);
  actions = extract (llm, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (actions->len, ==, 2);
  action = g_ptr_array_index (actions, 0);
  g_assert_cmpint (action->type, ==, MIRA_ACTION_REMIND);
  g_assert_cmpstr (action->title, ==, "Call the dentist");
  g_assert_cmpstr (action->priority, ==, "high");
  due = utc (action->time);
  g_assert_cmpstr (due, ==, "2026-03-03T16:00:00Z");
  action = g_ptr_array_index (actions, 1);
  g_assert_cmpint (action->type, ==, MIRA_ACTION_CONTACT);
  g_assert_cmpstr (action->name, ==, "Dr Who");
  g_assert_cmpstr (action->method, ==, "call");

  requests = mira_test_llm_peer_requests (peer);
  g_assert_cmpuint (json_array_get_length (requests), ==, before + 1);
  request = json_array_get_object_element (requests, before);
  g_assert_cmpstr (json_object_get_string_member (request, "path"), ==, "/v1/chat/completions");
  g_assert_cmpstr (json_object_get_string_member (request, "authorization"), ==,
                   "Bearer secret-key");
  g_assert_true (json_parser_load_from_data (parser, json_object_get_string_member (request,
                                                                                    "body"),
                                             -1, NULL));
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "tiny-model");
  format = json_object_get_object_member (body, "response_format");
  g_assert_cmpstr (json_object_get_string_member (format, "type"), ==, "json_schema");
  g_assert_true (json_object_has_member (json_object_get_object_member (format, "json_schema"),
                                         "schema"));
  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                           "content"),
                            "remind me to call the dentist tomorrow at five pm"));
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                           "content"),
                            "Europe/Berlin"));
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                           "content"),
                            "2026-03-02T10:00"));
}

/* Every failure is an error of its kind, and none takes much longer than
 * the timeout.
 */
static void
test_failures (void)
{
  static const struct {
    const char *mode;
    MiraLlmError code;
    const char *message;
  } cases[] = {
    { "{\"mode\": \"error\", \"status\": 500, \"message\": \"the model is not loaded\"}",
      MIRA_LLM_ERROR_FAILED, "the model is not loaded" },
    { "{\"mode\": \"error\", \"status\": 401, \"message\": \"Incorrect API key provided\"}",
      MIRA_LLM_ERROR_REFUSED, "Incorrect API key" },
    { "{\"mode\": \"error\", \"status\": 404, \"message\": \"model tiny-model not found\"}",
      MIRA_LLM_ERROR_REFUSED, "not found" },
    { "{\"mode\": \"garbage\"}", MIRA_LLM_ERROR_BAD_ANSWER, "not a chat completion" },
    { "{\"mode\": \"answer\", \"content\": \"Sure! You want a reminder.\"}",
      MIRA_LLM_ERROR_BAD_ANSWER, "not a JSON object" },
    { "{\"mode\": \"answer\", \"content\": \"{\\\"reminders\\\": []}\"}",
      MIRA_LLM_ERROR_BAD_ANSWER, "no \"actions\"" },
    { "{\"mode\": \"answer\", \"content\": \"{\\\"actions\\\": [{\\\"type\\\": \\\"remind\\\", "
      "\\\"title\\\": \\\"x\\\", \\\"due_time\\\": \\\"tomorrow at five\\\"}]}\"}",
      MIRA_LLM_ERROR_BAD_ANSWER, "due_time" },
    { "{\"mode\": \"answer\", \"content\": \"{\\\"actions\\\": [{\\\"type\\\": \\\"launch\\\"}]}\"}",
      MIRA_LLM_ERROR_BAD_ANSWER, "unknown action type" },
    { "{\"mode\": \"answer\", \"content\": \"{\\\"actions\\\": [\\\"remind\\\"]}\"}",
      MIRA_LLM_ERROR_BAD_ANSWER, "not an object" },
    { "{\"mode\": \"hang\"}", MIRA_LLM_ERROR_TIMED_OUT, "did not answer within" },
    { "{\"mode\": \"answer\", \"delay_ms\": 3000, \"content\": \"{\\\"actions\\\": []}\"}",
      MIRA_LLM_ERROR_TIMED_OUT, "did not answer within" },
    { "{\"mode\": \"close\", \"content\": \"{\\\"actions\\\": []}\"}", MIRA_LLM_ERROR_FAILED, "" },
  };
  g_autoptr(MiraLlm) llm = new_llm ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) actions = NULL;
      gint64 start = g_get_monotonic_time ();
      gint64 took_ms;

      mira_test_llm_peer_set_mode (peer, cases[i].mode);
      actions = extract (llm, &error);
      took_ms = (g_get_monotonic_time () - start) / 1000;
      g_test_message ("%s: %s (%" G_GINT64_FORMAT " ms)", cases[i].mode,
                      error ? error->message : "no error", took_ms);
      g_assert_null (actions);
      g_assert_error (error, MIRA_LLM_ERROR, (gint) cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].message));
      g_assert_cmpint (took_ms, <, TIMEOUT_MS + 2000);
    }
}

/* Nobody listening: an error at once */
static void
test_unreachable (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(MiraLlm) llm = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  g_autofree char *url = NULL;

  /* A port held bound and never listening */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1/",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  llm = mira_llm_new (url, "tiny-model", NULL, TIMEOUT_MS);
  actions = extract (llm, &error);
  g_assert_null (actions);
  g_assert_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_FAILED);
}

typedef struct {
  GMainLoop *loop;
  GPtrArray *actions;
  GError    *error;
  guint      ticks;
} AsyncRun;

static void
extracted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  AsyncRun *run = user_data;

  run->actions = mira_llm_extract_finish (MIRA_LLM (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
tick (gpointer user_data)
{
  AsyncRun *run = user_data;

  run->ticks++;
  return G_SOURCE_CONTINUE;
}

/* The caller's main loop runs on while the service hangs; a cancel ends the
 * request at once.
 */
static void
test_async (void)
{
  g_autoptr(MiraLlm) llm = mira_llm_new (mira_test_llm_peer_get_url (peer), "tiny-model", NULL,
                                         60000);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GTimeZone) zone = mira_time_zone_get ("UTC");
  g_autoptr(GDateTime) said_at = g_date_time_new_now_utc ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsyncRun run = { loop, NULL, NULL, 0 };
  guint ticker;
  gint64 start;

  mira_test_llm_peer_set_mode (peer, "{\"mode\": \"hang\"}");
  ticker = g_timeout_add (10, tick, &run);
  mira_llm_extract_async (llm, "remind me to stretch", said_at, zone, cancellable, extracted,
                          &run);
  g_timeout_add_once (500, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  start = g_get_monotonic_time ();
  g_main_loop_run (loop);
  g_source_remove (ticker);

  g_assert_null (run.actions);
  /* GIO's convention for a cancelled task */
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  /* 10 ms ticks through half a second of waiting: the loop never stalled */
  g_assert_cmpuint (run.ticks, >=, 20);
  g_clear_error (&run.error);

  /* And an answer comes back to the same loop */
  mira_test_llm_peer_answer (peer, dentist_answer);
  mira_llm_extract_async (llm, "remind me to call the dentist", said_at, zone, NULL, extracted,
                          &run);
  g_main_loop_run (loop);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.actions->len, ==, 2);
  g_ptr_array_unref (run.actions);
}

static void
test_summarize (void)
{
  g_autoptr(MiraLlm) llm = new_llm ();
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *long_title = g_strnfill (400, 'a');
  g_autofree char *answer = g_strdup_printf ("{\"title\": \"%s\", \"summary\": \"x\"}",
                                             long_title);

  mira_test_llm_peer_answer (peer, "{\"title\": \"  Dentist and lunch \", \"summary\": "
                                   "\"A dentist appointment and where to have lunch.\"}");
  g_assert_true (mira_llm_summarize (llm, "Speaker 1: remind me to call the dentist\n", &title,
                                     &summary, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (title, ==, "Dentist and lunch");
  g_assert_cmpstr (summary, ==, "A dentist appointment and where to have lunch.");
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&summary, g_free);

  /* A title too long for its column is cut */
  mira_test_llm_peer_answer (peer, answer);
  g_assert_true (mira_llm_summarize (llm, "words\n", &title, &summary, NULL, &error));
  g_assert_cmpuint (strlen (title), ==, 255);
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&summary, g_free);

  mira_test_llm_peer_answer (peer, "{\"title\": \"\", \"summary\": \"x\"}");
  g_assert_false (mira_llm_summarize (llm, "words\n", &title, &summary, NULL, &error));
  g_assert_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER);
  g_clear_error (&error);
  mira_test_llm_peer_set_mode (peer, "{\"mode\": \"garbage\"}");
  g_assert_false (mira_llm_summarize (llm, "words\n", &title, &summary, NULL, &error));
  g_assert_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER);
  g_assert_null (title);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  mira_time_zones_load ();
  peer = mira_test_llm_peer_start ();

  g_test_add_func ("/llm/answer", test_answer);
  g_test_add_func ("/llm/failures", test_failures);
  g_test_add_func ("/llm/unreachable", test_unreachable);
  g_test_add_func ("/llm/async", test_async);
  g_test_add_func ("/llm/summarize", test_summarize);
  ret = g_test_run ();

  mira_test_llm_peer_stop (peer);
  return ret;
}
