// AVX2 integer-dot kernels (contracts in vlm_kernels.h): products of unsigned × signed bytes
// summed in pairs by maddubs, in quadruples by madd, then scaled once per block of 32 columns.
//
// Up to TILE activation rows share each pass over a weight row (each weight block is loaded and,
// for int4, unpacked once for all of them). Weight rows go in panels of PANEL: a tile of
// activations stays in L1 while the panel's rows pass, then the next tile meets them in L2. Every
// output element is summed in the same order whatever the tile height, row range or thread.
#include "q8dot_internal.h"
#include "simd_x86.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define TILE 4
#define PANEL 16
// Weight bytes are prefetched this far ahead of the row being read (measured: +7 % decoding).
#define PREFETCH 2048
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE __attribute__((always_inline)) static inline

// ---------------------------------------------------------------- int8 weights
// Σ over one block of int8 w × int8 x, as 8 int32 lanes converted to float. Signed products go
// through maddubs (one operand must be unsigned) as |w| times x carrying w's sign; w is never
// −128 (stored int8 weights lie in ±127).
AVX2 INLINE __m256 dot_i8_block(__m256i w, __m256i aw, const int8_t *x) {
    __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x), w));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

// Two accumulators per activation row (even and odd blocks) hide the FMA latency.
AVX2 INLINE void int8_rows(const int8_t *w, float scale, size_t k, size_t t, const int8_t *xq, const float *xd,
                           size_t blocks, float *y, size_t ldy) {
    __m256 a0[TILE], a1[TILE];
    for (size_t i = 0; i < TILE; i++) a0[i] = a1[i] = _mm256_setzero_ps();
    size_t full = k / QB, b = 0;
    for (; b + 2 <= full; b += 2) {
        _mm_prefetch((const char *)(w + b * QB + PREFETCH), _MM_HINT_T0);
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + b * QB)), w1 = _mm256_loadu_si256((const __m256i *)(w + b * QB + QB));
        __m256i aw0 = _mm256_sign_epi8(w0, w0), aw1 = _mm256_sign_epi8(w1, w1);
        for (size_t i = 0; i < t; i++) {
            const int8_t *x = xq + i * blocks * QB + b * QB;
            const float *d = xd + i * blocks + b;
            a0[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(d), dot_i8_block(w0, aw0, x), a0[i]);
            a1[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(d + 1), dot_i8_block(w1, aw1, x + QB), a1[i]);
        }
    }
    if (b < full) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + b * QB)), aw0 = _mm256_sign_epi8(w0, w0);
        for (size_t i = 0; i < t; i++)
            a0[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(xd + i * blocks + b), dot_i8_block(w0, aw0, xq + i * blocks * QB + b * QB), a0[i]);
    }
    for (size_t i = 0; i < t; i++) {
        float s = vlm_hsum8(_mm256_add_ps(a0[i], a1[i]));
        if (full * QB < k)
            s += xd[i * blocks + full] * (float)q8_dot_i8(w + full * QB, xq + i * blocks * QB + full * QB, k - full * QB);
        y[i * ldy] += scale * s;
    }
}

// ---------------------------------------------------------------- int4 weights
// The scales and zero-points of blocks b…b+7 of one weight row (b a multiple of 8, b + 8 ≤ blocks),
// one lane per block, for groups of per blocks with per 1, 2, 4 or a multiple of 8 (lanes_ok).
static inline int lanes_ok(size_t per) { return per == 1 || per == 2 || per == 4 || per % 8 == 0; }

AVX2 INLINE void group_lanes(const uint16_t *scales, const uint8_t *zeros, size_t b, size_t per, __m256 *s, __m256 *z) {
    size_t g = b / per;
    if (per == 1) {
        *s = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + g)));
        if (zeros) *z = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(zeros + g))));
    } else if (per == 2 || per == 4) {   // 4 or 2 groups, each spread over per lanes
        __m256i lane = per == 2 ? _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3) : _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
        __m128i sv, zv = _mm_setzero_si128();
        if (per == 2) {
            sv = _mm_loadl_epi64((const __m128i *)(scales + g));
            if (zeros) { uint32_t v; memcpy(&v, zeros + g, 4); zv = _mm_cvtsi32_si128((int)v); }
        } else {
            uint32_t v; memcpy(&v, scales + g, 4); sv = _mm_cvtsi32_si128((int)v);
            if (zeros) { uint16_t u; memcpy(&u, zeros + g, 2); zv = _mm_cvtsi32_si128(u); }
        }
        *s = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(sv), lane);
        if (zeros) *z = _mm256_permutevar8x32_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(zv)), lane);
    } else {                             // one group covers the 8 blocks
        *s = _mm256_set1_ps(_cvtsh_ss(scales[g]));
        if (zeros) *z = _mm256_set1_ps((float)zeros[g]);
    }
    if (!zeros) *z = _mm256_set1_ps(8.0f);
}

