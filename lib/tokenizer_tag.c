/* tokenizer_tag.c — the data state and the tag states: tag open, tag
 * name, the attribute states and self-closing (WHATWG HTML 13.2.5.1,
 * 13.2.5.6-8, 13.2.5.32-40).
 *
 * Each state is a function that reads from buf[*ip] and leaves *ip at the
 * first byte it did not consume (a state that hands a byte on to the next
 * state, "reconsume", leaves it unread).  Which bytes end a name or a
 * value is tag_cc's (tokenizer_internal.h), shared with the fast path.
 */
#include "tokenizer_internal.h"

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
        raw = smo_tok_raw_bytes(t, buf, n, &rawlen);
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
        if (b->name_len == a->name_len &&
            smo_ascii_ci_eq(raw + a->name_off, raw + b->name_off,
                            a->name_len)) {
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

/* ---- the states -------------------------------------------------------- */

/* 13.2.5.1 Data state.  Text runs to the next '<' (no character
 * references: they never move a boundary).  With every lean option on,
 * the fast path steps over what nobody reads first. */
static inline int data_state(smo_tokenizer *t, const char *buf, size_t len,
                             size_t *ip)
{
    size_t i = *ip;
    const char *lt;
    int rv;
    if (t->lean_fast && (i = smo_tok_lean_scan(t, buf, len, i)) == len) {
        *ip = len;
        return 0;
    }
    lt = memchr(buf + i, '<', len - i);
    if (!lt) {
        *ip = len;
        return 0;
    }
    i = (size_t)(lt - buf);
    if ((rv = smo_tok_begin_token(t, buf, ABS(i), P_TAG)) != 0)
        return rv;
    t->state = ST_TAG_OPEN;
    *ip = i + 1;
    return 0;
}

/* 13.2.5.6 Tag open state */
static inline void tag_open_state(smo_tokenizer *t, const char *buf,
                                  size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (c == '!') {
        t->state = ST_MARKUP_DECL_OPEN;
        t->mdo_len = 0;
        *ip = i + 1;
    } else if (c == '/') {
        t->state = ST_END_TAG_OPEN;
        *ip = i + 1;
    } else if (smo_ascii_is_alpha(c)) {
        begin_tag(t, 0);
        t->state = ST_TAG_NAME;
    } else if (c == '?') {
        /* unexpected-question-mark-instead-of-tag-name */
        enter_bogus_comment(t, ABS(i));
    } else {
        /* The '<' was text. */
        t->pending = P_NONE;
        t->state = ST_DATA;
    }
}

/* 13.2.5.7 End tag open state */
static inline int end_tag_open_state(smo_tokenizer *t, const char *buf,
                                     size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    int rv;
    if (smo_ascii_is_alpha(c)) {
        begin_tag(t, 1);
        t->state = ST_TAG_NAME;
    } else if (c == '>') {
        /* missing-end-tag-name: "</>" is no token at all. */
        *ip = ++i;
        if ((rv = smo_tok_flush_text(t, buf, t->tok_start)) != 0)
            return rv;
        t->text_start = ABS(i);
        t->pending = P_NONE;
        t->state = ST_DATA;
    } else {
        /* invalid-first-character-of-tag-name */
        enter_bogus_comment(t, ABS(i));
    }
    return 0;
}

/* 13.2.5.8 Tag name state.  A tag nobody will see (lean mode) goes to
 * ST_SKIP_TAG after its name, where only its end is looked for. */
static inline int tag_name_state(smo_tokenizer *t, const char *buf,
                                 size_t len, size_t *ip)
{
    size_t i = *ip;
    unsigned char c = 0;
    /* The common case: a run of name characters. */
    while (i < len) {
        c = (unsigned char)buf[i];
        if (cc_in(c, CC_TAG_NAME_END))
            break;
        name_add(t, c);
        i++;
    }
    *ip = i;
    if (i == len)
        return 0;
    *ip = ++i;
    if (c == '>')
        return smo_tok_emit_tag(t, buf, i);
    if (t->skip_tags && !t->nested && t->skip_text &&
        skippable(t->tag.name, t->tag.name_len)) {
        /* Nobody will see this tag: find its end, nothing more.  Its
         * bytes need not be kept (P_SKIP). */
        t->pending = P_SKIP;
        t->skip_sub = SK_BEFORE_NAME;
        t->state = ST_SKIP_TAG;
    } else if (c == '/') {
        t->state = ST_SELF_CLOSING_START;
    } else {
        t->state = ST_BEFORE_ATTR_NAME;
    }
    return 0;
}

/* ST_SKIP_TAG: 13.2.5.32-40 folded, as the fast path runs them. */
static inline int skip_tag_state(smo_tokenizer *t, const char *buf,
                                 size_t len, size_t *ip)
{
    if (smo_tok_skip_to_tag_end(buf, len, ip, &t->skip_sub))
        return smo_tok_emit_tag(t, buf, *ip);
    return 0;
}

/* 13.2.5.32 Before attribute name state */
static inline void before_attr_name_state(smo_tokenizer *t, const char *buf,
                                          size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (cc_in(c, CC_SPACE)) {
        *ip = i + 1;
    } else if (cc_in(c, CC_SLASH | CC_GT)) {
        t->state = ST_AFTER_ATTR_NAME;
    } else {
        attr_begin(t, ABS(i));
        t->state = ST_ATTR_NAME;
        if (c == '=')
            *ip = i + 1; /* unexpected-equals-sign-before-attribute-name */
    }
}

/* 13.2.5.33 Attribute name state */
static inline void attr_name_state(smo_tokenizer *t, const char *buf,
                                   size_t len, size_t *ip)
{
    size_t i = *ip;
    while (i < len && !cc_in((unsigned char)buf[i], CC_ATTR_NAME_END))
        i++;
    *ip = i;
    if (i == len)
        return;
    attr_name_end(t, buf, ABS(i));
    if (buf[i] == '=') {
        t->state = ST_BEFORE_ATTR_VALUE;
        *ip = i + 1;
    } else {
        t->state = ST_AFTER_ATTR_NAME;
    }
}

/* 13.2.5.34 After attribute name state */
static inline int after_attr_name_state(smo_tokenizer *t, const char *buf,
                                        size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (cc_in(c, CC_SPACE)) {
        *ip = i + 1;
    } else if (c == '/') {
        t->state = ST_SELF_CLOSING_START;
        *ip = i + 1;
    } else if (c == '=') {
        t->state = ST_BEFORE_ATTR_VALUE;
        *ip = i + 1;
    } else if (c == '>') {
        *ip = ++i;
        return smo_tok_emit_tag(t, buf, i);
    } else {
        attr_begin(t, ABS(i));
        t->state = ST_ATTR_NAME;
    }
    return 0;
}

/* 13.2.5.35 Before attribute value state */
static inline int before_attr_value_state(smo_tokenizer *t, const char *buf,
                                          size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (cc_in(c, CC_SPACE)) {
        *ip = i + 1;
    } else if (c == '"' || c == '\'') {
        *ip = ++i;
        attr_value_begin(t, ABS(i), (char)c);
        t->state = c == '"' ? ST_ATTR_VALUE_DQ : ST_ATTR_VALUE_SQ;
    } else if (c == '>') {
        /* missing-attribute-value */
        attr_value_begin(t, ABS(i), 0);
        attr_value_end(t, ABS(i));
        *ip = ++i;
        return smo_tok_emit_tag(t, buf, i);
    } else {
        attr_value_begin(t, ABS(i), 0);
        t->state = ST_ATTR_VALUE_UQ;
    }
    return 0;
}

/* 13.2.5.36 Attribute value (double-quoted) state and 13.2.5.37
 * Attribute value (single-quoted) state: up to the closing quote. */
static inline void attr_value_quoted_state(smo_tokenizer *t, const char *buf,
                                           size_t len, size_t *ip)
{
    size_t i = *ip;
    const char *q = memchr(buf + i, t->state == ST_ATTR_VALUE_DQ ? '"' : '\'',
                           len - i);
    if (!q) {
        *ip = len;
        return;
    }
    i = (size_t)(q - buf);
    attr_value_end(t, ABS(i));
    *ip = i + 1;
    t->state = ST_AFTER_ATTR_VALUE_QUOTED;
}

/* 13.2.5.38 Attribute value (unquoted) state */
static inline int attr_value_unquoted_state(smo_tokenizer *t,
                                            const char *buf, size_t len,
                                            size_t *ip)
{
    size_t i = *ip;
    while (i < len && !cc_in((unsigned char)buf[i], CC_UQ_VALUE_END))
        i++;
    *ip = i;
    if (i == len)
        return 0;
    attr_value_end(t, ABS(i));
    *ip = i + 1;
    if (buf[i] == '>')
        return smo_tok_emit_tag(t, buf, i + 1);
    t->state = ST_BEFORE_ATTR_NAME;
    return 0;
}

/* 13.2.5.39 After attribute value (quoted) state */
static inline int after_attr_value_quoted_state(smo_tokenizer *t,
                                                const char *buf, size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (cc_in(c, CC_SPACE)) {
        t->state = ST_BEFORE_ATTR_NAME;
        *ip = i + 1;
    } else if (c == '/') {
        t->state = ST_SELF_CLOSING_START;
        *ip = i + 1;
    } else if (c == '>') {
        *ip = ++i;
        return smo_tok_emit_tag(t, buf, i);
    } else {
        /* missing-whitespace-between-attributes */
        t->state = ST_BEFORE_ATTR_NAME;
    }
    return 0;
}

/* 13.2.5.40 Self-closing start tag state */
static inline int self_closing_start_state(smo_tokenizer *t, const char *buf,
                                           size_t *ip)
{
    size_t i = *ip;
    if (buf[i] == '>') {
        t->tag.self_closing = 1;
        *ip = ++i;
        return smo_tok_emit_tag(t, buf, i);
    }
    t->state = ST_BEFORE_ATTR_NAME;
    return 0;
}

int smo_tok_run_tag(smo_tokenizer *t, const char *buf, size_t len,
                    size_t *ip)
{
    size_t i = *ip;
    int rv = 0;
    while (rv == 0 && i < len) {
        switch (t->state) {
        case ST_DATA:
            rv = data_state(t, buf, len, &i);
            break;
        case ST_TAG_OPEN:
            tag_open_state(t, buf, &i);
            break;
        case ST_END_TAG_OPEN:
            rv = end_tag_open_state(t, buf, &i);
            break;
        case ST_TAG_NAME:
            rv = tag_name_state(t, buf, len, &i);
            break;
        case ST_SKIP_TAG:
            rv = skip_tag_state(t, buf, len, &i);
            break;
        case ST_BEFORE_ATTR_NAME:
            before_attr_name_state(t, buf, &i);
            break;
        case ST_ATTR_NAME:
            attr_name_state(t, buf, len, &i);
            break;
        case ST_AFTER_ATTR_NAME:
            rv = after_attr_name_state(t, buf, &i);
            break;
        case ST_BEFORE_ATTR_VALUE:
            rv = before_attr_value_state(t, buf, &i);
            break;
        case ST_ATTR_VALUE_DQ:
        case ST_ATTR_VALUE_SQ:
            attr_value_quoted_state(t, buf, len, &i);
            break;
        case ST_ATTR_VALUE_UQ:
            rv = attr_value_unquoted_state(t, buf, len, &i);
            break;
        case ST_AFTER_ATTR_VALUE_QUOTED:
            rv = after_attr_value_quoted_state(t, buf, &i);
            break;
        case ST_SELF_CLOSING_START:
            rv = self_closing_start_state(t, buf, &i);
            break;
        default:
            /* Another family's state: back to the run loop. */
            *ip = i;
            return 0;
        }
    }
    *ip = i;
    return rv;
}
