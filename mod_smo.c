/* mod_smo.c — the Apache glue of mod_smo: configuration, the `SMO` output
 * filter and the hooks that insert it.
 *
 * Everything that decides what to write into a page lives in lib/ (see
 * smo_engine.h); this file only moves buckets.  The filter feeds each data
 * bucket's bytes to the engine and keeps the bucket itself in a `held`
 * brigade; the engine answers through a sink (pass / drop / insert up to a
 * stream offset), so unchanged bytes leave as the buckets they came in,
 * split where needed, never copied.
 */

#include "mod_smo_private.h"

#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "ap_expr.h"

#include "apr_buckets.h"
#include "apr_file_io.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "smo_click.h"
#include "smo_engine.h"
#include "smo_escape.h"
#include "smo_plan.h"
#include "smo_share.h"
#include "smo_tokenizer.h"
#include "smo_url.h"

static const char smo_filter_name[] = "SMO";
/* The same filter placed after mod_headers' output fixups (see
 * filter_to_add()). */
static const char smo_late_filter_name[] = "SMO_AFTER_HEADERS";

/* Set on r->notes when a 304 for this request must carry the filtered
 * ETag (see fix_conditionals()). */
static const char smo_etag_note[] = "smo-etag";

/* Set on r->notes to the client's If-None-Match when fix_conditionals()
 * made its tags stale for a response whose type was not known yet. */
static const char smo_inm_note[] = "smo-if-none-match";

/* Set on r->notes by the SMO filter that rewrites the response, so that
 * a second instance (e.g. SMOEngine On plus AddOutputFilterByType SMO,
 * which mod_filter runs under its own name) steps aside. */
static const char smo_active_note[] = "smo-active";

/* The suffix that tells the filtered representation's ETag apart. */
#define SMO_ETAG_SUFFIX "-smo"
#define SMO_ETAG_SUFFIX_LEN (sizeof(SMO_ETAG_SUFFIX) - 1)
/* What an unfiltered ETag sent by the client becomes (see
 * rewrite_etag_list()): a tag that can match nothing we serve. */
#define SMO_ETAG_STALE "-smo-unfiltered"

/* ------------------------------------------------------------------ */
/* Request checks shared by the hooks and the filter                   */

/* text/html or application/xhtml+xml, parameters ignored. */
static int html_type(const char *ct, int *xhtml)
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
static const char *content_type_charset(apr_pool_t *p, const char *ct);

/* The charset the response will be sent with (SPEC 6, "Which charset"):
 * that of the Content-Type the HTTP header filter will write, which
 * carries AddDefaultCharset's; NULL if none. */
static const char *sent_charset(request_rec *r)
{
    if (r->content_type == NULL) {
        return NULL;
    }
    return content_type_charset(r->pool,
                                ap_make_content_type(r, r->content_type));
}

