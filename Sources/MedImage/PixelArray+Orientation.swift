/// The eight orientations of EXIF/TIFF tag 0x0112 (Orientation): how the stored rows and
/// columns map to the upright image a viewer shows.
public enum ImageOrientation: Int, Sendable, CaseIterable {
    case upright = 1
    case mirrored = 2          // flip left–right
    case upsideDown = 3        // rotate 180°
    case flipped = 4           // flip top–bottom
    case transposed = 5        // swap rows and columns (mirror about the main diagonal)
    case rotatedLeft = 6       // stored rotated: turn 90° clockwise to show (Pillow's ROTATE_270)
    case transverse = 7        // mirror about the anti-diagonal
    case rotatedRight = 8      // stored rotated: turn 90° counter-clockwise to show (Pillow's ROTATE_90)

    /// Swaps width and height.
    public var swapsAxes: Bool { rawValue >= 5 }
}

extension PixelArray {
    /// The upright image for pixels stored with `orientation`, as Pillow's
    /// `ImageOps.exif_transpose` gives it (every frame, samples of a pixel kept together).
    public func applying(_ orientation: ImageOrientation) -> PixelArray {
        if orientation == .upright { return self }
        let (outRows, outColumns) = orientation.swapsAxes ? (columns, rows) : (rows, columns)
        let rows = self.rows, columns = self.columns, spp = samplesPerPixel, frames = self.frames
        /// The stored (row, column) shown at output (r, c).
        @inline(__always) func source(_ r: Int, _ c: Int) -> (Int, Int) {
            switch orientation {
            case .upright: (r, c)
            case .mirrored: (r, columns - 1 - c)
            case .upsideDown: (rows - 1 - r, columns - 1 - c)
            case .flipped: (rows - 1 - r, c)
            case .transposed: (c, r)
            case .rotatedLeft: (rows - 1 - c, r)
            case .transverse: (rows - 1 - c, columns - 1 - r)
            case .rotatedRight: (c, columns - 1 - r)
            }
        }
        func remap<T>(_ a: [T]) -> [T] {
            [T](unsafeUninitializedCapacity: a.count) { out, initialized in
                a.withUnsafeBufferPointer { src in
                    var o = 0
                    for f in 0 ..< frames {
                        let base = f * rows * columns
                        for r in 0 ..< outRows {
                            for c in 0 ..< outColumns {
                                let (sr, sc) = source(r, c)
                                let s = (base + sr * columns + sc) * spp
                                for k in 0 ..< spp { (out.baseAddress! + o + k).initialize(to: src[s + k]) }
                                o += spp
                            }
                        }
                    }
                }
                initialized = a.count
            }
        }
        let samples: Samples
        switch self.samples {
        case .uint8(let a): samples = .uint8(remap(a))
        case .uint16(let a): samples = .uint16(remap(a))
        case .int16(let a): samples = .int16(remap(a))
        case .int32(let a): samples = .int32(remap(a))
        case .uint32(let a): samples = .uint32(remap(a))
        case .float32(let a): samples = .float32(remap(a))
        }
        return PixelArray(frames: frames, rows: outRows, columns: outColumns, samplesPerPixel: spp, samples: samples)
    }
}
