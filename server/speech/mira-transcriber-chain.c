/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-transcriber-chain"

#include "mira-transcriber-chain.h"

#include <string.h>

#include "mira-deepgram-transcriber.h"
#include "mira-openai-transcriber.h"
#include "mira-sphinx.h"
#include "mira-util.h"
#include "mira-wyoming-transcriber.h"

#define MAX_SPEC_LEN     1000
#define MAX_CHAIN_LEN    8

typedef enum {
  STATE_UNKNOWN,
  STATE_OK,
  STATE_FAILING,
} State;

/* One backend and how it has done. The chains that name it hold it (one
 * reference each); the registry finds it by name while any does, so that
 * they share its state, and it goes with the last of them: a backend no
 * chain uses any more costs nothing, however many a network has named.
 */
typedef struct
{
  guint            ref_count;    /* under the registry's lock */
  char            *name;
  MiraTranscriber *backend;      /* NULL for sphinx until first needed */
  gboolean         remote;       /* has a timeout, and is skipped a while after failing */
  /* under the registry's lock */
  State            state;
  gint64           since_ms;     /* real time the state began */
  gint64           retry_us;     /* monotonic: skipped before this, after a failure */
  char            *error;
  char            *model;
  guint64          n_ok;
  guint64          n_failed;     /* utterances it failed, and `describe`s */
  guint64          n_skipped;    /* utterances it was skipped for, failing */
  double           last_ms;      /* its last utterance's time; < 0 before any */
} Link;

/* What every chain of one server shares */
typedef struct
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  char            *sphinx_model_dir;
  guint            sphinx_decoders;
  guint            sphinx_idle_s;
  char            *openai_url;
  char            *openai_model;
  char            *openai_key;
  char            *deepgram_url;
  char            *deepgram_key;
  guint            timeout_ms;
  guint            retry_ms;
  MiraSphinx      *sphinx;       /* loaded on first need */
  GHashTable      *links;        /* name → Link*, each held by the chains that use it */
} Registry;

struct _MiraTranscriberChain
{
  GObject    parent_instance;

  Registry  *registry;
  char      *spec;
  GPtrArray *links;       /* Link*, the registry's */
};

static void mira_transcriber_chain_iface_init (MiraTranscriberInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MiraTranscriberChain, mira_transcriber_chain, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MIRA_TYPE_TRANSCRIBER,
                                                      mira_transcriber_chain_iface_init))

static void
link_free (Link *link)
{
  g_free (link->name);
  g_clear_object (&link->backend);
  g_free (link->error);
  g_free (link->model);
  g_free (link);
}

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static Registry *
registry_new (const MiraTranscriberOptions *options)
{
  Registry *registry = g_new0 (Registry, 1);

  g_atomic_ref_count_init (&registry->ref_count);
  g_mutex_init (&registry->lock);
  registry->sphinx_model_dir = g_strdup (options->sphinx_model_dir);
  registry->sphinx_decoders = options->sphinx_decoders ? options->sphinx_decoders
                                                       : MAX (1, g_get_num_processors ());
  registry->sphinx_idle_s = options->sphinx_idle_s > 0    ? (guint) options->sphinx_idle_s
                            : options->sphinx_idle_s == 0 ? MIRA_SPHINX_DEFAULT_IDLE_S
                                                          : 0;
  registry->openai_url = g_strdup (options->openai_url ? options->openai_url
                                                       : "https://api.openai.com");
  registry->openai_model = g_strdup (options->openai_model ? options->openai_model
                                                           : "whisper-1");
  registry->openai_key = g_strdup (options->openai_key);
  registry->deepgram_url = g_strdup (options->deepgram_url ? options->deepgram_url
                                                           : "https://api.deepgram.com");
  registry->deepgram_key = g_strdup (options->deepgram_key);
  registry->timeout_ms = options->timeout_ms ? options->timeout_ms
                                             : MIRA_TRANSCRIBER_DEFAULT_TIMEOUT_MS;
  registry->retry_ms = options->retry_ms ? options->retry_ms : MIRA_TRANSCRIBER_DEFAULT_RETRY_MS;
  registry->links = g_hash_table_new (g_str_hash, g_str_equal);
  return registry;
}