static const char *skip_reason(request_rec *r, int *xhtml, int detail)
{
    int identity = 1;
    token_search ts;

    if (r->main) {
        return "subrequest (the main request's filter sees its output)";
    }
    if (apr_table_get(r->notes, smo_active_note)) {
        return "another SMO filter instance already rewrites it";
    }
    if (r->status != HTTP_OK) {
        return detail ? apr_psprintf(r->pool, "status %d", r->status)
                      : "status";
    }
    if (!html_type(r->content_type, xhtml)) {
        return detail ? apr_psprintf(r->pool, "content type %s",
                                     r->content_type ? r->content_type
                                                     : "unset")
                      : "content type";
    }
    {
        /* What we write is ASCII: it reads right only in an
         * ASCII-compatible charset, and not in a stateful one
         * (ISO-2022-JP), where it could land inside a double-byte run. */
        const char *cs = sent_charset(r);
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
/* ETags                                                               */

/* `"abc"` -> `"abc-smo"`, `W/"abc"` -> `W/"abc-smo"`, as mod_deflate
 * does with -gzip; anything not ending in a quote is left alone. */
/* A strong or weak entity-tag (RFC 9110 8.8.3: optional W/, then a
 * quoted string without '"') with our suffix inside its quotes, as
 * mod_deflate does with -gzip; NULL for a value that is no entity-tag
 * (`abc`, `"abc"x`): it cannot be made distinct, so the caller drops it
 * rather than send the unfiltered body's tag with the filtered body. */
static const char *etag_add_suffix(apr_pool_t *p, const char *etag)
{
    const char *open = etag[0] == 'W' && etag[1] == '/' ? etag + 2 : etag;
    size_t len = strlen(etag), qlen = strlen(open);
    char *s;

    if (qlen < 2 || open[0] != '"' || open[qlen - 1] != '"'
        || memchr(open + 1, '"', qlen - 2) != NULL) {
        return NULL;
    }
    if (qlen >= SMO_ETAG_SUFFIX_LEN + 2
        && memcmp(etag + len - 1 - SMO_ETAG_SUFFIX_LEN, SMO_ETAG_SUFFIX,
                  SMO_ETAG_SUFFIX_LEN) == 0) {
        return etag;            /* already ours */
    }
    s = apr_palloc(p, len + SMO_ETAG_SUFFIX_LEN + 1);
    memcpy(s, etag, len - 1);
    memcpy(s + len - 1, SMO_ETAG_SUFFIX, SMO_ETAG_SUFFIX_LEN);
    s[len - 1 + SMO_ETAG_SUFFIX_LEN] = '"';
    s[len + SMO_ETAG_SUFFIX_LEN] = '\0';
    return s;
}

static void suffix_etag_in(request_rec *r, apr_table_t *t)
{
    const char *etag = apr_table_get(t, "ETag"), *ours;

    if (etag == NULL) {
        return;
    }
    ours = etag_add_suffix(r->pool, etag);
    if (ours) {
        apr_table_setn(t, "ETag", ours);
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: ETag %s is no entity-tag, so it cannot be told apart "
                  "from the unfiltered body's: dropped", etag);
    apr_table_unset(t, "ETag");
}

static void suffix_etags(request_rec *r)
{
    suffix_etag_in(r, r->headers_out);
    suffix_etag_in(r, r->err_headers_out);
}

/* Rewrite an If-None-Match / If-Match list for a handler that only knows
 * the unfiltered ETag: a tag we issued (`"abc-smo"`) becomes the
 * handler's `"abc"`, so an unchanged page still gets its 304 (*ours is
 * set).  With `stale`, a tag without our suffix names the unfiltered
 * body, which this request will not serve, so it is made unmatchable
 * (`"abc-smo-unfiltered"`) and the client gets the filtered body (SPEC
 * section 6); the header is kept, never removed, so that
 * If-Modified-Since stays ignored as HTTP requires.  Returns NULL to leave
 * the header as it is (`*`, nothing to change, or no valid list). */
static const char *rewrite_etag_list(apr_pool_t *p, const char *v, int stale,
                                     int *ours)
{
    apr_array_header_t *parts = apr_array_make(p, 4, sizeof(const char *));
    const char *s = v;
    int changed = 0;

    for (;;) {
        const char *start, *open, *close;
        int weak = 0;

        while (*s == ',' || *s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        start = s;
        if (s[0] == 'W' && s[1] == '/') {
            weak = 1;
            s += 2;
        }
        if (*s != '"') {
            return NULL;
        }
        open = s + 1;
        close = strchr(open, '"');
        if (close == NULL) {
            return NULL;
        }
        if ((size_t)(close - open) > SMO_ETAG_SUFFIX_LEN
            && memcmp(close - SMO_ETAG_SUFFIX_LEN, SMO_ETAG_SUFFIX,
                      SMO_ETAG_SUFFIX_LEN) == 0) {
            APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
                p, "%s\"%.*s\"", weak ? "W/" : "",
                (int)(close - open) - (int)SMO_ETAG_SUFFIX_LEN, open);
            *ours = changed = 1;
        }
        else if (stale) {
            APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
                p, "%s\"%.*s" SMO_ETAG_STALE "\"", weak ? "W/" : "",
                (int)(close - open), open);
            changed = 1;
        }
        else {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_pstrmemdup(p, start, (apr_size_t)(close + 1 - start));
        }
        s = close + 1;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s != '\0' && *s != ',') {
            return NULL;
        }
    }
    if (!changed) {
        return NULL;
    }
    return apr_array_pstrcat(p, parts, ',');
}

/* Called before the handler when the SMO filter is in the chain of a GET
 * (or HEAD): adjust the conditional headers so that the handler's own
 * check (the default handler's, mod_cgid's on the script's headers, a
 * proxied backend's) compares against the ETag the client really holds,
 * and note that a 304 must carry the -smo tag.  A tag we issued
 * (`"abc-smo"`) becomes the handler's `"abc"`.  A tag without our suffix
 * names the unfiltered body, which a page we filter never is (SPEC 6
 * "ETag"), so in If-None-Match it is made unmatchable and the handler
 * sends the body.  When the type is not known yet (a CGI, a proxy) the
 * response may turn out to be no page of ours (an API's JSON): the
 * client's header is kept in the notes, and the filter, seeing it will
 * not change the body, answers the 304 the handler would have given
 * (restore_conditionals()).  If-Match is only translated for such
 * responses: a stale tag there would give a 412.  Another type, a
 * subrequest, `no-smo`: nothing. */
static void fix_conditionals(request_rec *r)
{
    static const char *const headers[] = { "If-None-Match", "If-Match" };
    int known_html, xhtml, ours = 0;
    size_t i;

    if (r->main || r->method_number != M_GET
        || apr_table_get(r->subprocess_env, "no-smo")) {
        return;
    }
    known_html = html_type(r->content_type, &xhtml);
    if (r->content_type && !known_html) {
        return;
    }
    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        const char *v = apr_table_get(r->headers_in, headers[i]);
        int stale = known_html || i == 0;
        const char *nv;

        if (v && (nv = rewrite_etag_list(r->pool, v, stale, &ours))) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                          "SMO: %s for the handler: %s", headers[i], nv);
            apr_table_setn(r->headers_in, headers[i], nv);
            if (i == 0 && !known_html) {
                apr_table_setn(r->notes, smo_inm_note, v);
            }
        }
    }
    if (known_html || ours) {
        apr_table_setn(r->notes, smo_etag_note, "1");
    }
}

/* The response will go out unchanged after all (not HTML, not 200...):
 * the client's own If-None-Match, which fix_conditionals() made stale for
 * the handler, is judged as the handler would have judged it, and a match
 * is the 304 the client would have had without mod_smo (the HTTP filter
 * then drops the body).  Returns 1 for that 304. */
