import MedKernels
import MedImage
import MedKernels

/// Up-sampling by an integer factor (PyTorch `nn.Upsample(scale_factor=s, mode=…,
/// align_corners=…)`).
/// - nearest: output (y, x) copies input (⌊y/s⌋, ⌊x/s⌋).
/// - bilinear, `alignCorners` false (PyTorch's default): output y samples input
///   (y + ½)/s − ½, clamped at 0; true: y·(n − 1)/(n·s − 1), so the corner pixels line up.
///   Linear in each axis between the two neighbouring inputs (the last repeats at the edge).
public final class Upsample<T: NNScalar>: Layer {
    public enum Mode: String, Sendable, CaseIterable { case nearest, bilinear }
    public let scale: Int
    public let mode: Mode
    public let alignCorners: Bool
    /// Threads over planes (channel × batch item).
    public var workers = 1
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)

    public var parameters: [Parameter<T>] { [] }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    public init(scale: Int, mode: Mode = .nearest, alignCorners: Bool = false) {
        precondition(scale >= 1, "upsample: scale must be at least 1")
        self.scale = scale
        self.mode = mode
        self.alignCorners = alignCorners
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: x.rows * scale, columns: x.columns * scale)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                switch mode {
                case .nearest:
                    upsampleNearestForward(xs.baseAddress!, planes: x.channels * x.batch, rows: x.rows, columns: x.columns, scale: scale,
                                           into: ys.baseAddress!, workers: workers)
                case .bilinear:
                    upsampleBilinearForward(xs.baseAddress!, planes: x.channels * x.batch, rows: x.rows, columns: x.columns,
                                            rowTaps: LinearTaps(x.rows, scale: scale, alignCorners: alignCorners),
                                            columnTaps: LinearTaps(x.columns, scale: scale, alignCorners: alignCorners),
                                            into: ys.baseAddress!, workers: workers)
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let s = inputShape
        precondition(g.channels == s.channels && g.rows == s.rows * scale && g.columns == s.columns * scale,
                     "upsample: gradient of the wrong shape")
        var d = Tensor<T>(channels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                switch mode {
                case .nearest:
                    upsampleNearestBackward(gs.baseAddress!, planes: s.channels * s.batch, rows: s.rows, columns: s.columns,
                                            scale: scale, into: ds.baseAddress!, workers: workers)
                case .bilinear:
                    upsampleBilinearBackward(gs.baseAddress!, planes: s.channels * s.batch, rows: s.rows, columns: s.columns,
                                             rowTaps: LinearTaps(s.rows, scale: scale, alignCorners: alignCorners),
                                             columnTaps: LinearTaps(s.columns, scale: scale, alignCorners: alignCorners),
                                             into: ds.baseAddress!, workers: workers)
                }
            }
        }
        return d
    }
}

/// For each output index along one axis of a bilinear up-sampling, its two inputs and the
/// weight of the second (PyTorch's `upsample_bilinear2d` source index arithmetic).
struct LinearTaps: Sendable {
    var first: [Int], second: [Int], weight: [Double]

    init(_ n: Int, scale: Int, alignCorners: Bool) {
        let out = n * scale
        first = []
        second = []
        weight = []
        for o in 0 ..< out {
            let source: Double
            if alignCorners {
                source = out > 1 ? Double(o) * Double(n - 1) / Double(out - 1) : 0
            } else {
                source = max(0, (Double(o) + 0.5) / Double(scale) - 0.5)
            }
            let i0 = min(Int(source), n - 1)
            first.append(i0)
            second.append(min(i0 + 1, n - 1))
            weight.append(source - Double(i0))
        }
    }
}

/// Nearest-neighbour up-sampling of `planes` planes by `scale`. Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func upsampleNearestForward<T: NNScalar>(_ x: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, scale s: Int,
                                         into y: UnsafeMutablePointer<T>, workers: Int) {
    let source = SendableConstPointer(x), target = SendablePointer(y), width = columns * s
    parallelFor(planes, workers: workers) { plane, _ in
        let from = source.pointer + plane * rows * columns, to = target.pointer + plane * rows * columns * s * s
        for r in 0 ..< rows {
            let line = to + r * s * width, input = from + r * columns
            for c in 0 ..< columns {
                let v = input[c]
                for j in 0 ..< s { line[c * s + j] = v }
            }
            for i in 1 ..< s { (line + i * width).update(from: line, count: width) }
        }
    }
}

