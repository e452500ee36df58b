/* smo_imagecache.h — what SMOImageInfo learned of image files (SPEC 8),
 * kept per child process so that a page served a thousand times reads its
 * image's header once: bounded, thread-safe (one mutex), keyed by the
 * file's identity, so that a changed file is read again. */
#ifndef SMO_IMAGECACHE_H
#define SMO_IMAGECACHE_H

#include <apr_pools.h>
#include <apr_time.h>

/* A file: device, inode, modification time and size; a file that is not
 * there has them all 0 and is known by the hash of its name. */
typedef struct {
    apr_uint64_t dev, ino;
    apr_time_t mtime;
    apr_off_t size;
    apr_uint64_t name_hash;
} smo_image_key;

/* What is known of it: ok with the size shown and the media type (a
 * static string), or not ok (missing, unreadable, not an image). */
typedef struct {
    int ok;
    unsigned long width, height;
    const char *type;
} smo_image_facts;

typedef struct smo_image_cache smo_image_cache;

/* A cache of `entries` files (at least 1), in `pool` (a child's: its
 * mutex is made there).  NULL if the mutex cannot be made. */
smo_image_cache *smo_image_cache_create(apr_pool_t *pool, size_t entries);

/* 1 and *out filled when `key` is known, else 0.  Each key has one slot
 * (direct-mapped): a newer file in it replaces the older. */
int smo_image_cache_get(smo_image_cache *c, const smo_image_key *key,
                        smo_image_facts *out);
void smo_image_cache_put(smo_image_cache *c, const smo_image_key *key,
                         const smo_image_facts *facts);

/* FNV-1a of a file name, for the key of a file that is not there. */
apr_uint64_t smo_image_name_hash(const char *name);

#endif
