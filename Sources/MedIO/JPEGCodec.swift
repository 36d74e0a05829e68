import CJPEG
import Foundation
public import MedImage

/// JPEG through libjpeg-turbo (TurboJPEG): 8-bit gray and colour (YCbCr or RGB), with the EXIF
/// orientation applied as Pillow's `ImageOps.exif_transpose` does. CMYK and YCCK are refused.
///
/// Pixels equal Pillow's decode: both use libjpeg's accurate integer DCT and smooth chroma
/// upsampling (Pillow sets neither `JDCT_IFAST` nor plain upsampling unless asked for a draft).
public enum JPEGCodec {
    /// The frame header and the EXIF orientation, without decoding.
    struct Header {
        var width: Int
        var height: Int
        var colorspace: Int32
        var orientation: ImageOrientation
        var samplesPerPixel: Int { colorspace == Int32(MSR_JPEG_CS_GRAY) ? 1 : 3 }
        var isCMYK: Bool { colorspace == Int32(MSR_JPEG_CS_CMYK) || colorspace == Int32(MSR_JPEG_CS_YCCK) }
        var colourName: String {
            switch colorspace {
            case Int32(MSR_JPEG_CS_GRAY): "gray"
            case Int32(MSR_JPEG_CS_RGB): "RGB"
            case Int32(MSR_JPEG_CS_YCBCR): "YCbCr"
            case Int32(MSR_JPEG_CS_CMYK): "CMYK"
            case Int32(MSR_JPEG_CS_YCCK): "YCCK"
            default: "colour space \(colorspace)"
            }
        }
    }

    /// The libjpeg warning that says the data ended before the image did (JWRN_JPEG_EOF).
    /// Pillow refuses such files ("image file is truncated"); so do we. Other warnings (e.g.
    /// extraneous bytes before a marker) leave the pixels as Pillow gives them.
    static let truncationWarning = "Premature end of JPEG file"

    static func load(_ path: String) throws(JPEGError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JPEGError(.unreadable, path: path, "cannot open the file (missing or no permission)")
        }
        return [UInt8](data)
    }

    /// Opens the TurboJPEG handle over `bytes`; the handle borrows them.
    static func withHandle<R>(_ bytes: [UInt8], path: String,
                              _ body: (OpaquePointer, Header) throws -> R) throws -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            var handle: OpaquePointer?
            var info = msr_jpeg_info()
            var err = [CChar](repeating: 0, count: 256)
            guard msr_jpeg_open(buffer.baseAddress, buffer.count, &handle, &info, &err, err.count) == MSR_JPEG_OK,
                  let handle else {
                throw JPEGError(.corrupt, path: path, "cannot read the JPEG header (truncated or damaged)",
                                underlying: cString(err))
            }
            defer { msr_jpeg_close(handle) }
            let header = Header(width: Int(info.width), height: Int(info.height), colorspace: info.colorspace,
                                orientation: EXIF.orientation(inJPEG: bytes) ?? .upright)
            return try body(handle, header)
        }
    }

    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        try decode(load(path), path: path, options: options)
    }

    /// Decodes JPEG file bytes (the same path `read` takes; fuzzing and tests call it directly).
    public static func decode(_ bytes: [UInt8], path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        try withHandle(bytes, path: path) { handle, header in
            guard !header.isCMYK else {
                throw JPEGError(.unsupported, path: path,
                                "\(header.colourName) JPEG (print colour) is not supported; convert it to RGB first")
            }
            let rows = header.height, columns = header.width, channels = header.samplesPerPixel
            if let error = checkBudget(path: path, rows: rows, columns: columns, samples: channels,
                                       bytesPerSample: 1, frames: 1, limit: options.maxBytes) {
                throw error
            }
            var err = [CChar](repeating: 0, count: 256)
            var status = Int32(MSR_JPEG_ERROR)
            // Not cleared first: the decoder writes every byte or fails (and then it is dropped).
            let buffer = [UInt8](unsafeUninitializedCapacity: rows * columns * channels) { out, initialized in
                status = msr_jpeg_decode(handle, out.baseAddress, out.count, Int32(channels), &err, err.count)
                initialized = out.count
            }
            let message = cString(err)
            if status == MSR_JPEG_ERROR || (status == MSR_JPEG_WARNING && message.hasPrefix(truncationWarning)) {
                throw JPEGError(.corrupt, path: path, "image data cannot be decoded (truncated or damaged)",
                                underlying: message)
            }
            var pixels = PixelArray(rows: rows, columns: columns, samplesPerPixel: channels, samples: .uint8(buffer))
            pixels = pixels.applying(header.orientation)
            var metadata = ImageMetadata()
            metadata.format = "JPEG"
            metadata.bitsStored = 8
            metadata.bitsAllocated = 8
            return try RasterImage.finish(pixels, metadata: metadata, path: path, options: options) {
                JPEGError(.invalidRequest, path: path, $0)
            }
        }
    }

    public static func describe(path: String) throws -> FileDescription {
        try withHandle(load(path), path: path) { _, header in
            var d = FileDescription(path: path, format: .jpeg)
            let swap = header.orientation.swapsAxes
            d.rows = swap ? header.width : header.height
            d.columns = swap ? header.height : header.width
            d.frames = 1
            d.samplesPerPixel = header.isCMYK ? 4 : header.samplesPerPixel
            d.sampleType = .uint8
            d.bitsStored = 8
            d.photometric = header.colorspace == Int32(MSR_JPEG_CS_YCBCR) ? "RGB (YCbCr in the file)" : header.colourName
            var notes = [String]()
            if header.orientation != .upright {
                notes.append("EXIF orientation \(header.orientation.rawValue) applied (rows and columns as shown upright)")
            }
            if header.isCMYK { notes.append("\(header.colourName) is not supported for reading; convert it to RGB first") }
            d.notes = notes.isEmpty ? nil : notes
            return d
        }
    }
}
