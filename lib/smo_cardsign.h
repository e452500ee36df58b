/* smo_cardsign.h — the URL of a generated share card (SPEC 9) and its
 * check.  The filter makes the URL from what the card shows (title, site
 * name, host) and the look; the handler renders only what such a URL
 * names, so nobody can have the server draw text the site did not
 * produce.
 *
 * The URL is `<card-url>/<id>.png?t=<title>&s=<site>&h=<host>`, the
 * values percent-encoded UTF-8 (s and h left out when empty).  <id> is
 * a keyed MAC (HMAC-SHA1, cut to 128 bits, base64url) of the version of
 * the card design, the look and the three texts, each length-prefixed:
 * the same title, site and look give the same URL, any change a new one,
 * and without the key no other URL verifies. */
#ifndef SMO_CARDSIGN_H
#define SMO_CARDSIGN_H

#include <stddef.h>
#include <apr_pools.h>

/* Code points of a title a card URL carries at most (cut first, at a
 * character boundary); site names and hosts: SMO_CARD_SITE_MAX. */
#define SMO_CARD_TEXT_MAX 300
#define SMO_CARD_SITE_MAX 100

/* The id: 22 base64url characters. */
#define SMO_CARD_ID_LEN 22

/* The key: at least this many bytes. */
#define SMO_CARD_KEY_MIN 16

typedef struct {
    const unsigned char *key;   /* the secret (SMO_CARD_KEY_MIN bytes or more) */
    size_t key_len;
    const char *look;           /* the look's description (colours, font,
                                 * logo and background file identities) */
} smo_card_signer;

/* What a card shows: UTF-8 text, no control characters. */
typedef struct {
    const char *title;
    const char *site;           /* "" for none */
    const char *host;           /* "" for none */
} smo_card_text;

/* The first `max` code points of the UTF-8 `s` (whitespace collapsed),
 * cut at a character boundary; invalid sequences and control characters
 * become U+FFFD or spaces.  Never NULL. */
char *smo_card_cut(apr_pool_t *p, const char *s, size_t max);

/* The id of `txt` (SMO_CARD_ID_LEN characters). */
const char *smo_card_id(apr_pool_t *p, const smo_card_signer *sg,
                        const smo_card_text *txt);

/* The card's URL below `card_url` (a path such as "/smo/card"), for the
 * texts as smo_card_cut() leaves them. */
const char *smo_card_url(apr_pool_t *p, const smo_card_signer *sg,
                         const char *card_url, const smo_card_text *txt);

/* The handler's check of a request for a card: `path_info` ("/<id>.png")
 * and `args` (the query, still percent-encoded; may be NULL).  NULL when
 * the URL is one smo_card_url() made with this key and look, the texts
 * in *out and the id in *id; else why not (for the log).  Compares the
 * MAC in constant time. */
const char *smo_card_verify(apr_pool_t *p, const smo_card_signer *sg,
                            const char *path_info, const char *args,
                            smo_card_text *out, const char **id);

/* HMAC-SHA1 (RFC 2104) of `msg` under `key`, as the ids use it. */
void smo_hmac_sha1(const unsigned char *key, size_t key_len,
                   const void *msg, size_t len, unsigned char out[20]);

#endif
