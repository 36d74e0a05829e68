import MedImage

/// The few EXIF facts MedSR uses, read from a JPEG's APP1 segment with bounds checks on every
/// offset (the segment comes from an untrusted file).
enum EXIF {
    /// The Orientation tag (0x0112) of IFD0 of the first `Exif\0\0` APP1 segment, or nil when
    /// there is none or its value is outside 1…8 (Pillow's `exif_transpose` then does nothing).
    static func orientation(inJPEG bytes: [UInt8]) -> ImageOrientation? {
        guard let tiff = exifSegment(bytes) else { return nil }
        return orientation(inTIFF: tiff)
    }

    /// The TIFF structure inside the first APP1 `Exif\0\0` segment before the scan data.
    static func exifSegment(_ b: [UInt8]) -> ArraySlice<UInt8>? {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var p = 2
        while p + 4 <= b.count {
            guard b[p] == 0xFF else { return nil }
            let marker = b[p + 1]
            if marker == 0xFF { p += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0 ... 0xD7).contains(marker) || marker == 0x01 { p += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }  // scan or end: no EXIF before it
            let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
            guard length >= 2, p + 2 + length <= b.count else { return nil }
            let body = b[(p + 4) ..< (p + 2 + length)]
            if marker == 0xE1, body.count >= 14, body.prefix(6).elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                return body.dropFirst(6)
            }
            p += 2 + length
        }
        return nil
    }

    static func orientation(inTIFF tiff: ArraySlice<UInt8>) -> ImageOrientation? {
        let t = Array(tiff)
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for i in 0 ..< count {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                // SHORT (3) as the standard says, or LONG (4) as some writers store it; one
                // value, held in the entry's value field.
                switch u16(entry + 2) {
                case 3: return u16(entry + 8).flatMap { ImageOrientation(rawValue: $0) }
                case 4: return u32(entry + 8).flatMap { ImageOrientation(rawValue: $0) }
                default: return nil
                }
            }
        }
        return nil
    }
}
