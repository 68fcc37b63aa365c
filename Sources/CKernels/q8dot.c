// Integer-dot matrix-vector kernels: the activation row is rounded to 8 bits per block of 32
// columns (a float scale per block, like llama.cpp's Q8_0), and each weight block's products are
// summed in integers (AVX2 maddubs, NEON sdot, or plain C), then scaled once per block.
// Contracts in vlm_kernels.h; the float-activation kernels (gemv.c) stay the exact path.
#include "vlm_kernels.h"
#include "half.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif
#endif

#define QB VLM_Q8_BLOCK

// ---------------------------------------------------------------- activations
void vlm_quantize_q8(const float *x, size_t k, int8_t *q, float *d, float *ds) {
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
            q[c0 + c] = (int8_t)iv;
            sum += iv;
        }
        d[b] = scale;
        ds[b] = scale * (float)sum;
    }
}

// ---------------------------------------------------------------- portable
static int32_t dot_i8_generic(const int8_t *a, const int8_t *b, size_t n) {
    int32_t s = 0;
    for (size_t c = 0; c < n; c++) s += (int32_t)a[c] * (int32_t)b[c];
    return s;
}

static float row_int8_q8_generic(const int8_t *w, size_t k, const int8_t *xq, const float *xd) {
    float acc = 0;
    size_t blocks = (k + QB - 1) / QB;
    for (size_t b = 0; b < blocks; b++) {
        size_t n = k - b * QB < QB ? k - b * QB : QB;
        acc += xd[b] * (float)dot_i8_generic(w + b * QB, xq + b * QB, n);
    }
    return acc;
}

// One int4 block of 32 columns (16 bytes, even column in the low nibble) against 32 activations.
static int32_t dot_u4_generic(const uint8_t *w, const int8_t *x) {
    int32_t s = 0;
    for (size_t j = 0; j < QB / 2; j++) s += (int32_t)(w[j] & 0x0f) * x[2 * j] + (int32_t)(w[j] >> 4) * x[2 * j + 1];
    return s;
}

static float row_int4_q8_generic(const uint8_t *row, const uint16_t *scales, const uint8_t *zeros, size_t groups, size_t g,
                                 const int8_t *xq, const float *xd, const float *xds) {
    size_t per = g / QB;
    float acc = 0;
    for (size_t gi = 0; gi < groups; gi++) {
        float dot = 0, zsum = 0;
        for (size_t b = gi * per; b < (gi + 1) * per; b++) {
            dot += xd[b] * (float)dot_u4_generic(row + b * (QB / 2), xq + b * QB);
            zsum += xds[b];
        }
        float z = zeros ? (float)zeros[gi] : 8.0f;
        acc += f16_to_f32(scales[gi]) * (dot - z * zsum);
    }
    return acc;
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
            y[i * ldy + r] += row_int4_q8_generic(w + r * (k / 2), scales + r * groups, zeros ? zeros + r * groups : NULL, groups, g,
                                                  xq + i * blocks * QB, xd + i * blocks, xds + i * blocks);
}

// ---------------------------------------------------------------- AVX2
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// Up to TILE activation rows per pass over a weight row: each weight block is loaded (and, for
// int4, unpacked) once for all of them. Weight rows go in panels of PANEL: one tile of activations
// stays in L1 while the panel's rows (at most 64 KiB) pass, then the next tile meets them in L2.
#define TILE 4
#define PANEL 16

