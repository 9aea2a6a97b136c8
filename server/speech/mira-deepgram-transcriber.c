/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-deepgram-transcriber"

#include "mira-deepgram-transcriber.h"

#include <string.h>

#include "mira-curl.h"

struct _MiraDeepgramTranscriber
{
  GObject  parent_instance;

  char    *url;        /* …/v1/listen */
  char    *auth;       /* "Authorization: Token …" */
  guint    timeout_ms;
};

static void mira_deepgram_transcriber_iface_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraDeepgramTranscriber, mira_deepgram_transcriber, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_deepgram_transcriber_iface_init))

static const char *
mira_deepgram_transcriber_get_name (MiraTranscriber *transcriber)
{
  return "deepgram";
}

/* @object's member @name when it is an object, else NULL */
static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The first element of @object's array @name when it is an object, else NULL */
static JsonObject *
get_first (JsonObject *object,
           const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0)
    return NULL;
  node = json_array_get_element (array, 0);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The request's URL: Deepgram takes the language as a query parameter, a
 * BCP 47 tag as it is ("en-GB" picks British English)
 */
static char *
request_url (MiraDeepgramTranscriber *self,
             const char              *language)
{
  g_autofree char *escaped = NULL;

  if (language == NULL)
    return g_strdup (self->url);
  escaped = g_uri_escape_string (language, NULL, FALSE);
  return g_strdup_printf ("%s%clanguage=%s", self->url, strchr (self->url, '?') ? '&' : '?',
                          escaped);
}

static MiraTranscript *
mira_deepgram_transcriber_transcribe (MiraTranscriber  *transcriber,
                                      const gint16     *samples,
                                      gsize             n_samples,
                                      const char       *language,
                                      GCancellable     *cancellable,
                                      GError          **error)
{
  MiraDeepgramTranscriber *self = MIRA_DEEPGRAM_TRANSCRIBER (transcriber);
  g_autofree char *url = request_url (self, language);
  g_autoptr(MiraCurl) curl = mira_curl_new (url, self->timeout_ms, cancellable);
  g_autoptr(GBytes) wav = mira_transcriber_wav_new (samples, n_samples);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonObject) object = NULL;
  CURL *easy = mira_curl_get_handle (curl);
  JsonObject *alternative;
  JsonNode *text;
  MiraTranscript *transcript;
  gsize wav_len;
  const void *wav_data = g_bytes_get_data (wav, &wav_len);

  curl_easy_setopt (easy, CURLOPT_POSTFIELDS, wav_data);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) wav_len);
  mira_curl_add_header (curl, self->auth);
  mira_curl_add_header (curl, "Content-Type: audio/wav");
  mira_curl_add_header (curl, "Expect:");

  answer = mira_curl_perform (curl, "deepgram", error);
  if (answer == NULL)
    return NULL;
  object = mira_curl_parse_object (answer, "deepgram", error);
  if (object == NULL)
    return NULL;
  alternative = get_first (get_first (get_object (object, "results"), "channels"),
                           "alternatives");
  text = alternative ? json_object_get_member (alternative, "transcript") : NULL;
  if (text == NULL || !JSON_NODE_HOLDS_VALUE (text) ||
      json_node_get_value_type (text) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (text), -1, NULL))
    {
      g_set_error_literal (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                           "deepgram: the answer has no results.channels[0].alternatives[0]"
                           ".transcript string");
      return NULL;
    }

  transcript = g_new0 (MiraTranscript, 1);
  transcript->text = g_strdup (json_node_get_string (text));
  transcript->confidence = CLAMP (json_object_get_double_member_with_default (alternative,
                                                                              "confidence", 0),
                                  0.0, 1.0);
  transcript->backend = g_strdup ("deepgram");
  return transcript;
}

static void
mira_deepgram_transcriber_iface_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_deepgram_transcriber_get_name;
  iface->transcribe = mira_deepgram_transcriber_transcribe;
}

static void
mira_deepgram_transcriber_finalize (GObject *object)
{
  MiraDeepgramTranscriber *self = MIRA_DEEPGRAM_TRANSCRIBER (object);

  g_free (self->url);
  memset (self->auth, 0, strlen (self->auth));
  g_free (self->auth);

  G_OBJECT_CLASS (mira_deepgram_transcriber_parent_class)->finalize (object);
}

static void
mira_deepgram_transcriber_class_init (MiraDeepgramTranscriberClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_deepgram_transcriber_finalize;
}

static void
mira_deepgram_transcriber_init (MiraDeepgramTranscriber *self)
{
}

MiraDeepgramTranscriber *
mira_deepgram_transcriber_new (const char *base_url,
                               const char *api_key,
                               guint       timeout_ms)
{
  MiraDeepgramTranscriber *self;
  g_autofree char *base = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  self = g_object_new (MIRA_TYPE_DEEPGRAM_TRANSCRIBER, NULL);
  base = g_strdup (base_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  self->url = g_strconcat (base, "/v1/listen", NULL);
  self->auth = g_strconcat ("Authorization: Token ", api_key, NULL);
  self->timeout_ms = timeout_ms;
  return self;
}
