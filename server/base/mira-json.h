/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep JSON from outside may nest (objects and arrays, the outermost
 * counting 1). json-glib parses recursively: far deeper input would
 * overflow the stack, so every text from a peer is checked first.
 */
#define MIRA_JSON_MAX_DEPTH 64

gboolean  mira_json_check  (const char  *data,
                            gsize        len,
                            guint        max_depth,
                            GError     **error);
JsonNode *mira_json_parse  (const char  *data,
                            gsize        len,
                            guint        max_depth,
                            GError     **error);
char     *mira_json_to_string (JsonNode *node,
                               gboolean  pretty);

G_END_DECLS
