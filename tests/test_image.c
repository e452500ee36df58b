/* test_image.c — unit tests for lib/image.c: the type and displayed size
 * of PNG, JPEG, GIF and WebP images, from headers built here byte by
 * byte, every truncation of them, and the corrupt variants a strict
 * reader must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../lib/smo_image.h"
#include "toolkit.h"

/* ---- building images ---------------------------------------------------- */

typedef struct {
    unsigned char b[4096];
    size_t n;
    size_t need; /* the shortest prefix the reader succeeds on */
} img;

static void put(img *m, const void *p, size_t n)
{
    ck_assert_uint_le(m->n + n, sizeof m->b);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put8(img *m, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(m, &c, 1);
}

static void put16be(img *m, uint32_t v)
{
    put8(m, v >> 8 & 0xff);
    put8(m, v & 0xff);
}

static void put32be(img *m, uint32_t v)
{
    put16be(m, v >> 16);
    put16be(m, v & 0xffff);
}

static void put16le(img *m, uint32_t v)
{
    put8(m, v & 0xff);
    put8(m, v >> 8 & 0xff);
}

static void put24le(img *m, uint32_t v)
{
    put16le(m, v & 0xffff);
    put8(m, v >> 16 & 0xff);
}

static void put32le(img *m, uint32_t v)
{
    put16le(m, v & 0xffff);
    put16le(m, v >> 16);
}

static void put16(img *m, int le, uint32_t v)
{
    le ? put16le(m, v) : put16be(m, v);
}

static void put32(img *m, int le, uint32_t v)
{
    le ? put32le(m, v) : put32be(m, v);
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

/* A PNG chunk with its CRC over type and data. */
static void png_chunk(img *m, const char *type, const unsigned char *d,
                      uint32_t n)
{
    size_t at;
    put32be(m, n);
    at = m->n;
    put(m, type, 4);
    if (n)
        put(m, d, n);
    put32be(m, crc32(m->b + at, 4 + n));
}

/* Signature, IHDR (8-bit RGBA), an empty IDAT and IEND. */
static img make_png(uint32_t w, uint32_t h)
{
    img m = { .n = 0 };
    unsigned char ihdr[13] = { 0 };
    put(&m, "\x89PNG\r\n\x1a\n", 8);
    ihdr[0] = w >> 24, ihdr[1] = w >> 16 & 0xff, ihdr[2] = w >> 8 & 0xff;
    ihdr[3] = w & 0xff;
    ihdr[4] = h >> 24, ihdr[5] = h >> 16 & 0xff, ihdr[6] = h >> 8 & 0xff;
    ihdr[7] = h & 0xff;
    ihdr[8] = 8, ihdr[9] = 6; /* depth, colour type; the rest 0 */
    png_chunk(&m, "IHDR", ihdr, 13);
    m.need = 8 + 8 + 13;
    png_chunk(&m, "IDAT", (const unsigned char *)"\x78\x9c\x03\0\0\0\0\x01",
              8);
    png_chunk(&m, "IEND", NULL, 0);
    return m;
}

/* An APP1 EXIF segment: TIFF header in the byte order asked, IFD0 with a
 * Make tag (its string out of line) and Orientation, the next IFD 0. */
static void jpeg_exif(img *m, int le, unsigned orientation)
{
    size_t lenat, tiff;
    put16be(m, 0xffe1);
    lenat = m->n;
    put16be(m, 0);
    put(m, "Exif\0\0", 6);
    tiff = m->n;
    put(m, le ? "II\x2a\0" : "MM\0\x2a", 4);
    put32(m, le, 8);
    put16(m, le, 2);
    put16(m, le, 0x010f), put16(m, le, 2), put32(m, le, 6);
    put32(m, le, 8 + 2 + 2 * 12 + 4); /* Make: past the IFD */
    put16(m, le, 0x0112), put16(m, le, 3), put32(m, le, 1);
    put16(m, le, orientation), put16(m, le, 0);
    put32(m, le, 0);
    put(m, "Canon\0", 6);
    (void)tiff;
    m->b[lenat] = (unsigned char)((m->n - lenat) >> 8);
    m->b[lenat + 1] = (unsigned char)((m->n - lenat) & 0xff);
}

static void jpeg_segment(img *m, unsigned marker, const void *d, size_t n)
{
    put16be(m, 0xff00 | marker);
    put16be(m, (uint32_t)n + 2);
    put(m, d, n);
}

/* Baseline or progressive frame header: 8-bit, three components. */
static void jpeg_sof(img *m, unsigned marker, uint32_t w, uint32_t h)
{
    put16be(m, 0xff00 | marker);
    put16be(m, 8 + 3 * 3);
    put8(m, 8);
    put16be(m, h);
    put16be(m, w);
    put8(m, 3);
    put(m, "\x01\x22\x00\x02\x11\x01\x03\x11\x01", 9);
}

/* SOI, APP0 JFIF, APP1 EXIF (exif: 0 none, 'I' or 'M'), DQT, the frame
 * header, DHT, SOS, a few bytes of scan with a stuffed FF 00, EOI. */
static img make_jpeg(unsigned sof, uint32_t w, uint32_t h, int exif,
                     unsigned orientation)
{
    img m = { .n = 0 };
    unsigned char dqt[65] = { 0 };
    unsigned char dht[29] = { 0 };
    put16be(&m, 0xffd8);
    jpeg_segment(&m, 0xe0, "JFIF\0\x01\x01\x00\x00\x48\x00\x48\0\0", 14);
    if (exif)
        jpeg_exif(&m, exif == 'I', orientation);
    for (size_t i = 1; i < sizeof dqt; i++)
        dqt[i] = (unsigned char)i;
    jpeg_segment(&m, 0xdb, dqt, sizeof dqt);
    jpeg_sof(&m, sof, w, h);
    m.need = m.n;
    dht[1] = 1; /* one code of length 1, table 0 DC */
    jpeg_segment(&m, 0xc4, dht, 17 + 1);
    jpeg_segment(&m, 0xda, "\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00", 10);
    put(&m, "\x12\xff\x00\x34", 4);
    put16be(&m, 0xffd9);
    return m;
}

static img make_gif(const char *version, uint32_t w, uint32_t h)
{
    img m = { .n = 0 };
    put(&m, version, 6);
    put16le(&m, w);
    put16le(&m, h);
    put(&m, "\x80\x00\x00", 3); /* a 2-colour global table follows */
    m.need = m.n;
    put(&m, "\0\0\0\xff\xff\xff", 6);
    put(&m, ",\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;", 16);
    return m;
}

/* RIFF header and the first chunk's header; the RIFF size patched at
 * the end by webp_done. */
static void webp_start(img *m, const char *fourcc, uint32_t csize)
{
    put(m, "RIFF\0\0\0\0WEBP", 12);
    put(m, fourcc, 4);
    put32le(m, csize);
}

static void webp_done(img *m)
{
    uint32_t riff = (uint32_t)m->n - 8;
    if (m->n & 1)
        put8(m, 0), riff++;
    m->b[4] = riff & 0xff, m->b[5] = riff >> 8 & 0xff;
    m->b[6] = riff >> 16 & 0xff, m->b[7] = riff >> 24;
}

/* Lossy: a key frame tag (version 0, shown, first partition 0x11 bytes),
 * the start code, 14-bit sizes with a scale of `scale` above them. */
static img make_vp8(uint32_t w, uint32_t h, unsigned scale)
{
    img m = { .n = 0 };
    webp_start(&m, "VP8 ", 18);
    put24le(&m, 0x11u << 5 | 1u << 4);
    put(&m, "\x9d\x01\x2a", 3);
    put16le(&m, w | scale << 14);
    put16le(&m, h | scale << 14);
    m.need = m.n;
    put(&m, "\0\0\0\0\0\0\0\0", 8);
    webp_done(&m);
    return m;
}

static img make_vp8l(uint32_t w, uint32_t h)
{
    img m = { .n = 0 };
    webp_start(&m, "VP8L", 10);
    put8(&m, 0x2f);
    put32le(&m, (w - 1) | (h - 1) << 14 | 1u << 28); /* alpha hint set */
    m.need = m.n;
    put(&m, "\0\0\0\0\0", 5);
    webp_done(&m);
    return m;
}

/* Extended: the canvas, then a VP8L image of another size (the canvas
 * is what is displayed). */
static img make_vp8x(uint32_t w, uint32_t h)
{
    img m = { .n = 0 };
    webp_start(&m, "VP8X", 10);
    put8(&m, 0x10); /* alpha */
    put(&m, "\0\0\0", 3);
    put24le(&m, w - 1);
    put24le(&m, h - 1);
    m.need = m.n;
    put(&m, "VP8L", 4);
    put32le(&m, 5);
    put8(&m, 0x2f);
    put32le(&m, 0);
    webp_done(&m);
    return m;
}

/* ---- reading ------------------------------------------------------------ */

/* The reader on the first k bytes, from an exactly sized copy (ASan
 * catches a read past them). */
static const char *rd(const img *m, size_t k, smo_image_info *info)
{
    unsigned char *c = malloc(k ? k : 1);
    const char *why;
    ck_assert_ptr_nonnull(c);
    memcpy(c, m->b, k);
    why = smo_image_read(c, k, info);
    free(c);
    return why;
}

/* The whole image reads as type w x h; so does every prefix from
 * m->need on; every shorter prefix gives a reason and a zeroed info. */
static void expect(const img *m, smo_image_type t, uint32_t w, uint32_t h)
{
    smo_image_info info;
    const char *why = rd(m, m->n, &info);
    ck_assert_msg(why == NULL, "refused: %s", why);
    ck_assert_int_eq(info.type, t);
    ck_assert_uint_eq(info.width, w);
    ck_assert_uint_eq(info.height, h);
    for (size_t k = 0; k <= m->n; k++) {
        why = rd(m, k, &info);
        if (k < m->need) {
            ck_assert_msg(why != NULL, "prefix %zu of %zu accepted", k,
                          m->n);
            ck_assert_int_eq(info.type, SMO_IMAGE_NONE);
            ck_assert_uint_eq(info.width, 0);
            ck_assert_uint_eq(info.height, 0);
        } else {
            ck_assert_msg(why == NULL, "prefix %zu of %zu: %s", k, m->n, why);
            ck_assert_uint_eq(info.width, w);
            ck_assert_uint_eq(info.height, h);
        }
    }
}

static void expect_why(const img *m, const char *reason)
{
    smo_image_info info;
    const char *why = rd(m, m->n, &info);
    ck_assert_msg(why != NULL, "accepted as %ux%u", info.width, info.height);
    ck_assert_str_eq(why, reason);
    ck_assert_int_eq(info.type, SMO_IMAGE_NONE);
    ck_assert_uint_eq(info.width, 0);
    ck_assert_uint_eq(info.height, 0);
}

/* Every byte changed to 0, 0xff and its top bit flipped: a reason or a
 * sane success, never a crash (the fuzz target does this at length). */
static void mutate(const img *m)
{
    static const int ops[] = { 0, 0xff, -1 };
    img c;
    smo_image_info info;
    for (size_t i = 0; i < m->n; i++)
        for (size_t o = 0; o < 3; o++) {
            c = *m;
            c.b[i] = (unsigned char)(ops[o] < 0 ? c.b[i] ^ 0x80 : ops[o]);
            if (rd(&c, c.n, &info) == NULL) {
                ck_assert_int_ne(info.type, SMO_IMAGE_NONE);
                ck_assert_uint_gt(info.width, 0);
                ck_assert_uint_gt(info.height, 0);
            }
        }
}

/* ---- PNG ---------------------------------------------------------------- */

static const uint32_t png_sizes[][2] = {
    { 1200, 630 }, { 1, 1 }, { 65535, 65535 }, { 0x7fffffff, 0x7fffffff },
    { 200, 0x10000 },
};

START_TEST(png_sizes_table)
{
    img m = make_png(png_sizes[_i][0], png_sizes[_i][1]);
    expect(&m, SMO_IMAGE_PNG, png_sizes[_i][0], png_sizes[_i][1]);
}
END_TEST

START_TEST(png_crc_not_checked)
{
    /* The reader wants the header, not the image: a bad IHDR CRC is
     * read as is (a decoder will refuse the file, not this reader). */
    img m = make_png(1200, 630);
    m.b[29] ^= 0xff;
    expect(&m, SMO_IMAGE_PNG, 1200, 630);
}
END_TEST

START_TEST(png_corrupt)
{
    img m;
    m = make_png(1200, 630), m.b[11] = 12;         /* IHDR length 12 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[11] = 14;         /* IHDR length 14 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[8] = 1;           /* length 2^24 + 13 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), memcpy(m.b + 12, "tEXt", 4); /* not first */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), memcpy(m.b + 12, "ihdr", 4);
    expect_why(&m, "corrupt PNG header");
    m = make_png(0x80000000u, 630);                /* past 2^31-1 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 0xffffffffu);
    expect_why(&m, "corrupt PNG header");
    m = make_png(0, 630);
    expect_why(&m, "zero width or height");
    m = make_png(1200, 0);
    expect_why(&m, "zero width or height");
    m = make_png(1200, 630), m.b[24] = 7;          /* bit depth 7 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[24] = 4;          /* RGBA at 4 bits */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[25] = 5;          /* colour type 5 */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[26] = 1;          /* compression */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[27] = 1;          /* filter */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[28] = 2;          /* interlace */
    expect_why(&m, "corrupt PNG header");
    m = make_png(1200, 630), m.b[28] = 1;          /* Adam7 is fine */
    expect(&m, SMO_IMAGE_PNG, 1200, 630);
    m = make_png(1200, 630), m.b[24] = 16, m.b[25] = 0;
    expect(&m, SMO_IMAGE_PNG, 1200, 630);
    m = make_png(1200, 630), m.b[24] = 1, m.b[25] = 3;
    expect(&m, SMO_IMAGE_PNG, 1200, 630);
    m = make_png(1200, 630), m.b[4] = '\n';        /* signature */
    expect_why(&m, "not a PNG, JPEG, GIF or WebP image");
    m = make_png(1200, 630);
    mutate(&m);
}
END_TEST

/* ---- JPEG --------------------------------------------------------------- */

/* Every frame header that gives the size: baseline, extended,
 * progressive, lossless, their differential and arithmetic forms. */
static const unsigned sof_markers[] = { 0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6,
                                        0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce,
                                        0xcf };

START_TEST(jpeg_every_sof)
{
    img m = make_jpeg(sof_markers[_i], 1200, 630, 0, 0);
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
}
END_TEST

START_TEST(jpeg_sizes)
{
    img m;
    m = make_jpeg(0xc0, 1, 1, 0, 0);
    expect(&m, SMO_IMAGE_JPEG, 1, 1);
    m = make_jpeg(0xc2, 65535, 65535, 0, 0);
    expect(&m, SMO_IMAGE_JPEG, 65535, 65535);
    m = make_jpeg(0xc0, 0, 630, 0, 0);
    expect_why(&m, "zero width or height");
    m = make_jpeg(0xc0, 1200, 0, 0, 0);       /* the height comes in DNL */
    expect_why(&m, "height 0 in the JPEG frame header (set later by DNL)");
}
END_TEST

/* Orientation in both byte orders: 5-8 are turned a quarter, so the
 * displayed width is the stored height. */
static const struct {
    int order;
    unsigned orientation;
    int swapped;
} exif_cases[] = {
    { 'I', 1, 0 }, { 'M', 1, 0 }, { 'I', 6, 1 }, { 'M', 6, 1 },
    { 'I', 8, 1 }, { 'M', 8, 1 }, { 'I', 3, 0 }, { 'M', 5, 1 },
    { 'I', 7, 1 }, { 'M', 2, 0 }, { 'I', 4, 0 }, { 'M', 0, 0 },
    { 'I', 9, 0 }, { 'M', 0x0600, 0 }, /* 6 in the other byte order */
};

START_TEST(jpeg_exif_orientation)
{
    img m = make_jpeg(0xc0, 1200, 630, exif_cases[_i].order,
                      exif_cases[_i].orientation);
    if (exif_cases[_i].swapped)
        expect(&m, SMO_IMAGE_JPEG, 630, 1200);
    else
        expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    mutate(&m);
}
END_TEST

/* Where the segments are in make_jpeg's output. */
#define J_APP0 2
#define J_APP1 (J_APP0 + 18)
#define J_TIFF (J_APP1 + 4 + 6)

START_TEST(jpeg_exif_bounds)
{
    /* A malformed EXIF block is ignored, as browsers do (they show the
     * image unrotated): the stored size, never a read outside it. */
    img m;
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    ck_assert_int_eq(m.b[J_APP1 + 1], 0xe1);
    ck_assert_int_eq(memcmp(m.b + J_TIFF, "II*", 3), 0);

    m.b[J_TIFF + 4] = 0xff;                   /* IFD0 offset far out */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 4] = 0xfe, m.b[J_TIFF + 5] = 0xff;
    m.b[J_TIFF + 6] = 0xff, m.b[J_TIFF + 7] = 0xff; /* 2^32 - 2 */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 4] = 44;                     /* exactly at the end */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 4] = 4;                      /* inside the header */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 8] = 0xff, m.b[J_TIFF + 9] = 0xff; /* 65535 entries */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 8] = 3;                      /* one entry too many */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 10 + 12 + 2] = 4;            /* Orientation as LONG */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 10 + 12 + 4] = 2;            /* two values */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_TIFF + 1] = 'M';                    /* "IM": no byte order */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_APP1 + 7] = 'x';                    /* "Exix": not EXIF */
    expect(&m, SMO_IMAGE_JPEG, 1200, 630);
    m = make_jpeg(0xc0, 1200, 630, 'I', 6);
    m.b[J_APP1 + 3] = 2 + 6 + 8;              /* APP1 cut to the header: */
    /* the rest of the block then reads as markers, which it is not */
    expect_why(&m, "corrupt JPEG: no marker where one is due");
}
END_TEST

