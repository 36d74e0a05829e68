import CJPEG
import MedImage

extension JPEGCodec {
    /// Encodes 8-bit grey (`channels` 1) or interleaved RGB (3) samples at `quality` 1…100 with
    /// libjpeg-turbo (accurate DCT; RGB as 4:2:0 YCbCr, Pillow's default).
    /// - Throws: `JPEGError` when the sizes do not fit or libjpeg-turbo fails.
    public static func encode(_ samples: [UInt8], rows: Int, columns: Int, channels: Int, quality: Int) throws -> [UInt8] {
        guard channels == 1 || channels == 3, rows > 0, columns > 0, samples.count == rows * columns * channels,
              rows <= 65_500, columns <= 65_500, (1 ... 100).contains(quality) else {
            throw JPEGError(.invalidRequest, path: "(memory)",
                            "cannot encode \(rows)×\(columns)×\(channels) at quality \(quality) (1 or 3 channels, sides ≤ 65500, quality 1–100)")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var count = 0
        var err = [CChar](repeating: 0, count: 256)
        let status = samples.withUnsafeBufferPointer {
            msr_jpeg_encode($0.baseAddress, Int32(columns), Int32(rows), Int32(channels), Int32(quality), &out, &count, &err, err.count)
        }
        defer { msr_jpeg_free(out) }
        guard status == MSR_JPEG_OK, let out else {
            throw JPEGError(.writeFailed, path: "(memory)", "libjpeg-turbo could not encode the image", underlying: cString(err))
        }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }

    /// The samples after one JPEG round trip at `quality` (what a lossy archive or a `jpeg:q`
    /// degradation does to them).
    public static func roundTrip(_ samples: [UInt8], rows: Int, columns: Int, channels: Int, quality: Int) throws -> [UInt8] {
        let bytes = try encode(samples, rows: rows, columns: columns, channels: channels, quality: quality)
        let image = try decode(bytes, path: "(memory)")
        guard case .uint8(let decoded) = image.pixels.samples, decoded.count == samples.count else {
            throw JPEGError(.corrupt, path: "(memory)", "the JPEG round trip changed the image's shape")
        }
        return decoded
    }
}
