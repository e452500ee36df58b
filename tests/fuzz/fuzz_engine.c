/* fuzz_engine.c — libFuzzer harness for the SMO engine (tokenizer, tree
 * simulation, rewriter, metadata and share rules), SPEC section 2.
 *
 * Input: byte 0 and byte 1 choose the configuration, the rest is the
 * document.
 *   byte 0: bits 0-1 head limit (0,1: default 256 KiB; 2: 64 bytes;
 *           3: 0, never hold), bit 2 tail limit 48 bytes instead of the
 *           default, bit 3 xhtml, bit 4 SMOCanonical, bit 5 two SMOMeta
 *           properties, bit 6 SMOMetaPolicy override, bit 7 SMOAutoMeta.
 *   byte 1: bits 0-2 share block (none, body-end, marker, body-start,
 *           "after nav.main", "before #x", "append [data-share]",
 *           "prepend main"), bit 3 SMOShareStyle, bit 4 SMOTrackClicks,
 *           bit 5 FLUSH after some chunks, bits 6-7 chunking (mostly
 *           tiny, one byte each, up to 400 bytes, two pieces).
 * Chunk sizes and FLUSH points come from a PRNG seeded with the whole
 * input, so a crash replays exactly.
 *
 * The sink behaves as mod_smo's filter does: it keeps a copy of the bytes
 * fed and not yet passed (each chunk buffer is scribbled over and freed
 * right after smo_engine_feed, as a bucket may be), and builds the output
 * from them.  Checked inside the harness (abort on violation):
 *   - the sink is told to pass or drop only bytes already fed, in order,
 *     and everything by smo_engine_finish;
 *   - held bytes stay under head limit + tail limit + one chunk;
 *   - output minus insertions == input minus removals;
 *   - removals happen only with a metadata rule configured and are whole
 *     <meta>/<link> tags; under `keep` only empty declarations;
 *   - nothing configured: output == input;
 *   - inserted bytes are printable ASCII (SPEC 3), and well-formed XML
 *     in xhtml mode;
 *   - without FLUSH (and limits the document cannot reach), the output
 *     is the same as for the document fed in one chunk.
 *
 * Build and run: scripts/fuzz.sh (or `make fuzz`). */
#include <strings.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <libxml/parser.h>

#include "smo_cardsign.h"
#include "smo_engine.h"
#include "smo_escape.h"
#include "fuzz_util.h"

#define DEFAULT_HEAD (256 * 1024)
#define SMALL_TAIL 48
#define MAX_EDITS 4096

static apr_pool_t *root;

typedef struct {
    uint64_t start, end;
} range;

typedef struct {
    const uint8_t *in;
    size_t len;
    uint64_t fed, pos;
    char *held;               /* held[i]: input byte i, while fed, not passed */
    char *out;
    size_t out_len;
    size_t ins_off[MAX_EDITS], ins_len[MAX_EDITS];
    size_t n_ins;
    range rem[MAX_EDITS];
    size_t n_rem;
    int xhtml;
    int flushed;
} run;

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static int r_pass(void *ctx, uint64_t upto)
{
    run *r = ctx;
    FUZZ_CHECK(upto >= r->pos && upto <= r->fed,
               "pass to %llu: passed %llu, fed %llu",
               (unsigned long long)upto, (unsigned long long)r->pos,
               (unsigned long long)r->fed);
    memcpy(r->out + r->out_len, r->held + r->pos, upto - r->pos);
    memset(r->held + r->pos, '#', upto - r->pos); /* gone from the caller */
    r->out_len += upto - r->pos;
    r->pos = upto;
    return 0;
}

static int r_drop(void *ctx, uint64_t upto)
{
    run *r = ctx;
    FUZZ_CHECK(upto > r->pos && upto <= r->fed,
               "drop to %llu: passed %llu, fed %llu",
               (unsigned long long)upto, (unsigned long long)r->pos,
               (unsigned long long)r->fed);
    /* A removal may come in pieces; adjacent removed tags merge here and
     * are split again by the tokenizer in check_removal(). */
    if (r->n_rem && r->rem[r->n_rem - 1].end == r->pos)
        r->rem[r->n_rem - 1].end = upto;
    else {
        FUZZ_CHECK(r->n_rem < MAX_EDITS, "too many removals");
        r->rem[r->n_rem].start = r->pos;
        r->rem[r->n_rem++].end = upto;
    }
    memset(r->held + r->pos, '#', upto - r->pos);
    r->pos = upto;
    return 0;
}

