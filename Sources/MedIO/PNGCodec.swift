import CPNG
public import Foundation
public import MedImage

/// PNG through libpng: 1–16-bit gray, gray+alpha, RGB, RGBA and palette. Palette images are
/// expanded to RGB, alpha is dropped, 16-bit stays 16-bit.
public enum PNGCodec {
    /// Header facts without decoding.
    /// Header facts only: asks for a zero-byte budget, so libpng prepares no row buffers.
    static func header(path: String) throws(PNGError) -> msr_png_info {
        var handle: OpaquePointer?
        var info = msr_png_info()
        var err = [CChar](repeating: 0, count: 256)
        let status = msr_png_open(path, 0, &handle, &info, &err, err.count)
        if let handle { msr_png_close(handle) }
        guard status == 0 || status == MSR_PNG_TOO_LARGE else {
            throw PNGError(.unreadable, path: path, "cannot read the PNG header", underlying: cString(err))
        }
        return info
    }

    private static func open(_ path: String, maxBytes: Int) throws -> (OpaquePointer, msr_png_info) {
        var handle: OpaquePointer?
        var info = msr_png_info()
        var err = [CChar](repeating: 0, count: 256)
        let status = msr_png_open(path, UInt64(maxBytes), &handle, &info, &err, err.count)
        if status == MSR_PNG_TOO_LARGE, let error = checkBudget(
            path: path, rows: Int(info.height), columns: Int(info.width), samples: Int(info.out_channels),
            bytesPerSample: Int(info.out_bit_depth) / 8, frames: 1, limit: maxBytes) {
            throw error
        }
        guard status == 0, let handle else {
            throw PNGError(.unreadable, path: path, "cannot read the PNG header", underlying: cString(err))
        }
        return (handle, info)
    }

    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let (handle, info) = try open(path, maxBytes: options.maxBytes)
        defer { msr_png_close(handle) }
        let rows = Int(info.height), columns = Int(info.width), channels = Int(info.out_channels)
        let bytesPerSample = Int(info.out_bit_depth) / 8
        if let error = checkBudget(path: path, rows: rows, columns: columns, samples: channels,
                                   bytesPerSample: bytesPerSample, frames: 1, limit: options.maxBytes) {
            throw error
        }
        var buffer = [UInt8](repeating: 0, count: rows * columns * channels * bytesPerSample)
        var err = [CChar](repeating: 0, count: 256)
        let status = buffer.withUnsafeMutableBufferPointer { msr_png_decode(handle, $0.baseAddress, $0.count, &err, err.count) }
        guard status == 0 else {
            throw PNGError(.corrupt, path: path, "image data cannot be decoded (truncated or damaged)", underlying: cString(err))
        }
        let samples = bytesPerSample == 1 ? Samples.uint8(buffer)
            : decodeLittleEndian(buffer, type: .uint16, count: rows * columns * channels)
        let pixels = PixelArray(rows: rows, columns: columns, samplesPerPixel: channels, samples: samples)
        var metadata = ImageMetadata()
        metadata.format = "PNG"
        metadata.bitsStored = Int(info.bit_depth)
        metadata.bitsAllocated = Int(info.out_bit_depth)
        return try RasterImage.finish(pixels, metadata: metadata, path: path, options: options) {
            PNGError(.invalidRequest, path: path, $0)
        }
    }

    public static func describe(path: String) throws -> FileDescription {
        if let cut = Truncation.png(path: path) { throw PNGError(.corrupt, path: path, "the file is truncated: \(cut)") }
        let info = try header(path: path)
        var d = FileDescription(path: path, format: .png)
        d.rows = Int(info.height)
        d.columns = Int(info.width)
        d.frames = 1
        d.samplesPerPixel = Int(info.out_channels)
        d.sampleType = info.out_bit_depth == 16 ? .uint16 : .uint8
        d.bitsStored = Int(info.bit_depth)
        let kinds = [0: "gray", 2: "RGB", 3: "palette", 4: "gray+alpha", 6: "RGBA"]
        d.photometric = kinds[Int(info.color_type)] ?? "colour type \(info.color_type)"
        if info.color_type & 4 != 0 { d.notes = ["alpha channel is dropped on reading"] }
        return d
    }

    /// Writes frame 0 as an 8- or 16-bit PNG (1 or 3 samples).
    public static func write(_ pixels: PixelArray, to url: URL, compressionLevel: Int = 6) throws {
        let path = url.path
        let bitDepth: Int32
        let bytes: [UInt8]
        switch pixels.samples {
        case .uint8(let a): bitDepth = 8; bytes = a
        case .uint16: bitDepth = 16; bytes = pixels.samples.littleEndianBytes()
        default:
            throw PNGError(.invalidRequest, path: path, "PNG holds 8- or 16-bit unsigned samples, not \(pixels.sampleType.rawValue); use --values display or --format npy")
        }
        let frameBytes = pixels.samplesPerFrame * Int(bitDepth / 8)
        try AtomicFile.write(to: url) { temporary in
            var err = [CChar](repeating: 0, count: 256)
            let status = bytes.withUnsafeBufferPointer {
                msr_png_write(temporary.path, UInt32(pixels.columns), UInt32(pixels.rows), Int32(pixels.samplesPerPixel),
                              bitDepth, $0.baseAddress, Int32(compressionLevel), &err, err.count)
            }
            guard status == 0, frameBytes <= bytes.count else {
                throw PNGError(.writeFailed, path: path, "cannot write the PNG", underlying: cString(err))
            }
        }
    }

    /// The PNG file bytes of frame 0 (for reports that inline images).
    public static func encode(_ pixels: PixelArray, compressionLevel: Int = 6) throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try write(pixels, to: url, compressionLevel: compressionLevel)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PNGError(.writeFailed, path: url.path, "the encoded PNG vanished")
        }
        return [UInt8](data)
    }
}
