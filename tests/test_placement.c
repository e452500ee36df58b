/* test_placement.c — where the engine puts the share block (SPEC 4) and
 * the share style sheet, on whole pages fed in every chunking. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "smo_engine.h"
#include "smo_share.h"
#include "toolkit.h"

/* The block for x + facebook, as the engine will write it for a page
 * whose title is `title` (NULL: none). */
static const char *block(const char *title)
{
    smo_share_config sc;
    smo_share_page page = {"https://example.com/p", title, NULL, NULL};
    apr_array_header_t *nets = apr_array_make(pool, 2, sizeof(void *));
    APR_ARRAY_PUSH(nets, const smo_network *) = smo_share_builtin(pool, "x", NULL);
    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, "facebook", NULL);
    memset(&sc, 0, sizeof(sc));
    sc.networks = nets;
    return smo_share_block(pool, &sc, &page);
}

/* What the engine logged during the last run(), one line each. */
static char *logs;

/* Run a page through the engine in chunks of `step` bytes (0: whole). */
static char *run(const char *where, const char *html, size_t step,
                 const char *style)
{
    smo_engine_config cfg;
    smo_meta_config mc;
    smo_share_config sc;
    apr_array_header_t *nets = apr_array_make(pool, 2, sizeof(void *));
    tk_rec r;
    const char *err;
    char *out;

    APR_ARRAY_PUSH(nets, const smo_network *) = smo_share_builtin(pool, "x", NULL);
    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, "facebook", NULL);
    memset(&sc, 0, sizeof(sc));
    sc.networks = nets;
    memset(&mc, 0, sizeof(mc));
    mc.canonical_url = mc.page_url = "https://example.com/p";
    memset(&cfg, 0, sizeof(cfg));
    cfg.head_limit = 256 * 1024;
    cfg.meta = &mc; /* no canonical, no auto meta: only the block changes */
    cfg.share = &sc;
    cfg.share_style = style;
    err = smo_share_parse_at(pool, where, &cfg.share_at, &cfg.share_sel);
    ck_assert_msg(err == NULL, "%s: %s", where, err);
    tk_run(&r, &cfg, html, strlen(html), step);
    out = apr_pstrdup(pool, tk_buf_cstr(&r.out));
    logs = apr_pstrdup(pool, tk_buf_cstr(&r.log));
    tk_rec_free(&r);
    return out;
}

/* Expect `html` with the block inserted at each "@" (the "@"s removed),
 * for every chunking. */
static void expect(const char *where, const char *marked)
{
    const char *b = block(strstr(marked, "<title>T</title>") ? "T" : NULL);
    char *html = apr_pstrdup(pool, marked), *w = html;
    char *want = apr_pstrdup(pool, "");
    for (const char *p = marked; *p; p++) {
        if (*p == '@')
            want = apr_pstrcat(pool, want, b, NULL);
        else {
            *w++ = *p;
            want = apr_pstrcat(pool, want, apr_pstrndup(pool, p, 1), NULL);
        }
    }
    *w = '\0';
    for (size_t step = 0; step <= strlen(html); step++) {
        char *got = run(where, html, step, NULL);
        ck_assert_msg(!strcmp(got, want), "%s, chunks of %zu:\n%s\nwanted:\n%s",
                      where, step, got, want);
    }
}

START_TEST(body_end)
{
    expect("body-end", "<html><head><title>T</title></head><body><p>x</p>@</body></html>");
    /* No </body>: at the end of the document. */
    expect("body-end", "<title>T</title><p>x</p>@");
    /* </body> in a script, a comment or an attribute is not the end. */
    expect("body-end", "<body><script>'</body>'</script><!-- </body> -->"
                       "<a title='</body>'>a</a>@</body>");
}
END_TEST

