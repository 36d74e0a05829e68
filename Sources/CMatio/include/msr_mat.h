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
/// Top-level variables as "name\n" lines.
int msr_mat_list(msr_mat *mat, char *buf, size_t buflen);
/// Describes "var" or "var.field" (a field of a 1x1 struct); for a struct, `fields` receives
/// its field names as "name\n" lines.
int msr_mat_info_of(msr_mat *mat, const char *path, msr_mat_info *info, char *fields, size_t fieldslen,
                    char *err, size_t errlen);
/// Copies the data of a numeric, char or logical variable (char data as uint16 code units).
int msr_mat_read(msr_mat *mat, const char *path, void *buf, size_t buflen, char *err, size_t errlen);

// ---- v7.3 through HDF5 (not thread-safe: the caller serialises) -------------------------
int msr_h5_open(const char *path, int64_t *file, char *err, size_t errlen);
void msr_h5_close(int64_t file);
/// Children of a group ("/" for the root) as "name\n" lines, skipping "#refs#".
int msr_h5_children(int64_t file, const char *group, char *buf, size_t buflen);
/// Describes a dataset or group ("cjdata/image"); MATLAB_class is read whatever its string
/// padding; without it the class is inferred from the HDF5 type.
int msr_h5_info(int64_t file, const char *path, msr_mat_info *info, char *err, size_t errlen);
/// Reads a dataset converted to the native type of `mat_class` (char as uint16, logical as uint8).
int msr_h5_read(int64_t file, const char *path, int mat_class, void *buf, size_t buflen, char *err,
                size_t errlen);
#endif
