import Foundation
public import MedImage

/// Where a field (e.g. a 40x microscope image) lies in a coarser image (the 4x one): found by
/// zero-normalised cross-correlation (ZNCC) on luminance, coarse to fine, and judged by how much
/// its fine detail stands out of the image's own correlation distribution.
///
/// The field is first reduced to the coarse image's scale; both are reduced by halves into
/// pyramids (2×2 means). The coarsest level is searched exhaustively; the best few separated
/// peaks of that surface are refined level by level in small windows (following the peak when it
/// reaches a window's edge), the best at full resolution wins, and its position is fitted to
/// sub-pixel by a quadratic. Positions are the field's top-left corner in coarse-image pixels
/// (pixel i covers [i, i+1)).
///
/// "Found" is not a threshold on the correlation: an unrelated field reaches ZNCC 0.8 on broad
/// shading alone, while a real field seen through another stain and noise may stay below 0.6.
/// Instead, at each of the four finest levels, the correlation of the field's *detail* (a
/// 4-neighbour Laplacian, which removes the shading) with the image's detail at the peak is
/// compared with the same correlation at `nullSamples` other positions of the image (at least 4
/// pixels from the peak): z = (peak − mean) / standard deviation. The field is found when two
/// adjacent levels agree (each z ≥ `minimumLevelEvidence`) and their combined z (Stouffer:
/// (z₁ + z₂) / √2) reaches `minimumEvidence`. Adjacent levels, not always the finest two, because
/// the detail of an enlarged or noisy image lives in a coarser band. On 142 unrelated pairs of
/// public images no pair of levels combined to more than 4.5; real fields, with stain changes and
/// noise, reach 15 or more (Tools/fixtures/make_unrelated.py).
public struct Registration: Sendable {
    public struct Result: Sendable, Equatable {
        public var found: Bool
        public var x: Double
        public var y: Double
        public var scale: Double
        /// ZNCC at the peak at full resolution (−1…1). Reported, not used to decide.
        public var score: Double
        /// Why not found, when not.
        public var reason: String?
        /// What the decision rests on; nil when no search ran (a flat or too large field).
        public var evidence: Evidence?

        public init(found: Bool, x: Double, y: Double, scale: Double, score: Double, reason: String? = nil,
                    evidence: Evidence? = nil) {
            (self.found, self.x, self.y, self.scale, self.score, self.reason, self.evidence) =
                (found, x, y, scale, score, reason, evidence)
        }
    }

    /// How the peak stands out.
    public struct Evidence: Sendable, Equatable {
        /// Detail correlation at the peak against other positions, finest level first.
        public var levels: [LevelEvidence]
        /// The best combination of two adjacent levels that both reach `minimumLevelEvidence`,
        /// (z₁ + z₂) / √2, or the one level's z when only one could be judged; 0 otherwise.
        public var combinedZ: Double
        /// The levels `combinedZ` comes from.
        public var decidingLevels: [Int]
        /// ZNCC of the winner at each pyramid level, coarsest first.
        public var scoresByLevel: [Double]
        /// Full-resolution ZNCC of the best other candidate (a separated peak of the coarse
        /// surface, refined like the winner); nil when there was none.
        public var runnerUpScore: Double?
        /// The coarsest level's ZNCC surface: its peak, the best peak separated from it by half
        /// the template, and the surface's mean and standard deviation over every position.
        public var coarsePeak: Double, coarseSecond: Double?, coarseMean: Double, coarseDeviation: Double
    }

    /// The detail test at one pyramid level.
    public struct LevelEvidence: Sendable, Equatable {
        /// 0 = full resolution, 1 = half, …
        public var level: Int
        /// Detail (Laplacian) ZNCC at the peak.
        public var peak: Double
        /// Mean and standard deviation of the detail ZNCC at `samples` other positions.
        public var mean: Double, deviation: Double
        public var samples: Int
        /// (peak − mean) / deviation; the deviation is at least 1/√(detail pixels).
        public var z: Double
    }

