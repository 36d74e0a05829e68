import MedImage

/// PyTorch `nn.Flatten()`: `[C, B, H, W]` → `[C·H·W, B, 1, 1]`, each batch item's features in
/// NCHW order (channel, row, column). (`Linear` flattens its input itself; this layer is for
/// networks that need the flat tensor in between.)
public final class Flatten<T: NNScalar>: Layer {
    private var inputShape = (channels: 0, batch: 0, rows: 0, columns: 0)
    public var parameters: [Parameter<T>] { [] }
    public init() {}

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        inputShape = (x.channels, x.batch, x.rows, x.columns)
        var y = Tensor<T>(uninitializedChannels: x.channels * x.plane, batch: x.batch, rows: 1, columns: 1)
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                flattenPlanes(xs.baseAddress!, channels: x.channels, batch: x.batch, plane: x.plane, into: ys.baseAddress!, inverse: false)
            }
        }
        return y
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        let s = inputShape
        precondition(g.count == s.channels * s.batch * s.rows * s.columns, "flatten: gradient of the wrong shape")
        var d = Tensor<T>(uninitializedChannels: s.channels, batch: s.batch, rows: s.rows, columns: s.columns)
        g.data.withUnsafeBufferPointer { gs in
            d.data.withUnsafeMutableBufferPointer { ds in
                flattenPlanes(gs.baseAddress!, channels: s.channels, batch: s.batch, plane: s.rows * s.columns, into: ds.baseAddress!,
                              inverse: true)
            }
        }
        return d
    }
}

/// `[C, B, P]` ↔ `[C·P, B]`: feature c·P + i of item b is value i of plane (c, b).
@_specialize(where T == Float)
@_specialize(where T == Double)
func flattenPlanes<T: NNScalar>(_ x: UnsafePointer<T>, channels: Int, batch: Int, plane: Int, into y: UnsafeMutablePointer<T>,
                                inverse: Bool) {
    for c in 0 ..< channels { for b in 0 ..< batch { for i in 0 ..< plane {
        let planar = (c * batch + b) * plane + i, flat = (c * plane + i) * batch + b
        if inverse { y[planar] = x[flat] } else { y[flat] = x[planar] }
    } } }
}
