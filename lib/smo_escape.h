/* smo_escape.h — escaping and decoding of HTML and URL text.
 *
 * Every value mod_smo writes into a page goes through smo_escape_attr():
 * markup characters become entities and every non-ASCII character a
 * numeric character reference, so the result is right in any
 * ASCII-compatible page charset and can never open an element or an
 * attribute.
 */
#ifndef SMO_ESCAPE_H
#define SMO_ESCAPE_H

#include <stddef.h>
#include <apr_pools.h>

/* UTF-8 in, ASCII out: & < > " ' escaped (&amp; &lt; &gt; &quot; &#39;),
 * non-ASCII as &#xHHHH; (uppercase hex), and as &#xFFFD; each invalid
 * UTF-8 sequence (overlong, surrogate, past U+10FFFF, truncated: one per
 * maximal subpart, as the WHATWG decoder does), NUL and the other control
 * characters but tab, LF and CR — C1 controls included, since the HTML
 * parser reads &#x80;..&#x9F; as windows-1252 characters — and the
 * noncharacters (U+FDD0..U+FDEF, U+xxFFFE/F), which XML forbids in part.
 * The size is computed first: one allocation per call. */
char *smo_escape_attr(apr_pool_t *p, const char *s, size_t len);

/* How many bytes at the start of s smo_escape_attr() would copy unchanged
 * (printable ASCII other than & < > " ').  Escaping is byte-local, so a
 * caller can copy that prefix itself and escape only the rest. */
size_t smo_attr_plain_prefix(const char *s, size_t len);

/* Decode character references as the HTML tokenizer does (named ones from
 * libxml2's entity table plus the legacy forms without ';', numeric ones
 * with the spec's replacements).  `in_attr` applies the attribute-value
 * rule: a legacy reference followed by '=' or an alphanumeric is left as
 * it is.  Returns UTF-8; NUL bytes become U+FFFD.
 *
 * Named references: the 253 of HTML 4 (libxml2's table), plus AMP, LT,
 * GT, QUOT, COPY and REG, which HTML5 also accepts in upper case.  Names
 * HTML5 added (&NotEqual;, &hyphen;...) are not decoded and stay as
 * written.  Without ';' only the 106 legacy names are recognised (the
 * Latin-1 set U+00A0..U+00FF, amp, lt, gt, quot and the six upper-case
 * ones), longest prefix first: "&notit;" is U+00AC then "it;" in text.
 * Numeric references: decimal or hex, ';' optional; 0, surrogates and
 * values past U+10FFFF become U+FFFD, 0x80..0x9F the windows-1252
 * character at that position.  The input is UTF-8 (convert it with
 * smo_to_utf8 first); invalid sequences become U+FFFD. */
char *smo_html_decode(apr_pool_t *p, const char *s, size_t len, int in_attr);

/* Collapse runs of ASCII whitespace to one space and trim both ends
 * (in place; returns s). */
char *smo_collapse_ws(char *s);

/* Percent-encode UTF-8 for a URL query component: everything but
 * RFC 3986 unreserved characters is %XX (uppercase hex). */
char *smo_percent_encode(apr_pool_t *p, const char *s, size_t len);

/* One round of percent-decoding.  Returns NULL on a malformed escape
 * (a '%' not followed by two hex digits).  `*out_len` (if out_len is not
 * NULL) receives the length (the result may hold NUL bytes; it is
 * NUL-terminated as well).  '+' stays '+': this is URL, not form,
 * decoding. */
char *smo_percent_decode(apr_pool_t *p, const char *s, size_t len,
                         size_t *out_len);

/* The number of characters of the `len` bytes at s when they are one
 * line of plain text: valid UTF-8 (no overlong form, surrogate or value
 * past U+10FFFF) without a control character (U+0000-U+001F, U+007F,
 * U+0080-U+009F); else -1. */
long smo_utf8_text_chars(const char *s, size_t len);

/* Convert `len` bytes in `charset` to UTF-8 (NULL, empty or unknown
 * charset: UTF-8 when the bytes are valid UTF-8, else windows-1252, as
 * SPEC 6 "Which charset" says; a UTF-8 label: invalid sequences become
 * U+FFFD).  Conversion is
 * iconv's, through apr_xlate; a byte iconv cannot read becomes U+FFFD.
 * Labels are read as browsers read them (WHATWG Encoding): ISO-8859-1,
 * latin1 and US-ASCII are windows-1252 (0x80 is the euro sign), and a few
 * other legacy labels map to their Web supersets.  A NUL byte is U+0000,
 * as the decoder gives it: the result is NUL-terminated, but its length
 * is `*out_len` (if out_len is not NULL), and smo_html_decode() of that
 * length makes each NUL the U+FFFD the tokenizer reads. */
char *smo_to_utf8(apr_pool_t *p, const char *s, size_t len,
                  const char *charset, size_t *out_len);

/* The query of a URL from a page in `charset`, as the WHATWG URL parser
 * encodes it (the query of an http(s) URL is written in the document's
 * encoding, its path in UTF-8): each non-ASCII character of the UTF-8
 * `s` converted to `charset` and percent-encoded byte by byte (a
 * character the charset lacks as "%26%23NNN%3B", the numeric reference
 * the encoder writes); ASCII as it is.  `s` itself when it is ASCII, or
 * `charset` is NULL, UTF-8 or unknown.  NULL for NULL. */
const char *smo_query_encode(apr_pool_t *p, const char *s,
                             const char *charset);

/* True when mod_smo's ASCII markup cannot be written into a page in this
 * charset (a label, any case, surrounding whitespace ignored): UTF-16 and
 * UTF-32 are not ASCII-compatible, and in the stateful ISO-2022-* and HZ
 * encodings an escape sequence turns ASCII bytes into double-byte text,
 * so that neither what we read nor what we insert is markup there. */
int smo_charset_unwritable(const char *charset);

/* Is `s` (len bytes) well-formed UTF-8 (RFC 3629)? */
int smo_utf8_valid(const char *s, size_t len);

#endif
