/* smo_meta.h — the metadata rules of SPEC section 3: facts read from the
 * page's head as it streams, and the canonical link, Open Graph and
 * Twitter/X Card tags to insert for what the page does not declare. */
#ifndef SMO_META_H
#define SMO_META_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "smo_tokenizer.h"

/* One SMOMeta property, its value already evaluated for the request
 * (UTF-8, unescaped; may be a relative URL for URL-valued properties).
 * Names compare case-insensitively; of several entries for one name the
 * last value counts, at the place of the first.  An empty (or blank)
 * value writes nothing for that name and stops SMOAutoMeta deriving it. */
typedef struct {
    const char *name;
    const char *value;
} smo_meta_prop;

/* What the image of og:image is (SPEC 8): its size in pixels as shown,
 * and its media type ("image/png"...). */
typedef struct {
    unsigned long width, height;
    const char *type;
    uint64_t bytes;      /* the file's size (0: unknown) */
} smo_meta_image;

/* The facts of the image at the absolute `url`: 1 and *out filled when it
 * is a readable image of this server; 0 when it is a URL of this server
 * but no image can be read there (missing, unreadable, not an image: the
 * callback says why, once per file); -1 when it is no URL of this server
 * (nothing to read, whatever the files). */
typedef int (*smo_meta_image_fn)(void *ctx, const char *url,
                                 smo_meta_image *out);

typedef struct {
    const apr_array_header_t *props; /* smo_meta_prop, in configuration order */
    int override;                    /* SMOMetaPolicy override */
    int auto_meta;                   /* SMOAutoMeta On */
    int canonical;                   /* SMOCanonical On */
    /* The canonical URL (base URL + path + surviving query), absolute. */
    const char *canonical_url;
    /* What relative configured values resolve against (base URL + request
     * path), and relative URLs from the page (unless it has <base href>). */
    const char *page_url;
    const apr_array_header_t *strip_globs; /* SMOStripParams (const char *) */
    const char *http_charset;        /* charset of the Content-Type, or NULL */
    int xhtml;                       /* write void elements as " />" */
    /* SMOImageInfo: og:image:width, og:image:height and og:image:type
     * from the image where the page and SMOMeta give none; NULL for Off. */
    smo_meta_image_fn image_facts;
    void *image_ctx;
    /* SMOCard (SPEC 9): for a page that ends up with no og:image, the URL
     * (absolute, or relative to page_url) of a generated card showing
     * `title` (og:title as it ends up; NULL if the page has none) and
     * `site` (og:site_name as it ends up, or NULL); the callback returns
     * NULL for no card.  NULL for Off.  `card_key` names everything
     * besides the page that goes into the URL (for the plan key). */
    const char *(*card_url)(void *ctx, const char *title, const char *site);
    void *card_ctx;
    const char *card_key;
} smo_meta_config;

/* A byte range of the page to remove (a page tag the rules replace). */
typedef struct {
    uint64_t start, end;
} smo_span;

typedef struct smo_meta smo_meta;

smo_meta *smo_meta_create(apr_pool_t *pool, const smo_meta_config *cfg);

/* Every token from the start of the document to the end of the head
 * (tokens inside <template> excluded by the caller), in order.  Collects
 * <html lang>, <base href>, <title> text, the charset declaration,
 * <meta name/property ... content> and <link rel=canonical>, with the
 * byte span of each declaration. */
void smo_meta_token(smo_meta *m, const smo_token *tok);

/* The markup to insert (NULL if nothing), computed once the head is over.
 * `held_from` is the first offset the caller still holds: page tags at or
 * after it can be removed (override, or an empty declaration replaced);
 * their spans are appended to `removals` (smo_span), in stream order, each
 * tag once.  A property whose page tag has already gone out is never
 * written a second time.  NULL as well when a <meta> or <link> of the head
 * was too long to read (its attributes are unknown). */
const char *smo_meta_markup(smo_meta *m, uint64_t held_from,
                            apr_array_header_t *removals);

/* After smo_meta_markup(): the image facts of the page's own og:image, to
 * insert at *at (the end of its tag; written after any og:image of the
 * page, since structured properties follow their image), or NULL. */
const char *smo_meta_image_markup(smo_meta *m, uint64_t *at);

/* Whether smo_meta_markup() wrote a generated card's og:image. */
int smo_meta_wrote_card(const smo_meta *m);

/* Whether smo_meta_markup() asked the image facts callback about a URL of
 * this server (the answer may change while the page does not: a plan of
 * this response would replay a stale one). */
int smo_meta_asked_image(const smo_meta *m);

/* The page's title, decoded to UTF-8 with whitespace collapsed, or NULL
 * (for the share links' {title}).  Its first 4 KiB; meant for after the
 * head. */
const char *smo_meta_title(const smo_meta *m);

/* The value a property ends up with, for the share links' placeholders:
 * SMOMeta's, else what SMOAutoMeta derives (og:title, og:description,
 * og:url — the page's own canonical when it has one).  UTF-8, unescaped,
 * URL-valued ones absolute; NULL if none.  The page's own og:* content is
 * not read.  Call once the head is over. */
const char *smo_meta_value(const smo_meta *m, const char *name);

/* The page starts with a byte order mark: its charset is `charset`,
 * whatever HTTP and the page declare (SPEC 6, "Which charset"). */
void smo_meta_set_bom(smo_meta *m, const char *charset);

/* The page's charset: the byte order mark's, else as declared (HTTP wins
 * over meta; a meta UTF-16 label reads as utf-8, as in browsers), or
 * NULL. */
const char *smo_meta_charset(const smo_meta *m);

#endif