__attribute__((target("avx2,fma"), always_inline)) static inline void rows_int8_q8_avx2(const int8_t *w, float scale, size_t k, size_t t,
                                                                  const int8_t *xq, const float *xd, size_t blocks,
                                                                  float *y, size_t ldy) {
    __m256 acc[TILE];
    for (size_t i = 0; i < TILE; i++) acc[i] = _mm256_setzero_ps();
    size_t full = k / QB;
    for (size_t b = 0; b < full; b++) {
        // Signed int8 products through maddubs (one operand must be unsigned): |w| times x carrying
        // w's sign. w is never −128: stored int8 weights are in ±127.
        __m256i wb = _mm256_loadu_si256((const __m256i *)(w + b * QB));
        __m256i aw = _mm256_sign_epi8(wb, wb);
        for (size_t i = 0; i < t; i++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(xq + i * blocks * QB + b * QB));
            __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(x, wb)), _mm256_set1_epi16(1));
            acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(xd[i * blocks + b]), _mm256_cvtepi32_ps(p), acc[i]);
        }
    }
    for (size_t i = 0; i < t; i++) {
        float s = hsum8(acc[i]);
        if (full * QB < k) s += xd[i * blocks + full] * (float)dot_i8_generic(w + full * QB, xq + i * blocks * QB + full * QB, k - full * QB);
        y[i * ldy] += scale * s;
    }
}

// 16 bytes of nibbles → 32 unsigned bytes in column order (low nibble = even column).
__attribute__((target("avx2,fma"))) static inline __m256i unpack_u4_avx2(const uint8_t *w) {
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m128i b = _mm_loadu_si128((const __m128i *)w);
    __m128i lo = _mm_and_si128(b, mask), hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
    return _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
}

__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void rows_int4_q8_avx2(const uint8_t *row, const uint16_t *scales, const uint8_t *zeros,
                                                                      size_t groups, size_t g, size_t t, const int8_t *xq,
                                                                      const float *xd, const float *xds, size_t blocks,
                                                                      float *y, size_t ldy) {
    size_t per = g / QB;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[TILE];
    float zero_terms[TILE] = {0};
    for (size_t i = 0; i < TILE; i++) acc[i] = _mm256_setzero_ps();
    for (size_t gi = 0; gi < groups; gi++) {
        __m256 gacc[TILE];
        float zsum[TILE] = {0};
        for (size_t i = 0; i < TILE; i++) gacc[i] = _mm256_setzero_ps();
        for (size_t b = gi * per; b < (gi + 1) * per; b++) {
            __m256i u = unpack_u4_avx2(row + b * (QB / 2));
            for (size_t i = 0; i < t; i++) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(xq + i * blocks * QB + b * QB));
                __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), ones);
                gacc[i] = _mm256_fmadd_ps(_mm256_set1_ps(xd[i * blocks + b]), _mm256_cvtepi32_ps(p), gacc[i]);
                zsum[i] += xds[i * blocks + b];
            }
        }
        float s = _cvtsh_ss(scales[gi]);
        float z = zeros ? (float)zeros[gi] : 8.0f;
        for (size_t i = 0; i < t; i++) {
            acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(s), gacc[i], acc[i]);
            zero_terms[i] -= s * z * zsum[i];
        }
    }
    for (size_t i = 0; i < t; i++) y[i * ldy] += hsum8(acc[i]) + zero_terms[i];
}

// The tile height as a compile-time constant, so that the accumulators live in registers.
#define SPECIALISE(NAME, CALL)                                                                                  \
    __attribute__((target("avx2,fma,f16c"))) static void NAME##_1 CALL(1)                                       \
    __attribute__((target("avx2,fma,f16c"))) static void NAME##_2 CALL(2)                                       \
    __attribute__((target("avx2,fma,f16c"))) static void NAME##_3 CALL(3)                                       \
    __attribute__((target("avx2,fma,f16c"))) static void NAME##_4 CALL(4)
#define INT8_TILE(T) (const int8_t *w, float scale, size_t k, const int8_t *xq, const float *xd, size_t blocks, float *y, \
                      size_t ldy) { rows_int8_q8_avx2(w, scale, k, T, xq, xd, blocks, y, ldy); }
#define INT4_TILE(T) (const uint8_t *row, const uint16_t *scales, const uint8_t *zeros, size_t groups, size_t g,            \
                      const int8_t *xq, const float *xd, const float *xds, size_t blocks, float *y, size_t ldy) {             \
        rows_int4_q8_avx2(row, scales, zeros, groups, g, T, xq, xd, xds, blocks, y, ldy); }
