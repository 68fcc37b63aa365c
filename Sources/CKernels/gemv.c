#include "vlm_kernels.h"
#include "half.h"
#include "simd_x86.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---------------------------------------------------------------- portable
static float dot_int8_generic(const int8_t *w, const float *x, size_t k) {
    float acc[8] = {0};
    size_t c = 0;
    for (; c + 8 <= k; c += 8)
        for (int l = 0; l < 8; l++) acc[l] += (float)w[c + l] * x[c + l];
    float s = 0;
    for (int l = 0; l < 8; l++) s += acc[l];
    for (; c < k; c++) s += (float)w[c] * x[c];
    return s;
}

static float dot_int4_generic(const uint8_t *w, const float *e, const float *o, size_t bytes) {
    float lo[8] = {0}, hi[8] = {0};
    size_t j = 0;
    for (; j + 8 <= bytes; j += 8)
        for (int l = 0; l < 8; l++) {
            lo[l] += (float)(w[j + l] & 0x0f) * e[j + l];
            hi[l] += (float)(w[j + l] >> 4) * o[j + l];
        }
    float s = 0;
    for (int l = 0; l < 8; l++) s += lo[l] + hi[l];
    for (; j < bytes; j++) s += (float)(w[j] & 0x0f) * e[j] + (float)(w[j] >> 4) * o[j];
    return s;
}

// ---------------------------------------------------------------- AVX2 + FMA
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float dot_int8_avx2(const int8_t *w, const float *x, size_t k) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    size_t c = 0;
    for (; c + 32 <= k; c += 32) {
        __m128i b0 = _mm_loadl_epi64((const __m128i *)(w + c)), b1 = _mm_loadl_epi64((const __m128i *)(w + c + 8));
        __m128i b2 = _mm_loadl_epi64((const __m128i *)(w + c + 16)), b3 = _mm_loadl_epi64((const __m128i *)(w + c + 24));
        a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b0)), _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b1)), _mm256_loadu_ps(x + c + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b2)), _mm256_loadu_ps(x + c + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b3)), _mm256_loadu_ps(x + c + 24), a3);
    }
    float s = vlm_hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; c < k; c++) s += (float)w[c] * x[c];
    return s;
}

/// One int4 row, all groups, everything inlined: per group the nibble products stay in vector
/// lanes, scaled by the group's scale into one accumulator (one horizontal sum per row).
__attribute__((target("avx2,fma,f16c"))) static float row_int4_avx2(const uint8_t *row, const uint16_t *scales, const uint8_t *zeros,
                                                                   size_t groups, size_t half, const float *e, const float *o,
                                                                   const float *sums) {
    __m256 acc = _mm256_setzero_ps();
    float zero_terms = 0;
    const __m128i mask = _mm_set1_epi8(0x0f);
    for (size_t gi = 0; gi < groups; gi++) {
        const uint8_t *w = row + gi * half;
        const float *eg = e + gi * half, *og = o + gi * half;
        __m256 lo0 = _mm256_setzero_ps(), lo1 = _mm256_setzero_ps(), hi0 = _mm256_setzero_ps(), hi1 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= half; j += 16) {
            __m128i b = _mm_loadu_si128((const __m128i *)(w + j));
            __m128i l = _mm_and_si128(b, mask), h = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
            lo0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(l)), _mm256_loadu_ps(eg + j), lo0);
            lo1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(l, 8))), _mm256_loadu_ps(eg + j + 8), lo1);
            hi0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(h)), _mm256_loadu_ps(og + j), hi0);
            hi1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(h, 8))), _mm256_loadu_ps(og + j + 8), hi1);
        }
        float tail = 0;
        for (; j < half; j++) tail += (float)(w[j] & 0x0f) * eg[j] + (float)(w[j] >> 4) * og[j];
        float s = _cvtsh_ss(scales[gi]);
        float z = zeros ? (float)zeros[gi] : 8.0f;
        __m256 d = _mm256_add_ps(_mm256_add_ps(lo0, lo1), _mm256_add_ps(hi0, hi1));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(s), d, acc);
        zero_terms += s * (tail - z * sums[gi]);
    }
    return vlm_hsum8(acc) + zero_terms;
}
#endif

