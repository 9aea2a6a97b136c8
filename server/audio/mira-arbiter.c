/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-arbiter"

#include "mira-arbiter.h"

#include <string.h>

#define SAMPLES_PER_MS (MIRA_AUDIO_RATE / 1000)
#define FRAME_US (MIRA_FRAME_MS * 1000)

typedef struct
{
  char     *client_id;
  gboolean  departed;       /* disconnected during the open window */
  gboolean  stopped;        /* audio-stop: does not hold a window open */
  gint64    t0_us;          /* media time of sample 0 of this segment */
  gint64    n_samples;      /* samples since t0 */
  gint64    n_frames;       /* frames since t0 */
  gint64    last_wall_us;   /* when audio last arrived */

  /* Samples [history_start, n_samples) are kept: ~1 s between utterances,
   * everything since the window opened during one.
   */
  GArray   *history;
  gint64    history_start;

  /* The open window, as this stream heard it */
  GArray   *scores;         /* float per frame since first_frame */
  gint64    first_frame;    /* frame index of scores[0] */
  gint64    onset_us;       /* first voiced frame in the window, or 0 */
  gint64    last_voice_us;  /* last voiced frame in the window, or 0 */

  double    quality;        /* rolling, for the live best */
  gint64    better_since;   /* when it began to beat the live best by the margin */
} Stream;

struct _MiraArbiter
{
  MiraArbiterOptions    options;
  MiraArbiterCallbacks  callbacks;
  gpointer              user_data;

  GPtrArray            *streams;   /* Stream* */

  gboolean              open;
  gint64                open_us;        /* window start (media time, with pre-roll) */
  gint64                last_voice_us;  /* latest voice on any stream */
  gint64                early_end_us;   /* end of the utterance last announced early */

  Stream               *best;
};

void
mira_utterance_free (MiraUtterance *utterance)
{
  if (utterance == NULL)
    return;
  g_free (utterance->client_id);
  g_clear_pointer (&utterance->samples, g_array_unref);
  g_free (utterance->reason);
  g_free (utterance);
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  g_free (stream->client_id);
  g_array_unref (stream->history);
  g_array_unref (stream->scores);
  g_free (stream);
}

MiraArbiter *
mira_arbiter_new (const MiraArbiterOptions   *options,
                  const MiraArbiterCallbacks *callbacks,
                  gpointer                    user_data)
{
  MiraArbiter *self = g_new0 (MiraArbiter, 1);

  if (options != NULL)
    self->options = *options;
#define DEFAULT(field, value) if (self->options.field == 0) self->options.field = value
  DEFAULT (silence_ms, 700);
  DEFAULT (max_ms, 30000);
  DEFAULT (preroll_ms, 300);
  DEFAULT (tail_ms, 300);
  DEFAULT (stall_ms, 1000);
  DEFAULT (margin, 0.08);
  DEFAULT (hold_ms, 1500);
#undef DEFAULT
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->streams = g_ptr_array_new_with_free_func (stream_free);
  return self;
}

void
mira_arbiter_free (MiraArbiter *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->streams);
  g_free (self);
}

static Stream *
find_stream (MiraArbiter *self,
             const char  *client_id)
{
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);

      if (g_str_equal (stream->client_id, client_id))
        return stream;
    }
  return NULL;
}

static gint64
media_end_us (Stream *stream)
{
  return stream->t0_us + stream->n_samples * 1000 / SAMPLES_PER_MS;
}

static Stream *
ensure_stream (MiraArbiter *self,
               const char  *client_id,
               gint64       now_us)
{
  Stream *stream = find_stream (self, client_id);

  if (stream != NULL)
    return stream;
  stream = g_new0 (Stream, 1);
  stream->client_id = g_strdup (client_id);
  stream->history = g_array_new (FALSE, FALSE, sizeof (gint16));
  stream->scores = g_array_new (FALSE, FALSE, sizeof (float));
  stream->t0_us = now_us;
  stream->last_wall_us = now_us;
  g_ptr_array_add (self->streams, stream);
  return stream;
}

guint
mira_arbiter_n_streams (MiraArbiter *self)
{
  return self->streams->len;
}

gboolean
mira_arbiter_in_utterance (MiraArbiter *self)
{
  return self->open;
}

