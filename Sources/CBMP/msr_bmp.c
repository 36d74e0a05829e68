#include "msr_bmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stb/stb_image.h>

static void copy_message(const char *text, char *buf, size_t buflen) {
    if (buf == NULL || buflen == 0) return;
    snprintf(buf, buflen, "%s", text ? text : "unknown stb_image error");
}

static uint32_t u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32(const uint8_t *p) { return u16(p) | u16(p + 2) << 16; }

int msr_bmp_header(const uint8_t *b, size_t count, msr_bmp_info *info, char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    if (count < 26 || b[0] != 'B' || b[1] != 'M') {
        copy_message("not a BMP file (no BM signature or too short)", err, errlen);
        return 2;
    }
    info->data_offset = u32(b + 10);
    uint32_t hsz = u32(b + 14);
    info->header_size = (int)hsz;
    if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124) {
        copy_message("unknown BMP info header size", err, errlen);
        return 2;
    }
    if (count < 14 + (size_t)hsz) { copy_message("info header is truncated", err, errlen); return 2; }
    int entry = 4;
    if (hsz == 12) {
        info->width = u16(b + 18);
        info->height = u16(b + 20);
        info->bits_per_pixel = (int)u16(b + 24);
        entry = 3;
    } else {
        int32_t w = (int32_t)u32(b + 18), h = (int32_t)u32(b + 22);
        info->width = w;
        info->top_down = h < 0;
        info->height = h < 0 ? -(int64_t)h : h;
        info->bits_per_pixel = (int)u16(b + 28);
        info->compression = (int)u32(b + 30);
        info->palette_entries = (int)(u32(b + 46) > 65536 ? 65536 : u32(b + 46));
    }
    if (info->bits_per_pixel == 16) {
        info->masks[0] = 0x7C00; info->masks[1] = 0x03E0; info->masks[2] = 0x001F;
    } else if (info->bits_per_pixel == 32 || info->bits_per_pixel == 24) {
        info->masks[0] = 0xFF0000; info->masks[1] = 0xFF00; info->masks[2] = 0xFF;
    }
    if ((info->compression == 3 || info->compression == 6) && hsz >= 40 && count >= 66) {
        for (int i = 0; i < 3; i++) info->masks[i] = u32(b + 54 + 4 * i);
    }
    if (info->bits_per_pixel <= 8) {
        /* The palette stb_image uses: every entry between the headers and the pixel data
           (not biClrUsed), as it computes it. */
        size_t start = 14 + hsz + (hsz == 40 && info->compression == 3 ? 12 : 0);
        int64_t n = info->data_offset > start ? (int64_t)(info->data_offset - start) / entry : 0;
        if (n > 256) n = 256;
        if ((size_t)(start + n * entry) > count) n = start < count ? (int64_t)((count - start) / entry) : 0;
        info->palette_entries = (int)n;
        info->palette_gray = n > 0;
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = b + start + i * entry;
            if (p[0] != p[1] || p[1] != p[2]) { info->palette_gray = 0; break; }
        }
    } else {
        info->palette_entries = 0;
    }
    return 0;
}

int msr_bmp_max_index(const uint8_t *bytes, size_t count, const msr_bmp_info *info) {
    int bpp = info->bits_per_pixel;
    if (bpp != 1 && bpp != 4 && bpp != 8) return -1;
    size_t stride = ((size_t)info->width * (size_t)bpp + 31) / 32 * 4;
    size_t used = ((size_t)info->width * (size_t)bpp + 7) / 8;
    int max = 0;
    for (int64_t r = 0; r < info->height; r++) {
        size_t row = info->data_offset + (size_t)r * stride;
        if (row + used > count) return -1;
        const uint8_t *p = bytes + row;
        for (int64_t c = 0; c < info->width; c++) {
            int v = bpp == 8 ? p[c] : bpp == 4 ? (p[c / 2] >> (c % 2 ? 0 : 4)) & 15 : (p[c / 8] >> (7 - c % 8)) & 1;
            if (v > max) max = v;
        }
    }
    return max;
}

int msr_bmp_decode(const uint8_t *bytes, size_t count, uint8_t *buf, size_t buflen, int channels, char *err,
                   size_t errlen) {
    if (channels != 1 && channels != 3) { copy_message("channels must be 1 or 3", err, errlen); return 2; }
    if (count > 0x7fffffff) { copy_message("file larger than 2 GiB", err, errlen); return 2; }
    int width = 0, height = 0, in_channels = 0;
    stbi_uc *pixels = stbi_load_from_memory(bytes, (int)count, &width, &height, &in_channels, channels);
    if (pixels == NULL) { copy_message(stbi_failure_reason(), err, errlen); return 2; }
    size_t need = (size_t)width * (size_t)height * (size_t)channels;
    if (need != buflen) {
        stbi_image_free(pixels);
        copy_message("decoded size differs from the header", err, errlen);
        return 2;
    }
    memcpy(buf, pixels, need);
    stbi_image_free(pixels);
    return 0;
}
