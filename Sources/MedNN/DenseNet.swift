/// DenseNet-121 (Huang et al. 2017; CheXNet's backbone for ChestX-ray14) as torchvision builds it
/// (`torchvision.models.densenet121`), with its `state_dict` names and layouts:
///
///     conv0 7×7 s2 p3 (no bias) → norm0 → relu0 → pool0 (max 3×3 s2 p1)            features.{conv0,norm0}
///     denseblock1…4 of 6, 12, 24, 16 layers; each layer sees every earlier output:
///       norm1 → relu → conv1 1×1 (bn_size·growth) → norm2 → relu → conv2 3×3 (growth),
///       concatenated to its input                                                 features.denseblockB.denselayerL.{norm1,conv1,norm2,conv2}
///     transition1…3 between blocks: norm → relu → conv 1×1 (half the channels) → avg pool 2×2
///                                                                                 features.transitionB.{norm,conv}
///     norm5 → relu → global average pooling → classifier (1024 → classes)         features.norm5, classifier
///
/// growth 32, bn_size 4, 64 initial features. The options `growth`, `blocks` ("6,12,24,16"),
/// `init` and `bn_size` build torchvision's `DenseNet(growth_rate, block_config,
/// num_init_features, bn_size)` with other sizes (the tests use a narrow one). Convolutions are
/// initialised as torchvision does (Kaiming normal, fan-in), batch norm 1 and 0, the classifier's bias 0.
enum DenseNet<T: NNScalar> {
    static func make(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> ClassifierNetwork<T> {
        let growth = ClassifierArchitectures.option(c, "growth", 32), bnSize = ClassifierArchitectures.option(c, "bn_size", 4)
        let blocks = ClassifierArchitectures.list(c, "blocks", [6, 12, 24, 16])
        var features = ClassifierArchitectures.option(c, "init", 64)
        let P = ClassifierParts<T>.self
        let stem = P.conv("features.conv0", c.channels, features, kernel: 7, stride: 2, padding: 3, fanOut: false, rng: &rng)
        stem.inputGradient = false  // the input is data
        var layers: [any Layer<T>] = [stem, BatchNorm2d<T>("features.norm0", channels: features), ReLU<T>(),
                                      MaxPool2d<T>(kernel: 3, stride: 2, padding: 1)]
        for (b, count) in blocks.enumerated() {
            for l in 0 ..< count {
                let name = "features.denseblock\(b + 1).denselayer\(l + 1)"
                layers.append(DenseLayer(Sequential<T>([
                    BatchNorm2d<T>(name + ".norm1", channels: features), ReLU<T>(),
                    P.conv(name + ".conv1", features, bnSize * growth, kernel: 1, padding: 0, fanOut: false, rng: &rng),
                    BatchNorm2d<T>(name + ".norm2", channels: bnSize * growth), ReLU<T>(),
                    P.conv(name + ".conv2", bnSize * growth, growth, kernel: 3, padding: 1, fanOut: false, rng: &rng),
                ])))
                features += growth
            }
            if b + 1 < blocks.count {
                let name = "features.transition\(b + 1)"
                layers += [BatchNorm2d<T>(name + ".norm", channels: features), ReLU<T>(),
                           P.conv(name + ".conv", features, features / 2, kernel: 1, padding: 0, fanOut: false, rng: &rng),
                           AvgPool2d<T>(kernel: 2, stride: 2)]
                features /= 2
            }
        }
        layers += [BatchNorm2d<T>("features.norm5", channels: features), ReLU<T>(), AdaptiveAvgPool2d<T>(rows: 1, columns: 1)]
        let classifier = Linear<T>("classifier", in: features, out: c.classes, rng: &rng)
        for i in classifier.bias.value.indices { classifier.bias.value[i] = 0 }
        layers.append(classifier)
        return ClassifierNetwork(configuration: c, minimumSize: 4 << max(blocks.count - 1, 0), body: Sequential(layers))
    }
}

/// One layer of a dense block: its input with `body(input)` appended as further channels
/// (torch.cat along channels). Channels are outermost in `[C, B, H, W]`, so the concatenation is
/// one append and the gradient splits at the input's size.
final class DenseLayer<T: NNScalar>: Layer {
    let body: Sequential<T>
    private var inputCount = 0, inputChannels = 0

    init(_ body: Sequential<T>) { self.body = body }

    var parameters: [Parameter<T>] { body.parameters }
    func setWorkers(_ n: Int) { body.setWorkers(n) }
    func setTraining(_ training: Bool) { body.setTraining(training) }

    func forward(_ x: Tensor<T>) -> Tensor<T> {
        let y = body.forward(x)
        precondition(y.batch == x.batch && y.rows == x.rows && y.columns == x.columns, "dense layer: the body changed the size")
        inputCount = x.count
        inputChannels = x.channels
        var out = Tensor<T>(uninitializedChannels: x.channels + y.channels, batch: x.batch, rows: x.rows, columns: x.columns)
        out.data.withUnsafeMutableBufferPointer { o in
            x.data.withUnsafeBufferPointer { o.baseAddress!.update(from: $0.baseAddress!, count: x.count) }
            y.data.withUnsafeBufferPointer { (o.baseAddress! + x.count).update(from: $0.baseAddress!, count: y.count) }
        }
        return out
    }

    func backward(_ g: Tensor<T>) -> Tensor<T> {
        let n = inputCount
        let grown = Tensor<T>(channels: g.channels - inputChannels, batch: g.batch, rows: g.rows, columns: g.columns,
                              data: Array(g.data[n...]))
        var dx = body.backward(grown)
        g.data.withUnsafeBufferPointer { gs in
            dx.data.withUnsafeMutableBufferPointer { d in for i in 0 ..< n { d[i] += gs[i] } }
        }
        return dx
    }
}

/// The registry entry of DenseNet-121.
public struct DenseNetArchitecture: Architecture {
    public init() {}
    public var name: String { "densenet121" }
    public var task: ModelTask { .classification }
    public var summary: String { "Huang et al. 2017, torchvision's densenet121 names; CheXNet's backbone (6.9 M parameters, grey, 2 classes)." }
    public func check(_ c: ModelConfiguration) throws { try ClassifierArchitectures.check(c, name: name) }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        DenseNet<T>.make(c, rng: &rng)
    }
}
