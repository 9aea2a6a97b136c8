/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

#include "mira-api-error.h"

#include "mira-audio-decoder.h"
#include "mira-audio-sockets.h"
#include "mira-db.h"
#include "mira-extractor.h"
#include "mira-grants.h"
#include "mira-json.h"
#include "mira-llm.h"
#include "mira-time.h"
#include "mira-transcriber.h"
#include "mira-voice-signature.h"
#include "mira-wyoming.h"

G_DEFINE_QUARK (mira-api-error-quark, mira_api_error)

typedef struct {
  guint       status;
  const char *error_code;
} Answer;

static const Answer api_answers[] = {
  [MIRA_API_ERROR_BAD_REQUEST] = { 400, "BAD_REQUEST" },
  [MIRA_API_ERROR_INVALID_CLIENT_ID] = { 400, "INVALID_CLIENT_ID" },
  [MIRA_API_ERROR_WEBSOCKET_REQUIRED] = { 400, "WEBSOCKET_REQUIRED" },
  [MIRA_API_ERROR_AUTH_REQUIRED] = { 401, "AUTH_REQUIRED" },
  [MIRA_API_ERROR_INVALID_TOKEN] = { 401, "INVALID_TOKEN" },
  [MIRA_API_ERROR_FORBIDDEN] = { 403, "FORBIDDEN" },
  [MIRA_API_ERROR_ADMIN_REQUIRED] = { 403, "ADMIN_REQUIRED" },
  [MIRA_API_ERROR_NETWORK_TOKEN_REQUIRED] = { 403, "NETWORK_TOKEN_REQUIRED" },
  [MIRA_API_ERROR_NETWORK_SUSPENDED] = { 403, "NETWORK_SUSPENDED" },
  [MIRA_API_ERROR_NOT_FOUND] = { 404, "NOT_FOUND" },
  [MIRA_API_ERROR_NETWORK_NOT_FOUND] = { 404, "NETWORK_NOT_FOUND" },
  [MIRA_API_ERROR_CLIENT_NOT_FOUND] = { 404, "CLIENT_NOT_FOUND" },
  [MIRA_API_ERROR_PERSON_NOT_FOUND] = { 404, "PERSON_NOT_FOUND" },
  [MIRA_API_ERROR_CONVERSATION_NOT_FOUND] = { 404, "CONVERSATION_NOT_FOUND" },
  [MIRA_API_ERROR_INTERACTION_NOT_FOUND] = { 404, "INTERACTION_NOT_FOUND" },
  [MIRA_API_ERROR_REMINDER_NOT_FOUND] = { 404, "REMINDER_NOT_FOUND" },
  [MIRA_API_ERROR_CALENDAR_EVENT_NOT_FOUND] = { 404, "CALENDAR_EVENT_NOT_FOUND" },
  [MIRA_API_ERROR_ACTION_NOT_FOUND] = { 404, "ACTION_NOT_FOUND" },
  [MIRA_API_ERROR_STREAM_NOT_FOUND] = { 404, "STREAM_NOT_FOUND" },
  [MIRA_API_ERROR_SETTING_NOT_FOUND] = { 404, "SETTING_NOT_FOUND" },
  [MIRA_API_ERROR_METHOD_NOT_ALLOWED] = { 405, "METHOD_NOT_ALLOWED" },
  [MIRA_API_ERROR_PAYLOAD_TOO_LARGE] = { 413, "PAYLOAD_TOO_LARGE" },
  [MIRA_API_ERROR_UNSUPPORTED_MEDIA] = { 415, "UNSUPPORTED_MEDIA_TYPE" },
  [MIRA_API_ERROR_INVALID] = { 422, "VALIDATION_ERROR" },
};

/* The store: what it does not find is refined where the API knows what it
 * looked for (mira_api_error_refine())
 */