// One weight row's scale (sb) and scale × zero-point (zb) per block of 32 columns.
AVX2 static void expand_scales(const uint16_t *scales, const uint8_t *zeros, size_t per, size_t blocks, float *sb, float *zb) {
    size_t b = 0;
    if (lanes_ok(per))
        for (; b + 8 <= blocks; b += 8) {
            __m256 s, z;
            group_lanes(scales, zeros, b, per, &s, &z);
            _mm256_storeu_ps(sb + b, s);
            _mm256_storeu_ps(zb + b, _mm256_mul_ps(s, z));
        }
    for (; b < blocks; b++) {
        sb[b] = _cvtsh_ss(scales[b / per]);
        zb[b] = sb[b] * (zeros ? (float)zeros[b / per] : 8.0f);
    }
}

// For one activation row against one weight row: sd[b] = s·xd[b] (s the scale of block b's group:
// the block's combined scale); returns the zero-point term Σ_b (s·z)·xds[b]. The weight row's
// scales come expanded per block (sb, zb) or, when sb is NULL, straight from storage — the same
// products either way.
AVX2 INLINE float prepare_row(const float *sb, const float *zb, const uint16_t *scales, const uint8_t *zeros, size_t per,
                              size_t blocks, const float *xd, const float *xds, float *sd) {
    __m256 c = _mm256_setzero_ps();
    size_t b = 0;
    if (lanes_ok(per))   // the same summation order with and without sb
        for (; b + 8 <= blocks; b += 8) {
            __m256 s, zs;
            if (sb != NULL) {
                s = _mm256_loadu_ps(sb + b);
                zs = _mm256_loadu_ps(zb + b);
            } else {
                __m256 z;
                group_lanes(scales, zeros, b, per, &s, &z);
                zs = _mm256_mul_ps(s, z);
            }
            _mm256_storeu_ps(sd + b, _mm256_mul_ps(s, _mm256_loadu_ps(xd + b)));
            c = _mm256_fmadd_ps(zs, _mm256_loadu_ps(xds + b), c);
        }
    float corr = vlm_hsum8(c);
    for (; b < blocks; b++) {
        float s = sb ? sb[b] : _cvtsh_ss(scales[b / per]);
        float zs = sb ? zb[b] : s * (zeros ? (float)zeros[b / per] : 8.0f);
        sd[b] = s * xd[b];
        corr += zs * xds[b];
    }
    return corr;
}

// 16 bytes of nibbles → 32 unsigned bytes: low nibbles (even columns) in the low half, high
// nibbles (odd columns) in the high half — the order VLM_Q8_NIBBLE_ORDER activations are in.
AVX2 INLINE __m256i unpack_u4(const uint8_t *w) {
    __m128i b = _mm_loadu_si128((const __m128i *)w);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(b, 4), b), _mm256_set1_epi8(0x0f));
}

AVX2 INLINE __m256 dot_u4_block(__m256i u, const int8_t *x) {
    __m256i p = _mm256_maddubs_epi16(u, _mm256_loadu_si256((const __m256i *)x));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

AVX2 INLINE void int4_rows(const uint8_t *row, const float *sb, const float *zb, const uint16_t *scales, const uint8_t *zeros,
                           size_t per, size_t blocks, size_t t, const int8_t *xq, const float *xd, const float *xds, float *sd,
                           float *y, size_t ldy) {
    float corr[TILE];
    __m256 a0[TILE], a1[TILE];
    for (size_t i = 0; i < TILE; i++) a0[i] = a1[i] = _mm256_setzero_ps();
    for (size_t i = 0; i < t; i++) corr[i] = prepare_row(sb, zb, scales, zeros, per, blocks, xd + i * blocks, xds + i * blocks, sd + i * blocks);
    size_t b = 0;
    for (; b + 2 <= blocks; b += 2) {
        _mm_prefetch((const char *)(row + b * (QB / 2) + PREFETCH), _MM_HINT_T0);
        __m256i u0 = unpack_u4(row + b * (QB / 2)), u1 = unpack_u4(row + b * (QB / 2) + QB / 2);
        for (size_t i = 0; i < t; i++) {
            const int8_t *x = xq + i * blocks * QB + b * QB;
            const float *d = sd + i * blocks + b;
            a0[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(d), dot_u4_block(u0, x), a0[i]);
            a1[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(d + 1), dot_u4_block(u1, x + QB), a1[i]);
        }
    }
    if (b < blocks) {
        __m256i u0 = unpack_u4(row + b * (QB / 2));
        for (size_t i = 0; i < t; i++)
            a0[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(sd + i * blocks + b), dot_u4_block(u0, xq + i * blocks * QB + b * QB), a0[i]);
    }
    for (size_t i = 0; i < t; i++) y[i * ldy] += vlm_hsum8(_mm256_add_ps(a0[i], a1[i])) - corr[i];
}

// ---------------------------------------------------------------- tiles and drivers
// The tile height as a compile-time constant, so that the accumulators live in registers.
#define INT8_TILE(T)                                                                                                  \
    AVX2 static void int8_tile_##T(const int8_t *w, float scale, size_t k, const int8_t *xq, const float *xd,          \
                                   size_t blocks, float *y, size_t ldy) { int8_rows(w, scale, k, T, xq, xd, blocks, y, ldy); }
