/* smo_treesim.h — a small simulation of the HTML tree builder.
 *
 * Not a DOM: it follows just enough of the insertion modes (WHATWG HTML
 * 13.2.6) to tell the tokenizer which text state follows a start tag
 * (script, RAWTEXT, RCDATA, PLAINTEXT), whether the parser is in foreign
 * content (svg, math) or inside a <template>, and where the head starts and
 * ends as a browser's parser sees it.
 */
#ifndef SMO_TREESIM_H
#define SMO_TREESIM_H

#include "smo_tokenizer.h"

typedef enum {
    SMO_HEAD_BEFORE,   /* no head yet: before html / before head */
    SMO_HEAD_IN,       /* inside the head (explicit or implicit) */
    SMO_HEAD_AFTER     /* the head has ended */
} smo_head_phase;

typedef struct smo_treesim smo_treesim;

smo_treesim *smo_treesim_create(apr_pool_t *pool, smo_tokenizer *tok);

/* What a token does to the head, reported by smo_treesim_token(). */
typedef enum {
    SMO_HEAD_NONE = 0,
    SMO_HEAD_OPENED = 1,           /* <head>, or the head started implicitly */
    SMO_HEAD_CLOSED = 2,           /* the head ends before this token */
    SMO_HEAD_OPENED_IMPLICIT = 4   /* set with OPENED when there was no <head> */
} smo_head_event;

/* Feed every token to the simulation, from the tokenizer callback and
 * before acting on the token.  Returns the head events of this token (a
 * bit set: a stray <div> as first element both opens and closes the head).
 * For a start tag it also switches the tokenizer's text state.  For text,
 * `*text_split` receives the offset of the first byte that cannot stay in
 * the head (non-whitespace) when the token closes the head. */
int smo_treesim_token(smo_treesim *s, const smo_token *tok,
                      uint64_t *text_split);

smo_head_phase smo_treesim_head_phase(const smo_treesim *s);

/* Inside <template> content, svg or math: nothing may be inserted here. */
int smo_treesim_in_template(const smo_treesim *s);
int smo_treesim_in_foreign(const smo_treesim *s);

/* True once <body> (explicit or implicit) has started. */
int smo_treesim_in_body(const smo_treesim *s);

#endif
