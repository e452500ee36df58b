/* tokenizer.c — resumable, byte-preserving HTML tokenizer.
 *
 * State names follow WHATWG HTML 13.2.5.  Differences that do not move a
 * token boundary are left out on purpose: character references (they never
 * consume a quote or '>'), the comment "less-than sign" states (they only
 * report nested-comment errors), and the DOCTYPE sub-states while streaming
 * (every one of them ends at the first '>'; smo_doctype_parse() reads the
 * fields afterwards).
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <apr_strings.h>

#include "smo_ascii.h"
#include "smo_tagclass.h"
#include "smo_tokenizer.h"

enum state {
    /* text states */
    ST_DATA, ST_RCDATA, ST_RAWTEXT, ST_SCRIPT, ST_PLAINTEXT,
    /* markup */
    ST_TAG_OPEN, ST_END_TAG_OPEN, ST_TAG_NAME,
    ST_BEFORE_ATTR_NAME, ST_ATTR_NAME, ST_AFTER_ATTR_NAME,
    ST_BEFORE_ATTR_VALUE, ST_ATTR_VALUE_DQ, ST_ATTR_VALUE_SQ,
    ST_ATTR_VALUE_UQ, ST_AFTER_ATTR_VALUE_QUOTED, ST_SELF_CLOSING_START,
    /* the fast path: the attributes of a tag no one will see, with the
     * attribute states folded into t->skip_sub */
    ST_SKIP_TAG,
    /* RCDATA, RAWTEXT and script data share their end-tag states; the text
     * state to fall back to is t->text_state. */
    ST_RAW_LT, ST_RAW_END_TAG_OPEN, ST_RAW_END_TAG_NAME,
    /* script data escapes */
    ST_SCRIPT_ESCAPE_START, ST_SCRIPT_ESCAPE_START_DASH,
    ST_SCRIPT_ESCAPED, ST_SCRIPT_ESCAPED_DASH, ST_SCRIPT_ESCAPED_DASH_DASH,
    ST_SCRIPT_ESCAPED_LT, ST_SCRIPT_ESCAPED_END_TAG_OPEN,
    ST_SCRIPT_ESCAPED_END_TAG_NAME, ST_SCRIPT_DOUBLE_ESCAPE_START,
    ST_SCRIPT_DOUBLE_ESCAPED, ST_SCRIPT_DOUBLE_ESCAPED_DASH,
    ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH, ST_SCRIPT_DOUBLE_ESCAPED_LT,
    ST_SCRIPT_DOUBLE_ESCAPE_END,
    /* declarations */
    ST_MARKUP_DECL_OPEN, ST_BOGUS_COMMENT,
    ST_COMMENT_START, ST_COMMENT_START_DASH, ST_COMMENT,
    ST_COMMENT_END_DASH, ST_COMMENT_END, ST_COMMENT_END_BANG,
    ST_DOCTYPE,
    ST_CDATA, ST_CDATA_BRACKET, ST_CDATA_END
};

/* What kind of token the pending bytes from tok_start will make. */
enum pending { P_NONE, P_TAG, P_DOCTYPE, P_COMMENT, P_CDATA, P_SKIP };

/* ST_SKIP_TAG's sub-states: the attribute states that matter for where the
 * tag ends (13.2.5.32-39) without recording anything. */
enum { SK_BEFORE_NAME, SK_NAME, SK_BEFORE_VALUE, SK_UQ, SK_DQ, SK_SQ };

#define MAX_ATTRS 512

/* Comments are not held, but a short one split across chunks is kept whole
 * so that rules can read it (the share-block marker). */
#define COMMENT_KEEP 256

struct smo_tokenizer {
    apr_pool_t *pool;
    smo_token_fn fn;
    void *ctx;

    enum state state;
    enum state text_state;         /* DATA, RCDATA, RAWTEXT, SCRIPT, PLAINTEXT */
    int foreign;
    int skip_text;                 /* text is not reported */
    int idle_text;                 /* ... only text a tree rule reads */
    int skip_attrs;                /* attributes are not recorded */
    int skip_tags;                 /* tags no tree rule cares about are not
                                    * reported */
    int nested;                    /* inside svg/math: every tag matters */
    int skip_comments;             /* lean_scan may step over comments */
    int lean_fast;                 /* all of the above skipped, not nested:
                                    * the data state may use lean_scan() */
    int stopped;                   /* a callback said stop: read no more */
    unsigned skip_sub;
    char last_start[SMO_TAG_NAME_MAX + 1];
    size_t last_start_len;
    int last_is_start;             /* t->tag holds the last start tag */

    uint64_t base;                 /* stream offset of the current chunk */
    uint64_t text_start;           /* first byte of text not yet reported */
    uint64_t tok_start;            /* first byte of the pending token */
    enum pending pending;
    int eof_done;

    /* The pending token's bytes when it spans chunks: tail[0] is tok_start. */
    char *tail;
    size_t tail_len, tail_cap, tail_limit;
    int tail_active;               /* tok_start lies in an earlier chunk */
    int truncated;

    /* Tag under construction. */
    smo_token tag;
    int is_end;
    smo_attr *attrs;
    size_t n_attrs, cap_attrs;
    int attr_dropped;              /* current attribute is a duplicate */
    int attrs_overflow;

    /* Markup declaration open: the bytes after "<!" matched so far. */
    unsigned mdo_len;
    char mdo[8];
    /* Script double-escape temporary buffer: match state against "script". */
    unsigned temp_len;
    int temp_match;
    /* Comment: bytes at the end that are not data ("-", "--", "--!"). */
    unsigned cmt_trail;
    int cmt_abrupt;
    int cmt_kept;                  /* a split comment's bytes are in the tail */
    uint64_t data_start;
};

static const char SCRIPT[] = "script";

/* Bytes that end a run in the fast path's attribute-name and unquoted-value
 * states (a table: one load per byte instead of a chain of compares). */
#define WS_STOPS ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1
static const unsigned char name_stop[256] = { ['>'] = 1, ['='] = 1, ['/'] = 1 };
static const unsigned char uq_stop[256] = { ['>'] = 1, WS_STOPS };
static const unsigned char tag_name_stop[256] = { ['>'] = 1, ['/'] = 1,
                                                  WS_STOPS };
static const unsigned char ws_or_slash[256] = { ['/'] = 1, WS_STOPS };

