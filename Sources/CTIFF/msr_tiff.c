#include "msr_tiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

struct msr_tiff {
    TIFF *tif;
    char message[256];
    int has_message;
};

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    (void)module;
    struct msr_tiff *h = user;
    if (h && !h->has_message) {
        vsnprintf(h->message, sizeof h->message, fmt, ap);
        h->has_message = 1;
    }
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}

static int fail(struct msr_tiff *h, const char *text) {
    if (h && !h->has_message) {
        snprintf(h->message, sizeof h->message, "%s", text);
        h->has_message = 1;
    }
    return 2;
}

int msr_tiff_open(const char *path, const char *mode, msr_tiff **out, char *err, size_t errlen) {
    struct msr_tiff *h = calloc(1, sizeof *h);
    if (h == NULL) { snprintf(err, errlen, "out of memory"); return 2; }
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, h);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, h);
    h->tif = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    if (h->tif == NULL) {
        snprintf(err, errlen, "%s", h->has_message ? h->message : "cannot open the file");
        free(h);
        return 2;
    }
    *out = h;
    return 0;
}

void msr_tiff_close(msr_tiff *h) {
    if (h == NULL) return;
    if (h->tif) TIFFClose(h->tif);
    free(h);
}

void msr_tiff_take_error(msr_tiff *h, char *buf, size_t buflen) {
    snprintf(buf, buflen, "%s", h->has_message ? h->message : "libtiff reported a failure");
    h->has_message = 0;
}

int msr_tiff_directory_count(msr_tiff *h, uint32_t *count) {
    *count = TIFFNumberOfDirectories(h->tif);
    return 0;
}

/// Asks libtiff for RGB out of JPEG-compressed YCbCr data.
static void prepare_directory(struct msr_tiff *h) {
    uint16_t compression = 1, photometric = 0;
    TIFFGetFieldDefaulted(h->tif, TIFFTAG_COMPRESSION, &compression);
    TIFFGetField(h->tif, TIFFTAG_PHOTOMETRIC, &photometric);
    if (compression == COMPRESSION_JPEG && photometric == PHOTOMETRIC_YCBCR)
        TIFFSetField(h->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
}

int msr_tiff_set_directory(msr_tiff *h, uint32_t index) {
    if (!TIFFSetDirectory(h->tif, (tdir_t)index)) return fail(h, "no such directory");
    prepare_directory(h);
    return 0;
}

int msr_tiff_subifds(msr_tiff *h, uint64_t *offsets, uint32_t capacity, uint32_t *count) {
    uint16_t n = 0;
    uint64_t *list = NULL;
    *count = 0;
    if (TIFFGetField(h->tif, TIFFTAG_SUBIFD, &n, &list) && list != NULL) {
        *count = n;
        for (uint32_t i = 0; i < n && i < capacity; i++) offsets[i] = list[i];
    }
    return 0;
}

int msr_tiff_set_subdirectory(msr_tiff *h, uint64_t offset) {
    if (!TIFFSetSubDirectory(h->tif, offset)) return fail(h, "cannot read a SubIFD");
    prepare_directory(h);
    return 0;
}

int msr_tiff_describe(msr_tiff *h, msr_tiff_dir *d) {
    memset(d, 0, sizeof *d);
    TIFF *t = h->tif;
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &d->width) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &d->height))
        return fail(h, "directory has no image size");
    if (TIFFIsTiled(t)) {
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &d->tile_width);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &d->tile_height);
    }
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &d->rows_per_strip);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &d->samples_per_pixel);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &d->bits_per_sample);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &d->sample_format);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &d->planar_config);
    TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &d->compression);
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &d->photometric))
        d->photometric = d->samples_per_pixel >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    if (d->compression == COMPRESSION_JPEG && d->photometric == PHOTOMETRIC_YCBCR)
        d->photometric = PHOTOMETRIC_RGB;  /* JPEGCOLORMODE_RGB was set */
    uint16_t extra = 0;
    uint16_t *kinds = NULL;
    if (TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &extra, &kinds)) d->extra_samples = extra;
    TIFFGetFieldDefaulted(t, TIFFTAG_SUBFILETYPE, &d->subfile_type);
    uint16_t n = 0;
    uint64_t *list = NULL;
    if (TIFFGetField(t, TIFFTAG_SUBIFD, &n, &list)) d->subifd_count = n;
    float xr = 0, yr = 0;
    if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr)) d->x_resolution = xr;
    if (TIFFGetField(t, TIFFTAG_YRESOLUTION, &yr)) d->y_resolution = yr;
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &d->resolution_unit);
    return 0;
}

