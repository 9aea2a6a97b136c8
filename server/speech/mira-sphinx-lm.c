/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-sphinx-lm"

#include "config.h"

#include "mira-sphinx-lm.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sphinxbase/bitarr.h>

/* The binary trie of sphinxbase 5prealpha (lm_trie.c, ngram_model_trie.c),
 * a reversed trie after KenLM's: the unigrams, each with the range of its
 * entries on the next level; an entry of level L (L + 1 words) holds the
 * word one further back in the history, its quantised probability (and
 * back-off weight), and the range of its entries on level L + 1, bit-packed.
 * The n-gram "a b c" is the path c, b, a.
 *
 * sphinxbase reads it but cannot write it out in a form to restrict:
 * ngram_model_write() to ARPA fails its assertion on Debian's en-us.lm.bin,
 * whose header counts 2,051,547 bigrams where its trie holds 2,051,541 (the
 * counts of n-grams added as missing contexts, overestimated by the build
 * that wrote it; reading and scoring go by the trie and never notice), and
 * its n-gram iterators are declared but not built for trie models. So the
 * trie is read and written here, with sphinxbase's own bit packing, and
 * the result is checked by reading it back with sphinxbase.
 */

#define TRIE_HEADER     "Trie Language Model"
#define MAX_ORDER       5               /* sphinxbase's NGRAM_MAX_ORDER */
#define QUANT_BITS      16              /* a probability's or back-off's code */
#define QUANT_TABLE     ((gsize) sizeof (float) << QUANT_BITS)
#define MAX_WORD_BITS   25              /* bitarr_read_int25() */

/* As sphinxbase lays out a unigram, and writes it with fwrite() */
typedef struct
{
  float   prob;
  float   backoff;
  guint32 next;           /* its first entry on level 1 */
} Unigram;

G_STATIC_ASSERT (sizeof (Unigram) == 12);

/* The entries of one level above the unigrams */
typedef struct
{
  guint8  *bits;
  guint32  n;              /* entries as the header counts them (room for n + 1) */
  guint8   word_bits;
  guint32  word_mask;
  guint8   quant_bits;     /* 32: probability and back-off; 16 on the last level */
  guint8   next_bits;      /* 0 on the last level */
  guint32  next_mask;
  guint32  total_bits;
} Level;

typedef struct
{
  guint8      order;
  guint32     counts[MAX_ORDER];
  guint8     *quant;       /* the quantiser's tables with the int before them */
  gsize       quant_size;
  Unigram    *unigrams;    /* counts[0] + 1: the last one ends the ranges */
  Level       levels[MAX_ORDER];   /* [1] .. [order - 1] */
  const char *words;       /* counts[0] strings, each with its NUL */
  guint32     words_size;
} Trie;

static guint8
required_bits (guint32 max)
{
  return bitarr_required_bits (max);
}

/* As sphinxbase's middle_init() and longest_init() */
static void
level_init (Level   *level,
            guint32  n,
            guint32  n_words,
            guint32  n_next,
            gboolean last)
{
  level->n = n;
  level->word_bits = required_bits (n_words);
  level->word_mask = (1u << level->word_bits) - 1u;
  level->quant_bits = last ? QUANT_BITS : 2 * QUANT_BITS;
  level->next_bits = last ? 0 : required_bits (n_next);
  level->next_mask = (guint32) ((G_GUINT64_CONSTANT (1) << level->next_bits) - 1);
  level->total_bits = level->word_bits + level->quant_bits + level->next_bits;
}

/* Bytes, as sphinxbase's base_size(): room for the entry past the last
 * (whose next ends the last range), and for a 64-bit read at any entry.
 */
static guint64
level_size (const Level *level)
{
  return ((1 + (guint64) level->n) * level->total_bits + 7) / 8 + sizeof (guint64);
}

static bitarr_address_t
level_address (const Level *level,
               guint32      i)
{
  bitarr_address_t address = { level->bits, i * level->total_bits };

  return address;
}

static guint32
level_word (const Level *level,
            guint32      i)
{
  return bitarr_read_int25 (level_address (level, i), level->word_bits, level->word_mask);
}

