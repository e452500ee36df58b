/* toolkit.h — what the Check unit-test programs share: the harness's
 * main(), the per-test pool, a growable byte buffer, and the recording
 * sink the engine and the rewriter write to, with the runner that feeds
 * a page to the engine in a given chunking.
 *
 * A program links tests/toolkit.c and defines `tk_tests`; main() builds
 * its suite and runs it with srunner (CK_RUN_SUITE and CK_RUN_CASE pick
 * a part, as Check reads them), prints Check's summary line
 * "NN%: Checks: C, Failures: F, Errors: E" and exits non-zero on failure.
 */
#ifndef SMO_TEST_TOOLKIT_H
#define SMO_TEST_TOOLKIT_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <apr_pools.h>
#include <apr_thread_proc.h>

#include "smo_engine.h"
#include "smo_rewriter.h"

/* ---- the harness -------------------------------------------------------- */

typedef struct {
    /* The program's suite; NULL when it could not be built (exit 1). */
    Suite *(*suite)(void);
    /* Run the tests in this process (thousands of tiny cases). */
    int no_fork;
    /* If set: the run is silent, then this prints what it has to say and
     * returns 0 to fail the program, then Check's summary follows. */
    int (*report)(SRunner *sr);
} tk_program;

/* Each program defines it. */
extern const tk_program tk_tests;

/* ---- the per-test pool -------------------------------------------------- */

/* Created by tk_pool_setup() before each test, destroyed after: use with
 * tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown). */
extern apr_pool_t *pool;
void tk_pool_setup(void);
void tk_pool_teardown(void);

/* ---- a growable byte buffer --------------------------------------------- */

/* NUL-terminated (s is NULL until something is added; tk_buf_cstr gives
 * "" then).  With `pool` set the memory comes from it and needs no
 * tk_buf_free; otherwise it is malloc'd. */
typedef struct {
    char *s;
    size_t len, cap;
    apr_pool_t *pool;
} tk_buf;

void tk_buf_add(tk_buf *b, const char *s, size_t n);
void tk_buf_str(tk_buf *b, const char *s);
const char *tk_buf_cstr(const tk_buf *b);
void tk_buf_free(tk_buf *b);

/* ---- the recording sink ------------------------------------------------- */

#define TK_MAX_EDITS 64

typedef struct {
    uint64_t in_off;      /* input offset the insertion lands before */
    size_t out_off, len;  /* where it is in the output */
} tk_insertion;

/* The sink rebuilds the response: pass(upto) copies the input bytes up
 * to `upto`, drop skips them, insert appends.  A pass or drop backwards
 * or past the input fed so far fails the test at once. */
typedef struct {
    const char *in;
    size_t in_len;
    uint64_t pos;         /* input bytes passed or dropped so far */
    uint64_t fed;         /* input bytes fed so far (tk_rec_init: all) */
    tk_buf out;
    tk_buf calls;         /* each call: "P<upto> ", "D<upto> ", "I'<bytes>' " */
    tk_insertion ins[TK_MAX_EDITS];
    size_t n_ins;         /* insertions (the first TK_MAX_EDITS kept) */
    size_t inserted;      /* bytes inserted */
    size_t drops;         /* drops (the first TK_MAX_EDITS kept) */
    uint64_t drop_start[TK_MAX_EDITS], drop_end[TK_MAX_EDITS];
    uint64_t max_held;    /* largest fed - pos seen after a feed */
    int strict;           /* no empty pass, drop or insert either */
    int fail_pass;        /* non-zero: pass returns this */
    tk_buf log;           /* what the engine logged (tk_run_chunks) */
    char err[200];        /* the first failure of the engine's API */
    char gave_up[200];    /* smo_engine_gave_up() at the end */
} tk_rec;

extern const smo_sink tk_sink;

/* Ready to record the output for `len` bytes of `in`, all fed. */
void tk_rec_init(tk_rec *r, const char *in, size_t len);
void tk_rec_free(tk_rec *r);
/* The rest of the input goes out unchanged, as the filter sends it once
 * the engine has stepped aside. */
void tk_rec_rest(tk_rec *r);

/* ---- feeding the engine ------------------------------------------------- */

/* Chunk ends (ascending, the last one is the input length), and whether
 * a FLUSH follows each chunk. */
typedef struct {
    size_t *ends;
    char *flush;
    size_t n;
} tk_chunks;

tk_chunks tk_chunks_whole(size_t len);
/* Two chunks, split at `at` (0 and len give an empty chunk). */
tk_chunks tk_chunks_split(size_t len, size_t at, int flush);
/* Chunks of `step` bytes. */
tk_chunks tk_chunks_step(size_t len, size_t step);
/* Mostly short random chunks (from the generator state *st). */
tk_chunks tk_chunks_random(size_t len, uint64_t *st, int with_flush);
void tk_chunks_free(tk_chunks *c);

/* Deterministic xorshift64*: the same documents and chunkings each run. */
uint64_t tk_rnd(uint64_t *st);
size_t tk_rnd_below(uint64_t *st, size_t n);

/* Run `fn` on `n` threads at once (at most 16), the i-th given
 * (char *)data + i * size, and wait for them all (the worker and event
 * MPMs share a child's caches between threads).  `fn` must return, not
 * call apr_thread_exit(): ASan takes pthread_exit() unwinding past live
 * stack objects for a use after scope. */
void tk_run_threads(int n, apr_thread_start_t fn, void *data, size_t size);

/* Feed `in` to a new engine by the chunks, each from a scratch copy that
 * is wiped and freed after the call (an engine keeping a pointer into a
 * chunk is caught by ASan); the result is in *r (tk_rec_free it), the
 * engine's failures in r->err. */
void tk_run_chunks(tk_rec *r, const smo_engine_config *cfg, const char *in,
                   size_t len, const tk_chunks *c);
void tk_run_whole(tk_rec *r, const smo_engine_config *cfg, const char *in,
                  size_t len);
/* In chunks of `step` bytes (0: whole); the engine must not fail. */
void tk_run(tk_rec *r, const smo_engine_config *cfg, const char *in,
            size_t len, size_t step);

#endif
