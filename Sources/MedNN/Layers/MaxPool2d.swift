import MedKernels
import MedImage
import MedKernels

/// Max pooling (PyTorch `nn.MaxPool2d(kernel, stride, padding, ceil_mode)`, dilation 1): the
/// padding counts as −∞, a window's first largest value (row-major order) wins, and NaN
/// propagates as in PyTorch (its index: the window's last NaN). The index of each output's source (within its plane, as
/// PyTorch's `return_indices`) is kept for backward, which sends each output's gradient there.
public final class MaxPool2d<T: NNScalar>: Layer {
    public let geometry: PoolGeometry
    /// Threads over planes (channel × batch item).
    public var workers = 1
    /// Per output value, the flat index `row · columns + column` of its source in its input plane.
    public private(set) var indices: [Int32] = []
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)

    public var parameters: [Parameter<T>] { [] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    /// - Parameters: `stride` defaults to `kernel` (PyTorch's default); `padding` at most `kernel / 2`.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        geometry = PoolGeometry(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        let oh = geometry.outputSize(x.rows), ow = geometry.outputSize(x.columns)
        precondition(oh > 0 && ow > 0, "max pooling: input \(x.rows)×\(x.columns) is smaller than the window")
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: oh, columns: ow)
        if indices.count != y.count { indices = [Int32](repeating: 0, count: y.count) }
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                indices.withUnsafeMutableBufferPointer { ids in
                    maxPool2dForward(xs.baseAddress!, planes: x.channels * x.batch, rows: x.rows, columns: x.columns,
                                     geometry: geometry, into: ys.baseAddress!, indices: ids.baseAddress!, workers: workers)
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let s = inputShape
        precondition(g.count == indices.count && g.channels == s.channels, "max pooling: backward before forward or wrong shape")
        var d = Tensor<T>(channels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                indices.withUnsafeBufferPointer { ids in
                    maxPool2dBackward(gs.baseAddress!, indices: ids.baseAddress!, planes: s.channels * s.batch, outPlane: g.plane,
                                      inPlane: s.rows * s.columns, into: ds.baseAddress!, workers: workers)
                }
            }
        }
        return d
    }
}

/// Max pooling of `planes` planes of `rows × columns` into `y` (planes of
/// `geometry.outputSize(rows) × geometry.outputSize(columns)`), with each output's source index
/// within its plane in `indices`. Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func maxPool2dForward<T: NNScalar>(_ x: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, geometry: PoolGeometry,
                                   into y: UnsafeMutablePointer<T>, indices: UnsafeMutablePointer<Int32>, workers: Int) {
    let oh = geometry.outputSize(rows), ow = geometry.outputSize(columns)
    let k = geometry.kernel, s = geometry.stride, p = geometry.padding
    let source = SendableConstPointer(x), target = SendablePointer(y), where_ = SendablePointer(indices)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = source.pointer + plane * rows * columns
        let to = target.pointer + plane * oh * ow, index = where_.pointer + plane * oh * ow
        for oy in 0 ..< oh {
            let y0 = oy * s - p, y1 = min(y0 + k, rows), ys = max(y0, 0)
            for ox in 0 ..< ow {
                let x0 = ox * s - p, x1 = min(x0 + k, columns), xs = max(x0, 0)
                var best = -T.infinity, at = ys * columns + xs
                for r in ys ..< y1 {
                    let line = from + r * columns
                    for c in xs ..< x1 {
                        let v = line[c]
                        if v > best || v.isNaN {
                            best = v
                            at = r * columns + c
                        }
                    }
                }
                to[oy * ow + ox] = best
                index[oy * ow + ox] = Int32(at)
            }
        }
    }
}

/// Adds each output gradient to its source in `dx` (zeroed by the caller). Threads over planes
/// (a plane's sources lie in its own input plane).
@_specialize(where T == Float)
@_specialize(where T == Double)
func maxPool2dBackward<T: NNScalar>(_ g: UnsafePointer<T>, indices: UnsafePointer<Int32>, planes: Int, outPlane: Int,
                                    inPlane: Int, into dx: UnsafeMutablePointer<T>, workers: Int) {
    let grad = SendableConstPointer(g), index = SendableConstPointer(indices), target = SendablePointer(dx)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = grad.pointer + plane * outPlane, at = index.pointer + plane * outPlane
        let to = target.pointer + plane * inPlane
        for i in 0 ..< outPlane { to[Int(at[i])] += from[i] }
    }
}
