// Checks every C kernel of Sources/CKernels against a naive oracle, on the CPU it runs on.
// scripts/check-kernels builds it natively (x86: AVX2 and, with VLMKIT_KERNELS=portable, the
// portable C) and cross-compiled for aarch64, run under qemu-user as a core with the dot-product
// extension (NEON sdot) and as one without (plain NEON). Shapes are awkward on purpose: one
// row, odd row counts, columns that do not fill a block of 32 or a SIMD register, several groups.
// Exit status 0 when every kernel agrees with the oracle; the first disagreement is printed.
#include "vlm_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {   // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float uniform(void) { return (float)((next_u64() >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }

// f32 → f16 (ties to even) for test data; values below the normal f16 range become zero.
static uint16_t to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    if (e <= 0) return (uint16_t)sign;
    uint32_t h = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}
static double from_f16(uint16_t h) {
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? m * pow(2, -24) : (1024 + m) * pow(2, e - 25);
    return (h & 0x8000) ? -v : v;
}

static int failures = 0;
static void expect_close(const char *what, size_t k, size_t n, const float *got, const double *want, const double *mag) {
    for (size_t r = 0; r < n; r++) {
        double tol = 1e-5 * mag[r] + 1e-6;
        if (!(fabs(got[r] - want[r]) <= tol)) {
            if (failures++ < 5)
                fprintf(stderr, "kernel_check: %s k=%zu row %zu: got %.9g, oracle %.9g (tolerance %.3g)\n", what, k, r, got[r], want[r], tol);
            return;
        }
    }
}

// The oracle of vlm_quantize_q8, written from its contract.
static void naive_q8(const float *x, size_t k, int8_t *q, float *d) {
    for (size_t b = 0; b * 32 < k; b++) {
        float amax = 0;
        for (size_t c = b * 32; c < k && c < b * 32 + 32; c++) amax = fmaxf(amax, fabsf(x[c]));
        d[b] = amax / 127.0f;
        for (size_t c = b * 32; c < b * 32 + 32; c++) {
            float v = c < k && d[b] > 0 ? x[c] * (1.0f / d[b]) : 0.0f;
            double t = nearbyint((double)v);
            q[c] = (int8_t)(t > 127 ? 127 : t < -127 ? -127 : t);
        }
    }
}

