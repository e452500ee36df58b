/* test_tokenizer.c — unit tests for lib/tokenizer.c and lib/treesim.c:
 * the byte spans of every token kind, the text states the tree-builder
 * simulation switches to, where the head starts and ends, and that the
 * token stream does not depend on how the document is cut into chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "../lib/smo_tagclass.h"
#include "../lib/smo_tokenizer.h"
#include "../lib/smo_treesim.h"
#include "../lib/tokenizer_internal.h"
#include "toolkit.h"

#define MAX_KEPT_ATTRS 16

/* One token as the callback saw it; offsets are stream offsets, attribute
 * spans stay relative to the token start as the API gives them. */
typedef struct {
    smo_token_type type;
    uint64_t start, end, data_start, data_end;
    char name[SMO_TAG_NAME_MAX + 1];
    size_t name_len;
    int self_closing, truncated, eof, has_raw;
    const smo_attr *attrs_ptr;
    size_t n_attrs;
    smo_attr attrs[MAX_KEPT_ATTRS];
    int head;                     /* smo_head_event bits */
    uint64_t split;               /* text_split when the head closed on text */
    int foreign_after, template_after, body_after;
    smo_doctype dt;
} rec;

typedef struct {
    apr_pool_t *pool;
    const char *doc;              /* the whole document, NULL: unchecked */
    size_t len;
    smo_tokenizer *tok;
    smo_treesim *sim;             /* NULL: tokenizer alone */
    rec *recs;
    size_t n, cap;
    int count_only;               /* large inputs: count, keep nothing */
    size_t n_tokens, n_start_tags;
    int stop_after;               /* >0: return 99 from the Nth token */
} harness;

static rec *new_rec(harness *h)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        rec *r = apr_palloc(h->pool, cap * sizeof(rec));
        if (h->n)
            memcpy(r, h->recs, h->n * sizeof(rec));
        h->recs = r;
        h->cap = cap;
    }
    memset(&h->recs[h->n], 0, sizeof(rec));
    return &h->recs[h->n++];
}

static int on_token(void *ctx, const smo_token *t)
{
    harness *h = ctx;
    uint64_t split = UINT64_MAX;
    int ev = 0;
    rec *r;

    h->n_tokens++;
    ck_assert_uint_lt(t->start, t->end);
    if (h->sim)
        ev = smo_treesim_token(h->sim, t, &split);
    if (t->type == SMO_TOKEN_START_TAG)
        h->n_start_tags++;
    if (h->doc) {
        ck_assert_uint_le(t->end, h->len);
        if (t->type == SMO_TOKEN_TEXT) {
            ck_assert_ptr_nonnull(t->text);
            ck_assert_uint_eq(t->data_start, t->start);
            ck_assert_uint_eq(t->data_end, t->end);
            ck_assert(!memcmp(t->text, h->doc + t->start, t->end - t->start));
        }
        if (t->raw) {
            ck_assert_uint_eq(t->raw_len, t->end - t->start);
            ck_assert(!memcmp(t->raw, h->doc + t->start, t->raw_len));
        }
    }
    if (t->type == SMO_TOKEN_COMMENT || t->type == SMO_TOKEN_CDATA) {
        ck_assert_uint_le(t->start, t->data_start);
        ck_assert_uint_le(t->data_start, t->data_end);
        ck_assert_uint_le(t->data_end, t->end);
        if (t->type == SMO_TOKEN_CDATA)
            ck_assert_ptr_null(t->raw);
        if (t->raw) {
            /* Short comments carry their bytes, split or not. */
            ck_assert_uint_le(t->raw_len, 256);
            ck_assert_uint_eq(t->raw_len, t->end - t->start);
            ck_assert(!memcmp(t->raw, h->doc + t->start, t->raw_len));
        } else if (t->type == SMO_TOKEN_COMMENT) {
            ck_assert_uint_gt(t->end - t->start, 256);
        }
    }
    for (size_t i = 0; t->raw && i < t->n_attrs; i++) {
        const smo_attr *a = &t->attrs[i];
        ck_assert_uint_le(a->name_off + a->name_len, t->raw_len);
        ck_assert_uint_le(a->value_off + a->value_len, t->raw_len);
    }
    if (h->stop_after && (int)h->n_tokens == h->stop_after)
        return 99;
    if (h->count_only)
        return 0;

    /* Text may come in pieces: merge a piece with the one right before. */
    if (t->type == SMO_TOKEN_TEXT && h->n &&
        h->recs[h->n - 1].type == SMO_TOKEN_TEXT &&
        h->recs[h->n - 1].end == t->start) {
        r = &h->recs[h->n - 1];
        r->end = r->data_end = t->end;
    } else {
        r = new_rec(h);
        r->type = t->type;
        r->start = t->start;
        r->end = t->end;
        r->data_start = t->data_start;
        r->data_end = t->data_end;
        r->split = UINT64_MAX;
        if (t->type == SMO_TOKEN_START_TAG || t->type == SMO_TOKEN_END_TAG) {
            memcpy(r->name, t->name, sizeof(r->name));
            r->name_len = t->name_len;
            ck_assert_uint_eq(strlen(t->name),
                              t->name_len < SMO_TAG_NAME_MAX ? t->name_len
                                                             : SMO_TAG_NAME_MAX);
        }
        r->self_closing = t->self_closing;
        r->truncated = t->truncated;
        r->has_raw = t->raw != NULL;
        r->attrs_ptr = t->attrs;
        r->n_attrs = t->n_attrs;
        for (size_t i = 0; i < t->n_attrs && i < MAX_KEPT_ATTRS; i++)
            r->attrs[i] = t->attrs[i];
        if (t->type == SMO_TOKEN_DOCTYPE && t->raw)
            smo_doctype_parse(t->raw, t->raw_len, &r->dt);
    }
    r->eof |= t->eof;
    r->head |= ev;
    if (ev & SMO_HEAD_CLOSED && t->type == SMO_TOKEN_TEXT)
        r->split = split;
    if (h->sim) {
        r->foreign_after = smo_treesim_in_foreign(h->sim);
        r->template_after = smo_treesim_in_template(h->sim);
        r->body_after = smo_treesim_in_body(h->sim);
    }
    return 0;
}

static harness *make(const char *doc, size_t len, int sim, size_t tail_limit)
{
    harness *h = apr_pcalloc(pool, sizeof(*h));
    h->pool = pool;
    h->doc = doc;
    h->len = len;
    h->tok = smo_tokenizer_create(pool, tail_limit, on_token, h);
    ck_assert_ptr_nonnull(h->tok);
    if (sim)
        h->sim = smo_treesim_create(pool, h->tok);
    return h;
}

/* Feed in pieces of `step` bytes (0: all at once), or split once at `at`. */
static void feed_steps(harness *h, size_t step)
{
    size_t off = 0;
    uint64_t safe = 0;
    if (!step)
        step = h->len ? h->len : 1;
    while (off < h->len) {
        size_t n = h->len - off < step ? h->len - off : step;
        ck_assert_int_eq(smo_tokenizer_feed(h->tok, h->doc + off, n,
                                            off + n == h->len), 0);
        off += n;
        ck_assert_uint_eq(smo_tokenizer_offset(h->tok), off);
        ck_assert_uint_le(safe, smo_tokenizer_safe_offset(h->tok));
        safe = smo_tokenizer_safe_offset(h->tok);
        ck_assert_uint_le(safe, off);
    }
    if (!h->len)
        ck_assert_int_eq(smo_tokenizer_feed(h->tok, "", 0, 1), 0);
}

static void feed_split(harness *h, size_t at)
{
    ck_assert_int_eq(smo_tokenizer_feed(h->tok, h->doc, at, 0), 0);
    ck_assert_int_eq(smo_tokenizer_feed(h->tok, h->doc + at, h->len - at, 1), 0);
}

/* ---- a readable dump of the token stream ------------------------------ */

static void sb_span(tk_buf *b, const char *doc, uint64_t s, uint64_t e)
{
    tk_buf_add(b, "\"", 1);
    tk_buf_add(b, doc + s, (size_t)(e - s));
    tk_buf_add(b, "\"", 1);
}

/* One line per token:
 *   T"text"   <name a="v" b='v' c=v d e=/>   </name>   C"data"   X"cdata"
 *   D"raw"    with " eof", " trunc", " H<bits>@split" appended. */