static void check_xml(const char *bytes, size_t len)
{
    size_t n = len + 7;
    char *doc = malloc(n + 1);
    xmlDocPtr d;
    if (!doc)
        abort();
    memcpy(doc, "<r>", 3);
    memcpy(doc + 3, bytes, len);
    memcpy(doc + 3 + len, "</r>", 5);
    d = xmlReadMemory(doc, (int)n, "insert.xml", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                          XML_PARSE_NOWARNING);
    FUZZ_CHECK(d != NULL, "xhtml insertion is not well-formed XML: %.*s",
               (int)len, bytes);
    xmlFreeDoc(d);
    free(doc);
}

static int r_insert(void *ctx, const char *bytes, size_t len)
{
    run *r = ctx;
    FUZZ_CHECK(r->n_ins < MAX_EDITS, "too many insertions");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        FUZZ_CHECK(c < 0x7f && (c >= 0x20 || c == '\n' || c == '\t' ||
                                c == '\r'),
                   "inserted byte 0x%02x at %zu of: %.*s", c, i, (int)len,
                   bytes);
    }
    if (r->xhtml)
        check_xml(bytes, len);
    r->out = realloc(r->out, r->out_len + len + r->len + 1);
    if (!r->out)
        abort();
    memcpy(r->out + r->out_len, bytes, len);
    r->ins_off[r->n_ins] = r->out_len;
    r->ins_len[r->n_ins++] = len;
    r->out_len += len;
    return 0;
}

static const smo_sink sink = { r_pass, r_drop, r_insert };

/* ---- removals ---------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *bytes;
    int override;
    int n_tags;
} rem_ctx;

static int blank_value(apr_pool_t *p, const smo_token *t, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < t->n_attrs; i++) {
        const smo_attr *a = &t->attrs[i];
        if (a->name_len == n && !strncasecmp(t->raw + a->name_off, name, n)) {
            const char *v = smo_html_decode(p, t->raw + a->value_off,
                                            a->value_len, 1);
            return v[strspn(v, " \t\n\f\r")] == '\0';
        }
    }
    return 1; /* absent */
}

static int starts_ci(apr_pool_t *p, const smo_token *t, const char *attr,
                     const char *prefix)
{
    size_t n = strlen(attr);
    for (size_t i = 0; i < t->n_attrs; i++) {
        const smo_attr *a = &t->attrs[i];
        if (a->name_len == n && !strncasecmp(t->raw + a->name_off, attr, n)) {
            const char *v = smo_html_decode(p, t->raw + a->value_off,
                                            a->value_len, 1);
            return !strncasecmp(v, prefix, strlen(prefix));
        }
    }
    return 0;
}

static int on_removed_token(void *ctx, const smo_token *t)
{
    rem_ctx *c = ctx;
    FUZZ_CHECK(t->type == SMO_TOKEN_START_TAG &&
                   (!strcmp(t->name, "meta") || !strcmp(t->name, "link")) &&
                   t->raw && t->raw[0] == '<' && t->raw[t->raw_len - 1] == '>',
               "removed bytes are not whole <meta>/<link> tags: %s",
               c->bytes);
    if (!c->override) {
        /* keep: only an empty declaration is replaced (SPEC 3, 6). */
        int empty = !strcmp(t->name, "link")
                        ? blank_value(c->p, t, "href")
                        : blank_value(c->p, t, "content") &&
                              (blank_value(c->p, t, "value") ||
                               !(starts_ci(c->p, t, "name", "twitter:") ||
                                 starts_ci(c->p, t, "property", "twitter:")));
        FUZZ_CHECK(empty, "SMOMetaPolicy keep removed a declaration with a "
                   "value: %.*s", (int)t->raw_len, t->raw);
    }
    c->n_tags++;
    return 0;
}

static void check_removal(apr_pool_t *p, const run *r, const range *rg,
                          int override)
{
    size_t n = (size_t)(rg->end - rg->start);
    rem_ctx c = { p, apr_pstrmemdup(p, (const char *)r->in + rg->start, n),
                  override, 0 };
    smo_tokenizer *t = smo_tokenizer_create(p, n + 1, on_removed_token, &c);
    FUZZ_CHECK(c.bytes[0] == '<' && c.bytes[n - 1] == '>',
               "removed range [%llu,%llu) is not a tag: %s",
               (unsigned long long)rg->start, (unsigned long long)rg->end,
               c.bytes);
    smo_tokenizer_feed(t, c.bytes, n, 1);
    FUZZ_CHECK(c.n_tags > 0, "removed range holds no tag: %s", c.bytes);
}

/* ---- running ----------------------------------------------------------- */

