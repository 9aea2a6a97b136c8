/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-error"

#include "mira-error.h"

#include <json-glib/json-glib.h>

#include "mira-json.h"
#include "mira-util.h"

G_DEFINE_QUARK (mira-error-quark, mira_error)

guint
mira_error_http_status (const GError *error)
{
  static const guint status[] = {
    [MIRA_ERROR_FAILED] = 500,
    [MIRA_ERROR_BAD_REQUEST] = 400,
    [MIRA_ERROR_UNAUTHORIZED] = 401,
    [MIRA_ERROR_FORBIDDEN] = 403,
    [MIRA_ERROR_NOT_FOUND] = 404,
    [MIRA_ERROR_METHOD_NOT_ALLOWED] = 405,
    [MIRA_ERROR_CONFLICT] = 409,
    [MIRA_ERROR_TOO_LARGE] = 413,
    [MIRA_ERROR_UNSUPPORTED_MEDIA] = 415,
    [MIRA_ERROR_INVALID] = 422,
    [MIRA_ERROR_TOO_MANY] = 429,
    [MIRA_ERROR_UNAVAILABLE] = 503,
  };

  if (error == NULL || error->domain != MIRA_ERROR)
    return 500;
  if (error->code < 0 || (gsize) error->code >= G_N_ELEMENTS (status))
    return 500;
  return status[error->code];
}

char *
mira_error_body (guint       status,
                 const char *error_code,
                 const char *detail)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *now = mira_timestamp_now ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "detail");
  json_builder_add_string_value (builder, detail);
  json_builder_set_member_name (builder, "error_code");
  json_builder_add_string_value (builder, error_code);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, status);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_string_value (builder, now);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return mira_json_to_string (root, FALSE);
}
