/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Closing a conversation on request; the rules are the store's
 * (mira-conversations.h).
 */

#include "mira-api.h"
#include "mira-api-error.h"

#include "mira-conversations.h"
#include "mira-db.h"

gboolean
mira_api_conversation_close (MiraApiCall  *call,
                             MiraDb       *db,
                             GError      **error)
{
  g_autoptr(JsonObject) object = NULL;

  object = mira_conversations_close (db, call->net_uuid, call->network_id,
                                     mira_api_call_arg (call, 1), "closed on request",
                                     call->events, error);
  if (object == NULL)
    return mira_api_error_refine (error, MIRA_DB_ERROR, MIRA_DB_ERROR_NOT_FOUND,
                                  MIRA_API_ERROR_CONVERSATION_NOT_FOUND);
  mira_api_call_respond_object (call, 200, g_steal_pointer (&object));
  return TRUE;
}