static void run_engine(apr_pool_t *p, const smo_engine_config *cfg,
                       const uint8_t *doc, size_t len, int chunking,
                       int flush_ok, uint64_t seed, run *r)
{
    smo_engine *e;
    size_t at = 0;
    size_t bound;

    memset(r, 0, sizeof *r);
    r->in = doc;
    r->len = len;
    r->xhtml = cfg->xhtml;
    r->held = malloc(len + 1);
    r->out = malloc(len + 1);
    if (!r->held || !r->out)
        abort();
    e = smo_engine_create(p, cfg, &sink, r);
    FUZZ_CHECK(e != NULL, "smo_engine_create failed");
    bound = cfg->head_limit +
            (cfg->tail_limit ? cfg->tail_limit : SMO_TAIL_LIMIT_DEFAULT);
    while (at < len) {
        size_t step;
        char *chunk;
        switch (chunking) {
        case 0: /* mostly tiny: tokens straddle boundaries everywhere */
            step = fuzz_rnd(&seed) % 4 ? 1 + fuzz_rnd(&seed) % 12
                                       : 1 + fuzz_rnd(&seed) % 200;
            break;
        case 1:
            step = 1;
            break;
        case 2:
            step = 1 + fuzz_rnd(&seed) % 400;
            break;
        default: /* whole, or two pieces */
            step = at ? len - at : fuzz_rnd(&seed) % (len + 1);
            if (!step)
                step = len;
            break;
        }
        if (step > len - at)
            step = len - at;
        chunk = malloc(step);
        if (!chunk)
            abort();
        memcpy(chunk, doc + at, step);
        memcpy(r->held + at, doc + at, step);
        r->fed += step;
        FUZZ_CHECK(smo_engine_feed(e, chunk, step) == 0, "feed failed");
        memset(chunk, 'Z', step); /* the engine must not keep the buffer */
        free(chunk);
        FUZZ_CHECK(r->fed - r->pos <= bound + step,
                   "holds %llu bytes (limits %zu, chunk %zu)",
                   (unsigned long long)(r->fed - r->pos), bound, step);
        at += step;
        if (flush_ok && fuzz_rnd(&seed) % 8 == 0) {
            FUZZ_CHECK(smo_engine_flush(e) == 0, "flush failed");
            r->flushed = 1;
        }
    }
    FUZZ_CHECK(smo_engine_finish(e) == 0, "finish failed");
    FUZZ_CHECK(r->pos == len, "finish passed %llu of %zu bytes",
               (unsigned long long)r->pos, len);
}

static void run_free(run *r)
{
    free(r->held);
    free(r->out);
}

/* Output minus insertions must be input minus removals. */
static void check_preserved(const run *r)
{
    size_t o = 0, i = 0, ins = 0, rem = 0;
    while (i < r->len || o < r->out_len) {
        if (ins < r->n_ins && r->ins_off[ins] == o) {
            o += r->ins_len[ins++];
            continue;
        }
        if (rem < r->n_rem && r->rem[rem].start == i) {
            i = (size_t)r->rem[rem++].end;
            continue;
        }
        FUZZ_CHECK(i < r->len && o < r->out_len &&
                       r->out[o] == (char)r->in[i],
                   "output byte %zu differs from input byte %zu", o, i);
        i++, o++;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, silent);
    return 0;
}

/* SMOImageInfo's answer, made up: every image of www.example.com is a
 * 1200x630 PNG but those under /gone/, which are missing; other hosts
 * are remote. */
static int fake_facts(void *ctx, const char *url, smo_meta_image *out)
{
    (void)ctx;
    if (strncmp(url, "https://www.example.com/", 24) != 0)
        return -1;
    if (strstr(url, "/gone/"))
        return 0;
    out->width = 1200;
    out->height = 630;
    out->type = "image/png";
    return 1;
}

/* SMOCard: a real signed URL for what the page shows.  Whatever the page,
 * the URL the filter writes must verify and give back the same texts. */
static const char *fake_card(void *ctx, const char *title, const char *site)
{
    static const smo_card_signer sg = {
        (const unsigned char *)"fuzz key of thirty-two bytes....", 32, "look"
    };
    apr_pool_t *p = ctx;
    smo_card_text t, got;
    const char *url, *q, *id;

    if (!title)
        return NULL;
    t.title = smo_card_cut(p, title, SMO_CARD_TEXT_MAX);
    t.site = smo_card_cut(p, site, SMO_CARD_SITE_MAX);
    t.host = "www.example.com";
    if (!*t.title)
        return NULL;
    url = smo_card_url(p, &sg, "/smo/card", &t);
    q = strchr(url, '?');
    if (!q || smo_card_verify(p, &sg, apr_pstrndup(p, url + 9, (size_t)(q - url - 9)),
                              q + 1, &got, &id) ||
        strcmp(got.title, t.title) || strcmp(got.site, t.site) ||
        strcmp(got.host, t.host)) {
        fprintf(stderr, "card URL does not verify: %s\n", url);
        abort();
    }
    return url;
}

