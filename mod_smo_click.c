/* mod_smo_click.c — the smo-click handler (SPEC section 5): a share link
 * with SMOTrackClicks On goes through it, it checks the network and the
 * page URL (lib/click.c), sets SMO_CLICK, SMO_NETWORK and SMO_URL for the
 * access log and redirects to the network's share page.  Also what it
 * will accept, as the filter asks before it writes tracked links.
 */

#include "mod_smo_private.h"

#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"
#include "apr_uri.h"

/* This server's host names: ServerName, every ServerAlias (wildcards
 * included) and the SMOBaseURL host. */
apr_array_header_t *smo_own_hosts(request_rec *r, const smo_dir_conf *conf)
{
    const server_rec *s = r->server;
    apr_array_header_t *hosts = apr_array_make(r->pool, 8,
                                               sizeof(const char *));
    const apr_array_header_t *lists[2];
    int i, k;

    if (s->server_hostname) {
        APR_ARRAY_PUSH(hosts, const char *) = s->server_hostname;
    }
    lists[0] = s->names;
    lists[1] = s->wild_names;
    for (k = 0; k < 2; k++) {
        for (i = 0; lists[k] && i < lists[k]->nelts; i++) {
            APR_ARRAY_PUSH(hosts, const char *) =
                APR_ARRAY_IDX(lists[k], i, const char *);
        }
    }
    if (conf->base_url) {
        apr_uri_t uri;

        if (apr_uri_parse(r->pool, conf->base_url, &uri) == APR_SUCCESS
            && uri.hostname) {
            APR_ARRAY_PUSH(hosts, const char *) = uri.hostname;
        }
    }
    return hosts;
}

/* What the handler with configuration `conf` accepts (SPEC 5): the
 * networks SMONetwork defines there and the built-in ones, and this
 * server's hosts.  Everything in r->pool or the configuration pool. */
void smo_click_config_of(request_rec *r, const smo_dir_conf *conf,
                         smo_click_config *cc)
{
    apr_array_header_t *nets;
    int i;

    nets = apr_array_make(r->pool, conf->networks ? conf->networks->nelts
                                                  : 1,
                          sizeof(const smo_network *));
    for (i = 0; conf->networks && i < conf->networks->nelts; i++) {
        APR_ARRAY_PUSH(nets, const smo_network *) =
            &APR_ARRAY_IDX(conf->networks, i, smo_network);
    }
    memset(cc, 0, sizeof(*cc));
    cc->networks = nets;
    cc->builtins = 1;
    cc->mastodon = conf->mastodon;
    cc->own_hosts = smo_own_hosts(r, conf);
    cc->allow_hosts = conf->click_allow;
    cc->strip_params = smo_strip_globs(conf);
    cc->utm = conf->share_utm && *conf->share_utm ? conf->share_utm : NULL;
}

/* What the click handler at `click_url` will accept, for the filter to
 * write tracked links only where they work (SPEC 5).  The handler's
 * configuration is whatever applies to that URL: <Location>, and
 * <Directory>, .htaccess or <If> too, so the configuration is looked up
 * as Apache will for the click itself, with a subrequest lookup (no
 * handler runs).  Once per response, and only with SMOTrackClicks On.
 * `*no_handler` is set when the lookup went through and found no
 * smo-click handler there: a tracked link would not work at all. */