START_TEST(jpeg_markers)
{
    img m = { .n = 0 };
    smo_image_info info;

    /* Fill bytes before markers, RST and TEM standalone, COM and DRI
     * skipped, DHT/JPG/DAC (C4, C8, CC) are not frame headers. */
    put16be(&m, 0xffd8);
    put(&m, "\xff\xff\xff", 3);
    jpeg_segment(&m, 0xfe, "made by hand", 12);
    put(&m, "\xff\xd0\xff\xd7\xff\x01", 6);
    jpeg_segment(&m, 0xdd, "\0\x10", 2);
    jpeg_segment(&m, 0xc4, "\x08\x00\x10\x00\x20\x03", 6);
    jpeg_segment(&m, 0xc8, "\x08\x00\x10\x00\x20\x03", 6);
    jpeg_segment(&m, 0xcc, "\x00\x10", 2);
    jpeg_segment(&m, 0xef, "", 0);            /* APP15, empty */
    put(&m, "\xff\xff", 2);
    jpeg_sof(&m, 0xc1, 320, 240);
    m.need = m.n;
    expect(&m, SMO_IMAGE_JPEG, 320, 240);

    /* A frame header with its components cut or in excess. */
    m.n = 0;
    put16be(&m, 0xffd8);
    put16be(&m, 0xffc0), put16be(&m, 8), put8(&m, 8);
    put16be(&m, 240), put16be(&m, 320), put8(&m, 0);
    expect_why(&m, "corrupt JPEG frame header");
    m.n = 0;
    put16be(&m, 0xffd8);
    put16be(&m, 0xffc0), put16be(&m, 7), put8(&m, 8);
    put16be(&m, 240), put16be(&m, 320);
    expect_why(&m, "corrupt JPEG frame header");
    m.n = 0;
    put16be(&m, 0xffd8);
    put16be(&m, 0xffc0), put16be(&m, 8 + 3 * 3 + 1), put8(&m, 8);
    put16be(&m, 240), put16be(&m, 320), put8(&m, 3);
    put(&m, "\x01\x22\x00\x02\x11\x01\x03\x11\x01\x00", 10);
    expect_why(&m, "corrupt JPEG frame header");

    /* Image data, end of image, a second SOI or a stray 00 before any
     * frame header. */
    m.n = 0, put16be(&m, 0xffd8);
    jpeg_segment(&m, 0xda, "\x01\x01\x00\x00\x3f\x00", 6);
    expect_why(&m, "corrupt JPEG: no frame header before the image data");
    m.n = 0, put16be(&m, 0xffd8), put16be(&m, 0xffd9);
    expect_why(&m, "corrupt JPEG: no frame header before the image data");
    m.n = 0, put16be(&m, 0xffd8), put16be(&m, 0xffd8);
    expect_why(&m, "corrupt JPEG: unexpected marker");
    m.n = 0, put16be(&m, 0xffd8), put16be(&m, 0xff00);
    expect_why(&m, "corrupt JPEG: unexpected marker");
    m.n = 0, put16be(&m, 0xffd8), put(&m, "\xff\xe0\x00\x02\x12", 5);
    expect_why(&m, "corrupt JPEG: no marker where one is due");

    /* Segment lengths 0 and 1 would walk backwards or stand still. */
    m.n = 0, put16be(&m, 0xffd8), put(&m, "\xff\xe0\x00\x00", 4);
    expect_why(&m, "corrupt JPEG: bad segment length");
    m.n = 0, put16be(&m, 0xffd8), put(&m, "\xff\xe0\x00\x01\xff\xe0", 6);
    expect_why(&m, "corrupt JPEG: bad segment length");

    /* A segment running past the bytes given. */
    m = make_jpeg(0xc0, 1200, 630, 0, 0);
    m.b[J_APP0 + 2] = 0xff, m.b[J_APP0 + 3] = 0xff;
    expect_why(&m, "truncated header");

    /* Nothing but standalone markers and fill bytes: the walk ends. */
    m.n = 0, put16be(&m, 0xffd8);
    while (m.n + 2 <= sizeof m.b)
        put(&m, m.n % 6 ? "\xff\xd3" : "\xff\xff", 2);
    expect_why(&m, "truncated header");
    ck_assert_ptr_nonnull(smo_image_read(m.b, m.n, &info));

    m = make_jpeg(0xc0, 1200, 630, 0, 0);
    mutate(&m);
}
END_TEST

