/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-voice"

/* Voice signatures and the persons they find: real speech from flite's
 * voices rms, slt, awb and kal16, first through the signature alone, then
 * through a real server on both store backends.
 */

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "mira-sphinx.h"
#include "mira-test-live.h"
#include "mira-test-pg.h"
#include "mira-voice-persons.h"
#include "mira-voice-signature.h"

#define THRESHOLD MIRA_VOICE_MATCH_THRESHOLD

static gint16 *
speak (const char *voice,
       const char *text,
       double      snr_db,
       guint64     seed,
       gsize      *n)
{
  const MiraTestSpeech *speech = mira_test_speech_get (voice, text);

  return mira_test_speech_mix (speech, -26, snr_db, 1.0, 300, 300, seed, n);
}

static void
signature_of (const char         *voice,
              const char         *text,
              double              snr_db,
              MiraVoiceSignature *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree gint16 *pcm = NULL;
  gsize n;

  pcm = speak (voice, text, snr_db, strlen (text), &n);
  mira_test_check (mira_voice_signature_compute (pcm, n, out, &error),
                   "no signature of %s saying '%s': %s", voice, text,
                   error ? error->message : "?");
  /* The speech, not the silence around it */
  mira_test_check (out->speech_s > 0.5 && out->speech_s < n / 16000.0 - 0.5,
                   "%s: %.2f s of speech in %.2f s of audio", voice, out->speech_s, n / 16000.0);
}

/* Each voice is closer to itself saying something else, also in noise,
 * than to any other voice saying the same.
 */
static void
test_signature_voices (void)
{
  static const char * const voices[] = { "rms", "slt", "awb", "kal16" };
  MiraVoiceSignature a[4], b[4], c[4];

  for (guint v = 0; v < 4; v++)
    {
      MiraVoiceSignature both;

      signature_of (voices[v], "Please turn the radio down a little.", INFINITY, &a[v]);
      signature_of (voices[v], "The post office closes early on Saturdays.", INFINITY, &b[v]);
      signature_of (voices[v], "Where did I put my reading glasses?", 20, &c[v]);
      both = a[v];
      mira_voice_signature_combine (&both, &b[v]);
      mira_test_check (mira_voice_signature_similarity (&both, &c[v]) >= THRESHOLD,
                       "%s is not itself in noise: %.3f", voices[v],
                       mira_voice_signature_similarity (&both, &c[v]));
    }
  for (guint v = 0; v < 4; v++)
    for (guint w = 0; w < 4; w++)
      if (v != w)
        {
          double same = mira_voice_signature_similarity (&a[v], &b[v]);
          double other = mira_voice_signature_similarity (&a[v], &b[w]);

          mira_test_check (same > other, "%s is closer to %s (%.3f) than to itself (%.3f)",
                           voices[v], voices[w], other, same);
          mira_test_check (other < THRESHOLD, "%s passes for %s: %.3f", voices[w], voices[v],
                           other);
        }
}

/* Too short, silence and noise alone give no signature, with a reason. */
static void
test_signature_no_speech (void)
{
  g_autofree gint16 *silence = g_new0 (gint16, 32000);
  g_autofree gint16 *noise = NULL;
  g_autofree gint16 *speech = NULL;
  MiraVoiceSignature sig;
  GError *error = NULL;
  gsize n;

  g_assert_false (mira_voice_signature_compute (silence, 1600, &sig, &error));
  g_assert_error (error, MIRA_VOICE_SIGNATURE_ERROR, MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH);
  g_assert_nonnull (strstr (error->message, "too short"));
  g_clear_error (&error);

  g_assert_false (mira_voice_signature_compute (silence, 32000, &sig, &error));
  g_assert_error (error, MIRA_VOICE_SIGNATURE_ERROR, MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH);
  g_assert_nonnull (strstr (error->message, "too little speech"));
  g_clear_error (&error);

  /* Two seconds of white noise: the speech cut away, the noise kept */
  speech = speak ("slt", "Hello.", 0, 7, &n);
  noise = g_new (gint16, 32000);
  memcpy (noise, speech + n - 4800, 4800 * sizeof (gint16));
  for (guint i = 4800; i < 32000; i++)
    noise[i] = noise[i % 4800];
  g_assert_false (mira_voice_signature_compute (noise, 32000, &sig, &error));
  g_assert_error (error, MIRA_VOICE_SIGNATURE_ERROR, MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH);
  g_clear_error (&error);
}

/* Stored as JSON and read back the same; a stored array of another length
 * (another method) is no signature.
 */
