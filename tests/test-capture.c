/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test"

/* MiraCapture against a real server with PocketSphinx: a flite sentence
 * played by a GStreamer source goes through the capture's pipeline and
 * audio socket and comes back as its words, on the event socket and as the
 * socket's transcript; a source that cannot open, a refused token and a
 * server restart are reported the way the app shows them.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "mira-capture.h"
#include "mira-sphinx.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-test-server.h"

#define KITCHEN "turn on the lights in the kitchen"
#define WEATHER "what is the weather like today"
#define SPEECH_DBFS -20.0
#define SNR_DB 30.0
/* Long enough for a decode on a loaded machine */
#define INTERACTION_TIMEOUT_MS 30000
#define STATE_TIMEOUT_MS 10000

static MiraSphinx *sphinx;
static MiraTestServer *server;
static char *tmp_dir;

/* A network with this computer registered in it, and its event socket */
typedef struct {
  MiraTestClient *client;
  char           *network_id;
  char           *network_token;
  char           *client_id;
  char           *session_token;
  MiraTestSocket *events;
} Net;

static void
net_connect_events (Net *net)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->network_id,
                                           net->network_token);

  g_clear_pointer (&net->events, mira_test_socket_free);
  net->events = mira_test_socket_connect (net->client, path);
  g_assert_nonnull (mira_test_socket_wait_for (net->events, "connection_established", 0,
                                               10000, NULL));
}

static Net *
net_new (const char *name)
{
  Net *net = g_new0 (Net, 1);
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\"}", name);
  g_autofree char *path = NULL;
  g_autoptr(MiraTestResponse) created = NULL;
  g_autoptr(MiraTestResponse) registered = NULL;
  JsonObject *o;

  net->client = mira_test_client_new (mira_test_server_get_url (server));
  created = mira_test_client_request (net->client, "POST", "/api/v1/networks",
                                      MIRA_TEST_ADMIN_TOKEN, body);
  g_assert_cmpuint (created->status, ==, 201);
  o = mira_test_response_object (created);
  net->network_id = g_strdup (json_object_get_string_member (o, "network_id"));
  net->network_token = g_strdup (json_object_get_string_member (o, "network_token"));

  net->client_id = g_strdup ("this-computer");
  path = g_strdup_printf ("/api/v1/%s/service/client/register/%s", net->network_id,
                          net->client_id);
  registered = mira_test_client_request (net->client, "POST", path, net->network_token,
                                         "{\"device_type\": \"desktop\"}");
  g_assert_cmpuint (registered->status, ==, 201);
  o = mira_test_response_object (registered);
  net->session_token = g_strdup (json_object_get_string_member (o, "session_token"));
  g_assert_nonnull (net->session_token);

  net_connect_events (net);
  return net;
}

static void
net_free (Net *net)
{
  g_clear_pointer (&net->events, mira_test_socket_free);
  mira_test_client_free (net->client);
  g_free (net->network_id);
  g_free (net->network_token);
  g_free (net->client_id);
  g_free (net->session_token);
  g_free (net);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Net, net_free)

/* This device's audio socket, as mira_connection_dup_audio_url() builds it */
static char *
audio_url (Net        *net,
           const char *token)
{
  const char *http = mira_test_server_get_url (server);

  g_assert_true (g_str_has_prefix (http, "http://"));
  return g_strdup_printf ("ws://%s/api/v1/%s/streams/%s/ws?codec=opus&token=%s",
                          http + strlen ("http://"), net->network_id, net->client_id, token);
}

/* A 16 kHz mono WAV file of @text spoken by flite, with room noise
 * @lead_ms before it and @tail_ms after it, as a microphone would hear it
 */
