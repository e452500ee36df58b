/* tokenizer_markup.c — markup declarations: what follows "<!" (comments,
 * DOCTYPE, CDATA sections) and the bogus comment that a malformed tag
 * opening becomes (WHATWG HTML 13.2.5.41-71).
 *
 * Left out on purpose, because they move no token boundary: the comment
 * "less-than sign" states (13.2.5.46-49 only report nested-comment
 * errors) and the DOCTYPE sub-states while streaming (13.2.5.54-68 all
 * end at the first '>'; smo_doctype_parse() reads the fields from the
 * complete token afterwards).
 */
#include "tokenizer_internal.h"

/* 13.2.5.42 Markup declaration open state.  After "<!": "--", "DOCTYPE"
 * (any case) or, in foreign content, "[CDATA[".  Anything else opens a
 * bogus comment whose data starts right after "<!"; none of the matched
 * bytes can be '>' so nothing needs to be read twice. */
static inline void markup_decl_open_state(smo_tokenizer *t, const char *buf,
                                          size_t *ip)
{
    static const char doctype[] = "doctype", cdata[] = "[CDATA[";
    size_t i = *ip;
    unsigned n = t->mdo_len;
    int dash = n < 2, doc = n < 7, cd = n < 7 && t->foreign;
    t->mdo[n] = buf[i];
    for (unsigned k = 0; k <= n; k++) {
        unsigned char m = (unsigned char)t->mdo[k];
        dash = dash && m == '-';
        doc = doc && smo_ascii_lower(m) == (unsigned char)doctype[k];
        cd = cd && m == (unsigned char)cdata[k];
    }
    if (!(dash || doc || cd)) {
        /* incorrectly-opened-comment */
        enter_bogus_comment(t, t->tok_start + 2);
        return;
    }
    t->mdo_len = ++n;
    *ip = ++i;
    if (dash && n == 2) {
        enter_comment(t, ABS(i), ST_COMMENT_START);
    } else if (doc && n == 7) {
        t->pending = P_DOCTYPE;
        t->state = ST_DOCTYPE;
    } else if (cd && n == 7) {
        t->pending = P_CDATA;
        t->data_start = ABS(i);
        t->state = ST_CDATA;
    }
}

/* 13.2.5.41 Bogus comment state: up to the first '>'. */
static inline int bogus_comment_state(smo_tokenizer *t, const char *buf,
                                      size_t len, size_t *ip)
{
    const char *gt = memchr(buf + *ip, '>', len - *ip);
    size_t i;
    if (!gt) {
        *ip = len;
        return 0;
    }
    *ip = i = (size_t)(gt - buf) + 1;
    return smo_tok_emit_simple(t, buf, SMO_TOKEN_COMMENT, i, ABS(i - 1), 0);
}

/* 13.2.5.43 Comment start state and 13.2.5.44 Comment start dash state:
 * "<!-->" and "<!--->" are whole (empty) comments. */
static inline int comment_start_state(smo_tokenizer *t, const char *buf,
                                      size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '-') {
        if (t->state == ST_COMMENT_START) {
            t->state = ST_COMMENT_START_DASH;
        } else {
            t->state = ST_COMMENT_END;
            t->cmt_trail = 2;
        }
        ++*ip;
    } else if (c == '>') {
        /* abrupt-closing-of-empty-comment */
        t->cmt_abrupt = 1;
        return emit_comment(t, buf, ++*ip, 0, 0);
    } else {
        t->state = ST_COMMENT;
    }
    return 0;
}

/* 13.2.5.45 Comment state: up to the next '-' (the less-than sign states
 * are left out, see above). */
static inline void comment_state(smo_tokenizer *t, const char *buf,
                                 size_t len, size_t *ip)
{
    const char *d = memchr(buf + *ip, '-', len - *ip);
    if (!d) {
        *ip = len;
        return;
    }
    *ip = (size_t)(d - buf) + 1;
    t->state = ST_COMMENT_END_DASH;
    t->cmt_trail = 1;
}

/* 13.2.5.50 Comment end dash state */
static inline void comment_end_dash_state(smo_tokenizer *t, const char *buf,
                                          size_t *ip)
{
    if (buf[*ip] == '-') {
        t->state = ST_COMMENT_END;
        t->cmt_trail = 2;
        ++*ip;
    } else {
        t->state = ST_COMMENT;
        t->cmt_trail = 0;
    }
}

/* 13.2.5.51 Comment end state */
static inline int comment_end_state(smo_tokenizer *t, const char *buf,
                                    size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '>') {
        return emit_comment(t, buf, ++*ip, 1, 0);
    } else if (c == '!') {
        t->state = ST_COMMENT_END_BANG;
        t->cmt_trail = 3;
        ++*ip;
    } else if (c == '-') {
        ++*ip; /* one more dash of data, still two pending */
    } else {
        t->state = ST_COMMENT;
        t->cmt_trail = 0;
    }
    return 0;
}

