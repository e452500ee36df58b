/* bench_engine.c — engine throughput over a corpus of real pages, beside
 * memchr+memcpy of the same bytes and libxml2's HTML push parser with
 * empty SAX callbacks, in one run.
 *
 *   bench_engine DIR [ROUNDS [ONLY]]
 *
 * ONLY (a row number, 1-based) runs that measurement alone, for profiling
 * it with perf or callgrind.
 * Every file of DIR is loaded into memory first; each page is then fed in
 * 8 KiB chunks (the size of Apache's file buckets) to a fresh engine, whose
 * sink copies the output to a buffer, as a fair "full job".  Prints one
 * Markdown table row per measurement (median of ROUNDS rounds).
 *
 * Engine rows: the canonical link alone; metadata (the configuration of
 * the end-to-end benchmark: two SMOMeta values, everything else derived);
 * and the full job, metadata plus a share block at the end of the body,
 * which keeps the engine tokenizing to the last byte.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <libxml/HTMLparser.h>

#include "smo_engine.h"
#include "smo_tokenizer.h"

#define CHUNK 8192

typedef struct {
    char *data;
    size_t len;
} page;

static page *pages;
static size_t n_pages, total;
static char *outbuf;
static size_t outcap;

static void load(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;
    if (!d) {
        perror(dir);
        exit(2);
    }
    while ((de = readdir(d))) {
        char path[4096];
        FILE *f;
        long n;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (!(f = fopen(path, "rb")))
            continue;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        if (n <= 0) {
            fclose(f);
            continue;
        }
        if (n_pages == cap) {
            cap = cap ? cap * 2 : 256;
            pages = realloc(pages, cap * sizeof(*pages));
        }
        pages[n_pages].data = malloc((size_t)n);
        pages[n_pages].len = fread(pages[n_pages].data, 1, (size_t)n, f);
        total += pages[n_pages].len;
        /* Room for what the engine inserts (head markup, share block). */
        if (pages[n_pages].len + 65536 > outcap)
            outcap = pages[n_pages].len + 65536;
        n_pages++;
        fclose(f);
    }
    closedir(d);
    outbuf = malloc(outcap);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- memchr + memcpy: the floor of any scanner that copies its output */

static size_t sink_hint;

static void run_memchr(void)
{
    for (size_t i = 0; i < n_pages; i++) {
        const char *p = pages[i].data, *end = p + pages[i].len;
        char *o = outbuf;
        while (p < end) {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            const char *stop = lt ? lt + 1 : end;
            memcpy(o, p, (size_t)(stop - p));
            o += stop - p;
            p = stop;
        }
        sink_hint += (size_t)(o - outbuf);
    }
}

/* ---- libxml2's HTML push parser, empty SAX callbacks ---------------- */

static void run_libxml2(void)
{
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof(sax));
    for (size_t i = 0; i < n_pages; i++) {
        htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(
            &sax, NULL, NULL, 0, NULL, XML_CHAR_ENCODING_NONE);
        htmlCtxtUseOptions(ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                     HTML_PARSE_NONET);
        for (size_t o = 0; o < pages[i].len; o += CHUNK) {
            size_t n = pages[i].len - o < CHUNK ? pages[i].len - o : CHUNK;
            htmlParseChunk(ctxt, pages[i].data + o, (int)n, 0);
        }
        htmlParseChunk(ctxt, NULL, 0, 1);
        htmlFreeParserCtxt(ctxt);
    }
}

/* ---- the engine, with a sink that copies the output ----------------- */

typedef struct {
    const char *in;
    uint64_t pos;
    char *out;
} copy_sink;

static int s_pass(void *c, uint64_t upto)
{
    copy_sink *s = c;
    memcpy(s->out, s->in + s->pos, (size_t)(upto - s->pos));
    s->out += upto - s->pos;
    s->pos = upto;
    return 0;
}

static int s_drop(void *c, uint64_t upto)
{
    ((copy_sink *)c)->pos = upto;
    return 0;
}

static int s_insert(void *c, const char *b, size_t n)
{
    copy_sink *s = c;
    memcpy(s->out, b, n);
    s->out += n;
    return 0;
}