static char *
speech_wav (const char *text,
            guint       lead_ms,
            guint       tail_ms)
{
  static guint count;
  const MiraTestSpeech *speech = mira_test_speech_get ("slt", text);
  g_autofree char *name = g_strdup_printf ("speech-%u.wav", ++count);
  char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GByteArray) wav = g_byte_array_new ();
  g_autofree gint16 *pcm = NULL;
  g_autoptr(GError) error = NULL;
  gsize n;
  guint32 data_len, riff_len;
  guint8 header[44];

  pcm = mira_test_speech_mix (speech, SPEECH_DBFS, SNR_DB, 1.0, lead_ms, tail_ms, count, &n);
  data_len = (guint32) (n * 2);
  riff_len = 36 + data_len;
  memcpy (header, "RIFF", 4);
  memcpy (header + 4, &(guint32) { GUINT32_TO_LE (riff_len) }, 4);
  memcpy (header + 8, "WAVEfmt ", 8);
  memcpy (header + 16, &(guint32) { GUINT32_TO_LE (16) }, 4);
  memcpy (header + 20, &(guint16) { GUINT16_TO_LE (1) }, 2);        /* PCM */
  memcpy (header + 22, &(guint16) { GUINT16_TO_LE (1) }, 2);        /* mono */
  memcpy (header + 24, &(guint32) { GUINT32_TO_LE (16000) }, 4);
  memcpy (header + 28, &(guint32) { GUINT32_TO_LE (32000) }, 4);    /* bytes/s */
  memcpy (header + 32, &(guint16) { GUINT16_TO_LE (2) }, 2);        /* block */
  memcpy (header + 34, &(guint16) { GUINT16_TO_LE (16) }, 2);       /* bits */
  memcpy (header + 36, "data", 4);
  memcpy (header + 40, &(guint32) { GUINT32_TO_LE (data_len) }, 4);
  g_byte_array_append (wav, header, sizeof header);
  for (gsize i = 0; i < n; i++)
    {
      gint16 le = GINT16_TO_LE (pcm[i]);

      g_byte_array_append (wav, (const guint8 *) &le, 2);
    }
  g_file_set_contents (path, (const char *) wav->data, wav->len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
file_source (const char *wav_path)
{
  return g_strdup_printf ("filesrc location=\"%s\" ! wavparse", wav_path);
}

/* What a capture did, as its signals told it */
typedef struct {
  MiraCapture *capture;
  GArray      *states;        /* MiraCaptureState, each change in order */
  double       loudest;       /* dBFS while recording */
  double       quietest;
  guint        n_levels;
  char        *transcript;
  char        *transcript_id;
} Watch;

static void
on_state (MiraCapture *capture,
          GParamSpec  *pspec,
          Watch       *watch)
{
  MiraCaptureState state = mira_capture_get_state (capture);

  g_array_append_val (watch->states, state);
  if (state == MIRA_CAPTURE_STATE_FAILED)
    {
      /* The error is set before the state says FAILED */
      g_assert_nonnull (mira_capture_get_error (capture));
    }
}

static void
on_level (MiraCapture *capture,
          GParamSpec  *pspec,
          Watch       *watch)
{
  double level = mira_capture_get_level (capture);

  /* -100 is the meter at rest, when the pipeline goes away */
  if (mira_capture_get_state (capture) != MIRA_CAPTURE_STATE_RECORDING || level <= -100.0)
    return;
  watch->n_levels++;
  watch->loudest = MAX (watch->loudest, level);
  watch->quietest = MIN (watch->quietest, level);
}

static void
on_transcript (MiraCapture *capture,
               const char  *text,
               const char  *interaction_id,
               Watch       *watch)
{
  g_free (watch->transcript);
  watch->transcript = g_strdup (text);
  g_free (watch->transcript_id);
  watch->transcript_id = g_strdup (interaction_id);
}

static Watch *
watch_new (MiraCapture *capture)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->capture = g_object_ref (capture);
  watch->states = g_array_new (FALSE, FALSE, sizeof (MiraCaptureState));
  watch->loudest = -1000;
  watch->quietest = 1000;
  g_signal_connect (capture, "notify::state", G_CALLBACK (on_state), watch);
  g_signal_connect (capture, "notify::level", G_CALLBACK (on_level), watch);
  g_signal_connect (capture, "transcript", G_CALLBACK (on_transcript), watch);
  return watch;
}

static void
watch_free (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->capture, watch);
  g_object_unref (watch->capture);
  g_array_unref (watch->states);
  g_free (watch->transcript);
  g_free (watch->transcript_id);
  g_free (watch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

/* The states as text, for messages: "STARTING RECORDING IDLE" */
static char *
watch_states (Watch *watch)
{
  static const char *names[] = { "IDLE", "STARTING", "RECORDING", "FAILED" };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < watch->states->len; i++)
    g_string_append_printf (text, "%s%s", i ? " " : "",
                            names[g_array_index (watch->states, MiraCaptureState, i)]);
  return g_string_free (text, FALSE);
}

/* Whether @expected occur in this order among the states (others between) */
static gboolean
watch_saw (Watch                  *watch,
           const MiraCaptureState *expected,
           guint                   n_expected)
{
  guint j = 0;

  for (guint i = 0; i < watch->states->len && j < n_expected; i++)
    if (g_array_index (watch->states, MiraCaptureState, i) == expected[j])
      j++;
  return j == n_expected;
}

