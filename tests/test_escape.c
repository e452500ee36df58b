/* test_escape.c — unit tests for lib/escape.c: what a page or a share link
 * ends up holding when mod_smo writes a value. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>

#include "../lib/smo_ascii.h"
#include "../lib/smo_escape.h"
#include "toolkit.h"

static const char *esc(const char *s)
{
    return smo_escape_attr(pool, s, strlen(s));
}

static const char *dec(const char *s, int in_attr)
{
    return smo_html_decode(pool, s, strlen(s), in_attr);
}

/* ---- smo_escape_attr ---------------------------------------------------- */

static const struct {
    const char *in, *out;
} attr_cases[] = {
    { "Caf\xC3\xA9", "Caf&#xE9;" },
    { "\"><script>alert('x')</script>",
      "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
    { "Fish & Chips", "Fish &amp; Chips" },
    { "&amp;", "&amp;amp;" },
    { "plain ascii 123", "plain ascii 123" },
    { "", "" },
    { "\xE2\x82\xAC 5", "&#x20AC; 5" },               /* euro sign */
    { "\xF0\x9F\x98\x80", "&#x1F600;" },              /* emoji, 4 bytes */
    { "\xE6\x97\xA5\xE6\x9C\xAC", "&#x65E5;&#x672C;" }, /* CJK */
    { "tab\there\nnl\rcr", "tab\there\nnl\rcr" },
    { "bell\x07", "bell&#xFFFD;" },
    { "del\x7F", "del&#xFFFD;" },
    { "\xC2\x85", "&#xFFFD;" },                       /* C1 NEL */
    { "\xC2\x80", "&#xFFFD;" },                       /* would read as euro */
    { "\xEF\xBF\xBE", "&#xFFFD;" },                   /* U+FFFE: not XML */
    { "\xEF\xB7\x90", "&#xFFFD;" },                   /* U+FDD0 */
    { "\xC2\xA0", "&#xA0;" },                         /* nbsp is fine */
    { "\xC0\xAF", "&#xFFFD;&#xFFFD;" },               /* overlong '/' */
    { "\xE0\x80\xAF", "&#xFFFD;&#xFFFD;&#xFFFD;" },   /* overlong, 3 bytes */
    { "\xED\xA0\x80", "&#xFFFD;&#xFFFD;&#xFFFD;" },   /* surrogate D800 */
    { "\xF4\x90\x80\x80", "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;" }, /* >10FFFF */
    { "\xE2\x82", "&#xFFFD;" },                       /* truncated at end */
    { "\xC3" "A", "&#xFFFD;A" },                      /* truncated, then A */
    { "\xE2\x82" "x\xE2\x82\xAC", "&#xFFFD;x&#x20AC;" },
    { "\xFF\xFE", "&#xFFFD;&#xFFFD;" },
    { "\x80", "&#xFFFD;" },                           /* lone continuation */
};

START_TEST(attr_table)
{
    const char *got = esc(attr_cases[_i].in);

    ck_assert_msg(strcmp(got, attr_cases[_i].out) == 0,
                  "case %d: expected \"%s\", got \"%s\"", _i,
                  attr_cases[_i].out, got);
}
END_TEST

START_TEST(attr_nul_inside)
{
    ck_assert_str_eq(smo_escape_attr(pool, "a\0b", 3), "a&#xFFFD;b");
}
END_TEST

/* Whatever bytes come in, the output is ASCII, holds no character that
 * could close the attribute or open a tag, and every '&' starts one of
 * the references we write. */
START_TEST(attr_all_bytes_neutralised)
{
    char in[512];
    const char *out, *c;
    int i;

    for (i = 0; i < 256; i++) {
        in[2 * i] = (char)i;
        in[2 * i + 1] = (char)(255 - i);
    }
    out = smo_escape_attr(pool, in, sizeof in);
    for (c = out; *c; c++) {
        ck_assert_msg((unsigned char)*c < 0x80, "non-ASCII byte in output");
        ck_assert_msg(*c != '<' && *c != '>' && *c != '"' && *c != '\'',
                      "markup character in output");
        if (*c == '&')
            ck_assert_msg(strncmp(c, "&amp;", 5) == 0
                          || strncmp(c, "&lt;", 4) == 0
                          || strncmp(c, "&gt;", 4) == 0
                          || strncmp(c, "&quot;", 6) == 0
                          || strncmp(c, "&#39;", 5) == 0
                          || strncmp(c, "&#x", 3) == 0,
                          "stray '&' at offset %d", (int)(c - out));
    }
}
END_TEST

/* Escaping then decoding gives the original back for valid text. */
START_TEST(attr_round_trip)
{
    const char *s = "\"Caf\xC3\xA9\" <b> & 'x' \xF0\x9F\x98\x80 \xE2\x82\xAC";

    ck_assert_str_eq(dec(esc(s), 1), s);
}
END_TEST

START_TEST(attr_large_input)
{
    size_t n = 300000, i;
    char *in = malloc(n);
    const char *out;

    ck_assert_ptr_nonnull(in);
    for (i = 0; i < n; i += 2) {
        in[i] = (char)0xC3;
        in[i + 1] = (char)0xA9;
    }
    out = smo_escape_attr(pool, in, n);
    ck_assert_uint_eq(strlen(out), n / 2 * 6);
    ck_assert(strncmp(out, "&#xE9;&#xE9;", 12) == 0);
    ck_assert_str_eq(out + strlen(out) - 6, "&#xE9;");
    free(in);
}
END_TEST

/* ---- smo_html_decode ---------------------------------------------------- */

static const struct {
    const char *in;
    int in_attr;
    const char *out;
} dec_cases[] = {
    { "&amp;", 0, "&" },
    { "&amp;", 1, "&" },
    { "&lt;b&gt; &quot;x&quot;", 0, "<b> \"x\"" },
    { "Caf&eacute; &amp; Bar", 0, "Caf\xC3\xA9 & Bar" },
    { "&Eacute;", 0, "\xC3\x89" },
    { "&EACUTE;", 0, "&EACUTE;" },                /* names are case-sensitive */
    /* the legacy prefix rule */
    { "&notit;", 0, "\xC2\xACit;" },
    { "&notit;", 1, "&notit;" },
    { "&notin;", 0, "\xE2\x88\x89" },
    { "&notin", 0, "\xC2\xACin" },
    { "&not", 0, "\xC2\xAC" },
    { "&not", 1, "\xC2\xAC" },
    { "&not x", 1, "\xC2\xAC x" },
    { "?a=1&not=2", 1, "?a=1&not=2" },
    { "?a=1&copy=2", 1, "?a=1&copy=2" },
    { "?a=1&copy=2", 0, "?a=1\xC2\xA9=2" },
    { "&ampx", 0, "&x" },
    { "&ampx", 1, "&ampx" },
    { "&amp;x", 1, "&x" },
    { "&amp", 0, "&" },
    { "&lt3", 0, "<3" },
    { "&frac12", 0, "\xC2\xBD" },
    { "&frac12;", 0, "\xC2\xBD" },
    { "&nbsp;x", 0, "\xC2\xA0x" },
    { "&Eacute", 0, "\xC3\x89" },
    { "&AMP;", 0, "&" },
    { "&AMP", 0, "&" },
    { "&LT;&GT;&QUOT;", 0, "<>\"" },
    { "&COPY", 0, "\xC2\xA9" },
    { "&REG;", 0, "\xC2\xAE" },
    { "&hellip;", 0, "\xE2\x80\xA6" },            /* HTML 4, needs ';' */
    { "&hellip", 0, "&hellip" },
    { "&euro;", 0, "\xE2\x82\xAC" },
    { "&euro", 0, "&euro" },
    { "&apos;", 0, "'" },
    { "&NotEqual;", 0, "&NotEqual;" },            /* HTML5-only: documented */
    { "&bogus;", 0, "&bogus;" },
    { "& b", 0, "& b" },
    { "&", 0, "&" },
    { "a&&b", 0, "a&&b" },
    { "&;", 0, "&;" },
    /* numeric references */
    { "&#65;&#x42;&#X43;", 0, "ABC" },
    { "&#65", 0, "A" },
    { "&#65x", 0, "Ax" },
    { "&#x41g", 0, "Ag" },
    { "&#128;", 0, "\xE2\x82\xAC" },
    { "&#x80;", 0, "\xE2\x82\xAC" },
    { "&#x9F;", 0, "\xC5\xB8" },
    { "&#150;", 0, "\xE2\x80\x93" },
    { "&#x81;", 0, "\xC2\x81" },                  /* no windows-1252 char */
    { "&#0;", 0, "\xEF\xBF\xBD" },
    { "&#x0;", 0, "\xEF\xBF\xBD" },
    { "&#xD800;", 0, "\xEF\xBF\xBD" },
    { "&#xDFFF;", 0, "\xEF\xBF\xBD" },
    { "&#x110000;", 0, "\xEF\xBF\xBD" },
    { "&#99999999999999999999999;", 0, "\xEF\xBF\xBD" },
    { "&#x10FFFF;", 0, "\xF4\x8F\xBF\xBF" },
    { "&#x1F600;", 0, "\xF0\x9F\x98\x80" },
    { "&#x00000041;", 0, "A" },
    { "&#;", 0, "&#;" },
    { "&#x;", 0, "&#x;" },
    { "&#", 0, "&#" },
    { "&#xZ", 0, "&#xZ" },
    { "&#233;t&#xE9;", 1, "\xC3\xA9t\xC3\xA9" },
    /* UTF-8 passes through; invalid sequences are replaced */
    { "\xE6\x97\xA5 ok", 0, "\xE6\x97\xA5 ok" },
    { "bad\xFF", 0, "bad\xEF\xBF\xBD" },
    { "\xED\xA0\x80", 0, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
};

START_TEST(dec_table)
{
    const char *got = dec(dec_cases[_i].in, dec_cases[_i].in_attr);

    ck_assert_msg(strcmp(got, dec_cases[_i].out) == 0,
                  "case %d (%s, in_attr=%d): expected \"%s\", got \"%s\"",
                  _i, dec_cases[_i].in, dec_cases[_i].in_attr,
                  dec_cases[_i].out, got);
}
END_TEST

START_TEST(dec_nul)
{
    ck_assert_str_eq(smo_html_decode(pool, "a\0b", 3, 0), "a\xEF\xBF\xBD" "b");
    ck_assert_str_eq(smo_html_decode(pool, "&amp;\0", 6, 1),
                     "&\xEF\xBF\xBD");
}
END_TEST

/* Only `len` bytes are read: a reference cut by the length is not
 * completed from the bytes after it. */
START_TEST(dec_length_bound)
{
    ck_assert_str_eq(smo_html_decode(pool, "&amp;", 4, 0), "&");
    ck_assert_str_eq(smo_html_decode(pool, "&amp;", 3, 0), "&am");
    ck_assert_str_eq(smo_html_decode(pool, "&notin;", 5, 0), "\xC2\xACi");
    ck_assert_str_eq(smo_html_decode(pool, "&#65;", 2, 0), "&#");
    ck_assert_str_eq(smo_html_decode(pool, "x&lt;", 1, 0), "x");
}
END_TEST

/* The title path of SPEC section 3: decode, collapse, re-escape. */
START_TEST(dec_title_pipeline)
{
    const char *src = "  Caf&eacute;\n\t&amp;  &lt;Bar&gt; ";
    char *t = smo_html_decode(pool, src, strlen(src), 0);

    ck_assert_str_eq(esc(smo_collapse_ws(t)),
                     "Caf&#xE9; &amp; &lt;Bar&gt;");
}
END_TEST

/* ---- smo_collapse_ws ---------------------------------------------------- */

static const struct {
    const char *in, *out;
} ws_cases[] = {
    { "  a \t\n b\r\n  c  ", "a b c" },
    { "abc", "abc" },
    { "", "" },
    { " \t\r\n\f ", "" },
    { "one  two", "one two" },
    { "x\xC2\xA0y", "x\xC2\xA0y" },               /* nbsp is not ASCII ws */
};

START_TEST(ws_table)
{
    char *s = strcpy(apr_palloc(pool, strlen(ws_cases[_i].in) + 1),
                     ws_cases[_i].in);
    char *r = smo_collapse_ws(s);

    ck_assert_ptr_eq(r, s);
    ck_assert_str_eq(r, ws_cases[_i].out);
}
END_TEST

/* lib/smo_ascii.h against HTML's definitions, for every byte: the
 * locale plays no part (a byte >= 0x80 is never a letter or a space). */
START_TEST(ascii_helpers)
{
    static const unsigned char space[256] = { SMO_ASCII_SPACE_INIT };
    for (unsigned c = 0; c < 256; c++) {
        int sp = c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
        int up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
        char a = (char)c, b = (char)(up ? c + 32 : lo ? c - 32 : c);
        ck_assert_int_eq(smo_ascii_is_space((unsigned char)c), sp);
        ck_assert_int_eq(space[c], sp);
        ck_assert_int_eq(smo_ascii_is_alpha((unsigned char)c), up || lo);
        ck_assert_uint_eq(smo_ascii_lower((unsigned char)c),
                          up ? c + 32 : c);
        ck_assert(smo_ascii_ci_eq(&a, &b, 1));
        if (!up)
            ck_assert(smo_ascii_ci_eq_lower(&b, &a, 1));
    }
    ck_assert(smo_ascii_ci_eq("Content-TYPE", "content-type", 12));
    ck_assert(!smo_ascii_ci_eq("content-typf", "content-type", 12));
    ck_assert(smo_ascii_ci_eq("ab\0X", "AB\0x", 4));   /* NUL: a byte */
    ck_assert(!smo_ascii_ci_eq("ab\0x", "AB\0y", 4));
    ck_assert(smo_ascii_ci_eq("anything", "else", 0));
    ck_assert(smo_ascii_ci_eq_lower("HTTP-Equiv", "http-equiv", 10));
    ck_assert(smo_ascii_ci_eq_lower("http-equiv", "http-equiv", 10));
    ck_assert(!smo_ascii_ci_eq_lower("Http-equix", "http-equiv", 10));
    ck_assert(!smo_ascii_ci_eq_lower("xttp", "http", 4));
    ck_assert(smo_ascii_ci_eq_lower("", "", 0));
    /* U+212A KELVIN SIGN and U+0130 are not 'k' and 'i' to HTML. */
    ck_assert(!smo_ascii_ci_eq_lower("\xE2\x84\xAA", "k", 1));
    ck_assert(!smo_ascii_ci_eq("\xC4\xB0", "i", 1));
}
END_TEST

/* The plain prefix is exactly what smo_escape_attr copies unchanged:
 * escaping the prefix and the rest apart gives the same result. */
START_TEST(attr_plain_prefix)
{
    static const char *const cases[] = {
        "", "plain text", "a&b", "&", "Caf\xC3\xA9", "tab\there",
        "x\x7Fy", "q\"uote", "it's", "<tag>", "~!@#$%^*()_+{}|:?[]\\;,./`",
    };
    size_t i;

    ck_assert_uint_eq(smo_attr_plain_prefix("abc&def", 7), 3);
    ck_assert_uint_eq(smo_attr_plain_prefix("abc", 3), 3);
    ck_assert_uint_eq(smo_attr_plain_prefix("abc", 2), 2);
    ck_assert_uint_eq(smo_attr_plain_prefix("\xC3\xA9", 2), 0);
    ck_assert_uint_eq(smo_attr_plain_prefix("a\nb", 3), 1);
    ck_assert_uint_eq(smo_attr_plain_prefix("a\0b", 3), 1);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i];
        size_t n = strlen(s), k = smo_attr_plain_prefix(s, n);
        char *joined = malloc(strlen(esc(s)) + 1);

        ck_assert_uint_le(k, n);
        memcpy(joined, s, k);
        strcpy(joined + k, smo_escape_attr(pool, s + k, n - k));
        ck_assert_str_eq(joined, esc(s));
        free(joined);
    }
}
END_TEST

