/// A small CNN for 32²–128² tiles: `depth` blocks of conv 3×3 (no bias) → BN → ReLU → max pool
/// 2×2, widths `width`·2^i, then global average pooling and one linear layer. Its `state_dict`
/// names are those of this PyTorch module (Tools/reference/classify_golden.py):
///
///     class SmallCNN(nn.Module):
///         def __init__(self, channels=1, classes=2, width=32, depth=4):
///             super().__init__()
///             layers, c = [], channels
///             for i in range(depth):
///                 w = width * 2 ** i
///                 layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
///                            nn.ReLU(inplace=True), nn.MaxPool2d(2)]
///                 c = w
///             self.features = nn.Sequential(*layers)      # features.{4i}.weight, features.{4i+1}.*
///             self.classifier = nn.Linear(c, classes)
///         def forward(self, x):
///             return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))
///
/// Inputs of any size ≥ 2^depth.
enum SmallCNN<T: NNScalar> {
    static func make(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> ClassifierNetwork<T> {
        let width = c.width ?? 32, depth = c.depth ?? 4
        var layers: [any Layer<T>] = []
        var channels = c.channels
        for i in 0 ..< depth {
            let w = width << i
            let conv = ClassifierParts<T>.conv("features.\(4 * i)", channels, w, kernel: 3, padding: 1, fanOut: true, rng: &rng)
            if i == 0 { conv.inputGradient = false }
            layers += [conv, BatchNorm2d<T>("features.\(4 * i + 1)", channels: w), ReLU<T>(), MaxPool2d<T>(kernel: 2, stride: 2)]
            channels = w
        }
        layers.append(AdaptiveAvgPool2d<T>(rows: 1, columns: 1))
        layers.append(Linear<T>("classifier", in: channels, out: c.classes, rng: &rng))
        return ClassifierNetwork(configuration: c, minimumSize: 1 << depth, body: Sequential(layers))
    }
}

/// The registry entry of the small CNN.
public struct SmallCNNArchitecture: Architecture {
    public init() {}
    public var name: String { "cnn-small" }
    public var task: ModelTask { .classification }
    public var summary: String { "Four conv–BN–ReLU–pool blocks (32–256 wide), global average pooling, linear (0.39 M parameters, grey)." }
    public func check(_ c: ModelConfiguration) throws {
        try ClassifierArchitectures.check(c, name: name)
        guard (c.width ?? 32) >= 1, (1 ... 7).contains(c.depth ?? 4) else {
            throw ModelRegistry.RegistryError(message: "cnn-small needs width ≥ 1 and depth 1–7")
        }
    }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        SmallCNN<T>.make(c, rng: &rng)
    }
}
