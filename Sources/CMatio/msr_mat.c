#include "msr_mat.h"

#include <hdf5.h>
#include <matio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msr_mat {
    mat_t *mat;
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

int msr_mat_open(const char *path, msr_mat **out, char *err, size_t errlen) {
    Mat_LogInitFunc("medsr", quiet_matio);
    mat_t *m = Mat_Open(path, MAT_ACC_RDONLY);
    if (m == NULL) return fail(err, errlen, "not a readable MATLAB file");
    struct msr_mat *h = calloc(1, sizeof *h);
    if (h == NULL) { Mat_Close(m); return fail(err, errlen, "out of memory"); }
    h->mat = m;
    *out = h;
    return 0;
}

void msr_mat_close(msr_mat *h) {
    if (h == NULL) return;
    Mat_Close(h->mat);
    free(h);
}

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

// ---- HDF5 ----------------------------------------------------------------------------

static void h5_init(void) {
    static int done = 0;
    if (!done) {
        H5open();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

int msr_h5_open(const char *path, int64_t *file, char *err, size_t errlen) {
    h5_init();
    if (H5Fis_hdf5(path) <= 0) return fail(err, errlen, "not an HDF5 (MATLAB v7.3) file");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return fail(err, errlen, "HDF5 cannot open the file");
    *file = f;
    return 0;
}

void msr_h5_close(int64_t file) {
    if (file >= 0) H5Fclose((hid_t)file);
}

typedef struct {
    char *buf;
    size_t len;
} child_list;

static herr_t add_child(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)group;
    (void)info;
    child_list *list = data;
    if (strcmp(name, "#refs#") != 0 && strcmp(name, "#subsystem#") != 0) append_line(list->buf, list->len, name);
    return 0;
}

int msr_h5_children(int64_t file, const char *group, char *buf, size_t buflen) {
    if (buflen) buf[0] = 0;
    hid_t g = H5Gopen2((hid_t)file, group, H5P_DEFAULT);
    if (g < 0) return 2;
    child_list list = {buf, buflen};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, add_child, &list);
    H5Gclose(g);
    return 0;
}

/// Reads a string attribute whether fixed-length (any padding) or variable-length.
static int read_string_attribute(hid_t object, const char *name, char *out, size_t outlen) {
    out[0] = 0;
    if (H5Aexists(object, name) <= 0) return 1;
    hid_t attr = H5Aopen(object, name, H5P_DEFAULT);
    if (attr < 0) return 2;
    hid_t type = H5Aget_type(attr);
    int status = 2;
    /* One string only: reading an array of strings into one slot would write past it (and,
       for variable-length strings, leak the rest; found by fuzzing). */
    hid_t space = H5Aget_space(attr);
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    if (points == 1 && H5Tget_class(type) == H5T_STRING) {
        if (H5Tis_variable_str(type) > 0) {
            hid_t mem = H5Tcopy(H5T_C_S1);
            H5Tset_size(mem, H5T_VARIABLE);
            char *value = NULL;
            if (H5Aread(attr, mem, &value) >= 0 && value) {
                snprintf(out, outlen, "%s", value);
                H5free_memory(value);
                status = 0;
            }
            H5Tclose(mem);
        } else {
            size_t size = H5Tget_size(type);
            char *value = calloc(size + 1, 1);
            hid_t mem = H5Tcopy(H5T_C_S1);
            H5Tset_size(mem, size + 1);
            H5Tset_strpad(mem, H5T_STR_NULLTERM);
            if (value && H5Aread(attr, mem, value) >= 0) {
                snprintf(out, outlen, "%s", value);
                status = 0;
            }
            H5Tclose(mem);
            free(value);
        }
        /* Strip trailing blanks and NULs whatever the writer used for padding. */
        size_t n = strlen(out);
        while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == 0)) out[--n] = 0;
    }
    H5Tclose(type);
    H5Aclose(attr);
    return status;
}

