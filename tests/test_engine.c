/* test_engine.c — the whole engine (tokenizer, tree simulation, rewriter,
 * canonical rule) driven through smo_engine.h, as the filter drives it.
 *
 * The toolkit's recording sink rebuilds the response (insertions are
 * recorded with the input offset they land at) and tk_run_chunks() feeds
 * each chunk from a scratch copy, so an engine keeping a pointer into a
 * chunk is caught by ASan.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "smo_engine.h"
#include "smo_tokenizer.h"
#include "toolkit.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define URL "https://example.com/page?a=1&b=2"
#define LINK "<link rel=\"canonical\" href=\"https://example.com/page?a=1&amp;b=2\">"
#define LINK_XHTML \
    "<link rel=\"canonical\" href=\"https://example.com/page?a=1&amp;b=2\" />"

/* The inserted bytes are the link, optionally followed by a newline
 * (which lib/engine.c adds so that the page source stays readable). */
static int is_link(const char *bytes, size_t len, const char *link)
{
    size_t n = strlen(link);
    return (len == n || (len == n + 1 && bytes[n] == '\n'))
           && memcmp(bytes, link, n) == 0;
}

/* ---- running the engine --------------------------------------------- */

static smo_engine_config config(const char *url, int xhtml)
{
    smo_engine_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = 256 * 1024;
    cfg.tail_limit = SMO_TAIL_LIMIT_DEFAULT;
    cfg.xhtml = xhtml;
    cfg.canonical_url = url;
    return cfg;
}

/* The output with every insertion cut out. */
static char *without_inserts(const tk_rec *r, size_t *n)
{
    char *s = malloc(r->out.len + 1);
    size_t k = 0, from = 0;
    if (!s)
        abort();
    for (size_t i = 0; i < r->n_ins && i < TK_MAX_EDITS; i++) {
        memcpy(s + k, r->out.s + from, r->ins[i].out_off - from);
        k += r->ins[i].out_off - from;
        from = r->ins[i].out_off + r->ins[i].len;
    }
    memcpy(s + k, r->out.s + from, r->out.len - from);
    k += r->out.len - from;
    s[k] = '\0';
    *n = k;
    return s;
}

static int has_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(s + i, needle, m) == 0)
            return 1;
    return 0;
}

/* The input without the dropped ranges. */
static char *without_drops(const tk_rec *r, const char *doc, size_t len,
                           size_t *n)
{
    char *s = malloc(len + 1);
    size_t k = 0, from = 0;
    if (!s)
        abort();
    for (size_t i = 0; i < r->drops && i < TK_MAX_EDITS; i++) {
        memcpy(s + k, doc + from, r->drop_start[i] - from);
        k += r->drop_start[i] - from;
        from = r->drop_end[i];
    }
    memcpy(s + k, doc + from, len - from);
    k += len - from;
    *n = k;
    return s;
}

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t c = 0, m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            c++;
    return c;
}

/* Offset of `needle` in `doc` (the `nth` occurrence, from 0); the test
 * documents are written so that it exists. */
static size_t at_nth(const char *doc, const char *needle, int nth)
{
    const char *p = doc;
    for (;;) {
        p = strstr(p, needle);
        ck_assert_msg(p != NULL, "test bug: %s not in the document", needle);
        if (nth-- == 0)
            return (size_t)(p - doc);
        p++;
    }
}

static size_t at(const char *doc, const char *needle)
{
    return at_nth(doc, needle, 0);
}

static size_t after(const char *doc, const char *needle)
{
    return at(doc, needle) + strlen(needle);
}

/* The result must be the document with `link` inserted exactly once, at
 * an input offset in [lo, hi], and nothing else changed. */
static void check_inserted(const tk_rec *r, const char *doc, const char *link,
                           size_t lo, size_t hi, const char *what)
{
    size_t len = strlen(doc), n;
    char *rest;

    ck_assert_msg(!r->err[0], "%.200s: %s", what, r->err);
    ck_assert_msg(r->drops == 0, "%.200s: the engine dropped input", what);
    ck_assert_msg(r->n_ins >= 1, "%.200s: nothing inserted into\n%.600s\nlog:\n%.1000s",
                  what, doc, r->log.s ? r->log.s : "");
    ck_assert_msg(r->n_ins == 1 && count(r->out.s, r->out.len,
                                         "rel=\"canonical\"")
                                   == 1 + count(doc, len, "rel=\"canonical\""),
                  "%.200s: inserted %lu times:\n%.600s", what,
                  (unsigned long)r->n_ins, r->out.s);
    ck_assert_msg(is_link(r->out.s + r->ins[0].out_off, r->ins[0].len,
                          link),
                  "%.200s: inserted %.*s, expected %s", what,
                  (int)r->ins[0].len, r->out.s + r->ins[0].out_off, link);
    ck_assert_msg(r->ins[0].in_off >= lo && r->ins[0].in_off <= hi,
                  "%.200s: inserted at %llu, expected %lu..%lu:\n%.600s", what,
                  (unsigned long long)r->ins[0].in_off, (unsigned long)lo,
                  (unsigned long)hi, r->out.s);
    rest = without_inserts(r, &n);
    ck_assert_msg(n == len && memcmp(rest, doc, len) == 0,
                  "%.200s: input bytes changed:\n%.600s", what, r->out.s);
    free(rest);
}

static void check_untouched(const tk_rec *r, const char *doc, const char *what)
{
    size_t len = strlen(doc);
    ck_assert_msg(!r->err[0], "%.200s: %s", what, r->err);
    ck_assert_msg(r->n_ins == 0 && r->drops == 0 && r->out.len == len
                  && memcmp(r->out.s ? r->out.s : "", doc, len) == 0,
                  "%.200s: output differs from the input:\n%.600s", what,
                  r->out.s ? r->out.s : "");
}

/* Whole document in one chunk, the link expected at `pos`. */
/* The link expected at `pos`, whether the document comes in one chunk or
 * a byte at a time (the head is held back either way). */
static void expect_at(const char *doc, size_t pos)
{
    smo_engine_config cfg = config(URL, 0);
    tk_chunks pl = tk_chunks_step(strlen(doc), 1);
    tk_rec r;
    tk_run_whole(&r, &cfg, doc, strlen(doc));
    check_inserted(&r, doc, LINK, pos, pos, doc);
    tk_rec_free(&r);
    tk_run_chunks(&r, &cfg, doc, strlen(doc), &pl);
    check_inserted(&r, doc, LINK, pos, pos, "byte at a time");
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}

static void expect_none(const char *doc)
{
    smo_engine_config cfg = config(URL, 0);
    tk_chunks pl = tk_chunks_step(strlen(doc), 1);
    tk_rec r;
    tk_run_whole(&r, &cfg, doc, strlen(doc));
    check_untouched(&r, doc, doc);
    tk_rec_free(&r);
    tk_run_chunks(&r, &cfg, doc, strlen(doc), &pl);
    check_untouched(&r, doc, "byte at a time");
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}

/* A FLUSH after `flush_at` bytes (past the start of the head, which then
 * goes out): the engine cannot insert early any more and must insert
 * where the head ends, in [lo, hi]. */
static void expect_flushed(const char *doc, size_t flush_at, size_t lo,
                           size_t hi)
{
    smo_engine_config cfg = config(URL, 0);
    tk_chunks pl = tk_chunks_split(strlen(doc), flush_at, 1);
    tk_rec r;
    tk_run_chunks(&r, &cfg, doc, strlen(doc), &pl);
    check_inserted(&r, doc, LINK, lo, hi, doc);
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}

/* ---- (a) where the canonical link goes --------------------------------- */

START_TEST(after_head)
{
    const char *d1 = "<!DOCTYPE html><html><head><title>T</title></head>"
                     "<body><p>x</p></body></html>";
    const char *d2 = "<!doctype html>\n<HTML lang=en>\n<HEAD profile=\"x\">\n"
                     "<title>T</title>\n</HEAD><BODY>x</BODY></HTML>\n";
    const char *d3 = "<html><head>\n  <meta name=description content=d>\n"
                     "  <link rel=stylesheet href=/s.css>\n</head><body>";
    /* Markup-looking text is not markup. */
    const char *d4 = "<!-- <head> --><html><head><title>T</title></head>";
    const char *d5 = "<html><head><script>document.write('<meta charset="
                     "utf-8>')</script><title>T</title></head>";
    expect_at(d1, after(d1, "<head>"));
    expect_at(d2, after(d2, "<HEAD profile=\"x\">"));
    expect_at(d3, after(d3, "<head>"));
    expect_at(d4, at_nth(d4, "<head>", 1) + 6);
    expect_at(d5, after(d5, "<head>"));
}
END_TEST

