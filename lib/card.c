/* card.c — the share card renderer (SPEC section 9).  cairo draws on an
 * RGB24 image surface and writes the PNG to memory; Pango lays the text
 * out (wrapping, bidi, shaping, font fallback through fontconfig).  Each
 * renderer owns its font map, so nothing here is shared between
 * renderers; one render at a time per renderer. */
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "smo_card.h"
#include "smo_image.h"

/* The geometry, in pixels of the 1200x630 card. */
#define MARGIN 80
#define BOX_W (SMO_CARD_WIDTH - 2 * MARGIN)
#define LOGO_TOP 56
#define LOGO_H 96
#define LOGO_MAX_W 440
#define TITLE_TOP 150       /* below the logo's area */
#define TITLE_BOTTOM 478
#define TITLE_MAX_LINES 4
#define TITLE_SIZE_MAX 76
#define TITLE_SIZE_MIN 44
#define TITLE_SIZE_STEP 4
#define BAR_W 72
#define BAR_H 8
#define SITE_Y 528
#define SITE_SIZE 32
#define HOST_SIZE 28
#define BAND_H 14
/* The background image's veil of the background colour. */
#define VEIL_ALPHA 0.82
/* The site name and host are one line; longer is cut before layout. */
#define MAX_SITE 120
#define MAX_HOST 255

struct smo_card_renderer {
    PangoFontMap *fontmap;
};

void smo_card_look_default(smo_card_look *look)
{
    memset(look, 0, sizeof *look);
    look->background = 0x14213d;
    look->foreground = 0xf7f4ec;
    look->accent = 0xfca311;
}

static apr_status_t renderer_cleanup(void *data)
{
    smo_card_renderer *r = data;

    if (r->fontmap)
        g_object_unref(r->fontmap);
    r->fontmap = NULL;
    return APR_SUCCESS;
}

smo_card_renderer *smo_card_renderer_create(apr_pool_t *pool)
{
    smo_card_renderer *r = apr_pcalloc(pool, sizeof *r);

    r->fontmap = pango_cairo_font_map_new();
    if (!r->fontmap)
        return NULL;
    apr_pool_cleanup_register(pool, r, renderer_cleanup,
                              apr_pool_cleanup_null);
    return r;
}

/* ---- the text ------------------------------------------------------------ */

/* The code point at s (n bytes left), or -1 for an invalid sequence
 * (overlong, surrogate, past U+10FFFF, truncated); *used is its length
 * (1 for an invalid lead byte, so the scan resynchronises). */
static long utf8_next(const unsigned char *s, size_t n, size_t *used)
{
    static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t k, need;
    long c;

    *used = 1;
    if (s[0] < 0x80)
        return s[0];
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 4, c = s[0] & 0x07;
    else
        return -1;
    if (n < need)
        return -1;
    for (k = 1; k < need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return -1;
        c = c << 6 | (s[k] & 0x3f);
    }
    if (c < min[need] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *used = need;
    return c;
}

/* `in` as valid UTF-8 of at most `max` code points, on one line: an
 * invalid sequence becomes U+FFFD, a control character or a line or
 * paragraph separator a space (Pango would start a new paragraph or draw
 * a hex box), runs of spaces one, and the ends trimmed.  NULL for none. */
static const char *clean_text(apr_pool_t *p, const char *in, size_t max)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n, i = 0, o = 0, count = 0, used;
    char *out;
    int space = 1;

    if (!in)
        return NULL;
    n = strlen(in);
    if (n > max * 4)
        n = max * 4; /* no more is looked at: max code points fit in it */
    out = apr_palloc(p, max * 4 + 1);
    while (i < n && count < max) {
        long c = utf8_next(s + i, n - i, &used);

        if (c >= 0 && (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
                       c == 0x2028 || c == 0x2029))
            c = ' ';
        if (c == ' ') {
            if (!space)
                out[o++] = ' ', count++;
        } else if (c < 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3), o += 3, count++;
        } else {
            memcpy(out + o, s + i, used), o += used, count++;
        }
        space = c == ' ';
        i += used;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o ? out : NULL;
}

/* ---- pictures -------------------------------------------------------------- */

static cairo_status_t read_file(void *closure, unsigned char *data,
                                unsigned int length)
{
    return fread(data, 1, length, closure) == length
               ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR;
}

/* The PNG at `path`, its size checked from its header before it is
 * decoded (a 30000x30000 logo is a 3.6 GB surface); NULL with *warning
 * set when it cannot be used. */
