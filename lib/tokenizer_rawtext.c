/* tokenizer_rawtext.c — the text states other than data: RCDATA, RAWTEXT,
 * script data and PLAINTEXT, with their less-than-sign, end-tag and
 * script escape states (WHATWG HTML 13.2.5.2-5, 13.2.5.9-31).
 *
 * RCDATA, RAWTEXT and script data have the same three end-tag states
 * (13.2.5.9-11, 12-14, 15-17), written once here: t->text_state says
 * which text state they fall back to.  An appropriate end tag goes on to
 * the attribute states of tokenizer_tag.c like any end tag.
 */
#include "tokenizer_internal.h"

static const char SCRIPT[] = "script";

/* Appropriate end tag name: the letters read so far match the last start
 * tag.  t->temp_len counts them; t->temp_match says whether they match. */
static inline void end_name_add(smo_tokenizer *t, unsigned char c)
{
    if (t->temp_len >= t->last_start_len ||
        smo_ascii_lower(c) != (unsigned char)t->last_start[t->temp_len])
        t->temp_match = 0;
    t->temp_len++;
    name_add(t, c);
}

static inline int end_name_appropriate(const smo_tokenizer *t)
{
    return t->temp_match && t->temp_len == t->last_start_len &&
           t->last_start_len > 0;
}

/* The script double-escape temporary buffer, matched against "script". */
static inline void script_temp_add(smo_tokenizer *t, unsigned char c)
{
    if (t->temp_len >= 6 ||
        smo_ascii_lower(c) != (unsigned char)SCRIPT[t->temp_len])
        t->temp_match = 0;
    t->temp_len++;
}

static inline int script_temp_is_script(const smo_tokenizer *t)
{
    return t->temp_match && t->temp_len == 6;
}

/* 13.2.5.2 RCDATA state, 13.2.5.3 RAWTEXT state, 13.2.5.4 Script data
 * state: text up to a '<' that may open an end tag. */
static inline int raw_text_state(smo_tokenizer *t, const char *buf,
                                 size_t len, size_t *ip)
{
    const char *lt = memchr(buf + *ip, '<', len - *ip);
    size_t i;
    int rv;
    if (!lt) {
        *ip = len;
        return 0;
    }
    i = (size_t)(lt - buf);
    if ((rv = smo_tok_begin_token(t, buf, ABS(i), P_TAG)) != 0)
        return rv;
    t->state = ST_RAW_LT;
    *ip = i + 1;
    return 0;
}

/* 13.2.5.9 RCDATA less-than sign state, 13.2.5.12 RAWTEXT less-than sign
 * state, 13.2.5.15 Script data less-than sign state */
static inline void raw_lt_state(smo_tokenizer *t, const char *buf,
                                size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '/') {
        t->state = ST_RAW_END_TAG_OPEN;
        ++*ip;
    } else if (c == '!' && t->text_state == ST_SCRIPT) {
        t->pending = P_NONE;
        t->state = ST_SCRIPT_ESCAPE_START;
        ++*ip;
    } else {
        t->pending = P_NONE;
        t->state = t->text_state;
    }
}

/* 13.2.5.10 RCDATA end tag open state, 13.2.5.13 RAWTEXT end tag open
 * state, 13.2.5.16 Script data end tag open state, and 13.2.5.24 Script
 * data escaped end tag open state. */
static inline void raw_end_tag_open_state(smo_tokenizer *t, const char *buf,
                                          size_t *ip)
{
    int escaped = t->state == ST_SCRIPT_ESCAPED_END_TAG_OPEN;
    if (smo_ascii_is_alpha((unsigned char)buf[*ip])) {
        begin_tag(t, 1);
        t->temp_len = 0;
        t->temp_match = 1;
        t->state = escaped ? ST_SCRIPT_ESCAPED_END_TAG_NAME
                           : ST_RAW_END_TAG_NAME;
    } else {
        t->pending = P_NONE;
        t->state = escaped ? ST_SCRIPT_ESCAPED : t->text_state;
    }
}

/* 13.2.5.11 RCDATA end tag name state, 13.2.5.14 RAWTEXT end tag name
 * state, 13.2.5.17 Script data end tag name state, and 13.2.5.25 Script
 * data escaped end tag name state. */