static inline int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static inline int is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

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
            t->last_start[i] = (char)lower((unsigned char)last_start_tag[i]);
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
    static const unsigned char ws[256] = { WS_STOPS };
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
static int flush_text(smo_tokenizer *t, const char *buf, uint64_t upto)
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
static int begin_token(smo_tokenizer *t, const char *buf, uint64_t at,
                       enum pending kind)
{
    int rv;
    if (t->text_start < t->base && (rv = flush_text(t, buf, at)) != 0)
        return rv;
    t->tok_start = at;
    t->pending = kind;
    t->tail_len = 0;
    t->tail_active = 0;
    t->truncated = 0;
    t->cmt_kept = 0;
    return 0;
}

static void begin_tag(smo_tokenizer *t, int is_end)
{
    t->is_end = is_end;
    t->n_attrs = 0;
    t->attrs_overflow = 0;
    t->tag.name_len = 0;
    t->tag.self_closing = 0;
    t->pending = P_TAG;
}

static inline void name_add(smo_tokenizer *t, unsigned char c)
{
    /* WHATWG unexpected-null-character: the name holds U+FFFD there.  A
     * byte for byte stand-in (0xFF, never in UTF-8, so no name a rule
     * matches) keeps name_len the raw length, and "title\0" is no title
     * to a rule that reads the name as a C string either. */
    if (t->tag.name_len < SMO_TAG_NAME_MAX)
        t->tag.name[t->tag.name_len] = c ? (char)lower(c) : (char)0xFF;
    t->tag.name_len++;
}

/* The pending token's raw bytes ending at chunk index `end`, or NULL when
 * they overflowed the tail. */
static const char *raw_bytes(smo_tokenizer *t, const char *buf, size_t end,
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

static inline int skippable(const char *name, size_t len)
{
    return !smo_tag_may_matter_outside_foreign(name, len) ||
           !smo_tag_matters_outside_foreign(name, len);
}

static int emit_tag(smo_tokenizer *t, const char *buf, size_t end)
{
    int rv;
    smo_token *tok = &t->tag;
    if ((rv = flush_text(t, buf, t->tok_start)) != 0)
        return rv;
    if (t->pending == P_SKIP || (t->skip_tags && !t->nested &&
                                 skippable(tok->name, tok->name_len))) {
        /* The fast path: a tag that changes no text state and that no
         * rule names (most of a body) leaves no trace. */
        {
            t->pending = P_NONE;
            t->tail_active = 0;
            t->tail_len = 0;
            t->text_start = t->base + end;
            t->state = t->text_state = ST_DATA;
            return 0;
        }
    }
    tok->type = t->is_end ? SMO_TOKEN_END_TAG : SMO_TOKEN_START_TAG;
    tok->start = t->tok_start;
    tok->end = t->base + end;
    tok->raw = raw_bytes(t, buf, end, &tok->raw_len);
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

static int emit_simple(smo_tokenizer *t, const char *buf, smo_token_type type,
                       size_t end, uint64_t data_end, int eof)
{
    smo_token tok;
    int rv;
    if ((rv = flush_text(t, buf, t->tok_start)) != 0)
        return rv;
    memset(&tok, 0, sizeof(tok));
    tok.type = type;
    tok.start = t->tok_start;
    tok.end = t->base + end;
    tok.data_start = t->data_start;
    tok.data_end = data_end < t->data_start ? t->data_start : data_end;
    tok.eof = eof;
    if (type == SMO_TOKEN_DOCTYPE)
        tok.raw = raw_bytes(t, buf, end, &tok.raw_len);
    else if (type == SMO_TOKEN_COMMENT && (!t->tail_active || t->cmt_kept) &&
             tok.end - tok.start <= COMMENT_KEEP)
        tok.raw = raw_bytes(t, buf, end, &tok.raw_len);
    t->pending = P_NONE;
    t->tail_active = 0;
    t->tail_len = 0;
    t->text_start = tok.end;
    t->state = t->text_state;
    return t->fn(t->ctx, &tok);
}

static inline int emit_comment(smo_tokenizer *t, const char *buf, size_t end,
                               size_t close_len, int eof)
{
    uint64_t data_end = t->cmt_abrupt ? t->data_start
                                      : t->base + end - close_len - t->cmt_trail;
    t->cmt_abrupt = 0;
    return emit_simple(t, buf, SMO_TOKEN_COMMENT, end, data_end, eof);
}

/* ---- attributes -------------------------------------------------------- */

static void attr_begin(smo_tokenizer *t, uint64_t at)
{
    smo_attr *a;
    if (t->skip_attrs && !t->foreign) {
        t->attr_dropped = 1;
        return;
    }
    if (t->n_attrs == t->cap_attrs) {
        if (t->cap_attrs >= MAX_ATTRS) {
            t->attrs_overflow = 1;
            t->attr_dropped = 1;
            return;
        }
        smo_attr *n = apr_palloc(t->pool, 2 * t->cap_attrs * sizeof(*n));
        memcpy(n, t->attrs, t->n_attrs * sizeof(*n));
        t->attrs = n;
        t->cap_attrs *= 2;
    }
    a = &t->attrs[t->n_attrs++];
    memset(a, 0, sizeof(*a));
    a->name_off = (size_t)(at - t->tok_start);
    t->attr_dropped = 0;
}

static inline smo_attr *cur_attr(smo_tokenizer *t)
{
    return t->attr_dropped ? NULL : &t->attrs[t->n_attrs - 1];
}

/* The name is complete: drop the attribute if an earlier one had the same
 * name (the first wins).  Names are compared on the raw bytes, which are
 * where the pending tag lies: chunk or tail. */
static void attr_name_end(smo_tokenizer *t, const char *buf, uint64_t at)
{
    smo_attr *a = cur_attr(t);
    const char *raw;
    size_t rawlen;
    if (!a)
        return;
    a->name_len = (size_t)(at - t->tok_start) - a->name_off;
    if (t->tail_active) {
        /* Compare later bytes through a contiguous view: copy what this
         * chunk holds of the tag into the tail first. */
        size_t n = (size_t)(at - t->base);
        raw = raw_bytes(t, buf, n, &rawlen);
        if (!raw) {
            t->n_attrs--;
            t->attr_dropped = 1;
            return;
        }
        /* raw_bytes appended [0, n): the chunk part now lives in the tail;
         * later tail appends must continue after it. */
        t->tail_len -= n;
    } else {
        raw = buf + (t->tok_start - t->base);
    }
    for (size_t i = 0; i + 1 < t->n_attrs; i++) {
        const smo_attr *b = &t->attrs[i];
        if (b->name_len != a->name_len)
            continue;
        size_t k = 0;
        while (k < a->name_len &&
               lower((unsigned char)raw[a->name_off + k]) ==
                   lower((unsigned char)raw[b->name_off + k]))
            k++;
        if (k == a->name_len) {
            t->n_attrs--;
            t->attr_dropped = 1;
            return;
        }
    }
}

static inline void attr_value_begin(smo_tokenizer *t, uint64_t at, char q)
{
    smo_attr *a = cur_attr(t);
    if (a) {
        a->has_value = 1;
        a->quote = q;
        a->value_off = (size_t)(at - t->tok_start);
    }
}

static inline void attr_value_end(smo_tokenizer *t, uint64_t at)
{
    smo_attr *a = cur_attr(t);
    if (a)
        a->value_len = (size_t)(at - t->tok_start) - a->value_off;
}

/* ---- the state machine ------------------------------------------------- */

/* Appropriate end tag name: the letters read so far match the last start
 * tag.  t->temp_len counts them; t->temp_match says whether they match. */
static inline void end_name_add(smo_tokenizer *t, unsigned char c)
{
    if (t->temp_len >= t->last_start_len ||
        lower(c) != (unsigned char)t->last_start[t->temp_len])
        t->temp_match = 0;
    t->temp_len++;
    name_add(t, c);
}

static inline int end_name_appropriate(const smo_tokenizer *t)
{
    return t->temp_match && t->temp_len == t->last_start_len &&
           t->last_start_len > 0;
}

static inline void script_temp_add(smo_tokenizer *t, unsigned char c)
{
    if (t->temp_len >= 6 || lower(c) != (unsigned char)SCRIPT[t->temp_len])
        t->temp_match = 0;
    t->temp_len++;
}

static inline int script_temp_is_script(const smo_tokenizer *t)
{
    return t->temp_match && t->temp_len == 6;
}

#define ABS(i) (t->base + (uint64_t)(i))

/* ---- the fast path ----------------------------------------------------- */

/* The first `c` in [p, end), or end.  The runs the fast path searches (the
 * text between two tags, an attribute value) are mostly shorter than a
 * cache line, where a call to memchr costs more than the search: compare
 * in place, 32 bytes a step, so that most searches end in the first step
 * (fewer mispredicted loop exits than with 16). */
static inline const char *find_byte(const char *p, const char *end, char c)
{
#if defined(__SSE2__)
    const __m128i needle = _mm_set1_epi8(c);
    for (; end - p >= 32; p += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, needle)) |
                     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, needle))
                         << 16;
        if (m)
            return p + __builtin_ctz(m);
    }
    if (end - p >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, needle));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    while (p < end && *p != c)
        p++;
    return p;