static const char *dump(const harness *h, int with_offsets)
{
    tk_buf b = { .pool = pool };
    for (size_t i = 0; i < h->n; i++) {
        const rec *r = &h->recs[i];
        const char *raw = h->doc + r->start;
        if (with_offsets)
            tk_buf_str(&b, apr_psprintf(pool, "%" APR_UINT64_T_FMT "-%"
                                        APR_UINT64_T_FMT " ", r->start, r->end));
        switch (r->type) {
        case SMO_TOKEN_TEXT:
            tk_buf_str(&b, "T");
            sb_span(&b, h->doc, r->start, r->end);
            break;
        case SMO_TOKEN_START_TAG:
        case SMO_TOKEN_END_TAG:
            tk_buf_str(&b, r->type == SMO_TOKEN_START_TAG ? "<" : "</");
            tk_buf_str(&b, r->name);
            for (size_t k = 0; k < r->n_attrs && k < MAX_KEPT_ATTRS; k++) {
                const smo_attr *a = &r->attrs[k];
                tk_buf_str(&b, " ");
                tk_buf_add(&b, raw + a->name_off, a->name_len);
                if (!a->has_value)
                    continue;
                tk_buf_str(&b, "=");
                if (a->quote)
                    tk_buf_add(&b, &a->quote, 1);
                tk_buf_add(&b, raw + a->value_off, a->value_len);
                if (a->quote)
                    tk_buf_add(&b, &a->quote, 1);
            }
            tk_buf_str(&b, r->self_closing ? "/>" : ">");
            break;
        case SMO_TOKEN_COMMENT:
            tk_buf_str(&b, "C");
            sb_span(&b, h->doc, r->data_start, r->data_end);
            break;
        case SMO_TOKEN_CDATA:
            tk_buf_str(&b, "X");
            sb_span(&b, h->doc, r->data_start, r->data_end);
            break;
        case SMO_TOKEN_DOCTYPE:
            tk_buf_str(&b, "D");
            sb_span(&b, h->doc, r->start, r->end);
            break;
        }
        if (r->eof)
            tk_buf_str(&b, " eof");
        if (r->truncated)
            tk_buf_str(&b, " trunc");
        if (r->head) {
            tk_buf_str(&b, apr_psprintf(pool, " H%d", r->head));
            if (r->split != UINT64_MAX)
                tk_buf_str(&b, apr_psprintf(pool, "@%" APR_UINT64_T_FMT, r->split));
        }
        tk_buf_str(&b, "\n");
    }
    return b.s ? b.s : "";
}

static harness *tokens(const char *doc, int sim)
{
    harness *h = make(doc, strlen(doc), sim, 0);
    feed_steps(h, 0);
    return h;
}

/* The whole stream, one line per token (merged text), fed in one chunk. */
static const char *lex(const char *doc)
{
    return dump(tokens(doc, 0), 0);
}

static const char *sim(const char *doc)
{
    return dump(tokens(doc, 1), 0);
}

/* ---- tags and attributes ---------------------------------------------- */

START_TEST(tag_spans_every_quoting_form)
{
    /*                 0         1         2         3         4
     *                 0123456789012345678901234567890123456789012345 */
    const char *doc = "x<A Href=\"a b\" c='d\"' e=f/g h i = 'j' k=>y";
    harness *h = tokens(doc, 0);
    const rec *r;

    ck_assert_uint_eq(h->n, 3);
    ck_assert_int_eq(h->recs[0].type, SMO_TOKEN_TEXT);
    ck_assert_uint_eq(h->recs[0].start, 0);
    ck_assert_uint_eq(h->recs[0].end, 1);
    r = &h->recs[1];
    ck_assert_int_eq(r->type, SMO_TOKEN_START_TAG);
    ck_assert_uint_eq(r->start, 1);
    ck_assert_uint_eq(r->end, 41);
    ck_assert_str_eq(r->name, "a");
    ck_assert_uint_eq(r->name_len, 1);
    ck_assert_int_eq(r->self_closing, 0);
    ck_assert_int_eq(r->truncated, 0);
    ck_assert_int_eq(r->has_raw, 1);
    ck_assert_uint_eq(r->n_attrs, 6);
    /* Href="a b": name at raw[3..7), value at raw[9..12) */
    ck_assert_uint_eq(r->attrs[0].name_off, 3);
    ck_assert_uint_eq(r->attrs[0].name_len, 4);
    ck_assert_uint_eq(r->attrs[0].value_off, 9);
    ck_assert_uint_eq(r->attrs[0].value_len, 3);
    ck_assert_int_eq(r->attrs[0].quote, '"');
    ck_assert_int_eq(r->attrs[0].has_value, 1);
    /* c='d"' */
    ck_assert_uint_eq(r->attrs[1].name_off, 14);
    ck_assert_uint_eq(r->attrs[1].name_len, 1);
    ck_assert_uint_eq(r->attrs[1].value_off, 17);
    ck_assert_uint_eq(r->attrs[1].value_len, 2);
    ck_assert_int_eq(r->attrs[1].quote, '\'');
    /* e=f/g: unquoted, the slash belongs to the value */
    ck_assert_uint_eq(r->attrs[2].name_off, 21);
    ck_assert_uint_eq(r->attrs[2].value_off, 23);
    ck_assert_uint_eq(r->attrs[2].value_len, 3);
    ck_assert_int_eq(r->attrs[2].quote, 0);
    ck_assert_int_eq(r->attrs[2].has_value, 1);
    /* h: no value */
    ck_assert_uint_eq(r->attrs[3].name_off, 27);
    ck_assert_uint_eq(r->attrs[3].name_len, 1);
    ck_assert_int_eq(r->attrs[3].has_value, 0);
    ck_assert_uint_eq(r->attrs[3].value_len, 0);
    ck_assert_uint_eq(r->attrs[3].value_off, 0);
    /* i = 'j': spaces around '=' */
    ck_assert_uint_eq(r->attrs[4].name_off, 29);
    ck_assert_uint_eq(r->attrs[4].value_off, 34);
    ck_assert_uint_eq(r->attrs[4].value_len, 1);
    ck_assert_int_eq(r->attrs[4].quote, '\'');
    /* k=>: an empty value */
    ck_assert_uint_eq(r->attrs[5].name_off, 37);
    ck_assert_int_eq(r->attrs[5].has_value, 1);
    ck_assert_uint_eq(r->attrs[5].value_len, 0);
    ck_assert_int_eq(r->attrs[5].quote, 0);
    ck_assert_uint_eq(h->recs[2].start, 41);
    ck_assert_str_eq(dump(h, 0), "T\"x\"\n"
                     "<a Href=\"a b\" c='d\"' e=f/g h i='j' k=>\n"
                     "T\"y\"\n");
}
END_TEST

START_TEST(duplicate_attributes_first_wins)
{
    ck_assert_str_eq(lex("<a href=1 HREF=2 Href='3' x hRef>"),
                     "<a href=1 x>\n");
    ck_assert_str_eq(lex("<a X=\"1\" y x=2 Y=3 z=4>"),
                     "<a X=\"1\" y z=4>\n");
    /* only the name counts, not the value */
    ck_assert_str_eq(lex("<p a a=1>"), "<p a>\n");
}
END_TEST

START_TEST(self_closing_and_case)
{
    ck_assert_str_eq(lex("<BR/><Br /><IMG SRC=a/><img src=\"a\"/><div / >"
                         "</DIV><P/x>"),
                     "<br/>\n<br/>\n<img SRC=a/>\n<img src=\"a\"/>\n"
                     "<div>\n</div>\n<p x>\n");
    /* a name longer than the kept maximum: cut, real length known */
    {
        const char *doc = "<abcdefghijabcdefghijabcdefghijabcdefghij x>";
        harness *h = tokens(doc, 0);
        ck_assert_uint_eq(h->n, 1);
        ck_assert_uint_eq(h->recs[0].name_len, 40);
        ck_assert_str_eq(h->recs[0].name, "abcdefghijabcdefghijabcdefghija");
        ck_assert_uint_eq(h->recs[0].n_attrs, 1);
    }
}
END_TEST

START_TEST(attribute_oddities)
{
    /* '=' first: part of the name; '"' or '<' in a name: name bytes;
     * missing whitespace between attributes */
    ck_assert_str_eq(lex("<a =b c\"d=e f='g'h=i <j>"),
                     "<a =b c\"d=e f='g' h=i <j>\n");
    /* '>' inside a quoted value does not end the tag */
    ck_assert_str_eq(lex("<meta content=\"a>b\" name='</head>'>x"),
                     "<meta content=\"a>b\" name='</head>'>\nT\"x\"\n");
}
END_TEST

/* ---- comments and bogus comments --------------------------------------- */

