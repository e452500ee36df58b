/* imagecache.c — the per-process cache of image facts (smo_imagecache.h).
 * Direct-mapped: one slot per key, found without a scan; the slots are
 * copied in and out under one mutex, never handed out. */
#include <string.h>

#include <apr_thread_mutex.h>

#include "smo_imagecache.h"

typedef struct {
    int used;
    smo_image_key key;
    smo_image_facts facts;
} slot;

struct smo_image_cache {
    apr_thread_mutex_t *lock;
    size_t n;
    slot *slots;
};

smo_image_cache *smo_image_cache_create(apr_pool_t *pool, size_t entries)
{
    smo_image_cache *c = apr_pcalloc(pool, sizeof(*c));

    c->n = entries ? entries : 1;
    c->slots = apr_pcalloc(pool, c->n * sizeof(slot));
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pool)
        != APR_SUCCESS)
        return NULL;
    return c;
}

static int same_key(const smo_image_key *a, const smo_image_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->mtime == b->mtime &&
           a->size == b->size && a->name_hash == b->name_hash;
}

/* A slot index mixing every field (splitmix64's finaliser). */
static size_t slot_of(const smo_image_cache *c, const smo_image_key *k)
{
    apr_uint64_t h = k->dev * 0x9E3779B97F4A7C15ULL ^ k->ino ^
                     ((apr_uint64_t)k->mtime << 7) ^ (apr_uint64_t)k->size ^
                     k->name_hash;

    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 31;
    return (size_t)(h % c->n);
}

int smo_image_cache_get(smo_image_cache *c, const smo_image_key *key,
                        smo_image_facts *out)
{
    slot *s = &c->slots[slot_of(c, key)];
    int hit;

    apr_thread_mutex_lock(c->lock);
    hit = s->used && same_key(&s->key, key);
    if (hit)
        *out = s->facts;
    apr_thread_mutex_unlock(c->lock);
    return hit;
}

void smo_image_cache_put(smo_image_cache *c, const smo_image_key *key,
                         const smo_image_facts *facts)
{
    slot *s = &c->slots[slot_of(c, key)];

    apr_thread_mutex_lock(c->lock);
    s->used = 1;
    s->key = *key;
    s->facts = *facts;
    apr_thread_mutex_unlock(c->lock);
}

apr_uint64_t smo_image_name_hash(const char *name)
{
    apr_uint64_t h = 0xCBF29CE484222325ULL;

    for (; *name; name++) {
        h ^= (unsigned char)*name;
        h *= 0x100000001B3ULL;
    }
    return h;
}
