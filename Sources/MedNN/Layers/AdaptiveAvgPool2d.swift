import MedKernels
import MedImage
import MedKernels

/// PyTorch `nn.AdaptiveAvgPool2d((rows, columns))`: output cell i averages input rows
/// ⌊i·H/rows⌋ ..< ⌈(i+1)·H/rows⌉ (likewise columns). `AdaptiveAvgPool2d(size: 1)` is global
/// average pooling (one value per channel and batch item).
public final class AdaptiveAvgPool2d<T: NNScalar>: Layer {
    public let outRows: Int, outColumns: Int
    /// Threads over planes (channel × batch item).
    public var workers = 1
    private var inputShape = (rows: 0, columns: 0)
    public var parameters: [Parameter<T>] { [] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    public init(rows: Int, columns: Int) {
        precondition(rows >= 1 && columns >= 1)
        (outRows, outColumns) = (rows, columns)
    }

    /// A square output, `size × size` (1: global average pooling).
    public convenience init(size: Int = 1) { self.init(rows: size, columns: size) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        inputShape = (x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: outRows, columns: outColumns)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                adaptiveAvgPool2dForward(xs.baseAddress!, planes: x.channels * x.batch, rows: x.rows, columns: x.columns,
                                         outRows: outRows, outColumns: outColumns, into: ys.baseAddress!, workers: workers)
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        precondition(g.rows == outRows && g.columns == outColumns, "adaptive pooling: gradient of the wrong shape")
        var d = Tensor<T>(channels: g.channels, batch: g.batch, rows: inputShape.rows, columns: inputShape.columns)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                adaptiveAvgPool2dBackward(gs.baseAddress!, planes: g.channels * g.batch, rows: inputShape.rows,
                                          columns: inputShape.columns, outRows: outRows, outColumns: outColumns,
                                          into: ds.baseAddress!, workers: workers)
            }
        }
        return d
    }
}

/// The input rows (or columns) that adaptive-pooling cell `i` of `out` averages over `n`.
@inline(__always)
func adaptiveRange(_ i: Int, _ out: Int, _ n: Int) -> Range<Int> { (i * n / out) ..< (((i + 1) * n + out - 1) / out) }

/// Adaptive average pooling of `planes` planes into `outRows × outColumns` each. Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func adaptiveAvgPool2dForward<T: NNScalar>(_ x: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, outRows: Int, outColumns: Int,
                                           into y: UnsafeMutablePointer<T>, workers: Int) {
    let source = SendableConstPointer(x), target = SendablePointer(y)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = source.pointer + plane * rows * columns, to = target.pointer + plane * outRows * outColumns
        for i in 0 ..< outRows {
            let rr = adaptiveRange(i, outRows, rows)
            for j in 0 ..< outColumns {
                let cc = adaptiveRange(j, outColumns, columns)
                var s: T = 0
                for r in rr { for c in cc { s += from[r * columns + c] } }
                to[i * outColumns + j] = s / T(rr.count * cc.count)
            }
        }
    }
}

/// Spreads each cell's gradient evenly over its inputs, added into `dx` (zeroed by the caller).
@_specialize(where T == Float)
@_specialize(where T == Double)
func adaptiveAvgPool2dBackward<T: NNScalar>(_ g: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, outRows: Int, outColumns: Int,
                                            into dx: UnsafeMutablePointer<T>, workers: Int) {
    let grad = SendableConstPointer(g), target = SendablePointer(dx)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = grad.pointer + plane * outRows * outColumns, to = target.pointer + plane * rows * columns
        for i in 0 ..< outRows {
            let rr = adaptiveRange(i, outRows, rows)
            for j in 0 ..< outColumns {
                let cc = adaptiveRange(j, outColumns, columns)
                let v = from[i * outColumns + j] / T(rr.count * cc.count)
                for r in rr { for c in cc { to[r * columns + c] += v } }
            }
        }
    }
}