static void check_shape(size_t n, size_t k, size_t g) {
    size_t blocks = (k + 31) / 32, groups = k / g;
    float *x = malloc(k * sizeof(float)), *xd = malloc(blocks * sizeof(float)), *xds = malloc(blocks * sizeof(float));
    int8_t *xq = malloc(blocks * 32), *nq = malloc(blocks * 32);
    float *nd = malloc(blocks * sizeof(float)), *y = malloc(n * sizeof(float));
    double *want = malloc(n * sizeof(double)), *mag = malloc(n * sizeof(double));
    int8_t *w8 = malloc(n * k);
    uint8_t *w4 = malloc(n * k / 2 + 1), *zeros = malloc(n * groups + 1);
    uint16_t *s8 = malloc(n * 2), *s4 = malloc(n * groups * 2 + 2), *half = malloc(n * k * 2);
    for (size_t c = 0; c < k; c++) x[c] = uniform() * (c % 7 == 0 ? 8.0f : 1.0f);
    for (size_t i = 0; i < n * k; i++) w8[i] = (int8_t)((int)(next_u64() % 255) - 127);
    for (size_t i = 0; i < n * k / 2; i++) w4[i] = (uint8_t)next_u64();
    for (size_t r = 0; r < n; r++) s8[r] = to_f16(0.001f + fabsf(uniform()) * 0.01f);
    for (size_t i = 0; i < n * groups; i++) { s4[i] = to_f16(0.001f + fabsf(uniform()) * 0.05f); zeros[i] = (uint8_t)(next_u64() % 16); }
    for (size_t i = 0; i < n * k; i++) half[i] = to_f16(uniform());

    // Activation rounding: exact agreement with the oracle.
    vlm_quantize_q8(x, k, VLM_Q8_COLUMN_ORDER, xq, xd, xds);
    naive_q8(x, k, nq, nd);
    if (memcmp(xq, nq, blocks * 32) != 0 || memcmp(xd, nd, blocks * sizeof(float)) != 0) {
        if (failures++ < 5) fprintf(stderr, "kernel_check: vlm_quantize_q8 k=%zu differs from the oracle\n", k);
    }
    // Nibble order: the same values, each block's even columns first.
    int8_t *pq = malloc(blocks * 32);
    float *pd = malloc(blocks * sizeof(float)), *pds = malloc(blocks * sizeof(float));
    vlm_quantize_q8(x, k, VLM_Q8_NIBBLE_ORDER, pq, pd, pds);
    for (size_t c = 0; c < blocks * 32; c++)
        if (pq[(c / 32) * 32 + (c % 2) * 16 + (c % 32) / 2] != nq[c]) {
            if (failures++ < 5) fprintf(stderr, "kernel_check: vlm_quantize_q8 nibble order k=%zu column %zu\n", k, c);
            break;
        }
    if (memcmp(pd, xd, blocks * sizeof(float)) != 0 || memcmp(pds, xds, blocks * sizeof(float)) != 0)
        if (failures++ < 5) fprintf(stderr, "kernel_check: vlm_quantize_q8 nibble-order scales k=%zu\n", k);
    free(pq); free(pd); free(pds);
    for (size_t b = 0; b < blocks; b++) {
        int s = 0;
        for (int c = 0; c < 32; c++) s += xq[b * 32 + c];
        if (xds[b] != xd[b] * (float)s && failures++ < 5) fprintf(stderr, "kernel_check: xds k=%zu block %zu\n", k, b);
    }

    // m activation rows at once (1: decoding; more: prefill tiles, also a partial tile).
    for (size_t mi = 0, m = 1; mi < 3; m = (size_t[]){3, 6, 0}[mi++]) {
        int8_t *mq = malloc(m * blocks * 32), *mp = malloc(m * blocks * 32);
        float *md = malloc(m * blocks * sizeof(float)), *mds = malloc(m * blocks * sizeof(float)), *my = malloc(m * n * sizeof(float));
        double *mwant = malloc(m * n * sizeof(double)), *mmag = malloc(m * n * sizeof(double));
        float *mx = malloc(k * sizeof(float));
        for (size_t i = 0; i < m; i++) {
            for (size_t c = 0; c < k; c++) mx[c] = uniform() * (float)(i + 1);
            vlm_quantize_q8(mx, k, VLM_Q8_COLUMN_ORDER, mq + i * blocks * 32, md + i * blocks, mds + i * blocks);
            vlm_quantize_q8(mx, k, VLM_Q8_NIBBLE_ORDER, mp + i * blocks * 32, md + i * blocks, mds + i * blocks);
        }
        char what[64];
        // int8 × q8.
        for (size_t i = 0; i < m; i++)
            for (size_t r = 0; r < n; r++) {
                double acc = 0, mg = 0;
                for (size_t c = 0; c < k; c++) {
                    double t = from_f16(s8[r]) * w8[r * k + c] * (double)md[i * blocks + c / 32] * mq[i * blocks * 32 + c];
                    acc += t; mg += fabs(t);
                }
                mwant[i * n + r] = acc; mmag[i * n + r] = mg;
            }
        for (int p = 0; p < 2; p++) {
            for (size_t j = 0; j < m * n; j++) my[j] = 0;
            (p ? vlm_gemm_int8_q8_portable : vlm_gemm_int8_q8)(w8, s8, k, m, mq, md, my, n, 0, n);
            snprintf(what, sizeof what, "int8 q8%s m=%zu", p ? " portable" : "", m);
            expect_close(what, k, m * n, my, mwant, mmag);
            float *alone = malloc(n * sizeof(float));
            for (size_t i = 0; i < m; i++) {
                for (size_t r = 0; r < n; r++) alone[r] = 0;
                (p ? vlm_gemm_int8_q8_portable : vlm_gemm_int8_q8)(w8, s8, k, 1, mq + i * blocks * 32, md + i * blocks, alone, n, 0, n);
                if (memcmp(alone, my + i * n, n * sizeof(float)) != 0 && failures++ < 5)
                    fprintf(stderr, "kernel_check: %s k=%zu row %zu alone differs from the tile\n", what, k, i);
            }
            free(alone);
        }
        // int4 × q8, with zero-points and without (8).
        for (int withZeros = 0; withZeros < 2 && g % 32 == 0 && k % g == 0; withZeros++) {
            for (size_t i = 0; i < m; i++)
                for (size_t r = 0; r < n; r++) {
                    double acc = 0, mg = 0;
                    for (size_t c = 0; c < k; c++) {
                        uint8_t byte = w4[(r * k + c) / 2];
                        int u = c % 2 == 0 ? byte & 0x0f : byte >> 4;
                        int z = withZeros ? zeros[r * groups + c / g] : 8;
                        double t = from_f16(s4[r * groups + c / g]) * (u - z) * (double)md[i * blocks + c / 32] * mq[i * blocks * 32 + c];
                        acc += t; mg += fabs(t);
                    }
                    mwant[i * n + r] = acc; mmag[i * n + r] = mg;
                }
            for (int p = 0; p < 2; p++) {
                for (size_t j = 0; j < m * n; j++) my[j] = 0;
                (p ? vlm_gemm_int4_q8_portable : vlm_gemm_int4_q8)(w4, s4, withZeros ? zeros : NULL, k, g, m, mp, md, mds, my, n, 0, n);
                snprintf(what, sizeof what, "int4 q8%s%s m=%zu", p ? " portable" : "", withZeros ? " zeros" : "", m);
                expect_close(what, k, m * n, my, mwant, mmag);
                // Each activation row alone gives the same bits as within the tile.
                float *alone = malloc(n * sizeof(float));
                for (size_t i = 0; i < m; i++) {
                    for (size_t r = 0; r < n; r++) alone[r] = 0;
                    (p ? vlm_gemm_int4_q8_portable : vlm_gemm_int4_q8)(w4, s4, withZeros ? zeros : NULL, k, g, 1, mp + i * blocks * 32,
                                                                     md + i * blocks, mds + i * blocks, alone, n, 0, n);
                    if (memcmp(alone, my + i * n, n * sizeof(float)) != 0 && failures++ < 5)
                        fprintf(stderr, "kernel_check: %s k=%zu row %zu alone differs from the tile\n", what, k, i);
                }
                free(alone);
            }
        }
        free(mq); free(mp); free(md); free(mds); free(my); free(mwant); free(mmag); free(mx);
    }
    // The float-activation kernels (the exact path), on the same CPU.
    for (size_t r = 0; r < n; r++) {
        double acc = 0, m = 0;
        for (size_t c = 0; c < k; c++) { double t = from_f16(s8[r]) * w8[r * k + c] * x[c]; acc += t; m += fabs(t); }
        want[r] = acc; mag[r] = m;
    }
    for (size_t r = 0; r < n; r++) y[r] = 0;
    vlm_gemv_int8(w8, s8, k, x, y, 0, n);
    expect_close("int8 float", k, n, y, want, mag);
    for (size_t r = 0; r < n; r++) {
        double acc = 0, m = 0;
        for (size_t c = 0; c < k; c++) { double t = from_f16(half[r * k + c]) * x[c]; acc += t; m += fabs(t); }
        want[r] = acc; mag[r] = m;
    }
    for (size_t r = 0; r < n; r++) y[r] = 0;
    vlm_gemv_half(half, 0, k, x, y, 0, n);
    expect_close("f16 float", k, n, y, want, mag);

    free(x); free(xd); free(xds); free(xq); free(nq); free(nd); free(y); free(want); free(mag);
    free(w8); free(w4); free(zeros); free(s8); free(s4); free(half);
}

int main(void) {
    const size_t shapes[][3] = {{1, 32, 32}, {3, 64, 32}, {7, 96, 32}, {5, 128, 128}, {2, 256, 64}, {9, 45, 45},
                                {4, 1000, 40}, {17, 4304, 16}, {6, 4096, 128}, {33, 160, 32},
                                {3, 4096, 256}, {2, 768, 96}, {5, 352, 32}, {3, 320, 64}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) check_shape(shapes[i][0], shapes[i][1], shapes[i][2]);
    printf("kernel_check: %s kernels, %zu shapes: %s\n", vlm_q8_kernel_name(), sizeof shapes / sizeof shapes[0],
           failures ? "FAILED" : "all agree with the oracle");
    return failures ? 1 : 0;
}
