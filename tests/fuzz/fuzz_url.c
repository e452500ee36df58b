/* fuzz_url.c — libFuzzer harness for the URL and escaping helpers
 * (lib/url.c, lib/escape.c): round trips and the promises their headers
 * make, on any bytes.
 *
 * Input: byte 0 picks a base URL for resolution and canonical URLs; the
 * rest is the string under test (NUL bytes included where an API takes a
 * length, cut at the first NUL where it takes a C string).
 * Checked inside the harness (abort on violation):
 *   - smo_percent_decode(smo_percent_encode(x)) == x, and the encoding
 *     holds only unreserved characters and %XX with uppercase hex;
 *   - smo_percent_decode(x) is NULL exactly when x holds a '%' not
 *     followed by two hex digits;
 *   - smo_escape_attr(x) is ASCII without raw < > " ' or controls (but
 *     tab, LF, CR), every & starts a character reference; escaping is
 *     stable through smo_html_decode, and for clean UTF-8 (no controls,
 *     noncharacters) smo_html_decode(smo_escape_attr(x)) == x;
 *   - smo_html_decode returns valid UTF-8 without NUL, in both modes;
 *   - smo_url_resolve, smo_url_strip (of a resolved or parsable URL),
 *     smo_url_canonical and smo_url_parse_base give, when not NULL,
 *     absolute http(s) URLs that apr_uri_parse reads with a host, without
 *     raw whitespace, controls, quotes, '<', '>', '\' or non-ASCII, and
 *     the stripped ones without a tracking parameter;
 *   - smo_url_host agrees with apr_uri_parse's host.
 *
 * Build and run: scripts/fuzz.sh (or `make fuzz`). */
#include <ctype.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_uri.h>

#include "smo_escape.h"
#include "smo_url.h"
#include "fuzz_util.h"

static apr_pool_t *root;

static const char *const bases[] = {
    "https://www.example.com/a/b/c?q=1#f",
    "http://example.com",
    "https://example.com:8443/blog/",
    "http://[::1]/x/y",
};

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_hex(unsigned char c)
{
    return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_upper_hex(unsigned char c)
{
    return isdigit(c) || (c >= 'A' && c <= 'F');
}

/* ---- percent-encoding --------------------------------------------------- */

static void check_percent(apr_pool_t *p, const char *s, size_t n)
{
    const char *enc = smo_percent_encode(p, s, n);
    size_t dlen = 0, i;
    char *dec;
    int malformed = 0;

    for (i = 0; enc[i]; i++) {
        unsigned char c = (unsigned char)enc[i];
        if (c == '%') {
            FUZZ_CHECK(is_upper_hex((unsigned char)enc[i + 1]) &&
                           is_upper_hex((unsigned char)enc[i + 2]),
                       "percent-encoding with a bad escape at %zu: %s", i,
                       enc);
            i += 2;
        } else
            FUZZ_CHECK(is_unreserved(c),
                       "percent-encoding keeps reserved byte 0x%02x: %s", c,
                       enc);
    }
    dec = smo_percent_decode(p, enc, strlen(enc), &dlen);
    FUZZ_CHECK(dec && dlen == n && !memcmp(dec, s, n),
               "percent round trip lost bytes (%zu in, %zu out)", n, dlen);

    for (i = 0; i < n; i++)
        if (s[i] == '%' && !(i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
                             is_hex((unsigned char)s[i + 2])))
            malformed = 1;
    dec = smo_percent_decode(p, s, n, &dlen);
    FUZZ_CHECK((dec == NULL) == malformed, "percent_decode %s a %s input",
               dec ? "accepted" : "refused",
               malformed ? "malformed" : "well-formed");
}

/* ---- HTML escaping ------------------------------------------------------ */

/* Does `s` start a character reference: &name; or &#digits; or &#xhex; */
static int starts_ref(const char *s)
{
    size_t i = 1;
    if (s[1] == '#') {
        i = 2;
        if (s[2] == 'x' || s[2] == 'X') {
            i = 3;
            if (!is_hex((unsigned char)s[i]))
                return 0;
            while (is_hex((unsigned char)s[i]))
                i++;
        } else {
            if (!isdigit((unsigned char)s[i]))
                return 0;
            while (isdigit((unsigned char)s[i]))
                i++;
        }
    } else {
        if (!isalpha((unsigned char)s[i]))
            return 0;
        while (isalnum((unsigned char)s[i]))
            i++;
    }
    return s[i] == ';';
}

/* UTF-8 that smo_escape_attr writes back unchanged in meaning: well
 * formed, no controls but tab/LF/CR, no C1, no noncharacters. */
static int clean_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;
    size_t k;
    for (size_t i = 0; i < n; i += k) {
        if ((k = fuzz_utf8_seq(u + i, n - i, &cp)) == 0)
            return 0;
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
            (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
            (cp & 0xfffe) == 0xfffe)
            return 0;
    }
    return 1;
}

