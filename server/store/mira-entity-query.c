/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-entity"

/* The SQL of reading an entity: its SELECT list, the WHERE of a list's
 * filters (full-text search in FTS5 on SQLite, tsvector on PostgreSQL), and a
 * page of rows with its total.
 */

#include "mira-entity-private.h"

#include "mira-db.h"
#include "mira-time.h"
#include "mira-util.h"

static void
append_field_select (GString         *sql,
                     const MiraField *field)
{
  if (field->expr != NULL)
    g_string_append (sql, field->expr);
  else if (field->type == MIRA_FIELD_CLIENT_REF)
    g_string_append (sql, "tc.client_id");
  else
    g_string_append_printf (sql, "t.%s", field->column);
}

char *
mira_entity_select_sql (const MiraEntity *entity)
{
  GString *sql = g_string_new ("SELECT ");

  if (entity->key_is_uuid)
    g_string_append (sql, "t.id, ");
  for (guint i = 0; i < entity->n_fields; i++)
    {
      append_field_select (sql, &entity->fields[i]);
      g_string_append (sql, ", ");
    }
  g_string_append_printf (sql, "t.created_at, t.updated_at FROM %s t", entity->table);
  /* One join rather than a lookup per row (an entity has at most one client reference). */
  for (guint i = 0; i < entity->n_fields; i++)
    if (entity->fields[i].type == MIRA_FIELD_CLIENT_REF)
      g_string_append_printf (sql, " LEFT JOIN clients tc ON tc.id = t.%s",
                              entity->fields[i].column);
  return g_string_free (sql, FALSE);
}

static char *
fts5_query (const char *q)
{
  GString *out = g_string_new (NULL);
  g_autofree char *lower = g_utf8_strdown (q, -1);
  const char *p = lower;

  /* Each word becomes a quoted FTS5 string: no user text is ever FTS5 syntax. */
  while (*p != '\0')
    {
      const char *start;

      while (*p != '\0' && !g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p > start)
        g_string_append_printf (out, "%s\"%.*s\"", out->len ? " " : "", (int) (p - start), start);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  GString   *where;
  GPtrArray *params;
  gboolean   empty;     /* a filter that can match nothing */
  gboolean   filtered;
} Conditions;

static gboolean
build_conditions (MiraDb            *db,
                  const char        *net_uuid,
                  const MiraEntity  *entity,
                  GHashTable        *query,
                  Conditions        *cond,
                  GError           **error)
{
  g_autoptr(GTimeZone) zone = NULL;

  cond->where = g_string_new ("t.network_id = $1");
  cond->params = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (cond->params, g_strdup (net_uuid));

  for (guint i = 0; i < entity->n_filters && query != NULL; i++)
    {
      const MiraFilter *filter = &entity->filters[i];
      const char *raw = g_hash_table_lookup (query, filter->param);
      g_autofree char *value = NULL;
      g_autofree char *placeholder = NULL;
      g_auto(GStrv) parts = NULL;

      if (raw == NULL)
        continue;

      switch (filter->type)
        {
        case MIRA_FIELD_TIMESTAMP:
          {
            g_autoptr(GError) reason = NULL;

            if (zone == NULL && (zone = mira_entity_time_zone (db, net_uuid, error)) == NULL)
              return FALSE;
            value = mira_time_normalize (raw, zone, MIRA_TIME_PARSE_QUERY, &reason);
            if (value == NULL)
              {
                g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_FILTER,
                             "Query parameter '%s': %s", filter->param, reason->message);
                return FALSE;
              }
            break;
          }
        case MIRA_FIELD_REF:
          if (!mira_is_uuid (raw))
            {
              g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_FILTER,
                           "Query parameter '%s' must be a UUID", filter->param);
              return FALSE;
            }
          value = g_ascii_strdown (raw, -1);
          break;
        case MIRA_FIELD_CLIENT_REF:
          if (!mira_is_client_id (raw))
            {
              g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_FILTER,
                           "Query parameter '%s' must be a client id", filter->param);
              return FALSE;
            }
          value = g_strdup (raw);
          break;
        default:
          if (filter->choices != NULL && !g_strv_contains (filter->choices, raw))
            {
              g_autofree char *list = g_strjoinv (", ", (char **) filter->choices);
              g_set_error (error, MIRA_DB_ERROR, MIRA_DB_ERROR_BAD_FILTER,
                           "Query parameter '%s' must be one of: %s", filter->param, list);
              return FALSE;
            }
          value = g_strdup (raw);
          break;
        }

      cond->filtered = TRUE;
      placeholder = g_strdup_printf ("$%u", cond->params->len + 1);

      if (filter->condition == NULL)
        {
          /* Full-text search on the text column of the entity, or of the
           * one that points to it
           */
          const char *table = filter->search_table ? filter->search_table : entity->table;
          const char *alias = filter->search_link ? "s" : "t";
          g_autofree char *match_sql = NULL;
          g_autofree char *title_sql = NULL;

          if (mira_db_get_dialect (db) == MIRA_DB_DIALECT_SQLITE)
            {
              char *match = fts5_query (value);

              if (*match == '\0')
                {
                  g_free (match);
                  cond->empty = TRUE;
                  continue;
                }
              match_sql = g_strdup_printf ("%s.rowid IN (SELECT rowid FROM %s_fts"
                                           " WHERE %s_fts MATCH %s)",
                                           alias, table, table, placeholder);
              g_ptr_array_add (cond->params, match);
            }
          else
            {
              match_sql = g_strdup_printf ("%s.text_search @@ plainto_tsquery('english', %s)",
                                           alias, placeholder);
              g_ptr_array_add (cond->params, g_strdup (value));
            }

          if (filter->search_link != NULL)
            {
              GString *linked = g_string_new (filter->search_link);

              g_string_replace (linked, "$M", match_sql, 1);
              g_clear_pointer (&match_sql, g_free);
              match_sql = g_string_free (linked, FALSE);
            }
          if (filter->search_title != NULL)
            {
              /* The words as typed, a substring of the title in any case */
              g_ptr_array_add (cond->params, g_strdup (value));
              title_sql = g_strdup_printf (" OR lower(t.%s) LIKE '%%' || lower($%u) || '%%'",
                                           filter->search_title, cond->params->len);
            }
          g_string_append_printf (cond->where, " AND (%s%s)", match_sql,
                                  title_sql ? title_sql : "");
          continue;
        }

      parts = g_strsplit (filter->condition, "$P", -1);
      g_string_append (cond->where, " AND ");
      {
        g_autofree char *joined = g_strjoinv (placeholder, parts);
        g_string_append (cond->where, joined);
      }
      g_ptr_array_add (cond->params, g_steal_pointer (&value));
    }

  return TRUE;
}

