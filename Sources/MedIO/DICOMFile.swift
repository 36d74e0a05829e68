import Foundation
import CDCMTK
import MedImage

/// One open DICOM file (DCMTK data set). Tags are addressed as `"GGGG,EEEE"`, nested ones as
/// `"SSSS,SSSS/item/GGGG,EEEE"`.
struct DICOMFile: ~Copyable {
    let handle: OpaquePointer
    let path: String

    init(path: String) throws(DICOMError) {
        var handle: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = msr_dcm_open(path, &handle, &err, err.count)
        guard status == MSR_DCM_OK, let handle else {
            let why = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if why.contains("Virtual Memory exhausted") {
                throw DICOMError(.tooLarge, path: path,
                                 "the data set expands beyond the memory available (a deflate bomb, or a damaged length)", underlying: why)
            }
            if why.contains("premature end of stream") {  // DCMTK's EC_StreamNotifyClient on a cut-off file
                throw DICOMError(.corrupt, path: path, "the file ends early: " + (Truncation.dicom(path: path) ?? "a value runs past the end"))
            }
            throw DICOMError(.unreadable, path: path, "not a readable DICOM file", underlying: why)
        }
        self.handle = handle
        self.path = path
    }

    init(bytes: [UInt8], name: String) throws(DICOMError) {
        var handle: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { msr_dcm_open_memory($0.baseAddress, $0.count, &handle, &err, err.count) }
        guard status == MSR_DCM_OK, let handle else {
            throw DICOMError(.unreadable, path: name, "not a readable DICOM data set", underlying: cString(err))
        }
        self.handle = handle
        self.path = name
    }

    deinit { msr_dcm_free(handle) }

    var transferSyntax: String {
        var buf = [CChar](repeating: 0, count: 128)
        _ = msr_dcm_transfer_syntax(handle, &buf, buf.count)
        return cString(buf)
    }

    var isEncapsulated: Bool {
        var flag: Int32 = 0
        _ = msr_dcm_is_encapsulated(handle, &flag)
        return flag != 0
    }

    /// The element's whole string value, trimmed; nil when absent or empty.
    func string(_ tag: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        guard msr_dcm_string(handle, tag, &buf, buf.count) == MSR_DCM_OK else { return nil }
        let text = cString(buf).trimmingCharacters(in: .whitespaces.union(["\0"]))
        return text.isEmpty ? nil : text
    }

    func count(_ tag: String) -> Int? {
        var n: UInt = 0
        return msr_dcm_count(handle, tag, &n) == MSR_DCM_OK ? Int(n) : nil
    }

    func number(_ tag: String, _ index: Int = 0) -> Double? {
        var value = 0.0
        guard msr_dcm_number(handle, tag, UInt(index), &value) == MSR_DCM_OK, value.isFinite else { return nil }
        return value
    }

    func int(_ tag: String, _ index: Int = 0) -> Int? {
        number(tag, index).flatMap { Int(exactly: $0.rounded()) }
    }

    /// All values of a numeric element (DS, IS, US, FD, …).
    func numbers(_ tag: String) -> [Double]? {
        guard let n = count(tag), n > 0 else { return nil }
        let values = (0 ..< n).compactMap { number(tag, $0) }
        return values.count == n ? values : nil
    }

    func words(_ tag: String) -> [UInt16]? {
        var n = 0
        guard msr_dcm_words(handle, tag, nil, 0, &n) == MSR_DCM_OK, n > 0, n < 1 << 26 else { return nil }
        var out = [UInt16](repeating: 0, count: n)
        guard msr_dcm_words(handle, tag, &out, n, &n) == MSR_DCM_OK else { return nil }
        return out
    }

    /// The raw value of an element in host byte order (OW as host-order words).
    func bytes(_ tag: String) -> [UInt8]? {
        var n = 0
        guard msr_dcm_bytes(handle, tag, nil, 0, &n) == MSR_DCM_OK, n > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: n)
        guard msr_dcm_bytes(handle, tag, &out, n, &n) == MSR_DCM_OK else { return nil }
        return out
    }

    /// Decodes one frame into `buffer`; returns the decoded photometric interpretation.
    /// - Parameter threads: threads the JPEG 2000 decoder may use (the pixels do not depend on it).
    func decodeFrame(_ frame: Int, into buffer: inout [UInt8], threads: Int = 1) throws(DICOMError) -> String {
        var colour = [CChar](repeating: 0, count: 64)
        var err = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer {
            msr_dcm_decode_frame(handle, UInt(frame), $0.baseAddress, $0.count, &colour, colour.count, &err, err.count,
                                 Int32(clamping: max(1, threads)))
        }
        guard status == MSR_DCM_OK else {
            let code: DICOMError.Code = status == MSR_DCM_UNSUPPORTED ? .unsupported : .corrupt
            throw DICOMError(code, path: path, "frame \(frame) cannot be decoded", underlying: cString(err))
        }
        return cString(colour)
    }
}

func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
