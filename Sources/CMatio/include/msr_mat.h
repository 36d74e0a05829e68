// MATLAB files: matio for v4/v5 files, the HDF5 C API for v7.3 (which matio 1.5.23 misreads
// when h5py wrote the attributes). All calls return 0 on success.
#ifndef MSR_MAT_H
#define MSR_MAT_H
#include <stddef.h>
#include <stdint.h>

/// MATLAB classes, in one numbering for both back ends.
enum {
    MSR_MAT_UNKNOWN = 0, MSR_MAT_DOUBLE = 1, MSR_MAT_SINGLE = 2, MSR_MAT_INT8 = 3, MSR_MAT_UINT8 = 4,
    MSR_MAT_INT16 = 5, MSR_MAT_UINT16 = 6, MSR_MAT_INT32 = 7, MSR_MAT_UINT32 = 8, MSR_MAT_INT64 = 9,
    MSR_MAT_UINT64 = 10, MSR_MAT_CHAR = 11, MSR_MAT_LOGICAL = 12, MSR_MAT_STRUCT = 13, MSR_MAT_CELL = 14
};

typedef struct {
    int rank;
    uint64_t dims[8];     ///< MATLAB's dimensions (rows first); data is column-major
    int mat_class;        ///< MSR_MAT_*
    int is_complex;
    size_t element_size;  ///< bytes per element as returned by the read call
} msr_mat_info;

// ---- v4/v5 through matio --------------------------------------------------------------
typedef struct msr_mat msr_mat;
int msr_mat_open(const char *path, msr_mat **out, char *err, size_t errlen);
void msr_mat_close(msr_mat *mat);
/// For a v5 file, inflates every compressed (miCOMPRESSED) element to nowhere and checks that
/// its zlib stream ends exactly where the element does and that its checksum holds (matio checks
/// neither). 0 when all hold or the file is not v5; else 2 with the reason.
int msr_mat_verify_compressed(const char *path, char *err, size_t errlen);
/// The file's MAT version as matio found it: 4 or 5 (v5 covers v6 and v7).
int msr_mat_version(const msr_mat *mat);
/// Top-level variables as "name\n" lines.
int msr_mat_list(msr_mat *mat, char *buf, size_t buflen);
/// Describes "var" or "var.field" (a field of a 1x1 struct); for a struct, `fields` receives
/// its field names as "name\n" lines.
int msr_mat_info_of(msr_mat *mat, const char *path, msr_mat_info *info, char *fields, size_t fieldslen,
                    char *err, size_t errlen);
/// Copies the data of a numeric, char or logical variable (char data as uint16 code units).
int msr_mat_read(msr_mat *mat, const char *path, void *buf, size_t buflen, char *err, size_t errlen);

// ---- v7.3 through HDF5, in reader processes (msr_h5.c) ------------------------------------
/// 1 when the file has an HDF5 superblock (at 0, 512, 1024, ...); reads bytes only, no HDF5.
int msr_h5_signature(const char *path);

/// What a child process (forked from a helper process started at the first call, see msr_reader_pool.c)
/// read from a v7.3 file: the group tree, every dataset's description,
/// and the data of datasets of up to `inline_max` bytes while `max_bytes` in all lasts. A crash
/// of libhdf5, `timeout_ms` without output, or an answer over the limits is an error here.
/// Immutable once open: safe to use from any thread.
typedef struct msr_h5_snapshot msr_h5_snapshot;
int msr_h5_snapshot_open(const char *path, uint64_t max_bytes, uint64_t inline_max, int timeout_ms,
                         msr_h5_snapshot **out, char *err, size_t errlen);
void msr_h5_snapshot_close(msr_h5_snapshot *snapshot);
/// Children of a group ("/" for the root) as "name\n" lines, skipping "#refs#".
int msr_h5_snapshot_children(const msr_h5_snapshot *snapshot, const char *group, char *buf, size_t buflen);
/// Describes a dataset or group ("cjdata/image"); a group is a 1x1 struct.
int msr_h5_snapshot_info(const msr_h5_snapshot *snapshot, const char *path, msr_mat_info *info, char *err,
                         size_t errlen);
/// The data of a dataset converted to the native type of its class (char as uint16, logical as
/// uint8); data left out of the snapshot is read by another child.
int msr_h5_snapshot_read(const msr_h5_snapshot *snapshot, const char *path, void *buf, size_t buflen,
                         char *err, size_t errlen);
#endif