/* 13.2.5.52 Comment end bang state */
static inline int comment_end_bang_state(smo_tokenizer *t, const char *buf,
                                         size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '-') {
        t->state = ST_COMMENT_END_DASH;
        t->cmt_trail = 1;
        ++*ip;
    } else if (c == '>') {
        return emit_comment(t, buf, ++*ip, 1, 0);
    } else {
        t->state = ST_COMMENT;
        t->cmt_trail = 0;
    }
    return 0;
}

/* 13.2.5.53 DOCTYPE state, with 13.2.5.54-68 folded in: every one of them
 * ends at the first '>'. */
static inline int doctype_state(smo_tokenizer *t, const char *buf,
                                size_t len, size_t *ip)
{
    const char *gt = memchr(buf + *ip, '>', len - *ip);
    size_t i;
    if (!gt) {
        *ip = len;
        return 0;
    }
    *ip = i = (size_t)(gt - buf) + 1;
    return smo_tok_emit_simple(t, buf, SMO_TOKEN_DOCTYPE, i, ABS(i), 0);
}

/* 13.2.5.69 CDATA section state */
static inline void cdata_state(smo_tokenizer *t, const char *buf, size_t len,
                               size_t *ip)
{
    const char *b = memchr(buf + *ip, ']', len - *ip);
    if (!b) {
        *ip = len;
        return;
    }
    *ip = (size_t)(b - buf) + 1;
    t->state = ST_CDATA_BRACKET;
}

/* 13.2.5.70 CDATA section bracket state */
static inline void cdata_bracket_state(smo_tokenizer *t, const char *buf,
                                       size_t *ip)
{
    if (buf[*ip] == ']') {
        t->state = ST_CDATA_END;
        ++*ip;
    } else {
        t->state = ST_CDATA;
    }
}

/* 13.2.5.71 CDATA section end state */
static inline int cdata_end_state(smo_tokenizer *t, const char *buf,
                                  size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    if (c == '>') {
        *ip = ++i;
        return smo_tok_emit_simple(t, buf, SMO_TOKEN_CDATA, i, ABS(i - 3), 0);
    } else if (c == ']') {
        *ip = i + 1;
    } else {
        t->state = ST_CDATA;
    }
    return 0;
}

int smo_tok_run_markup(smo_tokenizer *t, const char *buf, size_t len,
                       size_t *ip)
{
    size_t i = *ip;
    int rv = 0;
    while (rv == 0 && i < len) {
        switch (t->state) {
        case ST_MARKUP_DECL_OPEN:
            markup_decl_open_state(t, buf, &i);
            break;
        case ST_BOGUS_COMMENT:
            rv = bogus_comment_state(t, buf, len, &i);
            break;
        case ST_COMMENT_START:
        case ST_COMMENT_START_DASH:
            rv = comment_start_state(t, buf, &i);
            break;
        case ST_COMMENT:
            comment_state(t, buf, len, &i);
            break;
        case ST_COMMENT_END_DASH:
            comment_end_dash_state(t, buf, &i);
            break;
        case ST_COMMENT_END:
            rv = comment_end_state(t, buf, &i);
            break;
        case ST_COMMENT_END_BANG:
            rv = comment_end_bang_state(t, buf, &i);
            break;
        case ST_DOCTYPE:
            rv = doctype_state(t, buf, len, &i);
            break;
        case ST_CDATA:
            cdata_state(t, buf, len, &i);
            break;
        case ST_CDATA_BRACKET:
            cdata_bracket_state(t, buf, &i);
            break;
        case ST_CDATA_END:
            rv = cdata_end_state(t, buf, &i);
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

/* ---- DOCTYPE fields (13.2.5.54-68, on the complete token) -------------- */

void smo_doctype_parse(const char *raw, size_t len, smo_doctype *d)
{
    size_t i = 9; /* "<!DOCTYPE" */
    int eof, pub;
    memset(d, 0, sizeof(*d));
    eof = !(len > i && raw[len - 1] == '>');
    if (!eof)
        len--;
#define WS() while (i < len && smo_ascii_is_space((unsigned char)raw[i])) i++
    WS();
    if (i >= len) {
        d->force_quirks = 1; /* missing-doctype-name, or eof */
        return;
    }
    d->has_name = 1;
    d->name_off = i;
    while (i < len && !smo_ascii_is_space((unsigned char)raw[i]))
        i++;
    d->name_len = i - d->name_off;
    WS();
    if (i >= len) {
        d->force_quirks = eof;
        return;
    }
    pub = len - i >= 6 && smo_ascii_ci_eq_lower(raw + i, "public", 6);
    if (!pub &&
        !(len - i >= 6 && smo_ascii_ci_eq_lower(raw + i, "system", 6))) {
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
