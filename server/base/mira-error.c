/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-error"

#include "mira-error.h"

#include <json-glib/json-glib.h>

#include "mira-json.h"
#include "mira-util.h"

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