static int class_named(const char *name) {
    static const char *names[] = {"", "double", "single", "int8", "uint8", "int16", "uint16", "int32",
                                  "uint32", "int64", "uint64", "char", "logical", "struct", "cell"};
    for (int i = 1; i < 15; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return MSR_MAT_UNKNOWN;
}

static int class_from_type(hid_t type) {
    H5T_class_t c = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    if (c == H5T_FLOAT) return size == 4 ? MSR_MAT_SINGLE : MSR_MAT_DOUBLE;
    if (c == H5T_INTEGER) {
        int sign = H5Tget_sign(type) == H5T_SGN_2;
        switch (size) {
        case 1: return sign ? MSR_MAT_INT8 : MSR_MAT_UINT8;
        case 2: return sign ? MSR_MAT_INT16 : MSR_MAT_UINT16;
        case 4: return sign ? MSR_MAT_INT32 : MSR_MAT_UINT32;
        case 8: return sign ? MSR_MAT_INT64 : MSR_MAT_UINT64;
        }
    }
    if (c == H5T_REFERENCE) return MSR_MAT_CELL;
    return MSR_MAT_UNKNOWN;
}

static size_t element_size(int mat_class) {
    switch (mat_class) {
    case MSR_MAT_DOUBLE: case MSR_MAT_INT64: case MSR_MAT_UINT64: return 8;
    case MSR_MAT_SINGLE: case MSR_MAT_INT32: case MSR_MAT_UINT32: return 4;
    case MSR_MAT_INT16: case MSR_MAT_UINT16: case MSR_MAT_CHAR: return 2;
    case MSR_MAT_INT8: case MSR_MAT_UINT8: case MSR_MAT_LOGICAL: return 1;
    default: return 0;
    }
}

static hid_t native_type(int mat_class) {
    switch (mat_class) {
    case MSR_MAT_DOUBLE: return H5T_NATIVE_DOUBLE;
    case MSR_MAT_SINGLE: return H5T_NATIVE_FLOAT;
    case MSR_MAT_INT8: return H5T_NATIVE_INT8;
    case MSR_MAT_UINT8: case MSR_MAT_LOGICAL: return H5T_NATIVE_UINT8;
    case MSR_MAT_INT16: return H5T_NATIVE_INT16;
    case MSR_MAT_UINT16: case MSR_MAT_CHAR: return H5T_NATIVE_UINT16;
    case MSR_MAT_INT32: return H5T_NATIVE_INT32;
    case MSR_MAT_UINT32: return H5T_NATIVE_UINT32;
    case MSR_MAT_INT64: return H5T_NATIVE_INT64;
    case MSR_MAT_UINT64: return H5T_NATIVE_UINT64;
    default: return -1;
    }
}

int msr_h5_info(int64_t file, const char *path, msr_mat_info *info, char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    if (H5Lexists((hid_t)file, path, H5P_DEFAULT) <= 0) return fail(err, errlen, "no such variable");
    H5O_info_t object;
    if (H5Oget_info_by_name((hid_t)file, path, &object, H5P_DEFAULT) < 0) return fail(err, errlen, "unreadable object");
    char mclass[64];
    if (object.type == H5O_TYPE_GROUP) {
        hid_t g = H5Gopen2((hid_t)file, path, H5P_DEFAULT);
        read_string_attribute(g, "MATLAB_class", mclass, sizeof mclass);
        H5Gclose(g);
        info->mat_class = MSR_MAT_STRUCT;
        info->rank = 2;
        info->dims[0] = info->dims[1] = 1;
        return 0;
    }
    if (object.type != H5O_TYPE_DATASET) return fail(err, errlen, "not a dataset or group");
    hid_t d = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (d < 0) return fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hid_t type = H5Dget_type(d);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[8] = {0};
    int status = 0;
    if (rank < 0 || rank > 8) {
        status = fail(err, errlen, "dataset rank out of range");
    } else {
        H5Sget_simple_extent_dims(space, dims, NULL);
        info->rank = rank;
        for (int i = 0; i < rank; i++) info->dims[i] = dims[rank - 1 - i];  /* MATLAB order */
        int from_attr = read_string_attribute(d, "MATLAB_class", mclass, sizeof mclass) == 0 ? class_named(mclass) : 0;
        info->mat_class = from_attr ? from_attr : class_from_type(type);
        info->is_complex = H5Tget_class(type) == H5T_COMPOUND;
        if (H5Aexists(d, "MATLAB_empty") > 0) {
            info->rank = 2;
            info->dims[0] = info->dims[1] = 0;
        }
        info->element_size = element_size(info->mat_class);
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(d);
    return status;
}

int msr_h5_read(int64_t file, const char *path, int mat_class, void *buf, size_t buflen, char *err, size_t errlen) {
    hid_t mem = native_type(mat_class);
    if (mem < 0) return fail(err, errlen, "this MATLAB class cannot be read as numbers");
    hid_t d = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (d < 0) return fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    int status = 0;
    if (count < 0 || (size_t)count * element_size(mat_class) > buflen) status = fail(err, errlen, "buffer too small");
    else if (H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) status = fail(err, errlen, "HDF5 read failed (corrupt or truncated file?)");
    H5Sclose(space);
    H5Dclose(d);
    return status;
}
