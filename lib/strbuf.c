/* strbuf.c — the growing string of smo_strbuf.h. */
#include <string.h>

#include "smo_strbuf.h"

void smo_strbuf_add(smo_strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : (b->first ? b->first : 256);
        char *ns;
        while (cap < b->len + n + 1)
            cap *= 2;
        ns = apr_palloc(b->p, cap);
        if (b->len)
            memcpy(ns, b->s, b->len);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}