/* A value with nothing to rewrite comes back as an equal copy, never the
 * input itself (callers may modify the result in place). */
START_TEST(unchanged_values_are_copies)
{
    char in[] = "plain ASCII, Caf\xC3\xA9 and \xE2\x82\xAC";
    char *e = smo_escape_attr(pool, "plain", 5);
    char *d = smo_html_decode(pool, in, strlen(in), 0);
    char *u = smo_to_utf8(pool, in, strlen(in), "utf-8", NULL);

    ck_assert_str_eq(e, "plain");
    ck_assert_str_eq(d, in);
    ck_assert_ptr_ne(d, in);
    ck_assert_str_eq(u, in);
    ck_assert_ptr_ne(u, in);
    /* cut inside a character: the copy path must not be taken */
    ck_assert_str_eq(smo_to_utf8(pool, in, strlen(in) - 1, "utf-8", NULL),
                     "plain ASCII, Caf\xC3\xA9 and \xEF\xBF\xBD");
    ck_assert_str_eq(dec("a&amp;b", 0), "a&b");
    ck_assert_str_eq(smo_percent_encode(pool, "slug-1.0_~", 10),
                     "slug-1.0_~");
}
END_TEST

/* ---- percent-encoding ------------------------------------------------- */

START_TEST(pct_encode)
{
    ck_assert_str_eq(smo_percent_encode(pool, "Caf\xC3\xA9", 5), "Caf%C3%A9");
    ck_assert_str_eq(smo_percent_encode(pool, "", 0), "");
    ck_assert_str_eq(smo_percent_encode(pool, "AZaz09-._~", 10), "AZaz09-._~");
    ck_assert_str_eq(
        smo_percent_encode(pool, "https://x.com/a b?c=d&e+f#g", 27),
        "https%3A%2F%2Fx.com%2Fa%20b%3Fc%3Dd%26e%2Bf%23g");
    ck_assert_str_eq(smo_percent_encode(pool, "a\0b", 3), "a%00b");
}
END_TEST

