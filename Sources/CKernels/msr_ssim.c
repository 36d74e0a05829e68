// SSIM over one block (Wang et al. 2004): the Gaussian-weighted moments of two float images.
#include "msr_kernels.h"
#include "msr_isa.h"

#include <math.h>
#include <stdlib.h>

#define R 5
#define TAPS 11
/* Ring slots: the eleven rows one output row needs, plus one, so two output rows share a pass. */
#define SLOTS (TAPS + 1)

static inline long reflect(long i, long n) { return i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i); }

static double *aligned_buffer(long count) {
    return aligned_alloc(64, (size_t)((count * (long)sizeof(double) + 63) & ~63L));
}

typedef double v8d __attribute__((vector_size(64)));

/* The horizontal Gaussian of one product row: o[j] = Σₖ w|k| p[j + k], k = −5 … 5, for j < n.
   `p` is 64-byte aligned with at least 8 readable doubles either side of [0, n). Eight outputs
   at a time from three aligned loads, the shifted windows made in registers (a shuffle is
   cheaper than the eleven unaligned loads it replaces, most of which straddle cache lines);
   the same arithmetic, in the same order, as the scalar tail. */
static inline __attribute__((always_inline)) void horizontal(const double *restrict p, long n, double *restrict o,
                                                             const double *wt) {
    const double w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4], w5 = wt[5];
    long j = 0;
    for (; j + 8 <= n; j += 8) {
        const v8d lo = *(const v8d *)(p + j - 8), mid = *(const v8d *)(p + j), hi = *(const v8d *)(p + j + 8);
        const v8d m1 = __builtin_shufflevector(lo, mid, 7, 8, 9, 10, 11, 12, 13, 14);
        const v8d m2 = __builtin_shufflevector(lo, mid, 6, 7, 8, 9, 10, 11, 12, 13);
        const v8d m3 = __builtin_shufflevector(lo, mid, 5, 6, 7, 8, 9, 10, 11, 12);
        const v8d m4 = __builtin_shufflevector(lo, mid, 4, 5, 6, 7, 8, 9, 10, 11);
        const v8d m5 = __builtin_shufflevector(lo, mid, 3, 4, 5, 6, 7, 8, 9, 10);
        const v8d p1 = __builtin_shufflevector(mid, hi, 1, 2, 3, 4, 5, 6, 7, 8);
        const v8d p2 = __builtin_shufflevector(mid, hi, 2, 3, 4, 5, 6, 7, 8, 9);
        const v8d p3 = __builtin_shufflevector(mid, hi, 3, 4, 5, 6, 7, 8, 9, 10);
        const v8d p4 = __builtin_shufflevector(mid, hi, 4, 5, 6, 7, 8, 9, 10, 11);
        const v8d p5 = __builtin_shufflevector(mid, hi, 5, 6, 7, 8, 9, 10, 11, 12);
        *(v8d *)(o + j) = w0 * mid + w1 * (m1 + p1) + w2 * (m2 + p2) + w3 * (m3 + p3) + w4 * (m4 + p4) + w5 * (m5 + p5);
    }
    for (; j < n; j++)
        o[j] = w0 * p[j] + w1 * (p[j - 1] + p[j + 1]) + w2 * (p[j - 2] + p[j + 2]) + w3 * (p[j - 3] + p[j + 3]) +
               w4 * (p[j - 4] + p[j + 4]) + w5 * (p[j - 5] + p[j + 5]);
}

/* The Gaussian over eleven rows, symmetric weights w0 (centre) … w5. */
#define VERTICAL(q, k, j)                                                                                            \
    (w0 * q[k + 5][j] + w1 * (q[k + 4][j] + q[k + 6][j]) + w2 * (q[k + 3][j] + q[k + 7][j]) +                       \
     w3 * (q[k + 2][j] + q[k + 8][j]) + w4 * (q[k + 1][j] + q[k + 9][j]) + w5 * (q[k + 0][j] + q[k + 10][j]))

/* SSIM of one row of the block from its five filtered moments into `line` (and the map row when
   `out` is not NULL); returns the sum over the valid columns [from, to), in eight running partial
   sums (the same order for every copy of the kernel, and vectorised, where one running sum is a
   chain of dependent adds that also keeps the formula's division from vectorising). */
