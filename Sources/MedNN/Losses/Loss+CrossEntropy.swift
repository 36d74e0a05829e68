import Foundation

extension Loss {
    /// Softmax cross-entropy with class indices (PyTorch `nn.CrossEntropyLoss(weight=,
    /// ignore_index=, label_smoothing=, reduction="mean")`, the same value and gradient).
    ///
    /// With log-probabilities ℓ = log_softmax over the channels at each position i, label yᵢ,
    /// class weights w (1 if nil), smoothing ε and C classes, over the positions not ignored:
    /// loss = [(1 − ε)·Σᵢ w[yᵢ]·(−ℓᵢ[yᵢ]) + (ε/C)·Σᵢ Σ_c w[c]·(−ℓᵢ[c])] / Σᵢ w[yᵢ]
    /// — PyTorch's weighted mean: both terms are divided by the summed weight of the labels.
    /// If every position is ignored the value is NaN (as PyTorch's) and the gradient zero.
    /// - Parameters:
    ///   - logits: `[C, B, H, W]` (a classifier's `[classes, B, 1, 1]`; per-pixel classes for
    ///     segmentation).
    ///   - labels: one class index per position, in batch-item then row-major order
    ///     (`B·H·W` values), each in `0 ..< C` or equal to `ignoreIndex`.
    ///   - weights: one per class.
    ///   - labelSmoothing: ε in [0, 1].
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func crossEntropy<T: NNScalar>(_ logits: Tensor<T>, labels: [Int], weights: [Double]? = nil,
                                                 labelSmoothing: Double = 0, ignoreIndex: Int? = nil)
        -> (value: Double, gradient: Tensor<T>) {
        let classes = logits.channels, positions = logits.batch * logits.plane
        precondition(labels.count == positions, "cross-entropy: \(labels.count) labels for \(positions) positions")
        precondition(weights.map { $0.count == classes } ?? true, "cross-entropy: one weight per class")
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "cross-entropy: label smoothing must be in [0, 1]")
        let eps = labelSmoothing, w = weights ?? [Double](repeating: 1, count: classes)
        let totalClassWeight = w.reduce(0, +)
        var g = Tensor<T>(channels: classes, batch: logits.batch, rows: logits.rows, columns: logits.columns)
        // The summed label weight (the divisor) first, so each gradient is rounded to T once.
        var divisor = 0.0
        for y in labels {
            if let ignoreIndex, y == ignoreIndex { continue }
            precondition(y >= 0 && y < classes, "cross-entropy: label \(y) outside 0..<\(classes)")
            divisor += w[y]
        }
        let scale = divisor == 0 ? 0 : 1 / divisor
        var sum = 0.0
        var logProbabilities = [Double](repeating: 0, count: classes)
        logits.data.withUnsafeBufferPointer { xs in
            g.data.withUnsafeMutableBufferPointer { gs in
                for i in 0 ..< positions {
                    let y = labels[i]
                    if let ignoreIndex, y == ignoreIndex { continue }
                    var top = -Double.infinity
                    for c in 0 ..< classes { top = max(top, Double(xs[c * positions + i])) }
                    var total = 0.0
                    for c in 0 ..< classes { total += Foundation.exp(Double(xs[c * positions + i]) - top) }
                    let logTotal = Foundation.log(total) + top
                    for c in 0 ..< classes { logProbabilities[c] = Double(xs[c * positions + i]) - logTotal }
                    var smooth = 0.0
                    for c in 0 ..< classes { smooth -= w[c] * logProbabilities[c] }
                    sum += (1 - eps) * w[y] * -logProbabilities[y] + eps / Double(classes) * smooth
                    // d/dlogit[c] of −Σ_k a_k ℓ[k] = (Σ_k a_k)·p[c] − a_c, a_k = (1 − ε)·w[y]·[k = y] + (ε/C)·w[k], over the divisor.
                    let aTotal = (1 - eps) * w[y] + eps / Double(classes) * totalClassWeight
                    for c in 0 ..< classes {
                        let a = (c == y ? (1 - eps) * w[y] : 0) + eps / Double(classes) * w[c]
                        gs[c * positions + i] = T((aTotal * Foundation.exp(logProbabilities[c]) - a) * scale)
                    }
                }
            }
        }
        return (divisor == 0 ? .nan : sum / divisor, g)
    }
}
