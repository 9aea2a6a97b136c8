/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-grants"

/* A socket is authenticated once, when it opens; what allowed it in can be
 * taken back later, in this process or in another one that shares the
 * database (the command line changes it directly). So the sockets' grants
 * are checked again: at once after a revoking write here, and periodically
 * for everyone else's. A check reads the database, never the token cache.
 */

#include "mira-grants.h"

#include "mira-db.h"
#include "mira-store.h"
#include "mira-util.h"

G_DEFINE_QUARK (mira-grants-error-quark, mira_grants_error)

/* The `error` of each code, as the sockets say it */
static const char * const error_codes[] = {
  [MIRA_GRANTS_ERROR_AUTH_REQUIRED] = "AUTH_REQUIRED",
  [MIRA_GRANTS_ERROR_INVALID_TOKEN] = "INVALID_TOKEN",
  [MIRA_GRANTS_ERROR_NETWORK_TOKEN_REQUIRED] = "NETWORK_TOKEN_REQUIRED",
  [MIRA_GRANTS_ERROR_FORBIDDEN] = "FORBIDDEN",
  [MIRA_GRANTS_ERROR_INVALID_CLIENT_ID] = "INVALID_CLIENT_ID",
  [MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND] = "NETWORK_NOT_FOUND",
  [MIRA_GRANTS_ERROR_NETWORK_SUSPENDED] = "NETWORK_SUSPENDED",
  [MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND] = "CLIENT_NOT_FOUND",
  [MIRA_GRANTS_ERROR_TOKEN_REVOKED] = "TOKEN_REVOKED",
  [MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS] = "TOO_MANY_SOCKETS",
};

gushort
mira_grants_error_close (const GError  *error,
                         const char   **error_code)
{
  const char *code = "INTERNAL_ERROR";
  gushort close_code = 1008;   /* Policy Violation */

  g_return_val_if_fail (error != NULL, 1008);

  if (error->domain == MIRA_GRANTS_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (error_codes))
    code = error_codes[error->code];
  else if (g_error_matches (error, MIRA_DB_ERROR, MIRA_DB_ERROR_UNAVAILABLE))
    {
      code = "DATABASE_UNAVAILABLE";
      close_code = 1011;   /* Internal Error: try again later */
    }
  if (error_code != NULL)
    *error_code = code;
  return close_code;
}

typedef struct
{
  guint             id;
  char             *token_hash;   /* NULL: the admin token */
  char             *network_id;
  char             *client_id;    /* NULL: an event socket */
  MiraGrantRevoked  revoked;
  gpointer          user_data;
  gboolean          done;         /* told once */
} Grant;

struct _MiraGrants
{
  MiraStore  *store;
  GHashTable *grants;       /* id → Grant */
  GHashTable *per_token;    /* token hash → sockets it holds open (GUINT_TO_POINTER) */
  guint       next_id;
  guint       timer;
  gboolean    checking;     /* a check is under way */
  gboolean    again;        /* and another one is wanted after it */
  gboolean    dying;        /* freed while checking: the check frees it */
};

/* What a check asks and what the database answers: filled on a worker */
typedef struct
{
  GPtrArray  *hashes;       /* distinct token hashes */
  GPtrArray  *networks;     /* distinct network ids */
  GArray     *ids;          /* the grants checked */
  GHashTable *valid;        /* hash → itself: still a valid token */
  GHashTable *status;       /* network id → status */
  GHashTable *clients;      /* "network_id client_id" → itself */
} Check;

static void
grant_free (gpointer data)
{
  Grant *grant = data;

  g_free (grant->token_hash);
  g_free (grant->network_id);
  g_free (grant->client_id);
  g_free (grant);
}

static void
check_free (gpointer data)
{
  Check *check = data;

  g_ptr_array_unref (check->hashes);
  g_ptr_array_unref (check->networks);
  g_array_unref (check->ids);
  g_hash_table_unref (check->valid);
  g_hash_table_unref (check->status);
  g_hash_table_unref (check->clients);
  g_free (check);
}

static char *
client_key (const char *network_id,
            const char *client_id)
{
  return g_strconcat (network_id, " ", client_id, NULL);
}

/* "($1, $2, … $n)" */
static char *
placeholders (guint n)
{
  GString *out = g_string_new ("(");

  for (guint i = 1; i <= n; i++)
    g_string_append_printf (out, "%s$%u", i > 1 ? ", " : "", i);
  g_string_append_c (out, ')');
  return g_string_free (out, FALSE);
}