static void
test_signature_json (void)
{
  MiraVoiceSignature sig, back, both;
  g_autofree char *json = NULL;

  signature_of ("awb", "The kettle has boiled.", INFINITY, &sig);
  json = mira_voice_signature_to_json (&sig);
  g_assert_true (mira_voice_signature_from_json (json, sig.speech_s, &back));
  g_assert_cmpfloat_with_epsilon (back.speech_s, sig.speech_s, 1e-9);
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    g_assert_cmpfloat_with_epsilon (back.values[i], sig.values[i],
                                    1e-5 * MAX (1.0, fabs (sig.values[i])));
  g_assert_cmpfloat_with_epsilon (mira_voice_signature_similarity (&sig, &back), 1.0, 1e-6);

  g_assert_false (mira_voice_signature_from_json ("[1, 2, 3]", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json ("{\"a\": 1}", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json ("not json", 1.0, &back));
  g_assert_false (mira_voice_signature_from_json (NULL, 1.0, &back));

  /* Combining weighs by seconds of speech: three parts of one, one of the other */
  both = sig;
  both.speech_s = 3;
  back = sig;
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    back.values[i] = 0;
  back.speech_s = 1;
  mira_voice_signature_combine (&both, &back);
  g_assert_cmpfloat_with_epsilon (both.speech_s, 4, 1e-9);
  for (guint i = 0; i < MIRA_VOICE_SIGNATURE_DIM; i++)
    g_assert_cmpfloat_with_epsilon (both.values[i], 0.75 * sig.values[i],
                                    1e-5 * MAX (1.0, fabs (sig.values[i])));
}

/* Through a real server ------------------------------------------------------ */

typedef enum {
  BACKEND_SQLITE,
  BACKEND_POSTGRESQL,
  N_BACKENDS
} Backend;

static const Backend backends[N_BACKENDS] = { BACKEND_SQLITE, BACKEND_POSTGRESQL };
static const char * const backend_names[N_BACKENDS] = { "sqlite", "postgresql" };

static MiraSphinx *sphinx;
static MiraTestServer *servers[N_BACKENDS];

/* A network of its own on the backend's server, with a device "recorder"
 * whose uploads go through the live pipeline, and its event socket.
 */
typedef struct
{
  MiraTestClient *client;
  MiraTestSocket *events;
  char           *id;
  char           *token;
  GPtrArray      *keep;    /* answers, freed with the fixture */
} Net;

static void
net_setup (Net           *net,
           gconstpointer  data)
{
  Backend backend = *(const Backend *) data;
  g_autoptr(MiraTestResponse) r = NULL;
  g_autofree char *path = NULL;
  JsonObject *o;

  if (sphinx == NULL)
    {
      g_autoptr(GError) error = NULL;

      sphinx = mira_sphinx_new (NULL, 2, &error);
      g_assert_no_error (error);
    }
  if (servers[backend] == NULL)
    {
      g_autofree char *uri = backend == BACKEND_SQLITE ? mira_test_sqlite_uri ()
                                                       : mira_test_pg_start ();

      servers[backend] = mira_test_server_new_full (uri, FALSE, MIRA_TRANSCRIBER (sphinx));
    }
  net->keep = g_ptr_array_new_with_free_func ((GDestroyNotify) mira_test_response_free);
  net->client = mira_test_client_new (mira_test_server_get_url (servers[backend]));
  r = mira_test_client_request (net->client, "POST", "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                                "{\"name\": \"Voices\"}");
  mira_test_check (r->status == 201, "creating a network answered %u: %s", r->status, r->body);
  o = mira_test_response_object (r);
  net->id = g_strdup (json_object_get_string_member (o, "network_id"));
  net->token = g_strdup (json_object_get_string_member (o, "network_token"));
  path = g_strdup_printf ("/api/v1/%s/ws?token=%s", net->id, net->token);
  net->events = mira_test_socket_connect (net->client, path);
  mira_test_check (mira_test_socket_wait_for (net->events, "connection_established", 0, 10000,
                                              NULL) != NULL, "no connection_established");
  g_clear_pointer (&r, mira_test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/%s/service/client/register/recorder", net->id);
  r = mira_test_client_request (net->client, "POST", path, net->token,
                                "{\"device_type\": \"recorder\"}");
  mira_test_check (r->status == 201, "registering answered %u: %s", r->status, r->body);
}

static void
net_teardown (Net           *net,
              gconstpointer  data)
{
  g_clear_pointer (&net->events, mira_test_socket_free);
  g_clear_pointer (&net->keep, g_ptr_array_unref);
  g_clear_pointer (&net->client, mira_test_client_free);
  g_clear_pointer (&net->id, g_free);
  g_clear_pointer (&net->token, g_free);
}

/* @method on /api/v1/{net}/@path; the answer must be @status. Returns its
 * object (NULL without a body), kept until the test ends.
 */
static JsonObject *
request (Net        *net,
         guint       status,
         const char *method,
         const char *path,
         const char *body)
{
  g_autofree char *full = g_strdup_printf ("/api/v1/%s/%s", net->id, path);
  MiraTestResponse *r = mira_test_client_request (net->client, method, full, net->token, body);

  g_ptr_array_add (net->keep, r);
  mira_test_check (r->status == status, "%s %s answered %u, not %u: %s", method, path, r->status,
                   status, r->body);
  return r->json != NULL && JSON_NODE_HOLDS_OBJECT (r->json) ? json_node_get_object (r->json)
                                                             : NULL;
}

static GBytes *
wav_bytes (const gint16 *pcm,
           gsize         n)
{
  guint32 data_len = (guint32) (n * 2);
  GByteArray *out = g_byte_array_sized_new (44 + data_len);
  guint8 header[44] = "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0"
                      "\0\x7d\0\0\x02\0\x10\0data";

  for (guint i = 0; i < 4; i++)
    {
      header[4 + i] = ((36 + data_len) >> (8 * i)) & 0xff;
      header[40 + i] = (data_len >> (8 * i)) & 0xff;
    }
  g_byte_array_append (out, header, 44);
  g_byte_array_append (out, (const guint8 *) pcm, data_len);
  return g_byte_array_free_to_bytes (out);
}

#define FORM "multipart/form-data; boundary=mira-boundary"

/* A form with the part @name holding @file sent as @type, and a
 * description when given
 */
static GBytes *
form_typed (const char *name,
            GBytes     *file,
            const char *type,
            const char *description)
{
  GByteArray *out = g_byte_array_new ();
  g_autofree char *head = g_strdup_printf ("--mira-boundary\r\nContent-Disposition: form-data;"
                                           " name=\"%s\"; filename=\"voice\"\r\n"
                                           "Content-Type: %s\r\n\r\n", name, type);
  g_autofree char *tail = description == NULL
    ? g_strdup ("\r\n--mira-boundary--\r\n")
    : g_strdup_printf ("\r\n--mira-boundary\r\nContent-Disposition: form-data;"
                       " name=\"description\"\r\n\r\n%s\r\n--mira-boundary--\r\n", description);

  g_byte_array_append (out, (const guint8 *) head, strlen (head));
  g_byte_array_append (out, g_bytes_get_data (file, NULL), g_bytes_get_size (file));
  g_byte_array_append (out, (const guint8 *) tail, strlen (tail));
  return g_byte_array_free_to_bytes (out);
}

static GBytes *
form (const char *name,
      GBytes     *file,
      const char *description)
{
  return form_typed (name, file, "audio/wav", description);
}

static GBytes *
spoken_wav (const char *voice,
            const char *text,
            double      snr_db)
{
  g_autofree gint16 *pcm = NULL;
  gsize n;

  pcm = speak (voice, text, snr_db, strlen (text) + strlen (voice), &n);
  return wav_bytes (pcm, n);
}

/* POST @body to persons/@person_id/voice; the answer must be @status. */
static MiraTestResponse *
post_voice (Net        *net,
            const char *person_id,
            const char *content_type,
            GBytes     *body,
            guint       status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/persons/%s/voice", net->id, person_id);
  MiraTestResponse *r = mira_test_client_request_full (net->client, "POST", path, net->token,
                                                       content_type, body);

  g_ptr_array_add (net->keep, r);
  mira_test_check (r->status == status, "POST voice answered %u, not %u: %s", r->status, status,
                   r->body);
  return r;
}

static JsonObject *
enrol (Net        *net,
       const char *person_id,
       const char *voice,
       const char *text)
{
  g_autoptr(GBytes) wav = spoken_wav (voice, text, INFINITY);
  g_autoptr(GBytes) body = form ("audio_file", wav, NULL);

  return json_node_get_object (post_voice (net, person_id, FORM, body, 200)->json);
}

static JsonObject *
person_new (Net        *net,
            const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\"}", name);

  return request (net, 201, "POST", "persons", body);
}

static const char *
id_of (JsonObject *o)
{
  return json_object_get_string_member (o, "id");
}

/* Enrolment: a recording gives a person a signature, a second one adds its
 * speech; the event says so; the description is kept.
 */
static void
test_enrol (Net           *net,
            gconstpointer  data)
{
  JsonObject *alice = person_new (net, "Alice");
  g_autofree char *id = g_strdup (id_of (alice));
  g_autofree char *path = g_strdup_printf ("persons/%s", id);
  g_autoptr(GBytes) wav = spoken_wav ("slt", "My name is Alice and this is my voice.", INFINITY);
  g_autoptr(GBytes) body = form ("audio_file", wav, "kitchen microphone");
  JsonObject *person, *event;
  double first_s;
  guint from;

  g_assert_false (json_object_get_boolean_member (alice, "has_voice_signature"));
  g_assert_cmpfloat (json_object_get_double_member (alice, "voice_speech_s"), ==, 0);

  from = mira_test_socket_n_messages (net->events);
  person = json_node_get_object (post_voice (net, id, FORM, body, 200)->json);
  g_assert_cmpstr (id_of (person), ==, id);
  g_assert_cmpstr (json_object_get_string_member (person, "name"), ==, "Alice");
  g_assert_true (json_object_get_boolean_member (person, "has_voice_signature"));
  first_s = json_object_get_double_member (person, "voice_speech_s");
  mira_test_check (first_s > 1.0 && first_s < 4.0, "%.2f s of speech enrolled", first_s);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (person,
                                                                                 "metadata"),
                                                  "voice_description"),
                   ==, "kitchen microphone");
  event = mira_test_socket_wait_for (net->events, "person_updated", from, 5000, NULL);
  mira_test_check (event != NULL, "no person_updated after enrolment");
  g_assert_cmpstr (id_of (json_object_get_object_member (event, "person")), ==, id);

  /* The whole body as the file, raw PCM this time: more speech */
  {
    g_autofree gint16 *pcm = NULL;
    g_autoptr(GBytes) raw = NULL;
    gsize n;

    pcm = speak ("slt", "I like walking by the river in the morning.", INFINITY, 3, &n);
    raw = g_bytes_new (pcm, n * 2);
    person = json_node_get_object (post_voice (net, id, "application/octet-stream", raw,
                                               200)->json);
  }
  mira_test_check (json_object_get_double_member (person, "voice_speech_s") > first_s + 1.0,
                   "a second recording added %.2f s to %.2f s",
                   json_object_get_double_member (person, "voice_speech_s") - first_s, first_s);
  person = request (net, 200, "GET", path, NULL);
  g_assert_true (json_object_get_boolean_member (person, "has_voice_signature"));
}

/* The OpenAPI document describes the form enrolment takes. */
static void
test_enrol_documented (Net           *net,
                       gconstpointer  data)
{
  g_autoptr(MiraTestResponse) r = mira_test_client_request (net->client, "GET", "/openapi.json",
                                                            NULL, NULL);
  JsonObject *op, *schema, *person;

  g_assert_cmpuint (r->status, ==, 200);
  op = json_object_get_object_member (
         json_object_get_object_member (
           json_object_get_object_member (mira_test_response_object (r), "paths"),
           "/api/v1/{network_id}/persons/{id}/voice"), "post");
  mira_test_check (op != NULL, "/openapi.json has no POST …/persons/{id}/voice");
  schema = json_object_get_object_member (
             json_object_get_object_member (
               json_object_get_object_member (
                 json_object_get_object_member (op, "requestBody"), "content"),
               "multipart/form-data"), "schema");
  g_assert_true (json_object_has_member (json_object_get_object_member (schema, "properties"),
                                         "audio_file"));
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (schema,
                                                                                "required"), 0),
                   ==, "audio_file");
  g_assert_true (json_object_has_member (json_object_get_object_member (op, "responses"), "200"));
  person = json_object_get_object_member (
             json_object_get_object_member (
               json_object_get_object_member (
                 json_object_get_object_member (mira_test_response_object (r), "components"),
                 "schemas"), "person"), "properties");
  g_assert_true (json_object_has_member (person, "voice_speech_s"));
  g_assert_true (json_object_has_member (person, "has_voice_signature"));
}

