/* mod_smo_plan.c — SMOPlanCache in the filter: the key that names a
 * response (one whole static file and every engine setting), keeping what
 * the engine did to it, and doing that again on the next response of the
 * same file without parsing it (lib/plan.c records, stores and replays).
 */

#include "mod_smo_private.h"

#include "apr_strings.h"

/* The key of this response's plan (SMOPlanCache), or NULL when there is
 * none to look for: the response must be one whole static file, that is
 * `bb` holds file buckets of one file from its first byte to its last,
 * then EOS (what Apache's file handler sends).  The file is named by its
 * device, inode, modification time and size, the output by every engine
 * setting. */
const char *smo_cached_plan_key(smo_filter_ctx *ctx,
                                const smo_dir_conf *conf,
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
void smo_cached_plan_keep(smo_filter_ctx *ctx)
{
    const smo_plan *plan;

    if (!ctx->recorder || ctx->failed || ctx->sink_failed) {
        ctx->recorder = NULL;
        return;
    }
    if (smo_engine_asked_image(ctx->engine)) {
        /* The image facts belong to the image file, which the key does
         * not name: a replay would repeat them after the image changed. */
        ctx->recorder = NULL;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r,
                      "SMO: plan for %s not kept: it holds facts of its "
                      "og:image (SMOImageInfo)", ctx->r->uri);
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

/* SMOPlanCache: the edits the engine made to this file before, done
 * again on its file buckets (split, never read: sendfile stays), the rest
 * passed untouched.  `bb` is the whole file and EOS
 * (smo_cached_plan_key()). */
apr_status_t smo_cached_plan_replay(ap_filter_t *f, smo_filter_ctx *ctx,
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
            apr_bucket *piece = smo_read_file_piece(ctx, b, &data, &len);

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
    return smo_pass_out(f, ctx, 1);
}

