#include "msr_kernels.h"

#include <stdatomic.h>
#include <stdlib.h>

#define R 5
#define TAPS 11

static inline long reflect(long i, long n) { return i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i); }

static inline __attribute__((always_inline)) double ssim_block(const float *x, const float *y, long rows, long cols,
                                                               long r0, long r1, long c0, long c1, const double *wt,
                                                               double shift, double k1, double k2, float *map,
                                                               long vr0, long vr1, long vc0, long vc1) {
    const long n = c1 - c0, halo = n + 2 * R;
    double *ring = malloc(sizeof(double) * TAPS * 5 * n);
    double *prod = malloc(sizeof(double) * 5 * halo);
    double *line = malloc(sizeof(double) * n);
    double *moments = malloc(sizeof(double) * 5 * n);
    long *source = malloc(sizeof(long) * halo);
    if (!ring || !prod || !line || !source || !moments) {
        free(ring); free(prod); free(line); free(source); free(moments);
        return -1.0 / 0.0;
    }
    for (long t = 0; t < halo; t++) source[t] = reflect(c0 - R + t, cols);
    const double w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4], w5 = wt[5];
    const long first = r0 - R;
    double sum = 0;
    for (long v = first; v < r1 + R; v++) {
        // Horizontal: the five moment products of source row v over the strip and its halo,
        // filtered into the ring slot of v.
        const float *xs = x + reflect(v, rows) * cols, *ys = y + reflect(v, rows) * cols;
        double *restrict pa = prod, *restrict pb = prod + halo;
        if (c0 - R >= 0 && c1 + R <= cols) {  // inside the image: contiguous, vectorised
            const float *restrict xa = xs + c0 - R, *restrict yb = ys + c0 - R;
            for (long t = 0; t < halo; t++) {
                pa[t] = (double)xa[t] - shift;
                pb[t] = (double)yb[t] - shift;
            }
        } else {
            for (long t = 0; t < halo; t++) {
                pa[t] = (double)xs[source[t]] - shift;
                pb[t] = (double)ys[source[t]] - shift;
            }
        }
        double *restrict paa = prod + 2 * halo, *restrict pbb = prod + 3 * halo, *restrict pab = prod + 4 * halo;
        for (long t = 0; t < halo; t++) {
            double a = pa[t], b = pb[t];
            paa[t] = a * a;
            pbb[t] = b * b;
            pab[t] = a * b;
        }
        double *slot = ring + ((v - first) % TAPS) * 5 * n;
        for (int m = 0; m < 5; m++) {
            const double *restrict p = prod + m * halo + R;
            double *restrict o = slot + m * n;
            for (long j = 0; j < n; j++) {
                o[j] = w0 * p[j] + w1 * (p[j - 1] + p[j + 1]) + w2 * (p[j - 2] + p[j + 2]) + w3 * (p[j - 3] + p[j + 3]) +
                       w4 * (p[j - 4] + p[j + 4]) + w5 * (p[j - 5] + p[j + 5]);
            }
        }
        const long row = v - R;
        if (row < r0) continue;
        // Vertical: rows row−5 … row+5 of the ring, one moment at a time (twelve streams, which
        // keep their pointers in registers), then the SSIM formula.
        for (int m = 0; m < 5; m++) {
            const double *restrict q0 = ring + ((row - R + 0 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q1 = ring + ((row - R + 1 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q2 = ring + ((row - R + 2 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q3 = ring + ((row - R + 3 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q4 = ring + ((row - R + 4 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q5 = ring + ((row - R + 5 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q6 = ring + ((row - R + 6 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q7 = ring + ((row - R + 7 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q8 = ring + ((row - R + 8 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q9 = ring + ((row - R + 9 - first) % TAPS) * 5 * n + m * n;
            const double *restrict q10 = ring + ((row - R + 10 - first) % TAPS) * 5 * n + m * n;
            double *restrict o = moments + m * n;
            for (long j = 0; j < n; j++)
                o[j] = w0 * q5[j] + w1 * (q4[j] + q6[j]) + w2 * (q3[j] + q7[j]) + w3 * (q2[j] + q8[j]) +
                       w4 * (q1[j] + q9[j]) + w5 * (q0[j] + q10[j]);
        }
        {
            const double *restrict ma = moments, *restrict mb = moments + n, *restrict maa = moments + 2 * n,
                                   *restrict mbb = moments + 3 * n, *restrict mab = moments + 4 * n;
            for (long j = 0; j < n; j++) {
                double mx = ma[j] + shift, my = mb[j] + shift;
                double vx = maa[j] - ma[j] * ma[j], vy = mbb[j] - mb[j] * mb[j], vxy = mab[j] - ma[j] * mb[j];
                line[j] = ((2 * mx * my + k1) * (2 * vxy + k2)) / ((mx * mx + my * my + k1) * (vx + vy + k2));
            }
        }
        if (map)
            for (long j = 0; j < n; j++) map[row * cols + c0 + j] = (float)line[j];
        if (row >= vr0 && row < vr1) {
            long from = (vc0 > c0 ? vc0 : c0) - c0, to = (vc1 < c1 ? vc1 : c1) - c0;
            double s = 0;
            for (long j = from; j < to; j++) s += line[j];
            sum += s;
        }
    }
    free(ring); free(prod); free(line); free(source); free(moments);
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
