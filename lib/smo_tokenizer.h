/* smo_tokenizer.h — a resumable, byte-preserving HTML tokenizer.
 *
 * Follows the tokenization states of the WHATWG HTML standard (section
 * 13.2.5) but never builds strings: it reports where tokens lie in the
 * input stream, as absolute byte offsets.  Text is never copied; only the
 * unfinished tail of a tag, doctype or comment opener split across chunks
 * is kept, up to a fixed limit, so that a complete tag can be handed to
 * the caller as one contiguous run of bytes.
 *
 * Character references are not decoded here (the output is the input);
 * smo_escape.h decodes attribute values and titles when a rule needs them.
 */
#ifndef SMO_TOKENIZER_H
#define SMO_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

/* Longest tag name kept; longer names are reported truncated, and no rule
 * cares about them. */
#define SMO_TAG_NAME_MAX 31

/* Default limit of the kept tag tail (bytes of one tag buffered when it is
 * split across chunks).  A longer tag is still tokenized, but reported
 * with `truncated` set and without attributes. */
#define SMO_TAIL_LIMIT_DEFAULT (64 * 1024)

typedef enum {
    SMO_TOKEN_TEXT,       /* character data (any text state) */
    SMO_TOKEN_START_TAG,
    SMO_TOKEN_END_TAG,
    SMO_TOKEN_COMMENT,    /* includes bogus comments */
    SMO_TOKEN_DOCTYPE,
    SMO_TOKEN_CDATA       /* <![CDATA[...]]> in foreign content */
} smo_token_type;

/* The text states a tree builder may switch the tokenizer to. */
typedef enum {
    SMO_STATE_DATA,
    SMO_STATE_RCDATA,     /* title, textarea */
    SMO_STATE_RAWTEXT,    /* style, xmp, iframe, noembed, noframes, noscript */
    SMO_STATE_SCRIPT,     /* script data, with its escaped states */
    SMO_STATE_PLAINTEXT,
    SMO_STATE_CDATA       /* only for tests: start inside a CDATA section */
} smo_text_state;

typedef struct {
    /* Offsets relative to the start of the tag (token.raw). */
    size_t name_off, name_len;
    size_t value_off, value_len;  /* value_len 0 and value_off 0: no value */
    int has_value;
    char quote;                   /* '"', '\'' or 0 (unquoted / none) */
} smo_attr;

typedef struct {
    smo_token_type type;
    uint64_t start, end;          /* the raw token: [start, end) in the stream */

    /* Tags, doctypes and comments: the complete raw bytes, valid during the
     * callback only.  NULL for text and CDATA, for a truncated tag, and for
     * a comment longer than 256 bytes that spans chunks. */
    const char *raw;
    size_t raw_len;

    /* Tags: the name, ASCII-lowercased; NUL-terminated. */
    char name[SMO_TAG_NAME_MAX + 1];
    size_t name_len;              /* real length, may exceed SMO_TAG_NAME_MAX */
    int self_closing;
    int truncated;                /* tag longer than the tail limit */
    const smo_attr *attrs;        /* duplicates dropped (first one wins) */
    size_t n_attrs;

    /* Comments and CDATA: where the data lies, absolute.  Text: the text
     * bytes of this piece, valid during the callback only. */
    uint64_t data_start, data_end;
    const char *text;             /* SMO_TOKEN_TEXT only */
    int eof;                      /* token cut short by end of stream */
} smo_token;

typedef struct smo_tokenizer smo_tokenizer;

/* Called for every token, in stream order.  Text may arrive in several
 * pieces.  A non-zero return stops the tokenizer for good and is returned
 * by smo_tokenizer_feed(); the chunk, and any fed after, still count in
 * smo_tokenizer_offset(). */
typedef int (*smo_token_fn)(void *ctx, const smo_token *tok);

