import MedKernels
import MedImage
import MedKernels

/// Group normalisation (PyTorch `nn.GroupNorm(groups, channels, eps=1e-5, affine=True)`; Wu &
/// He 2018): each batch item's channels fall into `groups` consecutive groups, and each group
/// is normalised by its own mean and biased variance over its channels and pixels, then scaled
/// and shifted per channel (`weight`, `bias`, initialised to 1 and 0). The same in training and
/// inference (no running statistics).
public final class GroupNorm<T: NNScalar>: Layer {
    public let groups: Int, channels: Int, epsilon: Double
    public let weight: Parameter<T>?, bias: Parameter<T>?
    /// Threads over (batch item, group) pairs.
    public var workers = 1
    var state = NormalisationState<T>()

    public var parameters: [Parameter<T>] { [weight, bias].compactMap { $0 } }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    public init(_ name: String, groups: Int, channels: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        precondition(groups >= 1 && channels % groups == 0, "group norm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        weight = affine ? Parameter(name: name + ".weight", shape: [channels], value: Array(repeating: 1, count: channels)) : nil
        bias = affine ? Parameter(name: name + ".bias", shape: [channels], value: Array(repeating: 0, count: channels)) : nil
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == channels, "group norm expects \(channels) channels, got \(x.channels)")
        return state.forward(x, groups: groups, weight: weight, bias: bias, epsilon: epsilon, workers: workers)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        state.backward(g, groups: groups, weight: weight, bias: bias, workers: workers)
    }
}

/// Instance normalisation (PyTorch `nn.InstanceNorm2d(channels, eps=1e-5, affine=False,
/// track_running_stats=False)`; Ulyanov et al. 2016): each channel of each batch item normalised
/// by its own mean and biased variance, in training and inference alike; with `affine`, a
/// per-channel scale and shift (`weight`, `bias`). Group normalisation with one channel per group.
public final class InstanceNorm2d<T: NNScalar>: Layer {
    public let channels: Int, epsilon: Double
    public let weight: Parameter<T>?, bias: Parameter<T>?
    /// Threads over (batch item, channel) pairs.
    public var workers = 1
    var state = NormalisationState<T>()

    public var parameters: [Parameter<T>] { [weight, bias].compactMap { $0 } }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    public init(_ name: String, channels: Int, epsilon: Double = 1e-5, affine: Bool = false) {
        self.channels = channels
        self.epsilon = epsilon
        weight = affine ? Parameter(name: name + ".weight", shape: [channels], value: Array(repeating: 1, count: channels)) : nil
        bias = affine ? Parameter(name: name + ".bias", shape: [channels], value: Array(repeating: 0, count: channels)) : nil
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == channels, "instance norm expects \(channels) channels, got \(x.channels)")
        return state.forward(x, groups: channels, weight: weight, bias: bias, epsilon: epsilon, workers: workers)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        state.backward(g, groups: channels, weight: weight, bias: bias, workers: workers)
    }
}

