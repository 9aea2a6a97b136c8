/* SPDX-License-Identifier: GPL-3.0-or-later */

/* libFuzzer target: every JSON text from outside goes through
 * mira_json_parse() (REST bodies, event-socket messages, setting values).
 * Whatever it accepts json-glib must parse, and nothing may crash.
 */

#include "mira-json.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = mira_json_parse ((const char *) data, size, MIRA_JSON_MAX_DEPTH,
                                              &error);

  /* Checked means parsed: the two never disagree. */
  if (mira_json_check ((const char *) data, size, MIRA_JSON_MAX_DEPTH, NULL))
    g_assert_nonnull (root);
  else
    g_assert_true (error != NULL && error->domain == MIRA_JSON_ERROR);
  return 0;
}
