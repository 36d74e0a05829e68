/// DnCNN (Zhang et al. 2017), the standard of Gaussian denoising: `depth` 3×3 convolutions of
/// `width` channels — conv + ReLU, (depth − 2) × [conv → batch norm → ReLU], conv — that
/// predict the noise (residual learning). **`forward` returns x − noise**, the clean image, so
/// the model's output is compared with the clean target like any restoration network's (the
/// loss is the same as the paper's loss on the noise, which is x − clean). Defaults: 17 layers,
/// 64 channels (0.56 M parameters, grey). Any input size works (receptive radius `depth`).
///
/// Parameter names are those of this PyTorch module (`Tools/reference/restore_reference.py`),
/// which follows the `dncnn.N` Sequential of the widely used DnCNN-PyTorch re-implementation
/// (SaoYan); unlike it, the first convolution has a bias (no batch norm follows it, as in the
/// paper's MatConvNet model):
///
///     class DnCNN(nn.Module):
///         def __init__(self, channels=1, depth=17, width=64):
///             super().__init__()
///             layers = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
///             for _ in range(depth - 2):
///                 layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
///             layers.append(nn.Conv2d(width, channels, 3, padding=1, bias=False))
///             self.dncnn = nn.Sequential(*layers)
///         def forward(self, x):
///             return x - self.dncnn(x)
public final class DnCNN<T: NNScalar>: Model {
    public var architecture: String { "dncnn" }
    public let channels: Int, width: Int, depth: Int
    public var configuration: ModelConfiguration {
        ModelConfiguration(architecture: architecture, channels: channels, width: width, depth: depth)
    }
    let body: Sequential<T>
    let first: Conv2d<T>
    private var wantsInputGradient = false

    public init(channels: Int = 1, width: Int = 64, depth: Int = 17, rng: inout some RandomNumberGenerator) {
        precondition(channels > 0 && width > 0 && depth >= 2, "DnCNN needs channels, width ≥ 1 and depth ≥ 2")
        self.channels = channels
        self.width = width
        self.depth = depth
        first = Conv2d<T>("dncnn.0", in: channels, out: width, kernel: 3, rng: &rng)
        var layers: [any Layer<T>] = [first, ReLU<T>()]
        for i in 0 ..< depth - 2 {
            let n = 2 + 3 * i
            layers.append(Conv2d<T>("dncnn.\(n)", in: width, out: width, kernel: 3, bias: false, rng: &rng))
            layers.append(BatchNorm2d<T>("dncnn.\(n + 1)", channels: width))
            layers.append(ReLU<T>())
        }
        layers.append(Conv2d<T>("dncnn.\(2 + 3 * (depth - 2))", in: width, out: channels, kernel: 3, bias: false, rng: &rng))
        body = Sequential(layers)
        first.inputGradient = false
    }

    /// Whether `backward` returns the whole dLoss/dInput (off by default: the input is data, and
    /// backward then returns only the identity path's share, the output gradient itself).
    public var inputGradient: Bool {
        get { first.inputGradient }
        set { first.inputGradient = newValue }
    }

    public var parameters: [Parameter<T>] { body.parameters }

    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == channels, "DnCNN expects \(channels) channels, got \(x.channels)")
        var y = body.forward(x)
        // x − noise, in place over the noise.
        x.data.withUnsafeBufferPointer { xs in
            y.data.withUnsafeMutableBufferPointer { ys in
                for i in 0 ..< ys.count { ys[i] = xs[i] - ys[i] }
            }
        }
        return y
    }

    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var negated = g
        negated.data.withUnsafeMutableBufferPointer { for i in 0 ..< $0.count { $0[i] = -$0[i] } }
        var d = body.backward(negated)
        Residual<T>.add(g.data, into: &d.data)
        return d
    }

    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }
    public func setTraining(_ training: Bool) { body.setTraining(training) }
    public var receptiveRadius: Int { depth }
}

/// The registry entry of DnCNN.
public struct DnCNNArchitecture: Architecture {
    public init() {}
    public var name: String { "dncnn" }
    public var task: ModelTask { .restoration }
    public var summary: String { "Zhang et al. 2017: 17 3×3 conv layers of 64 channels with batch norm, residual learning (0.56 M parameters, grey)." }
    public func check(_ c: ModelConfiguration) throws {
        guard c.scale == 1 else { throw ModelRegistry.RegistryError(message: "dncnn restores at scale 1, not \(c.scale)") }
        guard (c.width ?? 64) >= 1, (c.depth ?? 17) >= 2 else { throw ModelRegistry.RegistryError(message: "dncnn needs width ≥ 1 and depth ≥ 2") }
    }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        DnCNN<T>(channels: c.channels, width: c.width ?? 64, depth: c.depth ?? 17, rng: &rng)
    }
}
