/* tokenizer_fast.c — the fast path: the body of a page once only a few
 * tags matter (smo_tokenizer_set_lean), stepped over without recording
 * anything, where the state machine would end up the same.
 *
 * It walks the same grammar as the full states, by the byte classes of
 * tokenizer_internal.h (tag_cc and its CC_* sets, and name_stop_mask for
 * sixteen bytes at a time), only with the attribute states folded into
 * the few that decide where quotes open and close and where '>' ends the
 * tag (WHATWG HTML 13.2.5.32-40).  A text element or a comment is skipped
 * whole by what ends it (13.2.5.2-27, 13.2.5.43-52).
 */
#include "tokenizer_internal.h"

/* The end of a run of name bytes from p: the first byte in `stop`
 * (CC_TAG_NAME_END or CC_FAST_NAME_END), or end. */
static inline const char *scan_name(const char *p, const char *end,
                                    unsigned stop)
{
#if defined(__SSE2__)
    int attr = stop == CC_FAST_NAME_END;
    for (; end - p >= 16; p += 16) {
        unsigned m = name_stop_mask(
            _mm_loadu_si128((const __m128i *)(const void *)p), attr);
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && !cc_in((unsigned char)*p, stop))
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
        while (p < end && cc_in((unsigned char)*p, CC_BEFORE_NAME_SKIP))
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
        p = scan_name(p, end, CC_FAST_NAME_END);
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
        while (p < end && cc_in((unsigned char)*p, CC_SPACE))
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
        while (p < end && !cc_in((unsigned char)*p, CC_UQ_VALUE_END))
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
        if (k == name_len && cc_in((unsigned char)q[2 + k], CC_TAG_NAME_END)) {
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
        lname[i] = (char)smo_ascii_lower((unsigned char)name[i]);
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
size_t smo_tok_lean_scan(smo_tokenizer *t, const char *buf, size_t len,
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
        if (!smo_ascii_is_alpha(c)) {
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
                  : (size_t)(scan_name(lt + 17, buf + len, CC_TAG_NAME_END) -
                             buf);
        } else
#endif
            n = (size_t)(scan_name(buf + n, buf + len, CC_TAG_NAME_END) -
                         buf);
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


/* ST_SKIP_TAG (tokenizer_tag.c): the same walk, resumed chunk by chunk. */
int smo_tok_skip_to_tag_end(const char *buf, size_t len, size_t *ip,
                            unsigned *sub)
{
    return skip_to_tag_end(buf, len, ip, sub);
}
