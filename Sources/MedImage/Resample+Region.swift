extension Resample {
    /// Resamples a region of `pixels` that need not sit on its pixel grid: output pixel (i, j)
    /// has its centre at input position (`originX` + (j + ½)·`step`, `originY` + (i + ½)·`step`)
    /// (input pixel k covers [k, k+1)). Pillow's bicubic filter (Keys a = −0.5) with support
    /// widened by the step when it shrinks, weights normalised over the taps inside the image
    /// (edges clamp as in Pillow), horizontal pass then vertical, in double precision; the
    /// result is rounded and clipped to the input's sample type. Used to put a finer image onto
    /// an exact multiple of a coarser image's grid (registered microscope pairs).
    public static func bicubicRegion(_ pixels: PixelArray, originX: Double, originY: Double, step: Double,
                                     columns: Int, rows: Int) -> PixelArray {
        precondition(step > 0 && columns > 0 && rows > 0 && pixels.frames == 1)
        let spp = pixels.samplesPerPixel, inCols = pixels.columns, inRows = pixels.rows
        let h = Taps(origin: originX, step: step, count: columns, limit: inCols)
        let v = Taps(origin: originY, step: step, count: rows, limit: inRows)
        // Only the window the taps reach is converted (a tile of a large field reads a small part).
        let r0 = v.first.min() ?? 0, r1 = zip(v.first, v.count).map { $0 + $1 }.max() ?? 0
        let c0 = h.first.min() ?? 0, c1 = zip(h.first, h.count).map { $0 + $1 }.max() ?? 0
        let window = c0 == 0 && r0 == 0 && c1 == inCols && r1 == inRows
            ? pixels : pixels.cropped(x: c0, y: r0, width: c1 - c0, height: r1 - r0)
        let source = window.samples.floats(), windowCols = c1 - c0
        // Horizontal pass over the input rows the vertical taps need.
        var mid = [Double](repeating: 0, count: (r1 - r0) * columns * spp)
        for r in r0 ..< r1 {
            let line = (r - r0) * windowCols * spp
            for j in 0 ..< columns {
                let f = h.first[j] - c0
                for c in 0 ..< spp {
                    var s = 0.0
                    for t in 0 ..< h.count[j] { s += h.weights[j * h.taps + t] * Double(source[line + (f + t) * spp + c]) }
                    mid[((r - r0) * columns + j) * spp + c] = s
                }
            }
        }
        var out = [Double](repeating: 0, count: rows * columns * spp)
        for i in 0 ..< rows {
            let f = v.first[i]
            for j in 0 ..< columns { for c in 0 ..< spp {
                var s = 0.0
                for t in 0 ..< v.count[i] { s += v.weights[i * v.taps + t] * mid[((f + t - r0) * columns + j) * spp + c] }
                out[(i * columns + j) * spp + c] = s
            } }
        }
        let samples: Samples
        switch pixels.sampleType {
        case .uint8: samples = .uint8(out.map { UInt8(min(max($0.rounded(), 0), 255)) })
        case .uint16: samples = .uint16(out.map { UInt16(min(max($0.rounded(), 0), 65535)) })
        default: samples = .float32(out.map { Float($0) })
        }
        return PixelArray(rows: rows, columns: columns, samplesPerPixel: spp, samples: samples)
    }

    /// Per output position: first input index, number of taps and normalised weights.
    struct Taps {
        var first: [Int], count: [Int], weights: [Double]
        var taps: Int

        init(origin: Double, step: Double, count n: Int, limit: Int) {
            let scale = max(step, 1), support = 2 * scale
            taps = Int((support * 2).rounded(.up)) + 2
            first = Array(repeating: 0, count: n)
            count = Array(repeating: 0, count: n)
            weights = Array(repeating: 0, count: n * taps)
            for j in 0 ..< n {
                let centre = origin + (Double(j) + 0.5) * step
                let lo = max(0, Int((centre - support).rounded(.down))), hi = min(limit, Int((centre + support).rounded(.up)))
                let a = min(lo, limit - 1), b = max(hi, a + 1)
                var w = (a ..< b).map { Resample.cubic((Double($0) + 0.5 - centre) / scale) }
                if w.count > taps { w = Array(w.prefix(taps)) }
                let total = w.reduce(0, +)
                first[j] = a
                count[j] = w.count
                for t in w.indices { weights[j * taps + t] = total != 0 ? w[t] / total : (t == 0 ? 1 : 0) }
            }
        }
    }
}
