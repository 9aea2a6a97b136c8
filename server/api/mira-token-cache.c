/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-token-cache"

#include "mira-token-cache.h"

#define MAX_ENTRIES 10000

typedef struct
{
  MiraTokenEntry entry;
  gint64         expires_us;
} Cached;

struct _MiraTokenCache
{
  GMutex      lock;
  GHashTable *entries;     /* hash → Cached */
  guint64     generation;
  gint64      ttl_us;
};

void
mira_token_entry_clear (MiraTokenEntry *entry)
{
  g_clear_pointer (&entry->net_uuid, g_free);
  g_clear_pointer (&entry->network_id, g_free);
  g_clear_pointer (&entry->status, g_free);
  g_clear_pointer (&entry->client_id, g_free);
}

static void
cached_free (gpointer data)
{
  Cached *cached = data;

  mira_token_entry_clear (&cached->entry);
  g_free (cached);
}

static void
entry_copy (MiraTokenEntry       *to,
            const MiraTokenEntry *from)
{
  to->kind = from->kind;
  to->net_uuid = g_strdup (from->net_uuid);
  to->network_id = g_strdup (from->network_id);
  to->status = g_strdup (from->status);
  to->client_id = g_strdup (from->client_id);
}

MiraTokenCache *
mira_token_cache_new (gint64 ttl_us)
{
  MiraTokenCache *cache = g_new0 (MiraTokenCache, 1);

  g_mutex_init (&cache->lock);
  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_free);
  cache->ttl_us = ttl_us;
  return cache;
}

void
mira_token_cache_free (MiraTokenCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->entries);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

guint64
mira_token_cache_generation (MiraTokenCache *cache)
{
  guint64 generation;

  g_mutex_lock (&cache->lock);
  generation = cache->generation;
  g_mutex_unlock (&cache->lock);
  return generation;
}

gboolean
mira_token_cache_lookup (MiraTokenCache *cache,
                         const char     *hash,
                         MiraTokenEntry *out)
{
  Cached *cached;
  gboolean found = FALSE;

  g_mutex_lock (&cache->lock);
  cached = g_hash_table_lookup (cache->entries, hash);
  if (cached != NULL && cached->expires_us > g_get_monotonic_time ())
    {
      entry_copy (out, &cached->entry);
      found = TRUE;
    }
  g_mutex_unlock (&cache->lock);
  return found;
}

void
mira_token_cache_insert (MiraTokenCache       *cache,
                         const char           *hash,
                         const MiraTokenEntry *entry,
                         guint64               generation)
{
  Cached *cached;

  g_mutex_lock (&cache->lock);
  if (generation == cache->generation)
    {
      if (g_hash_table_size (cache->entries) >= MAX_ENTRIES)
        g_hash_table_remove_all (cache->entries);
      cached = g_new0 (Cached, 1);
      entry_copy (&cached->entry, entry);
      cached->expires_us = g_get_monotonic_time () + cache->ttl_us;
      g_hash_table_replace (cache->entries, g_strdup (hash), cached);
    }
  g_mutex_unlock (&cache->lock);
}

void
mira_token_cache_clear (MiraTokenCache *cache)
{
  g_mutex_lock (&cache->lock);
  cache->generation++;
  g_hash_table_remove_all (cache->entries);
  g_mutex_unlock (&cache->lock);
}
