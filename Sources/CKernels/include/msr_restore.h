// Restoration baselines (MedImage's NonLocalMeans and MedianFilter), compiled three times like
// msr_kernels.h (baseline, AVX2 + FMA, AVX-512); the best copy the CPU runs is chosen at run time.
#ifndef MSR_RESTORE_H
#define MSR_RESTORE_H

#ifdef __cplusplus
extern "C" {
#endif

/// scikit-image's `_fast_nl_means_denoising_2d` (Darbon et al. 2008; Froment 2014) for the output
/// rows [row0, row1) of an image of `cols` columns: `padded` is the image reflect-padded by
/// `pad` = offset + distance + 1 on every side, `prows × pcols` pixels of `channels` interleaved
/// doubles. For every shift t (rows −d…d, columns −d…d) the patch distance is the box sum over
/// rows (r − offset, r + offset] and columns (c − offset, c + offset] of
/// Σ_ch (p[x] − p[x + t])² − channels·2·var, clamped at 0 and divided by `h2s2`
/// (channels·h²·s²); a distance above 5 is dropped, else its weight is Schraudolph's fast
/// exp(−distance) (scikit-image's `fast_exp`), halved for the shifts (r, 0), r = −d…d, which
/// scikit-image visits from both sides (t = 0 included). Writes
/// out[(r·cols + c)·channels + ch] for r in [row0, row1). Returns 0, or −1 when out of memory.
int msr_nlm_rows(const double *padded, long prows, long pcols, long channels, long pad, long offset, long distance,
                 double var, double h2s2, long row0, long row1, long cols, float *out);

/// The median of each k × k window (k odd) of a float image reflect-padded by k/2 (`padded`,
/// `pcols` columns), for output rows [row0, row1) of `cols` columns; out row stride `cols`. Returns 0.
int msr_median_rows(const float *padded, long pcols, long k, long row0, long row1, long cols, float *out);

/// A k × k correlation (k odd) of a float image padded by k/2 (`padded`, `pcols` columns) with
/// `kernel` (row-major, k·k), sums in double, for output rows [row0, row1); out row stride `cols`.
/// Returns 0.
int msr_convolve_rows(const float *padded, long pcols, const float *kernel, long k, long row0, long row1, long cols,
                      float *out);

#ifdef __cplusplus
}
#endif
#endif