static Registry *
registry_ref (Registry *registry)
{
  g_atomic_ref_count_inc (&registry->ref_count);
  return registry;
}

static void
registry_unref (Registry *registry)
{
  if (!g_atomic_ref_count_dec (&registry->ref_count))
    return;
  /* Empty: every chain, which held its links, is gone */
  g_hash_table_unref (registry->links);
  g_clear_object (&registry->sphinx);
  g_free (registry->sphinx_model_dir);
  g_free (registry->openai_url);
  g_free (registry->openai_model);
  wipe_free (registry->openai_key);
  g_free (registry->deepgram_url);
  wipe_free (registry->deepgram_key);
  g_mutex_clear (&registry->lock);
  g_free (registry);
}

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC,
               "%s (a comma-separated chain of sphinx, openai, deepgram and "
               "wyoming://HOST:PORT, or none)", message);
  return FALSE;
}

/* Shows a part of the user's text back only when it is short, clean text */
static const char *
shown (const char *text)
{
  return strlen (text) <= 64 && g_utf8_validate (text, -1, NULL) ? text : "…";
}

/* Parses wyoming://HOST:PORT into *host_out and *port_out. */
static gboolean
parse_wyoming (const char  *element,
               char       **host_out,
               guint16     *port_out,
               GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (element, G_URI_FLAGS_NONE, NULL);
  const char *path;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return invalid (error, "'%s' is not a wyoming://HOST:PORT address", shown (element));
  if (g_uri_get_port (uri) <= 0 || g_uri_get_port (uri) > 65535)
    return invalid (error, "'%s' needs a port between 1 and 65535", shown (element));
  path = g_uri_get_path (uri);
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL || (*path != '\0' && !g_str_equal (path, "/")))
    return invalid (error, "'%s' must be only wyoming://HOST:PORT", shown (element));
  *host_out = g_strdup (g_uri_get_host (uri));
  *port_out = (guint16) g_uri_get_port (uri);
  return TRUE;
}

