// Matrix-vector kernels over quantized weights, for decoding. Each has an AVX2+FMA version chosen
// at run time when the CPU has it, and a portable one; both read the weight once, straight from
// storage. Rows [row_begin, row_end) of y are written (accumulated into: y[r] += …).
#ifndef VLM_KERNELS_H
#define VLM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// int8 rows (k signed bytes each), one f16 scale per row: y[r] += scale[r] · Σ w[r,c]·x[c].
void vlm_gemv_int8(const int8_t *w, const uint16_t *scales, size_t k, const float *x, float *y,
                   size_t row_begin, size_t row_end);

/// int4 rows (k/2 bytes each: even column in the low nibble), groups of g columns with an f16
/// scale and a zero-point (zeros == NULL: 8). x_even/x_odd are x's even and odd columns;
/// group_sums[gi] = Σ x over group gi. y[r] += Σ_g s·(Σ u·x − z·group_sum).
void vlm_gemv_int4(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                   const float *x_even, const float *x_odd, const float *group_sums, float *y,
                   size_t row_begin, size_t row_end);

/// Half-precision rows (k values each, IEEE f16 when bf16 == 0, bfloat16 otherwise):
/// y[r] += Σ w[r,c]·x[c], each weight widened exactly to f32.
void vlm_gemv_half(const uint16_t *w, int bf16, size_t k, const float *x, float *y, size_t row_begin, size_t row_end);

/// f32 rows: y[r] += Σ w[r,c]·x[c].
void vlm_gemv_f32(const float *w, size_t k, const float *x, float *y, size_t row_begin, size_t row_end);

/// Widens rows [row_begin, row_end) of a half-precision matrix (f16, or bf16 when bf16 ≠ 0) to f32
/// into out (row-major, k per row). w may sit at any byte offset.
void vlm_widen_half(const void *w, int bf16, size_t k, float *out, size_t row_begin, size_t row_end);

/// 1 when the AVX2+FMA versions are in use (for benchmark reports). VLMKIT_KERNELS=portable in the
/// environment (read at the first call) selects the portable versions on any CPU.
int vlm_kernels_use_avx2(void);

/// The portable versions themselves (what CPUs without AVX2, e.g. ARM, run), same contracts.
void vlm_gemv_int8_portable(const int8_t *w, const uint16_t *scales, size_t k, const float *x, float *y,
                            size_t row_begin, size_t row_end);
void vlm_gemv_int4_portable(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g,
                            const float *x_even, const float *x_odd, const float *group_sums, float *y,
                            size_t row_begin, size_t row_end);
void vlm_gemv_half_portable(const uint16_t *w, int bf16, size_t k, const float *x, float *y, size_t row_begin, size_t row_end);
void vlm_gemv_f32_portable(const float *w, size_t k, const float *x, float *y, size_t row_begin, size_t row_end);
void vlm_widen_half_portable(const void *w, int bf16, size_t k, float *out, size_t row_begin, size_t row_end);

/// Integer-dot kernels (q8dot.c). The activation row x[k] is first rounded by vlm_quantize_q8 to
/// 8 bits per block of VLM_Q8_BLOCK columns: xq[ceil(k/32)·32] (the last block zero-padded),
/// xd[b] = max|x over block b| / 127, xq = round-half-even(x / xd) in ±127, and xds[b] = xd[b]·Σ xq
/// over the block (for zero-points). Kernels then sum weight × xq products per block in integers.
/// order VLM_Q8_COLUMN_ORDER keeps each block's columns in order (for int8 weights);
/// VLM_Q8_NIBBLE_ORDER stores its 16 even columns, then its 16 odd ones — the order of an int4
/// block's low, then high nibbles, which the int4 kernels require.
enum { VLM_Q8_BLOCK = 32, VLM_Q8_COLUMN_ORDER = 0, VLM_Q8_NIBBLE_ORDER = 1 };
void vlm_quantize_q8(const float *x, size_t k, int order, int8_t *xq, float *xd, float *xds);

/// m activation rows, each rounded by vlm_quantize_q8 and stored one after another (row i at
/// xq + i·B·32, xd + i·B, xds + i·B with B = ceil(k/32) blocks); output row i at y + i·ldy.
/// Weight rows [row_begin, row_end) are computed.
///
/// int8 weight rows, one f16 scale per row: y[i,r] += scale[r] · Σ_b xd[b] · Σ_{c in b} w[r,c]·xq[c].
/// Stored weights must lie in ±127 (as RTN writes them).
void vlm_gemm_int8_q8(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq, const float *xd,
                      float *y, size_t ldy, size_t row_begin, size_t row_end);
/// int4 weight rows as vlm_gemv_int4, group size g a multiple of 32 (so k is too), activations
/// rounded in VLM_Q8_NIBBLE_ORDER: y[i,r] += Σ_b s·xd[b]·Σ_{c in b} u·xq − Σ_b s·z·xds[b]
/// (s, z the scale and zero-point of block b's group).
void vlm_gemm_int4_q8(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                      const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy, size_t row_begin, size_t row_end);
void vlm_gemm_int8_q8_portable(const int8_t *w, const uint16_t *scales, size_t k, size_t m, const int8_t *xq,
                               const float *xd, float *y, size_t ldy, size_t row_begin, size_t row_end);
