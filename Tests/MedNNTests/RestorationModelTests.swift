import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// The restoration networks (U-Net, DnCNN, denoising autoencoder) and the PatchGAN discriminator
/// against PyTorch on the same weights and inputs (golden files from
/// Tools/reference/restore_reference.py: small widths, the real structure and names), and
/// against finite differences in double precision.
@Suite struct RestorationModelTests {
    static func file(_ name: String) throws -> SafeTensors.File {
        let path = FixturePath.url("nn/restore/\(name).safetensors").path
        return try SafeTensors.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path)
    }

    static func tensor(_ t: (shape: [Int], values: [Float])) -> Tensor<Float> {
        Tensor(nchw: t.values, batch: t.shape[0], channels: t.shape[1], rows: t.shape[2], columns: t.shape[3])
    }

    static func close(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 1e-4) {
        let scale = max(b.map(abs).max() ?? 1, 1e-3)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.count == b.count && worst <= tolerance * scale, "\(what): off by \(worst) (scale \(scale))")
    }

    /// The model the golden file's metadata describes, built through the registry, with its weights.
    static func model(_ name: String) throws -> (any Model<Float>, SafeTensors.File) {
        let weights = try file(name)
        let configuration = try #require(ModelConfiguration(metadata: weights.metadata))
        var rng = SplitMix64(seed: 3)
        let m: any Model<Float> = try ModelRegistry.make(configuration, rng: &rng)
        try m.load(weights, path: name)
        return (m, weights)
    }

    static func setInputGradient(_ m: any Model<Float>) {
        if let u = m as? UNet<Float> { u.inputGradient = true }
        if let d = m as? DnCNN<Float> { d.inputGradient = true }
        if let a = m as? DenoisingAutoencoder<Float> { a.inputGradient = true }
    }

    /// Eval-mode output, train-mode output, the input and parameter gradients of the MSE, the
    /// running statistics after the train-mode forward and the weights after one Adam step all
    /// equal PyTorch's; the state dict has exactly PyTorch's names and shapes.
    @Test(arguments: ["unet", "dncnn", "dae", "patchgan"])
    func equalsPyTorch(_ name: String) throws {
        let (m, weights) = try Self.model(name)
        let golden = try Self.file(name + "_golden")
        #expect(Set(m.parameters.map(\.name)) == Set(weights.tensors.keys), "state dict names differ from PyTorch's")
        for p in m.parameters { #expect(p.shape == weights.tensors[p.name]?.shape, "\(p.name) shape") }
        // The file MedSR writes reads back with the same names, shapes and configuration.
        let written = try SafeTensors.decode(m.safetensors(), path: "memory")
        #expect(Set(written.tensors.keys) == Set(weights.tensors.keys))
        #expect(ModelConfiguration(metadata: written.metadata) == m.configuration)
        Self.setInputGradient(m)
        for threads in [1, 2] {
            let (m, _) = try Self.model(name)
            Self.setInputGradient(m)
            m.setThreads(threads)
            let x = Self.tensor(try #require(golden.tensors["input"]))
            m.setTraining(false)
            Self.close(m.forward(x).nchw, try #require(golden.tensors["eval"]).values, "\(name) eval output")
            m.setTraining(true)
            m.zeroGradients()
            let y = m.forward(x)
            Self.close(y.nchw, try #require(golden.tensors["train"]).values, "\(name) train output")
            let (loss, g) = Loss.mse(y, Self.tensor(try #require(golden.tensors["target"])))
            #expect(abs(loss - Double(golden.metadata["loss"] ?? "")!) < 1e-5 * max(1, loss))
            let dx = m.backward(g)
            Self.close(dx.nchw, try #require(golden.tensors["grad.input"]).values, "\(name) input gradient", tolerance: 2e-4)
            for p in m.parameters {
                if p.isBuffer {
                    Self.close(p.value, try #require(golden.tensors["after." + p.name]).values, "\(p.name) after the forward", tolerance: 1e-5)
                } else {
                    Self.close(p.gradient, try #require(golden.tensors["grad." + p.name]).values, "\(p.name) gradient", tolerance: 2e-4)
                }
            }
            // One Adam step from PyTorch's own gradients (its first step, g/(|g| + ε), would turn
            // the float rounding of a near-zero gradient into a visible difference).
            for p in m.trainable { p.gradient = try #require(golden.tensors["grad." + p.name]).values }
            Adam<Float>(learningRate: 1e-3).update(m.trainable)
            for p in m.trainable {
                let want = try #require(golden.tensors["adam." + p.name]).values
                let worst = zip(p.value, want).map { abs($0 - $1) }.max() ?? 1
                #expect(worst < 2e-6, "\(p.name) after Adam off by \(worst)")
            }
        }
    }

    /// dL/dx and dL/dθ of L = Σ w ⊙ model(x) against central differences (training mode).
    static func finiteDifferences(_ m: any Model<Double>, input: Tensor<Double>) {
        var rng = SplitMix64(seed: 99)
        m.setTraining(true)
        let out = m.forward(input)
        let w = (0 ..< out.count).map { _ in Double.random(in: -1 ... 1, using: &rng) }
        func loss(_ x: Tensor<Double>) -> Double { zip(m.forward(x).data, w).reduce(0) { $0 + $1.0 * $1.1 } }
        _ = m.forward(input)
        m.zeroGradients()
        let g = m.backward(Tensor(channels: out.channels, batch: out.batch, rows: out.rows, columns: out.columns, data: w))
        let h = 1e-6
        var worst = 0.0
        for i in Swift.stride(from: 0, to: input.count, by: max(1, input.count / 30)) {
            var a = input, b = input
            a.data[i] += h
            b.data[i] -= h
            worst = max(worst, abs((loss(a) - loss(b)) / (2 * h) - g.data[i]))
        }
        #expect(worst < 1e-5, "\(m.architecture) input gradient off by \(worst)")
        for p in m.trainable {
            let analytic = p.gradient
            var worstP = 0.0
            for i in Swift.stride(from: 0, to: p.value.count, by: max(1, p.value.count / 12)) {
                let v = p.value[i]
                p.value[i] = v + h
                let up = loss(input)
                p.value[i] = v - h
                let down = loss(input)
                p.value[i] = v
                worstP = max(worstP, abs((up - down) / (2 * h) - analytic[i]))
            }
            #expect(worstP < 1e-5, "\(p.name) gradient off by \(worstP)")
        }
    }

    static func random(_ c: Int, _ b: Int, _ h: Int, _ w: Int, seed: UInt64) -> Tensor<Double> {
        var rng = SplitMix64(seed: seed)
        return Tensor(channels: c, batch: b, rows: h, columns: w, data: (0 ..< c * b * h * w).map { _ in Double.random(in: -1 ... 1, using: &rng) })
    }

    @Test func unetFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        let m = UNet<Double>(channels: 2, width: 2, depth: 2, rng: &rng)
        m.inputGradient = true
        Self.finiteDifferences(m, input: Self.random(2, 2, 8, 4, seed: 2))
    }

    @Test func dncnnFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        let m = DnCNN<Double>(channels: 1, width: 3, depth: 4, rng: &rng)
        m.inputGradient = true
        Self.finiteDifferences(m, input: Self.random(1, 2, 5, 6, seed: 3))
    }

    @Test func autoencoderFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        let m = DenoisingAutoencoder<Double>(channels: 1, width: 3, depth: 2, rng: &rng)
        m.inputGradient = true
        Self.finiteDifferences(m, input: Self.random(1, 2, 8, 4, seed: 4))
    }

    @Test func patchGANFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        let m = PatchGAN<Double>(channels: 2, width: 2, depth: 2, rng: &rng)
        Self.finiteDifferences(m, input: Self.random(2, 2, 16, 14, seed: 5))
    }

    /// The defaults are the papers' and studies': shapes, parameter counts, patch size.
    @Test func defaultShapes() throws {
        var rng = SplitMix64(seed: 1)
        let unet = UNet<Float>(channels: 3, rng: &rng)
        #expect(unet.parameterCount == 488_035 && unet.sizeMultiple == 8)
        #expect(unet.bottleneck.layers.compactMap { $0 as? Conv2d<Float> }.last?.outChannels == 128)
        #expect(DnCNN<Float>(rng: &rng).parameterCount == 556_096)
        #expect(DenoisingAutoencoder<Float>(rng: &rng).parameterCount == 28_353)
        let d = PatchGAN<Float>(channels: 2, rng: &rng)
        #expect(d.patchSize == 70 && d.parameterCount == 2_764_609)
        // 256² → 30 × 30 logits (Isola et al.), shown on a narrow copy of the same structure.
        let narrow = PatchGAN<Float>(channels: 2, width: 4, rng: &rng)
        narrow.setTraining(false)
        let y = narrow.forward(Tensor(channels: 2, batch: 1, rows: 256, columns: 256))
        #expect(y.channels == 1 && y.rows == 30 && y.columns == 30)
        for name in ["unet", "dncnn", "dae"] {
            #expect(try ModelRegistry.architecture(name, task: .restoration).name == name)
            #expect(throws: ModelRegistry.RegistryError.self) { try ModelRegistry.architecture(name).check(ModelConfiguration(architecture: name, scale: 2)) }
        }
        #expect(try ModelRegistry.architecture("patchgan", task: .discrimination).name == "patchgan")
    }

    /// `receptiveRadius` is enough for exact tiled inference: the output of a crop aligned to
    /// `sizeMultiple` equals the whole image's at every pixel at least the radius away from the
    /// crop's inner edges.
    @Test(arguments: ["unet", "dae", "dncnn"])
    func receptiveRadiusAllowsExactTiles(_ name: String) throws {
        var rng = SplitMix64(seed: 8)
        let m: any Model<Double> = try ModelRegistry.make(ModelConfiguration(architecture: name, channels: 1, width: 2, depth: 2), rng: &rng)
        m.setTraining(false)
        let r = m.receptiveRadius, multiple = 4
        let side = 2 * ((r + multiple - 1) / multiple * multiple) + 3 * multiple, n = side + 2 * multiple * 3
        let x = Self.random(1, 1, n, n, seed: 9)
        let whole = m.forward(x)
        let c0 = multiple * 3
        var crop = Tensor<Double>(channels: 1, batch: 1, rows: side, columns: side)
        for i in 0 ..< side { for j in 0 ..< side { crop.data[i * side + j] = x.data[(c0 + i) * n + c0 + j] } }
        let part = m.forward(crop)
        var worst = 0.0, compared = 0
        for i in r ..< side - r { for j in r ..< side - r {
            worst = max(worst, abs(part.data[i * side + j] - whole.data[(c0 + i) * n + c0 + j]))
            compared += 1
        } }
        #expect(compared > 0 && worst < 1e-12, "\(name): tiled output differs by \(worst) with radius \(r)")
    }
}
