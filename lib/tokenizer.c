/* tokenizer.c — resumable, byte-preserving HTML tokenizer: the API, the
 * pending token's bytes across chunks, the emitters, and the run loop that
 * hands each state to the file of its family (see tokenizer_internal.h
 * for the map of the files).
 *
 * State names follow WHATWG HTML 13.2.5.  Differences that do not move a
 * token boundary are left out on purpose: character references (they never
 * consume a quote or '>'), the comment "less-than sign" states (they only
 * report nested-comment errors), and the DOCTYPE sub-states while streaming
 * (every one of them ends at the first '>'; smo_doctype_parse() reads the
 * fields afterwards).
 */
#include <apr_strings.h>

#include "tokenizer_internal.h"

smo_tokenizer *smo_tokenizer_create(apr_pool_t *pool, size_t tail_limit,
                                    smo_token_fn fn, void *ctx)
{
    smo_tokenizer *t = apr_pcalloc(pool, sizeof(*t));
    t->pool = pool;
    t->fn = fn;
    t->ctx = ctx;
    t->state = t->text_state = ST_DATA;
    t->tail_limit = tail_limit ? tail_limit : SMO_TAIL_LIMIT_DEFAULT;
    t->cap_attrs = 16;
    t->attrs = apr_palloc(pool, t->cap_attrs * sizeof(smo_attr));
    return t;
}

void smo_tokenizer_set_state(smo_tokenizer *t, smo_text_state state,
                             const char *last_start_tag)
{
    static const enum state map[] = {
        [SMO_STATE_DATA] = ST_DATA, [SMO_STATE_RCDATA] = ST_RCDATA,
        [SMO_STATE_RAWTEXT] = ST_RAWTEXT, [SMO_STATE_SCRIPT] = ST_SCRIPT,
        [SMO_STATE_PLAINTEXT] = ST_PLAINTEXT, [SMO_STATE_CDATA] = ST_CDATA
    };
    if (state == SMO_STATE_CDATA) {
        /* Test entry point: as if "<![CDATA[" had just been read. */
        t->state = ST_CDATA;
        t->text_state = ST_DATA;
        t->pending = P_CDATA;
        t->tok_start = t->data_start = t->base;
        return;
    }
    t->text_state = t->state = map[state];
    t->last_start_len = 0;
    if (!last_start_tag && t->last_is_start)
        last_start_tag = t->tag.name; /* "the last start tag emitted" */
    if (last_start_tag) {
        size_t n = strlen(last_start_tag);
        if (n > SMO_TAG_NAME_MAX)
            n = SMO_TAG_NAME_MAX;
        for (size_t i = 0; i < n; i++)
            t->last_start[i] =
                (char)smo_ascii_lower((unsigned char)last_start_tag[i]);
        t->last_start_len = n;
    }
    t->last_start[t->last_start_len] = '\0';
}

static void update_lean_fast(smo_tokenizer *t)
{
    t->lean_fast = t->skip_text && t->skip_attrs && t->skip_tags &&
                   !t->nested && !t->foreign;
}

void smo_tokenizer_set_lean(smo_tokenizer *t, unsigned what)
{
    t->skip_text = (what & SMO_LEAN_TEXT) != 0;
    t->idle_text = (what & SMO_LEAN_IDLE_TEXT) != 0;
    t->skip_attrs = (what & SMO_LEAN_ATTRS) != 0;
    t->skip_tags = (what & SMO_LEAN_TAGS) != 0;
    t->skip_comments = (what & SMO_LEAN_COMMENTS) != 0;
    update_lean_fast(t);
}

void smo_tokenizer_set_nested(smo_tokenizer *t, int nested)
{
    t->nested = nested;
    update_lean_fast(t);
}

void smo_tokenizer_set_foreign(smo_tokenizer *t, int foreign)
{
    t->foreign = foreign;
    update_lean_fast(t);
}

void smo_tokenizer_skip(smo_tokenizer *t, size_t n)
{
    t->base += n;
    t->text_start = t->tok_start = t->base;
}

uint64_t smo_tokenizer_offset(const smo_tokenizer *t)
{
    return t->base;
}

int smo_tokenizer_in_data(const smo_tokenizer *t)
{
    return t->state == ST_DATA && t->pending == P_NONE && !t->stopped &&
           !t->eof_done;
}

uint64_t smo_tokenizer_safe_offset(const smo_tokenizer *t)
{
    return t->text_start;
}

