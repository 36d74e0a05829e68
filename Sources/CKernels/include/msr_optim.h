// Optimiser kernels (MedNN); see msr_kernels.h for how the per-ISA copies are chosen.
#ifndef MSR_OPTIM_H
#define MSR_OPTIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// One Adam step over n single-precision values, as PyTorch computes it: m = m + (1 − β1)(g − m),
/// v = β2·v + (1 − β2)·g², w = w·keep − step·m / (√v / root_c2 + ε), where step = lr / (1 − β1ᵗ),
/// root_c2 = √(1 − β2ᵗ) and keep = 1 − lr·decay (AdamW; 1 for Adam).
void msr_adam(float *w, const float *g, float *m, float *v, long n, float beta1, float beta2, float step,
              float root_c2, float epsilon, float keep);

#ifdef __cplusplus
}
#endif
#endif
