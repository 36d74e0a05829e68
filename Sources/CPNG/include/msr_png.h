// libpng behind a C API whose calls return a status: every setjmp/longjmp stays in msr_png.c.
#ifndef MSR_PNG_H
#define MSR_PNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct msr_png msr_png;

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;       ///< bits per sample in the file (1, 2, 4, 8, 16)
    int color_type;      ///< PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA)
    int interlaced;      ///< 1 for Adam7
    int out_channels;    ///< samples per pixel after decoding: 1 (gray) or 3 (RGB); alpha is dropped
    int out_bit_depth;   ///< 8 or 16 after decoding
} msr_png_info;

/// Reads the header of a PNG file and prepares decoding; the handle must be closed with
/// msr_png_close. When the decoded image would exceed `max_bytes`, returns MSR_PNG_TOO_LARGE
/// with `info` filled and no handle, before libpng allocates anything for the rows.
int msr_png_open(const char *path, uint64_t max_bytes, msr_png **out, msr_png_info *info, char *err,
                 size_t errlen);
/// The same over bytes in memory (not copied: they must outlive the handle).
int msr_png_open_memory(const uint8_t *bytes, size_t count, uint64_t max_bytes, msr_png **out,
                        msr_png_info *info, char *err, size_t errlen);
#define MSR_PNG_TOO_LARGE 3
/// Decodes the image into `buf` (height * width * out_channels * out_bit_depth/8 bytes,
/// 16-bit samples in host byte order).
int msr_png_decode(msr_png *png, uint8_t *buf, size_t buflen, char *err, size_t errlen);
void msr_png_close(msr_png *png);

/// Writes `channels` (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) samples of `bit_depth` (8 or 16,
/// host byte order) per pixel. `level` is the zlib level (0-9).
int msr_png_write(const char *path, uint32_t width, uint32_t height, int channels, int bit_depth,
                  const uint8_t *pixels, int level, char *err, size_t errlen);
#endif
