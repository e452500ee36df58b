/* test_imagecache.c — unit tests for lib/imagecache.c: SMOImageInfo's
 * per-process cache of image facts (SPEC 8): a file is known by its
 * identity, a changed file is not, the cache stays bounded and is shared
 * by threads. */
#include <string.h>

#include <check.h>

#include "../lib/smo_imagecache.h"
#include "toolkit.h"

static smo_image_key file_key(apr_uint64_t ino, apr_time_t mtime,
                              apr_off_t size)
{
    smo_image_key k;

    memset(&k, 0, sizeof k);
    k.dev = 2049;
    k.ino = ino;
    k.mtime = mtime;
    k.size = size;
    return k;
}

static const smo_image_facts card = { 1, 1200, 630, "image/png" };

START_TEST(known_by_identity)
{
    smo_image_cache *c = smo_image_cache_create(pool, 64);
    smo_image_key k = file_key(42, 1700000000000000, 31337), other;
    smo_image_facts f;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(smo_image_cache_get(c, &k, &f), 0);
    smo_image_cache_put(c, &k, &card);
    memset(&f, 0, sizeof f);
    ck_assert_int_eq(smo_image_cache_get(c, &k, &f), 1);
    ck_assert_int_eq(f.ok, 1);
    ck_assert_uint_eq(f.width, 1200);
    ck_assert_uint_eq(f.height, 630);
    ck_assert_str_eq(f.type, "image/png");
    /* The same file changed: another modification time, another size,
     * another inode (replaced by a rename), another device. */
    other = k; other.mtime++;
    ck_assert_int_eq(smo_image_cache_get(c, &other, &f), 0);
    other = k; other.size++;
    ck_assert_int_eq(smo_image_cache_get(c, &other, &f), 0);
    other = k; other.ino++;
    ck_assert_int_eq(smo_image_cache_get(c, &other, &f), 0);
    other = k; other.dev++;
    ck_assert_int_eq(smo_image_cache_get(c, &other, &f), 0);
}
END_TEST

START_TEST(missing_files_by_name)
{
    smo_image_cache *c = smo_image_cache_create(pool, 64);
    smo_image_key k, other;
    smo_image_facts none = { 0, 0, 0, NULL }, f;

    memset(&k, 0, sizeof k);
    k.name_hash = smo_image_name_hash("/srv/www/img/gone.png");
    other = k;
    other.name_hash = smo_image_name_hash("/srv/www/img/gone.jpg");
    ck_assert(k.name_hash != other.name_hash);
    ck_assert(smo_image_name_hash("") != k.name_hash);
    smo_image_cache_put(c, &k, &none);
    ck_assert_int_eq(smo_image_cache_get(c, &k, &f), 1);
    ck_assert_int_eq(f.ok, 0);
    ck_assert_int_eq(smo_image_cache_get(c, &other, &f), 0);
}
END_TEST

/* Bounded: a thousand files through 8 slots keep at most 8, and the
 * newest in each slot. */
START_TEST(bounded)
{
    smo_image_cache *c = smo_image_cache_create(pool, 8);
    smo_image_facts f;
    int kept = 0;

    for (apr_uint64_t i = 0; i < 1000; i++) {
        smo_image_key k = file_key(i, 1, 100);
        smo_image_facts g = { 1, (unsigned long)i + 1, 1, "image/gif" };
        smo_image_cache_put(c, &k, &g);
        ck_assert_int_eq(smo_image_cache_get(c, &k, &f), 1);
        ck_assert_uint_eq(f.width, i + 1);
    }
    for (apr_uint64_t i = 0; i < 1000; i++) {
        smo_image_key k = file_key(i, 1, 100);
        if (smo_image_cache_get(c, &k, &f)) {
            ck_assert_uint_eq(f.width, i + 1);
            kept++;
        }
    }
    ck_assert_int_le(kept, 8);
    ck_assert_int_ge(kept, 1);
    /* Zero entries is one. */
    c = smo_image_cache_create(pool, 0);
    ck_assert_ptr_nonnull(c);
}
END_TEST

typedef struct {
    smo_image_cache *cache;
    int id, errors;
} worker;

/* Each thread writes facts that name their key, and checks that what it
 * reads back always belongs to the key it asked for. */
static void *APR_THREAD_FUNC hammer(apr_thread_t *th, void *data)
{
    worker *w = data;

    for (int i = 0; i < 20000; i++) {
        apr_uint64_t ino = (apr_uint64_t)(i % 97) + 1000 * (apr_uint64_t)w->id;
        smo_image_key k = file_key(ino, 5, 7);
        smo_image_facts f = { 1, (unsigned long)ino, (unsigned long)ino * 2,
                              "image/webp" }, got;
        if (i % 3 == 0)
            smo_image_cache_put(w->cache, &k, &f);
        else if (smo_image_cache_get(w->cache, &k, &got) &&
                 (got.width != ino || got.height != ino * 2))
            w->errors++;
    }
    (void)th;
    return NULL;
}

START_TEST(shared_by_threads)
{
    smo_image_cache *c = smo_image_cache_create(pool, 31);
    worker w[4];

    for (int i = 0; i < 4; i++) {
        w[i].cache = c;
        w[i].id = i;
        w[i].errors = 0;
    }
    tk_run_threads(4, hammer, w, sizeof w[0]);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(w[i].errors, 0);
}
END_TEST

static Suite *imagecache_suite(void)
{
    Suite *s = suite_create("imagecache");
    TCase *tc = tcase_create("cache");

    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, known_by_identity);
    tcase_add_test(tc, missing_files_by_name);
    tcase_add_test(tc, bounded);
    tcase_add_test(tc, shared_by_threads);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { imagecache_suite, 0, NULL };
