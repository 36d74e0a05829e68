#include "msr_mat.h"

#include <matio.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msr_mat {
    mat_t *mat;
    /* The file's length: a v4 variable declaring more data than the file holds is refused
       before matio allocates for it (a 30-byte file asked for 8 GB; found by fuzzing). */
    long long file_size;
};

static int fail(char *err, size_t errlen, const char *text) {
    if (err && errlen) snprintf(err, errlen, "%s", text);
    return 2;
}

static void append_line(char *buf, size_t buflen, const char *name) {
    size_t used = strlen(buf);
    if (used + strlen(name) + 2 < buflen) {
        strcat(buf, name);
        strcat(buf, "\n");
    }
}

// ---- matio ---------------------------------------------------------------------------

static void quiet_matio(int level, char *message) {
    (void)level;
    (void)message;
}

/// True when the 128-byte MAT header declares version 0x0200 (v7.3). matio hands such a file
/// to libhdf5 in this process; v7.3 files are read only in a child process (msr_reader_pool.c), so a
/// file that claims v7.3 without an HDF5 body must not reach matio.
static int claims_v73(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    unsigned char header[128];
    size_t n = fread(header, 1, sizeof header, f);
    fclose(f);
    if (n < sizeof header) return 0;
    int big = header[126] == 'M' && header[127] == 'I';
    unsigned version = big ? (header[124] << 8 | header[125]) : (header[125] << 8 | header[124]);
    return version == 0x0200;
}

/* Reads the 32-bit word at p in the file's byte order. */
static unsigned long long word32(const unsigned char *p, int big) {
    return big ? ((unsigned long long)p[0] << 24 | (unsigned long long)p[1] << 16 | (unsigned long long)p[2] << 8 | p[3])
               : ((unsigned long long)p[0] | (unsigned long long)p[1] << 8 | (unsigned long long)p[2] << 16 | (unsigned long long)p[3] << 24);
}

/* Checks that the subelements of an uncompressed miMATRIX element (flags, dimensions, name,
   data, nested fields) each lie inside it. matio allocates what a subelement declares (a
   505 MB dimensions array inside a 64-byte matrix; found by fuzzing). */
static int v5_matrix_ok(const unsigned char *data, unsigned long long length, int big, int depth) {
    if (depth > 16) return 0;
    unsigned long long at = 0;
    while (at + 8 <= length) {
        unsigned long long type = word32(data + at, big), bytes;
        unsigned long long head = 8;
        if ((type >> 16) != 0) {  /* small element: bytes in the upper half, data in the next 4 */
            bytes = type >> 16;
            type &= 0xffff;
            if (bytes > 4) return 0;
            at += 8;
            continue;
        }
        bytes = word32(data + at + 4, big);
        if (bytes > length - at - head) return 0;
        if (type == 14 && !v5_matrix_ok(data + at + head, bytes, big, depth + 1)) return 0;
        at += head + (bytes + 7) / 8 * 8;
    }
    return 1;
}

static int v5_structure_ok(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fail(err, errlen, "cannot open the file");
    unsigned char header[128];
    if (fread(header, 1, sizeof header, f) != sizeof header) { fclose(f); return 0; }
    int big = header[126] == 'M' && header[127] == 'I';
    for (;;) {
        unsigned char tag[8];
        if (fread(tag, 1, 8, f) != 8) break;
        unsigned long long type = word32(tag, big), bytes = word32(tag + 4, big);
        if ((type >> 16) != 0) continue;  /* a small element: its 4 data bytes were read with the tag */
        if (type != 14) {  /* compressed or other elements: their size is checked elsewhere */
            if (fseek(f, (long)((bytes + 7) / 8 * 8), SEEK_CUR) != 0) break;
            continue;
        }
        if (bytes > (1ull << 30)) break;  /* past the file's end: reported as truncation elsewhere */
        unsigned char *data = malloc(bytes ? bytes : 1);
        if (data == NULL) break;
        size_t got = fread(data, 1, bytes, f);
        int ok = got < bytes || v5_matrix_ok(data, bytes, big, 0);  /* short: truncation, reported elsewhere */
        free(data);
        if (!ok) {
            fclose(f);
            return fail(err, errlen, "damaged MATLAB v5 file: a matrix's part declares more bytes than the matrix holds");
        }
        if (got < bytes) break;
        if (bytes % 8 && fseek(f, (long)(8 - bytes % 8), SEEK_CUR) != 0) break;
    }
    fclose(f);
    return 0;
}