START_TEST(pct_decode)
{
    size_t n = 99;
    char *r;

    ck_assert_str_eq(smo_percent_decode(pool, "Caf%C3%A9", 9, &n),
                     "Caf\xC3\xA9");
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(smo_percent_decode(pool, "%2f%2F+x", 8, NULL), "//+x");
    r = smo_percent_decode(pool, "a%00b", 5, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(r, "a\0b", 4) == 0);
    ck_assert_str_eq(smo_percent_decode(pool, "", 0, &n), "");
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(smo_percent_decode(pool, "%zz", 3, &n));
    ck_assert_ptr_null(smo_percent_decode(pool, "ab%4", 4, &n));
    ck_assert_ptr_null(smo_percent_decode(pool, "ab%", 3, &n));
    ck_assert_ptr_null(smo_percent_decode(pool, "%4g", 3, &n));
    /* the length bounds the input: "%41" cut after "%4" is malformed */
    ck_assert_ptr_null(smo_percent_decode(pool, "%41", 2, &n));
}
END_TEST

START_TEST(pct_round_trip_all_bytes)
{
    char in[256];
    const char *enc;
    char *back;
    size_t n;
    int i;

    for (i = 0; i < 256; i++)
        in[i] = (char)i;
    enc = smo_percent_encode(pool, in, sizeof in);
    back = smo_percent_decode(pool, enc, strlen(enc), &n);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(n, sizeof in);
    ck_assert(memcmp(back, in, sizeof in) == 0);
}
END_TEST

