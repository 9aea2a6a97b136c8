/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-extraction"

/* What an interaction asks for, as a user sees it over real HTTP and the real
 * event socket, on SQLite and on PostgreSQL: "remind me to call the dentist
 * tomorrow at five pm" posted or spoken becomes an action and a reminder due
 * at 17:00 the next day in the network's time zone, on the event socket
 * within two seconds; an event, a contact likewise; words that ask for
 * nothing make nothing.
 */

#include <string.h>

#include "mira-sphinx.h"
#include "mira-test-case.h"
#include "mira-test-llm-peer.h"
#include "mira-test-pg.h"
#include "mira-time.h"
#include "mira-util.h"

#define DENTIST "remind me to call the dentist tomorrow at five pm"
/* The most the event socket may lag behind what was asked */
#define MAX_LATENCY_US (2 * G_USEC_PER_SEC)

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

static const Backend backends[N_BACKENDS] = { BACKEND_SQLITE, BACKEND_POSTGRESQL };
static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };

static MiraTestServer *servers[N_BACKENDS];
static char *server_uris[N_BACKENDS];
/* The same with a language model: the LLM peer, which gives up after a second */
static MiraTestServer *llm_servers[N_BACKENDS];
static char *llm_server_uris[N_BACKENDS];
static MiraTestLlmPeer *peer;
#define LLM_TIMEOUT_MS 1000

typedef struct {
  Backend          backend;
  gboolean         llm;
  MiraTestServer  *server;
  MiraTestClient  *client;
  MiraTestScope   *scope;     /* what the case made */
} Fixture;

typedef MiraTestNet Net;

/* A fresh network named Home in time zone @zone, with its event socket */
static Net *
net_new (Fixture    *f,
         const char *zone)
{
  return mira_test_net_new (f->client, f->scope, "Home", zone);
}

static const char *
api (Fixture    *f,
     Net        *net,
     const char *path)
{
  return P (f, "/api/v1/%s/%s", net->id, path);
}

/* The types of the events since @from, for failure messages */
static const char *
event_types (Fixture *f,
             Net     *net,
             guint    from)
{
  GString *types = g_string_new (NULL);

  for (guint i = from; i < mira_test_socket_n_messages (net->events); i++)
    g_string_append_printf (types, "%s%s", types->len ? " " : "",
                            str (mira_test_socket_message (net->events, i)->object, "type"));
  return take (f, g_string_free (types, FALSE));
}

/* An event of @type since @from, or fail; its arrival time in @time_us */
static JsonObject *
expect_event (Fixture    *f,
              Net        *net,
              guint       from,
              const char *type,
              guint       timeout_ms,
              gint64     *time_us)
{
  guint index;
  JsonObject *event = mira_test_socket_wait_for (net->events, type, from, timeout_ms, &index);

  mira_test_check (event != NULL, "no %s within %u ms; events: %s", type, timeout_ms,
                   event_types (f, net, from));
  mira_test_check (g_strcmp0 (str (event, "network_id"), net->id) == 0,
                   "%s names network %s", type, str (event, "network_id"));
  if (time_us != NULL)
    *time_us = mira_test_socket_message (net->events, index)->time_us;
  return event;
}

/* The wall-clock time @hour:00, @days after the day of @unix_ms in @zone, as
 * the API writes it
 */
static const char *
local_time (Fixture    *f,
            const char *zone_name,
            gint64      unix_ms,
            gint        days,
            gint        hour)
{
  g_autoptr(GTimeZone) zone = mira_time_zone_get (zone_name);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, zone);
  g_autoptr(GDateTime) day = g_date_time_add_days (local, days);
  g_autoptr(GDateTime) at = mira_time_local_new (zone, g_date_time_get_year (day),
                                                 g_date_time_get_month (day),
                                                 g_date_time_get_day_of_month (day), hour, 0);
  g_autoptr(GDateTime) at_utc = g_date_time_to_utc (at);

  return take (f, g_date_time_format (at_utc, "%FT%T.000Z"));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->backend = *(const Backend *) data;
  if (servers[f->backend] == NULL)
    {
      server_uris[f->backend] = f->backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                             : mira_test_pg_new_database ();
      servers[f->backend] = mira_test_server_new (server_uris[f->backend], FALSE);
    }
  f->server = servers[f->backend];
  f->client = mira_test_client_new (mira_test_server_get_url (f->server));
  f->scope = mira_test_scope_new ();
}

static void
fixture_setup_llm (Fixture       *f,
                   gconstpointer  data)
{
  f->backend = *(const Backend *) data;
  f->llm = TRUE;
  if (peer == NULL)
    peer = mira_test_llm_peer_start ();
  if (llm_servers[f->backend] == NULL)
    {
      g_autoptr(MiraLlm) llm = mira_llm_new (mira_test_llm_peer_get_url (peer), "tiny-model",
                                             "secret-key", LLM_TIMEOUT_MS);
      MiraServerOptions options = { .llm = llm };

      llm_server_uris[f->backend] = f->backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                                 : mira_test_pg_new_database ();
      llm_servers[f->backend] = mira_test_server_new_limited (llm_server_uris[f->backend], FALSE,
                                                              NULL, &options);
    }
  f->server = llm_servers[f->backend];
  f->client = mira_test_client_new (mira_test_server_get_url (f->server));
  f->scope = mira_test_scope_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Sockets before the client they run on */
  mira_test_scope_free (f->scope);
  mira_test_client_free (f->client);
}

/* The reminder of the issue, posted: an action and a reminder at 17:00 the
 * next day in the network's zone, on the event socket within two seconds,
 * and in the API's lists.
 */
