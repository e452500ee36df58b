/* click.c — the click handler's decision (smo_click.h, SPEC sections 5
 * and 6).
 *
 * The handler must never be a way to make this site vouch for someone
 * else's page, so u is read exactly once (one round of percent-decoding),
 * refused when parsers could disagree about it (smo_url_host does that
 * check on apr_uri_parse's reading), and accepted only for this server's
 * hosts.  Refusals carry a fixed message: nothing from the request is
 * echoed back or logged. */
#include "smo_click.h"

#include <string.h>

#include <apr_cstr.h>
#include <apr_fnmatch.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "smo_escape.h"
#include "smo_url.h"

static const struct {
    const char *reason, *message;
} messages[] = {
    { "missing-n", "The n parameter (the network) is missing." },
    { "missing-u", "The u parameter (the page URL) is missing." },
    { "unknown-network", "This network is not enabled here." },
    { "bad-encoding", "The query string holds a malformed %-escape." },
    { "bad-char", "The page URL holds a character a URL cannot hold." },
    { "not-absolute", "The page URL is not an absolute URL." },
    { "bad-scheme", "The page URL must be an http:// or https:// URL." },
    { "userinfo", "The page URL must not hold user information (@)." },
    { "bad-host", "The page URL's host is not a valid ASCII host name." },
    { "foreign-host", "The page URL is not on this site." },
    { "too-long", "The request is too long." },
    { "duplicate-param", "The n or u parameter is given more than once." },
};

const char *smo_click_message(const char *reason)
{
    size_t i;

    for (i = 0; reason && i < sizeof messages / sizeof messages[0]; i++)
        if (strcmp(messages[i].reason, reason) == 0)
            return messages[i].message;
    return "This share link is not valid.";
}

static const char *refuse(smo_click_result *res, const char *reason)
{
    res->network = NULL;
    res->url = NULL;
    res->location = NULL;
    res->title_dropped = NULL;
    res->reason = reason;
    res->message = smo_click_message(reason);
    return reason;
}

/* ---- the query string ---------------------------------------------------- */

typedef struct {
    const char *n, *u, *t;  /* decoded values, NULL when absent */
    size_t n_len, u_len, t_len; /* their decoded lengths (NUL bytes counted) */
    const char *t_bad;      /* why t cannot be used, or NULL */
    size_t rest;            /* bytes of the query outside the t parameters */
} click_params;

/* Split on '&' and decode n, u and t.  Names are decoded too, so "%6E" is
 * n and cannot smuggle a second n past the duplicate check.  Returns NULL
 * or a reason.  The title is optional (SPEC 7): a t that cannot be used
 * costs the share its title, not the click, so it only sets t_bad. */
static const char *parse_query(apr_pool_t *p, const char *args,
                               click_params *out)
{
    const char *seg, *end, *amp, *eq;

    memset(out, 0, sizeof *out);
    if (!args)
        return NULL;
    end = args + strlen(args);
    for (seg = args; seg < end; seg = amp + 1) {
        const char *name, *vraw, **slot;
        size_t nlen, vlen, *slot_len;

        amp = memchr(seg, '&', (size_t)(end - seg));
        if (!amp)
            amp = end;
        eq = memchr(seg, '=', (size_t)(amp - seg));
        nlen = (size_t)((eq ? eq : amp) - seg);
        vraw = eq ? eq + 1 : amp;
        vlen = (size_t)(amp - vraw);
        if (nlen == 0 && vlen == 0)
            continue;
        name = smo_percent_decode(p, seg, nlen, &nlen);
        if (!name)
            return "bad-encoding";
        if (nlen == 1 && name[0] == 'n') {
            slot = &out->n;
            slot_len = &out->n_len;
        }
        else if (nlen == 1 && name[0] == 'u') {
            slot = &out->u;
            slot_len = &out->u_len;
        }
        else if (nlen == 1 && name[0] == 't') {
            if (out->t || out->t_bad) {
                out->t = NULL;
                out->t_bad = "given twice";
            }
            else if (vlen > SMO_CLICK_MAX_TITLE_RAW) {
                /* Longer than the most characters can be, encoded. */
                out->t_bad = "over " APR_STRINGIFY(SMO_CLICK_MAX_TITLE)
                             " characters";
            }
            else if (!(out->t = smo_percent_decode(p, vraw, vlen,
                                                   &out->t_len))) {
                out->t_bad = "a malformed %-escape";
            }
            continue;
        }
        else {
            out->rest += (size_t)(amp - seg) + 1;
            continue;   /* someone else's parameter: not ours to judge */
        }
        out->rest += (size_t)(amp - seg) + 1;
        if (*slot)
            return "duplicate-param";
        *slot = smo_percent_decode(p, vraw, vlen, slot_len);
        if (!*slot)
            return "bad-encoding";
    }
    return NULL;
}

