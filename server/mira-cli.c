/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

/* The mira-server command line: serve (the default), migrate, networks. */

#include "config.h"

#include "mira-cli.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "mira-curl.h"
#include "mira-db.h"
#include "mira-json.h"
#include "mira-migrations.h"
#include "mira-networks.h"
#include "mira-server.h"
#include "mira-sphinx.h"
#include "mira-store.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"

typedef struct
{
  char     *host;
  int       port;
  char     *database;
  char     *admin_token_file;
  gboolean  open_registration;
  char     *tls_cert;
  char     *tls_key;
  char     *log_level;
  int       workers;
  int       audio_threads;
  char     *transcriber;
  char     *llm_url;
  char     *llm_model;
  char     *llm_key_file;
  int       llm_timeout;
  int       transcriber_timeout;
  int       sphinx_decoders;
  int       sphinx_idle;
  char     *openai_url;
  char     *openai_model;
  char     *openai_key_file;
  char     *deepgram_url;
  char     *deepgram_key_file;
  gboolean  version;
  gboolean  status;
} Options;

static GLogLevelFlags max_level = G_LOG_LEVEL_MESSAGE;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  /* Lower flag values are more severe. */
  if ((level & G_LOG_LEVEL_MASK) > max_level)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

static gboolean
set_log_level (const char  *name,
               GError     **error)
{
  static const struct { const char *name; GLogLevelFlags level; } levels[] = {
    { "error", G_LOG_LEVEL_CRITICAL },
    { "warning", G_LOG_LEVEL_WARNING },
    { "info", G_LOG_LEVEL_INFO },
    { "message", G_LOG_LEVEL_MESSAGE },
    { "debug", G_LOG_LEVEL_DEBUG },
  };

  if (name == NULL)
    name = "message";
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (name, levels[i].name) == 0)
      {
        max_level = levels[i].level;
        g_log_set_writer_func (log_writer, NULL, NULL);
        return TRUE;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--log-level must be one of error, warning, message, info, debug");
  return FALSE;
}

static char *
database_uri (Options *options)
{
  const char *env = g_getenv ("MIRA_DATABASE_URL");
  g_autofree char *path = NULL;

  if (options->database != NULL)
    return g_strdup (options->database);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  path = g_build_filename (g_get_user_data_dir (), "mira", "mira.db", NULL);
  return g_strconcat ("sqlite://", path, NULL);
}

/* Whether @url, the value of --@option, is an http:// or https:// URL with a
 * host; G_OPTION_ERROR_BAD_VALUE saying so when not. Checked at start-up, so
 * that a typo is not first noticed at the first utterance or interaction.
 */
static gboolean
check_http_url (const char  *option,
                const char  *url,
                const char  *example,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
      (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
       g_strcmp0 (g_uri_get_scheme (uri), "https") == 0))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--%s must be an http:// or https:// URL, e.g. %s", option, example);
  return FALSE;
}

/* The language model of --llm-url, or NULL (and no error) without one. Its
 * key comes from --llm-key-file, else MIRA_LLM_API_KEY (mira_api_key_load()),
 * never from the command line, where every user of the machine can read it.
 */
static MiraLlm *
load_llm (Options  *options,
          GError  **error)
{
  g_autofree char *key = NULL;

  if (options->llm_url == NULL)
    {
      if (options->llm_model != NULL || options->llm_key_file != NULL)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--llm-model and --llm-key-file need --llm-url");
      return NULL;
    }
  if (!check_http_url ("llm-url", options->llm_url, "http://127.0.0.1:11434", error))
    return NULL;
  if (options->llm_model == NULL || *options->llm_model == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--llm-url needs --llm-model (the model's name, e.g. llama3.2)");
      return NULL;
    }
  if (options->llm_timeout < 1 || options->llm_timeout > 600)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--llm-timeout must be between 1 and 600 seconds");
      return NULL;
    }
  if (!mira_api_key_load (options->llm_key_file, "MIRA_LLM_API_KEY", "--llm-key-file", &key,
                          error))
    return NULL;
  return mira_llm_new (options->llm_url, options->llm_model, key,
                       (guint) options->llm_timeout * 1000);
}

