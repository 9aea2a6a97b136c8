/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-server"

/* MiraServer puts the server together: the store, the event bus, the
 * listener, the event and audio sockets, the audio hub, the reminder clock
 * and the language model's jobs; it listens, sweeps and shuts down. A
 * request is mira-server-http.c's, a socket's upgrade and authentication
 * mira-server-sockets.c's.
 */

#include "config.h"

#include "mira-server-private.h"

#include <string.h>

#include "mira-conversations.h"
#include "mira-event-bus.h"
#include "mira-store.h"
#include "mira-store-write.h"
#include "mira-time.h"
#include "mira-token-cache.h"
#include "mira-transcriber-chain.h"
#include "mira-util.h"

G_DEFINE_FINAL_TYPE (MiraServer, mira_server, G_TYPE_OBJECT)

static void
mira_server_finalize (GObject *object)
{
  MiraServer *self = MIRA_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  /* After the server: libsoup's own listeners wait on the listener's context */
  g_clear_pointer (&self->listener, mira_listener_free);
  g_clear_object (&self->tls_certificate);
  g_clear_handle_id (&self->sweep_source, mira_source_remove);
  g_clear_pointer (&self->reminders, mira_reminder_clock_free);
  g_clear_pointer (&self->llm_jobs, mira_llm_jobs_free);
  g_clear_pointer (&self->audio, mira_audio_sockets_free);
  g_clear_pointer (&self->hub, mira_audio_hub_free);
  g_clear_pointer (&self->grants, mira_grants_free);
  g_clear_pointer (&self->touched, g_hash_table_unref);
  g_clear_pointer (&self->events, mira_event_sockets_free);
  if (self->subscription != 0)
    mira_event_bus_unsubscribe (self->bus, self->subscription);
  g_clear_pointer (&self->bus, mira_event_bus_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->config.admin_token_hash);
  mira_token_cache_free (self->config.tokens);
  g_free (self->config.transcriber);
  g_clear_object (&self->config.transcribers);
  g_free (self->url);

  G_OBJECT_CLASS (mira_server_parent_class)->finalize (object);
}

static void
mira_server_class_init (MiraServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mira_server_finalize;
}

static void
mira_server_init (MiraServer *self)
{
  self->bus = mira_event_bus_new ();
  self->touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* An event of the language model's work, on the server's thread */
static void
publish_llm_event (const char *network_id,
                   JsonObject *event,
                   gpointer    user_data)
{
  MiraServer *self = user_data;

  mira_event_bus_publish (self->bus, network_id, event);
}

static gboolean
llm_jobs_idle (MiraServer *self)
{
  return self->llm_jobs == NULL || mira_llm_jobs_is_idle (self->llm_jobs);
}

void
mira_server_publish_events (MiraServer  *self,
                            MiraApiCall *call)
{
  /* Sockets that the write revoked close now, not at the next round. */
  if (call->status < 300 && mira_api_route_revokes_tokens (call->route))
    mira_grants_check (self->grants);
  mira_event_bus_publish_all (self->bus, call->events);
}

/* Every event of every network: the networks spoken in here have their
 * conversations closed at shutdown.
 */
static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  MiraServer *self = user_data;
  const char *type = json_object_get_string_member_with_default (event, "type", "");

  if (network_id == NULL)
    return;
  if (g_str_equal (type, "interaction_created"))
    g_hash_table_add (self->touched, g_strdup (network_id));
  else if (g_str_equal (type, "network_deleted"))
    g_hash_table_remove (self->touched, network_id);
}