uint64_t smo_text_first_non_ws(const smo_token *tok)
{
    static const unsigned char ws[256] = { SMO_ASCII_SPACE_INIT };
    const unsigned char *p = (const unsigned char *)tok->text;
    uint64_t n = tok->end - tok->start, i = 0;
    while (i < n && ws[p[i]])
        i++;
    return tok->start + i;
}

const smo_attr *smo_find_attr(const smo_token *tok, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < tok->n_attrs; i++) {
        const smo_attr *a = &tok->attrs[i];
        if (a->name_len == n &&
            smo_ascii_ci_eq_lower(tok->raw + a->name_off, name, n))
            return a;
    }
    return NULL;
}

/* ---- emitting ---------------------------------------------------------- */

/* SMO_LEAN_IDLE_TEXT: whitespace between tags, which no rule reads.  Where
 * the pieces of a text break depends on the chunking, so this holds only
 * because the data state's readers (the head's end, the body's start) look
 * for the first byte that is not whitespace; a title is RCDATA. */
static int idle_piece(const smo_tokenizer *t, const smo_token *tok)
{
    return t->idle_text && t->text_state == ST_DATA &&
           smo_text_first_non_ws(tok) == tok->end;
}

/* Report text [text_start, upto).  Bytes before the chunk are in the tail
 * (a candidate token that turned out to be text). */
int smo_tok_flush_text(smo_tokenizer *t, const char *buf, uint64_t upto)
{
    smo_token tok;
    int rv;
    if (upto <= t->text_start)
        return 0;
    if (t->skip_text || (t->idle_text && t->text_state != ST_DATA &&
                         t->text_state != ST_RCDATA)) {
        t->text_start = upto;
        return 0;
    }
    memset(&tok, 0, sizeof(tok));
    tok.type = SMO_TOKEN_TEXT;
    if (t->text_start < t->base) {
        uint64_t tail_start = t->base - t->tail_len;
        uint64_t end = upto < t->base ? upto : t->base;
        if (t->text_start >= tail_start) {
            tok.start = tok.data_start = t->text_start;
            tok.end = tok.data_end = end;
            tok.text = t->tail + (t->text_start - tail_start);
            if (!idle_piece(t, &tok) && (rv = t->fn(t->ctx, &tok)) != 0)
                return rv;
        }
        t->text_start = end;
        if (upto <= t->base)
            return 0;
    }
    tok.start = tok.data_start = t->text_start;
    tok.end = tok.data_end = upto;
    tok.text = buf + (t->text_start - t->base);
    t->text_start = upto;
    return idle_piece(t, &tok) ? 0 : t->fn(t->ctx, &tok);
}

/* A new token may start: text still waiting in the tail (a candidate that
 * turned out to be text) is reported before the tail is reused. */
int smo_tok_begin_token(smo_tokenizer *t, const char *buf, uint64_t at,
                        enum pending kind)
{
    int rv;
    if (t->text_start < t->base && (rv = smo_tok_flush_text(t, buf, at)) != 0)
        return rv;
    t->tok_start = at;
    t->pending = kind;
    t->tail_len = 0;
    t->tail_active = 0;
    t->truncated = 0;
    t->cmt_kept = 0;
    return 0;
}

/* The pending token's raw bytes ending at chunk index `end`, or NULL when
 * they overflowed the tail. */
const char *smo_tok_raw_bytes(smo_tokenizer *t, const char *buf, size_t end,
                              size_t *len)
{
    if (!t->tail_active) {
        *len = (size_t)(t->base + end - t->tok_start);
        return buf + (t->tok_start - t->base);
    }
    if (t->truncated || t->tail_len + end > t->tail_limit) {
        t->truncated = 1;
        *len = 0;
        return NULL;
    }
    if (t->tail_len + end > t->tail_cap) {
        size_t cap = t->tail_cap ? t->tail_cap : 256;
        while (cap < t->tail_len + end)
            cap *= 2;
        char *n = apr_palloc(t->pool, cap);
        if (t->tail_len)
            memcpy(n, t->tail, t->tail_len);
        t->tail = n;
        t->tail_cap = cap;
    }
    if (end)
        memcpy(t->tail + t->tail_len, buf, end);
    t->tail_len += end;
    *len = t->tail_len;
    return t->tail;
}

/* A complete tag ends at chunk index `end`: reported, unless nobody will
 * read it. */
