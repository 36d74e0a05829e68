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

/// Writes a derived single-frame image (explicit VR little endian) beside the source: the
/// source file's data set with `pixels` (rows × columns × samples, interleaved; 16-bit words
/// when bits == 16, signed when is_signed, else 8-bit), Rows/Columns, PixelSpacing and
/// ImagerPixelSpacing divided by `scale`, ImageType DERIVED\SECONDARY, `description` as
/// DerivationDescription and SeriesDescription, RescaleSlope / RescaleIntercept as given (stored
/// × slope + intercept is in the source's modality units), new SOP Instance and Series UIDs. Multi-frame
/// and enhanced sources become Secondary Capture. With keep_identifiers == 0 the patient's
/// names, IDs, birth date, addresses, institution, physicians, operators, accession number,
/// station, device serial number, referenced instances and private elements are removed or
/// emptied, the Study and Frame of Reference UIDs are replaced, and PatientIdentityRemoved is
/// YES. The file is written to `out_path` directly (the caller writes to a temporary name).
int msr_dcm_write_derived(const char *source, const char *out_path, const void *pixels, uint32_t rows,
                          uint32_t columns, uint32_t samples, int bits, int is_signed, double scale,
                          double rescale_slope, double rescale_intercept, const char *description,
                          int keep_identifiers, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
