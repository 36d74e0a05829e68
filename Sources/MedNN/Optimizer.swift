import Foundation

/// An optimiser: updates parameters from their gradients, and keeps state (moments, momentum)
/// that a checkpoint saves by name so a resumed run continues exactly.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: NNScalar
    /// "adam", "adamw" or "sgd" (recorded in checkpoints).
    var kind: String { get }
    /// Updates applied so far.
    var step: Int { get }
    /// One update of every trainable parameter (buffers are skipped) at learning rate `lr`.
    func update(_ parameters: [Parameter<Scalar>], lr: Double)
    /// The state tensors by name (`m.<param>`, `v.<param>`, `momentum.<param>`).
    var state: [String: [Scalar]] { get }
    /// Restores what `state` and `step` returned.
    func restore(state: [String: [Scalar]], step: Int)
}

/// The optimisers `medsr train --optimizer` names.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case adam, adamw, sgd

    /// A new optimiser: Adam(W) with PyTorch's betas, or SGD with `momentum` (Nesterov if asked).
    public func make<T: NNScalar>(_: T.Type = T.self, learningRate: Double, weightDecay: Double, momentum: Double = 0.9, nesterov: Bool = false,
                                  betas: (Double, Double) = (0.9, 0.999), workers: Int) -> any Optimizer<T> {
        switch self {
        case .adam, .adamw:
            let a = Adam<T>(learningRate: learningRate, workers: workers)
            a.weightDecay = weightDecay
            a.beta1 = betas.0
            a.beta2 = betas.1
            return a
        case .sgd:
            return SGD<T>(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        }
    }
}

/// Stochastic gradient descent with momentum, as PyTorch's `torch.optim.SGD` (dampening 0):
/// g ← g + λw; b ← μb + g (b = g at the first step); with Nesterov g ← g + μb, else g ← b;
/// w ← w − lr·g. Weight decay λ here is coupled (L2), as PyTorch's.
public final class SGD<T: NNScalar>: Optimizer {
    public let momentum: Double, nesterov: Bool, weightDecay: Double
    public private(set) var step = 0
    /// Momentum buffers by parameter name.
    var buffers: [String: [T]] = [:]

    public init(momentum: Double = 0.9, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public var kind: String { "sgd" }

    public func update(_ parameters: [Parameter<T>], lr: Double) {
        step += 1
        let mu = T(momentum), decay = T(weightDecay), rate = T(lr), first = step == 1
        for p in parameters where !p.isBuffer {
            let n = p.value.count
            var b = buffers.removeValue(forKey: p.name) ?? []
            let hasBuffer = momentum > 0
            if hasBuffer && b.isEmpty { b = Array(repeating: 0, count: n) }
            let fresh = first || b.isEmpty
            p.value.withUnsafeMutableBufferPointer { w in
                p.gradient.withUnsafeBufferPointer { g in
                    b.withUnsafeMutableBufferPointer { buf in
                        for i in 0 ..< n {
                            var d = g[i]
                            if decay != 0 { d += decay * w[i] }
                            if hasBuffer {
                                buf[i] = fresh ? d : mu * buf[i] + d
                                d = nesterov ? d + mu * buf[i] : buf[i]
                            }
                            w[i] -= rate * d
                        }
                    }
                }
            }
            if hasBuffer { buffers[p.name] = b }
        }
    }

    public var state: [String: [T]] {
        Dictionary(uniqueKeysWithValues: buffers.map { ("momentum." + $0.key, $0.value) })
    }

    public func restore(state: [String: [T]], step: Int) {
        buffers = [:]
        for (k, v) in state where k.hasPrefix("momentum.") { buffers[String(k.dropFirst("momentum.".count))] = v }
        self.step = step
    }
}

extension Adam: Optimizer {
    public var kind: String { weightDecay > 0 ? "adamw" : "adam" }
    public var state: [String: [T]] {
        var s = [String: [T]]()
        for (k, v) in m { s["m." + k] = v }
        for (k, v) in v { s["v." + k] = v }
        return s
    }
    public func restore(state: [String: [T]], step: Int) {
        m = [:]
        v = [:]
        for (k, value) in state {
            if k.hasPrefix("m.") { m[String(k.dropFirst(2))] = value } else if k.hasPrefix("v.") { v[String(k.dropFirst(2))] = value }
        }
        restore(step: step)
    }
}

/// A learning-rate schedule: a shape over the run, after an optional linear warm-up.
public struct LearningRateSchedule: Sendable, Hashable, CustomStringConvertible {
    public var shape: Schedule
    /// Steps of linear warm-up from lr/warmup to lr (0: none).
    public var warmup: Int

    public init(_ shape: Schedule, warmup: Int = 0) {
        self.shape = shape
        self.warmup = max(0, warmup)
    }

    /// The rate for step `step` (0-based) of `total`: warm-up, then the shape over the rest.
    public func rate(_ base: Double, step: Int, total: Int) -> Double {
        if step < warmup { return base * Double(step + 1) / Double(warmup) }
        return shape.rate(base, step: step - warmup, total: max(total - warmup, 1))
    }

    public var description: String { warmup > 0 ? "\(shape.rawValue) after \(warmup) warm-up steps" : shape.rawValue }
}
