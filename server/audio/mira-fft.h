/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Power spectra of real frames, by FFTW. The plan is made once in
 * mira_fft_new() and only read afterwards, so one MiraFft is shared by every
 * stream and thread; the caller owns the scratch buffer.
 */
typedef struct _MiraFft MiraFft;

/* @n: a power of two, 8..65536. */
MiraFft *mira_fft_new           (guint          n);
void     mira_fft_free          (MiraFft       *fft);
guint    mira_fft_get_size      (const MiraFft *fft);

/* Scratch space for mira_fft_power() of an @n-point FFT, in floats: the
 * transform's n + 2 and room to align them for FFTW's vector code. For
 * arrays sized at compile time; mira_fft_scratch_size() says the same.
 */
#define MIRA_FFT_SCRATCH_FLOATS(n) ((n) + 2 + 16)
gsize    mira_fft_scratch_size  (const MiraFft *fft);

/* |X[k]|² for k = 0..n/2 of the n real samples @in (unnormalised: a
 * full-scale DC input of 1.0 gives n² in bin 0). @in is left as it is;
 * @scratch holds mira_fft_scratch_size() floats, @power n/2 + 1.
 */
void     mira_fft_power         (const MiraFft *fft,
                                 const float   *in,
                                 float         *scratch,
                                 float         *power);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraFft, mira_fft_free)

G_END_DECLS