/* The admin token: from MIRA_ADMIN_TOKEN, or a 0600 file, created at first start. */
static char *
load_admin_token (Options  *options,
                  char    **path_out,
                  GError  **error)
{
  const char *env = g_getenv ("MIRA_ADMIN_TOKEN");
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *token = NULL;
  g_autofree char *dir = NULL;

  if (env != NULL && *env != '\0')
    {
      if (strlen (env) < 16)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "MIRA_ADMIN_TOKEN must be at least 16 characters");
          return NULL;
        }
      return g_strdup (env);
    }

  path = options->admin_token_file
           ? g_strdup (options->admin_token_file)
           : g_build_filename (g_get_user_config_dir (), "mira", "admin-token", NULL);

  if (g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_strstrip (contents);
      if (strlen (contents) < 16)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "The admin token in %s is shorter than 16 characters", path);
          return NULL;
        }
      if (path_out)
        *path_out = g_steal_pointer (&path);
      return g_steal_pointer (&contents);
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "Cannot create %s: %s",
                   dir, g_strerror (saved));
      return NULL;
    }
  token = mira_token_new ("mat_");
  {
    g_autofree char *line = g_strconcat (token, "\n", NULL);
    int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);

    if (fd < 0 || write (fd, line, strlen (line)) != (gssize) strlen (line))
      {
        int saved = errno;

        if (fd >= 0)
          close (fd);
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                     "Cannot write the admin token to %s: %s", path, g_strerror (saved));
        return NULL;
      }
    close (fd);
  }
  g_message ("created a new admin token in %s", path);
  if (path_out)
    *path_out = g_steal_pointer (&path);
  return g_steal_pointer (&token);
}

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("stopping");
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Whether the transcribers' options are in range, whatever --transcriber
 * names: an option given wrong is refused, not kept for a later chain. 0, or
 * the exit status.
 */
static int
check_transcriber_options (Options *options)
{
  g_autoptr(GError) error = NULL;

  if (options->transcriber_timeout < 1 || options->transcriber_timeout > 600000)
    {
      g_printerr ("mira-server: --transcriber-timeout must be between 1 and 600000 ms\n");
      return 2;
    }
  if (options->sphinx_decoders < 1 || options->sphinx_decoders > 64)
    {
      g_printerr ("mira-server: --sphinx-decoders must be between 1 and 64\n");
      return 2;
    }
  if (options->sphinx_idle < 0 || options->sphinx_idle > 86400)
    {
      g_printerr ("mira-server: --sphinx-idle must be between 0 and 86400 seconds\n");
      return 2;
    }
  if ((options->openai_url != NULL &&
       !check_http_url ("openai-url", options->openai_url, "http://127.0.0.1:8000", &error)) ||
      (options->deepgram_url != NULL &&
       !check_http_url ("deepgram-url", options->deepgram_url, "https://api.deepgram.com",
                        &error)))
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 2;
    }
  return 0;
}

/* The chain of --transcriber; 0, or the exit status on failure */
static int
make_transcribers (Options               *options,
                   MiraTranscriberChain **chain_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *openai_key = NULL;
  g_autofree char *deepgram_key = NULL;
  MiraTranscriberOptions transcriber_options = { 0 };

  if (!mira_api_key_load (options->openai_key_file, "MIRA_OPENAI_API_KEY", "--openai-key-file",
                          &openai_key, &error) ||
      !mira_api_key_load (options->deepgram_key_file, "MIRA_DEEPGRAM_API_KEY",
                          "--deepgram-key-file", &deepgram_key, &error))
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 2;
    }

  transcriber_options.sphinx_decoders = (guint) options->sphinx_decoders;
  /* 0 on the command line: never let go (the options' 0 is the default) */
  transcriber_options.sphinx_idle_s = options->sphinx_idle == 0 ? -1 : options->sphinx_idle;
  transcriber_options.openai_url = options->openai_url;
  transcriber_options.openai_model = options->openai_model;
  transcriber_options.openai_key = openai_key;
  transcriber_options.deepgram_url = options->deepgram_url;
  transcriber_options.deepgram_key = deepgram_key;
  transcriber_options.timeout_ms = (guint) options->transcriber_timeout;
  *chain_out = mira_transcriber_chain_new (options->transcriber ? options->transcriber : "sphinx",
                                           &transcriber_options, &error);
  if (*chain_out == NULL)
    {
      gboolean usage = g_error_matches (error, MIRA_TRANSCRIBER_ERROR,
                                        MIRA_TRANSCRIBER_ERROR_INVALID_SPEC);

      g_printerr ("mira-server: %s%s\n", usage ? "--transcriber: " : "cannot start PocketSphinx: ",
                  error->message);
      return usage ? 2 : 1;
    }
  if (openai_key != NULL)
    memset (openai_key, 0, strlen (openai_key));
  if (deepgram_key != NULL)
    memset (deepgram_key, 0, strlen (deepgram_key));
  return 0;
}

