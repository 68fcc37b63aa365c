// PNG and JPEG decoding into 8-bit RGB, over Debian's libpng and libjpeg-turbo.
// Both libraries report errors with longjmp; these wrappers keep every setjmp/longjmp inside C
// so that Swift only sees a status code and a message.
#ifndef VLM_IMAGE_CODECS_H
#define VLM_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    /// width * height * 3 bytes, RGB interleaved, rows top to bottom; malloc'd, free with vlm_image_free.
    uint8_t *pixels;
    /// width * height alpha bytes when the file has an alpha channel (RGBA, gray+alpha, a palette
    /// with tRNS), else NULL; malloc'd, freed by vlm_image_free.
    uint8_t *alpha;
    uint32_t width;
    uint32_t height;
    /// A PNG tRNS colour that Pillow carries as info["transparency"] after convert("RGB"):
    /// has_transparent_color = 1 and the sample values (not reduced to 8 bits) in transparent_color.
    int32_t has_transparent_color;
    int32_t transparent_color[3];
    /// What the file stores, for messages ("RGB", "L", "P", "RGBA", "CMYK", ...).
    char source_mode[8];
    /// Set when a call returns non-zero.
    char message[256];
} vlm_image;

enum {
    VLM_IMAGE_OK = 0,
    VLM_IMAGE_CORRUPT = 1,     // the library rejected the data
    VLM_IMAGE_TOO_LARGE = 2,   // width * height above max_pixels (checked before any pixel buffer)
    VLM_IMAGE_NO_MEMORY = 3,
    VLM_IMAGE_TRUNCATED = 4,   // the data ends before the image does
    VLM_IMAGE_UNSUPPORTED = 5,
};

int vlm_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, vlm_image *out);
int vlm_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, vlm_image *out);
void vlm_image_free(vlm_image *image);

#endif
