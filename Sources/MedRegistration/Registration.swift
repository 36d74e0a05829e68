import Foundation
public import MedImage

/// Where a field (e.g. a 40x microscope image) lies in a coarser image (the 4x one): found by
/// zero-normalised cross-correlation on luminance, coarse to fine. The field is first reduced to
/// the coarse image's scale; both are reduced by halves into pyramids; the coarsest level is
/// searched exhaustively, visiting positions in a spiral from the centre and stopping early once a
/// score clears `earlyStop`; each finer level refines in a small window; the peak is refined to
/// sub-pixel by a quadratic fit. Positions are the field's top-left corner in coarse-image pixels
/// (pixel i covers [i, i+1)).
public struct Registration: Sendable {
    public struct Result: Sendable, Equatable {
        public var found: Bool
        public var x: Double
        public var y: Double
        public var scale: Double
        /// ZNCC at the peak (−1…1).
        public var score: Double
        /// Why not found, when not.
        public var reason: String?

        public init(found: Bool, x: Double, y: Double, scale: Double, score: Double, reason: String? = nil) {
            (self.found, self.x, self.y, self.scale, self.score, self.reason) = (found, x, y, scale, score, reason)
        }
    }

    /// A peak below this is "not found".
    public var minimumScore = 0.6
    /// At the coarsest level, stop the spiral once a score clears this.
    public var earlyStop = 0.995
    /// Refinement half-window at each finer level, in that level's pixels.
    public var refineRadius = 2
    /// The coarsest template side (pixels) the pyramid goes down to.
    public var coarsestSide = 12

    public init() {}

    /// Locates `field` (finer by `scale`) in `image`.
    public func locate(field: Plane, in image: Plane, scale: Double) -> Result {
        // The template is the field resampled by exactly `scale` from its top-left corner (whole
        // coarse pixels only), so the scale is not rounded to a whole template size.
        let template = scale == 1 ? field : Self.reduce(field, by: scale)
        guard template.columns <= image.columns, template.rows <= image.rows else {
            return Result(found: false, x: 0, y: 0, scale: scale, score: 0,
                          reason: "the field reduced by \(scale) (\(template.columns)×\(template.rows)) is larger than the image (\(image.columns)×\(image.rows))")
        }
        guard Self.standardDeviation(template.values) > 1e-6 * max(1, Self.maxAbs(template.values)) else {
            return Result(found: false, x: 0, y: 0, scale: scale, score: 0, reason: "the field is flat: nothing to match")
        }
        // Pyramids: level 0 is full resolution.
        var images = [image], templates = [template]
        while min(templates.last!.columns, templates.last!.rows) / 2 >= coarsestSide {
            images.append(Self.halve(images.last!))
            templates.append(Self.halve(templates.last!))
        }
        let top = images.count - 1
        var best = exhaustive(images[top], templates[top])
        for level in stride(from: top - 1, through: 0, by: -1) {
            best = refine(images[level], templates[level], around: (best.x * 2, best.y * 2), radius: refineRadius)
        }
        let (sx, sy) = subpixel(images[0], templates[0], at: (best.x, best.y))
        let found = best.score >= minimumScore
        return Result(found: found, x: sx, y: sy, scale: scale, score: best.score,
                      reason: found ? nil : String(format: "best correlation %.3f is below %.2f: the field does not lie in the image", best.score, minimumScore))
    }