static int
serve (Options *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraStore) store = NULL;
  g_autoptr(MiraServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(MiraTranscriberChain) chain = NULL;
  g_autoptr(MiraLlm) llm = NULL;
  g_autofree char *uri = database_uri (options);
  g_autofree char *admin_token = NULL;
  g_autofree char *token_path = NULL;
  MiraServerOptions server_options = { 0 };
  guint workers = options->workers > 0 ? (guint) options->workers
                                       : MAX (4, 2 * g_get_num_processors ());
  int rc;

  /* A server allocates and frees the same sizes all day: keep freed memory
   * instead of giving it back to the kernel after every request.
   */
  mallopt (M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);

  /* First: a wrong --transcriber creates no token and no database */
  rc = check_transcriber_options (options);
  if (rc != 0)
    return rc;
  if (options->transcriber == NULL || !g_str_equal (options->transcriber, "none"))
    {
      rc = make_transcribers (options, &chain);
      if (rc != 0)
        return rc;
      server_options.transcriber = MIRA_TRANSCRIBER (chain);
    }

  admin_token = load_admin_token (options, &token_path, &error);
  if (admin_token == NULL)
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 1;
    }

  store = mira_store_new (uri, workers, &error);
  if (store == NULL)
    {
      g_printerr ("mira-server: cannot open the database: %s\n", error->message);
      return 1;
    }

  llm = load_llm (options, &error);
  if (error != NULL)
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 2;
    }
  server_options.llm = llm;

  server_options.open_registration = options->open_registration;
  server_options.admin_token = admin_token;
  server_options.tls_cert_file = options->tls_cert;
  server_options.tls_key_file = options->tls_key;
  if (options->audio_threads < 0 || options->audio_threads > 64)
    {
      g_printerr ("mira-server: --audio-threads must be between 0 and 64\n");
      return 2;
    }
  server_options.audio_threads = (guint) options->audio_threads;
  server = mira_server_new (store, &server_options, &error);
  if (server == NULL || !mira_server_listen (server, options->host, (guint) options->port, &error))
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);

  g_message ("transcriber %s", server_options.transcriber
                                 ? mira_transcriber_get_name (server_options.transcriber)
                                 : "none (live audio is scored, not transcribed)");
  if (llm != NULL)
    g_message ("actions and summaries by %s at %s (the built-in ones when it fails)",
               mira_llm_get_model (llm), mira_llm_get_url (llm));
  /* Which models the services run, and whether they answer at all */
  if (chain != NULL)
    mira_transcriber_chain_probe (chain);
  g_message ("database %s, %u workers%s", mira_store_get_dialect (store) == MIRA_DB_DIALECT_SQLITE
                                            ? "SQLite" : "PostgreSQL", workers,
             options->open_registration ? ", open registration" : "");
  if (token_path != NULL)
    g_message ("admin token in %s", token_path);
  g_print ("listening on %s\n", mira_server_get_url (server));
  fflush (stdout);

  g_main_loop_run (loop);
  mira_server_shutdown (server);
  g_clear_object (&server);
  g_clear_pointer (&store, mira_store_free);
  g_message ("stopped");
  return 0;
}

