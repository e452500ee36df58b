/* smo_inspect.h — the inspector's engine (SPEC section 10).
 *
 * Given the page as mod_smo served it and, when known, the page as the
 * backend made it, builds a report: the head's metadata with where each
 * value came from, checks with verdicts and reasons, the share links, and
 * what the link previews of eight networks show; and renders it as one
 * HTML document or as JSON.  Pure: no httpd header, no I/O, every size
 * bounded (props, values, links), all memory from the caller's pool.
 */
#ifndef SMO_INSPECT_H
#define SMO_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "smo_meta.h"   /* smo_meta_image, smo_meta_image_fn */

/* Where a value of the page as served came from (SPEC 10). */
typedef enum {
    SMO_FROM_PAGE,       /* the backend's page has this very tag */
    SMO_FROM_SMOMETA,    /* inserted, and SMOMeta sets this name here */
    SMO_FROM_DERIVED,    /* inserted by SMOAutoMeta / SMOCanonical from the page */
    SMO_FROM_IMAGE,      /* og:image:width/height/type read from the image file (SMOImageInfo) */
    SMO_FROM_GENERATED   /* the generated card (SMOCard) and its facts */
} smo_origin;

typedef struct {
    const char *name;    /* "og:title", "twitter:card", "description", "canonical" (for <link rel=canonical>), "title" (for <title>) */
    const char *value;   /* decoded UTF-8 (character references decoded, whitespace collapsed) */
    smo_origin origin;
    uint64_t offset;     /* byte offset of the tag in the page as served */
} smo_inspect_prop;

typedef enum { SMO_CHECK_PASS, SMO_CHECK_WARN, SMO_CHECK_FAIL } smo_verdict;

typedef struct {
    const char *id;      /* stable machine name: "title", "description", "og-url-absolute", "canonical-absolute", "image", "image-size-<network>", "in-first-32k", "no-duplicates", "twitter-card-matches" */
    smo_verdict verdict;
    const char *message; /* one sentence for a marketer, with the figures */
} smo_inspect_check;

typedef struct {
    const char *network; /* from the link's class smo-share-NAME, or the href's host */
    const char *label;   /* the link text */
    const char *href;    /* decoded attribute value */
} smo_inspect_link;

typedef struct {
    const char *page_url;                 /* absolute URL of the page */
    const char *served; size_t served_len;     /* the page as mod_smo sent it (may be truncated at a bound) */
    const char *original; size_t original_len; /* the page without mod_smo, or NULL when unknown (every tag is then PAGE) */
    const char *charset;                  /* HTTP Content-Type charset, or NULL */
    const apr_array_header_t *configured; /* names SMOMeta sets for this page (const char *, any case), or NULL */
    const char *card_prefix;              /* absolute URL prefix of generated cards, or NULL */
    /* For an og:image without declared width/height: its size (as
     * SMOImageInfo reads it: 1 facts, 0 a URL of this server but no image,
     * -1 not this server's).  May be NULL. */
    smo_meta_image_fn image_facts;
    void *image_ctx;
} smo_inspect_input;

typedef struct {
    const char *page_url;
    apr_array_header_t *props;   /* smo_inspect_prop, in the served page's order (the head only) */
    apr_array_header_t *checks;  /* smo_inspect_check */
    apr_array_header_t *links;   /* smo_inspect_link: the anchors of mod_smo's share block(s) */
    /* What the previews show (with the networks' fallbacks). */
    const char *title, *description, *image, *site, *domain;
    unsigned long image_width, image_height;   /* 0 when unknown */
    /* What the image file of this server says (SMOImageInfo's reader):
     * 1 read (its size in bytes), 0 a URL of this server where no image
     * can be read, -1 not asked (another server's, a generated card, or
     * no image_facts callback). */
    int image_file;
    uint64_t image_bytes;
    const char *twitter_card;
} smo_inspect_report;

/* Bounds: a page of a million tags makes a report of this size at most. */
#define SMO_INSPECT_MAX_PROPS 256
#define SMO_INSPECT_MAX_VALUE 4096   /* bytes of a decoded value */
#define SMO_INSPECT_MAX_LINKS 64
/* The largest image X and LinkedIn take (SPEC 8). */
#define SMO_INSPECT_MAX_IMAGE_BYTES (5ULL * 1024 * 1024)

smo_inspect_report *smo_inspect(apr_pool_t *p, const smo_inspect_input *in);

/* The report as one complete HTML document: no script, one inline
 * <style>, no style attribute, no request to another host but the
 * og:image's own <img>; a viewport meta, a fluid grid, a dark scheme. */
const char *smo_inspect_html(apr_pool_t *p, const smo_inspect_report *r);

/* The same facts as JSON (UTF-8, RFC 8259 escapes):
 * {"url","properties":[{"name","value","origin","offset"}],
 *  "checks":[{"id","verdict","message"}],"links":[{"network","label","href"}],
 *  "previews":[{"network","title","description","site","image","ratio",
 *                "thumbnail","domain"}]}
 * A preview's title and description are as cut (null: not shown), its
 * image null when that network would show none, "thumbnail" true when it
 * shows a small square one. */
const char *smo_inspect_json(apr_pool_t *p, const smo_inspect_report *r);

/* The origin and verdict as the JSON writes them ("page", "pass"...). */
const char *smo_inspect_origin_name(smo_origin o);
const char *smo_inspect_verdict_name(smo_verdict v);

#endif
