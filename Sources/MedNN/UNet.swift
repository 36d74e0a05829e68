/// The U-Net (Ronneberger et al. 2015) of the microscopy study's sharpening GAN, a same-resolution
/// restoration network: degraded `[C, B, H, W]` → restored `[C, B, H, W]`.
///
/// Level l (0 ..< depth) has `width·2^l` channels; each encoder block is two [3×3 convolution →
/// batch norm → ReLU] (convolutions without bias, as batch norm follows), then 2×2 max pooling;
/// the bottleneck is one such block at `width·2^depth` channels; each decoder level up-samples
/// ×2 (nearest neighbour, as Keras' `UpSampling2D`), concatenates the encoder tensor of its level
/// (skip first, then the up-sampled maps) and runs one block back to `width·2^l` channels; a 1×1
/// convolution (with bias, linear output) maps to C channels. The defaults, width 16 and depth 3,
/// are the study's: 3 × 256 × 256 → 128 × 32 × 32 at the bottleneck (0.49 M parameters, RGB).
/// Batch norm after every convolution is our choice (the study does not say; it is what pix2pix's
/// U-Net and most U-Nets since do).
///
/// **Input sides must be multiples of `sizeMultiple` = 2^depth** (the pooling halves them depth
/// times); the tiled inference runner pads to that. Parameter names are those of this PyTorch
/// module (`Tools/reference/restore_reference.py`):
///
///     def block(cin, cout):
///         return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
///                              nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
///     class UNet(nn.Module):
///         def __init__(self, channels=1, width=16, depth=3):
///             super().__init__()
///             w = [width * 2 ** l for l in range(depth + 1)]
///             self.down = nn.ModuleList([block(channels if l == 0 else w[l - 1], w[l]) for l in range(depth)])
///             self.bottleneck = block(w[depth - 1], w[depth])
///             self.up = nn.ModuleList([block(w[l] + w[l + 1], w[l]) for l in range(depth)])
///             self.pool, self.upsample = nn.MaxPool2d(2), nn.Upsample(scale_factor=2, mode="nearest")
///             self.head = nn.Conv2d(width, channels, 1)
///         def forward(self, x):
///             skips = []
///             for down in self.down:
///                 x = down(x); skips.append(x); x = self.pool(x)
///             x = self.bottleneck(x)
///             for l in reversed(range(len(self.up))):
///                 x = self.up[l](torch.cat([skips[l], self.upsample(x)], 1))
///             return self.head(x)
public final class UNet<T: NNScalar>: Model {
    public var architecture: String { "unet" }
    public let channels: Int, width: Int, depth: Int
    public var configuration: ModelConfiguration {
        ModelConfiguration(architecture: architecture, channels: channels, width: width, depth: depth)
    }
    let down: [Sequential<T>], bottleneck: Sequential<T>, up: [Sequential<T>], head: Conv2d<T>
    let pools: [MaxPool2d<T>], upsamples: [Upsample<T>]
    private var skipChannels: [Int] = []
    private var upChannels: [Int] = []
    private var skipGradients: [Tensor<T>?] = []

    public init(channels: Int = 1, width: Int = 16, depth: Int = 3, rng: inout some RandomNumberGenerator) {
        precondition(channels > 0 && width > 0 && depth >= 1, "U-Net needs channels, width and depth ≥ 1")
        self.channels = channels
        self.width = width
        self.depth = depth
        let w = (0 ... depth).map { width << $0 }
        down = (0 ..< depth).map { Self.block("down.\($0)", $0 == 0 ? channels : w[$0 - 1], w[$0], rng: &rng) }
        bottleneck = Self.block("bottleneck", w[depth - 1], w[depth], rng: &rng)
        up = (0 ..< depth).map { Self.block("up.\($0)", w[$0] + w[$0 + 1], w[$0], rng: &rng) }
        head = Conv2d("head", in: width, out: channels, kernel: 1, rng: &rng)
        pools = (0 ..< depth).map { _ in MaxPool2d(kernel: 2) }
        upsamples = (0 ..< depth).map { _ in Upsample(scale: 2) }
        // The input is data: its gradient is not needed for training (see `inputGradient`).
        (down[0].layers[0] as? Conv2d<T>)?.inputGradient = false
    }

    /// Whether `backward` returns dLoss/dInput (off by default: the input is data; a test or a
    /// loss through a frozen generator may turn it on).
    public var inputGradient: Bool {
        get { (down[0].layers[0] as? Conv2d<T>)?.inputGradient ?? true }
        set { (down[0].layers[0] as? Conv2d<T>)?.inputGradient = newValue }
    }

    /// `[conv 3×3 → BN → ReLU] × 2` named `name.0` … `name.5`.
    static func block(_ name: String, _ cin: Int, _ cout: Int, rng: inout some RandomNumberGenerator) -> Sequential<T> {
        Sequential([
            Conv2d<T>(name + ".0", in: cin, out: cout, kernel: 3, bias: false, rng: &rng), BatchNorm2d<T>(name + ".1", channels: cout), ReLU<T>(),
            Conv2d<T>(name + ".3", in: cout, out: cout, kernel: 3, bias: false, rng: &rng), BatchNorm2d<T>(name + ".4", channels: cout), ReLU<T>(),
        ])
    }

