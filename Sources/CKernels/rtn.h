// Round-to-nearest quantization steps shared by the fake quantizer (fakequant.c) and the packing
// quantizer (rtnpack.c), each one IEEE operation as RTNQuantizer.quantize does it, so every path
// gives the Swift oracle's bits. Not part of the public header.
#ifndef VLM_RTN_H
#define VLM_RTN_H

#include "vlm_kernels.h"
#include "half.h"

#include <math.h>
#include <string.h>

// The nearest f16 (ties to even) as bits; beyond f16's range: infinity (inf and NaN pass through).
static inline uint16_t f32_to_f16_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    int exp = (int)((x >> 23) & 0xff);
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
    int e = exp - 127 + 15;
    uint32_t half;
    if (e >= 0x1f) half = 0x7c00;                   // beyond f16: infinity
    else if (e <= 0) {                              // f16 subnormal (or zero)
        if (e < -10) half = 0;
        else {
            mant |= 0x800000;
            int shift = 14 - e;
            uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
            half = mant >> shift;
            if (rem > mid || (rem == mid && (half & 1))) half++;
        }
    } else {
        uint32_t rem = mant & 0x1fff;
        half = ((uint32_t)e << 10) | (mant >> 13);
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;   // a carry may reach infinity
    }
    return (uint16_t)(sign | half);
}

// Round to the nearest f16 and back: the scale a deployed kernel multiplies by.
static inline float round_to_f16(float f) { return isfinite(f) ? f16_to_f32(f32_to_f16_bits(f)) : f; }

// The scale (s, and its f16 bits when bits is not NULL) and zero-point (z) of one group from its
// range; 0 when the scale is not finite (an overflow).
static inline int rtn_group_params(int mode, float lo, float hi, float amax, float *s, float *z, uint16_t *bits) {
    float raw = mode == VLM_FQ_INT8 ? amax / 127.0f : mode == VLM_FQ_INT4_SYM ? amax / 7.0f : fmaxf(hi - lo, 1e-5f) / 15.0f;
    uint16_t b = f32_to_f16_bits(raw);
    *s = f16_to_f32(b);
    if (bits) *bits = b;
    if (!isfinite(*s)) return 0;
    *z = 0;
    if (mode == VLM_FQ_INT4_ASYM && *s > 0) *z = fminf(15.0f, fmaxf(0.0f, nearbyintf(-lo / *s)));
    return 1;
}

// The stored integer of one weight x (int8: −127…127; int4: 0…15 including the zero-point, or
// q + 8 when symmetric, as a float) for scale s > 0.
static inline float rtn_level(int mode, float x, float s, float z) {
    if (mode == VLM_FQ_INT8) return fminf(127.0f, fmaxf(-127.0f, nearbyintf(x / s)));
    if (mode == VLM_FQ_INT4_SYM) return fminf(7.0f, fmaxf(-8.0f, nearbyintf(x / s))) + 8.0f;
    return fminf(15.0f, fmaxf(0.0f, nearbyintf(x / s) + z));
}

#endif
