/* test_rewriter.c — unit tests for lib/rewriter.c: the output is the input
 * with the insertions and removals applied, in order, whatever the points
 * at which the caller declares it final. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "../lib/smo_rewriter.h"
#include "toolkit.h"

/* The toolkit's recording sink, strict: every call moves on.  Its calls
 * log reads "P<upto>" pass, "D<upto>" drop, "I'bytes'" insert. */
static smo_rewriter *make(tk_rec *r, const char *in, size_t len)
{
    smo_rewriter *rw;
    tk_rec_init(r, in, len);
    r->strict = 1;
    r->out.pool = r->calls.pool = pool;
    rw = smo_rewriter_create(pool, &tk_sink, r);
    ck_assert_ptr_nonnull(rw);
    ck_assert_uint_eq(smo_rewriter_released(rw), 0);
    return rw;
}

static const char *log_of(const tk_rec *r)
{
    return tk_buf_cstr(&r->calls);
}

static const char *out_of(const tk_rec *r)
{
    return tk_buf_cstr(&r->out);
}

START_TEST(inserts_and_removal_in_order)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "0123456789", 10);

    ck_assert_int_eq(smo_rewriter_insert(rw, 3, "A", 1), 0);
    ck_assert_int_eq(smo_rewriter_remove(rw, 5, 7), 0);
    ck_assert_int_eq(smo_rewriter_insert(rw, 10, "D", 1), 0);
    ck_assert_int_eq(smo_rewriter_insert(rw, 3, "B", 1), 0);
    ck_assert_int_eq(smo_rewriter_insert(rw, 0, "C", 1), 0);
    ck_assert_int_eq(smo_rewriter_release(rw, 10), 0);
    ck_assert_str_eq(log_of(&r), "I'C' P3 I'A' I'B' P5 D7 P10 I'D' ");
    ck_assert_str_eq(out_of(&r), "C012AB34789D");
    ck_assert_uint_eq(smo_rewriter_released(rw), 10);
}
END_TEST

START_TEST(same_offset_keeps_insertion_order)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "abcdef", 6);
    static const char *const parts[] = { "1", "2", "3", "4", "5", "6", "7",
                                         "8", "9", "10", "11", "12" };

    /* interleaved with inserts elsewhere, and more than the first
     * allocation holds */
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(smo_rewriter_insert(rw, 2, parts[i], strlen(parts[i])), 0);
        ck_assert_int_eq(smo_rewriter_insert(rw, (uint64_t)(i % 2 ? 1 : 4),
                                             i % 2 ? "<" : ">", 1), 0);
    }
    ck_assert_int_eq(smo_rewriter_release(rw, 6), 0);
    ck_assert_str_eq(out_of(&r), "a<<<<<<b123456789101112cd>>>>>>ef");
}
END_TEST

START_TEST(insert_copy_owns_bytes)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "xy", 2);
    char tmp[8];

    strcpy(tmp, "keep");
    ck_assert_int_eq(smo_rewriter_insert_copy(rw, 1, tmp, 4), 0);
    strcpy(tmp, "gone");
    ck_assert_int_eq(smo_rewriter_release(rw, 2), 0);
    ck_assert_str_eq(out_of(&r), "xkeepy");
    /* empty edits are no-ops */
    rw = make(&r, "xy", 2);
    ck_assert_int_eq(smo_rewriter_insert(rw, 1, "z", 0), 0);
    ck_assert_int_eq(smo_rewriter_insert_copy(rw, 1, "z", 0), 0);
    ck_assert_int_eq(smo_rewriter_remove(rw, 1, 1), 0);
    ck_assert_int_eq(smo_rewriter_release(rw, 2), 0);
    ck_assert_str_eq(log_of(&r), "P2 ");
}
END_TEST

