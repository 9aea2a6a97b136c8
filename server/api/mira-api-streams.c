/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* The live streams of a network, as the audio hub sees them, and uploads
 * of whole utterances through the same pipeline.
 */

#include "mira-api.h"
#include "mira-api-error.h"
#include "mira-api-private.h"

#include <libsoup/soup.h>
#include <string.h>

#include "mira-audio-file.h"
#include "mira-audio-hub.h"
#include "mira-db.h"
#include "mira-util.h"

gboolean
mira_api_stream_best (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  JsonObject *out = json_object_new ();

  json_object_set_member (out, "best_stream",
                          mira_audio_hub_get_best (call->config->hub, call->network_id));
  mira_api_call_respond_object (call, 200, out);
  return TRUE;
}

gboolean
mira_api_stream_scores (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  mira_api_call_respond_object (call, 200,
                                mira_audio_hub_get_scores (call->config->hub, call->network_id));
  return TRUE;
}

gboolean
mira_api_stream_get (MiraApiCall  *call,
                     MiraDb       *db,
                     GError      **error)
{
  JsonObject *stream = mira_audio_hub_get_stream (call->config->hub, call->network_id,
                                                  mira_api_call_arg (call, 1));

  if (stream == NULL)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_STREAM_NOT_FOUND,
                   "Stream not found in network");
      return FALSE;
    }
  mira_api_call_respond_object (call, 200, stream);
  return TRUE;
}

GHashTable *
mira_api_call_parse_multipart (MiraApiCall  *call,
                               GHashTable  **types_out,
                               GError      **error)
{
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GHashTable) parts = NULL;

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  soup_message_headers_replace (headers, "Content-Type", call->content_type);
  multipart = soup_multipart_new_from_message (headers, call->body);
  if (multipart == NULL)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "The multipart body is malformed");
      return NULL;
    }
  parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  if (types_out != NULL)
    *types_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *part_headers;
      GBytes *part_body;
      g_autoptr(GHashTable) params = NULL;
      g_autofree char *disposition = NULL;
      const char *name;

      if (!soup_multipart_get_part (multipart, i, &part_headers, &part_body) ||
          !soup_message_headers_get_content_disposition (part_headers, &disposition, &params))
        continue;
      name = g_hash_table_lookup (params, "name");
      /* The first part of a name counts, as in a form */
      if (name != NULL && !g_hash_table_contains (parts, name))
        {
          const char *type = soup_message_headers_get_content_type (part_headers, NULL);

          g_hash_table_insert (parts, g_strdup (name), g_bytes_ref (part_body));
          if (types_out != NULL && type != NULL)
            g_hash_table_insert (*types_out, g_strdup (name), g_strdup (type));
        }
    }
  return g_steal_pointer (&parts);
}

/* The media types an audio file may be sent as, and the first bytes of
 * what each holds (NULL: raw PCM, or a file told by its own header)
 */
static const struct {
  const char *type;
  const char *magic;
} audio_types[] = {
  { "audio/wav", "RIFF" }, { "audio/x-wav", "RIFF" }, { "audio/wave", "RIFF" },
  { "audio/vnd.wave", "RIFF" }, { "audio/flac", "fLaC" }, { "audio/x-flac", "fLaC" },
  { "audio/ogg", "OggS" }, { "audio/opus", "OggS" }, { "application/ogg", "OggS" },
  { "audio/l16", NULL }, { "application/octet-stream", NULL },
};

const char *
mira_api_audio_media_type (guint index)
{
  return index < G_N_ELEMENTS (audio_types) ? audio_types[index].type : NULL;
}

#define AUDIO_TYPES "audio/wav, audio/flac, audio/ogg, audio/L16 (raw s16le 16 kHz mono)" \
                    " or application/octet-stream"

/* Whether @content_type (a body's or a part's; NULL when it had none) may
 * hold @audio; a WAV sent as a picture, JSON sent as JSON are refused
 * (MIRA_API_ERROR_UNSUPPORTED_MEDIA, naming @field), never read as PCM.
 */
