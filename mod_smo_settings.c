/* mod_smo_settings.c — what the engine is told for one request: the
 * merged per-directory configuration read against the request (its URL,
 * its charset, the SMOMeta expressions, the share networks and whether
 * the click handler will take their links), with the defaults of unset
 * directives applied.  The filter creates its engine from this.
 */

#include "mod_smo_private.h"

#include "http_core.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "smo_confcheck.h"
#include "smo_url.h"

static void engine_log(void *c, const char *msg)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, (request_rec *)c, "SMO: %s",
                  msg);
}

/* Without SMOBaseURL: the virtual host's scheme, ServerName and port
 * (SPEC 3), never the request's Host header, which
 * ap_get_server_name_for_url() follows under Apache's default
 * UseCanonicalName Off: a cache that does not key on Host could be
 * poisoned with another site's canonical, and a site reached under
 * several names would get several canonicals.  A ServerName without a
 * port: the port the connection came in on (the server's, not the
 * client's word). */
static const char *default_base(request_rec *r)
{
    const server_rec *s = r->server;
    apr_port_t port = s->port ? s->port : r->connection->local_addr->port;

    return smo_url_base_from_request(r->pool, ap_http_scheme(r),
                                     s->server_hostname, port);
}

const char *smo_request_base(request_rec *r, const smo_dir_conf *conf)
{
    return conf->base_url ? conf->base_url : default_base(r);
}

/* The canonical URL names what the client asked for: the original
 * request's path and query, before mod_dir, mod_rewrite or an internal
 * redirect changed r->uri.  The page URL is the same without the query
 * (SPEC section 3: what relative configured values resolve against). */
static void request_urls(request_rec *r, const smo_dir_conf *conf,
                         const char **canonical, const char **page)
{
    const request_rec *orig = r;
    const apr_array_header_t *globs = smo_strip_globs(conf);
    const char *base, *path;

    while (orig->prev) {
        orig = orig->prev;
    }
    base = smo_request_base(r, conf);
    path = orig->parsed_uri.path ? orig->parsed_uri.path : orig->uri;
    *canonical = smo_url_canonical(r->pool, base, path,
                                   orig->parsed_uri.query, globs);
    *page = orig->parsed_uri.query
            ? smo_url_canonical(r->pool, base, path, NULL, globs)
            : *canonical;
}

/* The charset the response will be sent with (SPEC 6, "Which charset"):
 * that of the Content-Type the HTTP header filter will write, which
 * carries AddDefaultCharset's; NULL if none. */
const char *smo_sent_charset(request_rec *r)
{
    const char *ct;

    if (r->content_type == NULL) {
        return NULL;
    }
    ct = ap_make_content_type(r, r->content_type);
    return smo_content_type_charset(r->pool, ct);
}

/* The SMOMeta values for this request.  An expression that fails (a
 * file that cannot be read, say) loses its property only, not the page:
 * the rest of the metadata is still written. */
static apr_array_header_t *eval_meta(request_rec *r,
                                     const apr_array_header_t *list)
{
    apr_array_header_t *props;
    int i;

    props = apr_array_make(r->pool, list ? list->nelts : 1,
                           sizeof(smo_meta_prop));
    for (i = 0; list && i < list->nelts; i++) {
        const smo_conf_meta *m = &APR_ARRAY_IDX(list, i, smo_conf_meta);
        const char *err = NULL;
        const char *v = m->expr ? ap_expr_str_exec(r, m->expr, &err) : "";
        smo_meta_prop *prop;

        if (err || v == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "SMO: SMOMeta %s (%s:%u) dropped for %s: %s",
                          m->name, m->expr->filename, m->expr->line_number,
                          r->uri, err ? err : "no value");
            continue;
        }
        prop = apr_array_push(props);
        prop->name = m->name;
        prop->value = v;
    }
    return props;
}

/* The metadata rules for this request (SPEC section 3). */
static const smo_meta_config *meta_config(request_rec *r,
                                          const smo_dir_conf *conf,
                                          int xhtml)
{
    smo_meta_config *mc = apr_pcalloc(r->pool, sizeof(*mc));

    mc->props = eval_meta(r, conf->meta);
    mc->override = conf->meta_override == 1;
    mc->auto_meta = conf->auto_meta != 0;      /* On or unset */
    mc->canonical = conf->canonical != 0;      /* On or unset */
    request_urls(r, conf, &mc->canonical_url, &mc->page_url);
    mc->strip_globs = smo_strip_globs(conf);
    mc->http_charset = smo_sent_charset(r);
    mc->xhtml = xhtml;
    if (conf->image_info != 0) {               /* On or unset */
        mc->image_facts = smo_image_lookup;
        mc->image_ctx = r;
    }
    smo_card_settings_for(r, conf, mc);
    return mc;
}

