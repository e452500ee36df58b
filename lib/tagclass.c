/* tagclass.c — tag names the tree builder rules single out (generated
 * from the lists of WHATWG HTML 13.2.6; one switch on the length, then a
 * few memcmp, instead of strcmp over lists for every tag). */
#include <string.h>

#include "smo_tagclass.h"

tagclass smo_tag_classify(const char *name, size_t len)
{
    static const tagclass none = { T_OTHER, 0 };
    switch (len) {
    case 1:
        if (!memcmp(name, "a", 1))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "b", 1))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "i", 1))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "p", 1))
            return (tagclass){ T_P, K_BREAKOUT };
        if (!memcmp(name, "s", 1))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "u", 1))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        break;
    case 2:
        if (!memcmp(name, "br", 2))
            return (tagclass){ T_BR, K_BREAKOUT|K_VOID };
        if (!memcmp(name, "dd", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "dl", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "dt", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "em", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "h1", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "h2", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "h3", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "h4", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "h5", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "h6", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "hr", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_VOID };
        if (!memcmp(name, "li", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "mi", 2))
            return (tagclass){ T_MTEXTLIKE, 0 };
        if (!memcmp(name, "mn", 2))
            return (tagclass){ T_MTEXTLIKE, 0 };
        if (!memcmp(name, "mo", 2))
            return (tagclass){ T_MTEXTLIKE, 0 };
        if (!memcmp(name, "ms", 2))
            return (tagclass){ T_MTEXTLIKE, 0 };
        if (!memcmp(name, "ol", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "td", 2))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "th", 2))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "tr", 2))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "tt", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "ul", 2))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        break;
    case 3:
        if (!memcmp(name, "big", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "col", 3))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "dir", 3))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "div", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "img", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_VOID };
        if (!memcmp(name, "nav", 3))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "pre", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "sub", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "sup", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "svg", 3))
            return (tagclass){ T_SVG, 0 };
        if (!memcmp(name, "var", 3))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "wbr", 3))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "xmp", 3))
            return (tagclass){ T_OTHER, K_RAWTEXT };
        break;
    case 4:
        if (!memcmp(name, "area", 4))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "base", 4))
            return (tagclass){ T_OTHER, K_HEAD|K_VOID };
        if (!memcmp(name, "body", 4))
            return (tagclass){ T_BODY, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "code", 4))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "desc", 4))
            return (tagclass){ T_DESC, 0 };
        if (!memcmp(name, "font", 4))
            return (tagclass){ T_FONT, 0 };
        if (!memcmp(name, "form", 4))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "head", 4))
            return (tagclass){ T_HEAD, K_BREAKOUT };
        if (!memcmp(name, "html", 4))
            return (tagclass){ T_HTML, K_CONTAINER };
        if (!memcmp(name, "link", 4))
            return (tagclass){ T_OTHER, K_HEAD|K_VOID };
        if (!memcmp(name, "main", 4))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "math", 4))
            return (tagclass){ T_MATH, 0 };
        if (!memcmp(name, "menu", 4))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "meta", 4))
            return (tagclass){ T_OTHER, K_HEAD|K_BREAKOUT|K_VOID };
        if (!memcmp(name, "nobr", 4))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "ruby", 4))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "span", 4))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        break;
    case 5:
        if (!memcmp(name, "aside", 5))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "embed", 5))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_VOID };
        if (!memcmp(name, "frame", 5))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "input", 5))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "label", 5))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "mtext", 5))
            return (tagclass){ T_MTEXTLIKE, 0 };
        if (!memcmp(name, "param", 5))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "small", 5))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "style", 5))
            return (tagclass){ T_OTHER, K_HEAD|K_RAWTEXT };
        if (!memcmp(name, "table", 5))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "tbody", 5))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "tfoot", 5))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "thead", 5))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "title", 5))
            return (tagclass){ T_TITLE, K_HEAD|K_RCDATA };
        if (!memcmp(name, "track", 5))
            return (tagclass){ T_OTHER, K_VOID };
        break;
    case 6:
        if (!memcmp(name, "button", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "center", 6))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "dialog", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "figure", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "footer", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "header", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "hgroup", 6))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "iframe", 6))
            return (tagclass){ T_OTHER, K_RAWTEXT };
        if (!memcmp(name, "keygen", 6))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "mglyph", 6))
            return (tagclass){ T_MGLYPH, 0 };
        if (!memcmp(name, "script", 6))
            return (tagclass){ T_SCRIPT, K_HEAD };
        if (!memcmp(name, "source", 6))
            return (tagclass){ T_OTHER, K_VOID };
        if (!memcmp(name, "strike", 6))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "strong", 6))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        break;
    case 7:
        if (!memcmp(name, "address", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "article", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "bgsound", 7))
            return (tagclass){ T_OTHER, K_HEAD|K_VOID };
        if (!memcmp(name, "caption", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "details", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "listing", 7))
            return (tagclass){ T_OTHER, K_BREAKOUT };
        if (!memcmp(name, "noembed", 7))
            return (tagclass){ T_OTHER, K_RAWTEXT };
        if (!memcmp(name, "section", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "summary", 7))
            return (tagclass){ T_OTHER, K_CONTAINER };
        break;
    case 8:
        if (!memcmp(name, "basefont", 8))
            return (tagclass){ T_OTHER, K_HEAD|K_VOID };
        if (!memcmp(name, "fieldset", 8))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "noframes", 8))
            return (tagclass){ T_OTHER, K_HEAD|K_RAWTEXT };
        if (!memcmp(name, "noscript", 8))
            return (tagclass){ T_OTHER, K_HEAD|K_RAWTEXT };
        if (!memcmp(name, "template", 8))
            return (tagclass){ T_TEMPLATE, K_HEAD|K_CONTAINER };
        if (!memcmp(name, "textarea", 8))
            return (tagclass){ T_OTHER, K_RCDATA };
        break;
    case 9:
        if (!memcmp(name, "plaintext", 9))
            return (tagclass){ T_PLAINTEXT, 0 };
        break;
    case 10:
        if (!memcmp(name, "blockquote", 10))
            return (tagclass){ T_OTHER, K_BREAKOUT|K_CONTAINER };
        if (!memcmp(name, "figcaption", 10))
            return (tagclass){ T_OTHER, K_CONTAINER };
        if (!memcmp(name, "malignmark", 10))
            return (tagclass){ T_MALIGNMARK, 0 };
        break;
    case 13:
        if (!memcmp(name, "foreignobject", 13))
            return (tagclass){ T_FOREIGNOBJECT, 0 };
        break;
    case 14:
        if (!memcmp(name, "annotation-xml", 14))
            return (tagclass){ T_ANNOTATION_XML, 0 };
        break;
    default:
        break;
    }
    return none;
}

int smo_tag_matters_outside_foreign(const char *name, size_t len)
{
    char n[9];
    /* Only ASCII letters in the names below: OR-ing 0x20 folds case for
     * them and maps no other byte onto a letter. */
    if (len < 3 || len > sizeof(n))
        return 0;
    for (size_t i = 0; i < len; i++)
        n[i] = (char)(name[i] | 0x20);
#define IS(s) (len == sizeof(s) - 1 && !memcmp(n, s, sizeof(s) - 1))
    switch (n[0]) {
    case 'b':
        return IS("body");
    case 'h':
        return IS("html") || IS("head");
    case 'i':
        return IS("iframe");
    case 'm':
        return IS("math");
    case 'n':
        return IS("noembed") || IS("noframes") || IS("noscript");
    case 'p':
        return IS("plaintext");
    case 's':
        return IS("svg") || IS("style") || IS("script");
    case 't':
        return IS("title") || IS("template") || IS("textarea");
    case 'x':
        return IS("xmp");
    default:
        return 0;
    }
#undef IS
}