void vlm_gemm_int4_q8_portable(const uint8_t *w, const uint16_t *scales, const uint8_t *zeros, size_t k, size_t g, size_t m,
                               const int8_t *xq, const float *xd, const float *xds, float *y, size_t ldy,
                               size_t row_begin, size_t row_end);
/// What the integer-dot kernels run here: "avx2", "neon-dotprod", "neon" or "portable".
const char *vlm_q8_kernel_name(void);

/// Fake quantization (RTN, then dequantized to f32) of rows [row_begin, row_end) of a row-major
/// matrix with `cols` columns in groups of g (int8: g = cols). Per element, in this order:
/// x = w·col_scale[c] (col_scale may be NULL), x clamped to ±clip[r·(cols/g) + group] (clip may be
/// NULL), rounded as RTNQuantizer does (f16 scale, ties to even), dequantized, divided by
/// col_scale[c]. Returns −1, or the first row whose input is not finite (*kind = VLM_FQ_NONFINITE)
/// or whose scale overflows f16 (*kind = VLM_FQ_OVERFLOW).
enum { VLM_FQ_INT8 = 0, VLM_FQ_INT4_SYM = 1, VLM_FQ_INT4_ASYM = 2 };
enum { VLM_FQ_NONFINITE = 1, VLM_FQ_OVERFLOW = 2 };
int64_t vlm_fake_quant(const float *w, const float *col_scale, const float *clip, size_t cols, size_t g, int mode,
                       float *out, size_t row_begin, size_t row_end, int *kind);
int64_t vlm_fake_quant_portable(const float *w, const float *col_scale, const float *clip, size_t cols, size_t g, int mode,
                                float *out, size_t row_begin, size_t row_end, int *kind);

/// The packing quantizer (rtnpack.c): RTN of rows [row_begin, row_end) of a row-major matrix with
/// `cols` columns stored as dtype (VLM_DT_F32, VLM_DT_F16, VLM_DT_BF16), in groups of g (int8:
/// g = cols; int4: g even), into the stored bytes exactly as RTNQuantizer.quantize writes them:
/// values (int8: a byte per weight, row r at r·cols; int4: two per byte, even column in the low
/// nibble, row r at r·cols/2), f16 scales (one per group), zeros (int4 asymmetric; NULL otherwise).
/// Per row, stats[3r…3r+2] = Σ(w − ŵ)², Σw², max|w − ŵ| (double; summation order fixed per row and
/// path) and status[r] = 0, VLM_FQ_NONFINITE or VLM_FQ_OVERFLOW (the row's other outputs are then
/// unspecified).
enum { VLM_DT_F32 = 0, VLM_DT_F16 = 1, VLM_DT_BF16 = 2 };
void vlm_rtn_quantize(const void *w, int dtype, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales,
                      uint8_t *zeros, double *stats, uint8_t *status, size_t row_begin, size_t row_end);
void vlm_rtn_quantize_portable(const void *w, int dtype, size_t cols, size_t g, int mode, uint8_t *values, uint16_t *scales,
                               uint8_t *zeros, double *stats, uint8_t *status, size_t row_begin, size_t row_end);

/// Vectorized exp and what uses it (activations.c), the float twins of ReferenceRuntime's Kernels
/// (Double arithmetic, the oracle). vlm_softmax: p[0..<n] ← softmax(p), in place (max subtracted,
/// float sums). vlm_activation: x ← f(x) for f = SiLU x·σ(x), quick_gelu x·σ(1.702x) or tanh-GELU
/// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). vlm_mul_silu: u ← u · SiLU(g).
enum { VLM_ACT_SILU = 0, VLM_ACT_QUICK_GELU = 1, VLM_ACT_GELU_TANH = 2 };
void vlm_softmax(float *p, size_t n);
void vlm_activation(float *x, size_t n, int kind);
void vlm_mul_silu(float *u, const float *g, size_t n);
void vlm_softmax_portable(float *p, size_t n);
void vlm_activation_portable(float *x, size_t n, int kind);
void vlm_mul_silu_portable(float *u, const float *g, size_t n);

/// One query row of attention (attention.c): scores[j] = scale · q·k_j for the `visible` key rows
/// k_j = k + j·kv_stride (hd values each), softmax over them (vlm_softmax), out[0..<hd] = Σ_j
/// scores[j] · v_j. scores holds `visible` floats of scratch (the probabilities afterwards).
void vlm_attend_row(const float *q, const float *k, const float *v, size_t visible, size_t hd, size_t kv_stride,
                    float scale, float *scores, float *out);
void vlm_attend_row_portable(const float *q, const float *k, const float *v, size_t visible, size_t hd, size_t kv_stride,
                             float scale, float *scores, float *out);

/// Returns freed heap pages to the system (glibc's malloc_trim; nothing elsewhere). Long
/// streaming jobs call it between layers so that per-thread arenas do not keep old peaks.
void vlm_release_free_memory(void);

/// Returns *counter and adds 1, atomically (C11, relaxed): how worker threads claim pieces of work.
long vlm_atomic_next(long *counter);

#endif
