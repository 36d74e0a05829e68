import Foundation

/// A classifier: image `[C, B, H, W]` → logits `[classes, B, 1, 1]`, one `Sequential` body whose
/// parameter names are a torchvision (or reference PyTorch) module's `state_dict` names. ResNet,
/// DenseNet and the small CNN are built as this (ResNet.swift, DenseNet.swift, SmallCNN.swift).
public final class ClassifierNetwork<T: NNScalar>: Model {
    public let configuration: ModelConfiguration
    /// The smallest input side the network accepts (its total downsampling).
    public let minimumSize: Int
    let body: Sequential<T>

    init(configuration: ModelConfiguration, minimumSize: Int, body: Sequential<T>) {
        self.configuration = configuration
        self.minimumSize = minimumSize
        self.body = body
    }

    public var architecture: String { configuration.architecture }
    public var classes: Int { configuration.classes }
    public var parameters: [Parameter<T>] { body.parameters }

    public func forward(_ x: Tensor<T>) -> Tensor<T> {
        precondition(x.rows >= minimumSize && x.columns >= minimumSize,
                     "\(architecture) needs inputs of at least \(minimumSize)×\(minimumSize), got \(x.rows)×\(x.columns)")
        return body.forward(x)
    }

    @discardableResult public func backward(_ g: Tensor<T>) -> Tensor<T> { body.backward(g) }

    public func setThreads(_ n: Int) {
        BLASThreads.set(1)
        body.setWorkers(n)
    }

    public func setTraining(_ training: Bool) { body.setTraining(training) }
}

/// Building blocks and initialisation shared by the classifiers.
enum ClassifierParts<T: NNScalar> {
    /// A convolution without bias (batch norm follows), initialised as torchvision does:
    /// Kaiming normal, std √(2 / fan), fan = out·k² (ResNet, `mode="fan_out"`) or in·k²
    /// (DenseNet, `kaiming_normal_`'s default fan-in).
    static func conv(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                     fanOut: Bool, rng: inout some RandomNumberGenerator) -> Conv2d<T> {
        let conv = Conv2d<T>(name, in: inChannels, out: outChannels, kernel: kernel, stride: stride, padding: padding, bias: false, rng: &rng)
        let fan = (fanOut ? outChannels : inChannels) * kernel * kernel
        let std = (2 / Double(fan)).squareRoot()
        for i in conv.weight.value.indices { conv.weight.value[i] = T(std * normal(&rng)) }
        return conv
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ rng: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.ulpOfOne ..< 1, using: &rng), v = Double.random(in: 0 ..< 1, using: &rng)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}

/// Loading torchvision-style weights into a classifier whose input channels differ.
extension SafeTensors.File {
    /// The file with every 4-D weight of `rgb` input channels, where `parameters` expects one,
    /// summed over its input channels. A network trained on RGB images and fed a grey image
    /// repeated three times computes exactly what the summed weights compute on the grey image
    /// (convolution is linear in its input channels), so torchvision's or CheXNet's ImageNet-style
    /// RGB weights serve grey inputs. ImageNet's per-channel normalisation is not applied: a grey
    /// model sees values in [0, 1], so fine-tune after loading.
    public func summingInputChannels(for parameters: [Parameter<Float>], from rgb: Int = 3) -> SafeTensors.File {
        var out = self
        for p in parameters where p.shape.count == 4 && p.shape[1] == 1 {
            guard let t = tensors[p.name], t.shape.count == 4, t.shape[1] == rgb,
                  t.shape[0] == p.shape[0], t.shape[2] == p.shape[2], t.shape[3] == p.shape[3] else { continue }
            let (o, k) = (t.shape[0], t.shape[2] * t.shape[3])
            var summed = [Float](repeating: 0, count: o * k)
            for f in 0 ..< o { for c in 0 ..< rgb { for i in 0 ..< k { summed[f * k + i] += t.values[(f * rgb + c) * k + i] } } }
            out.tensors[p.name] = (p.shape, summed)
        }
        return out
    }
}

/// Running a classifier on tiles.
public enum Classifier {
    /// Per-case probabilities: softmax over classes, or a sigmoid per finding, in batches of 16.
    /// - Parameter tile: the `[C, side, side]` planes of case `i`, values in [0, 1].
    public static func probabilities(_ network: any Model<Float>, multiLabel: Bool, count: Int, channels: Int, side: Int,
                                     tile: (Int) throws -> [Float]) rethrows -> [[Double]] {
        var out = [[Double]]()
        var start = 0
        while start < count {
            let n = min(16, count - start)
            var x = Tensor<Float>(channels: channels, batch: n, rows: side, columns: side)
            for b in 0 ..< n {
                let v = try tile(start + b)
                for ch in 0 ..< channels { for p in 0 ..< side * side { x.data[(ch * n + b) * side * side + p] = v[ch * side * side + p] } }
            }
            let y = network.forward(x)
            for b in 0 ..< n {
                let logits = (0 ..< y.channels).map { Double(y.data[$0 * n + b]) }
                if multiLabel {
                    out.append(logits.map { 1 / (1 + Foundation.exp(-$0)) })
                } else {
                    let m = logits.max() ?? 0
                    let e = logits.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
                    out.append(e.map { $0 / s })
                }
            }
            start += n
        }
        return out
    }
}
