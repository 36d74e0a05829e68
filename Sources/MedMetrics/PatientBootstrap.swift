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

/// Percentile bootstrap intervals of any statistic of a set of cases, resampled **by patient**
/// (whole patients drawn with replacement, all their cases together): AUCs, accuracies and
/// their differences, whose cases are not independent within a patient.
public enum PatientBootstrap {
    public struct Interval: Sendable, Equatable {
        public var low: Double, high: Double
        /// Resamples whose statistic was defined (an AUC needs both classes).
        public var resamples: Int
    }

    /// The 2.5% and 97.5% percentiles of `statistic` over `resamples` patient resamples.
    /// - Parameters:
    ///   - patients: each case's patient; empty names are patients of their own.
    ///   - statistic: the statistic of the cases at the given indices (repeats included), or nil
    ///     when undefined for that resample (it is then skipped).
    /// - Returns: NaN bounds when no resample gave a value.
    public static func interval(patients: [String], resamples: Int = 2000, seed: UInt64 = 2004,
                                statistic: ([Int]) -> Double?) -> Interval {
        var index = [String: Int](), members = [[Int]]()
        for (i, p) in patients.enumerated() {
            let key = p.isEmpty ? "\u{0}case\(i)" : p
            if let g = index[key] { members[g].append(i) } else {
                index[key] = members.count
                members.append([i])
            }
        }
        guard !members.isEmpty else { return Interval(low: .nan, high: .nan, resamples: 0) }
        var rng = SplitMix64(seed: seed)
        var values = [Double]()
        values.reserveCapacity(resamples)
        let k = UInt64(members.count)
        var cases = [Int]()
        for _ in 0 ..< resamples {
            cases.removeAll(keepingCapacity: true)
            for _ in 0 ..< members.count { cases += members[Int(rng.next() % k)] }
            if let v = statistic(cases), v.isFinite { values.append(v) }
        }
        guard !values.isEmpty else { return Interval(low: .nan, high: .nan, resamples: 0) }
        values.sort()
        let n = values.count
        return Interval(low: values[Int(0.025 * Double(n - 1))], high: values[Int((0.975 * Double(n - 1)).rounded(.up))], resamples: n)
    }
}
