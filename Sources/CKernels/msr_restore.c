#include "msr_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* scikit-image's fast_exp (skimage/_shared/fast_exp.h; Schraudolph 1999): the high word of a
   double built from a scaled integer, the low word zero. Its error (a few per cent) is part of
   the weights scikit-image computes, so it is reproduced, not replaced by exp. */
static inline double nlm_fast_exp(double y) {
    const int32_t high = (int32_t)(1512775.3951951856938 * y) + 1072632447;
    const uint64_t bits = (uint64_t)(uint32_t)high << 32;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* One band of output rows. Per shift, the squared differences e are summed over 2·offset rows
   (a running sum down the band) into v, then over 2·offset columns into the box sums b for the
   rows and columns both the direct term (pixel q against q + t) and the reverse term (pixel q
   against q − t, scikit-image's second update) read. */
static inline __attribute__((always_inline)) int nlm_rows(const double *restrict padded, long prows, long pcols, long nch,
                                                          long pad, long o, long d, double var, double h2s2, long row0,
                                                          long row1, long cols, float *restrict out) {
    (void)prows;
    const long band = row1 - row0, cw = cols + d;                /* b's columns: [pad − d, pad + cols) */
    const long bl = band + 2 * d;                                /* b's rows: [pad + row0 − d, pad + row1 + d) */
    const long ew = cw + 2 * o;                                  /* v's columns: [pad − d − o + 1, pad + cols + o) */
    double *acc = calloc((size_t)(band * cols * (nch + 1)), sizeof(double));
    double *b = malloc((size_t)(bl * cw) * sizeof(double));
    double *v = malloc((size_t)ew * sizeof(double));
    double *e = malloc((size_t)ew * sizeof(double));
    if (!acc || !b || !v || !e) { free(acc); free(b); free(v); free(e); return -1; }
    double *wsum = acc, *vsum = acc + band * cols;
    const double var2 = 2.0 * var * (double)nch;
    for (long tr = -d; tr <= d; tr++) {
        for (long tc = 0; tc <= d; tc++) {
            const double alpha = tc == 0 ? 0.5 : 1.0;  /* column 0 is visited from both sides */
            /* Rows of b needed: the band (direct) and the band shifted by −tr (reverse). */
            const long lo = tr > 0 ? -tr : 0, hi = band + (tr < 0 ? -tr : 0);
            const long c0 = pad - tc;                               /* first column of b used */
            const long ncols = cols + tc;
            const long vc0 = c0 - o + 1, vn = ncols + 2 * o - 1;  /* v covers [vc0, vc0 + vn) */
            /* e(i, j) for one padded row i over v's columns. */
#define EROW(i)                                                                                      \
    do {                                                                                             \
        const double *restrict pa = padded + ((i) * pcols + vc0) * nch;                              \
        const double *restrict pb = padded + (((i) + tr) * pcols + vc0 + tc) * nch;                  \
        if (nch == 1) {                                                                              \
            for (long j = 0; j < vn; j++) { const double t = pa[j] - pb[j]; e[j] = t * t - var2; }   \
        } else {                                                                                     \
            for (long j = 0; j < vn; j++) {                                                          \
                double s = 0;                                                                        \
                for (long ch = 0; ch < nch; ch++) { const double t = pa[j * nch + ch] - pb[j * nch + ch]; s += t * t; } \
                e[j] = s - var2;                                                                     \
            }                                                                                        \
        }                                                                                            \
    } while (0)
            const long r0 = pad + row0 + lo;                        /* first padded row of b */
            for (long j = 0; j < vn; j++) v[j] = 0;
            for (long i = r0 - o + 1; i <= r0 + o; i++) {
                EROW(i);
                for (long j = 0; j < vn; j++) v[j] += e[j];
            }
            for (long r = lo; r < hi; r++) {
                if (r > lo) {
                    const long pr = pad + row0 + r;
                    EROW(pr + o);
                    for (long j = 0; j < vn; j++) v[j] += e[j];
                    EROW(pr - o);
                    for (long j = 0; j < vn; j++) v[j] -= e[j];
                }
                double *restrict brow = b + (r + d) * cw + (d - tc);
                for (long c = 0; c < ncols; c++) {
                    double s = 0;
                    for (long k = 0; k < 2 * o; k++) s += v[c + k];
                    const double dist = (s > 0 ? s : 0.0) / h2s2;
                    brow[c] = dist > 5.0 ? 0.0 : alpha * nlm_fast_exp(-dist);
                }
            }
#undef EROW
            /* Direct: q with q + t; reverse: q with q − t (box at q − t). */
            for (long r = 0; r < band; r++) {
                const long pr = pad + row0 + r;
                const double *restrict wd = b + (r + d) * cw + d;
                const double *restrict wr = b + (r - tr + d) * cw + d - tc;
                double *restrict ws = wsum + r * cols;
                double *restrict vs = vsum + r * cols * nch;
                const double *restrict qd = padded + ((pr + tr) * pcols + pad + tc) * nch;
                const double *restrict qr = padded + ((pr - tr) * pcols + pad - tc) * nch;
                if (nch == 1) {
                    for (long c = 0; c < cols; c++) {
                        ws[c] += wd[c];
                        vs[c] += wd[c] * qd[c];
                        ws[c] += wr[c];
                        vs[c] += wr[c] * qr[c];
                    }
                } else {
                    for (long c = 0; c < cols; c++) {
                        ws[c] += wd[c];
                        for (long ch = 0; ch < nch; ch++) vs[c * nch + ch] += wd[c] * qd[c * nch + ch];
                        ws[c] += wr[c];
                        for (long ch = 0; ch < nch; ch++) vs[c * nch + ch] += wr[c] * qr[c * nch + ch];
                    }
                }
            }
        }
    }
    for (long r = 0; r < band; r++)
        for (long c = 0; c < cols; c++)
            for (long ch = 0; ch < nch; ch++)
                out[((row0 + r) * cols + c) * nch + ch] = (float)(vsum[(r * cols + c) * nch + ch] / wsum[r * cols + c]);
    free(acc); free(b); free(v); free(e);
    return 0;
}

/* Quickselect of the k-th smallest of n floats (n small), in place. */
static inline float select_kth(float *a, long n, long k) {
    long lo = 0, hi = n - 1;
    while (lo < hi) {
        const float pivot = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (pivot < a[j]) j--;
            if (i <= j) { const float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (k <= j) hi = j; else if (k >= i) lo = i; else return a[k];
    }
    return a[k];
}

static inline __attribute__((always_inline)) int median_rows(const float *restrict padded, long pcols, long k, long row0,
                                                              long row1, long cols, float *restrict out) {
    float window[k * k];
    for (long r = row0; r < row1; r++) {
        for (long c = 0; c < cols; c++) {
            long n = 0;
            for (long i = 0; i < k; i++)
                for (long j = 0; j < k; j++) window[n++] = padded[(r + i) * pcols + c + j];
            out[r * cols + c] = select_kth(window, n, n / 2);
        }
    }
    return 0;
}

/* out[r][c] = Σ_{i,j} kernel[i·k + j] · padded[r + i][c + j], sums in double. */
static inline __attribute__((always_inline)) int convolve_rows(const float *restrict padded, long pcols,
                                                                const float *restrict kernel, long k, long row0,
                                                                long row1, long cols, float *restrict out) {
    double acc[cols];
    for (long r = row0; r < row1; r++) {
        for (long c = 0; c < cols; c++) acc[c] = 0;
        for (long i = 0; i < k; i++) {
            const float *restrict line = padded + (r + i) * pcols;
            for (long j = 0; j < k; j++) {
                const double w = kernel[i * k + j];
                if (w == 0) continue;
                for (long c = 0; c < cols; c++) acc[c] += w * (double)line[c + j];
            }
        }
        for (long c = 0; c < cols; c++) out[r * cols + c] = (float)acc[c];
    }
    return 0;
}

#define COPIES(NAME, RET, BODY, PARAMS, ARGS)                                                                      \
    static RET NAME##_portable PARAMS { return BODY ARGS; }                                                        \
    __attribute__((target("avx2,fma"))) static RET NAME##_avx2 PARAMS { return BODY ARGS; }                        \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"), min_vector_width(512))) static RET      \
        NAME##_avx512 PARAMS { return BODY ARGS; }

#define NLM_PARAMS                                                                                                 \
    (const double *padded, long prows, long pcols, long nch, long pad, long o, long d, double var, double h2s2,     \
     long row0, long row1, long cols, float *out)
#define NLM_ARGS (padded, prows, pcols, nch, pad, o, d, var, h2s2, row0, row1, cols, out)
#define MEDIAN_PARAMS (const float *padded, long pcols, long k, long row0, long row1, long cols, float *out)
#define MEDIAN_ARGS (padded, pcols, k, row0, row1, cols, out)
#define CONV_PARAMS (const float *padded, long pcols, const float *kernel, long k, long row0, long row1, long cols, float *out)
#define CONV_ARGS (padded, pcols, kernel, k, row0, row1, cols, out)

#if defined(__x86_64__)
COPIES(nlm, int, nlm_rows, NLM_PARAMS, NLM_ARGS)
COPIES(median, int, median_rows, MEDIAN_PARAMS, MEDIAN_ARGS)
COPIES(convolve, int, convolve_rows, CONV_PARAMS, CONV_ARGS)
#define DISPATCH(NAME, ARGS)                                                                                       \
    switch (msr_kernels_level()) {                                                                                 \
    case 2: return NAME##_avx512 ARGS;                                                                             \
    case 1: return NAME##_avx2 ARGS;                                                                               \
    default: return NAME##_portable ARGS;                                                                          \
    }
#else
#define DISPATCH(NAME, ARGS) return NAME##_rows ARGS;
#endif

int msr_nlm_rows NLM_PARAMS { DISPATCH(nlm, NLM_ARGS) }

int msr_median_rows MEDIAN_PARAMS { DISPATCH(median, MEDIAN_ARGS) }

int msr_convolve_rows CONV_PARAMS { DISPATCH(convolve, CONV_ARGS) }