static gpointer
sweep_run (MiraDb     *db,
           gpointer    data,
           GPtrArray  *events_out,
           GError    **error)
{
  return mira_conversations_sweep (db, events_out, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
sweep_done (gpointer      result,
            const GError *error,
            gpointer      user_data)
{
  MiraServer *self = user_data;

  if (error != NULL)
    g_debug ("conversations sweep: %s", error->message);
  self->sweeping = FALSE;
  self->in_flight--;
  g_object_unref (self);
}

/* Conversations that time out, and reminders that come due whatever else
 * happens (written by another process, say): the reminder clock's own timer
 * is what makes them come due on time.
 */
static gboolean
sweep (gpointer user_data)
{
  MiraServer *self = user_data;

  if (!self->sweeping)
    {
      self->sweeping = TRUE;
      self->in_flight++;
      mira_store_write (self->store, self->bus, sweep_run, NULL, NULL, NULL, sweep_done,
                        g_object_ref (self));
    }
  mira_reminder_clock_sweep (self->reminders);
  return G_SOURCE_CONTINUE;
}

static gpointer
shutdown_close_run (MiraDb     *db,
                    gpointer    data,
                    GPtrArray  *events_out,
                    GError    **error)
{
  const char *network_id = data;

  if (!mira_conversations_close_open (db, network_id, "server shutdown", events_out, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
shutdown_close_done (gpointer      result,
                     const GError *error,
                     gpointer      user_data)
{
  MiraServer *self = user_data;

  if (error != NULL)
    g_warning ("could not close the conversations at shutdown: %s", error->message);
  self->in_flight--;
}

MiraServer *
mira_server_new (MiraStore                *store,
                 const MiraServerOptions  *options,
                 GError                  **error)
{
  g_autoptr(MiraServer) self = g_object_new (MIRA_TYPE_SERVER, NULL);

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self->store = store;
  self->context = g_main_context_ref_thread_default ();
  self->config.open_registration = options->open_registration;
  self->config.admin_token_hash = options->admin_token ? mira_sha256_hex (options->admin_token)
                                                       : NULL;
  self->config.max_body = options->max_body ? options->max_body : 1024 * 1024;
  self->config.max_audio_body = options->max_audio_body ? options->max_audio_body
                                                        : 16 * 1024 * 1024;
  self->subscription = mira_event_bus_subscribe (self->bus, NULL, on_event, self);
  self->grants = mira_grants_new (store);
  self->events = mira_event_sockets_new (self->bus, self->grants,
                                         mira_server_sockets_authenticate_events, self);
  self->audio = mira_audio_sockets_new (store, self->bus, self->grants,
                                        mira_server_sockets_authenticate_audio, self,
                                        options->audio_threads, error);
  if (self->audio == NULL)
    return NULL;
  self->config.audio = self->audio;
  {
    guint n_contexts;
    GMainContext **contexts = mira_audio_sockets_get_contexts (self->audio, &n_contexts);

    /* Without a transcriber live audio is still decoded, scored and arbitrated. */
    self->hub = mira_audio_hub_new (store, self->bus, options->transcriber, options->llm == NULL,
                                    contexts, n_contexts);
    self->config.hub = self->hub;
    mira_audio_sockets_set_hub (self->audio, self->hub);
  }
  self->config.llm = options->llm != NULL;
  self->config.transcriber = g_strdup (options->transcriber
                                         ? mira_transcriber_get_name (options->transcriber)
                                         : "none");
  if (MIRA_IS_TRANSCRIBER_CHAIN (options->transcriber))
    self->config.transcribers = g_object_ref (MIRA_TRANSCRIBER_CHAIN (options->transcriber));
  self->config.started_at = g_get_monotonic_time ();
  /* The list of time zones, read now rather than by a request. */
  mira_time_zones_load ();
  /* Another process's revocations show within this, as they do on sockets. */
  self->config.tokens = mira_token_cache_new (MIRA_GRANTS_INTERVAL_S * G_USEC_PER_SEC);

  self->soup = soup_server_new ("server-header", "mira/" PACKAGE_VERSION " ", NULL);
  if (options->tls_cert_file != NULL || options->tls_key_file != NULL)
    {
      g_autoptr(GTlsCertificate) cert = NULL;

      if (options->tls_cert_file == NULL || options->tls_key_file == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "TLS needs both a certificate and a key");
          return NULL;
        }
      cert = g_tls_certificate_new_from_files (options->tls_cert_file, options->tls_key_file,
                                               error);
      if (cert == NULL)
        return NULL;
      soup_server_set_tls_certificate (self->soup, cert);
      self->tls_certificate = g_steal_pointer (&cert);
    }
  {
    MiraListenerLimits limits = {
      .headers_timeout_ms = options->headers_timeout_ms,
      .body_timeout_ms = options->body_timeout_ms,
      .max_connections = options->max_connections,
    };

    mira_listener_raise_fd_limit ();
    self->listener = mira_listener_new (self->soup, &limits, mira_server_http_message_body_limit,
                                        self);
  }

  self->reminders = mira_reminder_clock_new (store, self->bus);
  if (options->llm != NULL)
    self->llm_jobs = mira_llm_jobs_new (store, self->bus, options->llm, publish_llm_event, self);
  /* The first sweep sets the reminder clock for what is already pending. */
  mira_reminder_clock_sweep (self->reminders);
  self->sweep_source = mira_timeout_add_seconds (5, sweep, self);

  soup_server_add_early_handler (self->soup, NULL, mira_server_http_early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, mira_server_http_handle_request, self, NULL);
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL,
                                     mira_server_sockets_on_websocket, self, NULL);
  return g_steal_pointer (&self);
}

gboolean
mira_server_listen (MiraServer  *self,
                    const char  *host,
                    guint        port,
                    GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *uris;

  g_return_val_if_fail (MIRA_IS_SERVER (self), FALSE);

  if (host == NULL)
    host = "127.0.0.1";
  if (g_str_equal (host, "localhost"))
    host = "127.0.0.1";
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an IP address to listen on (use 0.0.0.0 or :: for all)", host);
      return FALSE;
    }
  if (port > 65535)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Port %u is out of range", port);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, port);
  if (!mira_listener_listen (self->listener, socket_address, self->tls_certificate, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      GUri *uri = uris->data;
      const char *uri_host = g_uri_get_host (uri);
      gboolean v6 = strchr (uri_host, ':') != NULL;

      self->port = g_uri_get_port (uri);
      g_free (self->url);
      self->url = g_strdup_printf ("%s://%s%s%s:%u", g_uri_get_scheme (uri), v6 ? "[" : "",
                                   uri_host, v6 ? "]" : "", self->port);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

const char *
mira_server_get_url (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->url;
}

guint
mira_server_get_port (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), 0);
  return self->port;
}

MiraStore *
mira_server_get_store (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->store;
}

MiraEventBus *
mira_server_get_event_bus (MiraServer *self)
{
  g_return_val_if_fail (MIRA_IS_SERVER (self), NULL);
  return self->bus;
}

void
mira_server_shutdown (MiraServer *self)
{
  g_return_if_fail (MIRA_IS_SERVER (self));

  /* Stop accepting, let requests under way reach the database and answer,
   * then close every connection.
   */
  mira_listener_stop (self->listener);
  {
    GSList *listeners = soup_server_get_listeners (self->soup);

    for (GSList *l = listeners; l != NULL; l = l->next)
      g_socket_close (l->data, NULL);
    g_slist_free (listeners);
  }
  g_clear_handle_id (&self->sweep_source, mira_source_remove);
  mira_reminder_clock_stop (self->reminders);
  /* The model's requests end; what comes now is read by the built-in extractor */
  if (self->llm_jobs != NULL)
    mira_llm_jobs_stop (self->llm_jobs);
  {
    GHashTableIter iter;
    gpointer network_id;

    g_hash_table_iter_init (&iter, self->touched);
    while (g_hash_table_iter_next (&iter, &network_id, NULL))
      {
        self->in_flight++;
        mira_store_write (self->store, self->bus, shutdown_close_run, g_strdup (network_id),
                          g_free, NULL, shutdown_close_done, self);
      }
  }
  while (self->in_flight > 0 || !mira_grants_is_idle (self->grants) ||
         !mira_reminder_clock_is_idle (self->reminders) || !llm_jobs_idle (self))
    g_main_context_iteration (self->context, TRUE);
  {
    mira_event_sockets_close_all (self->events, "server shutting down");
    mira_audio_sockets_close_all (self->audio, "server shutting down");
    /* Give the close frames a moment to leave. */
    for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
         (mira_event_sockets_get_n_open (self->events) > 0 || mira_audio_sockets_get_n_open (self->audio) > 0)
         && g_get_monotonic_time () < end;)
      g_main_context_iteration (self->context, FALSE);
    /* What was said before the end becomes an interaction, if it can in time. */
    for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
         (!mira_audio_hub_is_idle (self->hub) || self->in_flight > 0 ||
          mira_audio_sockets_get_n_writing (self->audio) > 0 || !llm_jobs_idle (self))
         && g_get_monotonic_time () < end;)
      g_main_context_iteration (self->context, FALSE);
  }
  soup_server_disconnect (self->soup);
}