/* ---- smo_to_utf8 ---------------------------------------------------------- */

static const struct {
    const char *in;
    const char *charset;
    const char *out;
} conv_cases[] = {
    { "Caf\xE9", "ISO-8859-1", "Caf\xC3\xA9" },
    { "Caf\xE9", "iso-8859-1", "Caf\xC3\xA9" },
    { "Caf\xE9", "latin1", "Caf\xC3\xA9" },
    { "Caf\xE9", " Windows-1252 ", "Caf\xC3\xA9" },
    { "\x80 \x93x\x94", "windows-1252", "\xE2\x82\xAC \xE2\x80\x9Cx\xE2\x80\x9D" },
    /* pages labelled ISO-8859-1 are windows-1252 to browsers */
    { "\x80", "ISO-8859-1", "\xE2\x82\xAC" },
    { "\x81", "windows-1252", "\xEF\xBF\xBD" },   /* unassigned byte */
    { "\xE9t\xE9", "ISO-8859-15", "\xC3\xA9t\xC3\xA9" },
    { "\xA4", "ISO-8859-15", "\xE2\x82\xAC" },
    { "\x82\xA0", "Shift_JIS", "\xE3\x81\x82" },
    { "\xA4\xA2", "EUC-JP", "\xE3\x81\x82" },
    { "\x1B$B$\"\x1B(B", "ISO-2022-JP", "\xE3\x81\x82" },
    { "\xC4\xE3", "GB2312", "\xE4\xBD\xA0" },
    { "\xA4\xA2" "\xA4", "EUC-JP", "\xE3\x81\x82\xEF\xBF\xBD" }, /* cut */
    { "Caf\xC3\xA9", "UTF-8", "Caf\xC3\xA9" },
    { "Caf\xC3\xA9", "utf8", "Caf\xC3\xA9" },
    { "Caf\xC3\xA9\xFF", "UTF-8", "Caf\xC3\xA9\xEF\xBF\xBD" },
    /* no charset known (SPEC 6): UTF-8 if valid, else windows-1252 */
    { "Caf\xC3\xA9", NULL, "Caf\xC3\xA9" },
    { "Caf\xE9 cr\xE8me", NULL, "Caf\xC3\xA9 cr\xC3\xA8me" },
    { "\x80", NULL, "\xE2\x82\xAC" },
    { "Caf\xC3\xA9\xFF", NULL, "Caf\xC3\x83\xC2\xA9\xC3\xBF" },
    { "Caf\xC3\xA9\xFF", "", "Caf\xC3\x83\xC2\xA9\xC3\xBF" },
    { "Caf\xE9", " ", "Caf\xC3\xA9" },
    { "Caf\xC3\xA9\xFF", "x-no-such-charset", "Caf\xC3\x83\xC2\xA9\xC3\xBF" },
    { "Caf\xC3\xA9", "x-no-such-charset", "Caf\xC3\xA9" },
    { "\xC0\xAF", "utf-8", "\xEF\xBF\xBD\xEF\xBF\xBD" },
};

