/* smo_strbuf.h — a string that grows on an APR pool, for the markup the
 * engine writes (share blocks, the inspector's page): pieces are copied
 * once more when it doubles, which bounds the waste at twice the result.
 * Always NUL-terminated once something is added. */
#ifndef SMO_STRBUF_H
#define SMO_STRBUF_H

#include <stddef.h>
#include <apr_pools.h>

typedef struct {
    apr_pool_t *p;
    char *s;
    size_t len, cap;
    size_t first;        /* the first allocation (0: 256 bytes) */
} smo_strbuf;

/* Append the n bytes at s. */
void smo_strbuf_add(smo_strbuf *b, const char *s, size_t n);

#endif