START_TEST(jpeg_head_max)
{
    /* APP segments filling all the reader may look at: the caller read
     * SMO_IMAGE_HEAD_MAX bytes of a larger file, so the reason says so;
     * the frame header just inside the limit is still found. */
    size_t n = SMO_IMAGE_HEAD_MAX, p = 2;
    unsigned char *b = malloc(n);
    smo_image_info info;
    const char *why;
    ck_assert_ptr_nonnull(b);
    b[0] = 0xff, b[1] = 0xd8;
    while (p < n - 19) {
        size_t rest = n - 19 - p; /* what is left for APP segments */
        size_t seg = rest - 2 > 0xffff ? 0x8000 : rest - 2;
        b[p] = 0xff, b[p + 1] = 0xe2;
        b[p + 2] = (unsigned char)(seg >> 8), b[p + 3] = seg & 0xff;
        memset(b + p + 4, 'x', seg - 2);
        p += 2 + seg;
    }
    memcpy(b + p, "\xff\xc0\x00\x11\x08\x02\x76\x04\xb0\x03"
                  "\x01\x22\x00\x02\x11\x01\x03\x11\x01", 19);
    ck_assert_uint_eq(p + 19, n);
    why = smo_image_read(b, n, &info);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_uint_eq(info.width, 1200);
    ck_assert_uint_eq(info.height, 630);
    why = smo_image_read(b, n - 1, &info);
    ck_assert_str_eq(why, "truncated header");
    b[p + 1] = 0xe3; /* the frame header is one more APP segment */
    ck_assert_str_eq(smo_image_read(b, n, &info),
                     "no frame header in the first 256 KiB");
    b[p + 1] = 0xc0;
    b[p + 3] = 0x12; /* now it runs one byte past the limit */
    ck_assert_str_eq(smo_image_read(b, n, &info),
                     "no frame header in the first 256 KiB");
    free(b);
}
END_TEST