static inline int raw_end_tag_name_state(smo_tokenizer *t, const char *buf,
                                         size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    enum state fallback = t->state == ST_RAW_END_TAG_NAME ? t->text_state
                                                          : ST_SCRIPT_ESCAPED;
    if (smo_ascii_is_alpha(c)) {
        end_name_add(t, c);
        if (t->temp_match) {
            *ip = i + 1;
            return 0;
        }
        /* It can no longer be the appropriate end tag, so it is text, and
         * so would be the letters that follow. */
    } else if (end_name_appropriate(t)) {
        if (c == '>') {
            *ip = ++i;
            return smo_tok_emit_tag(t, buf, i);
        }
        if (cc_in(c, CC_SLASH | CC_SPACE)) {
            t->state = c == '/' ? ST_SELF_CLOSING_START : ST_BEFORE_ATTR_NAME;
            *ip = i + 1;
            return 0;
        }
    }
    t->pending = P_NONE;
    t->state = fallback;
    return 0;
}

/* 13.2.5.18 Script data escape start state and 13.2.5.19 Script data
 * escape start dash state: "<!" then "--". */
static inline void script_escape_start_state(smo_tokenizer *t,
                                             const char *buf, size_t *ip)
{
    if (buf[*ip] == '-') {
        t->state = t->state == ST_SCRIPT_ESCAPE_START
                       ? ST_SCRIPT_ESCAPE_START_DASH
                       : ST_SCRIPT_ESCAPED_DASH_DASH;
        ++*ip;
    } else {
        t->state = ST_SCRIPT;
    }
}

/* 13.2.5.20 Script data escaped state */
static inline int script_escaped_state(smo_tokenizer *t, const char *buf,
                                       size_t len, size_t *ip)
{
    size_t i = (size_t)(find_byte2(buf + *ip, buf + len, '-', '<') - buf);
    int rv;
    *ip = i;
    if (i == len)
        return 0;
    if (buf[i] == '-') {
        t->state = ST_SCRIPT_ESCAPED_DASH;
    } else {
        if ((rv = smo_tok_begin_token(t, buf, ABS(i), P_TAG)) != 0)
            return rv;
        t->state = ST_SCRIPT_ESCAPED_LT;
    }
    *ip = i + 1;
    return 0;
}

/* 13.2.5.21 Script data escaped dash state and 13.2.5.22 Script data
 * escaped dash dash state */
static inline int script_escaped_dash_state(smo_tokenizer *t,
                                            const char *buf, size_t *ip)
{
    size_t i = *ip;
    unsigned char c = (unsigned char)buf[i];
    int rv;
    if (c == '-') {
        t->state = ST_SCRIPT_ESCAPED_DASH_DASH;
    } else if (c == '<') {
        if ((rv = smo_tok_begin_token(t, buf, ABS(i), P_TAG)) != 0)
            return rv;
        t->state = ST_SCRIPT_ESCAPED_LT;
    } else if (c == '>' && t->state == ST_SCRIPT_ESCAPED_DASH_DASH) {
        t->state = ST_SCRIPT;
    } else {
        t->state = ST_SCRIPT_ESCAPED;
    }
    *ip = i + 1;
    return 0;
}

/* 13.2.5.23 Script data escaped less-than sign state */
static inline void script_escaped_lt_state(smo_tokenizer *t, const char *buf,
                                           size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '/') {
        t->state = ST_SCRIPT_ESCAPED_END_TAG_OPEN;
        ++*ip;
    } else if (smo_ascii_is_alpha(c)) {
        t->pending = P_NONE;
        t->temp_len = 0;
        t->temp_match = 1;
        t->state = ST_SCRIPT_DOUBLE_ESCAPE_START;
    } else {
        t->pending = P_NONE;
        t->state = ST_SCRIPT_ESCAPED;
    }
}

/* 13.2.5.26 Script data double escape start state and 13.2.5.31 Script
 * data double escape end state: "script" in or out of double escaping. */
static inline void script_double_escape_edge_state(smo_tokenizer *t,
                                                   const char *buf,
                                                   size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    int start = t->state == ST_SCRIPT_DOUBLE_ESCAPE_START;
    if (cc_in(c, CC_TAG_NAME_END)) {
        int into_double = script_temp_is_script(t) ? start : !start;
        t->state = into_double ? ST_SCRIPT_DOUBLE_ESCAPED : ST_SCRIPT_ESCAPED;
        ++*ip;
    } else if (smo_ascii_is_alpha(c)) {
        script_temp_add(t, c);
        ++*ip;
    } else {
        t->state = start ? ST_SCRIPT_ESCAPED : ST_SCRIPT_DOUBLE_ESCAPED;
    }
}

