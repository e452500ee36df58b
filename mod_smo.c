/* mod_smo.c — the entry of mod_smo's Apache glue: the module record, the
 * hooks, and the decisions to insert the `SMO` output filter and to stay
 * out of the way of a response.
 *
 * Everything that decides what to write into a page lives in lib/ (see
 * smo_engine.h); the glue only moves buckets.  Its other files, one
 * concern each, are listed in mod_smo_private.h.
 */

#include "mod_smo_private.h"

#include "http_protocol.h"
#include "http_request.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "smo_escape.h"
#include "smo_imagecache.h"

static const char smo_filter_name[] = "SMO";
/* The same filter placed after mod_headers' output fixups (see
 * filter_to_add()). */
static const char smo_late_filter_name[] = "SMO_AFTER_HEADERS";

/* ------------------------------------------------------------------ */
/* Request checks shared by the hooks and the filter                   */

/* text/html or application/xhtml+xml, parameters ignored. */
int smo_html_type(const char *ct, int *xhtml)
{
    size_t n;

    if (ct == NULL) {
        return 0;
    }
    n = strcspn(ct, "; \t");
    if (n == 9 && ap_cstr_casecmpn(ct, "text/html", 9) == 0) {
        *xhtml = 0;
        return 1;
    }
    if (n == 21 && ap_cstr_casecmpn(ct, "application/xhtml+xml", 21) == 0) {
        *xhtml = 1;
        return 1;
    }
    return 0;
}

/* A Content-Encoding value: 1 when every coding in it is identity. */
static int identity_coding(const char *v)
{
    while (*v) {
        const char *start, *end;

        while (*v == ',' || apr_isspace(*v)) {
            v++;
        }
        start = v;
        while (*v && *v != ',') {
            v++;
        }
        end = v;
        while (end > start && apr_isspace(end[-1])) {
            end--;
        }
        if (end > start && !(end - start == 8
                              && ap_cstr_casecmpn(start, "identity", 8) == 0)) {
            return 0;
        }
    }
    return 1;
}

static int coding_cb(void *rec, const char *key, const char *value)
{
    (void)key;
    if (!identity_coding(value)) {
        *(int *)rec = 0;
        return 0;
    }
    return 1;
}

typedef struct {
    apr_pool_t *pool;
    int found;
} token_search;

static int no_transform_cb(void *rec, const char *key, const char *value)
{
    token_search *ts = rec;

    (void)key;
    if (ap_find_token(ts->pool, value, "no-transform")) {
        ts->found = 1;
        return 0;
    }
    return 1;
}

/* Why the body must pass untouched (SPEC section 1), or NULL.  The
 * details (the status, the type) are formatted only when `detail` says
 * the reason will be logged: most responses of a site are skipped. */
