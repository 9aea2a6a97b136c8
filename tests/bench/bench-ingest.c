/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "mira-bench"

/* How many concurrent real-time 16 kHz Opus streams mira-server decodes,
 * scores and arbitrates while every stream stays under 100 ms behind.
 *
 * It starts the built mira-server (--transcriber none: the pipeline without
 * speech to text), creates networks of --per-network devices (homes),
 * registers them, and opens their audio sockets from this process on raw
 * sockets (a lean client: its own CPU time is printed next to the server's).
 * Every stream sends audio-start, then one 20 ms Opus packet every 20 ms in
 * real time, each an audio-chunk event with its payload in one binary frame
 * (the TCP layout; --layout ws sends the header as a text frame and the
 * payload as a binary frame). The audio is flite speech and pauses with a
 * little noise, encoded once with libopus; the devices of one home play it
 * in step, as devices in one room hear the same words, and the homes start
 * at different places in it. The streams' 20 ms ticks are spread evenly
 * over the 20 ms.
 *
 * Lag: every stream sends {"type":"ping"} every --ping-ms; the server
 * answers {"type":"pong"} after it has handled everything sent before it,
 * so the round trip is how far behind the server is on that stream. A
 * stream is behind when the 99th percentile of its round trips over a step
 * exceeds --threshold-ms. The ramp adds streams step by step (--steps);
 * each step runs --settle seconds, then measures for --duration seconds.
 * The figure is the largest step where no stream is behind.
 *
 * In the same run it measures libopus alone on the same packets
 * (opus_decode in a tight loop on one thread): packets/s, and so how many
 * real-time streams one core decodes; the ratio of the two figures says how
 * much of a core the rest of the server costs.
 *
 * And the scorer's 512-point power spectrum on the same audio (every 20 ms
 * frame of it, Hann-windowed and zero-padded as mira-features.c does), by
 * mira-fft.c (FFTW behind a copy to aligned scratch) and FFTW called bare
 * (a plan measured once): spectra per CPU second each, and the largest
 * difference from mira-fft.c's. (Our own FFT and kissfft, measured the
 * same way before FFTW replaced the former: docs/libraries.md.)
 *
 *   ninja -C _build tests/bench/bench-ingest && ./_build/tests/bench/bench-ingest
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <opus.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-common.h"
#include "mira-arbiter.h"
#include "mira-audio-decoder.h"
#include "mira-features.h"
#include "mira-fft.h"
#include <fftw3.h>
#include "mira-scorer.h"

#define FRAME_US     20000
#define PING_RING    64

static char *opt_server = NULL;
static char *opt_steps = NULL;
static char *opt_layout = NULL;
static gboolean opt_fft_only = FALSE;
static int opt_per_network = 10;
static int opt_settle = 3;
static int opt_duration = 10;
static int opt_ping_ms = 200;
static int opt_threshold_ms = 100;
static int opt_threads = 1;
static int opt_bitrate = 24000;
static double opt_decode_s = 3.0;
static double opt_max_other = 0.2;
static int opt_retries = 3;
static double opt_quiet_wait = 120;
static gboolean opt_keep_going = FALSE;
static gboolean opt_verbose = FALSE;

typedef struct
{
  gint64   sent;
  gboolean measured;
} Ping;

typedef struct
{
  BenchWs  *ws;
  guint     index;
  guint     net;
  gint64    phase;        /* µs into the 20 ms tick */
  guint     pos;          /* next packet */
  gboolean  ready;
  gboolean  failed;
  char     *error;
  Ping      pings[PING_RING];
  guint     ping_head;    /* next to answer */
  guint     ping_tail;    /* next free */
  GArray   *rtts;         /* ms, measured pings of this step */
} Stream;

typedef struct
{
  /* The packets, each already a masked WebSocket frame (or two) */
  GByteArray *frames;
  GArray     *offsets;    /* guint per packet, and one past the end */
  guint       n_packets;
  guint       loop_packets;
  GByteArray *ping_frame;
  GByteArray *start_frame;
} Audio;

typedef struct
{
  guint        id;
  int          epfd;
  GPtrArray   *streams;   /* Stream*, ascending index */
  GThread     *thread;
  /* Step */
  gint64       t0;
  gint64       measure_from;
  gint64       measure_until;
  gint64       stop;
  GArray      *lateness;  /* ms, measured sends */
  guint64      sends;
  guint        ping_every;
  double       cpu_s;
} Worker;

typedef struct
{
  Audio        audio;
  BenchServer  server;
  SoupSession *session;
  GPtrArray   *networks;  /* char* ids */
  GPtrArray   *net_tokens;
  GPtrArray   *streams;   /* Stream* */
  Worker      *workers;
} Ctx;

/* Audio ------------------------------------------------------------------- */

static void
add_noise (GArray *samples,
           GRand  *rand,
           double  amplitude)
{
  for (guint i = 0; i < samples->len; i++)
    {
      gint16 *s = &g_array_index (samples, gint16, i);
      double v = *s + g_rand_double_range (rand, -amplitude, amplitude);

      *s = (gint16) CLAMP (lrint (v), -32768, 32767);
    }
}