/* @wav converted by @argv (its input and output file names as "IN" and
 * "OUT"), as a user's own tools would write it
 */
static GBytes *
converted (GBytes      *wav,
           const char  *suffix,
           const char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mira-voice-XXXXXX", &error);
  g_autofree char *in = g_build_filename (dir, "in.wav", NULL);
  g_autofree char *out = g_strconcat (dir, "/out.", suffix, NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *contents = NULL;
  gsize len;
  int status;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (in, g_bytes_get_data (wav, NULL), g_bytes_get_size (wav),
                                      NULL));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_str_equal (argv[i], "IN") ? g_strdup (in)
                           : g_str_equal (argv[i], "OUT") ? g_strdup (out)
                           : g_str_has_prefix (argv[i], "location=IN")
                             ? g_strconcat ("location=", in, NULL)
                           : g_str_has_prefix (argv[i], "location=OUT")
                             ? g_strconcat ("location=", out, NULL)
                           : g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);
  mira_test_check (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                                 NULL, NULL, NULL, &status, &error) &&
                   g_spawn_check_wait_status (status, &error),
                   "%s: %s", argv[0], error->message);
  g_assert_true (g_file_get_contents (out, &contents, &len, NULL));
  g_unlink (in);
  g_unlink (out);
  g_rmdir (dir);
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* The audio uploads' requestBody lists the types they take, as the whole
 * body and as the form's file part, and exactly those: each type listed
 * takes an audio file of some kind (WAV, FLAC, Ogg Opus or raw PCM, sent
 * whole and in a form), and a type not listed is refused with 415.
 */
