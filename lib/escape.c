/* escape.c — escaping and decoding of HTML and URL text (smo_escape.h).
 *
 * The functions that produce a string of unknown length run their loop
 * twice: once to count, once to write into an exactly sized buffer.  That
 * keeps one allocation per call and a single copy of each algorithm.
 * When counting finds nothing to rewrite (most values), the second pass
 * is a plain copy. */
#include "smo_ascii.h"
#include "smo_escape.h"

#include <string.h>

#include <apr_strings.h>
#include <apr_xlate.h>
#include <libxml/HTMLparser.h>

/* Byte-class tables are built at compile time from a readable predicate:
 * TABLE256(f) is f(0), f(1) ... f(255). */
#define ROW4(f, c) f(c), f(c + 1), f(c + 2), f(c + 3)
#define ROW16(f, c) ROW4(f, c), ROW4(f, c + 4), ROW4(f, c + 8), ROW4(f, c + 12)
#define TABLE256(f) \
    ROW16(f, 0x00), ROW16(f, 0x10), ROW16(f, 0x20), ROW16(f, 0x30), \
    ROW16(f, 0x40), ROW16(f, 0x50), ROW16(f, 0x60), ROW16(f, 0x70), \
    ROW16(f, 0x80), ROW16(f, 0x90), ROW16(f, 0xA0), ROW16(f, 0xB0), \
    ROW16(f, 0xC0), ROW16(f, 0xD0), ROW16(f, 0xE0), ROW16(f, 0xF0)

/* An output cursor: with buf NULL it only counts.  `changed` is set when
 * the output is more than runs of the input copied as they are. */
typedef struct {
    char *buf;
    size_t n;
    int changed;
} out_t;

static void put(out_t *o, const void *s, size_t len)
{
    if (o->buf)
        memcpy(o->buf + o->n, s, len);
    o->n += len;
}

static void put_byte(out_t *o, unsigned char c)
{
    if (o->buf)
        o->buf[o->n] = (char)c;
    o->n++;
}

static void put_utf8(out_t *o, unsigned long cp)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    }
    else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    }
    else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(o, b, n);
}

#define REPLACEMENT 0xFFFDUL

/* Decode one UTF-8 sequence of the n > 0 bytes at s.  Returns the code
 * point and sets *adv to its length; on an ill-formed sequence returns -1
 * and sets *adv to the length of its maximal subpart (at least 1), so that
 * each one becomes a single U+FFFD as in the WHATWG UTF-8 decoder.  The
 * byte ranges exclude overlongs, surrogates and values past U+10FFFF. */
static long utf8_next(const unsigned char *s, size_t n, size_t *adv)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    unsigned long cp;
    size_t need, i;

    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    else {
        *adv = 1;
        return -1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *adv = i;
            return -1;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *adv = i;
    return (long)cp;
}

/* Copy UTF-8, replacing each ill-formed sequence with U+FFFD. */
static void put_valid_utf8(out_t *o, const unsigned char *s, size_t len)
{
    size_t i = 0, run = 0, adv;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (utf8_next(s + i, len - i, &adv) >= 0) {
            i += adv;
            continue;
        }
        put(o, s + run, i - run);
        put_utf8(o, REPLACEMENT);
        o->changed = 1;
        i += adv;
        run = i;
    }
    put(o, s + run, i - run);
}

static char *finish(out_t *o)
{
    o->buf[o->n] = '\0';
    return o->buf;
}

/* Most values need no rewriting at all: when the counting pass found
 * nothing to change, the result is a plain copy of the input. */
static char *copy_of(apr_pool_t *p, const char *s, size_t len)
{
    char *r = apr_palloc(p, len + 1);

    memcpy(r, s, len);
    r[len] = '\0';
    return r;
}

/* ---- smo_escape_attr ---------------------------------------------------- */

