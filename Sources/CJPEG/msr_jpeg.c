#include "msr_jpeg.h"

#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>

struct msr_jpeg {
    tjhandle tj;
    const uint8_t *bytes;
    size_t count;
    int width;
    int height;
};

static void copy_message(const char *text, char *buf, size_t buflen) {
    if (buf == NULL || buflen == 0) return;
    snprintf(buf, buflen, "%s", text ? text : "unknown libjpeg-turbo error");
}

int msr_jpeg_open(const uint8_t *bytes, size_t count, msr_jpeg **out, msr_jpeg_info *info, char *err,
                  size_t errlen) {
    *out = NULL;
    if (bytes == NULL || count < 4 || count > (size_t)0xFFFFFFFFu) {
        copy_message("not a JPEG file (too short or too long)", err, errlen);
        return MSR_JPEG_ERROR;
    }
    struct msr_jpeg *h = calloc(1, sizeof *h);
    if (h == NULL) { copy_message("out of memory", err, errlen); return MSR_JPEG_ERROR; }
    h->tj = tjInitDecompress();
    if (h->tj == NULL) {
        copy_message(tjGetErrorStr2(NULL), err, errlen);
        free(h);
        return MSR_JPEG_ERROR;
    }
    int width = 0, height = 0, subsampling = -1, colorspace = -1;
    if (tjDecompressHeader3(h->tj, bytes, (unsigned long)count, &width, &height, &subsampling, &colorspace) != 0 &&
        (tjGetErrorCode(h->tj) != TJERR_WARNING || width <= 0 || height <= 0)) {
        copy_message(tjGetErrorStr2(h->tj), err, errlen);
        tjDestroy(h->tj);
        free(h);
        return MSR_JPEG_ERROR;
    }
    h->bytes = bytes;
    h->count = count;
    h->width = width;
    h->height = height;
    info->width = width;
    info->height = height;
    info->colorspace = colorspace;
    info->subsampling = subsampling;
    *out = h;
    return MSR_JPEG_OK;
}

int msr_jpeg_decode(msr_jpeg *h, uint8_t *buf, size_t buflen, int channels, char *err, size_t errlen) {
    if (channels != 1 && channels != 3) { copy_message("channels must be 1 or 3", err, errlen); return MSR_JPEG_ERROR; }
    size_t pitch = (size_t)h->width * (size_t)channels;
    if (h->width <= 0 || h->height <= 0 || pitch * (size_t)h->height > buflen) {
        copy_message("buffer too small", err, errlen);
        return MSR_JPEG_ERROR;
    }
    /* No TJFLAG_FASTDCT, no TJFLAG_FASTUPSAMPLE: JDCT_ISLOW and fancy upsampling, libjpeg's
       defaults and Pillow's. */
    int status = tjDecompress2(h->tj, h->bytes, (unsigned long)h->count, buf, h->width, (int)pitch, h->height,
                               channels == 1 ? TJPF_GRAY : TJPF_RGB, 0);
    if (status == 0) return MSR_JPEG_OK;
    copy_message(tjGetErrorStr2(h->tj), err, errlen);
    return tjGetErrorCode(h->tj) == TJERR_WARNING ? MSR_JPEG_WARNING : MSR_JPEG_ERROR;
}

void msr_jpeg_close(msr_jpeg *h) {
    if (h == NULL) return;
    if (h->tj) tjDestroy(h->tj);
    free(h);
}

int msr_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **out,
                    size_t *outlen, char *err, size_t errlen) {
    *out = NULL;
    *outlen = 0;
    if (channels != 1 && channels != 3) { copy_message("channels must be 1 or 3", err, errlen); return MSR_JPEG_ERROR; }
    if (width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        copy_message("invalid size or quality", err, errlen);
        return MSR_JPEG_ERROR;
    }
    tjhandle tj = tjInitCompress();
    if (tj == NULL) { copy_message(tjGetErrorStr2(NULL), err, errlen); return MSR_JPEG_ERROR; }
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    int status = tjCompress2(tj, pixels, width, width * channels, height, channels == 1 ? TJPF_GRAY : TJPF_RGB,
                             &buffer, &size, channels == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
    if (status != 0) {
        copy_message(tjGetErrorStr2(tj), err, errlen);
        tjFree(buffer);
        tjDestroy(tj);
        return MSR_JPEG_ERROR;
    }
    tjDestroy(tj);
    *out = buffer;
    *outlen = size;
    return MSR_JPEG_OK;
}

void msr_jpeg_free(uint8_t *bytes) { tjFree(bytes); }