/* The elements of @spec, normalised (wyoming:// ones by their backend's name) */
static GStrv
parse_spec (const char  *spec,
            GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  if (spec == NULL || strlen (spec) > MAX_SPEC_LEN || !g_utf8_validate (spec, -1, NULL))
    {
      invalid (error, "A transcriber chain must be text of at most %d bytes", MAX_SPEC_LEN);
      return NULL;
    }
  parts = g_strsplit (spec, ",", -1);
  if (parts[0] == NULL)
    {
      invalid (error, "The transcriber chain is empty");
      return NULL;
    }
  if (g_strv_length (parts) > MAX_CHAIN_LEN)
    {
      invalid (error, "A transcriber chain has at most %d backends", MAX_CHAIN_LEN);
      return NULL;
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *element = g_strstrip (parts[i]);
      g_autofree char *name = NULL;

      if (*element == '\0')
        {
          invalid (error, "'%s' has an empty backend", shown (spec));
          return NULL;
        }
      if (g_str_equal (element, "none"))
        {
          if (g_strv_length (parts) > 1)
            {
              invalid (error, "'none' cannot be part of a chain");
              return NULL;
            }
          return g_strv_builder_end (builder);
        }
      if (g_str_equal (element, "sphinx") || g_str_equal (element, "openai") ||
          g_str_equal (element, "deepgram"))
        name = g_strdup (element);
      else if (g_ascii_strncasecmp (element, "wyoming://", 10) == 0)
        {
          g_autofree char *host = NULL;
          guint16 port;

          if (!parse_wyoming (element, &host, &port, error))
            return NULL;
          name = strchr (host, ':') ? g_strdup_printf ("wyoming://[%s]:%u", host, port)
                                    : g_strdup_printf ("wyoming://%s:%u", host, port);
        }
      else
        {
          invalid (error, "'%s' is not a transcriber", shown (element));
          return NULL;
        }
      for (guint j = 0; j < seen->len; j++)
        if (g_str_equal (seen->pdata[j], name))
          {
            invalid (error, "'%s' comes twice", shown (name));
            return NULL;
          }
      g_ptr_array_add (seen, g_strdup (name));
      g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

gboolean
mira_transcriber_spec_check (const char  *spec,
                             GError     **error)
{
  g_auto(GStrv) names = parse_spec (spec, error);

  return names != NULL;
}

static void set_state (Link  *link,
                       State  state);

/* Under the registry's lock: drops a chain's hold on @link. */
static void
registry_release (Registry *registry,
                  Link     *link)
{
  if (--link->ref_count > 0)
    return;
  g_hash_table_remove (registry->links, link->name);
  link_free (link);
}

/* Under the registry's lock: the backend @name, held once more. */
static Link *
registry_link (Registry    *registry,
               const char  *name,
               GError     **error)
{
  Link *link = g_hash_table_lookup (registry->links, name);

  if (link != NULL)
    {
      link->ref_count++;
      return link;
    }
  if (g_str_equal (name, "deepgram") && registry->deepgram_key == NULL)
    {
      g_set_error_literal (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC,
                           "deepgram needs an API key on this server (mira-server "
                           "--deepgram-key-file, or MIRA_DEEPGRAM_API_KEY)");
      return NULL;
    }

  link = g_new0 (Link, 1);
  link->ref_count = 1;
  link->name = g_strdup (name);
  link->last_ms = -1;
  link->remote = !g_str_equal (name, "sphinx");
  if (!link->remote)
    {
      g_autoptr(GError) model_error = NULL;

      /* Loaded on first use, but whether it can be is known now: /health
       * says so from the start, whichever chain named it first.
       */
      if (registry->sphinx != NULL ||
          mira_sphinx_check_model (registry->sphinx_model_dir, &model_error))
        {
          set_state (link, STATE_OK);
          link->model = g_strdup ("en-us");
        }
      else
        {
          set_state (link, STATE_FAILING);
          link->error = g_strdup (model_error->message);
        }
    }
  if (g_str_equal (name, "openai"))
    link->backend = MIRA_TRANSCRIBER (mira_openai_transcriber_new (registry->openai_url,
                                                                   registry->openai_model,
                                                                   registry->openai_key,
                                                                   registry->timeout_ms));
  else if (g_str_equal (name, "deepgram"))
    link->backend = MIRA_TRANSCRIBER (mira_deepgram_transcriber_new (registry->deepgram_url,
                                                                     registry->deepgram_key,
                                                                     registry->timeout_ms));
  else if (g_str_has_prefix (name, "wyoming://"))
    {
      g_autofree char *host = NULL;
      guint16 port = 0;

      if (!parse_wyoming (name, &host, &port, error))
        {
          link_free (link);
          return NULL;
        }
      link->backend = MIRA_TRANSCRIBER (mira_wyoming_transcriber_new (host, port,
                                                                      registry->timeout_ms));
    }
  g_hash_table_insert (registry->links, link->name, link);
  return link;
}

/* Under the registry's lock */
static void
set_state (Link   *link,
           State   state)
{
  if (link->state != state)
    {
      link->state = state;
      link->since_ms = g_get_real_time () / 1000;
    }
}

/* The link's backend, loading PocketSphinx on its first need. */
static MiraTranscriber *
link_backend (Registry  *registry,
              Link      *link,
              GError   **error)
{
  MiraTranscriber *backend;

  g_mutex_lock (&registry->lock);
  if (link->backend == NULL && registry->sphinx == NULL)
    {
      registry->sphinx = mira_sphinx_new (registry->sphinx_model_dir, registry->sphinx_decoders,
                                          error);
      if (registry->sphinx != NULL)
        {
          mira_sphinx_set_idle (registry->sphinx, registry->sphinx_idle_s);
          /* Loaded: it works before its first utterance */
          set_state (link, STATE_OK);
          g_free (link->model);
          link->model = g_strdup (mira_sphinx_get_model (registry->sphinx));
        }
    }
  if (link->backend == NULL && registry->sphinx != NULL)
    link->backend = g_object_ref (MIRA_TRANSCRIBER (registry->sphinx));
  backend = link->backend ? g_object_ref (link->backend) : NULL;
  g_mutex_unlock (&registry->lock);
  return backend;
}

static MiraTranscriberChain *
chain_new (Registry    *registry,
           const char  *spec,
           GError     **error)
{
  g_auto(GStrv) names = parse_spec (spec, error);
  g_autoptr(MiraTranscriberChain) self = NULL;

  if (names == NULL)
    return NULL;
  self = g_object_new (MIRA_TYPE_TRANSCRIBER_CHAIN, NULL);
  self->registry = registry_ref (registry);
  self->spec = names[0] ? g_strjoinv (",", names) : g_strdup ("none");

  g_mutex_lock (&registry->lock);
  for (guint i = 0; names[i] != NULL; i++)
    {
      Link *link = registry_link (registry, names[i], error);

      if (link == NULL)
        {
          g_mutex_unlock (&registry->lock);
          return NULL;
        }
      g_ptr_array_add (self->links, link);
    }
  g_mutex_unlock (&registry->lock);
  return g_steal_pointer (&self);
}

MiraTranscriberChain *
mira_transcriber_chain_new (const char                    *spec,
                            const MiraTranscriberOptions  *options,
                            GError                       **error)
{
  const MiraTranscriberOptions defaults = { 0 };
  Registry *registry = registry_new (options ? options : &defaults);
  g_autoptr(MiraTranscriberChain) self = chain_new (registry, spec, error);

  registry_unref (registry);
  if (self == NULL)
    return NULL;

  /* PocketSphinx is loaded now when the chain names it, so that a missing
   * model shows at start-up, not at the first word, and /health says it
   * works from the start.
   */
  for (guint i = 0; i < self->links->len; i++)
    {
      Link *link = self->links->pdata[i];
      g_autoptr(MiraTranscriber) backend = NULL;

      if (!link->remote && (backend = link_backend (self->registry, link, error)) == NULL)
        return NULL;
    }
  return g_steal_pointer (&self);
}

gboolean
mira_transcriber_chain_check (MiraTranscriberChain  *self,
                              const char            *spec,
                              GError               **error)
{
  g_autoptr(MiraTranscriberChain) chain = NULL;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), FALSE);

  chain = mira_transcriber_chain_derive (self, spec, error);
  return chain != NULL;
}

