/* test_card.c — unit tests for lib/card.c: the share cards as a user
 * sees them.  The PNG decodes to 1200x630; short titles are big, long
 * ones smaller, wrapped and ellipsised; Japanese and Arabic are drawn
 * with real glyphs, Arabic right to left; the look's colours, logo and
 * image show; the same input gives the same bytes.
 *
 * SMO_CARD_SAVE_DIR=dir saves short.png, long.png, japanese.png and
 * arabic.png there to look at; SMO_CARD_BENCH=n prints the time per
 * render over n renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <cairo.h>

#include "../lib/smo_card.h"
#include "../lib/smo_image.h"
#include "toolkit.h"

#define MEDIUM "Brewing green tea: why the water temperature matters"
#define JAPANESE "\xe7\xb7\x91\xe8\x8c\xb6\xe3\x81\xae\xe6\xb7\xb9\xe3\x82\x8c\xe6\x96\xb9"
/* كيفية تحضير الشاي الأخضر */
#define ARABIC "\xd9\x83\xd9\x8a\xd9\x81\xd9\x8a\xd8\xa9 \xd8\xaa\xd8\xad\xd8\xb6" \
    "\xd9\x8a\xd8\xb1 \xd8\xa7\xd9\x84\xd8\xb4\xd8\xa7\xd9\x8a \xd8\xa7\xd9\x84" \
    "\xd8\xa3\xd8\xae\xd8\xb6\xd8\xb1"

typedef struct {
    const unsigned char *png;
    size_t len;
    smo_card_layout layout;
} card;

/* Each test's renderer, in its pool. */
static smo_card_renderer *rdr;

static void setup(void)
{
    tk_pool_setup();
    rdr = smo_card_renderer_create(pool);
}

static void teardown(void)
{
    rdr = NULL;
    tk_pool_teardown();
}

static smo_card_renderer *renderer(void)
{
    ck_assert_ptr_nonnull(rdr);
    return rdr;
}

static card render_look(const smo_card_look *look, const char *title,
                        const char *site, const char *host)
{
    card c;
    const char *err = smo_card_render(renderer(), pool, look, title, site,
                                      host, &c.png, &c.len, &c.layout);

    ck_assert_msg(err == NULL, "render failed: %s", err);
    ck_assert_ptr_nonnull(c.png);
    ck_assert_uint_gt(c.len, 0);
    return c;
}

static card render(const char *title)
{
    smo_card_look look;

    smo_card_look_default(&look);
    return render_look(&look, title, "Tea Notes", "tea.example");
}

static int same(const card *a, const card *b)
{
    return a->len == b->len && memcmp(a->png, b->png, a->len) == 0;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct {
    const unsigned char *p;
    size_t left;
} reader;

static cairo_status_t read_mem(void *closure, unsigned char *data,
                               unsigned int length)
{
    reader *r = closure;

    if (length > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, length);
    r->p += length, r->left -= length;
    return CAIRO_STATUS_SUCCESS;
}

/* The card decoded (the caller destroys it). */
static cairo_surface_t *decode(const card *c)
{
    reader r = { c->png, c->len };
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);

    ck_assert_int_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    return s;
}

static unsigned long pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    uint32_t v;

    memcpy(&v, d + y * cairo_image_surface_get_stride(s) + x * 4, 4);
    return v & 0xffffff;
}

/* Pixels of the rectangle that differ between two cards. */
static long differing(const card *a, const card *b, int x0, int y0, int x1,
                      int y1)
{
    cairo_surface_t *sa = decode(a), *sb = decode(b);
    long n = 0;
    int x, y;

    for (y = y0; y < y1; y++)
        for (x = x0; x < x1; x++)
            n += pixel(sa, x, y) != pixel(sb, x, y);
    cairo_surface_destroy(sa);
    cairo_surface_destroy(sb);
    return n;
}

static void save(const char *name, const card *c)
{
    const char *dir = getenv("SMO_CARD_SAVE_DIR");
    FILE *f;

    if (!dir || !*dir)
        return;
    f = fopen(apr_pstrcat(pool, dir, "/", name, NULL), "wb");
    ck_assert_msg(f != NULL, "cannot write %s/%s", dir, name);
    ck_assert_uint_eq(fwrite(c->png, 1, c->len, f), c->len);
    fclose(f);
}

/* ---- the image --------------------------------------------------------- */

