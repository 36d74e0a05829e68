// The wire format between a v7.3 reader process and its caller (private to CMatio).
//
// Records: kind (1 byte), path length (u32), path (no leading '/', "" for the root), then
//   'G' group:     names length (u32), names ("a\nb\n", "#refs#" and "#subsystem#" left out)
//   'D' dataset:   msr_mat_info, data state (u8: 0 not sent, 1 sent, 2 unreadable),
//                  then the data (u64 length + bytes) when sent, a message (u32 + text) when unreadable
//   'U' unusable:  message (u32 + text): an object that could not be described
//   'E' end:       status (i32), message (u32 + text); the last record of every answer
//
// The answer travels in frames (u32 length + bytes); an empty frame ends it, followed by one
// byte: 1 when the reader retires after this answer (HDF5 reported a problem, so its state is
// not trusted for the next file).
#ifndef MSR_H5_WIRE_H
#define MSR_H5_WIRE_H

#include "msr_mat.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline int msr_h5_fail(char *err, size_t errlen, const char *text) {
    if (err && errlen) snprintf(err, errlen, "%s", text);
    return 2;
}

/// Bytes of a described array, or UINT64_MAX when the product overflows.
static inline uint64_t msr_h5_array_bytes(const msr_mat_info *info) {
    uint64_t total = info->element_size;
    for (int i = 0; i < info->rank && i < 8; i++) {
        if (info->dims[i] != 0 && total > UINT64_MAX / info->dims[i]) return UINT64_MAX;
        total *= info->dims[i];
    }
    return total;
}

// ---- writing an answer (in a reader) ------------------------------------------------------

typedef struct {
    int fd;
    int broken;   ///< the other side has gone
    int trouble;  ///< HDF5 reported a problem with this file
    size_t used;
    char frame[1 << 16];
} msr_h5_stream;

/// Writes all of `data` (a socket, or any descriptor); 0, or -1 when the other side has gone.
int msr_h5_send_all(int fd, const void *data, size_t n);
/// Ends an answer: the last frame, the empty frame, and the retire byte.
void msr_h5_finish(msr_h5_stream *s);
void msr_h5_put_text(msr_h5_stream *s, const char *text);
void msr_h5_put_head(msr_h5_stream *s, char kind, const char *path);
void msr_h5_put_end(msr_h5_stream *s, int32_t status, const char *message);
/// An object that could not be described, and why.
void msr_h5_put_unusable(msr_h5_stream *s, const char *path, const char *why);
/// A dataset record: its description, then its data (state 1), nothing (state 0: not sent),
/// or why it could not be read (state 2).
void msr_h5_put_dataset(msr_h5_stream *s, const char *path, const msr_mat_info *info, uint8_t state,
                        const void *data, uint64_t bytes, const char *why);

// ---- reading an answer (in the caller) ----------------------------------------------------

typedef struct {
    char kind;
    const char *path;
    uint32_t path_len;
    msr_mat_info info;
    uint8_t state;
    const char *text;  ///< group: names; dataset: data (state 1) or message (state 2); 'U': message
    uint64_t text_len;
} msr_h5_entry;

/// Splits an answer into entries (pointing into `blob`); returns the end record's status
/// (message in err), or 2 when the answer is cut short.
int msr_h5_parse(char *blob, size_t len, msr_h5_entry **out, size_t *count, char *err, size_t errlen);

#endif
