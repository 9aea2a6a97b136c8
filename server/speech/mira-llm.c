/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-llm"

#include "mira-llm.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mira-extractor.h"
#include "mira-json.h"
#include "mira-util.h"

/* The most of an answer that is read */
#define MAX_ANSWER_BYTES (1024 * 1024)
/* Requests of all models at once; more wait their turn */
#define MAX_REQUESTS 4
#define MAX_TITLE_CHARS 255

G_DEFINE_QUARK (mira-llm-error-quark, mira_llm_error)

struct _MiraLlm
{
  GObject  parent_instance;

  char    *url;        /* the base, as given */
  char    *endpoint;   /* {base}/v1/chat/completions */
  char    *model;
  char    *api_key;
  guint    timeout_ms;
};

G_DEFINE_FINAL_TYPE (MiraLlm, mira_llm, G_TYPE_OBJECT)

static void
mira_llm_finalize (GObject *object)
{
  MiraLlm *self = MIRA_LLM (object);

  g_free (self->url);
  g_free (self->endpoint);
  g_free (self->model);
  if (self->api_key != NULL)
    explicit_bzero (self->api_key, strlen (self->api_key));
  g_free (self->api_key);
  G_OBJECT_CLASS (mira_llm_parent_class)->finalize (object);
}

static void
mira_llm_class_init (MiraLlmClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_llm_finalize;
}

static void
mira_llm_init (MiraLlm *self)
{
}

MiraLlm *
mira_llm_new (const char *base_url,
              const char *model,
              const char *api_key,
              guint       timeout_ms)
{
  static gsize curl_ready = 0;
  MiraLlm *self;
  g_autofree char *base = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (timeout_ms > 0, NULL);

  /* Before any thread uses curl */
  if (g_once_init_enter (&curl_ready))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&curl_ready, 1);
    }

  self = g_object_new (MIRA_TYPE_LLM, NULL);
  self->url = g_strdup (base_url);
  base = g_strdup (base_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  if (g_str_has_suffix (base, "/v1"))
    base[strlen (base) - 3] = '\0';
  self->endpoint = g_strconcat (base, "/v1/chat/completions", NULL);
  self->model = g_strdup (model);
  self->api_key = api_key != NULL && *api_key != '\0' ? g_strdup (api_key) : NULL;
  self->timeout_ms = timeout_ms;
  return self;
}

const char *
mira_llm_get_url (MiraLlm *self)
{
  g_return_val_if_fail (MIRA_IS_LLM (self), NULL);
  return self->url;
}

const char *
mira_llm_get_model (MiraLlm *self)
{
  g_return_val_if_fail (MIRA_IS_LLM (self), NULL);
  return self->model;
}

/* HTTP */

typedef struct {
  GByteArray   *body;
  GCancellable *cancellable;
  gboolean      too_large;
} Answer;

static size_t
on_data (char   *data,
         size_t  size,
         size_t  n,
         void   *user_data)
{
  Answer *answer = user_data;

  if (answer->body->len + size * n > MAX_ANSWER_BYTES)
    {
      answer->too_large = TRUE;
      return 0;
    }
  g_byte_array_append (answer->body, (const guint8 *) data, (guint) (size * n));
  return size * n;
}

static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  Answer *answer = user_data;

  return g_cancellable_is_cancelled (answer->cancellable) ? 1 : 0;
}

/* What an error answer says: OpenAI's {"error": {"message"}}, Ollama's
 * {"error": "…"}, else its first line.
 */
static char *
error_text (GByteArray *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = g_strndup ((const char *) body->data, MIN (body->len, 200));
  JsonNode *root, *error;

  if (json_parser_load_from_data (parser, (const char *) body->data, body->len, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
      (error = json_object_get_member (json_node_get_object (root), "error")) != NULL)
    {
      if (JSON_NODE_HOLDS_OBJECT (error) &&
          json_object_has_member (json_node_get_object (error), "message") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (json_node_get_object (error), "message")))
        return g_strdup (json_object_get_string_member (json_node_get_object (error), "message"));
      if (JSON_NODE_HOLDS_VALUE (error) && json_node_get_value_type (error) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (error));
    }
  text[strcspn (text, "\r\n")] = '\0';
  return g_utf8_make_valid (text, -1);
}