START_TEST(png_1200x630)
{
    card c = render(MEDIUM);
    smo_image_info info;
    cairo_surface_t *s;

    ck_assert_ptr_null(smo_image_read(c.png, c.len, &info));
    ck_assert_int_eq(info.type, SMO_IMAGE_PNG);
    ck_assert_uint_eq(info.width, SMO_CARD_WIDTH);
    ck_assert_uint_eq(info.height, SMO_CARD_HEIGHT);
    s = decode(&c);
    ck_assert_int_eq(cairo_image_surface_get_width(s), 1200);
    ck_assert_int_eq(cairo_image_surface_get_height(s), 630);
    cairo_surface_destroy(s);
    ck_assert_ptr_null(c.layout.warning);
}
END_TEST

START_TEST(same_input_same_bytes)
{
    card a = render(MEDIUM), b = render(MEDIUM), c = render("Brewing black tea");

    ck_assert(same(&a, &b));
    ck_assert(!same(&a, &c));
    /* The title's own pixels differ, not just metadata. */
    ck_assert_int_gt(differing(&a, &c, 0, 0, 1200, 630), 1000);
}
END_TEST

/* ---- layout -------------------------------------------------------------- */

START_TEST(short_title_large)
{
    card word = render("Tea"), c = render("Brewing green tea");

    ck_assert_int_ge(c.layout.lines, 1);
    ck_assert_int_le(c.layout.lines, 2);
    ck_assert(!c.layout.ellipsized);
    /* The largest size there is: a single word's. */
    ck_assert(c.layout.size == word.layout.size);
    ck_assert(c.layout.size >= 64);
    ck_assert_int_eq(c.layout.rtl, 0);
    ck_assert_int_eq(c.layout.unknown_glyphs, 0);
}
END_TEST

START_TEST(medium_title_fits)
{
    card c = render(MEDIUM), word = render("Tea");

    save("short.png", &c);
    ck_assert_int_ge(c.layout.lines, 1);
    ck_assert_int_le(c.layout.lines, 4);
    ck_assert(!c.layout.ellipsized);
    ck_assert(c.layout.size >= 44 && c.layout.size <= word.layout.size);
    ck_assert_int_eq(c.layout.unknown_glyphs, 0);
}
END_TEST

/* A long title is set smaller than a short one, and ellipsised at last. */
START_TEST(long_title_smaller_then_ellipsised)
{
    const char *two = "Brewing green tea: why the water temperature matters, "
                      "and how long to steep sencha, gyokuro and matcha for "
                      "a cup that is sweet rather than bitter";
    char *huge = apr_palloc(pool, 100 * 1024 + 1);
    size_t i;
    card word = render("Tea"), m = render(two), h;

    for (i = 0; i < 100 * 1024; i++)
        huge[i] = "Steeping notes "[i % 15];
    huge[100 * 1024] = '\0';
    ck_assert(m.layout.size < word.layout.size);
    ck_assert_int_le(m.layout.lines, 4);
    ck_assert(!m.layout.ellipsized);
    h = render(huge);
    save("long.png", &h);
    ck_assert(h.layout.ellipsized);
    ck_assert_int_ge(h.layout.lines, 1);
    ck_assert_int_le(h.layout.lines, 4);
    ck_assert(h.layout.size >= 40);
}
END_TEST

/* The title is cut at SMO_CARD_MAX_TITLE code points before layout: what
 * follows changes nothing. */
START_TEST(title_cut_before_layout)
{
    char a[SMO_CARD_MAX_TITLE * 3 + 40], b[sizeof a];
    card ca, cb;
    int i;

    a[0] = '\0';
    /* "é" is two bytes: the cut counts characters, not bytes. */
    for (i = 0; i < SMO_CARD_MAX_TITLE / 3; i++)
        strcat(a, "t\xc3\xa9 ");
    strcpy(b, a);
    strcat(a, "GREEN");
    strcat(b, "BLACK");
    ca = render(a);
    cb = render(b);
    ck_assert(same(&ca, &cb));
    ck_assert(ca.layout.ellipsized);
}
END_TEST

/* ---- scripts ------------------------------------------------------------- */

START_TEST(japanese_title)
{
    card j = render(JAPANESE), l = render("Brewing green tea");

    save("japanese.png", &j);
    ck_assert_int_eq(j.layout.unknown_glyphs, 0);
    ck_assert_int_eq(j.layout.rtl, 0);
    ck_assert_int_eq(j.layout.lines, 1);
    ck_assert(!j.layout.ellipsized);
    ck_assert(!same(&j, &l));
    ck_assert_int_gt(differing(&j, &l, 80, 150, 1120, 478), 1000);
}
END_TEST

