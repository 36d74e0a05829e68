import Foundation
import MedImage

/// Finds where a file ends early by walking its declared structure (PNG chunks, MATLAB v5
/// data elements, DICOM element headers) against the file size, without decoding pixels.
/// Each check returns nil when every declared size fits in the file, else one phrase saying
/// which part runs past the end, e.g. "chunk IDAT at byte 33 declares 8192 bytes; the file
/// ends at byte 2000".
enum Truncation {
    /// PNG: every chunk (length, type, data, CRC) fits, and the last one is IEND.
    static func png(path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let size = try? file.seekToEnd() else { return nil }
        var offset: UInt64 = 8
        while offset + 8 <= size {
            try? file.seek(toOffset: offset)
            guard let head = try? file.read(upToCount: 8), head.count == 8 else { return nil }
            let h = [UInt8](head)
            let length = UInt64(h[0]) << 24 | UInt64(h[1]) << 16 | UInt64(h[2]) << 8 | UInt64(h[3])
            let type = String(decoding: h[4 ..< 8], as: UTF8.self)
            let end = offset + 12 + length
            if end > size { return "chunk \(type) at byte \(offset) declares \(length) bytes; the file ends at byte \(size)" }
            if type == "IEND" { return nil }
            offset = end
        }
        return "the file ends at byte \(size) before the IEND chunk"
    }

    /// MATLAB v5 (not v7.3, which is HDF5): every top-level data element fits.
    static func matV5(path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let size = try? file.seekToEnd(), size >= 128 else { return nil }
        try? file.seek(toOffset: 0)
        guard let header = try? file.read(upToCount: 128), header.count == 128 else { return nil }
        let h = [UInt8](header)
        guard String(decoding: h[0 ..< 10], as: UTF8.self) == "MATLAB 5.0" else { return nil }
        let littleEndian = h[126] == UInt8(ascii: "I")
        func word(_ b: ArraySlice<UInt8>) -> UInt64 {
            let a = Array(b)
            let v = littleEndian ? UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24
                : UInt32(a[3]) | UInt32(a[2]) << 8 | UInt32(a[1]) << 16 | UInt32(a[0]) << 24
            return UInt64(v)
        }
        var offset: UInt64 = 128
        while offset < size {
            guard offset + 8 <= size else { return "the element header at byte \(offset) is cut off; the file ends at byte \(size)" }
            try? file.seek(toOffset: offset)
            guard let tag = try? file.read(upToCount: 8), tag.count == 8 else { return nil }
            let t = [UInt8](tag)
            let type = word(t[0 ..< 4])
            if type >> 16 != 0 { offset += 8; continue }  // small data element: 8 bytes in all
            let bytes = word(t[4 ..< 8])
            let end = offset + 8 + bytes
            if end > size {
                return "data element at byte \(offset) (type \(type)) declares \(bytes) bytes; the file ends at byte \(size)"
            }
            // Elements are padded to 8 bytes, except compressed ones (miCOMPRESSED = 15).
            offset = type == 15 ? end : (end + 7) / 8 * 8
        }
        return nil
    }

    /// DICOM: walks element headers (file meta in explicit VR little endian, then the data set
    /// in its transfer syntax; sequences and encapsulated pixel data items included) and
    /// names the first element whose header or declared value runs past the end of the file.
    static func dicom(path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let b = [UInt8](data)
        let n = b.count
        var offset = n >= 132 && b[128 ..< 132].elementsEqual(Array("DICM".utf8)) ? 132 : 0
        var explicit = true, little = true
        var inMeta = true
        enum Context { case sequence, fragments }
        var stack = [Context]()
        let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
        func u16(_ o: Int, _ le: Bool) -> UInt32 { le ? UInt32(b[o]) | UInt32(b[o + 1]) << 8 : UInt32(b[o]) << 8 | UInt32(b[o + 1]) }
        func u32(_ o: Int, _ le: Bool) -> UInt32 { le ? u16(o, true) | u16(o + 2, true) << 16 : u16(o, false) << 16 | u16(o + 2, false) }
        func tagName(_ g: UInt32, _ e: UInt32) -> String { String(format: "(%04X,%04X)", g, e) }
        while offset < n {
            let le = inMeta ? true : little
            guard offset + 8 <= n else { return "the element header at byte \(offset) is cut off; the file ends at byte \(n)" }
            let group = u16(offset, le), element = u16(offset + 2, le)
            if inMeta && group != 0x0002 {
                inMeta = false
                continue
            }
            let tag = tagName(group, element)
            if group == 0xFFFE {
                let length = u32(offset + 4, le)
                offset += 8
                if element == 0xE0DD { _ = stack.popLast(); continue }
                if element == 0xE000 && stack.last == .fragments {
                    if offset + Int(length) > n {
                        return "an item of \(tag) at byte \(offset - 8) declares \(length) bytes; the file ends at byte \(n)"
                    }
                    offset += Int(length)
                }
                continue  // an item of a sequence: its elements follow
            }
            var length: UInt32
            var header = 8
            var vr = ""
            if inMeta || explicit {
                vr = String(decoding: b[offset + 4 ..< offset + 6], as: UTF8.self)
                if longVRs.contains(vr) {
                    guard offset + 12 <= n else { return "the header of element \(tag) at byte \(offset) is cut off; the file ends at byte \(n)" }
                    length = u32(offset + 8, le)
                    header = 12
                } else {
                    length = u16(offset + 6, le)
                }
            } else {
                length = u32(offset + 4, le)
            }
            if length == 0xFFFF_FFFF {
                stack.append(group == 0x7FE0 && vr != "SQ" ? .fragments : .sequence)
                offset += header
                continue
            }
            let end = offset + header + Int(length)
            if end > n {
                return "element \(tag) at byte \(offset) declares \(length) bytes; the file ends at byte \(n)"
                    + (group == 0x7FE0 ? " (the pixel data is cut off)" : "")
            }
            if inMeta && group == 0x0002 && element == 0x0010 {
                let uid = String(decoding: b[offset + header ..< end], as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\0 "))
                explicit = uid != "1.2.840.10008.1.2"
                little = uid != "1.2.840.10008.1.2.2"
                if uid == "1.2.840.10008.1.2.1.99" { return nil }  // deflated: the rest cannot be walked
            }
            offset = vr == "SQ" ? offset + header : end  // a defined-length sequence: walk into its items
        }
        return nil
    }
}
