// JPEG → 8-bit RGB as Pillow's Image.open(...).convert("RGB") gives it: libjpeg's default
// (islow) DCT and fancy upsampling, gray replicated, Adobe CMYK inverted then converted with
// Pillow's cmyk2rgb formula. A file that ends before its image does is an error, as in Pillow.
#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int truncated;
    vlm_image *image;
} jpeg_errors;

static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_errors *err = (jpeg_errors *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->image->message, sizeof err->image->message, "%s", text);
    longjmp(err->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level) {
    jpeg_errors *err = (jpeg_errors *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = 1;
    // Other warnings (corrupt segments libjpeg recovers from) are ignored, as Pillow does.
}

static uint8_t muldiv255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

int vlm_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, vlm_image *out) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    jpeg_errors err;
    memset(&err, 0, sizeof err);
    err.image = out;
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = jpeg_on_error;
    err.base.emit_message = jpeg_on_message;
    uint8_t *volatile row = NULL;
    if (setjmp(err.jump)) {
        free(row);
        free(out->pixels);
        out->pixels = NULL;
        jpeg_destroy_decompress(&cinfo);
        return VLM_IMAGE_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    if (size > (size_t)(unsigned long)-1) size = (unsigned long)-1;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    const char *mode = cmyk ? "CMYK" : cinfo.jpeg_color_space == JCS_GRAYSCALE ? "L" : "RGB";
    snprintf(out->source_mode, sizeof out->source_mode, "%s", mode);
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        snprintf(out->message, sizeof out->message, "%u x %u pixels is more than the limit of %llu",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, (unsigned long long)max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return VLM_IMAGE_TOO_LARGE;
    }
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);

    size_t width = cinfo.output_width, height = cinfo.output_height;
    size_t components = (size_t)cinfo.output_components;
    if ((components != 3 && !cmyk) || (components != 4 && cmyk)) {
        snprintf(out->message, sizeof out->message, "unexpected JPEG output with %zu components", components);
        jpeg_destroy_decompress(&cinfo);
        return VLM_IMAGE_UNSUPPORTED;
    }
    out->pixels = malloc(width * height * 3 + 1);
    row = malloc(width * components + 1);
    if (!out->pixels || !row) {
        free(row);
        free(out->pixels);
        out->pixels = NULL;
        snprintf(out->message, sizeof out->message, "out of memory for %zu x %zu pixels", width, height);
        jpeg_destroy_decompress(&cinfo);
        return VLM_IMAGE_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;
        uint8_t *q = out->pixels + y * width * 3;
        if (!cmyk) {
            memcpy(q, row, width * 3);
            continue;
        }
        // Adobe stores CMYK inverted; Pillow reads it as "CMYK;I", then converts to RGB.
        for (size_t x = 0; x < width; x++) {
            const uint8_t *p = row + x * 4;
            int c = 255 - p[0], m = 255 - p[1], yy = 255 - p[2], k = 255 - p[3];
            int nk = 255 - k;
            q[x * 3 + 0] = (uint8_t)(nk - muldiv255(c, nk));
            q[x * 3 + 1] = (uint8_t)(nk - muldiv255(m, nk));
            q[x * 3 + 2] = (uint8_t)(nk - muldiv255(yy, nk));
        }
    }
    free(row);
    row = NULL;
    if (err.truncated) {
        snprintf(out->message, sizeof out->message, "the file ends before the image data does");
        free(out->pixels);
        out->pixels = NULL;
        jpeg_destroy_decompress(&cinfo);
        return VLM_IMAGE_TRUNCATED;
    }
    jpeg_finish_decompress(&cinfo);
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    jpeg_destroy_decompress(&cinfo);
    return VLM_IMAGE_OK;
}