static const Answer db_answers[] = {
  [MIRA_DB_ERROR_FAILED] = { 500, "INTERNAL_ERROR" },
  [MIRA_DB_ERROR_UNAVAILABLE] = { 503, "DATABASE_UNAVAILABLE" },
  [MIRA_DB_ERROR_CONFLICT] = { 409, "CONFLICT" },
  [MIRA_DB_ERROR_CONSTRAINT] = { 422, "VALIDATION_ERROR" },
  [MIRA_DB_ERROR_NOT_FOUND] = { 404, "NOT_FOUND" },
  [MIRA_DB_ERROR_INVALID] = { 422, "VALIDATION_ERROR" },
  [MIRA_DB_ERROR_BAD_KEY] = { 400, "BAD_REQUEST" },
  [MIRA_DB_ERROR_BAD_FILTER] = { 400, "BAD_REQUEST" },
  [MIRA_DB_ERROR_BAD_URI] = { 500, "INTERNAL_ERROR" },
};

static const Answer json_answers[] = {
  [MIRA_JSON_ERROR_SYNTAX] = { 400, "BAD_REQUEST" },
  [MIRA_JSON_ERROR_TOO_DEEP] = { 400, "BAD_REQUEST" },
  [MIRA_JSON_ERROR_BAD_TEXT] = { 422, "VALIDATION_ERROR" },
};

static const Answer time_answers[] = {
  [MIRA_TIME_ERROR_MALFORMED] = { 422, "VALIDATION_ERROR" },
  [MIRA_TIME_ERROR_NO_SUCH_TIME] = { 422, "VALIDATION_ERROR" },
  [MIRA_TIME_ERROR_OUT_OF_RANGE] = { 422, "VALIDATION_ERROR" },
};

static const Answer audio_answers[] = {
  [MIRA_AUDIO_ERROR_FAILED] = { 500, "INTERNAL_ERROR" },
  [MIRA_AUDIO_ERROR_INVALID] = { 422, "VALIDATION_ERROR" },
  [MIRA_AUDIO_ERROR_UNSUPPORTED] = { 415, "UNSUPPORTED_MEDIA_TYPE" },
  [MIRA_AUDIO_ERROR_TOO_LONG] = { 413, "PAYLOAD_TOO_LARGE" },
};

/* The audio sockets close on these and their own
 * (mira_audio_sockets_error_close()); answers still, should a request ever
 * meet them
 */
static const Answer wyoming_answers[] = {
  [MIRA_WYOMING_ERROR_MALFORMED] = { 400, "BAD_REQUEST" },
  [MIRA_WYOMING_ERROR_TOO_LARGE] = { 413, "PAYLOAD_TOO_LARGE" },
  [MIRA_WYOMING_ERROR_TOO_MANY_EVENTS] = { 429, "TOO_MANY_REQUESTS" },
};

static const Answer audio_sockets_answers[] = {
  [MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_FORMATS] = { 429, "TOO_MANY_REQUESTS" },
  [MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_EVENTS] = { 429, "TOO_MANY_REQUESTS" },
  [MIRA_AUDIO_SOCKETS_ERROR_BAD_AUDIO] = { 422, "VALIDATION_ERROR" },
};

/* The sockets are refused or closed on these (mira_grants_error_close());
 * answers still, should a request ever meet them
 */
static const Answer grants_answers[] = {
  [MIRA_GRANTS_ERROR_AUTH_REQUIRED] = { 401, "AUTH_REQUIRED" },
  [MIRA_GRANTS_ERROR_INVALID_TOKEN] = { 401, "INVALID_TOKEN" },
  [MIRA_GRANTS_ERROR_NETWORK_TOKEN_REQUIRED] = { 403, "NETWORK_TOKEN_REQUIRED" },
  [MIRA_GRANTS_ERROR_FORBIDDEN] = { 403, "FORBIDDEN" },
  [MIRA_GRANTS_ERROR_INVALID_CLIENT_ID] = { 400, "INVALID_CLIENT_ID" },
  [MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND] = { 404, "NETWORK_NOT_FOUND" },
  [MIRA_GRANTS_ERROR_NETWORK_SUSPENDED] = { 403, "NETWORK_SUSPENDED" },
  [MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND] = { 404, "CLIENT_NOT_FOUND" },
  [MIRA_GRANTS_ERROR_TOKEN_REVOKED] = { 401, "TOKEN_REVOKED" },
  [MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS] = { 429, "TOO_MANY_SOCKETS" },
};

/* Voice enrolment: the uploaded audio holds too little speech */
static const Answer voice_signature_answers[] = {
  [MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH] = { 422, "VALIDATION_ERROR" },
};

