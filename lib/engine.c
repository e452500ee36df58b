/* engine.c — the SMO engine: tokenizer + tree simulation + rewriter, and
 * the head rules.  SPEC sections 2 and 3: hold the head back (up to
 * head_limit) so the rules see the whole head, then insert what is missing
 * as early as is safe; without the hold (FLUSH, limit), insert before the
 * point where the head ends. */
#include <string.h>
#include <apr_strings.h>

#include "smo_ascii.h"
#include "smo_engine.h"
#include "smo_click.h"
#include "smo_escape.h"
#include "smo_tokenizer.h"
#include "smo_treesim.h"

/* Returned by the token callback when no rule is left: the tokenizer stops
 * and the rest of the stream goes as it is (an internal value, not an
 * error). */
#define STOP_DONE 0x534d4f

/* SPEC 3: a charset declaration counts for the early position only when
 * it lies within the first 1024 bytes (where browsers look for it). */
#define CHARSET_WINDOW 1024

/* How far the start of the body is looked at for bytes no text holds
 * before the first '<' (sniff()). */
#define SNIFF_MAX 512

struct smo_engine {
    apr_pool_t *pool;
    smo_engine_config cfg;
    smo_tokenizer *tok;
    smo_treesim *sim;
    smo_rewriter *rw;

    int holding;             /* holding back the head */
    int head_opened;
    uint64_t head_start;     /* first offset inside the head */
    int have_charset;
    uint64_t charset_end;    /* right after the charset declaration */
    int head_done;           /* head rules applied */
    /* The head ended implicitly (a <div>, text...) while held: the rules
     * wait for the declarations up to the literal </head> or <body>, which
     * crawlers still count (SPEC 6 "Declared"), and insert at the early
     * position, before late_end, where the tree builder ended the head. */
    int late;
    uint64_t late_end;
    apr_array_header_t *late_shares; /* blocks placed meanwhile (uint64_t) */
    int done;                /* nothing more can change */
    uint64_t passed_through; /* bytes fed after done, not tokenized */
    int bom_checked;         /* the first bytes were looked at */
    unsigned bom_len;        /* the start of a byte order mark, in bom_buf,
                              * came alone: held until the rest shows */
    char bom_buf[2];
    const char *gave_up;

    /* The start of the body up to its first '<', held (copied) until we
     * know it is text (sniff()). */
    int sniffed;
    char *sniff_buf;
    size_t sniff_len;
    /* ISO-2022 without a label: the offset of the first ESC '$' of the
     * head plus one (0: none yet); an ESC that ended the last chunk, not
     * yet fed (scan_esc()). */
    uint64_t esc_at;
    int esc_pending;
    int esc_scan;            /* no HTTP charset: the escape may count */

    smo_meta *meta;          /* the metadata rules; NULL: none */

    /* Share links. */
    int share_pending;       /* a block is still to be placed */
    const char *share_markup;
    unsigned share_count;
    unsigned markers_left;   /* markers past SMO_SHARE_MAX_MARKERS */
    unsigned sel_depth;      /* append/after: open elements of sel_name */
    char sel_name[SMO_TAG_NAME_MAX + 1];
    apr_pool_t *scratch;     /* selector matching, cleared per match */
};