static gpointer
migrate_job (MiraDb   *db,
             gpointer  data,
             GError  **error)
{
  gboolean *status_only = data;
  g_autoptr(GPtrArray) list = NULL;

  if (!*status_only && !mira_migrations_apply (db, error))
    return NULL;
  list = mira_migrations_status (db, error);
  return g_steal_pointer (&list);
}

static int
migrate (Options *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = database_uri (options);
  g_autoptr(MiraDb) db = mira_db_open (uri, &error);
  g_autoptr(GPtrArray) list = NULL;

  if (db == NULL)
    {
      g_printerr ("mira-server: cannot open the database: %s\n", error->message);
      return 1;
    }
  list = migrate_job (db, &options->status, &error);
  if (list == NULL)
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 1;
    }
  g_print ("%-8s %-32s %s\n", "VERSION", "NAME", "APPLIED");
  for (guint i = 0; i < list->len; i++)
    {
      MiraMigration *m = g_ptr_array_index (list, i);

      g_print ("%04u     %-32s %s\n", m->version, m->name, m->applied_at ? m->applied_at
                                                                         : "pending");
    }
  return 0;
}

/* A networks command, run on a store worker in one transaction. */
typedef struct
{
  const char *verb;
  const char *arg;    /* the name to create, or the network id */
} NetworksJob;

static JsonNode *
networks_job_run (MiraDb       *db,
                  NetworksJob  *job,
                  GError      **error)
{
  g_autofree char *net_uuid = NULL;
  JsonObject *out;

  if (g_str_equal (job->verb, "list"))
    {
      JsonArray *items;
      guint64 total;

      items = mira_networks_list (db, NULL, G_MAXUINT, 0, &total, error);
      if (items == NULL)
        return NULL;
      out = json_object_new ();
      json_object_set_array_member (out, "items", items);
      json_object_set_int_member (out, "total", total);
    }
  else if (g_str_equal (job->verb, "create"))
    {
      g_autofree char *token = NULL;

      out = mira_networks_create (db, job->arg, NULL, &token, error);
      if (out == NULL)
        return NULL;
      json_object_set_string_member (out, "network_token", token);
    }
  else
    {
      net_uuid = mira_network_lookup_uuid (db, job->arg, error);
      if (net_uuid == NULL)
        return NULL;
      if (g_str_equal (job->verb, "delete"))
        out = mira_networks_delete (db, net_uuid, NULL, error);
      else
        {
          MiraNetworkChange change = { 0 };

          change.status = g_str_equal (job->verb, "suspend") ? "suspended" : "active";
          out = mira_networks_update (db, net_uuid, &change, NULL, error);
        }
      if (out == NULL)
        return NULL;
    }
  return json_node_init_object (json_node_alloc (), out);
}

/* The commands write to the database directly: a server running on it
 * learns of a suspended or deleted network at its next look at the tokens.
 */
static gpointer
networks_job (MiraDb    *db,
              gpointer   data,
              GError   **error)
{
  g_autoptr(JsonNode) result = NULL;

  if (!mira_db_begin (db, error))
    return NULL;
  result = networks_job_run (db, data, error);
  if (result == NULL)
    {
      mira_db_rollback (db);
      return NULL;
    }
  if (!mira_db_commit (db, error))
    return NULL;
  return g_steal_pointer (&result);
}

