// Reader processes (private to CMatio): see msr_reader_pool.c.
#ifndef MSR_READER_POOL_H
#define MSR_READER_POOL_H

#include "msr_h5_wire.h"

/// What a reader process does. `start` runs once in the zygote, before any reader is forked;
/// `answer` runs in a reader for each request (`dataset` NULL: the whole file) and writes its
/// answer to `out`, ending with an end record. Both run in a child process and may crash.
typedef struct {
    const char *library;  ///< names the library in errors: "libhdf5 crashed on it; the file is damaged"
    void (*start)(void);
    void (*answer)(const char *path, const char *dataset, uint64_t max_bytes, uint64_t inline_max,
                   msr_h5_stream *out);
} msr_reader_job;

/// Has a reader running `job` read `path` (whole, dataset == NULL; or one dataset) and collects
/// its answer. Returns 0 with the answer in *blob (free it), else 2 with a message: a reader that
/// crashed (twice, the second time fresh), hung for `timeout_ms` without output, or grew beyond
/// what the request can need. The zygote is started with the first job asked for.
int msr_reader_ask(const msr_reader_job *job, const char *path, const char *dataset, uint64_t max_bytes,
                   uint64_t inline_max, int timeout_ms, char **blob, size_t *blob_len, char *err, size_t errlen);

/// Reading v7.3 MATLAB files through HDF5 (msr_h5_hdf5.c).
extern const msr_reader_job msr_h5_job;

#endif