START_TEST(arabic_title_right_to_left)
{
    smo_card_look look;
    card a, l = render("Brewing green tea");

    smo_card_look_default(&look);
    a = render_look(&look, ARABIC, "\xd8\xb4\xd8\xa7\xd9\x8a", "tea.example");
    save("arabic.png", &a);
    ck_assert_int_eq(a.layout.rtl, 1);
    ck_assert_int_eq(a.layout.unknown_glyphs, 0);
    ck_assert_int_eq(l.layout.rtl, 0);
    ck_assert(!a.layout.ellipsized);
    /* Aligned to the right: the left third of the title's box is empty
     * for a short Arabic title, not for a Latin one of the same length. */
    a = render("\xd8\xa7\xd9\x84\xd8\xb4\xd8\xa7\xd9\x8a"); /* الشاي */
    l = render("Green tea");
    {
        card blank = render("");

        ck_assert_int_eq(differing(&a, &blank, 80, 150, 250, 478), 0);
        ck_assert_int_gt(differing(&l, &blank, 80, 150, 250, 478), 100);
        ck_assert_int_gt(differing(&a, &blank, 800, 150, 1120, 478), 100);
    }
}
END_TEST

START_TEST(invalid_utf8)
{
    card c = render("Green \xff\xfe tea \xc3 \xed\xa0\x80 \xf4\x90\x80\x80 cup\xe3\x81");
    card d;
    cairo_surface_t *s = decode(&c);

    ck_assert_int_eq(cairo_image_surface_get_width(s), 1200);
    cairo_surface_destroy(s);
    ck_assert_int_ge(c.layout.lines, 1);
    ck_assert(!c.layout.ellipsized);
    /* Control characters are spaces, not hex boxes or new paragraphs. */
    d = render("Green\ntea\t\x01 cup");
    ck_assert_int_eq(d.layout.unknown_glyphs, 0);
    ck_assert_int_eq(d.layout.lines, 1);
}
END_TEST

/* ---- the look ------------------------------------------------------------ */

START_TEST(background_colour)
{
    smo_card_look look;
    card c;
    cairo_surface_t *s;

    smo_card_look_default(&look);
    look.background = 0x336699;
    look.foreground = 0xffffff;
    look.accent = 0xee4400;
    c = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    s = decode(&c);
    ck_assert_uint_eq(pixel(s, 5, 5), 0x336699);
    ck_assert_uint_eq(pixel(s, 1195, 625), 0xee4400); /* the bottom band */
    cairo_surface_destroy(s);

    smo_card_look_default(&look);
    c = render_look(&look, MEDIUM, NULL, NULL);
    s = decode(&c);
    ck_assert_uint_eq(pixel(s, 5, 5), look.background);
    cairo_surface_destroy(s);
}
END_TEST

