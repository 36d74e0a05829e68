/// 2-D convolution (PyTorch `nn.Conv2d`, stride 1, zero padding `padding`, weights OIHW) via
/// im2col and one GEMM over the whole batch; backward by GEMMs and col2im.
public final class Conv2d<T: NNScalar>: Layer {
    public let inChannels: Int, outChannels: Int, kernel: Int, padding: Int
    public let weight: Parameter<T>
    public let bias: Parameter<T>
    private var columns: [T] = []
    private var inputShape: (Int, Int, Int) = (0, 0, 0)

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

    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == inChannels, "conv expects \(inChannels) channels, got \(x.channels)")
        let hw = x.batch * x.plane, k = inChannels * kernel * kernel
        inputShape = (x.batch, x.rows, x.columns)
        columns = im2col(x)
        var out = Tensor<T>(channels: outChannels, batch: x.batch, rows: x.rows, columns: x.columns)
        out.data.withUnsafeMutableBufferPointer { o in
            for c in 0 ..< outChannels { let b = bias.value[c]; for i in 0 ..< hw { o[c * hw + i] = b } }
            weight.value.withUnsafeBufferPointer { w in
                columns.withUnsafeBufferPointer { col in
                    T.gemm(transA: false, transB: false, m: outChannels, n: hw, k: k, alpha: 1, a: w.baseAddress!, lda: k,
                           b: col.baseAddress!, ldb: hw, beta: 1, c: o.baseAddress!, ldc: hw)
                }
            }
        }
        return out
    }

    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let (batch, rows, cols) = inputShape
        let hw = batch * rows * cols, k = inChannels * kernel * kernel
        g.data.withUnsafeBufferPointer { dy in
            for c in 0 ..< outChannels {
                var s: T = 0
                for i in 0 ..< hw { s += dy[c * hw + i] }
                bias.gradient[c] += s
            }
            columns.withUnsafeBufferPointer { col in
                weight.gradient.withUnsafeMutableBufferPointer { dw in
                    // dW[O, K] += dY[O, HW] · col[K, HW]ᵀ
                    T.gemm(transA: false, transB: true, m: outChannels, n: k, k: hw, alpha: 1, a: dy.baseAddress!, lda: hw,
                           b: col.baseAddress!, ldb: hw, beta: 1, c: dw.baseAddress!, ldc: k)
                }
            }
        }
        var dcol = [T](repeating: 0, count: k * hw)
        weight.value.withUnsafeBufferPointer { w in
            g.data.withUnsafeBufferPointer { dy in
                dcol.withUnsafeMutableBufferPointer { dc in
                    // dcol[K, HW] = Wᵀ[K, O] · dY[O, HW]
                    T.gemm(transA: true, transB: false, m: k, n: hw, k: outChannels, alpha: 1, a: w.baseAddress!, lda: k,
                           b: dy.baseAddress!, ldb: hw, beta: 0, c: dc.baseAddress!, ldc: hw)
                }
            }
        }
        return col2im(dcol, batch: batch, rows: rows, columns: cols)
    }

    /// `[C·k·k, B·H·W]`: row (c, ky, kx), column (b, y, x) holds x[c, b, y+ky−p, x+kx−p] or 0.
    func im2col(_ x: Tensor<T>) -> [T] {
        let hw = x.batch * x.plane, rows = x.rows, cols = x.columns, p = padding
        var out = [T](repeating: 0, count: inChannels * kernel * kernel * hw)
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0 ..< inChannels { for ky in 0 ..< kernel { for kx in 0 ..< kernel {
                    let row = ((c * kernel + ky) * kernel + kx) * hw
                    for b in 0 ..< x.batch {
                        let plane = (c * x.batch + b) * x.plane, outPlane = row + b * x.plane
                        for y in 0 ..< rows {
                            let sy = y + ky - p
                            guard sy >= 0 && sy < rows else { continue }
                            let x0 = max(0, p - kx), x1 = min(cols, cols + p - kx)
                            guard x0 < x1 else { continue }
                            for xx in x0 ..< x1 { dst[outPlane + y * cols + xx] = src[plane + sy * cols + xx + kx - p] }
                        }
                    }
                } } }
            }
        }
        return out
    }

    /// The adjoint of `im2col`: sums each column entry back into its input position.
    func col2im(_ col: [T], batch: Int, rows: Int, columns cols: Int) -> Tensor<T> {
        var out = Tensor<T>(channels: inChannels, batch: batch, rows: rows, columns: cols)
        let plane = rows * cols, hw = batch * plane, p = padding
        col.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for c in 0 ..< inChannels { for ky in 0 ..< kernel { for kx in 0 ..< kernel {
                    let row = ((c * kernel + ky) * kernel + kx) * hw
                    for b in 0 ..< batch {
                        let dPlane = (c * batch + b) * plane, sPlane = row + b * plane
                        for y in 0 ..< rows {
                            let sy = y + ky - p
                            guard sy >= 0 && sy < rows else { continue }
                            let x0 = max(0, p - kx), x1 = min(cols, cols + p - kx)
                            guard x0 < x1 else { continue }
                            for xx in x0 ..< x1 { dst[dPlane + sy * cols + xx + kx - p] += src[sPlane + y * cols + xx] }
                        }
                    }
                } } }
            }
        }
        return out
    }
}
