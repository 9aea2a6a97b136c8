/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MIRA_API_ERROR (mira_api_error_quark ())

/* What the REST API refuses a request for, before or beside the layers
 * below: its token, its path, its body. Each code is named after the
 * `error_code` it answers with (API.md), but for the two longest, and
 * mira_api_error_answer() is where it becomes one.
 */
typedef enum {
  MIRA_API_ERROR_BAD_REQUEST,              /* 400: malformed parameters or body */
  MIRA_API_ERROR_INVALID_CLIENT_ID,        /* 400 */
  MIRA_API_ERROR_WEBSOCKET_REQUIRED,       /* 400: a plain request to a socket's path */
  MIRA_API_ERROR_AUTH_REQUIRED,            /* 401: no token */
  MIRA_API_ERROR_INVALID_TOKEN,            /* 401: a token nobody holds */
  MIRA_API_ERROR_FORBIDDEN,                /* 403 */
  MIRA_API_ERROR_ADMIN_REQUIRED,           /* 403 */
  MIRA_API_ERROR_NETWORK_TOKEN_REQUIRED,   /* 403 */
  MIRA_API_ERROR_NETWORK_SUSPENDED,        /* 403 */
  MIRA_API_ERROR_NOT_FOUND,                /* 404: no such endpoint */
  MIRA_API_ERROR_NETWORK_NOT_FOUND,        /* 404, as each of the network's resources: */
  MIRA_API_ERROR_CLIENT_NOT_FOUND,
  MIRA_API_ERROR_PERSON_NOT_FOUND,
  MIRA_API_ERROR_CONVERSATION_NOT_FOUND,
  MIRA_API_ERROR_INTERACTION_NOT_FOUND,
  MIRA_API_ERROR_REMINDER_NOT_FOUND,
  MIRA_API_ERROR_CALENDAR_EVENT_NOT_FOUND,
  MIRA_API_ERROR_ACTION_NOT_FOUND,
  MIRA_API_ERROR_STREAM_NOT_FOUND,
  MIRA_API_ERROR_SETTING_NOT_FOUND,
  MIRA_API_ERROR_METHOD_NOT_ALLOWED,       /* 405 */
  MIRA_API_ERROR_PAYLOAD_TOO_LARGE,        /* 413: a body over the route's limit */
  MIRA_API_ERROR_UNSUPPORTED_MEDIA,        /* 415 UNSUPPORTED_MEDIA_TYPE: not JSON, not audio */
  MIRA_API_ERROR_INVALID,                  /* 422 VALIDATION_ERROR: names the field */
} MiraApiError;

GQuark      mira_api_error_quark    (void);

/* The one place where an error of any layer becomes an HTTP answer: its
 * status and API.md's `error_code`. Errors of a domain or code that has no
 * answer (a library's own) are 500 INTERNAL_ERROR.
 */
guint       mira_api_error_answer   (const GError  *error,
                                     const char   **error_code);

/* The answer of (@domain, @code), FALSE when there is none: for tests
 * that every code of every domain has one.
 */
gboolean    mira_api_error_lookup   (GQuark         domain,
                                     gint           code,
                                     guint         *status,
                                     const char   **error_code);

/* When *@error is (@domain, @code) (a store's "not found", say), replaces
 * it by MIRA_API_ERROR's @api_code with the same message, so that the
 * answer names what was not found. Returns FALSE, to end a handler with.
 */
gboolean    mira_api_error_refine   (GError       **error,
                                     GQuark         domain,
                                     gint           code,
                                     MiraApiError   api_code);

G_END_DECLS