/// What a group or instance norm keeps from forward for backward: the normalised input and
/// each (batch item, group)'s 1/σ.
struct NormalisationState<T: NNScalar> {
    var normalised: [T] = []
    var inverseStd: [Double] = []
    var shape = (channels: 0, batch: 0, rows: 0, columns: 0)

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    mutating func forward(_ x: Tensor<T>, groups: Int, weight: Parameter<T>?, bias: Parameter<T>?, epsilon: Double,
                          workers: Int) -> Tensor<T> {
        shape = (x.channels, x.batch, x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: x.rows, columns: x.columns)
        if normalised.count != x.count { normalised = [T](repeating: 0, count: x.count) }
        if inverseStd.count != x.batch * groups { inverseStd = [Double](repeating: 0, count: x.batch * groups) }
        // An empty array's buffer may still have an address: nil is passed for no affine map.
        let gamma = weight?.value ?? [], beta = bias?.value ?? []
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                normalised.withUnsafeMutableBufferPointer { ns in
                    inverseStd.withUnsafeMutableBufferPointer { iv in
                        gamma.withUnsafeBufferPointer { gm in
                            beta.withUnsafeBufferPointer { bt in
                                groupNormForward(xs.baseAddress!, channels: x.channels, batch: x.batch, plane: x.plane, groups: groups,
                                                 gamma: weight == nil ? nil : gm.baseAddress,
                                                 beta: bias == nil ? nil : bt.baseAddress, epsilon: epsilon, into: ys.baseAddress!,
                                                 normalised: ns.baseAddress!, inverseStd: iv.baseAddress!, workers: workers)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    mutating func backward(_ g: Tensor<T>, groups: Int, weight: Parameter<T>?, bias: Parameter<T>?, workers: Int) -> Tensor<T> {
        precondition(g.count == normalised.count && g.channels == shape.channels, "norm: backward before forward or wrong shape")
        var d = Tensor<T>(uninitializedChannels: g.channels, batch: g.batch, rows: g.rows, columns: g.columns)
        // Per (batch item, channel): Σ dy and Σ dy·x̂, for the scale and shift gradients.
        var sums = [Double](repeating: 0, count: 2 * g.batch * g.channels)
        let gamma = weight?.value ?? []
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                normalised.withUnsafeBufferPointer { ns in
                    inverseStd.withUnsafeBufferPointer { iv in
                        gamma.withUnsafeBufferPointer { gm in
                            sums.withUnsafeMutableBufferPointer { ss in
                                groupNormBackward(gs.baseAddress!, normalised: ns.baseAddress!, inverseStd: iv.baseAddress!,
                                                  channels: g.channels, batch: g.batch, plane: g.plane, groups: groups,
                                                  gamma: weight == nil ? nil : gm.baseAddress, into: ds.baseAddress!, sums: ss.baseAddress!, workers: workers)
                            }
                        }
                    }
                }
            }
        }
        // Added in batch order, whatever the thread count.
        for c in 0 ..< g.channels {
            var sg = 0.0, sgx = 0.0
            for b in 0 ..< g.batch {
                sg += sums[2 * (b * g.channels + c)]
                sgx += sums[2 * (b * g.channels + c) + 1]
            }
            weight?.gradient[c] += T(sgx)
            bias?.gradient[c] += T(sg)
        }
        return d
    }
}

/// Group normalisation of `x` (`[channels, batch, plane]`): each (batch item, group) normalised
/// by its mean and biased variance (double-precision sums), then `gamma[c]·x̂ + beta[c]` (nil:
/// 1 and 0). Keeps x̂ in `normalised` and 1/√(σ² + ε) in `inverseStd[b·groups + group]`.
@_specialize(where T == Float)
@_specialize(where T == Double)
func groupNormForward<T: NNScalar>(_ x: UnsafePointer<T>, channels: Int, batch: Int, plane: Int, groups: Int,
                                   gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?, epsilon: Double,
                                   into y: UnsafeMutablePointer<T>, normalised: UnsafeMutablePointer<T>,
                                   inverseStd: UnsafeMutablePointer<Double>, workers: Int) {
    let per = channels / groups, n = Double(per * plane)
    let source = SendableConstPointer(x), target = SendablePointer(y), norms = SendablePointer(normalised)
    let inverses = SendablePointer(inverseStd)
    let scale = gamma.map { SendableConstPointer($0) }, shift = beta.map { SendableConstPointer($0) }
    parallelFor(batch * groups, workers: workers) { job, _ in
        let b = job / groups, group = job % groups
        var total = 0.0
        for c in group * per ..< (group + 1) * per {
            let row = source.pointer + (c * batch + b) * plane
            total += BatchNorm2d<T>.sum(row, plane) { Double($0) }
        }
        let mean = total / n
        var squares = 0.0
        for c in group * per ..< (group + 1) * per {
            let row = source.pointer + (c * batch + b) * plane
            squares += BatchNorm2d<T>.sum(row, plane) { let d = Double($0) - mean; return d * d }
        }
        let inv = 1 / (squares / n + epsilon).squareRoot()
        inverses.pointer[job] = inv
        let m = T(mean), iv = T(inv)
        for c in group * per ..< (group + 1) * per {
            let at = (c * batch + b) * plane
            let row = source.pointer + at, out = target.pointer + at, normal = norms.pointer + at
            let a = scale.map { $0.pointer[c] } ?? 1, s = shift.map { $0.pointer[c] } ?? 0
            for i in 0 ..< plane {
                let v = (row[i] - m) * iv
                normal[i] = v
                out[i] = a * v + s
            }
        }
    }
}

/// The input gradient of group normalisation (every value written):
/// dx = (1/σ)·(γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) over each (batch item, group); and per
/// (batch item, channel) Σ dy and Σ dy·x̂ into `sums` (`[batch, channels, 2]`).
@_specialize(where T == Float)
@_specialize(where T == Double)
func groupNormBackward<T: NNScalar>(_ g: UnsafePointer<T>, normalised: UnsafePointer<T>, inverseStd: UnsafePointer<Double>,
                                    channels: Int, batch: Int, plane: Int, groups: Int, gamma: UnsafePointer<T>?,
                                    into dx: UnsafeMutablePointer<T>, sums: UnsafeMutablePointer<Double>, workers: Int) {
    let per = channels / groups, n = Double(per * plane)
    let grad = SendableConstPointer(g), norms = SendableConstPointer(normalised), inverses = SendableConstPointer(inverseStd)
    let target = SendablePointer(dx), out = SendablePointer(sums), scale = gamma.map { SendableConstPointer($0) }
    parallelFor(batch * groups, workers: workers) { job, _ in
        let b = job / groups, group = job % groups
        var meanG = 0.0, meanGX = 0.0
        for c in group * per ..< (group + 1) * per {
            let at = (c * batch + b) * plane
            let dy = grad.pointer + at, normal = norms.pointer + at
            var lanes = SIMD8<Double>(), crossLanes = SIMD8<Double>()
            var i = 0
            while i + 8 <= plane {
                for l in 0 ..< 8 {
                    lanes[l] += Double(dy[i + l])
                    crossLanes[l] += Double(dy[i + l]) * Double(normal[i + l])
                }
                i += 8
            }
            var sg = lanes.sum(), sgx = crossLanes.sum()
            while i < plane {
                sg += Double(dy[i])
                sgx += Double(dy[i]) * Double(normal[i])
                i += 1
            }
            out.pointer[2 * (b * channels + c)] = sg
            out.pointer[2 * (b * channels + c) + 1] = sgx
            let a = scale.map { Double($0.pointer[c]) } ?? 1
            meanG += a * sg
            meanGX += a * sgx
        }
        meanG /= n
        meanGX /= n
        let inv = inverses.pointer[job]
        for c in group * per ..< (group + 1) * per {
            let at = (c * batch + b) * plane
            let dy = grad.pointer + at, normal = norms.pointer + at, d = target.pointer + at
            let a = scale.map { Double($0.pointer[c]) } ?? 1
            let k1 = T(inv * a), k2 = T(inv * meanG), k3 = T(inv * meanGX)
            for i in 0 ..< plane { d[i] = k1 * dy[i] - k2 - normal[i] * k3 }
        }
    }
}