START_TEST(after_charset)
{
    const char *d1 = "<!DOCTYPE html><html><head><title>T</title>"
                     "<meta charset=\"utf-8\"><meta name=a content=b>"
                     "</head><body></body></html>";
    const char *d2 = "<html><head><meta http-equiv=\"Content-Type\" "
                     "content=\"text/html; charset=iso-8859-1\">"
                     "<title>T</title></head>";
    const char *d3 = "<html><head><META CHARSET=\"UTF-8\" /><title>T</title>"
                     "</head>";
    /* No <head>: the charset meta opens the head implicitly. */
    const char *d4 = "<!DOCTYPE html>\n<meta charset=utf-8>\n<title>T</title>"
                     "\n<p>x";
    expect_at(d1, after(d1, "<meta charset=\"utf-8\">"));
    expect_at(d2, after(d2, "iso-8859-1\">"));
    expect_at(d3, after(d3, "<META CHARSET=\"UTF-8\" />"));
    expect_at(d4, after(d4, "<meta charset=utf-8>"));
}
END_TEST

START_TEST(charset_past_1024)
{
    /* A charset declaration past the first 1024 bytes does not count
     * (browsers stop prescanning there): the link goes after <head>. */
    tk_buf b = { 0 };
    tk_buf_str(&b, "<html><head><title>T</title><!--");
    for (int i = 0; i < 120; i++)
        tk_buf_str(&b, " padding.");
    tk_buf_str(&b, " --><meta charset=utf-8></head><body>x</body></html>");
    ck_assert_uint_gt(at(b.s, "<meta charset"), 1024);
    expect_at(b.s, after(b.s, "<head>"));
    tk_buf_free(&b);
}
END_TEST

START_TEST(implicit_head)
{
    /* No <head>: before the first element that opens the head. */
    const char *d1 = "<!DOCTYPE html><html><title>T</title><body>x";
    const char *d2 = "<title>T</title><p>x";
    const char *d3 = "<!DOCTYPE html>\n<html lang=en>\n  <link rel=icon "
                     "href=/f.ico><title>T</title>";
    const char *d4 = "<!DOCTYPE html><html><!-- c --><script>1</script>";
    expect_at(d1, at(d1, "<title>"));
    expect_at(d2, at(d2, "<title>"));
    expect_at(d3, at(d3, "<link"));
    expect_at(d4, at(d4, "<script>"));
}
END_TEST

START_TEST(implicit_head_closed_at_once)
{
    /* An element that cannot be in a head opens and closes it: the link
     * still goes before that element (after any whitespace before it). */
    const char *d1 = "<!DOCTYPE html><html><body><p>x</p></body></html>";
    const char *d2 = "<!DOCTYPE html><div>x</div>";
    const char *d3 = "<!DOCTYPE html>\n\nHello";
    expect_at(d1, at(d1, "<body>"));
    expect_at(d2, at(d2, "<div>"));
    {
        smo_engine_config cfg = config(URL, 0);
        tk_rec r;
        tk_run_whole(&r, &cfg, d3, strlen(d3));
        check_inserted(&r, d3, LINK, after(d3, "html>"), at(d3, "Hello"),
                       d3);
        tk_rec_free(&r);
    }
}
END_TEST

START_TEST(page_has_canonical)
{
    static const char *const docs[] = {
        "<html><head><link rel=canonical href=\"https://example.com/x\">"
        "</head><body>",
        "<html><head><title>T</title><LINK REL=\"Canonical\" HREF=/x>"
        "</head>",
        "<html><head><link rel=\"alternate canonical\" href=/x></head>",
        "<html><head><link href=/x rel='\tCANONICAL\n'></head>",
        "<!DOCTYPE html><title>T</title><link rel=canonical href=/x><p>x",
        "<html><head><meta charset=utf-8><style>p{}</style>"
        "<script>var a = '<head>';</script><link rel=canonical href=/x>"
        "</head>",
        /* Not an end of head: the link is still in the head. */
        "<html><head><!-- </head> --><link rel=canonical href=/x></head>",
        "<html><head><script>x=\"</head>\"</script>"
        "<link rel=canonical href=/x></head>",
        "<html><head><style>/*</head>*/</style>"
        "<link rel=canonical href=/x></head>",
        "<html><head><meta name=x content=\"</head>\">"
        "<link rel=canonical href=/x></head>",
        "<html><head><title></head></title>"
        "<link rel=canonical href=/x></head>",
        "<html><head><noscript></head></noscript>"
        "<link rel=canonical href=/x></head>",
        NULL
    };
    for (int i = 0; docs[i]; i++)
        expect_none(docs[i]);
}
END_TEST

START_TEST(not_a_canonical)
{
    /* Other rel values are not a canonical declaration, and a canonical
     * link after the head region (<body>) does not count. */
    const char *d1 = "<html><head><link rel=canonicalx href=/x></head>";
    const char *d2 = "<html><head><link rel=alternate href=/x></head>";
    const char *d3 = "<html><head><title>T</title></head><body>"
                     "<link rel=canonical href=/x>";
    const char *d4 = "<html><head><!-- <link rel=canonical href=/x> -->"
                     "</head>";
    /* The head ended implicitly, and the links come after <body>. */
    const char *d5 = "<html><head><title>T</title><div>x</div><body>"
                     "<link rel=canonical href=/x>";
    const char *d6 = "<html><head><title>T</title>Hello</head>"
                     "<link rel=canonical href=/x>";
    const char *d7 = "<html><head><title>T</title><textarea>"
                     "</textarea><body><link rel=canonical href=/x>";
    /* Template content is not part of the document. */
    const char *d8 = "<html><head><template><link rel=canonical href=/x>"
                     "</template></head>";
    expect_at(d1, after(d1, "<head>"));
    expect_at(d2, after(d2, "<head>"));
    expect_at(d3, after(d3, "<head>"));
    expect_at(d4, after(d4, "<head>"));
    expect_at(d5, after(d5, "<head>"));
    expect_at(d6, after(d6, "<head>"));
    expect_at(d7, after(d7, "<head>"));
    expect_at(d8, after(d8, "<head>"));
}
END_TEST

START_TEST(canonical_after_implicit_head_end)
{
    /* SPEC 6 "Declared": before the literal </head> or <body>, even where
     * the tree builder ended the head already (crawlers read these). */
    static const char *const docs[] = {
        "<html><head><title>T</title><div>x</div>"
        "<link rel=canonical href=/x></head><body>",
        "<html><head><title>T</title>Hello<link rel=canonical href=/x>",
        "<html><head><title>T</title><textarea></head></textarea>"
        "<link rel=canonical href=/x>",
        "<title>T</title><p>x</p><script>'</head>'</script><!-- <body> -->"
        "<link rel=canonical href=/x>",
        NULL
    };
    for (int i = 0; docs[i]; i++)
        expect_none(docs[i]);
}
END_TEST

START_TEST(empty_canonical_replaced)
{
    /* SPEC 3: an empty declaration the engine still holds is replaced, so
     * that the page ends up with exactly one canonical link. */
    static const char *const docs[] = {
        "<html><head><link rel=canonical href=\"\"><title>T</title></head>",
        "<html><head><title>T</title><link rel=\"canonical\" href></head>",
        NULL
    };
    for (int i = 0; docs[i]; i++) {
        const char *d = docs[i];
        smo_engine_config cfg = config(URL, 0);
        size_t ls = at(d, "<link"), le = ls + strcspn(d + ls, ">") + 1;
        size_t n, dn;
        char *rest, *kept;
        tk_rec r;
        tk_run_whole(&r, &cfg, d, strlen(d));
        ck_assert_msg(!r.err[0], "%s", r.err);
        ck_assert_msg(r.n_ins == 1 && r.drops == 1
                      && r.drop_start[0] == ls && r.drop_end[0] == le,
                      "%s: the empty link was not replaced:\n%s", d,
                      r.out.s);
        ck_assert(is_link(r.out.s + r.ins[0].out_off, r.ins[0].len, LINK));
        ck_assert_uint_eq(count(r.out.s, r.out.len, "canonical"), 1);
        rest = without_inserts(&r, &n);
        kept = without_drops(&r, d, strlen(d), &dn);
        ck_assert_msg(n == dn && memcmp(rest, kept, n) == 0,
                      "%s: other bytes changed:\n%s", d, r.out.s);
        free(rest);
        free(kept);
        tk_rec_free(&r);
    }
}
END_TEST