static void
check_dentist (Fixture    *f,
               const char *zone,
               const char *timestamp)
{
  Net *net = net_new (f, zone);
  guint mark = mira_test_socket_n_messages (net->events);
  gint64 sent_us, reminder_us, action_us;
  JsonObject *interaction, *reminder, *action, *data, *list;
  const char *due;
  gint64 said_ms;

  sent_us = g_get_monotonic_time ();
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         timestamp ? P (f, "{\"content\": \"%s\", \"timestamp\": \"%s\"}",
                                        DENTIST, timestamp)
                                   : P (f, "{\"content\": \"%s\"}", DENTIST));
  reminder = obj (expect_event (f, net, mark, "reminder_created", 10000, &reminder_us),
                  "reminder");
  action = obj (expect_event (f, net, mark, "action_created", 10000, &action_us), "action");
  expect_event (f, net, mark, "interaction_created", 10000, NULL);
  mira_test_check (reminder_us - sent_us < MAX_LATENCY_US && action_us - sent_us < MAX_LATENCY_US,
                   "reminder_created %.3f s and action_created %.3f s after the POST",
                   (reminder_us - sent_us) / 1e6, (action_us - sent_us) / 1e6);
  g_test_message ("%s: reminder_created %.1f ms after the POST was sent", zone,
                  (reminder_us - sent_us) / 1e3);

  said_ms = mira_timestamp_to_unix_ms (str (interaction, "timestamp"));
  due = local_time (f, zone, said_ms, 1, 17);
  g_assert_cmpstr (str (reminder, "title"), ==, "Call the dentist");
  g_assert_cmpstr (str (reminder, "due_time"), ==, due);
  g_assert_cmpstr (str (reminder, "priority"), ==, "medium");
  g_assert_cmpstr (str (reminder, "status"), ==, "pending");
  g_assert_cmpstr (str (reminder, "description"), ==, DENTIST);
  g_assert_cmpstr (str (reminder, "interaction_id"), ==, str (interaction, "id"));

  g_assert_cmpstr (str (action, "action_type"), ==, "remind");
  g_assert_cmpstr (str (action, "interaction_id"), ==, str (interaction, "id"));
  g_assert_cmpstr (str (action, "status"), ==, "completed");
  g_assert_cmpstr (str (obj (action, "result"), "reminder_id"), ==, str (reminder, "id"));
  data = obj (action, "action_data");
  g_assert_cmpstr (str (data, "title"), ==, "Call the dentist");
  g_assert_cmpstr (str (data, "due_time"), ==, due);
  g_assert_cmpstr (str (data, "extractor"), ==, "builtin");

  /* What the events said is what the API keeps */
  list = request (f, 200, "GET", api (f, net, P (f, "actions?interaction_id=%s",
                                                 str (interaction, "id"))), net->token, NULL);
  g_assert_cmpint (json_object_get_int_member (list, "total"), ==, 1);
  list = request (f, 200, "GET", api (f, net, "reminders"), net->token, NULL);
  g_assert_cmpint (json_object_get_int_member (list, "total"), ==, 1);
  g_assert_cmpstr (str (json_array_get_object_element (json_object_get_array_member (list, "items"),
                                                       0), "due_time"), ==, due);
}

static void
test_dentist_rest (Fixture       *f,
                   gconstpointer  data)
{
  /* Said now, in three zones */
  check_dentist (f, "Europe/Berlin", NULL);
  check_dentist (f, "America/New_York", NULL);
  check_dentist (f, "Asia/Kolkata", NULL);
  /* Said the day before New York's clocks go forward: 17:00 EDT */
  check_dentist (f, "America/New_York", "2026-03-07T12:00:00-05:00");
}

/* An event and a contact, each with its action; talk makes nothing */
static void
test_event_contact_nothing (Fixture       *f,
                            gconstpointer  data)
{
  Net *net = net_new (f, "Europe/Berlin");
  guint mark = mira_test_socket_n_messages (net->events);
  JsonObject *interaction, *event, *action;
  const char *quiet[] = {
    "the meeting went well yesterday", "turn on the lights in the kitchen",
    "I will call you later", "it's going to rain tomorrow",
  };

  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         "{\"content\": \"schedule a meeting with alice and bob on friday at noon "
                         "at the office\", \"timestamp\": \"2026-03-02T10:00:00+01:00\"}");
  event = obj (expect_event (f, net, mark, "calendar_event_created", 10000, NULL),
               "calendar_event");
  action = obj (expect_event (f, net, mark, "action_created", 10000, NULL), "action");
  g_assert_cmpstr (str (event, "title"), ==, "Meeting with Alice and Bob");
  g_assert_cmpstr (str (event, "start_time"), ==, "2026-03-06T11:00:00.000Z");
  g_assert_cmpstr (str (event, "end_time"), ==, "2026-03-06T12:00:00.000Z");
  g_assert_cmpstr (str (event, "location"), ==, "office");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (event, "attendees")),
                    ==, 2);
  g_assert_cmpstr (str (event, "interaction_id"), ==, str (interaction, "id"));
  g_assert_cmpstr (str (action, "action_type"), ==, "schedule");
  g_assert_cmpstr (str (obj (action, "result"), "calendar_event_id"), ==, str (event, "id"));

  mark = mira_test_socket_n_messages (net->events);
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         "{\"content\": \"text bob that i am running late\"}");
  action = obj (expect_event (f, net, mark, "action_created", 10000, NULL), "action");
  g_assert_cmpstr (str (action, "action_type"), ==, "contact");
  g_assert_cmpstr (str (action, "status"), ==, "pending");
  g_assert_cmpstr (str (obj (action, "action_data"), "name"), ==, "Bob");
  g_assert_cmpstr (str (obj (action, "action_data"), "method"), ==, "message");
  g_assert_cmpstr (str (obj (action, "action_data"), "details"), ==, "i am running late");
  g_assert_cmpuint (mira_test_socket_count (net->events, "reminder_created", mark), ==, 0);
  g_assert_cmpuint (mira_test_socket_count (net->events, "calendar_event_created", mark), ==, 0);

  /* Ordinary talk: its interaction, and nothing else */
  mark = mira_test_socket_n_messages (net->events);
  for (guint i = 0; i < G_N_ELEMENTS (quiet); i++)
    request (f, 201, "POST", api (f, net, "interactions"), net->token,
             P (f, "{\"content\": \"%s\"}", quiet[i]));
  for (guint i = 0; i < G_N_ELEMENTS (quiet); i++)
    expect_event (f, net, mark, "interaction_created", 10000, NULL);
  mira_test_client_run (f->client, 300);
  g_assert_cmpuint (mira_test_socket_count (net->events, "interaction_created", mark), ==,
                    G_N_ELEMENTS (quiet));
  g_assert_cmpuint (mira_test_socket_count (net->events, "action_created", mark), ==, 0);
  g_assert_cmpuint (mira_test_socket_count (net->events, "reminder_created", mark), ==, 0);
  g_assert_cmpuint (mira_test_socket_count (net->events, "calendar_event_created", mark), ==, 0);
  g_assert_cmpint (json_object_get_int_member (request (f, 200, "GET", api (f, net, "actions"),
                                                        net->token, NULL), "total"), ==, 2);
}

