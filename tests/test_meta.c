/* test_meta.c — unit tests for lib/meta.c: what the page declares, which
 * canonical link, Open Graph and Twitter/X Card tags are written for what
 * it does not (SPEC sections 3 and 6), and which page tags they replace.
 * Pages go through the real tokenizer and tree simulation, as in the
 * engine, and every token up to </head> is handed to the rules. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "../lib/smo_meta.h"
#include "../lib/smo_tokenizer.h"
#include "../lib/smo_treesim.h"
#include "toolkit.h"

static smo_meta_config cfg;
static apr_array_header_t *props;
static apr_array_header_t *removals;

static void setup(void)
{
    static const char *const dflt[] = {
        "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
        "igshid", "_ga",
    };
    apr_array_header_t *globs;

    tk_pool_setup();
    globs = apr_array_make(pool, 16, sizeof(const char *));
    for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
        APR_ARRAY_PUSH(globs, const char *) = dflt[i];
    props = apr_array_make(pool, 4, sizeof(smo_meta_prop));
    removals = apr_array_make(pool, 4, sizeof(smo_span));
    memset(&cfg, 0, sizeof cfg);
    cfg.props = props;
    cfg.auto_meta = 1;
    cfg.canonical = 1;
    cfg.canonical_url = "https://example.com/blog/post?id=3";
    cfg.page_url = "https://example.com/blog/post";
    cfg.strip_globs = globs;
}

static void conf(const char *name, const char *value)
{
    smo_meta_prop *p = apr_array_push(props);
    p->name = name;
    p->value = value;
}

/* ---- feeding a page ----------------------------------------------------- */

typedef struct {
    smo_meta *m;
    smo_treesim *sim;
    int head_over;
} feed_ctx;

static int on_token(void *ctx, const smo_token *t)
{
    feed_ctx *f = ctx;
    uint64_t split = t->start;

    smo_treesim_token(f->sim, t, &split);
    if (f->head_over)
        return 0;
    if ((t->type == SMO_TOKEN_END_TAG && !strcmp(t->name, "head")) ||
        (t->type == SMO_TOKEN_START_TAG && !strcmp(t->name, "body"))) {
        f->head_over = 1;
        return 0;
    }
    smo_meta_token(f->m, t);
    return 0;
}

/* The page through the tokenizer in chunks of `chunk` bytes (0: whole). */
static smo_meta *feed_chunks_n(const char *html, size_t len, size_t chunk)
{
    feed_ctx f = { NULL, NULL, 0 };
    smo_tokenizer *tok;

    f.m = smo_meta_create(pool, &cfg);
    tok = smo_tokenizer_create(pool, SMO_TAIL_LIMIT_DEFAULT, on_token, &f);
    f.sim = smo_treesim_create(pool, tok);
    if (!chunk)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len; off += chunk)
        ck_assert_int_eq(smo_tokenizer_feed(tok, html + off,
                                            len - off < chunk ? len - off
                                                              : chunk, 0),
                         0);
    ck_assert_int_eq(smo_tokenizer_feed(tok, NULL, 0, 1), 0);
    return f.m;
}

static smo_meta *feed_chunks(const char *html, size_t chunk)
{
    return feed_chunks_n(html, strlen(html), chunk);
}

/* A page that holds NUL bytes: its length given. */
#define FEED_LIT(lit) feed_chunks_n(lit, sizeof lit - 1, 0)

static smo_meta *feed(const char *html)
{
    return feed_chunks(html, 0);
}

/* The markup for a page whose bytes are all still held. */
static const char *markup(const char *html)
{
    return smo_meta_markup(feed(html), 0, removals);
}

/* The span of the first page tag starting with `prefix`. */
static smo_span span_of(const char *html, const char *prefix)
{
    const char *s = strstr(html, prefix), *e;
    ck_assert_ptr_nonnull(s);
    e = strchr(s, '>');
    ck_assert_ptr_nonnull(e);
    return (smo_span){ (uint64_t)(s - html), (uint64_t)(e + 1 - html) };
}

static void assert_removed(int i, smo_span want)
{
    smo_span got = APR_ARRAY_IDX(removals, i, smo_span);
    ck_assert_uint_eq(got.start, want.start);
    ck_assert_uint_eq(got.end, want.end);
}

/* The content="..." of `name` in the markup, or NULL if not written. */
static const char *content_of(const char *mk, const char *name)
{
    const char *key, *s, *e;
    if (!mk)
        return NULL;
    key = apr_pstrcat(pool, "=\"", name, "\" content=\"", NULL);
    if (!(s = strstr(mk, key)))
        return NULL;
    s += strlen(key);
    e = strchr(s, '"');
    ck_assert_ptr_nonnull(e);
    return apr_pstrmemdup(pool, s, (apr_size_t)(e - s));
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; s && (s = strstr(s, needle)); s++)
        n++;
    return n;
}

/* Every attribute value in the markup: no raw '<', no raw quote inside,
 * only ASCII. */
static void assert_safe(const char *mk)
{
    const char *s = mk;
    ck_assert_ptr_nonnull(mk);
    for (const char *c = mk; *c; c++)
        ck_assert_int_lt((unsigned char)*c, 0x80);
    while ((s = strchr(s, '<'))) {
        const char *e = strchr(s, '>');
        int quotes = 0;
        ck_assert_ptr_nonnull(e);
        for (const char *c = s + 1; c < e; c++) {
            ck_assert_int_ne(*c, '<');
            ck_assert_int_ne(*c, '\'');
            quotes += *c == '"';
        }
        ck_assert_int_eq(quotes % 2, 0);
        ck_assert(e[1] == '\n');
        s = e + 1;
    }
}

/* ---- pages without metadata: everything derived ------------------------- */

START_TEST(test_all_derived)
{
    const char *html =
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
        "<title>  Hello\n\tWorld </title>"
        "<meta name=\"description\" content=\"A  short\npost\">"
        "</head><body><p>x</p></body></html>";
    const char *mk = markup(html);

    ck_assert_str_eq(mk,
        "<link rel=\"canonical\" href=\"https://example.com/blog/post?id=3\">\n"
        "<meta property=\"og:title\" content=\"Hello World\">\n"
        "<meta property=\"og:description\" content=\"A short post\">\n"
        "<meta property=\"og:url\" content=\"https://example.com/blog/post?id=3\">\n"
        "<meta property=\"og:type\" content=\"website\">\n"
        "<meta property=\"og:locale\" content=\"en_GB\">\n"
        "<meta name=\"twitter:card\" content=\"summary\">\n");
    ck_assert_int_eq(removals->nelts, 0);
    assert_safe(mk);
}
END_TEST