const char *
mira_arbiter_get_best (MiraArbiter *self,
                       double      *score)
{
  if (score != NULL)
    *score = self->best ? self->best->quality : 0.0;
  return self->best ? self->best->client_id : NULL;
}

static void
set_best (MiraArbiter *self,
          Stream      *stream)
{
  if (self->best == stream)
    return;
  self->best = stream;
  for (guint i = 0; i < self->streams->len; i++)
    ((Stream *) g_ptr_array_index (self->streams, i))->better_since = 0;
  if (self->callbacks.best_changed != NULL)
    self->callbacks.best_changed (self->user_data, stream ? stream->client_id : NULL,
                                  stream ? stream->quality : 0.0);
}

/* Hysteresis: a challenger must beat the live best by the margin for the hold time. */
static void
update_best (MiraArbiter *self,
             gint64       now_us)
{
  Stream *challenger = NULL;

  if (self->best == NULL || self->best->departed)
    {
      Stream *top = NULL;

      for (guint i = 0; i < self->streams->len; i++)
        {
          Stream *stream = g_ptr_array_index (self->streams, i);

          if (!stream->departed && (top == NULL || stream->quality > top->quality))
            top = stream;
        }
      set_best (self, top);
      return;
    }

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);

      if (stream == self->best || stream->departed)
        continue;
      if (stream->quality > self->best->quality + self->options.margin)
        {
          if (stream->better_since == 0)
            stream->better_since = now_us;
          if (now_us - stream->better_since >= (gint64) self->options.hold_ms * 1000 &&
              (challenger == NULL || stream->quality > challenger->quality))
            challenger = stream;
        }
      else
        stream->better_since = 0;
    }
  if (challenger != NULL)
    set_best (self, challenger);
}

static void
trim_history (MiraArbiter *self,
              Stream      *stream)
{
  gint64 keep = (gint64) (self->options.preroll_ms + 700) * SAMPLES_PER_MS;
  gint64 excess = (gint64) stream->history->len - keep;

  if (self->open || excess <= 0)
    return;
  /* Trim in large steps: memmove once per second of audio, not per push. */
  if (excess < MIRA_AUDIO_RATE)
    return;
  g_array_remove_range (stream->history, 0, (guint) excess);
  stream->history_start += excess;
}

static void
window_reset_stream (Stream *stream)
{
  g_array_set_size (stream->scores, 0);
  stream->first_frame = 0;
  stream->onset_us = 0;
  stream->last_voice_us = 0;
}

static void
open_window (MiraArbiter *self,
             gint64       voice_us)
{
  self->open = TRUE;
  self->open_us = voice_us - (gint64) self->options.preroll_ms * 1000;
  self->last_voice_us = voice_us;

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);
      gint64 frame = (self->open_us - stream->t0_us) / FRAME_US;

      window_reset_stream (stream);
      stream->first_frame = MAX (frame, 0);
    }
  if (self->callbacks.utterance_started != NULL)
    self->callbacks.utterance_started (self->user_data, self->open_us);
}

/* Mean frame score over [open, end): frames a stream did not hear count as 0. */
static double
window_mean (MiraArbiter *self,
             Stream      *stream,
             gint64       end_us)
{
  gint64 total = MAX ((end_us - self->open_us) / FRAME_US, 1);
  double sum = 0;

  for (guint i = 0; i < stream->scores->len; i++)
    {
      gint64 t = stream->t0_us + (stream->first_frame + i) * FRAME_US;

      if (t >= self->open_us && t < end_us)
        sum += g_array_index (stream->scores, float, i);
    }
  return sum / (double) total;
}

static GArray *
window_samples (MiraArbiter *self,
                Stream      *stream,
                gint64       end_us,
                gint64      *start_us)
{
  gint64 from = (self->open_us - stream->t0_us) * SAMPLES_PER_MS / 1000;
  gint64 to = (end_us - stream->t0_us) * SAMPLES_PER_MS / 1000;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint16));

  from = MAX (from, stream->history_start);
  to = MIN (to, stream->history_start + (gint64) stream->history->len);
  if (to > from)
    g_array_append_vals (out, &g_array_index (stream->history, gint16, from - stream->history_start),
                         (guint) (to - from));
  *start_us = stream->t0_us + from * 1000 / SAMPLES_PER_MS;
  return out;
}