START_TEST(conv_table)
{
    const char *got = smo_to_utf8(pool, conv_cases[_i].in,
                                  strlen(conv_cases[_i].in),
                                  conv_cases[_i].charset, NULL);

    ck_assert_ptr_nonnull(got);
    ck_assert_msg(strcmp(got, conv_cases[_i].out) == 0,
                  "case %d (%s): got \"%s\"", _i,
                  conv_cases[_i].charset ? conv_cases[_i].charset : "NULL",
                  got);
}
END_TEST

/* Output larger than the first buffer guess: the buffer must grow. */
START_TEST(conv_large)
{
    size_t n = 100000;
    char *in = malloc(n);
    const char *out;

    ck_assert_ptr_nonnull(in);
    memset(in, 0xE9, n);
    in[n / 2] = (char)0x80;
    out = smo_to_utf8(pool, in, n, "ISO-8859-1", NULL);
    ck_assert_uint_eq(strlen(out), 2 * n + 1);
    ck_assert(memcmp(out, "\xC3\xA9\xC3\xA9", 4) == 0);
    ck_assert(memcmp(out + n, "\xE2\x82\xAC", 3) == 0);
    ck_assert_str_eq(out + strlen(out) - 2, "\xC3\xA9");
    /* many invalid bytes in a row, each one U+FFFD */
    memset(in, 0x81, n);
    out = smo_to_utf8(pool, in, n, "windows-1252", NULL);
    ck_assert_uint_eq(strlen(out), 3 * n);
    free(in);
}
END_TEST