START_TEST(comments)
{
    harness *h = tokens("<!-->a<!--->b<!-- a -- b --!>c<!---->d<!-- x --->e", 0);
    ck_assert_str_eq(dump(h, 1),
                     "0-5 C\"\"\n5-6 T\"a\"\n6-12 C\"\"\n12-13 T\"b\"\n"
                     "13-29 C\" a -- b \"\n29-30 T\"c\"\n30-37 C\"\"\n"
                     "37-38 T\"d\"\n38-49 C\" x -\"\n49-50 T\"e\"\n");
    /* <!--> : the empty data lies right after "<!--" */
    ck_assert_uint_eq(h->recs[0].data_start, 4);
    ck_assert_uint_eq(h->recs[0].data_end, 4);
    ck_assert_uint_eq(h->recs[4].data_start, 17);
    ck_assert_uint_eq(h->recs[4].data_end, 25);
    ck_assert_str_eq(lex("<!--a--!-b-->"), "C\"a--!-b\"\n");
    ck_assert_str_eq(lex("<!--<!-- x -->y-->"), "C\"<!-- x \"\nT\"y-->\"\n");
}
END_TEST

START_TEST(bogus_comments)
{
    ck_assert_str_eq(lex("<?xml version=\"1.0\"?>a</3>b<!x>c<!DOC>d"
                         "<![CDATA[e]]>f</ x>"),
                     "C\"?xml version=\"1.0\"?\"\nT\"a\"\nC\"3\"\nT\"b\"\n"
                     "C\"x\"\nT\"c\"\nC\"DOC\"\nT\"d\"\nC\"[CDATA[e]]\"\n"
                     "T\"f\"\nC\" x\"\n");
    /* "</>" is no token at all; "<" before a non-letter is text */
    ck_assert_str_eq(lex("a</>b< c<3<"), "T\"a\"\nT\"b< c<3<\"\n");
    {
        harness *h = tokens("a</>b", 0);
        ck_assert_uint_eq(h->n, 2);
        ck_assert_uint_eq(h->recs[1].start, 4);
    }
}
END_TEST

/* ---- doctype ----------------------------------------------------------- */

static smo_doctype doctype_of(const char *doc, harness **hp)
{
    harness *h = tokens(doc, 0);
    ck_assert_uint_ge(h->n, 1);
    ck_assert_int_eq(h->recs[0].type, SMO_TOKEN_DOCTYPE);
    ck_assert_int_eq(h->recs[0].has_raw, 1);
    *hp = h;
    return h->recs[0].dt;
}

static const char *field(const harness *h, size_t off, size_t len)
{
    return apr_pstrndup(pool, h->doc + h->recs[0].start + off, len);
}

START_TEST(doctypes)
{
    harness *h;
    smo_doctype d;

    d = doctype_of("<!DOCTYPE html>", &h);
    ck_assert_uint_eq(h->recs[0].end, 15);
    ck_assert_int_eq(d.has_name, 1);
    ck_assert_str_eq(field(h, d.name_off, d.name_len), "html");
    ck_assert_int_eq(d.has_public, 0);
    ck_assert_int_eq(d.has_system, 0);
    ck_assert_int_eq(d.force_quirks, 0);

    d = doctype_of("<!doctype HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" "
                   "'http://www.w3.org/TR/html4/strict.dtd'>x", &h);
    ck_assert_str_eq(field(h, d.name_off, d.name_len), "HTML");
    ck_assert_int_eq(d.has_public, 1);
    ck_assert_str_eq(field(h, d.public_off, d.public_len),
                     "-//W3C//DTD HTML 4.01//EN");
    ck_assert_int_eq(d.has_system, 1);
    ck_assert_str_eq(field(h, d.system_off, d.system_len),
                     "http://www.w3.org/TR/html4/strict.dtd");
    ck_assert_int_eq(d.force_quirks, 0);
    ck_assert_uint_eq(h->n, 2);

    d = doctype_of("<!DOCTYPE html SYSTEM \"about:legacy-compat\">", &h);
    ck_assert_int_eq(d.has_public, 0);
    ck_assert_int_eq(d.has_system, 1);
    ck_assert_str_eq(field(h, d.system_off, d.system_len),
                     "about:legacy-compat");
    ck_assert_int_eq(d.force_quirks, 0);

    d = doctype_of("<!DOCTYPE html PUBLIC \"x\">", &h);
    ck_assert_int_eq(d.has_public, 1);
    ck_assert_int_eq(d.has_system, 0);
    ck_assert_int_eq(d.force_quirks, 0);

    d = doctype_of("<!DOCTYPE>", &h);
    ck_assert_int_eq(d.has_name, 0);
    ck_assert_int_eq(d.force_quirks, 1);

    d = doctype_of("<!DOCTYPE html PUBLIC>", &h);
    ck_assert_int_eq(d.force_quirks, 1);
    d = doctype_of("<!DOCTYPE html bogus>", &h);
    ck_assert_int_eq(d.force_quirks, 1);
    /* '>' inside an identifier ends the doctype (abrupt identifier) */
    d = doctype_of("<!DOCTYPE html PUBLIC \"a>b\">", &h);
    ck_assert_uint_eq(h->recs[0].end, 25);
    ck_assert_int_eq(d.force_quirks, 1);
    ck_assert_str_eq(field(h, d.public_off, d.public_len), "a");
    /* unterminated at EOF: a doctype token with force-quirks */
    d = doctype_of("<!DOCTYPE html", &h);
    ck_assert_int_eq(h->recs[0].eof, 1);
    ck_assert_uint_eq(h->recs[0].end, 14);
    ck_assert_int_eq(d.force_quirks, 1);
    ck_assert_str_eq(field(h, d.name_off, d.name_len), "html");
}
END_TEST

/* ---- CDATA ------------------------------------------------------------- */

START_TEST(cdata_only_in_foreign)
{
    harness *h;
    /* without foreign content: a bogus comment up to the first '>' */
    ck_assert_str_eq(lex("<![CDATA[a>b]]>"), "C\"[CDATA[a\"\nT\"b]]>\"\n");

    h = make("<![CDATA[a>]b]]]>c", 18, 0, 0);
    smo_tokenizer_set_foreign(h->tok, 1);
    feed_steps(h, 0);
    ck_assert_str_eq(dump(h, 1), "0-17 X\"a>]b]\"\n17-18 T\"c\"\n");
    ck_assert_uint_eq(h->recs[0].data_start, 9);
    ck_assert_uint_eq(h->recs[0].data_end, 14);

    /* unterminated at EOF */
    h = make("<![CDATA[ab", 11, 0, 0);
    smo_tokenizer_set_foreign(h->tok, 1);
    feed_steps(h, 0);
    ck_assert_str_eq(dump(h, 1), "0-11 X\"ab\" eof\n");

    /* with the simulation: on inside svg/math, off after breaking out */
    ck_assert_str_eq(sim("<svg><![CDATA[<p>]]></svg><![CDATA[x]]>"),
                     "<svg> H7\nX\"<p>\"\n</svg>\nC\"[CDATA[x]]\"\n");
    ck_assert_str_eq(sim("<math><![CDATA[1<2]]><p><![CDATA[y]]>"),
                     "<math> H7\nX\"1<2\"\n<p>\nC\"[CDATA[y]]\"\n");
}
END_TEST

/* ---- end of stream ----------------------------------------------------- */

START_TEST(unterminated_at_eof)
{
    harness *h;
    /* a tag: no token at all */
    h = tokens("ab<div class=\"x", 0);
    ck_assert_str_eq(dump(h, 1), "0-2 T\"ab\"\n");
    ck_assert_str_eq(lex("a<b"), "T\"a\"\n");
    ck_assert_str_eq(lex("a<b c=d /"), "T\"a\"\n");
    ck_assert_str_eq(lex("a</b"), "T\"a\"\n");
    /* "<" and "</" alone are text */
    ck_assert_str_eq(lex("a<"), "T\"a<\"\n");
    ck_assert_str_eq(lex("a</"), "T\"a</\"\n");
    /* a comment: a Comment token with eof set */
    h = tokens("x<!-- abc -", 0);
    ck_assert_str_eq(dump(h, 1), "0-1 T\"x\"\n1-11 C\" abc \" eof\n");
    ck_assert_str_eq(lex("<!--"), "C\"\" eof\n");
    ck_assert_str_eq(lex("<!--a--"), "C\"a\" eof\n");
    ck_assert_str_eq(lex("<!--a--!"), "C\"a\" eof\n");
    ck_assert_str_eq(lex("<!"), "C\"\" eof\n");
    ck_assert_str_eq(lex("<!DOC"), "C\"DOC\" eof\n");
    ck_assert_str_eq(lex("<?php"), "C\"?php\" eof\n");
    /* the same cut across chunks */
    h = make("x<!-- abc -", 11, 0, 0);
    feed_steps(h, 1);
    ck_assert_str_eq(dump(h, 1), "0-1 T\"x\"\n1-11 C\" abc \" eof\n");
    h = make("ab<div class=\"x", 15, 0, 0);
    feed_steps(h, 1);
    ck_assert_str_eq(dump(h, 1), "0-2 T\"ab\"\n");
}
END_TEST