/* The audio socket of a new device @name of @net */
static MiraTestSocket *
device_connect (Fixture    *f,
                Net        *net,
                const char *name)
{
  JsonObject *o;
  MiraTestSocket *audio;

  o = request (f, 201, "POST", api (f, net, P (f, "service/client/register/%s", name)),
               net->token, "{\"device_type\": \"microphone\"}");
  audio = mira_test_socket_connect (f->client, P (f, "/api/v1/%s/streams/%s/ws?token=%s",
                                                 net->id, name, str (o, "session_token")));
  mira_test_scope_keep (f->scope, audio, (GDestroyNotify) mira_test_socket_free);
  mira_test_check (mira_test_socket_wait_for (audio, "ready", 0, 10000, NULL) != NULL,
                   "the audio socket said no ready");
  return audio;
}

/* What a device hears, on the timeline all devices share, and the 20 ms
 * chunk of it at which it starts streaming
 */
typedef struct
{
  MiraTestSocket *audio;
  const gint16   *pcm;
  gsize           n;
  guint           first_chunk;
} Hearing;

/* The devices stream what they hear in step, in real time, 20 ms a chunk
 * as microphones send it; the time the words ended (at sample @speech_end
 * of the timeline) in @end_us.
 */
static void
stream_heard (Fixture       *f,
              const Hearing *hearings,
              guint          n_hearings,
              gsize          speech_end,
              gint64        *end_us_out)
{
  gint64 start_us = g_get_monotonic_time (), end_us = 0;
  gsize n = 0;

  for (guint h = 0; h < n_hearings; h++)
    n = MAX (n, hearings[h].n);
  for (gsize i = 0; i < n; i += 320)
    {
      gint64 due = start_us + (gint64) (i / 320) * 20000;
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        mira_test_client_run (f->client, (guint) ((due - now + 999) / 1000));
      for (guint h = 0; h < n_hearings; h++)
        {
          const Hearing *heard = &hearings[h];
          gsize len = MIN (320, heard->n - MIN (i, heard->n));
          g_autofree char *header = NULL;

          if (i / 320 < heard->first_chunk || len == 0)
            continue;
          if (i / 320 == heard->first_chunk)
            mira_test_socket_send_text (heard->audio,
                                        "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,"
                                        "\"width\":2,\"channels\":1}}\n");
          header = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,"
                                    "\"width\":2,\"channels\":1},\"payload_length\":%"
                                    G_GSIZE_FORMAT "}\n", len * 2);
          mira_test_socket_send_text (heard->audio, header);
          mira_test_socket_send_binary (heard->audio, heard->pcm + i, len * 2);
          if (i + len >= heard->n)
            mira_test_socket_send_text (heard->audio, "{\"type\":\"audio-stop\"}\n");
        }
      if (end_us == 0 && i + 320 >= speech_end)
        end_us = g_get_monotonic_time ();
    }
  *end_us_out = end_us;
}

/* A device says DENTIST in @voice (flite) to its @audio socket, in real
 * time, in room noise; the time its words ended in @end_us.
 */
static void
speak_dentist (Fixture        *f,
               MiraTestSocket *audio,
               const char     *voice,
               gint64         *end_us_out)
{
  const MiraTestSpeech *speech = mira_test_speech_get (voice, DENTIST);
  g_autofree gint16 *pcm = NULL;
  Hearing heard = { audio, NULL, 0, 0 };

  /* Room noise 30 dB below the words, 300 ms before and a second after */
  heard.pcm = pcm = mira_test_speech_mix (speech, -20.0, 30.0, 1.0, 300, 1000, 7, &heard.n);
  stream_heard (f, &heard, 1, 300 * 16 + speech->n, end_us_out);
}

/* The interaction that DENTIST, said to @device from event @mark on, became
 * (at @end_us), with its action and reminder: due at 17:00 the next day in
 * the network's time zone, and all of it on the event socket. Returns the
 * interaction, its seconds decoded while spoken in @streamed_s.
 */
