// Resampling: Pillow's 8-bit row sums and the byte / 16-bit transposes between its two passes.
#include "msr_kernels.h"
#include "msr_isa.h"

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
