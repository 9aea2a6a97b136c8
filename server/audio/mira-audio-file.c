/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-audio-file"

#include "mira-audio-file.h"

#include <string.h>
#include <opusfile.h>
#include <sndfile.h>

#include "mira-audio-decoder.h"

/* The containers are read by libraries: WAV and FLAC by libsndfile (on the
 * upload's bytes through its virtual I/O), Ogg Opus by libopusfile. What is
 * ours: telling the container from its first bytes, the caps, and two
 * checks libsndfile leaves out on purpose (it reads what it can of a broken
 * WAV): a data chunk announced longer than the file is a truncated file,
 * and a block size that does not match the channels and bits is a lie.
 */

#define OPUS_RATE               48000
#define READ_FRAMES             4096
#define MAX_SAMPLES             ((gsize) MIRA_AUDIO_FILE_MAX_SECONDS * MIRA_AUDIO_RATE)

/* A WAV writer that cannot seek back (to a pipe, a socket) leaves the data
 * size it could not know: 0, or a placeholder near 2 or 4 GiB (SoX writes
 * 0x7ffff000, others 0x7fffffff or 0xffffffff). Such a data chunk runs to
 * the end of the file, as sox and Python's wave read it.
 */
#define WAV_PLACEHOLDER_MIN     0x7fff0000u

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

static gpointer
set_invalid (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID, message);
  return NULL;
}

static gpointer
set_too_long (GError **error)
{
  g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_TOO_LONG,
               "The audio is longer than %d seconds", MIRA_AUDIO_FILE_MAX_SECONDS);
  return NULL;
}

/* libsndfile: WAV and FLAC ------------------------------------------------- */

/* The upload's bytes as a read-only file; @patch overlays the 4 bytes at
 * @patch_at (a WAV data size the writer could not know)
 */
typedef struct {
  const guint8 *data;
  sf_count_t    len;
  sf_count_t    pos;
  gsize         patch_at;
  guint8        patch[4];
} MemFile;

static sf_count_t
mem_get_filelen (void *user_data)
{
  return ((MemFile *) user_data)->len;
}

static sf_count_t
mem_seek (sf_count_t  offset,
          int         whence,
          void       *user_data)
{
  MemFile *f = user_data;
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->len;

  if (offset < -base || offset > f->len - base)
    return -1;
  f->pos = base + offset;
  return f->pos;
}

static sf_count_t
mem_read (void       *ptr,
          sf_count_t  count,
          void       *user_data)
{
  MemFile *f = user_data;
  sf_count_t n = MIN (MAX (count, 0), f->len - f->pos);

  memcpy (ptr, f->data + f->pos, (gsize) n);
  if (f->patch_at > 0)
    for (guint i = 0; i < 4; i++)
      {
        sf_count_t at = (sf_count_t) f->patch_at + i;

        if (at >= f->pos && at < f->pos + n)
          ((guint8 *) ptr)[at - f->pos] = f->patch[i];
      }
  f->pos += n;
  return n;
}

static sf_count_t
mem_write (const void *ptr,
           sf_count_t  count,
           void       *user_data)
{
  return 0;   /* opened for reading only */
}

static sf_count_t
mem_tell (void *user_data)
{
  return ((MemFile *) user_data)->pos;
}

/* The RIFF checks libsndfile does not make. On an unknown data size, sets
 * @f's patch to the bytes that follow.
 */
static gboolean
check_riff (MemFile  *f,
            GError  **error)
{
  const guint8 *p = f->data;
  gsize len = (gsize) f->len;
  gsize pos = 12;

  while (pos + 8 <= len)
    {
      const guint8 *id = p + pos;
      guint32 size = u32le (p + pos + 4);
      gsize avail = len - pos - 8;

      if (memcmp (id, "data", 4) == 0)
        {
          if (size == 0 || size >= WAV_PLACEHOLDER_MIN)
            {
              f->patch_at = pos + 4;
              for (guint i = 0; i < 4; i++)
                f->patch[i] = (guint8) ((guint32) MIN (avail, G_MAXUINT32) >> (8 * i));
            }
          else if (size > avail)
            {
              g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                           "The WAV data chunk announces %u bytes but only %" G_GSIZE_FORMAT
                           " follow: the file is truncated", size, avail);
              return FALSE;
            }
          return TRUE;
        }
      if (size > avail)
        {
          g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                       "The WAV \"%c%c%c%c\" chunk announces %u bytes but only %" G_GSIZE_FORMAT
                       " follow: the file is truncated",
                       g_ascii_isprint (id[0]) ? id[0] : '?', g_ascii_isprint (id[1]) ? id[1] : '?',
                       g_ascii_isprint (id[2]) ? id[2] : '?', g_ascii_isprint (id[3]) ? id[3] : '?',
                       size, avail);
          return FALSE;
        }
      if (memcmp (id, "fmt ", 4) == 0 && size >= 16)
        {
          guint channels = u16le (p + pos + 10);
          guint block_align = u16le (p + pos + 20);
          guint bits = u16le (p + pos + 22);

          if (bits % 8 == 0 && bits > 0 && block_align != channels * (bits / 8))
            {
              g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                           "The WAV block size of %u bytes does not match %u channels of %u bits",
                           block_align, channels, bits);
              return FALSE;
            }
        }
      pos += 8 + (gsize) size + (size & 1);
    }
  set_invalid (error, "The WAV file has no \"data\" chunk (truncated?)");
  return FALSE;
}