START_TEST(callback_stops_feed)
{
    harness *h = make("a<b>c<d>e", 9, 0, 0);
    h->stop_after = 2;
    ck_assert_int_eq(smo_tokenizer_feed(h->tok, h->doc, 9, 1), 99);
    ck_assert_uint_eq(h->n_tokens, 2);
}
END_TEST

/* ---- text states through the simulation -------------------------------- */

START_TEST(script_data)
{
    ck_assert_str_eq(sim("<script>a</b>\"</script>\"</script>x"),
                     "<script> H5\nT\"a</b>\"\"\n</script>\nT\"\"\" H2@23\n"
                     "</script>\nT\"x\"\n");
    /* double-escaped: the inner </script> does not end it */
    ck_assert_str_eq(sim("<script><!--<script></script>--></script>x"),
                     "<script> H5\nT\"<!--<script></script>-->\"\n</script>\n"
                     "T\"x\" H2@41\n");
    /* escaped but not double-escaped: </script> ends it */
    ck_assert_str_eq(sim("<script><!--</script>-->"),
                     "<script> H5\nT\"<!--\"\n</script>\nT\"-->\" H2@21\n");
    /* "<!--<scriptx>" does not double-escape; "</SCRIPT >" with
     * attributes is the end tag */
    ck_assert_str_eq(sim("<script><!--<scripts></script a=b><p>"),
                     "<script> H5\nT\"<!--<scripts>\"\n</script a=b>\n<p> H2\n");
    /* "-->" leaves the escape, so a later "<script>" is plain text */
    ck_assert_str_eq(sim("<script><!-- --><script></script>x"),
                     "<script> H5\nT\"<!-- --><script>\"\n</script>\nT\"x\" H2@33\n");
    /* "-->" also leaves the double escape */
    ck_assert_str_eq(sim("<script><!--<script>--></script>x"),
                     "<script> H5\nT\"<!--<script>-->\"\n</script>\nT\"x\" H2@32\n");
    /* only the whole word "script" double-escapes */
    ck_assert_str_eq(sim("<script><!--<scrip></script>x"),
                     "<script> H5\nT\"<!--<scrip>\"\n</script>\nT\"x\" H2@28\n");
    ck_assert_str_eq(sim("<script><!--<script/></script>--></script>x"),
                     "<script> H5\nT\"<!--<script/></script>-->\"\n</script>\n"
                     "T\"x\" H2@42\n");
    /* "</scriptx>" is not the end tag */
    ck_assert_str_eq(sim("<SCRIPT></scriptx></SCRIPT >"),
                     "<script> H5\nT\"</scriptx>\"\n</script>\n");
    /* an svg script is foreign: no script data */
    ck_assert_str_eq(sim("<body><svg><script><g/></script></svg>"),
                     "<body> H7\n<svg>\n<script>\n<g/>\n</script>\n</svg>\n");
}
END_TEST

START_TEST(rcdata_and_rawtext)
{
    ck_assert_str_eq(sim("<title>a</head><b>&amp;</title>x"),
                     "<title> H5\nT\"a</head><b>&amp;\"\n</title>\nT\"x\" H2@31\n");
    ck_assert_str_eq(sim("<body><textarea></textareax></TEXTAREA x=1><p>"),
                     "<body> H7\n<textarea>\nT\"</textareax>\"\n</textarea x=1>\n"
                     "<p>\n");
    {
        static const char *const raw[] = {
            "style", "xmp", "iframe", "noembed", "noframes", "noscript", NULL
        };
        for (int i = 0; raw[i]; i++) {
            const char *doc = apr_psprintf(pool,
                                           "<body><%s><b>&lt;</%s2></%s><i>",
                                           raw[i], raw[i], raw[i]);
            const char *want = apr_psprintf(pool,
                                            "<body> H7\n<%s>\nT\"<b>&lt;</%s2>\"\n"
                                            "</%s>\n<i>\n", raw[i], raw[i], raw[i]);
            ck_assert_str_eq(sim(doc), want);
        }
    }
    /* in svg, style and title hold markup */
    ck_assert_str_eq(sim("<body><svg><style><g></g></style><title><i>"),
                     "<body> H7\n<svg>\n<style>\n<g>\n</g>\n</style>\n"
                     "<title>\n<i>\n");
}
END_TEST

START_TEST(plaintext)
{
    harness *h = tokens("<body><plaintext></plaintext><b>&amp;<!--x-->", 1);
    ck_assert_str_eq(dump(h, 0),
                     "<body> H7\n<plaintext>\nT\"</plaintext><b>&amp;<!--x-->\"\n");
    h = make("<body><plaintext></plaintext><b>&amp;<!--x-->", 45, 1, 0);
    feed_steps(h, 1);
    ck_assert_str_eq(dump(h, 0),
                     "<body> H7\n<plaintext>\nT\"</plaintext><b>&amp;<!--x-->\"\n");
}
END_TEST

START_TEST(foreign_content)
{
    harness *h = tokens("<body><svg><g><p>x</p><svg><foreignObject><div>"
                        "<![CDATA[q]]></div></foreignObject><![CDATA[r]]>", 1);
    ck_assert_str_eq(dump(h, 0),
                     "<body> H7\n<svg>\n<g>\n<p>\nT\"x\"\n</p>\n<svg>\n"
                     "<foreignobject>\n<div>\nC\"[CDATA[q]]\"\n</div>\n"
                     "</foreignobject>\nX\"r\"\n");
    ck_assert_int_eq(h->recs[2].foreign_after, 1);   /* <g> */
    ck_assert_int_eq(h->recs[3].foreign_after, 0);   /* <p> broke out */
    ck_assert_int_eq(h->recs[6].foreign_after, 1);   /* <svg> again */
    ck_assert_int_eq(h->recs[12].foreign_after, 1);
    /* <font> breaks out only with color, face or size */
    ck_assert_str_eq(sim("<body><svg><font x=1><![CDATA[a]]><font size=2>"
                         "<![CDATA[b]]>"),
                     "<body> H7\n<svg>\n<font x=1>\nX\"a\"\n<font size=2>\n"
                     "C\"[CDATA[b]]\"\n");
    {
        static const char *const out[] = { "b", "table", "span", "h1", "ul",
                                           "pre", "img", NULL };
        for (int i = 0; out[i]; i++)
            ck_assert_str_eq(sim(apr_psprintf(pool, "<body><svg><g><%s>"
                                              "<![CDATA[a]]>", out[i])),
                             apr_psprintf(pool, "<body> H7\n<svg>\n<g>\n<%s>\n"
                                          "C\"[CDATA[a]]\"\n", out[i]));
    }
    /* </p> and </br> break out too */
    ck_assert_str_eq(sim("<body><svg><g></p><![CDATA[a]]>"),
                     "<body> H7\n<svg>\n<g>\n</p>\nC\"[CDATA[a]]\"\n");
    /* MathML text integration point: <mi> is MathML (CDATA), an element
     * inside it is HTML (no CDATA); an HTML annotation-xml holds HTML */
    ck_assert_str_eq(sim("<body><math><mi><![CDATA[a]]><i><![CDATA[b]]></i>"
                         "</mi><annotation-xml encoding=\"text/html\"><script>"
                         "<x></script>"),
                     "<body> H7\n<math>\n<mi>\nX\"a\"\n<i>\nC\"[CDATA[b]]\"\n"
                     "</i>\n</mi>\n<annotation-xml encoding=\"text/html\">\n"
                     "<script>\nT\"<x>\"\n</script>\n");
    /* self-closing <svg/> opens nothing */
    ck_assert_str_eq(sim("<body><svg/><![CDATA[a]]>"),
                     "<body> H7\n<svg/>\nC\"[CDATA[a]]\"\n");
}
END_TEST

/* An HTML end tag that closes an HTML ancestor of <svg> also closes the
 * svg (the foreign-content "any other end tag" rule hands it to the HTML
 * insertion mode, which pops past the svg). */
START_TEST(foreign_closed_by_html_ancestor)
{
    harness *h = tokens("<body><div><svg></div><![CDATA[a>b]]>", 1);
    ck_assert_str_eq(dump(h, 0),
                     "<body> H7\n<div>\n<svg>\n</div>\nC\"[CDATA[a\"\nT\"b]]>\"\n");
    ck_assert_int_eq(h->recs[3].foreign_after, 0);
}
END_TEST

