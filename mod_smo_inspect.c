/* mod_smo_inspect.c — the smo-inspect handler (SPEC 10): what a share of
 * a page of this server looks like on each network, and what is wrong
 * with it.
 *
 * The page is fetched twice by subrequests, never over the network: once
 * through the SMO filter (what the crawlers get) and once without it
 * (what the backend made), so that lib/inspect.c can tell the value the
 * page declares from the one mod_smo added.  A capture filter, placed
 * right after SMO, keeps the subrequest's body (up to a bound) instead
 * of letting it reach the client.
 */

#include "mod_smo_private.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

#include "smo_click.h"
#include "smo_confcheck.h"
#include "smo_escape.h"
#include "smo_inspect.h"
#include "smo_strbuf.h"
#include "smo_url.h"

/* The most of a page kept: crawlers read less (Facebook 1 MB, most far
 * less), and what matters is in the head. */
#define INSPECT_MAX (1024 * 1024)

/* Marks an inspector's subrequest in its notes (which survive mod_dir's
 * fast redirect): "filtered" runs SMO, "raw" does not. */
#define INSPECT_NOTE "smo-inspect"

static const char capture_filter_name[] = "SMO_INSPECT_CAPTURE";

/* One subrequest's body as it left the filters before ours: the first
 * INSPECT_MAX bytes, in a string that grows as they come. */
typedef struct {
    smo_strbuf body;
    apr_off_t total;      /* bytes seen, kept or not */
} capture;

/* On the main request (request_config): the capture of the subrequest
 * running now. */
typedef struct {
    capture *now;
} inspect_state;

static request_rec *top_request(request_rec *r)
{
    while (r->main) {
        r = r->main;
    }
    return r;
}

static capture *current_capture(request_rec *r)
{
    const inspect_state *st = ap_get_module_config(
        top_request(r)->request_config, &smo_module);

    return st ? st->now : NULL;
}

int smo_inspect_subrequest(const request_rec *r)
{
    const char *v = r->main ? apr_table_get(r->notes, INSPECT_NOTE) : NULL;

    return v && strcmp(v, "filtered") == 0;
}

static apr_status_t capture_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    capture *c = f->ctx;
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t n;
        apr_status_t rv;

        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        rv = apr_bucket_read(b, &data, &n, APR_BLOCK_READ);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (c->body.len < INSPECT_MAX) {
            apr_size_t room = INSPECT_MAX - c->body.len;
            smo_strbuf_add(&c->body, data, n < room ? n : room);
        }
        c->total += (apr_off_t)n;
    }
    /* Nothing goes on to the client: the inspector answers for itself. */
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

void smo_inspect_insert_filter(request_rec *r, const char *smo_filter)
{
    const char *mode = r->main ? apr_table_get(r->notes, INSPECT_NOTE) : NULL;
    capture *c;

    if (mode == NULL || (c = current_capture(r)) == NULL) {
        return;
    }
    /* Same filter type: the one added later runs later, so SMO first. */
    if (strcmp(mode, "filtered") == 0) {
        ap_add_output_filter(smo_filter, NULL, r, r->connection);
    }
    ap_add_output_filter(capture_filter_name, c, r, r->connection);
}

void smo_inspect_register(void)
{
    ap_register_output_filter(capture_filter_name, capture_filter, NULL,
                              AP_FTYPE_CONTENT_SET - 1);
}

/* ------------------------------------------------------------------ */

/* The page at `path` (with its query) through a GET subrequest, with
 * the SMO filter or without; its status, type and body. */
static request_rec *fetch(request_rec *r, inspect_state *st,
                          const char *path, int filtered, capture *c)
{
    request_rec *rr = ap_sub_req_method_uri("GET", path, r, NULL);

    if (rr == NULL) {
        return NULL;
    }
    /* What a crawler sends: no compression, no range, no validators. */
    apr_table_unset(rr->headers_in, "Accept-Encoding");
    apr_table_unset(rr->headers_in, "Range");
    apr_table_unset(rr->headers_in, "If-Range");
    apr_table_unset(rr->headers_in, "If-None-Match");
    apr_table_unset(rr->headers_in, "If-Modified-Since");
    apr_table_setn(rr->notes, INSPECT_NOTE, filtered ? "filtered" : "raw");
    memset(c, 0, sizeof(*c));
    c->body.p = r->pool;
    c->body.first = 64 * 1024;
    st->now = c;
    if (rr->status == HTTP_OK) {
        int rc = ap_run_sub_req(rr);
        if (rc != OK) {
            rr->status = rc;
        }
    }
    st->now = NULL;
    return rr;
}