    /// Combined z of two adjacent levels needed for "found".
    public var minimumEvidence = 8.0
    /// z both of two adjacent levels need (the levels must agree).
    public var minimumLevelEvidence = 2.0
    /// Other positions the detail correlation is compared with, per level.
    public var nullSamples = 32
    /// Separated peaks of the coarsest surface refined to full resolution.
    public var candidates = 3
    /// Refinement half-window at each finer level, in that level's pixels.
    public var refineRadius = 2
    /// The coarsest template side (pixels) the pyramid goes down to.
    public var coarsestSide = 12
    /// Threads for the coarse surface, the reductions and the null samples.
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// Locates `field` (finer by `scale`) in `image`.
    public func locate(field: Plane, in image: Plane, scale: Double) -> Result {
        switch search(field: field, in: image, scale: scale, cache: ReductionCache()) {
        case .failed(let result): return result
        case .searched(let s): return decide(s, image: image)
        }
    }

    /// Tries scales from `range` in steps of 2%, refines the scale around the best (by ZNCC), and
    /// judges the match at that scale.
    public func locate(field: Plane, in image: Plane, scaleRange range: ClosedRange<Double>) -> Result {
        // A 2% scale step moves a 64-pixel field's edges by more than half a pixel, so the
        // position needs a refined scale (kept inside the range).
        let cache = ReductionCache()
        func at(_ s: Double) -> Searched? {
            if case .searched(let found) = search(field: field, in: image, scale: s, cache: cache) { return found }
            return nil
        }
        var tried = [Searched]()
        var s = range.lowerBound
        while s <= range.upperBound + 1e-9 {
            if let r = at(s) { tried.append(r) }
            s *= 1.02
        }
        guard var best = tried.max(by: { $0.score < $1.score }) else {
            // Every scale failed the same way (flat, or too large): say why at the smallest.
            if case .failed(let r) = search(field: field, in: image, scale: range.lowerBound, cache: cache) { return r }
            return Result(found: false, x: 0, y: 0, scale: range.lowerBound, score: 0, reason: "no scale in the range could be searched")
        }
        // Parabolas over log(scale) with shrinking steps (2%, 0.5%, 0.125%) around the best.
        var step = 1.02
        for _ in 0 ..< 3 {
            let centre = best
            let lower = at(max(centre.scale / step, range.lowerBound)), upper = at(min(centre.scale * step, range.upperBound))
            var candidates = [lower, upper].compactMap { $0 }
            if let lower, let upper {
                let d = lower.score - 2 * centre.score + upper.score
                if d < 0 {
                    let t = min(max(0.5 * (lower.score - upper.score) / d, -1), 1)
                    if let r = at(min(max(centre.scale * pow(step, t), range.lowerBound), range.upperBound)) { candidates.append(r) }
                }
            }
            for r in candidates where r.score > best.score { best = r }
            step = pow(step, 0.25)
        }
        return decide(best, image: image)
    }

    /// The judged result of a search.
    func decide(_ s: Searched, image: Plane) -> Result {
        let levels = detailEvidence(s, image: image)
        var combined = 0.0, deciding = [Int]()
        if levels.count == 1 {
            (combined, deciding) = (levels[0].z, [levels[0].level])
        }
        for (a, b) in zip(levels, levels.dropFirst()) where b.level == a.level + 1 {
            let z = min(a.z, b.z) >= minimumLevelEvidence ? (a.z + b.z) / 2.squareRoot() : 0
            if z > combined { (combined, deciding) = (z, [a.level, b.level]) }
        }
        let evidence = Evidence(levels: levels, combinedZ: combined, decidingLevels: deciding, scoresByLevel: s.scoresByLevel,
                                runnerUpScore: s.runnerUpScore, coarsePeak: s.coarse.peak, coarseSecond: s.coarse.second,
                                coarseMean: s.coarse.mean, coarseDeviation: s.coarse.deviation)
        let found = !levels.isEmpty && combined >= minimumEvidence
        var reason: String?
        if levels.isEmpty {
            reason = "the image leaves too few other positions to judge the match against"
        } else if !found {
            let each = levels.map { String(format: "%.1f at level %d", $0.z, $0.level) }.joined(separator: ", ")
            reason = String(format: "the field's detail does not stand out of the image's own correlations (z %@; the best two adjacent levels combine to %.1f, needs %.0f with both at least %.0f): it does not lie in the image",
                            each, combined, minimumEvidence, minimumLevelEvidence)
        }
        return Result(found: found, x: s.x, y: s.y, scale: s.scale, score: s.score, reason: reason, evidence: evidence)
    }
}
