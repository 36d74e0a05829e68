// Optimiser updates.
#include "msr_kernels.h"
#include "msr_isa.h"

// Adam's update, as PyTorch's single-tensor Adam computes it in float: m = lerp(m, g, 1 − β1),
// v = β2·v + (1 − β2)·g², w ← w·keep, w ← w − step·m / (√v / √c2 + ε).
#define ADAM(NAME, VW)                                                                                               \
    static inline __attribute__((always_inline)) void NAME(float *w, const float *g, float *m, float *v, long n,    \
                                                           const float *k) {                                        \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        const float b1 = k[0], b2 = k[1], step = k[2], root2 = k[3], eps = k[4], keep = k[5];                       \
        long i = 0;                                                                                                 \
        for (; i + VW <= n; i += VW) {                                                                              \
            const vf gi = *(const vf *)(g + i);                                                                     \
            vf mi = *(vf *)(m + i), vi = *(vf *)(v + i);                                                            \
            mi = mi + (1 - b1) * (gi - mi);                                                                         \
            vi = vi * b2 + (1 - b2) * gi * gi;                                                                      \
            *(vf *)(m + i) = mi;                                                                                    \
            *(vf *)(v + i) = vi;                                                                                    \
            const vf denom = __builtin_elementwise_sqrt(vi) / root2 + eps;                                          \
            *(vf *)(w + i) = *(vf *)(w + i) * keep - step * (mi / denom);                                           \
        }                                                                                                           \
        for (; i < n; i++) {                                                                                        \
            m[i] = m[i] + (1 - b1) * (g[i] - m[i]);                                                                 \
            v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];                                                              \
            w[i] = w[i] * keep - step * (m[i] / (__builtin_sqrtf(v[i]) / root2 + eps));                              \
        }                                                                                                           \
    }

ADAM(adam_w4, 4)

#if defined(__x86_64__)
ADAM(adam_w8, 8)
ADAM(adam_w16, 16)

__attribute__((target("avx2,fma"))) static void adam_avx2(float *w, const float *g, float *m, float *v, long n,
                                                          const float *k) {
    adam_w8(w, g, m, v, n, k);
}

__attribute__((target(AVX512), min_vector_width(512))) static void adam_avx512(float *w, const float *g, float *m,
                                                                               float *v, long n, const float *k) {
    adam_w16(w, g, m, v, n, k);
}
#endif

void msr_adam(float *w, const float *g, float *m, float *v, long n, float beta1, float beta2, float step,
              float root_c2, float epsilon, float keep) {
    const float k[6] = {beta1, beta2, step, root_c2, epsilon, keep};
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: adam_avx512(w, g, m, v, n, k); return;
    case 1: adam_avx2(w, g, m, v, n, k); return;
    }
#endif
    adam_w4(w, g, m, v, n, k);
}
