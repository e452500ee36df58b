/* cardcache.c — the per-process memory cache of share cards
 * (smo_cardcache.h): a hash of id to entry, and the entries in a list,
 * oldest first. */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "smo_cardcache.h"

typedef struct entry {
    struct entry *next;
    char *id;
    unsigned char *png;
    size_t len;
} entry;

struct smo_card_cache {
    apr_thread_mutex_t *lock;
    apr_hash_t *index;          /* id -> entry (keys are the entries' ids) */
    entry *oldest, *newest;
    size_t max, bytes, cards;
};

static void drop_oldest(smo_card_cache *c)
{
    entry *e = c->oldest;

    c->oldest = e->next;
    if (!c->oldest)
        c->newest = NULL;
    apr_hash_set(c->index, e->id, APR_HASH_KEY_STRING, NULL);
    c->bytes -= e->len;
    c->cards--;
    free(e->png);
    free(e->id);
    free(e);
}

static apr_status_t free_all(void *data)
{
    smo_card_cache *c = data;

    while (c->oldest)
        drop_oldest(c);
    return APR_SUCCESS;
}

smo_card_cache *smo_card_cache_create(apr_pool_t *pool, size_t max_bytes)
{
    smo_card_cache *c = apr_pcalloc(pool, sizeof(*c));

    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pool)
        != APR_SUCCESS)
        return NULL;
    /* The index's own memory grows with the number of distinct ids ever
     * kept at once, which the byte bound caps. */
    c->index = apr_hash_make(pool);
    c->max = max_bytes;
    apr_pool_cleanup_register(pool, c, free_all, apr_pool_cleanup_null);
    return c;
}

int smo_card_cache_get(smo_card_cache *c, const char *id, apr_pool_t *p,
                       const unsigned char **png, size_t *len)
{
    entry *e;

    apr_thread_mutex_lock(c->lock);
    e = apr_hash_get(c->index, id, APR_HASH_KEY_STRING);
    if (e) {
        *png = apr_pmemdup(p, e->png, e->len);
        *len = e->len;
    }
    apr_thread_mutex_unlock(c->lock);
    return e != NULL;
}

void smo_card_cache_put(smo_card_cache *c, const char *id,
                        const unsigned char *png, size_t len)
{
    entry *e;

    if (len == 0 || len > c->max)
        return;
    e = calloc(1, sizeof(*e));
    if (!e)
        return;
    e->id = strdup(id);
    e->png = malloc(len);
    if (!e->id || !e->png) {
        free(e->id);
        free(e->png);
        free(e);
        return;
    }
    memcpy(e->png, png, len);
    e->len = len;

    apr_thread_mutex_lock(c->lock);
    if (apr_hash_get(c->index, id, APR_HASH_KEY_STRING)) {
        apr_thread_mutex_unlock(c->lock);
        free(e->png);
        free(e->id);
        free(e);
        return;
    }
    while (c->oldest && c->bytes + len > c->max)
        drop_oldest(c);
    if (c->newest)
        c->newest->next = e;
    else
        c->oldest = e;
    c->newest = e;
    apr_hash_set(c->index, e->id, APR_HASH_KEY_STRING, e);
    c->bytes += len;
    c->cards++;
    apr_thread_mutex_unlock(c->lock);
}

void smo_card_cache_usage(smo_card_cache *c, size_t *bytes, size_t *cards)
{
    apr_thread_mutex_lock(c->lock);
    *bytes = c->bytes;
    *cards = c->cards;
    apr_thread_mutex_unlock(c->lock);
}