/* The networks SMOShare enables here, resolved against the merged
 * SMONetwork table: a definition in this or an outer section wins over
 * the built-in network of that name; `twitter` is `x` unless an
 * SMONetwork line defines `twitter` itself.  A network listed twice
 * (`x twitter`) shows once.  A name no section on this request's path
 * defines (it is defined in another virtual host, say) is skipped. */
static apr_array_header_t *share_networks(request_rec *r,
                                          const smo_dir_conf *conf)
{
    apr_array_header_t *out;
    int i, j;

    out = apr_array_make(r->pool, conf->share ? conf->share->nelts : 1,
                         sizeof(const smo_network *));
    for (i = 0; conf->share && i < conf->share->nelts; i++) {
        const char *name = APR_ARRAY_IDX(conf->share, i, const char *);
        const smo_network *net;

        if (strcmp(name, "twitter") == 0
            && smo_find_network(conf->networks, name) == NULL) {
            name = "x";
        }
        net = smo_find_network(conf->networks, name);
        if (net == NULL) {
            net = smo_share_builtin(r->pool, name, conf->mastodon);
        }
        if (net == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "SMO: SMOShare %s skipped for %s: no SMONetwork "
                          "defines it here", name, r->uri);
            continue;
        }
        for (j = 0; j < out->nelts; j++) {
            if (strcmp(APR_ARRAY_IDX(out, j, const smo_network *)->name,
                       net->name) == 0) {
                break;
            }
        }
        if (j == out->nelts) {
            APR_ARRAY_PUSH(out, const smo_network *) = net;
        }
    }
    return out;
}

static const smo_share_config *share_config(request_rec *r,
                                            const smo_dir_conf *conf,
                                            int xhtml)
{
    smo_share_config *sc = apr_pcalloc(r->pool, sizeof(*sc));

    sc->networks = share_networks(r, conf);
    sc->track_clicks = conf->track_clicks == 1;
    sc->click_url = conf->click_url ? conf->click_url
                                    : SMO_CLICK_URL_DEFAULT;
    if (sc->track_clicks && sc->networks->nelts > 0) {
        int no_handler;

        sc->click = smo_click_view(r, sc->click_url, &no_handler);
        if (no_handler) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "SMO: share links of %s go direct: no smo-click "
                          "handler at SMOClickURL %s", r->uri,
                          sc->click_url);
            sc->track_clicks = 0;
        }
    }
    sc->block_template = conf->share_template;
    sc->utm = conf->share_utm && *conf->share_utm ? conf->share_utm : NULL;
    sc->xhtml = xhtml;
    return sc;
}

/* The engine's settings for this request, `conf` applied (SPEC sections
 * 3 and 4). */
void smo_engine_settings(request_rec *r, const smo_dir_conf *conf, int xhtml,
                         smo_engine_config *ec)
{
    memset(ec, 0, sizeof(*ec));
    ec->head_limit = (size_t)(conf->head_limit != SMO_UNSET
                              ? conf->head_limit : SMO_HEAD_LIMIT_DEFAULT);
    ec->tail_limit = SMO_TAIL_LIMIT_DEFAULT;
    ec->xhtml = xhtml;
    ec->meta = meta_config(r, conf, xhtml);
    ec->share = share_config(r, conf, xhtml);
    if (ec->share->networks->nelts == 0) {
        ec->share = NULL;
    }
    ec->share_at = conf->share_at != SMO_UNSET
                   ? (smo_share_where)conf->share_at : SMO_SHARE_AT_BODY_END;
    ec->share_sel = conf->share_at != SMO_UNSET ? conf->share_sel : NULL;
    ec->share_style = conf->share_style && *conf->share_style
                      ? conf->share_style : NULL;
    /* The engine formats its messages before it calls back: only when
     * they would be logged. */
    if (APLOG_R_IS_LEVEL(r, APLOG_DEBUG)) {
        ec->log = engine_log;
        ec->log_ctx = r;
    }
}
