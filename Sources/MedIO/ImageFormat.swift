public import Foundation
import CNIfTI
import MedImage

/// The formats MedSR reads, recognised by content, never by file name.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case dicom, matlab, tiff, png, jpeg, bmp
    case nifti

    /// Recognises a format from the first bytes of a file (at least 132 for DICOM).
    ///
    /// DICOM: "DICM" at offset 128 (checked before JPEG, BMP and TIFF: a DICOM preamble may hold
    /// their headers), or a plausible first element of a bare data set (group 0x0008 or 0x0002
    /// in either byte order). MATLAB: see below, a "MATLAB … MAT-file" text (some writers leave
    /// the version fields zero), or a bare HDF5 file. TIFF: II*\0, MM\0*,
    /// BigTIFF II+\0 / MM\0+. PNG: its 8-byte signature. JPEG: SOI then a marker (FF D8 FF).
    /// BMP: "BM" and a known info-header size at offset 14. MATLAB v5/v7/v7.3: version 0x0100 or
    /// 0x0200 and the endian indicator 'IM'/'MI' at bytes 124–127, whatever the text says;
    /// MATLAB v4 (no text header): a plausible first matrix header (`MATv4.isHeader`).
    public static func sniff(_ head: [UInt8]) -> ImageFormat? {
        if isNIfTIHeader(head) { return .nifti }
        if head.count >= 8, head[0 ..< 8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .png
        }
        if head.count >= 132, head[128 ..< 132].elementsEqual(Array("DICM".utf8)) { return .dicom }
        // After DICM: a DICOM preamble may hold any other format's signature.
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 18, head[0] == 0x42, head[1] == 0x4D,
           [12, 40, 56, 108, 124].contains(UInt32(head[14]) | UInt32(head[15]) << 8 | UInt32(head[16]) << 16 | UInt32(head[17]) << 24) {
            return .bmp
        }
        if head.count >= 4 {
            let m = Array(head[0 ..< 4])
            if m == [0x49, 0x49, 0x2A, 0x00] || m == [0x4D, 0x4D, 0x00, 0x2A]
                || m == [0x49, 0x49, 0x2B, 0x00] || m == [0x4D, 0x4D, 0x00, 0x2B] {
                return .tiff
            }
        }
        if head.count >= 128 {
            let endian = (head[126], head[127])
            let version = endian == (0x49, 0x4D) ? UInt16(head[124]) | UInt16(head[125]) << 8
                : endian == (0x4D, 0x49) ? UInt16(head[124]) << 8 | UInt16(head[125]) : 0
            if version == 0x0100 || version == 0x0200 { return .matlab }
        }
        // Some writers (h5py-made v7.3 files) fill the text but leave the fields zero: any
        // "MATLAB <version> MAT-file" text is accepted too, whatever version it names.
        if head.count >= 116, head.starts(with: Array("MATLAB ".utf8)),
           String(decoding: head[0 ..< 116], as: UTF8.self).contains(" MAT-file") {
            return .matlab
        }
        if head.count >= 8, head[0 ..< 8].elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return .matlab
        }
        // A data set without preamble: the first tag is a low group (0002, 0008) in either order,
        // followed by an explicit VR or a small implicit length.
        if head.count >= 8 {
            let groupLE = UInt16(head[0]) | UInt16(head[1]) << 8
            let groupBE = UInt16(head[0]) << 8 | UInt16(head[1])
            let vr = String(bytes: head[4 ..< 6], encoding: .ascii) ?? ""
            let plausibleVR = vr.count == 2 && vr.allSatisfy { $0.isUppercase }
            let implicitLength = UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24
            if [0x0002, 0x0008].contains(groupLE) && (plausibleVR || implicitLength < 1024) { return .dicom }
            if [0x0002, 0x0008].contains(groupBE) && plausibleVR { return .dicom }
        }
        if MATv4.isHeader(head) { return .matlab }
        return nil
    }

    /// Reads the first bytes of `url` and sniffs them.
    public static func detect(_ url: URL) throws -> ImageFormat {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw InputError(.unreadable, path: url.path, "cannot open the file (missing or no permission)")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 548)).map { [UInt8]($0) } ?? []
        if let format = sniff(head) { return format }
        if head.starts(with: [0x1F, 0x8B]), isNIfTIHeader(gunzippedHead(url.path)) { return .nifti }
        throw InputError(.unsupported, path: url.path, "not a DICOM, MATLAB, TIFF, PNG, JPEG, BMP or NIfTI file")
    }

    /// A NIfTI-1 header (sizeof_hdr 348, magic `n+1\0` or `ni1\0` at 344) or a NIfTI-2 header
    /// (sizeof_hdr 540, magic `n+2\0` or `ni2\0` at 4), in either byte order. ANALYZE 7.5
    /// headers (no magic) are not recognised.
    static func isNIfTIHeader(_ head: [UInt8]) -> Bool {
        guard head.count >= 8 else { return false }
        let le = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
        let size = le == 348 || le.byteSwapped == 348 ? 348 : (le == 540 || le.byteSwapped == 540 ? 540 : 0)
        if size == 348, head.count >= 348 {
            return [Array("n+1\0".utf8), Array("ni1\0".utf8)].contains(Array(head[344 ..< 348]))
        }
        if size == 540 {
            return [Array("n+2\0".utf8), Array("ni2\0".utf8)].contains(Array(head[4 ..< 8]))
        }
        return false
    }

    /// The first 540 bytes of a gzip file, inflated (a `.nii.gz` is found by the header inside).
    static func gunzippedHead(_ path: String) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 540)
        var got = 0
        let status = buffer.withUnsafeMutableBufferPointer { msr_nifti_read_head(path, $0.baseAddress, $0.count, &got) }
        return status == 0 && got <= buffer.count ? Array(buffer.prefix(got)) : []
    }
}
