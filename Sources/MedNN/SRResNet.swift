/// SRResNet (Ledig et al. 2017) and, with `separable`, the Swift-SRGAN generator (Krishnan et
/// al. 2021), in one skeleton whose `state_dict` names are those of this PyTorch module (README,
/// `Tools/reference/nn_reference.py`), which follows Swift-SRGAN's public code:
///
///     conv 9×9 C→64 + PReLU                                       initial.{cnn,act}
///     16 × [conv 3×3 → BN → PReLU → conv 3×3 → BN] + skip         residual.i.block{1,2}.{cnn,bn,act}
///     conv 3×3 → BN, + the output of `initial`                    convblock.{cnn,bn}
///     log2(r) × [conv 3×3 64→256 → PixelShuffle(2) → PReLU]       upsampler.i.{conv,act}
///     conv 9×9 64→C                                               final_conv
///
/// Scale 3 uses one [conv 64→576 → PixelShuffle(3) → PReLU]; ×8 uses three ×2 blocks (the
/// public Swift-SRGAN code builds ×16 for ×8 by adding r/2 blocks; this does not). Convolutions
/// followed by batch norm have no bias. PReLU has one slope per channel. With `separable` every
/// convolution is depthwise k×k then pointwise 1×1 (`….depthwise`, `….pointwise`) and the
/// output is (tanh(x) + 1) / 2, as in Swift-SRGAN; SRResNet's output is linear.
public final class SRResNet<T: NNScalar>: SRNetwork {
    public let channels: Int, scale: Int, separable: Bool, blocks: Int
    public var architecture: String { separable ? "swift-srgan" : "srresnet" }
    let body: Sequential<T>

    public init(channels: Int = 1, scale: Int = 4, separable: Bool = false, blocks: Int = 16, features: Int = 64,
                rng: inout some RandomNumberGenerator) {
        precondition([2, 3, 4, 8].contains(scale), "SRResNet scales are 2, 3, 4 and 8")
        self.channels = channels
        self.scale = scale
        self.separable = separable
        self.blocks = blocks
        let f = features
        var layers: [any Layer<T>] = []
        let initial = NN<T>.convBlock("initial", f: channels, to: f, kernel: 9, batchNorm: false, act: .prelu, separable: separable, rng: &rng)
        // The input is data: its gradient is never used.
        (initial.layers.first as? Conv2d<T>)?.inputGradient = false
        var trunk: [any Layer<T>] = []
        for i in 0 ..< blocks {
            trunk.append(Residual(Sequential([
                NN<T>.convBlock("residual.\(i).block1", f: f, to: f, kernel: 3, batchNorm: true, act: .prelu, separable: separable, rng: &rng),
                NN<T>.convBlock("residual.\(i).block2", f: f, to: f, kernel: 3, batchNorm: true, act: nil, separable: separable, rng: &rng),
            ])))
        }
        trunk.append(NN<T>.convBlock("convblock", f: f, to: f, kernel: 3, batchNorm: true, act: nil, separable: separable, rng: &rng))
        layers.append(initial)
        layers.append(Residual(Sequential(trunk)))
        for (i, factor) in Self.upsampling(scale).enumerated() {
            layers.append(NN<T>.conv("upsampler.\(i).conv", f, f * factor * factor, kernel: 3, bias: true, separable: separable, rng: &rng))
            layers.append(PixelShuffle<T>(factor))
            layers.append(PReLU<T>("upsampler.\(i).act", count: f))
        }
        layers.append(NN<T>.conv("final_conv", f, channels, kernel: 9, bias: true, separable: separable, rng: &rng))
        if separable {
            layers.append(Tanh<T>())
            layers.append(Affine<T>(0.5, 0.5))
        }
        body = Sequential(layers)
    }

    /// The pixel-shuffle factors for `scale`.
    static func upsampling(_ scale: Int) -> [Int] { scale == 3 ? [3] : Array(repeating: 2, count: scale.trailingZeroBitCount) }

    public var parameters: [Parameter<T>] { body.parameters }
    public func forward(_ x: Tensor<T>) -> Tensor<T> { body.forward(x) }
    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> { body.backward(g) }
    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }
    public func setTraining(_ training: Bool) { body.setTraining(training) }

    public var receptiveRadius: Int {
        let ups = Self.upsampling(scale)
        return 4 + 2 * blocks + 1 + ups.count + (4 + scale - 1) / scale
    }
}

/// The SRGAN discriminator (and, with `separable`, Swift-SRGAN's): 3×3 conv blocks with
/// 64, 64, 128, 128, 256, 256, 512, 512 channels and strides 1, 2, 1, 2, …, batch norm on all
/// but the first, LeakyReLU 0.2; then adaptive average pooling to `pool`×`pool`, Dense 1024,
/// LeakyReLU 0.2, Dense 1. It returns logits `[1, B, 1, 1]` (the loss applies the sigmoid).
/// Names: `blocks.i.{cnn,bn}`, `classifier.2` and `classifier.4` (the two Linear layers).
public final class Discriminator<T: NNScalar>: Model {
    public let channels: Int, separable: Bool
    let body: Sequential<T>
    public var architecture: String { separable ? "swift-srgan-discriminator" : "srgan-discriminator" }
    public var configuration: ModelConfiguration { ModelConfiguration(architecture: architecture, channels: channels) }

