/// A perceptual loss (Johnson et al. 2016; SRGAN's "VGG54"): the mean squared difference of
/// two images' feature maps in a fixed VGG network whose weights the user supplies (torchvision's
/// `vgg19().features` or `vgg16().features` `state_dict`: `features.<i>.weight`/`.bias`; none
/// can be downloaded here). The network runs through the ReLU after the last convolution in the
/// file: every index with weights is a 3×3 convolution followed by a ReLU at the next index, and
/// every other index before the end is a 2×2 max pool — torchvision's layout. A file cut to
/// `features[:36]` of VGG19 gives SRGAN's φ5,4. Inputs in [0, 1] are normalised with ImageNet's
/// mean and standard deviation; grey images are repeated to three channels.
public final class PerceptualLoss {
    let network: Sequential<Float>
    let convolutions: [Conv2d<Float>]
    public let depth: Int

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String, message: String
        public var description: String { "\(path): perceptual weights: \(message)" }
    }

    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]

    public init(_ file: SafeTensors.File, path: String) throws {
        var convs = [Int: (weight: [Int], bias: [Int])]()
        for (name, t) in file.tensors {
            let parts = name.split(separator: ".")
            guard parts.count == 3, parts[0] == "features", let i = Int(parts[1]) else { continue }
            var entry = convs[i] ?? ([], [])
            if parts[2] == "weight" { entry.weight = t.shape } else if parts[2] == "bias" { entry.bias = t.shape }
            convs[i] = entry
        }
        guard let last = convs.keys.max(), convs[0] != nil else {
            throw LoadError(path: path, message: "no 'features.0.weight' (a torchvision VGG features state_dict is expected)")
        }
        var layers: [any Layer<Float>] = []
        var convolutions = [Conv2d<Float>]()
        var channels = 3
        var rng = SystemRandomNumberGenerator()
        var i = 0
        while i <= last + 1 {
            if let shape = convs[i] {
                guard shape.weight.count == 4, shape.weight[1] == channels, shape.weight[2] == 3, shape.weight[3] == 3,
                      shape.bias == [shape.weight[0]] else {
                    throw LoadError(path: path, message: "features.\(i) is not a 3×3 convolution from \(channels) channels with a bias")
                }
                let conv = Conv2d<Float>("features.\(i)", in: channels, out: shape.weight[0], kernel: 3, padding: 1, rng: &rng)
                try SafeTensors.load(conv.parameters, from: file, path: path, what: "VGG features file")
                conv.frozen = true
                layers.append(conv)
                layers.append(ReLU<Float>())
                convolutions.append(conv)
                channels = shape.weight[0]
                i += 2
            } else {
                layers.append(MaxPool2d<Float>(kernel: 2))
                i += 1
            }
        }
        network = Sequential(layers)
        self.convolutions = convolutions
        depth = last + 2
    }

    public func setThreads(_ n: Int) { network.setWorkers(n) }

    /// ImageNet-normalised three-channel input.
    func normalised(_ x: Tensor<Float>) -> Tensor<Float> {
        precondition(x.channels == 1 || x.channels == 3, "perceptual loss takes grey or RGB images")
        var y = Tensor<Float>(channels: 3, batch: x.batch, rows: x.rows, columns: x.columns)
        let n = x.batch * x.plane
        for c in 0 ..< 3 {
            let source = x.channels == 1 ? 0 : c
            for i in 0 ..< n { y.data[c * n + i] = (x.data[source * n + i] - Self.mean[c]) / Self.std[c] }
        }
        return y
    }

    /// The loss and dLoss/dPrediction (the network's weights are fixed).
    public func callAsFunction(_ prediction: Tensor<Float>, _ target: Tensor<Float>) -> (value: Double, gradient: Tensor<Float>) {
        network.setTraining(false)
        let wanted = network.forward(normalised(target))
        network.setTraining(true)
        let got = network.forward(normalised(prediction))
        let (value, g) = Loss.mse(got, wanted)
        let d = network.backward(g)
        var out = Tensor<Float>(channels: prediction.channels, batch: prediction.batch, rows: prediction.rows, columns: prediction.columns)
        let n = prediction.batch * prediction.plane
        for c in 0 ..< 3 {
            let to = prediction.channels == 1 ? 0 : c
            for i in 0 ..< n { out.data[to * n + i] += d.data[c * n + i] / Self.std[c] }
        }
        return (value, out)
    }
}
