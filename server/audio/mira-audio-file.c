/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-file"

#include "mira-audio-file.h"

#include <string.h>
#include <opus.h>
#include <opus_multistream.h>

#include "mira-audio-decoder.h"
#include "mira-error.h"

#define WAVE_FORMAT_PCM         0x0001
#define WAVE_FORMAT_IEEE_FLOAT  0x0003
#define WAVE_FORMAT_EXTENSIBLE  0xfffe
#define OPUS_MAX_FRAME_16K      1920     /* 120 ms */
#define MAX_SAMPLES             ((gsize) MIRA_AUDIO_FILE_MAX_SECONDS * MIRA_AUDIO_RATE)

static inline guint16
u16le (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

static inline guint32
u32le (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static inline guint64
u64le (const guint8 *p)
{
  return (guint64) u32le (p) | (guint64) u32le (p + 4) << 32;
}

/* For the many "this file is broken" exits: always FALSE */
static gboolean
set_invalid (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, MIRA_ERROR, MIRA_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
set_too_long (GError **error)
{
  g_set_error (error, MIRA_ERROR, MIRA_ERROR_TOO_LARGE,
               "The audio is longer than %d seconds", MIRA_AUDIO_FILE_MAX_SECONDS);
  return FALSE;
}

/* WAV ----------------------------------------------------------------------- */

static const char *
wav_format_name (guint tag)
{
  switch (tag)
    {
    case 0x0002: return "MS ADPCM";
    case 0x0006: return "A-law";
    case 0x0007: return "µ-law";
    case 0x0011: return "IMA ADPCM";
    case 0x0031: return "GSM 6.10";
    case 0x0055: return "MP3";
    default:     return "compressed";
    }
}

static GArray *
decode_wav (const guint8  *p,
            gsize          len,
            GError       **error)
{
  static const guint8 ksdataformat_tail[14] = {
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
  };
  g_autoptr(MiraAudioDecoder) decoder = NULL;
  g_autoptr(GArray) out = NULL;
  const guint8 *fmt = NULL;
  gsize fmt_len = 0;
  const guint8 *data = NULL;
  gsize data_len = 0;
  gboolean open_ended = FALSE;
  gsize pos = 12;
  guint tag, channels, rate, block_align, bits;
  MiraSampleFormat format;
  guint64 expected;

  /* Chunks: id, little-endian size, body, a pad byte after odd bodies */
  while (pos + 8 <= len && (fmt == NULL || data == NULL))
    {
      const guint8 *id = p + pos;
      guint32 size = u32le (p + pos + 4);
      gsize body = pos + 8;
      gsize avail = len - body;

      if (memcmp (id, "data", 4) == 0)
        {
          if (size > avail)
            {
              /* Streaming writers that could not seek back leave these */
              if (size != 0xffffffff && size != 0x7fffffff)
                {
                  g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                               "The WAV data chunk announces %u bytes but only %" G_GSIZE_FORMAT
                               " follow: the file is truncated", size, avail);
                  return NULL;
                }
              size = (guint32) MIN (avail, G_MAXUINT32);
              open_ended = TRUE;
            }
          data = p + body;
          data_len = size;
        }
      else if (size > avail)
        {
          if (data != NULL)
            break;   /* a damaged trailer after the audio */
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "The WAV \"%c%c%c%c\" chunk announces %u bytes but only %" G_GSIZE_FORMAT
                       " follow: the file is truncated",
                       g_ascii_isprint (id[0]) ? id[0] : '?', g_ascii_isprint (id[1]) ? id[1] : '?',
                       g_ascii_isprint (id[2]) ? id[2] : '?', g_ascii_isprint (id[3]) ? id[3] : '?',
                       size, avail);
          return NULL;
        }
      else if (memcmp (id, "fmt ", 4) == 0 && fmt == NULL)
        {
          fmt = p + body;
          fmt_len = size;
        }
      pos = body + size + (size & 1);
    }

  if (fmt == NULL)
    {
      set_invalid (error, "The WAV file has no \"fmt \" chunk (truncated?)");
      return NULL;
    }
  if (data == NULL)
    {
      set_invalid (error, "The WAV file has no \"data\" chunk (truncated?)");
      return NULL;
    }
  if (fmt_len < 16)
    {
      set_invalid (error, "The WAV \"fmt \" chunk is too short");
      return NULL;
    }

  tag = u16le (fmt);
  channels = u16le (fmt + 2);
  rate = u32le (fmt + 4);
  block_align = u16le (fmt + 12);
  bits = u16le (fmt + 14);

  if (tag == WAVE_FORMAT_EXTENSIBLE)
    {
      if (fmt_len < 40 || memcmp (fmt + 26, ksdataformat_tail, sizeof ksdataformat_tail) != 0)
        {
          g_set_error_literal (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                               "The WAV file uses an unknown extensible format");
          return NULL;
        }
      tag = u16le (fmt + 24);
    }

  if (tag == WAVE_FORMAT_PCM && bits == 8)
    format = MIRA_SAMPLE_U8;
  else if (tag == WAVE_FORMAT_PCM && bits == 16)
    format = MIRA_SAMPLE_S16LE;
  else if (tag == WAVE_FORMAT_PCM && bits == 24)
    format = MIRA_SAMPLE_S24LE;
  else if (tag == WAVE_FORMAT_PCM && bits == 32)
    format = MIRA_SAMPLE_S32LE;
  else if (tag == WAVE_FORMAT_IEEE_FLOAT && bits == 32)
    format = MIRA_SAMPLE_F32LE;
  else if (tag == WAVE_FORMAT_IEEE_FLOAT && bits == 64)
    format = MIRA_SAMPLE_F64LE;
  else if (tag == WAVE_FORMAT_PCM || tag == WAVE_FORMAT_IEEE_FLOAT)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                   "WAV %s samples of %u bits are not supported",
                   tag == WAVE_FORMAT_PCM ? "integer" : "float", bits);
      return NULL;
    }
  else
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                   "WAV format 0x%04x (%s) is not supported: use PCM or float samples",
                   tag, wav_format_name (tag));
      return NULL;
    }

  if (channels == 0)
    {
      set_invalid (error, "The WAV file has zero channels");
      return NULL;
    }
  if (block_align != channels * (bits / 8))
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "The WAV block size of %u bytes does not match %u channels of %u bits",
                   block_align, channels, bits);
      return NULL;
    }
  if (open_ended)
    data_len -= data_len % block_align;   /* the writer never knew the size */
  if (data_len % block_align != 0)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "The WAV data (%" G_GSIZE_FORMAT " bytes) is not a whole number of "
                   "%u-byte frames: the file is damaged", data_len, block_align);
      return NULL;
    }

  decoder = mira_audio_decoder_new_raw (format, rate, channels, error);
  if (decoder == NULL)
    return NULL;
  /* What the header says, before anything is decoded */
  if ((guint64) data_len / block_align > (guint64) MIRA_AUDIO_FILE_MAX_SECONDS * rate)
    {
      set_too_long (error);
      return NULL;
    }

  expected = (guint64) data_len / block_align * MIRA_AUDIO_RATE / rate + 16;
  out = g_array_sized_new (FALSE, FALSE, sizeof (gint16), (guint) MIN (expected, G_MAXUINT / 4));
  if (!mira_audio_decoder_push (decoder, data, data_len, out, error))
    return NULL;
  mira_audio_decoder_flush (decoder, out);
  return g_steal_pointer (&out);
}