MiraTranscriberChain *
mira_transcriber_chain_derive (MiraTranscriberChain  *self,
                               const char            *spec,
                               GError               **error)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), NULL);

  if (spec == NULL || *spec == '\0' || g_str_equal (spec, self->spec))
    return g_object_ref (self);

  return chain_new (self->registry, spec, error);
}

const char *
mira_transcriber_chain_get_spec (MiraTranscriberChain *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), NULL);
  return self->spec;
}

gboolean
mira_transcriber_chain_is_empty (MiraTranscriberChain *self)
{
  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), TRUE);
  return self->links->len == 0;
}

JsonArray *
mira_transcriber_chain_get_states (MiraTranscriberChain *self)
{
  static const char * const names[] = { "unknown", "ok", "failing" };
  JsonArray *states = json_array_new ();
  Registry *registry;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), states);

  registry = self->registry;
  g_mutex_lock (&registry->lock);
  for (guint i = 0; i < self->links->len; i++)
    {
      Link *link = self->links->pdata[i];
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "name", link->name);
      json_object_set_string_member (object, "state", names[link->state]);
      if (link->state != STATE_UNKNOWN)
        {
          g_autofree char *since = mira_timestamp_from_unix_ms (link->since_ms);

          json_object_set_string_member (object, "since", since);
        }
      if (link->error != NULL)
        json_object_set_string_member (object, "error", link->error);
      if (link->model != NULL)
        json_object_set_string_member (object, "model", link->model);
      json_object_set_int_member (object, "transcriptions", link->n_ok);
      json_object_set_int_member (object, "failures", link->n_failed);
      json_object_set_int_member (object, "skipped", link->n_skipped);
      if (link->last_ms >= 0)
        json_object_set_double_member (object, "last_ms", link->last_ms);
      json_array_add_object_element (states, object);
    }
  g_mutex_unlock (&registry->lock);
  return states;
}

guint
mira_transcriber_chain_count_others (MiraTranscriberChain *self)
{
  guint n;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self), 0);

  g_mutex_lock (&self->registry->lock);
  /* Every backend of this chain is one of the registry's, named once */
  n = g_hash_table_size (self->registry->links) - self->links->len;
  g_mutex_unlock (&self->registry->lock);
  return n;
}

