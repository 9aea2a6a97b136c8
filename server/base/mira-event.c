/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "mira-event.h"

#include "mira-util.h"

JsonObject *
mira_event_new (const char *type,
                const char *network_id,
                const char *member,
                JsonObject *payload)
{
  JsonObject *event = json_object_new ();
  g_autofree char *now = mira_timestamp_now ();

  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "network_id", network_id);
  json_object_set_string_member (event, "timestamp", now);
  if (member != NULL && payload != NULL)
    json_object_set_object_member (event, member, json_object_ref (payload));
  return event;
}
