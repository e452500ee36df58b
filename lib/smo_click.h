/* smo_click.h — the decision of the click handler (SPEC sections 5 and 6):
 * is GET /smo/click?n=NETWORK&u=URL a click to answer with a redirect to
 * the network's share intent, or a request to refuse with 400?
 *
 * No httpd here: mod_smo_click.c gathers the configuration, calls
 * smo_click_check() and sets SMO_CLICK, SMO_NETWORK, SMO_URL (or
 * SMO_REJECT) and the Location header from the result. */
#ifndef SMO_CLICK_H
#define SMO_CLICK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_uri.h>

#include "smo_share.h"

/* Limits, in bytes: the whole query string, the decoded n, the decoded u;
 * and in characters, the decoded t (SPEC 7). */
#define SMO_CLICK_MAX_QUERY   4096
#define SMO_CLICK_MAX_NETWORK 32
#define SMO_CLICK_MAX_URL     2048
#define SMO_CLICK_MAX_TITLE   300
/* The most bytes SMO_CLICK_MAX_TITLE characters take percent-encoded
 * (4 bytes of UTF-8 each, 3 bytes per encoded byte). */
#define SMO_CLICK_MAX_TITLE_RAW (SMO_CLICK_MAX_TITLE * 12)
/* The whole query, t included: past this the click is refused unread. */
#define SMO_CLICK_MAX_WHOLE_QUERY (4 * SMO_CLICK_MAX_QUERY)

typedef struct smo_click_config {
    /* Networks defined where the handler runs (const smo_network *).  n
     * names one of them, case-insensitively; `twitter` and `x` are the
     * same network. */
    const apr_array_header_t *networks;
    /* And, after those, every built-in network (SPEC 5: the handler knows
     * the built-in ones and those SMONetwork defines at its location);
     * `mastodon` is the SMOMastodonInstance there, or NULL. */
    int builtins;
    const char *mastodon;
    /* This server's hosts (const char *): ServerName, ServerAliases, the
     * SMOBaseURL host. */
    const apr_array_header_t *own_hosts;
    /* SMOClickAllowHost (const char *); may be NULL. */
    const apr_array_header_t *allow_hosts;
    /* SMOStripParams globs (const char *); may be NULL. */
    const apr_array_header_t *strip_params;
    /* SMOShareUTM where the handler runs: the parameters put on the
     * shared URL (smo_share_utm_url()), or NULL for Off. */
    const char *utm;
} smo_click_config;

typedef struct {
    /* On success: the network, the canonical shared URL (tracking
     * parameters stripped; scheme and host lowercased, the host without a
     * trailing dot, default port dropped, path at least "/", non-ASCII
     * bytes percent-encoded) and the Location (the network's share URL
     * for that URL).  NULL on refusal. */
    const smo_network *network;
    const char *url;
    const char *location;
    /* On refusal: the token for SMO_REJECT and the text of the 400 body
     * (plain text, one line, never holding anything from the request).
     * NULL on success. */
    const char *reason;
    const char *message;
    /* On success: why the title (t) was left out of the share, or NULL
     * when there was none or it was used (for a debug line: the share
     * goes out without it). */
    const char *title_dropped;
} smo_click_result;

/* Decide on a click.  `args` is the raw query string (r->args; NULL is an
 * empty query).  Parameters are split on '&' into name=value and
 * percent-decoded once (names too); parameters other than n, u and t are
 * ignored.  t, the page's title (SPEC 7), is optional and never a reason
 * to refuse: one that smo_click_title_check() refuses, that is malformed
 * or given twice is left out (res->title_dropped says why) and the share
 * goes out without a title.  The Location is the network's template
 * filled with the shared URL (the canonical URL with cfg->utm's
 * parameters) and the title, each percent-encoded; nothing else of the
 * query reaches it.  A '+' is a literal '+', not a space: the share links mod_smo
 * writes encode every reserved byte, so a raw '+' was put there by hand
 * and belongs to the URL (in the target's query, where it may mean a
 * space to the target site, it must stay '+' to keep that meaning).
 *
 * Reasons (the first that applies, in this order):
 *   too-long         the query is over SMO_CLICK_MAX_QUERY bytes, its t
 *                    parameters left out (a t over SMO_CLICK_MAX_TITLE_RAW
 *                    bytes is dropped unread), or over
 *                    SMO_CLICK_MAX_WHOLE_QUERY with them
 *   bad-encoding     a '%' not followed by two hex digits in n, u or a
 *                    parameter name (other parameters' values are not read)
 *   duplicate-param  n or u given twice (this and bad-encoding: the
 *                    one met first, reading the query left to right)
 *   missing-n        n absent or empty
 *   too-long         n over SMO_CLICK_MAX_NETWORK bytes, decoded
 *   unknown-network  n is not an enabled network
 *   missing-u        u absent or empty
 *   too-long         u over SMO_CLICK_MAX_URL bytes, decoded
 *   bad-char         u holds a space, '"', '\'', '<', '>', '\\' or a
 *                    control character (NUL included)
 *   not-absolute     u is not an absolute URL ("/path", "http:/x")
 *   bad-scheme       a scheme other than http and https, or none ("//h")
 *   userinfo         '@' or "%40" in the authority
 *   bad-host         an empty, non-ASCII or invalid host, a bad port
 *   foreign-host     a host neither this server's nor allowed
 * Configured hosts compare case-insensitively, a trailing dot and IPv6
 * brackets ignored; one holding '*' or '?' is a wildcard as in
 * ServerAlias.
 *
 * Returns NULL on success, else the reason (also in res->reason).  All
 * strings live in `p` or are static. */
const char *smo_click_check(apr_pool_t *p, const smo_click_config *cfg,
                            const char *args, smo_click_result *res);

/* The checks smo_click_check() makes on u, on `url` as it is (not
 * percent-decoded): NULL when it is an http(s) URL on cfg's hosts, with
 * *uri parsed, else the reason (bad-char, not-absolute, foreign-host...).
 * SMOImageInfo asks this of an og:image. */
const char *smo_click_check_url(apr_pool_t *p, const smo_click_config *cfg,
                                const char *url, apr_uri_t *uri);

/* NULL when `len` bytes at t may be a tracked link's title: valid UTF-8
 * text of at most SMO_CLICK_MAX_TITLE characters without a control
 * character; else why not. */
const char *smo_click_title_check(const char *t, size_t len);

/* Would the handler refuse a click on `net` for `url` (the page URL as
 * the share link carries it, before percent-encoding)?  The reason it
 * would give, as smo_click_check() does, or NULL if the click works.  A
 * network the handler knows by that name but with another template is
 * refused (unknown-network): it would not send the reader where the
 * page's link does.  The filter asks this before it writes a tracked
 * link (SPEC 5); a refused one is written as a direct link instead. */
const char *smo_click_refuses(apr_pool_t *p, const smo_click_config *cfg,
                              const smo_network *net, const char *url);

/* The 400 body text for a reason token (a generic one for NULL or an
 * unknown token). */
const char *smo_click_message(const char *reason);

#endif