/* Configuration text must be UTF-8 (issue 13, item 11). */
START_TEST(utf8_validity)
{
    ck_assert(smo_utf8_valid("", 0));
    ck_assert(smo_utf8_valid("plain", 5));
    ck_assert(smo_utf8_valid("Caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80", 14));
    ck_assert(smo_utf8_valid("a\0b", 3));
    ck_assert(!smo_utf8_valid("Caf\xE9", 4));           /* latin1 */
    ck_assert(!smo_utf8_valid("\xC3", 1));              /* cut short */
    ck_assert(!smo_utf8_valid("\xC0\xAF", 2));          /* overlong */
    ck_assert(!smo_utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    ck_assert(!smo_utf8_valid("\xF4\x90\x80\x80", 4));  /* past U+10FFFF */
}
END_TEST

/* A NUL byte converts to U+0000 and the length says so, in every
 * charset: the page text after it is not lost. */
START_TEST(conv_nul)
{
    static const char *const charsets[] = {
        "utf-8", NULL, "windows-1252", "ISO-8859-15", "Shift_JIS",
    };
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++) {
        size_t n = 99;
        const char *out = smo_to_utf8(pool, "a\0b", 3, charsets[i], &n);

        ck_assert_msg(n == 3 && memcmp(out, "a\0b", 4) == 0,
                      "%s: length %zu", charsets[i] ? charsets[i] : "NULL",
                      n);
        /* Decoding that length reads the NUL as the tokenizer does. */
        ck_assert_str_eq(smo_html_decode(pool, out, n, 0),
                         "a\xEF\xBF\xBD" "b");
    }
}
END_TEST

