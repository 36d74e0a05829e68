import MedImage
import Foundation
import MedKernels

/// tanh, element by element (ESPCN's activation).
public final class Tanh<T: NNScalar>: Layer {
    private var output: [T] = []
    public var parameters: [Parameter<T>] { [] }
    /// The convolution before this layer already applied tanh (`Conv2d.fuseTanh`): forward
    /// passes its input through and keeps it as the output backward needs.
    var fused = false
    public init() {}

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        if fused {
            output = x.data
            return x
        }
        var y: Tensor<T>
        if T.self == Float.self {
            y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: x.rows, columns: x.columns)
            x.data.withUnsafeBufferPointer { source in
                y.data.withUnsafeMutableBufferPointer { buffer in
                    source.withMemoryRebound(to: Float.self) { from in
                        buffer.withMemoryRebound(to: Float.self) { FastMath.tanh(from, into: $0) }
                    }
                }
            }
        } else {
            y = x
            for i in y.data.indices { y.data[i] = T.tanh(y.data[i]) }
        }
        output = y.data
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var d = g
        output.withUnsafeBufferPointer { o in
            d.data.withUnsafeMutableBufferPointer { dd in
                for i in 0 ..< dd.count { dd[i] *= 1 - o[i] * o[i] }
            }
        }
        return d
    }
}

/// PyTorch `nn.PixelShuffle(r)`: `[C·r², B, H, W]` → `[C, B, H·r, W·r]`, output (c, y·r+i, x·r+j)
/// taken from input channel c·r² + i·r + j.
public final class PixelShuffle<T: NNScalar>: Layer {
    public let factor: Int
    public var parameters: [Parameter<T>] { [] }
    /// Threads over output planes.
    public var workers = 1
    public init(_ factor: Int) { self.factor = factor }
    public func setWorkers(_ n: Int) { workers = max(1, n) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        let r = factor, c = x.channels / (r * r)
        precondition(c * r * r == x.channels, "PixelShuffle(\(r)) needs channels divisible by \(r * r)")
        // Every output value comes from exactly one input value: output rows are written one
        // after the other, each interleaving r input rows.
        var y = Tensor<T>(uninitializedChannels: c, batch: x.batch, rows: x.rows * r, columns: x.columns * r)
        let batch = x.batch, rows = x.rows, cols = x.columns, plane = x.plane, width = y.columns, outPlane = y.plane
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                let source = SendableConstPointer(xs.baseAddress!), target = SendablePointer(ys.baseAddress!)
                parallelFor(c * batch, workers: workers) { job, _ in
                    let ch = job / batch, b = job % batch
                    let out = target.pointer + (ch * batch + b) * outPlane
                    for yy in 0 ..< rows {
                        for i in 0 ..< r {
                            let line = out + (yy * r + i) * width
                            for j in 0 ..< r {
                                let from = source.pointer + ((ch * r * r + i * r + j) * batch + b) * plane + yy * cols
                                for xx in 0 ..< cols { line[xx * r + j] = from[xx] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let r = factor, rows = g.rows / r, cols = g.columns / r
        var d = Tensor<T>(uninitializedChannels: g.channels * r * r, batch: g.batch, rows: rows, columns: cols)
        let batch = g.batch, plane = d.plane, width = g.columns, outPlane = g.plane
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                let source = SendableConstPointer(gs.baseAddress!), target = SendablePointer(ds.baseAddress!)
                parallelFor(g.channels * batch, workers: workers) { job, _ in
                    let ch = job / batch, b = job % batch
                    let from = source.pointer + (ch * batch + b) * outPlane
                    for i in 0 ..< r {
                        for j in 0 ..< r {
                            let to = target.pointer + ((ch * r * r + i * r + j) * batch + b) * plane
                            for yy in 0 ..< rows {
                                let line = from + (yy * r + i) * width + j
                                for xx in 0 ..< cols { to[yy * cols + xx] = line[xx * r] }
                            }
                        }
                    }
                }
            }
        }
        return d
    }
}

/// Losses as plain functions: the value and dLoss/dPrediction.
public enum Loss {
    /// Mean squared error over every element (PyTorch `MSELoss(reduction="mean")`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func mse<T: NNScalar>(_ prediction: Tensor<T>, _ target: Tensor<T>) -> (value: Double, gradient: Tensor<T>) {
        precondition(prediction.count == target.count)
        var g = prediction
        var sum = 0.0
        let n = T(prediction.count)
        for i in g.data.indices {
            let d = prediction.data[i] - target.data[i]
            sum += Double(d * d)
            g.data[i] = 2 * d / n
        }
        return (sum / Double(prediction.count), g)
    }

    /// Mean absolute error (PyTorch `L1Loss`; the gradient at 0 is 0, as `sign`).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func l1<T: NNScalar>(_ prediction: Tensor<T>, _ target: Tensor<T>) -> (value: Double, gradient: Tensor<T>) {
        precondition(prediction.count == target.count)
        var g = prediction
        var sum = 0.0
        let n = T(prediction.count)
        for i in g.data.indices {
            let d = prediction.data[i] - target.data[i]
            sum += Double(abs(d))
            g.data[i] = d > 0 ? 1 / n : (d < 0 ? -1 / n : 0)
        }
        return (sum / Double(prediction.count), g)
    }

    /// Binary cross-entropy on logits against a constant label (PyTorch
    /// `BCEWithLogitsLoss(reduction="mean")`), computed stably as max(x, 0) − x·z + log(1 + e^−|x|).
    public static func bceWithLogits<T: NNScalar>(_ logits: Tensor<T>, target z: Double) -> (value: Double, gradient: Tensor<T>) {
        var g = logits
        var sum = 0.0
        let n = Double(logits.count)
        for i in g.data.indices {
            let x = Double(logits.data[i])
            sum += max(x, 0) - x * z + Foundation.log1p(Foundation.exp(-abs(x)))
            g.data[i] = T((1 / (1 + Foundation.exp(-x)) - z) / n)
        }
        return (sum / n, g)
    }

    /// Total variation as Swift-SRGAN's `TVLoss` defines it: 2·(Σ Δy² / (C·(H−1)·W) +
    /// Σ Δx² / (C·H·(W−1))) / B, for images of at least 2×2.
    public static func totalVariation<T: NNScalar>(_ x: Tensor<T>) -> (value: Double, gradient: Tensor<T>) {
        precondition(x.rows >= 2 && x.columns >= 2)
        var g = Tensor<T>(channels: x.channels, batch: x.batch, rows: x.rows, columns: x.columns)
        let countH = Double(x.channels * (x.rows - 1) * x.columns), countW = Double(x.channels * x.rows * (x.columns - 1))
        let kh = 2 / (countH * Double(x.batch)), kw = 2 / (countW * Double(x.batch))
        var h = 0.0, w = 0.0
        for plane in 0 ..< x.channels * x.batch {
            let base = plane * x.plane
            for r in 0 ..< x.rows { for c in 0 ..< x.columns {
                let i = base + r * x.columns + c
                if r + 1 < x.rows {
                    let d = Double(x.data[i + x.columns] - x.data[i])
                    h += d * d
                    g.data[i + x.columns] += T(2 * d * kh)
                    g.data[i] -= T(2 * d * kh)
                }
                if c + 1 < x.columns {
                    let d = Double(x.data[i + 1] - x.data[i])
                    w += d * d
                    g.data[i + 1] += T(2 * d * kw)
                    g.data[i] -= T(2 * d * kw)
                }
            } }
        }
        return (h * kh + w * kw, g)
    }
}