/* Code points that must not reach the page: C0 controls but TAB/LF/CR,
 * DEL, and C1 controls, because the HTML parser maps &#x80;..&#x9F; to
 * windows-1252 characters (a C1 reference would not mean itself);
 * noncharacters, because U+FFFE/U+FFFF are not XML characters and an
 * XHTML page must stay well-formed. */
static int unwritable(unsigned long cp)
{
    if (cp < 0x20)
        return cp != '\t' && cp != '\n' && cp != '\r';
    if (cp >= 0x7F && cp <= 0x9F)
        return 1;
    if (cp >= 0xFDD0 && cp <= 0xFDEF)
        return 1;
    return (cp & 0xFFFE) == 0xFFFE;
}

static void put_ncr(out_t *o, unsigned long cp)
{
    char b[16];
    int n = apr_snprintf(b, sizeof b, "&#x%lX;", cp);

    put(o, b, (size_t)n);
}

/* Bytes smo_escape_attr() copies as they are: printable ASCII but the
 * five markup characters.  A table, because this test runs on every byte
 * of every value written. */
#define ATTR_PLAIN(c) ((c) >= 0x20 && (c) < 0x7F && (c) != '&' && (c) != '<' \
                       && (c) != '>' && (c) != '"' && (c) != '\'')

static const unsigned char attr_plain[256] = { TABLE256(ATTR_PLAIN) };

/* Length of the run of attr_plain bytes at the start of s. */
static size_t plain_run(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len && attr_plain[s[i]])
        i++;
    return i;
}

size_t smo_attr_plain_prefix(const char *s, size_t len)
{
    return plain_run((const unsigned char *)s, len);
}

static void escape_attr_run(out_t *o, const unsigned char *s, size_t len)
{
    size_t i = 0, adv;
    long cp;

    while (i < len) {
        /* Most of a value is plain printable ASCII: copy it in one go. */
        size_t run = i + plain_run(s + i, len - i);
        if (run > i) {
            put(o, s + i, run - i);
            i = run;
            continue;
        }
        o->changed = 1;
        cp = utf8_next(s + i, len - i, &adv);
        i += adv;
        if (cp < 0 || unwritable((unsigned long)cp)) {
            put(o, "&#xFFFD;", 8);
            continue;
        }
        switch (cp) {
        case '&':  put(o, "&amp;", 5); break;
        case '<':  put(o, "&lt;", 4); break;
        case '>':  put(o, "&gt;", 4); break;
        case '"':  put(o, "&quot;", 6); break;
        case '\'': put(o, "&#39;", 5); break;
        default:
            if (cp < 0x80)
                put_byte(o, (unsigned char)cp);
            else
                put_ncr(o, (unsigned long)cp);
        }
    }
}

char *smo_escape_attr(apr_pool_t *p, const char *s, size_t len)
{
    out_t o = { NULL, 0, 0 };

    escape_attr_run(&o, (const unsigned char *)s, len);
    if (!o.changed)
        return copy_of(p, s, len);
    o.buf = apr_palloc(p, o.n + 1);
    o.n = 0;
    escape_attr_run(&o, (const unsigned char *)s, len);
    return finish(&o);
}

/* ---- smo_html_decode ---------------------------------------------------- */

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z');
}

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* HTML5 knows these names in upper case too, with and without ';';
 * libxml2's HTML 4 table does not. */
static const struct {
    const char *name;
    unsigned long cp;
} upper_legacy[] = {
    { "AMP", '&' }, { "LT", '<' }, { "GT", '>' }, { "QUOT", '"' },
    { "COPY", 0xA9 }, { "REG", 0xAE },
};

#define LONGEST_LEGACY 6        /* "frac12", "middot", "curren"... */
#define LONGEST_NAME 31         /* libxml2's longest is "thetasym" */

/* Look up a reference name (len bytes) in libxml2's table and ours.
 * With legacy_only, only the names HTML5 also accepts without ';': the
 * HTML 3.2 Latin-1 set (U+00A0..U+00FF), amp, lt, gt, quot and the
 * upper-case table above. */
