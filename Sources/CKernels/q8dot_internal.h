// What q8dot.c (activations, portable C, dispatch) shares with the per-ISA integer-dot files
// (q8dot_avx2.c, q8dot_neon.c). Not part of the public header.
#ifndef VLM_Q8DOT_INTERNAL_H
#define VLM_Q8DOT_INTERNAL_H

#include "vlm_kernels.h"
#include "half.h"

#define QB VLM_Q8_BLOCK

static inline int32_t q8_dot_i8(const int8_t *a, const int8_t *b, size_t n) {
    int32_t s = 0;
    for (size_t c = 0; c < n; c++) s += (int32_t)a[c] * (int32_t)b[c];
    return s;
}

#if defined(__x86_64__)
void vlm_gemm_int8_q8_avx2(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq, const float *xd,
                           float *y, size_t ldy, size_t row_begin, size_t row_end);
void vlm_gemm_int4_q8_avx2(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                           const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy, size_t row_begin,
                           size_t row_end);
#endif
#if defined(__aarch64__)
// sdot: 1 with the dot-product extension (armv8.2-a+dotprod), 0 with plain NEON widening products.
void vlm_gemm_int8_q8_neon(int sdot, const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq,
                           const float *xd, float *y, size_t ldy, size_t row_begin, size_t row_end);
void vlm_gemm_int4_q8_neon(int sdot, const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                           size_t m, const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy,
                           size_t row_begin, size_t row_end);
#endif

#endif
