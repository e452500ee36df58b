/* fuzz_util.h — what the libFuzzer harnesses share: an invariant check
 * that aborts with a message (libFuzzer then saves the input), a small
 * deterministic PRNG for choices derived from the input, and byte-class
 * and UTF-8 checks the invariants are written in. */
#ifndef SMO_FUZZ_UTIL_H
#define SMO_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_tables.h>

#include "smo_url.h"

/* An invariant failed: say which (and why), then abort so that libFuzzer
 * writes the input out as a crash. */
#define FUZZ_CHECK(cond, ...)                                            \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "\nINVARIANT VIOLATED (%s:%d): %s\n  ",      \
                    __FILE__, __LINE__, #cond);                          \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
            abort();                                                     \
        }                                                                \
    } while (0)

/* Print bytes C-escaped (NUL bytes and all) in a violation report. */
static inline void fuzz_dump(const char *label, const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    fprintf(stderr, "--- %s (%zu bytes)\n\"", label, n);
    for (size_t i = 0; i < n && i < 4096; i++) {
        if (b[i] == '\\' || b[i] == '"')
            fprintf(stderr, "\\%c", b[i]);
        else if (b[i] == '\n')
            fputs("\\n\"\n\"", stderr);
        else if (b[i] < 0x20 || b[i] >= 0x7f)
            fprintf(stderr, "\\x%02x\"\"", b[i]);
        else
            fputc(b[i], stderr);
    }
    fputs("\"\n", stderr);
}

/* xorshift64*: choices (chunk sizes, FLUSH points) that depend only on
 * the input, so that every crash replays. */
static inline uint64_t fuzz_rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

static inline uint64_t fuzz_seed(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ULL;
    return h ? h : 1;
}

/* A byte that must never appear raw in a URL mod_smo writes or redirects
 * to: whitespace, controls, quotes, angle brackets, backslash, non-ASCII. */
static inline int fuzz_bad_url_byte(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' ||
           c == '>' || c == '\\';
}

static inline const char *fuzz_find_bad_url_byte(const char *s)
{
    for (; *s; s++)
        if (fuzz_bad_url_byte((unsigned char)*s))
            return s;
    return NULL;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), 0 if ill-formed.  *cp
 * receives the code point. */
static inline size_t fuzz_utf8_seq(const unsigned char *s, size_t n,
                                   uint32_t *cp)
{
    uint32_t c;
    size_t len, i;
    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static inline int fuzz_valid_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;
    size_t k;
    for (size_t i = 0; i < n; i += k)
        if ((k = fuzz_utf8_seq(u + i, n - i, &cp)) == 0)
            return 0;
    return 1;
}

/* No query parameter of the URL `u` (the query ends at '#') that one of
 * the SMOStripParams globs matches. */
static inline void fuzz_check_stripped(const char *what, const char *u,
                                       const apr_array_header_t *globs)
{
    const char *frag = strchr(u, '#');
    const char *end = frag ? frag : u + strlen(u);
    const char *q = memchr(u, '?', (size_t)(end - u));
    if (!q)
        return;
    for (const char *seg = q + 1; seg < end;) {
        const char *amp = memchr(seg, '&', (size_t)(end - seg));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(seg, '=', (size_t)(stop - seg));
        size_t nlen = (size_t)((eq ? eq : stop) - seg);
        FUZZ_CHECK(!nlen || !smo_url_param_matches(seg, nlen, globs),
                   "%s left a tracking parameter: %s", what, u);
        seg = stop + 1;
    }
}

#endif
