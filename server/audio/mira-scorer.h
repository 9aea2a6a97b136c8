/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "mira-features.h"

G_BEGIN_DECLS

/* How good one stream's speech is, over the last MIRA_SCORER_WINDOW_FRAMES
 * frames (2 s). The formula and its constants are in docs/quality-score.md.
 */
typedef struct {
  double quality_score;   /* 0..1 */
  double snr_db;
  double rms_dbfs;
  double clarity;         /* 0..1 */
  double clipping_ratio;  /* 0..1 */
  double speech_ratio;    /* 0..1 */
} MiraStreamMetrics;

#define MIRA_SCORER_WINDOW_FRAMES 100

typedef struct _MiraScorer MiraScorer;

MiraScorer *mira_scorer_new          (void);
void        mira_scorer_free         (MiraScorer        *s);
/* Forgets the stream: noise floor, voice state, window, partial frame. */
void        mira_scorer_reset        (MiraScorer        *s);

/* Consumes @n_samples of 16 kHz mono s16 (any count; a partial frame is kept
 * for the next call) and appends one MiraFrameFeatures to @frames_out (may be
 * NULL) per complete 20 ms frame. Allocates nothing itself.
 */
void        mira_scorer_push         (MiraScorer        *s,
                                      const gint16      *samples,
                                      gsize              n_samples,
                                      GArray            *frames_out);

/* Rolling metrics over the last 2 s of frames (fewer at the start). */
void        mira_scorer_get_metrics  (MiraScorer        *s,
                                      MiraStreamMetrics *out);

/* Context a device may report. @rssi_dbm NAN = unknown: neutral, never a
 * bonus. A strong signal is neutral too; a weak one costs a little (at most
 * 15 %), since it predicts lost packets. Returns 0..1.
 */
double      mira_quality_adjust      (double             quality_score,
                                      double             rssi_dbm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraScorer, mira_scorer_free)

G_END_DECLS
