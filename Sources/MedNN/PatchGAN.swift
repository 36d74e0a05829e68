/// The 70×70 PatchGAN discriminator of pix2pix (Isola et al. 2017): 4×4 convolutions C64-C128-
/// C256-C512 with strides 2, 2, 2, 1 and padding 1, batch norm on all but the first, LeakyReLU
/// 0.2, then a 4×4 convolution (stride 1, padding 1) to one channel. It returns real/fake
/// logits `[1, B, h, w]`, one per overlapping 70×70 input patch (30 × 30 for a 256² input; the
/// loss applies the sigmoid). Its input has `configuration.channels` channels: for the
/// conditional pix2pix critic, the degraded input and the (real or restored) output
/// concatenated, 2C. `width` is the first layer's channels (64), `depth` the stride-2 layers
/// plus the stride-1 one (3 → C64-C128-C256-C512); widths double per layer up to 8 × width.
///
/// Parameter names are those of pix2pix's `NLayerDiscriminator(input_nc, ndf, n_layers,
/// norm_layer=nn.BatchNorm2d)` (junyanz/pytorch-CycleGAN-and-pix2pix), `model.N`; its
/// reference copy is in `Tools/reference/restore_reference.py`.
public final class PatchGAN<T: NNScalar>: Model {
    public var architecture: String { "patchgan" }
    public let channels: Int, width: Int, depth: Int
    public var configuration: ModelConfiguration {
        ModelConfiguration(architecture: architecture, channels: channels, width: width, depth: depth)
    }
    let body: Sequential<T>

    public init(channels: Int = 2, width: Int = 64, depth: Int = 3, rng: inout some RandomNumberGenerator) {
        precondition(channels > 0 && width > 0 && depth >= 1, "PatchGAN needs channels, width and depth ≥ 1")
        self.channels = channels
        self.width = width
        self.depth = depth
        var layers: [any Layer<T>] = [Conv2d<T>("model.0", in: channels, out: width, kernel: 4, stride: 2, padding: 1, rng: &rng),
                                      LeakyReLU<T>(slope: 0.2)]
        var c = width
        for n in 1 ... depth {
            let out = width * min(1 << n, 8), i = layers.count
            layers.append(Conv2d<T>("model.\(i)", in: c, out: out, kernel: 4, stride: n < depth ? 2 : 1, padding: 1, bias: false, rng: &rng))
            layers.append(BatchNorm2d<T>("model.\(i + 1)", channels: out))
            layers.append(LeakyReLU<T>(slope: 0.2))
            c = out
        }
        layers.append(Conv2d<T>("model.\(layers.count)", in: c, out: 1, kernel: 4, stride: 1, padding: 1, rng: &rng))
        body = Sequential(layers)
    }

    /// `depth` stride-2 layers halve the side; the two stride-1 4×4 layers then need 3 pixels.
    public var minimumInputSize: Int { 3 << depth }

    /// The side of the input patch each output logit sees (70 for depth 3).
    public var patchSize: Int {
        // Back from one output: the last two stride-1 4×4 layers add 3 each, then each stride-2 layer.
        var r = 1 + 3 + 3
        for _ in 0 ..< depth { r = (r - 1) * 2 + 4 }
        return r
    }

    public var parameters: [Parameter<T>] { body.parameters }
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.channels == channels, "PatchGAN expects \(channels) channels, got \(x.channels)")
        return body.forward(x)
    }
    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> { body.backward(g) }
    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }
    public func setTraining(_ training: Bool) { body.setTraining(training) }
}

/// The registry entry of the PatchGAN discriminator.
public struct PatchGANArchitecture: Architecture {
    public init() {}
    public var name: String { "patchgan" }
    public var task: ModelTask { .discrimination }
    public var summary: String {
        "Isola et al. 2017's 70×70 PatchGAN: 4×4 convs C64-C128-C256-C512, batch norm, LeakyReLU 0.2, one logit per patch (2.8 M parameters, 2 input channels)."
    }
    public func check(_ c: ModelConfiguration) throws {
        guard c.scale == 1 else { throw ModelRegistry.RegistryError(message: "patchgan has no scale (got \(c.scale))") }
        guard (c.width ?? 64) >= 1, (1 ... 6).contains(c.depth ?? 3) else { throw ModelRegistry.RegistryError(message: "patchgan needs width ≥ 1 and depth 1…6") }
    }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        PatchGAN<T>(channels: c.channels, width: c.width ?? 64, depth: c.depth ?? 3, rng: &rng)
    }
}
