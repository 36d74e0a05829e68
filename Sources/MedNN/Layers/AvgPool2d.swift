import MedKernels
import MedImage
import MedKernels

/// Average pooling (PyTorch `nn.AvgPool2d(kernel, stride, padding, ceil_mode,
/// count_include_pad)`): with `countIncludePad` (PyTorch's default) a window's sum is divided
/// by its size including the zero padding (but not the part of a `ceilMode` window that hangs
/// past the padding); without it, by the number of input values it covers.
public final class AvgPool2d<T: NNScalar>: Layer {
    public let geometry: PoolGeometry
    public let countIncludePad: Bool
    /// Threads over planes (channel × batch item).
    public var workers = 1
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)

    public var parameters: [Parameter<T>] { [] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    /// - Parameters: `stride` defaults to `kernel` (PyTorch's default); `padding` at most `kernel / 2`.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        geometry = PoolGeometry(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        self.countIncludePad = countIncludePad
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        let oh = geometry.outputSize(x.rows), ow = geometry.outputSize(x.columns)
        precondition(oh > 0 && ow > 0, "average pooling: input \(x.rows)×\(x.columns) is smaller than the window")
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: oh, columns: ow)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                avgPool2dForward(xs.baseAddress!, planes: x.channels * x.batch, rows: x.rows, columns: x.columns, geometry: geometry,
                                 countIncludePad: countIncludePad, into: ys.baseAddress!, workers: workers)
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let s = inputShape
        precondition(g.channels == s.channels && g.rows == geometry.outputSize(s.rows) && g.columns == geometry.outputSize(s.columns),
                     "average pooling: backward before forward or wrong shape")
        var d = Tensor<T>(channels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                avgPool2dBackward(gs.baseAddress!, planes: s.channels * s.batch, rows: s.rows, columns: s.columns, geometry: geometry,
                                  countIncludePad: countIncludePad, into: ds.baseAddress!, workers: workers)
            }
        }
        return d
    }
}

/// One average-pooling window: the input rows (or columns) it covers and its divisor's factor.
@inline(__always)
func averageWindow(_ o: Int, _ n: Int, _ g: PoolGeometry, countIncludePad: Bool) -> (start: Int, end: Int, size: Int) {
    let start = o * g.stride - g.padding
    let end = min(start + g.kernel, n + g.padding)
    let padded = end - start
    let a = max(start, 0), b = min(end, n)
    return (a, b, countIncludePad ? padded : b - a)
}

/// Average pooling of `planes` planes of `rows × columns` into `y`. Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func avgPool2dForward<T: NNScalar>(_ x: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, geometry: PoolGeometry,
                                   countIncludePad: Bool, into y: UnsafeMutablePointer<T>, workers: Int) {
    let oh = geometry.outputSize(rows), ow = geometry.outputSize(columns)
    let source = SendableConstPointer(x), target = SendablePointer(y)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = source.pointer + plane * rows * columns, to = target.pointer + plane * oh * ow
        for oy in 0 ..< oh {
            let (y0, y1, hs) = averageWindow(oy, rows, geometry, countIncludePad: countIncludePad)
            for ox in 0 ..< ow {
                let (x0, x1, ws) = averageWindow(ox, columns, geometry, countIncludePad: countIncludePad)
                var sum: T = 0
                for r in y0 ..< y1 {
                    let line = from + r * columns
                    for c in x0 ..< x1 { sum += line[c] }
                }
                to[oy * ow + ox] = sum / T(hs * ws)
            }
        }
    }
}

/// Adds each output gradient, divided by its window's divisor, to the window's inputs in `dx`
/// (zeroed by the caller). Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func avgPool2dBackward<T: NNScalar>(_ g: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, geometry: PoolGeometry,
                                    countIncludePad: Bool, into dx: UnsafeMutablePointer<T>, workers: Int) {
    let oh = geometry.outputSize(rows), ow = geometry.outputSize(columns)
    let grad = SendableConstPointer(g), target = SendablePointer(dx)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = grad.pointer + plane * oh * ow, to = target.pointer + plane * rows * columns
        for oy in 0 ..< oh {
            let (y0, y1, hs) = averageWindow(oy, rows, geometry, countIncludePad: countIncludePad)
            for ox in 0 ..< ow {
                let (x0, x1, ws) = averageWindow(ox, columns, geometry, countIncludePad: countIncludePad)
                let v = from[oy * ow + ox] / T(hs * ws)
                for r in y0 ..< y1 {
                    let line = to + r * columns
                    for c in x0 ..< x1 { line[c] += v }
                }
            }
        }
    }
}
