/* test_inspect.c — unit tests for lib/inspect.c and lib/inspect_render.c:
 * the inspector's report (SPEC 10) from pairs of pages (as the backend
 * made them, as mod_smo served them): the origin of each value, each
 * check's verdict, the share links, the previews' cuts, the HTML's
 * escaping and the JSON's syntax.
 *
 * SMO_INSPECT_SAVE_DIR=dir writes the report of a demo-like page there
 * (inspect.html, inspect.json) to look at or to feed to a validator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_strings.h>

#include "../lib/smo_inspect.h"
#include "../lib/inspect_internal.h"
#include "json.h"
#include "toolkit.h"

#define PAGE_URL "https://example.org/post/1"
#define CARDS "https://example.org/smo/card/"

/* ---- helpers ------------------------------------------------------------ */

static smo_inspect_input input(const char *original, const char *served)
{
    smo_inspect_input in;

    memset(&in, 0, sizeof in);
    in.page_url = PAGE_URL;
    in.served = served;
    in.served_len = strlen(served);
    in.original = original;
    in.original_len = original ? strlen(original) : 0;
    in.card_prefix = CARDS;
    return in;
}

static smo_inspect_report *inspect(const char *original, const char *served)
{
    smo_inspect_input in = input(original, served);
    return smo_inspect(pool, &in);
}

static const smo_inspect_check *find_check(const smo_inspect_report *r,
                                           const char *id)
{
    for (int i = 0; i < r->checks->nelts; i++) {
        const smo_inspect_check *c =
            &APR_ARRAY_IDX(r->checks, i, smo_inspect_check);
        if (!strcmp(c->id, id))
            return c;
    }
    return NULL;
}

static const smo_inspect_check *check(const smo_inspect_report *r,
                                      const char *id)
{
    const smo_inspect_check *c = find_check(r, id);

    if (!c)
        ck_abort_msg("no check %s", id);
    return c;
}

#define ck_verdict(r, id, v) do { \
        const smo_inspect_check *c_ = check((r), (id)); \
        ck_assert_msg(c_->verdict == (v), "%s: %s (%s)", (id), \
                      smo_inspect_verdict_name(c_->verdict), c_->message); \
    } while (0)

static const smo_inspect_prop *prop(const smo_inspect_report *r,
                                    const char *name, int nth)
{
    for (int i = 0; i < r->props->nelts; i++) {
        const smo_inspect_prop *p =
            &APR_ARRAY_IDX(r->props, i, smo_inspect_prop);
        if (!strcmp(p->name, name) && nth-- == 0)
            return p;
    }
    ck_abort_msg("no property %s", name);
    return NULL;
}