#else
    const char *q = memchr(p, c, (size_t)(end - p));
    return q ? q : end;
#endif
}

#if defined(__SSE2__)
/* Bytes of v that end a tag name (tag_name_stop: whitespace, '/', '>') or,
 * with eq, an attribute name (name_stop: '>', '=', '/'), exactly: no byte
 * to check again, no branch per candidate. */
static inline unsigned name_stop_mask(__m128i v, int eq)
{
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    if (eq) {
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
    } else {
        /* ' ', or \t \n \f \r: 9 to 13 but 11 (VT is no HTML space) */
        __m128i t = _mm_sub_epi8(v, _mm_set1_epi8(9));
        __m128i in = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t);
        in = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(11)), in);
        m = _mm_or_si128(m, _mm_or_si128(in, _mm_cmpeq_epi8(
                                                 v, _mm_set1_epi8(' '))));
    }
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The end of a run of name bytes from p: the first byte `stop` marks
 * (tag_name_stop: whitespace / >; name_stop: > = /), or end. */
static inline const char *scan_name(const char *p, const char *end,
                                    const unsigned char *stop)
{
#if defined(__SSE2__)
    int eq = stop == name_stop;
    for (; end - p >= 16; p += 16) {
        unsigned m = name_stop_mask(
            _mm_loadu_si128((const __m128i *)(const void *)p), eq);
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && !stop[(unsigned char)*p])
        p++;
    return p;
}

/* The first `a` or `b` in [p, end), or end. */
static inline const char *find_byte2(const char *p, const char *end, char a,
                                     char b)
{
#if defined(__SSE2__)
    const __m128i na = _mm_set1_epi8(a), nb = _mm_set1_epi8(b);
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, na), _mm_cmpeq_epi8(v, nb)));
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p != a && *p != b)
        p++;
    return p;
}

/* Find the end of a tag whose attributes nobody will see, from *ip in the
 * attribute sub-state *sub: the attribute states of 13.2.5.32-39 folded
 * into the few that decide where quotes open and close and where '>' ends
 * the tag.  Returns 1 with *ip past the '>', or 0 with *ip == len and
 * *sub saved for the next chunk. */
static inline int skip_to_tag_end(const char *buf, size_t len, size_t *ip,
                                  unsigned *sub)
{
    const char *p = buf + *ip, *end = buf + len;
    unsigned char c;

    switch (*sub) {
    case SK_NAME:
        goto in_name;
    case SK_BEFORE_VALUE:
        goto before_value;
    case SK_DQ:
        c = '"';
        goto in_quoted;
    case SK_SQ:
        c = '\'';
        goto in_quoted;
    case SK_UQ:
        goto unquoted;
    default:
        break;
    }
    for (;;) {
        /* Before an attribute name; '/' is the self-closing flag, which
         * goes back here unless '>' follows. */
        while (p < end && ws_or_slash[(unsigned char)*p])
            p++;
        if (p == end) {
            *sub = SK_BEFORE_NAME;
            break;
        }
        if (*p++ == '>')
            goto done;
        /* In a name, or after one: whitespace runs on into the next name,
         * and only > = / end it ('=' as the first byte is the name's). */
    in_name:
        p = scan_name(p, end, name_stop);
        if (p == end) {
            *sub = SK_NAME;
            break;
        }
        c = (unsigned char)*p++;
        if (c == '>')
            goto done;
        if (c == '/')
            continue;
    before_value:
        while (p < end && is_ws((unsigned char)*p))
            p++;
        if (p == end) {
            *sub = SK_BEFORE_VALUE;
            break;
        }
        c = (unsigned char)*p;
        if (c == '>') {
            p++;
            goto done;
        }
        if (c == '"' || c == '\'') {
            p++;
        in_quoted:
            p = find_byte(p, end, (char)c);
            if (p == end) {
                *sub = c == '"' ? SK_DQ : SK_SQ;
                break;
            }
            /* The one space between attributes, taken here, leaves the
             * loop above a branch it nearly always predicts. */
            if (++p < end && *p == ' ')
                p++;
            continue;
        }
    unquoted:
        while (p < end && !uq_stop[(unsigned char)*p])
            p++;
        if (p == end) {
            *sub = SK_UQ;
            break;
        }
        if (*p++ == '>')
            goto done;
    }
    *ip = len;
    return 0;
done:
    *ip = (size_t)(p - buf);
    return 1;
}

