import MedImage
import MedKernels

extension Registration {
    /// The detail test at the four finest levels: the detail ZNCC at the found position against
    /// `nullSamples` other positions of the same level (pseudo-random, reproducible, at least 4
    /// pixels from the peak in x or y). A level whose template has under 8 pixels a side, or
    /// whose image offers fewer than 8 other positions, is not judged.
    func detailEvidence(_ s: Searched, image: Plane) -> [LevelEvidence] {
        var out = [LevelEvidence]()
        for level in 0 ... min(3, s.templates.count - 1) {
            let t = s.templates[level]
            guard t.columns >= 8, t.rows >= 8 else { break }
            let f = 1 << level
            let maxX = image.columns / f - t.columns, maxY = image.rows / f - t.rows
            let peak = s.positions[level]
            let others = Self.otherPositions(maxX: maxX, maxY: maxY, avoiding: peak, radius: 4, count: nullSamples,
                                             seed: UInt64(level + 1))
            guard others.count >= 8 else { continue }
            let detail = Detail(t)
            let all = [peak] + others
            var scores = [Double](repeating: 0, count: all.count)
            scores.withUnsafeMutableBufferPointer { out in
                parallelFor(all.count, workers: t.values.count >= 1 << 14 ? threads : 1) { i, _ in
                    let (x, y) = all[i]
                    if level == 0 {
                        out[i] = detail.zncc(image, x, y)
                    } else {
                        let window = Self.reduceRegion(image, x: x * f, y: y * f, columns: t.columns, rows: t.rows, factor: f, threads: 1)
                        out[i] = detail.zncc(window, 0, 0)
                    }
                }
            }
            let null = scores.dropFirst()
            let mean = null.reduce(0, +) / Double(null.count)
            let spread = (null.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(null.count - 1)).squareRoot()
            // Independent pixels would spread 1/√n: no sample of the image may claim less.
            let deviation = max(spread, 1 / Double(max(1, detail.count)).squareRoot())
            out.append(LevelEvidence(level: level, peak: scores[0], mean: mean, deviation: deviation,
                                     samples: others.count, z: (scores[0] - mean) / deviation))
        }
        return out
    }

    /// Up to `count` distinct positions of [0, maxX] × [0, maxY] more than `radius` from
    /// `avoiding` in x or y: all of them when there are no more than `count`, else drawn by a
    /// seeded SplitMix64 (the same positions every run).
    static func otherPositions(maxX: Int, maxY: Int, avoiding p: (x: Int, y: Int), radius: Int, count: Int,
                               seed: UInt64) -> [(x: Int, y: Int)] {
        guard maxX >= 0, maxY >= 0 else { return [] }
        let total = (maxX + 1) * (maxY + 1)
        let excluded = (min(maxX, p.x + radius) - max(0, p.x - radius) + 1) * (min(maxY, p.y + radius) - max(0, p.y - radius) + 1)
        func outside(_ x: Int, _ y: Int) -> Bool { abs(x - p.x) > radius || abs(y - p.y) > radius }
        if total - excluded <= count {
            var all = [(x: Int, y: Int)]()
            for y in 0 ... maxY { for x in 0 ... maxX where outside(x, y) { all.append((x, y)) } }
            return all
        }
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var chosen = Set<Int>(), out = [(x: Int, y: Int)]()
        var tries = 0
        while out.count < count && tries < count * 100 {
            tries += 1
            let i = Int(next() % UInt64(total))
            let x = i % (maxX + 1), y = i / (maxX + 1)
            guard outside(x, y), chosen.insert(i).inserted else { continue }
            out.append((x, y))
        }
        return out
    }
}