SPECIALISE(int8_tile, INT8_TILE)
SPECIALISE(int4_tile, INT4_TILE)

typedef void (*int8_tile_fn)(const int8_t *, float, size_t, const int8_t *, const float *, size_t, float *, size_t);
typedef void (*int4_tile_fn)(const uint8_t *, const uint16_t *, const uint8_t *, size_t, size_t, const int8_t *, const float *,
                             const float *, size_t, float *, size_t);
static const int8_tile_fn int8_tiles[TILE + 1] = {NULL, int8_tile_1, int8_tile_2, int8_tile_3, int8_tile_4};
static const int4_tile_fn int4_tiles[TILE + 1] = {NULL, int4_tile_1, int4_tile_2, int4_tile_3, int4_tile_4};
#endif

// ---------------------------------------------------------------- NEON (aarch64)
#if defined(__aarch64__)
static int neon_has_dotprod(void) {
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
    return 1;   // every Apple silicon core has the dot-product instructions
#else
    return 0;
#endif
}

// 16 signed bytes × 16 signed bytes into 4 int32 lanes, without the dot-product extension.
static inline int32x4_t dot16_i8_neon(int32x4_t acc, int8x16_t a, int8x16_t b) {
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    int16x8_t hi = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}

__attribute__((target("arch=armv8.2-a+dotprod"))) static inline int32x4_t dot16_i8_sdot(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

#define NEON_ROWS(NAME, DOT, ATTR)                                                                                    \
    ATTR static float NAME##_int8(const int8_t *w, size_t k, const int8_t *xq, const float *xd) {                         \
        float32x4_t acc = vdupq_n_f32(0);                                                                             \
        size_t full = k / QB, b = 0;                                                                                  \
        for (; b < full; b++) {                                                                                       \
            int32x4_t p = vdupq_n_s32(0);                                                                             \
            p = DOT(p, vld1q_s8(w + b * QB), vld1q_s8(xq + b * QB));                                                  \
            p = DOT(p, vld1q_s8(w + b * QB + 16), vld1q_s8(xq + b * QB + 16));                                        \
            acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), xd[b]);                                                          \
        }                                                                                                             \
        float s = vaddvq_f32(acc);                                                                                    \
        if (full * QB < k) s += xd[full] * (float)dot_i8_generic(w + full * QB, xq + full * QB, k - full * QB);       \
        return s;                                                                                                     \
    }                                                                                                                 \
    ATTR static float NAME##_int4(const uint8_t *row, const uint16_t *scales, const uint8_t *zeros, size_t groups,        \
                             size_t g, const int8_t *xq, const float *xd, const float *xds) {                         \
        size_t per = g / QB;                                                                                          \
        const uint8x16_t mask = vdupq_n_u8(0x0f);                                                                     \
        float32x4_t acc = vdupq_n_f32(0);                                                                             \
        float zero_terms = 0;                                                                                         \
        for (size_t gi = 0; gi < groups; gi++) {                                                                      \
            float32x4_t gacc = vdupq_n_f32(0);                                                                        \
            float zsum = 0;                                                                                           \
            for (size_t b = gi * per; b < (gi + 1) * per; b++) {                                                      \
                uint8x16_t v = vld1q_u8(row + b * (QB / 2));                                                          \
                uint8x16_t lo = vandq_u8(v, mask), hi = vshrq_n_u8(v, 4);                                             \
                int8x16_t u0 = vreinterpretq_s8_u8(vzip1q_u8(lo, hi)), u1 = vreinterpretq_s8_u8(vzip2q_u8(lo, hi));   \
                int32x4_t p = vdupq_n_s32(0);                                                                         \
                p = DOT(p, u0, vld1q_s8(xq + b * QB));                                                                \
                p = DOT(p, u1, vld1q_s8(xq + b * QB + 16));                                                           \
                gacc = vmlaq_n_f32(gacc, vcvtq_f32_s32(p), xd[b]);                                                    \
                zsum += xds[b];                                                                                       \
            }                                                                                                         \
            float s = f16_to_f32(scales[gi]);                                                                         \
            float z = zeros ? (float)zeros[gi] : 8.0f;                                                                \
            acc = vmlaq_n_f32(acc, gacc, s);                                                                          \
            zero_terms -= s * z * zsum;                                                                               \
        }                                                                                                             \
        return vaddvq_f32(acc) + zero_terms;                                                                          \
    }