/* POSTs @request to the endpoint; the answer's body when its status is 2xx. */
static GByteArray *
post (MiraLlm       *self,
      const char    *request,
      GCancellable  *cancellable,
      GError       **error)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  Answer answer = { body, cancellable, FALSE };
  char curl_error[CURL_ERROR_SIZE] = "";
  struct curl_slist *headers = NULL;
  g_autofree char *authorization = NULL;
  CURL *curl;
  CURLcode code;
  long status = 0;

  curl = curl_easy_init ();
  if (curl == NULL)
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_FAILED, "libcurl could not start");
      return NULL;
    }
  headers = curl_slist_append (headers, "Content-Type: application/json");
  headers = curl_slist_append (headers, "Accept: application/json");
  if (self->api_key != NULL)
    {
      authorization = g_strconcat ("Authorization: Bearer ", self->api_key, NULL);
      headers = curl_slist_append (headers, authorization);
    }
  curl_easy_setopt (curl, CURLOPT_URL, self->endpoint);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, request);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (request));
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &answer);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "mira-server");

  code = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);
  if (authorization != NULL)
    explicit_bzero (authorization, strlen (authorization));

  if (code == CURLE_OPERATION_TIMEDOUT)
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_TIMED_OUT,
                   "%s did not answer within %u ms", self->endpoint, self->timeout_ms);
      return NULL;
    }
  if (code == CURLE_ABORTED_BY_CALLBACK)
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_CANCELLED, "cancelled");
      return NULL;
    }
  if (code == CURLE_WRITE_ERROR && answer.too_large)
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
                   "%s answered more than %u bytes", self->endpoint, MAX_ANSWER_BYTES);
      return NULL;
    }
  if (code != CURLE_OK)
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_FAILED, "%s: %s", self->endpoint,
                   curl_error[0] ? curl_error : curl_easy_strerror (code));
      return NULL;
    }
  if (status < 200 || status > 299)
    {
      g_autofree char *what = error_text (body);

      g_set_error (error, MIRA_LLM_ERROR,
                   status >= 400 && status < 500 ? MIRA_LLM_ERROR_REFUSED : MIRA_LLM_ERROR_FAILED,
                   "%s answered %ld: %s", self->endpoint, status, what);
      return NULL;
    }
  return g_steal_pointer (&body);
}

/* The JSON object the model wrote in choices[0].message.content */
static JsonObject *
answer_object (MiraLlm     *self,
               GByteArray  *body,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) content_parser = json_parser_new ();
  JsonNode *root, *node;
  JsonObject *object;
  JsonArray *choices;
  const char *content;

  if (!g_utf8_validate ((const char *) body->data, body->len, NULL) ||
      !json_parser_load_from_data (parser, (const char *) body->data, body->len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  object = json_node_get_object (root);
  node = json_object_get_member (object, "choices");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (choices = json_node_get_array (node)) == 0)
    goto bad;
  node = json_array_get_element (choices, 0);
  if (!JSON_NODE_HOLDS_OBJECT (node) ||
      (node = json_object_get_member (json_node_get_object (node), "message")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node) ||
      (node = json_object_get_member (json_node_get_object (node), "content")) == NULL ||
      !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    goto bad;
  content = json_node_get_string (node);
  if (!json_parser_load_from_data (content_parser, content, -1, NULL) ||
      (root = json_parser_get_root (content_parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
                   "%s: the model's answer is not a JSON object", self->endpoint);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));

bad:
  g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
               "%s: not a chat completion (no choices[0].message.content)", self->endpoint);
  return NULL;
}

/* A chat completion request: the system's instructions, the user's words,
 * and the schema the answer must follow.
 */
static char *
build_request (MiraLlm    *self,
               const char *system,
               const char *user,
               const char *schema_name,
               const char *schema_json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) schema = json_from_string (schema_json, NULL);
  g_autoptr(JsonNode) root = NULL;

  g_assert (schema != NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, self->model);
  json_builder_set_member_name (builder, "temperature");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "system");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, system);
  json_builder_end_object (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, user);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "response_format");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "json_schema");
  json_builder_set_member_name (builder, "json_schema");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, schema_name);
  json_builder_set_member_name (builder, "strict");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "schema");
  json_builder_add_value (builder, g_steal_pointer (&schema));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return mira_json_to_string (root, FALSE);
}

/* Extraction */

