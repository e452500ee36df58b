/* test_cardsign.c — unit tests for lib/cardsign.c and lib/cardcache.c:
 * the signed URL of a share card (SPEC 9: the same texts and look give
 * the same URL, any change another, and no URL the filter did not make
 * verifies), the texts a URL may carry, and the memory cache of
 * rendered cards. */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <apr_strings.h>

#include "../lib/smo_cardcache.h"
#include "../lib/smo_cardsign.h"
#include "toolkit.h"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";

static smo_card_signer signer(const char *look)
{
    smo_card_signer sg = { key, 32, look };
    return sg;
}

/* The path and the query of a card URL. */
static void split(apr_pool_t *p, const char *url, const char *base,
                  const char **path_info, const char **args)
{
    const char *q = strchr(url, '?');

    ck_assert_msg(strncmp(url, base, strlen(base)) == 0, "%s", url);
    ck_assert_ptr_nonnull(q);
    *path_info = apr_pstrndup(p, url + strlen(base),
                              (size_t)(q - url) - strlen(base));
    *args = q + 1;
}

/* ---- HMAC-SHA1: RFC 2202's test cases ----------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

START_TEST(hmac_rfc2202)
{
    unsigned char k1[20], k3[20], k6[80], d3[50], out[20];
    char h[41];

    memset(k1, 0x0b, sizeof k1);
    smo_hmac_sha1(k1, 20, "Hi There", 8, out);
    hex(out, 20, h);
    ck_assert_str_eq(h, "b617318655057264e28bc0b6fb378c8ef146be00");

    smo_hmac_sha1((const unsigned char *)"Jefe", 4,
                  "what do ya want for nothing?", 28, out);
    hex(out, 20, h);
    ck_assert_str_eq(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");

    memset(k3, 0xaa, sizeof k3);
    memset(d3, 0xdd, sizeof d3);
    smo_hmac_sha1(k3, 20, d3, 50, out);
    hex(out, 20, h);
    ck_assert_str_eq(h, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");

    /* A key longer than the block is hashed first. */
    memset(k6, 0xaa, sizeof k6);
    smo_hmac_sha1(k6, 80, "Test Using Larger Than Block-Size Key - Hash Key First",
                  54, out);
    hex(out, 20, h);
    ck_assert_str_eq(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}
END_TEST

/* ---- the URL ------------------------------------------------------------ */

START_TEST(url_round_trip)
{
    smo_card_signer sg = signer("look-1");
    smo_card_text t = { "Brewing green tea: why the water temperature matters",
                        "Tea & Co", "tea.example" }, got;
    const char *url = smo_card_url(pool, &sg, "/smo/card", &t);
    const char *path, *args, *id;

    ck_assert_msg(strstr(url, "/smo/card/") == url, "%s", url);
    ck_assert_msg(strstr(url, ".png?t=Brewing%20green%20tea%3A%20why") != NULL,
                  "%s", url);
    ck_assert_msg(strstr(url, "&s=Tea%20%26%20Co&h=tea.example") != NULL,
                  "%s", url);
    split(pool, url, "/smo/card", &path, &args);
    ck_assert_uint_eq(strlen(path), 1 + SMO_CARD_ID_LEN + 4);
    ck_assert_ptr_null(smo_card_verify(pool, &sg, path, args, &got, &id));
    ck_assert_str_eq(got.title, t.title);
    ck_assert_str_eq(got.site, t.site);
    ck_assert_str_eq(got.host, t.host);
    ck_assert_str_eq(id, smo_card_id(pool, &sg, &t));
    ck_assert_uint_eq(strlen(id), SMO_CARD_ID_LEN);
    /* A trailing slash on SMOCardURL makes no double slash. */
    ck_assert_ptr_nonnull(strstr(smo_card_url(pool, &sg, "/cards/", &t),
                                 "/cards/" ));
    ck_assert_ptr_null(strstr(smo_card_url(pool, &sg, "/cards/", &t), "//"));
}
END_TEST

