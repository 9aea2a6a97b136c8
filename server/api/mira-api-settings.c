/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* Network settings: typed values by key. The network row keeps a copy of
 * all of them as one object ("settings"), rewritten on every change.
 */

#include "mira-api.h"
#include "mira-api-error.h"
#include "mira-api-private.h"

#include "mira-db.h"
#include "mira-networks.h"
#include "mira-json.h"
#include "mira-time.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"
#include "mira-voice-persons.h"

#include <string.h>

typedef struct {
  const char *key;
  const char *type;
  const char *default_json;
} KnownSetting;

static const KnownSetting known_settings[] = {
  { "timezone", "string", "\"UTC\"" },
  { "conversation_timeout_s", "number", "90" },
  { "language", "string", "\"en\"" },
  /* the cosine a voice needs to be taken for a known person (docs/voice-signatures.md) */
  { "voice_match_threshold", "number", G_STRINGIFY (MIRA_VOICE_MATCH_THRESHOLD) },
};

/* Known, without a fixed default: unset means the server's own */
static const KnownSetting transcriber_setting = { "transcriber", "string", NULL };

static const KnownSetting *
find_known (const char *key)
{
  if (g_str_equal (key, transcriber_setting.key))
    return &transcriber_setting;
  for (guint i = 0; i < G_N_ELEMENTS (known_settings); i++)
    if (g_str_equal (known_settings[i].key, key))
      return &known_settings[i];
  return NULL;
}

static gboolean
is_setting_key (const char *key)
{
  gsize len = strlen (key);

  if (len == 0 || len > 100)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (key[i]) && key[i] != '_' && key[i] != '.' && key[i] != '-')
      return FALSE;
  return TRUE;
}

static const char *
type_of_node (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "json";
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "string";
    case G_TYPE_BOOLEAN:
      return "boolean";
    default:
      return "number";
    }
}

/* Checks one value for @key; @type may be NULL to infer it. Returns the type. */
const char *
mira_api_setting_check (const char  *key,
                        JsonNode    *value,
                        const char  *type,
                        GError     **error)
{
  static const char * const types[] = { "string", "number", "boolean", "json", "array", NULL };
  const KnownSetting *known = find_known (key);
  const char *actual;

  if (!is_setting_key (key))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Setting key '%s' must be 1–100 letters, digits, '_', '.' or '-'", key);
      return NULL;
    }
  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Field 'value' is required");
      return NULL;
    }
  if (type != NULL && !g_strv_contains (types, type))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'type' must be one of: string, number, boolean, json, array");
      return NULL;
    }
  actual = type_of_node (value);
  if (type == NULL)
    type = known ? known->type : actual;
  if (!g_str_equal (type, "json") && !g_str_equal (type, actual))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Field 'value' must be of type %s for setting '%s'", type, key);
      return NULL;
    }
  if (known != NULL && !g_str_equal (type, known->type))
    {
      g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                   "Setting '%s' is of type %s", key, known->type);
      return NULL;
    }

  if (g_str_equal (key, "timezone"))
    {
      /* Looked up in the system's list of zones, never opened: a name is
       * not a path (see mira-time.h).
       */
      const char *name = json_node_get_string (value);

      if (!mira_time_zone_is_known (name))
        {
          /* The name is shown back only when it is short and clean text. */
          gboolean show = strlen (name) <= 64 && g_utf8_validate (name, -1, NULL);

          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field 'value': %s%s%sis not an IANA time zone name such as "
                       "Europe/Paris, America/New_York or UTC",
                       show ? "'" : "", show ? name : "", show ? "' " : "");
          return NULL;
        }
    }
  else if (g_str_equal (key, "conversation_timeout_s"))
    {
      double v = json_node_get_double (value);

      if (!(v >= 5 && v <= 3600))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field 'value': conversation_timeout_s must be between 5 and 3600 seconds");
          return NULL;
        }
    }
  else if (g_str_equal (key, "voice_match_threshold"))
    {
      double v = json_node_get_double (value);

      if (!(v >= 0 && v <= 1))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field 'value': voice_match_threshold must be between 0 and 1");
          return NULL;
        }
    }
  else if (g_str_equal (key, "transcriber"))
    {
      g_autoptr(GError) spec_error = NULL;

      if (!mira_transcriber_spec_check (json_node_get_string (value), &spec_error))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Field 'value': %s",
                       spec_error->message);
          return NULL;
        }
    }
  else if (g_str_equal (key, "language"))
    {
      const char *lang = json_node_get_string (value);
      gsize len = strlen (lang);

      if (len < 2 || len > 35)
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                       "Field 'value': language must be a language tag such as en or en-GB");
          return NULL;
        }
    }
  return type;
}