static void elog(smo_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void elog(smo_engine *e, const char *fmt, ...)
{
    va_list ap;
    if (!e->cfg.log)
        return;
    va_start(ap, fmt);
    e->cfg.log(e->cfg.log_ctx, apr_pvsprintf(e->pool, fmt, ap));
    va_end(ap);
}

/* ---- facts from the head ------------------------------------------------ */

static void head_fact(smo_engine *e, const smo_token *t)
{
    const smo_attr *a;
    if (t->type != SMO_TOKEN_START_TAG || t->truncated)
        return;
    if (!strcmp(t->name, "meta")) {
        int charset = smo_find_attr(t, "charset") != NULL;
        if (!charset && (a = smo_find_attr(t, "http-equiv")) &&
            a->value_len == 12 &&
            smo_ascii_ci_eq_lower(t->raw + a->value_off, "content-type", 12))
            charset = 1;
        if (charset && !e->have_charset && t->end <= CHARSET_WINDOW) {
            e->have_charset = 1;
            e->charset_end = t->end;
        }
    }
}

/* ---- the head rules ----------------------------------------------------- */

static void give_up(smo_engine *e, const char *why);

/* Why the page's charset leaves no place for ASCII markup, or NULL.
 * Asked before anything is inserted: the charset is known by then (HTTP,
 * or the page's meta, which must lie within the first 1024 bytes), and so
 * is every ESC '$' of the head, the escape that opens a double-byte run in
 * ISO-2022 (a browser detects the encoding from it when none is
 * declared). */
static const char *unwritable_charset(smo_engine *e, uint64_t head_end)
{
    const char *cs = e->meta ? smo_meta_charset(e->meta) : NULL;

    if (cs && smo_charset_unwritable(cs))
        return apr_psprintf(e->pool, "the page's charset is %s (stateful "
                            "or not ASCII-compatible): left untouched", cs);
    if (!cs && e->esc_at && e->esc_at - 1 <= head_end)
        return "an ISO-2022 escape (ESC $) in the head and no charset "
               "declared: left untouched";
    return NULL;
}

/* `open_end`: the head ends with the stream, inside a construct (see
 * open_at_end()) where markup written at the end would not be markup. */
static int apply_head_rules(smo_engine *e, uint64_t head_end, int open_end)
{
    uint64_t at, image_at = 0, held_from = smo_rewriter_released(e->rw);
    apr_array_header_t *removals;
    const char *markup, *image, *why;
    int fallback, rv;

    e->head_done = 1;
    if ((why = unwritable_charset(e, head_end)) != NULL) {
        give_up(e, why);
        return 0;
    }
    /* share_count: a block placed while the rules waited (e->late). */
    if (!e->meta && !e->share_pending && !e->share_count)
        return 0;
    /* As early as is safe; what has already gone out cannot be changed. */
    at = e->have_charset ? e->charset_end : e->head_start;
    fallback = at < held_from || at > head_end;
    if (fallback && open_end) {
        elog(e, "the page ends inside an unclosed tag, comment, script, "
                "title or template in a head that was not held back: "
                "no metadata");
        return 0;
    }
    removals = apr_array_make(e->pool, 4, sizeof(smo_span));
    markup = e->meta ? smo_meta_markup(e->meta, held_from, removals) : NULL;
    if ((e->share_pending || e->share_count) && e->cfg.share_style) {
        const char *href = smo_escape_attr(e->pool, e->cfg.share_style,
                                           strlen(e->cfg.share_style));
        markup = apr_pstrcat(e->pool, markup ? markup : "",
                             "<link rel=\"stylesheet\" href=\"", href, "\"",
                             e->cfg.xhtml ? " />" : ">", "\n", NULL);
    }
    for (int i = 0; i < removals->nelts; i++) {
        const smo_span *sp = &APR_ARRAY_IDX(removals, i, smo_span);
        if ((rv = smo_rewriter_remove(e->rw, sp->start, sp->end)) != 0)
            return rv;
    }
    if (fallback)
        at = head_end;
    image = e->meta ? smo_meta_image_markup(e->meta, &image_at) : NULL;
    if (image) {
        /* Right after the page's own og:image; once that has gone out,
         * where the rest goes, which is after it too. */
        if (image_at < held_from)
            image_at = at;
    }
    if (!markup && !image) {
        elog(e, "the page declares everything: nothing inserted");
        return 0;
    }
    if (fallback)
        elog(e, "head was not held back: inserting where the head ends");
    if (markup && (rv = smo_rewriter_insert(e->rw, at, markup,
                                            strlen(markup))) != 0)
        return rv;
    return image ? smo_rewriter_insert(e->rw, image_at, image, strlen(image))
                 : 0;
}

/* ---- token stream ------------------------------------------------------- */

static void give_up(smo_engine *e, const char *why)
{
    e->gave_up = why;
    e->head_done = 1; /* no rule runs any more: the rest passes untouched */
    e->share_pending = 0;
}

/* The literal end of the head region: </head> or <body> (or <frameset>,
 * which takes the body's place), as the tokenizer reads it. */
static int head_region_ends(const smo_engine *e, const smo_token *t)
{
    if (smo_treesim_in_template(e->sim))
        return 0;
    if (t->type == SMO_TOKEN_END_TAG)
        return !strcmp(t->name, "head");
    return t->type == SMO_TOKEN_START_TAG &&
           (!strcmp(t->name, "body") || !strcmp(t->name, "frameset"));
}

static int end_late(smo_engine *e);

static int head_token(smo_engine *e, const smo_token *t, int ev,
                      uint64_t split)
{
    if (e->late) {
        /* Past the head's implicit end: only declarations are read. */
        if (head_region_ends(e, t))
            return end_late(e);
        if (!smo_treesim_in_template(e->sim) && !smo_treesim_in_foreign(e->sim))
            smo_meta_token(e->meta, t);
        return 0;
    }
    if (t->truncated && t->type == SMO_TOKEN_START_TAG) {
        /* Its attributes are unknown: a rule could duplicate what it
         * declares.  Better to change nothing. */
        give_up(e, apr_psprintf(e->pool, "a <%s> tag in the head is longer "
                                "than the tag limit", t->name));
        return 0;
    }
    if (ev & SMO_HEAD_OPENED) {
        e->head_opened = 1;
        e->head_start = (ev & SMO_HEAD_OPENED_IMPLICIT)
                            ? (t->type == SMO_TOKEN_TEXT ? split : t->start)
                            : t->end;
    }
    if (ev & SMO_HEAD_CLOSED) {
        uint64_t head_end = t->type == SMO_TOKEN_TEXT ? split : t->start;
        if (e->holding && e->meta && !head_region_ends(e, t)) {
            /* Nothing goes past head_end, but what the page declares
             * before </head> or <body> is still to be read. */
            e->late = 1;
            e->late_end = head_end;
            return 0;
        }
        return apply_head_rules(e, head_end, 0);
    }
    if (!smo_treesim_in_template(e->sim)) {
        if (smo_treesim_head_phase(e->sim) == SMO_HEAD_IN)
            head_fact(e, t);
        if (e->meta)
            smo_meta_token(e->meta, t);
    }
    return 0;
}

/* ---- share links --------------------------------------------------------- */

/* SPEC 5: why a link goes direct where tracking is on (the block's
 * builder decides alike, smo_click_refuses()). */
static void log_direct_links(smo_engine *e, const char *url)
{
    const apr_array_header_t *nets = e->cfg.share->networks;
    for (int i = 0; i < nets->nelts; i++) {
        const smo_network *n = APR_ARRAY_IDX(nets, i, const smo_network *);
        const char *why = smo_share_direct_reason(e->pool, e->cfg.share, n,
                                                  url);
        if (why && !strcmp(why, "utm"))
            elog(e, "share link %s goes direct, not through the click "
                 "handler: SMOShareUTM differs at SMOClickURL", n->name);
        else if (why)
            elog(e, "share link %s goes direct, not through the click "
                 "handler: it would refuse it (%s)", n->name,
                 !strcmp(why, "unknown-network")
                     ? "unknown-network: no such network, or another "
                       "template, at SMOClickURL"
                     : why);
    }
}

static const char *share_markup(smo_engine *e)
{
    if (!e->share_markup) {
        smo_share_page page = { NULL, NULL, NULL, NULL };
        if (e->meta) {
            page.url = smo_meta_value(e->meta, "og:url");
            page.title = smo_meta_value(e->meta, "og:title");
            page.description = smo_meta_value(e->meta, "og:description");
            page.image = smo_meta_value(e->meta, "og:image");
        }
        if (!page.url)
            page.url = e->cfg.canonical_url;
        if (e->cfg.log && e->cfg.share->track_clicks && e->cfg.share->click)
            log_direct_links(e, page.url);
        e->share_markup = smo_share_block(e->pool, e->cfg.share, &page);
        if (!e->share_markup)
            e->share_markup = "";
    }
    return e->share_markup;
}

static int place_share(smo_engine *e, uint64_t at, int more)
{
    const char *m;
    e->share_count++;
    e->share_pending = more;
    if (e->late) {
        /* The block shows the page's URL and title, which declarations
         * still to come may change: it is written when they are in (all
         * of this is held). */
        if (!e->late_shares)
            e->late_shares = apr_array_make(e->pool, 2, sizeof(uint64_t));
        APR_ARRAY_PUSH(e->late_shares, uint64_t) = at;
        return 0;
    }
    m = share_markup(e);
    return smo_rewriter_insert(e->rw, at, m, strlen(m));
}

static int is_void(const char *name)
{
    static const char *const v[] = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr", NULL
    };
    for (const char *const *p = v; *p; p++)
        if (!strcmp(name, *p))
            return 1;
    return 0;
}


