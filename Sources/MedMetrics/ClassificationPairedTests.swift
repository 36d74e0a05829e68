import Foundation

/// Paired significance tests for comparing two classifiers (or one classifier on two kinds of
/// input) on the same cases.
public enum PairedTests {
    /// DeLong's test for two correlated ROC AUCs (DeLong, DeLong & Clarke-Pearson 1988), with
    /// the structural components computed by midranks (Sun & Xu 2014).
    /// - Returns: both AUCs, their difference (a − b), its standard error, z and the two-sided
    ///   p-value; nil when either class is absent.
    public static func delong(_ a: [Double], _ b: [Double], labels: [Bool]) -> DeLong? {
        precondition(a.count == labels.count && b.count == labels.count)
        let pos = labels.indices.filter { labels[$0] }, neg = labels.indices.filter { !labels[$0] }
        let m = Double(pos.count), n = Double(neg.count)
        guard m > 0, n > 0 else { return nil }
        var aucs = [Double](), v10 = [[Double]](), v01 = [[Double]]()
        for s in [a, b] {
            let all = ClassificationMetrics.midranks(s)
            let tx = ClassificationMetrics.midranks(pos.map { s[$0] }), ty = ClassificationMetrics.midranks(neg.map { s[$0] })
            let auc = (pos.indices.reduce(0.0) { $0 + all[pos[$1]] } - m * (m + 1) / 2) / (m * n)
            aucs.append(auc)
            v10.append(pos.indices.map { (all[pos[$0]] - tx[$0]) / n })
            v01.append(neg.indices.map { 1 - (all[neg[$0]] - ty[$0]) / m })
        }
        func covariance(_ x: [Double], _ y: [Double]) -> Double {
            guard x.count > 1 else { return 0 }
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(x.count - 1)
        }
        let variance = (covariance(v10[0], v10[0]) + covariance(v10[1], v10[1]) - 2 * covariance(v10[0], v10[1])) / m
            + (covariance(v01[0], v01[0]) + covariance(v01[1], v01[1]) - 2 * covariance(v01[0], v01[1])) / n
        let diff = aucs[0] - aucs[1]
        let se = max(variance, 0).squareRoot()
        let z = se > 0 ? diff / se : (diff == 0 ? 0 : .infinity * diff.sign.multiplier)
        let p = se > 0 ? erfc(abs(z) / 2.0.squareRoot()) : (diff == 0 ? 1 : 0)
        return DeLong(aucA: aucs[0], aucB: aucs[1], difference: diff, standardError: se, z: z, p: p)
    }

    public struct DeLong: Sendable, Equatable {
        public var aucA: Double, aucB: Double, difference: Double, standardError: Double, z: Double, p: Double
    }

    /// McNemar's exact test for paired accuracy: of the discordant cases, b where only A is
    /// right and c where only B is, the two-sided binomial p-value of min(b, c) out of b + c at
    /// one half (1 when there are no discordant cases).
    public static func mcnemar(correctA: [Bool], correctB: [Bool]) -> (onlyA: Int, onlyB: Int, p: Double) {
        precondition(correctA.count == correctB.count)
        let b = zip(correctA, correctB).filter { $0 && !$1 }.count, c = zip(correctA, correctB).filter { !$0 && $1 }.count
        let n = b + c
        guard n > 0 else { return (b, c, 1) }
        let k = min(b, c)
        // Σ_{i ≤ k} C(n, i) / 2ⁿ in logs (n may be large).
        var tail = 0.0
        for i in 0 ... k {
            tail += exp(lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) - Double(n) * log(2.0))
        }
        return (b, c, min(1, 2 * tail))
    }
}

extension FloatingPointSign {
    var multiplier: Double { self == .minus ? -1 : 1 }
}