static int restore_conditionals(request_rec *r)
{
    const char *v = apr_table_get(r->notes, smo_inm_note);

    if (v == NULL) {
        return 0;
    }
    apr_table_unset(r->notes, smo_inm_note);
    apr_table_setn(r->headers_in, "If-None-Match", v);
    if (r->status != HTTP_OK || ap_meets_conditions(r) != HTTP_NOT_MODIFIED) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: %s is not filtered and matches the client's "
                  "If-None-Match: 304", r->uri);
    r->status = HTTP_NOT_MODIFIED;
    r->status_line = NULL;
    apr_table_unset(r->headers_out, "Content-Length");
    return 1;
}

/* A 304 answers for the representation the client holds: the filtered
 * one, so its ETag needs our suffix too. */
static void fix_304_etag(request_rec *r)
{
    if (r->status == HTTP_NOT_MODIFIED
        && apr_table_get(r->notes, smo_etag_note)) {
        suffix_etags(r);
    }
}

/* ------------------------------------------------------------------ */
/* The filter                                                          */

typedef struct {
    request_rec *r;
    smo_engine *engine;
    apr_bucket_brigade *held;  /* fed to the engine, not yet passed */
    apr_bucket_brigade *out;   /* ready to go down the chain */
    apr_bucket_brigade *whole; /* Range requests: the body collected
                                * (NULL until needed) */
    apr_uint64_t held_off;     /* stream offset of the first held byte */
    apr_uint64_t in_off;       /* stream offset after all bytes fed */
    apr_size_t out_bytes;      /* data bytes waiting in `out` */
    char *scratch;             /* file bytes read for the engine only */
    apr_size_t scratch_size;
    apr_size_t whole_mem;      /* bytes in `whole` held in memory */
    apr_size_t whole_max;      /* ... and the most we accept */
    int collect;               /* pass nothing before EOS (Range) */
    int aside;                 /* engine finished: buckets just go on */
    int sink_failed;
    int failed;                /* the engine failed: keep no plan */
    /* The plan cache: a plan to apply instead of parsing, or the key under
     * which to keep what the engine does to this file. */
    const smo_plan *plan;
    smo_plan_cache *plans;
    smo_plan_recorder *recorder;
    const char *plan_key;
    apr_size_t plan_key_len;
} smo_filter_ctx;

/* Move (keep) or delete the held buckets up to stream offset `upto`,
 * splitting the bucket it falls in.  Metadata buckets waiting in `held`
 * always go on, in their place. */
static int release_held(smo_filter_ctx *ctx, apr_uint64_t upto, int keep)
{
    while (!APR_BRIGADE_EMPTY(ctx->held)) {
        apr_bucket *b = APR_BRIGADE_FIRST(ctx->held);

        if (APR_BUCKET_IS_METADATA(b)) {
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->out, b);
            continue;
        }
        if (ctx->held_off >= upto) {
            break;
        }
        if (upto - ctx->held_off < b->length) {
            apr_status_t rv = apr_bucket_split(b, (apr_size_t)(upto
                                                   - ctx->held_off));
            if (rv != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, ctx->r,
                              "SMO: cannot split a %s bucket", b->type->name);
                ctx->sink_failed = 1;
                return -1;
            }
        }
        ctx->held_off += b->length;
        APR_BUCKET_REMOVE(b);
        if (!keep) {
            apr_bucket_destroy(b);
            continue;
        }
        ctx->out_bytes += b->length;
        if (APR_BUCKET_IS_FILE(b) && !APR_BRIGADE_EMPTY(ctx->out)) {
            apr_bucket *last = APR_BRIGADE_LAST(ctx->out);

            /* Two pieces of one file bucket that meet again (nothing was
             * inserted between them) go out as one: one sendfile. */
            if (APR_BUCKET_IS_FILE(last) && last->data == b->data
                && last->start + (apr_off_t)last->length == b->start) {
                last->length += b->length;
                apr_bucket_destroy(b);
                continue;
            }
        }
        APR_BRIGADE_INSERT_TAIL(ctx->out, b);
    }
    if (ctx->held_off != upto) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ctx->r,
                      "SMO: engine asked for offset %" APR_UINT64_T_FMT
                      ", held data is at %" APR_UINT64_T_FMT,
                      upto, ctx->held_off);
        ctx->sink_failed = 1;
        return -1;
    }
    return 0;
}

static int sink_pass(void *c, uint64_t upto)
{
    return release_held(c, upto, 1);
}

static int sink_drop(void *c, uint64_t upto)
{
    return release_held(c, upto, 0);
}

/* The engine's inserted bytes live in its pool, r->pool; a pool bucket
 * stays valid even if a later filter sets it aside beyond that pool. */
static int sink_insert(void *c, const char *bytes, size_t len)
{
    smo_filter_ctx *ctx = c;
    apr_bucket *b;

    if (len == 0) {
        return 0;
    }
    b = apr_bucket_pool_create(bytes, len, ctx->r->pool,
                               ctx->r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(ctx->out, b);
    ctx->out_bytes += len;
    return 0;
}

static const smo_sink smo_filter_sink = { sink_pass, sink_drop, sink_insert };

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
    base = conf->base_url ? conf->base_url : default_base(r);
    path = orig->parsed_uri.path ? orig->parsed_uri.path : orig->uri;
    *canonical = smo_url_canonical(r->pool, base, path,
                                   orig->parsed_uri.query, globs);
    *page = orig->parsed_uri.query
            ? smo_url_canonical(r->pool, base, path, NULL, globs)
            : *canonical;
}