static void
conditions_clear (Conditions *cond)
{
  if (cond->where != NULL)
    g_string_free (cond->where, TRUE);
  g_clear_pointer (&cond->params, g_ptr_array_unref);
}

gboolean
mira_entity_query_rows (MiraDb            *db,
                        const char        *net_uuid,
                        const MiraEntity  *entity,
                        GHashTable        *query,
                        guint              limit,
                        guint              offset,
                        MiraDbResult     **rows_out,
                        gint64            *total,
                        GError           **error)
{
  Conditions cond = { 0 };
  g_autoptr(MiraDbResult) rows = NULL;
  g_autoptr(MiraDbResult) count = NULL;
  g_autofree char *select = NULL;
  g_autofree char *sql = NULL;
  gboolean counted = FALSE;
  gboolean ok = FALSE;
  guint n_rows = 0;

  *rows_out = NULL;
  *total = 0;
  if (!build_conditions (db, net_uuid, entity, query, &cond, error))
    goto out;
  if (cond.empty)
    {
      ok = TRUE;
      goto out;
    }

  if (limit > 0)
    {
      gboolean inline_count = !cond.filtered && entity->count_column != NULL;

      select = mira_entity_select_sql (entity);
      if (inline_count)
        {
          /* "SELECT a, b FROM t" → "SELECT a, b, (the count) FROM t" */
          const char *from = g_strrstr (select, " FROM ");
          char *with_count = g_strdup_printf ("%.*s, (SELECT n.%s FROM networks n"
                                              " WHERE n.id = $1)%s",
                                              (int) (from - select), select,
                                              entity->count_column, from);

          g_free (select);
          select = with_count;
        }
      sql = g_strdup_printf ("%s WHERE %s ORDER BY %s LIMIT CAST($%u AS INTEGER)"
                             " OFFSET CAST($%u AS INTEGER)",
                             select, cond.where->str, entity->order_by,
                             cond.params->len + 1, cond.params->len + 2);
      g_ptr_array_add (cond.params, g_strdup_printf ("%u", limit));
      g_ptr_array_add (cond.params, g_strdup_printf ("%u", offset));
      rows = mira_db_queryv (db, sql, cond.params, error);
      g_ptr_array_set_size (cond.params, cond.params->len - 2);
      if (rows == NULL)
        goto out;
      n_rows = mira_db_result_n_rows (rows);
      if (inline_count && n_rows > 0)
        {
          *total = g_ascii_strtoll (mira_db_result_get (rows, 0,
                                                        mira_db_result_n_cols (rows) - 1),
                                    NULL, 10);
          counted = TRUE;
        }
      else if (n_rows < limit && (n_rows > 0 || offset == 0))
        {
          /* The last page, or an empty first one: its rows are the rest,
           * as the statement saw them. A count of its own would run on
           * another snapshot, and a row stored in between would show a
           * total its items do not have.
           */
          *total = (gint64) offset + n_rows;
          counted = TRUE;
        }
    }

  if (!counted)
    {
      g_free (sql);
      if (!cond.filtered && entity->count_column != NULL)
        {
          sql = g_strdup_printf ("SELECT %s FROM networks WHERE id = $1", entity->count_column);
          count = mira_db_query (db, sql, 1, (const char *[]) { net_uuid }, error);
        }
      else
        {
          sql = g_strdup_printf ("SELECT count(*) FROM %s t WHERE %s", entity->table,
                                 cond.where->str);
          count = mira_db_queryv (db, sql, cond.params, error);
        }
      if (count == NULL)
        goto out;
      if (mira_db_result_n_rows (count) > 0)
        *total = g_ascii_strtoll (mira_db_result_get (count, 0, 0), NULL, 10);
      /* Rows deleted between the two statements: never fewer than shown */
      if (n_rows > 0)
        *total = MAX (*total, (gint64) offset + n_rows);
    }

  *rows_out = g_steal_pointer (&rows);
  ok = TRUE;

out:
  conditions_clear (&cond);
  return ok;
}