/* The path (and query) of `u` on this server, or why it is refused: a
 * path, or an absolute URL on this server's hosts (the click handler's
 * rules, SPEC 5). */
static const char *target(request_rec *r, const smo_dir_conf *conf,
                          const char *u, const char **path,
                          const char **page_url)
{
    smo_click_config cc;
    apr_uri_t uri;
    const char *why;

    if (u[0] == '/' && u[1] != '/') {
        for (const unsigned char *s = (const unsigned char *)u; *s; s++) {
            if (*s <= ' ' || *s == 0x7f || *s == '\\' || *s == '#') {
                return "u is not a plain path (space, control character, "
                       "backslash or fragment)";
            }
        }
        *path = u;
        *page_url = apr_pstrcat(r->pool, smo_request_base(r, conf), u, NULL);
        return NULL;
    }
    smo_click_config_of(r, conf, &cc);
    why = smo_click_check_url(r->pool, &cc, u, &uri);
    if (why) {
        return apr_pstrcat(r->pool, "u is not a page of this server (",
                           why, ")", NULL);
    }
    *path = apr_pstrcat(r->pool, uri.path ? uri.path : "/",
                        uri.query ? "?" : "", uri.query ? uri.query : "",
                        NULL);
    *page_url = u;
    return NULL;
}

/* The value of parameter `name` of the query, percent-decoded; NULL if
 * absent, "" with *bad set if malformed or given twice. */
static const char *param(request_rec *r, const char *args, const char *name,
                         int *bad)
{
    size_t n = strlen(name);
    const char *found = NULL;

    for (const char *s = args ? args : ""; *s;) {
        const char *end = s + strcspn(s, "&");
        if ((size_t)(end - s) > n && strncmp(s, name, n) == 0 && s[n] == '=') {
            size_t len;
            char *v = smo_percent_decode(r->pool, s + n + 1,
                                         (size_t)(end - s - n - 1), &len);
            if (found || v == NULL || strlen(v) != len) {
                *bad = 1;
                return "";
            }
            found = v;
        }
        s = *end ? end + 1 : end;
    }
    return found;
}

/* The origin of the og:image, for the page's Content-Security-Policy:
 * its scheme, host and port, or NULL. */
static const char *image_origin(request_rec *r, const char *image)
{
    apr_uri_t u;

    if (image == NULL || apr_uri_parse(r->pool, image, &u) != APR_SUCCESS
        || u.scheme == NULL || u.hostinfo == NULL
        || (ap_cstr_casecmp(u.scheme, "http") != 0
            && ap_cstr_casecmp(u.scheme, "https") != 0)
        || strpbrk(u.hostinfo, " ;,'\"") != NULL) {
        return NULL;
    }
    return apr_pstrcat(r->pool, u.scheme, "://", u.hostinfo, NULL);
}