static JsonObject *
expect_dentist (Fixture    *f,
                Net        *net,
                guint       mark,
                const char *device,
                gint64      end_us,
                double     *streamed_s)
{
  JsonObject *interaction, *reminder, *action, *metadata;
  gint64 interaction_us, reminder_us;
  gint64 said_ms;

  /* PocketSphinx on a loaded machine takes its time; the extraction does not */
  interaction = obj (expect_event (f, net, mark, "interaction_created", 120000,
                                   &interaction_us), "interaction");
  metadata = obj (interaction, "metadata");
  *streamed_s = json_object_get_double_member_with_default (metadata,
                                                            "transcription_streamed_s", 0);
  g_test_message ("%s heard \"%s\": %.2f s of it decoded while spoken, %.0f ms after",
                  device, str (interaction, "content"), *streamed_s,
                  json_object_get_double_member (metadata, "transcription_ms"));
  reminder = obj (expect_event (f, net, mark, "reminder_created", 2000, &reminder_us),
                  "reminder");
  action = obj (expect_event (f, net, mark, "action_created", 2000, NULL), "action");
  g_test_message ("reminder_created %.0f ms after the words ended, %.1f ms after "
                  "interaction_created", (reminder_us - end_us) / 1e3,
                  (reminder_us - interaction_us) / 1e3);
  mira_test_check (reminder_us - interaction_us < MAX_LATENCY_US,
                   "reminder_created %.3f s after interaction_created",
                   (reminder_us - interaction_us) / 1e6);

  said_ms = mira_timestamp_to_unix_ms (str (interaction, "timestamp"));
  g_assert_cmpstr (str (interaction, "content"), ==, DENTIST);
  g_assert_cmpstr (str (interaction, "interaction_type"), ==, "audio");
  g_assert_cmpstr (str (interaction, "client_id"), ==, device);
  g_assert_cmpstr (str (metadata, "stream_id"), ==, device);
  g_assert_cmpstr (str (metadata, "transcriber"), ==, "sphinx");
  g_assert_cmpstr (str (reminder, "title"), ==, "Call the dentist");
  g_assert_cmpstr (str (reminder, "due_time"), ==,
                   local_time (f, "Europe/Berlin", said_ms, 1, 17));
  g_assert_cmpstr (str (reminder, "interaction_id"), ==, str (interaction, "id"));
  g_assert_cmpstr (str (obj (action, "result"), "reminder_id"), ==, str (reminder, "id"));
  return interaction;
}

/* A server whose transcriber is PocketSphinx with one decoder of its own */
static void
fixture_setup_spoken (Fixture    *f,
                      MiraSphinx *sphinx)
{
  g_autofree char *uri = mira_test_sqlite_uri ();

  f->backend = BACKEND_SQLITE;
  f->scope = mira_test_scope_new ();
  f->server = mira_test_server_new_full (uri, FALSE, MIRA_TRANSCRIBER (sphinx));
  f->client = mira_test_client_new (mira_test_server_get_url (f->server));
}

/* Spoken: flite says it, a device streams it to its audio socket, PocketSphinx
 * writes it down, and the reminder follows the interaction. Said three
 * times: by a new device of a new network (decoded whole at its end, by its
 * own mean), by the same device again (decoded while spoken, by the mean
 * its first utterance left), and by a second new device (whole again).
 * Each time the words are right, and the interaction is the device's and
 * the same person's.
 */
static void
test_dentist_spoken (gconstpointer data)
{
  const char *voice = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = mira_sphinx_new (NULL, 1, &error);
  g_autoptr(MiraTestServer) server = NULL;
  Fixture fixture = { 0 }, *f = &fixture;
  g_autofree char *person_id = NULL;
  MiraTestSocket *kitchen, *hall;
  Net *net;

  g_assert_no_error (error);
  fixture_setup_spoken (f, sphinx);
  server = f->server;

  net = net_new (f, "Europe/Berlin");
  kitchen = device_connect (f, net, "kitchen");
  hall = device_connect (f, net, "hall");
  for (guint round = 0; round < 3; round++)
    {
      const char *device = round < 2 ? "kitchen" : "hall";
      guint mark = mira_test_socket_n_messages (net->events);
      JsonObject *interaction;
      double streamed_s;
      gint64 end_us;

      speak_dentist (f, round < 2 ? kitchen : hall, voice, &end_us);
      interaction = expect_dentist (f, net, mark, device, end_us, &streamed_s);
      if (round == 1)
        mira_test_check (streamed_s > 1.0, "%s: only %.2f s decoded while spoken", device,
                         streamed_s);
      else
        mira_test_check (streamed_s == 0, "%s: a first utterance, %.2f s decoded while spoken",
                         device, streamed_s);
      /* One voice, one person */
      mira_test_check (str (interaction, "person_id") != NULL, "%s: no person", device);
      if (person_id == NULL)
        person_id = g_strdup (str (interaction, "person_id"));
      g_assert_cmpstr (str (interaction, "person_id"), ==, person_id);
    }

  fixture_teardown (f, NULL);
}

/* The events of @net from @mark on that tell of its persons, conversations,
 * interactions, reminders, calendar events and actions, as "type" strings,
 * in the order they came; the objects of the first reminder_created and
 * action_created in @reminder and @action
 */
static GPtrArray *
entity_events (Net         *net,
               guint        mark,
               JsonObject **reminder,
               JsonObject **action)
{
  static const char * const prefixes[] = {
    "person_", "conversation_", "interaction_", "reminder_", "calendar_event_", "action_",
  };
  GPtrArray *types = g_ptr_array_new ();

  *reminder = *action = NULL;
  for (guint i = mark; i < mira_test_socket_n_messages (net->events); i++)
    {
      JsonObject *event = mira_test_socket_message (net->events, i)->object;
      const char *type = str (event, "type");

      for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
        if (g_str_has_prefix (type, prefixes[p]))
          {
            g_ptr_array_add (types, (gpointer) type);
            break;
          }
      if (*reminder == NULL && g_str_equal (type, "reminder_created"))
        *reminder = obj (event, "reminder");
      if (*action == NULL && g_str_equal (type, "action_created"))
        *action = obj (event, "action");
    }
  return types;
}

static const char *
joined (Fixture   *f,
        GPtrArray *types)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < types->len; i++)
    g_string_append_printf (text, "%s%s", i ? " " : "", (const char *) types->pdata[i]);
  return take (f, g_strdup (text->str));
}

/* Said or written, an interaction is made the same way. DENTIST spoken to
 * a device of one network, and the same words posted as text to another
 * network with the time they were said: each network sees the same events
 * in the same order (the spoken one first learns whose voice it was), and
 * the same reminder and action.
 */
