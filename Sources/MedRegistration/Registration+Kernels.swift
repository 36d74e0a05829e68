import MedKernels
import MedImage

/// A template ready for ZNCC: its values minus their mean, and their norm.
struct Centred {
    let columns: Int, rows: Int
    let values: [Float]
    let mean: Float
    let norm: Double

    init(_ t: Plane) {
        let mean = t.values.reduce(0.0) { $0 + Double($1) } / Double(max(1, t.values.count))
        let centred = t.values.map { Float(Double($0) - mean) }
        (columns, rows, values, self.mean) = (t.columns, t.rows, centred, Float(mean))
        norm = centred.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// ZNCC of the template with the window of `image` whose top-left corner is (x, y); 0 when
    /// either is flat. The window must lie inside `image`. Pixels are taken relative to the
    /// template's mean, which keeps Σv² − (Σv)²/n from cancelling.
    func zncc(_ image: Plane, _ x: Int, _ y: Int) -> Double {
        precondition(x >= 0 && y >= 0 && x + columns <= image.columns && y + rows <= image.rows)
        let (sum, sq, cross) = image.values.withUnsafeBufferPointer { p in
            values.withUnsafeBufferPointer { t in
                Kernels.matchSums(p.baseAddress! + y * image.columns + x, stride: image.columns, template: t.baseAddress!,
                                  rows: rows, columns: columns, offset: mean)
            }
        }
        let variance = sq - sum * sum / Double(columns * rows)
        guard variance > 1e-9 * max(1, sq), norm > 0 else { return 0 }
        return cross / (variance.squareRoot() * norm)
    }
}

/// A template's detail: the 4-neighbour Laplacian v − (left + right + up + down)/4 over its
/// interior, centred, and its norm. Correlating detail ignores shading, which makes unrelated
/// images correlate.
struct Detail {
    let columns: Int, rows: Int
    let values: [Float]
    let norm: Double

    init(_ t: Plane) {
        (columns, rows) = (t.columns, t.rows)
        let w = max(0, t.columns - 2), h = max(0, t.rows - 2)
        var band = [Float]()
        band.reserveCapacity(w * h)
        for r in 0 ..< h {
            for c in 0 ..< w {
                let i = (r + 1) * t.columns + c + 1
                band.append(t.values[i] - 0.25 * (t.values[i - 1] + t.values[i + 1] + t.values[i - t.columns] + t.values[i + t.columns]))
            }
        }
        let mean = band.reduce(0.0) { $0 + Double($1) } / Double(max(1, band.count))
        values = band.map { Float(Double($0) - mean) }
        norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Detail pixels.
    var count: Int { values.count }

    /// ZNCC of the template's detail with the detail of `image`'s window at (x, y); 0 when
    /// either has none. The window must lie inside `image`.
    func zncc(_ image: Plane, _ x: Int, _ y: Int) -> Double {
        precondition(x >= 0 && y >= 0 && x + columns <= image.columns && y + rows <= image.rows)
        guard count > 0, norm > 0 else { return 0 }
        let (sum, sq, cross) = image.values.withUnsafeBufferPointer { p in
            values.withUnsafeBufferPointer { t in
                Kernels.matchDetailSums(p.baseAddress! + y * image.columns + x, stride: image.columns, band: t.baseAddress!,
                                        rows: rows, columns: columns)
            }
        }
        let variance = sq - sum * sum / Double(count)
        guard variance > 1e-12 * max(1, sq) else { return 0 }
        return cross / (variance.squareRoot() * norm)
    }
}

extension Registration {
    /// The means of `factor` × `factor` blocks of `p`, the first block's corner at (x, y):
    /// `columns` × `rows` values (equal to halving `log2(factor)` times, up to rounding).
    static func reduceRegion(_ p: Plane, x: Int, y: Int, columns: Int, rows: Int, factor: Int, threads: Int) -> Plane {
        precondition(x >= 0 && y >= 0 && (x + columns * factor) <= p.columns && (y + rows * factor) <= p.rows)
        if factor == 1 {
            var out = [Float]()
            out.reserveCapacity(columns * rows)
            for r in y ..< y + rows { out.append(contentsOf: p.values[(r * p.columns + x) ..< (r * p.columns + x + columns)]) }
            return Plane(rows: rows, columns: columns, values: out)
        }
        var out = [Float](repeating: 0, count: columns * rows)
        // Bands of output rows: enough to balance the cores, each with its own row accumulator.
        let bands = threads > 1 && rows * columns * factor * factor > 1 << 18 ? min(rows, threads * 8) : 1
        p.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                parallelFor(bands, workers: threads) { band, _ in
                    let first = rows * band / bands, end = rows * (band + 1) / bands
                    guard end > first else { return }
                    var acc = [Float](repeating: 0, count: columns * factor)
                    acc.withUnsafeMutableBufferPointer { a in
                        Kernels.blockMeans(src.baseAddress! + (y + first * factor) * p.columns + x, stride: p.columns, factor: factor,
                                           rows: end - first, columns: columns, into: dst.baseAddress! + first * columns,
                                           scratch: a.baseAddress!)
                    }
                }
            }
        }
        return Plane(rows: rows, columns: columns, values: out)
    }

    /// 2×2 means (the last odd row or column is dropped).
    static func halve(_ p: Plane) -> Plane {
        reduceRegion(p, x: 0, y: 0, columns: p.columns / 2, rows: p.rows / 2, factor: 2, threads: 1)
    }

    /// `p` reduced by `scale`: the ⌊columns/scale⌋ × ⌊rows/scale⌋ pixels starting at its corner.
    static func reduce(_ p: Plane, by scale: Double) -> Plane {
        let w = max(1, Int(Double(p.columns) / scale)), h = max(1, Int(Double(p.rows) / scale))
        let pixels = PixelArray(rows: p.rows, columns: p.columns, samples: .float32(p.values))
        let r = Resample.bicubicRegion(pixels, originX: 0, originY: 0, step: scale, columns: w, rows: h)
        return Plane(rows: h, columns: w, values: r.samples.floats())
    }

    static func standardDeviation(_ v: [Float]) -> Double {
        let n = Double(v.count), m = v.reduce(0.0) { $0 + Double($1) } / n
        return (v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / n).squareRoot()
    }

    static func maxAbs(_ v: [Float]) -> Double { Double(v.map(abs).max() ?? 0) }
}
