/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-curl"

#include "config.h"

#include "mira-curl.h"

#include <string.h>

#include "mira-transcriber.h"

/* An answer larger than this is no transcript of a 30-second utterance. */
#define MAX_ANSWER (1024 * 1024)

struct _MiraCurl
{
  CURL              *easy;
  struct curl_slist *headers;
  GByteArray        *answer;
  gboolean           too_large;
  GCancellable      *cancellable;
  guint              timeout_ms;
  char               error_buffer[CURL_ERROR_SIZE];
};

static size_t
on_write (char   *data,
          size_t  size,
          size_t  n,
          void   *user_data)
{
  MiraCurl *self = user_data;
  gsize len = size * n;

  if (self->answer->len + len > MAX_ANSWER)
    {
      self->too_large = TRUE;
      return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
    }
  g_byte_array_append (self->answer, (const guint8 *) data, (guint) len);
  return len;
}

/* Called about once a second and on every chunk: a non-zero return stops curl. */
static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  MiraCurl *self = user_data;

  return g_cancellable_is_cancelled (self->cancellable) ? 1 : 0;
}

MiraCurl *
mira_curl_new (const char   *url,
               guint         timeout_ms,
               GCancellable *cancellable)
{
  static gsize initialised;
  MiraCurl *self;

  g_return_val_if_fail (url != NULL, NULL);

  /* Not thread-safe in itself: once, before any handle. */
  if (g_once_init_enter (&initialised))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&initialised, 1);
    }

  self = g_new0 (MiraCurl, 1);
  self->easy = curl_easy_init ();
  self->answer = g_byte_array_new ();
  self->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  self->timeout_ms = timeout_ms;
  curl_easy_setopt (self->easy, CURLOPT_URL, url);
  /* Worker threads: no SIGALRM for name lookups */
  curl_easy_setopt (self->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (self->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (self->easy, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
  curl_easy_setopt (self->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
  curl_easy_setopt (self->easy, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (self->easy, CURLOPT_WRITEDATA, self);
  curl_easy_setopt (self->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (self->easy, CURLOPT_XFERINFODATA, self);
  curl_easy_setopt (self->easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (self->easy, CURLOPT_ERRORBUFFER, self->error_buffer);
  curl_easy_setopt (self->easy, CURLOPT_USERAGENT, "mira-server/" PACKAGE_VERSION);
  return self;
}

void
mira_curl_free (MiraCurl *self)
{
  if (self == NULL)
    return;
  curl_easy_cleanup (self->easy);
  curl_slist_free_all (self->headers);
  g_byte_array_unref (self->answer);
  g_clear_object (&self->cancellable);
  g_free (self);
}

void
mira_curl_add_header (MiraCurl   *self,
                      const char *header)
{
  g_return_if_fail (self != NULL);
  self->headers = curl_slist_append (self->headers, header);
}

CURL *
mira_curl_get_handle (MiraCurl *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->easy;
}

/* What an error answer says: OpenAI's {"error": {"message"}}, Deepgram's
 * {"err_msg"}, whisper.cpp's {"error": "…"}, else the start of its text.
 */
static char *
answer_message (GByteArray *answer)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = g_strndup ((const char *) answer->data, MIN (answer->len, 200));

  if (json_parser_load_from_data (parser, (const char *) answer->data, answer->len, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *object = json_node_get_object (json_parser_get_root (parser));
      JsonNode *error = json_object_get_member (object, "error");
      const char *message = NULL;

      if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
        message = json_object_get_string_member_with_default (json_node_get_object (error),
                                                              "message", NULL);
      else if (error != NULL && JSON_NODE_HOLDS_VALUE (error) &&
               json_node_get_value_type (error) == G_TYPE_STRING)
        message = json_node_get_string (error);
      if (message == NULL)
        message = json_object_get_string_member_with_default (object, "err_msg", NULL);
      if (message != NULL)
        return g_strdup (message);
    }
  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("(not text)");
  return g_strdup (g_strstrip (g_strdelimit (text, "\r\n\t", ' ')));
}

GBytes *
mira_curl_perform (MiraCurl    *self,
                   const char  *what,
                   GError     **error)
{
  CURLcode code;
  long status = 0;

  g_return_val_if_fail (self != NULL, NULL);

  curl_easy_setopt (self->easy, CURLOPT_HTTPHEADER, self->headers);
  code = curl_easy_perform (self->easy);
  if (code == CURLE_ABORTED_BY_CALLBACK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
      return NULL;
    }
  if (code == CURLE_OPERATION_TIMEDOUT)
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_TIMED_OUT,
                   "%s: no answer within %u ms", what, self->timeout_ms);
      return NULL;
    }
  if (code == CURLE_WRITE_ERROR && self->too_large)
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                   "%s: an answer over %d bytes", what, MAX_ANSWER);
      return NULL;
    }
  if (code != CURLE_OK)
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED, "%s: %s", what,
                   *self->error_buffer ? self->error_buffer : curl_easy_strerror (code));
      return NULL;
    }

  curl_easy_getinfo (self->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299)
    {
      g_autofree char *message = answer_message (self->answer);

      g_set_error (error, MIRA_TRANSCRIBER_ERROR,
                   status >= 400 && status < 500 ? MIRA_TRANSCRIBER_ERROR_REFUSED
                                                 : MIRA_TRANSCRIBER_ERROR_FAILED,
                   "%s: HTTP %ld%s%s", what, status, *message ? ": " : "", message);
      return NULL;
    }
  return g_bytes_new (self->answer->data, self->answer->len);
}

JsonObject *
mira_curl_parse_object (GBytes      *body,
                        const char  *what,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr(GError) local_error = NULL;

  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                   "%s: the answer is not JSON (%s)", what, local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                   "%s: the answer is not a JSON object", what);
      return NULL;
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

gboolean
mira_api_key_load (const char  *path,
                   const char  *env_name,
                   const char  *option,
                   char       **key_out,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  const char *env;

  g_return_val_if_fail (env_name != NULL && option != NULL && key_out != NULL, FALSE);

  *key_out = NULL;
  if (path == NULL)
    {
      env = g_getenv (env_name);
      *key_out = env != NULL && *env != '\0' ? g_strdup (env) : NULL;
      return TRUE;
    }
  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", option,
                   local_error->message);
      return FALSE;
    }
  g_strstrip (contents);
  if (*contents == '\0' || strpbrk (contents, "\r\n") != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: %s must hold one API key on one line", option, path);
      if (*contents != '\0')
        memset (contents, 0, strlen (contents));
      return FALSE;
    }
  *key_out = g_steal_pointer (&contents);
  return TRUE;
}
