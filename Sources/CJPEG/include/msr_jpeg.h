// libjpeg-turbo's TurboJPEG API behind calls that return a status; TurboJPEG keeps libjpeg's
// setjmp/longjmp inside itself, so nothing jumps into Swift.
#ifndef MSR_JPEG_H
#define MSR_JPEG_H
#include <stddef.h>
#include <stdint.h>

typedef struct msr_jpeg msr_jpeg;

/// Colour spaces of the JPEG frame (TurboJPEG's TJCS_* values).
enum {
    MSR_JPEG_CS_RGB = 0,
    MSR_JPEG_CS_YCBCR = 1,
    MSR_JPEG_CS_GRAY = 2,
    MSR_JPEG_CS_CMYK = 3,
    MSR_JPEG_CS_YCCK = 4,
};

typedef struct {
    int width;
    int height;
    int colorspace;   ///< one of MSR_JPEG_CS_*
    int subsampling;  ///< TurboJPEG's TJSAMP_* value (-1 when unknown)
} msr_jpeg_info;

#define MSR_JPEG_OK 0
/// Decoding finished but libjpeg warned (the message says what: e.g. the data ended early).
#define MSR_JPEG_WARNING 1
#define MSR_JPEG_ERROR 2

/// Reads the frame header of the JPEG in `bytes` (not copied: they must outlive the handle).
/// Allocates nothing for the pixels. Close the handle with msr_jpeg_close.
int msr_jpeg_open(const uint8_t *bytes, size_t count, msr_jpeg **out, msr_jpeg_info *info, char *err,
                  size_t errlen);
/// Decodes into `buf` (height * width * channels bytes), `channels` 1 (gray) or 3 (RGB), with
/// libjpeg's defaults: accurate integer DCT and smooth (fancy) chroma upsampling, as Pillow.
/// Returns MSR_JPEG_WARNING with the message when libjpeg warned but produced the pixels.
int msr_jpeg_decode(msr_jpeg *jpeg, uint8_t *buf, size_t buflen, int channels, char *err, size_t errlen);
void msr_jpeg_close(msr_jpeg *jpeg);

/// Encodes `height * width * channels` bytes (`channels` 1: gray, 3: RGB) at `quality` 1…100
/// with libjpeg's defaults as Pillow uses them: accurate integer DCT, 4:2:0 chroma subsampling
/// for RGB (Pillow's default), baseline Huffman tables. On success `*out` holds `*outlen` bytes,
/// to be released with msr_jpeg_free.
int msr_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **out,
                    size_t *outlen, char *err, size_t errlen);
void msr_jpeg_free(uint8_t *bytes);
#endif
