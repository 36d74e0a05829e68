import MedImage
import MedKernels

/// 2-D convolution (PyTorch `nn.Conv2d`: stride, zero padding `padding`, weights OIHW, optional
/// bias).
///
/// Single precision with stride 1 (every k×k convolution of ESPCN and SRResNet): the direct
/// kernels (`DirectConvolution`) for the output, the input gradient and the weight gradient;
/// with stride 2 and an even k (4 …), the forward on the same kernel through space-to-depth
/// (`StridedDirectConvolution`).
/// Otherwise im2col + GEMM in bands of output rows: each band's columns (`C·k·k × rows·W`,
/// about 2048 output positions) are made one band at a time, so memory does not grow with the
/// image (a 256² inference needs no 150 MB column matrix). A 1×1 convolution with stride 1 is a
/// plain GEMM on the input itself (no columns).
public final class Conv2d<T: NNScalar>: Layer {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    public let weight: Parameter<T>
    public let bias: Parameter<T>?
    private var input: Tensor<T>?
    /// Worker threads for this layer's own parallelism (BLAS then runs single-threaded).
    public var workers = 1
    private var partials: [T] = []
    private var scratch: [(col: ColumnBuffer<T>, dcol: ColumnBuffer<T>)] = []
    private var saved: [ColumnBuffer<T>] = []
    /// Each band's columns from the last forward, reused by backward (training); off for
    /// inference, where nothing flows back.
    public var keepsColumns = true
    /// Frozen weights (a fixed feature network): backward computes only the input gradient.
    public var frozen = false
    /// False for a generator's first layer, whose input is data: backward then computes only
    /// the weight and bias gradients and returns zeros (as PyTorch skips inputs that need no
    /// gradient).
    public var inputGradient = true
    /// In inference, the batch norm that follows this convolution: its affine map (running
    /// statistics) is taken into the weights and bias, and the norm passes its input through
    /// (set by `Sequential.setTraining(false)`).
    var foldedNorm: BatchNorm2d<T>?
    /// The output goes through tanh inside the direct kernel's bands (set by `fuseTanh`, with
    /// the `Tanh` layer after it passing its input through).
    private(set) var fusedTanh = false

    /// Fuses the `Tanh` layer that follows this convolution into it, when this convolution runs
    /// the direct kernel (the layer still keeps its output for backward; the result is the same
    /// to the bit); otherwise leaves both as they are.
    func fuseTanh(_ next: Tanh<T>) {
        guard direct else { return }
        fusedTanh = true
        next.fused = true
    }
    var pointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Stride-1 single-precision convolutions run without columns; the padding must leave the
    /// input gradient a convolution too (padding ≤ k − 1), and the kernel at most 9×9 (the weight
    /// gradient keeps its partial sums for 9² taps on the stack).
    var direct: Bool { T.self == Float.self && !pointwise && stride == 1 && padding <= kernel - 1 && kernel <= 9 }
    private lazy var directKernel = DirectConvolution(kernel: kernel)
    /// Stride-2 single-precision convolutions with k from 3 to 9 can run the direct kernel too,
    /// through space-to-depth (`StridedDirectConvolution`); which ones do is `stridedDirectUse`.
    var stridedDirect: Bool {
        guard T.self == Float.self && stride == 2 && kernel >= 3 && kernel <= 9 && padding < kernel else { return false }
        switch stridedDirectUse {
        case .evenKernels: return kernel.isMultiple(of: 2)
        case .always: return true
        case .never: return false
        }
    }
    /// Which stride-2 convolutions run the direct kernel.
    public enum StridedDirectUse: Sendable { case evenKernels, always, never }
    /// By default those with an even k (4, as pix2pix, PatchGAN and U-Net encoders use), where
    /// space-to-depth adds no arithmetic and the forward measured 1.6× faster than im2col +
    /// GEMM (Tools/bench/layers_bench.py); an odd k adds (k + 1)²/k² − 1 of zero taps, and
    /// k = 3 measured slower. Tests and the benchmark choose `.always` or `.never`.
    public var stridedDirectUse = StridedDirectUse.evenKernels
    /// The stride-2 backward on the direct kernels too. Off: measured slower than im2col + GEMM
    /// (the direct weight-gradient kernel is blocked for k ≥ 3, and space-to-depth makes k 2),
    /// so by default only the forward runs direct and backward makes its columns from the input.
    public var stridedDirectBackward = false
    private lazy var stridedKernel = StridedDirectConvolution(kernel: kernel, padding: padding)

