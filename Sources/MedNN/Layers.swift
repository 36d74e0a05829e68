import MedImage
/// Layers beyond convolution: activations, normalisation, pooling, dense, and composition.
/// Each keeps what its backward needs from the last forward.
import MedKernels

/// Layers run in order (PyTorch `nn.Sequential`).
public final class Sequential<T: NNScalar>: Layer {
    public let layers: [any Layer<T>]
    public init(_ layers: [any Layer<T>]) { self.layers = layers }
    public var parameters: [Parameter<T>] { layers.flatMap { $0.parameters } }
    public func forward(_ x: Tensor<T>) -> Tensor<T> { layers.reduce(x) { $1.forward($0) } }
    public func backward(_ g: Tensor<T>) -> Tensor<T> { layers.reversed().reduce(g) { $1.backward($0) } }
    public func setWorkers(_ n: Int) { for l in layers { l.setWorkers(n) } }
    /// Also, in inference, lets each single-precision stride-1 convolution that is followed by
    /// batch norm take the norm's affine map into its weights (the norm then passes its input
    /// through): one pass over the activations less per pair; back in training, undone.
    public func setTraining(_ training: Bool) {
        for l in layers { l.setTraining(training) }
        for (a, b) in zip(layers, layers.dropFirst()) {
            guard let conv = a as? Conv2d<T>, let norm = b as? BatchNorm2d<T> else { continue }
            let fold = !training && conv.direct
            conv.foldedNorm = fold ? norm : nil
            norm.folded = fold
        }
    }
}

/// `x + body(x)` (a residual connection).
public final class Residual<T: NNScalar>: Layer {
    public let body: any Layer<T>
    public init(_ body: any Layer<T>) { self.body = body }
    public var parameters: [Parameter<T>] { body.parameters }
    public func setWorkers(_ n: Int) { body.setWorkers(n) }
    public func setTraining(_ training: Bool) { body.setTraining(training) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = body.forward(x)
        precondition(y.count == x.count, "residual: the body changed the shape")
        Self.add(x.data, into: &y.data)
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = body.backward(g)
        Self.add(g.data, into: &d.data)
        return d
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func add(_ a: [T], into b: inout [T]) {
        precondition(a.count == b.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in
                for i in 0 ..< b.count { b[i] += a[i] }
            }
        }
    }
}

/// Depthwise convolution (PyTorch `nn.Conv2d(C, C, k, stride, padding, groups=C)`, weights
/// `[C, 1, k, k]`): direct loops, one channel per task, the inner loop over contiguous columns.
public final class DepthwiseConv2d<T: NNScalar>: Layer {
    public let channels: Int, kernel: Int, stride: Int, padding: Int
    public let weight: Parameter<T>
    public let bias: Parameter<T>?
    public var workers = 1
    private var input: Tensor<T>?