static const smo_sink sink = {s_pass, s_drop, s_insert};
static apr_pool_t *root;

static smo_engine_config canonical_cfg, meta_cfg, full_cfg;

static void setup_configs(void)
{
    static const char *const nets[] = {"x", "facebook", "linkedin"};
    static smo_meta_config meta;
    static smo_share_config share;
    apr_array_header_t *props = apr_array_make(root, 2, sizeof(smo_meta_prop));
    apr_array_header_t *globs = apr_array_make(root, 2, sizeof(const char *));
    apr_array_header_t *networks =
        apr_array_make(root, 3, sizeof(const smo_network *));
    smo_meta_prop *mp;

    memset(&canonical_cfg, 0, sizeof(canonical_cfg));
    canonical_cfg.head_limit = 256 * 1024;
    canonical_cfg.canonical_url = "https://www.example.com/articles/tea?id=1";

    mp = apr_array_push(props);
    mp->name = "og:site_name";
    mp->value = "Example News";
    mp = apr_array_push(props);
    mp->name = "og:image";
    mp->value = "/img/share.png";
    APR_ARRAY_PUSH(globs, const char *) = "utm_*";
    APR_ARRAY_PUSH(globs, const char *) = "fbclid";
    memset(&meta, 0, sizeof(meta));
    meta.props = props;
    meta.auto_meta = 1;
    meta.canonical = 1;
    meta.canonical_url = canonical_cfg.canonical_url;
    meta.page_url = "https://www.example.com/articles/tea";
    meta.strip_globs = globs;
    meta.http_charset = NULL;
    meta_cfg = canonical_cfg;
    meta_cfg.canonical_url = NULL;
    meta_cfg.meta = &meta;

    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
        const smo_network *n = smo_share_builtin(root, nets[i], NULL);
        if (!n) {
            fprintf(stderr, "bench_engine: no built-in network %s\n", nets[i]);
            exit(2);
        }
        APR_ARRAY_PUSH(networks, const smo_network *) = n;
    }
    memset(&share, 0, sizeof(share));
    share.networks = networks;
    full_cfg = meta_cfg;
    full_cfg.share = &share;
    full_cfg.share_at = SMO_SHARE_AT_BODY_END;
}

static void run_engine_with(const smo_engine_config *cfg)
{
    for (size_t i = 0; i < n_pages; i++) {
        apr_pool_t *p;
        copy_sink s = {pages[i].data, 0, outbuf};
        smo_engine *e;
        apr_pool_create(&p, root);
        e = smo_engine_create(p, cfg, &sink, &s);
        for (size_t o = 0; o < pages[i].len; o += CHUNK) {
            size_t n = pages[i].len - o < CHUNK ? pages[i].len - o : CHUNK;
            smo_engine_feed(e, pages[i].data + o, n);
        }
        smo_engine_finish(e);
        if ((size_t)(s.out - outbuf) > outcap) {
            fprintf(stderr, "bench_engine: output buffer overrun\n");
            exit(2);
        }
        sink_hint += (size_t)(s.out - outbuf);
        apr_pool_destroy(p);
    }
}

/* How many pages the engine really changed: grown by the metadata, and
 * holding a share block, so that the MB/s are for work actually done. */
static size_t run_once(size_t i, const smo_engine_config *cfg)
{
    apr_pool_t *p;
    copy_sink s = {pages[i].data, 0, outbuf};
    smo_engine *e;
    apr_pool_create(&p, root);
    e = smo_engine_create(p, cfg, &sink, &s);
    smo_engine_feed(e, pages[i].data, pages[i].len);
    smo_engine_finish(e);
    apr_pool_destroy(p);
    return (size_t)(s.out - outbuf);
}

static void check_full(size_t *with_meta, size_t *with_share)
{
    *with_meta = *with_share = 0;
    for (size_t i = 0; i < n_pages; i++) {
        size_t n;
        *with_meta += run_once(i, &meta_cfg) > pages[i].len;
        n = run_once(i, &full_cfg);
        *with_share += memmem(outbuf, n, "class=\"smo-share\"", 17) != NULL;
    }
}