int msr_tiff_description(msr_tiff *h, char *buf, size_t buflen) {
    char *text = NULL;
    if (!TIFFGetField(h->tif, TIFFTAG_IMAGEDESCRIPTION, &text) || text == NULL) return 1;
    snprintf(buf, buflen, "%s", text);
    return 0;
}

/// Copies the part of one decoded block (tile or strip, `bw` x `bh` at (bx, by)) that lies in
/// the region, for `plane` (-1: all samples contiguous).
static void copy_block(const uint8_t *block, uint32_t bx, uint32_t by, uint32_t bw, uint32_t bh,
                       uint32_t x, uint32_t y, uint32_t w, uint32_t h, size_t pixel_bytes,
                       size_t sample_bytes, int plane, size_t block_pixel_bytes, uint8_t *out) {
    uint32_t x0 = bx > x ? bx : x, y0 = by > y ? by : y;
    uint32_t x1 = bx + bw < x + w ? bx + bw : x + w, y1 = by + bh < y + h ? by + bh : y + h;
    for (uint32_t r = y0; r < y1; r++) {
        const uint8_t *src = block + ((size_t)(r - by) * bw + (x0 - bx)) * block_pixel_bytes;
        uint8_t *dst = out + ((size_t)(r - y) * w + (x0 - x)) * pixel_bytes;
        if (plane < 0) {
            memcpy(dst, src, (size_t)(x1 - x0) * pixel_bytes);
        } else {
            for (uint32_t c = x0; c < x1; c++)
                memcpy(dst + (size_t)(c - x0) * pixel_bytes + plane * sample_bytes,
                       src + (size_t)(c - x0) * sample_bytes, sample_bytes);
        }
    }
}

int msr_tiff_read_region(msr_tiff *h, uint32_t x, uint32_t y, uint32_t w, uint32_t hh, uint8_t *buf,
                         size_t buflen) {
    msr_tiff_dir d;
    if (msr_tiff_describe(h, &d) != 0) return 2;
    if (d.bits_per_sample != 8 && d.bits_per_sample != 16 && d.bits_per_sample != 32)
        return fail(h, "only 8, 16 and 32 bits per sample are supported");
    if ((uint64_t)x + w > d.width || (uint64_t)y + hh > d.height || w == 0 || hh == 0)
        return fail(h, "region lies outside the image");
    size_t sample_bytes = d.bits_per_sample / 8;
    size_t pixel_bytes = sample_bytes * d.samples_per_pixel;
    if ((uint64_t)w * hh * pixel_bytes > buflen) return fail(h, "region buffer too small");
    int separate = d.planar_config == PLANARCONFIG_SEPARATE && d.samples_per_pixel > 1;
    size_t block_pixel_bytes = separate ? sample_bytes : pixel_bytes;
    int planes = separate ? d.samples_per_pixel : 1;
    TIFF *t = h->tif;
    if (d.tile_width > 0) {
        tmsize_t tile_size = TIFFTileSize(t);
        if (tile_size <= 0) return fail(h, "bad tile size");
        uint8_t *block = malloc((size_t)tile_size);
        if (block == NULL) return fail(h, "out of memory");
        for (int p = 0; p < planes; p++) {
            for (uint32_t ty = y / d.tile_height * d.tile_height; ty < y + hh; ty += d.tile_height) {
                for (uint32_t tx = x / d.tile_width * d.tile_width; tx < x + w; tx += d.tile_width) {
                    uint32_t index = TIFFComputeTile(t, tx, ty, 0, (uint16_t)p);
                    if (TIFFReadEncodedTile(t, index, block, tile_size) < 0) { free(block); return fail(h, "tile decode failed"); }
                    copy_block(block, tx, ty, d.tile_width, d.tile_height, x, y, w, hh, pixel_bytes,
                               sample_bytes, separate ? p : -1, block_pixel_bytes, buf);
                }
            }
        }
        free(block);
    } else {
        uint32_t rps = d.rows_per_strip == 0 || d.rows_per_strip > d.height ? d.height : d.rows_per_strip;
        tmsize_t strip_size = TIFFStripSize(t);
        if (strip_size <= 0) return fail(h, "bad strip size");
        uint8_t *block = malloc((size_t)strip_size);
        if (block == NULL) return fail(h, "out of memory");
        for (int p = 0; p < planes; p++) {
            for (uint32_t sy = y / rps * rps; sy < y + hh; sy += rps) {
                uint32_t index = TIFFComputeStrip(t, sy, (uint16_t)p);
                uint32_t rows = sy + rps > d.height ? d.height - sy : rps;
                if (TIFFReadEncodedStrip(t, index, block, (tmsize_t)rows * d.width * block_pixel_bytes) < 0) {
                    free(block);
                    return fail(h, "strip decode failed");
                }
                copy_block(block, 0, sy, d.width, rows, x, y, w, hh, pixel_bytes, sample_bytes,
                           separate ? p : -1, block_pixel_bytes, buf);
            }
        }
        free(block);
    }
    return 0;
}

