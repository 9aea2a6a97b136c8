/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-openai-transcriber"

#include "mira-openai-transcriber.h"

#include <string.h>

#include "mira-curl.h"

struct _MiraOpenaiTranscriber
{
  GObject  parent_instance;

  char    *url;        /* …/v1/audio/transcriptions */
  char    *model;
  char    *auth;       /* "Authorization: Bearer …", or NULL */
  guint    timeout_ms;
};

static void mira_openai_transcriber_iface_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraOpenaiTranscriber, mira_openai_transcriber, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_openai_transcriber_iface_init))

static const char *
mira_openai_transcriber_get_name (MiraTranscriber *transcriber)
{
  return "openai";
}

static MiraTranscript *
mira_openai_transcriber_transcribe (MiraTranscriber  *transcriber,
                                    const gint16     *samples,
                                    gsize             n_samples,
                                    const char       *language,
                                    GCancellable     *cancellable,
                                    GError          **error)
{
  MiraOpenaiTranscriber *self = MIRA_OPENAI_TRANSCRIBER (transcriber);
  g_autoptr(MiraCurl) curl = mira_curl_new (self->url, self->timeout_ms, cancellable);
  g_autoptr(GBytes) wav = mira_transcriber_wav_new (samples, n_samples);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonObject) object = NULL;
  CURL *easy = mira_curl_get_handle (curl);
  curl_mime *mime = curl_mime_init (easy);
  curl_mimepart *part;
  JsonNode *text;
  MiraTranscript *transcript;
  gsize wav_len;
  const void *wav_data = g_bytes_get_data (wav, &wav_len);
  g_autofree char *code = mira_transcriber_language_code (language);

  part = curl_mime_addpart (mime);
  curl_mime_name (part, "file");
  curl_mime_filename (part, "utterance.wav");
  curl_mime_type (part, "audio/wav");
  curl_mime_data (part, wav_data, wav_len);
  part = curl_mime_addpart (mime);
  curl_mime_name (part, "model");
  curl_mime_data (part, self->model, CURL_ZERO_TERMINATED);
  part = curl_mime_addpart (mime);
  curl_mime_name (part, "response_format");
  curl_mime_data (part, "json", CURL_ZERO_TERMINATED);
  /* ISO 639-1, as the API takes it ("en", not "en-GB") */
  if (code != NULL)
    {
      part = curl_mime_addpart (mime);
      curl_mime_name (part, "language");
      curl_mime_data (part, code, CURL_ZERO_TERMINATED);
    }
  curl_easy_setopt (easy, CURLOPT_MIMEPOST, mime);
  if (self->auth != NULL)
    mira_curl_add_header (curl, self->auth);
  /* The answer comes as one piece: no "100 Continue" round trip first */
  mira_curl_add_header (curl, "Expect:");

  answer = mira_curl_perform (curl, "openai", error);
  curl_mime_free (mime);
  if (answer == NULL)
    return NULL;
  object = mira_curl_parse_object (answer, "openai", error);
  if (object == NULL)
    return NULL;
  text = json_object_get_member (object, "text");
  if (text == NULL || !JSON_NODE_HOLDS_VALUE (text) ||
      json_node_get_value_type (text) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (text), -1, NULL))
    {
      g_set_error_literal (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_BAD_ANSWER,
                           "openai: the answer has no \"text\" string");
      return NULL;
    }

  transcript = g_new0 (MiraTranscript, 1);
  transcript->text = g_strdup (json_node_get_string (text));
  transcript->backend = g_strdup ("openai");
  transcript->model = g_strdup (self->model);
  return transcript;
}

static void
mira_openai_transcriber_iface_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_openai_transcriber_get_name;
  iface->transcribe = mira_openai_transcriber_transcribe;
}

static void
mira_openai_transcriber_finalize (GObject *object)
{
  MiraOpenaiTranscriber *self = MIRA_OPENAI_TRANSCRIBER (object);

  g_free (self->url);
  g_free (self->model);
  if (self->auth != NULL)
    memset (self->auth, 0, strlen (self->auth));
  g_free (self->auth);

  G_OBJECT_CLASS (mira_openai_transcriber_parent_class)->finalize (object);
}

static void
mira_openai_transcriber_class_init (MiraOpenaiTranscriberClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_openai_transcriber_finalize;
}

static void
mira_openai_transcriber_init (MiraOpenaiTranscriber *self)
{
}

MiraOpenaiTranscriber *
mira_openai_transcriber_new (const char *base_url,
                             const char *model,
                             const char *api_key,
                             guint       timeout_ms)
{
  MiraOpenaiTranscriber *self;
  g_autofree char *base = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);

  self = g_object_new (MIRA_TYPE_OPENAI_TRANSCRIBER, NULL);
  base = g_strdup (base_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  self->url = g_strconcat (base, g_str_has_suffix (base, "/v1") ? "" : "/v1",
                           "/audio/transcriptions", NULL);
  self->model = g_strdup (model);
  self->auth = api_key && *api_key ? g_strconcat ("Authorization: Bearer ", api_key, NULL) : NULL;
  self->timeout_ms = timeout_ms;
  return self;
}
