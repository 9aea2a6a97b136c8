/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mira-features.h"

G_BEGIN_DECLS

/* The arbiter of one network. Devices in one room hear the same words: it
 * lines their streams up in time, opens an utterance window when voice starts
 * on any of them, closes it after a silence on every stream (or at the length
 * limit), and picks the stream with the best mean frame score over the window.
 * Only that stream's audio goes on to be transcribed.
 *
 * Between utterances it keeps a live "best stream" that changes only when
 * another stream is better by a margin for a hold time, so it never flaps.
 *
 * Times are in µs. "Media time" is when a sample was heard: the wall time at
 * which its stream (re)started plus its offset in the stream, so streams sent
 * faster than real time still line up with each other.
 */

typedef struct {
  char    *client_id;
  double   mean_score;    /* over the window, absent frames count as 0 */
  gint64   onset_us;      /* media time of its first voiced frame in the window */
  gint64   start_us;      /* media time of samples[0] */
  gint64   end_us;        /* media time the utterance ends (last voice + tail) */
  GArray  *samples;       /* gint16, 16 kHz mono: the utterance as this stream heard it */
  guint    n_candidates;  /* streams that took part */
  char    *reason;        /* why this stream won, for people */
} MiraUtterance;

void mira_utterance_free (MiraUtterance *utterance);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraUtterance, mira_utterance_free)

typedef struct {
  void (*utterance_started) (gpointer user_data, gint64 start_us);
  /* Takes ownership of @utterance. */
  void (*utterance_done)    (gpointer user_data, MiraUtterance *utterance);
  void (*best_changed)      (gpointer user_data, const char *client_id, double score);
  /* Every stream has heard past the end of the utterance, but the silence
   * that closes the window is not over yet: unless voice returns, the
   * utterance_done() that follows has the same winner and end_us. Lets the
   * transcription start early. Takes ownership of @utterance.
   */
  void (*utterance_early)   (gpointer user_data, MiraUtterance *utterance);
} MiraArbiterCallbacks;

typedef struct {
  guint   silence_ms;    /* default 700 */
  guint   max_ms;        /* default 30000 */
  guint   preroll_ms;    /* audio kept before the first voiced frame, default 300 */
  guint   tail_ms;       /* audio kept after the last voiced frame, default 300 */
  guint   stall_ms;      /* a stream silent on the wire this long no longer holds a window open */
  double  margin;        /* live best: how much better another stream must be, default 0.08 */
  guint   hold_ms;       /* …for how long, default 1500 */
} MiraArbiterOptions;

typedef struct _MiraArbiter MiraArbiter;

MiraArbiter *mira_arbiter_new            (const MiraArbiterOptions   *options,
                                          const MiraArbiterCallbacks *callbacks,
                                          gpointer                    user_data);
void         mira_arbiter_free           (MiraArbiter                *self);

/* A stream (re)starts at wall time @now_us: audio-start, or its first audio. */
void         mira_arbiter_stream_start   (MiraArbiter                *self,
                                          const char                 *client_id,
                                          gint64                      now_us);
/* audio-stop: the stream no longer holds a window open. */
void         mira_arbiter_stream_stop    (MiraArbiter                *self,
                                          const char                 *client_id,
                                          gint64                      now_us);
/* Disconnected: the stream leaves, and its partial utterance cannot win
 * while any complete one exists.
 */
void         mira_arbiter_stream_remove  (MiraArbiter                *self,
                                          const char                 *client_id,
                                          gint64                      now_us);
/* @samples are the stream's next samples; @frames the frames the scorer
 * completed with them, in order (frame k of a stream covers its samples
 * [320k, 320k + 320) since its start). @quality is its rolling score.
 */
void         mira_arbiter_push           (MiraArbiter                *self,
                                          const char                 *client_id,
                                          const gint16               *samples,
                                          gsize                       n_samples,
                                          const MiraFrameFeatures    *frames,
                                          guint                       n_frames,
                                          double                      quality,
                                          gint64                      now_us);
/* Call a few times a second: stalled streams stop holding a window open. */
void         mira_arbiter_tick           (MiraArbiter                *self,
                                          gint64                      now_us);

gboolean     mira_arbiter_in_utterance   (MiraArbiter                *self);
/* The open window's audio as @client_id heard it, from its sample @from
 * on, as far as it is sure to be part of the utterance whoever wins: up to
 * the last voice heard on any stream, plus the tail. What the utterance
 * will hold of this stream begins with it (unless the window reaches its
 * length limit). NULL, with *@n_out 0, when no window is open or there is
 * nothing new. Valid until the next call into the arbiter.
 */
const gint16 *mira_arbiter_peek_window   (MiraArbiter                *self,
                                          const char                 *client_id,
                                          gsize                       from,
                                          gsize                      *n_out);
/* The live best stream, or NULL. */
const char  *mira_arbiter_get_best       (MiraArbiter                *self,
                                          double                     *score);
guint        mira_arbiter_n_streams      (MiraArbiter                *self);

G_END_DECLS
