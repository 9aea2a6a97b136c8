/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-api.h"

G_BEGIN_DECLS

const char *mira_api_setting_check  (const char   *key,
                                     JsonNode     *value,
                                     const char   *type,
                                     GError      **error);
gboolean    mira_api_setting_store  (MiraApiCall  *call,
                                     MiraDb       *db,
                                     const char   *key,
                                     JsonNode     *value,
                                     const char   *type,
                                     GError      **error);
gboolean    mira_api_settings_sync  (MiraApiCall  *call,
                                     MiraDb       *db,
                                     GError      **error);

G_END_DECLS

G_BEGIN_DECLS

/* The parts of a multipart/form-data body by name (the first of each
 * name): GBytes; their Content-Types by name in @types_out when not NULL
 * (parts without one are not in it). MIRA_API_ERROR_BAD_REQUEST when it
 * does not parse.
 */
GHashTable *mira_api_call_parse_multipart (MiraApiCall  *call,
                                           GHashTable  **types_out,
                                           GError      **error);
/* An uploaded audio file, decoded to 16 kHz mono s16 (mira-audio-file.h):
 * the multipart/form-data part @field, or the whole body when it is not a
 * form. The body's (or part's) Content-Type must be one of audio/wav
 * (audio/x-wav, audio/wave, audio/vnd.wave), audio/flac, audio/ogg
 * (audio/opus, application/ogg), audio/L16 or application/octet-stream,
 * or absent; a container type must hold that container.
 * Errors name @field: MIRA_API_ERROR_INVALID (missing, or shorter than
 * 20 ms), MIRA_API_ERROR_BAD_REQUEST (a malformed multipart body),
 * MIRA_API_ERROR_UNSUPPORTED_MEDIA (another type, or a type its bytes are
 * not), or the decoder's MIRA_AUDIO_ERROR (mira_audio_file_decode()).
 */
GArray     *mira_api_call_upload_audio    (MiraApiCall  *call,
                                           const char   *field,
                                           GError      **error);
/* The @index-th media type (lowercase, from 0) an audio file may be
 * uploaded as, the whole body's or its form part's, as
 * mira_api_call_upload_audio() takes them; NULL past the last. What
 * /openapi.json lists.
 */
const char *mira_api_audio_media_type     (guint         index);

G_END_DECLS
