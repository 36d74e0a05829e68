import MedImage
import Foundation
import MedImage
import MedMetrics
@testable import MedNN
import Testing
import TestSupport

/// Transposed convolution, up-sampling and channel concatenation: gradients against finite
/// differences (double precision), outputs and gradients against PyTorch
/// (Fixtures/nn/layers/upsampling.safetensors).
@Suite struct UpsamplingTests {
    typealias G = GradientTests

    static func layers<T: NNScalar>(_: T.Type) -> [(String, any Layer<T>)] {
        var rng = SplitMix64(seed: 50)
        return [
            ("convt_k2_s2", ConvTranspose2d<T>("c", in: 3, out: 4, kernel: 2, stride: 2, rng: &rng)),
            ("convt_k3_s2_p1_op1", ConvTranspose2d<T>("c", in: 3, out: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng)),
            ("convt_k4_s2_p1_nobias", ConvTranspose2d<T>("c", in: 2, out: 3, kernel: 4, stride: 2, padding: 1, bias: false, rng: &rng)),
            ("convt_k3_s1_p1", ConvTranspose2d<T>("c", in: 3, out: 2, kernel: 3, padding: 1, rng: &rng)),
            ("convt_k5_s3_p2_op2", ConvTranspose2d<T>("c", in: 2, out: 2, kernel: 5, stride: 3, padding: 2, outputPadding: 2, rng: &rng)),
            ("nearest_2", Upsample<T>(scale: 2)),
            ("nearest_3", Upsample<T>(scale: 3)),
            ("bilinear_2", Upsample<T>(scale: 2, mode: .bilinear)),
            ("bilinear_2_corners", Upsample<T>(scale: 2, mode: .bilinear, alignCorners: true)),
            ("bilinear_3", Upsample<T>(scale: 3, mode: .bilinear)),
            ("bilinear_3_corners", Upsample<T>(scale: 3, mode: .bilinear, alignCorners: true)),
        ]
    }

    @Test(arguments: [1, 2])
    func equalsPyTorch(workers: Int) throws {
        let golden = try LayerGolden("upsampling")
        for (name, layer) in Self.layers(Double.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-6)
        }
        for (name, layer) in Self.layers(Float.self) {
            layer.setWorkers(workers)
            try golden.check(layer, name, tolerance: 1e-5)
        }
    }

    @Test func gradients() {
        for (_, layer) in Self.layers(Double.self) {
            let channels = (layer as? ConvTranspose2d<Double>)?.inChannels ?? 2
            G.check(layer, input: G.tensor(channels, 2, 5, 4, seed: 51))
        }
    }

    /// Bands and channel groups split the work; the result must not depend on the thread count,
    /// on an input tall enough for several bands.
    @Test func transposedConvolutionDoesNotDependOnTheThreadCount() {
        func run(_ workers: Int) -> ([Float], [Float], [Float]) {
            var rng = SplitMix64(seed: 52)
            let layer = ConvTranspose2d<Float>("c", in: 5, out: 6, kernel: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng)
            layer.setWorkers(workers)
            var x = Tensor<Float>(channels: 5, batch: 2, rows: 40, columns: 120)
            for i in x.data.indices { x.data[i] = Float(Double.random(in: -1 ... 1, using: &rng)) }
            let y = layer.forward(x)
            var g = y
            for i in g.data.indices { g.data[i] = Float(Double.random(in: -1 ... 1, using: &rng)) }
            let d = layer.backward(g)
            return (y.data, d.data, layer.weight.gradient)
        }
        let one = run(1), two = run(2), three = run(3)
        #expect(one.0 == two.0 && one.1 == two.1 && one.2 == two.2)
        #expect(one.0 == three.0 && one.1 == three.1 && one.2 == three.2)
    }

    @Test func concatAndSplit() {
        let a = G.tensor(2, 3, 4, 5, seed: 53), b = G.tensor(3, 3, 4, 5, seed: 54)
        let c = concatChannels([a, b])
        #expect(c.channels == 5 && c.batch == 3)
        // NCHW: item i's channels are a's then b's, as torch.cat(dim=1).
        let n = c.nchw, na = a.nchw, nb = b.nchw
        for i in 0 ..< 3 {
            #expect(Array(n[i * 100 ..< i * 100 + 40]) == Array(na[i * 40 ..< i * 40 + 40]))
            #expect(Array(n[i * 100 + 40 ..< i * 100 + 100]) == Array(nb[i * 60 ..< i * 60 + 60]))
        }
        let parts = splitChannels(c, [2, 3])
        #expect(parts[0] == a && parts[1] == b)
    }
}