/* A URL query from a page, in its charset (WHATWG URL parser). */
START_TEST(query_in_charset)
{
    static const struct {
        const char *in, *charset, *out;
    } cases[] = {
        { "q=caf\xC3\xA9", "windows-1252", "q=caf%E9" },
        { "q=caf\xC3\xA9", "ISO-8859-1", "q=caf%E9" },
        { "q=\xE2\x82\xAC", "iso-8859-1", "q=%80" },       /* the euro sign */
        /* Not in the charset: the numeric reference, percent-encoded. */
        { "q=\xE4\xB8\xAD&r=1", "windows-1252", "q=%26%2320013%3B&r=1" },
        { "q=\xE3\x81\x82", "Shift_JIS", "q=%82%A0" },
        { "q=\xE8\xA1\xA8", "Shift_JIS", "q=%95%5C" },      /* trail byte '\\' */
        /* UTF-8 pages, unknown charsets and ASCII: left to the URL code. */
        { "q=caf\xC3\xA9", "utf-8", "q=caf\xC3\xA9" },
        { "q=caf\xC3\xA9", NULL, "q=caf\xC3\xA9" },
        { "q=caf\xC3\xA9", "x-no-such", "q=caf\xC3\xA9" },
        { "q=a b%20", "windows-1252", "q=a b%20" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = smo_query_encode(pool, cases[i].in, cases[i].charset);
        ck_assert_msg(!strcmp(got, cases[i].out), "case %zu: %s", i, got);
    }
    ck_assert_ptr_null(smo_query_encode(pool, NULL, "windows-1252"));
}
END_TEST

/* Charsets mod_smo's ASCII markup cannot go into (issue 13, item 9). */
START_TEST(unwritable_charsets)
{
    static const char *const yes[] = {
        "ISO-2022-JP", "iso-2022-jp", " iso-2022-kr ", "ISO-2022-CN-EXT",
        "csISO2022JP", "HZ-GB-2312", "UTF-16", "utf-16le", "UTF-32BE",
        "UCS-2", "replacement", "unicodeFFFE", NULL
    };
    static const char *const no[] = {
        "utf-8", "ISO-8859-1", "Shift_JIS", "EUC-JP", "windows-1252",
        "GB18030", "iso-2022", "utf-8 ", "", NULL
    };
    for (int i = 0; yes[i]; i++)
        ck_assert_msg(smo_charset_unwritable(yes[i]), "%s", yes[i]);
    for (int i = 0; no[i]; i++)
        ck_assert_msg(!smo_charset_unwritable(no[i]), "%s", no[i]);
    ck_assert(!smo_charset_unwritable(NULL));
}
END_TEST

/* One line of plain text: characters counted, controls and bad UTF-8
 * refused (the click handler's test of a title, SPEC 7). */
START_TEST(utf8_text_chars)
{
    ck_assert_int_eq(smo_utf8_text_chars("", 0), 0);
    ck_assert_int_eq(smo_utf8_text_chars("Tea", 3), 3);
    ck_assert_int_eq(smo_utf8_text_chars("caf\xC3\xA9", 5), 4);
    ck_assert_int_eq(smo_utf8_text_chars("\xF0\x9F\x8D\xB5", 4), 1);
    ck_assert_int_eq(smo_utf8_text_chars("\xC2\xA0", 2), 1);   /* NBSP */
    ck_assert_int_eq(smo_utf8_text_chars("a\0b", 3), -1);
    ck_assert_int_eq(smo_utf8_text_chars("a\tb", 3), -1);
    ck_assert_int_eq(smo_utf8_text_chars("a\r\nb", 4), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\x7F", 1), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\xC2\x80", 2), -1);  /* U+0080 */
    ck_assert_int_eq(smo_utf8_text_chars("\xC2\x9F", 2), -1);  /* U+009F */
    ck_assert_int_eq(smo_utf8_text_chars("\xC3", 1), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\xC0\xAF", 2), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\xED\xA0\x80", 3), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\xF4\x90\x80\x80", 4), -1);
    ck_assert_int_eq(smo_utf8_text_chars("\xFF", 1), -1);
}
END_TEST

