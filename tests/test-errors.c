/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-errors"

/* Every code of every error domain has its HTTP answer in
 * mira_api_error_answer(), the one place that gives them; the API's
 * programs (test-api-*) check the answers end to end.
 */

#include <gio/gio.h>

#include "mira-api-error.h"
#include "mira-api-error-enums.h"
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

/* Each domain, with the GType of its enum (server/api/meson.build makes
 * them): a new domain is a line here and a header there.
 */
static const struct {
  GQuark (*quark) (void);
  GType  (*get_type) (void);
} domains[] = {
  { mira_api_error_quark, mira_api_error_get_type },
  { mira_db_error_quark, mira_db_error_get_type },
  { mira_json_error_quark, mira_json_error_get_type },
  { mira_time_error_quark, mira_time_error_get_type },
  { mira_audio_error_quark, mira_audio_error_get_type },
  { mira_wyoming_error_quark, mira_wyoming_error_get_type },
  { mira_voice_signature_error_quark, mira_voice_signature_error_get_type },
  { mira_transcriber_error_quark, mira_transcriber_error_get_type },
  { mira_llm_error_quark, mira_llm_error_get_type },
  { mira_extractor_error_quark, mira_extractor_error_get_type },
  { mira_audio_sockets_error_quark, mira_audio_sockets_error_get_type },
  { mira_grants_error_quark, mira_grants_error_get_type },
};

static gboolean
is_error_code (const char *text)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isupper (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static void
test_every_code_answered (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (domains); i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (domains[i].get_type ());
      GEnumClass *enum_class = G_ENUM_CLASS (klass);

      g_assert_cmpuint (enum_class->n_values, >, 0);
      for (guint v = 0; v < enum_class->n_values; v++)
        {
          const GEnumValue *value = &enum_class->values[v];
          guint status = 0;
          const char *code = NULL;

          if (!mira_api_error_lookup (domains[i].quark (), value->value, &status, &code))
            g_error ("%s has no HTTP answer", value->value_name);
          if (status < 400 || status > 599 || !is_error_code (code))
            g_error ("%s answers %u %s", value->value_name, status, code);
          g_test_message ("%s: %u %s", value->value_name, status, code);
        }
    }
}

static void
assert_answer (GQuark      domain,
               gint        code,
               guint       status,
               const char *error_code)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, "why");
  const char *answered = NULL;

  g_assert_cmpuint (mira_api_error_answer (error, &answered), ==, status);
  g_assert_cmpstr (answered, ==, error_code);
}

static void
test_answers (void)
{
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_INVALID, 422, "VALIDATION_ERROR");
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_AUTH_REQUIRED, 401, "AUTH_REQUIRED");
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_METHOD_NOT_ALLOWED, 405, "METHOD_NOT_ALLOWED");
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_NETWORK_SUSPENDED, 403, "NETWORK_SUSPENDED");
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_CALENDAR_EVENT_NOT_FOUND, 404,
                 "CALENDAR_EVENT_NOT_FOUND");
  assert_answer (MIRA_API_ERROR, MIRA_API_ERROR_UNSUPPORTED_MEDIA, 415,
                 "UNSUPPORTED_MEDIA_TYPE");
  /* Malformed JSON is a bad request; a string in it that is no text, a field's value */
  assert_answer (MIRA_JSON_ERROR, MIRA_JSON_ERROR_TOO_DEEP, 400, "BAD_REQUEST");
  assert_answer (MIRA_JSON_ERROR, MIRA_JSON_ERROR_BAD_TEXT, 422, "VALIDATION_ERROR");
  assert_answer (MIRA_TIME_ERROR, MIRA_TIME_ERROR_NO_SUCH_TIME, 422, "VALIDATION_ERROR");
  /* The store: down, a duplicate, a row that is not there */
  assert_answer (MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE, 503, "DATABASE_UNAVAILABLE");
  assert_answer (MIRA_DB_ERROR, MIRA_DB_ERROR_CONFLICT, 409, "CONFLICT");
  assert_answer (MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND, 404, "NOT_FOUND");
  assert_answer (MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_FILTER, 400, "BAD_REQUEST");
  /* An upload: too long, of a format we do not read */
  assert_answer (MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_TOO_LONG, 413, "PAYLOAD_TOO_LARGE");
  assert_answer (MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_UNSUPPORTED, 415, "UNSUPPORTED_MEDIA_TYPE");

  /* A library's own error, or a code past the enum's end: an internal error */
  assert_answer (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, 500, "INTERNAL_ERROR");
  assert_answer (MIRA_API_ERROR, 1000, 500, "INTERNAL_ERROR");
  assert_answer (MIRA_API_ERROR, -1, 500, "INTERNAL_ERROR");
  g_assert_false (mira_api_error_lookup (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, NULL, NULL));
}