static void run_engine(void) { run_engine_with(&canonical_cfg); }
static void run_engine_meta(void) { run_engine_with(&meta_cfg); }
static void run_engine_full(void) { run_engine_with(&full_cfg); }

/* ---- the tokenizer alone over every byte (no early step-aside) ------ */

static int count_token(void *ctx, const smo_token *t)
{
    (*(size_t *)ctx) += t->type;
    return 0;
}

static void run_tokenizer(void)
{
    for (size_t i = 0; i < n_pages; i++) {
        apr_pool_t *p;
        smo_tokenizer *t;
        apr_pool_create(&p, root);
        t = smo_tokenizer_create(p, 0, count_token, &sink_hint);
        for (size_t o = 0; o < pages[i].len; o += CHUNK) {
            size_t n = pages[i].len - o < CHUNK ? pages[i].len - o : CHUNK;
            smo_tokenizer_feed(t, pages[i].data + o, n, 0);
        }
        smo_tokenizer_feed(t, NULL, 0, 1);
        apr_pool_destroy(p);
    }
}

typedef struct {
    const char *name;
    void (*fn)(void);
    double mbs[32];
} bench;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    bench b[] = {
        {"memchr+memcpy (floor)", run_memchr, {0}},
        {"libxml2 HTML push parser, empty SAX", run_libxml2, {0}},
        {"mod_smo engine, canonical link only (steps aside after the head)",
         run_engine, {0}},
        {"mod_smo engine, metadata (canonical, Open Graph, Twitter Card)",
         run_engine_meta, {0}},
        {"mod_smo engine, full job (metadata + share block at body end)",
         run_engine_full, {0}},
        {"mod_smo tokenizer alone, every byte", run_tokenizer, {0}},
    };
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    size_t nb = sizeof(b) / sizeof(b[0]), with_meta, with_share;
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [ROUNDS]\n", argv[0]);
        return 2;
    }
    if (rounds < 1 || rounds > 32)
        rounds = 5;
    apr_initialize();
    apr_pool_create(&root, NULL);
    xmlInitParser();
    setup_configs();
    load(argv[1]);
    if (!n_pages) {
        fprintf(stderr, "%s: no pages\n", argv[1]);
        return 2;
    }
    /* Alternate the measurements so that a noisy moment hits all alike. */
    if (argc > 3) {
        size_t k = (size_t)atoi(argv[3]) - 1;
        if (k >= nb) {
            fprintf(stderr, "bench_engine: ONLY is 1 to %zu\n", nb);
            return 2;
        }
        for (int r = 0; r < rounds; r++)
            b[k].fn();
        printf("%s: %d passes\n", b[k].name, rounds);
        return 0;
    }
    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < nb; k++) {
            int reps = 0;
            double t0 = now(), t;
            do {
                b[k].fn();
                reps++;
                t = now() - t0;
            } while (t < 0.5);
            b[k].mbs[r] = (double)total * reps / t / 1e6;
        }
    }
    check_full(&with_meta, &with_share);
    printf("Corpus: %zu pages, %.1f MB, fed in %d-byte chunks; median of %d "
           "rounds.  Full job: metadata inserted in %zu pages, share block "
           "in %zu.\n\n",
           n_pages, (double)total / 1e6, CHUNK, rounds, with_meta, with_share);
    printf("| measurement | MB/s | ratio to libxml2 | share of memchr+memcpy |\n");
    printf("|---|---:|---:|---:|\n");
    for (size_t k = 0; k < nb; k++)
        qsort(b[k].mbs, (size_t)rounds, sizeof(double), cmp);
    for (size_t k = 0; k < nb; k++) {
        double m = b[k].mbs[rounds / 2];
        printf("| %s | %.0f | %.1fx | %.2f |\n", b[k].name, m,
               m / b[1].mbs[rounds / 2], m / b[0].mbs[rounds / 2]);
    }
    return sink_hint == 42 ? 1 : 0; /* keep the work observable */
}