/* Walks a MATLAB v4 file's variable headers (five 32-bit integers: type MOPT, rows, columns,
   imaginary flag, name length; then the name and the data) and checks that every name and
   every variable's data lie inside the file. matio trusts these fields and allocates what they
   declare (a 1 GB name, an 8 GB matrix from a 30-byte file; found by fuzzing). */
static int v4_structure_ok(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fail(err, errlen, "cannot open the file");
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return fail(err, errlen, "cannot read the file"); }
    long long size = ftell(f);
    long long at = 0;
    int index = 0;
    while (at < size) {
        unsigned char b[20];
        if (fseek(f, (long)at, SEEK_SET) != 0 || size - at < 20 || fread(b, 1, 20, f) != 20) {
            fclose(f);
            return fail(err, errlen, "damaged MATLAB v4 file: a variable header is cut short");
        }
        unsigned long long v[5];
        unsigned long long le0 = (unsigned long long)b[0] | (unsigned long long)b[1] << 8 | (unsigned long long)b[2] << 16 | (unsigned long long)b[3] << 24;
        int big = le0 >= 5000;  /* M = 1 (big-endian) makes the type 1000…; read little-endian it is huge */
        for (int i = 0; i < 5; i++) {
            const unsigned char *q = b + 4 * i;
            v[i] = big ? ((unsigned long long)q[0] << 24 | (unsigned long long)q[1] << 16 | (unsigned long long)q[2] << 8 | q[3])
                       : ((unsigned long long)q[0] | (unsigned long long)q[1] << 8 | (unsigned long long)q[2] << 16 | (unsigned long long)q[3] << 24);
        }
        unsigned long long type = v[0], precision = (type / 10) % 10;
        if (type >= 5000 || (type / 100) % 10 != 0 || precision > 5 || type % 10 > 2) {
            fclose(f);
            return fail(err, errlen, "damaged MATLAB v4 file: a variable header has an unknown type");
        }
        static const unsigned long long element[6] = {8, 4, 4, 2, 2, 1};
        long long left = size - at - 20;
        unsigned long long name = v[4];
        if (name > (unsigned long long)left) {
            fclose(f);
            char text[160];
            snprintf(text, sizeof text, "damaged MATLAB v4 file: variable %d declares a %llu-byte name; the file ends first", index + 1, name);
            return fail(err, errlen, text);
        }
        left -= (long long)name;
        unsigned long long rows = v[1], columns = v[2], parts = v[3] ? 2 : 1;
        unsigned long long bytes = 0;
        int over = 0;
        if (rows != 0 && columns != 0) {
            /* Each factor is checked against what is left, so the product cannot wrap. */
            bytes = element[precision] * parts;
            if (rows > (unsigned long long)left / bytes) over = 1; else bytes *= rows;
            if (!over && columns > (unsigned long long)left / bytes) over = 1; else bytes *= columns;
        }
        if (over || bytes > (unsigned long long)left) {
            fclose(f);
            char text[160];
            snprintf(text, sizeof text, "damaged MATLAB v4 file: variable %d declares %llu × %llu values; the file ends first", index + 1, rows, columns);
            return fail(err, errlen, text);
        }
        at += 20 + (long long)name + (long long)bytes;
        index += 1;
    }
    fclose(f);
    return 0;
}

int msr_mat_open(const char *path, msr_mat **out, char *err, size_t errlen) {
    if (claims_v73(path)) return fail(err, errlen, "the header says MATLAB v7.3 but the file holds no HDF5 data");
    Mat_LogInitFunc("medsr", quiet_matio);
    mat_t *m = Mat_Open(path, MAT_ACC_RDONLY);
    if (m == NULL) return fail(err, errlen, "not a readable MATLAB file");
    struct msr_mat *h = calloc(1, sizeof *h);
    if (h == NULL) { Mat_Close(m); return fail(err, errlen, "out of memory"); }
    if (Mat_GetVersion(m) == MAT_FT_MAT4 || Mat_GetVersion(m) == MAT_FT_MAT5) {
        int status = Mat_GetVersion(m) == MAT_FT_MAT4 ? v4_structure_ok(path, err, errlen) : v5_structure_ok(path, err, errlen);
        if (status != 0) { Mat_Close(m); free(h); return status; }
    }
    h->mat = m;
    h->file_size = -1;
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        if (fseek(f, 0, SEEK_END) == 0) h->file_size = ftell(f);
        fclose(f);
    }
    *out = h;
    return 0;
}

void msr_mat_close(msr_mat *h) {
    if (h == NULL) return;
    Mat_Close(h->mat);
    free(h);
}

