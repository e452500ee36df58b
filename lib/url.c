/* url.c — the URLs mod_smo writes (smo_url.h).
 *
 * URLs are split into their parts by apr_uri_parse and put back together
 * by apr_uri_unparse; dot segments are removed by libxml2's
 * xmlNormalizeURIPath.  Resolution follows RFC 3986 section 5.2.2 on the
 * parsed parts.  (libxml2's xmlBuildURI is not used: version 2.9 decodes
 * the path while it resolves, so "a%2Fb" would come out as "a/b".) */
#include "smo_url.h"
#include "smo_escape.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <libxml/uri.h>

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(unsigned char c)
{
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static void lower_in_place(char *s)
{
    for (; s && *s; s++)
        *s = (char)to_lower((unsigned char)*s);
}

static int is_http_scheme(const char *scheme)
{
    return scheme && (apr_cstr_casecmp(scheme, "http") == 0
                      || apr_cstr_casecmp(scheme, "https") == 0);
}

/* A host as a URL may carry it: a DNS name or IPv4 address (letters,
 * digits, '-', '.', '_'), or an IPv6 literal (apr_uri_parse has removed
 * the brackets).  Anything else — '%', non-ASCII, '\' — is read
 * differently by different parsers. */
static int valid_host(const char *h)
{
    const unsigned char *c = (const unsigned char *)h;
    int v6 = strchr(h, ':') != NULL;

    if (!*c)
        return 0;
    /* Empty labels ("." , "a..b", ".a") name no host. */
    if (!v6 && (*c == '.' || strstr(h, "..")))
        return 0;
    /* DNS (RFC 1035): a label has at most 63 bytes, a name at most 253
     * (one more for a trailing dot). */
    if (!v6) {
        size_t n = strlen(h), label = 0;

        if (n > 253 + (h[n - 1] == '.'))
            return 0;
        for (const char *d = h; *d; d++) {
            label = *d == '.' ? 0 : label + 1;
            if (label > 63)
                return 0;
        }
    }
    for (; *c; c++) {
        if (v6 ? !(is_hex(*c) || *c == ':' || *c == '.')
               : !(is_alpha(*c) || is_digit(*c) || *c == '-' || *c == '.'
                   || *c == '_'))
            return 0;
    }
    return 1;
}

/* A port as written: digits only, 1..65535; an empty one is the default. */
static int valid_port(const char *s)
{
    unsigned long v = 0;

    if (!s || !*s)
        return 1;
    for (; *s; s++) {
        if (!is_digit((unsigned char)*s))
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return 0;
    }
    return v > 0;
}

int smo_url_valid_host(const char *host)
{
    return host && valid_host(host);
}

int smo_url_valid_authority(const char *a, size_t n)
{
    char host[256], port[8];
    const char *colon, *h = a;
    size_t hn;

    if (memchr(a, '@', n))
        return 0;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close)
            return 0;
        h = a + 1;
        hn = (size_t)(close - h);
        colon = close + 1 < a + n ? close + 1 : NULL;
        if (colon && *colon != ':')
            return 0;
    } else {
        colon = memchr(a, ':', n);
        hn = (size_t)((colon ? colon : a + n) - a);
    }
    if (hn == 0 || hn >= sizeof host)
        return 0;
    memcpy(host, h, hn);
    host[hn] = '\0';
    if (colon) {
        size_t pn = (size_t)(a + n - colon - 1);
        if (pn >= sizeof port)
            return 0;
        memcpy(port, colon + 1, pn);
        port[pn] = '\0';
        if (!valid_port(port))
            return 0;
    }
    return valid_host(host);
}

/* Every '%' starts an escape of two hex digits. */
static int escapes_valid(const char *s)
{
    for (; (s = strchr(s, '%')) != NULL; s++)
        if (!is_hex((unsigned char)s[1]) || !is_hex((unsigned char)s[2]))
            return 0;
    return 1;
}

static int has_space_or_control(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= 0x20 || c == 0x7F)
            return 1;
    }
    return 0;
}

static int has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* Put a parsed URL back together, scheme and host lowercased; the default
 * port is dropped by apr_uri_unparse. */
static const char *unparse(apr_pool_t *p, apr_uri_t *u)
{
    lower_in_place(u->scheme);
    lower_in_place(u->hostname);
    if (u->port_str && !*u->port_str) {
        u->port_str = NULL;
        u->port = 0;
    }
    return apr_uri_unparse(p, u, APR_URI_UNP_REVEALPASSWORD);
}