static GArray *
make_loop (void)
{
  static const char * const sentences[] = {
    "Please remind me to call the plumber tomorrow morning.",
    "Did anyone feed the dog before we left?",
    "The train to Lisbon leaves at half past seven on Friday.",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  GArray *loop = g_array_new (FALSE, TRUE, sizeof (gint16));

  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    {
      g_autoptr(GArray) speech = bench_flite ("slt", sentences[i]);

      g_array_append_vals (loop, speech->data, speech->len);
      /* A pause that closes the utterance */
      g_array_set_size (loop, loop->len + 24000);
    }
  /* Whole 20 ms frames */
  g_array_set_size (loop, loop->len - loop->len % 320);
  add_noise (loop, rand, 60.0);
  return loop;
}

static void
encode_audio (Audio      *audio,
              GArray     *loop,
              gboolean    tcp_layout,
              GPtrArray  *packets_out)
{
  OpusEncoder *enc;
  int err = 0;

  enc = opus_encoder_create (16000, 1, OPUS_APPLICATION_VOIP, &err);
  if (enc == NULL)
    g_error ("opus_encoder_create: %s", opus_strerror (err));
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (opt_bitrate));

  audio->frames = g_byte_array_new ();
  audio->offsets = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i + 320 <= loop->len; i += 320)
    {
      guint8 packet[1500];
      opus_int32 n = opus_encode (enc, &g_array_index (loop, gint16, i), 320, packet,
                                  sizeof packet);
      g_autofree char *header = NULL;

      if (n < 0)
        g_error ("opus_encode: %s", opus_strerror (n));
      g_ptr_array_add (packets_out, g_bytes_new (packet, (gsize) n));
      header = g_strdup_printf ("{\"type\":\"audio-chunk\",\"data\":{\"rate\":16000,\"width\":2,"
                                "\"channels\":1},\"payload_length\":%d}\n", (int) n);
      g_array_append_val (audio->offsets, audio->frames->len);
      if (tcp_layout)
        {
          g_autoptr(GByteArray) event = g_byte_array_new ();

          g_byte_array_append (event, (guint8 *) header, (guint) strlen (header));
          g_byte_array_append (event, packet, (guint) n);
          bench_ws_frame (audio->frames, BENCH_WS_BINARY, event->data, event->len);
        }
      else
        {
          bench_ws_frame (audio->frames, BENCH_WS_TEXT, header, strlen (header));
          bench_ws_frame (audio->frames, BENCH_WS_BINARY, packet, (gsize) n);
        }
    }
  g_array_append_val (audio->offsets, audio->frames->len);
  audio->n_packets = audio->offsets->len - 1;
  opus_encoder_destroy (enc);

  audio->ping_frame = g_byte_array_new ();
  bench_ws_frame (audio->ping_frame, BENCH_WS_TEXT, "{\"type\":\"ping\"}",
                  strlen ("{\"type\":\"ping\"}"));
  audio->start_frame = g_byte_array_new ();
  {
    const char *start = "{\"type\":\"audio-start\",\"data\":{\"rate\":16000,\"width\":2,"
                        "\"channels\":1}}\n";

    bench_ws_frame (audio->start_frame, BENCH_WS_TEXT, start, strlen (start));
  }
}

/* libopus alone: one decoder, the same packets, a tight loop */
static double
decode_only_rate (GPtrArray *packets)
{
  int err = 0;
  OpusDecoder *dec = opus_decoder_create (16000, 1, &err);
  opus_int16 pcm[960];
  guint64 n = 0;
  gint64 start, elapsed;
  double cpu0, cpu1;
  struct rusage ru;

  if (dec == NULL)
    g_error ("opus_decoder_create: %s", opus_strerror (err));
  /* Warm up */
  for (guint i = 0; i < packets->len; i++)
    {
      GBytes *p = g_ptr_array_index (packets, i);
      if (opus_decode (dec, g_bytes_get_data (p, NULL), (opus_int32) g_bytes_get_size (p), pcm, 960, 0) < 0)
        g_error ("opus_decode failed");
    }
  getrusage (RUSAGE_THREAD, &ru);
  cpu0 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  start = bench_now ();
  do
    {
      for (guint i = 0; i < packets->len; i++)
        {
          GBytes *p = g_ptr_array_index (packets, i);
          int ret = opus_decode (dec, g_bytes_get_data (p, NULL),
                                 (opus_int32) g_bytes_get_size (p), pcm, 960, 0);

          if (ret != 320)
            g_error ("opus_decode: %d", ret);
        }
      n += packets->len;
      elapsed = bench_now () - start;
    }
  while (elapsed < opt_decode_s * G_USEC_PER_SEC);
  getrusage (RUSAGE_THREAD, &ru);
  cpu1 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  opus_decoder_destroy (dec);
  /* Per CPU second: another process may take the core now and then */
  return n / MAX (cpu1 - cpu0, 1e-6);
}

/* The scorer's spectra ------------------------------------------------------ */

#define SPECTRUM_N      512
#define SPECTRUM_BINS   (SPECTRUM_N / 2 + 1)

typedef struct {
  const char *name;
  gpointer  (*setup) (void);
  void      (*power) (gpointer state, float *in, float *power);
  void      (*free)  (gpointer state);
} SpectrumImpl;

typedef struct {
  MiraFft *fft;
  float    scratch[MIRA_FFT_SCRATCH_FLOATS (SPECTRUM_N)];
} OwnFft;