/* Where the block goes (SPEC 4), token by token once the head is over.
 * Never inside <template> content or foreign content. */
static int share_token(smo_engine *e, const smo_token *t, int was_body)
{
    const smo_engine_config *c = &e->cfg;
    if (e->sel_depth) {
        /* Looking for the end of the matched element. */
        if (t->type == SMO_TOKEN_START_TAG && !t->self_closing &&
            !strcmp(t->name, e->sel_name))
            e->sel_depth++;
        else if (t->type == SMO_TOKEN_END_TAG && !strcmp(t->name, e->sel_name) &&
                 --e->sel_depth == 0)
            return place_share(e, c->share_at == SMO_SHARE_AT_APPEND ? t->start
                                                                     : t->end,
                               0);
        return 0;
    }
    if (smo_treesim_in_template(e->sim) || smo_treesim_in_foreign(e->sim))
        return 0;
    switch (c->share_at) {
    case SMO_SHARE_AT_BODY_START:
        if (!was_body && smo_treesim_in_body(e->sim)) {
            if (t->type == SMO_TOKEN_START_TAG && !strcmp(t->name, "body"))
                return place_share(e, t->end, 0);
            return place_share(e, t->type == SMO_TOKEN_TEXT
                                      ? smo_text_first_non_ws(t)
                                      : t->start, 0);
        }
        return 0;
    case SMO_SHARE_AT_BODY_END:
        if (t->type == SMO_TOKEN_END_TAG && t->name_len == 4 &&
            (!memcmp(t->name, "body", 4) || !memcmp(t->name, "html", 4)))
            return place_share(e, t->start, 0);
        return 0;
    case SMO_SHARE_AT_MARKER:
        if (t->type == SMO_TOKEN_COMMENT && t->raw &&
            smo_share_is_marker(t->raw + (t->data_start - t->start),
                                (size_t)(t->data_end - t->data_start))) {
            /* Bounded: the rest are only counted, for the log. */
            if (e->share_count >= SMO_SHARE_MAX_MARKERS) {
                e->markers_left++;
                return 0;
            }
            return place_share(e, t->end, 1);
        }
        return 0;
    default:
        break;
    }
    if (t->type != SMO_TOKEN_START_TAG || !c->share_sel)
        return 0;
    {
        int match = smo_selector_match(e->scratch, c->share_sel, t);
        apr_pool_clear(e->scratch);
        if (!match)
            return 0;
    }
    if (c->share_at == SMO_SHARE_AT_BEFORE)
        return place_share(e, t->start, 0);
    if (t->self_closing || is_void(t->name)) {
        if (c->share_at != SMO_SHARE_AT_AFTER)
            elog(e, "share block: <%s> cannot hold content: placed after it",
                 t->name);
        return place_share(e, t->end, 0);
    }
    if (c->share_at == SMO_SHARE_AT_PREPEND)
        return place_share(e, t->end, 0);
    memcpy(e->sel_name, t->name, sizeof(e->sel_name));
    e->sel_depth = 1;
    return 0;
}

