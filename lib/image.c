/* image.c — image type and displayed size from the file's first bytes
 * (smo_image.h, SPEC section 8).
 *
 * Why a reader of our own: issue 16 asked to weigh the libraries that do
 * this.  stb_image's stbi_info_from_memory reads no EXIF orientation (a
 * portrait photo would be declared landscape) and is a large header
 * library of decoders we would compile in to use a few hundred bytes of
 * it; gdk-pixbuf's file-info call drags GLib and its loader modules
 * (each a plugin, some with their own threads and caches) into every
 * httpd process; libwebp's WebPGetInfo covers WebP only.  What the
 * crawlers need is four fixed headers and one JPEG marker walk, so this
 * is a small strict reader: every offset is bounded by `len`, nothing is
 * allocated, there is no state, and anything unexpected is a reason, not
 * a guess.  tests/fuzz/fuzz_image.c runs it on arbitrary bytes.
 *
 * The formats, as their specifications say:
 *   PNG   (ISO/IEC 15948, 5.2 and 11.2.2) the signature, then IHDR as the
 *         first chunk, length 13; width and height 1..2^31-1.
 *   JPEG  (ITU-T T.81, B.1 and B.2) SOI, then marker segments skipped by
 *         their lengths until a start-of-frame; EXIF (CIPA DC-008, 4.5
 *         and 4.6) in APP1 for the Orientation tag of IFD0.
 *   GIF   (GIF89a specification, 17-18) the logical screen descriptor.
 *   WebP  (RFC 9649) RIFF, then the first chunk: VP8 (RFC 6386, 9.1),
 *         VP8L or VP8X.
 */
#include "smo_image.h"

#include <string.h>

static const char NOT_IMAGE[] = "not a PNG, JPEG, GIF or WebP image";
static const char TRUNCATED[] = "truncated header";
static const char ZERO_SIZE[] = "zero width or height";

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | le24(p);
}

static const char *sized(smo_image_info *info, smo_image_type t, uint32_t w,
                         uint32_t h)
{
    if (w == 0 || h == 0)
        return ZERO_SIZE;
    info->type = t;
    info->width = w;
    info->height = h;
    return NULL;
}

/* ---- PNG ---------------------------------------------------------------- */

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G',
                                          '\r', '\n', 0x1a, '\n' };

/* The allowed bit depths of each colour type (PNG 11.2.2, table 11.1), as
 * a bit set over the depth. */
static int png_depth_ok(unsigned type, unsigned depth)
{
    unsigned ok;
    switch (type) {
    case 0: ok = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8 | 1u << 16; break;
    case 3: ok = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8; break;
    case 2: case 4: case 6: ok = 1u << 8 | 1u << 16; break;
    default: return 0;
    }
    return depth <= 16 && (ok >> depth & 1);
}

static const char *read_png(const unsigned char *b, size_t len,
                            smo_image_info *info)
{
    /* signature 8, chunk length 4, type 4, IHDR data 13 (the CRC after
     * it is not checked: a header reader has no use for it). */
    uint32_t w, h;
    if (len < 8 + 8 + 13)
        return TRUNCATED;
    if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0)
        return "corrupt PNG header";
    w = be32(b + 16);
    h = be32(b + 20);
    if (w > 0x7fffffffu || h > 0x7fffffffu)
        return "corrupt PNG header";
    if (!png_depth_ok(b[25], b[24]) || b[26] != 0 || b[27] != 0 || b[28] > 1)
        return "corrupt PNG header";
    return sized(info, SMO_IMAGE_PNG, w, h);
}

/* ---- JPEG --------------------------------------------------------------- */