/* A PNG of one colour at `path`. */
static void write_png(const char *path, int w, int h, double r, double g,
                      double b)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);

    cairo_set_source_rgb(cr, r, g, b);
    cairo_paint(cr);
    cairo_destroy(cr);
    ck_assert_int_eq(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static const char *tmp_path(const char *name)
{
    const char *dir = getenv("TMPDIR");

    return apr_psprintf(pool, "%s/smo_card_%ld_%s", dir && *dir ? dir : "/tmp",
                        (long)getpid(), name);
}

START_TEST(logo_missing_warns)
{
    smo_card_look look;
    card c, plain;

    smo_card_look_default(&look);
    plain = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    look.logo = "/nonexistent/logo.png";
    c = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    ck_assert_ptr_nonnull(c.layout.warning);
    ck_assert_ptr_nonnull(strstr(c.layout.warning, "/nonexistent/logo.png"));
    ck_assert(same(&c, &plain));
}
END_TEST

START_TEST(logo_drawn)
{
    smo_card_look look;
    const char *path = tmp_path("logo.png");
    card c, plain;
    cairo_surface_t *s;

    write_png(path, 200, 100, 1, 0, 0);
    smo_card_look_default(&look);
    plain = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    look.logo = path;
    c = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    remove(path);
    ck_assert_ptr_null(c.layout.warning);
    ck_assert_int_gt(differing(&c, &plain, 80, 56, 280, 152), 10000);
    s = decode(&c);
    ck_assert_uint_eq(pixel(s, 120, 100), 0xff0000);
    ck_assert_uint_eq(pixel(s, 5, 5), look.background);
    cairo_surface_destroy(s);
}
END_TEST

/* A non-PNG or oversized picture is refused before it is decoded. */
START_TEST(picture_refused)
{
    smo_card_look look;
    const char *path = tmp_path("text.png");
    FILE *f = fopen(path, "w");
    card c;

    ck_assert_ptr_nonnull(f);
    fputs("not an image", f);
    fclose(f);
    smo_card_look_default(&look);
    look.image = path;
    c = render_look(&look, MEDIUM, NULL, NULL);
    remove(path);
    ck_assert_ptr_nonnull(c.layout.warning);
    ck_assert_ptr_nonnull(strstr(c.layout.warning, "image"));

    path = tmp_path("huge.png");
    write_png(path, SMO_CARD_MAX_PICTURE + 1, 1, 0, 1, 0);
    look.image = path;
    c = render_look(&look, MEDIUM, NULL, NULL);
    remove(path);
    ck_assert_ptr_nonnull(c.layout.warning);
    ck_assert_ptr_nonnull(strstr(c.layout.warning, "larger than"));
}
END_TEST

START_TEST(background_image_veiled)
{
    smo_card_look look;
    const char *path = tmp_path("bg.png");
    card c;
    cairo_surface_t *s;
    unsigned long px;

    write_png(path, 300, 200, 0, 1, 0);
    smo_card_look_default(&look);
    look.background = 0x000000;
    look.image = path;
    c = render_look(&look, MEDIUM, NULL, NULL);
    remove(path);
    ck_assert_ptr_null(c.layout.warning);
    s = decode(&c);
    px = pixel(s, 5, 5);
    cairo_surface_destroy(s);
    /* Green shows through the black veil, dimmed. */
    ck_assert_uint_eq(px & 0xff00ff, 0);
    ck_assert_uint_gt(px >> 8 & 0xff, 0x10);
    ck_assert_uint_lt(px >> 8 & 0xff, 0x80);
}
END_TEST

/* ---- the site line ------------------------------------------------------- */

START_TEST(site_and_host)
{
    smo_card_look look;
    card both, once, none, site;

    smo_card_look_default(&look);
    both = render_look(&look, MEDIUM, "tea.example", "tea.example");
    once = render_look(&look, MEDIUM, "tea.example", NULL);
    none = render_look(&look, MEDIUM, NULL, NULL);
    site = render_look(&look, MEDIUM, "Tea Notes", "tea.example");
    ck_assert(same(&both, &once));
    /* Without a site name the host is shown as the name. */
    both = render_look(&look, MEDIUM, NULL, "tea.example");
    ck_assert(same(&both, &once));
    ck_assert_int_gt(differing(&once, &none, 0, 500, 1200, 616), 500);
    ck_assert(!same(&site, &once));
    /* The title is the same whatever the site line says. */
    ck_assert_int_eq(differing(&site, &none, 0, 0, 1200, 478), 0);
}
END_TEST

/* ---- time ------------------------------------------------------------------ */

START_TEST(bench)
{
    static const char *const titles[][2] = {
        { "Latin", MEDIUM }, { "Japanese", JAPANESE }, { "Arabic", ARABIC },
        { "100 KB", NULL },
    };
    const char *n_s = getenv("SMO_CARD_BENCH");
    char *huge = apr_palloc(pool, 100 * 1024 + 1);
    int n = n_s ? atoi(n_s) : 0, i;
    size_t k;
    apr_time_t t0;

    if (n <= 0)
        return;
    memset(huge, 'x', 100 * 1024);
    huge[100 * 1024] = '\0';
    t0 = apr_time_now();
    render(MEDIUM);
    printf("card: first render %.1f ms (fonts loaded)\n",
           (double)(apr_time_now() - t0) / 1000.0);
    for (k = 0; k < sizeof titles / sizeof titles[0]; k++) {
        const char *t = titles[k][1] ? titles[k][1] : huge;
        size_t bytes = 0;

        t0 = apr_time_now();
        for (i = 0; i < n; i++)
            bytes = render(t).len;
        printf("card: %-8s %.2f ms per render (%d renders, %zu bytes)\n",
               titles[k][0], (double)(apr_time_now() - t0) / 1000.0 / n, n,
               bytes);
    }
}
END_TEST

static Suite *card_suite(void)
{
    Suite *s = suite_create("card");
    TCase *tc = tcase_create("card");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, png_1200x630);
    tcase_add_test(tc, same_input_same_bytes);
    tcase_add_test(tc, short_title_large);
    tcase_add_test(tc, medium_title_fits);
    tcase_add_test(tc, long_title_smaller_then_ellipsised);
    tcase_add_test(tc, title_cut_before_layout);
    tcase_add_test(tc, japanese_title);
    tcase_add_test(tc, arabic_title_right_to_left);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, background_colour);
    tcase_add_test(tc, logo_missing_warns);
    tcase_add_test(tc, logo_drawn);
    tcase_add_test(tc, picture_refused);
    tcase_add_test(tc, background_image_veiled);
    tcase_add_test(tc, site_and_host);
    tcase_add_test(tc, bench);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { card_suite, 0, NULL };