/* Once the head is over: the body rules need neither text (but to find
 * where the body starts) nor attributes (but to match a selector). */
static void body_lean(smo_engine *e)
{
    smo_share_where at = e->cfg.share_at;
    unsigned lean = SMO_LEAN_IDLE_TEXT;
    if (!e->share_pending)
        return;
    if (at != SMO_SHARE_AT_BODY_START)
        lean |= SMO_LEAN_TEXT;
    if (at == SMO_SHARE_AT_BODY_END || at == SMO_SHARE_AT_MARKER)
        lean |= SMO_LEAN_ATTRS | SMO_LEAN_TAGS;
    if (at == SMO_SHARE_AT_BODY_END) /* the marker is a comment */
        lean |= SMO_LEAN_COMMENTS;
    smo_tokenizer_set_lean(e->tok, lean);
}

/* The declarations after an implicit end of the head are all read (the
 * literal end of the head region, SMOHeadLimit, a FLUSH, the end of the
 * stream): the head rules insert at the early position, still held, and
 * the blocks placed meanwhile are written. */
static int end_late(smo_engine *e)
{
    int rv;
    e->late = 0;
    if ((rv = apply_head_rules(e, e->late_end, 0)) != 0)
        return rv;
    for (int i = 0; e->late_shares && i < e->late_shares->nelts; i++) {
        const char *m = share_markup(e);
        if ((rv = smo_rewriter_insert(e->rw,
                                      APR_ARRAY_IDX(e->late_shares, i,
                                                    uint64_t),
                                      m, strlen(m))) != 0)
            return rv;
    }
    body_lean(e);
    return 0;
}

static int on_token(void *ctx, const smo_token *t)
{
    smo_engine *e = ctx;
    uint64_t split = t->start;
    int was_body = smo_treesim_in_body(e->sim);
    int ev = smo_treesim_token(e->sim, t, &split);
    int rv;

    if (!e->head_done) {
        int late = e->late;
        if ((rv = head_token(e, t, ev, split)) != 0)
            return rv;
        if (e->head_done && !late)
            body_lean(e);
    }
    /* While the head rules wait (e->late), the body has begun. */
    if ((e->head_done || e->late) && e->share_pending &&
        (rv = share_token(e, t, was_body)) != 0)
        return rv;
    /* Nothing left to do: stop reading this chunk at once. */
    return e->head_done && !e->share_pending ? STOP_DONE : 0;
}

smo_engine *smo_engine_create(apr_pool_t *pool, const smo_engine_config *cfg,
                              const smo_sink *sink, void *sink_ctx)
{
    smo_engine *e = apr_pcalloc(pool, sizeof(*e));
    e->pool = pool;
    e->cfg = *cfg;
    if (!e->cfg.tail_limit)
        e->cfg.tail_limit = SMO_TAIL_LIMIT_DEFAULT;
    e->tok = smo_tokenizer_create(pool, e->cfg.tail_limit, on_token, e);
    /* Whitespace between tags and the text of scripts and styles: no
     * rule reads them, and a head has plenty. */
    smo_tokenizer_set_lean(e->tok, SMO_LEAN_IDLE_TEXT);
    e->sim = smo_treesim_create(pool, e->tok);
    e->rw = smo_rewriter_create(pool, sink, sink_ctx);
    e->holding = cfg->head_limit > 0;
    if (cfg->share && cfg->share->networks && cfg->share->networks->nelts) {
        e->share_pending = 1;
        apr_pool_create(&e->scratch, pool);
    }
    /* A declared charset wins over the escape (unwritable_charset()). */
    e->esc_scan = !cfg->meta || !cfg->meta->http_charset ||
                  !cfg->meta->http_charset[strspn(cfg->meta->http_charset,
                                                  " \t\n\f\r")];
    if (cfg->meta) {
        e->meta = smo_meta_create(pool, cfg->meta);
    } else if (cfg->canonical_url) {
        smo_meta_config *mc = apr_pcalloc(pool, sizeof(*mc));
        mc->canonical = 1;
        mc->canonical_url = mc->page_url = cfg->canonical_url;
        mc->xhtml = cfg->xhtml;
        e->meta = smo_meta_create(pool, mc);
    }
    return e;
}