const char *smo_url_parse_base(apr_pool_t *p, const char *s,
                               const char **err)
{
    apr_uri_t u;
    const char *dummy;
    char *path;
    size_t n;

    if (!err)
        err = &dummy;
    if (!s || !*s) {
        *err = "empty URL";
        return NULL;
    }
    if (has_space_or_control(s)) {
        *err = "whitespace or control character in URL";
        return NULL;
    }
    if (has_non_ascii(s) || strchr(s, '\\')) {
        *err = "non-ASCII character or backslash in URL "
               "(use punycode and percent-encoding)";
        return NULL;
    }
    if (!escapes_valid(s)) {
        *err = "'%' not followed by two hex digits (write %25 for '%')";
        return NULL;
    }
    if (apr_uri_parse(p, s, &u) != APR_SUCCESS) {
        *err = "not a valid URL";
        return NULL;
    }
    if (!is_http_scheme(u.scheme)) {
        *err = "not an absolute http:// or https:// URL";
        return NULL;
    }
    if (!u.hostinfo || !u.hostname || !*u.hostname) {
        *err = "no host in URL";
        return NULL;
    }
    if (u.user || u.password || strchr(u.hostinfo, '@')) {
        *err = "user information (user@) not allowed in base URL";
        return NULL;
    }
    if (u.query) {
        *err = "query (?...) not allowed in base URL";
        return NULL;
    }
    if (u.fragment) {
        *err = "fragment (#...) not allowed in base URL";
        return NULL;
    }
    if (!valid_port(u.port_str)) {
        *err = "invalid port in URL";
        return NULL;
    }
    if (!valid_host(u.hostname)) {
        *err = "invalid host in URL (letters, digits, '-' and '.', labels "
               "of at most 63 and names of at most 253 characters)";
        return NULL;
    }
    if (u.path && u.path[0] == '/' && u.path[1] == '/') {
        *err = "path starting with // in URL (it would read as a host)";
        return NULL;
    }
    if (u.path && u.path[strcspn(u.path, "'\"<>`{}|^")]) {
        *err = "character in the URL's path that must be percent-encoded";
        return NULL;
    }
    /* No trailing '/': the base is followed by the request path. */
    path = u.path ? apr_pstrdup(p, u.path) : apr_pstrdup(p, "");
    n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        path[--n] = '\0';
    u.path = path;
    *err = NULL;
    return unparse(p, &u);
}

const char *smo_url_base_from_request(apr_pool_t *p, const char *scheme,
                                      const char *host, unsigned port)
{
    char *s = apr_pstrdup(p, scheme && *scheme ? scheme : "http");
    char *h = apr_pstrdup(p, host ? host : "localhost");
    int v6 = strchr(h, ':') != NULL && h[0] != '[';
    unsigned dflt;

    lower_in_place(s);
    lower_in_place(h);
    dflt = strcmp(s, "https") == 0 ? 443 : strcmp(s, "http") == 0 ? 80 : 0;
    if (port == 0 || port == dflt)
        return apr_pstrcat(p, s, "://", v6 ? "[" : "", h, v6 ? "]" : "",
                           NULL);
    return apr_psprintf(p, "%s://%s%s%s:%u", s, v6 ? "[" : "", h,
                        v6 ? "]" : "", port);
}

/* ---- query parameters ---------------------------------------------------- */

/* Case-insensitive glob match of the n bytes at s: '*' any run, '?' one
 * byte.  Backtracks to the last '*' only, so it is linear in practice. */