START_TEST(no_block_when_the_page_ends_inside_something)
{
    /* A block at the very end would land inside the open construct (text
     * in <plaintext>, lost in a comment or a tag): none is placed. */
    static const char *const pages[] = {
        "<title>T</title><p>x</p><plaintext></body></html>",
        "<title>T</title><p>x</p><!-- unterminated",
        "<title>T</title><p>x</p><a href=\"unterminated",
        "<title>T</title><p>x</p><textarea>",
        "<title>T</title><p>x</p><script>var a;",
        "<title>T</title><p>x</p><svg><g>",
        "<title>T</title><p>x</p><template><p>",
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        expect("body-end", pages[i]);
}
END_TEST

START_TEST(body_start)
{
    expect("body-start", "<html><head></head><body class=a>@<p>x</p></body>");
    /* The body starts implicitly at the first element or text. */
    expect("body-start", "<title>T</title>\n@<div>x</div>");
    expect("body-start", "<title>T</title>  @Hello");
}
END_TEST

START_TEST(marker)
{
    expect("marker", "<body><p>a</p><!-- smo:share -->@<p>b</p>"
                     "<!--smo:share-->@</body>");
    /* Not in the head, not in a template, not another comment. */
    expect("marker", "<head><!-- smo:share --></head><body><template>"
                     "<!-- smo:share --></template><!-- share --></body>");
}
END_TEST

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(markers_bounded)
{
    /* At most SMO_SHARE_MAX_MARKERS blocks, at the first markers; the
     * rest counted in one debug line. */
    const char *b = block(NULL);
    char *page = apr_pstrdup(pool, "<body>"), *out, *want;

    ck_assert_int_eq(SMO_SHARE_MAX_MARKERS, 10);
    for (int i = 0; i < 12; i++)
        page = apr_pstrcat(pool, page, "<p>x</p><!-- smo:share -->", NULL);
    page = apr_pstrcat(pool, page, "</body>", NULL);
    for (size_t step = 0; step < 40; step += 7) {
        out = run("marker", page, step, NULL);
        ck_assert_uint_eq(occurrences(out, b), 10);
        ck_assert_uint_eq(occurrences(logs, "markers left without"), 1);
        ck_assert_ptr_nonnull(strstr(logs,
            "2 more <!-- smo:share --> markers left without a share block "
            "(at most 10 per page)"));
    }
    /* The blocks follow the first ten markers; the last two have none. */
    want = apr_pstrdup(pool, "<body>");
    for (int i = 0; i < 12; i++)
        want = apr_pstrcat(pool, want, "<p>x</p><!-- smo:share -->",
                           i < 10 ? b : "", NULL);
    want = apr_pstrcat(pool, want, "</body>", NULL);
    ck_assert_str_eq(out, want);

    /* Ten markers: ten blocks, nothing to say. */
    page = apr_pstrdup(pool, "<body>");
    for (int i = 0; i < 10; i++)
        page = apr_pstrcat(pool, page, "<!-- smo:share -->", NULL);
    out = run("marker", page, 0, NULL);
    ck_assert_uint_eq(occurrences(out, b), 10);
    ck_assert_ptr_null(strstr(logs, "left without"));
}
END_TEST

START_TEST(selectors)
{
    expect("before nav", "<body><div>a</div>@<nav>n</nav></body>");
    expect("prepend #main", "<body><div id=main>@<p>a</p></div></body>");
    expect("append .post", "<body><div class='x post'><div>in</div>"
                           "<p>a</p>@</div><div class=post></div></body>");
    expect("after article", "<body><article><article>i</article></article>@"
                            "<p>z</p></body>");
    expect("after [data-share]", "<body><hr data-share>@<p>z</p></body>");
    /* No match, no block. */
    expect("before footer", "<body><div>a</div></body>");
    /* Inside svg or a template nothing matches. */
    expect("before nav", "<body><svg><nav></nav></svg><template><nav></nav>"
                         "</template>@<nav></nav></body>");
}
END_TEST

START_TEST(after_an_implicit_head_end)
{
    /* A <div> in <head> ends the head for the tree builder; the engine
     * reads declarations on to </head> (SPEC 6), holding the page, while
     * the block goes where the body really starts or ends. */
    expect("body-start", "<head><title>T</title>@<div>x</div></head><body>y");
    expect("body-end", "<head><title>T</title><div>x</div>@</body>");
    expect("body-end", "<head><title>T</title><div>x</div></head>@");
    expect("marker", "<head><title>T</title><div>x</div><!-- smo:share -->@"
                     "<p>y</p></head><body>");
    expect("before div", "<head><title>T</title>@<div>x</div></head><body>");
    expect("after p", "<head><title>T</title><p>x</p>@Hello");
}
END_TEST

START_TEST(block_sees_late_declarations)
{
    /* The page's canonical after the implicit end of the head is its
     * canonical: the block, placed before it, shares that URL. */
    const char *page = "<head><title>T</title><div>x</div>"
                       "<link rel=canonical href=\"https://example.com/own\">"
                       "</head><body>y</body>";
    for (size_t step = 0; step <= 7; step += 7) {
        char *out = run("body-start", page, step,
                        "https://example.com/s.css");
        const char *nav = strstr(out, "<nav");
        ck_assert_msg(nav && nav < strstr(out, "<div>x"), "%s", out);
        ck_assert_msg(strstr(nav, "example.com%2Fown") != NULL &&
                          strstr(nav, "example.com%2Fp") == NULL,
                      "the block does not share the page's canonical:\n%s",
                      out);
        ck_assert_msg(strstr(out, "<head><link rel=\"stylesheet\" "
                                  "href=\"https://example.com/s.css\">"),
                      "no style sheet:\n%s", out);
    }
}
END_TEST

START_TEST(style_sheet_in_head)
{
    char *out = run("body-end", "<head><title>T</title></head><body></body>", 0,
                    "/css/smo.css?v=\"1\"");
    ck_assert_ptr_nonnull(strstr(out, "<head><link rel=\"stylesheet\" "
                                      "href=\"/css/smo.css?v=&quot;1&quot;\">"));
}
END_TEST

START_TEST(bytes_preserved)
{
    /* Output minus the blocks is the input. */
    const char *page = "<!DOCTYPE html><html><head><title>T</title></head>"
                       "<body><!-- smo:share --><p>x</p><!-- smo:share -->"
                       "</body></html>";
    char *out = run("marker", page, 3, NULL);
    const char *b = block("T");
    char *p;
    while ((p = strstr(out, b)))
        memmove(p, p + strlen(b), strlen(p + strlen(b)) + 1);
    ck_assert_str_eq(out, page);
}
END_TEST

static Suite *placement_suite(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("share");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, body_end);
    tcase_add_test(tc, no_block_when_the_page_ends_inside_something);
    tcase_add_test(tc, body_start);
    tcase_add_test(tc, markers_bounded);
    tcase_add_test(tc, marker);
    tcase_add_test(tc, selectors);
    tcase_add_test(tc, after_an_implicit_head_end);
    tcase_add_test(tc, block_sees_late_declarations);
    tcase_add_test(tc, style_sheet_in_head);
    tcase_add_test(tc, bytes_preserved);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { placement_suite, 0, NULL };
