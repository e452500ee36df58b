/* cardsign.c — the signed URL of a share card (smo_cardsign.h). */
#include <string.h>

#include <apr_base64.h>
#include <apr_sha1.h>
#include <apr_strings.h>

#include "smo_cardsign.h"
#include "smo_escape.h"

/* Bumped whenever the renderer draws the same texts differently: every
 * card URL changes with it, so no cache keeps an old drawing. */
#define CARD_DESIGN "smo-card-1"

#define SHA1_BLOCK 64

/* ---- HMAC-SHA1 (RFC 2104) over length-prefixed fields ------------------- */

typedef struct {
    apr_sha1_ctx_t inner;
    unsigned char okey[SHA1_BLOCK];
} hmac_ctx;

static void hmac_init(hmac_ctx *h, const unsigned char *key, size_t len)
{
    unsigned char k[SHA1_BLOCK], ikey[SHA1_BLOCK];

    memset(k, 0, sizeof k);
    if (len > SHA1_BLOCK) {
        apr_sha1_ctx_t c;
        apr_sha1_init(&c);
        apr_sha1_update_binary(&c, key, (unsigned int)len);
        apr_sha1_final(k, &c);
    } else {
        memcpy(k, key, len);
    }
    for (int i = 0; i < SHA1_BLOCK; i++) {
        ikey[i] = k[i] ^ 0x36;
        h->okey[i] = k[i] ^ 0x5c;
    }
    apr_sha1_init(&h->inner);
    apr_sha1_update_binary(&h->inner, ikey, SHA1_BLOCK);
}

/* A field: its length (8 bytes, big-endian), then its bytes, so that no
 * two lists of fields feed the same bytes. */
static void hmac_field(hmac_ctx *h, const char *s)
{
    unsigned char n[8];
    size_t len = s ? strlen(s) : 0;

    for (int i = 7; i >= 0; i--) {
        n[i] = (unsigned char)(len & 0xff);
        len >>= 8;
    }
    apr_sha1_update_binary(&h->inner, n, sizeof n);
    if (s && *s)
        apr_sha1_update_binary(&h->inner, (const unsigned char *)s,
                               (unsigned int)strlen(s));
}

static void hmac_final(hmac_ctx *h, unsigned char out[APR_SHA1_DIGESTSIZE])
{
    unsigned char in[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t outer;

    apr_sha1_final(in, &h->inner);
    apr_sha1_init(&outer);
    apr_sha1_update_binary(&outer, h->okey, SHA1_BLOCK);
    apr_sha1_update_binary(&outer, in, sizeof in);
    apr_sha1_final(out, &outer);
}

void smo_hmac_sha1(const unsigned char *key, size_t key_len,
                   const void *msg, size_t len, unsigned char out[20])
{
    hmac_ctx h;

    hmac_init(&h, key, key_len);
    apr_sha1_update_binary(&h.inner, msg, (unsigned int)len);
    hmac_final(&h, out);
}

/* ---- text --------------------------------------------------------------- */

/* The code point at s (n bytes left) and its length in *len; -1 for an
 * invalid sequence (*len 1: skip a byte). */
static long utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    size_t need;
    long cp, min;

    *len = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2; cp = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3; cp = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return -1;
    }
    if (n < need)
        return -1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = need;
    return cp;
}

char *smo_card_cut(apr_pool_t *p, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u), chars = 0, o = 0;
    /* At most 4 bytes per kept character (U+FFFD is 3). */
    size_t cap = (n < max * 4 ? n * 3 : max * 4) + 1;
    char *out = apr_palloc(p, cap);
    int space = 0;

    for (size_t i = 0; i < n && chars < max;) {
        size_t len;
        long cp = utf8_next(u + i, n - i, &len);

        if (cp >= 0 && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)))
            cp = ' ';
        if (cp == ' ') {
            space = o > 0;
            i += len;
            continue;
        }
        if (space) {
            if (++chars >= max)
                break;
            out[o++] = ' ';
            space = 0;
        }
        if (cp < 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(out + o, u + i, len);
            o += len;
        }
        chars++;
        i += len;
    }
    out[o] = '\0';
    return out;
}

/* ---- id and URL --------------------------------------------------------- */

