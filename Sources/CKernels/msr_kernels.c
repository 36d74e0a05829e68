#include "msr_kernels.h"

#include <math.h>
#include <stdatomic.h>
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

static inline __attribute__((always_inline)) void row_sums8(const unsigned char *src, long width, const long *first,
                                                           const long *count, const int *weights, long taps,
                                                           long out_lines, unsigned char *dst) {
    unsigned int acc[256];
    for (long o = 0; o < out_lines; o++) {
        const int *w = weights + o * taps;
        unsigned char *out = dst + o * width;
        // Columns in chunks that keep the accumulators in registers and L1.
        for (long j0 = 0; j0 < width; j0 += 256) {
            long m = width - j0 < 256 ? width - j0 : 256;
            for (long j = 0; j < m; j++) acc[j] = 1u << 21;
            for (long i = 0; i < count[o]; i++) {
                const unsigned char *restrict row = src + (first[o] + i) * width + j0;
                unsigned int k = (unsigned int)w[i];
                for (long j = 0; j < m; j++) acc[j] += (unsigned int)row[j] * k;
            }
            for (long j = 0; j < m; j++) {
                int v = (int)acc[j] >> 22;
                out[j0 + j] = (unsigned char)(v < 0 ? 0 : (v > 255 ? 255 : v));
            }
        }
    }
}

#if defined(__x86_64__)
#include <emmintrin.h>

/// One 16×16 block: four rounds of unpacks, each doubling the run of one column's bytes.
static inline void transpose16(const unsigned char *s, long ss, unsigned char *d, long ds) {
    __m128i r[16], p[8][2], q[4][4], o[2][8];
    for (int i = 0; i < 16; i++) r[i] = _mm_loadu_si128((const __m128i *)(s + i * ss));
    // p[g][h]: rows 2g, 2g+1 as 16-bit pairs, columns 8h … 8h+7.
    for (int g = 0; g < 8; g++) {
        p[g][0] = _mm_unpacklo_epi8(r[2 * g], r[2 * g + 1]);
        p[g][1] = _mm_unpackhi_epi8(r[2 * g], r[2 * g + 1]);
    }
    // q[g][c]: rows 4g … 4g+3 as 32-bit runs, columns 4c … 4c+3.
    for (int g = 0; g < 4; g++) {
        for (int h = 0; h < 2; h++) {
            q[g][2 * h] = _mm_unpacklo_epi16(p[2 * g][h], p[2 * g + 1][h]);
            q[g][2 * h + 1] = _mm_unpackhi_epi16(p[2 * g][h], p[2 * g + 1][h]);
        }
    }
    // o[g][c]: rows 8g … 8g+7 as 64-bit runs, columns 2c, 2c+1.
    for (int g = 0; g < 2; g++) {
        for (int c = 0; c < 4; c++) {
            o[g][2 * c] = _mm_unpacklo_epi32(q[2 * g][c], q[2 * g + 1][c]);
            o[g][2 * c + 1] = _mm_unpackhi_epi32(q[2 * g][c], q[2 * g + 1][c]);
        }
    }
    for (int c = 0; c < 8; c++) {
        _mm_storeu_si128((__m128i *)(d + (2 * c) * ds), _mm_unpacklo_epi64(o[0][c], o[1][c]));
        _mm_storeu_si128((__m128i *)(d + (2 * c + 1) * ds), _mm_unpackhi_epi64(o[0][c], o[1][c]));
    }
}
#endif