/* The start-of-frame markers: C0-CF but DHT (C4), JPG (C8), DAC (CC). */
static int jpeg_is_sof(unsigned m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* The Orientation (1-8) of an APP1 segment's data `d` (n bytes), 0 if it
 * is not EXIF or has none.  A malformed EXIF block is ignored, as the
 * browsers do: they show such an image unrotated. */
static unsigned exif_orientation(const unsigned char *d, size_t n)
{
    const unsigned char *t;
    size_t tn, ifd, count, i;
    int le;
    uint32_t (*u16)(const unsigned char *);
    uint32_t (*u32)(const unsigned char *);

    if (n < 6 || memcmp(d, "Exif\0\0", 6) != 0)
        return 0;
    t = d + 6; /* the TIFF header: every offset counts from here */
    tn = n - 6;
    if (tn < 8)
        return 0;
    if (!memcmp(t, "II\x2a\0", 4))
        le = 1;
    else if (!memcmp(t, "MM\0\x2a", 4))
        le = 0;
    else
        return 0;
    u16 = le ? le16 : be16;
    u32 = le ? le32 : be32;
    ifd = u32(t + 4);
    if (ifd < 8 || ifd > tn || tn - ifd < 2)
        return 0;
    count = u16(t + ifd);
    if ((tn - ifd - 2) / 12 < count)
        return 0;
    for (i = 0; i < count; i++) {
        const unsigned char *e = t + ifd + 2 + 12 * i;
        unsigned v;
        if (u16(e) != 0x0112)
            continue;
        /* SHORT, one value, held in the first two bytes of the field. */
        if (u16(e + 2) != 3 || u32(e + 4) != 1)
            return 0;
        v = u16(e + 8);
        return v >= 1 && v <= 8 ? v : 0;
    }
    return 0;
}

static const char *read_jpeg(const unsigned char *b, size_t len,
                             smo_image_info *info)
{
    size_t p = 2; /* past SOI */
    unsigned orientation = 0;

    for (;;) {
        unsigned m;
        size_t seglen;

        /* A marker: 0xFF, any number of 0xFF fill bytes, the code. */
        if (p >= len)
            break;
        if (b[p] != 0xff)
            return "corrupt JPEG: no marker where one is due";
        while (p < len && b[p] == 0xff)
            p++;
        if (p >= len)
            break;
        m = b[p++];
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
            continue; /* TEM, RSTn: standalone, no length */
        if (m == 0x00 || m == 0xd8)
            return "corrupt JPEG: unexpected marker";
        if (m == 0xd9 || m == 0xda)
            return "corrupt JPEG: no frame header before the image data";

        if (len - p < 2)
            break;
        seglen = be16(b + p);
        if (seglen < 2)
            return "corrupt JPEG: bad segment length";
        if (len - p < seglen)
            break; /* the segment runs past what we have */

        if (m == 0xe1 && !orientation)
            orientation = exif_orientation(b + p + 2, seglen - 2);
        if (jpeg_is_sof(m)) {
            const unsigned char *f = b + p + 2;
            uint32_t h, w, nf;
            /* P, Y, X, Nf, then three bytes per component (T.81 B.2.2) */
            if (seglen < 8)
                return "corrupt JPEG frame header";
            h = be16(f + 1);
            w = be16(f + 3);
            nf = f[5];
            if (nf == 0 || seglen != 8 + 3 * nf)
                return "corrupt JPEG frame header";
            if (h == 0 && w != 0)
                return "height 0 in the JPEG frame header (set later by DNL)";
            if (orientation >= 5)
                return sized(info, SMO_IMAGE_JPEG, h, w);
            return sized(info, SMO_IMAGE_JPEG, w, h);
        }
        p += seglen;
    }
    /* Out of bytes before a frame header: the file is shorter than
     * promised, or its APP segments fill all the reader may look at. */
    if (len >= SMO_IMAGE_HEAD_MAX)
        return "no frame header in the first 256 KiB";
    return TRUNCATED;
}

/* ---- GIF ---------------------------------------------------------------- */

static const char *read_gif(const unsigned char *b, size_t len,
                            smo_image_info *info)
{
    /* signature 6, then the logical screen descriptor, 7 bytes */
    if (len < 13)
        return TRUNCATED;
    return sized(info, SMO_IMAGE_GIF, le16(b + 6), le16(b + 8));
}

/* ---- WebP --------------------------------------------------------------- */

static const char *read_webp(const unsigned char *b, size_t len,
                             smo_image_info *info)
{
    /* "RIFF" size "WEBP", then the first chunk's FourCC and size. */
    uint32_t riff, csize;
    const unsigned char *c = b + 20;
    size_t have;

    if (len < 20)
        return TRUNCATED;
    riff = le32(b + 4);
    csize = le32(b + 16);
    if (riff < 12 || csize > riff - 12)
        return "corrupt WebP header";
    have = len - 20;

    if (!memcmp(b + 12, "VP8 ", 4)) {
        /* Frame tag (3 bytes, a key frame first), start code, then 14-bit
         * width and height each with a 2-bit scale above them (RFC 6386
         * 9.1); the scale is for the decoder's output, not the size. */
        uint32_t tag;
        if (csize < 10)
            return "corrupt WebP header";
        if (have < 10)
            return TRUNCATED;
        tag = le24(c);
        if ((tag & 1) != 0 || (tag >> 1 & 7) > 3 || !(tag >> 4 & 1) ||
            memcmp(c + 3, "\x9d\x01\x2a", 3) != 0)
            return "corrupt WebP header";
        return sized(info, SMO_IMAGE_WEBP, le16(c + 6) & 0x3fff,
                     le16(c + 8) & 0x3fff);
    }
    if (!memcmp(b + 12, "VP8L", 4)) {
        /* Signature 0x2f, then 14 bits width-1, 14 bits height-1, the
         * alpha hint, 3 bits of version 0. */
        uint32_t v;
        if (csize < 5)
            return "corrupt WebP header";
        if (have < 5)
            return TRUNCATED;
        v = le32(c + 1);
        if (c[0] != 0x2f || v >> 29 != 0)
            return "corrupt WebP header";
        return sized(info, SMO_IMAGE_WEBP, (v & 0x3fff) + 1,
                     (v >> 14 & 0x3fff) + 1);
    }
    if (!memcmp(b + 12, "VP8X", 4)) {
        /* Flags, 3 reserved bytes, 24 bits canvas width-1 and height-1;
         * their product at most 2^32-1 (RFC 9649 2.7). */
        uint32_t w, h;
        if (csize < 10)
            return "corrupt WebP header";
        if (have < 10)
            return TRUNCATED;
        w = le24(c + 4) + 1;
        h = le24(c + 7) + 1;
        if ((uint64_t)w * h > 0xffffffffu)
            return "corrupt WebP header";
        return sized(info, SMO_IMAGE_WEBP, w, h);
    }
    return "corrupt WebP header";
}

/* ---- the format ---------------------------------------------------------- */

/* Does buf (len bytes) start with sig (n bytes, '?' matching any byte
 * where wild is set)?  2: all of it; 1: len < n and what is there
 * matches; 0: no. */
static int sig_match(const unsigned char *buf, size_t len, const char *sig,
                     size_t n, int wild)
{
    size_t i;
    for (i = 0; i < n && i < len; i++)
        if (!(wild && sig[i] == '?') && buf[i] != (unsigned char)sig[i])
            return 0;
    return i == n ? 2 : 1;
}

const char *smo_image_read(const unsigned char *buf, size_t len,
                           smo_image_info *info)
{
    static const struct {
        const char *sig;
        size_t n;
        int wild;
        const char *(*read)(const unsigned char *, size_t, smo_image_info *);
    } formats[] = {
        { (const char *)png_sig, 8, 0, read_png },
        { "\xff\xd8\xff", 3, 0, read_jpeg }, /* SOI, then a marker */
        { "GIF87a", 6, 0, read_gif },
        { "GIF89a", 6, 0, read_gif },
        { "RIFF????WEBP", 12, 1, read_webp },
    };
    int prefix = 0;
    const char *why;

    memset(info, 0, sizeof *info);
    if (len == 0)
        return "empty file";
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        int m = sig_match(buf, len, formats[i].sig, formats[i].n,
                          formats[i].wild);
        if (m == 2) {
            why = formats[i].read(buf, len, info);
            if (why)
                memset(info, 0, sizeof *info);
            return why;
        }
        prefix |= m;
    }
    return prefix ? TRUNCATED : NOT_IMAGE;
}

const char *smo_image_mime(smo_image_type t)
{
    switch (t) {
    case SMO_IMAGE_PNG: return "image/png";
    case SMO_IMAGE_JPEG: return "image/jpeg";
    case SMO_IMAGE_GIF: return "image/gif";
    case SMO_IMAGE_WEBP: return "image/webp";
    case SMO_IMAGE_NONE: break;
    }
    return NULL;
}