typedef struct {
  MiraCapture      *capture;
  MiraCaptureState  state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;

  return mira_capture_get_state (wait->capture) == wait->state;
}

static void
wait_state (Net              *net,
            MiraCapture      *capture,
            MiraCaptureState  state,
            Watch            *watch)
{
  StateWait wait = { capture, state };

  if (!mira_test_client_run_until (net->client, STATE_TIMEOUT_MS, state_reached, &wait))
    {
      g_autofree char *states = watch_states (watch);
      const GError *error = mira_capture_get_error (capture);
      g_autofree char *message = g_strdup_printf ("state %d never came; states: %s; error: %s",
                                                  state, states,
                                                  error ? error->message : "none");

      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
    }
}

static gboolean
has_transcript (gpointer data)
{
  return ((Watch *) data)->transcript != NULL;
}

/* The interaction of this device, from index @from of the event socket */
static JsonObject *
wait_interaction (Net   *net,
                  guint  from)
{
  JsonObject *event = mira_test_socket_wait_for (net->events, "interaction_created", from,
                                                 INTERACTION_TIMEOUT_MS, NULL);
  JsonObject *interaction;

  g_assert_nonnull (event);
  interaction = json_object_get_object_member (event, "interaction");
  g_assert_nonnull (interaction);
  g_assert_cmpstr (json_object_get_string_member (interaction, "client_id"), ==, net->client_id);
  return interaction;
}

/* A sentence from a WAV file goes out through the capture and comes back
 * as its words: on the event socket, by REST, and as the socket's
 * transcript. MIRA_AUDIO_SOURCE wins over the audio-source property.
 *
 * It runs in a process of its own, whose main() sets MIRA_AUDIO_SOURCE
 * before any thread starts: setenv() races with threads reading the
 * environment.
 */
static void test_capture_speech_from_environment (void);

static void
test_capture_speech (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                                       G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  test_capture_speech_from_environment ();
}

static void
test_capture_speech_from_environment (void)
{
  g_autoptr(Net) net = net_new ("capture speech");
  g_autofree char *url = audio_url (net, net->session_token);
  g_autoptr(MiraCapture) capture = mira_capture_new ();
  g_autoptr(Watch) watch = watch_new (capture);
  g_autoptr(MiraTestResponse) listed = NULL;
  g_autofree char *path = NULL;
  g_autofree char *states = NULL;
  static const MiraCaptureState expected[] = {
    MIRA_CAPTURE_STATE_STARTING, MIRA_CAPTURE_STATE_RECORDING, MIRA_CAPTURE_STATE_IDLE
  };
  JsonObject *interaction;
  JsonArray *items;
  const char *content;

  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_IDLE);
  g_assert_cmpfloat (mira_capture_get_level (capture), ==, -100.0);

  /* A source that cannot open here, overridden by the environment */
  g_assert_true (g_str_has_prefix (g_getenv ("MIRA_AUDIO_SOURCE"), "filesrc "));
  mira_capture_set_audio_source (capture, "pulsesrc server=unix:/nonexistent/mira-pulse");
  mira_capture_set_audio_url (capture, url);
  mira_capture_start (capture);
  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_STARTING);

  wait_state (net, capture, MIRA_CAPTURE_STATE_RECORDING, watch);
  /* The file ends: audio-stop, and IDLE by itself */
  wait_state (net, capture, MIRA_CAPTURE_STATE_IDLE, watch);
  states = watch_states (watch);
  g_assert_true (watch_saw (watch, expected, G_N_ELEMENTS (expected)));
  g_assert_null (mira_capture_get_error (capture));
  g_test_message ("states: %s", states);

  /* The meter followed the audio: room noise at about -50 dBFS, words at -20 */
  g_test_message ("level: %u updates, %.1f to %.1f dBFS", watch->n_levels, watch->quietest,
                  watch->loudest);
  g_assert_cmpuint (watch->n_levels, >=, 20);
  g_assert_cmpfloat (watch->loudest, >, -30.0);
  g_assert_cmpfloat (watch->quietest, <, -40.0);
  g_assert_cmpfloat (mira_capture_get_level (capture), ==, -100.0);

  interaction = wait_interaction (net, 0);
  content = json_object_get_string_member (interaction, "content");
  g_test_message ("heard: \"%s\"", content);
  g_assert_nonnull (strstr (content, "kitchen"));
  g_assert_nonnull (strstr (content, "lights"));

  /* The socket stayed open after audio-stop for the transcript */
  g_assert_true (mira_test_client_run_until (net->client, INTERACTION_TIMEOUT_MS,
                                             has_transcript, watch));
  g_assert_cmpstr (watch->transcript, ==, content);
  g_assert_cmpstr (watch->transcript_id, ==, json_object_get_string_member (interaction, "id"));

  path = g_strdup_printf ("/api/v1/%s/interactions?client_id=%s", net->network_id,
                          net->client_id);
  listed = mira_test_client_request (net->client, "GET", path, net->session_token, NULL);
  g_assert_cmpuint (listed->status, ==, 200);
  items = json_object_get_array_member (mira_test_response_object (listed), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0),
                                                  "content"), ==, content);

  /* One utterance, one interaction */
  mira_test_client_run (net->client, 1000);
  g_assert_cmpuint (mira_test_socket_count (net->events, "interaction_created", 0), ==, 1);
}