/* ---- GIF ---------------------------------------------------------------- */

START_TEST(gif_versions)
{
    img m;
    m = make_gif("GIF87a", 1200, 630);
    expect(&m, SMO_IMAGE_GIF, 1200, 630);
    m = make_gif("GIF89a", 1, 1);
    expect(&m, SMO_IMAGE_GIF, 1, 1);
    m = make_gif("GIF89a", 65535, 65535);
    expect(&m, SMO_IMAGE_GIF, 65535, 65535);
    m = make_gif("GIF89a", 0, 1);
    expect_why(&m, "zero width or height");
    m = make_gif("GIF87a", 1, 0);
    expect_why(&m, "zero width or height");
    m = make_gif("GIF88a", 1200, 630);
    expect_why(&m, "not a PNG, JPEG, GIF or WebP image");
    m = make_gif("GIF89b", 1200, 630);
    expect_why(&m, "not a PNG, JPEG, GIF or WebP image");
    m = make_gif("GIF89a", 1200, 630);
    mutate(&m);
}
END_TEST

/* ---- WebP --------------------------------------------------------------- */

START_TEST(webp_lossy)
{
    img m;
    m = make_vp8(1200, 630, 0);
    expect(&m, SMO_IMAGE_WEBP, 1200, 630);
    m = make_vp8(1, 1, 0);
    expect(&m, SMO_IMAGE_WEBP, 1, 1);
    m = make_vp8(16383, 16383, 3);            /* the scale is not size */
    expect(&m, SMO_IMAGE_WEBP, 16383, 16383);
    m = make_vp8(0, 630, 1);
    expect_why(&m, "zero width or height");
    m = make_vp8(1200, 630, 0), m.b[20] |= 1; /* an interframe */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), m.b[20] &= ~0x10; /* not shown */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), m.b[20] |= 0x08; /* version 4 */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), m.b[24] = 0x2b; /* start code */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), m.b[16] = 9;  /* chunk too small */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), m.b[16] = 0xff, m.b[17] = 0xff;
    expect_why(&m, "corrupt WebP header");    /* chunk past the RIFF */
    m = make_vp8(1200, 630, 0), m.b[4] = 11, m.b[5] = 0;
    expect_why(&m, "corrupt WebP header");    /* RIFF too small */
    m = make_vp8(1200, 630, 0), memcpy(m.b + 12, "ALPH", 4);
    expect_why(&m, "corrupt WebP header");
    m = make_vp8(1200, 630, 0), memcpy(m.b + 8, "WEBQ", 4);
    expect_why(&m, "not a PNG, JPEG, GIF or WebP image");
    m = make_vp8(1200, 630, 0);
    mutate(&m);
}
END_TEST