/* Ogg Opus ------------------------------------------------------------------ */

typedef struct {
  gboolean            selected;
  guint32             serial;
  guint               n_packets;     /* of the selected stream */
  GByteArray         *packet;        /* continued across pages */
  gboolean            dropping;      /* skipping a packet begun before we joined */
  const char         *other_codec;   /* first non-Opus stream, for the message */

  guint               channels;
  guint               pre_skip;      /* 48 kHz samples */
  OpusDecoder        *dec;
  OpusMSDecoder      *ms_dec;
  gint16             *scratch;       /* multistream: interleaved channels */
  gint64              last_granule;
  GArray             *out;
} OggOpus;

static void
ogg_opus_clear (OggOpus *o)
{
  g_clear_pointer (&o->packet, g_byte_array_unref);
  g_clear_pointer (&o->dec, opus_decoder_destroy);
  g_clear_pointer (&o->ms_dec, opus_multistream_decoder_destroy);
  g_clear_pointer (&o->scratch, g_free);
  g_clear_pointer (&o->out, g_array_unref);
}

static guint32
ogg_crc (guint32       crc,
         const guint8 *p,
         gsize         len)
{
  static guint32 table[256];
  static gsize init = 0;

  if (g_once_init_enter (&init))
    {
      for (guint i = 0; i < 256; i++)
        {
          guint32 r = (guint32) i << 24;

          for (int k = 0; k < 8; k++)
            r = r & 0x80000000u ? (r << 1) ^ 0x04c11db7u : r << 1;
          table[i] = r;
        }
      g_once_init_leave (&init, 1);
    }

  for (gsize i = 0; i < len; i++)
    crc = (crc << 8) ^ table[((crc >> 24) ^ p[i]) & 0xff];
  return crc;
}

