/* json.c — a minimal JSON reader for the test programs (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

typedef struct {
    apr_pool_t *p;
    const char *s;
    size_t len, pos;
    const char *err;
    int depth;
} parser;

/* Deep enough for any test file; bounds the recursion on bad input. */
#define MAX_DEPTH 256

static json_value *parse_value(parser *ps);

static void fail(parser *ps, const char *what)
{
    if (!ps->err)
        ps->err = apr_psprintf(ps->p, "%s at byte %lu", what,
                               (unsigned long)ps->pos);
}

static void skip_ws(parser *ps)
{
    while (ps->pos < ps->len) {
        char c = ps->s[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s; -1 if they are not. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

size_t json_put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a \uXXXX escape (the backslash and 'u' already consumed by the
 * caller, `at` pointing at the digits) and, for a high surrogate followed
 * by \u and a low one, the pair.  Returns the code point, -1 on error,
 * and advances *at past what it used. */
static long read_u_escape(const char *s, size_t len, size_t *at)
{
    if (*at + 4 > len)
        return -1;
    long cp = hex4(s + *at);
    if (cp < 0)
        return -1;
    *at += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && *at + 6 <= len
        && s[*at] == '\\' && s[*at + 1] == 'u') {
        long lo = hex4(s + *at + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *at += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
    }
    return cp;
}

static char *parse_string(parser *ps, size_t *out_len)
{
    /* The decoded string is never longer than its escaped form. */
    size_t start = ++ps->pos, cap = 0;
    while (start + cap < ps->len && ps->s[start + cap] != '"') {
        if (ps->s[start + cap] == '\\')
            cap++;
        cap++;
    }
    char *out = apr_palloc(ps->p, cap + 5);
    size_t n = 0;

    while (ps->pos < ps->len) {
        char c = ps->s[ps->pos++];
        if (c == '"') {
            out[n] = '\0';
            *out_len = n;
            return out;
        }
        if ((unsigned char)c < 0x20) {
            ps->pos--;
            fail(ps, "control character in string");
            return NULL;
        }
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (ps->pos >= ps->len)
            break;
        c = ps->s[ps->pos++];
        switch (c) {
        case '"': case '\\': case '/': out[n++] = c; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            long cp = read_u_escape(ps->s, ps->len, &ps->pos);
            if (cp < 0) {
                fail(ps, "bad \\u escape");
                return NULL;
            }
            n += json_put_utf8(out + n, (unsigned long)cp);
            break;
        }
        default:
            ps->pos--;
            fail(ps, "bad escape");
            return NULL;
        }
    }
    fail(ps, "unterminated string");
    return NULL;
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, word, n) == 0) {
        ps->pos += n;
        return 1;
    }
    return 0;
}

/* Items are gathered in a malloc'd array and copied to the pool at the
 * end, so that growing does not waste pool memory. */
typedef struct {
    json_value **items;
    char **keys;
    size_t *key_lens;
    size_t n, cap;
} collector;

static int collect(collector *c, char *key, size_t key_len, json_value *v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        json_value **items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return 0;
        c->items = items;
        char **keys = realloc(c->keys, cap * sizeof *keys);
        if (!keys)
            return 0;
        c->keys = keys;
        size_t *lens = realloc(c->key_lens, cap * sizeof *lens);
        if (!lens)
            return 0;
        c->key_lens = lens;
        c->cap = cap;
    }
    c->items[c->n] = v;
    c->keys[c->n] = key;
    c->key_lens[c->n] = key_len;
    c->n++;
    return 1;
}

static json_value *finish_collection(parser *ps, collector *c, json_type t)
{
    json_value *v = apr_pcalloc(ps->p, sizeof *v);
    v->type = t;
    v->n = c->n;
    if (c->n) {
        v->items = apr_pmemdup(ps->p, c->items, c->n * sizeof *c->items);
        if (t == JSON_OBJECT) {
            v->keys = apr_pmemdup(ps->p, c->keys, c->n * sizeof *c->keys);
            v->key_lens = apr_pmemdup(ps->p, c->key_lens,
                                      c->n * sizeof *c->key_lens);
        }
    }
    free(c->items);
    free(c->keys);
    free(c->key_lens);
    return v;
}