/* Release what is final: everything before the pending token, but while
 * holding, nothing from the head's start on. */
static int release(smo_engine *e)
{
    uint64_t upto;
    if (e->late) {
        uint64_t safe = smo_tokenizer_safe_offset(e->tok);
        int rv;
        if (safe - e->head_start > e->cfg.head_limit ||
            smo_tokenizer_offset(e->tok) - safe > e->cfg.tail_limit) {
            elog(e, "no </head> or <body> within SMOHeadLimit (%"
                 APR_SIZE_T_FMT " bytes) after the head ended implicitly: "
                 "declarations after that are not looked for",
                 e->cfg.head_limit);
            if ((rv = end_late(e)) != 0)
                return rv;
        }
    }
    if (e->head_done && !e->share_pending) {
        /* Nothing left to place: the rest of the stream goes as it is. */
        e->done = 1;
        return smo_rewriter_release(e->rw, smo_tokenizer_offset(e->tok));
    }
    upto = smo_tokenizer_safe_offset(e->tok);
    if (smo_tokenizer_offset(e->tok) - upto > e->cfg.tail_limit) {
        /* A tag longer than the limit is pending: holding it would make
         * memory grow with the document. */
        give_up(e, apr_psprintf(e->pool, "a tag longer than %" APR_SIZE_T_FMT
                                " bytes %s", e->cfg.tail_limit,
                                e->head_done ? "in the body: no share block"
                                             : "before the end of the head"));
        e->done = 1;
        return smo_rewriter_release(e->rw, smo_tokenizer_offset(e->tok));
    }
    if (e->head_done)
        return smo_rewriter_release(e->rw, upto);
    if (e->holding && e->head_opened) {
        if (upto - e->head_start > e->cfg.head_limit) {
            elog(e, "head larger than SMOHeadLimit (%" APR_SIZE_T_FMT
                 " bytes): metadata goes where the head ends",
                 e->cfg.head_limit);
            e->holding = 0;
        } else if (upto > e->head_start) {
            upto = e->head_start;
        }
    }
    return smo_rewriter_release(e->rw, upto);
}

/* The tokenizer stopped (the chunk counts as read); `unfed` bytes of this
 * call did not reach it.  They, and all that follows, pass untouched. */
static int stop(smo_engine *e, size_t unfed)
{
    e->done = 1;
    /* An ESC kept back (scan_esc()) came after what the tokenizer read. */
    e->passed_through += unfed + (size_t)e->esc_pending;
    e->esc_pending = 0;
    return smo_rewriter_release(e->rw, smo_tokenizer_offset(e->tok) +
                                           e->passed_through);
}

/* What the first bytes are (WHATWG "BOM sniff"). */
enum { BOM_NONE, BOM_MORE, BOM_UTF8, BOM_UTF16 };

/* The byte order mark, if any, at the start of the stream: the bytes held
 * from earlier calls (bom_buf), then this chunk.  A mark split across
 * chunks is held (BOM_MORE); `*used` is how many bytes of this chunk
 * belong to a UTF-8 mark. */
static int sniff_bom(smo_engine *e, const char *buf, size_t len,
                     size_t *used)
{
    unsigned char b[3];
    size_t n = e->bom_len, take = len < 3 - n ? len : 3 - n;

    memcpy(b, e->bom_buf, n);
    memcpy(b + n, buf, take);
    n += take;
    *used = 0;
    if (n && b[0] == 0xEF) {
        if (n > 1 && b[1] != 0xBB)
            goto none;
        if (n > 2 && b[2] != 0xBF)
            goto none;
        if (n == 3) {
            e->bom_checked = 1;
            *used = 3 - e->bom_len;
            return BOM_UTF8;
        }
    } else if (n && (b[0] == 0xFE || b[0] == 0xFF)) {
        if (n > 1) {
            e->bom_checked = 1;
            return b[1] == (b[0] ^ 1) ? BOM_UTF16 : BOM_NONE;
        }
    } else if (n) {
        goto none;
    }
    /* All of it may still be the start of a mark: keep it. */
    memcpy(e->bom_buf + e->bom_len, buf, len);
    e->bom_len += (unsigned)len;
    return BOM_MORE;
none:
    e->bom_checked = 1;
    return BOM_NONE;
}

/* The bytes held as the start of a mark that was none: page bytes. */
static int feed_bom_buf(smo_engine *e)
{
    unsigned n = e->bom_len;
    e->bom_len = 0;
    return n ? smo_tokenizer_feed(e->tok, e->bom_buf, n, 0) : 0;
}

/* WHATWG MIME Sniffing's "binary data byte": no text holds it. */
static int binary_byte(unsigned char c)
{
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) ||
           (c >= 0x1C && c <= 0x1F);
}

static int utf16_bom(unsigned char b0, unsigned char b1)
{
    return (b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF);
}

