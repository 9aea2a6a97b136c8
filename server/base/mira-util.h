/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Randomness comes from the kernel (getrandom), never from g_random_*. */
void      mira_random_bytes         (guint8        *buf,
                                     gsize          len);
char     *mira_random_hex           (gsize          n_bytes);
char     *mira_uuid_new             (void);
char     *mira_network_id_new       (void);
char     *mira_client_id_new        (void);
char     *mira_token_new            (const char    *prefix);

char     *mira_sha256_hex           (const char    *text);
gboolean  mira_secure_equal         (const char    *a,
                                     const char    *b);

gboolean  mira_str_is_blank         (const char    *str);

gboolean  mira_is_uuid              (const char    *str);
gboolean  mira_is_network_id        (const char    *str);
gboolean  mira_is_client_id         (const char    *str);
/* A client id for a device name a person typed (any UTF-8): the name
 * itself when it is a valid client id, else its letters and digits
 * (accents dropped, lower case, the rest as '-', at most 41 characters)
 * and '-' and 8 hex digits of the SHA-256 of the name in NFC, so that the
 * same name always gives the same id and names that clean alike stay apart.
 * E.g. "kitchen omi" → "kitchen-omi-3f2a…", "🎤" → "device-…".
 */
char     *mira_client_id_from_name  (const char    *name);

/* Decodes a URL's query string as browsers and HTML forms encode it
 * (application/x-www-form-urlencoded: '+' is a space, %XX a byte); NULL
 * with @error when it is badly escaped.
 */
GHashTable *mira_query_parse        (const char    *query,
                                     GError       **error);

/* Timestamps are RFC 3339 UTC with milliseconds and a Z:
 * 2026-01-15T10:30:00.123Z. The fixed width keeps them sortable as text.
 */
char     *mira_timestamp_now        (void);
char     *mira_timestamp_from_unix_ms (gint64      ms);
/* The server's own texts (database values): RFC 3339, read as UTC when
 * without an offset. A client's times go through mira_time_parse(), in the
 * network's time zone. NULL or G_MININT64 when @text is not one.
 */
char     *mira_timestamp_normalize  (const char    *text);
gint64    mira_timestamp_to_unix_ms (const char    *text);

/* g_timeout_add() and friends attach to the global default main context;
 * the server lives on the thread-default context of its creator (a test's
 * thread, say), so its timers go there. The ids belong to that context:
 * remove them with mira_source_remove() on the same thread.
 */
guint     mira_timeout_add          (guint          interval_ms,
                                     GSourceFunc    func,
                                     gpointer       data);
guint     mira_timeout_add_seconds  (guint          interval_s,
                                     GSourceFunc    func,
                                     gpointer       data);
void      mira_source_remove        (guint          id);

/* Runs @func once on @context's thread, later: unlike g_main_context_invoke()
 * never at once on the calling thread, even when it could acquire @context.
 */
void      mira_invoke               (GMainContext  *context,
                                     GSourceFunc    func,
                                     gpointer       data,
                                     GDestroyNotify notify);

G_END_DECLS