    public var parameters: [Parameter<T>] { bias.map { [weight, $0] } ?? [weight] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }
    public func setTraining(_ training: Bool) { keepsColumns = training }

    /// PyTorch's default initialisation: weights and bias uniform in ±1/√(in·k²)
    /// (kaiming_uniform with a = √5), drawn from `rng`.
    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                bias: Bool = true, rng: inout some RandomNumberGenerator) {
        precondition(stride >= 1)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding ?? kernel / 2
        let fanIn = inChannels * kernel * kernel
        let bound = 1 / Double(fanIn).squareRoot()
        let w = (0 ..< outChannels * fanIn).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }
        weight = Parameter(name: name + ".weight", shape: [outChannels, inChannels, kernel, kernel], value: w)
        if bias {
            let b = (0 ..< outChannels).map { _ in T(Double.random(in: -bound ... bound, using: &rng)) }
            self.bias = Parameter(name: name + ".bias", shape: [outChannels], value: b)
        } else {
            self.bias = nil
        }
    }

    /// Output rows (or columns) for `n` input rows.
    public func outputSize(_ n: Int) -> Int { ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding).outputSize(n) }

    /// Bands of output rows of about `target` output positions: (batch item, first row, rows).
    /// Bands for the direct kernel: at most 2048 positions, and at least eight per worker where
    /// the image allows (a worker that wakes late still finds work; few large bands left the
    /// calling thread doing most of a small layer).
    func directBands(batch: Int, rows: Int, columns: Int) -> [RowBand] {
        let total = batch * rows * columns
        return bands(batch: batch, rows: rows, columns: columns, target: min(2048, max(columns, total / (8 * max(1, workers)))))
    }

    func bands(batch: Int, rows: Int, columns: Int, target: Int = 2048) -> [RowBand] {
        let step = max(1, target / columns)
        var out = [RowBand]()
        for b in 0 ..< batch { for y0 in Swift.stride(from: 0, to: rows, by: step) { out.append(RowBand(b: b, y0: y0, y1: min(rows, y0 + step))) } }
        return out
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == inChannels, "conv expects \(inChannels) channels, got \(x.channels)")
        let oh = outputSize(x.rows), ow = outputSize(x.columns)
        precondition(oh > 0 && ow > 0, "conv: input \(x.rows)×\(x.columns) is smaller than the kernel")
        input = x
        var out = Tensor<T>(uninitializedChannels: outChannels, batch: x.batch, rows: oh, columns: ow)
        if direct {
            saved = []
            let allBands = directBands(batch: x.batch, rows: oh, columns: ow)
            var weights = weight.value, biases = bias?.value
            if let norm = foldedNorm {
                let (scale, shift) = norm.affine()
                let per = inChannels * kernel * kernel
                for i in weights.indices { weights[i] = T(Double(weights[i]) * scale[i / per]) }
                biases = (0 ..< outChannels).map { T(Double(bias?.value[$0] ?? 0) * scale[$0] + shift[$0]) }
            }
            Self.asFloat(x.data) { xs in
                Self.asFloat(weights) { w in
                    Self.asFloat(biases ?? []) { b in
                        Self.asFloat(&out.data) { o in
                            directKernel.run(xs, cin: inChannels, batch: x.batch, rows: x.rows, columns: x.columns, padding: padding,
                                             weight: w, cout: outChannels, adjoint: false, bias: biases == nil ? nil : b,
                                             tanh: fusedTanh, into: o, workers: workers, bands: allBands)
                        }
                    }
                }
            }
            return out
        }
        if stridedDirect {
            saved = []
            let allBands = directBands(batch: x.batch, rows: oh, columns: ow)
            Self.asFloat(x.data) { xs in
                Self.asFloat(weight.value) { w in
                    Self.asFloat(bias?.value ?? []) { b in
                        Self.asFloat(&out.data) { o in
                            stridedKernel.forward(xs, cin: inChannels, batch: x.batch, rows: x.rows, columns: x.columns, weight: w,
                                                  cout: outChannels, bias: bias == nil ? nil : b, outRows: oh, outColumns: ow,
                                                  into: o, workers: workers, bands: allBands)
                        }
                    }
                }
            }
            return out
        }
        // Every output value is written: the bias first (then the GEMMs add), or by the GEMMs.
        let hw = x.batch * oh * ow, inHW = x.batch * x.plane, k = inChannels * kernel * kernel
        let beta: T = bias == nil ? 0 : 1
        if let bias {
            out.data.withUnsafeMutableBufferPointer { o in
                for c in 0 ..< outChannels { (o.baseAddress! + c * hw).update(repeating: bias.value[c], count: hw) }
            }
        }
        let allBands = bands(batch: x.batch, rows: oh, columns: ow)
        // Training keeps one column buffer per band (reused from step to step); inference one
        // scratch buffer per worker.
        let buffers = pointwise ? 0 : (keepsColumns ? allBands.count : min(workers, allBands.count))
        if saved.count > buffers { saved.removeLast(saved.count - buffers) }
        while saved.count < buffers { saved.append(ColumnBuffer()) }
        let boxes = saved
        out.data.withUnsafeMutableBufferPointer { o in
            let output = SendablePointer(o.baseAddress!)
            x.data.withUnsafeBufferPointer { xs in
                let source = SendableConstPointer(xs.baseAddress!)
                parallelFor(allBands.count, workers: workers) { band, worker in
                    let (b, y0, y1) = allBands[band].parts
                    let n = (y1 - y0) * ow, j0 = b * oh * ow + y0 * ow
                    weight.value.withUnsafeBufferPointer { w in
                        if pointwise {
                            T.gemm(transA: false, transB: false, m: outChannels, n: n, k: k, alpha: 1, a: w.baseAddress!, lda: k,
                                   b: source.pointer + j0, ldb: inHW, beta: beta, c: output.pointer + j0, ldc: hw)
                            return
                        }
                        let box = boxes[keepsColumns ? band : worker]
                        im2col(x, b, y0, y1, into: &box.values)
                        box.values.withUnsafeBufferPointer { col in
                            T.gemm(transA: false, transB: false, m: outChannels, n: n, k: k, alpha: 1, a: w.baseAddress!, lda: k,
                                   b: col.baseAddress!, ldb: n, beta: beta, c: output.pointer + j0, ldc: hw)
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
        precondition(foldedNorm == nil, "backward through a network in inference mode (batch norm folded): call setTraining(true) first")
        let oh = g.rows, ow = g.columns
        let hw = x.batch * oh * ow, inHW = x.batch * x.plane, k = inChannels * kernel * kernel
        if let bias, !frozen {
            g.data.withUnsafeBufferPointer { dy in
                for c in 0 ..< outChannels {
                    // Eight running sums (vectorised), then added in order.
                    var lanes = SIMD8<T>()
                    let row = dy.baseAddress! + c * hw
                    var i = 0
                    while i + 8 <= hw {
                        lanes += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<T>.self)
                        i += 8
                    }
                    var s = lanes.sum()
                    while i < hw { s += row[i]; i += 1 }
                    bias.gradient[c] += s
                }
            }
        }
        if direct {
            var dx = inputGradient ? Tensor<T>(uninitializedChannels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
                : Tensor<T>(channels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
            if !frozen {
                Self.asFloat(x.data) { xs in
                    Self.asFloat(g.data) { dy in
                        Self.asFloat(&weight.gradient) { dw in
                            directKernel.weightGradient(xs, cin: inChannels, batch: x.batch, rows: x.rows, columns: x.columns,
                                                        padding: padding, gradient: dy, cout: outChannels, into: dw, workers: workers)
                        }
                    }
                }
            }
            guard inputGradient else { return dx }
            // dX = dY ⊛ (W transposed, taps reversed), padded by k − 1 − p: every value written.
            let q = kernel - 1 - padding
            let inputBands = directBands(batch: x.batch, rows: x.rows, columns: x.columns)
            Self.asFloat(g.data) { dy in
                Self.asFloat(weight.value) { w in
                    Self.asFloat(&dx.data) { d in
                        directKernel.run(dy, cin: outChannels, batch: x.batch, rows: oh, columns: ow, padding: q,
                                         weight: w, cout: inChannels, adjoint: true, bias: nil, into: d, workers: workers,
                                         bands: inputBands)
                    }
                }
            }
            return dx
        }
        if stridedDirect && stridedDirectBackward {
            // Every input-gradient value is written (zeros when it is not wanted).
            var dx = inputGradient ? Tensor<T>(uninitializedChannels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
                : Tensor<T>(channels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
            let phaseBands = directBands(batch: x.batch, rows: stridedKernel.phaseSize(oh), columns: stridedKernel.phaseSize(ow))
            let wantsInput = inputGradient, wantsWeights = !frozen
            Self.asFloat(x.data) { xs in
                Self.asFloat(weight.value) { w in
                    Self.asFloat(g.data) { dy in
                        Self.asFloat(&weight.gradient) { dw in
                            Self.asFloat(&dx.data) { d in
                                stridedKernel.backward(xs, cin: inChannels, batch: x.batch, rows: x.rows, columns: x.columns, weight: w,
                                                       cout: outChannels, gradient: dy, outRows: oh, outColumns: ow,
                                                       weightGradient: wantsWeights ? dw : nil, inputGradient: wantsInput ? d : nil,
                                                       workers: workers, bands: phaseBands)
                            }
                        }
                    }
                }
            }
            return dx
        }
        var dx = Tensor<T>(channels: inChannels, batch: x.batch, rows: x.rows, columns: x.columns)
        let allBands = bands(batch: x.batch, rows: oh, columns: ow)
        // Work is split by batch item (their input gradients do not overlap); each item's
        // weight gradient is summed on its own and the items are added in order, so the result
        // does not depend on the number of workers.
        if partials.count < x.batch * outChannels * k { partials = Array(repeating: 0, count: x.batch * outChannels * k) }
        while scratch.count < min(workers, x.batch) { scratch.append((ColumnBuffer(), ColumnBuffer())) }
        let boxes = saved, scratchBoxes = scratch
        partials.withUnsafeMutableBufferPointer { part in
            dx.data.withUnsafeMutableBufferPointer { d in
                let partial = SendablePointer(part.baseAddress!), dxs = SendablePointer(d.baseAddress!)
                parallelFor(x.batch, workers: min(workers, x.batch)) { b, worker in
                    let dw = partial.pointer + b * outChannels * k
                    dw.update(repeating: 0, count: outChannels * k)
                    let (colBox, dcolBox) = scratchBoxes[worker]
                    for (band, rows) in allBands.enumerated() where rows.b == b {
                        let (y0, y1) = (rows.y0, rows.y1)
                        let n = (y1 - y0) * ow, j0 = b * oh * ow + y0 * ow
                        g.data.withUnsafeBufferPointer { dy in
                            weight.value.withUnsafeBufferPointer { w in
                                if pointwise {
                                    if !frozen {
                                        x.data.withUnsafeBufferPointer { xs in
                                            T.gemm(transA: false, transB: true, m: outChannels, n: k, k: n, alpha: 1, a: dy.baseAddress! + j0, lda: hw,
                                                   b: xs.baseAddress! + j0, ldb: inHW, beta: 1, c: dw, ldc: k)
                                        }
                                    }
                                    if inputGradient {
                                        T.gemm(transA: true, transB: false, m: k, n: n, k: outChannels, alpha: 1, a: w.baseAddress!, lda: k,
                                               b: dy.baseAddress! + j0, ldb: hw, beta: 0, c: dxs.pointer + j0, ldc: inHW)
                                    }
                                    return
                                }
                                let columns: ColumnBuffer<T>
                                if keepsColumns && band < boxes.count {
                                    columns = boxes[band]
                                } else {
                                    im2col(x, b, y0, y1, into: &colBox.values)
                                    columns = colBox
                                }
                                if !frozen { columns.values.withUnsafeBufferPointer { col in
                                    // dW[O, K] += dY[O, band] · col[K, band]ᵀ
                                    T.gemm(transA: false, transB: true, m: outChannels, n: k, k: n, alpha: 1, a: dy.baseAddress! + j0, lda: hw,
                                           b: col.baseAddress!, ldb: n, beta: 1, c: dw, ldc: k)
                                } }
                                if dcolBox.values.count < k * n { dcolBox.values = Array(repeating: 0, count: k * n) }
                                guard inputGradient else { return }
                                dcolBox.values.withUnsafeMutableBufferPointer { dc in
                                    // dcol[K, band] = Wᵀ[K, O] · dY[O, band]
                                    T.gemm(transA: true, transB: false, m: k, n: n, k: outChannels, alpha: 1, a: w.baseAddress!, lda: k,
                                           b: dy.baseAddress! + j0, ldb: hw, beta: 0, c: dc.baseAddress!, ldc: n)
                                }
                            }
                        }
                        if !pointwise && inputGradient {
                            col2im(dcolBox.values, into: dxs.pointer, batch: x.batch, rows: x.rows, columns: x.columns,
                                   outColumns: ow, b, y0, y1)
                        }
                    }
                }
            }
            if !frozen {
                for b in 0 ..< x.batch {
                    let dw = part.baseAddress! + b * outChannels * k
                    for i in 0 ..< outChannels * k { weight.gradient[i] += dw[i] }
                }
            }
        }
        return dx
    }

    /// `values` as single precision (callers check `T == Float` first).
    @inline(__always)
    static func asFloat<R>(_ values: [T], _ body: (UnsafePointer<Float>) -> R) -> R {
        values.withUnsafeBufferPointer { p in
            body(UnsafeRawPointer(p.baseAddress ?? UnsafePointer(bitPattern: 16)!).assumingMemoryBound(to: Float.self))
        }
    }

    @inline(__always)
    static func asFloat<R>(_ values: inout [T], _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        values.withUnsafeMutableBufferPointer { p in
            body(UnsafeMutableRawPointer(p.baseAddress!).assumingMemoryBound(to: Float.self))
        }
    }

    @inline(__always)
    func validColumns(_ kx: Int, columns: Int, outColumns: Int) -> (Int, Int) {
        ConvolutionGeometry(kernel: kernel, stride: stride, padding: padding).validColumns(kx, columns: columns, outColumns: outColumns)
    }

    /// `buffer[C·k·k, band]`: row (c, ky, kx), column (oy, ox) of the band holds
    /// x[c, b, oy·s+ky−p, ox·s+kx−p], or 0 outside the image.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func im2col(_ x: Tensor<T>, _ b: Int, _ y0: Int, _ y1: Int, into buffer: inout [T]) {
        let cols = x.columns, ow = outputSize(cols), n = (y1 - y0) * ow, p = padding, kk = kernel, s = stride
        if buffer.count < inChannels * kk * kk * n { buffer = Array(repeating: 0, count: inChannels * kk * kk * n) }
        x.data.withUnsafeBufferPointer { src in
            buffer.withUnsafeMutableBufferPointer { dst in
                for c in 0 ..< inChannels {
                    let plane = (c * x.batch + b) * x.plane
                    for ky in 0 ..< kk { for kx in 0 ..< kk {
                        let row = ((c * kk + ky) * kk + kx) * n
                        let (x0, x1) = validColumns(kx, columns: cols, outColumns: ow)
                        let d = dst.baseAddress!, sp = src.baseAddress!
                        for y in y0 ..< y1 {
                            let sy = y * s + ky - p, line = d + row + (y - y0) * ow
                            guard sy >= 0 && sy < x.rows && x0 < x1 else {
                                line.update(repeating: 0, count: ow)
                                continue
                            }
                            if x0 > 0 { line.update(repeating: 0, count: x0) }
                            let from = sp + plane + sy * cols + kx - p
                            if s == 1 {
                                (line + x0).update(from: from + x0, count: x1 - x0)
                            } else {
                                for ox in x0 ..< x1 { line[ox] = from[ox * s] }
                            }
                            if x1 < ow { (line + x1).update(repeating: 0, count: ow - x1) }
                        }
                    } }
                }
            }
        }
    }

    /// The adjoint of `im2col` for one band: adds `dcol` back into the input positions.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func col2im(_ dcol: [T], into out: UnsafeMutablePointer<T>, batch: Int, rows: Int, columns cols: Int, outColumns ow: Int,
                _ b: Int, _ y0: Int, _ y1: Int) {
        let n = (y1 - y0) * ow, p = padding, kk = kernel, planeSize = rows * cols, s = stride
        dcol.withUnsafeBufferPointer { src in
            for c in 0 ..< inChannels {
                let plane = (c * batch + b) * planeSize
                for ky in 0 ..< kk { for kx in 0 ..< kk {
                    let row = ((c * kk + ky) * kk + kx) * n
                    let (x0, x1) = validColumns(kx, columns: cols, outColumns: ow)
                    guard x0 < x1 else { continue }
                    for y in y0 ..< y1 {
                        let sy = y * s + ky - p
                        guard sy >= 0 && sy < rows else { continue }
                        let to = out + (plane + sy * cols + kx - p)
                        let from = src.baseAddress! + (row + (y - y0) * ow)
                        if s == 1 {
                            for ox in x0 ..< x1 { to[ox] += from[ox] }
                        } else {
                            for ox in x0 ..< x1 { to[ox * s] += from[ox] }
                        }
                    }
                } }
            }
        }
    }
}

/// Where a k×k kernel with stride and zero padding meets the input (shared by the dense and
/// depthwise convolutions).
struct ConvolutionGeometry {
    let kernel: Int, stride: Int, padding: Int

    /// Output rows (or columns) for `n` input rows.
    @inline(__always)
    func outputSize(_ n: Int) -> Int { (n + 2 * padding - kernel) / stride + 1 }

    /// The output columns `[ox0, ox1)` whose input column `ox·stride + kx − padding` lies
    /// inside `0 ..< columns`.
    @inline(__always)
    func validColumns(_ kx: Int, columns: Int, outColumns: Int) -> (Int, Int) {
        let lo = kx >= padding ? 0 : (padding - kx + stride - 1) / stride
        let last = columns - 1 + padding - kx
        let hi = last < 0 ? 0 : min(outColumns, last / stride + 1)
        return (min(lo, hi), hi)
    }
}

/// Output rows [y0, y1) of batch item b: one unit of a layer's parallel work. (A struct, not a
/// tuple: arrays of tuples inside generic layers look their metadata up at run time, per call.)
struct RowBand: Sendable {
    var b: Int, y0: Int, y1: Int
    var parts: (Int, Int, Int) { (b, y0, y1) }
}

/// A growable scratch buffer owned by one band or one worker (a class, so workers can fill
/// their own without touching a shared array).
final class ColumnBuffer<T>: @unchecked Sendable {
    var values: [T] = []
}