static void check_escape(apr_pool_t *p, const char *s, size_t n)
{
    const char *esc = smo_escape_attr(p, s, n);
    const char *dec, *again;

    for (size_t i = 0; esc[i]; i++) {
        unsigned char c = (unsigned char)esc[i];
        FUZZ_CHECK(c < 0x7f && (c >= 0x20 || c == '\t' || c == '\n' ||
                                c == '\r') &&
                       c != '<' && c != '>' && c != '"' && c != '\'',
                   "escape_attr wrote raw byte 0x%02x at %zu: %s", c, i, esc);
        FUZZ_CHECK(c != '&' || starts_ref(esc + i),
                   "escape_attr wrote a bare '&' at %zu: %s", i, esc);
    }
    dec = smo_html_decode(p, esc, strlen(esc), 1);
    again = smo_escape_attr(p, dec, strlen(dec));
    FUZZ_CHECK(!strcmp(again, esc), "escaping is not stable: %s -> %s", esc,
               again);
    if (clean_utf8(s, n) && !memchr(s, '\0', n))
        FUZZ_CHECK(strlen(dec) == n && !memcmp(dec, s, n),
                   "html_decode(escape_attr(x)) != x for clean UTF-8: %s",
                   esc);
}

static void check_decode(apr_pool_t *p, const char *s, size_t n)
{
    for (int attr = 0; attr < 2; attr++) {
        const char *d = smo_html_decode(p, s, n, attr);
        FUZZ_CHECK(d && fuzz_valid_utf8(d, strlen(d)),
                   "html_decode (attr %d) returned invalid UTF-8", attr);
        if (d) {
            char *c = apr_pstrdup(p, d);
            smo_collapse_ws(c);
            FUZZ_CHECK(!*c || (c[0] != ' ' && c[strlen(c) - 1] != ' ' &&
                               !strstr(c, "  ")),
                       "collapse_ws left a run or an edge: '%s'", c);
        }
    }
}

/* ---- URLs --------------------------------------------------------------- */

static void check_abs_url(apr_pool_t *p, const char *what, const char *u)
{
    apr_uri_t uri;
    const char *bad = fuzz_find_bad_url_byte(u);
    FUZZ_CHECK(!bad, "%s wrote raw byte 0x%02x: %s", what,
               (unsigned char)*bad, u);
    FUZZ_CHECK(apr_uri_parse(p, u, &uri) == APR_SUCCESS,
               "%s result does not parse: %s", what, u);
    FUZZ_CHECK(uri.scheme && (!strcmp(uri.scheme, "http") ||
                              !strcmp(uri.scheme, "https")),
               "%s result is not http(s): %s", what, u);
    FUZZ_CHECK(uri.hostname && *uri.hostname, "%s result has no host: %s",
               what, u);
}