static const char extract_system[] =
  "You find what a person asks their assistant to do in one utterance, as a speech recogniser "
  "wrote it (lowercase, no punctuation). Answer with a JSON object {\"actions\": [...]} and "
  "nothing else, one action per request, in the order said:\n"
  "- remind: a reminder. title (the task, first letter capital), due_time, priority "
  "(\"urgent\" when said urgent, \"high\" when important, \"low\" when low priority, else "
  "\"medium\").\n"
  "- schedule: a calendar event. title, start_time, end_time (one hour after the start when "
  "not said), location or null, attendees (names of people).\n"
  "- contact: getting in touch with someone. name, method (call, message or email), details "
  "(what to say) or null, time or null.\n"
  "Times are wall-clock times in the person's time zone, written YYYY-MM-DDTHH:MM. A time "
  "without a day that has already passed today is tomorrow. A reminder without a time is "
  "due one hour from now. Members an action does not use are null. Talk that asks for "
  "nothing gives {\"actions\": []}.";

static const char extract_schema[] =
  "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"actions\"],"
  "\"properties\":{\"actions\":{\"type\":\"array\",\"items\":{"
  "\"type\":\"object\",\"additionalProperties\":false,"
  "\"required\":[\"type\",\"title\",\"due_time\",\"priority\",\"start_time\",\"end_time\","
  "\"location\",\"attendees\",\"name\",\"method\",\"details\",\"time\"],"
  "\"properties\":{"
  "\"type\":{\"type\":\"string\",\"enum\":[\"remind\",\"schedule\",\"contact\"]},"
  "\"title\":{\"type\":[\"string\",\"null\"]},"
  "\"due_time\":{\"type\":[\"string\",\"null\"]},"
  "\"priority\":{\"type\":[\"string\",\"null\"],\"enum\":[\"low\",\"medium\",\"high\","
  "\"urgent\",null]},"
  "\"start_time\":{\"type\":[\"string\",\"null\"]},"
  "\"end_time\":{\"type\":[\"string\",\"null\"]},"
  "\"location\":{\"type\":[\"string\",\"null\"]},"
  "\"attendees\":{\"type\":[\"array\",\"null\"],\"items\":{\"type\":\"string\"}},"
  "\"name\":{\"type\":[\"string\",\"null\"]},"
  "\"method\":{\"type\":[\"string\",\"null\"],\"enum\":[\"call\",\"message\",\"email\",null]},"
  "\"details\":{\"type\":[\"string\",\"null\"]},"
  "\"time\":{\"type\":[\"string\",\"null\"]}}}}}}";

GPtrArray *
mira_llm_extract (MiraLlm       *self,
                  const char    *text,
                  GDateTime     *said_at,
                  GTimeZone     *zone,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *now = NULL;
  g_autofree char *user = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  JsonNode *node;
  JsonArray *array;

  g_return_val_if_fail (MIRA_IS_LLM (self), NULL);
  g_return_val_if_fail (text != NULL && said_at != NULL && zone != NULL, NULL);

  local = g_date_time_to_timezone (said_at, zone);
  now = g_date_time_format (local, "%Y-%m-%dT%H:%M, a %A");
  user = g_strdup_printf ("Now: %s. Time zone: %s.\nUtterance: %s", now,
                          g_time_zone_get_identifier (zone), text);
  request = build_request (self, extract_system, user, "actions", extract_schema);
  body = post (self, request, cancellable, error);
  if (body == NULL)
    return NULL;
  answer = answer_object (self, body, error);
  if (answer == NULL)
    return NULL;

  node = json_object_get_member (answer, "actions");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
                   "%s: the answer has no \"actions\" array", self->endpoint);
      return NULL;
    }
  array = json_node_get_array (node);
  actions = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_action_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      MiraAction *action;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
                       "%s: action %u is not an object", self->endpoint, i);
          return NULL;
        }
      action = mira_action_from_json (json_node_get_object (element), zone, &local_error);
      if (action == NULL)
        {
          g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER, "%s: action %u: %s",
                       self->endpoint, i, local_error->message);
          return NULL;
        }
      g_ptr_array_add (actions, action);
    }
  return g_steal_pointer (&actions);
}

/* Summaries */

static const char summary_system[] =
  "You name and summarise a conversation that people had near their assistant's microphones, "
  "as a speech recogniser wrote it down. Answer with a JSON object {\"title\": ..., "
  "\"summary\": ...} and nothing else: title, at most eight words, says what it was about; "
  "summary, one or two sentences, the topics it covered.";

static const char summary_schema[] =
  "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"title\",\"summary\"],"
  "\"properties\":{\"title\":{\"type\":\"string\"},\"summary\":{\"type\":\"string\"}}}";

static char *
clean_line (const char *text,
            guint       max_chars)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));

  if (max_chars > 0 && g_utf8_strlen (copy, -1) > max_chars)
    return g_utf8_substring (copy, 0, max_chars);
  return g_steal_pointer (&copy);
}

