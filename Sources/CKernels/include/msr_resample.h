// Resampling kernels (MedImage, MedIO); see msr_kernels.h for how the per-ISA copies are chosen.
#ifndef MSR_RESAMPLE_H
#define MSR_RESAMPLE_H

#ifdef __cplusplus
extern "C" {
#endif

/// Pillow's 8-bit resampling pass as row sums: for each output line o, over `width` samples,
/// dst[o·width + j] = clip8((2²¹ + Σᵢ weights[o·taps + i] · src[(first[o] + i)·width + j]) >> 22)
/// with 32-bit wrapping sums (Pillow's `ImagingResampleVertical_8bpc` arithmetic, bit for bit).
void msr_row_sums8(const unsigned char *src, long width, const long *first, const long *count,
                   const int *weights, long taps, long out_lines, unsigned char *dst);

/// `dst` (cols × rows) = the transpose of the `rows × cols` byte image `src`. 16×16 blocks are
/// transposed in SSE2 registers (baseline x86-64, so one copy serves every CPU); the edges byte by byte.
void msr_transpose8(const unsigned char *src, long rows, long cols, unsigned char *dst);

/// The same for 16-bit values (8×8 blocks in SSE2 registers; any 16-bit type, bits untouched).
void msr_transpose16(const unsigned short *src, long rows, long cols, unsigned short *dst);

#ifdef __cplusplus
}
#endif
#endif
