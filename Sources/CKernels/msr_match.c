#include "msr_kernels.h"
#include "msr_match.h"

#include <string.h>

/* v8f crosses only static always-inline functions, so the vector ABI note (-Wpsabi) for the
   baseline copy does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32), aligned(4)));

static inline __attribute__((always_inline)) v8f load8(const float *p) { return *(const v8f *)p; }

static inline __attribute__((always_inline)) float hsum(v8f v) {
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static inline __attribute__((always_inline)) void match_sums(const float *restrict img, long stride,
                                                             const float *restrict t, long rows, long cols,
                                                             float offset, double *out) {
    double sum = 0, sq = 0, cross = 0;
    const v8f o = {offset, offset, offset, offset, offset, offset, offset, offset};
    for (long r = 0; r < rows; r++) {
        const float *restrict row = img + r * stride, *restrict trow = t + r * cols;
        v8f s = {0}, q = {0}, c = {0};
        long i = 0;
        for (; i + 8 <= cols; i += 8) {
            const v8f v = load8(row + i) - o;
            s += v;
            q += v * v;
            c += v * load8(trow + i);
        }
        float rs = hsum(s), rq = hsum(q), rc = hsum(c);
        for (; i < cols; i++) {
            const float v = row[i] - offset;
            rs += v;
            rq += v * v;
            rc += v * trow[i];
        }
        sum += rs;
        sq += rq;
        cross += rc;
    }
    out[0] = sum;
    out[1] = sq;
    out[2] = cross;
}

static inline __attribute__((always_inline)) void detail_sums(const float *restrict img, long stride,
                                                              const float *restrict band, long rows, long cols,
                                                              double *out) {
    double sum = 0, sq = 0, cross = 0;
    const long w = cols - 2;
    const v8f quarter = {0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f};
    for (long r = 1; r + 1 < rows; r++) {
        const float *restrict mid = img + r * stride + 1, *restrict up = mid - stride, *restrict down = mid + stride;
        const float *restrict trow = band + (r - 1) * w;
        v8f s = {0}, q = {0}, c = {0};
        long i = 0;
        for (; i + 8 <= w; i += 8) {
            const v8f v = load8(mid + i) - quarter * (load8(mid + i - 1) + load8(mid + i + 1) + load8(up + i) + load8(down + i));
            s += v;
            q += v * v;
            c += v * load8(trow + i);
        }
        float rs = hsum(s), rq = hsum(q), rc = hsum(c);
        for (; i < w; i++) {
            const float v = mid[i] - 0.25f * (mid[i - 1] + mid[i + 1] + up[i] + down[i]);
            rs += v;
            rq += v * v;
            rc += v * trow[i];
        }
        sum += rs;
        sq += rq;
        cross += rc;
    }
    out[0] = sum;
    out[1] = sq;
    out[2] = cross;
}

static inline __attribute__((always_inline)) void block_means(const float *restrict src, long stride, long factor,
                                                              long rows, long cols, float *restrict dst,
                                                              float *restrict acc) {
    const long width = cols * factor;
    const float scale = 1.0f / (float)(factor * factor);
    for (long j = 0; j < rows; j++) {
        memcpy(acc, src + j * factor * stride, (size_t)width * sizeof(float));
        for (long k = 1; k < factor; k++) {
            const float *restrict row = src + (j * factor + k) * stride;
            for (long i = 0; i < width; i++) acc[i] += row[i];
        }
        float *restrict out = dst + j * cols;
        if (factor == 2) {
            for (long i = 0; i < cols; i++) out[i] = (acc[2 * i] + acc[2 * i + 1]) * scale;
        } else {
            for (long i = 0; i < cols; i++) {
                float s = 0;
                for (long k = 0; k < factor; k++) s += acc[i * factor + k];
                out[i] = s * scale;
            }
        }
    }
}

#define COPIES(NAME, BODY, PARAMS, ARGS)                                                                           \
    static void NAME##_portable PARAMS { BODY ARGS; }                                                              \
    __attribute__((target("avx2,fma"))) static void NAME##_avx2 PARAMS { BODY ARGS; }                             \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"), min_vector_width(512))) static void     \
        NAME##_avx512 PARAMS { BODY ARGS; }

#if defined(__x86_64__)
COPIES(sums, match_sums,
       (const float *img, long stride, const float *t, long rows, long cols, float offset, double *out),
       (img, stride, t, rows, cols, offset, out))
COPIES(detail, detail_sums, (const float *img, long stride, const float *band, long rows, long cols, double *out),
       (img, stride, band, rows, cols, out))
COPIES(means, block_means,
       (const float *src, long stride, long factor, long rows, long cols, float *dst, float *acc),
       (src, stride, factor, rows, cols, dst, acc))
#define DISPATCH(NAME, ARGS)                                                                                       \
    switch (msr_kernels_level()) {                                                                                 \
    case 2: NAME##_avx512 ARGS; return;                                                                            \
    case 1: NAME##_avx2 ARGS; return;                                                                              \
    default: NAME##_portable ARGS; return;                                                                         \
    }
#else
#define DISPATCH(NAME, ARGS) NAME ARGS
#define sums match_sums
#define detail detail_sums
#define means block_means
#endif

void msr_match_sums(const float *img, long stride, const float *t, long rows, long cols, float offset, double *out) {
    DISPATCH(sums, (img, stride, t, rows, cols, offset, out))
}

void msr_match_detail_sums(const float *img, long stride, const float *band, long rows, long cols, double *out) {
    DISPATCH(detail, (img, stride, band, rows, cols, out))
}

void msr_block_means(const float *src, long stride, long factor, long rows, long cols, float *dst, float *acc) {
    DISPATCH(means, (src, stride, factor, rows, cols, dst, acc))
}
