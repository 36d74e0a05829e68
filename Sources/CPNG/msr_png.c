#include "msr_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msr_png {
    png_structp png;
    png_infop info;
    FILE *file;
    const uint8_t *memory;
    size_t memory_size;
    size_t memory_pos;
    char message[256];
};

static void copy_message(const char *text, char *buf, size_t buflen) {
    if (buf == NULL || buflen == 0) return;
    snprintf(buf, buflen, "%s", text ? text : "unknown libpng error");
}

static void on_error(png_structp png, png_const_charp message) {
    struct msr_png *h = (struct msr_png *)png_get_error_ptr(png);
    if (h) copy_message(message, h->message, sizeof h->message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void read_memory(png_structp png, png_bytep out, png_size_t count) {
    struct msr_png *h = (struct msr_png *)png_get_io_ptr(png);
    if (h->memory_pos + count > h->memory_size) png_error(png, "file is truncated");
    memcpy(out, h->memory + h->memory_pos, count);
    h->memory_pos += count;
}

static void destroy(struct msr_png *h) {
    if (h == NULL) return;
    if (h->png) png_destroy_read_struct(&h->png, h->info ? &h->info : NULL, NULL);
    if (h->file) fclose(h->file);
    free(h);
}

static int open_common(struct msr_png *h, uint64_t max_bytes, msr_png **out, msr_png_info *info, char *err,
                       size_t errlen) {
    h->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, h, on_error, on_warning);
    if (h->png == NULL) { copy_message("out of memory", err, errlen); destroy(h); return 2; }
    h->info = png_create_info_struct(h->png);
    if (h->info == NULL) { copy_message("out of memory", err, errlen); destroy(h); return 2; }
    if (setjmp(png_jmpbuf(h->png))) {
        copy_message(h->message, err, errlen);
        destroy(h);
        return 2;
    }
    if (h->file) png_init_io(h->png, h->file);
    else png_set_read_fn(h->png, h, read_memory);
    /* Limits are checked by the caller against its own budget; lift libpng's 1e6 default. */
    png_set_user_limits(h->png, 0x7fffffffL, 0x7fffffffL);
    png_read_info(h->png, h->info);
    int color = png_get_color_type(h->png, h->info);
    int depth = png_get_bit_depth(h->png, h->info);
    info->width = png_get_image_width(h->png, h->info);
    info->height = png_get_image_height(h->png, h->info);
    info->bit_depth = depth;
    info->color_type = color;
    info->interlaced = png_get_interlace_type(h->png, h->info) != PNG_INTERLACE_NONE;
    info->out_channels = (color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_PALETTE ||
                          color == PNG_COLOR_TYPE_RGB_ALPHA) ? 3 : 1;
    info->out_bit_depth = depth == 16 ? 16 : 8;
    /* Refuse before png_read_update_info, which allocates and clears row buffers. */
    uint64_t bytes = (uint64_t)info->width * info->height * (uint64_t)info->out_channels * (info->out_bit_depth / 8);
    if (info->width > 0 && bytes / info->width / info->out_channels / (info->out_bit_depth / 8) != info->height) bytes = UINT64_MAX;
    if (bytes > max_bytes) {
        copy_message("image larger than the limit", err, errlen);
        destroy(h);
        return MSR_PNG_TOO_LARGE;
    }
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(h->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(h->png);
    if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(h->png);
    if (depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(h->png);
    }
    if (info->interlaced) png_set_interlace_handling(h->png);
    png_read_update_info(h->png, h->info);
    info->out_channels = png_get_channels(h->png, h->info);
    info->out_bit_depth = png_get_bit_depth(h->png, h->info);
    *out = h;
    return 0;
}

int msr_png_open(const char *path, uint64_t max_bytes, msr_png **out, msr_png_info *info, char *err,
                 size_t errlen) {
    struct msr_png *h = calloc(1, sizeof *h);
    if (h == NULL) { copy_message("out of memory", err, errlen); return 2; }
    h->file = fopen(path, "rb");
    if (h->file == NULL) { copy_message("cannot open the file", err, errlen); free(h); return 2; }
    unsigned char signature[8];
    if (fread(signature, 1, 8, h->file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        copy_message("not a PNG file (bad signature)", err, errlen);
        destroy(h);
        return 2;
    }
    rewind(h->file);
    return open_common(h, max_bytes, out, info, err, errlen);
}

int msr_png_open_memory(const uint8_t *bytes, size_t count, uint64_t max_bytes, msr_png **out,
                        msr_png_info *info, char *err, size_t errlen) {
    if (count < 8 || png_sig_cmp(bytes, 0, 8) != 0) {
        copy_message("not a PNG file (bad signature)", err, errlen);
        return 2;
    }
    struct msr_png *h = calloc(1, sizeof *h);
    if (h == NULL) { copy_message("out of memory", err, errlen); return 2; }
    h->memory = bytes;
    h->memory_size = count;
    return open_common(h, max_bytes, out, info, err, errlen);
}

int msr_png_decode(msr_png *h, uint8_t *buf, size_t buflen, char *err, size_t errlen) {
    size_t rowbytes = png_get_rowbytes(h->png, h->info);
    size_t height = png_get_image_height(h->png, h->info);
    if (rowbytes * height > buflen) { copy_message("buffer too small", err, errlen); return 2; }
    png_bytep *rows = malloc(height * sizeof(png_bytep));
    if (rows == NULL) { copy_message("out of memory", err, errlen); return 2; }
    for (size_t r = 0; r < height; r++) rows[r] = buf + r * rowbytes;
    if (setjmp(png_jmpbuf(h->png))) {
        free(rows);
        copy_message(h->message, err, errlen);
        return 2;
    }
    png_read_image(h->png, rows);
    png_read_end(h->png, NULL);
    free(rows);
    return 0;
}

void msr_png_close(msr_png *png) { destroy(png); }

int msr_png_write(const char *path, uint32_t width, uint32_t height, int channels, int bit_depth,
                  const uint8_t *pixels, int level, char *err, size_t errlen) {
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        copy_message("unsupported PNG layout", err, errlen);
        return 2;
    }
    FILE *file = fopen(path, "wb");
    if (file == NULL) { copy_message("cannot create the file", err, errlen); return 2; }
    struct msr_png h;
    memset(&h, 0, sizeof h);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &h, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (png == NULL || info == NULL || rows == NULL) {
        copy_message("out of memory", err, errlen);
        if (png) png_destroy_write_struct(&png, info ? &info : NULL);
        free(rows);
        fclose(file);
        return 2;
    }
    if (setjmp(png_jmpbuf(png))) {
        copy_message(h.message, err, errlen);
        png_destroy_write_struct(&png, &info);
        free(rows);
        fclose(file);
        return 2;
    }
    png_init_io(png, file);
    png_set_compression_level(png, level);
    png_set_IHDR(png, info, width, height, bit_depth, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    }
    size_t stride = (size_t)width * channels * (bit_depth / 8);
    for (uint32_t r = 0; r < height; r++) rows[r] = (png_bytep)(pixels + r * stride);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (fclose(file) != 0) { copy_message("write failed (disk full?)", err, errlen); return 2; }
    return 0;
}
