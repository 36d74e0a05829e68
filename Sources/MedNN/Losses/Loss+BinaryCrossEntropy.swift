import Foundation

extension Loss {
    /// Binary cross-entropy on logits against per-element targets in [0, 1] (PyTorch
    /// `BCEWithLogitsLoss(pos_weight=, reduction="mean")`): the mean over every element of
    /// (1 − z)·x + (1 + (w − 1)·z)·softplus(−x), softplus(−x) = log(1 + e^−|x|) + max(−x, 0),
    /// which neither overflows nor loses the small terms for large |x|.
    /// - Parameters:
    ///   - logits: `[C, B, H, W]`; for a multi-label classifier `[classes, B, 1, 1]`.
    ///   - targets: the same shape.
    ///   - positiveWeight: w per channel (PyTorch's `pos_weight` of shape `[C]` on `[B, C]`
    ///     logits, or `[C, 1, 1]` on images), or one value for all; nil is 1.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func bceWithLogits<T: NNScalar>(_ logits: Tensor<T>, targets: Tensor<T>, positiveWeight: [Double]? = nil)
        -> (value: Double, gradient: Tensor<T>) {
        precondition(logits.count == targets.count, "bce: logits and targets differ in size")
        precondition(positiveWeight.map { $0.count == 1 || $0.count == logits.channels } ?? true,
                     "bce: pos_weight needs one value or one per channel")
        var g = logits
        let n = Double(logits.count), perChannel = logits.batch * logits.plane
        var sum = 0.0
        logits.data.withUnsafeBufferPointer { xs in
            targets.data.withUnsafeBufferPointer { zs in
                g.data.withUnsafeMutableBufferPointer { gs in
                    for c in 0 ..< logits.channels {
                        let w = positiveWeight.map { $0[$0.count == 1 ? 0 : c] } ?? 1
                        for i in c * perChannel ..< (c + 1) * perChannel {
                            let x = Double(xs[i]), z = Double(zs[i])
                            let logWeight = 1 + (w - 1) * z
                            sum += (1 - z) * x + logWeight * (Foundation.log1p(Foundation.exp(-abs(x))) + max(-x, 0))
                            // d/dx: (1 − z) − logWeight · σ(−x).
                            let sigmoidNegative = x >= 0 ? Foundation.exp(-x) / (1 + Foundation.exp(-x)) : 1 / (1 + Foundation.exp(x))
                            gs[i] = T(((1 - z) - logWeight * sigmoidNegative) / n)
                        }
                    }
                }
            }
        }
        return (sum / n, g)
    }
}
