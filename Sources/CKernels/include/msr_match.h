// Template-matching kernels for MedRegistration (compiled three times like msr_kernels.h: baseline,
// AVX2 + FMA, AVX-512; the best copy the CPU runs is chosen at run time).
#ifndef MSR_MATCH_H
#define MSR_MATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/// Over the `rows × cols` window at `img` (row stride `stride`) and the template `t` (row stride
/// `cols`), with v = pixel − `offset`: out[0] = Σv, out[1] = Σv², out[2] = Σv·t. Each row is summed
/// in eight float lanes, rows in double.
void msr_match_sums(const float *img, long stride, const float *t, long rows, long cols, float offset, double *out);

/// The same for detail: v = the 4-neighbour Laplacian p − (left + right + up + down)/4 of the
/// window's interior ((rows − 2) × (cols − 2) pixels, so `img` points at the window's corner and
/// its rows and columns 0 and last are read as neighbours only), against `band` (row stride
/// cols − 2). rows, cols ≥ 3.
void msr_match_detail_sums(const float *img, long stride, const float *band, long rows, long cols, double *out);

/// dst[j·cols + i] = the mean of the `factor × factor` block of `src` (row stride `stride`) whose
/// corner is (i·factor, j·factor), for j < rows, i < cols. `acc` holds cols·factor floats.
void msr_block_means(const float *src, long stride, long factor, long rows, long cols, float *dst, float *acc);

#ifdef __cplusplus
}
#endif
#endif