static guint64
level_quant (const Level *level,
             guint32      i)
{
  bitarr_address_t address = level_address (level, i);

  address.offset += level->word_bits;
  return bitarr_read_int57 (address, level->quant_bits,
                            (G_GUINT64_CONSTANT (1) << level->quant_bits) - 1);
}

static guint32
level_next (const Level *level,
            guint32      i)
{
  bitarr_address_t address = level_address (level, i);

  address.offset += level->word_bits + level->quant_bits;
  return bitarr_read_int25 (address, level->next_bits, level->next_mask);
}

/* Entry @i's fields; its bits must be zero, as the bits of a fresh trie are */
static void
level_set (Level   *level,
           guint32  i,
           guint32  word,
           guint64  quant)
{
  bitarr_address_t address = level_address (level, i);

  bitarr_write_int25 (address, level->word_bits, word);
  address.offset += level->word_bits;
  bitarr_write_int57 (address, level->quant_bits, quant);
}

static void
level_set_next (Level   *level,
                guint32  i,
                guint32  next)
{
  bitarr_address_t address = level_address (level, i);

  address.offset += level->word_bits + level->quant_bits;
  bitarr_write_int25 (address, level->next_bits, next);
}

/* Entry @i's range on level @l + 1 (@l 0: the unigrams) */
static void
trie_children (const Trie *trie,
               guint       l,
               guint32     i,
               guint32    *begin,
               guint32    *end)
{
  if (l == 0)
    {
      *begin = trie->unigrams[i].next;
      *end = trie->unigrams[i + 1].next;
    }
  else
    {
      *begin = level_next (&trie->levels[l], i);
      *end = level_next (&trie->levels[l], i + 1);
    }
}

static gboolean
invalid (GError    **error,
         const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Not a whole PocketSphinx trie language model: %s", what);
  return FALSE;
}

/* Points @trie into @data (which it does not copy), checking that every
 * section has the size its header gives and that the ranges stay in their
 * levels; an n-gram's words are checked as they are read.
 */
static gboolean
trie_parse (Trie    *trie,
            guint8  *data,
            gsize    size,
            GError **error)
{
  const gsize header_len = strlen (TRIE_HEADER);
  guint64 offset = header_len + 1;
  gint32 words_size;
  guint32 n_strings = 0;

  memset (trie, 0, sizeof (*trie));
  if (size < offset || memcmp (data, TRIE_HEADER, header_len) != 0)
    return invalid (error, "no header");
  trie->order = data[header_len];
  if (trie->order < 2 || trie->order > MAX_ORDER)
    return invalid (error, "an order it cannot have");
  if (size < offset + trie->order * sizeof (guint32))
    return invalid (error, "no counts");
  memcpy (trie->counts, data + offset, trie->order * sizeof (guint32));
  offset += trie->order * sizeof (guint32);
  if (trie->counts[0] == 0 || required_bits (trie->counts[0]) > MAX_WORD_BITS)
    return invalid (error, "a vocabulary it cannot have");

  trie->quant = data + offset;
  trie->quant_size = sizeof (gint32) + (trie->order - 1) * QUANT_TABLE +
                     (trie->order - 2) * QUANT_TABLE;
  offset += trie->quant_size;
  /* Always aligned (the header's 20 bytes, 4 a count, 4 the int and the
   * tables), but a file is a file
   */
  if (offset % G_ALIGNOF (Unigram) != 0)
    return invalid (error, "unigrams out of place");
  trie->unigrams = (Unigram *) (data + offset);
  offset += ((guint64) trie->counts[0] + 1) * sizeof (Unigram);
  for (guint l = 1; l < trie->order; l++)
    {
      Level *level = &trie->levels[l];
      gboolean last = l == trie->order - 1u;

      level_init (level, trie->counts[l], trie->counts[0], last ? 0 : trie->counts[l + 1], last);
      if ((1 + (guint64) level->n) * level->total_bits > G_MAXUINT32)
        return invalid (error, "more n-grams than it can hold");
      level->bits = data + MIN (offset, size);
      offset += level_size (level);
    }
  if (size < offset + sizeof (gint32))
    return invalid (error, "cut short");
  memcpy (&words_size, data + offset, sizeof (gint32));
  offset += sizeof (gint32);
  if (words_size <= 0 || size != offset + (guint64) words_size)
    return invalid (error, "its words cut short");
  trie->words = (const char *) data + offset;
  trie->words_size = words_size;
  if (trie->words[words_size - 1] != '\0')
    return invalid (error, "its last word unended");
  for (gint32 i = 0; i < words_size; i++)
    n_strings += trie->words[i] == '\0';
  if (n_strings != trie->counts[0])
    return invalid (error, "not one word for each unigram");

  for (guint32 i = 0; i < trie->counts[0]; i++)
    if (trie->unigrams[i].next > trie->unigrams[i + 1].next)
      return invalid (error, "unigrams out of order");
  if (trie->unigrams[trie->counts[0]].next > trie->counts[1])
    return invalid (error, "more bigrams than counted");
  return TRUE;
}

