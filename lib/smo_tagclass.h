/* smo_tagclass.h — what the tree builder rules need to know about a tag
 * name, looked up once per tag instead of comparing it against lists. */
#ifndef SMO_TAGCLASS_H
#define SMO_TAGCLASS_H

#include <stddef.h>

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

#endif
