/* smo_plan.h — the edits the engine made to one response, and a cache of
 * them, so that the same bytes under the same rules can be edited again
 * without being parsed (a static file served a second time).
 *
 * A plan is what the engine told its sink, in order: pass input up to an
 * offset, drop input up to an offset, insert bytes.  Replaying it against
 * the same input gives the same output, byte for byte; everything after
 * its last offset passes unchanged (the engine had stepped aside).
 *
 * The cache belongs to one process and is shared by its threads (a mutex
 * guards it).  Its key is the caller's: it must name everything the
 * output depends on — the input's identity and the engine configuration
 * (smo_engine_config_key()).
 */
#ifndef SMO_PLAN_H
#define SMO_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#include "smo_rewriter.h"

typedef enum { SMO_PLAN_PASS, SMO_PLAN_DROP, SMO_PLAN_INSERT } smo_plan_kind;

typedef struct {
    smo_plan_kind kind;
    uint64_t upto;          /* PASS, DROP: input offset, exclusive */
    const char *bytes;      /* INSERT */
    size_t len;
} smo_plan_op;

typedef struct {
    const smo_plan_op *ops;
    size_t n_ops;
} smo_plan;

/* ---- recording ---------------------------------------------------------- */

typedef struct smo_plan_recorder smo_plan_recorder;

/* A sink that forwards every call to `inner` and writes it down.  At most
 * `max_bytes` of plan are kept (ops and inserted bytes); past that the
 * recording is dropped and smo_plan_recorded() says NULL. */
smo_plan_recorder *smo_plan_recorder_create(apr_pool_t *pool,
                                            const smo_sink *inner,
                                            void *inner_ctx, size_t max_bytes,
                                            const smo_sink **sink,
                                            void **sink_ctx);

/* The plan so far (living in the recorder's pool), or NULL if it grew
 * past max_bytes. */
const smo_plan *smo_plan_recorded(smo_plan_recorder *rec);

/* Replay a plan through a sink.  Returns the first non-zero sink result. */
int smo_plan_replay(const smo_plan *plan, const smo_sink *sink, void *ctx);

/* The offset the plan reaches: input past it passes unchanged. */
uint64_t smo_plan_end(const smo_plan *plan);

/* Bytes the plan adds (inserted minus dropped); may be negative. */
int64_t smo_plan_growth(const smo_plan *plan);

/* ---- the cache ---------------------------------------------------------- */

typedef struct smo_plan_cache smo_plan_cache;

/* A cache of `entries` plans, each at most `max_bytes` (with its key).
 * Its memory is released with `pool` (the process's).  NULL with
 * entries 0. */
smo_plan_cache *smo_plan_cache_create(apr_pool_t *pool, unsigned entries,
                                      size_t max_bytes);

/* A copy, in `p`, of the plan stored under the key, or NULL. */
const smo_plan *smo_plan_cache_get(smo_plan_cache *c, apr_pool_t *p,
                                   const char *key, size_t key_len);

/* Store a copy of `plan` under the key, replacing whatever shared its
 * slot.  Returns 0 if it was too large to keep. */
int smo_plan_cache_put(smo_plan_cache *c, const char *key, size_t key_len,
                       const smo_plan *plan);

#endif
