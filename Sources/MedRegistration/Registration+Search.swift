import Foundation
import MedImage

extension Registration {
    /// A search's outcome before the decision: the best position and what is needed to judge it.
    struct Searched {
        /// Sub-pixel position (level 0) and the integer peak it was fitted around.
        var x: Double, y: Double
        var scale: Double
        /// ZNCC at the integer peak at full resolution.
        var score: Double
        /// The template pyramid (level 0 = the field reduced by `scale`).
        var templates: [Plane]
        /// The winner's integer position at each level (index = level).
        var positions: [(x: Int, y: Int)]
        var scoresByLevel: [Double]
        var runnerUpScore: Double?
        var coarse: CoarseSurface.Summary
    }

    enum Outcome {
        case searched(Searched)
        case failed(Result)
    }

    struct Peak { var x: Int; var y: Int; var score: Double }

    /// The best position of `field` reduced by `scale`, or why no search could run.
    func search(field: Plane, in image: Plane, scale: Double, cache: ReductionCache) -> Outcome {
        // The template is the field resampled by exactly `scale` from its top-left corner (whole
        // coarse pixels only), so the scale is not rounded to a whole template size.
        let template = scale == 1 ? field : Self.reduce(field, by: scale)
        guard template.columns <= image.columns, template.rows <= image.rows else {
            return .failed(Result(found: false, x: 0, y: 0, scale: scale, score: 0,
                                  reason: "the field reduced by \(scale) (\(template.columns)×\(template.rows)) is larger than the image (\(image.columns)×\(image.rows))"))
        }
        guard Self.standardDeviation(template.values) > 1e-6 * max(1, Self.maxAbs(template.values)) else {
            return .failed(Result(found: false, x: 0, y: 0, scale: scale, score: 0, reason: "the field is flat: nothing to match"))
        }
        var templates = [template]
        while min(templates.last!.columns, templates.last!.rows) / 2 >= coarsestSide { templates.append(Self.halve(templates.last!)) }
        let top = templates.count - 1
        let coarseImage = cache.reduced(image, factor: 1 << top, threads: threads)
        let surface = CoarseSurface(image: coarseImage, template: templates[top], threads: threads)
        let starts = surface.peaks(count: max(1, candidates), separation: max(1, min(templates[top].columns, templates[top].rows) / 2))
        // Each separated coarse peak is followed down to full resolution; the best there wins.
        var tracks = [(positions: [(x: Int, y: Int)], scores: [Double])]()
        for start in starts {
            var positions = [(x: Int, y: Int)](repeating: (0, 0), count: top + 1)
            positions[top] = (start.x, start.y)
            var scores = [start.score]
            var p = start
            for level in stride(from: top - 1, through: 0, by: -1) {
                p = refine(image, templates[level], level: level, around: (p.x * 2, p.y * 2))
                positions[level] = (p.x, p.y)
                scores.append(p.score)
            }
            tracks.append((positions, scores))
        }
        let order = tracks.indices.sorted { tracks[$0].scores.last! > tracks[$1].scores.last! }
        let win = tracks[order[0]]
        let (ix, iy) = win.positions[0]
        let (sx, sy) = subpixel(image, templates[0], at: (ix, iy))
        return .searched(Searched(x: sx, y: sy, scale: scale, score: win.scores.last!, templates: templates,
                                  positions: win.positions, scoresByLevel: win.scores,
                                  runnerUpScore: order.count > 1 ? tracks[order[1]].scores.last! : nil,
                                  coarse: surface.summary))
    }

    /// The best position within `refineRadius` of `c` at `level` (of `image`, level 0), following
    /// the peak while it lies on the window's edge.
    func refine(_ image: Plane, _ t: Plane, level: Int, around c: (Int, Int)) -> Peak {
        let f = 1 << level
        let maxX = image.columns / f - t.columns, maxY = image.rows / f - t.rows
        let centred = Centred(t)
        var cx = min(max(c.0, 0), maxX), cy = min(max(c.1, 0), maxY)
        var best = Peak(x: cx, y: cy, score: -2)
        for _ in 0 ..< 8 {
            let x0 = max(0, cx - refineRadius), x1 = min(maxX, cx + refineRadius)
            let y0 = max(0, cy - refineRadius), y1 = min(maxY, cy + refineRadius)
            // Level 0 is read in place; a finer level's window is reduced from level 0.
            let window = level == 0 ? image
                : Self.reduceRegion(image, x: x0 * f, y: y0 * f, columns: x1 - x0 + t.columns, rows: y1 - y0 + t.rows,
                                    factor: f, threads: 1)
            let (ox, oy) = level == 0 ? (0, 0) : (x0, y0)
            for y in y0 ... y1 {
                for x in x0 ... x1 {
                    let s = centred.zncc(window, x - ox, y - oy)
                    if s > best.score { best = Peak(x: x, y: y, score: s) }
                }
            }
            let onEdge = (best.x == x0 && x0 > 0) || (best.x == x1 && x1 < maxX) || (best.y == y0 && y0 > 0) || (best.y == y1 && y1 < maxY)
            guard onEdge, (best.x, best.y) != (cx, cy) else { break }
            (cx, cy) = (best.x, best.y)
        }
        return best
    }

    /// Quadratic fit of the score around the integer peak, per axis (kept within ±0.5).
    func subpixel(_ image: Plane, _ t: Plane, at p: (Int, Int)) -> (Double, Double) {
        let centred = Centred(t)
        func score(_ x: Int, _ y: Int) -> Double? {
            guard x >= 0, y >= 0, x <= image.columns - t.columns, y <= image.rows - t.rows else { return nil }
            return centred.zncc(image, x, y)
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
}

/// Whole-image reductions by a power of two, shared by the searches of one scale range.
final class ReductionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var planes = [Int: Plane]()

    func reduced(_ image: Plane, factor: Int, threads: Int) -> Plane {
        if factor == 1 { return image }
        lock.lock()
        defer { lock.unlock() }
        if let p = planes[factor] { return p }
        let p = Registration.reduceRegion(image, x: 0, y: 0, columns: image.columns / factor, rows: image.rows / factor,
                                          factor: factor, threads: threads)
        planes[factor] = p
        return p
    }
}