START_TEST(template_depth)
{
    harness *h = tokens("<body><template><template><p></template><i>"
                        "</template><b>", 1);
    ck_assert_str_eq(dump(h, 0), "<body> H7\n<template>\n<template>\n<p>\n"
                     "</template>\n<i>\n</template>\n<b>\n");
    ck_assert_int_eq(h->recs[0].template_after, 0);
    ck_assert_int_eq(h->recs[1].template_after, 1);
    ck_assert_int_eq(h->recs[4].template_after, 1);
    ck_assert_int_eq(h->recs[6].template_after, 0);

    /* </template> closes what was opened inside it, foreign content and
     * its integration points included; a template opened inside an
     * integration point closes back to it. */
    h = tokens("<body><template><svg><desc></template><![CDATA[a]]>", 1);
    ck_assert_str_eq(dump(h, 0), "<body> H7\n<template>\n<svg>\n<desc>\n"
                     "</template>\nC\"[CDATA[a]]\"\n");
    ck_assert_int_eq(h->recs[3].foreign_after, 1);
    ck_assert_int_eq(h->recs[4].foreign_after, 0);
    ck_assert_int_eq(h->recs[4].template_after, 0);
    h = tokens("<body><template><svg><desc><template><math></template>"
               "<![CDATA[a]]></template><![CDATA[b]]>", 1);
    ck_assert_str_eq(dump(h, 0), "<body> H7\n<template>\n<svg>\n<desc>\n"
                     "<template>\n<math>\n</template>\nX\"a\"\n"
                     "</template>\nC\"[CDATA[b]]\"\n");
    ck_assert_int_eq(h->recs[6].template_after, 1);
}
END_TEST

/* ---- where the head starts and ends ------------------------------------ */

START_TEST(head_explicit)
{
    harness *h = tokens("<!DOCTYPE html><html><head><meta charset=utf-8>"
                        "</head><body>", 1);
    ck_assert_str_eq(dump(h, 0), "D\"<!DOCTYPE html>\"\n<html>\n<head> H1\n"
                     "<meta charset=utf-8>\n</head> H2\n<body>\n");
    ck_assert_int_eq(h->recs[2].body_after, 0);
    ck_assert_int_eq(h->recs[4].body_after, 0);
    ck_assert_int_eq(h->recs[5].body_after, 1);
    ck_assert_int_eq(smo_treesim_head_phase(h->sim), SMO_HEAD_AFTER);
}
END_TEST

START_TEST(head_implicit_and_closers)
{
    ck_assert_str_eq(sim("<html>\n<title>t</title><meta name=a>x"),
                     "<html>\nT\"\n\"\n<title> H5\nT\"t\"\n</title>\n"
                     "<meta name=a>\nT\"x\" H2@36\n");
    ck_assert_str_eq(sim("<meta charset=utf-8><link rel=x></head>"),
                     "<meta charset=utf-8> H5\n<link rel=x>\n</head> H2\n");
    ck_assert_str_eq(sim("<head><title>a</title><body>"),
                     "<head> H1\n<title>\nT\"a\"\n</title>\n<body> H2\n");
    /* a stray <div> as the first element opens and closes the head */
    ck_assert_str_eq(sim("<!--c--><div>"), "C\"c\"\n<div> H7\n");
    ck_assert_str_eq(sim("<head><meta a=b><div></head>"),
                     "<head> H1\n<meta a=b>\n<div> H2\n</head>\n");
    /* </br> acts as <br> */
    ck_assert_str_eq(sim("<head></br><meta>"), "<head> H1\n</br> H2\n<meta>\n");
    /* other end tags are ignored in the head */
    ck_assert_str_eq(sim("<head></p></div><meta></head>"),
                     "<head> H1\n</p>\n</div>\n<meta>\n</head> H2\n");
    /* text: whitespace stays, the first other byte closes it */
    {
        harness *h = tokens("<head> \t\n  hello</head>", 1);
        ck_assert_str_eq(dump(h, 0), "<head> H1\nT\" \t\n  hello\" H2@11\n</head>\n");
        h = make("<head> \t\n  hello</head>", 23, 1, 0);
        feed_steps(h, 1);
        ck_assert_str_eq(dump(h, 0), "<head> H1\nT\" \t\n  hello\" H2@11\n</head>\n");
        h = tokens("  x", 1);
        ck_assert_str_eq(dump(h, 0), "T\"  x\" H7@2\n");
        ck_assert_int_eq(h->recs[0].body_after, 1);
    }
    ck_assert_int_eq(smo_treesim_head_phase(tokens("<html>  ", 1)->sim),
                     SMO_HEAD_BEFORE);
    ck_assert_int_eq(smo_treesim_head_phase(tokens("<html><head>", 1)->sim),
                     SMO_HEAD_IN);
    /* </head> in before-head opens and closes an empty head */
    ck_assert_str_eq(sim("<html></head><meta>"), "<html>\n</head> H7\n<meta>\n");
    /* other end tags before the head are ignored */
    ck_assert_str_eq(sim("</p><head>"), "</p>\n<head> H1\n");
}
END_TEST

START_TEST(head_not_closed_inside)
{
    ck_assert_str_eq(sim("<head><!--</head>--><meta></head>"),
                     "<head> H1\nC\"</head>\"\n<meta>\n</head> H2\n");
    ck_assert_str_eq(sim("<head><script></head></script><meta></head>"),
                     "<head> H1\n<script>\nT\"</head>\"\n</script>\n<meta>\n"
                     "</head> H2\n");
    ck_assert_str_eq(sim("<head><style></head></style></head>"),
                     "<head> H1\n<style>\nT\"</head>\"\n</style>\n</head> H2\n");
    ck_assert_str_eq(sim("<head><title></head></title></head>"),
                     "<head> H1\n<title>\nT\"</head>\"\n</title>\n</head> H2\n");
    ck_assert_str_eq(sim("<head><noscript></head></noscript></head>"),
                     "<head> H1\n<noscript>\nT\"</head>\"\n</noscript>\n"
                     "</head> H2\n");
    ck_assert_str_eq(sim("<head><meta content=\"</head>\" name='</head>'></head>"),
                     "<head> H1\n<meta content=\"</head>\" name='</head>'>\n"
                     "</head> H2\n");
    /* the textarea itself closes the head; the </head> in it is text */
    ck_assert_str_eq(sim("<head><textarea></head></textarea>"),
                     "<head> H1\n<textarea> H2\nT\"</head>\"\n</textarea>\n");
    /* template content: neither </head>, <div>, nor text ends the head */
    ck_assert_str_eq(sim("<head><template></head><div>x</div></template>"
                         "<meta></head>"),
                     "<head> H1\n<template>\n</head>\n<div>\nT\"x\"\n</div>\n"
                     "</template>\n<meta>\n</head> H2\n");
    /* implicit head with a template */
    ck_assert_str_eq(sim("<template><p></template>x"),
                     "<template> H5\n<p>\n</template>\nT\"x\" H2@24\n");
}
END_TEST

/* <svg> inside a head <template>, closed by </template>: the browser pops
 * the svg with the template, so </head> then ends the head. */
START_TEST(head_after_foreign_in_template)
{
    ck_assert_str_eq(sim("<head><template><svg></template></head><body>"),
                     "<head> H1\n<template>\n<svg>\n</template>\n</head> H2\n"
                     "<body>\n");
}
END_TEST

/* ---- chunking does not change the tokens ------------------------------- */

static const char *const split_docs[] = {
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>A &amp; B</head></title><link rel=canonical href='/x'></head>"
    "<body><p class=a>Hi</p></body></html>",
    "<head><script>if (a<b) x=\"</scr\"+\"ipt>\";<!--<script>"
    "document.write(\"</script>\")</script>--></script>"
    "<style>p>a{}</style ></head>x",
    "<!----><!-- a -- b --!><!-->x<!--->y<!-- - --><?php x ?></3><!x></>z"
    "<!--a--!-b--><!DOC>",
    "<a Href=\"1\" HREF='2' data-x=3 checked B=c/d e = \"f g\" =h/>"
    "<br/><img src=x.png /><P a=1 b='2'c=\"3\">",
    "<p><svg viewBox=\"0 0 1 1\"><![CDATA[a<b]]]><foreignObject><p>q</p>"
    "</foreignObject><title>t</title></svg><![CDATA[n]]>",
    "<math><mi><b>x</b></mi><annotation-xml encoding=\"text/html\"><i>y</i>"
    "</annotation-xml></math><p>z",
    "<head><template><div></head></div></template><meta name=a "
    "content=\"</head>\"></head><body>",
    "<body><textarea></textarea ></TEXTAREA><xmp><b></xmp><iframe><p></iframe>"
    "<noembed><i></noembed><noframes><u></noframes><title>&lt;</title>",
    "\n  <meta property=\"og:title\" content=x>\n  text here</head>",
    "<SCRIPT type=\"x\">a<!-- <script> --></SCRIPT >b<body><plaintext>"
    "</plaintext><b>&amp;",
    "<!doctype html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"x\"><div title=\"x\">"
    "text<!-- unterminated -",
    "<div>a</div><a href=\"x",
    NULL
};

