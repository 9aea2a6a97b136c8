/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-fft"

#include "mira-fft.h"

#include <math.h>

/* An n-point real FFT done as an n/2-point complex FFT of the even samples
 * (real part) and odd samples (imaginary part), followed by the usual split
 * step. The complex FFT is iterative radix-2 decimation in time on separate
 * real and imaginary arrays, with each stage's twiddles stored contiguously so
 * that the inner loops read memory in order and the compiler can vectorise
 * them. Single precision is plenty for 16-bit audio.
 */
struct _MiraFft
{
  guint    n;          /* real points */
  guint    m;          /* complex points, n / 2 */
  guint32 *bitrev;     /* m entries */
  float   *stage_re;   /* m - 1 entries: stage with half-length h starts at h - 1 */
  float   *stage_im;
  float   *split_c;    /* m entries: cos (2πk/n) */
  float   *split_s;    /* m entries: sin (2πk/n) */
};

MiraFft *
mira_fft_new (guint n)
{
  MiraFft *fft;
  guint bits = 0;

  g_return_val_if_fail (n >= 8 && n <= 65536, NULL);
  g_return_val_if_fail ((n & (n - 1)) == 0, NULL);

  fft = g_new0 (MiraFft, 1);
  fft->n = n;
  fft->m = n / 2;
  while ((1u << bits) < fft->m)
    bits++;

  fft->bitrev = g_new (guint32, fft->m);
  for (guint i = 0; i < fft->m; i++)
    {
      guint32 r = 0;

      for (guint b = 0; b < bits; b++)
        if (i & (1u << b))
          r |= 1u << (bits - 1 - b);
      fft->bitrev[i] = r;
    }

  fft->stage_re = g_new (float, fft->m);
  fft->stage_im = g_new (float, fft->m);
  for (guint half = 1; half < fft->m; half *= 2)
    for (guint j = 0; j < half; j++)
      {
        double a = -G_PI * (double) j / (double) half;

        fft->stage_re[half - 1 + j] = (float) cos (a);
        fft->stage_im[half - 1 + j] = (float) sin (a);
      }

  fft->split_c = g_new (float, fft->m);
  fft->split_s = g_new (float, fft->m);
  for (guint k = 0; k < fft->m; k++)
    {
      double a = 2.0 * G_PI * (double) k / (double) n;

      fft->split_c[k] = (float) cos (a);
      fft->split_s[k] = (float) sin (a);
    }

  return fft;
}

void
mira_fft_free (MiraFft *fft)
{
  if (fft == NULL)
    return;

  g_free (fft->bitrev);
  g_free (fft->stage_re);
  g_free (fft->stage_im);
  g_free (fft->split_c);
  g_free (fft->split_s);
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

  return fft->n;
}

static void
complex_fft (const MiraFft *fft,
             float         *re,
             float         *im)
{
  const guint m = fft->m;

  /* The first two stages have trivial twiddles (1, then 1 and -i). */
  for (guint i = 0; i < m; i += 4)
    {
      float ar = re[i] + re[i + 1], ai = im[i] + im[i + 1];
      float br = re[i] - re[i + 1], bi = im[i] - im[i + 1];
      float cr = re[i + 2] + re[i + 3], ci = im[i + 2] + im[i + 3];
      float dr = re[i + 2] - re[i + 3], di = im[i + 2] - im[i + 3];

      re[i] = ar + cr;
      im[i] = ai + ci;
      re[i + 2] = ar - cr;
      im[i + 2] = ai - ci;
      /* (dr + i di) · -i = di - i dr */
      re[i + 1] = br + di;
      im[i + 1] = bi - dr;
      re[i + 3] = br - di;
      im[i + 3] = bi + dr;
    }

  for (guint half = 4; half < m; half *= 2)
    {
      const float *wr = fft->stage_re + half - 1;
      const float *wi = fft->stage_im + half - 1;

      for (guint i = 0; i < m; i += 2 * half)
        {
          float *restrict xr = re + i;
          float *restrict xi = im + i;
          float *restrict yr = re + i + half;
          float *restrict yi = im + i + half;

          for (guint j = 0; j < half; j++)
            {
              float tr = wr[j] * yr[j] - wi[j] * yi[j];
              float ti = wr[j] * yi[j] + wi[j] * yr[j];

              yr[j] = xr[j] - tr;
              yi[j] = xi[j] - ti;
              xr[j] += tr;
              xi[j] += ti;
            }
        }
    }
}

void
mira_fft_power (const MiraFft *fft,
                const float   *in,
                float         *scratch,
                float         *power)
{
  const guint m = fft->m;
  float *re = scratch;
  float *im = scratch + m;

  g_assert (fft != NULL && m >= 4);

  for (guint i = 0; i < m; i++)
    {
      guint32 r = fft->bitrev[i];

      re[r] = in[2 * i];
      im[r] = in[2 * i + 1];
    }

  complex_fft (fft, re, im);

  /* X[0] and X[n/2] are real. */
  power[0] = (re[0] + im[0]) * (re[0] + im[0]);
  power[m] = (re[0] - im[0]) * (re[0] - im[0]);

  for (guint k = 1; k < m; k++)
    {
      float er = 0.5f * (re[k] + re[m - k]);
      float ei = 0.5f * (im[k] - im[m - k]);
      float or_ = 0.5f * (im[k] + im[m - k]);
      float oi = -0.5f * (re[k] - re[m - k]);
      float c = fft->split_c[k];
      float s = fft->split_s[k];
      float xr = er + c * or_ + s * oi;
      float xi = ei + c * oi - s * or_;

      power[k] = xr * xr + xi * xi;
    }
}
