/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraConnection: one network on one server, over REST and the event socket
 * (API.md), the same for a remote server and the app's own embedded one.
 *
 * mira_connection_start() loads the initial state by REST, then opens the
 * event socket and keeps every list model in sync from its events; nothing
 * polls. A dropped socket or an unreachable server sets the state to
 * CONNECTING and retries with exponential backoff (0.5 s doubling to 30 s,
 * with jitter); on reconnect the state is loaded again and the models are
 * updated in place (items keep their identity). Answers that arrive after a
 * stop or a restart are dropped.
 *
 * Properties (read-only, notified): base-url, network-id, token, client-id,
 * network-name, state (MiraConnectionState), last-error (GError boxed),
 * best-client-id, network (MiraNetworkItem), server-version, transcriber.
 *
 * Signals: reminder-due (reminder_id, title, description): the server's
 * reminder_due event.
 * best-client-id, time-zone (the network's IANA time zone setting, "UTC"
 * when unset or unknown here).
 *
 * Lives on the thread-default main context of the thread that creates it;
 * every signal and notify is emitted there.
 */

#define MIRA_TYPE_CONNECTION (mira_connection_get_type ())
G_DECLARE_FINAL_TYPE (MiraConnection, mira_connection, MIRA, CONNECTION, GObject)

/* @base_url e.g. "http://127.0.0.1:8080"; @token a session or network
 * token of @network_id; @client_id this device's client id, or NULL.
 */
MiraConnection      *mira_connection_new                (const char          *base_url,
                                                         const char          *network_id,
                                                         const char          *token,
                                                         const char          *client_id);
const char          *mira_connection_get_base_url       (MiraConnection      *self);
const char          *mira_connection_get_network_id     (MiraConnection      *self);
const char          *mira_connection_get_token          (MiraConnection      *self);
/* This device's own client id, or NULL */
const char          *mira_connection_get_client_id      (MiraConnection      *self);
/* The network's name once loaded, or NULL */
const char          *mira_connection_get_network_name   (MiraConnection      *self);
MiraConnectionState  mira_connection_get_state          (MiraConnection      *self);
/* Why the last attempt failed, while CONNECTING after a failure (or
 * OFFLINE with MIRA_CORE_ERROR_INVALID_LINK for a base URL that is no
 * http(s) URL); else NULL
 */
const GError        *mira_connection_get_last_error     (MiraConnection      *self);
/* The client id of the stream the server selected, or NULL */
const char          *mira_connection_get_best_client_id (MiraConnection      *self);

void                 mira_connection_start              (MiraConnection      *self);
void                 mira_connection_stop               (MiraConnection      *self);

/* GListModel of MiraClientItem, every client of the network, in the order
 * they registered.
 */
GListModel          *mira_connection_get_clients        (MiraConnection      *self);
MiraClientItem      *mira_connection_lookup_client      (MiraConnection      *self,
                                                         const char          *client_id);
/* How many interactions the live transcript holds */
#define MIRA_CONNECTION_LIVE_INTERACTIONS 50

/* GListModel of MiraInteractionItem: the live transcript, oldest first: the
 * newest MIRA_CONNECTION_LIVE_INTERACTIONS, at start and as
 * interaction_created events come (the oldest is dropped for each new one);
 * after a reconnect, what was shown keeps its items, then the newest page.
 * A conversation's whole transcript is a MiraTranscriptModel.
 */
GListModel          *mira_connection_get_interactions   (MiraConnection      *self);

/* GListModel of MiraPersonItem: the network's persons, who speak in the
 * interactions.
 */
GListModel          *mira_connection_get_persons        (MiraConnection      *self);

/* The network (MiraNetworkItem, the same object for the connection's
 * life): filled from the REST read and network_updated events.
 */
MiraNetworkItem     *mira_connection_get_network        (MiraConnection      *self);
/* The server's version and transcriber ("sphinx", "none", …) from
 * service/info, or NULL before the first load (properties server-version,
 * transcriber).
 */
const char          *mira_connection_get_server_version (MiraConnection      *self);
const char          *mira_connection_get_transcriber    (MiraConnection      *self);
/* GListModel of MiraSettingItem: the settings that were set, keyed by
 * key, in sync from setting_created/_updated/_deleted.
 */
