/* rewriter.c — ordered edits over a byte stream (see smo_rewriter.h). */
#include <string.h>
#include <apr_strings.h>

#include "smo_rewriter.h"

typedef struct {
    uint64_t start, end;   /* removal: [start, end); insert: start == end */
    const char *bytes;
    size_t len;
} edit;

struct smo_rewriter {
    apr_pool_t *pool;
    const smo_sink *sink;
    void *ctx;
    uint64_t pos;          /* output is final up to here */
    edit *edits;           /* pending, sorted by start; [first, n) live */
    size_t first, n, cap;
};

smo_rewriter *smo_rewriter_create(apr_pool_t *pool, const smo_sink *sink,
                                  void *ctx)
{
    smo_rewriter *rw = apr_pcalloc(pool, sizeof(*rw));
    rw->pool = pool;
    rw->sink = sink;
    rw->ctx = ctx;
    return rw;
}

uint64_t smo_rewriter_released(const smo_rewriter *rw)
{
    return rw->pos;
}

static int add(smo_rewriter *rw, uint64_t start, uint64_t end,
               const char *bytes, size_t len)
{
    size_t i;
    if (start < rw->pos || end < start)
        return -1; /* the output there is already gone */
    if (rw->first && rw->first == rw->n) {
        rw->first = rw->n = 0;
    }
    if (rw->n == rw->cap) {
        /* Reuse the consumed front before growing: edits are few and
         * short-lived, so the array stays small for any document. */
        if (rw->first) {
            memmove(rw->edits, rw->edits + rw->first,
                    (rw->n - rw->first) * sizeof(edit));
            rw->n -= rw->first;
            rw->first = 0;
        } else {
            size_t cap = rw->cap ? rw->cap * 2 : 8;
            edit *e = apr_palloc(rw->pool, cap * sizeof(edit));
            if (rw->n)
                memcpy(e, rw->edits, rw->n * sizeof(edit));
            rw->edits = e;
            rw->cap = cap;
        }
    }
    /* Keep the order: after every edit that starts at or before `start`. */
    i = rw->n;
    while (i > rw->first && rw->edits[i - 1].start > start)
        i--;
    memmove(rw->edits + i + 1, rw->edits + i, (rw->n - i) * sizeof(edit));
    rw->edits[i].start = start;
    rw->edits[i].end = end;
    rw->edits[i].bytes = bytes;
    rw->edits[i].len = len;
    rw->n++;
    return 0;
}

int smo_rewriter_insert(smo_rewriter *rw, uint64_t offset, const char *bytes,
                        size_t len)
{
    return len ? add(rw, offset, offset, bytes, len) : 0;
}

int smo_rewriter_insert_copy(smo_rewriter *rw, uint64_t offset,
                             const char *bytes, size_t len)
{
    return len ? add(rw, offset, offset, apr_pmemdup(rw->pool, bytes, len), len)
               : 0;
}

int smo_rewriter_remove(smo_rewriter *rw, uint64_t start, uint64_t end)
{
    return end > start ? add(rw, start, end, NULL, 0) : 0;
}

int smo_rewriter_release(smo_rewriter *rw, uint64_t upto)
{
    int rv;
    while (rw->first < rw->n && rw->edits[rw->first].start <= upto) {
        edit *e = &rw->edits[rw->first];
        if (e->start == e->end) {
            /* An insert at `upto` is final too: it precedes byte `upto`. */
            if (e->start > rw->pos) {
                if ((rv = rw->sink->pass(rw->ctx, e->start)) != 0)
                    return rv;
                rw->pos = e->start;
            }
            if ((rv = rw->sink->insert(rw->ctx, e->bytes, e->len)) != 0)
                return rv;
            rw->first++;
            continue;
        }
        if (e->start == upto)
            break;
        if (e->start > rw->pos) {
            if ((rv = rw->sink->pass(rw->ctx, e->start)) != 0)
                return rv;
            rw->pos = e->start;
        }
        {
            /* A removal may reach past `upto`: drop what is final now. */
            uint64_t stop = e->end < upto ? e->end : upto;
            if (stop > rw->pos) {
                if ((rv = rw->sink->drop(rw->ctx, stop)) != 0)
                    return rv;
                rw->pos = stop;
            }
            if (stop == e->end)
                rw->first++;
            else {
                e->start = stop;
                break;
            }
        }
    }
    if (upto > rw->pos) {
        if ((rv = rw->sink->pass(rw->ctx, upto)) != 0)
            return rv;
        rw->pos = upto;
    }
    return 0;
}
