// Windows BMP: the header's facts read here, the pixels decoded by stb_image (Debian's libstb).
// stb_image decodes 1/4/8-bit palette, 16/24/32-bit (bit fields too), bottom-up and top-down;
// it does not decode RLE4/RLE8 (the header reader still describes them).
#ifndef MSR_BMP_H
#define MSR_BMP_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t width;
    int64_t height;          ///< always positive; `top_down` says the row order on disk
    int top_down;
    int header_size;         ///< 12 (OS/2 core), 40, 56, 108, 124
    int bits_per_pixel;      ///< 1, 4, 8, 16, 24, 32
    int compression;         ///< 0 none, 1 RLE8, 2 RLE4, 3 bit fields, 4 JPEG, 5 PNG, 6 alpha bit fields
    int palette_entries;     ///< colours in the palette as stb_image reads it: the entries between the headers and the pixel data (0 without one)
    int palette_gray;        ///< 1 when every palette entry has R = G = B
    uint32_t data_offset;
    uint32_t masks[3];       ///< red, green, blue bit masks of 16/32-bit pixels (the defaults without bit fields)
} msr_bmp_info;

/// Reads the file and info headers of the BMP in `bytes`; allocates nothing.
int msr_bmp_header(const uint8_t *bytes, size_t count, msr_bmp_info *info, char *err, size_t errlen);
/// The largest palette index the pixels of an uncompressed 1/4/8-bit BMP use, or -1 (other
/// depths, or pixel data past the end of `bytes`).
int msr_bmp_max_index(const uint8_t *bytes, size_t count, const msr_bmp_info *info);
/// Decodes into `buf` (height * width * channels bytes, top row first), `channels` 1 (gray:
/// exact for gray palettes) or 3 (RGB; alpha dropped).
int msr_bmp_decode(const uint8_t *bytes, size_t count, uint8_t *buf, size_t buflen, int channels, char *err,
                   size_t errlen);
#endif
