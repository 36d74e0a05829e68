/// The convolutional denoising autoencoder of the brain-tumour study: the classic Keras design
/// (Chollet, "Building Autoencoders in Keras", 2016) that such studies use. Encoder: `depth` ×
/// [conv 3×3 → `width` channels + ReLU, 2×2 max pooling]; decoder: `depth` × [conv 3×3 `width`
/// + ReLU, nearest 2× up-sampling]; then conv 3×3 → C and a sigmoid, so **outputs lie in (0, 1)**
/// and targets must be scaled to [0, 1]. Defaults: width 32, depth 2 (28² → 7² × 32 in the
/// original; 28 K parameters, grey). **Input sides must be multiples of `sizeMultiple` = 2^depth.**
///
/// Parameter names are those of this PyTorch module (`Tools/reference/restore_reference.py`):
///
///     class DenoisingAutoencoder(nn.Module):
///         def __init__(self, channels=1, width=32, depth=2):
///             super().__init__()
///             enc, dec = [], []
///             for l in range(depth):
///                 enc += [nn.Conv2d(channels if l == 0 else width, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
///                 dec += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest")]
///             dec += [nn.Conv2d(width, channels, 3, padding=1), nn.Sigmoid()]
///             self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
///         def forward(self, x):
///             return self.decoder(self.encoder(x))
public final class DenoisingAutoencoder<T: NNScalar>: Model {
    public var architecture: String { "dae" }
    public let channels: Int, width: Int, depth: Int
    public var configuration: ModelConfiguration {
        ModelConfiguration(architecture: architecture, channels: channels, width: width, depth: depth)
    }
    let body: Sequential<T>
    let first: Conv2d<T>

    public init(channels: Int = 1, width: Int = 32, depth: Int = 2, rng: inout some RandomNumberGenerator) {
        precondition(channels > 0 && width > 0 && depth >= 1, "the autoencoder needs channels, width and depth ≥ 1")
        self.channels = channels
        self.width = width
        self.depth = depth
        var layers: [any Layer<T>] = []
        var convs: [Conv2d<T>] = []
        for l in 0 ..< depth {
            convs.append(Conv2d<T>("encoder.\(3 * l)", in: l == 0 ? channels : width, out: width, kernel: 3, rng: &rng))
            layers += [convs.last!, ReLU<T>(), MaxPool2d<T>(kernel: 2)]
        }
        for l in 0 ..< depth {
            layers += [Conv2d<T>("decoder.\(3 * l)", in: width, out: width, kernel: 3, rng: &rng), ReLU<T>(), Upsample<T>(scale: 2)]
        }
        layers += [Conv2d<T>("decoder.\(3 * depth)", in: width, out: channels, kernel: 3, rng: &rng), Sigmoid<T>()]
        first = convs[0]
        first.inputGradient = false  // the input is data
        body = Sequential(layers)
    }

    /// Whether `backward` returns dLoss/dInput (off by default: the input is data).
    public var inputGradient: Bool {
        get { first.inputGradient }
        set { first.inputGradient = newValue }
    }

    /// Input rows and columns must be multiples of this (2^depth).
    public var sizeMultiple: Int { 1 << depth }

    public var parameters: [Parameter<T>] { body.parameters }
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.rows % sizeMultiple == 0 && x.columns % sizeMultiple == 0,
                     "autoencoder of depth \(depth): input \(x.rows)×\(x.columns) is not a multiple of \(sizeMultiple)")
        return body.forward(x)
    }
    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> { body.backward(g) }
    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }
    public func setTraining(_ training: Bool) { body.setTraining(training) }

    /// Input pixels beyond an output pixel that influence it, at the worst alignment of the pixel
    /// within a 2^depth cell: its dependence interval followed back through the network (a 3×3
    /// convolution widens it by 1 at its level, up-sampling maps [a, b] to [⌊a/2⌋, ⌊b/2⌋] one
    /// level down, pooling [a, b] to [2a, 2b+1] one level up).
    public var receptiveRadius: Int {
        (0 ..< 1 << depth).map { p in
            var (a, b) = (p - 1, p + 1)  // the last convolution
            for _ in 0 ..< depth { (a, b) = ((a >> 1) - 1, (b >> 1) + 1) }  // up-sampling, then the convolution before it
            for _ in 0 ..< depth { (a, b) = (2 * a - 1, 2 * b + 1 + 1) }  // pooling, then the convolution before it
            return max(p - a, b - p)
        }.max()!
    }
}

/// The registry entry of the denoising autoencoder.
public struct DenoisingAutoencoderArchitecture: Architecture {
    public init() {}
    public var name: String { "dae" }
    public var task: ModelTask { .restoration }
    public var summary: String {
        "The brain-tumour study's convolutional denoising autoencoder (Keras style): 2 × [conv 3×3 32 + ReLU + max pool], 2 × [conv + ReLU + up-sample], conv + sigmoid (28 K parameters, grey)."
    }
    public func check(_ c: ModelConfiguration) throws {
        guard c.scale == 1 else { throw ModelRegistry.RegistryError(message: "dae restores at scale 1, not \(c.scale)") }
        guard (c.width ?? 32) >= 1, (1 ... 8).contains(c.depth ?? 2) else { throw ModelRegistry.RegistryError(message: "dae needs width ≥ 1 and depth 1…8") }
    }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        DenoisingAutoencoder<T>(channels: c.channels, width: c.width ?? 32, depth: c.depth ?? 2, rng: &rng)
    }
}