/* How much of the start is held to be judged: SNIFF_MAX, but never more
 * than the engine may hold at all (SMOHeadLimit). */
static size_t sniff_max(const smo_engine *e)
{
    return e->cfg.head_limit < SNIFF_MAX ? e->cfg.head_limit : SNIFF_MAX;
}

/* The first bytes up to the first '<' (at most sniff_max()): a body labelled
 * text/html that holds a byte no text holds there (gzip starts 1F 8B; NUL
 * and other controls: a binary file) is not HTML, and is left as it is.
 * Text, whitespace, a byte order mark before the markup are fine.  Until
 * that is known the bytes are copied here (the caller holds their
 * buckets), so a start that comes a byte at a time is judged alike. */
static int sniff(smo_engine *e, const char *buf, size_t len)
{
    size_t held = e->sniff_len, i;
    int text = 0, rv;

    for (i = 0; i < len && !text; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '<')
            text = 1;
        else if (held + i == 1 &&
                 utf16_bom((unsigned char)(held ? e->sniff_buf[0] : buf[0]),
                           c))
            text = 1; /* UTF-16: left untouched below */
        else if (!binary_byte(c))
            text = held + i + 1 >= sniff_max(e);
        else {
            give_up(e, apr_psprintf(e->pool, "byte 0x%02X at offset %"
                                    APR_SIZE_T_FMT " before any markup: "
                                    "binary data (gzip, an image...), not "
                                    "text: left untouched", c, held + i));
            e->done = 1;
            e->passed_through += held + len;
            return smo_rewriter_release(e->rw, e->passed_through);
        }
    }
    if (!text) {
        if (!e->sniff_buf)
            e->sniff_buf = apr_palloc(e->pool, SNIFF_MAX);
        memcpy(e->sniff_buf + held, buf, len);
        e->sniff_len += len;
        return 0;
    }
    e->sniffed = 1;
    if (held && (rv = smo_engine_feed(e, e->sniff_buf, held)) != 0)
        return rv;
    return smo_engine_feed(e, buf, len);
}

/* The held start is text after all (end of stream). */
static int sniff_end(smo_engine *e)
{
    e->sniffed = 1;
    return e->sniff_len && !e->done
               ? smo_engine_feed(e, e->sniff_buf, e->sniff_len) : 0;
}

/* Note where the first ESC '$' is, while it can still matter.  True if
 * the chunk ends in an ESC (not followed by '$' so far): the caller keeps
 * that byte from the tokenizer until the next byte is known, so that the
 * head cannot end at it unseen. */
static int scan_esc(smo_engine *e, const char *buf, size_t len)
{
    uint64_t off = smo_tokenizer_offset(e->tok);
    const char *p = buf, *end = buf + len;

    while ((p = memchr(p, 0x1B, (size_t)(end - p))) != NULL) {
        if (p + 1 == end)
            return 1;
        if (p[1] == '$') {
            e->esc_at = off + (uint64_t)(p - buf) + 1;
            return 0;
        }
        p++;
    }
    return 0;
}

/* Feed the ESC kept back at the end of the last chunk; `next` is the byte
 * that follows it (-1: none, the stream ends or flushes). */
static int feed_esc(smo_engine *e, int next)
{
    e->esc_pending = 0;
    if (next == '$' && !e->esc_at)
        e->esc_at = smo_tokenizer_offset(e->tok) + 1;
    return smo_tokenizer_feed(e->tok, "\x1b", 1, 0);
}

int smo_engine_feed(smo_engine *e, const char *buf, size_t len)
{
    int rv;
    if (!e->sniffed && !e->done)
        return sniff(e, buf, len);
    if (e->done) {
        /* Nothing more to change: the bytes go as they are (after an ESC
         * still kept back, if the engine got done without feeding it). */
        e->passed_through += len + (size_t)e->esc_pending;
        e->esc_pending = 0;
        return smo_rewriter_release(e->rw, smo_tokenizer_offset(e->tok) +
                                               e->passed_through);
    }
    if (!e->bom_checked) {
        size_t used;
        switch (sniff_bom(e, buf, len, &used)) {
        case BOM_MORE:
            return 0; /* held by the caller until we know */
        case BOM_UTF16:
            /* UTF-16 is not ASCII-compatible: nothing we write would read
             * right in it, so the page goes as it is. */
            give_up(e, "a UTF-16 page (byte order mark): left untouched");
            e->done = 1;
            e->passed_through += len + e->bom_len;
            return smo_rewriter_release(e->rw, e->passed_through);
        case BOM_UTF8:
            /* Not text (WHATWG "decode" skips it): the tokenizer starts
             * after it, and the mark goes out first. */
            smo_tokenizer_skip(e->tok, 3);
            if (e->meta)
                smo_meta_set_bom(e->meta, "utf-8");
            buf += used;
            len -= used;
            e->bom_len = 0;
            break;
        default:
            if ((rv = feed_bom_buf(e)) != 0)
                return rv == STOP_DONE ? stop(e, len) : rv;
            break;
        }
    }
    if (e->esc_pending) {
        rv = feed_esc(e, len ? (unsigned char)buf[0] : -1);
        if (rv == STOP_DONE)
            return stop(e, len);
        if (rv != 0)
            return rv;
    }
    if (e->esc_scan && !e->head_done && !e->esc_at && len &&
        scan_esc(e, buf, len)) {
        e->esc_pending = 1;
        len--;
    }
    rv = smo_tokenizer_feed(e->tok, buf, len, 0);
    if (rv == STOP_DONE)
        return stop(e, 0);
    if (rv != 0)
        return rv;
    if ((rv = release(e)) != 0)
        return rv;
    /* Done with an ESC kept back: it goes with the rest. */
    return e->done && e->esc_pending ? stop(e, 0) : 0;
}

