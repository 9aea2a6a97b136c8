/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-client-item.h"
#include "mira-conversation-item.h"
#include "mira-event-item.h"
#include "mira-interaction-item.h"
#include "mira-network-item.h"
#include "mira-person-item.h"
#include "mira-setting-item.h"
#include "mira-reminder-item.h"

G_BEGIN_DECLS

/* What the core's own files share: items are filled from the API's JSON
 * here, so that widgets only ever see typed properties. Not for app/gui.
 */

/* How long a client's score history reaches back */
#define MIRA_SCORE_HISTORY_US (60 * G_USEC_PER_SEC)

MiraClientItem      *mira_client_item_new               (const char          *client_id);
/* @client: API.md's client object; absent members keep their value.
 * The score comes from streams, not from here.
 */
void                 mira_client_item_update            (MiraClientItem      *self,
                                                         JsonObject          *client);
void                 mira_client_item_set_status        (MiraClientItem      *self,
                                                         MiraClientStatus     status);
void                 mira_client_item_set_is_self       (MiraClientItem      *self,
                                                         gboolean             is_self);
void                 mira_client_item_set_is_best       (MiraClientItem      *self,
                                                         gboolean             is_best);
/* Sets quality-score and appends (@time_us, @score) to the history,
 * dropping points older than MIRA_SCORE_HISTORY_US before @time_us.
 */
void                 mira_client_item_add_score         (MiraClientItem      *self,
                                                         gint64               time_us,
                                                         double               score);
/* Sets quality-score alone, e.g. from a snapshot; < 0: no live stream.
 * The history is kept.
 */
void                 mira_client_item_set_quality_score (MiraClientItem      *self,
                                                         double               score);

MiraInteractionItem *mira_interaction_item_new          (const char          *interaction_id);
/* @interaction: API.md's interaction object */
void                 mira_interaction_item_update       (MiraInteractionItem *self,
                                                         JsonObject          *interaction);
void                 mira_interaction_item_set_device_name (MiraInteractionItem *self,
                                                            const char          *device_name);
void                 mira_interaction_item_set_speaker  (MiraInteractionItem *self,
                                                         const char          *speaker);

MiraPersonItem      *mira_person_item_new               (const char          *person_id);
/* @person: API.md's person object */
void                 mira_person_item_update            (MiraPersonItem      *self,
                                                         JsonObject          *person);

MiraNetworkItem     *mira_network_item_new              (const char          *network_id);
/* @network: API.md's network object */
void                 mira_network_item_update           (MiraNetworkItem     *self,
                                                         JsonObject          *network);
/* "active", "inactive", "suspended"; anything else reads as active */
MiraNetworkStatus    mira_network_status_from_string    (const char          *status);

MiraSettingItem     *mira_setting_item_new              (const char          *key);
/* @setting: API.md's setting object {key, value, type} */
void                 mira_setting_item_update           (MiraSettingItem     *self,
                                                         JsonObject          *setting);
MiraConversationItem *mira_conversation_item_new        (const char          *conversation_id);
/* @conversation: API.md's conversation object */
void                 mira_conversation_item_update      (MiraConversationItem *self,
                                                         JsonObject          *conversation);
void                 mira_conversation_item_set_participant_names (MiraConversationItem *self,
                                                                   const char           *names);

MiraReminderItem    *mira_reminder_item_new             (const char          *reminder_id);
/* @reminder: API.md's reminder object */
void                 mira_reminder_item_update          (MiraReminderItem    *self,
                                                         JsonObject          *reminder);

MiraEventItem       *mira_event_item_new                (const char          *event_id);
/* @event: API.md's calendar event object */
void                 mira_event_item_update             (MiraEventItem       *self,
                                                         JsonObject          *event);

/* The connection's own helpers for the core's other files */
typedef struct _MiraConnection MiraConnection;
/* Sets @item's device name and speaker from the connection's lists */
void                 mira_connection_fill_interaction   (MiraConnection      *self,
                                                         MiraInteractionItem *item);
/* The item of @id in @list, one of the connection's synced lists, or NULL
 * (borrowed)
 */
gpointer             mira_connection_lookup_synced      (MiraConnection      *self,
                                                         GListModel          *list,
                                                         const char          *id);

/* @base_url ("http(s)://host[:port][/prefix]") without a trailing slash,
 * or NULL when it is no http(s) URL
 */
char                *mira_base_url_normalize            (const char          *base_url);

/* A request of the API at @base_url/api/v1/@path (escaped by the caller)
 * with @token as bearer and @body (may be NULL) as JSON; the answer's
 * object, or a MIRA_CORE_ERROR as mira_connection_check_async() gives.
 */
void                 mira_api_request_async             (const char          *base_url,
                                                         const char          *method,
                                                         const char          *path,
                                                         const char          *token,
                                                         JsonObject          *body,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
JsonObject          *mira_api_request_finish            (GAsyncResult        *result,
                                                         GError             **error);

/* Small readers of the API's JSON: NULL (or @fallback) for a missing or
 * null member, so that a partial object never aborts.
 */
const char          *mira_json_get_string              (JsonObject          *object,
                                                         const char          *member);
double               mira_json_get_double              (JsonObject          *object,
                                                         const char          *member,
                                                         double               fallback);
/* An RFC 3339 member as a local GDateTime, or NULL */
GDateTime           *mira_json_dup_date_time           (JsonObject          *object,
                                                         const char          *member);

/* A string array member as a NULL-terminated array (never NULL; elements
 * that are no strings are left out)
 */
char               **mira_json_dup_strv                (JsonObject          *object,
                                                         const char          *member);
/* Sets *@field to @value (transfer full) and returns TRUE when it changed */
gboolean             mira_set_date_time                (GDateTime          **field,
                                                         GDateTime           *value);
/* Whether two string arrays (NULL is empty) hold the same strings in order */
gboolean             mira_strv_equal                   (char               **a,
                                                         char               **b);
/* µs since the epoch (g_date_time_to_unix_usec is GLib 2.80) */
gint64               mira_date_time_to_usec            (GDateTime           *time);
/* @time as the API's timestamps: RFC 3339 UTC, "2026-01-15T10:30:00Z" */
char                *mira_date_time_format_iso8601     (GDateTime           *time);

/* Sets *@field to a copy of @value and returns TRUE when it changed */
gboolean             mira_set_string                   (char               **field,
                                                         const char          *value);

/* The list items' updates from the API's objects: when @object has
 * @member, *@field takes its value, and @item notifies @pspec if it
 * changed. A time also notifies @usec_pspec (its microseconds since the
 * epoch, which list models sort by) when not NULL.
 */
void                 mira_update_string                (GObject             *item,
                                                         char               **field,
                                                         JsonObject          *object,
                                                         const char          *member,
                                                         GParamSpec          *pspec);
void                 mira_update_date_time             (GObject             *item,
                                                         GDateTime          **field,
                                                         JsonObject          *object,
                                                         const char          *member,
                                                         GParamSpec          *pspec,
                                                         GParamSpec          *usec_pspec);

G_END_DECLS
