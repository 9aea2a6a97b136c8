/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-fft"

#include "mira-fft.h"

#include <string.h>
#include <fftw3.h>

/* FFTW's single-precision real-to-complex transform. Measured on the
 * scorer's own frames (bench-ingest), FFTW computes the 512-point spectrum
 * about 3.5 times as fast as the radix-2 code this replaced, and kissfft
 * no faster than that code (docs/libraries.md).
 *
 * A plan is made once, with FFTW_ESTIMATE (no timing runs at start-up, the
 * same algorithm on every run), on an in-place buffer aligned as
 * fftwf_malloc() aligns; each call copies the input into the caller's
 * scratch space at that alignment and runs the plan there with FFTW's
 * new-array interface, which is safe from any number of threads at once.
 * Only the planner is not: plans are made and destroyed under a lock.
 */

/* FFTW's SIMD code needs its arrays as aligned as the plan's: 64 bytes
 * covers every vector unit it uses.
 */
#define ALIGN_FLOATS 16

struct _MiraFft
{
  guint      n;
  fftwf_plan plan;
};

static GMutex planner_lock;

static float *
aligned_in (float *scratch)
{
  guintptr p = (guintptr) scratch;

  return (float *) ((p + ALIGN_FLOATS * sizeof (float) - 1)
                    & ~(guintptr) (ALIGN_FLOATS * sizeof (float) - 1));
}

MiraFft *
mira_fft_new (guint n)
{
  MiraFft *fft;
  float *buffer;

  g_return_val_if_fail (n >= 8 && n <= 65536, NULL);
  g_return_val_if_fail ((n & (n - 1)) == 0, NULL);

  fft = g_new0 (MiraFft, 1);
  fft->n = n;

  g_mutex_lock (&planner_lock);
  buffer = fftwf_alloc_real (n + 2);
  fft->plan = fftwf_plan_dft_r2c_1d ((int) n, buffer, (fftwf_complex *) buffer,
                                     FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  fftwf_free (buffer);
  g_mutex_unlock (&planner_lock);
  g_assert (fft->plan != NULL);
  return fft;
}

void
mira_fft_free (MiraFft *fft)
{
  if (fft == NULL)
    return;
  g_mutex_lock (&planner_lock);
  fftwf_destroy_plan (fft->plan);
  g_mutex_unlock (&planner_lock);
  g_free (fft);
}

guint
mira_fft_get_size (const MiraFft *fft)
{
  g_return_val_if_fail (fft != NULL, 0);

  return fft->n;
}

gsize
mira_fft_scratch_size (const MiraFft *fft)
{
  g_return_val_if_fail (fft != NULL, 0);

  return MIRA_FFT_SCRATCH_FLOATS (fft->n);
}

void
mira_fft_power (const MiraFft *fft,
                const float   *in,
                float         *scratch,
                float         *power)
{
  float *buffer = aligned_in (scratch);
  const fftwf_complex *x = (const fftwf_complex *) buffer;

  memcpy (buffer, in, fft->n * sizeof (float));
  fftwf_execute_dft_r2c (fft->plan, buffer, (fftwf_complex *) buffer);
  for (guint k = 0; k <= fft->n / 2; k++)
    power[k] = x[k][0] * x[k][0] + x[k][1] * x[k][1];
}
