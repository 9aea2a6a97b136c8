/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-audio-decoder"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <opus.h>
#include <opus_multistream.h>

#include "mira-audio-decoder.h"
#include "mira-audio-file.h"

/* Signal helpers ------------------------------------------------------------ */

/* Interleaved little-endian PCM of a sine, every channel alike */
static GByteArray *
make_pcm (guint  rate,
          guint  width,
          guint  channels,
          double freq,
          double amp,
          gsize  n_frames)
{
  GByteArray *pcm = g_byte_array_sized_new ((guint) (n_frames * width * channels));

  for (gsize i = 0; i < n_frames; i++)
    {
      double v = amp * sin (2.0 * G_PI * freq * (double) i / rate);

      for (guint c = 0; c < channels; c++)
        {
          guint8 b[4];

          switch (width)
            {
            case 1:
              b[0] = (guint8) lrint (128.0 + 127.0 * v);
              break;
            case 2:
              {
                guint16 s = (guint16) (gint16) lrint (32767.0 * v);
                b[0] = s & 0xff;
                b[1] = s >> 8;
              }
              break;
            case 3:
              {
                guint32 s = (guint32) (gint32) lrint (8388607.0 * v);
                b[0] = s & 0xff;
                b[1] = (s >> 8) & 0xff;
                b[2] = (s >> 16) & 0xff;
              }
              break;
            default:
              {
                guint32 s = (guint32) (gint32) lrint (2147483647.0 * v);
                b[0] = s & 0xff;
                b[1] = (s >> 8) & 0xff;
                b[2] = (s >> 16) & 0xff;
                b[3] = s >> 24;
              }
              break;
            }
          g_byte_array_append (pcm, b, width);
        }
    }
  return pcm;
}

static double
rms (const gint16 *x,
     gsize         n)
{
  double sum = 0.0;

  for (gsize i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  return n > 0 ? sqrt (sum / n) : 0.0;
}

/* Share of the signal's energy at @freq (Goertzel over a whole number of
 * periods at 16 kHz, so nothing leaks)
 */
static double
tone_fraction (const gint16 *x,
               gsize         n,
               double        freq)
{
  double coeff = 2.0 * cos (2.0 * G_PI * freq / MIRA_AUDIO_RATE);
  double s1 = 0.0, s2 = 0.0;
  double total = 0.0;
  double power;

  n -= n % 16;
  for (gsize i = 0; i < n; i++)
    {
      double s0 = x[i] + coeff * s1 - s2;

      s2 = s1;
      s1 = s0;
      total += (double) x[i] * x[i];
    }
  power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return total > 0.0 ? (2.0 / n) * power / total : 0.0;
}

/* Pushes @data in random pieces, splitting samples and frames */
static GArray *
decode_in_pieces (MiraAudioDecoder *decoder,
                  const guint8     *data,
                  gsize             len)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint16));
  gsize pos = 0;

  while (pos < len)
    {
      g_autoptr(GError) error = NULL;
      gsize want = (gsize) g_test_rand_int_range (1, 3000);
      gsize n = MIN (want, len - pos);

      g_assert_true (mira_audio_decoder_push (decoder, data + pos, n, out, &error));
      g_assert_no_error (error);
      pos += n;
    }
  mira_audio_decoder_flush (decoder, out);
  return out;
}

/* PCM ----------------------------------------------------------------------- */

