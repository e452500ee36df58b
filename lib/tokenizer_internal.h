/* tokenizer_internal.h — what the files of the tokenizer share: its
 * state, the byte classes of the tag grammar, and the small helpers every
 * state family calls.  Not part of the API (smo_tokenizer.h is).
 *
 * The files, by WHATWG HTML 13.2.5 state family:
 *   tokenizer.c          the API, the pending-token buffer (tail), the
 *                        emitters, the run loop that hands each state to
 *                        its family, end of chunk and end of stream
 *   tokenizer_tag.c      data, tag open, tag name and attribute states
 *                        (13.2.5.1, 6-8, 32-40)
 *   tokenizer_rawtext.c  RCDATA, RAWTEXT, script data and PLAINTEXT with
 *                        their end-tag and escape states (13.2.5.2-5, 9-31)
 *   tokenizer_markup.c   markup declarations: comments, bogus comments,
 *                        DOCTYPE, CDATA sections (13.2.5.41-71)
 *   tokenizer_fast.c     the fast path over tags nobody reads, which walks
 *                        the attribute grammar of the byte classes below
 *
 * Character references are not decoded (they never move a token
 * boundary): there is no character-reference state.
 */
#ifndef SMO_TOKENIZER_INTERNAL_H
#define SMO_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <apr_pools.h>

#include "smo_ascii.h"
#include "smo_tagclass.h"
#include "smo_tokenizer.h"

/* The states, grouped by the file that runs them (the run loop picks the
 * family by range: keep each group together). */
enum state {
    /* tokenizer_tag.c */
    ST_DATA,
    ST_TAG_OPEN, ST_END_TAG_OPEN, ST_TAG_NAME,
    ST_BEFORE_ATTR_NAME, ST_ATTR_NAME, ST_AFTER_ATTR_NAME,
    ST_BEFORE_ATTR_VALUE, ST_ATTR_VALUE_DQ, ST_ATTR_VALUE_SQ,
    ST_ATTR_VALUE_UQ, ST_AFTER_ATTR_VALUE_QUOTED, ST_SELF_CLOSING_START,
    /* the fast path: the attributes of a tag no one will see, with the
     * attribute states folded into t->skip_sub (tokenizer_fast.c) */
    ST_SKIP_TAG,

    /* tokenizer_rawtext.c: the text states other than data */
    ST_RCDATA, ST_RAWTEXT, ST_SCRIPT, ST_PLAINTEXT,
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

    /* tokenizer_markup.c: declarations */
    ST_MARKUP_DECL_OPEN, ST_BOGUS_COMMENT,
    ST_COMMENT_START, ST_COMMENT_START_DASH, ST_COMMENT,
    ST_COMMENT_END_DASH, ST_COMMENT_END, ST_COMMENT_END_BANG,
    ST_DOCTYPE,
    ST_CDATA, ST_CDATA_BRACKET, ST_CDATA_END
};

#define ST_FIRST_RAWTEXT ST_RCDATA
#define ST_FIRST_MARKUP ST_MARKUP_DECL_OPEN

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

/* The stream offset of chunk index i. */
#define ABS(i) (t->base + (uint64_t)(i))

/* ---- the byte classes of the tag grammar -------------------------------
 *
 * The one description of which bytes end what inside a tag, read by the
 * full states (tokenizer_tag.c) and by the fast path (tokenizer_fast.c),
 * which only folds some of the states together. */
enum {
    CC_SPACE = 1,                  /* HTML whitespace: \t \n \f \r ' ' */
    CC_SLASH = 2,
    CC_GT = 4,
    CC_EQ = 8
};

static const unsigned char tag_cc[256] = {
    ['\t'] = CC_SPACE, ['\n'] = CC_SPACE, ['\f'] = CC_SPACE,
    ['\r'] = CC_SPACE, [' '] = CC_SPACE,
    ['/'] = CC_SLASH, ['>'] = CC_GT, ['='] = CC_EQ
};

/* 13.2.5.8 Tag name state: whitespace, '/' and '>' end a tag name. */
#define CC_TAG_NAME_END (CC_SPACE | CC_SLASH | CC_GT)
/* 13.2.5.33 Attribute name state: ... and '=' an attribute name. */
#define CC_ATTR_NAME_END (CC_SPACE | CC_SLASH | CC_GT | CC_EQ)
/* 13.2.5.38 Attribute value (unquoted) state: whitespace and '>'. */
#define CC_UQ_VALUE_END (CC_SPACE | CC_GT)
/* 13.2.5.32 Before attribute name state skips whitespace; the fast path
 * skips '/' with it (13.2.5.40: '/' not before '>' goes back there). */
