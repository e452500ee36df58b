/* mod_smo_filter.c — the `SMO` output filter: its context, the sink the
 * engine answers through, and the walk over the buckets.
 *
 * The filter feeds each data bucket's bytes to the engine and keeps the
 * bucket itself in a `held` brigade; the engine answers through a sink
 * (pass / drop / insert up to a stream offset), so unchanged bytes leave
 * as the buckets they came in, split where needed, never copied.  Range
 * requests collect the body (smo_pass_out()); SMOPlanCache replays are in
 * mod_smo_plan.c.
 */

#include "mod_smo_private.h"

#include "http_request.h"

#include "apr_file_io.h"

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

const smo_sink smo_filter_sink = { sink_pass, sink_drop, sink_insert };

/* A Range request is answered by the byte-range filter further down,
 * which cuts ranges only from a brigade holding the whole body and its
 * EOS (SPEC section 1: crawlers ask for the first 512 KiB).  So for a
 * Range request the filtered body is collected and passed in one go.  A
 * local file costs little (its untouched rest stays a file bucket); bytes
 * held in memory are capped, and past the cap, or on a FLUSH, the body is
 * streamed and the client gets a plain 200, which HTTP allows. */
#define SMO_RANGE_MEM_EXTRA ((apr_size_t)1024 * 1024)

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

    smo_engine_settings(r, conf, xhtml, &ec);

    ctx->r = r;
    ctx->held = apr_brigade_create(r->pool, f->c->bucket_alloc);
    ctx->out = apr_brigade_create(r->pool, f->c->bucket_alloc);
    ctx->collect = apr_table_get(r->headers_in, "Range") != NULL;
    if (ctx->collect) {
        ctx->whole = apr_brigade_create(r->pool, f->c->bucket_alloc);
    }
    ctx->whole_max = ec.head_limit + ec.tail_limit + SMO_RANGE_MEM_EXTRA;
    ctx->plan_key = smo_cached_plan_key(ctx, conf, &ec, bb,
                                        &ctx->plan_key_len);
    if (ctx->plan_key) {
        ctx->plan = smo_plan_cache_get(ctx->plans, r->pool, ctx->plan_key,
                                       ctx->plan_key_len);
        if (ctx->plan) {
            return ctx;         /* no engine: smo_cached_plan_replay() */
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
apr_status_t smo_pass_out(ap_filter_t *f, smo_filter_ctx *ctx, int final)
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

/* The next piece of file bucket `b`, read with one read(2) rather than by
 * apr_bucket_read(), which maps each piece of the file and unmaps it
 * once sent (an unmapping flushes the TLB of every CPU the process runs
 * on).  With sendfile, or while a Range request's body is collected (a
 * file costs no memory there, see smo_pass_out()), the bytes go to
 * ctx->scratch for the engine and the bucket stays a file bucket;
 * otherwise the piece becomes a heap bucket, written as it is.  Returns
 * the bucket now first in the piece, or NULL to read `b` the generic way
 * (nothing changed). */
apr_bucket *smo_read_file_piece(smo_filter_ctx *ctx, apr_bucket *b,
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
        piece = smo_read_file_piece(ctx, b, &data, &len);
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
                if ((rv = smo_pass_out(f, ctx, 0)) != APR_SUCCESS) {
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
        smo_cached_plan_keep(ctx);
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

apr_status_t smo_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    smo_filter_ctx *ctx = f->ctx;
    apr_status_t rv;

    if (ctx == NULL) {
        int xhtml = 0;
        const char *why = smo_skip_reason(r, &xhtml,
                                      APLOG_R_IS_LEVEL(r, APLOG_DEBUG));

        if (why) {
            if (!smo_restore_conditionals(r)) {
                smo_fix_304_etag(r);
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
        smo_suffix_etags(r);
        apr_table_setn(r->notes, SMO_ACTIVE_NOTE, "1");

        ctx = f->ctx = create_ctx(f, xhtml, bb);
        if (ctx == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SMO: cannot create the engine for %s", r->uri);
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        if (ctx->plan) {
            return smo_cached_plan_replay(f, ctx, bb);
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
            return smo_pass_out(f, ctx, 0);
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
                smo_cached_plan_keep(ctx);
                /* Anything still held (there should be none) goes out
                 * as it is rather than being lost. */
                APR_BRIGADE_CONCAT(ctx->out, ctx->held);
            }
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->out, b);
            apr_brigade_cleanup(bb);    /* nothing follows EOS */
            ap_remove_output_filter(f);
            return smo_pass_out(f, ctx, 1);
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
            rv = smo_pass_out(f, ctx, 0);
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
            rv = smo_pass_out(f, ctx, 0);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }

    rv = smo_pass_out(f, ctx, 0);
    if (rv == APR_SUCCESS) {
        rv = set_aside(ctx->held, r->pool);
    }
    return rv;
}