static const char *
sf_subtype_name (int format)
{
  switch (format & SF_FORMAT_SUBMASK)
    {
    case SF_FORMAT_ULAW:      return "µ-law";
    case SF_FORMAT_ALAW:      return "A-law";
    case SF_FORMAT_IMA_ADPCM: return "IMA ADPCM";
    case SF_FORMAT_MS_ADPCM:  return "MS ADPCM";
    case SF_FORMAT_GSM610:    return "GSM 6.10";
    case SF_FORMAT_G721_32:   return "G.721";
    case SF_FORMAT_MPEG_LAYER_III: return "MP3";
    default:                  return "compressed";
    }
}

static gboolean
sf_subtype_is_pcm (int format)
{
  switch (format & SF_FORMAT_SUBMASK)
    {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_PCM_16:
    case SF_FORMAT_PCM_24:
    case SF_FORMAT_PCM_32:
    case SF_FORMAT_FLOAT:
    case SF_FORMAT_DOUBLE:
      return TRUE;
    default:
      return FALSE;
    }
}

static GArray *
decode_sndfile (const guint8  *p,
                gsize          len,
                const char    *container,
                GError       **error)
{
  SF_VIRTUAL_IO io = { mem_get_filelen, mem_seek, mem_read, mem_write, mem_tell };
  MemFile f = { p, (sf_count_t) len, 0, 0, { 0, } };
  SF_INFO info = { 0, };
  g_autoptr(MiraAudioDecoder) decoder = NULL;
  g_autoptr(GArray) out = NULL;
  g_autofree float *frames = NULL;
  SNDFILE *sf;
  sf_count_t n_read = 0;
  gboolean length_known;
  int major;

  if (memcmp (p, "RIFF", 4) == 0 && !check_riff (&f, error))
    return NULL;

  sf = sf_open_virtual (&io, SFM_READ, &info, &f);
  if (sf == NULL)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "The %s file could not be read: %s", container, sf_strerror (NULL));
      return NULL;
    }

  major = info.format & SF_FORMAT_TYPEMASK;
  if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX && major != SF_FORMAT_RF64
      && major != SF_FORMAT_FLAC)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "The file starts as %s but is not one", container);
      goto fail;
    }
  if (!sf_subtype_is_pcm (info.format))
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_UNSUPPORTED,
                   "%s %s audio is not supported: use PCM or float samples",
                   container, sf_subtype_name (info.format));
      goto fail;
    }
  if (info.channels < 1)
    {
      set_invalid (error, "The file has no channels");
      goto fail;
    }

  decoder = mira_audio_decoder_new_raw (MIRA_SAMPLE_F32LE, (guint) info.samplerate,
                                        (guint) info.channels, error);
  if (decoder == NULL)
    goto fail;
  /* A FLAC stream written to a pipe does not know its length: libsndfile
   * says SF_COUNT_MAX. Otherwise the header says, before anything is
   * decoded.
   */
  length_known = info.frames != SF_COUNT_MAX;
  if (length_known && info.frames > (sf_count_t) MIRA_AUDIO_FILE_MAX_SECONDS * info.samplerate)
    {
      set_too_long (error);
      goto fail;
    }

  out = g_array_sized_new (FALSE, FALSE, sizeof (gint16),
                           length_known ? (guint) ((guint64) info.frames * MIRA_AUDIO_RATE
                                                   / info.samplerate + 16)
                                        : MIRA_AUDIO_RATE);
  frames = g_new (float, (gsize) READ_FRAMES * info.channels);
  for (;;)
    {
      sf_count_t n = sf_readf_float (sf, frames, READ_FRAMES);

      if (n <= 0)
        break;
      n_read += n;
      /* A header may lie about the length (FLAC's total may be 0): the cap
       * holds while decoding too
       */
      if (n_read > (sf_count_t) MIRA_AUDIO_FILE_MAX_SECONDS * info.samplerate)
        {
          set_too_long (error);
          goto fail;
        }
      mira_audio_decoder_push_float (decoder, frames, (gsize) n, out);
    }
  if (sf_error (sf) != SF_ERR_NO_ERROR || (length_known && n_read < info.frames))
    {
      g_autofree char *total = length_known
                               ? g_strdup_printf (" of %" G_GINT64_FORMAT, (gint64) info.frames)
                               : g_strdup ("");

      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                   "The %s file is damaged or truncated after %" G_GINT64_FORMAT "%s frames%s%s",
                   container, (gint64) n_read, total,
                   sf_error (sf) != SF_ERR_NO_ERROR ? ": " : "",
                   sf_error (sf) != SF_ERR_NO_ERROR ? sf_strerror (sf) : "");
      goto fail;
    }
  sf_close (sf);
  mira_audio_decoder_flush (decoder, out);
  return g_steal_pointer (&out);

