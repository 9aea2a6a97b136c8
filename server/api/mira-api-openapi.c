/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-api"

/* The OpenAPI 3 document, generated from the route table and the entities,
 * so that it cannot drift from what the server does.
 */

#include "config.h"

#include "mira-api.h"
#include "mira-api-private.h"

#include "mira-entity.h"

#include <string.h>

static const MiraEntity * const entities[] = {
  &mira_entity_client, &mira_entity_person, &mira_entity_conversation,
  &mira_entity_interaction, &mira_entity_reminder, &mira_entity_calendar_event,
  &mira_entity_action,
};

static JsonObject *
field_schema (const MiraField *field)
{
  JsonObject *schema = json_object_new ();
  const char *type = "string";
  const char *format = NULL;

  switch (field->type)
    {
    case MIRA_FIELD_INT: type = "integer"; break;
    case MIRA_FIELD_FLOAT: type = "number"; break;
    case MIRA_FIELD_BOOL: type = "boolean"; break;
    case MIRA_FIELD_OBJECT: type = "object"; break;
    case MIRA_FIELD_ARRAY: type = "array"; break;
    case MIRA_FIELD_REF_ARRAY: type = "array"; break;
    case MIRA_FIELD_TIMESTAMP: format = "date-time"; break;
    case MIRA_FIELD_REF: format = "uuid"; break;
    default: break;
    }
  json_object_set_string_member (schema, "type", type);
  if (format != NULL)
    json_object_set_string_member (schema, "format", format);
  if (field->type == MIRA_FIELD_TIMESTAMP)
    json_object_set_string_member (schema, "description",
                                   "Answered as RFC 3339 UTC with Z. Read as RFC 3339, or"
                                   " without an offset (2026-01-15T10:30, or a date alone) as"
                                   " a wall-clock time in the network's timezone setting.");
  if (field->type == MIRA_FIELD_REF_ARRAY)
    {
      JsonObject *items = json_object_new ();

      json_object_set_string_member (items, "type", "string");
      json_object_set_string_member (items, "format", "uuid");
      json_object_set_object_member (schema, "items", items);
    }
  if (field->choices != NULL)
    {
      JsonArray *choices = json_array_new ();

      for (guint i = 0; field->choices[i]; i++)
        json_array_add_string_element (choices, field->choices[i]);
      json_object_set_array_member (schema, "enum", choices);
    }
  if (field->max_length > 0)
    json_object_set_int_member (schema, "maxLength", field->max_length);
  if (field->flags & MIRA_FIELD_NULLABLE)
    json_object_set_boolean_member (schema, "nullable", TRUE);
  if (!(field->flags & MIRA_FIELD_WRITABLE))
    json_object_set_boolean_member (schema, "readOnly", TRUE);
  return schema;
}

static JsonObject *
entity_schema (const MiraEntity *entity)
{
  JsonObject *schema = json_object_new ();
  JsonObject *props = json_object_new ();
  JsonArray *required = json_array_new ();
  const MiraField common[] = {
    { "id", NULL, NULL, MIRA_FIELD_REF },
    { "network_id", NULL, NULL, MIRA_FIELD_STRING },
    { "created_at", NULL, NULL, MIRA_FIELD_TIMESTAMP },
    { "updated_at", NULL, NULL, MIRA_FIELD_TIMESTAMP },
  };

  json_object_set_string_member (schema, "type", "object");
  for (guint i = entity->key_is_uuid ? 0 : 1; i < G_N_ELEMENTS (common); i++)
    json_object_set_object_member (props, common[i].name, field_schema (&common[i]));
  for (guint i = 0; i < entity->n_fields; i++)
    {
      json_object_set_object_member (props, entity->fields[i].name,
                                     field_schema (&entity->fields[i]));
      if (entity->fields[i].flags & MIRA_FIELD_REQUIRED)
        json_array_add_string_element (required, entity->fields[i].name);
    }
  json_object_set_object_member (schema, "properties", props);
  if (json_array_get_length (required) > 0)
    json_object_set_array_member (schema, "required", required);
  else
    json_array_unref (required);
  return schema;
}

static char *
openapi_path (const char *pattern)
{
  g_auto(GStrv) parts = NULL;
  GString *path;
  guint arg = 0;

  if (pattern[0] == '/')
    return g_strdup (pattern);
  parts = g_strsplit (pattern, "/", -1);
  path = g_string_new ("/api/v1");
  for (guint i = 0; parts[i]; i++)
    {
      if (g_str_equal (parts[i], "{}"))
        g_string_append_printf (path, "/{id%s}", arg++ ? "2" : "");
      else
        g_string_append_printf (path, "/%s", parts[i]);
    }
  return g_string_free (path, FALSE);
}

