/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A voice signature: a fixed-length vector that describes how a person's
 * voice sounds, whatever they say, computed from 16 kHz mono speech.
 *
 * Method (docs/voice-signatures.md has the reasoning and the figures):
 * mel-frequency cepstral coefficients (Davis & Mermelstein 1980) of 25 ms
 * Hamming frames every 10 ms, after pre-emphasis and spectral subtraction
 * of the utterance's own noise floor (Boll 1979); only the frames of
 * speech count (an energy test relative to the utterance's noise floor and
 * peak, as in Reynolds 1995's text-independent speaker identification).
 * The signature is the mean over those frames of c1..c20, each liftered
 * by its index (Juang, Rabiner & Wilpon 1987) so that every coefficient
 * weighs alike in a cosine, followed by the mean and the standard
 * deviation of log2 of the fundamental frequency of the voiced frames
 * (autocorrelation pitch), scaled to weigh about as much; from all of it
 * the mean signature of a background of voices is subtracted.
 *
 * Signatures are compared by cosine similarity; a person's signature is
 * the mean of the signatures of their speech, weighted by seconds of speech.
 */

#define MIRA_VOICE_SIGNATURE_N_CEPSTRA  20
/* the mean of each coefficient, then the mean and deviation of log F0 */
#define MIRA_VOICE_SIGNATURE_DIM        (MIRA_VOICE_SIGNATURE_N_CEPSTRA + 2)

/* Less speech than this (seconds of frames that pass the speech test) gives
 * no signature: too little to say who spoke.
 */
#define MIRA_VOICE_SIGNATURE_MIN_SPEECH_S  0.3

#define MIRA_VOICE_SIGNATURE_ERROR (mira_voice_signature_error_quark ())

typedef enum {
  MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH,  /* too short, or too little of it is speech */
} MiraVoiceSignatureError;

GQuark    mira_voice_signature_error_quark (void);

typedef struct {
  float  values[MIRA_VOICE_SIGNATURE_DIM];
  double speech_s;   /* seconds of speech it stands for: its weight */
} MiraVoiceSignature;

/* Computes the signature of @n_samples samples of 16 kHz mono audio.
 * Returns FALSE with MIRA_VOICE_SIGNATURE_ERROR_TOO_LITTLE_SPEECH when they
 * hold less than
 * MIRA_VOICE_SIGNATURE_MIN_SPEECH_S of speech. Thread-safe.
 */
gboolean  mira_voice_signature_compute     (const gint16              *samples,
                                            gsize                      n_samples,
                                            MiraVoiceSignature        *out,
                                            GError                   **error);

/* Cosine similarity of @a and @b, in -1..1 (1: the same direction). */
double    mira_voice_signature_similarity  (const MiraVoiceSignature *a,
                                            const MiraVoiceSignature *b);

/* Adds @other into @self as a mean weighted by their speech_s: the
 * signature of all their speech together.
 */
void      mira_voice_signature_combine     (MiraVoiceSignature        *self,
                                            const MiraVoiceSignature *other);

/* The background subtracted from every signature, MIRA_VOICE_SIGNATURE_DIM
 * values: for the benchmark that tunes it.
 */
const float *mira_voice_signature_get_background (void);

/* The values as a JSON array of numbers (text), as persons store them. */
char     *mira_voice_signature_to_json     (const MiraVoiceSignature *self);

/* Reads @json (from mira_voice_signature_to_json()) with weight
 * @speech_s. Returns FALSE when it is not an array of
 * MIRA_VOICE_SIGNATURE_DIM numbers (e.g. one of another method).
 */
gboolean  mira_voice_signature_from_json   (const char                *json,
                                            double                     speech_s,
                                            MiraVoiceSignature        *out);

G_END_DECLS
