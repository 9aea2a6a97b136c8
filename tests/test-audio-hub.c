/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-audio-hub"

/* The audio hub with nothing but a store and an event bus: no server, no
 * sockets. An utterance fed on the hub's audio thread becomes an
 * interaction in the store, in a conversation that closes once every
 * stream stopped; every event reaches the bus's subscribers on the bus's
 * thread, whichever thread published it.
 */

#include <string.h>

#include "mira-audio-hub.h"
#include "mira-db.h"
#include "mira-event-bus.h"
#include "mira-sphinx.h"
#include "mira-store.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-util.h"

#define KITCHEN "turn on the lights in the kitchen"

typedef struct
{
  MiraStore    *store;
  MiraEventBus *bus;
  MiraAudioHub *hub;
  GMainContext *audio_context;   /* the hub's one shard */
  GThread      *audio_thread;
  gint          audio_quit;
  char         *network_id;
  GPtrArray    *events;          /* JsonObject, as the bus's thread saw them */
  gboolean      wrong_thread;    /* an event reached a subscriber elsewhere */
  GThread      *bus_thread;
} Fixture;

static gpointer
audio_thread_main (gpointer user_data)
{
  Fixture *f = user_data;

  g_main_context_push_thread_default (f->audio_context);
  while (!g_atomic_int_get (&f->audio_quit))
    g_main_context_iteration (f->audio_context, TRUE);
  g_main_context_pop_thread_default (f->audio_context);
  return NULL;
}

static gboolean
audio_thread_quit (gpointer user_data)
{
  Fixture *f = user_data;

  g_atomic_int_set (&f->audio_quit, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_event (const char *network_id,
          JsonObject *event,
          const char *text,
          gpointer    user_data)
{
  Fixture *f = user_data;

  if (g_thread_self () != f->bus_thread)
    f->wrong_thread = TRUE;
  g_ptr_array_add (f->events, json_object_ref (event));
}

/* A network as mira-server creates one, without the API. */
static gpointer
insert_network (MiraDb    *db,
                gpointer   data,
                GError   **error)
{
  Fixture *f = data;
  g_autofree char *uuid = mira_uuid_new ();
  g_autofree char *token_hash = mira_random_hex (32);
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "INSERT INTO networks (id, network_id, name, token_hash)"
                           " VALUES ($1, $2, 'hub test', $3)",
                       3, (const char *[]) { uuid, f->network_id, token_hash }, error);
  return res ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *uri = mira_test_sqlite_uri ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = NULL;

  f->store = mira_store_new (uri, 2, &error);
  g_assert_no_error (error);
  f->network_id = mira_network_id_new ();
  mira_store_run_sync (f->store, insert_network, f, &error);
  g_assert_no_error (error);

  f->bus_thread = g_thread_self ();
  f->bus = mira_event_bus_new ();
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  mira_event_bus_subscribe (f->bus, NULL, on_event, f);

  sphinx = mira_sphinx_new (NULL, 1, &error);
  g_assert_no_error (error);
  f->audio_context = g_main_context_new ();
  f->hub = mira_audio_hub_new (f->store, f->bus, MIRA_TRANSCRIBER (sphinx), TRUE,
                               &f->audio_context, 1);
  f->audio_thread = g_thread_new ("hub-audio", audio_thread_main, f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  mira_invoke (f->audio_context, audio_thread_quit, f, NULL);
  g_thread_join (f->audio_thread);
  mira_audio_hub_free (f->hub);
  g_main_context_unref (f->audio_context);
  /* Publications from the audio thread still on their way */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  mira_event_bus_unref (f->bus);
  g_ptr_array_unref (f->events);
  mira_store_free (f->store);
  g_free (f->network_id);
}

/* The first event of @type at @from or later, running the bus's context
 * for up to @timeout_s; NULL when none came.
 */
static JsonObject *
wait_for (Fixture    *f,
          const char *type,
          guint       from,
          guint       timeout_s,
          guint      *index_out)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  for (guint i = from;; )
    {
      for (; i < f->events->len; i++)
        {
          JsonObject *event = g_ptr_array_index (f->events, i);

          if (g_str_equal (json_object_get_string_member (event, "type"), type))
            {
              if (index_out != NULL)
                *index_out = i;
              return event;
            }
        }
      if (g_get_monotonic_time () > end)
        return NULL;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gpointer
count_interactions (MiraDb    *db,
                    gpointer   data,
                    GError   **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "SELECT count(*) FROM interactions i"
                           " JOIN networks n ON n.id = i.network_id"
                           " WHERE n.network_id = $1 AND i.interaction_type = 'audio'",
                       1, (const char *[]) { data }, error);
  return res ? g_strdup (mira_db_result_get (res, 0, 0)) : NULL;
}

static void
test_utterance_to_interaction (Fixture       *f,
                               gconstpointer  data)
{
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", KITCHEN);
  g_autofree gint16 *pcm = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(JsonObject) scores = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  JsonObject *created, *started, *closed, *interaction, *metadata;
  guint created_at = 0, started_at = 0, closed_at = 0;
  gsize n;

  pcm = mira_test_speech_mix (speech, -20, 40, 1.0, 300, 1000, 7, &n);
  samples = g_array_sized_new (FALSE, FALSE, sizeof (gint16), n);
  g_array_append_vals (samples, pcm, n);
  /* From this thread: the hub takes it to its own. */
  scores = mira_audio_hub_feed (f->hub, f->network_id, "kitchen", FALSE, samples);
  g_assert_cmpfloat (json_object_get_double_member (scores, "duration_s"), >, 2.0);

  created = wait_for (f, "interaction_created", 0, 60, &created_at);
  mira_test_check (created != NULL, "no interaction_created within 60 s (%u events)",
                   f->events->len);
  interaction = json_object_get_object_member (created, "interaction");
  mira_test_check (strstr (json_object_get_string_member (interaction, "content"), "kitchen"),
                   "\"%s\" was heard as \"%s\"", KITCHEN,
                   json_object_get_string_member (interaction, "content"));
  g_assert_cmpstr (json_object_get_string_member (created, "network_id"), ==, f->network_id);
  g_assert_cmpstr (json_object_get_string_member (interaction, "interaction_type"), ==, "audio");
  g_assert_true (json_object_get_null_member (interaction, "client_id"));
  g_assert_cmpfloat (json_object_get_double_member (interaction, "audio_duration"), >, 2.0);
  metadata = json_object_get_object_member (interaction, "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "stream_id"), ==, "kitchen");
  g_assert_cmpstr (json_object_get_string_member (metadata, "transcriber"), ==, "sphinx");

  /* Its conversation started for it, before it */
  started = wait_for (f, "conversation_started", 0, 0, &started_at);
  g_assert_nonnull (started);
  g_assert_cmpuint (started_at, <, created_at);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (started,
                                                                                 "conversation"),
                                                  "id"),
                   ==, json_object_get_string_member (interaction, "conversation_id"));

  /* In the store, once */
  count = mira_store_run_sync (f->store, count_interactions, f->network_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (count, ==, "1");

  /* Every stream stopped: the conversation closes after the grace */
  closed = wait_for (f, "conversation_closed", created_at, 30, &closed_at);
  mira_test_check (closed != NULL, "the conversation did not close once the stream stopped");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (closed,
                                                                                 "conversation"),
                                                  "id"),
                   ==, json_object_get_string_member (interaction, "conversation_id"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (closed,
                                                                                 "conversation"),
                                                  "status"),
                   ==, "closed");

  /* The scores and the selection came from the audio thread, the writes
   * from the store's workers: all of them reached the subscriber here.
   */
  g_assert_nonnull (wait_for (f, "audio_stream_selected", 0, 0, NULL));
  g_assert_false (f->wrong_thread);
  while (!mira_audio_hub_is_idle (f->hub))
    g_main_context_iteration (NULL, FALSE);
}