START_TEST(webp_lossless)
{
    img m;
    m = make_vp8l(1200, 630);
    expect(&m, SMO_IMAGE_WEBP, 1200, 630);
    m = make_vp8l(1, 1);
    expect(&m, SMO_IMAGE_WEBP, 1, 1);
    m = make_vp8l(16383, 16383);
    expect(&m, SMO_IMAGE_WEBP, 16383, 16383);
    m = make_vp8l(16384, 16384);              /* 14 bits of size - 1 */
    expect(&m, SMO_IMAGE_WEBP, 16384, 16384);
    m = make_vp8l(1200, 630), m.b[20] = 0x2e; /* signature */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8l(1200, 630), m.b[24] |= 0x20; /* version 1 */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8l(1200, 630), m.b[16] = 4;
    expect_why(&m, "corrupt WebP header");
    m = make_vp8l(1200, 630);
    mutate(&m);
}
END_TEST

START_TEST(webp_extended)
{
    img m;
    m = make_vp8x(1200, 630);
    expect(&m, SMO_IMAGE_WEBP, 1200, 630);
    m = make_vp8x(1, 1);
    expect(&m, SMO_IMAGE_WEBP, 1, 1);
    m = make_vp8x(65535, 65535);
    expect(&m, SMO_IMAGE_WEBP, 65535, 65535);
    m = make_vp8x(16777216, 255);             /* 2^24 wide: the max */
    expect(&m, SMO_IMAGE_WEBP, 16777216, 255);
    m = make_vp8x(16777216, 256);             /* the product past 2^32-1 */
    expect_why(&m, "corrupt WebP header");
    m = make_vp8x(16777216, 16777216);
    expect_why(&m, "corrupt WebP header");
    m = make_vp8x(1200, 630), m.b[16] = 9;
    expect_why(&m, "corrupt WebP header");
    m = make_vp8x(1200, 630);
    mutate(&m);
}
END_TEST

