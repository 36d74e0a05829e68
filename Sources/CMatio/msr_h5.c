// MATLAB v7.3 (HDF5) files, read in reader processes.
//
// This process never calls HDF5 (see msr_h5_hdf5.c for why): each file is read by a reader
// process (msr_reader_pool.c) that walks it once and streams a snapshot back
// (msr_h5_wire.h). A crash, a hang (no output for `timeout_ms`) or a runaway allocation costs
// that one file, reported as an error; the caller goes on. This file holds the public API:
// the signature check and the snapshot, with data left out of it (large datasets) read on
// demand, one dataset per request.
#define _GNU_SOURCE
#include "msr_mat.h"
#include "msr_h5_wire.h"
#include "msr_reader_pool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef msr_h5_entry entry;

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

struct msr_h5_snapshot {
    char *file;
    int timeout_ms;
    char *blob;
    entry *entries;
    size_t count;
};

int msr_h5_snapshot_open(const char *path, uint64_t max_bytes, uint64_t inline_max, int timeout_ms,
                         msr_h5_snapshot **out, char *err, size_t errlen) {
    *out = NULL;
    char *blob = NULL;
    size_t len = 0;
    if (msr_reader_ask(&msr_h5_job, path, NULL, max_bytes, inline_max, timeout_ms, &blob, &len, err, errlen) != 0) return 2;
    entry *entries = NULL;
    size_t count = 0;
    int status = msr_h5_parse(blob, len, &entries, &count, err, errlen);
    msr_h5_snapshot *s = status == 0 ? calloc(1, sizeof *s) : NULL;
    char *file = s ? strdup(path) : NULL;
    if (file == NULL) {
        if (status == 0) msr_h5_fail(err, errlen, "out of memory");
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
    if (e == NULL) return msr_h5_fail(err, errlen, "no such variable");
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
    if (e == NULL || e->kind != 'D') return msr_h5_fail(err, errlen, "no such dataset");
    if (e->info.is_complex || e->info.element_size == 0) return msr_h5_fail(err, errlen, "this MATLAB class cannot be read as numbers");
    uint64_t bytes = msr_h5_array_bytes(&e->info);
    if (bytes > buflen) return msr_h5_fail(err, errlen, "buffer too small");
    if (e->state == 1) {
        if (e->text_len != bytes) return msr_h5_fail(err, errlen, "the dataset's extent does not match its description");
        memcpy(buf, e->text, bytes);
        return 0;
    }
    if (e->state == 2) {
        snprintf(err, errlen, "%.*s", (int)e->text_len, e->text);
        return 2;
    }
    /* Left out of the snapshot (large): one more child reads just this dataset. */
    char *dataset = strndup(e->path, e->path_len);
    if (dataset == NULL) return msr_h5_fail(err, errlen, "out of memory");
    char *blob = NULL;
    size_t len = 0;
    int status = msr_reader_ask(&msr_h5_job, s->file, dataset, bytes, 0, s->timeout_ms, &blob, &len, err, errlen);
    free(dataset);
    if (status != 0) return status;
    entry *entries = NULL;
    size_t count = 0;
    status = msr_h5_parse(blob, len, &entries, &count, err, errlen);
    if (status == 0) {
        if (count == 1 && entries[0].state == 1 && entries[0].text_len == bytes) memcpy(buf, entries[0].text, bytes);
        else status = msr_h5_fail(err, errlen, "the file changed while it was read");
    }
    free(entries);
    free(blob);
    return status;
}
