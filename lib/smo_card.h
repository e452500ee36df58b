/* smo_card.h — the share card renderer (SPEC section 9): a 1200x630 PNG
 * showing a page's title, the site's name and host, drawn with cairo,
 * the text laid out by Pango (shaping, bidi, font fallback through
 * fontconfig).  No httpd header; the module's glue signs, caches and
 * serves what this draws. */
#ifndef SMO_CARD_H
#define SMO_CARD_H

#include <stddef.h>

#include <apr_pools.h>

#define SMO_CARD_WIDTH 1200
#define SMO_CARD_HEIGHT 630
/* Characters (code points) of a title laid out at most; longer is cut
 * first (at a character boundary), then ellipsised by the layout. */
#define SMO_CARD_MAX_TITLE 300
#define SMO_CARD_DEFAULT_FONT "DejaVu Sans, Noto Sans CJK JP, Noto Sans, sans-serif"

typedef struct {
    const char *font;          /* Pango family list; NULL: SMO_CARD_DEFAULT_FONT */
    unsigned long background;  /* 0xRRGGBB */
    unsigned long foreground;  /* the title's colour */
    unsigned long accent;      /* the accent bar and the site line */
    const char *logo;          /* path of a PNG drawn in the top-left corner area, or NULL */
    const char *image;         /* path of a PNG drawn as background (scaled to cover, with a
                                  translucent overlay of `background` so text stays legible), or NULL */
} smo_card_look;

/* The defaults: deep navy background, near-white title, amber accent. */
void smo_card_look_default(smo_card_look *look);

typedef struct {
    int lines;           /* lines of the title as laid out (1..4) */
    double size;         /* the title's font size, in pixels */
    int ellipsized;      /* the title did not fit and ends with an ellipsis */
    int unknown_glyphs;  /* glyphs of the title and site no font has (tofu) */
    int rtl;             /* the title's base direction is right to left */
    const char *warning; /* e.g. "logo /x.png cannot be read: ...; drawn without it", or NULL */
} smo_card_layout;

typedef struct smo_card_renderer smo_card_renderer;

/* A renderer with its own font map (pango_cairo_font_map_new(), not the
 * per-thread default), released by a cleanup on `pool`.  Not thread-safe:
 * one render at a time per renderer (the module serialises them with a
 * mutex).  NULL if Pango/fontconfig cannot be set up. */
smo_card_renderer *smo_card_renderer_create(apr_pool_t *pool);

/* Render a card: `title` (UTF-8, may be long, may be any script; invalid
 * sequences are drawn as U+FFFD, control characters as spaces), `site`
 * (the site's name, may be NULL) and `host` (e.g. "tea.example", may be
 * NULL; shown after the site name, once when equal to it).  The PNG is
 * allocated in `p` (*png, *len).  Returns NULL on success, else an error
 * message allocated in `p`.  `layout` may be NULL.  Bounded in time and
 * memory whatever the text: it is cut to SMO_CARD_MAX_TITLE code points
 * (the site and host to less) before layout; the logo and image are
 * refused above SMO_CARD_MAX_PICTURE pixels a side (read from their
 * header, before decoding). Same inputs, same bytes. */
const char *smo_card_render(smo_card_renderer *r, apr_pool_t *p,
                            const smo_card_look *look, const char *title,
                            const char *site, const char *host,
                            const unsigned char **png, size_t *len,
                            smo_card_layout *layout);

/* The largest width or height of a logo or background image decoded. */
#define SMO_CARD_MAX_PICTURE 4096

#endif