/* The charset parameter of a Content-Type, unquoted, or NULL. */
static const char *content_type_charset(apr_pool_t *p, const char *ct)
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
        if (nlen == 7 && ap_cstr_casecmpn(name, "charset", 7) == 0) {
            return vlen ? apr_pstrmemdup(p, value, vlen) : NULL;
        }
        s = strchr(s, ';');
    }
    return NULL;
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
    mc->http_charset = sent_charset(r);
    mc->xhtml = xhtml;
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

static const smo_click_config *click_view(request_rec *r,
                                          const char *click_url,
                                          int *no_handler);

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

        sc->click = click_view(r, sc->click_url, &no_handler);
        if (no_handler) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "SMO: share links of %s go direct: no smo-click "
                          "handler at SMOClickURL %s", r->uri,
                          sc->click_url);
            sc->track_clicks = 0;
        }
    }
    sc->block_template = conf->share_template;
    sc->xhtml = xhtml;
    return sc;
}

/* A Range request is answered by the byte-range filter further down,
 * which cuts ranges only from a brigade holding the whole body and its
 * EOS (SPEC section 1: crawlers ask for the first 512 KiB).  So for a
 * Range request the filtered body is collected and passed in one go.  A
 * local file costs little (its untouched rest stays a file bucket); bytes
 * held in memory are capped, and past the cap, or on a FLUSH, the body is
 * streamed and the client gets a plain 200, which HTTP allows. */
#define SMO_RANGE_MEM_EXTRA ((apr_size_t)1024 * 1024)

/* The key of this response's plan (SMOPlanCache), or NULL when there is
 * none to look for: the response must be one whole static file, that is
 * `bb` holds file buckets of one file from its first byte to its last,
 * then EOS (what Apache's file handler sends).  The file is named by its
 * device, inode, modification time and size, the output by every engine
 * setting. */
static const char *plan_key(smo_filter_ctx *ctx, const smo_dir_conf *conf,
                            const smo_engine_config *ec,
                            apr_bucket_brigade *bb, apr_size_t *len)
{
    request_rec *r = ctx->r;
    smo_server_conf *sc = ap_get_module_config(r->server->module_config,
                                               &smo_module);
    apr_file_t *fd = NULL;
    apr_off_t next = 0;
    apr_finfo_t fi;
    apr_bucket *b;
    const char *id, *settings;
    apr_size_t id_len, settings_len;
    char *key;

    if (!sc->plans || conf->plan_cache == 0 || ctx->collect) {
        return NULL;
    }
    for (b = APR_BRIGADE_FIRST(bb);
         b != APR_BRIGADE_SENTINEL(bb) && !APR_BUCKET_IS_EOS(b);
         b = APR_BUCKET_NEXT(b)) {
        apr_bucket_file *a = b->data;

        if (!APR_BUCKET_IS_FILE(b) || b->length == (apr_size_t)-1
            || (fd && a->fd != fd) || b->start != next) {
            return NULL;
        }
        fd = a->fd;
        next += (apr_off_t)b->length;
    }
    if (!fd || b == APR_BRIGADE_SENTINEL(bb)
        || apr_file_info_get(&fi, APR_FINFO_IDENT | APR_FINFO_MTIME
                             | APR_FINFO_SIZE, fd) != APR_SUCCESS
        || fi.size != next) {
        return NULL;
    }
    ctx->plans = sc->plans;
    id = apr_psprintf(r->pool, "%" APR_UINT64_T_FMT ":%" APR_UINT64_T_FMT
                      ":%" APR_TIME_T_FMT ":%" APR_OFF_T_FMT "|",
                      (apr_uint64_t)fi.device, (apr_uint64_t)fi.inode,
                      fi.mtime, fi.size);
    id_len = strlen(id);
    settings = smo_engine_config_key(r->pool, ec, &settings_len);
    *len = id_len + settings_len;
    key = apr_palloc(r->pool, *len);
    memcpy(key, id, id_len);
    memcpy(key + id_len, settings, settings_len);
    return key;
}

/* What the engine did to this file, kept for the next response of it
 * (once: when the engine steps aside or at the end). */
static void keep_plan(smo_filter_ctx *ctx)
{
    const smo_plan *plan;

    if (!ctx->recorder || ctx->failed || ctx->sink_failed) {
        ctx->recorder = NULL;
        return;
    }
    plan = smo_plan_recorded(ctx->recorder);
    ctx->recorder = NULL;
    if (plan && smo_plan_cache_put(ctx->plans, ctx->plan_key,
                                   ctx->plan_key_len, plan)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r,
                      "SMO: plan for %s kept (%" APR_SIZE_T_FMT " edits)",
                      ctx->r->uri, plan->n_ops);
    }
}