int smo_tok_emit_tag(smo_tokenizer *t, const char *buf, size_t end)
{
    int rv;
    smo_token *tok = &t->tag;
    if ((rv = smo_tok_flush_text(t, buf, t->tok_start)) != 0)
        return rv;
    if (t->pending == P_SKIP || (t->skip_tags && !t->nested &&
                                 skippable(tok->name, tok->name_len))) {
        /* The fast path: a tag that changes no text state and that no
         * rule names (most of a body) leaves no trace. */
        t->pending = P_NONE;
        t->tail_active = 0;
        t->tail_len = 0;
        t->text_start = t->base + end;
        t->state = t->text_state = ST_DATA;
        return 0;
    }
    tok->type = t->is_end ? SMO_TOKEN_END_TAG : SMO_TOKEN_START_TAG;
    tok->start = t->tok_start;
    tok->end = t->base + end;
    tok->raw = smo_tok_raw_bytes(t, buf, end, &tok->raw_len);
    tok->truncated = tok->raw == NULL || t->attrs_overflow;
    tok->name[tok->name_len < SMO_TAG_NAME_MAX ? tok->name_len
                                                : SMO_TAG_NAME_MAX] = '\0';
    tok->attrs = tok->raw ? t->attrs : NULL;
    tok->n_attrs = tok->raw ? t->n_attrs : 0;
    tok->text = NULL;
    tok->eof = 0;
    t->pending = P_NONE;
    t->tail_active = 0;
    t->tail_len = 0;
    t->text_start = tok->end;
    /* After a tag the tokenizer is in the data state; the tree builder
     * (smo_treesim) switches it from within the callback. */
    t->state = t->text_state = ST_DATA;
    t->last_is_start = !t->is_end;
    return t->fn(t->ctx, tok);
}

/* A comment, doctype or CDATA section ends at chunk index `end`. */
int smo_tok_emit_simple(smo_tokenizer *t, const char *buf,
                        smo_token_type type, size_t end, uint64_t data_end,
                        int eof)
{
    smo_token tok;
    int rv;
    if ((rv = smo_tok_flush_text(t, buf, t->tok_start)) != 0)
        return rv;
    memset(&tok, 0, sizeof(tok));
    tok.type = type;
    tok.start = t->tok_start;
    tok.end = t->base + end;
    tok.data_start = t->data_start;
    tok.data_end = data_end < t->data_start ? t->data_start : data_end;
    tok.eof = eof;
    if (type == SMO_TOKEN_DOCTYPE)
        tok.raw = smo_tok_raw_bytes(t, buf, end, &tok.raw_len);
    else if (type == SMO_TOKEN_COMMENT && (!t->tail_active || t->cmt_kept) &&
             tok.end - tok.start <= COMMENT_KEEP)
        tok.raw = smo_tok_raw_bytes(t, buf, end, &tok.raw_len);
    t->pending = P_NONE;
    t->tail_active = 0;
    t->tail_len = 0;
    t->text_start = tok.end;
    t->state = t->text_state;
    return t->fn(t->ctx, &tok);
}

/* ---- the run loop ------------------------------------------------------ */

/* Each family runs its states while they are its own; a state of another
 * family (a tag whose callback switched to RCDATA, "<!" after '<') comes
 * back here. */
static int run(smo_tokenizer *t, const char *buf, size_t len)
{
    size_t i = 0;
    int rv = 0;
    while (rv == 0 && i < len) {
        if (t->state < ST_FIRST_RAWTEXT)
            rv = smo_tok_run_tag(t, buf, len, &i);
        else if (t->state < ST_FIRST_MARKUP)
            rv = smo_tok_run_rawtext(t, buf, len, &i);
        else
            rv = smo_tok_run_markup(t, buf, len, &i);
    }
    return rv;
}

/* At the end of a chunk: report the text that is final and keep the bytes
 * of a pending tag or doctype in the tail. */