static const char *const share_at[] = {
    NULL, "body-end", "marker", "body-start", "after nav.main", "before #x",
    "append [data-share]", "prepend main"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    smo_engine_config cfg;
    smo_meta_config mc;
    smo_share_config sc;
    apr_array_header_t *props, *nets, *globs;
    uint8_t c0, c1;
    const uint8_t *doc;
    size_t len;
    int configured, chunking, flush_ok;
    uint64_t seed;
    run r;

    if (size < 2)
        return 0;
    c0 = data[0];
    c1 = data[1];
    doc = data + 2;
    len = size - 2;
    seed = fuzz_seed(data, size);
    apr_pool_create(&p, root);

    memset(&cfg, 0, sizeof cfg);
    cfg.head_limit = (c0 & 3) == 2 ? 64 : (c0 & 3) == 3 ? 0 : DEFAULT_HEAD;
    cfg.tail_limit = (c0 & 4) ? SMALL_TAIL : SMO_TAIL_LIMIT_DEFAULT;
    cfg.xhtml = !!(c0 & 8);

    globs = apr_array_make(p, 4, sizeof(const char *));
    APR_ARRAY_PUSH(globs, const char *) = "utm_*";
    APR_ARRAY_PUSH(globs, const char *) = "fbclid";
    props = apr_array_make(p, 2, sizeof(smo_meta_prop));
    if (c0 & 32) {
        smo_meta_prop *mp = apr_array_push(props);
        mp->name = "og:image";
        mp->value = "/img/caf\xc3\xa9 \"1\".png?utm_source=x&s=2";
        mp = apr_array_push(props);
        mp->name = "twitter:site";
        mp->value = "@ex<am>ple & \xe2\x80\x94";
    }
    memset(&mc, 0, sizeof mc);
    mc.props = props;
    mc.override = !!(c0 & 64);
    mc.auto_meta = !!(c0 & 128);
    mc.canonical = !!(c0 & 16);
    mc.canonical_url = "https://www.example.com/a/page?x=1";
    mc.page_url = "https://www.example.com/a/page";
    mc.strip_globs = globs;
    mc.xhtml = cfg.xhtml;
    mc.image_facts = (seed & 1) ? fake_facts : NULL;
    if (seed & 4) {
        mc.card_url = fake_card;
        mc.card_ctx = p;
        mc.card_key = "fuzz";
    }
    if (mc.canonical || mc.auto_meta || props->nelts)
        cfg.meta = &mc;
    else
        cfg.canonical_url = NULL;

    memset(&sc, 0, sizeof sc);
    if (c1 & 7) {
        const char *err;
        nets = apr_array_make(p, 2, sizeof(const smo_network *));
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(p, "x", NULL);
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(p, "facebook", NULL);
        sc.networks = nets;
        sc.track_clicks = !!(c1 & 16);
        sc.utm = (seed & 2) ? SMO_SHARE_UTM_ON : NULL;
        sc.xhtml = cfg.xhtml;
        cfg.share = &sc;
        err = smo_share_parse_at(p, share_at[c1 & 7], &cfg.share_at,
                                 &cfg.share_sel);
        FUZZ_CHECK(err == NULL, "SMOShareAt %s: %s", share_at[c1 & 7], err);
        if (c1 & 8)
            cfg.share_style = "/css/smo share.css?v=\"2\"";
    }
    configured = cfg.meta || cfg.share;
    chunking = c1 >> 6;
    flush_ok = !!(c1 & 32);

    run_engine(p, &cfg, doc, len, chunking, flush_ok, seed, &r);
    check_preserved(&r);
    if (!configured)
        FUZZ_CHECK(r.n_ins == 0 && r.n_rem == 0,
                   "nothing configured, yet %zu insertions, %zu removals",
                   r.n_ins, r.n_rem);
    FUZZ_CHECK(r.n_rem == 0 || cfg.meta, "removal without a metadata rule");
    for (size_t i = 0; i < r.n_rem; i++)
        check_removal(p, &r, &r.rem[i], mc.override);

    /* Chunking must not matter unless a limit or a FLUSH made the engine
     * let go of the head (then insert-only placement differs by design). */
    if (!r.flushed && cfg.head_limit == DEFAULT_HEAD &&
        cfg.tail_limit == SMO_TAIL_LIMIT_DEFAULT && len < DEFAULT_HEAD &&
        chunking != 3) {
        run whole;
        apr_pool_t *p2;
        apr_pool_create(&p2, root);
        run_engine(p2, &cfg, doc, len, 3, 0, 0 /* one chunk */, &whole);
        if (whole.out_len != r.out_len || memcmp(whole.out, r.out, r.out_len)) {
            fuzz_dump("input", doc, len);
            fuzz_dump("chunked output", r.out, r.out_len);
            fuzz_dump("one-chunk output", whole.out, whole.out_len);
            FUZZ_CHECK(0, "chunked output differs from one-chunk output");
        }
        run_free(&whole);
        apr_pool_destroy(p2);
    }
    run_free(&r);
    apr_pool_destroy(p);
    return 0;
}
