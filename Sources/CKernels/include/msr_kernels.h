// Numeric kernels in C, for the one reason Swift cannot match: per-function instruction sets.
// Each kernel is compiled three times — for baseline x86-64, for AVX2 + FMA and for AVX-512 —
// and the best copy the CPU runs is chosen at run time (other architectures get the portable
// copy).
#ifndef MSR_KERNELS_H
#define MSR_KERNELS_H

#include <stddef.h>

#include "msr_match.h"    // the template-matching kernels (MedRegistration)
#include "msr_restore.h"  // the restoration baselines (non-local means, median)

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

/// Depthwise convolution of one `rows × cols` plane with a `k × k` kernel `w` (row-major),
/// `stride`, zero padding `pad`, plus `bias`, into the `oh × ow` plane `out`. Each output sums
/// its taps in (ky, kx) order starting from the bias (PyTorch `Conv2d(groups=C)`, one channel).
void msr_depthwise_plane(const float *in, long rows, long cols, const float *w, long k, long stride, long pad,
                         float bias, float *out, long oh, long ow);

/// The copy of the kernels that runs: 0 portable, 1 AVX2 + FMA, 2 AVX-512 (F, DQ, BW, VL),
/// the best this CPU has up to the cap.
int msr_kernels_level(void);

/// The CPU's spin-wait hint (`pause` on x86), for threads waiting on a flag.
static inline void msr_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Caps the level (2 by default; tests run the lower copies with it). Returns the old cap.
int msr_kernels_limit(int level);

/// Direct stride-1 convolution, in three steps (Float):
/// - `msr_conv_pad`: `channels` planes of rows × cols (plane c at src + c·src_stride) into `dst`,
///   zero-padded by `pad` on every side, planes back to back (a caller may pad an image's
///   channels in parts); `msr_conv_clear_slack` zeroes the read slack after an image's last
///   plane. An image takes `msr_conv_padded_size(channels, rows, cols, pad, k)` floats.
/// - `msr_conv_pack`: weights OIHW (`cout × cin × k × k`) into `dst[c][t][o]` (`adjoint` 0), or, for
///   the input gradient (a convolution of the output gradient), into `dst[o][t][c]` with the taps
///   reversed (`adjoint` 1); `dst` holds `cout·cin·k·k` floats.
/// - `msr_conv_rows`: output rows [y0, y1) (each `ow` wide, `pc − k + 1` = ow): plane o at
///   out + o·out_stride gets bias[o] (0 when `bias` is NULL) + Σ_c Σ_ky,kx packed[c][ky·k+kx][o] ·
///   padded[c][y+ky][x+kx], with `pr × pc` padded planes. Each output is summed in the same order
///   (channel, then tap) whatever the rows asked for, so splitting rows over threads changes nothing.
long msr_conv_padded_size(long channels, long rows, long cols, long pad, long k);
void msr_conv_pad(const float *src, long channels, long src_stride, long rows, long cols, long pad, float *dst);
void msr_conv_clear_slack(float *dst, long channels, long rows, long cols, long pad, long k);
void msr_conv_pack(const float *w, long cout, long cin, long k, int adjoint, float *dst);
void msr_conv_rows(const float *padded, long cin, long pr, long pc, long k, const float *packed, long cout,
                   const float *bias, float *out, long out_stride, long ow, long y0, long y1);

/// The weight gradient of the direct convolution, in two steps:
/// - `msr_conv_spread`: one image's output gradient (`cout` planes of oh × ow, plane o at
///   g + o·g_stride) onto the padded-width grid: `dst[o][y·pc + x]`, zero for x ≥ ow and from
///   oh·pc up to `pstride` (a multiple of 16, at least oh·pc), planes `pstride` apart.
/// - `msr_conv_weight_grad`: dw[o][c][ky][kx] += Σ_b Σ_p g[b][o][p] · padded[b][c][p + ky·pc + kx]
///   for jobs [job0, job1) of `msr_conv_weight_jobs(cin, cout)` (a job: one input channel and a
///   block of eight output channels; jobs write disjoint weights). Image b's spread gradient is at
///   g + b·gbatch and its padded planes (from `msr_conv_pad`, `plane` = pr·pc floats each) at
///   padded + b·size. Every weight is summed in the same order whatever the jobs' split.
///   Kernels up to 9×9 (returns −1, doing nothing, for larger ones; 0 otherwise).
void msr_conv_spread(const float *g, long cout, long g_stride, long oh, long ow, long pc, long pstride, float *dst);
long msr_conv_weight_jobs(long cin, long cout);
int msr_conv_weight_grad(const float *g, long pstride, long gbatch, long batch, const float *padded, long size,
                         long plane, long pc, long k, long cin, long cout, long job0, long job1, float *dw);

/// y[i] = tanh(x[i]) for i < n (x and y may be the same); largest error against double-precision
/// tanh about 2e-7. Each result depends only on its value, not on its place in the array (so
/// tanh over bands of a tensor equals tanh over the whole).
void msr_tanh(const float *x, float *y, long n);

/// One Adam step over n single-precision values, as PyTorch computes it: m = m + (1 − β1)(g − m),
/// v = β2·v + (1 − β2)·g², w = w·keep − step·m / (√v / root_c2 + ε), where step = lr / (1 − β1ᵗ),
/// root_c2 = √(1 − β2ᵗ) and keep = 1 − lr·decay (AdamW; 1 for Adam).
void msr_adam(float *w, const float *g, float *m, float *v, long n, float beta1, float beta2, float step,
              float root_c2, float epsilon, float keep);

#ifdef __cplusplus
}
#endif
#endif