/* An utterance of a network that is gone stores nothing, and the hub goes
 * on: the next network's utterance becomes its interaction.
 */
static gpointer
delete_network (MiraDb    *db,
                gpointer   data,
                GError   **error)
{
  g_autoptr(MiraDbResult) res = NULL;

  res = mira_db_query (db, "DELETE FROM networks WHERE network_id = $1", 1,
                       (const char *[]) { data }, error);
  return res ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
test_network_gone (Fixture       *f,
                   gconstpointer  data)
{
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", KITCHEN);
  g_autofree gint16 *pcm = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(JsonObject) gone_scores = NULL;
  g_autoptr(JsonObject) scores = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *gone = g_strdup (f->network_id);
  JsonObject *created;
  gsize n;

  mira_store_run_sync (f->store, delete_network, gone, &error);
  g_assert_no_error (error);
  g_free (f->network_id);
  f->network_id = mira_network_id_new ();
  mira_store_run_sync (f->store, insert_network, f, &error);
  g_assert_no_error (error);

  pcm = mira_test_speech_mix (speech, -20, 40, 1.0, 300, 1000, 11, &n);
  samples = g_array_sized_new (FALSE, FALSE, sizeof (gint16), n);
  g_array_append_vals (samples, pcm, n);
  g_test_expect_message ("mira-audio-hub", G_LOG_LEVEL_WARNING, "could not store the interaction*");
  gone_scores = mira_audio_hub_feed (f->hub, gone, "kitchen", FALSE, samples);
  /* The window closed on it (the selection with its reason), then the
   * hub tried to store it.
   */
  for (guint from = 0;; from++)
    {
      JsonObject *selected = wait_for (f, "audio_stream_selected", from, 60, &from);

      mira_test_check (selected != NULL, "the utterance of the network that is gone was not chosen");
      if (!g_str_has_prefix (json_object_get_string_member (selected, "reason"), "live:"))
        break;
    }
  g_usleep (100 * 1000);
  while (!mira_audio_hub_is_idle (f->hub))
    g_main_context_iteration (NULL, FALSE);
  g_test_assert_expected_messages ();
  g_assert_null (wait_for (f, "interaction_created", 0, 0, NULL));

  scores = mira_audio_hub_feed (f->hub, f->network_id, "kitchen", FALSE, samples);
  created = wait_for (f, "interaction_created", 0, 60, NULL);
  mira_test_check (created != NULL, "no interaction_created for the network that is there");
  g_assert_cmpstr (json_object_get_string_member (created, "network_id"), ==, f->network_id);
  while (!mira_audio_hub_is_idle (f->hub))
    g_main_context_iteration (NULL, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/audio-hub/utterance-to-interaction", Fixture, NULL, fixture_set_up,
              test_utterance_to_interaction, fixture_tear_down);
  g_test_add ("/audio-hub/network-gone", Fixture, NULL, fixture_set_up, test_network_gone,
              fixture_tear_down);
  return g_test_run ();
}