static long utf8_chars(const char *s)
{
    long n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const char full_head[] =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Full page</title>"
    "<meta name=\"description\" content=\"A page with everything.\">"
    "<link rel=\"canonical\" href=\"https://example.org/post/1\">"
    "<meta property=\"og:title\" content=\"Everything &amp; more\">"
    "<meta property=\"og:description\" content=\"All   the\n tags.\">"
    "<meta property=\"og:url\" content=\"https://example.org/post/1\">"
    "<meta property=\"og:site_name\" content=\"Example\">"
    "<meta property=\"og:image\" content=\"https://example.org/i/hero.jpg\">"
    "<meta property=\"og:image:width\" content=\"1200\">"
    "<meta property=\"og:image:height\" content=\"630\">"
    "<meta name=\"twitter:card\" content=\"summary_large_image\">";

static const char share_block[] =
    "<nav class=\"smo-share\" aria-label=\"Share\">\n"
    "<a class=\"smo-share-link smo-share-x\" href=\"https://x.com/intent/"
    "tweet?url=https%3A%2F%2Fexample.org%2Fpost%2F1&amp;text=Everything\" "
    "rel=\"nofollow noopener noreferrer\" target=\"_blank\" "
    "aria-label=\"Share on X\">X</a>\n"
    "<a class=\"smo-share-link smo-share-linkedin\" href=\"https://www."
    "linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fexample.org\" "
    "aria-label=\"Share on LinkedIn\">LinkedIn</a>\n</nav>\n";

static const char *full_page(void)
{
    return apr_pstrcat(pool, full_head, "</head><body><h1>Hi</h1>",
                       share_block, "</body></html>", NULL);
}

/* ---- verdicts ----------------------------------------------------------- */

START_TEST(everything_passes)
{
    const char *page = full_page();
    smo_inspect_report *r = inspect(page, page);

    ck_assert_int_eq(r->checks->nelts, 4 + 1 + SMO_INSPECT_NETS + 3);
    for (int i = 0; i < r->checks->nelts; i++) {
        const smo_inspect_check *c =
            &APR_ARRAY_IDX(r->checks, i, smo_inspect_check);
        ck_assert_msg(c->verdict == SMO_CHECK_PASS, "%s: %s", c->id,
                      c->message);
    }
    ck_assert_str_eq(check(r, "image")->message,
                     "og:image is 1200x630 (1.91:1), as the page declares.");
    ck_assert_str_eq(r->title, "Everything & more");
    ck_assert_str_eq(r->description, "All the tags.");
    ck_assert_str_eq(r->domain, "example.org");
    ck_assert_str_eq(r->site, "Example");
    ck_assert_uint_eq(r->image_width, 1200);
    ck_assert_uint_eq(r->image_height, 630);
    /* Head only, in the page's order; the body's h1 is no metadata. */
    ck_assert_int_eq(r->props->nelts, 11);
    ck_assert_str_eq(APR_ARRAY_IDX(r->props, 0, smo_inspect_prop).name,
                     "title");
}
END_TEST

START_TEST(nothing_fails)
{
    smo_inspect_report *r = inspect(NULL, "<!DOCTYPE html><html><head>"
                                    "</head><body><p>Hello</p></body></html>");

    ck_verdict(r, "title", SMO_CHECK_FAIL);
    ck_verdict(r, "description", SMO_CHECK_FAIL);
    ck_verdict(r, "og-url-absolute", SMO_CHECK_FAIL);
    ck_verdict(r, "canonical-absolute", SMO_CHECK_FAIL);
    ck_verdict(r, "image", SMO_CHECK_FAIL);
    ck_verdict(r, "in-first-32k", SMO_CHECK_WARN);
    ck_verdict(r, "no-duplicates", SMO_CHECK_PASS);
    ck_assert_ptr_null(r->title);
    ck_assert_int_eq(r->props->nelts, 0);
    /* No image: no per-network size check. */
    for (int i = 0; i < r->checks->nelts; i++)
        ck_assert(strncmp(APR_ARRAY_IDX(r->checks, i,
                                        smo_inspect_check).id,
                          "image-size-", 11) != 0);
}
END_TEST

START_TEST(fallbacks_warn)
{
    smo_inspect_report *r = inspect(NULL,
        "<title>Only a title</title>"
        "<meta name=\"description\" content=\"Only a description\">"
        "<meta property=\"og:url\" content=\"/post/1\">"
        "<link rel=\"canonical\" href=\"post/1\">"
        "<meta property=\"og:image\" content=\"/i/a.jpg\">");

    ck_verdict(r, "title", SMO_CHECK_WARN);
    ck_verdict(r, "description", SMO_CHECK_WARN);
    ck_verdict(r, "og-url-absolute", SMO_CHECK_FAIL);
    ck_verdict(r, "canonical-absolute", SMO_CHECK_FAIL);
    ck_verdict(r, "image", SMO_CHECK_FAIL);
    ck_assert_str_eq(r->title, "Only a title");
    ck_assert_str_eq(r->description, "Only a description");
    /* A relative og:url is not what networks show: the page's host. */
    ck_assert_str_eq(r->domain, "example.org");
}
END_TEST

START_TEST(duplicates_fail)
{
    smo_inspect_report *r = inspect(NULL,
        "<head><meta property=\"og:title\" content=\"One\">"
        "<meta property=\"og:title\" content=\"Two\">"
        "<meta name=\"description\" content=\"a\">"
        "<meta name=\"description\" content=\"b\">"
        "<meta property=\"og:image\" content=\"https://e.org/1.png\">"
        "<meta property=\"og:image\" content=\"https://e.org/2.png\">"
        "</head><body><meta property=\"og:url\" content=\"x\">"
        "<meta property=\"og:url\" content=\"y\"></body>");
    const smo_inspect_check *c = check(r, "no-duplicates");

    ck_assert_int_eq(c->verdict, SMO_CHECK_FAIL);
    ck_assert_msg(strstr(c->message, "og:title") &&
                  strstr(c->message, "description"), "%s", c->message);
    /* og:image is an array in the Open Graph protocol; the body's tags
     * are not the head's. */
    ck_assert_msg(!strstr(c->message, "og:image") &&
                  !strstr(c->message, "og:url"), "%s", c->message);
    /* The first one is what the previews take. */
    ck_assert_str_eq(r->title, "One");
}
END_TEST

START_TEST(tiny_image_per_network)
{
    smo_inspect_report *r = inspect(NULL,
        "<meta property=\"og:title\" content=\"T\">"
        "<meta property=\"og:image\" content=\"https://e.org/tiny.png\">"
        "<meta property=\"og:image:width\" content=\"100\">"
        "<meta property=\"og:image:height\" content=\"100\">"
        "<meta name=\"twitter:card\" content=\"summary_large_image\">");

    ck_verdict(r, "image", SMO_CHECK_PASS);
    ck_verdict(r, "image-size-facebook", SMO_CHECK_FAIL);
    ck_verdict(r, "image-size-x", SMO_CHECK_FAIL);
    ck_verdict(r, "image-size-linkedin", SMO_CHECK_FAIL);
    ck_verdict(r, "image-size-slack", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-whatsapp", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-discord", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-mastodon", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-bluesky", SMO_CHECK_WARN);
    ck_assert_str_eq(check(r, "image-size-facebook")->message,
                     "og:image is 100x100: Facebook needs at least 200x200 "
                     "and shows no image.");
    ck_assert_msg(strstr(check(r, "image-size-whatsapp")->message,
                         "small thumbnail"), "%s",
                  check(r, "image-size-whatsapp")->message);
}
END_TEST

START_TEST(twitter_card_matches)
{
    smo_inspect_report *r = inspect(NULL,
        "<meta name=\"twitter:card\" content=\"summary_large_image\">");
    ck_verdict(r, "twitter-card-matches", SMO_CHECK_FAIL);

    r = inspect(NULL,
        "<meta name=\"twitter:card\" content=\"summary\">"
        "<meta property=\"og:image\" content=\"https://e.org/big.jpg\">"
        "<meta property=\"og:image:width\" content=\"1200\">"
        "<meta property=\"og:image:height\" content=\"630\">");
    ck_verdict(r, "twitter-card-matches", SMO_CHECK_WARN);
    /* summary: X shows a 1:1 thumbnail, which a large image fills;
     * Discord shows a thumbnail too, Facebook a large image. */
    ck_verdict(r, "image-size-x", SMO_CHECK_PASS);
    ck_verdict(r, "image-size-discord", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-facebook", SMO_CHECK_PASS);

    r = inspect(NULL,
        "<meta name=\"twitter:card\" content=\"summary\">"
        "<meta property=\"og:image\" content=\"https://e.org/sq.png\">"
        "<meta property=\"og:image:width\" content=\"200\">"
        "<meta property=\"og:image:height\" content=\"200\">");
    ck_verdict(r, "twitter-card-matches", SMO_CHECK_PASS);

    /* X's own image property: the messages name it. */
    r = inspect(NULL,
        "<meta name=\"twitter:card\" content=\"summary\">"
        "<meta name=\"twitter:image\" content=\"https://e.org/t.png\">");
    ck_verdict(r, "twitter-card-matches", SMO_CHECK_PASS);
    ck_assert_str_eq(r->image, "https://e.org/t.png");
    ck_assert_msg(!strncmp(check(r, "image")->message, "twitter:image is "
                           "there", 22), "%s", check(r, "image")->message);
}
END_TEST

START_TEST(metadata_after_32k_fails)
{
    char *style = apr_palloc(pool, 40001);
    smo_inspect_report *r;
    const smo_inspect_check *c;

    memset(style, 'a', 40000);
    style[40000] = '\0';
    r = inspect(NULL, apr_pstrcat(pool, "<head><style>", style, "</style>"
                                  "<meta property=\"og:title\" content=\"Late\">"
                                  "</head>", NULL));
    c = check(r, "in-first-32k");
    ck_assert_int_eq(c->verdict, SMO_CHECK_FAIL);
    ck_assert_msg(strstr(c->message, "byte 40021"), "%s", c->message);
    ck_assert_uint_eq(prop(r, "og:title", 0)->offset, 40021);

    r = inspect(NULL, "<meta property=\"og:title\" content=\"Early\">");
    ck_verdict(r, "in-first-32k", SMO_CHECK_PASS);
}
END_TEST

/* ---- origins ------------------------------------------------------------ */

START_TEST(origins)
{
    const char *orig =
        "<html><head><title>Post</title>"
        "<meta property=\"og:title\" content=\"Post\">"
        "<meta property=\"og:image\" content=\"https://example.org/p.jpg\">"
        "</head><body></body></html>";
    /* What mod_smo made of it: SMOMeta og:site_name, SMOAutoMeta's
     * description and og:url, SMOCanonical, SMOImageInfo's size. */
    const char *served =
        "<html><head><title>Post</title>"
        "<meta property=\"og:title\" content=\"Post\">"
        "<meta property=\"og:image\" content=\"https://example.org/p.jpg\">"
        "<meta property=\"og:image:width\" content=\"800\">"
        "<meta property=\"og:site_name\" content=\"Example\">"
        "<meta property=\"og:url\" content=\"https://example.org/post/1\">"
        "<link rel=\"canonical\" href=\"https://example.org/post/1\">"
        "<meta name=\"csrf-token\" content=\"changes-each-time\">"
        "</head><body></body></html>";
    apr_array_header_t *conf = apr_array_make(pool, 1, sizeof(char *));
    smo_inspect_input in = input(orig, served);
    smo_inspect_report *r;

    APR_ARRAY_PUSH(conf, const char *) = "OG:Site_Name";
    in.configured = conf;
    r = smo_inspect(pool, &in);
    ck_assert_int_eq(prop(r, "title", 0)->origin, SMO_FROM_PAGE);
    ck_assert_int_eq(prop(r, "og:title", 0)->origin, SMO_FROM_PAGE);
    ck_assert_int_eq(prop(r, "og:image", 0)->origin, SMO_FROM_PAGE);
    ck_assert_int_eq(prop(r, "og:image:width", 0)->origin, SMO_FROM_IMAGE);
    ck_assert_int_eq(prop(r, "og:site_name", 0)->origin, SMO_FROM_SMOMETA);
    ck_assert_int_eq(prop(r, "og:url", 0)->origin, SMO_FROM_DERIVED);
    ck_assert_int_eq(prop(r, "canonical", 0)->origin, SMO_FROM_DERIVED);
    /* Not in the backend's other answer, but no rule of mod_smo writes it. */
    ck_assert_int_eq(prop(r, "csrf-token", 0)->origin, SMO_FROM_PAGE);

    /* Unknown original: everything is the page's. */
    in.original = NULL;
    r = smo_inspect(pool, &in);
    for (int i = 0; i < r->props->nelts; i++)
        ck_assert_int_eq(APR_ARRAY_IDX(r->props, i, smo_inspect_prop).origin,
                         SMO_FROM_PAGE);
}
END_TEST

START_TEST(origins_card_and_override)
{
    const char *orig =
        "<head><meta property=\"og:title\" content=\"Backend title\">"
        "<meta property=\"og:title\" content=\"Twice\"></head>";
    /* SMOMeta replaced the first og:title (override); the page had no
     * image, so SMOCard's card and its facts went in. */
    const char *served =
        "<head><meta property=\"og:title\" content=\"Configured\">"
        "<meta property=\"og:title\" content=\"Twice\">"
        "<meta property=\"og:image\" content=\"" CARDS "abc.png?t=x\">"
        "<meta property=\"og:image:width\" content=\"1200\">"
        "<meta property=\"og:image:height\" content=\"630\">"
        "<meta property=\"og:image:type\" content=\"image/png\">"
        "<meta name=\"twitter:card\" content=\"summary_large_image\"></head>";
    apr_array_header_t *conf = apr_array_make(pool, 1, sizeof(char *));
    smo_inspect_input in = input(orig, served);
    smo_inspect_report *r;

    APR_ARRAY_PUSH(conf, const char *) = "og:title";
    in.configured = conf;
    r = smo_inspect(pool, &in);
    ck_assert_int_eq(prop(r, "og:title", 0)->origin, SMO_FROM_SMOMETA);
    ck_assert_int_eq(prop(r, "og:title", 1)->origin, SMO_FROM_PAGE);
    ck_assert_int_eq(prop(r, "og:image", 0)->origin, SMO_FROM_GENERATED);
    ck_assert_int_eq(prop(r, "og:image:width", 0)->origin, SMO_FROM_GENERATED);
    ck_assert_int_eq(prop(r, "og:image:type", 0)->origin, SMO_FROM_GENERATED);
    ck_assert_int_eq(prop(r, "twitter:card", 0)->origin, SMO_FROM_DERIVED);
}
END_TEST

/* ---- image facts -------------------------------------------------------- */

static int facts(void *ctx, const char *url, smo_meta_image *out)
{
    const char **asked = ctx;

    *asked = url;
    if (strstr(url, "/known.jpg") || strstr(url, "/huge.jpg")) {
        out->width = 1200;
        out->height = 600;
        out->type = "image/jpeg";
        out->bytes = strstr(url, "/huge.jpg") ? 6u * 1024 * 1024 : 81920;
        return 1;
    }
    return strstr(url, "example.org") ? 0 : -1;
}

/* SPEC 8: an image file of this server that crawlers will refuse. */
START_TEST(image_file_refused)
{
    const char *asked = NULL;
    smo_inspect_input in;
    smo_inspect_report *r;

    /* Declared 1200x630, but nothing can be read there. */
    in = input(NULL, "<meta property=\"og:image\" content=\"https://example.org/img/gone.png\">"
               "<meta property=\"og:image:width\" content=\"1200\">"
               "<meta property=\"og:image:height\" content=\"630\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_verdict(r, "image", SMO_CHECK_PASS);
    ck_verdict(r, "image-file", SMO_CHECK_FAIL);
    ck_assert_ptr_nonnull(strstr(check(r, "image-file")->message, "no image can be read there"));
    ck_assert_int_eq(r->image_file, 0);

    /* Over 5 MB. */
    in = input(NULL, "<meta property=\"og:image\" content=\"https://example.org/img/huge.jpg\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_verdict(r, "image-file", SMO_CHECK_FAIL);
    ck_assert_ptr_nonnull(strstr(check(r, "image-file")->message, "6.0 MB"));

    /* A good one passes, with its size. */
    in = input(NULL, "<meta property=\"og:image\" content=\"https://example.org/img/known.jpg\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_verdict(r, "image-file", SMO_CHECK_PASS);
    ck_assert_ptr_nonnull(strstr(check(r, "image-file")->message, "80 KB"));

    /* Another server's image, or no callback: no such check. */
    in = input(NULL, "<meta property=\"og:image\" content=\"https://cdn.example.net/a.jpg\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_assert_ptr_null(find_check(r, "image-file"));
    in.image_facts = NULL;
    r = smo_inspect(pool, &in);
    ck_assert_ptr_null(find_check(r, "image-file"));
}
END_TEST

START_TEST(image_facts_used)
{
    const char *asked = NULL;
    smo_inspect_input in = input(NULL,
        "<meta property=\"og:image\" content=\"/img/known.jpg\">");
    smo_inspect_report *r;

    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    /* Resolved against the page before asking. */
    ck_assert_str_eq(asked, "https://example.org/img/known.jpg");
    ck_assert_uint_eq(r->image_width, 1200);
    ck_assert_uint_eq(r->image_height, 600);

    in = input(NULL, "<meta property=\"og:image\" "
               "content=\"https://cdn.example.net/a.jpg\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_verdict(r, "image", SMO_CHECK_WARN);
    ck_verdict(r, "image-size-facebook", SMO_CHECK_WARN);
    ck_assert_uint_eq(r->image_width, 0);

    in = input(NULL, "<meta property=\"og:image\" "
               "content=\"https://example.org/img/known.jpg\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_assert_str_eq(check(r, "image")->message,
                     "og:image is 1200x600 (2:1), as read from the file.");

    /* A generated card is 1200x630 without asking. */
    asked = NULL;
    in = input(NULL, "<meta property=\"og:image\" content=\"" CARDS "k.png\">");
    in.image_facts = facts;
    in.image_ctx = &asked;
    r = smo_inspect(pool, &in);
    ck_assert_ptr_null(asked);
    ck_assert_uint_eq(r->image_width, 1200);
    ck_assert_uint_eq(r->image_height, 630);
}
END_TEST

/* ---- links, bounds ------------------------------------------------------ */

START_TEST(share_links)
{
    const char *page = full_page();
    smo_inspect_report *r = inspect(page, page);
    const smo_inspect_link *l;

    ck_assert_int_eq(r->links->nelts, 2);
    l = &APR_ARRAY_IDX(r->links, 0, smo_inspect_link);
    ck_assert_str_eq(l->network, "x");
    ck_assert_str_eq(l->label, "X");
    ck_assert_str_eq(l->href, "https://x.com/intent/tweet?url=https%3A%2F%2F"
                     "example.org%2Fpost%2F1&text=Everything");
    l = &APR_ARRAY_IDX(r->links, 1, smo_inspect_link);
    ck_assert_str_eq(l->network, "linkedin");
    ck_assert_str_eq(l->label, "LinkedIn");
}
END_TEST

START_TEST(bounded)
{
    tk_buf b = { NULL, 0, 0, pool };
    smo_inspect_report *r;
    char *big = apr_palloc(pool, 100001);

    tk_buf_str(&b, "<head>");
    for (int i = 0; i < 100000; i++)
        tk_buf_str(&b, "<meta name=\"twitter:x\" content=\"v\">");
    memset(big, 'b', 100000);
    big[100000] = '\0';
    r = inspect(NULL, apr_pstrcat(pool, "<meta property=\"og:title\" "
                                  "content=\"", big, "\">", NULL));
    ck_assert_uint_le(strlen(r->title), SMO_INSPECT_MAX_VALUE);
    r = inspect(NULL, tk_buf_cstr(&b));
    ck_assert_int_eq(r->props->nelts, SMO_INSPECT_MAX_PROPS);
    /* The last tag still counts for the 32 KiB check. */
    ck_verdict(r, "in-first-32k", SMO_CHECK_FAIL);
}
END_TEST

/* ---- rendering ---------------------------------------------------------- */

START_TEST(html_escapes_the_page)
{
    smo_inspect_report *r = inspect(NULL,
        "<title><script>alert(1)</script></title>"
        "<meta property=\"og:title\" content=\"&lt;script&gt;alert(2)"
        "&lt;/script&gt; &quot;q&quot;\">"
        "<meta property=\"og:image\" content=\"https://e.org/a.png?a=1&amp;"
        "b=2\"></head><body><a class=\"smo-share-link smo-share-evil\" "
        "href=\"javascript:alert(3)\">E<b>vi</b>l</a>");
    const char *html = smo_inspect_html(pool, r);

    ck_assert_str_eq(r->title, "<script>alert(2)</script> \"q\"");
    ck_assert_msg(!strstr(html, "<script"), "%s", html);
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(2)&lt;/script&gt; "
                                 "&quot;q&quot;"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)"));
    ck_assert_ptr_nonnull(strstr(html, "src=\"https://e.org/a.png?a=1&amp;"
                                 "b=2\""));
    ck_assert(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
    ck_assert_ptr_null(strstr(html, " style="));
    /* A share link that is no http(s) or mailto: URL is shown, not linked. */
    ck_assert_int_eq(r->links->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(r->links, 0, smo_inspect_link).label,
                     "Evil");
    ck_assert_ptr_null(strstr(html, "href=\"javascript:"));
    ck_assert_ptr_nonnull(strstr(html, "<code>javascript:alert(3)</code>"));

    /* An image URL no parser reads alike is not loaded. */
    r = inspect(NULL, "<meta property=\"og:image\" content=\"https://e.org/"
                "a.png?b=&quot;x\">");
    html = smo_inspect_html(pool, r);
    ck_assert_ptr_null(strstr(html, "<img"));
    ck_verdict(r, "image", SMO_CHECK_FAIL);
    /* One style sheet, and the page's markup brought none. */
    ck_assert_ptr_null(strstr(strstr(html, "<style>") + 1, "<style"));
}
END_TEST

static const json_value *jget(const json_value *o, const char *k)
{
    const json_value *v = json_get(o, k);
    ck_assert_msg(v != NULL, "no member %s", k);
    return v;
}

START_TEST(json_holds_the_report)
{
    const char *page = full_page();
    smo_inspect_report *r = inspect(NULL, page);
    const char *text, *err = NULL;
    const json_value *j, *checks, *props, *prev;

    /* A value with a control character and a quote must stay valid. */
    APR_ARRAY_IDX(r->props, 1, smo_inspect_prop).value = "a\"b\\c\x01\n";
    text = smo_inspect_json(pool, r);
    j = json_parse(pool, text, strlen(text), &err);
    ck_assert_msg(j != NULL, "%s\n%s", err, text);
    ck_assert_str_eq(jget(j, "url")->str, PAGE_URL);
    checks = jget(j, "checks");
    ck_assert_int_eq(checks->n, r->checks->nelts);
    for (size_t i = 0; i < checks->n; i++) {
        const smo_inspect_check *c =
            &APR_ARRAY_IDX(r->checks, i, smo_inspect_check);
        ck_assert_str_eq(jget(checks->items[i], "id")->str, c->id);
        ck_assert_str_eq(jget(checks->items[i], "verdict")->str,
                         smo_inspect_verdict_name(c->verdict));
        ck_assert_str_eq(jget(checks->items[i], "message")->str, c->message);
    }
    props = jget(j, "properties");
    ck_assert_int_eq(props->n, r->props->nelts);
    ck_assert_str_eq(jget(props->items[1], "value")->str, "a\"b\\c\x01\n");
    ck_assert_str_eq(jget(props->items[3], "origin")->str, "page");
    ck_assert_int_eq((int)jget(props->items[3], "offset")->number,
                     (int)APR_ARRAY_IDX(r->props, 3, smo_inspect_prop).offset);
    ck_assert_int_eq(jget(j, "links")->n, 2);
    prev = jget(j, "previews");
    ck_assert_int_eq(prev->n, SMO_INSPECT_NETS);
    ck_assert_str_eq(jget(prev->items[0], "network")->str, "facebook");
    ck_assert_str_eq(jget(prev->items[0], "ratio")->str, "1.91:1");
    ck_assert_str_eq(jget(prev->items[1], "ratio")->str, "2:1");
    ck_assert_str_eq(jget(prev->items[0], "domain")->str, "example.org");
    ck_assert_str_eq(jget(prev->items[0], "image")->str,
                     "https://example.org/i/hero.jpg");
}
END_TEST

START_TEST(previews_cut_titles)
{
    char title[201], *etitle = apr_palloc(pool, 401);
    const char *text, *html, *err = NULL;
    const json_value *j, *prev;
    smo_inspect_report *r;

    memset(title, 'T', 200);
    title[200] = '\0';
    for (int i = 0; i < 200; i++)
        memcpy(etitle + 2 * i, "\xC3\xA9", 2);   /* é */
    etitle[400] = '\0';
    r = inspect(NULL, apr_pstrcat(pool, "<meta property=\"og:title\" "
                                  "content=\"", title, "\">", NULL));
    html = smo_inspect_html(pool, r);
    /* 88 characters then an ellipsis (escaped as a reference). */
    ck_assert_ptr_nonnull(strstr(html, apr_pstrcat(pool, ">", apr_pstrndup(
        pool, title, 88), "&#x2026;</p>", NULL)));
    text = smo_inspect_json(pool, r);
    j = json_parse(pool, text, strlen(text), &err);
    ck_assert_msg(j != NULL, "%s", err);
    prev = jget(j, "previews");
    for (size_t i = 0; i < prev->n; i++) {
        const smo_inspect_net *n = &smo_inspect_nets[i];
        const char *t = jget(prev->items[i], "title")->str;
        ck_assert_str_eq(jget(prev->items[i], "network")->str, n->id);
        if (n->title_cut >= 200) {
            ck_assert_str_eq(t, title);
            continue;
        }
        ck_assert_int_eq(utf8_chars(t), n->title_cut + 1);
        ck_assert_msg(strcmp(t + strlen(t) - 3, "\xE2\x80\xA6") == 0, "%s", t);
    }

    /* Two-byte characters are cut between characters, never inside. */
    r = inspect(NULL, apr_pstrcat(pool, "<meta property=\"og:title\" "
                                  "content=\"", etitle, "\">", NULL));
    text = smo_inspect_cut(pool, r->title, 88);
    ck_assert_int_eq(strlen(text), 88 * 2 + 3);
    ck_assert_int_eq(utf8_chars(text), 89);
    ck_assert_str_eq(smo_inspect_cut(pool, "short", 88), "short");
    ck_assert_str_eq(smo_inspect_cut(pool, "cut here now", 4), "cut\xE2\x80\xA6");
}
END_TEST

/* Pages made of random pieces (tags cut short, references, bytes that
 * are not UTF-8, NULs): the JSON always parses, the HTML never carries
 * the page's markup. */
START_TEST(random_pages_stay_valid)
{
    static const char *const pieces[] = {
        "<meta property=\"og:title\" content=\"", "<meta name=\"twitter:card\" "
        "content=\"summary", "\">", "<title>", "</title>", "&amp;", "&#0;",
        "&#x110000;", "&lt;script&gt;", "<script>", "</script>", "\xC3",
        "\xFF\xFE", "\xE2\x80\xA8", "\x01", "\"", "'", "<", ">",
        "<link rel=canonical href=", "<a class=\"smo-share-link smo-share-",
        "<body>", "</head>", "<!--", "-->", "<svg>", "<template>",
        "og:image\" content=\"https://e.org/i.png", " ", "\n", "\\",
    };
    uint64_t st = 0x9E3779B97F4A7C15ull;
    size_t n = sizeof pieces / sizeof pieces[0];

    for (int round = 0; round < 300; round++) {
        tk_buf b = { NULL, 0, 0, pool };
        smo_inspect_report *r;
        const char *json, *html, *err = NULL;
        size_t len = 1 + tk_rnd_below(&st, 60);

        for (size_t i = 0; i < len; i++) {
            const char *pc = pieces[tk_rnd_below(&st, n)];
            tk_buf_add(&b, pc, strlen(pc));
            if (tk_rnd_below(&st, 8) == 0)
                tk_buf_add(&b, "\0", 1);
        }
        {
            smo_inspect_input in = input(tk_rnd_below(&st, 2) ? NULL : "",
                                         "");
            in.served = b.s;
            in.served_len = b.len;
            r = smo_inspect(pool, &in);
        }
        json = smo_inspect_json(pool, r);
        ck_assert_msg(json_parse(pool, json, strlen(json), &err) != NULL,
                      "round %d: %s\n%s", round, err, json);
        html = smo_inspect_html(pool, r);
        ck_assert_msg(!strstr(html, "<script") && !strstr(html, "<svg") &&
                      !strstr(html, "<template"), "round %d", round);
    }
}
END_TEST

/* A page like the demo's article, rendered for a look or a validator. */
START_TEST(demo_page_saved)
{
    const char *dir = getenv("SMO_INSPECT_SAVE_DIR");
    const char *orig = apr_pstrcat(pool,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Caf\xC3\xA9 culture: the long read about how neighbourhood "
        "coffee shops shaped a century of city life</title>"
        "<meta name=\"description\" content=\"From Vienna to Melbourne, a "
        "walk through the places where people meet, argue and write, and "
        "what they tell us about the cities around them.\">"
        "</head><body><article><h1>Caf\xC3\xA9 culture</h1></article>", NULL);
    const char *served = apr_pstrcat(pool,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Caf\xC3\xA9 culture: the long read about how neighbourhood "
        "coffee shops shaped a century of city life</title>"
        "<meta name=\"description\" content=\"From Vienna to Melbourne, a "
        "walk through the places where people meet, argue and write, and "
        "what they tell us about the cities around them.\">"
        "<meta property=\"og:site_name\" content=\"The Demo Journal\">"
        "<meta property=\"og:title\" content=\"Caf\xC3\xA9 culture: the long "
        "read about how neighbourhood coffee shops shaped a century of city "
        "life\">"
        "<meta property=\"og:description\" content=\"From Vienna to "
        "Melbourne, a walk through the places where people meet, argue and "
        "write, and what they tell us about the cities around them.\">"
        "<meta property=\"og:url\" content=\"https://example.org/post/1\">"
        "<meta property=\"og:image\" content=\"" CARDS "demo.png\">"
        "<meta property=\"og:image:width\" content=\"1200\">"
        "<meta property=\"og:image:height\" content=\"630\">"
        "<meta name=\"twitter:card\" content=\"summary_large_image\">"
        "<link rel=\"canonical\" href=\"https://example.org/post/1\">"
        "</head><body><article><h1>Caf\xC3\xA9 culture</h1></article>",
        share_block, "</body></html>", NULL);
    apr_array_header_t *conf = apr_array_make(pool, 1, sizeof(char *));
    smo_inspect_input in = input(orig, served);
    smo_inspect_report *r;
    const char *html, *json;
    apr_time_t t0;

    APR_ARRAY_PUSH(conf, const char *) = "og:site_name";
    in.configured = conf;
    t0 = apr_time_now();
    r = smo_inspect(pool, &in);
    html = smo_inspect_html(pool, r);
    json = smo_inspect_json(pool, r);
    if (getenv("SMO_INSPECT_BENCH"))
        printf("inspect + html + json: %" APR_TIME_T_FMT " us\n",
               apr_time_now() - t0);
    ck_assert_ptr_nonnull(strstr(html, "The Demo Journal"));
    ck_assert_int_eq(prop(r, "og:image", 0)->origin, SMO_FROM_GENERATED);
    ck_assert_int_eq(prop(r, "og:site_name", 0)->origin, SMO_FROM_SMOMETA);
    ck_assert_int_eq(prop(r, "og:title", 0)->origin, SMO_FROM_DERIVED);
    if (dir) {
        const char *names[2] = { "inspect.html", "inspect.json" };
        const char *data[2] = { html, json };
        for (int i = 0; i < 2; i++) {
            const char *path = apr_pstrcat(pool, dir, "/", names[i], NULL);
            FILE *f = fopen(path, "w");
            ck_assert_msg(f != NULL, "cannot write %s", path);
            fputs(data[i], f);
            fclose(f);
        }
    }
}
END_TEST

static Suite *inspect_suite(void)
{
    Suite *s = suite_create("inspect");
    TCase *tc = tcase_create("report");
    TCase *tc2 = tcase_create("render");

    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, everything_passes);
    tcase_add_test(tc, nothing_fails);
    tcase_add_test(tc, fallbacks_warn);
    tcase_add_test(tc, duplicates_fail);
    tcase_add_test(tc, tiny_image_per_network);
    tcase_add_test(tc, twitter_card_matches);
    tcase_add_test(tc, metadata_after_32k_fails);
    tcase_add_test(tc, origins);
    tcase_add_test(tc, origins_card_and_override);
    tcase_add_test(tc, image_facts_used);
    tcase_add_test(tc, image_file_refused);
    tcase_add_test(tc, share_links);
    tcase_add_test(tc, bounded);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tc2, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc2, html_escapes_the_page);
    tcase_add_test(tc2, json_holds_the_report);
    tcase_add_test(tc2, previews_cut_titles);
    tcase_add_test(tc2, random_pages_stay_valid);
    tcase_add_test(tc2, demo_page_saved);
    suite_add_tcase(s, tc2);
    return s;
}

const tk_program tk_tests = { inspect_suite, 0, NULL };
