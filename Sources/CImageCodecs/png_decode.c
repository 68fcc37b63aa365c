// PNG → 8-bit RGB as Pillow's Image.open(...).convert("RGB") gives it: gray replicated, palette
// looked up, no gamma; the alpha channel (RGBA, gray+alpha, palette tRNS) returned beside it,
// for the layouts whose reference pipeline composites it. 16-bit colour samples keep their high byte;
// 16-bit grayscale is clamped to 255 (Pillow opens it as "I;16" and clips when converting).
#include "image_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int ran_out;
    vlm_image *image;
} png_source;

static void png_read_from_memory(png_structp png, png_bytep dest, png_size_t length) {
    png_source *src = (png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) {
        src->ran_out = 1;
        png_error(png, "the file ends before the image data does");
    }
    memcpy(dest, src->data + src->offset, length);
    src->offset += length;
}

static void png_on_error(png_structp png, png_const_charp message) {
    png_source *src = (png_source *)png_get_error_ptr(png);
    snprintf(src->image->message, sizeof src->image->message, "%s", message);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;  // ancillary-chunk problems; Pillow ignores them too
}

int vlm_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, vlm_image *out) {
    memset(out, 0, sizeof *out);
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(out->message, sizeof out->message, "not a PNG file (bad signature)");
        return VLM_IMAGE_CORRUPT;
    }
    png_source src = {data, size, 0, 0, out};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
    if (!png) return VLM_IMAGE_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return VLM_IMAGE_NO_MEMORY;
    }
    // Volatile: modified between setjmp and a possible longjmp.
    uint8_t *volatile raw = NULL;
    png_bytep *volatile rows = NULL;
    volatile int status = VLM_IMAGE_CORRUPT;
    if (setjmp(png_jmpbuf(png))) {
        free(raw);
        free(rows);
        free(out->pixels);
        out->pixels = NULL;
        free(out->alpha);
        out->alpha = NULL;
        png_destroy_read_struct(&png, &info, NULL);
        return src.ran_out ? VLM_IMAGE_TRUNCATED : status;
    }
    png_set_read_fn(png, &src, png_read_from_memory);
    // Our own pixel limit is checked below; lift libpng's 1e6-per-side default so the message is ours.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    const char *mode = color == PNG_COLOR_TYPE_GRAY ? "L" : color == PNG_COLOR_TYPE_GRAY_ALPHA ? "LA"
                     : color == PNG_COLOR_TYPE_PALETTE ? "P" : color == PNG_COLOR_TYPE_RGB_ALPHA ? "RGBA" : "RGB";
    snprintf(out->source_mode, sizeof out->source_mode, "%s", mode);
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        snprintf(out->message, sizeof out->message, "%u x %u pixels is more than the limit of %llu",
                 (unsigned)width, (unsigned)height, (unsigned long long)max_pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return VLM_IMAGE_TOO_LARGE;
    }
    // Pillow keeps a tRNS colour as info["transparency"]: a palette whose tRNS is all 0xff but one
    // 0 entry, 8-bit gray, or RGB (raw sample values). Palettes with other alpha values are dropped.
    png_bytep trans_alpha = NULL;
    int num_trans = 0;
    png_color_16p trans_color = NULL;
    if (png_get_tRNS(png, info, &trans_alpha, &num_trans, &trans_color)) {
        if (color == PNG_COLOR_TYPE_PALETTE && trans_alpha) {
            int zero = -1, simple = 1;
            for (int i = 0; i < num_trans; i++) {
                if (trans_alpha[i] == 0 && zero < 0) zero = i;
                else if (trans_alpha[i] != 0xff) simple = 0;
            }
            png_colorp palette = NULL;
            int num_palette = 0;
            if (simple && zero >= 0 && png_get_PLTE(png, info, &palette, &num_palette) && zero < num_palette) {
                out->has_transparent_color = 1;
                out->transparent_color[0] = palette[zero].red;
                out->transparent_color[1] = palette[zero].green;
                out->transparent_color[2] = palette[zero].blue;
            }
        } else if (color == PNG_COLOR_TYPE_GRAY && depth == 8 && trans_color) {
            out->has_transparent_color = 1;
            out->transparent_color[0] = out->transparent_color[1] = out->transparent_color[2] = trans_color->gray;
        } else if (color == PNG_COLOR_TYPE_RGB && trans_color) {
            out->has_transparent_color = 1;
            out->transparent_color[0] = trans_color->red;
            out->transparent_color[1] = trans_color->green;
            out->transparent_color[2] = trans_color->blue;
        }
    }
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    int gray16 = depth == 16 && color == PNG_COLOR_TYPE_GRAY;
    if (depth == 16 && !gray16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    size_t sample_bytes = gray16 ? 2 : 1;
    if (channels < 1 || channels > 4 || row_bytes != channels * sample_bytes * (size_t)width) {
        snprintf(out->message, sizeof out->message, "unexpected PNG layout (%zu channels, %zu bytes a row)", channels, row_bytes);
        status = VLM_IMAGE_UNSUPPORTED;
        png_longjmp(png, 1);
    }
    raw = malloc(row_bytes * (size_t)height + 1);
    rows = malloc(sizeof(png_bytep) * (size_t)height + 1);
    out->pixels = malloc((size_t)width * (size_t)height * 3 + 1);
    int has_alpha = !gray16 && (channels == 2 || channels == 4);
    if (has_alpha) out->alpha = malloc((size_t)width * (size_t)height + 1);
    if (!raw || !rows || !out->pixels || (has_alpha && !out->alpha)) {
        snprintf(out->message, sizeof out->message, "out of memory for %u x %u pixels", (unsigned)width, (unsigned)height);
        status = VLM_IMAGE_NO_MEMORY;
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = raw + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    size_t n = (size_t)width * (size_t)height;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = raw + i * channels;
        uint8_t *q = out->pixels + i * 3;
        if (gray16) {
            const uint8_t *g = raw + i * 2;
            unsigned v = ((unsigned)g[0] << 8) | g[1];
            q[0] = q[1] = q[2] = (uint8_t)(v > 255 ? 255 : v);
        } else if (channels <= 2) {
            q[0] = q[1] = q[2] = p[0];
        } else {
            q[0] = p[0]; q[1] = p[1]; q[2] = p[2];
        }
        if (has_alpha) out->alpha[i] = p[channels - 1];
    }
    free(raw);
    free(rows);
    out->width = width;
    out->height = height;
    png_destroy_read_struct(&png, &info, NULL);
    return VLM_IMAGE_OK;
}

void vlm_image_free(vlm_image *image) {
    free(image->pixels);
    image->pixels = NULL;
    free(image->alpha);
    image->alpha = NULL;
}
