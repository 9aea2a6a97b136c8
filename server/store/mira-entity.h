/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "mira-types.h"

G_BEGIN_DECLS

/* A MiraEntity describes one network-scoped table as the API shows it: its
 * fields with their JSON names, types and rules, the filters its list takes,
 * and its order. One engine turns that into SQL for both dialects, validates
 * input, and turns rows into JSON objects.
 */

typedef enum {
  MIRA_FIELD_STRING,
  MIRA_FIELD_INT,
  MIRA_FIELD_FLOAT,
  MIRA_FIELD_BOOL,
  MIRA_FIELD_OBJECT,
  MIRA_FIELD_ARRAY,
  MIRA_FIELD_TIMESTAMP,
  MIRA_FIELD_REF,          /* UUID of a row of ref_table in the same network */
  MIRA_FIELD_REF_ARRAY,    /* JSON array of such UUIDs */
  MIRA_FIELD_CLIENT_REF,   /* public client id; stored as clients.id */
} MiraFieldType;

typedef enum {
  MIRA_FIELD_REQUIRED = 1 << 0,   /* must be given on create */
  MIRA_FIELD_WRITABLE = 1 << 1,   /* may be given on create and update */
  MIRA_FIELD_NULLABLE = 1 << 2,   /* may be null */
  MIRA_FIELD_NON_EMPTY = 1 << 3,  /* a string that must not be blank */
} MiraFieldFlags;

typedef struct {
  const char          *name;         /* JSON name */
  const char          *column;       /* SQL column, or NULL for a computed field */
  const char          *expr;         /* SQL select expression of a computed field (table alias t) */
  MiraFieldType        type;
  MiraFieldFlags       flags;
  const char * const  *choices;      /* allowed values of a string */
  guint                max_length;   /* characters, for strings; 0 = no limit */
  const char          *ref_table;
  const char          *ref_name;     /* "person": for messages */
} MiraField;

typedef enum {
  MIRA_FILTER_EQUAL,
  MIRA_FILTER_TEXT_SEARCH,
} MiraFilterKind;

typedef struct {
  const char     *param;      /* query parameter */
  MiraFieldType   type;       /* how its value is checked */
  const char     *condition;  /* SQL with $P for the value, or NULL for full-text search */
  const char * const *choices;
  /* Full-text search of another entity's text: rows of this one that
   * @search_table's rows (alias s) point to, SQL with $M for the match on s,
   * e.g. conversations through their interactions; OR'd with a match of
   * @search_title, a text column of this entity (case-insensitive substring)
   */
  const char     *search_table;
  const char     *search_link;
  const char     *search_title;
} MiraFilter;

typedef struct {
  const char         *name;          /* "person": events person_created, PERSON_NOT_FOUND */
  const char         *label;         /* "Person": messages */
  const char         *table;
  const char         *key_column;    /* column the path id matches, "id" or "client_id" */
  const char         *key_name;      /* JSON name of that key */
  gboolean            key_is_uuid;
  const MiraField    *fields;
  guint               n_fields;
  const MiraFilter   *filters;
  guint               n_filters;
  const char         *order_by;
  const char         *count_column;  /* column of networks holding the unfiltered total */
} MiraEntity;

/* The entities of the API. */
extern const MiraEntity mira_entity_client;
extern const MiraEntity mira_entity_person;
extern const MiraEntity mira_entity_conversation;
extern const MiraEntity mira_entity_interaction;
extern const MiraEntity mira_entity_reminder;
extern const MiraEntity mira_entity_calendar_event;
extern const MiraEntity mira_entity_action;

const MiraField *mira_entity_find_field   (const MiraEntity  *entity,
                                           const char        *name);

/* Checks @input against the entity's fields: unknown fields, types, choices,
 * lengths, required fields on create, and that references point into the same
 * network. On success returns the column values to write, as SQL text (NULL
 * for SQL NULL), keyed by column name; else MIRA_DB_ERROR_INVALID, the
 * message naming the field.
 */
GHashTable      *mira_entity_validate     (MiraDb            *db,
                                           const char        *net_uuid,
                                           const MiraEntity  *entity,
                                           JsonObject        *input,
                                           gboolean           create,
                                           GError           **error);

/* The network's time zone (its "timezone" setting; UTC when unset or not a
 * known zone), in which times without an offset are read. A new reference.
 */
GTimeZone       *mira_entity_time_zone    (MiraDb            *db,
                                           const char        *net_uuid,
                                           GError           **error);

/* Lists with the filters in @query (unknown parameters are ignored); the
 * result is {"items", "total", "limit", "offset"}. A filter's value that it
 * does not take is MIRA_DB_ERROR_BAD_FILTER.
 */
JsonObject      *mira_entity_list         (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           GHashTable        *query,
                                           guint              limit,
                                           guint              offset,
                                           GError           **error);
/* The same list as JSON text, written straight from the rows: the fast path
 * of GET on a collection.
 */
char            *mira_entity_list_json    (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           GHashTable        *query,
                                           guint              limit,
                                           guint              offset,
                                           GError           **error);
/* The row of @key. MIRA_DB_ERROR_BAD_KEY when @key cannot be one of the
 * entity's (not a UUID, or not a client id), MIRA_DB_ERROR_NOT_FOUND when
 * the network has none; the same for updates and deletes.
 */
JsonObject      *mira_entity_get          (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           const char        *key,
                                           GError           **error);
/* Inserts @values (from mira_entity_validate) and returns the new row. */
JsonObject      *mira_entity_insert       (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           GHashTable        *values,
                                           GError           **error);
JsonObject      *mira_entity_update       (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           const char        *key,
                                           GHashTable        *values,
                                           GError           **error);
/* Returns the deleted row as it was. */
JsonObject      *mira_entity_delete       (MiraDb            *db,
                                           const char        *net_uuid,
                                           const char        *network_id,
                                           const MiraEntity  *entity,
                                           const char        *key,
                                           GError           **error);

/* Turns one result row into the entity's JSON object. */
JsonObject      *mira_entity_row_to_json  (const MiraEntity  *entity,
                                           const char        *network_id,
                                           MiraDbResult      *result,
                                           guint              row);
/* The SELECT list and FROM of the entity, for custom queries: "SELECT … FROM table t". */
char            *mira_entity_select_sql   (const MiraEntity  *entity);

/* SQL text of a JSON value for a column of @type in @dialect. */
char            *mira_sql_value           (MiraDbDialect      dialect,
                                           MiraFieldType      type,
                                           JsonNode          *node);

G_END_DECLS

G_BEGIN_DECLS

/* Serialises writes that read-then-write within one network (e.g. joining the
 * open conversation) until the end of the current transaction.
 */
gboolean         mira_entity_lock_network (MiraDb            *db,
                                           const char        *net_uuid,
                                           GError           **error);

G_END_DECLS