static int entity_lookup(const unsigned char *name, size_t len,
                         int legacy_only, unsigned long *cp)
{
    char buf[LONGEST_NAME + 1];
    const htmlEntityDesc *d;
    size_t k;

    if (len == 0 || len > LONGEST_NAME)
        return 0;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (k = 0; k < sizeof upper_legacy / sizeof upper_legacy[0]; k++) {
        if (strcmp(buf, upper_legacy[k].name) == 0) {
            *cp = upper_legacy[k].cp;
            return 1;
        }
    }
    d = htmlEntityLookup((const xmlChar *)buf);
    if (!d)
        return 0;
    /* HTML5 moved the angle brackets from the deprecated U+2329/U+232A
     * (which normalise to CJK brackets) to the mathematical ones. */
    if (!strcmp(buf, "lang") || !strcmp(buf, "rang")) {
        *cp = buf[0] == 'l' ? 0x27E8 : 0x27E9;
        return !legacy_only;
    }
    if (legacy_only && !(d->value >= 0xA0 && d->value <= 0xFF)
        && d->value != '&' && d->value != '<' && d->value != '>'
        && d->value != '"')
        return 0;
    *cp = d->value;
    return 1;
}

/* The numeric character reference end state's fix-ups (WHATWG 13.2.5.80):
 * references to 0x80..0x9F mean what windows-1252 puts there. */
static unsigned long numeric_fixup(unsigned long v)
{
    static const unsigned short c1[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    };

    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return REPLACEMENT;
    if (v >= 0x80 && v <= 0x9F)
        return c1[v - 0x80];
    return v;
}

/* A numeric reference at s ("&#..."), n bytes available.  Returns the
 * number of bytes consumed. */
static size_t numeric_ref(out_t *o, const unsigned char *s, size_t n)
{
    size_t i = 2, start;
    unsigned long v = 0;
    int hex = 0, d;

    if (i < n && (s[i] == 'x' || s[i] == 'X')) {
        hex = 1;
        i++;
    }
    start = i;
    for (; i < n; i++) {
        d = hex ? hex_val(s[i])
                : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
        if (d < 0)
            break;
        /* Saturate: anything past U+10FFFF is replaced anyway. */
        if (v <= 0x10FFFF)
            v = v * (hex ? 16 : 10) + (unsigned long)d;
    }
    if (i == start) {
        /* "&#" or "&#x" without digits is text. */
        put(o, s, start);
        return start;
    }
    if (i < n && s[i] == ';')
        i++;
    put_utf8(o, numeric_fixup(v));
    return i;
}

/* A named reference at s ("&" followed by an alphanumeric), per the
 * named character reference state (WHATWG 13.2.5.73): the longest match,
 * with ';' for any name, without ';' only for the legacy names. */
static size_t named_ref(out_t *o, const unsigned char *s, size_t n,
                        int in_attr)
{
    size_t run = 1, k, next;
    unsigned long cp;

    while (run < n && is_alnum(s[run]))
        run++;
    if (run < n && s[run] == ';'
        && entity_lookup(s + 1, run - 1, 0, &cp)) {
        put_utf8(o, cp);
        return run + 1;
    }
    k = run - 1 < LONGEST_LEGACY ? run - 1 : LONGEST_LEGACY;
    for (; k >= 2; k--) {
        if (!entity_lookup(s + 1, k, 1, &cp))
            continue;
        next = 1 + k;
        /* In attribute values "&not=1" or "&notit" stay as written, for
         * the sake of URLs in href (13.2.5.73, "historical reasons"). */
        if (in_attr && next < n && (s[next] == '=' || is_alnum(s[next]))) {
            put(o, s, next);
            return next;
        }
        put_utf8(o, cp);
        return next;
    }
    put_byte(o, '&');
    return 1;
}

/* ASCII that decoding leaves alone: everything but '&' and NUL. */
#define DECODE_PLAIN(c) ((c) < 0x80 && (c) != '&' && (c) != '\0')