static const char *
mira_transcriber_chain_get_name (MiraTranscriber *transcriber)
{
  return MIRA_TRANSCRIBER_CHAIN (transcriber)->spec;
}

/* How the backend of @link did on an utterance in @ms: @transcript, or
 * @error; the transcript is named after it.
 */
static void
link_record (Registry       *registry,
             Link           *link,
             MiraTranscript *transcript,
             const GError   *error,
             double          ms)
{
  g_mutex_lock (&registry->lock);
  link->last_ms = ms;
  if (transcript != NULL)
    {
      link->n_ok++;
      set_state (link, STATE_OK);
      g_clear_pointer (&link->error, g_free);
      if (transcript->model != NULL)
        {
          g_free (link->model);
          link->model = g_strdup (transcript->model);
        }
    }
  else
    {
      link->n_failed++;
      set_state (link, STATE_FAILING);
      g_free (link->error);
      link->error = g_strdup (error->message);
      link->retry_us = g_get_monotonic_time () + registry->retry_ms * (gint64) 1000;
    }
  g_mutex_unlock (&registry->lock);

  if (transcript != NULL)
    {
      g_free (transcript->backend);
      transcript->backend = g_strdup (link->name);
      transcript->elapsed_ms = ms;
    }
}

static MiraTranscript *
mira_transcriber_chain_transcribe (MiraTranscriber  *transcriber,
                                   const gint16     *samples,
                                   gsize             n_samples,
                                   const char       *language,
                                   GCancellable     *cancellable,
                                   GError          **error)
{
  MiraTranscriberChain *self = MIRA_TRANSCRIBER_CHAIN (transcriber);
  Registry *registry = self->registry;
  g_autoptr(GStrvBuilder) failed = g_strv_builder_new ();
  g_autoptr(GString) reasons = g_string_new (NULL);
  guint n_failed = 0;

  if (self->links->len == 0)
    {
      g_set_error_literal (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_INVALID_SPEC,
                           "The transcriber chain is empty (none)");
      return NULL;
    }

  for (guint i = 0; i < self->links->len; i++)
    {
      Link *link = self->links->pdata[i];
      gboolean last = i + 1 == self->links->len;
      g_autoptr(MiraTranscriber) backend = NULL;
      g_autoptr(GError) local_error = NULL;
      MiraTranscript *transcript = NULL;
      gint64 start_us;
      double ms;
      gboolean skip;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      g_mutex_lock (&registry->lock);
      skip = link->remote && !last && link->state == STATE_FAILING &&
             g_get_monotonic_time () < link->retry_us;
      link->n_skipped += skip;
      g_mutex_unlock (&registry->lock);
      if (skip)
        {
          g_strv_builder_add (failed, link->name);
          g_string_append_printf (reasons, "%s%s: skipped, failing", n_failed++ ? "; " : "",
                                  link->name);
          continue;
        }

      start_us = g_get_monotonic_time ();
      backend = link_backend (registry, link, &local_error);
      /* No model for the language: passed over, which is no failure */
      if (backend != NULL && !mira_transcriber_takes_language (backend, language))
        {
          g_mutex_lock (&registry->lock);
          link->n_skipped++;
          g_mutex_unlock (&registry->lock);
          g_debug ("transcriber %s has no model for language %s%s", link->name, language,
                   last ? "" : ", trying the next");
          g_string_append_printf (reasons, "%s%s: no model for language %s",
                                  reasons->len ? "; " : "", link->name, language);
          continue;
        }
      if (backend != NULL)
        transcript = mira_transcriber_transcribe (backend, samples, n_samples, language,
                                                  cancellable, &local_error);
      ms = (g_get_monotonic_time () - start_us) / 1000.0;

      if (transcript == NULL && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      link_record (registry, link, transcript, local_error, ms);
      if (transcript != NULL)
        {
          transcript->failed = n_failed ? g_strv_builder_end (failed) : NULL;
          return transcript;
        }
      /* A message, not a warning: falling through is what a chain is for,
       * and /health shows the backend failing. */
      g_message ("transcriber %s failed after %.0f ms%s: %s", link->name, ms,
                 last ? "" : ", trying the next", local_error->message);
      g_strv_builder_add (failed, link->name);
      g_string_append_printf (reasons, "%s%s", n_failed++ ? "; " : "", local_error->message);
    }

  /* None was even tried: the network speaks what none of them hears */
  if (n_failed == 0)
    g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_LANGUAGE,
                 "No transcriber has a model for language %s: %s", language, reasons->str);
  else
    g_set_error (error, MIRA_TRANSCRIBER_ERROR, MIRA_TRANSCRIBER_ERROR_FAILED,
                 "Every transcriber failed: %s", reasons->str);
  return NULL;
}