    /// Tries scales from `range` in steps of 2%, refines the scale around the best, returns the best.
    public func locate(field: Plane, in image: Plane, scaleRange range: ClosedRange<Double>) -> Result {
        // A 2% scale step moves a 64-pixel field's edges by more than half a pixel, so the
        // position needs a refined scale (kept inside the range).
        var results = [Result]()
        var s = range.lowerBound
        while s <= range.upperBound + 1e-9 {
            results.append(locate(field: field, in: image, scale: s))
            s *= 1.02
        }
        let i = results.indices.max { results[$0].score < results[$1].score }!
        var best = results[i]
        guard best.found else { return best }
        // Parabolas over log(scale) with shrinking steps (2%, 0.5%, 0.125%) around the best.
        var step = 1.02
        for _ in 0 ..< 3 {
            let centre = best
            let below = locate(field: field, in: image, scale: max(centre.scale / step, range.lowerBound))
            let above = locate(field: field, in: image, scale: min(centre.scale * step, range.upperBound))
            var candidates = [below, above]
            let d = below.score - 2 * centre.score + above.score
            if d < 0 {
                let t = min(max(0.5 * (below.score - above.score) / d, -1), 1)
                let scale = min(max(centre.scale * pow(step, t), range.lowerBound), range.upperBound)
                candidates.append(locate(field: field, in: image, scale: scale))
            }
            for r in candidates where r.score > best.score { best = r }
            step = pow(step, 0.25)
        }
        return best
    }

    // MARK: ZNCC search

    struct Peak { var x: Int; var y: Int; var score: Double }

    func exhaustive(_ image: Plane, _ t: Plane) -> Peak {
        let maxX = image.columns - t.columns, maxY = image.rows - t.rows
        let stats = Self.templateStats(t)
        let integral = Integral(image)
        var best = Peak(x: 0, y: 0, score: -2)
        for (x, y) in Self.spiral(width: maxX + 1, height: maxY + 1) {
            let s = Self.zncc(image, integral, t, stats, x, y)
            if s > best.score { best = Peak(x: x, y: y, score: s) }
            if best.score >= earlyStop { break }
        }
        return best
    }

    func refine(_ image: Plane, _ t: Plane, around c: (Int, Int), radius: Int) -> Peak {
        // A handful of positions: window sums directly (an integral image of a 2048² level would
        // cost more than the whole refinement).
        let stats = Self.templateStats(t)
        var best = Peak(x: c.0, y: c.1, score: -2)
        for y in max(0, c.1 - radius) ... min(image.rows - t.rows, c.1 + radius) {
            for x in max(0, c.0 - radius) ... min(image.columns - t.columns, c.0 + radius) {
                let s = Self.zncc(image, t, stats, x, y)
                if s > best.score { best = Peak(x: x, y: y, score: s) }
            }
        }
        return best
    }

    /// Quadratic fit of the score around the integer peak, per axis (kept within ±0.5).
    func subpixel(_ image: Plane, _ t: Plane, at p: (Int, Int)) -> (Double, Double) {
        let stats = Self.templateStats(t)
        func score(_ x: Int, _ y: Int) -> Double? {
            guard x >= 0, y >= 0, x <= image.columns - t.columns, y <= image.rows - t.rows else { return nil }
            return Self.zncc(image, t, stats, x, y)
        }
        func offset(_ a: Double?, _ b: Double, _ c: Double?) -> Double {
            guard let a, let c else { return 0 }
            let d = a - 2 * b + c
            return d < 0 ? min(max(0.5 * (a - c) / d, -0.5), 0.5) : 0
        }
        let c = score(p.0, p.1) ?? 0
        return (Double(p.0) + offset(score(p.0 - 1, p.1), c, score(p.0 + 1, p.1)),
                Double(p.1) + offset(score(p.0, p.1 - 1), c, score(p.0, p.1 + 1)))
    }

    /// Positions of a `width × height` grid from the centre outwards (square rings).
    static func spiral(width: Int, height: Int) -> [(Int, Int)] {
        let cx = width / 2, cy = height / 2
        var out = [(Int, Int)]()
        out.reserveCapacity(width * height)
        let rings = max(cx, width - 1 - cx, cy, height - 1 - cy)
        for r in 0 ... rings {
            for y in cy - r ... cy + r {
                for x in cx - r ... cx + r where max(abs(x - cx), abs(y - cy)) == r {
                    if x >= 0, y >= 0, x < width, y < height { out.append((x, y)) }
                }
            }
        }
        return out
    }