    public var parameters: [Parameter<T>] { bias.map { [weight, $0] } ?? [weight] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    /// PyTorch's default initialisation: uniform in ±1/√(k²) (fan-in of one group).
    public init(_ name: String, channels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil, bias: Bool = true,
                rng: inout some RandomNumberGenerator) {
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding ?? kernel / 2
        let bound = 1 / Double(kernel * kernel).squareRoot()
        weight = Parameter(name: name + ".weight", shape: [channels, 1, kernel, kernel],
                           value: (0 ..< channels * kernel * kernel).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) })
        self.bias = bias ? Parameter(name: name + ".bias", shape: [channels],
                                     value: (0 ..< channels).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }) : nil
    }

    var geometry: ConvolutionGeometry { ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding) }
    public func outputSize(_ n: Int) -> Int { geometry.outputSize(n) }

    @inline(__always)
    func validColumns(_ kx: Int, columns: Int, outColumns: Int) -> (Int, Int) {
        geometry.validColumns(kx, columns: columns, outColumns: outColumns)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == channels, "depthwise conv expects \(channels) channels, got \(x.channels)")
        input = x
        let oh = outputSize(x.rows), ow = outputSize(x.columns), k = kernel, s = stride, p = padding
        var out = Tensor<T>(channels: channels, batch: x.batch, rows: oh, columns: ow)
        let cols = x.columns
        out.data.withUnsafeMutableBufferPointer { o in
            x.data.withUnsafeBufferPointer { xs in
                let dst = SendablePointer(o.baseAddress!), src = SendableConstPointer(xs.baseAddress!)
                weight.value.withUnsafeBufferPointer { w in
                    let ws = SendableConstPointer(w.baseAddress!)
                    parallelFor(channels, workers: workers) { c, _ in
                        let b0 = bias?.value[c] ?? 0
                        for b in 0 ..< x.batch {
                            let outPlane = dst.pointer + (c * x.batch + b) * oh * ow
                            let inPlane = src.pointer + (c * x.batch + b) * x.plane
                            if T.self == Float.self {
                                // The C kernel (AVX-512/AVX2 copies), same summation order.
                                let bf = b0 as! Float
                                Kernels.depthwisePlane(UnsafeRawPointer(inPlane).assumingMemoryBound(to: Float.self), rows: x.rows, columns: cols,
                                                       weight: UnsafeRawPointer(ws.pointer + c * k * k).assumingMemoryBound(to: Float.self),
                                                       k: k, stride: s, padding: p, bias: bf,
                                                       into: UnsafeMutableRawPointer(outPlane).assumingMemoryBound(to: Float.self),
                                                       oh: oh, ow: ow)
                                continue
                            }
                            // Row by row, all k² taps on one output row while it is in L1
                            // (each output sums its taps in (ky, kx) order, from the bias).
                            for oy in 0 ..< oh {
                                let line = outPlane + oy * ow
                                line.update(repeating: b0, count: ow)
                                for ky in 0 ..< k {
                                    let sy = oy * s + ky - p
                                    guard sy >= 0 && sy < x.rows else { continue }
                                    for kx in 0 ..< k {
                                        let wv = ws.pointer[(c * k + ky) * k + kx]
                                        let (x0, x1) = validColumns(kx, columns: cols, outColumns: ow)
                                        guard x0 < x1 else { continue }
                                        let from = inPlane + sy * cols + kx - p
                                        if s == 1 {
                                            for ox in x0 ..< x1 { line[ox] += wv * from[ox] }
                                        } else {
                                            for ox in x0 ..< x1 { line[ox] += wv * from[ox * s] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        guard let x = input else { preconditionFailure("backward before forward") }
        let oh = g.rows, ow = g.columns, k = kernel, s = stride, p = padding, cols = x.columns
        var dx = Tensor<T>(channels: channels, batch: x.batch, rows: x.rows, columns: x.columns)
        var dw = [T](repeating: 0, count: channels * k * k), db = [T](repeating: 0, count: channels)
        dx.data.withUnsafeMutableBufferPointer { d in
            dw.withUnsafeMutableBufferPointer { dwp in
                db.withUnsafeMutableBufferPointer { dbp in
                    x.data.withUnsafeBufferPointer { xs in
                        g.data.withUnsafeBufferPointer { gs in
                            weight.value.withUnsafeBufferPointer { w in
                                let dxs = SendablePointer(d.baseAddress!), dws = SendablePointer(dwp.baseAddress!)
                                let dbs = SendablePointer(dbp.baseAddress!)
                                let src = SendableConstPointer(xs.baseAddress!), gp = SendableConstPointer(gs.baseAddress!)
                                let ws = SendableConstPointer(w.baseAddress!)
                                parallelFor(channels, workers: workers) { c, _ in
                                    for b in 0 ..< x.batch {
                                        let gPlane = gp.pointer + (c * x.batch + b) * oh * ow
                                        let inPlane = src.pointer + (c * x.batch + b) * x.plane
                                        let dPlane = dxs.pointer + (c * x.batch + b) * x.plane
                                        var sum: T = 0
                                        for i in 0 ..< oh * ow { sum += gPlane[i] }
                                        dbs.pointer[c] += sum
                                        for ky in 0 ..< k { for kx in 0 ..< k {
                                            let wv = ws.pointer[(c * k + ky) * k + kx]
                                            let (x0, x1) = validColumns(kx, columns: cols, outColumns: ow)
                                            guard x0 < x1 else { continue }
                                            var acc: T = 0
                                            for oy in 0 ..< oh {
                                                let sy = oy * s + ky - p
                                                guard sy >= 0 && sy < x.rows else { continue }
                                                let line = gPlane + oy * ow, from = inPlane + sy * cols + kx - p
                                                let to = dPlane + sy * cols + kx - p
                                                if s == 1 {
                                                    for ox in x0 ..< x1 { acc += line[ox] * from[ox]; to[ox] += wv * line[ox] }
                                                } else {
                                                    for ox in x0 ..< x1 { acc += line[ox] * from[ox * s]; to[ox * s] += wv * line[ox] }
                                                }
                                            }
                                            dws.pointer[(c * k + ky) * k + kx] += acc
                                        } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in dw.indices { weight.gradient[i] += dw[i] }
        if let bias { for c in 0 ..< channels { bias.gradient[c] += db[c] } }
        return dx
    }
}

/// PReLU (PyTorch `nn.PReLU(num_parameters)`): x for x > 0, a·x otherwise, with one slope per
/// channel (or one for all when `count` is 1), initialised to 0.25.
public final class PReLU<T: NNScalar>: Layer {
    public let weight: Parameter<T>
    private var input: Tensor<T>?
    public var parameters: [Parameter<T>] { [weight] }
    /// Threads over channels.
    public var workers = 1
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    public init(_ name: String, count: Int) {
        weight = Parameter(name: name + ".weight", shape: [count], value: Array(repeating: 0.25, count: count))
    }

    func slope(_ c: Int) -> T { weight.value[weight.value.count == 1 ? 0 : c] }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(weight.value.count == 1 || weight.value.count == x.channels)
        input = x
        // Written straight from the input (no copy first), as a select rather than a branch on
        // each value's sign, which mispredicts half the time and keeps the loop scalar.
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: x.rows, columns: x.columns)
        let n = x.batch * x.plane
        let slopes = (0 ..< x.channels).map(slope)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { d in
                let source = SendableConstPointer(xs.baseAddress!), target = SendablePointer(d.baseAddress!)
                parallelFor(x.channels, workers: workers) { c, _ in
                    let a = slopes[c], from = source.pointer + c * n, to = target.pointer + c * n
                    for i in 0 ..< n {
                        let v = from[i]
                        to[i] = v < 0 ? v * a : v
                    }
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        guard let x = input else { preconditionFailure("backward before forward") }
        var d = Tensor<T>(uninitializedChannels: g.channels, batch: g.batch, rows: g.rows, columns: g.columns)
        let n = x.batch * x.plane
        let slopes = (0 ..< x.channels).map(slope)
        // Each channel's slope gradient on its own (threads), added in channel order below.
        var partial = [T](repeating: 0, count: x.channels)
        x.data.withUnsafeBufferPointer { xs in
            g.data.withUnsafeBufferPointer { gs in
                d.data.withUnsafeMutableBufferPointer { ds in
                    partial.withUnsafeMutableBufferPointer { ps in
                        let input = SendableConstPointer(xs.baseAddress!), grad = SendableConstPointer(gs.baseAddress!)
                        let out = SendablePointer(ds.baseAddress!), sums = SendablePointer(ps.baseAddress!)
                        parallelFor(x.channels, workers: workers) { c, _ in
                            let a = slopes[c], xc = input.pointer + c * n, gc = grad.pointer + c * n, dc = out.pointer + c * n
                            // Eight running sums for the slope's gradient (one would be a chain of
                            // dependent adds), added in order at the end.
                            var lanes = SIMD8<T>()
                            var i = 0
                            while i + 8 <= n {
                                for l in 0 ..< 8 {
                                    let v = xc[i + l], gv = gc[i + l]
                                    lanes[l] += v < 0 ? gv * v : 0
                                    dc[i + l] = v < 0 ? gv * a : gv
                                }
                                i += 8
                            }
                            var da = lanes.sum()
                            while i < n {
                                let v = xc[i], gv = gc[i]
                                da += v < 0 ? gv * v : 0
                                dc[i] = v < 0 ? gv * a : gv
                                i += 1
                            }
                            sums.pointer[c] = da
                        }
                    }
                }
            }
        }
        for c in 0 ..< x.channels { weight.gradient[weight.value.count == 1 ? 0 : c] += partial[c] }
        return d
    }
}

/// LeakyReLU (PyTorch `nn.LeakyReLU(slope)`).
public final class LeakyReLU<T: NNScalar>: Layer {
    public let slope: T
    private var input: [T] = []
    public var parameters: [Parameter<T>] { [] }
    public init(slope: T = 0.2) { self.slope = slope }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        input = x.data
        var y = x
        for i in y.data.indices where y.data[i] < 0 { y.data[i] *= slope }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = g
        for i in d.data.indices where input[i] < 0 { d.data[i] *= slope }
        return d
    }
}

/// The logistic sigmoid, element by element.
public final class Sigmoid<T: NNScalar>: Layer {
    private var output: [T] = []
    public var parameters: [Parameter<T>] { [] }
    public init() {}

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = x
        for i in y.data.indices { y.data[i] = 1 / (1 + T.exp(-y.data[i])) }
        output = y.data
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = g
        for i in d.data.indices { d.data[i] *= output[i] * (1 - output[i]) }
        return d
    }
}

/// `a·x + b` with constants (e.g. `(tanh(x) + 1) / 2` is Tanh then Affine(0.5, 0.5)).
public final class Affine<T: NNScalar>: Layer {
    public let a: T, b: T
    public var parameters: [Parameter<T>] { [] }
    public init(_ a: T, _ b: T) { (self.a, self.b) = (a, b) }
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = x
        for i in y.data.indices { y.data[i] = a * y.data[i] + b }
        return y
    }
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = g
        for i in d.data.indices { d.data[i] *= a }
        return d
    }
}

/// Batch normalisation (PyTorch `nn.BatchNorm2d`, eps 1e-5, momentum 0.1): in training mode
/// each channel is normalised by its batch mean and biased variance, and the running mean and
/// unbiased variance are updated; in evaluation mode the running statistics are used. The
/// state dict has `weight`, `bias`, `running_mean`, `running_var` and `num_batches_tracked`.
public final class BatchNorm2d<T: NNScalar>: Layer {
    public let weight: Parameter<T>, bias: Parameter<T>
    public let runningMean: Parameter<T>, runningVar: Parameter<T>, batchesTracked: Parameter<T>
    public var training = true
    public let epsilon = 1e-5, momentum = 0.1
    private var normalised: [T] = []
    private var inverseStd: [Double] = []

    public var parameters: [Parameter<T>] { [weight, bias, runningMean, runningVar, batchesTracked] }
    public func setTraining(_ training: Bool) { self.training = training }
    /// Taken into the preceding convolution (inference): forward passes its input through.
    var folded = false
    /// Threads over channels.
    public var workers = 1
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    /// The evaluation-mode map y = scale · x + shift, per channel, from the running statistics.
    func affine() -> (scale: [Double], shift: [Double]) {
        let channels = weight.value.count
        var scale = [Double](repeating: 0, count: channels), shift = scale
        for c in 0 ..< channels {
            let inv = 1 / (Double(runningVar.value[c]) + epsilon).squareRoot()
            scale[c] = Double(weight.value[c]) * inv
            shift[c] = Double(bias.value[c]) - Double(runningMean.value[c]) * Double(weight.value[c]) * inv
        }
        return (scale, shift)
    }

    public init(_ name: String, channels: Int) {
        weight = Parameter(name: name + ".weight", shape: [channels], value: Array(repeating: 1, count: channels))
        bias = Parameter(name: name + ".bias", shape: [channels], value: Array(repeating: 0, count: channels))
        runningMean = Parameter(name: name + ".running_mean", shape: [channels], value: Array(repeating: 0, count: channels), buffer: true)
        runningVar = Parameter(name: name + ".running_var", shape: [channels], value: Array(repeating: 1, count: channels), buffer: true)
        batchesTracked = Parameter(name: name + ".num_batches_tracked", shape: [], value: [0], buffer: true, integer: true)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        if folded { return x }
        let n = x.batch * x.plane, channels = x.channels
        precondition(channels == weight.value.count, "batch norm expects \(weight.value.count) channels, got \(channels)")
        var y = Tensor<T>(uninitializedChannels: channels, batch: x.batch, rows: x.rows, columns: x.columns)
        if inverseStd.count != channels { inverseStd = Array(repeating: 0, count: channels) }
        if normalised.count != x.count { normalised = Array(repeating: 0, count: x.count) }
        var inverse = inverseStd
        inverseStd = []
        var norm = normalised
        normalised = []
        // Per channel, on threads: statistics into locals, written back after.
        let gamma = weight.value, beta = bias.value, training = training, epsilon = epsilon, momentum = momentum
        var means = runningMean.value, variances = runningVar.value
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                norm.withUnsafeMutableBufferPointer { ns in
                    means.withUnsafeMutableBufferPointer { rm in
                        variances.withUnsafeMutableBufferPointer { rv in
                            inverse.withUnsafeMutableBufferPointer { iv in
                                let input = SendableConstPointer(xs.baseAddress!), output = SendablePointer(ys.baseAddress!)
                                let normals = SendablePointer(ns.baseAddress!), meanOut = SendablePointer(rm.baseAddress!)
                                let varOut = SendablePointer(rv.baseAddress!), invOut = SendablePointer(iv.baseAddress!)
                                parallelFor(channels, workers: workers) { c, _ in
                                    let row = input.pointer + c * n
                                    let mean: Double, variance: Double
                                    if training {
                                        mean = Self.sum(row, n) { Double($0) } / Double(n)
                                        let v = Self.sum(row, n) { let d = Double($0) - mean; return d * d }
                                        variance = v / Double(n)
                                        meanOut.pointer[c] = T((1 - momentum) * Double(meanOut.pointer[c]) + momentum * mean)
                                        varOut.pointer[c] = T((1 - momentum) * Double(varOut.pointer[c]) + momentum * v / Double(max(n - 1, 1)))
                                    } else {
                                        mean = Double(meanOut.pointer[c])
                                        variance = Double(varOut.pointer[c])
                                    }
                                    let inv = 1 / (variance + epsilon).squareRoot()
                                    invOut.pointer[c] = inv
                                    let scale = T(Double(gamma[c]) * inv), shift = T(Double(beta[c]) - mean * Double(gamma[c]) * inv)
                                    let m = T(mean), iv = T(inv)
                                    let out = output.pointer + c * n, normal = normals.pointer + c * n
                                    for i in 0 ..< n {
                                        out[i] = row[i] * scale + shift
                                        normal[i] = (row[i] - m) * iv
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            runningMean.value = means
            runningVar.value = variances
        }
        inverseStd = inverse
        normalised = norm
        if training { batchesTracked.value[0] += 1 }
        return y
    }

    /// Σ f(values[i]) in double precision, in eight running sums (one would be a chain of
    /// dependent adds) added in order at the end.
    @inline(__always)
    static func sum(_ values: UnsafePointer<T>, _ n: Int, _ f: (T) -> Double) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            for l in 0 ..< 8 { lanes[l] += f(values[i + l]) }
            i += 8
        }
        var total = lanes.sum()
        while i < n {
            total += f(values[i])
            i += 1
        }
        return total
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        precondition(!folded, "backward through a network in inference mode (batch norm folded): call setTraining(true) first")
        let n = g.batch * g.plane
        var d = Tensor<T>(uninitializedChannels: g.channels, batch: g.batch, rows: g.rows, columns: g.columns)
        let gammas = weight.value, inverses = inverseStd, training = training
        var sums = [Double](repeating: 0, count: 2 * g.channels)
        g.data.withUnsafeBufferPointer { gs in
            normalised.withUnsafeBufferPointer { ns in
                d.data.withUnsafeMutableBufferPointer { ds in
                  sums.withUnsafeMutableBufferPointer { ss in
                    let grads = SendableConstPointer(gs.baseAddress!), normals = SendableConstPointer(ns.baseAddress!)
                    let outs = SendablePointer(ds.baseAddress!), sumOut = SendablePointer(ss.baseAddress!)
                    parallelFor(g.channels, workers: workers) { c, _ in
                        let gamma = Double(gammas[c]), inv = inverses[c]
                        let grad = grads.pointer + c * n, normal = normals.pointer + c * n, out = outs.pointer + c * n
                        var lanes = SIMD8<Double>(), crossLanes = SIMD8<Double>()
                        var i = 0
                        while i + 8 <= n {
                            for l in 0 ..< 8 {
                                lanes[l] += Double(grad[i + l])
                                crossLanes[l] += Double(grad[i + l]) * Double(normal[i + l])
                            }
                            i += 8
                        }
                        var sg = lanes.sum(), sgx = crossLanes.sum()
                        while i < n {
                            sg += Double(grad[i])
                            sgx += Double(grad[i]) * Double(normal[i])
                            i += 1
                        }
                        sumOut.pointer[2 * c] = sg
                        sumOut.pointer[2 * c + 1] = sgx
                        if !training {
                            // Running statistics are constants: the layer is an affine map.
                            let k = T(gamma * inv)
                            for i in 0 ..< n { out[i] = grad[i] * k }
                            return
                        }
                        let k = gamma * inv / Double(n)
                        let a = T(k * Double(n)), b = T(k * sg), e = T(k * sgx)
                        for i in 0 ..< n { out[i] = a * grad[i] - b - normal[i] * e }
                    }
                  }
                }
            }
        }
        for c in 0 ..< g.channels {
            weight.gradient[c] += T(sums[2 * c + 1])
            bias.gradient[c] += T(sums[2 * c])
        }
        return d
    }
}

/// A dense layer (PyTorch `nn.Linear(in, out)` after `nn.Flatten()`): each batch item's input
/// is flattened in NCHW order (channel, row, column); the output is `[out, B, 1, 1]`.
public final class Linear<T: NNScalar>: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter<T>, bias: Parameter<T>
    private var flat: [T] = []
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)
    public var parameters: [Parameter<T>] { [weight, bias] }

    public init(_ name: String, in inFeatures: Int, out outFeatures: Int, rng: inout some RandomNumberGenerator) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Double(inFeatures).squareRoot()
        weight = Parameter(name: name + ".weight", shape: [outFeatures, inFeatures],
                           value: (0 ..< outFeatures * inFeatures).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) })
        bias = Parameter(name: name + ".bias", shape: [outFeatures],
                         value: (0 ..< outFeatures).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) })
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels * x.plane == inFeatures, "linear expects \(inFeatures) features, got \(x.channels * x.plane)")
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        let b = x.batch, p = x.plane
        flat = Array(repeating: 0, count: b * inFeatures)
        for c in 0 ..< x.channels { for bb in 0 ..< b { for i in 0 ..< p {
            flat[bb * inFeatures + c * p + i] = x.data[(c * b + bb) * p + i]
        } } }
        var y = [T](repeating: 0, count: b * outFeatures)
        for bb in 0 ..< b { for o in 0 ..< outFeatures { y[bb * outFeatures + o] = bias.value[o] } }
        flat.withUnsafeBufferPointer { xs in weight.value.withUnsafeBufferPointer { w in y.withUnsafeMutableBufferPointer { ys in
            T.gemm(transA: false, transB: true, m: b, n: outFeatures, k: inFeatures, alpha: 1, a: xs.baseAddress!, lda: inFeatures,
                   b: w.baseAddress!, ldb: inFeatures, beta: 1, c: ys.baseAddress!, ldc: outFeatures)
        } } }
        var out = Tensor<T>(channels: outFeatures, batch: b, rows: 1, columns: 1)
        for bb in 0 ..< b { for o in 0 ..< outFeatures { out.data[o * b + bb] = y[bb * outFeatures + o] } }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let b = g.batch
        var dy = [T](repeating: 0, count: b * outFeatures)
        for bb in 0 ..< b { for o in 0 ..< outFeatures {
            dy[bb * outFeatures + o] = g.data[o * b + bb]
            bias.gradient[o] += g.data[o * b + bb]
        } }
        var dflat = [T](repeating: 0, count: b * inFeatures)
        dy.withUnsafeBufferPointer { d in
            flat.withUnsafeBufferPointer { xs in weight.gradient.withUnsafeMutableBufferPointer { dw in
                T.gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: b, alpha: 1, a: d.baseAddress!, lda: outFeatures,
                       b: xs.baseAddress!, ldb: inFeatures, beta: 1, c: dw.baseAddress!, ldc: inFeatures)
            } }
            weight.value.withUnsafeBufferPointer { w in dflat.withUnsafeMutableBufferPointer { dx in
                T.gemm(transA: false, transB: false, m: b, n: inFeatures, k: outFeatures, alpha: 1, a: d.baseAddress!, lda: outFeatures,
                       b: w.baseAddress!, ldb: inFeatures, beta: 0, c: dx.baseAddress!, ldc: inFeatures)
            } }
        }
        let s = inputShape
        var d = Tensor<T>(channels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        let p = s.rows * s.columns
        for c in 0 ..< s.channels { for bb in 0 ..< b { for i in 0 ..< p {
            d.data[(c * b + bb) * p + i] = dflat[bb * inFeatures + c * p + i]
        } } }
        return d
    }
}

/// ReLU, element by element.
public final class ReLU<T: NNScalar>: Layer {
    private var input: [T] = []
    public var parameters: [Parameter<T>] { [] }
    public init() {}

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        input = x.data
        var y = x
        for i in y.data.indices where y.data[i] < 0 { y.data[i] = 0 }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = g
        for i in d.data.indices where input[i] <= 0 { d.data[i] = 0 }
        return d
    }
}

