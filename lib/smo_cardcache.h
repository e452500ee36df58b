/* smo_cardcache.h — rendered share cards kept in memory per child
 * process (SPEC 9), so that the crawlers of every network fetching one
 * card cost one render and, after it, no disk read: bounded in bytes,
 * thread-safe (one mutex), oldest out first.  Keyed by the card's id,
 * which names its content (smo_cardsign.h), so an entry never goes
 * stale. */
#ifndef SMO_CARDCACHE_H
#define SMO_CARDCACHE_H

#include <stddef.h>
#include <apr_pools.h>

typedef struct smo_card_cache smo_card_cache;

/* A cache of at most `max_bytes` of PNG (0: keeps nothing), its mutex
 * and index in `pool`, the cards themselves malloc'd and freed when they
 * leave (or when `pool` is cleared).  NULL if the mutex cannot be made. */
smo_card_cache *smo_card_cache_create(apr_pool_t *pool, size_t max_bytes);

/* The card `id`, copied into `p`: 1 (and *png, *len) when kept, else 0. */
int smo_card_cache_get(smo_card_cache *c, const char *id, apr_pool_t *p,
                       const unsigned char **png, size_t *len);

/* Keep a copy of the card `id` (nothing when it is kept already or
 * larger than the bound), dropping the oldest cards as needed. */
void smo_card_cache_put(smo_card_cache *c, const char *id,
                        const unsigned char *png, size_t len);

/* Bytes and cards kept now. */
void smo_card_cache_usage(smo_card_cache *c, size_t *bytes, size_t *cards);

#endif