static const char *run_split(const char *doc, size_t len, int mode, size_t arg)
{
    harness *h = make(doc, len, 1, 0);
    if (mode == 0)
        feed_split(h, arg);
    else
        feed_steps(h, arg);
    return dump(h, 1);
}

START_TEST(split_everywhere)
{
    const char *doc = split_docs[_i];
    size_t len = strlen(doc);
    const char *whole = run_split(doc, len, 1, 0);

    ck_assert_str_ne(whole, "");
    for (size_t at = 0; at <= len; at++) {
        const char *got = run_split(doc, len, 0, at);
        if (strcmp(got, whole))
            ck_abort_msg("split at %zu of doc %d:\n%s\n--- whole:\n%s",
                         at, _i, got, whole);
    }
    for (size_t step = 1; step <= 7; step++) {
        const char *got = run_split(doc, len, 1, step);
        if (strcmp(got, whole))
            ck_abort_msg("chunks of %zu, doc %d:\n%s\n--- whole:\n%s",
                         step, _i, got, whole);
    }
}
END_TEST

/* ---- the lean fast path ------------------------------------------------ */

/* With text, attributes and uninteresting tags skipped (what the engine
 * does in the body), the tokens still reported are those of the full run:
 * same kinds, same offsets, in every chunking. */
static const char *const lean_docs[] = {
    "<a =\"x>y\">1</a><a b\"c>2</a><div title='>' data-x=\"a>b\" y=z/>3"
    "<p a = 'q>' b=c/d / e>4</p><i/ =x>5</i></body>",
    "<div><svg><g a='>'/><desc><p>x</p></desc></svg></div><script>'</div>'"
    "</script><!-- m --><span a=\"</body>\"></span></body></html>",
    "<b a=\"unterminated",
    /* case, names that look like ones that matter, '<' as text, end tags
     * with attributes, long runs for the 16-byte scans */
    "<DIV CLASS=\"a\">x < y <3 <SPAN>t</SPAN><Scripts></Scripts><SCRIPT "
    "type=x>if (a<b) x='</div>'</ScRiPt><br/><P></P><TITLE a='>'>a<b></title>"
    "<xmp><p></xmp><bodyx></bodyx><Svg/><MATH></MATH><textarea></textarea>"
    "<a\x01b href=\"0123456789abcdef0123456789abcdef>\" t='0123456789abcdefghij'"
    " data-long-attribute-name-past-sixteen=1>z</a x=\">\"></BODY></HTML>",
    "<div\tid=a\nclass='b'\fdata-x\r=\"c\"/ ><ul><li>1<li>2</ul><img\v"
    "src=x><</p><<a>><!DOCTYPE html><?pi?></></ x><noscript><p></noscript>"
    "<template><p></template><iframe><a></iframe></body>",
    /* every quoting form hiding a tag that would matter */
    "<div a='</body>' b=\"<script>\" c=<svg>x<p title = '<title>'>1</p>"
    "<i x\n=\n'<xmp>' y= \"<math>\">2</i><b z=<style>3</b><a/b='<svg>'>"
    "<a b='c'd='<svg>'e=\"<math>\"f=<xmp>></a><i a/\"><svg>\"></svg>"
    "<b a=\"\"/'><math>'></math><p =\"><xmp>\"></xmp></body>",
    /* text elements stepped over whole: what looks like their end tag
     * but is not, tags inside them, end tags with attributes */
    "<script>x='</scripty>'; y='<svg>'; z='</script'+'>'</script><p>a</p>"
    "<style>a{}</style x='<svg>'><title></titlex><math></title/>"
    "<textarea></TEXTAREA\n><svg></svg><SCRIPT></SCRIPT ><noscript>"
    "<math></noscript x=\"<svg>\"><script><!-- <script> </script> <svg> -->"
    "</script><math></math><iframe></iframe</iframe></body>",
    /* comments stepped over whole: every way one ends, and ways it does
     * not, each followed by a tag that matters */
    "<!--><svg></svg><!---><math></math><!----><svg/><!-- a --!><math/>"
    "<!-- --!-> <svg> -- > <math> ---><svg/><!-- <!-- <svg> --><math/>"
    "<!-- x <!--> <svg/><!---x--><math/><!-- -><svg/> --!--><math/>"
    "<!- bogus --><svg/><!DOCTYPE x><math/><!-- cut at the end",
    /* names past the 16 bytes the fast path reads after '<' (custom
     * elements), end tags among them; the '<' after a tag inside its own
     * quoted value or text element, where the next tag does not start */
    "<my-very-long-custom-element data-x='<svg>'>a</my-very-long-custom-"
    "element><scriptscriptscript1>x</scriptscriptscript1><bodybodybodybody>"
    "<x-0123456789abcd>1</x-0123456789abcd><x-0123456789abcde/><svgsvgsvgs"
    "vgsvgsvg a=\"<math>\"><p title=\"a<b\" class='<svg><math>'>c<d</p><s"
    "cript>if (a<b && c<d) x='<svg>'</script><math></math><!--<svg>--><b>"
    "</body>",
    NULL
};

/* Outside svg/math, only tags that change the text state, open foreign or
 * template content, or are html, head or body still matter. */
static const char *const lean_kept[] = {
    "html", "head", "body", "template", "svg", "math", "script", "plaintext",
    "title", "textarea", "style", "xmp", "iframe", "noembed", "noframes",
    "noscript", NULL
};

static int reported_in_lean(const rec *r, int nested_before)
{
    if (r->type == SMO_TOKEN_TEXT)
        return 0;
    if (r->type != SMO_TOKEN_START_TAG && r->type != SMO_TOKEN_END_TAG)
        return 1;
    if (nested_before)
        return 1;
    for (const char *const *k = lean_kept; *k; k++)
        if (!strcmp(r->name, *k))
            return 1;
    return 0;
}

/* A text element's tags outside svg/math (script, style, title...): the
 * fast path may step over the whole element when it ends in the same
 * chunk, so whether they are reported depends on the chunking. */
static int optional_in_lean(const rec *r, int nested_before, int comments)
{
    static const char *const text_elements[] = {
        "script", "style", "title", "textarea", "xmp", "iframe", "noembed",
        "noframes", "noscript", NULL
    };
    if (nested_before)
        return 0;
    if (r->type == SMO_TOKEN_COMMENT)
        return comments;
    if (r->type != SMO_TOKEN_START_TAG && r->type != SMO_TOKEN_END_TAG)
        return 0;
    for (const char *const *k = text_elements; *k; k++)
        if (!strcmp(r->name, *k))
            return 1;
    return 0;
}

/* The tokens a run reports, in lean mode (lean) or what lean mode must
 * report of the full run (!lean), without the optional ones; comments
 * are optional where lean mode may skip them. */
static const char *lean_dump(const char *doc, size_t len, size_t step, int lean,
                             int comments)
{
    harness *h = make(doc, len, 1, 0);
    harness *f;
    int nested = 0;
    if (lean)
        smo_tokenizer_set_lean(h->tok, SMO_LEAN_TEXT | SMO_LEAN_ATTRS |
                                            SMO_LEAN_TAGS |
                                            (comments ? SMO_LEAN_COMMENTS : 0));
    feed_steps(h, step);
    f = make(doc, len, 1, 0);
    f->n = 0;
    for (size_t i = 0; i < h->n; i++) {
        rec r = h->recs[i];
        /* Boundaries are the point here, not attributes (gone in lean
         * mode); and lean mode is for after the head. */
        if ((lean || reported_in_lean(&r, nested)) &&
            !optional_in_lean(&r, nested, comments)) {
            r.n_attrs = 0;
            r.head = 0;
            *new_rec(f) = r;
        }
        nested = h->recs[i].foreign_after;
    }
    f->doc = doc;
    return dump(f, 1);
}

#define N_LEAN_DOCS 9

START_TEST(lean_same_boundaries)
{
    const char *const *docs = _i < N_LEAN_DOCS ? lean_docs : split_docs;
    const char *doc = docs[_i < N_LEAN_DOCS ? _i : _i - N_LEAN_DOCS];
    size_t len = strlen(doc);
    for (int comments = 0; comments <= 1; comments++) {
        const char *want = lean_dump(doc, len, 0, 0, comments);
        for (size_t step = 0; step <= len; step++) {
            const char *got = lean_dump(doc, len, step, 1, comments);
            if (strcmp(got, want))
                ck_abort_msg("lean%s, chunks of %zu, doc %d:\n%s\n"
                             "--- wanted:\n%s", comments ? " (comments)" : "",
                             step, _i, got, want);
        }
    }
}
END_TEST

/* xorshift32: a fixed sequence, the same on every machine. */
static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* Documents made of random pieces (tags that matter and tags that do not,
 * every quoting form, text elements, comments, '<' as text, long names),
 * with the same property: lean mode reports what the full run reports,
 * at the same offsets, whole and in chunks.  A fixed seed keeps a failure
 * reproducible. */
