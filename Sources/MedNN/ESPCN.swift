/// ESPCN (Shi et al. 2016): conv 5×5 C→64, tanh; conv 3×3 64→32, tanh; conv 3×3 32→C·r²;
/// PixelShuffle(r). Parameter names are those of this PyTorch module (README):
///
///     class ESPCN(nn.Module):
///         def __init__(self, channels=1, scale=4):
///             super().__init__()
///             self.conv1 = nn.Conv2d(channels, 64, 5, padding=2)
///             self.conv2 = nn.Conv2d(64, 32, 3, padding=1)
///             self.conv3 = nn.Conv2d(32, channels * scale * scale, 3, padding=1)
///             self.shuffle = nn.PixelShuffle(scale)
///         def forward(self, x):
///             x = torch.tanh(self.conv1(x))
///             x = torch.tanh(self.conv2(x))
///             return self.shuffle(self.conv3(x))
public final class ESPCN<T: NNScalar>: SRNetwork {
    public var architecture: String { "espcn" }
    public let channels: Int
    public let scale: Int
    let conv1: Conv2d<T>, act1 = Tanh<T>(), conv2: Conv2d<T>, act2 = Tanh<T>(), conv3: Conv2d<T>
    let shuffle: PixelShuffle<T>

    public init(channels: Int = 1, scale: Int = 4, rng: inout some RandomNumberGenerator) {
        precondition([2, 3, 4].contains(scale), "ESPCN scales are 2, 3 and 4")
        self.channels = channels
        self.scale = scale
        conv1 = Conv2d("conv1", in: channels, out: 64, kernel: 5, rng: &rng)
        conv1.inputGradient = false  // the input is data
        conv2 = Conv2d("conv2", in: 64, out: 32, kernel: 3, rng: &rng)
        conv3 = Conv2d("conv3", in: 32, out: channels * scale * scale, kernel: 3, rng: &rng)
        shuffle = PixelShuffle(scale)
        // Single precision: each tanh runs inside the convolution before it, band by band.
        conv1.fuseTanh(act1)
        conv2.fuseTanh(act2)
    }

    public var parameters: [Parameter<T>] { conv1.parameters + conv2.parameters + conv3.parameters }
    var layers: [any Layer<T>] { [conv1, act1, conv2, act2, conv3, shuffle] }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        layers.reduce(x) { $1.forward($0) }
    }

    /// Back-propagates dLoss/dOutput through the last `forward`; gradients accumulate.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    @discardableResult
    public func backward(_ g: Tensor<T>) -> Tensor<T> {
        layers.reversed().reduce(g) { $1.backward($0) }
    }

    /// Threads: the convolutions split their bands (forward) and batch items (backward) over
    /// `n` workers and BLAS runs single-threaded — one level of parallelism. Results do not
    /// depend on `n`.
    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        for layer in layers { layer.setWorkers(n) }
    }

    /// Inference only: convolutions stop keeping their columns for a backward pass.
    public func setTraining(_ training: Bool) { for layer in layers { layer.setTraining(training) } }

    /// Pixels of the input that influence each output pixel beyond the tile (for tiled inference).
    public var receptiveRadius: Int { 2 + 1 + 1 }
}

/// The registry entry of ESPCN.
public struct ESPCNArchitecture: Architecture {
    public init() {}
    public var name: String { "espcn" }
    public var task: ModelTask { .superResolution }
    public var summary: String { "Shi et al. 2016: three convolutions and a pixel shuffle (22 K parameters at ×4, grey)." }
    public var scales: [Int] { [2, 3, 4] }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        ESPCN<T>(channels: c.channels, scale: c.scale, rng: &rng)
    }
}