    /// - Parameters: `features`, `pool` and `hidden` (the Dense width) change the widths only.
    public init(channels: Int = 1, separable: Bool = false, features: [Int] = [64, 64, 128, 128, 256, 256, 512, 512],
                pool: Int = 1, hidden: Int = 1024, rng: inout some RandomNumberGenerator) {
        self.channels = channels
        self.separable = separable
        var layers: [any Layer<T>] = []
        var c = channels
        for (i, f) in features.enumerated() {
            layers.append(NN<T>.convBlock("blocks.\(i)", f: c, to: f, kernel: 3, stride: 1 + i % 2, batchNorm: i != 0, act: .leaky,
                                          separable: separable, rng: &rng))
            c = f
        }
        layers.append(AdaptiveAvgPool2d<T>(rows: pool, columns: pool))
        layers.append(Linear<T>("classifier.2", in: c * pool * pool, out: hidden, rng: &rng))
        layers.append(LeakyReLU<T>(slope: 0.2))
        layers.append(Linear<T>("classifier.4", in: hidden, out: 1, rng: &rng))
        body = Sequential(layers)
    }

    public var parameters: [Parameter<T>] { body.parameters }
    public func forward(_ x: Tensor<T>) -> Tensor<T> { body.forward(x) }
    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> { body.backward(g) }
    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }
    public func setTraining(_ training: Bool) { body.setTraining(training) }
}

/// The registry entries of SRResNet and Swift-SRGAN's generator.
public struct SRResNetArchitecture: Architecture {
    public let separable: Bool
    public init(separable: Bool) { self.separable = separable }
    public var name: String { separable ? "swift-srgan" : "srresnet" }
    public var task: ModelTask { .superResolution }
    public var summary: String {
        separable ? "Krishnan et al. 2021: SRResNet with depthwise-separable convolutions (0.2 M parameters at ×4)."
            : "Ledig et al. 2017: 16 residual blocks, batch norm, PReLU (1.5 M parameters at ×4)."
    }
    public var scales: [Int] { [2, 3, 4, 8] }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        SRResNet<T>(channels: c.channels, scale: c.scale, separable: separable, rng: &rng)
    }
}

/// The registry entries of the SRGAN and Swift-SRGAN discriminators.
public struct SRGANDiscriminatorArchitecture: Architecture {
    public let separable: Bool
    public init(separable: Bool) { self.separable = separable }
    public var name: String { separable ? "swift-srgan-discriminator" : "srgan-discriminator" }
    public var task: ModelTask { .discrimination }
    public var summary: String { "Ledig et al. 2017's discriminator: eight 3×3 conv blocks, two dense layers\(separable ? " (depthwise-separable)" : "")." }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        Discriminator<T>(channels: c.channels, separable: separable, rng: &rng)
    }
}

/// Building blocks shared by the models.
enum NN<T: NNScalar> {
    enum Activation { case prelu, leaky }

    /// A k×k convolution named `name` (`name.weight`), or with `separable` a depthwise k×k then a
    /// pointwise 1×1 (`name.depthwise.*`, `name.pointwise.*`).
    static func conv(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, bias: Bool,
                     separable: Bool, rng: inout some RandomNumberGenerator) -> any Layer<T> {
        guard separable else {
            return Conv2d<T>(name, in: inChannels, out: outChannels, kernel: kernel, stride: stride, bias: bias, rng: &rng)
        }
        return Sequential<T>([
            DepthwiseConv2d<T>(name + ".depthwise", channels: inChannels, kernel: kernel, stride: stride, bias: bias, rng: &rng),
            Conv2d<T>(name + ".pointwise", in: inChannels, out: outChannels, kernel: 1, bias: bias, rng: &rng),
        ])
    }

    /// Swift-SRGAN's ConvBlock: `name.cnn` (no bias when batch norm follows), `name.bn`, `name.act`.
    static func convBlock(_ name: String, f inChannels: Int, to outChannels: Int, kernel: Int, stride: Int = 1, batchNorm: Bool,
                          act: Activation?, separable: Bool, rng: inout some RandomNumberGenerator) -> Sequential<T> {
        var layers: [any Layer<T>] = [conv(name + ".cnn", inChannels, outChannels, kernel: kernel, stride: stride, bias: !batchNorm,
                                           separable: separable, rng: &rng)]
        if batchNorm { layers.append(BatchNorm2d<T>(name + ".bn", channels: outChannels)) }
        switch act {
        case .prelu: layers.append(PReLU<T>(name + ".act", count: outChannels))
        case .leaky: layers.append(LeakyReLU<T>(slope: 0.2))
        case nil: break
        }
        return Sequential(layers)
    }
}