static gpointer
own_setup (void)
{
  OwnFft *o = g_new0 (OwnFft, 1);

  o->fft = mira_fft_new (SPECTRUM_N);
  return o;
}

static void
own_power (gpointer state,
           float   *in,
           float   *power)
{
  OwnFft *o = state;

  mira_fft_power (o->fft, in, o->scratch, power);
}

static void
own_free (gpointer state)
{
  OwnFft *o = state;

  mira_fft_free (o->fft);
  g_free (o);
}

typedef struct {
  float         *in;
  fftwf_complex *out;
  fftwf_plan     plan;
} Fftw;

static gpointer
fftwf_impl_setup (void)
{
  Fftw *f = g_new0 (Fftw, 1);

  f->in = fftwf_alloc_real (SPECTRUM_N);
  f->out = fftwf_alloc_complex (SPECTRUM_BINS);
  f->plan = fftwf_plan_dft_r2c_1d (SPECTRUM_N, f->in, f->out, FFTW_MEASURE);
  return f;
}

static void
fftwf_impl_power (gpointer state,
            float   *in,
            float   *power)
{
  Fftw *f = state;

  /* FFTW's plan is for its own aligned buffer: the copy is part of its cost */
  memcpy (f->in, in, SPECTRUM_N * sizeof (float));
  fftwf_execute (f->plan);
  for (guint i = 0; i < SPECTRUM_BINS; i++)
    power[i] = f->out[i][0] * f->out[i][0] + f->out[i][1] * f->out[i][1];
}

static void
fftwf_impl_free (gpointer state)
{
  Fftw *f = state;

  fftwf_destroy_plan (f->plan);
  fftwf_free (f->in);
  fftwf_free (f->out);
  g_free (f);
}

static const SpectrumImpl spectrum_impls[] = {
  { "mira-fft.c (FFTW)", own_setup, own_power, own_free },
  { "FFTW bare (measured plan)", fftwf_impl_setup, fftwf_impl_power, fftwf_impl_free },
};

static double
thread_cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
         + ru.ru_stime.tv_usec / 1e6;
}

/* Every 20 ms frame of the decoded loop, windowed as the scorer does, then
 * each implementation's spectra per CPU second (best of three runs of
 * --decode-seconds / 3 each) and its largest difference from ours relative
 * to the frame's peak bin.
 */
static void
spectrum_rates (GPtrArray *packets)
{
  int err = 0;
  OpusDecoder *dec = opus_decoder_create (16000, 1, &err);
  g_autoptr(GArray) frames = g_array_new (FALSE, TRUE, sizeof (float) * SPECTRUM_N);
  float window[MIRA_FRAME_SAMPLES];
  float reference[SPECTRUM_BINS], power[SPECTRUM_BINS];
  double own_rate = 0.0;

  for (guint i = 0; i < MIRA_FRAME_SAMPLES; i++)
    window[i] = (float) (0.5 - 0.5 * cos (2.0 * G_PI * i / MIRA_FRAME_SAMPLES)) / 32768.f;
  for (guint i = 0; i < packets->len; i++)
    {
      GBytes *p = g_ptr_array_index (packets, i);
      opus_int16 pcm[MIRA_FRAME_SAMPLES];
      float *in;

      if (opus_decode (dec, g_bytes_get_data (p, NULL), (opus_int32) g_bytes_get_size (p), pcm,
                       MIRA_FRAME_SAMPLES, 0) != MIRA_FRAME_SAMPLES)
        g_error ("opus_decode failed");
      g_array_set_size (frames, frames->len + 1);
      in = (float *) (frames->data + (gsize) (frames->len - 1) * sizeof (float) * SPECTRUM_N);
      for (guint k = 0; k < MIRA_FRAME_SAMPLES; k++)
        in[k] = pcm[k] * window[k];
    }
  opus_decoder_destroy (dec);

  g_print ("The scorer's %u-point power spectrum, %u frames of the loop, one thread:\n",
           SPECTRUM_N, frames->len);
  for (guint m = 0; m < G_N_ELEMENTS (spectrum_impls); m++)
    {
      const SpectrumImpl *impl = &spectrum_impls[m];
      gpointer state = impl->setup ();
      gpointer own = own_setup ();
      double rate = 0.0, worst = 0.0;

      for (guint f = 0; f < frames->len; f++)
        {
          float in[SPECTRUM_N];
          float peak = 0.f;

          memcpy (in, frames->data + (gsize) f * sizeof in, sizeof in);
          own_power (own, in, reference);
          memcpy (in, frames->data + (gsize) f * sizeof in, sizeof in);
          impl->power (state, in, power);
          for (guint k = 0; k < SPECTRUM_BINS; k++)
            peak = MAX (peak, reference[k]);
          for (guint k = 0; peak > 0.f && k < SPECTRUM_BINS; k++)
            worst = MAX (worst, fabs ((double) power[k] - reference[k]) / peak);
        }
      for (int run = 0; run < 3; run++)
        {
          guint64 n = 0;
          double cpu0, cpu1;
          gint64 start;

          bench_wait_quiet (0, opt_max_other, opt_quiet_wait / 8);
          cpu0 = thread_cpu_s ();
          start = bench_now ();
          do
            {
              for (guint f = 0; f < frames->len; f++)
                {
                  float in[SPECTRUM_N];

                  /* As the scorer does: a frame windowed into a buffer */
                  memcpy (in, frames->data + (gsize) f * sizeof in, sizeof in);
                  impl->power (state, in, power);
                }
              n += frames->len;
            }
          while (bench_now () - start < opt_decode_s / 3 * G_USEC_PER_SEC);
          cpu1 = thread_cpu_s ();
          rate = MAX (rate, n / MAX (cpu1 - cpu0, 1e-6));
        }
      if (m == 0)
        own_rate = rate;
      g_print ("  %-30s %10.0f spectra/s (%.2f x mira-fft.c), largest difference %.1e of the peak\n",
               impl->name, rate, rate / own_rate, worst);
      impl->free (state);
      own_free (own);
    }
}