START_TEST(lean_random_docs)
{
    static const char *const pieces[] = {
        "<a", "<div", "<p", "</div>", "</a>", "<br/>", "<my-custom-element-x",
        "</my-custom-element-x>", ">", " ", "\n", "=", "\"", "'", "/", "x",
        "href", " class=\"c\"", "='<svg>'", "=\"</body>\"", "=x>", "<", "</",
        "<!--", "-->", "--!>", "<script>", "</script>", "<style>", "</style>",
        "<title>", "</title>", "<textarea>", "<svg>", "</svg>", "<math>",
        "<template>", "</template>", "<body>", "</body>", "<!DOCTYPE html>",
        "<![CDATA[", "]]>", "<?x?>", "a<b", " data-long-attribute-name-x=1",
        "<scriptx>", "<SCRIPT>", "</SCRIPT >", "\t", "<img src=x alt=\"a>b\">"
    };
    const size_t n_pieces = sizeof pieces / sizeof pieces[0];
    static const size_t steps[] = { 0, 1, 7, 17, 40 };
    uint32_t seed = 2463534242u;
    apr_pool_t *outer = pool;

    for (int d = 0; d < 1500; d++) {
        char doc[1024];
        size_t len = 0, count = 8 + next_random(&seed) % 48;
        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[next_random(&seed) % n_pieces];
            size_t n = strlen(p);
            if (len + n >= sizeof doc)
                break;
            memcpy(doc + len, p, n);
            len += n;
        }
        doc[len] = '\0';
        apr_pool_create(&pool, outer);
        for (int comments = 0; comments <= 1; comments++) {
            const char *want = lean_dump(doc, len, 0, 0, comments);
            for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
                const char *got = lean_dump(doc, len, steps[k], 1, comments);
                if (strcmp(got, want))
                    ck_abort_msg("lean%s, chunks of %zu, document %d:\n%s\n"
                                 "%s\n--- wanted:\n%s",
                                 comments ? " (comments)" : "", steps[k], d,
                                 doc, got, want);
            }
        }
        apr_pool_destroy(pool);
        pool = outer;
    }
}
END_TEST

/* The body's tag test agrees with the list above in any ASCII case, and
 * its inlined pre-check never rules out a tag that matters. */
START_TEST(lean_tag_set)
{
    static const char *const others[] = {
        "a", "p", "br", "li", "div", "span", "img", "svgx", "sv", "bod",
        "bodyx", "htm", "heads", "maths", "scripts", "scrip", "titles",
        "textareas", "templates", "iframes", "noscrip", "plaintex", "xmpp",
        "foreignobject", "desc", "font", "mi", "annotation-xml", "table",
        "thead", "small", "strong", "section", "nobr", "menu", "mark",
        "header", "input", "\x01tml", "h\x14ml", NULL
    };
    char buf[32];
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? others : lean_kept;
        for (const char *const *n = list; *n; n++) {
            size_t len = strlen(*n);
            for (int variant = 0; variant < 3; variant++) {
                for (size_t i = 0; i <= len; i++) {
                    unsigned char c = (unsigned char)(*n)[i];
                    if (variant == 1 || (variant == 2 && i % 2))
                        c = (unsigned char)toupper(c);
                    buf[i] = (char)c;
                }
                ck_assert_msg(smo_tag_matters_outside_foreign(buf, len) == !pass,
                              "%s", buf);
                if (!pass)
                    ck_assert_msg(smo_tag_may_matter_outside_foreign(buf, len),
                                  "%s", buf);
            }
        }
    }
    /* the tree rules single these out too */
    for (const char *const *n = lean_kept; *n; n++) {
        tagclass k = smo_tag_classify(*n, strlen(*n));
        ck_assert_msg(k.id != T_OTHER || (k.flags & (K_RCDATA | K_RAWTEXT)),
                      "%s", *n);
    }
}
END_TEST

/* SMO_LEAN_IDLE_TEXT: the tokens of the full run, in every chunking,
 * less the text no tree rule reads: whitespace-only pieces in the data
 * state, and the text of script, style and noscript.  A title's and a
 * textarea's text (RCDATA) stays, whitespace and all. */
static const char IDLE_DOC[] =
    "<!DOCTYPE html>\n<html>\n <head>\n  <title> Tea &amp; co </title>\n"
    "  <script>if (a<b) x()</script>\n  <style>p{}</style>\n"
    "  <noscript><p></noscript>\n </head>\n <body>\n  <p>Hello <b>tea</b>"
    "</p>\n  <textarea> t </textarea>\n </body>\n</html>\n";

static int in_element(uint64_t at, const char *open, const char *close)
{
    const char *a = strstr(IDLE_DOC, open), *b = strstr(IDLE_DOC, close);
    return at >= (uint64_t)(a - IDLE_DOC) + strlen(open) &&
           at < (uint64_t)(b - IDLE_DOC);
}

START_TEST(idle_text)
{
    size_t len = strlen(IDLE_DOC);
    for (size_t step = 0; step <= len; step++) {
        harness *h[2];
        char cov[2][sizeof(IDLE_DOC)];
        const char *tags[2];
        for (int k = 0; k < 2; k++) {
            harness *tags_only = make(IDLE_DOC, len, 1, 0);
            h[k] = make(IDLE_DOC, len, 1, 0);
            if (k)
                smo_tokenizer_set_lean(h[k]->tok, SMO_LEAN_IDLE_TEXT);
            feed_steps(h[k], step);
            memset(cov[k], 0, sizeof(cov[k]));
            for (size_t i = 0; i < h[k]->n; i++) {
                const rec *r = &h[k]->recs[i];
                if (r->type == SMO_TOKEN_TEXT)
                    memset(cov[k] + r->start, 1, (size_t)(r->end - r->start));
                else
                    *new_rec(tags_only) = *r;
            }
            tags[k] = dump(tags_only, 1);
        }
        /* every other token as in the full run */
        if (strcmp(tags[1], tags[0]))
            ck_abort_msg("idle text, chunks of %zu:\n%s\n--- wanted:\n%s",
                         step, tags[1], tags[0]);
        for (size_t i = 0; i < len; i++) {
            int raw = in_element(i, "<script>", "</script>") ||
                      in_element(i, "<style>", "</style>") ||
                      in_element(i, "<noscript>", "</noscript>");
            int rcdata = in_element(i, "<title>", "</title>") ||
                         in_element(i, "<textarea>", "</textarea>");
            int ws = IDLE_DOC[i] == ' ' || IDLE_DOC[i] == '\n';
            /* reported: text of the full run, never a script's or style's */
            if (cov[1][i])
                ck_assert_msg(cov[0][i] && !raw, "byte %zu, chunks of %zu",
                              i, step);
            /* kept: what a rule reads */
            if (cov[0][i] && !raw && (rcdata || !ws))
                ck_assert_msg(cov[1][i], "byte %zu lost, chunks of %zu", i,
                              step);
            /* dropped: whitespace alone between two tags (one piece when
             * the document comes whole) */
            if (step == 0 && cov[0][i] && !rcdata && ws) {
                size_t a = i, b = i;
                while (a > 0 && strchr(" \n", IDLE_DOC[a - 1]))
                    a--;
                while (b < len && strchr(" \n", IDLE_DOC[b]))
                    b++;
                if (a > 0 && IDLE_DOC[a - 1] == '>' && IDLE_DOC[b] == '<')
                    ck_assert_msg(!cov[1][i], "byte %zu kept", i);
            }
        }
    }
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

START_TEST(tail_limit_boundary)
{
    /* 16 bytes: fits a 16-byte tail whatever the cut */
    const char *fits = "<a href=\"xyz12\">";
    const char *over = "<a href=\"xyz123\">";
    for (size_t at = 0; at <= 16; at++) {
        harness *h = make(fits, 16, 0, 16);
        feed_split(h, at);
        ck_assert_uint_eq(h->n, 1);
        ck_assert_int_eq(h->recs[0].truncated, 0);
        ck_assert_str_eq(dump(h, 1), "0-16 <a href=\"xyz12\">\n");
    }
    for (size_t at = 1; at < 17; at++) {
        harness *h = make(over, 17, 0, 16);
        feed_split(h, at);
        ck_assert_uint_eq(h->n, 1);
        ck_assert_int_eq(h->recs[0].truncated, 1);
        ck_assert_int_eq(h->recs[0].has_raw, 0);
        ck_assert_uint_eq(h->recs[0].n_attrs, 0);
        ck_assert_ptr_null(h->recs[0].attrs_ptr);
        ck_assert_str_eq(h->recs[0].name, "a");
        ck_assert_uint_eq(h->recs[0].start, 0);
        ck_assert_uint_eq(h->recs[0].end, 17);
    }
}
END_TEST

START_TEST(huge_attribute_value)
{
    const size_t big = 10u * 1024 * 1024, chunk = 64 * 1024;
    const char *head = "hello <a href=\"", *tailp = "\" id=z>world";
    size_t hl = strlen(head), tl = strlen(tailp), len = hl + big + tl;
    char *doc = malloc(len);
    harness *h;
    size_t off = 0;

    ck_assert_ptr_nonnull(doc);
    memcpy(doc, head, hl);
    memset(doc + hl, 'x', big);
    memcpy(doc + hl + big, tailp, tl);
    h = make(doc, len, 1, 0);
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        ck_assert_int_eq(smo_tokenizer_feed(h->tok, doc + off, n,
                                            off + n == len), 0);
        off += n;
        if (off < len) {
            /* the tag is pending: nothing past its start is final */
            ck_assert_uint_eq(smo_tokenizer_safe_offset(h->tok), 6);
            ck_assert_uint_eq(h->n, 1);
        }
    }
    ck_assert_uint_eq(h->n, 3);
    ck_assert_str_eq(dump(h, 1), apr_psprintf(pool,
                     "0-6 T\"hello \" H7@0\n6-%" APR_SIZE_T_FMT " <a> trunc\n%"
                     APR_SIZE_T_FMT "-%" APR_SIZE_T_FMT " T\"world\"\n",
                     len - 5, len - 5, len));
    ck_assert_int_eq(h->recs[1].has_raw, 0);
    ck_assert_ptr_null(h->recs[1].attrs_ptr);
    ck_assert_uint_eq(h->recs[1].n_attrs, 0);
    free(doc);
}
END_TEST

