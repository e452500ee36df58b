/* treesim.c — just enough of the HTML tree builder (WHATWG HTML 13.2.6)
 * to know the tokenizer's text state after each start tag, foreign content
 * and template content, and where the head starts and ends. */
#include <string.h>
#include <apr_strings.h>

#include "smo_ascii.h"
#include "smo_tagclass.h"
#include "smo_treesim.h"

/* Namespaces of the elements kept on the foreign stack. */
enum ns { NS_HTML, NS_SVG, NS_MATH };

#define STACK_MAX 256

typedef struct {
    unsigned char ns;
    unsigned char integration;   /* HTML or MathML text integration point */
    unsigned char annotation_xml;
    char name[SMO_TAG_NAME_MAX + 1];
} entry;

struct smo_treesim {
    apr_pool_t *pool;
    smo_tokenizer *tok;
    smo_head_phase phase;
    int in_body;
    int in_raw;                  /* inside script, style, title...: text there
                                  * is the element's, never the head's end */
    unsigned template_depth;
    /* Foreign content: the elements from the outermost <svg>/<math> on.
     * Deeper nesting than STACK_MAX is only counted.  Allocated at the
     * first <svg> or <math>: most pages have none, and 9 KiB to clear for
     * each response would cost more than the rest of the set-up. */
    entry *stack;
    unsigned depth;
};

enum { IP_NONE, IP_HTML, IP_MATHML_TEXT };

smo_treesim *smo_treesim_create(apr_pool_t *pool, smo_tokenizer *tok)
{
    smo_treesim *s = apr_pcalloc(pool, sizeof(*s));
    s->pool = pool;
    s->tok = tok;
    s->phase = SMO_HEAD_BEFORE;
    return s;
}

smo_head_phase smo_treesim_head_phase(const smo_treesim *s)
{
    return s->phase;
}

int smo_treesim_in_template(const smo_treesim *s)
{
    return s->template_depth > 0;
}

int smo_treesim_in_foreign(const smo_treesim *s)
{
    return s->depth > 0;
}

int smo_treesim_in_body(const smo_treesim *s)
{
    return s->in_body;
}

/* The tag has the attribute `name` (and, if `value`, with that value,
 * ASCII case-insensitively); both ASCII-lowercase. */
static int attr_is(const smo_token *t, const char *name, const char *value)
{
    const smo_attr *a = smo_find_attr(t, name);
    if (!a || !value)
        return a != NULL;
    return a->value_len == strlen(value) &&
           smo_ascii_ci_eq_lower(t->raw + a->value_off, value, a->value_len);
}

static int has_attr(const smo_token *t, const char *name)
{
    return attr_is(t, name, NULL);
}

/* Which kind of integration point a foreign element is. */
static int integration_point(enum ns ns, const smo_token *t, tagclass k)
{
    if (ns == NS_SVG && (k.id == T_FOREIGNOBJECT || k.id == T_DESC ||
                         k.id == T_TITLE))
        return IP_HTML;
    if (ns == NS_MATH && k.id == T_ANNOTATION_XML &&
        (attr_is(t, "encoding", "text/html") ||
         attr_is(t, "encoding", "application/xhtml+xml")))
        return IP_HTML;
    if (ns == NS_MATH && k.id == T_MTEXTLIKE)
        return IP_MATHML_TEXT;
    return IP_NONE;
}

static void push(smo_treesim *s, enum ns ns, const smo_token *t, tagclass k)
{
    if (!s->stack)
        s->stack = apr_palloc(s->pool, STACK_MAX * sizeof(entry));
    if (s->depth < STACK_MAX) {
        entry *e = &s->stack[s->depth];
        e->ns = (unsigned char)ns;
        e->integration = (unsigned char)(ns == NS_HTML ? IP_NONE
                                                       : integration_point(ns, t, k));
        e->annotation_xml = k.id == T_ANNOTATION_XML;
        memcpy(e->name, t->name, sizeof(e->name));
    }
    s->depth++;
}

/* The current node.  Past STACK_MAX the deepest kept entry stands for the
 * elements only counted: they share its namespace. */
