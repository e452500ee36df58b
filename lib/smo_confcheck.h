/* smo_confcheck.h — the small parsers behind mod_smo's directives and the
 * one header value the glue reads itself, kept here (no httpd) so that
 * they are unit-tested and not reachable only through `apache2 -t`.
 *
 * The glue formats the message for the administrator (the directive's
 * name and the value as written); these only say what is wrong. */
#ifndef SMO_CONFCHECK_H
#define SMO_CONFCHECK_H

#include <stdint.h>

#include <apr_pools.h>

/* What smo_parse_size() found. */
typedef enum {
    SMO_SIZE_OK = 0,
    SMO_SIZE_BAD,       /* not a size: no digits first, or junk after */
    SMO_SIZE_TOO_LARGE  /* more than `max` bytes (or than 64 bits hold) */
} smo_size_status;

/* A size in bytes as SMOHeadLimit takes it (SPEC section 6): decimal
 * digits, then optionally K or M (either case; 1024 and 1024*1024), and
 * nothing else; no sign, no space.  On SMO_SIZE_OK sets *out; otherwise
 * leaves it alone.  Digits that overflow 64 bits are SMO_SIZE_TOO_LARGE
 * even if junk follows them. */
smo_size_status smo_parse_size(const char *s, uint64_t max, uint64_t *out);

/* Why `name` cannot be an SMOMeta property name as it will be written
 * into name="" or property="" (og:image, twitter:site, description), or
 * NULL when it can: empty, or holding whitespace, a control character, a
 * quote, '`', '<', '>' or '=', which no real property name has and which
 * would only hide a typo (a missing quote around the value). */
const char *smo_check_meta_name(const char *name);

/* Why `h` is not an SMOClickAllowHost value, or NULL: a host name as
 * ServerAlias takes it (letters, digits, '-', '_', '.', the wildcards '*'
 * and '?'; not starting with '.' or '-', no empty label), an IPv4
 * address, or an IPv6 address in brackets; at most 254 bytes; no scheme,
 * port, path or user information. */
const char *smo_check_host(const char *h);

/* A colour as SMOCardColors takes it: '#' and six hex digits (either
 * case).  0 and *out (0xRRGGBB) when it is one, else -1. */
int smo_parse_color(const char *s, unsigned long *out);

/* The charset parameter of a Content-Type header value (`ct`, may be
 * NULL), unquoted, as written (case kept), or NULL when there is none or
 * it is empty.  The parameter name is matched in any case; the media
 * type itself is not looked at. */
const char *smo_content_type_charset(apr_pool_t *p, const char *ct);

#endif
