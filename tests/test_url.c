/* test_url.c — unit tests for lib/url.c: the base URL an administrator
 * configures, the canonical URL, tracking-parameter stripping, resolution
 * of the page's relative URLs and the click handler's host check. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "../lib/smo_url.h"
#include "toolkit.h"

static apr_array_header_t *globs;   /* the SPEC's default SMOStripParams */

static void setup(void)
{
    static const char *const dflt[] = {
        "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
        "igshid", "_ga",
    };
    size_t i;

    tk_pool_setup();
    globs = apr_array_make(pool, 16, sizeof(const char *));
    for (i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
        APR_ARRAY_PUSH(globs, const char *) = dflt[i];
}

static apr_array_header_t *make_globs(const char *g1, const char *g2)
{
    apr_array_header_t *a = apr_array_make(pool, 2, sizeof(const char *));

    if (g1)
        APR_ARRAY_PUSH(a, const char *) = g1;
    if (g2)
        APR_ARRAY_PUSH(a, const char *) = g2;
    return a;
}

/* ---- smo_url_parse_base ------------------------------------------------ */

static const struct {
    const char *in, *out;
} base_ok[] = {
    { "https://example.com", "https://example.com" },
    { "https://example.com/", "https://example.com" },
    { "https://Example.COM/", "https://example.com" },
    { "HTTPS://EXAMPLE.com", "https://example.com" },
    { "https://example.com/blog/", "https://example.com/blog" },
    { "https://example.com/blog", "https://example.com/blog" },
    { "https://example.com/Blog//", "https://example.com/Blog" },
    { "http://example.com:80/", "http://example.com" },
    { "https://example.com:443", "https://example.com" },
    { "https://example.com:8443/", "https://example.com:8443" },
    { "http://example.com:443", "http://example.com:443" },
    { "https://example.com:", "https://example.com" },
    { "https://[2001:DB8::1]:8443/", "https://[2001:db8::1]:8443" },
    { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
    { "https://www.example.co.uk/path%20x", "https://www.example.co.uk/path%20x" },
};

START_TEST(base_accepts)
{
    const char *err = "unset";
    const char *got = smo_url_parse_base(pool, base_ok[_i].in, &err);

    ck_assert_msg(got != NULL, "%s rejected: %s", base_ok[_i].in,
                  err ? err : "(no reason)");
    ck_assert_str_eq(got, base_ok[_i].out);
    ck_assert_ptr_null(err);
}
END_TEST

static const struct {
    const char *in;
    const char *reason_has;       /* a word the message must contain */
} base_bad[] = {
    { "", "empty" },
    { "ftp://example.com", "http" },
    { "example.com", "http" },
    { "/blog", "http" },
    { "mailto:me@example.com", "http" },
    { "https://", "host" },
    { "https:///path", "host" },
    { "https://user:pw@example.com", "user" },
    { "https://user@example.com/", "user" },
    { "https://example.com/?a=1", "query" },
    { "https://example.com?", "query" },
    { "https://example.com/#top", "fragment" },
    { "https://exa mple.com", "whitespace" },
    { " https://example.com", "whitespace" },
    { "https://example.com/\tx", "whitespace" },
    { "https://example.com/\x01", "control" },
    { "https://example.com:99999", "port" },
    { "https://example.com:0", "port" },
    { "https://example.com:8o", "" },
    { "https://ex\xC3\xA4mple.com", "ASCII" },
    { "https://example.com\\@evil.com", "backslash" },
    { "https://exa%6Dple.com", "host" },
    /* found by fuzz_url: a path that would be read as a host, a quote */
    { "http://e://exxample.com:0'000/)", "//" },
    { "https://example.com/it's", "percent-encoded" },
    { "https://example.com/a\"b", "percent-encoded" },
    { "https://./x", "host" },
    { "https://a..b/", "host" },
};

START_TEST(base_rejects)
{
    const char *err = NULL;
    const char *got = smo_url_parse_base(pool, base_bad[_i].in, &err);

    ck_assert_msg(got == NULL, "%s accepted as %s", base_bad[_i].in, got);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, base_bad[_i].reason_has) != NULL,
                  "%s: reason \"%s\" lacks \"%s\"", base_bad[_i].in, err,
                  base_bad[_i].reason_has);
}
END_TEST