static void
test_audio_types_documented (Net           *net,
                             gconstpointer  data)
{
  static const char *flac_argv[] = { "sox", "IN", "OUT", NULL };
  static const char *opus_argv[] = {
    "gst-launch-1.0", "-q", "filesrc", "location=IN", "!", "wavparse", "!", "audioconvert", "!",
    "audioresample", "!", "opusenc", "!", "oggmux", "!", "filesink", "location=OUT", NULL,
  };
  static const char * const unlisted[] = {
    "image/png", "text/plain", "application/json", "audio/mpeg", "audio/aac", "video/mp4",
  };
  g_autoptr(MiraTestResponse) doc = mira_test_client_request (net->client, "GET",
                                                              "/openapi.json", NULL, NULL);
  g_autofree char *person_path = g_strdup_printf ("/api/v1/%s/persons/%s/voice", net->id,
                                                  id_of (person_new (net, "Typed")));
  g_autofree char *stream_path = g_strdup_printf ("/api/v1/%s/streams/typed/audio", net->id);
  g_autofree gint16 *quiet = g_new0 (gint16, 16000);
  GBytes *files[2][4] = { { NULL } };
  const char * const kinds[] = { "WAV", "FLAC", "Ogg Opus", "raw PCM" };
  const struct {
    const char *path, *doc_path, *field;
    guint       success;
  } routes[] = {
    { person_path, "/api/v1/{network_id}/persons/{id}/voice", "audio_file", 200 },
    { stream_path, "/api/v1/{network_id}/streams/{id}/audio", "audio_data", 202 },
  };

  g_assert_cmpuint (doc->status, ==, 200);
  /* A voice to enrol; a second of silence for the stream, which hears it out */
  files[0][0] = spoken_wav ("slt", "Hello, this is the voice of a typed recording.", INFINITY);
  files[1][0] = wav_bytes (quiet, 16000);
  for (guint r = 0; r < 2; r++)
    {
      files[r][1] = converted (files[r][0], "flac", flac_argv);
      files[r][2] = converted (files[r][0], "opus", opus_argv);
      files[r][3] = g_bytes_new_from_bytes (files[r][0], 44, g_bytes_get_size (files[r][0]) - 44);
    }

  for (guint r = 0; r < G_N_ELEMENTS (routes); r++)
    {
      JsonObject *paths = json_object_get_object_member (mira_test_response_object (doc),
                                                         "paths");
      JsonObject *op = json_object_get_object_member (
                         json_object_get_object_member (paths, routes[r].doc_path), "post");
      JsonObject *content, *multipart;
      g_autoptr(GString) listed = g_string_new (NULL);
      const char *part_types;
      g_autoptr(GList) types = NULL;

      mira_test_check (op != NULL, "/openapi.json has no POST %s", routes[r].doc_path);
      content = json_object_get_object_member (json_object_get_object_member (op, "requestBody"),
                                               "content");
      multipart = json_object_get_object_member (content, "multipart/form-data");
      mira_test_check (multipart != NULL, "%s takes no form", routes[r].doc_path);
      part_types = json_object_get_string_member (
                     json_object_get_object_member (
                       json_object_get_object_member (multipart, "encoding"), routes[r].field),
                     "contentType");
      types = json_object_get_members (content);
      for (GList *l = types; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "multipart/form-data"))
          g_string_append_printf (listed, "%s%s", listed->len ? ", " : "",
                                  (const char *) l->data);
      /* The same types as the form's file part and as the whole body */
      g_assert_cmpstr (part_types, ==, listed->str);
      mira_test_check (g_list_length (types) > 2, "%s lists %s", routes[r].doc_path, listed->str);

      for (GList *l = types; l != NULL; l = l->next)
        {
          const char *type = l->data;
          GString *answers = g_string_new (NULL);
          gboolean whole = FALSE, in_form = FALSE;

          if (g_str_equal (type, "multipart/form-data"))
            {
              g_string_free (answers, TRUE);
              continue;
            }
          for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
            {
              g_autoptr(GBytes) body = form_typed (routes[r].field, files[r][k], type, NULL);
              g_autoptr(MiraTestResponse) a = NULL;
              g_autoptr(MiraTestResponse) b = NULL;

              a = mira_test_client_request_full (net->client, "POST", routes[r].path, net->token,
                                                 type, files[r][k]);
              b = mira_test_client_request_full (net->client, "POST", routes[r].path, net->token,
                                                 FORM, body);
              whole |= a->status == routes[r].success;
              in_form |= b->status == routes[r].success;
              g_string_append_printf (answers, " %s: %u, %u;", kinds[k], a->status, b->status);
            }
          mira_test_check (whole && in_form, "%s listed as taking %s, but answered%s",
                           routes[r].doc_path, type, answers->str);
          g_string_free (answers, TRUE);
        }

      for (guint u = 0; u < G_N_ELEMENTS (unlisted); u++)
        {
          g_autoptr(GBytes) body = form_typed (routes[r].field, files[r][0], unlisted[u], NULL);
          g_autoptr(MiraTestResponse) a = NULL;
          g_autoptr(MiraTestResponse) b = NULL;

          g_assert_false (json_object_has_member (content, unlisted[u]));
          a = mira_test_client_request_full (net->client, "POST", routes[r].path, net->token,
                                             unlisted[u], files[r][0]);
          b = mira_test_client_request_full (net->client, "POST", routes[r].path, net->token,
                                             FORM, body);
          mira_test_check (a->status == 415 && b->status == 415,
                           "%s took a WAV sent as %s, not listed: %u, %u", routes[r].doc_path,
                           unlisted[u], a->status, b->status);
        }
    }
  for (guint r = 0; r < 2; r++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      g_bytes_unref (files[r][k]);
}

/* What cannot be a voice is refused with a clear error, and changes nothing. */
static void
test_enrol_errors (Net           *net,
                   gconstpointer  data)
{
  JsonObject *bob = person_new (net, "Bob");
  g_autofree char *id = g_strdup (id_of (bob));
  g_autofree char *path = g_strdup_printf ("persons/%s", id);
  g_autoptr(GBytes) wav = spoken_wav ("rms", "Hello, this is Bob speaking.", INFINITY);
  g_autofree gint16 *silence = g_new0 (gint16, 32000);
  g_autoptr(GBytes) quiet = wav_bytes (silence, 32000);
  g_autoptr(GBytes) quiet_form = form ("audio_file", quiet, NULL);
  g_autoptr(GBytes) junk = g_bytes_new_static ("RIFF\x10\0\0\0WAVEjunk", 16);
  g_autoptr(GBytes) junk_form = form ("audio_file", junk, NULL);
  g_autoptr(GBytes) wrong_part = form ("audio_data", wav, NULL);
  g_autoptr(GBytes) good = form ("audio_file", wav, NULL);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) broken = g_bytes_new_static ("--mira-boundary\r\nno end", 23);
  MiraTestResponse *r;
  JsonObject *error;
  guint from = mira_test_socket_n_messages (net->events);

  r = post_voice (net, id, FORM, quiet_form, 422);
  error = mira_test_response_object (r);
  g_assert_cmpstr (json_object_get_string_member (error, "error_code"), ==, "VALIDATION_ERROR");
  mira_test_check (strstr (json_object_get_string_member (error, "detail"), "audio_file") &&
                   strstr (json_object_get_string_member (error, "detail"), "speech"),
                   "silence: %s", r->body);

  r = post_voice (net, id, FORM, junk_form, 422);
  mira_test_check (strstr (r->body, "audio_file") != NULL, "a broken WAV: %s", r->body);
  r = post_voice (net, id, FORM, wrong_part, 422);
  mira_test_check (strstr (r->body, "audio_file") != NULL, "no audio_file part: %s", r->body);
  r = post_voice (net, id, "application/octet-stream", empty, 422);
  mira_test_check (strstr (r->body, "audio_file") != NULL, "an empty body: %s", r->body);
  r = post_voice (net, id, FORM, broken, 400);

  /* What is not audio by its Content-Type is never read as PCM */
  {
    g_autoptr(GBytes) json = g_bytes_new_static ("{\"audio_file\": \"voice.wav\"}", 27);
    g_autoptr(GBytes) ogg_form = NULL;
    g_autofree char *text = NULL;
    gsize len;

    /* The type's parameters are no part of it */
    r = post_voice (net, id, "application/json; charset=utf-8", json, 415);
    g_assert_cmpstr (json_object_get_string_member (mira_test_response_object (r), "error_code"),
                     ==, "UNSUPPORTED_MEDIA_TYPE");
    mira_test_check (strstr (r->body, "audio_file") != NULL, "JSON as JSON: %s", r->body);
    r = post_voice (net, id, "image/png", wav, 415);
    mira_test_check (strstr (r->body, "image/png") != NULL, "a WAV as image/png: %s", r->body);
    r = post_voice (net, id, "audio/ogg", wav, 415);
    r = post_voice (net, id, "application/x-www-form-urlencoded", wav, 415);
    /* The form's part says what it is too */
    text = g_memdup2 (g_bytes_get_data (good, &len), g_bytes_get_size (good));
    /* In the part's head, before the first NUL of the WAV */
    memcpy (strstr (text, "audio/wav"), "image/png", 9);
    ogg_form = g_bytes_new (text, len);
    r = post_voice (net, id, FORM, ogg_form, 415);
  }

  /* Nobody to enrol */
  r = post_voice (net, "7d0b7b4e-3f0e-4c53-9d55-4f8f3c1a2b3c", FORM, good, 404);
  g_assert_cmpstr (json_object_get_string_member (mira_test_response_object (r), "error_code"),
                   ==, "PERSON_NOT_FOUND");
  r = post_voice (net, "not-a-person", FORM, good, 400);

  bob = request (net, 200, "GET", path, NULL);
  g_assert_false (json_object_get_boolean_member (bob, "has_voice_signature"));
  g_assert_cmpfloat (json_object_get_double_member (bob, "voice_speech_s"), ==, 0);
  mira_test_client_run (net->client, 200);
  g_assert_cmpuint (mira_test_socket_count (net->events, "person_updated", from), ==, 0);
}