START_TEST(test_bare_page)
{
    /* No title, no description, no lang: only what needs nothing. */
    const char *mk = markup("<html><head></head><body></body></html>");
    ck_assert_str_eq(mk,
        "<link rel=\"canonical\" href=\"https://example.com/blog/post?id=3\">\n"
        "<meta property=\"og:url\" content=\"https://example.com/blog/post?id=3\">\n"
        "<meta property=\"og:type\" content=\"website\">\n"
        "<meta name=\"twitter:card\" content=\"summary\">\n");
}
END_TEST

START_TEST(test_xhtml)
{
    const char *mk;
    cfg.xhtml = 1;
    mk = markup("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"fr\">"
                "<head><title>T</title></head><body/></html>");
    ck_assert_str_eq(mk,
        "<link rel=\"canonical\" href=\"https://example.com/blog/post?id=3\" />\n"
        "<meta property=\"og:title\" content=\"T\" />\n"
        "<meta property=\"og:url\" content=\"https://example.com/blog/post?id=3\" />\n"
        "<meta property=\"og:type\" content=\"website\" />\n"
        "<meta property=\"og:locale\" content=\"fr\" />\n"
        "<meta name=\"twitter:card\" content=\"summary\" />\n");
}
END_TEST

/* ---- keep: the page's own values win ------------------------------------ */