int msr_mat_verify_compressed(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fail(err, errlen, "cannot open the file");
    unsigned char header[128];
    if (fread(header, 1, sizeof header, f) != sizeof header) { fclose(f); return 0; }
    int big = header[126] == 'M' && header[127] == 'I';
    if (!big && !(header[126] == 'I' && header[127] == 'M')) { fclose(f); return 0; }
    unsigned char in[65536], out[65536], tag[8];
    int status = 0;
    while (status == 0 && fread(tag, 1, 8, f) == 8) {
        uint32_t type = big ? (uint32_t)tag[0] << 24 | tag[1] << 16 | tag[2] << 8 | tag[3]
                            : (uint32_t)tag[3] << 24 | tag[2] << 16 | tag[1] << 8 | tag[0];
        uint32_t size = big ? (uint32_t)tag[4] << 24 | tag[5] << 16 | tag[6] << 8 | tag[7]
                            : (uint32_t)tag[7] << 24 | tag[6] << 16 | tag[5] << 8 | tag[4];
        if (type != 15) {  /* not compressed: skip the element (padded to 8 bytes) */
            if (fseek(f, (long)((size + 7u) & ~7u), SEEK_CUR) != 0) break;
            continue;
        }
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit(&z) != Z_OK) { status = fail(err, errlen, "out of memory"); break; }
        uint32_t left = size;
        int ret = Z_OK;
        while (ret == Z_OK) {
            if (z.avail_in == 0) {
                if (left == 0) break;
                size_t want = left < sizeof in ? left : sizeof in;
                size_t got = fread(in, 1, want, f);
                if (got == 0) break;
                left -= (uint32_t)got;
                z.next_in = in;
                z.avail_in = (uInt)got;
            }
            z.next_out = out;
            z.avail_out = sizeof out;
            ret = inflate(&z, Z_NO_FLUSH);
            if (ret == Z_BUF_ERROR) ret = Z_OK;
        }
        if (ret == Z_DATA_ERROR) status = fail(err, errlen, "a compressed variable is damaged (zlib data or checksum error)");
        else if (ret != Z_STREAM_END) status = fail(err, errlen, "a compressed variable ends early (truncated file)");
        else if (z.avail_in != 0 || left != 0) status = fail(err, errlen, "a compressed variable holds data after its zlib stream ends (damaged file)");
        inflateEnd(&z);
    }
    fclose(f);
    return status;
}

int msr_mat_version(const msr_mat *h) { return Mat_GetVersion(h->mat) == MAT_FT_MAT4 ? 4 : 5; }

int msr_mat_list(msr_mat *h, char *buf, size_t buflen) {
    if (buflen) buf[0] = 0;
    Mat_Rewind(h->mat);
    matvar_t *v;
    while ((v = Mat_VarReadNextInfo(h->mat)) != NULL) {
        if (v->name) append_line(buf, buflen, v->name);
        Mat_VarFree(v);
    }
    return 0;
}

static int class_of(const matvar_t *v) {
    if (v->isLogical) return MSR_MAT_LOGICAL;
    switch (v->class_type) {
    case MAT_C_DOUBLE: return MSR_MAT_DOUBLE;
    case MAT_C_SINGLE: return MSR_MAT_SINGLE;
    case MAT_C_INT8: return MSR_MAT_INT8;
    case MAT_C_UINT8: return MSR_MAT_UINT8;
    case MAT_C_INT16: return MSR_MAT_INT16;
    case MAT_C_UINT16: return MSR_MAT_UINT16;
    case MAT_C_INT32: return MSR_MAT_INT32;
    case MAT_C_UINT32: return MSR_MAT_UINT32;
    case MAT_C_INT64: return MSR_MAT_INT64;
    case MAT_C_UINT64: return MSR_MAT_UINT64;
    case MAT_C_CHAR: return MSR_MAT_CHAR;
    case MAT_C_STRUCT: return MSR_MAT_STRUCT;
    case MAT_C_CELL: return MSR_MAT_CELL;
    default: return MSR_MAT_UNKNOWN;
    }
}