static const char *
ogg_codec_name (const guint8 *p,
                gsize         len)
{
  if (len >= 7 && memcmp (p, "\x01vorbis", 7) == 0)
    return "Vorbis";
  if (len >= 8 && memcmp (p, "Speex   ", 8) == 0)
    return "Speex";
  if (len >= 5 && memcmp (p, "\x7f" "FLAC", 5) == 0)
    return "FLAC";
  if (len >= 7 && memcmp (p, "\x80theora", 7) == 0)
    return "Theora";
  return NULL;
}

static gboolean
opus_head (OggOpus       *o,
           const guint8  *p,
           gsize          len,
           GError       **error)
{
  guint family;
  gint16 gain;
  int err = OPUS_OK;

  if (len < 19 || (p[8] >> 4) != 0)
    {
      g_set_error_literal (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                           "The OpusHead header is too short or of an unknown version");
      return FALSE;
    }
  o->channels = p[9];
  o->pre_skip = u16le (p + 10);
  gain = (gint16) u16le (p + 16);
  family = p[18];

  if (o->channels == 0)
    return set_invalid (error, "The Ogg Opus stream has zero channels");

  if (family == 0)
    {
      if (o->channels > 2)
        return set_invalid (error, "An Ogg Opus stream of mapping family 0 has over 2 channels");
      /* Stereo is mixed down by libopus itself */
      o->dec = opus_decoder_create (MIRA_AUDIO_RATE, 1, &err);
      if (o->dec != NULL)
        opus_decoder_ctl (o->dec, OPUS_SET_GAIN (gain));
    }
  else if (family == 1 || family == 255)
    {
      guint streams, coupled;

      if (len < 21 + (gsize) o->channels)
        return set_invalid (error, "The OpusHead channel mapping is truncated");
      streams = p[19];
      coupled = p[20];
      o->ms_dec = opus_multistream_decoder_create (MIRA_AUDIO_RATE, (int) o->channels,
                                                   (int) streams, (int) coupled, p + 21, &err);
      if (o->ms_dec == NULL)
        {
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "The Ogg Opus channel mapping is invalid: %s", opus_strerror (err));
          return FALSE;
        }
      opus_multistream_decoder_ctl (o->ms_dec, OPUS_SET_GAIN (gain));
      o->scratch = g_new (gint16, (gsize) OPUS_MAX_FRAME_16K * o->channels);
    }
  else
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                   "Ogg Opus channel mapping family %u is not supported", family);
      return FALSE;
    }

  if (o->dec == NULL && o->ms_dec == NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_FAILED,
                   "Could not create an Opus decoder: %s", opus_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static gboolean
opus_audio_packet (OggOpus       *o,
                   const guint8  *p,
                   gsize          len,
                   GError       **error)
{
  guint old_len = o->out->len;
  int ret;

  if (len == 0)
    return TRUE;   /* RFC 7845 lets a muxer leave these; nothing to decode */
  if (len > G_MAXINT32)
    return set_invalid (error, "An Ogg Opus packet is too large");
  /* Tiny packets decode to much audio: stop at the cap, not after. One
   * packet over it may still be trimmed by the pre-skip and the last
   * granule position; the total is checked at the end.
   */
  if (old_len >= MAX_SAMPLES + OPUS_MAX_FRAME_16K)
    return set_too_long (error);

  if (o->dec != NULL)
    {
      g_array_set_size (o->out, old_len + OPUS_MAX_FRAME_16K);
      ret = opus_decode (o->dec, p, (opus_int32) len,
                         &g_array_index (o->out, gint16, old_len), OPUS_MAX_FRAME_16K, 0);
      g_array_set_size (o->out, old_len + MAX (ret, 0));
    }
  else
    {
      ret = opus_multistream_decode (o->ms_dec, p, (opus_int32) len, o->scratch,
                                     OPUS_MAX_FRAME_16K, 0);
      if (ret > 0)
        {
          g_array_set_size (o->out, old_len + ret);
          for (int i = 0; i < ret; i++)
            {
              gint32 sum = 0;

              for (guint c = 0; c < o->channels; c++)
                sum += o->scratch[(gsize) i * o->channels + c];
              g_array_index (o->out, gint16, old_len + i) = (gint16) (sum / (gint32) o->channels);
            }
        }
    }

  if (ret < 0)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                   "Ogg Opus packet %u could not be decoded: %s",
                   o->n_packets, opus_strerror (ret));
      return FALSE;
    }
  return TRUE;
}

