// MATLAB v7.3 (HDF5) files, read in reader processes.
//
// libhdf5 1.10 (Debian's) crashes on some damaged files (fuzzing finds NULL dereferences in
// H5Literate's symbol-table walk within seconds), reads out of bounds, or allocates without
// end, and a segfault cannot be caught. So this process never calls HDF5: each file is read by
// a reader process that walks the file once and streams a snapshot (the group tree, every
// dataset's description, and the data of datasets up to a budget) back over a socket. A crash,
// a hang (no output for `timeout_ms`) or a runaway allocation costs that one file, reported as
// an error; the caller goes on. Data left out of the snapshot (large datasets) is read later,
// one dataset per request. How readers are started, pooled and retired: "the reader processes"
// below. Readers run C only and leave with _exit.
#define _GNU_SOURCE
#include "msr_mat.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set when built with a sanitizer or libFuzzer: their death callbacks (libFuzzer's writes the
   current input as a crash) must not run in the child, whose faults are expected. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int fail(char *err, size_t errlen, const char *text) {
    if (err && errlen) snprintf(err, errlen, "%s", text);
    return 2;
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

/// Bytes of a described array, or UINT64_MAX when the product overflows.
static uint64_t array_bytes(const msr_mat_info *info) {
    uint64_t total = info->element_size;
    for (int i = 0; i < info->rank && i < 8; i++) {
        if (info->dims[i] != 0 && total > UINT64_MAX / info->dims[i]) return UINT64_MAX;
        total *= info->dims[i];
    }
    return total;
}

int msr_h5_signature(const char *path) {
    static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int found = 0;
    /* The superblock sits at 0 or after a user block of 512, 1024, 2048, ... bytes (MATLAB
       writes 512). */
    for (off_t at = 0; at <= (off_t)1 << 30 && !found; at = at ? at * 2 : 512) {
        unsigned char b[8];
        ssize_t n = pread(fd, b, sizeof b, at);
        if (n < (ssize_t)sizeof b) break;
        found = memcmp(b, magic, sizeof magic) == 0;
    }
    close(fd);
    return found;
}

// ---- the child: HDF5 -------------------------------------------------------------------

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
    if (d < 0) return fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hid_t type = H5Dget_type(d);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t dims[8] = {0};
    int status = 0;
    if (type < 0 || rank < 0 || rank > 8) {
        status = fail(err, errlen, "the dataset's type or shape is unreadable");
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
    if (mem < 0) return fail(err, errlen, "this MATLAB class cannot be read as numbers");
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return fail(err, errlen, "cannot open the dataset");
    hid_t space = H5Dget_space(d);
    hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    int status = 0;
    if (count < 0 || (uint64_t)count * element_size(info->mat_class) != bytes)
        status = fail(err, errlen, "the dataset's extent does not match its description");
    else if (bytes > 0 && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        status = fail(err, errlen, "HDF5 read failed (corrupt or truncated file?)");
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    return status;
}

// ---- the child: the stream -------------------------------------------------------------
//
// Records: kind (1 byte), path length (u32), path (no leading '/', "" for the root), then
//   'G' group:     names length (u32), names ("a\nb\n", "#refs#" and "#subsystem#" left out)
//   'D' dataset:   msr_mat_info, data state (u8: 0 not sent, 1 sent, 2 unreadable),
//                  then the data (u64 length + bytes) when sent, a message (u32 + text) when unreadable
//   'U' unusable:  message (u32 + text): an object that could not be described
//   'E' end:       status (i32), message (u32 + text); the last record of every answer

// The answer travels in frames (u32 length + bytes); an empty frame ends it, followed by one
// byte: 1 when the reader retires after this answer (HDF5 reported a problem, so its state is
// not trusted for the next file).

typedef struct {
    int fd;
    int broken;   ///< the other side has gone
    int trouble;  ///< HDF5 reported a problem with this file
    size_t used;
    char frame[1 << 16];
} stream;

/// Writes all of `data` (a socket, or any descriptor); 0, or -1 when the other side has gone.
static int send_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void write_all(stream *s, const void *data, size_t n) {
    if (!s->broken && send_all(s->fd, data, n) != 0) s->broken = 1;
}

static void flush_frame(stream *s) {
    if (s->used == 0) return;
    uint32_t n = (uint32_t)s->used;
    write_all(s, &n, sizeof n);
    write_all(s, s->frame, s->used);
    s->used = 0;
}

static void put(stream *s, const void *data, size_t n) {
    const char *p = data;
    while (n > 0 && !s->broken) {
        size_t room = sizeof s->frame - s->used, k = n < room ? n : room;
        memcpy(s->frame + s->used, p, k);
        s->used += k;
        p += k;
        n -= k;
        if (s->used == sizeof s->frame) flush_frame(s);
    }
}

static void finish(stream *s) {
    flush_frame(s);
    uint32_t zero = 0;
    uint8_t retire = s->trouble != 0;
    write_all(s, &zero, sizeof zero);
    write_all(s, &retire, 1);
}

static void put_u32(stream *s, uint32_t v) { put(s, &v, sizeof v); }

static void put_text(stream *s, const char *text) {
    size_t n = strlen(text);
    put_u32(s, (uint32_t)n);
    put(s, text, n);
}

static void put_head(stream *s, char kind, const char *path) {
    put(s, &kind, 1);
    put_text(s, path);
}

static void put_end(stream *s, int32_t status, const char *message) {
    if (status != 0) s->trouble = 1;
    put_head(s, 'E', "");
    put(s, &status, sizeof status);
    put_text(s, message);
}

/// An object that could not be described, and why.
static void put_unusable(stream *s, const char *path, const char *why) {
    s->trouble = 1;
    put_head(s, 'U', path);
    put_text(s, why);
}

/// A dataset record: its description, then its data (state 1), nothing (state 0: not sent),
/// or why it could not be read (state 2).
static void put_dataset(stream *s, const char *path, const msr_mat_info *info, uint8_t state, const void *data,
                        uint64_t bytes, const char *why) {
    put_head(s, 'D', path);
    put(s, info, sizeof *info);
    put(s, &state, 1);
    if (state == 1) {
        put(s, &bytes, sizeof bytes);
        put(s, data, bytes);
    } else if (state == 2) {
        s->trouble = 1;
        put_text(s, why);
    }
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
        put_unusable(w->out, path, "the file holds too many objects");
        return;
    }
    H5O_info_t object;
    if (H5Oget_info_by_name(w->file, path, &object, H5P_DEFAULT) < 0) {
        put_unusable(w->out, path, "unreadable object");
        return;
    }
    if (object.type == H5O_TYPE_GROUP) {
        for (int i = 0; i < w->group_count; i++)
            if (w->groups[i] == object.addr) {
                put_unusable(w->out, path, "a link back to an enclosing group");
                return;
            }
        if (depth >= MAX_DEPTH || w->group_count >= MAX_GROUPS) {
            put_unusable(w->out, path, "groups nested too deeply or too many groups");
            return;
        }
        w->groups[w->group_count++] = object.addr;
        walk(w, path, depth + 1);
        return;
    }
    if (object.type != H5O_TYPE_DATASET) {
        put_unusable(w->out, path, "not a dataset or group");
        return;
    }
    msr_mat_info info;
    char err[256] = "";
    if (dataset_info(w->file, path, &info, err, sizeof err) != 0) {
        put_unusable(w->out, path, err);
        return;
    }
    uint64_t bytes = array_bytes(&info);
    int sendable = !info.is_complex && info.element_size > 0 && bytes <= w->inline_max && bytes <= w->budget;
    void *data = sendable ? malloc(bytes ? bytes : 1) : NULL;
    uint8_t state = 0;
    if (data) state = dataset_read(w->file, path, &info, data, bytes, err, sizeof err) == 0 ? 1 : 2;
    put_dataset(w->out, path, &info, state, data, bytes, err);
    if (state == 1) w->budget -= bytes;
    free(data);
}

static void walk(walker *w, const char *path, int depth) {
    hid_t g = H5Gopen2(w->file, path[0] ? path : "/", H5P_DEFAULT);
    if (g < 0) {
        put_unusable(w->out, path, "cannot open the group");
        return;
    }
    names list = {0};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, add_name, &list);
    H5Gclose(g);
    put_head(w->out, 'G', path);
    put_text(w->out, list.text ? list.text : "");
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
    if (file < 0) put_end(out, 2, "HDF5 cannot open the file");
    return file;
}