static smo_filter_ctx *create_ctx(ap_filter_t *f, int xhtml,
                                  apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const smo_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                    &smo_module);
    smo_filter_ctx *ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    smo_engine_config ec;
    const smo_sink *sink = &smo_filter_sink;
    void *sink_ctx = ctx;

    memset(&ec, 0, sizeof(ec));
    ec.head_limit = (size_t)(conf->head_limit != SMO_UNSET
                             ? conf->head_limit : SMO_HEAD_LIMIT_DEFAULT);
    ec.tail_limit = SMO_TAIL_LIMIT_DEFAULT;
    ec.xhtml = xhtml;
    ec.meta = meta_config(r, conf, xhtml);
    ec.share = share_config(r, conf, xhtml);
    if (ec.share->networks->nelts == 0) {
        ec.share = NULL;
    }
    ec.share_at = conf->share_at != SMO_UNSET
                  ? (smo_share_where)conf->share_at : SMO_SHARE_AT_BODY_END;
    ec.share_sel = conf->share_at != SMO_UNSET ? conf->share_sel : NULL;
    ec.share_style = conf->share_style && *conf->share_style
                     ? conf->share_style : NULL;
    /* The engine formats its messages before it calls back: only when
     * they would be logged. */
    if (APLOG_R_IS_LEVEL(r, APLOG_DEBUG)) {
        ec.log = engine_log;
        ec.log_ctx = r;
    }

    ctx->r = r;
    ctx->held = apr_brigade_create(r->pool, f->c->bucket_alloc);
    ctx->out = apr_brigade_create(r->pool, f->c->bucket_alloc);
    ctx->collect = apr_table_get(r->headers_in, "Range") != NULL;
    if (ctx->collect) {
        ctx->whole = apr_brigade_create(r->pool, f->c->bucket_alloc);
    }
    ctx->whole_max = ec.head_limit + ec.tail_limit + SMO_RANGE_MEM_EXTRA;
    ctx->plan_key = plan_key(ctx, conf, &ec, bb, &ctx->plan_key_len);
    if (ctx->plan_key) {
        ctx->plan = smo_plan_cache_get(ctx->plans, r->pool, ctx->plan_key,
                                       ctx->plan_key_len);
        if (ctx->plan) {
            return ctx;         /* no engine: replay_plan() */
        }
        ctx->recorder = smo_plan_recorder_create(r->pool, &smo_filter_sink,
                                                 ctx, SMO_PLAN_MAX, &sink,
                                                 &sink_ctx);
    }
    ctx->engine = smo_engine_create(r->pool, &ec, sink, sink_ctx);
    if (ctx->engine == NULL) {
        return NULL;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: filtering %s (%s, head limit %" APR_SIZE_T_FMT
                  ", canonical %s, %d SMOMeta, policy %s, auto %s, "
                  "%d share links%s)",
                  r->uri, r->content_type, ec.head_limit,
                  ec.meta->canonical ? ec.meta->canonical_url : "off",
                  ec.meta->props->nelts, ec.meta->override ? "override"
                                                            : "keep",
                  ec.meta->auto_meta ? "on" : "off",
                  ec.share ? ec.share->networks->nelts : 0,
                  ctx->collect ? ", Range: whole body passed at once" : "");
    return ctx;
}

static void stop_collecting(smo_filter_ctx *ctx, const char *why)
{
    if (ctx->collect) {
        ctx->collect = 0;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r,
                      "SMO: Range on %s not served as ranges: %s",
                      ctx->r->uri, why);
    }
}

/* Send `out` down the chain (or, while collecting for a Range request and
 * not `final`, add it to `whole`). */
static apr_status_t pass_out(ap_filter_t *f, smo_filter_ctx *ctx, int final)
{
    apr_status_t rv;

    ctx->out_bytes = 0;
    if (ctx->collect) {
        while (!APR_BRIGADE_EMPTY(ctx->out)) {
            apr_bucket *b = APR_BRIGADE_FIRST(ctx->out);

            if (!APR_BUCKET_IS_METADATA(b) && !APR_BUCKET_IS_FILE(b)
                && !APR_BUCKET_IS_MMAP(b)) {
                ctx->whole_mem += b->length;
            }
            /* Kept past this call: the caller may reuse its memory. */
            rv = apr_bucket_setaside(b, ctx->r->pool);
            if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
                return rv;
            }
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->whole, b);
        }
        if (ctx->whole_mem > ctx->whole_max) {
            stop_collecting(ctx, "too much to hold");
        }
        else if (!final) {
            return APR_SUCCESS;
        }
    }
    if (ctx->whole) {
        APR_BRIGADE_PREPEND(ctx->out, ctx->whole);
    }
    if (APR_BRIGADE_EMPTY(ctx->out)) {
        return APR_SUCCESS;
    }
    rv = ap_pass_brigade(f->next, ctx->out);
    apr_brigade_cleanup(ctx->out);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return f->c->aborted ? APR_ECONNABORTED : APR_SUCCESS;
}

/* Nothing more will change: what is held goes on as it is, and so does
 * everything that follows. */
static void go_aside(smo_filter_ctx *ctx, const char *why)
{
    const char *gave_up = smo_engine_gave_up(ctx->engine);

    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r,
                  "SMO: passing the rest of %s untouched: %s%s%s",
                  ctx->r->uri, why, gave_up ? "; engine gave up: " : "",
                  gave_up ? gave_up : "");
    APR_BRIGADE_CONCAT(ctx->out, ctx->held);
    ctx->aside = 1;
}

