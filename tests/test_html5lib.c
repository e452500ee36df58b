/* test_html5lib.c — the html5lib tokenizer suite against lib/tokenizer.c.
 *
 * Every test of every .test file in SMO_HTML5LIB_DIR is run once per
 * initial state it lists (one Check test per such case), with the whole
 * input in one chunk, then fed a byte at a time and split in two at every
 * offset: the tokens must not depend on the chunking.  Our tokenizer
 * reports byte ranges, not strings, so this harness builds the html5lib
 * token list from them the way a consumer of lib/ would: tag and attribute
 * names from the raw tag bytes, attribute values and text decoded with
 * smo_html_decode(), comment data from [data_start, data_end).
 *
 * The input is fed as the raw bytes (CR included): the module never
 * normalizes newlines, so the tokenizer must treat CR as the spec's input
 * preprocessing would; the strings we build are then normalized (CRLF and
 * CR to LF) before comparing with the expected tokens.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "smo_tokenizer.h"
#include "smo_escape.h"
#include "json.h"
#include "toolkit.h"

#ifndef SMO_HTML5LIB_DIR
#define SMO_HTML5LIB_DIR ""
#endif

/* One html5lib test run in one initial state. */
typedef struct {
    const char *file;
    const char *desc;
    const char *state_name;
    smo_text_state state;
    const char *input;          /* after the doubleEscaped round, if any */
    size_t input_len;
    const char *last_start_tag; /* "" when the test gives none */
    const char *expected;       /* serialized token list */
    /* Character data decodes a reference smo_html_decode() does not know:
     * only the other tokens are compared. */
    int chars_unchecked;
} h5case;

/* Built by main() before the runner starts, read-only afterwards. */
static h5case *cases;
static size_t n_cases;
static apr_pool_t *root_pool;

/* ---- string building ------------------------------------------------ */

/* Append s as a JSON string, escaping everything but printable ASCII so
 * that failures read well in a log; invalid UTF-8 shows as \xNN. */
static void buf_json(tk_buf *b, const char *s, size_t n)
{
    char tmp[32];
    tk_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tk_buf_add(b, tmp, 2);
            i++;
            continue;
        }
        if (c >= 0x20 && c < 0x7F) {
            tk_buf_add(b, (const char *)&s[i], 1);
            i++;
            continue;
        }
        unsigned long cp = c;
        size_t need = 0;
        if (c >= 0xC2 && c <= 0xDF) { cp = c & 0x1F; need = 1; }
        else if (c >= 0xE0 && c <= 0xEF) { cp = c & 0x0F; need = 2; }
        else if (c >= 0xF0 && c <= 0xF4) { cp = c & 0x07; need = 3; }
        if (c >= 0x80 && need == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02X", c);
            tk_buf_str(b, tmp);
            i++;
            continue;
        }
        size_t k;
        for (k = 1; k <= need; k++) {
            if (i + k >= n || ((unsigned char)s[i + k] & 0xC0) != 0x80)
                break;
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        }
        if (k <= need) {
            snprintf(tmp, sizeof tmp, "\\x%02X", c);
            tk_buf_str(b, tmp);
            i++;
            continue;
        }
        if (cp >= 0x10000) {
            unsigned long v = cp - 0x10000;
            snprintf(tmp, sizeof tmp, "\\u%04lX\\u%04lX",
                     0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
        }
        else {
            snprintf(tmp, sizeof tmp, "\\u%04lX", cp);
        }
        tk_buf_str(b, tmp);
        i += need + 1;
    }
    tk_buf_add(b, "\"", 1);
}

