/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

#include "mira-api.h"
#include "mira-api-error.h"

#include "mira-db.h"
#include "mira-error.h"
#include "mira-event.h"
#include "mira-json.h"
#include "mira-token-cache.h"
#include "mira-util.h"

#include <string.h>

MiraApiCall *
mira_api_call_new (void)
{
  MiraApiCall *call = g_new0 (MiraApiCall, 1);

  call->args = g_ptr_array_new_with_free_func (g_free);
  call->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  call->status = 200;
  return call;
}

void
mira_api_call_free (MiraApiCall *call)
{
  if (call == NULL)
    return;
  g_free (call->method);
  g_ptr_array_unref (call->args);
  g_clear_pointer (&call->query, g_hash_table_unref);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->content_type);
  g_free (call->token);
  g_free (call->base_url);
  g_free (call->net_uuid);
  g_free (call->network_id);
  g_free (call->network_status);
  g_free (call->session_client);
  g_clear_pointer (&call->response, json_node_unref);
  g_free (call->response_text);
  g_free (call->response_type);
  g_clear_error (&call->error);
  g_ptr_array_unref (call->events);
  g_free (call);
}

const char *
mira_api_call_arg (MiraApiCall *call,
                   guint        index)
{
  g_assert (index < call->args->len);
  return g_ptr_array_index (call->args, index);
}

void
mira_api_call_set_error (MiraApiCall  *call,
                         const GError *error)
{
  const char *detail = error->message;

  call->status = mira_api_error_answer (error, &call->error_code);
  /* Internal failures are logged, not shown: they may quote SQL. */
  if (call->status == 500)
    {
      g_warning ("%s %s failed: %s", call->method,
                 call->route ? call->route->pattern : "?", error->message);
      detail = "Internal server error";
    }
  g_clear_error (&call->error);
  call->error = g_error_new_literal (error->domain, error->code, detail);
  g_clear_pointer (&call->response, json_node_unref);
  g_clear_pointer (&call->response_text, g_free);
  call->response_text = mira_error_body (call->status, call->error_code, detail);
  g_free (call->response_type);
  call->response_type = g_strdup ("application/json; charset=utf-8");
  g_ptr_array_set_size (call->events, 0);
}

void
mira_api_call_respond_object (MiraApiCall *call,
                              guint        status,
                              JsonObject  *object)
{
  call->status = status;
  g_clear_pointer (&call->response, json_node_unref);
  call->response = json_node_init_object (json_node_alloc (), object);
}

void
mira_api_call_emit (MiraApiCall *call,
                    const char  *type,
                    const char  *member,
                    JsonObject  *payload)
{
  g_ptr_array_add (call->events, mira_event_new (type, call->network_id, member, payload));
}

/* JSON, or what a quick `curl -d` sends; anything else is not read as JSON. */
static gboolean
is_json_content_type (const char *content_type)
{
  static const char * const accepted[] = {
    "application/json", "text/json", "text/plain", "application/x-www-form-urlencoded", NULL
  };
  g_autofree char *type = NULL;

  if (content_type == NULL)
    return TRUE;
  type = g_ascii_strdown (content_type, strcspn (content_type, "; "));
  return g_strv_contains (accepted, type) || g_str_has_suffix (type, "+json");
}

JsonObject *
mira_api_call_parse_object (MiraApiCall  *call,
                            gboolean      allow_empty,
                            GError      **error)
{
  gsize size = call->body ? g_bytes_get_size (call->body) : 0;
  const char *data = call->body ? g_bytes_get_data (call->body, NULL) : NULL;
  g_autoptr(JsonNode) root = NULL;

  if (size == 0)
    {
      if (allow_empty)
        return json_object_new ();
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "A JSON object body is required");
      return NULL;
    }
  if (!is_json_content_type (call->content_type))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_UNSUPPORTED_MEDIA,
                   "Content-Type must be application/json, not %s", call->content_type);
      return NULL;
    }
  root = mira_json_parse (data, size, MIRA_JSON_MAX_DEPTH, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "The body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
parse_uint_param (MiraApiCall  *call,
                  const char   *name,
                  guint         fallback,
                  guint         max,
                  guint        *out,
                  GError      **error)
{
  const char *text = call->query ? g_hash_table_lookup (call->query, name) : NULL;
  guint64 value;

  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_BAD_REQUEST,
                   "Query parameter '%s' must be a non-negative integer", name);
      return FALSE;
    }
  *out = (guint) MIN (value, max);
  return TRUE;
}

