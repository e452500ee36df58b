/* confcheck.c — parsers of directive values and of a Content-Type's
 * charset (smo_confcheck.h).  Moved out of the glue as they were: the
 * byte classes are APR's (apr_isdigit and friends), as httpd's own
 * directive parsers use. */
#include "smo_confcheck.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_lib.h>
#include <apr_strings.h>

smo_size_status smo_parse_size(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t n = 0, unit = 1;

    if (!apr_isdigit(*s)) {
        return SMO_SIZE_BAD;
    }
    for (; apr_isdigit(*s); s++) {
        if (n > (UINT64_MAX - 9) / 10) {
            return SMO_SIZE_TOO_LARGE;
        }
        n = n * 10 + (uint64_t)(*s - '0');
    }
    if (*s == 'K' || *s == 'k') {
        unit = 1024;
        s++;
    }
    else if (*s == 'M' || *s == 'm') {
        unit = 1024 * 1024;
        s++;
    }
    if (*s != '\0') {
        return SMO_SIZE_BAD;
    }
    if (n > max / unit) {
        return SMO_SIZE_TOO_LARGE;
    }
    *out = n * unit;
    return SMO_SIZE_OK;
}

const char *smo_check_meta_name(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;

    if (*s == '\0') {
        return "is empty";
    }
    for (; *s; s++) {
        if (apr_isspace(*s) || apr_iscntrl(*s)) {
            return "contains whitespace or a control character";
        }
        if (*s == '"' || *s == '\'' || *s == '<' || *s == '>'
            || *s == '`' || *s == '=') {
            return "contains a quote, '<', '>' or '='";
        }
    }
    return NULL;
}

const char *smo_check_host(const char *h)
{
    const unsigned char *s = (const unsigned char *)h;
    size_t n = strlen(h);

    if (n == 0) {
        return "is empty";
    }
    if (n > 253 + 1) {
        return "is too long for a host name";
    }
    if (*s == '[') {
        if (n < 4 || h[n - 1] != ']') {
            return "is not a bracketed IPv6 address";
        }
        for (s++; *s != ']'; s++) {
            if (!apr_isxdigit(*s) && *s != ':' && *s != '.') {
                return "is not a bracketed IPv6 address";
            }
        }
        return NULL;
    }
    if (*s == '.' || *s == '-') {
        return "starts with '.' or '-'";
    }
    for (; *s; s++) {
        if (!apr_isalnum(*s) && *s != '-' && *s != '_' && *s != '.'
            && *s != '*' && *s != '?') {
            return "is not a host name (letters, digits, '-', '.', and the "
                   "wildcards '*' and '?'; no scheme, port or path; "
                   "punycode for other characters)";
        }
    }
    if (strstr(h, "..")) {
        return "holds an empty label ('..')";
    }
    return NULL;
}

const char *smo_content_type_charset(apr_pool_t *p, const char *ct)
{
    const char *s = ct ? strchr(ct, ';') : NULL;

    while (s) {
        const char *name, *value;
        size_t nlen, vlen;

        s++;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        name = s;
        nlen = strcspn(s, "=; \t");
        s += nlen;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s != '=') {
            s = strchr(s, ';');
            continue;
        }
        s++;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '"') {
            value = ++s;
            vlen = strcspn(s, "\"");
            s += vlen;
            if (*s == '"') {
                s++;
            }
        }
        else {
            value = s;
            vlen = strcspn(s, "; \t");
            s += vlen;
        }
        if (nlen == 7 && apr_cstr_casecmpn(name, "charset", 7) == 0) {
            return vlen ? apr_pstrmemdup(p, value, vlen) : NULL;
        }
        s = strchr(s, ';');
    }
    return NULL;
}

int smo_parse_color(const char *s, unsigned long *out)
{
    unsigned long v = 0;

    if (s[0] != '#' || strlen(s) != 7)
        return -1;
    for (int i = 1; i < 7; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned long)d;
    }
    *out = v;
    return 0;
}