static void
test_refine (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                 "Person not found in network");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "broken");

  /* What matches is answered with the API's code and the same words */
  g_assert_false (mira_api_error_refine (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                         MIRA_API_ERROR_PERSON_NOT_FOUND));
  g_assert_error (error, MIRA_API_ERROR, MIRA_API_ERROR_PERSON_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Person not found in network");

  /* Anything else stays as it was */
  g_assert_false (mira_api_error_refine (&other, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                         MIRA_API_ERROR_PERSON_NOT_FOUND));
  g_assert_error (other, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (other->message, ==, "broken");
}

/* An audio socket closes with one of four codes for whatever stops it:
 * 1011 only when the database could not be reached
 */
static void
test_audio_socket_close (void)
{
  static const struct {
    GQuark      (*quark) (void);
    GType       (*get_type) (void);
  } socket_domains[] = {
    { mira_wyoming_error_quark, mira_wyoming_error_get_type },
    { mira_audio_error_quark, mira_audio_error_get_type },
    { mira_audio_sockets_error_quark, mira_audio_sockets_error_get_type },
    { mira_grants_error_quark, mira_grants_error_get_type },
    { mira_db_error_quark, mira_db_error_get_type },
  };
  static const struct {
    GQuark     (*quark) (void);
    gint         code;
    gushort      close_code;
    const char  *error_code;
  } cases[] = {
    { mira_wyoming_error_quark, MIRA_WYOMING_ERROR_TOO_LARGE, 1009, "MESSAGE_TOO_LARGE" },
    { mira_wyoming_error_quark, MIRA_WYOMING_ERROR_MALFORMED, 1003, "INVALID_AUDIO" },
    { mira_wyoming_error_quark, MIRA_WYOMING_ERROR_TOO_MANY_EVENTS, 1008, "INVALID_AUDIO" },
    { mira_audio_error_quark, MIRA_AUDIO_ERROR_INVALID, 1003, "INVALID_AUDIO" },
    { mira_audio_error_quark, MIRA_AUDIO_ERROR_FAILED, 1008, "INVALID_AUDIO" },
    { mira_audio_sockets_error_quark, MIRA_AUDIO_SOCKETS_ERROR_BAD_AUDIO, 1003, "INVALID_AUDIO" },
    { mira_audio_sockets_error_quark, MIRA_AUDIO_SOCKETS_ERROR_TOO_MANY_FORMATS, 1008,
      "INVALID_AUDIO" },
    { g_io_error_quark, G_IO_ERROR_FAILED, 1008, "INVALID_AUDIO" },
    { mira_grants_error_quark, MIRA_GRANTS_ERROR_INVALID_TOKEN, 1008, "INVALID_TOKEN" },
    { mira_grants_error_quark, MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND, 1008, "CLIENT_NOT_FOUND" },
    { mira_grants_error_quark, MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS, 1008, "TOO_MANY_SOCKETS" },
    { mira_db_error_quark, MIRA_DB_ERROR_UNAVAILABLE, 1011, "DATABASE_UNAVAILABLE" },
    { mira_db_error_quark, MIRA_DB_ERROR_FAILED, 1008, "INTERNAL_ERROR" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (socket_domains); i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (socket_domains[i].get_type ());
      GEnumClass *enum_class = G_ENUM_CLASS (klass);

      for (guint v = 0; v < enum_class->n_values; v++)
        {
          g_autoptr(GError) error = g_error_new_literal (socket_domains[i].quark (),
                                                         enum_class->values[v].value, "why");
          const char *error_code = NULL;
          gushort code = mira_audio_sockets_error_close (error, &error_code);

          if (code != 1003 && code != 1008 && code != 1009 &&
              !(code == 1011 && g_error_matches (error, MIRA_DB_ERROR,
                                                 MIRA_DB_ERROR_UNAVAILABLE)))
            g_error ("%s closes with %u", enum_class->values[v].value_name, code);
          g_assert_true (is_error_code (error_code));
          /* What refuses a socket says the `error_code` a request would get */
          if (error->domain == MIRA_GRANTS_ERROR ||
              g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE))
            {
              const char *api_code = NULL;

              mira_api_error_answer (error, &api_code);
              g_assert_cmpstr (error_code, ==, api_code);
            }
        }
    }

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (cases[i].quark (), cases[i].code, "why");
      const char *error_code = NULL;

      g_assert_cmpuint (mira_audio_sockets_error_close (error, &error_code), ==,
                        cases[i].close_code);
      g_assert_cmpstr (error_code, ==, cases[i].error_code);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/errors/every-code-answered", test_every_code_answered);
  g_test_add_func ("/errors/answers", test_answers);
  g_test_add_func ("/errors/refine", test_refine);
  g_test_add_func ("/errors/audio-socket-close", test_audio_socket_close);

  return g_test_run ();
}