static int
networks (Options  *options,
          int       argc,
          char    **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = database_uri (options);
  g_autoptr(MiraStore) store = NULL;
  g_autoptr(JsonNode) result = NULL;
  NetworksJob job = { argc > 2 ? argv[2] : "list", argc > 3 ? argv[3] : NULL };

  if (!g_strv_contains ((const char *[]) { "list", "create", "suspend", "activate", "delete",
                                           NULL }, job.verb))
    {
      g_printerr ("mira-server: unknown networks command '%s'"
                  " (list, create NAME, suspend ID, activate ID, delete ID)\n", job.verb);
      return 2;
    }
  if (!g_str_equal (job.verb, "list") && job.arg == NULL)
    {
      g_printerr ("mira-server: 'networks %s' needs %s\n", job.verb,
                  g_str_equal (job.verb, "create") ? "a NAME" : "a network ID");
      return 2;
    }
  if (!g_str_equal (job.verb, "list") && !g_str_equal (job.verb, "create") &&
      !mira_is_network_id (job.arg))
    {
      g_printerr ("mira-server: '%s' is not a network id (net_ and 32 hex digits)\n", job.arg);
      return 2;
    }

  store = mira_store_new (uri, 1, &error);
  if (store == NULL)
    {
      g_printerr ("mira-server: cannot open the database: %s\n", error->message);
      return 1;
    }
  result = mira_store_run_sync (store, networks_job, &job, &error);
  if (result == NULL)
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 1;
    }
  if (g_str_equal (job.verb, "delete"))
    g_print ("deleted %s\n", job.arg);
  else
    {
      g_autofree char *pretty = mira_json_to_string (result, TRUE);

      g_print ("%s\n", pretty);
    }
  return 0;
}