START_TEST(flush_inserts_at_head_end)
{
    /* After a FLUSH the engine no longer holds the head: the link goes
     * where the head really ends, never at a "</head>" that is text. */
    const char *d1 = "<html><head><title>a</head>b</title>"
                     "<!-- </head> --><script>x=\"</head>\"</script>"
                     "<style></head></style><meta content=\"</head>\">"
                     "<noscript></head></noscript></head><body>x</body>";
    const char *d2 = "<html><head><title>x</title><div>y</div></html>";
    const char *d3 = "<html><head><title>x</title><body>y</body></html>";
    const char *d4 = "<html><head><title>x</title><textarea></head>"
                     "</textarea></head>";
    const char *d5 = "<html><head><title>x</title>\n  Hello</html>";
    const char *d6 = "<html><head><title>x</title><link rel=canonical "
                     "href=/x></head>";
    size_t e5 = after(d5, "</title>");
    expect_flushed(d1, after(d1, "<title>"), at_nth(d1, "</head>", 6),
                   at_nth(d1, "</head>", 6));
    expect_flushed(d2, after(d2, "<title>"), at(d2, "<div>"),
                   at(d2, "<div>"));
    expect_flushed(d3, after(d3, "<title>"), at(d3, "<body>"),
                   at(d3, "<body>"));
    expect_flushed(d4, after(d4, "<title>"), at(d4, "<textarea>"),
                   at(d4, "<textarea>"));
    expect_flushed(d5, after(d5, "<title>"), e5, at(d5, "Hello"));
    {
        /* The page's own canonical, seen after the flush, still counts. */
        smo_engine_config cfg = config(URL, 0);
        tk_chunks pl = tk_chunks_split(strlen(d6), after(d6, "<title>"), 1);
        tk_rec r;
        tk_run_chunks(&r, &cfg, d6, strlen(d6), &pl);
        check_untouched(&r, d6, d6);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
}
END_TEST

START_TEST(head_over_limit)
{
    /* A head longer than head_limit is let go: the link goes before
     * </head> unless the page turns out to have one. */
    smo_engine_config cfg = config(URL, 0);
    tk_buf b = { 0 }, c = { 0 };
    tk_chunks pl;
    tk_rec r;

    cfg.head_limit = 1024;
    tk_buf_str(&b, "<html><head><title>T</title><!--");
    for (int i = 0; i < 500; i++)
        tk_buf_str(&b, " padding.");
    tk_buf_str(&c, b.s);
    tk_buf_str(&b, " --></head><body>x</body></html>");
    tk_buf_str(&c, " --><link rel=canonical href=/x></head><body>x</body>");

    /* In 256-byte chunks: within one chunk nothing is held anyway. */
    pl = tk_chunks_step(b.len, 256);
    tk_run_chunks(&r, &cfg, b.s, b.len, &pl);
    check_inserted(&r, b.s, LINK, at(b.s, "</head>"), at(b.s, "</head>"),
                   "head over the limit");
    ck_assert_uint_le(r.max_held, 1024 + 256 + SMO_TAIL_LIMIT_DEFAULT);
    tk_rec_free(&r);
    tk_chunks_free(&pl);

    pl = tk_chunks_step(c.len, 256);
    tk_run_chunks(&r, &cfg, c.s, c.len, &pl);
    check_untouched(&r, c.s, "head over the limit, page has a canonical");
    tk_rec_free(&r);
    tk_chunks_free(&pl);
    tk_buf_free(&b);
    tk_buf_free(&c);
}
END_TEST

START_TEST(xhtml_link)
{
    const char *d = "<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/"
                    "1999/xhtml\"><head><title>T</title></head><body/></html>";
    smo_engine_config cfg = config(URL, 1);
    tk_rec r;
    tk_run_whole(&r, &cfg, d, strlen(d));
    check_inserted(&r, d, LINK_XHTML, after(d, "<head>"), after(d, "<head>"),
                   "xhtml");
    tk_rec_free(&r);
}
END_TEST

START_TEST(url_escaped)
{
    const char *d = "<html><head></head>";
    smo_engine_config cfg = config("https://example.com/a\"b<c>?q='x'&r=1",
                                   0);
    tk_rec r;
    tk_run_whole(&r, &cfg, d, strlen(d));
    ck_assert_msg(!r.err[0], "%s", r.err);
    ck_assert_uint_eq(r.n_ins, 1);
    /* Whatever the entity chosen, the value cannot end the attribute or
     * open markup, and & starts an entity. */
    {
        const char *v = r.out.s + r.ins[0].out_off;
        size_t n = r.ins[0].len;
        const char *href = strstr(v, "href=\"");
        ck_assert_ptr_nonnull(href);
        href += 6;
        const char *end = memchr(href, '"', n - (size_t)(href - v));
        ck_assert_ptr_nonnull(end);
        ck_assert_msg(strcmp(end, "\"></head>") == 0
                      || strcmp(end, "\">\n</head>") == 0, "%s", v);
        for (const char *q = href; q < end; q++) {
            ck_assert_msg(*q != '<' && *q != '>' && *q != '\'',
                          "unescaped %c in %.*s", *q, (int)n, v);
            if (*q == '&')
                ck_assert_msg(strncmp(q, "&amp;", 5) == 0 || q[1] == '#'
                              || strncmp(q, "&quot;", 6) == 0
                              || strncmp(q, "&lt;", 4) == 0
                              || strncmp(q, "&gt;", 4) == 0
                              || strncmp(q, "&apos;", 6) == 0,
                              "bad & in %.*s", (int)n, v);
        }
        ck_assert_msg(strstr(v, "&amp;r=1") != NULL, "%.*s", (int)n, v);
    }
    tk_rec_free(&r);
}
END_TEST

START_TEST(disabled)
{
    static const char *const docs[] = {
        "<html><head><title>T</title></head><body>x</body></html>",
        "<title>T</title><p>x",
        "",
        NULL
    };
    smo_engine_config cfg = config(NULL, 0);
    for (int i = 0; docs[i]; i++) {
        tk_rec r;
        tk_run_whole(&r, &cfg, docs[i], strlen(docs[i]));
        check_untouched(&r, docs[i], docs[i]);
        tk_rec_free(&r);
    }
}
END_TEST

/* ---- (b) the output does not depend on where the input is split ------ */

/* Literals may hold NUL bytes: their length is taken from sizeof. */
typedef struct {
    const char *s;
    size_t len;
} doc_lit;

#define DOC(lit) { lit, sizeof(lit) - 1 }

static const doc_lit split_docs[] = {
    DOC("<!DOCTYPE html><html><head><title>T</title></head><body>x</body></html>"),
    DOC("<html><head><meta charset=\"utf-8\"><title>a &amp; b</title>"
        "<link rel=\"stylesheet\" href=\"/s.css\"></head><body><p class=x>y</p>"),
    DOC("<html><head><link rel=canonical href=\"/c\"></head><body></body>"),
    DOC("<!doctype html><title>T</title><script>if (a < b) "
        "document.write('</head><!--<script>x</script>-->');</script>"
        "<style>a::after{content:\"</style\"}</style><p>x"),
    DOC("<html><head><!-- </head> --><!--> <!---> <!-- -- --!>"
        "<? bogus ?><!x></head><body>"),
    DOC("<html><head><title>x</title>\n  Hello <b>world</b>"),
    DOC("<svg><![CDATA[</head>]]><title>t</title></svg><p>x"),
    DOC("<html><head><noscript><link rel=canonical href=/x></noscript>"
        "<template><title>t</title></template></head>"),
    DOC("<html><head><textarea></head></textarea><plaintext></head><p>"),
    DOC("<html><head><meta content=\"a>b\" name='c\"d' x=y/><base href=/b/>"
        "</head>\r\n<body>\0\xff\xfe</body>"),
    DOC("<html><head><meta http-equiv=content-type content=\"text/html; "
        "charset=utf-8\"><title>T</title></head>"),
    DOC("<html><head><title>T</title><a href=\"never closed"),
};

static void check_same(const tk_rec *a, const tk_rec *b, const char *what,
                       const char *doc)
{
    ck_assert_msg(!b->err[0], "%s: %s", what, b->err);
    ck_assert_msg(a->out.len == b->out.len
                  && memcmp(a->out.s, b->out.s, a->out.len) == 0
                  && a->n_ins == b->n_ins,
                  "%s of\n%.600s\ngave\n%.600s\ninstead of\n%.600s", what, doc,
                  b->out.s ? b->out.s : "", a->out.s ? a->out.s : "");
    for (size_t i = 0; i < a->n_ins && i < TK_MAX_EDITS; i++)
        ck_assert_msg(a->ins[i].in_off == b->ins[i].in_off,
                      "%s: insertion %lu moved", what, (unsigned long)i);
}

START_TEST(split_everywhere)
{
    const char *doc = split_docs[_i].s;
    size_t len = split_docs[_i].len;
    smo_engine_config cfg = config(URL, 0);
    tk_rec whole, r;

    tk_run_whole(&whole, &cfg, doc, len);
    ck_assert_msg(!whole.err[0], "%s", whole.err);
    ck_assert_uint_le(whole.n_ins, 1);
    for (size_t at = 0; at <= len; at++) {
        tk_chunks pl = tk_chunks_split(len, at, 0);
        char what[64];
        snprintf(what, sizeof what, "split at %lu", (unsigned long)at);
        tk_run_chunks(&r, &cfg, doc, len, &pl);
        check_same(&whole, &r, what, doc);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    {
        tk_chunks pl = tk_chunks_step(len, 1);
        tk_run_chunks(&r, &cfg, doc, len, &pl);
        check_same(&whole, &r, "one byte at a time", doc);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    tk_rec_free(&whole);
}
END_TEST

/* ---- (a2) metadata through the whole engine ---------------------------- */

/* Canonical link and SMOAutoMeta on, nothing configured. */
static smo_engine_config meta_config(smo_meta_config *mc, apr_pool_t *p)
{
    smo_engine_config cfg = config(NULL, 0);
    memset(mc, 0, sizeof *mc);
    mc->props = apr_array_make(p, 1, sizeof(smo_meta_prop));
    mc->auto_meta = 1;
    mc->canonical = 1;
    mc->canonical_url = mc->page_url = "https://example.com/p";
    cfg.meta = mc;
    return cfg;
}

/* The output bytes with every insertion cut out must be the input. */
static void check_insert_only(const tk_rec *r, const char *doc, size_t len,
                              const char *what)
{
    size_t n;
    char *rest = without_inserts(r, &n);
    ck_assert_msg(!r->err[0], "%s: %s", what, r->err);
    ck_assert_msg(r->drops == 0, "%s: input dropped", what);
    ck_assert_msg(n == len && memcmp(rest, doc, len) == 0,
                  "%s: input bytes changed:\n%.600s", what, r->out.s);
    free(rest);
}

#define BOM "\xEF\xBB\xBF"

START_TEST(utf8_bom)
{
    /* SPEC 6: the byte order mark is not text.  It stays the first bytes;
     * the doctype, <html> and the head come after it, and so does what
     * the engine inserts (here after the charset declaration). */
    const char *d = BOM "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                    "<title>BOM page</title></head><body></body></html>";
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;
    size_t len = strlen(d);

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    for (size_t step = 0; step <= 3; step++) {
        tk_chunks pl = step ? tk_chunks_step(len, step) : tk_chunks_whole(len);
        tk_rec r;
        tk_run_chunks(&r, &cfg, d, len, &pl);
        check_insert_only(&r, d, len, "BOM page");
        ck_assert_msg(r.n_ins == 1, "chunks of %zu: %zu insertions:\n%s",
                      step, r.n_ins, r.out.s);
        ck_assert_msg(r.out.len > len &&
                          memcmp(r.out.s, BOM "<!DOCTYPE html>", 18) == 0,
                      "chunks of %zu: the page does not start with its "
                      "BOM and doctype:\n%s", step, r.out.s);
        ck_assert_uint_eq(r.ins[0].in_off, after(d, "<meta charset=\"utf-8\">"));
        ck_assert_msg(strstr(r.out.s, "<meta property=\"og:title\" "
                                      "content=\"BOM page\">") != NULL,
                      "chunks of %zu: og:title not derived:\n%s", step,
                      r.out.s);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(utf8_bom_decides_charset)
{
    /* SPEC 6 "Which charset": the BOM first, before the Content-Type's
     * charset and the page's own declaration. */
    const char *d = BOM "<html><head><meta charset=\"iso-8859-1\">"
                    "<title>Caf\xC3\xA9</title></head><body></body></html>";
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;
    size_t len = strlen(d);

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    for (int k = 0; k < 2; k++) {
        tk_chunks pl = tk_chunks_step(len, 1);
        tk_rec r;
        mc.http_charset = k ? "windows-1252" : NULL;
        tk_run_chunks(&r, &cfg, d, len, &pl);
        check_insert_only(&r, d, len, "BOM and another charset");
        ck_assert_msg(strstr(r.out.s, "content=\"Caf&#xE9;\"") != NULL,
                      "the title is not read as UTF-8 (%s):\n%s",
                      k ? "HTTP charset" : "meta charset", r.out.s);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(bom_prefix_only)
{
    /* The start of a BOM that is not one is page text as before, and a
     * lone BOM is a page of nothing. */
    static const doc_lit docs[] = {
        { "\xEF\xBB<title>T</title>", 18 },
        { "\xEF<title>T</title>", 17 },
        { "\xEF\xBB", 2 },
        { BOM, 3 },
        { BOM "<title>T</title>", 19 },
    };
    smo_engine_config cfg = config(URL, 0);
    for (size_t i = 0; i < N_ELEMS(docs); i++) {
        tk_rec whole, r;
        tk_chunks pl = tk_chunks_step(docs[i].len, 1);
        tk_run_whole(&whole, &cfg, docs[i].s, docs[i].len);
        check_insert_only(&whole, docs[i].s, docs[i].len, "BOM prefix");
        tk_run_chunks(&r, &cfg, docs[i].s, docs[i].len, &pl);
        check_same(&whole, &r, "BOM prefix, byte at a time", docs[i].s);
        if (i == 0 || i == 1)
            /* Text: the head opened and closed before it. */
            ck_assert_msg(whole.n_ins == 1 && whole.ins[0].in_off == 0,
                          "doc %zu:\n%s", i, whole.out.s);
        if (i == 4)
            ck_assert_msg(whole.n_ins == 1 && whole.ins[0].in_off == 3,
                          "doc %zu:\n%s", i, whole.out.s);
        tk_rec_free(&whole);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
}
END_TEST

/* How many times the output holds `needle`. */
static size_t out_count(const tk_rec *r, const char *needle)
{
    return count(r->out.s ? r->out.s : "", r->out.len, needle);
}

#define LATE_DOC "<head><title>t</title><div>x</div>" \
    "<meta property=\"og:title\" content=\"Own\">" \
    "<meta property=\"og:image\" content=\"/i.png\"></head>"

START_TEST(late_declarations)
{
    /* A <div> ends the head for the tree builder, but the page's own
     * og:title and og:image before </head> count (SPEC 6 "Declared"):
     * not written again, and the card is the large-image one.  What is
     * missing still goes early, after <head>. */
    static const char *const docs[] = {
        LATE_DOC,
        /* No </head> and no <body>: declared up to the end. */
        "<head><title>t</title><div>x</div>"
        "<meta property=\"og:title\" content=\"Own\">"
        "<meta property=\"og:image\" content=\"/i.png\">",
        /* Text ends the head; then a body end tag, then the literal end. */
        "<head><title>t</title>Hello</br>"
        "<meta property=\"og:title\" content=\"Own\">"
        "<meta property=\"og:image\" content=\"/i.png\"><body>x",
    };
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    for (size_t i = 0; i < N_ELEMS(docs); i++) {
        const char *d = docs[i];
        size_t len = strlen(d);
        for (int step = 0; step < 2; step++) {
            tk_chunks pl = step ? tk_chunks_step(len, 1) : tk_chunks_whole(len);
            tk_rec r;
            tk_run_chunks(&r, &cfg, d, len, &pl);
            check_insert_only(&r, d, len, d);
            ck_assert_msg(out_count(&r, "og:title") == 1 &&
                              out_count(&r, "og:image") == 1,
                          "doc %zu, %s: the page's own declared again:\n%s",
                          i, step ? "byte at a time" : "whole", r.out.s);
            ck_assert_msg(strstr(r.out.s, "<meta name=\"twitter:card\" "
                                          "content=\"summary_large_image\">"),
                          "doc %zu: twitter:card:\n%s", i, r.out.s);
            ck_assert_msg(r.n_ins == 1 &&
                              r.ins[0].in_off == after(d, "<head>"),
                          "doc %zu: not inserted early:\n%s", i, r.out.s);
            ck_assert_uint_eq(out_count(&r, "og:url"), 1);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(late_declarations_not_past_region)
{
    /* After <body>, or inside a comment, a script or a template, a
     * declaration does not count. */
    static const char *const docs[] = {
        "<head><title>t</title><div>x</div><body>"
        "<meta property=\"og:title\" content=\"Own\">",
        "<head><title>t</title><div>x</div><!-- "
        "<meta property=\"og:title\" content=\"Own\"> --></head>",
        "<head><title>t</title><div>x</div><script>'"
        "<meta property=\"og:title\" content=\"Own\">'</script></head>",
        "<head><title>t</title><div>x</div><template>"
        "<meta property=\"og:title\" content=\"Own\"></template></head>",
        "<head><title>t</title><div>x</div><textarea>"
        "<meta property=\"og:title\" content=\"Own\"></textarea></head>",
    };
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    for (size_t i = 0; i < N_ELEMS(docs); i++) {
        const char *d = docs[i];
        tk_chunks pl = tk_chunks_step(strlen(d), 1);
        tk_rec r;
        tk_run_chunks(&r, &cfg, d, strlen(d), &pl);
        check_insert_only(&r, d, strlen(d), d);
        ck_assert_msg(strstr(r.out.s, "<meta property=\"og:title\" "
                                      "content=\"t\">") != NULL,
                      "doc %zu: og:title not written:\n%s", i, r.out.s);
        ck_assert_uint_eq(r.ins[0].in_off, after(d, "<head>"));
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    apr_pool_destroy(p);
}
END_TEST

START_TEST(late_declarations_hold_ends)
{
    /* Looking past the implicit end of the head holds the bytes: that
     * ends at SMOHeadLimit and at a FLUSH, and the metadata still goes
     * early, with what was seen by then; later declarations then stay
     * the page's (each property at most twice, never inside the body). */
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;
    tk_buf b = { 0 };
    size_t len;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    tk_buf_str(&b, "<head><title>t</title><div>");
    for (int i = 0; i < 300; i++)
        tk_buf_str(&b, "body text ");
    tk_buf_str(&b, "</div><meta property=\"og:image\" content=\"/i.png\">"
                "</head><body>x</body>");
    len = b.len;
    for (int k = 0; k < 2; k++) {
        tk_chunks pl;
        tk_rec r;
        if (k == 0) {
            cfg.head_limit = 1024;
            pl = tk_chunks_step(len, 64);
        } else {
            cfg.head_limit = 256 * 1024;
            pl = tk_chunks_split(len, after(b.s, "<div>") + 10, 1);
        }
        tk_run_chunks(&r, &cfg, b.s, len, &pl);
        check_insert_only(&r, b.s, len, k ? "FLUSH" : "head limit");
        ck_assert_msg(r.n_ins == 1 && r.ins[0].in_off == after(b.s, "<head>"),
                      "%s: not inserted early:\n%.300s", k ? "FLUSH" :
                      "head limit", r.out.s);
        ck_assert_msg(r.max_held <= 1024 + 64 || k,
                      "held %llu bytes", (unsigned long long)r.max_held);
        ck_assert_msg(has_ci(r.log.s, r.log.len, k ? "FLUSH after the head"
                                                   : "within SMOHeadLimit"),
                      "log: %s", r.log.s);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
    tk_buf_free(&b);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(late_end_of_stream_open)
{
    /* Held to the end of a page with no </head> and no <body> that ends
     * inside a tag: the early position is still a safe place. */
    const char *d = "<head><title>t</title><div>x</div><a href=\"";
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;
    tk_chunks pl = tk_chunks_step(strlen(d), 1);
    tk_rec r;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    tk_run_chunks(&r, &cfg, d, strlen(d), &pl);
    check_insert_only(&r, d, strlen(d), d);
    ck_assert_msg(r.n_ins == 1 && r.ins[0].in_off == after(d, "<head>"),
                  "%s", r.out.s);
    tk_rec_free(&r);
    tk_chunks_free(&pl);
    apr_pool_destroy(p);
}
END_TEST

/* ---- (c) byte preservation on generated documents --------------------- */

static const char *const tag_names[] = {
    "html", "head", "body", "title", "meta", "link", "script", "style",
    "textarea", "div", "p", "a", "span", "svg", "math", "template",
    "noscript", "iframe", "xmp", "br", "img", "base", "table", "td",
    "foreignObject", "desc", "mi", "annotation-xml", "HEAD", "Script",
    "TITLE", "LiNk"
};

static const char *const attr_names[] = {
    "rel", "href", "content", "name", "property", "charset", "http-equiv",
    "class", "id", "REL", "x:y", "data-a", "lang", "src", "type", "/", "\"",
    "'", "<", "=", "a\0b"
};

static const char *const attr_values[] = {
    "canonical", "https://example.com/", "</head>", "a>b", "utf-8",
    "text/html; charset=utf-8", "alternate canonical", "&amp;&lt;&#x3e;",
    "", " spaced value ", "\xc3\xa9t\xc3\xa9", "\xff\xfe", "x\"y", "x'y",
    "og:title", "<!--", "-->", "`", "\r\n"
};

static const char *const fragments[] = {
    "<!-- comment -->", "<!-->", "<!--->", "<!---->", "<!-- -- -->",
    "<!-- --!>", "<!--<!-- -->", "<!-- </head> -->", "<!x>", "<?php ?>",
    "</ x>", "</3>", "<!DOCTYPE html>", "<!doctype html PUBLIC \"-//W3C//"
    "DTD XHTML 1.0//EN\" 'about:legacy-compat'>", "<!DOCTYPE>",
    "<script>a<b</script>", "<script><!--</script>",
    "<script><!--<script>x</script>y--></script>",
    "<script>x</script >", "<script>x</scriptx></script>",
    "<script type=module>'</head>'</SCRIPT>",
    "<style>p::after{content:'</head>'}</style>", "<style></styl</style>",
    "<title>a &amp; </head> b</title>", "<textarea><p></textarea>",
    "<svg><![CDATA[ </svg> <head> ]]></svg>", "<math><mi><b>x</b></mi></math>",
    "<svg><title><p>x</p></title><desc>d</desc></svg>",
    "<template><head><link rel=canonical href=/t></template>",
    "<noscript><meta charset=utf-8></noscript>", "<xmp></head></xmp>",
    "<iframe><p></iframe>", "text", "  \n\t", "&amp;&nbsp;&#0;&#x110000;",
    "a < b > c", "<", "</", "<>", "</>", "\0", "\xff\xc3", "\xe2\x82",
    "\xf0\x9f\x98\x80", "\r\n", "\r", "<br/>", "<p/>", "<a/b/c>",
    "<a b=c/>", "]]>", "-->"
};

static const char *const tails[] = {
    "<a href=\"x", "<a href='x", "<a href=x", "<a ", "<a", "<", "</a",
    "<!-- abc", "<!--", "<!-", "<!", "<!DOCTYPE", "<!DOCTYPE html",
    "<script>abc", "<script>abc</scr", "<style>x", "<title>x",
    "<textarea>x", "<svg><![CDATA[x", "<?x", "&am", "<plaintext>x</p>"
};

static void gen_tag(tk_buf *b, uint64_t *st)
{
    const char *name = tag_names[tk_rnd_below(st, N_ELEMS(tag_names))];
    int end = tk_rnd_below(st, 4) == 0;
    size_t n_attrs = end ? 0 : tk_rnd_below(st, 4);

    tk_buf_str(b, end ? "</" : "<");
    tk_buf_str(b, name);
    for (size_t i = 0; i < n_attrs; i++) {
        size_t an = tk_rnd_below(st, N_ELEMS(attr_names));
        const char *v = attr_values[tk_rnd_below(st, N_ELEMS(attr_values))];
        static const char *const seps[] = { " ", "\t", "\n", "/", "  " };
        tk_buf_str(b, seps[tk_rnd_below(st, N_ELEMS(seps))]);
        /* "a\0b" has a NUL inside. */
        tk_buf_add(b, attr_names[an], an == N_ELEMS(attr_names) - 1
                                   ? 3 : strlen(attr_names[an]));
        switch (tk_rnd_below(st, 5)) {
        case 0:                     /* no value */
            break;
        case 1:                     /* unquoted: only up to a space or > */
            tk_buf_str(b, "=");
            for (const char *q = v; *q && *q != ' ' && *q != '>'; q++)
                tk_buf_add(b, q, 1);
            break;
        case 2:
            tk_buf_str(b, tk_rnd_below(st, 2) ? "='" : " = '");
            for (const char *q = v; *q; q++)
                if (*q != '\'')
                    tk_buf_add(b, q, 1);
            tk_buf_str(b, "'");
            break;
        default:
            tk_buf_str(b, "=\"");
            for (const char *q = v; *q; q++)
                if (*q != '"')
                    tk_buf_add(b, q, 1);
            tk_buf_str(b, "\"");
            break;
        }
    }
    if (tk_rnd_below(st, 8) == 0)
        tk_buf_str(b, "/");
    tk_buf_str(b, ">");
}

static void gen_doc(tk_buf *b, uint64_t *st)
{
    size_t n = 1 + tk_rnd_below(st, 40);
    if (tk_rnd_below(st, 2))
        tk_buf_str(b, "<!DOCTYPE html>\n");
    if (tk_rnd_below(st, 2))
        tk_buf_str(b, tk_rnd_below(st, 2) ? "<html><head>" : "<html>\n<head>\n");
    for (size_t i = 0; i < n; i++) {
        size_t k = tk_rnd_below(st, 10);
        if (k < 4) {
            gen_tag(b, st);
        }
        else if (k < 9) {
            const char *f = fragments[tk_rnd_below(st, N_ELEMS(fragments))];
            /* The "\0" fragment is one NUL byte. */
            tk_buf_add(b, f, *f ? strlen(f) : 1);
        }
        else if (tk_rnd_below(st, 6) == 0) {
            tk_buf_str(b, "<link rel=canonical href=/own>");
        }
        else {
            tk_buf_str(b, tk_rnd_below(st, 2) ? "</head>" : "<body>");
        }
    }
    if (tk_rnd_below(st, 3) == 0)
        tk_buf_str(b, tails[tk_rnd_below(st, N_ELEMS(tails))]);
}

/* Output minus insertions is the input; the only insertion is the link,
 * at most once; the only thing dropped is an empty canonical link of the
 * page, which the inserted one replaces (SPEC 3). */
static void check_preserved_link(const tk_rec *r, const char *doc, size_t len,
                                 const char *link, const char *what)
{
    size_t n, dn;
    char *rest, *kept;

    ck_assert_msg(!r->err[0], "%.200s: %s", what, r->err);
    ck_assert_msg(r->drops <= 1 && (r->drops == 0 || r->n_ins == 1),
                  "%s: %lu ranges dropped", what, (unsigned long)r->drops);
    if (r->drops) {
        const char *t = doc + r->drop_start[0];
        size_t tn = r->drop_end[0] - r->drop_start[0];
        ck_assert_msg(tn > 6 && strncasecmp(t, "<link", 5) == 0
                      && t[tn - 1] == '>' && has_ci(t, tn, "canonical"),
                      "%s: dropped %.*s", what, (int)tn, t);
    }
    ck_assert_msg(r->n_ins <= 1, "%s: %lu insertions:\n%.600s", what,
                  (unsigned long)r->n_ins, r->out.s);
    if (r->n_ins == 1)
        ck_assert_msg(is_link(r->out.s + r->ins[0].out_off, r->ins[0].len,
                              link),
                      "%s: unexpected insertion %.*s", what,
                      (int)r->ins[0].len, r->out.s + r->ins[0].out_off);
    rest = without_inserts(r, &n);
    kept = without_drops(r, doc, len, &dn);
    if (n != dn || memcmp(rest, kept, dn) != 0) {
        size_t i = 0;
        while (i < n && i < dn && rest[i] == kept[i])
            i++;
        free(rest);
        free(kept);
        ck_abort_msg("%s: output minus insertions differs from the input "
                     "at byte %lu of %lu (output %lu):\n%.*s", what,
                     (unsigned long)i, (unsigned long)len, (unsigned long)n,
                     (int)(len < 600 ? len : 600), doc);
    }
    free(rest);
    free(kept);
}

static void check_preserved(const tk_rec *r, const char *doc, size_t len,
                            const char *what)
{
    check_preserved_link(r, doc, len, LINK, what);
}

#define GEN_DOCS_PER_TEST 25

START_TEST(byte_preservation)
{
    smo_engine_config cfg = config(URL, 0);

    for (int d = 0; d < GEN_DOCS_PER_TEST; d++) {
        uint64_t st = 0x9E3779B97F4A7C15ULL * (uint64_t)(_i * 1000 + d + 1);
        tk_buf doc = { 0 };
        tk_rec whole, r;
        char what[96];

        gen_doc(&doc, &st);
        tk_run_whole(&whole, &cfg, doc.s, doc.len);
        snprintf(what, sizeof what, "doc %d.%d whole", _i, d);
        check_preserved(&whole, doc.s, doc.len, what);
        for (int k = 0; k < 6; k++) {
            /* Every third chunking also sends FLUSHes: the link may then
             * move (insert-only mode) but the input must still be whole. */
            int flush = k % 3 == 2;
            tk_chunks pl = tk_chunks_random(doc.len, &st, flush);
            tk_run_chunks(&r, &cfg, doc.s, doc.len, &pl);
            snprintf(what, sizeof what, "doc %d.%d chunking %d%s", _i, d, k,
                     flush ? " with flushes" : "");
            check_preserved(&r, doc.s, doc.len, what);
            if (!flush)
                check_same(&whole, &r, what, doc.s);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
        for (int k = 0; k < 3; k++) {
            /* Other paths: a tiny head limit (insert-only), a tiny tag
             * limit (truncated tags), XHTML markup. */
            smo_engine_config c2 = config(URL, k == 2);
            tk_chunks pl = tk_chunks_random(doc.len, &st, 0);
            if (k == 0)
                c2.head_limit = 64;
            if (k == 1)
                c2.tail_limit = 24;
            tk_run_chunks(&r, &c2, doc.s, doc.len, &pl);
            snprintf(what, sizeof what, "doc %d.%d %s", _i, d,
                     k == 0 ? "head_limit 64"
                            : k == 1 ? "tail_limit 24" : "xhtml");
            check_preserved_link(&r, doc.s, doc.len,
                                 k == 2 ? LINK_XHTML : LINK, what);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
        tk_rec_free(&whole);
        tk_buf_free(&doc);
    }
}
END_TEST

/* ---- (d) hostile input -------------------------------------------------- */

static void run_big(const char *doc, size_t len, const char *what,
                    size_t chunk)
{
    smo_engine_config cfg = config(URL, 0);
    tk_chunks pl = tk_chunks_step(len, chunk);
    tk_rec r;
    tk_run_chunks(&r, &cfg, doc, len, &pl);
    check_preserved(&r, doc, len, what);
    /* Bounded memory: the engine holds back no more than the head limit
     * plus one tag and one chunk. */
    ck_assert_msg(r.max_held <= cfg.head_limit + cfg.tail_limit + chunk,
                  "%s: held back %llu bytes", what,
                  (unsigned long long)r.max_held);
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}

START_TEST(huge_attribute)
{
    size_t n = 10 * 1024 * 1024;
    tk_buf b = { 0 };
    char *a = malloc(n);
    ck_assert_ptr_nonnull(a);
    memset(a, 'a', n);
    tk_buf_str(&b, "<html><head><meta name=description content=\"");
    tk_buf_add(&b, a, n);
    tk_buf_str(&b, "\"><title>T</title></head><body>x</body></html>");
    run_big(b.s, b.len, "10 MB attribute value", 65536);
    free(a);
    tk_buf_free(&b);
}
END_TEST

START_TEST(huge_comment_and_text)
{
    size_t n = 4 * 1024 * 1024;
    tk_buf b = { 0 };
    char *a = malloc(n);
    ck_assert_ptr_nonnull(a);
    memset(a, '-', n);
    tk_buf_str(&b, "<html><head><!--");
    tk_buf_add(&b, a, n);
    tk_buf_str(&b, "x--><title>T</title></head><body>");
    memset(a, 't', n);
    tk_buf_add(&b, a, n);
    tk_buf_str(&b, "<script>");
    tk_buf_add(&b, a, n);
    run_big(b.s, b.len, "4 MB comment, text and unclosed script", 65536);
    free(a);
    tk_buf_free(&b);
}
END_TEST

START_TEST(deep_nesting)
{
    static const char *const opens[] = { "<div>", "<b>", "<template>",
                                          "<svg><g>", "<math><mi>",
                                          "<table><tr><td>" };
    for (size_t k = 0; k < N_ELEMS(opens); k++) {
        tk_buf b = { 0 };
        tk_buf_str(&b, "<!DOCTYPE html><html><head><title>T</title>");
        for (int i = 0; i < 100000; i++)
            tk_buf_str(&b, opens[k]);
        tk_buf_str(&b, "deep");
        run_big(b.s, b.len, opens[k], 4096);
        tk_buf_free(&b);
    }
}
END_TEST

START_TEST(unterminated_at_eof)
{
    static const char *const docs[] = {
        "<html><head><title>T</title><a href=\"",
        "<html><head><title>T</title><!-- never closed",
        "<html><head><title>never closed",
        "<html><head><script>never closed",
        "<html><head",
        "<html><head><meta charset=utf-8",
        "<!DOCTYPE",
        "<",
        NULL
    };
    for (int i = 0; docs[i]; i++) {
        smo_engine_config cfg = config(URL, 0);
        size_t len = strlen(docs[i]);
        tk_rec r;
        tk_run_whole(&r, &cfg, docs[i], len);
        check_preserved(&r, docs[i], len, docs[i]);
        tk_rec_free(&r);
        {
            tk_chunks pl = tk_chunks_step(len, 1);
            tk_run_chunks(&r, &cfg, docs[i], len, &pl);
            check_preserved(&r, docs[i], len, docs[i]);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
    }
}
END_TEST

START_TEST(not_held_open_at_eof)
{
    /* The head not held (a FLUSH, a tiny head limit) and the page ends
     * inside a construct: metadata written at the end would land inside
     * it (an attribute value, a tag name, a comment, script or title
     * text).  Nothing goes there; held, it goes after <head> as ever. */
    static const char *const tails[] = {
        "<meta",                        /* tag name */
        "<meta name",                   /* attribute name */
        "<meta name=",                  /* before the value */
        "<meta name=\"x\" content=\"",  /* double-quoted value */
        "<meta name='x' content='abc",  /* single-quoted value */
        "<meta name=x content=abc",     /* unquoted value */
        "<meta name=x /",               /* self-closing start */
        "</head",                       /* end tag name */
        "<!-- comment",                 /* comment */
        "<!-",                          /* markup declaration open */
        "<script>var a = 1",            /* script data */
        "<script><!-- <script>",        /* script, double escaped */
        "<style>p { color:",            /* RAWTEXT */
        "<title>unclosed",              /* RCDATA */
        "<noscript><p>",                /* RAWTEXT (scripting on) */
        "<template><link rel=x>",       /* template content */
    };
    const char *head = "<!DOCTYPE html><html><head><title>T</title>\n";
    for (size_t i = 0; i < N_ELEMS(tails); i++) {
        char *doc = malloc(strlen(head) + strlen(tails[i]) + 1);
        size_t len;
        ck_assert_ptr_nonnull(doc);
        strcpy(doc, head);
        strcat(doc, tails[i]);
        len = strlen(doc);
        for (int k = 0; k < 3; k++) {
            smo_engine_config cfg = config(URL, 0);
            char what[120];
            tk_chunks pl;
            tk_rec r;
            if (k == 0)           /* a FLUSH after the head's first bytes */
                pl = tk_chunks_split(len, after(doc, "<head>") + 3, 1);
            else if (k == 1) {    /* past a tiny head limit */
                cfg.head_limit = 8;
                pl = tk_chunks_step(len, 4);
            } else                /* held: early, after <head> */
                pl = tk_chunks_step(len, 1);
            tk_run_chunks(&r, &cfg, doc, len, &pl);
            snprintf(what, sizeof what, "%s (%s)", tails[i],
                     k == 0 ? "after a FLUSH" : k == 1 ? "head_limit 8"
                                                       : "held");
            if (k < 2)
                check_untouched(&r, doc, what);
            else
                check_inserted(&r, doc, LINK, after(doc, "<head>"),
                               after(doc, "<head>"), what);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
        free(doc);
    }
}
END_TEST

START_TEST(not_held_open_body_at_eof)
{
    /* A <textarea> or <plaintext> left open ends the head where it
     * starts: the metadata goes before it, never into its text. */
    static const char *const tails[] = { "<textarea>abc", "<plaintext>abc",
                                         "<xmp>abc", "<iframe>abc" };
    const char *head = "<!DOCTYPE html><html><head><title>T</title>\n";
    for (size_t i = 0; i < N_ELEMS(tails); i++) {
        char doc[128];
        smo_engine_config cfg = config(URL, 0);
        size_t len;
        tk_chunks pl;
        tk_rec r;
        snprintf(doc, sizeof doc, "%s%s", head, tails[i]);
        len = strlen(doc);
        pl = tk_chunks_split(len, strlen(head), 1); /* the head start is out */
        tk_run_chunks(&r, &cfg, doc, len, &pl);
        check_inserted(&r, doc, LINK, strlen(head), strlen(head), doc);
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
}
END_TEST

START_TEST(not_held_data_at_eof)
{
    /* Ending between tags in the head's data state, the insertion at the
     * end becomes elements of the head: it is made. */
    const char *d = "<!DOCTYPE html><html><head><title>T</title>\n"
                    "<meta name=x content=y>";
    tk_chunks pl = tk_chunks_split(strlen(d), after(d, "<head>") + 3, 1);
    smo_engine_config cfg = config(URL, 0);
    tk_rec r;
    tk_run_chunks(&r, &cfg, d, strlen(d), &pl);
    check_inserted(&r, d, LINK, strlen(d), strlen(d), d);
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}
END_TEST

/* ---- bodies that are not ASCII-compatible HTML (issue 13, item 9) ---- */

#define LIT(s) s, sizeof(s) - 1

static const struct {
    const char *doc;
    size_t len;
    const char *http_charset;
    int untouched;         /* else: the link is inserted */
    const char *why;       /* in the log when untouched */
} sniff_cases[] = {
    /* gzip (1F 8B), PNG (1A), NUL: bytes no text holds before any '<' */
    { LIT("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03<html><head>"), NULL, 1,
      "binary" },
    { LIT("\x89PNG\r\n\x1a\n\0\0\0\rIHDR<head>"), NULL, 1, "0x1A" },
    { LIT("\0\0\0<html><head><title>x</title></head></html>"), NULL, 1,
      "binary" },
    { LIT("  \x01<html><head></head></html>"), NULL, 1, "offset 2" },
    /* UTF-16 with its byte order mark, whatever follows */
    { LIT("\xfe\xff\0<\0h\0t\0m\0l\0>"), NULL, 1, "UTF-16" },
    { LIT("\xff\xfe<\0h\0t\0m\0l\0>\0"), NULL, 1, "UTF-16" },
    /* ISO-2022-JP: by HTTP, by the page's meta, by ESC $ in the head */
    { LIT("<html><head><title>x</title></head><body></body></html>"),
      "ISO-2022-JP", 1, "ISO-2022-JP" },
    { LIT("<html><head><meta charset=\"iso-2022-jp\"><title>\x1b$B$3$s\x1b(B"
          "</title></head><body></body></html>"), NULL, 1, "iso-2022-jp" },
    { LIT("<html><head><meta http-equiv=Content-Type content=\"text/html; "
          "charset=csISO2022JP\"></head></html>"), NULL, 1, "csISO2022JP" },
    { LIT("<html><head><title>\x1b$B$3$s\x1b(B</title></head><body>"
          "</body></html>"), NULL, 1, "ESC $" },
    { LIT("<html><head>\x1b$B$3$s</head></html>"), NULL, 1, "ESC $" },
    /* Real pages: none of these steps aside */
    { LIT("\xef\xbb\xbf<!DOCTYPE html><html><head><title>x</title></head>"
          "</html>"), NULL, 0, NULL },
    { LIT(" \t\r\n\f<!-- c --><html><head></head></html>"), NULL, 0, NULL },
    { LIT("Hello <b>world</b>"), NULL, 0, NULL },
    { LIT("\x1b[0m<html><head></head></html>"), NULL, 0, NULL },
    { LIT("<html>\0<head></head></html>"), NULL, 0, NULL },
    /* a declared charset wins over the escape; one after the head counts
     * no more (the head rules have run) */
    { LIT("<html><head><title>\x1b$B$3$s\x1b(B</title></head></html>"),
      "utf-8", 0, NULL },
    { LIT("<html><head><meta charset=shift_jis><title>\x1b$B</title></head>"
          "</html>"), NULL, 0, NULL },
    { LIT("<html><head><title>x</title></head><body>\x1b$B$3$s\x1b(B</body>"
          "</html>"), NULL, 0, NULL },
};

static void check_sniff(const tk_rec *r, int i, const char *what)
{
    const char *doc = sniff_cases[i].doc;
    size_t len = sniff_cases[i].len, n;
    ck_assert_msg(!r->err[0], "case %d, %s: %s", i, what, r->err);
    if (sniff_cases[i].untouched) {
        ck_assert_msg(r->n_ins == 0 && r->drops == 0 && r->out.len == len &&
                      memcmp(r->out.s, doc, len) == 0,
                      "case %d, %s: changed", i, what);
        ck_assert_msg(strstr(r->gave_up, sniff_cases[i].why),
                      "case %d, %s: gave up \"%s\", not for \"%s\"", i,
                      what, r->gave_up, sniff_cases[i].why);
    } else {
        char *s = without_inserts(r, &n);
        ck_assert_msg(r->n_ins == 1, "case %d, %s: %u insertions", i, what,
                      (unsigned)r->n_ins);
        ck_assert_msg(n == len && memcmp(s, doc, len) == 0,
                      "case %d, %s: input not preserved", i, what);
        free(s);
    }
}

START_TEST(not_text_or_not_ascii)
{
    smo_meta_config mc;
    smo_engine_config cfg = config(NULL, 0);
    size_t len = sniff_cases[_i].len;
    uint64_t st = 0x5eed0000u + (uint64_t)_i;
    tk_rec r;
    tk_chunks pl;

    memset(&mc, 0, sizeof mc);
    mc.canonical = 1;
    mc.canonical_url = mc.page_url = URL;
    mc.http_charset = sniff_cases[_i].http_charset;
    cfg.meta = &mc;
    tk_run_whole(&r, &cfg, sniff_cases[_i].doc, len);
    check_sniff(&r, _i, "whole");
    tk_rec_free(&r);
    pl = tk_chunks_step(len, 1);
    tk_run_chunks(&r, &cfg, sniff_cases[_i].doc, len, &pl);
    check_sniff(&r, _i, "byte at a time");
    tk_rec_free(&r);
    tk_chunks_free(&pl);
    for (int k = 0; k < 8; k++) {
        pl = tk_chunks_random(len, &st, 0);
        tk_run_chunks(&r, &cfg, sniff_cases[_i].doc, len, &pl);
        check_sniff(&r, _i, "random chunks");
        tk_rec_free(&r);
        tk_chunks_free(&pl);
    }
}
END_TEST

/* The start is looked at up to SNIFF_MAX bytes: text that long without a
 * '<' is text, whatever follows; a start not yet judged stays held over a
 * FLUSH, and is judged on all of it. */
START_TEST(sniff_bounded)
{
    smo_engine_config cfg = config(URL, 0);
    size_t len = 600 + 20;
    char *doc = malloc(len + 1);
    tk_rec r;
    tk_chunks pl;

    ck_assert_ptr_nonnull(doc);
    memset(doc, 'a', 600);
    memcpy(doc + 600, "\0<head></head>ZZZZZ", 20);
    tk_run_whole(&r, &cfg, doc, len);
    ck_assert_msg(!r.err[0], "%s", r.err);
    ck_assert_uint_eq(r.n_ins, 1);
    tk_rec_free(&r);
    free(doc);

    /* "ab", FLUSH, then NUL: binary all the same. */
    pl = tk_chunks_split(5, 2, 1);
    tk_run_chunks(&r, &cfg, "ab\0<p", 5, &pl);
    ck_assert_msg(!r.err[0], "%s", r.err);
    ck_assert_uint_eq(r.n_ins, 0);
    ck_assert_uint_eq(r.out.len, 5);
    ck_assert_ptr_nonnull(strstr(r.gave_up, "binary"));
    tk_rec_free(&r);
    tk_chunks_free(&pl);
    /* "ab", FLUSH, then "<p": text, the link inserted. */
    pl = tk_chunks_split(5, 2, 1);
    tk_run_chunks(&r, &cfg, "ab <p", 5, &pl);
    ck_assert_msg(!r.err[0], "%s", r.err);
    ck_assert_uint_eq(r.n_ins, 1);
    tk_rec_free(&r);
    tk_chunks_free(&pl);
}
END_TEST


/* A document that ends before its head opens (nothing but a doctype,
 * comments, <html>, whitespace, or nothing at all): the tree builder
 * opens the head at the end of the input, so the link goes there; not
 * when the input ends inside a comment or a tag. */
START_TEST(head_opens_at_end)
{
    static const char *const at_end[] = {
        "", "<!DOCTYPE html>", "<!DOCTYPE html>\n", "<html>",
        "<!-- c -->", "<?xml version=\"1.0\">", "<!DOCTYPE html><html>\n  ",
    };
    static const char *const none[] = {
        "<!-- c", "<!DOCTYPE html", "<html lang=\"en", "<?xml version",
    };
    smo_engine_config cfg = config(URL, 0);

    for (size_t i = 0; i < N_ELEMS(at_end); i++) {
        size_t len = strlen(at_end[i]);
        /* Byte at a time, then whole. */
        for (size_t k = 0; k < 2; k++) {
            tk_rec r;
            tk_chunks pl = len ? tk_chunks_step(len, k ? len : 1) : tk_chunks_whole(0);
            tk_run_chunks(&r, &cfg, at_end[i], len, &pl);
            check_inserted(&r, at_end[i], LINK, len, len, at_end[i]);
            tk_rec_free(&r);
            tk_chunks_free(&pl);
        }
    }
    for (size_t i = 0; i < N_ELEMS(none); i++) {
        tk_rec r;
        tk_run_whole(&r, &cfg, none[i], strlen(none[i]));
        ck_assert_msg(!r.err[0], "%s: %s", none[i], r.err);
        ck_assert_msg(r.n_ins == 0, "%s: inserted inside", none[i]);
        ck_assert_uint_eq(r.out.len, strlen(none[i]));
        tk_rec_free(&r);
    }
}
END_TEST

/* Found by fuzz_engine: the start of a body is held to be sniffed for
 * binary bytes, but never past SMOHeadLimit; and an ESC kept back at the
 * end of a chunk (the ISO-2022 check) still goes out when the engine is
 * done before it is fed. */
START_TEST(sniff_and_esc_within_limits)
{
    smo_engine_config cfg = config(URL, 0);
    char doc[140];
    const char *esc = "<head><title>x</title></head>\x1b";
    tk_rec r;
    tk_chunks pl;

    cfg.head_limit = 16;
    memset(doc, 'a', 100);
    strcpy(doc + 100, "<p>text</p>");
    pl = tk_chunks_step(strlen(doc), 1);
    tk_run_chunks(&r, &cfg, doc, strlen(doc), &pl);
    ck_assert_msg(!r.err[0], "%s", r.err);
    ck_assert_msg(r.max_held <= 16 + 1, "held %llu bytes, limit 16",
                  (unsigned long long)r.max_held);
    tk_rec_free(&r);
    tk_chunks_free(&pl);

    cfg = config(URL, 0);
    tk_run_whole(&r, &cfg, esc, strlen(esc));
    ck_assert_msg(!r.err[0], "%s", r.err);
    check_inserted(&r, esc, LINK, strlen("<head>"), strlen("<head>"), esc);
    tk_rec_free(&r);
}
END_TEST

/* Found by fuzz_engine: a NUL in a tag name is U+FFFD (WHATWG), so
 * <title\0> is no title: og:title is not taken from its text, whatever
 * the chunking (its whitespace was read in the data state). */
START_TEST(nul_in_tag_name)
{
    const char *d = "><title\0>a\f<";
    size_t len = 12;
    apr_pool_t *p;
    smo_meta_config mc;
    smo_engine_config cfg;
    tk_rec whole, bytes;
    tk_chunks pl;

    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    cfg = meta_config(&mc, p);
    tk_run_whole(&whole, &cfg, d, len);
    pl = tk_chunks_step(len, 1);
    tk_run_chunks(&bytes, &cfg, d, len, &pl);
    check_insert_only(&whole, d, len, "whole");
    ck_assert_msg(whole.out.len == bytes.out.len &&
                      memcmp(whole.out.s, bytes.out.s, whole.out.len) == 0,
                  "chunking changed the output:\n%s\n---\n%s", whole.out.s,
                  bytes.out.s);
    ck_assert_msg(!strstr(whole.out.s, "og:title"), "og:title from <title\\0>:"
                  "\n%s", whole.out.s);
    tk_rec_free(&whole);
    tk_rec_free(&bytes);
    tk_chunks_free(&pl);
    apr_pool_destroy(p);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("canonical");
    tcase_add_test(tc, after_head);
    tcase_add_test(tc, after_charset);
    tcase_add_test(tc, charset_past_1024);
    tcase_add_test(tc, implicit_head);
    tcase_add_test(tc, implicit_head_closed_at_once);
    tcase_add_test(tc, page_has_canonical);
    tcase_add_test(tc, not_a_canonical);
    tcase_add_test(tc, canonical_after_implicit_head_end);
    tcase_add_test(tc, empty_canonical_replaced);
    tcase_add_test(tc, flush_inserts_at_head_end);
    tcase_add_test(tc, head_over_limit);
    tcase_add_test(tc, xhtml_link);
    tcase_add_test(tc, url_escaped);
    tcase_add_test(tc, disabled);
    suite_add_tcase(s, tc);

    tc = tcase_create("streaming");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, split_everywhere, 0, (int)N_ELEMS(split_docs));
    tcase_add_loop_test(tc, byte_preservation, 0, 16);
    suite_add_tcase(s, tc);

    tc = tcase_create("bom");
    tcase_add_test(tc, utf8_bom);
    tcase_add_test(tc, utf8_bom_decides_charset);
    tcase_add_test(tc, bom_prefix_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("late");
    tcase_add_test(tc, late_declarations);
    tcase_add_test(tc, late_declarations_not_past_region);
    tcase_add_test(tc, late_declarations_hold_ends);
    tcase_add_test(tc, late_end_of_stream_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, huge_attribute);
    tcase_add_test(tc, huge_comment_and_text);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, unterminated_at_eof);
    tcase_add_test(tc, not_held_open_at_eof);
    tcase_add_test(tc, not_held_open_body_at_eof);
    tcase_add_test(tc, not_held_data_at_eof);
    tcase_add_test(tc, head_opens_at_end);
    tcase_add_test(tc, sniff_and_esc_within_limits);
    tcase_add_test(tc, nul_in_tag_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("not-html");
    tcase_add_loop_test(tc, not_text_or_not_ascii, 0,
                        (int)N_ELEMS(sniff_cases));
    tcase_add_test(tc, sniff_bounded);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { engine_suite, 0, NULL };