static void
test_dentist_text_and_spoken (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = mira_sphinx_new (NULL, 1, &error);
  g_autoptr(MiraTestServer) server = NULL;
  g_autoptr(GPtrArray) spoken_types = NULL;
  g_autoptr(GPtrArray) text_types = NULL;
  Fixture fixture = { 0 }, *f = &fixture;
  JsonObject *spoken, *written, *reminders[2], *actions[2];
  MiraTestSocket *kitchen;
  Net *said, *typed;
  guint said_mark, typed_mark;
  double streamed_s;
  gint64 end_us;

  g_assert_no_error (error);
  fixture_setup_spoken (f, sphinx);
  server = f->server;

  said = net_new (f, "Europe/Berlin");
  typed = net_new (f, "Europe/Berlin");
  kitchen = device_connect (f, said, "kitchen");
  said_mark = mira_test_socket_n_messages (said->events);
  speak_dentist (f, kitchen, "rms", &end_us);
  spoken = expect_dentist (f, said, said_mark, "kitchen", end_us, &streamed_s);

  typed_mark = mira_test_socket_n_messages (typed->events);
  written = request (f, 201, "POST", api (f, typed, "interactions"), typed->token,
                     P (f, "{\"content\": \"%s\", \"timestamp\": \"%s\"}",
                        str (spoken, "content"), str (spoken, "timestamp")));
  g_assert_cmpstr (str (written, "interaction_type"), ==, "text");
  g_assert_null (str (written, "person_id"));
  expect_event (f, typed, typed_mark, "action_created", 10000, NULL);
  /* Anything that would follow has had its time to come */
  mira_test_client_run (f->client, 300);

  spoken_types = entity_events (said, said_mark, &reminders[0], &actions[0]);
  text_types = entity_events (typed, typed_mark, &reminders[1], &actions[1]);
  g_assert_cmpstr (joined (f, spoken_types), ==,
                   "person_created conversation_started conversation_updated "
                   "interaction_created reminder_created action_created");
  g_ptr_array_remove_index (spoken_types, 0);
  g_assert_cmpstr (joined (f, text_types), ==, joined (f, spoken_types));

  g_assert_cmpstr (str (reminders[1], "interaction_id"), ==, str (written, "id"));
  g_assert_cmpstr (str (actions[1], "interaction_id"), ==, str (written, "id"));
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (str (obj (actions[i], "result"), "reminder_id"), ==,
                     str (reminders[i], "id"));
  {
    static const char * const fields[] = {
      "title", "description", "due_time", "priority", "status",
    };

    for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
      g_assert_cmpstr (str (reminders[1], fields[i]), ==, str (reminders[0], fields[i]));
  }
  g_assert_cmpstr (str (actions[1], "action_type"), ==, str (actions[0], "action_type"));
  g_assert_cmpstr (str (actions[1], "status"), ==, str (actions[0], "status"));
  {
    g_autoptr(JsonNode) a = json_node_init_object (json_node_alloc (),
                                                   obj (actions[0], "action_data"));
    g_autoptr(JsonNode) b = json_node_init_object (json_node_alloc (),
                                                   obj (actions[1], "action_data"));

    g_assert_true (json_node_equal (a, b));
  }

  fixture_teardown (f, NULL);
}

/* The index of the first event of @type from @from on @net's socket, or
 * -1; of audio_stream_selected, the first whose reason does (@live) or does
 * not begin with "live"
 */
static int
find_event (Net        *net,
            guint       from,
            const char *type,
            gboolean    live)
{
  for (guint i = from; i < mira_test_socket_n_messages (net->events); i++)
    {
      JsonObject *o = mira_test_socket_message (net->events, i)->object;

      if (g_strcmp0 (str (o, "type"), type) == 0 &&
          (!g_str_equal (type, "audio_stream_selected") ||
           g_str_has_prefix (str (o, "reason") ? str (o, "reason") : "", "live") == live))
        return (int) i;
    }
  return -1;
}

static const char *
selected_at (Net *net,
             int  index)
{
  return str (mira_test_socket_message (net->events, (guint) index)->object,
              "selected_client_id");
}

/* The live best stream changes in the middle of the sentence. A noisy
 * device (5 dB SNR) streams alone first and is the best; a clean one
 * starts half a second before the words and, better by the arbiter's margin
 * for its hold time, takes over while they are spoken. The utterance is
 * decoded from the clean one's audio of the window: the words are the
 * clean device's, and so are the interaction and the reminder.
 */
static void
test_best_switch_spoken (void)
{
  const MiraTestSpeech *speech = mira_test_speech_get ("rms", DENTIST);
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = mira_sphinx_new (NULL, 1, &error);
  g_autoptr(MiraTestServer) server = NULL;
  g_autofree gint16 *noisy_pcm = NULL;
  g_autofree gint16 *clean_pcm = NULL;
  Fixture fixture = { 0 }, *f = &fixture;
  const guint lead_ms = 2000;
  Hearing heard[2] = { { 0 } };
  int started, switched, selected;
  double streamed_s;
  gint64 end_us;
  guint mark;
  Net *net;

  g_assert_no_error (error);
  fixture_setup_spoken (f, sphinx);
  server = f->server;
  net = net_new (f, "Europe/Berlin");
  heard[0].audio = device_connect (f, net, "noisy");
  heard[1].audio = device_connect (f, net, "clean");
  /* The same timeline for both: two seconds of room noise, then the words */
  heard[0].pcm = noisy_pcm = mira_test_speech_mix (speech, -20.0, 5.0, 1.0, lead_ms, 1000, 71,
                                                   &heard[0].n);
  heard[1].pcm = clean_pcm = mira_test_speech_mix (speech, -20.0, 35.0, 1.0, lead_ms, 1000, 72,
                                                   &heard[1].n);
  heard[1].first_chunk = (lead_ms - 500) / 20;
  mark = mira_test_socket_n_messages (net->events);

  stream_heard (f, heard, 2, lead_ms * 16 + speech->n, &end_us);
  expect_dentist (f, net, mark, "clean", end_us, &streamed_s);

  /* The noisy device was the best when the words began, the clean one
   * became it before the utterance's window closed
   */
  started = find_event (net, mark, "utterance_started", FALSE);
  selected = find_event (net, mark, "audio_stream_selected", FALSE);
  switched = find_event (net, mark, "audio_stream_selected", TRUE);
  while (switched >= 0 && g_strcmp0 (selected_at (net, switched), "clean") != 0)
    switched = find_event (net, switched + 1, "audio_stream_selected", TRUE);
  mira_test_check (started >= 0 && selected > started, "events: %s",
                   event_types (f, net, mark));
  g_assert_cmpstr (selected_at (net, selected), ==, "clean");
  mira_test_check (switched > started && switched < selected,
                   "the clean device did not become the best while the words were spoken; "
                   "events: %s", event_types (f, net, mark));
  for (int i = find_event (net, mark, "audio_stream_selected", TRUE); i >= 0 && i < started;
       i = find_event (net, i + 1, "audio_stream_selected", TRUE))
    g_assert_cmpstr (selected_at (net, i), ==, "noisy");

  fixture_teardown (f, NULL);
}