START_TEST(base_null_err_ok)
{
    ck_assert_ptr_null(smo_url_parse_base(pool, "ftp://x", NULL));
    ck_assert_ptr_null(smo_url_parse_base(pool, NULL, NULL));
}
END_TEST

/* The base is made to be followed by the request path. */
START_TEST(base_plus_path)
{
    const char *b = smo_url_parse_base(pool, "https://example.com/blog/", NULL);

    ck_assert_str_eq(apr_pstrcat(pool, b, "/2024/post", NULL),
                     "https://example.com/blog/2024/post");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/post", NULL, globs),
                     "https://example.com/blog/post");
}
END_TEST

/* ---- smo_url_base_from_request ----------------------------------------- */

START_TEST(base_from_request)
{
    ck_assert_str_eq(smo_url_base_from_request(pool, "https", "example.com", 443),
                     "https://example.com");
    ck_assert_str_eq(smo_url_base_from_request(pool, "http", "example.com", 80),
                     "http://example.com");
    ck_assert_str_eq(smo_url_base_from_request(pool, "http", "example.com", 8080),
                     "http://example.com:8080");
    ck_assert_str_eq(smo_url_base_from_request(pool, "https", "example.com", 80),
                     "https://example.com:80");
    ck_assert_str_eq(smo_url_base_from_request(pool, "http", "Example.COM", 0),
                     "http://example.com");
    ck_assert_str_eq(smo_url_base_from_request(pool, "HTTPS", "example.com", 443),
                     "https://example.com");
    ck_assert_str_eq(smo_url_base_from_request(pool, "http", "::1", 80),
                     "http://[::1]");
    ck_assert_str_eq(smo_url_base_from_request(pool, "https", "2001:db8::1", 8443),
                     "https://[2001:db8::1]:8443");
    ck_assert_str_eq(smo_url_base_from_request(pool, "https", "[::1]", 443),
                     "https://[::1]");
    ck_assert_str_eq(smo_url_base_from_request(pool, NULL, "example.com", 80),
                     "http://example.com");
}
END_TEST

/* ---- smo_url_param_matches --------------------------------------------- */

static int matches(const char *name, const apr_array_header_t *g)
{
    return smo_url_param_matches(name, strlen(name), g);
}

START_TEST(param_globs)
{
    ck_assert(matches("utm_source", globs));
    ck_assert(matches("UTM_SOURCE", globs));
    ck_assert(matches("Utm_Campaign", globs));
    ck_assert(matches("utm_", globs));
    ck_assert(!matches("utm", globs));
    ck_assert(!matches("xutm_source", globs));
    ck_assert(matches("fbclid", globs));
    ck_assert(matches("FBCLID", globs));
    ck_assert(!matches("fbclid2", globs));
    ck_assert(matches("_ga", globs));
    ck_assert(!matches("_gac", globs));
    ck_assert(!matches("page", globs));
    ck_assert(!matches("", globs));
    ck_assert(matches("utm%5Fsource", globs));      /* encoded '_' */
    ck_assert(matches("utm%5fmedium", globs));
    /* only `len` bytes are the name */
    ck_assert(smo_url_param_matches("utm_source=x", 10, globs));
    ck_assert(!smo_url_param_matches("fbclidx", 7, globs));
    ck_assert(smo_url_param_matches("fbclidx", 6, globs));

    ck_assert(!matches("utm_source", make_globs(NULL, NULL)));
    ck_assert(!matches("utm_source", NULL));
    ck_assert(matches("anything", make_globs("*", NULL)));
    ck_assert(matches("", make_globs("*", NULL)));
    ck_assert(matches("id", make_globs("?d", NULL)));
    ck_assert(!matches("ids", make_globs("?d", NULL)));
    ck_assert(!matches("d", make_globs("?d", NULL)));
    ck_assert(matches("axxbyyc", make_globs("a*b*c", NULL)));
    ck_assert(matches("abc", make_globs("a*b*c", NULL)));
    ck_assert(!matches("axxbyy", make_globs("a*b*c", NULL)));
    ck_assert(matches("ref_src", make_globs("x", "ref*")));
}
END_TEST