static inline __attribute__((always_inline)) double ssim_row(const double *restrict moments, long n, long ns, double shift,
                                                             double k1, double k2, double *restrict line,
                                                             float *restrict out, long from, long to) {
    const double *restrict ma = moments, *restrict mb = moments + ns, *restrict maa = moments + 2 * ns,
                           *restrict mbb = moments + 3 * ns, *restrict mab = moments + 4 * ns;
    for (long j = 0; j < n; j++) {
        double mx = ma[j] + shift, my = mb[j] + shift;
        double vx = maa[j] - ma[j] * ma[j], vy = mbb[j] - mb[j] * mb[j], vxy = mab[j] - ma[j] * mb[j];
        line[j] = ((2 * mx * my + k1) * (2 * vxy + k2)) / ((mx * mx + my * my + k1) * (vx + vy + k2));
    }
    if (out)
        for (long j = 0; j < n; j++) out[j] = (float)line[j];
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long j = from;
    for (; j + 8 <= to; j += 8)
        for (int l = 0; l < 8; l++) lanes[l] += line[j + l];
    double s = 0;
    for (; j < to; j++) s += line[j];
    return s + (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])));
}

static inline __attribute__((always_inline)) double ssim_block(const float *x, const float *y, long rows, long cols,
                                                               long r0, long r1, long c0, long c1, const double *wt,
                                                               double shift, double k1, double k2, float *map,
                                                               long vr0, long vr1, long vc0, long vc1) {
    // Rows of every buffer start on 64-byte boundaries (`ns` doubles apart), so whole-vector
    // loads never straddle two cache lines. A product row holds the halo at offset 8 − R, so
    // that the strip's own columns start aligned, with slack for the vectors either side.
    const long n = c1 - c0, halo = n + 2 * R, ns = (n + 7) & ~7L, ps = ns + 16;
    double *ring = aligned_buffer(SLOTS * 5 * ns);
    double *prod = aligned_buffer(5 * ps);
    double *moments = aligned_buffer(10 * ns);
    double *line = aligned_buffer(ns);
    if (!ring || !prod || !moments || !line) {
        free(ring); free(prod); free(moments); free(line);
        return -1.0 / 0.0;
    }
    const double w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4], w5 = wt[5];
    const long first = r0 - R;
    // Columns of the halo inside the image: [inner0, inner1); the rest are mirrored.
    const long inner0 = c0 - R < 0 ? R - c0 : 0, inner1 = c1 + R > cols ? halo - (c1 + R - cols) : halo;
    const long from = (vc0 > c0 ? vc0 : c0) - c0, to = (vc1 < c1 ? vc1 : c1) - c0;
    double sum = 0;
    for (long v = first; v < r1 + R; v++) {
        // Horizontal: the five moment products of source row v over the strip and its halo,
        // filtered into the ring slot of v.
        const float *xs = x + reflect(v, rows) * cols, *ys = y + reflect(v, rows) * cols;
        {
            // The strip's part of a row a few rows down: rows are far apart, so the hardware
            // prefetcher does not see the walk down a strip.
            const long ahead = reflect(v + 4 < r1 + R ? v + 4 : v, rows) * cols + c0 - R + inner0;
            for (long t = 0; t < inner1 - inner0; t += 16) {
                __builtin_prefetch(x + ahead + t);
                __builtin_prefetch(y + ahead + t);
            }
        }
        double *restrict pa = prod + 8 - R, *restrict pb = pa + ps, *restrict paa = pa + 2 * ps,
                         *restrict pbb = pa + 3 * ps, *restrict pab = pa + 4 * ps;
        {
            const float *restrict xa = xs + c0 - R, *restrict yb = ys + c0 - R;
            for (long t = inner0; t < inner1; t++) {
                double a = (double)xa[t] - shift, b = (double)yb[t] - shift;
                pa[t] = a;
                pb[t] = b;
                paa[t] = a * a;
                pbb[t] = b * b;
                pab[t] = a * b;
            }
            // The mirrored edges: [0, inner0) and [inner1, halo).
            for (long e = 0; e < inner0 + (halo - inner1); e++) {
                const long t = e < inner0 ? e : inner1 + (e - inner0);
                double a = (double)xs[reflect(c0 - R + t, cols)] - shift, b = (double)ys[reflect(c0 - R + t, cols)] - shift;
                pa[t] = a;
                pb[t] = b;
                paa[t] = a * a;
                pbb[t] = b * b;
                pab[t] = a * b;
            }
        }
        double *slot = ring + ((v - first) % SLOTS) * 5 * ns;
        for (int m = 0; m < 5; m++) horizontal(prod + m * ps + 8, n, slot + m * ns, wt);
        // Vertical: output rows in pairs (twelve ring rows give two outputs, so each load serves
        // both), an unpaired last row alone; then the SSIM formula.
        const long row = v - R;
        if (row < r0) continue;
        const int pair = (row - r0) % 2 == 1;
        if (!pair && row != r1 - 1) continue;
        const long top = pair ? row - 1 : row;  // the first output row of this pass
        for (int m = 0; m < 5; m++) {
            const double *restrict q[SLOTS];
            for (int k = 0; k < SLOTS; k++) q[k] = ring + ((top - R + k - first) % SLOTS) * 5 * ns + m * ns;
            double *restrict o = moments + m * ns, *restrict o2 = moments + (5 + m) * ns;
            if (pair) {
                for (long j = 0; j < n; j++) {
                    o[j] = VERTICAL(q, 0, j);
                    o2[j] = VERTICAL(q, 1, j);
                }
            } else {
                for (long j = 0; j < n; j++) o[j] = VERTICAL(q, 0, j);
            }
        }
        for (long k = 0; k <= pair; k++) {
            const long out = top + k;
            const double s = ssim_row(moments + 5 * k * ns, n, ns, shift, k1, k2, line, map ? map + out * cols + c0 : 0, from, to);
            if (out >= vr0 && out < vr1) sum += s;
        }
    }
    free(ring); free(prod); free(moments); free(line);
    return sum;
}

