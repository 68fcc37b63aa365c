// One query row of scaled dot-product attention against `visible` cached keys and values (decoding):
// scores, softmax (activations.c's), weighted sum of values. ReferenceRuntime's Attention.naive is
// the oracle. Each call computes one (head, query) row whole, so callers may split rows over threads.
#include "vlm_kernels.h"
#include "simd_x86.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

void vlm_attend_row_portable(const float *q, const float *k, const float *v, size_t visible, size_t hd, size_t kv_stride,
                             float scale, float *scores, float *out) {
    for (size_t j = 0; j < visible; j++) {
        const float *kr = k + j * kv_stride;
        float acc[8] = {0};
        size_t d = 0;
        for (; d + 8 <= hd; d += 8)
            for (int l = 0; l < 8; l++) acc[l] += q[d + l] * kr[d + l];
        float s = 0;
        for (int l = 0; l < 8; l++) s += acc[l];
        for (; d < hd; d++) s += q[d] * kr[d];
        scores[j] = s * scale;
    }
    vlm_softmax_portable(scores, visible);
    for (size_t d = 0; d < hd; d++) out[d] = 0;
    for (size_t j = 0; j < visible; j++) {
        const float *vr = v + j * kv_stride;
        float w = scores[j];
        for (size_t d = 0; d < hd; d++) out[d] += w * vr[d];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void attend_row_avx2(const float *q, const float *k, const float *v, size_t visible,
                                                                size_t hd, size_t kv_stride, float scale, float *scores, float *out) {
    size_t vec = hd / 8 * 8;
    for (size_t j = 0; j < visible; j++) {
        const float *kr = k + j * kv_stride;
        __m256 acc = _mm256_setzero_ps();
        for (size_t d = 0; d < vec; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(kr + d), acc);
        float s = vlm_hsum8(acc);
        for (size_t d = vec; d < hd; d++) s += q[d] * kr[d];
        scores[j] = s * scale;
    }
    vlm_softmax(scores, visible);
    for (size_t d = 0; d < hd; d++) out[d] = 0;
    for (size_t j = 0; j < visible; j++) {
        const float *vr = v + j * kv_stride;
        __m256 w = _mm256_set1_ps(scores[j]);
        for (size_t d = 0; d < vec; d += 8) _mm256_storeu_ps(out + d, _mm256_fmadd_ps(w, _mm256_loadu_ps(vr + d), _mm256_loadu_ps(out + d)));
        for (size_t d = vec; d < hd; d++) out[d] += scores[j] * vr[d];
    }
}
#endif

void vlm_attend_row(const float *q, const float *k, const float *v, size_t visible, size_t hd, size_t kv_stride,
                    float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) { attend_row_avx2(q, k, v, visible, hd, kv_stride, scale, scores, out); return; }
#endif
    vlm_attend_row_portable(q, k, v, visible, hd, kv_stride, scale, scores, out);
}