START_TEST(deep_nesting)
{
    const size_t n = 100000;
    size_t len = n * 5 + n * 6;
    char *doc = apr_palloc(pool, len + 1);
    harness *h;

    for (size_t i = 0; i < n; i++)
        memcpy(doc + i * 5, "<div>", 5);
    for (size_t i = 0; i < n; i++)
        memcpy(doc + n * 5 + i * 6, "</div>", 6);
    doc[len] = '\0';
    h = make(doc, len, 1, 0);
    h->count_only = 1;
    feed_steps(h, 4096);
    ck_assert_uint_eq(h->n_tokens, 2 * n);
    ck_assert_uint_eq(h->n_start_tags, n);
    ck_assert_int_eq(smo_treesim_head_phase(h->sim), SMO_HEAD_AFTER);

    /* deep foreign nesting, then out again */
    {
        const size_t d = 1000;
        size_t flen = 5 + d * 3 + d * 4 + 6 + 12;
        char *f = apr_palloc(pool, flen + 1), *p = f;
        memcpy(p, "<svg>", 5), p += 5;
        for (size_t i = 0; i < d; i++)
            memcpy(p, "<g>", 3), p += 3;
        for (size_t i = 0; i < d; i++)
            memcpy(p, "</g>", 4), p += 4;
        memcpy(p, "</svg>", 6), p += 6;
        memcpy(p, "<![CDATA[x>", 11), p += 11;
        *p++ = 'y';
        *p = '\0';
        h = make(f, flen, 1, 0);
        h->count_only = 1;
        feed_steps(h, 0);
        ck_assert_int_eq(smo_treesim_in_foreign(h->sim), 0);
        /* 1 + d + d + 1 tags, a bogus comment, the text "y" */
        ck_assert_uint_eq(h->n_tokens, 2 * d + 4);
    }
}
END_TEST

/* Inside a deep <svg>, <style> is still SVG: markup, not RAWTEXT. */
START_TEST(deep_foreign_stays_foreign)
{
    const size_t d = 400;
    tk_buf b = { .pool = pool };
    harness *h;
    tk_buf_str(&b, "<body><svg>");
    for (size_t i = 0; i < d; i++)
        tk_buf_str(&b, "<g>");
    tk_buf_str(&b, "<style><g></g></style>");
    h = make(b.s, b.len, 1, 0);
    feed_steps(h, 0);
    ck_assert_uint_eq(h->n, 2 + d + 4);
    ck_assert_int_eq(h->recs[2 + d + 1].type, SMO_TOKEN_START_TAG);
    ck_assert_str_eq(h->recs[2 + d + 1].name, "g");
}
END_TEST

/* smo_find_attr, from within the callback (raw is valid only there):
 * the value of each looked-up name, "-" when absent, one line per tag. */
static int find_attr_cb(void *ctx, const smo_token *t)
{
    static const char *const names[] = { "href", "rel", "data-x", "hre" };
    tk_buf *b = ctx;
    if (t->type != SMO_TOKEN_START_TAG)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const smo_attr *a = smo_find_attr(t, names[i]);
        if (a)
            tk_buf_add(b, t->raw + a->value_off, a->value_len);
        else
            tk_buf_str(b, "-");
        tk_buf_str(b, i + 1 < sizeof names / sizeof names[0] ? " " : "\n");
    }
    return 0;
}

START_TEST(find_attr)
{
    /* ASCII case-insensitive on the name, the first of duplicates, no
     * prefix match; a non-ASCII byte (U+0130, U+212A) is no letter. */
    static const char doc[] =
        "<a HREF=x ReL=\"y\" data-X='z'><a href=1 HREF=2 hrefx=3>"
        "<a hr\xC4\xB0" "f=4 rel>";
    tk_buf b = { .pool = pool };
    smo_tokenizer *t = smo_tokenizer_create(pool, 0, find_attr_cb, &b);
    ck_assert_int_eq(smo_tokenizer_feed(t, doc, sizeof doc - 1, 1), 0);
    ck_assert_str_eq(tk_buf_cstr(&b), "x y z -\n1 - - -\n-  - -\n");
}
END_TEST

/* The byte classes of the tag grammar are written once (tag_cc); the fast
 * path's sixteen-byte form of them must agree with it for every byte, in
 * every lane. */
START_TEST(byte_classes_agree)
{
    ck_assert(cc_in(' ', CC_SPACE) && !cc_in('\v', CC_SPACE));
    for (unsigned c = 0; c < 256; c++)
        ck_assert_int_eq(cc_in((unsigned char)c, CC_SPACE),
                         smo_ascii_is_space((unsigned char)c));
#if defined(__SSE2__)
    for (unsigned c = 0; c < 256; c++) {
        for (unsigned lane = 0; lane < 16; lane++) {
            char v[16];
            memset(v, 'a', sizeof v);
            v[lane] = (char)c;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)v);
            ck_assert_int_eq((name_stop_mask(x, 0) >> lane) & 1,
                             cc_in((unsigned char)c, CC_TAG_NAME_END));
            ck_assert_int_eq((name_stop_mask(x, 1) >> lane) & 1,
                             cc_in((unsigned char)c, CC_FAST_NAME_END));
        }
    }
#endif
}
END_TEST

static Suite *tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, tag_spans_every_quoting_form);
    tcase_add_test(tc, duplicate_attributes_first_wins);
    tcase_add_test(tc, self_closing_and_case);
    tcase_add_test(tc, attribute_oddities);
    tcase_add_test(tc, comments);
    tcase_add_test(tc, bogus_comments);
    tcase_add_test(tc, doctypes);
    tcase_add_test(tc, cdata_only_in_foreign);
    tcase_add_test(tc, unterminated_at_eof);
    tcase_add_test(tc, callback_stops_feed);
    tcase_add_test(tc, find_attr);
    tcase_add_test(tc, byte_classes_agree);
    suite_add_tcase(s, tc);

    tc = tcase_create("treesim");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, script_data);
    tcase_add_test(tc, rcdata_and_rawtext);
    tcase_add_test(tc, plaintext);
    tcase_add_test(tc, foreign_content);
    tcase_add_test(tc, foreign_closed_by_html_ancestor);
    tcase_add_test(tc, template_depth);
    tcase_add_test(tc, head_explicit);
    tcase_add_test(tc, head_implicit_and_closers);
    tcase_add_test(tc, head_not_closed_inside);
    tcase_add_test(tc, head_after_foreign_in_template);
    suite_add_tcase(s, tc);

    tc = tcase_create("chunking");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, split_everywhere, 0,
                        (int)(sizeof split_docs / sizeof split_docs[0]) - 1);
    tcase_add_loop_test(tc, lean_same_boundaries, 0,
                        N_LEAN_DOCS +
                            (int)(sizeof split_docs / sizeof split_docs[0]) - 1);
    tcase_add_test(tc, lean_random_docs);
    tcase_add_test(tc, lean_tag_set);
    tcase_add_test(tc, idle_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tail_limit_boundary);
    tcase_add_test(tc, huge_attribute_value);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, deep_foreign_stays_foreign);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { tokenizer_suite, 0, NULL };