int smo_engine_flush(smo_engine *e)
{
    int rv;
    /* A start still being sniffed, or an ESC kept back, stays held (as
     * the start of a possible byte order mark does): a few bytes that
     * are not markup yet. */
    if (e->late) {
        elog(e, "FLUSH after the head ended implicitly: declarations "
                "after that are not looked for");
        if ((rv = end_late(e)) != 0)
            return rv;
    } else if (e->holding && !e->head_done) {
        elog(e, "FLUSH inside the head: metadata goes where the head ends");
    }
    e->holding = 0;
    if (!e->done && (rv = release(e)) != 0)
        return rv;
    return e->done && e->esc_pending ? stop(e, 0) : 0;
}

/* At the end of the stream, before the tokenizer hears of it: does the
 * page end inside a tag, comment, script, RCDATA/RAWTEXT, plaintext,
 * template or svg, where markup written at the end would not become
 * elements (an attribute value, a comment's or a title's text...)? */
static int open_at_end(const smo_engine *e)
{
    return !smo_tokenizer_in_data(e->tok) || smo_treesim_in_template(e->sim) ||
           smo_treesim_in_foreign(e->sim);
}

/* End of stream with the block not placed (SPEC 4: no match, no block).
 * `open_end`: open_at_end(). */
static int finish_share(smo_engine *e, int open_end)
{
    uint64_t end = smo_tokenizer_offset(e->tok);
    if (!e->share_pending || e->gave_up)
        return 0;
    e->share_pending = 0;
    if (open_end && (e->cfg.share_at == SMO_SHARE_AT_BODY_END ||
                     e->sel_depth)) {
        elog(e, "the page ends inside an unclosed tag, comment, script, "
                "template or svg: no share block");
        return 0;
    }
    switch (e->cfg.share_at) {
    case SMO_SHARE_AT_BODY_END:
        /* No </body>: the end of the document is the end of the body. */
        return e->head_done ? place_share(e, end, 0) : 0;
    case SMO_SHARE_AT_MARKER:
        if (!e->share_count)
            elog(e, "no <!-- smo:share --> marker in the page: no share block");
        else if (e->markers_left)
            elog(e, "%u more <!-- smo:share --> markers left without a share "
                    "block (at most %d per page)", e->markers_left,
                 SMO_SHARE_MAX_MARKERS);
        return 0;
    case SMO_SHARE_AT_APPEND:
    case SMO_SHARE_AT_AFTER:
        if (e->sel_depth)
            return place_share(e, end, 0); /* the element ran to the end */
        break;
    default:
        break;
    }
    elog(e, "no element matches SMOShareAt: no share block");
    return 0;
}

int smo_engine_finish(smo_engine *e)
{
    int rv;
    if (!e->sniffed && (rv = sniff_end(e)) != 0)
        return rv;
    if (e->esc_pending && !e->done) {
        rv = feed_esc(e, -1);
        if (rv == STOP_DONE)
            return stop(e, 0);
        if (rv != 0)
            return rv;
    }
    if (!e->bom_checked && !e->done) {
        /* The stream ended with the start of a mark: page bytes. */
        e->bom_checked = 1;
        rv = feed_bom_buf(e);
        if (rv == STOP_DONE)
            return stop(e, 0);
        if (rv != 0)
            return rv;
    }
    if (!e->done) {
        int open_end = open_at_end(e);
        rv = smo_tokenizer_feed(e->tok, NULL, 0, 1);
        if (rv != 0 && rv != STOP_DONE)
            return rv;
        if (e->late) {
            if ((rv = end_late(e)) != 0)
                return rv;
        } else if (!e->head_done) {
            if (e->head_opened) {
                /* The stream ended inside the head. */
                if ((rv = apply_head_rules(e, smo_tokenizer_offset(e->tok),
                                           open_end)))
                    return rv;
            } else if (!open_end) {
                /* Nothing but a doctype, comments, <html> or whitespace:
                 * the tree builder opens the head at the end of the input
                 * (WHATWG "before head", end-of-file), so that is where
                 * the head's markup goes. */
                e->head_opened = 1;
                e->head_start = smo_tokenizer_offset(e->tok);
                if ((rv = apply_head_rules(e, e->head_start, 0)))
                    return rv;
            } else {
                elog(e, "the document ends inside a tag or comment before "
                        "its head opens: nothing inserted");
            }
        }
        if ((rv = finish_share(e, open_end)) != 0)
            return rv;
        e->done = 1;
    }
    e->passed_through += (size_t)e->esc_pending;
    e->esc_pending = 0;
    return smo_rewriter_release(e->rw, smo_tokenizer_offset(e->tok) +
                                           e->passed_through);
}