static int answer(request_rec *r, const char *type, const char *body)
{
    apr_size_t n = strlen(body);

    ap_set_content_type(r, type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Robots-Tag", "noindex");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, (apr_off_t)n);
    if (!r->header_only) {
        ap_rwrite(body, (int)n, r);
    }
    return OK;
}

int smo_inspect_handler(request_rec *r)
{
    const smo_dir_conf *conf, *tconf;
    inspect_state *st;
    capture served, original;
    request_rec *rr, *raw;
    smo_inspect_input in;
    smo_inspect_report *rep;
    const char *u, *format, *why, *path = NULL, *page_url = NULL, *origin;
    apr_array_header_t *names;
    int bad = 0, rv, json;

    if (r->handler == NULL || strcmp(r->handler, SMO_INSPECT_HANDLER) != 0) {
        return DECLINED;
    }
    if (smo_handler_prologue(r, "inspect", &rv)) {
        return rv;
    }
    /* The inspector inspecting itself would fetch itself, twice a level. */
    if (r->main) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: inspect refused: the inspector itself");
        return smo_plain_answer(r, HTTP_BAD_REQUEST,
                                "Bad request: the inspector itself.");
    }
    conf = ap_get_module_config(r->per_dir_config, &smo_module);
    u = param(r, r->args, "u", &bad);
    format = param(r, r->args, "format", &bad);
    json = format && strcmp(format, "json") == 0;
    if (bad || u == NULL || *u == '\0'
        || (format && !json && strcmp(format, "html") != 0)) {
        why = bad ? "a malformed or repeated parameter"
                  : (u == NULL || *u == '\0') ? "no u (the page to inspect)"
                  : "format is neither html nor json";
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: inspect refused: %s", why);
        return smo_plain_answer(r, HTTP_BAD_REQUEST, apr_pstrcat(
            r->pool, "Bad request: ", why,
            ". Use ?u=/path/of/the/page (or a URL of this server).", NULL));
    }
    why = target(r, conf, u, &path, &page_url);
    if (why) {
        /* The reason only: the URL is not echoed or logged. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: inspect refused: %s", why);
        return smo_plain_answer(r, HTTP_BAD_REQUEST,
                                apr_pstrcat(r->pool, "Bad request: ", why,
                                            ".", NULL));
    }

    st = apr_pcalloc(r->pool, sizeof(*st));
    ap_set_module_config(r->request_config, &smo_module, st);
    rr = fetch(r, st, path, 1, &served);
    raw = fetch(r, st, path, 0, &original);
    ap_set_module_config(r->request_config, &smo_module, NULL);
    /* The inspector's own page is not filtered (set after the fetches:
     * a subrequest starts with a copy of this environment). */
    apr_table_setn(r->subprocess_env, "no-smo", "1");
    if (rr == NULL || rr->status != HTTP_OK) {
        int status = rr ? rr->status : HTTP_INTERNAL_SERVER_ERROR;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: inspect of %s: the page answers %d", path, status);
        return smo_plain_answer(r, HTTP_BAD_GATEWAY, apr_psprintf(
            r->pool, "The page answers with status %d: nothing to inspect.",
            status));
    }

    tconf = ap_get_module_config(rr->per_dir_config, &smo_module);
    names = apr_array_make(r->pool, 8, sizeof(const char *));
    /* The names SMOMeta gives a value here (an empty one only takes an
     * inherited value away). */
    for (int i = 0; tconf->meta && i < tconf->meta->nelts; i++) {
        const smo_conf_meta *m = &APR_ARRAY_IDX(tconf->meta, i, smo_conf_meta);
        if (m->expr) {
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(r->pool, m->name);
        }
    }
    memset(&in, 0, sizeof(in));
    in.page_url = page_url;
    in.served = served.body.s ? served.body.s : "";
    in.served_len = served.body.len;
    if (raw && raw->status == HTTP_OK) {
        in.original = original.body.s ? original.body.s : "";
        in.original_len = original.body.len;
    }
    in.charset = rr->content_type
                 ? smo_content_type_charset(r->pool, rr->content_type)
                 : NULL;
    in.configured = names;
    if (tconf->card == 1) {
        in.card_prefix = apr_pstrcat(
            r->pool, smo_request_base(r, tconf),
            tconf->card_url ? tconf->card_url : SMO_CARD_URL_DEFAULT, "/",
            NULL);
    }
    in.image_facts = smo_image_lookup;
    in.image_ctx = r;
    rep = smo_inspect(r->pool, &in);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: inspected %s (%" APR_SIZE_T_FMT " bytes through SMO, "
                  "%" APR_SIZE_T_FMT " without)", path, served.body.len,
                  original.body.len);
    if (json) {
        return answer(r, "application/json",
                      apr_pstrcat(r->pool, smo_inspect_json(r->pool, rep),
                                  "\n", NULL));
    }
    origin = image_origin(r, rep->image);
    apr_table_setn(r->headers_out, "Content-Security-Policy", apr_pstrcat(
        r->pool, "default-src 'none'; style-src 'unsafe-inline'; img-src ",
        origin ? origin : "'none'",
        "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        NULL));
    return answer(r, "text/html; charset=utf-8", smo_inspect_html(r->pool, rep));
}