/// Sums each s×s block of the gradient into `dx` (zeroed by the caller). Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func upsampleNearestBackward<T: NNScalar>(_ g: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, scale s: Int,
                                          into dx: UnsafeMutablePointer<T>, workers: Int) {
    let grad = SendableConstPointer(g), target = SendablePointer(dx), width = columns * s
    parallelFor(planes, workers: workers) { plane, _ in
        let from = grad.pointer + plane * rows * columns * s * s, to = target.pointer + plane * rows * columns
        for r in 0 ..< rows {
            let line = to + r * columns
            for i in 0 ..< s {
                let row = from + (r * s + i) * width
                for c in 0 ..< columns {
                    var sum: T = 0
                    for j in 0 ..< s { sum += row[c * s + j] }
                    line[c] += sum
                }
            }
        }
    }
}

/// Bilinear up-sampling of `planes` planes. Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func upsampleBilinearForward<T: NNScalar>(_ x: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, rowTaps: LinearTaps,
                                          columnTaps: LinearTaps, into y: UnsafeMutablePointer<T>, workers: Int) {
    let oh = rowTaps.first.count, ow = columnTaps.first.count
    let c0 = columnTaps.first, c1 = columnTaps.second, cw = columnTaps.weight.map { T($0) }
    let source = SendableConstPointer(x), target = SendablePointer(y)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = source.pointer + plane * rows * columns, to = target.pointer + plane * oh * ow
        c0.withUnsafeBufferPointer { c0 in c1.withUnsafeBufferPointer { c1 in cw.withUnsafeBufferPointer { cw in
            for oy in 0 ..< oh {
                let a = from + rowTaps.first[oy] * columns, b = from + rowTaps.second[oy] * columns
                let ly = T(rowTaps.weight[oy]), line = to + oy * ow
                for ox in 0 ..< ow {
                    let lx = cw[ox]
                    let top = a[c0[ox]] + lx * (a[c1[ox]] - a[c0[ox]])
                    let bottom = b[c0[ox]] + lx * (b[c1[ox]] - b[c0[ox]])
                    line[ox] = top + ly * (bottom - top)
                }
            }
        } } }
    }
}

/// The adjoint of bilinear up-sampling, added into `dx` (zeroed by the caller). Threads over planes.
@_specialize(where T == Float)
@_specialize(where T == Double)
func upsampleBilinearBackward<T: NNScalar>(_ g: UnsafePointer<T>, planes: Int, rows: Int, columns: Int, rowTaps: LinearTaps,
                                           columnTaps: LinearTaps, into dx: UnsafeMutablePointer<T>, workers: Int) {
    let oh = rowTaps.first.count, ow = columnTaps.first.count
    let c0 = columnTaps.first, c1 = columnTaps.second, cw = columnTaps.weight.map { T($0) }
    let grad = SendableConstPointer(g), target = SendablePointer(dx)
    parallelFor(planes, workers: workers) { plane, _ in
        let from = grad.pointer + plane * oh * ow, to = target.pointer + plane * rows * columns
        c0.withUnsafeBufferPointer { c0 in c1.withUnsafeBufferPointer { c1 in cw.withUnsafeBufferPointer { cw in
            for oy in 0 ..< oh {
                let a = to + rowTaps.first[oy] * columns, b = to + rowTaps.second[oy] * columns
                let ly = T(rowTaps.weight[oy]), line = from + oy * ow
                for ox in 0 ..< ow {
                    let v = line[ox], lx = cw[ox]
                    let top = v * (1 - ly), bottom = v * ly
                    a[c0[ox]] += top * (1 - lx)
                    a[c1[ox]] += top * lx
                    b[c0[ox]] += bottom * (1 - lx)
                    b[c1[ox]] += bottom * lx
                }
            }
        } } }
    }
}
