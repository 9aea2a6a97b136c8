/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-types.h"

G_BEGIN_DECLS

/* Who a token hash belongs to, remembered for a few seconds so that most
 * requests need no database round trip to authenticate. Anything that can
 * revoke a token here (rotation, suspension, deletion, (de)registration)
 * clears it; a change made by another server process shows within the TTL.
 * Thread-safe.
 */

typedef struct {
  MiraAuthKind  kind;
  char         *net_uuid;
  char         *network_id;
  char         *status;
  char         *client_id;
} MiraTokenEntry;

typedef struct _MiraTokenCache MiraTokenCache;

MiraTokenCache *mira_token_cache_new        (gint64                ttl_us);
void            mira_token_cache_free       (MiraTokenCache       *cache);
/* Take it before reading the database; insert() drops entries read before a clear(). */
guint64         mira_token_cache_generation (MiraTokenCache       *cache);
gboolean        mira_token_cache_lookup     (MiraTokenCache       *cache,
                                             const char           *hash,
                                             MiraTokenEntry       *out);
void            mira_token_cache_insert     (MiraTokenCache       *cache,
                                             const char           *hash,
                                             const MiraTokenEntry *entry,
                                             guint64               generation);
void            mira_token_cache_clear      (MiraTokenCache       *cache);
void            mira_token_entry_clear      (MiraTokenEntry       *entry);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MiraTokenEntry, mira_token_entry_clear)

G_END_DECLS
