/* smo_url.h — the URLs mod_smo writes: canonical URL, tracking-parameter
 * stripping, resolution of relative references.  Parsing is done by
 * APR's and libxml2's URI functions, never by hand. */
#ifndef SMO_URL_H
#define SMO_URL_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

/* Validate an SMOBaseURL value: absolute http(s) URL with a host, no
 * query, no fragment, no userinfo, no whitespace, control character,
 * backslash or non-ASCII byte (use punycode and percent-encoding), a
 * valid port.  On success returns it normalised (scheme and host
 * lowercased, default port dropped, no trailing '/', a path prefix kept:
 * "https://Example.com/blog/" gives "https://example.com/blog") and sets
 * *err to NULL; on error returns NULL and sets *err to a short reason for
 * the administrator.  err may be NULL. */
const char *smo_url_parse_base(apr_pool_t *p, const char *s,
                               const char **err);

/* Build the base URL from the request: scheme, host, port (the default
 * port for the scheme, or 0, is omitted; IPv6 hosts get brackets unless
 * they have them; scheme and host lowercased; a NULL scheme is http). */
const char *smo_url_base_from_request(apr_pool_t *p, const char *scheme,
                                      const char *host, unsigned port);

/* Does the query parameter `name` (len bytes, still percent-encoded) match
 * one of the globs (`*`, `?`; case-insensitive)?  `globs` holds const char*
 * and may be NULL.  The name is compared percent-decoded, so utm%5Fsource
 * is utm_source. */
int smo_url_param_matches(const char *name, size_t len,
                          const apr_array_header_t *globs);

/* `query` (without '?', may be NULL) minus the parameters matching
 * `globs`, others kept in their original order and as written (a
 * parameter without '=' is a name too; empty segments are dropped).
 * NULL when none is left. */
const char *smo_url_strip_query(apr_pool_t *p, const char *query,
                                const apr_array_header_t *globs);

/* The canonical URL: base + path + the query parameters surviving
 * `globs`.  `path` is the request's (percent-encoded) path; "" or NULL
 * is "/".  Bytes that cannot stand in a valid URL are percent-encoded
 * as smo_url_resolve() encodes them (in the path '?' and '#' too);
 * existing escapes are left alone. */
const char *smo_url_canonical(apr_pool_t *p, const char *base,
                              const char *path, const char *query,
                              const apr_array_header_t *globs);

/* Resolve `ref` against `base` (RFC 3986, strict: "http:g" has no host);
 * NULL if it cannot be made an absolute http(s) URL with a valid host
 * (javascript:, data:, mailto: are refused).  `ref` (UTF-8) is read as
 * the WHATWG URL parser reads an attribute URL: leading/trailing spaces
 * and C0 controls dropped, tab/LF/CR removed, '\' read as '/' before the
 * query.  The result is a valid URL (SPEC 6): scheme and host lowercased,
 * the default port dropped, dot segments removed, a path of at least "/",
 * and in path, query and fragment every byte that is not a URL code point
 * percent-encoded — the WHATWG percent-encode sets (controls, space, '"',
 * '#', '<', '>', '`', '{', '}', '^', '\'', non-ASCII as UTF-8) and '[',
 * '\', ']', '|' too, '?' in the path, '#' in the fragment, a '%' that
 * starts no escape — while existing escapes are kept as written. */
const char *smo_url_resolve(apr_pool_t *p, const char *base,
                            const char *ref);

/* smo_url_resolve() for a reference taken from a page in `charset` (NULL:
 * UTF-8): as in browsers, the query's non-ASCII characters are
 * percent-encoded in that charset (smo_query_encode()), the path's in
 * UTF-8. */
const char *smo_url_resolve_in(apr_pool_t *p, const char *base,
                               const char *ref, const char *charset);

/* Strip tracking parameters from an absolute URL's query (fragment kept;
 * the '?' goes when no parameter is left).  Everything before the query
 * is kept verbatim; a URL without a query, or one APR cannot parse, is
 * returned as it is.  NULL only for a NULL url. */
const char *smo_url_strip(apr_pool_t *p, const char *url,
                          const apr_array_header_t *globs);

/* For the click handler (SPEC section 5): the host of `url` when it is an
 * absolute http(s) URL that every parser reads the same way, lowercased,
 * a trailing dot removed, an IPv6 address without brackets.  Otherwise
 * NULL, and *err (if err is not NULL) is set to a short reason token for
 * SMO_REJECT: "empty", "bad-char" (space, control character, quote, '<',
 * '>' or backslash anywhere), "not-absolute", "userinfo" ('@' or %40 in
 * the authority), "bad-host" (empty, non-ASCII or otherwise invalid host,
 * invalid port). */
const char *smo_url_host(apr_pool_t *p, const char *url, const char **err);

/* A host as mod_smo accepts it in a URL it writes or is configured with:
 * a DNS name or IPv4 address (letters, digits, '-', '_', '.'; no empty
 * label, labels of at most 63 and names of at most 253 bytes) or an IPv6
 * literal without its brackets. */
int smo_url_valid_host(const char *host);

/* The `n` bytes at `a` are HOST or HOST:PORT as a URL's authority holds
 * them: a valid host (above; an IPv6 literal in brackets), a port that is
 * empty or 1..65535, no user name or password. */
int smo_url_valid_authority(const char *a, size_t n);

/* Why `u` cannot name the style sheet of SMOShareStyle, or NULL: an
 * absolute http(s) URL with a valid host and port, a protocol-relative
 * one, or a path; no other scheme (javascript:, data:...), no whitespace,
 * control or non-ASCII byte, no invalid percent-escape. */
const char *smo_url_check_stylesheet(const char *u);

#endif