static void
test_pcm_invalid (void)
{
  static const guint bad[][3] = {
    { 1, 2, 1 }, { 384000, 2, 1 }, { 7999, 2, 1 }, { 192001, 2, 1 }, { 0, 2, 1 },
    { 16000, 0, 1 }, { 16000, 5, 1 }, { 16000, 8, 1 },
    { 16000, 2, 0 }, { 16000, 2, 9 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_pcm (bad[i][0], bad[i][1],
                                                                        bad[i][2], &error);

      g_assert_null (decoder);
      g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
      g_test_message ("%u Hz, width %u, %u channels -> %s", bad[i][0], bad[i][1], bad[i][2],
                      error->message);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_pcm (8000, 1, 8, &error);

    g_assert_no_error (error);
    g_assert_nonnull (decoder);
    g_clear_pointer (&decoder, mira_audio_decoder_free);
    decoder = mira_audio_decoder_new_pcm (192000, 4, 1, &error);
    g_assert_no_error (error);
    g_assert_nonnull (decoder);
  }
}

static void
test_pcm_passthrough (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_pcm (16000, 2, 1, &error);
  g_autoptr(GByteArray) pcm = make_pcm (16000, 2, 1, 440.0, 0.8, 16000);
  g_autoptr(GArray) out = NULL;

  g_assert_no_error (error);
  out = decode_in_pieces (decoder, pcm->data, pcm->len);
  g_assert_cmpuint (out->len, ==, 16000);
  for (guint i = 0; i < out->len; i++)
    g_assert_cmpint (g_array_index (out, gint16, i), ==,
                     (gint16) (pcm->data[2 * i] | pcm->data[2 * i + 1] << 8));
}

static void
check_sine (guint  rate,
            guint  width,
            guint  channels,
            double freq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_pcm (rate, width, channels, &error);
  gsize n_frames = rate;   /* one second */
  g_autoptr(GByteArray) pcm = make_pcm (rate, width, channels, freq, 0.5, n_frames);
  g_autoptr(GArray) out = NULL;
  const gint16 *x;
  double level, fraction;

  g_assert_no_error (error);
  out = decode_in_pieces (decoder, pcm->data, pcm->len);

  /* Length: one second at 16 kHz */
  g_assert_cmpfloat (fabs ((double) out->len - MIRA_AUDIO_RATE), <=, MIRA_AUDIO_RATE * 0.01);

  /* Frequency and level, away from the edges */
  x = (const gint16 *) out->data + 800;
  fraction = tone_fraction (x, 14000, freq);
  level = rms (x, 14000) / (0.5 * 32767.0 / G_SQRT2);
  g_test_message ("%6u Hz x %u x %u bytes: %u samples, %.4f of the energy at %.0f Hz, level %.3f",
                  rate, channels, width, out->len, fraction, freq, level);
  g_assert_cmpfloat (fraction, >, 0.98);
  g_assert_cmpfloat (level, >, 0.95);
  g_assert_cmpfloat (level, <, 1.05);
}

static void
test_pcm_conversions (void)
{
  static const guint rates[] = { 8000, 16000, 22050, 44100, 48000 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    for (guint width = 1; width <= 4; width++)
      for (guint channels = 1; channels <= 2; channels++)
        check_sine (rates[r], width, channels, 1000.0);
}

static void
test_pcm_odd_rates (void)
{
  /* 11025: 640 exact phases; 8001 and 191999: interpolated phases */
  static const guint rates[] = { 11025, 8001, 12345, 96000, 191999, 192000 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    check_sine (rates[r], 2, 1, 1000.0);
  check_sine (32000, 2, 8, 3000.0);
}

static double
tone_level_at_16k (guint  rate,
                   double freq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_pcm (rate, 2, 1, &error);
  g_autoptr(GByteArray) pcm = make_pcm (rate, 2, 1, freq, 0.5, rate);
  g_autoptr(GArray) out = NULL;
  double level;

  g_assert_no_error (error);
  out = decode_in_pieces (decoder, pcm->data, pcm->len);
  level = rms ((const gint16 *) out->data + 800, 14000) / (0.5 * 32767.0 / G_SQRT2);
  g_test_message ("%.0f Hz at %u Hz -> %.1f dB", freq, rate, 20.0 * log10 (MAX (level, 1e-9)));
  return level;
}

static void
test_pcm_anti_alias (void)
{
  /* Speech band passes */
  g_assert_cmpfloat (tone_level_at_16k (48000, 7000.0), >, 0.8);
  g_assert_cmpfloat (tone_level_at_16k (44100, 7000.0), >, 0.8);
  g_assert_cmpfloat (tone_level_at_16k (48000, 4000.0), >, 0.98);

  /* Above 8 kHz would fold back into it: gone (below -60 dB) */
  g_assert_cmpfloat (tone_level_at_16k (48000, 11000.0), <, 0.001);
  g_assert_cmpfloat (tone_level_at_16k (44100, 11000.0), <, 0.001);
  g_assert_cmpfloat (tone_level_at_16k (48000, 9000.0), <, 0.001);
  g_assert_cmpfloat (tone_level_at_16k (22050, 9000.0), <, 0.001);
  g_assert_cmpfloat (tone_level_at_16k (96000, 20000.0), <, 0.001);
}

static void
test_pcm_partial_frames (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraAudioDecoder) a = mira_audio_decoder_new_pcm (44100, 3, 2, &error);
  g_autoptr(MiraAudioDecoder) b = mira_audio_decoder_new_pcm (44100, 3, 2, &error);
  g_autoptr(GByteArray) pcm = make_pcm (44100, 3, 2, 440.0, 0.3, 4410);
  g_autoptr(GArray) whole = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_autoptr(GArray) bytewise = g_array_new (FALSE, FALSE, sizeof (gint16));

  /* One push, or one byte at a time: the same samples */
  g_assert_true (mira_audio_decoder_push (a, pcm->data, pcm->len, whole, &error));
  for (guint i = 0; i < pcm->len; i++)
    g_assert_true (mira_audio_decoder_push (b, pcm->data + i, 1, bytewise, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (whole->len, >, 1500);
  g_assert_cmpmem (whole->data, whole->len * 2, bytewise->data, bytewise->len * 2);

  /* Empty pushes are fine */
  g_assert_true (mira_audio_decoder_push (a, NULL, 0, whole, &error));
  g_assert_no_error (error);
}

/* Opus ---------------------------------------------------------------------- */

typedef struct {
  guint        rate;
  guint        channels;
  guint        frame_ms;
  gboolean     omi_header;   /* packets carry the 3-byte header */
  gboolean     omi_decoder;  /* the decoder looks for it */
} OpusCase;

static GPtrArray *
encode_opus (guint rate,
             guint channels,
             guint frame_ms,
             guint n_packets,
             gboolean omi_header)
{
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint frame = rate / 1000 * frame_ms;
  g_autoptr(GByteArray) pcm = make_pcm (rate, 2, channels, 1000.0, 0.5, (gsize) frame * n_packets);
  int err = OPUS_OK;
  OpusEncoder *enc = opus_encoder_create ((opus_int32) rate, (int) channels,
                                          OPUS_APPLICATION_VOIP, &err);

  g_assert_cmpint (err, ==, OPUS_OK);
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (32000));

  for (guint i = 0; i < n_packets; i++)
    {
      guint8 buf[4000];
      guint8 *dst = omi_header ? buf + 3 : buf;
      gint16 in[2880 * 2];
      int n;

      for (guint k = 0; k < frame * channels; k++)
        {
          const guint8 *p = pcm->data + ((gsize) i * frame * channels + k) * 2;

          in[k] = (gint16) (p[0] | p[1] << 8);
        }
      n = opus_encode (enc, in, (int) frame, dst, 3000);
      g_assert_cmpint (n, >, 0);
      if (omi_header)
        {
          buf[0] = i & 0xff;
          buf[1] = (i >> 8) & 0xff;
          buf[2] = 0;
          n += 3;
        }
      g_ptr_array_add (packets, g_bytes_new (buf, (gsize) n));
    }
  opus_encoder_destroy (enc);
  return packets;
}

static void
test_opus_round_trip (void)
{
  static const guint rates[] = { 16000, 48000 };
  static const guint frames[] = { 10, 20, 40, 60 };
  static const gboolean omi[][2] = { { FALSE, FALSE }, { TRUE, TRUE }, { FALSE, TRUE } };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    for (guint channels = 1; channels <= 2; channels++)
      for (guint f = 0; f < G_N_ELEMENTS (frames); f++)
        for (guint o = 0; o < G_N_ELEMENTS (omi); o++)
          {
            guint n_packets = 1200 / frames[f];   /* 1.2 s */
            g_autoptr(GPtrArray) packets = encode_opus (rates[r], channels, frames[f], n_packets,
                                                        omi[o][0]);
            g_autoptr(GError) error = NULL;
            g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_opus (rates[r], channels,
                                                                               omi[o][1], &error);
            g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (gint16));
            const gint16 *x;
            double fraction, level;

            g_assert_no_error (error);
            g_assert_true (mira_audio_decoder_is_opus (decoder));
            for (guint i = 0; i < packets->len; i++)
              {
                GBytes *packet = g_ptr_array_index (packets, i);
                gsize len;
                const guint8 *data = g_bytes_get_data (packet, &len);
                guint before = out->len;

                g_assert_true (mira_audio_decoder_push (decoder, data, len, out, &error));
                g_assert_no_error (error);
                g_assert_cmpuint (out->len - before, ==, frames[f] * 16);
              }
            g_assert_cmpuint (out->len, ==, 19200);

            x = (const gint16 *) out->data + 3200;
            fraction = tone_fraction (x, 12800, 1000.0);
            level = rms (x, 12800) / (0.5 * 32767.0 / G_SQRT2);
            g_test_message ("Opus %u Hz x %u, %u ms, header %d/%d: %.3f at 1 kHz, level %.2f",
                            rates[r], channels, frames[f], omi[o][0], omi[o][1], fraction, level);
            g_assert_cmpfloat (fraction, >, 0.9);
            g_assert_cmpfloat (level, >, 0.7);
            g_assert_cmpfloat (level, <, 1.3);
          }
}

/* A live stream's bad packet is stood in for: Opus concealment as long as
 * the last good packet, the last good PCM packet again; a PCM chunk that is
 * not whole frames is refused whole, and what follows decodes as before.
 */
static void
test_conceal (void)
{
  g_autoptr(GPtrArray) packets = encode_opus (16000, 1, 40, 10, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MiraAudioDecoder) opus = mira_audio_decoder_new_opus (16000, 1, FALSE, &error);
  g_autoptr(MiraAudioDecoder) pcm = mira_audio_decoder_new_pcm (16000, 2, 1, &error);
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_autoptr(GByteArray) tone = make_pcm (16000, 2, 1, 1000.0, 0.5, 320);
  static const guint8 ff[] = { 0xff, 0xff, 0xff };
  gsize len;
  const guint8 *data;

  g_assert_no_error (error);

  /* Opus: before any packet, 20 ms; after a 40 ms one, 40 ms of it going on */
  mira_audio_decoder_conceal (opus, sizeof ff, out);
  g_assert_cmpuint (out->len, ==, 320);
  g_array_set_size (out, 0);
  data = g_bytes_get_data (g_ptr_array_index (packets, 0), &len);
  g_assert_true (mira_audio_decoder_push_packet (opus, data, len, out, &error));
  g_assert_false (mira_audio_decoder_push_packet (opus, ff, sizeof ff, out, &error));
  g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (out->len, ==, 640);
  mira_audio_decoder_conceal (opus, sizeof ff, out);
  g_assert_cmpuint (out->len, ==, 1280);
  g_assert_cmpfloat (rms ((const gint16 *) out->data + 640, 640), >, 1000);
  data = g_bytes_get_data (g_ptr_array_index (packets, 1), &len);
  g_assert_true (mira_audio_decoder_push_packet (opus, data, len, out, &error));
  g_assert_cmpuint (out->len, ==, 1920);

  /* PCM: an odd chunk is refused and decodes nothing; its stand-in is the
   * last good packet; whole frames after it decode as before.
   */
  g_array_set_size (out, 0);
  mira_audio_decoder_conceal (pcm, 640, out);
  g_assert_cmpuint (out->len, ==, 320);
  g_assert_cmpfloat (rms ((const gint16 *) out->data, 320), ==, 0);
  g_array_set_size (out, 0);
  g_assert_true (mira_audio_decoder_push_packet (pcm, tone->data, tone->len, out, &error));
  g_assert_false (mira_audio_decoder_push_packet (pcm, tone->data, tone->len - 1, out, &error));
  g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (out->len, ==, 320);
  mira_audio_decoder_conceal (pcm, tone->len - 1, out);
  g_assert_cmpuint (out->len, ==, 640);
  g_assert_cmpmem (out->data, 640, (const gint16 *) out->data + 320, 640);
  g_assert_true (mira_audio_decoder_push_packet (pcm, tone->data, tone->len, out, &error));
  g_assert_cmpmem (tone->data, tone->len, (const gint16 *) out->data + 640, 640);
}

static void
test_opus_garbage (void)
{
  static const guint8 bad_code3[] = { 0x03, 0x00 };               /* zero frames */
  static const guint8 bad_code1[] = { 0x01, 0x10 };               /* odd split */
  static const guint8 bad_code2[] = { 0x02, 0xfc };               /* length past the end */
  static const guint8 too_long[] = { 0x1b, 0x3f, 0x00 };          /* 63 frames of 20 ms */
  static const struct { const guint8 *data; gsize len; } bad[] = {
    { bad_code3, sizeof bad_code3 },
    { bad_code1, sizeof bad_code1 },
    { bad_code2, sizeof bad_code2 },
    { too_long, sizeof too_long },
    { bad_code3, 0 },
  };
  guint n_ok = 0;

  for (guint header = 0; header <= 1; header++)
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_opus (16000, 1, header,
                                                                           &error);
        g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (gint16));

        g_assert_false (mira_audio_decoder_push (decoder, bad[i].data, bad[i].len, out, &error));
        g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
        g_assert_cmpuint (out->len, ==, 0);
        g_test_message ("%s", error->message);
      }

  /* Random bytes: errors or noise, never a crash */
  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_opus (48000, 2, i % 2, &error);
      g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (gint16));
      gsize len = (gsize) g_test_rand_int_range (0, 1500);
      g_autofree guint8 *packet = g_malloc (MAX (len, 1));

      for (gsize k = 0; k < len; k++)
        packet[k] = (guint8) g_test_rand_int_range (0, 256);
      if (mira_audio_decoder_push (decoder, packet, len, out, &error))
        {
          n_ok++;
          g_assert_cmpuint (out->len, <=, 1920);
        }
      else
        g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
    }
  g_test_message ("%u of 3000 random packets decoded as noise", n_ok);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MiraAudioDecoder) decoder = mira_audio_decoder_new_opus (44100, 1, FALSE, &error);

    g_assert_null (decoder);
    g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
    g_clear_error (&error);
    decoder = mira_audio_decoder_new_opus (16000, 3, FALSE, &error);
    g_assert_null (decoder);
    g_assert_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID);
  }
}

