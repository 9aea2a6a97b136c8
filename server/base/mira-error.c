/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-error"

#include "mira-error.h"

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