/* The server's per-packet audio work without sockets: decoder, scorer and the
 * arbiter of 10-device networks, on one thread. Only for the breakdown.
 */
static void
pipeline_noop_started (gpointer user_data, gint64 start_us) { }
static void
pipeline_done (gpointer user_data, MiraUtterance *utterance) { mira_utterance_free (utterance); }
static void
pipeline_noop_best (gpointer user_data, const char *client_id, double score) { }

static void
pipeline_rates (GPtrArray *packets,
                double    *decode_score_pps,
                double    *full_pps)
{
  static const MiraArbiterCallbacks callbacks = {
    pipeline_noop_started, pipeline_done, pipeline_noop_best,
  };
  const guint n_streams = 10;

  for (int pass = 0; pass < 2; pass++)
    {
      MiraAudioDecoder *decoders[10];
      MiraScorer *scorers[10];
      char *ids[10];
      g_autoptr(GArray) pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
      g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (MiraFrameFeatures));
      MiraArbiter *arbiter = mira_arbiter_new (NULL, &callbacks, NULL);
      MiraStreamMetrics metrics;
      gint64 media = 0;
      guint64 n = 0;
      double cpu0, cpu1;
      struct rusage ru;

      for (guint s = 0; s < n_streams; s++)
        {
          decoders[s] = mira_audio_decoder_new_opus (16000, 1, FALSE, NULL);
          scorers[s] = mira_scorer_new ();
          ids[s] = g_strdup_printf ("mic-%u", s);
          if (pass == 1)
            mira_arbiter_stream_start (arbiter, ids[s], 0);
        }
      getrusage (RUSAGE_THREAD, &ru);
      cpu0 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
      do
        {
          for (guint i = 0; i < packets->len; i++, media += FRAME_US)
            {
              GBytes *p = g_ptr_array_index (packets, i);

              for (guint s = 0; s < n_streams; s++)
                {
                  g_array_set_size (pcm, 0);
                  g_array_set_size (frames, 0);
                  mira_audio_decoder_push (decoders[s], g_bytes_get_data (p, NULL),
                                           g_bytes_get_size (p), pcm, NULL);
                  mira_scorer_push (scorers[s], (const gint16 *) pcm->data, pcm->len, frames);
                  mira_scorer_get_metrics (scorers[s], &metrics);
                  if (pass == 1)
                    mira_arbiter_push (arbiter, ids[s], (const gint16 *) pcm->data, pcm->len,
                                       (const MiraFrameFeatures *) frames->data, frames->len,
                                       metrics.quality_score, media);
                }
              if (pass == 1 && i % 12 == 0)
                mira_arbiter_tick (arbiter, media);
            }
          n += (guint64) packets->len * n_streams;
          getrusage (RUSAGE_THREAD, &ru);
          cpu1 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        }
      while (cpu1 - cpu0 < opt_decode_s);
      *(pass == 0 ? decode_score_pps : full_pps) = n / (cpu1 - cpu0);

      for (guint s = 0; s < n_streams; s++)
        {
          mira_audio_decoder_free (decoders[s]);
          mira_scorer_free (scorers[s]);
          g_free (ids[s]);
        }
      mira_arbiter_free (arbiter);
    }
}

/* Streams ----------------------------------------------------------------- */

static void
on_setup_frame (BenchWs      *ws,
                guint         opcode,
                const guint8 *payload,
                gsize         len,
                gpointer      user_data)
{
  Stream *stream = user_data;

  if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"ready\"", 7) != NULL)
    stream->ready = TRUE;
  else if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"error\"", 7) != NULL)
    {
      stream->failed = TRUE;
      g_free (stream->error);
      stream->error = g_strndup ((const char *) payload, len);
    }
  else if (opcode == BENCH_WS_CLOSE)
    stream->failed = TRUE;
}

static void
on_run_frame (BenchWs      *ws,
              guint         opcode,
              const guint8 *payload,
              gsize         len,
              gpointer      user_data)
{
  Stream *stream = user_data;

  if (opcode == BENCH_WS_TEXT && len < 64 && memmem (payload, len, "\"pong\"", 6) != NULL)
    {
      Ping *ping;

      if (stream->ping_head == stream->ping_tail)
        return;   /* not ours */
      ping = &stream->pings[stream->ping_head++ % PING_RING];
      if (ping->measured)
        {
          double ms = (bench_now () - ping->sent) / 1000.0;
          g_array_append_val (stream->rtts, ms);
        }
    }
  else if (opcode == BENCH_WS_TEXT && memmem (payload, len, "\"error\"", 7) != NULL)
    {
      stream->failed = TRUE;
      if (stream->error == NULL)
        stream->error = g_strndup ((const char *) payload, len);
    }
  else if (opcode == BENCH_WS_CLOSE)
    stream->failed = TRUE;
}