const gint16 *
mira_arbiter_peek_window (MiraArbiter *self,
                          const char  *client_id,
                          gsize        from,
                          gsize       *n_out)
{
  Stream *stream = find_stream (self, client_id);
  gint64 end_us = self->last_voice_us + (gint64) self->options.tail_ms * 1000 + FRAME_US;
  gint64 first, last;

  *n_out = 0;
  if (!self->open || stream == NULL)
    return NULL;
  /* As window_samples() will cut the utterance */
  first = MAX ((self->open_us - stream->t0_us) * SAMPLES_PER_MS / 1000, stream->history_start);
  last = MIN ((end_us - stream->t0_us) * SAMPLES_PER_MS / 1000,
              stream->history_start + (gint64) stream->history->len);
  first += (gint64) from;
  if (last <= first)
    return NULL;
  *n_out = (gsize) (last - first);
  return &g_array_index (stream->history, gint16, first - stream->history_start);
}

/* The utterance as the window stands: the stream with the best mean frame
 * score over [open, last voice + tail) and its audio.
 */
static MiraUtterance *
pick_winner (MiraArbiter *self)
{
  gint64 end_us = self->last_voice_us + (gint64) self->options.tail_ms * 1000 + FRAME_US;
  Stream *winner = NULL;
  double winner_mean = -1;
  guint n_candidates = 0;
  gboolean any_complete = FALSE;
  MiraUtterance *utterance;

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);

      if (stream->onset_us != 0 && !stream->departed)
        any_complete = TRUE;
    }

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);
      double mean;

      if (stream->onset_us == 0 || (stream->departed && any_complete))
        continue;
      n_candidates++;
      mean = window_mean (self, stream, end_us);
      if (winner == NULL || mean > winner_mean + 1e-9 ||
          (mean > winner_mean - 1e-9 &&
           (stream->onset_us < winner->onset_us ||
            (stream->onset_us == winner->onset_us &&
             strcmp (stream->client_id, winner->client_id) < 0))))
        {
          winner = stream;
          winner_mean = mean;
        }
    }
  if (winner == NULL)
    return NULL;

  utterance = g_new0 (MiraUtterance, 1);
  utterance->client_id = g_strdup (winner->client_id);
  utterance->mean_score = CLAMP (winner_mean, 0.0, 1.0);
  utterance->onset_us = winner->onset_us;
  utterance->end_us = end_us;
  utterance->samples = window_samples (self, winner, end_us, &utterance->start_us);
  utterance->n_candidates = n_candidates;
  utterance->reason = g_strdup_printf (n_candidates > 1
                                         ? "best mean score of %u streams over the utterance"
                                         : "only stream that heard the utterance",
                                       n_candidates);
  return utterance;
}

static void
close_window (MiraArbiter *self)
{
  MiraUtterance *utterance = pick_winner (self);

  self->open = FALSE;
  self->early_end_us = 0;
  if (utterance != NULL)
    {
      if (self->callbacks.utterance_done != NULL)
        self->callbacks.utterance_done (self->user_data, utterance);
      else
        mira_utterance_free (utterance);
    }

  /* Streams that left during the window are gone for good now. */
  for (guint i = self->streams->len; i > 0; i--)
    {
      Stream *stream = g_ptr_array_index (self->streams, i - 1);

      window_reset_stream (stream);
      if (stream->departed)
        {
          if (self->best == stream)
            self->best = NULL;
          g_ptr_array_remove_index (self->streams, i - 1);
        }
      else
        trim_history (self, stream);
    }
}

/* Closes the window once every stream that can still speak has been quiet
 * long enough after the last voice heard anywhere, or at the length limit.
 */
