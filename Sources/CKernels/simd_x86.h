// AVX2 helpers shared by the x86 kernel files (gemv.c, q8dot_avx2.c). Not part of the public header.
#ifndef VLM_SIMD_X86_H
#define VLM_SIMD_X86_H
#if defined(__x86_64__)
#include <immintrin.h>

// The sum of the 8 lanes: halves, then pairs, then the last two (one fixed order).
__attribute__((target("avx2"), always_inline)) static inline float vlm_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#endif
#endif
