import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// ResNet-18/34, DenseNet-121 and the small CNN against torchvision (PyTorch) on the same
/// weights and inputs: golden files from Tools/reference/classify_golden.py, real architectures
/// at 32², weights from a formula both sides compute (documented in the script).
@Suite struct ClassifierTests {
    static func file(_ name: String) throws -> SafeTensors.File { try SRGANTests.file("classify/\(name)") }

    /// The script's `formula_weights`, value for value.
    static func formulaWeights<T: NNScalar>(_ parameters: [Parameter<T>]) {
        for (k, p) in parameters.sorted(by: { $0.name < $1.name }).enumerated() {
            let n = p.value.count
            for i in 0 ..< n {
                let x = (UInt64(i) &* 2_654_435_761 &+ UInt64(k) &* 40503 &+ 12345) & 0xFFFF_FFFF
                let u = Double(x) / 4_294_967_296.0
                let v: Double
                if p.name.hasSuffix("num_batches_tracked") {
                    v = 7
                } else if p.name.hasSuffix("running_mean") {
                    v = 0.2 * (2 * u - 1)
                } else if p.name.hasSuffix("running_var") {
                    v = 0.5 + u
                } else if p.shape.count >= 2 {
                    v = (2 * u - 1) * (3.0 / Double(n / p.shape[0])).squareRoot()
                } else if p.name.hasSuffix(".weight") {
                    v = 0.5 + u
                } else {
                    v = 0.2 * (2 * u - 1)
                }
                p.value[i] = T(Double(Float(v)))
            }
        }
    }

    /// Eval logits (single precision, the path inference takes), and in double precision (as
    /// the script runs it: batch norm over a few values at 1×1 makes gradients sensitive to
    /// rounding) train logits, the MSE's gradients (in full for a few tensors, Σ|g| for every
    /// parameter) and running statistics equal torchvision's.
    @Test(arguments: [("resnet18", "resnet18"), ("resnet34", "resnet34"), ("densenet121", "densenet121"), ("cnn_small", "cnn-small")])
    func equalsTorchvision(golden name: String, architecture: String) throws {
        let golden = try Self.file(name + "_golden")
        var rng = SplitMix64(seed: 19)
        let config = ModelConfiguration(architecture: architecture, channels: 1, classes: 3)
        let m: any Model<Float> = try ModelRegistry.make(config, rng: &rng)
        #expect(String(m.parameterCount) == golden.metadata["parameters"], "parameter count")
        let gradNames = Set(golden.tensors.keys.filter { $0.hasPrefix("gradabs.") }.map { String($0.dropFirst(8)) })
        #expect(Set(m.trainable.map(\.name)) == gradNames, "state dict names differ from torchvision's")
        Self.formulaWeights(m.parameters)
        let input = try #require(golden.tensors["input"])
        let x = SRGANTests.tensor(input)
        m.setThreads(2)
        m.setTraining(false)
        let evaluated = m.forward(x)
        #expect(evaluated.channels == 3 && evaluated.batch == 3 && evaluated.rows == 1)
        SRGANTests.close(evaluated.nchw, try #require(golden.tensors["eval"]).values, "\(name) eval logits", tolerance: 1e-4)

        let d: any Model<Double> = try ModelRegistry.make(config, rng: &rng)
        Self.formulaWeights(d.parameters)
        d.setTraining(true)
        d.zeroGradients()
        let xd = Tensor<Double>(nchw: input.values.map(Double.init), batch: 3, channels: 1, rows: 32, columns: 32)
        let y = d.forward(xd)
        SRGANTests.close(y.nchw.map(Float.init), try #require(golden.tensors["train"]).values, "\(name) train logits", tolerance: 1e-6)
        let target = try #require(golden.tensors["target"])
        let (loss, g) = Loss.mse(y, Tensor<Double>(nchw: target.values.map(Double.init), batch: 3, channels: 3, rows: 1, columns: 1))
        #expect(abs(loss - Double(golden.metadata["loss"] ?? "")!) < 1e-9 * max(1, loss))
        d.backward(g)
        var worst = 0.0
        for p in d.parameters {
            if let full = golden.tensors["grad." + p.name] {
                SRGANTests.close(p.gradient.map(Float.init), full.values, "\(p.name) gradient", tolerance: 1e-5)
            }
            if let after = golden.tensors["after." + p.name] {
                SRGANTests.close(p.value.map(Float.init), after.values, "\(p.name) after the forward", tolerance: 1e-6)
            }
            guard !p.isBuffer, let abs1 = golden.tensors["gradabs." + p.name]?.values.first else { continue }
            let ours = p.gradient.reduce(0.0) { $0 + abs($1) }
            let rel = abs(ours - Double(abs1)) / max(Double(abs1), 1e-6)
            worst = max(worst, rel)
            #expect(rel < 1e-5, "\(p.name): Σ|gradient| \(ours) vs \(abs1)")
        }
        print("\(name): worst relative Σ|gradient| error \(worst)")
    }

    /// A state dict saved by PyTorch from torchvision's `DenseNet` loads by name and gives the same
    /// logits; into a grey model, with the first convolution's RGB weights summed, a grey image
    /// gives the logits of that image repeated to RGB.
    @Test(arguments: [3, 1])
    func torchvisionStateDictLoads(channels: Int) throws {
        let weights = try Self.file("densenet_tiny"), golden = try Self.file("densenet_tiny_golden")
        var rng = SplitMix64(seed: 20)
        let config = ModelConfiguration(architecture: "densenet121", channels: channels, classes: 3,
                                        options: ["growth": "4", "blocks": "2,2", "init": "8", "bn_size": "2"])
        let m: any Model<Float> = try ModelRegistry.make(config, rng: &rng)
        #expect(Set(m.parameters.map(\.name)) == Set(weights.tensors.keys))
        if channels == 1 {
            #expect(throws: SafeTensors.FormatError.self) { try m.load(weights, path: "densenet_tiny") }
        }
        try m.load(weights.summingInputChannels(for: m.parameters), path: "densenet_tiny")
        m.setTraining(false)
        let key = channels == 3 ? "rgb" : "grey"
        let y = m.forward(SRGANTests.tensor(try #require(golden.tensors[key])))
        SRGANTests.close(y.nchw, try #require(golden.tensors[key + "_logits"]).values, "\(key) logits", tolerance: 1e-5)
    }

    /// Full-size grey two-class models have torchvision's parameter counts (classify_golden.py
    /// prints them), and any input side from the minimum up gives one logit per class.
    @Test func sizesAndInputs() throws {
        var rng = SplitMix64(seed: 21)
        let counts = ["resnet18": 11_171_266, "resnet34": 21_279_426, "densenet121": 6_949_634, "cnn-small": 388_834]
        for (name, count) in counts {
            let m: any Model<Float> = try ModelRegistry.make(ModelConfiguration(architecture: name, classes: 2), rng: &rng)
            #expect(m.parameterCount == count, "\(name)")
        }
        let small: any Model<Float> = try ModelRegistry.make(ModelConfiguration(architecture: "cnn-small", classes: 4, width: 4, depth: 3), rng: &rng)
        for side in [8, 13, 40] {
            let y = small.forward(Tensor(channels: 1, batch: 2, rows: side, columns: side + 3))
            #expect(y.channels == 4 && y.batch == 2 && y.rows == 1 && y.columns == 1)
        }
        #expect(throws: ModelRegistry.RegistryError.self) {
            let _: any Model<Float> = try ModelRegistry.make(ModelConfiguration(architecture: "resnet18", classes: 0), rng: &rng)
        }
    }
}
