// Fake quantization (quantize to RTN integers, then dequantize) in one pass, for AWQ's searches.
// Every step is one IEEE operation (multiply, divide, min, max, round to nearest even), in the
// same order as RTNQuantizer.quantize followed by QuantizedMatrix.dequantized, so the AVX2 and
// portable versions and the Swift oracle give the same bits (Tests/QuantizationTests).
#include "vlm_kernels.h"
#include "rtn.h"

#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---------------------------------------------------------------- portable
static float fq_one(int mode, float x, float s, float z) {
    float zq = mode == VLM_FQ_INT4_SYM ? 8.0f : z;   // what rtn_level's stored integer is offset by
    return ((rtn_level(mode, x, s, z) - zq) + 0.0f) * s;    // + 0: a stored integer has no signed zero
}

static int fq_row_portable(const float *w, const float *cs, const float *clip, size_t cols, size_t g, int mode, float *out) {
    size_t groups = cols / g;
    for (size_t c = 0; c < cols; c++) {
        float x = cs ? w[c] * cs[c] : w[c];
        if (clip) { float m = clip[c / g]; x = fminf(m, fmaxf(-m, x)); }
        out[c] = x;
    }
    for (size_t j = 0; j < groups; j++) {
        float *o = out + j * g, lo = INFINITY, hi = -INFINITY, amax = 0;
        for (size_t c = 0; c < g; c++) {
            if (!isfinite(o[c])) return VLM_FQ_NONFINITE;
            lo = fminf(lo, o[c]); hi = fmaxf(hi, o[c]); amax = fmaxf(amax, fabsf(o[c]));
        }
        float s, z;
        if (!rtn_group_params(mode, lo, hi, amax, &s, &z, NULL)) return VLM_FQ_OVERFLOW;
        for (size_t c = 0; c < g; c++) o[c] = s > 0 ? fq_one(mode, o[c], s, z) : 0.0f;
    }
    if (cs) for (size_t c = 0; c < cols; c++) out[c] /= cs[c];
    return 0;
}

// ---------------------------------------------------------------- AVX2
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static int fq_row_avx2(const float *w, const float *cs, const float *clip, size_t cols,
                                                          size_t g, int mode, float *out) {
    size_t groups = cols / g, c = 0;
    const __m256 sign = _mm256_set1_ps(-0.0f), inf = _mm256_set1_ps(INFINITY);
    for (size_t j = 0; j < groups; j++) {
        size_t end = (j + 1) * g;
        __m256 m = _mm256_set1_ps(clip ? clip[j] : 0), nm = _mm256_xor_ps(m, sign);
        __m256 lo8 = inf, hi8 = _mm256_xor_ps(inf, sign), amax8 = _mm256_setzero_ps(), bad8 = _mm256_setzero_ps();
        float lo = INFINITY, hi = -INFINITY, amax = 0;
        int bad = 0;
        for (c = j * g; c + 8 <= end; c += 8) {
            __m256 x = _mm256_loadu_ps(w + c);
            if (cs) x = _mm256_mul_ps(x, _mm256_loadu_ps(cs + c));
            if (clip) x = _mm256_min_ps(m, _mm256_max_ps(nm, x));
            _mm256_storeu_ps(out + c, x);
            __m256 a = _mm256_andnot_ps(sign, x);
            bad8 = _mm256_or_ps(bad8, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));
            lo8 = _mm256_min_ps(lo8, x); hi8 = _mm256_max_ps(hi8, x); amax8 = _mm256_max_ps(amax8, a);
        }
        for (; c < end; c++) {
            float x = cs ? w[c] * cs[c] : w[c];
            if (clip) x = fminf(clip[j], fmaxf(-clip[j], x));
            out[c] = x;
            if (!isfinite(x)) bad = 1;
            lo = fminf(lo, x); hi = fmaxf(hi, x); amax = fmaxf(amax, fabsf(x));
        }
        if (bad || _mm256_movemask_ps(bad8)) return VLM_FQ_NONFINITE;
        float l[8], h[8], a[8];
        _mm256_storeu_ps(l, lo8); _mm256_storeu_ps(h, hi8); _mm256_storeu_ps(a, amax8);
        for (int i = 0; i < 8; i++) { lo = fminf(lo, l[i]); hi = fmaxf(hi, h[i]); amax = fmaxf(amax, a[i]); }
        float s, z;
        if (!rtn_group_params(mode, lo, hi, amax, &s, &z, NULL)) return VLM_FQ_OVERFLOW;
        if (!(s > 0)) { memset(out + j * g, 0, g * sizeof(float)); continue; }
        float qlo = mode == VLM_FQ_INT8 ? -127.0f : mode == VLM_FQ_INT4_SYM ? -8.0f : 0.0f;
        float qhi = mode == VLM_FQ_INT8 ? 127.0f : mode == VLM_FQ_INT4_SYM ? 7.0f : 15.0f;
        __m256 s8 = _mm256_set1_ps(s), z8 = _mm256_set1_ps(z), lo_q = _mm256_set1_ps(qlo), hi_q = _mm256_set1_ps(qhi);
        __m256 zero = _mm256_setzero_ps();
        int asym = mode == VLM_FQ_INT4_ASYM;
        for (c = j * g; c + 8 <= end; c += 8) {
            __m256 q = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(out + c), s8), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if (asym) q = _mm256_add_ps(q, z8);
            q = _mm256_min_ps(hi_q, _mm256_max_ps(lo_q, q));
            __m256 d = _mm256_mul_ps(_mm256_add_ps(_mm256_sub_ps(q, z8), zero), s8);
            _mm256_storeu_ps(out + c, d);
        }
        for (; c < end; c++) out[c] = fq_one(mode, out[c], s, z);
    }
    if (cs) {
        for (c = 0; c + 8 <= cols; c += 8)
            _mm256_storeu_ps(out + c, _mm256_div_ps(_mm256_loadu_ps(out + c), _mm256_loadu_ps(cs + c)));
        for (; c < cols; c++) out[c] /= cs[c];
    }
    return 0;
}
#endif

// ---------------------------------------------------------------- entry points
static int64_t fq_rows(int use_avx2, const float *w, const float *col_scale, const float *clip, size_t cols, size_t g,
                       int mode, float *out, size_t row_begin, size_t row_end, int *kind) {
    size_t groups = cols / g;
    for (size_t r = row_begin; r < row_end; r++) {
        const float *cl = clip ? clip + r * groups : NULL;
        int k;
#if defined(__x86_64__)
        if (use_avx2) k = fq_row_avx2(w + r * cols, col_scale, cl, cols, g, mode, out + r * cols);
        else
#endif
            k = fq_row_portable(w + r * cols, col_scale, cl, cols, g, mode, out + r * cols);
        (void)use_avx2;
        if (k) { *kind = k; return (int64_t)r; }
    }
    return -1;
}

int64_t vlm_fake_quant(const float *w, const float *col_scale, const float *clip, size_t cols, size_t g, int mode,
                       float *out, size_t row_begin, size_t row_end, int *kind) {
    return fq_rows(vlm_kernels_use_avx2(), w, col_scale, clip, cols, g, mode, out, row_begin, row_end, kind);
}

int64_t vlm_fake_quant_portable(const float *w, const float *col_scale, const float *clip, size_t cols, size_t g, int mode,
                                float *out, size_t row_begin, size_t row_end, int *kind) {
    return fq_rows(0, w, col_scale, clip, cols, g, mode, out, row_begin, row_end, kind);
}