/* Which entries of @trie are all of kept words; their numbers per level */
static gboolean
trie_keep (const Trie *trie,
           guint8    **kept,
           guint32    *n_kept,
           GError    **error)
{
  for (guint l = 0; l + 1 < trie->order; l++)
    {
      const Level *next = &trie->levels[l + 1];
      guint32 n = l == 0 ? trie->counts[0] : trie->levels[l].n;

      kept[l + 1] = g_new0 (guint8, next->n);
      n_kept[l + 1] = 0;
      for (guint32 i = 0; i < n; i++)
        {
          guint32 begin, end;

          if (!kept[l][i])
            continue;
          trie_children (trie, l, i, &begin, &end);
          if (begin > end || end > next->n)
            return invalid (error, "a range out of its level");
          for (guint32 j = begin; j < end; j++)
            {
              guint32 word = level_word (next, j);

              if (word >= trie->counts[0])
                return invalid (error, "a word that is not a unigram");
              if (kept[0][word])
                {
                  kept[l + 1][j] = TRUE;
                  n_kept[l + 1]++;
                }
            }
        }
    }
  return TRUE;
}

/* The trie of @trie's @kept entries, as sphinxbase would write it */
static GBytes *
trie_write_kept (const Trie    *trie,
                 guint8 * const *kept,
                 const guint32 *n_kept,
                 const char   **strings)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint32 *ids = g_new (guint32, trie->counts[0]);
  Level levels[MAX_ORDER];
  guint64 words_size = 0;
  gsize levels_offset, unigrams_offset;
  guint32 n = 0;
  gint32 size32;

  g_byte_array_append (out, (const guint8 *) TRIE_HEADER, strlen (TRIE_HEADER));
  g_byte_array_append (out, &trie->order, 1);
  g_byte_array_append (out, (const guint8 *) n_kept, trie->order * sizeof (guint32));
  g_byte_array_append (out, trie->quant, trie->quant_size);

  /* The unigrams and their words, numbered in the same order */
  for (guint32 i = 0; i < trie->counts[0]; i++)
    if (kept[0][i])
      {
        ids[i] = n++;
        words_size += strlen (strings[i]) + 1;
      }
  unigrams_offset = out->len;
  g_byte_array_set_size (out, out->len + (n_kept[0] + 1) * sizeof (Unigram));
  levels_offset = out->len;
  for (guint l = 1; l < trie->order; l++)
    {
      gboolean last = l == trie->order - 1u;

      level_init (&levels[l], n_kept[l], n_kept[0], last ? 0 : n_kept[l + 1], last);
      g_byte_array_set_size (out, out->len + level_size (&levels[l]));
    }
  memset (out->data + unigrams_offset, 0, out->len - unigrams_offset);
  for (guint l = 1; l < trie->order; l++)
    {
      levels[l].bits = out->data + levels_offset;
      levels_offset += level_size (&levels[l]);
    }

  /* Level by level, each kept entry's range on the next level starts
   * where its kept predecessor's ended
   */
  for (guint l = 0; l < trie->order; l++)
    {
      guint32 n_entries = l == 0 ? trie->counts[0] : trie->levels[l].n;
      guint32 at = 0, next = 0;

      for (guint32 i = 0; i < n_entries; i++)
        {
          if (!kept[l][i])
            continue;
          if (l == 0)
            {
              Unigram *unigram = (Unigram *) (out->data + unigrams_offset) + at;

              *unigram = trie->unigrams[i];
              unigram->next = next;
            }
          else
            {
              level_set (&levels[l], at, ids[level_word (&trie->levels[l], i)],
                         level_quant (&trie->levels[l], i));
              if (l + 1 < trie->order)
                level_set_next (&levels[l], at, next);
            }
          if (l + 1 < trie->order)
            {
              guint32 begin, end;

              trie_children (trie, l, i, &begin, &end);
              for (guint32 j = begin; j < end; j++)
                next += kept[l + 1][j];
            }
          at++;
        }
      /* The entry past the last ends the last range */
      if (l == 0)
        ((Unigram *) (out->data + unigrams_offset))[at] = (Unigram) { 0, 0, next };
      else if (l + 1 < trie->order)
        level_set_next (&levels[l], at, next);
    }

  size32 = (gint32) words_size;
  g_byte_array_append (out, (const guint8 *) &size32, sizeof (size32));
  for (guint32 i = 0; i < trie->counts[0]; i++)
    if (kept[0][i])
      g_byte_array_append (out, (const guint8 *) strings[i], strlen (strings[i]) + 1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Scores @path's n-grams as @model does; every @stride-th of each order */
#define CHECK_STRIDE 61
#define CHECK_BACKOFFS 20000

typedef struct
{
  ngram_model_t *model;     /* the source */
  ngram_model_t *restricted;
  const Trie    *trie;      /* the restricted one's */
  int32         *ids;       /* its words in the source */
  guint32        n_checked;
  guint32        n_seen;
} Check;

static gboolean
check_score (Check        *check,
             const int32  *words,    /* the restricted model's: the word, then its history */
             guint         n_words,
             int           n_used,   /* expected, or 0: any */
             GError      **error)
{
  int32 history[MAX_ORDER], source_history[MAX_ORDER];
  int32 used, source_used;
  int32 prob, source_prob;

  for (guint i = 1; i < n_words; i++)
    {
      history[i - 1] = words[i];
      source_history[i - 1] = check->ids[words[i]];
    }
  prob = ngram_ng_prob (check->restricted, words[0], history, n_words - 1, &used);
  source_prob = ngram_ng_prob (check->model, check->ids[words[0]], source_history, n_words - 1,
                               &source_used);
  check->n_checked++;
  if (prob != source_prob || used != source_used || (n_used > 0 && used != n_used))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The restricted language model scores \"%s\" after %u words %d (%d of them "
                   "used), the source %d (%d used)",
                   ngram_word (check->restricted, words[0]), n_words - 1, prob, used,
                   source_prob, source_used);
      return FALSE;
    }
  return TRUE;
}