/* Files --------------------------------------------------------------------- */

static gboolean
run (const char * const *argv,
     char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err_text = NULL;
  int status = 0;

  /* Our stdout is the TAP stream: keep the tools off it */
  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | (out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
                     NULL, NULL, out, &err_text, &status, &error))
    {
      g_test_message ("%s: %s", argv[0], error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("%s: %s: %s", argv[0], error->message, err_text);
      return FALSE;
    }
  return TRUE;
}

static guint64
soxi (const char *path,
      const char *what)
{
  const char *argv[] = { "sox", "--i", what, path, NULL };
  g_autofree char *out = NULL;

  g_assert_true (run (argv, &out));
  return g_ascii_strtoull (out, NULL, 10);
}

static GArray *
decode_path (const char  *path,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &len, &local_error));
  g_assert_no_error (local_error);
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  return mira_audio_file_decode (bytes, error);
}

static void
assert_file_error (const guint8 *data,
                   gsize         len,
                   gint          code)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) out = mira_audio_file_decode (bytes, &error);

  g_assert_null (out);
  g_assert_error (error, MIRA_AUDIO_ERROR, code);
  g_test_message ("%" G_GSIZE_FORMAT " bytes -> %s", len, error->message);
}

static void
test_file_wav (void)
{
  static const char *variants[][12] = {
    { "s16-16k.wav", NULL },
    { "s24-44k-stereo.wav", "-r", "44100", "-c", "2", "-b", "24", NULL },
    { "u8-8k.wav", "-r", "8000", "-b", "8", NULL },
    { "f32-48k.wav", "-r", "48000", "-e", "floating-point", "-b", "32", NULL },
    { "s32-22k.wav", "-r", "22050", "-b", "32", NULL },
    { "f64-11k-6ch.wav", "-r", "11025", "-c", "6", "-e", "floating-point", "-b", "64", NULL },
    { "s16-96k-3ch.wav", "-r", "96000", "-c", "3", NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *speech = NULL;
  g_autoptr(GArray) reference = NULL;
  double reference_level;
  const char *flite_argv[] = {
    "flite", "-voice", "slt", "-t", "Remind me to call the dentist tomorrow at nine.",
    "-o", NULL, NULL,
  };

  g_autofree char *flite = g_find_program_in_path ("flite");
  g_autofree char *sox = g_find_program_in_path ("sox");

  /* Never skipped: build-aux/install-deps.sh installs both. */
  if (flite == NULL || sox == NULL)
    g_error ("flite and sox are needed (build-aux/install-deps.sh installs them)");

  dir = g_dir_make_tmp ("mira-audio-XXXXXX", &error);
  g_assert_no_error (error);
  speech = g_build_filename (dir, "speech.wav", NULL);
  flite_argv[6] = speech;
  g_assert_true (run (flite_argv, NULL));

  /* flite's own file */
  reference = decode_path (speech, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs ((double) reference->len
                           - (double) soxi (speech, "-s") * MIRA_AUDIO_RATE / soxi (speech, "-r")),
                     <=, 1.0);
  g_assert_cmpuint (reference->len, >, MIRA_AUDIO_RATE);   /* over a second of speech */
  reference_level = rms ((const gint16 *) reference->data, reference->len);
  g_assert_cmpfloat (reference_level, >, 300.0);

  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      g_autofree char *path = g_build_filename (dir, variants[v][0], NULL);
      const char *argv[16] = { "sox", speech, };
      guint n = 2;
      g_autoptr(GArray) out = NULL;
      double expected, level;

      for (guint k = 1; variants[v][k] != NULL; k++)
        argv[n++] = variants[v][k];
      argv[n++] = path;
      g_assert_true (run (argv, NULL));

      out = decode_path (path, &error);
      g_assert_no_error (error);
      expected = (double) soxi (path, "-s") * MIRA_AUDIO_RATE / soxi (path, "-r");
      level = rms ((const gint16 *) out->data, out->len);
      g_test_message ("%s: %u samples, expected %.0f; level %.0f vs %.0f", variants[v][0],
                      out->len, expected, level, reference_level);
      g_assert_cmpfloat (fabs (out->len - expected), <=, expected * 0.01);
      g_assert_cmpfloat (fabs (out->len - (double) reference->len), <=, reference->len * 0.01);
      g_assert_cmpfloat (level, >, reference_level * 0.85);
      g_assert_cmpfloat (level, <, reference_level * 1.15);
      g_unlink (path);
    }

  /* Truncated and lying files */
  {
    g_autofree char *contents = NULL;
    gsize len;
    g_autofree guint8 *copy = NULL;

    g_assert_true (g_file_get_contents (speech, &contents, &len, NULL));
    assert_file_error ((const guint8 *) contents, len / 2, MIRA_AUDIO_ERROR_INVALID);
    assert_file_error ((const guint8 *) contents, len - 1, MIRA_AUDIO_ERROR_INVALID);
    assert_file_error ((const guint8 *) contents, 30, MIRA_AUDIO_ERROR_INVALID);
    assert_file_error ((const guint8 *) contents, 12, MIRA_AUDIO_ERROR_INVALID);

    /* The fmt chunk claims 4 channels of 16 bits in 2-byte frames */
    copy = g_memdup2 (contents, len);
    g_assert_cmpmem (copy + 12, 4, "fmt ", 4);
    copy[22] = 4;
    assert_file_error (copy, len, MIRA_AUDIO_ERROR_INVALID);

    /* µ-law */
    memcpy (copy, contents, len);
    copy[20] = 7;
    assert_file_error (copy, len, MIRA_AUDIO_ERROR_UNSUPPORTED);

    /* A writer that could not seek back left the data size unknown */
    memcpy (copy, contents, len);
    g_assert_cmpmem (copy + 36, 4, "data", 4);
    memset (copy + 40, 0xff, 4);
    {
      g_autoptr(GBytes) bytes = g_bytes_new (copy, len - 1);
      g_autoptr(GArray) out = mira_audio_file_decode (bytes, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (out->len, ==, reference->len - 1);
    }

    /* The fmt chunk's size runs past the end */
    memcpy (copy, contents, len);
    copy[16] = 0xff;
    copy[17] = 0xff;
    copy[18] = 0xff;
    assert_file_error (copy, len, MIRA_AUDIO_ERROR_INVALID);
  }

  g_unlink (speech);
  g_rmdir (dir);
}

/* What a program writes: to a pipe, so that it cannot seek back and fix
 * the sizes (SoX leaves 0x7ffff000), or with 0 there; Python's wave; FLAC.
 * Each must decode to as much audio as sox itself reads from it.
 */
static GBytes *
run_bytes (const char * const *argv,
           GBytes             *input)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) out = NULL;

  proc = g_subprocess_newv (argv, (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0)
                                  | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                  | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (proc, input, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  return g_steal_pointer (&out);
}

static GArray *
decode_bytes (GBytes  *bytes,
              GError **error)
{
  return mira_audio_file_decode (bytes, error);
}

/* Samples sox reads from @bytes, at 16 kHz */
static double
sox_length_16k (GBytes     *bytes,
                const char *type)
{
  const char *argv[] = { "sox", "-t", type, "-", "-t", "raw", "-r", "16000", "-c", "1",
                         "-e", "signed", "-b", "16", "-", NULL };
  g_autoptr(GBytes) raw = run_bytes (argv, bytes);

  return (double) g_bytes_get_size (raw) / 2.0;
}

static void
check_decodes_like_sox (GBytes     *bytes,
                        const char *type,
                        const char *what,
                        double      reference_level)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) out = decode_bytes (bytes, &error);
  double expected = sox_length_16k (bytes, type);
  double level;

  g_assert_no_error (error);
  level = rms ((const gint16 *) out->data, out->len);
  g_test_message ("%s: %u samples, sox reads %.0f; level %.0f vs %.0f", what, out->len,
                  expected, level, reference_level);
  g_assert_cmpfloat (expected, >, MIRA_AUDIO_RATE);
  g_assert_cmpfloat (fabs (out->len - expected), <=, 2.0);
  g_assert_cmpfloat (level, >, reference_level * 0.85);
  g_assert_cmpfloat (level, <, reference_level * 1.15);
}