int
mira_cli_main (int    argc,
               char **argv)
{
  /* Defaults the checks see as given: a 0 on the command line is refused */
  Options options = { .host = NULL, .port = 8080, .llm_timeout = 20,
                     .transcriber_timeout = MIRA_TRANSCRIBER_DEFAULT_TIMEOUT_MS,
                     .sphinx_decoders = CLAMP ((int) g_get_num_processors (), 1, 64),
                     .sphinx_idle = MIRA_SPHINX_DEFAULT_IDLE_S };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *command;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &options.host,
      "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)", "ADDRESS" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &options.port,
      "Port to listen on (default 8080; 0 picks a free one)", "PORT" },
    { "database", 'd', 0, G_OPTION_ARG_STRING, &options.database,
      "postgresql://… or sqlite:///path (default: env MIRA_DATABASE_URL, else an SQLite file"
      " in $XDG_DATA_HOME/mira)", "URI" },
    { "admin-token-file", 0, 0, G_OPTION_ARG_FILENAME, &options.admin_token_file,
      "File holding the admin token, created at first start (default"
      " $XDG_CONFIG_HOME/mira/admin-token; env MIRA_ADMIN_TOKEN wins)", "FILE" },
    { "open-registration", 0, 0, G_OPTION_ARG_NONE, &options.open_registration,
      "Let anyone create a network, without the admin token", NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_cert,
      "PEM certificate: serve HTTPS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_key, "PEM private key", "FILE" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &options.log_level,
      "error, warning, message (default), info or debug", "LEVEL" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &options.workers,
      "Database worker threads (default max(4, 2 × cores))", "N" },
    { "audio-threads", 0, 0, G_OPTION_ARG_INT, &options.audio_threads,
      "Threads that read and decode audio sockets (default 0: one per core)", "N" },
    { "transcriber", 0, 0, G_OPTION_ARG_STRING, &options.transcriber,
      "Speech to text for live audio: a comma-separated chain of sphinx (offline), openai,"
      " deepgram and wyoming://HOST:PORT, tried in order (default sphinx), or none", "CHAIN" },
    { "transcriber-timeout", 0, 0, G_OPTION_ARG_INT, &options.transcriber_timeout,
      "Time a remote transcriber gets for one utterance before the next one of the chain"
      " takes it (default 10000)", "MS" },
    { "sphinx-decoders", 0, 0, G_OPTION_ARG_INT, &options.sphinx_decoders,
      "PocketSphinx decoders at most, each ~61 MB, loaded on need (default one per core)", "N" },
    { "sphinx-idle", 0, 0, G_OPTION_ARG_INT, &options.sphinx_idle,
      "Seconds a PocketSphinx decoder stays loaded without use; the next utterance loads it"
      " again, about 0.5 s (default 300; 0: until the server stops)", "S" },
    { "openai-url", 0, 0, G_OPTION_ARG_STRING, &options.openai_url,
      "Base URL of the openai transcriber: OpenAI, a whisper.cpp or faster-whisper server"
      " (default https://api.openai.com)", "URL" },
    { "openai-model", 0, 0, G_OPTION_ARG_STRING, &options.openai_model,
      "Model the openai transcriber asks for (default whisper-1)", "NAME" },
    { "openai-key-file", 0, 0, G_OPTION_ARG_FILENAME, &options.openai_key_file,
      "File holding the openai transcriber's API key on one line; without it,"
      " env MIRA_OPENAI_API_KEY; without either, no key is sent", "FILE" },
    { "deepgram-url", 0, 0, G_OPTION_ARG_STRING, &options.deepgram_url,
      "Base URL of the deepgram transcriber (default https://api.deepgram.com)", "URL" },
    { "deepgram-key-file", 0, 0, G_OPTION_ARG_FILENAME, &options.deepgram_key_file,
      "File holding the deepgram transcriber's API key on one line; without it,"
      " env MIRA_DEEPGRAM_API_KEY", "FILE" },
    { "llm-url", 0, 0, G_OPTION_ARG_STRING, &options.llm_url,
      "An OpenAI-compatible chat completions service (Ollama, llama.cpp, vLLM, OpenAI) that"
      " finds the actions in interactions and titles and summarises conversations, e.g."
      " http://127.0.0.1:11434 (default: none, the built-in extractor and summary)", "URL" },
    { "llm-model", 0, 0, G_OPTION_ARG_STRING, &options.llm_model,
      "The model's name at --llm-url, e.g. llama3.2", "NAME" },
    { "llm-key-file", 0, 0, G_OPTION_ARG_FILENAME, &options.llm_key_file,
      "File holding the API key for --llm-url on one line; without it, env MIRA_LLM_API_KEY",
      "FILE" },
    { "llm-timeout", 0, 0, G_OPTION_ARG_INT, &options.llm_timeout,
      "Seconds one request to --llm-url may take before the built-in methods step in"
      " (default 20)", "S" },
    { "status", 0, 0, G_OPTION_ARG_NONE, &options.status,
      "With migrate: show the migrations without applying any", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &options.version, "Print the version and exit", NULL },
    { NULL }
  };
  int rc;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("[COMMAND] — the Mira server");
  g_option_context_set_summary (context,
    "Commands:\n"
    "  serve                      Run the server (the default)\n"
    "  migrate [--status]         Apply the database migrations, or show them\n"
    "  networks list              List every network\n"
    "  networks create NAME       Create a network and print its token\n"
    "  networks suspend|activate|delete NETWORK_ID\n"
    "\n"
    "API keys: a --…-key-file given on the command line wins over its\n"
    "environment variable (MIRA_OPENAI_API_KEY, MIRA_DEEPGRAM_API_KEY,\n"
    "MIRA_LLM_API_KEY); an empty variable counts as unset.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("mira-server: %s\nTry 'mira-server --help'.\n", error->message);
      return 2;
    }
  if (options.version)
    {
      g_print ("mira-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (!set_log_level (options.log_level, &error))
    {
      g_printerr ("mira-server: %s\n", error->message);
      return 2;
    }
  if (options.port < 0 || options.port > 65535)
    {
      g_printerr ("mira-server: --port must be between 0 and 65535\n");
      return 2;
    }

  command = argc > 1 ? argv[1] : "serve";
  if (g_str_equal (command, "serve"))
    rc = serve (&options);
  else if (g_str_equal (command, "migrate"))
    rc = migrate (&options);
  else if (g_str_equal (command, "networks"))
    rc = networks (&options, argc, argv);
  else
    {
      g_printerr ("mira-server: unknown command '%s'. Try 'mira-server --help'.\n", command);
      rc = 2;
    }

  g_free (options.host);
  g_free (options.database);
  g_free (options.admin_token_file);
  g_free (options.tls_cert);
  g_free (options.tls_key);
  g_free (options.log_level);
  g_free (options.transcriber);
  g_free (options.llm_url);
  g_free (options.llm_model);
  g_free (options.llm_key_file);
  g_free (options.openai_url);
  g_free (options.openai_model);
  g_free (options.openai_key_file);
  g_free (options.deepgram_url);
  g_free (options.deepgram_key_file);
  return rc;
}