gboolean
mira_api_call_parse_paging (MiraApiCall  *call,
                            guint        *limit,
                            guint        *offset,
                            GError      **error)
{
  return parse_uint_param (call, "limit", 50, 500, limit, error) &&
         parse_uint_param (call, "offset", 0, G_MAXINT32, offset, error);
}

/* Auth */

static gboolean
load_network (MiraApiCall  *call,
              MiraDb       *db,
              const char   *sql,
              const char   *param,
              GError      **error)
{
  g_autoptr(MiraDbResult) res = mira_db_query (db, sql, 1, &param, error);

  if (res == NULL)
    return FALSE;
  if (mira_db_result_n_rows (res) == 0)
    return TRUE;
  call->net_uuid = g_strdup (mira_db_result_get (res, 0, 0));
  call->network_id = g_strdup (mira_db_result_get (res, 0, 1));
  call->network_status = g_strdup (mira_db_result_get (res, 0, 2));
  return TRUE;
}

/* Who @hash belongs to: from the cache, else from the database (kind
 * MIRA_AUTH_NONE when nobody).
 */
static gboolean
resolve_token (const MiraApiConfig  *config,
               MiraDb               *db,
               const char           *hash,
               MiraTokenEntry       *entry,
               GError              **error)
{
  MiraTokenCache *cache = config->tokens;
  const char *params[] = { hash, hash };
  g_autoptr(MiraDbResult) res = NULL;
  guint64 generation = 0;

  if (cache != NULL)
    {
      if (mira_token_cache_lookup (cache, hash, entry))
        return TRUE;
      generation = mira_token_cache_generation (cache);
    }

  res = mira_db_query (db,
                       "SELECT 'network', n.id, n.network_id, n.status, NULL, n.token_hash"
                       " FROM networks n WHERE n.token_hash = $1"
                       " UNION ALL "
                       "SELECT 'session', n.id, n.network_id, n.status, c.client_id,"
                       " s.session_token FROM client_sessions s"
                       " JOIN networks n ON n.id = s.network_id"
                       " JOIN clients c ON c.id = s.client_id"
                       " WHERE s.session_token = $2 AND s.is_active",
                       2, params, error);
  if (res == NULL)
    return FALSE;
  if (mira_db_result_n_rows (res) == 0 ||
      !mira_secure_equal (mira_db_result_get (res, 0, 5), hash))
    {
      entry->kind = MIRA_AUTH_NONE;
      return TRUE;
    }

  entry->kind = g_str_equal (mira_db_result_get (res, 0, 0), "network")
                  ? MIRA_AUTH_NETWORK : MIRA_AUTH_SESSION;
  entry->net_uuid = g_strdup (mira_db_result_get (res, 0, 1));
  entry->network_id = g_strdup (mira_db_result_get (res, 0, 2));
  entry->status = g_strdup (mira_db_result_get (res, 0, 3));
  entry->client_id = g_strdup (mira_db_result_get (res, 0, 4));
  if (cache != NULL)
    mira_token_cache_insert (cache, hash, entry, generation);
  return TRUE;
}

gboolean
mira_api_token_resolve (const MiraApiConfig  *config,
                        MiraDb               *db,
                        const char           *token,
                        MiraTokenEntry       *entry,
                        GError              **error)
{
  g_autofree char *hash = mira_sha256_hex (token);

  if (config->admin_token_hash != NULL && mira_secure_equal (hash, config->admin_token_hash))
    {
      entry->kind = MIRA_AUTH_ADMIN;
      return TRUE;
    }
  return resolve_token (config, db, hash, entry, error);
}

gboolean
mira_api_route_revokes_tokens (const MiraApiRoute *route)
{
  return route != NULL &&
         (route->handler == mira_api_network_patch ||
         route->handler == mira_api_network_delete ||
         route->handler == mira_api_network_rotate_token ||
         route->handler == mira_api_client_register ||
         route->handler == mira_api_client_deregister);
}