static void
add_streams (Ctx   *ctx,
             guint  total)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  gint64 begin = bench_now ();

  while (ctx->streams->len < total)
    {
      guint index = ctx->streams->len;
      guint net = index / (guint) opt_per_network;
      Stream *stream = g_new0 (Stream, 1);
      g_autofree char *client_id = g_strdup_printf ("mic-%05u", index);
      g_autofree char *session = NULL;
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      struct epoll_event ev = { 0 };
      Worker *worker;

      if (net >= ctx->networks->len)
        {
          g_autofree char *name = g_strdup_printf ("Bench home %u", net);
          char *token = NULL;

          g_ptr_array_add (ctx->networks,
                           bench_network_new (&ctx->server, ctx->session, name, &token));
          g_ptr_array_add (ctx->net_tokens, token);
        }
      session = bench_client_register (&ctx->server, ctx->session,
                                       g_ptr_array_index (ctx->networks, net),
                                       g_ptr_array_index (ctx->net_tokens, net), client_id);
      path = g_strdup_printf ("/api/v1/%s/streams/%s/ws?token=%s&codec=opus",
                              (char *) g_ptr_array_index (ctx->networks, net), client_id, session);
      stream->ws = bench_ws_connect (ctx->server.host, ctx->server.port, path, &error);
      if (stream->ws == NULL)
        g_error ("audio socket %u: %s", index, error->message);
      stream->index = index;
      stream->net = net;
      /* The devices of one home hear the same thing; homes start apart */
      stream->pos = (net * 397) % ctx->audio.n_packets;
      stream->rtts = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (ctx->streams, stream);
      g_ptr_array_add (fresh, stream);

      worker = &ctx->workers[index % (guint) opt_threads];
      g_ptr_array_add (worker->streams, stream);
      ev.events = EPOLLIN;
      ev.data.ptr = stream;
      if (epoll_ctl (worker->epfd, EPOLL_CTL_ADD, stream->ws->fd, &ev) != 0)
        g_error ("epoll_ctl: %s", g_strerror (errno));
    }

  for (guint i = 0; i < fresh->len; i++)
    {
      Stream *stream = g_ptr_array_index (fresh, i);

      if (!bench_ws_wait (stream->ws, on_setup_frame, stream, &stream->ready, 30 * G_USEC_PER_SEC))
        g_error ("audio socket %u never became ready%s%s", stream->index,
                 stream->error ? ": " : "", stream->error ? stream->error : "");
      bench_ws_send_raw (stream->ws, ctx->audio.start_frame->data, ctx->audio.start_frame->len);
    }
  if (fresh->len > 0)
    g_print ("  %u audio sockets open (%u new in %.1f s)\n", ctx->streams->len, fresh->len,
             (bench_now () - begin) / 1e6);
}

typedef struct
{
  Worker *worker;
  Audio  *audio;
} WorkerArgs;

/* One client thread: its streams' packets on time, and their pongs. */
static gpointer
worker_thread (gpointer data)
{
  WorkerArgs *args = data;
  Worker *w = args->worker;
  Audio *audio = args->audio;
  guint n = w->streams->len;
  guint j = 0;
  gint64 k = 0;
  struct epoll_event events[512];
  struct rusage ru0, ru1;

  getrusage (RUSAGE_THREAD, &ru0);
  while (n > 0)
    {
      gint64 now = bench_now ();
      gint64 next_due;
      guint batch = 0;
      int timeout_ms, n_events;

      if (now >= w->stop)
        break;

      for (;;)
        {
          Stream *s = g_ptr_array_index (w->streams, j);
          gint64 due = w->t0 + s->phase + k * FRAME_US;
          guint off, end;

          if (due > now)
            break;
          if (!s->failed)
            {
              off = g_array_index (audio->offsets, guint, s->pos);
              end = g_array_index (audio->offsets, guint, s->pos + 1);
              bench_ws_send_raw (s->ws, audio->frames->data + off, end - off);
              s->pos = (s->pos + 1) % audio->n_packets;
              if ((k + s->index) % w->ping_every == 0 && s->ping_tail - s->ping_head < PING_RING)
                {
                  Ping *ping = &s->pings[s->ping_tail++ % PING_RING];

                  bench_ws_send_raw (s->ws, audio->ping_frame->data, audio->ping_frame->len);
                  ping->sent = bench_now ();
                  ping->measured = ping->sent >= w->measure_from && ping->sent < w->measure_until;
                }
              if (due >= w->measure_from && due < w->measure_until)
                {
                  double late = (now - due) / 1000.0;
                  g_array_append_val (w->lateness, late);
                }
              w->sends++;
            }
          if (++j == n)
            {
              j = 0;
              k++;
            }
          if (++batch % 32 == 0)
            now = bench_now ();
        }

      /* What the kernel did not take earlier */
      for (guint i = 0; i < n; i++)
        {
          Stream *s = g_ptr_array_index (w->streams, i);

          if (s->ws->out->len > 0)
            bench_ws_flush (s->ws);
        }

      next_due = w->t0 + ((Stream *) g_ptr_array_index (w->streams, j))->phase + k * FRAME_US;
      now = bench_now ();
      timeout_ms = next_due > now ? (int) ((next_due - now + 999) / 1000) : 0;
      n_events = epoll_wait (w->epfd, events, G_N_ELEMENTS (events), timeout_ms);
      for (int e = 0; e < n_events; e++)
        {
          Stream *s = events[e].data.ptr;

          if (!bench_ws_read (s->ws, on_run_frame, s) && !s->failed)
            {
              s->failed = TRUE;
              if (s->error == NULL)
                s->error = g_strdup_printf ("closed by the server (code %u)", s->ws->close_code);
            }
          if (s->ws->closed)
            epoll_ctl (w->epfd, EPOLL_CTL_DEL, s->ws->fd, NULL);
        }
    }
  getrusage (RUSAGE_THREAD, &ru1);
  w->cpu_s = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6
             + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  return NULL;
}

