/* smo_image.h — the type and displayed size of an image, read from the
 * first bytes of its file (SPEC section 8: og:image:width, og:image:height
 * and og:image:type).  PNG, JPEG, GIF and WebP; nothing is decoded. */
#ifndef SMO_IMAGE_H
#define SMO_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SMO_IMAGE_NONE = 0,
    SMO_IMAGE_PNG,
    SMO_IMAGE_JPEG,
    SMO_IMAGE_GIF,
    SMO_IMAGE_WEBP
} smo_image_type;

typedef struct {
    smo_image_type type;
    uint32_t width, height;
} smo_image_info;

/* How many leading bytes of a file the reader may need (JPEG SOF can
 * follow large APP segments). */
#define SMO_IMAGE_HEAD_MAX (256 * 1024)

/* Read the image's header from the first `len` bytes of the file (len <=
 * the file's size; the caller reads min(size, SMO_IMAGE_HEAD_MAX)).  NULL
 * on success with *info filled (width and height as displayed: a JPEG
 * whose EXIF Orientation is 5-8 has them swapped; both are at least 1);
 * else a short reason, e.g. "not a PNG, JPEG, GIF or WebP image",
 * "truncated header", "corrupt PNG header", "zero width or height", "no
 * frame header in the first 256 KiB", and *info is all zero.  Never reads
 * past len; no allocation; thread-safe (no state).  Checksums (PNG CRC)
 * are not verified: the header is read, not the image. */
const char *smo_image_read(const unsigned char *buf, size_t len,
                           smo_image_info *info);

/* "image/png", "image/jpeg", "image/gif", "image/webp"; NULL for NONE. */
const char *smo_image_mime(smo_image_type t);

#endif
