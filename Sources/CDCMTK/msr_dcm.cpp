// DCMTK behind a plain C API. Every entry point catches all exceptions.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dccodec.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <openjpeg.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "msr_dcm.h"

struct msr_dcm {
    DcmFileFormat file;
    DcmDataset *dataset = nullptr;
};

namespace {

void copyMessage(const std::string &text, char *buf, size_t buflen) {
    if (buf == nullptr || buflen == 0) return;
    size_t n = text.size() < buflen - 1 ? text.size() : buflen - 1;
    std::memcpy(buf, text.data(), n);
    buf[n] = 0;
}

int fail(const std::string &text, char *err, size_t errlen, int code = MSR_DCM_FAIL) {
    copyMessage(text, err, errlen);
    return code;
}

/// Resolves "GGGG,EEEE[/item/GGGG,EEEE]*" to an element; `sequence` is set when the last
/// element is a sequence.
DcmElement *resolve(DcmItem *root, const char *path) {
    if (root == nullptr || path == nullptr) return nullptr;
    std::string rest(path);
    DcmItem *item = root;
    while (true) {
        size_t slash = rest.find('/');
        std::string tagText = rest.substr(0, slash);
        unsigned int group = 0, element = 0;
        if (std::sscanf(tagText.c_str(), "%x,%x", &group, &element) != 2) return nullptr;
        DcmTagKey key(static_cast<Uint16>(group), static_cast<Uint16>(element));
        if (slash == std::string::npos) {
            DcmElement *found = nullptr;
            if (item->findAndGetElement(key, found, OFFalse).bad()) return nullptr;
            return found;
        }
        rest = rest.substr(slash + 1);
        size_t next = rest.find('/');
        if (next == std::string::npos) return nullptr;
        long index = std::strtol(rest.substr(0, next).c_str(), nullptr, 10);
        rest = rest.substr(next + 1);
        DcmItem *sub = nullptr;
        if (index < 0 || item->findAndGetSequenceItem(key, sub, static_cast<signed long>(index)).bad() ||
            sub == nullptr)
            return nullptr;
        item = sub;
    }
}

void silenceLogging() {
    static std::once_flag once;
    std::call_once(once, [] { OFLog::configure(OFLogger::FATAL_LOG_LEVEL); });
}

int finishOpen(msr_dcm *handle, msr_dcm **out) {
    handle->dataset = handle->file.getDataset();
    *out = handle;
    return MSR_DCM_OK;
}

// --- JPEG 2000 through OpenJPEG -------------------------------------------------------

struct MemoryStream {
    const uint8_t *data;
    size_t size;
    size_t position;
};

OPJ_SIZE_T streamRead(void *buffer, OPJ_SIZE_T count, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (s->position >= s->size) return static_cast<OPJ_SIZE_T>(-1);
    size_t n = s->size - s->position < count ? s->size - s->position : count;
    std::memcpy(buffer, s->data + s->position, n);
    s->position += n;
    return n;
}

OPJ_OFF_T streamSkip(OPJ_OFF_T count, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (count < 0) {
        if (static_cast<size_t>(-count) > s->position) return -1;
    } else if (s->position + static_cast<size_t>(count) > s->size) {
        count = static_cast<OPJ_OFF_T>(s->size - s->position);
    }
    s->position = static_cast<size_t>(static_cast<OPJ_OFF_T>(s->position) + count);
    return count;
}

OPJ_BOOL streamSeek(OPJ_OFF_T offset, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (offset < 0 || static_cast<size_t>(offset) > s->size) return OPJ_FALSE;
    s->position = static_cast<size_t>(offset);
    return OPJ_TRUE;
}

void openjpegError(const char *message, void *user) {
    auto *text = static_cast<std::string *>(user);
    if (text->empty() && message != nullptr) {
        *text = message;
        while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    }
}

void openjpegQuiet(const char *, void *) {}

struct Geometry {
    Uint16 rows = 0, columns = 0, samples = 1, bitsAllocated = 0, bitsStored = 0, representation = 0;
    Uint16 planar = 0;
    std::string photometric;
};

Geometry readGeometry(DcmDataset *ds) {
    Geometry g;
    ds->findAndGetUint16(DCM_Rows, g.rows);
    ds->findAndGetUint16(DCM_Columns, g.columns);
    ds->findAndGetUint16(DCM_SamplesPerPixel, g.samples);
    ds->findAndGetUint16(DCM_BitsAllocated, g.bitsAllocated);
    ds->findAndGetUint16(DCM_BitsStored, g.bitsStored);
    ds->findAndGetUint16(DCM_PixelRepresentation, g.representation);
    ds->findAndGetUint16(DCM_PlanarConfiguration, g.planar);
    OFString pi;
    if (ds->findAndGetOFString(DCM_PhotometricInterpretation, pi).good()) g.photometric = pi.c_str();
    if (g.samples == 0) g.samples = 1;
    if (g.bitsStored == 0) g.bitsStored = g.bitsAllocated;
    return g;
}

/// The encapsulated fragments of frame `frame`, joined.
bool frameCodestream(DcmPixelSequence *seq, unsigned long frame, unsigned long frames,
                     std::vector<uint8_t> &out, std::string &why) {
    unsigned long items = seq->card();
    if (items < 2) { why = "encapsulated pixel data holds no fragments"; return false; }
    std::vector<std::pair<const uint8_t *, size_t>> fragments;
    std::vector<size_t> starts;  // byte offset of each fragment's item header after the table
    size_t offset = 0;
    for (unsigned long i = 1; i < items; ++i) {
        DcmPixelItem *item = nullptr;
        if (seq->getItem(item, i).bad() || item == nullptr) { why = "unreadable fragment"; return false; }
        Uint8 *bytes = nullptr;
        item->getUint8Array(bytes);
        size_t length = item->getLength();
        fragments.push_back({bytes, bytes == nullptr ? 0 : length});
        starts.push_back(offset);
        offset += 8 + length;
    }
    size_t first = 0, last = 0;  // [first, last)
    DcmPixelItem *table = nullptr;
    Uint32 *offsets = nullptr;
    unsigned long tableCount = 0;
    if (seq->getItem(table, 0).good() && table != nullptr && table->getLength() >= 4 * frames &&
        frames > 1) {
        table->getUint32Array(offsets);
        tableCount = table->getLength() / 4;
    }
    if (offsets != nullptr && tableCount >= frames) {
        size_t begin = offsets[frame];
        size_t end = frame + 1 < frames ? offsets[frame + 1] : offset;
        first = fragments.size();
        for (size_t i = 0; i < fragments.size(); ++i) {
            if (starts[i] >= begin && starts[i] < end) {
                if (first == fragments.size()) first = i;
                last = i + 1;
            }
        }
        if (first == fragments.size()) { why = "offset table points past the fragments"; return false; }
    } else if (frames == 1) {
        first = 0;
        last = fragments.size();
    } else if (fragments.size() == frames) {
        first = frame;
        last = frame + 1;
    } else {
        // Frames start at fragments that begin with a JPEG 2000 SOC marker (FF 4F) or a JP2 box.
        std::vector<size_t> heads;
        for (size_t i = 0; i < fragments.size(); ++i) {
            const uint8_t *b = fragments[i].first;
            if (fragments[i].second >= 2 && b[0] == 0xFF && b[1] == 0x4F) heads.push_back(i);
            else if (fragments[i].second >= 12 && b[4] == 'j' && b[5] == 'P') heads.push_back(i);
        }
        if (heads.size() != frames) { why = "cannot tell which fragments belong to which frame"; return false; }
        first = heads[frame];
        last = frame + 1 < frames ? heads[frame + 1] : fragments.size();
    }
    out.clear();
    for (size_t i = first; i < last; ++i)
        out.insert(out.end(), fragments[i].first, fragments[i].first + fragments[i].second);
    return true;
}

/// The compressed bytes of frame `frame` of encapsulated pixel data in `xfer`; false (with `why`)
/// when the frame does not exist or its fragments cannot be told apart.
bool encapsulatedFrame(DcmDataset *ds, DcmPixelData *pd, E_TransferSyntax xfer, unsigned long frame,
                       std::vector<uint8_t> &code, std::string &why) {
    Sint32 frameCount = 1;
    ds->findAndGetSint32(DCM_NumberOfFrames, frameCount);
    if (frameCount < 1) frameCount = 1;
    if (frame >= static_cast<unsigned long>(frameCount)) { why = "frame index out of range"; return false; }
    DcmPixelSequence *seq = nullptr;
    if (pd->getEncapsulatedRepresentation(xfer, nullptr, seq).bad() || seq == nullptr) {
        why = "no encapsulated pixel data";
        return false;
    }
    return frameCodestream(seq, frame, static_cast<unsigned long>(frameCount), code, why);
}

int decodeJPEG2000(DcmDataset *ds, DcmPixelData *pd, E_TransferSyntax xfer, unsigned long frame,
                   uint8_t *buf, size_t buflen, char *colour, size_t colourlen, char *err, size_t errlen,
                   int threads) {
    Geometry g = readGeometry(ds);
    std::vector<uint8_t> code;
    std::string why;
    if (!encapsulatedFrame(ds, pd, xfer, frame, code, why)) return fail(why, err, errlen);
    if (code.size() < 12) return fail("JPEG 2000 codestream is truncated", err, errlen);
    bool raw = code[0] == 0xFF && code[1] == 0x4F;
    MemoryStream memory{code.data(), code.size(), 0};
    opj_stream_t *stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    opj_stream_set_user_data(stream, &memory, nullptr);
    opj_stream_set_user_data_length(stream, code.size());
    opj_stream_set_read_function(stream, streamRead);
    opj_stream_set_skip_function(stream, streamSkip);
    opj_stream_set_seek_function(stream, streamSeek);
    opj_codec_t *codec = opj_create_decompress(raw ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
    std::string message;
    opj_set_error_handler(codec, openjpegError, &message);
    opj_set_warning_handler(codec, openjpegQuiet, nullptr);
    opj_set_info_handler(codec, openjpegQuiet, nullptr);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    opj_image_t *image = nullptr;
    // Always set the count: OpenJPEG would otherwise take it from OPJ_NUM_THREADS, and callers
    // that decode many files at once ask for one thread each.
    bool ok = opj_setup_decoder(codec, &parameters);
    if (ok && opj_has_thread_support()) opj_codec_set_threads(codec, threads > 1 ? threads : 0);
    ok = ok && opj_read_header(stream, codec, &image) && image != nullptr;
    if (ok && (image->x1 - image->x0 != g.columns || image->y1 - image->y0 != g.rows ||
               image->numcomps != g.samples)) {
        message = "JPEG 2000 image size or components disagree with Rows/Columns/SamplesPerPixel";
        ok = false;
    }
    ok = ok && opj_decode(codec, stream, image) && opj_end_decompress(codec, stream);
    int status = MSR_DCM_OK;
    if (!ok) {
        status = fail("JPEG 2000: " + (message.empty() ? std::string("decoding failed") : message), err, errlen);
    } else {
        size_t pixels = static_cast<size_t>(g.rows) * g.columns;
        size_t bytes = (g.bitsAllocated + 7) / 8;
        if (pixels * g.samples * bytes > buflen) {
            status = fail("frame buffer too small", err, errlen);
        } else {
            for (unsigned c = 0; c < image->numcomps && status == MSR_DCM_OK; ++c) {
                opj_image_comp_t &comp = image->comps[c];
                if (comp.data == nullptr || comp.w != g.columns || comp.h != g.rows) {
                    status = fail("JPEG 2000 component is subsampled or empty", err, errlen);
                    break;
                }
                for (size_t i = 0; i < pixels; ++i) {
                    int32_t v = comp.data[i];
                    uint8_t *dst = buf + (i * g.samples + c) * bytes;
                    for (size_t k = 0; k < bytes; ++k) dst[k] = static_cast<uint8_t>((static_cast<uint32_t>(v) >> (8 * k)) & 0xFF);
                }
            }
        }
        std::string pi = g.photometric;
        if (pi == "YBR_RCT" || pi == "YBR_ICT") pi = "RGB";
        copyMessage(pi, colour, colourlen);
    }
    if (image) opj_image_destroy(image);
    opj_destroy_codec(codec);
    opj_stream_destroy(stream);
    return status;
}

/// One PackBits segment of DICOM RLE into `dst` (`count` bytes). Returns the bytes produced (at
/// most `count`; data past the frame is ignored, as pydicom does).
size_t unpackBits(const uint8_t *src, size_t length, uint8_t *dst, size_t count) {
    size_t in = 0, out = 0;
    while (in < length && out < count) {
        int header = static_cast<int8_t>(src[in++]);
        if (header >= 0) {
            size_t n = static_cast<size_t>(header) + 1;
            if (n > length - in) n = length - in;  // a literal run cut short by the segment's end
            if (n > count - out) n = count - out;
            std::memcpy(dst + out, src + in, n);
            in += static_cast<size_t>(header) + 1;
            out += n;
        } else if (header != -128) {
            if (in >= length) break;
            size_t n = static_cast<size_t>(1 - header);
            if (n > count - out) n = count - out;
            std::memset(dst + out, src[in++], n);
            out += n;
        }
    }
    return out;
}

/// Byte planes (`segments` of them, `pixels` bytes each, DICOM's order: sample by sample, most
/// significant byte first) into colour-by-pixel little-endian samples.
template <size_t Bytes, size_t Samples>
void interleavePlanes(const uint8_t *planes, size_t pixels, uint8_t *dst) {
    constexpr size_t stride = Bytes * Samples;
    for (size_t i = 0; i < pixels; ++i)
        for (size_t s = 0; s < stride; ++s)
            dst[i * stride + (s / Bytes) * Bytes + (Bytes - 1 - s % Bytes)] = planes[s * pixels + i];
}

/// DICOM RLE Lossless (PS3.5 Annex G) without DCMTK's codec, which spends most of a decode
/// copying byte by byte: the frame's fragment starts with a 64-byte header (sixteen little-endian
/// uint32: the number of segments, then each segment's offset), and each segment is one byte
/// plane of one sample in PackBits, samples in order, most significant byte first. Writes
/// colour-by-pixel, little-endian samples. Returns -1 when the frame's layout is not the plain
/// one (fragments not one per frame, segment count or offsets unexpected): the caller then
/// leaves the frame to DCMTK, which reports what is wrong with it.
int decodeRLE(DcmDataset *ds, DcmPixelData *pd, unsigned long frame, uint8_t *buf, size_t buflen,
              char *colour, size_t colourlen, char *err, size_t errlen) {
    Geometry g = readGeometry(ds);
    if (g.bitsAllocated != 8 && g.bitsAllocated != 16 && g.bitsAllocated != 32) return -1;
    if (g.samples != 1 && g.samples != 3) return -1;
    std::vector<uint8_t> code;
    std::string why;
    if (!encapsulatedFrame(ds, pd, EXS_RLELossless, frame, code, why) || code.size() < 64) return -1;
    auto word = [&](size_t i) {
        const uint8_t *p = code.data() + 4 * i;
        return static_cast<size_t>(p[0]) | static_cast<size_t>(p[1]) << 8 | static_cast<size_t>(p[2]) << 16 |
               static_cast<size_t>(p[3]) << 24;
    };
    size_t bytes = g.bitsAllocated / 8, segments = bytes * g.samples;
    if (word(0) != segments) return -1;
    size_t pixels = static_cast<size_t>(g.rows) * g.columns;
    if (pixels * segments > buflen) return fail("frame buffer too small", err, errlen);
    // One plane goes straight into the output; several are unpacked apart, then interleaved.
    std::vector<uint8_t> planes(segments > 1 ? pixels * segments : 0);
    for (size_t s = 0; s < segments; ++s) {
        size_t begin = word(1 + s), end = s + 1 < segments ? word(2 + s) : code.size();
        if (begin < 64 || begin > end || end > code.size()) return -1;
        uint8_t *plane = segments > 1 ? planes.data() + s * pixels : buf;
        size_t produced = unpackBits(code.data() + begin, end - begin, plane, pixels);
        if (produced < pixels)
            return fail("RLE segment " + std::to_string(s + 1) + " of frame " + std::to_string(frame) + " holds " +
                        std::to_string(produced) + " of the " + std::to_string(pixels) + " bytes the frame needs",
                        err, errlen);
    }
    switch (segments) {
    case 1: break;
    case 2: interleavePlanes<2, 1>(planes.data(), pixels, buf); break;
    case 3: interleavePlanes<1, 3>(planes.data(), pixels, buf); break;
    case 4: interleavePlanes<4, 1>(planes.data(), pixels, buf); break;
    case 6: interleavePlanes<2, 3>(planes.data(), pixels, buf); break;
    default: interleavePlanes<4, 3>(planes.data(), pixels, buf); break;
    }
    copyMessage(g.photometric, colour, colourlen);
    return MSR_DCM_OK;
}

/// Native YBR_FULL_422 (which DCMTK's frame API cannot return): upsample chroma to YBR_FULL.
int decodeNative422(DcmDataset *ds, DcmPixelData *pd, unsigned long frame, uint8_t *buf, size_t buflen,
                    char *colour, size_t colourlen, char *err, size_t errlen) {
    Geometry g = readGeometry(ds);
    if (g.bitsAllocated != 8 || g.samples != 3) return fail("YBR_FULL_422 supported for 8-bit data only", err, errlen);
    size_t pixels = static_cast<size_t>(g.rows) * g.columns;
    size_t frameBytes = static_cast<size_t>(g.rows) * ((g.columns + 1) / 2) * 4;
    Uint8 *data = nullptr;
    if (pd->getUint8Array(data).bad() || data == nullptr) return fail("pixel data unreadable", err, errlen);
    if ((frame + 1) * frameBytes > pd->getLength()) return fail("pixel data shorter than the frames it claims", err, errlen);
    if (pixels * 3 > buflen) return fail("frame buffer too small", err, errlen);
    const uint8_t *src = data + frame * frameBytes;
    for (size_t r = 0; r < g.rows; ++r) {
        for (size_t c = 0; c < g.columns; c += 2) {
            const uint8_t *q = src + (r * ((g.columns + 1) / 2) + c / 2) * 4;
            for (size_t k = 0; k < 2 && c + k < g.columns; ++k) {
                uint8_t *dst = buf + (r * g.columns + c + k) * 3;
                dst[0] = q[k];
                dst[1] = q[2];
                dst[2] = q[3];
            }
        }
    }
    copyMessage("YBR_FULL", colour, colourlen);
    return MSR_DCM_OK;
}

}  // namespace

extern "C" {

void msr_dcm_register_codecs(void) {
    static std::once_flag once;
    std::call_once(once, [] {
        try {
            silenceLogging();
            // Elements a writer stored as UN (explicit VR, defined length) are re-read with the
            // VR the data dictionary gives, so Modality "CT" reads as "CT", not bytes "43\54".
            dcmEnableUnknownVRConversion.set(OFTrue);
            DcmRLEDecoderRegistration::registerCodecs();
            DJDecoderRegistration::registerCodecs();
            DJLSDecoderRegistration::registerCodecs();
        } catch (...) {
        }
    });
}

int msr_dcm_open(const char *path, msr_dcm **out, char *err, size_t errlen) {
    try {
        silenceLogging();
        msr_dcm_register_codecs();
        auto *handle = new msr_dcm();
        OFCondition status = handle->file.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange,
                                                   DCM_MaxReadLength, ERM_autoDetect);
        if (status.bad()) {
            delete handle;
            handle = new msr_dcm();
            OFCondition second = handle->file.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange,
                                                       DCM_MaxReadLength, ERM_dataset);
            if (second.bad()) {
                delete handle;
                return fail(status.text(), err, errlen);
            }
        }
        return finishOpen(handle, out);
    } catch (const std::exception &e) {
        return fail(std::string("DCMTK: ") + e.what(), err, errlen);
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

int msr_dcm_open_memory(const uint8_t *bytes, size_t count, msr_dcm **out, char *err, size_t errlen) {
    try {
        silenceLogging();
        msr_dcm_register_codecs();
        for (int attempt = 0; attempt < 2; ++attempt) {
            auto *handle = new msr_dcm();
            DcmInputBufferStream stream;
            stream.setBuffer(bytes, static_cast<offile_off_t>(count));
            stream.setEos();
            OFCondition status;
            if (attempt == 0) {
                handle->file.transferInit();
                status = handle->file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
                handle->file.transferEnd();
            } else {
                DcmDataset *ds = handle->file.getDataset();
                ds->transferInit();
                status = ds->read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
                ds->transferEnd();
            }
            if (status.good()) return finishOpen(handle, out);
            delete handle;
            if (attempt == 1) return fail(status.text(), err, errlen);
        }
        return fail("unreadable", err, errlen);
    } catch (...) {
        return fail("DCMTK raised an exception while reading", err, errlen);
    }
}

void msr_dcm_free(msr_dcm *dcm) {
    try {
        delete dcm;
    } catch (...) {
    }
}

int msr_dcm_transfer_syntax(const msr_dcm *dcm, char *buf, size_t buflen) {
    try {
        DcmXfer xfer(dcm->dataset->getOriginalXfer());
        copyMessage(xfer.getXferID(), buf, buflen);
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_string(const msr_dcm *dcm, const char *path, char *buf, size_t buflen) {
    try {
        DcmElement *e = resolve(dcm->dataset, path);
        if (e == nullptr) return MSR_DCM_ABSENT;
        OFString value;
        if (e->getOFStringArray(value).bad()) return MSR_DCM_FAIL;
        copyMessage(value.c_str(), buf, buflen);
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_count(const msr_dcm *dcm, const char *path, unsigned long *count) {
    try {
        DcmElement *e = resolve(dcm->dataset, path);
        if (e == nullptr) return MSR_DCM_ABSENT;
        if (e->ident() == EVR_SQ) *count = static_cast<DcmSequenceOfItems *>(e)->card();
        else *count = e->getVM();
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_number(const msr_dcm *dcm, const char *path, unsigned long index, double *value) {
    try {
        DcmElement *e = resolve(dcm->dataset, path);
        if (e == nullptr || e->getLength() == 0) return MSR_DCM_ABSENT;
        OFCondition s;
        switch (e->ident()) {
        case EVR_US: { Uint16 v = 0; s = e->getUint16(v, index); *value = v; break; }
        case EVR_SS: { Sint16 v = 0; s = e->getSint16(v, index); *value = v; break; }
        case EVR_UL: { Uint32 v = 0; s = e->getUint32(v, index); *value = v; break; }
        case EVR_SL: case EVR_IS: { Sint32 v = 0; s = e->getSint32(v, index); *value = v; break; }
        case EVR_FL: { Float32 v = 0; s = e->getFloat32(v, index); *value = v; break; }
        case EVR_FD: case EVR_DS: { Float64 v = 0; s = e->getFloat64(v, index); *value = v; break; }
        default: return MSR_DCM_FAIL;
        }
        return s.good() ? MSR_DCM_OK : MSR_DCM_FAIL;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_words(const msr_dcm *dcm, const char *path, uint16_t *buf, size_t capacity, size_t *count) {
    try {
        DcmElement *e = resolve(dcm->dataset, path);
        if (e == nullptr) return MSR_DCM_ABSENT;
        Uint16 *words = nullptr;
        if (e->ident() == EVR_SS) {
            Sint16 *signedWords = nullptr;
            if (e->getSint16Array(signedWords).bad()) return MSR_DCM_FAIL;
            words = reinterpret_cast<Uint16 *>(signedWords);
        } else if (e->getUint16Array(words).bad()) {
            return MSR_DCM_FAIL;
        }
        size_t n = e->getLength() / 2;
        *count = n;
        if (words != nullptr && buf != nullptr) std::memcpy(buf, words, (n < capacity ? n : capacity) * 2);
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_bytes(const msr_dcm *dcm, const char *path, uint8_t *buf, size_t capacity, size_t *count) {
    try {
        DcmElement *e = resolve(dcm->dataset, path);
        if (e == nullptr) return MSR_DCM_ABSENT;
        const void *data = nullptr;
        if (e->ident() == EVR_OW || e->ident() == EVR_US || e->ident() == EVR_SS) {
            Uint16 *words = nullptr;
            if (e->getUint16Array(words).bad()) return MSR_DCM_FAIL;
            data = words;
        } else {
            Uint8 *bytes = nullptr;
            if (e->getUint8Array(bytes).bad()) return MSR_DCM_FAIL;
            data = bytes;
        }
        size_t n = e->getLength();
        *count = n;
        if (data != nullptr && buf != nullptr) std::memcpy(buf, data, n < capacity ? n : capacity);
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_is_encapsulated(const msr_dcm *dcm, int *encapsulated) {
    try {
        *encapsulated = DcmXfer(dcm->dataset->getOriginalXfer()).isEncapsulated() ? 1 : 0;
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_decode_frame(msr_dcm *dcm, unsigned long frame, uint8_t *buf, size_t buflen, char *colour,
                         size_t colourlen, char *err, size_t errlen, int threads) {
    try {
        DcmDataset *ds = dcm->dataset;
        DcmElement *element = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr)
            return fail("no Pixel Data (7FE0,0010)", err, errlen);
        if (element->ident() != EVR_OW && element->ident() != EVR_OB && element->ident() != EVR_PixelData &&
            element->ident() != EVR_UN)
            return fail("Pixel Data has an unexpected VR", err, errlen);
        auto *pd = static_cast<DcmPixelData *>(element);
        E_TransferSyntax xfer = ds->getOriginalXfer();
        if (xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000 ||
            xfer == EXS_JPEG2000MulticomponentLosslessOnly || xfer == EXS_JPEG2000Multicomponent)
            return decodeJPEG2000(ds, pd, xfer, frame, buf, buflen, colour, colourlen, err, errlen, threads);
        if (xfer == EXS_RLELossless) {
            int status = decodeRLE(ds, pd, frame, buf, buflen, colour, colourlen, err, errlen);
            if (status != -1) return status;
        }
        Geometry g = readGeometry(ds);
        bool encapsulated = DcmXfer(xfer).isEncapsulated();
        if (!encapsulated && g.photometric == "YBR_FULL_422")
            return decodeNative422(ds, pd, frame, buf, buflen, colour, colourlen, err, errlen);
        if (encapsulated) {
            DcmPixelSequence *seq = nullptr;
            if (pd->getEncapsulatedRepresentation(xfer, nullptr, seq).bad() || seq == nullptr)
                return fail("encapsulated pixel data is unreadable", err, errlen);
            if (DcmCodecList::canChangeCoding(xfer, EXS_LittleEndianExplicit) == OFFalse)
                return fail(std::string("no decoder for transfer syntax ") + DcmXfer(xfer).getXferName(), err,
                            errlen, MSR_DCM_UNSUPPORTED);
        }
        Uint32 frameSize = 0;
        if (pd->getUncompressedFrameSize(ds, frameSize).bad()) return fail("cannot size a frame", err, errlen);
        Uint32 evenSize = frameSize + (frameSize & 1);  // DCMTK wants an even buffer
        if (evenSize > buflen) return fail("frame larger than the header says", err, errlen);
        if (!encapsulated) {
            Sint32 frames = 1;
            ds->findAndGetSint32(DCM_NumberOfFrames, frames);
            if (frames < 1) frames = 1;
            unsigned long long needed = static_cast<unsigned long long>(frameSize) * static_cast<unsigned long long>(frames);
            unsigned long long have = pd->getLength();
            // The last frame of odd-sized data may end one pad byte short of frameSize.
            if (have + 1 < needed) return fail("pixel data is shorter than the frames it claims (truncated file?)", err, errlen);
        }
        OFString model;
        Uint32 startFragment = 0;
        OFCondition status = pd->getUncompressedFrame(ds, static_cast<Uint32>(frame), startFragment, buf,
                                                      evenSize, model, nullptr);
        if (status.bad()) return fail(status.text(), err, errlen);
        // DCMTK returns the dataset's planar configuration; make it colour-by-pixel.
        size_t pixels = static_cast<size_t>(g.rows) * g.columns;
        size_t bytes = (g.bitsAllocated + 7) / 8;
        if (g.samples > 1 && g.planar == 1) {
            std::vector<uint8_t> planar(buf, buf + pixels * g.samples * bytes);
            for (size_t s = 0; s < g.samples; ++s)
                for (size_t i = 0; i < pixels; ++i)
                    std::memcpy(buf + (i * g.samples + s) * bytes, planar.data() + (s * pixels + i) * bytes, bytes);
        }
        // Explicit big endian 32-bit OW data: DCMTK swaps 16-bit words only; restore the halves.
        if (!encapsulated && xfer == EXS_BigEndianExplicit && g.bitsAllocated == 32) {
            for (size_t i = 0; i < pixels * g.samples; ++i) {
                uint8_t *p = buf + 4 * i;
                uint8_t t0 = p[0], t1 = p[1];
                p[0] = p[2]; p[1] = p[3]; p[2] = t0; p[3] = t1;
            }
        }
        copyMessage(model.empty() ? g.photometric : std::string(model.c_str()), colour, colourlen);
        return MSR_DCM_OK;
    } catch (const std::exception &e) {
        return fail(std::string("DCMTK: ") + e.what(), err, errlen);
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

}  // extern "C"

// MARK: Editing (medsr upscale → derived, de-identified DICOM)
//
// Element operations only: which elements to change, and to what, is decided in Swift
// (MedIO's DICOMWriter and Deidentifier, PS3.15 Annex E as a table).

namespace {

/// The item at `path`: "" is the data set, "SSSS,SSSS/i[/SSSS,SSSS/j…]" an item of a sequence.
DcmItem *itemAt(DcmItem *root, const char *path) {
    if (root == nullptr || path == nullptr) return nullptr;
    DcmItem *item = root;
    std::string rest(path);
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        if (slash == std::string::npos) return nullptr;
        unsigned int group = 0, element = 0;
        if (std::sscanf(rest.substr(0, slash).c_str(), "%x,%x", &group, &element) != 2) return nullptr;
        rest = rest.substr(slash + 1);
        size_t next = rest.find('/');
        std::string indexText = rest.substr(0, next);
        rest = next == std::string::npos ? std::string() : rest.substr(next + 1);
        char *end = nullptr;
        long index = std::strtol(indexText.c_str(), &end, 10);
        if (indexText.empty() || *end != 0 || index < 0) return nullptr;
        DcmItem *sub = nullptr;
        if (item->findAndGetSequenceItem(DcmTagKey(static_cast<Uint16>(group), static_cast<Uint16>(element)), sub,
                                         static_cast<signed long>(index)).bad() || sub == nullptr)
            return nullptr;
        item = sub;
    }
    return item;
}

/// Splits "…/GGGG,EEEE" into the item that holds the element and the element's tag.
bool parentAndKey(DcmItem *root, const char *path, DcmItem *&item, DcmTagKey &key) {
    if (path == nullptr) return false;
    std::string full(path);
    size_t slash = full.rfind('/');
    std::string itemPath = slash == std::string::npos ? std::string() : full.substr(0, slash);
    std::string tagText = slash == std::string::npos ? full : full.substr(slash + 1);
    unsigned int group = 0, element = 0;
    if (std::sscanf(tagText.c_str(), "%x,%x", &group, &element) != 2) return false;
    item = itemAt(root, itemPath.c_str());
    key = DcmTagKey(static_cast<Uint16>(group), static_cast<Uint16>(element));
    return item != nullptr;
}

}  // namespace

extern "C" {

int msr_dcm_list(const msr_dcm *dcm, const char *item_path, char *buf, size_t buflen, size_t *needed) {
    try {
        if (dcm == nullptr || needed == nullptr) return MSR_DCM_FAIL;
        DcmItem *item = itemAt(dcm->dataset, item_path);
        if (item == nullptr) return MSR_DCM_ABSENT;
        std::string text;
        for (unsigned long i = 0; i < item->card(); ++i) {
            DcmElement *e = item->getElement(i);
            if (e == nullptr) continue;
            char line[32];
            std::snprintf(line, sizeof line, "%04X,%04X %s\n", e->getGTag(), e->getETag(), DcmVR(e->ident()).getVRName());
            text += line;
        }
        *needed = text.size() + 1;
        if (buf != nullptr && buflen >= text.size() + 1) std::memcpy(buf, text.c_str(), text.size() + 1);
        return MSR_DCM_OK;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_delete(msr_dcm *dcm, const char *path) {
    try {
        DcmItem *item = nullptr;
        DcmTagKey key;
        if (dcm == nullptr || !parentAndKey(dcm->dataset, path, item, key)) return MSR_DCM_ABSENT;
        return item->findAndDeleteElement(key, OFFalse, OFFalse).good() ? MSR_DCM_OK : MSR_DCM_ABSENT;
    } catch (...) {
        return MSR_DCM_FAIL;
    }
}

int msr_dcm_put_string(msr_dcm *dcm, const char *path, const char *value, char *err, size_t errlen) {
    try {
        DcmItem *item = nullptr;
        DcmTagKey key;
        if (dcm == nullptr || value == nullptr || !parentAndKey(dcm->dataset, path, item, key))
            return fail("no such item", err, errlen);
        DcmElement *existing = nullptr;
        if (item->findAndGetElement(key, existing, OFFalse).good() && existing != nullptr && existing->ident() == EVR_SQ) {
            if (*value != 0) return fail("a sequence takes no string value", err, errlen);
            static_cast<DcmSequenceOfItems *>(existing)->clear();
            return MSR_DCM_OK;
        }
        OFCondition status = *value == 0 ? item->insertEmptyElement(key, OFTrue) : item->putAndInsertString(key, value);
        return status.good() ? MSR_DCM_OK : fail(status.text(), err, errlen);
    } catch (const std::exception &e) {
        return fail(std::string("DCMTK: ") + e.what(), err, errlen);
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

int msr_dcm_append_item(msr_dcm *dcm, const char *path, unsigned long *index, char *err, size_t errlen) {
    try {
        DcmItem *item = nullptr, *created = nullptr;
        DcmTagKey key;
        if (dcm == nullptr || index == nullptr || !parentAndKey(dcm->dataset, path, item, key))
            return fail("no such item", err, errlen);
        OFCondition status = item->findOrCreateSequenceItem(key, created, -2);
        if (status.bad() || created == nullptr) return fail(status.text(), err, errlen);
        DcmSequenceOfItems *sequence = nullptr;
        if (item->findAndGetSequence(key, sequence, OFFalse).bad() || sequence == nullptr || sequence->card() == 0)
            return fail("sequence not created", err, errlen);
        *index = sequence->card() - 1;
        return MSR_DCM_OK;
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

int msr_dcm_put_pixels(msr_dcm *dcm, const void *pixels, uint32_t rows, uint32_t columns, uint32_t samples, int bits,
                       int is_signed, char *err, size_t errlen) {
    try {
        if (dcm == nullptr || pixels == nullptr || (bits != 8 && bits != 16) || (samples != 1 && samples != 3) || rows == 0 ||
            columns == 0 || rows > 65535 || columns > 65535)
            return fail("pixels: unsupported geometry or sample format", err, errlen);
        DcmDataset *ds = dcm->dataset;
        ds->findAndDeleteElement(DCM_PixelData, OFTrue, OFFalse);
        ds->findAndDeleteElement(DCM_PlanarConfiguration, OFTrue, OFFalse);
        ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(rows));
        ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(columns));
        ds->putAndInsertUint16(DCM_SamplesPerPixel, static_cast<Uint16>(samples));
        ds->putAndInsertString(DCM_PhotometricInterpretation, samples == 3 ? "RGB" : "MONOCHROME2");
        if (samples == 3) ds->putAndInsertUint16(DCM_PlanarConfiguration, 0);
        ds->putAndInsertUint16(DCM_BitsAllocated, static_cast<Uint16>(bits));
        ds->putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(bits));
        ds->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(bits - 1));
        ds->putAndInsertUint16(DCM_PixelRepresentation, is_signed ? 1 : 0);
        size_t count = static_cast<size_t>(rows) * columns * samples;
        OFCondition status = bits == 16 ? ds->putAndInsertUint16Array(DCM_PixelData, static_cast<const Uint16 *>(pixels), count)
                                        : ds->putAndInsertUint8Array(DCM_PixelData, static_cast<const Uint8 *>(pixels), count);
        return status.good() ? MSR_DCM_OK : fail(std::string("pixels: ") + status.text(), err, errlen);
    } catch (const std::exception &e) {
        return fail(std::string("DCMTK: ") + e.what(), err, errlen);
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

int msr_dcm_save(msr_dcm *dcm, const char *out_path, int keep_transfer_syntax, char *err, size_t errlen) {
    try {
        if (dcm == nullptr || out_path == nullptr) return fail("nothing to save", err, errlen);
        E_TransferSyntax xfer = EXS_LittleEndianExplicit;
        if (keep_transfer_syntax) {
            xfer = dcm->dataset->getOriginalXfer();
            if (xfer == EXS_Unknown || xfer == EXS_LittleEndianImplicit || xfer == EXS_BigEndianExplicit)
                xfer = EXS_LittleEndianExplicit;
        }
        // A fresh meta header (DCMTK's own: SOP class and instance from the data set) and a zero
        // preamble, so nothing of the source's meta information survives.
        if (!keep_transfer_syntax) dcm->dataset->removeAllButCurrentRepresentations();
        DcmFileFormat fresh(dcm->dataset);
        OFCondition status = fresh.saveFile(OFFilename(out_path), xfer, EET_ExplicitLength,
                                                EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat);
        return status.good() ? MSR_DCM_OK : fail(std::string("cannot write: ") + status.text(), err, errlen);
    } catch (const std::exception &e) {
        return fail(std::string("DCMTK: ") + e.what(), err, errlen);
    } catch (...) {
        return fail("DCMTK raised an unknown exception", err, errlen);
    }
}

}  // extern "C"
