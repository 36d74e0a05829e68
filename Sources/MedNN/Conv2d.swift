/// 2-D convolution (PyTorch `nn.Conv2d`, stride 1, zero padding `padding`, weights OIHW).
///
/// im2col + GEMM in bands of image rows: each band's columns (`C·k·k × rows·W`, about 2048
/// output positions) stay in cache and are rebuilt in backward instead of being stored, so
/// memory does not grow with the image (a 256² inference needs no 150 MB column matrix).
public final class Conv2d<T: NNScalar>: Layer {
    public let inChannels: Int, outChannels: Int, kernel: Int, padding: Int
    public let weight: Parameter<T>
    public let bias: Parameter<T>
    private var input: Tensor<T>?
    private var buffer: [T] = []
    private var dcol: [T] = []
    /// Each band's columns from the last forward, reused by backward (training); off for
    /// inference, where nothing flows back.
    public var keepsColumns = true
    private var saved: [[T]] = []

    public var parameters: [Parameter<T>] { [weight, bias] }

    /// PyTorch's default initialisation: weights and bias uniform in ±1/√(in·k²)
    /// (kaiming_uniform with a = √5), drawn from `rng`.
    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, padding: Int? = nil,
                rng: inout some RandomNumberGenerator) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.padding = padding ?? kernel / 2
        let fanIn = inChannels * kernel * kernel
        let bound = 1 / Double(fanIn).squareRoot()
        let w = (0 ..< outChannels * fanIn).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }
        let b = (0 ..< outChannels).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }
        weight = Parameter(name: name + ".weight", shape: [outChannels, inChannels, kernel, kernel], value: w)
        bias = Parameter(name: name + ".bias", shape: [outChannels], value: b)
    }

    /// Bands of image rows of about `target` output positions: (batch item, first row, rows).
    func bands(_ x: Tensor<T>, target: Int = 2048) -> [(b: Int, y0: Int, y1: Int)] {
        let step = max(1, target / x.columns)
        var out = [(Int, Int, Int)]()
        for b in 0 ..< x.batch { for y0 in Swift.stride(from: 0, to: x.rows, by: step) { out.append((b, y0, min(x.rows, y0 + step))) } }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == inChannels, "conv expects \(inChannels) channels, got \(x.channels)")
        input = x
        let hw = x.batch * x.plane, k = inChannels * kernel * kernel
        var out = Tensor<T>(channels: outChannels, batch: x.batch, rows: x.rows, columns: x.columns)
        for c in 0 ..< outChannels { let b = bias.value[c]; for i in 0 ..< hw { out.data[c * hw + i] = b } }
        let allBands = bands(x)
        if keepsColumns {
            // One buffer per band, reused from step to step (swapped in, never copied).
            if saved.count > allBands.count { saved.removeLast(saved.count - allBands.count) }
            while saved.count < allBands.count { saved.append([]) }
        } else {
            saved.removeAll()
        }
        for (band, (b, y0, y1)) in allBands.enumerated() {
            let n = (y1 - y0) * x.columns, j0 = b * x.plane + y0 * x.columns
            if keepsColumns { swap(&buffer, &saved[band]) }
            defer { if keepsColumns { swap(&buffer, &saved[band]) } }
            im2col(x, b, y0, y1)
            out.data.withUnsafeMutableBufferPointer { o in
                weight.value.withUnsafeBufferPointer { w in
                    buffer.withUnsafeBufferPointer { col in
                        T.gemm(transA: false, transB: false, m: outChannels, n: n, k: k, alpha: 1, a: w.baseAddress!, lda: k,
                               b: col.baseAddress!, ldb: n, beta: 1, c: o.baseAddress! + j0, ldc: hw)
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
        let hw = x.batch * x.plane, k = inChannels * kernel * kernel
        g.data.withUnsafeBufferPointer { dy in
            for c in 0 ..< outChannels {
                var s: T = 0
                for i in 0 ..< hw { s += dy[c * hw + i] }
                bias.gradient[c] += s
            }
        }
        var dx = Tensor<T>(channels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
        for (band, (b, y0, y1)) in bands(x).enumerated() {
            let n = (y1 - y0) * x.columns, j0 = b * x.plane + y0 * x.columns
            if band < saved.count { swap(&buffer, &saved[band]) } else { im2col(x, b, y0, y1) }
            defer { if band < saved.count { swap(&buffer, &saved[band]) } }
            if dcol.count < k * n { dcol = Array(repeating: 0, count: k * n) }
            g.data.withUnsafeBufferPointer { dy in
                buffer.withUnsafeBufferPointer { col in
                    weight.gradient.withUnsafeMutableBufferPointer { dw in
                        // dW[O, K] += dY[O, band] · col[K, band]ᵀ
                        T.gemm(transA: false, transB: true, m: outChannels, n: k, k: n, alpha: 1, a: dy.baseAddress! + j0, lda: hw,
                               b: col.baseAddress!, ldb: n, beta: 1, c: dw.baseAddress!, ldc: k)
                    }
                }
                weight.value.withUnsafeBufferPointer { w in
                    dcol.withUnsafeMutableBufferPointer { dc in
                        // dcol[K, band] = Wᵀ[K, O] · dY[O, band]
                        T.gemm(transA: true, transB: false, m: k, n: n, k: outChannels, alpha: 1, a: w.baseAddress!, lda: k,
                               b: dy.baseAddress! + j0, ldb: hw, beta: 0, c: dc.baseAddress!, ldc: n)
                    }
                }
            }
            col2im(into: &dx, b, y0, y1)
        }
        return dx
    }

    /// `buffer[C·k·k, band]`: row (c, ky, kx), column (y, x) of the band holds
    /// x[c, b, y+ky−p, x+kx−p], or 0 outside the image.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func im2col(_ x: Tensor<T>, _ b: Int, _ y0: Int, _ y1: Int) {
        let cols = x.columns, n = (y1 - y0) * cols, p = padding, kk = kernel
        if buffer.count < inChannels * kk * kk * n { buffer = Array(repeating: 0, count: inChannels * kk * kk * n) }
        x.data.withUnsafeBufferPointer { src in
            buffer.withUnsafeMutableBufferPointer { dst in
                for c in 0 ..< inChannels {
                    let plane = (c * x.batch + b) * x.plane
                    for ky in 0 ..< kk { for kx in 0 ..< kk {
                        let row = ((c * kk + ky) * kk + kx) * n
                        let x0 = max(0, p - kx), x1 = min(cols, cols + p - kx)
                        let d = dst.baseAddress!, s = src.baseAddress!
                        for y in y0 ..< y1 {
                            let sy = y + ky - p, line = d + row + (y - y0) * cols
                            guard sy >= 0 && sy < x.rows && x0 < x1 else {
                                line.update(repeating: 0, count: cols)
                                continue
                            }
                            if x0 > 0 { line.update(repeating: 0, count: x0) }
                            (line + x0).update(from: s + plane + sy * cols + kx - p + x0, count: x1 - x0)
                            if x1 < cols { (line + x1).update(repeating: 0, count: cols - x1) }
                        }
                    } }
                }
            }
        }
    }

    /// The adjoint of `im2col` for one band: adds `dcol` back into the input positions.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func col2im(into dx: inout Tensor<T>, _ b: Int, _ y0: Int, _ y1: Int) {
        let cols = dx.columns, n = (y1 - y0) * cols, p = padding, kk = kernel, batch = dx.batch, planeSize = dx.plane
        let rows = dx.rows
        dcol.withUnsafeBufferPointer { src in
            dx.data.withUnsafeMutableBufferPointer { dst in
                for c in 0 ..< inChannels {
                    let plane = (c * batch + b) * planeSize
                    for ky in 0 ..< kk { for kx in 0 ..< kk {
                        let row = ((c * kk + ky) * kk + kx) * n
                        let x0 = max(0, p - kx), x1 = min(cols, cols + p - kx)
                        guard x0 < x1 else { continue }
                        for y in y0 ..< y1 {
                            let sy = y + ky - p
                            guard sy >= 0 && sy < rows else { continue }
                            let to = dst.baseAddress! + (plane + sy * cols + kx - p + x0)
                            let from = src.baseAddress! + (row + (y - y0) * cols + x0)
                            for xx in 0 ..< x1 - x0 { to[xx] += from[xx] }
                        }
                    } }
                }
            }
        }
    }
}