/* The text of the last answer @net had */
static const char *
last_body (Net *net)
{
  return ((MiraTestResponse *) g_ptr_array_index (net->keep, net->keep->len - 1))->body;
}

/* The number @member of the JSON text @body as written, e.g. "0.35" */
static char *
number_text (const char *body,
             const char *member)
{
  g_autofree char *key = g_strdup_printf ("\"%s\":", member);
  const char *at = strstr (body, key);

  mira_test_check (at != NULL, "no %s in %s", member, body);
  at += strlen (key);
  return g_strndup (at, strspn (at, "-+.0123456789eE"));
}

/* The threshold is a setting of the network: 0..1, with its default shown,
 * and numbers read back as they were written.
 */
static void
test_threshold_setting (Net           *net,
                        gconstpointer  data)
{
  JsonObject *setting = request (net, 200, "GET", "settings/voice_match_threshold", NULL);
  g_autofree char *text = number_text (last_body (net), "value");

  g_assert_cmpstr (text, ==, "0.3");
  g_clear_pointer (&text, g_free);
  request (net, 201, "PUT", "settings/voice_match_threshold", "{\"value\": 0.35}");
  text = number_text (last_body (net), "value");
  g_assert_cmpstr (text, ==, "0.35");
  g_clear_pointer (&text, g_free);
  request (net, 200, "GET", "settings/voice_match_threshold", NULL);
  text = number_text (last_body (net), "value");
  g_assert_cmpstr (text, ==, "0.35");
  g_clear_pointer (&text, g_free);
  request (net, 200, "GET", "settings", NULL);
  mira_test_check (strstr (last_body (net), "0.35") != NULL &&
                   strstr (last_body (net), "0.3499") == NULL, "settings: %s", last_body (net));
  request (net, 204, "DELETE", "settings/voice_match_threshold", NULL);
  setting = request (net, 200, "GET", "settings/voice_match_threshold", NULL);

  g_assert_cmpfloat (json_object_get_double_member (setting, "value"), ==,
                     MIRA_VOICE_MATCH_THRESHOLD);
  g_assert_true (json_object_get_boolean_member (setting, "is_default"));
  request (net, 422, "PUT", "settings/voice_match_threshold", "{\"value\": 1.5}");
  request (net, 422, "PUT", "settings/voice_match_threshold", "{\"value\": -0.1}");
  request (net, 422, "PUT", "settings/voice_match_threshold", "{\"value\": \"high\"}");
  setting = request (net, 201, "PUT", "settings/voice_match_threshold", "{\"value\": 0.5}");
  g_assert_cmpfloat (json_object_get_double_member (setting, "value"), ==, 0.5);
}

/* One enrolment of several sent at once, on a client of its own thread */
typedef struct
{
  const char *url;
  const char *path;
  const char *token;
  GBytes     *body;
  guint       status;
  char       *answer;
} Enrolment;

static gpointer
enrol_in_thread (gpointer data)
{
  Enrolment *e = data;
  g_autoptr(MiraTestClient) client = mira_test_client_new (e->url);
  MiraTestResponse *r = mira_test_client_request_full (client, "POST", e->path, e->token,
                                                       "audio/wav", e->body);

  e->status = r->status;
  e->answer = g_strdup (r->body);
  mira_test_response_free (r);
  return NULL;
}

/* Ten enrolments of one recording at once all count: the person's speech is
 * ten times the recording's, not what the last of several that read the same
 * stored signature wrote back.
 */
static void
test_enrol_parallel (Net           *net,
                     gconstpointer  data)
{
  Backend backend = *(const Backend *) data;
  g_autofree char *id = g_strdup (id_of (person_new (net, "Ten at once")));
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/persons/%s/voice", net->id, id);
  g_autofree char *person_path = g_strdup_printf ("persons/%s", id);
  g_autofree gint16 *pcm = NULL;
  g_autoptr(GBytes) wav = NULL;
  g_autoptr(GError) error = NULL;
  Enrolment enrolments[10];
  GThread *threads[10];
  MiraVoiceSignature one;
  double total;
  gsize n;

  pcm = speak ("rms", "I am enrolling my voice ten times over.", INFINITY, 10, &n);
  wav = wav_bytes (pcm, n);
  g_assert_true (mira_voice_signature_compute (pcm, n, &one, &error));
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      enrolments[i] = (Enrolment) { mira_test_server_get_url (servers[backend]), path,
                                    net->token, wav, 0, NULL };
      threads[i] = g_thread_new ("enrol", enrol_in_thread, &enrolments[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      mira_test_check (enrolments[i].status == 200, "enrolment %u answered %u: %s", i,
                       enrolments[i].status, enrolments[i].answer);
      g_free (enrolments[i].answer);
    }
  total = json_object_get_double_member (request (net, 200, "GET", person_path, NULL),
                                         "voice_speech_s");
  mira_test_check (fabs (total - 10 * one.speech_s) < 0.01,
                   "ten enrolments of %.3f s of speech hold %.3f s", one.speech_s, total);
}

/* Merging two persons of one voice combines their signatures by speech;
 * the merged person keeps matching recordings of either.
 */
static void
test_merge_enrolled (Net           *net,
                     gconstpointer  data)
{
  g_autofree char *a = g_strdup (id_of (person_new (net, "Kal")));
  g_autofree char *b = g_strdup (id_of (person_new (net, "Kal at work")));
  g_autofree char *merge_path = g_strdup_printf ("persons/%s/merge", a);
  g_autofree char *merge_body = g_strdup_printf ("{\"from\": \"%s\"}", b);
  g_autofree char *b_path = g_strdup_printf ("persons/%s", b);
  double a_s, b_s;
  JsonObject *merged;

  a_s = json_object_get_double_member (enrol (net, a, "kal16", "The garden needs watering."),
                                       "voice_speech_s");
  b_s = json_object_get_double_member (enrol (net, b, "kal16", "I will be home late tonight."),
                                       "voice_speech_s");
  merged = request (net, 200, "POST", merge_path, merge_body);
  g_assert_cmpstr (id_of (merged), ==, a);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (merged, "voice_speech_s"),
                                  a_s + b_s, 1e-3);
  /* Seconds of speech come in 10 ms frames: written as such, not 9.3800000000000008 */
  {
    g_autofree char *text = number_text (last_body (net), "voice_speech_s");
    const char *point = strchr (text, '.');

    mira_test_check (point == NULL || strlen (point + 1) <= 2, "voice_speech_s written as %s",
                     text);
  }
  request (net, 404, "GET", b_path, NULL);
}