static gboolean
ogg_packet (OggOpus       *o,
            const guint8  *p,
            gsize          len,
            GError       **error)
{
  guint index = o->n_packets++;

  if (index == 0)
    return opus_head (o, p, len, error);
  if (index == 1)
    {
      if (len < 8 || memcmp (p, "OpusTags", 8) != 0)
        return set_invalid (error, "The Ogg Opus stream lacks its OpusTags header");
      return TRUE;
    }
  return opus_audio_packet (o, p, len, error);
}

static GArray *
decode_ogg (const guint8  *p,
            gsize          len,
            GError       **error)
{
  OggOpus o = { 0, };
  g_autoptr(GArray) result = NULL;
  gsize pos = 0;
  gsize skip;

  o.packet = g_byte_array_new ();
  o.out = g_array_new (FALSE, FALSE, sizeof (gint16));
  o.last_granule = -1;

  while (pos < len)
    {
      const guint8 *page = p + pos;
      gsize avail = len - pos;
      guint flags, n_segs;
      gint64 granule;
      guint32 serial;
      gsize header_len, body_len = 0, page_len;
      const guint8 *body;
      gsize seg_start = 0;

      if (avail < 27)
        {
          set_invalid (error, "The Ogg file ends in the middle of a page: it is truncated");
          goto fail;
        }
      if (memcmp (page, "OggS", 4) != 0 || page[4] != 0)
        {
          g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                       "The Ogg file is damaged: no page starts at byte %" G_GSIZE_FORMAT, pos);
          goto fail;
        }
      flags = page[5];
      granule = (gint64) u64le (page + 6);
      serial = u32le (page + 14);
      n_segs = page[26];
      header_len = 27 + n_segs;
      if (avail < header_len)
        {
          set_invalid (error, "The Ogg file ends in the middle of a page: it is truncated");
          goto fail;
        }
      for (guint i = 0; i < n_segs; i++)
        body_len += page[27 + i];
      page_len = header_len + body_len;
      if (avail < page_len)
        {
          set_invalid (error, "The Ogg file ends in the middle of a page: it is truncated");
          goto fail;
        }

      /* The checksum covers the page with its own field zeroed */
      {
        static const guint8 zeros[4] = { 0, };
        guint32 crc = ogg_crc (0, page, 22);

        crc = ogg_crc (crc, zeros, 4);
        crc = ogg_crc (crc, page + 26, page_len - 26);
        if (crc != u32le (page + 22))
          {
            g_set_error (error, MIRA_ERROR, MIRA_ERROR_INVALID,
                         "The Ogg file is damaged: bad checksum on the page at byte %"
                         G_GSIZE_FORMAT, pos);
            goto fail;
          }
      }
      pos += page_len;
      body = page + header_len;

      if (!o.selected && (flags & 0x02) != 0)
        {
          /* A new stream: is its first packet OpusHead? */
          gsize first = 0;

          for (guint i = 0; i < n_segs; i++)
            {
              first += page[27 + i];
              if (page[27 + i] < 255)
                break;
            }
          if (first >= 8 && memcmp (body, "OpusHead", 8) == 0)
            {
              o.selected = TRUE;
              o.serial = serial;
            }
          else if (o.other_codec == NULL)
            o.other_codec = ogg_codec_name (body, first);
        }
      if (!o.selected || serial != o.serial)
        continue;

      /* A page not continuing a packet drops any half packet we hold */
      if ((flags & 0x01) == 0 && o.packet->len > 0)
        g_byte_array_set_size (o.packet, 0);
      o.dropping = (flags & 0x01) != 0 && o.packet->len == 0;

      for (guint i = 0; i < n_segs; i++)
        {
          guint lacing = page[27 + i];

          if (!o.dropping)
            g_byte_array_append (o.packet, body + seg_start, lacing);
          seg_start += lacing;
          if (lacing < 255)
            {
              if (!o.dropping && !ogg_packet (&o, o.packet->data, o.packet->len, error))
                goto fail;
              g_byte_array_set_size (o.packet, 0);
              o.dropping = FALSE;
            }
        }
      if (granule != -1)
        o.last_granule = granule;
      if ((flags & 0x04) != 0)
        break;   /* end of our stream */
    }

  if (!o.selected)
    {
      if (o.other_codec != NULL)
        g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                     "Ogg %s is not supported: send Ogg Opus, WAV or raw 16 kHz PCM",
                     o.other_codec);
      else
        g_set_error_literal (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                             "The Ogg file holds no Opus stream");
      goto fail;
    }
  if (o.n_packets < 2)
    {
      set_invalid (error, "The Ogg Opus file ends before its headers");
      goto fail;
    }

  /* Pre-skip (48 kHz samples) is encoder delay, not audio */
  skip = MIN ((gsize) (o.pre_skip + 1) / 3, (gsize) o.out->len);
  g_array_remove_range (o.out, 0, (guint) skip);

  /* The last granule position gives the exact end; trust it only for what
   * a final packet can pad (up to 120 ms).
   */
  if (o.last_granule >= (gint64) o.pre_skip)
    {
      guint64 total = (guint64) (o.last_granule - o.pre_skip) / 3;

      if (total < o.out->len && o.out->len - total <= OPUS_MAX_FRAME_16K)
        g_array_set_size (o.out, (guint) total);
    }

  if (o.out->len > MAX_SAMPLES)
    {
      set_too_long (error);
      goto fail;
    }
  result = g_steal_pointer (&o.out);
  ogg_opus_clear (&o);
  return g_steal_pointer (&result);

