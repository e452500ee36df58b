/* smo_tagclass.h — what the tree builder rules need to know about a tag
 * name, looked up once per tag instead of comparing it against lists. */
#ifndef SMO_TAGCLASS_H
#define SMO_TAGCLASS_H

#include <stddef.h>

#include "smo_tagclass_first.h"

/* Names some rule singles out. */
typedef enum {
    T_OTHER, T_HTML, T_HEAD, T_BODY, T_BR, T_P, T_TEMPLATE, T_SVG, T_MATH,
    T_FONT, T_SCRIPT, T_PLAINTEXT, T_FOREIGNOBJECT, T_DESC, T_TITLE,
    T_ANNOTATION_XML, T_MTEXTLIKE /* mi mo mn ms mtext */, T_MGLYPH,
    T_MALIGNMARK
} smo_tag_id;

/* Sets the name belongs to (WHATWG HTML 13.2.6). */
enum {
    K_HEAD = 1,       /* kept in the head by "in head" */
    K_BREAKOUT = 2,   /* start tag leaves foreign content */
    K_CONTAINER = 4,  /* HTML element an end tag may close through svg/math */
    K_VOID = 8,       /* no end tag, no content */
    K_RCDATA = 16,    /* title, textarea */
    K_RAWTEXT = 32    /* style, xmp, iframe, noembed, noframes, noscript */
};

typedef struct {
    smo_tag_id id;
    unsigned flags;
} tagclass;

/* `name` is ASCII-lowercased (smo_token.name), `len` its real length. */
tagclass smo_tag_classify(const char *name, size_t len);

/* Whether a tag still matters outside foreign content once nobody needs
 * text or attributes: it changes the tokenizer's text state (script,
 * style, title...), opens foreign or template content (svg, math,
 * template), or is one of html, head, body.  Every other tag (div, p, a,
 * br...) matters only inside svg/math.  `name` in any ASCII case; this is
 * the body's hot path, so it reads the raw bytes without a copy. */
int smo_tag_matters_outside_foreign(const char *name, size_t len);

/* The quick part of that test, for the hot path to inline: most names
 * (a, p, li, div, span...) are ruled out by their length and first
 * letter, without a call and without a branch (the names vary too much
 * from one tag to the next for a branch to be predicted). */
static inline int smo_tag_may_matter_outside_foreign(const char *name,
                                                     size_t len)
{
    /* For each length, the first letters of the names of that length
     * (generated from tools/tagclass.txt with lib/tagclass.c). */
#define SMO_TAG_LETTER(c) (1u << ((c) - 'a'))
    static const unsigned first[16] = SMO_TAG_MATTERS_FIRST;
#undef SMO_TAG_LETTER
    unsigned c = ((unsigned char)name[0] | 0x20u) - 'a';
    return (len - SMO_TAG_MATTERS_MIN_LEN <=
            SMO_TAG_MATTERS_MAX_LEN - SMO_TAG_MATTERS_MIN_LEN) &
           (c < 26) & (first[len & 15] >> (c & 31));
}

#endif