/* A merge announces every row it changes: the interactions it moved, the
 * conversations whose participants changed, and the person merged into,
 * whose updated_at moves on.
 */
static void
test_merge_events (Net           *net,
                   gconstpointer  data)
{
  JsonObject *into = person_new (net, "Eve");
  g_autofree char *into_id = g_strdup (id_of (into));
  g_autofree char *into_updated = g_strdup (json_object_get_string_member (into, "updated_at"));
  g_autofree char *from_id = g_strdup (id_of (person_new (net, "Speaker 9")));
  g_autofree char *merge_path = g_strdup_printf ("persons/%s/merge", into_id);
  g_autofree char *merge_body = g_strdup_printf ("{\"from\": \"%s\"}", from_id);
  g_autofree char *body = g_strdup_printf ("{\"participants\": [\"%s\"]}", from_id);
  g_autofree char *conversation = g_strdup (id_of (request (net, 201, "POST", "conversations",
                                                            body)));
  g_autoptr(GHashTable) moved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *merged, *event;
  guint from, index;

  for (guint i = 0; i < 2; i++)
    {
      g_free (body);
      body = g_strdup_printf ("{\"content\": \"Line %u.\", \"person_id\": \"%s\","
                              " \"conversation_id\": \"%s\"}", i, from_id, conversation);
      g_hash_table_add (moved, g_strdup (id_of (request (net, 201, "POST", "interactions",
                                                         body))));
    }
  g_free (body);
  body = g_strdup_printf ("{\"content\": \"Not theirs.\", \"person_id\": \"%s\"}", into_id);
  request (net, 201, "POST", "interactions", body);

  /* updated_at has millisecond resolution */
  g_usleep (5000);
  from = mira_test_socket_n_messages (net->events);
  merged = request (net, 200, "POST", merge_path, merge_body);
  mira_test_check (g_strcmp0 (json_object_get_string_member (merged, "updated_at"),
                              into_updated) > 0,
                   "the merged person's updated_at stayed %s", into_updated);

  /* Events of the writes before may still be on their way: the merge's are
   * told by what they hold.
   */
  mira_test_check (mira_test_socket_wait_for (net->events, "person_updated", from, 5000,
                                              NULL) != NULL, "no person_updated");
  for (index = from; g_hash_table_size (moved) > 0; index++)
    {
      JsonObject *interaction;

      event = mira_test_socket_wait_for (net->events, "interaction_updated", index, 5000, &index);
      mira_test_check (event != NULL, "%u moved interactions had no interaction_updated",
                       g_hash_table_size (moved));
      interaction = json_object_get_object_member (event, "interaction");
      mira_test_check (g_hash_table_remove (moved, id_of (interaction)),
                       "interaction_updated for %s, which did not move", id_of (interaction));
      g_assert_cmpstr (json_object_get_string_member (interaction, "person_id"), ==, into_id);
    }
  for (index = from;; index++)
    {
      JsonObject *changed;
      JsonArray *participants;

      event = mira_test_socket_wait_for (net->events, "conversation_updated", index, 5000, &index);
      mira_test_check (event != NULL, "no conversation_updated for the changed participants");
      changed = json_object_get_object_member (event, "conversation");
      participants = json_object_get_array_member (changed, "participants");
      if (g_str_equal (id_of (changed), conversation) && json_array_get_length (participants) == 1 &&
          g_str_equal (json_array_get_string_element (participants, 0), into_id))
        break;
    }
  g_assert_cmpuint (g_hash_table_size (moved), ==, 0);
}

/* The first @type event from @from on whose @member has id @id, waiting for
 * it; NULL if none came.
 */
static JsonObject *
event_about (Net        *net,
             const char *type,
             const char *member,
             const char *id,
             guint       from)
{
  for (guint index = from;; index++)
    {
      JsonObject *event = mira_test_socket_wait_for (net->events, type, index, 5000, &index);

      if (event == NULL ||
          g_strcmp0 (id_of (json_object_get_object_member (event, member)), id) == 0)
        return event;
    }
}

/* A delete announces the rows it changes besides the one it deletes:
 * interactions that lose their person or conversation, conversations whose
 * participants lose the person, reminders that lose their interaction,
 * actions that go with it.
 */
