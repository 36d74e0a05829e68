// nifticlib (NIfTI-1 and NIfTI-2, .nii, .nii.gz, .hdr/.img) behind a C API whose calls return a
// status and copy a message; the library's own stderr chatter is switched off. No policy here:
// which volume to read, what a datatype becomes and what a header may claim are Swift's calls.
#ifndef MSR_NIFTI_H
#define MSR_NIFTI_H
#include <stddef.h>
#include <stdint.h>

typedef struct msr_nifti msr_nifti;

typedef struct {
    int version;              ///< 1 (NIfTI-1) or 2 (NIfTI-2); 0 for ANALYZE 7.5
    int pair;                 ///< 1 when the voxels live in a separate .img file
    int compressed;           ///< 1 when the voxel file is gzip-compressed
    int swapped;              ///< 1 when the file's byte order is not the host's
    int64_t dim[8];           ///< dim[0] = number of dimensions, dim[1…7] = sizes (1 beyond dim[0])
    double pixdim[8];         ///< pixdim[1…3] voxel sizes, pixdim[4] time step, in the header's units
    int datatype;             ///< NIfTI DT_* code
    int bytes_per_voxel;
    double scl_slope, scl_inter;
    int qform_code, sform_code;
    double qto_xyz[16];       ///< row-major 4x4: voxel (i, j, k, 1) to world (x, y, z, 1)
    double sto_xyz[16];
    int xyz_units, time_units;
    int intent_code;
    int64_t vox_offset;       ///< byte offset of the voxels in the voxel file
    int64_t voxel_file_size;  ///< bytes on disk of the voxel file (compressed size when gzipped); -1 if unknown
} msr_nifti_info;

/// Reads the header of `path` (no voxels). The handle must be closed with msr_nifti_close.
int msr_nifti_open(const char *path, msr_nifti **out, msr_nifti_info *info, char *err, size_t errlen);
/// Reads voxels [start, start + count) of the file's voxel order (x fastest) into `buf`
/// (count * bytes_per_voxel bytes, host byte order). `start` must be a multiple of
/// dim[1]*dim[2]*dim[3] (a whole 3-D volume) and `count` that volume size times a whole number.
int msr_nifti_read_volumes(msr_nifti *nifti, int64_t first_volume, int64_t volumes, void *buf, size_t buflen,
                           char *err, size_t errlen);
void msr_nifti_close(msr_nifti *nifti);

typedef struct {
    int64_t dim[4];           ///< i, j, k sizes and the number of volumes (1 for 3-D)
    double pixdim[4];         ///< voxel sizes in mm and the time step in seconds
    int datatype;             ///< NIfTI DT_* code of `voxels`
    double scl_slope, scl_inter;
    double affine[16];        ///< row-major voxel -> RAS+ mm; written as the sform and the qform
    int xform_code;           ///< NIFTI_XFORM_* code for both (1 scanner anatomical)
    const char *descrip;      ///< up to 79 characters, may be NULL
} msr_nifti_spec;

/// The 352 bytes a single-file NIfTI-1 starts with for `spec` (header, vox_offset 352, magic
/// n+1, no extensions): the voxels follow in host byte order.
int msr_nifti_header(const msr_nifti_spec *spec, uint8_t out[352], char *err, size_t errlen);

/// One complete gzip member (RFC 1952) of `count` bytes at zlib `level` into `dst`; members
/// compressed apart and concatenated are one valid gzip file (zlib's gzread and Python's gzip
/// read them through). `capacity` must be at least msr_gzip_bound(count).
int msr_gzip_member(const void *src, size_t count, int level, uint8_t *dst, size_t capacity, size_t *written);
size_t msr_gzip_bound(size_t count);

/// Up to `count` bytes from the start of `path`, decompressed when it is gzip (nifticlib's znzlib);
/// `got` receives how many were read. For sniffing a .nii.gz by its header.
int msr_nifti_read_head(const char *path, uint8_t *buf, size_t count, size_t *got);

/// The direction each voxel axis points to, as NIfTI orientation codes (1 L→R, 2 R→L, 3 P→A,
/// 4 A→P, 5 I→S, 6 S→I), from a row-major 4x4 affine: nifticlib's nifti_dmat44_to_orientation.
void msr_nifti_orientation(const double affine[16], int codes[3]);
#endif