/* Sources that cannot open fail with a message for a person, never a
 * crash, and a start after that starts afresh.
 */
static void
test_capture_no_microphone (void)
{
  g_autoptr(Net) net = net_new ("capture no microphone");
  g_autofree char *url = audio_url (net, net->session_token);
  g_autoptr(MiraCapture) capture = mira_capture_new ();
  g_autoptr(Watch) watch = watch_new (capture);
  static const struct {
    const char *source;
    const char *device_id;
  } cases[] = {
    /* pulsesrc with no sound server to reach: what a machine without
     * audio gives
     */
    { "pulsesrc server=unix:/nonexistent/mira-pulse", NULL },
    { "filesrc location=/nonexistent/speech.wav ! wavparse", NULL },
    { "no-such-element-here", NULL },
    { NULL, "no-such-microphone" },
    /* The default, autoaudiosrc, with no sound server to reach (main()
     * points the clients at nothing): it settles for silence, which the
     * capture must call no microphone
     */
    { NULL, NULL },
  };
  GListModel *devices;

  mira_capture_set_audio_url (capture, url);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const GError *error;

      mira_capture_set_audio_source (capture, cases[c].source);
      mira_capture_set_device_id (capture, cases[c].device_id);
      g_array_set_size (watch->states, 0);
      mira_capture_start (capture);
      wait_state (net, capture, MIRA_CAPTURE_STATE_FAILED, watch);

      error = mira_capture_get_error (capture);
      g_test_message ("%s: %s", cases[c].source ? cases[c].source
                                : cases[c].device_id ? cases[c].device_id : "autoaudiosrc",
                      error->message);
      g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_NO_MICROPHONE);
      g_assert_true (strstr (error->message, "microphone") != NULL ||
                     strstr (error->message, "audio source") != NULL);
      g_assert_cmpint (g_array_index (watch->states, MiraCaptureState, 0), ==,
                       MIRA_CAPTURE_STATE_STARTING);
      g_assert_cmpfloat (mira_capture_get_level (capture), ==, -100.0);
    }

  /* Nothing reached the server */
  mira_test_client_run (net->client, 200);
  g_assert_cmpuint (mira_test_socket_count (net->events, "client_connected", 0), ==, 0);

  /* The microphones list works without a sound server too */
  devices = mira_capture_get_devices (capture);
  g_assert_true (g_list_model_get_item_type (devices) == MIRA_TYPE_AUDIO_DEVICE);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr(MiraAudioDevice) device = g_list_model_get_item (devices, i);

      g_assert_nonnull (mira_audio_device_get_device_id (device));
      g_assert_nonnull (mira_audio_device_get_display_name (device));
    }
  g_assert_true (mira_capture_get_devices (capture) == devices);
}

/* A wrong token: FAILED with the server's refusal, no reconnection */
static void
test_capture_refused (void)
{
  g_autoptr(Net) net = net_new ("capture refused");
  g_autofree char *wav = speech_wav (KITCHEN, 3000, 500);
  g_autofree char *source = file_source (wav);
  g_autofree char *url = audio_url (net, "not-a-token-of-this-network");
  g_autoptr(MiraCapture) capture = mira_capture_new ();
  g_autoptr(Watch) watch = watch_new (capture);
  const GError *error;

  mira_capture_set_audio_source (capture, source);
  mira_capture_set_audio_url (capture, url);
  mira_capture_start (capture);
  wait_state (net, capture, MIRA_CAPTURE_STATE_FAILED, watch);

  error = mira_capture_get_error (capture);
  g_test_message ("%s", error->message);
  g_assert_error (error, MIRA_CORE_ERROR, MIRA_CORE_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (error->message, "The server refused this device: "));
  g_assert_cmpuint (strlen (error->message), >, strlen ("The server refused this device: "));

  /* It stays FAILED: no retry with the same token */
  mira_test_client_run (net->client, 1500);
  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_FAILED);
  g_assert_cmpuint (watch->states->len, ==, 2);
}