/* CRLF and lone CR become LF (the spec's input stream preprocessing). */
static char *normalize_newlines(apr_pool_t *p, const char *s, size_t n,
                                size_t *out_len)
{
    char *out = apr_palloc(p, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            out[k++] = '\n';
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
        }
        else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* NUL becomes U+FFFD; with `lower`, ASCII letters are lowercased (tag and
 * attribute names). */
static char *fix_nul(apr_pool_t *p, const char *s, size_t n, int lower,
                     size_t *out_len)
{
    char *out = apr_palloc(p, 3 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\0') {
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3;
            continue;
        }
        if (lower && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[k++] = c;
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* ---- serialized tokens -------------------------------------------------
 * Both sides are written as one line per token, in html5lib's JSON form,
 * attributes sorted by name, so that comparing is comparing strings and a
 * failure can print both lists. */

typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} attr_pair;

static int attr_cmp(const void *a, const void *b)
{
    const attr_pair *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static void ser_start_tag(tk_buf *b, const char *name, size_t name_len,
                          attr_pair *attrs, size_t n, int self_closing)
{
    tk_buf_str(b, "[\"StartTag\",");
    buf_json(b, name, name_len);
    tk_buf_str(b, ",{");
    qsort(attrs, n, sizeof *attrs, attr_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            tk_buf_str(b, ",");
        buf_json(b, attrs[i].name, attrs[i].name_len);
        tk_buf_str(b, ":");
        buf_json(b, attrs[i].value, attrs[i].value_len);
    }
    tk_buf_str(b, self_closing ? "},true]\n" : "}]\n");
}

static void ser_simple(tk_buf *b, const char *type, const char *s, size_t n)
{
    tk_buf_str(b, "[\"");
    tk_buf_str(b, type);
    tk_buf_str(b, "\",");
    buf_json(b, s, n);
    tk_buf_str(b, "]\n");
}

/* ---- the expected side ---------------------------------------------- */

static const char *jstr(apr_pool_t *p, const json_value *v, int dbl,
                        size_t *len)
{
    if (!v || v->type != JSON_STRING) {
        *len = 0;
        return NULL;
    }
    if (dbl)
        return json_unescape_u(p, v->str, v->len, len);
    *len = v->len;
    return v->str;
}

/* Serialize html5lib's expected output; NULL (with *why) if a token has a
 * form this harness does not know. */
static const char *expected_tokens(apr_pool_t *p, const json_value *out,
                                   int dbl, const char **why)
{
    tk_buf b = { 0 };
    tk_buf chars = { 0 };
    int have_chars = 0;
    const char *res;

    for (size_t i = 0; i < out->n; i++) {
        const json_value *tok = out->items[i];
        const char *type;
        size_t n;
        if (tok->type != JSON_ARRAY || tok->n < 1
            || tok->items[0]->type != JSON_STRING) {
            *why = "malformed expected token";
            goto bad;
        }
        type = tok->items[0]->str;
        if (strcmp(type, "Character") == 0) {
            const char *s = jstr(p, tok->n > 1 ? tok->items[1] : NULL, dbl, &n);
            if (!s) {
                *why = "malformed Character token";
                goto bad;
            }
            /* html5lib coalesces adjacent character tokens; so do we. */
            tk_buf_add(&chars, s, n);
            have_chars = 1;
            continue;
        }
        if (have_chars) {
            ser_simple(&b, "Character", chars.s, chars.len);
            chars.len = 0;
            have_chars = 0;
        }
        if (strcmp(type, "StartTag") == 0 && tok->n >= 3
            && tok->items[2]->type == JSON_OBJECT) {
            const json_value *obj = tok->items[2];
            attr_pair *attrs = apr_pcalloc(p, (obj->n + 1) * sizeof *attrs);
            size_t name_len;
            const char *name = jstr(p, tok->items[1], dbl, &name_len);
            for (size_t k = 0; k < obj->n; k++) {
                if (dbl)
                    attrs[k].name = json_unescape_u(p, obj->keys[k],
                                                    obj->key_lens[k],
                                                    &attrs[k].name_len);
                else {
                    attrs[k].name = obj->keys[k];
                    attrs[k].name_len = obj->key_lens[k];
                }
                attrs[k].value = jstr(p, obj->items[k], dbl,
                                      &attrs[k].value_len);
                if (!attrs[k].value || !name) {
                    *why = "malformed StartTag token";
                    goto bad;
                }
            }
            ser_start_tag(&b, name, name_len, attrs, obj->n,
                          tok->n >= 4 && tok->items[3]->type == JSON_TRUE);
        }
        else if (strcmp(type, "EndTag") == 0 && tok->n >= 2) {
            const char *s = jstr(p, tok->items[1], dbl, &n);
            if (!s) {
                *why = "malformed EndTag token";
                goto bad;
            }
            ser_simple(&b, "EndTag", s, n);
        }
        else if (strcmp(type, "Comment") == 0 && tok->n >= 2) {
            const char *s = jstr(p, tok->items[1], dbl, &n);
            if (!s) {
                *why = "malformed Comment token";
                goto bad;
            }
            ser_simple(&b, "Comment", s, n);
        }
        else if (strcmp(type, "DOCTYPE") == 0 && tok->n >= 5) {
            tk_buf_str(&b, "[\"DOCTYPE\"");
            for (size_t k = 1; k < 4; k++) {
                const char *s = jstr(p, tok->items[k], dbl, &n);
                tk_buf_str(&b, ",");
                if (s)
                    buf_json(&b, s, n);
                else
                    tk_buf_str(&b, "null");
            }
            tk_buf_str(&b, tok->items[4]->type == JSON_TRUE ? ",true]\n"
                                                         : ",false]\n");
        }
        else {
            *why = apr_psprintf(p, "unknown expected token type %s", type);
            goto bad;
        }
    }
    if (have_chars)
        ser_simple(&b, "Character", chars.s, chars.len);
    res = apr_pstrdup(p, b.s ? b.s : "");
    tk_buf_free(&b);
    tk_buf_free(&chars);
    return res;
bad:
    tk_buf_free(&b);
    tk_buf_free(&chars);
    return NULL;
}

/* ---- the actual side -------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *input;
    size_t input_len;
    smo_text_state state;   /* the text state the tokenizer is in */
    tk_buf out;                /* serialized tokens */
    tk_buf chars;              /* character data decoded so far */
    size_t run_start, run_end; /* raw text not yet decoded */
    int have_run;
    uint64_t covered;       /* end of the last token: bytes seen so far */
    tk_buf errors;             /* what broke the tokenizer's own contract */
    tk_buf gaps;               /* input bytes reported in no token */
} collector;

static void note_error(collector *c, const char *msg)
{
    if (c->errors.len < 2000) {
        tk_buf_str(&c->errors, msg);
        tk_buf_str(&c->errors, "; ");
    }
}

/* A lone surrogate, which json.c keeps as its WTF-8 bytes. */
static int is_surrogate(const char *s, size_t n)
{
    return n >= 3 && (unsigned char)s[0] == 0xED
           && (unsigned char)s[1] >= 0xA0 && (unsigned char)s[1] <= 0xBF;
}

/* smo_html_decode() the text, but keep lone surrogates (and, with
 * `keep_nul`, NUL bytes) as they are: the decoder replaces invalid UTF-8,
 * while the spec's tokenizer passes them on, and no reference can contain
 * them. */
static void decode_text(collector *c, const char *raw, size_t n,
                        int keep_nul)
{
    size_t i = 0, k = 0;
    while (k <= n) {
        size_t skip = 0;
        if (k < n && keep_nul && raw[k] == '\0')
            skip = 1;
        else if (k < n && is_surrogate(raw + k, n - k))
            skip = 3;
        if (k < n && !skip) {
            k++;
            continue;
        }
        if (k > i)
            tk_buf_str(&c->chars, smo_html_decode(c->p, raw + i, k - i, 0));
        if (k == n)
            break;
        tk_buf_add(&c->chars, raw + k, skip);
        k += skip;
        i = k;
    }
}

/* Decode the pending raw text as the spec's tokenizer would have emitted
 * it in the current state, and add it to the character data. */
static void flush_run(collector *c)
{
    size_t n, k;
    const char *raw, *s;

    if (!c->have_run)
        return;
    c->have_run = 0;
    raw = normalize_newlines(c->p, c->input + c->run_start,
                             c->run_end - c->run_start, &n);
    switch (c->state) {
    case SMO_STATE_DATA:
        /* References are decoded; NUL is emitted as it is. */
        decode_text(c, raw, n, 1);
        break;
    case SMO_STATE_RCDATA:
        /* References are decoded; NUL becomes U+FFFD (decode does it). */
        decode_text(c, raw, n, 0);
        break;
    case SMO_STATE_CDATA:
        tk_buf_add(&c->chars, raw, n);
        break;
    default:
        /* RAWTEXT, script data, PLAINTEXT: as is, NUL as U+FFFD. */
        s = fix_nul(c->p, raw, n, 0, &k);
        tk_buf_add(&c->chars, s, k);
        break;
    }
}

static void flush_chars(collector *c)
{
    flush_run(c);
    if (c->chars.len) {
        ser_simple(&c->out, "Character", c->chars.s, c->chars.len);
        c->chars.len = 0;
    }
}

static void add_start_tag(collector *c, const smo_token *tok)
{
    const char *name;
    size_t name_len;
    attr_pair *attrs = apr_pcalloc(c->p, (tok->n_attrs + 1) * sizeof *attrs);

    if (tok->raw)
        name = fix_nul(c->p, tok->raw + 1, tok->name_len, 1, &name_len);
    else
        name = tok->name, name_len = strlen(tok->name);
    for (size_t i = 0; i < tok->n_attrs; i++) {
        const smo_attr *a = &tok->attrs[i];
        size_t vn;
        const char *v;
        if (!tok->raw || a->name_off + a->name_len > tok->raw_len
            || a->value_off + a->value_len > tok->raw_len) {
            note_error(c, "attribute outside the tag");
            return;
        }
        v = normalize_newlines(c->p, tok->raw + a->name_off, a->name_len,
                               &vn);
        attrs[i].name = fix_nul(c->p, v, vn, 1, &attrs[i].name_len);
        if (a->has_value) {
            v = normalize_newlines(c->p, tok->raw + a->value_off,
                                   a->value_len, &vn);
            attrs[i].value = smo_html_decode(c->p, v, vn, 1);
        }
        else {
            attrs[i].value = "";
        }
        attrs[i].value_len = strlen(attrs[i].value);
    }
    ser_start_tag(&c->out, name, name_len, attrs, tok->n_attrs,
                  tok->self_closing);
}

/* A doctype field: NULL when missing, else newlines normalized, NUL as
 * U+FFFD, and for the name ASCII-lowercased. */
static void add_field(collector *c, const char *raw, int has, size_t off,
                      size_t len, int lower)
{
    size_t n;
    const char *s;

    tk_buf_str(&c->out, ",");
    if (!has) {
        tk_buf_str(&c->out, "null");
        return;
    }
    s = normalize_newlines(c->p, raw + off, len, &n);
    s = fix_nul(c->p, s, n, lower, &n);
    buf_json(&c->out, s, n);
}

static void add_doctype(collector *c, const smo_token *tok)
{
    const char *raw = tok->raw ? tok->raw : c->input + tok->start;
    size_t len = tok->raw ? tok->raw_len : tok->end - tok->start;
    smo_doctype d;

    memset(&d, 0, sizeof d);
    smo_doctype_parse(raw, len, &d);
    if ((d.has_name && d.name_off + d.name_len > len)
        || (d.has_public && d.public_off + d.public_len > len)
        || (d.has_system && d.system_off + d.system_len > len)) {
        note_error(c, "doctype field outside the token");
        return;
    }
    tk_buf_str(&c->out, "[\"DOCTYPE\"");
    add_field(c, raw, d.has_name, d.name_off, d.name_len, 1);
    add_field(c, raw, d.has_public, d.public_off, d.public_len, 0);
    add_field(c, raw, d.has_system, d.system_off, d.system_len, 0);
    tk_buf_str(&c->out, d.force_quirks ? ",false]\n" : ",true]\n");
}

static int on_token(void *ctx, const smo_token *tok)
{
    collector *c = ctx;
    size_t n;
    const char *s;

    /* The API does not promise a token for every byte (the spec emits
     * nothing for "</>" or a tag cut short by the end), so a gap is only
     * noted; an overlap breaks the stream order. */
    if (tok->start < c->covered)
        note_error(c, apr_psprintf(c->p, "token at %lu overlaps bytes up "
                                   "to %lu", (unsigned long)tok->start,
                                   (unsigned long)c->covered));
    else if (tok->start > c->covered)
        tk_buf_str(&c->gaps, apr_psprintf(c->p, "[%lu,%lu) ",
                                       (unsigned long)c->covered,
                                       (unsigned long)tok->start));
    if (tok->end < tok->start || tok->end > c->input_len) {
        note_error(c, "token range outside the input");
        return 0;
    }
    c->covered = tok->end;
    if (tok->raw && (tok->raw_len != tok->end - tok->start
                     || memcmp(tok->raw, c->input + tok->start,
                               tok->raw_len) != 0))
        note_error(c, "raw bytes differ from the input");

    switch (tok->type) {
    case SMO_TOKEN_TEXT:
        if (tok->text && memcmp(tok->text, c->input + tok->start,
                                tok->end - tok->start) != 0)
            note_error(c, "text bytes differ from the input");
        if (!c->have_run) {
            c->run_start = tok->start;
            c->have_run = 1;
        }
        else if (c->run_end != tok->start) {
            flush_run(c);
            c->run_start = tok->start;
            c->have_run = 1;
        }
        c->run_end = tok->end;
        return 0;
    case SMO_TOKEN_CDATA:
        /* CDATA content is character data, coalesced with its
         * neighbours; the section ends a CDATA initial state. */
        flush_run(c);
        if (tok->data_end < tok->data_start || tok->data_end > tok->end) {
            note_error(c, "CDATA data outside the token");
            return 0;
        }
        s = normalize_newlines(c->p, c->input + tok->data_start,
                               tok->data_end - tok->data_start, &n);
        tk_buf_add(&c->chars, s, n);
        c->state = SMO_STATE_DATA;
        return 0;
    default:
        break;
    }

    if (tok->eof && (tok->type == SMO_TOKEN_START_TAG
                     || tok->type == SMO_TOKEN_END_TAG)) {
        /* In RCDATA, RAWTEXT and script data, "</name" cut short by the
         * end of the stream is character data (the end tag name state's
         * "anything else"); any other tag cut short is dropped. */
        if (c->state != SMO_STATE_DATA && tok->type == SMO_TOKEN_END_TAG
            && tok->raw && tok->raw_len == 2 + tok->name_len) {
            if (!c->have_run)
                c->run_start = tok->start;
            c->have_run = 1;
            c->run_end = tok->end;
        }
        else {
            flush_run(c);
        }
        return 0;
    }
    flush_chars(c);
    switch (tok->type) {
    case SMO_TOKEN_START_TAG:
        add_start_tag(c, tok);
        break;
    case SMO_TOKEN_END_TAG:
        if (tok->raw)
            s = fix_nul(c->p, tok->raw + 2, tok->name_len, 1, &n);
        else
            s = tok->name, n = strlen(tok->name);
        ser_simple(&c->out, "EndTag", s, n);
        break;
    case SMO_TOKEN_COMMENT:
        if (tok->data_end < tok->data_start || tok->data_end > tok->end
            || tok->data_start < tok->start) {
            note_error(c, "comment data outside the token");
            break;
        }
        s = normalize_newlines(c->p, c->input + tok->data_start,
                               tok->data_end - tok->data_start, &n);
        s = fix_nul(c->p, s, n, 0, &n);
        ser_simple(&c->out, "Comment", s, n);
        break;
    case SMO_TOKEN_DOCTYPE:
        add_doctype(c, tok);
        break;
    default:
        break;
    }
    /* Out of RCDATA, RAWTEXT and script data only the appropriate end tag
     * leads, and it returns to the data state. */
    c->state = SMO_STATE_DATA;
    return 0;
}

/* How a case's input is fed. */
typedef enum { FEED_WHOLE, FEED_BYTES, FEED_SPLIT } feed_mode;

/* Run one case (FEED_SPLIT: in two chunks, split at `at`); returns the
 * serialized tokens (in `p`) with any error the tokenizer made against
 * its own API, and in *gaps the input ranges reported in no token. */
static const char *run_tokenizer(apr_pool_t *p, const h5case *hc,
                                 feed_mode mode, size_t at,
                                 const char **gaps)
{
    collector c = { 0 };
    smo_tokenizer *t;
    int rc = 0;
    const char *res;

    c.p = p;
    c.input = hc->input;
    c.input_len = hc->input_len;
    c.state = hc->state;
    t = smo_tokenizer_create(p, SMO_TAIL_LIMIT_DEFAULT, on_token, &c);
    if (!t)
        return "smo_tokenizer_create failed\n";
    if (hc->state == SMO_STATE_CDATA)
        smo_tokenizer_set_foreign(t, 1);
    smo_tokenizer_set_state(t, hc->state, hc->last_start_tag);
    if (mode == FEED_BYTES) {
        for (size_t i = 0; i < hc->input_len && rc == 0; i++)
            rc = smo_tokenizer_feed(t, hc->input + i, 1, 0);
        if (rc == 0)
            rc = smo_tokenizer_feed(t, "", 0, 1);
    }
    else if (mode == FEED_SPLIT) {
        rc = smo_tokenizer_feed(t, hc->input, at, 0);
        if (rc == 0)
            rc = smo_tokenizer_feed(t, hc->input + at, hc->input_len - at, 1);
    }
    else {
        rc = smo_tokenizer_feed(t, hc->input, hc->input_len, 1);
    }
    flush_chars(&c);
    if (rc != 0)
        note_error(&c, apr_psprintf(p, "feed returned %d", rc));
    if (c.covered < hc->input_len)
        tk_buf_str(&c.gaps, apr_psprintf(p, "[%lu,%lu) ",
                                      (unsigned long)c.covered,
                                      (unsigned long)hc->input_len));
    if (c.errors.len) {
        tk_buf_str(&c.out, "ERROR ");
        tk_buf_add(&c.out, c.errors.s, c.errors.len);
        tk_buf_str(&c.out, "\n");
    }
    res = apr_pstrdup(p, c.out.s ? c.out.s : "");
    *gaps = apr_pstrdup(p, c.gaps.s ? c.gaps.s : "");
    tk_buf_free(&c.out);
    tk_buf_free(&c.chars);
    tk_buf_free(&c.errors);
    tk_buf_free(&c.gaps);
    return res;
}

static void print_case(const h5case *hc, const char *what,
                       const char *actual)
{
    tk_buf b = { 0 };
    buf_json(&b, hc->input, hc->input_len);
    printf("FAIL %s: %s [%s] (%s)\n  input: %s\n  lastStartTag: %s\n"
           "  expected:\n%s  actual:\n%s", hc->file, hc->desc,
           hc->state_name, what, b.s, hc->last_start_tag[0]
           ? hc->last_start_tag : "(none)", hc->expected, actual);
    tk_buf_free(&b);
    fflush(stdout);
}

/* The token list without its Character lines. */
static const char *without_chars(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
        if (strncmp(s, "[\"Character\",", 13) != 0) {
            memcpy(o, s, n);
            o += n;
        }
        s += n;
    }
    *o = '\0';
    return out;
}

START_TEST(html5lib_case)
{
    const h5case *hc = &cases[_i];
    apr_pool_t *p;
    const char *whole, *bytes, *gaps, *other_gaps, *expected;

    ck_assert_int_eq(apr_pool_create(&p, root_pool), APR_SUCCESS);
    whole = run_tokenizer(p, hc, FEED_WHOLE, 0, &gaps);
    bytes = run_tokenizer(p, hc, FEED_BYTES, 0, &other_gaps);
    expected = hc->expected;
    if (hc->chars_unchecked) {
        whole = without_chars(p, whole);
        bytes = without_chars(p, bytes);
        expected = without_chars(p, expected);
    }
    if (*gaps)
        printf("GAP %s: %s [%s]: input bytes %sreported in no token\n",
               hc->file, hc->desc, hc->state_name, gaps);
    if (strcmp(whole, expected) != 0)
        print_case(hc, "one chunk", whole);
    else if (strcmp(bytes, whole) != 0)
        print_case(hc, "byte at a time differs from one chunk", bytes);
    ck_assert_msg(strcmp(whole, expected) == 0,
                  "%s: %s [%s]: tokens differ from html5lib's", hc->file,
                  hc->desc, hc->state_name);
    ck_assert_msg(strcmp(bytes, whole) == 0,
                  "%s: %s [%s]: byte-at-a-time tokens differ", hc->file,
                  hc->desc, hc->state_name);
    for (size_t at = 0; at <= hc->input_len; at++) {
        const char *split = run_tokenizer(p, hc, FEED_SPLIT, at,
                                          &other_gaps);
        if (hc->chars_unchecked)
            split = without_chars(p, split);
        if (strcmp(split, whole) != 0)
            print_case(hc, apr_psprintf(p, "split at byte %lu differs from "
                                        "one chunk", (unsigned long)at),
                       split);
        ck_assert_msg(strcmp(split, whole) == 0,
                      "%s: %s [%s]: tokens differ when split at byte %lu",
                      hc->file, hc->desc, hc->state_name,
                      (unsigned long)at);
    }
    apr_pool_destroy(p);
}
END_TEST

/* ---- loading the suite ------------------------------------------------ */

/* Whether smo_html_decode() knows the reference "&name;" or else decodes
 * it as html5lib expects anyway (&noti; is &not followed by "i;"): a full
 * match consumes the ';', while a shorter legacy match (&cent in
 * &centerdot;) or none leaves the end of the name and the ';' in place. */
static int decoder_knows(apr_pool_t *p, const char *ref, size_t len,
                         const char *expected)
{
    const char *d = smo_html_decode(p, ref, len, 0);
    size_t n = strlen(d);
    tk_buf b = { 0 };
    int found;

    if (!(n >= 2 && d[n - 1] == ';' && d[n - 2] == ref[len - 2]))
        return 1;
    buf_json(&b, d, n);
    b.s[b.len - 1] = '\0';
    found = strstr(expected, b.s + 1) != NULL;
    tk_buf_free(&b);
    return found;
}

/* The first named reference in `input` that the expected tokens decode
 * (they do not hold it as it is) but smo_html_decode() does not know, or
 * NULL.  It documents libxml2's HTML 4 entity table as its source; HTML5
 * has some 2000 more names. */
static const char *unknown_reference(apr_pool_t *p, const char *input,
                                     size_t len, const char *expected)
{
    for (size_t i = 0; i < len; i++) {
        size_t k = i + 1;
        if (input[i] != '&')
            continue;
        while (k < len && ((input[k] >= 'a' && input[k] <= 'z')
                           || (input[k] >= 'A' && input[k] <= 'Z')
                           || (input[k] >= '0' && input[k] <= '9')))
            k++;
        if (k == i + 1 || k >= len || input[k] != ';')
            continue;
        const char *ref = apr_pstrmemdup(p, input + i, k - i + 1);
        if (!decoder_knows(p, ref, k - i + 1, expected)
            && !strstr(expected, ref))
            return ref;
    }
    return NULL;
}

static int state_of(const char *name, smo_text_state *st)
{
    static const struct { const char *name; smo_text_state st; } map[] = {
        { "Data state", SMO_STATE_DATA },
        { "PLAINTEXT state", SMO_STATE_PLAINTEXT },
        { "RCDATA state", SMO_STATE_RCDATA },
        { "RAWTEXT state", SMO_STATE_RAWTEXT },
        { "Script data state", SMO_STATE_SCRIPT },
        { "CDATA section state", SMO_STATE_CDATA },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0) {
            *st = map[i].st;
            return 1;
        }
    return 0;
}

typedef struct {
    apr_array_header_t *cases;
    size_t skipped;
    size_t chars_skipped;
} suite;

/* Loaded by html5lib_suite(), read-only once the runner starts. */
static suite loaded;

static void skip(suite *su, const char *file, const char *desc,
                 const char *why)
{
    printf("SKIP %s: %s: %s\n", file, desc, why);
    su->skipped++;
}

static int load_file(suite *su, const char *dir, const char *file)
{
    apr_pool_t *p = root_pool;
    const char *path = apr_pstrcat(p, dir, "/", file, NULL);
    FILE *f = fopen(path, "rb");
    tk_buf text = { 0 };
    char chunk[65536];
    size_t n;
    const char *err = NULL;
    json_value *root;
    const json_value *tests;

    if (!f) {
        fprintf(stderr, "test_html5lib: cannot open %s\n", path);
        return 0;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tk_buf_add(&text, chunk, n);
    fclose(f);
    root = json_parse(p, text.s ? text.s : "", text.len, &err);
    tk_buf_free(&text);
    if (!root) {
        fprintf(stderr, "test_html5lib: %s: %s\n", path, err);
        return 0;
    }
    if ((tests = json_get(root, "xmlViolationTests")) != NULL) {
        for (size_t i = 0; i < tests->n; i++) {
            const json_value *d = json_get(tests->items[i], "description");
            skip(su, file, d && d->str ? d->str : "?",
                 "expects the XML infoset coercion of the DOM, not "
                 "tokenizer output");
        }
        return 1;
    }
    tests = json_get(root, "tests");
    if (!tests || tests->type != JSON_ARRAY) {
        fprintf(stderr, "test_html5lib: %s: no \"tests\" array\n", path);
        return 0;
    }
    for (size_t i = 0; i < tests->n; i++) {
        const json_value *t = tests->items[i];
        const json_value *d = json_get(t, "description");
        const json_value *in = json_get(t, "input");
        const json_value *out = json_get(t, "output");
        const json_value *states = json_get(t, "initialStates");
        const json_value *lst = json_get(t, "lastStartTag");
        const json_value *de = json_get(t, "doubleEscaped");
        int dbl = de && de->type == JSON_TRUE;
        const char *desc = d && d->type == JSON_STRING ? d->str : "?";
        const char *expected, *why = NULL, *input, *unknown;
        size_t input_len;
        size_t n_states = states ? states->n : 1;

        if (!in || in->type != JSON_STRING || !out
            || out->type != JSON_ARRAY) {
            skip(su, file, desc, "test without input or output");
            continue;
        }
        expected = expected_tokens(p, out, dbl, &why);
        if (!expected) {
            skip(su, file, desc, why);
            continue;
        }
        /* Lone surrogates in a doubleEscaped input are kept as their WTF-8
         * bytes (json_unescape_u): a byte tokenizer passes them through
         * like any other non-ASCII bytes. */
        input = dbl ? json_unescape_u(p, in->str, in->len, &input_len)
                    : in->str;
        if (!dbl)
            input_len = in->len;
        unknown = unknown_reference(p, input, input_len, expected);
        if (unknown && strstr(expected, "[\"StartTag\"")
            && !strstr(expected, ",{}")) {
            skip(su, file, desc, apr_psprintf(p, "decodes %s in a tag, "
                 "which smo_html_decode() does not know (its table is "
                 "libxml2's HTML 4 one)", unknown));
            continue;
        }
        for (size_t k = 0; k < n_states; k++) {
            const char *sname = states ? states->items[k]->str : "Data state";
            smo_text_state st;
            h5case *hc;
            if (!sname || !state_of(sname, &st)) {
                skip(su, file, apr_psprintf(p, "%s [%s]", desc,
                                            sname ? sname : "?"),
                     "unknown initial state");
                continue;
            }
            hc = &APR_ARRAY_PUSH(su->cases, h5case);
            hc->file = file;
            hc->desc = desc;
            hc->state_name = sname;
            hc->state = st;
            hc->input = input;
            hc->input_len = input_len;
            hc->last_start_tag = lst && lst->type == JSON_STRING
                                 ? lst->str : "";
            hc->expected = expected;
            hc->chars_unchecked = unknown != NULL;
            if (unknown) {
                printf("SKIP %s: %s [%s]: character data not compared "
                       "(other tokens are): decodes %s, which "
                       "smo_html_decode() does not know (its table is "
                       "libxml2's HTML 4 one)\n", file, desc, sname,
                       unknown);
                su->chars_skipped++;
            }
        }
    }
    return 1;
}

static int is_test_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".test") == 0;
}

