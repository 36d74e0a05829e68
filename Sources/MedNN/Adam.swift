import MedImage
import MedKernels
import Foundation

/// Adam (Kingma & Ba 2015) with PyTorch's defaults and update rule (bias-corrected moments,
/// ε added to the corrected √v); `weightDecay` > 0 makes it AdamW (decoupled decay).
public final class Adam<T: NNScalar> {
    public var learningRate: Double
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    public var weightDecay = 0.0
    /// Threads for the update (the network's count; results do not depend on it).
    public let workers: Int
    public private(set) var step = 0
    /// First and second moments, by parameter name (saved in checkpoints).
    public var m: [String: [T]] = [:]
    public var v: [String: [T]] = [:]

    public init(learningRate: Double, workers: Int = 1) {
        self.learningRate = learningRate
        self.workers = workers
    }

    /// One update of every parameter at the configured learning rate.
    public func update(_ parameters: [Parameter<T>]) { update(parameters, lr: learningRate) }

    /// One update of every parameter from its gradient, at learning rate `lr` (for schedules).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update(_ parameters: [Parameter<T>], lr: Double) {
        step += 1
        let rate = lr
        let c1 = 1 - pow(beta1, Double(step)), c2 = 1 - pow(beta2, Double(step))
        // Locals, not properties, inside the loop: a class property read there is an exclusivity
        // check per value, and keeps the loop from vectorising.
        let decay = rate * weightDecay, decays = weightDecay > 0
        let beta1 = beta1, beta2 = beta2, epsilon = epsilon
        for p in parameters where !p.isBuffer {
            let n = p.value.count
            // Taken out of the dictionaries while updated, so they are not copied on write.
            var mm = m.removeValue(forKey: p.name) ?? Array(repeating: 0, count: n)
            var vv = v.removeValue(forKey: p.name) ?? Array(repeating: 0, count: n)
            mm.withUnsafeMutableBufferPointer { mb in
                vv.withUnsafeMutableBufferPointer { vb in
                    p.gradient.withUnsafeBufferPointer { gb in
                        p.value.withUnsafeMutableBufferPointer { wb in
                            if T.self == Float.self {
                                updateFloat(wb, gb, mb, vb, rate: rate, c1: c1, c2: c2, keep: 1 - decay)
                                return
                            }
                            for i in 0 ..< n {
                                let g = Double(gb[i])
                                let mi = beta1 * Double(mb[i]) + (1 - beta1) * g
                                let vi = beta2 * Double(vb[i]) + (1 - beta2) * g * g
                                mb[i] = T(mi)
                                vb[i] = T(vi)
                                var w = Double(wb[i])
                                if decays { w -= decay * w }
                                w -= rate * (mi / c1) / ((vi / c2).squareRoot() + epsilon)
                                wb[i] = T(w)
                            }
                        }
                    }
                }
            }
            m[p.name] = mm
            v[p.name] = vv
        }
    }

    /// Single precision runs in C, in float as PyTorch does, split over `workers` threads when
    /// the parameter is large enough to pay for the hand-off.
    private func updateFloat(_ w: UnsafeMutableBufferPointer<T>, _ g: UnsafeBufferPointer<T>,
                             _ m: UnsafeMutableBufferPointer<T>, _ v: UnsafeMutableBufferPointer<T>,
                             rate: Double, c1: Double, c2: Double, keep: Double) {
        func floats(_ b: UnsafeMutableBufferPointer<T>) -> SendablePointer<Float> {
            SendablePointer(UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: Float.self))
        }
        let n = w.count
        guard n > 0 else { return }
        let (wp, mp, vp) = (floats(w), floats(m), floats(v))
        let gp = SendableConstPointer(UnsafeRawPointer(g.baseAddress!).assumingMemoryBound(to: Float.self))
        let (b1, b2, step) = (Float(beta1), Float(beta2), Float(rate / c1))
        let (root2, eps, keepF) = (Float(c2.squareRoot()), Float(epsilon), Float(keep))
        // Pieces of at least 16 K values, each a whole number of 64-byte lines.
        let pieces = n >= 32_768 ? min(workers, n / 16_384) : 1
        let size = (n / max(pieces, 1) + 15) / 16 * 16
        parallelFor(pieces, workers: workers) { piece, _ in
            let start = piece * size, count = piece == pieces - 1 ? n - start : size
            Kernels.adam(weights: wp.pointer + start, gradients: gp.pointer + start, m: mp.pointer + start,
                         v: vp.pointer + start, count: count, beta1: b1, beta2: b2, step: step, rootC2: root2,
                         epsilon: eps, keep: keepF)
        }
    }

    /// Restores the step count (with moments set through `m` and `v`) when resuming.
    public func restore(step: Int) { self.step = step }
}

/// Learning-rate schedules.
public enum Schedule: String, Sendable, CaseIterable {
    case constant, cosine, step

    /// The rate at `step` of `total` (cosine to 0; step halves every third of the run).
    public func rate(_ base: Double, step: Int, total: Int) -> Double {
        switch self {
        case .constant: return base
        case .cosine: return base * 0.5 * (1 + cos(Double.pi * Double(min(step, total)) / Double(max(total, 1))))
        case .step: return base * pow(0.5, Double(step / max(total / 3, 1)))
        }
    }
}