static void
test_file_written_by_tools (void)
{
  static const char *pipe_variants[][12] = {
    { "16-bit 16 kHz", NULL },
    { "float 48 kHz stereo", "-r", "48000", "-c", "2", "-e", "floating-point", "-b", "32", NULL },
    { "24-bit 44.1 kHz 3 channels", "-r", "44100", "-c", "3", "-b", "24", NULL },
    { "8-bit 8 kHz", "-r", "8000", "-b", "8", NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mira-audio-XXXXXX", &error);
  g_autofree char *speech = g_build_filename (dir, "speech.wav", NULL);
  const char *flite_argv[] = {
    "flite", "-voice", "slt", "-t", "Put the bins out on Thursday morning.", "-o", speech, NULL,
  };
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GBytes) original = NULL;
  g_autoptr(GArray) reference = NULL;
  g_autoptr(GBytes) raw = NULL;
  double reference_level;

  g_assert_no_error (error);
  g_assert_true (run (flite_argv, NULL));
  g_assert_true (g_file_get_contents (speech, &contents, &len, NULL));
  original = g_bytes_new (contents, len);
  reference = decode_bytes (original, &error);
  g_assert_no_error (error);
  reference_level = rms ((const gint16 *) reference->data, reference->len);
  raw = g_bytes_new (reference->data, reference->len * 2);

  /* sox writing WAV to a pipe */
  for (guint v = 0; v < G_N_ELEMENTS (pipe_variants); v++)
    {
      /* From a pipe of raw samples: sox cannot know the length either */
      const char *argv[24] = { "sox", "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16",
                               "-c", "1", "-", };
      guint n = 12;
      g_autoptr(GBytes) wav = NULL;
      const guint8 *p;

      for (guint k = 1; pipe_variants[v][k] != NULL; k++)
        argv[n++] = pipe_variants[v][k];
      argv[n++] = "-t";
      argv[n++] = "wav";
      argv[n++] = "-";
      wav = run_bytes (argv, raw);
      p = g_bytes_get_data (wav, NULL);
      /* The data size sox could not know, after the header it wrote */
      g_assert_cmpuint (p[4] | p[5] << 8 | p[6] << 16 | (guint) p[7] << 24, >=, 0x7fff0000u);
      if (v == 2)
        g_assert_cmpuint (p[20] | p[21] << 8, ==, 0xfffe);   /* WAVE_FORMAT_EXTENSIBLE */
      check_decodes_like_sox (wav, "wav", pipe_variants[v][0], reference_level);
    }

  /* A writer that left 0 for both sizes: the data runs to the end */
  {
    g_autofree guint8 *copy = g_memdup2 (contents, len);
    g_autoptr(GBytes) zero = NULL;
    g_autoptr(GArray) out = NULL;

    g_assert_cmpmem (copy + 36, 4, "data", 4);
    memset (copy + 4, 0, 4);
    memset (copy + 40, 0, 4);
    zero = g_bytes_new (copy, len);
    out = decode_bytes (zero, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (out->len, ==, reference->len);
    g_assert_cmpmem (out->data, out->len * 2, reference->data, reference->len * 2);
  }

  /* Python's wave, to a file and, in one write, to a pipe */
  {
    const char *script =
      "import math, sys, wave\n"
      "out = sys.stdout.buffer if sys.argv[1] == '-' else open(sys.argv[1], 'wb')\n"
      "w = wave.open(out, 'wb')\n"
      "w.setnchannels(2); w.setsampwidth(2); w.setframerate(22050)\n"
      "w.writeframes(b''.join(int(6000 * math.sin(i * 0.1)).to_bytes(2, 'little', signed=True) * 2\n"
      "                       for i in range(44100)))\n"
      "w.close()\n";
    g_autofree char *path = g_build_filename (dir, "python.wav", NULL);
    const char *to_file[] = { "python3", "-c", script, path, NULL };
    const char *to_pipe[] = { "python3", "-c", script, "-", NULL };
    g_autoptr(GBytes) piped = NULL;
    g_autofree char *written = NULL;
    gsize written_len;
    g_autoptr(GBytes) file = NULL;

    g_assert_true (run (to_file, NULL));
    g_assert_true (g_file_get_contents (path, &written, &written_len, NULL));
    file = g_bytes_new (written, written_len);
    check_decodes_like_sox (file, "wav", "Python's wave to a file", 6000 / G_SQRT2);
    piped = run_bytes (to_pipe, NULL);
    check_decodes_like_sox (piped, "wav", "Python's wave to a pipe", 6000 / G_SQRT2);
    g_unlink (path);
  }

  /* FLAC, 16 and 24 bits, by sox to a file; cut short it is an error */
  for (guint bits = 16; bits <= 24; bits += 8)
    {
      g_autofree char *path = g_build_filename (dir, "speech.flac", NULL);
      g_autofree char *bits_arg = g_strdup_printf ("%u", bits);
      const char *argv[] = { "sox", speech, "-r", "44100", "-b", bits_arg, path, NULL };
      g_autofree char *flac = NULL;
      gsize flac_len;
      g_autoptr(GBytes) bytes = NULL;

      g_assert_true (run (argv, NULL));
      g_assert_true (g_file_get_contents (path, &flac, &flac_len, NULL));
      bytes = g_bytes_new (flac, flac_len);
      check_decodes_like_sox (bytes, "flac", bits == 16 ? "FLAC 16-bit" : "FLAC 24-bit",
                              reference_level);
      assert_file_error ((const guint8 *) flac, flac_len / 2, MIRA_AUDIO_ERROR_INVALID);
      assert_file_error ((const guint8 *) flac, 60, MIRA_AUDIO_ERROR_INVALID);
      g_unlink (path);
    }

  /* FLAC written to a pipe: its length unknown to the header */
  {
    const char *argv[] = { "sox", "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c",
                           "1", "-", "-t", "flac", "-", NULL };
    g_autoptr(GBytes) flac = run_bytes (argv, raw);

    check_decodes_like_sox (flac, "flac", "FLAC to a pipe", reference_level);
  }

  /* Garbage behind each container's magic: a clear refusal, never a crash */
  {
    static const char *magics[] = { "RIFF\xff\xff\xff\x7f" "WAVE", "fLaC", "OggS" };

    for (guint m = 0; m < G_N_ELEMENTS (magics); m++)
      for (guint round = 0; round < 20; round++)
        {
          gsize n = (gsize) g_test_rand_int_range (16, 20000);
          g_autofree guint8 *junk = g_malloc (n);
          g_autoptr(GBytes) bytes = NULL;
          g_autoptr(GArray) out = NULL;

          for (gsize i = 0; i < n; i++)
            junk[i] = (guint8) g_test_rand_int_range (0, 256);
          memcpy (junk, magics[m], strlen (magics[m]));
          bytes = g_bytes_new (junk, n);
          out = decode_bytes (bytes, &error);
          g_assert_null (out);
          g_assert_true (error->domain == MIRA_AUDIO_ERROR);
          g_assert_true (error->code == MIRA_AUDIO_ERROR_INVALID
                         || error->code == MIRA_AUDIO_ERROR_UNSUPPORTED);
          g_clear_error (&error);
        }
  }

  g_unlink (speech);
  g_rmdir (dir);
}

/* A minimal Ogg muxer: each packet starts a page; big packets continue on
 * more pages.
 */
static guint32
crc32_ogg (const guint8 *p,
           gsize         len)
{
  guint32 crc = 0;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= (guint32) p[i] << 24;
      for (int k = 0; k < 8; k++)
        crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
    }
  return crc;
}

static void
ogg_write_packet (GByteArray   *ogg,
                  guint32      *seq,
                  gint64        granule,
                  guint         flags,
                  const guint8 *data,
                  gsize         len)
{
  gsize pos = 0;
  gboolean continued = FALSE;
  gboolean ends = FALSE;

  do
    {
      guint8 header[27 + 255];
      guint n_segs = 0;
      gsize start = pos;
      guint32 crc;
      guint page_start = ogg->len;

      while (n_segs < 255)
        {
          gsize seg = MIN (len - pos, 255);

          header[27 + n_segs++] = (guint8) seg;
          pos += seg;
          if (seg < 255)
            {
              ends = TRUE;
              break;
            }
        }
      memcpy (header, "OggS", 4);
      header[4] = 0;
      header[5] = (continued ? 0x01 : 0) | (flags & (start == 0 ? 0x02 : 0))
                  | (ends ? flags & 0x04 : 0);
      for (int b = 0; b < 8; b++)
        header[6 + b] = (guint8) ((guint64) (ends ? granule : -1) >> (8 * b));
      memcpy (header + 14, "\x4d\x49\x52\x41", 4);
      for (int b = 0; b < 4; b++)
        header[18 + b] = (guint8) (*seq >> (8 * b));
      memset (header + 22, 0, 4);
      header[26] = (guint8) n_segs;
      (*seq)++;

      g_byte_array_append (ogg, header, 27 + n_segs);
      g_byte_array_append (ogg, data + start, (guint) (pos - start));
      crc = crc32_ogg (ogg->data + page_start, ogg->len - page_start);
      for (int b = 0; b < 4; b++)
        ogg->data[page_start + 22 + b] = (guint8) (crc >> (8 * b));
      continued = TRUE;
    }
  while (!ends);
}

static GByteArray *
make_ogg_opus (guint  channels,
               guint  n_samples_48k,
               gsize  tags_len)
{
  GByteArray *ogg = g_byte_array_new ();
  guint32 seq = 0;
  int err = OPUS_OK;
  OpusMSEncoder *enc;
  unsigned char mapping[8];
  int streams, coupled;
  opus_int32 lookahead = 0;
  guint8 head[32] = "OpusHead";
  gsize head_len;
  g_autofree guint8 *tags = g_malloc0 (tags_len);
  g_autoptr(GByteArray) pcm = NULL;
  guint total;
  gint64 granule;

  enc = opus_multistream_surround_encoder_create (48000, (int) channels, channels > 2 ? 1 : 0,
                                                  &streams, &coupled, mapping,
                                                  OPUS_APPLICATION_AUDIO, &err);
  g_assert_cmpint (err, ==, OPUS_OK);
  opus_multistream_encoder_ctl (enc, OPUS_GET_LOOKAHEAD (&lookahead));

  head[8] = 1;
  head[9] = (guint8) channels;
  head[10] = lookahead & 0xff;
  head[11] = (lookahead >> 8) & 0xff;
  head[12] = 0x80;   /* 48000 */
  head[13] = 0xbb;
  head[14] = 0;
  head[15] = 0;
  head[16] = 0;      /* gain */
  head[17] = 0;
  head[18] = channels > 2 ? 1 : 0;
  head_len = 19;
  if (channels > 2)
    {
      head[19] = (guint8) streams;
      head[20] = (guint8) coupled;
      memcpy (head + 21, mapping, channels);
      head_len = 21 + channels;
    }
  ogg_write_packet (ogg, &seq, 0, 0x02, head, head_len);

  g_assert_cmpuint (tags_len, >=, 16);
  memcpy (tags, "OpusTags", 8);
  ogg_write_packet (ogg, &seq, 0, 0, tags, tags_len);

  /* Encoder delay first, padding last; the granule says where audio ends */
  total = n_samples_48k + (guint) lookahead;
  total += (960 - total % 960) % 960;
  pcm = make_pcm (48000, 2, channels, 1000.0, 0.5, total);
  granule = 0;
  for (guint f = 0; f < total / 960; f++)
    {
      guint8 packet[4000];
      const guint8 *in = pcm->data + (gsize) f * 960 * channels * 2;
      int n = opus_multistream_encode (enc, (const opus_int16 *) in, 960, packet, sizeof packet);
      gboolean last = f + 1 == total / 960;

      g_assert_cmpint (n, >, 0);
      granule += 960;
      ogg_write_packet (ogg, &seq, last ? n_samples_48k + lookahead : granule, last ? 0x04 : 0,
                        packet, (gsize) n);
    }
  opus_multistream_encoder_destroy (enc);
  return ogg;
}

static void
test_file_ogg_opus (void)
{
  static const guint channel_counts[] = { 1, 2, 3 };

  for (guint c = 0; c < G_N_ELEMENTS (channel_counts); c++)
    {
      /* 1 s of audio; OpusTags spanning two pages in one case */
      g_autoptr(GByteArray) ogg = make_ogg_opus (channel_counts[c], 48000,
                                                 c == 1 ? 70000 : 40);
      g_autoptr(GBytes) bytes = g_bytes_new (ogg->data, ogg->len);
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) out = mira_audio_file_decode (bytes, &error);
      const gint16 *x;
      double fraction, level;

      g_assert_no_error (error);
      g_assert_cmpuint (out->len, ==, 16000);
      x = (const gint16 *) out->data + 800;
      fraction = tone_fraction (x, 14400, 1000.0);
      level = rms (x, 14400) / (0.5 * 32767.0 / G_SQRT2);
      g_test_message ("Ogg Opus, %u channels: %u samples, %.3f at 1 kHz, level %.2f",
                      channel_counts[c], out->len, fraction, level);
      g_assert_cmpfloat (fraction, >, 0.9);
      g_assert_cmpfloat (level, >, 0.7);
      g_assert_cmpfloat (level, <, 1.3);

      /* The start lines up: pre-skip removed the encoder delay */
      g_assert_cmpint (ABS (g_array_index (out, gint16, 0)), <, 3000);
      g_assert_cmpint (ABS (g_array_index (out, gint16, 4)), >, 5000);

      if (c == 0)
        {
          g_autofree guint8 *copy = g_memdup2 (ogg->data, ogg->len);

          assert_file_error (ogg->data, ogg->len - 10, MIRA_AUDIO_ERROR_INVALID);
          assert_file_error (ogg->data, 20, MIRA_AUDIO_ERROR_INVALID);
          copy[ogg->len / 2] ^= 0x55;   /* checksum no longer matches */
          assert_file_error (copy, ogg->len, MIRA_AUDIO_ERROR_INVALID);
        }
    }
}

