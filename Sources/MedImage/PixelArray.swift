/// Pixels of one or more frames: `frames × rows × columns × samplesPerPixel`, samples of a
/// pixel adjacent (colour-by-pixel), rows top to bottom as a viewer shows them.
public struct PixelArray: Sendable, Equatable {
    public var frames: Int
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var samples: Samples

    /// - Precondition: `samples.count == frames * rows * columns * samplesPerPixel`.
    public init(frames: Int = 1, rows: Int, columns: Int, samplesPerPixel: Int = 1, samples: Samples) {
        precondition(frames >= 0 && rows >= 0 && columns >= 0 && samplesPerPixel >= 1)
        precondition(samples.count == frames * rows * columns * samplesPerPixel,
                     "sample count \(samples.count) does not match the shape")
        self.frames = frames
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.samples = samples
    }

    public var sampleType: SampleType { samples.type }
    public var samplesPerFrame: Int { rows * columns * samplesPerPixel }
    public var byteCount: Int { samples.count * sampleType.byteCount }

    /// One frame as a single-frame array.
    public func frame(_ index: Int) -> PixelArray {
        precondition(index >= 0 && index < frames, "frame \(index) out of 0..<\(frames)")
        let n = samplesPerFrame
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
                          samples: samples.slice(index * n ..< (index + 1) * n))
    }

    /// Frames stacked in order; all must share shape and type.
    public static func stacking(_ parts: [PixelArray]) -> PixelArray? {
        guard let first = parts.first else { return nil }
        guard parts.allSatisfy({ $0.rows == first.rows && $0.columns == first.columns
            && $0.samplesPerPixel == first.samplesPerPixel && $0.sampleType == first.sampleType })
        else { return nil }
        guard let samples = Samples.concatenating(parts.map(\.samples)) else { return nil }
        return PixelArray(frames: parts.reduce(0) { $0 + $1.frames }, rows: first.rows, columns: first.columns,
                          samplesPerPixel: first.samplesPerPixel, samples: samples)
    }

    /// The sub-rectangle `(x, y, width, height)` of every frame (row by row copies).
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> PixelArray {
        precondition(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= columns && y + height <= rows)
        let spp = samplesPerPixel
        func crop<T>(_ a: [T]) -> [T] {
            var out = [T]()
            out.reserveCapacity(frames * width * height * spp)
            a.withUnsafeBufferPointer { src in
                for f in 0 ..< frames {
                    for r in y ..< y + height {
                        let start = ((f * rows + r) * columns + x) * spp
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: src[start ..< start + width * spp]))
                    }
                }
            }
            return out
        }
        let cut: Samples
        switch samples {
        case .uint8(let a): cut = .uint8(crop(a))
        case .uint16(let a): cut = .uint16(crop(a))
        case .int16(let a): cut = .int16(crop(a))
        case .uint32(let a): cut = .uint32(crop(a))
        case .int32(let a): cut = .int32(crop(a))
        case .float32(let a): cut = .float32(crop(a))
        }
        return PixelArray(frames: frames, rows: height, columns: width, samplesPerPixel: spp, samples: cut)
    }

    /// Keeps the first `count` samples of each pixel (drops alpha, for example).
    public func keepingSamples(_ count: Int) -> PixelArray {
        precondition(count >= 1 && count <= samplesPerPixel)
        if count == samplesPerPixel { return self }
        let pixels = frames * rows * columns
        var order = [Int]()
        order.reserveCapacity(pixels * count)
        for p in 0 ..< pixels { for s in 0 ..< count { order.append(p * samplesPerPixel + s) } }
        return PixelArray(frames: frames, rows: rows, columns: columns, samplesPerPixel: count,
                          samples: samples.gathered(order))
    }
}
