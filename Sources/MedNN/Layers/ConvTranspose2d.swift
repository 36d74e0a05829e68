import MedKernels
import MedImage
import MedKernels

/// Transposed convolution (PyTorch `nn.ConvTranspose2d(in, out, k, stride, padding,
/// output_padding, bias)`, groups 1, dilation 1; weights `[in, out, k, k]`): the adjoint of a
/// convolution with the same k, stride and padding, so each input value adds its weighted k×k
/// patch to the output at (y·stride − padding, x·stride − padding). Output size
/// (n − 1)·stride − 2·padding + k + outputPadding.
///
/// GEMM + col2im: for each batch item and group of output channels, columns
/// `[out·k·k, positions] = Wᵀ · x` over bands of input rows, then added into the output planes
/// (jobs write disjoint output channels, so they run on threads with BLAS single-threaded).
/// Backward is the convolution: im2col of the output gradient, `dX = W · columns`,
/// `dW += X · columnsᵀ` (summed per job and added in job order, whatever the thread count).
public final class ConvTranspose2d<T: NNScalar>: Layer {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int
    public let weight: Parameter<T>
    public let bias: Parameter<T>?
    /// Threads over jobs (batch items × output-channel groups, or × row bands in backward).
    public var workers = 1
    private var input: Tensor<T>?
    private var scratch: [ColumnBuffer<T>] = []
    private var partials: [T] = []

    public var parameters: [Parameter<T>] { bias.map { [weight, $0] } ?? [weight] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    /// PyTorch's default initialisation: uniform in ±1/√(out·k²) (its fan-in is computed from
    /// the weight's second dimension), drawn from `rng`.
    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, rng: inout some RandomNumberGenerator) {
        precondition(kernel >= 1 && stride >= 1 && padding >= 0, "transposed conv: bad kernel, stride or padding")
        precondition(outputPadding >= 0 && outputPadding < stride, "transposed conv: output padding must be smaller than the stride")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        let bound = 1 / Double(outChannels * kernel * kernel).squareRoot()
        weight = Parameter(name: name + ".weight", shape: [inChannels, outChannels, kernel, kernel],
                           value: (0 ..< inChannels * outChannels * kernel * kernel).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) })
        self.bias = bias ? Parameter(name: name + ".bias", shape: [outChannels],
                                     value: (0 ..< outChannels).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }) : nil
    }

    var geometry: ConvolutionGeometry { ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding) }

    /// Output rows (or columns) for `n` input rows.
    public func outputSize(_ n: Int) -> Int { (n - 1) * stride - 2 * padding + kernel + outputPadding }

    func buffers(_ n: Int) -> [ColumnBuffer<T>] {
        while scratch.count < n { scratch.append(ColumnBuffer()) }
        return scratch
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == inChannels, "transposed conv expects \(inChannels) channels, got \(x.channels)")
        let oh = outputSize(x.rows), ow = outputSize(x.columns)
        precondition(oh > 0 && ow > 0, "transposed conv: output would be empty")
        input = x
        var out = Tensor<T>(channels: outChannels, batch: x.batch, rows: oh, columns: ow)
        let boxes = buffers(workers)
        x.data.withUnsafeBufferPointer { xs in
            weight.value.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { o in
                    convTranspose2dForward(xs.baseAddress!, inChannels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns,
                                           weight: w.baseAddress!, outChannels: outChannels, geometry: geometry,
                                           outRows: oh, outColumns: ow, into: o.baseAddress!, scratch: boxes, workers: workers)
                }
            }
        }
        if let bias {
            let hw = x.batch * oh * ow
            out.data.withUnsafeMutableBufferPointer { o in
                for c in 0 ..< outChannels {
                    let b = bias.value[c], plane = o.baseAddress! + c * hw
                    for i in 0 ..< hw { plane[i] += b }
                }
            }
        }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        guard let x = input else { preconditionFailure("backward before forward") }
        precondition(g.channels == outChannels && g.rows == outputSize(x.rows) && g.columns == outputSize(x.columns),
                     "transposed conv: gradient of the wrong shape")
        if let bias {
            let hw = g.batch * g.plane
            g.data.withUnsafeBufferPointer { dy in
                for c in 0 ..< outChannels {
                    var s: T = 0
                    let row = dy.baseAddress! + c * hw
                    for i in 0 ..< hw { s += row[i] }
                    bias.gradient[c] += s
                }
            }
        }
        var dx = Tensor<T>(uninitializedChannels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
        let bands = convTransposeBands(batch: x.batch, rows: x.rows, columns: x.columns)
        let per = inChannels * outChannels * kernel * kernel
        if partials.count < bands.count * per { partials = [T](repeating: 0, count: bands.count * per) }
        let boxes = buffers(workers)
        g.data.withUnsafeBufferPointer { dy in
            x.data.withUnsafeBufferPointer { xs in
                weight.value.withUnsafeBufferPointer { w in
                    dx.data.withUnsafeMutableBufferPointer { d in
                        partials.withUnsafeMutableBufferPointer { part in
                            convTranspose2dBackward(dy.baseAddress!, outChannels: outChannels, outRows: g.rows, outColumns: g.columns,
                                                    input: xs.baseAddress!, inChannels: inChannels, batch: x.batch, rows: x.rows,
                                                    columns: x.columns, weight: w.baseAddress!, geometry: geometry, bands: bands,
                                                    inputGradient: d.baseAddress!, weightPartials: part.baseAddress!,
                                                    scratch: boxes, workers: workers)
                        }
                    }
                }
            }
        }
        // Each band's weight gradient, added in band order.
        partials.withUnsafeBufferPointer { part in
            weight.gradient.withUnsafeMutableBufferPointer { dw in
                for band in 0 ..< bands.count {
                    let from = part.baseAddress! + band * per
                    for i in 0 ..< per { dw[i] += from[i] }
                }
            }
        }
        return dx
    }
}

