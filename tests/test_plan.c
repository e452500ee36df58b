/* test_plan.c — what the engine did to a page, written down and done
 * again: a replayed plan gives the engine's output byte for byte; the
 * cache gives back what was put under the same key and nothing else; the
 * configuration key tells every setting apart.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "smo_engine.h"
#include "smo_plan.h"
#include "toolkit.h"

/* ---- the toolkit's sink, rebuilding the response ---------------------- */

/* Ready for `in`; its buffers live in the test's pool. */
static void rebuild_init(tk_rec *r, const char *in)
{
    tk_rec_init(r, in, strlen(in));
    r->out.pool = r->calls.pool = pool;
}

/* ---- configurations ----------------------------------------------------- */

static smo_engine_config config(int with_share, int override)
{
    smo_engine_config c;
    smo_meta_config *m = apr_pcalloc(pool, sizeof(*m));
    apr_array_header_t *props = apr_array_make(pool, 2, sizeof(smo_meta_prop));
    smo_meta_prop *p = apr_array_push(props);

    p->name = "og:site_name";
    p->value = "Tea & Co";
    m->props = props;
    m->override = override;
    m->auto_meta = 1;
    m->canonical = 1;
    m->canonical_url = "https://example.com/tea?id=1";
    m->page_url = "https://example.com/tea";
    m->strip_globs = apr_array_make(pool, 1, sizeof(const char *));
    memset(&c, 0, sizeof(c));
    c.head_limit = 256 * 1024;
    c.meta = m;
    c.share_at = SMO_SHARE_AT_BODY_END;
    if (with_share) {
        smo_share_config *s = apr_pcalloc(pool, sizeof(*s));
        apr_array_header_t *nets =
            apr_array_make(pool, 2, sizeof(const smo_network *));
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(pool, "x", NULL);
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(pool, "linkedin", NULL);
        s->networks = nets;
        c.share = s;
    }
    return c;
}

static const char *const pages[] = {
    "<!DOCTYPE html><html><head><title>Tea</title>"
    "<meta property=\"og:site_name\" content=\"Old\"></head>"
    "<body><p>Green <b>tea</b></p></body></html>",
    "<html><head><meta name=description content='Leaves'>"
    "<link rel=canonical href=/old></head><body>x</body></html>",
    "<p>no head at all</p>",
    "<head><title>t</title></head><body><script>'</body>'</script>"
    "<svg><title>s</title></svg><!-- c --></body>",
    "",
};

/* Run the engine over `in` in chunks of `step`, recording. */
static const smo_plan *record(const smo_engine_config *c, const char *in,
                              size_t step, tk_rec *out)
{
    const smo_sink *sink;
    void *sink_ctx;
    smo_plan_recorder *rec;
    smo_engine *e;
    size_t len = strlen(in);

    rebuild_init(out, in);
    rec = smo_plan_recorder_create(pool, &tk_sink, out, 1 << 20, &sink,
                                   &sink_ctx);
    e = smo_engine_create(pool, c, sink, sink_ctx);
    for (size_t o = 0; o < len && !smo_engine_done(e); o += step)
        ck_assert_int_eq(smo_engine_feed(e, in + o,
                                         len - o < step ? len - o : step), 0);
    ck_assert_int_eq(smo_engine_finish(e), 0);
    tk_rec_rest(out);
    return smo_plan_recorded(rec);
}

START_TEST(replay_gives_the_engine_output)
{
    const char *in = pages[_i % 5];
    smo_engine_config c = config(_i / 5 % 2, _i / 10);
    size_t len = strlen(in);

    for (size_t step = 1; step <= len + 1; step += step < 8 ? 1 : 13) {
        tk_rec engine_out, replayed;
        const smo_plan *plan = record(&c, in, step, &engine_out);

        ck_assert_ptr_nonnull(plan);
        rebuild_init(&replayed, in);
        ck_assert_int_eq(smo_plan_replay(plan, &tk_sink, &replayed), 0);
        ck_assert_uint_le(smo_plan_end(plan), len);
        tk_rec_rest(&replayed);
        ck_assert_uint_eq(replayed.out.len, engine_out.out.len);
        ck_assert_int_eq(memcmp(tk_buf_cstr(&replayed.out),
                                tk_buf_cstr(&engine_out.out), replayed.out.len), 0);
        ck_assert_int_eq((int64_t)replayed.out.len - (int64_t)len,
                         smo_plan_growth(plan));
    }
}
END_TEST