static int glob_match(const char *g, const char *s, size_t n)
{
    const char *star_g = NULL;
    size_t star_i = 0, i = 0;

    while (i < n) {
        if (*g == '*') {
            star_g = ++g;
            star_i = i;
            continue;
        }
        if (*g && (*g == '?' || to_lower((unsigned char)*g)
                                    == to_lower((unsigned char)s[i]))) {
            g++;
            i++;
            continue;
        }
        if (!star_g)
            return 0;
        g = star_g;
        i = ++star_i;
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

int smo_url_param_matches(const char *name, size_t len,
                          const apr_array_header_t *globs)
{
    char buf[256];
    const char *subject = name;
    size_t n = len, i, k;
    int j;

    if (!globs || globs->nelts == 0)
        return 0;
    /* Compare the decoded name, so that utm%5Fsource is utm_source. */
    if (len < sizeof buf && memchr(name, '%', len)) {
        for (i = 0, k = 0; i < len; i++, k++) {
            if (name[i] == '%' && i + 2 < len
                && is_hex((unsigned char)name[i + 1])
                && is_hex((unsigned char)name[i + 2])) {
                buf[k] = (char)(hex_val((unsigned char)name[i + 1]) * 16
                                + hex_val((unsigned char)name[i + 2]));
                i += 2;
            }
            else {
                buf[k] = name[i];
            }
        }
        subject = buf;
        n = k;
    }
    for (j = 0; j < globs->nelts; j++) {
        const char *g = APR_ARRAY_IDX(globs, j, const char *);

        if (g && glob_match(g, subject, n))
            return 1;
    }
    return 0;
}

const char *smo_url_strip_query(apr_pool_t *p, const char *query,
                                const apr_array_header_t *globs)
{
    size_t len, w = 0;
    const char *seg, *end, *amp, *eq;
    char *out;

    if (!query || !*query)
        return NULL;
    len = strlen(query);
    out = apr_palloc(p, len + 1);
    end = query + len;
    for (seg = query; seg < end; seg = amp + 1) {
        size_t slen;

        amp = memchr(seg, '&', (size_t)(end - seg));
        if (!amp)
            amp = end;
        slen = (size_t)(amp - seg);
        if (slen == 0)
            continue;
        eq = memchr(seg, '=', slen);
        if (smo_url_param_matches(seg, eq ? (size_t)(eq - seg) : slen, globs))
            continue;
        if (w > 0)
            out[w++] = '&';
        memcpy(out + w, seg, slen);
        w += slen;
    }
    if (w == 0)
        return NULL;
    out[w] = '\0';
    return out;
}

/* The parts of a URL encode_part() writes, each with its own delimiters. */
enum { PART_PATH, PART_QUERY, PART_FRAGMENT, PART_USERINFO };

/* Does byte c stand in `part` as it is?  The URL Standard's URL code
 * points (ASCII alphanumerics and !$&()*+,-./:;=?@_~) less '?' in a path;
 * '%' only as the start of an escape (checked by the caller).  That is
 * the WHATWG percent-encode set of each part (C0 controls, space, '"',
 * '#', '<', '>', non-ASCII; '?', '^', '`', '{', '}' in a path; '/', ':',
 * ';', '=', '?', '@' too in a user name or password; '\'' in an
 * http(s) query) and the other bytes a valid URL cannot hold raw ('[',
 * '\\', ']', '^', '|', '`', '{', '}' anywhere), so every parser reads the
 * result alike.  '\'' goes in every part: the click handler refuses a
 * raw one (SPEC 6). */
static int url_plain(unsigned char c, int part)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    switch (c) {
    case '!': case '$': case '&': case '(': case ')': case '*': case '+':
    case ',': case '-': case '.': case '_': case '~':
        return 1;
    case '/': case ':': case ';': case '=': case '@':
        return part != PART_USERINFO;
    case '?':
        return part != PART_PATH && part != PART_USERINFO;
    default:
        return 0;
    }
}

static int is_escape(const unsigned char *c)
{
    return c[0] == '%' && is_hex(c[1]) && is_hex(c[2]);
}

/* One part of a URL (path, query or fragment) as a valid URL writes it:
 * what cannot stand there raw percent-encoded, byte by byte (UTF-8 stays
 * UTF-8), existing escapes kept as written.  NULL stays NULL; `s` itself
 * when nothing changes. */
static const char *encode_part(apr_pool_t *p, const char *s, int part)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *c;
    size_t extra = 0;
    char *out, *w;

    if (!s)
        return NULL;
    for (c = (const unsigned char *)s; *c; c++)
        if (!url_plain(*c, part) && !is_escape(c))
            extra += 2;
    if (extra == 0)
        return s;
    w = out = apr_palloc(p, strlen(s) + extra + 1);
    for (c = (const unsigned char *)s; *c; c++) {
        if (url_plain(*c, part) || is_escape(c)) {
            *w++ = (char)*c;
        }
        else {
            *w++ = '%';
            *w++ = hex[*c >> 4];
            *w++ = hex[*c & 0xF];
        }
    }
    *w = '\0';
    return out;
}

const char *smo_url_canonical(apr_pool_t *p, const char *base,
                              const char *path, const char *query,
                              const apr_array_header_t *globs)
{
    const char *q = smo_url_strip_query(p, query, globs);

    if (!path || !*path)
        path = "/";
    path = encode_part(p, path, PART_PATH);
    return apr_pstrcat(p, base ? base : "", path[0] == '/' ? "" : "/", path,
                       q ? "?" : "", q ? encode_part(p, q, PART_QUERY) : "",
                       NULL);
}