/* After the start tag of a text element that no one reads in lean mode
 * (script, style, title, textarea, xmp, iframe, noembed, noframes,
 * noscript), from p: the end of its end tag, or NULL to leave it to the
 * state machine (the end is not in this chunk; script data with "<!--",
 * whose escape states the state machine knows).  The end tag is the
 * first "</" + the name (any case) + whitespace, '/' or '>' (13.2.5.3-27,
 * the appropriate end tag). */
static const char *skip_text_element(const char *p, const char *end,
                                     const char *name, size_t name_len,
                                     int script)
{
    for (;;) {
        const char *q = find_byte(p, end, '<');
        size_t k;
        if ((size_t)(end - q) < name_len + 3)
            return NULL;
        if (q[1] == '!' && script)
            return NULL; /* maybe "<!--": escaped script data */
        if (q[1] != '/') {
            p = q + 1;
            continue;
        }
        for (k = 0; k < name_len; k++)
            if ((q[2 + k] | 0x20) != name[k])
                break;
        if (k == name_len && tag_name_stop[(unsigned char)q[2 + k]]) {
            size_t i = 1; /* past the byte that ended the name */
            unsigned sub = SK_BEFORE_NAME;
            p = q + 2 + k;
            if (*p == '>')
                return p + 1;
            if (!skip_to_tag_end(p, (size_t)(end - p), &i, &sub))
                return NULL;
            return p + i;
        }
        p = q + 1;
    }
}

/* Whether a tag name is that of a text element the fast path may skip
 * whole: 1 for RAWTEXT and RCDATA, 2 for script (0 otherwise, plaintext
 * included: nothing ends it).  Writes the lowercased name to lname. */