static void
test_delete_events (Net           *net,
                    gconstpointer  data)
{
  g_autofree char *person = g_strdup (id_of (person_new (net, "Gone")));
  g_autofree char *conversation = g_strdup (id_of (request (net, 201, "POST", "conversations",
                                                            "{}")));
  g_autofree char *body = g_strdup_printf ("{\"content\": \"Just saying.\", \"person_id\":"
                                           " \"%s\", \"conversation_id\": \"%s\"}", person,
                                           conversation);
  g_autofree char *interaction = g_strdup (id_of (request (net, 201, "POST", "interactions",
                                                           body)));
  g_autofree char *stays = g_strdup (id_of (person_new (net, "Stays")));
  g_autofree char *shared = NULL;
  g_autofree char *reminder = NULL;
  g_autofree char *action = NULL;
  g_autofree char *path = NULL;
  JsonObject *event, *changed;
  JsonArray *participants;
  guint from;
  static const struct {
    const char *words, *key, *collection;
  } asked[] = {
    { "remind me to water the plants tomorrow at noon", "reminder_id", "reminders" },
    { "schedule a meeting with alice on friday at noon", "calendar_event_id", "calendar/events" },
  };

  g_free (body);
  body = g_strdup_printf ("{\"title\": \"Call back\", \"due_time\": \"2030-01-01T10:00:00Z\","
                          " \"interaction_id\": \"%s\"}", interaction);
  reminder = g_strdup (id_of (request (net, 201, "POST", "reminders", body)));
  g_free (body);
  body = g_strdup_printf ("{\"action_type\": \"contact\", \"action_data\": {},"
                          " \"interaction_id\": \"%s\"}", interaction);
  action = g_strdup (id_of (request (net, 201, "POST", "actions", body)));

  /* Another conversation where the person was one of two */
  g_free (body);
  body = g_strdup_printf ("{\"participants\": [\"%s\", \"%s\"]}", person, stays);
  shared = g_strdup (id_of (request (net, 201, "POST", "conversations", body)));

  from = mira_test_socket_n_messages (net->events);
  path = g_strdup_printf ("persons/%s", person);
  request (net, 204, "DELETE", path, NULL);
  event = event_about (net, "interaction_updated", "interaction", interaction, from);
  mira_test_check (event != NULL, "no interaction_updated when its person was deleted");
  changed = json_object_get_object_member (event, "interaction");
  g_assert_true (json_object_get_null_member (changed, "person_id"));
  event = event_about (net, "conversation_updated", "conversation", conversation, from);
  mira_test_check (event != NULL, "no conversation_updated when its participant was deleted");
  participants = json_object_get_array_member (json_object_get_object_member (event,
                                                                              "conversation"),
                                               "participants");
  g_assert_cmpuint (json_array_get_length (participants), ==, 0);
  event = event_about (net, "conversation_updated", "conversation", shared, from);
  mira_test_check (event != NULL, "no conversation_updated when one of its participants was "
                   "deleted");
  participants = json_object_get_array_member (json_object_get_object_member (event,
                                                                              "conversation"),
                                               "participants");
  g_assert_cmpuint (json_array_get_length (participants), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (participants, 0), ==, stays);
  /* What the events said is what the API keeps */
  g_free (path);
  path = g_strdup_printf ("conversations/%s", shared);
  participants = json_object_get_array_member (request (net, 200, "GET", path, NULL),
                                               "participants");
  g_assert_cmpuint (json_array_get_length (participants), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (participants, 0), ==, stays);
  g_free (path);
  path = g_strdup_printf ("conversations/%s", conversation);
  participants = json_object_get_array_member (request (net, 200, "GET", path, NULL),
                                               "participants");
  g_assert_cmpuint (json_array_get_length (participants), ==, 0);

  from = mira_test_socket_n_messages (net->events);
  g_free (path);
  path = g_strdup_printf ("conversations/%s", conversation);
  request (net, 204, "DELETE", path, NULL);
  event = event_about (net, "interaction_updated", "interaction", interaction, from);
  mira_test_check (event != NULL, "no interaction_updated when its conversation was deleted");
  changed = json_object_get_object_member (event, "interaction");
  g_assert_true (json_object_get_null_member (changed, "conversation_id"));

  from = mira_test_socket_n_messages (net->events);
  g_free (path);
  path = g_strdup_printf ("interactions/%s", interaction);
  request (net, 204, "DELETE", path, NULL);
  event = event_about (net, "reminder_updated", "reminder", reminder, from);
  mira_test_check (event != NULL, "no reminder_updated when its interaction was deleted");
  g_assert_true (json_object_get_null_member (json_object_get_object_member (event, "reminder"),
                                              "interaction_id"));
  mira_test_check (event_about (net, "action_deleted", "action", action, from) != NULL,
                   "no action_deleted when its interaction was deleted");
  g_free (path);
  path = g_strdup_printf ("actions/%s", action);
  request (net, 404, "GET", path, NULL);

  /* What the words asked for, deleted: their action's result stops naming it */
  for (guint i = 0; i < G_N_ELEMENTS (asked); i++)
    {
      JsonObject *result;
      JsonArray *items;
      const char *made;

      g_free (body);
      body = g_strdup_printf ("{\"content\": \"%s\"}", asked[i].words);
      g_free (path);
      path = g_strdup_printf ("actions?interaction_id=%s",
                              id_of (request (net, 201, "POST", "interactions", body)));
      items = json_object_get_array_member (request (net, 200, "GET", path, NULL), "items");
      g_assert_cmpuint (json_array_get_length (items), ==, 1);
      g_free (action);
      action = g_strdup (id_of (json_array_get_object_element (items, 0)));
      result = json_object_get_object_member (json_array_get_object_element (items, 0),
                                              "result");
      made = json_object_get_string_member (result, asked[i].key);
      g_assert_nonnull (made);

      from = mira_test_socket_n_messages (net->events);
      g_free (path);
      path = g_strdup_printf ("%s/%s", asked[i].collection, made);
      request (net, 204, "DELETE", path, NULL);
      event = event_about (net, "action_updated", "action", action, from);
      mira_test_check (event != NULL, "no action_updated when its %s was deleted", asked[i].key);
      result = json_object_get_object_member (json_object_get_object_member (event, "action"),
                                              "result");
      g_assert_false (json_object_has_member (result, asked[i].key));
      g_free (path);
      path = g_strdup_printf ("actions/%s", action);
      result = json_object_get_object_member (request (net, 200, "GET", path, NULL), "result");
      g_assert_false (json_object_has_member (result, asked[i].key));
      g_assert_cmpstr (json_object_get_string_member (request (net, 200, "GET", path, NULL),
                                                      "status"), ==, "completed");
    }
}

/* Speech through the live pipeline ------------------------------------------ */

/* Long: PocketSphinx on a loaded machine */
#define INTERACTION_TIMEOUT_MS 120000

/* @voice says @text into device "recorder" (an upload through the live
 * pipeline); returns its interaction_created event's interaction.
 */
static JsonObject *
say (Net        *net,
     const char *voice,
     const char *text)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/%s/streams/recorder/audio", net->id);
  g_autofree gint16 *pcm = NULL;
  g_autoptr(GBytes) raw = NULL;
  MiraTestResponse *r;
  JsonObject *event;
  gsize n;
  guint from = mira_test_socket_n_messages (net->events);

  pcm = speak (voice, text, 30, strlen (text), &n);
  raw = g_bytes_new (pcm, n * sizeof (gint16));
  r = mira_test_client_request_full (net->client, "POST", path, net->token,
                                     "application/octet-stream", raw);
  g_ptr_array_add (net->keep, r);
  mira_test_check (r->status == 202, "the upload answered %u: %s", r->status, r->body);
  event = mira_test_socket_wait_for (net->events, "interaction_created", from,
                                     INTERACTION_TIMEOUT_MS, NULL);
  mira_test_check (event != NULL, "%s saying '%s' made no interaction", voice, text);
  return json_object_get_object_member (event, "interaction");
}

static const char *
person_of (JsonObject *interaction)
{
  const char *id = json_object_get_string_member (interaction, "person_id");

  mira_test_check (id != NULL, "interaction '%s' has no person",
                   json_object_get_string_member (interaction, "content"));
  return id;
}

/* Two voices become two persons, Speaker 1 and Speaker 2, announced; the
 * first voice again is the first person; the conversation has both.
 */
