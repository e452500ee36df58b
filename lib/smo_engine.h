/* smo_engine.h — the SMO rewriting engine: tokenizer, tree simulation,
 * rewriter and the rules (canonical link, metadata) behind one small API.
 *
 * The caller feeds the response body in chunks of any size; the engine
 * tells the sink, in order, which input bytes to pass, which to drop and
 * what to insert.  Bytes not yet passed are held by the caller (as the
 * buckets they came in).  The engine holds back at most the head (up to
 * `head_limit`), so that rules see the whole head before they decide; a
 * head that ends implicitly (body content in it) is held on to the
 * literal </head> or <body>, where crawlers stop reading declarations.
 */
#ifndef SMO_ENGINE_H
#define SMO_ENGINE_H

#include "smo_meta.h"
#include "smo_rewriter.h"
#include "smo_share.h"

/* SMOShareAt marker: blocks placed per page at most, at the first markers;
 * the markers after them get none (a page of 20 000 markers would
 * otherwise grow sixteenfold).  The log callback says how many. */
#define SMO_SHARE_MAX_MARKERS 10

typedef struct {
    size_t head_limit;        /* bytes of head held back; 0: never hold */
    size_t tail_limit;        /* longest tag kept whole by the tokenizer */
    int xhtml;                /* application/xhtml+xml: well-formed XML */

    /* The metadata rules (SPEC 3); NULL: none.  Must outlive the engine. */
    const smo_meta_config *meta;

    /* Shorthand for a canonical-link-only rule set when `meta` is NULL:
     * NULL disables it.  Absolute, unescaped. */
    const char *canonical_url;

    /* Share links (SPEC 4): NULL, or no network, for none. */
    const smo_share_config *share;
    smo_share_where share_at;
    const smo_selector *share_sel;   /* before|prepend|append|after */
    const char *share_style;         /* SMOShareStyle URL, or NULL */

    /* Log callback for why the engine did or did not do something
     * (LogLevel smo:debug in the module); may be NULL. */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
} smo_engine_config;

typedef struct smo_engine smo_engine;

smo_engine *smo_engine_create(apr_pool_t *pool, const smo_engine_config *cfg,
                              const smo_sink *sink, void *sink_ctx);

/* Process the next chunk.  The chunk's bytes need only live for the call. */
int smo_engine_feed(smo_engine *e, const char *buf, size_t len);

/* A FLUSH: emit everything that can be emitted; from now on the engine
 * does not hold back the head any more (insert-only behaviour). */
int smo_engine_flush(smo_engine *e);

/* End of stream: emit everything. */
int smo_engine_finish(smo_engine *e);

/* True once nothing more can change: the caller may pass the rest of the
 * response untouched (after everything released so far). */
int smo_engine_done(const smo_engine *e);

/* Whether the metadata rules asked for image facts (SMOImageInfo): what
 * they learned belongs to the image file, not to the page, so a plan of
 * this response must not be kept. */
int smo_engine_asked_image(const smo_engine *e);

/* Why the engine stopped rewriting early (a limit hit), or NULL. */
const char *smo_engine_gave_up(const smo_engine *e);

/* Every setting of `cfg` that can change the engine's output, as one
 * string (length-prefixed fields, so no two configurations read alike):
 * with the identity of the input, the key under which a plan of what the
 * engine did may be kept (smo_plan.h).  The log callback is left out. */
const char *smo_engine_config_key(apr_pool_t *p, const smo_engine_config *cfg,
                                  size_t *len);

#endif