    struct TemplateStats { var mean: Double; var norm: Double; var centred: [Double] }

    static func templateStats(_ t: Plane) -> TemplateStats {
        let n = Double(t.values.count)
        let mean = t.values.reduce(0.0) { $0 + Double($1) } / n
        let centred = t.values.map { Double($0) - mean }
        return TemplateStats(mean: mean, norm: centred.reduce(0) { $0 + $1 * $1 }.squareRoot(), centred: centred)
    }

    /// Summed-area tables of values and squares, for window means and norms in O(1).
    struct Integral {
        let w: Int
        var sum: [Double], sq: [Double]
        init(_ p: Plane) {
            w = p.columns + 1
            sum = Array(repeating: 0, count: (p.rows + 1) * w)
            sq = sum
            for y in 0 ..< p.rows {
                var rs = 0.0, rq = 0.0
                for x in 0 ..< p.columns {
                    let v = Double(p.values[y * p.columns + x])
                    rs += v
                    rq += v * v
                    sum[(y + 1) * w + x + 1] = sum[y * w + x + 1] + rs
                    sq[(y + 1) * w + x + 1] = sq[y * w + x + 1] + rq
                }
            }
        }
        func box(_ a: [Double], _ x: Int, _ y: Int, _ bw: Int, _ bh: Int) -> Double {
            a[(y + bh) * w + x + bw] - a[y * w + x + bw] - a[(y + bh) * w + x] + a[y * w + x]
        }
    }

    static func zncc(_ image: Plane, _ integral: Integral, _ t: Plane, _ s: TemplateStats, _ x: Int, _ y: Int) -> Double {
        let n = Double(t.values.count)
        let sum = integral.box(integral.sum, x, y, t.columns, t.rows), sq = integral.box(integral.sq, x, y, t.columns, t.rows)
        let variance = sq - sum * sum / n
        guard variance > 1e-9, s.norm > 0 else { return 0 }
        var cross = 0.0
        image.values.withUnsafeBufferPointer { img in
            s.centred.withUnsafeBufferPointer { tc in
                for r in 0 ..< t.rows {
                    let row = (y + r) * image.columns + x, trow = r * t.columns
                    for c in 0 ..< t.columns { cross += Double(img[row + c]) * tc[trow + c] }
                }
            }
        }
        return cross / (variance.squareRoot() * s.norm)
    }

    /// ZNCC at one position with the window's sums computed directly.
    static func zncc(_ image: Plane, _ t: Plane, _ s: TemplateStats, _ x: Int, _ y: Int) -> Double {
        let n = Double(t.values.count)
        var sum = 0.0, sq = 0.0, cross = 0.0
        image.values.withUnsafeBufferPointer { img in
            s.centred.withUnsafeBufferPointer { tc in
                for r in 0 ..< t.rows {
                    let row = (y + r) * image.columns + x, trow = r * t.columns
                    for c in 0 ..< t.columns {
                        let v = Double(img[row + c])
                        sum += v
                        sq += v * v
                        cross += v * tc[trow + c]
                    }
                }
            }
        }
        let variance = sq - sum * sum / n
        guard variance > 1e-9, s.norm > 0 else { return 0 }
        return cross / (variance.squareRoot() * s.norm)
    }

    // MARK: Images

    static func halve(_ p: Plane) -> Plane {
        let r = p.rows / 2, c = p.columns / 2
        var out = [Float](repeating: 0, count: r * c)
        for y in 0 ..< r {
            for x in 0 ..< c {
                let i = 2 * y * p.columns + 2 * x
                out[y * c + x] = (p.values[i] + p.values[i + 1] + p.values[i + p.columns] + p.values[i + p.columns + 1]) / 4
            }
        }
        return Plane(rows: r, columns: c, values: out)
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