static void mac_of(const smo_card_signer *sg, const smo_card_text *t,
                   unsigned char out[APR_SHA1_DIGESTSIZE])
{
    hmac_ctx h;

    hmac_init(&h, sg->key, sg->key_len);
    hmac_field(&h, CARD_DESIGN);
    hmac_field(&h, sg->look);
    hmac_field(&h, t->title);
    hmac_field(&h, t->site);
    hmac_field(&h, t->host);
    hmac_final(&h, out);
}

const char *smo_card_id(apr_pool_t *p, const smo_card_signer *sg,
                        const smo_card_text *txt)
{
    unsigned char mac[APR_SHA1_DIGESTSIZE];
    char b64[32];

    mac_of(sg, txt, mac);
    /* 16 bytes: 24 characters with "==" padding, 22 without. */
    apr_base64_encode(b64, (const char *)mac, 16);
    for (char *c = b64; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return apr_pstrndup(p, b64, SMO_CARD_ID_LEN);
}

const char *smo_card_url(apr_pool_t *p, const smo_card_signer *sg,
                         const char *card_url, const smo_card_text *txt)
{
    const char *id = smo_card_id(p, sg, txt);
    size_t n = strlen(card_url);
    const char *sep = n && card_url[n - 1] == '/' ? "" : "/";

    return apr_pstrcat(p, card_url, sep, id, ".png?t=",
                       smo_percent_encode(p, txt->title, strlen(txt->title)),
                       *txt->site ? "&s=" : "",
                       *txt->site ? smo_percent_encode(p, txt->site,
                                                      strlen(txt->site)) : "",
                       *txt->host ? "&h=" : "",
                       *txt->host ? smo_percent_encode(p, txt->host,
                                                      strlen(txt->host)) : "",
                       NULL);
}

static int id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* One query value, decoded: one line of text of at most `max` code
 * points, else NULL. */
static const char *text_param(apr_pool_t *p, const char *v, size_t len,
                              size_t max)
{
    size_t n;
    char *d = smo_percent_decode(p, v, len, &n);
    long chars;

    if (!d)
        return NULL;
    chars = smo_utf8_text_chars(d, n);
    return chars < 0 || (size_t)chars > max ? NULL : d;
}

const char *smo_card_verify(apr_pool_t *p, const smo_card_signer *sg,
                            const char *path_info, const char *args,
                            smo_card_text *out, const char **id)
{
    const char *want, *s;
    unsigned diff = 0, seen = 0;

    if (!path_info || path_info[0] != '/' ||
        strlen(path_info) != 1 + SMO_CARD_ID_LEN + 4 ||
        strcmp(path_info + 1 + SMO_CARD_ID_LEN, ".png"))
        return "the path is not /<id>.png";
    for (int i = 1; i <= SMO_CARD_ID_LEN; i++)
        if (!id_char(path_info[i]))
            return "the id is not base64url";

    out->title = NULL;
    out->site = out->host = "";
    for (s = args ? args : ""; *s;) {
        const char *end = s + strcspn(s, "&"), *eq = memchr(s, '=', (size_t)(end - s));
        const char **slot;
        size_t max;
        unsigned bit;

        if (!eq || eq - s != 1)
            return "a parameter other than t, s and h";
        switch (*s) {
        case 't': slot = &out->title; max = SMO_CARD_TEXT_MAX; bit = 1; break;
        case 's': slot = &out->site; max = SMO_CARD_SITE_MAX; bit = 2; break;
        case 'h': slot = &out->host; max = SMO_CARD_SITE_MAX; bit = 4; break;
        default: return "a parameter other than t, s and h";
        }
        if (seen & bit)
            return "a parameter given twice";
        seen |= bit;
        *slot = text_param(p, eq + 1, (size_t)(end - eq - 1), max);
        if (!*slot)
            return apr_psprintf(p, "%c is not one line of UTF-8 text of at "
                                "most %zu characters", *s, max);
        s = *end ? end + 1 : end;
    }
    if (!out->title || !*out->title)
        return "no title (t)";

    want = smo_card_id(p, sg, out);
    /* Constant time: how many bytes differ, not where the first does. */
    for (int i = 0; i < SMO_CARD_ID_LEN; i++)
        diff |= (unsigned)(want[i] ^ path_info[1 + i]);
    if (diff)
        return "the id does not match the texts (not made by this server, "
               "or made with another key or look)";
    *id = want;
    return NULL;
}