const char *smo_skip_reason(request_rec *r, int *xhtml, int detail)
{
    int identity = 1;
    token_search ts;

    if (r->main && !smo_inspect_subrequest(r)) {
        return "subrequest (the main request's filter sees its output)";
    }
    if (apr_table_get(r->notes, SMO_ACTIVE_NOTE)) {
        return "another SMO filter instance already rewrites it";
    }
    if (r->status != HTTP_OK) {
        return detail ? apr_psprintf(r->pool, "status %d", r->status)
                      : "status";
    }
    if (!smo_html_type(r->content_type, xhtml)) {
        return detail ? apr_psprintf(r->pool, "content type %s",
                                     r->content_type ? r->content_type
                                                     : "unset")
                      : "content type";
    }
    {
        /* What we write is ASCII: it reads right only in an
         * ASCII-compatible charset, and not in a stateful one
         * (ISO-2022-JP), where it could land inside a double-byte run. */
        const char *cs = smo_sent_charset(r);
        if (cs && smo_charset_unwritable(cs)) {
            return detail ? apr_psprintf(r->pool, "charset %s: ASCII "
                                         "markup cannot be written into "
                                         "it", cs)
                          : "charset";
        }
    }
    if (r->content_encoding && !identity_coding(r->content_encoding)) {
        identity = 0;
    }
    if (identity) {
        apr_table_do(coding_cb, &identity, r->headers_out,
                     "Content-Encoding", NULL);
    }
    if (identity) {
        apr_table_do(coding_cb, &identity, r->err_headers_out,
                     "Content-Encoding", NULL);
    }
    if (!identity) {
        return "Content-Encoding is not identity";
    }
    ts.pool = r->pool;
    ts.found = 0;
    apr_table_do(no_transform_cb, &ts, r->headers_out, "Cache-Control", NULL);
    if (!ts.found) {
        apr_table_do(no_transform_cb, &ts, r->err_headers_out,
                     "Cache-Control", NULL);
    }
    if (ts.found) {
        return "Cache-Control: no-transform";
    }
    if (apr_table_get(r->subprocess_env, "no-smo")) {
        return "no-smo is set";
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

/* Both names are registered with smo_filter, and only they: comparing
 * the function spares a name comparison for every filter of every
 * request. */
static int is_smo_filter(const ap_filter_t *f)
{
    return f->frec && f->frec->filter_func.out_func == smo_filter;
}

static ap_filter_t *smo_in_chain(request_rec *r)
{
    ap_filter_t *f;

    for (f = r->output_filters; f; f = f->next) {
        if (is_smo_filter(f)) {
            return f;
        }
    }
    return NULL;
}

/* Where the filter goes.  It must run before any compression filter
 * (mod_deflate, mod_brotli: content-set filters), so `SMO` is the last of
 * the resource filters.  But mod_headers applies "Header set" in its own
 * content-set filter, later still, and a "Header set Cache-Control
 * no-transform" must keep the page untouched (SPEC section 1).  So when
 * mod_headers' filter is the first content-set filter of the request --
 * nothing such as a compressor comes before it -- the filter is placed
 * right after it instead, and sees the headers as configured.  (With a
 * compressor first, mod_deflate itself does not see those headers either.) */
static const char *filter_to_add(request_rec *r)
{
    ap_filter_t *f;

    for (f = r->output_filters; f; f = f->next) {
        if (f->frec == NULL || f->frec->ftype < AP_FTYPE_CONTENT_SET
            || is_smo_filter(f)) {
            continue;
        }
        if (f->frec->ftype == AP_FTYPE_CONTENT_SET && f->frec->name
            && ap_cstr_casecmp(f->frec->name, "FIXUP_HEADERS_OUT") == 0) {
            return smo_late_filter_name;
        }
        break;
    }
    return smo_filter_name;
}

/* Runs after every other insert_filter hook.  SMOEngine On adds the
 * filter; the content type may not be known yet for some handlers, so the
 * filter's first call decides.  An SMO filter added earlier by
 * SetOutputFilter or AddOutputFilter is taken out and added again, so that
 * it is placed as filter_to_add() says and appears once. */
static void smo_insert_filter(request_rec *r)
{
    const smo_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                    &smo_module);
    ap_filter_t *existing;

    if (r->main) {
        smo_inspect_insert_filter(r, smo_filter_name);
        return;
    }
    existing = smo_in_chain(r);
    if (existing) {
        ap_remove_output_filter(existing);
    }
    if (existing || conf->engine == 1) {
        ap_add_output_filter(filter_to_add(r), NULL, r, r->connection);
        smo_fix_conditionals(r);
    }
}

/* A 304 made by ap_die() is sent after the resource and content-set
 * filters (ours) are removed: fix its ETag here. */
static void smo_insert_error_filter(request_rec *r)
{
    smo_fix_304_etag(r);
}

/* One plan cache, one image facts cache and one card cache per child
 * process, made after the fork (their mutexes and memory are the
 * child's), for every virtual host. */
static void smo_child_init(apr_pool_t *pchild, server_rec *s)
{
    smo_plan_cache *plans = smo_plan_cache_create(
        pchild, SMO_PLAN_CACHE_ENTRIES, SMO_PLAN_MAX);
    smo_image_cache *images = smo_image_cache_create(
        pchild, SMO_IMAGE_CACHE_ENTRIES);

    server_rec *v;

    for (v = s; v; v = v->next) {
        smo_server_conf *sc = ap_get_module_config(v->module_config,
                                                   &smo_module);
        sc->plans = plans;
        sc->images = images;
    }
    smo_card_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    /* The last resource filter: after mod_include, mod_substitute or
     * mod_proxy_html (it sees the page they made), before mod_deflate.
     * The late twin: see filter_to_add(). */
    ap_register_output_filter(smo_filter_name, smo_filter, NULL,
                              AP_FTYPE_CONTENT_SET - 1);
    ap_register_output_filter(smo_late_filter_name, smo_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_insert_filter(smo_insert_filter, NULL, NULL,
                          APR_HOOK_REALLY_LAST);
    ap_hook_insert_error_filter(smo_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_handler(smo_click_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(smo_card_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(smo_inspect_handler, NULL, NULL, APR_HOOK_MIDDLE);
    smo_inspect_register();
    ap_hook_post_config(smo_card_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(smo_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(smo_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA smo_module = {
    STANDARD20_MODULE_STUFF,
    smo_create_dir_conf,
    smo_merge_dir_conf,
    smo_create_server_conf,
    smo_merge_server_conf,
    smo_cmds,
    register_hooks
#if defined(AP_MODULE_HAS_FLAGS)
    , AP_MODULE_FLAG_NONE
#endif
};