/// Every group and dataset of an open file, with data up to the limits.
static void snapshot_file(hid_t file, uint64_t budget, uint64_t inline_max, stream *out) {
    walker *w = calloc(1, sizeof *w);
    if (w == NULL) { put_end(out, 2, "out of memory"); return; }
    w->out = out;
    w->file = file;
    w->budget = budget;
    w->inline_max = inline_max;
    walk(w, "", 0);
    free(w);
    put_end(out, 0, "");
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
    if (dataset_info(file, dataset, &info, err, sizeof err) != 0) { put_end(out, 2, err); return; }
    uint64_t bytes = array_bytes(&info);
    if (bytes > max_bytes) { put_end(out, 2, "the dataset is larger than the limit"); return; }
    void *data = malloc(bytes ? bytes : 1);
    if (data == NULL) { put_end(out, 2, "out of memory"); return; }
    if (dataset_read(file, dataset, &info, data, bytes, err, sizeof err) != 0) {
        put_end(out, 2, err);
    } else {
        put_dataset(out, dataset, &info, 1, data, bytes, NULL);
        put_end(out, 0, "");
    }
    free(data);
    H5Fclose(file);
}

// ---- the reader processes ---------------------------------------------------------------
//
// A "zygote" process, forked from this one at the first v7.3 read, starts HDF5, warms it on a
// file it makes itself in memory (library start-up and symbol binding paid once), closes every
// descriptor it inherited, and then only forks readers. A reader serves requests on its own
// socket, one file at a time, and is kept in a pool for the next file, so a file costs no
// process start. A reader that HDF5 reported a problem to retires after its answer; one that
// dies mid-answer costs that answer, which is asked once more of a fresh reader (so a reader
// left damaged by an earlier file cannot blame a good one); a fresh reader that dies too means
// the file crashes libhdf5. A reader that is silent for `timeout_ms`, or grows beyond what the
// request can need, is killed. Readers retire after 256 files. The zygote exits when this
// process closes its socket (or dies), and readers die with the zygote.