static int end_chunk(smo_tokenizer *t, const char *buf, size_t len)
{
    int rv;
    uint64_t end = ABS(len);
    int need_tail = t->pending == P_TAG || t->pending == P_DOCTYPE;
    uint64_t safe = need_tail ? t->tok_start : end;

    /* Comments and CDATA sections are not text: they are reported whole
     * at their end, but nothing will ever be inserted inside them, so
     * their bytes may go. */
    if (t->pending == P_SKIP) {
        /* A tag nobody will see: nothing goes before it, keep nothing. */
        if ((rv = smo_tok_flush_text(t, buf, t->tok_start)) != 0)
            return rv;
        t->text_start = end;
        t->tail_active = 0;
        t->tail_len = 0;
        return 0;
    }
    if (t->pending == P_COMMENT || t->pending == P_CDATA) {
        if ((rv = smo_tok_flush_text(t, buf, t->tok_start)) != 0)
            return rv;
        t->text_start = end;
        if (t->pending == P_COMMENT && end - t->tok_start <= COMMENT_KEEP &&
            (!t->tail_active || t->cmt_kept)) {
            size_t off = t->tail_active ? 0 : (size_t)(t->tok_start - t->base);
            size_t n;
            t->tail_active = 1;
            t->cmt_kept =
                smo_tok_raw_bytes(t, buf + off, len - off, &n) != NULL;
        } else {
            t->tail_active = 1; /* the comment started in an earlier chunk */
            t->cmt_kept = 0;
            t->tail_len = 0;
        }
        return 0;
    } else if ((rv = smo_tok_flush_text(t, buf, safe)) != 0) {
        return rv;
    }
    if (!need_tail) {
        t->tail_active = 0;
        t->tail_len = 0;
    } else {
        if (t->tail_active) {
            size_t n;
            if (!smo_tok_raw_bytes(t, buf, len, &n))
                t->tail_len = 0;
        } else {
            size_t off = (size_t)(t->tok_start - t->base);
            t->tail_active = 1;
            t->tail_len = 0;
            if (!smo_tok_raw_bytes(t, buf + off, len - off, &(size_t){0}))
                t->tail_len = 0;
        }
    }
    return 0;
}

/* End of stream: what each unfinished construct becomes (13.2.5, the
 * "EOF" entries of each state). */
static int finish(smo_tokenizer *t, const char *buf, size_t len)
{
    uint64_t end = ABS(len);
    switch (t->state) {
    case ST_MARKUP_DECL_OPEN:
        /* Too short for "--" or "DOCTYPE": a bogus comment. */
        t->data_start = t->tok_start + 2;
        return smo_tok_emit_simple(t, buf, SMO_TOKEN_COMMENT, len, end, 1);
    case ST_BOGUS_COMMENT:
        return smo_tok_emit_simple(t, buf, SMO_TOKEN_COMMENT, len, end, 1);
    case ST_COMMENT_START:
    case ST_COMMENT_START_DASH:
        t->cmt_abrupt = 1;
        return emit_comment(t, buf, len, 0, 1);
    case ST_COMMENT:
    case ST_COMMENT_END_DASH:
    case ST_COMMENT_END:
    case ST_COMMENT_END_BANG:
        return emit_comment(t, buf, len, 0, 1);
    case ST_DOCTYPE:
        return smo_tok_emit_simple(t, buf, SMO_TOKEN_DOCTYPE, len, end, 1);
    case ST_CDATA:
    case ST_CDATA_BRACKET:
    case ST_CDATA_END:
        return smo_tok_emit_simple(t, buf, SMO_TOKEN_CDATA, len, end, 1);
    case ST_TAG_NAME:
    case ST_SKIP_TAG:
    case ST_BEFORE_ATTR_NAME:
    case ST_ATTR_NAME:
    case ST_AFTER_ATTR_NAME:
    case ST_BEFORE_ATTR_VALUE:
    case ST_ATTR_VALUE_DQ:
    case ST_ATTR_VALUE_SQ:
    case ST_ATTR_VALUE_UQ:
    case ST_AFTER_ATTR_VALUE_QUOTED:
    case ST_SELF_CLOSING_START: {
        /* eof-in-tag: the tag is not emitted; end tags in RCDATA, RAWTEXT
         * and script data that were not yet known to be tags were text. */
        int rv = smo_tok_flush_text(t, buf, t->tok_start);
        t->text_start = end;
        t->pending = P_NONE;
        return rv;
    }
    default:
        /* "<", "</" and unfinished raw end tags are text. */
        t->pending = P_NONE;
        return smo_tok_flush_text(t, buf, end);
    }
}

int smo_tokenizer_feed(smo_tokenizer *t, const char *buf, size_t len, int eof)
{
    int rv;
    if (!buf)
        len = 0;
    if (t->eof_done || t->stopped) {
        t->base += len;
        return 0;
    }
    if ((rv = run(t, buf, len)) != 0) {
        /* Stopped by the callback: the chunk counts as read, and so will
         * everything after it. */
        t->stopped = 1;
        t->base += len;
        return rv;
    }
    if (eof) {
        t->eof_done = 1;
        rv = finish(t, buf, len);
        t->base += len;
        return rv;
    }
    rv = end_chunk(t, buf, len);
    t->base += len;
    return rv;
}