/* With a language model */

/* How many requests the peer has had */
static guint
peer_requests (void)
{
  g_autoptr(JsonArray) requests = mira_test_llm_peer_requests (peer);

  return json_array_get_length (requests);
}

static gboolean
peer_asked (gpointer data)
{
  return peer_requests () > GPOINTER_TO_UINT (data);
}

/* Waits until the peer has had more than @before requests */
static void
wait_peer (Fixture *f,
           guint    before)
{
  mira_test_check (mira_test_client_run_until (f->client, 10000, peer_asked,
                                               GUINT_TO_POINTER (before)),
                   "the language model was not asked");
}

/* The model's answer becomes the action and the reminder, its due time read
 * in the network's zone; "extractor" says who found it.
 */
static void
test_llm_answer (Fixture       *f,
                 gconstpointer  data)
{
  Net *net = net_new (f, "America/New_York");
  guint mark = mira_test_socket_n_messages (net->events);
  g_autofree char *content = NULL;
  JsonObject *interaction, *reminder, *action;
  gint64 sent_us, reminder_us;
  const char *due;

  /* Said at noon in New York the day before its clocks go forward */
  content = g_strdup_printf ("{\"actions\": [{\"type\": \"remind\", \"title\": \"Phone Dr Jones\","
                             " \"due_time\": \"2026-03-08T17:00\", \"priority\": \"high\","
                             " \"start_time\": null, \"end_time\": null, \"location\": null,"
                             " \"attendees\": null, \"name\": null, \"method\": null,"
                             " \"details\": null, \"time\": null}]}");
  mira_test_llm_peer_answer (peer, content);
  sent_us = g_get_monotonic_time ();
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         P (f, "{\"content\": \"%s\", \"timestamp\": "
                               "\"2026-03-07T12:00:00-05:00\"}", DENTIST));
  reminder = obj (expect_event (f, net, mark, "reminder_created", 10000, &reminder_us),
                  "reminder");
  action = obj (expect_event (f, net, mark, "action_created", 10000, NULL), "action");
  g_test_message ("reminder_created %.1f ms after the POST, by the model",
                  (reminder_us - sent_us) / 1e3);

  /* After its interaction, never before */
  {
    guint i_interaction, i_reminder;

    mira_test_socket_wait_for (net->events, "interaction_created", mark, 0, &i_interaction);
    mira_test_socket_wait_for (net->events, "reminder_created", mark, 0, &i_reminder);
    g_assert_cmpuint (i_interaction, <, i_reminder);
  }
  due = "2026-03-08T21:00:00.000Z";
  g_assert_cmpstr (str (reminder, "title"), ==, "Phone Dr Jones");
  g_assert_cmpstr (str (reminder, "due_time"), ==, due);
  g_assert_cmpstr (str (reminder, "priority"), ==, "high");
  g_assert_cmpstr (str (reminder, "interaction_id"), ==, str (interaction, "id"));
  g_assert_cmpstr (str (action, "action_type"), ==, "remind");
  g_assert_cmpstr (str (action, "status"), ==, "completed");
  g_assert_cmpstr (str (obj (action, "result"), "reminder_id"), ==, str (reminder, "id"));
  g_assert_cmpstr (str (obj (action, "action_data"), "extractor"), ==, "llm");

  /* The model read what was said, when, and where */
  {
    g_autoptr(JsonArray) requests = mira_test_llm_peer_requests (peer);
    JsonObject *last = json_array_get_object_element (requests,
                                                      json_array_get_length (requests) - 1);
    const char *body = json_object_get_string_member (last, "body");

    g_assert_cmpstr (json_object_get_string_member (last, "authorization"), ==,
                     "Bearer secret-key");
    g_assert_nonnull (strstr (body, DENTIST));
    g_assert_nonnull (strstr (body, "America/New_York"));
    g_assert_nonnull (strstr (body, "2026-03-07T12:00"));
  }

  /* Talk that asks for nothing: the model says so, and nothing is made */
  mira_test_llm_peer_answer (peer, "{\"actions\": []}");
  mark = mira_test_socket_n_messages (net->events);
  {
    guint before = peer_requests ();

    request (f, 201, "POST", api (f, net, "interactions"), net->token,
             "{\"content\": \"the weather is nice today\"}");
    wait_peer (f, before);
  }
  mira_test_client_run (f->client, 300);
  g_assert_cmpuint (mira_test_socket_count (net->events, "interaction_created", mark), ==, 1);
  g_assert_cmpuint (mira_test_socket_count (net->events, "action_created", mark), ==, 0);
}

/* However the model fails, the built-in extractor's reminder comes, soon
 * after the model's timeout at worst.
 */
