/// tanh, element by element (ESPCN's activation).
public final class Tanh<T: NNScalar>: Layer {
    private var output: [T] = []
    public var parameters: [Parameter<T>] { [] }
    public init() {}

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = x
        if T.self == Float.self {
            y.data.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: Float.self) { FastMath.tanh($0) }
            }
        } else {
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
    public init(_ factor: Int) { self.factor = factor }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        let r = factor, c = x.channels / (r * r)
        precondition(c * r * r == x.channels, "PixelShuffle(\(r)) needs channels divisible by \(r * r)")
        var y = Tensor<T>(channels: c, batch: x.batch, rows: x.rows * r, columns: x.columns * r)
        for ch in 0 ..< c { for b in 0 ..< x.batch { for i in 0 ..< r { for j in 0 ..< r {
            let src = ((ch * r * r + i * r + j) * x.batch + b) * x.plane
            let dst = (ch * x.batch + b) * y.plane
            for yy in 0 ..< x.rows { for xx in 0 ..< x.columns {
                y.data[dst + (yy * r + i) * y.columns + xx * r + j] = x.data[src + yy * x.columns + xx]
            } }
        } } } }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let r = factor, rows = g.rows / r, cols = g.columns / r
        var d = Tensor<T>(channels: g.channels * r * r, batch: g.batch, rows: rows, columns: cols)
        for ch in 0 ..< g.channels { for b in 0 ..< g.batch { for i in 0 ..< r { for j in 0 ..< r {
            let dst = ((ch * r * r + i * r + j) * g.batch + b) * d.plane
            let src = (ch * g.batch + b) * g.plane
            for yy in 0 ..< rows { for xx in 0 ..< cols {
                d.data[dst + yy * cols + xx] = g.data[src + (yy * r + i) * g.columns + xx * r + j]
            } }
        } } } }
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
}
