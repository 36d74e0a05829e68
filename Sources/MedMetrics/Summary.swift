import Foundation
import MedImage

/// Mean, standard deviation and a 95% bootstrap interval of a sample, NaNs excluded.
public struct Summary: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation (n − 1); 0 for one value.
    public var std: Double
    /// Percentile bootstrap interval of the mean (2.5%, 97.5%), 2000 resamples, seeded.
    public var ciLow: Double
    public var ciHigh: Double

    /// - Parameter seed: the resampling seed, so reports are reproducible.
    public init(_ values: [Double], resamples: Int = 2000, seed: UInt64 = 2004) {
        let v = values.filter { $0.isFinite }
        count = v.count
        guard !v.isEmpty else { mean = .nan; std = .nan; ciLow = .nan; ciHigh = .nan; return }
        mean = v.reduce(0, +) / Double(v.count)
        let m = mean
        std = v.count > 1 ? (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot() : 0
        var rng = SplitMix64(seed: seed)
        var means = [Double]()
        means.reserveCapacity(resamples)
        for _ in 0 ..< resamples {
            var s = 0.0
            for _ in 0 ..< v.count { s += v[Int(rng.next() % UInt64(v.count))] }
            means.append(s / Double(v.count))
        }
        means.sort()
        ciLow = means[Int(0.025 * Double(resamples - 1))]
        ciHigh = means[Int((0.975 * Double(resamples - 1)).rounded(.up))]
    }
}
