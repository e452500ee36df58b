/* test_fuzz_regress.c — regression tests for what the libFuzzer harnesses
 * of tests/fuzz/ found; each test names the harness invariant it broke.
 * The minimised inputs are in tests/fuzz/corpus/<target>/regress-*. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "smo_click.h"
#include "smo_engine.h"
#include "smo_escape.h"
#include "smo_meta.h"
#include "smo_share.h"
#include "smo_url.h"
#include "toolkit.h"

static smo_share_config share_cfg(void)
{
    smo_share_config sc;
    apr_array_header_t *nets = apr_array_make(pool, 2, sizeof(void *));
    APR_ARRAY_PUSH(nets, const smo_network *) = smo_share_builtin(pool, "x", NULL);
    memset(&sc, 0, sizeof sc);
    sc.networks = nets;
    return sc;
}

/* fuzz_engine, "chunked output differs from one-chunk output": a page
 * whose text starts with a NUL byte opens the body there (the tree
 * builder's "anything else"), but the share block for SMOShareAt
 * body-start landed after the following whitespace, at a place that
 * depended on the chunking.  (A comment first: a NUL before any markup
 * now marks the body as binary, left untouched.) */
START_TEST(body_start_after_nul)
{
    static const char page[] = "<!---->\0\n\n\0";
    size_t len = sizeof page - 1;
    smo_share_config sc = share_cfg();
    smo_engine_config cfg;
    tk_rec whole, part;
    const char *nl;

    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = 256 * 1024;
    cfg.share = &sc;
    ck_assert_ptr_null(smo_share_parse_at(pool, "body-start", &cfg.share_at,
                                          &cfg.share_sel));
    tk_run(&whole, &cfg, page, len, 0);
    ck_assert_uint_gt(whole.inserted, 0);
    /* The block opens the body: it comes before the page's "\n\n". */
    nl = memchr(whole.out.s, '\n', whole.out.len);
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(memmem(whole.out.s, whole.out.len, "<nav", 4) != NULL &&
                      (const char *)memmem(whole.out.s, whole.out.len,
                                           "<nav", 4) <
                          (const char *)memmem(whole.out.s, whole.out.len,
                                               "\n\n\0", 3),
                  "the block is not before the page's text");
    for (size_t step = 1; step < len; step++) {
        tk_run(&part, &cfg, page, len, step);
        ck_assert_msg(part.out.len == whole.out.len &&
                          !memcmp(part.out.s, whole.out.s, part.out.len),
                      "chunks of %zu give another output", step);
        tk_rec_free(&part);
    }
    tk_rec_free(&whole);
}
END_TEST

/* fuzz_engine, "holds N bytes": once the head is over and a share block
 * is still to be placed, a tag longer than the tail limit (here never
 * closed) was held whole, so memory grew with the document. */
static const char *const long_openers[] = {
    "<html><head><title>t</title></head><body><p><div data-x=\"",
    "<html><head><title>t</title></head><body><p></div ",
    "<html><head><title>t</title></head><body><textarea></textarea ",
    "<html><head><title>t</title></head><body><p>x</body data-x=\"",
    "<html><head><title>t</title></head><body><p><script data-x=\"",
};

START_TEST(long_tag_after_head_not_held)
{
    const size_t big = 8 * 1024, step = 1;
    const char *head = long_openers[_i];
    char *page = malloc(strlen(head) + big + 1);
    size_t len;
    smo_share_config sc = share_cfg();
    smo_engine_config cfg;
    tk_rec r;

    ck_assert_ptr_nonnull(page);
    strcpy(page, head);
    memset(page + strlen(head), 'a', big);
    len = strlen(head) + big;
    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = 256 * 1024;
    cfg.tail_limit = 1024;
    cfg.share = &sc;
    ck_assert_ptr_null(smo_share_parse_at(pool, "body-end", &cfg.share_at,
                                          &cfg.share_sel));
    tk_run(&r, &cfg, page, len, step);
    ck_assert_msg(r.max_held <= cfg.tail_limit + step,
                  "held %llu bytes of a %zu-byte tag (tail limit %zu): %s",
                  (unsigned long long)r.max_held, big, cfg.tail_limit, head);
    tk_rec_free(&r);
    free(page);
}
END_TEST

/* fuzz_url, "url_resolve/url_canonical wrote raw byte 0x27": a "'" in a
 * page's path came out raw, although the headers promise quotes
 * percent-encoded; the click handler then refuses (bad-char) the very
 * URL the tracked share link sends, so the link is a 400. */