static JsonObject *
setting_object (MiraApiCall *call,
                const char  *key,
                JsonNode    *value,
                const char  *type,
                const char  *created_at,
                const char  *updated_at)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "key", key);
  json_object_set_member (object, "value",
                          value ? json_node_copy (value) : json_node_new (JSON_NODE_NULL));
  json_object_set_string_member (object, "type", type);
  json_object_set_string_member (object, "network_id", call->network_id);
  json_object_set_boolean_member (object, "is_default", created_at == NULL);
  if (created_at != NULL)
    {
      json_object_set_string_member (object, "created_at", created_at);
      json_object_set_string_member (object, "updated_at", updated_at);
    }
  return object;
}

/* Rewrites networks.settings from network_settings. */
gboolean
mira_api_settings_sync (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(MiraDbResult) upd = NULL;
  g_autoptr(JsonObject) all = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  res = mira_db_query (db, "SELECT setting_key, setting_value FROM network_settings"
                           " WHERE network_id = $1 ORDER BY setting_key",
                       1, (const char *[]) { call->net_uuid }, error);
  if (res == NULL)
    return FALSE;
  for (guint i = 0; i < mira_db_result_n_rows (res); i++)
    {
      JsonNode *value = json_from_string (mira_db_result_get (res, i, 1), NULL);

      if (value != NULL)
        json_object_set_member (all, mira_db_result_get (res, i, 0), value);
    }
  node = json_node_init_object (json_node_alloc (), all);
  text = mira_json_to_string (node, FALSE);
  upd = mira_db_query (db, "UPDATE networks SET settings = $2 WHERE id = $1", 2,
                       (const char *[]) { call->net_uuid, text }, error);
  return upd != NULL;
}

#define SETTING_COLUMNS "setting_key, setting_value, setting_type, created_at, updated_at"

gboolean
mira_api_settings_list (MiraApiCall  *call,
                        MiraDb       *db,
                        GError      **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autoptr(JsonArray) items = json_array_new ();
  JsonObject *out;
  guint limit, offset;
  guint total;

  if (!mira_api_call_parse_paging (call, &limit, &offset, error))
    return FALSE;
  res = mira_db_query (db, "SELECT " SETTING_COLUMNS " FROM network_settings"
                           " WHERE network_id = $1 ORDER BY setting_key",
                       1, (const char *[]) { call->net_uuid }, error);
  if (res == NULL)
    return FALSE;

  total = mira_db_result_n_rows (res);
  for (guint i = offset; i < total && i < (guint64) offset + limit; i++)
    {
      g_autoptr(JsonNode) value = json_from_string (mira_db_result_get (res, i, 1), NULL);

      json_array_add_object_element (items,
                                     setting_object (call, mira_db_result_get (res, i, 0), value,
                                                     mira_db_result_get (res, i, 2),
                                                     mira_db_result_get (res, i, 3),
                                                     mira_db_result_get (res, i, 4)));
    }
  out = json_object_new ();
  json_object_set_array_member (out, "items", g_steal_pointer (&items));
  json_object_set_int_member (out, "total", total);
  json_object_set_int_member (out, "limit", limit);
  json_object_set_int_member (out, "offset", offset);
  mira_api_call_respond_object (call, 200, out);
  return TRUE;
}

static JsonObject *
load_setting (MiraApiCall  *call,
              MiraDb       *db,
              const char   *key,
              GError      **error)
{
  g_autoptr(MiraNetworkSetting) setting = NULL;

  if (!mira_networks_get_setting (db, call->network_id, key, &setting, error))
    return NULL;
  if (setting == NULL)
    return json_object_new ();   /* empty: not set */
  return setting_object (call, setting->key, setting->value, setting->type, setting->created_at,
                         setting->updated_at);
}

static gboolean
setting_not_found (MiraApiCall  *call,
                   const char   *key,
                   GError      **error)
{
  g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_SETTING_NOT_FOUND,
               "Setting '%s' not found in network", key);
  return FALSE;
}