    /// Input rows and columns must be multiples of this (2^depth).
    public var sizeMultiple: Int { 1 << depth }

    public var parameters: [Parameter<T>] {
        down.flatMap(\.parameters) + bottleneck.parameters + up.flatMap(\.parameters) + head.parameters
    }

    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.rows % sizeMultiple == 0 && x.columns % sizeMultiple == 0,
                     "U-Net of depth \(depth): input \(x.rows)×\(x.columns) is not a multiple of \(sizeMultiple)")
        var skips = [Tensor<T>]()
        var h = x
        for l in 0 ..< depth {
            h = down[l].forward(h)
            skips.append(h)
            h = pools[l].forward(h)
        }
        h = bottleneck.forward(h)
        skipChannels = skips.map(\.channels)
        upChannels = Array(repeating: 0, count: depth)
        for l in (0 ..< depth).reversed() {
            let upsampled = upsamples[l].forward(h)
            upChannels[l] = upsampled.channels
            h = up[l].forward(concatChannels([skips[l], upsampled]))
        }
        return head.forward(h)
    }

    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> {
        var h = head.backward(g)
        var skipGradients = [Tensor<T>?](repeating: nil, count: depth)
        for l in 0 ..< depth {
            let parts = splitChannels(up[l].backward(h), [skipChannels[l], upChannels[l]])
            let (skip, upsampled) = (parts[0], parts[1])
            skipGradients[l] = skip
            h = upsamples[l].backward(upsampled)
        }
        h = bottleneck.backward(h)
        for l in (0 ..< depth).reversed() {
            h = pools[l].backward(h)
            Residual<T>.add(skipGradients[l]!.data, into: &h.data)
            h = down[l].backward(h)
        }
        return h
    }

    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        for s in down + [bottleneck] + up { s.setWorkers(n) }
        head.setWorkers(n)
        for p in pools { p.setWorkers(n) }
        for u in upsamples { u.setWorkers(n) }
    }

    public func setTraining(_ training: Bool) {
        for s in down + [bottleneck] + up { s.setTraining(training) }
        head.setTraining(training)
    }

    /// Input pixels beyond an output pixel that influence it, at the worst alignment of the
    /// pixel within a 2^depth cell (tiles start at multiples of `sizeMultiple`).
    public var receptiveRadius: Int { Self.receptiveRadius(depth: depth) }

    /// Follows each output pixel's dependence interval through the network: a 3×3 convolution
    /// widens it by 1 at its level, pooling maps [a, b] at level l+1 to [2a, 2b+1] at level l,
    /// nearest up-sampling maps [a, b] at level l to [⌊a/2⌋, ⌊b/2⌋] at level l+1.
    static func receptiveRadius(depth: Int) -> Int {
        // The input interval that the encoder output of level l over [a, b] reads.
        func encoder(_ l: Int, _ a: Int, _ b: Int) -> (Int, Int) {
            let (a, b) = (a - 2, b + 2)
            return l == 0 ? (a, b) : encoder(l - 1, 2 * a, 2 * b + 1)
        }
        // … and the decoder output of level l (the bottleneck at l = depth).
        func decoder(_ l: Int, _ a: Int, _ b: Int) -> (Int, Int) {
            if l == depth { return encoder(depth, a, b) }
            let (a, b) = (a - 2, b + 2)
            let skip = encoder(l, a, b), deeper = decoder(l + 1, a >> 1, b >> 1)
            return (min(skip.0, deeper.0), max(skip.1, deeper.1))
        }
        return (0 ..< 1 << depth).map { p in
            let (a, b) = decoder(0, p, p)
            return max(p - a, b - p)
        }.max()!
    }
}

/// The registry entry of the U-Net.
public struct UNetArchitecture: Architecture {
    public init() {}
    public var name: String { "unet" }
    public var task: ModelTask { .restoration }
    public var summary: String {
        "Ronneberger et al. 2015, the microscopy study's generator: conv-BN-ReLU blocks, 2×2 max pooling, nearest up-sampling + skip concatenation (width 16, depth 3: 256² → 128 × 32²; sides multiples of 2^depth)."
    }
    public func check(_ c: ModelConfiguration) throws {
        guard c.scale == 1 else { throw ModelRegistry.RegistryError(message: "unet restores at scale 1, not \(c.scale)") }
        guard (c.width ?? 16) >= 1, (1 ... 8).contains(c.depth ?? 3) else {
            throw ModelRegistry.RegistryError(message: "unet needs width ≥ 1 and depth 1…8")
        }
    }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        UNet<T>(channels: c.channels, width: c.width ?? 16, depth: c.depth ?? 3, rng: &rng)
    }
}