GListModel          *mira_connection_get_settings       (MiraConnection      *self);
/* The setting of @key, or NULL while it has the server's default */
MiraSettingItem     *mira_connection_lookup_setting     (MiraConnection      *self,
                                                         const char          *key);

/* Writes. Each changes the server and nothing locally: the models follow
 * from the events the server sends. Errors are MIRA_CORE_ERROR with the
 * server's reason (e.g. MIRA_CORE_ERROR_INVALID "The server refused: Field
 * 'value': 'Mars/Base' is not an IANA time zone name …").
 */

/* Renames the network (PATCH networks/{id} {name}); needs the network
 * token or an admin token: a session token gets MIRA_CORE_ERROR_UNAUTHORIZED.
 * @token: the token to write with, or NULL for the connection's own.
 */
void                 mira_connection_rename_network_async  (MiraConnection      *self,
                                                            const char          *name,
                                                            const char          *token,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean             mira_connection_rename_network_finish (MiraConnection      *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* Sets the network setting @key (PUT settings/{key}) to @value: a string
 * ("s"), a number ("d", "i", "u") or a boolean ("b").
 */
void                 mira_connection_set_setting_async     (MiraConnection      *self,
                                                            const char          *key,
                                                            GVariant            *value,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean             mira_connection_set_setting_finish    (MiraConnection      *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* Deletes the network setting @key (DELETE settings/{key}), so that the
 * server's default applies again (for "transcriber", the server's own
 * chain). A key that was not set fails with MIRA_CORE_ERROR_NOT_FOUND.
 */
void                 mira_connection_reset_setting_async   (MiraConnection      *self,
                                                            const char          *key,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean             mira_connection_reset_setting_finish  (MiraConnection      *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* Deregisters the client @client_id: its sessions end and its sockets
 * close. @token: the network token, or NULL for the connection's own
 * (which may deregister only this device).
 */
void                 mira_connection_deregister_client_async  (MiraConnection      *self,
                                                               const char          *client_id,
                                                               const char          *token,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean             mira_connection_deregister_client_finish (MiraConnection      *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);
/* Completes the reminder @reminder_id (POST reminders/{id}/complete) */
void                 mira_connection_complete_reminder_async  (MiraConnection      *self,
                                                               const char          *reminder_id,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean             mira_connection_complete_reminder_finish (MiraConnection      *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);
/* GListModel of MiraConversationItem: the newest 500 conversations, in the
 * order the server gives them at start (newest first), new ones appended.
 */
GListModel          *mira_connection_get_conversations  (MiraConnection      *self);
/* GListModel of MiraReminderItem: every reminder, sorted by due time at
 * start, new ones appended.
 */
GListModel          *mira_connection_get_reminders      (MiraConnection      *self);
/* GListModel of MiraEventItem: the calendar's events (the first 500 by
 * start time), new ones appended.
 */
GListModel          *mira_connection_get_events         (MiraConnection      *self);
/* The network's time zone: an IANA name such as "Europe/Lisbon" */
const char          *mira_connection_get_time_zone      (MiraConnection      *self);

/* The URL of this device's audio socket (ws:// or wss://, with the codec
 * and token in the query), or NULL without a client id.
 */
char                *mira_connection_dup_audio_url      (MiraConnection      *self,
                                                         const char          *codec);

/* Checks @base_url, @network_id and @token against the server (GET the
 * network) without changing anything: fails with a MIRA_CORE_ERROR
 * (UNREACHABLE, TLS, UNAUTHORIZED, NOT_FOUND, SERVER).
 */
void                 mira_connection_check_async        (const char          *base_url,
                                                         const char          *network_id,
                                                         const char          *token,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean             mira_connection_check_finish       (GAsyncResult        *result,
                                                         char               **network_name,
                                                         GError             **error);

/* Registers @client_id of @device_type ("desktop", "phone", …) with a
 * network token; returns the session token.
 */
void                 mira_connection_register_async     (const char          *base_url,
                                                         const char          *network_id,
                                                         const char          *network_token,
                                                         const char          *client_id,
                                                         const char          *device_type,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
char                *mira_connection_register_finish    (GAsyncResult        *result,
                                                         GError             **error);

/* A join link (API.md): http(s)://HOST:PORT/join#net=<network_id>&token=<token>.
 * parse returns FALSE with MIRA_CORE_ERROR_INVALID_LINK for anything else.
 */
char                *mira_join_link_build               (const char          *base_url,
                                                         const char          *network_id,
                                                         const char          *network_token);
gboolean             mira_join_link_parse               (const char          *link,
                                                         char               **base_url,
                                                         char               **network_id,
                                                         char               **network_token,
                                                         GError             **error);

/* The pages' writes. Each sends one request of API.md with the connection's
 * token; the models follow from the event the server sends for it, as they
 * do for any other device's write. Each finishes with
 * mira_connection_write_finish(), the search with
 * mira_connection_search_conversations_finish(); completing a reminder is
 * mira_connection_complete_reminder_async() above. Errors
 * are MIRA_CORE_ERROR: UNREACHABLE (no answer), UNAUTHORIZED (401/403),
 * NOT_FOUND (404: the entity is gone), INVALID (400/422: the server's
 * detail names the field), SERVER (any other refusal); messages are for
 * people.
 */

/* POST conversations/{id}/close */
void                 mira_connection_close_conversation_async  (MiraConnection      *self,
                                                                const char          *conversation_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* DELETE conversations/{id}; its interactions stay, without a conversation */
void                 mira_connection_delete_conversation_async (MiraConnection      *self,
                                                                const char          *conversation_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* Conversations whose title or words match @query (the API's q=), newest
 * first, at most 200: a GListModel of MiraConversationItem, the connection's
 * own items where it has them (so they stay live).
 */
void                 mira_connection_search_conversations_async  (MiraConnection      *self,
                                                                  const char          *query,
                                                                  GCancellable        *cancellable,
                                                                  GAsyncReadyCallback  callback,
                                                                  gpointer             user_data);
GListModel          *mira_connection_search_conversations_finish (MiraConnection      *self,
                                                                  GAsyncResult        *result,
                                                                  GError             **error);

/* Creates a reminder (@reminder_id NULL: POST reminders) or changes one
 * (PUT reminders/{id}): @title non-empty, @description or NULL, @due_time
 * any time zone, @priority.
 */
void                 mira_connection_save_reminder_async       (MiraConnection      *self,
                                                                const char          *reminder_id,
                                                                const char          *title,
                                                                const char          *description,
                                                                GDateTime           *due_time,
                                                                MiraReminderPriority priority,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* DELETE reminders/{id} */
void                 mira_connection_delete_reminder_async     (MiraConnection      *self,
                                                                const char          *reminder_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);

/* Creates a calendar event (@event_id NULL) or changes one: @title
 * non-empty, @start_time, @end_time (NULL: an instant; else after
 * @start_time), @location or NULL, @attendees (NULL-terminated, or NULL).
 */
void                 mira_connection_save_event_async          (MiraConnection      *self,
                                                                const char          *event_id,
                                                                const char          *title,
                                                                GDateTime           *start_time,
                                                                GDateTime           *end_time,
                                                                const char          *location,
                                                                const char * const  *attendees,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* DELETE calendar/events/{id} */
void                 mira_connection_delete_event_async        (MiraConnection      *self,
                                                                const char          *event_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);

/* PUT persons/{id} {"name"}: @name non-empty */
void                 mira_connection_rename_person_async       (MiraConnection      *self,
                                                                const char          *person_id,
                                                                const char          *name,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* POST persons/{into_id}/merge {"from": from_id}: @from_id's interactions
 * become @into_id's, and @from_id is deleted
 */
void                 mira_connection_merge_persons_async       (MiraConnection      *self,
                                                                const char          *into_id,
                                                                const char          *from_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
/* DELETE persons/{id}; their interactions stay, without a speaker */
void                 mira_connection_delete_person_async       (MiraConnection      *self,
                                                                const char          *person_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);

gboolean             mira_connection_write_finish              (MiraConnection      *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);

G_END_DECLS