typedef struct
{
  guint  n;
  double p50, p99, max;
  double worst_stream_p99;
  guint  behind;
  guint  failed;
  double late_p99, late_max;
  double server_cpu;       /* cores */
  double server_main_cpu;  /* cores, the main thread */
  double client_cpu;       /* cores */
  double other_cpu;        /* cores: every other process of the machine */
  gboolean disturbed;      /* others took a core, or the client fell behind */
  gboolean ok;
} StepResult;

static void
run_step (Ctx        *ctx,
          guint       n,
          StepResult *r)
{
  gint64 t0;
  double cpu0, main0, cpu1, main1, self0, self1, busy0, busy1;
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) stream_p99 = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) lateness = g_array_new (FALSE, FALSE, sizeof (double));
  WorkerArgs args[16];
  guint64 sends = 0;

  add_streams (ctx, n);
  bench_wait_quiet (ctx->server.pid, opt_max_other, opt_quiet_wait);

  for (guint i = 0; i < n; i++)
    {
      Stream *s = g_ptr_array_index (ctx->streams, i);

      s->phase = (gint64) i * FRAME_US / n;
      g_array_set_size (s->rtts, 0);
      /* Pings still unanswered from the last step are not measured */
      for (guint p = s->ping_head; p != s->ping_tail; p++)
        s->pings[p % PING_RING].measured = FALSE;
    }

  t0 = bench_now () + 20000;
  for (int t = 0; t < opt_threads; t++)
    {
      Worker *w = &ctx->workers[t];

      w->t0 = t0;
      w->measure_from = t0 + (gint64) opt_settle * G_USEC_PER_SEC;
      w->measure_until = w->measure_from + (gint64) opt_duration * G_USEC_PER_SEC;
      /* Keep streaming a little while the last pongs come back */
      w->stop = w->measure_until + 1000 * 1000;
      w->ping_every = (guint) MAX (1, opt_ping_ms / 20);
      g_array_set_size (w->lateness, 0);
      w->sends = 0;
      args[t].worker = w;
      args[t].audio = &ctx->audio;
    }

  for (int t = 0; t < opt_threads; t++)
    ctx->workers[t].thread = g_thread_new ("bench-client", worker_thread, &args[t]);

  /* CPU of the measured window */
  g_usleep ((gulong) MAX (0, ctx->workers[0].measure_from - bench_now ()));
  cpu0 = bench_cpu_seconds (ctx->server.pid, 0);
  main0 = bench_cpu_seconds (ctx->server.pid, ctx->server.pid);
  self0 = bench_cpu_seconds (getpid (), 0);
  busy0 = bench_machine_busy_seconds ();
  g_usleep ((gulong) MAX (0, ctx->workers[0].measure_until - bench_now ()));
  cpu1 = bench_cpu_seconds (ctx->server.pid, 0);
  main1 = bench_cpu_seconds (ctx->server.pid, ctx->server.pid);
  self1 = bench_cpu_seconds (getpid (), 0);
  busy1 = bench_machine_busy_seconds ();

  for (int t = 0; t < opt_threads; t++)
    {
      Worker *w = &ctx->workers[t];

      g_thread_join (w->thread);
      w->thread = NULL;
      g_array_append_vals (lateness, w->lateness->data, w->lateness->len);
      sends += w->sends;
    }

  memset (r, 0, sizeof *r);
  r->n = n;
  for (guint i = 0; i < n; i++)
    {
      Stream *s = g_ptr_array_index (ctx->streams, i);
      double p99;

      /* Pings never answered count for their age so far */
      for (guint p = s->ping_head; p != s->ping_tail; p++)
        if (s->pings[p % PING_RING].measured)
          {
            double ms = (ctx->workers[0].stop - s->pings[p % PING_RING].sent) / 1000.0;
            g_array_append_val (s->rtts, ms);
          }
      if (s->failed)
        {
          r->failed++;
          if (r->failed <= 3)
            g_print ("  stream %u failed: %s\n", s->index, s->error ? s->error : "?");
          continue;
        }
      if (s->rtts->len == 0)
        {
          r->behind++;
          continue;
        }
      g_array_append_vals (all, s->rtts->data, s->rtts->len);
      p99 = bench_percentile (s->rtts, 99);
      g_array_append_val (stream_p99, p99);
      if (p99 > opt_threshold_ms)
        r->behind++;
    }
  r->p50 = bench_percentile (all, 50);
  r->p99 = bench_percentile (all, 99);
  r->max = bench_max (all);
  r->worst_stream_p99 = bench_max (stream_p99);
  r->late_p99 = bench_percentile (lateness, 99);
  r->late_max = bench_max (lateness);
  r->server_cpu = (cpu1 - cpu0) / opt_duration;
  r->server_main_cpu = (main1 - main0) / opt_duration;
  r->client_cpu = (self1 - self0) / opt_duration;
  r->other_cpu = MAX (0, (busy1 - busy0) - (cpu1 - cpu0) - (self1 - self0)) / opt_duration;
  r->ok = r->behind == 0 && r->failed == 0;
  r->disturbed = r->other_cpu > opt_max_other || r->late_p99 > 10;

  g_print ("  %4u streams: ping RTT p50 %6.1f ms, p99 %7.1f ms, max %7.1f ms; worst stream p99 "
           "%7.1f ms; %u behind, %u failed; server CPU %.2f cores (main thread %.2f); "
           "client CPU %.2f cores, send lateness p99 %.1f ms; other processes %.2f cores  %s%s\n",
           n, r->p50, r->p99, r->max, r->worst_stream_p99, r->behind, r->failed, r->server_cpu,
           r->server_main_cpu, r->client_cpu, r->late_p99, r->other_cpu,
           r->ok ? "ok" : "BEHIND", r->disturbed ? " (DISTURBED: the machine was busy)" : "");
}

