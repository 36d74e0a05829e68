import MedKernels
import MedImage

// Small layers the restoration networks (U-Net, denoising autoencoder) share: 2×2 max pooling,
// nearest-neighbour 2× up-sampling and the channel concatenation of U-Net skips. They stand in
// until the general `MaxPool2d` / `Upsample` / `Concat` layers land; each is exact (no
// arithmetic but copies and, backward, sums of four values).

/// PyTorch `nn.MaxPool2d(2)` on even sides: each output is its 2×2 window's first largest value
/// (row-major order), and backward sends the gradient there. Threads over planes.
final class MaxPool2<T: NNScalar>: Layer {
    private var source: [Int32] = []
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)
    var workers = 1
    var parameters: [Parameter<T>] { [] }
    func setWorkers(_ n: Int) { workers = max(1, n) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.rows % 2 == 0 && x.columns % 2 == 0, "2×2 max pooling needs even sides, got \(x.rows)×\(x.columns)")
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        let oh = x.rows / 2, ow = x.columns / 2, cols = x.columns, inPlane = x.plane
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: oh, columns: ow)
        if source.count != y.count { source = [Int32](repeating: 0, count: y.count) }
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                source.withUnsafeMutableBufferPointer { ss in
                    let from = SendableConstPointer(xs.baseAddress!), to = SendablePointer(ys.baseAddress!)
                    let index = SendablePointer(ss.baseAddress!)
                    parallelFor(x.channels * x.batch, workers: workers) { plane, _ in
                        let p = from.pointer + plane * inPlane, o = to.pointer + plane * oh * ow, s = index.pointer + plane * oh * ow
                        for i in 0 ..< oh {
                            let top = p + 2 * i * cols, bottom = top + cols
                            for j in 0 ..< ow {
                                // Row-major order; a later value wins only when strictly larger.
                                var best = top[2 * j], at = 2 * i * cols + 2 * j
                                if top[2 * j + 1] > best { best = top[2 * j + 1]; at = 2 * i * cols + 2 * j + 1 }
                                if bottom[2 * j] > best { best = bottom[2 * j]; at = (2 * i + 1) * cols + 2 * j }
                                if bottom[2 * j + 1] > best { best = bottom[2 * j + 1]; at = (2 * i + 1) * cols + 2 * j + 1 }
                                o[i * ow + j] = best
                                s[i * ow + j] = Int32(truncatingIfNeeded: at)
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
    func backward(_ g: Tensor<T>) -> Tensor<T> {
        let s = inputShape
        precondition(g.count == source.count, "max pooling: backward before forward")
        var d = Tensor<T>(channels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        let outPlane = g.plane, inPlane = s.rows * s.columns
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                source.withUnsafeBufferPointer { ss in
                    let from = SendableConstPointer(gs.baseAddress!), to = SendablePointer(ds.baseAddress!)
                    let index = SendableConstPointer(ss.baseAddress!)
                    parallelFor(s.channels * s.batch, workers: workers) { plane, _ in
                        let gp = from.pointer + plane * outPlane, dp = to.pointer + plane * inPlane, sp = index.pointer + plane * outPlane
                        for i in 0 ..< outPlane { dp[Int(sp[i])] = gp[i] }  // windows do not overlap
                    }
                }
            }
        }
        return d
    }
}

/// PyTorch `nn.Upsample(scale_factor=2, mode="nearest")`: output (2y+i, 2x+j) is input (y, x);
/// backward sums each 2×2 block of the gradient. Threads over planes.
final class Upsample2<T: NNScalar>: Layer {
    var workers = 1
    var parameters: [Parameter<T>] { [] }
    func setWorkers(_ n: Int) { workers = max(1, n) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func forward(_ x: Tensor<T>) -> Tensor<T> {
        let rows = x.rows, cols = x.columns, ow = 2 * cols
        var y = Tensor<T>(uninitializedChannels: x.channels, batch: x.batch, rows: 2 * rows, columns: ow)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                let from = SendableConstPointer(xs.baseAddress!), to = SendablePointer(ys.baseAddress!)
                parallelFor(x.channels * x.batch, workers: workers) { plane, _ in
                    let p = from.pointer + plane * rows * cols, o = to.pointer + plane * 4 * rows * cols
                    for i in 0 ..< rows {
                        let line = o + 2 * i * ow, src = p + i * cols
                        for j in 0 ..< cols {
                            line[2 * j] = src[j]
                            line[2 * j + 1] = src[j]
                        }
                        (line + ow).update(from: line, count: ow)
                    }
                }
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func backward(_ g: Tensor<T>) -> Tensor<T> {
        precondition(g.rows % 2 == 0 && g.columns % 2 == 0)
        let rows = g.rows / 2, cols = g.columns / 2, gw = g.columns
        var d = Tensor<T>(uninitializedChannels: g.channels, batch: g.batch, rows: rows, columns: cols)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                let from = SendableConstPointer(gs.baseAddress!), to = SendablePointer(ds.baseAddress!)
                parallelFor(g.channels * g.batch, workers: workers) { plane, _ in
                    let p = from.pointer + plane * 4 * rows * cols, o = to.pointer + plane * rows * cols
                    for i in 0 ..< rows {
                        let top = p + 2 * i * gw, bottom = top + gw
                        for j in 0 ..< cols {
                            o[i * cols + j] = (top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1])
                        }
                    }
                }
            }
        }
        return d
    }
}

/// Channel concatenation of U-Net skips (`torch.cat([a, b], dim=1)`). In the `[C, B, H, W]`
/// layout it is one append, and its backward one split.
enum ChannelConcat {
    static func join<T: NNScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
        precondition(a.batch == b.batch && a.rows == b.rows && a.columns == b.columns,
                     "concatenation of \(a.rows)×\(a.columns) and \(b.rows)×\(b.columns) maps")
        var y = a
        y.data.append(contentsOf: b.data)
        y.channels += b.channels
        return y
    }

    /// The gradients of the first `channels` channels and of the rest.
    static func split<T: NNScalar>(_ g: Tensor<T>, channels: Int) -> (Tensor<T>, Tensor<T>) {
        let n = channels * g.batch * g.plane
        let a = Tensor(channels: channels, batch: g.batch, rows: g.rows, columns: g.columns, data: Array(g.data[..<n]))
        let b = Tensor(channels: g.channels - channels, batch: g.batch, rows: g.rows, columns: g.columns, data: Array(g.data[n...]))
        return (a, b)
    }
}
