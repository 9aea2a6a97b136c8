/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep JSON from outside may nest (objects and arrays, the outermost
 * counting 1). json-glib parses recursively: far deeper input would
 * overflow the stack, so every text from a peer is checked first.
 */
#define MIRA_JSON_MAX_DEPTH 64

#define MIRA_JSON_ERROR (mira_json_error_quark ())

/* Why a JSON text from a peer is refused */
typedef enum {
  MIRA_JSON_ERROR_SYNTAX,    /* not strict JSON (RFC 8259), or no value at all */
  MIRA_JSON_ERROR_TOO_DEEP,  /* nests deeper than allowed */
  MIRA_JSON_ERROR_BAD_TEXT,  /* a string that is not valid UTF-8 without U+0000;
                              * the message names the field */
} MiraJsonError;

GQuark    mira_json_error_quark (void);

gboolean  mira_json_check  (const char  *data,
                            gsize        len,
                            guint        max_depth,
                            GError     **error);
JsonNode *mira_json_parse  (const char  *data,
                            gsize        len,
                            guint        max_depth,
                            GError     **error);
char     *mira_json_format_double (char   *buffer,
                                   double  value);
char     *mira_json_to_string (JsonNode *node,
                               gboolean  pretty);

G_END_DECLS
