/* toolkit.c — the unit-test programs' shared harness, pool, buffer and
 * recording sink (see toolkit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <libxml/parser.h>

#include "toolkit.h"

/* ---- the per-test pool -------------------------------------------------- */

apr_pool_t *pool;

void tk_pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

void tk_pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/* ---- a growable byte buffer --------------------------------------------- */

void tk_buf_add(tk_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *ns;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (b->pool) {
            ns = apr_palloc(b->pool, cap);
            if (ns && b->len)
                memcpy(ns, b->s, b->len);
        }
        else {
            ns = realloc(b->s, cap);
        }
        if (!ns) {
            fprintf(stderr, "tk_buf_add: out of memory\n");
            abort();
        }
        b->s = ns;
        b->cap = cap;
    }
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void tk_buf_str(tk_buf *b, const char *s)
{
    tk_buf_add(b, s, strlen(s));
}

const char *tk_buf_cstr(const tk_buf *b)
{
    return b->s ? b->s : "";
}

void tk_buf_free(tk_buf *b)
{
    if (!b->pool)
        free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* ---- the recording sink ------------------------------------------------- */

static void check_upto(const tk_rec *r, const char *call, uint64_t upto)
{
    ck_assert_msg(upto >= r->pos && upto <= r->fed,
                  "%s(%llu) out of order or past the fed input (at %llu, "
                  "%llu fed)", call, (unsigned long long)upto,
                  (unsigned long long)r->pos, (unsigned long long)r->fed);
    ck_assert_msg(!r->strict || upto > r->pos, "empty %s(%llu)", call,
                  (unsigned long long)upto);
}

static void note_call(tk_rec *r, char kind, uint64_t upto)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%c%llu ", kind, (unsigned long long)upto);
    tk_buf_str(&r->calls, tmp);
}

static int rec_pass(void *ctx, uint64_t upto)
{
    tk_rec *r = ctx;
    if (r->fail_pass)
        return r->fail_pass;
    check_upto(r, "pass", upto);
    tk_buf_add(&r->out, r->in + r->pos, (size_t)(upto - r->pos));
    note_call(r, 'P', upto);
    r->pos = upto;
    return 0;
}

static int rec_drop(void *ctx, uint64_t upto)
{
    tk_rec *r = ctx;
    check_upto(r, "drop", upto);
    if (r->drops < TK_MAX_EDITS) {
        r->drop_start[r->drops] = r->pos;
        r->drop_end[r->drops] = upto;
    }
    r->drops++;
    note_call(r, 'D', upto);
    r->pos = upto;
    return 0;
}

static int rec_insert(void *ctx, const char *bytes, size_t len)
{
    tk_rec *r = ctx;
    ck_assert_msg(!r->strict || len > 0, "empty insert()");
    if (r->n_ins < TK_MAX_EDITS) {
        r->ins[r->n_ins].in_off = r->pos;
        r->ins[r->n_ins].out_off = r->out.len;
        r->ins[r->n_ins].len = len;
    }
    r->n_ins++;
    r->inserted += len;
    tk_buf_add(&r->out, bytes, len);
    tk_buf_str(&r->calls, "I'");
    tk_buf_add(&r->calls, bytes, len);
    tk_buf_str(&r->calls, "' ");
    return 0;
}

const smo_sink tk_sink = { rec_pass, rec_drop, rec_insert };

void tk_rec_init(tk_rec *r, const char *in, size_t len)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->in_len = len;
    r->fed = len;
}

void tk_rec_free(tk_rec *r)
{
    tk_buf_free(&r->out);
    tk_buf_free(&r->calls);
    tk_buf_free(&r->log);
}

void tk_rec_rest(tk_rec *r)
{
    rec_pass(r, r->in_len);
}

/* ---- feeding the engine ------------------------------------------------- */

static tk_chunks chunks_make(size_t n)
{
    tk_chunks c;
    c.ends = calloc(n ? n : 1, sizeof *c.ends);
    c.flush = calloc(n ? n : 1, 1);
    c.n = 0;
    if (!c.ends || !c.flush)
        abort();
    return c;
}

void tk_chunks_free(tk_chunks *c)
{
    free(c->ends);
    free(c->flush);
}

tk_chunks tk_chunks_whole(size_t len)
{
    tk_chunks c = chunks_make(1);
    c.ends[c.n++] = len;
    return c;
}

tk_chunks tk_chunks_split(size_t len, size_t at, int flush)
{
    tk_chunks c = chunks_make(2);
    c.ends[c.n] = at;
    c.flush[c.n++] = (char)flush;
    c.ends[c.n++] = len;
    return c;
}

tk_chunks tk_chunks_step(size_t len, size_t step)
{
    tk_chunks c = chunks_make(len / step + 2);
    for (size_t at = step; at < len; at += step)
        c.ends[c.n++] = at;
    c.ends[c.n++] = len;
    return c;
}

uint64_t tk_rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

