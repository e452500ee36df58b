/* smo_share.h — share links (SPEC section 4): the network catalogue, the
 * share-intent URL templates, the block's markup, and the simple selectors
 * of SMOShareAt. */
#ifndef SMO_SHARE_H
#define SMO_SHARE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "smo_tokenizer.h"

typedef struct {
    const char *name;      /* lowercase; the CSS class is smo-share-NAME */
    const char *tmpl;      /* share-intent URL with {url} {title} ... */
    const char *label;     /* visible text */
} smo_network;

/* A built-in network by name (case-insensitive; `twitter` is `x`), or
 * NULL.  `mastodon_instance` (a host name, or NULL) is used for mastodon. */
const smo_network *smo_share_builtin(apr_pool_t *p, const char *name,
                                     const char *mastodon_instance);

/* Check an SMOMastodonInstance value: a host name (ASCII letters, digits,
 * '.', '-'; no scheme, port or path).  NULL if fine, else a reason.  An
 * instance that fails this is ignored by smo_share_builtin(). */
const char *smo_share_check_instance(const char *host);

/* Check an SMONetwork NAME: 1 to 32 of [A-Za-z0-9_-], not "none".  NULL
 * if fine, else a reason.  The caller stores the name lowercased. */
const char *smo_share_check_name(const char *name);

/* Check a SMONetwork template: an absolute http(s) (with a literal host)
 * or mailto: URL, printable ASCII without quotes, '<', '>', backslash or '`',
 * whose placeholders are all known ({url} {title} {description} {image}
 * {text}).  NULL if fine, else a reason.  At run time a value the page
 * lacks becomes empty. */
const char *smo_share_check_template(const char *tmpl);

/* Check a SMOShareTemplate file's contents: NULL if fine, else a reason
 * (unknown placeholder, missing {links}).
 *
 * Block template placeholders (a placeholder is '{' lowercase letters '}';
 * any other brace, e.g. CSS in a <style>, is copied as it is):
 *   {links}  the <a> elements of the default markup, joined by newlines
 *   {url}    the page URL, HTML-escaped (not percent-encoded)
 *   {title}  the page title, HTML-escaped (not percent-encoded)
 * The rest of the file is copied verbatim, its final newline included. */
const char *smo_share_check_block_template(const char *tmpl);

/* What the placeholders take for one page.  UTF-8, unescaped; NULL for
 * unknown.  `url` is the canonical URL of the page (absolute). */
typedef struct {
    const char *url;
    const char *title;
    const char *description;
    const char *image;
} smo_share_page;

/* The share-intent URL of `net` for a page: every placeholder
 * percent-encoded UTF-8; {text} is the title and the URL together. */
const char *smo_share_url(apr_pool_t *p, const smo_network *net,
                          const smo_share_page *page);

/* ---- SMOShareUTM (SPEC 7) ------------------------------------------ */

/* SMOShareUTM On: the parameters an analytics tool reads a share's visits
 * by.  SMOShareUTM QUERY takes parameters of the same form. */
#define SMO_SHARE_UTM_ON "utm_source={network}&utm_medium=social"
#define SMO_SHARE_MAX_UTM 512

/* Check an SMOShareUTM QUERY: name=value pairs joined by '&' (every pair
 * has its '=', a name is not empty), printable ASCII without space, quotes, '<', '>', backslash,
 * '`', '#' or '?', every '%' starting a %-escape, {network} the only
 * placeholder; at most SMO_SHARE_MAX_UTM bytes.  NULL if fine, else a
 * reason. */
const char *smo_share_check_utm(const char *query);

/* The URL that is shared on `network`: `url` with `utm` (a checked
 * QUERY, {network} replaced by the network's name percent-encoded)
 * appended to its query, after '?' when it has none, else after '&'
 * (none when the query ends in '?' or '&'), before any fragment.  `url`
 * itself when utm is NULL or empty. */
const char *smo_share_utm_url(apr_pool_t *p, const char *url,
                              const char *utm, const char *network);

struct smo_click_config;