gboolean
mira_api_setting_get (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  const char *key = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) object = load_setting (call, db, key, error);
  const KnownSetting *known;

  if (object == NULL)
    return FALSE;
  if (json_object_get_size (object) == 0)
    {
      /* A known setting that was never set reads as its default. */
      g_autoptr(JsonNode) value = NULL;

      known = find_known (key);
      if (known == NULL || known->default_json == NULL)
        return setting_not_found (call, key, error);
      value = json_from_string (known->default_json, NULL);
      g_clear_pointer (&object, json_object_unref);
      object = setting_object (call, key, value, known->type, NULL, NULL);
    }
  mira_api_call_respond_object (call, 200, g_steal_pointer (&object));
  return TRUE;
}

gboolean
mira_api_setting_put (MiraApiCall  *call,
                      MiraDb       *db,
                      GError      **error)
{
  const char *key = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) input = NULL;
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) object = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  const char *type = NULL;

  input = mira_api_call_parse_object (call, FALSE, error);
  if (input == NULL)
    return FALSE;
  json_object_iter_init (&iter, input);
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (g_str_equal (name, "type"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID,
                           "Field 'type' must be a string");
              return FALSE;
            }
          type = json_node_get_string (node);
        }
      else if (!g_str_equal (name, "value") && !g_str_equal (name, "key"))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Unknown field '%s'", name);
          return FALSE;
        }
    }

  before = load_setting (call, db, key, error);
  if (before == NULL)
    return FALSE;
  if (!mira_api_setting_store (call, db, key, json_object_get_member (input, "value"), type,
                               error))
    return FALSE;
  object = load_setting (call, db, key, error);
  if (object == NULL || !mira_api_settings_sync (call, db, error))
    return FALSE;

  mira_api_call_emit (call, json_object_get_size (before) == 0 ? "setting_created"
                                                                : "setting_updated",
                      "setting", object);
  mira_api_call_respond_object (call, json_object_get_size (before) == 0 ? 201 : 200,
                                g_steal_pointer (&object));
  return TRUE;
}

/* Validates and upserts one setting, without the networks.settings copy. */
gboolean
mira_api_setting_store (MiraApiCall  *call,
                        MiraDb       *db,
                        const char   *key,
                        JsonNode     *value,
                        const char   *type,
                        GError      **error)
{
  g_autoptr(MiraDbResult) res = NULL;
  g_autofree char *id = mira_uuid_new ();
  g_autofree char *now = mira_timestamp_now ();
  g_autofree char *text = NULL;

  type = mira_api_setting_check (key, value, type, error);
  if (type == NULL)
    return FALSE;
  /* A chain this server cannot run (deepgram without its key) is refused now,
   * not at the network's next utterance. */
  if (g_str_equal (key, "transcriber") && call->config->transcribers != NULL)
    {
      g_autoptr(GError) chain_error = NULL;

      if (!mira_transcriber_chain_check (call->config->transcribers,
                                         json_node_get_string (value), &chain_error))
        {
          g_set_error (error, MIRA_API_ERROR, MIRA_API_ERROR_INVALID, "Field 'value': %s",
                       chain_error->message);
          return FALSE;
        }
    }
  text = mira_json_to_string (value, FALSE);
  res = mira_db_query (db, "INSERT INTO network_settings (id, network_id, setting_key,"
                           " setting_value, setting_type, created_at, updated_at)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $6)"
                           " ON CONFLICT (network_id, setting_key) DO UPDATE SET"
                           " setting_value = excluded.setting_value,"
                           " setting_type = excluded.setting_type,"
                           " updated_at = excluded.updated_at",
                       6, (const char *[]) { id, call->net_uuid, key, text, type, now }, error);
  return res != NULL;
}

gboolean
mira_api_setting_delete (MiraApiCall  *call,
                         MiraDb       *db,
                         GError      **error)
{
  const char *key = mira_api_call_arg (call, 1);
  g_autoptr(JsonObject) before = load_setting (call, db, key, error);
  g_autoptr(MiraDbResult) res = NULL;

  if (before == NULL)
    return FALSE;
  if (json_object_get_size (before) == 0)
    return setting_not_found (call, key, error);
  res = mira_db_query (db, "DELETE FROM network_settings WHERE network_id = $1"
                           " AND setting_key = $2",
                       2, (const char *[]) { call->net_uuid, key }, error);
  if (res == NULL || !mira_api_settings_sync (call, db, error))
    return FALSE;
  mira_api_call_emit (call, "setting_deleted", "setting", before);
  call->status = 204;
  return TRUE;
}