/// Reads "var" or "var.field" fully; *root receives what must be freed.
static matvar_t *lookup(struct msr_mat *h, const char *path, matvar_t **root, char *err, size_t errlen) {
    char name[256];
    snprintf(name, sizeof name, "%s", path);
    char *dot = strchr(name, '.');
    if (dot) *dot = 0;
    if (Mat_GetVersion(h->mat) == MAT_FT_MAT4 && h->file_size >= 0) {
        /* Version 4 stores data uncompressed: the declared size must fit in the file. */
        matvar_t *probe = Mat_VarReadInfo(h->mat, name);
        if (probe == NULL) { fail(err, errlen, "no such variable"); return NULL; }
        unsigned long long bytes = (unsigned long long)Mat_SizeOfClass(probe->class_type);
        if (bytes == 0) bytes = 1;
        int overflow = 0;
        for (int i = 0; i < probe->rank; i++) {
            unsigned long long d = (unsigned long long)probe->dims[i];
            if (d != 0 && bytes > (unsigned long long)h->file_size / d + 1) overflow = 1;
            bytes *= d;
        }
        if (probe->isComplex) bytes *= 2;
        Mat_VarFree(probe);
        if (overflow || bytes > (unsigned long long)h->file_size) {
            char text[160];
            snprintf(text, sizeof text, "variable '%s' declares more data than the file holds (%lld bytes)", name, h->file_size);
            fail(err, errlen, text);
            return NULL;
        }
    }
    *root = Mat_VarRead(h->mat, name);
    if (*root == NULL) { fail(err, errlen, "no such variable"); return NULL; }
    if (!dot) return *root;
    if ((*root)->class_type != MAT_C_STRUCT) { fail(err, errlen, "variable is not a struct"); return NULL; }
    /* matio dereferences a struct's data without checking it: refuse empty or damaged structs
       first (a crafted v5 file crashed Mat_VarGetStructFieldByName; found by fuzzing). */
    size_t members = 1;
    for (int i = 0; i < (*root)->rank; i++) members *= (*root)->dims[i];
    if ((*root)->data == NULL || (*root)->rank < 1 || members == 0 || Mat_VarGetNumberOfFields(*root) == 0 ||
        Mat_VarGetStructFieldnames(*root) == NULL || (*root)->nbytes < members * Mat_VarGetNumberOfFields(*root) * sizeof(matvar_t *)) {
        fail(err, errlen, "struct is empty or damaged");
        return NULL;
    }
    matvar_t *field = Mat_VarGetStructFieldByName(*root, dot + 1, 0);
    if (field == NULL) fail(err, errlen, "no such struct field");
    return field;
}

int msr_mat_info_of(msr_mat *h, const char *path, msr_mat_info *info, char *fields, size_t fieldslen,
                    char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    if (fields && fieldslen) fields[0] = 0;
    matvar_t *root = NULL;
    matvar_t *v = lookup(h, path, &root, err, errlen);
    if (v == NULL) { if (root) Mat_VarFree(root); return 2; }
    info->rank = v->rank > 8 ? 8 : v->rank;
    for (int i = 0; i < info->rank; i++) info->dims[i] = v->dims[i];
    info->mat_class = class_of(v);
    info->is_complex = v->isComplex;
    info->element_size = info->mat_class == MSR_MAT_CHAR ? 2 : (size_t)Mat_SizeOfClass(v->class_type);
    if (info->mat_class == MSR_MAT_STRUCT && fields) {
        unsigned n = Mat_VarGetNumberOfFields(v);
        char *const *names = Mat_VarGetStructFieldnames(v);
        for (unsigned i = 0; i < n && names; i++) append_line(fields, fieldslen, names[i]);
    }
    Mat_VarFree(root);
    return 0;
}

int msr_mat_read(msr_mat *h, const char *path, void *buf, size_t buflen, char *err, size_t errlen) {
    matvar_t *root = NULL;
    matvar_t *v = lookup(h, path, &root, err, errlen);
    if (v == NULL) { if (root) Mat_VarFree(root); return 2; }
    int status = 0;
    size_t count = 1;
    for (int i = 0; i < v->rank; i++) count *= v->dims[i];
    if (v->isComplex || v->data == NULL) {
        status = count == 0 ? 0 : fail(err, errlen, "complex or empty data is not supported");
    } else if (v->class_type == MAT_C_CHAR) {
        if (count * 2 > buflen) status = fail(err, errlen, "buffer too small");
        else {
            uint16_t *out = buf;
            for (size_t i = 0; i < count; i++) {
                switch (v->data_type) {
                case MAT_T_UINT8: case MAT_T_UTF8: case MAT_T_INT8: out[i] = ((const uint8_t *)v->data)[i]; break;
                case MAT_T_UINT16: case MAT_T_UTF16: case MAT_T_INT16: out[i] = ((const uint16_t *)v->data)[i]; break;
                default: out[i] = '?';
                }
            }
        }
    } else {
        size_t bytes = count * Mat_SizeOfClass(v->class_type);
        if (bytes > buflen || bytes > v->nbytes) status = fail(err, errlen, "data shorter than its dimensions");
        else memcpy(buf, v->data, bytes);
    }
    Mat_VarFree(root);
    return status;
}