static const entry *top(const smo_treesim *s)
{
    if (!s->depth)
        return NULL;
    return &s->stack[(s->depth <= STACK_MAX ? s->depth : STACK_MAX) - 1];
}

/* The tokenizer's CDATA rule: is the adjusted current node foreign? */
static void sync_foreign(smo_treesim *s)
{
    const entry *e = top(s);
    smo_tokenizer_set_foreign(s->tok, s->depth > 0 && (!e || e->ns != NS_HTML));
    smo_tokenizer_set_nested(s->tok, s->depth > 0);
}

/* The text state that follows an HTML start tag (13.2.6.4.4 and 4.7). */
static void html_start_tag(smo_treesim *s, const smo_token *t, tagclass k)
{
    smo_text_state st = SMO_STATE_DATA;
    if (k.flags & K_RCDATA)
        st = SMO_STATE_RCDATA;
    else if (k.flags & K_RAWTEXT)
        st = SMO_STATE_RAWTEXT; /* noscript: scripting is enabled */
    else if (k.id == T_SCRIPT)
        st = SMO_STATE_SCRIPT;
    else if (k.id == T_PLAINTEXT)
        st = SMO_STATE_PLAINTEXT;
    if (st != SMO_STATE_DATA) {
        smo_tokenizer_set_state(s->tok, st, t->name);
        s->in_raw = 1;
    }

    if (k.id == T_TEMPLATE)
        s->template_depth++;
    if (k.id == T_SVG || k.id == T_MATH) {
        if (!t->self_closing)
            push(s, k.id == T_SVG ? NS_SVG : NS_MATH, t, k);
    } else if (s->depth && st == SMO_STATE_DATA && !t->self_closing &&
               !(k.flags & K_VOID)) {
        /* An HTML element inside an integration point. */
        push(s, NS_HTML, t, k);
    }
}

/* A start tag while foreign content is open (13.2.6.5): pops out of
 * foreign content for a breakout tag.  Returns whether the tag is then
 * processed as HTML. */
static int foreign_start_as_html(smo_treesim *s, const smo_token *t,
                                 tagclass k)
{
    const entry *e = top(s);
    if (e->ns == NS_HTML || e->integration == IP_HTML ||
        (e->integration == IP_MATHML_TEXT && k.id != T_MGLYPH &&
         k.id != T_MALIGNMARK) ||
        (e->ns == NS_MATH && e->annotation_xml && k.id == T_SVG))
        return 1;
    if ((k.flags & K_BREAKOUT) ||
        (k.id == T_FONT &&
         (has_attr(t, "color") || has_attr(t, "face") || has_attr(t, "size")))) {
        /* Pop foreign elements until an HTML element or integration point. */
        while (s->depth) {
            const entry *c = top(s);
            if (c->ns == NS_HTML || c->integration != IP_NONE)
                break;
            s->depth--;
        }
        return 1;
    }
    return 0;
}

static void end_tag(smo_treesim *s, const smo_token *t, tagclass k)
{
    int closes_template = k.id == T_TEMPLATE && s->template_depth;
    if (closes_template)
        s->template_depth--;
    if (!s->depth)
        return;
    if (k.id == T_BR || k.id == T_P) {
        const entry *e = top(s);
        if (e && e->ns != NS_HTML) {
            while (s->depth && (e = top(s)) && e->ns != NS_HTML &&
                   e->integration == IP_NONE)
                s->depth--;
            return;
        }
    }
    /* Pop up to the nearest open element of that name. */
    for (unsigned i = s->depth < STACK_MAX ? s->depth : STACK_MAX; i > 0; i--) {
        if (!strcmp(s->stack[i - 1].name, t->name)) {
            s->depth = i - 1;
            return;
        }
    }
    if (closes_template) {
        /* The template was opened outside foreign content: its end pops
         * everything opened since (13.2.6.4.18, "in template"), integration
         * points included. */
        s->depth = 0;
        return;
    }
    /* Not in foreign content: the tree builder hands it to the HTML rules,
     * which close an HTML ancestor of that name through the foreign
     * elements, stopping at an integration point (a "special" element).
     * The ancestors are not kept here: an HTML element name is taken to
     * be one of them. */
    if (k.flags & K_CONTAINER) {
        while (s->depth) {
            const entry *c = top(s);
            if (c->ns == NS_HTML || c->integration != IP_NONE)
                break;
            s->depth--;
        }
    }
}