/* ---- the rest ----------------------------------------------------------- */

START_TEST(not_images)
{
#define HEAD(s, why) { s, sizeof s - 1, why }
    static const char NOT[] = "not a PNG, JPEG, GIF or WebP image";
    static const struct {
        const char *s;
        size_t n;
        const char *why;
    } heads[] = {
        HEAD("BM\x36\0\0\0", NOT),                /* BMP */
        HEAD("<svg xmlns=", NOT),
        HEAD("II*\0\x08\0\0\0", NOT),             /* TIFF */
        HEAD("\0\0\0\x0cjP  \r\n\x87\n", NOT),   /* JPEG 2000 */
        HEAD("\0\0\0\x1c" "ftypavif", NOT),        /* AVIF */
        HEAD("\xff\xd9", NOT),
        HEAD("\xff\xd8\x00", NOT),
        HEAD("RIFF\x24\0\0\0WAVEfmt ", NOT),
        HEAD("GIF", "truncated header"),
        HEAD("\x89PNG\r\n\x1a", "truncated header"),
        HEAD("RIFF\0\0\0\0WEB", "truncated header"),
        HEAD("\xff\xd8", "truncated header"),
    };
#undef HEAD
    smo_image_info info;
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        img m = { .n = 0 };
        put(&m, heads[i].s, heads[i].n);
        expect_why(&m, heads[i].why);
    }
    ck_assert_str_eq(smo_image_read((const unsigned char *)"", 0, &info),
                     "empty file");
}
END_TEST