/* ---- resolution ---------------------------------------------------------- */

/* RFC 3986 5.2.4 remove_dot_segments, by libxml2, on an absolute path. */
static char *remove_dots(apr_pool_t *p, const char *path)
{
    char *copy = apr_pstrdup(p, path);

    xmlNormalizeURIPath(copy);
    return copy;
}

/* RFC 3986 5.2.3: the reference's path appended to the base's directory. */
static char *merge_paths(apr_pool_t *p, const apr_uri_t *b, const char *rel)
{
    const char *bp = b->path ? b->path : "";
    const char *slash = strrchr(bp, '/');

    if (b->hostinfo && !*bp)
        return apr_pstrcat(p, "/", rel, NULL);
    if (!slash)
        return apr_pstrdup(p, rel);
    return apr_pstrcat(p, apr_pstrmemdup(p, bp, (apr_size_t)(slash - bp + 1)),
                       rel, NULL);
}

/* The preprocessing the WHATWG URL parser applies before it splits a URL:
 * leading and trailing C0 controls and spaces dropped, tabs and newlines
 * removed anywhere, and '\\' read as '/' up to the query or fragment
 * (http(s) are "special" schemes; further on it is a character, which
 * encode_part() escapes).  Percent-encoding comes after the split, part
 * by part.  Returns `ref` itself when it needs none of this. */
static const char *clean_reference(apr_pool_t *p, const char *ref)
{
    const unsigned char *b = (const unsigned char *)ref, *e;
    char *out, *w;
    int in_path = 1;

    /* Most references (any URL this module wrote itself) are clean
     * already: then there is nothing to copy. */
    e = b + strlen(ref);
    if (!(*b <= 0x20 && *b) && !(e > b && e[-1] <= 0x20)
        && !strpbrk(ref, "\t\n\r\\"))
        return ref;
    while (*b && *b <= 0x20)
        b++;
    while (e > b && e[-1] <= 0x20)
        e--;
    w = out = apr_palloc(p, (size_t)(e - b) + 1);
    for (; b < e; b++) {
        unsigned char c = *b;

        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '?' || c == '#')
            in_path = 0;
        *w++ = c == '\\' && in_path ? '/' : (char)c;
    }
    *w = '\0';
    return out;
}

const char *smo_url_resolve(apr_pool_t *p, const char *base,
                            const char *ref)
{
    return smo_url_resolve_in(p, base, ref, NULL);
}

const char *smo_url_resolve_in(apr_pool_t *p, const char *base,
                               const char *ref, const char *charset)
{
    apr_uri_t b, r, t;

    if (!base || !ref)
        return NULL;
    ref = clean_reference(p, ref);
    if (apr_uri_parse(p, base, &b) != APR_SUCCESS
        || apr_uri_parse(p, ref, &r) != APR_SUCCESS)
        return NULL;
    if (!is_http_scheme(b.scheme) || !b.hostname)
        return NULL;

    /* RFC 3986 5.2.2, strict: a scheme in the reference wins. */
    if (r.scheme) {
        t = r;
        if (t.path && t.path[0] == '/')
            t.path = remove_dots(p, t.path);
    }
    else {
        if (r.hostinfo) {
            t = r;
            if (t.path && t.path[0] == '/')
                t.path = remove_dots(p, t.path);
        }
        else {
            t = b;
            if (!r.path || !*r.path) {
                if (r.query)
                    t.query = r.query;
            }
            else {
                t.path = remove_dots(p, r.path[0] == '/'
                                        ? r.path : merge_paths(p, &b, r.path));
                t.query = r.query;
            }
        }
        t.scheme = b.scheme;
    }
    t.fragment = r.fragment;

    if (!is_http_scheme(t.scheme) || !t.hostinfo || !t.hostname
        || !valid_host(t.hostname) || !valid_port(t.port_str))
        return NULL;
    /* http(s) URLs always have a path (WHATWG); "//cdn" is "//cdn/". */
    if (!t.path || t.path[0] != '/')
        t.path = apr_pstrcat(p, "/", t.path ? t.path : "", NULL);
    /* SPEC 6: a URL the module writes is a valid URL, whatever the page's
     * own attribute held (the page's tag itself is left as it is). */
    t.path = (char *)encode_part(p, t.path, PART_PATH);
    /* The query in the page's charset (WHATWG), then what stays raw. */
    t.query = (char *)encode_part(p, smo_query_encode(p, t.query, charset),
                                  PART_QUERY);
    t.fragment = (char *)encode_part(p, t.fragment, PART_FRAGMENT);
    t.user = (char *)encode_part(p, t.user, PART_USERINFO);
    t.password = (char *)encode_part(p, t.password, PART_USERINFO);
    return unparse(p, &t);
}

