import CBMP
import Foundation
public import MedImage

/// Windows BMP through stb_image (Debian's libstb): 1/4/8-bit palette, 16/24/32-bit (bit
/// fields too), bottom-up and top-down rows. Palettes whose entries are all gray give one
/// channel (as Pillow's `L` and `1` modes), others RGB; alpha is dropped. stb_image does not
/// decode RLE4/RLE8 compression, so those files are refused with a message that says so.
public enum BMPCodec {
    static let compressionNames = [0: "none", 1: "RLE8", 2: "RLE4", 3: "bit fields", 4: "embedded JPEG",
                                   5: "embedded PNG", 6: "alpha bit fields"]

    static func header(_ bytes: [UInt8], path: String) throws(BMPError) -> msr_bmp_info {
        var info = msr_bmp_info()
        var err = [CChar](repeating: 0, count: 256)
        guard msr_bmp_header(bytes, bytes.count, &info, &err, err.count) == 0 else {
            throw BMPError(.corrupt, path: path, "cannot read the BMP header", underlying: cString(err))
        }
        return info
    }

    static func channels(_ info: msr_bmp_info) -> Int {
        info.bits_per_pixel <= 8 && info.palette_gray != 0 ? 1 : 3
    }

    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BMPError(.unreadable, path: path, "cannot open the file (missing or no permission)")
        }
        return try decode([UInt8](data), path: path, options: options)
    }

    /// Decodes BMP file bytes (the same path `read` takes; fuzzing and tests call it directly).
    public static func decode(_ bytes: [UInt8], path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        let info = try header(bytes, path: path)
        let compression = Int(info.compression)
        guard compression == 0 || compression == 3 || compression == 6 else {
            throw BMPError(.unsupported, path: path,
                           "\(compressionNames[compression] ?? "compression \(compression)") BMP is not supported (stb_image decodes uncompressed and bit-field BMPs); re-save it uncompressed")
        }
        guard info.width > 0, info.height > 0 else {
            throw BMPError(.corrupt, path: path, "header claims a \(info.width)×\(info.height) image")
        }
        let channels = channels(info)
        let (rows, columns) = (Int(info.height), Int(info.width))
        if let error = checkBudget(path: path, rows: rows, columns: columns, samples: channels,
                                   bytesPerSample: 1, frames: 1, limit: options.maxBytes) {
            throw error
        }
        // The pixel data must be in the file: stb_image would otherwise allocate the whole image
        // for a header that lies, then fail (or pad with zeros).
        let rowBytes = (columns * Int(info.bits_per_pixel) + 31) / 32 * 4
        let (dataBytes, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow, Int(info.data_offset) + dataBytes <= bytes.count else {
            throw BMPError(.corrupt, path: path,
                           "header claims \(columns)×\(rows) pixels at \(info.bits_per_pixel) bits but the file holds fewer bytes (truncated?)")
        }
        if info.bits_per_pixel <= 8 {
            // stb_image would read such indices from uninitialised memory.
            var header = info
            let maxIndex = Int(msr_bmp_max_index(bytes, bytes.count, &header))
            guard maxIndex >= 0, maxIndex < Int(info.palette_entries) else {
                throw BMPError(.corrupt, path: path,
                               "pixels use colour \(maxIndex) of a \(info.palette_entries)-colour palette (damaged file)")
            }
        }
        var buffer = [UInt8](repeating: 0, count: rows * columns * channels)
        var err = [CChar](repeating: 0, count: 256)
        let status = buffer.withUnsafeMutableBufferPointer {
            msr_bmp_decode(bytes, bytes.count, $0.baseAddress, $0.count, Int32(channels), &err, err.count)
        }
        guard status == 0 else {
            throw BMPError(.corrupt, path: path, "image data cannot be decoded (truncated or damaged)", underlying: cString(err))
        }
        if channels == 3 { rescaleNarrowFields(&buffer, masks: [info.masks.0, info.masks.1, info.masks.2]) }
        let pixels = PixelArray(rows: rows, columns: columns, samplesPerPixel: channels, samples: .uint8(buffer))
        var metadata = ImageMetadata()
        metadata.format = "BMP"
        metadata.bitsStored = 8
        metadata.bitsAllocated = 8
        return try RasterImage.finish(pixels, metadata: metadata, path: path, options: options) {
            BMPError(.invalidRequest, path: path, $0)
        }
    }

    /// Channels stored in fewer than 8 bits (16-bit BMPs: 5-5-5, 5-6-5) to 8 bits as Pillow
    /// does, v · 255 / (2ⁿ − 1) truncated, where stb_image replicates the top bits (20 of 31 is
    /// 164 in Pillow, 165 in stb_image). stb's replication keeps the n-bit value in the top n
    /// bits, so it is recovered exactly before the rescale.
    static func rescaleNarrowFields(_ rgb: inout [UInt8], masks: [UInt32]) {
        for (channel, mask) in masks.enumerated() {
            let bits = mask.nonzeroBitCount
            guard bits > 0 && bits < 8 else { continue }
            let top = UInt32((1 << bits) - 1)
            let table = (0 ..< 256).map { UInt8((UInt32($0) >> UInt32(8 - bits)) * 255 / top) }
            for i in stride(from: channel, to: rgb.count, by: 3) { rgb[i] = table[Int(rgb[i])] }
        }
    }

    public static func describe(path: String) throws -> FileDescription {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BMPError(.unreadable, path: path, "cannot open the file (missing or no permission)")
        }
        defer { try? handle.close() }
        // Headers and the largest palette (256 entries) fit in the first 1,200 bytes.
        let head = [UInt8]((try? handle.read(upToCount: 14 + 124 + 12 + 1024)) ?? Data())
        let info = try header(head, path: path)
        var d = FileDescription(path: path, format: .bmp)
        d.rows = Int(info.height)
        d.columns = Int(info.width)
        d.frames = 1
        d.samplesPerPixel = channels(info)
        d.sampleType = .uint8
        d.bitsStored = Int(info.bits_per_pixel)
        d.photometric = info.bits_per_pixel <= 8 ? (info.palette_gray != 0 ? "gray palette" : "palette") : "RGB"
        let compression = Int(info.compression)
        var notes = ["\(info.bits_per_pixel)-bit, \(info.top_down != 0 ? "top-down" : "bottom-up"), compression \(compressionNames[compression] ?? String(compression))"]
        if ![0, 3, 6].contains(compression) { notes.append("this compression is not supported for reading") }
        if info.bits_per_pixel == 32 { notes.append("alpha channel, if any, is dropped on reading") }
        d.notes = notes
        return d
    }
}