START_TEST(plan_says_what_changed)
{
    /* override: the page's og:site_name is replaced (a drop), the markup goes
     * in, and the share block lands before </body>. */
    smo_engine_config c = config(1, 1);
    tk_rec out;
    const smo_plan *plan = record(&c, pages[0], 4096, &out);
    size_t inserts = 0, drops = 0;

    ck_assert_ptr_nonnull(plan);
    for (size_t i = 0; i < plan->n_ops; i++) {
        inserts += plan->ops[i].kind == SMO_PLAN_INSERT;
        drops += plan->ops[i].kind == SMO_PLAN_DROP;
        /* consecutive passes are merged */
        if (i && plan->ops[i].kind == SMO_PLAN_PASS)
            ck_assert_int_ne(plan->ops[i - 1].kind, SMO_PLAN_PASS);
    }
    ck_assert_uint_ge(inserts, 2);
    ck_assert_uint_eq(drops, 1);
    ck_assert_ptr_nonnull(strstr(out.out.s, "smo-share"));
    ck_assert_ptr_null(strstr(out.out.s, "content=\"Old\""));
}
END_TEST

START_TEST(recording_past_its_limit_is_dropped)
{
    smo_engine_config c = config(1, 0);
    const smo_sink *sink;
    void *sink_ctx;
    tk_rec out;
    smo_plan_recorder *rec;
    smo_engine *e;

    rebuild_init(&out, pages[0]);
    rec = smo_plan_recorder_create(pool, &tk_sink, &out, 64, &sink, &sink_ctx);
    e = smo_engine_create(pool, &c, sink, sink_ctx);
    smo_engine_feed(e, pages[0], strlen(pages[0]));
    smo_engine_finish(e);
    tk_rec_rest(&out);
    /* the response itself is whole; only the plan is not kept */
    ck_assert_ptr_nonnull(strstr(out.out.s, "smo-share"));
    ck_assert_ptr_null(smo_plan_recorded(rec));
}
END_TEST

/* ---- the cache ---------------------------------------------------------- */

static smo_plan *plan_of(const char *insert, uint64_t upto)
{
    smo_plan *p = apr_pcalloc(pool, sizeof(*p));
    smo_plan_op *ops = apr_pcalloc(pool, 3 * sizeof(*ops));
    ops[0].kind = SMO_PLAN_PASS;
    ops[0].upto = upto;
    ops[1].kind = SMO_PLAN_INSERT;
    ops[1].bytes = insert;
    ops[1].len = strlen(insert);
    ops[2].kind = SMO_PLAN_DROP;
    ops[2].upto = upto + 5;
    p->ops = ops;
    p->n_ops = 3;
    return p;
}