/* The engine failed: never lose a byte, send what is held as it is. */
static void engine_failed(smo_filter_ctx *ctx, const char *what)
{
    ctx->failed = 1;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ctx->r,
                  "SMO: %s %s failed%s; the rest is passed unmodified",
                  what, ctx->r->uri, ctx->sink_failed ? " (sink)" : "");
    go_aside(ctx, "engine error");
}

/* How much of a file is read at a time.  A file kept as file buckets
 * (sendfile, Range; see read_file_piece()) is read a small first piece
 * at a time: a typical head fits, and once nothing more will change the
 * rest goes out unread.  Any other file the core would read into memory
 * anyway, so a larger piece is read at once. */
#define SMO_FILE_PIECE (32 * 1024)
#define SMO_FILE_READ_MAX (256 * 1024)

/* The next piece of file bucket `b`, read with one read(2) rather than by
 * apr_bucket_read(), which maps each piece of the file and unmaps it
 * once sent (an unmapping flushes the TLB of every CPU the process runs
 * on).  With sendfile, or while a Range request's body is collected (a
 * file costs no memory there, see pass_out()), the bytes go to
 * ctx->scratch for the engine and the bucket stays a file bucket;
 * otherwise the piece becomes a heap bucket, written as it is.  Returns
 * the bucket now first in the piece, or NULL to read `b` the generic way
 * (nothing changed). */
static apr_bucket *read_file_piece(smo_filter_ctx *ctx, apr_bucket *b,
                                   const char **data, apr_size_t *len)
{
    apr_bucket_file *a = b->data;
    apr_int32_t flags = apr_file_flags_get(a->fd);
    apr_off_t off = b->start;
    apr_size_t n, got = 0;
    apr_bucket *nb;
    char *buf;
    apr_status_t rv;
    int keep_file = ctx->collect;

    /* APR reopens a file shared across threads for each reader; a
     * buffered file has its own position: both are left to APR. */
    if (flags & (APR_FOPEN_XTHREAD | APR_FOPEN_BUFFERED)) {
        return NULL;
    }
#if APR_HAS_SENDFILE
    keep_file |= (flags & APR_SENDFILE_ENABLED) != 0;
#endif
    n = keep_file && ctx->in_off == 0 ? SMO_FILE_PIECE : SMO_FILE_READ_MAX;
    if (n > b->length) {
        n = b->length;
    }
    if (keep_file) {
        if (ctx->scratch_size < n) {
            ctx->scratch = apr_palloc(ctx->r->pool, n);
            ctx->scratch_size = n;
        }
        buf = ctx->scratch;
    }
    else {
        buf = apr_bucket_alloc(n, b->list);
    }
    rv = apr_file_seek(a->fd, APR_SET, &off);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(a->fd, buf, n, &got);
    }
    if (rv == APR_SUCCESS && got == n && n < b->length) {
        rv = apr_bucket_split(b, n);
    }
    if (rv != APR_SUCCESS || got != n) {
        if (!keep_file) {
            apr_bucket_free(buf);
        }
        return NULL;
    }
    if (!keep_file) {
        nb = apr_bucket_heap_create(buf, n, apr_bucket_free, b->list);
        APR_BUCKET_INSERT_BEFORE(b, nb);
        apr_bucket_delete(b);
        b = nb;
    }
    *data = buf;
    *len = n;
    return b;
}

/* One data bucket: into `held`, its bytes to the engine. */
static apr_status_t feed_bucket(ap_filter_t *f, smo_filter_ctx *ctx,
                                apr_bucket *b)
{
    const char *data;
    apr_size_t len;
    apr_bucket *pin = NULL, *piece = NULL;
    apr_status_t rv = APR_SUCCESS;
    int erc;

    if (APR_BUCKET_IS_FILE(b) && b->length != (apr_size_t)-1
        && b->length > 0) {
        piece = read_file_piece(ctx, b, &data, &len);
    }
    if (piece) {
        b = piece;
    }
    else {
        if (APR_BUCKET_IS_FILE(b) && b->length != (apr_size_t)-1
            && b->length > SMO_FILE_PIECE) {
            apr_bucket_split(b, SMO_FILE_PIECE);
        }
        /* A slow backend (CGI pipe, proxy socket): what is ready goes out
         * before we wait, so the reader is not kept waiting for it. */
        rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            if (!ctx->collect) {
                apr_bucket *fl = apr_bucket_flush_create(f->c->bucket_alloc);

                APR_BRIGADE_INSERT_TAIL(ctx->out, fl);
                if ((rv = pass_out(f, ctx, 0)) != APR_SUCCESS) {
                    return rv;
                }
            }
            rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        }
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, ctx->r,
                      "SMO: reading the response of %s", ctx->r->uri);
        return rv;
    }
    if (len == 0) {
        apr_bucket_delete(b);
        return APR_SUCCESS;
    }
    /* The engine may drop this very bucket while it still reads `data`;
     * a copy keeps the bytes alive for the call (a reference count, not a
     * copy of the bytes).  Bytes in ctx->scratch need none. */
    if (data != ctx->scratch) {
        rv = apr_bucket_copy(b, &pin);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    APR_BUCKET_REMOVE(b);
    APR_BRIGADE_INSERT_TAIL(ctx->held, b);
    ctx->in_off += len;
    erc = smo_engine_feed(ctx->engine, data, len);
    if (pin) {
        apr_bucket_destroy(pin);
    }
    if (erc != 0 || ctx->sink_failed) {
        engine_failed(ctx, "feeding");
    }
    else if (smo_engine_done(ctx->engine)) {
        /* Normally all was released; anything still held goes on as it
         * is, since the engine will not release it any more. */
        go_aside(ctx, APR_BRIGADE_EMPTY(ctx->held)
                      ? "nothing more to change"
                      : "nothing more to change (unreleased bytes passed)");
        keep_plan(ctx);
    }
    return APR_SUCCESS;
}