static void
test_file_other (void)
{
  static const guint8 raw[] = { 0x01, 0x00, 0xff, 0xff, 0x00, 0x80 };
  g_autoptr(GBytes) bytes = g_bytes_new (raw, sizeof raw);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) out = mira_audio_file_decode (bytes, &error);
  GByteArray *vorbis = g_byte_array_new ();
  guint32 seq = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 3);
  g_assert_cmpint (g_array_index (out, gint16, 0), ==, 1);
  g_assert_cmpint (g_array_index (out, gint16, 1), ==, -1);
  g_assert_cmpint (g_array_index (out, gint16, 2), ==, -32768);

  assert_file_error (raw, 5, MIRA_AUDIO_ERROR_INVALID);
  assert_file_error (raw, 0, MIRA_AUDIO_ERROR_INVALID);
  /* FLAC is read: a broken one is a broken file */
  assert_file_error ((const guint8 *) "fLaC\0\0\0\x22", 8, MIRA_AUDIO_ERROR_INVALID);
  assert_file_error ((const guint8 *) "ID3\x04\0\0\0\0\0\x21", 10, MIRA_AUDIO_ERROR_UNSUPPORTED);
  assert_file_error ((const guint8 *) "FORM\0\0\0\x30" "AIFFCOMM", 16,
                     MIRA_AUDIO_ERROR_UNSUPPORTED);
  assert_file_error ((const guint8 *) "\x1a\x45\xdf\xa3\x01\x00", 6, MIRA_AUDIO_ERROR_UNSUPPORTED);
  assert_file_error ((const guint8 *) "RIFF\x10\0\0\0AVI LIST", 16, MIRA_AUDIO_ERROR_UNSUPPORTED);

  ogg_write_packet (vorbis, &seq, 0, 0x02, (const guint8 *) "\x01vorbis\0\0\0\0\x01", 12);
  assert_file_error (vorbis->data, vorbis->len, MIRA_AUDIO_ERROR_UNSUPPORTED);
  g_byte_array_unref (vorbis);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/audio-decoder/pcm/invalid", test_pcm_invalid);
  g_test_add_func ("/audio-decoder/pcm/passthrough", test_pcm_passthrough);
  g_test_add_func ("/audio-decoder/pcm/conversions", test_pcm_conversions);
  g_test_add_func ("/audio-decoder/pcm/odd-rates", test_pcm_odd_rates);
  g_test_add_func ("/audio-decoder/pcm/anti-alias", test_pcm_anti_alias);
  g_test_add_func ("/audio-decoder/pcm/partial-frames", test_pcm_partial_frames);
  g_test_add_func ("/audio-decoder/opus/round-trip", test_opus_round_trip);
  g_test_add_func ("/audio-decoder/opus/garbage", test_opus_garbage);
  g_test_add_func ("/audio-decoder/conceal", test_conceal);
  g_test_add_func ("/audio-file/wav", test_file_wav);
  g_test_add_func ("/audio-file/written-by-tools", test_file_written_by_tools);
  g_test_add_func ("/audio-file/ogg-opus", test_file_ogg_opus);
  g_test_add_func ("/audio-file/other", test_file_other);

  return g_test_run ();
}