/* ---- networks and hosts -------------------------------------------------- */

static const smo_network *find_listed(const apr_array_header_t *nets,
                                      const char *name)
{
    /* SPEC 6: twitter is the same network as x, whichever name the
     * configuration or the link uses. */
    const char *alias = apr_cstr_casecmp(name, "twitter") == 0 ? "x"
                        : apr_cstr_casecmp(name, "x") == 0 ? "twitter"
                        : NULL;
    int i;

    if (!nets)
        return NULL;
    for (i = 0; i < nets->nelts; i++) {
        const smo_network *net = APR_ARRAY_IDX(nets, i, const smo_network *);

        if (net && net->name && apr_cstr_casecmp(net->name, name) == 0)
            return net;
    }
    for (i = 0; alias && i < nets->nelts; i++) {
        const smo_network *net = APR_ARRAY_IDX(nets, i, const smo_network *);

        if (net && net->name && apr_cstr_casecmp(net->name, alias) == 0)
            return net;
    }
    return NULL;
}

/* The network `name` names for the handler: one defined there, else a
 * built-in one (when the handler knows those). */
static const smo_network *find_network(apr_pool_t *p,
                                       const smo_click_config *cfg,
                                       const char *name)
{
    const smo_network *net = find_listed(cfg->networks, name);

    if (!net && cfg->builtins)
        net = smo_share_builtin(p, name, cfg->mastodon);
    return net;
}

/* A configured host as it is compared: lowercase, without IPv6 brackets
 * or a trailing dot (the form smo_url_host returns). */
static char *config_host(apr_pool_t *p, const char *h)
{
    size_t n = strlen(h);
    char *s, *c;

    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n > 1 && h[n - 1] == '.')
        n--;
    s = apr_pstrmemdup(p, h, n);
    for (c = s; *c; c++)
        *c = (char)apr_tolower((unsigned char)*c);
    return s;
}

static int host_listed(apr_pool_t *p, const apr_array_header_t *hosts,
                       const char *host)
{
    int i;

    for (i = 0; hosts && i < hosts->nelts; i++) {
        const char *h = APR_ARRAY_IDX(hosts, i, const char *);

        if (!h || !*h)
            continue;
        h = config_host(p, h);
        /* ServerAlias takes wildcards; the host has been checked to be
         * letters, digits, '-', '.', '_' (or an IPv6 literal), so a
         * pattern cannot reach past it. */
        if (strpbrk(h, "*?")
                ? apr_fnmatch(h, host, APR_FNM_CASE_BLIND) == APR_SUCCESS
                : strcmp(h, host) == 0)
            return 1;
    }
    return 0;
}

/* ---- the URL ------------------------------------------------------------- */

static int bad_char(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c == 0x7F || c == '"' || c == '\'' || c == '<'
            || c == '>' || c == '\\')
            return 1;
    }
    return 0;
}

