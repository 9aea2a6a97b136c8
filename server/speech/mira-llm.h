/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A language model behind an OpenAI-compatible chat completions endpoint
 * (POST {base}/v1/chat/completions: Ollama, llama.cpp's server, vLLM,
 * OpenAI), asked for the same structured answers the built-in methods give:
 * the actions in an interaction's text, and a closed conversation's title
 * and topic summary. Each request asks for JSON that follows a JSON schema
 * (response_format "json_schema") and checks the answer against it.
 *
 * Requests go through libcurl on the model's own worker threads, so no
 * GMainContext ever waits; each is bounded by a timeout. Any failure — the
 * service unreachable, an error status, a timeout, a cut-off answer, or an
 * answer that is not the asked JSON — is a MIRA_LLM_ERROR, and the caller
 * falls back to the built-in method.
 */

#define MIRA_LLM_ERROR (mira_llm_error_quark ())

typedef enum {
  MIRA_LLM_ERROR_FAILED,      /* unreachable, refused, 5xx, cut off */
  MIRA_LLM_ERROR_TIMED_OUT,
  MIRA_LLM_ERROR_REFUSED,     /* 4xx: a wrong key or model */
  MIRA_LLM_ERROR_BAD_ANSWER,  /* not the JSON asked for */
  MIRA_LLM_ERROR_CANCELLED,
} MiraLlmError;

GQuark          mira_llm_error_quark      (void);

#define MIRA_TYPE_LLM (mira_llm_get_type ())

G_DECLARE_FINAL_TYPE (MiraLlm, mira_llm, MIRA, LLM, GObject)

/* @base_url: "http://127.0.0.1:11434" (a trailing "/" or "/v1" is allowed);
 * @model: the model's name; @api_key: sent as a bearer token, or NULL;
 * @timeout_ms: the most one request may take, connect to last byte.
 */
MiraLlm        *mira_llm_new              (const char           *base_url,
                                           const char           *model,
                                           const char           *api_key,
                                           guint                 timeout_ms);
const char     *mira_llm_get_url          (MiraLlm              *self);
const char     *mira_llm_get_model        (MiraLlm              *self);

/* The actions in @text said at @said_at, times in @zone, as
 * mira_extractor_find() gives them: a new array of MiraAction. Blocks:
 * for worker threads.
 */
GPtrArray      *mira_llm_extract          (MiraLlm              *self,
                                           const char           *text,
                                           GDateTime            *said_at,
                                           GTimeZone            *zone,
                                           GCancellable         *cancellable,
                                           GError              **error);
/* The same on the model's own threads; the callback runs on the caller's
 * thread-default GMainContext.
 */
void            mira_llm_extract_async    (MiraLlm              *self,
                                           const char           *text,
                                           GDateTime            *said_at,
                                           GTimeZone            *zone,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GPtrArray      *mira_llm_extract_finish   (MiraLlm              *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* A title (at most 255 characters) and a topic summary of a conversation
 * whose lines are @transcript ("Speaker: words" a line). Blocks.
 */
gboolean        mira_llm_summarize        (MiraLlm              *self,
                                           const char           *transcript,
                                           char                **title,
                                           char                **summary,
                                           GCancellable         *cancellable,
                                           GError              **error);

/* The same on the model's own threads. */
void            mira_llm_summarize_async  (MiraLlm              *self,
                                           const char           *transcript,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean        mira_llm_summarize_finish (MiraLlm              *self,
                                           GAsyncResult         *result,
                                           char                **title,
                                           char                **summary,
                                           GError              **error);

G_END_DECLS