START_TEST(test_keep_page_values)
{
    const char *html =
        "<html lang=en><head><title>Title</title>"
        "<link rel=\"canonical\" href=\"https://example.com/c\">"
        "<meta property=\"og:title\" content=\"Own title\">"
        "<META PROPERTY=\"OG:Type\" CONTENT=\"article\">"
        "<meta name=\"twitter:card\" value=\"summary\">"
        "</head><body></body></html>";
    const char *mk;

    conf("og:title", "Configured title");
    mk = markup(html);
    /* canonical, og:title, og:type and twitter:card are declared. */
    ck_assert_str_eq(mk,
        "<meta property=\"og:url\" content=\"https://example.com/c\">\n"
        "<meta property=\"og:locale\" content=\"en\">\n");
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

START_TEST(test_nothing_to_write)
{
    const char *html =
        "<head><meta property=og:title content=a>"
        "<meta property=og:url content=https://example.com/>"
        "<meta property=og:type content=website>"
        "<meta name=twitter:card content=summary></head>";
    cfg.canonical = 0;
    ck_assert_ptr_null(markup(html));
    cfg.canonical = 1;
    ck_assert_ptr_nonnull(strstr(markup(html), "rel=\"canonical\""));
}
END_TEST

START_TEST(test_two_names_one_tag)
{
    /* A common pattern: one tag declares description and og:description. */
    const char *mk = markup(
        "<head><meta name=\"description\" property=\"og:description\" "
        "content=\"D\"></head>");
    ck_assert_ptr_null(content_of(mk, "og:description"));
}
END_TEST

START_TEST(test_rel_token_list)
{
    const char *mk = markup(
        "<head><link rel=\"alternate  CANONICAL\" href=\"/x\"></head>");
    ck_assert_int_eq(count(mk, "rel=\"canonical\""), 0);
    ck_assert_str_eq(content_of(mk, "og:url"), "https://example.com/x");

    mk = markup("<head><link rel=\"canonicalx\" href=\"/x\"></head>");
    ck_assert_int_eq(count(mk, "rel=\"canonical\""), 1);
}
END_TEST

/* ---- override ----------------------------------------------------------- */

static const char *override_page =
    "<html><head><meta charset=utf-8>"
    "<meta property=\"og:title\" content=\"Old\">"
    "<title>Page</title>"
    "<meta property=\"og:title\" content=\"Older\">"
    "<meta name=\"twitter:site\" content=\"@old\">"
    "</head><body></body></html>";

START_TEST(test_override_held)
{
    const char *mk;
    smo_span first = span_of(override_page, "<meta property=\"og:title\""),
             second = span_of(override_page,
                              "<meta property=\"og:title\" content=\"Older"),
             site = span_of(override_page, "<meta name=\"twitter:site\"");

    cfg.override = 1;
    conf("og:title", "New");
    conf("twitter:site", "@new");
    mk = smo_meta_markup(feed(override_page), first.start, removals);
    ck_assert_int_eq(count(mk, "og:title"), 1);
    ck_assert_str_eq(content_of(mk, "og:title"), "New");
    ck_assert_str_eq(content_of(mk, "twitter:site"), "@new");
    ck_assert_int_eq(removals->nelts, 3);
    assert_removed(0, first);
    assert_removed(1, second);
    assert_removed(2, site);
}
END_TEST

START_TEST(test_override_already_out)
{
    const char *mk;
    smo_span second = span_of(override_page,
                              "<meta property=\"og:title\" content=\"Older");

    cfg.override = 1;
    conf("og:title", "New");
    /* The first og:title has gone out: ours would be a second one. */
    mk = smo_meta_markup(feed(override_page), second.start, removals);
    ck_assert_ptr_null(content_of(mk, "og:title"));
    ck_assert_int_eq(removals->nelts, 0);

    /* Everything out. */
    apr_array_clear(removals);
    mk = smo_meta_markup(feed(override_page), strlen(override_page),
                         removals);
    ck_assert_ptr_null(content_of(mk, "og:title"));
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

START_TEST(test_override_not_for_derived)
{
    /* Derived values never replace the page's, override or not; the
     * page's canonical link is never changed. */
    const char *html =
        "<html lang=de><head><title>T</title>"
        "<link rel=canonical href=/own>"
        "<meta property=og:title content=Own>"
        "<meta property=og:locale content=de_AT></head>";
    const char *mk;

    cfg.override = 1;
    mk = markup(html);
    ck_assert_ptr_null(content_of(mk, "og:title"));
    ck_assert_ptr_null(content_of(mk, "og:locale"));
    ck_assert_int_eq(count(mk, "canonical"), 0);
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

START_TEST(test_override_two_names_one_tag)
{
    /* Removing the tag would lose its other name: the page's stays. */
    const char *mk;
    cfg.override = 1;
    conf("og:description", "New");
    mk = markup("<head><meta name=\"description\" property=\"og:description\" "
                "content=\"D\"></head>");
    ck_assert_ptr_null(content_of(mk, "og:description"));
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

START_TEST(test_empty_two_names_removed_once)
{
    const char *html = "<head><meta name=\"twitter:card\" property=\"og:type\" "
                       "content=\"\"></head>";
    const char *mk = markup(html);
    ck_assert_str_eq(content_of(mk, "og:type"), "website");
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary");
    ck_assert_int_eq(removals->nelts, 1);
    assert_removed(0, span_of(html, "<meta name="));
}
END_TEST

START_TEST(test_keep_ignores_configured_replacement)
{
    const char *mk;
    conf("og:title", "New");
    mk = markup(override_page);
    ck_assert_ptr_null(content_of(mk, "og:title"));
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

/* ---- empty declarations ------------------------------------------------- */

static const char *empty_page =
    "<html><head><title>Real title</title>"
    "<meta property=\"og:title\" content=\" \t\">"
    "<link rel=\"canonical\" href=\"\">"
    "<meta name=\"twitter:card\" content=\"&#32;\">"
    "<meta property=\"og:type\">"
    "</head><body></body></html>";

START_TEST(test_empty_held_replaced)
{
    const char *mk = markup(empty_page);

    ck_assert_str_eq(content_of(mk, "og:title"), "Real title");
    ck_assert_str_eq(content_of(mk, "og:type"), "website");
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary");
    ck_assert_int_eq(count(mk, "rel=\"canonical\""), 1);
    ck_assert_int_eq(removals->nelts, 4);
    assert_removed(0, span_of(empty_page, "<meta property=\"og:title\""));
    assert_removed(1, span_of(empty_page, "<link rel=\"canonical\""));
    assert_removed(2, span_of(empty_page, "<meta name=\"twitter:card\""));
    assert_removed(3, span_of(empty_page, "<meta property=\"og:type\""));
}
END_TEST

START_TEST(test_empty_out_still_written)
{
    /* An empty declaration does not count as declared (SPEC 6): even when
     * it has gone out, ours is written; nothing can be removed. */
    const char *mk = smo_meta_markup(feed(empty_page), strlen(empty_page),
                                     removals);
    ck_assert_str_eq(content_of(mk, "og:title"), "Real title");
    ck_assert_int_eq(count(mk, "rel=\"canonical\""), 1);
    ck_assert_int_eq(removals->nelts, 0);
}
END_TEST

/* ---- values: escaping, decoding, charsets ------------------------------- */

START_TEST(test_title_entities)
{
    smo_meta *m = feed("<head><title>\n  Caf&eacute;   &amp; Bar \n"
                       "</title></head>");
    const char *mk = smo_meta_markup(m, 0, removals);

    ck_assert_str_eq(content_of(mk, "og:title"), "Caf&#xE9; &amp; Bar");
    ck_assert_str_eq(smo_meta_title(m), "Caf\xC3\xA9 & Bar");
}
END_TEST

START_TEST(test_title_injection)
{
    const char *mk;
    conf("og:description", "x\" onload=\"alert(1)");
    conf("twitter:site", "<script>");
    mk = markup("<head><title>\"&gt;&lt;script>alert(1)</script>"
                "</title></head>");
    ck_assert_str_eq(content_of(mk, "og:title"),
                     "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ck_assert_str_eq(content_of(mk, "og:description"),
                     "x&quot; onload=&quot;alert(1)");
    ck_assert_str_eq(content_of(mk, "twitter:site"), "&lt;script&gt;");
    assert_safe(mk);
}
END_TEST

START_TEST(test_title_in_rcdata)
{
    /* </head> and tags inside <title> are text, not markup. */
    smo_meta *m = feed("<head><title>a</head><b>c</title>"
                       "<meta property=og:type content=article></head>");
    const char *mk = smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(smo_meta_title(m), "a</head><b>c");
    ck_assert_ptr_null(content_of(mk, "og:type"));
}
END_TEST

START_TEST(test_first_title_only)
{
    smo_meta *m = feed("<head><title>One</title><title>Two</title></head>");
    ck_assert_str_eq(smo_meta_title(m), "One");
    ck_assert_ptr_null(smo_meta_title(feed("<head></head>")));
    ck_assert_ptr_null(smo_meta_title(feed("<head><title> </title></head>")));
}
END_TEST

START_TEST(test_title_bounded)
{
    /* A huge title is cut at 4 KiB, on a character boundary. */
    size_t n = 3000;
    char *body = apr_palloc(pool, n * 2 + 1);
    const char *t;
    for (size_t i = 0; i < n; i++)
        memcpy(body + 2 * i, "\xC3\xA9", 2);
    body[n * 2] = '\0';
    t = smo_meta_title(feed(apr_pstrcat(pool, "<head><title>x", body,
                                        "</title></head>", NULL)));
    ck_assert_uint_eq(strlen(t), 4095);
    ck_assert_ptr_null(strstr(t, "\xEF\xBF\xBD"));
}
END_TEST

START_TEST(test_nul_in_text)
{
    /* Browsers read a NUL in <title> (RCDATA) and in an attribute value
     * as U+FFFD; it cuts nothing. */
    smo_meta *m = FEED_LIT("<head><title>a\0b</title>"
                           "<meta name=description content=\"c\0d\">"
                           "</head>");
    const char *mk = smo_meta_markup(m, 0, removals);

    ck_assert_str_eq(content_of(mk, "og:title"), "a&#xFFFD;b");
    ck_assert_str_eq(content_of(mk, "og:description"), "c&#xFFFD;d");
    ck_assert_str_eq(smo_meta_title(m), "a\xEF\xBF\xBD" "b");
    ck_assert_str_eq(smo_meta_value(m, "og:description"),
                     "c\xEF\xBF\xBD" "d");
    assert_safe(mk);

    /* The same through iconv (a legacy charset), at the start of a
     * value, and as a reference (&#0; is U+FFFD as well). */
    cfg.http_charset = "windows-1252";
    m = FEED_LIT("<head><title>\0Caf\xE9&#0;</title>"
                 "<meta name=description content=\"\0\">"
                 "</head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(content_of(mk, "og:title"),
                     "&#xFFFD;Caf&#xE9;&#xFFFD;");
    ck_assert_str_eq(content_of(mk, "og:description"), "&#xFFFD;");
}
END_TEST

START_TEST(test_controls_in_text)
{
    /* Other C0 controls stay in the text, as browsers keep them in
     * document.title, but no attribute value carries one: XML forbids
     * them (XHTML pages) and &#x1; is a parse error. */
    smo_meta *m = FEED_LIT("<head><title>a\x01" "b\x1F" "c\x7F" "d</title>"
                           "<meta name=description content=\"e\x02" "f\">"
                           "</head>");
    const char *mk = smo_meta_markup(m, 0, removals);

    ck_assert_str_eq(smo_meta_title(m), "a\x01" "b\x1F" "c\x7F" "d");
    ck_assert_str_eq(content_of(mk, "og:title"),
                     "a&#xFFFD;b&#xFFFD;c&#xFFFD;d");
    ck_assert_str_eq(content_of(mk, "og:description"), "e&#xFFFD;f");
    for (const char *c = mk; *c; c++)
        ck_assert(*c == '\n' || (unsigned char)*c >= 0x20);
}
END_TEST

START_TEST(test_latin1_http)
{
    smo_meta *m;
    cfg.http_charset = "ISO-8859-1";
    m = feed("<head><title>Caf\xE9</title>"
             "<meta name=description content=\"cr\xE8me &amp; br\xFBl\xE9\xE9\">"
             "</head>");
    const char *mk = smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(content_of(mk, "og:title"), "Caf&#xE9;");
    ck_assert_str_eq(content_of(mk, "og:description"),
                     "cr&#xE8;me &amp; br&#xFB;l&#xE9;&#xE9;");
    ck_assert_str_eq(smo_meta_charset(m), "ISO-8859-1");
    ck_assert_str_eq(smo_meta_title(m), "Caf\xC3\xA9");
}
END_TEST

START_TEST(test_latin1_meta)
{
    smo_meta *m = feed("<head><meta charset=\"iso-8859-1\">"
                       "<title>Caf\xE9</title></head>");
    ck_assert_str_eq(content_of(smo_meta_markup(m, 0, removals), "og:title"),
                     "Caf&#xE9;");
    ck_assert_str_eq(smo_meta_charset(m), "iso-8859-1");

    m = feed("<head><meta http-equiv=\"Content-Type\" "
             "content=\"text/html; charset='windows-1252'\">"
             "<title>\x80</title></head>");
    ck_assert_str_eq(smo_meta_charset(m), "windows-1252");
    ck_assert_str_eq(smo_meta_title(m), "\xE2\x82\xAC");
}
END_TEST

START_TEST(test_http_charset_wins)
{
    smo_meta *m;
    cfg.http_charset = "utf-8";
    m = feed("<head><meta charset=iso-8859-1><title>Caf\xC3\xA9</title>"
             "</head>");
    ck_assert_str_eq(smo_meta_charset(m), "utf-8");
    ck_assert_str_eq(content_of(smo_meta_markup(m, 0, removals), "og:title"),
                     "Caf&#xE9;");
    cfg.http_charset = NULL;
    ck_assert_ptr_null(smo_meta_charset(feed("<head><title>x</title>")));
}
END_TEST

/* SPEC 6 "Which charset": with no charset from HTTP or the page, values
 * that are not valid UTF-8 are windows-1252; valid ones are UTF-8. */
START_TEST(test_no_charset_fallback)
{
    smo_meta *m = feed("<head><title>Caf\xE9 cr\xE8me \x80</title>"
                       "<meta name=description content=\"br\xFBl\xE9" "e\">"
                       "</head>");
    const char *mk = smo_meta_markup(m, 0, removals);
    ck_assert_ptr_null(smo_meta_charset(m));
    ck_assert_str_eq(content_of(mk, "og:title"),
                     "Caf&#xE9; cr&#xE8;me &#x20AC;");
    ck_assert_str_eq(content_of(mk, "og:description"), "br&#xFB;l&#xE9;e");
    ck_assert_str_eq(smo_meta_title(m), "Caf\xC3\xA9 cr\xC3\xA8me \xE2\x82\xAC");

    m = feed("<head><title>Caf\xC3\xA9</title></head>");
    ck_assert_str_eq(smo_meta_title(m), "Caf\xC3\xA9");
}
END_TEST

START_TEST(test_locale)
{
    static const struct {
        const char *lang, *locale;
    } cases[] = {
        { "en-GB", "en_GB" }, { "fr", "fr" }, { "EN-us", "en_US" },
        { "pt_BR", "pt_BR" }, { "zh-Hant-TW", "zh_TW" },
        { "es-419", "es_419" }, { " de ", "de" },
        { "x-klingon", NULL }, { "i-navajo", NULL }, { "", NULL },
        { "english", NULL }, { "en-", NULL }, { "e1", NULL },
        { "en GB", NULL }, { "und", NULL }, { "en-&quot;", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *mk = markup(apr_psprintf(
            pool, "<html lang=\"%s\"><head></head>", cases[i].lang));
        const char *got = content_of(mk, "og:locale");
        if (cases[i].locale) {
            ck_assert_msg(got && !strcmp(got, cases[i].locale),
                          "lang=\"%s\": got %s", cases[i].lang,
                          got ? got : "(none)");
        } else {
            ck_assert_msg(!got, "lang=\"%s\": got %s", cases[i].lang, got);
        }
    }
}
END_TEST

/* ---- images and the twitter card ---------------------------------------- */

START_TEST(test_card_configured_image)
{
    const char *mk;
    conf("og:image", "/img/a.png");
    mk = markup("<head><title>T</title></head>");
    ck_assert_str_eq(content_of(mk, "og:image"),
                     "https://example.com/img/a.png");
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary_large_image");
    /* og:image comes right before twitter:card here. */
    ck_assert_ptr_nonnull(strstr(mk,
        "<meta property=\"og:image\" content=\"https://example.com/img/a.png\">\n"
        "<meta name=\"twitter:card\" content=\"summary_large_image\">\n"));
}
END_TEST

START_TEST(test_card_page_image)
{
    const char *mk = markup(
        "<head><meta property=\"og:image\" content=\"/p.jpg\"></head>");
    ck_assert_ptr_null(content_of(mk, "og:image"));
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary_large_image");

    /* An empty og:image is no image. */
    mk = markup("<head><meta property=\"og:image\" content=\"\"></head>");
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary");
}
END_TEST

START_TEST(test_javascript_image_dropped)
{
    const char *mk;
    conf("og:image", "javascript:alert(1)");
    conf("twitter:image", "data:image/png;base64,AAAA");
    mk = markup("<head></head>");
    ck_assert_ptr_null(content_of(mk, "og:image"));
    ck_assert_ptr_null(content_of(mk, "twitter:image"));
    ck_assert_ptr_null(strstr(mk, "javascript"));
    ck_assert_str_eq(content_of(mk, "twitter:card"), "summary");
}
END_TEST

/* ---- og:url ------------------------------------------------------------- */

START_TEST(test_og_url_from_page_canonical)
{
    const char *mk = markup(
        "<head><link rel=\"canonical\" "
        "href=\"post?utm_source=tw&amp;id=3&amp;fbclid=z#top\"></head>");
    ck_assert_str_eq(content_of(mk, "og:url"),
                     "https://example.com/blog/post?id=3#top");
    ck_assert_int_eq(count(mk, "rel=\"canonical\""), 0);
}
END_TEST

START_TEST(test_og_url_from_raw_canonical)
{
    /* SPEC 6: the page's own canonical, raw as it is, gives a valid og:url
     * (and share URL); the page's tag stays as it is (not removed). */
    static const struct {
        const char *charset, *href, *want;
    } cases[] = {
        { NULL, "http://www.example.com/News Feed/a.aspx",
          "http://www.example.com/News%20Feed/a.aspx" },
        { NULL, "http://www.example.com/News%20Feed/a.aspx",
          "http://www.example.com/News%20Feed/a.aspx" },
        { NULL, "\thttp://www.example.com/News\n Feed/a.aspx\r\n",
          "http://www.example.com/News%20Feed/a.aspx" },
        { NULL, "/a&quot;b&lt;c>d|e^f", "https://example.com/a%22b%3Cc%3Ed%7Ce%5Ef" },
        /* The path is UTF-8 whatever the page's charset. */
        { "utf-8", "/caf\xC3\xA9 cr\xC3\xA8me/", "https://example.com/caf%C3%A9%20cr%C3%A8me/" },
        { "windows-1252", "/caf\xE9 cr\xE8me/", "https://example.com/caf%C3%A9%20cr%C3%A8me/" },
        { "windows-1252", "/\x80/100%", "https://example.com/%E2%82%AC/100%25" },
        /* The query in the page's charset, as browsers encode it. */
        { "windows-1252", "/caf\xE9?q=cr\xE8me+&#x4E2D;",
          "https://example.com/caf%C3%A9?q=cr%E8me+%26%2320013%3B" },
        { "utf-8", "/caf\xC3\xA9?q=cr\xC3\xA8me", "https://example.com/caf%C3%A9?q=cr%C3%A8me" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        smo_meta *m;
        const char *mk;

        cfg.http_charset = cases[i].charset;
        m = feed(apr_pstrcat(pool, "<head><link rel=canonical href=\"",
                             cases[i].href, "\"></head>", NULL));
        mk = smo_meta_markup(m, 0, removals);
        ck_assert_msg(!strcmp(content_of(mk, "og:url"), cases[i].want),
                      "case %zu: og:url %s", i, content_of(mk, "og:url"));
        ck_assert_str_eq(smo_meta_value(m, "og:url"), cases[i].want);
        ck_assert_int_eq(count(mk, "rel=\"canonical\""), 0);
        ck_assert_int_eq(removals->nelts, 0);
        assert_safe(mk);
    }
}
END_TEST

START_TEST(test_og_url_with_base_href)
{
    const char *mk = markup(
        "<head><base href=\"https://cdn.example.org/x/\">"
        "<base href=\"https://wrong.example/\">"
        "<link rel=canonical href=\"p?utm_medium=a\"></head>");
    ck_assert_str_eq(content_of(mk, "og:url"), "https://cdn.example.org/x/p");
}
END_TEST

START_TEST(test_og_url_configured)
{
    const char *mk;
    conf("og:url", "/landing?utm_campaign=x&amp=1");
    mk = markup("<head></head>");
    ck_assert_str_eq(content_of(mk, "og:url"),
                     "https://example.com/landing?amp=1");
    /* The canonical link is not affected. */
    ck_assert_ptr_nonnull(strstr(mk,
        "href=\"https://example.com/blog/post?id=3\""));
}
END_TEST

START_TEST(test_canonical_stripped)
{
    const char *mk;
    cfg.canonical_url = "https://example.com/a?utm_source=x&b=2";
    mk = markup("<head></head>");
    ck_assert_ptr_nonnull(strstr(mk,
        "<link rel=\"canonical\" href=\"https://example.com/a?b=2\">\n"));
    ck_assert_str_eq(content_of(mk, "og:url"), "https://example.com/a?b=2");
}
END_TEST

/* ---- configuration ------------------------------------------------------ */

START_TEST(test_configured_order_and_attrs)
{
    const char *mk;
    conf("fb:app_id", "123");
    conf("twitter:site", "@first");
    conf("og:title", "Configured");
    conf("description", "Desc \xC3\xA9t\xC3\xA9");
    conf("twitter:site", "@second");
    conf("article:author", "Ann");
    cfg.canonical = 0;
    mk = markup("<head><title>Page</title></head>");
    ck_assert_str_eq(mk,
        "<meta property=\"og:title\" content=\"Configured\">\n"
        "<meta property=\"og:description\" content=\"Desc &#xE9;t&#xE9;\">\n"
        "<meta property=\"og:url\" content=\"https://example.com/blog/post?id=3\">\n"
        "<meta property=\"og:type\" content=\"website\">\n"
        "<meta property=\"fb:app_id\" content=\"123\">\n"
        "<meta name=\"twitter:site\" content=\"@second\">\n"
        "<meta name=\"description\" content=\"Desc &#xE9;t&#xE9;\">\n"
        "<meta property=\"article:author\" content=\"Ann\">\n"
        "<meta name=\"twitter:card\" content=\"summary\">\n");
    assert_safe(mk);
}
END_TEST

START_TEST(test_auto_meta_off)
{
    const char *mk;
    cfg.auto_meta = 0;
    conf("twitter:site", "@s");
    mk = markup("<html lang=en><head><title>T</title></head>");
    ck_assert_str_eq(mk,
        "<link rel=\"canonical\" href=\"https://example.com/blog/post?id=3\">\n"
        "<meta name=\"twitter:site\" content=\"@s\">\n");
}
END_TEST

START_TEST(test_empty_configured_suppresses)
{
    const char *mk;
    conf("og:locale", "");
    conf("twitter:card", "");
    mk = markup("<html lang=en><head></head>");
    ck_assert_ptr_null(content_of(mk, "og:locale"));
    ck_assert_ptr_null(content_of(mk, "twitter:card"));
    ck_assert_str_eq(content_of(mk, "og:type"), "website");
}
END_TEST

/* ---- robustness --------------------------------------------------------- */

START_TEST(test_split_feeding)
{
    /* One byte at a time gives what the whole page gives. */
    const char *html =
        "<!DOCTYPE html><html lang=\"en-GB\"><head>"
        "<meta charset=\"utf-8\"><title>Caf&eacute; &amp; Bar</title>"
        "<meta property=\"og:title\" content=\"\">"
        "<link rel=\"canonical\" href=\"/c?utm_source=a&amp;q=1\">"
        "</head><body></body></html>";
    const char *whole = smo_meta_markup(feed(html), 0, removals);
    apr_array_header_t *r2 = apr_array_make(pool, 2, sizeof(smo_span));
    const char *split = smo_meta_markup(feed_chunks(html, 1), 0, r2);

    ck_assert_str_eq(whole, split);
    ck_assert_int_eq(removals->nelts, 1);
    ck_assert_int_eq(r2->nelts, 1);
    assert_removed(0, APR_ARRAY_IDX(r2, 0, smo_span));
    ck_assert_str_eq(content_of(whole, "og:url"), "https://example.com/c?q=1");
}
END_TEST

START_TEST(test_many_declarations_bounded)
{
    /* Past the cap a property counts as declared: never a duplicate. */
    char *html = apr_pstrdup(pool, "<head>");
    for (int i = 0; i < 300; i++)
        html = apr_pstrcat(pool, html,
                           "<meta property=\"og:title\" content=\"\">", NULL);
    html = apr_pstrcat(pool, html, "<title>T</title></head>", NULL);
    ck_assert_ptr_null(content_of(markup(html), "og:title"));
}
END_TEST

/* smo_meta_value() gives what the markup writes, whether it is asked
 * before or after the markup, and as often as the share links ask. */
START_TEST(test_value_matches_markup)
{
    static const char *const names[] = {
        "og:url", "og:title", "og:description", "og:image",
    };
    const char *html = "<html lang=en-GB><head><title>Tea, cake</title>"
                       "<meta name=description content=\" About  tea \">"
                       "<link rel=canonical href=\"/tea?utm_source=x\">"
                       "</head>";
    smo_meta *before, *after;
    const char *out;

    conf("og:image", "/img/tea.png");
    before = feed(html);
    after = feed(html);
    out = smo_meta_markup(after, 0, removals);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = smo_meta_value(before, names[i]);
        ck_assert_str_eq(v, content_of(out, names[i]));
        ck_assert_str_eq(smo_meta_value(before, names[i]), v);
        ck_assert_str_eq(smo_meta_value(after, names[i]), v);
    }
    ck_assert_str_eq(smo_meta_value(after, "og:url"),
                     "https://example.com/tea");
    ck_assert_str_eq(smo_meta_value(after, "og:image"),
                     "https://example.com/img/tea.png");
    ck_assert_str_eq(smo_meta_markup(before, 0, removals), out);
}
END_TEST

/* A value asked for mid-head follows what the page declares later. */
START_TEST(test_value_follows_later_tokens)
{
    feed_ctx f = { NULL, NULL, 0 };
    smo_tokenizer *tok;
    const char *first = "<html><head><title>One</title>";
    const char *rest = "<link rel=canonical href=\"other\">"
                       "<base href=\"/dir/\"><title>Two</title>"
                       "<meta name=description content=Later></head>";

    f.m = smo_meta_create(pool, &cfg);
    tok = smo_tokenizer_create(pool, SMO_TAIL_LIMIT_DEFAULT, on_token, &f);
    f.sim = smo_treesim_create(pool, tok);
    ck_assert_int_eq(smo_tokenizer_feed(tok, first, strlen(first), 0), 0);
    ck_assert_str_eq(smo_meta_value(f.m, "og:url"),
                     "https://example.com/blog/post?id=3");
    ck_assert_str_eq(smo_meta_value(f.m, "og:title"), "One");
    ck_assert_ptr_null(smo_meta_value(f.m, "og:description"));
    ck_assert_int_eq(smo_tokenizer_feed(tok, rest, strlen(rest), 1), 0);
    /* resolved against the <base> that came after it, as it should */
    ck_assert_str_eq(smo_meta_value(f.m, "og:url"),
                     "https://example.com/dir/other");
    ck_assert_str_eq(smo_meta_value(f.m, "og:title"), "One");
    ck_assert_str_eq(smo_meta_value(f.m, "og:description"), "Later");
}
END_TEST

/* ---- image facts (SPEC 8) ------------------------------------------------ */

/* A stand-in for the glue's lookup: the images of example.com it knows,
 * and every URL it was asked about. */
static const char *asked[8];
static int n_asked;

static int facts_of(void *ctx, const char *url, smo_meta_image *out)
{
    (void)ctx;
    if (n_asked < 8)
        asked[n_asked++] = apr_pstrdup(pool, url);
    if (strncmp(url, "https://example.com/", 20) != 0)
        return -1;
    if (strcmp(url, "https://example.com/img/card.png") != 0)
        return 0;
    out->width = 1200;
    out->height = 630;
    out->type = "image/png";
    return 1;
}

static void image_setup(void)
{
    setup();
    cfg.image_facts = facts_of;
    n_asked = 0;
}

START_TEST(test_image_facts_configured)
{
    smo_meta *m;
    const char *mk;
    uint64_t at;

    conf("og:image", "/img/card.png");
    m = feed("<html><head><title>T</title></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(n_asked, 1);
    ck_assert_str_eq(asked[0], "https://example.com/img/card.png");
    ck_assert_ptr_nonnull(strstr(mk,
        "<meta property=\"og:image\" content=\"https://example.com/img/card.png\">\n"
        "<meta property=\"og:image:width\" content=\"1200\">\n"
        "<meta property=\"og:image:height\" content=\"630\">\n"
        "<meta property=\"og:image:type\" content=\"image/png\">\n"));
    ck_assert_ptr_null(smo_meta_image_markup(m, &at));
    ck_assert_int_eq(smo_meta_asked_image(m), 1);
}
END_TEST

/* The page's own og:image: the facts go right after its tag, only those
 * the page lacks. */
START_TEST(test_image_facts_after_page_tag)
{
    static const char page[] =
        "<html><head><title>T</title>"
        "<meta property=\"og:image\" content=\"../img/card.png\">"
        "<meta property=\"og:image:width\" content=\"1200\"></head>";
    smo_meta *m = feed(page);
    const char *mk = smo_meta_markup(m, 0, removals), *after;
    uint64_t at;

    ck_assert_ptr_null(strstr(mk, "og:image"));
    after = smo_meta_image_markup(m, &at);
    ck_assert_str_eq(after,
        "<meta property=\"og:image:height\" content=\"630\">\n"
        "<meta property=\"og:image:type\" content=\"image/png\">\n");
    ck_assert_uint_eq(at, (uint64_t)(strstr(page, "<meta property=\"og:image:width\"") - page));
    ck_assert_str_eq(asked[0], "https://example.com/img/card.png");
}
END_TEST

START_TEST(test_image_facts_none)
{
    smo_meta *m;
    uint64_t at;

    /* Another server's image: nothing, and nothing depends on a file. */
    m = feed("<head><meta property=\"og:image\" content=\"https://cdn.example.net/a.png\"></head>");
    ck_assert_ptr_null(strstr(smo_meta_markup(m, 0, removals), "og:image:"));
    ck_assert_ptr_null(smo_meta_image_markup(m, &at));
    ck_assert_int_eq(smo_meta_asked_image(m), 0);
    /* This server's, but no image there: nothing invented. */
    m = feed("<head><meta property=\"og:image\" content=\"/gone.png\"></head>");
    ck_assert_ptr_null(strstr(smo_meta_markup(m, 0, removals), "og:image:"));
    ck_assert_ptr_null(smo_meta_image_markup(m, &at));
    ck_assert_int_eq(smo_meta_asked_image(m), 1);
    /* SMOImageInfo Off. */
    cfg.image_facts = NULL;
    n_asked = 0;
    conf("og:image", "/img/card.png");
    m = feed("<head></head>");
    ck_assert_ptr_null(strstr(smo_meta_markup(m, 0, removals), "og:image:width"));
    ck_assert_int_eq(n_asked, 0);
    ck_assert_int_eq(smo_meta_asked_image(m), 0);
}
END_TEST

/* SMOMeta gives og:image:width: SMOMeta's, once; no image, no question. */
START_TEST(test_image_facts_configured_wins)
{
    const char *mk;

    conf("og:image", "/img/card.png");
    conf("og:image:width", "600");
    mk = markup("<head></head>");
    ck_assert_int_eq(count(mk, "og:image:width"), 1);
    ck_assert_str_eq(content_of(mk, "og:image:width"), "600");
    ck_assert_str_eq(content_of(mk, "og:image:height"), "630");
    n_asked = 0;
    setup();
    cfg.image_facts = facts_of;
    mk = markup("<head><title>No image</title></head>");
    ck_assert_int_eq(n_asked, 0);
}
END_TEST

START_TEST(test_twitter_image_alt)
{
    const char *mk;

    conf("og:image:alt", "A teapot");
    mk = markup("<head></head>");
    ck_assert_str_eq(content_of(mk, "og:image:alt"), "A teapot");
    ck_assert_str_eq(content_of(mk, "twitter:image:alt"), "A teapot");
    /* The page's own is kept; SMOAutoMeta Off derives nothing. */
    mk = markup("<head><meta name=\"twitter:image:alt\" content=\"Ours\"></head>");
    ck_assert_int_eq(count(mk, "twitter:image:alt"), 0);
    cfg.auto_meta = 0;
    mk = markup("<head></head>");
    ck_assert_int_eq(count(mk, "twitter:image:alt"), 0);
}
END_TEST

/* ---- generated cards (SPEC 9) -------------------------------------------- */

/* A stand-in for the glue's card URL: what it was asked to show. */
static const char *card_title, *card_site;
static int card_calls;

static const char *card_of(void *ctx, const char *title, const char *site)
{
    (void)ctx;
    card_calls++;
    card_title = title ? apr_pstrdup(pool, title) : NULL;
    card_site = site ? apr_pstrdup(pool, site) : NULL;
    return title ? "/smo/card/ID.png?t=x" : NULL;
}

static void card_setup(void)
{
    setup();
    cfg.card_url = card_of;
    card_calls = 0;
    card_title = card_site = NULL;
}

START_TEST(test_card_for_page_without_image)
{
    smo_meta *m = feed("<html><head><title>Brewing  green tea &amp; more</title></head>");
    const char *mk = smo_meta_markup(m, 0, removals);

    ck_assert_int_eq(card_calls, 1);
    ck_assert_str_eq(card_title, "Brewing green tea & more");
    ck_assert_ptr_null(card_site);
    ck_assert_ptr_nonnull(strstr(mk,
        "<meta property=\"og:image\" content=\"https://example.com/smo/card/ID.png?t=x\">\n"
        "<meta property=\"og:image:width\" content=\"1200\">\n"
        "<meta property=\"og:image:height\" content=\"630\">\n"
        "<meta property=\"og:image:type\" content=\"image/png\">\n"));
    ck_assert_ptr_nonnull(strstr(mk, "<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    ck_assert_int_eq(smo_meta_wrote_card(m), 1);
}
END_TEST

/* The title and site name as they end up: the page's own og:title and
 * og:site_name, else SMOMeta's. */
START_TEST(test_card_shows_what_ends_up)
{
    smo_meta *m = feed("<head><title>Page title</title>"
                       "<meta property=\"og:title\" content=\"OG &quot;title&quot;\">"
                       "<meta property=\"og:site_name\" content=\"  Tea   Journal \"></head>");
    smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(card_title, "OG \"title\"");
    ck_assert_str_eq(card_site, "Tea Journal");

    conf("og:site_name", "Configured site");
    conf("og:title", "Configured title");
    m = feed("<head><title>Page title</title></head>");
    smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(card_title, "Configured title");
    ck_assert_str_eq(card_site, "Configured site");

    /* SMOMetaPolicy override: SMOMeta's og:title replaces the page's. */
    cfg.override = 1;
    m = feed("<head><meta property=\"og:title\" content=\"Page OG\"></head>");
    smo_meta_markup(m, 0, removals);
    ck_assert_str_eq(card_title, "Configured title");
}
END_TEST

START_TEST(test_no_card_when_image)
{
    smo_meta *m;
    const char *mk;

    /* The page has an image. */
    m = feed("<head><title>T</title><meta property=\"og:image\" content=\"/a.png\"></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(card_calls, 0);
    ck_assert_ptr_null(strstr(mk ? mk : "", "og:image"));
    ck_assert_int_eq(smo_meta_wrote_card(m), 0);
    m = feed("<head><title>T</title><meta property=\"og:image:url\" content=\"/a.png\"></head>");
    smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(card_calls, 0);
    /* No title at all: the callback says no card; nothing written. */
    m = feed("<head></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(card_calls, 1);
    ck_assert_ptr_null(card_title);
    ck_assert_ptr_null(strstr(mk ? mk : "", "og:image"));
    ck_assert_ptr_nonnull(strstr(mk, "content=\"summary\""));
    /* SMOMeta gives an image: no card. */
    conf("og:image", "/cover.png");
    m = feed("<head><title>T</title></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(card_calls, 1);
    ck_assert_ptr_nonnull(strstr(mk, "https://example.com/cover.png"));
    ck_assert_ptr_null(strstr(mk, "smo/card"));
    /* An empty one drops an inherited picture: the card takes its place. */
    APR_ARRAY_IDX(props, props->nelts - 1, smo_meta_prop).value = "";
    m = feed("<head><title>T</title></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_int_eq(card_calls, 2);
    ck_assert_ptr_nonnull(strstr(mk, "<meta property=\"og:image\" content=\"https://example.com/smo/card/ID.png?t=x\">"));
    ck_assert_ptr_null(strstr(mk, "cover.png"));
}
END_TEST

/* SMOMeta's image facts and the page's twitter:card stay as given. */
START_TEST(test_card_keeps_declared)
{
    smo_meta *m;
    const char *mk;

    conf("og:image:type", "image/x-custom");
    m = feed("<head><title>T</title><meta name=\"twitter:card\" content=\"summary\"></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_ptr_nonnull(strstr(mk, "smo/card/ID.png"));
    ck_assert_ptr_nonnull(strstr(mk, "content=\"image/x-custom\""));
    ck_assert_ptr_null(strstr(mk, "content=\"image/png\""));
    ck_assert_ptr_null(strstr(mk, "twitter:card"));
    /* Without SMOAutoMeta the card still comes with the large card. */
    cfg.auto_meta = 0;
    m = feed("<head><title>T</title></head>");
    mk = smo_meta_markup(m, 0, removals);
    ck_assert_ptr_nonnull(strstr(mk, "smo/card/ID.png"));
    ck_assert_ptr_nonnull(strstr(mk, "summary_large_image"));
}
END_TEST

static Suite *meta_suite(void)
{
    Suite *s = suite_create("meta");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_test(tc, test_all_derived);
    tcase_add_test(tc, test_bare_page);
    tcase_add_test(tc, test_xhtml);
    tcase_add_test(tc, test_keep_page_values);
    tcase_add_test(tc, test_nothing_to_write);
    tcase_add_test(tc, test_two_names_one_tag);
    tcase_add_test(tc, test_rel_token_list);
    tcase_add_test(tc, test_override_held);
    tcase_add_test(tc, test_override_already_out);
    tcase_add_test(tc, test_override_not_for_derived);
    tcase_add_test(tc, test_override_two_names_one_tag);
    tcase_add_test(tc, test_empty_two_names_removed_once);
    tcase_add_test(tc, test_keep_ignores_configured_replacement);
    tcase_add_test(tc, test_empty_held_replaced);
    tcase_add_test(tc, test_empty_out_still_written);
    tcase_add_test(tc, test_title_entities);
    tcase_add_test(tc, test_title_injection);
    tcase_add_test(tc, test_title_in_rcdata);
    tcase_add_test(tc, test_first_title_only);
    tcase_add_test(tc, test_title_bounded);
    tcase_add_test(tc, test_nul_in_text);
    tcase_add_test(tc, test_controls_in_text);
    tcase_add_test(tc, test_latin1_http);
    tcase_add_test(tc, test_latin1_meta);
    tcase_add_test(tc, test_http_charset_wins);
    tcase_add_test(tc, test_no_charset_fallback);
    tcase_add_test(tc, test_locale);
    tcase_add_test(tc, test_card_configured_image);
    tcase_add_test(tc, test_card_page_image);
    tcase_add_test(tc, test_javascript_image_dropped);
    tcase_add_test(tc, test_og_url_from_page_canonical);
    tcase_add_test(tc, test_og_url_from_raw_canonical);
    tcase_add_test(tc, test_og_url_with_base_href);
    tcase_add_test(tc, test_og_url_configured);
    tcase_add_test(tc, test_canonical_stripped);
    tcase_add_test(tc, test_configured_order_and_attrs);
    tcase_add_test(tc, test_auto_meta_off);
    tcase_add_test(tc, test_empty_configured_suppresses);
    tcase_add_test(tc, test_split_feeding);
    tcase_add_test(tc, test_many_declarations_bounded);
    tcase_add_test(tc, test_value_matches_markup);
    tcase_add_test(tc, test_value_follows_later_tokens);
    suite_add_tcase(s, tc);

    tc = tcase_create("image");
    tcase_add_checked_fixture(tc, image_setup, tk_pool_teardown);
    tcase_add_test(tc, test_image_facts_configured);
    tcase_add_test(tc, test_image_facts_after_page_tag);
    tcase_add_test(tc, test_image_facts_none);
    tcase_add_test(tc, test_image_facts_configured_wins);
    tcase_add_test(tc, test_twitter_image_alt);
    suite_add_tcase(s, tc);

    tc = tcase_create("card");
    tcase_add_checked_fixture(tc, card_setup, tk_pool_teardown);
    tcase_add_test(tc, test_card_for_page_without_image);
    tcase_add_test(tc, test_card_shows_what_ends_up);
    tcase_add_test(tc, test_no_card_when_image);
    tcase_add_test(tc, test_card_keeps_declared);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { meta_suite, 0, NULL };