/* The html5lib files are read before the runner starts: one loop test
 * per case.  NULL if a file cannot be read. */
static Suite *html5lib_suite(void)
{
    const char *dir = getenv("SMO_HTML5LIB_DIR");
    struct dirent **names;
    int n_files, ok = 1;
    Suite *s;
    TCase *tc;

    if (!dir || !*dir)
        dir = SMO_HTML5LIB_DIR;
    if (!*dir) {
        fprintf(stderr, "test_html5lib: SMO_HTML5LIB_DIR is not set\n");
        return NULL;
    }
    apr_pool_create(&root_pool, NULL);

    n_files = scandir(dir, &names, is_test_file, alphasort);
    if (n_files <= 0) {
        fprintf(stderr, "test_html5lib: no .test files in %s\n", dir);
        return NULL;
    }
    loaded.cases = apr_array_make(root_pool, 8192, sizeof(h5case));
    for (int i = 0; i < n_files; i++) {
        ok &= load_file(&loaded, dir,
                        apr_pstrdup(root_pool, names[i]->d_name));
        free(names[i]);
    }
    free(names);
    if (!ok)
        return NULL;
    cases = (h5case *)loaded.cases->elts;
    n_cases = (size_t)loaded.cases->nelts;

    s = suite_create("html5lib");
    tc = tcase_create("tokenizer");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, html5lib_case, 0, (int)n_cases);
    suite_add_tcase(s, tc);
    return s;
}

static int html5lib_report(SRunner *sr)
{
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);

    printf("html5lib: %lu cases, %d passed, %lu skipped "
           "(and %lu run without comparing character data)\n",
           (unsigned long)n_cases, run - failed, (unsigned long)loaded.skipped,
           (unsigned long)loaded.chars_skipped);
    return (size_t)run == n_cases;
}

/* Thousands of tiny cases: forking for each costs more than the test. */
const tk_program tk_tests = { html5lib_suite, 1, html5lib_report };