/// Bands of input rows of about 2048 positions per batch item (fixed by the shape alone, so
/// the summation order does not depend on the thread count).
func convTransposeBands(batch: Int, rows: Int, columns: Int) -> [RowBand] {
    let step = max(1, 2048 / columns)
    var out = [RowBand]()
    for b in 0 ..< batch { for y0 in stride(from: 0, to: rows, by: step) { out.append(RowBand(b: b, y0: y0, y1: min(rows, y0 + step))) } }
    return out
}

/// `out` (`[outChannels, batch, outRows, outColumns]`, zeroed or holding the bias) += the
/// transposed convolution of `x` (`[inChannels, batch, rows, columns]`) with `weight`
/// (`[inChannels, outChannels, k, k]`). Jobs: batch items × groups of output channels.
@_specialize(where T == Float)
@_specialize(where T == Double)
func convTranspose2dForward<T: NNScalar>(_ x: UnsafePointer<T>, inChannels: Int, batch: Int, rows: Int, columns: Int,
                                         weight: UnsafePointer<T>, outChannels: Int, geometry: ConvolutionGeometry,
                                         outRows: Int, outColumns: Int, into out: UnsafeMutablePointer<T>,
                                         scratch: [ColumnBuffer<T>], workers: Int) {
    let kk = geometry.kernel * geometry.kernel, inHW = batch * rows * columns, outHW = batch * outRows * outColumns
    // At least four jobs per worker where the channels allow.
    let groups = min(outChannels, max(1, (4 * workers + batch - 1) / batch))
    let step = max(1, 2048 / columns)
    let source = SendableConstPointer(x), weights = SendableConstPointer(weight), target = SendablePointer(out)
    parallelFor(batch * groups, workers: workers) { job, worker in
        let b = job / groups, group = job % groups
        let c0 = outChannels * group / groups, c1 = outChannels * (group + 1) / groups
        guard c0 < c1 else { return }
        let box = scratch[worker]
        let m = (c1 - c0) * kk
        if box.values.count < m * step * columns { box.values = [T](repeating: 0, count: m * step * columns) }
        box.values.withUnsafeMutableBufferPointer { col in
            for y0 in stride(from: 0, to: rows, by: step) {
                let y1 = min(rows, y0 + step), n = (y1 - y0) * columns
                // columns[(c0..<c1)·k·k, band] = W[:, c0·k·k ..< c1·k·k]ᵀ · x[:, band]
                T.gemm(transA: true, transB: false, m: m, n: n, k: inChannels, alpha: 1,
                       a: weights.pointer + c0 * kk, lda: outChannels * kk,
                       b: source.pointer + b * rows * columns + y0 * columns, ldb: inHW,
                       beta: 0, c: col.baseAddress!, ldc: n)
                col2imRows(UnsafePointer(col.baseAddress!), channels: c1 - c0, channelStride: outHW, rows: outRows, columns: outColumns,
                           geometry: geometry, outColumns: columns, y0: y0, y1: y1,
                           into: target.pointer + (c0 * batch + b) * outRows * outColumns)
            }
        }
    }
}

/// The input gradient (every value written) and, per band, the weight gradient (into
/// `weightPartials`, `bands.count` blocks of `[inChannels, outChannels·k·k]`) of the transposed
/// convolution, from the output gradient `g`. Jobs: the bands (input rows of one batch item).
@_specialize(where T == Float)
@_specialize(where T == Double)
func convTranspose2dBackward<T: NNScalar>(_ g: UnsafePointer<T>, outChannels: Int, outRows: Int, outColumns: Int,
                                          input x: UnsafePointer<T>, inChannels: Int, batch: Int, rows: Int, columns: Int,
                                          weight: UnsafePointer<T>, geometry: ConvolutionGeometry, bands: [RowBand],
                                          inputGradient dx: UnsafeMutablePointer<T>, weightPartials: UnsafeMutablePointer<T>,
                                          scratch: [ColumnBuffer<T>], workers: Int) {
    let kk = geometry.kernel * geometry.kernel, inHW = batch * rows * columns, outHW = batch * outRows * outColumns
    let k = outChannels * kk, per = inChannels * k
    let grad = SendableConstPointer(g), source = SendableConstPointer(x), weights = SendableConstPointer(weight)
    let target = SendablePointer(dx), partials = SendablePointer(weightPartials)
    parallelFor(bands.count, workers: workers) { band, worker in
        let (b, y0, y1) = bands[band].parts
        let n = (y1 - y0) * columns, j0 = b * rows * columns + y0 * columns
        let box = scratch[worker]
        if box.values.count < k * n { box.values = [T](repeating: 0, count: k * n) }
        box.values.withUnsafeMutableBufferPointer { col in
            im2colRows(grad.pointer + b * outRows * outColumns, channels: outChannels, channelStride: outHW, rows: outRows,
                       columns: outColumns, geometry: geometry, outColumns: columns, y0: y0, y1: y1, into: col.baseAddress!)
            // dX[:, band] = W[in, out·k·k] · columns
            T.gemm(transA: false, transB: false, m: inChannels, n: n, k: k, alpha: 1, a: weights.pointer, lda: k,
                   b: col.baseAddress!, ldb: n, beta: 0, c: target.pointer + j0, ldc: inHW)
            // dW (this band) = X[:, band] · columnsᵀ
            T.gemm(transA: false, transB: true, m: inChannels, n: k, k: n, alpha: 1, a: source.pointer + j0, lda: inHW,
                   b: col.baseAddress!, ldb: n, beta: 0, c: partials.pointer + band * per, ldc: k)
        }
    }
}
