/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MIRA_ERROR (mira_error_quark ())

/* One code per class of failure; being replaced by a domain per concept,
 * which mira_api_error_answer() (server/api/) maps to HTTP statuses.
 */
typedef enum {
  MIRA_ERROR_FAILED,            /* 500 */
  MIRA_ERROR_BAD_REQUEST,       /* 400: malformed JSON or parameters */
  MIRA_ERROR_UNAUTHORIZED,      /* 401 */
  MIRA_ERROR_FORBIDDEN,         /* 403 */
  MIRA_ERROR_NOT_FOUND,         /* 404 */
  MIRA_ERROR_METHOD_NOT_ALLOWED,/* 405 */
  MIRA_ERROR_CONFLICT,          /* 409 */
  MIRA_ERROR_TOO_LARGE,         /* 413 */
  MIRA_ERROR_UNSUPPORTED_MEDIA, /* 415 */
  MIRA_ERROR_INVALID,           /* 422: validation; the message names the field */
  MIRA_ERROR_TOO_MANY,          /* 429 */
  MIRA_ERROR_UNAVAILABLE,       /* 503: the database is unreachable */
} MiraErrorCode;

GQuark      mira_error_quark        (void);

/* The body of every error answer (API.md's error shape):
 * {"detail", "error_code", "status", "timestamp"}, as JSON text.
 */
char       *mira_error_body         (guint         status,
                                     const char   *error_code,
                                     const char   *detail);

G_END_DECLS