static void
test_llm_fallback (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const modes[] = {
    "{\"mode\": \"error\", \"status\": 500}",
    "{\"mode\": \"error\", \"status\": 401, \"message\": \"Incorrect API key provided\"}",
    "{\"mode\": \"garbage\"}",
    "{\"mode\": \"answer\", \"content\": \"Sure! I will remind you.\"}",
    "{\"mode\": \"answer\", \"content\": \"{\\\"actions\\\": [{\\\"type\\\": \\\"remind\\\"}]}\"}",
    "{\"mode\": \"hang\"}",
    "{\"mode\": \"close\", \"content\": \"{\\\"actions\\\": []}\"}",
  };
  Net *net = net_new (f, "Europe/Berlin");

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      guint mark = mira_test_socket_n_messages (net->events);
      JsonObject *interaction, *reminder, *action;
      gint64 sent_us, reminder_us;

      mira_test_llm_peer_set_mode (peer, modes[i]);
      sent_us = g_get_monotonic_time ();
      interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                             P (f, "{\"content\": \"%s\"}", DENTIST));
      reminder = obj (expect_event (f, net, mark, "reminder_created", 10000, &reminder_us),
                      "reminder");
      action = obj (expect_event (f, net, mark, "action_created", 10000, NULL), "action");
      g_test_message ("%s: reminder_created %.0f ms after the POST", modes[i],
                      (reminder_us - sent_us) / 1e3);
      g_assert_cmpstr (str (reminder, "title"), ==, "Call the dentist");
      g_assert_cmpstr (str (reminder, "due_time"), ==,
                       local_time (f, "Europe/Berlin",
                                   mira_timestamp_to_unix_ms (str (interaction, "timestamp")),
                                   1, 17));
      g_assert_cmpstr (str (obj (action, "action_data"), "extractor"), ==, "builtin");
      mira_test_check (reminder_us - sent_us < (gint64) LLM_TIMEOUT_MS * 1000 + MAX_LATENCY_US,
                       "%s: the fallback took %.3f s", modes[i], (reminder_us - sent_us) / 1e6);
      /* One reminder, not one per try */
      mira_test_client_run (f->client, 200);
      g_assert_cmpuint (mira_test_socket_count (net->events, "reminder_created", mark), ==, 1);
    }
}

/* An interaction that has actions by the time the model answers gets no
 * second set from it.
 */
static void
test_llm_no_twice (Fixture       *f,
                   gconstpointer  data)
{
  Net *net = net_new (f, "Europe/Berlin");
  const char *mode = "{\"mode\": \"answer\", \"delay_ms\": 400, \"content\": "
                     "\"{\\\"actions\\\": [{\\\"type\\\": \\\"contact\\\", "
                     "\\\"name\\\": \\\"Bob\\\", \\\"method\\\": \\\"call\\\"}]}\"}";
  JsonObject *interaction, *list;
  guint before;

  mira_test_llm_peer_set_mode (peer, mode);
  before = peer_requests ();
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         "{\"content\": \"call bob\"}");
  request (f, 201, "POST", api (f, net, "actions"), net->token,
           P (f, "{\"interaction_id\": \"%s\", \"action_type\": \"contact\", "
                 "\"action_data\": {\"name\": \"Bob\"}}", str (interaction, "id")));
  wait_peer (f, before);
  mira_test_client_run (f->client, 800);
  list = request (f, 200, "GET", api (f, net, P (f, "actions?interaction_id=%s",
                                                 str (interaction, "id"))), net->token, NULL);
  g_assert_cmpint (json_object_get_int_member (list, "total"), ==, 1);
}

/* Spoken, with a language model: the model reads what PocketSphinx heard,
 * and its reminder is the interaction's only one (the built-in extractor
 * reads speech only where it reads REST posts: without a model).
 */
static void
test_llm_spoken (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraSphinx) sphinx = mira_sphinx_new (NULL, 1, &error);
  g_autofree char *uri = mira_test_sqlite_uri ();
  g_autoptr(MiraTestServer) server = NULL;
  g_autoptr(MiraLlm) llm = NULL;
  Fixture fixture = { BACKEND_SQLITE, TRUE, NULL, NULL, mira_test_scope_new () }, *f = &fixture;
  MiraServerOptions options = { 0 };
  Net *net;
  JsonObject *interaction, *reminder, *action, *list;
  guint mark;
  gint64 end_us;

  g_assert_no_error (error);
  if (peer == NULL)
    peer = mira_test_llm_peer_start ();
  llm = mira_llm_new (mira_test_llm_peer_get_url (peer), "tiny-model", "secret-key",
                      LLM_TIMEOUT_MS);
  options.llm = llm;
  server = mira_test_server_new_limited (uri, FALSE, MIRA_TRANSCRIBER (sphinx), &options);
  f->server = server;
  f->client = mira_test_client_new (mira_test_server_get_url (server));

  mira_test_llm_peer_answer (peer, "{\"actions\": [{\"type\": \"remind\", \"title\": "
                                   "\"Phone the dentist\", \"due_time\": \"2030-01-02T17:00\", "
                                   "\"priority\": \"medium\", \"start_time\": null, "
                                   "\"end_time\": null, \"location\": null, \"attendees\": null, "
                                   "\"name\": null, \"method\": null, \"details\": null, "
                                   "\"time\": null}]}");
  net = net_new (f, "Europe/Berlin");
  mark = mira_test_socket_n_messages (net->events);
  speak_dentist (f, device_connect (f, net, "kitchen"), "rms", &end_us);

  interaction = obj (expect_event (f, net, mark, "interaction_created", 120000, NULL),
                     "interaction");
  g_assert_cmpstr (str (interaction, "interaction_type"), ==, "audio");
  reminder = obj (expect_event (f, net, mark, "reminder_created", 10000, NULL), "reminder");
  action = obj (expect_event (f, net, mark, "action_created", 10000, NULL), "action");
  g_assert_cmpstr (str (reminder, "title"), ==, "Phone the dentist");
  g_assert_cmpstr (str (reminder, "interaction_id"), ==, str (interaction, "id"));
  g_assert_cmpstr (str (obj (action, "action_data"), "extractor"), ==, "llm");
  {
    g_autoptr(JsonArray) requests = mira_test_llm_peer_requests (peer);
    JsonObject *last = json_array_get_object_element (requests,
                                                      json_array_get_length (requests) - 1);

    g_assert_nonnull (strstr (json_object_get_string_member (last, "body"),
                              str (interaction, "content")));
  }
  mira_test_client_run (f->client, 300);
  list = request (f, 200, "GET", api (f, net, P (f, "actions?interaction_id=%s",
                                                 str (interaction, "id"))), net->token, NULL);
  g_assert_cmpint (json_object_get_int_member (list, "total"), ==, 1);
  g_assert_cmpuint (mira_test_socket_count (net->events, "reminder_created", mark), ==, 1);

  fixture_teardown (f, NULL);
}