START_TEST(same_texts_same_url)
{
    smo_card_signer sg = signer("look-1"), other_look = signer("look-2"),
                    other_key = { (const unsigned char *)"another key, 16+ bytes", 22,
                                  "look-1" };
    smo_card_text a = { "緑茶の淹れ方", "", "tea.example" };
    smo_card_text b = { "緑茶の淹れ方", "", "tea.example" };
    smo_card_text c = { "緑茶の淹れ方 ", "", "tea.example" };
    smo_card_text d = { "緑茶の淹れ方", "tea.example", "" };

    ck_assert_str_eq(smo_card_url(pool, &sg, "/c", &a),
                     smo_card_url(pool, &sg, "/c", &b));
    ck_assert_str_ne(smo_card_id(pool, &sg, &a), smo_card_id(pool, &sg, &c));
    /* The fields are length-prefixed: moving text between them changes
     * the id. */
    ck_assert_str_ne(smo_card_id(pool, &sg, &a), smo_card_id(pool, &sg, &d));
    ck_assert_str_ne(smo_card_id(pool, &sg, &a),
                     smo_card_id(pool, &other_look, &a));
    ck_assert_str_ne(smo_card_id(pool, &sg, &a),
                     smo_card_id(pool, &other_key, &a));
}
END_TEST

/* Every way of changing a URL the filter made is refused. */
START_TEST(tampered_urls_refused)
{
    smo_card_signer sg = signer("look-1"), other_look = signer("look-2");
    smo_card_text t = { "Brewing green tea", "Tea Journal", "tea.example" }, got;
    const char *url = smo_card_url(pool, &sg, "/smo/card", &t);
    const char *path, *args, *id;
    char *bad;

    split(pool, url, "/smo/card", &path, &args);

    /* Another title, site or host under the same id. */
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path,
        "t=Buy%20cheap%20pills&s=Tea%20Journal&h=tea.example", &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path,
        "t=Brewing%20green%20tea&s=Evil&h=tea.example", &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path,
        "t=Brewing%20green%20tea&s=Tea%20Journal", &got, &id));
    /* One character of the id changed. */
    bad = apr_pstrdup(pool, path);
    bad[5] = bad[5] == 'A' ? 'B' : 'A';
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, bad, args, &got, &id));
    /* The same URL checked with another look (the configuration changed). */
    ck_assert_ptr_nonnull(smo_card_verify(pool, &other_look, path, args, &got, &id));
    /* Shapes no filter makes. */
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, NULL, args, &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, "/", args, &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg,
        apr_pstrcat(pool, path, "x", NULL), args, &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path,
        apr_pstrcat(pool, args, "&x=1", NULL), &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path,
        apr_pstrcat(pool, args, "&t=again", NULL), &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path, "", &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path, NULL, &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path, "t=%zz", &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path, "t=a%0Ab", &got, &id));
    ck_assert_ptr_nonnull(smo_card_verify(pool, &sg, path, "t=%FF%FE", &got, &id));
    /* And the URL as made still verifies. */
    ck_assert_ptr_null(smo_card_verify(pool, &sg, path, args, &got, &id));
}
END_TEST

/* ---- the texts ---------------------------------------------------------- */

START_TEST(cut_texts)
{
    char big[100 * 1024 + 1];
    char *c;

    ck_assert_str_eq(smo_card_cut(pool, "  Tea \t and\n cake  ", 300),
                     "Tea and cake");
    ck_assert_str_eq(smo_card_cut(pool, NULL, 300), "");
    /* Invalid UTF-8 becomes U+FFFD, controls spaces. */
    ck_assert_str_eq(smo_card_cut(pool, "a\xff" "b\x01" "c", 300),
                     "a\xEF\xBF\xBD" "b c");
    /* Cut by characters, never inside one. */
    ck_assert_str_eq(smo_card_cut(pool, "緑茶の淹れ方", 3), "緑茶の");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    c = smo_card_cut(pool, big, SMO_CARD_TEXT_MAX);
    ck_assert_uint_eq(strlen(c), SMO_CARD_TEXT_MAX);
    /* What the cut gives always makes a URL that verifies. */
    {
        smo_card_signer sg = signer("l");
        smo_card_text t = { smo_card_cut(pool, "\xc3\x28 x\x7f y\xe2\x82", 300), "", "" }, got;
        const char *url = smo_card_url(pool, &sg, "/c", &t), *path, *args, *id;
        split(pool, url, "/c", &path, &args);
        ck_assert_ptr_null(smo_card_verify(pool, &sg, path, args, &got, &id));
        ck_assert_str_eq(got.title, t.title);
    }
}
END_TEST