/* Whether a backend of the chain has a model for @language */
static gboolean
mira_transcriber_chain_takes_language (MiraTranscriber *transcriber,
                                       const char      *language)
{
  MiraTranscriberChain *self = MIRA_TRANSCRIBER_CHAIN (transcriber);

  /* The one local backend is PocketSphinx, whose languages are known
   * without loading it; the remote ones take any
   */
  for (guint i = 0; i < self->links->len; i++)
    if (((Link *) self->links->pdata[i])->remote || mira_sphinx_takes_language (language))
      return TRUE;
  return FALSE;
}

MiraSphinxDecode *
mira_transcriber_decode_new (MiraTranscriber     *transcriber,
                             const char          *language,
                             const MiraSphinxCmn *cmn)
{
  MiraTranscriberChain *self;
  Registry *registry;
  MiraSphinxDecode *decode = NULL;
  Link *first;

  g_return_val_if_fail (MIRA_IS_TRANSCRIBER (transcriber), NULL);

  if (MIRA_IS_SPHINX (transcriber))
    return mira_sphinx_takes_language (language)
           ? mira_sphinx_decode_new (MIRA_SPHINX (transcriber), cmn) : NULL;
  if (!MIRA_IS_TRANSCRIBER_CHAIN (transcriber))
    return NULL;
  self = MIRA_TRANSCRIBER_CHAIN (transcriber);
  if (self->links->len == 0)
    return NULL;
  first = self->links->pdata[0];
  registry = self->registry;
  g_mutex_lock (&registry->lock);
  /* Loading PocketSphinx takes a second: the chain's transcription does it */
  if (!first->remote && registry->sphinx != NULL && mira_sphinx_takes_language (language))
    decode = mira_sphinx_decode_new (registry->sphinx, cmn);
  g_mutex_unlock (&registry->lock);
  return decode;
}

typedef struct
{
  GBytes           *samples;
  char             *language;
  MiraSphinxDecode *decode;
  gint64            start_us;
} DecodeEnd;

static void
decode_end_free (DecodeEnd *end)
{
  g_bytes_unref (end->samples);
  g_free (end->language);
  mira_sphinx_decode_unref (end->decode);
  g_free (end);
}

static void
transcribed_whole (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  MiraTranscript *transcript;

  transcript = mira_transcriber_transcribe_finish (MIRA_TRANSCRIBER (source), result, &error);
  if (transcript == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, transcript, (GDestroyNotify) mira_transcript_free);
}