static int text_element(const char *name, size_t len, char *lname)
{
    tagclass k;
    if (len > SMO_TAG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        lname[i] = (char)lower((unsigned char)name[i]);
    lname[len] = '\0';
    k = smo_tag_classify(lname, len);
    if (k.flags & (K_RCDATA | K_RAWTEXT))
        return 1;
    return k.id == T_SCRIPT ? 2 : 0;
}

/* From "<!--" at p: the end of the comment (past its '>'), or NULL if it
 * does not end before `end`.  It ends at "<!-->", "<!--->", or the first
 * "-->" or "--!>" after the opening (13.2.5.43-52: whatever the states in
 * between, only these close it). */
static const char *skip_comment(const char *p, const char *end)
{
    const char *q = p + 4;
    if (end - q >= 1 && q[0] == '>')
        return q + 1;
    if (end - q >= 2 && q[0] == '-' && q[1] == '>')
        return q + 2;
    for (;;) {
        q = find_byte(q, end, '-');
        if (end - q < 3)
            return NULL;
        if (q[1] == '-') {
            if (q[2] == '>')
                return q + 3;
            if (q[2] == '!' && end - q >= 4 && q[3] == '>')
                return q + 4;
        }
        q++;
    }
}

/* The body of a page once only a few tags matter (lean_fast): from i in
 * the data state, step over text, over every tag that matters to no one,
 * over whole text elements (script, style...) and, with skip_comments,
 * comments, with nothing recorded and no callback, where the state
 * machine would end up the same (emit_tag's fast path).  Returns the
 * offset of the first '<' the state machine must read itself (a tag that
 * matters, a doctype, anything cut by the end of the chunk), or len. */
static size_t lean_scan(smo_tokenizer *t, const char *buf, size_t len,
                        size_t i)
{
    size_t skipped = 0; /* end of the last tag stepped over */
    size_t stop = len;
    char lname[SMO_TAG_NAME_MAX + 1];
    size_t name_len;
    int text_el;
    const char *next = NULL; /* the first '<' after the last one */

    while (i < len) {
        /* Where the next tag starts does not wait for where this one ends:
         * the '<' after this one is searched for first, and is the next
         * tag's unless this tag (a quoted value, a text element) reaches
         * past it.  The processor then works on several tags at once
         * instead of one dependent load after another. */
        const char *lt = next && next >= buf + i
                             ? next : find_byte(buf + i, buf + len, '<');
        size_t at, n, name;
        unsigned sub = SK_BEFORE_NAME;
        unsigned char c;
        if (lt == buf + len)
            break;
        next = find_byte(lt + 1, buf + len, '<');
        at = (size_t)(lt - buf);
        stop = at;
        if (at + 1 >= len)
            break;
        n = at + 1 + (buf[at + 1] == '/'); /* no branch: ends are half */
        if (n >= len)
            break;
        c = (unsigned char)buf[n];
        if (!is_alpha(c)) {
            const char *e;
            if (c == '!' && n == at + 1 && t->skip_comments &&
                len - at >= 4 && buf[at + 2] == '-' && buf[at + 3] == '-' &&
                (e = skip_comment(buf + at, buf + len)) != NULL) {
                skipped = i = (size_t)(e - buf);
                stop = len;
                continue;
            }
            if (n > at + 1 || c == '!' || c == '?')
                break;     /* "</>", bogus comments, comments, doctypes */
            i = n;         /* a '<' that is text */
            stop = len;
            continue;
        }
        name = n;
#if defined(__SSE2__)
        if (len - at > 16) {
            /* The name from the 16 bytes after '<', which also hold the
             * '/' of an end tag (not a name stop there). */
            unsigned m = name_stop_mask(_mm_loadu_si128(
                             (const __m128i *)(const void *)(lt + 1)), 0) &
                         ~(unsigned)(n - at - 1);
            n = m ? at + 1 + (size_t)__builtin_ctz(m)
                  : (size_t)(scan_name(lt + 17, buf + len, tag_name_stop) -
                             buf);
        } else
#endif
            n = (size_t)(scan_name(buf + n, buf + len, tag_name_stop) - buf);
        if (n == len)
            break;
        name_len = n - name;
        text_el = 0;
        if (!skippable(buf + name, name_len)) {
            /* A text element is skipped whole, from its start tag to its
             * end tag; any other tag that matters is the machine's. */
            text_el = buf[at + 1] != '/'
                          ? text_element(buf + name, name_len, lname) : 0;
            if (!text_el)
                break;
        }
        c = (unsigned char)buf[n++];
        if (c != '>' && !skip_to_tag_end(buf, len, &n, &sub))
            break;
        if (text_el) {
            const char *e = skip_text_element(buf + n, buf + len, lname,
                                              name_len, text_el == 2);
            if (!e)
                break;
            n = (size_t)(e - buf);
        }
        skipped = i = n;
        stop = len;
    }
    /* What emit_tag does for a tag nobody sees; the text before it is
     * not reported (skip_text). */
    if (skipped)
        t->text_start = ABS(skipped);
    return stop;
}

static int run(smo_tokenizer *t, const char *buf, size_t len)
{
    size_t i = 0;
    int rv = 0;
    unsigned char c;

    while (i < len) {
        c = (unsigned char)buf[i];
        switch (t->state) {

        case ST_DATA: {
            const char *lt;
            if (t->lean_fast && (i = lean_scan(t, buf, len, i)) == len)
                break;
            lt = memchr(buf + i, '<', len - i);
            if (!lt) {
                i = len;
                break;
            }
            i = (size_t)(lt - buf);
            if ((rv = begin_token(t, buf, ABS(i), P_TAG)) != 0)
                    return rv;
            t->state = ST_TAG_OPEN;
            i++;
            break;
        }

        case ST_RCDATA:
        case ST_RAWTEXT:
        case ST_SCRIPT: {
            const char *lt = memchr(buf + i, '<', len - i);
            if (!lt) {
                i = len;
                break;
            }
            i = (size_t)(lt - buf);
            if ((rv = begin_token(t, buf, ABS(i), P_TAG)) != 0)
                    return rv;
            t->state = ST_RAW_LT;
            i++;
            break;
        }

        case ST_PLAINTEXT:
            i = len;
            break;

        case ST_TAG_OPEN:
            if (c == '!') {
                t->state = ST_MARKUP_DECL_OPEN;
                t->mdo_len = 0;
                i++;
            } else if (c == '/') {
                t->state = ST_END_TAG_OPEN;
                i++;
            } else if (is_alpha(c)) {
                begin_tag(t, 0);
                t->state = ST_TAG_NAME;
            } else if (c == '?') {
                /* unexpected-question-mark-instead-of-tag-name */
                t->pending = P_COMMENT;
                t->cmt_kept = t->tail_active;
                t->data_start = ABS(i);
                t->cmt_trail = 0;
                t->state = ST_BOGUS_COMMENT;
            } else {
                /* The '<' was text. */
                t->pending = P_NONE;
                t->state = ST_DATA;
            }
            break;

        case ST_END_TAG_OPEN:
            if (is_alpha(c)) {
                begin_tag(t, 1);
                t->state = ST_TAG_NAME;
            } else if (c == '>') {
                /* missing-end-tag-name: "</>" is no token at all. */
                i++;
                if ((rv = flush_text(t, buf, t->tok_start)) != 0)
                    return rv;
                t->text_start = ABS(i);
                t->pending = P_NONE;
                t->state = ST_DATA;
            } else {
                t->pending = P_COMMENT;
                t->cmt_kept = t->tail_active;
                t->data_start = ABS(i);
                t->cmt_trail = 0;
                t->state = ST_BOGUS_COMMENT;
            }
            break;

        case ST_TAG_NAME:
            /* The common case: a run of name characters. */
            while (i < len) {
                c = (unsigned char)buf[i];
                if (is_ws(c) || c == '/' || c == '>')
                    break;
                name_add(t, c);
                i++;
            }
            if (i == len)
                break;
            i++;
            if (c == '>') {
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else if (t->skip_tags && !t->nested && t->skip_text &&
                       skippable(t->tag.name, t->tag.name_len)) {
                /* Nobody will see this tag: find its end, nothing more.
                 * Its bytes need not be kept (P_SKIP). */
                t->pending = P_SKIP;
                t->skip_sub = SK_BEFORE_NAME;
                t->state = ST_SKIP_TAG;
            } else if (c == '/') {
                t->state = ST_SELF_CLOSING_START;
            } else {
                t->state = ST_BEFORE_ATTR_NAME;
            }
            break;

        case ST_SKIP_TAG: {
            int done = skip_to_tag_end(buf, len, &i, &t->skip_sub);
            if (done && (rv = emit_tag(t, buf, i)) != 0)
                return rv;
            break;
        }

        case ST_BEFORE_ATTR_NAME:
            if (is_ws(c)) {
                i++;
            } else if (c == '/' || c == '>') {
                t->state = ST_AFTER_ATTR_NAME;
            } else {
                attr_begin(t, ABS(i));
                t->state = ST_ATTR_NAME;
                if (c == '=')
                    i++; /* unexpected-equals-sign-before-attribute-name */
            }
            break;

        case ST_ATTR_NAME:
            while (i < len) {
                c = (unsigned char)buf[i];
                if (is_ws(c) || c == '/' || c == '>' || c == '=')
                    break;
                i++;
            }
            if (i == len)
                break;
            attr_name_end(t, buf, ABS(i));
            if (c == '=') {
                t->state = ST_BEFORE_ATTR_VALUE;
                i++;
            } else {
                t->state = ST_AFTER_ATTR_NAME;
            }
            break;

        case ST_AFTER_ATTR_NAME:
            if (is_ws(c)) {
                i++;
            } else if (c == '/') {
                t->state = ST_SELF_CLOSING_START;
                i++;
            } else if (c == '=') {
                t->state = ST_BEFORE_ATTR_VALUE;
                i++;
            } else if (c == '>') {
                i++;
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else {
                attr_begin(t, ABS(i));
                t->state = ST_ATTR_NAME;
            }
            break;

        case ST_BEFORE_ATTR_VALUE:
            if (is_ws(c)) {
                i++;
            } else if (c == '"') {
                i++;
                attr_value_begin(t, ABS(i), '"');
                t->state = ST_ATTR_VALUE_DQ;
            } else if (c == '\'') {
                i++;
                attr_value_begin(t, ABS(i), '\'');
                t->state = ST_ATTR_VALUE_SQ;
            } else if (c == '>') {
                /* missing-attribute-value */
                attr_value_begin(t, ABS(i), 0);
                attr_value_end(t, ABS(i));
                i++;
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else {
                attr_value_begin(t, ABS(i), 0);
                t->state = ST_ATTR_VALUE_UQ;
            }
            break;

        case ST_ATTR_VALUE_DQ:
        case ST_ATTR_VALUE_SQ: {
            const char *q = memchr(buf + i, t->state == ST_ATTR_VALUE_DQ ? '"'
                                                                       : '\'',
                                   len - i);
            if (!q) {
                i = len;
                break;
            }
            i = (size_t)(q - buf);
            attr_value_end(t, ABS(i));
            i++;
            t->state = ST_AFTER_ATTR_VALUE_QUOTED;
            break;
        }

        case ST_ATTR_VALUE_UQ:
            while (i < len) {
                c = (unsigned char)buf[i];
                if (is_ws(c) || c == '>')
                    break;
                i++;
            }
            if (i == len)
                break;
            attr_value_end(t, ABS(i));
            i++;
            if (c == '>') {
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else {
                t->state = ST_BEFORE_ATTR_NAME;
            }
            break;

        case ST_AFTER_ATTR_VALUE_QUOTED:
            if (is_ws(c)) {
                t->state = ST_BEFORE_ATTR_NAME;
                i++;
            } else if (c == '/') {
                t->state = ST_SELF_CLOSING_START;
                i++;
            } else if (c == '>') {
                i++;
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else {
                /* missing-whitespace-between-attributes */
                t->state = ST_BEFORE_ATTR_NAME;
            }
            break;

        case ST_SELF_CLOSING_START:
            if (c == '>') {
                t->tag.self_closing = 1;
                i++;
                if ((rv = emit_tag(t, buf, i)) != 0)
                    return rv;
            } else {
                t->state = ST_BEFORE_ATTR_NAME;
            }
            break;

        /* ---- RCDATA / RAWTEXT / script data end tags ---- */

        case ST_RAW_LT:
            if (c == '/') {
                t->state = ST_RAW_END_TAG_OPEN;
                i++;
            } else if (c == '!' && t->text_state == ST_SCRIPT) {
                t->pending = P_NONE;
                t->state = ST_SCRIPT_ESCAPE_START;
                i++;
            } else {
                t->pending = P_NONE;
                t->state = t->text_state;
            }
            break;

        case ST_RAW_END_TAG_OPEN:
        case ST_SCRIPT_ESCAPED_END_TAG_OPEN:
            if (is_alpha(c)) {
                begin_tag(t, 1);
                t->temp_len = 0;
                t->temp_match = 1;
                t->state = t->state == ST_RAW_END_TAG_OPEN
                               ? ST_RAW_END_TAG_NAME
                               : ST_SCRIPT_ESCAPED_END_TAG_NAME;
            } else {
                t->pending = P_NONE;
                t->state = t->state == ST_RAW_END_TAG_OPEN ? t->text_state
                                                           : ST_SCRIPT_ESCAPED;
            }
            break;

        case ST_RAW_END_TAG_NAME:
        case ST_SCRIPT_ESCAPED_END_TAG_NAME: {
            enum state fallback = t->state == ST_RAW_END_TAG_NAME
                                      ? t->text_state
                                      : ST_SCRIPT_ESCAPED;
            if (is_alpha(c)) {
                end_name_add(t, c);
                if (t->temp_match) {
                    i++;
                    break;
                }
                /* It can no longer be the appropriate end tag, so it is
                 * text, and so would be the letters that follow. */
            } else if (end_name_appropriate(t)) {
                if (c == '>') {
                    i++;
                    if ((rv = emit_tag(t, buf, i)) != 0)
                        return rv;
                    break;
                }
                if (c == '/' || is_ws(c)) {
                    t->state = c == '/' ? ST_SELF_CLOSING_START
                                        : ST_BEFORE_ATTR_NAME;
                    i++;
                    break;
                }
            }
            t->pending = P_NONE;
            t->state = fallback;
            break;
        }

        /* ---- script data escapes (13.2.5.15 onwards) ---- */

        case ST_SCRIPT_ESCAPE_START:
            if (c == '-') {
                t->state = ST_SCRIPT_ESCAPE_START_DASH;
                i++;
            } else {
                t->state = ST_SCRIPT;
            }
            break;

        case ST_SCRIPT_ESCAPE_START_DASH:
            if (c == '-') {
                t->state = ST_SCRIPT_ESCAPED_DASH_DASH;
                i++;
            } else {
                t->state = ST_SCRIPT;
            }
            break;

        case ST_SCRIPT_ESCAPED:
            i = (size_t)(find_byte2(buf + i, buf + len, '-', '<') - buf);
            if (i == len)
                break;
            if (buf[i] == '-') {
                t->state = ST_SCRIPT_ESCAPED_DASH;
            } else {
                if ((rv = begin_token(t, buf, ABS(i), P_TAG)) != 0)
                    return rv;
                t->state = ST_SCRIPT_ESCAPED_LT;
            }
            i++;
            break;

        case ST_SCRIPT_ESCAPED_DASH:
        case ST_SCRIPT_ESCAPED_DASH_DASH:
            if (c == '-') {
                t->state = ST_SCRIPT_ESCAPED_DASH_DASH;
            } else if (c == '<') {
                if ((rv = begin_token(t, buf, ABS(i), P_TAG)) != 0)
                    return rv;
                t->state = ST_SCRIPT_ESCAPED_LT;
            } else if (c == '>' && t->state == ST_SCRIPT_ESCAPED_DASH_DASH) {
                t->state = ST_SCRIPT;
            } else {
                t->state = ST_SCRIPT_ESCAPED;
            }
            i++;
            break;

        case ST_SCRIPT_ESCAPED_LT:
            if (c == '/') {
                t->state = ST_SCRIPT_ESCAPED_END_TAG_OPEN;
                i++;
            } else if (is_alpha(c)) {
                t->pending = P_NONE;
                t->temp_len = 0;
                t->temp_match = 1;
                t->state = ST_SCRIPT_DOUBLE_ESCAPE_START;
            } else {
                t->pending = P_NONE;
                t->state = ST_SCRIPT_ESCAPED;
            }
            break;

        case ST_SCRIPT_DOUBLE_ESCAPE_START:
        case ST_SCRIPT_DOUBLE_ESCAPE_END:
            if (is_ws(c) || c == '/' || c == '>') {
                int into_double = t->state == ST_SCRIPT_DOUBLE_ESCAPE_START;
                if (!script_temp_is_script(t))
                    into_double = !into_double;
                t->state = into_double ? ST_SCRIPT_DOUBLE_ESCAPED
                                       : ST_SCRIPT_ESCAPED;
                i++;
            } else if (is_alpha(c)) {
                script_temp_add(t, c);
                i++;
            } else {
                t->state = t->state == ST_SCRIPT_DOUBLE_ESCAPE_START
                               ? ST_SCRIPT_ESCAPED
                               : ST_SCRIPT_DOUBLE_ESCAPED;
            }
            break;

        case ST_SCRIPT_DOUBLE_ESCAPED:
            i = (size_t)(find_byte2(buf + i, buf + len, '-', '<') - buf);
            if (i == len)
                break;
            t->state = buf[i] == '-' ? ST_SCRIPT_DOUBLE_ESCAPED_DASH
                                     : ST_SCRIPT_DOUBLE_ESCAPED_LT;
            i++;
            break;

        case ST_SCRIPT_DOUBLE_ESCAPED_DASH:
        case ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH:
            if (c == '-')
                t->state = ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH;
            else if (c == '<')
                t->state = ST_SCRIPT_DOUBLE_ESCAPED_LT;
            else if (c == '>' && t->state == ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH)
                t->state = ST_SCRIPT;
            else
                t->state = ST_SCRIPT_DOUBLE_ESCAPED;
            i++;
            break;

        case ST_SCRIPT_DOUBLE_ESCAPED_LT:
            if (c == '/') {
                t->temp_len = 0;
                t->temp_match = 1;
                t->state = ST_SCRIPT_DOUBLE_ESCAPE_END;
                i++;
            } else {
                t->state = ST_SCRIPT_DOUBLE_ESCAPED;
            }
            break;

        /* ---- markup declarations ---- */

        case ST_MARKUP_DECL_OPEN: {
            /* After "<!": "--", "DOCTYPE" (any case) or, in foreign content,
             * "[CDATA[".  Anything else opens a bogus comment whose data
             * starts right after "<!"; none of the matched bytes can be '>'
             * so nothing needs to be read twice. */
            static const char doctype[] = "doctype", cdata[] = "[CDATA[";
            unsigned n = t->mdo_len;
            int dash = n < 2, doc = n < 7, cd = n < 7 && t->foreign;
            t->mdo[n] = (char)c;
            for (unsigned k = 0; k <= n; k++) {
                unsigned char m = (unsigned char)t->mdo[k];
                dash = dash && m == '-';
                doc = doc && lower(m) == (unsigned char)doctype[k];
                cd = cd && m == (unsigned char)cdata[k];
            }
            if (dash || doc || cd) {
                t->mdo_len = ++n;
                i++;
                if (dash && n == 2) {
                    t->pending = P_COMMENT;
                t->cmt_kept = t->tail_active;
                    t->data_start = ABS(i);
                    t->cmt_trail = 0;
                    t->cmt_abrupt = 0;
                    t->state = ST_COMMENT_START;
                } else if (doc && n == 7) {
                    t->pending = P_DOCTYPE;
                    t->state = ST_DOCTYPE;
                } else if (cd && n == 7) {
                    t->pending = P_CDATA;
                    t->data_start = ABS(i);
                    t->state = ST_CDATA;
                }
                break;
            }
            /* incorrectly-opened-comment */
            t->pending = P_COMMENT;
                t->cmt_kept = t->tail_active;
            t->data_start = t->tok_start + 2;
            t->cmt_trail = 0;
            t->state = ST_BOGUS_COMMENT;
            break;
        }

        case ST_BOGUS_COMMENT: {
            const char *gt = memchr(buf + i, '>', len - i);
            if (!gt) {
                i = len;
                break;
            }
            i = (size_t)(gt - buf) + 1;
            if ((rv = emit_simple(t, buf, SMO_TOKEN_COMMENT, i, ABS(i - 1), 0)))
                return rv;
            break;
        }

        case ST_COMMENT_START:
            if (c == '-') {
                t->state = ST_COMMENT_START_DASH;
                i++;
            } else if (c == '>') {
                /* abrupt-closing-of-empty-comment: "<!-->" */
                i++;
                t->cmt_abrupt = 1;
                if ((rv = emit_comment(t, buf, i, 0, 0)) != 0)
                    return rv;
            } else {
                t->state = ST_COMMENT;
            }
            break;

        case ST_COMMENT_START_DASH:
            if (c == '-') {
                t->state = ST_COMMENT_END;
                t->cmt_trail = 2;
                i++;
            } else if (c == '>') {
                /* "<!--->" */
                i++;
                t->cmt_abrupt = 1;
                if ((rv = emit_comment(t, buf, i, 0, 0)) != 0)
                    return rv;
            } else {
                t->state = ST_COMMENT;
            }
            break;

        case ST_COMMENT: {
            const char *d = memchr(buf + i, '-', len - i);
            if (!d) {
                i = len;
                break;
            }
            i = (size_t)(d - buf) + 1;
            t->state = ST_COMMENT_END_DASH;
            t->cmt_trail = 1;
            break;
        }

        case ST_COMMENT_END_DASH:
            if (c == '-') {
                t->state = ST_COMMENT_END;
                t->cmt_trail = 2;
                i++;
            } else {
                t->state = ST_COMMENT;
                t->cmt_trail = 0;
            }
            break;

        case ST_COMMENT_END:
            if (c == '>') {
                i++;
                if ((rv = emit_comment(t, buf, i, 1, 0)) != 0)
                    return rv;
            } else if (c == '!') {
                t->state = ST_COMMENT_END_BANG;
                t->cmt_trail = 3;
                i++;
            } else if (c == '-') {
                i++; /* one more dash of data, still two pending */
            } else {
                t->state = ST_COMMENT;
                t->cmt_trail = 0;
            }
            break;

        case ST_COMMENT_END_BANG:
            if (c == '-') {
                t->state = ST_COMMENT_END_DASH;
                t->cmt_trail = 1;
                i++;
            } else if (c == '>') {
                i++;
                if ((rv = emit_comment(t, buf, i, 1, 0)) != 0)
                    return rv;
            } else {
                t->state = ST_COMMENT;
                t->cmt_trail = 0;
            }
            break;

        case ST_DOCTYPE: {
            const char *gt = memchr(buf + i, '>', len - i);
            if (!gt) {
                i = len;
                break;
            }
            i = (size_t)(gt - buf) + 1;
            if ((rv = emit_simple(t, buf, SMO_TOKEN_DOCTYPE, i, ABS(i), 0)))
                return rv;
            break;
        }

        case ST_CDATA: {
            const char *b = memchr(buf + i, ']', len - i);
            if (!b) {
                i = len;
                break;
            }
            i = (size_t)(b - buf) + 1;
            t->state = ST_CDATA_BRACKET;
            break;
        }

        case ST_CDATA_BRACKET:
            if (c == ']') {
                t->state = ST_CDATA_END;
                i++;
            } else {
                t->state = ST_CDATA;
            }
            break;

        case ST_CDATA_END:
            if (c == '>') {
                i++;
                if ((rv = emit_simple(t, buf, SMO_TOKEN_CDATA, i, ABS(i - 3), 0)))
                    return rv;
            } else if (c == ']') {
                i++;
            } else {
                t->state = ST_CDATA;
            }
            break;
        }
    }
    return 0;
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
        if ((rv = flush_text(t, buf, t->tok_start)) != 0)
            return rv;
        t->text_start = end;
        t->tail_active = 0;
        t->tail_len = 0;
        return 0;
    }
    if (t->pending == P_COMMENT || t->pending == P_CDATA) {
        if ((rv = flush_text(t, buf, t->tok_start)) != 0)
            return rv;
        t->text_start = end;
        if (t->pending == P_COMMENT && end - t->tok_start <= COMMENT_KEEP &&
            (!t->tail_active || t->cmt_kept)) {
            size_t off = t->tail_active ? 0 : (size_t)(t->tok_start - t->base);
            size_t n;
            t->tail_active = 1;
            t->cmt_kept = raw_bytes(t, buf + off, len - off, &n) != NULL;
        } else {
            t->tail_active = 1; /* the comment started in an earlier chunk */
            t->cmt_kept = 0;
            t->tail_len = 0;
        }
        return 0;
    } else if ((rv = flush_text(t, buf, safe)) != 0) {
        return rv;
    }
    if (!need_tail) {
        t->tail_active = 0;
        t->tail_len = 0;
    } else {
        if (t->tail_active) {
            size_t n;
            if (!raw_bytes(t, buf, len, &n))
                t->tail_len = 0;
        } else {
            size_t off = (size_t)(t->tok_start - t->base);
            t->tail_active = 1;
            t->tail_len = 0;
            if (!raw_bytes(t, buf + off, len - off, &(size_t){0}))
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
        return emit_simple(t, buf, SMO_TOKEN_COMMENT, len, end, 1);
    case ST_BOGUS_COMMENT:
        return emit_simple(t, buf, SMO_TOKEN_COMMENT, len, end, 1);
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
        return emit_simple(t, buf, SMO_TOKEN_DOCTYPE, len, end, 1);
    case ST_CDATA:
    case ST_CDATA_BRACKET:
    case ST_CDATA_END:
        return emit_simple(t, buf, SMO_TOKEN_CDATA, len, end, 1);
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
        int rv = flush_text(t, buf, t->tok_start);
        t->text_start = end;
        t->pending = P_NONE;
        return rv;
    }
    default:
        /* "<", "</" and unfinished raw end tags are text. */
        t->pending = P_NONE;
        return flush_text(t, buf, end);
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

/* ---- DOCTYPE fields (13.2.5.53 onwards, on the complete token) ---------- */

void smo_doctype_parse(const char *raw, size_t len, smo_doctype *d)
{
    size_t i = 9; /* "<!DOCTYPE" */
    int eof, pub;
    memset(d, 0, sizeof(*d));
    eof = !(len > i && raw[len - 1] == '>');
    if (!eof)
        len--;
#define WS() while (i < len && is_ws((unsigned char)raw[i])) i++
    WS();
    if (i >= len) {
        d->force_quirks = 1; /* missing-doctype-name, or eof */
        return;
    }
    d->has_name = 1;
    d->name_off = i;
    while (i < len && !is_ws((unsigned char)raw[i]))
        i++;
    d->name_len = i - d->name_off;
    WS();
    if (i >= len) {
        d->force_quirks = eof;
        return;
    }
    pub = len - i >= 6 && !strncasecmp(raw + i, "public", 6);
    if (!pub && !(len - i >= 6 && !strncasecmp(raw + i, "system", 6))) {
        d->force_quirks = 1; /* invalid-character-sequence-after-name */
        return;
    }
    i += 6;
    for (int n = 0; n < 2; n++) {
        char q;
        size_t start;
        WS();
        if (i >= len) {
            /* '>' right after a public id is fine; anything else that
             * ends here lacks an identifier (or hit EOF). */
            d->force_quirks = n == 0 || eof;
            return;
        }
        if (raw[i] != '"' && raw[i] != '\'') {
            /* A bogus doctype: with force-quirks, except after a system
             * identifier (handled below). */
            d->force_quirks = 1;
            return;
        }
        q = raw[i++];
        start = i;
        while (i < len && raw[i] != q)
            i++;
        if (pub && n == 0) {
            d->has_public = 1;
            d->public_off = start;
            d->public_len = i - start;
        } else {
            d->has_system = 1;
            d->system_off = start;
            d->system_len = i - start;
        }
        if (i >= len) {
            d->force_quirks = 1; /* abrupt identifier, or eof inside it */
            return;
        }
        i++;
        if (!pub || n == 1)
            break;
    }
    /* After the system identifier: whitespace, then '>' or EOF; anything
     * else makes a bogus doctype, which does not set force-quirks, and
     * whose EOF does not either. */
    WS();
    if (i >= len)
        d->force_quirks = eof;
#undef WS
}