/* Runs @sql on @values in batches, each "(@)" of it becoming the batch's
 * placeholders; the first column of each row goes into @set, the second (or
 * the first again) as its value.
 */
static gboolean
query_batches (MiraDb      *db,
               const char  *sql,
               GPtrArray   *values,
               GHashTable  *set,
               GError     **error)
{
  for (guint start = 0; start < values->len; start += MIRA_GRANTS_BATCH)
    {
      guint n = MIN (MIRA_GRANTS_BATCH, values->len - start);
      g_autoptr(GPtrArray) params = g_ptr_array_new ();
      g_autofree char *marks = placeholders (n);
      g_autoptr(GString) batch = g_string_new (sql);
      g_autoptr(MiraDbResult) res = NULL;

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (params, g_ptr_array_index (values, start + i));
      g_string_replace (batch, "(@)", marks, 0);
      res = mira_db_queryv (db, batch->str, params, error);
      if (res == NULL)
        return FALSE;
      for (guint row = 0; row < mira_db_result_n_rows (res); row++)
        {
          const char *key = mira_db_result_get (res, row, 0);
          const char *value = mira_db_result_n_cols (res) > 1 ? mira_db_result_get (res, row, 1)
                                                              : key;

          g_hash_table_replace (set, g_strdup (key), g_strdup (value));
        }
    }
  return TRUE;
}

static gpointer
check_run (MiraDb    *db,
           gpointer   data,
           GError   **error)
{
  Check *check = data;

  /* Three reads, not one snapshot: a revocation may land between them. They
   * go in the reverse order of the reasons' precedence (network, then
   * client, then token), so that one landing in between is seen by a later
   * read and named by its stronger reason (a deleted network, not its
   * clients gone).
   * A placeholder may appear twice: both backends bind it by name.
   */
  if (!query_batches (db, "SELECT token_hash FROM networks WHERE token_hash IN (@)"
                          " UNION ALL"
                          " SELECT session_token FROM client_sessions"
                          " WHERE is_active AND session_token IN (@)",
                      check->hashes, check->valid, error))
    return NULL;
  if (!query_batches (db, "SELECT n.network_id || ' ' || c.client_id FROM clients c"
                          " JOIN networks n ON n.id = c.network_id"
                          " WHERE n.network_id IN (@)",
                      check->networks, check->clients, error))
    return NULL;
  if (!query_batches (db, "SELECT network_id, status FROM networks WHERE network_id IN (@)",
                      check->networks, check->status, error))
    return NULL;
  return check;
}

static void start_check (MiraGrants *self);

/* Why @grant no longer holds (a MIRA_GRANTS_ERROR), or FALSE */
static gboolean
revoked_because (Check   *check,
                 Grant   *grant,
                 GError **error)
{
  const char *status = g_hash_table_lookup (check->status, grant->network_id);

  if (status == NULL)
    {
      g_set_error_literal (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_NOT_FOUND,
                           "network deleted");
      return TRUE;
    }
  if (g_str_equal (status, "suspended"))
    {
      g_set_error_literal (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_NETWORK_SUSPENDED,
                           "network suspended");
      return TRUE;
    }
  if (grant->client_id != NULL)
    {
      g_autofree char *key = client_key (grant->network_id, grant->client_id);

      if (!g_hash_table_contains (check->clients, key))
        {
          g_set_error_literal (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_CLIENT_NOT_FOUND,
                               "client deregistered");
          return TRUE;
        }
    }
  if (grant->token_hash != NULL && !g_hash_table_contains (check->valid, grant->token_hash))
    {
      g_set_error_literal (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_TOKEN_REVOKED,
                           "token revoked");
      return TRUE;
    }
  return FALSE;
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  MiraGrants *self = user_data;
  g_autoptr(GError) error = NULL;
  Check *check = mira_store_run_finish (self->store, result, &error);

  self->checking = FALSE;
  if (self->dying)
    {
      mira_grants_free (self);
      return;
    }
  /* The database is down: nothing is known, every socket stays. */
  if (check == NULL)
    g_debug ("grants not checked: %s", error->message);
  else
    {
      for (guint i = 0; i < check->ids->len; i++)
        {
          Grant *grant = g_hash_table_lookup (self->grants,
                                              GUINT_TO_POINTER (g_array_index (check->ids,
                                                                               guint, i)));
          g_autoptr(GError) revoked = NULL;

          if (grant == NULL || grant->done || !revoked_because (check, grant, &revoked))
            continue;
          grant->done = TRUE;
          g_message ("closing a socket of %s: %s", grant->network_id, revoked->message);
          /* May remove @grant */
          grant->revoked (grant->user_data, revoked);
        }
    }
  if (self->again)
    start_check (self);
}

