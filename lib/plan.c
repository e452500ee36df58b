/* plan.c — recording, replaying and caching what the engine did to one
 * response (see smo_plan.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>
#if APR_HAS_THREADS
#include <apr_thread_mutex.h>
#endif

#include "smo_plan.h"

/* ---- recording ---------------------------------------------------------- */

struct smo_plan_recorder {
    apr_pool_t *pool;
    const smo_sink *inner;
    void *inner_ctx;
    apr_array_header_t *ops;   /* smo_plan_op */
    size_t bytes, max_bytes;
    int overflow;
    smo_plan plan;
};

static int note(smo_plan_recorder *rec, smo_plan_kind kind, uint64_t upto,
                const char *bytes, size_t len)
{
    smo_plan_op *op;
    if (rec->overflow)
        return 0;
    if (kind == SMO_PLAN_PASS && rec->ops->nelts) {
        /* Passes in a row are one pass: the plan only says how far. */
        op = &APR_ARRAY_IDX(rec->ops, rec->ops->nelts - 1, smo_plan_op);
        if (op->kind == SMO_PLAN_PASS) {
            op->upto = upto;
            return 0;
        }
    }
    rec->bytes += sizeof(*op) + len;
    if (rec->bytes > rec->max_bytes) {
        rec->overflow = 1;
        return 0;
    }
    op = apr_array_push(rec->ops);
    op->kind = kind;
    op->upto = upto;
    op->bytes = len ? apr_pmemdup(rec->pool, bytes, len) : NULL;
    op->len = len;
    return 0;
}

static int rec_pass(void *c, uint64_t upto)
{
    smo_plan_recorder *rec = c;
    note(rec, SMO_PLAN_PASS, upto, NULL, 0);
    return rec->inner->pass(rec->inner_ctx, upto);
}

static int rec_drop(void *c, uint64_t upto)
{
    smo_plan_recorder *rec = c;
    note(rec, SMO_PLAN_DROP, upto, NULL, 0);
    return rec->inner->drop(rec->inner_ctx, upto);
}

static int rec_insert(void *c, const char *bytes, size_t len)
{
    smo_plan_recorder *rec = c;
    note(rec, SMO_PLAN_INSERT, 0, bytes, len);
    return rec->inner->insert(rec->inner_ctx, bytes, len);
}

static const smo_sink recording_sink = { rec_pass, rec_drop, rec_insert };

smo_plan_recorder *smo_plan_recorder_create(apr_pool_t *pool,
                                            const smo_sink *inner,
                                            void *inner_ctx, size_t max_bytes,
                                            const smo_sink **sink,
                                            void **sink_ctx)
{
    smo_plan_recorder *rec = apr_pcalloc(pool, sizeof(*rec));
    rec->pool = pool;
    rec->inner = inner;
    rec->inner_ctx = inner_ctx;
    rec->ops = apr_array_make(pool, 8, sizeof(smo_plan_op));
    rec->max_bytes = max_bytes;
    *sink = &recording_sink;
    *sink_ctx = rec;
    return rec;
}

const smo_plan *smo_plan_recorded(smo_plan_recorder *rec)
{
    if (rec->overflow)
        return NULL;
    rec->plan.ops = (const smo_plan_op *)rec->ops->elts;
    rec->plan.n_ops = (size_t)rec->ops->nelts;
    return &rec->plan;
}

int smo_plan_replay(const smo_plan *plan, const smo_sink *sink, void *ctx)
{
    int rv = 0;
    for (size_t i = 0; i < plan->n_ops && !rv; i++) {
        const smo_plan_op *op = &plan->ops[i];
        switch (op->kind) {
        case SMO_PLAN_PASS:
            rv = sink->pass(ctx, op->upto);
            break;
        case SMO_PLAN_DROP:
            rv = sink->drop(ctx, op->upto);
            break;
        default:
            rv = sink->insert(ctx, op->bytes, op->len);
            break;
        }
    }
    return rv;
}

uint64_t smo_plan_end(const smo_plan *plan)
{
    uint64_t end = 0;
    for (size_t i = 0; i < plan->n_ops; i++)
        if (plan->ops[i].kind != SMO_PLAN_INSERT)
            end = plan->ops[i].upto;
    return end;
}

