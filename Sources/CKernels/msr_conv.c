// Convolution: depthwise planes, the direct stride-1 convolution and its weight gradient.
#include "msr_kernels.h"
#include "msr_isa.h"

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