static void
decode_ended (GObject      *unused,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MiraTranscriber *transcriber = g_task_get_source_object (task);
  DecodeEnd *end = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  MiraTranscript *transcript;
  double ms = (g_get_monotonic_time () - end->start_us) / 1000.0;

  transcript = mira_sphinx_decode_end_finish (end->decode, result, &error);
  if (transcript != NULL)
    {
      if (MIRA_IS_TRANSCRIBER_CHAIN (transcriber))
        link_record (MIRA_TRANSCRIBER_CHAIN (transcriber)->registry,
                     MIRA_TRANSCRIBER_CHAIN (transcriber)->links->pdata[0], transcript, NULL, ms);
      else
        transcript->elapsed_ms = ms;
      g_task_return_pointer (task, transcript, (GDestroyNotify) mira_transcript_free);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Busy decoders are no failure of PocketSphinx: it decodes the whole
   * utterance once one is free, and falls back as always
   */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    g_message ("the decode begun while the utterance was spoken failed (%s): decoding it again",
               error->message);
  mira_transcriber_transcribe_async (transcriber, end->samples, end->language,
                                     g_task_get_cancellable (task), transcribed_whole,
                                     g_object_ref (task));
}

void
mira_transcriber_transcribe_decode_async (MiraTranscriber     *self,
                                          GBytes              *samples,
                                          MiraSphinxDecode    *decode,
                                          const char          *language,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task;
  DecodeEnd *end;

  g_return_if_fail (MIRA_IS_TRANSCRIBER (self));
  g_return_if_fail (samples != NULL);
  g_return_if_fail (decode != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mira_transcriber_transcribe_async);
  end = g_new0 (DecodeEnd, 1);
  end->samples = g_bytes_ref (samples);
  end->language = g_strdup (language);
  end->decode = mira_sphinx_decode_ref (decode);
  end->start_us = g_get_monotonic_time ();
  g_task_set_task_data (task, end, (GDestroyNotify) decode_end_free);
  /* The stages of an utterance's way, for G_MESSAGES_DEBUG=mira-transcriber-chain */
  g_debug ("the decode of %.2f s of audio begun while it was spoken ends",
           g_bytes_get_size (samples) / sizeof (gint16) / 16000.0);
  mira_sphinx_decode_end_async (decode, samples, cancellable, decode_ended, task);
}

/* A thread of its own: a service that does not answer holds it up to its timeout. */
static gpointer
probe_thread (gpointer data)
{
  g_autoptr(MiraTranscriberChain) self = data;
  Registry *registry = self->registry;

  for (guint i = 0; i < self->links->len; i++)
    {
      Link *link = self->links->pdata[i];
      g_autoptr(MiraTranscriber) backend = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *model = NULL;

      g_mutex_lock (&registry->lock);
      backend = link->backend ? g_object_ref (link->backend) : NULL;
      g_mutex_unlock (&registry->lock);
      if (backend == NULL || MIRA_TRANSCRIBER_GET_IFACE (backend)->describe == NULL)
        continue;

      model = mira_transcriber_describe (backend, NULL, &error);
      if (model != NULL)
        g_message ("transcriber %s runs %s", link->name, model);
      else
        g_message ("transcriber %s does not answer: %s", link->name, error->message);
      g_mutex_lock (&registry->lock);
      if (model != NULL)
        {
          set_state (link, STATE_OK);
          g_free (link->model);
          link->model = g_steal_pointer (&model);
          g_clear_pointer (&link->error, g_free);
        }
      else
        {
          link->n_failed++;
          set_state (link, STATE_FAILING);
          g_free (link->error);
          link->error = g_strdup (error->message);
          link->retry_us = g_get_monotonic_time () + registry->retry_ms * (gint64) 1000;
        }
      g_mutex_unlock (&registry->lock);
    }
  return NULL;
}

void
mira_transcriber_chain_probe (MiraTranscriberChain *self)
{
  g_return_if_fail (MIRA_IS_TRANSCRIBER_CHAIN (self));

  g_thread_unref (g_thread_new ("mira-probe", probe_thread, g_object_ref (self)));
}

static void
mira_transcriber_chain_iface_init (MiraTranscriberInterface *iface)
{
  iface->get_name = mira_transcriber_chain_get_name;
  iface->transcribe = mira_transcriber_chain_transcribe;
  iface->takes_language = mira_transcriber_chain_takes_language;
}

static void
mira_transcriber_chain_finalize (GObject *object)
{
  MiraTranscriberChain *self = MIRA_TRANSCRIBER_CHAIN (object);

  if (self->registry != NULL)
    {
      g_mutex_lock (&self->registry->lock);
      for (guint i = 0; i < self->links->len; i++)
        registry_release (self->registry, self->links->pdata[i]);
      g_mutex_unlock (&self->registry->lock);
    }
  g_ptr_array_unref (self->links);
  g_free (self->spec);
  if (self->registry != NULL)
    registry_unref (self->registry);

  G_OBJECT_CLASS (mira_transcriber_chain_parent_class)->finalize (object);
}

static void
mira_transcriber_chain_class_init (MiraTranscriberChainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mira_transcriber_chain_finalize;
}

static void
mira_transcriber_chain_init (MiraTranscriberChain *self)
{
  self->links = g_ptr_array_new ();
}
