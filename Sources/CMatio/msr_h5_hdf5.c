// MATLAB v7.3 (HDF5) files: what a reader process does (see msr_reader_pool.h). This is the
// only file that calls HDF5, and it runs only in reader processes: libhdf5 1.10 (Debian's)
// crashes on some damaged files (fuzzing finds NULL dereferences in H5Literate's symbol-table
// walk within seconds), reads out of bounds, or allocates without end. A reader walks the file
// once and streams a snapshot (the group tree, every dataset's description, and the data of
// datasets up to a budget) back in the format of msr_h5_wire.h; data left out (large
// datasets) is read later, one dataset per request.
#define _GNU_SOURCE
#include "msr_h5_wire.h"
#include "msr_reader_pool.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

typedef msr_h5_stream stream;

static size_t element_size(int mat_class) {
    switch (mat_class) {
    case MSR_MAT_DOUBLE: case MSR_MAT_INT64: case MSR_MAT_UINT64: return 8;
    case MSR_MAT_SINGLE: case MSR_MAT_INT32: case MSR_MAT_UINT32: return 4;
    case MSR_MAT_INT16: case MSR_MAT_UINT16: case MSR_MAT_CHAR: return 2;
    case MSR_MAT_INT8: case MSR_MAT_UINT8: case MSR_MAT_LOGICAL: return 1;
    default: return 0;
    }
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
    if (type >= 0 && points == 1 && H5Tget_class(type) == H5T_STRING) {
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
            char *value = size < (1u << 20) ? calloc(size + 1, 1) : NULL;
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
    if (type >= 0) H5Tclose(type);
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

/// Describes the dataset at `path`: MATLAB dimensions (rows first) and class, from the
/// `MATLAB_class` attribute whatever its string padding, else from the HDF5 type.
static int dataset_info(hid_t file, const char *path, msr_mat_info *info, char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return msr_h5_fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hid_t type = H5Dget_type(d);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t dims[8] = {0};
    int status = 0;
    if (type < 0 || rank < 0 || rank > 8) {
        status = msr_h5_fail(err, errlen, "the dataset's type or shape is unreadable");
    } else {
        H5Sget_simple_extent_dims(space, dims, NULL);
        info->rank = rank;
        for (int i = 0; i < rank; i++) info->dims[i] = dims[rank - 1 - i];  /* MATLAB order */
        char mclass[64];
        int from_attr = read_string_attribute(d, "MATLAB_class", mclass, sizeof mclass) == 0 ? class_named(mclass) : 0;
        info->mat_class = from_attr ? from_attr : class_from_type(type);
        info->is_complex = H5Tget_class(type) == H5T_COMPOUND;
        if (H5Aexists(d, "MATLAB_empty") > 0) {
            info->rank = 2;
            info->dims[0] = info->dims[1] = 0;
        }
        info->element_size = element_size(info->mat_class);
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    return status;
}

/// Reads `bytes` bytes of the dataset at `path` converted to the native type of its class.
static int dataset_read(hid_t file, const char *path, const msr_mat_info *info, void *buf, uint64_t bytes,
                        char *err, size_t errlen) {
    hid_t mem = native_type(info->mat_class);
    if (mem < 0) return msr_h5_fail(err, errlen, "this MATLAB class cannot be read as numbers");
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return msr_h5_fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    int status = 0;
    if (count < 0 || (uint64_t)count * element_size(info->mat_class) != bytes)
        status = msr_h5_fail(err, errlen, "the dataset's extent does not match its description");
    else if (bytes > 0 && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        status = msr_h5_fail(err, errlen, "HDF5 read failed (corrupt or truncated file?)");
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    return status;
}

typedef struct {
    char *text;
    size_t used, capacity;
} names;

static herr_t add_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)group;
    (void)info;
    names *list = data;
    if (strcmp(name, "#refs#") == 0 || strcmp(name, "#subsystem#") == 0) return 0;
    size_t n = strlen(name);
    if (list->used + n + 2 > list->capacity) {
        size_t grown = list->capacity ? list->capacity * 2 : 4096;
        while (grown < list->used + n + 2) grown *= 2;
        if (grown > (1u << 20)) return 1;  /* over 1 MiB of names: stop */
        char *text = realloc(list->text, grown);
        if (text == NULL) return 1;
        list->text = text;
        list->capacity = grown;
    }
    memcpy(list->text + list->used, name, n);
    list->used += n;
    list->text[list->used++] = '\n';
    list->text[list->used] = 0;
    return 0;
}

enum { MAX_DEPTH = 16, MAX_OBJECTS = 100000, MAX_GROUPS = 4096 };

typedef struct {
    stream *out;
    hid_t file;
    uint64_t budget;      ///< data bytes still to send
    uint64_t inline_max;  ///< largest dataset sent with the snapshot
    int objects;
    haddr_t groups[MAX_GROUPS];  ///< groups visited, so a link cycle is walked once
    int group_count;
} walker;

static void walk(walker *w, const char *path, int depth);

static void visit(walker *w, const char *path, int depth) {
    if (++w->objects > MAX_OBJECTS) {
        msr_h5_put_unusable(w->out, path, "the file holds too many objects");
        return;
    }
    H5O_info_t object;
    if (H5Oget_info_by_name(w->file, path, &object, H5P_DEFAULT) < 0) {
        msr_h5_put_unusable(w->out, path, "unreadable object");
        return;
    }
    if (object.type == H5O_TYPE_GROUP) {
        for (int i = 0; i < w->group_count; i++)
            if (w->groups[i] == object.addr) {
                msr_h5_put_unusable(w->out, path, "a link back to an enclosing group");
                return;
            }
        if (depth >= MAX_DEPTH || w->group_count >= MAX_GROUPS) {
            msr_h5_put_unusable(w->out, path, "groups nested too deeply or too many groups");
            return;
        }
        w->groups[w->group_count++] = object.addr;
        walk(w, path, depth + 1);
        return;
    }
    if (object.type != H5O_TYPE_DATASET) {
        msr_h5_put_unusable(w->out, path, "not a dataset or group");
        return;
    }
    msr_mat_info info;
    char err[256] = "";
    if (dataset_info(w->file, path, &info, err, sizeof err) != 0) {
        msr_h5_put_unusable(w->out, path, err);
        return;
    }
    uint64_t bytes = msr_h5_array_bytes(&info);
    int sendable = !info.is_complex && info.element_size > 0 && bytes <= w->inline_max && bytes <= w->budget;
    void *data = sendable ? malloc(bytes ? bytes : 1) : NULL;
    uint8_t state = 0;
    if (data) state = dataset_read(w->file, path, &info, data, bytes, err, sizeof err) == 0 ? 1 : 2;
    msr_h5_put_dataset(w->out, path, &info, state, data, bytes, err);
    if (state == 1) w->budget -= bytes;
    free(data);
}

static void walk(walker *w, const char *path, int depth) {
    hid_t g = H5Gopen2(w->file, path[0] ? path : "/", H5P_DEFAULT);
    if (g < 0) {
        msr_h5_put_unusable(w->out, path, "cannot open the group");
        return;
    }
    names list = {0};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, add_name, &list);
    H5Gclose(g);
    msr_h5_put_head(w->out, 'G', path);
    msr_h5_put_text(w->out, list.text ? list.text : "");
    size_t plen = strlen(path);
    for (char *name = list.text, *next; name && *name && !w->out->broken; name = next) {
        next = strchr(name, '\n');
        *next++ = 0;
        char *child = malloc(plen + strlen(name) + 2);
        if (child == NULL) break;
        if (plen) sprintf(child, "%s/%s", path, name);
        else strcpy(child, name);
        visit(w, child, depth);
        free(child);
    }
    free(list.text);
}

static hid_t child_open(const char *path, stream *out) {
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) msr_h5_put_end(out, 2, "HDF5 cannot open the file");
    return file;
}