static cairo_surface_t *load_png(apr_pool_t *p, const char *what,
                                 const char *path, const char **warning)
{
    unsigned char head[64];
    smo_image_info info;
    cairo_surface_t *s;
    const char *why;
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f) {
        *warning = apr_psprintf(p, "%s %s cannot be read: %s; drawn without it",
                                what, path, strerror(errno));
        return NULL;
    }
    n = fread(head, 1, sizeof head, f);
    why = smo_image_read(head, n, &info);
    if (!why && info.type != SMO_IMAGE_PNG)
        why = apr_psprintf(p, "a %s, not a PNG", smo_image_mime(info.type));
    if (!why && (info.width > SMO_CARD_MAX_PICTURE ||
                 info.height > SMO_CARD_MAX_PICTURE))
        why = apr_psprintf(p, "%lux%lu is larger than %dx%d",
                           (unsigned long)info.width,
                           (unsigned long)info.height, SMO_CARD_MAX_PICTURE,
                           SMO_CARD_MAX_PICTURE);
    s = NULL;
    if (!why) {
        rewind(f);
        s = cairo_image_surface_create_from_png_stream(read_file, f);
        if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
            why = cairo_status_to_string(cairo_surface_status(s));
    }
    fclose(f);
    if (why) {
        if (s)
            cairo_surface_destroy(s);
        *warning = apr_psprintf(p, "%s %s cannot be read: %s; drawn without it",
                                what, path, why);
        return NULL;
    }
    return s;
}

/* ---- drawing ------------------------------------------------------------- */

static void set_rgb(cairo_t *cr, unsigned long rgb, double alpha)
{
    cairo_set_source_rgba(cr, (rgb >> 16 & 0xff) / 255.0,
                          (rgb >> 8 & 0xff) / 255.0, (rgb & 0xff) / 255.0,
                          alpha);
}

/* a * (1 - t) + b * t, channel by channel. */
static unsigned long mix(unsigned long a, unsigned long b, double t)
{
    unsigned long out = 0;
    int shift;

    for (shift = 16; shift >= 0; shift -= 8) {
        double ca = (double)(a >> shift & 0xff), cb = (double)(b >> shift & 0xff);

        out |= (unsigned long)(ca + (cb - ca) * t + 0.5) << shift;
    }
    return out;
}