#define NEON_PLAIN
#define NEON_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
NEON_ROWS(neon, dot16_i8_neon, NEON_PLAIN)
NEON_ROWS(sdot, dot16_i8_sdot, NEON_DOTPROD)
#endif

// ---------------------------------------------------------------- dispatch
#if defined(__aarch64__)
enum { ISA_PORTABLE, ISA_NEON, ISA_SDOT };
// What this core runs, decided once: VLMKIT_KERNELS=portable forces the portable C here too.
static int neon_isa(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *forced = getenv("VLMKIT_KERNELS");
        cached = forced != NULL && strcmp(forced, "portable") == 0 ? ISA_PORTABLE : neon_has_dotprod() ? ISA_SDOT : ISA_NEON;
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
    size_t blocks = (k + QB - 1) / QB;
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += PANEL)
            for (size_t i = 0; i < m; i += TILE)
                for (size_t r = r0; r < row_end && r < r0 + PANEL; r++)
                    int8_tiles[m - i < TILE ? m - i : TILE](w + r * k, f16_to_f32(scales[r]), k, xq + i * blocks * QB,
                                                            xd + i * blocks, blocks, y + i * ldy + r, ldy);
        return;
    }
#elif defined(__aarch64__)
    if (neon_isa() != ISA_PORTABLE) {
        int dp = neon_isa() == ISA_SDOT;
        for (size_t r = row_begin; r < row_end; r++)
            for (size_t i = 0; i < m; i++) {
                const int8_t *x = xq + i * blocks * QB;
                const float *d = xd + i * blocks;
                y[i * ldy + r] += f16_to_f32(scales[r]) * (dp ? sdot_int8(w + r * k, k, x, d) : neon_int8(w + r * k, k, x, d));
            }
        return;
    }
#endif
    vlm_gemm_int8_q8_portable(w, scales, k, m, xq, xd, y, ldy, row_begin, row_end);
}

void vlm_gemm_int4_q8(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                      const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy, size_t row_begin, size_t row_end) {
    size_t groups = k / g, blocks = k / QB;
#if defined(__x86_64__)
    if (vlm_kernels_use_avx2()) {
        for (size_t r0 = row_begin; r0 < row_end; r0 += PANEL)
            for (size_t i = 0; i < m; i += TILE)
                for (size_t r = r0; r < row_end && r < r0 + PANEL; r++)
                    int4_tiles[m - i < TILE ? m - i : TILE](w + r * (k / 2), scales + r * groups, zeros ? zeros + r * groups : NULL,
                                                            groups, g, xq + i * blocks * QB, xd + i * blocks, xds + i * blocks,
                                                            blocks, y + i * ldy + r, ldy);
        return;
    }
#elif defined(__aarch64__)
    if (neon_isa() != ISA_PORTABLE) {
        int dp = neon_isa() == ISA_SDOT;
        for (size_t r = row_begin; r < row_end; r++) {
            const uint8_t *row = w + r * (k / 2);
            const uint16_t *sc = scales + r * groups;
            const uint8_t *zr = zeros ? zeros + r * groups : NULL;
            for (size_t i = 0; i < m; i++) {
                const int8_t *x = xq + i * blocks * QB;
                const float *d = xd + i * blocks, *ds = xds + i * blocks;
                y[i * ldy + r] += dp ? sdot_int4(row, sc, zr, groups, g, x, d, ds) : neon_int4(row, sc, zr, groups, g, x, d, ds);
            }
        }
        return;
    }
#endif
    vlm_gemm_int4_q8_portable(w, scales, zeros, k, g, m, xq, xd, xds, y, ldy, row_begin, row_end);
}
