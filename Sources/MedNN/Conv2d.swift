import Dispatch
import Synchronization

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
    /// Worker threads for this layer's own parallelism (BLAS then runs single-threaded).
    public var workers = 1
    private var partials: [T] = []
    private var scratch: [(col: ColumnBuffer<T>, dcol: ColumnBuffer<T>)] = []
    private var saved: [ColumnBuffer<T>] = []
    /// Each band's columns from the last forward, reused by backward (training); off for
    /// inference, where nothing flows back.
    public var keepsColumns = true

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
        // Training keeps one column buffer per band (reused from step to step); inference one
        // scratch buffer per worker.
        let buffers = keepsColumns ? allBands.count : min(workers, allBands.count)
        if saved.count > buffers { saved.removeLast(saved.count - buffers) }
        while saved.count < buffers { saved.append(ColumnBuffer()) }
        let boxes = saved
        out.data.withUnsafeMutableBufferPointer { o in
            let output = SendablePointer(o.baseAddress!)
            parallelFor(allBands.count, workers: workers) { band, worker in
                let (b, y0, y1) = allBands[band]
                let n = (y1 - y0) * x.columns, j0 = b * x.plane + y0 * x.columns
                let box = boxes[keepsColumns ? band : worker]
                im2col(x, b, y0, y1, into: &box.values)
                weight.value.withUnsafeBufferPointer { w in
                    box.values.withUnsafeBufferPointer { col in
                        T.gemm(transA: false, transB: false, m: outChannels, n: n, k: k, alpha: 1, a: w.baseAddress!, lda: k,
                               b: col.baseAddress!, ldb: n, beta: 1, c: output.pointer + j0, ldc: hw)
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
        let allBands = bands(x)
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
                    for (band, (bb, y0, y1)) in allBands.enumerated() where bb == b {
                        let n = (y1 - y0) * x.columns, j0 = b * x.plane + y0 * x.columns
                        let columns: ColumnBuffer<T>
                        if keepsColumns && band < boxes.count {
                            columns = boxes[band]
                        } else {
                            im2col(x, b, y0, y1, into: &colBox.values)
                            columns = colBox
                        }
                        if dcolBox.values.count < k * n { dcolBox.values = Array(repeating: 0, count: k * n) }
                        g.data.withUnsafeBufferPointer { dy in
                            columns.values.withUnsafeBufferPointer { col in
                                // dW[O, K] += dY[O, band] · col[K, band]ᵀ
                                T.gemm(transA: false, transB: true, m: outChannels, n: k, k: n, alpha: 1, a: dy.baseAddress! + j0, lda: hw,
                                       b: col.baseAddress!, ldb: n, beta: 1, c: dw, ldc: k)
                            }
                            weight.value.withUnsafeBufferPointer { w in
                                dcolBox.values.withUnsafeMutableBufferPointer { dc in
                                    // dcol[K, band] = Wᵀ[K, O] · dY[O, band]
                                    T.gemm(transA: true, transB: false, m: k, n: n, k: outChannels, alpha: 1, a: w.baseAddress!, lda: k,
                                           b: dy.baseAddress! + j0, ldb: hw, beta: 0, c: dc.baseAddress!, ldc: n)
                                }
                            }
                        }
                        col2im(dcolBox.values, into: dxs.pointer, batch: x.batch, rows: x.rows, columns: x.columns, b, y0, y1)
                    }
                }
            }
            for b in 0 ..< x.batch {
                let dw = part.baseAddress! + b * outChannels * k
                for i in 0 ..< outChannels * k { weight.gradient[i] += dw[i] }
            }
        }
        return dx
    }

    /// `buffer[C·k·k, band]`: row (c, ky, kx), column (y, x) of the band holds
    /// x[c, b, y+ky−p, x+kx−p], or 0 outside the image.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func im2col(_ x: Tensor<T>, _ b: Int, _ y0: Int, _ y1: Int, into buffer: inout [T]) {
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
    func col2im(_ dcol: [T], into out: UnsafeMutablePointer<T>, batch: Int, rows: Int, columns cols: Int,
                _ b: Int, _ y0: Int, _ y1: Int) {
        let n = (y1 - y0) * cols, p = padding, kk = kernel, planeSize = rows * cols
        dcol.withUnsafeBufferPointer { src in
            do {
                let dst = UnsafeMutableBufferPointer(start: out, count: inChannels * batch * planeSize)
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

/// A pointer handed to worker threads that write disjoint parts of one buffer.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// A growable scratch buffer owned by one band or one worker (a class, so workers can fill
/// their own without touching a shared array).
final class ColumnBuffer<T>: @unchecked Sendable {
    var values: [T] = []
}

/// Runs `body(index, worker)` for every index on up to `workers` threads (`worker` < workers
/// names the thread's own scratch). Callers guarantee that indices touch disjoint memory.
func parallelFor(_ count: Int, workers: Int, _ body: (Int, Int) -> Void) {
    if workers <= 1 || count <= 1 {
        for i in 0 ..< count { body(i, 0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let task = UncheckedBody(run: escapable)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(workers, count)) { worker in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                task.run(i, worker)
            }
        }
    }
}

struct UncheckedBody: @unchecked Sendable {
    let run: (Int, Int) -> Void
}