/* Head bookkeeping (13.2.6.4.2 "before head", 4.4 "in head"). */
static int head_events(smo_treesim *s, const smo_token *t, tagclass k,
                       uint64_t *split)
{
    int ev = SMO_HEAD_NONE;
    int is_start = t->type == SMO_TOKEN_START_TAG;
    int is_end = t->type == SMO_TOKEN_END_TAG;
    /* End tags that act as </head> ("in head": </body>, </html>, </br>). */
    int closes = is_end && (k.id == T_HEAD || k.id == T_BODY ||
                            k.id == T_HTML || k.id == T_BR);

    if (s->phase == SMO_HEAD_AFTER) {
        if (!s->in_body &&
            ((is_start && !(k.flags & K_HEAD) && k.id != T_HTML) ||
             (t->type == SMO_TOKEN_TEXT && smo_text_first_non_ws(t) < t->end)))
            s->in_body = 1;
        return ev;
    }
    if (t->type == SMO_TOKEN_TEXT) {
        uint64_t nw;
        if (s->template_depth)
            return ev;
        nw = smo_text_first_non_ws(t);
        if (nw == t->end)
            return ev;
        *split = nw;
        ev = s->phase == SMO_HEAD_BEFORE
                 ? SMO_HEAD_OPENED | SMO_HEAD_OPENED_IMPLICIT : 0;
        s->phase = SMO_HEAD_AFTER;
        s->in_body = 1;
        return ev | SMO_HEAD_CLOSED;
    }
    if (!is_start && !is_end)
        return ev;

    if (s->phase == SMO_HEAD_BEFORE) {
        if (is_start && k.id == T_HTML)
            return ev;
        if (is_end && !closes)
            return ev; /* ignored */
        if (is_start && k.id == T_HEAD) {
            s->phase = SMO_HEAD_IN;
            return SMO_HEAD_OPENED;
        }
        ev = SMO_HEAD_OPENED | SMO_HEAD_OPENED_IMPLICIT;
        s->phase = SMO_HEAD_IN;
    }

    /* In head. */
    if (s->template_depth)
        return ev;
    if (is_start ? (k.id == T_HTML || k.id == T_HEAD || (k.flags & K_HEAD))
                 : !closes)
        return ev;
    s->phase = SMO_HEAD_AFTER;
    if (!(is_end && k.id == T_HEAD))
        s->in_body = 1;
    return ev | SMO_HEAD_CLOSED;
}

int smo_treesim_token(smo_treesim *s, const smo_token *t, uint64_t *text_split)
{
    int ev = SMO_HEAD_NONE, as_html = 1;
    tagclass k = { T_OTHER, 0 };
    if (t->type == SMO_TOKEN_TEXT && s->in_raw)
        return SMO_HEAD_NONE;
    if (t->type == SMO_TOKEN_TEXT && s->depth == 0 && s->phase == SMO_HEAD_AFTER &&
        s->in_body)
        return SMO_HEAD_NONE;
    if (t->type == SMO_TOKEN_START_TAG || t->type == SMO_TOKEN_END_TAG)
        k = smo_tag_classify(t->name, t->name_len);
    /* Leave foreign content first where the token does, so that the head
     * rules see the tag as the HTML tree builder does. */
    if (t->type == SMO_TOKEN_START_TAG && s->depth)
        as_html = foreign_start_as_html(s, t, k);
    else if (t->type == SMO_TOKEN_END_TAG) {
        s->in_raw = 0; /* the only tag the tokenizer lets out of it */
        end_tag(s, t, k);
    }
    if (s->depth == 0 && (s->phase != SMO_HEAD_AFTER || !s->in_body))
        ev = head_events(s, t, k, text_split);
    if (t->type == SMO_TOKEN_START_TAG) {
        if (as_html)
            html_start_tag(s, t, k);
        else if (!t->self_closing)
            push(s, top(s)->ns, t, k);
    }
    if (t->type == SMO_TOKEN_START_TAG || t->type == SMO_TOKEN_END_TAG)
        sync_foreign(s);
    return ev;
}