fail:
  ogg_opus_clear (&o);
  return NULL;
}

/* Detection ----------------------------------------------------------------- */

static const char *
unsupported_container (const guint8 *p,
                       gsize         len)
{
  if (len >= 4 && memcmp (p, "fLaC", 4) == 0)
    return "FLAC";
  if (len >= 5 && memcmp (p, "ID3", 3) == 0 && p[3] >= 2 && p[3] <= 4 && p[4] == 0)
    return "MP3";
  if (len >= 4 && memcmp (p, "\x1a\x45\xdf\xa3", 4) == 0)
    return "WebM/Matroska";
  if (len >= 8 && memcmp (p + 4, "ftyp", 4) == 0)
    return "MP4/M4A";
  if (len >= 12 && memcmp (p, "FORM", 4) == 0
      && (memcmp (p + 8, "AIFF", 4) == 0 || memcmp (p + 8, "AIFC", 4) == 0))
    return "AIFF";
  if (len >= 6 && memcmp (p, "#!AMR", 5) == 0)
    return "AMR";
  if (len >= 4 && (memcmp (p, "RIFX", 4) == 0 || memcmp (p, "RF64", 4) == 0))
    return "big-endian or 64-bit WAV";
  if (len >= 12 && memcmp (p, "RIFF", 4) == 0)
    return "RIFF (not WAVE)";
  return NULL;
}

GArray *
mira_audio_file_decode (GBytes  *bytes,
                        GError **error)
{
  const guint8 *p;
  gsize len;
  const char *container;
  GArray *out;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  p = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      set_invalid (error, "The audio is empty");
      return NULL;
    }

  if (len >= 12 && memcmp (p, "RIFF", 4) == 0 && memcmp (p + 8, "WAVE", 4) == 0)
    return decode_wav (p, len, error);
  if (len >= 4 && memcmp (p, "OggS", 4) == 0)
    return decode_ogg (p, len, error);

  container = unsupported_container (p, len);
  if (container != NULL)
    {
      g_set_error (error, MIRA_ERROR, MIRA_ERROR_UNSUPPORTED_MEDIA,
                   "%s audio is not supported: send WAV, Ogg Opus or raw 16 kHz mono s16le",
                   container);
      return NULL;
    }

  /* Raw s16le, 16 kHz mono */
  if (len % 2 != 0)
    {
      set_invalid (error, "Raw audio must be 16-bit samples: its length must be even");
      return NULL;
    }
  if (len / 2 > MAX_SAMPLES)
    {
      set_too_long (error);
      return NULL;
    }
  out = g_array_sized_new (FALSE, FALSE, sizeof (gint16), (guint) (len / 2));
  g_array_set_size (out, (guint) (len / 2));
  for (gsize i = 0; i < len / 2; i++)
    g_array_index (out, gint16, i) = (gint16) u16le (p + 2 * i);
  return out;
}