/* ---- the memory cache --------------------------------------------------- */

START_TEST(cache_keeps_and_bounds)
{
    smo_card_cache *c = smo_card_cache_create(pool, 1000);
    unsigned char a[400], b[400], big[2000];
    const unsigned char *got;
    size_t len, bytes, cards;

    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    memset(big, 'z', sizeof big);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(smo_card_cache_get(c, "one", pool, &got, &len), 0);
    smo_card_cache_put(c, "one", a, sizeof a);
    ck_assert_int_eq(smo_card_cache_get(c, "one", pool, &got, &len), 1);
    ck_assert_uint_eq(len, sizeof a);
    ck_assert_int_eq(memcmp(got, a, len), 0);
    smo_card_cache_put(c, "two", b, sizeof b);
    /* A third card over the bound pushes the oldest out. */
    smo_card_cache_put(c, "three", b, sizeof b);
    ck_assert_int_eq(smo_card_cache_get(c, "one", pool, &got, &len), 0);
    ck_assert_int_eq(smo_card_cache_get(c, "two", pool, &got, &len), 1);
    ck_assert_int_eq(smo_card_cache_get(c, "three", pool, &got, &len), 1);
    smo_card_cache_usage(c, &bytes, &cards);
    ck_assert_uint_le(bytes, 1000);
    ck_assert_uint_eq(cards, 2);
    /* Larger than the bound: not kept, nothing pushed out. */
    smo_card_cache_put(c, "big", big, sizeof big);
    ck_assert_int_eq(smo_card_cache_get(c, "big", pool, &got, &len), 0);
    ck_assert_int_eq(smo_card_cache_get(c, "two", pool, &got, &len), 1);
    /* Kept once. */
    smo_card_cache_put(c, "two", a, sizeof a);
    ck_assert_int_eq(smo_card_cache_get(c, "two", pool, &got, &len), 1);
    ck_assert_int_eq(got[0], 'b');
}
END_TEST

typedef struct {
    smo_card_cache *cache;
    int id, errors;
} worker;

static void *APR_THREAD_FUNC hammer(apr_thread_t *th, void *data)
{
    worker *w = data;
    apr_pool_t *p;
    unsigned char png[256];

    apr_pool_create(&p, NULL);
    for (int i = 0; i < 20000; i++) {
        char id[16];
        const unsigned char *got;
        size_t len;
        int k = (i * 7 + w->id) % 50;

        snprintf(id, sizeof id, "card%d", k);
        memset(png, k, sizeof png);
        if (i % 3 == 0)
            smo_card_cache_put(w->cache, id, png, (size_t)(100 + k));
        else if (smo_card_cache_get(w->cache, id, p, &got, &len) &&
                 (len != (size_t)(100 + k) || got[0] != k || got[len - 1] != k))
            w->errors++;
        if (i % 1000 == 0)
            apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    (void)th;
    return NULL;
}

START_TEST(cache_shared_by_threads)
{
    smo_card_cache *c = smo_card_cache_create(pool, 2000);
    worker w[4];
    size_t bytes, cards;

    for (int i = 0; i < 4; i++) {
        w[i].cache = c;
        w[i].id = i;
        w[i].errors = 0;
    }
    tk_run_threads(4, hammer, w, sizeof w[0]);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(w[i].errors, 0);
    smo_card_cache_usage(c, &bytes, &cards);
    ck_assert_uint_le(bytes, 2000);
    ck_assert_uint_gt(cards, 0);
}
END_TEST

static Suite *cardsign_suite(void)
{
    Suite *s = suite_create("cardsign");
    TCase *tc = tcase_create("url");
    TCase *tc2 = tcase_create("cache");

    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, hmac_rfc2202);
    tcase_add_test(tc, url_round_trip);
    tcase_add_test(tc, same_texts_same_url);
    tcase_add_test(tc, tampered_urls_refused);
    tcase_add_test(tc, cut_texts);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tc2, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc2, cache_keeps_and_bounds);
    tcase_add_test(tc2, cache_shared_by_threads);
    suite_add_tcase(s, tc2);
    return s;
}

const tk_program tk_tests = { cardsign_suite, 0, NULL };