/* ---- smo_url_strip_query ----------------------------------------------- */

static const struct {
    const char *in, *out;
} strip_cases[] = {
    { "a=1&utm_source=x&b=2&fbclid=y", "a=1&b=2" },
    { "utm_source=x", NULL },
    { "utm_source=x&UTM_MEDIUM=y&fbclid", NULL },
    { "", NULL },
    { "&&", NULL },
    { "z=9&a=1&m=5", "z=9&a=1&m=5" },
    { "a&&b=&utm_medium&c", "a&b=&c" },
    { "a=1&a=2&gclid=3&a=3", "a=1&a=2&a=3" },
    { "=x&utm_id=1", "=x" },
    { "q=caf%C3%A9&utm%5Fsource=x", "q=caf%C3%A9" },
    { "x=a=b&_ga=1.2.3", "x=a=b" },
    { "&a=1&", "a=1" },
};

START_TEST(strip_table)
{
    const char *got = smo_url_strip_query(pool, strip_cases[_i].in, globs);

    ck_assert_pstr_eq(got, strip_cases[_i].out);
}
END_TEST

START_TEST(strip_null)
{
    ck_assert_ptr_null(smo_url_strip_query(pool, NULL, globs));
    ck_assert_str_eq(smo_url_strip_query(pool, "utm_source=1&a", NULL),
                     "utm_source=1&a");
}
END_TEST

/* ---- smo_url_canonical ------------------------------------------------- */

START_TEST(canonical)
{
    const char *b = "https://example.com";

    ck_assert_str_eq(smo_url_canonical(pool, b, "/p",
                                       "a=1&utm_source=x&b=2&fbclid=y", globs),
                     "https://example.com/p?a=1&b=2");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/p", "utm_source=x", globs),
                     "https://example.com/p");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/p", "", globs),
                     "https://example.com/p");
    ck_assert_str_eq(smo_url_canonical(pool, b, "", NULL, globs),
                     "https://example.com/");
    ck_assert_str_eq(smo_url_canonical(pool, b, NULL, "a=1", globs),
                     "https://example.com/?a=1");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/", NULL, globs),
                     "https://example.com/");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/caf%C3%A9/", NULL, globs),
                     "https://example.com/caf%C3%A9/");
    ck_assert_str_eq(smo_url_canonical(pool, "https://example.com/blog",
                                       "/post", "b=2", globs),
                     "https://example.com/blog/post?b=2");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/p", "a=1&utm_source=x",
                                       make_globs(NULL, NULL)),
                     "https://example.com/p?a=1&utm_source=x");
}
END_TEST

/* What cannot stand in a URL is percent-encoded, so the canonical URL
 * stays one URL even from a decoded path. */
START_TEST(canonical_sanitised)
{
    const char *b = "https://example.com";

    ck_assert_str_eq(smo_url_canonical(pool, b, "/a b\"<x>", NULL, globs),
                     "https://example.com/a%20b%22%3Cx%3E");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/caf\xC3\xA9?#", NULL, globs),
                     "https://example.com/caf%C3%A9%3F%23");
    ck_assert_str_eq(smo_url_canonical(pool, b, "/p", "q=a b&arr[]=1", globs),
                     "https://example.com/p?q=a%20b&arr%5B%5D=1");
    /* No URL code point, or a '%' that starts no escape (Apache passes a
     * query as the client sent it): encoded, the escapes kept. */
    ck_assert_str_eq(smo_url_canonical(pool, b, "/a|b^c%41", "x=100%&y=%7C|",
                                       globs),
                     "https://example.com/a%7Cb%5Ec%41?x=100%25&y=%7C%7C");
}
END_TEST

/* ---- smo_url_resolve ----------------------------------------------------- */