static const unsigned char decode_plain[256] = { TABLE256(DECODE_PLAIN) };

static void decode_run(out_t *o, const unsigned char *s, size_t len,
                       int in_attr)
{
    size_t i = 0, run = 0, adv;

    while (i < len) {
        unsigned char c;

        while (i < len && decode_plain[s[i]])
            i++;
        if (i == len)
            break;
        c = s[i];
        if (c >= 0x80) {
            if (utf8_next(s + i, len - i, &adv) >= 0) {
                i += adv;
                continue;
            }
            o->changed = 1;
            put(o, s + run, i - run);
            put_utf8(o, REPLACEMENT);
            i += adv;
            run = i;
            continue;
        }
        /* A reference or a NUL: the output is no longer a plain copy. */
        o->changed = 1;
        put(o, s + run, i - run);
        if (c == '\0') {
            put_utf8(o, REPLACEMENT);
            i++;
        }
        else if (i + 1 < len && s[i + 1] == '#')
            i += numeric_ref(o, s + i, len - i);
        else if (i + 1 < len && is_alnum(s[i + 1]))
            i += named_ref(o, s + i, len - i, in_attr);
        else {
            put_byte(o, '&');
            i++;
        }
        run = i;
    }
    put(o, s + run, i - run);
}

char *smo_html_decode(apr_pool_t *p, const char *s, size_t len, int in_attr)
{
    out_t o = { NULL, 0, 0 };

    decode_run(&o, (const unsigned char *)s, len, in_attr);
    if (!o.changed)
        return copy_of(p, s, len);
    o.buf = apr_palloc(p, o.n + 1);
    o.n = 0;
    decode_run(&o, (const unsigned char *)s, len, in_attr);
    return finish(&o);
}

/* ---- whitespace ---------------------------------------------------------- */

/* ASCII whitespace as HTML defines it, as a table: collapsing looks at
 * every byte of every title and description. */
static const unsigned char html_space[256] = { SMO_ASCII_SPACE_INIT };

char *smo_collapse_ws(char *s)
{
    char *w = s;
    const char *r = s;
    int pending = 0;

    if (!s)
        return s;
    /* Up to the first whitespace nothing moves. */
    while (*r && !html_space[(unsigned char)*r])
        r++;
    w = s + (r - s);
    for (; *r; r++) {
        if (html_space[(unsigned char)*r]) {
            pending = (w != s);
            continue;
        }
        if (pending) {
            *w++ = ' ';
            pending = 0;
        }
        *w++ = *r;
    }
    *w = '\0';
    return s;
}

/* ---- percent-encoding ------------------------------------------------------ */

/* RFC 3986 unreserved characters, which a query component carries as they
 * are; looked up per byte of every share-link value. */
#define UNRESERVED(c) (((c) >= '0' && (c) <= '9') \
                       || ((c) >= 'a' && (c) <= 'z') \
                       || ((c) >= 'A' && (c) <= 'Z') || (c) == '-' \
                       || (c) == '.' || (c) == '_' || (c) == '~')

static const unsigned char unreserved[256] = { TABLE256(UNRESERVED) };

char *smo_percent_encode(apr_pool_t *p, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    size_t i, n = len;
    char *out, *w;

    for (i = 0; i < len; i++)
        n += unreserved[u[i]] ? 0 : 2;
    w = out = apr_palloc(p, n + 1);
    if (n == len) {
        /* Nothing to encode (a slug, a plain word): one copy. */
        memcpy(out, s, len);
        out[len] = '\0';
        return out;
    }
    for (i = 0; i < len; i++) {
        if (unreserved[u[i]]) {
            *w++ = (char)u[i];
        }
        else {
            *w++ = '%';
            *w++ = hex[u[i] >> 4];
            *w++ = hex[u[i] & 0xF];
        }
    }
    *w = '\0';
    return out;
}

