// A plain C API over DCMTK (and OpenJPEG for JPEG 2000 pixel data).
//
// Rules: every function returns int (0 = OK, MSR_DCM_ABSENT = the element is not there,
// anything else = failure with a message copied into `err`); results come through
// out-pointers; no C++ exception and no longjmp crosses this boundary.
#ifndef MSR_DCM_H
#define MSR_DCM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSR_DCM_OK 0
#define MSR_DCM_ABSENT 1
#define MSR_DCM_FAIL 2
#define MSR_DCM_UNSUPPORTED 3

typedef struct msr_dcm msr_dcm;

/// Opens a DICOM file (with or without preamble and meta header). The handle must be freed.
int msr_dcm_open(const char *path, msr_dcm **out, char *err, size_t errlen);

/// Opens DICOM data held in memory (the bytes are copied).
int msr_dcm_open_memory(const uint8_t *bytes, size_t count, msr_dcm **out, char *err, size_t errlen);

void msr_dcm_free(msr_dcm *dcm);

/// The transfer syntax UID the data set was read with (copied into `buf`).
int msr_dcm_transfer_syntax(const msr_dcm *dcm, char *buf, size_t buflen);

/// A tag path: "GGGG,EEEE" for a top-level element, or sequences with item indices:
/// "5200,9230/0/0028,9132/0/0028,1050". Item indices are zero-based.

/// The whole string value (all values, backslash-separated) of the element at `path`.
int msr_dcm_string(const msr_dcm *dcm, const char *path, char *buf, size_t buflen);

/// The number of values (VM) of the element, or the number of items of a sequence.
int msr_dcm_count(const msr_dcm *dcm, const char *path, unsigned long *count);

/// Value `index` of a numeric element (US, SS, UL, SL, FL, FD, DS, IS) as a double.
int msr_dcm_number(const msr_dcm *dcm, const char *path, unsigned long index, double *value);

/// Copies up to `capacity` 16-bit words of an OW/US/SS element (host byte order); `count`
/// receives the number of words the element holds.
int msr_dcm_words(const msr_dcm *dcm, const char *path, uint16_t *buf, size_t capacity,
                  size_t *count);

/// Copies up to `capacity` bytes of an element's raw value in host byte order; `count`
/// receives the value length.
int msr_dcm_bytes(const msr_dcm *dcm, const char *path, uint8_t *buf, size_t capacity,
                  size_t *count);

/// Whether the pixel data is encapsulated (compressed) in the file.
int msr_dcm_is_encapsulated(const msr_dcm *dcm, int *encapsulated);

/// Decodes frame `frame` (zero-based) into `buf` (`buflen` bytes, at least
/// rows*columns*samples*bitsAllocated/8, rounded up to even). Samples come out
/// colour-by-pixel in host byte order; `colour` receives the photometric interpretation
/// of the decoded samples (a decoder may have converted YBR to RGB). `threads` (≥ 1) is how
/// many threads the JPEG 2000 decoder may use for this frame (the pixels do not depend on it;
/// other syntaxes decode on the calling thread).
int msr_dcm_decode_frame(msr_dcm *dcm, unsigned long frame, uint8_t *buf, size_t buflen,
                         char *colour, size_t colourlen, char *err, size_t errlen, int threads);

/// Decodes every DICOM codec once per process (RLE, JPEG, JPEG-LS). Safe to call often.
void msr_dcm_register_codecs(void);

// Editing (derived, de-identified images). Which elements change, and how, is decided in Swift.

/// Lists the elements of the item at `item_path` ("" = the data set, "SSSS,SSSS/i" = item i of a
/// sequence, nested as in tag paths) as lines "GGGG,EEEE VR\n", NUL-terminated. `needed`
/// receives the buffer size the list needs; `buf` is filled only when it is that large.
int msr_dcm_list(const msr_dcm *dcm, const char *item_path, char *buf, size_t buflen, size_t *needed);

/// Deletes the element at `path` (MSR_DCM_ABSENT when it is not there).
int msr_dcm_delete(msr_dcm *dcm, const char *path);

/// Inserts or replaces the element at `path` (its item must exist) with `value` (the VR from the
/// data dictionary; UN for unknown private tags). "" empties the element; for a sequence it
/// removes all its items.
int msr_dcm_put_string(msr_dcm *dcm, const char *path, const char *value, char *err, size_t errlen);

/// Appends an empty item to the sequence at `path` (creating the sequence if needed); `index`
/// receives the new item's index.
int msr_dcm_append_item(msr_dcm *dcm, const char *path, unsigned long *index, char *err, size_t errlen);

/// Replaces the pixel data with one frame of `pixels` (rows × columns × samples, interleaved;
/// 16-bit words in host order when bits == 16, else bytes) and sets the Image Pixel module's
/// elements to describe it (MONOCHROME2 or RGB).
int msr_dcm_put_pixels(msr_dcm *dcm, const void *pixels, uint32_t rows, uint32_t columns, uint32_t samples, int bits,
                       int is_signed, char *err, size_t errlen);

/// Writes the data set to `out_path` with a new meta header (made by DCMTK from the data set) and
/// a zero preamble: as explicit VR little endian, or with keep_transfer_syntax != 0 in the
/// syntax it was read with (compressed pixel data stays as it is; uncompressed goes explicit VR
/// little endian).
int msr_dcm_save(msr_dcm *dcm, const char *out_path, int keep_transfer_syntax, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
