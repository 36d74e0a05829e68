// SSIM kernels (MedMetrics); see msr_kernels.h for how the per-ISA copies are chosen.
#ifndef MSR_SSIM_H
#define MSR_SSIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// SSIM over one block: rows [r0, r1) × columns [c0, c1) of two `rows × cols` float images,
/// Gaussian window of radius 5 with `weights[0..5]`, borders mirrored (scipy's `reflect`),
/// data shifted by `shift` before the moments, C1 = k1 and C2 = k2, double precision throughout.
/// Writes the block of the map into `map` (row stride `cols`) when it is not NULL. Returns the
/// sum of SSIM over the block's pixels inside [vr0, vr1) × [vc0, vc1).
double msr_ssim_block(const float *x, const float *y, long rows, long cols, long r0, long r1, long c0, long c1,
                      const double *weights, double shift, double k1, double k2, float *map, long vr0, long vr1,
                      long vc0, long vc1);

#ifdef __cplusplus
}
#endif
#endif
