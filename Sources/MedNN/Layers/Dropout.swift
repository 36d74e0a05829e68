import MedKernels
import MedImage
import MedKernels

/// Dropout (PyTorch `nn.Dropout(p)`): in training each value is zeroed with probability `p` and
/// the rest are scaled by 1/(1 − p); in inference it is the identity.
///
/// The mask is a pure function of (`seed`, `calls`, position): value i of the n-th training
/// forward is kept when a 64-bit hash (SplitMix64's finaliser) of those three, as a uniform
/// number in [0, 1), is at least `p`. So a run is reproducible for a seed, whatever the thread
/// count, and a resumed run continues the same sequence once `calls` is restored. (PyTorch's
/// masks come from its own generator; only the distribution and scaling are the same.)
public final class Dropout<T: NNScalar>: Layer {
    public let probability: Double
    public let seed: UInt64
    /// Training forwards so far (the next mask's number); save and restore it to resume.
    public var calls: UInt64 = 0
    public var training = true
    /// Threads over channels.
    public var workers = 1
    private var mask: [T] = []
    /// The last forward was in training (backward applies the mask).
    private var masked = false

    public var parameters: [Parameter<T>] { [] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }
    public func setTraining(_ training: Bool) { self.training = training }

    public init(probability: Double = 0.5, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability <= 1, "dropout probability must be in [0, 1]")
        self.probability = probability
        self.seed = seed
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        masked = training && probability > 0
        guard masked else { return x }
        if mask.count != x.count { mask = [T](repeating: 0, count: x.count) }
        mask.withUnsafeMutableBufferPointer { m in
            dropoutMask(into: m.baseAddress!, count: x.count, probability: probability, seed: seed, call: calls, workers: workers)
        }
        calls &+= 1
        var y = x
        y.data.withUnsafeMutableBufferPointer { ys in
            mask.withUnsafeBufferPointer { m in multiplyElements(ys.baseAddress!, by: m.baseAddress!, count: x.count, workers: workers) }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        guard masked else { return g }
        precondition(g.count == mask.count, "dropout: gradient of the wrong shape")
        var d = g
        d.data.withUnsafeMutableBufferPointer { ds in
            mask.withUnsafeBufferPointer { m in multiplyElements(ds.baseAddress!, by: m.baseAddress!, count: g.count, workers: workers) }
        }
        return d
    }
}

/// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective 64-bit mix.
@inline(__always)
func splitMix64(_ z0: UInt64) -> UInt64 {
    var z = z0 &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Dropout's mask for training forward number `call`: `mask[i]` is 0 with probability `p` and
/// 1/(1 − p) otherwise, from a hash of (seed, call, i). Threads over blocks of 4096 values.
@_specialize(where T == Float)
@_specialize(where T == Double)
func dropoutMask<T: NNScalar>(into mask: UnsafeMutablePointer<T>, count: Int, probability p: Double, seed: UInt64, call: UInt64,
                              workers: Int) {
    let key = splitMix64(seed ^ splitMix64(call))
    let keep: T = p < 1 ? T(1 / (1 - p)) : 0
    let target = SendablePointer(mask), block = 4096
    parallelFor((count + block - 1) / block, workers: workers) { part, _ in
        for i in part * block ..< min(count, (part + 1) * block) {
            let u = Double(splitMix64(key ^ UInt64(i)) >> 11) * 0x1p-53
            target.pointer[i] = u < p ? 0 : keep
        }
    }
}

/// `x[i] *= m[i]`, in blocks of 4096 on threads.
@_specialize(where T == Float)
@_specialize(where T == Double)
func multiplyElements<T: NNScalar>(_ x: UnsafeMutablePointer<T>, by m: UnsafePointer<T>, count: Int, workers: Int) {
    let target = SendablePointer(x), factors = SendableConstPointer(m), block = 4096
    parallelFor((count + block - 1) / block, workers: workers) { part, _ in
        for i in part * block ..< min(count, (part + 1) * block) { target.pointer[i] *= factors.pointer[i] }
    }
}
