// Integer-dot matrix products: each activation row is rounded to 8 bits per block of 32 columns
// (a float scale per block, like llama.cpp's Q8_0), and each weight block's products are summed
// in integers, then scaled once per block. This file: the activation rounding, the portable C
// kernels, and the dispatch to q8dot_avx2.c / q8dot_neon.c by what the CPU has. Contracts in
// vlm_kernels.h; the float-activation kernels (gemv.c) stay the exact path.
#include "q8dot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

// ---------------------------------------------------------------- activations
void vlm_quantize_q8(const float *x, size_t k, int order, int8_t *q, float *d, float *ds) {
    size_t blocks = (k + QB - 1) / QB;
    for (size_t b = 0; b < blocks; b++) {
        size_t c0 = b * QB, n = k - c0 < QB ? k - c0 : QB;
        float amax = 0;
        for (size_t c = 0; c < n; c++) amax = fmaxf(amax, fabsf(x[c0 + c]));
        float scale = amax / 127.0f, inv = scale > 0 ? 1.0f / scale : 0.0f;
        int sum = 0;
        for (size_t c = 0; c < QB; c++) {
            float v = c < n ? nearbyintf(x[c0 + c] * inv) : 0.0f;
            int iv = (int)fminf(127.0f, fmaxf(-127.0f, v));
            // Nibble order: the 16 even columns of the block, then the 16 odd ones.
            size_t at = order == VLM_Q8_NIBBLE_ORDER ? (c % 2) * (QB / 2) + c / 2 : c;
            q[c0 + at] = (int8_t)iv;
            sum += iv;
        }
        d[b] = scale;
        ds[b] = scale * (float)sum;
    }
}

// ---------------------------------------------------------------- portable
static float row_int8_q8_generic(const int8_t *w, size_t k, const int8_t *xq, const float *xd) {
    float acc = 0;
    size_t blocks = (k + QB - 1) / QB;
    for (size_t b = 0; b < blocks; b++) {
        size_t n = k - b * QB < QB ? k - b * QB : QB;
        acc += xd[b] * (float)q8_dot_i8(w + b * QB, xq + b * QB, n);
    }
    return acc;
}

// One int4 block of 32 columns (16 bytes, even column in the low nibble) against 32 activations
// in nibble order.
static int32_t dot_u4_generic(const uint8_t *w, const int8_t *x) {
    int32_t s = 0;
    for (size_t j = 0; j < QB / 2; j++) s += (int32_t)(w[j] & 0x0f) * x[j] + (int32_t)(w[j] >> 4) * x[QB / 2 + j];
    return s;
}

static float row_int4_q8_generic(const uint8_t *row, const uint16_t *scales, const uint8_t *zeros, size_t blocks, size_t per,
                                 const int8_t *xq, const float *xd, const float *xds) {
    float acc = 0, corr = 0;
    for (size_t b = 0; b < blocks; b++) {
        float s = f16_to_f32(scales[b / per]), zs = s * (zeros ? (float)zeros[b / per] : 8.0f);
        acc += s * xd[b] * (float)dot_u4_generic(row + b * (QB / 2), xq + b * QB);
        corr += zs * xds[b];
    }
    return acc - corr;
}

void vlm_gemm_int8_q8_portable(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq,
                               const float *xd, float *y, size_t ldy, size_t row_begin, size_t row_end) {
    size_t blocks = (k + QB - 1) / QB;
    for (size_t r = row_begin; r < row_end; r++)
        for (size_t i = 0; i < m; i++)
            y[i * ldy + r] += f16_to_f32(scales[r]) * row_int8_q8_generic(w + r * k, k, xq + i * blocks * QB, xd + i * blocks);
}

void vlm_gemm_int4_q8_portable(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                               const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy,
                               size_t row_begin, size_t row_end) {
    size_t groups = k / g, blocks = k / QB;
    for (size_t r = row_begin; r < row_end; r++)
        for (size_t i = 0; i < m; i++)
            y[i * ldy + r] += row_int4_q8_generic(w + r * (k / 2), scales + r * groups, zeros ? zeros + r * groups : NULL, blocks,
                                                  g / QB, xq + i * blocks * QB, xd + i * blocks, xds + i * blocks);
}

// ---------------------------------------------------------------- dispatch
#if defined(__aarch64__)
enum { ISA_PORTABLE, ISA_NEON, ISA_SDOT };
// What this core runs, decided once: VLMKIT_KERNELS=portable forces the portable C here too.
static int neon_isa(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *forced = getenv("VLMKIT_KERNELS");
#if defined(__linux__)
        int dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
        int dotprod = 1;   // every Apple silicon core has the dot-product instructions
#else
        int dotprod = 0;
#endif
        cached = forced != NULL && strcmp(forced, "portable") == 0 ? ISA_PORTABLE : dotprod ? ISA_SDOT : ISA_NEON;
    }
    return cached;
}
#endif

const char *vlm_q8_kernel_name(void) {
#if defined(__x86_64__)
    return vlm_kernels_use_avx2() ? "avx2" : "portable";
#elif defined(__aarch64__)
    static const char *const names[] = {"portable", "neon", "neon-dotprod"};
    return names[neon_isa()];
#else
    return "portable";
#endif
}

void vlm_gemm_int8_q8(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq, const float *xd,
                      float *y, size_t ldy, size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) { vlm_gemm_int8_q8_avx2(w, scales, k, m, xq, xd, y, ldy, row_begin, row_end); return; }
#elif defined(__aarch64__)
    if (neon_isa() != ISA_PORTABLE) {
        vlm_gemm_int8_q8_neon(neon_isa() == ISA_SDOT, w, scales, k, m, xq, xd, y, ldy, row_begin, row_end);
        return;
    }
#endif
    vlm_gemm_int8_q8_portable(w, scales, k, m, xq, xd, y, ldy, row_begin, row_end);
}

void vlm_gemm_int4_q8(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                      const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy, size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        vlm_gemm_int4_q8_avx2(w, scales, zeros, k, g, m, xq, xd, xds, y, ldy, row_begin, row_end);
        return;
    }
#elif defined(__aarch64__)
    if (neon_isa() != ISA_PORTABLE) {
        vlm_gemm_int4_q8_neon(neon_isa() == ISA_SDOT, w, scales, zeros, k, g, m, xq, xd, xds, y, ldy, row_begin, row_end);
        return;
    }
#endif
    vlm_gemm_int4_q8_portable(w, scales, zeros, k, g, m, xq, xd, xds, y, ldy, row_begin, row_end);
}
