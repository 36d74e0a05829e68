// Element-wise kernels (MedNN); see msr_kernels.h for how the per-ISA copies are chosen.
#ifndef MSR_ELEMENTWISE_H
#define MSR_ELEMENTWISE_H

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = tanh(x[i]) for i < n (x and y may be the same); largest error against double-precision
/// tanh about 2e-7. Each result depends only on its value, not on its place in the array (so
/// tanh over bands of a tensor equals tanh over the whole).
void msr_tanh(const float *x, float *y, long n);

#ifdef __cplusplus
}
#endif
#endif
