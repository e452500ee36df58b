/* fuzz_click.c — libFuzzer harness for the click handler's decision
 * (lib/click.c, SPEC section 5): the handler must never be an open
 * redirect, whatever query string a client sends.
 *
 * Input: the raw query string (r->args; cut at the first NUL, as Apache
 * hands it over).  Fixed configuration: own hosts www.example.com and
 * its alias example.com, networks x and facebook, the default
 * SMOStripParams globs, no SMOClickAllowHost.
 * Checked inside the harness (abort on violation), for an accepted click:
 *   - the network is x or facebook;
 *   - the URL is an absolute http(s) URL that apr_uri_parse and libxml2's
 *     xmlParseURI both read with the same host, an own host, without
 *     userinfo, and holds no whitespace, control, quote, '<', '>', '\'
 *     or non-ASCII byte, nor a tracking parameter;
 *   - the Location starts with the network's share URL (its template up
 *     to the first placeholder), is header-safe and has the template's
 *     '?', '&', '#' and '=' and no more (u and t add no parameter);
 * and for a refusal: no URL or Location, a documented reason token and
 * the fixed message for it (nothing from the request echoed).
 *
 * Build and run: scripts/fuzz.sh (or `make fuzz`). */
#include <ctype.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_uri.h>
#include <libxml/uri.h>

#include "smo_click.h"
#include "smo_url.h"
#include "fuzz_util.h"

static apr_pool_t *root;
static smo_click_config cfg;
static const smo_network *net_x, *net_fb;

static const char *const reasons[] = {
    "too-long", "bad-encoding", "duplicate-param", "missing-n",
    "unknown-network", "missing-u", "bad-char", "not-absolute", "bad-scheme",
    "userinfo", "bad-host", "foreign-host", NULL
};

static int own_host(const char *h)
{
    return !strcmp(h, "www.example.com") || !strcmp(h, "example.com");
}

static char *lower_host(apr_pool_t *p, const char *h)
{
    char *s = apr_pstrdup(p, h);
    size_t n;
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    n = strlen(s);
    if (n && s[n - 1] == '.')
        s[n - 1] = '\0';
    return s;
}

/* How many bytes of s are in set. */
static size_t count_of(const char *s, const char *set)
{
    size_t n = 0;

    for (; *s; s++)
        n += strchr(set, *s) != NULL;
    return n;
}

static void check_accepted(apr_pool_t *p, const smo_click_result *res)
{
    apr_uri_t u;
    xmlURIPtr x;
    const char *bad, *prefix, *brace;
    char *host;

    FUZZ_CHECK(res->network == net_x || res->network == net_fb,
               "accepted with a network that is not enabled");
    FUZZ_CHECK(res->url && res->location, "accepted without url/location");
    FUZZ_CHECK(!res->reason, "accepted with a reason: %s", res->reason);

    bad = fuzz_find_bad_url_byte(res->url);
    FUZZ_CHECK(!bad, "accepted URL holds byte 0x%02x: %s",
               (unsigned char)*bad, res->url);
    FUZZ_CHECK(apr_uri_parse(p, res->url, &u) == APR_SUCCESS,
               "accepted URL does not parse: %s", res->url);
    FUZZ_CHECK(u.scheme && (!strcmp(u.scheme, "http") ||
                            !strcmp(u.scheme, "https")),
               "accepted URL is not http(s): %s", res->url);
    FUZZ_CHECK(!u.user && !u.password && !strchr(u.hostinfo, '@'),
               "accepted URL has userinfo: %s", res->url);
    FUZZ_CHECK(u.hostname, "accepted URL has no host: %s", res->url);
    host = lower_host(p, u.hostname);
    FUZZ_CHECK(own_host(host), "accepted a foreign host %s: %s", host,
               res->url);

    /* A second parser, where it reads the URL at all (libxml2 is strict
     * RFC 3986 and refuses e.g. a raw '|' or '{' in the path), must read
     * the same host and no user. */
    x = xmlParseURI(res->url);
    if (x) {
        FUZZ_CHECK(x->server && !x->user &&
                       !strcmp(lower_host(p, x->server), host),
                   "apr reads host %s, libxml2 %s (user %s): %s", host,
                   x->server ? x->server : "(none)",
                   x->user ? x->user : "(none)", res->url);
        xmlFreeURI(x);
    }

    fuzz_check_stripped("accepted URL", res->url, cfg.strip_params);

    bad = fuzz_find_bad_url_byte(res->location);
    FUZZ_CHECK(!bad, "Location holds byte 0x%02x: %s",
               (unsigned char)*bad, res->location);
    brace = strchr(res->network->tmpl, '{');
    prefix = brace ? apr_pstrmemdup(p, res->network->tmpl,
                                    (size_t)(brace - res->network->tmpl))
                   : res->network->tmpl;
    FUZZ_CHECK(!strncmp(res->location, prefix, strlen(prefix)),
               "Location %s is not the %s share URL (%s...)", res->location,
               res->network->name, prefix);
    /* The values (the URL, the title t) are percent-encoded: they add no
     * parameter, no fragment, no query of their own (SPEC 7). */
    FUZZ_CHECK(count_of(res->location, "?&#=") ==
                   count_of(res->network->tmpl, "?&#="),
               "Location %s has other delimiters than its template %s",
               res->location, res->network->tmpl);
}

static void check_refused(const char *why, const smo_click_result *res)
{
    int known = 0;
    FUZZ_CHECK(why && res->reason && !strcmp(why, res->reason),
               "reason returned and stored differ");
    for (const char *const *r = reasons; *r; r++)
        known |= !strcmp(*r, why);
    FUZZ_CHECK(known, "undocumented reason token: %s", why);
    FUZZ_CHECK(!res->url && !res->location && !res->network,
               "refused (%s) but a URL or Location is set", why);
    FUZZ_CHECK(res->message && !strcmp(res->message, smo_click_message(why)),
               "refusal message is not the fixed one for %s", why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_array_header_t *nets, *own, *globs;
    static const char *const strip[] = {
        "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
        "igshid", "_ga", NULL
    };
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    xmlInitParser();

    net_x = smo_share_builtin(root, "x", NULL);
    net_fb = smo_share_builtin(root, "facebook", NULL);
    nets = apr_array_make(root, 2, sizeof(const smo_network *));
    APR_ARRAY_PUSH(nets, const smo_network *) = net_x;
    APR_ARRAY_PUSH(nets, const smo_network *) = net_fb;
    own = apr_array_make(root, 2, sizeof(const char *));
    APR_ARRAY_PUSH(own, const char *) = "www.example.com";
    APR_ARRAY_PUSH(own, const char *) = "example.com";
    globs = apr_array_make(root, 9, sizeof(const char *));
    for (const char *const *g = strip; *g; g++)
        APR_ARRAY_PUSH(globs, const char *) = *g;
    cfg.networks = nets;
    cfg.own_hosts = own;
    cfg.allow_hosts = NULL;
    cfg.strip_params = globs;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    smo_click_result res;
    const char *args, *why;

    apr_pool_create(&p, root);
    args = apr_pstrmemdup(p, (const char *)data, size);
    memset(&res, 0x5a, sizeof res); /* the checker must set every field */
    why = smo_click_check(p, &cfg, args, &res);
    if (why)
        check_refused(why, &res);
    else
        check_accepted(p, &res);
    apr_pool_destroy(p);
    return 0;
}