static JsonObject *
ref_to (const char *name)
{
  JsonObject *ref = json_object_new ();
  g_autofree char *target = g_strconcat ("#/components/schemas/", name, NULL);

  json_object_set_string_member (ref, "$ref", target);
  return ref;
}

static JsonObject *
response (const char *description,
          const char *schema)
{
  JsonObject *resp = json_object_new ();

  json_object_set_string_member (resp, "description", description);
  if (schema != NULL)
    {
      JsonObject *content = json_object_new ();
      JsonObject *media = json_object_new ();

      json_object_set_object_member (media, "schema", ref_to (schema));
      json_object_set_object_member (content, "application/json", media);
      json_object_set_object_member (resp, "content", content);
    }
  return resp;
}

/* The form of an audio upload: the file and the fields beside it */
static JsonObject *
upload_schema (const MiraApiRoute *route)
{
  gboolean voice = route->handler == mira_api_person_voice;
  JsonObject *schema = json_object_new ();
  JsonObject *props = json_object_new ();
  JsonObject *file = json_object_new ();
  JsonObject *text = json_object_new ();
  JsonArray *required = json_array_new ();
  const char *field = voice ? "audio_file" : "audio_data";

  json_object_set_string_member (file, "type", "string");
  json_object_set_string_member (file, "format", "binary");
  json_object_set_string_member (file, "description",
                                 "WAV (integer or float PCM, any rate and channels), FLAC,"
                                 " Ogg Opus, or raw s16le 16 kHz mono; the whole body may be"
                                 " the file itself instead of a form");
  json_object_set_object_member (props, field, file);
  json_object_set_string_member (text, "type", "string");
  if (voice)
    json_object_set_string_member (text, "description",
                                   "What the recording is; kept in the person's metadata as"
                                   " voice_description");
  json_object_set_object_member (props, voice ? "description" : "timestamp", text);
  json_array_add_string_element (required, field);
  json_object_set_string_member (schema, "type", "object");
  json_object_set_object_member (schema, "properties", props);
  json_object_set_array_member (schema, "required", required);
  return schema;
}

/* The types an audio upload takes (anything else is answered 415): as the
 * form's file part (@form's encoding), and as the whole body, the file
 * itself (more of @content).
 */
static void
add_audio_media_types (const MiraApiRoute *route,
                       JsonObject         *form,
                       JsonObject         *content)
{
  g_autoptr(GString) types = g_string_new (NULL);
  JsonObject *encoding = json_object_new ();
  JsonObject *file = json_object_new ();
  const char *type;

  for (guint i = 0; (type = mira_api_audio_media_type (i)) != NULL; i++)
    {
      JsonObject *media = json_object_new ();
      JsonObject *schema = json_object_new ();

      g_string_append_printf (types, "%s%s", i > 0 ? ", " : "", type);
      json_object_set_string_member (schema, "type", "string");
      json_object_set_string_member (schema, "format", "binary");
      json_object_set_object_member (media, "schema", schema);
      json_object_set_object_member (content, type, media);
    }
  json_object_set_string_member (file, "contentType", types->str);
  json_object_set_object_member (encoding, route->handler == mira_api_person_voice
                                           ? "audio_file" : "audio_data", file);
  json_object_set_object_member (form, "encoding", encoding);
}

/* What a success answers: most POSTs create, these do not */
static const char *
success_status (const MiraApiRoute *route)
{
  if (route->handler == mira_api_stream_upload)
    return "202";
  if (route->handler == mira_api_person_voice || route->handler == mira_api_person_merge)
    return "200";
  return g_str_equal (route->method, "POST") ? "201" : "200";
}

