/* json.h — a minimal JSON reader for the test programs only.
 *
 * Enough for the html5lib test files: objects (members kept in source
 * order), arrays, strings (\uXXXX escapes, surrogate pairs joined; a lone
 * surrogate is kept as its three-byte WTF-8 form so that no input is
 * lost), numbers, true, false and null.  Everything lives in an APR pool.
 */
#ifndef SMO_TEST_JSON_H
#define SMO_TEST_JSON_H

#include <stddef.h>
#include <apr_pools.h>

typedef enum {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;

struct json_value {
    json_type type;
    double number;
    /* Strings: UTF-8 (WTF-8 for lone surrogates), may hold NUL bytes;
     * NUL-terminated as well. */
    char *str;
    size_t len;
    /* Arrays and objects: `n` items; objects also have `keys` (strings,
     * possibly with NUL bytes, lengths in `key_lens`). */
    json_value **items;
    char **keys;
    size_t *key_lens;
    size_t n;
};

/* Parse a complete JSON text.  Returns NULL on a syntax error and sets
 * `*err` (if not NULL) to a message naming the byte offset. */
json_value *json_parse(apr_pool_t *p, const char *text, size_t len,
                       const char **err);

/* The member named `key` of an object, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);

/* Append the UTF-8 (WTF-8 for surrogates) encoding of `cp` to `out`,
 * which must have room for 4 bytes; returns the number written. */
size_t json_put_utf8(char *out, unsigned long cp);

/* Replace \uXXXX sequences in s (the html5lib "doubleEscaped" form) by
 * the code points they name, joining surrogate pairs.  Returns a new
 * string in `p`; `*out_len` receives its length. */
char *json_unescape_u(apr_pool_t *p, const char *s, size_t len,
                      size_t *out_len);

#endif
