/* smo_rewriter.h — ordered edits over a byte stream.
 *
 * The output is the input, in order, with pieces inserted at given offsets
 * and given ranges removed.  Nothing is copied from the input: the sink is
 * told to pass or drop input up to an offset, or to write inserted bytes.
 * The caller decides how far the output is final (smo_rewriter_release);
 * edits may be added anywhere at or after the released offset.
 */
#ifndef SMO_REWRITER_H
#define SMO_REWRITER_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

typedef struct {
    /* Input bytes up to `upto` (absolute, exclusive) go out unchanged. */
    int (*pass)(void *ctx, uint64_t upto);
    /* Input bytes up to `upto` are removed. */
    int (*drop)(void *ctx, uint64_t upto);
    /* Inserted bytes; they live in the rewriter's pool. */
    int (*insert)(void *ctx, const char *bytes, size_t len);
} smo_sink;

typedef struct smo_rewriter smo_rewriter;

smo_rewriter *smo_rewriter_create(apr_pool_t *pool, const smo_sink *sink,
                                  void *ctx);

/* Insert `len` bytes at `offset`.  Several inserts at one offset come out
 * in the order they were added.  `bytes` must live as long as the pool;
 * smo_rewriter_insert_copy() copies them there. */
int smo_rewriter_insert(smo_rewriter *rw, uint64_t offset, const char *bytes,
                        size_t len);
int smo_rewriter_insert_copy(smo_rewriter *rw, uint64_t offset,
                             const char *bytes, size_t len);

/* Remove the input bytes [start, end) (a replaced tag). */
int smo_rewriter_remove(smo_rewriter *rw, uint64_t start, uint64_t end);

/* Everything before `upto` is final: emit it through the sink. */
int smo_rewriter_release(smo_rewriter *rw, uint64_t upto);

/* Offset up to which output has been emitted. */
uint64_t smo_rewriter_released(const smo_rewriter *rw);

#endif
