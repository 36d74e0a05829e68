import MedImage
import MedKernels

/// The ZNCC of a template at every position of an image (the pyramid's coarsest level).
struct CoarseSurface {
    /// Positions across and down.
    let columns: Int, rows: Int
    let values: [Float]
    /// Separated peaks, best first (see `peaks(count:separation:)`).
    private(set) var summary: Summary

    struct Summary {
        var peak: Double, second: Double?, mean: Double, deviation: Double
    }

    init(image: Plane, template: Plane, threads: Int) {
        let columns = image.columns - template.columns + 1, rows = image.rows - template.rows + 1
        let centred = Centred(template)
        var values = [Float](repeating: 0, count: columns * rows)
        values.withUnsafeMutableBufferPointer { out in
            parallelFor(rows, workers: columns * rows * template.values.count > 1 << 20 ? threads : 1) { y, _ in
                for x in 0 ..< columns { out[y * columns + x] = Float(centred.zncc(image, x, y)) }
            }
        }
        (self.columns, self.rows, self.values) = (columns, rows, values)
        let n = Double(values.count), mean = values.reduce(0.0) { $0 + Double($1) } / n
        let deviation = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        summary = Summary(peak: Double(values.max() ?? 0), second: nil, mean: mean, deviation: deviation)
        let two = peaks(count: 2, separation: max(1, min(template.columns, template.rows) / 2))
        summary.second = two.count > 1 ? two[1].score : nil
    }

    /// Up to `count` peaks, best first, each more than `separation` positions (in x or y) from
    /// every better one.
    func peaks(count: Int, separation: Int) -> [Registration.Peak] {
        var out = [Registration.Peak]()
        // Local maxima (no neighbour higher) in order, skipping those near a peak already taken.
        var maxima = [Int]()
        for y in 0 ..< rows {
            for x in 0 ..< columns {
                let v = values[y * columns + x]
                var top = true
                for dy in -1 ... 1 where top {
                    for dx in -1 ... 1 where (dx, dy) != (0, 0) {
                        let xx = x + dx, yy = y + dy
                        if xx >= 0, yy >= 0, xx < columns, yy < rows, values[yy * columns + xx] > v { top = false; break }
                    }
                }
                if top { maxima.append(y * columns + x) }
            }
        }
        let order = maxima.sorted { values[$0] > values[$1] }
        for i in order {
            let x = i % columns, y = i / columns
            if out.contains(where: { abs($0.x - x) <= separation && abs($0.y - y) <= separation }) { continue }
            out.append(Registration.Peak(x: x, y: y, score: Double(values[i])))
            if out.count == count { break }
        }
        return out
    }
}
