/* mod_smo_etag.c — the ETag of a filtered page and the conditional
 * requests made against it.  The filtered body is another representation
 * than the handler's, so it gets its own entity-tag (the handler's with
 * "-smo" inside the quotes, as mod_deflate adds "-gzip"), and what a
 * client sends back is translated for the handler, which only knows its
 * own (SPEC section 6, "ETag").
 */

#include "mod_smo_private.h"

#include "http_protocol.h"

#include "apr_strings.h"

/* Set on r->notes when a 304 for this request must carry the filtered
 * ETag (see smo_fix_conditionals()). */
static const char smo_etag_note[] = "smo-etag";

/* Set on r->notes to the client's If-None-Match when
 * smo_fix_conditionals() made its tags stale for a response whose type
 * was not known yet. */
static const char smo_inm_note[] = "smo-if-none-match";

/* The suffix that tells the filtered representation's ETag apart. */
#define SMO_ETAG_SUFFIX "-smo"
#define SMO_ETAG_SUFFIX_LEN (sizeof(SMO_ETAG_SUFFIX) - 1)
/* What an unfiltered ETag sent by the client becomes (see
 * rewrite_etag_list()): a tag that can match nothing we serve. */
#define SMO_ETAG_STALE "-smo-unfiltered"

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

void smo_suffix_etags(request_rec *r)
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
 * (smo_restore_conditionals()).  If-Match is only translated for such
 * responses: a stale tag there would give a 412.  Another type, a
 * subrequest, `no-smo`: nothing. */
void smo_fix_conditionals(request_rec *r)
{
    static const char *const headers[] = { "If-None-Match", "If-Match" };
    int known_html, xhtml, ours = 0;
    size_t i;

    if (r->main || r->method_number != M_GET
        || apr_table_get(r->subprocess_env, "no-smo")) {
        return;
    }
    known_html = smo_html_type(r->content_type, &xhtml);
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
 * the client's own If-None-Match, which smo_fix_conditionals() made stale for
 * the handler, is judged as the handler would have judged it, and a match
 * is the 304 the client would have had without mod_smo (the HTTP filter
 * then drops the body).  Returns 1 for that 304. */
int smo_restore_conditionals(request_rec *r)
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
void smo_fix_304_etag(request_rec *r)
{
    if (r->status == HTTP_NOT_MODIFIED
        && apr_table_get(r->notes, smo_etag_note)) {
        smo_suffix_etags(r);
    }
}
