// Convolution kernels (MedNN); see msr_kernels.h for how the per-ISA copies are chosen.
#ifndef MSR_CONV_H
#define MSR_CONV_H

#ifdef __cplusplus
extern "C" {
#endif

/// Depthwise convolution of one `rows × cols` plane with a `k × k` kernel `w` (row-major),
/// `stride`, zero padding `pad`, plus `bias`, into the `oh × ow` plane `out`. Each output sums
/// its taps in (ky, kx) order starting from the bias (PyTorch `Conv2d(groups=C)`, one channel).
void msr_depthwise_plane(const float *in, long rows, long cols, const float *w, long k, long stride, long pad,
                         float bias, float *out, long oh, long ow);

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

#ifdef __cplusplus
}
#endif
#endif