gboolean
mira_llm_summarize (MiraLlm       *self,
                    const char    *transcript,
                    char         **title,
                    char         **summary,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autofree char *request = NULL;
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(JsonObject) answer = NULL;
  const char *members[] = { "title", "summary" };
  const char *values[2];

  g_return_val_if_fail (MIRA_IS_LLM (self), FALSE);
  g_return_val_if_fail (transcript != NULL && title != NULL && summary != NULL, FALSE);

  request = build_request (self, summary_system, transcript, "summary", summary_schema);
  body = post (self, request, cancellable, error);
  if (body == NULL)
    return FALSE;
  answer = answer_object (self, body, error);
  if (answer == NULL)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *node = json_object_get_member (answer, members[i]);

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
          json_node_get_value_type (node) != G_TYPE_STRING ||
          mira_str_is_blank (json_node_get_string (node)))
        {
          g_set_error (error, MIRA_LLM_ERROR, MIRA_LLM_ERROR_BAD_ANSWER,
                       "%s: the answer has no %s", self->endpoint, members[i]);
          return FALSE;
        }
      values[i] = json_node_get_string (node);
    }
  *title = clean_line (values[0], MAX_TITLE_CHARS);
  *summary = clean_line (values[1], 0);
  return TRUE;
}

/* The model's own threads */

typedef struct {
  char      *text;       /* the utterance, or the transcript to summarise */
  GDateTime *said_at;    /* NULL: a summary */
  GTimeZone *zone;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->text);
  g_clear_pointer (&job->said_at, g_date_time_unref);
  g_clear_pointer (&job->zone, g_time_zone_unref);
  g_free (job);
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  g_autoptr(GTask) task = data;
  MiraLlm *self = g_task_get_source_object (task);
  Job *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (job->said_at != NULL)
    {
      GPtrArray *actions = mira_llm_extract (self, job->text, job->said_at, job->zone,
                                             g_task_get_cancellable (task), &error);

      if (actions == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, actions, (GDestroyNotify) g_ptr_array_unref);
    }
  else
    {
      char **pair = g_new0 (char *, 3);

      if (!mira_llm_summarize (self, job->text, &pair[0], &pair[1],
                               g_task_get_cancellable (task), &error))
        {
          g_strfreev (pair);
          g_task_return_error (task, error);
        }
      else
        g_task_return_pointer (task, pair, (GDestroyNotify) g_strfreev);
    }
}

/* Shared by every MiraLlm, made once and kept: a pool freed from one of its
 * own threads (the last reference of a model going with its last task)
 * would wait for itself.
 */
static GThreadPool *
request_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    {
      GThreadPool *made = g_thread_pool_new (run_job, NULL, MAX_REQUESTS, FALSE, NULL);

      g_once_init_leave (&pool, made);
    }
  return pool;
}

void
mira_llm_extract_async (MiraLlm             *self,
                        const char          *text,
                        GDateTime           *said_at,
                        GTimeZone           *zone,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (MIRA_IS_LLM (self));
  g_return_if_fail (text != NULL && said_at != NULL && zone != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_llm_extract_async);
  job = g_new0 (Job, 1);
  job->text = g_strdup (text);
  job->said_at = g_date_time_ref (said_at);
  job->zone = g_time_zone_ref (zone);
  g_task_set_task_data (task, job, job_free);
  g_thread_pool_push (request_pool (), task, NULL);
}

GPtrArray *
mira_llm_extract_finish (MiraLlm       *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
mira_llm_summarize_async (MiraLlm             *self,
                          const char          *transcript,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (MIRA_IS_LLM (self));
  g_return_if_fail (transcript != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_llm_summarize_async);
  job = g_new0 (Job, 1);
  job->text = g_strdup (transcript);
  g_task_set_task_data (task, job, job_free);
  g_thread_pool_push (request_pool (), task, NULL);
}

gboolean
mira_llm_summarize_finish (MiraLlm       *self,
                           GAsyncResult  *result,
                           char         **title,
                           char         **summary,
                           GError       **error)
{
  char **pair;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (title != NULL && summary != NULL, FALSE);

  pair = g_task_propagate_pointer (G_TASK (result), error);
  if (pair == NULL)
    return FALSE;
  *title = g_steal_pointer (&pair[0]);
  *summary = g_steal_pointer (&pair[1]);
  g_free (pair);
  return TRUE;
}