/// Field `field` of /proc/<pid>/statm (0: address space, 1: resident) in bytes, 0 when
/// unknown; pid 0 is this process.
static uint64_t statm_bytes(pid_t pid, int field) {
    char path[64];
    if (pid) snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/statm");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[128];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    char *at = text;
    for (int i = 0; i < field; i++) strtoull(at, &at, 10);
    return (uint64_t)strtoull(at, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t resident_bytes(pid_t pid) { return statm_bytes(pid, 1); }

/// In a reader: address space beyond what it has mapped now is capped at `allowance` for this
/// request (the soft limit only, so the next request can set its own), so a file that makes
/// libhdf5 allocate without end (fuzzing found one that took 24 GB) fails in the reader
/// instead of exhausting the machine.
static void limit_memory(uint64_t allowance) {
    uint64_t mapped = statm_bytes(0, 0);
    if (mapped == 0) return;
    struct rlimit now;
    if (getrlimit(RLIMIT_AS, &now) != 0) return;
    rlim_t want = mapped > UINT64_MAX - allowance ? RLIM_INFINITY : (rlim_t)(mapped + allowance);
    if (now.rlim_max != RLIM_INFINITY && want > now.rlim_max) want = now.rlim_max;
    struct rlimit cap = {want, now.rlim_max};
    setrlimit(RLIMIT_AS, &cap);
}

/// The child holds one dataset in memory at a time, and HDF5 may hold as much again (a
/// decompressed chunk); its other needs (chunk cache, metadata) fit in 128 MiB.
static uint64_t allowance_for(uint64_t data) {
    if (data > (1ull << 40)) data = 1ull << 40;
    return 2 * data + (128ull << 20);
}

typedef struct {
    uint64_t max_bytes, inline_max;
    uint32_t path_len, dataset_len;  ///< dataset_len 0: a snapshot
} request;

enum { MAX_PATH_BYTES = 8192, POOL = 16, FILES_PER_READER = 256 };

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

static int read_all(int fd, void *data, size_t n) {
    char *p = data;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/// A reader: answers requests on `fd` until the other side closes it or a file troubles HDF5.
static void serve(int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* dies with the zygote */
    stream *out = malloc(sizeof *out);
    char *names = malloc(2 * MAX_PATH_BYTES + 2);
    if (out == NULL || names == NULL) _exit(1);
    for (;;) {
        request r;
        if (read_all(fd, &r, sizeof r) != 0) _exit(0);
        if (r.path_len == 0 || r.path_len >= MAX_PATH_BYTES || r.dataset_len >= MAX_PATH_BYTES) _exit(5);
        if (read_all(fd, names, r.path_len + r.dataset_len) != 0) _exit(0);
        char path[MAX_PATH_BYTES], dataset[MAX_PATH_BYTES];
        memcpy(path, names, r.path_len);
        path[r.path_len] = 0;
        memcpy(dataset, names + r.path_len, r.dataset_len);
        dataset[r.dataset_len] = 0;
        limit_memory(allowance_for(r.dataset_len ? r.max_bytes : r.inline_max));
        out->fd = fd;
        out->broken = out->trouble = 0;
        out->used = 0;
        if (r.dataset_len) child_dataset(path, dataset, r.max_bytes, out);
        else child_snapshot(path, r.max_bytes, r.inline_max, out);
        finish(out);
        if (out->broken || out->trouble) _exit(0);
    }
}

static void zygote_main(int sock) {
    if (sock != 3) {
        dup2(sock, 3);
        sock = 3;
    }
    close_range(4, ~0u, 0);
    int quiet = open("/dev/null", O_RDWR);
    if (quiet >= 0) {
        dup2(quiet, 0);
        dup2(quiet, 1);
        dup2(quiet, 2);
        if (quiet > 3) close(quiet);
    }
    /* Faults end a reader quietly; the caller reports them. (The Swift runtime's crash
       handler would print a backtrace; a sanitizer's or libFuzzer's death callback would
       report, or save the input as a crash, for a fault that is expected here.) */
    int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE, SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) signal(faults[i], SIG_DFL);
    signal(SIGCHLD, SIG_IGN);  /* readers are reaped by the kernel */
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    stream *sink = calloc(1, sizeof *sink);
    if (sink == NULL) _exit(1);
    sink->fd = 0;  /* /dev/null */
    warm_up(sink);
    free(sink);
    for (;;) {
        char byte;
        struct iovec iov = {&byte, 1};
        union {
            struct cmsghdr header;
            char space[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr message = {0};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        ssize_t n = recvmsg(sock, &message, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);  /* the caller has gone */
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        int fd = -1;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
        pid_t pid = fd >= 0 ? fork() : -1;
        if (pid == 0) {
            close(sock);
            serve(fd);
            _exit(0);
        }
        if (fd >= 0) close(fd);
        while (send(sock, &pid, sizeof pid, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
    }
}

typedef struct {
    pid_t pid;
    int sock;
    int served;
} reader;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int zygote_socket = -1;
static pid_t zygote_pid = -1;
static reader pool[POOL];
static int pooled;

static void stop_zygote(void) {
    if (zygote_socket >= 0) close(zygote_socket);
    if (zygote_pid > 0) {
        kill(zygote_pid, SIGKILL);
        while (waitpid(zygote_pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    zygote_socket = -1;
    zygote_pid = -1;
}

static int start_zygote(void) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    if (pid == 0) {
        close(pair[0]);
        zygote_main(pair[1]);
        _exit(0);
    }
    close(pair[1]);
    zygote_socket = pair[0];
    zygote_pid = pid;
    return 0;
}

/// Asks the zygote for a new reader; call with pool_lock held.
static int spawn_reader(reader *out) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (zygote_socket < 0 && start_zygote() != 0) return -1;
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
        char byte = 'R';
        struct iovec iov = {&byte, 1};
        union {
            struct cmsghdr header;
            char space[CMSG_SPACE(sizeof(int))];
        } control;
        memset(&control, 0, sizeof control);
        struct msghdr message = {0};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pair[1], sizeof(int));
        ssize_t sent, got = -1;
        pid_t pid = -1;
        while ((sent = sendmsg(zygote_socket, &message, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
        if (sent >= 0) {
            /* The zygote answers at once; one that does not within 10 s is replaced. */
            struct pollfd f = {zygote_socket, POLLIN, 0};
            int ready;
            while ((ready = poll(&f, 1, 10000)) < 0 && errno == EINTR) {}
            if (ready > 0)
                while ((got = recv(zygote_socket, &pid, sizeof pid, 0)) < 0 && errno == EINTR) {}
        }
        close(pair[1]);
        if (sent >= 0 && got == (ssize_t)sizeof pid && pid > 0) {
            *out = (reader){pid, pair[0], 0};
            return 0;
        }
        close(pair[0]);
        if (sent >= 0 && got == (ssize_t)sizeof pid) return -1;  /* the zygote could not fork */
        stop_zygote();  /* gone or confused: a new one on the next attempt */
    }
    return -1;
}

/// A pooled reader, or a new one (always a new one when `fresh`).
static int take_reader(reader *out, int fresh) {
    pthread_mutex_lock(&pool_lock);
    int status = 0;
    if (pooled > 0 && !fresh) *out = pool[--pooled];
    else status = spawn_reader(out);
    pthread_mutex_unlock(&pool_lock);
    return status;
}

/// Back to the pool, or ended: a reader that was killed or retires is closed (it exits on EOF).
static void release_reader(reader *r, int keep, int kill_it) {
    if (kill_it) kill(r->pid, SIGKILL);
    if (keep && !kill_it && r->served < FILES_PER_READER) {
        pthread_mutex_lock(&pool_lock);
        if (pooled < POOL) {
            pool[pooled++] = *r;
            pthread_mutex_unlock(&pool_lock);
            return;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    close(r->sock);
}

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct {
    reader *r;
    int timeout_ms;
    int64_t deadline, checked;
    uint64_t ceiling;
    const char *problem;  ///< set when the reader must be killed
} watch;

/// Reads exactly n bytes from the reader, watching its silence and size. 0, or -1 when the
/// reader has gone (or w->problem is set).
static int receive(watch *w, void *data, size_t n) {
    char *p = data;
    while (n > 0) {
        struct pollfd f = {w->r->sock, POLLIN, 0};
        int64_t left = w->deadline - now_ms();
        int ready = left > 0 ? poll(&f, 1, (int)(left > 50 ? 50 : left)) : 0;
        if (now_ms() - w->checked >= 50) {
            w->checked = now_ms();
            if (resident_bytes(w->r->pid) > w->ceiling) {
                w->problem = "libhdf5 took more memory on it than its data can need; the file is damaged";
                return -1;
            }
        }
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            if (now_ms() >= w->deadline) {
                w->problem = "libhdf5 hung on it (no answer within the time limit); the file is damaged";
                return -1;
            }
            continue;
        }
        ssize_t got = read(w->r->sock, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        n -= (size_t)got;
        w->deadline = now_ms() + w->timeout_ms;  /* the limit is on silence, not on the whole read */
    }
    return 0;
}

/// Has a reader read `path` (whole, dataset == NULL; or one dataset) and collects its answer.
/// Returns 0 with the answer in *blob, else 2 with a message.
static int ask_reader(const char *path, const char *dataset, uint64_t max_bytes, uint64_t inline_max,
                     int timeout_ms, char **blob, size_t *blob_len, char *err, size_t errlen) {
    request q = {max_bytes, inline_max, (uint32_t)strlen(path), dataset ? (uint32_t)strlen(dataset) : 0};
    if (q.path_len == 0 || q.path_len >= MAX_PATH_BYTES || q.dataset_len >= MAX_PATH_BYTES)
        return fail(err, errlen, "the path is too long");
    /* Metadata is bounded by the reader's own limits; data by max_bytes. */
    size_t cap = (size_t)(max_bytes > (1ull << 40) ? (1ull << 40) : max_bytes) + (64u << 20);
    uint64_t allowance = allowance_for(dataset ? max_bytes : inline_max);
    for (int attempt = 0; attempt < 2; attempt++) {
        reader r;
        if (take_reader(&r, attempt > 0) != 0) return fail(err, errlen, "cannot start the HDF5 reader process");
        int fresh = r.served == 0;
        r.served++;
        /* The reader's growth beyond the allowance is stopped by RLIMIT_AS in the reader and,
           where an allocator reserved its address space up front (sanitizers), here. */
        watch w = {&r, timeout_ms, now_ms() + timeout_ms, 0, resident_bytes(r.pid) + allowance, NULL};
        int sent = send_all(r.sock, &q, sizeof q) == 0 && send_all(r.sock, path, q.path_len) == 0 &&
                   (!dataset || send_all(r.sock, dataset, q.dataset_len) == 0);
        size_t used = 0, capacity = 1 << 16;
        char *buf = sent ? malloc(capacity) : NULL;
        int complete = 0;
        uint8_t retire = 1;
        while (buf && !complete) {
            uint32_t n;
            if (receive(&w, &n, sizeof n) != 0) break;
            if (n == 0) {
                complete = receive(&w, &retire, 1) == 0;
                break;
            }
            if (used + n > cap) {
                w.problem = "the file's description is larger than the limit";
                break;
            }
            if (used + n > capacity) {
                size_t grown = capacity;
                while (grown < used + n) grown *= 2;
                char *bigger = realloc(buf, grown > cap ? cap : grown);
                if (bigger == NULL) { w.problem = "out of memory"; break; }
                buf = bigger;
                capacity = grown > cap ? cap : grown;
            }
            if (receive(&w, buf + used, n) != 0) break;
            used += n;
        }
        if (complete) {
            release_reader(&r, !retire, 0);
            *blob = buf;
            *blob_len = used;
            return 0;
        }
        free(buf);
        release_reader(&r, 0, 1);
        if (w.problem) return fail(err, errlen, w.problem);
        /* The reader died: retry once on a fresh reader unless this one was fresh. */
        if (fresh) return fail(err, errlen, "libhdf5 crashed on it; the file is damaged");
    }
    return fail(err, errlen, "libhdf5 crashed on it; the file is damaged");
}

// ---- the answer --------------------------------------------------------------------------

typedef struct {
    char kind;
    const char *path;
    uint32_t path_len;
    msr_mat_info info;
    uint8_t state;
    const char *text;  ///< group: names; dataset: data (state 1) or message (state 2); 'U': message
    uint64_t text_len;
} entry;

struct msr_h5_snapshot {
    char *file;
    int timeout_ms;
    char *blob;
    entry *entries;
    size_t count;
};

typedef struct {
    const char *at, *end;
    int bad;
} cursor;

static const char *take(cursor *r, uint64_t n) {
    if (r->bad || (uint64_t)(r->end - r->at) < n) { r->bad = 1; return NULL; }
    const char *p = r->at;
    r->at += n;
    return p;
}

static uint32_t take_u32(cursor *r) {
    const char *p = take(r, 4);
    uint32_t v = 0;
    if (p) memcpy(&v, p, 4);
    return v;
}

/// Splits an answer into entries; returns the end record's status (message in err), or 2 when
/// the answer is cut short.
static int parse(char *blob, size_t len, entry **out, size_t *count, char *err, size_t errlen) {
    cursor r = {blob, blob + len, 0};
    size_t n = 0, capacity = 0;
    entry *entries = NULL;
    int status = -1;
    while (!r.bad && status < 0) {
        entry e = {0};
        const char *kind = take(&r, 1);
        e.path_len = take_u32(&r);
        e.path = take(&r, e.path_len);
        if (r.bad) break;
        e.kind = *kind;
        if (e.kind == 'E') {
            const char *s = take(&r, 4);
            uint32_t mlen = take_u32(&r);
            const char *m = take(&r, mlen);
            if (r.bad) break;
            int32_t v;
            memcpy(&v, s, 4);
            status = v;
            if (v != 0) snprintf(err, errlen, "%.*s", (int)mlen, m);
            break;
        } else if (e.kind == 'G' || e.kind == 'U') {
            e.text_len = take_u32(&r);
            e.text = take(&r, e.text_len);
        } else if (e.kind == 'D') {
            const char *info = take(&r, sizeof e.info);
            const char *state = take(&r, 1);
            if (r.bad) break;
            memcpy(&e.info, info, sizeof e.info);
            e.state = (uint8_t)*state;
            if (e.state == 1) {
                const char *l = take(&r, 8);
                if (r.bad) break;
                memcpy(&e.text_len, l, 8);
                e.text = take(&r, e.text_len);
            } else if (e.state == 2) {
                e.text_len = take_u32(&r);
                e.text = take(&r, e.text_len);
            }
        } else {
            r.bad = 1;
        }
        if (r.bad) break;
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            entry *bigger = realloc(entries, capacity * sizeof *entries);
            if (bigger == NULL) { r.bad = 1; break; }
            entries = bigger;
        }
        entries[n++] = e;
    }
    if (status < 0) {
        free(entries);
        /* The reader writes its end record last and exits; an answer without it means the
           reader died on the way: a fault inside libhdf5, or the memory cap. */
        return fail(err, errlen, "libhdf5 crashed on it; the file is damaged");
    }
    *out = entries;
    *count = n;
    return status;
}

int msr_h5_snapshot_open(const char *path, uint64_t max_bytes, uint64_t inline_max, int timeout_ms,
                         msr_h5_snapshot **out, char *err, size_t errlen) {
    *out = NULL;
    char *blob = NULL;
    size_t len = 0;
    if (ask_reader(path, NULL, max_bytes, inline_max, timeout_ms, &blob, &len, err, errlen) != 0) return 2;
    entry *entries = NULL;
    size_t count = 0;
    int status = parse(blob, len, &entries, &count, err, errlen);
    msr_h5_snapshot *s = status == 0 ? calloc(1, sizeof *s) : NULL;
    char *file = s ? strdup(path) : NULL;
    if (file == NULL) {
        if (status == 0) fail(err, errlen, "out of memory");
        free(s);
        free(entries);
        free(blob);
        return 2;
    }
    s->file = file;
    s->timeout_ms = timeout_ms;
    s->blob = blob;
    s->entries = entries;
    s->count = count;
    *out = s;
    return 0;
}

void msr_h5_snapshot_close(msr_h5_snapshot *s) {
    if (s == NULL) return;
    free(s->file);
    free(s->entries);
    free(s->blob);
    free(s);
}

static const entry *find(const msr_h5_snapshot *s, const char *path) {
    while (*path == '/') path++;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/') n--;
    for (size_t i = 0; i < s->count; i++)
        if (s->entries[i].path_len == n && memcmp(s->entries[i].path, path, n) == 0) return &s->entries[i];
    return NULL;
}

int msr_h5_snapshot_children(const msr_h5_snapshot *s, const char *group, char *buf, size_t buflen) {
    if (buflen) buf[0] = 0;
    const entry *e = find(s, group);
    if (e == NULL || e->kind != 'G') return 2;
    if (e->text_len + 1 > buflen) return 2;
    memcpy(buf, e->text, e->text_len);
    buf[e->text_len] = 0;
    return 0;
}

int msr_h5_snapshot_info(const msr_h5_snapshot *s, const char *path, msr_mat_info *info, char *err, size_t errlen) {
    memset(info, 0, sizeof *info);
    const entry *e = find(s, path);
    if (e == NULL) return fail(err, errlen, "no such variable");
    if (e->kind == 'U') {
        snprintf(err, errlen, "%.*s", (int)e->text_len, e->text);
        return 2;
    }
    if (e->kind == 'G') {
        info->mat_class = MSR_MAT_STRUCT;
        info->rank = 2;
        info->dims[0] = info->dims[1] = 1;
        return 0;
    }
    *info = e->info;
    return 0;
}

int msr_h5_snapshot_read(const msr_h5_snapshot *s, const char *path, void *buf, size_t buflen, char *err, size_t errlen) {
    const entry *e = find(s, path);
    if (e == NULL || e->kind != 'D') return fail(err, errlen, "no such dataset");
    if (e->info.is_complex || e->info.element_size == 0) return fail(err, errlen, "this MATLAB class cannot be read as numbers");
    uint64_t bytes = array_bytes(&e->info);
    if (bytes > buflen) return fail(err, errlen, "buffer too small");
    if (e->state == 1) {
        if (e->text_len != bytes) return fail(err, errlen, "the dataset's extent does not match its description");
        memcpy(buf, e->text, bytes);
        return 0;
    }
    if (e->state == 2) {
        snprintf(err, errlen, "%.*s", (int)e->text_len, e->text);
        return 2;
    }
    /* Left out of the snapshot (large): one more child reads just this dataset. */
    char *dataset = strndup(e->path, e->path_len);
    if (dataset == NULL) return fail(err, errlen, "out of memory");
    char *blob = NULL;
    size_t len = 0;
    int status = ask_reader(s->file, dataset, bytes, 0, s->timeout_ms, &blob, &len, err, errlen);
    free(dataset);
    if (status != 0) return status;
    entry *entries = NULL;
    size_t count = 0;
    status = parse(blob, len, &entries, &count, err, errlen);
    if (status == 0) {
        if (count == 1 && entries[0].state == 1 && entries[0].text_len == bytes) memcpy(buf, entries[0].text, bytes);
        else status = fail(err, errlen, "the file changed while it was read");
    }
    free(entries);
    free(blob);
    return status;
}