static void check_urls(apr_pool_t *p, const char *base, const char *s,
                       const apr_array_header_t *globs)
{
    const char *r, *st, *err, *h, *b;
    apr_uri_t uri;

    r = smo_url_resolve(p, base, s);
    if (r) {
        check_abs_url(p, "url_resolve", r);
        FUZZ_CHECK(!strcmp(smo_url_resolve(p, base, r), r),
                   "url_resolve is not idempotent: %s", r);
        st = smo_url_strip(p, r, globs);
        check_abs_url(p, "url_strip", st);
        fuzz_check_stripped("url_strip", st, globs);
    }

    st = smo_url_strip(p, s, globs);
    FUZZ_CHECK(st != NULL, "url_strip returned NULL");
    if (apr_uri_parse(p, s, &uri) == APR_SUCCESS && uri.scheme &&
        uri.hostname && !fuzz_find_bad_url_byte(s) &&
        (!strcasecmp(uri.scheme, "http") || !strcasecmp(uri.scheme, "https")))
        fuzz_check_stripped("url_strip", st, globs);

    {
        const char *q = strchr(s, '?');
        const char *path = q ? apr_pstrmemdup(p, s, (size_t)(q - s)) : s;
        /* smo_url_canonical takes a base already through parse_base. */
        const char *cb = smo_url_parse_base(p, base, NULL);
        const char *c;
        if (!cb)
            cb = "https://www.example.com";
        c = smo_url_canonical(p, cb, path, q ? q + 1 : NULL, globs);
        if (c) {
            check_abs_url(p, "url_canonical", c);
            FUZZ_CHECK(!strncmp(c, cb, strlen(cb)),
                       "canonical URL %s is not under base %s", c, cb);
            fuzz_check_stripped("url_canonical", c, globs);
        }
    }

    b = smo_url_parse_base(p, s, &err);
    FUZZ_CHECK(!b == !!err, "parse_base: result and err disagree");
    if (b) {
        check_abs_url(p, "url_parse_base", b);
        FUZZ_CHECK(apr_uri_parse(p, b, &uri) == APR_SUCCESS && !uri.query &&
                       !uri.fragment && !uri.user && !uri.password,
                   "parse_base kept a query, fragment or userinfo: %s", b);
        FUZZ_CHECK(!strcmp(smo_url_parse_base(p, b, NULL), b),
                   "parse_base is not idempotent: %s", b);
    }

    h = smo_url_host(p, s, &err);
    FUZZ_CHECK(!h == !!err, "url_host: result and err disagree");
    if (h) {
        size_t n;
        char *ah;
        FUZZ_CHECK(apr_uri_parse(p, s, &uri) == APR_SUCCESS && uri.hostname,
                   "url_host accepted what apr_uri_parse refuses: %s", s);
        FUZZ_CHECK(!uri.user && !uri.password,
                   "url_host accepted userinfo: %s", s);
        ah = apr_pstrdup(p, uri.hostname);
        for (char *c = ah; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        n = strlen(ah);
        if (n && ah[n - 1] == '.')
            ah[n - 1] = '\0';
        FUZZ_CHECK(!strcmp(h, ah), "url_host %s but apr_uri_parse %s: %s",
                   h, ah, s);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_array_header_t *globs;
    const char *s, *cs;
    size_t n;

    if (size < 1)
        return 0;
    apr_pool_create(&p, root);
    s = (const char *)data + 1;
    n = size - 1;
    cs = apr_pstrmemdup(p, s, n); /* cut at the first NUL as a C string */

    globs = apr_array_make(p, 4, sizeof(const char *));
    APR_ARRAY_PUSH(globs, const char *) = "utm_*";
    APR_ARRAY_PUSH(globs, const char *) = "fbclid";
    APR_ARRAY_PUSH(globs, const char *) = "g?clid";

    check_percent(p, s, n);
    check_escape(p, s, n);
    check_decode(p, s, n);
    check_urls(p, bases[data[0] % (sizeof bases / sizeof bases[0])], cs,
               globs);
    apr_pool_destroy(p);
    return 0;
}