static json_value *parse_container(parser *ps, int is_object)
{
    collector c = { 0 };
    char close = is_object ? '}' : ']';

    if (++ps->depth > MAX_DEPTH) {
        fail(ps, "nesting too deep");
        return NULL;
    }
    ps->pos++;
    skip_ws(ps);
    if (ps->pos < ps->len && ps->s[ps->pos] == close) {
        ps->pos++;
        ps->depth--;
        return finish_collection(ps, &c, is_object ? JSON_OBJECT : JSON_ARRAY);
    }
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        skip_ws(ps);
        if (is_object) {
            if (ps->pos >= ps->len || ps->s[ps->pos] != '"') {
                fail(ps, "expected member name");
                break;
            }
            key = parse_string(ps, &key_len);
            if (!key)
                break;
            skip_ws(ps);
            if (ps->pos >= ps->len || ps->s[ps->pos] != ':') {
                fail(ps, "expected ':'");
                break;
            }
            ps->pos++;
        }
        json_value *v = parse_value(ps);
        if (!v)
            break;
        if (!collect(&c, key, key_len, v)) {
            fail(ps, "out of memory");
            break;
        }
        skip_ws(ps);
        if (ps->pos < ps->len && ps->s[ps->pos] == ',') {
            ps->pos++;
            continue;
        }
        if (ps->pos < ps->len && ps->s[ps->pos] == close) {
            ps->pos++;
            ps->depth--;
            return finish_collection(ps, &c,
                                     is_object ? JSON_OBJECT : JSON_ARRAY);
        }
        fail(ps, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    free(c.items);
    free(c.keys);
    free(c.key_lens);
    return NULL;
}

static json_value *parse_number(parser *ps)
{
    const char *start = ps->s + ps->pos;
    size_t n = 0;
    while (ps->pos + n < ps->len
           && strchr("+-0123456789.eE", ps->s[ps->pos + n]) != NULL)
        n++;
    if (n == 0) {
        fail(ps, "unexpected character");
        return NULL;
    }
    char *copy = apr_pstrmemdup(ps->p, start, n), *end;
    double d = strtod(copy, &end);
    if (*end != '\0') {
        fail(ps, "bad number");
        return NULL;
    }
    ps->pos += n;
    json_value *v = apr_pcalloc(ps->p, sizeof *v);
    v->type = JSON_NUMBER;
    v->number = d;
    return v;
}

static json_value *parse_value(parser *ps)
{
    skip_ws(ps);
    if (ps->pos >= ps->len) {
        fail(ps, "unexpected end of input");
        return NULL;
    }
    char c = ps->s[ps->pos];
    if (c == '{' || c == '[')
        return parse_container(ps, c == '{');
    if (c == '"') {
        size_t len;
        char *s = parse_string(ps, &len);
        if (!s)
            return NULL;
        json_value *v = apr_pcalloc(ps->p, sizeof *v);
        v->type = JSON_STRING;
        v->str = s;
        v->len = len;
        return v;
    }
    json_type t;
    if (literal(ps, "true"))
        t = JSON_TRUE;
    else if (literal(ps, "false"))
        t = JSON_FALSE;
    else if (literal(ps, "null"))
        t = JSON_NULL;
    else
        return parse_number(ps);
    json_value *v = apr_pcalloc(ps->p, sizeof *v);
    v->type = t;
    return v;
}

json_value *json_parse(apr_pool_t *p, const char *text, size_t len,
                       const char **err)
{
    parser ps = { p, text, len, 0, NULL, 0 };
    json_value *v = parse_value(&ps);
    if (v) {
        skip_ws(&ps);
        if (ps.pos != ps.len) {
            fail(&ps, "trailing characters");
            v = NULL;
        }
    }
    if (!v && err)
        *err = ps.err;
    return v;
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
            return obj->items[i];
    return NULL;
}

char *json_unescape_u(apr_pool_t *p, const char *s, size_t len,
                      size_t *out_len)
{
    /* \uXXXX is six bytes and becomes at most four. */
    char *out = apr_palloc(p, len + 1);
    size_t n = 0, i = 0;
    while (i < len) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'u') {
            size_t at = i + 2;
            long cp = read_u_escape(s, len, &at);
            if (cp >= 0) {
                n += json_put_utf8(out + n, (unsigned long)cp);
                i = at;
                continue;
            }
        }
        out[n++] = s[i++];
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}