static JsonObject *
operation (const MiraApiRoute *route,
           const char         *path)
{
  JsonObject *op = json_object_new ();
  JsonObject *responses = json_object_new ();
  JsonArray *params = json_array_new ();
  const MiraEntity *entity = NULL;
  g_autofree char *summary = g_strdup_printf ("%s %s", route->method, path);
  g_autofree char *op_id = NULL;
  const char *ok = success_status (route);

  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    if (route->data == entities[i])
      entity = entities[i];

  op_id = g_strdelimit (g_ascii_strdown (summary, -1), " /{}.", '_');
  json_object_set_string_member (op, "operationId", op_id);
  json_object_set_string_member (op, "summary", summary);

  for (const char *p = strchr (path, '{'); p != NULL; p = strchr (p + 1, '{'))
    {
      JsonObject *param = json_object_new ();
      JsonObject *schema = json_object_new ();
      g_autofree char *name = g_strndup (p + 1, strcspn (p + 1, "}"));

      json_object_set_string_member (param, "name", name);
      json_object_set_string_member (param, "in", "path");
      json_object_set_boolean_member (param, "required", TRUE);
      json_object_set_string_member (schema, "type", "string");
      json_object_set_object_member (param, "schema", schema);
      json_array_add_object_element (params, param);
    }
  if (entity != NULL && route->handler == mira_api_entity_list)
    {
      const char *paging[] = { "limit", "offset" };

      for (guint i = 0; i < G_N_ELEMENTS (paging) + entity->n_filters; i++)
        {
          JsonObject *param = json_object_new ();
          JsonObject *schema = json_object_new ();

          json_object_set_string_member (param, "name",
                                         i < 2 ? paging[i] : entity->filters[i - 2].param);
          json_object_set_string_member (param, "in", "query");
          json_object_set_string_member (schema, "type", i < 2 ? "integer" : "string");
          json_object_set_object_member (param, "schema", schema);
          json_array_add_object_element (params, param);
        }
    }
  json_object_set_array_member (op, "parameters", params);

  if (g_str_equal (route->method, "POST") || g_str_equal (route->method, "PUT") ||
      g_str_equal (route->method, "PATCH"))
    {
      JsonObject *body = json_object_new ();
      JsonObject *content = json_object_new ();
      JsonObject *media = json_object_new ();

      json_object_set_object_member (media, "schema",
                                     route->audio ? upload_schema (route)
                                     : entity ? ref_to (entity->name) : json_object_new ());
      json_object_set_object_member (content, route->audio ? "multipart/form-data"
                                                           : "application/json", media);
      if (route->audio)
        add_audio_media_types (route, media, content);
      json_object_set_object_member (body, "content", content);
      json_object_set_object_member (op, "requestBody", body);
    }

  if (g_str_equal (route->method, "DELETE"))
    json_object_set_object_member (responses, "204", response ("Deleted", NULL));
  else
    json_object_set_object_member (responses, ok,
                                   response ("Success",
                                             entity && route->handler != mira_api_entity_list
                                               ? entity->name : NULL));
  json_object_set_object_member (responses, "default", response ("Error", "Error"));
  json_object_set_object_member (op, "responses", responses);

  if (route->access != MIRA_ACCESS_PUBLIC)
    {
      JsonArray *security = json_array_new ();
      JsonObject *req = json_object_new ();

      json_object_set_array_member (req, "bearer", json_array_new ());
      json_array_add_object_element (security, req);
      json_object_set_array_member (op, "security", security);
    }
  return op;
}

gboolean
mira_api_openapi (MiraApiCall  *call,
                  MiraDb       *db,
                  GError      **error)
{
  JsonObject *doc = json_object_new ();
  JsonObject *info = json_object_new ();
  JsonObject *paths = json_object_new ();
  JsonObject *components = json_object_new ();
  JsonObject *schemas = json_object_new ();
  JsonObject *schemes = json_object_new ();
  JsonObject *bearer = json_object_new ();
  JsonObject *error_schema = json_object_new ();
  JsonObject *error_props = json_object_new ();
  const MiraApiRoute *routes;
  guint n_routes;

  json_object_set_string_member (doc, "openapi", "3.0.3");
  json_object_set_string_member (info, "title", "Mira API");
  json_object_set_string_member (info, "version", PACKAGE_VERSION);
  json_object_set_object_member (doc, "info", info);

  routes = mira_api_routes (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *path = openapi_path (routes[i].pattern);
      g_autofree char *method = g_ascii_strdown (routes[i].method, -1);
      JsonObject *item;

      if (!json_object_has_member (paths, path))
        json_object_set_object_member (paths, path, json_object_new ());
      item = json_object_get_object_member (paths, path);
      json_object_set_object_member (item, method, operation (&routes[i], path));
    }
  json_object_set_object_member (doc, "paths", paths);

  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    json_object_set_object_member (schemas, entities[i]->name, entity_schema (entities[i]));
  json_object_set_string_member (error_schema, "type", "object");
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *prop = json_object_new ();

      json_object_set_string_member (prop, "type", "string");
      json_object_set_object_member (error_props, (const char *[]) { "detail", "error_code",
                                                                     "timestamp" }[i], prop);
    }
  json_object_set_object_member (error_schema, "properties", error_props);
  json_object_set_object_member (schemas, "Error", error_schema);
  json_object_set_object_member (components, "schemas", schemas);
  json_object_set_string_member (bearer, "type", "http");
  json_object_set_string_member (bearer, "scheme", "bearer");
  json_object_set_object_member (schemes, "bearer", bearer);
  json_object_set_object_member (components, "securitySchemes", schemes);
  json_object_set_object_member (doc, "components", components);

  mira_api_call_respond_object (call, 200, doc);
  return TRUE;
}
