/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <curl/curl.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One HTTP request of a speech backend with libcurl's easy interface. It
 * blocks: run it on a worker thread, never on a main loop. The whole
 * exchange (connect, send, answer) is bounded by a timeout; a cancelled
 * @cancellable stops it within a fraction of a second.
 */
typedef struct _MiraCurl MiraCurl;

/* @timeout_ms: the whole exchange. */
MiraCurl   *mira_curl_new            (const char    *url,
                                      guint          timeout_ms,
                                      GCancellable  *cancellable);
void        mira_curl_free           (MiraCurl      *self);
/* "Name: value" */
void        mira_curl_add_header     (MiraCurl      *self,
                                      const char    *header);
/* To set the body (CURLOPT_POSTFIELDS, CURLOPT_MIMEPOST, …) */
CURL       *mira_curl_get_handle     (MiraCurl      *self);
/* Performs the request. Returns the answer's body (at most 1 MiB) when its
 * status is 2xx; else NULL and a MIRA_TRANSCRIBER_ERROR: TIMED_OUT,
 * REFUSED for 4xx, FAILED for anything else (unreachable, 5xx, cut off),
 * each with the status and what the answer says in its message.
 */
GBytes     *mira_curl_perform        (MiraCurl      *self,
                                      const char    *what,
                                      GError       **error);

/* The JSON object of @body, or NULL with BAD_ANSWER. */
JsonObject *mira_curl_parse_object   (GBytes        *body,
                                      const char    *what,
                                      GError       **error);

/* The API key of a service, by one rule for every one of them: the file
 * @path names when it is given (the command line's --…-key-file, which
 * wins), else the environment variable @env_name, else none. The file holds
 * the key on one line; white space around it is dropped. An environment
 * variable that is empty counts as unset.
 *
 * Returns TRUE with *@key_out the key, or NULL when there is none; FALSE
 * (G_OPTION_ERROR_BAD_VALUE naming @option and the file) when the file cannot be
 * read, is empty or holds more than one line.
 */
gboolean    mira_api_key_load        (const char    *path,
                                      const char    *env_name,
                                      const char    *option,
                                      char         **key_out,
                                      GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraCurl, mira_curl_free)

G_END_DECLS