static void draw_background(cairo_t *cr, const smo_card_look *look,
                            cairo_surface_t *image)
{
    set_rgb(cr, look->background, 1);
    cairo_paint(cr);
    if (image) {
        double iw = cairo_image_surface_get_width(image);
        double ih = cairo_image_surface_get_height(image);
        double sc = SMO_CARD_WIDTH / iw > SMO_CARD_HEIGHT / ih
                        ? SMO_CARD_WIDTH / iw : SMO_CARD_HEIGHT / ih;

        /* Scaled to cover, centred. */
        cairo_save(cr);
        cairo_translate(cr, (SMO_CARD_WIDTH - iw * sc) / 2,
                        (SMO_CARD_HEIGHT - ih * sc) / 2);
        cairo_scale(cr, sc, sc);
        cairo_set_source_surface(cr, image, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
        cairo_restore(cr);
        set_rgb(cr, look->background, VEIL_ALPHA);
        cairo_paint(cr);
    }
    /* The band along the bottom edge. */
    set_rgb(cr, look->accent, 1);
    cairo_rectangle(cr, 0, SMO_CARD_HEIGHT - BAND_H, SMO_CARD_WIDTH, BAND_H);
    cairo_fill(cr);
}

static void draw_logo(cairo_t *cr, cairo_surface_t *logo)
{
    double iw = cairo_image_surface_get_width(logo);
    double ih = cairo_image_surface_get_height(logo);
    double sc = LOGO_H / ih;

    if (iw * sc > LOGO_MAX_W)
        sc = LOGO_MAX_W / iw;
    cairo_save(cr);
    cairo_translate(cr, MARGIN, LOGO_TOP + (LOGO_H - ih * sc) / 2);
    cairo_scale(cr, sc, sc);
    cairo_set_source_surface(cr, logo, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
}

static PangoLayout *new_layout(PangoContext *ctx, const char *font,
                               PangoFontDescription **desc)
{
    PangoLayout *l = pango_layout_new(ctx);

    *desc = pango_font_description_from_string(font);
    pango_layout_set_width(l, BOX_W * PANGO_SCALE);
    pango_layout_set_alignment(l, PANGO_ALIGN_LEFT);
    pango_layout_set_auto_dir(l, TRUE);
    return l;
}

static int layout_height(PangoLayout *l)
{
    int w, h;

    pango_layout_get_pixel_size(l, &w, &h);
    return h;
}

/* Lay the title out at the largest size where it fits the box in at most
 * TITLE_MAX_LINES lines; at the smallest, ellipsise it at the end. */
static void fit_title(PangoLayout *l, PangoFontDescription *desc,
                      smo_card_layout *out)
{
    int size, lines;

    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_font_description_set_weight(desc, PANGO_WEIGHT_BOLD);
    for (size = TITLE_SIZE_MAX; size >= TITLE_SIZE_MIN;
         size -= TITLE_SIZE_STEP) {
        pango_font_description_set_absolute_size(desc, size * PANGO_SCALE);
        pango_layout_set_font_description(l, desc);
        if (pango_layout_get_line_count(l) <= TITLE_MAX_LINES &&
            layout_height(l) <= TITLE_BOTTOM - TITLE_TOP) {
            out->size = size;
            out->lines = pango_layout_get_line_count(l);
            return;
        }
    }
    out->size = TITLE_SIZE_MIN;
    pango_font_description_set_absolute_size(desc,
                                             TITLE_SIZE_MIN * PANGO_SCALE);
    pango_layout_set_font_description(l, desc);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    /* Fewer lines if the fonts' lines are tall (CJK fonts' are). */
    for (lines = TITLE_MAX_LINES; lines > 1; lines--) {
        pango_layout_set_height(l, -lines);
        if (layout_height(l) <= TITLE_BOTTOM - TITLE_TOP)
            break;
    }
    pango_layout_set_height(l, -lines);
    out->lines = pango_layout_get_line_count(l);
    out->ellipsized = pango_layout_is_ellipsized(l);
}

/* The title, centred in its box between the logo's area and the site
 * line, with the accent bar above it on its starting side (unless a logo
 * is there to head the card).  Auto-dir
 * aligns a right-to-left title to the right (Pango swaps PANGO_ALIGN_LEFT
 * for such a paragraph). */
static void draw_title(cairo_t *cr, PangoContext *ctx,
                       const smo_card_look *look, const char *title,
                       int bar, smo_card_layout *out)
{
    PangoFontDescription *desc;
    PangoLayout *l = new_layout(ctx, look->font, &desc);
    double y;
    int h, bar_x;

    pango_layout_set_text(l, title, -1);
    fit_title(l, desc, out);
    out->rtl = pango_layout_get_line_readonly(l, 0)->resolved_dir ==
               PANGO_DIRECTION_RTL;
    out->unknown_glyphs += pango_layout_get_unknown_glyphs_count(l);
    h = layout_height(l);
    y = TITLE_TOP + (TITLE_BOTTOM - TITLE_TOP - h) / 2.0;
    bar_x = out->rtl ? SMO_CARD_WIDTH - MARGIN - BAR_W : MARGIN;
    if (bar) {
        set_rgb(cr, look->accent, 1);
        cairo_rectangle(cr, bar_x, y - BAR_H - 20, BAR_W, BAR_H);
        cairo_fill(cr);
    }
    set_rgb(cr, look->foreground, 1);
    cairo_move_to(cr, MARGIN, y);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(desc);
    g_object_unref(l);
}

/* Add `a` to `attrs` over bytes [start, end). */
static void add_attr(PangoAttrList *attrs, PangoAttribute *a, size_t start,
                     size_t end)
{
    a->start_index = (guint)start;
    a->end_index = (guint)end;
    pango_attr_list_insert(attrs, a);
}

static PangoAttribute *colour_attr(unsigned long rgb)
{
    return pango_attr_foreground_new((guint16)((rgb >> 16 & 0xff) * 257),
                                     (guint16)((rgb >> 8 & 0xff) * 257),
                                     (guint16)((rgb & 0xff) * 257));
}

/* "Site · host" on one line: the name in the accent colour, the host
 * muted; on the title's side.  Without a name the host is the name. */
static void draw_site(cairo_t *cr, apr_pool_t *p, PangoContext *ctx,
                      const smo_card_look *look, const char *site,
                      const char *host, smo_card_layout *out)
{
    PangoFontDescription *desc;
    PangoLayout *l;
    PangoAttrList *attrs;
    const char *text;
    size_t name;
    int w, h;

    if (!site)
        site = host, host = NULL;
    if (!site)
        return;
    if (host && strcasecmp(site, host) == 0)
        host = NULL;
    text = host ? apr_pstrcat(p, site, "  \xc2\xb7  ", host, NULL) : site;
    name = strlen(site);
    l = new_layout(ctx, look->font, &desc);
    pango_font_description_set_absolute_size(desc, HOST_SIZE * PANGO_SCALE);
    pango_layout_set_font_description(l, desc);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    pango_layout_set_text(l, text, -1);
    attrs = pango_attr_list_new();
    add_attr(attrs, colour_attr(mix(look->foreground, look->background, 0.4)),
             0, strlen(text));
    add_attr(attrs, colour_attr(look->accent), 0, name);
    add_attr(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD), 0, name);
    add_attr(attrs, pango_attr_size_new_absolute(SITE_SIZE * PANGO_SCALE), 0,
             name);
    pango_layout_set_attributes(l, attrs);
    pango_attr_list_unref(attrs);
    /* Auto-dir swaps left and right for a right-to-left paragraph: the
     * line goes on the title's side whichever way the site name runs. */
    if (out->rtl != (pango_layout_get_line_readonly(l, 0)->resolved_dir ==
                     PANGO_DIRECTION_RTL))
        pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
    out->unknown_glyphs += pango_layout_get_unknown_glyphs_count(l);
    pango_layout_get_pixel_size(l, &w, &h);
    cairo_move_to(cr, MARGIN,
                  SITE_Y + (SMO_CARD_HEIGHT - BAND_H - SITE_Y - h) / 2.0);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(desc);
    g_object_unref(l);
}

/* ---- the PNG --------------------------------------------------------------- */

typedef struct {
    unsigned char *b;
    size_t n, cap;
} png_buf;

static cairo_status_t write_png(void *closure, const unsigned char *data,
                                unsigned int length)
{
    png_buf *o = closure;

    if (o->n + length > o->cap) {
        size_t cap = o->cap ? o->cap : 64 * 1024;
        unsigned char *b;

        while (cap < o->n + length)
            cap *= 2;
        b = realloc(o->b, cap);
        if (!b)
            return CAIRO_STATUS_NO_MEMORY;
        o->b = b, o->cap = cap;
    }
    memcpy(o->b + o->n, data, length);
    o->n += length;
    return CAIRO_STATUS_SUCCESS;
}

static const char *to_png(apr_pool_t *p, cairo_surface_t *s,
                          const unsigned char **png, size_t *len)
{
    png_buf o = { NULL, 0, 0 };
    cairo_status_t st = cairo_surface_write_to_png_stream(s, write_png, &o);

    if (st != CAIRO_STATUS_SUCCESS) {
        free(o.b);
        return apr_psprintf(p, "the card's PNG cannot be written: %s",
                            cairo_status_to_string(st));
    }
    *png = apr_pmemdup(p, o.b, o.n);
    *len = o.n;
    free(o.b);
    return NULL;
}

/* ---- the card -------------------------------------------------------------- */

/* Greyscale antialiasing, no hinting: the same bytes on every run and
 * every machine with the same fonts, glyphs placed where the layout says. */
static PangoContext *new_context(smo_card_renderer *r, cairo_t *cr)
{
    PangoContext *ctx = pango_font_map_create_context(r->fontmap);
    cairo_font_options_t *fo = cairo_font_options_create();

    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_update_context(cr, ctx);
    return ctx;
}

const char *smo_card_render(smo_card_renderer *r, apr_pool_t *p,
                            const smo_card_look *look_in, const char *title,
                            const char *site, const char *host,
                            const unsigned char **png, size_t *len,
                            smo_card_layout *layout)
{
    smo_card_layout scratch;
    smo_card_look look = *look_in;
    cairo_surface_t *s, *logo = NULL, *image = NULL;
    PangoContext *ctx;
    const char *err;
    cairo_t *cr;

    if (!layout)
        layout = &scratch;
    memset(layout, 0, sizeof *layout);
    *png = NULL, *len = 0;
    if (!look.font || !*look.font)
        look.font = SMO_CARD_DEFAULT_FONT;
    title = clean_text(p, title, SMO_CARD_MAX_TITLE);
    site = clean_text(p, site, MAX_SITE);
    host = clean_text(p, host, MAX_HOST);
    if (look.image)
        image = load_png(p, "image", look.image, &layout->warning);
    if (look.logo)
        logo = load_png(p, "logo", look.logo, &layout->warning);
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SMO_CARD_WIDTH,
                                   SMO_CARD_HEIGHT);
    cr = cairo_create(s);
    draw_background(cr, &look, image);
    if (logo)
        draw_logo(cr, logo);
    ctx = new_context(r, cr);
    if (title)
        draw_title(cr, ctx, &look, title, logo == NULL, layout);
    draw_site(cr, p, ctx, &look, site, host, layout);
    g_object_unref(ctx);
    cairo_surface_flush(s);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        err = apr_psprintf(p, "the card cannot be drawn: %s",
                           cairo_status_to_string(cairo_status(cr)));
    else
        err = to_png(p, s, png, len);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    if (logo)
        cairo_surface_destroy(logo);
    if (image)
        cairo_surface_destroy(image);
    return err;
}
