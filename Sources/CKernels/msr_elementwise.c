// Element-wise kernels.
#include "msr_kernels.h"
#include "msr_isa.h"

// ---- tanh ------------------------------------------------------------------------------------
//
// tanh(x) = sign(x) · (1 − 2 / (e^{2|x|} + 1)); e^y by range reduction (y = n ln 2 + r,
// |r| ≤ ln 2 / 2), a degree-7 Taylor polynomial for e^r and 2^n put into the exponent bits;
// below |x| = 0.01, where the formula cancels, the series x − x³/3 + 2x⁵/15.

#define TANH(NAME, VW)                                                                                               \
    static inline __attribute__((always_inline)) void NAME(const float *x, float *y, long n) {                     \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        typedef int vi __attribute__((vector_size(VW * 4), aligned(4)));                                            \
        long i = 0;                                                                                                 \
        float tail[VW];                                                                                             \
        for (; i < n; i += VW) {                                                                                    \
            /* The last partial vector goes through the same vector code (a copy padded with      \
               zeros), so each value's result does not depend on where the array starts or ends. */ \
            const long m = n - i < VW ? n - i : VW;                                                                 \
            if (m < VW) {                                                                                           \
                for (long l = 0; l < VW; l++) tail[l] = l < m ? x[i + l] : 0.0f;                                    \
            }                                                                                                       \
            const vf v = m < VW ? *(const vf *)tail : *(const vf *)(x + i);                                         \
            const vf a = __builtin_elementwise_abs(v);                                                              \
            vf t = 2 * a;                                                                                           \
            const vi big = t > 88.0f; /* a select, not min: NaN stays NaN */                                     \
            t = (vf)(((vi)((vf){0} + 88.0f) & big) | ((vi)t & ~big));                                              \
            const vf nn = (t * 1.4426950408889634f + 12582912.0f) - 12582912.0f;                                    \
            const vf r = t - nn * 0.6931471805599453f;                                                              \
            vf p = (vf){0} + (1.0f / 5040);                                                                         \
            p = p * r + (1.0f / 720);                                                                               \
            p = p * r + (1.0f / 120);                                                                               \
            p = p * r + (1.0f / 24);                                                                                \
            p = p * r + (1.0f / 6);                                                                                 \
            p = p * r + 0.5f;                                                                                       \
            p = p * r + 1;                                                                                          \
            p = p * r + 1;                                                                                          \
            const vi bits = ((vi)(nn + (8388608.0f + 127)) & 0x7FFFFF) << 23;                                       \
            const vf e = p * (vf)bits;                                                                              \
            vf out = 1 - 2 / (e + 1);                                                                               \
            const vf a2 = a * a;                                                                                    \
            const vf series = a * (1 - a2 * (1.0f / 3 - a2 * (2.0f / 15)));                                         \
            const vi small = a < 0.01f;                                                                             \
            out = (vf)(((vi)series & small) | ((vi)out & ~small));                                                  \
            out = (vf)((vi)out | ((vi)v & (vi){0} + (int)0x80000000));  /* the sign of x */                      \
            if (m < VW) {                                                                                           \
                *(vf *)tail = out;                                                                                  \
                for (long l = 0; l < m; l++) y[i + l] = tail[l];                                                    \
            } else {                                                                                                \
                *(vf *)(y + i) = out;                                                                               \
            }                                                                                                       \
        }                                                                                                           \
    }

TANH(tanh_w4, 4)

static void tanh_portable(const float *x, float *y, long n) { tanh_w4(x, y, n); }

#if defined(__x86_64__)
TANH(tanh_w8, 8)
TANH(tanh_w16, 16)

__attribute__((target("avx2,fma"))) static void tanh_avx2(const float *x, float *y, long n) { tanh_w8(x, y, n); }

__attribute__((target(AVX512), min_vector_width(512))) static void tanh_avx512(const float *x, float *y, long n) {
    tanh_w16(x, y, n);
}
#endif

void msr_tanh(const float *x, float *y, long n) {
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: tanh_avx512(x, y, n); return;
    case 1: tanh_avx2(x, y, n); return;
    }
#endif
    tanh_portable(x, y, n);
}