/* The caller may reuse its buckets' memory once we return. */
static apr_status_t set_aside(apr_bucket_brigade *bb, apr_pool_t *p)
{
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        apr_status_t rv = apr_bucket_setaside(b, p);

        if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* Whether to pass what is ready now rather than with what follows in
 * `bb`: each pass costs the network a write and a chunk of its own, but
 * holding grows memory (the core itself writes at 64 KiB). */
#define SMO_PASS_BYTES ((apr_size_t)64 * 1024)

static int pass_now(const smo_filter_ctx *ctx, apr_bucket_brigade *bb)
{
    apr_bucket *next;

    if (ctx->aside || ctx->out_bytes < SMO_PASS_BYTES) {
        return 0;           /* goes with the rest, or not worth a write */
    }
    next = APR_BRIGADE_FIRST(bb);
    /* The end of the stream comes next: one pass for both. */
    return next == APR_BRIGADE_SENTINEL(bb) || !APR_BUCKET_IS_EOS(next);
}

/* SMOPlanCache: the edits the engine made to this file before, done
 * again on its file buckets (split, never read: sendfile stays), the rest
 * passed untouched.  `bb` is the whole file and EOS (plan_key()). */
static apr_status_t replay_plan(ap_filter_t *f, smo_filter_ctx *ctx,
                                apr_bucket_brigade *bb)
{
    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket *b = APR_BRIGADE_FIRST(bb);
        const char *data;
        apr_size_t len;
        int sendfile = 0;

        if (APR_BUCKET_IS_EOS(b)) {
            break;
        }
#if APR_HAS_SENDFILE
        sendfile = (apr_file_flags_get(((apr_bucket_file *)b->data)->fd)
                    & APR_SENDFILE_ENABLED) != 0;
#endif
        /* Without sendfile the core would map each piece of the file
         * around the markup and unmap it again (a TLB flush on every CPU
         * each time): one read into memory is cheaper, as when parsing. */
        if (!sendfile && b->length <= SMO_FILE_READ_MAX) {
            apr_bucket *piece = read_file_piece(ctx, b, &data, &len);

            b = piece ? piece : b;
        }
        APR_BUCKET_REMOVE(b);
        APR_BRIGADE_INSERT_TAIL(ctx->held, b);
        ctx->in_off += b->length;
    }
    if (smo_plan_replay(ctx->plan, &smo_filter_sink, ctx) != 0
        || ctx->sink_failed) {
        /* Cannot happen with a plan made for these bytes; if it did, the
         * rest still goes out, in order. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ctx->r,
                      "SMO: %s: the cached plan did not apply; the rest is "
                      "passed unmodified", ctx->r->uri);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r,
                      "SMO: %s: edits from the plan cache (%" APR_SIZE_T_FMT
                      " edits, %" APR_INT64_T_FMT " bytes more)",
                      ctx->r->uri, ctx->plan->n_ops,
                      (apr_int64_t)smo_plan_growth(ctx->plan));
    }
    APR_BRIGADE_CONCAT(ctx->out, ctx->held);
    APR_BRIGADE_CONCAT(ctx->out, bb);
    ap_remove_output_filter(f);
    return pass_out(f, ctx, 1);
}

static apr_status_t smo_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    smo_filter_ctx *ctx = f->ctx;
    apr_status_t rv;

    if (ctx == NULL) {
        int xhtml = 0;
        const char *why = skip_reason(r, &xhtml,
                                      APLOG_R_IS_LEVEL(r, APLOG_DEBUG));

        if (why) {
            if (!restore_conditionals(r)) {
                fix_304_etag(r);
            }
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "SMO: not filtering %s: %s", r->uri, why);
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }

        /* From here on the body may change (SPEC section 1).  A HEAD is
         * filtered like a GET (the handler still makes the body, the
         * HTTP filter drops it), so that its headers are the GET's. */
        apr_table_unset(r->headers_out, "Content-Length");
        suffix_etags(r);
        apr_table_setn(r->notes, smo_active_note, "1");

        ctx = f->ctx = create_ctx(f, xhtml, bb);
        if (ctx == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SMO: cannot create the engine for %s", r->uri);
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        if (ctx->plan) {
            return replay_plan(f, ctx, bb);
        }
    }

    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket *b = APR_BRIGADE_FIRST(bb);

        if (ctx->aside && !ctx->collect) {
            /* Leave the chain; the rest goes on untouched (file buckets
             * stay file buckets, sendfile works), in the same pass as
             * what is ready: one write for both. */
            ap_remove_output_filter(f);
            APR_BRIGADE_CONCAT(ctx->out, bb);
            return pass_out(f, ctx, 0);
        }

        if (APR_BUCKET_IS_EOS(b)) {
            if (!ctx->aside) {
                const char *gave_up;

                if (smo_engine_finish(ctx->engine) != 0
                    || ctx->sink_failed) {
                    engine_failed(ctx, "finishing");
                }
                gave_up = smo_engine_gave_up(ctx->engine);
                if (gave_up && !ctx->aside) {
                    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                                  "SMO: engine gave up on %s: %s", r->uri,
                                  gave_up);
                }
                keep_plan(ctx);
                /* Anything still held (there should be none) goes out
                 * as it is rather than being lost. */
                APR_BRIGADE_CONCAT(ctx->out, ctx->held);
            }
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->out, b);
            apr_brigade_cleanup(bb);    /* nothing follows EOS */
            ap_remove_output_filter(f);
            return pass_out(f, ctx, 1);
        }

        if (APR_BUCKET_IS_FLUSH(b)) {
            /* Emit all that can be emitted; the engine stops holding the
             * head back (SPEC section 2). */
            if (!ctx->aside && (smo_engine_flush(ctx->engine) != 0
                                || ctx->sink_failed)) {
                engine_failed(ctx, "flushing");
            }
            stop_collecting(ctx, "FLUSH");
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->out, b);
            rv = pass_out(f, ctx, 0);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            continue;
        }

        if (ctx->aside || APR_BUCKET_IS_METADATA(b)) {
            /* Metadata keeps its place relative to the data: behind what
             * is held, released with it. */
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(APR_BRIGADE_EMPTY(ctx->held)
                                    ? ctx->out : ctx->held, b);
            continue;
        }

        rv = feed_bucket(f, ctx, b);
        if (rv == APR_SUCCESS && pass_now(ctx, bb)) {
            rv = pass_out(f, ctx, 0);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }

    rv = pass_out(f, ctx, 0);
    if (rv == APR_SUCCESS) {
        rv = set_aside(ctx->held, r->pool);
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* The click handler (SPEC section 5)                                  */

/* This server's host names: ServerName, every ServerAlias (wildcards
 * included) and the SMOBaseURL host. */
static apr_array_header_t *own_hosts(request_rec *r, const smo_dir_conf *conf)
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
static void click_config(request_rec *r, const smo_dir_conf *conf,
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
    cc->own_hosts = own_hosts(r, conf);
    cc->allow_hosts = conf->click_allow;
    cc->strip_params = smo_strip_globs(conf);
}

/* What the click handler at `click_url` will accept, for the filter to
 * write tracked links only where they work (SPEC 5).  The handler's
 * configuration is whatever applies to that URL: <Location>, and
 * <Directory>, .htaccess or <If> too, so the configuration is looked up
 * as Apache will for the click itself, with a subrequest lookup (no
 * handler runs).  Once per response, and only with SMOTrackClicks On.
 * `*no_handler` is set when the lookup went through and found no
 * smo-click handler there: a tracked link would not work at all. */
static const smo_click_config *click_view(request_rec *r,
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
    click_config(r, hc, cc);
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
static int click_answer(request_rec *r, int status, const char *text)
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

static int smo_click_handler(request_rec *r)
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
        return click_answer(r, HTTP_METHOD_NOT_ALLOWED,
                            "Only GET and HEAD are allowed here.");
    }

    conf = ap_get_module_config(r->per_dir_config, &smo_module);
    click_config(r, conf, &cc);
    memset(&res, 0, sizeof(res));
    why = smo_click_check(r->pool, &cc, r->args, &res);
    if (why) {
        /* The reason only: a refused URL is never logged (SPEC 5). */
        apr_table_setn(r->subprocess_env, "SMO_REJECT", res.reason);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: click refused: %s", res.reason);
        return click_answer(r, HTTP_BAD_REQUEST, res.message);
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
    apr_table_setn(r->headers_out, "Location", res.location);
    return click_answer(r, HTTP_MOVED_TEMPORARILY,
                        "Redirecting to the share page.");
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

/* Both names are registered with smo_filter, and only they: comparing
 * the function spares a name comparison for every filter of every
 * request. */
static apr_status_t smo_filter(ap_filter_t *f, apr_bucket_brigade *bb);

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
        return;
    }
    existing = smo_in_chain(r);
    if (existing) {
        ap_remove_output_filter(existing);
    }
    if (existing || conf->engine == 1) {
        ap_add_output_filter(filter_to_add(r), NULL, r, r->connection);
        fix_conditionals(r);
    }
}

/* A 304 made by ap_die() is sent after the resource and content-set
 * filters (ours) are removed: fix its ETag here. */
static void smo_insert_error_filter(request_rec *r)
{
    fix_304_etag(r);
}

/* One plan cache per child process, made after the fork (its mutex and
 * its memory are the child's), for every virtual host. */
static void smo_child_init(apr_pool_t *pchild, server_rec *s)
{
    smo_plan_cache *plans = smo_plan_cache_create(
        pchild, SMO_PLAN_CACHE_ENTRIES, SMO_PLAN_MAX);

    for (; s; s = s->next) {
        smo_server_conf *sc = ap_get_module_config(s->module_config,
                                                   &smo_module);
        sc->plans = plans;
    }
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
    ap_hook_check_config(smo_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(smo_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA smo_module = {
    STANDARD20_MODULE_STUFF,
    smo_create_dir_conf,
    smo_merge_dir_conf,
    smo_create_server_conf,
    NULL,
    smo_cmds,
    register_hooks
#if defined(AP_MODULE_HAS_FLAGS)
    , AP_MODULE_FLAG_NONE
#endif
};