int msr_tiff_write_level(msr_tiff *h, const msr_tiff_level *l, const uint8_t *pixels) {
    TIFF *t = h->tif;
    uint16_t photometric = l->samples_per_pixel >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, l->width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, l->height);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, l->samples_per_pixel);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, l->bits_per_sample);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, l->sample_format);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, l->compression);
    TIFFSetField(t, TIFFTAG_TILEWIDTH, l->tile_size);
    TIFFSetField(t, TIFFTAG_TILELENGTH, l->tile_size);
    TIFFSetField(t, TIFFTAG_SUBFILETYPE, l->reduced ? FILETYPE_REDUCEDIMAGE : 0);
    if (l->description) TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, l->description);
    if (l->compression == COMPRESSION_JPEG) {
        if (photometric == PHOTOMETRIC_RGB) {
            photometric = PHOTOMETRIC_YCBCR;
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
            TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        } else {
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
        }
        TIFFSetField(t, TIFFTAG_JPEGQUALITY, l->jpeg_quality);
    } else {
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
        if (l->compression == COMPRESSION_ADOBE_DEFLATE || l->compression == COMPRESSION_LZW)
            TIFFSetField(t, TIFFTAG_PREDICTOR, l->sample_format == SAMPLEFORMAT_IEEEFP ? 3 : 2);
    }
    if (l->subifds > 0) {
        uint64_t *zeros = calloc(l->subifds, sizeof(uint64_t));
        if (zeros == NULL) return fail(h, "out of memory");
        TIFFSetField(t, TIFFTAG_SUBIFD, (uint16_t)l->subifds, zeros);
        free(zeros);
    }
    size_t pixel_bytes = (size_t)l->samples_per_pixel * (l->bits_per_sample / 8);
    size_t tile_bytes = (size_t)l->tile_size * l->tile_size * pixel_bytes;
    uint8_t *tile = malloc(tile_bytes);
    if (tile == NULL) return fail(h, "out of memory");
    for (uint32_t ty = 0; ty < l->height; ty += l->tile_size) {
        for (uint32_t tx = 0; tx < l->width; tx += l->tile_size) {
            memset(tile, 0, tile_bytes);
            uint32_t rows = ty + l->tile_size > l->height ? l->height - ty : l->tile_size;
            uint32_t cols = tx + l->tile_size > l->width ? l->width - tx : l->tile_size;
            for (uint32_t r = 0; r < rows; r++)
                memcpy(tile + (size_t)r * l->tile_size * pixel_bytes,
                       pixels + ((size_t)(ty + r) * l->width + tx) * pixel_bytes, (size_t)cols * pixel_bytes);
            if (TIFFWriteEncodedTile(t, TIFFComputeTile(t, tx, ty, 0, 0), tile, (tmsize_t)tile_bytes) < 0) {
                free(tile);
                return fail(h, "tile encode failed");
            }
        }
    }
    free(tile);
    if (!TIFFWriteDirectory(t)) return fail(h, "cannot write the directory");
    return 0;
}