/// Every group and dataset of an open file, with data up to the limits.
static void snapshot_file(hid_t file, uint64_t budget, uint64_t inline_max, stream *out) {
    walker *w = calloc(1, sizeof *w);
    if (w == NULL) { msr_h5_put_end(out, 2, "out of memory"); return; }
    w->out = out;
    w->file = file;
    w->budget = budget;
    w->inline_max = inline_max;
    walk(w, "", 0);
    free(w);
    msr_h5_put_end(out, 0, "");
}

static void child_snapshot(const char *path, uint64_t budget, uint64_t inline_max, stream *out) {
    hid_t file = child_open(path, out);
    if (file < 0) return;
    snapshot_file(file, budget, inline_max, out);
    H5Fclose(file);
}

/// One dataset's data, at most `max_bytes`.
static void child_dataset(const char *path, const char *dataset, uint64_t max_bytes, stream *out) {
    hid_t file = child_open(path, out);
    if (file < 0) return;
    msr_mat_info info;
    char err[256] = "";
    if (dataset_info(file, dataset, &info, err, sizeof err) != 0) { msr_h5_put_end(out, 2, err); return; }
    uint64_t bytes = msr_h5_array_bytes(&info);
    if (bytes > max_bytes) { msr_h5_put_end(out, 2, "the dataset is larger than the limit"); return; }
    void *data = malloc(bytes ? bytes : 1);
    if (data == NULL) { msr_h5_put_end(out, 2, "out of memory"); return; }
    if (dataset_read(file, dataset, &info, data, bytes, err, sizeof err) != 0) {
        msr_h5_put_end(out, 2, err);
    } else {
        msr_h5_put_dataset(out, dataset, &info, 1, data, bytes, NULL);
        msr_h5_put_end(out, 0, "");
    }
    free(data);
    H5Fclose(file);
}

/// Runs the read path once on a small file made in memory (a struct group and a compressed,
/// chunked int16 dataset with a MATLAB_class attribute, as MATLAB writes them).
static void warm_up(stream *sink) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    hid_t file = H5Fcreate("medsr-warm-up.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (file < 0) return;
    hid_t group = H5Gcreate2(file, "s", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {8, 8}, chunk[2] = {4, 4};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_deflate(dcpl, 3);
    hid_t d = H5Dcreate2(group, "x", H5T_STD_I16LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int16_t values[64] = {0};
    H5Dwrite(d, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, 5);
    hid_t a = H5Acreate2(d, "MATLAB_class", text, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, text, "int16");
    H5Aclose(a);
    H5Tclose(text);
    H5Sclose(scalar);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Gclose(group);
    snapshot_file(file, 1 << 20, 1 << 20, sink);
    H5Fclose(file);
}

static void start(void) {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    stream *sink = calloc(1, sizeof *sink);
    if (sink == NULL) return;
    sink->fd = 0;  /* the reader pool gives the zygote /dev/null as standard input */
    warm_up(sink);
    free(sink);
}

static void answer(const char *path, const char *dataset, uint64_t max_bytes, uint64_t inline_max, stream *out) {
    if (dataset) child_dataset(path, dataset, max_bytes, out);
    else child_snapshot(path, max_bytes, inline_max, out);
}

const msr_reader_job msr_h5_job = {"libhdf5", start, answer};