static void
check_close (MiraArbiter *self,
             gint64       now_us)
{
  gint64 silence_us = (gint64) self->options.silence_ms * 1000;
  gint64 stall_us = (gint64) self->options.stall_ms * 1000;
  gint64 max_us = (gint64) self->options.max_ms * 1000;
  gint64 early_us = (gint64) (self->options.tail_ms + MIRA_FRAME_MS) * 1000;
  gboolean quiet = TRUE;
  gboolean early = TRUE;
  gint64 newest = self->open_us;

  if (!self->open)
    return;

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (self->streams, i);
      gint64 heard = media_end_us (stream);

      newest = MAX (newest, heard);
      if (stream->departed || stream->stopped || now_us - stream->last_wall_us > stall_us)
        continue;
      if (heard < self->last_voice_us + silence_us)
        quiet = FALSE;
      if (heard < self->last_voice_us + early_us)
        early = FALSE;
    }

  if (newest - self->open_us >= max_us)
    {
      self->last_voice_us = MIN (self->last_voice_us, self->open_us + max_us);
      close_window (self);
    }
  else if (quiet)
    close_window (self);
  else if (early && self->callbacks.utterance_early != NULL)
    {
      /* Every stream has heard past the end of the utterance as it stands:
       * unless voice comes back, this is already the answer.
       */
      gint64 end_us = self->last_voice_us + (gint64) self->options.tail_ms * 1000 + FRAME_US;

      if (self->early_end_us != end_us)
        {
          MiraUtterance *utterance = pick_winner (self);

          self->early_end_us = end_us;
          if (utterance != NULL)
            self->callbacks.utterance_early (self->user_data, utterance);
        }
    }
}

void
mira_arbiter_stream_start (MiraArbiter *self,
                           const char  *client_id,
                           gint64       now_us)
{
  Stream *stream = ensure_stream (self, client_id, now_us);

  /* A new segment starts where the stream left off, never in its past. */
  if (stream->n_samples > 0)
    {
      gint64 t0 = MAX (now_us, media_end_us (stream));

      if (!self->open)
        {
          g_array_set_size (stream->history, 0);
          stream->history_start = 0;
          stream->n_samples = 0;
          stream->n_frames = 0;
          stream->t0_us = t0;
        }
    }
  stream->stopped = FALSE;
  stream->departed = FALSE;
  stream->last_wall_us = now_us;
}

void
mira_arbiter_stream_stop (MiraArbiter *self,
                          const char  *client_id,
                          gint64       now_us)
{
  Stream *stream = find_stream (self, client_id);

  if (stream == NULL)
    return;
  stream->stopped = TRUE;
  check_close (self, now_us);
}

void
mira_arbiter_stream_remove (MiraArbiter *self,
                            const char  *client_id,
                            gint64       now_us)
{
  Stream *stream = find_stream (self, client_id);

  if (stream == NULL)
    return;
  stream->departed = TRUE;
  if (self->open && stream->onset_us != 0)
    {
      /* Its partial utterance stays as a last resort until the window closes. */
      check_close (self, now_us);
      if (self->open)
        return;
      stream = find_stream (self, client_id);
      if (stream == NULL)
        return;
    }
  if (self->best == stream)
    self->best = NULL;
  g_ptr_array_remove (self->streams, stream);
  update_best (self, now_us);
}

void
mira_arbiter_push (MiraArbiter             *self,
                   const char              *client_id,
                   const gint16            *samples,
                   gsize                    n_samples,
                   const MiraFrameFeatures *frames,
                   guint                    n_frames,
                   double                   quality,
                   gint64                   now_us)
{
  Stream *stream = ensure_stream (self, client_id, now_us);

  stream->last_wall_us = now_us;
  stream->stopped = FALSE;
  stream->quality = quality;
  g_array_append_vals (stream->history, samples, (guint) n_samples);
  stream->n_samples += (gint64) n_samples;

  for (guint i = 0; i < n_frames; i++)
    {
      gint64 index = stream->n_frames++;
      gint64 t = stream->t0_us + index * FRAME_US;

      if (!self->open && frames[i].voice)
        open_window (self, t);
      if (!self->open || t < self->open_us)
        continue;

      if (stream->scores->len == 0)
        stream->first_frame = index;
      /* Frames are consecutive from first_frame on. */
      while (stream->first_frame + (gint64) stream->scores->len < index)
        {
          float zero = 0;
          g_array_append_val (stream->scores, zero);
        }
      {
        float score = (float) frames[i].score;
        g_array_append_val (stream->scores, score);
      }
      if (frames[i].voice)
        {
          if (stream->onset_us == 0)
            stream->onset_us = t;
          stream->last_voice_us = t;
          self->last_voice_us = MAX (self->last_voice_us, t);
        }
    }

  trim_history (self, stream);
  update_best (self, now_us);
  check_close (self, now_us);
}

void
mira_arbiter_tick (MiraArbiter *self,
                   gint64       now_us)
{
  update_best (self, now_us);
  check_close (self, now_us);
}