smo_tokenizer *smo_tokenizer_create(apr_pool_t *pool, size_t tail_limit,
                                    smo_token_fn fn, void *ctx);

/* Feed the next chunk; `eof` marks the last one (len may be 0). */
int smo_tokenizer_feed(smo_tokenizer *t, const char *buf, size_t len, int eof);

/* Before the first chunk: the stream's first `n` bytes are not input (a
 * byte order mark, which the decoder consumes before the tokenizer sees
 * anything).  They count in the offsets but make no token. */
void smo_tokenizer_skip(smo_tokenizer *t, size_t n);

/* Called by the tree builder simulation from within the start-tag
 * callback: which text state follows this tag.  `last_start_tag` is the
 * name that ends it (appropriate end tag); NULL: the last start tag
 * emitted. */
void smo_tokenizer_set_state(smo_tokenizer *t, smo_text_state state,
                             const char *last_start_tag);

/* Whether the adjusted current node is in a foreign namespace, which is
 * what makes "<![CDATA[" open a CDATA section instead of a bogus comment. */
void smo_tokenizer_set_foreign(smo_tokenizer *t, int foreign);

/* Fast path for callers that no longer need everything (a set of these,
 * smo_tokenizer_set_lean()).  Boundaries and states are the same. */
enum {
    /* No text at all. */
    SMO_LEAN_TEXT = 1,
    /* No text no tree rule reads: whitespace-only text in the data state,
     * and text in RAWTEXT, script data and PLAINTEXT (RCDATA, a title's,
     * is still reported). */
    SMO_LEAN_IDLE_TEXT = 2,
    /* Start tags outside foreign content come without attributes. */
    SMO_LEAN_ATTRS = 4,
    /* Tags that change no text state and that the tree rules do not name
     * (div, p, a...) are not reported while not nested in svg/math.  With
     * TEXT and ATTRS too, a text element (script, style, title...) that
     * ends in the same chunk may be stepped over whole, its tags
     * unreported. */
    SMO_LEAN_TAGS = 8,
    /* With TEXT, ATTRS and TAGS: a comment that ends in the same chunk may
     * be stepped over unreported. */
    SMO_LEAN_COMMENTS = 16
};

void smo_tokenizer_set_lean(smo_tokenizer *t, unsigned what);

/* Set by the tree simulation: inside svg/math every tag matters. */
void smo_tokenizer_set_nested(smo_tokenizer *t, int nested);

/* The offset of the first byte not yet reported in a token: everything
 * before it is final.  The bytes from here on belong to an unfinished
 * token (at most the tail limit, or a comment/text not yet reported). */
uint64_t smo_tokenizer_safe_offset(const smo_tokenizer *t);

/* True between tokens in the data state: markup written here is read as
 * markup (not inside a tag, comment, script, RCDATA/RAWTEXT or plaintext). */
int smo_tokenizer_in_data(const smo_tokenizer *t);

/* A text token: the stream offset of its first byte that is not ASCII
 * whitespace (HTML's: no VT, and NUL is not space), or tok->end. */
uint64_t smo_text_first_non_ws(const smo_token *tok);

/* A tag's first attribute named `name` (ASCII-lowercase), compared ASCII
 * case-insensitively as HTML compares names, or NULL. */
const smo_attr *smo_find_attr(const smo_token *tok, const char *name);

/* Total number of bytes fed so far. */
uint64_t smo_tokenizer_offset(const smo_tokenizer *t);

/* The fields of a DOCTYPE token, parsed from its raw bytes (token.raw)
 * per the DOCTYPE states of the standard.  Spans are relative to raw; the
 * name is not lowercased here (ASCII-lowercase it to compare). */
typedef struct {
    int has_name, has_public, has_system;
    size_t name_off, name_len;
    size_t public_off, public_len;
    size_t system_off, system_len;
    int force_quirks;
} smo_doctype;

void smo_doctype_parse(const char *raw, size_t len, smo_doctype *out);

#endif