#define CC_BEFORE_NAME_SKIP (CC_SPACE | CC_SLASH)
/* The fast path runs 13.2.5.33 into 13.2.5.34 (After attribute name),
 * where whitespace leads on to the next name: only these end the run. */
#define CC_FAST_NAME_END (CC_ATTR_NAME_END & ~CC_SPACE)

static inline int cc_in(unsigned char c, unsigned cls)
{
    return (tag_cc[c] & cls) != 0;
}

/* ---- byte searches -------------------------------------------------- */

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

#if defined(__SSE2__)
/* The bytes of v in CC_TAG_NAME_END or, with `attr`, in CC_FAST_NAME_END:
 * the classes of tag_cc, sixteen at a time, exactly (no byte to check
 * again, no branch per candidate). */
static inline unsigned name_stop_mask(__m128i v, int attr)
{
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    if (attr) {
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

/* ---- shared steps ------------------------------------------------------ */

/* A tag that changes no text state and that the tree rules do not name. */
static inline int skippable(const char *name, size_t len)
{
    return !smo_tag_may_matter_outside_foreign(name, len) ||
           !smo_tag_matters_outside_foreign(name, len);
}

static inline void begin_tag(smo_tokenizer *t, int is_end)
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
        t->tag.name[t->tag.name_len] = c ? (char)smo_ascii_lower(c)
                                         : (char)0xFF;
    t->tag.name_len++;
}

/* The pending token becomes a comment whose data starts at `data_start`,
 * in `state` (13.2.5.43 Comment start, or 13.2.5.41 Bogus comment). */
static inline void enter_comment(smo_tokenizer *t, uint64_t data_start,
                                 enum state state)
{
    t->pending = P_COMMENT;
    t->cmt_kept = t->tail_active;
    t->data_start = data_start;
    t->cmt_trail = 0;
    t->cmt_abrupt = 0;
    t->state = state;
}

/* The parse errors that make the markup read so far a bogus comment:
 * unexpected-question-mark-instead-of-tag-name, invalid-first-character-
 * of-tag-name after "</", incorrectly-opened-comment after "<!". */
static inline void enter_bogus_comment(smo_tokenizer *t, uint64_t data_start)
{
    enter_comment(t, data_start, ST_BOGUS_COMMENT);
}

/* ---- between the files ------------------------------------------------ */

/* tokenizer.c: reporting tokens. */
int smo_tok_flush_text(smo_tokenizer *t, const char *buf, uint64_t upto);
int smo_tok_begin_token(smo_tokenizer *t, const char *buf, uint64_t at,
                        enum pending kind);
const char *smo_tok_raw_bytes(smo_tokenizer *t, const char *buf, size_t end,
                              size_t *len);
int smo_tok_emit_tag(smo_tokenizer *t, const char *buf, size_t end);
int smo_tok_emit_simple(smo_tokenizer *t, const char *buf,
                        smo_token_type type, size_t end, uint64_t data_end,
                        int eof);

/* A comment ending at chunk index `end`, of which `close_len` bytes
 * before the trailing dashes close it ('>' or none). */
static inline int emit_comment(smo_tokenizer *t, const char *buf, size_t end,
                               size_t close_len, int eof)
{
    uint64_t data_end = t->cmt_abrupt
                            ? t->data_start
                            : t->base + end - close_len - t->cmt_trail;
    t->cmt_abrupt = 0;
    return smo_tok_emit_simple(t, buf, SMO_TOKEN_COMMENT, end, data_end, eof);
}

/* Each family runs its states from buf[*ip] until the state leaves the
 * family or the chunk ends; non-zero: a callback stopped the tokenizer. */
int smo_tok_run_tag(smo_tokenizer *t, const char *buf, size_t len,
                    size_t *ip);
int smo_tok_run_rawtext(smo_tokenizer *t, const char *buf, size_t len,
                        size_t *ip);
int smo_tok_run_markup(smo_tokenizer *t, const char *buf, size_t len,
                       size_t *ip);

/* tokenizer_fast.c */
size_t smo_tok_lean_scan(smo_tokenizer *t, const char *buf, size_t len,
                         size_t i);
int smo_tok_skip_to_tag_end(const char *buf, size_t len, size_t *ip,
                            unsigned *sub);

#endif
