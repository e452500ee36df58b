/* fuzz_image.c — libFuzzer harness for the image header reader
 * (lib/image.c, SPEC section 8): any bytes give a reason or a sane size,
 * never a read past them (ASan) nor an undefined shift (UBSan).
 *
 * Input: the first bytes of a file, as the glue would read them.
 * Checked inside the harness (abort on violation):
 *   - a success has a type, a MIME type, width and height of at least 1,
 *     and the signature of that type at the start of the input;
 *   - the sizes are within what each format can declare: PNG 2^31-1,
 *     JPEG and GIF 65535, WebP 2^24 with the product at most 2^32-1;
 *   - a refusal has a non-empty reason and leaves *info all zero;
 *   - the same bytes read again give the same answer (no state).
 * (A success on a prefix need not hold on a longer one, nor the other
 * way: that is not checked.)
 *
 * Build and run: scripts/fuzz.sh fuzz_image (or `make fuzz`). */
#include "smo_image.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_success(const uint8_t *d, size_t n,
                          const smo_image_info *in)
{
    uint32_t max = 0;
    FUZZ_CHECK(in->type != SMO_IMAGE_NONE, "success without a type");
    FUZZ_CHECK(smo_image_mime(in->type) != NULL, "no MIME type for %d",
               (int)in->type);
    FUZZ_CHECK(in->width > 0 && in->height > 0, "success with %ux%u",
               in->width, in->height);
    switch (in->type) {
    case SMO_IMAGE_PNG:
        FUZZ_CHECK(n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8),
                   "PNG without the signature");
        max = 0x7fffffffu;
        break;
    case SMO_IMAGE_JPEG:
        FUZZ_CHECK(n >= 3 && !memcmp(d, "\xff\xd8\xff", 3),
                   "JPEG without SOI");
        max = 0xffff;
        break;
    case SMO_IMAGE_GIF:
        FUZZ_CHECK(n >= 6 && (!memcmp(d, "GIF87a", 6) ||
                              !memcmp(d, "GIF89a", 6)),
                   "GIF without the signature");
        max = 0xffff;
        break;
    case SMO_IMAGE_WEBP:
        FUZZ_CHECK(n >= 12 && !memcmp(d, "RIFF", 4) &&
                       !memcmp(d + 8, "WEBP", 4),
                   "WebP without the RIFF header");
        max = 1u << 24;
        FUZZ_CHECK((uint64_t)in->width * in->height <= 0xffffffffu,
                   "WebP canvas %ux%u past 2^32-1", in->width, in->height);
        break;
    case SMO_IMAGE_NONE:
        break;
    }
    FUZZ_CHECK(in->width <= max && in->height <= max,
               "%ux%u past the format's limit %u", in->width, in->height,
               max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smo_image_info info, again;
    const char *why, *why2;

    /* The glue never hands over more than SMO_IMAGE_HEAD_MAX bytes. */
    if (size > SMO_IMAGE_HEAD_MAX)
        size = SMO_IMAGE_HEAD_MAX;
    memset(&info, 0xa5, sizeof info);
    why = smo_image_read(data, size, &info);
    if (why) {
        FUZZ_CHECK(*why, "empty reason");
        FUZZ_CHECK(info.type == SMO_IMAGE_NONE && info.width == 0 &&
                       info.height == 0,
                   "refused (%s) but info holds %d %ux%u", why,
                   (int)info.type, info.width, info.height);
    } else
        check_success(data, size, &info);

    memset(&again, 0x5a, sizeof again);
    why2 = smo_image_read(data, size, &again);
    FUZZ_CHECK((why == NULL) == (why2 == NULL) &&
                   (!why || !strcmp(why, why2)) &&
                   again.type == info.type && again.width == info.width &&
                   again.height == info.height,
               "a second read differs");
    return 0;
}