fail:
  sf_close (sf);
  return NULL;
}

/* libopusfile: Ogg Opus ---------------------------------------------------- */

/* The codec of an Ogg file's first stream, for the message when it is not
 * Opus: the first packet of the first page
 */
static const char *
ogg_codec_name (const guint8 *p,
                gsize         len)
{
  gsize body;

  if (len < 27 || len < 27 + (gsize) p[26])
    return NULL;
  body = 27 + p[26];
  p += body;
  len -= body;
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

static GArray *
decode_ogg_opus (const guint8  *p,
                 gsize          len,
                 GError       **error)
{
  g_autoptr(MiraAudioDecoder) decoder = NULL;
  g_autoptr(GArray) out = NULL;
  g_autofree float *frames = NULL;
  OggOpusFile *of;
  guint64 n_read = 0;
  const char *codec;
  int err = 0;

  of = op_open_memory (p, len, &err);
  if (of == NULL)
    {
      codec = ogg_codec_name (p, len);
      if (err == OP_ENOTFORMAT && codec != NULL)
        g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_UNSUPPORTED,
                     "Ogg %s is not supported: send Ogg Opus, FLAC, WAV or raw 16 kHz PCM",
                     codec);
      else if (err == OP_EVERSION || err == OP_EIMPL)
        g_set_error_literal (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_UNSUPPORTED,
                             "The Ogg Opus file uses a version or channel mapping we do "
                             "not read");
      else
        g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                     "The Ogg file holds no readable Opus stream: %s",
                     err == OP_EBADHEADER ? "its Opus headers are broken"
                     : err == OP_EBADLINK || err == OP_EBADTIMESTAMP ? "it is damaged"
                     : "it is damaged or truncated");
      return NULL;
    }

  /* Every link downmixed to stereo by libopusfile, then to mono with the
   * resampling to 16 kHz
   */
  decoder = mira_audio_decoder_new_raw (MIRA_SAMPLE_F32LE, OPUS_RATE, 2, error);
  g_assert (decoder != NULL);
  out = g_array_new (FALSE, FALSE, sizeof (gint16));
  frames = g_new (float, (gsize) READ_FRAMES * 2);
  for (;;)
    {
      int n = op_read_float_stereo (of, frames, READ_FRAMES * 2);

      if (n == 0)
        break;
      if (n < 0)
        {
          g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_INVALID,
                       "The Ogg Opus file is damaged after %.2f s of audio%s",
                       (double) n_read / OPUS_RATE,
                       n == OP_HOLE ? ": a page is missing or corrupt" : "");
          goto fail;
        }
      /* Tiny packets decode to much audio: stop at the cap, not after */
      n_read += (guint) n;
      if (n_read > (guint64) MIRA_AUDIO_FILE_MAX_SECONDS * OPUS_RATE)
        {
          set_too_long (error);
          goto fail;
        }
      mira_audio_decoder_push_float (decoder, frames, (gsize) n, out);
    }

  /* Bytes after the last whole page: the file was cut short */
  if (op_raw_total (of, -1) < (opus_int64) len)
    {
      set_invalid (error, "The Ogg file ends in the middle of a page: it is truncated");
      goto fail;
    }
  op_free (of);
  mira_audio_decoder_flush (decoder, out);
  return g_steal_pointer (&out);

fail:
  op_free (of);
  return NULL;
}

/* Detection ----------------------------------------------------------------- */

static const char *
unsupported_container (const guint8 *p,
                       gsize         len)
{
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
  if (len >= 4 && memcmp (p, "RIFX", 4) == 0)
    return "big-endian WAV";
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
    return set_invalid (error, "The audio is empty");

  if (len >= 12 && (memcmp (p, "RIFF", 4) == 0 || memcmp (p, "RF64", 4) == 0)
      && memcmp (p + 8, "WAVE", 4) == 0)
    return decode_sndfile (p, len, "WAV", error);
  if (len >= 4 && memcmp (p, "fLaC", 4) == 0)
    return decode_sndfile (p, len, "FLAC", error);
  if (len >= 4 && memcmp (p, "OggS", 4) == 0)
    return decode_ogg_opus (p, len, error);

  container = unsupported_container (p, len);
  if (container != NULL)
    {
      g_set_error (error, MIRA_AUDIO_ERROR, MIRA_AUDIO_ERROR_UNSUPPORTED,
                   "%s audio is not supported: send WAV, FLAC, Ogg Opus or raw 16 kHz mono "
                   "s16le", container);
      return NULL;
    }

  /* Raw s16le, 16 kHz mono */
  if (len % 2 != 0)
    return set_invalid (error, "Raw audio must be 16-bit samples: its length must be even");
  if (len / 2 > MAX_SAMPLES)
    return set_too_long (error);
  out = g_array_sized_new (FALSE, FALSE, sizeof (gint16), (guint) (len / 2));
  g_array_set_size (out, (guint) (len / 2));
  for (gsize i = 0; i < len / 2; i++)
    g_array_index (out, gint16, i) = (gint16) u16le (p + 2 * i);
  return out;
}
