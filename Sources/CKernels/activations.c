// Vectorized exp and what is built on it: softmax and the MLP activations (SiLU, quick_gelu,
// tanh-GELU). The Swift forms in ReferenceRuntime's Kernels (Double arithmetic) are the oracle;
// tests bound the difference. Every function works element by element or row by row, so no
// result depends on how callers split rows over threads.
#include "vlm_kernels.h"
#include "simd_x86.h"

#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---------------------------------------------------------------- portable
static float softmax_max(const float *p, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = p[i] > m ? p[i] : m;
    return m;
}

void vlm_softmax_portable(float *p, size_t n) {
    if (n == 0) return;
    float m = softmax_max(p, n), sum = 0;
    for (size_t i = 0; i < n; i++) { p[i] = expf(p[i] - m); sum += p[i]; }
    float inv = 1.0f / sum;
    for (size_t i = 0; i < n; i++) p[i] *= inv;
}

static inline float act_one(float x, int kind) {
    switch (kind) {
    case VLM_ACT_SILU: return x / (1.0f + expf(-x));
    case VLM_ACT_QUICK_GELU: return x / (1.0f + expf(-1.702f * x));
    default: {
        // 0.5·x·(1 + tanh(u)) = x − x / (1 + e^{2u}), u = √(2/π)·(x + 0.044715·x³)
        float u = 0.7978845608f * (x + 0.044715f * x * x * x);
        return x - x / (1.0f + expf(2.0f * u));
    }
    }
}

void vlm_activation_portable(float *x, size_t n, int kind) {
    for (size_t i = 0; i < n; i++) x[i] = act_one(x[i], kind);
}

void vlm_mul_silu_portable(float *u, const float *g, size_t n) {
    for (size_t i = 0; i < n; i++) u[i] *= g[i] / (1.0f + expf(-g[i]));
}

// ---------------------------------------------------------------- AVX2 + FMA
#if defined(__x86_64__)
// e^x for 8 lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' expf polynomial (≈ 1 ulp), times
// 2^n built in the exponent bits. Below −87.33 the result is 0, above 88.72 it is +inf, NaN stays NaN.
__attribute__((target("avx2,fma"), always_inline)) static inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.7228f), lo = _mm256_set1_ps(-87.3365f);
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n as two factors so that n = 128 (x near the top) does not overflow the exponent field.
    __m256i e = _mm256_cvtps_epi32(n);
    __m256i e1 = _mm256_srai_epi32(e, 1), e2 = _mm256_sub_epi32(e, e1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e2, _mm256_set1_epi32(127)), 23));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

__attribute__((target("avx2,fma"), always_inline)) static inline __m256 act8(__m256 x, int kind) {
    const __m256 one = _mm256_set1_ps(1.0f);
    switch (kind) {
    case VLM_ACT_SILU:
        return _mm256_div_ps(x, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    case VLM_ACT_QUICK_GELU:
        return _mm256_div_ps(x, _mm256_add_ps(one, exp8(_mm256_mul_ps(_mm256_set1_ps(-1.702f), x))));
    default: {
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 u = _mm256_mul_ps(_mm256_set1_ps(2.0f * 0.7978845608f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        return _mm256_sub_ps(x, _mm256_div_ps(x, _mm256_add_ps(one, exp8(u))));
    }
    }
}

__attribute__((target("avx2,fma"))) static void softmax_avx2(float *p, size_t n) {
    size_t i = 0;
    __m256 mv = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(p + i));
    float lanes[8], m;
    _mm256_storeu_ps(lanes, mv);
    m = lanes[0];
    for (int l = 1; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; i < n; i++) m = p[i] > m ? p[i] : m;
    __m256 sv = _mm256_setzero_ps(), m8 = _mm256_set1_ps(m);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p + i), m8));
        _mm256_storeu_ps(p + i, e);
        sv = _mm256_add_ps(sv, e);
    }
    float sum = vlm_hsum8(sv);
    for (; i < n; i++) { p[i] = expf(p[i] - m); sum += p[i]; }
    __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(p + i, _mm256_mul_ps(_mm256_loadu_ps(p + i), inv));
    for (; i < n; i++) p[i] *= 1.0f / sum;
}

__attribute__((target("avx2,fma"))) static void activation_avx2(float *x, size_t n, int kind) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, act8(_mm256_loadu_ps(x + i), kind));
    for (; i < n; i++) x[i] = act_one(x[i], kind);
}

__attribute__((target("avx2,fma"))) static void mul_silu_avx2(float *u, const float *g, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(u + i, _mm256_mul_ps(_mm256_loadu_ps(u + i), act8(_mm256_loadu_ps(g + i), VLM_ACT_SILU)));
    for (; i < n; i++) u[i] *= g[i] / (1.0f + expf(-g[i]));
}
#endif

// ---------------------------------------------------------------- dispatch
void vlm_softmax(float *p, size_t n) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) { if (n > 0) softmax_avx2(p, n); return; }
#endif
    vlm_softmax_portable(p, n);
}

void vlm_activation(float *x, size_t n, int kind) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) { activation_avx2(x, n, kind); return; }
#endif
    vlm_activation_portable(x, n, kind);
}

void vlm_mul_silu(float *u, const float *g, size_t n) {
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) { mul_silu_avx2(u, g, n); return; }
#endif
    vlm_mul_silu_portable(u, g, n);
}