START_TEST(quote_in_url_encoded_and_clickable)
{
    const char *canon = smo_url_canonical(pool, "https://www.example.com",
                                          "/it's", NULL, NULL);
    const char *res = smo_url_resolve(pool, "https://www.example.com/a/",
                                      "it's");
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(void *));
    apr_array_header_t *own = apr_array_make(pool, 1, sizeof(char *));
    smo_click_config cc;
    smo_click_result cr;
    const char *why;

    ck_assert_ptr_nonnull(canon);
    ck_assert_ptr_nonnull(res);
    ck_assert_msg(!strchr(canon, '\''), "canonical URL: %s", canon);
    ck_assert_msg(!strchr(res, '\''), "resolved URL: %s", res);

    APR_ARRAY_PUSH(nets, const smo_network *) = smo_share_builtin(pool, "x", NULL);
    APR_ARRAY_PUSH(own, const char *) = "www.example.com";
    memset(&cc, 0, sizeof cc);
    cc.networks = nets;
    cc.own_hosts = own;
    why = smo_click_check(pool, &cc,
                          apr_pstrcat(pool, "n=x&u=",
                                      smo_percent_encode(pool, canon,
                                                         strlen(canon)),
                                      NULL),
                          &cr);
    ck_assert_msg(why == NULL, "the share link for %s is refused: %s", canon,
                  why);
}
END_TEST

/* fuzz_engine, "chunked output differs from one-chunk output": a UTF-16
 * page (byte order mark) must pass untouched however it is cut, even when
 * its first byte comes alone. */
START_TEST(utf16_bom_untouched_any_chunking)
{
    static const char page[] = "\xff\xfe<\0h\0e\0a\0d\0>\0<\0t\0i\0t\0l\0e\0>\0"
                               "T\0<\0/\0t\0i\0t\0l\0e\0>\0";
    static const char be[] = "\xfe\xff\0<\0h\0e\0a\0d\0>";
    const char *pages[] = { page, be };
    size_t lens[] = { sizeof page - 1, sizeof be - 1 };
    smo_share_config sc = share_cfg();
    smo_engine_config cfg;
    tk_rec r;

    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = 256 * 1024;
    cfg.canonical_url = "https://www.example.com/p";
    cfg.share = &sc;
    for (int k = 0; k < 2; k++) {
        for (size_t step = 0; step < lens[k]; step++) {
            tk_run(&r, &cfg, pages[k], lens[k], step);
            ck_assert_msg(r.inserted == 0 && r.out.len == lens[k] &&
                              !memcmp(r.out.s, pages[k], r.out.len),
                          "page %d, chunks of %zu: changed", k, step);
            tk_rec_free(&r);
        }
    }
    /* A page that merely starts with 0xFF is not UTF-16: it is rewritten. */
    tk_run(&r, &cfg, "\xff<head></head>", 15, 1);
    ck_assert_uint_gt(r.inserted, 0);
    tk_rec_free(&r);
}
END_TEST

/* fuzz_engine, "chunked output differs from one-chunk output": </template>
 * left the <svg> opened inside it open when an HTML integration point
 * (<desc>) stood above it, so the <title> after it was taken as SVG, its
 * text read in the data state, and og:title lost the whitespace that came
 * in a chunk of its own.  </template> closes everything opened in it. */
START_TEST(svg_left_open_by_template)
{
    static const char page[] = "<head><template><svg><desc></template>"
                               "</desc><title>a  b</title><body>x";
    size_t len = sizeof page - 1;
    smo_meta_config mc;
    smo_engine_config cfg;
    tk_rec whole, part;

    memset(&mc, 0, sizeof mc);
    mc.props = apr_array_make(pool, 1, sizeof(smo_meta_prop));
    mc.auto_meta = 1;
    mc.canonical_url = mc.page_url = "https://www.example.com/p";
    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = 256 * 1024;
    cfg.meta = &mc;
    tk_run(&whole, &cfg, page, len, 0);
    tk_buf_add(&whole.out, "", 1);
    ck_assert_msg(strstr(whole.out.s, "<meta property=\"og:title\" "
                                    "content=\"a b\">") != NULL,
                  "the title is the HTML <title>: %s", whole.out.s);
    for (size_t step = 1; step < len; step++) {
        tk_run(&part, &cfg, page, len, step);
        ck_assert_msg(part.out.len == whole.out.len - 1 &&
                          !memcmp(part.out.s, whole.out.s, part.out.len),
                      "chunks of %zu give another output", step);
        tk_rec_free(&part);
    }
    tk_rec_free(&whole);
}
END_TEST

static Suite *regress_suite(void)
{
    Suite *s = suite_create("fuzz-regressions");
    TCase *tc = tcase_create("found");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, body_start_after_nul);
    tcase_add_test(tc, svg_left_open_by_template);
    tcase_add_loop_test(tc, long_tag_after_head_not_held, 0,
                        sizeof long_openers / sizeof long_openers[0]);
    tcase_add_test(tc, quote_in_url_encoded_and_clickable);
    tcase_add_test(tc, utf16_bom_untouched_any_chunking);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { regress_suite, 0, NULL };
