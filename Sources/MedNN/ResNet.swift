/// ResNet-18 and ResNet-34 (He et al. 2016) as torchvision builds them
/// (`torchvision.models.resnet18/34`), with its `state_dict` names and layouts:
///
///     conv1 7×7 s2 p3 (no bias) → bn1 → relu → maxpool 3×3 s2 p1                  conv1, bn1
///     layer1…layer4: [2,2,2,2] (18) or [3,4,6,3] (34) BasicBlocks of 64, 128, 256, 512
///       conv 3×3 (stride 2 in the first block of layers 2–4) → BN → ReLU → conv 3×3 → BN,
///       + the input, or its projection (conv 1×1 stride 2 → BN) → ReLU          layerL.i.{conv1,bn1,conv2,bn2,downsample.0,downsample.1}
///     global average pooling → fc (512 → classes)                                fc
///
/// Convolutions are initialised as torchvision does (Kaiming normal, fan-out), batch norm with
/// weight 1 and bias 0. Inputs of any size ≥ 32 (the network downsamples by 32).
enum ResNet<T: NNScalar> {
    static func make(_ c: ModelConfiguration, blocks: [Int], rng: inout some RandomNumberGenerator) -> ClassifierNetwork<T> {
        let stem = ClassifierParts<T>.conv("conv1", c.channels, 64, kernel: 7, stride: 2, padding: 3, fanOut: true, rng: &rng)
        stem.inputGradient = false  // the input is data
        var layers: [any Layer<T>] = [stem, BatchNorm2d<T>("bn1", channels: 64), ReLU<T>(), MaxPool2d<T>(kernel: 3, stride: 2, padding: 1)]
        var inChannels = 64
        for (l, count) in blocks.enumerated() {
            let width = 64 << l
            for i in 0 ..< count {
                let stride = (l > 0 && i == 0) ? 2 : 1
                layers.append(BasicBlock<T>("layer\(l + 1).\(i)", inChannels, width, stride: stride, rng: &rng))
                inChannels = width
            }
        }
        layers.append(AdaptiveAvgPool2d<T>(rows: 1, columns: 1))
        layers.append(Linear<T>("fc", in: inChannels, out: c.classes, rng: &rng))
        return ClassifierNetwork(configuration: c, minimumSize: 32, body: Sequential(layers))
    }
}

/// torchvision's `BasicBlock`: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the shortcut
/// being `downsample` (conv 1×1 → BN) when the stride or width changes, else the identity.
final class BasicBlock<T: NNScalar>: Layer {
    let body: Sequential<T>
    let downsample: Sequential<T>?
    let relu = ReLU<T>()

    init(_ name: String, _ inChannels: Int, _ outChannels: Int, stride: Int, rng: inout some RandomNumberGenerator) {
        body = Sequential([
            ClassifierParts<T>.conv(name + ".conv1", inChannels, outChannels, kernel: 3, stride: stride, padding: 1, fanOut: true, rng: &rng),
            BatchNorm2d<T>(name + ".bn1", channels: outChannels), ReLU<T>(),
            ClassifierParts<T>.conv(name + ".conv2", outChannels, outChannels, kernel: 3, padding: 1, fanOut: true, rng: &rng),
            BatchNorm2d<T>(name + ".bn2", channels: outChannels),
        ])
        if stride != 1 || inChannels != outChannels {
            downsample = Sequential([
                ClassifierParts<T>.conv(name + ".downsample.0", inChannels, outChannels, kernel: 1, stride: stride, padding: 0, fanOut: true, rng: &rng),
                BatchNorm2d<T>(name + ".downsample.1", channels: outChannels),
            ])
        } else {
            downsample = nil
        }
    }

    var parameters: [Parameter<T>] { body.parameters + (downsample?.parameters ?? []) }
    func setWorkers(_ n: Int) {
        body.setWorkers(n)
        downsample?.setWorkers(n)
    }
    func setTraining(_ training: Bool) {
        body.setTraining(training)
        downsample?.setTraining(training)
    }

    func forward(_ x: Tensor<T>) -> Tensor<T> {
        var y = body.forward(x)
        let shortcut = downsample?.forward(x) ?? x
        precondition(y.count == shortcut.count, "basic block: shapes differ")
        Residual<T>.add(shortcut.data, into: &y.data)
        return relu.forward(y)
    }

    func backward(_ g: Tensor<T>) -> Tensor<T> {
        let d = relu.backward(g)
        var dx = body.backward(d)
        Residual<T>.add((downsample?.backward(d) ?? d).data, into: &dx.data)
        return dx
    }
}

/// The registry entries of ResNet-18 and ResNet-34.
public struct ResNetArchitecture: Architecture {
    public let depth: Int
    public init(depth: Int) {
        precondition(depth == 18 || depth == 34, "ResNet depths here are 18 and 34")
        self.depth = depth
    }
    public var name: String { "resnet\(depth)" }
    public var task: ModelTask { .classification }
    public var summary: String {
        depth == 18 ? "He et al. 2016, torchvision's resnet18 names (11.2 M parameters, grey, 2 classes)."
            : "He et al. 2016, torchvision's resnet34 names (21.3 M parameters, grey, 2 classes)."
    }
    public func check(_ c: ModelConfiguration) throws { try ClassifierArchitectures.check(c, name: name) }
    public func make<T: NNScalar>(_ c: ModelConfiguration, rng: inout some RandomNumberGenerator) -> any Model<T> {
        ResNet<T>.make(c, blocks: depth == 18 ? [2, 2, 2, 2] : [3, 4, 6, 3], rng: &rng)
    }
}

/// Checks shared by the classifier entries.
enum ClassifierArchitectures {
    static func check(_ c: ModelConfiguration, name: String) throws {
        guard c.scale == 1 else { throw ModelRegistry.RegistryError(message: "\(name) is a classifier: scale must be 1, not \(c.scale)") }
        guard c.classes >= 1 else { throw ModelRegistry.RegistryError(message: "\(name) needs at least 1 class (outputs), not \(c.classes)") }
        guard c.channels >= 1 else { throw ModelRegistry.RegistryError(message: "\(name) needs at least 1 input channel") }
    }

    /// An integer option ("growth", "blocks"…) of the configuration, or `fallback`.
    static func option(_ c: ModelConfiguration, _ key: String, _ fallback: Int) -> Int { c.options[key].flatMap(Int.init) ?? fallback }
    static func list(_ c: ModelConfiguration, _ key: String, _ fallback: [Int]) -> [Int] {
        guard let s = c.options[key] else { return fallback }
        let v = s.split(separator: ",").compactMap { Int($0) }
        return v.isEmpty ? fallback : v
    }
}