/* Non-ASCII bytes of the path, query or fragment percent-encoded, so the
 * canonical URL (logged as SMO_URL) is plain ASCII, as the share links
 * mod_smo writes already are. */
static char *encode_non_ascii(apr_pool_t *p, char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *c;
    size_t extra = 0;
    char *out, *w;

    if (!s)
        return NULL;
    for (c = (const unsigned char *)s; *c; c++)
        if (*c >= 0x80)
            extra += 2;
    if (extra == 0)
        return s;
    w = out = apr_palloc(p, strlen(s) + extra + 1);
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x80) {
            *w++ = '%';
            *w++ = hex[*c >> 4];
            *w++ = hex[*c & 0xF];
        }
        else {
            *w++ = (char)*c;
        }
    }
    *w = '\0';
    return out;
}

/* The scheme check smo_url_host leaves to us: it calls both "javascript:"
 * and "/path" not-absolute, while SMO_REJECT tells them apart.  NULL if
 * the scheme is http or https. */
static const char *scheme_reason(apr_pool_t *p, const char *url,
                                 apr_uri_t *uri)
{
    int parsed = apr_uri_parse(p, url, uri) == APR_SUCCESS;

    /* APR fails on a malformed authority (a port that is not digits, an
     * unclosed '['), having read the scheme already; or on a scheme it
     * cannot read ("1http:"), which is no scheme. */
    if (!parsed && uri->scheme && uri->hostinfo
        && (apr_cstr_casecmp(uri->scheme, "http") == 0
            || apr_cstr_casecmp(uri->scheme, "https") == 0))
        return "bad-host";
    if (!uri->scheme)
        /* "//evil.host/" is absolute to a browser, on the page's scheme. */
        return strncmp(url, "//", 2) == 0 ? "bad-scheme" : "not-absolute";
    if (apr_cstr_casecmp(uri->scheme, "http") != 0
        && apr_cstr_casecmp(uri->scheme, "https") != 0)
        return "bad-scheme";
    return NULL;
}

/* The canonical form of an accepted URL, from apr_uri_parse's parts. */
static const char *canonical(apr_pool_t *p, apr_uri_t *uri, const char *host,
                             const apr_array_header_t *strip)
{
    char *c;

    for (c = uri->scheme; *c; c++)
        *c = (char)apr_tolower((unsigned char)*c);
    uri->hostname = apr_pstrdup(p, host);
    uri->user = uri->password = NULL;
    /* "host:" has an empty port: the default; apr_uri_unparse drops the
     * default port itself. */
    if (uri->port_str && !*uri->port_str) {
        uri->port_str = NULL;
        uri->port = 0;
    }
    uri->path = encode_non_ascii(p, uri->path && *uri->path ? uri->path
                                                            : "/");
    uri->query = encode_non_ascii(
        p, (char *)smo_url_strip_query(p, uri->query, strip));
    uri->fragment = encode_non_ascii(p, uri->fragment);
    return apr_uri_unparse(p, uri, APR_URI_UNP_OMITUSERINFO);
}

/* ---- the decision -------------------------------------------------------- */

/* The checks on u (decoded, `len` bytes), in the order of smo_click.h;
 * on success `uri` is parsed and `host` set.  NULL or the reason. */
static const char *check_u(apr_pool_t *p, const smo_click_config *cfg,
                           const char *u, size_t len, apr_uri_t *uri,
                           const char **host)
{
    const char *why;

    if (len > SMO_CLICK_MAX_URL)
        return "too-long";
    /* SPEC 6, on the decoded value (which may hold NUL bytes). */
    if (bad_char(u, len))
        return "bad-char";
    if ((why = scheme_reason(p, u, uri)) != NULL)
        return why;
    if (!(*host = smo_url_host(p, u, &why)))
        return why && strcmp(why, "empty") != 0 ? why : "bad-host";
    if (!host_listed(p, cfg->own_hosts, *host)
        && !host_listed(p, cfg->allow_hosts, *host))
        return "foreign-host";
    return NULL;
}

