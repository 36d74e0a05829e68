import CDCMTK
import Foundation
import MedImage

/// Element operations on an open DICOM file, for writing derived and de-identified objects.
/// Paths are as for reading: `"GGGG,EEEE"`, `"SSSS,SSSS/i/GGGG,EEEE"`; an item path is
/// `""` (the data set) or `"SSSS,SSSS/i"`. Which elements change is decided by the callers.
extension DICOMFile {
    /// One element of an item: its tag `0xGGGGEEEE` and VR ("SQ", "PN", "UN", …).
    struct Element: Equatable {
        let tag: UInt32
        let vr: String

        /// `"GGGG,EEEE"`.
        var key: String { DICOMFile.key(tag) }
    }

    static func key(_ tag: UInt32) -> String {
        let hex = String(tag, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 8 - hex.count) + hex
        return "\(padded.prefix(4)),\(padded.suffix(4))"
    }

    /// The path of `element` inside the item at `item`.
    static func path(_ item: String, _ element: UInt32) -> String {
        item.isEmpty ? key(element) : "\(item)/\(key(element))"
    }

    /// The elements of the item at `item`, in tag order.
    func elements(in item: String) -> [Element] {
        var needed = 0
        guard msr_dcm_list(handle, item, nil, 0, &needed) == MSR_DCM_OK, needed > 0 else { return [] }
        var buffer = [CChar](repeating: 0, count: needed)
        guard msr_dcm_list(handle, item, &buffer, buffer.count, &needed) == MSR_DCM_OK else { return [] }
        return cString(buffer).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { return nil }
            let hex = parts[0].replacingOccurrences(of: ",", with: "")
            return UInt32(hex, radix: 16).map { Element(tag: $0, vr: String(parts[1])) }
        }
    }

    /// Removes the element at `path` (nothing happens when it is absent).
    mutating func delete(_ path: String) {
        _ = msr_dcm_delete(handle, path)
    }

    /// Sets the element at `path` to `value` ("" empties it; for a sequence, removes its items).
    mutating func put(_ path: String, _ value: String) throws(DICOMError) {
        var err = [CChar](repeating: 0, count: 256)
        guard msr_dcm_put_string(handle, path, value, &err, err.count) == MSR_DCM_OK else {
            throw DICOMError(.writeFailed, path: self.path, "cannot set element \(path)", underlying: cString(err))
        }
    }

    /// Appends an empty item to the sequence at `path` (created when absent); returns its index.
    mutating func appendItem(_ path: String) throws(DICOMError) -> Int {
        var index: UInt = 0
        var err = [CChar](repeating: 0, count: 256)
        guard msr_dcm_append_item(handle, path, &index, &err, err.count) == MSR_DCM_OK else {
            throw DICOMError(.writeFailed, path: self.path, "cannot add an item to \(path)", underlying: cString(err))
        }
        return Int(index)
    }

    /// Replaces the pixel data (and the Image Pixel module's description of it) with one frame.
    mutating func putPixels(_ pixels: UnsafeRawPointer, rows: Int, columns: Int, samples: Int, bits: Int,
                            signed: Bool) throws(DICOMError) {
        var err = [CChar](repeating: 0, count: 256)
        guard msr_dcm_put_pixels(handle, pixels, UInt32(rows), UInt32(columns), UInt32(samples), Int32(bits), signed ? 1 : 0,
                                 &err, err.count) == MSR_DCM_OK else {
            throw DICOMError(.writeFailed, path: self.path, "cannot set the pixel data", underlying: cString(err))
        }
    }

    /// Writes the data set to `path` with a new meta header and a zero preamble, as explicit VR
    /// little endian or (`keepTransferSyntax`) with compressed pixel data left as it was read.
    func save(to path: String, keepTransferSyntax: Bool = false) throws(DICOMError) {
        var err = [CChar](repeating: 0, count: 512)
        guard msr_dcm_save(handle, path, keepTransferSyntax ? 1 : 0, &err, err.count) == MSR_DCM_OK else {
            throw DICOMError(.writeFailed, path: path, "cannot write the DICOM file", underlying: cString(err))
        }
    }
}