/* ---- real files --------------------------------------------------------- */

/* tests/data/images/ (see its SOURCE): files other programs wrote, read
 * as the glue will, min(size, SMO_IMAGE_HEAD_MAX) bytes. */
static const struct {
    const char *name;
    smo_image_type type;
    uint32_t w, h;
} real_files[] = {
    { "python.png", SMO_IMAGE_PNG, 16, 16 },
    { "python.jpg", SMO_IMAGE_JPEG, 16, 16 },
    { "python.gif", SMO_IMAGE_GIF, 16, 16 },
    { "python.webp", SMO_IMAGE_WEBP, 16, 16 },
};

START_TEST(real_file)
{
    char path[1024];
    static unsigned char b[SMO_IMAGE_HEAD_MAX];
    img m = { .n = 0 };
    size_t n;
    FILE *f;
    const char *why;
    smo_image_info info;

    snprintf(path, sizeof path, "%s/%s", SMO_IMAGE_DIR, real_files[_i].name);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    n = fread(b, 1, sizeof b, f);
    fclose(f);
    why = smo_image_read(b, n, &info);
    ck_assert_msg(why == NULL, "%s: %s", path, why);
    ck_assert_int_eq(info.type, real_files[_i].type);
    ck_assert_uint_eq(info.width, real_files[_i].w);
    ck_assert_uint_eq(info.height, real_files[_i].h);
    if (n <= sizeof m.b) { /* and every prefix */
        memcpy(m.b, b, n);
        m.n = n;
        for (m.need = 0; m.need < n; m.need++)
            if (!smo_image_read(b, m.need, &info))
                break;
        expect(&m, real_files[_i].type, real_files[_i].w, real_files[_i].h);
        mutate(&m);
    }
}
END_TEST