typedef struct {
    const apr_array_header_t *networks; /* const smo_network *, in order */
    int track_clicks;                   /* links go through the handler */
    const char *click_url;              /* SMOClickURL (a path) */
    const char *block_template;         /* SMOShareTemplate contents or NULL */
    int xhtml;
    /* With track_clicks: what the handler at click_url accepts (its
     * networks and hosts, smo_click.h), or NULL to track every link.  A
     * link it would refuse (smo_click_refuses()) is written direct. */
    const struct smo_click_config *click;
    /* SMOShareUTM: the parameters put on the URL that is shared
     * (smo_share_utm_url()), never on the canonical link; NULL for Off. */
    const char *utm;
} smo_share_config;

/* Why the link to `net` for the page URL `url` goes direct although
 * cfg->track_clicks is on, or NULL when it goes through the handler:
 * the handler at click_url would refuse it (its reason, as
 * smo_click_refuses() gives it), or "utm" when the handler's SMOShareUTM
 * differs from cfg->utm (it would share another URL than the page's
 * direct link does).  NULL as well when cfg->click is NULL (every link is
 * tracked). */
const char *smo_share_direct_reason(apr_pool_t *p,
                                    const smo_share_config *cfg,
                                    const smo_network *net, const char *url);

/* The share block's markup for one page (default markup of SPEC 4, or the
 * block template); every attribute value escaped.  NULL if no network.
 * The default markup, exactly (one <a> per network, newline-separated):
 *
 *   \n<nav class="smo-share" aria-label="Share">\n
 *   <a class="smo-share-link smo-share-NAME" href="URL"
 *      rel="nofollow noopener noreferrer" target="_blank"
 *      aria-label="Share on LABEL">LABEL</a>          (on one line)
 *   \n</nav>\n
 *
 * target="_blank" is left out for mailto: networks.  With track_clicks
 * the href is CLICK_URL?n=NAME&u=PAGE_URL&t=TITLE (each percent-encoded;
 * click_url NULL is /smo/click; t only for a title the handler takes,
 * smo_click_title_check(), and that keeps the query within
 * SMO_CLICK_MAX_QUERY), but for a link smo_share_direct_reason() sends
 * direct.  With cfg->utm a direct link shares the page URL with those
 * parameters; a tracked one carries the page URL, and the handler adds
 * them.  The markup is well-formed XML, so
 * `xhtml` changes nothing. */
const char *smo_share_block(apr_pool_t *p, const smo_share_config *cfg,
                            const smo_share_page *page);

/* ---- SMOShareAt ------------------------------------------------------ */

typedef enum {
    SMO_SHARE_AT_BODY_END,
    SMO_SHARE_AT_BODY_START,
    SMO_SHARE_AT_MARKER,
    SMO_SHARE_AT_BEFORE,
    SMO_SHARE_AT_PREPEND,
    SMO_SHARE_AT_APPEND,
    SMO_SHARE_AT_AFTER
} smo_share_where;

/* A simple selector: tag, #id, .class, tag#id, tag.class, [attr],
 * [attr=value] (value optionally quoted). */
typedef struct smo_selector smo_selector;

/* Parse "body-end", "marker", "after nav.main", ... into where/selector
 * (selector NULL for the first three).  NULL if fine, else a reason. */
const char *smo_share_parse_at(apr_pool_t *p, const char *arg,
                               smo_share_where *where,
                               const smo_selector **sel);

/* Does a start tag match?  Compares on the token's raw attribute bytes
 * (class is a space-separated list; tag names and attribute names
 * case-insensitive; values case-sensitive, decoded first).  A truncated
 * tag (raw NULL) never matches. */
int smo_selector_match(apr_pool_t *scratch, const smo_selector *sel,
                       const smo_token *tag);

/* The selector written back as one string (tag, #id, .class, [attr=value]
 * in a fixed order): two selectors that match alike read alike. */
const char *smo_selector_text(apr_pool_t *p, const smo_selector *sel);

/* The text of the marker comment (SPEC 4): "smo:share", surrounding
 * ASCII whitespace ignored, ASCII case-insensitive.  True if the comment
 * data [data, data+len) is it. */
int smo_share_is_marker(const char *data, size_t len);

#endif