START_TEST(cache_round_trip)
{
    smo_plan_cache *c = smo_plan_cache_create(pool, 16, 4096);
    apr_pool_t *p;
    const smo_plan *got;
    char insert[] = "<meta property=\"og:title\" content=\"x\">";

    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(smo_plan_cache_get(c, pool, "k1", 2));
    ck_assert_int_eq(smo_plan_cache_put(c, "k1", 2, plan_of(insert, 40)), 1);
    /* the cache keeps its own copy */
    memset(insert, 'z', sizeof(insert) - 1);

    apr_pool_create(&p, pool);
    got = smo_plan_cache_get(c, p, "k1", 2);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(got->n_ops, 3);
    ck_assert_int_eq(got->ops[0].kind, SMO_PLAN_PASS);
    ck_assert_uint_eq(got->ops[0].upto, 40);
    ck_assert_int_eq(got->ops[1].kind, SMO_PLAN_INSERT);
    ck_assert_uint_eq(got->ops[1].len, strlen(insert));
    ck_assert_int_eq(memcmp(got->ops[1].bytes,
                            "<meta property=\"og:title\" content=\"x\">",
                            got->ops[1].len), 0);
    ck_assert_uint_eq(got->ops[2].upto, 45);
    ck_assert_int_eq(smo_plan_growth(got), (int64_t)strlen(insert) - 5);
    ck_assert_uint_eq(smo_plan_end(got), 45);

    /* another key, a key that is a prefix, a longer key: misses */
    ck_assert_ptr_null(smo_plan_cache_get(c, p, "k2", 2));
    ck_assert_ptr_null(smo_plan_cache_get(c, p, "k", 1));
    ck_assert_ptr_null(smo_plan_cache_get(c, p, "k1x", 3));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(cache_slot_replaced_and_size_limit)
{
    smo_plan_cache *c = smo_plan_cache_create(pool, 1, 128);
    apr_pool_t *p;
    const smo_plan *a;

    apr_pool_create(&p, pool);
    ck_assert_int_eq(smo_plan_cache_put(c, "a", 1, plan_of("A", 1)), 1);
    a = smo_plan_cache_get(c, p, "a", 1);
    ck_assert_ptr_nonnull(a);
    /* one slot: b replaces a; the copy handed out before stays valid */
    ck_assert_int_eq(smo_plan_cache_put(c, "b", 1, plan_of("B", 2)), 1);
    ck_assert_ptr_null(smo_plan_cache_get(c, p, "a", 1));
    ck_assert_ptr_nonnull(smo_plan_cache_get(c, p, "b", 1));
    ck_assert_int_eq(a->ops[1].bytes[0], 'A');
    /* larger than the limit: not kept, and b stays */
    ck_assert_int_eq(smo_plan_cache_put(c, "c", 1, plan_of(
        "0123456789012345678901234567890123456789012345678901234567890123"
        "0123456789012345678901234567890123456789012345678901234567890123",
        3)), 0);
    ck_assert_ptr_nonnull(smo_plan_cache_get(c, p, "b", 1));
    ck_assert_ptr_null(smo_plan_cache_create(pool, 0, 128));
    apr_pool_destroy(p);
}
END_TEST

/* Threads of one process share the cache (worker and event MPMs). */
typedef struct {
    smo_plan_cache *cache;
    int id, errors;
} worker;

static void *APR_THREAD_FUNC hammer(apr_thread_t *th, void *data)
{
    worker *w = data;
    apr_pool_t *p;
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    for (int i = 0; i < 2000; i++) {
        char key[32], ins[32];
        const smo_plan *got;
        int k = (i * 7 + w->id) % 24;
        apr_snprintf(key, sizeof(key), "key-%d", k);
        apr_snprintf(ins, sizeof(ins), "<insert %d>", k);
        if (i % 3 == 0) {
            smo_plan plan;
            smo_plan_op ops[2] = {
                { SMO_PLAN_PASS, (uint64_t)k, NULL, 0 },
                { SMO_PLAN_INSERT, 0, ins, strlen(ins) },
            };
            plan.ops = ops;
            plan.n_ops = 2;
            smo_plan_cache_put(w->cache, key, strlen(key), &plan);
        }
        got = smo_plan_cache_get(w->cache, p, key, strlen(key));
        /* a hit is always the plan of that key, never a mix */
        if (got && (got->n_ops != 2 || got->ops[0].upto != (uint64_t)k ||
                    got->ops[1].len != strlen(ins) ||
                    memcmp(got->ops[1].bytes, ins, strlen(ins))))
            w->errors++;
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    (void)th;
    return NULL;
}

START_TEST(cache_shared_by_threads)
{
    smo_plan_cache *c = smo_plan_cache_create(pool, 7, 4096);
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].cache = c;
        w[i].id = i;
        w[i].errors = 0;
    }
    tk_run_threads(4, hammer, w, sizeof w[0]);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(w[i].errors, 0);
}
END_TEST