const smo_click_config *smo_click_view(request_rec *r,
                                       const char *click_url,
                                       int *no_handler)
{
    request_rec *rr = ap_sub_req_lookup_uri(click_url, r, NULL);
    const smo_dir_conf *hc;
    smo_click_config *cc = apr_pcalloc(r->pool, sizeof(*cc));
    apr_array_header_t *nets, *allow = NULL;
    int i;

    *no_handler = 0;
    if (rr == NULL) {
        return NULL;
    }
    /* SetHandler is applied in the fixups, which run only when the
     * lookup passed the access checks. */
    if (rr->status == HTTP_OK
        && (rr->handler == NULL
            || strcmp(rr->handler, SMO_CLICK_HANDLER) != 0)) {
        *no_handler = 1;
        ap_destroy_sub_req(rr);
        return NULL;
    }
    hc = ap_get_module_config(rr->per_dir_config, &smo_module);
    smo_click_config_of(r, hc, cc);
    /* The lookup's configuration may live in its pool (.htaccess): copy
     * what is kept before the lookup goes. */
    nets = apr_array_make(r->pool, cc->networks->nelts,
                          sizeof(const smo_network *));
    for (i = 0; i < cc->networks->nelts; i++) {
        const smo_network *n = APR_ARRAY_IDX(cc->networks, i,
                                             const smo_network *);
        smo_network *copy = apr_palloc(r->pool, sizeof(*copy));

        copy->name = apr_pstrdup(r->pool, n->name);
        copy->tmpl = apr_pstrdup(r->pool, n->tmpl);
        copy->label = apr_pstrdup(r->pool, n->label);
        APR_ARRAY_PUSH(nets, const smo_network *) = copy;
    }
    cc->networks = nets;
    cc->mastodon = apr_pstrdup(r->pool, cc->mastodon);
    cc->utm = apr_pstrdup(r->pool, cc->utm);
    if (cc->allow_hosts) {
        allow = apr_array_make(r->pool, cc->allow_hosts->nelts,
                               sizeof(const char *));
        for (i = 0; i < cc->allow_hosts->nelts; i++) {
            APR_ARRAY_PUSH(allow, const char *) = apr_pstrdup(
                r->pool, APR_ARRAY_IDX(cc->allow_hosts, i, const char *));
        }
    }
    cc->allow_hosts = allow;
    cc->own_hosts = apr_array_copy(r->pool, cc->own_hosts);
    for (i = 0; i < cc->own_hosts->nelts; i++) {
        APR_ARRAY_IDX(cc->own_hosts, i, const char *) = apr_pstrdup(
            r->pool, APR_ARRAY_IDX(cc->own_hosts, i, const char *));
    }
    cc->strip_params = NULL;    /* not needed to judge a link */
    ap_destroy_sub_req(rr);
    return cc;
}

/* A short plain-text answer that holds nothing from the request. */
int smo_plain_answer(request_rec *r, int status, const char *text)
{
    r->status = status;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Robots-Tag", "noindex");
    ap_set_content_length(r, (apr_off_t)strlen(text) + 1);
    if (!r->header_only) {
        ap_rvputs(r, text, "\n", NULL);
    }
    return OK;
}

int smo_click_handler(request_rec *r)
{
    const smo_dir_conf *conf;
    smo_click_config cc;
    smo_click_result res;
    const char *why;
    int rv;

    if (r->handler == NULL || strcmp(r->handler, SMO_CLICK_HANDLER) != 0) {
        return DECLINED;
    }
    /* A request body (of a POST, say) is read and dropped, so that the
     * connection can be kept alive. */
    rv = ap_discard_request_body(r);
    if (rv != OK) {
        return rv;
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        apr_table_setn(r->subprocess_env, "SMO_REJECT", "method");
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: click refused: method (%s)",
                      ap_escape_logitem(r->pool, r->method));
        return smo_plain_answer(r, HTTP_METHOD_NOT_ALLOWED,
                            "Only GET and HEAD are allowed here.");
    }

    conf = ap_get_module_config(r->per_dir_config, &smo_module);
    smo_click_config_of(r, conf, &cc);
    memset(&res, 0, sizeof(res));
    why = smo_click_check(r->pool, &cc, r->args, &res);
    if (why) {
        /* The reason only: a refused URL is never logged (SPEC 5). */
        apr_table_setn(r->subprocess_env, "SMO_REJECT", res.reason);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: click refused: %s", res.reason);
        return smo_plain_answer(r, HTTP_BAD_REQUEST, res.message);
    }

    /* A HEAD is answered like a GET but is no click. */
    if (!r->header_only) {
        apr_table_setn(r->subprocess_env, "SMO_CLICK", "1");
    }
    apr_table_setn(r->subprocess_env, "SMO_NETWORK", res.network->name);
    apr_table_setn(r->subprocess_env, "SMO_URL", res.url);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: click to %s%s", res.network->name,
                  r->header_only ? " (HEAD: not counted)" : "");
    if (res.title_dropped) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "SMO: click to %s shared without its title (t): %s",
                      res.network->name, res.title_dropped);
    }
    apr_table_setn(r->headers_out, "Location", res.location);
    return smo_plain_answer(r, HTTP_MOVED_TEMPORARILY,
                        "Redirecting to the share page.");
}