static const struct {
    const char *base, *ref, *out;
} resolve_cases[] = {
    { "https://example.com/blog/post/x.html?q=1", "../img/a.png",
      "https://example.com/blog/img/a.png" },
    { "https://example.com/blog/post/x.html?q=1", "/x", "https://example.com/x" },
    { "https://example.com/blog/post/x.html?q=1", "//cdn.example/x.png",
      "https://cdn.example/x.png" },
    { "http://example.com/blog/", "//cdn.example/x.png",
      "http://cdn.example/x.png" },
    { "https://example.com/a", "//cdn.example", "https://cdn.example/" },
    { "https://example.com/a", "img.png", "https://example.com/img.png" },
    { "https://example.com", "img.png", "https://example.com/img.png" },
    { "https://example.com/a/b?q=1", "", "https://example.com/a/b?q=1" },
    { "https://example.com/a/b?q=1", "#top", "https://example.com/a/b?q=1#top" },
    { "https://example.com/a/b?q=1", "?y=2", "https://example.com/a/b?y=2" },
    { "https://example.com/a/", "https://OTHER.Example:443/Y",
      "https://other.example/Y" },
    { "https://example.com/a/", "http://other.example:8080/y?z#f",
      "http://other.example:8080/y?z#f" },
    { "https://example.com/a/", "  /padded.png \n", "https://example.com/padded.png" },
    { "https://example.com/a/", "/im\nage.png", "https://example.com/image.png" },
    { "https://example.com/a/", "a%2Fb.png", "https://example.com/a/a%2Fb.png" },
    { "https://example.com/a/", "img/caf\xC3\xA9 1.png",
      "https://example.com/a/img/caf%C3%A9%201.png" },
    { "https://example.com/a/", "\\\\cdn.example\\x.png",
      "https://cdn.example/x.png" },
    { "https://example.com/a/b/", "../../../../g", "https://example.com/g" },
    { "https://example.com/a/", "/./x/../y", "https://example.com/y" },
    { "https://example.com/", "http://[::1]:8080/x", "http://[::1]:8080/x" },
    /* Issue 13: a page's own raw URL comes out as a valid URL, the way
     * the WHATWG parser serialises it (tab/LF/CR removed, the ends
     * trimmed, each part percent-encoded), with the bytes that are no URL
     * code point encoded too; existing escapes stay as written. */
    { "https://example.com/", "http://www.example.com/News Feed/a.aspx",
      "http://www.example.com/News%20Feed/a.aspx" },
    { "https://example.com/", "http://www.example.com/News%20Feed/a.aspx",
      "http://www.example.com/News%20Feed/a.aspx" },
    { "https://example.com/", "\t http://www.example.com/News\tFeed/\r\na.aspx\x01 ",
      "http://www.example.com/NewsFeed/a.aspx" },
    { "https://example.com/", "/a\"b<c>d e\x01" "f\x7F",
      "https://example.com/a%22b%3Cc%3Ed%20e%01f%7F" },
    { "https://example.com/", "/caf\xC3\xA9/\xE2\x82\xAC?q=\xC3\xA9#\xC3\xA9",
      "https://example.com/caf%C3%A9/%E2%82%AC?q=%C3%A9#%C3%A9" },
    { "https://example.com/", "/a|b^c[d]{e}`f'g",
      "https://example.com/a%7Cb%5Ec%5Bd%5D%7Be%7D%60f%27g" },
    { "https://example.com/", "/x?a[]=1&b=c|d^e&c=\"{`}'",
      "https://example.com/x?a%5B%5D=1&b=c%7Cd%5Ee&c=%22%7B%60%7D%27" },
    /* '\\' is '/' in the path of an http(s) URL, a character elsewhere. */
    { "https://example.com/", "/a\\b?q=c\\d#e\\f",
      "https://example.com/a/b?q=c%5Cd#e%5Cf" },
    /* A '%' that starts no escape is one itself. */
    { "https://example.com/", "/100%/a%2?q=5%&r=%zz%41#%",
      "https://example.com/100%25/a%252?q=5%25&r=%25zz%41#%25" },
    { "https://example.com/", "/x#a b#c", "https://example.com/x#a%20b%23c" },
    { "https://example.com/", "/x?a=b?c/d:e@f", "https://example.com/x?a=b?c/d:e@f" },
    /* RFC 3986 5.4.1 and 5.4.2 */
    { "http://a/b/c/d;p?q", "g", "http://a/b/c/g" },
    { "http://a/b/c/d;p?q", "./g", "http://a/b/c/g" },
    { "http://a/b/c/d;p?q", "g/", "http://a/b/c/g/" },
    { "http://a/b/c/d;p?q", "/g", "http://a/g" },
    { "http://a/b/c/d;p?q", "//g", "http://g/" },
    { "http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y" },
    { "http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y" },
    { "http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s" },
    { "http://a/b/c/d;p?q", "g#s", "http://a/b/c/g#s" },
    { "http://a/b/c/d;p?q", "g?y#s", "http://a/b/c/g?y#s" },
    { "http://a/b/c/d;p?q", ";x", "http://a/b/c/;x" },
    { "http://a/b/c/d;p?q", "g;x", "http://a/b/c/g;x" },
    { "http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q" },
    { "http://a/b/c/d;p?q", ".", "http://a/b/c/" },
    { "http://a/b/c/d;p?q", "./", "http://a/b/c/" },
    { "http://a/b/c/d;p?q", "..", "http://a/b/" },
    { "http://a/b/c/d;p?q", "../", "http://a/b/" },
    { "http://a/b/c/d;p?q", "../g", "http://a/b/g" },
    { "http://a/b/c/d;p?q", "../..", "http://a/" },
    { "http://a/b/c/d;p?q", "../../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "../../../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "/./g", "http://a/g" },
    { "http://a/b/c/d;p?q", "/../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "g.", "http://a/b/c/g." },
    { "http://a/b/c/d;p?q", "..g", "http://a/b/c/..g" },
    { "http://a/b/c/d;p?q", "./../g", "http://a/b/g" },
    { "http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/" },
    { "http://a/b/c/d;p?q", "g/./h", "http://a/b/c/g/h" },
    { "http://a/b/c/d;p?q", "g/../h", "http://a/b/c/h" },
    { "http://a/b/c/d;p?q", "g;x=1/./y", "http://a/b/c/g;x=1/y" },
    { "http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y" },
    { "http://a/b/c/d;p?q", "g?y/./x", "http://a/b/c/g?y/./x" },
    { "http://a/b/c/d;p?q", "g#s/../x", "http://a/b/c/g#s/../x" },
    /* A user name or password the page wrote raw: encoded as the WHATWG
     * userinfo set says (found by fuzz_url). */
    { "http://a/b", "http://user%40\xE5vil.com@example.com/",
      "http://user%40%E5vil.com@example.com/" },
    { "http://a/b", "http://u s:p;w@example.com/",
      "http://u%20s:p%3Bw@example.com/" },
};

START_TEST(resolve_table)
{
    const char *got = smo_url_resolve(pool, resolve_cases[_i].base,
                                      resolve_cases[_i].ref);

    ck_assert_msg(got && strcmp(got, resolve_cases[_i].out) == 0,
                  "case %d: <%s> against <%s>: expected %s, got %s", _i,
                  resolve_cases[_i].ref, resolve_cases[_i].base,
                  resolve_cases[_i].out, got ? got : "NULL");
}
END_TEST

/* References that cannot become an absolute http(s) URL. */
static const char *const resolve_refused[] = {
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:image/png;base64,AAAA",
    "mailto:me@example.com",
    "ftp://example.com/x",
    "http:g",                 /* strict RFC 3986: no host */
    "https:///x",
    "https://exa mple.com/",
    "https://ex\xC3\xA4mple.com/",
    "https://example.com:99999/",
};

START_TEST(resolve_refuses)
{
    const char *got = smo_url_resolve(pool, "https://example.com/a/",
                                      resolve_refused[_i]);

    ck_assert_msg(got == NULL, "<%s> resolved to %s", resolve_refused[_i],
                  got);
}
END_TEST

START_TEST(resolve_in_charset)
{
    /* As a browser resolves an href in a windows-1252 page: the path in
     * UTF-8, the query in the page's charset. */
    ck_assert_str_eq(smo_url_resolve_in(pool, "https://example.com/",
                                        "/caf\xC3\xA9 1?q=caf\xC3\xA9 1#caf\xC3\xA9",
                                        "windows-1252"),
                     "https://example.com/caf%C3%A9%201?q=caf%E9%201#caf%C3%A9");
    ck_assert_str_eq(smo_url_resolve_in(pool, "https://example.com/",
                                        "/caf\xC3\xA9?q=caf\xC3\xA9", NULL),
                     "https://example.com/caf%C3%A9?q=caf%C3%A9");
    ck_assert_str_eq(smo_url_resolve(pool, "https://example.com/",
                                     "/caf\xC3\xA9?q=caf\xC3\xA9"),
                     "https://example.com/caf%C3%A9?q=caf%C3%A9");
}
END_TEST

START_TEST(resolve_bad_base)
{
    ck_assert_ptr_null(smo_url_resolve(pool, "ftp://example.com/", "a.png"));
    ck_assert_ptr_null(smo_url_resolve(pool, "/relative/base", "a.png"));
    ck_assert_ptr_null(smo_url_resolve(pool, NULL, "a.png"));
    ck_assert_ptr_null(smo_url_resolve(pool, "https://example.com/", NULL));
}
END_TEST

/* ---- smo_url_strip ----------------------------------------------------- */

START_TEST(strip_url)
{
    ck_assert_str_eq(smo_url_strip(pool,
        "https://example.com/p?a=1&utm_source=x&b=2#top", globs),
        "https://example.com/p?a=1&b=2#top");
    ck_assert_str_eq(smo_url_strip(pool,
        "https://example.com/p?utm_source=x&fbclid=y#top", globs),
        "https://example.com/p#top");
    ck_assert_str_eq(smo_url_strip(pool,
        "https://example.com/p?utm_source=x", globs),
        "https://example.com/p");
    ck_assert_str_eq(smo_url_strip(pool, "https://example.com/p", globs),
                     "https://example.com/p");
    ck_assert_str_eq(smo_url_strip(pool,
        "https://example.com/p#frag?utm_source=x", globs),
        "https://example.com/p#frag?utm_source=x");
    ck_assert_str_eq(smo_url_strip(pool,
        "https://Example.com:8443/p;x?gclid=1&q=caf%C3%A9", globs),
        "https://Example.com:8443/p;x?q=caf%C3%A9");
    ck_assert_str_eq(smo_url_strip(pool, "https://example.com?utm_id=1&a",
                                   globs),
                     "https://example.com?a");
    ck_assert_ptr_null(smo_url_strip(pool, NULL, globs));
}
END_TEST

/* ---- smo_url_host ------------------------------------------------------ */

static const struct {
    const char *url, *host, *err;
} host_cases[] = {
    { "https://Example.COM./x?y#z", "example.com", NULL },
    { "http://example.com:8080", "example.com", NULL },
    { "https://[::1]/", "::1", NULL },
    { "https://example.com/caf%C3%A9", "example.com", NULL },
    { "", NULL, "empty" },
    { "https://evil.com\\@example.com/", NULL, "bad-char" },
    { "https://example.com/a b", NULL, "bad-char" },
    { "https://example.com/\"onmouseover", NULL, "bad-char" },
    { "https://example.com/<x>", NULL, "bad-char" },
    { "https://example.com/\x01", NULL, "bad-char" },
    { "javascript:alert(1)", NULL, "not-absolute" },
    { "//example.com/x", NULL, "not-absolute" },
    { "/x", NULL, "not-absolute" },
    { "ftp://example.com/", NULL, "not-absolute" },
    { "https://user@example.com/", NULL, "userinfo" },
    { "https://evil.com:x@example.com/", NULL, "userinfo" },
    { "https://evil.com%40example.com/", NULL, "userinfo" },
    { "https://ex\xC3\xA4mple.com/", NULL, "bad-host" },
    { "https://exa%6Dple.com/", NULL, "bad-host" },
    { "https:///x", NULL, "bad-host" },
    { "https://example.com:99999/", NULL, "bad-host" },
};

START_TEST(host_table)
{
    const char *err = "unset";
    const char *got = smo_url_host(pool, host_cases[_i].url, &err);

    ck_assert_pstr_eq(got, host_cases[_i].host);
    ck_assert_pstr_eq(err, host_cases[_i].err);
}
END_TEST

/* The configuration's validators (issue 13, item 11). */
START_TEST(config_validators)
{
    static const char *const ok_styles[] = {
        "/css/smo.css", "smo.css", "https://cdn.example.com/smo.css",
        "HTTP://cdn.example.com:8080/a.css?v=2", "//cdn.example.com/a.css",
        "/a%20b.css",
    };
    static const char *const bad_styles[] = {
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/css,a",
        "vbscript:x", " https://a.example/x.css", "java\tscript:x",
        "https:cdn.example.com/a.css", "https://cdn..example/a.css",
        "https://cdn.example:99999/a.css", "//u@cdn.example/a.css",
        "/a%zz.css", "/caf\xC3\xA9.css", "/a\"b.css", "",
    };
    char label64[80], long_name[300];

    for (size_t i = 0; i < sizeof ok_styles / sizeof *ok_styles; i++)
        ck_assert_msg(!smo_url_check_stylesheet(ok_styles[i]), "%s: %s",
                      ok_styles[i], smo_url_check_stylesheet(ok_styles[i]));
    for (size_t i = 0; i < sizeof bad_styles / sizeof *bad_styles; i++)
        ck_assert_msg(smo_url_check_stylesheet(bad_styles[i]) != NULL,
                      "accepted %s", bad_styles[i]);

    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".example");
    memset(long_name, 0, sizeof long_name);
    for (size_t i = 0; i < 254; i++)
        long_name[i] = i % 2 ? '.' : 'a';
    ck_assert(smo_url_valid_host("www.example.com"));
    ck_assert(smo_url_valid_host("www.example.com."));
    ck_assert(smo_url_valid_host("2001:db8::1"));
    ck_assert(!smo_url_valid_host("a..b"));
    ck_assert(!smo_url_valid_host(label64));
    label64[1] = '.';   /* labels of 1 and 62 bytes */
    ck_assert(smo_url_valid_host(label64));
    long_name[253] = '\0';   /* 253 bytes ending in 'a' */
    ck_assert(smo_url_valid_host(long_name));
    long_name[253] = 'a';     /* 254 */
    ck_assert(!smo_url_valid_host(long_name));
    ck_assert(!smo_url_valid_host("exa mple.com"));
    ck_assert(!smo_url_valid_host(""));
    ck_assert(smo_url_valid_authority("a.example:", 10));
    ck_assert(smo_url_valid_authority("a.example:65535", 15));
    ck_assert(smo_url_valid_authority("[2001:db8::1]:8443", 18));
    ck_assert(!smo_url_valid_authority("a.example:0", 11));
    ck_assert(!smo_url_valid_authority("a.example:65536", 15));
    ck_assert(!smo_url_valid_authority("a.example:8a", 12));
    ck_assert(!smo_url_valid_authority("u@a.example", 11));
    ck_assert(!smo_url_valid_authority("[2001:db8::1", 12));
    ck_assert(!smo_url_valid_authority("", 0));
}
END_TEST