static gboolean
authenticate (MiraApiCall  *call,
              MiraDb       *db,
              GError      **error)
{
  MiraApiAccess access = call->route->access;
  const char *path_network = NULL;
  g_auto(MiraTokenEntry) entry = { 0 };

  if (access == MIRA_ACCESS_PUBLIC)
    return TRUE;
  if (access == MIRA_ACCESS_CREATE_NETWORK && call->config->open_registration)
    {
      call->auth = MIRA_AUTH_NONE;
      return TRUE;
    }

  if (call->token == NULL || call->token[0] == '\0')
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_AUTH_REQUIRED,
                   "A bearer token is required (Authorization: Bearer <token>)");
      return FALSE;
    }

  if (!mira_api_token_resolve (call->config, db, call->token, &entry, error))
    return FALSE;
  if (entry.kind == MIRA_AUTH_ADMIN)
    call->auth = MIRA_AUTH_ADMIN;

  if (access == MIRA_ACCESS_NETWORK || access == MIRA_ACCESS_NETWORK_OWNER)
    path_network = mira_api_call_arg (call, 0);

  if (call->auth != MIRA_AUTH_ADMIN)
    {
      if (entry.kind == MIRA_AUTH_NONE)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID_TOKEN,
                       "The token is not valid on this server");
          return FALSE;
        }

      if (path_network == NULL && access == MIRA_ACCESS_TOKEN_NETWORK)
        path_network = entry.network_id;
      if (path_network == NULL)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_ADMIN_REQUIRED,
                       "This needs the admin token");
          return FALSE;
        }

      /* A token of another network sees nothing of this one, not even that it exists. */
      if (!g_str_equal (entry.network_id, path_network))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_NETWORK_NOT_FOUND,
                       "Network not found");
          return FALSE;
        }

      call->auth = entry.kind;
      call->net_uuid = g_steal_pointer (&entry.net_uuid);
      call->network_id = g_steal_pointer (&entry.network_id);
      call->network_status = g_steal_pointer (&entry.status);
      call->session_client = g_steal_pointer (&entry.client_id);

      if (g_str_equal (call->network_status, "suspended"))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_NETWORK_SUSPENDED,
                       "This network is suspended");
          return FALSE;
        }
      if (access == MIRA_ACCESS_NETWORK_OWNER && call->auth != MIRA_AUTH_NETWORK)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_NETWORK_TOKEN_REQUIRED,
                       "This needs the network token, not a session token");
          return FALSE;
        }
      return TRUE;
    }

  /* The admin token; admin-only routes may name a network too (DELETE networks/{network_id}) */
  if (path_network == NULL && access == MIRA_ACCESS_ADMIN &&
      strstr (call->route->pattern, "{network_id}") != NULL)
    path_network = mira_api_call_arg (call, 0);
  if (path_network != NULL)
    {
      if (!mira_is_network_id (path_network) ||
          !load_network (call, db, "SELECT id, network_id, status FROM networks"
                                   " WHERE network_id = $1", path_network, error))
        {
          if (error != NULL && *error != NULL)
            return FALSE;
        }
      if (call->net_uuid == NULL)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_NETWORK_NOT_FOUND,
                       "Network not found");
          return FALSE;
        }
    }
  return TRUE;
}

gpointer
mira_api_call_run (MiraDb   *db,
                   gpointer  data,
                   GError  **error)
{
  MiraApiCall *call = data;
  g_autoptr(GError) local = NULL;
  gboolean in_transaction = FALSE;

  if (!authenticate (call, db, &local))
    goto failed;

  if (!call->route->read_only)
    {
      if (!mira_db_begin (db, &local))
        goto failed;
      in_transaction = TRUE;
    }

  if (!call->route->handler (call, db, &local))
    goto failed;

  if (in_transaction)
    {
      in_transaction = FALSE;
      if (!mira_db_commit (db, &local))
        goto failed;
    }
  if (call->config->tokens != NULL && mira_api_route_revokes_tokens (call->route))
    mira_token_cache_clear (call->config->tokens);

  /* Serialise here, on the worker, to keep the server thread free. */
  if (call->response != NULL && !call->keep_response)
    {
      call->response_text = mira_json_to_string (call->response, FALSE);
      call->response_type = g_strdup ("application/json; charset=utf-8");
      g_clear_pointer (&call->response, json_node_unref);
    }
  return call;

failed:
  if (in_transaction)
    mira_db_rollback (db);
  mira_api_call_set_error (call, local);
  return call;
}