START_TEST(mime_types)
{
    ck_assert_str_eq(smo_image_mime(SMO_IMAGE_PNG), "image/png");
    ck_assert_str_eq(smo_image_mime(SMO_IMAGE_JPEG), "image/jpeg");
    ck_assert_str_eq(smo_image_mime(SMO_IMAGE_GIF), "image/gif");
    ck_assert_str_eq(smo_image_mime(SMO_IMAGE_WEBP), "image/webp");
    ck_assert_ptr_null(smo_image_mime(SMO_IMAGE_NONE));
    ck_assert_ptr_null(smo_image_mime((smo_image_type)99));
}
END_TEST

static Suite *image_suite(void)
{
    Suite *s = suite_create("image");
    TCase *tc;

    tc = tcase_create("png");
    tcase_add_loop_test(tc, png_sizes_table, 0,
                        (int)(sizeof png_sizes / sizeof png_sizes[0]));
    tcase_add_test(tc, png_crc_not_checked);
    tcase_add_test(tc, png_corrupt);
    suite_add_tcase(s, tc);

    tc = tcase_create("jpeg");
    tcase_add_loop_test(tc, jpeg_every_sof, 0,
                        (int)(sizeof sof_markers / sizeof sof_markers[0]));
    tcase_add_test(tc, jpeg_sizes);
    tcase_add_loop_test(tc, jpeg_exif_orientation, 0,
                        (int)(sizeof exif_cases / sizeof exif_cases[0]));
    tcase_add_test(tc, jpeg_exif_bounds);
    tcase_add_test(tc, jpeg_markers);
    tcase_add_test(tc, jpeg_head_max);
    suite_add_tcase(s, tc);

    tc = tcase_create("gif");
    tcase_add_test(tc, gif_versions);
    suite_add_tcase(s, tc);

    tc = tcase_create("webp");
    tcase_add_test(tc, webp_lossy);
    tcase_add_test(tc, webp_lossless);
    tcase_add_test(tc, webp_extended);
    suite_add_tcase(s, tc);

    tc = tcase_create("other");
    tcase_add_test(tc, not_images);
    tcase_add_test(tc, mime_types);
    tcase_add_loop_test(tc, real_file, 0,
                        (int)(sizeof real_files / sizeof real_files[0]));
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { image_suite, 0, NULL };