// ---------------------------------------------------------------- half precision
static inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Widening reads the halves through memcpy and unaligned loads: a stored tensor may sit at any byte
// offset of its file (the packing quantizer reads it in place).
static inline uint16_t load_half(const unsigned char *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return h;
}

static float dot_half_generic(const uint16_t *w, int bf16, const float *x, size_t k) {
    float acc[8] = {0};
    size_t c = 0;
    if (bf16) {
        for (; c + 8 <= k; c += 8)
            for (int l = 0; l < 8; l++) acc[l] += bf16_to_f32(w[c + l]) * x[c + l];
    } else {
        for (; c + 8 <= k; c += 8)
            for (int l = 0; l < 8; l++) acc[l] += f16_to_f32(w[c + l]) * x[c + l];
    }
    float s = 0;
    for (int l = 0; l < 8; l++) s += acc[l];
    for (; c < k; c++) s += (bf16 ? bf16_to_f32(w[c]) : f16_to_f32(w[c])) * x[c];
    return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) static float dot_half_avx2(const uint16_t *w, int bf16, const float *x, size_t k) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    size_t c = 0;
    if (bf16) {
        for (; c + 32 <= k; c += 32) {
            __m256 w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + c))), 16));
            __m256 w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + c + 8))), 16));
            __m256 w2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + c + 16))), 16));
            __m256 w3 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + c + 24))), 16));
            a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(w3, _mm256_loadu_ps(x + c + 24), a3);
        }
    } else {
        for (; c + 32 <= k; c += 32) {
            a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + c))), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + c + 8))), _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + c + 16))), _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + c + 24))), _mm256_loadu_ps(x + c + 24), a3);
        }
    }
    float s = vlm_hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; c < k; c++) s += (bf16 ? bf16_to_f32(w[c]) : f16_to_f32(w[c])) * x[c];
    return s;
}

__attribute__((target("avx2,f16c"))) static void widen_half_avx2(const unsigned char *w, int bf16, float *out, size_t n) {
    size_t c = 0;
    for (; c + 8 <= n; c += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(w + 2 * c));
        _mm256_storeu_ps(out + c, bf16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16)) : _mm256_cvtph_ps(v));
    }
    for (; c < n; c++) out[c] = bf16 ? bf16_to_f32(load_half(w + 2 * c)) : f16_to_f32(load_half(w + 2 * c));
}
#endif

static float dot_f32_generic(const float *w, const float *x, size_t k) {
    float acc[8] = {0};
    size_t c = 0;
    for (; c + 8 <= k; c += 8)
        for (int l = 0; l < 8; l++) acc[l] += w[c + l] * x[c + l];
    float s = 0;
    for (int l = 0; l < 8; l++) s += acc[l];
    for (; c < k; c++) s += w[c] * x[c];
    return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float dot_f32_avx2(const float *w, const float *x, size_t k) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    size_t c = 0;
    for (; c + 32 <= k; c += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), a3);
    }
    float s = vlm_hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; c < k; c++) s += w[c] * x[c];
    return s;
}
#endif

// ---------------------------------------------------------------- portable versions
// What a CPU without AVX2 (an ARM edge device) runs; exported so tests run them on any machine.

void vlm_gemv_f32_portable(const float *w, size_t k, const float *x, float *y, size_t row_begin, size_t row_end) {
    for (size_t r = row_begin; r < row_end; r++) y[r] += dot_f32_generic(w + r * k, x, k);
}

void vlm_gemv_half_portable(const uint16_t *w, int bf16, size_t k, const float *x, float *y, size_t row_begin, size_t row_end) {
    for (size_t r = row_begin; r < row_end; r++) y[r] += dot_half_generic(w + r * k, bf16, x, k);
}