/* 13.2.5.27 Script data double escaped state */
static inline void script_double_escaped_state(smo_tokenizer *t,
                                               const char *buf, size_t len,
                                               size_t *ip)
{
    size_t i = (size_t)(find_byte2(buf + *ip, buf + len, '-', '<') - buf);
    *ip = i;
    if (i == len)
        return;
    t->state = buf[i] == '-' ? ST_SCRIPT_DOUBLE_ESCAPED_DASH
                             : ST_SCRIPT_DOUBLE_ESCAPED_LT;
    *ip = i + 1;
}

/* 13.2.5.28 Script data double escaped dash state and 13.2.5.29 Script
 * data double escaped dash dash state */
static inline void script_double_escaped_dash_state(smo_tokenizer *t,
                                                    const char *buf,
                                                    size_t *ip)
{
    unsigned char c = (unsigned char)buf[*ip];
    if (c == '-')
        t->state = ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH;
    else if (c == '<')
        t->state = ST_SCRIPT_DOUBLE_ESCAPED_LT;
    else if (c == '>' && t->state == ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH)
        t->state = ST_SCRIPT;
    else
        t->state = ST_SCRIPT_DOUBLE_ESCAPED;
    ++*ip;
}

/* 13.2.5.30 Script data double escaped less-than sign state */
static inline void script_double_escaped_lt_state(smo_tokenizer *t,
                                                  const char *buf,
                                                  size_t *ip)
{
    if (buf[*ip] == '/') {
        t->temp_len = 0;
        t->temp_match = 1;
        t->state = ST_SCRIPT_DOUBLE_ESCAPE_END;
        ++*ip;
    } else {
        t->state = ST_SCRIPT_DOUBLE_ESCAPED;
    }
}

int smo_tok_run_rawtext(smo_tokenizer *t, const char *buf, size_t len,
                        size_t *ip)
{
    size_t i = *ip;
    int rv = 0;
    while (rv == 0 && i < len) {
        switch (t->state) {
        case ST_RCDATA:
        case ST_RAWTEXT:
        case ST_SCRIPT:
            rv = raw_text_state(t, buf, len, &i);
            break;
        case ST_PLAINTEXT:
            /* 13.2.5.5 PLAINTEXT state: nothing ends it. */
            i = len;
            break;
        case ST_RAW_LT:
            raw_lt_state(t, buf, &i);
            break;
        case ST_RAW_END_TAG_OPEN:
        case ST_SCRIPT_ESCAPED_END_TAG_OPEN:
            raw_end_tag_open_state(t, buf, &i);
            break;
        case ST_RAW_END_TAG_NAME:
        case ST_SCRIPT_ESCAPED_END_TAG_NAME:
            rv = raw_end_tag_name_state(t, buf, &i);
            break;
        case ST_SCRIPT_ESCAPE_START:
        case ST_SCRIPT_ESCAPE_START_DASH:
            script_escape_start_state(t, buf, &i);
            break;
        case ST_SCRIPT_ESCAPED:
            rv = script_escaped_state(t, buf, len, &i);
            break;
        case ST_SCRIPT_ESCAPED_DASH:
        case ST_SCRIPT_ESCAPED_DASH_DASH:
            rv = script_escaped_dash_state(t, buf, &i);
            break;
        case ST_SCRIPT_ESCAPED_LT:
            script_escaped_lt_state(t, buf, &i);
            break;
        case ST_SCRIPT_DOUBLE_ESCAPE_START:
        case ST_SCRIPT_DOUBLE_ESCAPE_END:
            script_double_escape_edge_state(t, buf, &i);
            break;
        case ST_SCRIPT_DOUBLE_ESCAPED:
            script_double_escaped_state(t, buf, len, &i);
            break;
        case ST_SCRIPT_DOUBLE_ESCAPED_DASH:
        case ST_SCRIPT_DOUBLE_ESCAPED_DASH_DASH:
            script_double_escaped_dash_state(t, buf, &i);
            break;
        case ST_SCRIPT_DOUBLE_ESCAPED_LT:
            script_double_escaped_lt_state(t, buf, &i);
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