START_TEST(release_in_steps)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "0123456789abcdefghij", 20);

    ck_assert_int_eq(smo_rewriter_insert(rw, 4, "X", 1), 0);
    ck_assert_int_eq(smo_rewriter_remove(rw, 8, 10), 0);
    ck_assert_int_eq(smo_rewriter_remove(rw, 12, 17), 0);
    /* an insert exactly at the release point precedes that byte: out now */
    ck_assert_int_eq(smo_rewriter_release(rw, 4), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' ");
    ck_assert_uint_eq(smo_rewriter_released(rw), 4);
    /* a removal starting exactly at the release point is not started */
    ck_assert_int_eq(smo_rewriter_release(rw, 8), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' P8 ");
    /* ... and one ending there is complete */
    ck_assert_int_eq(smo_rewriter_release(rw, 10), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' P8 D10 ");
    /* a removal reaching past the release point goes in two parts */
    ck_assert_int_eq(smo_rewriter_release(rw, 14), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' P8 D10 P12 D14 ");
    ck_assert_uint_eq(smo_rewriter_released(rw), 14);
    /* releasing less than before changes nothing */
    ck_assert_int_eq(smo_rewriter_release(rw, 11), 0);
    ck_assert_int_eq(smo_rewriter_release(rw, 14), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' P8 D10 P12 D14 ");
    ck_assert_int_eq(smo_rewriter_release(rw, 20), 0);
    ck_assert_str_eq(log_of(&r), "P4 I'X' P8 D10 P12 D14 D17 P20 ");
    ck_assert_str_eq(out_of(&r), "0123X4567abhij");
}
END_TEST

START_TEST(edit_before_release_refused)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "0123456789", 10);

    ck_assert_int_eq(smo_rewriter_release(rw, 5), 0);
    ck_assert_int_ne(smo_rewriter_insert(rw, 4, "A", 1), 0);
    ck_assert_int_ne(smo_rewriter_insert_copy(rw, 0, "B", 1), 0);
    ck_assert_int_ne(smo_rewriter_remove(rw, 4, 6), 0);
    /* at the released offset is still fine */
    ck_assert_int_eq(smo_rewriter_insert(rw, 5, "C", 1), 0);
    ck_assert_int_eq(smo_rewriter_remove(rw, 5, 6), 0);
    ck_assert_int_eq(smo_rewriter_release(rw, 10), 0);
    ck_assert_str_eq(out_of(&r), "01234C6789");
    /* the refused edits left no trace */
    ck_assert_str_eq(log_of(&r), "P5 I'C' D6 P10 ");
}
END_TEST

START_TEST(sink_error_stops_release)
{
    tk_rec r;
    smo_rewriter *rw = make(&r, "0123456789", 10);

    ck_assert_int_eq(smo_rewriter_insert(rw, 3, "A", 1), 0);
    r.fail_pass = -7;
    ck_assert_int_ne(smo_rewriter_release(rw, 10), 0);
    ck_assert_uint_lt(smo_rewriter_released(rw), 10);
    /* once the sink recovers, nothing was lost */
    r.fail_pass = 0;
    ck_assert_int_eq(smo_rewriter_release(rw, 10), 0);
    ck_assert_str_eq(out_of(&r), "012A3456789");
}
END_TEST

/* ---- random edits against a model -------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: deterministic across platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32) % n;
}

typedef struct {
    uint64_t offset;
    const char *bytes;
} model_ins;

START_TEST(random_edits_match_model)
{
    rng_state = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
    for (int round = 0; round < 400; round++) {
        size_t n = rnd(200);
        char *in = apr_palloc(pool, n + 1);
        char *removed = apr_pcalloc(pool, n + 1);
        model_ins *ins = apr_palloc(pool, 200 * sizeof(*ins));
        size_t n_ins = 0;
        uint64_t released = 0;
        tk_rec r;
        smo_rewriter *rw;
        tk_buf want = { .pool = pool };
        int ops = (int)rnd(60);

        for (size_t i = 0; i < n; i++)
            in[i] = (char)('a' + rnd(26));
        in[n] = '\0';
        rw = make(&r, in, n);
        for (int op = 0; op < ops; op++) {
            uint32_t kind = rnd(10);
            if (kind < 4 && n_ins < 200) {
                uint64_t at = released + rnd((uint32_t)(n - released + 1));
                const char *b = apr_psprintf(pool, "[%d]", op);
                int copy = (int)rnd(2);
                ck_assert_int_eq(copy ? smo_rewriter_insert_copy(rw, at, b, strlen(b))
                                      : smo_rewriter_insert(rw, at, b, strlen(b)),
                                 0);
                ins[n_ins].offset = at;
                ins[n_ins].bytes = b;
                n_ins++;
            } else if (kind < 6 && released < n) {
                uint64_t s = released + rnd((uint32_t)(n - released));
                uint64_t e = s + 1 + rnd((uint32_t)(n - s < 25 ? n - s : 25));
                ck_assert_int_eq(smo_rewriter_remove(rw, s, e), 0);
                for (uint64_t k = s; k < e; k++)
                    removed[k] = 1;
            } else if (kind < 9) {
                uint64_t upto = rnd((uint32_t)(n + 1));
                ck_assert_int_eq(smo_rewriter_release(rw, upto), 0);
                if (upto > released)
                    released = upto;
                ck_assert_uint_eq(smo_rewriter_released(rw), released);
                /* everything before it is out */
                ck_assert_uint_eq(r.pos, released);
            } else if (released > 0) {
                uint64_t at = rnd((uint32_t)released);
                ck_assert_int_ne(smo_rewriter_insert(rw, at, "!", 1), 0);
                ck_assert_int_ne(smo_rewriter_remove(rw, at, released + 1), 0);
            }
        }
        ck_assert_int_eq(smo_rewriter_release(rw, n), 0);
        ck_assert_uint_eq(r.pos, n);

        for (size_t p = 0; p <= n; p++) {
            for (size_t k = 0; k < n_ins; k++)
                if (ins[k].offset == p)
                    tk_buf_str(&want, ins[k].bytes);
            if (p < n && !removed[p])
                tk_buf_add(&want, in + p, 1);
        }
        if (strcmp(out_of(&r), want.s ? want.s : ""))
            ck_abort_msg("round %d seed %d: input %s\nlog %s\ngot  %s\nwant %s",
                         round, _i, in, log_of(&r), out_of(&r),
                         want.s ? want.s : "");
    }
}
END_TEST