static Suite *escape_suite(void)
{
    Suite *s = suite_create("escape");
    TCase *tc;

    tc = tcase_create("attr");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_loop_test(tc, attr_table, 0,
                        (int)(sizeof attr_cases / sizeof attr_cases[0]));
    tcase_add_test(tc, attr_nul_inside);
    tcase_add_test(tc, attr_all_bytes_neutralised);
    tcase_add_test(tc, attr_round_trip);
    tcase_add_test(tc, attr_large_input);
    tcase_add_test(tc, attr_plain_prefix);
    tcase_add_test(tc, unchanged_values_are_copies);
    suite_add_tcase(s, tc);

    tc = tcase_create("decode");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_loop_test(tc, dec_table, 0,
                        (int)(sizeof dec_cases / sizeof dec_cases[0]));
    tcase_add_test(tc, dec_nul);
    tcase_add_test(tc, dec_length_bound);
    tcase_add_test(tc, dec_title_pipeline);
    suite_add_tcase(s, tc);

    tc = tcase_create("whitespace");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, ascii_helpers);
    tcase_add_loop_test(tc, ws_table, 0,
                        (int)(sizeof ws_cases / sizeof ws_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("percent");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, pct_encode);
    tcase_add_test(tc, pct_decode);
    tcase_add_test(tc, pct_round_trip_all_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("charset");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_loop_test(tc, conv_table, 0,
                        (int)(sizeof conv_cases / sizeof conv_cases[0]));
    tcase_add_test(tc, conv_large);
    tcase_add_test(tc, conv_nul);
    tcase_add_test(tc, utf8_validity);
    tcase_add_test(tc, query_in_charset);
    tcase_add_test(tc, unwritable_charsets);
    tcase_add_test(tc, utf8_text_chars);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { escape_suite, 0, NULL };