const char *smo_url_strip(apr_pool_t *p, const char *url,
                          const apr_array_header_t *globs)
{
    apr_uri_t u;
    size_t cut;
    const char *q;

    if (!url)
        return NULL;
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.query)
        return url;
    /* The query starts at the first '?' before any '#', exactly where
     * apr_uri_parse found it; everything before it is kept verbatim. */
    cut = strcspn(url, "?#");
    q = smo_url_strip_query(p, u.query, globs);
    return apr_pstrcat(p, apr_pstrmemdup(p, url, cut), q ? "?" : "",
                       q ? q : "", u.fragment ? "#" : "",
                       u.fragment ? u.fragment : "", NULL);
}

const char *smo_url_host(apr_pool_t *p, const char *url, const char **err)
{
    apr_uri_t u;
    const char *dummy, *c;
    char *host;
    size_t n;

    if (!err)
        err = &dummy;
    if (!url || !*url) {
        *err = "empty";
        return NULL;
    }
    for (c = url; *c; c++) {
        unsigned char ch = (unsigned char)*c;

        if (ch <= 0x20 || ch == 0x7F || ch == '"' || ch == '\'' || ch == '<'
            || ch == '>' || ch == '\\') {
            *err = "bad-char";
            return NULL;
        }
    }
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS
        || !is_http_scheme(u.scheme) || !u.hostinfo) {
        *err = "not-absolute";
        return NULL;
    }
    /* Userinfo, even percent-encoded: some parsers decode %40 first. */
    if (u.user || u.password || strchr(u.hostinfo, '@')
        || strstr(u.hostinfo, "%40")) {
        *err = "userinfo";
        return NULL;
    }
    if (!u.hostname || !*u.hostname || has_non_ascii(u.hostinfo)
        || !valid_host(u.hostname) || !valid_port(u.port_str)) {
        *err = "bad-host";
        return NULL;
    }
    host = apr_pstrdup(p, u.hostname);
    lower_in_place(host);
    n = strlen(host);
    if (n > 1 && host[n - 1] == '.')
        host[n - 1] = '\0';
    *err = NULL;
    return host;
}

const char *smo_url_check_stylesheet(const char *u)
{
    const unsigned char *c = (const unsigned char *)u;
    char scheme[16];
    size_t n = 0;

    if (!u || !*u)
        return "empty URL";
    for (; *c; c++)
        if (*c <= 0x20 || *c >= 0x7F || *c == '"' || *c == '<' || *c == '>'
            || *c == '\\')
            return "a URL holds no whitespace, control or non-ASCII "
                   "character, quote, '<', '>' or backslash "
                   "(percent-encode them)";
    if (!escapes_valid(u))
        return "'%' not followed by two hex digits (write %25 for '%')";
    /* A scheme as browsers read it (RFC 3986 3.1); anything before the
     * first '/', '?' or '#' that ends in ':' is one. */
    for (c = (const unsigned char *)u; is_alpha(*c) || (n && (is_digit(*c)
             || *c == '+' || *c == '-' || *c == '.')); c++)
        if (n < sizeof scheme - 1)
            scheme[n++] = (char)to_lower(*c);
    scheme[n] = '\0';
    if (*c == ':' && strcmp(scheme, "http") && strcmp(scheme, "https"))
        return "only an http:// or https:// URL or a path may name a style "
               "sheet (no javascript:, data: or other scheme)";
    if (*c == ':' && (c[1] != '/' || c[2] != '/'))
        return "an absolute URL is http://HOST/... or https://HOST/...";
    if (*c == ':' || (u[0] == '/' && u[1] == '/')) {
        /* The authority, of an absolute or a protocol-relative URL. */
        const char *a = *c == ':' ? (const char *)c + 3 : u + 2;

        if (!smo_url_valid_authority(a, strcspn(a, "/?#")))
            return "invalid host or port, or a user name in the URL";
    }
    return NULL;
}
