/* smo_ascii.h — the ASCII tests HTML defines, one copy for all of lib/.
 *
 * HTML compares names and keywords ASCII case-insensitively and knows its
 * own whitespace; the C library's isspace/tolower/strncasecmp follow the
 * locale, which is not what the standard means (httpd runs in the C
 * locale, but a library embedding the engine may not).  These never look
 * at the locale and are inline: they sit in the hottest loops.
 */
#ifndef SMO_ASCII_H
#define SMO_ASCII_H

#include <stddef.h>
#include <string.h>

/* ASCII whitespace as HTML defines it: tab, LF, FF, CR, space (no VT). */
static inline int smo_ascii_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The same set as designated initializers, for a 256-entry table where a
 * loop wants one load per byte: `static const unsigned char t[256] =
 * { SMO_ASCII_SPACE_INIT };` */
#define SMO_ASCII_SPACE_INIT \
    ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1

/* An ASCII letter (either case). */
static inline int smo_ascii_is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* ASCII lowercase: A-Z become a-z, every other byte stays. */
static inline unsigned char smo_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* Do the n bytes at a and b agree ASCII case-insensitively?  NUL is an
 * ordinary byte here (n decides the length, not a terminator). */
static inline int smo_ascii_ci_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (smo_ascii_lower((unsigned char)a[i]) !=
            smo_ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* The same where `lower` is already ASCII-lowercase (a name the code
 * spells).  The first byte turns most candidates away, and pages mostly
 * write names in lowercase, which memcmp settles at once: a call per
 * candidate name was a measurable share of every head tag. */
static inline int smo_ascii_ci_eq_lower(const char *a, const char *lower,
                                        size_t n)
{
    if (n == 0)
        return 1;
    if (smo_ascii_lower((unsigned char)a[0]) != (unsigned char)lower[0])
        return 0;
    if (memcmp(a, lower, n) == 0)
        return 1;
    for (size_t i = 1; i < n; i++)
        if (smo_ascii_lower((unsigned char)a[i]) != (unsigned char)lower[i])
            return 0;
    return 1;
}

#endif
