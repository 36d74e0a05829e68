#include "msr_nifti.h"

#include <nifti/nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

struct msr_nifti {
    nifti_image *image;
};

static void copy_message(const char *text, char *buf, size_t buflen) {
    if (buf == NULL || buflen == 0) return;
    snprintf(buf, buflen, "%s", text);
}

/// True when the file starts with gzip's magic (whatever its name says).
static int is_gzip(const char *path) {
    uint8_t magic[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    size_t n = fread(magic, 1, 2, f);
    fclose(f);
    return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

static void quiet(void) { nifti_set_debug_level(0); }

static void copy_matrix(nifti_dmat44 m, double out[16]) {
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) out[r * 4 + c] = m.m[r][c];
}

/// Reads the header from the file itself (gzip or not), whatever the file's name: nifticlib's
/// nifti_image_read insists on a .nii/.hdr name, and MedSR finds formats by content.
static nifti_image *read_header(const char *path, int *version, char *err, size_t errlen) {
    union { nifti_1_header n1; nifti_2_header n2; uint8_t bytes[sizeof(nifti_2_header)]; } hdr;
    memset(&hdr, 0, sizeof hdr);
    znzFile fp = znzopen(path, "rb", 1);
    if (znz_isnull(fp)) {
        copy_message("cannot open the file", err, errlen);
        return NULL;
    }
    size_t got = znzread(hdr.bytes, 1, sizeof hdr.bytes, fp);
    znzclose(fp);
    if (got > sizeof hdr.bytes) got = 0; /* gzread's -1 (damaged gzip data) as a size_t */
    int v = nifti_header_version((const char *)hdr.bytes, got);
    nifti_image *nim = NULL;
    if (v == 1 && got >= sizeof(nifti_1_header)) {
        nifti_1_header h = hdr.n1;
        /* nifti_convert_n1hdr2nim swaps its own copy; the check wants host order */
        int swap = h.sizeof_hdr != (int)sizeof(nifti_1_header);
        nifti_1_header check = h;
        if (swap) swap_nifti_header(&check, 1);
        if (!nifti_hdr1_looks_good(&check)) {
            copy_message("the NIfTI-1 header is inconsistent (dimensions, datatype or magic)", err, errlen);
            return NULL;
        }
        nim = nifti_convert_n1hdr2nim(h, path);
    } else if (v == 2 && got >= sizeof(nifti_2_header)) {
        nifti_2_header h = hdr.n2;
        int swap = h.sizeof_hdr != (int)sizeof(nifti_2_header);
        nifti_2_header check = h;
        if (swap) swap_nifti_header(&check, 2);
        if (!nifti_hdr2_looks_good(&check)) {
            copy_message("the NIfTI-2 header is inconsistent (dimensions, datatype or magic)", err, errlen);
            return NULL;
        }
        nim = nifti_convert_n2hdr2nim(h, path);
    } else {
        copy_message(got < sizeof(nifti_1_header) ? "the file ends inside the NIfTI header" : "not a NIfTI-1 or NIfTI-2 header", err, errlen);
        return NULL;
    }
    if (nim == NULL) {
        copy_message("nifticlib cannot read the header", err, errlen);
        return NULL;
    }
    *version = v;
    return nim;
}

int msr_nifti_open(const char *path, msr_nifti **out, msr_nifti_info *info, char *err, size_t errlen) {
    quiet();
    *out = NULL;
    memset(info, 0, sizeof *info);
    int version = 0;
    nifti_image *nim = read_header(path, &version, err, errlen);
    if (nim == NULL) return 2;
    info->version = version;
    /* A single file (magic n+1 / n+2) holds its voxels after the header; a pair (ni1 / ni2)
       keeps them in the .img (or .img.gz) beside the .hdr. */
    info->pair = nim->nifti_type == NIFTI_FTYPE_NIFTI1_2 || nim->nifti_type == NIFTI_FTYPE_NIFTI2_2;
    free(nim->fname);
    nim->fname = nifti_strdup(path);
    free(nim->iname);
    nim->iname = info->pair ? nifti_findimgname(path, nim->nifti_type) : nifti_strdup(path);
    info->compressed = nim->iname ? is_gzip(nim->iname) : 0;
    info->swapped = nim->byteorder != nifti_short_order();
    for (int i = 0; i < 8; i++) {
        info->dim[i] = nim->dim[i];
        info->pixdim[i] = nim->pixdim[i];
    }
    info->datatype = nim->datatype;
    info->bytes_per_voxel = nim->nbyper;
    info->scl_slope = nim->scl_slope;
    info->scl_inter = nim->scl_inter;
    info->qform_code = nim->qform_code;
    info->sform_code = nim->sform_code;
    copy_matrix(nim->qto_xyz, info->qto_xyz);
    copy_matrix(nim->sto_xyz, info->sto_xyz);
    info->xyz_units = nim->xyz_units;
    info->time_units = nim->time_units;
    info->intent_code = nim->intent_code;
    info->vox_offset = nim->iname_offset;
    info->voxel_file_size = -1;
    struct stat st;
    if (nim->iname && stat(nim->iname, &st) == 0) info->voxel_file_size = (int64_t)st.st_size;
    struct msr_nifti *h = calloc(1, sizeof *h);
    if (h == NULL) {
        nifti_image_free(nim);
        copy_message("out of memory", err, errlen);
        return 2;
    }
    h->image = nim;
    *out = h;
    return 0;
}

int msr_nifti_read_volumes(msr_nifti *h, int64_t first_volume, int64_t volumes, void *buf, size_t buflen,
                           char *err, size_t errlen) {
    quiet();
    nifti_image *nim = h->image;
    if (nim->iname == NULL) {
        copy_message("the header names no voxel file", err, errlen);
        return 2;
    }
    const int64_t per_volume = nim->nx * nim->ny * nim->nz;
    const int64_t total = nim->nvox / (per_volume > 0 ? per_volume : 1);
    if (first_volume < 0 || volumes < 1 || first_volume + volumes > total) {
        copy_message("volume out of range", err, errlen);
        return 1;
    }
    const int64_t bytes = per_volume * volumes * nim->nbyper;
    if ((uint64_t)bytes > (uint64_t)buflen) {
        copy_message("buffer too small", err, errlen);
        return 1;
    }
    znzFile fp = znzopen(nim->iname, "rb", 1);
    if (znz_isnull(fp)) {
        copy_message("cannot open the voxel file", err, errlen);
        return 2;
    }
    const int64_t offset = nim->iname_offset + first_volume * per_volume * nim->nbyper;
    if (znzseek(fp, (long)offset, SEEK_SET) < 0) {
        znzclose(fp);
        copy_message("the voxel file ends before the voxels", err, errlen);
        return 2;
    }
    const int64_t got = nifti_read_buffer(fp, buf, bytes, nim);
    znzclose(fp);
    if (got != bytes) {
        copy_message("the voxel data are truncated or unreadable", err, errlen);
        return 2;
    }
    return 0;
}

void msr_nifti_close(msr_nifti *h) {
    if (h == NULL) return;
    nifti_image_free(h->image);
    free(h);
}

int msr_nifti_read_head(const char *path, uint8_t *buf, size_t count, size_t *got) {
    *got = 0;
    znzFile fp = znzopen(path, "rb", 1);
    if (znz_isnull(fp)) return 2;
    /* znzread passes on gzread's -1 for damaged gzip data as a size_t: anything beyond `count`
       is such an error (found by fuzzing). */
    size_t n = znzread(buf, 1, count, fp);
    znzclose(fp);
    if (n > count) return 2;
    *got = n;
    return 0;
}

void msr_nifti_orientation(const double affine[16], int codes[3]) {
    nifti_dmat44 m;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) m.m[r][c] = affine[r * 4 + c];
    nifti_dmat44_to_orientation(m, &codes[0], &codes[1], &codes[2]);
}