size_t tk_rnd_below(uint64_t *st, size_t n)
{
    return n ? (size_t)(tk_rnd(st) % n) : 0;
}

tk_chunks tk_chunks_random(size_t len, uint64_t *st, int with_flush)
{
    tk_chunks c = chunks_make(len + 1);
    size_t at = 0;
    while (at < len) {
        /* Mostly short chunks, so that many tokens straddle a boundary. */
        size_t step = tk_rnd_below(st, 4) == 0 ? 1 + tk_rnd_below(st, 400)
                                               : 1 + tk_rnd_below(st, 12);
        at = at + step < len ? at + step : len;
        c.flush[c.n] = (char)(with_flush && tk_rnd_below(st, 10) == 0);
        c.ends[c.n++] = at;
    }
    if (c.n == 0)
        c.ends[c.n++] = 0;
    return c;
}

static void rec_error(tk_rec *r, const char *msg, uint64_t a, uint64_t b)
{
    if (!r->err[0])
        snprintf(r->err, sizeof r->err, "%s (%llu, %llu)", msg,
                 (unsigned long long)a, (unsigned long long)b);
}

static void log_msg(void *ctx, const char *msg)
{
    tk_rec *r = ctx;
    if (r->log.len < 4000) {
        tk_buf_str(&r->log, msg);
        tk_buf_str(&r->log, "\n");
    }
}

void tk_run_chunks(tk_rec *r, const smo_engine_config *cfg0, const char *in,
                   size_t len, const tk_chunks *c)
{
    apr_pool_t *p;
    smo_engine_config cfg = *cfg0;
    smo_engine *e;
    size_t start = 0;

    tk_rec_init(r, in, len);
    r->fed = 0;
    cfg.log = log_msg;
    cfg.log_ctx = r;
    ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
    e = smo_engine_create(p, &cfg, &tk_sink, r);
    ck_assert_ptr_nonnull(e);
    for (size_t i = 0; i < c->n; i++) {
        size_t n = c->ends[i] - start;
        char *chunk = malloc(n ? n : 1);
        int rc;
        ck_assert_ptr_nonnull(chunk);
        memcpy(chunk, in + start, n);
        r->fed += n;
        rc = smo_engine_feed(e, chunk, n);
        memset(chunk, 'Z', n);
        free(chunk);
        if (rc != 0)
            rec_error(r, "smo_engine_feed failed", rc, i);
        if (r->fed - r->pos > r->max_held)
            r->max_held = r->fed - r->pos;
        if (c->flush[i] && smo_engine_flush(e) != 0)
            rec_error(r, "smo_engine_flush failed", 0, i);
        start = c->ends[i];
    }
    if (smo_engine_finish(e) != 0)
        rec_error(r, "smo_engine_finish failed", 0, 0);
    if (smo_engine_gave_up(e))
        snprintf(r->gave_up, sizeof r->gave_up, "%s", smo_engine_gave_up(e));
    if (r->pos != len)
        rec_error(r, "input not all passed after finish", r->pos, len);
    apr_pool_destroy(p);
}

void tk_run_whole(tk_rec *r, const smo_engine_config *cfg, const char *in,
                  size_t len)
{
    tk_chunks c = tk_chunks_whole(len);
    tk_run_chunks(r, cfg, in, len, &c);
    tk_chunks_free(&c);
}

void tk_run(tk_rec *r, const smo_engine_config *cfg, const char *in,
            size_t len, size_t step)
{
    tk_chunks c = step ? tk_chunks_step(len, step) : tk_chunks_whole(len);
    tk_run_chunks(r, cfg, in, len, &c);
    tk_chunks_free(&c);
    ck_assert_msg(!r->err[0], "%s", r->err);
}

/* ---- the harness -------------------------------------------------------- */

int main(void)
{
    Suite *s;
    SRunner *sr;
    int ok = 1;

    if (apr_initialize() != APR_SUCCESS)
        return EXIT_FAILURE;
    atexit(apr_terminate);
    s = tk_tests.suite();
    if (!s)
        return EXIT_FAILURE;
    sr = srunner_create(s);
    if (tk_tests.no_fork)
        srunner_set_fork_status(sr, CK_NOFORK);
    if (tk_tests.report) {
        srunner_run_all(sr, CK_SILENT);
        ok = tk_tests.report(sr);
        srunner_print(sr, CK_NORMAL);
    }
    else {
        srunner_run_all(sr, CK_NORMAL);
    }
    ok = ok && srunner_ntests_failed(sr) == 0;
    srunner_free(sr);
    xmlCleanupParser();
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

void tk_run_threads(int n, apr_thread_start_t fn, void *data, size_t size)
{
    apr_thread_t *th[16];

    ck_assert_int_le(n, 16);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, fn,
                                           (char *)data + (size_t)i * size,
                                           pool),
                         APR_SUCCESS);
    for (int i = 0; i < n; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, th[i]);
    }
}