/* ---- the configuration key ---------------------------------------------- */

static const char *key_of(const smo_engine_config *c)
{
    size_t len;
    const char *k = smo_engine_config_key(pool, c, &len);
    return apr_pstrmemdup(pool, k, len);
}

START_TEST(config_key_tells_settings_apart)
{
    smo_engine_config base = config(1, 0), c;
    smo_meta_config *m;
    smo_share_config *s;
    const char *k0 = key_of(&base);
    const smo_selector *sel;
    smo_share_where where;
    const char *keys[32];
    int n = 0;

    ck_assert_str_eq(key_of(&base), k0);
    ck_assert_str_eq(key_of(&(smo_engine_config){ .head_limit = 0 }),
                     key_of(&(smo_engine_config){ .head_limit = 0 }));

#define VARY(stmt)                                                           \
    do {                                                                     \
        c = config(1, 0);                                                    \
        m = (smo_meta_config *)c.meta;                                       \
        s = (smo_share_config *)c.share;                                     \
        stmt;                                                                \
        keys[n++] = key_of(&c);                                              \
    } while (0)

    VARY(c.head_limit = 1024);
    VARY(c.xhtml = 1);
    VARY(c.canonical_url = "https://example.com/");
    VARY(m->override = 1);
    VARY(m->auto_meta = 0);
    VARY(m->canonical = 0);
    VARY(m->canonical_url = "https://example.com/tea?id=2");
    VARY(m->page_url = "https://example.com/coffee");
    VARY(APR_ARRAY_PUSH((apr_array_header_t *)m->strip_globs,
                        const char *) = "utm_*");
    VARY(m->http_charset = "utf-8");
    VARY(m->xhtml = 1);
    VARY(((smo_meta_prop *)m->props->elts)[0].value = "Tea and Co");
    VARY(((smo_meta_prop *)m->props->elts)[0].name = "og:title");
    VARY(c.share = NULL);
    VARY(s->track_clicks = 1);
    VARY(s->click_url = "/go");
    VARY(s->block_template = "<div>{links}</div>");
    VARY(APR_ARRAY_IDX((apr_array_header_t *)s->networks, 1,
                       const smo_network *) =
             smo_share_builtin(pool, "reddit", NULL));
    VARY(c.share_at = SMO_SHARE_AT_MARKER);
    VARY(c.share_style = "/smo.css");
    ck_assert_ptr_null(smo_share_parse_at(pool, "after nav.main", &where, &sel));
    VARY((c.share_at = where, c.share_sel = sel));
    ck_assert_ptr_null(smo_share_parse_at(pool, "after nav.other", &where, &sel));
    VARY((c.share_at = where, c.share_sel = sel));
    /* one field's bytes moved into its neighbour read differently */
    VARY((m->canonical_url = "https://example.com/tea?id=1https://example.com/tea",
          m->page_url = ""));
#undef VARY

    for (int i = 0; i < n; i++) {
        ck_assert_msg(strcmp(keys[i], k0) != 0, "change %d not in the key", i);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(keys[i], keys[j]) != 0,
                          "changes %d and %d give one key", j, i);
    }
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("record and replay");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_loop_test(tc, replay_gives_the_engine_output, 0, 20);
    tcase_add_test(tc, plan_says_what_changed);
    tcase_add_test(tc, recording_past_its_limit_is_dropped);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, cache_round_trip);
    tcase_add_test(tc, cache_slot_replaced_and_size_limit);
    tcase_add_test(tc, cache_shared_by_threads);
    tcase_add_test(tc, config_key_tells_settings_apart);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { plan_suite, 0, NULL };