/* A closed conversation's title and summary: the model's, or the built-in
 * ones when it fails.
 */
static void
test_llm_summary (Fixture       *f,
                  gconstpointer  data)
{
  Net *net = net_new (f, "Europe/Berlin");
  guint mark, before;
  JsonObject *interaction, *closed, *updated;
  const char *conversation_id;

  mira_test_llm_peer_answer (peer, "{\"actions\": []}");
  before = peer_requests ();
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         "{\"content\": \"we should paint the kitchen blue this weekend\"}");
  conversation_id = str (interaction, "conversation_id");
  wait_peer (f, before);

  mira_test_llm_peer_answer (peer, "{\"title\": \"Painting the kitchen\", \"summary\": "
                                   "\"Plans to paint the kitchen blue at the weekend.\"}");
  mark = mira_test_socket_n_messages (net->events);
  closed = request (f, 200, "POST", api (f, net, P (f, "conversations/%s/close", conversation_id)),
                    net->token, NULL);
  g_assert_cmpstr (str (closed, "status"), ==, "closed");
  expect_event (f, net, mark, "conversation_closed", 10000, NULL);
  updated = obj (expect_event (f, net, mark, "conversation_updated", 10000, NULL), "conversation");
  g_assert_cmpstr (str (updated, "id"), ==, conversation_id);
  g_assert_cmpstr (str (updated, "title"), ==, "Painting the kitchen");
  g_assert_cmpstr (str (updated, "topic_summary"), ==,
                   "Plans to paint the kitchen blue at the weekend.");
  g_assert_cmpstr (str (obj (updated, "metadata"), "summary_by"), ==, "llm");
  updated = request (f, 200, "GET", api (f, net, P (f, "conversations/%s", conversation_id)),
                     net->token, NULL);
  g_assert_cmpstr (str (updated, "title"), ==, "Painting the kitchen");
  {
    g_autoptr(JsonArray) requests = mira_test_llm_peer_requests (peer);
    JsonObject *last = json_array_get_object_element (requests,
                                                      json_array_get_length (requests) - 1);

    g_assert_nonnull (strstr (json_object_get_string_member (last, "body"),
                              "we should paint the kitchen blue this weekend"));
  }

  /* The model fails: the built-in title and summary stay */
  mira_test_llm_peer_answer (peer, "{\"actions\": []}");
  before = peer_requests ();
  interaction = request (f, 201, "POST", api (f, net, "interactions"), net->token,
                         "{\"content\": \"the garden needs water every evening\"}");
  conversation_id = str (interaction, "conversation_id");
  wait_peer (f, before);
  mira_test_llm_peer_set_mode (peer, "{\"mode\": \"error\", \"status\": 503}");
  mark = mira_test_socket_n_messages (net->events);
  before = peer_requests ();
  closed = request (f, 200, "POST", api (f, net, P (f, "conversations/%s/close", conversation_id)),
                    net->token, NULL);
  wait_peer (f, before);
  mira_test_client_run (f->client, 300);
  g_assert_cmpuint (mira_test_socket_count (net->events, "conversation_updated", mark), ==, 0);
  updated = request (f, 200, "GET", api (f, net, P (f, "conversations/%s", conversation_id)),
                     net->token, NULL);
  g_assert_cmpstr (str (updated, "title"), ==, str (closed, "title"));
  g_assert_nonnull (str (updated, "title"));
  g_assert_cmpstr (str (updated, "topic_summary"), ==, str (closed, "topic_summary"));
}

int
main (int   argc,
      char *argv[])
{
  static const struct {
    const char *path;
    void (*func) (Fixture *, gconstpointer);
  } tests[] = {
    { "dentist-rest", test_dentist_rest },
    { "event-contact-nothing", test_event_contact_nothing },
  }, llm_tests[] = {
    { "llm/answer", test_llm_answer },
    { "llm/fallback", test_llm_fallback },
    { "llm/summary", test_llm_summary },
    { "llm/no-twice", test_llm_no_twice },
  };
  int ret;

  g_test_init (&argc, &argv, NULL);
  mira_time_zones_load ();

  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < G_N_ELEMENTS (tests); t++)
      {
        g_autofree char *path = g_strdup_printf ("/extraction/%s/%s", backend_names[b],
                                                 tests[t].path);

        g_test_add (path, Fixture, &backends[b], fixture_setup, tests[t].func,
                    fixture_teardown);
      }
  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < G_N_ELEMENTS (llm_tests); t++)
      {
        g_autofree char *path = g_strdup_printf ("/extraction/%s/%s", backend_names[b],
                                                 llm_tests[t].path);

        g_test_add (path, Fixture, &backends[b], fixture_setup_llm, llm_tests[t].func,
                    fixture_teardown);
      }
  /* Two of flite's voices that PocketSphinx's generic model hears right */
  g_test_add_data_func ("/extraction/sqlite/dentist-spoken/rms", "rms", test_dentist_spoken);
  g_test_add_data_func ("/extraction/sqlite/dentist-spoken/kal16", "kal16", test_dentist_spoken);
  g_test_add_func ("/extraction/sqlite/text-and-spoken", test_dentist_text_and_spoken);
  g_test_add_func ("/extraction/sqlite/best-switch-spoken", test_best_switch_spoken);
  g_test_add_func ("/extraction/sqlite/llm/spoken", test_llm_spoken);

  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    {
      g_clear_pointer (&servers[b], mira_test_server_free);
      g_clear_pointer (&server_uris[b], g_free);
      g_clear_pointer (&llm_servers[b], mira_test_server_free);
      g_clear_pointer (&llm_server_uris[b], g_free);
    }
  g_clear_pointer (&peer, mira_test_llm_peer_stop);
  mira_test_pg_stop ();
  return ret;
}