/* Walks the restricted trie: the path to an entry is an n-gram it holds */
static gboolean
check_walk (Check   *check,
            guint    l,
            guint32  begin,
            guint32  end,
            int32   *words,
            GError **error)
{
  for (guint32 i = begin; i < end; i++)
    {
      words[l] = l == 0 ? (int32) i : (int32) level_word (&check->trie->levels[l], i);
      if (check->n_seen++ % CHECK_STRIDE == 0 &&
          !check_score (check, words, l + 1, l + 1, error))
        return FALSE;
      if (l + 1 < check->trie->order)
        {
          guint32 next_begin, next_end;

          trie_children (check->trie, l, i, &next_begin, &next_end);
          if (!check_walk (check, l + 1, next_begin, next_end, words, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_restricted (ngram_model_t *model,
                  logmath_t     *logmath,
                  GBytes        *bytes,
                  const char    *path,
                  GError       **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  /* Read only: trie_parse() and the walk write nothing */
  guint8 *data = (guint8 *) g_bytes_get_data (bytes, NULL);
  g_autofree int32 *ids = NULL;
  Check check = { model, NULL, NULL, NULL, 0, 0 };
  Trie trie;
  const uint32 *counts;
  int32 words[MAX_ORDER];
  gboolean ok = FALSE;

  if (!trie_parse (&trie, data, g_bytes_get_size (bytes), error))
    return FALSE;
  check.trie = &trie;
  check.restricted = ngram_model_read (NULL, path, NGRAM_BIN, logmath);
  if (check.restricted == NULL)
    return invalid (error, "PocketSphinx did not read it back");
  counts = ngram_model_get_counts (check.restricted);
  for (guint l = 0; l < trie.order; l++)
    if (counts[l] != trie.counts[l])
      {
        invalid (error, "PocketSphinx read other counts back");
        goto out;
      }
  ids = g_new (int32, trie.counts[0]);
  for (guint32 i = 0; i < trie.counts[0]; i++)
    {
      ids[i] = ngram_wid (model, ngram_word (check.restricted, (int32) i));
      if (ids[i] == ngram_unknown_wid (model))
        {
          invalid (error, "a word that is not the source's");
          goto out;
        }
    }
  check.ids = ids;

  /* The n-grams it holds, and n-grams of random words (mostly backing off) */
  if (!check_walk (&check, 0, 0, trie.counts[0], words, error))
    goto out;
  for (guint i = 0; i < CHECK_BACKOFFS; i++)
    {
      guint n_words = g_rand_int_range (rand, 1, trie.order + 1);

      for (guint w = 0; w < n_words; w++)
        words[w] = g_rand_int_range (rand, 0, (gint32) trie.counts[0]);
      if (!check_score (&check, words, n_words, 0, error))
        goto out;
    }
  g_debug ("%u scores of %s as its source's", check.n_checked, path);
  ok = TRUE;

out:
  ngram_model_free (check.restricted);
  return ok;
}

gboolean
mira_sphinx_lm_write_restricted (ngram_model_t  *model,
                                 logmath_t      *logmath,
                                 const char     *lm_path,
                                 GHashTable     *words,
                                 const char     *path,
                                 GError        **error)
{
  g_autofree guint8 *data = NULL;
  g_autofree const char **strings = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *kept[MAX_ORDER] = { NULL };
  guint32 n_kept[MAX_ORDER] = { 0 };
  gsize size;
  Trie trie;
  gboolean ok = FALSE;
  gint64 start_us = g_get_monotonic_time ();

  g_return_val_if_fail (model != NULL && logmath != NULL, FALSE);
  g_return_val_if_fail (lm_path != NULL && path != NULL && words != NULL, FALSE);

  if (!g_file_get_contents (lm_path, (char **) &data, &size, error) ||
      !trie_parse (&trie, data, size, error))
    return FALSE;

  strings = g_new (const char *, trie.counts[0]);
  kept[0] = g_new0 (guint8, trie.counts[0]);
  for (guint32 i = 0, at = 0; i < trie.counts[0]; i++)
    {
      strings[i] = trie.words + at;
      at += strlen (strings[i]) + 1;
      kept[0][i] = g_hash_table_contains (words, strings[i]) ||
                   g_str_equal (strings[i], "<s>") || g_str_equal (strings[i], "</s>");
      n_kept[0] += kept[0][i];
    }
  if (!trie_keep (&trie, kept, n_kept, error))
    goto out;
  bytes = trie_write_kept (&trie, kept, n_kept, strings);
  g_clear_pointer (&data, g_free);
  for (guint l = 0; l < MAX_ORDER; l++)
    g_clear_pointer (&kept[l], g_free);

  if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                            error))
    goto out;
  if (!check_restricted (model, logmath, bytes, path, error))
    {
      g_unlink (path);
      goto out;
    }
  g_debug ("%s restricted to %u words, %u %u %u n-grams, %zu bytes, in %.0f ms", lm_path,
           n_kept[0], n_kept[0], n_kept[1], trie.order > 2 ? n_kept[2] : 0,
           g_bytes_get_size (bytes), (g_get_monotonic_time () - start_us) / 1000.0);
  ok = TRUE;

out:
  for (guint l = 0; l < MAX_ORDER; l++)
    g_free (kept[l]);
  return ok;
}

gboolean
mira_sphinx_lm_check (const char  *path,
                      GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  Trie trie;

  g_return_val_if_fail (path != NULL, FALSE);

  file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return FALSE;
  /* Read only: trie_parse() writes nothing */
  return trie_parse (&trie, (guint8 *) g_mapped_file_get_contents (file),
                     g_mapped_file_get_length (file), error);
}
