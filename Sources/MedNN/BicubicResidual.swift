import MedImage

/// A super-resolution network that learns the difference to bicubic interpolation:
/// `output = network(x) + bicubic(x)`, bicubic being the dataset's Pillow-compatible kernel
/// (Keys a = −0.5, `Resample.bicubic`). A fresh network whose output is near zero starts at
/// bicubic's quality instead of far below it, and its capacity goes to the detail bicubic
/// misses (the "global residual" of VDSR, Kim et al. 2016).
///
/// The state dict is the wrapped network's, name for name: a PyTorch module loads it as is and
/// adds `bicubic(x)` to its output (saved models say so in their `residual` metadata).
public final class BicubicResidual<T: NNScalar>: SRNetwork {
    public let network: any Model<T>

    /// Wraps `network`; with `startNearBicubic`, its last layer's weights and bias are scaled by
    /// `1e-2` so the first outputs are bicubic plus a small correction.
    public init(_ network: any Model<T>, startNearBicubic: Bool = false) {
        self.network = network
        if startNearBicubic, let last = network.trainable.last(where: { $0.name.hasSuffix("weight") }) {
            let prefix = last.name.dropLast("weight".count)
            for p in network.trainable where p.name.hasPrefix(prefix) {
                for i in p.value.indices { p.value[i] *= T(0.01) }
            }
        }
    }

    public var architecture: String { network.architecture }
    public var channels: Int { network.configuration.channels }
    public var scale: Int { network.configuration.scale }
    public var configuration: ModelConfiguration { network.configuration }
    public var parameters: [Parameter<T>] { network.parameters }

    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = network.forward(x)
        let planeIn = x.plane, planeOut = y.plane
        for p in 0 ..< x.channels * x.batch {
            let lr = PixelArray(rows: x.rows, columns: x.columns,
                                samples: .float32(x.data[p * planeIn ..< (p + 1) * planeIn].map { Float($0) }))
            let up = Resample.bicubic(lr, columns: y.columns, rows: y.rows).samples.floats()
            let base = p * planeOut
            for i in 0 ..< planeOut { y.data[base + i] += T(up[i]) }
        }
        return y
    }

    /// The wrapped network's backward; the bicubic branch holds no parameters, and its share of
    /// the input gradient is not added (the input is data).
    @discardableResult
    public func backward(_ g: Tensor<T>) -> Tensor<T> { network.backward(g) }

    public func setThreads(_ n: Int) { network.setThreads(n) }
    public func setTraining(_ training: Bool) { network.setTraining(training) }
    /// The network's radius, or bicubic's two-pixel support if wider.
    public var receptiveRadius: Int { max(network.receptiveRadius, 3) }
}
