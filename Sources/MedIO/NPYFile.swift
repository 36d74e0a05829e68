public import Foundation
public import MedImage

/// NumPy `.npy` files (format 1.0), little-endian, C order.
public enum NPYFile {
    /// Writes `pixels` with shape `[rows, columns]`, `[rows, columns, samples]`, or with a
    /// leading frame axis when `keepFrameAxis` (or there is more than one frame).
    public static func write(_ pixels: PixelArray, to url: URL, keepFrameAxis: Bool = false) throws {
        var shape = [pixels.rows, pixels.columns]
        if pixels.samplesPerPixel > 1 { shape.append(pixels.samplesPerPixel) }
        if keepFrameAxis || pixels.frames > 1 { shape.insert(pixels.frames, at: 0) }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(pixels.sampleType.numpyDescriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: pixels.samples.littleEndianBytes())
        try AtomicFile.write(data, to: url)
    }

    /// Reads a `.npy` written by NumPy or by `write` (little-endian, C order, types MedSR knows).
    /// Returns the shape and the samples.
    public static func read(_ url: URL) throws -> (shape: [Int], samples: Samples) {
        let path = url.path
        guard let data = try? Data(contentsOf: url), data.count >= 10,
              data.prefix(6).elementsEqual([0x93] + Array("NUMPY".utf8)) else {
            throw NPYError(.unreadable, path: path, "not a .npy file")
        }
        let bytes = [UInt8](data)
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw NPYError(.corrupt, path: path, "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard start + headerLength <= bytes.count,
              let header = String(bytes: bytes[start ..< start + headerLength], encoding: .ascii) else {
            throw NPYError(.corrupt, path: path, "truncated header")
        }
        guard !header.contains("'fortran_order': True") else {
            throw NPYError(.unsupported, path: path, "Fortran-order arrays are not supported")
        }
        guard let type = SampleType.allCases.first(where: { header.contains("'\($0.numpyDescriptor)'") })
            ?? (header.contains("'<u1'") ? .uint8 : nil) else {
            throw NPYError(.unsupported, path: path, "dtype not supported (uint8, uint16, int16, uint32, int32, float32)")
        }
        guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw NPYError(.corrupt, path: path, "no shape in header")
        }
        let shape = header[header.index(after: open) ..< close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let payload = Array(bytes[(start + headerLength)...])
        guard payload.count >= count * type.byteCount else {
            throw NPYError(.corrupt, path: path, "data shorter than the shape \(shape)")
        }
        return (shape, decodeLittleEndian(payload, type: type, count: count))
    }
}

/// `count` samples of `type` from little-endian bytes.
func decodeLittleEndian(_ bytes: [UInt8], type: SampleType, count: Int) -> Samples {
    func load<T>(_: T.Type) -> [T] {
        bytes.withUnsafeBytes { raw in (0 ..< count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
    }
    switch type {
    case .uint8: return .uint8(Array(bytes[0 ..< count]))
    case .uint16: return .uint16(load(UInt16.self))
    case .int16: return .int16(load(Int16.self))
    case .uint32: return .uint32(load(UInt32.self))
    case .int32: return .int32(load(Int32.self))
    case .float32: return .float32(load(Float.self))
    }
}