static Suite *url_suite(void)
{
    Suite *s = suite_create("url");
    TCase *tc;

#define N(a) ((int)(sizeof a / sizeof a[0]))
    tc = tcase_create("base");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_loop_test(tc, base_accepts, 0, N(base_ok));
    tcase_add_loop_test(tc, base_rejects, 0, N(base_bad));
    tcase_add_test(tc, base_null_err_ok);
    tcase_add_test(tc, base_plus_path);
    tcase_add_test(tc, base_from_request);
    suite_add_tcase(s, tc);

    tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_test(tc, param_globs);
    tcase_add_loop_test(tc, strip_table, 0, N(strip_cases));
    tcase_add_test(tc, strip_null);
    tcase_add_test(tc, canonical);
    tcase_add_test(tc, canonical_sanitised);
    tcase_add_test(tc, strip_url);
    suite_add_tcase(s, tc);

    tc = tcase_create("resolve");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_loop_test(tc, resolve_table, 0, N(resolve_cases));
    tcase_add_loop_test(tc, resolve_refuses, 0, N(resolve_refused));
    tcase_add_test(tc, resolve_in_charset);
    tcase_add_test(tc, resolve_bad_base);
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_loop_test(tc, host_table, 0, N(host_cases));
    tcase_add_test(tc, config_validators);
    suite_add_tcase(s, tc);
#undef N
    return s;
}

const tk_program tk_tests = { url_suite, 0, NULL };
