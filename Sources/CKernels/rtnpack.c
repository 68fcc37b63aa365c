// The packing quantizer: RTN from the stored weights (f32, f16 or bf16, read in place) straight to
// the stored bytes (int8 values or int4 nibbles, f16 scales, zero-points), with the error
// statistics of each row computed in the same pass. Every rounding step is the Swift oracle's
// (RTNQuantizer.quantizeRow, through rtn.h), so the AVX2 and portable paths write its bytes.
#include "rtn.h"

#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Stores the integer u of column c (row-local) and returns the weight it decodes to.
static inline float store_level(int mode, float u, float s, float zq, size_t c, uint8_t *values) {
    if (mode == VLM_FQ_INT8) { values[c] = (uint8_t)(int8_t)u; return u * s; }
    uint8_t n = (uint8_t)u;
    values[c / 2] = c % 2 == 0 ? (uint8_t)((values[c / 2] & 0xf0) | n) : (uint8_t)((values[c / 2] & 0x0f) | (n << 4));
    return (u - zq) * s;
}

// One group of columns [c0, c1) from c, scalar: the tail of the AVX2 loop and the portable path.
static void group_scalar(const float *x, size_t c, size_t c1, int mode, float s, float z, uint8_t *values, double st[3]) {
    float zq = mode == VLM_FQ_INT4_SYM ? 8.0f : z;
    for (; c < c1; c++) {
        float u = s > 0 ? rtn_level(mode, x[c], s, z) : mode == VLM_FQ_INT8 ? 0.0f : zq;
        double d = (double)x[c] - (double)store_level(mode, u, s, zq, c, values);
        st[0] += d * d;
        st[1] += (double)x[c] * (double)x[c];
        st[2] = fmax(st[2], fabs(d));
    }
}

static int row_portable(const float *x, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales, uint8_t *zeros,
                        double st[3]) {
    for (size_t c = 0; c < cols; c++) if (!isfinite(x[c])) return VLM_FQ_NONFINITE;
    for (size_t j = 0; j < cols / g; j++) {
        float lo = INFINITY, hi = -INFINITY, amax = 0, s, z;
        for (size_t c = j * g; c < (j + 1) * g; c++) { lo = fminf(lo, x[c]); hi = fmaxf(hi, x[c]); amax = fmaxf(amax, fabsf(x[c])); }
        if (!rtn_group_params(mode, lo, hi, amax, &s, &z, scales + j)) return VLM_FQ_OVERFLOW;
        if (zeros) zeros[j] = (uint8_t)z;
        group_scalar(x, j * g, (j + 1) * g, mode, s, z, values, st);
    }
    return 0;
}

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma,f16c")))

// The low byte of each 64-bit lane holds one packed pair after the shift-or: four bytes out.
AVX2 static inline void store_nibbles(__m256i u, uint8_t *out) {
    __m256i p = _mm256_or_si256(u, _mm256_srli_epi64(u, 28));
    __m256i b = _mm256_shuffle_epi8(p, _mm256_setr_epi8(0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                        0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    uint16_t lo = (uint16_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(b)), hi = (uint16_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(b, 1));
    memcpy(out, &lo, 2);
    memcpy(out + 2, &hi, 2);
}

AVX2 static inline void store_int8(__m256i u, uint8_t *out) {
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(u, u), _mm256_setzero_si256());
    uint32_t lo = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(p)), hi = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(p, 1));
    memcpy(out, &lo, 4);
    memcpy(out + 4, &hi, 4);
}

AVX2 static inline float hmin8(__m256 v) {
    float a[8], m = INFINITY;
    _mm256_storeu_ps(a, v);
    for (int i = 0; i < 8; i++) m = fminf(m, a[i]);
    return m;
}
AVX2 static inline float hmax8(__m256 v) {
    float a[8], m = -INFINITY;
    _mm256_storeu_ps(a, v);
    for (int i = 0; i < 8; i++) m = fmaxf(m, a[i]);
    return m;
}
AVX2 static inline double hsum4d(__m256d v) {
    double a[4];
    _mm256_storeu_pd(a, v);
    return (a[0] + a[1]) + (a[2] + a[3]);
}

