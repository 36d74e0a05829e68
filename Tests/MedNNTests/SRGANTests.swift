import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// SRResNet, Swift-SRGAN and the discriminators against PyTorch on the same weights and inputs
/// (golden files from Tools/reference/srgan_golden.py, small widths, real structure and names).
@Suite struct SRGANTests {
    static func file(_ name: String) throws -> SafeTensors.File {
        let path = FixturePath.url("nn/\(name).safetensors").path
        return try SafeTensors.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path)
    }

    static func tensor(_ t: (shape: [Int], values: [Float])) -> Tensor<Float> {
        let s = t.shape.count == 2 ? [t.shape[0], t.shape[1], 1, 1] : t.shape
        return Tensor(nchw: t.values, batch: s[0], channels: s[1], rows: s[2], columns: s[3])
    }

    static func close(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-4) {
        let scale = max(b.map(abs).max() ?? 1, 1e-3)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.count == b.count && worst <= tolerance * scale, "\(what): off by \(worst) (scale \(scale))")
    }

    /// Eval-mode output, train-mode output, gradients of the MSE and running statistics after
    /// the train-mode forward all equal PyTorch's.
    static func compare(_ name: String, parameters: [Parameter<Float>], forward: (Tensor<Float>) -> Tensor<Float>,
                        backward: (Tensor<Float>) -> Void, setTraining: (Bool) -> Void) throws {
        let weights = try file(name), golden = try file(name + "_golden")
        try SafeTensors.load(parameters, from: weights, path: name, what: name)
        #expect(Set(parameters.map(\.name)) == Set(weights.tensors.keys), "state dict names differ from PyTorch's")
        let x = tensor(try #require(golden.tensors["input"]))
        setTraining(false)
        close(forward(x).nchw, try #require(golden.tensors["eval"]).values, "\(name) eval output")
        setTraining(true)
        for p in parameters { p.zeroGradient() }
        let y = forward(x)
        close(y.nchw, try #require(golden.tensors["train"]).values, "\(name) train output")
        let target = tensor(try #require(golden.tensors["target"]))
        let (loss, g) = Loss.mse(y, target)
        #expect(abs(loss - Double(golden.metadata["loss"] ?? "")!) < 1e-5 * max(1, loss))
        backward(g)
        for p in parameters {
            if p.isBuffer {
                close(p.value, try #require(golden.tensors["after." + p.name]).values, "\(p.name) after the forward", tolerance: 1e-5)
            } else {
                close(p.gradient, try #require(golden.tensors["grad." + p.name]).values, "\(p.name) gradient", tolerance: 2e-4)
            }
        }
    }

    @Test func srresnetEqualsPyTorch() throws {
        var rng = SplitMix64(seed: 1)
        let m = SRResNet<Float>(channels: 1, scale: 4, separable: false, blocks: 2, features: 16, rng: &rng)
        try Self.compare("srresnet_x4", parameters: m.parameters, forward: m.forward, backward: { m.backward($0) }, setTraining: m.setTraining)
    }

    /// With each copy of the C depthwise kernel: portable (0), AVX2 (1), the best this CPU has (2).
    @Test(arguments: [Int32(0), 1, 2])
    func swiftSRGANEqualsPyTorch(kernels: Int32) throws {
        var rng = SplitMix64(seed: 2)
        let m = SRResNet<Float>(channels: 3, scale: 2, separable: true, blocks: 2, features: 16, rng: &rng)
        try KernelCopies.with(level: kernels) {
            try Self.compare("swift_srgan_x2", parameters: m.parameters, forward: m.forward, backward: { m.backward($0) },
                             setTraining: m.setTraining)
        }
    }

    @Test(arguments: [("discriminator", 1, false), ("discriminator_separable", 3, true)])
    func discriminatorEqualsPyTorch(name: String, channels: Int, separable: Bool) throws {
        var rng = SplitMix64(seed: 3)
        let d = Discriminator<Float>(channels: channels, separable: separable, features: [8, 8, 16, 16, 32, 32, 64, 64], pool: 2, hidden: 32, rng: &rng)
        try Self.compare(name, parameters: d.parameters, forward: d.forward, backward: { d.backward($0) }, setTraining: d.setTraining)
    }

    /// Full-size models have the papers' sizes (PyTorch counts the same: srgan_golden.py).
    @Test func parameterCounts() {
        var rng = SplitMix64(seed: 4)
        #expect(SRResNet<Float>(channels: 3, scale: 4, separable: false, rng: &rng).parameterCount == 1_548_547)
        #expect(SRResNet<Float>(channels: 3, scale: 4, separable: true, rng: &rng).parameterCount == 200_121)
        // ×8 is three ×2 blocks (the public Swift-SRGAN code builds four: ×16).
        let x8 = SRResNet<Float>(channels: 1, scale: 8, separable: true, blocks: 1, features: 8, rng: &rng)
        #expect(x8.forward(Tensor(channels: 1, batch: 1, rows: 3, columns: 2)).rows == 24)
    }

    /// Buffers survive safetensors: num_batches_tracked is I64, as PyTorch writes it.
    @Test func batchNormBuffersRoundTrip() throws {
        let weights = try Self.file("srresnet_x4")
        #expect(weights.integers.contains("initial.act.weight") == false)
        #expect(weights.integers.contains("convblock.bn.num_batches_tracked"))
        var rng = SplitMix64(seed: 5)
        let m = SRResNet<Float>(channels: 1, scale: 4, blocks: 2, features: 16, rng: &rng)
        try m.load(weights, path: "srresnet_x4")
        let bytes = m.safetensors()
        let again = try SafeTensors.decode(bytes, path: "memory")
        #expect(again.integers == weights.integers)
        #expect(again.tensors["convblock.bn.num_batches_tracked"]?.values == [7])
        for (name, t) in weights.tensors { #expect(again.tensors[name]?.values == t.values, "\(name)") }
    }

    /// Tiled upscaling of a deep model equals whole-image inference (the margin covers its
    /// receptive field).
    @Test(arguments: [false, true])
    func tiledEqualsWholeForSRResNet(separable: Bool) throws {
        var rng = SplitMix64(seed: 6)
        let net = SRResNet<Float>(channels: 1, scale: 2, separable: separable, blocks: 2, features: 8, rng: &rng)
        let model = EnhancementModel(network: net, dataMax: 255)
        var values = [UInt8](repeating: 0, count: 40 * 36)
        for i in values.indices { values[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        let image = PixelArray(rows: 40, columns: 36, samples: .uint8(values))
        let (small, large) = KernelCopies.steady { (model.enhance(image, tile: 11), model.enhance(image, tile: 64)) }
        #expect(small == large)
    }
}

/// The perceptual loss against PyTorch (a narrow VGG-style `features` stack with torchvision's
/// indices, golden values from Tools/reference/srgan_golden.py).
@Suite struct PerceptualTests {
    @Test(arguments: ["grey", "rgb"])
    func lossAndGradientEqualPyTorch(name: String) throws {
        let weights = try SRGANTests.file("perceptual"), golden = try SRGANTests.file("perceptual_golden")
        let loss = try PerceptualLoss(weights, path: "perceptual")
        #expect(loss.depth == 7)
        let sr = SRGANTests.tensor(try #require(golden.tensors["\(name).sr"]))
        let hr = SRGANTests.tensor(try #require(golden.tensors["\(name).hr"]))
        let (value, g) = loss(sr, hr)
        let want = Double(try #require(golden.tensors["\(name).loss"]).values[0])
        #expect(abs(value - want) < 1e-5 * want, "loss \(value) vs \(want)")
        SRGANTests.close(g.nchw, try #require(golden.tensors["\(name).grad"]).values, "\(name) gradient", tolerance: 1e-4)
        // The feature network is fixed: nothing accumulates in its weights.
        #expect(loss.convolutions.allSatisfy { $0.weight.gradient.allSatisfy { $0 == 0 } })
    }

    @Test func refusesFilesThatAreNotVGGFeatures() throws {
        #expect(throws: PerceptualLoss.LoadError.self) { try PerceptualLoss(SRGANTests.file("espcn_x2"), path: "espcn_x2") }
    }
}
