// libtiff behind a C API: per-handle error messages, no variadic calls from Swift.
#ifndef MSR_TIFF_H
#define MSR_TIFF_H
#include <stddef.h>
#include <stdint.h>

typedef struct msr_tiff msr_tiff;

typedef struct {
    uint32_t width, height;
    uint32_t tile_width, tile_height;  ///< 0 when the image is stored in strips
    uint32_t rows_per_strip;
    uint16_t samples_per_pixel, bits_per_sample, sample_format;  ///< 1 uint, 2 int, 3 float
    uint16_t photometric;        ///< after any JPEG YCbCr->RGB conversion the reader asks for
    uint16_t planar_config;      ///< 1 contiguous, 2 separate planes
    uint16_t compression;
    uint16_t extra_samples;
    uint32_t subfile_type;       ///< bit 0: reduced-resolution image
    uint32_t subifd_count;       ///< number of SubIFDs this directory points to
    double x_resolution, y_resolution;
    uint16_t resolution_unit;    ///< 1 none, 2 inch, 3 centimetre
} msr_tiff_dir;

/// Opens for reading ("r") or writing ("w", "w8" for BigTIFF).
int msr_tiff_open(const char *path, const char *mode, msr_tiff **out, char *err, size_t errlen);
void msr_tiff_close(msr_tiff *tiff);
/// The first error libtiff reported on this handle since the last call (copied into `buf`).
void msr_tiff_take_error(msr_tiff *tiff, char *buf, size_t buflen);

int msr_tiff_directory_count(msr_tiff *tiff, uint32_t *count);
int msr_tiff_set_directory(msr_tiff *tiff, uint32_t index);
/// Offsets of the SubIFDs of the current directory (at most `capacity`).
int msr_tiff_subifds(msr_tiff *tiff, uint64_t *offsets, uint32_t capacity, uint32_t *count);
int msr_tiff_set_subdirectory(msr_tiff *tiff, uint64_t offset);
int msr_tiff_describe(msr_tiff *tiff, msr_tiff_dir *dir);
/// Image description (tag 270) of the current directory, if any; returns 1 when absent.
int msr_tiff_description(msr_tiff *tiff, char *buf, size_t buflen);

/// Decodes the region [x, x+w) x [y, y+h) of the current directory into `buf`, samples
/// colour-by-pixel, touching only the tiles or strips it overlaps.
int msr_tiff_read_region(msr_tiff *tiff, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint8_t *buf,
                         size_t buflen);

typedef struct {
    uint32_t width, height;
    uint16_t samples_per_pixel, bits_per_sample, sample_format;
    uint32_t tile_size;       ///< multiple of 16
    uint16_t compression;     ///< 1 none, 5 LZW, 7 JPEG, 8 deflate
    int jpeg_quality;
    int reduced;              ///< 1 marks a reduced-resolution pyramid level
    uint32_t subifds;         ///< number of SubIFDs that will follow (0 for a page chain)
    const char *description;  ///< may be NULL
} msr_tiff_level;

/// Writes one tiled directory from a whole image held colour-by-pixel in `pixels`.
int msr_tiff_write_level(msr_tiff *tiff, const msr_tiff_level *level, const uint8_t *pixels);
#endif
