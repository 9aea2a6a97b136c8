/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The audio pipeline scores 16 kHz mono s16 in 20 ms frames. */
#define MIRA_AUDIO_RATE      16000
#define MIRA_FRAME_SAMPLES   320
#define MIRA_FRAME_MS        20

/* A sample at or beyond this magnitude counts as clipped. */
#define MIRA_CLIP_LEVEL      32700

/* What one 20 ms frame of one stream looks like. See docs/quality-score.md. */
typedef struct {
  double   rms_dbfs;          /* -120..0 */
  double   clipping;          /* fraction of samples at |x| >= 32700 in the frame */
  double   noise_floor_dbfs;  /* adaptive estimate after this frame */
  gboolean voice;             /* voice activity */
  double   band_ratio;        /* energy 300–3400 Hz / total */
  double   flatness;          /* spectral flatness 0..1 (1 = noise-like) */
  double   score;             /* this frame's quality in 0..1 */
} MiraFrameFeatures;

/* The per-stream state behind the features: the analysis buffers, the
 * adaptive noise floor and the voice-activity hangover. One per stream, used
 * by one thread at a time.
 */
typedef struct _MiraFeatures MiraFeatures;

MiraFeatures *mira_features_new             (void);
void          mira_features_free            (MiraFeatures      *self);
void          mira_features_reset           (MiraFeatures      *self);

/* Fills every field of @out but `score` (that is the scorer's formula) from
 * exactly MIRA_FRAME_SAMPLES samples, and updates the stream state. A frame
 * that cannot be voice (too quiet, too close to the floor, no hangover) gets
 * band_ratio 0 and flatness 1 without a spectrum.
 *
 * Returns whether the frame itself passed the voice test: `voice` is that
 * test smoothed (onset and hangover), so it is also TRUE in the short gaps
 * between words, which carry no speech to measure.
 */
gboolean      mira_features_analyze         (MiraFeatures      *self,
                                             const gint16      *frame,
                                             MiraFrameFeatures *out);

/* The power of the last analysed frame and of the noise floor behind it, as
 * linear mean squares relative to full scale (1.0 = 0 dBFS).
 */
void          mira_features_get_powers      (MiraFeatures      *self,
                                             double            *frame_power,
                                             double            *floor_power);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraFeatures, mira_features_free)

G_END_DECLS