/// A nifti_image for `spec` (voxels not attached), or NULL.
static nifti_image *make_image(const msr_nifti_spec *spec, char *err, size_t errlen) {
    int64_t dims[8] = {spec->dim[3] > 1 ? 4 : 3, spec->dim[0], spec->dim[1], spec->dim[2], spec->dim[3], 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(dims, spec->datatype, 0);
    if (nim == NULL) {
        copy_message("nifticlib cannot make the image (datatype or dimensions)", err, errlen);
        return NULL;
    }
    for (int i = 0; i < 4; i++) nim->pixdim[i + 1] = spec->pixdim[i];
    nim->dx = spec->pixdim[0];
    nim->dy = spec->pixdim[1];
    nim->dz = spec->pixdim[2];
    nim->dt = spec->pixdim[3];
    nim->scl_slope = spec->scl_slope;
    nim->scl_inter = spec->scl_inter;
    nim->xyz_units = NIFTI_UNITS_MM;
    nim->time_units = NIFTI_UNITS_SEC;
    nifti_dmat44 m;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) m.m[r][c] = spec->affine[r * 4 + c];
    nim->sform_code = spec->xform_code;
    nim->qform_code = spec->xform_code;
    nim->sto_xyz = m;
    nim->sto_ijk = nifti_dmat44_inverse(m);
    nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x, &nim->qoffset_y,
                            &nim->qoffset_z, NULL, NULL, NULL, &nim->qfac);
    nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d, nim->qoffset_x,
                                           nim->qoffset_y, nim->qoffset_z, nim->dx, nim->dy, nim->dz, nim->qfac);
    nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
    if (spec->descrip) snprintf(nim->descrip, sizeof nim->descrip, "%s", spec->descrip);
    nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    return nim;
}

int msr_nifti_header(const msr_nifti_spec *spec, uint8_t out[352], char *err, size_t errlen) {
    quiet();
    nifti_image *nim = make_image(spec, err, errlen);
    if (nim == NULL) return 1;
    nifti_1_header hdr;
    int status = nifti_convert_nim2n1hdr(nim, &hdr);
    nifti_image_free(nim);
    if (status != 0) {
        copy_message("nifticlib cannot make the header", err, errlen);
        return 1;
    }
    hdr.vox_offset = 352;
    memcpy(hdr.magic, "n+1", 4);
    memset(out, 0, 352);  /* bytes 348-351: an empty extension flag */
    memcpy(out, &hdr, sizeof hdr);
    return 0;
}

size_t msr_gzip_bound(size_t count) {
    return (size_t)compressBound((uLong)count) + 32;  /* zlib's bound plus gzip's header and trailer */
}

int msr_gzip_member(const void *src, size_t count, int level, uint8_t *dst, size_t capacity, size_t *written) {
    z_stream z;
    memset(&z, 0, sizeof z);
    *written = 0;
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 2;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)count;
    z.next_out = dst;
    z.avail_out = (uInt)capacity;
    int r = deflate(&z, Z_FINISH);
    *written = capacity - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END ? 0 : 2;
}