/* The speech services behind the server: their failures are the server's */
static const Answer transcriber_answers[] = {
  [MIRA_TRANSCRIBER_ERROR_FAILED] = { 500, "INTERNAL_ERROR" },
  [MIRA_TRANSCRIBER_ERROR_TIMED_OUT] = { 500, "INTERNAL_ERROR" },
  [MIRA_TRANSCRIBER_ERROR_REFUSED] = { 500, "INTERNAL_ERROR" },
  [MIRA_TRANSCRIBER_ERROR_BAD_ANSWER] = { 500, "INTERNAL_ERROR" },
  [MIRA_TRANSCRIBER_ERROR_INVALID_SPEC] = { 500, "INTERNAL_ERROR" },
  [MIRA_TRANSCRIBER_ERROR_LANGUAGE] = { 500, "INTERNAL_ERROR" },
};

static const Answer llm_answers[] = {
  [MIRA_LLM_ERROR_FAILED] = { 500, "INTERNAL_ERROR" },
  [MIRA_LLM_ERROR_TIMED_OUT] = { 500, "INTERNAL_ERROR" },
  [MIRA_LLM_ERROR_REFUSED] = { 500, "INTERNAL_ERROR" },
  [MIRA_LLM_ERROR_BAD_ANSWER] = { 500, "INTERNAL_ERROR" },
  [MIRA_LLM_ERROR_CANCELLED] = { 500, "INTERNAL_ERROR" },
};

/* An action that is not one comes from a language model: the server's fault */
static const Answer extractor_answers[] = {
  [MIRA_EXTRACTOR_ERROR_BAD_ACTION] = { 500, "INTERNAL_ERROR" },
};

typedef struct {
  GQuark        (*quark) (void);
  const Answer   *answers;
  gsize           n_answers;
} Domain;

#define DOMAIN(quark, answers) { quark, answers, G_N_ELEMENTS (answers) }

static const Domain domains[] = {
  DOMAIN (mira_api_error_quark, api_answers),
  DOMAIN (mira_db_error_quark, db_answers),
  DOMAIN (mira_json_error_quark, json_answers),
  DOMAIN (mira_time_error_quark, time_answers),
  DOMAIN (mira_audio_error_quark, audio_answers),
  DOMAIN (mira_wyoming_error_quark, wyoming_answers),
  DOMAIN (mira_audio_sockets_error_quark, audio_sockets_answers),
  DOMAIN (mira_grants_error_quark, grants_answers),
  DOMAIN (mira_voice_signature_error_quark, voice_signature_answers),
  DOMAIN (mira_transcriber_error_quark, transcriber_answers),
  DOMAIN (mira_llm_error_quark, llm_answers),
  DOMAIN (mira_extractor_error_quark, extractor_answers),
};

gboolean
mira_api_error_lookup (GQuark       domain,
                       gint         code,
                       guint       *status,
                       const char **error_code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (domains); i++)
    {
      const Answer *answer;

      if (domains[i].quark () != domain)
        continue;
      if (code < 0 || (gsize) code >= domains[i].n_answers)
        return FALSE;
      answer = &domains[i].answers[code];
      if (answer->error_code == NULL)
        return FALSE;
      if (status != NULL)
        *status = answer->status;
      if (error_code != NULL)
        *error_code = answer->error_code;
      return TRUE;
    }
  return FALSE;
}

guint
mira_api_error_answer (const GError  *error,
                       const char   **error_code)
{
  guint status;
  const char *code;

  g_return_val_if_fail (error != NULL, 500);

  if (!mira_api_error_lookup (error->domain, error->code, &status, &code))
    {
      status = 500;
      code = "INTERNAL_ERROR";
    }
  if (error_code != NULL)
    *error_code = code;
  return status;
}

gboolean
mira_api_error_refine (GError       **error,
                       GQuark         domain,
                       gint           code,
                       MiraApiError   api_code)
{
  GError *refined;

  if (error == NULL || !g_error_matches (*error, domain, code))
    return FALSE;
  refined = g_error_new_literal (MIRA_API_ERROR, api_code, (*error)->message);
  g_error_free (*error);
  *error = refined;
  return FALSE;
}