int smo_engine_done(const smo_engine *e)
{
    return e->done;
}

int smo_engine_asked_image(const smo_engine *e)
{
    return e->meta && smo_meta_asked_image(e->meta);
}

const char *smo_engine_gave_up(const smo_engine *e)
{
    return e->gave_up;
}

/* ---- the configuration as a cache key ------------------------------------ */

/* The key as it grows: bytes appended a field at a time, not one by one. */
typedef struct {
    apr_pool_t *pool;
    char *s;
    size_t len, cap;
} keybuf;

static void key_add(keybuf *k, const char *bytes, size_t n)
{
    if (k->len + n > k->cap) {
        size_t cap = k->cap * 2;
        char *ns;
        while (cap < k->len + n)
            cap *= 2;
        ns = apr_palloc(k->pool, cap);
        memcpy(ns, k->s, k->len);
        k->s = ns;
        k->cap = cap;
    }
    memcpy(k->s + k->len, bytes, n);
    k->len += n;
}

static void key_str(keybuf *k, const char *s)
{
    char num[24];
    size_t n;
    if (!s) {
        key_add(k, "-", 1);
        return;
    }
    n = strlen(s);
    key_add(k, num, (size_t)apr_snprintf(num, sizeof(num),
                                         "%" APR_SIZE_T_FMT ":", n));
    key_add(k, s, n);
}

static void key_num(keybuf *k, uint64_t v)
{
    char num[24];
    apr_snprintf(num, sizeof(num), "%" APR_UINT64_T_FMT, v);
    key_str(k, num);
}

static void key_list(keybuf *k, const apr_array_header_t *a)
{
    key_num(k, a ? (uint64_t)a->nelts : 0);
    for (int i = 0; a && i < a->nelts; i++)
        key_str(k, APR_ARRAY_IDX(a, i, const char *));
}

/* A list of networks (const smo_network *), each with all it writes. */
static void key_networks(keybuf *k, const apr_array_header_t *nets)
{
    key_num(k, nets ? (uint64_t)nets->nelts : 0);
    for (int i = 0; nets && i < nets->nelts; i++) {
        const smo_network *n = APR_ARRAY_IDX(nets, i, const smo_network *);
        key_str(k, n ? n->name : NULL);
        key_str(k, n ? n->tmpl : NULL);
        key_str(k, n ? n->label : NULL);
    }
}

const char *smo_engine_config_key(apr_pool_t *p, const smo_engine_config *cfg,
                                  size_t *len)
{
    keybuf kb = { p, apr_palloc(p, 512), 0, 512 }, *k = &kb;
    const smo_meta_config *m = cfg->meta;
    const smo_share_config *s = cfg->share;

    key_num(k, cfg->head_limit);
    key_num(k, cfg->tail_limit);
    key_num(k, (uint64_t)cfg->xhtml);
    key_str(k, cfg->canonical_url);
    key_num(k, m != NULL);
    if (m) {
        key_num(k, m->props ? (uint64_t)m->props->nelts : 0);
        for (int i = 0; m->props && i < m->props->nelts; i++) {
            const smo_meta_prop *mp = &APR_ARRAY_IDX(m->props, i, smo_meta_prop);
            key_str(k, mp->name);
            key_str(k, mp->value);
        }
        key_num(k, (uint64_t)m->override);
        key_num(k, (uint64_t)m->auto_meta);
        key_num(k, (uint64_t)m->canonical);
        key_str(k, m->canonical_url);
        key_str(k, m->page_url);
        key_list(k, m->strip_globs);
        key_str(k, m->http_charset);
        key_num(k, (uint64_t)m->xhtml);
        key_num(k, m->image_facts != NULL);
        key_num(k, m->card_url != NULL);
        key_str(k, m->card_key);
    }
    key_num(k, s != NULL);
    if (s) {
        key_networks(k, s->networks);
        key_num(k, (uint64_t)s->track_clicks);
        key_str(k, s->click_url);
        key_num(k, s->click != NULL);
        if (s->click) {
            const smo_click_config *c = s->click;
            key_networks(k, c->networks);
            key_num(k, (uint64_t)c->builtins);
            key_str(k, c->mastodon);
            key_list(k, c->own_hosts);
            key_list(k, c->allow_hosts);
            key_str(k, c->utm);
        }
        key_str(k, s->utm);
        key_str(k, s->block_template);
        key_num(k, (uint64_t)s->xhtml);
    }
    key_num(k, (uint64_t)cfg->share_at);
    key_str(k, cfg->share_sel ? smo_selector_text(p, cfg->share_sel) : NULL);
    key_str(k, cfg->share_style);
    *len = kb.len;
    return kb.s;
}