START_TEST(many_edits_stay_ordered)
{
    /* a long stream with edits released as it goes */
    const size_t n = 200000;
    char *in = apr_palloc(pool, n);
    tk_rec r;
    smo_rewriter *rw;
    size_t inserted = 0;

    memset(in, 'x', n);
    rw = make(&r, in, n);
    for (size_t off = 0; off < n; off += 100) {
        ck_assert_int_eq(smo_rewriter_insert(rw, off + 50, "ab", 2), 0);
        ck_assert_int_eq(smo_rewriter_remove(rw, off + 60, off + 70), 0);
        inserted++;
        ck_assert_int_eq(smo_rewriter_release(rw, off + 65), 0);
    }
    ck_assert_int_eq(smo_rewriter_release(rw, n), 0);
    ck_assert_uint_eq(r.out.len, n + inserted * 2 - inserted * 10);
    /* every 100 input bytes: 50 kept, "ab", 10 kept, 10 dropped, 30 kept */
    for (size_t k = 0; k < inserted; k++) {
        const char *blk = r.out.s + k * 92;
        for (size_t j = 0; j < 92; j++)
            ck_assert_int_eq(blk[j], j == 50 ? 'a' : j == 51 ? 'b' : 'x');
    }
}
END_TEST

static Suite *rewriter_suite(void)
{
    Suite *s = suite_create("rewriter");
    TCase *tc = tcase_create("edits");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, inserts_and_removal_in_order);
    tcase_add_test(tc, same_offset_keeps_insertion_order);
    tcase_add_test(tc, insert_copy_owns_bytes);
    tcase_add_test(tc, release_in_steps);
    tcase_add_test(tc, edit_before_release_refused);
    tcase_add_test(tc, sink_error_stops_release);
    tcase_add_loop_test(tc, random_edits_match_model, 0, 5);
    tcase_add_test(tc, many_edits_stay_ordered);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { rewriter_suite, 0, NULL };