#define INT4_TILE(T)                                                                                                  \
    AVX2 static void int4_tile_##T(const uint8_t *row, const float *sb, const float *zb, const uint16_t *scales,       \
                                   const uint8_t *zeros, size_t per, size_t blocks, const int8_t *xq, const float *xd, \
                                   const float *xds, float *sd, float *y, size_t ldy) {                               \
        int4_rows(row, sb, zb, scales, zeros, per, blocks, T, xq, xd, xds, sd, y, ldy);                               \
    }
INT8_TILE(1) INT8_TILE(2) INT8_TILE(3) INT8_TILE(4)
INT4_TILE(1) INT4_TILE(2) INT4_TILE(3) INT4_TILE(4)

typedef void (*int8_tile_fn)(const int8_t *, float, size_t, const int8_t *, const float *, size_t, float *, size_t);
typedef void (*int4_tile_fn)(const uint8_t *, const float *, const float *, const uint16_t *, const uint8_t *, size_t,
                             size_t, const int8_t *, const float *, const float *, float *, float *, size_t);
static const int8_tile_fn int8_tiles[TILE + 1] = {NULL, int8_tile_1, int8_tile_2, int8_tile_3, int8_tile_4};
static const int4_tile_fn int4_tiles[TILE + 1] = {NULL, int4_tile_1, int4_tile_2, int4_tile_3, int4_tile_4};

void vlm_gemm_int8_q8_avx2(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq, const float *xd,
                           float *y, size_t ldy, size_t row_begin, size_t row_end) {
    size_t blocks = (k + QB - 1) / QB;
    for (size_t r0 = row_begin; r0 < row_end; r0 += PANEL)
        for (size_t i = 0; i < m; i += TILE)
            for (size_t r = r0; r < row_end && r < r0 + PANEL; r++)
                int8_tiles[m - i < TILE ? m - i : TILE](w + r * k, f16_to_f32(scales[r]), k, xq + i * blocks * QB,
                                                        xd + i * blocks, blocks, y + i * ldy + r, ldy);
}

void vlm_gemm_int4_q8_avx2(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                           const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy, size_t row_begin,
                           size_t row_end) {
    size_t groups = k / g, blocks = k / QB, per = g / QB;
    // With more than one tile, each panel row's scales are expanded once per block (sb, zb) and
    // met by every tile; with one tile (decoding) they are read straight from storage.
    int expand = m > TILE;
    float *scratch = malloc(sizeof(float) * blocks * (TILE + (expand ? 2 * PANEL : 0)));
    if (scratch == NULL) abort();
    float *sd = scratch, *sbs = scratch + TILE * blocks, *zbs = sbs + PANEL * blocks;
    for (size_t r0 = row_begin; r0 < row_end; r0 += PANEL) {
        size_t r1 = row_end < r0 + PANEL ? row_end : r0 + PANEL;
        for (size_t r = r0; r < r1 && expand; r++)
            expand_scales(scales + r * groups, zeros ? zeros + r * groups : NULL, per, blocks, sbs + (r - r0) * blocks,
                          zbs + (r - r0) * blocks);
        for (size_t i = 0; i < m; i += TILE)
            for (size_t r = r0; r < r1; r++)
                int4_tiles[m - i < TILE ? m - i : TILE](w + r * (k / 2), expand ? sbs + (r - r0) * blocks : NULL,
                                                        expand ? zbs + (r - r0) * blocks : NULL, scales + r * groups,
                                                        zeros ? zeros + r * groups : NULL, per, blocks, xq + i * blocks * QB,
                                                        xd + i * blocks, xds + i * blocks, sd, y + i * ldy + r, ldy);
    }
    free(scratch);
}
#endif