AVX2 static int row_avx2(const float *x, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales, uint8_t *zeros,
                         double st[3]) {
    const __m256 sign = _mm256_set1_ps(-0.0f), inf = _mm256_set1_ps(INFINITY);
    const __m256d dsign = _mm256_set1_pd(-0.0);
    __m256 bad = _mm256_setzero_ps();
    size_t c = 0;
    for (; c + 8 <= cols; c += 8) bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + c)), inf, _CMP_NLT_UQ));
    if (_mm256_movemask_ps(bad)) return VLM_FQ_NONFINITE;
    for (; c < cols; c++) if (!isfinite(x[c])) return VLM_FQ_NONFINITE;
    __m256d err = _mm256_setzero_pd(), ref = _mm256_setzero_pd(), mx = _mm256_setzero_pd();
    for (size_t j = 0; j < cols / g; j++) {
        size_t c0 = j * g, c1 = c0 + g;
        __m256 lo8 = inf, hi8 = _mm256_xor_ps(inf, sign), amax8 = _mm256_setzero_ps();
        for (c = c0; c + 8 <= c1; c += 8) {
            __m256 v = _mm256_loadu_ps(x + c);
            lo8 = _mm256_min_ps(lo8, v); hi8 = _mm256_max_ps(hi8, v); amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign, v));
        }
        float lo = hmin8(lo8), hi = hmax8(hi8), amax = hmax8(amax8), s, z;
        for (; c < c1; c++) { lo = fminf(lo, x[c]); hi = fmaxf(hi, x[c]); amax = fmaxf(amax, fabsf(x[c])); }
        if (!rtn_group_params(mode, lo, hi, amax, &s, &z, scales + j)) return VLM_FQ_OVERFLOW;
        if (zeros) zeros[j] = (uint8_t)z;
        // Vector blocks of 8 need an int4 block to start on a byte: c0 even (g is even for int4).
        c = c0;
        if (s > 0) {
            float zq = mode == VLM_FQ_INT4_SYM ? 8.0f : z;
            float qlo = mode == VLM_FQ_INT8 ? -127.0f : mode == VLM_FQ_INT4_SYM ? -8.0f : 0.0f;
            float qhi = mode == VLM_FQ_INT8 ? 127.0f : mode == VLM_FQ_INT4_SYM ? 7.0f : 15.0f;
            __m256 s8 = _mm256_set1_ps(s), z8 = _mm256_set1_ps(mode == VLM_FQ_INT4_ASYM ? z : 0.0f), zq8 = _mm256_set1_ps(zq);
            __m256 lq = _mm256_set1_ps(qlo), hq = _mm256_set1_ps(qhi), off = _mm256_set1_ps(mode == VLM_FQ_INT4_SYM ? 8.0f : 0.0f);
            for (; c + 8 <= c1; c += 8) {
                __m256 v = _mm256_loadu_ps(x + c);
                __m256 q = _mm256_round_ps(_mm256_div_ps(v, s8), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                __m256 u = _mm256_add_ps(_mm256_min_ps(hq, _mm256_max_ps(lq, _mm256_add_ps(q, z8))), off);
                __m256 dq;
                if (mode == VLM_FQ_INT8) { store_int8(_mm256_cvtps_epi32(u), values + c); dq = _mm256_mul_ps(u, s8); }
                else { store_nibbles(_mm256_cvtps_epi32(u), values + c / 2); dq = _mm256_mul_ps(_mm256_sub_ps(u, zq8), s8); }
                for (int h = 0; h < 2; h++) {
                    __m256d wd = _mm256_cvtps_pd(h ? _mm256_extractf128_ps(v, 1) : _mm256_castps256_ps128(v));
                    __m256d d = _mm256_sub_pd(wd, _mm256_cvtps_pd(h ? _mm256_extractf128_ps(dq, 1) : _mm256_castps256_ps128(dq)));
                    err = _mm256_fmadd_pd(d, d, err);
                    ref = _mm256_fmadd_pd(wd, wd, ref);
                    mx = _mm256_max_pd(mx, _mm256_andnot_pd(dsign, d));
                }
            }
        }
        group_scalar(x, c, c1, mode, s, z, values, st);
    }
    double m[4];
    _mm256_storeu_pd(m, mx);
    st[0] += hsum4d(err);
    st[1] += hsum4d(ref);
    st[2] = fmax(st[2], fmax(fmax(m[0], m[1]), fmax(m[2], m[3])));
    return 0;
}
#endif

static void rtn_rows(int use_avx2, const void *w, int dtype, size_t cols, size_t g, int mode, uint8_t *values,
                     uint16_t *scales, uint8_t *zeros, double *stats, uint8_t *status, size_t row_begin, size_t row_end) {
    float *x = malloc(cols * sizeof(float));
    if (x == NULL) abort();
    size_t elem = dtype == VLM_DT_F32 ? 4 : 2, groups = cols / g, row_bytes = mode == VLM_FQ_INT8 ? cols : cols / 2;
    for (size_t r = row_begin; r < row_end; r++) {
        const char *src = (const char *)w + r * cols * elem;
        double *st = stats + 3 * r;
        st[0] = st[1] = st[2] = 0;
        uint8_t *v = values + r * row_bytes;
        uint16_t *sc = scales + r * groups;
        uint8_t *zr = zeros ? zeros + r * groups : NULL;
        if (dtype == VLM_DT_F32) memcpy(x, src, cols * sizeof(float));
        else (use_avx2 ? vlm_widen_half : vlm_widen_half_portable)(src, dtype == VLM_DT_BF16, cols, x, 0, 1);
#if defined(__x86_64__)
        if (use_avx2) { status[r] = (uint8_t)row_avx2(x, cols, g, mode, v, sc, zr, st); continue; }
#endif
        status[r] = (uint8_t)row_portable(x, cols, g, mode, v, sc, zr, st);
    }
    free(x);
}

void vlm_rtn_quantize(const void *w, int dtype, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales,
                      uint8_t *zeros, double *stats, uint8_t *status, size_t row_begin, size_t row_end) {
    rtn_rows(vlm_kernels_use_avx2(), w, dtype, cols, g, mode, values, scales, zeros, stats, status, row_begin, row_end);
}

void vlm_rtn_quantize_portable(const void *w, int dtype, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales,
                               uint8_t *zeros, double *stats, uint8_t *status, size_t row_begin, size_t row_end) {
    rtn_rows(0, w, dtype, cols, g, mode, values, scales, zeros, stats, status, row_begin, row_end);
}