static gboolean
check_audio_type (const char  *content_type,
                  GBytes      *audio,
                  const char  *field,
                  GError     **error)
{
  g_autofree char *type = NULL;
  gsize size;
  const char *data = g_bytes_get_data (audio, &size);

  /* No type said: the file's header tells, as the decoder reads it */
  if (content_type == NULL)
    return TRUE;
  type = g_ascii_strdown (content_type, strcspn (content_type, "; \t"));
  for (guint i = 0; i < G_N_ELEMENTS (audio_types); i++)
    {
      const char *magic = audio_types[i].magic;

      if (!g_str_equal (type, audio_types[i].type))
        continue;
      if (magic != NULL && (size < 4 || memcmp (data, magic, 4) != 0) &&
          !(g_str_equal (magic, "RIFF") && size >= 4 && memcmp (data, "RF64", 4) == 0))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_UNSUPPORTED_MEDIA,
                       "Field '%s': sent as %s, but it is not a %s file", field, type,
                       audio_types[i].magic[0] == 'R' ? "WAV"
                       : audio_types[i].magic[0] == 'f' ? "FLAC" : "Ogg");
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_UNSUPPORTED_MEDIA,
               "Field '%s': Content-Type %s is not audio; send a multipart/form-data part '%s'"
               " or the file as " AUDIO_TYPES, field, type, field);
  return FALSE;
}

GArray *
mira_api_call_upload_audio (MiraApiCall  *call,
                            const char   *field,
                            GError      **error)
{
  g_autoptr(GBytes) audio = NULL;
  g_autoptr(GArray) samples = NULL;

  if (call->content_type != NULL &&
      g_ascii_strncasecmp (call->content_type, "multipart/form-data", 19) == 0)
    {
      g_autoptr(GHashTable) types = NULL;
      g_autoptr(GHashTable) parts = mira_api_call_parse_multipart (call, &types, error);

      if (parts == NULL)
        return NULL;
      audio = g_hash_table_lookup (parts, field);
      if (audio == NULL)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field '%s' is required: a multipart part holding the audio file", field);
          return NULL;
        }
      g_bytes_ref (audio);
      /* A form's file part is often application/octet-stream: the file tells */
      if (!check_audio_type (g_hash_table_lookup (types, field), audio, field, error))
        return NULL;
    }
  else
    {
      /* Not a form: the body is the file itself */
      if (call->body == NULL || g_bytes_get_size (call->body) == 0)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Field '%s' is required",
                       field);
          return NULL;
        }
      audio = g_bytes_ref (call->body);
      if (!check_audio_type (call->content_type, audio, field, error))
        return NULL;
    }

  samples = mira_audio_file_decode (audio, error);
  if (samples == NULL)
    {
      g_prefix_error (error, "Field '%s': ", field);
      return NULL;
    }
  if (samples->len < 320)
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field '%s': the audio is shorter than 20 ms", field);
      return NULL;
    }
  return g_steal_pointer (&samples);
}

gboolean
mira_api_stream_upload (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  const char *stream_id = mira_api_call_arg (call, 1);
  g_autoptr(GArray) samples = NULL;
  g_autoptr(MiraDbResult) registered = NULL;
  JsonObject *scores;

  if (!mira_is_client_id (stream_id))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "'%s' is not a valid stream id",
                   stream_id);
      return FALSE;
    }
  samples = mira_api_call_upload_audio (call, "audio_data", error);
  if (samples == NULL)
    return FALSE;

  registered = mira_db_query (db, "SELECT 1 FROM clients WHERE network_id = $1"
                                  " AND client_id = $2",
                              2, (const char *[]) { call->net_uuid, stream_id }, error);
  if (registered == NULL)
    return FALSE;
  scores = mira_audio_hub_feed (call->config->hub, call->network_id, stream_id,
                                mira_db_result_n_rows (registered) > 0, samples);
  mira_api_call_respond_object (call, 202, scores);
  return TRUE;
}