void msr_transpose8(const unsigned char *src, long rows, long cols, unsigned char *dst) {
    long r16 = 0, c16 = 0;
#if defined(__x86_64__)
    r16 = rows & ~15L;
    c16 = cols & ~15L;
    for (long r = 0; r < r16; r += 16)
        for (long c = 0; c < c16; c += 16) transpose16(src + r * cols + c, cols, dst + c * rows + r, rows);
#endif
    for (long r = 0; r < rows; r++)
        for (long c = r < r16 ? c16 : 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

#if defined(__x86_64__)
/// One 8×8 block of 16-bit values: three rounds of unpacks.
static inline void transpose8x8_16(const unsigned short *s, long ss, unsigned short *d, long ds) {
    __m128i r[8], p[8], q[8];
    for (int i = 0; i < 8; i++) r[i] = _mm_loadu_si128((const __m128i *)(s + i * ss));
    // p: rows 2g, 2g+1 interleaved (32-bit pairs), columns 0–3 (lo) and 4–7 (hi).
    for (int g = 0; g < 4; g++) {
        p[2 * g] = _mm_unpacklo_epi16(r[2 * g], r[2 * g + 1]);
        p[2 * g + 1] = _mm_unpackhi_epi16(r[2 * g], r[2 * g + 1]);
    }
    // q: rows 4g … 4g+3 as 64-bit runs; q[4g + c] holds columns 2c, 2c+1.
    for (int g = 0; g < 2; g++) {
        for (int h = 0; h < 2; h++) {
            q[4 * g + 2 * h] = _mm_unpacklo_epi32(p[4 * g + h], p[4 * g + 2 + h]);
            q[4 * g + 2 * h + 1] = _mm_unpackhi_epi32(p[4 * g + h], p[4 * g + 2 + h]);
        }
    }
    for (int c = 0; c < 4; c++) {
        _mm_storeu_si128((__m128i *)(d + (2 * c) * ds), _mm_unpacklo_epi64(q[c], q[4 + c]));
        _mm_storeu_si128((__m128i *)(d + (2 * c + 1) * ds), _mm_unpackhi_epi64(q[c], q[4 + c]));
    }
}
#endif

void msr_transpose16(const unsigned short *src, long rows, long cols, unsigned short *dst) {
    long r8 = 0, c8 = 0;
#if defined(__x86_64__)
    r8 = rows & ~7L;
    c8 = cols & ~7L;
    // Blocks in strips of 64 source rows, so the destination lines being written stay in cache.
    for (long r0 = 0; r0 < r8; r0 += 64)
        for (long c = 0; c < c8; c += 8)
            for (long r = r0; r < r8 && r < r0 + 64; r += 8)
                transpose8x8_16(src + r * cols + c, cols, dst + c * rows + r, rows);
#endif
    for (long r = 0; r < rows; r++)
        for (long c = r < r8 ? c8 : 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

static void row_sums8_portable(const unsigned char *src, long width, const long *first, const long *count,
                               const int *weights, long taps, long out_lines, unsigned char *dst) {
    row_sums8(src, width, first, count, weights, taps, out_lines, dst);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void row_sums8_avx2(const unsigned char *src, long width, const long *first,
                                                              const long *count, const int *weights, long taps,
                                                              long out_lines, unsigned char *dst) {
    row_sums8(src, width, first, count, weights, taps, out_lines, dst);
}

#define AVX512 "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"
__attribute__((target(AVX512), min_vector_width(512))) static void row_sums8_avx512(
    const unsigned char *src, long width, const long *first, const long *count, const int *weights, long taps,
    long out_lines, unsigned char *dst) {
    row_sums8(src, width, first, count, weights, taps, out_lines, dst);
}
#endif

void msr_row_sums8(const unsigned char *src, long width, const long *first, const long *count, const int *weights,
                   long taps, long out_lines, unsigned char *dst) {
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: row_sums8_avx512(src, width, first, count, weights, taps, out_lines, dst); return;
    case 1: row_sums8_avx2(src, width, first, count, weights, taps, out_lines, dst); return;
    }
#endif
    row_sums8_portable(src, width, first, count, weights, taps, out_lines, dst);
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

static atomic_int limit = 2;

int msr_kernels_limit(int level) { return atomic_exchange_explicit(&limit, level, memory_order_relaxed); }

int msr_kernels_level(void) {
#if defined(__x86_64__)
    static atomic_int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (known && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
            known = 2;
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    int most = atomic_load_explicit(&limit, memory_order_relaxed);
    return known < most ? known : most;
#else
    return 0;
#endif
}

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

// ---- depthwise convolution, one plane ----------------------------------------------------

static inline __attribute__((always_inline)) void depthwise_plane(const float *in, long rows, long cols,
                                                                 const float *w, long k, long stride, long pad,
                                                                 float bias, float *out, long oh, long ow) {
    for (long oy = 0; oy < oh; oy++) {
        float *restrict line = out + oy * ow;
        for (long ox = 0; ox < ow; ox++) line[ox] = bias;
        for (long ky = 0; ky < k; ky++) {
            long sy = oy * stride + ky - pad;
            if (sy < 0 || sy >= rows) continue;
            const float *row = in + sy * cols;
            for (long kx = 0; kx < k; kx++) {
                const float wv = w[ky * k + kx];
                // Output columns whose source column ox·stride + kx − pad lies inside the row.
                long x0 = pad - kx > 0 ? (pad - kx + stride - 1) / stride : 0;
                long last = cols - 1 - kx + pad;  // largest ox·stride allowed
                long x1 = last < 0 ? 0 : last / stride + 1;
                if (x1 > ow) x1 = ow;
                if (x0 >= x1) continue;
                const float *restrict from = row + kx - pad;
                if (stride == 1)
                    for (long ox = x0; ox < x1; ox++) line[ox] += wv * from[ox];
                else
                    for (long ox = x0; ox < x1; ox++) line[ox] += wv * from[ox * stride];
            }
        }
    }
}

static void depthwise_portable(const float *in, long rows, long cols, const float *w, long k, long stride, long pad,
                               float bias, float *out, long oh, long ow) {
    depthwise_plane(in, rows, cols, w, k, stride, pad, bias, out, oh, ow);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void depthwise_avx2(const float *in, long rows, long cols, const float *w,
                                                                long k, long stride, long pad, float bias, float *out,
                                                                long oh, long ow) {
    depthwise_plane(in, rows, cols, w, k, stride, pad, bias, out, oh, ow);
}

__attribute__((target(AVX512), min_vector_width(512))) static void depthwise_avx512(
    const float *in, long rows, long cols, const float *w, long k, long stride, long pad, float bias, float *out,
    long oh, long ow) {
    depthwise_plane(in, rows, cols, w, k, stride, pad, bias, out, oh, ow);
}
#endif

void msr_depthwise_plane(const float *in, long rows, long cols, const float *w, long k, long stride, long pad,
                         float bias, float *out, long oh, long ow) {
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: depthwise_avx512(in, rows, cols, w, k, stride, pad, bias, out, oh, ow); return;
    case 1: depthwise_avx2(in, rows, cols, w, k, stride, pad, bias, out, oh, ow); return;
    }
#endif
    depthwise_portable(in, rows, cols, w, k, stride, pad, bias, out, oh, ow);
}

// ---- direct stride-1 convolution ---------------------------------------------------------
//
// A stride-1 k×k convolution computed straight from a zero-padded copy of the image, with no
// column matrix: over the padded image's width `pc`, output position p = y·pc + x reads input
// p + ky·pc + kx of every channel, so a run of positions is a contiguous vector load per
// channel and tap, and the (pc − ow) positions per row that fall in the padding are computed
// and dropped. A block of OCT output channels × NV vectors of positions stays in registers
// over all input channels and taps: per tap, NV loads, OCT weight broadcasts and OCT·NV FMAs.
// Output channels left over after the blocks of OCT (a final 64 → 1 layer) go through a
// row-set kernel instead, where each load serves several output rows.

long msr_conv_padded_size(long channels, long rows, long cols, long pad, long k) {
    const long pc = cols + 2 * pad, pr = rows + 2 * pad;
    // Slack after the last plane: the last block of positions reads up to one block
    // (≤ 8 × 16 floats) and k rows past its start.
    return channels * pr * pc + 128 + (k + 1) * pc + 64;
}

void msr_conv_clear_slack(float *dst, long channels, long rows, long cols, long pad, long k) {
    // Its values reach only outputs that are dropped, but must not be denormals (slow) or
    // anything else left over.
    const long pc = cols + 2 * pad, pr = rows + 2 * pad;
    for (long i = channels * pr * pc; i < msr_conv_padded_size(channels, rows, cols, pad, k); i++) dst[i] = 0;
}

void msr_conv_pad(const float *src, long channels, long src_stride, long rows, long cols, long pad, float *dst) {
    const long pc = cols + 2 * pad, pr = rows + 2 * pad;
    for (long c = 0; c < channels; c++) {
        float *plane = dst + c * pr * pc;
        const float *from = src + c * src_stride;
        for (long i = 0; i < pad * pc; i++) plane[i] = 0;
        for (long y = 0; y < rows; y++) {
            float *line = plane + (y + pad) * pc;
            for (long x = 0; x < pad; x++) line[x] = 0;
            for (long x = 0; x < cols; x++) line[pad + x] = from[y * cols + x];
            for (long x = pad + cols; x < pc; x++) line[x] = 0;
        }
        for (long i = (pad + rows) * pc; i < pr * pc; i++) plane[i] = 0;
    }
}

void msr_conv_pack(const float *w, long cout, long cin, long k, int adjoint, float *dst) {
    // A transpose in tiles of 16 along the destination's fastest axis, so writes fill whole
    // cache lines and reads run along 16 sequential streams.
    const long kk = k * k;
    if (!adjoint) {
        // dst[c][t][o] = w[o][c][t]
        for (long o0 = 0; o0 < cout; o0 += 16) {
            const long o1 = o0 + 16 < cout ? o0 + 16 : cout;
            for (long c = 0; c < cin; c++)
                for (long t = 0; t < kk; t++) {
                    float *d = dst + (c * kk + t) * cout;
                    const float *s = w + c * kk + t;
                    for (long o = o0; o < o1; o++) d[o] = s[o * cin * kk];
                }
        }
    } else {
        // The input gradient's convolution: channels swap and taps turn half a circle:
        // dst[o][t][c] = w[o][c][kk − 1 − t].
        for (long o = 0; o < cout; o++)
            for (long c0 = 0; c0 < cin; c0 += 16) {
                const long c1 = c0 + 16 < cin ? c0 + 16 : cin;
                for (long t = 0; t < kk; t++) {
                    float *d = dst + (o * kk + t) * cin;
                    const float *s = w + o * cin * kk + (kk - 1 - t);
                    for (long c = c0; c < c1; c++) d[c] = s[c * kk];
                }
            }
    }
}

#define CONV_BLOCK(NAME, VW, OCT, NV)                                                                                 \
    static inline __attribute__((always_inline)) void NAME(const float *padded, long plane, long pc, long cin,      \
                                                           long k, const float *packed, long cout, long ob,          \
                                                           const float *bias, float *out, long out_stride, long ow,  \
                                                           long p0, long p1) {                                      \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        const long kk = k * k;                                                                                      \
        vf acc[OCT][NV];                                                                                            \
        for (int o = 0; o < OCT; o++) {                                                                             \
            const float b = bias ? bias[ob + o] : 0.0f;                                                             \
            for (int v = 0; v < NV; v++) acc[o][v] = (vf){0} + b;                                                   \
        }                                                                                                           \
        for (long c = 0; c < cin; c++) {                                                                            \
            const float *base = padded + c * plane + p0;                                                            \
            const float *wc = packed + c * kk * cout + ob;                                                          \
            if (ob == 0) /* the next block of positions, which the first channel block reads next */               \
                for (long ky = 0; ky < k; ky++)                                                                     \
                    for (int l = 0; l < NV * VW + 16; l += 16) __builtin_prefetch(base + NV * VW + ky * pc + l);    \
            for (long ky = 0; ky < k; ky++) {                                                                       \
                for (long kx = 0; kx < k; kx++) {                                                                   \
                    const float *src = base + ky * pc + kx;                                                         \
                    const float *w = wc + (ky * k + kx) * cout;                                                     \
                    vf in[NV];                                                                                      \
                    for (int v = 0; v < NV; v++) in[v] = *(const vf *)(src + v * VW);                               \
                    for (int o = 0; o < OCT; o++) {                                                                 \
                        const vf wv = w[o] - (vf){0}; /* a splat; x − (+0) folds away, 0 + x does not */ \
                        for (int v = 0; v < NV; v++) acc[o][v] += wv * in[v];                                       \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        /* Positions p0 … p1 − 1 back to (y, x); whole vectors inside one row's valid part go as */              \
        /* vectors, the rest lane by lane. */                                                                       \
        for (int v = 0; v < NV; v++) {                                                                              \
            const long p = p0 + v * VW;                                                                             \
            if (p >= p1) break;                                                                                     \
            const long y = p / pc, x = p - y * pc;                                                                  \
            if (x + VW <= ow && p + VW <= p1) {                                                                     \
                for (int o = 0; o < OCT; o++)                                                                       \
                    *(vf *)(out + (ob + o) * out_stride + y * ow + x) = acc[o][v];                                 \
            } else {                                                                                                \
                for (int l = 0; l < VW && p + l < p1; l++) {                                                        \
                    const long q = p + l, qy = q / pc, qx = q - qy * pc;                                            \
                    if (qx >= ow) continue;                                                                         \
                    for (int o = 0; o < OCT; o++) out[(ob + o) * out_stride + qy * ow + qx] = acc[o][v][l];         \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

/* One output channel (the channels left over after the blocks of OCT), RR output rows × NV
   vectors of a row at a time: an input row at offset r below the first output row serves
   every output row j of the set through tap row r − j, so each load feeds up to RR FMAs (with
   one output channel there is nothing else to reuse a load for). Per output, the same order as
   the blocks: channel, then tap row, then tap column. Rows past `yend` and columns past `ow`
   are computed from the padded image's rows below and its slack, and dropped. */
#define CONV_ROWSET(NAME, VW, NV, RR)                                                                                \
    static inline __attribute__((always_inline)) void NAME(const float *padded, long plane, long pc, long cin,      \
                                                           long k, const float *packed, long cout, long o,           \
                                                           const float *bias, float *out, long out_stride, long ow,  \
                                                           long y, long yend, long x0) {                             \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        const long kk = k * k;                                                                                      \
        vf acc[RR][NV];                                                                                             \
        const float b0 = bias ? bias[o] : 0.0f;                                                                     \
        for (int j = 0; j < RR; j++)                                                                                \
            for (int v = 0; v < NV; v++) acc[j][v] = b0 - (vf){0};                                                  \
        for (long c = 0; c < cin; c++) {                                                                            \
            const float *base = padded + c * plane + y * pc + x0;                                                   \
            const float *wc = packed + c * kk * cout + o;                                                           \
            for (long r = 0; r < RR + k - 1; r++) {                                                                 \
                for (long kx = 0; kx < k; kx++) {                                                                   \
                    const float *src = base + r * pc + kx;                                                          \
                    vf in[NV];                                                                                      \
                    for (int v = 0; v < NV; v++) in[v] = *(const vf *)(src + v * VW);                               \
                    for (int j = 0; j < RR; j++) {                                                                  \
                        const long ky = r - j;                                                                      \
                        if (ky < 0 || ky >= k) continue;                                                            \
                        const vf wv = wc[(ky * k + kx) * cout] - (vf){0};                                           \
                        for (int v = 0; v < NV; v++) acc[j][v] += wv * in[v];                                       \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        for (int j = 0; j < RR && y + j < yend; j++) {                                                              \
            float *line = out + o * out_stride + (y + j) * ow;                                                      \
            for (int v = 0; v < NV; v++) {                                                                          \
                const long x = x0 + v * VW;                                                                         \
                if (x + VW <= ow) {                                                                                 \
                    *(vf *)(line + x) = acc[j][v];                                                                  \
                } else {                                                                                            \
                    for (int l = 0; l < VW && x + l < ow; l++) line[x + l] = acc[j][v][l];                          \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

#define CONV_ROWS(NAME, BLOCK, ROWSET, VW, OCT, NV, NV1, RR)                                                         \
    static inline __attribute__((always_inline)) void NAME(const float *padded, long cin, long pr, long pc, long k, \
                                                           const float *packed, long cout, const float *bias,        \
                                                           float *out, long out_stride, long ow, long y0, long y1) { \
        const long plane = pr * pc, p1 = (y1 - 1) * pc + ow, blocks = cout / OCT * OCT;                             \
        if (blocks > 0)                                                                                             \
            for (long p0 = y0 * pc; p0 < p1; p0 += VW * NV) {                                                       \
                const long end = p0 + VW * NV < p1 ? p0 + VW * NV : p1;                                             \
                for (long ob = 0; ob < blocks; ob += OCT)                                                           \
                    BLOCK(padded, plane, pc, cin, k, packed, cout, ob, bias, out, out_stride, ow, p0, end);          \
            }                                                                                                       \
        for (long o = blocks; o < cout; o++)                                                                        \
            for (long y = y0; y < y1; y += RR)                                                                      \
                for (long x0 = 0; x0 < ow; x0 += VW * NV1)                                                          \
                    ROWSET(padded, plane, pc, cin, k, packed, cout, o, bias, out, out_stride, ow, y, y1, x0);        \
    }

CONV_BLOCK(conv_block_w4, 4, 4, 3)
CONV_ROWSET(conv_rowset_w4, 4, 3, 3)
CONV_ROWS(conv_rows_w4, conv_block_w4, conv_rowset_w4, 4, 4, 3, 3, 3)

static void conv_rows_portable(const float *padded, long cin, long pr, long pc, long k, const float *packed, long cout,
                               const float *bias, float *out, long out_stride, long ow, long y0, long y1) {
    conv_rows_w4(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1);
}

#if defined(__x86_64__)
CONV_BLOCK(conv_block_w8, 8, 4, 3)
CONV_ROWSET(conv_rowset_w8, 8, 3, 3)
CONV_ROWS(conv_rows_w8, conv_block_w8, conv_rowset_w8, 8, 4, 3, 3, 3)
CONV_BLOCK(conv_block_w16, 16, 8, 3)
CONV_ROWSET(conv_rowset_w16, 16, 4, 3)
CONV_ROWS(conv_rows_w16, conv_block_w16, conv_rowset_w16, 16, 8, 3, 4, 3)

__attribute__((target("avx2,fma"))) static void conv_rows_avx2(const float *padded, long cin, long pr, long pc, long k,
                                                                const float *packed, long cout, const float *bias,
                                                                float *out, long out_stride, long ow, long y0, long y1) {
    conv_rows_w8(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1);
}

__attribute__((target(AVX512), min_vector_width(512))) static void conv_rows_avx512(
    const float *padded, long cin, long pr, long pc, long k, const float *packed, long cout, const float *bias,
    float *out, long out_stride, long ow, long y0, long y1) {
    conv_rows_w16(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1);
}
#endif

void msr_conv_rows(const float *padded, long cin, long pr, long pc, long k, const float *packed, long cout,
                   const float *bias, float *out, long out_stride, long ow, long y0, long y1) {
    if (y0 >= y1) return;
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: conv_rows_avx512(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1); return;
    case 1: conv_rows_avx2(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1); return;
    }
#endif
    conv_rows_portable(padded, cin, pr, pc, k, packed, cout, bias, out, out_stride, ow, y0, y1);
}

// ---- weight gradient of the direct convolution -------------------------------------------
//
// dW[o][c][ky][kx] = Σ_b Σ_p g_b[o][p] · padded_b[c][p + ky·pc + kx], over the padded-width grid
// positions p (g is zero where the forward dropped a position). A block of OCT output channels ×
// KXB taps of one kernel row keeps its sums in vector registers over all positions of all
// images; per vector of positions: OCT + KXB loads and OCT·KXB FMAs. The lanes are added at the
// end in a fixed order, so a weight's gradient does not depend on how blocks go to threads.

void msr_conv_spread(const float *g, long cout, long g_stride, long oh, long ow, long pc, long pstride, float *dst) {
    for (long o = 0; o < cout; o++) {
        float *line = dst + o * pstride;
        const float *from = g + o * g_stride;
        for (long y = 0; y < oh; y++) {
            for (long x = 0; x < ow; x++) line[y * pc + x] = from[y * ow + x];
            for (long x = ow; x < pc; x++) line[y * pc + x] = 0;
        }
        for (long p = oh * pc; p < pstride; p++) line[p] = 0;
    }
}

/* Sums over positions [p0, p1) of one image: acc[o][t] += Σ_p g[o][p] · x[p + t] for OCT output
   channels (rows of g, `pstride` apart) and KXB taps (x shifted by t). The accumulators live in
   `acc` between calls (vector (o, t) at acc + (o·ostride + t)·VW), so the caller can walk the
   positions in chunks that stay in L1 while it visits every tap. */
#define WGRAD_BLOCK(NAME, VW, OCT, KXB)                                                                              \
    static inline __attribute__((always_inline)) void NAME(const float *g, long pstride, const float *x, long p0,    \
                                                           long p1, float *acc, long ostride) {                      \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                           \
        typedef float va __attribute__((vector_size(VW * 4)));                                                       \
        vf a[OCT][KXB];                                                                                              \
        for (int o = 0; o < OCT; o++)                                                                                \
            for (int t = 0; t < KXB; t++) a[o][t] = *(va *)(acc + (o * ostride + t) * VW);                           \
        for (long p = p0; p < p1; p += VW) {                                                                         \
            vf xv[KXB];                                                                                              \
            for (int t = 0; t < KXB; t++) xv[t] = *(const vf *)(x + p + t);                                          \
            for (int o = 0; o < OCT; o++) {                                                                          \
                const vf gv = *(const vf *)(g + o * pstride + p);                                                    \
                for (int t = 0; t < KXB; t++) a[o][t] += gv * xv[t];                                                 \
            }                                                                                                        \
        }                                                                                                            \
        for (int o = 0; o < OCT; o++)                                                                                \
            for (int t = 0; t < KXB; t++) *(va *)(acc + (o * ostride + t) * VW) = a[o][t];                           \
    }

/* A job: one input channel × a block of 8 output channels (the same jobs for every copy, so a
   job's share of the weights does not depend on the copy), in sub-blocks of OCT output channels
   (fewer at the end: one at a time, over up to nine taps at once). For each sub-block, each
   image's positions are walked in chunks of WGRAD_CHUNK (OCT gradient rows of it stay in L1 for
   all k² taps); each weight's vector of partial sums is added up lane by lane in a fixed tree. */
#define WGRAD_CHUNK 768
#define WGRAD(NAME, VW, OCT, KXB)                                                                                    \
    WGRAD_BLOCK(NAME##_block, VW, OCT, KXB)                                                                          \
    WGRAD_BLOCK(NAME##_row, VW, OCT, 1)                                                                              \
    WGRAD_BLOCK(NAME##_one9, VW, 1, 9)                                                                               \
    WGRAD_BLOCK(NAME##_one3, VW, 1, 3)                                                                               \
    WGRAD_BLOCK(NAME##_one1, VW, 1, 1)                                                                               \
    static inline __attribute__((always_inline)) void NAME(const float *g, long pstride, long gbatch, long batch,    \
                                                           const float *padded, long size, long plane, long pc,      \
                                                           long k, long cin, long cout, long job0, long job1,        \
                                                           float *dw, float *acc) {                                  \
        const long blocks = (cout + 7) / 8, kk = k * k;                                                              \
        /* Equal chunks of at most WGRAD_CHUNK positions, whole vectors (pstride is a multiple of 16). */            \
        const long pieces = (pstride + WGRAD_CHUNK - 1) / WGRAD_CHUNK;                                               \
        const long chunk = ((pstride + pieces - 1) / pieces + 15) & ~15L;                                            \
        for (long job = job0; job < job1; job++) {                                                                   \
            const long c = job / blocks, j0 = (job % blocks) * 8, j1 = j0 + 8 < cout ? j0 + 8 : cout;                \
            for (long o0 = j0; o0 < j1; o0 += OCT) {                                                                 \
                const long oc = j1 - o0 < OCT ? j1 - o0 : OCT;                                                       \
                for (long i = 0; i < oc * kk * VW; i++) acc[i] = 0;                                                  \
                for (long b = 0; b < batch; b++) {                                                                   \
                    const float *gb = g + b * gbatch + o0 * pstride;                                                 \
                    const float *xb = padded + b * size + c * plane;                                                 \
                    for (long p0 = 0; p0 < pstride; p0 += chunk) {                                                   \
                        const long p1 = p0 + chunk < pstride ? p0 + chunk : pstride;                                 \
                        for (long ky = 0; ky < k; ky++) {                                                            \
                            const float *xr = xb + ky * pc;                                                          \
                            float *ar = acc + ky * k * VW;                                                           \
                            long kx = 0;                                                                             \
                            if (oc == OCT) {                                                                         \
                                for (; kx + KXB <= k; kx += KXB)                                                     \
                                    NAME##_block(gb, pstride, xr + kx, p0, p1, ar + kx * VW, kk);                    \
                                for (; kx < k; kx++) NAME##_row(gb, pstride, xr + kx, p0, p1, ar + kx * VW, kk);     \
                                continue;                                                                            \
                            }                                                                                        \
                            for (long o = 0; o < oc; o++) {                                                          \
                                const float *go = gb + o * pstride;                                                  \
                                float *ao = ar + o * kk * VW;                                                        \
                                for (kx = 0; kx + 9 <= k; kx += 9) NAME##_one9(go, pstride, xr + kx, p0, p1, ao + kx * VW, kk); \
                                for (; kx + 3 <= k; kx += 3) NAME##_one3(go, pstride, xr + kx, p0, p1, ao + kx * VW, kk); \
                                for (; kx < k; kx++) NAME##_one1(go, pstride, xr + kx, p0, p1, ao + kx * VW, kk);    \
                            }                                                                                        \
                        }                                                                                            \
                    }                                                                                                \
                }                                                                                                    \
                for (long o = 0; o < oc; o++)                                                                        \
                    for (long t = 0; t < kk; t++) {                                                                  \
                        float *v = acc + (o * kk + t) * VW;                                                          \
                        for (int w = VW / 2; w >= 1; w /= 2)                                                         \
                            for (int l = 0; l < w; l++) v[l] += v[l + w];                                            \
                        dw[((o0 + o) * cin + c) * kk + t] += v[0];                                                   \
                    }                                                                                                \
            }                                                                                                        \
        }                                                                                                            \
    }

WGRAD(wgrad_w4, 4, 4, 2)

static void wgrad_portable(const float *g, long pstride, long gbatch, long batch, const float *padded, long size,
                           long plane, long pc, long k, long cin, long cout, long job0, long job1, float *dw, float *acc) {
    wgrad_w4(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc);
}

#if defined(__x86_64__)
WGRAD(wgrad_w8, 8, 4, 2)
WGRAD(wgrad_w16, 16, 8, 3)

__attribute__((target("avx2,fma"))) static void wgrad_avx2(const float *g, long pstride, long gbatch, long batch,
                                                            const float *padded, long size, long plane, long pc, long k,
                                                            long cin, long cout, long job0, long job1, float *dw,
                                                            float *acc) {
    wgrad_w8(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc);
}

__attribute__((target(AVX512), min_vector_width(512))) static void wgrad_avx512(
    const float *g, long pstride, long gbatch, long batch, const float *padded, long size, long plane, long pc, long k,
    long cin, long cout, long job0, long job1, float *dw, float *acc) {
    wgrad_w16(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc);
}
#endif

long msr_conv_weight_jobs(long cin, long cout) { return cin * ((cout + 7) / 8); }

int msr_conv_weight_grad(const float *g, long pstride, long gbatch, long batch, const float *padded, long size,
                         long plane, long pc, long k, long cin, long cout, long job0, long job1, float *dw) {
    // The partial sums of one block of output channels: up to 8 × 9² vectors of 16 floats.
    float acc[8 * 81 * 16] __attribute__((aligned(64)));
    if (k > 9) return -1;
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: wgrad_avx512(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc); return 0;
    case 1: wgrad_avx2(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc); return 0;
    }
#endif
    wgrad_portable(g, pstride, gbatch, batch, padded, size, plane, pc, k, cin, cout, job0, job1, dw, acc);
    return 0;
}

// ---- tanh ------------------------------------------------------------------------------------
//
// tanh(x) = sign(x) · (1 − 2 / (e^{2|x|} + 1)); e^y by range reduction (y = n ln 2 + r,
// |r| ≤ ln 2 / 2), a degree-7 Taylor polynomial for e^r and 2^n put into the exponent bits;
// below |x| = 0.01, where the formula cancels, the series x − x³/3 + 2x⁵/15.

#define TANH(NAME, VW)                                                                                               \
    static inline __attribute__((always_inline)) void NAME(const float *x, float *y, long n) {                     \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        typedef int vi __attribute__((vector_size(VW * 4), aligned(4)));                                            \
        long i = 0;                                                                                                 \
        float tail[VW];                                                                                             \
        for (; i < n; i += VW) {                                                                                    \
            /* The last partial vector goes through the same vector code (a copy padded with      \
               zeros), so each value's result does not depend on where the array starts or ends. */ \
            const long m = n - i < VW ? n - i : VW;                                                                 \
            if (m < VW) {                                                                                           \
                for (long l = 0; l < VW; l++) tail[l] = l < m ? x[i + l] : 0.0f;                                    \
            }                                                                                                       \
            const vf v = m < VW ? *(const vf *)tail : *(const vf *)(x + i);                                         \
            const vf a = __builtin_elementwise_abs(v);                                                              \
            vf t = 2 * a;                                                                                           \
            const vi big = t > 88.0f; /* a select, not min: NaN stays NaN */                                     \
            t = (vf)(((vi)((vf){0} + 88.0f) & big) | ((vi)t & ~big));                                              \
            const vf nn = (t * 1.4426950408889634f + 12582912.0f) - 12582912.0f;                                    \
            const vf r = t - nn * 0.6931471805599453f;                                                              \
            vf p = (vf){0} + (1.0f / 5040);                                                                         \
            p = p * r + (1.0f / 720);                                                                               \
            p = p * r + (1.0f / 120);                                                                               \
            p = p * r + (1.0f / 24);                                                                                \
            p = p * r + (1.0f / 6);                                                                                 \
            p = p * r + 0.5f;                                                                                       \
            p = p * r + 1;                                                                                          \
            p = p * r + 1;                                                                                          \
            const vi bits = ((vi)(nn + (8388608.0f + 127)) & 0x7FFFFF) << 23;                                       \
            const vf e = p * (vf)bits;                                                                              \
            vf out = 1 - 2 / (e + 1);                                                                               \
            const vf a2 = a * a;                                                                                    \
            const vf series = a * (1 - a2 * (1.0f / 3 - a2 * (2.0f / 15)));                                         \
            const vi small = a < 0.01f;                                                                             \
            out = (vf)(((vi)series & small) | ((vi)out & ~small));                                                  \
            out = (vf)((vi)out | ((vi)v & (vi){0} + (int)0x80000000));  /* the sign of x */                      \
            if (m < VW) {                                                                                           \
                *(vf *)tail = out;                                                                                  \
                for (long l = 0; l < m; l++) y[i + l] = tail[l];                                                    \
            } else {                                                                                                \
                *(vf *)(y + i) = out;                                                                               \
            }                                                                                                       \
        }                                                                                                           \
    }

TANH(tanh_w4, 4)

static void tanh_portable(const float *x, float *y, long n) { tanh_w4(x, y, n); }

#if defined(__x86_64__)
TANH(tanh_w8, 8)
TANH(tanh_w16, 16)

__attribute__((target("avx2,fma"))) static void tanh_avx2(const float *x, float *y, long n) { tanh_w8(x, y, n); }

__attribute__((target(AVX512), min_vector_width(512))) static void tanh_avx512(const float *x, float *y, long n) {
    tanh_w16(x, y, n);
}
#endif

void msr_tanh(const float *x, float *y, long n) {
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: tanh_avx512(x, y, n); return;
    case 1: tanh_avx2(x, y, n); return;
    }
#endif
    tanh_portable(x, y, n);
}

// Adam's update, as PyTorch's single-tensor Adam computes it in float: m = lerp(m, g, 1 − β1),
// v = β2·v + (1 − β2)·g², w ← w·keep, w ← w − step·m / (√v / √c2 + ε).
#define ADAM(NAME, VW)                                                                                               \
    static inline __attribute__((always_inline)) void NAME(float *w, const float *g, float *m, float *v, long n,    \
                                                           const float *k) {                                        \
        typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));                                          \
        const float b1 = k[0], b2 = k[1], step = k[2], root2 = k[3], eps = k[4], keep = k[5];                       \
        long i = 0;                                                                                                 \
        for (; i + VW <= n; i += VW) {                                                                              \
            const vf gi = *(const vf *)(g + i);                                                                     \
            vf mi = *(vf *)(m + i), vi = *(vf *)(v + i);                                                            \
            mi = mi + (1 - b1) * (gi - mi);                                                                         \
            vi = vi * b2 + (1 - b2) * gi * gi;                                                                      \
            *(vf *)(m + i) = mi;                                                                                    \
            *(vf *)(v + i) = vi;                                                                                    \
            const vf denom = __builtin_elementwise_sqrt(vi) / root2 + eps;                                          \
            *(vf *)(w + i) = *(vf *)(w + i) * keep - step * (mi / denom);                                           \
        }                                                                                                           \
        for (; i < n; i++) {                                                                                        \
            m[i] = m[i] + (1 - b1) * (g[i] - m[i]);                                                                 \
            v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];                                                              \
            w[i] = w[i] * keep - step * (m[i] / (__builtin_sqrtf(v[i]) / root2 + eps));                              \
        }                                                                                                           \
    }

ADAM(adam_w4, 4)

#if defined(__x86_64__)
ADAM(adam_w8, 8)
ADAM(adam_w16, 16)

__attribute__((target("avx2,fma"))) static void adam_avx2(float *w, const float *g, float *m, float *v, long n,
                                                          const float *k) {
    adam_w8(w, g, m, v, n, k);
}

__attribute__((target(AVX512), min_vector_width(512))) static void adam_avx512(float *w, const float *g, float *m,
                                                                               float *v, long n, const float *k) {
    adam_w16(w, g, m, v, n, k);
}
#endif

void msr_adam(float *w, const float *g, float *m, float *v, long n, float beta1, float beta2, float step,
              float root_c2, float epsilon, float keep) {
    const float k[6] = {beta1, beta2, step, root_c2, epsilon, keep};
#if defined(__x86_64__)
    switch (msr_kernels_level()) {
    case 2: adam_avx512(w, g, m, v, n, k); return;
    case 1: adam_avx2(w, g, m, v, n, k); return;
    }
#endif
    adam_w4(w, g, m, v, n, k);
}