const char *smo_click_check_url(apr_pool_t *p, const smo_click_config *cfg,
                                const char *url, apr_uri_t *uri)
{
    const char *host;

    return check_u(p, cfg, url, strlen(url), uri, &host);
}

const char *smo_click_refuses(apr_pool_t *p, const smo_click_config *cfg,
                              const smo_network *net, const char *url)
{
    const smo_network *known;
    apr_uri_t uri;
    const char *host;

    if (!net || !net->name || strlen(net->name) > SMO_CLICK_MAX_NETWORK
        || !(known = find_network(p, cfg, net->name))
        || !known->tmpl || !net->tmpl || strcmp(known->tmpl, net->tmpl) != 0)
        return "unknown-network";
    if (!url || !*url)
        return "missing-u";
    /* The query the link carries, "n=NAME&u=URL" percent-encoded. */
    {
        size_t n = strlen(url), q = 5 + strlen(net->name);
        for (size_t i = 0; i < n; i++)
            q += apr_isalnum(url[i]) || strchr("-._~", url[i]) ? 1 : 3;
        if (q > SMO_CLICK_MAX_QUERY)
            return "too-long";
    }
    return check_u(p, cfg, url, strlen(url), &uri, &host);
}

const char *smo_click_title_check(const char *t, size_t len)
{
    long chars = smo_utf8_text_chars(t, len);

    if (chars < 0)
        return "not UTF-8 text (invalid UTF-8 or a control character)";
    if (chars > SMO_CLICK_MAX_TITLE)
        return "over " APR_STRINGIFY(SMO_CLICK_MAX_TITLE) " characters";
    return NULL;
}

const char *smo_click_check(apr_pool_t *p, const smo_click_config *cfg,
                            const char *args, smo_click_result *res)
{
    click_params q;
    const smo_network *net;
    smo_share_page page;
    apr_uri_t uri;
    const char *why, *host, *url, *loc;

    /* The title is optional and bounded on its own: it does not count
     * against the query's limit, within a bound for the whole. */
    if (args && strlen(args) > SMO_CLICK_MAX_WHOLE_QUERY)
        return refuse(res, "too-long");
    if ((why = parse_query(p, args, &q)) != NULL)
        return refuse(res, why);
    if (q.rest > SMO_CLICK_MAX_QUERY + 1)   /* +1: the '&' counted last */
        return refuse(res, "too-long");

    if (!q.n || q.n_len == 0)
        return refuse(res, "missing-n");
    if (q.n_len > SMO_CLICK_MAX_NETWORK)
        return refuse(res, "too-long");
    /* A NUL byte would cut the name short: no network holds one. */
    if (strlen(q.n) != q.n_len
        || !(net = find_network(p, cfg, q.n)))
        return refuse(res, "unknown-network");

    if (!q.u || q.u_len == 0)
        return refuse(res, "missing-u");
    if ((why = check_u(p, cfg, q.u, q.u_len, &uri, &host)) != NULL)
        return refuse(res, why);

    url = canonical(p, &uri, host, cfg->strip_params);
    memset(&page, 0, sizeof page);
    /* The network gets the shared URL (SMOShareUTM's parameters on the
     * canonical one) and the title; nothing else from the query. */
    page.url = smo_share_utm_url(p, url, cfg->utm, net->name);
    res->title_dropped = q.t_bad;
    if (q.t && !q.t_bad)
        res->title_dropped = smo_click_title_check(q.t, q.t_len);
    if (q.t && !res->title_dropped && q.t_len > 0)
        page.title = q.t;
    loc = smo_share_url(p, net, &page);
    if (!loc)
        /* A network whose template cannot be filled is no network. */
        return refuse(res, "unknown-network");

    res->network = net;
    res->url = url;
    res->location = loc;
    res->reason = NULL;
    res->message = NULL;
    return NULL;
}