static GArray *
parse_steps (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  GArray *steps = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint v = (guint) g_ascii_strtoull (g_strstrip (parts[i]), NULL, 10);

      if (v == 0 || (steps->len > 0 && v <= g_array_index (steps, guint, steps->len - 1)))
        g_error ("--steps: increasing stream counts, e.g. 100,200,400");
      g_array_append_val (steps, v);
    }
  return steps;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- live audio ingest capacity");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) steps = NULL;
  g_autoptr(GArray) loop = NULL;
  g_autoptr(GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GArray) results = g_array_new (FALSE, TRUE, sizeof (StepResult));
  Ctx ctx = { 0 };
  double decode_pps, decode_score_pps = 0, pipeline_pps = 0, decode_streams;
  guint best = 0;
  guint64 nofile;
  gboolean tcp_layout;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The mira-server to run", "PATH" },
    { "steps", 's', 0, G_OPTION_ARG_STRING, &opt_steps,
      "Stream counts to try (100,200,300,400,500,600,700,800,1000,1200)", "N,N,..." },
    { "per-network", 0, 0, G_OPTION_ARG_INT, &opt_per_network, "Devices per network (10)", "N" },
    { "settle", 0, 0, G_OPTION_ARG_INT, &opt_settle, "Seconds before measuring a step (3)", "S" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &opt_duration, "Seconds measured per step (10)", "S" },
    { "ping-ms", 0, 0, G_OPTION_ARG_INT, &opt_ping_ms, "A ping per stream this often (200)", "MS" },
    { "threshold-ms", 0, 0, G_OPTION_ARG_INT, &opt_threshold_ms,
      "A stream whose p99 round trip exceeds this is behind (100)", "MS" },
    { "client-threads", 't', 0, G_OPTION_ARG_INT, &opt_threads, "Client threads (1)", "N" },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &opt_layout,
      "tcp: header and payload in one binary frame; ws: text header, binary payload (tcp)",
      "tcp|ws" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &opt_bitrate, "Opus bit rate (24000)", "BPS" },
    { "decode-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_decode_s,
      "CPU seconds of the decode-only measure (3)", "S" },
    { "max-other", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_other,
      "A step during which other processes took more cores than this is run again (0.2)",
      "CORES" },
    { "quiet-wait", 0, 0, G_OPTION_ARG_DOUBLE, &opt_quiet_wait,
      "Before each step, wait up to this long for other processes to use at most --max-other "
      "cores (120)", "S" },
    { "retries", 0, 0, G_OPTION_ARG_INT, &opt_retries,
      "Runs of a disturbed step before it counts as it is (3)", "N" },
    { "keep-going", 'k', 0, G_OPTION_ARG_NONE, &opt_keep_going,
      "Run every step, even after one falls behind", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Server messages too", NULL },
    { "fft-only", 0, 0, G_OPTION_ARG_NONE, &opt_fft_only,
      "Only the measures on one thread (decoding, spectra), no server", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-ingest: %s\n", error->message);
      return 2;
    }
  if (opt_server == NULL)
    opt_server = g_strdup (MIRA_SERVER_PATH);
  if (opt_layout == NULL)
    opt_layout = g_strdup ("tcp");
  tcp_layout = g_str_equal (opt_layout, "tcp");
  if ((!tcp_layout && !g_str_equal (opt_layout, "ws")) || opt_threads < 1 || opt_threads > 16 ||
      opt_per_network < 1 || opt_duration < 1 || opt_settle < 0 || opt_ping_ms < 20)
    {
      g_printerr ("bench-ingest: bad options (see --help)\n");
      return 2;
    }
  steps = parse_steps (opt_steps ? opt_steps : "100,200,300,400,500,600,700,800,1000,1200");
  if (!g_file_test (opt_server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("bench-ingest: %s is not an executable; build it first\n", opt_server);
      return 1;
    }
  nofile = bench_raise_nofile ();

  g_print ("Audio: flite speech and pauses, 16 kHz mono, Opus %d b/s in 20 ms packets\n",
           opt_bitrate);
  loop = make_loop ();
  encode_audio (&ctx.audio, loop, tcp_layout, packets);
  {
    gsize bytes = 0;

    for (guint i = 0; i < packets->len; i++)
      bytes += g_bytes_get_size (g_ptr_array_index (packets, i));
    g_print ("  %u packets (%.1f s loop), %.0f bytes per packet on average\n", packets->len,
             packets->len * 0.02, (double) bytes / packets->len);
  }

  g_print ("libopus decode only, one thread: ");
  decode_pps = 0;
  for (int i = 0; i < 3; i++)
    {
      /* The best of three: a busy neighbour only ever makes it slower */
      bench_wait_quiet (0, opt_max_other, opt_quiet_wait / 4);
      decode_pps = MAX (decode_pps, decode_only_rate (packets));
    }
  decode_streams = decode_pps / 50.0;
  g_print ("%.0f packets/s = %.0f real-time streams per core\n", decode_pps, decode_streams);
  spectrum_rates (packets);
  if (opt_fft_only)
    return 0;
  bench_wait_quiet (0, opt_max_other, opt_quiet_wait / 4);
  pipeline_rates (packets, &decode_score_pps, &pipeline_pps);
  g_print ("In-process pipeline, one thread (no sockets): decode+score %.0f packets/s "
           "(%.0f streams), decode+score+arbiter %.0f packets/s (%.0f streams)\n",
           decode_score_pps, decode_score_pps / 50, pipeline_pps, pipeline_pps / 50);

  bench_server_start (&ctx.server, opt_server, "none", opt_verbose ? "message" : "warning");
  g_print ("mira-server pid %d at %s; --transcriber none; %u CPUs; file limit %" G_GUINT64_FORMAT
           "\n", (int) ctx.server.pid, ctx.server.url, g_get_num_processors (), nofile);
  g_print ("Ramp: %d devices per network, %d s settle + %d s measured per step, a ping every %d "
           "ms, behind = p99 round trip > %d ms, %s layout, %d client thread%s\n",
           opt_per_network, opt_settle, opt_duration, opt_ping_ms, opt_threshold_ms, opt_layout,
           opt_threads, opt_threads > 1 ? "s" : "");

  ctx.session = soup_session_new_with_options ("timeout", 60, NULL);
  ctx.networks = g_ptr_array_new_with_free_func (g_free);
  ctx.net_tokens = g_ptr_array_new_with_free_func (g_free);
  ctx.streams = g_ptr_array_new ();
  ctx.workers = g_new0 (Worker, opt_threads);
  for (int t = 0; t < opt_threads; t++)
    {
      ctx.workers[t].id = (guint) t;
      ctx.workers[t].epfd = epoll_create1 (EPOLL_CLOEXEC);
      ctx.workers[t].streams = g_ptr_array_new ();
      ctx.workers[t].lateness = g_array_new (FALSE, FALSE, sizeof (double));
    }

  for (guint i = 0; i < steps->len; i++)
    {
      StepResult r;

      for (int attempt = 0;; attempt++)
        {
          run_step (&ctx, g_array_index (steps, guint, i), &r);
          if (!r.disturbed || attempt + 1 >= opt_retries)
            break;
          g_print ("  ...again: another process took %.2f cores meanwhile\n", r.other_cpu);
          g_usleep (2 * G_USEC_PER_SEC);
        }
      g_array_append_val (results, r);
      if (r.ok)
        best = r.n;
      else if (!opt_keep_going)
        break;
    }

  g_print ("\n| streams | RTT p50 ms | RTT p99 ms | RTT max ms | worst stream p99 ms | behind "
           "| server CPU (cores) | client CPU (cores) | others (cores) |\n"
           "|--------:|-----------:|-----------:|-----------:|--------------------:|-------:"
           "|-------------------:|-------------------:|---------------:|\n");
  for (guint i = 0; i < results->len; i++)
    {
      StepResult *r = &g_array_index (results, StepResult, i);

      g_print ("| %7u | %10.1f | %10.1f | %10.1f | %19.1f | %6u | %18.2f | %18.2f | %14.2f |\n",
               r->n, r->p50, r->p99, r->max, r->worst_stream_p99, r->behind + r->failed,
               r->server_cpu, r->client_cpu, r->other_cpu);
    }
  g_print ("\nlibopus decode only: %.0f packets/s on one core = %.0f real-time streams per core\n",
           decode_pps, decode_streams);
  g_print ("Served in real time (every stream's p99 lag < %d ms): %u streams\n", opt_threshold_ms,
           best);
  g_print ("Ratio served / decode-only per core: %.2f\n", best / decode_streams);
  g_print ("Targets: >= 500 streams: %s; ratio >= 0.5: %s\n", best >= 500 ? "met" : "MISSED",
           best / decode_streams >= 0.5 ? "met" : "MISSED");

  for (guint i = 0; i < ctx.streams->len; i++)
    {
      Stream *s = g_ptr_array_index (ctx.streams, i);

      bench_ws_free (s->ws);
      g_array_unref (s->rtts);
      g_free (s->error);
      g_free (s);
    }
  bench_server_stop (&ctx.server);
  return best >= 500 && best / decode_streams >= 0.5 ? 0 : 1;
}