void vlm_widen_half_portable(const void *w, int bf16, size_t k, float *out, size_t row_begin, size_t row_end) {
    const unsigned char *src = (const unsigned char *)w + 2 * row_begin * k;
    float *dst = out + row_begin * k;
    size_t n = (row_end - row_begin) * k;
    for (size_t c = 0; c < n; c++) dst[c] = bf16 ? bf16_to_f32(load_half(src + 2 * c)) : f16_to_f32(load_half(src + 2 * c));
}

void vlm_gemv_int8_portable(const int8_t *w, const uint16_t *scales, size_t k, const float *x, float *y,
                            size_t row_begin, size_t row_end) {
    for (size_t r = row_begin; r < row_end; r++) y[r] += f16_to_f32(scales[r]) * dot_int8_generic(w + r * k, x, k);
}

void vlm_gemv_int4_portable(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                            const float *x_even, const float *x_odd, const float *group_sums, float *y,
                            size_t row_begin, size_t row_end) {
    size_t groups = k / g, half = g / 2;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = w + r * (k / 2);
        float acc = 0;
        for (size_t gi = 0; gi < groups; gi++) {
            float s = f16_to_f32(scales[r * groups + gi]);
            float z = zeros ? (float)zeros[r * groups + gi] : 8.0f;
            float d = dot_int4_generic(row + gi * half, x_even + gi * half, x_odd + gi * half, half);
            acc += s * (d - z * group_sums[gi]);
        }
        y[r] += acc;
    }
}

// ---------------------------------------------------------------- dispatch
int vlm_kernels_use_avx2(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        // VLMKIT_KERNELS=portable (read once, at the first call) runs the portable path on x86 too.
        const char *forced = getenv("VLMKIT_KERNELS");
        int portable = forced != NULL && strcmp(forced, "portable") == 0;
        cached = !portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
#else
    return 0;
#endif
}

void vlm_gemv_f32(const float *w, size_t k, const float *x, float *y, size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        for (size_t r = row_begin; r < row_end; r++) y[r] += dot_f32_avx2(w + r * k, x, k);
        return;
    }
#endif
    vlm_gemv_f32_portable(w, k, x, y, row_begin, row_end);
}

void vlm_gemv_half(const uint16_t *w, int bf16, size_t k, const float *x, float *y, size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        for (size_t r = row_begin; r < row_end; r++) y[r] += dot_half_avx2(w + r * k, bf16, x, k);
        return;
    }
#endif
    vlm_gemv_half_portable(w, bf16, k, x, y, row_begin, row_end);
}

void vlm_widen_half(const void *w, int bf16, size_t k, float *out, size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        widen_half_avx2((const unsigned char *)w + 2 * row_begin * k, bf16, out + row_begin * k, (row_end - row_begin) * k);
        return;
    }
#endif
    vlm_widen_half_portable(w, bf16, k, out, row_begin, row_end);
}

void vlm_gemv_int8(const int8_t *w, const uint16_t *scales, size_t k, const float *x, float *y,
                   size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        for (size_t r = row_begin; r < row_end; r++) y[r] += f16_to_f32(scales[r]) * dot_int8_avx2(w + r * k, x, k);
        return;
    }
#endif
    vlm_gemv_int8_portable(w, scales, k, x, y, row_begin, row_end);
}

void vlm_gemv_int4(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                   const float *x_even, const float *x_odd, const float *group_sums, float *y,
                   size_t row_begin, size_t row_end) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        size_t groups = k / g, half = g / 2;
        for (size_t r = row_begin; r < row_end; r++)
            y[r] += row_int4_avx2(w + r * (k / 2), scales + r * groups, zeros ? zeros + r * groups : NULL, groups, half,
                                  x_even, x_odd, group_sums);
        return;
    }
#endif
    vlm_gemv_int4_portable(w, scales, zeros, k, g, x_even, x_odd, group_sums, y, row_begin, row_end);
}