char *smo_percent_decode(apr_pool_t *p, const char *s, size_t len,
                         size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = apr_palloc(p, len + 1), *w = out;
    size_t i;

    for (i = 0; i < len; i++) {
        if (u[i] != '%') {
            *w++ = (char)u[i];
            continue;
        }
        if (i + 2 >= len || hex_val(u[i + 1]) < 0 || hex_val(u[i + 2]) < 0)
            return NULL;
        *w++ = (char)(hex_val(u[i + 1]) * 16 + hex_val(u[i + 2]));
        i += 2;
    }
    *w = '\0';
    if (out_len)
        *out_len = (size_t)(w - out);
    return out;
}

/* ---- charset conversion ------------------------------------------------ */

/* Labels whose meaning on the Web differs from iconv's: the WHATWG
 * Encoding standard decodes these as a superset (a page labelled
 * ISO-8859-1 that holds 0x80 means the euro sign, as browsers show it). */
static const struct {
    const char *label;
    const char *iconv_name;
} web_labels[] = {
    { "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
    { "iso88591", "WINDOWS-1252" },   { "iso_8859-1", "WINDOWS-1252" },
    { "iso_8859-1:1987", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
    { "l1", "WINDOWS-1252" },         { "cp819", "WINDOWS-1252" },
    { "ibm819", "WINDOWS-1252" },     { "iso-ir-100", "WINDOWS-1252" },
    { "csisolatin1", "WINDOWS-1252" }, { "us-ascii", "WINDOWS-1252" },
    { "ascii", "WINDOWS-1252" },      { "ansi_x3.4-1968", "WINDOWS-1252" },
    { "x-cp1252", "WINDOWS-1252" },
    { "iso-8859-9", "WINDOWS-1254" }, { "latin5", "WINDOWS-1254" },
    { "iso-8859-11", "CP874" },       { "tis-620", "CP874" },
    { "gb2312", "GBK" },              { "euc-kr", "CP949" },
    { "ks_c_5601-1987", "CP949" },
};

static int is_utf8_label(const char *l)
{
    return strcmp(l, "utf-8") == 0 || strcmp(l, "utf8") == 0
        || strcmp(l, "unicode-1-1-utf-8") == 0
        || strcmp(l, "unicode11utf8") == 0
        || strcmp(l, "unicode20utf8") == 0
        || strcmp(l, "x-unicode20utf8") == 0;
}

/* Trimmed, lower-cased label; NULL if empty. */
static char *normalise_label(apr_pool_t *p, const char *charset)
{
    const char *b = charset, *e;
    char *l, *c;

    while (smo_ascii_is_space((unsigned char)*b))
        b++;
    e = b + strlen(b);
    while (e > b && smo_ascii_is_space((unsigned char)e[-1]))
        e--;
    if (e == b)
        return NULL;
    l = apr_pstrmemdup(p, b, (apr_size_t)(e - b));
    for (c = l; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return l;
}

static char *utf8_sanitise(apr_pool_t *p, const char *s, size_t len,
                           size_t *out_len)
{
    out_t o = { NULL, 0, 0 };

    put_valid_utf8(&o, (const unsigned char *)s, len);
    *out_len = o.n;
    if (!o.changed)
        return copy_of(p, s, len);
    o.buf = apr_palloc(p, o.n + 1);
    o.n = 0;
    put_valid_utf8(&o, (const unsigned char *)s, len);
    return finish(&o);
}

/* Convert with apr_xlate (iconv); each byte iconv cannot read becomes
 * U+FFFD.  Returns NULL when iconv does not know the charset.  The output
 * buffer grows geometrically. */
static char *xlate_to_utf8(apr_pool_t *p, const char *s, size_t len,
                           const char *from, size_t *out_len)
{
    apr_xlate_t *xl;
    apr_size_t in_left = len, out_left, cap, used = 0;
    const char *in = s;
    char *buf, *nb;
    apr_status_t rv;

    if (apr_xlate_open(&xl, "UTF-8", from, p) != APR_SUCCESS)
        return NULL;
    cap = len + len / 2 + 32;
    buf = apr_palloc(p, cap);
    for (;;) {
        if (cap - used < 16) {
            nb = apr_palloc(p, cap * 2);
            memcpy(nb, buf, used);
            buf = nb;
            cap *= 2;
        }
        out_left = cap - used - 1;
        if (in_left == 0) {
            /* Let a stateful encoding (ISO-2022-JP) finish its state. */
            rv = apr_xlate_conv_buffer(xl, NULL, NULL, buf + used,
                                       &out_left);
            used = cap - 1 - out_left;
            break;
        }
        {
            apr_size_t before = in_left;

            rv = apr_xlate_conv_buffer(xl, in, &in_left, buf + used,
                                       &out_left);
            in += before - in_left;
        }
        used = cap - 1 - out_left;
        if (rv == APR_EINVAL || rv == APR_INCOMPLETE) {
            /* An invalid or truncated sequence: U+FFFD, skip one byte. */
            if (in_left == 0)
                break;
            if (cap - used < 4) {
                nb = apr_palloc(p, cap * 2);
                memcpy(nb, buf, used);
                buf = nb;
                cap *= 2;
            }
            memcpy(buf + used, "\xEF\xBF\xBD", 3);
            used += 3;
            in++;
            in_left--;
            continue;
        }
        if (rv != APR_SUCCESS)
            return NULL;
        if (in_left > 0) {
            /* iconv ran out of room (E2BIG). */
            nb = apr_palloc(p, cap * 2);
            memcpy(nb, buf, used);
            buf = nb;
            cap *= 2;
        }
    }
    buf[used] = '\0';
    *out_len = used;
    return buf;
}

int smo_charset_unwritable(const char *charset)
{
    static const char *const prefixes[] = {
        "utf-16", "utf-32", "ucs-", "iso-2022-", "csiso2022", NULL
    };
    static const char *const labels[] = {
        "hz-gb-2312", "replacement", "unicode", "csunicode", "unicodefffe",
        "unicodefeff", "iso-10646-ucs-2", NULL
    };
    char buf[64];
    size_t n, i;
    const char *b = charset;

    if (!b)
        return 0;
    while (smo_ascii_is_space((unsigned char)*b))
        b++;
    for (n = 0; b[n] && !smo_ascii_is_space((unsigned char)b[n]); n++) {
        if (n + 1 >= sizeof buf)
            return 0;       /* no such label is that long */
        buf[n] = (char)(b[n] >= 'A' && b[n] <= 'Z' ? b[n] - 'A' + 'a'
                                                   : b[n]);
    }
    buf[n] = '\0';
    for (i = 0; prefixes[i]; i++)
        if (strncmp(buf, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    for (i = 0; labels[i]; i++)
        if (strcmp(buf, labels[i]) == 0)
            return 1;
    return 0;
}

/* The iconv name of a normalised label as browsers read it, or NULL for
 * UTF-8. */
static const char *label_iconv(const char *label)
{
    size_t k;

    if (is_utf8_label(label))
        return NULL;
    for (k = 0; k < sizeof web_labels / sizeof web_labels[0]; k++)
        if (strcmp(label, web_labels[k].label) == 0)
            return web_labels[k].iconv_name;
    return label;
}

/* The iconv name of a charset label, or NULL for UTF-8 or no label. */
static const char *iconv_name(apr_pool_t *p, const char *charset)
{
    char *label = charset ? normalise_label(p, charset) : NULL;

    return label && *label ? label_iconv(label) : NULL;
}

/* No charset known (SPEC 6, "Which charset"): UTF-8 when the bytes are
 * valid UTF-8, else windows-1252, the Web's legacy default. */
static char *utf8_or_1252(apr_pool_t *p, const char *s, size_t len,
                          size_t *out_len)
{
    out_t o = { NULL, 0, 0 };
    char *r;

    put_valid_utf8(&o, (const unsigned char *)s, len);
    if (!o.changed) {
        *out_len = len;
        return copy_of(p, s, len);
    }
    r = xlate_to_utf8(p, s, len, "WINDOWS-1252", out_len);
    return r ? r : utf8_sanitise(p, s, len, out_len);
}

char *smo_to_utf8(apr_pool_t *p, const char *s, size_t len,
                  const char *charset, size_t *out_len)
{
    char *label = charset ? normalise_label(p, charset) : NULL;
    const char *from;
    char *r;
    size_t n;

    /* The length goes back to the caller: a NUL byte decodes to U+0000,
     * which the tokenizer, not the decoder, turns into U+FFFD. */
    if (!out_len)
        out_len = &n;
    if (!label || !*label)
        return utf8_or_1252(p, s, len, out_len);
    if ((from = label_iconv(label)) == NULL)
        return utf8_sanitise(p, s, len, out_len);
    r = xlate_to_utf8(p, s, len, from, out_len);
    /* A label iconv does not know is no label (as a browser ignores it). */
    return r ? r : utf8_or_1252(p, s, len, out_len);
}

/* ---- a URL query in the page's charset ---------------------------------- */

static void put_pct(out_t *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char b[3] = { '%', hex[c >> 4], hex[c & 0xF] };

    put(o, b, 3);
}

/* One pass of smo_query_encode (counting when o->buf is NULL). */
static void query_run(out_t *o, apr_xlate_t *xl, const unsigned char *s,
                      size_t len)
{
    size_t i = 0, run = 0, adv;

    while (i < len) {
        unsigned char enc[16];
        apr_size_t in_left, out_left = sizeof enc;
        const char *in;
        long cp;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        put(o, s + run, i - run);
        cp = utf8_next(s + i, len - i, &adv);
        in = (const char *)s + i;
        in_left = adv;
        if (cp >= 0 && apr_xlate_conv_buffer(xl, in, &in_left, (char *)enc,
                                             &out_left) == APR_SUCCESS
            && in_left == 0 && out_left < sizeof enc) {
            /* Every byte of the encoded character, ASCII-range trail
             * bytes (Shift_JIS) too: the result reads the same. */
            for (size_t k = 0; k < sizeof enc - out_left; k++)
                put_pct(o, enc[k]);
        }
        else {
            /* Not in the charset: the WHATWG URL encoder writes a
             * numeric character reference, percent-encoded. */
            char ref[24];
            int n = apr_snprintf(ref, sizeof ref, "%%26%%23%lu%%3B",
                                 cp >= 0 ? (unsigned long)cp : REPLACEMENT);
            put(o, ref, (size_t)n);
        }
        i += adv;
        run = i;
    }
    put(o, s + run, i - run);
}

const char *smo_query_encode(apr_pool_t *p, const char *s,
                             const char *charset)
{
    const unsigned char *u = (const unsigned char *)s;
    const char *to;
    apr_xlate_t *xl;
    out_t o = { NULL, 0, 0 };
    size_t len;

    if (!s)
        return NULL;
    for (len = 0; u[len] < 0x80 && u[len]; len++)
        ;
    if (!u[len] || !(to = iconv_name(p, charset)))
        return s;   /* ASCII, or UTF-8: encode_part's business */
    len += strlen(s + len);
    if (apr_xlate_open(&xl, to, "UTF-8", p) != APR_SUCCESS)
        return s;
    query_run(&o, xl, u, len);
    o.buf = apr_palloc(p, o.n + 1);
    o.n = 0;
    query_run(&o, xl, u, len);
    apr_xlate_close(xl);
    return finish(&o);
}

int smo_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, adv;

    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        if (utf8_next(u + i, len - i, &adv) < 0)
            return 0;
        i += adv;
    }
    return 1;
}

long smo_utf8_text_chars(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, adv;
    long chars = 0;

    while (i < len) {
        long cp = utf8_next(u + i, len - i, &adv);
        /* C0 (NUL included), DEL and C1: no place in a line of text. */
        if (cp < 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return -1;
        i += adv;
        chars++;
    }
    return chars;
}