static void
start_check (MiraGrants *self)
{
  g_autoptr(GHashTable) hashes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) networks = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  Grant *grant;
  Check *check;

  self->again = FALSE;
  if (g_hash_table_size (self->grants) == 0)
    return;

  check = g_new0 (Check, 1);
  check->hashes = g_ptr_array_new_with_free_func (g_free);
  check->networks = g_ptr_array_new_with_free_func (g_free);
  check->ids = g_array_new (FALSE, FALSE, sizeof (guint));
  check->valid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  check->status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  check->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_hash_table_iter_init (&iter, self->grants);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &grant))
    {
      if (grant->done)
        continue;
      g_array_append_val (check->ids, grant->id);
      if (grant->token_hash != NULL && g_hash_table_add (hashes, grant->token_hash))
        g_ptr_array_add (check->hashes, g_strdup (grant->token_hash));
      if (g_hash_table_add (networks, grant->network_id))
        g_ptr_array_add (check->networks, g_strdup (grant->network_id));
    }
  if (check->ids->len == 0)
    {
      check_free (check);
      return;
    }
  self->checking = TRUE;
  mira_store_run_async (self->store, check_run, check, check_free, NULL, NULL, check_done,
                        self);
}

static gboolean
on_timer (gpointer user_data)
{
  mira_grants_check (user_data);
  return G_SOURCE_CONTINUE;
}

MiraGrants *
mira_grants_new (MiraStore *store)
{
  MiraGrants *self = g_new0 (MiraGrants, 1);

  self->store = store;
  self->grants = g_hash_table_new_full (NULL, NULL, NULL, grant_free);
  self->per_token = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->timer = mira_timeout_add_seconds (MIRA_GRANTS_INTERVAL_S, on_timer, self);
  return self;
}

void
mira_grants_free (MiraGrants *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->timer, mira_source_remove);
  if (self->checking)
    {
      self->dying = TRUE;
      return;
    }
  g_hash_table_unref (self->grants);
  g_hash_table_unref (self->per_token);
  g_free (self);
}

guint
mira_grants_add (MiraGrants       *self,
                 const char       *token,
                 const char       *network_id,
                 const char       *client_id,
                 MiraGrantRevoked  revoked,
                 gpointer          user_data,
                 GError          **error)
{
  Grant *grant;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (network_id != NULL, 0);
  g_return_val_if_fail (revoked != NULL, 0);

  grant = g_new0 (Grant, 1);
  grant->token_hash = token ? mira_sha256_hex (token) : NULL;
  if (grant->token_hash != NULL)
    {
      guint held = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_token, grant->token_hash));

      if (held >= MIRA_GRANTS_MAX_PER_TOKEN)
        {
          grant_free (grant);
          g_set_error (error, MIRA_GRANTS_ERROR, MIRA_GRANTS_ERROR_TOO_MANY_SOCKETS,
                       "This token holds %d sockets open already: close one first",
                       MIRA_GRANTS_MAX_PER_TOKEN);
          return 0;
        }
      g_hash_table_replace (self->per_token, g_strdup (grant->token_hash),
                            GUINT_TO_POINTER (held + 1));
    }
  grant->id = ++self->next_id;
  if (grant->id == 0)
    grant->id = ++self->next_id;
  grant->network_id = g_strdup (network_id);
  grant->client_id = g_strdup (client_id);
  grant->revoked = revoked;
  grant->user_data = user_data;
  g_hash_table_insert (self->grants, GUINT_TO_POINTER (grant->id), grant);
  return grant->id;
}

void
mira_grants_remove (MiraGrants *self,
                    guint       id)
{
  Grant *grant;

  g_return_if_fail (self != NULL);

  grant = g_hash_table_lookup (self->grants, GUINT_TO_POINTER (id));
  if (grant == NULL)
    return;
  if (grant->token_hash != NULL)
    {
      guint held = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_token, grant->token_hash));

      if (held <= 1)
        g_hash_table_remove (self->per_token, grant->token_hash);
      else
        g_hash_table_replace (self->per_token, g_strdup (grant->token_hash),
                              GUINT_TO_POINTER (held - 1));
    }
  g_hash_table_remove (self->grants, GUINT_TO_POINTER (id));
}

void
mira_grants_check (MiraGrants *self)
{
  g_return_if_fail (self != NULL);
  if (self->dying)
    return;
  if (self->checking)
    self->again = TRUE;
  else
    start_check (self);
}

gboolean
mira_grants_is_idle (MiraGrants *self)
{
  return !self->checking;
}