static double ssim_portable(const float *x, const float *y, long rows, long cols, long r0, long r1, long c0, long c1,
                            const double *w, double shift, double k1, double k2, float *map, long vr0, long vr1,
                            long vc0, long vc1) {
    return ssim_block(x, y, rows, cols, r0, r1, c0, c1, w, shift, k1, k2, map, vr0, vr1, vc0, vc1);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double ssim_avx2(const float *x, const float *y, long rows, long cols,
                                                             long r0, long r1, long c0, long c1, const double *w,
                                                             double shift, double k1, double k2, float *map, long vr0,
                                                             long vr1, long vc0, long vc1) {
    return ssim_block(x, y, rows, cols, r0, r1, c0, c1, w, shift, k1, k2, map, vr0, vr1, vc0, vc1);
}

__attribute__((target(AVX512), min_vector_width(512))) static double ssim_avx512(
    const float *x, const float *y, long rows, long cols, long r0, long r1, long c0, long c1, const double *w,
    double shift, double k1, double k2, float *map, long vr0, long vr1, long vc0, long vc1) {
    return ssim_block(x, y, rows, cols, r0, r1, c0, c1, w, shift, k1, k2, map, vr0, vr1, vc0, vc1);
}
#endif

double msr_ssim_block(const float *x, const float *y, long rows, long cols, long r0, long r1, long c0, long c1,
                      const double *weights, double shift, double c1v, double c2v, float *map, long vr0, long vr1,
                      long vc0, long vc1) {
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: return ssim_avx512(x, y, rows, cols, r0, r1, c0, c1, weights, shift, c1v, c2v, map, vr0, vr1, vc0, vc1);
    case 1: return ssim_avx2(x, y, rows, cols, r0, r1, c0, c1, weights, shift, c1v, c2v, map, vr0, vr1, vc0, vc1);
    }
#endif
    return ssim_portable(x, y, rows, cols, r0, r1, c0, c1, weights, shift, c1v, c2v, map, vr0, vr1, vc0, vc1);
}
