import Foundation
import MedImage

extension Summary {
    /// Mean, std and a 95% interval of the mean bootstrapped **by cluster** (Field & Welsh 2007):
    /// each resample draws as many clusters (patients) as there are, with replacement, and takes
    /// the mean of all their values, so tiles of one patient — which are not independent — move
    /// together. Values with an empty cluster name are clusters of their own. NaNs and infinities
    /// are left out; with one cluster the interval is that of the values resampled one by one.
    /// - Parameters:
    ///   - values: one value per tile.
    ///   - clusters: the tile's patient (pseudonym), same count as `values`.
    public init(_ values: [Double], clusters: [String], resamples: Int = 2000, seed: UInt64 = 2004) {
        precondition(values.count == clusters.count)
        var groups = [String: Int]()
        var sums = [Double](), counts = [Int]()
        var kept = [Double]()
        for (i, v) in values.enumerated() where v.isFinite {
            kept.append(v)
            let key = clusters[i].isEmpty ? "\u{0}tile\(i)" : clusters[i]
            let g: Int
            if let existing = groups[key] { g = existing } else {
                g = sums.count
                groups[key] = g
                sums.append(0)
                counts.append(0)
            }
            sums[g] += v
            counts[g] += 1
        }
        if sums.count < 2 {
            self.init(kept, resamples: resamples, seed: seed)
            return
        }
        self.init(kept, resamples: 1, seed: seed)
        var rng = SplitMix64(seed: seed)
        var means = [Double]()
        means.reserveCapacity(resamples)
        let k = UInt64(sums.count)
        for _ in 0 ..< resamples {
            var s = 0.0, n = 0
            for _ in 0 ..< sums.count {
                let g = Int(rng.next() % k)
                s += sums[g]
                n += counts[g]
            }
            means.append(s / Double(n))
        }
        means.sort()
        ciLow = means[Int(0.025 * Double(resamples - 1))]
        ciHigh = means[Int((0.975 * Double(resamples - 1)).rounded(.up))]
    }
}
