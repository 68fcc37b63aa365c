// aarch64 integer-dot kernels (contracts in vlm_kernels.h): sdot (armv8.2-a dot product, chosen
// at run time) or plain NEON widening products, 16 bytes at a time, scaled once per block of 32.
// Arithmetic per output element as in q8dot_avx2.c: combined block scales sb·xd, and the int4
// zero-point term Σ zb·xds kept apart.
#include "q8dot_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stdlib.h>

// 16 signed bytes × 16 signed bytes into 4 int32 lanes, without the dot-product extension.
static inline int32x4_t dot16_plain(int32x4_t acc, int8x16_t a, int8x16_t b) {
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    int16x8_t hi = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}

__attribute__((target("arch=armv8.2-a+dotprod"))) static inline int32x4_t dot16_sdot(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

// One weight row's scale and scale × zero-point per block of 32 columns.
static void expand_scales(const uint16_t *scales, const uint8_t *zeros, size_t groups, size_t per, float *sb, float *zb) {
    for (size_t gi = 0; gi < groups; gi++) {
        float s = f16_to_f32(scales[gi]), zs = s * (zeros ? (float)zeros[gi] : 8.0f);
        for (size_t j = 0; j < per; j++) { sb[gi * per + j] = s; zb[gi * per + j] = zs; }
    }
}

#define NEON_ROWS(NAME, DOT, ATTR)                                                                                    \
    ATTR static float NAME##_int8(const int8_t *w, size_t k, const int8_t *xq, const float *xd) {                         \
        float32x4_t acc = vdupq_n_f32(0);                                                                             \
        size_t full = k / QB;                                                                                         \
        for (size_t b = 0; b < full; b++) {                                                                           \
            int32x4_t p = DOT(vdupq_n_s32(0), vld1q_s8(w + b * QB), vld1q_s8(xq + b * QB));                           \
            p = DOT(p, vld1q_s8(w + b * QB + 16), vld1q_s8(xq + b * QB + 16));                                        \
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(p), xd[b]);                                                          \
        }                                                                                                             \
        float s = vaddvq_f32(acc);                                                                                    \
        if (full * QB < k) s += xd[full] * (float)q8_dot_i8(w + full * QB, xq + full * QB, k - full * QB);            \
        return s;                                                                                                     \
    }                                                                                                                 \
    /* Activations in nibble order: bytes 0–15 meet the low nibbles, 16–31 the high ones. */                          \
    ATTR static float NAME##_int4(const uint8_t *row, const float *sb, const float *zb, size_t blocks, const int8_t *xq,  \
                                  const float *xd, const float *xds) {                                                \
        const uint8x16_t mask = vdupq_n_u8(0x0f);                                                                     \
        float32x4_t acc = vdupq_n_f32(0);                                                                             \
        float corr = 0;                                                                                               \
        for (size_t b = 0; b < blocks; b++) {                                                                         \
            uint8x16_t v = vld1q_u8(row + b * (QB / 2));                                                              \
            int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(v, mask)), hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));        \
            int32x4_t p = DOT(vdupq_n_s32(0), lo, vld1q_s8(xq + b * QB));                                             \
            p = DOT(p, hi, vld1q_s8(xq + b * QB + 16));                                                               \
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(p), sb[b] * xd[b]);                                                  \
            corr += zb[b] * xds[b];                                                                                   \
        }                                                                                                             \
        return vaddvq_f32(acc) - corr;                                                                                \
    }

#define NEON_PLAIN
#define NEON_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
NEON_ROWS(plain, dot16_plain, NEON_PLAIN)
NEON_ROWS(sdot, dot16_sdot, NEON_DOTPROD)

void vlm_gemm_int8_q8_neon(int sdot, const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq,
                           const float *xd, float *y, size_t ldy, size_t row_begin, size_t row_end) {
    size_t blocks = (k + QB - 1) / QB;
    for (size_t r = row_begin; r < row_end; r++)
        for (size_t i = 0; i < m; i++) {
            const int8_t *x = xq + i * blocks * QB;
            const float *d = xd + i * blocks;
            y[i * ldy + r] += f16_to_f32(scales[r]) * (sdot ? sdot_int8(w + r * k, k, x, d) : plain_int8(w + r * k, k, x, d));
        }
}

void vlm_gemm_int4_q8_neon(int sdot, const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                           size_t m, const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy,
                           size_t row_begin, size_t row_end) {
    size_t groups = k / g, blocks = k / QB;
    float *sb = malloc(sizeof(float) * 2 * blocks);
    if (sb == NULL) abort();
    float *zb = sb + blocks;
    for (size_t r = row_begin; r < row_end; r++) {
        expand_scales(scales + r * groups, zeros ? zeros + r * groups : NULL, groups, g / QB, sb, zb);
        for (size_t i = 0; i < m; i++) {
            const int8_t *x = xq + i * blocks * QB;
            const float *d = xd + i * blocks, *ds = xds + i * blocks;
            y[i * ldy + r] += sdot ? sdot_int4(w + r * (k / 2), sb, zb, blocks, x, d, ds) : plain_int4(w + r * (k / 2), sb, zb, blocks, x, d, ds);
        }
    }
    free(sb);
}
#endif