/* The server restarts while recording: STARTING, then RECORDING again on
 * a new socket by itself; the pipeline kept running, and words spoken
 * after the restart arrive. The file's minute of room noise after the
 * words keeps it recording until stop().
 */
static void
test_capture_reconnect (void)
{
  g_autoptr(Net) net = net_new ("capture reconnect");
  g_autofree char *wav = speech_wav (WEATHER, 5000, 60000);
  g_autofree char *source = file_source (wav);
  g_autofree char *url = audio_url (net, net->session_token);
  g_autoptr(MiraCapture) capture = mira_capture_new ();
  g_autoptr(Watch) watch = watch_new (capture);
  g_autofree char *states = NULL;
  static const MiraCaptureState expected[] = {
    MIRA_CAPTURE_STATE_STARTING, MIRA_CAPTURE_STATE_RECORDING,
    MIRA_CAPTURE_STATE_STARTING, MIRA_CAPTURE_STATE_RECORDING,
  };
  JsonObject *interaction;
  const char *content;

  mira_capture_set_audio_source (capture, source);
  mira_capture_set_audio_url (capture, url);
  mira_capture_start (capture);
  wait_state (net, capture, MIRA_CAPTURE_STATE_RECORDING, watch);

  mira_test_server_restart (server);
  wait_state (net, capture, MIRA_CAPTURE_STATE_STARTING, watch);
  wait_state (net, capture, MIRA_CAPTURE_STATE_RECORDING, watch);
  states = watch_states (watch);
  g_test_message ("states: %s", states);
  g_assert_true (watch_saw (watch, expected, G_N_ELEMENTS (expected)));
  g_assert_null (mira_capture_get_error (capture));

  /* The words come after the restart, on the new server */
  net_connect_events (net);
  interaction = wait_interaction (net, 0);
  content = json_object_get_string_member (interaction, "content");
  g_test_message ("heard after the restart: \"%s\"", content);
  g_assert_nonnull (strstr (content, "weather"));

  /* A stop by hand while the file still plays: IDLE at once */
  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_RECORDING);
  mira_capture_stop (capture);
  g_assert_cmpint (mira_capture_get_state (capture), ==, MIRA_CAPTURE_STATE_IDLE);
  g_assert_cmpfloat (mira_capture_get_level (capture), ==, -100.0);
}

/* GLib's test handler prints debug messages too, and libsoup logs every
 * WebSocket frame: only those G_MESSAGES_DEBUG asks for go through.
 */
static GLogFunc gtest_log_handler;

static void
quiet_log_handler (const char     *domain,
                   GLogLevelFlags  level,
                   const char     *message,
                   gpointer        data)
{
  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0 &&
      g_log_writer_default_would_drop (level & G_LOG_LEVEL_MASK, domain))
    return;
  gtest_log_handler (domain, level, message, data);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gtest_log_handler = g_log_set_default_handler (quiet_log_handler, NULL);

  /* No thread runs yet: the environment can change safely. No sound
   * server is reachable from this process, whatever the machine runs.
   */
  g_setenv ("PULSE_SERVER", "unix:/nonexistent/mira-pulse", TRUE);
  g_setenv ("PIPEWIRE_REMOTE", "/nonexistent/mira-pipewire", TRUE);
  tmp_dir = g_dir_make_tmp ("mira-test-capture-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_test_subprocess ())
    {
      g_autofree char *wav = speech_wav (KITCHEN, 1000, 1500);
      g_autofree char *source = file_source (wav);

      g_setenv ("MIRA_AUDIO_SOURCE", source, TRUE);
    }
  else
    g_unsetenv ("MIRA_AUDIO_SOURCE");
  sphinx = mira_sphinx_new (NULL, 2, &error);
  g_assert_no_error (error);
  uri = mira_test_sqlite_uri ();
  server = mira_test_server_new_full (uri, FALSE, MIRA_TRANSCRIBER (sphinx));

  g_test_add_func ("/capture/speech", test_capture_speech);
  g_test_add_func ("/capture/no-microphone", test_capture_no_microphone);
  g_test_add_func ("/capture/refused", test_capture_refused);
  g_test_add_func ("/capture/reconnect", test_capture_reconnect);
  ret = g_test_run ();

  g_clear_pointer (&server, mira_test_server_free);
  g_clear_object (&sphinx);
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

        g_unlink (path);
      }
  }
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