static void
test_two_voices (Net           *net,
                 gconstpointer  data)
{
  guint from = mira_test_socket_n_messages (net->events);
  JsonObject *first = say (net, "rms", "Turn on the lights in the kitchen.");
  JsonObject *second = say (net, "slt", "What time is it in Tokyo?");
  g_autofree char *rms = g_strdup (person_of (first));
  g_autofree char *slt = g_strdup (person_of (second));
  JsonObject *again, *person, *conversation, *event;
  JsonArray *participants;
  guint index;

  mira_test_check (!g_str_equal (rms, slt), "rms and slt were taken for one person");
  g_assert_cmpuint (mira_test_socket_count (net->events, "person_created", from), ==, 2);
  event = mira_test_socket_wait_for (net->events, "person_created", from, 0, &index);
  person = json_object_get_object_member (event, "person");
  g_assert_cmpstr (id_of (person), ==, rms);
  g_assert_cmpstr (json_object_get_string_member (person, "name"), ==, "Speaker 1");
  g_assert_cmpint (json_object_get_int_member (person, "index"), ==, 1);
  g_assert_true (json_object_get_boolean_member (person, "has_voice_signature"));
  event = mira_test_socket_wait_for (net->events, "person_created", index + 1, 0, NULL);
  person = json_object_get_object_member (event, "person");
  g_assert_cmpstr (json_object_get_string_member (person, "name"), ==, "Speaker 2");
  g_assert_cmpint (json_object_get_int_member (person, "index"), ==, 2);

  from = mira_test_socket_n_messages (net->events);
  again = say (net, "rms", "Please close the garage door before you go to bed.");
  g_assert_cmpstr (person_of (again), ==, rms);
  g_assert_cmpuint (mira_test_socket_count (net->events, "person_created", from), ==, 0);
  event = mira_test_socket_wait_for (net->events, "person_updated", from, 0, NULL);
  mira_test_check (event != NULL, "no person_updated when rms's signature learnt");
  mira_test_check (json_object_get_double_member (json_object_get_object_member (event, "person"),
                                                  "voice_speech_s") > 2.5,
                   "the signature of rms holds %.2f s after two sentences",
                   json_object_get_double_member (json_object_get_object_member (event, "person"),
                                                  "voice_speech_s"));

  /* Each speaker is among their conversation's participants, and that was
   * announced. (Uploads end their stream: a conversation may close between
   * two of them, after its grace.)
   */
  event = mira_test_socket_wait_for (net->events, "conversation_updated", from, 0, NULL);
  mira_test_check (event != NULL, "no conversation_updated");
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *interaction = (JsonObject *[]) { first, second, again }[i];
      g_autofree char *path = g_strdup_printf ("conversations/%s",
                                               json_object_get_string_member (interaction,
                                                                              "conversation_id"));
      gboolean found = FALSE;

      conversation = request (net, 200, "GET", path, NULL);
      participants = json_object_get_array_member (conversation, "participants");
      for (guint j = 0; j < json_array_get_length (participants); j++)
        found |= g_strcmp0 (json_array_get_string_element (participants, j),
                            person_of (interaction)) == 0;
      mira_test_check (found, "the speaker of '%s' is not among the participants",
                       json_object_get_string_member (interaction, "content"));
    }
  mira_test_check (json_object_has_member (json_object_get_object_member (again, "metadata"),
                                           "voice_similarity"),
                   "the interaction's metadata has no voice_similarity");
  /* The network's first voice had nothing to be similar to */
  mira_test_check (!json_object_has_member (json_object_get_object_member (first, "metadata"),
                                            "voice_similarity"),
                   "the network's first voice has a voice_similarity of %g",
                   json_object_get_double_member_with_default (
                     json_object_get_object_member (first, "metadata"), "voice_similarity", 0));
}

/* An enrolled voice is recognised as its person the first time it speaks;
 * renamed, it still is.
 */
static void
test_enrol_then_match (Net           *net,
                       gconstpointer  data)
{
  g_autofree char *awb = g_strdup (id_of (person_new (net, "Angus")));
  g_autofree char *path = g_strdup_printf ("persons/%s", awb);
  JsonObject *interaction;
  guint from;

  enrol (net, awb, "awb", "Good morning, this is Angus and I live in Edinburgh.");
  from = mira_test_socket_n_messages (net->events);
  interaction = say (net, "awb", "How long does it take to drive to the airport?");
  g_assert_cmpstr (person_of (interaction), ==, awb);
  g_assert_cmpuint (mira_test_socket_count (net->events, "person_created", from), ==, 0);

  /* Another voice is not Angus */
  mira_test_check (!g_str_equal (person_of (say (net, "kal16", "Set a timer for twenty minutes.")),
                                 awb), "kal16 was taken for Angus");

  request (net, 200, "PUT", path, "{\"name\": \"Angus Campbell\"}");
  interaction = say (net, "awb", "The train to the city leaves at half past eight.");
  g_assert_cmpstr (person_of (interaction), ==, awb);
  g_assert_cmpstr (json_object_get_string_member (request (net, 200, "GET", path, NULL), "name"),
                   ==, "Angus Campbell");
}

/* A voice split over two persons (a second recording enrolled to another
 * person) merges back into one that keeps all its interactions and matches.
 */
static void
test_merge_speakers (Net           *net,
                     gconstpointer  data)
{
  g_autofree char *speaker = g_strdup (person_of (say (net, "slt", "We need more milk and bread.")));
  g_autofree char *other = g_strdup (id_of (person_new (net, "Sarah")));
  g_autofree char *merge_path = g_strdup_printf ("persons/%s/merge", other);
  g_autofree char *merge_body = g_strdup_printf ("{\"from\": \"%s\"}", speaker);
  g_autofree char *list_path = g_strdup_printf ("interactions?person_id=%s", other);
  g_autofree char *speaker_path = g_strdup_printf ("persons/%s", speaker);
  g_autofree char *conversation_path = NULL;
  JsonObject *interaction, *merged, *list, *conversation;
  JsonArray *participants;
  double before;

  before = json_object_get_double_member (request (net, 200, "GET", speaker_path, NULL),
                                          "voice_speech_s");
  enrol (net, other, "slt", "My sister is coming over for dinner on Sunday.");
  merged = request (net, 200, "POST", merge_path, merge_body);
  mira_test_check (json_object_get_double_member (merged, "voice_speech_s") > before + 1.0,
                   "the merged signature holds %.2f s (the speaker's alone %.2f s)",
                   json_object_get_double_member (merged, "voice_speech_s"), before);
  list = request (net, 200, "GET", list_path, NULL);
  g_assert_cmpint (json_object_get_int_member (list, "total"), ==, 1);

  interaction = say (net, "slt", "Can you play some quiet music in the living room?");
  g_assert_cmpstr (person_of (interaction), ==, other);
  conversation_path = g_strdup_printf ("conversations/%s",
                                       json_object_get_string_member (interaction,
                                                                      "conversation_id"));
  conversation = request (net, 200, "GET", conversation_path, NULL);
  participants = json_object_get_array_member (conversation, "participants");
  /* The merged-away speaker is nobody's participant any more */
  g_assert_cmpuint (json_array_get_length (participants), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (participants, 0), ==, other);
}

static void
add_server_tests (void)
{
  static const struct {
    const char *name;
    void (*func) (Net *, gconstpointer);
  } tests[] = {
    { "enrol", test_enrol },
    { "enrol-errors", test_enrol_errors },
    { "enrol-documented", test_enrol_documented },
    { "audio-types-documented", test_audio_types_documented },
    { "enrol-parallel", test_enrol_parallel },
    { "threshold-setting", test_threshold_setting },
    { "merge-enrolled", test_merge_enrolled },
    { "merge-events", test_merge_events },
    { "delete-events", test_delete_events },
    { "two-voices", test_two_voices },
    { "enrol-then-match", test_enrol_then_match },
    { "merge-speakers", test_merge_speakers },
  };

  for (guint b = 0; b < N_BACKENDS; b++)
    for (guint t = 0; t < G_N_ELEMENTS (tests); t++)
      {
        g_autofree char *path = g_strdup_printf ("/voice/%s/%s", backend_names[b], tests[t].name);

        g_test_add (path, Net, &backends[b], net_setup, tests[t].func, net_teardown);
      }
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/voice/signature/voices", test_signature_voices);
  g_test_add_func ("/voice/signature/no-speech", test_signature_no_speech);
  g_test_add_func ("/voice/signature/json", test_signature_json);
  add_server_tests ();

  ret = g_test_run ();

  for (guint b = 0; b < N_BACKENDS; b++)
    g_clear_pointer (&servers[b], mira_test_server_free);
  g_clear_object (&sphinx);
  mira_test_pg_stop ();
  return ret;
}