int64_t smo_plan_growth(const smo_plan *plan)
{
    int64_t growth = 0;
    uint64_t at = 0;
    for (size_t i = 0; i < plan->n_ops; i++) {
        const smo_plan_op *op = &plan->ops[i];
        if (op->kind == SMO_PLAN_INSERT)
            growth += (int64_t)op->len;
        else if (op->kind == SMO_PLAN_DROP)
            growth -= (int64_t)(op->upto - at);
        if (op->kind != SMO_PLAN_INSERT)
            at = op->upto;
    }
    return growth;
}

/* ---- the cache ---------------------------------------------------------- */

/* One slot: the key, then the ops, then the inserted bytes in op order,
 * in one malloc'd block (the cache outlives every request pool, and a
 * replaced entry must give its memory back). */
typedef struct {
    uint64_t hash;
    char *block;
    size_t key_len, n_ops, bytes_len;
} slot;

struct smo_plan_cache {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    slot *slots;
    unsigned n;
    size_t max_bytes;
};

static uint64_t hash_key(const char *key, size_t len)
{
    /* FNV-1a: a collision only shares a slot; the whole key is compared. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return h ? h : 1;
}

static apr_status_t free_slots(void *data)
{
    smo_plan_cache *c = data;
    for (unsigned i = 0; i < c->n; i++) {
        free(c->slots[i].block);
        c->slots[i].block = NULL;
    }
    return APR_SUCCESS;
}

smo_plan_cache *smo_plan_cache_create(apr_pool_t *pool, unsigned entries,
                                      size_t max_bytes)
{
    smo_plan_cache *c;
    if (!entries)
        return NULL;
    c = apr_pcalloc(pool, sizeof(*c));
    c->slots = apr_pcalloc(pool, entries * sizeof(slot));
    c->n = entries;
    c->max_bytes = max_bytes;
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pool) !=
        APR_SUCCESS)
        return NULL;
#endif
    apr_pool_cleanup_register(pool, c, free_slots, apr_pool_cleanup_null);
    return c;
}

static void lock(smo_plan_cache *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(c->lock);
#else
    (void)c;
#endif
}

static void unlock(smo_plan_cache *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(c->lock);
#else
    (void)c;
#endif
}

const smo_plan *smo_plan_cache_get(smo_plan_cache *c, apr_pool_t *p,
                                   const char *key, size_t key_len)
{
    uint64_t h = hash_key(key, key_len);
    slot *s = &c->slots[h % c->n];
    smo_plan *plan = NULL;
    smo_plan_op *ops;
    const char *bytes;

    lock(c);
    if (s->block && s->hash == h && s->key_len == key_len &&
        !memcmp(s->block, key, key_len)) {
        const char *b = s->block + key_len;
        size_t ops_size = s->n_ops * sizeof(smo_plan_op);
        plan = apr_palloc(p, sizeof(*plan));
        ops = apr_pmemdup(p, b, ops_size);
        bytes = apr_pmemdup(p, b + ops_size, s->bytes_len);
        plan->ops = ops;
        plan->n_ops = s->n_ops;
        for (size_t i = 0; i < s->n_ops; i++) {
            if (ops[i].kind == SMO_PLAN_INSERT) {
                ops[i].bytes = bytes;
                bytes += ops[i].len;
            }
        }
    }
    unlock(c);
    return plan;
}

int smo_plan_cache_put(smo_plan_cache *c, const char *key, size_t key_len,
                       const smo_plan *plan)
{
    uint64_t h = hash_key(key, key_len);
    size_t ops_size = plan->n_ops * sizeof(smo_plan_op), bytes_len = 0;
    slot *s = &c->slots[h % c->n];
    char *block, *w, *old;

    for (size_t i = 0; i < plan->n_ops; i++)
        if (plan->ops[i].kind == SMO_PLAN_INSERT)
            bytes_len += plan->ops[i].len;
    if (key_len + ops_size + bytes_len > c->max_bytes)
        return 0;
    if (!(block = malloc(key_len + ops_size + bytes_len + 1)))
        return 0;
    memcpy(block, key, key_len);
    w = block + key_len;
    memcpy(w, plan->ops, ops_size);
    w += ops_size;
    for (size_t i = 0; i < plan->n_ops; i++) {
        const smo_plan_op *op = &plan->ops[i];
        if (op->kind == SMO_PLAN_INSERT && op->len) {
            memcpy(w, op->bytes, op->len);
            w += op->len;
        }
    }
    lock(c);
    old = s->block;
    s->block = block;
    s->hash = h;
    s->key_len = key_len;
    s->n_ops = plan->n_ops;
    s->bytes_len = bytes_len;
    unlock(c);
    free(old);
    return 1;
}
